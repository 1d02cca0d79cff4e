/* landplan phase map: a small Leaflet plugin.

     L.LandplanZoneLayer   the planning zones, drawn on one canvas from Path2D objects built once per view
                           (a month step only refills them); with hatch: true, the zones under a residual
                           presence; factory L.landplanZoneLayer(features, options)
     L.Control.Landplan*   the panel (title, month slider, colouring), legend, Gantt strip, details (the month's
                           links, crossings over capacity, residual presence and stations, the metrics with their
                           units, the chosen zone's timeline) and footer: controls inside the map's container
     L.Landplan            the app: an L.Evented that owns the month and the track colouring the zones, and
                           fires 'monthchange', 'modechange', 'zoneselect' and 'ready'; factory
                           L.landplan(map, payload, options)

   The payload (L.Landplan.payload(id) reads it from the page's JSON script element) is the only source
   of data, colours and legend texts; each layer's facts are read by field name. What changes with the month (zone
   states, crossing regimes and flows, link states) travels as the months it changes ([[month, ...], ...]). Every text from data reaches
   the page as textContent (never as HTML), in an element of its own that takes its direction from its own text
   and keeps it inside (dataEl), so a right-to-left name cannot reorder the text around it. */
(function (L) {
  'use strict';

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* an element holding text from the data: dir="auto" and the lp-data class (unicode-bidi: isolate) */
  function dataEl(tag, cls, text) {
    var e = el(tag, cls ? cls + ' lp-data' : 'lp-data', text);
    e.dir = 'auto';
    return e;
  }

  /* the interface's language: its messages (by their English text) come from the payload's catalogue */
  var I18N = {lang: 'en', messages: {}};

  /* the message msgid in the language shown, its {slots} filled with values as plain text */
  function t(msgid, values) {
    var cat = I18N.messages[I18N.lang] || {};
    var text = Object.prototype.hasOwnProperty.call(cat, msgid) ? cat[msgid] : msgid;
    if (!values) return text;
    return text.replace(/\{([a-z][a-z0-9_]*)\}/g, function (m, k) {
      return Object.prototype.hasOwnProperty.call(values, k) ? String(values[k]) : m;
    });
  }

  /* a month label (YYYY-MM) as the language writes it */
  function monthName(label) {
    var m = /^(\d{4})-(\d{2})$/.exec(label || '');
    if (!m) return label;
    return new Date(Date.UTC(+m[1], +m[2] - 1, 1)).toLocaleDateString(I18N.lang,
      {year: 'numeric', month: 'short', timeZone: 'UTC'});
  }

  function escapeHtml(text) {  /* for the few places Leaflet itself writes as HTML (the layer list) */
    return String(text).replace(/[&<>"']/g, function (c) {
      return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c];
    });
  }

  function varints(b64) {
    var bin = atob(b64), n = bin.length, out = [], v = 0, shift = 0, i, byte;
    for (i = 0; i < n; i++) {
      byte = bin.charCodeAt(i);
      v += (byte & 0x7f) * Math.pow(2, shift);
      shift += 7;
      if (!(byte & 0x80)) {
        out.push(v % 2 === 1 ? -(v + 1) / 2 : v / 2);
        v = 0; shift = 0;
      }
    }
    return out;
  }

  /* geo/output/encode.py's form -> features: [ [ [ring as Float64Array lon,lat,...], ...rings ], ...parts ] */
  function decode(enc) {
    var d = varints(enc.coords), s = enc.shape, feats = [], i = 0, pos = 0, x = 0, y = 0;
    while (i < s.length) {
      var nparts = s[i + 1], parts = [];
      i += 2;
      for (var p = 0; p < nparts; p++) {
        var nrings = s[i++], rings = [];
        for (var r = 0; r < nrings; r++) {
          var nv = s[i++], ring = new Float64Array(nv * 2);
          for (var k = 0; k < nv; k++) {
            x += d[pos++]; y += d[pos++];
            ring[2 * k] = x / 1e5; ring[2 * k + 1] = y / 1e5;
          }
          rings.push(ring);
        }
        parts.push(rings);
      }
      feats.push(parts);
    }
    return feats;
  }

  function latlngs(ring) {
    var out = [];
    for (var k = 0; k < ring.length; k += 2) out.push([ring[k + 1], ring[k]]);
    return out;
  }

  function mercator(ring) {  /* lon/lat -> Web Mercator pixels at zoom 0 */
    var out = new Float64Array(ring.length), d = Math.PI / 180;
    for (var k = 0; k < ring.length; k += 2) {
      var s = Math.sin(ring[k + 1] * d);
      out[k] = 256 * (ring[k] + 180) / 360;
      out[k + 1] = 256 * (0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI));
    }
    return out;
  }

  /* one layer's facts ({fields, props}) read by field name, never by position */
  function Facts(spec) {
    var index = {};
    spec.fields.forEach(function (f, k) { index[f] = k; });
    this.fields = spec.fields;
    this.rows = spec.props;
    this.index = index;
  }
  Facts.prototype.get = function (i, field) {
    var k = this.index[field];
    return k === undefined ? null : this.rows[i][k];
  };
  /* the name in the language shown where the data has it (name_ar, name_he), else the name */
  Facts.prototype.title = function (i) { return this.get(i, 'name_' + I18N.lang) || this.get(i, 'name'); };
  Facts.prototype.box = function (i) {
    var box = el('div', 'lp-facts'), values = this.rows[i];
    box.appendChild(dataEl('div', 'lp-facts-title', this.title(i)));
    var table = el('table');
    for (var k = 0; k < this.fields.length; k++) {
      var v = values[k], f = this.fields[k];
      if (v === null || v === undefined || v === '' || /^name(_|$)/.test(f)) continue;
      var tr = el('tr'), yearLike = /year|founded|number/.test(f);
      tr.appendChild(el('th', null, t(f.replace(/_/g, ' '))));
      tr.appendChild(typeof v === 'number' ? el('td', null, num(v, yearLike ? {useGrouping: false} : undefined))
        : dataEl('td', null, v));
      table.appendChild(tr);
    }
    box.appendChild(table);
    return box;
  };
  /* tooltip content, built each time it opens: the facts, then what more(i) adds for the month shown */
  Facts.prototype.lazyBox = function (i, more) {
    var self = this;
    return function () {
      var box = self.box(i), extra = more ? more(i) : null;
      if (extra) box.appendChild(extra);
      return box;
    };
  };

  /* field name -> position, for rows sent as arrays with their field names */
  function fieldIndex(fields) {
    var index = {};
    fields.forEach(function (f, k) { index[f] = k; });
    return index;
  }

  /* the change in effect in month m of [[month, ...values], ...] (months ascending, the first is month 0) */
  function at(changes, m) {
    var found = null;
    for (var k = 0; k < changes.length && changes[k][0] <= m; k++) found = changes[k];
    return found;
  }

  function num(v, opts) { return typeof v === 'number' ? v.toLocaleString(I18N.lang, opts) : v; }

  /* a figure's value as people read it: three significant figures from ten thousand up, areas in whole units */
  function rounded(v, kind) {
    if (typeof v !== 'number') return v;
    /* Hebrew's short compact forms are Latin letters (5.1M): its long ones are words, as Arabic's short ones are */
    if (Math.abs(v) >= 10000) {
      var display = I18N.lang === 'he' ? 'long' : 'short';
      return num(v, {notation: 'compact', compactDisplay: display, maximumSignificantDigits: 3});
    }
    if (kind === 'pct') return num(v, {maximumFractionDigits: Math.abs(v) < 10 ? 2 : 1});
    return num(v, {maximumFractionDigits: Math.abs(v) < 10 ? 1 : 0});
  }

  /* into node: a message already in the language shown (t() without values keeps its slots), each slot filled
     with text; the slots named in data hold names from the data, each in an element of its own (dataEl) so it
     cannot reorder the sentence around it */
  function rich(node, text, values, data) {
    var parts = text.split(/(\{[a-z][a-z0-9_]*\})/);
    parts.forEach(function (p) {
      var m = /^\{([a-z][a-z0-9_]*)\}$/.exec(p);
      if (!m || !Object.prototype.hasOwnProperty.call(values, m[1])) {
        if (p) node.appendChild(document.createTextNode(p));
      } else if (data && data.indexOf(m[1]) >= 0) {
        node.appendChild(dataEl('span', null, values[m[1]]));
      } else {
        node.appendChild(document.createTextNode(String(values[m[1]])));
      }
    });
    return node;
  }

  /* a figure's value written by its kind (geo/figures.py): share, people, count, of, km, km2 */
  function figureText(kind, v) {
    if (kind === 'share') return t('{pct} % ({area} km\u00b2)', {pct: rounded(v[0], 'pct'), area: rounded(v[1])});
    if (kind === 'of') return t('{part} of {whole}', {part: rounded(v[0]), whole: rounded(v[1])});
    if (kind === 'km') return t('{n} km', {n: rounded(v[0])});
    if (kind === 'km2') return t('{n} km\u00b2', {n: rounded(v[0])});
    return rounded(v[0]);
  }

  /* a small table of [label, value] rows under a heading; labels are fixed text (translated), values data */
  function monthTable(title, rows) {
    var box = el('div', 'lp-facts-month');
    box.appendChild(el('div', 'lp-facts-title', title));
    var table = el('table');
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', null, r[0]));
      tr.appendChild(dataEl('td', null, num(r[1])));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  function reached(month, m) { return month !== null && month <= m; }

  function guard(container) {  /* clicks and wheel turns on a control stay off the map */
    L.DomEvent.disableClickPropagation(container);
    L.DomEvent.disableScrollPropagation(container);
    return container;
  }

  /* give each feature of a group (lpIndex i) the style of the month, only when it changes; refresh open tooltips */
  function restyle(group, style) {
    group.eachLayer(function (x) {
      if (x.lpIndex === undefined) return;
      var st = style(x.lpIndex), key = JSON.stringify(st);
      if (x.lpKey !== key) { x.lpKey = key; x.setStyle(st); }
      if (x.isTooltipOpen && x.isTooltipOpen()) x.getTooltip().update();
    });
  }

  /* ---- the zones layer ---------------------------------------------------------------------------------- */

  L.LandplanZoneLayer = L.Layer.extend({
    options: {
      pane: 'lpZones',
      zIndex: 350,
      fill: null,               /* fill of every zone until setFills (null: none) */
      edgeColor: null,          /* outline colour (null: no outlines) */
      edgeWidth: 0.6,
      fillOpacity: 0.78,
      hatch: false,             /* true: each fill is a hatch of its colour, with an outline (marks over the zones) */
      interactive: true,        /* false: clicks go through to the layers below */
      active: true              /* false: draw nothing until activate() (the app waits for its final view) */
    },

    initialize: function (feats, options) {
      L.setOptions(this, options);
      this._feats = feats.map(function (parts) {
        return parts.map(function (rings) { return rings.map(mercator); });
      });
      this._fills = feats.map(function () { return this.options.fill; }, this);
      this._active = this.options.active;
      this.painted = 0;  /* zones filled by the last draw */
    },

    onAdd: function (map) {
      var pane = map.getPane(this.options.pane) || map.createPane(this.options.pane);
      pane.style.zIndex = this.options.zIndex;
      this._canvas = L.DomUtil.create('canvas', 'lp-zones');
      pane.appendChild(this._canvas);
      map.on('moveend resize viewreset', this._reset, this);
      map.on('zoomstart', this._hide, this);
      if (this.options.interactive) map.on('click', this._click, this);
      this._view = null;
      this._reset();
    },

    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend resize viewreset', this._reset, this);
      map.off('zoomstart', this._hide, this);
      if (this.options.interactive) map.off('click', this._click, this);
      this._paths = null;
    },

    /* start drawing (a layer made with active: false draws nothing before) */
    activate: function () {
      this._active = true;
      if (this._map) this._reset();
      return this;
    },

    /* one CSS colour per zone, in the order of the features */
    setFills: function (fills) {
      this._fills = fills;
      if (this._paths) this._draw();
      return this;
    },

    getCanvas: function () { return this._canvas || null; },

    /* index of the zone drawn at a container point, or -1 */
    zoneAt: function (point) {
      if (!this._paths) return -1;
      var ctx = this._canvas.getContext('2d'), dpr = this._dpr, found = -1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      for (var i = this._paths.length - 1; i >= 0 && found < 0; i--) {
        var b = this._boxes[i];
        if (point.x < b[0] || point.x > b[2] || point.y < b[1] || point.y > b[3]) continue;
        if (ctx.isPointInPath(this._paths[i], point.x * dpr, point.y * dpr, 'evenodd')) found = i;
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      return found;
    },

    _hide: function () { this._canvas.style.visibility = 'hidden'; },

    _reset: function () {
      if (!this._active) return;
      var map = this._map, size = map.getSize(), dpr = window.devicePixelRatio || 1;
      var tl = map.containerPointToLayerPoint([0, 0]), origin = map.getPixelOrigin();
      var view = [map.getZoom(), origin.x, origin.y, tl.x, tl.y, size.x, size.y, dpr].join(',');
      if (view === this._view) { this._canvas.style.visibility = 'visible'; return; }
      this._view = view;
      var c = this._canvas;
      L.DomUtil.setPosition(c, tl);
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      this._dpr = dpr;
      this._edges = null;
      this._project(Math.pow(2, map.getZoom()), origin.x + tl.x, origin.y + tl.y);
      c.style.visibility = 'visible';
      this._draw();
    },

    _project: function (scale, ox, oy) {  /* Path2D and bounding box of every zone in container pixels */
      this._paths = []; this._boxes = [];
      for (var i = 0; i < this._feats.length; i++) {
        var path = new Path2D(), x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        var parts = this._feats[i];
        for (var p = 0; p < parts.length; p++) {
          for (var r = 0; r < parts[p].length; r++) {
            var ring = parts[p][r];
            for (var k = 0; k < ring.length; k += 2) {
              var x = ring[k] * scale - ox, y = ring[k + 1] * scale - oy;
              if (k === 0) path.moveTo(x, y); else path.lineTo(x, y);
              if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
            }
            path.closePath();
          }
        }
        this._paths.push(path); this._boxes.push([x0, y0, x1, y1]);
      }
    },

    _draw: function () {
      var c = this._canvas, ctx = c.getContext('2d'), n = this._paths.length, dpr = this._dpr;
      if (!this._edges) {  /* outlines do not change with the month: stroke them once per view */
        this._edges = document.createElement('canvas');
        this._edges.width = c.width; this._edges.height = c.height;
        var e = this._edges.getContext('2d');
        e.setTransform(dpr, 0, 0, dpr, 0, 0);
        e.lineWidth = this.options.edgeWidth;
        if (this.options.edgeColor !== null) {
          e.strokeStyle = this.options.edgeColor;
          for (var j = 0; j < n; j++) e.stroke(this._paths[j]);
        }
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, c.width, c.height);
      ctx.globalAlpha = this.options.fillOpacity;
      var painted = 0;
      for (var i = 0; i < n; i++) {
        var fill = this._fills[i];
        if (fill === null || fill === undefined) continue;
        ctx.fillStyle = this.options.hatch ? this._hatch(ctx, fill) : fill;
        ctx.fill(this._paths[i], 'evenodd');
        if (this.options.hatch) { ctx.strokeStyle = fill; ctx.lineWidth = 2; ctx.stroke(this._paths[i]); }
        painted++;
      }
      ctx.globalAlpha = 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this._edges, 0, 0);
      this.painted = painted;
    },

    _hatch: function (ctx, color) {  /* a diagonal hatch pattern of one colour, made once per colour */
      this._patterns = this._patterns || {};
      if (!this._patterns[color]) {
        var tile = document.createElement('canvas'), g = tile.getContext('2d');
        tile.width = tile.height = 8;
        g.strokeStyle = color; g.lineWidth = 1.5;
        g.beginPath(); g.moveTo(0, 8); g.lineTo(8, 0); g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(6, 10); g.lineTo(10, 6);
        g.stroke();
        this._patterns[color] = ctx.createPattern(tile, 'repeat');
      }
      return this._patterns[color];
    },

    _click: function (e) {
      var i = this.zoneAt(e.containerPoint);
      if (i >= 0) this.fire('zoneclick', {index: i, latlng: e.latlng});
    }
  });

  L.landplanZoneLayer = function (feats, options) { return new L.LandplanZoneLayer(feats, options); };

  /* ---- controls ------------------------------------------------------------------------------------------ */

  /* a control of the app: it draws from the app's state when added, then follows the app's events */
  var AppControl = L.Control.extend({
    options: {position: 'topright'},
    initialize: function (app, options) {
      L.setOptions(this, options);
      this._app = app;
    },
    onAdd: function (map) {
      var box = guard(el('div', 'lp-ctl ' + this.className));
      this._build(box, this._app, map);
      this._app.on(this._events(), this);
      if (this._refresh) this._refresh();
      return box;
    },
    onRemove: function () {
      this._app.off(this._events(), this);
      if (this._stop) this._stop();
    },
    _events: function () { return {}; }
  });

  L.Control.LandplanPanel = AppControl.extend({
    className: 'lp-panel',
    _build: function (box, app) {
      var M = app.data.meta;
      var head = el('div', 'lp-row lp-head');
      head.appendChild(dataEl('div', 'lp-title', M.plan));
      head.appendChild(this._languages(app));
      box.appendChild(head);
      var row = el('div', 'lp-row');
      this._play = el('button', 'lp-play', '\u25B6');
      this._play.type = 'button';
      this._play.title = t('Play the months');
      this._play.setAttribute('aria-label', this._play.title);
      this._slider = el('input', 'lp-slider');
      this._slider.type = 'range'; this._slider.min = '0'; this._slider.max = String(M.horizon);
      this._slider.value = '0';
      this._slider.setAttribute('aria-label', t('Month of the plan'));
      this._label = el('span', 'lp-month');
      this._label.setAttribute('aria-live', 'polite');
      row.appendChild(this._play); row.appendChild(this._slider); row.appendChild(this._label);
      box.appendChild(row);
      var modes = el('fieldset', 'lp-row lp-modes');
      modes.appendChild(el('legend', null, t('Colour the zones by')));
      this._radios = {};
      app.tracks.forEach(function (tr) {
        var lab = el('label', 'lp-mode'), r = el('input');
        r.type = 'radio'; r.name = 'lp-mode'; r.value = tr.name;
        r.addEventListener('change', function () { if (r.checked) app.setMode(tr.name); });
        lab.appendChild(r); lab.appendChild(document.createTextNode(' '));
        lab.appendChild(tr.label ? el('span', null, t(tr.label)) : dataEl('span', null, tr.name));
        modes.appendChild(lab);
        this._radios[tr.name] = r;
      }, this);
      box.appendChild(modes);
      var self = this;
      this._slider.addEventListener('input', function () { app.setMonth(+self._slider.value); });
      this._play.addEventListener('click', function () { if (self._timer) self._stop(); else self._start(); });
    },
    /* the language switch: each language named in itself */
    _languages: function (app) {
      var sel = el('select', 'lp-lang');
      sel.setAttribute('aria-label', t('Language'));
      app.languages.forEach(function (l) {
        var o = el('option', null, l[1]);
        o.value = l[0]; o.lang = l[0];
        sel.appendChild(o);
      });
      sel.value = I18N.lang;
      sel.addEventListener('change', function () { app.setLanguage(sel.value); });
      return sel;
    },
    _events: function () { return {monthchange: this._refresh, modechange: this._refresh}; },
    _refresh: function () {
      var app = this._app, m = app.month;
      this._slider.value = String(m);
      this._slider.setAttribute('aria-valuetext', monthName(app.data.months[m]));
      this._label.textContent = t('{date} (month {month})', {date: monthName(app.data.months[m]), month: num(m)});
      if (this._radios[app.mode]) this._radios[app.mode].checked = true;
    },
    _start: function () {
      var app = this._app, self = this;
      this._play.textContent = '\u23F8';
      this._timer = setInterval(function () {
        if (app.month >= app.horizon) self._stop(); else app.setMonth(app.month + 1);
      }, app.options.playInterval);
    },
    _stop: function () {
      if (this._timer) clearInterval(this._timer);
      this._timer = null;
      if (this._play) this._play.textContent = '\u25B6';
    }
  });

  /* the story: the plan's milestones, stepped through with the buttons or the keyboard (app.step) */
  L.Control.LandplanStory = AppControl.extend({
    className: 'lp-story',
    _build: function (box, app) {
      var row = el('div', 'lp-row');
      var prev = el('button', 'lp-prev', '\u2039'), next = el('button', 'lp-next', '\u203A');
      prev.type = next.type = 'button';
      prev.title = t('Previous milestone'); next.title = t('Next milestone');
      prev.setAttribute('aria-label', prev.title); next.setAttribute('aria-label', next.title);
      prev.addEventListener('click', function () { app.step(-1); });
      next.addEventListener('click', function () { app.step(1); });
      this._storyAt = el('span', 'lp-story-at');
      row.appendChild(prev); row.appendChild(this._storyAt); row.appendChild(next);
      this._caption = el('div', 'lp-caption');
      this._caption.setAttribute('aria-live', 'polite');
      box.appendChild(row); box.appendChild(this._caption);
    },
    _events: function () { return {monthchange: this._refresh}; },
    _refresh: function () {
      var app = this._app, ms = app.milestone(), all = app.data.milestones || [];
      this._storyAt.textContent = ms === null ? t('Milestones: {count}', {count: num(all.length)})
        : t('Milestone {k} of {n}: {date}', {k: num(ms + 1), n: num(all.length),
          date: monthName(app.data.months[all[ms].month])});
      this._caption.textContent = '';
      if (ms !== null) {
        all[ms].captions.forEach(function (c) { this._caption.appendChild(el('p', null, t(c))); }, this);
        /* the plan's own captions for this milestone: its text, shown as data */
        (all[ms].notes || []).forEach(function (n) { this._caption.appendChild(dataEl('p', 'lp-note', n)); }, this);
      }
    }
  });

  L.Control.LandplanLegend = AppControl.extend({
    className: 'lp-legend',
    _build: function (box, app, map) {
      this._box = box;
      map.on('layeradd layerremove', this._layerChange, this);
    },
    onRemove: function (map) {
      AppControl.prototype.onRemove.call(this, map);
      map.off('layeradd layerremove', this._layerChange, this);
    },
    _events: function () { return {modechange: this._refresh}; },
    _layerChange: function (e) {  /* only the app's own layers change the legend (not each of their markers) */
      var layers = this._app.layers;
      for (var key in layers) if (layers[key] === e.layer) { this._refresh(); return; }
    },
    /* a colour and its text: fixed text is translated; a name from the plan (data: fromData true) is shown as it
       is; with values (an object), the message's slots hold names from the data, each isolated */
    _swatch: function (color, text, fromData) {
      var s = el('div', 'lp-swatch');
      var b = el('span', 'lp-box'); b.style.background = color;
      b.setAttribute('aria-hidden', 'true');
      var label = fromData === true ? dataEl('span', null, text)
        : fromData ? rich(el('span'), t(text), fromData, Object.keys(fromData)) : el('span', null, t(text));
      s.appendChild(b); s.appendChild(label);
      return s;
    },
    _refresh: function () {
      var app = this._app, map = this._map, legend = app.data.meta.legend, box = this._box, self = this;
      box.textContent = '';
      var tr = app.track();
      if (tr && map.hasLayer(app.zones)) {
        var z = el('div', 'lp-legend-block');
        z.appendChild(el('div', 'lp-legend-title', t('Zones by {track}', {track: app.trackLabel(tr)})));
        tr.states.forEach(function (n, k) {
          var lab = tr.labels && tr.labels[k];
          z.appendChild(self._swatch(tr.colors[k], lab || n, !lab));
        });
        box.appendChild(z);
      }
      Object.keys(legend).forEach(function (key) {
        if (!app.layers[key] || !map.hasLayer(app.layers[key])) return;
        var b = el('div', 'lp-legend-block');
        legend[key].forEach(function (entry) { b.appendChild(self._swatch(entry[0], entry[1], entry[2])); });
        box.appendChild(b);
      });
    }
  });

  L.Control.LandplanGantt = AppControl.extend({
    className: 'lp-gantt-box',
    options: {position: 'topright', width: 300, height: 44},
    _build: function (box, app) {
      var c = el('canvas', 'lp-gantt');
      c.width = this.options.width; c.height = this.options.height;
      box.appendChild(c);
      this._canvas = c;
      this._bars = null;  /* the plan's bars never change: drawn once, then only the cursor moves */
      c.addEventListener('click', function (e) {
        var r = c.getBoundingClientRect();
        app.setMonth(Math.min(app.horizon, Math.floor((e.clientX - r.left) / r.width * (app.horizon + 1))));
      });
      /* a slider for the keyboard and screen readers too: the arrows step a month, Home and End jump */
      c.tabIndex = 0;
      c.setAttribute('role', 'slider');
      c.setAttribute('aria-label', t('Timeline of the plan: the share of zones in each state, month by month'));
      c.setAttribute('aria-valuemin', '0');
      c.setAttribute('aria-valuemax', String(app.horizon));
      c.addEventListener('keydown', function (e) {
        var step = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1}[e.key];
        if (step && app.dir() === 'rtl' && (e.key === 'ArrowRight' || e.key === 'ArrowLeft')) step = -step;
        if (e.key === 'Home') app.setMonth(0);
        else if (e.key === 'End') app.setMonth(app.horizon);
        else if (step) app.setMonth(app.month + step);
        else return;
        e.preventDefault();
        e.stopPropagation();
      });
    },
    _events: function () { return {monthchange: this._refresh}; },
    /* one band per track: at each month, the share of zones at each state of its ladder */
    _drawBars: function () {
      var app = this._app, w = this._canvas.width, h = this._canvas.height, H = app.horizon + 1;
      var tracks = app.tracks, band = h / tracks.length, n = app.data.zones.id.length;
      var bars = document.createElement('canvas');
      bars.width = w; bars.height = h;
      var g = bars.getContext('2d');
      tracks.forEach(function (t, b) {
        var states = app.data.zones.states[t.name], counts = [];  /* counts[month][state]: zones in that state */
        for (var mo = 0; mo < H; mo++) counts.push(t.states.map(function () { return 0; }));
        for (var i = 0; i < n; i++) {
          for (var mo2 = 0; mo2 < H; mo2++) counts[mo2][at(states[i], mo2)[1]]++;
        }
        for (var mo3 = 0; mo3 < H; mo3++) {
          var x = Math.floor(mo3 * w / H), xw = Math.ceil(w / H), y = b * band;
          counts[mo3].forEach(function (c, k) {
            var hh = (band - 2) * c / n;
            g.fillStyle = t.colors[k]; g.fillRect(x, y, xw, hh); y += hh;
          });
        }
      });
      return bars;
    },
    _refresh: function () {
      var app = this._app, c = this._canvas, w = c.width, h = c.height, H = app.horizon + 1;
      if (!this._bars) this._bars = this._drawBars();
      var ctx = c.getContext('2d');
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(this._bars, 0, 0);
      ctx.fillStyle = app.data.meta.colors.cursor;
      ctx.fillRect(Math.floor(app.month * w / H), 0, 2, h);
      c.setAttribute('aria-valuenow', String(app.month));
      c.setAttribute('aria-valuetext', monthName(app.data.months[app.month]));
    }
  });

  L.Control.LandplanDetails = AppControl.extend({
    className: 'lp-details',
    _build: function (box) {
      this._month = el('div', 'lp-month-facts');
      this._metrics = el('div', 'lp-metrics');
      this._zone = el('div', 'lp-zone');
      box.appendChild(this._month);
      box.appendChild(this._metrics);
      box.appendChild(this._zone);
    },
    _events: function () { return {monthchange: this._drawMonth, zoneselect: this._drawZone}; },
    _refresh: function () {
      this._drawMonth();
      this._drawZone();
    },
    _drawMonth: function () {
      this._drawMetrics();
      this._drawNews();
    },
    /* the figures by group, in words, rounded; those that changed this month are marked */
    _drawMetrics: function () {
      var box = this._metrics, app = this._app, D = app.data, m = app.month, col = fieldIndex(D.metrics.columns);
      var now = D.metrics.rows[m], before = m > 0 ? D.metrics.rows[m - 1] : null;
      box.textContent = '';
      (D.figures || []).forEach(function (g) {
        var table = el('table');
        var cap = el('caption', 'lp-legend-title', t(g.title));
        table.appendChild(cap);
        g.figures.forEach(function (f) {
          var vals = f.columns.map(function (c) { return now[col[c]]; });
          var changed = before !== null && f.columns.some(function (c) { return before[col[c]] !== now[col[c]]; });
          var tr = el('tr', changed ? 'lp-changed' : null);
          tr.appendChild(el('th', null, t(f.label, {state: f.state ? app.stateLabel(f.state) : ''})));
          var td = el('td', null, figureText(f.kind, vals));
          td.setAttribute('data-figure', f.columns[0]);
          tr.appendChild(td);
          var mark = el('td', 'lp-mark', changed ? '\u25CF' : '');
          if (changed) { mark.title = t('changed this month'); mark.setAttribute('aria-label', mark.title); }
          tr.appendChild(mark);
          table.appendChild(tr);
        });
        box.appendChild(table);
      });
    },
    /* the month's state of the plan's other entities: links, crossings over capacity, residual presence, stations */
    _drawNews: function () {
      var box = this._month, lines = this._app.monthFacts();
      box.textContent = '';
      if (!lines.length) return;
      box.appendChild(el('div', 'lp-legend-title', t('This month')));
      var ul = el('ul');
      lines.forEach(function (line) { ul.appendChild(rich(el('li'), line.msg, line.values, line.data)); });
      box.appendChild(ul);
    },
    _drawZone: function () {
      var app = this._app, i = app.selected, D = app.data, box = this._zone;
      box.textContent = '';
      if (i === null) return;
      var head = el('div', 'lp-legend-title');
      head.appendChild(dataEl('span', null, app.zoneFacts.title(i)));
      head.appendChild(document.createTextNode(t(': timeline')));
      box.appendChild(head);
      var items = [];
      app.tracks.forEach(function (tr) {
        D.zones.states[tr.name][i].forEach(function (c, k) {
          var state = tr.labels && tr.labels[c[1]] ? t(tr.labels[c[1]]) : tr.states[c[1]];
          items.push([c[0], app.trackLabel(tr), k ? state : t('{state} (at the start)', {state: state})]);
        });
      });
      D.zones.obstacles[i].forEach(function (c) { items.push([c[0], t('obstacles removed'), num(c[1]), true]); });
      items.sort(function (a, b) { return a[0] - b[0]; });
      var ul = el('ul');
      items.forEach(function (it) {
        var li = el('li', null, monthName(D.months[it[0]]) + '  ');
        li.appendChild(el('span', null, it[1]));
        li.appendChild(document.createTextNode(t(': ')));
        li.appendChild(it[3] ? dataEl('span', null, it[2]) : el('span', null, it[2]));
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
  });

  L.Control.LandplanFooter = AppControl.extend({
    className: 'lp-footer',
    options: {position: 'bottomleft'},
    _build: function (box, app) {
      var M = app.data.meta;
      box.dir = app.dir();  /* each piece is isolated, so none can reorder another (the hash above all) */
      function part(node, after) { box.appendChild(node); box.appendChild(document.createTextNode(after)); }
      function ltr(cls, text) { var e = el('span', cls, text); e.dir = 'ltr'; return e; }
      part(dataEl('span', 'lp-plan', M.plan), ' \u00B7 ');
      part(el('span', null, t('plan and layers')), ' ');
      part(ltr('lp-hash lp-data', M.hash), ' \u00B7 ');
      part(el('span', null, t('built')), ' ');
      part(ltr('lp-built lp-data', M.built), ' \u00B7 ');
      /* the credit owed to the sources is kept in their own words (lp-data) */
      var credit = ltr('lp-attribution lp-data', M.attribution);
      credit.lang = 'en';
      part(credit, ' ');
      part(el('span', null, t('Map drawn with Leaflet.')), '');
    },
    addTo: function (map) {  /* the footer is the last thing at the bottom, under the scale */
      L.Control.prototype.addTo.call(this, map);
      var box = this.getContainer();
      box.parentNode.appendChild(box);
      return this;
    }
  });

  /* the scale bar in metres and kilometres, its numbers and units in the language shown */
  L.Control.LandplanScale = L.Control.Scale.extend({
    options: {position: 'bottomleft', imperial: false},
    _updateScale: function (scale, text, ratio) {
      var parts = String(text).split(' ');
      scale.style.width = Math.round(this.options.maxWidth * ratio) + 'px';
      scale.textContent = t(parts[1] === 'km' ? '{n} km' : '{n} m', {n: num(+parts[0])});
    }
  });

  L.control.landplanScale = function () { return new L.Control.LandplanScale(); };
  L.control.landplanStory = function (app, options) { return new L.Control.LandplanStory(app, options); };
  L.control.landplanPanel = function (app, options) { return new L.Control.LandplanPanel(app, options); };
  L.control.landplanLegend = function (app, options) { return new L.Control.LandplanLegend(app, options); };
  L.control.landplanGantt = function (app, options) { return new L.Control.LandplanGantt(app, options); };
  L.control.landplanDetails = function (app, options) { return new L.Control.LandplanDetails(app, options); };
  L.control.landplanFooter = function (app, options) { return new L.Control.LandplanFooter(app, options); };

  /* ---- the app ------------------------------------------------------------------------------------------- */

  L.Landplan = L.Evented.extend({
    options: {
      playInterval: 400,  /* ms per month when playing */
      controls: ['panel', 'story', 'legend', 'gantt', 'details', 'scale', 'footer'],
      embed: false  /* a chrome-less map for slides: the page passes the controls it keeps */
    },

    statics: {
      /* the payload of the page, from its JSON script element of that id */
      payload: function (id) { return JSON.parse(document.getElementById(id).textContent); }
    },

    /* Public: data (the payload), map, layers (by payload key), zones (the zones layer), zoneFacts, tracks,
       horizon, controls, selected (index of the chosen zone or null), ready (null until start(), then the
       time it was ready), and the read-only month and mode; change them with setMonth, setMode, selectZone.
       What the month shown holds: zoneState(i, track), crossingFlow(i), linkState(i), residualZones(k),
       stationStands(k) and monthFacts() (the lines the details list).
       Events: 'monthchange' {month, label} (once from start(), then on each change of month), 'modechange'
       {mode}, 'zoneselect' {index}, 'ready'. Other code listens to these instead of reading the controls. */
    initialize: function (map, data, options) {
      L.setOptions(this, options);
      this.map = map;
      this.data = data;
      this.tracks = data.meta.tracks;
      this.horizon = data.meta.horizon;
      var I = data.i18n || {lang: 'en', languages: [['en', 'English', 'ltr']], messages: {}};
      this.languages = I.languages;
      I18N.messages = I.messages;
      I18N.lang = I.lang;
      this.selected = null;
      this.ready = null;
      this._month = 0;
      this._mode = this.tracks.length ? this.tracks[0].name : null;
      L.DomUtil.addClass(map.getContainer(), 'lp-map');
      if (this.options.embed) L.DomUtil.addClass(map.getContainer(), 'lp-embed');
      this.layers = this._buildLayers();
      this.zones = this.layers.zones;
      this.zoneFacts = new Facts(data.zones);
      this.zones.on('zoneclick', this._zoneClick, this);
      this.controls = {};
      this._addControls();
      /* the controls on the right are framed as one panel (landplan.css): keep its clicks and wheel off the map */
      if (this.controls.panel) {
        guard(this.controls.panel.getContainer().parentNode);
        this._drawer(this.controls.panel.getContainer().parentNode);
      }
      this._applyDirection();
    },

    _addControls: function () {
      this.options.controls.forEach(function (name) {
        var factory = L.control['landplan' + name.charAt(0).toUpperCase() + name.slice(1)];
        this.controls[name] = factory(this).addTo(this.map);
      }, this);
    },

    /* ---- language -------------------------------------------------------------------------------------- */

    /* the language shown ('en', 'ar', 'he') and its direction */
    language: function () { return I18N.lang; },
    dir: function () {
      for (var k = 0; k < this.languages.length; k++) if (this.languages[k][0] === I18N.lang) return this.languages[k][2];
      return 'ltr';
    },

    /* show the interface in language lang (an unknown code is ignored); fires 'languagechange'; returns it */
    setLanguage: function (lang) {
      var known = this.languages.some(function (l) { return l[0] === lang; });
      if (!known || lang === I18N.lang) return I18N.lang;
      I18N.lang = lang;
      var map = this.map, active = document.activeElement;
      var hadFocus = !!(active && active.classList && active.classList.contains('lp-lang'));
      this.options.controls.forEach(function (name) { this.controls[name].remove(); }, this);
      this._addControls();
      this._applyDirection();
      this._relabel();
      this.fire('languagechange', {lang: lang});
      this.fire('monthchange', {month: this._month, label: this.data.months[this._month]});
      if (map.closePopup) map.closePopup();
      /* the switch was rebuilt with the panel: the focus stays on it, so the keyboard keeps its place */
      var sel = hadFocus ? map.getContainer().querySelector('.lp-lang') : null;
      if (sel) sel.focus();
      return lang;
    },

    /* lang and dir on the page, and the layout mirrored for a right-to-left language (landplan.css: lp-rtl) */
    _applyDirection: function () {
      var root = document.documentElement, dir = this.dir(), c = this.map.getContainer();
      root.lang = I18N.lang;
      root.dir = dir;
      L.DomUtil[dir === 'rtl' ? 'addClass' : 'removeClass'](c, 'lp-rtl');
    },

    /* Leaflet's own controls in the language shown: the layer list, its button, the zoom buttons */
    _relabel: function () {
      var c = this.map.getContainer(), lc = this._layerControl;
      if (lc && lc._layers) {
        var border = this.data.border && this.layers.border;
        lc._layers.forEach(function (o) {
          if (o.lpMsgid === undefined) {
            var probe = document.createElement('textarea');
            probe.innerHTML = o.name;  /* the name folium wrote, escaped: read back as text */
            o.lpMsgid = probe.value.trim();
          }
          /* Leaflet writes the names as HTML: every piece goes through escapeHtml; the scenario's name is isolated */
          o.name = o.layer === border ? t('Border: {name}').split('{name}').map(escapeHtml).join(
            '<span class="lp-data" dir="auto">' + escapeHtml(this.data.border.name) + '</span>')
            : escapeHtml(t(o.lpMsgid));
        }, this);
        if (lc._map) lc._update();
      }
      var toggle = c.querySelector('.leaflet-control-layers-toggle');
      if (toggle) {
        toggle.title = t('Layers');
        toggle.setAttribute('aria-label', toggle.title);
        if (toggle.lpText) toggle.textContent = t('Layers');
      }
      [['.leaflet-control-zoom-in', t('Zoom in')], ['.leaflet-control-zoom-out', t('Zoom out')]].forEach(function (z) {
        var b = c.querySelector(z[0]);
        if (b) { b.title = z[1]; b.setAttribute('aria-label', z[1]); }
      });
      var list = c.querySelector('.leaflet-control-layers-list');
      if (list) list.setAttribute('aria-label', t('Layers'));
    },

    /* how much point symbols are scaled at the zoom shown: 0.5 at zoom 7, 1 at zoom 9, at most 1.6 */
    symbolScale: function () {
      var z = this.map.getZoom ? this.map.getZoom() : 9;
      return Math.max(0.5, Math.min(1.6, Math.pow(2, ((z === undefined ? 9 : z) - 9) / 2)));
    },

    /* the readable name of a track, a security state or a movement level (the plan's code when it has none) */
    trackLabel: function (track) { return track.label ? t(track.label) : track.name; },
    stateLabel: function (state) {
      for (var k = 0; k < this.tracks.length; k++) {
        var i = this.tracks[k].states.indexOf(state);
        if (i >= 0 && this.tracks[k].labels && this.tracks[k].labels[i]) return t(this.tracks[k].labels[i]);
      }
      return state;
    },

    /* ---- the story --------------------------------------------------------------------------------------- */

    /* the index of the last milestone at or before the month shown (null before the first) */
    milestone: function () {
      var all = this.data.milestones || [], found = null;
      for (var k = 0; k < all.length && all[k].month <= this._month; k++) found = k;
      return found;
    },

    /* go to the next (+1) or previous (-1) milestone; returns the month shown */
    step: function (dir) {
      var all = this.data.milestones || [], m = this._month, k;
      if (dir > 0) {
        for (k = 0; k < all.length; k++) if (all[k].month > m) return this.setMonth(all[k].month);
      } else {
        for (k = all.length - 1; k >= 0; k--) if (all[k].month < m) return this.setMonth(all[k].month);
      }
      return m;
    },

    /* the keyboard steps through the story: n / p, Page Down / Page Up, and the arrows (mirrored right to left)
       whenever the focus is not in a field or on the map (which pans with the arrows) */
    _keys: function () {
      var self = this;
      this._onKey = function (e) {
        var tag = e.target && e.target.tagName, onMap = e.target === self.map.getContainer();
        if (e.altKey || e.ctrlKey || e.metaKey || /^(INPUT|SELECT|TEXTAREA)$/.test(tag || '')) return;
        var rtl = self.dir() === 'rtl', next = rtl ? 'ArrowLeft' : 'ArrowRight', prev = rtl ? 'ArrowRight' : 'ArrowLeft';
        var dir = 0;
        if (e.key === 'n' || e.key === 'PageDown' || (!onMap && e.key === next)) dir = 1;
        if (e.key === 'p' || e.key === 'PageUp' || (!onMap && e.key === prev)) dir = -1;
        if (!dir) return;
        e.preventDefault();
        self.step(dir);
      };
      document.addEventListener('keydown', this._onKey);
    },

    /* ---- the view in the address: #month=12&lang=ar&colour=movement&layers=zones,places ----------------- */

    _readAddress: function () {
      var h = (window.location.hash || '').replace(/^#/, ''), out = {};
      h.split('&').forEach(function (kv) {
        var i = kv.indexOf('=');
        if (i > 0) {
          try { out[decodeURIComponent(kv.slice(0, i))] = decodeURIComponent(kv.slice(i + 1)); } catch (err) { /* skip */ }
        }
      });
      return out;
    },

    _applyAddress: function () {
      var a = this._readAddress(), self = this;
      if (a.lang) this.setLanguage(a.lang);
      if (a.colour) this.setMode(a.colour);
      var want = a.layers ? a.layers.split(',') : [];
      var known = want.some(function (key) { return Object.prototype.hasOwnProperty.call(self.layers, key); });
      if (a.layers !== undefined && (known || a.layers === '')) {
        Object.keys(this.layers).forEach(function (key) {
          var on = want.indexOf(key) >= 0, layer = self.layers[key];
          if (!self._inControl(layer)) return;
          if (on && !self.map.hasLayer(layer)) layer.addTo(self.map);
          if (!on && self.map.hasLayer(layer)) self.map.removeLayer(layer);
        });
      }
      if (a.month !== undefined && /^\d+$/.test(a.month)) this.setMonth(+a.month);
    },

    /* Leaflet's popup close button, labelled in the language shown */
    _relabelPopup: function (e) {
      var b = e.popup && e.popup.getElement() && e.popup.getElement().querySelector('.leaflet-popup-close-button');
      if (b) { b.setAttribute('aria-label', t('Close')); b.title = t('Close'); }
    },

    /* stop answering the page (keys, the address, the map's events): landplan serve replaces an app this way */
    stop: function () {
      if (this._onKey) document.removeEventListener('keydown', this._onKey);
      if (this._onHash) window.removeEventListener('hashchange', this._onHash);
      this.map.off('overlayadd overlayremove', this._writeAddress, this);
      this.map.off('popupopen', this._relabelPopup, this);
      if (this._onZoom) this.map.off('zoomend', this._onZoom);
      if (this._handle && this._handle.parentNode) this._handle.parentNode.removeChild(this._handle);
      this.off();
      return this;
    },

    _inControl: function (layer) {
      var lc = this._layerControl;
      return !lc || !lc._layers || lc._layers.some(function (o) { return o.layer === layer; });
    },

    /* the address for the view shown: a link to it opens the same month, language, colouring and layers */
    address: function () {
      var self = this, on = Object.keys(this.layers).filter(function (key) {
        return self.map.hasLayer(self.layers[key]) && self._inControl(self.layers[key]);
      });
      return '#month=' + this._month + '&lang=' + encodeURIComponent(I18N.lang) +
        '&colour=' + encodeURIComponent(this._mode || '') + '&layers=' + on.map(encodeURIComponent).join(',');
    },

    _writeAddress: function () {
      if (!this.ready) return;
      try { window.history.replaceState(null, '', this.address()); } catch (err) { /* a sandboxed frame */ }
    },

    /* on a phone the layer list folds into a button that opens and closes it */
    _foldLayerList: function () {
      var box = this.map.getContainer().querySelector('.leaflet-control-layers');
      var phone = window.matchMedia && window.matchMedia('(max-width: 600px)').matches;
      if (!box || !phone || box.lpFolded) return;
      var toggle = box.querySelector('.leaflet-control-layers-toggle');
      box.lpFolded = true;
      L.DomUtil.removeClass(box, 'leaflet-control-layers-expanded');
      toggle.textContent = t('Layers');
      toggle.lpText = true;
      toggle.setAttribute('aria-expanded', 'false');
      var open = false;  /* kept here: Leaflet also opens the list when the button takes the focus */
      L.DomEvent.on(toggle, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        open = !open;
        L.DomUtil[open ? 'addClass' : 'removeClass'](box, 'leaflet-control-layers-expanded');
        toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      });
    },

    /* on a phone (landplan.css, max-width 600px) the panel is a drawer at the bottom, closed at first: a handle
       shows the month and the share of the land under Palestinian security and opens or closes it */
    _drawer: function (frame) {
      var map = this.map.getContainer(), handle = el('button', 'lp-handle'), self = this;
      this._handle = handle;
      handle.type = 'button';
      handle.setAttribute('aria-expanded', 'false');
      frame.insertBefore(handle, frame.firstChild);
      function set(open) {
        L.DomUtil[open ? 'removeClass' : 'addClass'](map, 'lp-drawer-closed');
        handle.setAttribute('aria-expanded', open ? 'true' : 'false');
      }
      handle.addEventListener('click', function () { set(L.DomUtil.hasClass(map, 'lp-drawer-closed')); });
      this.on('monthchange', function (e) {
        var D = self.data.metrics, k = D.columns.indexOf('area_pct_palestinian'), row = D.rows[e.month];
        var text = t('{date} (month {month})', {date: monthName(e.label), month: num(e.month)});
        if (k >= 0 && row) text += ' \u00b7 ' + t('{pct} % under Palestinian security', {pct: rounded(row[k], 'pct')});
        handle.textContent = text;
        handle.setAttribute('aria-label', t('Panel: {what}', {what: text}));
      });
      this.drawer = {open: function () { set(true); }, close: function () { set(false); }};
      if (window.matchMedia && window.matchMedia('(max-width: 600px)').matches) set(false);
      else set(true);
    },

    /* draw for the settled view, show month 0 (or the view the address names), then report ready; layerControl
       is the page's layer list, relabelled in the language shown */
    start: function (layerControl) {
      var self = this;
      this._layerControl = layerControl || null;
      this.zones.activate();
      this._hatch.activate();
      this._foldLayerList();
      this._relabel();
      this._applyAddress();
      this._keys();
      this._paint();
      this.fire('monthchange', {month: this._month, label: this.data.months[this._month]});
      this.on('monthchange modechange languagechange', this._writeAddress, this);
      this.map.on('overlayadd overlayremove', this._writeAddress, this);
      /* an address edited by hand, or a link followed in the same tab, shows its view */
      this._onHash = L.bind(function () { if (window.location.hash !== this.address()) this._applyAddress(); }, this);
      window.addEventListener('hashchange', this._onHash);
      this.map.on('popupopen', this._relabelPopup, this);
      this.ready = performance.now();
      this._writeAddress();
      this.fire('ready');
      return this;
    },

    /* Setters return the value in effect (a number or a string, never the app), so a caller learns where a
       clamped or refused request ended up. */

    /* show month m (clamped to 0..horizon); fires 'monthchange' when the month changes; returns the month shown */
    setMonth: function (m) {
      m = Math.floor(Number(m));
      m = isFinite(m) ? Math.max(0, Math.min(this.horizon, m)) : this._month;
      if (m === this._month) return m;
      this._month = m;
      this._paint();
      this.fire('monthchange', {month: m, label: this.data.months[m]});
      return m;
    },

    /* colour the zones by the named track (an unknown name is ignored); fires 'modechange'; returns the mode */
    setMode: function (name) {
      if (name === this._mode || !this.track(name)) return this._mode;
      this._mode = name;
      this._paint();
      this.fire('modechange', {mode: name});
      return name;
    },

    /* the track (name, states, colors) called name, or the one colouring the zones */
    track: function (name) {
      var wanted = name === undefined ? this._mode : name;
      for (var k = 0; k < this.tracks.length; k++) if (this.tracks[k].name === wanted) return this.tracks[k];
      return null;
    },

    /* choose a zone by index (its timeline shows in the details); fires 'zoneselect'; returns the index */
    selectZone: function (i) {
      this.selected = i;
      this.fire('zoneselect', {index: i});
      return i;
    },

    _zoneClick: function (e) {
      this.selectZone(e.index);
      L.popup().setLatLng(e.latlng).setContent(this.zoneFacts.box(e.index)).openOn(this.map);
    },

    /* ---- the month's state of each entity, read from the payload (what the map draws, the details list) ---- */

    /* the state of zone i on the named track (default: security) in the month shown */
    zoneState: function (i, name) {
      var t = this.track(name || 'security');
      return t ? t.states[at(this.data.zones.states[t.name][i], this._month)[1]] : null;
    },

    /* crossing i's regime, partner, capacity and demand a day and over_capacity in the month shown, by field name;
       null for a crossing the plan does not schedule */
    crossingFlow: function (i) {
      var F = this.data.crossings.flows, rows = F.rows[i];
      if (!rows) return null;
      var r = at(rows, this._month), out = {};
      F.fields.forEach(function (f, k) { out[f] = r[k]; });
      return out;
    },

    /* the state of link i in the month shown; null for a link the plan leaves out */
    linkState: function (i) {
      var states = this.data.links.states[i];
      return states ? at(states, this._month)[1] : null;
    },

    /* the zones (indices) under residual presence k in the month shown: those in its state before it ends */
    residualZones: function (k) {
      var r = this.data.presence.residual[k], self = this;
      if (this._month >= r.ends) return [];
      return r.zones.filter(function (z) { return self.zoneState(z) === r.during; });
    },

    /* whether early-warning station k stands in the month shown */
    stationStands: function (k) {
      var st = this.data.presence.stations[k], m = this._month;
      return m >= st.from && (st.until === null || m < st.until);
    },

    /* the month's lines for the details, each {msg, values, data}: a message in the language shown, its slot values,
       and which slots hold names from the data (shown apart, as data) */
    monthFacts: function () {
      var D = this.data, self = this, lines = [], P = D.presence;
      var linkFacts = new Facts(D.links), crossingFacts = new Facts(D.crossings);
      D.links.states.forEach(function (states, i) {
        var st = self.linkState(i);
        if (st === null) return;
        var cap = D.links.capacity[i][st];
        lines.push({msg: t('Link {name}: {state} ({people} people and {trucks} trucks a day)'), data: ['name'],
          values: {name: linkFacts.title(i), state: self.linkStateLabel(st), people: num(cap[0]), trucks: num(cap[1])}});
      });
      D.crossings.flows.rows.forEach(function (rows, i) {
        var f = rows ? self.crossingFlow(i) : null;
        if (!f || !f.over_capacity) return;
        lines.push({msg: t('Over capacity: {name} ({flow})'), data: ['name'],
          values: {name: crossingFacts.title(i), flow: self._flowText(f)}});
      });
      P.residual.forEach(function (r, k) {
        var under = self.residualZones(k);
        if (!under.length) return;
        lines.push({msg: t('Residual presence {name}: {zones} zones under it, {sites} fixed sites, until {date}'),
          data: ['name'], values: {name: r.id, zones: num(under.length), sites: num(r.site_count || 0),
            date: self._label(r.ends)}});
      });
      P.stations.forEach(function (st, k) {
        if (!self.stationStands(k)) return;
        var next = st.reviews.filter(function (m) { return m >= self._month; })[0];
        lines.push(next === undefined ? {msg: t('Early-warning station {name} standing'), data: ['name'],
          values: {name: st.id}} : {msg: t('Early-warning station {name} standing, next review {date}'), data: ['name'],
          values: {name: st.id, date: self._label(next)}});
      });
      return lines;
    },

    /* a month as the language writes it; beyond the plan's horizon, its number */
    _label: function (m) { return m <= this.horizon ? monthName(this.data.months[m]) : t('month {month}', {month: num(m)}); },

    regimeLabel: function (r) {
      var R = {israeli: t('Israeli'), international: t('international'), joint: t('joint'), palestinian: t('Palestinian')};
      return R[r] || r;
    },

    linkStateLabel: function (st) {
      var S = {closed: t('closed'), escorted_convoys: t('escorted convoys'), open_to_people: t('open to people'),
        open_to_goods: t('open to people and goods')};
      return S[st] || st;
    },

    _flowText: function (f) {
      return t('people a day: {pd} wanting, capacity {pc}; trucks a day: {td} wanting, capacity {tc}',
        {pd: num(f.people_demand), pc: num(f.people_capacity), td: num(f.trucks_demand), tc: num(f.trucks_capacity)});
    },

    _zoneClick: function (e) {
      this.selectZone(e.index);
      L.popup().setLatLng(e.latlng).setContent(this.zoneFacts.box(e.index)).openOn(this.map);
    },

    /* restyle what changes with the month or the colouring: zone fills, crossings (regime, over capacity), links,
       the barrier and the seam zone, removed obstacles, residual presence and stations */
    _paint: function () {
      var m = this._month, t = this.track(), D = this.data, C = D.meta.colors, self = this;
      if (t) this.zones.setFills(D.zones.states[t.name].map(function (c) { return t.colors[at(c, m)[1]]; }));
      var under = D.zones.id.map(function () { return null; });
      D.presence.residual.forEach(function (r, k) {
        self.residualZones(k).forEach(function (z) { under[z] = C.residual; });
      });
      this._hatch.setFills(under);
      for (var k = 0; k < this._dynamic.length; k++) {
        var d = this._dynamic[k];
        restyle(d[0], d[1]);
      }
    },

    _buildLayers: function () {
      var D = this.data, C = D.meta.colors, map = this.map, self = this;
      var renderer = L.canvas({padding: 0.3});
      if (!map.getPane('lpBase')) map.createPane('lpBase').style.zIndex = 250;
      var baseRenderer = L.canvas({padding: 0.3, pane: 'lpBase'});
      /* [group, style of feature i this month]: what _paint restyles, each feature only when its style changes */
      this._dynamic = [];
      function dynamic(group, style) { self._dynamic.push([group, style]); return group; }
      function when(m) { return m === null || m === undefined ? t('not within the plan') : self._label(m); }

      function points(spec, style, more) {
        var facts = new Facts(spec), feats = decode(spec.geom), group = L.featureGroup();
        for (var i = 0; i < feats.length; i++) {
          var c = feats[i][0][0];
          var mk = L.circleMarker([c[1], c[0]], L.extend({renderer: renderer}, style(i)));
          mk.lpIndex = i;
          mk.bindTooltip(facts.lazyBox(i, more), {sticky: true});
          mk.addTo(group);
        }
        return group;
      }

      function shapes(spec, style, rend, more) {
        var facts = spec.fields ? new Facts(spec) : null, feats = decode(spec.geom), group = L.featureGroup();
        for (var i = 0; i < feats.length; i++) {
          var parts = feats[i].map(function (rings) { return rings.map(latlngs); });
          var opts = L.extend({renderer: rend || renderer}, style(i));
          var shape = spec.lines && spec.lines[i] ? L.polyline(parts.map(function (r) { return r[0]; }), opts)
            : L.polygon(parts, opts);
          shape.lpIndex = i;
          if (facts) shape.bindTooltip(facts.lazyBox(i, more), {sticky: true});
          shape.addTo(group);
        }
        return group;
      }

      /* a layer hidden at the start is built the first time it is switched on */
      function lazy(build) {
        var group = L.featureGroup();
        group.once('add', function () { build().eachLayer(function (x) { x.addTo(group); }); });
        return group;
      }

      var layers = {};
      layers.basemap = shapes(D.basemap, function (i) {
        return D.basemap.kind[i] === 'sea'
          ? {fillColor: C.sea, fillOpacity: 1, color: C.sea, weight: 0, interactive: false}
          : {fillColor: C.land, fillOpacity: 1, color: C.land_edge, weight: 0.6, interactive: false};
      }, baseRenderer);
      layers.territories = shapes(D.territories, function () {
        return {fill: false, color: C.territory, weight: 1.2};
      });
      var zoneFeats = decode(D.zones.geom);
      layers.zones = L.landplanZoneLayer(zoneFeats, {
        fill: C.zone_unset, edgeColor: C.zone_edge, active: false
      });
      layers.regions = shapes(D.regions, function () {
        return {color: C.region, weight: 2, fill: true, fillOpacity: 0, dashArray: '8 4'};
      });
      layers.firing_zones = lazy(function () {
        return shapes(D.firing_zones, function () {
          return {color: C.firing_zone, weight: 1, fillColor: C.firing_zone, fillOpacity: 0.18};
        });
      });
      function seamStyle(i) {
        var c = reached(D.seam_zone.reconnected[i], self._month) ? C.seam_reconnected : C.seam_zone;
        return {color: c, weight: 1, fillColor: c, fillOpacity: 0.3};
      }
      layers.seam_zone = dynamic(lazy(function () {
        return shapes(D.seam_zone, seamStyle, null, function (i) {
          return monthTable(t('Barrier'), [[t('reconnected'), when(D.seam_zone.reconnected[i])]]);
        });
      }), seamStyle);
      layers.settlement_areas = shapes(D.settlement_areas, function () {
        return {color: C.settlement_area, weight: 0.8, fillColor: C.settlement_area, fillOpacity: 0.45};
      });
      layers.line = shapes(D.line, function (i) {
        return D.line.lines[i] ? {color: C.line, weight: 3}
          : {color: C.no_mans_land_edge, weight: 1, fillColor: C.no_mans_land, fillOpacity: 0.5, dashArray: '3'};
      });
      layers.barrier = this._barrier(shapes, points, dynamic, when);
      layers.links = this._links(shapes, dynamic);
      layers.jerusalem = shapes(D.jerusalem, function (i) {
        var kind = D.jerusalem.kind[i], rule = D.jerusalem.rule[i], dash = D.jerusalem.schematic[i] ? '5' : null;
        if (kind === 'holy_site') return {color: C.holy_site, weight: 1.5, fillColor: C.holy_site, fillOpacity: 0.5};
        if (kind === 'neighbourhood') {
          var c = rule === 'IL' ? C.clinton_il : C.clinton_ps;
          return {color: c, weight: 0.8, fillColor: c, fillOpacity: 0.25, dashArray: dash};
        }
        return {color: C.jerusalem, weight: 1.5, fillOpacity: kind === 'quarter' ? 0 : 0.08, dashArray: dash};
      });
      /* places by population: their symbols grow as the map zooms in, so at the first view they mark the places
         without hiding the zones; an East Jerusalem neighbourhood or the Hebron enclave is drawn dashed */
      function localityStyle(i) {
        return {radius: (1.5 + Math.sqrt((D.localities.pop[i] || 0) / 1500)) * self.symbolScale(),
          color: C.locality_edge, weight: 0.6, fillColor: C.locality, fillOpacity: 0.6};
      }
      var setlKinds = new Facts(D.settlements);
      function settlementStyle(i) {
        var plain = setlKinds.get(i, 'kind') === 'settlement';
        return {radius: (2 + Math.sqrt((D.settlements.pop[i] || 0) / 400)) * self.symbolScale(),
          color: C.settlement_edge, weight: 1, dashArray: plain ? null : '2 2', fillColor: C.settlement,
          fillOpacity: plain ? 0.7 : 0.35};
      }
      layers.localities = lazy(function () { return points(D.localities, localityStyle); });
      layers.settlements = points(D.settlements, settlementStyle);
      this._onZoom = function () {
        restyle(layers.localities, localityStyle);
        restyle(layers.settlements, settlementStyle);
        restyle(layers.crossings, self._crossingStyle);
      };
      map.on('zoomend', this._onZoom);
      layers.crossings = this._crossings(points, dynamic);
      layers.presence = this._presence(zoneFeats, dynamic);
      layers.early_warning = lazy(function () {
        return points(D.early_warning, function () {
          return {radius: 6, color: C.early_warning, weight: 2, fillColor: C.early_warning, fillOpacity: 0.4};
        });
      });
      /* 811 obstacle markers start hidden: build them the first time the layer is switched on */
      function obstacleStyle(i) {
        var gone = reached(D.obstacles.removed[i], self._month);
        return {radius: 2.5, color: C.obstacle_edge, weight: 1, fillColor: C.obstacle, opacity: gone ? 0 : 1,
          fillOpacity: gone ? 0 : 0.9};
      }
      layers.obstacles = dynamic(lazy(function () {
        return points(D.obstacles, obstacleStyle, function (i) {
          return monthTable(t('Plan'), [[t('removed'), when(D.obstacles.removed[i])]]);
        });
      }), obstacleStyle);
      layers.places = this._places();
      return layers;
    },

    /* place names (both states, the neighbours, the seas, Jerusalem, the main cities), written with textContent;
       rank 1 shows at every zoom, rank 2 from zoom 8, rank 3 from zoom 10, so labels do not crowd the zones */
    _places: function () {
      var D = this.data.places, facts = new Facts(D), feats = decode(D.geom), group = L.layerGroup(), marks = [];
      var labels = [];
      this.on('languagechange', function () {
        labels.forEach(function (l) { l[0].textContent = facts.title(l[1]); });
      });
      var KINDS = {state: 1, country: 1, sea: 1, capital: 1, city: 1}, FROM = {1: 0, 2: 8, 3: 10};
      for (var i = 0; i < feats.length; i++) {
        var c = feats[i][0][0], kind = KINDS[facts.get(i, 'kind')] ? facts.get(i, 'kind') : 'city';
        var label = dataEl('span', 'lp-place-name', facts.title(i));
        labels.push([label, i]);
        var mk = L.marker([c[1], c[0]], {icon: L.divIcon({className: 'lp-place lp-place-' + kind, html: label,
          iconSize: null}), interactive: false, keyboard: false, zIndexOffset: kind === 'city' ? 0 : 1000});
        mk.lpFrom = FROM[facts.get(i, 'rank')] || 0;
        marks.push(mk);
        mk.addTo(group);
      }
      /* the most important first (rank, then states, capitals, neighbours and seas before cities); a label that
         would overlap one already shown stays hidden at this zoom */
      var PRIORITY = {state: 0, capital: 1, country: 2, sea: 3, city: 4};
      var order = marks.map(function (mk, k) { return k; }).sort(function (a, b) {
        var ra = facts.get(a, 'rank'), rb = facts.get(b, 'rank');
        var ka = PRIORITY[facts.get(a, 'kind')], kb = PRIORITY[facts.get(b, 'kind')];
        return ra - rb || (ka === undefined ? 5 : ka) - (kb === undefined ? 5 : kb) || a - b;
      });
      var onMap = null;
      function overlaps(r, placed) {
        return placed.some(function (p) {
          return r.left < p.right + 2 && p.left < r.right + 2 && r.top < p.bottom + 1 && p.top < r.bottom + 1;
        });
      }
      function show() {
        var z = onMap ? onMap.getZoom() : 0, placed = [];
        order.forEach(function (k) {
          var mk = marks[k], el = mk.getElement(), name = labels[k][0];
          var on = z >= mk.lpFrom;
          if (on && el) {
            var r = name.getBoundingClientRect();
            on = r.width === 0 || !overlaps(r, placed);
            if (on) placed.push(r);
          }
          mk.setOpacity(on ? 1 : 0);
          if (el) el.setAttribute('aria-hidden', on ? 'false' : 'true');
        });
      }
      this.on('languagechange', function () { if (onMap) show(); });
      group.on('add', function () { onMap = group._map; show(); onMap.on('zoomend', show); });
      group.on('remove', function () { if (onMap) onMap.off('zoomend', show); onMap = null; });
      return group;
    },

    /* crossings: filled by their regime when open, ringed when demand is above capacity that month */
    _crossings: function (points, dynamic) {
      var D = this.data, C = D.meta.colors, RC = D.meta.regime_colors, self = this, facts = new Facts(D.crossings);
      /* a border terminal is drawn larger than a checkpoint; every symbol grows with the zoom */
      function style(i) {
        var f = self.crossingFlow(i), open = reached(D.crossings.open[i], self._month);
        var over = !!(f && f.over_capacity), base = facts.get(i, 'kind') === 'border_terminal' ? 6 : 4;
        return {radius: (over ? base + 3 : base) * self.symbolScale(), color: over ? C.crossing_over : C.crossing,
          weight: over ? 4 : 2, fillColor: !open ? C.crossing_closed : (f && RC[f.regime]) || C.crossing,
          fillOpacity: 1};
      }
      this._crossingStyle = style;
      return dynamic(points(D.crossings, style, function (i) {
        var f = self.crossingFlow(i);
        if (!f) return null;
        return monthTable(self._planTitle(), [
          [t('regime'), f.partner ? t('{regime} with {partner}', {regime: self.regimeLabel(f.regime), partner: f.partner}) : self.regimeLabel(f.regime)],
          [t('people a day'), t('{n} wanting, capacity {cap}', {n: num(f.people_demand), cap: num(f.people_capacity)})],
          [t('trucks a day'), t('{n} wanting, capacity {cap}', {n: num(f.trucks_demand), cap: num(f.trucks_capacity)})],
          [t('over capacity'), f.over_capacity ? t('yes') : t('no')]
        ]);
      }), style);
    },

    /* the Gaza - West Bank links, each drawn in its state of the month */
    _links: function (shapes, dynamic) {
      var D = this.data, C = D.meta.colors, S = D.meta.link_styles, self = this;
      function style(i) {
        var st = self.linkState(i);
        if (st === null || !S[st]) return {color: C.link, weight: 3, dashArray: '10 6'};
        return {color: S[st].color, weight: S[st].weight, dashArray: S[st].dash};
      }
      return dynamic(shapes(D.links, style, null, function (i) {
        var st = self.linkState(i);
        if (st === null) return null;
        var cap = D.links.capacity[i][st];
        var rows = [[t('state'), self.linkStateLabel(st)], [t('people a day'), cap[0]], [t('trucks a day'), cap[1]]];
        D.links.states[i].forEach(function (c) { rows.push([self._label(c[0]), self.linkStateLabel(c[1])]); });
        return monthTable(self._planTitle(), rows);
      }), style);
    },

    /* the barrier route and its gates: standing, or removed once the plan's step for their zone ends */
    _barrier: function (shapes, points, dynamic, when) {
      var D = this.data, C = D.meta.colors, self = this, group = L.featureGroup();
      function route(i) {
        if (reached(D.barrier.removed[i], self._month)) return {color: C.barrier_removed, weight: 1.5, dashArray: '1 5'};
        return {color: C.barrier, weight: 2, dashArray: D.barrier.status[i] === 'constructed' ? null : '4 4'};
      }
      function gate(i) {
        var gone = reached(D.barrier_gates.removed[i], self._month);
        return {radius: 3, color: C.barrier, weight: 1, fillColor: C.barrier_gate, opacity: gone ? 0 : 1,
          fillOpacity: gone ? 0 : 1};
      }
      function removal(spec) {
        return function (i) { return monthTable(t('Plan'), [[t('removed'), when(spec.removed[i])]]); };
      }
      /* one group on the map holds both; each kind is restyled through its own group */
      [dynamic(shapes(D.barrier, route, null, removal(D.barrier)), route),
        dynamic(points(D.barrier_gates, gate, removal(D.barrier_gates)), gate)].forEach(function (part) {
        part.eachLayer(function (x) { x.addTo(group); });
      });
      return group;
    },

    /* zones under a residual presence (hatched, drawn by _paint), its sited places and the early-warning stations */
    _presence: function (zoneFeats, dynamic) {
      var D = this.data, C = D.meta.colors, P = D.presence, self = this;
      var sites = decode(D.early_warning.geom), siteFacts = new Facts(D.early_warning);
      var renderer = L.canvas({padding: 0.3}), group = L.layerGroup(), marks = L.featureGroup(), kinds = [];
      this._hatch = L.landplanZoneLayer(zoneFeats, {pane: 'lpPresence', zIndex: 360, hatch: true, interactive: false,
        fillOpacity: 0.9, active: false});
      this._hatch.addTo(group);
      function mark(site, kind, k) {
        var c = sites[site][0][0], mk = L.circleMarker([c[1], c[0]], {renderer: renderer});
        mk.lpIndex = kinds.length;
        kinds.push([kind, k]);
        mk.bindTooltip(siteFacts.lazyBox(site, function () { return self._presenceBox(kind, k); }), {sticky: true});
        mk.addTo(marks);
      }
      P.residual.forEach(function (r, k) { r.sites.forEach(function (s) { mark(s, 'residual', k); }); });
      P.stations.forEach(function (st, k) { if (st.site !== null) mark(st.site, 'station', k); });
      function style(i) {
        var kind = kinds[i][0], k = kinds[i][1];
        var on = kind === 'station' ? self.stationStands(k) : self.residualZones(k).length > 0;
        var c = kind === 'station' ? C.station : C.residual;
        return {radius: kind === 'station' ? 7 : 5, color: c, weight: 2, fillColor: c, opacity: on ? 1 : 0,
          fillOpacity: on ? 0.5 : 0};
      }
      dynamic(marks, style).addTo(group);
      return group;
    },

    _presenceBox: function (kind, k) {
      var P = this.data.presence, self = this;
      if (kind === 'residual') {
        var r = P.residual[k];
        return monthTable(this._planTitle(), [[t('residual presence'), r.id],
          [t('during'), this.stateLabel(r.during)], [t('until'), this._label(r.ends)],
          [t('zones under it'), this.residualZones(k).length], [t('source'), r.source]]);
      }
      var st = P.stations[k], reviews = st.reviews.map(function (m) { return self._label(m); });
      return monthTable(this._planTitle(), [[t('early-warning station'), st.id],
        [t('from'), this._label(st.from)], [t('until'), st.until === null ? t('beyond the plan') : this._label(st.until)],
        [t('standing'), this.stationStands(k) ? t('yes') : t('no')], [t('reviews'), reviews.join(t(', ')) || t('none')],
        [t('source'), st.source]]);
    },

    _planTitle: function () { return t('Plan, {date}', {date: this._label(this._month)}); }
  });

  Object.defineProperties(L.Landplan.prototype, {
    month: {get: function () { return this._month; }},  /* the month shown */
    mode: {get: function () { return this._mode; }}     /* the track colouring the zones */
  });

  /* the words of the page for its plugins (border.js): t(message, values), num(value, options), monthName(YYYY-MM),
     rich(node, message in the language shown, values, slots holding data) */
  L.Landplan.i18n = {t: t, num: num, monthName: monthName, rich: rich};

  L.landplan = function (map, data, options) { return new L.Landplan(map, data, options); };
})(L);
