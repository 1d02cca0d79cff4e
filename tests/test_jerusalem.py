"""The ``jerusalem`` layer: holy sites, quarters, the Holy Basin and neighbourhood areas.

Published figures checked here (each with its source in geo/build/data and layers/SOURCES.md):
Haram al-Sharif platform about 0.14-0.15 km² (sides 488/470/315/280 m), Western Wall plaza 10,000 m², Church of the
Holy Sepulchre about 1 1/4 acres (5,059 m²), Old City 0.9 km², Muslim Quarter the largest (31 ha), Holy Basin about
2.2 km² (the issue) to 3 km² (Jerusalem Story).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, Polygon

from geo.build import facts, jerusalem
from geo.crs import METRIC_CRS, STORE_CRS, area_km2
from geo.errors import SourceError

QUARTERS = ("nbhd-armenian-quarter", "nbhd-christian-quarter", "nbhd-jewish-quarter", "nbhd-muslim-quarter")


def _m(geom):
    return gpd.GeoSeries([geom], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]


def _m2(geom) -> float:
    return float(area_km2(gpd.GeoSeries([geom], crs=STORE_CRS)).iloc[0]) * 1e6


@pytest.fixture(scope="module")
def oslo(bounds):
    return bounds.oslo_areas


@pytest.fixture(scope="module")
def layer(oslo):
    return jerusalem.build_jerusalem({}, oslo)


@pytest.fixture(scope="module")
def by_id(layer):
    return layer.set_index("feature_id")


def _patched(monkeypatch, table: str, edit: Callable[[list[dict[str, str]]], None]) -> None:
    """Make ``facts.read(table)`` return a copy of the table changed by ``edit``."""
    real = facts.read

    def fake(name: str) -> list[dict[str, str]]:
        rows = [dict(r) for r in real(name)]
        if name == table:
            edit(rows)
        return rows

    monkeypatch.setattr(facts, "read", fake)


# --- the built layer (source data) -------------------------------------------------------------------------------


def test_contract(layer):
    assert list(layer.columns) == [*jerusalem.COLUMNS, "geometry"]
    assert layer.crs == STORE_CRS
    assert layer["feature_id"].is_unique
    assert list(layer["feature_id"]) == sorted(layer["feature_id"])
    assert set(layer["kind"]) == {"east_jerusalem", "old_city", "quarter", "holy_site", "holy_basin", "neighbourhood"}
    assert layer.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert layer.geometry.is_valid.all()
    assert set(layer["clinton_rule"].dropna()) <= {"IL", "PS"}
    assert str(layer["population"].dtype) == "Int64"
    assert (layer["population"].dropna() >= 0).all()
    assert (layer["area_km2"] == layer["area_km2"].round(3)).all()
    assert layer["source"].str.strip().astype(bool).all()
    assert not layer.loc[layer["feature_id"] == "east-jerusalem", "schematic"].iloc[0]
    assert layer.loc[layer["kind"].isin(["quarter", "holy_site", "holy_basin", "neighbourhood"]), "schematic"].all()


def test_haram_platform_matches_the_published_size(by_id):
    # published: about 150,000 m² (Finkelstein et al. 1999) or 140 dunams (Encyclopaedia Judaica)
    haram = by_id.loc["haram-al-sharif"]
    assert 0.12 <= haram["area_km2"] <= 0.16
    assert haram["clinton_rule"] == "PS"
    # the built platform is the compiled ring, noded where the Old City's east-west axis meets its west wall
    assert _m2(haram.geometry.symmetric_difference(jerusalem.holy_site_polygons()["haram-al-sharif"])) < 1.0
    ring = list(_m(jerusalem.holy_site_polygons()["haram-al-sharif"]).exterior.coords)[:-1]
    sw, se, ne, nw = ring[0], ring[2], ring[3], ring[4]  # ring[1] is the middle of the south wall
    for (a, b), published in zip([(nw, sw), (se, ne), (ne, nw), (sw, se)], (488, 470, 315, 280), strict=True):
        assert math.dist(a, b) == pytest.approx(published, rel=0.01)


def test_plaza_and_holy_sepulchre_have_their_published_areas(by_id):
    plaza, church = by_id.loc["western-wall-plaza"], by_id.loc["holy-sepulchre"]
    assert 0.008 <= plaza["area_km2"] <= 0.012  # published 10,000 m² (Wikipedia 'Western Wall Plaza')
    assert 0.004 <= church["area_km2"] <= 0.007  # published about 1 1/4 acres = 5,059 m²
    assert plaza["clinton_rule"] == "IL"
    assert church["clinton_rule"] == "PS"
    # the plaza lies against the platform's west wall, in the Jewish Quarter; the church in the Christian Quarter
    assert _m(plaza.geometry).distance(_m(by_id.loc["haram-al-sharif", "geometry"])) < 1.0
    assert _m2(plaza.geometry.difference(by_id.loc["nbhd-jewish-quarter", "geometry"])) < 1.0
    assert _m2(church.geometry.difference(by_id.loc["nbhd-christian-quarter", "geometry"])) < 1.0


def test_holy_sites_lie_in_the_old_city(by_id):
    old = _m(by_id.loc["old-city", "geometry"]).buffer(0.5)
    for fid in ("haram-al-sharif", "western-wall-plaza", "holy-sepulchre"):
        assert old.contains(_m(by_id.loc[fid, "geometry"])), fid
    assert 0.75 <= by_id.loc["old-city", "area_km2"] <= 1.0  # published 0.9 km²


def test_quarters_and_platform_tile_the_old_city(by_id):
    tiles = [by_id.loc[q, "geometry"] for q in (*QUARTERS, "haram-al-sharif")]
    assert shapely.coverage_is_valid(tiles)  # shared edges vertex for vertex
    union = shapely.union_all(tiles)
    overlap = sum(_m2(t) for t in tiles) - _m2(union)
    assert abs(overlap) < 1.0
    assert _m2(union.symmetric_difference(by_id.loc["old-city", "geometry"])) < 1.0
    areas = by_id.loc[list(QUARTERS), "area_km2"]
    assert areas.idxmax() == "nbhd-muslim-quarter"  # published: the largest quarter, 31 ha
    assert areas.between(0.07, 0.35).all()
    assert (by_id.loc[list(QUARTERS), "kind"] == "quarter").all()
    assert by_id.loc["nbhd-jewish-quarter", "clinton_rule"] == "IL"
    assert by_id.loc["nbhd-muslim-quarter", "clinton_rule"] == "PS"


def test_holy_basin_is_near_the_published_area(by_id):
    basin = by_id.loc["holy-basin"]
    # published: about 2.2 km² (issue 10) and "three square kilometers" (Jerusalem Story); rule: 200 m discs
    assert 1.8 <= basin["area_km2"] <= 3.0
    assert basin["schematic"]
    geom = basin.geometry
    for fid in ("old-city", "haram-al-sharif", "western-wall-plaza", "holy-sepulchre"):
        assert geom.contains(by_id.loc[fid, "geometry"]), fid
    for r in facts.read("holy_basin_sites"):
        if r["lon"]:
            assert geom.contains(Point(float(r["lon"]), float(r["lat"]))), r["name"]


def test_neighbourhoods_tile_east_jerusalem_without_overlap(layer, by_id):
    cells = layer[layer["kind"].isin(["neighbourhood", "quarter"])]
    assert len(cells) == len(facts.read("jerusalem_neighbourhoods"))
    assert cells["clinton_rule"].isin(["IL", "PS"]).all()
    tiles = [*cells.geometry, by_id.loc["haram-al-sharif", "geometry"]]
    union = shapely.union_all(tiles)
    assert sum(_m2(t) for t in tiles) - _m2(union) < jerusalem.TILING_TOLERANCE_M2
    assert _m2(by_id.loc["east-jerusalem", "geometry"].difference(union)) < jerusalem.TILING_TOLERANCE_M2
    ej_km2 = by_id.loc["east-jerusalem", "area_km2"]
    assert 60 < ej_km2 < 75
    # the neighbourhoods add only the no-man's land of East Talpiot and the Old City's walls beyond the OCHA line
    assert 0 < area_km2(cells).sum() + by_id.loc["haram-al-sharif", "area_km2"] - ej_km2 < 4.0
    talpiot = by_id.loc["nbhd-east-talpiot"]
    assert talpiot["clinton_rule"] == "IL"
    assert _m2(talpiot.geometry.difference(by_id.loc["east-jerusalem", "geometry"])) > 100_000


def test_neighbourhood_populations_come_from_the_table_or_the_override(oslo, layer):
    table = {r["neighbourhood_id"]: r for r in facts.read("jerusalem_neighbourhoods")}
    got = layer.set_index("feature_id")
    for nid, r in table.items():
        want = int(r["population"]) if r["population"] else None
        have = got.loc[f"nbhd-{nid}", "population"]
        assert (None if pd.isna(have) else int(have)) == want, nid
    override = pd.DataFrame(
        {"population": [1234, None], "population_year": [2023, None]}, index=["silwan", "jewish-quarter"]
    )
    j = jerusalem.build_jerusalem({}, oslo, override).set_index("feature_id")
    assert (j.loc["nbhd-silwan", "population"], j.loc["nbhd-silwan", "population_year"]) == (1234, 2023)
    assert pd.isna(j.loc["nbhd-jewish-quarter", "population"])
    with pytest.raises(SourceError, match=r"unknown neighbourhood_id\(s\) \['atlantis'\]"):
        jerusalem.build_jerusalem({}, oslo, pd.DataFrame({"population": [1], "population_year": [2020]}, ["atlantis"]))


def test_build_is_deterministic(oslo, layer):
    again = jerusalem.build_jerusalem({}, oslo)
    pd.testing.assert_frame_equal(layer.drop(columns="geometry"), again.drop(columns="geometry"))
    assert list(layer.geometry.to_wkb()) == list(again.geometry.to_wkb())


def test_a_neighbourhood_centre_outside_east_jerusalem_is_refused(oslo, monkeypatch):
    def move(rows):
        next(r for r in rows if r["neighbourhood_id"] == "silwan")["lon"] = "35.1000"

    _patched(monkeypatch, "jerusalem_neighbourhoods", move)
    with pytest.raises(SourceError, match=r"jerusalem_neighbourhoods.csv: silwan .* outside East Jerusalem.*fix"):
        jerusalem.build_jerusalem({}, oslo)


# --- the compiled facts (no source data needed) ------------------------------------------------------------------


def test_platform_corners_follow_the_published_dimensions():
    """Recompute the trapezium from the published figures: the table must hold exactly these corners."""
    to_m = gpd.GeoSeries([Point(35.235806, 31.777972)], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    b, s93 = math.radians(-6), math.radians(-6 - 93)
    se = (0.0, 0.0)
    ne = (470 * math.sin(b), 470 * math.cos(b))
    sw = (280 * math.sin(s93), 280 * math.cos(s93))
    d = math.dist(ne, sw)
    a = (488**2 - 315**2 + d**2) / (2 * d)
    h = math.sqrt(488**2 - a**2)
    ux, uy = (ne[0] - sw[0]) / d, (ne[1] - sw[1]) / d
    nw = (sw[0] + a * ux - h * uy, sw[1] + a * uy + h * ux)
    c = Polygon([sw, se, ne, nw]).centroid
    shift = (to_m.x - c.x, to_m.y - c.y)
    want = [(x + shift[0], y + shift[1]) for x, y in (sw, se, ne, nw)]
    have = list(_m(jerusalem.holy_site_polygons()["haram-al-sharif"]).exterior.coords)[:-1]
    for w, h_ in zip(want, [have[0], have[2], have[3], have[4]], strict=True):
        assert math.dist(w, h_) < 0.5
    # the middle of the south wall, where the city wall leaves the platform
    assert math.dist(((want[0][0] + want[1][0]) / 2, (want[0][1] + want[1][1]) / 2), have[1]) < 0.5


def test_the_city_wall_runs_along_the_platform():
    walls = {r["name"]: (float(r["lon"]), float(r["lat"])) for r in facts.read("old_city_walls")}
    ring = list(jerusalem.holy_site_polygons()["haram-al-sharif"].exterior.coords)
    assert walls["North-east corner of the Haram al-Sharif"] == ring[3]
    assert walls["South-east corner of the Haram al-Sharif"] == ring[2]
    mid = next(v for k, v in walls.items() if k.startswith("Middle of the Haram"))
    assert mid == ring[1]


@pytest.mark.parametrize("table", ["holy_sites", "old_city_quarters", "old_city_walls"])
def test_every_compiled_row_cites_a_source_and_lies_in_jerusalem(table):
    for r in facts.read(table):
        assert r["source"].strip(), r
        assert 35.15 < float(r["lon"]) < 35.30 and 31.70 < float(r["lat"]) < 31.90, r


def test_a_bad_vertex_row_names_the_row_and_the_fix(monkeypatch):
    def bad(rows):
        rows[2]["lat"] = "31.77x"

    _patched(monkeypatch, "holy_sites", bad)
    with pytest.raises(
        SourceError,
        match=r"holy_sites\.csv line 4 \(feature_id='haram-al-sharif', seq='3'\): .*must be numbers.*decimal degrees",
    ):
        jerusalem.holy_site_polygons()


def test_swapped_coordinates_are_named(monkeypatch):
    def swap(rows):
        rows[0]["lon"], rows[0]["lat"] = rows[0]["lat"], rows[0]["lon"]

    _patched(monkeypatch, "holy_sites", swap)
    with pytest.raises(SourceError, match=r"line 2 .*not in Jerusalem .*look swapped.*fix the coordinate"):
        jerusalem.holy_site_polygons()


def test_a_crossed_ring_is_refused(monkeypatch):
    def cross(rows):
        rows[3]["seq"], rows[4]["seq"] = rows[4]["seq"], rows[3]["seq"]  # the platform's north corners swap

    _patched(monkeypatch, "holy_sites", cross)
    with pytest.raises(SourceError, match=r"haram-al-sharif is not a valid polygon .*in order around the ring"):
        jerusalem.holy_site_polygons()


def test_a_repeated_seq_and_a_missing_source_are_refused(monkeypatch):
    def repeat(rows):
        rows[1]["seq"] = "1"

    _patched(monkeypatch, "holy_sites", repeat)
    with pytest.raises(SourceError, match=r"line 3 .*seq 1 repeats"):
        jerusalem.holy_site_polygons()

    def unsourced(rows):
        rows[4]["source"] = " "

    _patched(monkeypatch, "old_city_quarters", unsourced)
    with pytest.raises(
        SourceError, match=r"old_city_quarters\.csv line 6 \(line_id='north-south', seq='2'\): no source"
    ):
        jerusalem.quarter_axes()


def test_an_unknown_site_or_a_missing_axis_is_refused(monkeypatch):
    def rename(rows):
        for r in rows:
            if r["feature_id"] == "holy-sepulchre":
                r["feature_id"] = "holy-sepulcre"

    _patched(monkeypatch, "holy_sites", rename)
    with pytest.raises(SourceError, match=r"unknown feature\(s\) \['holy-sepulcre'\], missing .*\['holy-sepulchre'\]"):
        jerusalem.holy_site_polygons()

    def drop(rows):
        rows[:] = [r for r in rows if r["line_id"] != "north-south"]

    _patched(monkeypatch, "old_city_quarters", drop)
    with pytest.raises(SourceError, match=r"expected exactly 'east-west' and 'north-south'"):
        jerusalem.quarter_axes()


def test_palestinian_neighbourhoods_count_the_localities_inside_them():
    square = Polygon([(35.20, 31.80), (35.21, 31.80), (35.21, 31.81), (35.20, 31.81)])
    other = Polygon([(35.22, 31.80), (35.23, 31.80), (35.23, 31.81), (35.22, 31.81)])
    layer = gpd.GeoDataFrame(
        {
            "feature_id": ["nbhd-a", "nbhd-b", "nbhd-c"],
            "kind": ["neighbourhood", "neighbourhood", "neighbourhood"],
            "clinton_rule": ["PS", "IL", "PS"],
            "population": pd.array([None, 500, None], dtype="Int64"),
            "population_year": pd.array([None, 2014, None], dtype="Int64"),
            "source": ["s", "s", "s"],
        },
        geometry=[square, square, other],
        crs=STORE_CRS,
    )
    localities = gpd.GeoDataFrame(
        {
            "population": pd.array([100, 20, 7, None], dtype="Int64"),
            "population_year": [2021, 2021, 2021, 2021],
            "counted_with": [None, None, "x", None],
        },
        geometry=[Point(35.201, 31.801), Point(35.205, 31.805), Point(35.206, 31.806), Point(35.207, 31.807)],
        crs=STORE_CRS,
    )
    out = jerusalem.count_palestinians(layer, localities).set_index("feature_id")
    assert out.loc["nbhd-a", "population"] == 120  # the one counted with another locality adds nothing
    assert out.loc["nbhd-a", "population_year"] == 2021
    assert "2 localities inside" in out.loc["nbhd-a", "source"]
    assert out.loc["nbhd-b", "population"] == 500  # an Israeli neighbourhood keeps its own figure
    assert pd.isna(out.loc["nbhd-c", "population"])  # nothing inside: still no figure
    assert pd.isna(layer.loc[0, "population"])  # the input is not changed
