import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from geo.errors import LayerError
from geo.output import encode


def test_round_trip_of_every_geometry_type():
    geoms = [
        box(35.0, 31.0, 35.1, 31.2),
        Polygon(box(34.0, 31.0, 34.5, 31.5).exterior, [box(34.1, 31.1, 34.2, 31.2).exterior.coords[::-1]]),
        MultiPolygon([box(35.5, 32.0, 35.6, 32.1), box(35.7, 32.0, 35.8, 32.1)]),
        LineString([(35.0, 31.0), (35.2, 31.3), (35.21, 31.31)]),
        Point(35.12345, 31.98765),
    ]
    enc = encode.encode_geometries(geoms)
    back = encode.decode(enc)
    for a, b in zip(geoms, back, strict=True):
        assert a.geom_type == b.geom_type
        assert shapely.hausdorff_distance(a, b) < 1e-5


def test_varints_round_trip_large_and_negative_values():
    vals = np.array([0, 1, -1, 63, -64, 64, -65, 10**9, -(10**9), 2**40, -(2**40)], dtype=np.int64)
    raw = encode._varints(vals)
    assert encode._read_varints(raw) == vals.tolist()
    assert len(encode._varints(np.array([63, -64], dtype=np.int64))) == 2  # one byte each
    assert len(encode._varints(np.array([64], dtype=np.int64))) == 2  # zig-zag 128 needs two


def test_compactness_is_a_few_bytes_per_vertex():
    ring = [(35 + 0.01 * np.cos(t), 31.5 + 0.01 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 111)[:-1]]
    polys = [shapely.affinity.translate(Polygon(ring), 0.03 * k, 0) for k in range(50)]
    enc = encode.encode_geometries(polys)
    assert len(enc.coords) / enc.vertices < 6


def test_rejects_missing_and_non_finite():
    with pytest.raises(LayerError, match="no geometry"):
        encode.encode_geometries([None])
    with pytest.raises(LayerError, match="NaN or infinite"):
        encode.encode_geometries([Point(float("nan"), 31.0)])


def test_errors_name_the_layer_and_the_feature():
    geoms = [Point(35.1, 31.5), None]
    with pytest.raises(LayerError, match=r"^zones: feature 'hebron-a' \(#1\) has no geometry"):
        encode.encode_geometries(geoms, layer="zones", ids=["bethlehem-a", "hebron-a"])
    with pytest.raises(LayerError, match=r"^crossings: feature 'erez' \(#0\) has NaN or infinite coordinates"):
        encode.encode_geometries([Point(float("inf"), 31.5)], layer="crossings", ids=["erez"])
    with pytest.raises(LayerError, match=r"^layer: feature #0 has no geometry"):
        encode.encode_geometries([Polygon()])


@pytest.mark.parametrize(
    "geom",
    [
        Point(1e308, 31.5),  # one far vertex: quantised to garbage before
        box(200_000, 600_000, 201_000, 601_000),  # EPSG:2039 metres
        LineString([(35.0, 31.0), (35.1, 95.0)]),  # latitude beyond the pole
        MultiPolygon([box(35.0, 31.0, 35.1, 31.1), box(-400.0, 31.0, -399.0, 31.1)]),
    ],
)
def test_rejects_coordinates_that_are_not_lon_lat(geom):
    with pytest.raises(LayerError, match=r"zones: feature 'z' \(#0\) has coordinates that are not longitude/latitude"):
        encode.encode_geometries([geom], layer="zones", ids=["z"])


@pytest.mark.parametrize(
    "geom",
    [
        shapely.GeometryCollection([Point(35.0, 31.0)]),
        shapely.LinearRing([(35.0, 31.0), (35.1, 31.0), (35.1, 31.1)]),
    ],
)
def test_rejects_types_the_map_cannot_draw(geom):
    with pytest.raises(LayerError, match="which the map cannot draw"):
        encode.encode_geometries([geom], layer="jerusalem", ids=["x"])
