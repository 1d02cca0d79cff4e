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


def test_every_shipped_zone_counts_exactly_its_shipped_localities_and_settlements(shipped):
    zones = shipped["zones"].set_index("zone_id")
    loc = shipped["localities"]
    own = loc[loc["counted_with"].isna()]
    for column, source in (("population", "population"), ("population_2017", "population_2017")):
        sums = own.groupby("zone_id")[source].sum()
        assert (zones[column] == sums.reindex(zones.index).fillna(0).astype("int64")).all(), column
    setl = shipped["settlements"]
    ej = setl["kind"] == "east_jerusalem_neighbourhood"
    for column, rows in (("settlers", setl[~ej]), ("israelis_ej", setl[ej])):
        sums = rows.groupby("zone_id")["population"].sum()
        assert (zones[column] == sums.reindex(zones.index).fillna(0).astype("int64")).all(), column


def test_every_crossing_into_israel_lies_on_the_shipped_1967_line(shipped):
    from geo.crs import METRIC_CRS

    line = shipped["line_1967"]
    armistice = line[line["kind"] == "armistice_line"].to_crs(METRIC_CRS).union_all()
    cr = shipped["crossings"]
    into_israel = cr[cr["sides"] == "PS-IL"].to_crs(METRIC_CRS)
    assert len(into_israel) >= 20
    far = into_israel[into_israel.distance(armistice) > 1000]
    assert far.empty, list(far["crossing_id"])
    inside = cr[cr["crossing_id"].isin(["qalandiya", "checkpoint-300"])]
    assert set(inside["sides"]) == {"internal"}
