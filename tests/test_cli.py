import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import cli

ROOT = Path(__file__).resolve().parent.parent


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_layers_check_prints_the_summary(capsys):
    assert cli.main(["--workspace", str(ROOT), "layers", "check"]) == 0
    out = capsys.readouterr().out
    assert "zones" in out and "4816503" in out
    assert "all layers valid" in out


def test_usage_errors_exit_2(capsys):
    assert cli.main(["layers"]) == 2
    assert cli.main(["frobnicate"]) == 2


def test_no_workspace_exits_66(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["layers", "check"]) == 66
    assert "landplan init" in capsys.readouterr().err


def test_init_then_map_in_the_new_workspace(tmp_path, capsys):
    ws = tmp_path / "ws"
    assert cli.main(["init", str(ws)]) == 0
    assert cli.main(["--workspace", str(ws), "map"]) == 0
    assert (ws / "maps" / "overview.html").stat().st_size > 100_000
    assert cli.main(["init", str(ws)]) == 66  # refuses to overwrite
    assert "never overwrites" in capsys.readouterr().err


def test_check_fails_on_a_broken_layer(tmp_path, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    p = ws / "layers" / "crossings.geojson"
    doc = json.loads(p.read_text())
    doc["features"][0]["properties"]["status"] = "wide-open"
    p.write_text(json.dumps(doc))
    assert cli.main(["--workspace", str(ws), "layers", "check"]) == 1
    assert "status='wide-open' is not one of" in capsys.readouterr().err


@pytest.mark.slow
def test_build_with_bad_source_exits_65_and_leaves_layers_untouched(tmp_path, source_copy, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    before = _digest(ws / "layers")
    p = source_copy("ocha-opt/greenline_checkpoints_nov2025.geojson")
    doc = json.loads(p.read_text())
    doc["features"][0]["geometry"]["coordinates"] = doc["features"][0]["geometry"]["coordinates"][::-1]
    p.write_text(json.dumps(doc))
    code = cli.main(["--workspace", str(ws), "layers", "build", "--source", str(source_copy.root)])
    assert code == 65
    assert "look swapped" in capsys.readouterr().err
    assert _digest(ws / "layers") == before


def test_python_dash_m_geo():
    out = subprocess.run([sys.executable, "-m", "geo", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("landplan ")
