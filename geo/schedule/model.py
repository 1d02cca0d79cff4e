"""The CP-SAT model of a compiled plan: intervals, precedences, windows and the troop and handover capacities.

Each task is an interval; preconditions are precedences with lags; windows bound starts and ends; the
international force's troops form a cumulative resource whose capacity follows the plan's piecewise schedule
(modelled with fixed blocker intervals); concurrent handovers are a second cumulative.  With ``with_lits`` every
plan constraint is guarded by an assumption literal, so an infeasible plan can be explained by its own lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from ..plan import Problem, Task

__all__ = ["Built", "build_model", "describe"]


@dataclass
class Built:
    """A built model with its start and end variables, assumption literals and primary objective."""

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


def build_model(problem: Problem, with_lits: bool) -> Built:
    """The CP-SAT model of ``problem``; with ``with_lits`` each plan constraint is guarded by a literal."""
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
                lit(f"{describe(t)} starts no earlier than month {t.earliest}", t.window_origin),
            )
        if t.latest is not None:
            enforce(m.add(end[tid] <= t.latest), lit(f"{describe(t)} ends by month {t.latest}", t.window_origin))
        for pr in t.preds:
            srcs = [s for s in pr.tasks if s in end]
            if not srcs:
                continue
            v = lit(f"{describe(t)} waits for {pr.why}" + (f" + {pr.lag} months" if pr.lag else ""), pr.origin)
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
    return Built(m, start, end, lits, primary)


def describe(t: Task) -> str:
    """How a task is named in messages: ``gate NAME``, ``crossing ID`` or ``ZONE: TRACK STATE``."""
    if t.kind in ("gate", "crossing"):
        return f"{t.kind} {t.to_state if t.kind == 'gate' else t.id.split('/', 1)[1]}"
    return f"{t.zone}: {t.kind} {t.to_state}"
