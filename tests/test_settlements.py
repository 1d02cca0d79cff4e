import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.build import facts, settlements
from geo.crs import METRIC_CRS
from geo.errors import SourceError
from geo.geojson import to_bytes

# --------------------------------------------------------------------------- pure functions (no sources needed)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ma'ale Adummim", "Ma'ale Adumim"),
        ("Kokhav Ya'aqov", "Kochav Yaakov"),
        ("Qedumim", "Kedumim"),
        ("Rosh Zurim", "Rosh Tzurim"),
        ("Elqana", "Elkana"),
    ],
)
def test_normalise_folds_transliteration(a, b):
    assert settlements.normalise(a) == settlements.normalise(b)


def test_normalise_keeps_different_names_apart():
    assert settlements.normalise("Ariel") != settlements.normalise("Eli")


def test_match_is_one_to_one_and_reports_leftovers():
    cbs = gpd.GeoDataFrame(
        {"name_en": ["Qedumim", "Elqana", "Lonely"]},
        geometry=[Point(35.16, 32.21), Point(35.03, 32.10), Point(35.30, 31.60)],
        crs=4326,
    )
    pn = gpd.GeoDataFrame(
        {"name": ["Kedumim", "Elkana", "Elkana Bet", "Far Away"]},
        geometry=[Point(35.161, 32.211), Point(35.031, 32.101), Point(35.032, 32.102), Point(35.40, 32.40)],
        crs=4326,
    )
    pairs, report = settlements.match(cbs, pn)
    assert pairs == {0: 0, 1: 1}
    left = set(report.unmatched["name"])
    assert left == {"Lonely", "Elkana Bet", "Far Away"}


def _frame(kinds, pops, zones):
    return gpd.GeoDataFrame(
        {"kind": kinds, "population": pd.array(pops, dtype="Int64"), "zone_id": zones},
        geometry=[Point(35.2, 31.8)] * len(kinds),
        crs=4326,
    )


def test_israelis_by_zone_keeps_the_two_groups_apart():
    s = _frame(
        ["settlement", "hebron_enclave", "east_jerusalem_neighbourhood", "settlement", "east_jerusalem_neighbourhood"],
        [100, 7, 50, None, 3],
        ["a", "b", "a", "a", "c"],
    )
    out = settlements.israelis_by_zone(s)
    assert list(out.index) == ["a", "b", "c"]
    assert out.loc["a"].to_dict() == {"settlers": 100, "israelis_ej": 50}
    assert out.loc["b"].to_dict() == {"settlers": 7, "israelis_ej": 0}
    assert out.loc["c"].to_dict() == {"settlers": 0, "israelis_ej": 3}
    assert (out.dtypes == "int64").all()
    assert settlements.settlers_by_zone(s).to_dict() == {"a": 100, "b": 7, "c": 0}


def test_israelis_by_zone_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="outpost"):
        settlements.israelis_by_zone(_frame(["outpost"], [5], ["a"]))


# --------------------------------------------------------------------------- bad rows in the compiled tables


def _pop_rows(**change):
    rows = [dict(r) for r in facts.read("settlement_populations")]
    hebron = next(r for r in rows if r["settlement_id"] == "pn-hebron")
    hebron.update(change)
    return rows, rows.index(hebron) + 2


_IDS = {r["settlement_id"] for r in facts.read("settlement_populations")}


@pytest.mark.parametrize(
    ("change", "problem", "fix"),
    [
        ({"settlement_id": "pn-nowhere"}, "'pn-nowhere' is not in the settlements layer", "use an id of the layer"),
        ({"population_year": "20x3"}, "population_year '20x3' is not a year", "write the year the figure describes"),
        ({"population_year": "1850"}, "population_year 1850 is outside 1967..", "write the year the figure describes"),
        ({"population_year": "2999"}, "population_year 2999 is outside", "write the year the figure describes"),
        ({"source": "  "}, "the population has no source", "cite the publication"),
        ({"population": "7,498"}, "population '7,498' is not a whole number", "without separators"),
        ({"population": "-5"}, "population -5 is negative", "as published"),
        ({"population_year": ""}, "a population needs the year it describes", "give both"),
    ],
)
def test_a_bad_population_row_names_the_line_and_the_fix(change, problem, fix):
    rows, line = _pop_rows(**change)
    with pytest.raises(SourceError) as err:
        settlements.population_facts(rows, _IDS)
    msg = str(err.value)
    assert f"settlement_populations.csv line {line}" in msg
    assert problem in msg
    assert "Fix: " in msg and fix in msg


