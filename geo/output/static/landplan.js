/* landplan phase map. Reads the JSON payload in #landplan-data; every text from data reaches the page as
   textContent (never as HTML), in an element of its own that takes its direction from its own text and keeps
   it inside (dataEl), so a right-to-left name cannot reorder the text around it. Zones are drawn on one
   canvas from Path2D objects built once per view; a month step only refills them. */
(function () {
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

  /* -> features: [ [ [ring as Float64Array lon,lat,...], ...rings ], ...parts ] */
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

  function facts(title, fields, values) {
    var box = el('div', 'lp-facts');
    box.appendChild(dataEl('div', 'lp-facts-title', title));
    var t = el('table');
    for (var k = 0; k < fields.length; k++) {
      var v = values[k];
      if (v === null || v === undefined || v === '') continue;
      var tr = el('tr');
      tr.appendChild(el('th', null, fields[k]));
      tr.appendChild(typeof v === 'number' ? el('td', null, v.toLocaleString('en')) : dataEl('td', null, v));
      t.appendChild(tr);
    }
    box.appendChild(t);
    return box;
  }

  function lazyFacts(title, spec, i) {  /* tooltip content is built when it first opens */
    return function () { return facts(title(i), spec.fields, spec.props[i]); };
  }

  function level(arr, m) {  /* how many steps of a ladder are done by month m */
    var k = 0;
    while (k < arr.length && arr[k] !== null && arr[k] <= m) k++;
    return k;
  }

  var ZoneLayer = L.Layer.extend({
    initialize: function (feats, onClick) {
      this._feats = feats.map(function (parts) {
        return parts.map(function (rings) { return rings.map(mercator); });
      });
      this._fills = feats.map(function () { return '#cccccc'; });
      this._onClick = onClick;
    },
    onAdd: function (map) {
      this._map = map;
      this._canvas = L.DomUtil.create('canvas', 'lp-zones');
      map.getPane('lpZones').appendChild(this._canvas);
      map.on('moveend resize viewreset', this._reset, this);
      map.on('zoomstart', this._hide, this);
      map.on('click', this._click, this);
      this._reset();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off('moveend resize viewreset', this._reset, this);
      map.off('zoomstart', this._hide, this);
      map.off('click', this._click, this);
    },
    _hide: function () { this._canvas.style.visibility = 'hidden'; },
    _reset: function () {
      if (!this._live) return;  /* nothing is drawn before the app starts on its final view */
      var map = this._map, size = map.getSize(), dpr = window.devicePixelRatio || 1;
      var tl = map.containerPointToLayerPoint([0, 0]), origin = map.getPixelOrigin();
      var view = [map.getZoom(), origin.x, origin.y, tl.x, tl.y, size.x, size.y, dpr].join(',');
      if (view === this._view) { this._canvas.style.visibility = 'visible'; return; }
      this._view = view;
      var scale = Math.pow(2, map.getZoom()), ox = origin.x + tl.x, oy = origin.y + tl.y;
      var c = this._canvas;
      L.DomUtil.setPosition(c, tl);
      c.width = size.x * dpr; c.height = size.y * dpr;
      c.style.width = size.x + 'px'; c.style.height = size.y + 'px';
      this._dpr = dpr;
      this._edges = null;
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
      c.style.visibility = 'visible';
      this._draw();
    },
    _draw: function () {
      var c = this._canvas, ctx = c.getContext('2d'), n = this._paths.length, dpr = this._dpr;
      if (!this._edges) {  /* outlines do not change with the month: stroke them once per view */
        this._edges = document.createElement('canvas');
        this._edges.width = c.width; this._edges.height = c.height;
        var e = this._edges.getContext('2d');
        e.setTransform(dpr, 0, 0, dpr, 0, 0);
        e.lineWidth = 0.6; e.strokeStyle = 'rgba(60,60,60,0.8)';
        for (var j = 0; j < n; j++) e.stroke(this._paths[j]);
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, c.width, c.height);
      ctx.globalAlpha = 0.78;
      for (var i = 0; i < n; i++) { ctx.fillStyle = this._fills[i]; ctx.fill(this._paths[i], 'evenodd'); }
      ctx.globalAlpha = 1;
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.drawImage(this._edges, 0, 0);
      this.painted = n;
    },
    setFills: function (fills) { this._fills = fills; if (this._paths) this._draw(); },
    _click: function (e) {
      var p = e.containerPoint, ctx = this._canvas.getContext('2d');
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      for (var i = this._paths.length - 1; i >= 0; i--) {
        var b = this._boxes[i];
        if (p.x < b[0] || p.x > b[2] || p.y < b[1] || p.y > b[3]) continue;
        if (ctx.isPointInPath(this._paths[i], p.x * this._dpr, p.y * this._dpr, 'evenodd')) {
          ctx.setTransform(this._dpr, 0, 0, this._dpr, 0, 0);
          this._onClick(i, e.latlng);
          return;
        }
      }
    }
  });

  function init(map) {
    var D = JSON.parse(document.getElementById('landplan-data').textContent);
    var M = D.meta, app = {data: D, layers: {}, month: 0, mode: 'security', ready: null};
    map.createPane('lpBase').style.zIndex = 250;
    map.createPane('lpZones').style.zIndex = 350;
    var renderer = L.canvas({padding: 0.3});
    var baseRenderer = L.canvas({padding: 0.3, pane: 'lpBase'});
    var stateColors = M.state_colors, levelColors = M.level_colors;

    function pointLayer(spec, style, title) {
      var feats = decode(spec.geom), group = L.featureGroup(), markers = [];
      for (var i = 0; i < feats.length; i++) {
        var c = feats[i][0][0];
        var m = L.circleMarker([c[1], c[0]], L.extend({renderer: renderer}, style(i)));
        m.bindTooltip(lazyFacts(title, spec, i), {sticky: true});
        m.addTo(group);
        markers.push(m);
      }
      group.markers = markers;
      return group;
    }

    function shapeLayer(spec, style, title, rend) {
      var feats = decode(spec.geom), group = L.featureGroup();
      for (var i = 0; i < feats.length; i++) {
        var parts = feats[i].map(function (rings) { return rings.map(latlngs); });
        var opts = L.extend({renderer: rend || renderer}, style(i));
        var shape = spec.lines && spec.lines[i] ? L.polyline(parts.map(function (r) { return r[0]; }), opts)
          : L.polygon(parts, opts);
        if (title) shape.bindTooltip(lazyFacts(title, spec, i), {sticky: true});
        shape.addTo(group);
      }
      return group;
    }

    var base = D.basemap;
    app.layers.basemap = shapeLayer(base, function (i) {
      return base.kind[i] === 'sea'
        ? {fillColor: '#c6dbef', fillOpacity: 1, color: '#c6dbef', weight: 0, interactive: false}
        : {fillColor: '#efece4', fillOpacity: 1, color: '#b5b0a5', weight: 0.6, interactive: false};
    }, null, baseRenderer);
    app.layers.territories = shapeLayer(D.territories, function () {
      return {fill: false, color: '#444', weight: 1.2};
    }, function (i) { return D.territories.props[i][0]; });
    var Z = D.zones;
    app.zones = new ZoneLayer(decode(Z.geom), function (i, latlng) {
      showZone(i);
      L.popup().setLatLng(latlng).setContent(facts(Z.props[i][0], Z.fields, Z.props[i])).openOn(map);
    });
    app.layers.zones = app.zones;
    app.layers.line = shapeLayer(D.line, function (i) {
      return D.line.lines[i] ? {color: '#00441b', weight: 3}
        : {color: '#555', weight: 1, fillColor: '#999', fillOpacity: 0.5, dashArray: '3'};
    }, function (i) { return D.line.props[i][0]; });
    app.layers.jerusalem = shapeLayer(D.jerusalem, function (i) {
      return {color: '#7f0000', weight: 1.5, fillOpacity: 0.12, dashArray: D.jerusalem.schematic[i] ? '5' : null};
    }, function (i) { return D.jerusalem.props[i][0]; });
    var S = D.settlements;
    app.layers.settlements = pointLayer(S, function (i) {
      return {radius: 2 + Math.sqrt((S.pop[i] || 0) / 400), color: '#4d004b', weight: 1, fillColor: '#88419d',
        fillOpacity: 0.7};
    }, function (i) { return S.props[i][0]; });
    var C = D.crossings;
    app.layers.crossings = pointLayer(C, function () {
      return {radius: 5, color: '#08306b', weight: 2, fillColor: '#ffffff', fillOpacity: 1};
    }, function (i) { return C.props[i][0]; });
    var O = D.obstacles;
    /* 811 obstacle markers start hidden: build them the first time the layer is switched on */
    app.layers.obstacles = L.featureGroup();
    app.layers.obstacles.markers = [];
    app.layers.obstacles.once('add', function () {
      var built = pointLayer(O, function () {
        return {radius: 2.5, color: '#636363', weight: 1, fillColor: '#bdbdbd', fillOpacity: 0.9};
      }, function (i) { return O.props[i][0]; });
      built.markers.forEach(function (mk) { mk.addTo(app.layers.obstacles); });
      app.layers.obstacles.markers = built.markers;
      setMonth(app.month);
    });

    /* panel */
    var panel = el('div', 'lp-panel');
    panel.appendChild(dataEl('div', 'lp-title', M.plan));
    var row = el('div', 'lp-row');
    var play = el('button', 'lp-play', '\u25B6');
    play.type = 'button'; play.title = 'play';
    var slider = el('input', 'lp-slider');
    slider.type = 'range'; slider.min = '0'; slider.max = String(M.horizon); slider.value = '0';
    var label = el('span', 'lp-month');
    row.appendChild(play); row.appendChild(slider); row.appendChild(label);
    panel.appendChild(row);
    var modes = el('div', 'lp-row');
    ['security', 'movement'].forEach(function (m) {
      var lab = el('label', 'lp-mode'), r = el('input');
      r.type = 'radio'; r.name = 'lp-mode'; r.value = m; r.checked = m === 'security';
      r.addEventListener('change', function () { app.mode = m; setMonth(app.month); drawLegend(); });
      lab.appendChild(r); lab.appendChild(document.createTextNode(' colour by ' + m));
      modes.appendChild(lab);
    });
    panel.appendChild(modes);
    var legend = el('div', 'lp-legend');
    panel.appendChild(legend);
    var gantt = el('canvas', 'lp-gantt');
    gantt.width = 300; gantt.height = 44;
    panel.appendChild(gantt);
    var metrics = el('table', 'lp-metrics');
    panel.appendChild(metrics);
    var zoneBox = el('div', 'lp-zone');
    panel.appendChild(zoneBox);
    document.body.appendChild(panel);
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);

    var footer = el('div', 'lp-footer');
    footer.dir = 'ltr';  /* each piece is isolated, so none can reorder another (the hash above all) */
    function footerPart(node, after) { footer.appendChild(node); footer.appendChild(document.createTextNode(after)); }
    function ltr(cls, text) { var e = el('span', cls, text); e.dir = 'ltr'; return e; }
    footerPart(dataEl('span', 'lp-plan', M.plan), ' \u00B7 plan+layers ');
    footerPart(ltr('lp-hash', M.hash), ' \u00B7 built ');
    footerPart(ltr('lp-built', M.built), ' \u00B7 ');
    footerPart(ltr('lp-attribution', M.attribution), ' Map: Leaflet.');
    document.body.appendChild(footer);

    function swatch(color, text) {
      var s = el('div', 'lp-swatch');
      var b = el('span', 'lp-box'); b.style.background = color;
      s.appendChild(b); s.appendChild(dataEl('span', null, text));
      return s;
    }
    var LEGENDS = {
      territories: [['#444444', 'territory outline (West Bank, Gaza Strip)']],
      line: [['#00441b', '1967 line'], ['#999999', "no-man's land"]],
      jerusalem: [['#7f0000', 'Jerusalem (dashed: schematic Holy Basin)']],
      settlements: [['#88419d', 'settlement (area ~ population)']],
      crossings: [['#08306b', 'crossing (filled: open this month)']],
      obstacles: [['#bdbdbd', 'OCHA obstacle (hidden once removed)']]
    };
    function drawLegend() {
      legend.textContent = '';
      if (map.hasLayer(app.zones)) {
        var names = app.mode === 'security' ? M.states : M.levels;
        var cols = app.mode === 'security' ? stateColors : levelColors;
        var z = el('div', 'lp-legend-block');
        z.appendChild(el('div', 'lp-legend-title', 'zones: ' + app.mode));
        names.forEach(function (n, k) { z.appendChild(swatch(cols[k], n)); });
        legend.appendChild(z);
      }
      Object.keys(LEGENDS).forEach(function (key) {
        if (!map.hasLayer(app.layers[key])) return;
        var b = el('div', 'lp-legend-block');
        LEGENDS[key].forEach(function (e) { b.appendChild(swatch(e[0], e[1])); });
        legend.appendChild(b);
      });
    }
    map.on('overlayadd overlayremove layeradd layerremove', drawLegend);

    var ganttBars = null;  /* the plan's bars never change: drawn once, then only the cursor moves */
    function drawGantt(m) {
      var w = gantt.width, h = gantt.height, n = Z.sec.length, H = M.horizon + 1;
      if (!ganttBars) {
        ganttBars = document.createElement('canvas');
        ganttBars.width = w; ganttBars.height = h;
        var g = ganttBars.getContext('2d');
        [[Z.sec, stateColors, 0], [Z.mov, levelColors, h / 2]].forEach(function (spec) {
          var counts = [];  /* counts[month][level]: zones at that level */
          for (var mo = 0; mo < H; mo++) counts.push(spec[1].map(function () { return 0; }));
          for (var i = 0; i < n; i++) {
            var steps = spec[0][i], k = 0;
            for (var mo2 = 0; mo2 < H; mo2++) {
              while (k < steps.length && steps[k] !== null && steps[k] <= mo2) k++;
              counts[mo2][k]++;
            }
          }
          for (var mo3 = 0; mo3 < H; mo3++) {
            var x = Math.floor(mo3 * w / H), xw = Math.ceil(w / H), y = spec[2];
            counts[mo3].forEach(function (c, k2) {
              var hh = (h / 2 - 2) * c / n;
              g.fillStyle = spec[1][k2]; g.fillRect(x, y, xw, hh); y += hh;
            });
          }
        });
      }
      var ctx = gantt.getContext('2d');
      ctx.clearRect(0, 0, w, h);
      ctx.drawImage(ganttBars, 0, 0);
      ctx.fillStyle = '#000'; ctx.fillRect(Math.floor(m * w / H), 0, 2, h);
    }
    gantt.addEventListener('click', function (e) {
      var r = gantt.getBoundingClientRect();
      setMonth(Math.min(M.horizon, Math.floor((e.clientX - r.left) / r.width * (M.horizon + 1))));
    });

    function drawMetrics(m) {
      metrics.textContent = '';
      var cols = D.metrics.columns, vals = D.metrics.rows[m];
      for (var k = 0; k < cols.length; k++) {
        if (cols[k] === 'month' || cols[k] === 'date') continue;
        var tr = el('tr');
        tr.appendChild(dataEl('th', null, cols[k].replace(/_/g, ' ')));
        var td = el('td', null, typeof vals[k] === 'number' ? vals[k].toLocaleString('en') : vals[k]);
        td.setAttribute('data-metric', cols[k]);
        tr.appendChild(td);
        metrics.appendChild(tr);
      }
    }

    function showZone(i) {
      zoneBox.textContent = '';
      var head = el('div', 'lp-legend-title');
      head.appendChild(dataEl('span', null, Z.props[i][0]));
      head.appendChild(document.createTextNode(': timeline'));
      zoneBox.appendChild(head);
      var items = [];
      Z.sec[i].forEach(function (e, k) { if (e !== null) items.push([e, 'security: ', M.states[k + 1]]); });
      Z.mov[i].forEach(function (e, k) { if (e !== null) items.push([e, 'movement: ', M.levels[k + 1]]); });
      items.sort(function (a, b) { return a[0] - b[0]; });
      var ul = el('ul');
      items.forEach(function (it) {
        var li = el('li', null, D.months[it[0]] + '  ' + it[1]);
        li.appendChild(dataEl('span', null, it[2]));
        ul.appendChild(li);
      });
      zoneBox.appendChild(ul);
      app.selected = i;
    }

    function setMonth(m) {
      var t0 = performance.now();
      m = Math.max(0, Math.min(M.horizon, m | 0));
      app.month = m;
      slider.value = String(m);
      label.textContent = D.months[m] + ' (month ' + m + ')';
      var arr = app.mode === 'security' ? Z.sec : Z.mov, cols = app.mode === 'security' ? stateColors : levelColors;
      app.zones.setFills(arr.map(function (a) { return cols[level(a, m)]; }));
      app.layers.crossings.markers.forEach(function (mk, i) {  /* restyle only what changes */
        var open = C.open[i] !== null && C.open[i] <= m;
        if (mk._lpOpen !== open) { mk._lpOpen = open; mk.setStyle({fillColor: open ? '#08306b' : '#ffffff'}); }
      });
      app.layers.obstacles.markers.forEach(function (mk, i) {
        var removed = level(Z.mov[O.zone[i]], m) >= 1;
        if (mk._lpRemoved !== removed) {
          mk._lpRemoved = removed;
          mk.setStyle({opacity: removed ? 0 : 1, fillOpacity: removed ? 0 : 0.9});
        }
      });
      drawMetrics(m);
      drawGantt(m);
      app.lastStepMs = performance.now() - t0;
      return app.lastStepMs;
    }
    app.setMonth = setMonth;
    slider.addEventListener('input', function () { setMonth(+slider.value); });
    var timer = null;
    play.addEventListener('click', function () {
      if (timer) { clearInterval(timer); timer = null; play.textContent = '\u25B6'; return; }
      play.textContent = '\u23F8';
      timer = setInterval(function () {
        if (app.month >= M.horizon) { clearInterval(timer); timer = null; play.textContent = '\u25B6'; return; }
        setMonth(app.month + 1);
      }, 400);
    });
    app.start = function () {
      app.zones._live = true;
      if (map.hasLayer(app.zones)) app.zones._reset();  /* draw for the settled view before reporting ready */
      setMonth(0);
      drawLegend();
      app.ready = performance.now();
    };
    window.landplan = app;
    return app;
  }

  window.landplanInit = init;
})();
