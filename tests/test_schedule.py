"""CP-SAT scheduling: known optimum, determinism, independent re-check, infeasibility explained."""

import re
from pathlib import Path

import pytest
from conftest import TINY_PLAN
from ortools.sat.python import cp_model

from geo import layers, plan, schedule
from geo.errors import PlanError
from geo.plan import Task, TaskId
from geo.schedule.model import build_model, describe

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
    assert 29 in lines  # resources.troops
    assert all("conflicting constraint" in i.message for i in issues)
    assert any("ends by month 4" in i.message for i in issues)
    assert any("troops used never exceed" in i.message for i in issues)
    assert len(issues) <= 3


@pytest.fixture(scope="module")
def reference():
    lp = plan.load(ROOT / "plans" / "reference.yaml")
    zones = layers.load("zones", ROOT)
    refs = plan.LayerRefs.of(layers.load_all(ROOT))
    problem = plan.compile_plan(lp, zones, set(layers.load("crossings", ROOT)["crossing_id"]), refs)
    return problem, schedule.solve(problem, 1.0)


@pytest.mark.slow
def test_reference_schedule_respects_every_constraint(reference):
    problem, s = reference
    assert s.status in ("optimal", "feasible")
    assert s.bound <= s.objective
    assert schedule.check_schedule(problem, s) == []
    zones = layers.load("zones", ROOT)
    jv = list(zones.loc[zones["region"] == "jordan-valley", "zone_id"])
    assert len(jv) == 20
    review = s.end["gate/jordan-valley-review"]
    for z in jv:
        # Area A zones of the valley start under Palestinian security (their baseline, pinned at month 0)
        t = problem.tasks[f"{z}/security/palestinian"]
        assert t.baseline or s.start[t.id] >= review
    for z in problem.zones:
        tid = f"{z}/security/international"
        assert tid not in s.end or problem.tasks[tid].baseline or s.end[tid] <= 18


@pytest.mark.slow
def test_reference_plan_is_proven_optimal_on_a_small_budget(reference):
    """The time-indexed relaxation closes the bound: one unit of work proves the reference plan's optimum."""
    _, s = reference
    assert s.status == "optimal"
    assert s.bound == s.objective
    assert s.deterministic_time < 1.0


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
    zones = layers.load("zones", ROOT)
    refs = plan.LayerRefs.of(layers.load_all(ROOT))
    problem = plan.compile_plan(lp, zones, set(layers.load("crossings", ROOT)["crossing_id"]), refs)
    s = schedule.solve(problem, 1.0)
    assert schedule.check_schedule(problem, s) == []
    jv = set(zones.loc[zones["region"] == "jordan-valley", "zone_id"])  # the built-in jordan_valley group
    ends = {z: s.end[f"{z}/security/international"] for z in problem.zones if f"{z}/security/international" in s.end}
    assert max(ends.values()) <= withdrawal  # the Jordan Valley too: its residual presence is under the force
    assert s.end["residual/jordan-valley/ended"] == jordan_valley
    handed = [f"{z}/security/palestinian" for z in jv if not problem.tasks[f"{z}/security/palestinian"].baseline]
    assert handed and min(s.start[t] for t in handed) >= jordan_valley


# --- the model: CP-SAT's answer depends on the order and names of what is created ------------------------------

VARIANTS = {
    "tiny": (TINY_PLAN, []),
    "windows": (
        TINY_PLAN.replace(
            "security:\n  steps:",
            "zones:\n  overrides:\n    gaza:\n      security:\n"
            "        international: {earliest: 3, latest: 20}\nsecurity:\n  steps:",
            1,
        ),
        [],
    ),
    "two crossings": (
        TINY_PLAN.replace(
            "  - {id: gate-x, serves: [all], duration: 4}",
            "  - {id: gate-x, serves: [all], duration: 4}\n  - {id: gate-y, serves: [west_bank], duration: 2}",
        ),
        [],
    ),
    "gate": (
        TINY_PLAN.replace(
            "resources:",
            "gates:\n  review:\n    min_duration: 3\n    after:\n      - group: all\n        security: international\n"
            "resources:",
        ),
        [],
    ),
    "capacity steps and handover limit": (
        TINY_PLAN.replace(
            "    - {from: 0, available: 120}",
            "    - {from: 2, available: 120}\n    - {from: 5, available: 300}\n  max_concurrent_handovers: 1",
        ),
        ["cap[0]", "cap[2]"],  # no troops before month 2, 120 of 300 until month 5
    ),
    "population objective": (
        TINY_PLAN.replace("  minimize: completion", "  minimize: population_weighted_time\n  level: free_movement"),
        [],
    ),
}


def _compile(write_plan, tiny_zones, text):  # type: ignore[no-untyped-def]
    return plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x", "gate-y"})


