"""The Gaza - West Bank links, built from the real sources (one boundary build shared by the module)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point

from geo.build import facts, links, sites
from geo.crs import METRIC_CRS
from geo.errors import SourceError

pytestmark = pytest.mark.slow

#: Lengths published for the southern route: 44 km (BADIL), 28 miles (AP), 34 miles (Los Angeles Times).
PUBLISHED_SOUTH_KM = (44.0, 28 * 1.609344, 34 * 1.609344)


@pytest.fixture(scope="module")
def geo(sources_read, bounds):  # type: ignore[no-untyped-def]
    """Sources, boundaries, crossings and the links built from them."""
    src, b = sources_read, bounds
    crossings = sites.build_crossings(src, b.zones, b.territories, b.line_1967)
    return SimpleNamespace(src=src, b=b, crossings=crossings, links=links.build_links(crossings, b.territories))


def _patched(monkeypatch, edit: Callable[[list[dict[str, str]]], None]) -> None:  # type: ignore[no-untyped-def]
    real = facts.read

    def read(name: str) -> list[dict[str, str]]:
        rows = real(name)
        if name == "link_waypoints":
            edit(rows)
        return rows

    monkeypatch.setattr(facts, "read", read)


def _metric_point(lon: float, lat: float) -> Point:
    p: Point = gpd.GeoSeries([Point(lon, lat)], crs=4326).to_crs(METRIC_CRS).iloc[0]
    return p


def test_layer_shape(geo):
    lk = geo.links
    assert tuple(lk.columns) == (*links.LINK_COLUMNS, "geometry")
    assert lk.crs.to_epsg() == 4326
    assert list(lk["link_id"]) == ["safe-passage-north", "safe-passage-south"]
    assert dict(zip(lk["route"], lk["status"], strict=True)) == {
        "northern": "proposed",
        "southern": "operated_1999_2000",
    }
    assert lk["schematic"].all()
    assert set(lk.geom_type) == {"LineString"}


def test_lengths_are_measured_in_metres_and_match_the_published_lengths(geo):
    lk = geo.links.set_index("link_id")
    measured = lk.to_crs(METRIC_CRS).length / 1000
    assert (abs(measured - lk["length_km"]) < 0.001).all()
    south = lk.loc["safe-passage-south"]
    published = south["published_length_km"]
    assert published == pytest.approx(45.062)
    assert abs(south["length_km"] / published - 1) <= links.LENGTH_TOLERANCE
    # the schematic polyline lies between the shortest and longest lengths ever published (44 km .. 34 miles)
    assert min(PUBLISHED_SOUTH_KM) <= south["length_km"] <= max(PUBLISHED_SOUTH_KM)
    assert lk["published_length_km"].isna()["safe-passage-north"]  # no length was published for the proposal
    assert 45 < lk.loc["safe-passage-north", "length_km"] < 70


def test_both_ends_are_at_their_crossings(geo):
    c = geo.crossings.set_index("crossing_id").to_crs(METRIC_CRS).geometry
    terr = geo.b.territories.set_index("territory_id").to_crs(METRIC_CRS).geometry
    for _, r in geo.links.to_crs(METRIC_CRS).iterrows():
        coords = list(r.geometry.coords)
        assert Point(coords[0]).distance(c[r["from_crossing"]]) < 1
        assert Point(coords[-1]).distance(c[r["to_crossing"]]) < 1
        assert c[r["from_crossing"]].distance(terr["gaza"]) < 1_000
        assert c[r["to_crossing"]].distance(terr["west_bank"]) < 1_000
    assert set(geo.links["from_crossing"]) | set(geo.links["to_crossing"]) <= set(geo.crossings["crossing_id"])
    south = geo.links.set_index("link_id").loc["safe-passage-south"]
    assert (south["from_crossing"], south["to_crossing"]) == ("erez", "tarqumiya")


def test_every_waypoint_lies_in_israel_the_west_bank_or_gaza(geo):
    ne = geo.src["naturalearth"].set_index("ADM0_A3").to_crs(METRIC_CRS)
    land = shapely.union_all([ne.loc["ISR"].geometry, *geo.b.territories.to_crs(METRIC_CRS).geometry])
    region = land.buffer(2_000)  # Natural Earth is coarse near the coast
    for r in facts.read("link_waypoints"):
        assert region.contains(_metric_point(float(r["lon"]), float(r["lat"]))), r["name"]
    for line in geo.links.to_crs(METRIC_CRS).geometry:
        assert all(region.contains(Point(xy)) for xy in line.coords)


def test_building_twice_gives_the_same_layer(geo):
    again = links.build_links(geo.crossings, geo.b.territories)
    assert again.to_json() == geo.links.to_json()


# -- bad input --------------------------------------------------------------------------------------------------------


def test_a_waypoint_with_swapped_coordinates_is_refused(geo, monkeypatch):
    def swap(rows: list[dict[str, str]]) -> None:
        r = rows[3]
        r["lon"], r["lat"] = r["lat"], r["lon"]

    _patched(monkeypatch, swap)
    with pytest.raises(SourceError, match=r"link_waypoints\.csv line 5 \(safe-passage-south\): .*longitude first"):
        links.build_links(geo.crossings, geo.b.territories)


def test_a_link_ending_at_a_missing_crossing_is_refused(geo):
    crossings = geo.crossings[geo.crossings["crossing_id"] != "tarqumiya"]
    with pytest.raises(SourceError, match=r"safe-passage-south ends at crossing 'tarqumiya', which is not in"):
        links.build_links(crossings, geo.b.territories)


def test_an_end_waypoint_far_from_its_crossing_is_refused(geo, monkeypatch):
    _patched(monkeypatch, lambda rows: rows[-1].update(lon="34.90"))
    with pytest.raises(SourceError, match=r"line 8 \(safe-passage-south\): lies \d+\.\d\d km from crossing tarqumiya"):
        links.build_links(geo.crossings, geo.b.territories)


def test_waypoints_out_of_sequence_are_refused(geo, monkeypatch):
    _patched(monkeypatch, lambda rows: rows[-1].update(seq="7"))
    with pytest.raises(SourceError, match=r"waypoints of safe-passage-south are not numbered 1, 2, \.\.\."):
        links.build_links(geo.crossings, geo.b.territories)


def test_an_unknown_link_is_refused(geo, monkeypatch):
    _patched(monkeypatch, lambda rows: rows[0].update(link_id="safe-passage-east"))
    with pytest.raises(SourceError, match=r"line 2 \(safe-passage-east\): unknown link_id"):
        links.build_links(geo.crossings, geo.b.territories)