def test_a_repeated_population_row_is_rejected():
    rows = [dict(r) for r in facts.read("settlement_populations")]
    rows.append(dict(rows[0]))
    with pytest.raises(SourceError, match=rf"line {len(rows) + 1} .*appears twice"):
        settlements.population_facts(rows, _IDS)


def test_a_missing_column_is_named():
    rows = [{k: v for k, v in r.items() if k != "population_year"} for r in facts.read("settlement_populations")]
    with pytest.raises(SourceError, match=r"missing column.*population_year.*restore the header"):
        settlements.population_facts(rows, _IDS)


def test_the_shipped_population_table_is_valid():
    table = settlements.population_facts(facts.read("settlement_populations"), _IDS)
    assert table["pn-hebron"].population == 800
    assert all(f.source for f in table.values())


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("population_source", "", "the population has no source"),
        ("population_year", "2O14", "population_year '2O14' is not a year"),
        ("lon", "31.7753", "is not a longitude/latitude in the region"),
    ],
)
def test_a_bad_neighbourhood_row_names_the_line_and_the_fix(column, value, problem):
    rows = [dict(r) for r in facts.read("jerusalem_neighbourhoods")]
    gilo = next(r for r in rows if r["neighbourhood_id"] == "gilo")
    gilo[column] = value
    with pytest.raises(SourceError) as err:
        settlements.neighbourhood_facts(rows)
    msg = str(err.value)
    assert f"jerusalem_neighbourhoods.csv line {rows.index(gilo) + 2} (gilo)" in msg
    assert problem in msg and "Fix: " in msg


def test_the_shipped_neighbourhood_table_is_valid_and_every_figure_is_cited():
    pairs = settlements.neighbourhood_facts(facts.read("jerusalem_neighbourhoods"))
    assert {r["neighbourhood_id"] for r, _ in pairs} >= {"gilo", "ramot", "pisgat-zeev", "jewish-quarter"}
    for _, fact in pairs:
        assert fact.population is not None and fact.year == 2014
        assert "Statistical Yearbook" in fact.source


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"area_id": "bu-nowhere"}, "area_id 'bu-nowhere' is not a footprint"),
        ({"settlement_id": "cbs-1"}, "settlement_id 'cbs-1' is not in the settlements layer"),
        ({"source": ""}, "the alias has no source"),
    ],
)
def test_a_bad_area_alias_names_the_line_and_the_fix(change, problem):
    rows = [dict(r) for r in facts.read("settlement_area_aliases")]
    rows[1].update(change)
    areas = {r["area_id"] for r in facts.read("settlement_area_aliases")}
    setl = {r["settlement_id"] for r in facts.read("settlement_area_aliases")}
    with pytest.raises(SourceError) as err:
        settlements.area_aliases(rows, areas, setl)
    msg = str(err.value)
    assert "settlement_area_aliases.csv line 3" in msg and problem in msg and "Fix: " in msg


# --------------------------------------------------------------------------- the layers built from the sources


@pytest.fixture(scope="module")
def inputs(sources_read, bounds):
    src, b = sources_read, bounds
    ej = b.oslo_areas.set_index("oslo_class").loc["east_jerusalem", "geometry"]
    wb = b.territories.set_index("territory_id").loc["west_bank", "geometry"]
    return src, b.zones, ej, wb


@pytest.fixture(scope="module")
def layers(inputs):
    src = inputs[0]
    setl, report = settlements.build_settlements(*inputs)
    areas, area_report = settlements.build_settlement_areas(src, setl)
    return setl, report, areas, area_report


@pytest.mark.slow
def test_columns_follow_the_contract(layers):
    setl, _, areas, _ = layers
    assert list(setl.columns) == [*settlements.COLUMNS, "geometry"]
    assert list(areas.columns) == [*settlements.AREA_COLUMNS, "geometry"]
    assert setl.crs.to_epsg() == 4326 and areas.crs.to_epsg() == 4326
    assert list(setl["settlement_id"]) == sorted(setl["settlement_id"])
    assert list(areas["area_id"]) == sorted(areas["area_id"])
    assert setl["settlement_id"].is_unique and areas["area_id"].is_unique


