"""Comparing two scheduled plans: when each entity reaches each state in A and in B, and metrics side by side.

The entities are the zones (security, movement, and each obstacle type they remove), the crossings (each
management regime, the first from the month it opens), the Gaza - West Bank links, the barrier removal steps, the
residual presences and the residence ledger: every track a plan moves along.

A plan may name its security states and movement levels as it likes, so the metrics shown are derived from
each plan's ladders and sections; when the two plans' ladders differ, what they share is compared and the rest is
named in the comparison's notes.

A plan may name a border scenario, and is then planned inside it (its zones cut by the annexed land, the swapped
land added as zones): the comparison names each plan's border (``border_a``, ``border_b``) and, when either has
one, says in its notes that the two plans' zones and areas are of their own borders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd

from ..plan import Problem
from ..run import PlanRun
from ..timeline import Timeline

__all__ = ["KEY_METRICS", "SHIFT_TRACKS", "Comparison", "compare", "key_metrics"]

log = logging.getLogger(__name__)

#: Metrics shown side by side for a plan of the default ladders and none of the confederation's sections (see
#: :func:`key_metrics`).
KEY_METRICS = (
    "area_pct_idf",
    "area_pct_palestinian",
    "population_permits",
    "population_free_movement",
    "obstacles_removed",
    "troops_deployed",
)
#: The tracks whose steps are compared, in the order the shifts list them (see :func:`compare`).
SHIFT_TRACKS = ("security", "movement", "obstacles", "regime", "link", "barrier", "residual", "residence")


@dataclass
class Comparison:
    """Shifts per zone, track and state, and metrics per month with deltas (B minus A).

    ``notes`` says what could not be compared (states or metrics that only one plan has) and, when either plan
    names a border, which border each plan is planned inside; ``border_a`` and ``border_b`` are the names of the
    plans' borders (``None``: the 1967 line, no border scenario).
    """

    a: str
    b: str
    shifts: pd.DataFrame
    metrics: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    border_a: str | None = None
    border_b: str | None = None


def key_metrics(problem: Problem) -> tuple[str, ...]:
    """The metrics worth comparing for a plan: from its own ladders and sections, whatever their names.

    The share of the territory in the first security state and in each state a zone ends in (the last of the
    ladder may be a state few zones reach, a shared regime, while most end in the one before it), the population
    at the last two movement levels, obstacles removed and troops deployed (for the default ladders:
    :data:`KEY_METRICS`); then, for the sections the plan has, residents each way, the people the links can
    carry a month, the barrier standing, crossings over capacity, residual sites and early-warning stations.

    Parameters
    ----------
    problem : Problem
        The compiled plan.

    Returns
    -------
    tuple of str
        Column names of :func:`geo.metrics.monthly_metrics`.
    """
    states, levels = problem.security_states, problem.movement_levels
    ends = {problem.path(z, "security")[-1] for z in problem.zones}
    names = [
        f"area_pct_{states[0]}",
        *(f"area_pct_{st}" for st in states if st in ends),
        *(f"population_{lv}" for lv in levels[-2:]),
        "obstacles_removed",
        "troops_deployed",
    ]
    sections = (
        (problem.residence is not None, ("residents_israelis_in_palestine", "residents_palestinians_in_israel")),
        (bool(problem.link_capacity), ("link_people_per_month",)),
        (bool(problem.barrier_zones), ("barrier_km_standing",)),
        (bool(problem.demand), ("crossings_over_capacity",)),
        (bool(problem.residual), ("residual_sites",)),
        (bool(problem.stations), ("early_warning_stations",)),
    )
    names += [name for has, more in sections if has for name in more]
    return tuple(dict.fromkeys(names))


def _aligned(run: PlanRun, months: int) -> pd.DataFrame:
    """Metrics for months 0..months; after its horizon a plan keeps its last month's values."""
    m = run.metrics.set_index("month")
    out = m.reindex(range(months + 1)).ffill()
    return out.astype(m.dtypes.to_dict())


def _ladder_notes(a: Problem, b: Problem) -> list[str]:
    notes = []
    for what, la, lb in (
        ("security states", a.security_states, b.security_states),
        ("movement levels", a.movement_levels, b.movement_levels),
    ):
        if la != lb:
            notes.append(
                f"the plans' {what} differ (A: {' -> '.join(la)}; B: {' -> '.join(lb)}): "
                "steps are matched by name, and those of one plan only have no shift"
            )
    return notes


def _border_of(run: PlanRun) -> str | None:
    """The name of the border scenario a run is planned inside, or ``None``."""
    return run.border.name if run.border is not None else None


