"""Point and site layers: crossings, OCHA obstacles and the Jerusalem arrangements."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPoint, Point

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError
from . import facts
from .boundaries import old_city_polygon, slug

__all__ = ["CLOSURE_TYPES", "GREENLINE_KM", "assign_zones", "build_crossings", "build_jerusalem", "build_obstacles"]

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
GREENLINE_KM = 2.0
#: Compiled crossing positions must lie this close (km) to the border they cross.
_BORDER_CHECK_KM = 1.0
_OCHA_SURVEY = "OCHA oPt West Bank closure survey 2025 (CC BY 3.0 IGO)"


def assign_zones(points: gpd.GeoDataFrame, zones: gpd.GeoDataFrame, what: str, max_km: float = 1.0) -> pd.Series:
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
        raise SourceError(
            f"{what}: feature {pos} lies more than {max_km} km outside every zone; check its "
            "coordinates (lon/lat order, CRS)."
        )
    return pd.Series(joined["zone_id"].astype(str), index=points.index)


def _near(point: Point, line: shapely.Geometry, km: float) -> bool:
    p = gpd.GeoSeries([point], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    return bool(p.distance(line) <= km * 1000)


def build_crossings(
    src: dict[str, gpd.GeoDataFrame],
    zones: gpd.GeoDataFrame,
    territories: gpd.GeoDataFrame,
    line_1967: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Crossings: compiled border terminals, OCHA Green Line checkpoints and survey checkpoints.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources.
    zones, territories, line_1967 : GeoDataFrame
        Already built layers.

    Returns
    -------
    GeoDataFrame
    """
    survey = src["closures"]
    by_name = {str(n).strip(): i for i, n in zip(survey.index, survey["name"], strict=True)}
    outlines = territories.to_crs(METRIC_CRS).boundary.union_all()
    rows: list[dict[str, object]] = []
    used: set[int] = set()
    for r in facts.read("crossings"):
        row: dict[str, object] = {
            k: (r[k] or None)
            for k in ("crossing_id", "name", "name_ar", "name_he", "kind", "sides", "status", "status_as_of", "source")
        }
        if r["ocha_name"]:
            if r["ocha_name"] not in by_name:
                raise SourceError(
                    f"crossings facts: no point named {r['ocha_name']!r} in the OCHA closure survey; "
                    "fix geo/build/data/crossings.csv or the source."
                )
            idx = by_name[r["ocha_name"]]
            used.add(idx)
            row["geometry"] = survey.geometry.loc[idx]
        else:
            pt = Point(float(r["lon"]), float(r["lat"]))
            if not _near(pt, outlines, _BORDER_CHECK_KM):
                raise SourceError(
                    f"crossings facts: {r['crossing_id']} ({pt.x}, {pt.y}) lies more than "
                    f"{_BORDER_CHECK_KM} km from the territory outline; fix its coordinates."
                )
            row["geometry"] = pt
        row["major"] = True
        rows.append(row)
    for _, g in src["greenline"].sort_values("fid").iterrows():
        rows.append(
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
        )
    line = line_1967[line_1967["kind"] == "armistice_line"].to_crs(METRIC_CRS).union_all()
    chk = survey[(survey["closutretype"] == 1) & ~survey.index.isin(list(used))].sort_values("objectid")
    for _, c in chk.iterrows():
        green = _near(c.geometry, line, GREENLINE_KM)
        month = "2025-11" if c["monthyear"] == "Nov2025" else "2025-02"
        rows.append(
            {
                "crossing_id": f"ocha-{int(c['objectid'])}",
                "name": str(c["name"]).strip(),
                "name_ar": None,
                "name_he": None,
                "kind": "greenline_checkpoint" if green else "internal_checkpoint",
                "sides": "PS-IL" if green else "internal",
                "status": "restricted",
                "status_as_of": month,
                "major": False,
                "source": f"{_OCHA_SURVEY}, type CHK",
                "geometry": c.geometry,
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    gdf["zone_id"] = assign_zones(gdf, zones, "crossings", max_km=2.0).to_numpy()
    if gdf["crossing_id"].duplicated().any():
        dup = gdf.loc[gdf["crossing_id"].duplicated(), "crossing_id"].iloc[0]
        raise SourceError(f"crossings: duplicate crossing_id {dup!r}; rename one in the source or facts.")
    return gdf


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


def build_jerusalem(src: dict[str, gpd.GeoDataFrame], oslo_areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """East Jerusalem, the Old City, a schematic Holy Basin and neighbourhood points.

    Raises
    ------
    SourceError
        If a compiled neighbourhood point lies outside East Jerusalem (a coordinate error).
    """
    ej = oslo_areas.loc[oslo_areas["oslo_class"] == "east_jerusalem"]
    if len(ej) != 1:
        raise SourceError("jerusalem: the Oslo layer has no single East Jerusalem area.")
    old = old_city_polygon()
    sites = [Point(float(r["lon"]), float(r["lat"])) for r in facts.read("holy_basin_sites") if r["lon"]]
    basin = MultiPoint([*old.exterior.coords, *(p.coords[0] for p in sites)]).convex_hull
    rows: list[dict[str, object]] = [
        {
            "feature_id": "east-jerusalem",
            "kind": "east_jerusalem",
            "name": "East Jerusalem (annexed 1967)",
            "name_ar": "القدس الشرقية",
            "name_he": "מזרח ירושלים",
            "clinton_rule": None,
            "schematic": False,
            "geometry": ej.geometry.iloc[0],
            "source": "OCHA oPt Oslo areas, class 'Israeli Declared East Jerusalem'",
        },
        {
            "feature_id": "old-city",
            "kind": "old_city",
            "name": "Old City",
            "name_ar": "البلدة القديمة",
            "name_he": "העיר העתיקה",
            "clinton_rule": None,
            "schematic": False,
            "geometry": old,
            "source": "compiled from the walls' gates and corners (geo/build/data/old_city_walls.csv)",
        },
        {
            "feature_id": "holy-basin",
            "kind": "holy_basin",
            "name": "Holy Basin (schematic)",
            "name_ar": None,
            "name_he": None,
            "clinton_rule": None,
            "schematic": True,
            "geometry": basin,
            "source": "schematic: convex hull of the Old City and the sites in geo/build/data/holy_basin_sites.csv",
        },
    ]
    # East Talpiot was built in the Jerusalem no-man's land, so that counts as East Jerusalem here.
    annexed = shapely.union_all(
        oslo_areas.loc[oslo_areas["oslo_class"].isin(["east_jerusalem", "no_mans_land"]), "geometry"].values
    )
    ej_m = gpd.GeoSeries([annexed], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0].buffer(150)
    for r in facts.read("jerusalem_neighbourhoods"):
        pt = Point(float(r["lon"]), float(r["lat"]))
        if not _near(pt, ej_m, 0.0):
            raise SourceError(
                f"jerusalem facts: {r['neighbourhood_id']} ({pt.x}, {pt.y}) lies outside East "
                "Jerusalem; fix its coordinates in geo/build/data/jerusalem_neighbourhoods.csv."
            )
        rows.append(
            {
                "feature_id": f"nbhd-{r['neighbourhood_id']}",
                "kind": "neighbourhood",
                "name": r["name"],
                "name_ar": r["name_ar"] or None,
                "name_he": r["name_he"] or None,
                "clinton_rule": r["clinton_rule"],
                "schematic": False,
                "geometry": pt,
                "source": r["source"],
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    poly = gdf.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    gdf["area_km2"] = np.where(poly, area_km2(gdf.geometry.where(poly)).round(3), np.nan)
    return gdf
