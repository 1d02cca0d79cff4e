"""Point and site layers: crossings, OCHA obstacles and the Jerusalem arrangements."""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
import shapely.ops
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS
from ..errors import SourceError
from . import facts
from .boundaries import slug
from .sources import REGION_BOUNDS

__all__ = [
    "CLOSURE_TYPES",
    "CROSSING_COLUMNS",
    "EJ_CHECKPOINT_KM",
    "GREENLINE_KM",
    "JERUSALEM_NEAR_KM",
    "KIND_SIDES",
    "SIDE_KM",
    "assign_zones",
    "build_crossings",
    "build_obstacles",
    "check_sides",
    "crossing_borders",
]

log = logging.getLogger(__name__)

#: OCHA closure survey type codes -> (name, abbreviation); see the source's SOURCE.md.
CLOSURE_TYPES: dict[int, tuple[str, str]] = {
    1: ("checkpoint", "CHK"),
    2: ("partial_checkpoint", "PCP"),
    3: ("open_road_gate", "ORG"),
    4: ("earthmound", "EMD"),
    5: ("road_block", "RDB"),
    6: ("closed_road_gate", "CRG"),
    10: ("partial_checkpoint_closed_gate", "PCC"),
    11: ("partial_checkpoint_open_gate", "PCO"),
}
#: OCHA governorate codes in the closure survey (the suffix of the COD-AB admin-2 pcode).
_GOV_CODES = {
    1: "PS0101",
    5: "PS0105",
    10: "PS0110",
    15: "PS0115",
    20: "PS0120",
    25: "PS0125",
    30: "PS0130",
    35: "PS0135",
    40: "PS0140",
    45: "PS0145",
    50: "PS0150",
}
#: A survey checkpoint this close to the 1967 line (km) is a Green Line checkpoint (PS-IL), else internal.
GREENLINE_KM = 1.0
#: A crossing typed PS-IL, PS-JO or PS-EG lies at most this far (km) from that border.
SIDE_KM = 1.0
#: A Jerusalem line crossing should lie this close (km) to the Jerusalem segment; up to SIDE_KM is logged.
JERUSALEM_NEAR_KM = 0.3
#: An East Jerusalem checkpoint lies at most this far (km) from East Jerusalem.
EJ_CHECKPOINT_KM = 1.0
#: Each kind of crossing and the sides it may have: a checkpoint inside Palestine connects no two countries.
KIND_SIDES: dict[str, frozenset[str]] = {
    "border_terminal": frozenset({"PS-IL", "PS-JO", "PS-EG"}),
    "greenline_checkpoint": frozenset({"PS-IL"}),
    "jerusalem_line_crossing": frozenset({"PS-IL"}),
    "east_jerusalem_checkpoint": frozenset({"internal"}),
    "internal_checkpoint": frozenset({"internal"}),
}
#: Columns of the crossings layer, in file order (the geometry comes last).
CROSSING_COLUMNS = (
    "crossing_id",
    "name",
    "name_ar",
    "name_he",
    "kind",
    "sides",
    "status",
    "status_as_of",
    "major",
    "operator",
    "people_per_day",
    "trucks_per_day",
    "capacity_year",
    "capacity_source",
    "zone_id",
    "source",
)
_TEXT_COLUMNS = ("crossing_id", "name", "name_ar", "name_he", "kind", "sides", "status", "status_as_of", "source")
_FACT_COLUMNS = (*_TEXT_COLUMNS, "major", "ocha_name", "lon", "lat", "placement", "anchor", "placement_km")
_OPERATION_COLUMNS = ("operator", "people_per_day", "trucks_per_day", "capacity_year", "capacity_source")
_STATUSES = ("open", "restricted", "closed")
_PLACEMENTS = ("exact", "snap", "along")
_MONTH = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])")
# The outline within this distance (m) of the 1967 line is the line itself (rounding between CRSs).
_ON_LINE_M = 50.0
# OCHA's type text of the survey checkpoints on the West Bank - East Jerusalem boundary.
_EJ_SURVEY_TYPE = "controls access to EJ"
_CROSSINGS_CSV = "geo/build/data/crossings.csv"
_CAPACITY_CSV = "geo/build/data/crossing_capacity.csv"
_OCHA_OPERATOR = (
    "Israeli security forces",
    "OCHA oPt, West Bank Closure and Access (Apr 2005): the closure system's checkpoints and barriers are "
    "'placed by the Israeli Defense Forces'",
)
_OCHA_SURVEY = "OCHA oPt West Bank closure survey 2025 (CC BY 3.0 IGO)"


