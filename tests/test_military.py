"""Firing zones (OCHA) and the early warning stations of the Clinton Parameters and the Geneva Accord."""

import json

import pytest
import shapely

from geo.build import facts, military, sources
from geo.crs import METRIC_CRS, STORE_CRS
from geo.errors import SourceError

FZ = "ocha-settlements-firing-zones/firing_zones.geojson"

GOOD_ROW = {
    "site_id": "x-site",
    "name": "A site",
    "proposal": "geneva_2003",
    "lon": "35.286111",
    "lat": "31.978611",
    "description": "a test row",
    "schematic": "true",
    "source": "a test source",
}


@pytest.fixture(scope="module")
def territories(bounds):
    return bounds.territories


@pytest.fixture(scope="module")
def zones(source_dir, territories):
    return military.build_firing_zones({"firing_zones": sources.read("firing_zones", source_dir)}, territories)


def _wb_km2(territories):
    return float(territories.set_index("territory_id").loc["west_bank", "area_km2"])


def _shift(coords, dx):
    if isinstance(coords[0], (int, float)):
        return [coords[0] + dx, *coords[1:]]
    return [_shift(c, dx) for c in coords]


def _with_rows(monkeypatch, *rows):
    monkeypatch.setattr(military.facts, "rows", lambda name: [dict(r) for r in rows])


# -- firing zones --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_firing_zone_columns_and_ids(zones):
    assert list(zones.columns) == [*military.FIRING_ZONE_COLUMNS, "geometry"]
    assert zones.crs == STORE_CRS
    assert len(zones) == 58
    assert zones["zone_id"].is_unique
    assert list(zones["zone_id"]) == sorted(zones["zone_id"])
    assert zones["zone_id"].str.fullmatch(r"fz-[a-z0-9-]+").all()
    assert zones.geometry.is_valid.all()
    assert zones["declared"].dropna().str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


@pytest.mark.slow
def test_firing_zones_cover_about_18_percent_of_the_west_bank(zones, territories):
    union = shapely.union_all(zones.to_crs(METRIC_CRS).geometry.values)
    total = zones["area_km2"].sum()
    assert 950 <= total <= 1_100  # published: about 1,000 km² (a million dunams)
    assert 17.0 <= 100 * total / _wb_km2(territories) <= 19.5  # published: approximately 18 % (OCHA, 2012)
    assert union.area / 1e6 == pytest.approx(total, rel=0.01)  # overlaps between zones are negligible
    assert zones["share_pct"].sum() == pytest.approx(100 * total / _wb_km2(territories), abs=0.2)


@pytest.mark.slow
def test_zone_numbers_are_decoded_from_windows_1255(zones):
    numbers = set(zones["number"].dropna())
    assert {"הבקעה", "309א'", "918"} <= numbers
    assert not any(ch in n for n in numbers for ch in "àäáëò÷")
    big = zones.set_index("zone_id").loc["fz-hbqeh"]
    assert big["name"] == "Firing zone הבקעה" and big["area_km2"] > 350  # the Jordan Valley zone
    assert zones.loc[zones["number"].isna(), "name"].eq("Firing zone (unnumbered)").all()


def test_hebrew_undoes_mojibake_and_leaves_ascii_alone():
    assert military.hebrew("äá÷òä") == "הבקעה"
    assert military.hebrew("309à'") == "309א'"
    assert military.hebrew("411") == "411"
    assert military.hebrew("שלום") == "שלום"  # already Hebrew: cannot be Latin-1, unchanged


@pytest.mark.slow
@pytest.mark.parametrize("value", ["soon", "2005-07-24junk", "2005-07-24 12"])
def test_a_firing_zone_date_that_is_not_a_date_stops_the_build(source_copy, territories, value):
    p = source_copy(FZ)
    doc = json.loads(p.read_text())
    doc["features"][4]["properties"]["signed_date"] = value
    p.write_text(json.dumps(doc))
    src = {"firing_zones": sources.read("firing_zones", source_copy.root)}
    with pytest.raises(SourceError, match=rf"firing_zones.geojson: feature #4 .* signed_date '{value}', not a date"):
        military.build_firing_zones(src, territories)


@pytest.mark.slow
def test_dates_read_as_text_are_kept(source_copy, territories, zones):
    """One text date makes the whole column text; the other (valid) dates must still be read."""
    p = source_copy(FZ)
    doc = json.loads(p.read_text())
    props = doc["features"][4]["properties"]
    props["signed_date"] = props["signed_date"] + "T00:00:00"
    p.write_text(json.dumps(doc))
    src = {"firing_zones": sources.read("firing_zones", source_copy.root)}
    again = military.build_firing_zones(src, territories)
    assert again["declared"].tolist() == zones["declared"].tolist()


