import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from geo import encode
from geo.errors import LayerError


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
