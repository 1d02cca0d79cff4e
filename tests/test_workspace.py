from pathlib import Path

import pytest

from geo import workspace
from geo.errors import WorkspaceError


def test_find_walks_up_from_a_subfolder(tmp_path: Path, monkeypatch):
    for d in ("layers", "plans", "deep/er"):
        (tmp_path / d).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    ws = workspace.find()
    assert ws.root == tmp_path.resolve()
    assert ws.maps.is_dir()


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
    with pytest.raises(WorkspaceError, match="never overwrites"):
        workspace.init(tmp_path / "new")
