import pytest

from geo.build import facts


@pytest.mark.parametrize(
    "table",
    [
        "crossings",
        "old_city_walls",
        "holy_basin_sites",
        "jerusalem_neighbourhoods",
        "pcbs_population",
        "settlement_aliases",
    ],
)
def test_every_row_cites_a_source(table):
    rows = facts.read(table)
    assert rows
    for r in rows:
        assert r["source"].strip(), r


def test_pcbs_table_sums_to_the_published_totals():
    rows = facts.read("pcbs_population")
    wb = sum(int(r["population"]) for r in rows[:11])
    gaza = sum(int(r["population"]) for r in rows[11:])
    assert (wb, gaza) == (2_935_368, 1_881_135)


def test_coordinates_are_lon_lat_in_the_region():
    for table in ("crossings", "old_city_walls", "holy_basin_sites", "jerusalem_neighbourhoods"):
        for r in facts.read(table):
            if r.get("lon"):
                assert 34.0 < float(r["lon"]) < 36.0 and 31.0 < float(r["lat"]) < 33.0, r
