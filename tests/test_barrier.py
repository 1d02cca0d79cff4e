"""The barrier layer (OCHA route and gates) and the seam zone derived from it."""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, box

from geo.build import barrier, sources
from geo.crs import AREA_CRS, METRIC_CRS, STORE_CRS
from geo.errors import LayerError, SourceError

pytestmark = pytest.mark.slow

ROUTE = "ocha-barrier-2018/barrier_jan2018.geojson"
GATES = "ocha-opt/barrier_gates_2025.geojson"


@pytest.fixture(scope="module")
def geo(sources_read, bounds):
    """Sources and the boundary layers, built once for the session."""
    return sources_read, bounds.territories, bounds.line_1967


@pytest.fixture(scope="module")
def zones(bounds):
    """The planning zones the barrier and seam zone are assigned to."""
    return bounds.zones


@pytest.fixture(scope="module")
def layer(geo, zones):
    src, territories, line = geo
    return barrier.build_barrier(src, territories, line, zones)


def stand_in_localities(src):
    """A localities layer built from the OCHA communities (PCBS 2017): the columns the seam zone reads."""
    c = src["communities"]
    counted_with = [p if isinstance(p, str) and p.startswith("with ") else None for p in c["pop2017"]]
    return gpd.GeoDataFrame(
        {
            "locality_id": c["PCODE"].astype(str).to_numpy(),
            "name": c["PCBS_NAME"].to_numpy(),
            "population": pd.array(c["pop2017_int"], dtype="Int64"),
            "counted_with": counted_with,
        },
        geometry=c.geometry.values,
        crs=c.crs,
    )


@pytest.fixture(scope="module")
def localities(geo):
    return stand_in_localities(geo[0])


@pytest.fixture(scope="module")
def seam(geo, layer, localities, zones):
    _, territories, line = geo
    return barrier.build_seam_zone(layer, territories, line, localities, zones)


def _wb_km2(territories):
    return float(territories.set_index("territory_id").loc["west_bank", "area_km2"])


# -- barrier -------------------------------------------------------------------------------------------------------


def test_barrier_columns_ids_and_counts(layer):
    assert list(layer.columns) == [*barrier.BARRIER_COLUMNS, "geometry"]
    assert layer.crs == STORE_CRS
    assert layer["feature_id"].is_unique
    assert list(layer["feature_id"]) == sorted(layer["feature_id"])
    routes, gates = layer[layer["kind"] == "route"], layer[layer["kind"] == "gate"]
    assert len(routes) == 252 and len(gates) == 74
    assert set(routes.geom_type) == {"LineString"} and set(gates.geom_type) == {"Point"}
    assert set(routes["status"]) == {"constructed", "under_construction", "projected"}
    assert set(routes["barrier_type"].dropna()) == {"concrete", "fence"}
    assert routes["feature_id"].str.fullmatch(r"seg-\d+").all()
    assert gates["feature_id"].str.fullmatch(r"gate-\d+").all()


def test_total_length_matches_ochas_712_km(layer):
    by = barrier.length_by_status(layer)
    assert 690 <= by["total"] <= 730  # published: about 712 km
    assert by["total"] == pytest.approx(by["constructed"] + by["under_construction"] + by["projected"], abs=0.01)
    assert 455 <= by["constructed"] <= 475  # OCHA: 65 % of the route built (464 km in the source)
    assert 45 <= by["under_construction"] <= 56
    assert 190 <= by["projected"] <= 200


def test_lengths_are_measured_in_metres_not_degrees(layer):
    routes = layer[layer["kind"] == "route"]
    metric = routes.to_crs(METRIC_CRS).length / 1000
    assert (metric.round(3) - routes["length_km"]).abs().max() < 0.001
    assert (routes["inside_west_bank_km"] <= routes["length_km"] + 1e-9).all()


