"""The barrier layer (OCHA route and gates) and the seam zone derived from it."""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.build import barrier, sources
from geo.crs import METRIC_CRS, STORE_CRS
from geo.errors import LayerError, SourceError

pytestmark = pytest.mark.slow

ROUTE = "ocha-barrier-2018/barrier_jan2018.geojson"
GATES = "ocha-opt/barrier_gates_2025.geojson"


@pytest.fixture(scope="module")
def geo(sources_read, bounds):
    """Sources and the boundary layers, built once for the session."""
    return sources_read, bounds.territories, bounds.line_1967


@pytest.fixture(scope="module")
def layer(geo):
    src, territories, line = geo
    return barrier.build_barrier(src, territories, line)


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
def seam(geo, layer, localities):
    _, territories, line = geo
    return barrier.build_seam_zone(layer, territories, line, localities)


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


def test_an_unknown_status_stops_the_build(geo, source_copy):
    src, territories, line = geo
    p = source_copy(ROUTE)
    doc = json.loads(p.read_text())
    doc["features"][5]["properties"]["Status"] = "Planned"
    oid = doc["features"][5]["properties"]["OBJECTID"]
    p.write_text(json.dumps(doc))
    bad = {**src, "barrier": sources.read("barrier", source_copy.root)}
    with pytest.raises(SourceError, match=rf"OBJECTID={oid} has Status 'Planned'.*STATUSES"):
        barrier.build_barrier(bad, territories, line)


def test_a_gate_far_from_the_route_stops_the_build(geo, source_copy):
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
        barrier.build_barrier(bad, territories, line)


def _altered(source_copy, rel, key, change):
    """The source ``key`` read from a copy whose file ``rel`` is changed by ``change`` (a function of the doc)."""
    p = source_copy(rel)
    doc = json.loads(p.read_text())
    change(doc)
    p.write_text(json.dumps(doc))
    return sources.read(key, source_copy.root)


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
@pytest.mark.parametrize("value", [None, "a/b c", 12.5])
def test_a_null_or_text_route_id_is_named_with_its_feature(geo, source_copy, value):
    src, territories, line = geo

    def change(doc):
        doc["features"][1]["properties"]["OBJECTID"] = value

    bad = {**src, "barrier": _altered(source_copy, ROUTE, "barrier", change)}
    what = "no OBJECTID" if value is None else f"OBJECTID {value!r}, not a whole number"
    with pytest.raises(SourceError, match=rf"barrier_jan2018.geojson: feature #1 has {what}\. Fix: "):
        barrier.build_barrier(bad, territories, line)


@pytest.mark.filterwarnings("ignore:Could not parse column:UserWarning")
@pytest.mark.parametrize("value", [None, "x"])
def test_a_null_or_text_gate_id_is_named_with_its_feature(geo, source_copy, value):
    src, territories, line = geo

    def change(doc):
        doc["features"][2]["properties"]["fid_value"] = value

    bad = {**src, "barrier_gates": _altered(source_copy, GATES, "barrier_gates", change)}
    with pytest.raises(
        SourceError, match=rf"barrier_gates_2025.geojson: feature #2 has (no fid_value|fid_value {value!r}).*Fix: "
    ):
        barrier.build_barrier(bad, territories, line)


def test_a_route_segment_outside_the_west_bank_is_refused(geo, source_copy):
    src, territories, line = geo
    jordan = {
        "type": "Feature",
        "properties": {"OBJECTID": 9999, "Status": "Constructed", "Type": "Fence"},
        "geometry": {"type": "LineString", "coordinates": [[35.9, 32.0], [35.95, 32.05]]},  # east of the Jordan
    }
    bad = {**src, "barrier": _altered(source_copy, ROUTE, "barrier", lambda doc: doc["features"].append(jordan))}
    with pytest.raises(SourceError, match=r"OBJECTID=9999 lies more than 1 km outside the West Bank outline.*Fix"):
        barrier.build_barrier(bad, territories, line)


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


def test_without_localities_the_counts_are_null(geo, layer, seam):
    _, territories, line = geo
    bare = barrier.build_seam_zone(layer, territories, line, None)
    assert bare["localities"].isna().all() and bare["population"].isna().all()
    assert list(bare["feature_id"]) == list(seam["feature_id"])
    assert shapely.equals(bare.geometry.values, seam.geometry.values).all()  # same rule, same parts


def test_localities_without_population_are_refused(geo, layer, localities):
    _, territories, line = geo
    with pytest.raises(LayerError, match=r"no column\(s\) population.*localities layer"):
        barrier.build_seam_zone(layer, territories, line, localities.drop(columns=["population"]))
