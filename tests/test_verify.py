"""The checks that do not use the solver: the independent re-check of a schedule, the objective, and the greedy
baseline.  Problems are built by hand here, so each rule is tested on its own, with numbers small enough to count.
"""

from __future__ import annotations

import pytest

from geo.errors import PlanError
from geo.plan import Pred, Problem, Task, TaskId
from geo.schedule import Schedule, check_schedule, greedy, objective_value, troops_by_month
from geo.schedule.verify import is_handover, objective_terms

PLAN = "plan.yaml"


def task(
    entity: str,
    track: str,
    state: str,
    duration: int,
    *,
    earliest: int = 0,
    latest: int | None = None,
    preds: tuple[Pred, ...] = (),
    run: int = 0,
    hold: int = 0,
    until: str | None = None,
    line: int = 1,
) -> Task:
    return Task(
        key=TaskId(entity, track, state),
        duration=duration,
        earliest=earliest,
        latest=latest,
        run_troops=run,
        hold_troops=hold,
        hold_until=until,
        preds=list(preds),
        origin=(PLAN, line, 3),
    )


def after(*tasks: str, lag: int = 0, any_of: bool = False, why: str = "the step before") -> Pred:
    return Pred(tuple(tasks), lag, (PLAN, 9, 9), why, any_of)


def problem(
    *tasks: Task,
    horizon: int = 20,
    capacity: tuple[tuple[int, int], ...] = ((0, 1000),),
    max_concurrent: int | None = None,
    objective: str = "completion",
    level: str | None = None,
    population: dict[str, int] | None = None,
) -> Problem:
    zones = list(dict.fromkeys(t.zone for t in tasks if t.zone is not None))
    return Problem(
        name="hand-built",
        start="2030-01",
        horizon=horizon,
        tasks={t.id: t for t in tasks},
        zones=zones,
        zone_population=population if population is not None else dict.fromkeys(zones, 1000),
        capacity=list(capacity),
        capacity_origin=(PLAN, 30, 5),
        max_concurrent=max_concurrent,
        concurrent_origin=(PLAN, 31, 5),
        objective=objective,
        objective_level=level,
        security_states=["international", "palestinian"],
        movement_levels=["internal", "permits"],
    )


def sched(p: Problem, **starts: int) -> Schedule:
    """A schedule from start months given by entity (zone or crossing id); ends follow the durations."""
    start = {tid: starts[t.key.entity.replace("-", "_")] for tid, t in p.tasks.items()}
    end = {tid: start[tid] + t.duration for tid, t in p.tasks.items()}
    return Schedule("feasible", 0, 0, start, end)


# --- check_schedule: one rule at a time -------------------------------------------------------------------------


def test_a_schedule_that_keeps_every_rule_passes() -> None:
    a = task("a", "security", "international", 2, run=60, hold=10, earliest=1, latest=5)
    b = task("b", "movement", "internal", 3, preds=(after(a.id, lag=2),))
    p = problem(a, b, capacity=((0, 70),), max_concurrent=1)
    assert check_schedule(p, sched(p, a=1, b=5)) == []


@pytest.mark.parametrize(("start", "end", "message"), [(0, 3, "lasts 3, not 2"), (4, 5, "lasts 1, not 2")])
def test_a_task_of_the_wrong_length(start: int, end: int, message: str) -> None:
    p = problem(task("a", "security", "international", 2))
    s = Schedule("feasible", 0, 0, {"a/security/international": start}, {"a/security/international": end})
    assert check_schedule(p, s) == [f"a/security/international: {message}"]


@pytest.mark.parametrize(("earliest", "start"), [(3, 2), (3, 0), (10, 9)])
def test_a_task_before_its_window(earliest: int, start: int) -> None:
    p = problem(task("a", "movement", "internal", 1, earliest=earliest))
    assert check_schedule(p, sched(p, a=start)) == [f"a/movement/internal: starts {start} before earliest {earliest}"]


@pytest.mark.parametrize(("latest", "start"), [(4, 4), (4, 10), (0, 1)])
def test_a_task_after_its_window(latest: int, start: int) -> None:
    p = problem(task("a", "movement", "internal", 1, latest=latest))
    assert check_schedule(p, sched(p, a=start)) == [f"a/movement/internal: ends {start + 1} after latest {latest}"]


