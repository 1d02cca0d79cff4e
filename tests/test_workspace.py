from pathlib import Path

import pytest

from geo import workspace
from geo.errors import OutputError, WorkspaceError


def test_find_walks_up_from_a_subfolder(tmp_path: Path, monkeypatch):
    for d in ("layers", "plans", "deep/er"):
        (tmp_path / d).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    ws = workspace.find()
    assert ws.root == tmp_path.resolve()
    assert not ws.maps.exists()  # finding a workspace writes nothing: a read-only one works too


def test_find_without_workspace_says_how_to_make_one(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(WorkspaceError, match="landplan init"):
        workspace.find()
    with pytest.raises(WorkspaceError, match="not a landplan workspace"):
        workspace.find(tmp_path)


def test_init_copies_the_shipped_layers_and_refuses_to_overwrite(tmp_path: Path):
    ws = workspace.init(tmp_path / "new")
    assert (ws.layers / "zones.geojson").is_file()
    assert (ws.layers / "SOURCES.md").is_file()
    assert (ws.plans).is_dir()
    assert (ws.maps).is_dir()
    shipped = workspace.shipped_root() / "layers" / "zones.geojson"
    assert (ws.layers / "zones.geojson").read_bytes() == shipped.read_bytes()
    with pytest.raises(OutputError, match="never overwrites"):
        workspace.init(tmp_path / "new")


def test_init_that_fails_midway_leaves_nothing_half_made(tmp_path: Path, monkeypatch):
    import shutil

    from geo.errors import OutputError

    real = shutil.copytree
    calls = []

    def flaky(src, dst, **kw):  # the second copy (plans/) fails as a full disk would
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst, **kw)

    monkeypatch.setattr(shutil, "copytree", flaky)
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "maps").mkdir()
    (tmp_path / "keep" / "maps" / "old.html").write_text("mine")
    for target in (tmp_path / "fresh", tmp_path / "keep"):
        calls.clear()
        with pytest.raises(OutputError, match=r"could not write .*No space left on device"):
            workspace.init(target)
    assert not (tmp_path / "fresh").exists()
    assert sorted(p.name for p in (tmp_path / "keep").iterdir()) == ["maps"]
    assert (tmp_path / "keep" / "maps" / "old.html").read_text() == "mine"


@pytest.mark.slow
def test_the_wheel_ships_layers_and_plans(tmp_path: Path):
    """`landplan init` must work from a wheel: the wheel carries the layers as package data."""
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(root)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("landplan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for layer in ("zones", "crossings", "line_1967", "basemap"):
        assert f"geo/_workspace/layers/{layer}.geojson" in names
    assert "geo/_workspace/layers/SOURCES.md" in names
    assert "geo/_workspace/plans/README.md" in names
    assert "geo/build/data/crossings.csv" in names
    assert "geo/output/static/landplan.js" in names
    assert "geo/py.typed" in names
