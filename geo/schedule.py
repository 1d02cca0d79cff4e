"""Scheduling a compiled plan with OR-Tools CP-SAT.  No I/O.

Each task is an interval; preconditions are precedences with lags; windows
bound starts and ends; the international force's troops form a cumulative
resource whose capacity follows the plan's piecewise schedule (modelled with
fixed blocker intervals); concurrent handovers are a second cumulative.

The search runs on one worker with a fixed seed and a *deterministic* time
limit, so the same plan gives the same schedule on every run and machine.
An infeasible plan is explained by a minimal set of conflicting plan
constraints, each with its ``file:line``.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from .errors import PlanError, PlanIssue
from .tasks import Problem, Task

__all__ = [
    "DEFAULT_DETERMINISTIC_TIME",
    "MAX_DETERMINISTIC_TIME",
    "Schedule",
    "check_schedule",
    "greedy",
    "run_solver",
    "solve",
]

log = logging.getLogger(__name__)

#: Deterministic time budget (CP-SAT's machine-independent work units, roughly seconds) for each solve phase.
DEFAULT_DETERMINISTIC_TIME = 5.0
#: Largest budget accepted per phase; beyond it a typo (``--time 1e9``) would hang a command for days.
MAX_DETERMINISTIC_TIME = 3600.0
#: Share of the budget given to the second phase (pulling every task as early as possible).
_PHASE2_SHARE = 0.4


@dataclass
class Schedule:
    """A schedule: start and end month of every task."""

    status: str  # "optimal", "feasible" or "greedy"
    objective: int
    bound: int
    start: dict[str, int]
    end: dict[str, int]
    wall_seconds: float = 0.0
    deterministic_time: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def makespan(self) -> int:
        """Month the last task ends."""
        return max(self.end.values(), default=0)


@dataclass
class _Built:
    model: cp_model.CpModel
    start: dict[str, cp_model.IntVar]
    end: dict[str, cp_model.IntVar]
    lits: list[tuple[cp_model.IntVar, str, tuple[str, int, int]]]
    primary: cp_model.LinearExprT


def _capacity_segments(problem: Problem) -> list[tuple[int, int, int]]:
    """(start, end, available) segments covering [0, horizon)."""
    segs = []
    for k, (frm, n) in enumerate(problem.capacity):
        nxt = problem.capacity[k + 1][0] if k + 1 < len(problem.capacity) else problem.horizon
        a, b = min(frm, problem.horizon), min(nxt, problem.horizon)
        if b > a:
            segs.append((a, b, n))
    if problem.capacity and problem.capacity[0][0] > 0:
        segs.insert(0, (0, min(problem.capacity[0][0], problem.horizon), 0))
    return segs


def _build(problem: Problem, with_lits: bool) -> _Built:
    m = cp_model.CpModel()
    h = problem.horizon
    start: dict[str, cp_model.IntVar] = {}
    end: dict[str, cp_model.IntVar] = {}
    interval = {}
    lits: list[tuple[cp_model.IntVar, str, tuple[str, int, int]]] = []

    def lit(desc: str, origin: tuple[str, int, int]) -> cp_model.IntVar | None:
        if not with_lits:
            return None
        v = m.new_bool_var(f"c{len(lits)}")
        lits.append((v, desc, origin))
        return v

    def enforce(ct: cp_model.Constraint, v: cp_model.IntVar | None) -> None:
        if v is not None:
            ct.only_enforce_if(v)

    for tid, t in problem.tasks.items():
        s = m.new_int_var(0, max(0, h - t.duration), f"s[{tid}]")
        e = m.new_int_var(t.duration, h, f"e[{tid}]")
        interval[tid] = m.new_interval_var(s, t.duration, e, f"i[{tid}]")
        start[tid], end[tid] = s, e
    for tid, t in problem.tasks.items():
        if t.earliest > 0:
            enforce(
                m.add(start[tid] >= t.earliest),
                lit(f"{_name(t)} starts no earlier than month {t.earliest}", t.window_origin),
            )
        if t.latest is not None:
            enforce(m.add(end[tid] <= t.latest), lit(f"{_name(t)} ends by month {t.latest}", t.window_origin))
        for pr in t.preds:
            srcs = [s for s in pr.tasks if s in end]
            if not srcs:
                continue
            v = lit(f"{_name(t)} waits for {pr.why}" + (f" + {pr.lag} months" if pr.lag else ""), pr.origin)
            if pr.any_of and len(srcs) > 1:
                first = m.new_int_var(0, h, f"first[{tid}]")
                m.add_min_equality(first, [end[s] for s in srcs])
                enforce(m.add(start[tid] >= first + pr.lag), v)
            else:
                for src in srcs:
                    enforce(m.add(start[tid] >= end[src] + pr.lag), v)
    # troops: run intervals, hold intervals, and blockers for the capacity profile
    top = max((n for _, n in problem.capacity), default=0)
    ivs, dem = [], []
    for tid, t in problem.tasks.items():
        if t.run_troops > 0 and t.duration > 0:
            ivs.append(interval[tid])
            dem.append(t.run_troops)
        if t.hold_troops > 0:
            stop = end[t.hold_until] if t.hold_until is not None and t.hold_until in end else h
            size = m.new_int_var(0, h, f"hold[{tid}]")
            ivs.append(m.new_interval_var(end[tid], size, stop, f"hi[{tid}]"))
            dem.append(t.hold_troops)
    if ivs:
        for a, b, n in _capacity_segments(problem):
            if n < top:
                ivs.append(m.new_fixed_size_interval_var(a, b - a, f"cap[{a}]"))
                dem.append(top - n)
        cap_lit = lit("troops used never exceed troops available (resources.troops)", problem.capacity_origin)
        if cap_lit is None:
            m.add_cumulative(ivs, dem, top)
        else:
            big = sum(dem)
            m.add_cumulative(ivs, dem, top + big * (1 - cap_lit))
    if problem.max_concurrent is not None:
        hand = [interval[tid] for tid, t in problem.tasks.items() if t.kind == "security" and t.duration > 0]
        if hand:
            c_lit = lit(
                f"at most {problem.max_concurrent} handovers at once (resources.max_concurrent_handovers)",
                problem.concurrent_origin,
            )
            cap = problem.max_concurrent if c_lit is None else problem.max_concurrent + len(hand) * (1 - c_lit)
            m.add_cumulative(hand, [1] * len(hand), cap)
    if problem.objective == "population_weighted_time" and problem.objective_level:
        lvl = problem.objective_level
        primary = sum(
            problem.zone_population[z] * end[f"{z}/movement/{lvl}"]
            for z in problem.zones
            if f"{z}/movement/{lvl}" in end
        )
    else:
        mk = m.new_int_var(0, h, "makespan")
        m.add_max_equality(mk, list(end.values()))
        primary = mk
    return _Built(m, start, end, lits, primary)


def _name(t: Task) -> str:
    if t.kind in ("gate", "crossing"):
        return f"{t.kind} {t.to_state if t.kind == 'gate' else t.id.split('/', 1)[1]}"
    return f"{t.zone}: {t.kind} {t.to_state}"


def _solver(det_time: float, progress: Callable[[str], None] | None) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    # several subsolvers (core search, LNS, ...) interleaved on one thread: strong and deterministic
    solver.parameters.num_workers = 8
    solver.parameters.interleave_search = True
    solver.parameters.interleave_batch_size = 1  # check the work limit after every chunk: stop on budget
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = det_time
    # Ctrl-C must abort the command, not quietly stop the search and return a worse schedule as if complete:
    # the solver leaves SIGINT to Python and run_solver() stops the search when the interrupt arrives.
    solver.parameters.catch_sigint_signal = False
    if progress is not None:
        solver.parameters.log_search_progress = True
        solver.log_callback = progress
    return solver


def run_solver(solver: cp_model.CpSolver, model: cp_model.CpModel) -> cp_model.CpSolverStatus:
    """Solve ``model``, staying interruptible: Ctrl-C stops the search and raises ``KeyboardInterrupt``.

    CP-SAT runs in a worker thread (it releases the GIL), so the main thread keeps receiving signals; on an
    interrupt the search is stopped, the worker joined and the interrupt re-raised, so no partial schedule is
    ever returned as if it were complete.

    Parameters
    ----------
    solver : CpSolver
        A solver made by :func:`_solver`.
    model : CpModel
        The model to solve.

    Returns
    -------
    CpSolverStatus
        The solver's status.

    Raises
    ------
    KeyboardInterrupt
        When interrupted; the search has stopped by then.
    """
    result: list[cp_model.CpSolverStatus] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(solver.solve(model))
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    worker = threading.Thread(target=work, name="cp-sat", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        solver.stop_search()
        worker.join()
        raise
    if failure:
        raise failure[0]
    return result[0]


def _invalid(problem: Problem, model: cp_model.CpModel) -> PlanError:
    """The plan compiled into a model CP-SAT refuses (e.g. numbers past its 64-bit range)."""
    reason = model.validate() or "the solver rejected the model"
    origin = next(iter(problem.tasks.values())).origin if problem.tasks else problem.capacity_origin
    return PlanError(
        [
            PlanIssue(
                origin[0],
                origin[1],
                origin[2],
                f"the plan gives the solver an invalid model ({reason.strip()})",
                "keep durations, months and troop numbers within the ranges in plans/plan.schema.json",
            )
        ]
    )


def solve(
    problem: Problem,
    deterministic_time: float = DEFAULT_DETERMINISTIC_TIME,
    progress: Callable[[str], None] | None = None,
) -> Schedule:
    """Schedule ``problem`` with CP-SAT.

    The primary objective (completion, or population-weighted time to a
    movement level) is minimised first; then, with the primary fixed at its
    best value, the sum of start months is minimised so every task starts as
    early as the plan allows.

    Parameters
    ----------
    problem : Problem
        From :func:`geo.tasks.compile_plan`.
    deterministic_time : float, optional
        Work budget per phase in CP-SAT deterministic time units.
    progress : callable, optional
        Receives CP-SAT's log lines (for a progress display).

    Returns
    -------
    Schedule
        ``status`` is ``"optimal"`` when the primary objective was proven optimal, else ``"feasible"``.

    Raises
    ------
    PlanError
        When the plan is infeasible: the issues are a minimal set of conflicting constraints.
    """
    t0 = time.perf_counter()
    log.info("solving %d tasks (budget %g per phase)", len(problem.tasks), deterministic_time)
    b = _build(problem, with_lits=False)
    b.model.minimize(b.primary)
    try:
        hint = greedy(problem)
    except PlanError:
        hint = None
    if hint is not None:
        for tid, v in b.start.items():
            b.model.add_hint(v, hint.start[tid])
    solver = _solver(deterministic_time, progress)
    status = run_solver(solver, b.model)
    if status == cp_model.MODEL_INVALID:
        raise _invalid(problem, b.model)
    if status == cp_model.INFEASIBLE:
        raise PlanError(explain_infeasible(problem, deterministic_time))
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise PlanError(
            [
                PlanIssue(
                    problem.tasks[next(iter(problem.tasks))].origin[0],
                    1,
                    1,
                    "the solver found no schedule within its time budget",
                    "raise the time budget (--time) or simplify the plan",
                )
            ]
        )
    optimal = status == cp_model.OPTIMAL
    best = int(solver.objective_value)
    bound = int(solver.best_objective_bound)
    det = solver.deterministic_time
    # phase 2: everything as early as possible with the primary objective held
    b.model.add(b.primary <= best)
    b.model.clear_hints()  # type: ignore[no-untyped-call]
    for v in b.start.values():
        b.model.add_hint(v, solver.value(v))
    b.model.minimize(sum(b.start.values()))
    solver2 = _solver(deterministic_time * _PHASE2_SHARE, progress)
    status2 = run_solver(solver2, b.model)
    chosen = solver2 if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE) else solver
    det += solver2.deterministic_time
    start = {tid: int(chosen.value(v)) for tid, v in b.start.items()}
    end = {tid: int(chosen.value(v)) for tid, v in b.end.items()}
    sched = Schedule(
        "optimal" if optimal else "feasible",
        best,
        bound,
        start,
        end,
        wall_seconds=time.perf_counter() - t0,
        deterministic_time=det,
        extra={"phase2_optimal": int(status2 == cp_model.OPTIMAL)},
    )
    log.info(
        "scheduled %d tasks: %s, objective %d (bound %d), %.1fs",
        len(start),
        sched.status,
        best,
        bound,
        sched.wall_seconds,
    )
    return sched


def explain_infeasible(problem: Problem, deterministic_time: float = DEFAULT_DETERMINISTIC_TIME) -> list[PlanIssue]:
    """The smallest set found of plan constraints that cannot hold together.

    Every plan constraint gets an assumption literal; CP-SAT returns a set of
    assumptions sufficient for infeasibility, which is then shrunk by deletion
    until no constraint can be dropped.

    Parameters
    ----------
    problem : Problem
        An infeasible problem.
    deterministic_time : float, optional
        Work budget per solve.

    Returns
    -------
    list of PlanIssue
        One per conflicting constraint (merged when several come from the same plan line).
    """
    b = _build(problem, with_lits=True)
    index = {v.index: k for k, (v, _, _) in enumerate(b.lits)}

    def core_of(active: list[int]) -> list[int] | None:
        model = b.model.clone()
        model.clear_assumptions()
        model.add_assumptions([b.lits[k][0] for k in active])
        solver = _solver(deterministic_time, None)
        solver.parameters.num_workers = 1  # assumption cores need a single worker
        solver.parameters.interleave_search = False
        st = run_solver(solver, model)
        if st != cp_model.INFEASIBLE:
            return None
        return sorted(index[i] for i in solver.sufficient_assumptions_for_infeasibility())

    core = core_of(list(range(len(b.lits))))
    if core is None:
        return [
            PlanIssue(
                problem.capacity_origin[0], 1, 1, "the plan is infeasible only through its horizon", "raise 'horizon:'"
            )
        ]
    k = 0
    while k < len(core):
        trial = core[:k] + core[k + 1 :]
        smaller = core_of(trial)
        if smaller is not None:
            core = [c for c in smaller if c in trial] or trial
        else:
            k += 1
    merged: dict[tuple[str, int, int], list[str]] = {}
    for c in core:
        _, desc, origin = b.lits[c]
        merged.setdefault(origin, []).append(desc)
    issues = []
    for (f, line, col), descs in merged.items():
        msg = descs[0] if len(descs) == 1 else f"{descs[0]} (and {len(descs) - 1} more from this line)"
        issues.append(
            PlanIssue(
                f, line, col, f"conflicting constraint: {msg}", "relax one of the constraints listed together here"
            )
        )
    return issues


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
                        f"greedy scheduling could not place {_name(t)} within the horizon",
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
