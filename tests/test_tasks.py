"""Semantic checks of a plan against the layers, each at file:line:col."""

import pytest
from conftest import TINY_PLAN

from geo import plan
from geo.errors import PlanError


def _compile(write_plan, zones, text):
    return plan.compile_plan(plan.load(write_plan(text)), zones, {"gate-x", "gate-y"})


def _issues(write_plan, zones, text):
    with pytest.raises(PlanError) as exc:
        _compile(write_plan, zones, text)
    return exc.value.issues


def test_tiny_plan_compiles(write_plan, tiny_zones):
    p = _compile(write_plan, tiny_zones, TINY_PLAN)
    assert len(p.tasks) == 3 * 6 + 1
    t = p.tasks["north/movement/permits"]
    assert [pr.why for pr in t.preds] == ["2 months at internal", "a crossing open"]
    assert p.tasks["north/security/international"].hold_until == "north/security/palestinian"
    assert p.crossing_serves == {"gate-x": ["north", "centre", "south"]}


def test_troop_rule_scales_with_the_zone(write_plan, tiny_zones):
    text = TINY_PLAN.replace(
        "      troops: 100          # each handover needs 100 troops",
        "      troops: {base: 10, per_1000_people: 1, per_100_km2: 20, per_1000_settlers: 5}",
    )
    p = _compile(
        write_plan,
        tiny_zones.assign(population=[10_000, 40_000, 20_000]),
        text.replace("available: 120", "available: 500"),
    )
    # north: 10 + 10 + 20 + 5 = 45
    assert p.tasks["north/security/international"].run_troops == 45


SEMANTIC = [
    # (replace, with, marker where the issue must point, message fragment, fix fragment)
    (
        '  start: "2030-01"\n',
        '  start: "2030-01"\nzones:\n  use: [north, nort]\n',
        "nort]",
        "unknown zone 'nort'",
        "did you mean 'north'?",
    ),
    (
        "  - {id: gate-x, serves: [all], duration: 4}",
        "  - {id: gate-z, serves: [all], duration: 4}",
        "gate-z",
        "unknown crossing 'gate-z'",
        "did you mean",
    ),
    (
        "  - {id: gate-x, serves: [all], duration: 4}",
        "  - {id: gate-x, serves: [everyone], duration: 4}",
        "everyone",
        "unknown zone or group 'everyone'",
        "",
    ),
    ("          lag: 3", "          lag: 3\n        - gate: reveiw", "reveiw", "unknown gate 'reveiw'", ""),
    (
        "    internal: {duration: 1, requires_security: international}",
        "    internal: {duration: 1, requires_security: internatonal}",
        "internatonal",
        "unknown security state",
        "did you mean 'international'?",
    ),
    (
        "        - security: international\n          lag: 3",
        "        - security: palestinan\n          lag: 3",
        "palestinan",
        "unknown security state 'palestinan'",
        "did you mean 'palestinian'?",
    ),
    (
        "    - {from: 0, available: 120}",
        "    - {from: 0, available: 90}",
        "100          #",
        "needs 100 troops but at most 90 are ever available",
        "lower the troops",
    ),
    (
        "    residence: {duration: 2, min_months_at_previous: 6}",
        "    residence: {duration: 2, min_months_at_previous: 6, latest: 1}",
        "1}",
        "cannot fit",
        "widen",
    ),
    (
        "    residence: {duration: 2, min_months_at_previous: 6}",
        "    residence: {duration: 2, min_months_at_previous: 6, latest: 10}",
        "10}",
        "must end by month 10",
        "",
    ),
    (
        "horizon: 60",
        "horizon: 12",
        "{duration: 2, min_months_at_previous: 6}",
        "cannot end within the horizon of 12",
        "raise 'horizon:'",
    ),
    (
        "    free_movement: {duration: 1, requires_security: palestinian}\n",
        "",
        "internal: {",
        "no movement step for 'free_movement'",
        "add 'free_movement:'",
    ),
    (
        "    internal: {duration: 1, requires_security: international}\n"
        "    permits: {duration: 1, min_months_at_previous: 2, requires_crossing: true}\n",
        "    permits: {duration: 1, min_months_at_previous: 2, requires_crossing: true}\n"
        "    internal: {duration: 1, requires_security: international}\n",
        "permits: {",
        "out of the ladder's order",
        "internal -> permits",
    ),
    (
        "  - {id: gate-x, serves: [all], duration: 4}",
        "  - {id: gate-x, serves: [north], duration: 4}",
        "true}",
        "no planned crossing serves zone centre",
        "add centre",
    ),
    (
        "objective:\n  minimize: completion",
        "objective:\n  minimize: population_weighted_time\n  level: residnce",
        "residnce",
        "unknown movement level 'residnce'",
        "did you mean 'residence'?",
    ),
]