@pytest.mark.parametrize("start", [-1, 19, 25])
def test_a_task_outside_the_horizon(start: int) -> None:
    p = problem(task("a", "movement", "internal", 2), horizon=20)
    assert "a/movement/internal: outside the horizon" in check_schedule(p, sched(p, a=start))


@pytest.mark.parametrize(("lag", "b_start"), [(0, 4), (2, 5), (5, 9)])
def test_a_task_before_all_of_its_preconditions(lag: int, b_start: int) -> None:
    # c waits for both a (ends 3) and b: the later end counts
    a = task("a", "movement", "internal", 3)
    b = task("b", "movement", "internal", 2)
    c = task("c", "movement", "internal", 1, preds=(after(a.id, b.id, lag=lag, why="a and b"),))
    p = problem(a, b, c)
    need = max(3, b_start + 2) + lag
    assert check_schedule(p, sched(p, a=0, b=b_start, c=need)) == []
    bad = check_schedule(p, sched(p, a=0, b=b_start, c=need - 1))
    assert bad == [f"c/movement/internal: starts {need - 1} before its precondition (a and b) allows {need}"]


@pytest.mark.parametrize(("lag", "x_start", "y_start"), [(0, 0, 6), (1, 7, 2), (3, 4, 4)])
def test_a_task_waiting_for_any_one_of_its_preconditions(lag: int, x_start: int, y_start: int) -> None:
    x = task("x", "crossing", "open", 2)
    y = task("y", "crossing", "open", 3)
    z = task("z", "movement", "permits", 1, preds=(after(x.id, y.id, lag=lag, any_of=True, why="a crossing"),))
    p = problem(x, y, z)
    need = min(x_start + 2, y_start + 3) + lag
    assert check_schedule(p, sched(p, x=x_start, y=y_start, z=need)) == []
    assert check_schedule(p, sched(p, x=x_start, y=y_start, z=need - 1)) == [
        f"z/movement/permits: starts {need - 1} before its precondition (a crossing) allows {need}"
    ]


def test_a_precondition_on_tasks_the_plan_lacks_is_ignored() -> None:
    p = problem(task("a", "movement", "internal", 1, preds=(after("gate/none"),)))
    assert check_schedule(p, sched(p, a=0)) == []


@pytest.mark.parametrize(("a_start", "b_start", "months"), [(0, 0, [0, 1]), (0, 1, [1]), (3, 4, [4])])
def test_running_handovers_over_the_troops_available(a_start: int, b_start: int, months: list[int]) -> None:
    a = task("a", "security", "international", 2, run=60)
    b = task("b", "security", "international", 2, run=50)
    p = problem(a, b, capacity=((0, 100),))
    assert check_schedule(p, sched(p, a=a_start, b=b_start)) == [
        f"month {mo}: 110 troops used, 100 available" for mo in months
    ]


@pytest.mark.parametrize(("frm", "start"), [(3, 0), (3, 2), (10, 8)])
def test_troops_before_the_capacity_arrives(frm: int, start: int) -> None:
    p = problem(task("a", "security", "international", 2, run=50), capacity=((0, 10), (frm, 100)))
    bad = check_schedule(p, sched(p, a=start))
    assert bad == [f"month {mo}: 50 troops used, 10 available" for mo in range(start, min(start + 2, frm))]


@pytest.mark.parametrize("a_start", [0, 3, 7])
def test_a_hold_lasts_to_the_horizon(a_start: int) -> None:
    # a holds 40 after it ends, to the horizon; b runs 70 later on: over 100 wherever they meet
    a = task("a", "security", "international", 1, hold=40)
    b = task("b", "security", "international", 2, run=70)
    p = problem(a, b, horizon=12, capacity=((0, 100),))
    assert check_schedule(p, sched(p, a=a_start, b=9)) == [
        "month 9: 110 troops used, 100 available",
        "month 10: 110 troops used, 100 available",
    ]


