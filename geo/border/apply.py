"""A border applied to the planning layers: what a plan that names a border is planned on.

A plan that names a border scenario plans Palestine inside that border, not inside the 1967 line: the annexed
land leaves the Palestinian side (each zone loses its annexed part, a zone left with nothing is dropped, and the
places in the annexed land leave the zones' counts), and the land Israel swaps joins it as new zones, one per
governorate it lies beside.  Every later stage (the compiler, the metrics, the maps, the exports) reads the
changed layers, so each follows the border without knowing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, area_km2, to_metric
from ..errors import LayerError, PlanError
from ..plan import LoadedPlan
from .compute import NEEDED, BorderResult, compute
from .scenario import load_scenario

__all__ = ["MIN_ZONE_KM2", "SWAP_ZONE_PREFIX", "apply_border", "border_path", "planning_layers"]

#: A zone left with less land than this (km²) once the annexed land is cut out is dropped.
MIN_ZONE_KM2 = 0.05
#: Zone ids of swapped land: this prefix and the region's id.
SWAP_ZONE_PREFIX = "swap-"
#: Point layers whose features in annexed land leave the plan (they are in Israel under the border).
_POINT_LAYERS = ("localities", "settlements", "obstacles")


def _outside(gdf: gpd.GeoDataFrame, annexed: BaseGeometry) -> gpd.GeoDataFrame:
    """The features of a point layer that are not in the annexed land."""
    if annexed.is_empty or gdf.empty:
        return gdf
    inside = to_metric(gdf, "layer").geometry.within(annexed)
    return gdf.loc[~inside.to_numpy()].copy()


def _recount(zones: gpd.GeoDataFrame, ly: Mapping[str, gpd.GeoDataFrame]) -> None:
    """Each zone's people as the sums of the places still in it (the build's rule, see SOURCES.md)."""
    locs, setl = ly.get("localities"), ly.get("settlements")
    sums: dict[str, pd.Series] = {}
    if locs is not None:
        counted = locs[locs["counted_with"].isna()] if "counted_with" in locs else locs
        for col in ("population", "population_2017"):
            sums[col] = counted.groupby("zone_id")[col].sum()
    if setl is not None:
        wb = setl["kind"] != "east_jerusalem_neighbourhood"
        sums["settlers"] = setl[wb].groupby("zone_id")["population"].sum()
        sums["israelis_ej"] = setl[~wb].groupby("zone_id")["population"].sum()
    for col, by_zone in sums.items():
        zones[col] = zones["zone_id"].map(by_zone).fillna(0).astype("Int64")


def _cut(zones: gpd.GeoDataFrame, annexed: BaseGeometry) -> gpd.GeoDataFrame:
    """The zones less the annexed land; those left with less than :data:`MIN_ZONE_KM2` are dropped."""
    metric = to_metric(zones, "zones")
    geoms = [g.difference(annexed) if g.intersects(annexed) else g for g in metric.geometry]
    cut = gpd.GeoDataFrame(zones.drop(columns="geometry"), geometry=geoms, crs=METRIC_CRS)
    cut["area_km2"] = area_km2(cut, "zones").round(3)
    return cut.loc[cut["area_km2"] >= MIN_ZONE_KM2].to_crs(zones.crs)


def _swap_zones(zones: gpd.GeoDataFrame, swapped: BaseGeometry) -> gpd.GeoDataFrame:
    """The swapped land as new zones: one per governorate of the zones nearest its pieces (Gaza's too)."""
    cols = [c for c in zones.columns if c != "geometry"]
    if swapped.is_empty:
        return gpd.GeoDataFrame(columns=[*cols, "geometry"], geometry="geometry", crs=zones.crs)
    metric = to_metric(zones, "zones")
    pieces = [p for p in getattr(swapped, "geoms", [swapped]) if not p.is_empty]
    nearest = [metric.iloc[int(metric.distance(p).to_numpy().argmin())] for p in pieces]
    gov = [str(z["governorate"]) for z in nearest]
    rows = []
    for g in sorted(set(gov)):
        geom = shapely.union_all([p for p, x in zip(pieces, gov, strict=True) if x == g])
        near = next(z for z, x in zip(nearest, gov, strict=True) if x == g)
        slug = "-".join("".join(c if c.isalnum() else " " for c in g.casefold()).split())
        rows.append(
            {
                **dict.fromkeys(cols),
                "zone_id": f"{SWAP_ZONE_PREFIX}{slug}",
                "name": f"Swapped land by {g}",
                "governorate": near["governorate"],
                "territory": near["territory"],
                "oslo": None,
                "region": near["region"],
                "population": 0,
                "population_2017": 0,
                "settlers": 0,
                "israelis_ej": 0,
                "source": "Israeli land swapped to Palestine by the plan's border scenario",
                "geometry": geom,
            }
        )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)
    out["area_km2"] = area_km2(out, "zones").round(3)
    return out.to_crs(zones.crs)


