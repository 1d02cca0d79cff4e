"""A border scenario's geometry and figures, in metres, on named denominators.

Published figures disagree mostly because each uses another denominator: with or without East Jerusalem, with
or without the no-man's land (which the West Bank's polygon holds), the West Bank alone or with Gaza.  Every area
here is measured on each of them (:data:`DENOMINATORS`), so a scenario can be checked against a published figure
on the denominator it used.

The geometry is built in EPSG:2039 (buffers and corridors in metres) and measured in the equal-area CRS: never
in degrees.  Everything is deterministic: sets of ids are sorted, the swap's width is found by bisection.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from ..crs import METRIC_CRS, area_km2, to_metric
from ..errors import PlanError, PlanIssue
from .scenario import DENOMINATOR_NAMES, LoadedScenario

__all__ = ["DENOMINATORS", "NEEDED", "BorderResult", "compute", "resolve_settlements"]

#: The layers a border is computed from.
NEEDED = (
    "links",
    "territories",
    "line_1967",
    "settlements",
    "settlement_areas",
    "localities",
    "jerusalem",
    "basemap",
    "dead_sea",
    "israeli_localities",
)

DENOMINATORS = DENOMINATOR_NAMES
#: How closely (m) a swap's width or radius is found.
_WIDTH_TOLERANCE_M = 1.0
#: Swapped pieces smaller than this (km²) are left out: slivers between Israeli localities plan nothing.
_MIN_SWAP_PIECE_KM2 = 0.05
#: Width (m) within which the West Bank's edge counts as on the 1967 line rather than on the Jordan.
_ON_LINE_M = 200.0


@dataclass
class BorderResult:
    """A computed scenario: its geometry (EPSG:2039) and its figures."""

    name: str
    annexed: BaseGeometry
    swapped: BaseGeometry
    palestine: BaseGeometry
    settlements: list[str]
    denominators: pd.DataFrame
    figures: dict[str, Any] = field(default_factory=dict)

    def frame(self) -> gpd.GeoDataFrame:
        """The annexed and swapped areas and Palestine's West Bank, in EPSG:4326, with the scenario's name."""
        gdf = gpd.GeoDataFrame(
            {"part": ["annexed", "swapped", "palestine"], "scenario": [self.name] * 3},
            geometry=[self.annexed, self.swapped, self.palestine],
            crs=METRIC_CRS,
        )
        return gdf.to_crs("EPSG:4326")

    def to_json(self) -> dict[str, Any]:
        """Plain data: the figures and each denominator's row."""
        return {
            "name": self.name,
            "settlements_annexed": self.settlements,
            "figures": self.figures,
            "denominators": self.denominators.to_dict(orient="records"),
        }


def _km2(geom: BaseGeometry) -> float:
    if geom.is_empty:
        return 0.0
    return float(area_km2(gpd.GeoSeries([geom], crs=METRIC_CRS), "border").iloc[0])


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return to_metric(gdf, "border")


def _unknown(ls: LoadedScenario, where: tuple[str | int, ...], what: str, known: list[str]) -> PlanIssue:
    close = difflib.get_close_matches(what, known, n=1, cutoff=0.6)
    fix = f"did you mean '{close[0]}'?" if close else "use an id or a name of layers/settlements.geojson"
    return PlanIssue.at(ls.at(*where), f"unknown settlement '{what}'", fix)


def _key(name: str) -> str:
    """A spelling-blind key: published transliterations differ in apostrophes, hyphens and doubled letters."""
    letters = [c for c in name.casefold() if c.isalnum()]
    return "".join(c for k, c in enumerate(letters) if k == 0 or c != letters[k - 1])


