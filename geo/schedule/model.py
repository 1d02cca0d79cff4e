"""The CP-SAT model of a compiled plan: intervals, precedences, windows and the troop and handover capacities.

Each task is an interval; preconditions are precedences with lags; windows bound starts and ends; the
international force's troops form a cumulative resource whose capacity follows the plan's piecewise schedule
(modelled with fixed blocker intervals); concurrent handovers are a second cumulative.  With ``with_lits`` every
plan constraint is guarded by an assumption literal, so an infeasible plan can be explained by its own lines.

CP-SAT's search depends on the order in which variables and constraints are created and on their names, so
:func:`build_model` creates them in one fixed order (see there); the functions below each add one family.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ..plan import Origin, Pred, Problem, Task
from .relax import Relaxation, add_time_indexed
from .verify import is_handover, objective_terms

__all__ = ["Built", "build_model", "describe"]


@dataclass
class Built:
    """A built model with its start and end variables, assumption literals and primary objective."""

    model: cp_model.CpModel
    start: dict[str, cp_model.IntVar]
    end: dict[str, cp_model.IntVar]
    lits: list[tuple[cp_model.IntVar, str, tuple[str, int, int]]]
    primary: cp_model.LinearExprT
    relax: Relaxation = field(default_factory=Relaxation)


@dataclass
class _Builder:
    """The model under construction, with the variables every family of constraints refers to."""

    problem: Problem
    with_lits: bool
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    start: dict[str, cp_model.IntVar] = field(default_factory=dict)
    end: dict[str, cp_model.IntVar] = field(default_factory=dict)
    interval: dict[str, cp_model.IntervalVar] = field(default_factory=dict)
    lits: list[tuple[cp_model.IntVar, str, Origin]] = field(default_factory=list)

    def guard(self, desc: str, origin: Origin) -> cp_model.IntVar | None:
        """A new literal guarding one plan constraint (named ``c0``, ``c1``, ...), or None without literals.

        The description and the plan position travel with the literal, so a conflict found by the solver is
        reported as the plan's own lines.
        """
        if not self.with_lits:
            return None
        v = self.model.new_bool_var(f"c{len(self.lits)}")
        self.lits.append((v, desc, origin))
        return v

    @staticmethod
    def enforce(ct: cp_model.Constraint, v: cp_model.IntVar | None) -> None:
        """Make ``ct`` hold only when its guard ``v`` is true (always, when there is no guard)."""
        if v is not None:
            ct.only_enforce_if(v)


def build_model(problem: Problem, with_lits: bool) -> Built:
    """The CP-SAT model of ``problem``; with ``with_lits`` each plan constraint is guarded by a literal.

    The order of creation is part of the result (it steers the solver): first every task's interval, then task
    by task its window and its preconditions, then the troop capacity, the concurrent handovers and last the
    primary objective; last, for a population-weighted objective, the time-indexed relaxation of the limits.

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    with_lits : bool
        Guard each plan constraint by an assumption literal (to explain an infeasible plan).

    Returns
    -------
    Built
    """
    b = _Builder(problem, with_lits)
    _add_intervals(b)
    for tid, t in problem.tasks.items():
        _add_window(b, tid, t)
        for pr in t.preds:
            _add_precondition(b, tid, t, pr)
    _add_troop_capacity(b)
    _add_concurrent_handovers(b)
    primary = _primary_objective(b)
    relax = Relaxation()
    if not with_lits and objective_terms(problem) is not None:
        # a weighted objective needs a tight linear bound (see geo.schedule.relax); a makespan is bounded by
        # propagation, and a guarded model must not carry limits its guards cannot switch off
        relax = add_time_indexed(b.model, problem, b.start)
    return Built(b.model, b.start, b.end, b.lits, primary, relax)


def _add_intervals(b: _Builder) -> None:
    """One interval per task, starting and ending within the horizon."""
    h = b.problem.horizon
    for tid, t in b.problem.tasks.items():
        s = b.model.new_int_var(0, max(0, h - t.duration), f"s[{tid}]")
        e = b.model.new_int_var(t.duration, h, f"e[{tid}]")
        b.interval[tid] = b.model.new_interval_var(s, t.duration, e, f"i[{tid}]")
        b.start[tid], b.end[tid] = s, e


def _add_window(b: _Builder, tid: str, t: Task) -> None:
    """The task's window: it starts no earlier than ``earliest`` and ends by ``latest``."""
    if t.earliest > 0:
        b.enforce(
            b.model.add(b.start[tid] >= t.earliest),
            b.guard(f"{describe(t)} starts no earlier than month {t.earliest}", t.window_origin),
        )
    if t.latest is not None:
        b.enforce(
            b.model.add(b.end[tid] <= t.latest),
            b.guard(f"{describe(t)} ends by month {t.latest}", t.window_origin),
        )