def assign_zones(
    points: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    what: str,
    max_km: float = 1.0,
    labels: list[str] | None = None,
) -> pd.Series:
    """Zone id of each point: the zone containing it, else the nearest within ``max_km``.

    Parameters
    ----------
    points : GeoDataFrame
        Point features with a CRS.
    zones : GeoDataFrame
        The planning zones.
    what : str
        Layer name, for error messages.
    max_km : float, optional
        How far outside every zone a point may lie (e.g. a checkpoint on the line).
    labels : list of str, optional
        One label per point, in order (source file, id, name), so that an error names the feature as its source
        does; by default the error gives the point's index, which callers that sort their rows cannot trace.

    Returns
    -------
    pandas.Series
        Zone ids, indexed like ``points``.

    Raises
    ------
    SourceError
        If a point is farther than ``max_km`` from every zone.
    """
    pm = points.to_crs(METRIC_CRS)
    zm = zones.to_crs(METRIC_CRS)[["zone_id", "geometry"]]
    joined = gpd.sjoin_nearest(pm[["geometry"]], zm, how="left", max_distance=max_km * 1000, distance_col="_d")
    joined = joined[~joined.index.duplicated(keep="first")]
    missing = joined["zone_id"].isna()
    if missing.any():
        pos = joined.index[missing][0]
        where = f"feature {pos}" if labels is None else dict(zip(points.index, labels, strict=True))[pos]
        raise SourceError(
            f"{what}: {where} lies more than {max_km} km outside every zone; check its "
            "coordinates (lon/lat order, CRS)."
        )
    return pd.Series(joined["zone_id"].astype(str), index=points.index)


