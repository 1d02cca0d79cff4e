"""Tables from a schedule: the schedule itself, the zone x month state table, and metrics per month.

Every table reads when a zone reaches a state from the run's :class:`~geo.timeline.Timeline`, so the tables, the
map, the exports, the atlas and ``diff`` cannot disagree.  Each function takes the timeline it should read;
without one it builds its own from the plan and the schedule.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .plan import Problem
from .schedule import Schedule, troops_by_month
from .timeline import Timeline

__all__ = ["monthly_metrics", "schedule_table", "state_table"]


def _timeline(problem: Problem, sched: Schedule, timeline: Timeline | None) -> Timeline:
    return timeline if timeline is not None else Timeline(problem, sched)


def schedule_table(problem: Problem, sched: Schedule, timeline: Timeline | None = None) -> pd.DataFrame:
    """One row per task: zone, track, from, to, start, end (months and dates).

    Parameters
    ----------
    problem, sched
        The compiled plan and its schedule.
    timeline : Timeline, optional
        Their timeline, when the caller has it already.

    Returns
    -------
    pandas.DataFrame
        Sorted by start, then zone and track, so the table reads as a timeline.
    """
    tl = _timeline(problem, sched, timeline)
    rows = [
        {
            "task": step.id,
            "zone": step.zone,
            "track": step.key.track,
            "from": tl.previous(step.key.track, step.key.state),
            "to": step.key.state,
            "start": step.start,
            "end": step.end,
            "start_date": tl.label(step.start),
            "end_date": tl.label(step.end),
        }
        for step in tl.steps()
    ]
    df = pd.DataFrame(rows)
    return df.sort_values(["start", "end", "task"], kind="stable").reset_index(drop=True)


def state_table(problem: Problem, sched: Schedule, timeline: Timeline | None = None) -> pd.DataFrame:
    """Zone x month -> security state and movement level (long format), zones in the plan's order.

    A state holds from the month its step ends.

    Parameters
    ----------
    problem, sched
        The compiled plan and its schedule.
    timeline : Timeline, optional
        Their timeline, when the caller has it already.

    Returns
    -------
    pandas.DataFrame
        Columns ``zone``, ``month``, ``date``, ``security``, ``movement``.
    """
    tl = _timeline(problem, sched, timeline)
    rows = [
        {
            "zone": z,
            "month": mo,
            "date": tl.label(mo),
            "security": tl.state_at(z, "security", mo),
            "movement": tl.state_at(z, "movement", mo),
        }
        for z in problem.zones
        for mo in range(problem.horizon + 1)
    ]
    return pd.DataFrame(rows)


def monthly_metrics(
    problem: Problem,
    sched: Schedule,
    zones: pd.DataFrame,
    obstacles: pd.DataFrame | None = None,
    timeline: Timeline | None = None,
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
    timeline : Timeline, optional
        The timeline of ``problem`` and ``sched``, when the caller has it already.

    Returns
    -------
    pandas.DataFrame
        One row per month: km² and % of the territory in each security state, Palestinian population at
        each movement level, settlers in zones by security state, crossings open, obstacles removed, troops
        deployed and available.  Parts sum to the totals.
    """
    tl = _timeline(problem, sched, timeline)
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
    troops = troops_by_month(problem, sched)
    deployed = [int(v) for v in troops["troops_deployed"]]
    available = [int(v) for v in troops["troops_available"]]
    opened = [m for c in tl.entities("crossing") if (m := tl.completed(c, "crossing")) is not None]
    rows = []
    for mo in range(problem.horizon + 1):
        sec = {zid: tl.state_at(zid, "security", mo) for zid in problem.zones}
        mov = {zid: tl.level_at(zid, "movement", mo) for zid in problem.zones}
        row: dict[str, object] = {"month": mo, "date": tl.label(mo)}
        for st in problem.security_states:
            a = sum(area[zid] for zid in problem.zones if sec[zid] == st)
            row[f"area_km2_{st}"] = round(a, 3)
            row[f"area_pct_{st}"] = round(100 * a / area_total, 2) if area_total else 0.0
            row[f"settlers_{st}"] = sum(settlers[zid] for zid in problem.zones if sec[zid] == st)
        for k, lv in enumerate(problem.movement_levels):
            row[f"population_{lv}"] = sum(pop[zid] for zid in problem.zones if mov[zid] == k)
        # an obstacle is removed once its zone is past the first movement level
        row["obstacles_removed"] = sum(obst[zid] for zid in problem.zones if mov[zid] >= 1)
        row["obstacles_total"] = sum(obst.values())
        row["crossings_open"] = sum(e <= mo for e in opened)
        row["troops_deployed"] = deployed[mo]
        row["troops_available"] = available[mo]
        rows.append(row)
    return pd.DataFrame(rows)
