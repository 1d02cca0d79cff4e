"""Broken layer files: every load stops with a LayerError naming the file, the feature and the fix;
``layers check`` reports every problem and never raises; the command line exits 65 without a traceback.

Each case corrupts a copy of the shipped layers in a temporary workspace.  Cases pick their feature by id,
not by position, so they keep their target when a rebuild adds rows or changes the order of a layer.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pyproj import Transformer

from geo import layers
from geo.cli import main
from geo.errors import LayerError
from geo.schema import SCHEMAS

ROOT = Path(__file__).resolve().parent.parent

Mutation = Callable[[Path], None]


# -- the shipped features a case names ---------------------------------------------------------------------------------


@cache
def _shipped_ids(layer: str) -> tuple[str, ...]:
    """The ids of a shipped layer, in file order."""
    doc = json.loads((ROOT / "layers" / f"{layer}.geojson").read_text(encoding="utf-8"))
    return tuple(f["properties"][SCHEMAS[layer].id_column] for f in doc["features"])


def _at(layer: str, fid: str) -> int:
    """Where the shipped feature ``fid`` is in its file (a message names a feature by position if its id is bad)."""
    return _shipped_ids(layer).index(fid)


def _find(doc: dict[str, Any], layer: str, fid: str) -> dict[str, Any]:
    column = SCHEMAS[layer].id_column
    found: list[dict[str, Any]] = [f for f in doc["features"] if (f.get("properties") or {}).get(column) == fid]
    if len(found) != 1:
        raise LookupError(f"{layer}.geojson has no feature {column}={fid}; the case must name a shipped feature")
    return found[0]


# -- corruptions -----------------------------------------------------------------------------------------------------


def _edit(change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the parsed file and write it back (``NaN`` / ``Infinity`` floats come out as those tokens)."""

    def mutate(path: Path) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        change(doc)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")

    return mutate


def _feature(fid: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    """Change the feature whose id is ``fid``."""

    def mutate(path: Path) -> None:
        _edit(lambda doc: change(_find(doc, path.stem, fid)))(path)

    return mutate


def _props(fid: str, **changes: Any) -> Mutation:
    return _feature(fid, lambda f: f["properties"].update(changes))


def _token(fid: str, column: str, token: str) -> Mutation:
    """Write a raw JSON token (e.g. ``1e400``) as a property value."""

    def mutate(path: Path) -> None:
        _props(fid, **{column: "@@token@@"})(path)
        path.write_text(path.read_text(encoding="utf-8").replace('"@@token@@"', token), encoding="utf-8")

    return mutate


def _geometry(fid: str, geometry: Any) -> Mutation:
    return _feature(fid, lambda f: f.__setitem__("geometry", geometry))


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


def _swap_axes(feature: dict[str, Any]) -> None:
    def swap(c: Any) -> Any:
        return [c[1], c[0]] if isinstance(c[0], float | int) else [swap(x) for x in c]

    g = feature["geometry"]
    g["coordinates"] = swap(g["coordinates"])


def _to_metres(feature: dict[str, Any]) -> None:
    """The point in EPSG:2039 (Israeli TM) metres, as a GIS would write it without reprojecting."""
    to_itm = Transformer.from_crs(4326, 2039, always_xy=True)
    g = feature["geometry"]
    g["coordinates"] = [round(v, 1) for v in to_itm.transform(*g["coordinates"])]


def _exterior(feature: dict[str, Any]) -> list[list[float]]:
    """The outer ring of a Polygon, or of the first part of a MultiPolygon."""
    g = feature["geometry"]
    ring: list[list[float]] = g["coordinates"][0] if g["type"] == "Polygon" else g["coordinates"][0][0]
    return ring


def _far_vertex(feature: dict[str, Any]) -> None:
    ring = _exterior(feature)
    ring[0] = ring[-1] = [1e308, ring[0][1]]


def _open_ring(feature: dict[str, Any]) -> None:
    ring = _exterior(feature)
    ring[-1] = [ring[-1][0] + 0.01, ring[-1][1]]


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[35.20, 31.90], [35.21, 31.91], [35.21, 31.90], [35.20, 31.91], [35.20, 31.90]]],
}
SQUARE = [[35.20, 31.90], [35.21, 31.90], [35.21, 31.91], [35.20, 31.91], [35.20, 31.90]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE]}
LINE = {"type": "LineString", "coordinates": SQUARE[:3]}
POINT = {"type": "Point", "coordinates": [35.2, 31.9]}


