"""The Timeline: when each entity reaches each state, read from a tiny hand-built plan and schedule."""

import itertools

import pandas as pd
import pytest

from geo import metrics
from geo.plan import Problem, Task, TaskId
from geo.schedule import Schedule
from geo.timeline import Period, Step, Timeline, month_label

SECURITY = ["idf", "international", "palestinian"]
LEVELS = ["closure", "internal", "free"]
ZONES = ["north", "south", "east"]
HORIZON = 12
ORIGIN = ("plan.yaml", 1, 1)


def tiny(steps: list[tuple[TaskId, int, int]], zones: list[str] = ZONES) -> tuple[Problem, Schedule]:
    """A plan of the given steps ``(key, start, end)``; a step with end < 0 is left out of the schedule."""
    tasks = {str(k): Task(key=k, duration=1, earliest=0, latest=None) for k, _, _ in steps}
    start = {str(k): s for k, s, e in steps if e >= 0}
    end = {str(k): e for k, _, e in steps if e >= 0}
    problem = Problem(
        "tiny", "2030-11", HORIZON, tasks, list(zones), {z: 1 for z in zones}, [(0, 100)], ORIGIN, None, ORIGIN,
        "completion", None, list(SECURITY), list(LEVELS),
    )  # fmt: skip
    return problem, Schedule("optimal", 0, 0, start, end)


def sec(zone: str, state: str) -> TaskId:
    return TaskId(zone, "security", state)


def mov(zone: str, level: str) -> TaskId:
    return TaskId(zone, "movement", level)


#: north goes all the way; south only to international; east has no steps; a crossing opens; a gate passes.
#: Listed out of ladder order, so the ladder, not the task order, decides.
STEPS = [
    (sec("north", "palestinian"), 4, 6),
    (sec("north", "international"), 0, 2),
    (mov("north", "internal"), 2, 3),
    (mov("north", "free"), 8, 9),
    (sec("south", "international"), 1, 5),
    (TaskId("bridge", "crossing", "open"), 0, 7),
    (TaskId("review", "gate", "review"), 1, 3),
]


@pytest.fixture
def tl() -> Timeline:
    return Timeline(*tiny(STEPS))


@pytest.mark.parametrize(
    ("start", "month", "label"),
    [("2027-01", 0, "2027-01"), ("2027-01", 13, "2028-02"), ("2027-11", 2, "2028-01"), ("1999-12", 1, "2000-01")],
)
def test_month_label(start, month, label):
    assert month_label(start, month) == label


def test_every_zone_is_on_the_ladder_tracks_in_the_plans_order(tl):
    assert tl.entities("security") == ZONES
    assert tl.entities("movement") == ZONES
    assert tl.entities("crossing") == ["bridge"]
    assert tl.entities("gate") == ["review"]
    assert tl.entities("no-such-track") == []


def test_reached_is_in_ladder_order_and_only_scheduled_steps(tl):
    assert list(tl.reached("north", "security").items()) == [("international", 2), ("palestinian", 6)]
    assert tl.reached("south", "security") == {"international": 5}
    assert tl.reached("east", "security") == {}
    assert tl.reached("north", "movement") == {"internal": 3, "free": 9}
    assert tl.reached("bridge", "crossing") == {"open": 7}


@pytest.mark.parametrize(
    ("entity", "track", "state", "month"),
    [
        ("north", "security", "palestinian", 6),
        ("south", "security", "palestinian", None),
        ("east", "movement", "internal", None),
        ("bridge", "crossing", "open", 7),
        ("review", "gate", "review", 3),
        ("bridge", "security", "international", None),
    ],
)
def test_month_reached(tl, entity, track, state, month):
    assert tl.month_reached(entity, track, state) == month


def test_completed_is_the_month_an_entitys_last_step_ends(tl):
    assert tl.completed("bridge", "crossing") == 7
    assert tl.completed("review", "gate") == 3
    assert tl.completed("north", "security") == 6
    assert tl.completed("east", "security") is None
    assert tl.completed("nowhere", "crossing") is None


@pytest.mark.parametrize(
    ("zone", "states"),
    [
        ("north", ["idf"] * 2 + ["international"] * 4 + ["palestinian"] * 7),  # a state holds from its end month
        ("south", ["idf"] * 5 + ["international"] * 8),
        ("east", ["idf"] * 13),
    ],
)
def test_state_and_level_at_each_month(tl, zone, states):
    assert [tl.state_at(zone, "security", mo) for mo in range(HORIZON + 1)] == states
    assert [tl.level_at(zone, "security", mo) for mo in range(HORIZON + 1)] == [SECURITY.index(s) for s in states]


@pytest.mark.parametrize("missing", ["international", "internal"])
def test_a_track_stops_at_its_first_unscheduled_step(missing):
    track = "security" if missing == "international" else "movement"
    steps = [(k, s, -1 if k.state == missing and k.entity == "north" else e) for k, s, e in STEPS]
    t = Timeline(*tiny(steps))
    ladder = SECURITY if track == "security" else LEVELS
    assert all(t.state_at("north", track, mo) == ladder[0] for mo in range(HORIZON + 1))
    assert t.periods(track, ["north"]) == [Period("north", track, ladder[0], 0, HORIZON + 1)]
    assert t.month_reached("north", track, missing) is None
    assert missing not in t.reached("north", track)
    assert all(s.key.state != missing or s.key.entity != "north" for s in t.steps())