def _near(point: Point, line: shapely.Geometry, km: float) -> bool:
    p = gpd.GeoSeries([point], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    return bool(p.distance(line) <= km * 1000)


def _to_metric(point: Point) -> Point:
    p: Point = gpd.GeoSeries([point], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    return p


def _outline(geom: BaseGeometry) -> BaseGeometry:
    """The exterior ring of the largest part of a territory (islands and holes are no border crossings)."""
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area).exterior


def _facing(lines: BaseGeometry, naturalearth: gpd.GeoDataFrame, country: str) -> BaseGeometry:
    """The segments of ``lines`` (EPSG:2039) nearer to Natural Earth's ``country`` than to the sea.

    Natural Earth is coarse (about a kilometre), so it only decides which stretch of a territory's
    outline faces the country and which faces the sea; the border itself is the OCHA outline.
    """
    ne = naturalearth.to_crs(METRIC_CRS).set_index("ADM0_A3")
    if country not in ne.index:
        raise SourceError(f"Natural Earth source has no {country} feature; use the unmodified Levant clip.")
    land = shapely.union_all(list(ne.geometry.values))
    sea = shapely.difference(shapely.envelope(land).buffer(20_000), land)
    target = ne.loc[country].geometry
    segments = [
        LineString(pair)
        for part in getattr(lines, "geoms", [lines])
        for pair in zip(part.coords[:-1], part.coords[1:], strict=True)
    ]
    mids = [s.interpolate(0.5, normalized=True) for s in segments]
    keep = [s for s, m in zip(segments, mids, strict=True) if m.distance(target) < m.distance(sea)]
    return shapely.line_merge(shapely.union_all(keep))


def crossing_borders(
    territories: gpd.GeoDataFrame, line_1967: gpd.GeoDataFrame, naturalearth: gpd.GeoDataFrame
) -> dict[str, BaseGeometry]:
    """The line each kind of crossing must lie on, in EPSG:2039.

    A crossing's ``sides`` is a claim about geometry (a crossing into Israel stands on the 1967
    line), so the build measures it instead of trusting the fact table.

    Parameters
    ----------
    territories, line_1967 : GeoDataFrame
        Built layers (EPSG:4326).
    naturalearth : GeoDataFrame
        The Natural Earth source, to tell the Gaza-Egypt border from the coast.

    Returns
    -------
    dict of str to geometry
        ``"PS-IL"`` (the whole armistice line), ``"PS-JO"`` (the West Bank outline off the line),
        ``"PS-EG"`` (the Gaza outline off the line that faces Egypt) and ``"jerusalem"`` (the
        Jerusalem segment of the line).
    """
    line = line_1967[line_1967["kind"] == "armistice_line"].to_crs(METRIC_CRS)
    on_line = line.union_all()
    off_line = on_line.buffer(_ON_LINE_M)
    terr = territories.to_crs(METRIC_CRS).set_index("territory_id").geometry
    gaza_off_line = _outline(terr["gaza"]).difference(off_line)
    return {
        "PS-IL": on_line,
        "PS-JO": _outline(terr["west_bank"]).difference(off_line),
        "PS-EG": _facing(gaza_off_line, naturalearth, "EGY"),
        "jerusalem": line[line["segment"] == "jerusalem"].union_all(),
    }


@dataclass(frozen=True)
class _Fact:
    """One validated row of ``crossings.csv``."""

    crossing_id: str
    row: dict[str, str]
    where: str
    ocha_name: str
    lon_lat: tuple[float, float] | None
    placement: str
    anchor: str
    placement_km: float


def _fail(where: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"{where}: {problem}; {fix}")


def _km(text: str, where: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _fail(where, f"{column} {text!r} is not a number", f"write {column} in kilometres, e.g. 1.5") from None
    if not math.isfinite(value) or value <= 0:
        raise _fail(where, f"{column} {text!r} must be a positive number", f"write {column} in kilometres, e.g. 1.5")
    return value


def _lon_lat(r: dict[str, str], where: str) -> tuple[float, float] | None:
    if not r["lon"] and not r["lat"]:
        return None
    try:
        lon, lat = float(r["lon"]), float(r["lat"])
    except ValueError:
        raise _fail(
            where, f"coordinates ({r['lon']!r}, {r['lat']!r}) are not numbers", "write decimal degrees"
        ) from None
    xmin, ymin, xmax, ymax = REGION_BOUNDS
    if not (xmin <= lon <= xmax and ymin <= lat <= ymax):
        raise _fail(
            where,
            f"coordinates ({lon}, {lat}) lie outside the region (lon {xmin}..{xmax}, lat {ymin}..{ymax})",
            "write longitude first, then latitude, in decimal degrees (EPSG:4326)",
        )
    return lon, lat


def _check_row_values(r: dict[str, str], where: str) -> None:
    for col in ("crossing_id", "name", "kind", "sides", "status", "status_as_of", "major", "source"):
        if not r.get(col, ""):
            raise _fail(where, f"{col} is empty", f"fill in {col}")
    if r["kind"] not in KIND_SIDES:
        raise _fail(where, f"unknown kind {r['kind']!r}", f"use one of {', '.join(KIND_SIDES)}")
    if r["sides"] not in KIND_SIDES[r["kind"]]:
        allowed = ", ".join(sorted(KIND_SIDES[r["kind"]]))
        raise _fail(where, f"a {r['kind']} cannot have sides {r['sides']!r}", f"use {allowed} or change the kind")
    if r["status"] not in _STATUSES:
        raise _fail(where, f"unknown status {r['status']!r}", f"use one of {', '.join(_STATUSES)}")
    if not _MONTH.fullmatch(r["status_as_of"]):
        raise _fail(where, f"status_as_of {r['status_as_of']!r} is not a month", "write it as YYYY-MM")
    if r["major"] not in ("true", "false"):
        raise _fail(where, f"major {r['major']!r} is not a boolean", "write true or false")
    if r["placement"] not in _PLACEMENTS:
        raise _fail(where, f"unknown placement {r['placement']!r}", f"use one of {', '.join(_PLACEMENTS)}")


def _rows(table: str) -> list[dict[str, str]]:
    """A fact table's rows with every cell a string (a short row's missing cells are empty)."""
    return [{k: (v or "").strip() for k, v in r.items() if isinstance(k, str)} for r in facts.read(table)]


def _read_facts() -> list[_Fact]:
    """The rows of ``crossings.csv``, validated; a bad row names its line and the fix."""
    rows = _rows("crossings")
    missing = [c for c in _FACT_COLUMNS if rows and c not in rows[0]]
    if missing:
        raise SourceError(f"{_CROSSINGS_CSV}: missing column(s) {', '.join(missing)}; restore the header.")
    out: list[_Fact] = []
    for line, r in enumerate(rows, start=2):
        where = f"{_CROSSINGS_CSV} line {line} ({r['crossing_id'] or 'no id'})"
        _check_row_values(r, where)
        lon_lat = _lon_lat(r, where)
        if (lon_lat is None) == (not r["ocha_name"]):
            raise _fail(where, "the position is not given once", "give either ocha_name or lon and lat, not both")
        km = _km(r["placement_km"], where, "placement_km") if r["placement"] != "exact" else 0.0
        if r["placement"] == "along" and (not r["anchor"] or lon_lat is None):
            raise _fail(where, "placement 'along' needs an anchor and lon/lat", "name the anchor crossing_id")
        out.append(_Fact(r["crossing_id"], r, where, r["ocha_name"], lon_lat, r["placement"], r["anchor"], km))
    return out


def _nearest_part(line: BaseGeometry, point: Point) -> LineString:
    parts = [p for p in getattr(line, "geoms", [line]) if isinstance(p, LineString)]
    return min(parts, key=lambda p: p.distance(point))


def _place(f: _Fact, ref: Point, borders: dict[str, BaseGeometry], placed: dict[str, Point]) -> Point:
    """The crossing's position (EPSG:2039) from its reference point and placement rule.

    ``snap`` puts a crossing that sources describe as on the border, but give no coordinates for, at
    the nearest point of that border; ``along`` puts it a published distance along the border from
    another crossing, towards the reference point.  Both are schematic and say so in ``source``.
    """
    if f.placement == "exact":
        return ref
    border = borders[f.row["sides"]]
    if f.placement == "snap":
        if ref.distance(border) > f.placement_km * 1000:
            raise _fail(
                f.where,
                f"the reference point lies {ref.distance(border) / 1000:.2f} km from the {f.row['sides']} border, "
                f"farther than placement_km {f.placement_km}",
                "check the reference coordinates or raise placement_km",
            )
        return shapely.ops.nearest_points(border, ref)[0]
    if f.anchor not in placed:
        raise _fail(f.where, f"anchor {f.anchor!r} is not an earlier row", "name a crossing listed above this row")
    part = _nearest_part(border, placed[f.anchor])
    start = part.project(placed[f.anchor])
    step = f.placement_km * 1000 * (1 if part.project(ref) >= start else -1)
    if not 0 <= start + step <= part.length:
        raise _fail(f.where, f"{f.placement_km} km from {f.anchor} runs off the border", "check placement_km")
    return part.interpolate(start + step)


def _survey_point(f: _Fact, by_name: dict[str, int], survey: gpd.GeoDataFrame) -> tuple[Point, int]:
    if f.ocha_name not in by_name:
        raise _fail(
            f.where,
            f"no point named {f.ocha_name!r} in the OCHA closure survey",
            f"fix ocha_name in {_CROSSINGS_CSV} or the source",
        )
    idx = by_name[f.ocha_name]
    return survey.geometry.loc[idx], idx


def _compiled_rows(
    survey: gpd.GeoDataFrame, borders: dict[str, BaseGeometry]
) -> tuple[list[dict[str, object]], set[int]]:
    """Rows of the compiled crossings, placed; and the survey points they use."""
    by_name = {str(n).strip(): i for i, n in zip(survey.index, survey["name"], strict=True)}
    rows: list[dict[str, object]] = []
    used: set[int] = set()
    placed: dict[str, Point] = {}
    for f in _read_facts():
        if f.crossing_id in placed:
            raise _fail(f.where, f"crossing_id {f.crossing_id!r} appears twice", "give every row its own id")
        if f.lon_lat is None:
            ref, idx = _survey_point(f, by_name, survey)
            used.add(idx)
        else:
            ref = Point(*f.lon_lat)
        placed[f.crossing_id] = _place(f, _to_metric(ref), borders, placed)
        row: dict[str, object] = {k: (f.row[k] or None) for k in _TEXT_COLUMNS}
        row["major"] = f.row["major"] == "true"
        row["geometry"] = gpd.GeoSeries([placed[f.crossing_id]], crs=METRIC_CRS).to_crs(STORE_CRS).iloc[0]
        rows.append(row)
    return rows, used


def _greenline_rows(greenline: gpd.GeoDataFrame) -> list[dict[str, object]]:
    return [
        {
            "crossing_id": f"greenline-{slug(str(g['currentnam']))}",
            "name": str(g["currentnam"]),
            "name_ar": None,
            "name_he": None,
            "kind": "greenline_checkpoint",
            "sides": "PS-IL",
            "status": "restricted",
            "status_as_of": "2025-11",
            "major": True,
            "source": "OCHA oPt Green Line checkpoints, Nov 2025 (CC BY 3.0 IGO); open to permit holders",
            "geometry": g.geometry,
        }
        for _, g in greenline.sort_values("fid").iterrows()
    ]


def _survey_type(c: pd.Series, line: BaseGeometry, ej: BaseGeometry) -> tuple[str, str, str]:
    """(kind, sides, why) of a survey checkpoint.

    OCHA's own type marks the checkpoints that control access to East Jerusalem; those on its
    boundary (within :data:`EJ_CHECKPOINT_KM`) are East Jerusalem checkpoints.  Then distance: a
    checkpoint near the 1967 line is a Green Line checkpoint, any other is internal.
    """
    text = c["cp_types_text"]
    p = _to_metric(c.geometry)
    if isinstance(text, str) and _EJ_SURVEY_TYPE in text and p.distance(ej) <= EJ_CHECKPOINT_KM * 1000:
        return "east_jerusalem_checkpoint", "internal", f"type CHK, {text!r}"
    if p.distance(line) <= GREENLINE_KM * 1000:
        return "greenline_checkpoint", "PS-IL", f"type CHK, within {GREENLINE_KM:g} km of the 1967 line"
    return "internal_checkpoint", "internal", "type CHK" + (f", {text!r}" if isinstance(text, str) else "")


def _survey_rows(
    survey: gpd.GeoDataFrame, used: set[int], line: BaseGeometry, ej: BaseGeometry
) -> list[dict[str, object]]:
    if "cp_types_text" not in survey.columns:
        raise SourceError(
            "ocha-opt/closure_points_2025.geojson: missing column cp_types_text (OCHA's checkpoint type, which "
            "marks the checkpoints controlling access to East Jerusalem); use an unmodified copy of the source."
        )
    chk = survey[(survey["closutretype"] == 1) & ~survey.index.isin(list(used))].sort_values("objectid")
    rows: list[dict[str, object]] = []
    for _, c in chk.iterrows():
        kind, sides, why = _survey_type(c, line, ej)
        rows.append(
            {
                "crossing_id": f"ocha-{int(c['objectid'])}",
                "name": str(c["name"]).strip(),
                "name_ar": None,
                "name_he": None,
                "kind": kind,
                "sides": sides,
                "status": "restricted",
                "status_as_of": "2025-11" if c["monthyear"] == "Nov2025" else "2025-02",
                "major": False,
                "source": f"{_OCHA_SURVEY}, {why}",
                "geometry": c.geometry,
            }
        )
    return rows


def _side_problem(
    r: pd.Series, p: Point, borders: dict[str, BaseGeometry], territory: BaseGeometry, ej: BaseGeometry
) -> str | None:
    """Why a crossing's position contradicts its sides and kind, or None."""
    sides, kind = str(r["sides"]), str(r["kind"])
    if sides != "internal":
        d = p.distance(borders[sides]) / 1000
        if d > SIDE_KM:
            return f"is typed {sides} but lies {d:.2f} km from that border (at most {SIDE_KM:g} km)"
    elif not territory.covers(p):
        return "is typed internal but lies outside the West Bank and the Gaza Strip"
    if kind == "jerusalem_line_crossing":
        d = p.distance(borders["jerusalem"]) / 1000
        if d > SIDE_KM:
            return f"is a Jerusalem line crossing {d:.2f} km from the Jerusalem segment (at most {SIDE_KM:g} km)"
        if d > JERUSALEM_NEAR_KM:
            log.info("crossings: %s lies %.2f km from the Jerusalem segment", r["crossing_id"], d)
    if kind == "east_jerusalem_checkpoint" and p.distance(ej) > EJ_CHECKPOINT_KM * 1000:
        return f"is an East Jerusalem checkpoint more than {EJ_CHECKPOINT_KM:g} km from East Jerusalem"
    return None


def check_sides(
    crossings: gpd.GeoDataFrame, borders: dict[str, BaseGeometry], territories: gpd.GeoDataFrame, ej: BaseGeometry
) -> None:
    """Refuse a crossing whose position contradicts its ``sides`` or ``kind``.

    A PS-IL, PS-JO or PS-EG crossing lies within :data:`SIDE_KM` of that border, a Jerusalem line
    crossing near the Jerusalem segment, an internal one inside the territories, an East Jerusalem
    checkpoint near East Jerusalem.  Plans schedule crossings into Israel; one typed PS-IL deep inside
    the West Bank would open Israel at the wrong place.

    Parameters
    ----------
    crossings : GeoDataFrame
        With ``crossing_id``, ``kind``, ``sides`` and point geometry.
    borders : dict
        From :func:`crossing_borders` (EPSG:2039).
    territories : GeoDataFrame
        The territories layer.
    ej : geometry
        East Jerusalem in EPSG:2039.

    Raises
    ------
    SourceError
        Naming the first crossing in error and the fix.
    """
    territory = territories.to_crs(METRIC_CRS).union_all()
    metric = crossings.to_crs(METRIC_CRS).geometry
    for (_, r), p in zip(crossings.iterrows(), metric, strict=True):
        problem = _side_problem(r, p, borders, territory, ej)
        if problem:
            raise SourceError(
                f"crossings: {r['crossing_id']} {problem}; fix its position or its kind/sides in "
                f"{_CROSSINGS_CSV} (OCHA-derived rows: check the source)."
            )


def _int_or_none(text: str, where: str, column: str, low: int, high: int) -> int | None:
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise _fail(where, f"{column} {text!r} is not a whole number", f"write {column} as digits only") from None
    if not low <= value <= high:
        raise _fail(where, f"{column} {value} is out of range {low}..{high}", f"check {column}")
    return value


def _read_operations(ids: set[str]) -> dict[str, dict[str, object]]:
    """Operator and published daily capacity per crossing id, from ``crossing_capacity.csv``."""
    rows = _rows("crossing_capacity")
    missing = [c for c in ("crossing_id", "operator_source", *_OPERATION_COLUMNS) if rows and c not in rows[0]]
    if missing:
        raise SourceError(f"{_CAPACITY_CSV}: missing column(s) {', '.join(missing)}; restore the header.")
    out: dict[str, dict[str, object]] = {}
    for line, r in enumerate(rows, start=2):
        where = f"{_CAPACITY_CSV} line {line} ({r['crossing_id'] or 'no id'})"
        if r["crossing_id"] not in ids:
            raise _fail(where, f"crossing_id {r['crossing_id']!r} is not in the crossings layer", "fix the id")
        if r["crossing_id"] in out:
            raise _fail(where, "the crossing appears twice", "merge the rows")
        values: dict[str, object] = {
            "operator": r["operator"] or None,
            "people_per_day": _int_or_none(r["people_per_day"], where, "people_per_day", 0, 10_000_000),
            "trucks_per_day": _int_or_none(r["trucks_per_day"], where, "trucks_per_day", 0, 100_000),
            "capacity_year": _int_or_none(r["capacity_year"], where, "capacity_year", 1948, 2100),
            "capacity_source": r["capacity_source"] or None,
            "operator_source": r["operator_source"],
        }
        has_figure = values["people_per_day"] is not None or values["trucks_per_day"] is not None
        if has_figure and (values["capacity_year"] is None or not r["capacity_source"]):
            raise _fail(where, "a figure without its year or source", "give capacity_year and capacity_source")
        if r["operator"] and not r["operator_source"]:
            raise _fail(where, "an operator without a source", "cite it in operator_source")
        out[r["crossing_id"]] = values
    return out


def _attach_operations(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add operator and capacity columns: the fact table first, OCHA's attribution for survey checkpoints."""
    ops = _read_operations(set(gdf["crossing_id"]))
    default = gdf["kind"].isin(["internal_checkpoint", "east_jerusalem_checkpoint"]) | gdf[
        "crossing_id"
    ].str.startswith("ocha-")
    out = gdf.copy()
    for col in _OPERATION_COLUMNS:
        out[col] = [ops.get(cid, {}).get(col) for cid in out["crossing_id"]]
    fallback = default & out["operator"].isna()
    out.loc[fallback, "operator"] = _OCHA_OPERATOR[0]
    cited = [ops.get(cid, {}).get("operator_source") for cid in out["crossing_id"]]
    notes = [c if c else (_OCHA_OPERATOR[1] if f else None) for c, f in zip(cited, fallback, strict=True)]
    out["source"] = [f"{s}; operator: {n}" if n else s for s, n in zip(out["source"], notes, strict=True)]
    for col in ("people_per_day", "trucks_per_day", "capacity_year"):
        out[col] = pd.array(out[col], dtype="Int64")
    return out


def _east_jerusalem(zones: gpd.GeoDataFrame) -> BaseGeometry:
    if "oslo" not in zones.columns or not (zones["oslo"] == "EJ").any():
        raise SourceError("crossings: the zones have no East Jerusalem zone (oslo 'EJ'); rebuild the boundaries.")
    ej: BaseGeometry = zones[zones["oslo"] == "EJ"].to_crs(METRIC_CRS).union_all()
    return ej


def build_crossings(
    src: dict[str, gpd.GeoDataFrame],
    zones: gpd.GeoDataFrame,
    territories: gpd.GeoDataFrame,
    line_1967: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Crossings: compiled terminals and line crossings, OCHA Green Line and survey checkpoints.

    Every crossing's ``sides`` is checked against the geometry (:func:`check_sides`), so a plan
    that opens a PS-IL crossing opens a point on the 1967 line.  Operator and published daily
    capacity come from ``crossing_capacity.csv``; figures not published stay null.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (``closures``, ``greenline``, ``naturalearth``).
    zones, territories, line_1967 : GeoDataFrame
        Already built layers.

    Returns
    -------
    GeoDataFrame
        :data:`CROSSING_COLUMNS` and point geometry, EPSG:4326, sorted by ``crossing_id``.

    Raises
    ------
    SourceError
        On a bad fact row, an unknown survey name, a duplicate id, or a position that contradicts its sides.
    """
    survey = src["closures"]
    borders = crossing_borders(territories, line_1967, src["naturalearth"])
    rows, used = _compiled_rows(survey, borders)
    rows += _greenline_rows(src["greenline"])
    ej = _east_jerusalem(zones)
    rows += _survey_rows(survey, used, borders["PS-IL"], ej)
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    if gdf["crossing_id"].duplicated().any():
        dup = gdf.loc[gdf["crossing_id"].duplicated(), "crossing_id"].iloc[0]
        raise SourceError(f"crossings: duplicate crossing_id {dup!r}; rename one in the source or facts.")
    check_sides(gdf, borders, territories, ej)
    gdf["zone_id"] = assign_zones(gdf, zones, "crossings", max_km=2.0).to_numpy()
    gdf = _attach_operations(gdf).sort_values("crossing_id", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(CROSSING_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)


def build_obstacles(src: dict[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The OCHA 2025 closure survey with its type codes decoded.

    Raises
    ------
    SourceError
        On an unknown type, governorate code or survey round.
    """
    survey = src["closures"].sort_values("objectid")
    path = "ocha-opt/closure_points_2025.geojson"
    admin2 = src["admin2"].set_index("adm2_pcode")["adm2_name"]
    rows = []
    mismatched = 0
    for _, r in survey.iterrows():
        code = int(r["closutretype"])
        label = f"{path}: feature objectid={int(r['objectid'])} ({str(r['name']).strip()!r})"
        if code not in CLOSURE_TYPES:
            raise SourceError(
                f"{label} has unknown closure type code {code}; known codes: "
                f"{sorted(CLOSURE_TYPES)}. Add the code to CLOSURE_TYPES in geo/sites.py."
            )
        name, abbrev = CLOSURE_TYPES[code]
        given = r["type_closure_abbrev"]
        if isinstance(given, str) and given.strip() and given.strip() != abbrev:
            mismatched += 1  # the code is authoritative; the free-text abbreviation lags status changes
        gov = int(r["governoratet"])
        if gov not in _GOV_CODES:
            raise SourceError(f"{label} has unknown governorate code {gov}; known: {sorted(_GOV_CODES)}.")
        if str(r["monthyear"]) not in ("Feb2025", "Nov2025"):
            raise SourceError(f"{label} has unknown survey round {r['monthyear']!r}; expected Feb2025 or Nov2025.")
        rows.append(
            {
                "obstacle_id": f"ocha-{int(r['objectid'])}",
                "name": str(r["name"]).strip(),
                "type_code": code,
                "type": name,
                "type_abbrev": abbrev,
                "governorate": str(admin2[_GOV_CODES[gov]]),
                "survey": str(r["monthyear"]),
                "source": _OCHA_SURVEY,
                "geometry": r.geometry,
            }
        )
    if mismatched:
        log.info("obstacles: %d rows whose abbreviation disagrees with the type code (code used)", mismatched)
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    gdf["zone_id"] = assign_zones(gdf, zones, "obstacles", max_km=2.0).to_numpy()
    return gdf
