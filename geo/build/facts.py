"""Compiled facts shipped with the package: names, site coordinates, population figures.

Each table is a CSV file in ``geo/build/data`` and every row cites its source.
"""

from __future__ import annotations

import csv
from importlib import resources

from ..errors import SourceError

__all__ = ["read", "rows"]

_DATA = "geo/build/data"


def _text(name: str) -> str:
    return (resources.files("geo.build") / "data" / f"{name}.csv").read_text(encoding="utf-8")


def read(name: str) -> list[dict[str, str]]:
    """Read the facts table ``name`` (``geo/build/data/NAME.csv``) as a list of rows.

    Lenient: a short row gives ``None`` for its missing cells.  Readers that call string methods on
    cells use :func:`rows`, which refuses such a row instead.

    Parameters
    ----------
    name : str
        Table name without the ``.csv`` suffix, e.g. ``"crossings"``.

    Returns
    -------
    list of dict
        One dict per row, values as strings (empty string for a blank cell).
    """
    return list(csv.DictReader(_text(name).splitlines()))


def rows(name: str) -> list[dict[str, str]]:
    """Read the facts table ``name`` strictly: every row has exactly the header's cells.

    ``csv.DictReader`` fills the cells a short row lacks with ``None`` and files the cells of a long
    row under the key ``None``; a reader calling ``.strip()`` on such a cell would crash far from the
    cause, and a row with a stray comma would shift its values silently.  This refuses both, and a
    blank line inside the table (which would make readers count lines wrongly), naming the line.

    Parameters
    ----------
    name : str
        Table name without the ``.csv`` suffix, e.g. ``"settlement_populations"``.

    Returns
    -------
    list of dict
        One dict per row (line ``k + 2`` of the file is row ``k``), every value a ``str``.

    Raises
    ------
    SourceError
        On a row with missing or extra cells, or a blank line, naming ``geo/build/data/NAME.csv line N``.
    """
    lines = _text(name).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header:
        raise SourceError(f"{_DATA}/{name}.csv: the table is empty. Fix: restore its header and rows.")
    out: list[dict[str, str]] = []
    for cells in reader:
        where = f"{_DATA}/{name}.csv line {reader.line_num}"
        if not cells:
            raise SourceError(f"{where}: blank line. Fix: remove it (a blank line makes line numbers drift).")
        if len(cells) != len(header):
            raise SourceError(
                f"{where}: {len(cells)} cell(s), but the header has {len(header)} ({', '.join(header)}). "
                "Fix: give every column a value (an empty one between commas when unknown), and quote a value "
                'that contains a comma ("a, b").'
            )
        out.append({str(k): str(v) for k, v in zip(header, cells, strict=True)})
    return out
