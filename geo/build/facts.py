"""Compiled facts shipped with the package: names, site coordinates, population figures.

Each table is a CSV file in ``geo/build/data`` and every row cites its source.
"""

from __future__ import annotations

import csv
from importlib import resources

__all__ = ["read"]


def read(name: str) -> list[dict[str, str]]:
    """Read the facts table ``name`` (``geo/build/data/NAME.csv``) as a list of rows.

    Parameters
    ----------
    name : str
        Table name without the ``.csv`` suffix, e.g. ``"crossings"``.

    Returns
    -------
    list of dict
        One dict per row, values as strings (empty string for a blank cell).
    """
    text = (resources.files("geo.build") / "data" / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))