def _named(ls: LoadedScenario, settlements: pd.DataFrame, key: str, issues: list[PlanIssue]) -> set[str]:
    """The ids of the settlements listed under ``annex.<key>``, by id or (case-blind) name."""
    ids = set(settlements["settlement_id"].astype(str))
    by_name = {_key(str(n)): str(i) for i, n in zip(settlements["settlement_id"], settlements["name"], strict=True)}
    known = sorted(ids | set(settlements["name"].astype(str)))
    out: set[str] = set()
    for j, s in enumerate(getattr(ls.scenario.annex, key)):
        sid = s if s in ids else by_name.get(_key(s))
        if sid is None:
            issues.append(_unknown(ls, ("annex", key, j), s, known))
        else:
            out.add(sid)
    return out


def _near_line(settlements: pd.DataFrame, line: BaseGeometry | None, km: float) -> set[str]:
    """West Bank settlements whose point lies within ``km`` of the 1967 line."""
    if km <= 0 or line is None or not isinstance(settlements, gpd.GeoDataFrame):
        return set()
    pts = _metric(settlements)
    near = (pts["kind"] == "settlement") & (pts.geometry.distance(line) <= km * 1000)
    return set(pts.loc[near, "settlement_id"].astype(str))


def _to_share(settlements: pd.DataFrame, line: BaseGeometry | None, chosen: set[str], pct: float) -> set[str]:
    """Add the settlements nearest the line until the chosen ones hold ``pct`` % of the West Bank's settlers.

    Clinton's parameters ask for "80% of settlers in blocks" while minimising the area annexed: the nearest
    settlements cost the least land.
    """
    if pct <= 0 or line is None or not isinstance(settlements, gpd.GeoDataFrame):
        return chosen
    pts = _metric(settlements)
    pts = pts[pts["kind"] != "east_jerusalem_neighbourhood"].assign(d=lambda f: f.geometry.distance(line).round(0))
    people = pts.set_index(pts["settlement_id"].astype(str))["population"].fillna(0)
    need = pct / 100 * float(people.sum())
    out = set(chosen)
    for sid in pts.sort_values(["d", "settlement_id"])["settlement_id"].astype(str):
        if float(people[people.index.isin(out)].sum()) >= need:
            break
        out.add(sid)
    return out


def resolve_settlements(ls: LoadedScenario, settlements: pd.DataFrame, line: BaseGeometry | None = None) -> list[str]:
    """The settlement ids a scenario annexes, sorted; unknown names are errors.

    The list is the settlements named (by id or name), the blocs' settlements, those near the line and, for a
    share of settlers, the nearest ones until it is reached; less the excluded ones. Published maps are described
    that way ("the blocs, but not Efrat").

    Parameters
    ----------
    ls : LoadedScenario
        The scenario.
    settlements : DataFrame
        The settlements layer (``settlement_id``, ``name``, ``bloc``, ``kind``).
    line : geometry, optional
        The 1967 line in EPSG:2039, for ``annex.near_line_km``.

    Returns
    -------
    list of str

    Raises
    ------
    PlanError
        Naming each unknown settlement or bloc at ``file:line:col``, with the closest known name.
    """
    blocs = {str(b) for b in settlements["bloc"].dropna()}
    issues: list[PlanIssue] = []
    chosen = _named(ls, settlements, "settlements", issues)
    for j, b in enumerate(ls.scenario.annex.blocs):
        if b not in blocs:
            close = difflib.get_close_matches(b, sorted(blocs), n=1, cutoff=0.6)
            fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(blocs))}"
            issues.append(PlanIssue.at(ls.at("annex", "blocs", j), f"unknown bloc '{b}'", fix))
            continue
        chosen |= set(settlements.loc[settlements["bloc"] == b, "settlement_id"].astype(str))
    chosen |= _near_line(settlements, line, ls.scenario.annex.near_line_km)
    chosen = _to_share(settlements, line, chosen, ls.scenario.annex.settlers_pct)
    chosen -= _named(ls, settlements, "exclude", issues)
    if issues:
        raise PlanError(issues)
    return sorted(chosen)


