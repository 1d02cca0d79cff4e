from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from geo import layers
from geo.errors import LayerError
from geo.schema import ID_PATTERN, LAYER_NAMES, SCHEMAS

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_layers_pass_the_check():
    result = layers.check(ROOT)
    assert result.problems == []
    assert result.ok
    table = result.summary.set_index("layer")
    assert list(table.index) == list(LAYER_NAMES)
    assert table.loc["obstacles", "features"] == 811
    assert table.loc["zones", "population"] == 5_238_885
    assert table.loc["zones", "population"] == table.loc["localities", "population"]  # a zone's is its localities'


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_each_layer_matches_its_schema(shipped, name):
    gdf = shipped[name]
    schema = SCHEMAS[name]
    assert gdf.crs.to_epsg() == 4326
    assert [c for c in gdf.columns if c != "geometry"] == list(schema.column_names)
    assert gdf[schema.id_column].is_unique
    assert set(gdf.geom_type) <= schema.geometry
    for col in schema.columns:
        if col.allowed is not None:
            assert set(gdf[col.name].dropna().astype(str)) <= col.allowed
        if not col.nullable:
            assert gdf[col.name].notna().all(), col.name
    assert layers.validate(gdf, name) == []


def test_load_types_nullable_ints(shipped):
    s = shipped["settlements"]
    assert str(s["population"].dtype) == "Int64"
    assert s["population"].isna().any()


def test_load_unknown_or_missing_layer(tmp_path):
    with pytest.raises(LayerError, match="unknown layer 'zonez'"):
        layers.load("zonez", ROOT)
    (tmp_path / "layers").mkdir()
    (tmp_path / "plans").mkdir()
    with pytest.raises(LayerError, match="landplan layers build"):
        layers.load("zones", tmp_path)


def _crossings(shipped):
    return shipped["crossings"].copy()


def _row(gdf, layer, fid):
    """The index of the feature of ``layer`` whose id is ``fid`` (found by id: a rebuild may reorder the rows)."""
    (found,) = gdf.index[gdf[SCHEMAS[layer].id_column] == fid]
    return found


def test_validate_reports_schema_breaks(shipped):
    c = _crossings(shipped)
    c.loc[_row(c, "crossings", "allenby"), "status"] = "half-open"
    c.loc[_row(c, "crossings", "kerem-shalom"), "name"] = None
    problems = layers.validate(c, "crossings")
    assert any("crossings[crossing_id=allenby]: status='half-open' is not one of" in p for p in problems)
    assert any("crossings[crossing_id=kerem-shalom]: name is null" in p for p in problems)


def test_validate_reports_invalid_geometry_with_location(shipped, bowtie):
    z = shipped["zones"].copy()
    z.loc[0, "geometry"] = bowtie
    problems = layers.validate(z, "zones")
    assert any("invalid geometry (Self-intersection" in p and "near (35.2" in p for p in problems)


def test_validate_reports_crs_bounds_and_precision(shipped):
    c = _crossings(shipped)
    assert any("not EPSG:4326" in p for p in layers.validate(c.set_crs(2039, allow_override=True), "crossings"))
    c.loc[0, "geometry"] = Point(31.5, 34.5)  # swapped
    assert any("leave the region" in p for p in layers.validate(c, "crossings"))
    c = _crossings(shipped)
    c.loc[0, "geometry"] = Point(34.5440001234, 31.5596)
    assert any("more than 6 decimals" in p for p in layers.validate(c, "crossings"))


def test_check_finds_zone_overlap_and_gap(shipped):
    data = dict(shipped)
    z = shipped["zones"].copy()
    a = z.geometry.iloc[0]
    z.loc[0, "geometry"] = a.buffer(0.001)  # now overlaps its neighbours
    data["zones"] = z
    result = layers.check(layers=data)
    assert any("overlaps or misaligned edges" in p for p in result.problems)
    z = shipped["zones"].iloc[1:].copy()  # drop a zone: a gap appears
    data["zones"] = z
    result = layers.check(layers=data)
    assert any("gap (territory not covered by any zone)" in p for p in result.problems)
    assert any("not in zones" in p for p in result.problems)


def test_check_finds_a_territory_far_from_the_published_area(shipped):
    data = dict(shipped)
    t = shipped["territories"].copy()
    t.loc[t["territory_id"] == "gaza", "area_km2"] = 400.0
    data["territories"] = t
    assert any("more than 1% from the published 365" in p for p in layers.check(layers=data).problems)


def test_load_all_keys(shipped):
    assert list(shipped) == list(LAYER_NAMES)
    assert all(isinstance(g, gpd.GeoDataFrame) for g in shipped.values())


