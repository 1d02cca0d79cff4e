import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import cli, layers, plan, run

ROOT = Path(__file__).resolve().parent.parent


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_layers_check_prints_the_summary(capsys):
    assert cli.main(["--workspace", str(ROOT), "layers", "check"]) == 0
    out = capsys.readouterr().out
    total = int(layers.load("zones", ROOT)["population"].sum())  # the sum of the localities, as built
    assert "zones" in out and str(total) in out
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
    assert cli.main(["--workspace", str(ws), "map", "--time", "0.5"]) == 0
    assert (ws / "maps" / "reference.html").stat().st_size > 100_000
    assert cli.main(["init", str(ws)]) == 74  # refuses to overwrite
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


def _tiny_workspace(tmp_path, text, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    capsys.readouterr()
    (ws / "plans" / "mine.yaml").write_text(text, encoding="utf-8")
    return ws


def test_plan_validate_ok_and_bad(tmp_path, capsys):
    assert cli.main(["--workspace", str(ROOT), "plan", "validate", "reference"]) == 0
    assert "valid - 57 zones" in capsys.readouterr().out
    ws = _tiny_workspace(tmp_path, 'extends: defaults.yaml\nmeta: {name: x, start: "2027-01"}\nhorizn: 3\n', capsys)
    assert cli.main(["--workspace", str(ws), "plan", "validate", "mine"]) == 65
    err = capsys.readouterr().err
    assert "mine.yaml:3:1: unknown key 'horizn'" in err
    assert "did you mean 'horizon'?" in err


def test_plan_schedule_json_and_files(tmp_path, capsys):
    text = (ROOT / "plans" / "clinton-timeline.yaml").read_text(encoding="utf-8")
    ws = _tiny_workspace(tmp_path, text, capsys)
    out = tmp_path / "out" / "clinton"
    out.parent.mkdir()
    code = cli.main(["--workspace", str(ws), "plan", "schedule", "mine", "--json", "--time", "0.5", "-o", str(out)])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] in ("optimal", "feasible")
    compiled = plan.compile_plan(
        plan.load(ws / "plans" / "mine.yaml"),
        layers.load("zones", ws),
        set(layers.load("crossings", ws)["crossing_id"]),
        run.layer_refs(layers.load_all(ws)),
    )
    assert len(doc["tasks"]) == len(compiled.tasks) > 200
    assert (tmp_path / "out" / "clinton.schedule.csv").is_file()
    assert (tmp_path / "out" / "clinton.states.csv").read_text().startswith("zone,month,date,security,movement")
    again = json.loads((tmp_path / "out" / "clinton.schedule.json").read_text())
    assert again["tasks"] == doc["tasks"]


def test_plan_metrics_and_explain(tmp_path, capsys):
    text = (ROOT / "plans" / "geneva-timeline.yaml").read_text(encoding="utf-8")
    ws = _tiny_workspace(tmp_path, text, capsys)
    assert cli.main(["--workspace", str(ws), "plan", "metrics", "mine", "--json", "--time", "0.5"]) == 0
    months = json.loads(capsys.readouterr().out)["months"]
    assert months[0]["obstacles_total"] == 811
    assert months[-1]["obstacles_removed"] == 811
    code = cli.main(
        ["--workspace", str(ws), "plan", "explain", "mine", "--time", "0.5", "--delay", "crossing/allenby=2"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "critical path" in out and "what if crossing/allenby slips 2 months" in out
    assert cli.main(["--workspace", str(ws), "plan", "explain", "mine", "--delay", "nonsense"]) == 2
