"""The part of a plan the solver has to decide, and the rest placed after it.

Why: under a population-weighted objective many tasks decide nothing.  An obstacle's removal or a barrier section
uses no troops, runs no handover, has no deadline and no objective weight, and no task that matters waits for it: it
can only start as soon as what it waits for is done.  On the reference plan that is 153 of 436 tasks.  Leaving them
out of the CP-SAT model makes every subsolver load and search a third less; they are placed afterwards, each at the
first month its preconditions allow, which is where the second phase would pull them anyway.

Under a completion objective every task's end counts, so nothing is left out.  No I/O.
"""

from __future__ import annotations

import dataclasses
import graphlib

from ..plan import Problem, Task
from .verify import _ready, is_handover, objective_terms

__all__ = ["complete", "core"]


def _decides(problem: Problem, t: Task) -> bool:
    """Whether a task matters by itself: it uses troops or a handover slot, has a deadline, or is a hold's end."""
    handover = problem.max_concurrent is not None and is_handover(t)
    return bool(t.run_troops or t.hold_troops or handover or t.latest is not None)


def core(problem: Problem) -> Problem:
    """The tasks that decide the objective or a limit, and every task they wait for; the plan itself if that is all.

    Parameters
    ----------
    problem : Problem
        The compiled plan.

    Returns
    -------
    Problem
        The same plan restricted to those tasks (the plan itself under a completion objective).
    """
    terms = objective_terms(problem)
    if terms is None:
        return problem
    tasks = problem.tasks
    seeds = [tid for _, tid in terms]
    seeds += [tid for tid, t in tasks.items() if _decides(problem, t)]
    seeds += [t.hold_until for t in tasks.values() if t.hold_troops and t.hold_until in tasks]
    keep: set[str] = set()
    while seeds:
        tid = seeds.pop()
        if tid not in keep:
            keep.add(tid)
            seeds += [x for pr in tasks[tid].preds for x in pr.tasks if x in tasks]
    if len(keep) in (0, len(tasks)):  # nothing decides anything, or everything does: search the plan itself
        return problem
    return dataclasses.replace(problem, tasks={tid: t for tid, t in tasks.items() if tid in keep})


def complete(problem: Problem, start: dict[str, int]) -> tuple[dict[str, int], dict[str, int]] | None:
    """Every task of ``problem``: those in ``start`` where they are, the others as early as their preconditions allow.

    Returns None when a task placed this way would end past the horizon (its preconditions' tasks were placed too
    late for it): then the whole plan must be solved.
    """
    tasks = problem.tasks
    graph = {tid: {x for pr in t.preds for x in pr.tasks if x in tasks} for tid, t in tasks.items()}
    s = dict(start)
    e = {tid: v + tasks[tid].duration for tid, v in s.items()}
    for tid in graphlib.TopologicalSorter(graph).static_order():
        if tid in s:
            continue
        t = tasks[tid]
        ready = [r for pr in t.preds if (r := _ready(pr, e)) is not None]
        s[tid] = max([t.earliest, *ready])
        e[tid] = s[tid] + t.duration
        if e[tid] > problem.horizon:
            return None
    return {tid: s[tid] for tid in tasks}, {tid: e[tid] for tid in tasks}