def _add_precondition(b: _Builder, tid: str, t: Task, pr: Pred) -> None:
    """The task starts ``lag`` months after its precondition's tasks end (all of them, or the first if any_of).

    Tasks the precondition names but the problem lacks are skipped; one guard covers the whole precondition.
    """
    srcs = [s for s in pr.tasks if s in b.end]
    if not srcs:
        return
    v = b.guard(f"{describe(t)} waits for {pr.why}" + (f" + {pr.lag} months" if pr.lag else ""), pr.origin)
    if pr.any_of and len(srcs) > 1:
        first = b.model.new_int_var(0, b.problem.horizon, f"first[{tid}]")
        b.model.add_min_equality(first, [b.end[s] for s in srcs])
        b.enforce(b.model.add(b.start[tid] >= first + pr.lag), v)
    else:
        for src in srcs:
            b.enforce(b.model.add(b.start[tid] >= b.end[src] + pr.lag), v)


def _troop_demands(b: _Builder) -> tuple[list[cp_model.IntervalVar], list[int]]:
    """Intervals using troops and their demands: each handover's run, then the state it holds until relieved.

    A hold starts when its task ends and lasts until the task named by ``hold_until`` ends (else the horizon).
    """
    ivs: list[cp_model.IntervalVar] = []
    dem: list[int] = []
    for tid, t in b.problem.tasks.items():
        if t.run_troops > 0 and t.duration > 0:
            ivs.append(b.interval[tid])
            dem.append(t.run_troops)
        if t.hold_troops > 0:
            stop = b.end[t.hold_until] if t.hold_until is not None and t.hold_until in b.end else b.problem.horizon
            size = b.model.new_int_var(0, b.problem.horizon, f"hold[{tid}]")
            ivs.append(b.model.new_interval_var(b.end[tid], size, stop, f"hi[{tid}]"))
            dem.append(t.hold_troops)
    return ivs, dem


def _capacity_segments(problem: Problem) -> list[tuple[int, int, int]]:
    """The plan's piecewise troop capacity as ``(start, end, available)`` segments covering ``[0, horizon)``.

    Months before the first ``from:`` have no troops at all.
    """
    segs = []
    for k, (frm, n) in enumerate(problem.capacity):
        nxt = problem.capacity[k + 1][0] if k + 1 < len(problem.capacity) else problem.horizon
        a, b = min(frm, problem.horizon), min(nxt, problem.horizon)
        if b > a:
            segs.append((a, b, n))
    if problem.capacity and problem.capacity[0][0] > 0:
        segs.insert(0, (0, min(problem.capacity[0][0], problem.horizon), 0))
    return segs


def _add_troop_capacity(b: _Builder) -> None:
    """Troops used never exceed troops available.

    One cumulative at the largest capacity ever available; in months with fewer troops a fixed blocker interval
    takes up the difference.  Guarded, the capacity grows by every demand when the guard is false.
    """
    ivs, dem = _troop_demands(b)
    if not ivs:
        return
    top = max((n for _, n in b.problem.capacity), default=0)
    for a, end, n in _capacity_segments(b.problem):
        if n < top:
            ivs.append(b.model.new_fixed_size_interval_var(a, end - a, f"cap[{a}]"))
            dem.append(top - n)
    cap_lit = b.guard("troops used never exceed troops available (resources.troops)", b.problem.capacity_origin)
    if cap_lit is None:
        b.model.add_cumulative(ivs, dem, top)
    else:
        b.model.add_cumulative(ivs, dem, top + sum(dem) * (1 - cap_lit))


def _add_concurrent_handovers(b: _Builder) -> None:
    """At most ``max_concurrent`` security handovers run at once (when the plan sets a limit)."""
    limit = b.problem.max_concurrent
    if limit is None:
        return
    hand = [b.interval[tid] for tid, t in b.problem.tasks.items() if is_handover(t)]
    if not hand:
        return
    c_lit = b.guard(
        f"at most {limit} handovers at once (resources.max_concurrent_handovers)", b.problem.concurrent_origin
    )
    cap = limit if c_lit is None else limit + len(hand) * (1 - c_lit)
    b.model.add_cumulative(hand, [1] * len(hand), cap)


def _primary_objective(b: _Builder) -> cp_model.LinearExprT:
    """The population-weighted months to the objective's movement level, or else the makespan.

    Computed exactly as :func:`geo.schedule.verify.objective_value` computes it for a finished schedule.
    """
    terms = objective_terms(b.problem)
    if terms is not None:
        return sum(weight * b.end[tid] for weight, tid in terms)
    mk = b.model.new_int_var(0, b.problem.horizon, "makespan")
    b.model.add_max_equality(mk, list(b.end.values()))
    return mk


def describe(t: Task) -> str:
    """How a task is named in messages: ``gate NAME``, ``crossing ID``, ``ZONE: TRACK STATE`` or ``TRACK ID: STATE``."""
    return t.label
