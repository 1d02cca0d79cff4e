"""The localities layer: census totals, no double counting, zone sums, cited gap fills and bad fact rows."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.build import facts, sites
from geo.build.localities import (
    _CORRECTIONS,
    _PATH,
    COLUMNS,
    TYPES,
    LocalityTables,
    build_localities,
    growth_factors,
    population_2017_by_zone,
    population_by_zone,
    read_tables,
)
from geo.errors import SourceError

pytestmark = pytest.mark.slow

#: PCBS census 2017 (preliminary results, 28 March 2018).
CENSUS_2017 = {"west_bank": 2_881_687, "gaza": 1_899_291}


@pytest.fixture(scope="module")
def inputs(sources_read: Any, bounds: Any) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """The validated sources and the planning zones, built once for the session."""
    return sources_read, bounds.zones


@pytest.fixture(scope="module")
def loc(inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """The layer built from the shipped tables."""
    return build_localities(*inputs)


def _own(loc: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return loc[loc["counted_with"].isna()]


def _tables_with(table: str, row_id: str, **changes: str) -> LocalityTables:
    """The shipped tables with one row of ``table`` altered."""
    tables = read_tables()
    rows = [dict(r) for r in getattr(tables, table)]
    hits = [r for r in rows if (r.get("locality_id") or r.get("area")) == row_id]
    assert hits, f"no row {row_id} in {table}"
    hits[0].update(changes)
    return replace(tables, **{table: rows})


# --------------------------------------------------------------------------------------------------------------
# published figures


@pytest.mark.parametrize("territory", ["west_bank", "gaza"])
def test_2017_totals_match_the_census_within_1_percent(loc: gpd.GeoDataFrame, territory: str) -> None:
    total = int(_own(loc).loc[lambda d: d["territory"] == territory, "population_2017"].sum())
    assert abs(total - CENSUS_2017[territory]) / CENSUS_2017[territory] < 0.01, total


def test_rows_counted_with_another_carry_no_figure(loc: gpd.GeoDataFrame) -> None:
    counted = loc[loc["counted_with"].notna()]
    assert len(counted) > 50  # the source's "NA"/"with X"/"part of X" rows
    assert counted["population_2017"].isna().all()
    assert counted["population"].isna().all()
    holders = loc.set_index("locality_id")
    assert set(counted["counted_with"]) <= set(holders.index)
    assert holders.loc[sorted(set(counted["counted_with"])), "counted_with"].isna().all()
    assert (counted["population_2017_source"].str.startswith("none: counted with")).all()


def test_with_x_rows_of_the_source_are_counted_with_x(loc: gpd.GeoDataFrame) -> None:
    by_id = loc.set_index("locality_id")
    assert by_id.loc["pcbs-402150", "counted_with"] == "pcbs-402140"  # Sharafat "with Beit Safafa"
    assert by_id.loc["pcbs-402060", "counted_with"] == "pcbs-402055"  # Wadi al Joz "with Sheikh Jarrah"
    assert by_id.loc["pcbs-502778-2", "counted_with"] == "pcbs-502778"  # the code listed twice


@pytest.mark.parametrize("zone_id", ["old-city", "hebron-h2"])
def test_old_city_and_h2_populations(loc: gpd.GeoDataFrame, zone_id: str) -> None:
    assert 25_000 <= population_2017_by_zone(loc)[zone_id] <= 45_000
    assert 25_000 <= population_by_zone(loc)[zone_id] <= 45_000


def test_hebron_city_is_split_between_h1_and_h2(loc: gpd.GeoDataFrame) -> None:
    by_id = loc.set_index("locality_id")
    assert by_id.loc["pcbs-502780", "population_2017"] + by_id.loc["add-hebron-h2", "population_2017"] == 201_063
    assert by_id.loc["pcbs-502780", "zone_id"] != "hebron-h2"
    assert by_id.loc["add-hebron-h2", "zone_id"] == "hebron-h2"


def test_old_city_is_not_counted_twice(loc: gpd.GeoDataFrame) -> None:
    inside = _own(loc).loc[lambda d: d["zone_id"] == "old-city"]
    assert list(inside["locality_id"]) == ["add-old-city"]
    assert loc.set_index("locality_id").loc["pcbs-402090", "counted_with"] == "add-old-city"


@pytest.mark.parametrize(("governorate", "census"), [("Deir Al-Balah", 273_200), ("Tulkarm", 186_760)])
def test_gaps_filled_to_the_governorate_census(loc: gpd.GeoDataFrame, governorate: str, census: int) -> None:
    assert int(_own(loc).loc[lambda d: d["governorate"] == governorate, "population_2017"].sum()) == census


def test_east_jerusalem_rows_say_their_figures_are_older(loc: gpd.GeoDataFrame) -> None:
    jiis = loc[loc["population_2017_source"] == "JIIS 2011 (East Jerusalem)"]
    assert len(jiis) >= 12
    assert set(jiis["governorate"]) == {"Jerusalem"}


# --------------------------------------------------------------------------------------------------------------
# zones and the layer's form


def test_every_zone_population_is_the_sum_of_its_localities(built: Any) -> None:
    """The pipeline's zones layer, not a recomputation, against the localities layer it shipped with."""
    zones, locs = built.layers["zones"].set_index("zone_id"), built.layers["localities"]
    own = _own(locs)
    assert set(locs["zone_id"]) <= set(zones.index)
    for column in ("population", "population_2017"):
        sums = own.groupby("zone_id")[column].sum().reindex(zones.index, fill_value=0).astype("int64")
        assert zones[column].astype("int64").to_dict() == sums.to_dict(), column
        assert int(zones[column].sum()) == int(own[column].sum()), column
    assert zones.loc["old-city", "population_2017"] > 25_000  # not an area share (3,197 before)


