"""Each plan rule on its own, with tiny inputs: what it accepts, what it reports, and where."""

from __future__ import annotations

import pytest
from conftest import TINY_LEVELS, TINY_PLAN
from pydantic import ValidationError

from geo.errors import PlanIssue
from geo.plan import LoadedPlan, Plan, checks, yamlio
from geo.plan.model import After, MovementStep, Objective, SecurityStep, TroopPeriod
from geo.plan.problem import Pred, Task, TaskId

ZONES_AT = '  start: "2030-01"\n'  # where a zones: section goes in the tiny plan


def _unchecked(write_plan, text: str = TINY_PLAN) -> LoadedPlan:
    """A plan through its models only: the rules under test have not run on it yet."""
    doc = yamlio.load(write_plan(text))
    origins = {k: (str(doc.path), line, col) for k, (line, col) in doc.positions.items()}
    return LoadedPlan(Plan.model_validate(doc.data), origins, doc.path)


def _with_zones(section: str) -> str:
    return TINY_PLAN.replace(ZONES_AT, ZONES_AT + "zones:\n" + section, 1)


def _edit(old: str, new: str) -> str:
    assert old in TINY_PLAN, old
    base = TINY_PLAN.replace(TINY_LEVELS, "") if "levels:" in new else TINY_PLAN
    return base.replace(old, new, 1)


def _pos(text: str, marker: str, nth: int = 1) -> tuple[int, int]:
    index = -1
    for _ in range(nth):
        index = text.index(marker, index + 1)
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _at(issue: PlanIssue) -> tuple[int, int]:
    return issue.line, issue.col


NAMES = checks.Names.of(
    ["north", "centre", "south"], {"all": ["north", "centre", "south"], "west": ["north", "centre"]}
)


def _task(entity, track="security", state="international", duration=1, earliest=0, latest=None, **fields):
    return Task(key=TaskId(entity, track, state), duration=duration, earliest=earliest, latest=latest, **fields)


# -- names -----------------------------------------------------------------------------------------------------------
def test_names_hold_zones_groups_and_their_sets():
    assert NAMES.zone_set == {"north", "centre", "south"}
    assert NAMES.group_sets["west"] == {"north", "centre"}
    assert NAMES.every == ("north", "centre", "south", "all", "west")


def test_zones_in_use_all_is_every_layer_zone(write_plan):
    lp = _unchecked(write_plan)
    assert checks.zones_in_use(lp, ["a", "b", "a"]) == (["a", "b"], [])


@pytest.mark.parametrize(
    ("use", "unknown", "cols", "known"),
    [
        ("[north, nort]", ["nort"], [16], ["north"]),
        ("[sout, centre, north]", ["sout"], [9], ["centre", "north"]),
        ("[x, y]", ["x", "y"], [9, 12], []),
        ("[south, north]", [], [], ["south", "north"]),
    ],
)
def test_zones_in_use_reports_each_unknown_zone_at_its_place(write_plan, use, unknown, cols, known):
    text = _with_zones(f"  use: {use}\n")
    zones, issues = checks.zones_in_use(_unchecked(write_plan, text), ["north", "centre", "south"])
    assert zones == known
    assert [i.message for i in issues] == [f"unknown zone '{z}'" for z in unknown]
    line = _pos(text, "  use:")[0]
    assert [_at(i) for i in issues] == [(line, c) for c in cols]


def test_zones_in_use_suggests_the_closest_zone(write_plan):
    _, (issue,) = checks.zones_in_use(_unchecked(write_plan, _with_zones("  use: [centr]\n")), ["north", "centre"])
    assert issue.fix == "did you mean 'centre'?"


@pytest.mark.parametrize("group", ["all", "west_bank", "gaza"])
def test_a_group_may_not_take_a_built_in_name(write_plan, group):
    text = _with_zones(f"  groups:\n    {group}: [north]\n")
    (issue,) = checks.builtin_group(_unchecked(write_plan, text), group, ("all", "west_bank", "gaza"))
    assert issue.message == f"'{group}' is a built-in group"
    assert _at(issue) == _pos(text, f"{group}:")


