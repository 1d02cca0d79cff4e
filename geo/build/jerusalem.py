"""The ``jerusalem`` layer: the Old City, its quarters and holy sites, the Holy Basin and neighbourhood areas.

Every Jerusalem arrangement (the Clinton Parameters, Taba, the Geneva Accord, the Olmert offer) is drawn on the same
few places: the Haram al-Sharif / Temple Mount platform, the Western Wall, the Church of the Holy Sepulchre, the four
quarters of the Old City and the rule "Arab areas Palestinian, Jewish areas Israeli" for the neighbourhoods.  None of
them exists as open geometry, so the polygons here are compiled from cited coordinates and published dimensions
(``geo/build/data/holy_sites.csv``, ``old_city_quarters.csv``, ``old_city_walls.csv``) and marked schematic.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import LayerError, SourceError
from . import facts
from .boundaries import old_city_polygon

__all__ = [
    "COLUMNS",
    "HOLY_BASIN_SITE_RADIUS_M",
    "NEIGHBOURHOOD_REACH_M",
    "NO_MANS_LAND_REACH_M",
    "TILING_TOLERANCE_M2",
    "build_jerusalem",
    "count_palestinians",
    "holy_site_polygons",
    "quarter_axes",
]

log = logging.getLogger(__name__)

_G = TypeVar("_G", bound=BaseGeometry)

#: The layer's columns, in order (``geometry`` follows).
COLUMNS = (
    "feature_id",
    "kind",
    "name",
    "name_ar",
    "name_he",
    "clinton_rule",
    "population",
    "population_year",
    "schematic",
    "area_km2",
    "source",
)
#: Each Holy Basin site stands for a place, not a point: a disc of this radius (m) around its compiled position.
HOLY_BASIN_SITE_RADIUS_M = 200.0
#: A part of the OCHA no-man's land this close (m) to East Jerusalem counts as East Jerusalem (East Talpiot).
NO_MANS_LAND_REACH_M = 200.0
#: A compiled neighbourhood centre may lie this far (m) outside East Jerusalem (coordinates are rounded).
NEIGHBOURHOOD_REACH_M = 150.0
#: Largest area (m²) by which the quarters may miss or double-count the Old City before the build stops.
_COVERAGE_TOLERANCE_M2 = 1.0
#: The same for the neighbourhood areas and East Jerusalem (70 km²): where a cell border crosses one of the OCHA
#: polygon's long edges, floating-point overlay leaves slivers a few centimetres wide (about 50 m² in all).
TILING_TOLERANCE_M2 = 200.0
#: How far (m) the quarter axes are extended past their end vertices, so they cross the walls cleanly.
_AXIS_OVERSHOOT_M = 30.0
#: The box every compiled Jerusalem vertex must lie in (lon, lat): catches swapped axes and typos.
_BOX = (35.15, 31.70, 35.30, 31.90)

_DATA = "geo/build/data"
_OCHA_EJ = "OCHA oPt Oslo areas, class 'Israeli Declared East Jerusalem'"
_CLINTON = (
    "Clinton Parameters (23 Dec 2000) as summarised in D. Gold, The Fight for Jerusalem (2007): 'Arab areas are "
    "Palestinian and Jewish areas are Israeli', applied to the Old City as well"
)


@dataclass(frozen=True)
class _Site:
    """A holy site's names, its side under the Clinton Parameters and why."""

    name: str
    name_ar: str
    name_he: str
    clinton_rule: str
    rule_basis: str


#: Names, and the Clinton Parameters' side for each site, with the reason.
_SITES: dict[str, _Site] = {
    "haram-al-sharif": _Site(
        "Haram al-Sharif / Temple Mount", "الحرم الشريف", "הר הבית", "PS", "Palestinian sovereignty over the Haram"
    ),
    "holy-sepulchre": _Site(
        "Church of the Holy Sepulchre", "كنيسة القيامة", "כנסיית הקבר", "PS", "it lies in the Christian Quarter"
    ),
    "western-wall-plaza": _Site(
        "Western Wall plaza",
        "ساحة البراق",
        "רחבת הכותל",
        "IL",
        "Israeli sovereignty over the Western Wall 'and the space sacred to Judaism of which it is a part'",
    ),
}
#: The quarters lie around the two axes; each face they cut is named by the neighbourhood point it holds.
_QUARTER_IDS = ("armenian-quarter", "christian-quarter", "jewish-quarter", "muslim-quarter")