@pytest.mark.slow
def test_spot_position_and_facts_of_maale_adumim(layers):
    s = layers[0].set_index("settlement_id")
    ma = s.loc["cbs-3616"]
    assert ma["name"] == "Ma'ale Adummim"
    assert ma["population"] == 37_555
    assert ma["population_year"] == 2021
    assert "37,555" in ma["population_source"]
    assert ma["founded"] == 1975
    assert ma["bloc"] == "Ma'ale Adumim"
    # the CBS locality point, unchanged (35.30653E 31.78017N) ...
    assert (round(ma.geometry.x, 5), round(ma.geometry.y, 5)) == (35.30653, 31.78017)
    # ... is 0.6 km from the rounded reference 35.30E 31.78N (two decimals are +-0.5 km in longitude)
    g = gpd.GeoSeries([ma.geometry, Point(35.30, 31.78)], crs=4326).to_crs(METRIC_CRS)
    assert g.iloc[0].distance(g.iloc[1]) < 700


@pytest.mark.slow
def test_every_list_row_is_accounted_for(layers):
    s, report = layers[0], layers[1].table
    assert (report["list"] == "cbs").sum() == 127
    assert (report["list"] == "peacenow").sum() == 136
    assert (s["cbs_code"].notna()).sum() == 127
    unmatched_pn = report[(report["list"] == "peacenow") & (report["status"] == "unmatched")]
    assert len(unmatched_pn) == (s["settlement_id"].str.startswith("pn-")).sum() == 12
    assert (report["status"] == "matched").sum() % 2 == 0


@pytest.mark.slow
def test_group_totals_and_their_years(layers):
    s = layers[0]
    wb = s[s["kind"] == "settlement"]
    ej = s[s["kind"] == "east_jerusalem_neighbourhood"]
    hebron = s[s["kind"] == "hebron_enclave"]
    # West Bank settlements: the CBS localities file, end of 2021 (published district total 464,461), with Kiryat
    # Arba less the Hebron enclave's 800, whom the CBS counts there: the enclave's row counts them instead
    assert int(wb["population"].sum()) == 464_461 - 800
    assert set(wb["population_year"].dropna()) == {2021}
    # Israelis in East Jerusalem: the Jerusalem Statistical Yearbook, end of 2014 (10 neighbourhoods)
    assert int(ej["population"].sum()) == 206_393
    assert set(ej["population_year"].dropna()) == {2014}
    assert ej["population"].notna().sum() == 10
    # the Hebron enclave
    assert len(hebron) == 1 and int(hebron["population"].iloc[0]) == 800
    assert int(hebron["population_year"].iloc[0]) == 2023
    totals = settlements.israelis_by_zone(s).sum()
    assert totals.to_dict() == {"settlers": 464_461, "israelis_ej": 206_393}  # each settler counted once


@pytest.mark.slow
def test_the_hebron_enclave_has_its_cited_settlers(layers):
    h = layers[0].set_index("settlement_id").loc["pn-hebron"]
    assert h["kind"] == "hebron_enclave"
    assert h["zone_id"] == "hebron-h2"
    assert 300 <= h["population"] <= 1_500  # "several hundred" in every source
    assert "800" in h["population_source"] and "Peace Now" in h["population_source"]
    by_zone = settlements.israelis_by_zone(layers[0])
    assert by_zone.loc["hebron-h2", "settlers"] == 800


@pytest.mark.slow
def test_every_population_is_cited_with_its_year(layers):
    s = layers[0]
    has = s[s["population"].notna()]
    assert has["population_year"].notna().all()
    assert has["population_source"].str.strip().str.len().gt(20).all()
    assert has["population_year"].between(1967, 2030).all()
    # a row without a figure says why
    assert s["population_source"].notna().all()
    none = s[s["population"].isna()]
    assert none["population_source"].str.contains("no verified").all()


