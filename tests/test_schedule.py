"""CP-SAT scheduling: known optimum, determinism, independent re-check, infeasibility explained."""

from pathlib import Path

import pytest
from conftest import TINY_PLAN

from geo import layers, plan, schedule
from geo.errors import PlanError

ROOT = Path(__file__).resolve().parent.parent


def test_tiny_plan_has_the_known_optimum(tiny_problem):
    s = schedule.solve(tiny_problem, 1.0)
    assert s.status == "optimal"
    # handovers cannot overlap (2 x 100 troops > 120): the last ends at month 6, and its zone's
    # chain takes 13 more months (palestinian +4, free movement, 6 months, residence 2)
    assert s.makespan == 19
    assert s.objective == 19
    assert schedule.check_schedule(tiny_problem, s) == []
    starts = sorted(s.start[f"{z}/security/international"] for z in tiny_problem.zones)
    assert starts == [0, 2, 4]


def test_solving_is_deterministic(tiny_problem):
    a = schedule.solve(tiny_problem, 1.0)
    b = schedule.solve(tiny_problem, 1.0)
    assert a.start == b.start
    assert a.end == b.end


def test_check_schedule_catches_violations(tiny_problem):
    s = schedule.solve(tiny_problem, 1.0)
    broken = schedule.Schedule(s.status, s.objective, s.bound, dict(s.start), dict(s.end))
    z = tiny_problem.zones[0]
    t = f"{z}/movement/permits"
    broken.start[t] -= 3
    broken.end[t] -= 3
    problems = schedule.check_schedule(tiny_problem, broken)
    assert any(t in p and "before its precondition" in p for p in problems)
    both = schedule.Schedule(s.status, s.objective, s.bound, dict(s.start), dict(s.end))
    for zz in tiny_problem.zones:
        both.start[f"{zz}/security/international"] = 0
        both.end[f"{zz}/security/international"] = 2
    assert any("troops used" in p for p in schedule.check_schedule(tiny_problem, both))


def test_population_weighted_objective_serves_the_most_people_first(write_plan, tiny_zones):
    text = TINY_PLAN.replace("  minimize: completion", "  minimize: population_weighted_time\n  level: free_movement")
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    s = schedule.solve(p, 1.0)
    assert s.start["centre/security/international"] == 0  # 40,000 people
    assert s.start["north/security/international"] == 4  # 10,000 people: last
    assert s.objective == sum(p.zone_population[z] * s.end[f"{z}/movement/free_movement"] for z in p.zones)


def test_greedy_baseline_is_feasible_and_not_better(tiny_problem):
    g = schedule.greedy(tiny_problem)
    assert schedule.check_schedule(tiny_problem, g) == []
    assert g.objective >= schedule.solve(tiny_problem, 1.0).objective


def test_infeasible_plan_is_explained_with_its_lines(write_plan, tiny_zones):
    text = TINY_PLAN.replace(
        "      troops: 100          # each handover needs 100 troops",
        "      troops: 100          # each handover needs 100 troops\n      latest: 4",
    )
    p = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    with pytest.raises(PlanError) as exc:
        schedule.solve(p, 1.0)
    issues = exc.value.issues
    lines = {i.line for i in issues}
    assert 11 in lines  # latest: 4
    assert 28 in lines  # resources.troops
    assert all("conflicting constraint" in i.message for i in issues)
    assert any("ends by month 4" in i.message for i in issues)
    assert any("troops used never exceed" in i.message for i in issues)
    assert len(issues) <= 3


@pytest.fixture(scope="module")
def reference():
    lp = plan.load(ROOT / "plans" / "reference.yaml")
    zones = layers.load("zones", ROOT)
    problem = plan.compile_plan(lp, zones, set(layers.load("crossings", ROOT)["crossing_id"]))
    return problem, schedule.solve(problem, 1.0)


@pytest.mark.slow
def test_reference_schedule_respects_every_constraint(reference):
    problem, s = reference
    assert s.status in ("optimal", "feasible")
    assert s.bound <= s.objective
    assert schedule.check_schedule(problem, s) == []
    jv = ["jericho-a", "jericho-b", "jericho-c", "tubas-c"]
    review = s.end["gate/jordan-valley-review"]
    for z in jv:
        assert s.start[f"{z}/security/palestinian"] >= review
    for z in problem.zones:
        assert s.end[f"{z}/security/international"] <= 18


@pytest.mark.slow
def test_reference_schedule_is_deterministic(reference):
    problem, s = reference
    again = schedule.solve(problem, 1.0)
    assert again.start == s.start
    assert again.objective == s.objective


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "withdrawal", "jordan_valley"), [("clinton-timeline", 36, 72), ("geneva-timeline", 30, 66)]
)
def test_comparison_plans_keep_their_timelines(name, withdrawal, jordan_valley):
    lp = plan.load(ROOT / "plans" / f"{name}.yaml")
    problem = plan.compile_plan(lp, layers.load("zones", ROOT), set(layers.load("crossings", ROOT)["crossing_id"]))
    s = schedule.solve(problem, 1.0)
    assert schedule.check_schedule(problem, s) == []
    jv = {"jericho-a", "jericho-b", "jericho-c", "tubas-c"}
    ends = {z: s.end[f"{z}/security/international"] for z in problem.zones}
    assert max(v for z, v in ends.items() if z not in jv) <= withdrawal
    assert max(v for z, v in ends.items() if z in jv) == jordan_valley