def _footprints(ids: list[str], ly: Mapping[str, gpd.GeoDataFrame], buffer_m: float) -> BaseGeometry:
    """The chosen settlements' built-up areas (or their points, where no footprint is known), buffered."""
    areas = _metric(ly["settlement_areas"])
    areas = areas[areas["settlement_id"].astype(str).isin(ids)]
    points = _metric(ly["settlements"])
    points = points[points["settlement_id"].astype(str).isin(set(ids) - set(areas["settlement_id"].astype(str)))]
    parts = [*areas.geometry, *points.geometry.buffer(max(buffer_m, 200.0))]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all([g.buffer(buffer_m) for g in parts])


class _Towns:
    """Palestinian localities as points with their people, to count whom a corridor would cross."""

    def __init__(self, ly: Mapping[str, gpd.GeoDataFrame]) -> None:
        locs = _metric(ly["localities"])
        self.points = np.asarray(locs.geometry.to_numpy())
        self.people = locs["population"].fillna(0).to_numpy(dtype=float)
        self.tree = shapely.STRtree(self.points)

    def inside(self, geom: BaseGeometry) -> float:
        """People of the localities whose point lies inside ``geom``."""
        hits = self.tree.query(geom, predicate="contains")
        return float(self.people[hits].sum())


def _route(piece: BaseGeometry, target: BaseGeometry, width_m: float, towns: _Towns) -> tuple[float, float, Any]:
    """The straight corridor's axis from ``piece`` to ``target``, with its cost: people crossed, then length.

    The people are those of the localities within half the width of the axis and outside the piece (the
    corridor buffered from the axis holds exactly those); the corridor itself is drawn only once chosen.
    """
    a, b = nearest_points(piece, target)
    axis = shapely.LineString([a, b])
    hits = towns.tree.query(axis, predicate="dwithin", distance=width_m / 2)
    people = sum(float(towns.people[h]) for h in hits if not piece.contains(towns.points[h]))
    return people, a.distance(b), axis


def _corridors(
    annexed: BaseGeometry, joined: BaseGeometry, line: BaseGeometry, width_m: float, towns: _Towns
) -> BaseGeometry:
    """Corridors joining every annexed piece to the line, each through the fewest Palestinians.

    Published maps join a bloc to Israel along roads between villages, not through them, and join a settlement
    to the nearest bloc rather than each to the line. So the pieces are joined one at a time, cheapest first
    (Prim's order): each to the line or to a piece already joined, by the straight corridor crossing the fewest
    people, then the shortest. ``joined`` is land that needs no corridor (East Jerusalem's neighbourhoods,
    joined through the city).
    """
    pieces = [g for g in getattr(annexed, "geoms", [annexed]) if not g.is_empty]
    todo = [p for p in pieces if p.distance(line) > 1.0 and not p.intersects(joined)]
    targets = [line, *[g for g in getattr(joined, "geoms", [joined]) if not g.is_empty]]
    targets += [p for p in pieces if p.distance(line) <= 1.0]
    best = [min((_route(p, t, width_m, towns) for t in targets), key=lambda r: r[:2]) for p in todo]
    out = []
    while todo:
        k = min(range(len(todo)), key=lambda j: (*best[j][:2], j))
        piece, (_, _, axis) = todo.pop(k), best.pop(k)
        corridor = axis.buffer(width_m / 2)
        out.append(corridor)
        new = piece.union(corridor)  # the piece joined: a target for the ones left
        best = [min(b, _route(p, new, width_m, towns), key=lambda r: r[:2]) for p, b in zip(todo, best, strict=True)]
    return shapely.union_all(out) if out else shapely.Polygon()