@dataclass(frozen=True)
class Case:
    """A corruption of one layer file, what the message must say, and the feature it must name."""

    id: str
    layer: str
    mutate: Mutation
    says: str
    feature: str | None = None
    alone: bool = True  # False: only a check across layers (load_all, check) can see it
    touches: tuple[str, str] | None = None  # (feature id, column or "geometry") the case changes, if one feature
    raw: bool = False  # writes JSON text that rewriting the file would change (1e400 comes back as Infinity)


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
    Case(
        "null-population",
        "zones",
        _props("bethlehem-a", population=None),
        "population is null",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "population"),
    ),
    Case(
        "nan-population",
        "zones",
        _props("bethlehem-b", population=float("nan")),
        "population is NaN",
        "zones[zone_id=bethlehem-b]",
        touches=("bethlehem-b", "population"),
    ),
    Case(
        "infinity-area",
        "zones",
        _props("bethlehem-c", area_km2=float("inf")),
        "area_km2 is Infinity",
        "zones[zone_id=bethlehem-c]",
        touches=("bethlehem-c", "area_km2"),
    ),
    Case(
        "huge-area",
        "territories",
        _token("gaza", "area_km2", "1e400"),
        "not a finite number",
        "territories[territory_id=gaza]",
        touches=("gaza", "area_km2"),
        raw=True,
    ),
    Case(
        "text-population",
        "zones",
        _props("bethlehem-a", population="many"),
        "not a number",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "population"),
    ),
    Case(
        "bool-settlers",
        "zones",
        _props("bethlehem-a", settlers=True),
        "settlers is True, not a number",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "settlers"),
    ),
    Case(
        "half-person",
        "settlements",
        _props("cbs-3488", population=12.5),
        "not a whole number",
        "settlements[settlement_id=cbs-3488]",
        touches=("cbs-3488", "population"),
    ),
    Case(
        "negative-population",
        "zones",
        _props("bethlehem-a", population=-5),
        "population=-5 is out of range",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "population"),
    ),
    Case(
        "negative-settlers",
        "zones",
        _props("east-jerusalem", settlers=-1),
        "settlers=-1 is out of range; give it a whole number >= 0",
        "zones[zone_id=east-jerusalem]",
        touches=("east-jerusalem", "settlers"),
    ),
    Case(
        "negative-settlement",
        "settlements",
        _props("cbs-3555", population=-100),
        "population=-100 is out of range",
        "settlements[settlement_id=cbs-3555]",
        touches=("cbs-3555", "population"),
    ),
    Case(
        "negative-area",
        "territories",
        _props("west_bank", area_km2=-10.0),
        "area_km2=-10.0 is out of range",
        "territories[territory_id=west_bank]",
        touches=("west_bank", "area_km2"),
    ),
    Case(
        "negative-length",
        "line_1967",
        _props("line-west-bank", length_km=-3.5),
        "length_km=-3.5 is out of range",
        "line_1967[feature_id=line-west-bank]",
        touches=("line-west-bank", "length_km"),
    ),
    Case(
        "share-over-100",
        "oslo_areas",
        _props("oslo-h2", share_pct=250.0),
        "share_pct=250.0 is out of range",
        "oslo_areas[area_id=oslo-h2]",
        touches=("oslo-h2", "share_pct"),
    ),
    Case(
        "int-beyond-64-bits",
        "zones",
        _props("bethlehem-a", population=10**30),
        "population=10000",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "population"),
    ),
    Case(
        "property-missing",
        "zones",
        _feature("bethlehem-a", lambda f: f["properties"].pop("population")),
        "has no population property",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "population"),
    ),
    Case(
        "properties-null",
        "crossings",
        _feature("kerem-shalom", lambda f: f.__setitem__("properties", None)),
        "has no properties",
        f"crossings[feature #{_at('crossings', 'kerem-shalom')}]",
        touches=("kerem-shalom", "crossing_id"),
    ),
    Case(
        "extra-property",
        "zones",
        _props("bethlehem-a", colour="red"),
        "has the property 'colour', which the zones schema does not have",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "colour"),
    ),
    Case(
        "not-allowed",
        "crossings",
        _props("kerem-shalom", status="half-open"),
        "status='half-open' is not one of",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "status"),
    ),
    Case(
        "bool-as-text",
        "crossings",
        _props("kerem-shalom", major="yes"),
        "major is 'yes', not true or false",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "major"),
    ),
    Case(
        "id-as-number",
        "zones",
        _props("bethlehem-a", zone_id=5),
        "zone_id is 5, not text",
        f"zones[feature #{_at('zones', 'bethlehem-a')}, zone_id=5]",
        touches=("bethlehem-a", "zone_id"),
    ),
    Case(
        "month-pattern",
        "crossings",
        _props("kerem-shalom", status_as_of="2025/11"),
        "status_as_of='2025/11' is not valid",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "status_as_of"),
    ),
    # control characters in text (#15)
    Case(
        "nul-in-name",
        "zones",
        _props("bethlehem-a", name="Beth\x00lehem"),
        "control character U+0000",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "name"),
    ),
    Case(
        "escape-in-name",
        "crossings",
        _props("kerem-shalom", name="\x1b[2J\x1b[31mKerem"),
        "control character U+001B",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "name"),
    ),
    Case(
        "cr-in-source",
        "obstacles",
        _props("ocha-1", source="OCHA\rforged"),
        "control character U+000D",
        "obstacles[obstacle_id=ocha-1]",
        touches=("ocha-1", "source"),
    ),
    Case(
        "bell-in-basemap",
        "basemap",
        _props("country-egy", name="Egypt\x07"),
        "control character U+0007",
        "basemap[feature_id=country-egy]",
        touches=("country-egy", "name"),
    ),
    Case(
        "c1-csi-in-name",
        "jerusalem",
        _props("east-jerusalem", name="East\x9b31m"),
        "control character U+009B",
        "jerusalem[feature_id=east-jerusalem]",
        touches=("east-jerusalem", "name"),
    ),
    # ids (#17, unique ids)
    Case(
        "slash-zone-id",
        "zones",
        _props("bethlehem-a", zone_id="bethlehem/a"),
        "zone_id='bethlehem/a' is not valid",
        f"zones[feature #{_at('zones', 'bethlehem-a')}, zone_id='bethlehem/a']",
        touches=("bethlehem-a", "zone_id"),
    ),
    Case(
        "slash-crossing-id",
        "crossings",
        _props("kerem-shalom", crossing_id="kerem/shalom"),
        "no '/'",
        f"crossings[feature #{_at('crossings', 'kerem-shalom')}, crossing_id='kerem/shalom']",
        touches=("kerem-shalom", "crossing_id"),
    ),
    Case(
        "space-obstacle-id",
        "obstacles",
        _props("ocha-1", obstacle_id="ocha 1"),
        "obstacle_id='ocha 1' is not valid",
        f"obstacles[feature #{_at('obstacles', 'ocha-1')}, obstacle_id='ocha 1']",
        touches=("ocha-1", "obstacle_id"),
    ),
    Case(
        "empty-id",
        "settlements",
        _props("cbs-3488", settlement_id=""),
        "settlement_id='' is not valid",
        f"settlements[feature #{_at('settlements', 'cbs-3488')}, settlement_id='']",
        touches=("cbs-3488", "settlement_id"),
    ),
    Case(
        "slash-in-reference",
        "crossings",
        _props("kerem-shalom", zone_id="rafah/x"),
        "zone_id='rafah/x' is not valid",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "zone_id"),
    ),
    Case("duplicate-zone-id", "zones", _props("bethlehem-b", zone_id="bethlehem-a"), "duplicate zone_id 'bethlehem-a'"),
    Case(
        "unknown-zone",
        "obstacles",
        _props("ocha-1", zone_id="atlantis"),
        "zone_id 'atlantis' is not in zones",
        alone=False,
    ),
    # features and geometry
    Case(
        "not-a-feature",
        "crossings",
        _feature("kerem-shalom", lambda f: f.__setitem__("type", "Feeture")),
        "not a GeoJSON Feature",
        f"crossings[feature #{_at('crossings', 'kerem-shalom')}]",
        touches=("kerem-shalom", "crossing_id"),
    ),
    Case(
        "null-geometry",
        "zones",
        _geometry("bethlehem-a", None),
        "has no geometry",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "geometry"),
    ),
    Case(
        "geometry-member-missing",
        "settlements",
        _feature("cbs-3488", lambda f: f.pop("geometry")),
        "has no geometry",
        "settlements[settlement_id=cbs-3488]",
        touches=("cbs-3488", "geometry"),
    ),
    Case(
        "empty-point",
        "crossings",
        _geometry("kerem-shalom", {"type": "Point", "coordinates": []}),
        "not [longitude, latitude]",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "geometry"),
    ),
    Case(
        "empty-polygon",
        "zones",
        _geometry("bethlehem-b", {"type": "Polygon", "coordinates": []}),
        "has no geometry (null or empty)",
        "zones[zone_id=bethlehem-b]",
        touches=("bethlehem-b", "geometry"),
    ),
    Case(
        "bowtie",
        "zones",
        _geometry("bethlehem-a", BOWTIE),
        "invalid geometry (Self-intersection",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "geometry"),
    ),
    Case(
        "bowtie-in-jerusalem",
        "jerusalem",
        _geometry("old-city", BOWTIE),
        "invalid geometry (Self-intersection",
        "jerusalem[feature_id=old-city]",
        touches=("old-city", "geometry"),
    ),
    Case(
        "point-in-zones",
        "zones",
        _geometry("bethlehem-a", {"type": "Point", "coordinates": [35.2, 31.9]}),
        "geometry is Point, expected ['MultiPolygon', 'Polygon']",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "geometry"),
    ),
    Case(
        "polygon-as-crossing",
        "crossings",
        _geometry("kerem-shalom", {"type": "Polygon", "coordinates": [SQUARE]}),
        "geometry is Polygon",
        "crossings[crossing_id=kerem-shalom]",
        touches=("kerem-shalom", "geometry"),
    ),
    Case(
        "collection-in-zones",
        "zones",
        _geometry("bethlehem-a", {"type": "GeometryCollection", "geometries": [BOWTIE]}),
        "geometry is GeometryCollection",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "geometry"),
    ),
    Case(
        "swapped-axes",
        "crossings",
        _feature("rafah", _swap_axes),
        "look swapped",
        "crossings[crossing_id=rafah]",
        touches=("rafah", "geometry"),
    ),
    Case(
        "itm-metres",
        "crossings",
        _feature("karni", _to_metres),
        "not longitude/latitude degrees",
        "crossings[crossing_id=karni]",
        touches=("karni", "geometry"),
    ),
    Case(
        "vertex-at-1e308",
        "zones",
        _feature("bethlehem-a", _far_vertex),
        "leave the region",
        "zones[zone_id=bethlehem-a]",
        touches=("bethlehem-a", "geometry"),
    ),
    Case(
        "nan-coordinate",
        "obstacles",
        _geometry("ocha-1", {"type": "Point", "coordinates": [float("nan"), 31.9]}),
        "NaN or infinite coordinate",
        "obstacles[obstacle_id=ocha-1]",
        touches=("ocha-1", "geometry"),
    ),
    Case(
        "string-coordinates",
        "obstacles",
        _geometry("ocha-2", {"type": "Point", "coordinates": ["35.2", "31.9"]}),
        "not [longitude, latitude]",
        "obstacles[obstacle_id=ocha-2]",
        touches=("ocha-2", "geometry"),
    ),
    Case(
        "four-numbers",
        "settlements",
        _geometry("cbs-3488", {"type": "Point", "coordinates": [35.1, 31.6, 0, 7]}),
        "not [longitude, latitude]",
        "settlements[settlement_id=cbs-3488]",
        touches=("cbs-3488", "geometry"),
    ),
    Case(
        "unknown-type",
        "settlements",
        _geometry("cbs-3555", {"type": "Circle", "coordinates": [35.1, 31.6]}),
        "'Circle', which GeoJSON does not define",
        "settlements[settlement_id=cbs-3555]",
        touches=("cbs-3555", "geometry"),
    ),
    Case(
        "open-ring",
        "zones",
        _feature("bethlehem-b", _open_ring),
        "cannot be read",
        "zones[zone_id=bethlehem-b]",
        touches=("bethlehem-b", "geometry"),
    ),
]


