"""Polygon layers: Oslo areas, planning zones, territories, regions, the 1967 line and the basemap.

All geometry work happens in EPSG:2039 (metres); areas are measured in the
equal-area CRS of :mod:`geo.crs`.  Results are returned in EPSG:4326.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError
from . import facts, regions
from .regions import RegionRule

__all__ = [
    "OSLO_CORRECTIONS",
    "SIMPLIFY_M",
    "SLIVER_KM2",
    "Boundaries",
    "build_boundaries",
    "old_city_polygon",
    "slug",
]

log = logging.getLogger(__name__)

#: Coverage simplification tolerance, metres (EPSG:2039).
SIMPLIFY_M = 10.0
#: Parts of a zone smaller than this (km²) are merged into the neighbour they share most border with.
SLIVER_KM2 = 0.05
#: OCHA Oslo features whose class label is wrong in the source: OBJECTID -> (label in source, corrected class).
OSLO_CORRECTIONS: dict[int, tuple[str, str]] = {2: ("A", "B")}

_OSLO_CLASS = {
    "A": "A",
    "B": "B",
    "C": "C",
    "H1": "H1",
    "H2": "H2",
    "Nature Reserve": "nature_reserve",
    "Israeli Declared East Jerusalem": "east_jerusalem",
    "No Man's Land": "no_mans_land",
}
# Priority when OCHA's classes overlap: the more specific class wins.
_OSLO_PRIORITY = ("H2", "H1", "east_jerusalem", "no_mans_land", "nature_reserve", "A", "B", "C")
# Oslo class -> zone class.
_ZONE_CLASS = {
    "A": "A",
    "H1": "A",
    "B": "B",
    "nature_reserve": "B",
    "C": "C",
    "no_mans_land": "C",
    "east_jerusalem": "EJ",
    "H2": "H2",
}
_GAZA_ZONE_IDS = {"Gaza": "gaza-city"}
_OCHA = "OCHA oPt / HDX cod-ab-pse v01 (CC BY 3.0 IGO)"
_OCHA_OSLO = "OCHA oPt Oslo areas (CC BY 3.0 IGO), class of OBJECTID 2 corrected A->B"
_NE = "Natural Earth 1:10m admin-0 countries v5.1.1 (public domain)"
# Joins a zone key and a region id in the keys of zone parts before they are named (ids never hold "@").
_IN = "@"


def slug(text: str) -> str:
    """A lower-case, hyphenated identifier for ``text`` (``"Deir Al-Balah"`` -> ``"deir-al-balah"``)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Boundaries:
    """The polygon layers built together (they share one coverage)."""

    zones: gpd.GeoDataFrame
    territories: gpd.GeoDataFrame
    oslo_areas: gpd.GeoDataFrame
    line_1967: gpd.GeoDataFrame
    basemap: gpd.GeoDataFrame
    regions: gpd.GeoDataFrame


def old_city_polygon() -> Polygon:
    """The Old City within its walls (EPSG:4326), from the compiled gate and corner positions."""
    rows = sorted(facts.read("old_city_walls"), key=lambda r: int(r["order"]))
    return Polygon([(float(r["lon"]), float(r["lat"])) for r in rows])


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(METRIC_CRS)


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.geom_type in ("Polygon", "MultiPolygon") and not g.is_empty]
    return shapely.union_all(parts) if parts else Polygon()


def _parts(geom: BaseGeometry) -> list[Polygon]:
    return [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and not g.is_empty]


