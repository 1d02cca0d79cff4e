"""The West Bank Barrier: route segments with their status, the agricultural gates, and the seam zone.

The route is OCHA's January 2018 alignment (constructed, under construction and projected segments) and the
gates are OCHA's 2025 set.  The seam zone is derived from them: the West Bank land that the route, once
complete, cuts off from the rest of the West Bank on the side of the 1967 line.  All measuring happens in
EPSG:2039 (lengths) and the equal-area CRS of :mod:`geo.crs` (areas); results are returned in EPSG:4326.

Every route segment, gate and seam-zone part also names the planning zone it belongs to (``zone_id``), so a
plan can take the barrier down zone by zone: a segment comes down, and a seam part is reconnected, when the
removal step of its zone ends.  The rules (:func:`majority_zone`) give each feature exactly one zone:

- a route segment belongs to the zone it runs in for the largest length (EPSG:2039 metres); a segment entirely
  outside every zone (on the Israeli side of the 1967 line) goes to the nearest zone (metres);
- a gate takes the zone of its segment (``segment_id``), so a gate never outlives the fence it opens;
- a seam-zone part belongs to the zone holding most of its area (equal-area CRS), the nearest zone if none;
- ties go to the smallest zone id, so the assignment is the same on every machine.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import AREA_CRS, METRIC_CRS, STORE_CRS, area_km2
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
    "length_by_zone",
    "majority_zone",
    "seam_by_zone",
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
    "zone_id",
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
    "zone_id",
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
                "zone_id": None,  # set by build_barrier, from all segments at once
                "source": _ROUTE_SOURCE,
                "geometry": route.geometry.iloc[pos],
            }
        )
    return rows


def _gates(src: dict[str, gpd.GeoDataFrame], routes: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """One row per OCHA gate, attached to its nearest route segment (within GATE_MAX_M), in that segment's zone."""
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
    zone_of = dict(zip(routes["feature_id"], routes["zone_id"], strict=True))
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
                "zone_id": zone_of[str(near["feature_id"].iloc[pos])],
                "source": _GATE_SOURCE,
                "geometry": gates.geometry.iloc[pos],
            }
        )
    return rows


def _frame(rows: list[dict[str, object]], columns: tuple[str, ...]) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORE_CRS)
    gdf = gdf.sort_values("feature_id", kind="mergesort").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(columns)], geometry=gdf.geometry.values, crs=STORE_CRS)


# -- planning zones ----------------------------------------------------------------------------------------------------

#: What :func:`majority_zone` measures: the CRS of each measure and the decimals compared (a millimetre, a square
#: metre), so float noise cannot decide between two equal overlaps: ties go to the smallest zone id.
_MEASURES: dict[str, tuple[CRS, int]] = {"length": (METRIC_CRS, 3), "area": (AREA_CRS, 0)}


def _check_zones(zones: gpd.GeoDataFrame, what: str) -> None:
    if "zone_id" not in zones.columns or zones.empty:
        raise LayerError(
            f"{what}: the zones layer has no zone_id column or no rows; build the boundaries first and pass the "
            "zones layer unchanged."
        )
    if zones.crs is None:
        raise LayerError(f"{what}: the zones layer has no CRS; pass it as built (EPSG:4326).")


def _largest(rows: list[int], zone_ids: list[str], amounts: list[float]) -> dict[int, str]:
    """Per feature row, the zone with the largest positive overlap; ties go to the smallest zone id."""
    best: dict[int, tuple[float, str]] = {}
    for i, z, a in zip(rows, zone_ids, amounts, strict=True):
        if a > 0 and (i not in best or (-a, z) < (-best[i][0], best[i][1])):
            best[i] = (a, z)
    return {i: z for i, (_, z) in best.items()}