@pytest.mark.parametrize(("relief_start", "b_start", "clash"), [(2, 4, False), (5, 4, True), (3, 3, True)])
def test_a_hold_ends_when_its_relief_ends(relief_start: int, b_start: int, clash: bool) -> None:
    # a holds 40 until r (duration 1) ends; b runs 70 from b_start for 2 months
    a = task("a", "security", "international", 1, hold=40, until="a/security/palestinian")
    r = task("a", "security", "palestinian", 1)
    b = task("b", "security", "international", 2, run=70)
    p = problem(a, r, b, capacity=((0, 100),))
    s = Schedule(
        "feasible",
        0,
        0,
        {a.id: 0, r.id: relief_start, b.id: b_start},
        {a.id: 1, r.id: relief_start + 1, b.id: b_start + 2},
    )
    over = [mo for mo in range(b_start, b_start + 2) if mo < relief_start + 1]
    assert bool(over) is clash
    assert [x for x in check_schedule(p, s) if "troops" in x] == [
        f"month {mo}: 110 troops used, 100 available" for mo in over
    ]


@pytest.mark.parametrize(
    ("limit", "starts", "months"), [(1, (0, 1, 5), [1]), (1, (0, 0, 0), [0, 1]), (2, (0, 0, 0), [0, 1])]
)
def test_too_many_handovers_at_once(limit: int, starts: tuple[int, int, int], months: list[int]) -> None:
    ts = [task(z, "security", "international", 2) for z in ("a", "b", "c")]
    p = problem(*ts, max_concurrent=limit)
    s = sched(p, a=starts[0], b=starts[1], c=starts[2])
    conc = {mo: sum(st <= mo < st + 2 for st in starts) for mo in months}
    assert check_schedule(p, s) == [f"month {mo}: {conc[mo]} handovers at once, limit {limit}" for mo in months]


def test_only_security_steps_that_take_time_are_handovers() -> None:
    assert is_handover(task("a", "security", "international", 2))
    assert not is_handover(task("a", "security", "international", 0))
    assert not is_handover(task("a", "movement", "internal", 2))
    assert not is_handover(task("x", "crossing", "open", 2))
    ts = [
        task("a", "security", "international", 0),
        task("b", "movement", "internal", 3),
        task("x", "crossing", "open", 3),
    ]
    p = problem(task("c", "security", "international", 3), *ts, max_concurrent=1)
    assert check_schedule(p, sched(p, a=0, b=0, c=0, x=0)) == []


def test_violations_come_task_by_task_then_month_by_month() -> None:
    a = task("a", "security", "international", 2, run=80, earliest=1)
    b = task("b", "security", "international", 2, run=80, latest=2)
    p = problem(a, b, capacity=((0, 100),), max_concurrent=1)
    assert check_schedule(p, sched(p, a=0, b=1)) == [
        "a/security/international: starts 0 before earliest 1",
        "b/security/international: ends 3 after latest 2",
        "month 1: 160 troops used, 100 available",
        "month 1: 2 handovers at once, limit 1",
    ]


# --- the objective ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ends", [{"a": 3, "b": 7}, {"a": 9, "b": 1}, {}])
def test_completion_is_the_last_end(ends: dict[str, int]) -> None:
    ts = [task(z, "movement", "internal", 1) for z in ends]
    p = problem(*ts)
    assert objective_terms(p) is None
    assert objective_value(p, {f"{z}/movement/internal": e for z, e in ends.items()}) == max(ends.values(), default=0)


def test_population_weighted_time_weighs_each_zone_reaching_the_level() -> None:
    ts = [task(z, "movement", lv, 1) for z in ("a", "b") for lv in ("internal", "permits")]
    p = problem(*ts, objective="population_weighted_time", level="permits", population={"a": 5, "b": 7})
    assert objective_terms(p) == [(5, "a/movement/permits"), (7, "b/movement/permits")]
    end = {"a/movement/internal": 50, "a/movement/permits": 2, "b/movement/internal": 60, "b/movement/permits": 3}
    assert objective_value(p, end) == 5 * 2 + 7 * 3


def test_zones_without_the_level_do_not_count() -> None:
    ts = [task("a", "movement", "permits", 1), task("b", "movement", "internal", 1)]
    p = problem(*ts, objective="population_weighted_time", level="permits", population={"a": 5, "b": 7})
    assert objective_terms(p) == [(5, "a/movement/permits")]
    assert objective_value(p, {"a/movement/permits": 4, "b/movement/internal": 9}) == 20


def test_population_weighted_time_without_a_level_minimises_completion() -> None:
    p = problem(task("a", "movement", "permits", 1), objective="population_weighted_time", level=None)
    assert objective_terms(p) is None
    assert objective_value(p, {"a/movement/permits": 4}) == 4


