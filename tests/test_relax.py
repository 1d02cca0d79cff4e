"""The fast exact search: the time-indexed relaxation, the part of a plan searched, the single search first."""

import pytest
from conftest import TINY_PLAN
from ortools.sat.python import cp_model

from geo import plan, schedule
from geo.errors import PlanError
from geo.schedule import cpsat, reduce, relax
from geo.schedule.leftshift import left_shift
from geo.schedule.model import build_model

POPULATION = TINY_PLAN.replace("  minimize: completion", "  minimize: population_weighted_time\n  level: free_movement")


@pytest.fixture
def weighted(write_plan, tiny_zones):  # type: ignore[no-untyped-def]
    """The tiny plan under a population-weighted objective: troops allow one handover at a time."""
    return plan.compile_plan(plan.load(write_plan(POPULATION)), tiny_zones, {"gate-x"})


def _fits(problem, start):  # type: ignore[no-untyped-def]
    """Whether the model with its relaxation accepts a schedule (every start fixed to it)."""
    b = build_model(problem, with_lits=False)
    for tid, v in b.start.items():
        b.model.add(v == start[tid])
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    return solver.solve(b.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE), b


def _feasible_schedules(problem):  # type: ignore[no-untyped-def]
    """Several schedules of the plan, all valid: greedy, pulled early, optimal, and the optimum delayed."""
    g = schedule.greedy(problem)
    s = schedule.solve(problem, 1.0)
    late = {tid: v + (3 if tid.endswith(("/free_movement", "/residence")) else 0) for tid, v in s.start.items()}
    out = [g.start, left_shift(problem, g.start, g.end)[0], s.start, late]
    for start in out:
        end = {tid: v + problem.tasks[tid].duration for tid, v in start.items()}
        assert schedule.check_schedule(problem, schedule.Schedule("x", 0, 0, start, end)) == []
    return out


def test_relaxation_is_added_for_a_weighted_objective_only(weighted, tiny_problem):
    b = build_model(weighted, with_lits=False)
    assert b.relax.lits and b.relax.months
    # 3 handovers of 100 troops against 120 available: short early on, the most pressed months first
    assert b.relax.months == sorted(b.relax.months) and b.relax.months[0] < 6
    assert not build_model(weighted, with_lits=True).relax.lits  # guarded models carry no unguarded limits
    assert not build_model(tiny_problem, with_lits=False).relax.lits  # a makespan needs no linear bound


def test_relaxation_cuts_away_no_valid_schedule(weighted):
    for start in _feasible_schedules(weighted):
        ok, _ = _fits(weighted, start)
        assert ok, start


def test_relaxation_alone_forbids_too_many_troops_at_once(weighted, monkeypatch):
    """Two handovers together (200 troops of 120) break the time-indexed inequality, with no cumulative at all."""
    monkeypatch.setattr(relax, "LITERALS_PER_TASK", 1000)  # every month the troops may run short
    m = cp_model.CpModel()
    start = {tid: m.new_int_var(0, weighted.horizon, f"s[{tid}]") for tid in weighted.tasks}
    relax.add_time_indexed(m, weighted, start)
    assert cp_model.CpSolver().solve(m) == cp_model.OPTIMAL  # alone, it allows a schedule
    for z in weighted.zones[:2]:
        m.add(start[f"{z}/security/international"] == 0)
    assert cp_model.CpSolver().solve(m) == cp_model.INFEASIBLE


def test_windows_bound_every_start_of_a_valid_schedule(weighted):
    w = relax.windows(weighted)
    assert w is not None
    for start in _feasible_schedules(weighted):
        assert all(w.est[t] <= start[t] <= w.lst[t] for t in weighted.tasks)


def test_relaxation_stays_within_its_size(weighted, monkeypatch):
    monkeypatch.setattr(relax, "LITERALS_PER_TASK", 0)
    b = build_model(weighted, with_lits=False)
    assert b.relax.months == [] and b.relax.lits == []
    monkeypatch.setattr(relax, "LITERALS_PER_TASK", 1000)
    assert len(build_model(weighted, with_lits=False).relax.months) > 1


def test_precedence_bound_is_a_bound(weighted):
    s = schedule.solve(weighted, 1.0)
    assert 0 < relax.precedence_bound(weighted) <= s.bound <= s.objective
    # free movement waits for Palestinian security (international 2 months, 3 months' lag, 1 month) and permits
    # (internal 1 month, 2 months at it, 1 month): it ends at month 7 at the earliest in every zone
    assert relax.precedence_bound(weighted) == 7 * sum(weighted.zone_population.values())


def test_ample_troops_need_no_relaxation(write_plan, tiny_zones):
    text = POPULATION.replace("available: 120", "available: 10000")
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    b = build_model(p, with_lits=False)
    assert b.relax.months == [] and b.relax.lits == []