def _nearest_zones(geoms: gpd.GeoSeries, zones: gpd.GeoDataFrame) -> list[str]:
    """The zone nearest each geometry (EPSG:2039 metres, compared to the millimetre; ties to the smallest id)."""
    ids = zones["zone_id"].astype(str).tolist()
    zm = zones.to_crs(METRIC_CRS).geometry.values
    out: list[str] = []
    for g in geoms.to_crs(METRIC_CRS).values:
        dist = np.round(shapely.distance(g, zm), 3).tolist()
        out.append(min(zip(dist, ids, strict=True))[1])
    return out


def majority_zone(features: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, measure: str, what: str) -> pd.Series:
    """The planning zone each feature belongs to: the one holding most of it, else the nearest.

    A plan takes the barrier down zone by zone, so every segment and seam part needs exactly one zone, chosen
    by a rule anyone can recompute: the largest overlap (length for lines, area for polygons), measured in
    metres and never in degrees.  A feature touching no zone (a route segment on the Israeli side of the 1967
    line) goes to the nearest zone instead of being dropped, so no length or area is left out of the plan.

    Parameters
    ----------
    features : GeoDataFrame
        Lines (``measure="length"``) or polygons (``measure="area"``), with a CRS.
    zones : GeoDataFrame
        The ``zones`` layer (column ``zone_id``), with a CRS.
    measure : {"length", "area"}
        Overlap measured in EPSG:2039 metres, or in the equal-area CRS of :mod:`geo.crs`.
    what : str
        The layer being assigned, for the log and error messages.

    Returns
    -------
    pandas.Series
        Zone ids, indexed like ``features``; never null.  Ties (to the millimetre or square metre) go to the
        smallest zone id.

    Raises
    ------
    LayerError
        If ``zones`` has no ``zone_id``, no rows or no CRS.
    ValueError
        If ``measure`` is neither ``"length"`` nor ``"area"``.
    """
    if measure not in _MEASURES:
        raise ValueError(f"measure must be 'length' or 'area', not {measure!r}")
    _check_zones(zones, what)
    crs, decimals = _MEASURES[measure]
    geoms = features.geometry.to_crs(crs).values
    zgeoms = zones.to_crs(crs).geometry.values
    ids = zones["zone_id"].astype(str).to_numpy()
    left, right = shapely.STRtree(zgeoms).query(geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[left], zgeoms[right])
    amounts = np.round(shapely.length(pieces) if measure == "length" else shapely.area(pieces), decimals)
    best = _largest(left.tolist(), ids[right].tolist(), amounts.tolist())
    outside = [i for i in range(len(geoms)) if i not in best]
    if outside:
        near = _nearest_zones(features.geometry.iloc[outside], zones)
        best.update(zip(outside, near, strict=True))
        log.info("%s: %d feature(s) outside every zone, given the nearest zone", what, len(outside))
    return pd.Series([best[i] for i in range(len(geoms))], index=features.index, dtype=object)