def _jerusalem(ls: LoadedScenario, ly: Mapping[str, gpd.GeoDataFrame]) -> BaseGeometry:
    """East Jerusalem's Israeli neighbourhoods and quarter by the Clinton rule, less those the scenario leaves out."""
    jer = _metric(ly["jerusalem"])
    israeli = jer[jer["kind"].isin(["neighbourhood", "quarter"]) & (jer["clinton_rule"] == "IL")]
    names = {_key(str(n)): str(n) for n in israeli["name"]}
    issues = []
    for j, n in enumerate(ls.scenario.annex.jerusalem_except):
        if _key(n) not in names:
            close = difflib.get_close_matches(n, sorted(names.values()), n=1, cutoff=0.6)
            fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(names.values()))}"
            issues.append(
                PlanIssue.at(ls.at("annex", "jerusalem_except", j), f"'{n}' is no Israeli neighbourhood", fix)
            )
    if issues:
        raise PlanError(issues)
    left_out = {_key(n) for n in ls.scenario.annex.jerusalem_except}
    israeli = israeli[~israeli["name"].astype(str).map(_key).isin(left_out)]
    return shapely.union_all(list(israeli.geometry)) if len(israeli) else shapely.Polygon()


def _grow(make: Callable[[float], BaseGeometry], target_km2: float, hi: float = 20_000.0) -> BaseGeometry:
    """The smallest ``make(width)`` of at least ``target_km2`` (bisection on the width; all of it if it falls short)."""
    if target_km2 <= 0:
        return shapely.Polygon()
    lo = 0.0
    if _km2(make(hi)) < target_km2:
        return make(hi)
    while hi - lo > _WIDTH_TOLERANCE_M:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _km2(make(mid)) < target_km2 else (lo, mid)
    return make(hi)


def _swap_land(ls: LoadedScenario, ly: Mapping[str, gpd.GeoDataFrame]) -> BaseGeometry:
    """The Israeli land a swap may take: Israel outside the West Bank and Gaza, away from its localities."""
    terr = _metric(ly["territories"]).set_index("territory_id")
    basemap = _metric(ly["basemap"]).set_index("feature_id")
    israel: BaseGeometry = basemap.geometry["country-isr"]
    land: BaseGeometry = israel.difference(terr.geometry["west_bank"]).difference(terr.geometry["gaza"])
    away = ls.scenario.swap.avoid_localities_m
    if away > 0:
        land = land.difference(shapely.union_all(list(_metric(ly["israeli_localities"]).geometry.buffer(away))))
    return land


def _disc(point: BaseGeometry, free: BaseGeometry) -> Callable[[float], BaseGeometry]:
    """The free land within a radius of ``point``, as a function of the radius."""

    def make(radius: float) -> BaseGeometry:
        return point.buffer(radius).intersection(free)

    return make


def _anchors(ls: LoadedScenario, ly: Mapping[str, gpd.GeoDataFrame]) -> list[BaseGeometry]:
    """Where each described swap area lies; a place outside Israel or inside the West Bank or Gaza is an error."""
    locs = _metric(ly["israeli_localities"])
    keys = locs["name"].astype(str).map(_key)
    twice = set(keys[keys.duplicated()])
    by = {k: g for k, g in zip(keys, locs.geometry, strict=True) if k not in twice}
    by |= {str(i): g for i, g in zip(locs["locality_id"], locs.geometry, strict=True)}
    terr = _metric(ly["territories"])
    israel = _metric(ly["basemap"]).set_index("feature_id").geometry["country-isr"]
    out, issues = [], []
    for j, area in enumerate(ls.scenario.swap.areas):
        if area.near is not None:
            point = by.get(area.near) or by.get(_key(area.near))
            if point is None and _key(area.near) in twice:
                ids = ", ".join(sorted(locs.loc[keys == _key(area.near), "locality_id"].astype(str)))
                at = ls.at("swap", "areas", j, "near")
                issues.append(PlanIssue.at(at, f"'{area.near}' names several localities", f"give one id: {ids}"))
                continue
            if point is None:
                close = difflib.get_close_matches(area.near, sorted(map(str, locs["name"])), n=1, cutoff=0.6)
                fix = f"did you mean '{close[0]}'?" if close else "name a locality of layers/israeli_localities.geojson"
                issues.append(PlanIssue.at(ls.at("swap", "areas", j, "near"), f"unknown locality '{area.near}'", fix))
                continue
        else:
            lon, lat = area.at or [0.0, 0.0]
            pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs="EPSG:4326")
            point = _metric(gpd.GeoDataFrame(geometry=pt)).geometry.iloc[0]
            if not israel.contains(point) or bool(terr.geometry.contains(point).any()):
                fix = "give a point in Israel, outside the West Bank and Gaza (longitude first)"
                issues.append(PlanIssue.at(ls.at("swap", "areas", j, "at"), "the swap area is not in Israel", fix))
                continue
        out.append(point)
    if issues:
        raise PlanError(issues)
    return out