def test_core_leaves_out_what_decides_nothing(weighted, tiny_problem):
    part = reduce.core(weighted)
    left = set(weighted.tasks) - set(part.tasks)
    assert left == {f"{z}/movement/residence" for z in weighted.zones}  # after the objective's level, no troops
    assert reduce.core(tiny_problem) is tiny_problem  # completion: every end counts


def test_complete_places_the_rest_as_early_as_allowed(weighted):
    part = reduce.core(weighted)
    s = schedule.solve(part, 1.0)
    placed = reduce.complete(weighted, s.start)
    assert placed is not None
    start, end = placed
    for z in weighted.zones:
        assert start[f"{z}/movement/residence"] == end[f"{z}/movement/free_movement"] + 6  # min_months_at_previous
    assert schedule.check_schedule(weighted, schedule.Schedule("x", 0, 0, start, end)) == []


def test_complete_refuses_what_would_pass_the_horizon(weighted):
    part = reduce.core(weighted)
    start = dict(schedule.solve(part, 1.0).start)
    fm = f"{weighted.zones[0]}/movement/free_movement"
    start[fm] = weighted.horizon - 1  # its residence step (6 months later, 2 long) cannot fit
    assert reduce.complete(weighted, start) is None


def test_solve_falls_back_to_the_whole_plan(weighted, monkeypatch):
    expected = schedule.solve(weighted, 1.0)
    monkeypatch.setattr(cpsat, "complete", lambda problem, start: None)
    s = schedule.solve(weighted, 1.0)
    assert s.objective == expected.objective and s.status == "optimal"
    assert schedule.check_schedule(weighted, s) == []


def test_portfolio_goes_on_where_the_single_search_stops(weighted, monkeypatch):
    expected = schedule.solve(weighted, 1.0)
    monkeypatch.setattr(cpsat, "QUICK_DETERMINISTIC_TIME", 1e-9)
    s = schedule.solve(weighted, 1.0)
    assert s.objective == expected.objective and s.status == "optimal"
    assert schedule.check_schedule(weighted, s) == []


def test_searching_the_part_finds_the_whole_plans_optimum(weighted):
    """The part keeps every objective task and every limit: its optimum is the plan's."""
    s = schedule.solve(weighted, 1.0)
    b = build_model(weighted, with_lits=False)
    b.model.minimize(b.primary)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    assert solver.solve(b.model) == cp_model.OPTIMAL
    assert s.objective == round(solver.objective_value)


def test_a_schedule_that_breaks_the_plan_is_never_returned(write_plan, tiny_zones):
    """The list schedules ignore deadlines; when the search has no time to repair one, there is no schedule."""
    text = POPULATION + "zones:\n  overrides:\n    north:\n      security:\n        international: {latest: 2}\n"
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    assert schedule.check_schedule(p, schedule.priority_greedy(p))  # it hands over the populous zones first
    with pytest.raises(PlanError, match="no schedule within its time budget"):
        schedule.solve(p, 1e-6)
    s = schedule.solve(p, 1.0)
    assert s.status == "optimal" and schedule.check_schedule(p, s) == []
    assert s.end["north/security/international"] <= 2


def test_a_stale_hint_is_checked_before_it_is_used(weighted):
    stale = {tid: 0 for tid in weighted.tasks}  # every task at month 0: troops and preconditions broken
    s = schedule.solve(weighted, 1.0, hint=stale)
    assert s.extra["warm_start"] == 0 and schedule.check_schedule(weighted, s) == []


def test_a_plan_where_nothing_decides_anything_is_solved(write_plan, tiny_zones):
    text = POPULATION.replace("level: free_movement", "level: permits")
    text = text.replace("requires_crossing: true}", "requires_crossing: true, skip: true}", 1)
    text = text.replace("      troops: 100          # each handover needs 100 troops\n      hold_troops: 10\n", "")
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    s = schedule.solve(p, 1.0)
    assert s.status == "optimal" and schedule.check_schedule(p, s) == []


def test_an_undecided_explanation_asks_for_time_not_a_longer_horizon(write_plan, tiny_zones, monkeypatch):
    text = TINY_PLAN.replace(
        "      troops: 100          # each handover needs 100 troops",
        "      troops: 100          # each handover needs 100 troops\n      latest: 4",
    )
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})

    def undecided(self, active):  # type: ignore[no-untyped-def]
        raise cpsat._Undecided

    monkeypatch.setattr(cpsat._Cores, "of", undecided)
    with pytest.raises(PlanError) as exc:
        schedule.solve(p, 1.0)
    (issue,) = exc.value.issues
    assert "could not single out" in issue.message and "--time" in issue.fix
    assert "horizon" not in str(issue)