def _jerusalem_sides(jer: gpd.GeoDataFrame, annexed: BaseGeometry) -> gpd.GeoDataFrame:
    """East Jerusalem's neighbourhoods and quarters on the side of the border that holds most of each.

    The Jerusalem metrics split people by the ``clinton_rule`` column (Israeli or Palestinian side); inside a
    border, the side is the border's, not the Clinton Parameters' rule: Har Homa, left to Palestine by the Geneva
    map, counts as Palestinian.
    """
    out = jer.copy()
    metric = to_metric(jer, "jerusalem")
    parts = metric["kind"].isin(["neighbourhood", "quarter"])
    share = metric.geometry.intersection(annexed).area / metric.geometry.area.where(metric.geometry.area > 0)
    out.loc[parts, "clinton_rule"] = ["IL" if x >= 0.5 else "PS" for x in share[parts].fillna(0)]
    return out


def apply_border(layers: Mapping[str, gpd.GeoDataFrame], result: BorderResult) -> dict[str, gpd.GeoDataFrame]:
    """The planning layers inside a computed border.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        The workspace's layers (``zones`` at least).
    result : BorderResult
        The computed border (:func:`geo.border.compute`).

    Returns
    -------
    dict of str to GeoDataFrame
        A new mapping: ``zones`` cut and joined by the swapped land; ``localities``, ``settlements`` and
        ``obstacles`` without the features in annexed land; the zones' people counted again; East Jerusalem's
        neighbourhoods on the side of the border that holds most of each. The other layers are the same objects.
    """
    ly = dict(layers)
    for name in _POINT_LAYERS:
        if name in ly:
            ly[name] = _outside(ly[name], result.annexed)
    zones = _cut(ly["zones"], result.annexed)
    swap = _swap_zones(ly["zones"], result.swapped)
    merged = pd.concat([zones, swap], ignore_index=True) if len(swap) else zones.reset_index(drop=True)
    zones = gpd.GeoDataFrame(merged, geometry="geometry", crs=ly["zones"].crs)
    kept = set(zones["zone_id"])
    for name in _POINT_LAYERS:
        if name in ly and "zone_id" in ly[name]:
            ly[name] = ly[name].loc[ly[name]["zone_id"].isin(kept) | ly[name]["zone_id"].isna()].copy()
    if "jerusalem" in ly and not result.annexed.is_empty:
        ly["jerusalem"] = _jerusalem_sides(ly["jerusalem"], result.annexed)
    _recount(zones, ly)
    for col in ("population", "population_2017", "settlers", "israelis_ej"):
        zones.loc[zones["zone_id"].str.startswith(SWAP_ZONE_PREFIX), col] = 0
    ly["zones"] = zones
    return ly


def border_path(lp: LoadedPlan) -> Path | None:
    """The border scenario file a plan names: ``borders/NAME.yaml`` beside the file that names it.

    Raises
    ------
    PlanError
        At the plan's ``border:`` line, if there is no such file.
    """
    name = lp.plan.border
    if name is None:
        return None
    where = lp.at("border")
    path = Path(where[0]).parent / "borders" / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
        fix = f"use one of: {', '.join(known)}" if known else f"add {path} or remove border:"
        raise PlanError([lp.issue(("border",), f"no border scenario '{name}' in {path.parent}", fix)])
    return path


def planning_layers(
    lp: LoadedPlan,
    layers: dict[str, gpd.GeoDataFrame],
    computed: Callable[[Path], BorderResult] | None = None,
) -> tuple[dict[str, gpd.GeoDataFrame], BorderResult | None, Path | None]:
    """The layers a plan is planned on: inside the border it names (with the computed border and its file).

    Without a border, the layers as they are, and ``None`` twice. ``computed`` gives the border of a scenario
    file (a cache, see :func:`geo.cache.border`); by default it is computed from ``layers``.

    Raises
    ------
    PlanError
        If the border file is missing or invalid.
    LayerError
        If ``layers`` lacks one the border is computed from.
    """
    path = border_path(lp)
    if path is None:
        return layers, None, None
    missing = [n for n in NEEDED if n not in layers]
    if missing:
        raise LayerError(f"the plan names a border; the layers given lack {', '.join(missing)}")
    result = computed(path) if computed is not None else compute(load_scenario(path), layers)
    inside = apply_border(layers, result)
    dropped = set(layers["zones"]["zone_id"]) - set(inside["zones"]["zone_id"])
    named = [(loc, z) for loc, z in _strings(lp.plan.model_dump(), ()) if z in dropped]
    if named:
        fix = "remove it from the plan, or change the border"
        msg = "zone '{}' lies wholly in land the border '{}' annexes ({})"
        raise PlanError([lp.issue(loc, msg.format(z, result.name, path.name), fix) for loc, z in named])
    return inside, result, path


def _strings(node: object, loc: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], str]]:
    """Every text value of a plan with its path (where a plan names a zone that a border drops)."""
    if isinstance(node, str):
        return [(loc, node)]
    if isinstance(node, dict):  # keys too: overrides and baselines are keyed by zone
        return [x for k, v in node.items() for x in [((*loc, str(k)), str(k)), *_strings(v, (*loc, str(k)))]]
    if isinstance(node, list | tuple):
        return [x for i, v in enumerate(node) for x in _strings(v, (*loc, i))]
    return []