def build_barrier(
    src: dict[str, gpd.GeoDataFrame],
    territories: gpd.GeoDataFrame,
    line_1967: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """The ``barrier`` layer: OCHA's route segments with status, and the 2025 gates on them.

    A planner needs to know what is built, what is being built and what is only planned, and how much
    of the route runs inside the West Bank rather than on the 1967 line; gates are where farmers cross,
    so each names the segment it sits on.  A plan removes the barrier zone by zone, so every feature
    names its planning zone (:func:`majority_zone` by length; a gate takes its segment's zone).

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (keys ``barrier`` and ``barrier_gates``).
    territories, line_1967 : GeoDataFrame
        The built boundary layers.
    zones : GeoDataFrame
        The planning zones (column ``zone_id``).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`BARRIER_COLUMNS`, sorted by ``feature_id``.  ``inside_west_bank_km``
        is the length inside the West Bank and more than :data:`LINE_TOLERANCE_M` from the 1967 line;
        ``zone_id`` is never null.

    Raises
    ------
    SourceError
        On an unknown status or type, a duplicate id, or a gate farther than :data:`GATE_MAX_M` from the route.
    LayerError
        If ``zones`` lacks ``zone_id``, rows or a CRS.
    """
    routes = _frame(_routes(src, west_bank_metric(territories), _armistice(line_1967)), BARRIER_COLUMNS)
    routes["zone_id"] = majority_zone(routes, zones, "length", "barrier").to_numpy()
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


def length_by_zone(barrier: gpd.GeoDataFrame, status: str | None = None) -> dict[str, float]:
    """Route length per planning zone, so a plan's "km standing" adds up the same segments the layer holds.

    Parameters
    ----------
    barrier : GeoDataFrame
        The ``barrier`` layer.
    status : str, optional
        Only segments of this status (``constructed``, ``under_construction``, ``projected``); all by default.

    Returns
    -------
    dict of str to float
        km per ``zone_id`` (3 decimals), zones in id order; zones without such a segment are absent.
    """
    routes = barrier[barrier["kind"] == "route"]
    if status is not None:
        routes = routes[routes["status"] == status]
    sums = routes.groupby("zone_id")["length_km"].sum().sort_index()
    return {str(z): round(float(v), 3) for z, v in sums.items()}


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
    zones: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """The ``seam_zone`` layer: West Bank land between the barrier route and the 1967 line.

    The route is not a closed ring (gaps are left where it is unplanned, and its ends stop short of the
    outline), so the rule is a closing of radius :data:`CLOSING_M` (see :func:`_cut_off`): parts cut off
    from the main West Bank interior and touching the 1967 line.  Enclaves ringed by the route that
    border the seam (Bir Nabala, Az Zawiya) join it.  One row per part, numbered north to south.  Each
    part names the planning zone holding most of its area (:func:`majority_zone`), so a plan reconnects
    it, with its land and people, when that zone's barrier comes down.

    Parameters
    ----------
    barrier : GeoDataFrame
        The ``barrier`` layer (:func:`build_barrier`); its route segments of every status are used.
    territories, line_1967 : GeoDataFrame
        The built boundary layers.
    localities : GeoDataFrame or None
        The ``localities`` layer (columns ``population`` and ``counted_with``), or None to leave
        ``localities`` and ``population`` null.
    zones : GeoDataFrame
        The planning zones (column ``zone_id``).

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`SEAM_COLUMNS`, sorted by ``feature_id``; ``zone_id`` is never null.

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
    gdf = _seam_frame(gpd.GeoSeries(parts, crs=METRIC_CRS), ej, west_bank_km2(territories), localities, zones)
    log.info(
        "seam_zone: %d parts, %.1f km² (%.2f %% of the West Bank)",
        len(gdf),
        gdf["area_km2"].sum(),
        gdf["share_pct"].sum(),
    )
    return gdf


def seam_by_zone(seam: gpd.GeoDataFrame) -> pd.DataFrame:
    """Seam-zone parts, land and people per planning zone: what reconnecting a zone gives back.

    Parameters
    ----------
    seam : GeoDataFrame
        The ``seam_zone`` layer.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id`` (in id order): ``parts``, ``area_km2`` (3 decimals), ``localities`` and
        ``population`` (null where the layer has no counts).
    """
    grouped = seam.groupby("zone_id")
    out = pd.DataFrame(
        {
            "parts": grouped.size(),
            "area_km2": grouped["area_km2"].sum().round(3),
            "localities": grouped["localities"].sum(min_count=1),
            "population": grouped["population"].sum(min_count=1),
        }
    )
    return out.sort_index()


def _seam_frame(
    parts: gpd.GeoSeries,
    ej: list[bool],
    wb_km2: float,
    localities: gpd.GeoDataFrame | None,
    zones: gpd.GeoDataFrame,
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
    gdf["zone_id"] = majority_zone(gdf, zones, "area", "seam_zone").to_numpy()  # the stored geometry, as shipped
    gdf["source"] = _SEAM_SOURCE
    return gpd.GeoDataFrame(gdf[list(SEAM_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)
