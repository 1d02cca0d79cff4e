import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from geo.build import boundaries, regions
from geo.crs import METRIC_CRS, area_km2
from geo.errors import SourceError


@pytest.fixture(scope="module")
def layers(bounds):
    """The polygon layers of one boundary build, by layer name."""
    b = bounds
    names = ("zones", "territories", "oslo_areas", "line_1967", "basemap", "regions")
    return {name: getattr(b, name) for name in names}


def _dist_m(geom, lon, lat):
    g = gpd.GeoSeries([geom, Point(lon, lat)], crs=4326).to_crs(METRIC_CRS)
    return g.iloc[0].distance(g.iloc[1])


def test_slug():
    assert boundaries.slug("Deir Al-Balah") == "deir-al-balah"
    assert boundaries.slug("Khan Younis ") == "khan-younis"


def test_runs_wrap_around_the_ring():
    labels = np.array([0, 0, 1, 1, 0, 2, 0])
    assert boundaries._runs(labels, 0) == [(4, 4), (6, 1)]
    assert boundaries._runs(np.zeros(3, dtype=int), 0) == [(0, 2)]


def test_merge_parts_gives_slivers_and_gaps_to_the_longest_border():
    big_a = box(0, 0, 1000, 1000)
    big_b = box(1000, 0, 2000, 1000)
    sliver = box(1000, 1000, 1990, 1010)  # borders b along 990 m, a only at a corner
    gap = box(0, 1000, 1000, 1020)  # a gap face along a's top edge
    out = boundaries._merge_parts([("a", big_a), ("b", big_b), ("a", sliver), ("__gap__", gap)], 50_000)
    assert set(out) == {"a", "b"}
    assert out["b"].area == pytest.approx(big_b.area + sliver.area)
    assert out["a"].area == pytest.approx(big_a.area + gap.area)


_RULE = regions.RegionRule("r", "Region", None, None, "x", "jordan", 15.0, ("Gov",), None, "test")


def _meta(*keys):
    base = {"name": "A", "governorate": "Gov", "territory": "west_bank", "oslo": "C", "region": None}
    return {k: {**base, "region": "r" if "@" in k else None} for k in keys}


def test_settle_regions_names_the_inside_part_of_a_cut_zone():
    pieces = {"a": box(0, 0, 2000, 1000), "a@r": box(2000, 0, 4000, 1000)}
    geoms, meta = boundaries._settle_regions(pieces, _meta(*pieces), [_RULE])
    assert sorted(geoms) == ["a", "a-x"]
    assert meta["a-x"]["name"] == "A (Region)" and meta["a-x"]["region"] == "r"
    assert meta["a"]["name"] == "A" and meta["a"]["region"] is None


def test_settle_regions_gives_small_cut_pieces_back_and_keeps_enclaves():
    # a 0.5 km² piece cut off by the region's edge rejoins its zone: no split
    pieces = {"a": box(0, 0, 3000, 1000), "a@r": box(3000, 0, 3500, 1000)}
    geoms, meta = boundaries._settle_regions(pieces, _meta(*pieces), [_RULE])
    assert list(geoms) == ["a"] and geoms["a"].area == pytest.approx(3.5e6)
    assert meta["a"]["region"] is None
    # the same the other way round: the zone lies wholly in the region and keeps its id
    pieces = {"a": box(3000, 0, 3500, 1000), "a@r": box(0, 0, 3000, 1000)}
    geoms, meta = boundaries._settle_regions(pieces, _meta(*pieces), [_RULE])
    assert list(geoms) == ["a"] and meta["a"]["region"] == "r" and meta["a"]["name"] == "A"
    # a small enclave of the zone inside the region, away from the edge, stays a zone part of its own
    pieces = {"a": box(0, 0, 3000, 1000), "a@r": box(5000, 0, 5500, 1000)}
    geoms, _ = boundaries._settle_regions(pieces, _meta(*pieces), [_RULE])
    assert sorted(geoms) == ["a", "a-x"]


def test_settle_regions_refuses_an_id_clash():
    pieces = {"a": box(0, 0, 2000, 1000), "a@r": box(2000, 0, 4000, 1000), "a-x": box(0, 2000, 1000, 3000)}
    with pytest.raises(SourceError, match="'a-x' would name two zones"):
        boundaries._settle_regions(pieces, _meta(*pieces), [_RULE])


