import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geo import border, cli, layers, plan, run

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
    lp = plan.load(ws / "plans" / "mine.yaml")
    ly, drawn, _ = border.planning_layers(lp, layers.load_all(ws))
    assert drawn is not None and any(z.startswith("swap-") for z in ly["zones"]["zone_id"])  # inside its border
    compiled = plan.compile_plan(lp, ly["zones"], set(ly["crossings"]["crossing_id"]), run.layer_refs(ly))
    assert len(doc["tasks"]) == len(compiled.tasks) > 100
    assert (tmp_path / "out" / "clinton.schedule.csv").is_file()
    assert (tmp_path / "out" / "clinton.states.csv").read_text().startswith("zone,month,date,security,movement")
    again = json.loads((tmp_path / "out" / "clinton.schedule.json").read_text())
    assert again["tasks"] == doc["tasks"]


def test_plan_metrics_and_explain(tmp_path, capsys):
    text = (ROOT / "plans" / "geneva-timeline.yaml").read_text(encoding="utf-8")
    ws = _tiny_workspace(tmp_path, text, capsys)
    assert cli.main(["--workspace", str(ws), "plan", "metrics", "mine", "--json", "--time", "0.5"]) == 0
    months = json.loads(capsys.readouterr().out)["months"]
    ly, _, _ = border.planning_layers(plan.load(ws / "plans" / "mine.yaml"), layers.load_all(ws))
    inside = len(ly["obstacles"])  # the obstacles in land the Geneva border annexes are Israel's
    assert 700 < inside < 811
    assert months[0]["obstacles_total"] == inside
    assert months[-1]["obstacles_removed"] == inside
    code = cli.main(["--workspace", str(ws), "plan", "explain", "mine", "--time", "0.5", "--delay", "crossing/erez=2"])
    assert code == 0
    out = capsys.readouterr().out
    assert "critical path" in out and "what if crossing/erez slips 2 months" in out
    assert cli.main(["--workspace", str(ws), "plan", "explain", "mine", "--delay", "nonsense"]) == 2


# -- readable answers: the objective in plain units, plan summary, units, what a delay changes ----------------------
SMALL_PLAN = """\
extends: defaults.yaml
meta: {name: small, start: "2027-01"}
horizon: 60
zones:
  use: [jericho-a, jericho-b]
crossings:
  - {id: allenby, serves: [all], open_at_start: true}
objective: {minimize: population_weighted_time, level: permits}
"""


def _small(tmp_path, capsys):
    ws = _tiny_workspace(tmp_path, SMALL_PLAN, capsys)
    people = layers.load("zones", ws).set_index("zone_id")["population"].astype(int)
    return ws, int(people["jericho-a"]), int(people["jericho-b"])


def test_the_objective_is_printed_in_months_per_person(tmp_path, capsys):
    """By the defaults, permits come 2 (handover) + 2 (internal) + 6 (months at internal) + 3 months in: 13."""
    ws, a, b = _small(tmp_path, capsys)
    assert cli.main(["--workspace", str(ws), "plan", "schedule", "mine", "--time", "1"]) == 0
    out = capsys.readouterr().out
    expected = (
        f"objective: mean 13.00 months per person to permits to cross (bound 13.00 months per person), "
        f"over {a + b:,} people in 2 zones ({13 * (a + b):,} person-months, bound {13 * (a + b):,})"
    )
    assert expected in out.splitlines()
    assert cli.main(["--workspace", str(ws), "plan", "schedule", "mine", "--time", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["objective_value"] == 13 * (a + b)
    assert doc["objective_in_units"] == {
        "value": 13.0,
        "bound": 13.0,
        "unit": "months per person",
        "text": expected.removeprefix("objective: ").rsplit(" (", 1)[0],
    }
    assert doc["objective_in_units"]["text"].startswith("mean 13.00 months per person")


def test_plan_summary_prints_phases_in_plain_language(tmp_path, capsys):
    ws, a, b = _small(tmp_path, capsys)
    assert cli.main(["--workspace", str(ws), "plan", "summary", "mine", "--time", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("small: optimal; last step ends month ")
    assert "month 0 (2027-01), the starting point:\n  2 zones (jericho-a, jericho-b) under the Israeli military" in out
    assert f"  {a + b:,} people at closure\n" in out
    assert (
        "months 0-2 (2027-01 to 2027-03), until both zones (jericho-a, jericho-b) are under the international force:"
        in out
    )
    assert f"  {a + b:,} people in 2 zones (jericho-a, jericho-b) reach permits to cross\n" in out
    assert cli.main(["--workspace", str(ws), "plan", "summary", "mine", "--time", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["objective"]["value"] == 13.0 and doc["objective"]["unit"] == "months per person"
    assert doc["phases"][0]["facts"]["security"] == {"idf": ["jericho-a", "jericho-b"]}
    assert doc["phases"][1]["facts"]["security"] == {"international": ["jericho-a", "jericho-b"]}


def test_metric_columns_carry_their_units(tmp_path, capsys):
    ws, _, _ = _small(tmp_path, capsys)
    out_csv = tmp_path / "m.csv"
    argv = ["--workspace", str(ws), "plan", "metrics", "mine", "--time", "1"]
    assert cli.main([*argv, "-o", str(out_csv)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "month: months from the start; date: YYYY-MM; every other column's unit is in [brackets]"
    for header in ("area_km2_idf [km²]", "area_pct_idf [% of the territory]", "population_permits [people]",
                   "troops_deployed [troops]", "barrier_km_standing [km]"):  # fmt: skip
        assert header in lines[1]
    assert out_csv.read_text(encoding="utf-8").startswith("month,date,area_km2_idf,")  # CSV keeps plain names
    assert cli.main([*argv, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["units"]["population_permits"] == "people" and doc["units"]["area_km2_idf"] == "km²"
    assert set(doc["units"]) == set(doc["months"][0])


def test_explain_delay_prints_the_change_in_key_metrics(tmp_path, capsys):
    """jericho-a's handover slips 10 months: at month 12 its people are not yet at the internal level."""
    ws, a, b = _small(tmp_path, capsys)
    argv = [
        "--workspace",
        str(ws),
        "plan",
        "explain",
        "mine",
        "--time",
        "1",
        "--delay",
        "jericho-a/security/international=10",
    ]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "key metrics that change at months 12, 24, 36, " in out
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines() if line[:5].strip().isdigit()}
    assert rows[("12", "population_internal")] == ["people", f"{a + b:,}", f"{b:,}", f"-{a:,}"]
    assert rows[("12", "population_closure")] == ["people", "0", f"{a:,}", f"+{a:,}"]
    assert cli.main([*argv, "--json"]) == 0
    w = json.loads(capsys.readouterr().out)["what_if"]
    change = {(r["month"], r["metric"]): r for r in w["metrics"]}
    assert change[(12, "population_internal")]["change"] == -a
    assert change[(12, "area_pct_idf")]["change"] == 0  # its handover ends in month 12 all the same
    assert w["at_months"][:3] == [12, 24, 36] and w["makespan"]["after"] > w["makespan"]["before"]
