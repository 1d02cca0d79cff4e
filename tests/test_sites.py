"""Crossings and obstacles, built from the real sources (one boundary build shared by the module)."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import SimpleNamespace

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from geo.build import facts, sites, sources
from geo.crs import METRIC_CRS
from geo.errors import SourceError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def geo(sources_read, bounds):  # type: ignore[no-untyped-def]
    """Sources, boundaries (with the real ``line_1967``) and the crossings built from them."""
    src, b = sources_read, bounds
    crossings = sites.build_crossings(src, b.zones, b.territories, b.line_1967)
    return SimpleNamespace(src=src, b=b, crossings=crossings)


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return gdf.to_crs(METRIC_CRS).geometry


def _line(b, segment: str | None = None):  # type: ignore[no-untyped-def]
    line = b.line_1967[b.line_1967["kind"] == "armistice_line"]
    if segment:
        line = line[line["segment"] == segment]
    return line.to_crs(METRIC_CRS).union_all()


def _dist_m(geom, lon, lat):  # type: ignore[no-untyped-def]
    g = gpd.GeoSeries([geom, Point(lon, lat)], crs=4326).to_crs(METRIC_CRS)
    return g.iloc[0].distance(g.iloc[1])


def _by_id(geo) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    return geo.crossings.set_index("crossing_id")


def _patched_facts(monkeypatch, table: str, edit: Callable[[list[dict[str, str]]], None]) -> None:  # type: ignore[no-untyped-def]
    """Make ``facts.read(table)`` return the real rows changed by ``edit``."""
    real = facts.read

    def read(name: str) -> list[dict[str, str]]:
        rows = real(name)
        if name == table:
            edit(rows)
        return rows

    monkeypatch.setattr(facts, "read", read)


def _row(rows: list[dict[str, str]], cid: str) -> dict[str, str]:
    return next(r for r in rows if r["crossing_id"] == cid)


# -- the real build --------------------------------------------------------------------------------------------------


def test_every_crossing_typed_ps_il_lies_within_1_km_of_the_1967_line(geo):
    c = geo.crossings
    ps_il = c[c["sides"] == "PS-IL"]
    assert len(ps_il) >= 20
    d = _metric(ps_il).distance(_line(geo.b))
    far = ps_il.loc[d > 1000, "crossing_id"].tolist()
    assert far == [], f"PS-IL crossings more than 1 km from the 1967 line: {far}"


def test_jordan_and_egypt_crossings_lie_on_those_borders_and_internal_ones_inside(geo):
    c = geo.crossings
    borders = sites.crossing_borders(geo.b.territories, geo.b.line_1967, geo.src["naturalearth"])
    for side in ("PS-JO", "PS-EG"):
        rows = c[c["sides"] == side]
        assert len(rows) >= 2
        assert (_metric(rows).distance(borders[side]) <= 1000).all(), side
    # the Egypt border is the Gaza outline between the Kerem Shalom tripoint and the sea (published about 12 km)
    assert 9_000 < borders["PS-EG"].length < 14_000
    territory = geo.b.territories.to_crs(METRIC_CRS).union_all()
    internal = c[c["sides"] == "internal"]
    assert _metric(internal).apply(territory.covers).all()


def test_kinds_agree_with_sides(geo):
    for kind, sides in zip(geo.crossings["kind"], geo.crossings["sides"], strict=True):
        assert sides in sites.KIND_SIDES[kind], (kind, sides)


def test_qalandiya_and_checkpoint_300_are_west_bank_east_jerusalem_checkpoints(geo):
    c = _by_id(geo)
    line = _line(geo.b)
    for cid, min_km in (("qalandiya", 5.0), ("checkpoint-300", 1.5)):
        assert c.loc[cid, "kind"] == "east_jerusalem_checkpoint"
        assert c.loc[cid, "sides"] == "internal"
        # both lie inside the West Bank, well away from the 1967 line: no crossing into Israel on a 1967 border
        assert _metric(c.loc[[cid]]).distance(line).iloc[0] > min_km * 1000
    ej = c[c["kind"] == "east_jerusalem_checkpoint"]
    assert {"az-zaayyem", "shufat-camp"} <= set(ej.index)
    assert 8 <= len(ej) <= 14  # OCHA marks 12 survey checkpoints 'controls access to EJ'; 10 lie on its boundary


def test_jerusalem_line_crossings_lie_on_the_jerusalem_segment(geo):
    c = geo.crossings
    jer = c[c["kind"] == "jerusalem_line_crossing"].set_index("crossing_id")
    assert set(jer.index) >= {"jerusalem-mandelbaum", "jerusalem-idf-square", "jerusalem-hebron-road"}
    assert (jer["sides"] == "PS-IL").all()
    d = _metric(jer).distance(_line(geo.b, "jerusalem"))
    assert (d <= 1000).all()
    assert d["jerusalem-mandelbaum"] < 300
    assert d["jerusalem-idf-square"] < 300
    assert d["jerusalem-hebron-road"] < 600  # Mar Elias Monastery, beside the Hebron Road crossing


def test_gaza_crossings_zikim_kissufim_and_salah_al_din(geo):
    c = _by_id(geo)
    gaza_line = _line(geo.b, "gaza")
    for cid in ("zikim", "kissufim"):
        assert (c.loc[cid, "kind"], c.loc[cid, "sides"], c.loc[cid, "status"]) == (
            "border_terminal",
            "PS-IL",
            "restricted",
        )
        assert _metric(c.loc[[cid]]).distance(gaza_line).iloc[0] < 1.0  # placed on the line
        assert c.loc[cid, "zone_id"] in {"north-gaza", "deir-al-balah", "khan-younis", "gaza-city"}
    assert c.loc["salah-al-din", "sides"] == "PS-EG"
    assert c.loc["salah-al-din", "status"] == "closed"
    # published: 4 km from the Rafah crossing
    gap = _metric(c.loc[["salah-al-din"]]).distance(_metric(c.loc[["rafah"]]).iloc[0]).iloc[0]
    assert 3_500 < gap < 4_500
    assert "schematic" in c.loc["zikim", "source"].lower()


def test_tarqumiya_is_a_green_line_crossing_placed_on_the_line(geo):
    c = _by_id(geo)
    assert (c.loc["tarqumiya", "kind"], c.loc["tarqumiya", "sides"]) == ("greenline_checkpoint", "PS-IL")
    # moved from the OCHA survey point (1.03 km inside the West Bank) to the nearest point of the line
    moved = _dist_m(c.loc["tarqumiya", "geometry"], 34.963465, 31.591257)
    assert 900 < moved < 1_200
    assert "1.03 km" in c.loc["tarqumiya", "source"]


def test_survey_checkpoints_more_than_1_km_from_the_line_are_internal(geo):
    c = _by_id(geo)
    for cid in ("ocha-183", "ocha-398", "ocha-121"):  # Maccabim 1.2 km, Kafr Kasem 1.3 km, Beit Yatir 1.8 km
        assert (c.loc[cid, "kind"], c.loc[cid, "sides"]) == ("internal_checkpoint", "internal")
    assert (c.loc["ocha-118", "kind"], c.loc["ocha-118", "sides"]) == ("greenline_checkpoint", "PS-IL")  # Rantis


@pytest.mark.parametrize(
    ("cid", "lon", "lat"),
    [("erez", 34.544, 31.559), ("allenby", 35.542, 31.875), ("qalandiya", 35.2275, 31.8624)],
)
def test_crossing_spot_positions(geo, cid, lon, lat):
    assert _dist_m(_by_id(geo).loc[cid, "geometry"], lon, lat) < 300


def test_crossing_inventory_keeps_the_ids_plans_use(geo):
    c = _by_id(geo)
    planned = ("erez", "kerem-shalom", "rafah", "allenby", "qalandiya", "checkpoint-300")
    greenline = ("greenline-al-jalama", "greenline-at-tayba", "greenline-meitar")
    for cid in (*planned, *greenline, "karni", "damiya", "huwwara", "zatara", "container", "tarqumiya"):
        assert cid in c.index
    assert c.loc["rafah", "sides"] == "PS-EG"
    assert c.loc["allenby", "sides"] == "PS-JO"
    assert (c["kind"] == "greenline_checkpoint").sum() >= 10
    assert c.loc["checkpoint-300", "zone_id"] == "east-jerusalem"
    assert c.loc["erez", "zone_id"] == "north-gaza"


def test_columns_order_sorting_and_types(geo):
    c = geo.crossings
    assert tuple(c.columns) == (*sites.CROSSING_COLUMNS, "geometry")
    assert c.crs.to_epsg() == 4326
    assert list(c["crossing_id"]) == sorted(c["crossing_id"])
    assert c["crossing_id"].is_unique
    for col in ("people_per_day", "trucks_per_day", "capacity_year"):
        assert str(c[col].dtype) == "Int64"
        assert (c[col].dropna() >= 0).all()


def test_published_capacities_and_operators(geo):
    c = _by_id(geo)
    assert c.loc["erez", "people_per_day"] == 45_000
    assert c.loc["kerem-shalom", "trucks_per_day"] == 360
    assert c.loc["tarqumiya", "people_per_day"] == 10_000
    assert c.loc["qalandiya", "people_per_day"] == 7_000
    assert c.loc["rafah", "people_per_day"] == 1_324
    assert pd.isna(c.loc["karni", "people_per_day"]) and pd.isna(c.loc["karni", "trucks_per_day"])
    figures = c["people_per_day"].notna() | c["trucks_per_day"].notna()
    assert c.loc[figures, "capacity_year"].notna().all()
    assert c.loc[figures, "capacity_source"].notna().all()
    assert "Israel Airports Authority" in c.loc["allenby", "operator"]
    assert "Land Crossings Authority" in c.loc["kerem-shalom", "operator"]
    assert c.loc["huwwara", "operator"] == "Israeli security forces"
    assert "operator:" in c.loc["huwwara", "source"]


def test_building_twice_gives_the_same_layer(geo):
    again = sites.build_crossings(geo.src, geo.b.zones, geo.b.territories, geo.b.line_1967)
    pd.testing.assert_frame_equal(again, geo.crossings)


def test_obstacles_are_the_full_survey_decoded(geo):
    o = sites.build_obstacles(geo.src, geo.b.zones)
    assert len(o) == 811
    counts = o["type"].value_counts().to_dict()
    assert counts["earthmound"] == 167
    assert counts["checkpoint"] == 89
    assert counts["closed_road_gate"] == 159
    assert set(o["survey"]) == {"Feb2025", "Nov2025"}
    assert o["obstacle_id"].is_unique


def test_assign_zones_rejects_far_points(geo, points4326):
    zones = geo.b.zones
    ok = sites.assign_zones(points4326, zones, "t")
    assert [z.split("-")[0] for z in ok] == ["ramallah", "nablus", "hebron"]
    far = gpd.GeoDataFrame(geometry=[Point(34.78, 32.08)], crs=4326)  # Tel Aviv
    with pytest.raises(SourceError, match="outside every zone"):
        sites.assign_zones(far, zones, "t")


# -- bad input --------------------------------------------------------------------------------------------------------


def _build(geo):  # type: ignore[no-untyped-def]
    return sites.build_crossings(geo.src, geo.b.zones, geo.b.territories, geo.b.line_1967)


def test_a_fact_row_with_swapped_coordinates_is_refused(geo, monkeypatch):
    def swap(rows: list[dict[str, str]]) -> None:
        r = _row(rows, "allenby")
        r["lon"], r["lat"] = r["lat"], r["lon"]

    _patched_facts(monkeypatch, "crossings", swap)
    with pytest.raises(
        SourceError, match=r"crossings\.csv line \d+ \(allenby\): .*outside the region.*longitude first"
    ):
        _build(geo)


def test_a_crossing_typed_ps_il_away_from_the_line_is_refused(geo, monkeypatch):
    def retype(rows: list[dict[str, str]]) -> None:
        r = _row(rows, "qalandiya")
        r["kind"], r["sides"] = "greenline_checkpoint", "PS-IL"

    _patched_facts(monkeypatch, "crossings", retype)
    with pytest.raises(SourceError, match=r"qalandiya is typed PS-IL but lies 6\.\d\d km from that border"):
        _build(geo)


def test_a_kind_that_cannot_have_its_sides_is_refused(geo, monkeypatch):
    _patched_facts(monkeypatch, "crossings", lambda rows: _row(rows, "checkpoint-300").update(sides="PS-IL"))
    with pytest.raises(SourceError, match=r"\(checkpoint-300\): a east_jerusalem_checkpoint cannot have sides 'PS-IL'"):
        _build(geo)


def test_a_snap_too_far_from_its_border_is_refused(geo, monkeypatch):
    _patched_facts(monkeypatch, "crossings", lambda rows: _row(rows, "zikim").update(placement_km="0.5"))
    with pytest.raises(SourceError, match=r"\(zikim\): the reference point lies 3\.0\d km from the PS-IL border"):
        _build(geo)


def test_a_capacity_figure_without_year_or_source_is_refused(geo, monkeypatch):
    _patched_facts(monkeypatch, "crossing_capacity", lambda rows: _row(rows, "erez").update(capacity_year=""))
    with pytest.raises(SourceError, match=r"crossing_capacity\.csv line \d+ \(erez\): a figure without its year"):
        _build(geo)


def test_a_capacity_row_for_an_unknown_crossing_is_refused(geo, monkeypatch):
    _patched_facts(monkeypatch, "crossing_capacity", lambda rows: _row(rows, "erez").update(crossing_id="erezz"))
    with pytest.raises(SourceError, match=r"crossing_id 'erezz' is not in the crossings layer"):
        _build(geo)


def test_a_survey_copy_without_the_checkpoint_type_column_is_refused(geo, source_copy):
    p = source_copy("ocha-opt/closure_points_2025.geojson")
    doc = json.loads(p.read_text())
    for f in doc["features"]:
        f["properties"].pop("cp_types_text", None)
    p.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=r"closure_points_2025\.geojson: missing column\(s\) cp_types_text"):
        sources.read("closures", source_copy.root)
    # and a frame that lacks it (read some other way) is refused by the crossings build itself
    src = dict(geo.src, closures=geo.src["closures"].drop(columns="cp_types_text"))
    with pytest.raises(SourceError, match="missing column cp_types_text"):
        sites.build_crossings(src, geo.b.zones, geo.b.territories, geo.b.line_1967)


def test_unknown_closure_type_code_stops_the_build(geo, source_copy):
    p = source_copy("ocha-opt/closure_points_2025.geojson")
    doc = json.loads(p.read_text())
    doc["features"][7]["properties"]["closutretype"] = 9
    oid = doc["features"][7]["properties"]["objectid"]
    p.write_text(json.dumps(doc))
    src = dict(geo.src, closures=sources.read("closures", source_copy.root))
    with pytest.raises(SourceError, match=rf"objectid={oid} .*unknown closure type code 9.*CLOSURE_TYPES"):
        sites.build_obstacles(src, geo.b.zones)
