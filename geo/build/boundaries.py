"""Polygon layers: Oslo areas, planning zones, territories, the 1967 line and the basemap.

All geometry work happens in EPSG:2039 (metres); areas are measured in the
equal-area CRS of :mod:`geo.crs`.  Results are returned in EPSG:4326.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import LineString, MultiLineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError
from . import facts

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


def _zone_units(
    admin2: gpd.GeoDataFrame, oslo: dict[str, BaseGeometry], old_city: BaseGeometry, west_bank: BaseGeometry
) -> tuple[list[tuple[str, BaseGeometry]], dict[str, dict[str, object]]]:
    """Node every boundary into faces, key each face by zone, and return zone parts (EPSG:2039)."""
    wb = admin2[admin2["adm1_pcode"] == "PS01"].sort_values("adm2_pcode")
    layers = [west_bank, *wb.geometry.values, old_city, *(oslo[k] for k in _OSLO_PRIORITY)]
    lines = shapely.union_all([shapely.boundary(g) for g in layers])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    pts = shapely.point_on_surface(faces)
    keep = shapely.contains_properly(west_bank, pts)
    faces, pts = faces[keep], pts[keep]
    gov_of = np.full(len(faces), "", dtype=object)
    for _, gov in wb.iterrows():
        gov_of[shapely.contains_properly(gov.geometry, pts)] = str(gov["adm2_name"])
    cls_of = np.full(len(faces), "", dtype=object)
    for name in reversed(_OSLO_PRIORITY):
        cls_of[shapely.contains_properly(oslo[name], pts)] = _ZONE_CLASS[name]
    cls_of[shapely.contains_properly(old_city, pts)] = "OLD"
    special = {
        "EJ": ("east-jerusalem", "East Jerusalem", "Jerusalem"),
        "H2": ("hebron-h2", "Hebron H2", "Hebron"),
        "OLD": ("old-city", "Old City", "Jerusalem"),
    }
    meta: dict[str, dict[str, object]] = {}
    groups: dict[str, list[BaseGeometry]] = {}
    for face, gov, cls in zip(faces, gov_of, cls_of, strict=True):
        if not gov or not cls:
            key = "__gap__"
        elif cls in special:
            key, zname, zgov = special[cls]
            meta.setdefault(
                key,
                {"name": zname, "governorate": zgov, "territory": "west_bank", "oslo": "EJ" if cls == "OLD" else cls},
            )
        else:
            key = f"{slug(gov)}-{cls.lower()}"
            meta.setdefault(key, {"name": f"{gov} {cls}", "governorate": gov, "territory": "west_bank", "oslo": cls})
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


def _population(zones: gpd.GeoDataFrame) -> pd.Series:
    """Allocate PCBS governorate populations to zones (rule documented in layers/SOURCES.md)."""
    pcbs = {r["governorate"]: int(r["population"]) for r in facts.read("pcbs_population")}
    j1 = 264_937  # PCBS: part of Jerusalem governorate annexed in 1967 (see pcbs_population.csv)
    area = zones["area_km2"]
    out = pd.Series(0.0, index=zones.index)
    weight = {"A": 2.0, "H2": 2.0, "B": 1.0}
    c_total = area[zones["oslo"] == "C"].sum()
    c_density = 300_000 / c_total  # OCHA: about 300,000 Palestinians live in Area C
    for gov, idx in zones.groupby("governorate").groups.items():
        z = zones.loc[idx]
        if gov not in pcbs:
            raise SourceError(
                f"no PCBS population for governorate {gov!r}; add it to geo/build/data/pcbs_population.csv."
            )
        total = float(pcbs[str(gov)])
        if (z["territory"] == "gaza").all():
            out.loc[idx] = total
            continue
        ej = z["oslo"] == "EJ"
        if ej.any():
            out.loc[z.index[ej]] = j1 * area[z.index[ej]] / area[z.index[ej]].sum()
            total -= j1
        cz = z.index[z["oslo"] == "C"]
        c_pop = min(c_density * area[cz].sum(), 0.5 * total)
        if len(cz):
            out.loc[cz] = c_pop * area[cz] / area[cz].sum()
        ab = z.index[z["oslo"].isin(list(weight))]
        w = area[ab] * zones.loc[ab, "oslo"].map(weight)
        out.loc[ab] = (total - c_pop) * w / w.sum()
    return _round_preserving(out, zones["governorate"])


def _round_preserving(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Round to integers so that each group's total is kept (largest-remainder method)."""
    out = np.floor(values).astype("int64")
    for _, idx in groups.groupby(groups).groups.items():
        short = round(float(values[idx].sum())) - int(out[idx].sum())
        if short > 0:
            rem = (values[idx] - out[idx]).sort_values(ascending=False, kind="stable")
            out.loc[rem.index[:short]] += 1
    return pd.Series(out, index=values.index, dtype="int64")