@pytest.mark.slow
def test_east_jerusalem_rows_lie_in_jerusalem_zones(layers):
    s = layers[0]
    ej = s[s["kind"] == "east_jerusalem_neighbourhood"]
    assert len(ej) == 16
    assert set(ej["zone_id"]) <= {"east-jerusalem", "old-city", "jerusalem-c", "bethlehem-c"}
    assert s.set_index("settlement_id").loc["ej-jewish-quarter", "zone_id"] == "old-city"
    by_zone = settlements.israelis_by_zone(s)
    assert by_zone.loc["ramallah-c", "settlers"] > 80_000  # Modi'in Illit alone has 80,997
    assert by_zone.loc["east-jerusalem", "settlers"] == 0


@pytest.mark.slow
def test_every_footprint_is_kept_and_joined_or_reported(layers):
    _, _, areas, report = layers
    assert len(areas) == len(report) == 160
    assert list(report["area_id"]) == list(areas["area_id"])
    counts = areas["match"].value_counts().to_dict()
    assert counts == {"matched_name": 121, "matched_location": 19, "alias": 3, "unmatched": 17}
    unmatched = areas[areas["match"] == "unmatched"]
    assert unmatched["settlement_id"].isna().all()
    assert areas.loc[areas["match"] != "unmatched", "settlement_id"].notna().all()
    listed = report[report["match"] == "unmatched"]
    assert set(listed["area_id"]) == set(unmatched["area_id"])
    assert listed["note"].str.len().gt(0).all()
    assert set(areas["settlement_id"].dropna()) <= set(layers[0]["settlement_id"])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("area_id", "settlement_id", "how"),
    [
        ("bu-ariel", "cbs-3570", "matched_name"),
        ("bu-kedumim", "cbs-3557", "matched_name"),
        ("bu-na-ale", "cbs-3787", "matched_name"),  # not Nili, whose key is the same but lies 1 km away
        ("bu-efrat-2", "cbs-3650", "matched_name"),
        ("bu-gid-840", "ej-gilo", "matched_location"),
        ("bu-ramot-allon", "ej-ramot", "matched_location"),
        ("bu-gid-631", "ej-jewish-quarter", "matched_location"),
        ("bu-ofraim", "cbs-3652", "alias"),
        ("bu-atarot", None, "unmatched"),  # the Atarot industrial zone, not the settlement Ateret
        ("bu-shahak-industrial-area", None, "unmatched"),  # two settlement points inside: ambiguous
    ],
)
def test_footprint_spot_joins(layers, area_id, settlement_id, how):
    a = layers[2].set_index("area_id").loc[area_id]
    assert a["match"] == how
    assert a["settlement_id"] == settlement_id or (settlement_id is None and pd.isna(a["settlement_id"]))


@pytest.mark.slow
def test_footprint_areas_match_the_published_total(layers):
    areas = layers[2]
    # SOURCE.md: 160 polygons, 70.9 km2 in all
    assert areas["area_km2"].sum() == pytest.approx(70.9, rel=0.01)
    assert areas.set_index("area_id").loc["bu-ariel", "area_km2"] == pytest.approx(2.566, abs=0.01)
    assert areas["in_east_jerusalem"].sum() == 20
    assert areas.geometry.is_valid.all()


@pytest.mark.slow
def test_the_build_is_deterministic(inputs, layers):
    setl2, report2 = settlements.build_settlements(*inputs)
    areas2, area_report2 = settlements.build_settlement_areas(inputs[0], setl2)
    setl, report, areas, area_report = layers
    cols = list(settlements.COLUMNS)
    assert to_bytes(setl, cols, "settlements") == to_bytes(setl2, cols, "settlements")
    acols = list(settlements.AREA_COLUMNS)
    assert to_bytes(areas, acols, "settlement_areas") == to_bytes(areas2, acols, "settlement_areas")
    assert report.table.equals(report2.table)
    assert area_report.to_csv(index=False) == area_report2.to_csv(index=False)


@pytest.mark.slow
def test_a_bad_row_stops_the_build(inputs, monkeypatch):
    real = facts.rows

    def read(name):
        rows = [dict(r) for r in real(name)]
        if name == "settlement_populations":
            rows[0]["settlement_id"] = "cbs-9999"
        return rows

    monkeypatch.setattr(settlements.facts, "rows", read)
    with pytest.raises(SourceError, match=r"settlement_populations.csv line 2 \(cbs-9999\).*Fix: use an id"):
        settlements.build_settlements(*inputs)