def _swap(
    ls: LoadedScenario, ly: Mapping[str, gpd.GeoDataFrame], line: BaseGeometry, annexed_km2: float
) -> BaseGeometry:
    """Israeli land for the swap: the described areas first, then land along the 1967 line up to the ratio.

    The line-grown land grows from the armistice line, not from the whole West Bank edge, so it never reaches
    into the Dead Sea; each described area grows around its place until it has its published size. Slivers
    under :data:`_MIN_SWAP_PIECE_KM2` are left out.

    Raises
    ------
    PlanError
        When the described areas alone exceed the ratio of the annexed area.
    """
    land = _swap_land(ls, ly)
    taken: BaseGeometry = shapely.Polygon()
    for point, area in zip(_anchors(ls, ly), ls.scenario.swap.areas, strict=True):
        taken = taken.union(_grow(_disc(point, land.difference(taken)), area.km2, 40_000.0))
    target = ls.scenario.swap.ratio * annexed_km2
    described = sum(a.km2 for a in ls.scenario.swap.areas)
    if ls.scenario.swap.ratio > 0 and described > target + 0.01:
        need = f"raise swap.ratio to at least {described / annexed_km2:.3f}" if annexed_km2 else "annex some land"
        msg = f"the swap areas ({described:,.1f} km²) exceed ratio x annexed land ({target:,.1f} km²)"
        raise PlanError([PlanIssue.at(ls.at("swap", "areas"), msg, f"{need}, or shrink the areas")])
    free = land.difference(taken)
    swapped = taken.union(_grow(lambda w: line.buffer(w).intersection(free), target - _km2(taken)))
    pieces = [g for g in getattr(swapped, "geoms", [swapped]) if _km2(g) >= _MIN_SWAP_PIECE_KM2]
    return shapely.union_all(pieces) if pieces else shapely.Polygon()


def _inside(points: gpd.GeoDataFrame, area: BaseGeometry) -> pd.Series:
    return points.geometry.within(area) if not area.is_empty else pd.Series(False, index=points.index)


def _denominators(ly: Mapping[str, gpd.GeoDataFrame], wb: BaseGeometry, gaza: BaseGeometry) -> dict[str, BaseGeometry]:
    jer = _metric(ly["jerusalem"])
    ej = shapely.union_all(list(jer.loc[jer["kind"] == "east_jerusalem"].geometry))
    line = _metric(ly["line_1967"])
    nml = shapely.union_all(list(line.loc[line["kind"] == "no_mans_land"].geometry))
    sea = shapely.union_all(list(_metric(ly["dead_sea"]).geometry))
    return {
        "west_bank": wb,
        "west_bank_without_east_jerusalem": wb.difference(ej),
        "west_bank_without_no_mans_land": wb.difference(nml),
        "west_bank_with_dead_sea": wb.union(sea),
        "west_bank_and_gaza": wb.union(gaza),
        "west_bank_and_gaza_with_dead_sea": wb.union(gaza).union(sea),
    }


def _table(dens: Mapping[str, BaseGeometry], annexed: BaseGeometry, swapped: BaseGeometry) -> pd.DataFrame:
    rows = []
    for name, geom in dens.items():
        total = _km2(geom)
        a = _km2(annexed.intersection(geom))
        s = _km2(swapped)
        rows.append(
            {
                "denominator": name,
                "total_km2": round(total, 2),
                "annexed_km2": round(a, 2),
                "annexed_pct": round(100 * a / total, 2) if total else 0.0,
                "swapped_km2": round(s, 2),
                "swapped_pct": round(100 * s / total, 2) if total else 0.0,
                "net_pct": round(100 * (a - s) / total, 2) + 0.0 if total else 0.0,  # never -0.0
            }
        )
    return pd.DataFrame(rows)