def test_share_inside_the_west_bank_is_near_85_percent(geo, layer):
    share = barrier.inside_share(layer)
    assert 83 <= share <= 88  # published: 85 % inside the West Bank, rather than along the Green Line
    # the rule matters: without the 50 m tolerance the share would be that of the raw outline (over 90 %)
    _, territories, _ = geo
    wb = territories[territories["territory_id"] == "west_bank"].to_crs(METRIC_CRS).geometry.iloc[0]
    routes = layer[layer["kind"] == "route"].to_crs(METRIC_CRS)
    raw = shapely.intersection(routes.geometry.values, wb)
    assert shapely.length(raw).sum() / routes.length.sum() > 0.9


def test_every_gate_lies_within_100_m_of_its_segment(layer):
    metric = layer.to_crs(METRIC_CRS).set_index("feature_id")
    gates = metric[metric["kind"] == "gate"]
    assert gates["segment_id"].isin(metric.index[metric["kind"] == "route"]).all()
    dist = [g.distance(metric.loc[s, "geometry"]) for g, s in zip(gates.geometry, gates["segment_id"], strict=True)]
    assert max(dist) <= 100
    assert gates["length_km"].isna().all() and gates["status"].isna().all()
    assert gates["name"].notna().all()


def test_an_unknown_status_stops_the_build(geo, zones, source_copy):
    src, territories, line = geo
    p = source_copy(ROUTE)
    doc = json.loads(p.read_text())
    doc["features"][5]["properties"]["Status"] = "Planned"
    oid = doc["features"][5]["properties"]["OBJECTID"]
    p.write_text(json.dumps(doc))
    bad = {**src, "barrier": sources.read("barrier", source_copy.root)}
    with pytest.raises(SourceError, match=rf"OBJECTID={oid} has Status 'Planned'.*STATUSES"):
        barrier.build_barrier(bad, territories, line, zones)


def test_a_gate_far_from_the_route_stops_the_build(geo, zones, source_copy):
    src, territories, line = geo
    p = source_copy(GATES)
    doc = json.loads(p.read_text())
    feat = doc["features"][3]
    x, y = feat["geometry"]["coordinates"][:2]
    feat["geometry"]["coordinates"] = [x + 0.02, y]  # about 2 km east
    p.write_text(json.dumps(doc))
    bad = {**src, "barrier_gates": sources.read("barrier_gates", source_copy.root)}
    fid = feat["properties"]["fid_value"]
    with pytest.raises(SourceError, match=rf"gate fid_value={fid} lies \d+ m from the nearest route.*coordinates"):
        barrier.build_barrier(bad, territories, line, zones)


def _altered(source_copy, rel, key, change):
    """The source ``key`` read from a copy whose file ``rel`` is changed by ``change`` (a function of the doc)."""
    p = source_copy(rel)
    doc = json.loads(p.read_text())
    change(doc)
    p.write_text(json.dumps(doc))
    return sources.read(key, source_copy.root)


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
@pytest.mark.parametrize("value", [None, "a/b c", 12.5])
def test_a_null_or_text_route_id_is_named_with_its_feature(geo, zones, source_copy, value):
    src, territories, line = geo

    def change(doc):
        doc["features"][1]["properties"]["OBJECTID"] = value

    bad = {**src, "barrier": _altered(source_copy, ROUTE, "barrier", change)}
    what = "no OBJECTID" if value is None else f"OBJECTID {value!r}, not a whole number"
    with pytest.raises(SourceError, match=rf"barrier_jan2018.geojson: feature #1 has {what}\. Fix: "):
        barrier.build_barrier(bad, territories, line, zones)


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
@pytest.mark.parametrize("value", [None, "x"])
def test_a_null_or_text_gate_id_is_named_with_its_feature(geo, zones, source_copy, value):
    src, territories, line = geo

    def change(doc):
        doc["features"][2]["properties"]["fid_value"] = value

    bad = {**src, "barrier_gates": _altered(source_copy, GATES, "barrier_gates", change)}
    with pytest.raises(
        SourceError, match=rf"barrier_gates_2025.geojson: feature #2 has (no fid_value|fid_value {value!r}).*Fix: "
    ):
        barrier.build_barrier(bad, territories, line, zones)


