"""A border scenario's interactive map: one standalone, offline HTML file.

It shows the 1967 line and its no-man's land, Palestine's West Bank as the scenario leaves it (its border), the
annexed and swapped areas, the settlements the annexed area holds (and, hidden at first, those it leaves in
Palestine), with a panel of the scenario's figures and its table of denominators.

Safety is every landplan page's (see :mod:`.page`): folium renders fixed markup with slot markers, and the
pieces go in after rendering, in one pass (:func:`~.page.fill_slots`).  Every text from the scenario or the
layers (its name, its description, settlement names) travels in one JSON payload (:func:`~.page.payload_json`)
and reaches the page through ``textContent`` only; the page title is the one data text written as HTML, through
:func:`~.page.escape_text`.  The page's script and style are fixed text of this module, never a template.
Leaflet is inlined, so the page needs no network.  Nothing of the planner is imported (no solver, no plan run):
drawing a scenario needs only the scenario and the layers.

Polygons are simplified by :data:`DISPLAY_TOLERANCE_M` metres for display only; every figure on the page is the
one computed on the full geometry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from ..border import BorderResult, annexed_settlements
from ..crs import METRIC_CRS, to_metric
from ..files import atomic_write
from .page import Page, add_leaflet, escape_text, payload_json
from .style import ATTRIBUTION, BORDER_COLORS, BORDER_DISPLAY_TOLERANCE_M, LAYER_COLORS

__all__ = [
    "BORDER_COLORS",
    "DISPLAY_TOLERANCE_M",
    "border_html",
    "border_map",
    "border_parts_geojson",
    "border_payload",
    "write_border_map",
]

log = logging.getLogger(__name__)

#: Simplification of the drawn polygons, in metres (display only: the figures use the full geometry).
DISPLAY_TOLERANCE_M = BORDER_DISPLAY_TOLERANCE_M

_CSS = """
html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
.lb-panel { background: rgba(255, 255, 255, 0.95); border-radius: 6px; box-shadow: 0 1px 5px rgba(0, 0, 0, 0.4);
  font: 12px/1.35 sans-serif; padding: 8px 10px; width: 470px; max-height: calc(100vh - 60px); overflow-y: auto; }
