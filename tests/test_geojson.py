import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo import geojson
from geo.errors import CRSError


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