def _id_fix(column: str, value: str) -> str:
    return f"{column}={value!r} is not valid: an id uses only letters, digits, '-', '_' and '.' (no '/'"


def _not_in(column: str, value: str, target: str) -> str:
    return f"{column} {value!r} is not in {target}; use an id of {target}.geojson"


def _shape(layer: str, found: str, expected: str, shape: str) -> str:
    return f"geometry is {found}, expected {expected} (a {layer} feature is a {shape}); fix or remove the feature"


_POLYS = "['MultiPolygon', 'Polygon']"
_NUMBER_FIX = "give it a whole number >= 0 or null"


def _label(layer: str, fid: str) -> str:
    return f"{layer}[{SCHEMAS[layer].id_column}={fid}]"


def _relabelled(layer: str, fid: str, new_id: str) -> str:
    """How a message names a feature whose id was made unusable: by position and the id as written."""
    return f"{layer}[feature #{_at(layer, fid)}, {SCHEMAS[layer].id_column}={new_id!r}]"


def _bad(layer: str, fid: str, says: str, **change: Any) -> Case:
    """Give one property of the feature ``fid`` of ``layer`` a bad value; the message names that feature."""
    ((column, value),) = change.items()
    case_id = re.sub(r"[^a-z0-9_.,-]+", "_", f"{layer}-{column}-{value}".lower())
    feature = _relabelled(layer, fid, value) if column == SCHEMAS[layer].id_column else _label(layer, fid)
    return Case(case_id, layer, _props(fid, **change), says, feature, touches=(fid, column))


