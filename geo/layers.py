"""The shipped layers: loading and validation.

>>> from geo import layers
>>> zones = layers.load("zones")          # doctest: +SKIP
>>> every = layers.load_all()             # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from . import workspace as _ws
from .crs import STORE_CRS, area_km2
from .errors import LayerError
from .geojson import PRECISION
from .schema import LAYER_NAMES, SCHEMAS, LayerSchema

__all__ = ["REGION", "CheckResult", "check", "load", "load_all", "summary", "validate"]

log = logging.getLogger(__name__)

#: lon/lat box every shipped feature must fall in (West Bank, Gaza and the basemap clip).
REGION = (33.9, 29.3, 36.0, 33.6)
#: Published areas (km²) the territories must match within 1 %.
PUBLISHED_KM2 = {"west_bank": 5655.0, "gaza": 365.0}


def _layers_dir(where: Path | str | None) -> Path:
    if where is not None and Path(where).name == "layers" and Path(where).is_dir():
        return Path(where)
    return _ws.find(where).layers


def _coerce(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    out = gdf.copy()
    for col in schema.columns:
        if col.name not in out.columns:
            continue
        s = out[col.name]
        if col.kind == "int":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("Int64")
        elif col.kind == "float":
            out[col.name] = pd.to_numeric(s, errors="coerce").astype("float64")
        elif col.kind == "bool":
            out[col.name] = s.astype("boolean")
        else:
            out[col.name] = s.astype("string")
    return out


def load(name: str, where: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load one shipped layer.

    Parameters
    ----------
    name : str
        Layer name, one of ``geo.schema.LAYER_NAMES`` (e.g. ``"zones"``).
    where : path, optional
        A workspace or its ``layers/`` folder (default: the workspace at or above the current directory).

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326 with the schema's column types (nullable ints as ``Int64``).

    Raises
    ------
    LayerError
        If ``name`` is unknown or the file is missing.
    """
    if name not in SCHEMAS:
        raise LayerError(f"unknown layer {name!r}; the layers are: {', '.join(LAYER_NAMES)}.")
    path = _layers_dir(where) / f"{name}.geojson"
    if not path.is_file():
        raise LayerError(f"{path} is missing. Rebuild the layers with `landplan layers build` or restore the file.")
    gdf = gpd.read_file(path)
    if gdf.crs is None:
        raise LayerError(f"{path} has no CRS; GeoJSON layers must be EPSG:4326. Rebuild the layers.")
    return _coerce(gdf, SCHEMAS[name])


