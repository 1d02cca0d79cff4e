/* landplan phase map: the border a plan names.

   Loaded after landplan.js, and only on the map of a plan that names a border scenario. L.landplanBorder(app)
   builds app.layers.border: the land the border annexes (hatched in the annexed colour, on the zone layer's
   canvas, and outlined) and the land it swaps (outlined, dashed, lightly filled), each with a tooltip; and adds
   the border's name and headline figures to the panel. It uses the app's public API only (data, map, layers,
   controls and the 'ready' and 'languagechange' events), reads every colour from the payload, takes its words
   from the page's catalogue (L.Landplan.i18n), and puts every text on the page as textContent, each data text in
   an isolated element of its own. */
(function (L) {
  'use strict';

  var I = L.Landplan.i18n, t = I.t;

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function dataEl(tag, cls, text) {
    var e = el(tag, cls ? cls + ' lp-data' : 'lp-data', text);
    e.dir = 'auto';
    return e;
  }

  /* the polygons of a GeoJSON geometry as GeoJSON polygon coordinates (lines and points are left out) */
  function polygons(g) {
    if (!g) return [];
    if (g.type === 'Polygon') return [g.coordinates];
    if (g.type === 'MultiPolygon') return g.coordinates;
    if (g.type === 'GeometryCollection') {
      return g.geometries.reduce(function (all, x) { return all.concat(polygons(x)); }, []);
    }
    return [];
  }

  /* a GeoJSON geometry as one feature of L.landplanZoneLayer: parts of rings of lon,lat,... */
  function zoneFeature(g) {
    return polygons(g).map(function (rings) {
      return rings.map(function (ring) {
        var out = new Float64Array(ring.length * 2);
        ring.forEach(function (c, k) { out[2 * k] = c[0]; out[2 * k + 1] = c[1]; });
        return out;
      });
    });
  }

  /* a message of the catalogue whose slots hold names from the data ([message, values]) */
  function named(node, label) { return I.rich(node, t(label[0]), label[1], Object.keys(label[1])); }

  function tooltip(B, props) {
    var box = el('div', 'lp-facts'), label = B.labels[props.part];
    box.appendChild(label ? named(el('div', 'lp-facts-title'), label) : el('div', 'lp-facts-title'));
    if (typeof props.area_km2 === 'number') {
      box.appendChild(el('div', null, t('{n} km\u00b2', {n: I.num(props.area_km2, {maximumFractionDigits: 2})})));
    }
    return box;
  }

  /* the border's name and headline figures, under the panel's month slider, in the language shown */
  function panelBlock(B) {
    var box = el('div', 'lp-border');
    box.appendChild(named(el('div', 'lp-legend-title'), ['Border: {name}', {name: B.name}]));
    var table = el('table', 'lp-metrics');
    B.figures.forEach(function (row) {
      var tr = el('tr');
      tr.appendChild(el('th', null, t(row[0])));
      tr.appendChild(el('td', null, t(row[1], row[2])));
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  L.landplanBorder = function (app) {
    var B = app.data.border, C = app.data.meta.border_colors, group = L.layerGroup();
    var annexed = B.geojson.features.filter(function (f) { return f.properties.part === 'annexed'; });
    if (annexed.length) {
      /* drawn once the app has its final view, as the zones are */
      var hatch = L.landplanZoneLayer([zoneFeature(annexed[0].geometry)], {pane: 'lpBorder', zIndex: 355,
        fill: C.annexed, edgeColor: null, hatch: true, interactive: false, fillOpacity: 0.9, active: false});
      hatch.addTo(group);
      if (app.ready !== null) hatch.activate(); else app.once('ready', function () { hatch.activate(); });
    }
    L.geoJSON(B.geojson, {
      style: function (f) {
        return f.properties.part === 'annexed'
          ? {color: C.annexed, weight: 2, fill: true, fillOpacity: 0}
          : {color: C.swapped_edge, weight: 2, dashArray: '4 3', fillColor: C.swapped, fillOpacity: 0.35};
      },
      onEachFeature: function (f, shape) {
        shape.bindTooltip(function () { return tooltip(B, f.properties); }, {sticky: true});
      }
    }).addTo(group);
    if (app.controls.panel) app.controls.panel.getContainer().appendChild(panelBlock(B));
    /* a new language rebuilds the panel: the block follows it */
    app.on('languagechange', function () {
      if (app.controls.panel) app.controls.panel.getContainer().appendChild(panelBlock(B));
    });
    app.layers.border = group;
    return group;
  };
})(L);