def _position(text: str, marker: str) -> tuple[int, int]:
    for n, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return n, line.index(marker) + 1
    raise AssertionError(marker)


@pytest.mark.parametrize(("old", "new", "marker", "fragment", "fix"), SEMANTIC)
def test_semantic_errors(write_plan, tiny_zones, old, new, marker, fragment, fix):
    assert old in TINY_PLAN
    text = TINY_PLAN.replace(old, new, 1)
    issues = _issues(write_plan, tiny_zones, text)
    hit = [i for i in issues if fragment in i.message]
    assert hit, [str(i) for i in issues]
    assert (hit[0].line, hit[0].col) == _position(text, marker), str(hit[0])
    assert fix in hit[0].fix


def test_cycle_is_named_in_plan_terms(write_plan, tiny_zones):
    text = (
        TINY_PLAN.replace(
            "resources:",
            "gates:\n  review:\n    min_duration: 1\n    after:\n      - group: all\n"
            "        movement: permits\nresources:",
        )
        .replace("          lag: 3", "          lag: 3\n        - gate: review")
        .replace(
            "    internal: {duration: 1, requires_security: international}",
            "    internal: {duration: 1, requires_security: palestinian}",
        )
    )
    issues = _issues(write_plan, tiny_zones, text)
    (cyc,) = [i for i in issues if "cycle" in i.message]
    assert "gate review" in cyc.message
    assert "security palestinian" in cyc.message
    assert "movement permits" in cyc.message


def test_repeated_default_problems_are_reported_once(write_plan, tiny_zones):
    issues = _issues(write_plan, tiny_zones, TINY_PLAN.replace("horizon: 60", "horizon: 12"))
    assert len(issues) == 1
    assert "(and 2 more like it)" in issues[0].message


def test_overrides_by_group_and_zone(write_plan, tiny_zones):
    text = TINY_PLAN.replace(
        "security:\n  steps:",
        "zones:\n  groups:\n    west: [north, centre]\n  overrides:\n    west:\n      security:\n"
        "        international: {duration: 4}\n    north:\n      security:\n        international: {duration: 5}\n"
        "security:\n  steps:",
        1,
    )
    p = _compile(write_plan, tiny_zones, text)
    assert p.tasks["north/security/international"].duration == 5  # the zone's own override wins
    assert p.tasks["centre/security/international"].duration == 4
    assert p.tasks["south/security/international"].duration == 2
    bad = text.replace("        international: {duration: 5}", "        international: {duration: -1}")
    (issue,) = _issues(write_plan, tiny_zones, bad)
    assert issue.message == "zones.overrides.north.security.international.duration: -1 is below the minimum of 0"
    assert (issue.line, issue.col) == (15, 35)


@pytest.mark.parametrize(
    ("key", "text", "label"),
    [
        (plan.TaskId.gate("review"), "gate/review", "gate review"),
        (plan.TaskId.gate("second-review"), "gate/second-review", "gate second-review"),
        (plan.TaskId.crossing("gate-x"), "crossing/gate-x", "crossing gate-x"),
        (plan.TaskId("north", "security", "palestinian"), "north/security/palestinian", "north: security palestinian"),
        (
            plan.TaskId("south", "movement", "free_movement"),
            "south/movement/free_movement",
            "south: movement free_movement",
        ),
    ],
)
def test_task_ids_and_labels_come_from_the_key(key, text, label):
    task = plan.Task(key=key, duration=1, earliest=0, latest=None)
    assert str(key) == task.id == text
    assert task.label == label


def test_compiled_ids_are_built_from_keys(write_plan, tiny_zones):
    text = TINY_PLAN.replace(
        "resources:", "gates:\n  review:\n    min_duration: 1\n    after:\n      - crossing: gate-x\nresources:"
    ).replace("          lag: 3", "          lag: 3\n        - gate: review")
    p = _compile(write_plan, tiny_zones, text)
    assert all(tid == str(t.key) for tid, t in p.tasks.items())
    assert p.tasks["gate/review"].key == plan.TaskId.gate("review")
    assert p.tasks["crossing/gate-x"].key == plan.TaskId.crossing("gate-x")
    assert p.tasks["gate/review"].preds[0].tasks == ("crossing/gate-x",)
    pal = p.tasks["centre/security/palestinian"]
    assert [pr.tasks for pr in pal.preds] == [
        ("centre/security/international",),
        ("centre/security/international",),
        ("gate/review",),
    ]
    assert [pr.why for pr in pal.preds] == ["after international", "same zone reaches international", "gate review"]
    assert p.tasks["south/movement/permits"].preds[1].tasks == ("crossing/gate-x",)
