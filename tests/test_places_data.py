"""The place names of the phase map's labels (``geo/build/data/places.csv``), checked against the shipped layers.

Every reader of the map sees these labels, in Arabic, Hebrew and English: a name in the wrong script, a city point
that drifted off its locality, or a state's label that falls outside its own territory would be read as a statement.
So each row is checked here against the layers it claims to come from, without the network and without the source
datasets (only ``layers/``).
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.build import facts
from geo.crs import METRIC_CRS

LAYERS = Path(__file__).resolve().parent.parent / "layers"

COLUMNS = [
    "place_id",
    "kind",
    "rank",
    "name",
    "name_ar",
    "name_he",
    "lon",
    "lat",
    "locality_id",
    "coords_source",
    "names_source",
]
KINDS = {"state", "country", "sea", "capital", "city"}
SOURCE_COLUMNS = ("coords_source", "names_source")

#: Rows allowed to lack a name, with the reason (a name that could not be verified is left empty, never guessed).
#: None at present: every place in the table has all three names from a cited source.
NAME_EXCEPTIONS: dict[str, str] = {}

#: What each locality point is copied from, by the prefix of its id.
POINT_LAYERS = {"cbs-": "israeli_localities"}
PALESTINIAN_POINTS = "localities"
COORDS_SOURCE = {
    "localities": "layers/localities.geojson (OCHA/PCBS locality point)",
    "israeli_localities": "layers/israeli_localities.geojson (Israel CBS locality point)",
}

#: The polygons each state or country label must lie in: (layer, the layer's id column, feature id).
LABEL_POLYGONS: dict[str, list[tuple[str, str, str]]] = {
    "israel": [("basemap", "feature_id", "country-isr")],
    "palestine": [("territories", "territory_id", "west_bank"), ("basemap", "feature_id", "country-psx")],
    "jordan": [("basemap", "feature_id", "country-jor")],
    "egypt": [("basemap", "feature_id", "country-egy")],
    "lebanon": [("basemap", "feature_id", "country-lbn")],
    "syria": [("basemap", "feature_id", "country-syr")],
}
#: Seas of the basemap's sea polygon (Mediterranean, Gulf of Aqaba), and the two lakes, which need other checks.
OPEN_SEAS = {"mediterranean-sea", "gulf-of-aqaba"}
LAKES = {"dead-sea", "sea-of-galilee"}

LON_RANGE = (33.5, 37.5)
LAT_RANGE = (28.5, 34.5)
TOLERANCE_M = 1.0
LABEL_SPACING_M = 10_000.0  # rank 1-2 labels at the default zoom (about 0.5 km a pixel) stay about 20 px apart
OPEN_SEA_MARGIN_M = 2_000.0
LAKE_SHORE_MARGIN_M = 3_000.0

ENGLISH = re.compile(r"[A-Za-z][A-Za-z' -]*")
ARABIC = re.compile(r"[\u0621-\u064a][\u0621-\u064a\u0651 -]*")  # letters and shadda; no vowel marks
HEBREW = re.compile(r"[\u05d0-\u05ea][\u05d0-\u05ea\u05f3' -]*")  # letters and geresh; no vowel points
ARABIC_MARKS = re.compile(r"[\u064b-\u0652\u0670]")
LAYER_NAME = re.compile(r"layers/(localities|israeli_localities)\.geojson (?:(\S+) )?(name_ar|name_he)\b")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    """The table read strictly: a short or long row fails here, naming its line."""
    return facts.rows("places")


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    """The shipped layers the table is checked against, read once for the module."""
    names = ("localities", "israeli_localities", "basemap", "territories", "dead_sea")
    return {name: gpd.read_file(LAYERS / f"{name}.geojson") for name in names}


def _metric(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` (EPSG:4326) in EPSG:2039, so distances are in metres, never in degrees."""
    metric: BaseGeometry = gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    return metric


def _point(row: dict[str, str]) -> Point:
    return Point(float(row["lon"]), float(row["lat"]))


def _polygon(layers: dict[str, gpd.GeoDataFrame], layer: str, column: str, feature: str) -> BaseGeometry:
    match = layers[layer][layers[layer][column] == feature]
    assert len(match) == 1, f"{layer} has no single feature {feature!r}"
    polygon: BaseGeometry = match.geometry.iloc[0]
    return polygon