@pytest.mark.parametrize("group", ["west", "All", "gaza_strip"])
def test_other_group_names_are_free(write_plan, group):
    assert checks.builtin_group(_unchecked(write_plan), group, ("all", "west_bank", "gaza")) == []


@pytest.mark.parametrize(
    ("members", "kept", "unknown"),
    [
        (["north", "centre"], ["north", "centre"], []),
        (["north", "nowhere", "north"], ["north"], ["nowhere"]),
        (["x", "south", "y"], ["south"], ["x", "y"]),
    ],
)
def test_group_members_are_zones_in_use(write_plan, members, kept, unknown):
    text = _with_zones(f"  groups:\n    g: [{', '.join(members)}]\n")
    in_use = checks.Names.of(["north", "centre", "south"], {})
    zones, issues = checks.group_members(_unchecked(write_plan, text), "g", members, in_use)
    assert zones == kept
    assert [i.message for i in issues] == [f"group 'g': unknown zone '{z}'" for z in unknown]
    assert all(i.line == _pos(text, "g: [")[0] for i in issues)


@pytest.mark.parametrize(
    ("name", "zones"),
    [("west", ["north", "centre"]), ("south", ["south"]), ("all", ["north", "centre", "south"])],
)
def test_members_of_a_zone_or_a_group(write_plan, name, zones):
    assert checks.members(_unchecked(write_plan), NAMES, name, ("crossings", 0)) == (zones, [])


@pytest.mark.parametrize(("name", "fix"), [("wets", "did you mean 'west'?"), ("elsewhere", "check the spelling")])
def test_members_of_an_unknown_name_is_an_issue(write_plan, name, fix):
    zones, (issue,) = checks.members(_unchecked(write_plan), NAMES, name, ("crossings", 0, "serves", 0))
    assert zones == []
    assert issue.message == f"unknown zone or group '{name}'"
    assert issue.fix.startswith(fix)
    assert _at(issue) == _pos(TINY_PLAN, "all]")


@pytest.mark.parametrize(
    ("text", "marker", "nth", "message"),
    [
        (_with_zones("  use: [north, south, north]\n"), "north", 2, "zone 'north' is listed twice in zones.use"),
        (
            _with_zones("  groups:\n    g: [south, south]\n"),
            "south",
            2,
            "zone 'south' is listed twice in zones.groups.g",
        ),
        (_edit("serves: [all]", "serves: [all, north, all]"), "all", 2, "zone or group 'all' is listed twice"),
        (
            _edit("movement:\n  steps:", "movement:\n  levels: [closure, internal, closure]\n  steps:"),
            "closure",
            2,
            "movement level 'closure' is listed twice in movement.levels",
        ),
    ],
)
def test_repeated_names_are_reported_at_the_repeat(write_plan, text, marker, nth, message):
    (issue,) = checks.repeated_names(_unchecked(write_plan, text))
    assert issue.message.startswith(message)
    first_line, first_col = _pos(text, marker, 1)
    assert issue.message.endswith(f"(first at line {first_line}, col {first_col})")
    assert _at(issue) == _pos(text, marker, nth)


def test_no_repeats_no_issues(write_plan):
    assert checks.repeated_names(_unchecked(write_plan)) == []


# -- the ladders -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("ladder", "issues"),
    [(["idf", "international", "idf"], 1), (["a", "a"], 1), (["idf", "international"], 0)],
)
def test_a_ladder_lists_each_rung_once(write_plan, ladder, issues):
    found = checks.repeated_rungs(_unchecked(write_plan), "security state", ladder, ("security",))
    assert [i.message for i in found] == ["a security state is listed twice"] * issues


LADDER = ["closure", "internal", "permits", "residence"]


@pytest.mark.parametrize(
    ("steps", "wrong"),
    [
        (["internal", "permits", "residence"], []),
        (["closure", "internal", "permits", "residence"], ["closure"]),
        (["internal", "permit", "residence", "moon"], ["permit", "moon"]),
    ],
)
def test_every_step_leads_into_a_later_rung(write_plan, steps, wrong):
    found = checks.steps_on_ladder(_unchecked(write_plan), "movement", LADDER, steps)
    assert [i.message for i in found] == [
        f"movement step '{s}' is not a later state of the ladder {LADDER}" for s in wrong
    ]
    if "permit" in wrong:
        assert found[0].fix == "did you mean 'permits'?"