@pytest.mark.slow
def test_a_firing_zone_outside_the_west_bank_stops_the_build(source_copy, territories):
    p = source_copy(FZ)
    doc = json.loads(p.read_text())
    geom = doc["features"][4]["geometry"]
    geom["coordinates"] = _shift(geom["coordinates"], 0.8)  # 0.8 degrees east: into Jordan
    p.write_text(json.dumps(doc))
    src = {"firing_zones": sources.read("firing_zones", source_copy.root)}
    with pytest.raises(SourceError, match=r"feature #4 .* lies outside the West Bank. Check the file's CRS"):
        military.build_firing_zones(src, territories)


# -- early warning sites -------------------------------------------------------------------------------------------


def test_early_warning_sites_draw_only_published_locations():
    sites = military.build_early_warning_sites()
    assert list(sites.columns) == [*military.EWS_COLUMNS, "geometry"]
    assert sites.crs == STORE_CRS
    assert sites["schematic"].all()
    assert set(sites["proposal"]) <= set(military.PROPOSALS)
    rows = {r["site_id"]: r for r in facts.read("early_warning_sites")}
    drawn = set(sites["site_id"])
    assert drawn == {sid for sid, r in rows.items() if r["lon"]}
    # the texts name no sites: those rows stay in the table, cited, and are not drawn
    for sid in ("clinton-2000-facilities", "geneva-2003-stations"):
        assert sid in rows and sid not in drawn
        assert rows[sid]["lon"] == rows[sid]["lat"] == ""
    assert all(r["source"].strip() for r in rows.values())


@pytest.mark.slow
def test_drawn_sites_lie_inside_the_west_bank(territories):
    sites = military.build_early_warning_sites(territories)
    wb = territories[territories["territory_id"] == "west_bank"].to_crs(METRIC_CRS).geometry.iloc[0]
    assert all(wb.covers(p) for p in sites.to_crs(METRIC_CRS).geometry)
    assert len(sites) >= 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lat": "31,97"}, r"row 2 \(site_id='x-site'\): lat '31,97' is not a number. Write decimal degrees"),
        ({"lon": "31.978611", "lat": "35.286111"}, r"row 2 .*outside the West Bank \(lon and lat look swapped\)"),
        ({"lat": ""}, r"row 2 .*give both lon and lat, or neither"),
        ({"lon": "nan"}, r"row 2 .*lon 'nan' is not a number"),
        ({"proposal": "camp_david"}, r"row 2 .*proposal 'camp_david' is not one of clinton_2000, geneva_2003"),
        ({"schematic": "yes"}, r"row 2 .*schematic 'yes' must be 'true' or 'false'"),
        ({"site_id": "a site"}, r"row 2 .*site_id is not a valid id"),
        ({"source": " "}, r"row 2 .*source is empty"),
    ],
)
def test_a_bad_early_warning_row_is_named_with_its_fix(monkeypatch, change, message):
    _with_rows(monkeypatch, {**GOOD_ROW, **change})
    with pytest.raises(SourceError, match=r"early_warning_sites.csv: " + message):
        military.build_early_warning_sites()


def test_a_duplicate_or_missing_column_is_refused(monkeypatch):
    _with_rows(monkeypatch, GOOD_ROW, GOOD_ROW)
    with pytest.raises(SourceError, match=r"row 3 \(site_id='x-site'\): site_id occurs twice"):
        military.build_early_warning_sites()
    _with_rows(monkeypatch, {k: v for k, v in GOOD_ROW.items() if k != "lat"})
    with pytest.raises(SourceError, match=r"early_warning_sites.csv: missing column\(s\) lat"):
        military.build_early_warning_sites()


@pytest.mark.slow
def test_a_site_outside_the_outline_is_refused(monkeypatch, territories):
    _with_rows(monkeypatch, {**GOOD_ROW, "lon": "34.99", "lat": "31.75"})  # Beit Shemesh, in Israel
    with pytest.raises(SourceError, match=r"row 2 .*outside the West Bank outline"):
        military.build_early_warning_sites(territories)


def test_a_short_early_warning_row_is_refused_naming_the_line(monkeypatch):
    real = facts._text
    monkeypatch.setattr(facts, "_text", lambda name: real(name).rstrip("\n") + "\nx-site,A site,geneva_2003\n")
    line = len(real("early_warning_sites").splitlines()) + 1
    with pytest.raises(SourceError, match=rf"geo/build/data/early_warning_sites.csv line {line}: 3 cell\(s\).*Fix: "):
        military.build_early_warning_sites()
