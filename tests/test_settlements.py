import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.build import settlements
from geo.crs import METRIC_CRS


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


def test_spot_position_and_facts_of_maale_adumim(built):
    s = built.layers["settlements"].set_index("settlement_id")
    ma = s.loc["cbs-3616"]
    assert ma["name"] == "Ma'ale Adummim"
    assert ma["population"] == 37_555
    assert ma["population_year"] == 2021
    assert ma["founded"] == 1975
    assert ma["bloc"] == "Ma'ale Adumim"
    # the CBS locality point, unchanged (35.30653E 31.78017N) ...
    assert (round(ma.geometry.x, 5), round(ma.geometry.y, 5)) == (35.30653, 31.78017)
    # ... is 0.6 km from the rounded reference 35.30E 31.78N (two decimals are +-0.5 km in longitude)
    g = gpd.GeoSeries([ma.geometry, Point(35.30, 31.78)], crs=4326).to_crs(METRIC_CRS)
    assert g.iloc[0].distance(g.iloc[1]) < 700


def test_every_list_row_is_accounted_for(built, source_dir):
    report = built.match_report
    assert (report["list"] == "cbs").sum() == 127
    assert (report["list"] == "peacenow").sum() == 136
    s = built.layers["settlements"]
    assert (s["cbs_code"].notna()).sum() == 127
    unmatched_pn = report[(report["list"] == "peacenow") & (report["status"] == "unmatched")]
    assert len(unmatched_pn) == (s["settlement_id"].str.startswith("pn-")).sum()
    assert (report["status"] == "matched").sum() % 2 == 0


def test_kinds_and_settlers(built):
    s = built.layers["settlements"]
    kinds = s["kind"].value_counts().to_dict()
    assert kinds["hebron_enclave"] == 1
    assert kinds["east_jerusalem_neighbourhood"] >= 8
    ej = s[s["kind"] == "east_jerusalem_neighbourhood"]
    assert set(ej["zone_id"]) <= {"east-jerusalem", "old-city", "jerusalem-c", "bethlehem-c"}
    z = built.layers["zones"].set_index("zone_id")
    assert z["settlers"].sum() == int(s["population"].fillna(0).sum())
    assert z.loc["ramallah-c", "settlers"] > 80_000  # Modi'in Illit alone has 80,997
