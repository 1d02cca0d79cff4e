"""The second phase: every task pulled as early as the plan allows, in milliseconds, never breaking anything."""

from pathlib import Path

import pytest

from geo import border, layers, plan, run, schedule
from geo.schedule.greedy import greedy
from geo.schedule.leftshift import left_shift
from geo.schedule.result import Schedule
from geo.schedule.verify import check_schedule, objective_value

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> dict[str, plan.Problem]:
    ly = layers.load_all(ROOT)
    out = {}
    for name in ("reference", "clinton-timeline", "geneva-timeline"):
        lp = plan.load(ROOT / "plans" / f"{name}.yaml")
        inside, _, _ = border.planning_layers(lp, ly)
        out[name] = plan.compile_plan(
            lp, inside["zones"], set(inside["crossings"]["crossing_id"]), run.layer_refs(inside)
        )
    return out


def _late(problem: plan.Problem, start: dict[str, int], end: dict[str, int], by: int) -> tuple[dict, dict]:
    """The same schedule with every task moved ``by`` months later where the horizon and window allow."""
    s, e = dict(start), dict(end)
    for tid, t in problem.tasks.items():
        room = problem.horizon - e[tid] if t.latest is None else min(problem.horizon, t.latest) - e[tid]
        k = max(0, min(by, room))
        s[tid], e[tid] = s[tid] + k, e[tid] + k
    return s, e


@pytest.mark.parametrize("name", ["reference", "clinton-timeline", "geneva-timeline"])
def test_a_shifted_greedy_schedule_is_feasible_earlier_and_no_worse(shipped, name):
    problem = shipped[name]
    g = greedy(problem)
    start, end = left_shift(problem, g.start, g.end)
    assert check_schedule(problem, Schedule("x", 0, 0, start, end)) == []
    assert all(start[t] <= g.start[t] for t in start)
    assert objective_value(problem, end) <= g.objective
    again = left_shift(problem, start, end)
    assert again == (start, end), "a shifted schedule has nothing left to pull earlier"


def test_tasks_pushed_late_come_back_and_the_input_is_not_changed(tiny_problem):
    sched = schedule.solve(tiny_problem, 1.0)
    late_s, late_e = _late(tiny_problem, sched.start, sched.end, 6)
    assert check_schedule(tiny_problem, Schedule("x", 0, 0, late_s, late_e)) == []
    kept = dict(late_s)
    start, end = left_shift(tiny_problem, late_s, late_e)
    assert late_s == kept
    assert sum(start.values()) < sum(late_s.values())
    assert check_schedule(tiny_problem, Schedule("x", 0, 0, start, end)) == []
    assert objective_value(tiny_problem, end) <= objective_value(tiny_problem, late_e)
