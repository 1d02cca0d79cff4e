"""The West Bank Barrier: route segments with their status, the agricultural gates, and the seam zone.

The route is OCHA's January 2018 alignment (constructed, under construction and projected segments) and the
gates are OCHA's 2025 set.  The seam zone is derived from them: the West Bank land that the route, once
complete, cuts off from the rest of the West Bank on the side of the 1967 line.  All measuring happens in
EPSG:2039 (lengths) and the equal-area CRS of :mod:`geo.crs` (areas); results are returned in EPSG:4326.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import LayerError, SourceError
from .boundaries import SIMPLIFY_M

__all__ = [
    "BARRIER_COLUMNS",
    "CLOSING_M",
    "GATE_MAX_M",
    "LINE_TOLERANCE_M",
    "MIN_PART_KM2",
    "OUTSIDE_MAX_M",
    "SEAM_COLUMNS",
    "STATUSES",
    "TYPES",
    "build_barrier",
    "build_seam_zone",
    "inside_share",
    "length_by_status",
    "west_bank_km2",
    "west_bank_metric",
]

log = logging.getLogger(__name__)

#: Columns of the ``barrier`` layer, in order (plus ``geometry``).
BARRIER_COLUMNS = (
    "feature_id",
    "kind",
    "name",
    "status",
    "barrier_type",
    "length_km",
    "inside_west_bank_km",
    "segment_id",
    "source",
)
#: Columns of the ``seam_zone`` layer, in order (plus ``geometry``).
SEAM_COLUMNS = (
    "feature_id",
    "name",
    "area_km2",
    "share_pct",
    "localities",
    "population",
    "includes_east_jerusalem",
    "source",
)
#: OCHA ``Status`` values -> layer status.  An unknown value stops the build.
STATUSES: dict[str, str] = {
    "Constructed": "constructed",
    "Under Construction": "under_construction",
    "Projected": "projected",
}
#: OCHA ``Type`` values -> layer barrier type (``"NA"`` and an empty value mean: not stated).
TYPES: dict[str, str | None] = {"Concrete": "concrete", "Fence": "fence", "NA": None}
#: Route within this distance (m) of the 1967 line runs *along* the line, not inside the West Bank.
#: OCHA's outline and the route are digitised separately, so a route built on the line lies a few tens of
#: metres off it on either side; 50 m counts that as "on the line" (the rule behind the inside share).
LINE_TOLERANCE_M = 50.0
#: Every gate must lie this close (m) to a route segment; farther means a wrong position or CRS.
GATE_MAX_M = 100.0
#: A route segment reaching farther than this (m) outside the West Bank outline is misplaced (a wrong
#: position or CRS): the route runs in the West Bank or along the 1967 line, never deep in Israel or Jordan.
OUTSIDE_MAX_M = 1000.0
#: Closing radius (m) of the seam-zone rule: gaps in the route, or between the route and the outline,
#: narrower than twice this are sealed.  The seam share changes by less than 0.1 point from 75 to 200 m.
CLOSING_M = 100.0
#: Seam parts smaller than this (km²) are specks left by the closing; they are dropped (and logged).
MIN_PART_KM2 = 0.001

_ROUTE_FILE = "ocha-barrier-2018/barrier_jan2018.geojson"
_GATE_FILE = "ocha-opt/barrier_gates_2025.geojson"
_ROUTE_SOURCE = "OCHA oPt West Bank Barrier route, January 2018 (HDX barrier_jan2018, CC BY 3.0 IGO)"
_GATE_SOURCE = "OCHA oPt barrier gates 2025 (CC BY 3.0 IGO)"
_SEAM_SOURCE = (
    f"derived from the {_ROUTE_SOURCE} (all statuses) and the OCHA COD-AB West Bank outline: land cut off "
    f"from the main West Bank interior on the 1967-line side, gaps under {2 * CLOSING_M:.0f} m closed"
)
_LOCALITY_COLUMNS = ("population", "counted_with")


def west_bank_metric(territories: gpd.GeoDataFrame) -> BaseGeometry:
    """The West Bank polygon of the built territories layer, in EPSG:2039.

    Every layer measured against the West Bank (barrier, seam zone, firing zones) takes it from here,
    so all of them use the same outline and the same error when it is missing.

    Parameters
    ----------
    territories : GeoDataFrame
        The built territories layer.

    Returns
    -------
    shapely geometry
        The ``west_bank`` row's geometry in EPSG:2039.

    Raises
    ------
    LayerError
        If the layer has no single ``west_bank`` row.
    """
    rows = territories[territories["territory_id"] == "west_bank"]
    if len(rows) != 1:
        raise LayerError("territories: no single 'west_bank' row; build the boundaries first.")
    geom: BaseGeometry = rows.to_crs(METRIC_CRS).geometry.iloc[0]
    return geom


def west_bank_km2(territories: gpd.GeoDataFrame) -> float:
    """The West Bank's area (km²) as the territories layer states it, so shares agree across layers.

    Parameters
    ----------
    territories : GeoDataFrame
        The built territories layer.

    Returns
    -------
    float
        The ``area_km2`` of the ``west_bank`` row.

    Raises
    ------
    LayerError
        If the layer has no single ``west_bank`` row.
    """
    rows = territories[territories["territory_id"] == "west_bank"]
    if len(rows) != 1:
        raise LayerError("territories: no single 'west_bank' row; build the boundaries first.")
    return float(rows["area_km2"].iloc[0])


def _armistice(line_1967: gpd.GeoDataFrame) -> BaseGeometry:
    """The West Bank and Jerusalem segments of the 1949 Armistice line in EPSG:2039."""
    rows = line_1967[(line_1967["kind"] == "armistice_line") & line_1967["segment"].isin(["west_bank", "jerusalem"])]
    if rows.empty:
        raise LayerError("line_1967: no West Bank armistice line; build the boundaries before the barrier.")
    line: BaseGeometry = shapely.union_all(rows.to_crs(METRIC_CRS).geometry.values)
    return line


def _decode(value: object, table: dict[str, str | None], what: str, oid: int, name: str) -> str | None:
    """Map an OCHA attribute value through ``table``; an unknown value stops the build."""
    key = "" if value is None or pd.isna(value) else str(value).strip()  # type: ignore[call-overload]
    if key == "" and what == "Type":
        return None  # three constructed segments carry an empty type: not stated
    if key not in table:
        raise SourceError(
            f"{_ROUTE_FILE}: feature OBJECTID={oid} has {what} {key!r}, not one of {sorted(table)}. "
            f"Use the unmodified OCHA source, or map the new value in geo/build/barrier.py ({name})."
        )
    return table[key]


def _whole_ids(values: pd.Series, file: str, column: str) -> list[int]:
    """The features' numeric ids; a null, text or fractional id stops the build, naming the feature."""
    num = pd.to_numeric(values, errors="coerce")
    for pos, (raw, n) in enumerate(zip(values, num, strict=True)):
        if not (np.isfinite(n) and float(n).is_integer()):
            what = f"no {column}" if pd.isna(raw) else f"{column} {raw!r}, not a whole number"
            raise SourceError(
                f"{file}: feature #{pos} has {what}. "
                f"Fix: use the unmodified OCHA source (every feature has a numeric {column})."
            )
    return [int(n) for n in num]


