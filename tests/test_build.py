import hashlib
from pathlib import Path

import pytest

from geo import build
from geo.errors import LayerError

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_shipped_layers_are_exactly_what_the_build_makes(built):
    """Determinism across processes, and the shipped files are up to date with the code."""
    for name, data in built.files().items():
        shipped = (ROOT / "layers" / name).read_bytes()
        assert shipped == data, f"layers/{name} differs from a fresh build: run `landplan layers build`"


def test_two_builds_are_byte_identical(built, source_dir):
    again = build.build_layers(source_dir)
    assert again.files() == built.files()


def test_write_refuses_invalid_layers_and_touches_nothing(built, tmp_path):
    out = tmp_path / "layers"
    out.mkdir()
    (out / "zones.geojson").write_bytes(b"old")
    broken = build.BuildResult(dict(built.layers), built.match_report, built.area_match_report)
    z = broken.layers["zones"].copy()
    z.loc[0, "population"] = None
    broken.layers["zones"] = z
    with pytest.raises(LayerError, match="nothing was written"):
        build.write_layers(broken, out)
    assert sorted(p.name for p in out.iterdir()) == ["zones.geojson"]
    assert (out / "zones.geojson").read_bytes() == b"old"


def test_write_layers_writes_every_file(built, tmp_path):
    build.write_layers(built, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == set(built.files())
    digest = hashlib.sha256((tmp_path / "zones.geojson").read_bytes()).hexdigest()
    assert digest == hashlib.sha256(built.files()["zones.geojson"]).hexdigest()
