"""Checking a schedule against its plan, independently of the solver, and the objective it reaches."""

from __future__ import annotations

import pandas as pd

from ..plan import Problem
from .result import Schedule

__all__ = ["check_schedule", "objective_value", "troops_by_month"]


def objective_value(problem: Problem, end: dict[str, int]) -> int:
    """The primary objective of a schedule given its end months."""
    if problem.objective == "population_weighted_time" and problem.objective_level:
        lvl = problem.objective_level
        return sum(
            problem.zone_population[z] * end[f"{z}/movement/{lvl}"]
            for z in problem.zones
            if f"{z}/movement/{lvl}" in end
        )
    return max(end.values(), default=0)


def check_schedule(problem: Problem, sched: Schedule) -> list[str]:
    """Re-check a schedule against the plan, independently of the solver.

    Returns
    -------
    list of str
        Every violated constraint (empty when the schedule respects the plan).
    """
    bad: list[str] = []
    h = problem.horizon
    for tid, t in problem.tasks.items():
        s, e = sched.start[tid], sched.end[tid]
        if e - s != t.duration:
            bad.append(f"{tid}: lasts {e - s}, not {t.duration}")
        if s < t.earliest:
            bad.append(f"{tid}: starts {s} before earliest {t.earliest}")
        if t.latest is not None and e > t.latest:
            bad.append(f"{tid}: ends {e} after latest {t.latest}")
        if s < 0 or e > h:
            bad.append(f"{tid}: outside the horizon")
        for pr in t.preds:
            ends = [sched.end[x] for x in pr.tasks if x in sched.end]
            if not ends:
                continue
            need = (min(ends) if pr.any_of else max(ends)) + pr.lag
            if s < need:
                bad.append(f"{tid}: starts {s} before its precondition ({pr.why}) allows {need}")
    for mo in range(h):
        used = 0
        conc = 0
        for tid, t in problem.tasks.items():
            s, e = sched.start[tid], sched.end[tid]
            if s <= mo < e:
                used += t.run_troops
                if t.kind == "security" and t.duration > 0:
                    conc += 1
            if t.hold_troops:
                stop = sched.end.get(t.hold_until, h) if t.hold_until is not None else h
                if e <= mo < stop:
                    used += t.hold_troops
        if used > problem.available(mo):
            bad.append(f"month {mo}: {used} troops used, {problem.available(mo)} available")
        if problem.max_concurrent is not None and conc > problem.max_concurrent:
            bad.append(f"month {mo}: {conc} handovers at once, limit {problem.max_concurrent}")
    return bad


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
