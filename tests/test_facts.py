from importlib import resources

import pytest

from geo.build import facts

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


@pytest.mark.parametrize("table", TABLES)
def test_coordinates_are_lon_lat_in_the_region(table):
    for r in facts.read(table):
        if r.get("lon"):
            assert 34.0 < float(r["lon"]) < 36.0 and 31.0 < float(r["lat"]) < 33.0, r