def _expected_variables(problem, with_lits):  # type: ignore[no-untyped-def]
    """The documented creation order: intervals; task by task its window and preconditions; holds; the two
    resource guards; the makespan."""
    names = [n for tid in problem.tasks for n in (f"s[{tid}]", f"e[{tid}]")]
    guards = iter(range(10_000))

    def guard() -> None:
        if with_lits:
            names.append(f"c{next(guards)}")

    for tid, t in problem.tasks.items():
        for _ in range((t.earliest > 0) + (t.latest is not None)):
            guard()
        for pr in t.preds:
            srcs = [s for s in pr.tasks if s in problem.tasks]
            if srcs:
                guard()
                if pr.any_of and len(srcs) > 1:
                    names.append(f"first[{tid}]")
    names += [f"hold[{tid}]" for tid, t in problem.tasks.items() if t.hold_troops > 0]
    if any(t.hold_troops > 0 or (t.run_troops > 0 and t.duration > 0) for t in problem.tasks.values()):
        guard()
    if problem.max_concurrent is not None:
        guard()
    if problem.objective != "population_weighted_time":
        names.append("makespan")
    return names


@pytest.mark.parametrize("with_lits", [False, True])
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_model_creates_variables_and_intervals_in_their_documented_order(write_plan, tiny_zones, variant, with_lits):
    text, blockers = VARIANTS[variant]
    p = _compile(write_plan, tiny_zones, text)
    proto = build_model(p, with_lits).model.Proto()
    names = [v.name for v in proto.variables]
    expected = _expected_variables(p, with_lits)
    assert names[: len(expected)] == expected
    # last, a population-weighted objective's relaxation: order literals le[task,month], month by month
    rest = [re.fullmatch(r"le\[(.+),(-?\d+)\]", n) for n in names[len(expected) :]]
    assert all(rest), names[len(expected) :]
    assert bool(rest) == (p.objective == "population_weighted_time" and not with_lits)
    assert all(m is None or m[1] in p.tasks for m in rest)
    holds = [f"hi[{tid}]" for tid, t in p.tasks.items() if t.hold_troops > 0]
    assert [c.name for c in proto.constraints if c.name] == [f"i[{tid}]" for tid in p.tasks] + holds + blockers


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_model_is_the_same_every_time(write_plan, tiny_zones, variant):
    p = _compile(write_plan, tiny_zones, VARIANTS[variant][0])
    for with_lits in (False, True):
        assert str(build_model(p, with_lits).model.Proto()) == str(build_model(p, with_lits).model.Proto())


def test_guards_describe_windows_before_preconditions_and_resources_last(write_plan, tiny_zones):
    text = VARIANTS["windows"][0].replace("  troops:\n", "  max_concurrent_handovers: 2\n  troops:\n")
    p = _compile(write_plan, tiny_zones, text)
    descs = [(d, o[1]) for _, d, o in build_model(p, with_lits=True).lits]
    south = [d for d, _ in descs if d.startswith("south: security international")]
    assert south == [
        "south: security international starts no earlier than month 3",
        "south: security international ends by month 20",
    ]
    # task by task, in plan order: first its window, then its preconditions
    rank = {" starts no earlier than": 0, " ends by": 1, " waits for": 2}
    owners = []
    for d, _ in descs[:-2]:
        k, t = next((k, t) for k, t in enumerate(p.tasks.values()) if d.startswith(describe(t) + " "))
        owners.append((k, next(r for w, r in rank.items() if d.startswith(describe(t) + w))))
    assert owners == sorted(owners)
    assert len({k for k, _ in owners}) == sum(
        bool(t.preds) or t.earliest > 0 or t.latest is not None for t in p.tasks.values()
    )
    assert descs[-2][0] == "troops used never exceed troops available (resources.troops)"
    assert descs[-1][0] == "at most 2 handovers at once (resources.max_concurrent_handovers)"
    assert descs[-1][1] == p.concurrent_origin[1]
    assert build_model(p, with_lits=False).lits == []


@pytest.mark.parametrize("variant", ["tiny", "population objective", "capacity steps and handover limit"])
def test_model_objective_is_the_objective_the_schedule_is_checked_by(write_plan, tiny_zones, variant):
    p = _compile(write_plan, tiny_zones, VARIANTS[variant][0])
    g = schedule.greedy(p)
    b = build_model(p, with_lits=False)
    for tid, v in b.start.items():
        b.model.add(v == g.start[tid])
    solver = cp_model.CpSolver()
    assert solver.solve(b.model) == cp_model.OPTIMAL
    assert solver.value(b.primary) == schedule.objective_value(p, g.end) == g.objective


@pytest.mark.parametrize(
    ("tid", "name"),
    [
        ("gate/review", "gate review"),
        ("crossing/gate-x", "crossing gate-x"),
        ("crossing/gate-y", "crossing gate-y"),
        ("north/security/international", "north: security international"),
        ("south/movement/free_movement", "south: movement free_movement"),
    ],
)
def test_tasks_are_described_by_their_key(write_plan, tiny_zones, tid, name):
    text = VARIANTS["gate"][0].replace(
        "  - {id: gate-x, serves: [all], duration: 4}",
        "  - {id: gate-x, serves: [all], duration: 4}\n  - {id: gate-y, serves: [gaza], duration: 2}",
    )
    p = _compile(write_plan, tiny_zones, text)
    assert describe(p.tasks[tid]) == name


@pytest.mark.parametrize(
    ("key", "name"),
    [
        (TaskId("allenby", "crossing", "open"), "crossing allenby"),
        (TaskId("jv-review", "gate", "jv-review"), "gate jv-review"),
        (TaskId("z-1", "movement", "permits"), "z-1: movement permits"),
    ],
)
def test_hand_built_tasks_are_described_by_their_key(key, name):
    assert describe(Task(key=key, duration=1, earliest=0, latest=None)) == name
