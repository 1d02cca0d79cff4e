"""Deterministic RFC 7946 GeoJSON output.

Two writes of the same data give the same bytes: features keep their order,
properties follow the given column order, coordinates are rounded to 6 decimals
(about 0.1 m) and polygon rings follow the right-hand rule.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .crs import STORE_CRS, require_crs
from .errors import CRSError, LayerError

__all__ = ["PRECISION", "clean_geometry", "to_bytes"]

#: Decimal places kept in stored coordinates (1e-6 degree is ~0.1 m).
PRECISION = 6


def clean_geometry(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Snap to the storage grid and orient rings counter-clockwise (RFC 7946).

    Parameters
    ----------
    geoms : GeoSeries
        Geometries in EPSG:4326.

    Returns
    -------
    GeoSeries
        Snapped, oriented geometries (same index and CRS).
    """
    arr = shapely.set_precision(geoms.values, 10.0**-PRECISION)
    arr = shapely.orient_polygons(arr, exterior_cw=False)
    return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs)


def _num(v: float) -> float | int:
    r = round(float(v), PRECISION)
    if r == 0:
        return 0.0
    return r


def _coords(seq: Any) -> list[list[float | int]]:
    return [[_num(x), _num(y)] for x, y, *_ in seq]


def _geometry(geom: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    gtype = geom.geom_type
    if gtype == "Point":
        return {"type": "Point", "coordinates": _coords(geom.coords)[0]}
    if gtype == "LineString":
        return {"type": "LineString", "coordinates": _coords(geom.coords)}
    if gtype == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom)}
    if gtype == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": [_coords(g.coords)[0] for g in geom.geoms]}
    if gtype == "MultiLineString":
        return {"type": "MultiLineString", "coordinates": [_coords(g.coords) for g in geom.geoms]}
    if gtype == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(g) for g in geom.geoms]}
    raise LayerError(f"cannot write geometry type {gtype}; convert it to a simple type before writing.")


def _rings(poly: Any) -> list[list[list[float | int]]]:
    return [_coords(poly.exterior.coords), *(_coords(r.coords) for r in poly.interiors)]


def _value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return None
        return round(f, 6)
    if v is gpd.pd.NA or v is gpd.pd.NaT:
        return None
    return str(v)


def to_bytes(gdf: gpd.GeoDataFrame, columns: Sequence[str], name: str) -> bytes:
    """Serialise ``gdf`` as RFC 7946 GeoJSON bytes.

    Parameters
    ----------
    gdf : GeoDataFrame
        Data in EPSG:4326.
    columns : sequence of str
        Property columns, in output order.
    name : str
        Layer name (stored as the collection's ``name`` member).

    Returns
    -------
    bytes
        UTF-8 JSON, one feature per line, ending in a newline.

    Raises
    ------
    CRSError
        If ``gdf`` is not in EPSG:4326.
    """
    crs = require_crs(gdf, f"layer {name}")
    if not crs.equals(STORE_CRS):
        raise CRSError(f"layer {name} is in {crs.to_string()}; reproject it to EPSG:4326 before writing.")
    geoms = clean_geometry(gdf.geometry)
    lines = []
    for i, (idx, row) in enumerate(gdf.iterrows()):
        props = {c: _value(row[c]) for c in columns}
        feat = {"type": "Feature", "properties": props, "geometry": _geometry(geoms.loc[idx])}
        sep = "," if i < len(gdf) - 1 else ""
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + sep)
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    body = "\n".join(lines)
    return (head + ',"features":[\n' + body + "\n]}\n").encode("utf-8")