def test_a_route_segment_outside_the_west_bank_is_refused(geo, zones, source_copy):
    src, territories, line = geo
    jordan = {
        "type": "Feature",
        "properties": {"OBJECTID": 9999, "Status": "Constructed", "Type": "Fence"},
        "geometry": {"type": "LineString", "coordinates": [[35.9, 32.0], [35.95, 32.05]]},  # east of the Jordan
    }
    bad = {**src, "barrier": _altered(source_copy, ROUTE, "barrier", lambda doc: doc["features"].append(jordan))}
    with pytest.raises(SourceError, match=r"OBJECTID=9999 lies more than 1 km outside the West Bank outline.*Fix"):
        barrier.build_barrier(bad, territories, line, zones)


def test_the_rule_constants_are_public_and_the_west_bank_has_one_definition():
    assert {"MIN_PART_KM2", "OUTSIDE_MAX_M", "west_bank_metric", "west_bank_km2"} <= set(barrier.__all__)
    from geo.build import military

    assert military.west_bank_metric is barrier.west_bank_metric
    assert not hasattr(military, "_west_bank") and not hasattr(barrier, "_west_bank")


def test_a_route_copy_without_status_is_refused(source_copy):
    p = source_copy(ROUTE)
    doc = json.loads(p.read_text())
    for f in doc["features"]:
        f["properties"].pop("Status")
    p.write_text(json.dumps(doc))
    with pytest.raises(SourceError, match=r"barrier_jan2018.geojson: missing column\(s\) Status"):
        sources.read("barrier", source_copy.root)


# -- seam zone -----------------------------------------------------------------------------------------------------


def test_seam_zone_columns_and_order(seam):
    assert list(seam.columns) == [*barrier.SEAM_COLUMNS, "geometry"]
    assert seam.crs == STORE_CRS
    assert list(seam["feature_id"]) == sorted(seam["feature_id"]) == [f"seam-{k:02d}" for k in range(1, len(seam) + 1)]
    assert seam.geometry.is_valid.all()
    assert set(seam.geom_type) <= {"Polygon", "MultiPolygon"}


def test_seam_zone_is_8_to_11_percent_of_the_west_bank(geo, seam):
    _, territories, _ = geo
    share = 100 * seam["area_km2"].sum() / _wb_km2(territories)
    assert 8 <= share <= 11  # published: 9.4 % of the West Bank isolated, including East Jerusalem
    assert seam["share_pct"].sum() == pytest.approx(share, abs=0.2)


def test_east_jerusalem_is_in_the_largest_part(seam):
    ej = seam[seam["includes_east_jerusalem"]]
    assert len(ej) == 1
    assert ej["area_km2"].iloc[0] == seam["area_km2"].max()


@pytest.mark.parametrize(
    ("name", "inside"),
    [("Beit Hanina", True), ("Barta'a ash Sharqiya", True), ("Al Walaja", True), ("Qalqiliya", False)],
)
def test_known_places_fall_on_the_right_side(seam, localities, name, inside):
    pt = localities.loc[localities["name"] == name].geometry.iloc[-1]
    assert bool(seam.covers(pt).any()) is inside


def test_population_is_the_sum_of_the_localities_inside(seam, localities):
    joined = gpd.sjoin(localities, seam[["feature_id", "geometry"]], predicate="within")
    counts = joined.groupby("feature_id").size()
    own = joined[joined["counted_with"].isna()]
    people = own.groupby("feature_id")["population"].sum()
    by_id = seam.set_index("feature_id")
    assert by_id["localities"].sum() == len(joined)
    for fid, row in by_id.iterrows():
        assert row["localities"] == counts.get(fid, 0)
        assert row["population"] == int(people.get(fid, 0))
    assert by_id["population"].sum() > 250_000  # East Jerusalem's Palestinian neighbourhoods are in it


def test_without_localities_the_counts_are_null(geo, layer, seam, zones):
    _, territories, line = geo
    bare = barrier.build_seam_zone(layer, territories, line, None, zones)
    assert bare["localities"].isna().all() and bare["population"].isna().all()
    assert list(bare["feature_id"]) == list(seam["feature_id"])
    assert list(bare["zone_id"]) == list(seam["zone_id"])  # the zone rule does not depend on the counts
    assert shapely.equals(bare.geometry.values, seam.geometry.values).all()  # same rule, same parts


