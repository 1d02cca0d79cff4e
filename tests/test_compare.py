"""Plan comparison on small constructed plans whose answers are known."""

from pathlib import Path

import pytest
from conftest import TINY_PLAN, TINY_ZONES

from geo import compare, metrics, plan, schedule, tasks
from geo.run import PlanRun


def _run(tmp_path: Path, text: str, name: str) -> PlanRun:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    lp = plan.load(p)
    problem = tasks.compile_plan(lp, TINY_ZONES, {"gate-x"})
    s = schedule.solve(problem, 1.0)
    return PlanRun(p, lp, {}, problem, s, metrics.monthly_metrics(problem, s, TINY_ZONES))


ONE_ZONE = TINY_PLAN.replace("security:\n  steps:", "zones:\n  use: [north]\nsecurity:\n  steps:", 1)


def test_a_longer_handover_shifts_every_later_step_by_its_length(tmp_path):
    a = _run(tmp_path, ONE_ZONE, "a.yaml")
    b = _run(tmp_path, ONE_ZONE.replace("      duration: 2\n", "      duration: 3\n", 1), "b.yaml")
    cmp = compare.compare(a, b)
    s = cmp.shifts.set_index(["zone", "track", "state"])
    # A: international ends at 2, palestinian at 2 + 3 + 1 = 6; B: one month later each
    assert (
        s.loc[("north", "security", "international"), "month_a"],
        s.loc[("north", "security", "international"), "month_b"],
    ) == (2, 3)
    assert s.loc[("north", "security", "palestinian"), "shift"] == 1
    # movement: internal waits for international (+1); permits waits for the crossing (month 4) in both
    assert s.loc[("north", "movement", "internal"), "shift"] == 1
    assert s.loc[("north", "movement", "permits"), "month_a"] == 6  # starts at internal 3 + 2 months, lasts 1
    assert s.loc[("north", "movement", "residence"), "shift"] == 1
    m = cmp.metrics.set_index("month")
    assert m.loc[2, "area_pct_idf_a"] == 0 and m.loc[2, "area_pct_idf_b"] == 100
    assert m.loc[2, "area_pct_idf_delta"] == 100
    assert m.loc[60, "population_residence_delta"] == 0


def test_plans_of_different_zones_and_horizons(tmp_path):
    a = _run(tmp_path, ONE_ZONE, "a.yaml")
    b = _run(tmp_path, TINY_PLAN.replace("horizon: 60", "horizon: 80"), "b.yaml")
    cmp = compare.compare(a, b)
    only_b = cmp.shifts[cmp.shifts["zone"] == "south"]
    assert only_b["month_a"].isna().all() and only_b["shift"].isna().all()
    assert len(cmp.metrics) == 81
    # A keeps its final month's values past its horizon
    assert cmp.metrics.loc[80, "population_residence_a"] == cmp.metrics.loc[60, "population_residence_a"]


@pytest.mark.slow
def test_cli_diff_of_the_shipped_plans(capsys):
    from geo import cli

    root = Path(__file__).resolve().parent.parent
    assert cli.main(["--workspace", str(root), "diff", "reference", "geneva-timeline", "--time", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "A: A Land for All - reference plan" in out and "B: Geneva Initiative timeline" in out
    assert "jericho-c security international" in " ".join(out.split())
    assert "population_free_movement" in out
