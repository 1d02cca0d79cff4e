import itertools

import pytest

from geo import schedule
from geo.errors import UsageError
from geo.plan import TaskId
from geo.schedule import explain


def test_critical_path_slack_and_binding_periods(solved):
    p, s = solved
    exp = explain.explain(p, s)
    assert exp.makespan == 19
    last = p.tasks[exp.critical_path[-1]].key
    assert (last.track, last.state) == ("movement", "residence")
    assert exp.critical_path[0] == str(TaskId(last.entity, "security", "international"))
    assert all(exp.slack[t] == 0 for t in exp.critical_path)
    assert min(exp.slack.values()) == 0
    assert exp.slack["crossing/gate-x"] > 0
    assert explain.Period("troops", 4, 5) in exp.binding


def test_what_if_lists_what_moves(solved):
    p, s = solved
    new, moved = explain.what_if(p, s, "crossing gate-x", 4)
    tasks_moved = {t for t, _, _ in moved}
    assert "crossing/gate-x" in tasks_moved
    first = min(p.zones, key=lambda z: s.start[f"{z}/security/international"])
    assert f"{first}/movement/permits" in tasks_moved
    assert all(b > a for t, a, b in moved if t.endswith("permits"))
    assert schedule.check_schedule(p, new) == []
    assert "north/security/international" not in tasks_moved  # unrelated handovers stay put


def test_unknown_task(solved):
    p, s = solved
    with pytest.raises(UsageError, match="no task or gate named 'gate/nope'"):
        explain.what_if(p, s, "gate/nope", 2)


def test_critical_path_links_each_task_to_the_precondition_that_fixed_its_start(solved):
    p, s = solved
    path = explain.explain(p, s).critical_path
    for prev, nxt in itertools.pairwise(path):
        lags = [pr.lag for pr in p.tasks[nxt].preds if prev in pr.tasks]
        assert any(s.end[prev] + lag == s.start[nxt] for lag in lags)
    assert s.end[path[-1]] == s.makespan


@pytest.mark.parametrize(
    ("name", "tid"),
    [
        ("crossing gate-x", "crossing/gate-x"),
        ("crossing/gate-x", "crossing/gate-x"),
        ("  crossing/gate-x ", "crossing/gate-x"),
        ("crossing gate-x ", "crossing/gate-x"),
        ("north/security/international", "north/security/international"),
        (" south/movement/permits", "south/movement/permits"),
    ],
)
def test_tasks_are_found_by_id_or_by_track_and_name(tiny_problem, name, tid):
    assert explain.resolve_task(tiny_problem, name) == tid


@pytest.mark.parametrize(
    "name",
    ["gate gate-x", "crossing north", "crossing  gate-x", "crossing", "north security international", "gate/x", ""],
)
def test_names_that_are_no_task(tiny_problem, name):
    with pytest.raises(UsageError, match="no task or gate named"):
        explain.resolve_task(tiny_problem, name)


@pytest.mark.parametrize(
    ("typo", "suggested"),
    [
        ("north/security/internatonal", "north/security/international"),
        ("crossing/gate-y", "crossing/gate-x"),
        ("centre/movement/permit", "centre/movement/permits"),
    ],
)
def test_an_unknown_task_suggests_ids_of_this_plan(solved, typo, suggested):
    p, s = solved
    with pytest.raises(UsageError) as err:
        explain.what_if(p, s, typo, 1)
    assert repr(suggested) in str(err.value)
    assert "jenin-a" not in str(err.value)  # examples come from this plan, not a fixed text