@pytest.mark.slow
def test_a_stale_alias_stops_the_build(inputs, monkeypatch):
    real = facts.rows

    def read(name):
        rows = [dict(r) for r in real(name)]
        if name == "settlement_aliases":
            rows[0]["peacenow_name"] = "Halamish Bet"
        return rows

    monkeypatch.setattr(settlements.facts, "rows", read)
    with pytest.raises(SourceError, match=r"settlement_aliases.csv line 2 .*'Halamish Bet' is not a name"):
        settlements.build_settlements(*inputs)


@pytest.mark.slow
def test_a_non_boolean_east_jerusalem_flag_is_rejected(inputs, layers):
    src = dict(inputs[0])
    bu = src["built_up"].copy()
    bu["in_east_jerusalem"] = bu["in_east_jerusalem"].astype(object)
    bu.loc[bu.index[0], "in_east_jerusalem"] = "yes"
    src["built_up"] = bu
    with pytest.raises(SourceError, match=r"entity_id='ariel' has in_east_jerusalem='yes'"):
        settlements.build_settlement_areas(src, layers[0])


def _short_row(monkeypatch, table):
    """Make the first data row of ``table`` a short row (its first cell only)."""
    real = facts._text

    def text(name):
        lines = real(name).splitlines()
        if name == table:
            lines[1] = lines[1].split(",", 1)[0]  # the id alone: one cell
        return "\n".join(lines)

    monkeypatch.setattr(facts, "_text", text)


@pytest.mark.slow
@pytest.mark.parametrize("table", ["settlement_populations", "settlement_aliases", "jerusalem_neighbourhoods"])
def test_a_short_fact_row_stops_the_settlements_build_naming_the_line(inputs, monkeypatch, table):
    _short_row(monkeypatch, table)
    with pytest.raises(SourceError, match=rf"geo/build/data/{table}.csv line 2: \d+ cell\(s\).*Fix: "):
        settlements.build_settlements(*inputs)


@pytest.mark.slow
def test_a_short_area_alias_row_stops_the_areas_build_naming_the_line(inputs, layers, monkeypatch):
    _short_row(monkeypatch, "settlement_area_aliases")
    with pytest.raises(SourceError, match=r"settlement_area_aliases.csv line 2: \d+ cell\(s\).*Fix: "):
        settlements.build_settlement_areas(inputs[0], layers[0])


def _built_up_with(inputs, pos, column, value):
    src = dict(inputs[0])
    bu = src["built_up"].copy()
    bu[column] = bu[column].astype(object)
    bu.loc[bu.index[pos], column] = value
    src["built_up"] = bu
    return src


@pytest.mark.slow
def test_east_jerusalem_flags_read_as_text_are_accepted_and_the_bad_one_is_named(inputs, layers):
    src = dict(inputs[0])
    bu = src["built_up"].copy()
    bu["in_east_jerusalem"] = bu["in_east_jerusalem"].map({True: "true", False: "false"})  # one text cell does this
    src["built_up"] = bu
    areas, _ = settlements.build_settlement_areas(src, layers[0])
    assert areas["in_east_jerusalem"].tolist() == layers[2]["in_east_jerusalem"].tolist()
    eid = bu["entity_id"].iloc[5]
    bu.loc[bu.index[5], "in_east_jerusalem"] = "maybe"
    with pytest.raises(SourceError, match=rf"settlements_built_up_2021.geojson: feature entity_id='{eid}' has "):
        settlements.build_settlement_areas(src, layers[0])


@pytest.mark.slow
@pytest.mark.parametrize("value", [None, "  "])
def test_a_footprint_without_a_name_or_id_is_named_in_the_source(inputs, layers, value):
    src = _built_up_with(inputs, 0, "name", value)
    eid = src["built_up"]["entity_id"].iloc[0]
    with pytest.raises(SourceError, match=rf"settlements_built_up_2021.geojson: feature entity_id='{eid}' has no name"):
        settlements.build_settlement_areas(src, layers[0])
    src = _built_up_with(inputs, 3, "entity_id", value)
    with pytest.raises(
        SourceError, match=r"settlements_built_up_2021.geojson: feature #3 \(name=.*\) has no entity_id"
    ):
        settlements.build_settlement_areas(src, layers[0])
