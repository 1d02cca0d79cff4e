"""Tables from a schedule: the schedule itself, the zone x month state table, and metrics per month.

Every table reads when a zone reaches a state from the run's :class:`~geo.timeline.Timeline`, so the tables, the
map, the exports, the atlas and ``diff`` cannot disagree.  Each function takes the timeline it should read;
without one it builds its own from the plan and the schedule.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .plan import Problem
from .schedule import Schedule, troops_by_month
from .timeline import Timeline

__all__ = [
    "DAYS_PER_MONTH",
    "crossing_flows",
    "metric_unit",
    "monthly_metrics",
    "obstacle_removal_months",
    "schedule_table",
    "state_table",
]


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
            "from": tl.previous(step.key.track, step.key.state, step.key.entity),
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
    *,
    layers: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Metrics per month.

    Parameters
    ----------
    problem, sched
        The compiled plan and its schedule.
    zones : DataFrame
        The zones layer (``zone_id``, ``area_km2``, ``population``, ``settlers``).
    obstacles : DataFrame, optional
        The obstacles layer (``zone_id``, ``type``).  An obstacle of a type the plan removes on its own track
        counts as removed when its zone's removal of that type ends; any other once its zone reaches the second
        movement level (``internal`` by default).
    timeline : Timeline, optional
        The timeline of ``problem`` and ``sched``, when the caller has it already.
    layers : mapping of str to DataFrame, optional
        Other layers: ``barrier`` and ``seam_zone`` (with ``zone_id``) for the barrier's metrics, ``jerusalem``
        for the people of East Jerusalem by regime.

    Returns
    -------
    pandas.DataFrame
        One row per month: km² and % of the territory in each security state, Palestinian population at
        each movement level, settlers in zones by security state, crossings open, obstacles removed, troops
        deployed and available; then, for the sections a plan uses, crossing capacity and demand, the links'
        capacity, residual presences and early-warning stations, residents each way, the barrier standing and
        East Jerusalem's people by regime.  Parts sum to the totals; :func:`metric_unit` names each column's unit.
    """
    tl = _timeline(problem, sched, timeline)
    ly = dict(layers or {})
    if obstacles is not None:
        ly["obstacles"] = obstacles
    rows = _base_rows(problem, sched, zones, tl)
    for rows_of in (_obstacle_rows, _crossing_rows, _link_rows, _presence_rows, _residence_rows, _barrier_rows):
        extra = rows_of(problem, tl, zones, ly)
        for row, more in zip(rows, extra, strict=True):
            row.update(more)
    rows = _jerusalem_rows(problem, tl, ly, rows)
    return pd.DataFrame(rows)


def _base_rows(problem: Problem, sched: Schedule, zones: pd.DataFrame, tl: Timeline) -> list[dict[str, Any]]:
    """Per month: the territory and people by security state and movement level, crossings open, troops."""
    rec: dict[Any, dict[Any, Any]] = zones.set_index("zone_id")[["area_km2", "population", "settlers"]].to_dict("index")
    area = {zid: float(rec[zid]["area_km2"]) for zid in problem.zones}
    pop = {zid: int(rec[zid]["population"]) for zid in problem.zones}
    settlers = {zid: int(rec[zid]["settlers"]) for zid in problem.zones}
    area_total = sum(area.values())
    troops = troops_by_month(problem, sched)
    deployed = [int(v) for v in troops["troops_deployed"]]
    available = [int(v) for v in troops["troops_available"]]
    opened = [m for c in tl.entities("crossing") if (m := tl.completed(c, "crossing")) is not None]
    rows = []
    for mo in range(problem.horizon + 1):
        sec = {zid: tl.state_at(zid, "security", mo) for zid in problem.zones}
        mov = {zid: tl.level_at(zid, "movement", mo) for zid in problem.zones}
        row: dict[str, Any] = {"month": mo, "date": tl.label(mo)}
        for st in problem.security_states:
            a = sum(area[zid] for zid in problem.zones if sec[zid] == st)
            row[f"area_km2_{st}"] = round(a, 3)
            row[f"area_pct_{st}"] = round(100 * a / area_total, 2) if area_total else 0.0
            row[f"settlers_{st}"] = sum(settlers[zid] for zid in problem.zones if sec[zid] == st)
        for k, lv in enumerate(problem.movement_levels):
            row[f"population_{lv}"] = sum(pop[zid] for zid in problem.zones if mov[zid] == k)
        row["crossings_open"] = sum(e <= mo for e in opened)
        row["troops_deployed"] = deployed[mo]
        row["troops_available"] = available[mo]
        rows.append(row)
    return rows