def test_troops_by_month_counts_runs_and_holds() -> None:
    a = task("a", "security", "international", 2, run=30, hold=10, until="a/security/palestinian")
    r = task("a", "security", "palestinian", 1)
    p = problem(a, r, horizon=6, capacity=((0, 50), (3, 80)))
    s = Schedule("feasible", 0, 0, {a.id: 0, r.id: 3}, {a.id: 2, r.id: 4})
    df = troops_by_month(p, s)
    assert list(df["troops_deployed"]) == [30, 30, 10, 10, 0, 0, 0]
    assert list(df["troops_available"]) == [50, 50, 50, 80, 80, 80, 80]


# --- the greedy baseline ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_greedy_keeps_the_handover_limit(limit: int) -> None:
    ts = [task(z, "security", "international", 2) for z in ("c", "a", "d", "b")]
    p = problem(*ts, max_concurrent=limit)
    g = greedy(p)
    assert check_schedule(p, g) == []
    # taken by id on ties: a, b, c, d, in waves of ``limit``
    order = sorted(g.start, key=lambda t: (g.start[t], t))
    assert order == sorted(g.start)
    assert [g.start[t] for t in order] == [2 * (k // limit) for k in range(4)]
    assert g.status == "greedy"
    assert g.objective == max(g.end.values())


@pytest.mark.parametrize(("frm", "available", "expected"), [(4, 100, 4), (6, 120, 6), (0, 100, 0)])
def test_greedy_waits_for_the_troops(frm: int, available: int, expected: int) -> None:
    p = problem(task("a", "security", "international", 2, run=100), capacity=((0, 50), (frm, available)))
    g = greedy(p)
    assert g.start == {"a/security/international": expected}
    assert check_schedule(p, g) == []


@pytest.mark.parametrize("relief_duration", [1, 3, 5])
def test_greedy_frees_a_hold_when_its_relief_ends(relief_duration: int) -> None:
    # a holds 60 until its relief r ends; b needs 60 too: it can only run once r has ended
    a = task("a", "security", "international", 1, hold=60, until="a/security/palestinian")
    r = task("a", "security", "palestinian", relief_duration, preds=(after("a/security/international"),))
    b = task("b", "security", "international", 1, run=60, preds=(after("a/security/international"),))
    p = problem(a, r, b, capacity=((0, 100),))
    g = greedy(p)
    assert check_schedule(p, g) == []
    assert g.start[b.id] == g.end[r.id] == 1 + relief_duration


@pytest.mark.parametrize(("x_dur", "y_dur", "lag"), [(2, 5, 0), (6, 3, 1), (4, 4, 2)])
def test_greedy_starts_after_the_first_of_any_one_of(x_dur: int, y_dur: int, lag: int) -> None:
    x = task("x", "crossing", "open", x_dur)
    y = task("y", "crossing", "open", y_dur)
    z = task("z", "movement", "permits", 1, preds=(after(x.id, y.id, lag=lag, any_of=True),))
    p = problem(x, y, z)
    g = greedy(p)
    assert g.start[z.id] == min(x_dur, y_dur) + lag
    assert check_schedule(p, g) == []


@pytest.mark.parametrize(
    ("t", "name"),
    [
        (task("north", "security", "international", 30, line=7), "north: security international"),
        (task("x9", "crossing", "open", 25, line=8), "crossing x9"),
        (task("review", "gate", "review", 4, earliest=18, line=9), "gate review"),
    ],
)
def test_greedy_names_a_task_it_cannot_place(t: Task, name: str) -> None:
    with pytest.raises(PlanError) as exc:
        greedy(problem(t, horizon=20))
    (issue,) = exc.value.issues
    assert (issue.file, issue.line, issue.col) == t.origin
    assert issue.message == f"greedy scheduling could not place {name} within the horizon"


@pytest.mark.parametrize("n", [2, 3])
def test_greedy_reports_a_cycle_of_preconditions(n: int) -> None:
    ids = [f"z{k}/movement/internal" for k in range(n)]
    ts = [task(f"z{k}", "movement", "internal", 1, preds=(after(ids[k - 1]),)) for k in range(n)]
    with pytest.raises(PlanError, match="found a dependency it cannot order"):
        greedy(problem(*ts))