def build_jerusalem(
    src: dict[str, gpd.GeoDataFrame],
    oslo_areas: gpd.GeoDataFrame,
    neighbourhood_populations: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """East Jerusalem, the Old City, its quarters and holy sites, the Holy Basin and neighbourhood areas.

    A plan addresses Jerusalem by these polygons, so the build checks what makes them usable: every polygon is
    valid, the holy sites lie inside the Old City, the quarters and the platform tile the Old City, and the
    neighbourhood areas with the Old City tile East Jerusalem without overlap.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (not read: the layer is built from the Oslo areas and the compiled facts; kept so every
        site builder is called alike).
    oslo_areas : GeoDataFrame
        The built Oslo layer (classes ``east_jerusalem`` and ``no_mans_land`` are used).
    neighbourhood_populations : DataFrame, optional
        Population figures that replace those of ``jerusalem_neighbourhoods.csv``: indexed by ``neighbourhood_id``,
        columns ``population`` and ``population_year`` (either may be null).

    Returns
    -------
    GeoDataFrame
        The columns :data:`COLUMNS` and ``geometry`` (EPSG:4326), sorted by ``feature_id``.

    Raises
    ------
    SourceError
        On a bad compiled vertex (naming the table, row and fix), a neighbourhood centre outside East Jerusalem, or a
        population table of the wrong shape.
    LayerError
        If the compiled polygons do not fit together (a site outside the Old City, quarters that do not tile it,
        neighbourhoods that do not tile East Jerusalem).
    """
    del src
    ej, annexed = _east_jerusalem(oslo_areas)
    old = old_city_polygon()
    if not old.is_valid:
        raise SourceError(
            f"{_DATA}/old_city_walls.csv: the walls polygon is invalid ({shapely.is_valid_reason(old)}); "
            "check the order and coordinates of the rows."
        )
    sites: dict[str, BaseGeometry] = dict(holy_site_polygons())
    _check_inside(old, sites)
    table = _neighbourhoods(neighbourhood_populations)
    quarters, platform = _quarters(old, sites["haram-al-sharif"], table)
    sites["haram-al-sharif"] = platform  # the same ring, noded where the Old City's east-west axis meets it
    rows = [*_base_rows(ej, old), *_site_rows(sites), *_quarter_rows(quarters, table)]
    rows.append(_holy_basin_row(old))
    # the neighbourhoods meet the Old City along the quarters' own edges, so together they tile East Jerusalem
    old_tiled = shapely.union_all([*quarters.values(), sites["haram-al-sharif"]])
    rows.extend(_neighbourhood_rows(table, annexed, old_tiled))
    gdf = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORE_CRS)
    gdf["area_km2"] = area_km2(gdf.geometry, "jerusalem").round(3)
    for col in ("population", "population_year"):
        gdf[col] = pd.array(gdf[col], dtype="Int64")
    gdf["schematic"] = gdf["schematic"].astype(bool)
    gdf = gdf.sort_values("feature_id").reset_index(drop=True)
    _check_polygons(gdf)
    basin = gdf.loc[gdf["kind"] == "holy_basin", "area_km2"].iloc[0]
    log.info("jerusalem: %d features, Holy Basin %.3f km²", len(gdf), basin)
    return gpd.GeoDataFrame(gdf[[*COLUMNS, "geometry"]], geometry="geometry", crs=STORE_CRS)


