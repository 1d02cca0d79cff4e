"""The regions layer (the Jordan Valley) and the planning zones cut along it."""

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo.build import boundaries, facts, regions, sources
from geo.crs import METRIC_CRS, area_km2
from geo.errors import LayerError, SourceError
from geo.geojson import to_bytes
from geo.schema import ID_PATTERN

JV = "jordan-valley"
CONTRACT = ["region_id", "name", "name_ar", "name_he", "rule", "area_km2", "share_pct", "published_km2", "source"]
#: Zones the Jordan Valley cuts: the inside part of each, a new zone (the part outside keeps the old id).
SPLIT_ZONE_IDS = {
    "bethlehem-a-jv",
    "bethlehem-b-jv",
    "bethlehem-c-jv",
    "hebron-a-jv",
    "hebron-b-jv",
    "hebron-c-jv",
    "jenin-c-jv",
    "jerusalem-a-jv",
    "jerusalem-b-jv",
    "jerusalem-c-jv",
    "nablus-b-jv",
    "nablus-c-jv",
    "ramallah-a-jv",
    "ramallah-c-jv",
    "tubas-a-jv",
    "tubas-b-jv",
}
#: Zones wholly inside: they keep their ids (Tubas C's two pieces outside are under the 1 km² floor).
WHOLE_ZONE_IDS = {"jericho-a", "jericho-b", "jericho-c", "tubas-c"}
#: The zone ids built before the regions (the shipped layer of issue 9).
ZONE_IDS_BEFORE_REGIONS = {
    *(f"{gov}-{cls}" for gov in ("bethlehem", "hebron", "jenin", "jericho", "jerusalem", "nablus") for cls in "abc"),
    *(f"{gov}-{cls}" for gov in ("qalqilya", "ramallah", "salfit", "tubas", "tulkarm") for cls in "abc"),
    *("east-jerusalem", "old-city", "hebron-h2"),
    *("north-gaza", "gaza-city", "deir-al-balah", "khan-younis", "rafah"),
}
#: CBS municipal status of the settlements of the two regional councils B'Tselem's definition names.
VALLEY_COUNCILS = {"מועצה אזורית ערבות הירדן", "מועצה אזורית מגילות ים המלח"}


def _row(**change):
    row = dict(facts.read("regions")[0])
    row.update(change)
    return row


def _metric(geom):
    return gpd.GeoSeries([geom], crs=4326).to_crs(METRIC_CRS).iloc[0]


def _km2(geom):
    return float(area_km2(gpd.GeoSeries([geom], crs=4326)).iloc[0])


# --- the rule table -------------------------------------------------------------------------------------------


def test_rule_table_reads_the_cited_jordan_valley_rule():
    (rule,) = regions.read_rules()
    assert rule.region_id == JV
    assert (rule.width_km, rule.governorates, rule.published_km2) == (15.0, ("Jericho",), 1600.0)
    assert rule.name_ar and rule.name_he
    assert "fifteen kilometers wide" in rule.source  # the width is cited, not fitted
    assert "1.6 million dunams" in rule.source
    assert "within 15 km" in rule.rule and "Jericho governorate" in rule.rule
    assert all(r["source"].strip() for r in facts.read("regions"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width_km": "fifteen"}, "row 2 (jordan-valley): width_km is 'fifteen'"),
        ({"width_km": "0"}, "width_km is '0'"),
        ({"width_km": "80"}, "at most 50"),
        ({"published_km2": "-1"}, "published_km2 is '-1'"),
        ({"border": "egypt"}, "border 'egypt' is unknown"),
        ({"region_id": "jordan valley"}, "region_id 'jordan valley' is not a valid id"),
        ({"zone_suffix": "JV!"}, "zone_suffix 'JV!'"),
        ({"source": " "}, "column 'source' is empty"),
    ],
)
def test_a_bad_rule_row_is_refused_naming_the_row_and_the_fix(change, message):
    with pytest.raises(SourceError, match=r"regions\.csv") as err:
        regions.read_rules([_row(**change)])
    assert message in str(err.value)