_Rows = list[dict[str, Any]]


def _months(problem: Problem) -> range:
    return range(problem.horizon + 1)


def _obstacle_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """Obstacles removed: by their type's own track where the plan has one, else with the zone's second level."""
    obst = ly.get("obstacles")
    in_use = set(problem.zones)
    removed_at = [] if obst is None else obstacle_removal_months(problem, tl, obst[obst["zone_id"].isin(in_use)])
    total = len(removed_at)
    return [
        {"obstacles_removed": sum(m is not None and m <= mo for m in removed_at), "obstacles_total": total}
        for mo in _months(problem)
    ]


def obstacle_removal_months(problem: Problem, tl: Timeline, obstacles: pd.DataFrame) -> list[int | None]:
    """The month each obstacle goes (None: not within the plan), in the rows' order.

    An obstacle of a type the plan removes on its own track goes when its zone's removal of that type ends;
    any other when its zone reaches the second movement level (at month 0 if the zone starts there).

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    tl : Timeline
        Its timeline.
    obstacles : DataFrame
        Obstacles with ``zone_id`` and (optionally) ``type``.

    Returns
    -------
    list of int or None
    """
    kinds = obstacles["type"] if "type" in obstacles.columns else pd.Series([None] * len(obstacles))
    return [
        _removal_month(problem, tl, str(z), None if pd.isna(k) else str(k))
        for z, k in zip(obstacles["zone_id"], kinds, strict=True)
    ]


def _removal_month(problem: Problem, tl: Timeline, zone: str, kind: str | None) -> int | None:
    """The month one obstacle goes (None: never within the plan)."""
    if kind is not None and kind in problem.obstacle_types:
        return tl.month_reached(zone, "obstacles", kind)
    path = tl.path(zone, "movement")
    ladder = problem.movement_levels
    if len(ladder) < 2:
        return None
    if ladder.index(path[0]) >= 1:
        return 0
    return tl.month_reached(zone, "movement", path[1]) if len(path) > 1 else None


def _crossing_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """Capacity and demand per day over every planned crossing, and how many crossings are over capacity."""
    if not problem.demand and not any(
        r.people_per_day or r.trucks_per_day for x in problem.crossing_regimes.values() for r in x
    ):
        return [{} for _ in _months(problem)]
    flows = crossing_flows(problem, tl)
    out = []
    for _, g in flows.groupby("month", sort=True):
        out.append(
            {
                "crossing_people_capacity_per_day": int(g["people_capacity"].sum()),
                "crossing_people_demand_per_day": int(g["people_demand"].sum()),
                "crossing_trucks_capacity_per_day": int(g["trucks_capacity"].sum()),
                "crossing_trucks_demand_per_day": int(g["trucks_demand"].sum()),
                "crossings_over_capacity": int(g["over_capacity"].sum()),
            }
        )
    return out


def crossing_flows(problem: Problem, sched_or_tl: Timeline | Schedule) -> pd.DataFrame:
    """Per planned crossing and month: its regime, its capacity and the demand on it, people and trucks a day.

    A closed crossing lets nobody through; demand on it is still there, so it is over capacity: the economic
    shock of a crossing that cannot carry what the plan expects of it.

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    sched_or_tl : Timeline or Schedule
        Its timeline (or its schedule, to build one).

    Returns
    -------
    pandas.DataFrame
        Columns ``month``, ``crossing``, ``regime`` (``closed`` before it opens), ``partner``,
        ``people_capacity``, ``people_demand``, ``trucks_capacity``, ``trucks_demand``, ``over_capacity``.
    """
    tl = sched_or_tl if isinstance(sched_or_tl, Timeline) else Timeline(problem, sched_or_tl)
    rows = []
    for cid, regimes in problem.crossing_regimes.items():
        by_name = {r.regime: r for r in regimes}
        opened = tl.completed(cid, "crossing")
        for mo in _months(problem):
            is_open = opened is not None and opened <= mo
            r = by_name[tl.state_at(cid, "regime", mo)] if is_open else None
            people = sum(
                d.people_per_day * d.share(mo) / len(d.crossings) for d in problem.demand if cid in d.crossings
            )
            trucks = sum(
                d.trucks_per_day * d.share(mo) / len(d.crossings) for d in problem.demand if cid in d.crossings
            )
            cap_p = r.people_per_day if r is not None else 0
            cap_t = r.trucks_per_day if r is not None else 0
            rows.append(
                {
                    "month": mo,
                    "crossing": cid,
                    "regime": r.regime if r is not None else "closed",
                    "partner": r.partner if r is not None else None,
                    "people_capacity": cap_p,
                    "people_demand": round(people),
                    "trucks_capacity": cap_t,
                    "trucks_demand": round(trucks),
                    "over_capacity": round(people) > cap_p or round(trucks) > cap_t,
                }
            )
    cols = ["month", "crossing", "regime", "partner", "people_capacity", "people_demand"]
    cols += ["trucks_capacity", "trucks_demand", "over_capacity"]
    return pd.DataFrame(rows, columns=cols)


