"""Running a plan end to end: load it, check it against the layers, schedule it, compute its metrics.

:func:`run_plan` runs a plan of a workspace against the workspace's layers; :func:`run_loaded` runs a plan file
against layers already in memory (a test's variant of a layer, a benchmark's generated zones), so nothing else
re-writes the pipeline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import InitVar, dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import border as borders
from . import cache, metrics, plan, schedule
from . import layers as layer_files
from .errors import LayerError
from .plan import LoadedPlan, Problem
from .schedule import Schedule
from .timeline import Timeline
from .workspace import Workspace

__all__ = ["PlanRun", "build_date", "digest", "layer_refs", "plan_path", "run_loaded", "run_plan"]

#: The layers a plan is checked against.
_REQUIRED = ("zones", "crossings")


def build_date() -> str:
    """Build date (YYYY-MM-DD): ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%d")


def digest(paths: Sequence[Path]) -> str:
    """First 12 hex digits of a SHA-256 over the given files (plan, its defaults, the layers).

    Every output records it, so a map, an export or an atlas can be traced to the exact inputs it was made from.
    """
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(Path(p).read_bytes())
    return h.hexdigest()[:12]


@dataclass
class PlanRun:
    """A scheduled plan with everything derived from it.

    Its :attr:`timeline` (when each zone and crossing reaches each state) is built once, when the run is made,
    and every output reads it.  ``known_timeline`` hands in the one already built for the metrics; without it
    the timeline is built from ``problem`` and ``schedule`` (and built again by :func:`dataclasses.replace`, so
    it always describes this run's schedule).
    """

    path: Path
    loaded: LoadedPlan
    layers: dict[str, gpd.GeoDataFrame]
    problem: Problem
    schedule: Schedule
    metrics: pd.DataFrame
    known_timeline: InitVar[Timeline | None] = None
    border: borders.BorderResult | None = None
    border_path: Path | None = None
    timeline: Timeline = field(init=False, repr=False, compare=False)

    def __post_init__(self, known_timeline: Timeline | None) -> None:
        self.timeline = known_timeline if known_timeline is not None else Timeline(self.problem, self.schedule)

    @property
    def name(self) -> str:
        """The plan's title."""
        return self.loaded.plan.meta.name

    def digest(self, ws: Workspace) -> str:
        """The hash of :meth:`input_files`, recorded by every output of this run."""
        return digest(self.input_files(ws))

    def input_files(self, ws: Workspace) -> list[Path]:
        """The plan file(s) it was read from, then the layer files: what its outputs depend on.

        The layer files are the workspace's files of the run's layer names: for a run made from layers in
        memory (:func:`run_loaded`), those files are not what it read.
        """
        plans = sorted({Path(f).resolve() for f, _, _ in self.loaded.origins.values()} | {self.path.resolve()})
        scenario = [self.border_path.resolve()] if self.border_path is not None else []
        return plans + scenario + [ws.layers / f"{name}.geojson" for name in self.layers]


def layer_refs(layers: Mapping[str, pd.DataFrame]) -> plan.LayerRefs:
    """What a plan may name from ``layers`` besides zones and crossings (see :meth:`geo.plan.LayerRefs.of`)."""
    return plan.LayerRefs.of(layers)


def plan_path(ws: Workspace, name: str) -> Path:
    """A plan given as a path, or as a name in the workspace's ``plans/`` (see :meth:`Workspace.plan_path`)."""
    return ws.plan_path(name)