def _check_inside(oid: int, geom: BaseGeometry, near: BaseGeometry) -> None:
    """A segment reaching outside ``near`` (the West Bank grown by :data:`OUTSIDE_MAX_M`) is misplaced."""
    outside = shapely.difference(geom, near)
    if not outside.is_empty:
        raise SourceError(
            f"{_ROUTE_FILE}: feature OBJECTID={oid} lies more than {OUTSIDE_MAX_M / 1000:.0f} km outside the "
            "West Bank outline. Fix: use the unmodified OCHA source, or correct the segment's coordinates "
            "(lon/lat order, CRS)."
        )


def _routes(src: dict[str, gpd.GeoDataFrame], west_bank: BaseGeometry, line: BaseGeometry) -> list[dict[str, object]]:
    """One row per OCHA route segment, measured in EPSG:2039."""
    route = src["barrier"]
    oids = pd.Series(_whole_ids(route["OBJECTID"], _ROUTE_FILE, "OBJECTID"))
    if oids.duplicated().any():
        dup = int(oids[oids.duplicated()].iloc[0])
        raise SourceError(f"{_ROUTE_FILE}: OBJECTID {dup} occurs twice; use the unmodified OCHA source.")
    inside = shapely.difference(west_bank, line.buffer(LINE_TOLERANCE_M))
    metric = route.to_crs(METRIC_CRS).geometry.values
    rows: list[dict[str, object]] = []
    near = shapely.buffer(west_bank, OUTSIDE_MAX_M)
    for pos, oid in enumerate(oids):
        _check_inside(oid, metric[pos], near)
        rows.append(
            {
                "feature_id": f"seg-{oid}",
                "kind": "route",
                "name": None,
                "status": _decode(route["Status"].iloc[pos], dict(STATUSES), "Status", oid, "STATUSES"),
                "barrier_type": _decode(route["Type"].iloc[pos], TYPES, "Type", oid, "TYPES"),
                "length_km": round(metric[pos].length / 1000, 3),
                "inside_west_bank_km": round(shapely.intersection(metric[pos], inside).length / 1000, 3),
                "segment_id": None,
                "source": _ROUTE_SOURCE,
                "geometry": route.geometry.iloc[pos],
            }
        )
    return rows