@pytest.mark.parametrize(
    ("steps", "missing"),
    [
        (["internal", "permits", "residence"], []),
        (["internal", "residence"], ["permits"]),
        ([], ["internal", "permits", "residence"]),
    ],
)
def test_every_later_rung_has_a_step(write_plan, steps, missing):
    found = checks.steps_present(_unchecked(write_plan), "movement", LADDER, steps)
    assert [i.message for i in found] == [f"no movement step for '{s}'" for s in missing]
    assert [i.fix for i in found] == [f"add '{s}:' under movement.steps" for s in missing]
    assert all(_at(i) == _pos(TINY_PLAN, "internal:") for i in found)


@pytest.mark.parametrize(
    ("steps", "first", "order"),
    [
        (["permits", "internal", "residence"], "permits", "internal -> permits -> residence"),
        (["internal", "residence", "permits"], "residence", "internal -> permits -> residence"),
        (["residence", "odd", "internal"], "residence", "internal -> residence"),
    ],
)
def test_steps_out_of_the_ladders_order_are_one_issue_at_the_first(write_plan, steps, first, order):
    text = _edit("    residence: {", "    odd: {duration: 1}\n    residence: {")
    (issue,) = checks.steps_in_order(_unchecked(write_plan, text), "movement", LADDER, steps)
    assert issue.message.startswith("movement steps are out of the ladder's order")
    assert issue.fix == f"list them as {order}"
    assert _at(issue) == (_pos(text, f"    {first}:")[0], 5)  # at the step's key


@pytest.mark.parametrize("steps", [["internal", "permits"], ["internal", "odd", "residence"], []])
def test_steps_in_order_pass(write_plan, steps):
    assert checks.steps_in_order(_unchecked(write_plan), "movement", LADDER, steps) == []


@pytest.mark.parametrize(
    ("requires", "bad"),
    [("international", False), ("idf", False), ("internatonal", True), ("eu", True), (None, False)],
)
def test_requires_security_names_a_security_state(write_plan, requires, bad):
    steps = {"internal": MovementStep(duration=1, requires_security=requires)}
    found = checks.required_security(_unchecked(write_plan), steps, ["idf", "international", "palestinian"])
    assert [i.message for i in found] == ([f"unknown security state '{requires}'"] if bad else [])
    if bad:
        assert _at(found[0]) == _pos(TINY_PLAN, "international}")


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        (Objective(minimize="completion"), None),
        (Objective(minimize="completion", level="nonsense"), None),
        (Objective(minimize="population_weighted_time", level="permits"), None),
        (Objective(minimize="population_weighted_time"), "population_weighted_time needs a movement level"),
        (Objective(minimize="population_weighted_time", level="closure"), "unknown movement level 'closure'"),
        (Objective(minimize="population_weighted_time", level="residnce"), "unknown movement level 'residnce'"),
    ],
)
def test_population_weighted_time_names_a_later_level(write_plan, objective, message):
    found = checks.objective_level(_unchecked(write_plan), objective, LADDER)
    assert [i.message for i in found] == ([message] if message else [])


# -- crossings -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cid", "fix"), [("gate-x", None), ("gate-z", "did you mean"), ("q", "check the spelling")])
def test_a_planned_crossing_is_in_the_layer(write_plan, cid, fix):
    found = checks.crossing_in_layer(_unchecked(write_plan), 0, cid, {"gate-x", "gate-y"})
    assert [i.message for i in found] == ([] if fix is None else [f"unknown crossing '{cid}'"])
    if fix:
        assert found[0].fix.startswith(fix)
        assert _at(found[0]) == _pos(TINY_PLAN, "gate-x")


@pytest.mark.parametrize(("planned", "twice"), [([], False), (["gate-y"], False), (["gate-y", "gate-x"], True)])
def test_a_crossing_is_planned_once(write_plan, planned, twice):
    found = checks.crossing_once(_unchecked(write_plan), 0, "gate-x", planned)
    assert [i.message for i in found] == (["crossing 'gate-x' is planned twice"] if twice else [])