def test_each_point_lies_in_or_beside_its_zone(
    loc: gpd.GeoDataFrame, inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]
) -> None:
    zones = inputs[1].set_index("zone_id").to_crs(2039)
    points = loc.to_crs(2039)
    gap = [zones.geometry[z].distance(p) for z, p in zip(points["zone_id"], points.geometry, strict=True)]
    assert max(gap) <= 1000
    assert sum(d > 0 for d in gap) < 10


def test_columns_types_and_ids(loc: gpd.GeoDataFrame) -> None:
    assert list(loc.columns) == [*COLUMNS, "geometry"]
    assert loc.crs.to_epsg() == 4326
    assert loc["locality_id"].is_unique
    assert list(loc["locality_id"]) == sorted(loc["locality_id"])
    pattern = re.compile(r"(pcbs-\d{6}(-\d+)?|ocha-[a-z0-9-]+|add-[a-z0-9-]+)")
    assert all(pattern.fullmatch(i) for i in loc["locality_id"])
    pcbs = loc[loc["locality_id"].str.startswith("pcbs-")]
    assert (pcbs["locality_id"].str[5:11] == pcbs["pcode"]).all()
    assert set(loc["type"]) == set(TYPES)
    assert set(loc["territory"]) == {"west_bank", "gaza"}
    assert (loc["population_year"] == 2021).all()
    assert (loc["population_2017"].dropna() >= 0).all()
    both = loc.dropna(subset=["population_2017", "population"])
    assert (both["population"] >= both["population_2017"]).all()
    assert loc.set_index("locality_id").loc["pcbs-010185", "pcode"] == "010185"  # Jenin Camp, leading 0 kept


def test_build_is_deterministic(
    loc: gpd.GeoDataFrame, inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]
) -> None:
    again = build_localities(*inputs)
    pd.testing.assert_frame_equal(
        pd.DataFrame(loc.drop(columns="geometry")), pd.DataFrame(again.drop(columns="geometry"))
    )
    assert loc.geometry.geom_equals_exact(again.geometry, tolerance=0).all()


def test_population_by_zone_skips_rows_counted_elsewhere() -> None:
    tiny = gpd.GeoDataFrame(
        {
            "zone_id": ["a", "a", "b", "b"],
            "counted_with": [None, "x", None, None],
            "population": pd.array([10, None, None, 7], dtype="Int64"),
            "population_2017": pd.array([9, None, None, 6], dtype="Int64"),
        },
        geometry=[Point(35.2, 31.9)] * 4,
        crs=4326,
    )
    assert population_by_zone(tiny).to_dict() == {"a": 10, "b": 7}
    assert population_2017_by_zone(tiny).to_dict() == {"a": 9, "b": 6}


# --------------------------------------------------------------------------------------------------------------
# cited facts and growth


def test_every_compiled_row_cites_its_source(loc: gpd.GeoDataFrame) -> None:
    added = loc[loc["locality_id"].str.startswith("add-")]
    assert len(added) == 5
    assert (added["source"].str.len() > 40).all()
    assert added["population_2017_source"].str.startswith("compiled:").all()
    for name in ("locality_additions", "locality_corrections"):
        assert all(r["source"].strip() for r in facts.read(name)), name
    for r in facts.read("pcbs_growth"):
        assert r["census_2017_source"].strip() and r["base_source"].strip(), r["area"]
    corrected = loc[loc["source"].str.contains("; corrected: ")]
    assert len(corrected) == len(facts.read("locality_corrections"))


