import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo import geojson
from geo.errors import CRSError, LayerError


def _frame(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=geoms, crs=4326)


def test_coordinates_are_rounded_to_six_decimals():
    gdf = _frame([Point(35.123456789, 31.987654321)], name=["a"])
    doc = json.loads(geojson.to_bytes(gdf, ["name"], "t"))
    assert doc["features"][0]["geometry"]["coordinates"] == [35.123457, 31.987654]


def test_rings_are_counter_clockwise_rfc7946():
    cw = Polygon([(35.0, 31.0), (35.0, 31.1), (35.1, 31.1), (35.1, 31.0)])
    assert not shapely.is_ccw(cw.exterior)
    doc = json.loads(geojson.to_bytes(_frame([cw], id=[1]), ["id"], "t"))
    ring = shapely.LinearRing(doc["features"][0]["geometry"]["coordinates"][0])
    assert shapely.is_ccw(ring)


def test_output_is_deterministic_and_has_no_crs_member():
    gdf = _frame([Point(35.1, 31.2), Point(35.3, 31.4)], name=["x", "ü"], n=[1, None])
    a = geojson.to_bytes(gdf, ["name", "n"], "t")
    assert a == geojson.to_bytes(gdf.copy(), ["name", "n"], "t")
    doc = json.loads(a)
    assert "crs" not in doc
    assert doc["features"][1]["properties"] == {"name": "ü", "n": None}


def test_non_finite_values_become_null():
    gdf = _frame([Point(35.1, 31.2)], v=[float("nan")])
    assert json.loads(geojson.to_bytes(gdf, ["v"], "t"))["features"][0]["properties"]["v"] is None


def test_refuses_other_crs():
    gdf = _frame([Point(35.1, 31.2)], v=[1]).to_crs(2039)
    with pytest.raises(CRSError, match="reproject"):
        geojson.to_bytes(gdf, ["v"], "t")


# -- reading -----------------------------------------------------------------------------------------------------------


def _collection(features, **members):
    return json.dumps({"type": "FeatureCollection", **members, "features": features}).encode()


def _point(x=35.1, y=31.2, **props):
    return {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": [x, y]}}


def test_read_gives_back_what_to_bytes_wrote():
    ring = [(35.0, 31.0), (35.1, 31.0), (35.1, 31.1), (35.0, 31.1)]
    hole = [(35.02, 31.02), (35.04, 31.02), (35.04, 31.04), (35.02, 31.04)]
    geoms = [
        Point(35.1, 31.2),
        shapely.LineString([(35.0, 31.0), (35.2, 31.3)]),
        Polygon(ring, [hole]),
        shapely.MultiPolygon([Polygon(ring), shapely.affinity.translate(Polygon(ring), 0.2)]),
        shapely.MultiLineString([[(35.0, 31.0), (35.1, 31.1)], [(35.2, 31.2), (35.3, 31.3)]]),
    ]
    gdf = _frame(geoms, name=["a", "b", "c", "d", "e"], n=[1, None, 2.5, True, "x"])
    coll = geojson.read_collection(geojson.to_bytes(gdf, ["name", "n"], "t"))
    assert coll.issues == []
    assert [p["name"] for p in coll.properties] == ["a", "b", "c", "d", "e"]
    assert [p["n"] for p in coll.properties] == [1, None, 2.5, True, "x"]
    assert all(shapely.equals(a, b) for a, b in zip(geojson.clean_geometry(gdf.geometry), coll.geometries, strict=True))


def test_read_keeps_non_json_numbers_as_tokens_and_flags_repeated_keys():
    raw = b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":NaN,"b":-Infinity,"b":1},'
    raw += b'"geometry":{"type":"Point","coordinates":[35,31]}}]}'
    coll = geojson.read_collection(raw)
    a = coll.properties[0]["a"]
    assert isinstance(a, geojson.NonFinite) and a.token == "NaN"
    assert [(i.index, i.kind) for i in coll.issues] == [(0, "repeated")]
    assert "'b' twice" in coll.issues[0].message


def test_a_bad_feature_does_not_hide_the_others():
    features = [
        _point(35.1, 31.2),
        {"type": "Feature", "properties": {}, "geometry": None},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": ["x", 1]}},
        {"type": "Feature", "properties": None, "geometry": {"type": "Point", "coordinates": [35.3, 31.4]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[35, 31]]}},
        "not a feature",
    ]
    coll = geojson.read_collection(_collection(features))
    assert [(i.index, i.kind) for i in coll.issues] == [
        (1, "geometry"),
        (2, "geometry"),
        (3, "properties"),
        (4, "geometry"),
        (5, "feature"),
    ]
    assert coll.geometries[0] == Point(35.1, 31.2)
    assert coll.geometries[3] == Point(35.3, 31.4)
    assert coll.properties[3] is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "not valid JSON"),
        (b'{"type": "FeatureCollection", "features": [', "line 1 column 44: not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[]", "holds a JSON array"),
        (b'"FeatureCollection"', "holds a JSON string"),
        (b'{"type": "Feature", "properties": {}, "geometry": null}', "holds a GeoJSON Feature"),
        (b'{"type": "FeatureCollection", "features": null}', "features member is null"),
        (b'{"type": "FeatureCollection", "features": []}', "has no features"),
        (b"[" * 50_000 + b"]" * 50_000, "too deeply"),
    ],
)
def test_read_refuses_what_is_not_a_feature_collection(raw, says):
    with pytest.raises(LayerError, match=says):
        geojson.read_collection(raw)


@pytest.mark.parametrize(
    "member",
    [
        {"type": "name", "properties": {"name": "EPSG:2039"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        {"type": "name", "properties": {"name": "not a crs"}},
        {"type": "name", "properties": {"name": None}},
        {"type": "name", "properties": ["EPSG:4326"]},
        {"type": "name"},
        "EPSG:4326",
        [],
    ],
)
def test_read_refuses_a_crs_member_other_than_lon_lat(member):
    with pytest.raises(LayerError, match="reproject the data to EPSG:4326"):
        geojson.read_collection(_collection([_point()], crs=member))


@pytest.mark.parametrize("name", ["EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"])
def test_read_accepts_a_crs_member_naming_lon_lat(name):
    coll = geojson.read_collection(_collection([_point()], crs={"type": "name", "properties": {"name": name}}))
    assert coll.geometries[0] == Point(35.1, 31.2)


def test_read_drops_the_altitude():
    features = [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [35.1, 31.2, 800]}},
        {
            "type": "Feature",
            "properties": {},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[35, 31, 1], [35.1, 31, 2], [35.1, 31.1, 3], [35, 31, 1]]],
            },
        },
    ]
    coll = geojson.read_collection(_collection(features))
    assert not shapely.has_z(coll.geometries).any()
    assert coll.geometries[0] == Point(35.1, 31.2)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_to_bytes_refuses_non_finite_coordinates(bad):
    gdf = _frame([Point(35.1, 31.2), Point(bad, 31.2)], name=["ok", "broken"])
    with pytest.raises(LayerError, match=r"layer t: feature #1 \(name='broken'\) has NaN or infinite coordinates"):
        geojson.to_bytes(gdf, ["name"], "t")
