"""A greedy list scheduler: the baseline the solver is measured against, and its starting hint."""

from __future__ import annotations

import heapq

import numpy as np

from ..errors import PlanError, PlanIssue
from ..plan import Problem, Task
from .model import describe
from .result import Schedule
from .verify import objective_value

__all__ = ["greedy"]


def greedy(problem: Problem) -> Schedule:
    """A plain serial list scheduler, the baseline CP-SAT is compared with.

    Tasks are taken in order of earliest possible start (ties: task id) once all
    their predecessors are placed; each is placed at the first month where its
    preconditions hold and the troops and handover limits allow its run and
    (provisionally, to the horizon) its hold.

    Returns
    -------
    Schedule
        ``status`` is ``"greedy"``; ``objective`` is computed as CP-SAT's primary objective.
    """
    h = problem.horizon
    avail = np.array([problem.available(mo) for mo in range(h + 1)], dtype=np.int64)
    used = np.zeros(h + 1, dtype=np.int64)
    hand = np.zeros(h + 1, dtype=np.int64)
    start: dict[str, int] = {}
    end: dict[str, int] = {}
    waiting: dict[str, int] = {}
    succ: dict[str, list[str]] = {}
    for tid, t in problem.tasks.items():
        srcs = {x for pr in t.preds for x in pr.tasks if x in problem.tasks}
        waiting[tid] = len(srcs)
        for x in srcs:
            succ.setdefault(x, []).append(tid)
    ends_hold: dict[str, list[tuple[str, int]]] = {}  # task -> holds its end closes
    heap: list[tuple[int, str]] = []

    def est_of(t: Task) -> int:
        est = t.earliest
        for pr in t.preds:
            ends = [end[x] for x in pr.tasks if x in end]
            if ends:
                est = max(est, (min(ends) if pr.any_of else max(ends)) + pr.lag)
        return est

    for tid, n in waiting.items():
        if n == 0:
            heapq.heappush(heap, (est_of(problem.tasks[tid]), tid))
    while heap:
        est, tid = heapq.heappop(heap)
        t = problem.tasks[tid]
        s = _first_fit(t, est, avail - used, hand, limit=problem.max_concurrent, h=h)
        if s is None:
            raise PlanError(
                [
                    PlanIssue(
                        t.origin[0],
                        t.origin[1],
                        t.origin[2],
                        f"greedy scheduling could not place {describe(t)} within the horizon",
                        "use the CP-SAT scheduler",
                    )
                ]
            )
        start[tid], end[tid] = s, s + t.duration
        used[s : s + t.duration] += t.run_troops
        if t.kind == "security" and t.duration > 0:
            hand[s : s + t.duration] += 1
        if t.hold_troops:
            used[s + t.duration : h] += t.hold_troops
            if t.hold_until is not None:
                ends_hold.setdefault(t.hold_until, []).append((tid, t.hold_troops))
        for prev_id, dmd in ends_hold.pop(tid, []):
            used[max(end[prev_id], end[tid]) : h] -= dmd  # the step that completes ends the previous hold
        for nxt in succ.get(tid, []):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                heapq.heappush(heap, (est_of(problem.tasks[nxt]), nxt))
    if len(start) < len(problem.tasks):
        raise PlanError(
            [PlanIssue("", 1, 1, "the greedy scheduler found a dependency it cannot order", "validate the plan first")]
        )
    return Schedule("greedy", objective_value(problem, end), 0, start, end)


def _first_fit(t: Task, est: int, slack: np.ndarray, hand: np.ndarray, *, limit: int | None, h: int) -> int | None:
    """First start >= ``est`` where the run, the provisional hold and the handover limit fit."""
    last = h - t.duration
    if est > last:
        return None
    suffix = np.minimum.accumulate(slack[:h][::-1])[::-1]  # min slack from month k to the horizon
    suffix = np.append(suffix, np.iinfo(np.int64).max)
    cands = np.arange(est, last + 1)
    ok = suffix[cands + t.duration] >= t.hold_troops
    if t.duration > 0:
        windows = np.lib.stride_tricks.sliding_window_view(slack[:h], t.duration)
        ok &= windows[cands].min(axis=1) >= t.run_troops
        if limit is not None and t.kind == "security":
            busy = np.lib.stride_tricks.sliding_window_view(hand[:h], t.duration)
            ok &= busy[cands].max(axis=1) < limit
    hits = np.flatnonzero(ok)
    return int(cands[hits[0]]) if len(hits) else None