def _people(ly: Mapping[str, gpd.GeoDataFrame], annexed: BaseGeometry, swapped: BaseGeometry) -> dict[str, Any]:
    """Who lives in the annexed land (settlers, East Jerusalem Israelis, Palestinians) and in the swapped land."""
    israelis = _metric(ly["israeli_localities"])
    in_swap = _inside(israelis, swapped)
    setl = _metric(ly["settlements"])
    inside = _inside(setl, annexed)
    wb_setl = setl["kind"] != "east_jerusalem_neighbourhood"
    settlers = int(setl.loc[inside & wb_setl, "population"].fillna(0).sum())
    total = int(setl.loc[wb_setl, "population"].fillna(0).sum())
    ej = int(setl.loc[inside & ~wb_setl, "population"].fillna(0).sum())
    locs = _metric(ly["localities"])
    pal = int(locs.loc[_inside(locs, annexed), "population"].fillna(0).sum())
    return {
        "settlers_annexed": settlers,
        "settlers_total": total,
        "settlers_annexed_pct": round(100 * settlers / total, 2) if total else 0.0,
        "settlements_annexed": int((inside & wb_setl).sum()),
        "israelis_east_jerusalem_annexed": ej,
        "palestinians_annexed": pal,
        "israelis_in_swapped": int(israelis.loc[in_swap, "population"].fillna(0).sum()),
        "israeli_localities_in_swapped": int(in_swap.sum()),
    }


def _shape(wb: BaseGeometry, annexed: BaseGeometry, palestine: BaseGeometry, line: BaseGeometry) -> dict[str, Any]:
    """Border length against the line's, Israel's exclaves, Palestine's pieces and whether it stays in one."""
    east = wb.boundary.difference(line.buffer(_ON_LINE_M))
    border = palestine.boundary.difference(east.buffer(_ON_LINE_M)) if not palestine.is_empty else shapely.Polygon()
    pieces = [g for g in getattr(palestine, "geoms", [palestine]) if not g.is_empty and g.area > 1e4]
    israel_side = line.buffer(_ON_LINE_M)
    exclaves = [g for g in getattr(annexed, "geoms", [annexed]) if not g.is_empty and not g.intersects(israel_side)]
    return {
        "border_km": round(border.length / 1000, 2),
        "line_km": round(line.intersection(wb.boundary.buffer(_ON_LINE_M)).length / 1000, 2),
        "palestine_pieces": len(pieces),
        # land cut off from the main body: the pockets between annexed blocs and the line
        "palestine_enclaves_km2": round(sum(sorted(g.area for g in pieces)[:-1]) / 1e6, 2),
        "contiguous": len(pieces) == 1,
        "israeli_exclaves": len(exclaves),
    }


def _passage(ls: LoadedScenario, ly: Mapping[str, gpd.GeoDataFrame]) -> BaseGeometry:
    """The safe passage's land in Israel: its link's line, ``width_m`` wide, outside the West Bank and Gaza."""
    sp = ls.scenario.safe_passage
    if sp is None:
        return shapely.Polygon()
    links = _metric(ly["links"]).set_index("link_id")
    if sp.link not in links.index:
        close = difflib.get_close_matches(sp.link, sorted(map(str, links.index)), n=1, cutoff=0.6)
        fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(map(str, links.index)))}"
        raise PlanError([PlanIssue.at(ls.at("safe_passage", "link"), f"unknown link '{sp.link}'", fix)])
    terr = _metric(ly["territories"]).set_index("territory_id")
    strip: BaseGeometry = links.geometry[sp.link].buffer(sp.width_m / 2, cap_style="flat")
    land: BaseGeometry = strip.difference(terr.geometry["west_bank"]).difference(terr.geometry["gaza"])
    return land


