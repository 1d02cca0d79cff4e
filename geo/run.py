"""Running a plan end to end: load it, check it against the layers, schedule it, compute its metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import layers, metrics, plan, schedule
from .plan import LoadedPlan, Problem
from .schedule import Schedule
from .workspace import Workspace

__all__ = ["PlanRun", "plan_path", "run_plan"]


@dataclass
class PlanRun:
    """A scheduled plan with everything derived from it."""

    path: Path
    loaded: LoadedPlan
    layers: dict[str, gpd.GeoDataFrame]
    problem: Problem
    schedule: Schedule
    metrics: pd.DataFrame

    @property
    def name(self) -> str:
        """The plan's title."""
        return self.loaded.plan.meta.name

    def input_files(self, ws: Workspace) -> list[Path]:
        """The plan file(s) it was read from, then the layer files: what its outputs depend on."""
        plans = sorted({Path(f).resolve() for f, _, _ in self.loaded.origins.values()} | {self.path.resolve()})
        return plans + [ws.layers / f"{name}.geojson" for name in self.layers]


def plan_path(ws: Workspace, name: str) -> Path:
    """A plan given as a path, or as a name in the workspace's ``plans/`` (with or without ``.yaml``)."""
    p = Path(name)
    if p.is_file():
        return p
    for cand in (ws.plans / name, ws.plans / f"{name}.yaml"):
        if cand.is_file():
            return cand
    return p  # the loader reports it as not found


def run_plan(
    ws: Workspace, name: str, budget: float | None = None, progress: Callable[[str], None] | None = None
) -> PlanRun:
    """Load, check, schedule and measure a plan of the workspace.

    Raises
    ------
    PlanError
        If the plan is invalid or infeasible.
    """
    path = plan_path(ws, name)
    lp = plan.load(path)
    loaded = layers.load_all(ws.root)
    problem = plan.compile_plan(lp, loaded["zones"], set(loaded["crossings"]["crossing_id"]))
    sched = schedule.solve(
        problem, budget if budget is not None else schedule.DEFAULT_DETERMINISTIC_TIME, progress=progress
    )
    table = metrics.monthly_metrics(problem, sched, loaded["zones"], loaded["obstacles"])
    return PlanRun(path, lp, loaded, problem, sched, table)
