from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from geo import layers
from geo.errors import LayerError
from geo.schema import LAYER_NAMES, SCHEMAS

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_layers_pass_the_check():
    result = layers.check(ROOT)
    assert result.problems == []
    assert result.ok
    table = result.summary.set_index("layer")
    assert list(table.index) == list(LAYER_NAMES)
    assert table.loc["obstacles", "features"] == 811
    assert table.loc["zones", "population"] == 4_816_503


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


def test_validate_reports_schema_breaks(shipped):
    c = _crossings(shipped)
    c.loc[0, "status"] = "half-open"
    c.loc[1, "name"] = None
    problems = layers.validate(c, "crossings")
    assert any("status='half-open' is not one of" in p for p in problems)
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