def _gates(src: dict[str, gpd.GeoDataFrame], routes: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """One row per OCHA gate, attached to its nearest route segment (which must lie within GATE_MAX_M)."""
    gates = src["barrier_gates"]
    fids = pd.Series(_whole_ids(gates["fid_value"], _GATE_FILE, "fid_value"))
    if fids.duplicated().any():
        dup = int(fids[fids.duplicated()].iloc[0])
        raise SourceError(f"{_GATE_FILE}: fid_value {dup} occurs twice; use the unmodified OCHA source.")
    gm = gates.to_crs(METRIC_CRS)[["geometry"]].reset_index(drop=True)
    rm = routes.to_crs(METRIC_CRS)[["feature_id", "geometry"]]
    near = gpd.sjoin_nearest(gm, rm, how="left", distance_col="_d")
    near = near.sort_values(["_d", "feature_id"], kind="mergesort")
    near = near[~near.index.duplicated(keep="first")].sort_index()
    rows: list[dict[str, object]] = []
    for pos, fid in enumerate(fids):
        dist = float(near["_d"].iloc[pos])
        if not dist <= GATE_MAX_M:
            raise SourceError(
                f"{_GATE_FILE}: gate fid_value={fid} lies {dist:.0f} m from the nearest route segment "
                f"(at most {GATE_MAX_M:.0f} m allowed). Check its coordinates (lon/lat order, CRS)."
            )
        name = gates["name"].iloc[pos]
        rows.append(
            {
                "feature_id": f"gate-{fid}",
                "kind": "gate",
                "name": (str(name).strip() or None) if isinstance(name, str) else None,
                "status": None,
                "barrier_type": None,
                "length_km": None,
                "inside_west_bank_km": None,
                "segment_id": str(near["feature_id"].iloc[pos]),
                "source": _GATE_SOURCE,
                "geometry": gates.geometry.iloc[pos],
            }
        )
    return rows


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORE_CRS)
    gdf = gdf.sort_values("feature_id", kind="mergesort").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(columns)], geometry=gdf.geometry.values, crs=STORE_CRS)