def run_loaded(
    path: Path | str,
    layers: Mapping[str, gpd.GeoDataFrame],
    budget: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> PlanRun:
    """Load, check, schedule and measure the plan file ``path`` against layers already in memory.

    Parameters
    ----------
    path : path
        The plan file.
    layers : mapping of str to GeoDataFrame
        The layers by name: ``zones`` and ``crossings`` are required (the plan is checked against them),
        ``obstacles`` is counted in the metrics when present.
    budget : float, optional
        The solver's deterministic work budget (default :data:`geo.schedule.DEFAULT_DETERMINISTIC_TIME`).
    progress : callable, optional
        Called with a line of text as the solver improves its schedule.

    Returns
    -------
    PlanRun

    Raises
    ------
    PlanError
        If the plan is invalid or infeasible.
    LayerError
        If ``layers`` lacks the zones or the crossings.
    """
    return _run(Path(path), plan.load(path), layers, budget, progress)


def _run(  # noqa: PLR0917 - the private runner behind both entry points
    path: Path,
    lp: LoadedPlan,
    layers: Mapping[str, gpd.GeoDataFrame],
    budget: float | None,
    progress: Callable[[str], None] | None,
    cache_root: Path | None = None,
    layer_dir: Path | None = None,
    stop: threading.Event | None = None,
) -> PlanRun:
    ly = dict(layers)
    missing = [name for name in _REQUIRED if name not in ly]
    if missing:
        raise LayerError(
            f"the layers given lack {', '.join(missing)}; pass at least {' and '.join(_REQUIRED)} "
            "(geo.layers.load_all gives every layer)"
        )
    computed = None
    if cache_root is not None and layer_dir is not None:  # the layers are the workspace's files: a border can be kept

        def computed(scenario_path: Path) -> borders.BorderResult:
            fresh = lambda: borders.compute(borders.load_scenario(scenario_path), ly)  # noqa: E731
            return cache.border(cache_root, scenario_path, layer_dir, fresh)

    ly, bordered, scenario = borders.planning_layers(lp, ly, computed)
    problem = plan.compile_plan(lp, ly["zones"], set(ly["crossings"]["crossing_id"]), layer_refs(ly))
    units = budget if budget is not None else schedule.DEFAULT_DETERMINISTIC_TIME
    sched = cache.load(cache_root, problem, units) if cache_root is not None else None
    if sched is None:
        # after an edit, the plan's last schedule seeds the solver (a warm start); the solver checks it first
        hint = cache.last_starts(cache_root, path) if cache_root is not None else None
        sched = schedule.solve(problem, units, progress=progress, hint=hint, stop=stop)
        if cache_root is not None:
            cache.store(cache_root, problem, units, sched, path)
    timeline = Timeline(problem, sched)
    table = metrics.monthly_metrics(problem, sched, ly["zones"], ly.get("obstacles"), timeline=timeline, layers=ly)
    return PlanRun(path, lp, ly, problem, sched, table, timeline, bordered, scenario)


def run_plan(
    ws: Workspace,
    name: str,
    budget: float | None = None,
    progress: Callable[[str], None] | None = None,
    layers: Mapping[str, gpd.GeoDataFrame] | None = None,
    *,
    use_cache: bool = True,
    stop: threading.Event | None = None,
) -> PlanRun:
    """Load, check, schedule and measure a plan of the workspace.

    A schedule solved before for the same compiled plan, solver and budget is read from the workspace's
    schedule cache (:mod:`geo.cache`) instead of solved again; ``use_cache=False`` solves regardless (and
    stores nothing).

    Parameters
    ----------
    ws : Workspace
        Where the plan (given by name) and the layers are.
    name : str
        A plan path, or a plan's name in the workspace's ``plans/``.
    budget, progress
        As for :func:`run_loaded`.
    layers : mapping of str to GeoDataFrame, optional
        Layers already in memory, used instead of the workspace's layer files.
    stop : threading.Event, optional
        Set from another thread to stop a solve (:class:`geo.schedule.SolveStopped` is raised).

    Returns
    -------
    PlanRun

    Raises
    ------
    PlanError
        If the plan is invalid or infeasible.
    LayerError
        If a layer file of the workspace is broken.
    """
    path = ws.plan_path(name)
    lp = plan.load(path)  # a broken plan is reported before the layers are read, as it always was
    ly = layers if layers is not None else layer_files.load_all(ws.root)
    files = ws.layers if layers is None else None  # a border computed from the files can be cached by their bytes
    return _run(path, lp, ly, budget, progress, ws.root if use_cache else None, files, stop)