def _tokened(layer: str, fid: str, column: str, token: str, says: str) -> Case:
    """Write a raw JSON token (``Infinity``, ``1e400``) as a property of the feature ``fid``."""
    case_id = f"{layer}-{column}-{token}".lower()
    mutate = _token(fid, column, token)
    return Case(case_id, layer, mutate, says, _label(layer, fid), touches=(fid, column), raw=True)


def _reshaped(layer: str, fid: str, change: Callable[[dict[str, Any]], None], says: str, name: str) -> Case:
    """Change the geometry of the feature ``fid``."""
    return Case(f"{layer}-{name}", layer, _feature(fid, change), says, _label(layer, fid), touches=(fid, "geometry"))


def _shaped(layer: str, fid: str, geometry: dict[str, Any], says: str) -> Case:
    """Give the feature ``fid`` a geometry of the wrong type."""
    return _reshaped(layer, fid, lambda f: f.__setitem__("geometry", geometry), says, f"as-{geometry['type'].lower()}")


def _refers(layer: str, fid: str, column: str, value: str, target: str) -> Case:
    """A reference to a feature the target layer does not have: only a check across layers sees it."""
    says = _not_in(column, value, target)
    mutate = _props(fid, **{column: value})
    return Case(f"{layer}-{column}-dangling", layer, mutate, says, _label(layer, fid), False, (fid, column))