@pytest.mark.parametrize(
    ("serves", "zones", "unknown"),
    [
        (["west", "north", "all"], ["north", "centre", "south"], []),
        (["south", "west"], ["south", "north", "centre"], []),
        (["nowhere", "south"], ["south"], ["nowhere"]),
    ],
)
def test_a_crossing_serves_each_zone_once(write_plan, serves, zones, unknown):
    served, issues = checks.served_zones(_unchecked(write_plan), NAMES, 0, serves)
    assert served == zones
    assert [i.message for i in issues] == [f"unknown zone or group '{u}'" for u in unknown]


@pytest.mark.parametrize(
    ("serving", "zone", "bad"),
    [({"north": ["gate-x"]}, "north", False), ({"north": ["gate-x"]}, "south", True), ({"south": []}, "south", True)],
)
def test_a_step_needing_a_crossing_needs_one_serving_its_zone(serving, zone, bad):
    found = checks.served_by_a_crossing(("p.yaml", 7, 3), "permits", zone, serving)
    assert [(i.message, _at(i)) for i in found] == (
        [(f"movement 'permits' needs an open crossing but no planned crossing serves zone {zone}", (7, 3))]
        if bad
        else []
    )


# -- overrides -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("key", "bad"), [("north", False), ("west", False), ("nort", True), ("everyone", True)])
def test_an_override_is_for_a_zone_or_group(write_plan, key, bad):
    text = _with_zones(f"  overrides:\n    {key}:\n      security:\n        international: {{duration: 3}}\n")
    found = checks.override_target(_unchecked(write_plan, text), key, NAMES)
    assert [i.message for i in found] == ([f"override for unknown zone or group '{key}'"] if bad else [])
    if bad:
        assert _at(found[0]) == _pos(text, f"{key}:")


@pytest.mark.parametrize(
    ("patches", "unknown"),
    [({"internal": {}}, []), ({"closure": {}, "permit": {}}, ["closure", "permit"]), ({}, [])],
)
def test_an_override_changes_steps_of_the_ladder(write_plan, patches, unknown):
    found = checks.override_steps(_unchecked(write_plan), "north", "movement", patches, LADDER)
    assert [i.message for i in found] == [f"unknown movement step '{s}'" for s in unknown]


@pytest.mark.parametrize(
    ("data", "field", "origin"),
    [
        ({"duration": -1}, "duration", ("o.yaml", 3, 4)),
        ({"duration": 1, "latest": 9999}, "latest", ("s.yaml", 1, 2)),
        ({"duration": 1, "troops": "many"}, "troops", ("s.yaml", 1, 2)),
    ],
)
def test_an_override_pair_that_breaks_a_step_is_reported_at_the_value(data, field, origin):
    with pytest.raises(ValidationError) as exc:
        SecurityStep.model_validate(data)
    origins = {"__step__": ("s.yaml", 1, 2), "duration": ("o.yaml", 3, 4)}
    found = checks.override_values(exc.value, origins, "security", "international", "north")
    assert found
    assert found[0].message.startswith(f"security.international.{field} for zone north: ")
    assert (found[0].file, *_at(found[0])) == origin
    assert found[0].fix == "correct the override"


# -- preconditions ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("gate", "bad"), [("review", False), ("reveiw", True), ("other", True)])
def test_an_after_gate_is_a_gate_of_the_plan(write_plan, gate, bad):
    found = checks.after_gate(_unchecked(write_plan), ("gates",), gate, {"review": None})
    assert [i.message for i in found] == ([f"unknown gate '{gate}'"] if bad else [])
    if gate == "reveiw":
        assert found[0].fix == "did you mean 'review'?"


@pytest.mark.parametrize(("crossing", "bad"), [("gate-x", False), ("gate-y", True)])
def test_an_after_crossing_is_one_the_plan_opens(write_plan, crossing, bad):
    found = checks.after_crossing(_unchecked(write_plan), ("crossings",), crossing, {"gate-x": (0, [])})
    assert [i.message for i in found] == ([f"crossing '{crossing}' is not in the plan's crossings"] if bad else [])


