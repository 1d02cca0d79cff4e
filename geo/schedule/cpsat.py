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

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..errors import PlanError, PlanIssue
from ..plan import Problem
from .greedy import greedy, priority_greedy
from .leftshift import left_shift
from .model import Built, build_model
from .reduce import complete, core
from .relax import precedence_bound
from .result import Schedule
from .verify import check_schedule, objective_value

__all__ = [
    "DEFAULT_DETERMINISTIC_TIME",
    "MAX_DETERMINISTIC_TIME",
    "SolveStopped",
    "explain_infeasible",
    "make_solver",
    "run_solver",
    "solve",
]

log = logging.getLogger(__name__)

#: Deterministic time budget (CP-SAT's machine-independent work units, roughly seconds) for each solve phase.
DEFAULT_DETERMINISTIC_TIME = 5.0
#: Deterministic work of the single search tried before the portfolio (see :func:`_primary_phase`).
QUICK_DETERMINISTIC_TIME = 1.0
#: Largest budget accepted per phase; beyond it a typo (``--time 1e9``) would hang a command for days.
MAX_DETERMINISTIC_TIME = 3600.0


def make_solver(
    det_time: float, progress: Callable[[str], None] | None, *, portfolio: bool = True
) -> cp_model.CpSolver:
    """A deterministic solver: one search, or subsolvers interleaved on one thread; a fixed seed and a work budget."""
    solver = cp_model.CpSolver()
    # several subsolvers (core search, LNS, ...) interleaved on one thread: strong and deterministic
    solver.parameters.num_workers = 8 if portfolio else 1
    solver.parameters.interleave_search = portfolio
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


class SolveStopped(Exception):  # noqa: N818 - it is not an error: someone asked the search to stop
    """The search was stopped from another thread (a server shutting down); there is no schedule."""