def test_localities_without_population_are_refused(geo, layer, localities, zones):
    _, territories, line = geo
    with pytest.raises(LayerError, match=r"no column\(s\) population.*localities layer"):
        barrier.build_seam_zone(layer, territories, line, localities.drop(columns=["population"]), zones)


# -- planning zones ------------------------------------------------------------------------------------------------


def test_every_segment_gate_and_seam_part_names_a_zone_of_the_zones_layer(layer, seam, zones):
    known = set(zones["zone_id"])
    for frame in (layer, seam):
        assert frame["zone_id"].notna().all()
        assert frame["zone_id"].isin(known).all(), sorted(set(frame["zone_id"]) - known)


def test_the_shipped_barrier_and_seam_zone_name_shipped_zones(shipped):
    known = set(shipped["zones"]["zone_id"])
    for name in ("barrier", "seam_zone"):
        assert shipped[name]["zone_id"].notna().all()
        assert set(shipped[name]["zone_id"]) <= known, name


def test_a_gate_takes_the_zone_of_its_segment(layer):
    zone_of = layer[layer["kind"] == "route"].set_index("feature_id")["zone_id"]
    gates = layer[layer["kind"] == "gate"]
    assert (gates["zone_id"].to_numpy() == zone_of.loc[gates["segment_id"]].to_numpy()).all()


def _overlap(frame, fid, zones, crs, measure):
    """Overlap of one feature with each zone (km or km²), computed with an overlay rather than the build's code."""
    one = frame[frame["feature_id"] == fid].to_crs(crs)[["geometry"]]
    pieces = gpd.overlay(one, zones.to_crs(crs)[["zone_id", "geometry"]], keep_geom_type=True)
    pieces["amount"] = (pieces.length / 1000) if measure == "length" else (pieces.area / 1e6)
    return pieces.groupby("zone_id")["amount"].sum().sort_values(ascending=False)


def test_hand_checked_the_long_jenin_segment_belongs_to_jenin_c(layer, zones):
    # seg-54, the longest constructed segment (69.3 km, west and north of Jenin): 50.4 km run in Jenin's Area C,
    # 6.2 km in the Jordan Valley part of it, 0.5 km in Area B; the other 12.3 km lie on the Israeli side
    by_zone = _overlap(layer, "seg-54", zones, METRIC_CRS, "length")
    assert list(by_zone.index) == ["jenin-c", "jenin-c-jv", "jenin-b"]
    assert by_zone["jenin-c"] == pytest.approx(50.39, abs=0.05)
    assert by_zone["jenin-c-jv"] == pytest.approx(6.19, abs=0.05)
    row = layer.set_index("feature_id").loc["seg-54"]
    assert row["length_km"] - by_zone.sum() > 12  # the rule counts only the length inside zones
    assert row["zone_id"] == "jenin-c"


def test_hand_checked_the_wall_west_of_qalqiliya_belongs_to_qalqilya_c(layer, zones):
    # seg-144, the constructed segment nearest to Qalqiliya city (4.9 km), runs in Area C around the town
    by_zone = _overlap(layer, "seg-144", zones, METRIC_CRS, "length")
    assert by_zone.index[0] == "qalqilya-c"
    assert layer.set_index("feature_id").loc["seg-144", "zone_id"] == "qalqilya-c"


def test_hand_checked_barta_a_lies_in_jenin_b_but_its_seam_part_belongs_to_jenin_c(seam, localities, zones):
    # the rule is by area: the village is an Area B island, the land cut off around it is mostly Area C
    pt = localities.loc[localities["name"] == "Barta'a ash Sharqiya"].geometry.iloc[-1]
    part = seam[seam.covers(pt)]
    assert len(part) == 1
    by_zone = _overlap(seam, part["feature_id"].iloc[0], zones, AREA_CRS, "area")
    assert by_zone.index[0] == "jenin-c"
    assert part["zone_id"].iloc[0] == "jenin-c"
    assert "jenin-b" in by_zone.index