def _oslo_coverage(oslo: gpd.GeoDataFrame, west_bank: BaseGeometry) -> dict[str, BaseGeometry]:
    """OCHA Oslo classes as non-overlapping geometries (EPSG:2039), clipped to the West Bank."""
    classes: dict[str, list[BaseGeometry]] = {}
    for _, row in oslo.iterrows():
        oid = int(row["OBJECTID"])
        label = str(row["CLASS"])
        if oid in OSLO_CORRECTIONS:
            expected, corrected = OSLO_CORRECTIONS[oid]
            if label != expected:
                raise SourceError(
                    f"Oslo source: OBJECTID {oid} is labelled {label!r}, not {expected!r} as the documented "
                    "correction expects; the source has changed. Review OSLO_CORRECTIONS in geo/boundaries.py."
                )
            label = corrected
        if label not in _OSLO_CLASS:
            raise SourceError(
                f"Oslo source: OBJECTID {oid} has unknown class {label!r}; known classes: "
                f"{', '.join(_OSLO_CLASS)}. Map the new class in geo/boundaries.py."
            )
        classes.setdefault(_OSLO_CLASS[label], []).append(row.geometry)
    taken: BaseGeometry = Polygon()
    out: dict[str, BaseGeometry] = {}
    for name in _OSLO_PRIORITY:
        geom = shapely.union_all(classes.get(name, []))
        geom = _polygonal(shapely.intersection(geom, west_bank).difference(taken))
        out[name] = geom
        taken = shapely.union_all([taken, geom])
    return out


def _shared_length(a: BaseGeometry, b: BaseGeometry) -> float:
    return float(shapely.length(shapely.intersection(shapely.boundary(a), shapely.boundary(b))))


def _merge_parts(units: list[tuple[str, BaseGeometry]], min_area: float) -> dict[str, BaseGeometry]:
    """Merge gap units and parts under ``min_area`` m² into the zone they share the longest border with.

    ``units`` are (zone key, polygon) pairs from one noded coverage, so shared
    borders are exact.  Units keyed ``"__gap__"`` always merge; a small part
    with no neighbour of another zone (an enclave inside a gap) stays.
    """
    keys = [k for k, _ in units]
    geoms = np.array([g for _, g in units], dtype=object)
    areas = shapely.area(geoms)
    tree = shapely.STRtree(geoms)
    alive = np.ones(len(geoms), dtype=bool)
    for i in np.argsort(areas, kind="stable"):
        if keys[i] != "__gap__" and areas[i] >= min_area:
            continue
        best, best_len = -1, 0.0
        for j in tree.query(geoms[i]):
            if j == i or not alive[j] or keys[j] == keys[i] or keys[j] == "__gap__":
                continue
            shared = _shared_length(geoms[i], geoms[j])
            if shared > best_len:
                best, best_len = int(j), shared
        if best < 0:
            if keys[i] == "__gap__":
                raise SourceError("zones: a gap between the OCHA layers borders no zone; check the sources.")
            continue
        geoms[best] = shapely.union(geoms[best], geoms[i])
        alive[i] = False
    merged: dict[str, list[BaseGeometry]] = {}
    for k, g, a in zip(keys, geoms, alive, strict=True):
        if a:
            merged.setdefault(k, []).append(g)
    return {k: shapely.union_all(v) for k, v in merged.items()}


