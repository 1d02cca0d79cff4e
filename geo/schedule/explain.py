"""Explaining a schedule: critical path, slack, binding resource periods, and what-if delays."""

from __future__ import annotations

import difflib
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..errors import PlanError, PlanIssue, UsageError
from ..plan import Problem, Task
from .cpsat import make_solver, run_solver
from .model import build_model
from .result import Schedule
from .verify import is_handover, troops_by_month

__all__ = ["Explanation", "Period", "explain", "resolve_task", "what_if"]


@dataclass(frozen=True)
class Period:
    """A run of months in which a resource is fully used."""

    resource: str
    first: int
    last: int


@dataclass
class Explanation:
    """Why the schedule ends when it does."""

    critical_path: list[str]
    slack: dict[str, int]
    binding: list[Period]
    makespan: int


def _successors(problem: Problem) -> dict[str, list[tuple[str, int, bool]]]:
    """For each task, the tasks whose preconditions name it, with the lag and whether any one of several counts."""
    succ: dict[str, list[tuple[str, int, bool]]] = defaultdict(list)
    for tid, t in problem.tasks.items():
        for pr in t.preds:
            for src in pr.tasks:
                if src in problem.tasks:
                    succ[src].append((tid, pr.lag, pr.any_of))
    return succ


def explain(problem: Problem, sched: Schedule) -> Explanation:
    """Critical path, slack per task and binding resource periods of a schedule.

    The critical path walks back from a task ending last, through whatever fixed each
    task's start: a precondition that ends exactly then (plus its lag), or else the
    task's earliest month, or else the resources (then the walk stops there and the
    binding periods say which).  Slack is the precedence slack: how many months a task
    could start later without delaying the end of the schedule, its successors and
    windows allowing (resources not counted).

    Returns
    -------
    Explanation
    """
    ls = _latest_starts(problem, sched)
    slack = {tid: ls[tid] - sched.start[tid] for tid in problem.tasks}
    return Explanation(_critical_path(problem, sched), slack, _binding(problem, sched), sched.makespan)


def _latest_starts(problem: Problem, sched: Schedule) -> dict[str, int]:
    """The latest start of every task that keeps the schedule's end, its windows and its successors' starts.

    A backward pass in reverse order of start; a successor waiting for any one of several tasks does not hold
    back any single one of them.  A latest start is never before the actual start, so slack is never negative.
    """
    mk = sched.makespan
    order = sorted(problem.tasks, key=lambda t: sched.start[t])
    succ = _successors(problem)
    ls: dict[str, int] = {}
    for tid in reversed(order):
        t = problem.tasks[tid]
        deadline = mk if t.latest is None else min(mk, t.latest)
        limit = deadline - t.duration
        for s, lag, any_of in succ.get(tid, []):
            if s in ls and not any_of:
                limit = min(limit, ls[s] - lag - t.duration)
        ls[tid] = max(limit, sched.start[tid])
    return ls


def _critical_path(problem: Problem, sched: Schedule) -> list[str]:
    """From the first task to a task ending last, each one's start fixed by the end of the one before."""
    last = max(problem.tasks, key=lambda t: (sched.end[t], t))
    path = [last]
    seen = {last}
    while (nxt := _binding_precondition(problem.tasks[path[-1]], sched, seen)) is not None:
        path.append(nxt)
        seen.add(nxt)
    return path[::-1]


def _binding_precondition(t: Task, sched: Schedule, seen: set[str]) -> str | None:
    """The first precondition task (not yet on the path) whose end plus lag is exactly when ``t`` starts."""
    t_start = sched.start[t.id]
    for pr in t.preds:
        for src in pr.tasks:
            if src in sched.end and sched.end[src] + pr.lag == t_start and src not in seen:
                return src
    return None