def run_solver(
    solver: cp_model.CpSolver, model: cp_model.CpModel, stop: threading.Event | None = None
) -> cp_model.CpSolverStatus:
    """Solve ``model``, staying interruptible: Ctrl-C stops the search and raises ``KeyboardInterrupt``.

    CP-SAT runs in a worker thread (it releases the GIL), so the main thread keeps receiving signals; on an
    interrupt the search is stopped, the worker joined and the interrupt re-raised, so no partial schedule is
    ever returned as if it were complete.

    Parameters
    ----------
    solver : CpSolver
        A solver made by :func:`make_solver`.
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
    SolveStopped
        When ``stop`` is set (checked every 50 ms); the search has stopped by then.
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
            if stop is not None and stop.is_set():
                solver.stop_search()
                worker.join()
                raise SolveStopped("the search was stopped before it finished")
    except KeyboardInterrupt:
        solver.stop_search()
        worker.join()
        raise
    if stop is not None and stop.is_set():  # asked to stop as the search ended: still no schedule
        raise SolveStopped("the search was stopped before it finished")
    if failure:
        raise failure[0]
    return result[0]


def _invalid(problem: Problem, model: cp_model.CpModel) -> PlanError:
    """The plan compiled into a model CP-SAT refuses (e.g. numbers past its 64-bit range)."""
    reason = model.validate() or "the solver rejected the model"
    origin = next(iter(problem.tasks.values())).origin if problem.tasks else problem.capacity_origin
    return PlanError(
        [
            PlanIssue.at(
                origin,
                f"the plan gives the solver an invalid model ({reason.strip()})",
                "keep durations, months and troop numbers within the ranges in plans/plan.schema.json",
            )
        ]
    )


def _no_schedule(problem: Problem) -> PlanError:
    """No schedule found and no proof there is none: the budget ran out first."""
    first = next(iter(problem.tasks.values()), None)
    plan_file = first.origin[0] if first is not None else problem.capacity_origin[0]
    return PlanError(
        [
            PlanIssue(
                plan_file,
                1,
                1,
                "the solver found no schedule within its time budget",
                "raise the time budget (--time) or simplify the plan",
            )
        ]
    )


def solve(
    problem: Problem,
    deterministic_time: float = DEFAULT_DETERMINISTIC_TIME,
    progress: Callable[[str], None] | None = None,
    hint: Mapping[str, int] | None = None,
    stop: threading.Event | None = None,
) -> Schedule:
    """Schedule ``problem`` with CP-SAT.

    The primary objective (completion, or population-weighted time to a
    movement level) is minimised first; then every task is pulled as early as
    the plan allows (:func:`geo.schedule.leftshift.left_shift`), which never
    worsens the primary objective.

    Parameters
    ----------
    problem : Problem
        From :func:`geo.plan.compile_plan`.
    deterministic_time : float, optional
        Work budget per phase in CP-SAT deterministic time units.
    progress : callable, optional
        Receives CP-SAT's log lines (for a progress display).
    hint : mapping of str to int, optional
        Start months of an earlier schedule (a warm start, e.g. before an edit). Tasks it lacks start as the
        greedy schedule has them; the result seeds the search only if it is a feasible schedule better than
        the greedy one, so a stale hint costs nothing.
    stop : threading.Event, optional
        Set from another thread to stop the search: :class:`SolveStopped` is raised, and no schedule returned.

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
    found, placed = _decide(problem, deterministic_time, progress, hint, stop)
    start, end = left_shift(problem, *placed)
    best = objective_value(problem, end)  # never above the search's: the shift only brings ends earlier
    bound = max(found.bound, precedence_bound(problem))
    if bound > best:  # a valid schedule cannot beat a proven bound: something above is wrong, say so loudly
        raise RuntimeError(f"internal error: objective {best} below its proven bound {bound}")
    sched = Schedule(
        found.status,
        best,
        bound,
        start,
        end,
        wall_seconds=time.perf_counter() - t0,
        deterministic_time=found.work,
        extra={
            "months_pulled_earlier": sum(v - start[t] for t, v in found.start.items()),
            "warm_start": int(found.warm),
        },
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


@dataclass
class _Found:
    """The best schedule a search found (of the tasks it decided), its status and bound, and how it went."""

    start: dict[str, int]
    end: dict[str, int]
    status: str
    bound: int
    warm: bool
    work: float

    def take(self, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus, b: Built) -> None:
        """Keep the solver's schedule if it found one, and its bound and work in any case."""
        self.work += solver.deterministic_time
        self.bound = max(self.bound, int(solver.best_objective_bound))  # a proven bound, found a schedule or not
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            self.start = {t: int(solver.value(v)) for t, v in b.start.items()}
            self.end = {t: int(solver.value(v)) for t, v in b.end.items()}
            self.status = "optimal" if status == cp_model.OPTIMAL else "feasible"


def _decide(
    problem: Problem,
    deterministic_time: float,
    progress: Callable[[str], None] | None,
    hint: Mapping[str, int] | None,
    stop: threading.Event | None,
) -> tuple[_Found, tuple[dict[str, int], dict[str, int]]]:
    """Search the part of the plan that decides anything (:func:`geo.schedule.reduce.core`), then place the rest.

    Returns what the search found and a whole schedule.  Should the tasks left out not fit before the horizon after
    it, the whole plan is searched instead.
    """
    part = core(problem)
    found = _primary_phase(part, build_model(part, with_lits=False), deterministic_time, progress, hint, stop=stop)
    if part is problem:
        return found, (found.start, found.end)
    # the search leaves tasks with slack anywhere in their window: pull them early before placing the rest after
    placed = complete(problem, left_shift(part, found.start, found.end)[0])
    if placed is None:
        log.info("the tasks left out of the search do not fit; searching all %d tasks", len(problem.tasks))
        model = build_model(problem, with_lits=False)
        whole = _primary_phase(problem, model, deterministic_time, progress, hint, stop=stop)
        whole.work += found.work
        return whole, (whole.start, whole.end)
    return found, placed


def _ends(problem: Problem, start: Mapping[str, int]) -> dict[str, int]:
    """Each task's end, given its start."""
    return {tid: v + problem.tasks[tid].duration for tid, v in start.items()}


def _valid(problem: Problem, start: dict[str, int], end: dict[str, int]) -> bool:
    """Whether a schedule keeps every rule of the plan (:func:`check_schedule`): only such a one may be returned."""
    return not check_schedule(problem, Schedule("candidate", 0, 0, start, end))


def _start_hint(problem: Problem, hint: Mapping[str, int] | None) -> tuple[dict[str, int] | None, bool]:
    """The search's first schedule: the better greedy schedule, or the warm-start hint if feasible and better.

    The hint is completed by that greedy schedule; all are pulled earlier first (:func:`left_shift`), so the search
    starts from the best of them.  The flag says whether the hint was chosen.
    """
    schedules = []
    for make in (priority_greedy, greedy):
        try:
            g = make(problem)
        except PlanError:
            continue
        shifted = left_shift(problem, g.start, g.end)
        if _valid(problem, *shifted):  # a list schedule ignores deadlines: it may break a window
            schedules.append(shifted)
    if not schedules:  # no valid greedy schedule: the hint alone, if it names every task and keeps the plan
        if hint and set(problem.tasks) <= set(hint):
            start = {tid: int(hint[tid]) for tid in problem.tasks}
            if _valid(problem, start, _ends(problem, start)):
                return start, True
        return None, False
    best, warm = min(schedules, key=lambda se: objective_value(problem, se[1])), False
    if hint:
        start = {tid: int(hint.get(tid, best[0][tid])) for tid in problem.tasks}
        if _valid(problem, start, _ends(problem, start)):
            shifted = left_shift(problem, start, _ends(problem, start))
            if objective_value(problem, shifted[1]) < objective_value(problem, best[1]):
                best, warm = shifted, True
    log.debug("first schedule of the search: objective %d (warm: %s)", objective_value(problem, best[1]), warm)
    return best[0], warm


def _primary_phase(
    problem: Problem,
    b: Built,
    deterministic_time: float,
    progress: Callable[[str], None] | None,
    hint: Mapping[str, int] | None = None,
    *,
    stop: threading.Event | None = None,
) -> _Found:
    """Minimise the primary objective, starting from the best of the greedy schedules and the warm-start hint.

    Returns the best schedule found: the search's, or the starting schedule itself when the budget ran out before
    the search found one (a plan of thousands of zones can spend a small budget loading).  Raises
    :class:`PlanError` when there is none (an invalid model, an infeasible plan explained by its lines, or no
    starting schedule and a budget too small).
    """
    b.model.minimize(b.primary)
    first, warm = _start_hint(problem, hint)
    found = _Found({}, {}, "none", 0, warm, 0.0)
    if first is not None:
        _hint(b, first)
        found.start, found.end, found.status = first, _ends(problem, first), "feasible"
    # a single search first: on plans of the reference's size it proves the optimum in well under a second,
    # where the portfolio spends that long loading its subsolvers; the portfolio goes on from what it found
    quick = min(deterministic_time, QUICK_DETERMINISTIC_TIME)
    solver = make_solver(quick, progress, portfolio=False)
    found.take(solver, _checked(problem, b, run_solver(solver, b.model, stop), deterministic_time), b)
    if found.status != "optimal" and deterministic_time > quick:
        if found.status != "none":
            _hint(b, found.start)
        solver = make_solver(deterministic_time - quick, progress)
        found.take(solver, _checked(problem, b, run_solver(solver, b.model, stop), deterministic_time), b)
    if found.status == "none":
        raise _no_schedule(problem)
    return found


def _hint(b: Built, start: Mapping[str, int]) -> None:
    """Seed the search with a schedule: every start, and the order literals of the relaxation it implies."""
    b.model.clear_hints()  # type: ignore[no-untyped-call]  # ortools leaves it unannotated
    for tid, v in b.start.items():
        b.model.add_hint(v, start[tid])
    for tid, month, lit in b.relax.lits:
        b.model.add_hint(lit, start[tid] <= month)


def _checked(
    problem: Problem, b: Built, status: cp_model.CpSolverStatus, deterministic_time: float
) -> cp_model.CpSolverStatus:
    """The status, unless it says the model is invalid or the plan infeasible: then the plan's error, explained."""
    if status == cp_model.MODEL_INVALID:
        raise _invalid(problem, b.model)
    if status == cp_model.INFEASIBLE:
        raise PlanError(explain_infeasible(problem, deterministic_time))
    return status


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
    b = build_model(problem, with_lits=True)
    cores = _Cores(b, deterministic_time)
    try:
        core = cores.of(list(range(len(b.lits))))
    except _Undecided:
        return [
            PlanIssue(
                problem.capacity_origin[0],
                1,
                1,
                "the plan has no schedule, but the solver could not single out the constraints that conflict within "
                "its time budget",
                "raise the time budget (--time) to have them listed",
            )
        ]
    if core is None:
        return [
            PlanIssue(
                problem.capacity_origin[0], 1, 1, "the plan is infeasible only through its horizon", "raise 'horizon:'"
            )
        ]
    return _conflicts(b, _shrink(core, cores))


class _Undecided(Exception):  # noqa: N818 - not an error of the plan: the budget ended before an answer
    """The search ended within its budget without deciding whether the constraints can hold together."""


class _Cores:
    """Asks CP-SAT which of the guarded plan constraints cannot hold together."""

    def __init__(self, b: Built, deterministic_time: float) -> None:
        self.b = b
        self.deterministic_time = deterministic_time
        self.index = {v.index: k for k, (v, _, _) in enumerate(b.lits)}

    def of(self, active: list[int]) -> list[int] | None:
        """A set of the ``active`` constraints (indices into the literals) sufficient for infeasibility.

        None when the active constraints can hold together; :class:`_Undecided` when the budget ended first (an
        undecided set is not taken for one that holds, or an infeasible plan would be blamed on its horizon).
        """
        model = self.b.model.clone()
        model.clear_assumptions()
        model.add_assumptions([self.b.lits[k][0] for k in active])
        solver = make_solver(self.deterministic_time, None)
        solver.parameters.num_workers = 1  # assumption cores need a single worker
        solver.parameters.interleave_search = False
        st = run_solver(solver, model)
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        if st != cp_model.INFEASIBLE:
            raise _Undecided
        return sorted(self.index[i] for i in solver.sufficient_assumptions_for_infeasibility())


def _shrink(core: list[int], cores: _Cores) -> list[int]:
    """Drop constraints from ``core`` one by one while the rest still conflict: no member can then be dropped.

    A constraint whose removal the budget cannot decide stays: the set listed may then be larger than needed, never
    wrong.
    """
    k = 0
    while k < len(core):
        trial = core[:k] + core[k + 1 :]
        try:
            smaller = cores.of(trial)
        except _Undecided:
            smaller = None
        if smaller is not None:
            core = [c for c in smaller if c in trial] or trial
        else:
            k += 1
    return core


def _conflicts(b: Built, core: list[int]) -> list[PlanIssue]:
    """One issue per plan line among the conflicting constraints, in the order the lines first appear."""
    merged: dict[tuple[str, int, int], list[str]] = {}
    for c in core:
        _, desc, origin = b.lits[c]
        merged.setdefault(origin, []).append(desc)
    issues = []
    for origin, descs in merged.items():
        msg = descs[0] if len(descs) == 1 else f"{descs[0]} (and {len(descs) - 1} more from this line)"
        issues.append(
            PlanIssue.at(origin, f"conflicting constraint: {msg}", "relax one of the constraints listed together here")
        )
    return issues