def _border_notes(a: PlanRun, b: PlanRun) -> list[str]:
    """Which border each plan is planned inside, when either names one: their zones and areas differ by it."""
    if a.border is None and b.border is None:
        return []
    out = []
    for side, run in (("A", a), ("B", b)):
        if run.border is None:
            out.append(f"plan {side} names no border: it is planned on the 1967 line")
            continue
        fig = run.border.figures
        out.append(
            f"plan {side} is planned inside the border '{run.border.name}' "
            f"(annexed {_km2(fig.get('annexed_km2'))}, swapped {_km2(fig.get('swapped_km2'))})"
        )
    if _border_of(a) != _border_of(b):
        out.append("the plans' borders differ: zones, areas and people are each of its own plan's territory")
    return out


def _km2(value: object) -> str:
    """An area figure of a border as the notes print it."""
    return f"{float(value):,.2f} km²" if isinstance(value, int | float) else "unknown"


def _shared_metrics(a: PlanRun, b: PlanRun, wanted: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The wanted numeric metrics both plans have, and a note per side for those only one has."""

    def numeric(run: PlanRun, col: str) -> bool:
        return col in run.metrics.columns and col != "month" and pd.api.types.is_numeric_dtype(run.metrics[col])

    shared = [c for c in wanted if numeric(a, c) and numeric(b, c)]
    notes = []
    for side, run, other in (("A", a, b), ("B", b, a)):
        only = [c for c in wanted if numeric(run, c) and not numeric(other, c)]
        if only:
            notes.append(f"not compared, only plan {side} has them: {', '.join(only)}")
    missing = [c for c in wanted if not numeric(a, c) and not numeric(b, c)]
    if missing:
        notes.append(f"not compared, neither plan has them: {', '.join(missing)}")
    return shared, notes


def _reached(tl: Timeline) -> dict[tuple[str, str, str], int]:
    """``(entity, track, state) -> month`` for every scheduled step on a track of :data:`SHIFT_TRACKS`."""
    return {
        (entity, track, state): month
        for track in SHIFT_TRACKS
        for entity in tl.entities(track)
        for state, month in tl.reached(entity, track).items()
    }


def _order(key: tuple[str, str, str]) -> tuple[bool, str, int, str]:
    """Shifts in reading order: each zone's security then movement steps, then the other tracks entity by entity."""
    track = SHIFT_TRACKS.index(key[1])
    return (track > 1, key[0], track, key[2])


def _shifts(a: PlanRun, b: PlanRun) -> pd.DataFrame:
    ra, rb = _reached(a.timeline), _reached(b.timeline)
    rows = []
    for key in sorted(set(ra) | set(rb), key=_order):
        ma, mb = ra.get(key), rb.get(key)
        rows.append(
            {
                "zone": key[0],
                "track": key[1],
                "state": key[2],
                "month_a": ma,
                "month_b": mb,
                "date_a": None if ma is None else a.timeline.label(ma),
                "date_b": None if mb is None else b.timeline.label(mb),
                "shift": None if ma is None or mb is None else mb - ma,
            }
        )
    columns = ["zone", "track", "state", "month_a", "month_b", "date_a", "date_b", "shift"]
    shifts = pd.DataFrame(rows, columns=columns)
    for col in ("month_a", "month_b", "shift"):
        shifts[col] = shifts[col].astype("Int64")
    return shifts


def compare(a: PlanRun, b: PlanRun, columns: tuple[str, ...] | None = None) -> Comparison:
    """Compare two scheduled plans.

    Parameters
    ----------
    a, b : PlanRun
        The two plans (month 0 of each is its own start month).
    columns : tuple of str, optional
        Metrics to put side by side (default: :func:`key_metrics` of A, then those of B that A lacks).
        Those that only one plan has are left out and named in ``notes``.

    Returns
    -------
    Comparison
        ``shifts``: zone (the entity: a zone, or a crossing, link, barrier step, residual presence or the
        residence ledger), track (:data:`SHIFT_TRACKS`), state, month and date in A and B, shift in months
        (B - A; missing where a plan does not schedule the step); the zones' security and movement steps come
        first, zone by zone, then the other tracks. ``metrics``: month, then ``<metric>_a``, ``<metric>_b``,
        ``<metric>_delta``. ``border_a``, ``border_b``: the names of the plans' borders, if any (see
        ``notes``).
    """
    wanted = columns if columns is not None else tuple(dict.fromkeys(key_metrics(a.problem) + key_metrics(b.problem)))
    shared, notes = _shared_metrics(a, b, wanted)
    notes = _border_notes(a, b) + _ladder_notes(a.problem, b.problem) + notes
    for note in notes:
        log.info("diff: %s", note)
    months = max(a.problem.horizon, b.problem.horizon)
    ma_, mb_ = _aligned(a, months), _aligned(b, months)
    table = pd.DataFrame({"month": range(months + 1)})
    for col in shared:
        table[f"{col}_a"] = ma_[col].to_numpy()
        table[f"{col}_b"] = mb_[col].to_numpy()
        table[f"{col}_delta"] = table[f"{col}_b"] - table[f"{col}_a"]
    return Comparison(a.name, b.name, _shifts(a, b), table, notes, _border_of(a), _border_of(b))