def test_polygon_fixture_sanity(bowtie):
    assert isinstance(bowtie, Polygon) and not bowtie.is_valid


@pytest.mark.parametrize("good", ["bethlehem-a", "west_bank", "cbs-3488", "ocha-811", "Zone.7", "a", "x" * 64])
def test_id_pattern_accepts_plain_ids(good):
    assert ID_PATTERN.fullmatch(good)


@pytest.mark.parametrize(
    "bad", ["bethlehem/a", "a/b/c", "/", "zone a", "", "-lead", "tab\tid", "nul\x00", "x" * 65, "é", "a\u202eb"]
)
def test_id_pattern_refuses_ids_that_would_not_survive_joining(bad):
    assert not ID_PATTERN.fullmatch(bad)


def test_shipped_ids_and_references_match_the_pattern(shipped):
    for name, gdf in shipped.items():
        for col in SCHEMAS[name].columns:
            if col.pattern is not None:
                refs = gdf[col.name].dropna()  # a nullable reference (e.g. a gate's segment) may be empty
                assert refs.map(lambda v, c=col: bool(c.pattern.fullmatch(v))).all(), (name, col.name)


@pytest.mark.parametrize(
    ("layer", "column", "value", "says"),
    [
        ("zones", "population", -1, "population=-1 is out of range; give it a whole number >= 0"),
        ("zones", "settlers", -20, "settlers=-20 is out of range"),
        ("zones", "area_km2", -0.5, "area_km2=-0.5 is out of range; give it a finite number >= 0"),
        ("zones", "area_km2", float("inf"), "area_km2=inf is not a finite number"),
        ("settlements", "population", -3, "population=-3 is out of range"),
        ("settlements", "founded", 3020, "founded=3020 is out of range; give it a whole number from 1800 to 2100"),
        ("oslo_areas", "share_pct", -1.0, "share_pct=-1.0 is out of range; give it a finite number from 0 to 100"),
        ("line_1967", "area_km2", float("-inf"), "area_km2=-inf is not a finite number"),
        ("localities", "population", -1, "population=-1 is out of range; give it a whole number >= 0 or null"),
        ("localities", "population_2017", float("inf"), "population_2017=inf is not a finite number"),
        ("settlement_areas", "area_km2", -0.1, "area_km2=-0.1 is out of range; give it a finite number >= 0"),
        ("barrier", "length_km", -2.0, "length_km=-2.0 is out of range; give it a finite number >= 0 or null"),
        ("barrier", "inside_west_bank_km", float("inf"), "inside_west_bank_km=inf is not a finite number"),
        ("seam_zone", "area_km2", float("inf"), "area_km2=inf is not a finite number"),
        ("seam_zone", "share_pct", 100.1, "share_pct=100.1 is out of range; give it a finite number from 0 to 100"),
        ("seam_zone", "localities", -1, "localities=-1 is out of range"),
        ("links", "length_km", -1.0, "length_km=-1.0 is out of range; give it a finite number >= 0"),
        ("links", "published_length_km", float("inf"), "published_length_km=inf is not a finite number"),
        ("regions", "area_km2", float("-inf"), "area_km2=-inf is not a finite number"),
        ("regions", "share_pct", -29.8, "share_pct=-29.8 is out of range; give it a finite number from 0 to 100"),
        ("firing_zones", "share_pct", 150.0, "share_pct=150.0 is out of range; give it a finite number from 0 to 100"),
        ("firing_zones", "area_km2", -1.0, "area_km2=-1.0 is out of range"),
        ("crossings", "people_per_day", -1, "people_per_day=-1 is out of range; give it a whole number >= 0 or null"),
        ("crossings", "trucks_per_day", 12.5, "trucks_per_day=12.5 is not a whole number"),
        ("zones", "israelis_ej", -1, "israelis_ej=-1 is out of range; give it a whole number >= 0"),
        ("zones", "population_2017", -1, "population_2017=-1 is out of range"),
        ("jerusalem", "population", -1, "population=-1 is out of range; give it a whole number >= 0 or null"),
        ("jerusalem", "area_km2", float("inf"), "area_km2=inf is not a finite number"),
    ],
)
def test_validate_refuses_negative_and_infinite_measures(shipped, layer, column, value, says):
    gdf = shipped[layer].copy()
    gdf[column] = gdf[column].astype(object)
    gdf.loc[gdf.index[0], column] = value
    problems = layers.validate(gdf, layer)
    assert any(says in p and f"{layer}[" in p for p in problems), problems


