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
  Facts.prototype.title = function (i) { return this.get(i, 'name'); };
  Facts.prototype.box = function (i) {
    var box = el('div', 'lp-facts'), values = this.rows[i];
    box.appendChild(dataEl('div', 'lp-facts-title', this.title(i)));
    var t = el('table');
    for (var k = 0; k < this.fields.length; k++) {
      var v = values[k];
      if (v === null || v === undefined || v === '') continue;
      var tr = el('tr');
      tr.appendChild(el('th', null, this.fields[k]));
      tr.appendChild(typeof v === 'number' ? el('td', null, v.toLocaleString('en')) : dataEl('td', null, v));
      t.appendChild(tr);
    }
    box.appendChild(t);
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

  function num(v) { return typeof v === 'number' ? v.toLocaleString('en') : v; }

  /* a small table of [label, value] rows under a heading; labels are fixed text, values data */
  function monthTable(title, rows) {
    var box = el('div', 'lp-facts-month');
    box.appendChild(el('div', 'lp-facts-title', title));
    var t = el('table');
    rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('th', null, r[0]));
      tr.appendChild(dataEl('td', null, num(r[1])));
      t.appendChild(tr);
    });
    box.appendChild(t);
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
      box.appendChild(dataEl('div', 'lp-title', M.plan));
      var row = el('div', 'lp-row');
      this._play = el('button', 'lp-play', '\u25B6');
      this._play.type = 'button'; this._play.title = 'play';
      this._slider = el('input', 'lp-slider');
      this._slider.type = 'range'; this._slider.min = '0'; this._slider.max = String(M.horizon);
      this._slider.value = '0';
      this._label = el('span', 'lp-month');
      row.appendChild(this._play); row.appendChild(this._slider); row.appendChild(this._label);
      box.appendChild(row);
      var modes = el('div', 'lp-row');
      this._radios = {};
      app.tracks.forEach(function (t) {
        var lab = el('label', 'lp-mode'), r = el('input');
        r.type = 'radio'; r.name = 'lp-mode'; r.value = t.name;
        r.addEventListener('change', function () { if (r.checked) app.setMode(t.name); });
        lab.appendChild(r); lab.appendChild(document.createTextNode(' colour by '));
        lab.appendChild(dataEl('span', null, t.name));
        modes.appendChild(lab);
        this._radios[t.name] = r;
      }, this);
      box.appendChild(modes);
      var self = this;
      this._slider.addEventListener('input', function () { app.setMonth(+self._slider.value); });
      this._play.addEventListener('click', function () { if (self._timer) self._stop(); else self._start(); });
    },
    _events: function () { return {monthchange: this._refresh, modechange: this._refresh}; },
    _refresh: function () {
      var app = this._app, m = app.month;
      this._slider.value = String(m);
      this._label.textContent = app.data.months[m] + ' (month ' + m + ')';
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
    _swatch: function (color, text) {
      var s = el('div', 'lp-swatch');
      var b = el('span', 'lp-box'); b.style.background = color;
      s.appendChild(b); s.appendChild(dataEl('span', null, text));
      return s;
    },
    _refresh: function () {
      var app = this._app, map = this._map, legend = app.data.meta.legend, box = this._box, self = this;
      box.textContent = '';
      var t = app.track();
      if (t && map.hasLayer(app.zones)) {
        var z = el('div', 'lp-legend-block');
        var head = el('div', 'lp-legend-title', 'zones: ');
        head.appendChild(dataEl('span', null, t.name));
        z.appendChild(head);
        t.states.forEach(function (n, k) { z.appendChild(self._swatch(t.colors[k], n)); });
        box.appendChild(z);
      }
      Object.keys(legend).forEach(function (key) {
        if (!app.layers[key] || !map.hasLayer(app.layers[key])) return;
        var b = el('div', 'lp-legend-block');
        legend[key].forEach(function (entry) { b.appendChild(self._swatch(entry[0], entry[1])); });
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
    }
  });

  L.Control.LandplanDetails = AppControl.extend({
    className: 'lp-details',
    _build: function (box) {
      this._month = el('div', 'lp-month-facts');
      this._metrics = el('table', 'lp-metrics');
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
    _drawMetrics: function () {
      var table = this._metrics, D = this._app.data, cols = D.metrics.columns, vals = D.metrics.rows[this._app.month];
      var units = D.metrics.units;
      table.textContent = '';
      for (var k = 0; k < cols.length; k++) {
        if (cols[k] === 'month' || cols[k] === 'date') continue;
        var tr = el('tr');
        tr.appendChild(dataEl('th', null, cols[k].replace(/_/g, ' ')));
        var td = el('td', null, num(vals[k]));
        td.setAttribute('data-metric', cols[k]);
        tr.appendChild(td);
        tr.appendChild(dataEl('td', 'lp-unit', units[k]));
        table.appendChild(tr);
      }
    },
    /* the month's state of the plan's other entities: links, crossings over capacity, residual presence, stations */
    _drawNews: function () {
      var box = this._month, lines = this._app.monthFacts();
      box.textContent = '';
      if (!lines.length) return;
      box.appendChild(el('div', 'lp-legend-title', 'this month'));
      var ul = el('ul');
      lines.forEach(function (parts) {
        var li = el('li');
        parts.forEach(function (p, k) { li.appendChild(k % 2 ? dataEl('span', null, p) : document.createTextNode(p)); });
        ul.appendChild(li);
      });
      box.appendChild(ul);
    },
    _drawZone: function () {
      var app = this._app, i = app.selected, D = app.data, box = this._zone;
      box.textContent = '';
      if (i === null) return;
      var head = el('div', 'lp-legend-title');
      head.appendChild(dataEl('span', null, app.zoneFacts.title(i)));
      head.appendChild(document.createTextNode(': timeline'));
      box.appendChild(head);
      var items = [];
      app.tracks.forEach(function (t) {
        D.zones.states[t.name][i].forEach(function (c, k) {
          items.push([c[0], t.name, t.states[c[1]] + (k ? '' : ' (at the start)')]);
        });
      });
      D.zones.obstacles[i].forEach(function (c) { items.push([c[0], 'obstacles removed', c[1]]); });
      items.sort(function (a, b) { return a[0] - b[0]; });
      var ul = el('ul');
      items.forEach(function (it) {
        var li = el('li', null, D.months[it[0]] + '  ');
        li.appendChild(dataEl('span', null, it[1]));
        li.appendChild(document.createTextNode(': '));
        li.appendChild(dataEl('span', null, it[2]));
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
      box.dir = 'ltr';  /* each piece is isolated, so none can reorder another (the hash above all) */
      function part(node, after) { box.appendChild(node); box.appendChild(document.createTextNode(after)); }
      function ltr(cls, text) { var e = el('span', cls, text); e.dir = 'ltr'; return e; }
      part(dataEl('span', 'lp-plan', M.plan), ' \u00B7 plan+layers ');
      part(ltr('lp-hash', M.hash), ' \u00B7 built ');
      part(ltr('lp-built', M.built), ' \u00B7 ');
      part(ltr('lp-attribution', M.attribution), ' Map: Leaflet.');
    },
    addTo: function (map) {  /* the footer is the last thing at the bottom, under the scale */
      L.Control.prototype.addTo.call(this, map);
      var box = this.getContainer();
      box.parentNode.appendChild(box);
      return this;
    }
  });

  L.control.landplanPanel = function (app, options) { return new L.Control.LandplanPanel(app, options); };
  L.control.landplanLegend = function (app, options) { return new L.Control.LandplanLegend(app, options); };
  L.control.landplanGantt = function (app, options) { return new L.Control.LandplanGantt(app, options); };
  L.control.landplanDetails = function (app, options) { return new L.Control.LandplanDetails(app, options); };
  L.control.landplanFooter = function (app, options) { return new L.Control.LandplanFooter(app, options); };

  /* ---- the app ------------------------------------------------------------------------------------------- */

  L.Landplan = L.Evented.extend({
    options: {
      playInterval: 400,  /* ms per month when playing */
      controls: ['panel', 'legend', 'gantt', 'details', 'footer']
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
      this.selected = null;
      this.ready = null;
      this._month = 0;
      this._mode = this.tracks.length ? this.tracks[0].name : null;
      L.DomUtil.addClass(map.getContainer(), 'lp-map');
      this.layers = this._buildLayers();
      this.zones = this.layers.zones;
      this.zoneFacts = new Facts(data.zones);
      this.zones.on('zoneclick', this._zoneClick, this);
      this.controls = {};
      this.options.controls.forEach(function (name) {
        var factory = L.control['landplan' + name.charAt(0).toUpperCase() + name.slice(1)];
        this.controls[name] = factory(this).addTo(map);
      }, this);
      /* the controls on the right are framed as one panel (landplan.css): keep its clicks and wheel off the map */
      if (this.controls.panel) {
        guard(this.controls.panel.getContainer().parentNode);
        this._drawer(this.controls.panel.getContainer().parentNode);
      }
    },

    /* on a phone the layer list folds into a button that opens and closes it */
    _foldLayerList: function () {
      var box = this.map.getContainer().querySelector('.leaflet-control-layers');
      var phone = window.matchMedia && window.matchMedia('(max-width: 600px)').matches;
      if (!box || !phone || box.lpFolded) return;
      var toggle = box.querySelector('.leaflet-control-layers-toggle');
      box.lpFolded = true;
      L.DomUtil.removeClass(box, 'leaflet-control-layers-expanded');
      toggle.textContent = 'Layers';
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
        var text = e.label + ' (month ' + e.month + ')';
        if (k >= 0 && row) text += ' \u00b7 ' + num(row[k]) + ' % under Palestinian security';
        handle.textContent = text;
      });
      this.drawer = {open: function () { set(true); }, close: function () { set(false); }};
      if (window.matchMedia && window.matchMedia('(max-width: 600px)').matches) set(false);
      else set(true);
    },

    /* draw for the settled view, show month 0, then report ready */
    start: function () {
      this.zones.activate();
      this._hatch.activate();
      this._foldLayerList();
      this._paint();
      this.fire('monthchange', {month: this._month, label: this.data.months[this._month]});
      this.ready = performance.now();
      this.fire('ready');
      return this;
    },

    /* Setters return the value in effect (a number or a string, never the app), so a caller learns where a
       clamped or refused request ended up. */

    /* show month m (clamped to 0..horizon); fires 'monthchange' when the month changes; returns the month shown */
    setMonth: function (m) {
      m = Math.max(0, Math.min(this.horizon, m | 0));
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

    /* the month's lines for the details: [fixed text, data, fixed text, data, ...] each */
    monthFacts: function () {
      var D = this.data, self = this, lines = [], P = D.presence;
      var linkFacts = new Facts(D.links), crossingFacts = new Facts(D.crossings);
      D.links.states.forEach(function (states, i) {
        var st = self.linkState(i);
        if (st === null) return;
        var cap = D.links.capacity[i][st];
        lines.push(['link ', linkFacts.title(i), ': ', st,
          ' (' + num(cap[0]) + ' people and ' + num(cap[1]) + ' trucks a day)']);
      });
      D.crossings.flows.rows.forEach(function (rows, i) {
        var f = rows ? self.crossingFlow(i) : null;
        if (!f || !f.over_capacity) return;
        lines.push(['over capacity: ', crossingFacts.title(i), ' (' + self._flowText(f) + ')']);
      });
      P.residual.forEach(function (r, k) {
        var under = self.residualZones(k);
        if (!under.length) return;
        lines.push(['residual presence ', r.id, ': zones under it: ' + under.length +
          (r.site_count ? '; fixed sites: ' + num(r.site_count) : '') + '; until ' + self._label(r.ends)]);
      });
      P.stations.forEach(function (st, k) {
        if (!self.stationStands(k)) return;
        var next = st.reviews.filter(function (m) { return m >= self._month; })[0];
        lines.push(['early-warning station ', st.id, next === undefined ? ' standing'
          : ' standing, next review ' + self._label(next)]);
      });
      return lines;
    },

    _label: function (m) { return m <= this.horizon ? this.data.months[m] : 'month ' + m; },

    _flowText: function (f) {
      return 'people a day: ' + num(f.people_demand) + ' wanting, capacity ' + num(f.people_capacity) +
        '; trucks a day: ' + num(f.trucks_demand) + ' wanting, capacity ' + num(f.trucks_capacity);
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
      function when(m) { return m === null || m === undefined ? 'not within the plan' : self._label(m); }

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
          return monthTable('barrier', [['reconnected', when(D.seam_zone.reconnected[i])]]);
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
      layers.localities = lazy(function () {
        return points(D.localities, function (i) {
          return {radius: 1.5 + Math.sqrt((D.localities.pop[i] || 0) / 1500), color: C.locality_edge, weight: 0.6,
            fillColor: C.locality, fillOpacity: 0.6};
        });
      });
      layers.settlements = points(D.settlements, function (i) {
        return {radius: 2 + Math.sqrt((D.settlements.pop[i] || 0) / 400), color: C.settlement_edge, weight: 1,
          fillColor: C.settlement, fillOpacity: 0.7};
      });
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
          return monthTable('plan', [['removed', when(D.obstacles.removed[i])]]);
        });
      }), obstacleStyle);
      layers.places = this._places();
      return layers;
    },

    /* place names (both states, the neighbours, the seas, Jerusalem, the main cities), written with textContent;
       rank 1 shows at every zoom, rank 2 from zoom 8, rank 3 from zoom 10, so labels do not crowd the zones */
    _places: function () {
      var D = this.data.places, facts = new Facts(D), feats = decode(D.geom), group = L.layerGroup(), marks = [];
      var KINDS = {state: 1, country: 1, sea: 1, capital: 1, city: 1}, FROM = {1: 0, 2: 8, 3: 10};
      for (var i = 0; i < feats.length; i++) {
        var c = feats[i][0][0], kind = KINDS[facts.get(i, 'kind')] ? facts.get(i, 'kind') : 'city';
        var label = dataEl('span', 'lp-place-name', facts.get(i, 'name'));
        var mk = L.marker([c[1], c[0]], {icon: L.divIcon({className: 'lp-place lp-place-' + kind, html: label,
          iconSize: null}), interactive: false, keyboard: false, zIndexOffset: kind === 'city' ? 0 : 1000});
        mk.lpFrom = FROM[facts.get(i, 'rank')] || 0;
        marks.push(mk);
        mk.addTo(group);
      }
      var onMap = null;
      function show() {
        var z = onMap ? onMap.getZoom() : 0;
        marks.forEach(function (mk) { mk.setOpacity(z >= mk.lpFrom ? 1 : 0); });
      }
      group.on('add', function () { onMap = group._map; show(); onMap.on('zoomend', show); });
      group.on('remove', function () { if (onMap) onMap.off('zoomend', show); onMap = null; });
      return group;
    },

    /* crossings: filled by their regime when open, ringed when demand is above capacity that month */
    _crossings: function (points, dynamic) {
      var D = this.data, C = D.meta.colors, RC = D.meta.regime_colors, self = this;
      function style(i) {
        var f = self.crossingFlow(i), open = reached(D.crossings.open[i], self._month);
        var over = !!(f && f.over_capacity);
        return {radius: over ? 8 : 5, color: over ? C.crossing_over : C.crossing, weight: over ? 4 : 2,
          fillColor: !open ? C.crossing_closed : (f && RC[f.regime]) || C.crossing, fillOpacity: 1};
      }
      return dynamic(points(D.crossings, style, function (i) {
        var f = self.crossingFlow(i);
        if (!f) return null;
        return monthTable('plan, ' + self._label(self._month), [
          ['regime', f.regime + (f.partner ? ' with ' + f.partner : '')],
          ['people a day', num(f.people_demand) + ' wanting, capacity ' + num(f.people_capacity)],
          ['trucks a day', num(f.trucks_demand) + ' wanting, capacity ' + num(f.trucks_capacity)],
          ['over capacity', f.over_capacity ? 'yes' : 'no']
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
        var cap = D.links.capacity[i][st], rows = [['state', st], ['people a day', cap[0]], ['trucks a day', cap[1]]];
        D.links.states[i].forEach(function (c) { rows.push([self._label(c[0]), c[1]]); });
        return monthTable('plan, ' + self._label(self._month), rows);
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
        return function (i) { return monthTable('plan', [['removed', when(spec.removed[i])]]); };
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
        return monthTable('plan, ' + this._label(this._month), [['residual presence', r.id],
          ['during', r.during], ['until', this._label(r.ends)], ['zones under it', this.residualZones(k).length],
          ['source', r.source]]);
      }
      var st = P.stations[k], reviews = st.reviews.map(function (m) { return self._label(m); });
      return monthTable('plan, ' + this._label(this._month), [['early-warning station', st.id],
        ['from', this._label(st.from)], ['until', st.until === null ? 'beyond the plan' : this._label(st.until)],
        ['standing', this.stationStands(k) ? 'yes' : 'no'], ['reviews', reviews.join(', ') || 'none'],
        ['source', st.source]]);
    }
  });

  Object.defineProperties(L.Landplan.prototype, {
    month: {get: function () { return this._month; }},  /* the month shown */
    mode: {get: function () { return this._mode; }}     /* the track colouring the zones */
  });

  L.landplan = function (map, data, options) { return new L.Landplan(map, data, options); };
})(L);