#: Days in a month, for capacities given per day.
DAYS_PER_MONTH = 30


def _link_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """People and trucks the Gaza-West Bank links can carry in a month (capacity a day x 30)."""
    if not problem.link_capacity:
        return [{} for _ in _months(problem)]
    out = []
    for mo in _months(problem):
        people = trucks = 0
        for link, cap in problem.link_capacity.items():
            p, t = cap[tl.state_at(link, "link", mo)]
            people, trucks = people + p, trucks + t
        out.append({"link_people_per_month": people * DAYS_PER_MONTH, "link_trucks_per_month": trucks * DAYS_PER_MONTH})
    return out


def _presence_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """Residual presences (sites and the land under them) and early-warning stations standing."""
    if not problem.residual and not problem.stations:
        return [{} for _ in _months(problem)]
    area = zones.set_index("zone_id")["area_km2"].astype(float).to_dict()
    out = []
    for mo in _months(problem):
        sites, land = 0, 0.0
        for r in problem.residual:
            under = [z for z in r.zones if mo < r.ends and tl.state_at(z, "security", mo) == r.during]
            if under:
                sites += r.site_count
                land += sum(area[z] for z in under)
        stations = sum(s.active(mo) for s in problem.stations)
        out.append({"residual_sites": sites, "area_km2_residual": round(land, 3), "early_warning_stations": stations})
    return out


def _cumulative(per_year: Sequence[int], months: int) -> int:
    """People admitted over ``months`` months by yearly quotas (year 1, 2, ...; the last repeats), 1/12 a month.

    Whole years count in full and the months of the year under way count ``quota * months // 12``, in integers,
    so a year's quota is reached exactly at its end.
    """
    if not per_year or months <= 0:
        return 0
    years, rest = divmod(months, 12)
    total = sum(_year(per_year, k) for k in range(years))
    return total + _year(per_year, years) * rest // 12


def _year(per_year: Sequence[int], k: int) -> int:
    """The quota of year ``k`` (0-based): the last one repeats; none is 0."""
    return per_year[min(k, len(per_year) - 1)] if per_year else 0


def _residence_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """Residents each way, cumulative: quotas (with parity), refugees, settlers who stay."""
    led = problem.residence
    if led is None:
        return [{} for _ in _months(problem)]
    opened = tl.completed("ledger", "residence")
    israelis, palestinians = list(led.israelis_per_year), list(led.palestinians_per_year)
    if led.parity:
        n = max(len(israelis), len(palestinians))
        both = [min(_year(israelis, k), _year(palestinians, k)) for k in range(n)]
        israelis, palestinians = both, both
    settlers = zones.set_index("zone_id")["settlers"].astype(int).to_dict()
    out = []
    for mo in _months(problem):
        months = 0 if opened is None else mo - opened
        staying = 0
        if led.settlers_on is not None and led.settlers_staying_pct:
            k = problem.security_states.index(led.settlers_on)
            reached = [z for z in problem.zones if tl.level_at(z, "security", mo) >= k]
            staying = round(sum(settlers[z] for z in reached) * led.settlers_staying_pct / 100)
        quota_il = _cumulative(israelis, months)
        quota_ps = _cumulative(palestinians, months)
        refugees = _cumulative(led.refugees_per_year, months)
        out.append(
            {
                "residents_israelis_in_palestine": quota_il + staying,
                "residents_settlers_staying": staying,
                "residents_palestinians_in_israel": quota_ps + refugees,
                "residents_refugees_in_israel": refugees,
            }
        )
    return out


