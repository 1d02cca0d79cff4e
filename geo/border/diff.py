"""Two border scenarios compared: areas on every denominator, people, and the settlements that change side.

Negotiating positions are argued as differences ("B annexes 1.2 points more of the West Bank, and 20,000 more
settlers"), and those differences mean something only on one denominator at a time, so the areas are compared
denominator by denominator.  Every figure of the two results is compared, whatever figures they carry: the rows
and keys are read from the results, never listed here, so a figure added to :class:`~.compute.BorderResult` shows
up in the comparison without a change.

A settlement is on Israel's side when its point lies inside the annexed area, the rule the figures count settlers
by, so the settlements that change side account for the change in settlers.  Pure: no files, no drawing.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from ..crs import to_metric
from .compute import BorderResult

__all__ = ["ISRAEL", "PALESTINE", "BorderDiff", "annexed_settlements", "compare"]

#: The side of a settlement inside the annexed area, and outside it.
ISRAEL, PALESTINE = "Israel", "Palestine"
#: The settlements layer's columns a comparison reports, when the layer has them.
_SETTLEMENT_FIELDS = ("settlement_id", "name", "kind", "population")


@dataclass
class BorderDiff:
    """Scenario B against scenario A.

    Attributes
    ----------
    a, b : str
        The scenarios' names.
    denominators : DataFrame
        One row per denominator and figure of the denominator tables: ``denominator``, ``figure``, ``a``,
        ``b`` and ``b_minus_a`` (None where a figure is not a number).
    figures : DataFrame
        One row per figure: ``figure``, ``a``, ``b``, ``b_minus_a``.
    settlements : DataFrame
        The settlements on another side in B than in A: ``settlement_id``, ``name``, ``kind``, ``population``
        (those the layer has), ``side_a`` and ``side_b``, sorted by the side they leave, then by name.
    """

    a: str
    b: str
    denominators: pd.DataFrame
    figures: pd.DataFrame
    settlements: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """Plain data, as ``landplan border diff --json`` prints it."""
        return {
            "a": self.a,
            "b": self.b,
            "denominators": _records(self.denominators),
            "figures": _records(self.figures),
            "settlements_changing_side": _records(self.settlements),
        }


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (numpy and pandas scalars unwrapped, missing values as None)."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        return _plain(v.item())
    return v


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _delta(a: Any, b: Any) -> Any:
    """``b - a`` for two numbers, rounded as the figures are (at most 3 decimals); None otherwise."""
    a, b = _plain(a), _plain(b)
    if not (_is_number(a) and _is_number(b)):
        return None
    d = b - a
    return d if isinstance(d, int) else round(float(d), 3) + 0.0  # + 0.0: no "-0.0"


def _compare(keys: Sequence[str], a: Mapping[Any, Any], b: Mapping[Any, Any]) -> list[dict[str, Any]]:
    return [
        {"figure": k, "a": _plain(a.get(k)), "b": _plain(b.get(k)), "b_minus_a": _delta(a.get(k), b.get(k))}
        for k in keys
    ]


def _union(*keys: Sequence[str]) -> list[str]:
    """Every key once, in the order first seen: A's order, then what only B has."""
    return list(dict.fromkeys(k for ks in keys for k in ks))


def _denominators(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Each denominator's figures in A and B (a denominator only one of them has is compared with None)."""
    ta, tb = a.set_index("denominator"), b.set_index("denominator")
    columns = _union(list(ta.columns), list(tb.columns))
    rows: list[dict[str, Any]] = []
    for name in _union(list(ta.index), list(tb.index)):
        ra = ta.loc[name].to_dict() if name in ta.index else {}
        rb = tb.loc[name].to_dict() if name in tb.index else {}
        rows.extend({"denominator": name, **r} for r in _compare(columns, ra, rb))
    return pd.DataFrame(rows, columns=["denominator", "figure", "a", "b", "b_minus_a"], dtype=object)


def annexed_settlements(result: BorderResult, settlements: gpd.GeoDataFrame) -> pd.Series:
    """Whether each settlement lies inside the scenario's annexed area.

    The rule the scenario's figures count settlers by (a settlement's point inside the annexed area), so a map
    or a comparison that uses it agrees with the figures.

    Parameters
    ----------
    result : BorderResult
        A computed scenario (geometry in EPSG:2039).
    settlements : GeoDataFrame
        The settlements layer (any CRS).

    Returns
    -------
    pandas.Series of bool
        Indexed like ``settlements``.
    """
    if result.annexed.is_empty:
        return pd.Series(False, index=settlements.index, dtype=bool)
    inside: pd.Series = to_metric(settlements, "settlements").geometry.within(result.annexed).astype(bool)
    return inside


def _changed(a: BorderResult, b: BorderResult, settlements: gpd.GeoDataFrame) -> pd.DataFrame:
    in_a, in_b = annexed_settlements(a, settlements), annexed_settlements(b, settlements)
    fields = [c for c in _SETTLEMENT_FIELDS if c in settlements.columns]
    moved = pd.DataFrame(settlements.loc[in_a != in_b, fields])
    moved["side_a"] = [ISRAEL if v else PALESTINE for v in in_a[in_a != in_b]]
    moved["side_b"] = [ISRAEL if v else PALESTINE for v in in_b[in_a != in_b]]
    order = ["side_a", "name"] if "name" in fields else ["side_a"]
    return moved.sort_values(order, kind="stable").reset_index(drop=True)


def compare(a: BorderResult, b: BorderResult, settlements: gpd.GeoDataFrame) -> BorderDiff:
    """Compare scenario ``b`` with scenario ``a``.

    Parameters
    ----------
    a, b : BorderResult
        Two computed scenarios (on the same layers).
    settlements : GeoDataFrame
        The settlements layer they were computed with, to name the settlements that change side.

    Returns
    -------
    BorderDiff
        Every denominator's figures and every figure in A, in B and B - A, and the settlements that change side.
    """
    figures = pd.DataFrame(
        _compare(_union(list(a.figures), list(b.figures)), a.figures, b.figures),
        columns=["figure", "a", "b", "b_minus_a"],
        dtype=object,
    )
    return BorderDiff(
        a.name, b.name, _denominators(a.denominators, b.denominators), figures, _changed(a, b, settlements)
    )
