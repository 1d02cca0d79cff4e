"""Broken layer files: every load stops with a LayerError naming the file, the feature and the fix;
``layers check`` reports every problem and never raises; the command line exits 65 without a traceback.

Each case corrupts a copy of the shipped layers in a temporary workspace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyproj import Transformer

from geo import layers
from geo.cli import main
from geo.errors import LayerError

ROOT = Path(__file__).resolve().parent.parent

Mutation = Callable[[Path], None]


# -- corruptions -----------------------------------------------------------------------------------------------------


def _edit(change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the parsed file and write it back (``NaN`` / ``Infinity`` floats come out as those tokens)."""

    def mutate(path: Path) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    return mutate


def _props(k: int, **changes: Any) -> Mutation:
    return _edit(lambda d: d["features"][k]["properties"].update(changes))


def _token(k: int, column: str, token: str) -> Mutation:
    """Write a raw JSON token (e.g. ``1e400``) as a property value."""

    def mutate(path: Path) -> None:
        _props(k, **{column: "@@token@@"})(path)
        path.write_text(path.read_text(encoding="utf-8").replace('"@@token@@"', token), encoding="utf-8")

    return mutate


def _feature(k: int, change: Callable[[dict[str, Any]], None]) -> Mutation:
    return _edit(lambda d: change(d["features"][k]))


def _geometry(k: int, geometry: Any) -> Mutation:
    return _feature(k, lambda f: f.__setitem__("geometry", geometry))


def _text(change: Callable[[str], str]) -> Mutation:
    def mutate(path: Path) -> None:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    return mutate


def _bytes(data: bytes) -> Mutation:
    return lambda path: path.write_bytes(data)


def _whole(doc: Any) -> Mutation:
    return lambda path: path.write_text(json.dumps(doc), encoding="utf-8")


def _first_feature_only(path: Path) -> None:
    path.write_text(json.dumps(json.loads(path.read_text(encoding="utf-8"))["features"][0]), encoding="utf-8")


def _folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _swap_axes(doc: dict[str, Any]) -> None:
    def swap(c: Any) -> Any:
        return [c[1], c[0]] if isinstance(c[0], float | int) else [swap(x) for x in c]

    g = doc["features"][3]["geometry"]
    g["coordinates"] = swap(g["coordinates"])


def _to_metres(doc: dict[str, Any]) -> None:
    """The point in EPSG:2039 (Israeli TM) metres, as a GIS would write it without reprojecting."""
    to_itm = Transformer.from_crs(4326, 2039, always_xy=True)
    g = doc["features"][2]["geometry"]
    g["coordinates"] = [round(v, 1) for v in to_itm.transform(*g["coordinates"])]


def _far_vertex(doc: dict[str, Any]) -> None:
    ring = doc["features"][0]["geometry"]["coordinates"][0][0]
    ring[0] = ring[-1] = [1e308, ring[0][1]]


def _open_ring(doc: dict[str, Any]) -> None:
    ring = doc["features"][1]["geometry"]["coordinates"][0][0]
    ring[-1] = [ring[-1][0] + 0.01, ring[-1][1]]


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[35.20, 31.90], [35.21, 31.91], [35.21, 31.90], [35.20, 31.91], [35.20, 31.90]]],
}
SQUARE = [[35.20, 31.90], [35.21, 31.90], [35.21, 31.91], [35.20, 31.91], [35.20, 31.90]]


@dataclass(frozen=True)
class Case:
    """A corruption of one layer file, what the message must say, and the feature it must name."""

    id: str
    layer: str
    mutate: Mutation
    says: str
    feature: str | None = None
    alone: bool = True  # False: only a check across layers (load_all, check) can see it