def _barrier_rows(problem: Problem, tl: Timeline, zones: pd.DataFrame, ly: Mapping[str, pd.DataFrame]) -> _Rows:
    """Barrier km standing, and seam-zone land and people reconnected, as removal steps end."""
    bar, seam = ly.get("barrier"), ly.get("seam_zone")
    if bar is None or "zone_id" not in bar.columns:
        return [{} for _ in _months(problem)]
    removed = {z: tl.completed(step, "barrier") for step, zs in problem.barrier_zones.items() for z in zs}
    built = bar[(bar["kind"] != "gate") & (bar["status"] == "constructed") & bar["zone_id"].isin(set(problem.zones))]
    km = [(float(k), removed.get(str(z))) for k, z in zip(built["length_km"], built["zone_id"], strict=True)]
    parts = []
    if seam is not None and "zone_id" in seam.columns:
        parts = [
            (float(a), int(p), removed.get(str(z)))
            for a, p, z in zip(seam["area_km2"], seam["population"], seam["zone_id"], strict=True)
            if str(z) in set(problem.zones)
        ]
    out = []
    for mo in _months(problem):
        out.append(
            {
                "barrier_km_standing": round(sum(k for k, m in km if not _gone(m, mo)), 3),
                "seam_km2_reconnected": round(sum(a for a, _, m in parts if _gone(m, mo)), 3),
                "seam_people_reconnected": sum(p for _, p, m in parts if _gone(m, mo)),
            }
        )
    return out


def _gone(removed: int | None, month: int) -> bool:
    """Whether something removed in month ``removed`` (None: never) is gone by ``month``."""
    return removed is not None and removed <= month


def _jerusalem_rows(problem: Problem, tl: Timeline, ly: Mapping[str, pd.DataFrame], rows: _Rows) -> _Rows:
    """East Jerusalem's people by regime, month by month.

    Neighbourhoods follow the plan's East Jerusalem zone and the Old City's quarters the Old City zone (when the
    plan uses it).  A zone under a ``shared`` state is shared; a zone at the last state of its path that is past
    the Israeli ones (``idf``, ``israel_police``) is handed over, by the plan's rule: under the Clinton rule
    Palestinian neighbourhoods go with it and Israeli ones stay Israeli, under shared sovereignty all are shared;
    until then everyone is under Israel.
    """
    jer = ly.get("jerusalem")
    if problem.jerusalem is None or jer is None:
        return rows
    rule, zone = problem.jerusalem
    old_city = "old-city" if "old-city" in problem.zones else zone
    groups = []
    for kind, z in (("neighbourhood", zone), ("quarter", old_city)):
        part = jer[jer["kind"] == kind]
        ps = int(part.loc[part["clinton_rule"] == "PS", "population"].fillna(0).sum())
        il = int(part.loc[part["clinton_rule"] == "IL", "population"].fillna(0).sum())
        groups.append((z, ps, il))
    for mo, row in enumerate(rows):
        split = {"israeli": 0, "palestinian": 0, "shared": 0}
        for z, ps, il in groups:
            for regime, people in _jerusalem_split(tl, z, mo, rule, ps=ps, il=il).items():
                split[regime] += people
        row.update({f"jerusalem_people_{k}": v for k, v in split.items()})
    return rows


#: Security states under which a Jerusalem zone is still under Israel.
_ISRAELI_STATES = ("idf", "israel_police")


def _jerusalem_split(tl: Timeline, zone: str, month: int, rule: str, *, ps: int, il: int) -> dict[str, int]:
    """One zone's Palestinian-rule and Israeli-rule people by regime in ``month`` (see :func:`_jerusalem_rows`)."""
    state = tl.state_at(zone, "security", month)
    path = tl.path(zone, "security")
    if state == "shared":
        return {"shared": ps + il}
    if state != path[-1] or state in _ISRAELI_STATES or state == tl.ladders["security"][0]:
        return {"israeli": ps + il}
    if rule == "shared":
        return {"shared": ps + il}
    return {"israeli": il, "palestinian": ps}


#: Units of the metric columns, by prefix (the first that matches).
_UNITS = (
    ("area_km2_", "km²"),
    ("area_pct_", "% of the territory"),
    ("settlers_", "people"),
    ("population_", "people"),
    ("obstacles_", "obstacles"),
    ("crossings_open", "crossings"),
    ("crossings_over_capacity", "crossings"),
    ("crossing_people_", "people a day"),
    ("crossing_trucks_", "trucks a day"),
    ("troops_", "troops"),
    ("link_people_", "people a month"),
    ("link_trucks_", "trucks a month"),
    ("residual_sites", "sites"),
    ("early_warning_", "stations"),
    ("residents_", "people"),
    ("barrier_km_", "km"),
    ("seam_km2_", "km²"),
    ("seam_people_", "people"),
    ("jerusalem_people_", "people"),
    ("month", "months from the start"),
    ("date", "YYYY-MM"),
)


def metric_unit(column: str) -> str:
    """The unit of a metric column (``km²``, ``people``, ``people a day``...); empty when it has none.

    Parameters
    ----------
    column : str
        A column of :func:`monthly_metrics`.

    Returns
    -------
    str
    """
    return next((unit for prefix, unit in _UNITS if column.startswith(prefix)), "")