def _check_geometry(ls: LoadedScenario, geom: BaseGeometry, what: str = "annexed") -> None:
    """An invalid area, or an annex that names land but comes out empty, is the scenario's error."""
    annex = ls.scenario.annex
    names = annex.settlements or annex.blocs or annex.near_line_km or annex.settlers_pct or annex.jerusalem != "none"
    if not geom.is_valid:
        msg, fix = f"the {what} area comes out invalid", "change the buffer or corridor width"
    elif what == "annexed" and names and geom.is_empty:
        msg, fix = "the annex comes out empty", "check exclude: (it may leave out every settlement named)"
    else:
        return
    raise PlanError([PlanIssue.at(ls.at("annex"), msg, fix)])


def compute(ls: LoadedScenario, layers: Mapping[str, gpd.GeoDataFrame]) -> BorderResult:
    """Build a scenario's annexed and swapped areas and measure them.

    Parameters
    ----------
    ls : LoadedScenario
        The scenario.
    layers : mapping of str to GeoDataFrame
        ``territories``, ``line_1967``, ``settlements``, ``settlement_areas``, ``localities``, ``jerusalem``,
        ``basemap``.

    Returns
    -------
    BorderResult

    Raises
    ------
    PlanError
        For unknown settlements or blocs, or a geometry that comes out invalid.
    """
    sc = ls.scenario
    terr = _metric(layers["territories"]).set_index("territory_id")
    wb, gaza = terr.geometry["west_bank"], terr.geometry["gaza"]
    line_gdf = _metric(layers["line_1967"])
    line = shapely.union_all(list(line_gdf.loc[line_gdf["kind"] == "armistice_line"].geometry))
    ids = resolve_settlements(ls, layers["settlements"], line)
    if sc.annex.jerusalem_except and sc.annex.jerusalem != "clinton_rule":
        where = ls.at("annex", "jerusalem_except")
        raise PlanError(
            [PlanIssue.at(where, "jerusalem_except applies to the Clinton rule", "add jerusalem: clinton_rule")]
        )
    raw = _footprints(ids, layers, sc.annex.buffer_m)
    city = _jerusalem(ls, layers) if sc.annex.jerusalem == "clinton_rule" else shapely.Polygon()
    towns = _Towns(layers)
    corridors = _corridors(raw, city, line, sc.annex.corridor_m, towns).intersection(wb).difference(raw.union(city))
    annexed = raw.union(city).union(corridors).intersection(wb)
    _check_geometry(ls, annexed)
    passage = _passage(ls, layers)
    swapped = _swap(ls, layers, line, _km2(annexed))
    if sc.safe_passage is not None and sc.safe_passage.counted:
        swapped = swapped.union(passage)
    _check_geometry(ls, swapped, "swapped")
    palestine = wb.difference(annexed)
    figures = {**_people(layers, annexed, swapped), **_shape(wb, annexed, palestine, line)}
    figures["annexed_km2"] = round(_km2(annexed), 2)
    figures["corridors_km2"] = round(_km2(corridors), 2)
    figures["palestinians_in_corridors"] = int(towns.inside(corridors)) if not corridors.is_empty else 0
    figures["swapped_km2"] = round(_km2(swapped), 2)
    figures["safe_passage_km2"] = round(_km2(passage), 2)  # in the swap only when the scenario counts it
    figures["swap_ratio"] = round(figures["swapped_km2"] / figures["annexed_km2"], 3) if figures["annexed_km2"] else 0.0
    apart = [g for g in getattr(swapped, "geoms", [swapped]) if not g.is_empty and g.distance(palestine) > 1.0]
    figures["swapped_pieces_apart"] = len(apart)  # swapped land that does not touch Palestine
    figures["swapped_km2_apart"] = round(sum(_km2(g) for g in apart), 2)
    return BorderResult(
        sc.name, annexed, swapped, palestine, ids, _table(_denominators(layers, wb, gaza), annexed, swapped), figures
    )