@pytest.mark.parametrize(
    ("track", "state", "message", "marker"),
    [
        ("security", "international", None, ""),
        ("security", "idf", None, ""),
        ("security", "palestinan", "unknown security state 'palestinan'", "international\n          lag"),
        ("movement", "permit", "unknown movement level 'permit'", "security: international\n"),
    ],
)
def test_an_after_awaits_a_rung_of_its_ladder(write_plan, track, state, message, marker):
    ladder = ["idf", "international", "palestinian"] if track == "security" else LADDER
    path = ("security", "steps", "palestinian", "after", 0)
    found = checks.after_state(_unchecked(write_plan), path, track, state, ladder)
    assert [i.message for i in found] == ([message] if message else [])
    if message:  # at the state, or where the entry is when the plan wrote none on this track
        assert _at(found[0]) == _pos(TINY_PLAN, marker)


@pytest.mark.parametrize(
    ("after", "zone", "targets"),
    [
        (After(security="international"), "north", ["north"]),
        (After(security="international", zone="south"), "north", ["south"]),
        (After(movement="permits", group="west"), None, ["north", "centre"]),
        (After(movement="permits", zone="centre"), None, ["centre"]),
    ],
)
def test_an_after_awaits_its_group_its_zone_or_its_own_zone(write_plan, after, zone, targets):
    assert checks.after_targets(_unchecked(write_plan), NAMES, ("gates",), after, zone) == (targets, [])


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (After(security="international"), "awaiting security 'international' needs a zone or group here"),
        (After(movement="permits"), "awaiting movement 'permits' needs a zone or group here"),
        (After(movement="permits", group="wets"), "unknown zone or group 'wets'"),
    ],
)
def test_an_after_outside_a_zone_must_name_one(write_plan, after, message):
    targets, (issue,) = checks.after_targets(_unchecked(write_plan), NAMES, ("gates",), after, None)
    assert targets == []
    assert issue.message == message


# -- troops ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("run", "hold", "most", "need"),
    [(100, 10, 120, None), (120, 0, 120, None), (121, 0, 120, 121), (5, 2_000, 1_000, 2_000)],
)
def test_a_step_needs_no_more_troops_than_ever_available(run, hold, most, need):
    task = _task("north", run_troops=run, hold_troops=hold, troops_origin=("p.yaml", 4, 5))
    found = checks.troops_available(task, most)
    if need is None:
        assert found == []
        return
    expected = f"north: security international needs {need:,} troops but at most {most:,} are ever available"
    assert [(i.message, _at(i)) for i in found] == [(expected, (4, 5))]


@pytest.mark.parametrize(
    ("froms", "bad"), [([0], False), ([0, 12, 24], False), ([12, 0], True), ([0, 6, 6], True), ([5, 3, 8], True)]
)
def test_troop_periods_start_in_increasing_months(write_plan, froms, bad):
    periods = [TroopPeriod.model_validate({"from": f, "available": 1}) for f in froms]
    found = checks.troop_periods(_unchecked(write_plan), periods)
    assert [i.message for i in found] == (["troop periods must have increasing 'from' months"] if bad else [])
    if bad:
        assert _at(found[0]) == _pos(TINY_PLAN, "- {from")


# -- the whole plan --------------------------------------------------------------------------------------------------
def _chain(*ids: str, closing: str | None = None) -> dict[str, Task]:
    """Gates each after the one before (and the first after ``closing``, to close a cycle)."""
    tasks: dict[str, Task] = {}
    for k, g in enumerate(ids):
        t = _task(g, "gate", g)
        before = ids[k - 1] if k else closing
        if before is not None:
            t.preds.append(Pred((str(TaskId.gate(before)),), 0, ("p.yaml", k + 1, 1), f"gate {before}"))
        tasks[t.id] = t
    return tasks


@pytest.mark.parametrize("ids", [("a",), ("c", "b", "a"), tuple(f"g{k}" for k in range(3_000))])
def test_dependency_order_puts_each_task_after_its_preconditions(ids):
    tasks = _chain(*ids)
    order, issues = checks.dependency_order(tasks)
    assert issues == []
    assert order is not None
    assert sorted(order) == sorted(tasks)
    seen: set[str] = set()
    for tid in order:
        assert all(src in seen for pr in tasks[tid].preds for src in pr.tasks)
        seen.add(tid)


