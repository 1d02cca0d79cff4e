"""Comparing two scheduled plans: when each zone reaches each state in A and in B, and metrics side by side."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .metrics import month_label
from .run import PlanRun

__all__ = ["KEY_METRICS", "Comparison", "compare"]

#: Metrics shown side by side by default.
KEY_METRICS = (
    "area_pct_idf",
    "area_pct_palestinian",
    "population_free_movement",
    "population_residence",
    "obstacles_removed",
    "troops_deployed",
)


@dataclass
class Comparison:
    """Shifts per zone, track and state, and metrics per month with deltas (B minus A)."""

    a: str
    b: str
    shifts: pd.DataFrame
    metrics: pd.DataFrame


def _reached(run: PlanRun) -> dict[tuple[str, str, str], int]:
    out = {}
    for tid, end in run.schedule.end.items():
        parts = tid.split("/")
        if len(parts) == 3:
            out[(parts[0], parts[1], parts[2])] = end
    return out


def _aligned(run: PlanRun, months: int) -> pd.DataFrame:
    """Metrics for months 0..months; after its horizon a plan keeps its last month's values."""
    m = run.metrics.set_index("month")
    out = m.reindex(range(months + 1)).ffill()
    return out.astype(m.dtypes.to_dict())


def compare(a: PlanRun, b: PlanRun, columns: tuple[str, ...] = KEY_METRICS) -> Comparison:
    """Compare two scheduled plans.

    Parameters
    ----------
    a, b : PlanRun
        The two plans (month 0 of each is its own start month).
    columns : tuple of str, optional
        Metrics to put side by side.

    Returns
    -------
    Comparison
        ``shifts``: zone, track, state, month and date in A and B, shift in months (B - A; missing where a plan
        does not schedule the step). ``metrics``: month, then ``<metric>_a``, ``<metric>_b``, ``<metric>_delta``.
    """
    ra, rb = _reached(a), _reached(b)
    rows = []
    for key in sorted(set(ra) | set(rb), key=lambda k: (k[0], k[1] != "security", k[1], k[2])):
        ma, mb = ra.get(key), rb.get(key)
        rows.append(
            {
                "zone": key[0],
                "track": key[1],
                "state": key[2],
                "month_a": ma,
                "month_b": mb,
                "date_a": None if ma is None else month_label(a.problem.start, ma),
                "date_b": None if mb is None else month_label(b.problem.start, mb),
                "shift": None if ma is None or mb is None else mb - ma,
            }
        )
    shifts = pd.DataFrame(rows)
    for col in ("month_a", "month_b", "shift"):
        shifts[col] = shifts[col].astype("Int64")
    months = max(a.problem.horizon, b.problem.horizon)
    ma_, mb_ = _aligned(a, months), _aligned(b, months)
    table = pd.DataFrame({"month": range(months + 1)})
    for col in columns:
        table[f"{col}_a"] = ma_[col].to_numpy()
        table[f"{col}_b"] = mb_[col].to_numpy()
        table[f"{col}_delta"] = table[f"{col}_b"] - table[f"{col}_a"]
    return Comparison(a.name, b.name, shifts, table)
