import pytest

from geo import schedule
from geo.errors import UsageError
from geo.schedule import explain


def test_critical_path_slack_and_binding_periods(solved):
    p, s = solved
    exp = explain.explain(p, s)
    assert exp.makespan == 19
    last = exp.critical_path[-1]
    assert last.endswith("/movement/residence")
    zone = last.split("/")[0]
    assert exp.critical_path[0] == f"{zone}/security/international"
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
