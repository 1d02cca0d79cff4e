"""The schedule cache: hit on an unchanged plan, missed on any change that decides the schedule, never trusted."""

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_PLAN, TINY_ZONES

from geo import cache
from geo import run as run_module
from geo.run import run_plan
from geo.workspace import Workspace

BUDGET = 0.5


def tiny_layers(zones: pd.DataFrame = TINY_ZONES) -> dict[str, pd.DataFrame]:
    return {"zones": zones.copy(), "crossings": pd.DataFrame({"crossing_id": ["gate-x"]})}


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    (tmp_path / "plans").mkdir()
    (tmp_path / "layers").mkdir()
    (tmp_path / "plans" / "base.yaml").write_text(TINY_PLAN, encoding="utf-8")
    (tmp_path / "plans" / "tiny.yaml").write_text(
        'extends: base.yaml\nmeta: {name: tiny, start: "2030-01"}\n', encoding="utf-8"
    )
    return Workspace(tmp_path)


@pytest.fixture
def solves(monkeypatch):
    """Count the solver's runs."""
    count = []
    real = run_module.schedule.solve

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module.schedule, "solve", counting)
    return count


def entries(ws: Workspace) -> list[Path]:
    return sorted((ws.root / cache.FOLDER).glob("*.json"))


def test_a_second_run_of_an_unchanged_plan_reads_the_cache(ws, solves):
    a = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    b = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    assert len(solves) == 1 and len(entries(ws)) == 1
    assert (a.schedule.start, a.schedule.end, a.schedule.status) == (
        b.schedule.start,
        b.schedule.end,
        b.schedule.status,
    )
    run_plan(ws, "tiny", BUDGET, layers=tiny_layers(), use_cache=False)
    assert len(solves) == 2


@pytest.mark.parametrize(
    "change",
    ["plan", "extended file", "layer", "budget"],
)
def test_any_change_that_decides_the_schedule_misses_the_cache(ws, solves, change):
    run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    zones, budget = TINY_ZONES, BUDGET
    if change == "plan":
        p = ws.plans / "tiny.yaml"
        p.write_text(p.read_text(encoding="utf-8") + "horizon: 50\n", encoding="utf-8")
    elif change == "extended file":
        p = ws.plans / "base.yaml"
        p.write_text(p.read_text(encoding="utf-8").replace("duration: 2\n", "duration: 3\n", 1), encoding="utf-8")
    elif change == "layer":
        zones = TINY_ZONES.assign(population=TINY_ZONES["population"] + 1)
    else:
        budget = BUDGET * 2
    run_plan(ws, "tiny", budget, layers=tiny_layers(zones))
    assert len(solves) == 2 and len(entries(ws)) == 2


@pytest.mark.parametrize(
    "spoil",
    [
        lambda doc: "not json {",
        lambda doc: json.dumps({**doc, "format": 99}),
        lambda doc: json.dumps({**doc, "start": {k: v + 1 for k, v in doc["start"].items()}}),
        lambda doc: json.dumps({**doc, "end": dict(list(doc["end"].items())[1:])}),
        lambda doc: json.dumps({**doc, "objective": "lots"}),
        lambda doc: json.dumps([doc]),
    ],
    ids=["corrupt", "other-format", "moved-starts", "missing-task", "bad-value", "not-a-mapping"],
)
def test_an_entry_not_to_be_trusted_is_ignored_and_rebuilt(ws, solves, spoil):
    first = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    (entry,) = entries(ws)
    entry.write_text(spoil(json.loads(entry.read_text(encoding="utf-8"))), encoding="utf-8")
    again = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    assert len(solves) == 2
    assert again.schedule.start == first.schedule.start
    assert json.loads(entry.read_text(encoding="utf-8"))["format"] == cache.FORMAT  # rebuilt


def test_a_cache_that_cannot_be_written_fails_nothing(ws, solves):
    (ws.root / ".landplan").write_text("a file where the cache's folder would go", encoding="utf-8")
    run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    assert len(solves) == 2


def test_the_last_schedule_of_a_plan_is_kept_for_its_next_solve_and_a_bad_one_costs_nothing(ws, solves):
    first = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    assert cache.last_starts(ws.root, ws.plans / "tiny.yaml") == first.schedule.start
    p = ws.plans / "tiny.yaml"
    p.write_text(p.read_text(encoding="utf-8") + "horizon: 50\n", encoding="utf-8")
    run_plan(ws, "tiny", BUDGET, layers=tiny_layers())  # a miss, seeded by the last schedule
    assert len(solves) == 2
    for last in (ws.root / cache.FOLDER / "last").glob("*.json"):
        last.write_text("[not, a, schedule", encoding="utf-8")
    assert cache.last_starts(ws.root, ws.plans / "tiny.yaml") is None
    p.write_text(p.read_text(encoding="utf-8").replace("horizon: 50", "horizon: 40"), encoding="utf-8")
    assert run_plan(ws, "tiny", BUDGET, layers=tiny_layers()).schedule.status in ("optimal", "feasible")


def test_a_warm_start_better_than_the_greedy_schedule_seeds_the_search():
    from geo import border, layers, plan, schedule
    from geo.schedule import cpsat
    from geo.schedule.greedy import greedy
    from geo.schedule.verify import objective_value

    root = Path(__file__).resolve().parent.parent
    ly = layers.load_all(root)
    lp = plan.load(root / "plans" / "reference.yaml")
    inside, _, _ = border.planning_layers(lp, ly)
    problem = plan.compile_plan(lp, inside["zones"], set(inside["crossings"]["crossing_id"]), run_module.layer_refs(ly))
    earlier = schedule.solve(problem, 0.5)  # a short search already beats the greedy schedule
    assert earlier.objective < greedy(problem).objective
    first, warm = cpsat._start_hint(problem, earlier.start)
    assert warm and first is not None
    ends = {t: s + problem.tasks[t].duration for t, s in first.items()}
    assert objective_value(problem, ends) <= earlier.objective
    stale = {t: 0 for t in problem.tasks}  # every task at month 0: not a schedule of this plan
    assert cpsat._start_hint(problem, stale)[1] is False
    assert cpsat._start_hint(problem, {"no-such-task": 3})[1] is False


def test_a_border_is_kept_by_its_scenario_and_layer_files_and_a_bad_entry_is_computed_again(tmp_path):
    from geo import border, cli, layers

    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    scenario = ws / "plans" / "borders" / "geneva.yaml"
    ly = {n: layers.load(n, ws) for n in border.NEEDED}
    computed = []

    def fresh():
        computed.append(1)
        return border.compute(border.load_scenario(scenario), ly)

    a = cache.border(ws, scenario, ws / "layers", fresh)
    b = cache.border(ws, scenario, ws / "layers", fresh)
    assert len(computed) == 1
    assert b.figures == a.figures and b.annexed.equals(a.annexed) and b.denominators.equals(a.denominators)
    (entry,) = (ws / cache.FOLDER / "borders").glob("*.json")
    entry.write_text(entry.read_text(encoding="utf-8").replace('"annexed": "', '"annexed": "00'), encoding="utf-8")
    cache.border(ws, scenario, ws / "layers", fresh)
    assert len(computed) == 2  # a broken shape is never trusted
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("buffer_m: 400", "buffer_m: 350"), "utf-8")
    cache.border(ws, scenario, ws / "layers", fresh)
    assert len(computed) == 3  # an edited scenario misses