def test_region_of_tags_faces_and_refuses_overlapping_regions():
    pts = np.array([Point(500, 500), Point(5000, 500), Point(9000, 500)], dtype=object)
    gov = np.array(["Other", "Other", "Gov"], dtype=object)
    reach = box(0, 0, 1000, 1000)
    assert list(boundaries._region_of(pts, gov, [(_RULE, reach)])) == ["r", "", "r"]
    other = regions.RegionRule("s", "S", None, None, "y", "jordan", 5.0, (), None, "test")
    with pytest.raises(SourceError, match="'s' overlaps another region"):
        boundaries._region_of(pts, gov, [(_RULE, reach), (other, box(0, 0, 600, 600))])


def test_old_city_polygon_area_and_centroid():
    poly = boundaries.old_city_polygon()
    assert poly.is_valid
    a = area_km2(gpd.GeoSeries([poly], crs=4326)).iloc[0]
    assert 0.75 < a < 1.0  # published: about 0.9 km²
    assert _dist_m(poly.centroid, 35.232, 31.778) < 300


@pytest.mark.slow
def test_zones_are_a_gap_free_overlap_free_coverage(layers):
    zones = layers["zones"]
    terr = layers["territories"]
    assert shapely.coverage_is_valid(zones.geometry.values)
    union = shapely.coverage_union_all(zones.geometry.values)
    for diff in (terr.union_all().difference(union), union.difference(terr.union_all())):
        assert area_km2(gpd.GeoSeries([diff], crs=4326)).iloc[0] < 1e-6


@pytest.mark.slow
def test_zone_inventory(layers):
    z = layers["zones"].set_index("zone_id")
    gaza = {"north-gaza", "gaza-city", "deir-al-balah", "khan-younis", "rafah"}
    assert gaza <= set(z.index)
    assert {"east-jerusalem", "old-city", "hebron-h2", "jenin-a", "jenin-b", "jenin-c"} <= set(z.index)
    assert (z["territory"] == "gaza").sum() == 5
    assert z["zone_id" if "zone_id" in z else "name"].notna().all()
    # no sliver parts survive: every part is at least the threshold, unless it is an island of its own
    parts = z.geometry.explode(index_parts=False)
    small = parts[area_km2(gpd.GeoSeries(parts.values, crs=4326)).to_numpy() < boundaries.SLIVER_KM2]
    assert len(small) < 0.1 * len(parts)


@pytest.mark.slow
@pytest.mark.parametrize(("tid", "published"), [("west_bank", 5655.0), ("gaza", 365.0)])
def test_territory_areas_match_published_within_one_percent(layers, tid, published):
    t = layers["territories"].set_index("territory_id")
    assert t.loc[tid, "area_km2"] == pytest.approx(published, rel=0.01)
    # and the stored figure is what the geometry measures
    measured = area_km2(layers["territories"]).to_numpy()
    assert np.allclose(measured, layers["territories"]["area_km2"], rtol=1e-4)


@pytest.mark.slow
def test_oslo_shares(layers):
    o = layers["oslo_areas"].set_index("oslo_class")["share_pct"]
    assert 17 <= o["A"] + o["H1"] <= 19
    assert 18 <= o["B"] + o["nature_reserve"] <= 22
    assert 58 <= o["C"] + o["no_mans_land"] <= 61


@pytest.mark.slow
def test_line_1967_borders_israel_not_jordan_or_egypt(layers):
    line = layers["line_1967"].set_index("feature_id")
    wb = line.loc["line-west-bank", "geometry"]
    gz = line.loc["line-gaza", "geometry"]
    # far from the Jordan River (Allenby, Damiya) and the Dead Sea's east
    assert _dist_m(wb, 35.5408, 31.8742) > 10_000
    assert _dist_m(wb, 35.5420, 32.1030) > 10_000
    # Gaza: on the Erez side, not on the Egypt border (Rafah crossing) or the sea shore
    assert _dist_m(gz, 34.5440, 31.5596) < 1_000
    assert _dist_m(gz, 34.2597, 31.2469) > 1_500
    assert _dist_m(gz, 34.3600, 31.4500) > 3_000  # the coast at Deir al-Balah
    # the Jerusalem segment passes the Old City's west side (Jaffa Gate is ~0.5 km from the line)
    assert _dist_m(line.loc["line-jerusalem", "geometry"], 35.2276, 31.7765) < 1_000
    assert set(line["kind"]) == {"armistice_line", "no_mans_land"}
    nml = line[line["kind"] == "no_mans_land"]
    assert set(nml["segment"]) == {"latrun", "jerusalem"}
    assert 40 < nml.set_index("segment").loc["latrun", "area_km2"] < 50


@pytest.mark.slow
def test_basemap_has_neighbours_and_sea(layers):
    b = layers["basemap"].set_index("feature_id")
    assert {"country-isr", "country-jor", "country-egy", "sea"} <= set(b.index)
    assert b.loc["sea", "geometry"].contains(Point(34.3, 32.5))  # off the coast of Netanya