CASES = [
    # the file as a whole
    Case("not-json", "zones", _bytes(b"this is not json"), "not valid JSON"),
    Case("truncated", "zones", _text(lambda t: t[: len(t) // 2]), "may be truncated"),
    Case("empty-file", "crossings", _bytes(b""), "not valid JSON"),
    Case("not-utf8", "crossings", _bytes('{"type": "FeatureCollection", "name": "é"}'.encode("latin-1")), "not UTF-8"),
    Case("json-array", "zones", _whole([]), "holds a JSON array, not a GeoJSON FeatureCollection"),
    Case(
        "single-feature", "crossings", _first_feature_only, "holds a GeoJSON Feature, not a GeoJSON FeatureCollection"
    ),
    Case("bare-geometry", "settlements", _whole({"type": "Point", "coordinates": [35, 31]}), "holds a GeoJSON Point"),
    Case("features-object", "zones", _whole({"type": "FeatureCollection", "features": {}}), "not a list of Features"),
    Case("empty-collection", "zones", _whole({"type": "FeatureCollection", "features": []}), "has no features"),
    Case("too-deep", "obstacles", _bytes(b"[" * 100_000), "too deeply"),
    Case(
        "crs-2039",
        "crossings",
        _edit(lambda d: d.update(crs={"type": "name", "properties": {"name": "EPSG:2039"}})),
        "EPSG:2039",
    ),
    Case("folder", "obstacles", _folder, "not a regular file"),
    Case("missing", "settlements", lambda p: p.unlink(), "the file is missing"),
    # properties: nulls, numbers, types, ranges
    Case("null-population", "zones", _props(0, population=None), "population is null", "zones[zone_id=bethlehem-a]"),
    Case(
        "nan-population", "zones", _props(1, population=float("nan")), "population is NaN", "zones[zone_id=bethlehem-b]"
    ),
    Case(
        "infinity-area", "zones", _props(2, area_km2=float("inf")), "area_km2 is Infinity", "zones[zone_id=bethlehem-c]"
    ),
    Case(
        "huge-area",
        "territories",
        _token(1, "area_km2", "1e400"),
        "not a finite number",
        "territories[territory_id=gaza]",
    ),
    Case("text-population", "zones", _props(0, population="many"), "not a number", "zones[zone_id=bethlehem-a]"),
    Case(
        "bool-settlers",
        "zones",
        _props(0, settlers=True),
        "settlers is True, not a number",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "half-person",
        "settlements",
        _props(0, population=12.5),
        "not a whole number",
        "settlements[settlement_id=cbs-3488]",
    ),
    Case(
        "negative-population",
        "zones",
        _props(0, population=-5),
        "population=-5 is out of range",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "negative-settlers",
        "zones",
        _props(3, settlers=-1),
        "settlers=-1 is out of range; give it a whole number >= 0",
        "zones[zone_id=east-jerusalem]",
    ),
    Case(
        "negative-settlement",
        "settlements",
        _props(1, population=-100),
        "population=-100 is out of range",
        "settlements[settlement_id=cbs-3555]",
    ),
    Case(
        "negative-area",
        "territories",
        _props(0, area_km2=-10.0),
        "area_km2=-10.0 is out of range",
        "territories[territory_id=west_bank]",
    ),
    Case(
        "negative-length",
        "line_1967",
        _props(0, length_km=-3.5),
        "length_km=-3.5 is out of range",
        "line_1967[feature_id=line-west-bank]",
    ),
    Case(
        "share-over-100",
        "oslo_areas",
        _props(0, share_pct=250.0),
        "share_pct=250.0 is out of range",
        "oslo_areas[area_id=oslo-h2]",
    ),
    Case("int-beyond-64-bits", "zones", _props(0, population=10**30), "population=10000", "zones[zone_id=bethlehem-a]"),
    Case(
        "property-missing",
        "zones",
        _feature(0, lambda f: f["properties"].pop("population")),
        "has no population property",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "properties-null",
        "crossings",
        _feature(1, lambda f: f.__setitem__("properties", None)),
        "has no properties",
        "crossings[feature #1]",
    ),
    Case(
        "extra-property",
        "zones",
        _props(0, colour="red"),
        "has the property 'colour', which the zones schema does not have",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "not-allowed",
        "crossings",
        _props(1, status="half-open"),
        "status='half-open' is not one of",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case(
        "bool-as-text",
        "crossings",
        _props(1, major="yes"),
        "major is 'yes', not true or false",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case("id-as-number", "zones", _props(0, zone_id=5), "zone_id is 5, not text", "zones[feature #0, zone_id=5]"),
    Case(
        "month-pattern",
        "crossings",
        _props(1, status_as_of="2025/11"),
        "status_as_of='2025/11' is not valid",
        "crossings[crossing_id=kerem-shalom]",
    ),
    # control characters in text (#15)
    Case(
        "nul-in-name",
        "zones",
        _props(0, name="Beth\x00lehem"),
        "control character U+0000",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "escape-in-name",
        "crossings",
        _props(1, name="\x1b[2J\x1b[31mKerem"),
        "control character U+001B",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case(
        "cr-in-source",
        "obstacles",
        _props(0, source="OCHA\rforged"),
        "control character U+000D",
        "obstacles[obstacle_id=ocha-1]",
    ),
    Case(
        "bell-in-basemap",
        "basemap",
        _props(0, name="Egypt\x07"),
        "control character U+0007",
        "basemap[feature_id=country-egy]",
    ),
    Case(
        "c1-csi-in-name",
        "jerusalem",
        _props(0, name="East\x9b31m"),
        "control character U+009B",
        "jerusalem[feature_id=east-jerusalem]",
    ),
    # ids (#17, unique ids)
    Case(
        "slash-zone-id",
        "zones",
        _props(0, zone_id="bethlehem/a"),
        "zone_id='bethlehem/a' is not valid",
        "zones[feature #0, zone_id='bethlehem/a']",
    ),
    Case(
        "slash-crossing-id",
        "crossings",
        _props(1, crossing_id="kerem/shalom"),
        "no '/'",
        "crossings[feature #1, crossing_id='kerem/shalom']",
    ),
    Case(
        "space-obstacle-id",
        "obstacles",
        _props(0, obstacle_id="ocha 1"),
        "obstacle_id='ocha 1' is not valid",
        "obstacles[feature #0",
    ),
    Case(
        "empty-id",
        "settlements",
        _props(0, settlement_id=""),
        "settlement_id='' is not valid",
        "settlements[feature #0",
    ),
    Case(
        "slash-in-reference",
        "crossings",
        _props(1, zone_id="rafah/x"),
        "zone_id='rafah/x' is not valid",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case("duplicate-zone-id", "zones", _props(1, zone_id="bethlehem-a"), "duplicate zone_id 'bethlehem-a'"),
    Case("unknown-zone", "obstacles", _props(0, zone_id="atlantis"), "zone_id 'atlantis' is not in zones", alone=False),
    # features and geometry
    Case(
        "not-a-feature",
        "crossings",
        _feature(1, lambda f: f.__setitem__("type", "Feeture")),
        "not a GeoJSON Feature",
        "crossings[feature #1]",
    ),
    Case("null-geometry", "zones", _geometry(0, None), "has no geometry", "zones[zone_id=bethlehem-a]"),
    Case(
        "geometry-member-missing",
        "settlements",
        _feature(0, lambda f: f.pop("geometry")),
        "has no geometry",
        "settlements[settlement_id=cbs-3488]",
    ),
    Case(
        "empty-point",
        "crossings",
        _geometry(1, {"type": "Point", "coordinates": []}),
        "not [longitude, latitude]",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case(
        "empty-polygon",
        "zones",
        _geometry(1, {"type": "Polygon", "coordinates": []}),
        "has no geometry (null or empty)",
        "zones[zone_id=bethlehem-b]",
    ),
    Case("bowtie", "zones", _geometry(0, BOWTIE), "invalid geometry (Self-intersection", "zones[zone_id=bethlehem-a]"),
    Case(
        "bowtie-in-jerusalem",
        "jerusalem",
        _geometry(1, BOWTIE),
        "invalid geometry (Self-intersection",
        "jerusalem[feature_id=old-city]",
    ),
    Case(
        "point-in-zones",
        "zones",
        _geometry(0, {"type": "Point", "coordinates": [35.2, 31.9]}),
        "geometry is Point, expected ['MultiPolygon', 'Polygon']",
        "zones[zone_id=bethlehem-a]",
    ),
    Case(
        "polygon-as-crossing",
        "crossings",
        _geometry(1, {"type": "Polygon", "coordinates": [SQUARE]}),
        "geometry is Polygon",
        "crossings[crossing_id=kerem-shalom]",
    ),
    Case(
        "collection-in-zones",
        "zones",
        _geometry(0, {"type": "GeometryCollection", "geometries": [BOWTIE]}),
        "geometry is GeometryCollection",
        "zones[zone_id=bethlehem-a]",
    ),
    Case("swapped-axes", "crossings", _edit(_swap_axes), "look swapped", "crossings[crossing_id=rafah]"),
    Case(
        "itm-metres", "crossings", _edit(_to_metres), "not longitude/latitude degrees", "crossings[crossing_id=karni]"
    ),
    Case("vertex-at-1e308", "zones", _edit(_far_vertex), "leave the region", "zones[zone_id=bethlehem-a]"),
    Case(
        "nan-coordinate",
        "obstacles",
        _geometry(0, {"type": "Point", "coordinates": [float("nan"), 31.9]}),
        "NaN or infinite coordinate",
        "obstacles[obstacle_id=ocha-1]",
    ),
    Case(
        "string-coordinates",
        "obstacles",
        _geometry(1, {"type": "Point", "coordinates": ["35.2", "31.9"]}),
        "not [longitude, latitude]",
        "obstacles[obstacle_id=ocha-2]",
    ),
    Case(
        "four-numbers",
        "settlements",
        _geometry(0, {"type": "Point", "coordinates": [35.1, 31.6, 0, 7]}),
        "not [longitude, latitude]",
        "settlements[settlement_id=cbs-3488]",
    ),
    Case(
        "unknown-type",
        "settlements",
        _geometry(1, {"type": "Circle", "coordinates": [35.1, 31.6]}),
        "'Circle', which GeoJSON does not define",
        "settlements[settlement_id=cbs-3555]",
    ),
    Case("open-ring", "zones", _edit(_open_ring), "cannot be read", "zones[zone_id=bethlehem-b]"),
]


def _ids(case: Case) -> str:
    return case.id


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the shipped layers and plans."""
    ws = tmp_path / "ws"
    shutil.copytree(ROOT / "layers", ws / "layers")
    shutil.copytree(ROOT / "plans", ws / "plans")
    (ws / "maps").mkdir()
    return ws


def test_the_copied_layers_load_clean(workspace):
    every = layers.load_all(workspace)
    assert list(every) == list(layers.LAYER_NAMES)
    assert layers.check(workspace).ok


def test_the_table_covers_every_layer_and_many_variants():
    assert {c.layer for c in CASES} == set(layers.LAYER_NAMES)
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)


def _assert_names(message: str, path: Path, case: Case) -> None:
    assert str(path) in message
    assert case.says in message
    if case.feature is not None:
        assert case.feature in message


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_a_broken_layer_is_a_clear_error_everywhere(workspace, case, capsys):
    path = workspace / "layers" / f"{case.layer}.geojson"
    case.mutate(path)
    if case.alone:
        with pytest.raises(LayerError) as one:
            layers.load(case.layer, workspace)
        _assert_names(str(one.value), path, case)
    with pytest.raises(LayerError) as every:
        layers.load_all(workspace)
    _assert_names(str(every.value), path, case)
    result = layers.check(workspace)  # never raises
    assert not result.ok
    assert any(case.says in line and str(path) in line for line in result.problems), result.problems
    if case.feature is not None:
        assert any(case.feature in line for line in result.problems)
    capsys.readouterr()
    if case.layer in ("zones", "crossings"):
        code = main(["--workspace", str(workspace), "plan", "validate", "reference"])
    else:  # plan validate reads zones and crossings only; map reads every layer before it solves
        out = workspace / "maps" / "broken.html"
        code = main(["--workspace", str(workspace), "map", "reference", "--time", "0.1", "-o", str(out)])
        assert not out.exists()
    printed = capsys.readouterr()
    assert code == 65, printed.err
    assert "Traceback" not in printed.out + printed.err
    assert case.says in printed.err


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "1e400", "NaN"])
def test_check_flags_an_infinite_area_in_a_file(workspace, token):
    path = workspace / "layers" / "oslo_areas.geojson"
    _token(0, "area_km2", token)(path)
    problems = layers.check(workspace).problems
    assert any("oslo_areas[area_id=oslo-h2]: area_km2" in p and str(path) in p for p in problems), problems


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), -1.0])
def test_check_flags_an_infinite_or_negative_area_in_memory(shipped, value):
    data = dict(shipped)
    t = shipped["territories"].copy()
    t.loc[0, "area_km2"] = value
    data["territories"] = t
    problems = layers.check(layers=data).problems
    assert any("territories[territory_id=west_bank]: area_km2" in p for p in problems), problems


def test_many_problems_of_one_kind_are_capped(workspace):
    path = workspace / "layers" / "obstacles.geojson"
    _edit(lambda d: [f["properties"].update(type_code=-1) for f in d["features"]])(path)
    problems = layers.check(workspace).problems
    mine = [p for p in problems if "type_code" in p]
    assert len(mine) == layers.MAX_LINES_PER_KIND + 1
    assert mine[-1].endswith(f"and {811 - layers.MAX_LINES_PER_KIND} more like the line above (type_code:range)")
    with pytest.raises(LayerError) as exc:
        layers.load("obstacles", workspace)
    assert len(str(exc.value).splitlines()) == layers.MAX_LINES_PER_KIND + 1


def test_check_reports_every_layer_and_notes_skipped_checks(workspace):
    (workspace / "layers" / "zones.geojson").write_text("{", encoding="utf-8")
    _props(1, status="half-open")(workspace / "layers" / "crossings.geojson")
    _props(0, population=-3)(workspace / "layers" / "settlements.geojson")
    result = layers.check(workspace)
    text = "\n".join(result.problems)
    assert "zones.geojson: line 1 column 2: not valid JSON" in text
    assert "status='half-open'" in text
    assert "population=-3" in text
    assert "skipped the coverage check" in text
    assert "skipped the check that crossings, obstacles and settlements name existing zones" in text
    assert list(result.summary["layer"]) == [n for n in layers.LAYER_NAMES if n != "zones"]
    assert result.total == 3


def test_load_all_reports_the_problems_of_every_broken_layer(workspace):
    _props(0, population=None)(workspace / "layers" / "zones.geojson")
    _props(0, name="x\x00")(workspace / "layers" / "basemap.geojson")
    with pytest.raises(LayerError) as exc:
        layers.load_all(workspace)
    assert "zones.geojson: zones[zone_id=bethlehem-a]: population is null" in str(exc.value)
    assert "basemap.geojson: basemap[feature_id=country-egy]: name='x\\x00' holds the control character" in str(
        exc.value
    )


def test_messages_escape_control_characters(workspace):
    _props(1, name="\x1b[2J")(workspace / "layers" / "crossings.geojson")
    with pytest.raises(LayerError) as exc:
        layers.load("crossings", workspace)
    assert "\x1b" not in str(exc.value)
    assert "'\\x1b[2J'" in str(exc.value)


@pytest.mark.parametrize("layer", ["crossings", "zones", "line_1967"])
def test_three_d_coordinates_are_read_as_lon_lat_with_the_altitude_dropped(workspace, layer):
    """RFC 7946 allows an altitude; GDAL then calls the CRS EPSG:4979.  Layers are 2-D EPSG:4326."""

    def add_z(c: Any) -> Any:
        return [*c, 812.5] if isinstance(c[0], float | int) else [add_z(x) for x in c]

    path = workspace / "layers" / f"{layer}.geojson"
    _edit(lambda d: [f["geometry"].update(coordinates=add_z(f["geometry"]["coordinates"])) for f in d["features"]])(
        path
    )
    gdf = layers.load(layer, workspace)
    assert gdf.crs.to_epsg() == 4326
    assert not gdf.has_z.any()
    assert gdf.geometry.geom_equals(layers.load(layer, ROOT).geometry).all()
    assert layers.check(workspace).ok


def test_a_crs_member_naming_wgs84_lon_lat_is_accepted(workspace):
    path = workspace / "layers" / "crossings.geojson"
    member = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    _edit(lambda d: d.update(crs=member))(path)
    assert len(layers.load("crossings", workspace)) == 108


def test_repeated_keys_are_reported(workspace):
    path = workspace / "layers" / "zones.geojson"
    _text(lambda t: t.replace('"population":68697,', '"population":68697,"population":-1,', 1))(path)
    with pytest.raises(LayerError, match=r"zones\[zone_id=bethlehem-a\]: names the property 'population' twice"):
        layers.load("zones", workspace)


# -- files that are not layer files: they must be refused before they are read ------------------------------------


def _cli(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geo", *argv], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("layer", ["basemap", "settlements", "zones"])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_a_layer_that_is_not_a_regular_file_is_refused_at_once(workspace, layer, kind):
    path = workspace / "layers" / f"{layer}.geojson"
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)  # would block a plain open() forever
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")  # would never end
    else:
        path.mkdir()
    commands = [["layers", "check"], ["plan", "validate", "reference"]] if layer == "zones" else [["layers", "check"]]
    for argv in commands:
        out = _cli(["--workspace", str(workspace), *argv])
        assert out.returncode in (1, 65), out.stderr
        assert f"{layer}.geojson" in out.stderr and "not a regular file" in out.stderr
        assert "Traceback" not in out.stderr


@pytest.mark.parametrize("extra", [1, 1000])
def test_a_layer_over_the_size_limit_is_refused_before_it_is_parsed(workspace, monkeypatch, extra):
    size = (workspace / "layers" / "crossings.geojson").stat().st_size
    monkeypatch.setattr(layers, "MAX_LAYER_BYTES", size - extra)
    with pytest.raises(LayerError, match=r"crossings\.geojson.*over the .*-byte limit"):
        layers.load("crossings", workspace)
    monkeypatch.setattr(layers, "MAX_LAYER_BYTES", size)
    assert len(layers.load("crossings", workspace)) > 0


@pytest.mark.parametrize(("column", "value"), [("name_ar", "x\udc80y"), ("name", "\ud800"), ("name_he", "a\udfffb")])
def test_an_unpaired_surrogate_in_layer_text_is_a_clear_error(workspace, capsys, column, value):
    path = workspace / "layers" / "crossings.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][2]["properties"][column] = value
    path.write_text(json.dumps(doc), encoding="utf-8")  # json escapes it as \\udc80, as a hostile file would
    cid = doc["features"][2]["properties"]["crossing_id"]
    with pytest.raises(LayerError, match=rf"crossings\[crossing_id={cid}\]: {column}=.*surrogate"):
        layers.load("crossings", workspace)
    assert main(["--workspace", str(workspace), "layers", "check"]) == 1
    assert main(["--workspace", str(workspace), "plan", "validate", "reference"]) == 65
    err = capsys.readouterr().err
    assert "surrogate" in err and "internal error" not in err


@pytest.mark.parametrize("layer", ["crossings", "settlements", "obstacles"])
def test_a_reference_to_a_missing_zone_names_the_feature(workspace, layer):
    path = workspace / "layers" / f"{layer}.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    props = doc["features"][1]["properties"]
    props["zone_id"] = "atlantis"
    path.write_text(json.dumps(doc), encoding="utf-8")
    res = layers.check(workspace)
    id_col = {"crossings": "crossing_id", "settlements": "settlement_id", "obstacles": "obstacle_id"}[layer]
    wanted = f"{layer}[{id_col}={props[id_col]}]: zone_id 'atlantis' is not in zones"
    assert any(wanted in p for p in res.problems), res.problems
