import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.build import sites
from geo.crs import METRIC_CRS

pytestmark = pytest.mark.slow


def _dist_m(geom, lon, lat):
    g = gpd.GeoSeries([geom, Point(lon, lat)], crs=4326).to_crs(METRIC_CRS)
    return g.iloc[0].distance(g.iloc[1])


@pytest.mark.parametrize(
    ("cid", "lon", "lat"),
    [("erez", 34.544, 31.559), ("allenby", 35.542, 31.875), ("qalandiya", 35.2275, 31.8624)],
)
def test_crossing_spot_positions(built, cid, lon, lat):
    c = built.layers["crossings"].set_index("crossing_id")
    assert _dist_m(c.loc[cid, "geometry"], lon, lat) < 300


def test_crossing_inventory(built):
    c = built.layers["crossings"].set_index("crossing_id")
    for cid in (
        "erez",
        "kerem-shalom",
        "rafah",
        "karni",
        "allenby",
        "damiya",
        "checkpoint-300",
        "huwwara",
        "zatara",
        "container",
        "tarqumiya",
    ):
        assert cid in c.index
    assert c.loc["rafah", "sides"] == "PS-EG"
    assert c.loc["allenby", "sides"] == "PS-JO"
    assert (c["kind"] == "greenline_checkpoint").sum() >= 10
    assert c.loc["checkpoint-300", "zone_id"] == "east-jerusalem"
    assert c.loc["erez", "zone_id"] == "north-gaza"


def test_obstacles_are_the_full_survey_decoded(built):
    o = built.layers["obstacles"]
    assert len(o) == 811
    counts = o["type"].value_counts().to_dict()
    assert counts["earthmound"] == 167
    assert counts["checkpoint"] == 89
    assert counts["closed_road_gate"] == 159
    assert set(o["survey"]) == {"Feb2025", "Nov2025"}
    assert o["obstacle_id"].is_unique


def test_unknown_closure_type_code_stops_the_build(source_copy):
    import json

    from geo.build import boundaries, sources
    from geo.errors import SourceError

    p = source_copy("ocha-opt/closure_points_2025.geojson")
    doc = json.loads(p.read_text())
    doc["features"][7]["properties"]["closutretype"] = 9
    oid = doc["features"][7]["properties"]["objectid"]
    p.write_text(json.dumps(doc))
    src = sources.read_all(source_copy.root)
    zones = boundaries.build_boundaries(src).zones
    with pytest.raises(SourceError, match=rf"objectid={oid} .*unknown closure type code 9.*CLOSURE_TYPES"):
        sites.build_obstacles(src, zones)


def test_jerusalem_layer(built):
    j = built.layers["jerusalem"].set_index("feature_id")
    old = j.loc["old-city", "geometry"]
    assert _dist_m(old.centroid, 35.232, 31.778) < 300
    assert 0.75 < j.loc["old-city", "area_km2"] < 1.0
    assert j.loc["holy-basin", "schematic"]
    assert j.loc["holy-basin", "geometry"].contains(old)
    assert 60 < j.loc["east-jerusalem", "area_km2"] < 75
    nb = j[j["kind"] == "neighbourhood"]
    rule = dict(zip(nb["name"], nb["clinton_rule"], strict=True))
    for ps in (
        "Silwan",
        "Sheikh Jarrah",
        "Beit Hanina",
        "Shu'fat",
        "Jabal Mukaber",
        "Sur Baher",
        "At-Tur",
        "Issawiya",
        "Beit Safafa",
        "Kafr 'Aqab",
        "Shu'fat refugee camp",
    ):
        assert rule[ps] == "PS"
    for il in ("Gilo", "Pisgat Ze'ev", "Ramot", "Har Homa"):
        assert rule[il] == "IL"


def test_assign_zones_rejects_far_points(built, points4326):
    from geo.errors import SourceError

    zones = built.layers["zones"]
    ok = sites.assign_zones(points4326, zones, "t")
    assert ok.tolist() == ["ramallah-a", "nablus-a", "hebron-a"]
    far = gpd.GeoDataFrame(geometry=[Point(34.78, 32.08)], crs=4326)  # Tel Aviv
    with pytest.raises(SourceError, match="outside every zone"):
        sites.assign_zones(far, zones, "t")
