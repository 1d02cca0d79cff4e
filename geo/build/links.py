"""The Gaza - West Bank link: the 1999 safe-passage routes, compiled from cited waypoints.

A confederation plan that joins the two territories needs the link drawn and measured.  Only the
southern route (Erez - Tarqumiya) ever operated, from October 1999 into 2000; the northern route
was proposed at the time and never opened.  No route geometry was published, only the junctions
it passed, so each link is a schematic polyline through cited points, ending exactly at its two
crossings of the crossings layer, and measured in EPSG:2039.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS
from ..errors import SourceError
from . import facts

__all__ = ["ENDPOINT_KM", "LENGTH_TOLERANCE", "LINKS", "LINK_COLUMNS", "WAYPOINT_BOUNDS", "LinkFact", "build_links"]

log = logging.getLogger(__name__)

#: The first and last waypoint lie at most this far (km) from the link's crossings.
ENDPOINT_KM = 2.0
#: A link's length may differ from its published length by at most this share (the polyline is schematic).
LENGTH_TOLERANCE = 0.15
#: lon/lat box of Israel, the West Bank and the Gaza Strip: every waypoint lies inside it.
WAYPOINT_BOUNDS = (34.2, 29.45, 35.9, 33.35)
#: Columns of the links layer, in file order (the geometry comes last).
LINK_COLUMNS = (
    "link_id",
    "name",
    "route",
    "status",
    "from_crossing",
    "to_crossing",
    "length_km",
    "published_length_km",
    "schematic",
    "source",
)
_CSV = "geo/build/data/link_waypoints.csv"
_WAYPOINT_COLUMNS = ("link_id", "seq", "name", "lon", "lat", "source")
_MILE_KM = 1.609344


@dataclass(frozen=True)
class LinkFact:
    """One link: its route, status, end crossings and the length as published."""

    link_id: str
    name: str
    route: str
    status: str
    from_crossing: str
    to_crossing: str
    published_length_km: float | None
    source: str


#: The links and their facts (the waypoints are in ``geo/build/data/link_waypoints.csv``).
LINKS: tuple[LinkFact, ...] = (
    LinkFact(
        "safe-passage-north",
        "Safe passage, northern route (Erez - Mevo Horon), proposed",
        "northern",
        "proposed",
        "erez",
        "mevo-horon",
        None,
        "a second route 'between Gaza and Ramallah' was to be worked out after the southern one (JTA, 6 Oct 1999); "
        "its transit station was to be 'at Mevo Horon on the Green Line' (Haaretz, via Al Bawaba, 30 May 2000); "
        "never opened; no length published. Geometry: schematic, a straight line between the cited end points",
    ),
    LinkFact(
        "safe-passage-south",
        "Safe passage, southern route (Erez - Tarqumiya)",
        "southern",
        "operated_1999_2000",
        "erez",
        "tarqumiya",
        round(28 * _MILE_KM, 3),
        "route 'Erez Crossing, Ashkelon Junction, Plugot Junction, Beit Guvrin Junction, and Tarkumiyeh' (Israel "
        "MFA, 'Safe Passage Agreement Signed', 5 Oct 1999); opened 25 Oct 1999, 'the 28-mile route, which uses "
        "existing roads in Israel' (AP, 25 Oct 1999); not operated after the second intifada began in autumn 2000 "
        "(closure date not verified here). Other published lengths: 44 km (BADIL, al-Majdal, Dec 1999), 34 miles "
        "(Los Angeles Times, via The Tech, 26 Oct 1999). Geometry: schematic, straight segments through the "
        "localities the junctions are named after",
    ),
)


@dataclass(frozen=True)
class _Waypoint:
    seq: int
    point: Point
    where: str


def _fail(where: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"{where}: {problem}; {fix}")


def _waypoint(r: dict[str, str], where: str) -> _Waypoint:
    try:
        seq, lon, lat = int(r["seq"]), float(r["lon"]), float(r["lat"])
    except ValueError:
        raise _fail(where, "seq, lon or lat is not a number", "write seq as 1, 2, ... and lon/lat in degrees") from None
    xmin, ymin, xmax, ymax = WAYPOINT_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat) and xmin <= lon <= xmax and ymin <= lat <= ymax):
        raise _fail(
            where,
            f"({lon}, {lat}) lies outside Israel, the West Bank and the Gaza Strip (lon {xmin}..{xmax}, "
            f"lat {ymin}..{ymax})",
            "write longitude first, then latitude, in decimal degrees (EPSG:4326)",
        )
    if not r["source"]:
        raise _fail(where, "the waypoint cites no source", "fill in source")
    return _Waypoint(seq, Point(lon, lat), where)


def _read_waypoints() -> dict[str, list[_Waypoint]]:
    """Each link's waypoints in order; a bad row names its line and the fix."""
    rows = [{k: (v or "").strip() for k, v in r.items() if isinstance(k, str)} for r in facts.read("link_waypoints")]
    missing = [c for c in _WAYPOINT_COLUMNS if rows and c not in rows[0]]
    if missing:
        raise SourceError(f"{_CSV}: missing column(s) {', '.join(missing)}; restore the header.")
    known = {link.link_id for link in LINKS}
    out: dict[str, list[_Waypoint]] = {}
    for line, r in enumerate(rows, start=2):
        where = f"{_CSV} line {line} ({r['link_id'] or 'no link_id'})"
        if r["link_id"] not in known:
            raise _fail(where, f"unknown link_id {r['link_id']!r}", f"use one of {', '.join(sorted(known))}")
        out.setdefault(r["link_id"], []).append(_waypoint(r, where))
    for link_id, points in out.items():
        points.sort(key=lambda w: w.seq)
        if [w.seq for w in points] != list(range(1, len(points) + 1)):
            raise SourceError(f"{_CSV}: the waypoints of {link_id} are not numbered 1, 2, ...; renumber seq.")
    return out


