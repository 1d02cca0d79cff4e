"""Checking a schedule against its plan, independently of the solver, and the objective it reaches.

Nothing here uses the solver: a schedule from CP-SAT, from the greedy baseline or from a what-if is checked by
re-reading the plan's rules month by month, so a modelling mistake cannot hide behind the model that made it.
"""

from __future__ import annotations

import pandas as pd

from ..plan import Pred, Problem, Task, TaskId
from .result import Schedule

__all__ = ["check_schedule", "is_handover", "objective_terms", "objective_value", "troops_by_month"]


def objective_terms(problem: Problem) -> list[tuple[int, str]] | None:
    """The (population, task id) terms of a population-weighted objective; None when it minimises completion.

    Each zone weighs the month it reaches the objective's movement level by its population; zones without that
    step do not count.  The CP-SAT model and :func:`objective_value` both read these terms, so the solver's
    objective and the re-computed one cannot drift apart.
    """
    lvl = problem.objective_level
    if problem.objective != "population_weighted_time" or not lvl:
        return None
    ids = ((z, str(TaskId(z, "movement", lvl))) for z in problem.zones)
    return [(problem.zone_population[z], tid) for z, tid in ids if tid in problem.tasks]


def objective_value(problem: Problem, end: dict[str, int]) -> int:
    """The primary objective of a schedule given its end months."""
    terms = objective_terms(problem)
    if terms is not None:
        return sum(weight * end[tid] for weight, tid in terms if tid in end)
    return max(end.values(), default=0)


def check_schedule(problem: Problem, sched: Schedule) -> list[str]:
    """Re-check a schedule against the plan, independently of the solver.

    Returns
    -------
    list of str
        Every violated constraint (empty when the schedule respects the plan): first task by task (duration,
        window, horizon, preconditions), then month by month (troops, concurrent handovers).
    """
    bad: list[str] = []
    for tid, t in problem.tasks.items():
        bad += _task_violations(problem, sched, tid, t)
    for mo in range(problem.horizon):
        bad += _month_violations(problem, sched, mo)
    return bad


def _task_violations(problem: Problem, sched: Schedule, tid: str, t: Task) -> list[str]:
    """What one task breaks: its duration, its window, the horizon and its preconditions."""
    bad: list[str] = []
    s, e = sched.start[tid], sched.end[tid]
    if e - s != t.duration:
        bad.append(f"{tid}: lasts {e - s}, not {t.duration}")
    if s < t.earliest:
        bad.append(f"{tid}: starts {s} before earliest {t.earliest}")
    if t.latest is not None and e > t.latest:
        bad.append(f"{tid}: ends {e} after latest {t.latest}")
    if s < 0 or e > problem.horizon:
        bad.append(f"{tid}: outside the horizon")
    for pr in t.preds:
        need = _ready(pr, sched.end)
        if need is not None and s < need:
            bad.append(f"{tid}: starts {s} before its precondition ({pr.why}) allows {need}")
    return bad


def _ready(pr: Pred, end: dict[str, int]) -> int | None:
    """The month a precondition lets its task start (None when none of its tasks is scheduled)."""
    ends = [end[x] for x in pr.tasks if x in end]
    if not ends:
        return None
    return (min(ends) if pr.any_of else max(ends)) + pr.lag


def _month_violations(problem: Problem, sched: Schedule, mo: int) -> list[str]:
    """What month ``mo`` breaks: the troops available and the limit on concurrent handovers."""
    h = problem.horizon
    used = 0
    conc = 0
    for tid, t in problem.tasks.items():
        s, e = sched.start[tid], sched.end[tid]
        if s <= mo < e:
            used += t.run_troops
            if is_handover(t):
                conc += 1
        if t.hold_troops:
            stop = sched.end.get(t.hold_until, h) if t.hold_until is not None else h
            if e <= mo < stop:
                used += t.hold_troops
    bad: list[str] = []
    if used > problem.available(mo):
        bad.append(f"month {mo}: {used} troops used, {problem.available(mo)} available")
    if problem.max_concurrent is not None and conc > problem.max_concurrent:
        bad.append(f"month {mo}: {conc} handovers at once, limit {problem.max_concurrent}")
    return bad


def is_handover(t: Task) -> bool:
    """Whether a task counts against the limit on concurrent handovers: a security step that takes time."""
    return t.kind == "security" and t.duration > 0


def troops_by_month(problem: Problem, sched: Schedule) -> pd.DataFrame:
    """Troops deployed (handovers running plus states held) and available, per month."""
    h = problem.horizon
    used = [0] * (h + 1)
    for tid, t in problem.tasks.items():
        s, e = sched.start[tid], sched.end[tid]
        for mo in range(s, e):
            used[mo] += t.run_troops
        if t.hold_troops:
            stop = sched.end[t.hold_until] if t.hold_until in sched.end else h + 1
            for mo in range(e, min(stop, h + 1)):
                used[mo] += t.hold_troops
    return pd.DataFrame(
        {
            "month": range(h + 1),
            "troops_deployed": used,
            "troops_available": [problem.available(mo) for mo in range(h + 1)],
        }
    )