@pytest.mark.parametrize(
    ("ids", "cycle"),
    [
        (("a",), "gate a -> gate a"),
        (("a", "b"), "gate a -> gate b -> gate a"),
        (("x", "y", "z"), "gate x -> gate y -> gate z -> gate x"),
    ],
)
def test_a_cycle_is_named_in_plan_terms_at_the_precondition_closing_it(ids, cycle):
    order, (issue,) = checks.dependency_order(_chain(*ids, closing=ids[-1]))
    assert order is None
    assert issue.message == f"dependency cycle: {cycle}"
    assert _at(issue) == (1, 1)  # the first gate's precondition on the last closes the loop


def test_a_cycle_of_zone_steps_uses_their_labels():
    a = _task("north", "security", "palestinian")
    b = _task("north", "movement", "permits")
    a.preds.append(Pred((b.id,), 0, ("p.yaml", 2, 2), "x"))
    b.preds.append(Pred((a.id,), 0, ("p.yaml", 3, 3), "y"))
    _, (issue,) = checks.dependency_order({a.id: a, b.id: b})
    assert issue.message == "dependency cycle: north: security palestinian -> north: movement permits -> " + (
        "north: security palestinian"
    )


def _windows(*tasks: Task, horizon: int = 60) -> list[PlanIssue]:
    by_id = {t.id: t for t in tasks}
    order, issues = checks.dependency_order(by_id)
    assert order is not None and not issues
    return checks.windows(by_id, order, horizon)


def test_windows_that_hold_pass():
    first = _task("north", duration=3, latest=3)
    second = _task("north", "security", "palestinian", duration=2, latest=5)
    second.preds.append(Pred((first.id,), 0, ("p.yaml", 1, 1), "after international"))
    assert _windows(first, second, horizon=5) == []


@pytest.mark.parametrize(("earliest", "duration", "latest"), [(0, 3, 2), (5, 1, 5), (10, 10, 19)])
def test_a_window_shorter_than_its_step_cannot_fit(earliest, duration, latest):
    t = _task("north", earliest=earliest, duration=duration, latest=latest, window_origin=("p.yaml", 8, 9))
    (issue,) = _windows(t)
    assert issue.message == (
        f"north: security international cannot fit: earliest {earliest} + duration {duration} > latest {latest}"
    )
    assert _at(issue) == (8, 9)


@pytest.mark.parametrize(("lag", "any_of", "start"), [(0, False, 6), (2, False, 8), (0, True, 2), (3, True, 5)])
def test_a_window_its_preconditions_push_past_names_the_month_and_the_reason(lag, any_of, start):
    slow = _task("slow", "gate", "slow", duration=6)
    fast = _task("fast", "gate", "fast", duration=2)
    t = _task("north", duration=1, latest=start, window_origin=("p.yaml", 5, 6))
    t.preds.append(Pred((slow.id, fast.id), lag, ("p.yaml", 1, 1), "a gate passed", any_of=any_of))
    (issue,) = _windows(slow, fast, t)
    assert issue.message == (
        f"north: security international must end by month {start} but cannot start before month {start} "
        "(a gate passed) and takes 1"
    )
    assert _at(issue) == (5, 6)


@pytest.mark.parametrize(("earliest", "duration", "horizon"), [(0, 13, 12), (10, 3, 12), (59, 2, 60)])
def test_a_task_that_cannot_end_within_the_horizon(earliest, duration, horizon):
    t = _task("north", earliest=earliest, duration=duration, origin=("p.yaml", 2, 3))
    (issue,) = _windows(t, horizon=horizon)
    assert issue.message == (
        f"north: security international cannot end within the horizon of {horizon} months "
        f"(earliest end {earliest + duration})"
    )
    assert _at(issue) == (2, 3)


def test_one_window_issue_per_task_the_first_that_applies():
    t = _task("north", earliest=10, duration=5, latest=12)  # cannot fit, and past a horizon of 8 too
    (issue,) = _windows(t, horizon=8)
    assert "cannot fit" in issue.message


def test_suggest_is_cached_and_plain():
    assert checks.suggest("nort", ["north", "south"]) == "did you mean 'north'?"
    assert checks.suggest("zzz", ("north",)) == "check the spelling against the layers and the plan"