@pytest.mark.parametrize("status", [None, "constructed", "under_construction", "projected"])
def test_route_km_per_zone_add_up_to_the_layer_total(layer, status):
    per_zone = barrier.length_by_zone(layer, status)
    total = barrier.length_by_status(layer)["total" if status is None else status]
    assert sum(per_zone.values()) == pytest.approx(total, abs=0.01)
    assert list(per_zone) == sorted(per_zone)


def test_seam_land_and_people_per_zone_add_up_to_the_layer_total(seam):
    per_zone = barrier.seam_by_zone(seam)
    assert per_zone["parts"].sum() == len(seam)
    assert per_zone["area_km2"].sum() == pytest.approx(seam["area_km2"].sum(), abs=0.01)
    assert per_zone["population"].sum() == seam["population"].sum()
    assert per_zone["localities"].sum() == seam["localities"].sum()


# the rule on hand-made zones: two 1 km squares side by side in EPSG:2039, the western one named "zb" so that a tie
# going to "za" shows the tie-break is by id and not by row order
_SQUARES = gpd.GeoDataFrame(
    {"zone_id": ["zb", "za"]},
    geometry=[box(200_000, 600_000, 201_000, 601_000), box(201_000, 600_000, 202_000, 601_000)],
    crs=METRIC_CRS,
)


def _lines(*coords):
    """Lines in EPSG:2039, the CRS the rule measures in (no reprojection noise on the shared edge)."""
    return gpd.GeoDataFrame(
        {"feature_id": [f"l{k}" for k in range(len(coords))]}, geometry=[LineString(c) for c in coords], crs=METRIC_CRS
    )


@pytest.mark.parametrize(
    ("coords", "zone"),
    [
        ([(200_600, 600_500), (201_300, 600_500)], "zb"),  # 400 m in zb, 300 m in za
        ([(200_800, 600_500), (201_500, 600_500)], "za"),  # 200 m in zb, 500 m in za
        ([(200_500, 600_500), (201_500, 600_500)], "za"),  # 500 m each: a tie, to the smaller id
        ([(201_000, 600_200), (201_000, 600_800)], "za"),  # along the shared edge: a tie
        ([(201_400, 603_000), (201_600, 603_000)], "za"),  # outside both: the nearest (2 km)
        ([(199_000, 600_500), (199_500, 600_500)], "zb"),  # outside both, west: the nearest
        ([(200_900, 603_000), (201_100, 603_000)], "za"),  # outside, equally near both: the smaller id
    ],
)
def test_majority_zone_by_length_then_nearest_then_id(coords, zone):
    assert list(barrier.majority_zone(_lines(coords), _SQUARES, "length", "test")) == [zone]
    if coords[0][0] != coords[1][0]:  # stored lon/lat gives the same answer, except on the edge itself
        stored = _lines(coords).to_crs(STORE_CRS)
        assert list(barrier.majority_zone(stored, _SQUARES.to_crs(STORE_CRS), "length", "test")) == [zone]


def test_majority_zone_by_area_keeps_the_index_and_never_returns_null():
    parts = gpd.GeoDataFrame(
        geometry=[box(200_300, 600_300, 201_100, 600_700), box(200_950, 600_300, 201_600, 600_700), box(0, 0, 10, 10)],
        index=[7, 3, 5],
        crs=METRIC_CRS,
    )
    got = barrier.majority_zone(parts, _SQUARES, "area", "test")
    assert list(got.index) == [7, 3, 5]
    assert list(got) == ["zb", "za", "zb"]  # 800 x 400 m mostly west; mostly east; far south-west: nearest


def test_majority_zone_refuses_zones_without_ids_and_unknown_measures():
    lines = _lines([(200_600, 600_500), (201_300, 600_500)])
    with pytest.raises(LayerError, match=r"barrier: the zones layer has no zone_id column"):
        barrier.majority_zone(lines, _SQUARES.rename(columns={"zone_id": "id"}), "length", "barrier")
    with pytest.raises(LayerError, match=r"no CRS"):
        barrier.majority_zone(lines, _SQUARES.set_crs(None, allow_override=True), "length", "barrier")
    with pytest.raises(ValueError, match=r"measure must be 'length' or 'area'"):
        barrier.majority_zone(lines, _SQUARES, "volume", "barrier")
