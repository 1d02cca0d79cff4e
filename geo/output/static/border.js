/* landplan phase map: the border a plan names.

   Loaded after landplan.js, and only on the map of a plan that names a border scenario. L.landplanBorder(app)
   builds app.layers.border: the land the border annexes (hatched in the annexed colour, on the zone layer's
   canvas, and outlined) and the land it swaps (outlined, dashed, lightly filled), each with a tooltip; and adds
   the border's name and headline figures to the panel. It uses the app's public API only (data, map, layers,
   controls and the 'ready' event), reads every colour from the payload, and puts every text on the page as
   textContent, each data text in an isolated element of its own. */
(function (L) {
  'use strict';

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

  function tooltip(B, props) {
    var box = el('div', 'lp-facts');
    box.appendChild(dataEl('div', 'lp-facts-title', B.labels[props.part]));
    if (typeof props.area_km2 === 'number') {
      box.appendChild(el('div', null, props.area_km2.toLocaleString('en') + ' km\u00B2'));
    }
    return box;
  }

  /* the border's name and headline figures, under the panel's month slider */
  function panelBlock(B) {
    var box = el('div', 'lp-border'), head = el('div', 'lp-legend-title', 'border: ');
    head.appendChild(dataEl('span', null, B.name));
    box.appendChild(head);
    var t = el('table', 'lp-metrics');
    B.figures.forEach(function (row) {
      var tr = el('tr');
      tr.appendChild(el('th', null, row[0]));
      tr.appendChild(dataEl('td', null, row[1]));
      t.appendChild(tr);
    });
    box.appendChild(t);
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
    app.layers.border = group;
    return group;
  };
})(L);
