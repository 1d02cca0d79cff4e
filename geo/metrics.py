"""Tables from a schedule: the schedule itself, the zone x month state table, and metrics per month."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from .plan import Problem
from .schedule import Schedule, troops_by_month

__all__ = [
    "crossing_ends",
    "month_label",
    "monthly_metrics",
    "schedule_table",
    "state_table",
    "step_ends",
]

#: When each zone reaches each state or level: ``(zone, track, state) -> month``.
StepEnds = Mapping[tuple[str, str, str], int]


def month_label(start: str, month: int) -> str:
    """``YYYY-MM`` of month ``month`` counted from ``start`` (``"2027-01"``, 13 -> ``"2028-02"``)."""
    y, m = (int(x) for x in start.split("-"))
    k = y * 12 + (m - 1) + month
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def step_ends(problem: Problem, sched: Schedule) -> dict[tuple[str, str, str], int]:
    """The month each zone reaches each security state and movement level, keyed ``(zone, track, state)``.

    Read from the compiled tasks' own fields, never by splitting task ids, so zone and state names may hold
    any character (a ``/`` included).

    Parameters
    ----------
    problem, sched
        The compiled plan and its schedule.

    Returns
    -------
    dict
        ``(zone, "security" or "movement", state) -> month`` for every scheduled step.
    """
    return {
        (t.zone, t.kind, t.to_state): sched.end[tid]
        for tid, t in problem.tasks.items()
        if t.kind in ("security", "movement") and t.zone is not None and tid in sched.end
    }


def crossing_ends(problem: Problem, sched: Schedule) -> dict[str, int]:
    """The month each planned crossing opens, by crossing id (from the tasks' kind, not their id's shape)."""
    return {
        t.key.entity: sched.end[tid] for tid, t in problem.tasks.items() if t.kind == "crossing" and tid in sched.end
    }


def schedule_table(problem: Problem, sched: Schedule) -> pd.DataFrame:
    """One row per task: zone, track, from, to, start, end (months and dates).

    Returns
    -------
    pandas.DataFrame
        Sorted by start, then zone and track, so the table reads as a timeline.
    """
    rows = []
    for tid, t in problem.tasks.items():
        if t.kind == "security":
            ladder = problem.security_states
        elif t.kind == "movement":
            ladder = problem.movement_levels
        else:
            ladder = []
        frm = ladder[ladder.index(t.to_state) - 1] if t.to_state in ladder else None
        rows.append(
            {
                "task": tid,
                "zone": t.zone,
                "track": t.kind,
                "from": frm,
                "to": t.to_state,
                "start": sched.start[tid],
                "end": sched.end[tid],
                "start_date": month_label(problem.start, sched.start[tid]),
                "end_date": month_label(problem.start, sched.end[tid]),
            }
        )
    df = pd.DataFrame(rows)
    return df.sort_values(["start", "end", "task"], kind="stable").reset_index(drop=True)


def _reached(ends: StepEnds, zone: str, track: str, ladder: list[str], month: int) -> str:
    state = ladder[0]
    for s in ladder[1:]:
        end = ends.get((zone, track, s))
        if end is not None and end <= month:
            state = s
        else:
            break
    return state


def state_table(problem: Problem, sched: Schedule) -> pd.DataFrame:
    """Zone x month -> security state and movement level (long format).

    A state holds from the month its step ends.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone``, ``month``, ``date``, ``security``, ``movement``.
    """
    ends = step_ends(problem, sched)
    rows = []
    for z in problem.zones:
        for mo in range(problem.horizon + 1):
            rows.append(
                {
                    "zone": z,
                    "month": mo,
                    "date": month_label(problem.start, mo),
                    "security": _reached(ends, z, "security", problem.security_states, mo),
                    "movement": _reached(ends, z, "movement", problem.movement_levels, mo),
                }
            )
    return pd.DataFrame(rows)


def monthly_metrics(
    problem: Problem, sched: Schedule, zones: pd.DataFrame, obstacles: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Metrics per month.

    Parameters
    ----------
    problem, sched
        The compiled plan and its schedule.
    zones : DataFrame
        The zones layer (``zone_id``, ``area_km2``, ``population``, ``settlers``).
    obstacles : DataFrame, optional
        The obstacles layer (``zone_id``); an obstacle counts as removed once its zone reaches the
        second movement level (``internal`` by default).

    Returns
    -------
    pandas.DataFrame
        One row per month: km² and % of the territory in each security state, Palestinian population at
        each movement level, settlers in zones by security state, crossings open, obstacles removed, troops
        deployed and available.  Parts sum to the totals.
    """
    rec: dict[Any, dict[Any, Any]] = zones.set_index("zone_id")[["area_km2", "population", "settlers"]].to_dict("index")
    area = {zid: float(rec[zid]["area_km2"]) for zid in problem.zones}
    pop = {zid: int(rec[zid]["population"]) for zid in problem.zones}
    settlers = {zid: int(rec[zid]["settlers"]) for zid in problem.zones}
    area_total = sum(area.values())
    counts: dict[str, int] = {}
    if obstacles is not None:
        for zid in obstacles["zone_id"]:
            counts[str(zid)] = counts.get(str(zid), 0) + 1
    obst = {zid: counts.get(zid, 0) for zid in problem.zones}
    cleared = problem.movement_levels.index(problem.movement_levels[1])
    troops = troops_by_month(problem, sched)
    deployed = [int(v) for v in troops["troops_deployed"]]
    available = [int(v) for v in troops["troops_available"]]
    opened = list(crossing_ends(problem, sched).values())
    ends = step_ends(problem, sched)
    rows = []
    for mo in range(problem.horizon + 1):
        sec = {zid: _reached(ends, zid, "security", problem.security_states, mo) for zid in problem.zones}
        mov = {zid: _reached(ends, zid, "movement", problem.movement_levels, mo) for zid in problem.zones}
        row: dict[str, object] = {"month": mo, "date": month_label(problem.start, mo)}
        for st in problem.security_states:
            a = sum(area[zid] for zid in problem.zones if sec[zid] == st)
            row[f"area_km2_{st}"] = round(a, 3)
            row[f"area_pct_{st}"] = round(100 * a / area_total, 2) if area_total else 0.0
            row[f"settlers_{st}"] = sum(settlers[zid] for zid in problem.zones if sec[zid] == st)
        for lv in problem.movement_levels:
            row[f"population_{lv}"] = sum(pop[zid] for zid in problem.zones if mov[zid] == lv)
        row["obstacles_removed"] = sum(
            obst[zid] for zid in problem.zones if problem.movement_levels.index(mov[zid]) >= cleared
        )
        row["obstacles_total"] = sum(obst.values())
        row["crossings_open"] = sum(e <= mo for e in opened)
        row["troops_deployed"] = deployed[mo]
        row["troops_available"] = available[mo]
        rows.append(row)
    return pd.DataFrame(rows)
