from importlib import resources

import pytest

from geo.build import facts
from geo.errors import SourceError

TABLES = sorted(
    p.name.removesuffix(".csv") for p in (resources.files("geo.build") / "data").iterdir() if p.name.endswith(".csv")
)


def test_the_fact_tables_are_found():
    assert {"crossings", "locality_additions", "settlement_populations", "regions"} <= set(TABLES)


@pytest.mark.parametrize("table", TABLES)
def test_every_row_cites_a_source(table):
    rows = facts.read(table)
    assert rows
    cited = [c for c in rows[0] if c == "source" or c.endswith("_source")]
    assert cited, f"{table} has no source column"
    for r in rows:
        assert any(r[c].strip() for c in cited), r


#: Tables reaching past Israel and Palestine: the map's labels name the neighbours, the seas and Eilat.
WIDER = {"places": ((33.5, 37.5), (28.5, 34.5))}


@pytest.mark.parametrize("table", TABLES)
def test_coordinates_are_lon_lat_in_the_region(table):
    (x0, x1), (y0, y1) = WIDER.get(table, ((34.0, 36.0), (31.0, 33.0)))
    for r in facts.read(table):
        if r.get("lon"):
            assert x0 < float(r["lon"]) < x1 and y0 < float(r["lat"]) < y1, r


@pytest.mark.parametrize("table", TABLES)
def test_the_strict_reader_agrees_with_read_on_every_shipped_table(table):
    assert facts.rows(table) == facts.read(table)


_REAL_TEXT = facts._text


def _text_with(monkeypatch, table, edit):
    """Make the CSV text of ``table`` the real text changed by ``edit`` (a function of its lines)."""
    real = _REAL_TEXT
    monkeypatch.setattr(
        facts, "_text", lambda name: "\n".join(edit(real(name).splitlines())) if name == table else real(name)
    )


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda line: line.rsplit(",", 1)[0], r"cell\(s\), but the header has"),  # a cell missing
        (lambda line: line + ",extra", r"cell\(s\), but the header has"),  # a stray comma
    ],
)
def test_a_short_or_long_row_is_refused_naming_the_line_and_the_fix(monkeypatch, edit, problem):
    _text_with(monkeypatch, "settlement_populations", lambda lines: [*lines[:2], edit(lines[2]), *lines[3:]])
    with pytest.raises(SourceError, match=rf"geo/build/data/settlement_populations.csv line 3: \d+ {problem}.*Fix: "):
        facts.rows("settlement_populations")
    facts.read("settlement_populations")  # the lenient reader still reads it (None for a missing cell)


def test_a_blank_line_inside_a_table_is_refused_but_a_trailing_one_is_not(monkeypatch):
    _text_with(monkeypatch, "early_warning_sites", lambda lines: [*lines[:2], "", *lines[2:], "", ""])
    with pytest.raises(SourceError, match=r"early_warning_sites.csv line 3: blank line. Fix: remove it"):
        facts.rows("early_warning_sites")
    _text_with(monkeypatch, "early_warning_sites", lambda lines: [*lines, "", ""])
    assert len(facts.rows("early_warning_sites")) == len(facts.read("early_warning_sites"))


def test_every_cell_of_a_strict_row_is_text():
    for r in facts.rows("settlement_area_aliases"):
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in r.items())