@pytest.mark.parametrize(
    ("layer", "column", "value"),
    [
        ("zones", "zone_id", "north/east"),
        ("crossings", "crossing_id", "allenby/king-hussein"),
        ("crossings", "zone_id", "jericho/a"),
        ("obstacles", "obstacle_id", "ocha/1"),
        ("settlements", "settlement_id", "cbs 3488"),
        ("jerusalem", "feature_id", "old city"),
        ("localities", "locality_id", "pcbs 301810"),
        ("localities", "zone_id", "ramallah/a"),
        ("settlement_areas", "area_id", "bu/adora"),
        ("barrier", "feature_id", "seg 1"),
        ("seam_zone", "feature_id", "seam/01"),
        ("links", "link_id", "safe passage"),
        ("links", "from_crossing", "erez/north"),
        ("links", "to_crossing", "tarqumiya terminal"),
        ("regions", "region_id", "jordan/valley"),
        ("firing_zones", "zone_id", "fz 203"),
        ("early_warning_sites", "site_id", "baal/hazor"),
    ],
)
def test_validate_refuses_ids_with_a_slash_or_a_space(shipped, layer, column, value):
    gdf = shipped[layer].copy()
    gdf.loc[gdf.index[min(1, len(gdf) - 1)], column] = value
    problems = layers.validate(gdf, layer)
    assert any(f"{column}={value!r} is not valid" in p and "no '/'" in p for p in problems), problems


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\r", "\x0b", "\x7f", "\x85", "\x9b"])
def test_validate_refuses_control_characters_in_text(shipped, char):
    gdf = shipped["settlements"].copy()
    gdf.loc[_row(gdf, "settlements", "cbs-3488"), "name"] = f"Kefar{char}Ezyon"
    problems = layers.validate(gdf, "settlements")
    assert any(f"U+{ord(char):04X}" in p and "settlements[settlement_id=cbs-3488]: name=" in p for p in problems)


def test_validate_keeps_tabs_and_line_feeds(shipped):
    gdf = shipped["settlements"].copy()
    gdf.loc[0, "name"] = "Kefar\tEzyon\nnorth"
    assert layers.validate(gdf, "settlements") == []


def test_check_in_memory_survives_broken_geometry(shipped, bowtie):
    data = dict(shipped)
    z = shipped["zones"].copy()
    z.loc[_row(z, "zones", "bethlehem-a"), "geometry"] = None
    z.loc[_row(z, "zones", "bethlehem-b"), "geometry"] = bowtie
    z.loc[_row(z, "zones", "bethlehem-c"), "geometry"] = Point(1e308, 31.0)
    data["zones"] = z
    result = layers.check(layers=data)
    text = "\n".join(result.problems)
    assert "zones[zone_id=bethlehem-a]: has no geometry" in text
    assert "zones[zone_id=bethlehem-b]: invalid geometry (Self-intersection" in text
    assert "zones[zone_id=bethlehem-c]: geometry is Point" in text
    assert "zones[zone_id=bethlehem-c]: bounds (1e+308" in text
    assert "skipped the coverage check" in text
    assert result.summary.set_index("layer").loc["zones", "features"] == len(z)


def test_summary_of_broken_layers_does_not_fail(shipped):
    z = shipped["zones"].copy()
    z.loc[0, "geometry"] = None
    z.loc[1, "geometry"] = Polygon([(35.0, 31.0), (1e308, 31.0), (35.0, 31.1)])
    table = layers.summary({"zones": z}).set_index("layer")
    assert table.loc["zones", "geometry"] == "MultiPolygon,Polygon"
    assert 0 < table.loc["zones", "area_km2"] < 6019.6


def test_check_in_memory_survives_missing_columns_and_crs(shipped):
    data = dict(shipped)
    data["crossings"] = shipped["crossings"].drop(columns=["zone_id", "status"])
    data["territories"] = shipped["territories"].drop(columns=["area_km2"])
    data["obstacles"] = gpd.GeoDataFrame(
        shipped["obstacles"].drop(columns="geometry"), geometry=list(shipped["obstacles"].geometry)
    )
    del data["basemap"]
    result = layers.check(layers=data)
    text = "\n".join(result.problems)
    assert "crossings: columns" in text and "territories: columns" in text
    assert "obstacles: CRS is None, not EPSG:4326" in text
    assert "basemap: the layer is missing" in text


def test_labels_never_print_a_raw_control_character(shipped):
    t = shipped["territories"].copy()
    k = _row(t, "territories", "west_bank")
    t.loc[k, "territory_id"] = "west\x1b[2Jbank"
    problems = layers.validate(t, "territories")
    assert problems and not any("\x1b" in p for p in problems)
    assert any(f"territories[feature #{k}, territory_id='west\\x1b[2Jbank']" in p for p in problems)