def _binding(problem: Problem, sched: Schedule) -> list[Period]:
    """Runs of months in which the troops, then the concurrent handovers (if limited), are all in use."""
    troops = troops_by_month(problem, sched)
    deployed = [int(v) for v in troops["troops_deployed"]]
    available = [int(v) for v in troops["troops_available"]]
    full = [mo for mo, (d, a) in enumerate(zip(deployed, available, strict=True)) if 0 < a <= d]
    binding = _runs("troops", full)
    if problem.max_concurrent is not None:
        conc = [0] * (problem.horizon + 1)
        for tid, t in problem.tasks.items():
            if is_handover(t):
                for mo in range(sched.start[tid], sched.end[tid]):
                    conc[mo] += 1
        binding += _runs("concurrent handovers", [mo for mo, c in enumerate(conc) if c >= problem.max_concurrent])
    return binding


def _runs(resource: str, months: list[int]) -> list[Period]:
    """Consecutive months (given in order) merged into periods of ``resource``."""
    out: list[Period] = []
    for mo in months:
        if out and out[-1].last == mo - 1:
            out[-1] = Period(resource, out[-1].first, mo)
        else:
            out.append(Period(resource, mo, mo))
    return out


def resolve_task(problem: Problem, name: str) -> str:
    """Task id for a user's name: a task id, ``gate NAME``/``gate/NAME``, or ``crossing ID``.

    ``gate NAME`` and ``crossing ID`` name the step of that entity on that track.

    Raises
    ------
    UsageError
        When no task has that name.
    """
    cand = name.strip()
    if cand in problem.tasks:
        return cand
    if name.startswith(("gate ", "crossing ")):
        track, _, entity = cand.partition(" ")
        for tid, t in problem.tasks.items():
            if t.zone is None and (t.key.track, t.key.entity) == (track, entity):
                return tid
    ids = sorted(problem.tasks)
    close = difflib.get_close_matches(cand, ids, n=3, cutoff=0.6) or ids[:2]
    raise UsageError(
        f"no task or gate named {name!r} in this plan; use an id from its schedule table, "
        f"e.g. {', '.join(repr(c) for c in close)}"
    )


def what_if(
    problem: Problem, sched: Schedule, name: str, months: int, deterministic_time: float = 2.0
) -> tuple[Schedule, list[tuple[str, int, int]]]:
    """Delay one task or gate by ``months`` and list what moves.

    The schedule is repaired with as little change as possible: every other task
    keeps its start unless the delay forces it to move (the solver minimises the
    total shift).

    Returns
    -------
    Schedule, list of (task, old start, new start)
        The repaired schedule and every task whose start changed.
    """
    tid = resolve_task(problem, name)
    if not 0 <= months <= problem.horizon:
        raise UsageError(
            f"a delay of {months} months is outside 0..{problem.horizon} (the plan's horizon); give a smaller delay"
        )
    b = build_model(problem, with_lits=False)
    m = b.model
    m.add(b.start[tid] >= sched.start[tid] + months)
    shifts = []
    for k, v in b.start.items():
        d = m.new_int_var(0, problem.horizon, f"d[{k}]")
        m.add(d >= v - sched.start[k])
        m.add(d >= sched.start[k] - v)
        shifts.append(d)
        m.add_hint(v, sched.start[k])
    m.minimize(sum(shifts))
    solver = make_solver(deterministic_time, None)
    status = run_solver(solver, m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        t = problem.tasks[tid]
        raise PlanError(
            [
                PlanIssue.at(
                    t.origin,
                    f"delaying {tid} by {months} months leaves no feasible schedule",
                    "try a shorter delay or relax the windows it pushes against",
                )
            ]
        )
    start = {k: int(solver.value(v)) for k, v in b.start.items()}
    end = {k: int(solver.value(v)) for k, v in b.end.items()}
    new = Schedule("optimal" if status == cp_model.OPTIMAL else "feasible", 0, 0, start, end)
    moved = [(k, sched.start[k], start[k]) for k in problem.tasks if start[k] != sched.start[k]]
    moved.sort(key=lambda r: (r[2], r[0]))
    return new, moved
