"""Running a plan: from the workspace's layer files or from layers already in memory; one timeline per run."""

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_PLAN, TINY_ZONES

from geo import layers as layer_files
from geo import metrics
from geo import run as run_module
from geo.errors import LayerError, PlanError
from geo.plan import load
from geo.run import PlanRun, run_loaded, run_plan
from geo.schedule import Schedule
from geo.timeline import Timeline
from geo.workspace import Workspace

BUDGET = 0.5


def tiny_layers(zones: pd.DataFrame = TINY_ZONES, obstacles: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The tiny plan's layers, in memory: its zones, its one crossing and, optionally, obstacles."""
    ly = {"zones": zones.copy(), "crossings": pd.DataFrame({"crossing_id": ["gate-x"]})}
    if obstacles is not None:
        ly["obstacles"] = obstacles
    return ly


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """A workspace holding the tiny plan and no layer files at all."""
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "tiny.yaml").write_text(TINY_PLAN, encoding="utf-8")
    return Workspace(tmp_path)


@pytest.fixture
def no_layer_files(monkeypatch):
    """Fail the test if the run reads the workspace's layer files."""

    def refuse(*args, **kwargs):
        raise AssertionError("the layers in memory must be used, not the workspace's files")

    monkeypatch.setattr(layer_files, "load_all", refuse)


# -- layers in memory --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["tiny", "tiny.yaml", "{plans}/tiny.yaml"])
def test_run_plan_takes_layers_in_memory(ws, no_layer_files, name):
    ly = tiny_layers()
    run = run_plan(ws, name.format(plans=ws.plans), BUDGET, layers=ly)
    assert run.path.resolve() == ws.plans / "tiny.yaml"
    assert run.layers == ly
    assert run.problem.zones == list(TINY_ZONES["zone_id"])
    pop = sum(run.metrics[f"population_{lv}"] for lv in run.problem.movement_levels)
    assert (pop == TINY_ZONES["population"].sum()).all()


@pytest.mark.parametrize("factor", [2, 7])
def test_the_layers_in_memory_are_what_the_metrics_count(ws, no_layer_files, factor):
    zones = TINY_ZONES.assign(population=TINY_ZONES["population"] * factor, area_km2=TINY_ZONES["area_km2"] * 3)
    run = run_plan(ws, "tiny", BUDGET, layers=tiny_layers(zones))
    last = run.metrics.iloc[-1]
    assert last["population_residence"] == factor * TINY_ZONES["population"].sum()
    assert last["area_km2_palestinian"] == 3 * TINY_ZONES["area_km2"].sum()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_obstacles_in_memory_are_counted(ws, no_layer_files, count):
    obstacles = pd.DataFrame({"zone_id": ["north"] * count})
    run = run_plan(ws, "tiny", BUDGET, layers=tiny_layers(obstacles=obstacles))
    assert (run.metrics["obstacles_total"] == count).all()
    assert run.metrics["obstacles_removed"].iloc[-1] == count


def test_run_loaded_is_run_plan_without_a_workspace(ws, no_layer_files):
    a = run_loaded(ws.plans / "tiny.yaml", tiny_layers(), BUDGET)
    b = run_plan(ws, "tiny", BUDGET, layers=tiny_layers())
    assert (a.schedule.start, a.schedule.end) == (b.schedule.start, b.schedule.end)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


@pytest.mark.parametrize("missing", [["zones"], ["crossings"], ["zones", "crossings"]])
def test_layers_in_memory_without_zones_or_crossings_are_refused(ws, missing):
    ly = {k: v for k, v in tiny_layers().items() if k not in missing}
    with pytest.raises(LayerError, match=f"the layers given lack {', '.join(missing)}; pass at least"):
        run_loaded(ws.plans / "tiny.yaml", ly, BUDGET)


@pytest.mark.parametrize(
    "text",
    ["meta: {name: a}\nmeta: {name: b}\n", "- a list\n", TINY_PLAN.replace("horizon: 60", "horizon: sixty")],
    ids=["duplicate-key", "not-a-mapping", "bad-value"],
)
def test_a_broken_plan_is_reported_before_any_layer_is_read(ws, monkeypatch, text):
    (ws.plans / "broken.yaml").write_text(text, encoding="utf-8")

    def broken_layers(*args, **kwargs):
        raise LayerError("layers/zones.geojson: broken")

    monkeypatch.setattr(layer_files, "load_all", broken_layers)
    with pytest.raises(PlanError, match=r"broken\.yaml:"):
        run_plan(ws, "broken", BUDGET)


# -- one timeline per run ----------------------------------------------------------------------------------------
def test_a_run_builds_its_timeline_once_and_its_metrics_read_it(ws, monkeypatch):
    built: list[Timeline] = []

    class Counted(Timeline):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(run_module, "Timeline", Counted)
    run = run_loaded(ws.plans / "tiny.yaml", tiny_layers(), BUDGET)
    assert built == [run.timeline]
    expected = metrics.monthly_metrics(run.problem, run.schedule, TINY_ZONES, timeline=run.timeline)
    pd.testing.assert_frame_equal(run.metrics, expected)


def shifted(s: Schedule, months: int) -> Schedule:
    """``s`` with every task ``months`` later."""
    return dataclasses.replace(
        s, start={t: m + months for t, m in s.start.items()}, end={t: m + months for t, m in s.end.items()}
    )


@pytest.mark.parametrize("months", [1, 4])
def test_a_run_with_another_schedule_gets_that_schedules_timeline(ws, months):
    run = run_loaded(ws.plans / "tiny.yaml", tiny_layers(), BUDGET)
    later = dataclasses.replace(run, schedule=shifted(run.schedule, months))
    assert later.timeline is not run.timeline
    for z in run.problem.zones:
        for st, m in run.timeline.reached(z, "security").items():
            assert later.timeline.month_reached(z, "security", st) == m + months
    assert later.timeline.completed("gate-x", "crossing") == run.timeline.completed("gate-x", "crossing") + months


def test_a_run_made_by_hand_describes_its_own_schedule(ws):
    base = run_loaded(ws.plans / "tiny.yaml", tiny_layers(), BUDGET)
    lp = load(ws.plans / "tiny.yaml")
    by_hand = PlanRun(base.path, lp, {}, base.problem, shifted(base.schedule, 2), pd.DataFrame())
    assert by_hand.timeline.entities("crossing") == ["gate-x"]
    assert by_hand.timeline.completed("gate-x", "crossing") == base.timeline.completed("gate-x", "crossing") + 2