def build_barrier(
    src: dict[str, gpd.GeoDataFrame], territories: gpd.GeoDataFrame, line_1967: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """The ``barrier`` layer: OCHA's route segments with status, and the 2025 gates on them.

    A planner needs to know what is built, what is being built and what is only planned, and how much
    of the route runs inside the West Bank rather than on the 1967 line; gates are where farmers cross,
    so each names the segment it sits on.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (keys ``barrier`` and ``barrier_gates``).
    territories, line_1967 : GeoDataFrame
        The built boundary layers.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`BARRIER_COLUMNS`, sorted by ``feature_id``.  ``inside_west_bank_km``
        is the length inside the West Bank and more than :data:`LINE_TOLERANCE_M` from the 1967 line.

    Raises
    ------
    SourceError
        On an unknown status or type, a duplicate id, or a gate farther than :data:`GATE_MAX_M` from the route.
    """
    routes = _frame(_routes(src, west_bank_metric(territories), _armistice(line_1967)), BARRIER_COLUMNS)
    gates = _frame(_gates(src, routes), BARRIER_COLUMNS)
    out = _frame([*routes.to_dict("records"), *gates.to_dict("records")], BARRIER_COLUMNS)
    log.info("barrier: %d route segments (%.1f km), %d gates", len(routes), routes["length_km"].sum(), len(gates))
    return out


def length_by_status(barrier: gpd.GeoDataFrame) -> dict[str, float]:
    """Route length by status, so reports and tests quote the same figures.

    Parameters
    ----------
    barrier : GeoDataFrame
        The ``barrier`` layer.

    Returns
    -------
    dict of str to float
        km per status (``constructed``, ``under_construction``, ``projected``) and ``total``.
    """
    routes = barrier[barrier["kind"] == "route"]
    out = {s: round(float(routes.loc[routes["status"] == s, "length_km"].sum()), 3) for s in STATUSES.values()}
    out["total"] = round(float(routes["length_km"].sum()), 3)
    return out


def inside_share(barrier: gpd.GeoDataFrame) -> float:
    """Percent of the route length inside the West Bank, by the :data:`LINE_TOLERANCE_M` rule.

    Parameters
    ----------
    barrier : GeoDataFrame
        The ``barrier`` layer.

    Returns
    -------
    float
        ``inside_west_bank_km`` over ``length_km`` of the route segments, in percent (2 decimals).
    """
    routes = barrier[barrier["kind"] == "route"]
    return round(100 * float(routes["inside_west_bank_km"].sum()) / float(routes["length_km"].sum()), 2)


# -- seam zone ---------------------------------------------------------------------------------------------------------


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]


def _cut_off(west_bank: BaseGeometry, route: BaseGeometry, line: BaseGeometry) -> list[Polygon]:
    """West Bank parts the route cuts off from the main interior on the 1967-line side (EPSG:2039).

    A morphological closing: remove the route buffered by :data:`CLOSING_M`; the largest piece left is
    the core of the main interior; grown back by the same radius it is the main interior.  Everything
    else is cut off; the parts touching the 1967 line are the seam zone.
    """
    pieces = _polygons(shapely.difference(west_bank, shapely.buffer(route, CLOSING_M)))
    if not pieces:
        raise LayerError("seam_zone: the barrier route covers the whole West Bank; check the route's CRS.")
    core = max(pieces, key=lambda p: p.area)
    main = shapely.intersection(shapely.buffer(core, CLOSING_M), west_bank)
    parts: list[Polygon] = []
    for part in _polygons(shapely.difference(west_bank, main)):
        if part.area < MIN_PART_KM2 * 1e6:
            continue
        if part.distance(line) > CLOSING_M + 1.0:
            log.info(
                "seam_zone: %.3f km² cut off but not on the 1967-line side (an enclave): left out", part.area / 1e6
            )
            continue
        parts.append(part)
    return parts


def _check_localities(localities: gpd.GeoDataFrame) -> None:
    missing = [c for c in _LOCALITY_COLUMNS if c not in localities.columns]
    if missing:
        raise LayerError(
            f"seam_zone: the localities layer has no column(s) {', '.join(missing)}; "
            "build the localities layer first and pass it unchanged."
        )
    if localities.crs is None:
        raise LayerError("seam_zone: the localities layer has no CRS; pass it as built (EPSG:4326).")


