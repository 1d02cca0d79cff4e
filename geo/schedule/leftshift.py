"""Pulling a schedule's tasks as early as they can go without breaking anything: the cheap second phase.

Once the primary objective is settled, planners want every step as early as the plan allows (a step left late for
no reason reads as a decision).  A CP-SAT second phase minimising the sum of starts took as long as the first on the
reference plan and rarely finished; this local search takes milliseconds.  It moves one task at a time to the
earliest month its preconditions, window, troops and handover limit allow, given every other task where it is, and
repeats until nothing moves.  A move only brings ends earlier, so the primary objective can only improve; every
schedule it returns passes :func:`geo.schedule.verify.check_schedule`.  No I/O.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..plan import Problem, Task
from .verify import _ready, is_handover

__all__ = ["left_shift"]

#: Passes over the tasks at most; each pass that moves nothing ends the search earlier.
MAX_PASSES = 20

IntArray = npt.NDArray[np.int64]


class _Profile:
    """Troops used and handovers running per month, kept up to date as tasks move."""

    def __init__(self, problem: Problem, start: dict[str, int], end: dict[str, int]) -> None:
        h = problem.horizon
        self.problem, self.start, self.end = problem, start, end
        self.avail: IntArray = np.array([problem.available(mo) for mo in range(h)], dtype=np.int64)
        self.used: IntArray = np.zeros(h, dtype=np.int64)
        self.hand: IntArray = np.zeros(h, dtype=np.int64)
        self.relieves: dict[str, list[str]] = {}  # task -> tasks whose hold its end closes
        for tid, t in problem.tasks.items():
            self._book(self.used, tid, t, +1)
            if is_handover(t):
                self.hand[start[tid] : end[tid]] += 1
            if t.hold_troops and t.hold_until is not None and t.hold_until in problem.tasks:
                self.relieves.setdefault(t.hold_until, []).append(tid)

    def stop(self, t: Task) -> int:
        """When a task's hold ends: when its ``hold_until`` task ends, else at the horizon."""
        if t.hold_until is not None and t.hold_until in self.end:
            return self.end[t.hold_until]
        return self.problem.horizon

    def _book(self, used: IntArray, tid: str, t: Task, sign: int) -> None:
        s, e = self.start[tid], self.end[tid]
        used[s:e] += sign * t.run_troops
        if t.hold_troops:
            used[e : self.stop(t)] += sign * t.hold_troops

    def try_move(self, tid: str, new: int) -> bool:
        """Move ``tid`` to start at ``new`` (earlier) if troops and handovers still fit; whether it moved."""
        t = self.problem.tasks[tid]
        old_s, old_e = self.start[tid], self.end[tid]
        new_e = new + t.duration
        if any(self.end[r] > new_e for r in self.relieves.get(tid, [])):
            return False  # a hold this task ends would have to end before it began
        used = self.used.copy()
        for r in self.relieves.get(tid, []):
            used[new_e:old_e] -= self.problem.tasks[r].hold_troops  # the holds it ends, end earlier
        self._book(used, tid, t, -1)
        self.start[tid], self.end[tid] = new, new_e
        self._book(used, tid, t, +1)
        hand = self.hand
        if is_handover(t):
            hand = hand.copy()
            hand[old_s:old_e] -= 1
            hand[new:new_e] += 1
        limit = self.problem.max_concurrent
        if (used > self.avail).any() or (limit is not None and (hand > limit).any()):
            self.start[tid], self.end[tid] = old_s, old_e
            return False
        self.used, self.hand = used, hand
        return True


def _earliest(problem: Problem, t: Task, end: dict[str, int]) -> int:
    """The first month a task's window and preconditions allow, given the other tasks' ends."""
    est = t.earliest
    for pr in t.preds:
        need = _ready(pr, end)
        if need is not None:
            est = max(est, need)
    return est


def left_shift(problem: Problem, start: dict[str, int], end: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """Every task as early as it goes with the others fixed, repeated until nothing moves.

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    start, end : dict of str to int
        A feasible schedule (it is not changed).

    Returns
    -------
    start, end : dict of str to int
        The shifted schedule: no task later than before, and feasible whenever the input was.
    """
    prof = _Profile(problem, dict(start), dict(end))
    for _ in range(MAX_PASSES):
        moved = False
        for tid in sorted(problem.tasks, key=lambda k: (prof.start[k], k)):
            est = _earliest(problem, problem.tasks[tid], prof.end)
            for s in range(est, prof.start[tid]):
                if prof.try_move(tid, s):
                    moved = True
                    break
        if not moved:
            break
    return prof.start, prof.end