def _faces(layers: list[BaseGeometry], west_bank: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Node every layer's boundary into faces; return the West Bank's faces and a point inside each."""
    lines = shapely.union_all([shapely.boundary(g) for g in layers])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    pts = shapely.point_on_surface(faces)
    keep = shapely.contains_properly(west_bank, pts)
    return faces[keep], pts[keep]


def _region_of(pts: np.ndarray, gov_of: np.ndarray, cuts: Sequence[tuple[RegionRule, BaseGeometry]]) -> np.ndarray:
    """The region id of each face ("" outside every region); regions may not overlap."""
    out = np.full(len(pts), "", dtype=object)
    for rule, reach in cuts:
        inside = rule.contains(reach, pts, gov_of)
        if (inside & (out != "")).any():
            raise SourceError(
                f"regions: {rule.region_id!r} overlaps another region; a zone can lie in one region only. "
                "Narrow one of the rules in geo/build/data/regions.csv."
            )
        out[inside] = rule.region_id
    return out


def _face_key(gov: str, cls: str, meta: dict[str, dict[str, object]]) -> str:
    """The zone key of a face of governorate ``gov`` and zone class ``cls``, recording the zone's attributes."""
    special = {
        "EJ": ("east-jerusalem", "East Jerusalem", "Jerusalem"),
        "H2": ("hebron-h2", "Hebron H2", "Hebron"),
        "OLD": ("old-city", "Old City", "Jerusalem"),
    }
    if not gov or not cls:
        return "__gap__"
    if cls in special:
        key, zname, zgov = special[cls]
        oslo = "EJ" if cls == "OLD" else cls
    else:
        key, zname, zgov, oslo = f"{slug(gov)}-{cls.lower()}", f"{gov} {cls}", gov, cls
    meta.setdefault(key, {"name": zname, "governorate": zgov, "territory": "west_bank", "oslo": oslo, "region": None})
    return key


def _zone_units(
    admin2: gpd.GeoDataFrame,
    oslo: dict[str, BaseGeometry],
    old_city: BaseGeometry,
    west_bank: BaseGeometry,
    cuts: Sequence[tuple[RegionRule, BaseGeometry]] = (),
) -> tuple[list[tuple[str, BaseGeometry]], dict[str, dict[str, object]]]:
    """Node every boundary into faces, key each face by zone, and return zone parts (EPSG:2039).

    The regions' edges are noded with the rest, so a zone crossed by a region falls into faces on either
    side; the inside faces are keyed ``<zone>@<region>`` until :func:`_settle_regions` names them.
    """
    wb = admin2[admin2["adm1_pcode"] == "PS01"].sort_values("adm2_pcode")
    layers = [west_bank, *wb.geometry.values, old_city, *(oslo[k] for k in _OSLO_PRIORITY), *(r for _, r in cuts)]
    faces, pts = _faces(layers, west_bank)
    gov_of = np.full(len(faces), "", dtype=object)
    for _, gov in wb.iterrows():
        gov_of[shapely.contains_properly(gov.geometry, pts)] = str(gov["adm2_name"])
    cls_of = np.full(len(faces), "", dtype=object)
    for name in reversed(_OSLO_PRIORITY):
        cls_of[shapely.contains_properly(oslo[name], pts)] = _ZONE_CLASS[name]
    cls_of[shapely.contains_properly(old_city, pts)] = "OLD"
    reg_of = _region_of(pts, gov_of, cuts)
    meta: dict[str, dict[str, object]] = {}
    groups: dict[str, list[BaseGeometry]] = {}
    for face, gov, cls, reg in zip(faces, gov_of, cls_of, reg_of, strict=True):
        key = _face_key(gov, cls, meta)
        if reg and key != "__gap__":
            meta.setdefault(f"{key}{_IN}{reg}", {**meta[key], "region": reg})
            key = f"{key}{_IN}{reg}"
        groups.setdefault(key, []).append(face)
    units: list[tuple[str, BaseGeometry]] = []
    for key, group in groups.items():
        if key == "__gap__":
            units.extend((key, f) for f in group)
            log.info(
                "zones: %d gap faces (%.3f km²) between the OCHA layers go to their neighbours",
                len(group),
                sum(f.area for f in group) / 1e6,
            )
        else:
            units.extend((key, p) for p in _parts(shapely.coverage_union_all(np.array(group, dtype=object))))
    return units, meta


def _settle_regions(
    pieces: dict[str, BaseGeometry], meta: dict[str, dict[str, object]], rules: Sequence[RegionRule]
) -> tuple[dict[str, BaseGeometry], dict[str, dict[str, object]]]:
    """Give region-cut pieces under the floor back to their zone, then id and name every zone part.

    A zone cut by a region keeps its id for the part outside and gets ``<zone>-<suffix>`` and
    ``"<name> (<region>)"`` for the part inside; a zone wholly inside keeps its id and name.  A piece
    under :data:`geo.build.regions.REGION_FLOOR_KM2` that borders the zone's other side joins that side
    (the one it shares most border with), so no zone is split for a corner clipped by the region's edge.
    """
    by_id = {r.region_id: r for r in rules}
    sides: dict[str, list[str]] = {}
    for key in sorted(pieces):
        sides.setdefault(key.split(_IN)[0], []).append(key)
    geoms: dict[str, BaseGeometry] = {}
    out: dict[str, dict[str, object]] = {}
    for base, keys in sides.items():
        if len(keys) == 1:
            parts = {keys[0]: pieces[keys[0]]}
        else:
            units: list[tuple[str, BaseGeometry]] = [(k, p) for k in keys for p in _parts(pieces[k])]
            parts = _merge_parts(units, regions.REGION_FLOOR_KM2 * 1e6)
        for key in sorted(parts):
            info = dict(meta[key])
            zid = base
            if info["region"] is not None and len(parts) > 1:
                rule = by_id[str(info["region"])]
                zid = f"{base}-{rule.zone_suffix}"
                info["name"] = f"{info['name']} ({rule.name})"
            if zid in geoms:
                raise SourceError(
                    f"zones: the id {zid!r} would name two zones; change the zone_suffix in geo/build/data/regions.csv."
                )
            geoms[zid], out[zid] = parts[key], info
    return geoms, out


def _region_cuts(
    rules: Sequence[RegionRule], west_bank: BaseGeometry, admin2: gpd.GeoDataFrame, ne: gpd.GeoDataFrame
) -> list[tuple[RegionRule, BaseGeometry]]:
    """Each region rule with the land its width reaches (EPSG:2039), after checking the rule's inputs."""
    govs = set(admin2.loc[admin2["adm1_pcode"] == "PS01", "adm2_name"].astype(str))
    nem = _neighbours(ne)
    outline = max(_parts(west_bank), key=lambda p: p.area)
    borders = {"jordan": _border_with(outline, [nem.loc["ISR"].geometry, nem.loc["JOR"].geometry], 1)}
    cuts = []
    for rule in rules:
        unknown = sorted(set(rule.governorates) - govs)
        if unknown:
            raise SourceError(
                f"geo/build/data/regions.csv ({rule.region_id}): governorate {unknown[0]!r} is not a West Bank "
                f"governorate of the admin 2 source; use one of {', '.join(sorted(govs))}."
            )
        reach = rule.reach(borders)
        if shapely.intersection(reach, west_bank).area < regions.REGION_FLOOR_KM2 * 1e6:
            raise SourceError(
                f"geo/build/data/regions.csv ({rule.region_id}): the rule reaches no West Bank land; "
                "check its border and width."
            )
        cuts.append((rule, reach))
    return cuts


def _build_zones(
    admin2: gpd.GeoDataFrame,
    oslo_cov: dict[str, BaseGeometry],
    west_bank: BaseGeometry,
    old_city: BaseGeometry,
    cuts: Sequence[tuple[RegionRule, BaseGeometry]] = (),
) -> gpd.GeoDataFrame:
    units, raw_meta = _zone_units(admin2, oslo_cov, old_city, west_bank, cuts)
    pieces, meta = _settle_regions(_merge_parts(units, SLIVER_KM2 * 1e6), raw_meta, [r for r, _ in cuts])
    gaza = admin2[admin2["adm1_pcode"] == "PS02"].sort_values("adm2_pcode")
    for _, gov in gaza.iterrows():
        name = str(gov["adm2_name"])
        zid = _GAZA_ZONE_IDS.get(name, slug(name))
        pieces[zid] = gov.geometry
        meta[zid] = {"name": name, "governorate": name, "territory": "gaza", "oslo": None, "region": None}
    ids = [k for k in meta if k in pieces]
    geoms = np.array([pieces[k] for k in ids], dtype=object)
    if not shapely.coverage_is_valid(geoms):
        raise SourceError(
            "zones: the zone pieces do not form a valid coverage before simplification; "
            "check the admin and Oslo sources for overlaps."
        )
    simple = shapely.coverage_simplify(geoms, SIMPLIFY_M)
    zones = gpd.GeoDataFrame([{"zone_id": k, **meta[k]} for k in ids], geometry=list(simple), crs=METRIC_CRS).to_crs(
        STORE_CRS
    )
    zones["geometry"] = shapely.set_precision(zones.geometry.values, 1e-6)
    zones["area_km2"] = area_km2(zones).round(3)
    # people are counted later, as sums of the localities and settlements in each zone (geo/build/pipeline.py)
    for column in ("population", "population_2017", "settlers", "israelis_ej"):
        zones[column] = 0
    people = "population: sum of the zone's localities (PCBS census 2017, projected)"
    zones["source"] = np.where(
        zones["zone_id"] == "old-city",
        f"Old City walls (compiled, see geo/build/data/old_city_walls.csv); {people}",
        np.where(zones["territory"] == "gaza", f"{_OCHA}; {people}", f"{_OCHA} x {_OCHA_OSLO}; {people}"),
    )
    zones["source"] = zones["source"].where(
        zones["region"].isna(), zones["source"] + "; cut along the region's edge (rule in the regions layer)"
    )
    order = {"west_bank": 0, "gaza": 1}
    zones = zones.assign(_t=zones["territory"].map(order)).sort_values(["_t", "zone_id"], kind="stable")
    return zones.drop(columns="_t").reset_index(drop=True)


def _territories(zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    names = {"west_bank": ("West Bank", "الضفة الغربية"), "gaza": ("Gaza Strip", "قطاع غزة")}
    rows = []
    for tid in ("west_bank", "gaza"):
        part = zones[zones["territory"] == tid]
        geom = shapely.coverage_union_all(part.geometry.values)
        rows.append(
            {
                "territory_id": tid,
                "name": names[tid][0],
                "name_ar": names[tid][1],
                "geometry": geom,
                "source": f"{_OCHA}, admin 1, simplified ({SIMPLIFY_M:g} m)",
            }
        )
    terr = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    terr["area_km2"] = area_km2(terr).round(2)
    return terr


def _oslo_layer(oslo_cov: dict[str, BaseGeometry], wb_area: float) -> gpd.GeoDataFrame:
    names = [n for n in _OSLO_PRIORITY if not oslo_cov[n].is_empty]
    geoms = shapely.set_precision(np.array([oslo_cov[n] for n in names], dtype=object), 0.01)
    simple = shapely.coverage_simplify(geoms, SIMPLIFY_M)
    gdf = gpd.GeoDataFrame(
        {"area_id": [f"oslo-{slug(n)}" for n in names], "oslo_class": names}, geometry=list(simple), crs=METRIC_CRS
    ).to_crs(STORE_CRS)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-6)
    gdf["area_km2"] = area_km2(gdf).round(3)
    gdf["share_pct"] = (100 * gdf["area_km2"] / wb_area).round(2)
    gdf["source"] = _OCHA_OSLO
    return gdf


def _runs(labels: np.ndarray, target: int) -> list[tuple[int, int]]:
    """Index ranges [start, end] (inclusive, wrapping) where a closed ring's vertices carry ``target``."""
    n = len(labels)
    hit = labels == target
    if hit.all():
        return [(0, n - 1)]
    start = int(np.flatnonzero(~hit)[0])  # begin scanning at a vertex that is not a hit
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        k = (start + i) % n
        if hit[k]:
            j = i
            while j + 1 < n and hit[(start + j + 1) % n]:
                j += 1
            runs.append(((start + i) % n, (start + j) % n))
            i = j + 1
        else:
            i += 1
    return runs


def _border_with(
    outline: Polygon, neighbours: list[BaseGeometry], target: int, south_tip_other: int | None = None
) -> MultiLineString:
    """The parts of ``outline``'s exterior nearest to ``neighbours[target]`` (EPSG:2039).

    Natural Earth is coarse (kilometres), so it only says which neighbour a
    stretch of outline faces.  With ``south_tip_other``, vertices west of the
    outline's southernmost vertex (within 15 km north of it) are given to that
    neighbour: the Gaza-Egypt border runs north-west from that tip, the
    Kerem Shalom tripoint.
    """
    coords = np.asarray(outline.exterior.coords)[:-1]
    pts = shapely.points(coords)
    dist = np.stack([shapely.distance(pts, g) for g in neighbours])
    labels = np.argmin(dist, axis=0)
    if south_tip_other is not None:
        tip = int(np.argmin(coords[:, 1]))
        west = (coords[:, 0] < coords[tip, 0]) & (coords[:, 1] < coords[tip, 1] + 15_000)
        labels[west] = south_tip_other
    lines = []
    n = len(coords)
    for a, b in _runs(labels, target):
        idx = [(a - 1) % n]  # start at the last vertex of the previous run: the line is continuous
        k = a
        while True:
            idx.append(k)
            if k == b:
                break
            k = (k + 1) % n
        idx.append((b + 1) % n)
        if len(idx) >= 2:
            lines.append(LineString(coords[idx]))
    return MultiLineString(lines)


def _neighbours(ne: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Natural Earth countries in EPSG:2039 indexed by ``ADM0_A3``, checked to hold Israel, Jordan and Egypt."""
    nem = _metric(ne).set_index("ADM0_A3")
    for code in ("ISR", "JOR", "EGY"):
        if code not in nem.index:
            raise SourceError(f"Natural Earth source has no {code} feature; use the unmodified Levant clip.")
    return nem


def _line_1967(
    territories: gpd.GeoDataFrame, ne: gpd.GeoDataFrame, oslo_cov: dict[str, BaseGeometry]
) -> gpd.GeoDataFrame:
    terr = _metric(territories).set_index("territory_id")
    nem = _neighbours(ne)
    land = shapely.union_all(list(nem.geometry.values))
    sea = shapely.difference(shapely.envelope(land).buffer(20_000), land)
    israel = nem.loc["ISR"].geometry
    rows: list[dict[str, object]] = []
    ej = oslo_cov["east_jerusalem"].buffer(300)
    wb_outline = max(_parts(terr.loc["west_bank"].geometry), key=lambda p: p.area)
    wb_line = _border_with(wb_outline, [israel, nem.loc["JOR"].geometry], 0)
    jer = shapely.intersection(wb_line, ej)
    rest = shapely.difference(wb_line, ej)
    gz_outline = max(_parts(terr.loc["gaza"].geometry), key=lambda p: p.area)
    gz_line = _border_with(gz_outline, [israel, nem.loc["EGY"].geometry, sea], 0, south_tip_other=1)
    for fid, seg, name, geom in (
        ("line-west-bank", "west_bank", "Armistice line 1949, West Bank", rest),
        ("line-jerusalem", "jerusalem", "Armistice line 1949, Jerusalem", jer),
        ("line-gaza", "gaza", "Armistice line 1949, Gaza Strip", gz_line),
    ):
        merged = shapely.line_merge(geom)
        rows.append(
            {
                "feature_id": fid,
                "kind": "armistice_line",
                "segment": seg,
                "name": name,
                "length_km": round(merged.length / 1000, 3),
                "area_km2": None,
                "geometry": merged,
                "source": f"{_OCHA}: territory outline where it borders Israel (neighbour from {_NE})",
            }
        )
    nml = oslo_cov["no_mans_land"]
    for part in sorted(_parts(nml), key=lambda p: p.area, reverse=True):
        if part.area < 0.5e6:
            continue
        lon = gpd.GeoSeries([part.centroid], crs=METRIC_CRS).to_crs(STORE_CRS).iloc[0].x
        seg = "latrun" if lon < 35.1 else "jerusalem"
        rows.append(
            {
                "feature_id": f"no-mans-land-{seg}",
                "kind": "no_mans_land",
                "segment": seg,
                "name": f"No man's land, {seg.title()}",
                "length_km": None,
                "area_km2": None,
                "geometry": part.simplify(SIMPLIFY_M),
                "source": "OCHA oPt Oslo areas, class No Man's Land",
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=METRIC_CRS).to_crs(STORE_CRS)
    if gdf["feature_id"].duplicated().any():
        raise SourceError("line_1967: more than one large no-man's-land part in one segment; review the Oslo source.")
    poly = gdf["kind"] == "no_mans_land"
    gdf.loc[poly, "area_km2"] = area_km2(gdf[poly]).round(3)
    return gdf


def _basemap(ne: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    countries = ne.sort_values("ADM0_A3")
    land = shapely.union_all(ne.geometry.values)
    xmin, ymin, xmax, ymax = np.round(ne.total_bounds, 1)
    sea = _polygonal(box(xmin, ymin, xmax, ymax).difference(land))
    rows = [
        {
            "feature_id": f"country-{str(r['ADM0_A3']).lower()}",
            "kind": "country",
            "name": str(r["NAME_EN"]),
            "geometry": r.geometry,
            "source": _NE,
        }
        for _, r in countries.iterrows()
    ]
    rows.append(
        {
            "feature_id": "sea",
            "kind": "sea",
            "name": "Mediterranean Sea and Gulf of Aqaba",
            "geometry": sea,
            "source": f"{_NE}: clip box minus land",
        }
    )
    return gpd.GeoDataFrame(rows, crs=STORE_CRS)


def build_boundaries(src: dict[str, gpd.GeoDataFrame], rules: Sequence[RegionRule] | None = None) -> Boundaries:
    """Build zones, territories, Oslo areas, regions, the 1967 line and the basemap from the sources.

    The zones are cut along every region, so a plan can address a region by its zones alone.

    Parameters
    ----------
    src : dict of GeoDataFrame
        The validated sources from :func:`geo.build.sources.read_all`.
    rules : sequence of RegionRule, optional
        The region rules; by default :func:`geo.build.regions.read_rules` (``geo/build/data/regions.csv``).

    Returns
    -------
    Boundaries

    Raises
    ------
    SourceError
        If a source or a region rule is unusable; the rules are checked before the slow work starts.
    """
    admin1 = _metric(src["admin1"])
    admin2 = _metric(src["admin2"])
    wb_rows = admin1[admin1["adm1_pcode"] == "PS01"]
    if len(wb_rows) != 1:
        raise SourceError("admin 1 source has no single West Bank feature (adm1_pcode PS01); use cod-ab-pse v01.")
    west_bank = wb_rows.geometry.iloc[0]
    rules = regions.read_rules() if rules is None else list(rules)
    cuts = _region_cuts(rules, west_bank, admin2, src["naturalearth"])
    oslo_cov = _oslo_coverage(_metric(src["oslo"]), west_bank)
    old_city = gpd.GeoSeries([old_city_polygon()], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    zones = _build_zones(admin2, oslo_cov, west_bank, old_city, cuts)
    territories = _territories(zones)
    wb_area = float(territories.loc[territories["territory_id"] == "west_bank", "area_km2"].iloc[0])
    return Boundaries(
        zones=zones,
        territories=territories,
        oslo_areas=_oslo_layer(oslo_cov, wb_area),
        line_1967=_line_1967(territories, src["naturalearth"], oslo_cov),
        basemap=_basemap(src["naturalearth"]),
        regions=regions.build_regions(zones, territories, rules),
    )