#: Bad input in the layers added or changed for the confederation's geography: each case breaks one property or the
#: geometry of one feature, picked by id, and the message must name that feature and say the fix.
LAYER_CASES = [
    # localities
    _bad(
        "localities",
        "pcbs-301810",
        "type='suburb' is not one of ['bedouin_herding', 'camp', 'city', 'town', 'village']",
        type="suburb",
    ),
    _bad("localities", "pcbs-010180", f"population=-5 is out of range; {_NUMBER_FIX}", population=-5),
    _bad(
        "localities",
        "pcbs-201040",
        f"population_2017 is NaN, which is not a number JSON allows; {_NUMBER_FIX}",
        population_2017=float("nan"),
    ),
    _bad("localities", "pcbs-452240", _id_fix("locality_id", "pcbs/452240"), locality_id="pcbs/452240"),
    _shaped("localities", "pcbs-050610", POLYGON, _shape("localities", "Polygon", "['Point']", "point")),
    _bad("localities", "pcbs-502780", "territory='sinai' is not one of ['gaza', 'west_bank']", territory="sinai"),
    _refers("localities", "pcbs-301810", "zone_id", "atlantis", "zones"),
    _refers("localities", "ocha-999756", "counted_with", "pcbs-000000", "localities"),
    # settlement_areas
    _bad(
        "settlement_areas",
        "bu-adora",
        "match='guessed' is not one of ['alias', 'matched_location', 'matched_name', 'unmatched']",
        match="guessed",
    ),
    _tokened(
        "settlement_areas",
        "bu-alei-zahav",
        "area_km2",
        "Infinity",
        "area_km2 is Infinity, which is not a number JSON allows; give it a finite number >= 0",
    ),
    _bad(
        "settlement_areas",
        "bu-alfei-menashe",
        "in_east_jerusalem is 'no', not true or false; give it true or false",
        in_east_jerusalem="no",
    ),
    _bad("settlement_areas", "bu-almog", _id_fix("area_id", "bu almog"), area_id="bu almog"),
    _shaped("settlement_areas", "bu-almon", POINT, _shape("settlement_areas", "Point", _POLYS, "polygon")),
    _refers("settlement_areas", "bu-adora", "settlement_id", "cbs-0", "settlements"),
    # barrier
    _bad(
        "barrier",
        "seg-1",
        "status='demolished' is not one of ['constructed', 'projected', 'under_construction']",
        status="demolished",
    ),
    _bad("barrier", "seg-10", "length_km=-1.5 is out of range; give it a finite number >= 0 or null", length_km=-1.5),
    _bad(
        "barrier",
        "seg-100",
        "inside_west_bank_km is NaN, which is not a number JSON allows; give it a finite number >= 0 or null",
        inside_west_bank_km=float("nan"),
    ),
    _bad("barrier", "gate-10", _id_fix("feature_id", "gate/10"), feature_id="gate/10"),
    _shaped(
        "barrier",
        "seg-101",
        POLYGON,
        _shape("barrier", "Polygon", "['LineString', 'MultiLineString', 'Point']", "line or a point"),
    ),
    _bad("barrier", "gate-11", "kind='wall' is not one of ['gate', 'route']", kind="wall"),
    _refers("barrier", "gate-1", "segment_id", "seg-0", "barrier"),
    _refers("barrier", "seg-54", "zone_id", "atlantis", "zones"),
    # seam_zone
    _bad(
        "seam_zone",
        "seam-01",
        "area_km2 is NaN, which is not a number JSON allows; give it a finite number >= 0",
        area_km2=float("nan"),
    ),
    _bad(
        "seam_zone",
        "seam-02",
        "share_pct=101.0 is out of range; give it a finite number from 0 to 100",
        share_pct=101.0,
    ),
    _bad("seam_zone", "seam-03", f"population=-1 is out of range; {_NUMBER_FIX}", population=-1),
    _bad("seam_zone", "seam-04", f"localities is 'many', not a number; {_NUMBER_FIX}", localities="many"),
    _bad("seam_zone", "seam-05", _id_fix("feature_id", "seam 05"), feature_id="seam 05"),
    _shaped("seam_zone", "seam-06", LINE, _shape("seam_zone", "LineString", _POLYS, "polygon")),
    _refers("seam_zone", "seam-16", "zone_id", "atlantis", "zones"),
    # links
    _bad("links", "safe-passage-north", "route='eastern' is not one of ['northern', 'southern']", route="eastern"),
    _tokened(
        "links",
        "safe-passage-south",
        "length_km",
        "-Infinity",
        "length_km is -Infinity, which is not a number JSON allows; give it a finite number >= 0",
    ),
    _bad("links", "safe-passage-south", _id_fix("link_id", "safe passage"), link_id="safe passage"),
    _shaped(
        "links",
        "safe-passage-north",
        POLYGON,
        _shape("links", "Polygon", "['LineString', 'MultiLineString']", "line"),
    ),
    _bad("links", "safe-passage-north", _id_fix("from_crossing", "erez/x"), from_crossing="erez/x"),
    _bad(
        "links", "safe-passage-south", "schematic is 'yes', not true or false; give it true or false", schematic="yes"
    ),
    _refers("links", "safe-passage-north", "from_crossing", "atlantis", "crossings"),
    _refers("links", "safe-passage-south", "to_crossing", "atlantis", "crossings"),
    # regions
    _bad(
        "regions",
        "jordan-valley",
        "share_pct=250.0 is out of range; give it a finite number from 0 to 100",
        share_pct=250.0,
    ),
    _bad("regions", "jordan-valley", "area_km2=-1.0 is out of range; give it a finite number >= 0", area_km2=-1.0),
    _bad("regions", "jordan-valley", _id_fix("region_id", "jordan/valley"), region_id="jordan/valley"),
    _shaped("regions", "jordan-valley", POINT, _shape("regions", "Point", _POLYS, "polygon")),
    _bad("regions", "jordan-valley", "rule is null; give it a value (text)", rule=None),
    _bad(
        "regions",
        "jordan-valley",
        "published_km2 is '1,600', not a number; give it a finite number >= 0 or null",
        published_km2="1,600",
    ),
    _refers("zones", "bethlehem-a-jv", "region", "dead-sea", "regions"),
    # firing_zones
    _bad(
        "firing_zones",
        "fz-900",
        "share_pct=100.5 is out of range; give it a finite number from 0 to 100",
        share_pct=100.5,
    ),
    _tokened(
        "firing_zones",
        "fz-203-1",
        "area_km2",
        "1e400",
        "area_km2=inf is not a finite number; give it a finite number >= 0",
    ),
    _bad("firing_zones", "fz-208", _id_fix("zone_id", "fz/208"), zone_id="fz/208"),
    _shaped("firing_zones", "fz-309a", LINE, _shape("firing_zones", "LineString", _POLYS, "polygon")),
    _bad("firing_zones", "fz-411", "number is 411, not text; give it text or null", number=411),
    _bad("firing_zones", "fz-597", "holds the control character U+0000; remove it", name="Firing zone\x00 597"),
    # israeli_localities
    _bad("israeli_localities", "cbs-3000", f"population=-1 is out of range; {_NUMBER_FIX}", population=-1),
    _bad("israeli_localities", "cbs-5000", _id_fix("locality_id", "cbs/5000"), locality_id="cbs/5000"),
    _bad(
        "israeli_localities",
        "cbs-4000",
        "cbs_code is '4000', not a number; give it a whole number >= 0",
        cbs_code="4000",
    ),
    _shaped("israeli_localities", "cbs-70", POLYGON, _shape("israeli_localities", "Polygon", "['Point']", "point")),
    # dead_sea
    _bad(
        "dead_sea",
        "dead-sea-west-bank",
        "schematic is 'yes', not true or false; give it true or false",
        schematic="yes",
    ),
    _tokened(
        "dead_sea",
        "dead-sea-west-bank",
        "area_km2",
        "-Infinity",
        "area_km2 is -Infinity, which is not a number JSON allows",
    ),
    _bad("dead_sea", "dead-sea-west-bank", _id_fix("feature_id", "dead sea"), feature_id="dead sea"),
    _shaped("dead_sea", "dead-sea-west-bank", POINT, _shape("dead_sea", "Point", _POLYS, "polygon")),
    # early_warning_sites
    _bad(
        "early_warning_sites",
        "clinton-2000-baal-hazor",
        "proposal='x' is not one of ['clinton_2000', 'geneva_2003']",
        proposal="x",
    ),
    _bad(
        "early_warning_sites",
        "clinton-2000-baal-hazor",
        "schematic is 'yes', not true or false; give it true or false",
        schematic="yes",
    ),
    _bad(
        "early_warning_sites",
        "clinton-2000-baal-hazor",
        _id_fix("site_id", "baal hazor"),
        site_id="baal hazor",
    ),
    _shaped(
        "early_warning_sites",
        "clinton-2000-baal-hazor",
        POLYGON,
        _shape("early_warning_sites", "Polygon", "['Point']", "point"),
    ),
    _reshaped(
        "early_warning_sites",
        "clinton-2000-baal-hazor",
        lambda f: f["geometry"].update(coordinates=[35.286111, float("nan")]),
        "has NaN or infinite coordinates; every coordinate must be a finite longitude/latitude",
        "nan-coordinate",
    ),
    # the columns new in crossings, zones, jerusalem and settlements
    _bad("crossings", "kerem-shalom", f"trucks_per_day=-360 is out of range; {_NUMBER_FIX}", trucks_per_day=-360),
    _bad(
        "crossings",
        "allenby",
        "capacity_year=1700 is out of range; give it a whole number from 1800 to 2100 or null",
        capacity_year=1700,
    ),
    _bad("crossings", "erez", "operator is 7, not text; give it text or null", operator=7),
    _bad("crossings", "zikim", "sides='PS-SY' is not one of ['PS-EG', 'PS-IL', 'PS-JO', 'internal']", sides="PS-SY"),
    _bad(
        "zones",
        "east-jerusalem",
        "israelis_ej=-1 is out of range; give it a whole number >= 0",
        israelis_ej=-1,
    ),
    _bad(
        "zones",
        "old-city",
        "population_2017 is null; give it a value (a whole number >= 0)",
        population_2017=None,
    ),
    _bad("jerusalem", "nbhd-silwan", "clinton_rule='JO' is not one of ['IL', 'PS']", clinton_rule="JO"),
    _shaped("jerusalem", "haram-al-sharif", POINT, _shape("jerusalem", "Point", _POLYS, "polygon")),
    _bad(
        "jerusalem",
        "western-wall-plaza",
        "kind='plaza' is not one of ['east_jerusalem', 'holy_basin', 'holy_site', 'neighbourhood', 'old_city',"
        " 'quarter']",
        kind="plaza",
    ),
    _bad(
        "settlements",
        "cbs-3555",
        "kind='outpost' is not one of ['east_jerusalem_neighbourhood', 'hebron_enclave', 'settlement']",
        kind="outpost",
    ),
    _bad(
        "settlements",
        "cbs-3488",
        "population_year=2200 is out of range; give it a whole number from 1800 to 2100 or null",
        population_year=2200,
    ),
]


