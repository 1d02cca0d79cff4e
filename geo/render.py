"""HTML maps with folium.  The only module that imports folium.

Folium does not escape text: tooltip and popup values and layer-control names
are inserted into the page as HTML.  Every string that comes from layers or
plans therefore goes through :func:`escape_text` (via :func:`escape_frame`)
before it reaches folium, and non-finite coordinates are rejected.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import LayerError
from .files import atomic_write
from .layers import summary

__all__ = ["escape_frame", "escape_text", "overview_map", "write_overview"]

log = logging.getLogger(__name__)

_STYLE: dict[str, dict[Any, str]] = {
    "basemap": {"country": "#e8e4da", "sea": "#c6dbef"},
    "oslo": {"A": "#2b8cbe", "B": "#7bccc4", "C": "#f0f0c0", "H2": "#b2182b", "EJ": "#fdae61", None: "#d9d9d9"},
    "crossing": {"border_terminal": "#08306b", "greenline_checkpoint": "#6a51a3", "internal_checkpoint": "#e6550d"},
}


def escape_text(value: object) -> str:
    """Escape ``value`` for safe insertion into HTML or a folium template.

    ``<``, ``>``, ``&`` and both quotes become entities, and so do the characters
    that break the JavaScript strings and template literals folium writes
    (backslash, backtick, ``$``), so a name such as ``</script>`` or ``${x}`` is
    shown as text and never runs.

    Parameters
    ----------
    value : object
        Any value; ``None`` becomes the empty string.

    Returns
    -------
    str
    """
    if value is None:
        return ""
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def escape_frame(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``gdf`` whose text columns are escaped and whose geometry is checked.

    Raises
    ------
    LayerError
        If any coordinate is NaN or infinite (it would blank the whole map).
    """
    coords = shapely.get_coordinates(gdf.geometry.values)
    if not np.isfinite(coords).all():
        raise LayerError("a geometry has NaN or infinite coordinates; fix the layer before rendering a map.")
    out = gdf.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if out[col].dtype == object or str(out[col].dtype).startswith("string"):
            out[col] = ["" if pd.isna(v) else escape_text(v) for v in out[col]]
        elif str(out[col].dtype) in ("Int64", "boolean"):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def _prop(feature: Any, key: str) -> Any:
    """A property of a GeoJSON feature (``None`` when absent)."""
    return feature["properties"].get(key)


def _fields(gdf: gpd.GeoDataFrame, names: list[str]) -> list[str]:
    return [n for n in names if n in gdf.columns]


#: Attribution owed for the shipped layers (see layers/SOURCES.md).
ATTRIBUTION = (
    "Sources: UN OCHA oPt / HDX cod-ab-pse (CC BY 3.0 IGO); Natural Earth (public domain); "
    "Israel CBS, Localities file 2021; Peace Now, Settlement Watch 2017; PCBS population projections 2016."
)


def _footer(m: folium.Map, text: str) -> None:
    """Add a fixed footer line to the page; ``text`` is escaped."""
    style = (
        "position:fixed;bottom:0;left:0;right:0;z-index:1000;background:rgba(255,255,255,.85);"
        "font:11px sans-serif;padding:2px 6px"
    )
    root: Any = m.get_root()
    root.html.add_child(folium.Element(f'<div class="landplan-footer" style="{style}">{escape_text(text)}</div>'))


def _inline_leaflet(m: folium.Map) -> None:
    """Replace folium's CDN links with Leaflet inlined from the pinned xstatic-leaflet package."""
    import xstatic.pkg.leaflet as xleaflet  # noqa: PLC0415 - optional at import time of the module

    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")
    m.default_js = []
    m.default_css = []
    root: Any = m.get_root()
    header = root.header
    header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline", index=0)
    header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js_inline", index=1)


def overview_map(layers: dict[str, gpd.GeoDataFrame]) -> folium.Map:
    """A plain overview map of the shipped layers, drawn with no tile server.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        As returned by :func:`geo.layers.load_all`.

    Returns
    -------
    folium.Map
    """
    safe = {name: escape_frame(gdf) for name, gdf in layers.items()}
    m = folium.Map(location=[31.9, 35.0], zoom_start=8, tiles=None, prefer_canvas=True)
    _inline_leaflet(m)
    base = safe["basemap"]
    folium.GeoJson(
        base,
        name=escape_text("Basemap (Natural Earth)"),
        style_function=lambda f: {
            "fillColor": _STYLE["basemap"].get(_prop(f, "kind"), "#eeeeee"),
            "color": "#999999",
            "weight": 0.5,
            "fillOpacity": 1.0,
        },
    ).add_to(m)
    zones = safe["zones"]
    folium.GeoJson(
        zones,
        name=escape_text("Planning zones"),
        style_function=lambda f: {
            "fillColor": _STYLE["oslo"].get(_prop(f, "oslo"), "#d9d9d9"),
            "color": "#555555",
            "weight": 0.6,
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(fields=_fields(zones, ["name", "oslo", "area_km2", "population", "settlers"])),
    ).add_to(m)
    line = safe["line_1967"]
    folium.GeoJson(
        line,
        name=escape_text("1967 line and no-man's land"),
        style_function=lambda f: {"color": "#00441b", "weight": 3, "fillColor": "#999999", "fillOpacity": 0.5},
        tooltip=folium.GeoJsonTooltip(fields=_fields(line, ["name", "kind"])),
    ).add_to(m)
    jer = safe["jerusalem"]
    jpoly = jer[jer.geom_type != "Point"]
    folium.GeoJson(
        jpoly,
        name=escape_text("Jerusalem arrangements"),
        style_function=lambda f: {
            "color": "#7f0000",
            "weight": 1.5,
            "fillOpacity": 0.15,
            "dashArray": "4" if _prop(f, "schematic") else None,
        },
        tooltip=folium.GeoJsonTooltip(fields=_fields(jpoly, ["name", "kind"])),
    ).add_to(m)
    for name, gdf, color, fields in (
        ("Settlements", safe["settlements"], "#4d004b", ["name", "kind", "population", "founded", "bloc"]),
        ("Crossings", safe["crossings"], "#08306b", ["name", "kind", "sides", "status"]),
        ("OCHA obstacles 2025", safe["obstacles"], "#999999", ["name", "type", "survey"]),
    ):
        folium.GeoJson(
            gdf,
            name=escape_text(name),
            show=name != "OCHA obstacles 2025",
            marker=folium.CircleMarker(radius=3, color=color, fill=True, fill_opacity=0.8, weight=1),
            tooltip=folium.GeoJsonTooltip(fields=_fields(gdf, fields)),
        ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    _footer(m, ATTRIBUTION)
    xmin, ymin, xmax, ymax = layers["zones"].total_bounds
    m.fit_bounds([[ymin, xmin], [ymax, xmax]])
    return m


def write_overview(layers: dict[str, gpd.GeoDataFrame], path: Path | str) -> Path:
    """Render :func:`overview_map` to ``path`` atomically.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        The shipped layers.
    path : path
        The HTML file to write.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    dest = Path(path)
    html_text = overview_map(layers).get_root().render()
    atomic_write(dest, html_text.encode("utf-8"))
    log.info("wrote %s (%d features)", dest, int(summary(layers)["features"].sum()))
    return dest
