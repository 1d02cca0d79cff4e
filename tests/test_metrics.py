"""Metrics: parts sum to totals, nothing regresses without a regression in the plan."""

import pytest
from conftest import TINY_ZONES

from geo import metrics, schedule


def test_month_label():
    assert metrics.month_label("2027-01", 0) == "2027-01"
    assert metrics.month_label("2027-01", 13) == "2028-02"
    assert metrics.month_label("2027-11", 2) == "2028-01"


def test_schedule_and_state_tables(solved):
    p, s = solved
    table = metrics.schedule_table(p, s)
    assert len(table) == len(p.tasks)
    row = table.set_index("task").loc["north/security/international"]
    assert (row["from"], row["to"]) == ("idf", "international")
    assert row["start_date"] == metrics.month_label(p.start, int(row["start"]))
    states = metrics.state_table(p, s)
    assert len(states) == len(p.zones) * (p.horizon + 1)
    first = states[states["month"] == 0]
    assert set(first["security"]) == {"idf"} and set(first["movement"]) == {"closure"}
    last = states[states["month"] == p.horizon]
    assert set(last["security"]) == {"palestinian"} and set(last["movement"]) == {"residence"}


def test_metric_invariants(solved):
    p, s = solved
    obstacles = TINY_ZONES[["zone_id"]].loc[[0, 0, 1, 2, 2, 2]]
    m = metrics.monthly_metrics(p, s, TINY_ZONES, obstacles)
    assert len(m) == p.horizon + 1
    area = sum(m[f"area_km2_{st}"] for st in p.security_states)
    assert (area.round(3) == 175.0).all()
    pct = sum(m[f"area_pct_{st}"] for st in p.security_states)
    assert ((pct - 100).abs() < 0.05).all()
    pop = sum(m[f"population_{lv}"] for lv in p.movement_levels)
    assert (pop == 70_000).all()
    settlers = sum(m[f"settlers_{st}"] for st in p.security_states)
    assert (settlers == 1_000).all()
    # the plan has no regressions, so neither do these
    for col in ("area_km2_palestinian", "population_residence", "obstacles_removed", "crossings_open"):
        assert m[col].is_monotonic_increasing, col
    assert m["area_km2_idf"].is_monotonic_decreasing
    assert (m["obstacles_removed"] <= m["obstacles_total"]).all()
    assert m["obstacles_total"].iloc[0] == 6
    assert m["obstacles_removed"].iloc[-1] == 6
    assert (m["troops_deployed"] <= m["troops_available"]).all()
    assert m.loc[m["month"] == 0, "troops_deployed"].item() == 100  # the first handover


@pytest.mark.slow
def test_reference_plan_metrics_sum_to_the_layers():
    from pathlib import Path

    from geo import layers, plan, tasks

    root = Path(__file__).resolve().parent.parent
    zones = layers.load("zones", root)
    problem = tasks.compile_plan(
        plan.load(root / "plans" / "reference.yaml"), zones, set(layers.load("crossings", root)["crossing_id"])
    )
    s = schedule.solve(problem, 1.0)
    m = metrics.monthly_metrics(problem, s, zones, layers.load("obstacles", root))
    total_area = float(zones["area_km2"].sum())
    area = sum(m[f"area_km2_{st}"] for st in problem.security_states)
    assert ((area - total_area).abs() < 0.01).all()
    pop = sum(m[f"population_{lv}"] for lv in problem.movement_levels)
    assert (pop == int(zones["population"].sum())).all()
    assert (sum(m[f"settlers_{st}"] for st in problem.security_states) == int(zones["settlers"].sum())).all()
    assert m["obstacles_total"].iloc[0] == 811
    m["free_or_more"] = m["population_free_movement"] + m["population_residence"]
    for col in ("area_km2_palestinian", "free_or_more", "obstacles_removed", "crossings_open"):
        assert m[col].is_monotonic_increasing, col
    assert (m["troops_deployed"] <= m["troops_available"]).all()
    # everything the plan schedules is done by the horizon
    last = m.iloc[-1]
    assert last["population_residence"] == int(zones["population"].sum())
    assert last["area_pct_palestinian"] == pytest.approx(100, abs=0.05)