def _ids(case: Case) -> str:
    return case.id


def _copy_workspace(ws: Path) -> Path:
    """A writable copy of the shipped layers and plans at ``ws``."""
    shutil.copytree(ROOT / "layers", ws / "layers")
    shutil.copytree(ROOT / "plans", ws / "plans")
    (ws / "maps").mkdir()
    return ws


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A writable copy of the shipped layers and plans."""
    return _copy_workspace(tmp_path / "ws")


def test_the_copied_layers_load_clean(workspace):
    every = layers.load_all(workspace)
    assert list(every) == list(layers.LAYER_NAMES)
    assert layers.check(workspace).ok


def test_the_table_covers_every_layer_and_many_variants():
    every = CASES + LAYER_CASES
    assert {c.layer for c in every} == set(layers.LAYER_NAMES)
    assert len(CASES) >= 30
    assert len({c.id for c in every}) == len(every)
    assert all(c.feature is not None and c.touches is not None for c in LAYER_CASES)
    assert max(ROUNDS.values()) < 6  # the cases share a few runs (see _rounds)
    assert len(SHARED_CASES) >= 40 and max(SHARED_ROUNDS.values()) < 15
    assert all(c.feature is not None and c.alone for c in SHARED_CASES)


#: The layers the confederation's geography added, and the kinds of bad input each must have a case for.
NEW_LAYERS = (
    "localities",
    "settlement_areas",
    "barrier",
    "seam_zone",
    "links",
    "regions",
    "firing_zones",
    "early_warning_sites",
    "israeli_localities",
    "dead_sea",
)
BAD_INPUT_KINDS = {
    "wrong type or value": ("is not one of", "not true or false", "not a number", "not text"),
    "negative, NaN or infinite measure": ("is out of range", "is NaN", "Infinity", "not a finite number", "NaN or inf"),
    "bad id": ("is not valid: an id",),
    "wrong geometry type": ("geometry is ",),
}


@pytest.mark.parametrize("layer", NEW_LAYERS)
def test_every_new_layer_has_each_kind_of_bad_input(layer):
    says = [c.says for c in LAYER_CASES if c.layer == layer and c.alone]
    missing = [kind for kind, words in BAD_INPUT_KINDS.items() if not any(w in s for s in says for w in words)]
    assert not missing, f"{layer} has no case for: {missing}"


def test_the_reference_cases_cover_every_reference_the_check_follows():
    covered = {(c.layer, c.says.split(" ", 1)[0]) for c in CASES + LAYER_CASES if not c.alone}
    covered |= {(layer, "zone_id") for layer in MISSING_ZONE_LAYERS}
    assert {(name, column) for name, column, _, _ in layers.REFERENCES} <= covered


def _assert_names(message: str, path: Path, case: Case) -> None:
    assert str(path) in message
    assert case.says in message
    if case.feature is not None:
        assert case.feature in message


def _assert_one_line_names(message: str, path: Path, case: Case) -> None:
    """One line of the message names the file, the feature and the fix."""
    assert case.feature is not None
    lines = message.splitlines()
    assert any(str(path) in line and case.says in line and case.feature in line for line in lines), lines


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_a_broken_layer_is_a_clear_error_everywhere(request, case, capsys):
    if case.touches is not None:  # one broken feature: its run is shared with cases that cannot change its message
        _assert_shared_case_names(request.getfixturevalue("shared_outcome")(case), case)
        return
    workspace = request.getfixturevalue("workspace")
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
    if case.layer in PLAN_LAYERS:
        code = main(["--workspace", str(workspace), "plan", "validate", "reference"])
    else:  # plan validate reads zones and crossings only; map reads every layer before it solves
        out = workspace / "maps" / "broken.html"
        code = main(["--workspace", str(workspace), "map", "reference", "--time", "0.1", "-o", str(out)])
        assert not out.exists()
    printed = capsys.readouterr()
    assert code == 65, printed.err
    assert "Traceback" not in printed.out + printed.err
    assert case.says in printed.err


def _assert_shared_case_names(o: Outcome, case: Case) -> None:
    """What the separate run asserts, each on one line of the shared run's messages (so no other case's line can
    stand in for this case's)."""
    path = o.workspace / "layers" / f"{case.layer}.geojson"
    if case.alone:
        _assert_one_line_names(o.load[case.layer], path, case)
    _assert_one_line_names(o.load_all, path, case)
    assert not o.check.ok
    _assert_one_line_names("\n".join(o.check.problems), path, case)
    if case.layer in PLAN_LAYERS:
        assert o.plan is not None
        code, out, err = o.plan
    else:
        code, out, err = o.code, o.out, o.err
        assert not o.wrote_map
    assert code == 65, err
    assert "Traceback" not in out + err
    _assert_one_line_names(err, path, case)


