import geopandas as gpd
import pytest
from shapely.geometry import box

from geo import crs
from geo.errors import CRSError


def test_missing_crs_is_never_guessed(squares):
    bare = gpd.GeoDataFrame(geometry=list(squares.geometry))
    assert bare.crs is None
    with pytest.raises(CRSError, match="never guesses"):
        crs.area_km2(bare)
    with pytest.raises(CRSError, match="set_crs"):
        crs.to_metric(bare)


def test_area_of_a_known_square_in_metres_and_degrees(squares):
    assert crs.area_km2(squares).round(4).tolist() == [1.0, 1.0]
    # the same squares expressed in degrees measure the same in the equal-area CRS
    assert crs.area_km2(squares.to_crs(4326)).round(3).tolist() == [1.0, 1.0]


def test_to_metric_returns_israeli_tm(points4326):
    m = crs.to_metric(points4326)
    assert m.crs.to_epsg() == 2039
    # Ramallah in ITM is about E 219,800 N 645,500
    assert 215_000 < m.geometry.iloc[0].x < 225_000
    assert 640_000 < m.geometry.iloc[0].y < 650_000


def test_transformer_is_always_xy():
    t = crs.transformer(crs.STORE_CRS, crs.METRIC_CRS)
    x, y = t.transform(35.2034, 31.9038)
    assert 215_000 < x < 225_000 and 640_000 < y < 650_000


def test_equal_area_crs_keeps_area_of_a_degree_box():
    g = gpd.GeoSeries([box(35.0, 31.5, 35.1, 31.6)], crs=4326)
    geodesic = abs(crs.STORE_CRS.get_geod().geometry_area_perimeter(g.iloc[0])[0]) / 1e6
    assert crs.area_km2(g).iloc[0] == pytest.approx(geodesic, rel=1e-4)