def count_palestinians(layer: gpd.GeoDataFrame, localities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give each Palestinian neighbourhood without a figure the people of the localities inside it.

    The compiled table has counts for the Israeli neighbourhoods only; the localities layer counts the Palestinian
    communities of East Jerusalem, so the two together let a plan weigh both sides of the Clinton rule.

    Parameters
    ----------
    layer : GeoDataFrame
        The ``jerusalem`` layer from :func:`build_jerusalem`.
    localities : GeoDataFrame
        The ``localities`` layer (``population``, ``population_year``, ``counted_with``).

    Returns
    -------
    GeoDataFrame
        A copy of ``layer`` with ``population``, ``population_year`` and ``source`` filled for those rows.
    """
    out = layer.copy()
    own = localities[localities["counted_with"].isna() & localities["population"].notna()]
    todo = (out["kind"] == "neighbourhood") & (out["clinton_rule"] == "PS") & out["population"].isna()
    years = sorted({int(y) for y in own["population_year"]})
    for i in out.index[todo]:
        inside = own[own.within(out.at[i, "geometry"])]
        if inside.empty:
            continue
        out.at[i, "population"] = int(inside["population"].sum())
        out.at[i, "population_year"] = years[-1]
        out.at[i, "source"] = (
            f"{out.at[i, 'source']}; population: the {len(inside)} localities inside it "
            "(PCBS census 2017, projected; see localities)"
        )
    return out


def holy_site_polygons() -> dict[str, Polygon]:
    """The compiled holy-site polygons (EPSG:4326), keyed by feature id, from ``holy_sites.csv``.

    Returns
    -------
    dict of str to Polygon

    Raises
    ------
    SourceError
        If a vertex row is malformed or a site's ring is not a valid polygon.
    """
    rings = _vertex_rows("holy_sites", "feature_id")
    unknown = sorted(set(rings) - set(_SITES))
    missing = sorted(set(_SITES) - set(rings))
    if unknown or missing:
        raise SourceError(
            f"{_DATA}/holy_sites.csv: unknown feature(s) {unknown}, missing feature(s) {missing}; the build knows "
            f"{sorted(_SITES)} (add a new site to _SITES in geo/build/jerusalem.py)."
        )
    out: dict[str, Polygon] = {}
    for fid, pts in rings.items():
        if len(pts) < 3:
            raise SourceError(f"{_DATA}/holy_sites.csv: {fid} has {len(pts)} vertices; a polygon needs at least 3.")
        poly = Polygon(pts)
        if not poly.is_valid:
            raise SourceError(
                f"{_DATA}/holy_sites.csv: {fid} is not a valid polygon ({shapely.is_valid_reason(poly)}); "
                "list its vertices in order around the ring (column seq)."
            )
        out[fid] = poly
    return out


def quarter_axes() -> dict[str, LineString]:
    """The two axes the Old City's quarters lie around (EPSG:4326), from ``old_city_quarters.csv``.

    Returns
    -------
    dict of str to LineString
        ``east-west`` (Jaffa Gate to the platform along the Western Wall plaza's north side) and ``north-south``
        (Damascus Gate to Zion Gate).

    Raises
    ------
    SourceError
        If a vertex row is malformed or an axis is missing.
    """
    lines = _vertex_rows("old_city_quarters", "line_id")
    if set(lines) != {"east-west", "north-south"}:
        raise SourceError(
            f"{_DATA}/old_city_quarters.csv: lines {sorted(lines)}; expected exactly 'east-west' and 'north-south'."
        )
    return {k: LineString(v) for k, v in lines.items()}


def _vertex_rows(table: str, key: str) -> dict[str, list[tuple[float, float]]]:
    """Vertices of each feature of a compiled table, in ``seq`` order, each row checked."""
    rows = facts.read(table)
    if not rows or not {key, "seq", "lon", "lat", "source"} <= set(rows[0]):
        raise SourceError(f"{_DATA}/{table}.csv: expected the columns {key}, seq, lon, lat, source.")
    seen: dict[str, dict[int, tuple[float, float]]] = {}
    for n, r in enumerate(rows, start=2):  # row 1 is the header
        where = f"{_DATA}/{table}.csv line {n} ({key}={r[key]!r}, seq={r['seq']!r})"
        seq, lon, lat = _parse_vertex(r, where)
        if not r["source"].strip():
            raise SourceError(f"{where}: no source; cite where the coordinate comes from.")
        verts = seen.setdefault(r[key].strip(), {})
        if seq in verts:
            raise SourceError(f"{where}: seq {seq} repeats; number the vertices of each feature 1, 2, 3, ...")
        verts[seq] = (lon, lat)
    return {fid: [v[s] for s in sorted(v)] for fid, v in sorted(seen.items())}


def _parse_vertex(r: dict[str, str], where: str) -> tuple[int, float, float]:
    try:
        seq, lon, lat = int(r["seq"]), float(r["lon"]), float(r["lat"])
    except (TypeError, ValueError):
        raise SourceError(
            f"{where}: seq, lon and lat must be numbers (got {r['seq']!r}, {r['lon']!r}, {r['lat']!r}); "
            "write decimal degrees, e.g. 35.2345,31.7767."
        ) from None
    x0, y0, x1, y1 = _BOX
    if not (math.isfinite(lon) and math.isfinite(lat) and x0 <= lon <= x1 and y0 <= lat <= y1):
        hint = " (lon and lat look swapped)" if x0 <= lat <= x1 and y0 <= lon <= y1 else ""
        raise SourceError(
            f"{where}: ({lon}, {lat}) is not in Jerusalem (lon {x0}..{x1}, lat {y0}..{y1}){hint}; "
            "fix the coordinate (decimal degrees, lon then lat)."
        )
    return seq, lon, lat


def _metric(geom: _G) -> _G:
    out: _G = gpd.GeoSeries([geom], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    return out


def _store(geom: _G) -> _G:
    out: _G = gpd.GeoSeries([geom], crs=METRIC_CRS).to_crs(STORE_CRS).iloc[0]
    return out


def _m2(geom: BaseGeometry) -> float:
    """Equal-area size of ``geom`` (EPSG:4326) in m²."""
    return float(area_km2(gpd.GeoSeries([geom], crs=STORE_CRS)).iloc[0]) * 1e6


def _centre(row: pd.Series) -> Point:
    """A neighbourhood's compiled centre (EPSG:4326)."""
    return Point(float(row["lon"]), float(row["lat"]))


def _east_jerusalem(oslo_areas: gpd.GeoDataFrame) -> tuple[BaseGeometry, BaseGeometry]:
    """The OCHA East Jerusalem polygon and the area the neighbourhoods tile (both EPSG:4326).

    East Talpiot was built in the Jerusalem no-man's land, so the no-man's-land parts next to East Jerusalem count
    as East Jerusalem here (the Latrun parts, far away, do not).
    """
    ej = oslo_areas.loc[oslo_areas["oslo_class"] == "east_jerusalem", "geometry"]
    if len(ej) != 1:
        raise SourceError("jerusalem: the Oslo layer has no single East Jerusalem area; check the OCHA Oslo source.")
    ej_m = _metric(ej.iloc[0])
    nml = oslo_areas.loc[oslo_areas["oslo_class"] == "no_mans_land", "geometry"]
    parts = [p for g in nml for p in getattr(g, "geoms", [g])]
    near = [p for p in parts if _metric(p).distance(ej_m) <= NO_MANS_LAND_REACH_M]
    return ej.iloc[0], shapely.union_all([ej.iloc[0], *near])


def _check_inside(old: Polygon, sites: dict[str, BaseGeometry]) -> None:
    """Every holy site lies inside the Old City walls (to 0.5 m: the platform shares the east wall)."""
    old_m = _metric(old).buffer(0.5)
    for fid, poly in sorted(sites.items()):
        if not old_m.contains(_metric(poly)):
            raise LayerError(
                f"jerusalem: {fid} reaches outside the Old City walls; fix its vertices in {_DATA}/holy_sites.csv "
                f"or the walls in {_DATA}/old_city_walls.csv."
            )
    overlap = _metric(sites["haram-al-sharif"]).intersection(_metric(sites["western-wall-plaza"])).area
    if overlap > _COVERAGE_TOLERANCE_M2:
        raise LayerError(f"jerusalem: the Western Wall plaza overlaps the platform by {overlap:.0f} m²; it lies west.")


def _neighbourhoods(override: pd.DataFrame | None) -> pd.DataFrame:
    """``jerusalem_neighbourhoods.csv`` indexed by id, with its population replaced by ``override`` where given."""
    table = pd.DataFrame(facts.read("jerusalem_neighbourhoods")).set_index("neighbourhood_id", drop=False)
    for col in ("population", "population_year"):
        table[col] = pd.to_numeric(table[col].replace("", None)).astype("Int64")
    if override is None:
        return table
    need = {"population", "population_year"}
    if not need <= set(override.columns):
        raise SourceError(
            f"neighbourhood populations: columns {sorted(override.columns)}; expected {sorted(need)} indexed by "
            "neighbourhood_id."
        )
    unknown = sorted(set(map(str, override.index)) - set(table.index))
    if unknown:
        raise SourceError(
            f"neighbourhood populations: unknown neighbourhood_id(s) {unknown}; use the ids of "
            f"{_DATA}/jerusalem_neighbourhoods.csv."
        )
    for nid, r in override.iterrows():
        for col in ("population", "population_year"):
            v = r[col]
            table.loc[str(nid), col] = None if pd.isna(v) else int(v)
    if (table["population"].dropna() < 0).any():
        raise SourceError("neighbourhood populations: a population is negative; populations are counts >= 0.")
    return table


def _quarters(old: Polygon, haram: BaseGeometry, table: pd.DataFrame) -> tuple[dict[str, BaseGeometry], BaseGeometry]:
    """The four quarters and the platform (EPSG:4326): the Old City cut along the two axes and the platform's walls.

    Each face the axes cut off the Old City less the platform is the quarter whose neighbourhood point
    (``jerusalem_neighbourhoods.csv``) it holds.  All faces come from one noding of the walls, the platform and the
    axes on the stored coordinates, so the quarters and the platform share their edges vertex for vertex and tile
    the Old City exactly.
    """
    area = old.difference(haram)
    lines = [_store(_extended(_metric(a))) for a in quarter_axes().values()]
    faces = list(shapely.polygonize([shapely.union_all([old.boundary, haram.boundary, *lines])]).geoms)
    platform = shapely.union_all([f for f in faces if haram.contains(f.representative_point())])
    out = _label_faces([f for f in faces if area.contains(f.representative_point())], table)
    gap = _m2(area.symmetric_difference(shapely.union_all(list(out.values()))))
    gap += _m2(haram.symmetric_difference(platform))
    if gap > _COVERAGE_TOLERANCE_M2:
        raise LayerError(f"jerusalem: the quarters miss or overlap {gap:.1f} m² of the Old City; this is a bug.")
    return out, platform


def _label_faces(faces: list[BaseGeometry], table: pd.DataFrame) -> dict[str, BaseGeometry]:
    """Name each face by the one quarter point it holds."""
    missing = sorted(set(_QUARTER_IDS) - set(table.index))
    if missing:
        raise SourceError(
            f"{_DATA}/jerusalem_neighbourhoods.csv: no row for {missing}; the quarters are named by these rows' points."
        )
    labels = {str(q): _centre(r) for q, r in table.loc[list(_QUARTER_IDS)].iterrows()}
    out: dict[str, BaseGeometry] = {}
    for face in faces:
        owners = [q for q, p in labels.items() if face.contains(p)]
        if len(owners) != 1:
            raise LayerError(
                f"jerusalem: an Old City face of {_m2(face):.0f} m² holds the quarter points {owners}; each face the "
                f"axes in {_DATA}/old_city_quarters.csv cut must hold exactly one quarter's point."
            )
        out[owners[0]] = face
    if sorted(out) != sorted(_QUARTER_IDS):
        raise LayerError(f"jerusalem: the axes cut {sorted(out)} only; check {_DATA}/old_city_quarters.csv.")
    return out


def _extended(line: LineString) -> LineString:
    """``line`` lengthened at both ends by :data:`_AXIS_OVERSHOOT_M` along its end segments."""
    pts = list(line.coords)

    def push(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float]:
        dx, dy = b[0] - a[0], b[1] - a[1]
        d = math.hypot(dx, dy)
        return (b[0] + dx / d * _AXIS_OVERSHOOT_M, b[1] + dy / d * _AXIS_OVERSHOOT_M)

    return LineString([push(pts[1], pts[0]), *pts, push(pts[-2], pts[-1])])


def _row(
    fid: str, kind: str, names: tuple[str, str | None, str | None], geom: BaseGeometry, **kw: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "feature_id": fid,
        "kind": kind,
        "name": names[0],
        "name_ar": names[1],
        "name_he": names[2],
        "clinton_rule": None,
        "population": None,
        "population_year": None,
        "schematic": True,
        "geometry": geom,
    }
    row.update(kw)
    return row


def _base_rows(ej: BaseGeometry, old: Polygon) -> list[dict[str, object]]:
    return [
        _row(
            "east-jerusalem",
            "east_jerusalem",
            ("East Jerusalem (annexed 1967)", "القدس الشرقية", "מזרח ירושלים"),
            ej,
            schematic=False,
            source=_OCHA_EJ,
        ),
        _row(
            "old-city",
            "old_city",
            ("Old City", "البلدة القديمة", "העיר העתיקה"),
            old,
            source=f"schematic: the walls through their gates and corners ({_DATA}/old_city_walls.csv)",
        ),
    ]


def _site_rows(sites: dict[str, BaseGeometry]) -> list[dict[str, object]]:
    rows = []
    for fid, poly in sorted(sites.items()):
        s = _SITES[fid]
        rows.append(
            _row(
                fid,
                "holy_site",
                (s.name, s.name_ar, s.name_he),
                poly,
                clinton_rule=s.clinton_rule,
                source=(
                    f"schematic, compiled from published dimensions ({_DATA}/holy_sites.csv); rule: {s.rule_basis} "
                    f"({_CLINTON})"
                ),
            )
        )
    return rows


def _quarter_rows(quarters: dict[str, BaseGeometry], table: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for q, r in table.loc[sorted(quarters)].iterrows():
        geom = quarters[str(q)]
        rows.append(
            _row(
                f"nbhd-{q}",
                "quarter",
                (str(r["name"]), r["name_ar"] or None, r["name_he"] or None),
                geom,
                clinton_rule=r["clinton_rule"] or None,
                population=r["population"],
                population_year=r["population_year"],
                source=(
                    f"schematic: the Old City less the platform, cut along the axes in {_DATA}/old_city_quarters.csv; "
                    f"names and rule: {_cited(r)}"
                ),
            )
        )
    return rows


def _cited(r: pd.Series) -> str:
    """The source cell of a neighbourhood row, with its population's source where the table gives one."""
    pop = str(r.get("population_source") or "").strip()
    return f"{r['source']}; population: {pop}" if pop else str(r["source"])


def _holy_basin_row(old: Polygon) -> dict[str, object]:
    """The Holy Basin: the hull of the Old City and the basin's sites, each a disc of the stated radius."""
    pts = [_metric(Point(float(r["lon"]), float(r["lat"]))) for r in facts.read("holy_basin_sites") if r["lon"]]
    discs = [p.buffer(HOLY_BASIN_SITE_RADIUS_M, quad_segs=16) for p in pts]
    hull = shapely.union_all([_metric(old), *discs]).convex_hull
    return _row(
        "holy-basin",
        "holy_basin",
        ("Holy Basin (schematic)", None, "האגן הקדוש"),
        _store(hull),
        source=(
            f"schematic: convex hull of the Old City and {HOLY_BASIN_SITE_RADIUS_M:.0f} m discs around the sites in "
            f"{_DATA}/holy_basin_sites.csv (Silwan / City of David, Mount of Olives, Gethsemane, Kidron Valley, "
            "Mount Zion)"
        ),
    )


def _neighbourhood_rows(table: pd.DataFrame, annexed: BaseGeometry, old: BaseGeometry) -> list[dict[str, object]]:
    """Voronoi cells of the neighbourhood centres outside the Old City, clipped to East Jerusalem less the Old City.

    ``old`` is the Old City as its quarters and the platform tile it.  The cells are drawn in EPSG:2039 (so they
    are true distance cells) and clipped in EPSG:4326, on the very coordinates of the OCHA polygon and the quarters.
    """
    target = annexed.difference(old)
    annexed_m = _metric(annexed)
    outer = table[~table.index.isin(_QUARTER_IDS)].sort_index()
    pts = [_centre(r) for _, r in outer.iterrows()]
    for nid, p in zip(outer.index, pts, strict=True):
        if _metric(p).distance(annexed_m) > NEIGHBOURHOOD_REACH_M or old.contains(p):
            raise SourceError(
                f"{_DATA}/jerusalem_neighbourhoods.csv: {nid} ({p.x}, {p.y}) lies outside East Jerusalem or inside "
                "the Old City; fix its coordinates."
            )
    cells = _voronoi([_metric(p) for p in pts], target)
    rows = []
    for (nid, r), cell in zip(outer.iterrows(), cells, strict=True):
        rows.append(
            _row(
                f"nbhd-{nid}",
                "neighbourhood",
                (str(r["name"]), r["name_ar"] or None, r["name_he"] or None),
                cell,
                clinton_rule=r["clinton_rule"] or None,
                population=r["population"],
                population_year=r["population_year"],
                source=(
                    "schematic: Voronoi cell of the neighbourhood centre, clipped to East Jerusalem (with the "
                    f"adjacent no-man's land) less the Old City; centre and rule: {_cited(r)}"
                ),
            )
        )
    _check_tiling([c for c in cells], target)
    return rows


def _voronoi(pts: list[Point], target: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell (EPSG:2039) of each point (in input order), clipped to ``target`` (EPSG:4326)."""
    env = _metric(target).envelope.buffer(1000.0)
    cells = shapely.voronoi_polygons(MultiPoint(pts), extend_to=env, ordered=True)
    out = []
    for p, cell in zip(pts, cells.geoms, strict=True):
        if not cell.contains(p):
            raise LayerError("jerusalem: a Voronoi cell does not hold its point; two neighbourhood centres coincide.")
        out.append(_polygonal(_store(cell).intersection(target)))
    return out


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """The polygonal part of an overlay result (which may hold lines and points where cells touch)."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    return shapely.union_all(parts)


def _check_tiling(cells: Iterable[BaseGeometry], target: BaseGeometry) -> None:
    cells = list(cells)
    union = shapely.union_all(cells)
    doubled = sum(_m2(c) for c in cells) - _m2(union)
    missed = _m2(target.symmetric_difference(union))
    if doubled > TILING_TOLERANCE_M2 or missed > TILING_TOLERANCE_M2:
        raise LayerError(
            f"jerusalem: the neighbourhood areas overlap by {doubled:.1f} m² and miss {missed:.1f} m² of East "
            "Jerusalem; this is a bug in geo/build/jerusalem.py."
        )


def _check_polygons(gdf: gpd.GeoDataFrame) -> None:
    bad = gdf[~gdf.geometry.is_valid | gdf.geometry.is_empty | ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(bad):
        fid = bad["feature_id"].iloc[0]
        raise LayerError(f"jerusalem: feature {fid} is not a valid polygon; this is a bug in geo/build/jerusalem.py.")
    if np.any(gdf["area_km2"] <= 0):
        fid = gdf.loc[gdf["area_km2"] <= 0, "feature_id"].iloc[0]
        raise LayerError(f"jerusalem: feature {fid} has no area; check its compiled vertices.")