# -- the new layers and columns: cases that cannot change each other's messages share a run -----------------------


def _clash(a: Case, b: Case) -> bool:
    """Whether two cases would change each other's message: they change the same property or the geometry of one
    feature, or one of them changes that feature's id (its messages then name it by position)."""
    if a.layer != b.layer:
        return False
    if a.touches is None or b.touches is None or (a.raw and b.raw):  # one raw change per file: it is made last
        return True
    (fa, ca), (fb, cb) = a.touches, b.touches
    return fa == fb and (ca == cb or SCHEMAS[a.layer].id_column in (ca, cb))


def _rounds(cases: list[Case], clash: Callable[[Case, Case], bool] = _clash) -> dict[str, int]:
    """Which run each case belongs to: the first run holding no case it clashes with.

    The cases of a run change different features, or different properties of one feature, so each message is the
    one of that case alone, and a few runs of ``load_all``, ``check`` and the command line serve every case.
    Broken references are seen only once every layer reads clean, so they have runs of their own.
    """
    runs: list[list[Case]] = []
    out: dict[str, int] = {}
    for c in cases:
        k = next(
            (k for k, run in enumerate(runs) if run[0].alone == c.alone and not any(clash(c, m) for m in run)),
            len(runs),
        )
        if k == len(runs):
            runs.append([])
        runs[k].append(c)
        out[c.id] = k
    return out


ROUNDS = _rounds(LAYER_CASES)

#: The layers ``plan validate`` reads, in its order: it stops at the first broken one.
PLAN_LAYERS = ("zones", "crossings")


def _clash_in_plan_validate(a: Case, b: Case) -> bool:
    """Whether two cases would change each other's message, counting ``plan validate``: a broken zones layer hides
    the problems of crossings from it, so a run breaks one of the two only."""
    return _clash(a, b) or {a.layer, b.layer} == set(PLAN_LAYERS)


#: The cases of the first table that break one feature share runs as ``LAYER_CASES`` do; the others (a whole file
#: broken, a duplicate id, a dangling reference) each have a workspace of their own.
SHARED_CASES = [c for c in CASES if c.touches is not None]
SHARED_ROUNDS = _rounds(SHARED_CASES, _clash_in_plan_validate)


@dataclass(frozen=True)
class Outcome:
    """What loading, checking and drawing a broken workspace gave."""

    workspace: Path
    load: dict[str, str]  # layer -> the LayerError of loading it alone ("" when it loaded)
    load_all: str
    check: layers.CheckResult
    code: int
    out: str
    err: str
    wrote_map: bool
    plan: tuple[int, str, str] | None = None  # exit code, stdout and stderr of ``plan validate``, when run


def _command(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _run(cases: list[Case], ws: Path, plan: bool = False) -> Outcome:
    for c in sorted(cases, key=lambda c: c.raw):  # raw text last: the other changes rewrite the file
        c.mutate(ws / "layers" / f"{c.layer}.geojson")
    alone: dict[str, str] = {}
    for layer in sorted({c.layer for c in cases if c.alone}):
        try:
            layers.load(layer, ws)
            alone[layer] = ""
        except LayerError as exc:
            alone[layer] = str(exc)
    try:
        layers.load_all(ws)
        every = ""
    except LayerError as exc:
        every = str(exc)
    result = layers.check(ws)  # never raises
    html = ws / "maps" / "broken.html"
    # map reads every layer before it solves; plan validate reads zones, then crossings (its cases need no map)
    draw = not plan or any(c.layer not in PLAN_LAYERS for c in cases)
    argv = ["--workspace", str(ws), "map", "reference", "--time", "0.1", "-o", str(html)]
    code, out, err = _command(argv) if draw else (-1, "", "not drawn: no case of this run reads the map")
    checked = _command(["--workspace", str(ws), "plan", "validate", "reference"]) if plan else None
    return Outcome(ws, alone, every, result, code, out, err, html.exists(), checked)


def _runs(
    tmp_path_factory: pytest.TempPathFactory, table: list[Case], rounds: dict[str, int], plan: bool = False
) -> Callable[[Case], Outcome]:
    """The outcome of the run a case of ``table`` belongs to, each run made once, when a case first needs it."""
    done: dict[int, Outcome] = {}

    def of(case: Case) -> Outcome:
        key = rounds[case.id]
        if key not in done:
            cases = [c for c in table if rounds[c.id] == key]
            done[key] = _run(cases, _copy_workspace(tmp_path_factory.mktemp("broken") / "ws"), plan)
        return done[key]

    return of


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Outcome]:
    """The outcome of the run a case of ``LAYER_CASES`` belongs to."""
    return _runs(tmp_path_factory, LAYER_CASES, ROUNDS)


@pytest.fixture(scope="module")
def shared_outcome(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Case], Outcome]:
    """The outcome of the run a case of ``SHARED_CASES`` belongs to (``plan validate`` run too)."""
    return _runs(tmp_path_factory, SHARED_CASES, SHARED_ROUNDS, plan=True)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_ids)