def _point_layer(locality_id: str) -> str:
    return next((layer for prefix, layer in POINT_LAYERS.items() if locality_id.startswith(prefix)), PALESTINIAN_POINTS)


def _locality(layers: dict[str, gpd.GeoDataFrame], layer: str, locality_id: str) -> pd.Series:
    match = layers[layer][layers[layer]["locality_id"] == locality_id]
    assert len(match) == 1, f"{locality_id} is not a single row of layers/{layer}.geojson"
    row: pd.Series = match.iloc[0]
    return row


def _by_id(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {r["place_id"]: r for r in rows}


# -- form of the table ------------------------------------------------------------------------------------------------


def test_the_table_has_exactly_the_columns(rows: list[dict[str, str]]) -> None:
    assert list(rows[0]) == COLUMNS
    assert all(list(r) == COLUMNS for r in rows)


def test_ids_are_unique_slugs(rows: list[dict[str, str]]) -> None:
    ids = [r["place_id"] for r in rows]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", i) for i in ids), ids


def test_kinds_are_known_and_jerusalem_is_the_one_capital(rows: list[dict[str, str]]) -> None:
    assert {r["kind"] for r in rows} <= KINDS
    assert [r["place_id"] for r in rows if r["kind"] == "capital"] == ["jerusalem"]
    assert [r["place_id"] for r in rows if r["kind"] == "state"] == ["israel", "palestine"]


def test_ranks_label_states_seas_and_jerusalem_always_and_keep_the_default_view_readable(
    rows: list[dict[str, str]],
) -> None:
    assert {r["rank"] for r in rows} <= {"1", "2", "3"}
    always = {r["place_id"] for r in rows if r["rank"] == "1"}
    assert always == {r["place_id"] for r in rows if r["kind"] != "city"}
    main = [r["place_id"] for r in rows if r["rank"] == "2"]
    assert 12 <= len(main) <= 16, main


def test_every_source_cell_is_filled(rows: list[dict[str, str]]) -> None:
    empty = [(r["place_id"], c) for r in rows for c in SOURCE_COLUMNS if not r[c].strip()]
    assert empty == []


# -- names ------------------------------------------------------------------------------------------------------------


def test_every_place_has_its_three_names_or_a_stated_exception(rows: list[dict[str, str]]) -> None:
    assert set(NAME_EXCEPTIONS) <= {r["place_id"] for r in rows}
    missing = [
        (r["place_id"], c)
        for r in rows
        for c in ("name", "name_ar", "name_he")
        if not r[c].strip() and r["place_id"] not in NAME_EXCEPTIONS
    ]
    assert missing == []


def test_names_are_written_in_their_own_script_without_vowel_marks(rows: list[dict[str, str]]) -> None:
    scripts = {"name": ENGLISH, "name_ar": ARABIC, "name_he": HEBREW}
    wrong = [
        (r["place_id"], column, r[column])
        for r in rows
        for column, script in scripts.items()
        if r[column] and not script.fullmatch(r[column])
    ]
    assert wrong == []


def test_names_taken_from_a_layer_are_that_layers_names(
    rows: list[dict[str, str]], layers: dict[str, gpd.GeoDataFrame]
) -> None:
    """A name cited to a layer field is that field (Arabic without its vowel marks and shadda, as the label shows)."""
    checked, wrong = 0, []
    for row in rows:
        for layer, named_id, field in LAYER_NAME.findall(row["names_source"]):
            value = str(_locality(layers, layer, named_id or row["locality_id"])[field])
            expected = ARABIC_MARKS.sub("", value).replace("\u0651", "") if field == "name_ar" else value
            checked += 1
            if row[field] != expected:
                wrong.append((row["place_id"], field, row[field], expected))
    assert wrong == []
    assert checked >= 20


# -- coordinates ------------------------------------------------------------------------------------------------------


def test_coordinates_are_lon_lat_in_the_region(rows: list[dict[str, str]]) -> None:
    for r in rows:
        lon, lat = float(r["lon"]), float(r["lat"])
        assert math.isfinite(lon) and math.isfinite(lat), r["place_id"]
        assert LON_RANGE[0] <= lon <= LON_RANGE[1], (r["place_id"], lon)
        assert LAT_RANGE[0] <= lat <= LAT_RANGE[1], (r["place_id"], lat)


def test_city_points_are_their_localitys_point_within_1_m(
    rows: list[dict[str, str]], layers: dict[str, gpd.GeoDataFrame]
) -> None:
    linked = [r for r in rows if r["locality_id"]]
    assert len(linked) >= 25
    far = []
    for r in linked:
        layer = _point_layer(r["locality_id"])
        assert r["kind"] == "city", r["place_id"]
        assert r["coords_source"] == COORDS_SOURCE[layer], r["place_id"]
        point = _locality(layers, layer, r["locality_id"]).geometry
        distance = _metric(point).distance(_metric(_point(r)))
        if distance > TOLERANCE_M:
            far.append((r["place_id"], round(distance, 2)))
    assert far == []


def test_state_and_country_labels_lie_inside_their_own_polygons(
    rows: list[dict[str, str]], layers: dict[str, gpd.GeoDataFrame]
) -> None:
    labels = [r for r in rows if r["kind"] in {"state", "country"}]
    assert {r["place_id"] for r in labels} == set(LABEL_POLYGONS)
    outside = [
        (r["place_id"], feature)
        for r in labels
        for layer, column, feature in LABEL_POLYGONS[r["place_id"]]
        if not _polygon(layers, layer, column, feature).contains(_point(r))
    ]
    assert outside == []
    assert all("not a published coordinate" in r["coords_source"] for r in labels)


def _land(layers: dict[str, gpd.GeoDataFrame]) -> BaseGeometry:
    """Every land polygon shipped: the basemap's countries (lakes included: Natural Earth has none) and territories."""
    countries = layers["basemap"][layers["basemap"]["kind"] == "country"].geometry
    return shapely.union_all([*countries, *layers["territories"].geometry])


def test_open_sea_labels_are_on_the_water_away_from_every_coast(
    rows: list[dict[str, str]], layers: dict[str, gpd.GeoDataFrame]
) -> None:
    """Inside the basemap's sea and 2 km off any land: the sea polygon alone is not enough, as it also fills the
    Golan, which the basemap's Natural Earth file leaves in no country."""
    seas = _by_id(rows)
    sea = _polygon(layers, "basemap", "feature_id", "sea")
    land = _metric(_land(layers))
    for place_id in sorted(OPEN_SEAS):
        point = _point(seas[place_id])
        assert sea.contains(point), place_id
        assert land.distance(_metric(point)) >= OPEN_SEA_MARGIN_M, place_id


def test_lake_labels_are_on_the_water(rows: list[dict[str, str]], layers: dict[str, gpd.GeoDataFrame]) -> None:
    """Natural Earth's countries have no lakes, so each lake is checked against what the layers do have: the Dead
    Sea's label lies in the West Bank's share of its water (``dead_sea``) and the Sea of Galilee's lies 3 km or more
    from every Israeli locality point (its shores are ringed by them; the lake is 13 km wide)."""
    by_id = _by_id(rows)
    assert {r["place_id"] for r in rows if r["kind"] == "sea"} == OPEN_SEAS | LAKES
    territories = shapely.union_all(list(layers["territories"].geometry))
    dead_sea = _point(by_id["dead-sea"])
    assert layers["dead_sea"].geometry.iloc[0].contains(dead_sea)
    galilee = _point(by_id["sea-of-galilee"])
    assert not territories.contains(dead_sea) and not territories.contains(galilee)
    shore = layers["israeli_localities"].to_crs(METRIC_CRS).distance(_metric(galilee)).min()
    assert shore >= LAKE_SHORE_MARGIN_M, shore


def test_labels_at_the_default_zoom_keep_10_km_apart(rows: list[dict[str, str]]) -> None:
    shown = [(r["place_id"], _metric(_point(r))) for r in rows if r["rank"] in {"1", "2"}]
    close = [
        (a, b, round(pa.distance(pb)))
        for (a, pa), (b, pb) in itertools.combinations(shown, 2)
        if pa.distance(pb) < LABEL_SPACING_M
    ]
    assert close == []


def test_state_labels_do_not_sit_on_a_city(rows: list[dict[str, str]]) -> None:
    towns = [(r["place_id"], _metric(_point(r))) for r in rows if r["kind"] in {"city", "capital"}]
    for state in (r for r in rows if r["kind"] in {"state", "country"}):
        point = _metric(_point(state))
        nearest = min(towns, key=lambda town: town[1].distance(point))
        assert nearest[1].distance(point) >= LABEL_SPACING_M, (state["place_id"], nearest[0])