def test_a_missing_column_or_a_duplicate_is_refused():
    row = _row()
    del row["width_km"]
    with pytest.raises(SourceError, match=r"no column\(s\) \['width_km'\]"):
        regions.read_rules([row])
    with pytest.raises(SourceError, match="zone_suffix 'jv' is used by more than one row"):
        regions.read_rules([_row(), _row(region_id="other")])
    with pytest.raises(SourceError, match="has no rows"):
        regions.read_rules([])


def test_build_regions_needs_zones_cut_by_the_rule():
    zones = gpd.GeoDataFrame({"zone_id": ["a"], "region": [None]}, geometry=[Point(35, 32).buffer(0.01)], crs=4326)
    terr = gpd.GeoDataFrame({"territory_id": ["west_bank"], "area_km2": [5654.6]}, geometry=[None], crs=4326)
    with pytest.raises(LayerError, match="no zone lies in 'jordan-valley'"):
        regions.build_regions(zones, terr)
    empty = regions.build_regions(zones, terr, rules=[])
    assert list(empty.columns) == [*CONTRACT, "geometry"]
    assert empty.empty


# --- bad sources, refused before the slow work --------------------------------------------------------------


@pytest.fixture(scope="module")
def src(sources_read):
    return sources_read


def test_an_unknown_governorate_in_the_rule_is_refused(src):
    (rule,) = regions.read_rules()
    bad = dataclasses.replace(rule, governorates=("Jerico",))
    with pytest.raises(SourceError, match="governorate 'Jerico' is not a West Bank governorate") as err:
        boundaries.build_boundaries(src, rules=[bad])
    assert "Jericho" in str(err.value)  # the fix lists the valid names


