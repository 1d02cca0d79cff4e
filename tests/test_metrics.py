"""Metrics: parts sum to totals, nothing regresses without a regression in the plan."""

import pandas as pd
import pytest
from conftest import TINY_ZONES

from geo import metrics
from geo.plan import Problem, Task, TaskId
from geo.schedule import Schedule
from geo.timeline import Timeline, month_label


def test_schedule_and_state_tables(solved):
    p, s = solved
    table = metrics.schedule_table(p, s)
    assert len(table) == len(p.tasks)
    row = table.set_index("task").loc["north/security/international"]
    assert (row["from"], row["to"]) == ("idf", "international")
    assert row["start_date"] == month_label(p.start, int(row["start"]))
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

    from geo.run import run_plan
    from geo.workspace import Workspace

    run = run_plan(Workspace(Path(__file__).resolve().parent.parent), "reference", 1.0)
    problem, zones, m = run.problem, run.layers["zones"], run.metrics
    total_area = float(zones["area_km2"].sum())
    area = sum(m[f"area_km2_{st}"] for st in problem.security_states)
    assert ((area - total_area).abs() < 0.01).all()
    pop = sum(m[f"population_{lv}"] for lv in problem.movement_levels)
    assert (pop == int(zones["population"].sum())).all()
    assert (sum(m[f"settlers_{st}"] for st in problem.security_states) == int(zones["settlers"].sum())).all()
    assert m["obstacles_total"].iloc[0] == 811
    for col in ("population_free_movement", "obstacles_removed", "crossings_open", "residents_palestinians_in_israel"):
        assert m[col].is_monotonic_increasing, col
    assert (m["troops_deployed"] <= m["troops_available"]).all()
    # everything the plan schedules is done by the horizon
    last = m.iloc[-1]
    assert last["population_free_movement"] == int(zones["population"].sum())
    # every zone ends under Palestinian security but the Old City, under a shared regime
    old_city = float(zones.loc[zones["zone_id"] == "old-city", "area_km2"].sum())
    assert last["area_km2_shared"] == pytest.approx(old_city, abs=0.01)
    assert last["area_km2_palestinian"] + last["area_km2_shared"] == pytest.approx(total_area, abs=0.01)


# -- ids are never split or rebuilt from strings -----------------------------------------------------------------
ID_ZONES = ["north/a", "crossing", "south"]
ID_ZONE_TABLE = pd.DataFrame(
    {"zone_id": ID_ZONES, "area_km2": [10.0, 20.0, 30.0], "population": [100, 200, 300], "settlers": [0, 5, 0]}
)
SECURITY = ["idf", "international", "palestinian"]
LEVELS = ["closure", "internal", "permits", "free_movement", "residence"]


def security_end(zone: int, k: int) -> int:
    """When zone number ``zone`` reaches security state number ``k`` in :func:`id_problem`."""
    return 2 * k + zone


def movement_end(zone: int, k: int) -> int:
    return 3 * k + zone


def id_problem(style: str, crossing: str = "x/y") -> tuple[Problem, Schedule]:
    """A hand-built schedule whose zone ids hold '/' or are called 'crossing'.

    ``style`` "path": task ids as the compiler builds them (``zone/track/state``, ambiguous with a '/' in a
    zone id); "opaque": task ids that say nothing (``t1``, ``t2``, ...), so only the tasks' fields tell.
    """
    tasks: dict[str, Task] = {}
    end: dict[str, int] = {}

    def add(kind: str, zone: str | None, to: str, month: int) -> None:
        tid = f"t{len(tasks) + 1}" if style == "opaque" else f"{zone}/{kind}/{to}"
        if kind == "crossing":
            tid = f"crossing/{crossing}"
        key = TaskId(crossing, "crossing", to) if kind == "crossing" else TaskId(str(zone), kind, to)
        tasks[tid] = Task(key=key, duration=1, earliest=0, latest=None)
        end[tid] = month

    for i, z in enumerate(ID_ZONES):
        for k, st in enumerate(SECURITY[1:], start=1):
            add("security", z, st, security_end(i, k))
        for k, lv in enumerate(LEVELS[1:], start=1):
            add("movement", z, lv, movement_end(i, k))
    add("crossing", None, "open", 5)
    origin = ("plan.yaml", 1, 1)
    problem = Problem(
        "ids", "2030-01", 24, tasks, list(ID_ZONES), {z: 1 for z in ID_ZONES}, [(0, 100)], origin, None, origin,
        "completion", None, list(SECURITY), list(LEVELS),
    )  # fmt: skip
    return problem, Schedule("optimal", 0, 0, {t: e - 1 for t, e in end.items()}, end)


@pytest.mark.parametrize("style", ["path", "opaque"])
def test_tables_read_zones_and_states_from_the_tasks_not_their_ids(style):
    p, s = id_problem(style)
    tl = Timeline(p, s)
    for i, z in enumerate(ID_ZONES):
        for k, st in enumerate(SECURITY[1:], start=1):
            assert tl.month_reached(z, "security", st) == security_end(i, k)
        for k, lv in enumerate(LEVELS[1:], start=1):
            assert tl.month_reached(z, "movement", lv) == movement_end(i, k)
    assert tl.entities("crossing") == ["x/y"] and tl.completed("x/y", "crossing") == 5
    states = metrics.state_table(p, s).set_index(["zone", "month"])
    for i, z in enumerate(ID_ZONES):
        for mo in range(p.horizon + 1):
            sec = max(k for k in range(len(SECURITY)) if k == 0 or security_end(i, k) <= mo)
            lev = max(k for k in range(len(LEVELS)) if k == 0 or movement_end(i, k) <= mo)
            assert states.loc[(z, mo), "security"] == SECURITY[sec]
            assert states.loc[(z, mo), "movement"] == LEVELS[lev]


@pytest.mark.parametrize("style", ["path", "opaque"])
def test_metrics_count_only_crossings_as_crossings(style):
    p, s = id_problem(style)
    m = metrics.monthly_metrics(p, s, ID_ZONE_TABLE).set_index("month")
    assert list(m["crossings_open"]) == [int(mo >= 5) for mo in range(p.horizon + 1)]
    last = m.loc[p.horizon]
    assert last["area_pct_palestinian"] == 100 and last["population_residence"] == 600
    first_full = max(security_end(i, 2) for i in range(len(ID_ZONES)))
    assert m.loc[first_full - 1, "area_pct_palestinian"] < 100
    assert m.loc[first_full, "area_pct_palestinian"] == 100
