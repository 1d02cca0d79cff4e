"""The schedule cache: a solved plan is kept in the workspace, so the next command on it need not solve again.

Every command that needs a schedule (``plan schedule``, ``metrics``, ``explain``, ``summary``, ``map``,
``export``, ``atlas``, ``diff``) solved the plan anew: about half a minute for the reference plan.  A schedule
is a deterministic function of the compiled problem, the solver's version and its work budget, so it is stored
under a hash of exactly those (:func:`key`).  The compiled problem holds everything that decides the schedule:
the plan, every file it extends and every layer value it reads; an edit to any of them changes the problem,
hence the key.

An entry is never trusted: one that cannot be read, was written by another version of this format, or does not
pass :func:`geo.schedule.check_schedule` against the problem is ignored and replaced.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import shapely

from . import __version__
from . import border as borders
from .errors import LandplanError
from .files import atomic_write
from .plan import Problem
from .schedule import Schedule, check_schedule

__all__ = ["FOLDER", "FORMAT", "border", "key", "last_starts", "load", "store"]

log = logging.getLogger(__name__)

#: Where the cache lives, under the workspace's root (git-ignored).
FOLDER = Path(".landplan") / "schedules"
#: The entries' format; an entry of another format is ignored.
FORMAT = 3  # 2: the second phase is a left shift; 3: the time-indexed relaxation, the part searched, priority greedy


def _solver_version() -> str:
    return importlib.metadata.version("ortools")


def key(problem: Problem, budget: float) -> str:
    """The hash of everything that decides a schedule: the compiled problem, the solver and its budget.

    Parameters
    ----------
    problem : Problem
        The compiled plan (plan, extended files and layers as they bear on it).
    budget : float
        The solver's deterministic work budget.

    Returns
    -------
    str
        64 hex digits.
    """
    doc = {
        "problem": _plain(dataclasses.asdict(problem)),
        "budget": budget,
        "solver": _solver_version(),
        "landplan": __version__,
        "format": FORMAT,
    }
    text = json.dumps(doc, sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """``value`` with every mapping key a string (the problem keys some mappings by tuples), for JSON."""
    if isinstance(value, dict):
        return {repr(k) if not isinstance(k, str) else k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _entry(root: Path, k: str) -> Path:
    return root / FOLDER / f"{k}.json"


def load(root: Path, problem: Problem, budget: float) -> Schedule | None:
    """The cached schedule of ``problem``, or None (no entry, or one not to be trusted).

    Parameters
    ----------
    root : Path
        The workspace's root.
    problem : Problem
        The compiled plan.
    budget : float
        The solver's budget.

    Returns
    -------
    Schedule or None
    """
    path = _entry(root, key(problem, budget))
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.info("ignoring the unreadable schedule cache entry %s: %s", path, exc)
        return None
    sched = _schedule(doc)
    tasks = set(problem.tasks)
    if sched is None or set(sched.start) != tasks or set(sched.end) != tasks or check_schedule(problem, sched):
        log.info("ignoring the schedule cache entry %s: not a schedule of this plan", path)
        return None
    return sched


def _schedule(doc: Any) -> Schedule | None:
    """A schedule from an entry's data, or None when the data is not one of this format."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    try:
        start = {str(k): int(v) for k, v in doc["start"].items()}
        end = {str(k): int(v) for k, v in doc["end"].items()}
        return Schedule(
            status=str(doc["status"]),
            objective=int(doc["objective"]),
            bound=int(doc["bound"]),
            start=start,
            end=end,
            wall_seconds=float(doc["wall_seconds"]),
            deterministic_time=float(doc["deterministic_time"]),
            extra={str(k): int(v) for k, v in doc.get("extra", {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _last(root: Path, plan_path: Path) -> Path:
    """Where the last schedule of a plan file is kept (by the hash of its resolved path)."""
    name = hashlib.sha256(str(Path(plan_path).resolve()).encode("utf-8")).hexdigest()
    return root / FOLDER / "last" / f"{name}.json"


def last_starts(root: Path, plan_path: Path) -> dict[str, int] | None:
    """The start months of the last schedule solved for a plan file, to seed the next solve after an edit.

    Only a hint: the solver checks it against the edited plan and falls back to its own start when it does not
    fit, so an entry of another plan or a corrupt one costs nothing. None when there is none to read.

    Parameters
    ----------
    root : Path
        The workspace's root.
    plan_path : Path
        The plan file.

    Returns
    -------
    dict of str to int, or None
    """
    path = _last(root, plan_path)
    try:
        doc: Any = json.loads(path.read_text(encoding="utf-8"))
        starts = doc["start"] if isinstance(doc, dict) and doc.get("format") == FORMAT else None
        return {str(k): int(v) for k, v in starts.items()} if isinstance(starts, dict) else None
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.info("ignoring the unreadable last schedule %s: %s", path, exc)
        return None


def store(root: Path, problem: Problem, budget: float, sched: Schedule, plan_path: Path | None = None) -> None:
    """Keep ``sched`` for ``problem``; a cache that cannot be written is logged, never an error.

    Parameters
    ----------
    root : Path
        The workspace's root.
    problem : Problem
        The compiled plan.
    budget : float
        The solver's budget.
    sched : Schedule
        Its schedule.
    plan_path : Path, optional
        The plan file: its last schedule is also kept under it, to seed the solve after its next edit.
    """
    doc = {"format": FORMAT, **dataclasses.asdict(sched)}
    text = json.dumps(doc, sort_keys=True).encode("utf-8")
    paths = [_entry(root, key(problem, budget))] + ([_last(root, plan_path)] if plan_path is not None else [])
    for path in paths:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
        except (OSError, LandplanError) as exc:  # a cache is an optimisation: failing to keep one fails nothing
            log.info("could not keep the schedule in the cache (%s): %s", path, exc)


def _border_key(scenario: Path, layer_dir: Path) -> str:
    """The hash of what decides a border: the scenario file, the layer files it reads, landplan's version."""
    h = hashlib.sha256(f"{FORMAT}:{__version__}".encode())
    for path in [scenario, *(layer_dir / f"{name}.geojson" for name in borders.NEEDED)]:
        h.update(path.name.encode("utf-8"))
        h.update(path.read_bytes())
    return h.hexdigest()


def _border_doc(result: borders.BorderResult) -> dict[str, Any]:
    geoms = {k: shapely.to_wkb(getattr(result, k), hex=True) for k in ("annexed", "swapped", "palestine")}
    return {
        "format": FORMAT,
        "name": result.name,
        "settlements": result.settlements,
        "figures": result.figures,
        "denominators": result.denominators.to_dict(orient="records"),
        **geoms,
    }


def _border_of(doc: Any) -> borders.BorderResult | None:
    """A border from an entry's data, or None when it is not one of this format or its shapes are broken."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    try:
        annexed, swapped, palestine = (shapely.from_wkb(str(doc[k])) for k in ("annexed", "swapped", "palestine"))
        dens = pd.DataFrame.from_records(doc["denominators"])
        settlements = [str(x) for x in doc["settlements"]]
        result = borders.BorderResult(
            str(doc["name"]), annexed, swapped, palestine, settlements, dens, dict(doc["figures"])
        )
    except (KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        return None
    shapes_ok = all(g.is_valid for g in (annexed, swapped, palestine))
    if not shapes_ok or list(dens.get("denominator", [])) != list(borders.DENOMINATORS):
        return None
    return result


def border(
    root: Path, scenario: Path, layer_dir: Path, compute: Callable[[], borders.BorderResult]
) -> borders.BorderResult:
    """A scenario's computed border, read from the cache when its scenario file and layer files are unchanged.

    A border takes seconds to compute (the swap's bisection, the corridors) and a plan naming one needs it on
    every command; an entry that cannot be read, is of another format or holds broken shapes is ignored and
    computed again.

    Parameters
    ----------
    root : Path
        The workspace's root.
    scenario : Path
        The scenario file.
    layer_dir : Path
        The folder of the layer files the border was computed from.
    compute : callable
        Computes the border when the cache has none.

    Returns
    -------
    BorderResult
    """
    try:
        path = root / FOLDER / "borders" / f"{_border_key(scenario, layer_dir)}.json"
    except OSError as exc:  # a layer file that cannot be read: no key, no cache
        log.info("no border cache: %s", exc)
        return compute()
    try:
        cached = _border_of(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        cached = None
    except (OSError, ValueError) as exc:
        log.info("ignoring the unreadable border cache entry %s: %s", path, exc)
        cached = None
    if cached is not None:
        return cached
    result = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(_border_doc(result)).encode("utf-8"))  # in order: figures print in it
    except (OSError, LandplanError) as exc:
        log.info("could not keep the border in the cache (%s): %s", path, exc)
    return result