def _metric(point: Point) -> Point:
    p: Point = gpd.GeoSeries([point], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    return p


def _end(
    link: LinkFact, crossing_id: str, waypoint: _Waypoint, ends: dict[str, Point], territory: BaseGeometry
) -> Point:
    """The crossing a link ends at (EPSG:2039), checked against its cited waypoint and its territory."""
    if crossing_id not in ends:
        raise SourceError(
            f"links: {link.link_id} ends at crossing {crossing_id!r}, which is not in the crossings layer; "
            "add it to geo/build/data/crossings.csv or fix LINKS in geo/build/links.py."
        )
    at = ends[crossing_id]
    gap = at.distance(_metric(waypoint.point)) / 1000
    if gap > ENDPOINT_KM:
        raise _fail(waypoint.where, f"lies {gap:.2f} km from crossing {crossing_id}", "fix the waypoint or the link")
    if at.distance(territory) > ENDPOINT_KM * 1000:
        raise SourceError(f"links: {link.link_id} ends at {crossing_id}, which is not at its territory; fix LINKS.")
    return at


def _link_row(
    link: LinkFact, points: list[_Waypoint], ends: dict[str, Point], terr: dict[str, BaseGeometry]
) -> dict[str, object]:
    if len(points) < 2:
        raise SourceError(f"{_CSV}: {link.link_id} has {len(points)} waypoint(s); a link needs at least two.")
    start = _end(link, link.from_crossing, points[0], ends, terr["gaza"])
    stop = _end(link, link.to_crossing, points[-1], ends, terr["west_bank"])
    line = LineString([start, *(_metric(w.point) for w in points[1:-1]), stop])
    length = round(line.length / 1000, 3)
    if link.published_length_km:
        log.info("links: %s %.3f km (published %.3f km)", link.link_id, length, link.published_length_km)
    return {
        "link_id": link.link_id,
        "name": link.name,
        "route": link.route,
        "status": link.status,
        "from_crossing": link.from_crossing,
        "to_crossing": link.to_crossing,
        "length_km": length,
        "published_length_km": link.published_length_km,
        "schematic": True,
        "source": f"{link.source} ({_CSV})",
        "geometry": gpd.GeoSeries([line], crs=METRIC_CRS).to_crs(STORE_CRS).iloc[0],
    }


def build_links(crossings: gpd.GeoDataFrame, territories: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Gaza - West Bank links, each a schematic polyline between its two crossings.

    The waypoints are cited points along each route; the line starts and ends exactly at the
    link's crossings (so a plan that opens them opens the link's ends), and the length is measured
    in EPSG:2039.

    Parameters
    ----------
    crossings : GeoDataFrame
        The crossings layer (``crossing_id`` and points), EPSG:4326.
    territories : GeoDataFrame
        The territories layer: a link starts at the Gaza Strip and ends at the West Bank.

    Returns
    -------
    GeoDataFrame
        :data:`LINK_COLUMNS` and line geometry, EPSG:4326, sorted by ``link_id``.

    Raises
    ------
    SourceError
        On a bad waypoint row, a missing end crossing, or an end far from its crossing or territory.
    """
    ends = dict(zip(crossings["crossing_id"], crossings.to_crs(METRIC_CRS).geometry, strict=True))
    terr = dict(zip(territories["territory_id"], territories.to_crs(METRIC_CRS).geometry, strict=True))
    waypoints = _read_waypoints()
    rows = [_link_row(link, waypoints.get(link.link_id, []), ends, terr) for link in LINKS]
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS).sort_values("link_id", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(LINK_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)