def test_a_broken_feature_of_a_new_layer_is_a_clear_error_everywhere(outcome, case):
    o = outcome(case)
    path = o.workspace / "layers" / f"{case.layer}.geojson"
    if case.alone:
        _assert_one_line_names(o.load[case.layer], path, case)
    _assert_one_line_names(o.load_all, path, case)
    assert not o.check.ok
    _assert_one_line_names("\n".join(o.check.problems), path, case)
    assert o.code == 65, o.err
    assert "Traceback" not in o.out + o.err
    _assert_one_line_names(o.err, path, case)
    assert not o.wrote_map


@pytest.mark.parametrize("token", ["Infinity", "-Infinity", "1e400", "NaN"])
def test_check_flags_an_infinite_area_in_a_file(workspace, token):
    path = workspace / "layers" / "oslo_areas.geojson"
    _token("oslo-h2", "area_km2", token)(path)
    problems = layers.check(workspace).problems
    assert any("oslo_areas[area_id=oslo-h2]: area_km2" in p and str(path) in p for p in problems), problems


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), -1.0])
def test_check_flags_an_infinite_or_negative_area_in_memory(shipped, value):
    data = dict(shipped)
    t = shipped["territories"].copy()
    t.loc[t["territory_id"] == "west_bank", "area_km2"] = value
    data["territories"] = t
    problems = layers.check(layers=data).problems
    assert any("territories[territory_id=west_bank]: area_km2" in p for p in problems), problems


def test_many_problems_of_one_kind_are_capped(workspace):
    path = workspace / "layers" / "obstacles.geojson"
    _edit(lambda d: [f["properties"].update(type_code=-1) for f in d["features"]])(path)
    features = len(_shipped_ids("obstacles"))
    assert features > layers.MAX_LINES_PER_KIND
    problems = layers.check(workspace).problems
    mine = [p for p in problems if "type_code" in p]
    assert len(mine) == layers.MAX_LINES_PER_KIND + 1
    assert mine[-1].endswith(f"and {features - layers.MAX_LINES_PER_KIND} more like the line above (type_code:range)")
    with pytest.raises(LayerError) as exc:
        layers.load("obstacles", workspace)
    assert len(str(exc.value).splitlines()) == layers.MAX_LINES_PER_KIND + 1


def test_check_reports_every_layer_and_notes_skipped_checks(workspace):
    (workspace / "layers" / "zones.geojson").write_text("{", encoding="utf-8")
    _props("kerem-shalom", status="half-open")(workspace / "layers" / "crossings.geojson")
    _props("cbs-3488", population=-3)(workspace / "layers" / "settlements.geojson")
    result = layers.check(workspace)
    text = "\n".join(result.problems)
    assert "zones.geojson: line 1 column 2: not valid JSON" in text
    assert "status='half-open'" in text
    assert "population=-3" in text
    assert "skipped the coverage check" in text
    naming = (
        "barrier.zone_id, crossings.zone_id, localities.zone_id, obstacles.zone_id, seam_zone.zone_id, "
        "settlements.zone_id"
    )
    assert f"skipped the check that {naming} name existing zones: zones is unreadable." in text
    assert list(result.summary["layer"]) == [n for n in layers.LAYER_NAMES if n != "zones"]
    assert result.total == 3


@pytest.mark.parametrize(
    ("target", "naming"),
    [
        ("regions", "zones.region"),
        ("settlements", "settlement_areas.settlement_id"),
        ("crossings", "links.from_crossing, links.to_crossing"),
        ("localities", "localities.counted_with"),
        ("barrier", "barrier.segment_id"),
    ],
)
def test_every_reference_check_skipped_for_an_unreadable_layer_says_so(workspace, target, naming):
    (workspace / "layers" / f"{target}.geojson").write_text("[", encoding="utf-8")
    text = "\n".join(layers.check(workspace).problems)
    assert f"skipped the check that {naming} name existing {target}: {target} is unreadable." in text


def test_a_bad_region_id_is_not_also_a_dangling_reference_of_every_zone(workspace):
    path = workspace / "layers" / "zones.geojson"
    zones = json.loads(path.read_text(encoding="utf-8"))
    for f in zones["features"]:
        if f["properties"]["region"] == "jordan-valley":
            f["properties"]["region"] = "jordan/valley"
    path.write_text(json.dumps(zones), encoding="utf-8")
    _props("jordan-valley", region_id="jordan/valley")(workspace / "layers" / "regions.geojson")
    problems = layers.check(workspace).problems
    assert any("regions[feature #0, region_id='jordan/valley']" in p for p in problems)
    assert any("region='jordan/valley' is not valid" in p for p in problems)  # the pattern, in zones
    assert not any("is not in regions" in p for p in problems)  # not again as a dangling reference


def test_load_all_reports_the_problems_of_every_broken_layer(workspace):
    _props("bethlehem-a", population=None)(workspace / "layers" / "zones.geojson")
    _props("country-egy", name="x\x00")(workspace / "layers" / "basemap.geojson")
    with pytest.raises(LayerError) as exc:
        layers.load_all(workspace)
    assert "zones.geojson: zones[zone_id=bethlehem-a]: population is null" in str(exc.value)
    assert "basemap.geojson: basemap[feature_id=country-egy]: name='x\\x00' holds the control character" in str(
        exc.value
    )


def test_messages_escape_control_characters(workspace):
    _props("kerem-shalom", name="\x1b[2J")(workspace / "layers" / "crossings.geojson")
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
    assert list(layers.load("crossings", workspace)["crossing_id"]) == list(_shipped_ids("crossings"))


def test_repeated_keys_are_reported(workspace):
    path = workspace / "layers" / "zones.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    once = f'"population":{_find(doc, "zones", "bethlehem-a")["properties"]["population"]},'
    assert path.read_text(encoding="utf-8").count(once) == 1
    _text(lambda t: t.replace(once, once + '"population":-1,'))(path)
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


MISSING_ZONE_LAYERS = ("crossings", "settlements", "obstacles")


@pytest.mark.parametrize("layer", MISSING_ZONE_LAYERS)
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
