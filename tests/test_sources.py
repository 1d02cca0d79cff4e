"""Bad source input is rejected with the file, the feature, the reason and a fix."""

import json
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.build import sources
from geo.errors import SourceError


def test_every_source_reads_clean(source_dir: Path):
    got = sources.read_all(source_dir)
    assert set(got) == set(sources.SOURCES)
    for gdf in got.values():
        assert gdf.crs.to_epsg() == 4326
        assert gdf.is_valid.all()
    assert len(got["closures"]) == 811


def test_oslo_source_is_repaired_not_rejected(source_dir: Path):
    raw = gpd.read_file(source_dir / sources.SOURCES["oslo"].path)
    assert not raw.is_valid.all()  # the source really holds invalid rings
    assert sources.read("oslo", source_dir).is_valid.all()


def test_missing_folder_and_file(tmp_path: Path):
    with pytest.raises(SourceError, match="--source DIR"):
        sources.read_all(tmp_path / "nowhere")
    with pytest.raises(SourceError, match=r"cod_ab_pse_admin1\.geojson: source file not found"):
        sources.read("admin1", tmp_path)


def test_invalid_geometry_names_file_feature_reason(source_copy, bowtie):
    p = source_copy("ocha-opt/cod_ab_pse_admin2.geojson")
    gdf = gpd.read_file(p)
    gdf.loc[3, "geometry"] = bowtie
    gdf.to_file(p, driver="GeoJSON")
    with pytest.raises(SourceError) as exc:
        sources.read("admin2", source_copy.root)
    msg = str(exc.value)
    assert "cod_ab_pse_admin2.geojson" in msg
    assert "feature #3 (adm2_pcode='PS0115')" in msg
    assert "Self-intersection" in msg
    assert "make_valid" in msg


def test_missing_crs_is_rejected(source_copy):
    p = source_copy("ocha-opt/cod_ab_pse_admin1.geojson")
    gdf = gpd.read_file(p)[["adm1_name", "adm1_pcode", "geometry"]]
    p.unlink()
    shp = p.with_suffix(".shp")
    gdf.to_file(shp)
    shp.with_suffix(".prj").unlink()
    with pytest.raises(SourceError, match=r"cod_ab_pse_admin1\.shp: has no CRS; landplan never guesses"):
        sources.read("admin1", source_copy.root)


def test_another_format_with_a_crs_is_accepted(source_copy):
    p = source_copy("ocha-opt/cod_ab_pse_admin1.geojson")
    gdf = gpd.read_file(p)
    p.unlink()
    gdf.to_crs(2039).to_file(p.with_suffix(".gpkg"))
    back = sources.read("admin1", source_copy.root)
    assert back.crs.to_epsg() == 4326
    assert back.total_bounds[0] == pytest.approx(gdf.total_bounds[0], abs=1e-6)


def test_metres_labelled_as_degrees(source_copy):
    p = source_copy("ocha-opt/cod_ab_pse_admin1.geojson")
    gdf = gpd.read_file(p)[["adm1_name", "adm1_pcode", "geometry"]]
    gdf = gdf.to_crs(2039).set_crs(4326, allow_override=True)
    p.write_text(gdf.to_json())
    with pytest.raises(SourceError, match="look like metres labelled as EPSG:4326"):
        sources.read("admin1", source_copy.root)


def test_swapped_lat_lon_in_geojson(source_copy):
    p = source_copy("ocha-opt/greenline_checkpoints_nov2025.geojson")
    doc = json.loads(p.read_text())
    for f in doc["features"]:
        x, y = f["geometry"]["coordinates"][:2]
        f["geometry"]["coordinates"] = [y, x]
    p.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=r"feature #0 \(fid=1\).*latitude and longitude look swapped"):
        sources.read("greenline", source_copy.root)


def test_swapped_lat_lon_in_csv(source_copy):
    p = source_copy("peacenow-settlements-2017/nowpeace-settlements.csv")
    df = pd.read_csv(p)
    df = df.rename(columns={"latitude": "longitude", "longitude": "latitude"})
    df.to_csv(p, index=False)
    with pytest.raises(SourceError, match="look swapped"):
        sources.read("peacenow", source_copy.root)


def test_mistyped_csv_coordinates_caught_by_itm_cross_check(source_copy):
    p = source_copy("israel-cbs-localities/localities_bycode2021.csv")
    df = pd.read_csv(p, encoding="utf-8-sig")
    df.loc[5, "coordinates_wgs84_latitude"] += 0.05  # about 5.5 km north
    df.to_csv(p, index=False)
    with pytest.raises(SourceError, match=r"feature #5 .*disagree with its ITM coordinates"):
        sources.read("cbs", source_copy.root)


def test_missing_columns(source_copy):
    p = source_copy("ocha-opt/closure_points_2025.geojson")
    doc = json.loads(p.read_text())
    for f in doc["features"]:
        f["properties"].pop("closutretype", None)
    p.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=re.escape("missing column(s) closutretype")):
        sources.read("closures", source_copy.root)


def test_outside_region(source_copy):
    p = source_copy("ocha-opt/greenline_checkpoints_nov2025.geojson")
    doc = json.loads(p.read_text())
    doc["features"][2]["geometry"]["coordinates"] = [12.5, 41.9]  # Rome
    p.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=r"feature #2 \(fid=3\) lies outside the region"):
        sources.read("greenline", source_copy.root)


@pytest.mark.parametrize(
    ("key", "rel"),
    [
        ("communities", "ocha-palestinian-communities/palestinian_communities_pop2017.geojson"),
        ("barrier", "ocha-barrier-2018/barrier_jan2018.geojson"),
        ("built_up", "ocha-settlements-firing-zones/settlements_built_up_2021.geojson"),
        ("firing_zones", "ocha-settlements-firing-zones/firing_zones.geojson"),
    ],
)
def test_an_empty_source_says_it_holds_no_features(source_copy, key, rel):
    p = source_copy(rel)
    p.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(SourceError, match="holds no features"):
        sources.read(key, source_copy.root)