def load_all(where: Path | str | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Load every shipped layer (see :func:`load`), keyed by name."""
    return {name: load(name, where) for name in LAYER_NAMES}


def _where(geom: Any) -> str:
    p = shapely.point_on_surface(geom) if not geom.is_empty else None
    return "" if p is None else f" near ({p.x:.5f}, {p.y:.5f})"


def validate(gdf: gpd.GeoDataFrame, name: str) -> list[str]:
    """Check one layer against its schema; return the problems found (empty when clean).

    Checks: CRS, columns and their order, value types, nulls, allowed values,
    unique ids, geometry types, validity (with reason and location), the
    region's bounds and the coordinate precision.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer.
    name : str
        Its name in :data:`geo.schema.SCHEMAS`.

    Returns
    -------
    list of str
        One line per problem, each naming the feature and saying how to fix it.
    """
    schema = SCHEMAS[name]
    problems: list[str] = []
    if gdf.crs is None or not CRS.from_user_input(gdf.crs).equals(STORE_CRS):
        problems.append(f"{name}: CRS is {gdf.crs}, not EPSG:4326; reproject and rebuild.")
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if cols != list(schema.column_names):
        problems.append(f"{name}: columns {cols} differ from the schema {list(schema.column_names)}; rebuild.")
    ids = gdf[schema.id_column] if schema.id_column in gdf.columns else pd.Series(dtype=object)
    label = (
        [f"{name}[{schema.id_column}={i}]" for i in ids]
        if len(ids) == len(gdf)
        else [f"{name}[#{k}]" for k in range(len(gdf))]
    )
    if ids.duplicated().any():
        problems.append(
            f"{name}: duplicate {schema.id_column} {sorted(set(ids[ids.duplicated()]))}; ids must be unique."
        )
    for col in schema.columns:
        if col.name not in gdf.columns:
            continue
        s = gdf[col.name]
        null = s.isna().to_numpy()
        if not col.nullable and null.any():
            problems.append(f"{label[int(np.flatnonzero(null)[0])]}: {col.name} is null; give it a value.")
        vals = s[~null]
        if col.kind in ("int", "float") and not vals.map(lambda v: isinstance(v, (int, float, np.number))).all():
            problems.append(f"{name}: {col.name} must be numeric.")
        if col.kind == "int" and len(vals) and not (pd.to_numeric(vals) % 1 == 0).all():
            problems.append(f"{name}: {col.name} must hold whole numbers.")
        if col.allowed is not None:
            bad = ~vals.astype(str).isin(col.allowed)
            if bad.any():
                k = vals.index[bad.to_numpy()][0]
                problems.append(
                    f"{label[gdf.index.get_loc(k)]}: {col.name}={vals[k]!r} is not one of {sorted(col.allowed)}."
                )
    geoms = gdf.geometry.values
    for k, g in enumerate(geoms):
        if g is None or g.is_empty:
            problems.append(f"{label[k]}: empty geometry; every feature needs one.")
            continue
        if g.geom_type not in schema.geometry:
            problems.append(f"{label[k]}: geometry is {g.geom_type}, expected {sorted(schema.geometry)}.")
        if not g.is_valid:
            problems.append(
                f"{label[k]}: invalid geometry ({shapely.is_valid_reason(g)}){_where(g)}; repair the source or rebuild."
            )
    if len(gdf):
        xmin, ymin, xmax, ymax = gdf.total_bounds
        rx0, ry0, rx1, ry1 = REGION
        if xmin < rx0 or ymin < ry0 or xmax > rx1 or ymax > ry1:
            problems.append(
                f"{name}: bounds ({xmin:.3f}, {ymin:.3f}, {xmax:.3f}, {ymax:.3f}) leave the region "
                f"{REGION}; check for swapped or projected coordinates."
            )
        coords = shapely.get_coordinates(geoms)
        scaled = coords * 10**PRECISION
        if np.abs(scaled - np.round(scaled)).max() > 1e-3:
            problems.append(f"{name}: coordinates carry more than {PRECISION} decimals; rebuild the layers.")
    return problems


def _coverage_problems(zones: gpd.GeoDataFrame, territories: gpd.GeoDataFrame) -> list[str]:
    problems = []
    geoms = zones.geometry.values
    valid = bool(shapely.coverage_is_valid(geoms))
    if not valid:
        edges = shapely.coverage_invalid_edges(geoms)
        for zid, e in zip(zones["zone_id"], edges, strict=True):
            if e is not None and not e.is_empty:
                problems.append(f"zones[zone_id={zid}]: overlaps or misaligned edges with a neighbour{_where(e)}.")
    union = shapely.coverage_union_all(geoms) if valid else shapely.union_all(geoms)
    terr = shapely.union_all(territories.geometry.values)
    gap = gpd.GeoSeries([terr.difference(union)], crs=STORE_CRS)
    extra = gpd.GeoSeries([union.difference(terr)], crs=STORE_CRS)
    for what, s in (("gap (territory not covered by any zone)", gap), ("zones outside the territories", extra)):
        a = float(area_km2(s).iloc[0])
        if a > 0.01:
            problems.append(f"zones: {what} of {a:.3f} km²{_where(s.iloc[0])}; rebuild the layers.")
    return problems


def _cross_problems(layers: dict[str, gpd.GeoDataFrame]) -> list[str]:
    problems: list[str] = []
    zone_ids = set(layers["zones"]["zone_id"])
    for name in ("crossings", "obstacles", "settlements"):
        bad = ~layers[name]["zone_id"].isin(zone_ids)
        if bad.any():
            problems.append(f"{name}: zone_id {sorted(set(layers[name].loc[bad, 'zone_id']))} not in zones.")
    terr = layers["territories"].set_index("territory_id")
    for tid, published in PUBLISHED_KM2.items():
        if tid in terr.index:
            a = float(terr.loc[tid, "area_km2"])
            if abs(a - published) / published > 0.01:
                problems.append(
                    f"territories[{tid}]: area {a:.1f} km² is more than 1% from the published {published:.0f} km²."
                )
    return problems


def summary(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """A table with one row per layer: features, geometry types, area, population.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        As returned by :func:`load_all`.

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for name, gdf in layers.items():
        poly = gdf.geom_type.isin(["Polygon", "MultiPolygon"])
        area = float(area_km2(gdf[poly]).sum()) if poly.any() and SCHEMAS[name].polygonal else np.nan
        pop = None
        if "population" in gdf.columns:
            pop = int(pd.to_numeric(gdf["population"], errors="coerce").fillna(0).sum())
        rows.append(
            {
                "layer": name,
                "features": len(gdf),
                "geometry": ",".join(sorted(gdf.geom_type.unique())),
                "area_km2": None if np.isnan(area) else round(area, 1),
                "population": pop,
            }
        )
    table = pd.DataFrame(rows)
    table["population"] = table["population"].astype("Int64")
    return table


@dataclass
class CheckResult:
    """Outcome of :func:`check`."""

    problems: list[str] = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def check(where: Path | str | None = None, layers: dict[str, gpd.GeoDataFrame] | None = None) -> CheckResult:
    """Validate every shipped layer and summarise them.

    Parameters
    ----------
    where : path, optional
        A workspace or its ``layers/`` folder.
    layers : dict of GeoDataFrame, optional
        Layers already in memory (e.g. a build about to be written) instead of files.

    Returns
    -------
    CheckResult
        Problems (empty when clean), the summary table and per-layer details.
    """
    result = CheckResult()
    if layers is None:
        layers = {}
        for name in LAYER_NAMES:
            try:
                layers[name] = load(name, where)
            except LayerError as exc:
                result.problems.append(str(exc))
        if result.problems:
            return result
    for name in LAYER_NAMES:
        result.problems.extend(validate(layers[name], name))
    result.problems.extend(_coverage_problems(layers["zones"], layers["territories"]))
    result.problems.extend(_cross_problems(layers))
    result.summary = summary(layers)
    oslo = layers["oslo_areas"][["oslo_class", "area_km2", "share_pct"]]
    result.details["oslo_areas"] = oslo.reset_index(drop=True)
    result.details["territories"] = layers["territories"][["territory_id", "area_km2"]].reset_index(drop=True)
    return result