def test_growth_factors_use_the_governorate_or_its_territory(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    factors, year = growth_factors(read_tables().growth, inputs[1]["governorate"])
    assert year == 2021
    assert factors["Jenin"] == pytest.approx(338_919 / 314_866)
    assert factors["Hebron"] == pytest.approx(3_120_448 / 2_881_687)  # no verified 2021 figure: West Bank's
    assert factors["Rafah"] == pytest.approx(2_106_745 / 1_899_291)
    assert all(1.0 < f < 1.2 for f in factors.values())


def test_growth_table_without_a_governorate_row_is_an_error() -> None:
    rows = [r for r in read_tables().growth if r["area"] != "Salfit"]
    with pytest.raises(SourceError, match=r"no row for governorate 'Salfit'"):
        growth_factors(rows, ["Salfit", "Jenin"])


# --------------------------------------------------------------------------------------------------------------
# bad fact rows


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lon": "31.5247", "lat": "35.1107"}, r"row \d+ \('hebron-h2'\): coordinate .* Fix lon and lat"),
        ({"lon": "35.11x"}, r"row \d+ \('hebron-h2'\): coordinate .* Fix lon and lat"),
        ({"lon": "34.7800", "lat": "32.0800"}, r"row \d+ \('hebron-h2'\): .*outside every planning zone.*Fix lon/lat"),
        ({"lon": "35.0998", "lat": "31.5326"}, r"row \d+ \('hebron-h2'\): .*not 'hebron-h2'.*Fix lon/lat"),
        ({"governorate": "Bethlehem"}, r"row \d+ \('hebron-h2'\): .*governorate 'Hebron', not 'Bethlehem'.*Fix"),
        ({"source": ""}, r"row \d+ \('hebron-h2'\): empty source"),
        ({"type": "hamlet"}, r"row \d+ \('hebron-h2'\): type 'hamlet'"),
    ],
)
def test_bad_addition_row_names_the_row_and_the_fix(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame], changes: dict[str, str], message: str
) -> None:
    with pytest.raises(SourceError, match=message) as err:
        build_localities(*inputs, tables=_tables_with("additions", "hebron-h2", **changes))
    assert "locality_additions.csv" in str(err.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"locality_id": "pcbs-999999"}, r"no such locality in the source"),
        ({"name": "Nablus"}, r"names 'Nablus', the source calls it 'Tulkarm'"),
        ({"counted_with": "pcbs-100640"}, r"exactly one of population_2017 and counted_with"),
        ({"population_2017": "64,5x2"}, r"population_2017 '64,5x2' is not a whole number"),
    ],
)
def test_bad_correction_row_names_the_row_and_the_fix(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame], changes: dict[str, str], message: str
) -> None:
    with pytest.raises(SourceError, match=message) as err:
        build_localities(*inputs, tables=_tables_with("corrections", "pcbs-100645", **changes))
    assert "locality_corrections.csv: row" in str(err.value)


def test_unknown_population_text_in_the_source_is_an_error(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    src, zones = inputs
    communities = src["communities"].copy()
    communities.loc[communities["PCODE"] == 301810, "pop2017"] = "about 39k"  # Ramallah
    with pytest.raises(SourceError, match=r"PCODE=301810.*'Ramallah'.*'about 39k'.*locality_corrections.csv"):
        build_localities({**src, "communities": communities}, zones)


def _communities_with(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame], pcode: int, column: str, value: Any, nth: int = 0
) -> tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """The sources with one cell of the ``nth`` community of code ``pcode`` altered (the session's copy untouched)."""
    src, zones = inputs
    communities = src["communities"].copy()
    if column in ("PCODE", "GovID"):
        communities[column] = communities[column].astype(object)
    where = communities.index[communities["PCODE"] == pcode][nth]
    communities.loc[where, column] = value
    return {**src, "communities": communities}, zones


def _feature(src: dict[str, gpd.GeoDataFrame], pcode: int, nth: int = 0) -> int:
    """Position in the source file of the ``nth`` community of code ``pcode``."""
    return [pos for pos, code in enumerate(src["communities"]["PCODE"]) if code == pcode][nth]