def _people(parts: gpd.GeoSeries, localities: gpd.GeoDataFrame | None) -> tuple[list[int | None], list[int | None]]:
    """Locality count and population (rows counted with no other locality) in each part."""
    if localities is None:
        return [None] * len(parts), [None] * len(parts)
    _check_localities(localities)
    pts = localities.to_crs(METRIC_CRS)
    counts: list[int | None] = []
    people: list[int | None] = []
    for geom in parts.values:
        inside = pts[pts.geometry.within(geom)]
        own = inside[inside["counted_with"].isna()]
        counts.append(len(inside))
        people.append(int(pd.to_numeric(own["population"], errors="coerce").fillna(0).sum()))
    return counts, people


def build_seam_zone(
    barrier: gpd.GeoDataFrame,
    territories: gpd.GeoDataFrame,
    line_1967: gpd.GeoDataFrame,
    localities: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """The ``seam_zone`` layer: West Bank land between the barrier route and the 1967 line.

    The route is not a closed ring (gaps are left where it is unplanned, and its ends stop short of the
    outline), so the rule is a closing of radius :data:`CLOSING_M` (see :func:`_cut_off`): parts cut off
    from the main West Bank interior and touching the 1967 line.  Enclaves ringed by the route that
    border the seam (Bir Nabala, Az Zawiya) join it.  One row per part, numbered north to south.

    Parameters
    ----------
    barrier : GeoDataFrame
        The ``barrier`` layer (:func:`build_barrier`); its route segments of every status are used.
    territories, line_1967 : GeoDataFrame
        The built boundary layers.
    localities : GeoDataFrame or None
        The ``localities`` layer (columns ``population`` and ``counted_with``), or None to leave
        ``localities`` and ``population`` null.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`SEAM_COLUMNS`, sorted by ``feature_id``.

    Raises
    ------
    LayerError
        If an input layer lacks what the rule needs.
    """
    west_bank = west_bank_metric(territories)
    line = _armistice(line_1967)
    jerusalem = line_1967[(line_1967["kind"] == "armistice_line") & (line_1967["segment"] == "jerusalem")]
    jer = shapely.union_all(jerusalem.to_crs(METRIC_CRS).geometry.values)
    route = shapely.union_all(barrier[barrier["kind"] == "route"].to_crs(METRIC_CRS).geometry.values)
    parts = [shapely.simplify(p, SIMPLIFY_M) for p in _cut_off(west_bank, route, line)]
    parts.sort(key=lambda p: (-shapely.point_on_surface(p).y, shapely.point_on_surface(p).x))
    ej = [bool(not jer.is_empty and p.distance(jer) <= CLOSING_M + 1.0) for p in parts]
    gdf = _seam_frame(gpd.GeoSeries(parts, crs=METRIC_CRS), ej, west_bank_km2(territories), localities)
    log.info(
        "seam_zone: %d parts, %.1f km² (%.2f %% of the West Bank)",
        len(gdf),
        gdf["area_km2"].sum(),
        gdf["share_pct"].sum(),
    )
    return gdf


def _seam_frame(
    parts: gpd.GeoSeries, ej: list[bool], wb_km2: float, localities: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """The seam-zone rows for ``parts`` (EPSG:2039, already in north-to-south order)."""
    n = len(parts)
    counts, people = _people(parts, localities)
    geoms = shapely.set_precision(parts.to_crs(STORE_CRS).values, 1e-6)
    gdf = gpd.GeoDataFrame(
        {
            "feature_id": [f"seam-{k + 1:02d}" for k in range(n)],
            "name": [
                f"Seam zone, part {k + 1} of {n} (north to south)" + (", including East Jerusalem" if ej[k] else "")
                for k in range(n)
            ],
        },
        geometry=geoms,
        crs=STORE_CRS,
    )
    gdf["area_km2"] = area_km2(gdf).round(3).to_numpy()
    gdf["share_pct"] = (100 * gdf["area_km2"] / wb_km2).round(2)
    gdf["localities"] = pd.array(counts, dtype="Int64")
    gdf["population"] = pd.array(people, dtype="Int64")
    gdf["includes_east_jerusalem"] = ej
    gdf["source"] = _SEAM_SOURCE
    return gpd.GeoDataFrame(gdf[list(SEAM_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)