def _build_zones(
    admin2: gpd.GeoDataFrame, oslo_cov: dict[str, BaseGeometry], west_bank: BaseGeometry, old_city: BaseGeometry
) -> gpd.GeoDataFrame:
    units, meta = _zone_units(admin2, oslo_cov, old_city, west_bank)
    pieces = _merge_parts(units, SLIVER_KM2 * 1e6)
    gaza = admin2[admin2["adm1_pcode"] == "PS02"].sort_values("adm2_pcode")
    for _, gov in gaza.iterrows():
        name = str(gov["adm2_name"])
        zid = _GAZA_ZONE_IDS.get(name, slug(name))
        pieces[zid] = gov.geometry
        meta[zid] = {"name": name, "governorate": name, "territory": "gaza", "oslo": None}
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
    zones["population"] = _population(zones)
    zones["settlers"] = 0
    zones["source"] = np.where(
        zones["zone_id"] == "old-city",
        "Old City walls (compiled, see geo/build/data/old_city_walls.csv); population: PCBS 2016, allocated",
        np.where(
            zones["territory"] == "gaza",
            f"{_OCHA}; population: PCBS 2016",
            f"{_OCHA} x {_OCHA_OSLO}; population: PCBS 2016, allocated",
        ),
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


def _line_1967(
    territories: gpd.GeoDataFrame, ne: gpd.GeoDataFrame, oslo_cov: dict[str, BaseGeometry]
) -> gpd.GeoDataFrame:
    terr = _metric(territories).set_index("territory_id")
    nem = _metric(ne).set_index("ADM0_A3")
    for code in ("ISR", "JOR", "EGY"):
        if code not in nem.index:
            raise SourceError(f"Natural Earth source has no {code} feature; use the unmodified Levant clip.")
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


def build_boundaries(src: dict[str, gpd.GeoDataFrame]) -> Boundaries:
    """Build zones, territories, Oslo areas, the 1967 line and the basemap from the sources.

    Parameters
    ----------
    src : dict of GeoDataFrame
        The validated sources from :func:`geo.build.sources.read_all`.

    Returns
    -------
    Boundaries
    """
    admin1 = _metric(src["admin1"])
    admin2 = _metric(src["admin2"])
    wb_rows = admin1[admin1["adm1_pcode"] == "PS01"]
    if len(wb_rows) != 1:
        raise SourceError("admin 1 source has no single West Bank feature (adm1_pcode PS01); use cod-ab-pse v01.")
    west_bank = wb_rows.geometry.iloc[0]
    oslo_cov = _oslo_coverage(_metric(src["oslo"]), west_bank)
    old_city = gpd.GeoSeries([old_city_polygon()], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    zones = _build_zones(admin2, oslo_cov, west_bank, old_city)
    territories = _territories(zones)
    wb_area = float(territories.loc[territories["territory_id"] == "west_bank", "area_km2"].iloc[0])
    return Boundaries(
        zones=zones,
        territories=territories,
        oslo_areas=_oslo_layer(oslo_cov, wb_area),
        line_1967=_line_1967(territories, src["naturalearth"], oslo_cov),
        basemap=_basemap(src["naturalearth"]),
    )