.lb-title { font-weight: bold; font-size: 14px; margin-bottom: 4px; }
.lb-note { color: #444; margin: 0 0 6px; }
.lb-head { font-weight: bold; margin: 8px 0 2px; }
.lb-table { border-collapse: collapse; width: 100%; }
.lb-table th { text-align: left; font-weight: normal; color: #444; padding: 1px 6px 1px 0; }
.lb-table td { text-align: right; font-variant-numeric: tabular-nums; padding: 1px 0 1px 6px; }
.lb-table thead th { font-weight: bold; color: #222; border-bottom: 1px solid #ccc; }
.lb-box { display: inline-block; width: 12px; height: 12px; border: 1px solid #555; margin-right: 4px;
  vertical-align: middle; }
.lb-footer { background: rgba(255, 255, 255, 0.88); font: 11px sans-serif; padding: 2px 6px; }
.lb-data, .lb-footer > span { unicode-bidi: isolate; }
"""

#: The page's script: draws the payload's layers and panel.  Fixed code; every text reaches the page through
#: ``textContent`` (or, for Leaflet's layer control, which takes HTML, as the markup of an element holding it).
_SCRIPT = """
(function () {
  'use strict';
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v) {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'boolean') return v ? 'yes' : 'no';
    if (typeof v === 'number') return v.toLocaleString('en', {maximumFractionDigits: 3});
    if (typeof v === 'object') return JSON.stringify(v);
    return String(v);
  }
  // a zero-width space after each '_' lets a long name (west_bank_without_east_jerusalem) wrap between its words
  function wrap(text) { return String(text).replace(/_/g, '_\u200b'); }
  function label(text, color) {
    var s = el('span', 'lb-data');
    if (color) { var b = el('span', 'lb-box'); b.style.background = color; s.appendChild(b); }
    s.appendChild(document.createTextNode(text));
    return s.outerHTML;
  }
  function table(columns, rows) {
    var t = el('table', 'lb-table'), head = el('thead'), tr = el('tr'), body = el('tbody');
    columns.forEach(function (c) { tr.appendChild(el('th', 'lb-data', wrap(c))); });
    head.appendChild(tr); t.appendChild(head);
    rows.forEach(function (r) {
      var row = el('tr');
      r.forEach(function (v, k) {
        row.appendChild(k === 0 ? el('th', 'lb-data', wrap(v)) : el('td', 'lb-data', fmt(v)));
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    return t;
  }
  function layer(spec) {
    var opts = {style: function () { return spec.style; }, interactive: !!spec.tips};
    if (spec.points) {
      opts.pointToLayer = function (f, at) {
        var r = Math.max(3, Math.min(9, Math.sqrt(f.properties.population || 0) / 25));
        return L.circleMarker(at, L.extend({radius: r}, spec.style));
      };
    }
    if (spec.tips) {
      opts.onEachFeature = function (f, l) { l.bindTooltip(el('span', 'lb-data', f.properties.tip), {sticky: true}); };
    }
    return L.geoJSON(spec.geojson, opts);
  }
  var Panel = L.Control.extend({
    onAdd: function () {
      var d = this.options.data, box = el('div', 'lb-panel');
      box.appendChild(el('div', 'lb-title lb-data', d.meta.name));
      if (d.meta.description) box.appendChild(el('p', 'lb-note lb-data', d.meta.description));
      box.appendChild(el('div', 'lb-head', d.meta.figures_title));
      box.appendChild(table(['figure', 'value'], d.figures));
      box.appendChild(el('div', 'lb-head', d.meta.denominators_title));
      box.appendChild(table(d.denominators.columns, d.denominators.rows));
      box.appendChild(el('p', 'lb-note', d.meta.note));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    }
  });
  var Footer = L.Control.extend({
    onAdd: function () {
      var f = el('div', 'lb-footer');
      f.appendChild(el('span', '', this.options.text));
      return f;
    }
  });
  window.landplanBorder = function (map, data) {
    var wide = map.getSize().x > 1000;
    map.getContainer().style.background = data.meta.sea;
    map.fitBounds(data.bounds, {animate: false, paddingTopLeft: wide ? [240, 0] : [0, 0],
      paddingBottomRight: wide ? [480, 0] : [0, 0]});
    var overlays = {};
    data.layers.forEach(function (spec) {
      var l = layer(spec);
      if (spec.show) l.addTo(map);
      overlays[label(spec.label, spec.style.fillColor || spec.style.color)] = l;
    });
    L.control.layers(null, overlays, {collapsed: false, position: 'topleft'}).addTo(map);
    new Panel({position: 'topright', data: data}).addTo(map);
    new Footer({position: 'bottomleft', text: data.meta.attribution}).addTo(map);
  };
})();
"""


class _Start(MacroElement):
    """The one call folium's script section makes: draw the payload on the map.  Fixed template, no data."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "landplanBorder({{ this._parent.get_name() }}, "
        "JSON.parse(document.getElementById('landplan-border-data').textContent));"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._id = "start"  # a fixed id keeps two builds of the same scenario byte-identical


def _plain(v: Any) -> Any:
    """A JSON value: numpy and pandas scalars unwrapped, missing and non-finite numbers as None."""
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and not np.isfinite(v)):
        return None
    return v if isinstance(v, bool | int | float | str) else str(v)


def _rounded(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` at 6 decimals; a shape GEOS cannot snap to that grid (a hole left without its shell) is kept as it is.

    Rounding a simplified, reprojected polygon can break it; drawing it unrounded is better than failing the map.
    """
    try:
        return shapely.set_precision(geom, 1e-6)
    except shapely.errors.GEOSException:
        return shapely.make_valid(geom)


def _features(geoms: Sequence[BaseGeometry], props: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """GeoJSON of EPSG:2039 geometries, in EPSG:4326 at 6 decimals; empty geometries are left out."""
    series = gpd.GeoSeries(list(geoms), crs=METRIC_CRS).to_crs("EPSG:4326").make_valid()
    fixed = [_rounded(g) for g in series.values]
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": p, "geometry": mapping(g)}
            for g, p in zip(fixed, props, strict=True)
            if g is not None and not g.is_empty
        ],
    }


def _area(geom: BaseGeometry) -> BaseGeometry:
    """A polygon simplified for display (:data:`DISPLAY_TOLERANCE_M`)."""
    return shapely.simplify(geom, DISPLAY_TOLERANCE_M, preserve_topology=True)


def border_parts_geojson(result: BorderResult) -> dict[str, Any]:
    """The annexed and swapped land as GeoJSON in EPSG:4326, simplified for display, for another page to draw.

    The phase map draws a plan's border from this, so both maps show the same shapes.  Each feature has its
    ``part`` (``annexed`` or ``swapped``) and its area in km² (``area_km2``, from the full geometry); an empty
    part has no feature.

    Parameters
    ----------
    result : BorderResult
        The computed border.

    Returns
    -------
    dict
        A GeoJSON FeatureCollection.
    """
    figures = result.figures
    props = [{"part": part, "area_km2": _plain(figures.get(f"{part}_km2"))} for part in ("annexed", "swapped")]
    return _features([_area(result.annexed), _area(result.swapped)], props)


def _style(color: str, fill: str | None = None, weight: float = 1.0, opacity: float = 0.5) -> dict[str, Any]:
    return {"color": color, "weight": weight, "fillColor": fill or color, "fillOpacity": opacity if fill else 0.0}


def _spec(key: str, label: str, geojson: dict[str, Any], style: dict[str, Any], show: bool = True) -> dict[str, Any]:
    tips = any("tip" in f["properties"] for f in geojson["features"])
    return {"key": key, "label": label, "geojson": geojson, "style": style, "show": show, "tips": tips}


def _context(ly: Mapping[str, gpd.GeoDataFrame]) -> list[dict[str, Any]]:
    """The basemap (Natural Earth) and the 1967 line with its no-man's land, when the layers hold them."""
    out = []
    if "basemap" in ly:
        base = to_metric(ly["basemap"], "basemap")
        land = [_area(g) for g, k in zip(base.geometry, base["kind"], strict=True) if k != "sea"]
        style = _style(LAYER_COLORS["land_edge"], LAYER_COLORS["land"], 0.5, 1.0)
        out.append(_spec("basemap", "Basemap (Natural Earth)", _features(land, [{}] * len(land)), style))
    if "line_1967" in ly:
        line = to_metric(ly["line_1967"], "line_1967")
        nml = line[line["kind"] == "no_mans_land"]
        arm = line[line["kind"] != "no_mans_land"]
        nml_style = _style(LAYER_COLORS["no_mans_land_edge"], LAYER_COLORS["no_mans_land"], 0.5, 0.5)
        nml_tips = [{"tip": f"no-man's land: {n}"} for n in nml["name"]]
        out.append(_spec("no_mans_land", "No-man's land", _features(list(nml.geometry), nml_tips), nml_style))
        line_style = {**_style(LAYER_COLORS["line"], None, 3.0), "dashArray": "6 4"}
        out.append(_spec("line", "1967 line", _features(list(arm.geometry), [{}] * len(arm)), line_style))
    return out


def _scenario_layers(result: BorderResult) -> list[dict[str, Any]]:
    """Palestine's West Bank (its border), the annexed and the swapped areas."""
    return [
        _spec(
            "palestine",
            "Palestine's West Bank in this scenario (its border)",
            _features([_area(result.palestine)], [{"tip": "Palestine (West Bank)"}]),
            _style(BORDER_COLORS["palestine"], BORDER_COLORS["palestine"], 2.5, 0.15),
        ),
        _spec(
            "annexed",
            "annexed by Israel",
            _features([_area(result.annexed)], [{"tip": "annexed by Israel"}]),
            _style(BORDER_COLORS["annexed"], BORDER_COLORS["annexed"], 1.5, 0.55),
        ),
        _spec(
            "swapped",
            "swapped from Israel to Palestine",
            _features([_area(result.swapped)], [{"tip": "swapped from Israel to Palestine"}]),
            {**_style(BORDER_COLORS["swapped_edge"], BORDER_COLORS["swapped"], 1.5, 0.7), "dashArray": "4 3"},
        ),
    ]


def _tip(row: Mapping[str, Any]) -> str:
    pop = _plain(row.get("population"))
    people = f"{pop:,} people" if isinstance(pop, int | float) else "population unknown"
    return f"{row.get('name', '')} ({row.get('kind', 'settlement')}): {people}"


def _settlement_layers(result: BorderResult, settlements: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """The settlements inside the annexed area (shown) and those left in Palestine (hidden at first)."""
    inside = annexed_settlements(result, settlements)
    metric = to_metric(settlements, "settlements")
    out = []
    for key, text, mask, color, show in (
        ("settlements_annexed", "settlements in the annexed area", inside, "settlement_annexed", True),
        ("settlements_staying", "settlements left in Palestine", ~inside, "settlement_staying", False),
    ):
        part = metric[mask]
        props = [
            {"tip": _tip(r), "name": _plain(r.get("name")), "population": _plain(r.get("population"))}
            for r in part.drop(columns="geometry").to_dict(orient="records")
        ]
        style = _style(LAYER_COLORS["settlement_edge"], BORDER_COLORS[color], 1.0, 0.8)
        spec = _spec(key, text, _features(list(part.geometry), props), style, show)
        out.append({**spec, "points": True})
    return out


def _bounds(result: BorderResult) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of the scenario's West Bank and swapped land."""
    whole = shapely.union_all([result.palestine, result.annexed, result.swapped])
    w, s, e, n = gpd.GeoSeries([whole], crs=METRIC_CRS).to_crs("EPSG:4326").total_bounds
    return [[round(float(s), 4), round(float(w), 4)], [round(float(n), 4), round(float(e), 4)]]


def border_payload(
    result: BorderResult, layers: Mapping[str, gpd.GeoDataFrame], description: str = ""
) -> dict[str, Any]:
    """The page's data: every layer as GeoJSON with its style and label, the figures and the denominators table.

    Parameters
    ----------
    result : BorderResult
        The computed scenario.
    layers : mapping of str to GeoDataFrame
        ``settlements`` (required); ``line_1967`` and ``basemap`` when present.
    description : str, optional
        The scenario's description, shown under its name.

    Returns
    -------
    dict
        JSON-serialisable; :func:`~.page.payload_json` makes it safe for the page.
    """
    dens = result.denominators
    return {
        "meta": {
            "name": result.name,
            "description": description,
            "attribution": ATTRIBUTION,
            "sea": LAYER_COLORS["sea"],
            "figures_title": "figures",
            "denominators_title": "areas on each denominator (km² and % of the denominator)",
            "note": f"Polygons drawn simplified by {DISPLAY_TOLERANCE_M:g} m; figures from the full geometry.",
        },
        "bounds": _bounds(result),
        "layers": [
            *_context(layers),
            *_scenario_layers(result),
            *_settlement_layers(result, layers["settlements"]),
        ],
        "figures": [[str(k), _plain(v)] for k, v in result.figures.items()],
        "denominators": {
            "columns": [str(c) for c in dens.columns],
            "rows": [[_plain(v) for v in row] for row in dens.itertuples(index=False)],
        },
    }


def border_map(
    result: BorderResult, layers: Mapping[str, gpd.GeoDataFrame], description: str = "", cdn: bool = False
) -> folium.Map:
    """The scenario's map as a folium Map whose page (``get_root().render()``) is complete and safe.

    Parameters
    ----------
    result : BorderResult
        The computed scenario.
    layers : mapping of str to GeoDataFrame
        See :func:`border_payload`.
    description : str, optional
        The scenario's description.
    cdn : bool, optional
        Link Leaflet from a CDN (with Subresource Integrity) instead of inlining it.

    Returns
    -------
    folium.Map
    """
    m = folium.Map(
        location=[31.85, 35.05],
        zoom_start=9,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoom_control=True,
        attribution_control=False,
    )
    m._id = "border"  # fixed element ids keep two builds of the same scenario byte-identical
    m.default_js = []
    m.default_css = []
    page = Page()
    page.add_child(m)
    add_leaflet(page, cdn)
    page.put(page.header, "border_css", f"<style>{_CSS}</style>")
    page.put(page.header, "border_js", f"<script>{_SCRIPT}</script>")
    page.put(page.header, "title", f"<title>{escape_text(result.name)} - landplan border</title>")
    data = payload_json(_plain(border_payload(result, layers, description)))
    page.put(page.html, "border_data", f'<script type="application/json" id="landplan-border-data">{data}</script>')
    m.add_child(_Start(), name="border_start")
    return m


def border_html(
    result: BorderResult, layers: Mapping[str, gpd.GeoDataFrame], description: str = "", cdn: bool = False
) -> str:
    """The whole page of :func:`border_map`, as text (see it for the parameters)."""
    return str(border_map(result, layers, description, cdn).get_root().render())


def write_border_map(
    result: BorderResult,
    layers: Mapping[str, gpd.GeoDataFrame],
    path: Path | str,
    description: str = "",
    cdn: bool = False,
) -> Path:
    """Write :func:`border_html` to ``path`` atomically.

    Parameters
    ----------
    result : BorderResult
        The computed scenario.
    layers : mapping of str to GeoDataFrame
        See :func:`border_payload`.
    path : Path or str
        Where the page goes; the previous file is left as it was if the write fails.
    description : str, optional
        The scenario's description.
    cdn : bool, optional
        Link Leaflet from a CDN instead of inlining it.

    Returns
    -------
    Path
        ``path``.
    """
    dest = Path(path)
    atomic_write(dest, border_html(result, layers, description, cdn).encode("utf-8"))
    log.info("wrote %s (%d bytes)", dest, dest.stat().st_size)
    return dest