def test_a_code_listed_twice_with_two_figures_is_an_error(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    bad = _communities_with(inputs, 502778, "pop2017", "1400", nth=1)  # Al Baqa'a, 1389 in the other row
    with pytest.raises(SourceError) as err:
        build_localities(*bad)
    message = str(err.value)
    first, second = _feature(inputs[0], 502778), _feature(inputs[0], 502778, 1)
    assert message.count(_PATH) == 2, message
    for pos in (first, second):
        assert f'feature #{pos} (PCODE=502778, "Al Baqa\'a")' in message, message
    assert "1400" in message and "1389" in message and _CORRECTIONS in message


def test_a_code_listed_twice_with_one_figure_keeps_it(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    for nth in (0, 1):
        by_id = build_localities(*_communities_with(inputs, 502778, "pop2017", "NA", nth=nth)).set_index("locality_id")
        assert by_id.loc["pcbs-502778", "population_2017"] == 1389, nth
        assert by_id.loc["pcbs-502778-2", "counted_with"] == "pcbs-502778", nth


def test_two_code_0_rows_of_one_name_with_two_figures_is_an_error(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    src, zones = inputs
    communities = src["communities"].copy()
    zero = communities.index[communities["PCODE"] == 0]
    assert len(zero) == 2  # An Nabi Musa and Al Bqei'ah, both without a figure
    communities.loc[zero, "PCBS_NAME"] = "An Nabi Musa"
    communities.loc[zero, "pop2017"] = ["120", "80"]
    with pytest.raises(SourceError, match=r"id ocha-an-nabi-musa of .*feature #\d+ \(PCODE=0, 'An Nabi Musa'\)"):
        build_localities({**src, "communities": communities}, zones)


@pytest.mark.parametrize(
    ("column", "value"),
    [("PCODE", "inf"), ("PCODE", "-5"), ("PCODE", "1.5"), ("PCODE", None), ("PCODE", "nan"), ("GovID", "Hebron")],
)
def test_bad_code_in_the_source_is_an_error(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame], column: str, value: Any
) -> None:
    bad = _communities_with(inputs, 301810, column, value)  # Ramallah
    message = rf"{re.escape(_PATH)}: feature #\d+ .*'Ramallah'.* has {column} .* not a whole number >= 0"
    with pytest.raises(SourceError, match=message):
        build_localities(*bad)


def test_population_with_a_superscript_digit_is_an_error(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame],
) -> None:
    with pytest.raises(SourceError, match=r"PCODE=301810.*'Ramallah'.*'4²'.*locality_corrections.csv"):
        build_localities(*_communities_with(inputs, 301810, "pop2017", "4²"))
    with pytest.raises(SourceError, match=r"row \d+ \('hebron-h2'\).*'4²' is not a whole number"):
        build_localities(*inputs, tables=_tables_with("additions", "hebron-h2", population_2017="4²"))


def test_locality_without_a_name_is_an_error(inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame]) -> None:
    with pytest.raises(SourceError, match=rf"{re.escape(_PATH)}: feature #\d+ \(PCODE=301810.*no PCBS_NAME"):
        build_localities(*_communities_with(inputs, 301810, "PCBS_NAME", None))


@pytest.mark.parametrize("lonlat", [(34.2, 32.5), (35.7, 32.0)])  # the sea off Netanya; east of the Jordan
def test_point_outside_every_zone_names_the_source_feature(
    inputs: tuple[dict[str, gpd.GeoDataFrame], gpd.GeoDataFrame], lonlat: tuple[float, float]
) -> None:
    bad = _communities_with(inputs, 301810, "geometry", Point(*lonlat))
    pos = _feature(inputs[0], 301810)
    message = rf"{re.escape(_PATH)}: feature #{pos} \(PCODE=301810, 'Ramallah'\) lies more than 1.0 km outside"
    with pytest.raises(SourceError, match=message):
        build_localities(*bad)


def test_assign_zones_labels_name_the_far_point(points4326: gpd.GeoDataFrame) -> None:
    zones = gpd.GeoDataFrame({"zone_id": ["z"]}, geometry=[points4326.geometry.iloc[0].buffer(0.001)], crs=4326)
    with pytest.raises(SourceError, match=r"^t: feature 1 lies"):
        sites.assign_zones(points4326, zones, "t")
    labels = [f"file.geojson: row {i}" for i in range(len(points4326))]
    with pytest.raises(SourceError, match=r"^t: file.geojson: row 1 lies"):
        sites.assign_zones(points4326, zones, "t", labels=labels)


@pytest.mark.parametrize(
    ("area", "changes", "message"),
    [
        ("Jenin", {"census_2017": "0"}, r"row 4 \('Jenin'\): a population of 0"),
        ("West Bank", {"census_2017": "0"}, r"row 2 \('West Bank'\): a population of 0"),
        ("Jenin", {"level": "district"}, r"row 4 \('Jenin'\): level 'district' is not one of territory, governorate"),
        ("Jenin", {"territory": "sinai"}, r"row 4 \('Jenin'\): territory 'sinai' is not one of west_bank, gaza"),
        ("Jenin", {"census_2017": "3²"}, r"row 4 \('Jenin'\): census_2017 '3²' is not a whole number"),
    ],
)
def test_bad_growth_row_names_the_row_and_the_fix(area: str, changes: dict[str, str], message: str) -> None:
    rows = [dict(r) for r in read_tables().growth]
    next(r for r in rows if r["area"] == area).update(changes)
    with pytest.raises(SourceError, match=message) as err:
        growth_factors(rows, ["Jenin"])
    assert "pcbs_growth.csv: row" in str(err.value) and ". " in str(err.value)