def test_periods_cover_the_plan_without_gaps(tl):
    got = tl.periods("security", ["north", "south", "east"])
    assert got == [
        Period("north", "security", "idf", 0, 2),
        Period("north", "security", "international", 2, 6),
        Period("north", "security", "palestinian", 6, HORIZON + 1),
        Period("south", "security", "idf", 0, 5),
        Period("south", "security", "international", 5, HORIZON + 1),
        Period("east", "security", "idf", 0, HORIZON + 1),
    ]
    every = tl.periods()
    assert [p.track for p in every] == ["security"] * 6 + ["movement"] * 5
    for zone in ZONES:
        for track in ("security", "movement"):
            mine = [p for p in every if p.entity == zone and p.track == track]
            assert mine[0].start == 0 and mine[-1].end == HORIZON + 1
            assert all(a.end == b.start for a, b in itertools.pairwise(mine))


@pytest.mark.parametrize("order", [["east", "north"], ["south"], []])
def test_periods_follow_the_entities_order_given(tl, order):
    got = tl.periods("security", order)
    assert list(dict.fromkeys(p.entity for p in got)) == order
    assert got == [p for zone in order for p in tl.periods("security", [zone])]


def test_steps_are_the_scheduled_tasks_in_plan_order(tl):
    steps = tl.steps()
    assert [s.key for s in steps] == [k for k, _, _ in STEPS]
    assert steps[0] == Step("north/security/palestinian", sec("north", "palestinian"), "north", 4, 6)
    assert [s.zone for s in steps[-2:]] == [None, None]  # a crossing and a gate belong to no zone
    assert [s.id for s in steps[-2:]] == ["crossing/bridge", "gate/review"]


@pytest.mark.parametrize(
    ("track", "state", "before"),
    [
        ("security", "international", "idf"),
        ("security", "palestinian", "international"),
        ("movement", "free", "internal"),
        ("security", "idf", None),
        ("crossing", "open", None),
        ("security", "unknown", None),
    ],
)
def test_previous_state(tl, track, state, before):
    assert tl.previous(track, state) == before


def test_an_entity_that_is_not_a_zone_can_own_ladder_steps():
    steps = [*STEPS, (sec("corridor", "international"), 0, 4)]
    t = Timeline(*tiny(steps))
    assert t.entities("security") == [*ZONES, "corridor"]
    assert t.state_at("corridor", "security", 4) == "international"
    assert [p.state for p in t.periods("security") if p.entity == "corridor"] == ["idf", "international"]


@pytest.mark.parametrize("zones", [["b/c", "a"], ["crossing", "x"], ["z"]])
def test_ids_are_never_split(zones):
    steps = [(sec(z, "international"), 0, k + 1) for k, z in enumerate(zones)]
    t = Timeline(*tiny([*steps, (TaskId("y/z", "crossing", "open"), 0, 2)], zones))
    assert t.entities("security") == zones
    assert [t.month_reached(z, "security", "international") for z in zones] == list(range(1, len(zones) + 1))
    assert t.entities("crossing") == ["y/z"] and t.completed("y/z", "crossing") == 2


def test_labels_count_from_the_plans_start(tl):
    assert [tl.label(m) for m in (0, 1, 2, 14)] == ["2030-11", "2030-12", "2031-01", "2032-01"]


# -- the tables read the timeline --------------------------------------------------------------------------------
ZONE_TABLE = pd.DataFrame(
    {"zone_id": ZONES, "area_km2": [1.0, 2.0, 4.0], "population": [10, 20, 40], "settlers": [1, 0, 0]}
)


def test_the_state_table_is_the_timeline_month_by_month():
    p, s = tiny(STEPS)
    tl = Timeline(p, s)
    table = metrics.state_table(p, s, tl)
    assert list(table["zone"].drop_duplicates()) == ZONES
    for row in table.itertuples():
        assert row.security == tl.state_at(row.zone, "security", row.month)
        assert row.movement == tl.state_at(row.zone, "movement", row.month)
        assert row.date == tl.label(row.month)
    assert table.equals(metrics.state_table(p, s))  # the same whether the caller hands its timeline or not


def test_the_schedule_table_lists_each_step_with_the_state_it_leaves():
    p, s = tiny(STEPS)
    table = metrics.schedule_table(p, s).set_index("task")
    assert list(table.index) == sorted(table.index, key=lambda t: (s.start[t], s.end[t], t))
    assert table.loc["north/security/palestinian", "from"] == "international"
    assert table.loc["north/movement/free", "from"] == "internal"
    assert pd.isna(table.loc["crossing/bridge", "from"]) and pd.isna(table.loc["crossing/bridge", "zone"])
    assert table.loc["gate/review", "end_date"] == "2031-02"


@pytest.mark.parametrize("month", [0, 3, 6, 9, HORIZON])
def test_the_metrics_count_what_the_timeline_says(month):
    p, s = tiny(STEPS)
    tl = Timeline(p, s)
    row = metrics.monthly_metrics(p, s, ZONE_TABLE, timeline=tl).set_index("month").loc[month]
    area = dict(zip(ZONES, [1.0, 2.0, 4.0], strict=True))
    pop = dict(zip(ZONES, [10, 20, 40], strict=True))
    for st in SECURITY:
        assert row[f"area_km2_{st}"] == sum(area[z] for z in ZONES if tl.state_at(z, "security", month) == st)
    for lv in LEVELS:
        assert row[f"population_{lv}"] == sum(pop[z] for z in ZONES if tl.state_at(z, "movement", month) == lv)
    assert row["crossings_open"] == int(month >= 7)