def test_natural_earth_without_jordan_is_refused(source_copy):
    path = source_copy("naturalearth-10m/ne_10m_admin_0_countries_deu_clip_levant.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["ADM0_A3"] != "JOR"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SourceError, match="Natural Earth source has no JOR feature"):
        boundaries.build_boundaries(sources.read_all(source_copy.root))


# --- the real build -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bnd(bounds):
    return bounds


@pytest.mark.slow
def test_regions_layer_has_the_contract_columns(bnd):
    reg = bnd.regions
    assert list(reg.columns) == [*CONTRACT, "geometry"]
    assert reg.crs.to_epsg() == 4326
    assert list(reg["region_id"]) == sorted(reg["region_id"]) == [JV]
    assert reg.geometry.is_valid.all()
    assert set(reg.geometry.geom_type) <= {"Polygon", "MultiPolygon"}


@pytest.mark.slow
def test_jordan_valley_area_is_the_published_about_1600_km2(bnd):
    jv = bnd.regions.set_index("region_id").loc[JV]
    assert 1450 <= jv["area_km2"] <= 1750  # published: 1.6 million dunams (B'Tselem 2011)
    assert 27.0 <= jv["share_pct"] <= 31.0  # published: 28.8 % (B'Tselem), about 30 % (OCHA)
    assert jv["area_km2"] == pytest.approx(_km2(jv.geometry), abs=0.001)
    wb = bnd.territories.set_index("territory_id").loc["west_bank", "area_km2"]
    assert jv["share_pct"] == pytest.approx(100 * jv["area_km2"] / wb, abs=0.01)
    assert jv["published_km2"] == 1600.0


@pytest.mark.slow
def test_the_region_is_the_union_of_its_zones(bnd):
    z = bnd.zones
    inside = shapely.coverage_union_all(z.loc[z["region"] == JV].geometry.values)
    region = bnd.regions.set_index("region_id").loc[JV, "geometry"]
    assert _km2(shapely.symmetric_difference(inside, region)) < 0.001 * _km2(region)
    # and nothing outside the region's zones overlaps it
    rest = shapely.union_all(z.loc[z["region"] != JV].geometry.values)
    assert _km2(shapely.intersection(rest, region)) < 0.01


@pytest.mark.slow
def test_zones_stay_a_gap_free_overlap_free_coverage_of_the_territories(bnd):
    z = bnd.zones
    assert shapely.coverage_is_valid(z.geometry.values)
    union = shapely.coverage_union_all(z.geometry.values)
    terr = bnd.territories.union_all()
    assert _km2(terr.difference(union)) < 1e-6
    assert _km2(union.difference(terr)) < 1e-6


@pytest.mark.slow
def test_zone_ids_are_unique_and_the_new_ones_are_listed(bnd):
    z = bnd.zones
    assert z["zone_id"].is_unique
    assert all(ID_PATTERN.fullmatch(i) for i in z["zone_id"])
    ids = set(z["zone_id"])
    assert {i for i in ids if i.endswith("-jv")} == SPLIT_ZONE_IDS
    assert set(z.loc[z["region"] == JV, "zone_id"]) == SPLIT_ZONE_IDS | WHOLE_ZONE_IDS
    assert z.loc[z["territory"] == "gaza", "region"].isna().all()


@pytest.mark.slow
def test_cutting_keeps_every_old_zone_id(bnd):
    """Stable ids: every zone of the build before regions is still there, and only the -jv parts are new."""
    ids = set(bnd.zones["zone_id"])
    assert ids >= ZONE_IDS_BEFORE_REGIONS
    assert ids - ZONE_IDS_BEFORE_REGIONS == SPLIT_ZONE_IDS


@pytest.mark.slow
def test_inside_parts_keep_their_zone_and_small_cut_pieces_rejoin_it(bnd):
    z = bnd.zones.set_index("zone_id")
    for zid in sorted(SPLIT_ZONE_IDS):
        base = zid.removesuffix("-jv")
        inner, outer = z.loc[zid], z.loc[base]
        assert (inner["governorate"], inner["oslo"], inner["territory"]) == (
            outer["governorate"],
            outer["oslo"],
            outer["territory"],
        )
        assert inner["name"] == f"{outer['name']} (Jordan Valley)"
        assert inner["region"] == JV
        assert pd.isna(outer["region"])
        # every piece on either side of the cut that touches the other side is at least the floor
        a, b = _metric(inner.geometry), _metric(outer.geometry)
        for side, other in ((a, b), (b, a)):
            for part in getattr(side, "geoms", [side]):
                if shapely.length(shapely.intersection(part.boundary, other.boundary)) > 1.0:
                    assert part.area >= regions.REGION_FLOOR_KM2 * 1e6 * 0.99, (zid, part.area)


@pytest.mark.slow
def test_every_settlement_of_the_valley_regional_councils_lies_in_the_region(src, bnd):
    """B'Tselem's definition (the Arvot HaYarden and Megilot councils, plus Jericho) against the 15 km rule."""
    region = _metric(bnd.regions.set_index("region_id").loc[JV, "geometry"])
    cbs = src["cbs"].to_crs(METRIC_CRS)
    valley = cbs[cbs["municipal_status_name"].isin(VALLEY_COUNCILS)]
    assert len(valley) == 27
    assert valley.within(region).all(), sorted(valley.loc[~valley.within(region), "name_en"])
    # the Allon Road settlements of the neighbouring councils stay outside
    allon = cbs[cbs["name_en"].isin(["Ma'ale Adummim", "Kefar Adummim", "Rimmonim", "Kokhav HaShahar"])]
    assert len(allon) == 4
    assert not allon.within(region).any()


@pytest.mark.slow
def test_zones_and_regions_are_deterministic(src, bnd):
    again = boundaries.build_boundaries(src)
    for name in ("zones", "regions"):
        a, b = getattr(bnd, name), getattr(again, name)
        cols = [c for c in a.columns if c != "geometry"]
        assert to_bytes(a, cols, name) == to_bytes(b, cols, name)
