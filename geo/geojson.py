"""RFC 7946 GeoJSON: deterministic output and strict input.

Two writes of the same data give the same bytes: features keep their order,
properties follow the given column order, coordinates are rounded to 6 decimals
(about 0.1 m) and polygon rings follow the right-hand rule.

Layer files travel between people, so reading trusts nothing: :func:`read_collection`
accepts only a FeatureCollection of Features, keeps each property value exactly as
JSON gave it (so a schema check can tell ``"12"`` from ``12`` and ``NaN`` from
``null``), and reports every feature it cannot read instead of stopping at the first.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from .crs import is_store_crs, require_crs
from .errors import CRSError, LayerError

__all__ = [
    "PRECISION",
    "Collection",
    "FeatureIssue",
    "NonFinite",
    "RepeatedKeys",
    "clean_geometry",
    "read_collection",
    "to_bytes",
]

#: Decimal places kept in stored coordinates (1e-6 degree is ~0.1 m).
PRECISION = 6


def clean_geometry(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """Snap to the storage grid and orient rings counter-clockwise (RFC 7946).

    Parameters
    ----------
    geoms : GeoSeries
        Geometries in EPSG:4326.

    Returns
    -------
    GeoSeries
        Snapped, oriented geometries (same index and CRS).
    """
    arr = shapely.set_precision(geoms.values, 10.0**-PRECISION)
    arr = shapely.orient_polygons(arr, exterior_cw=False)
    return gpd.GeoSeries(arr, index=geoms.index, crs=geoms.crs)


def _num(v: float) -> float | int:
    r = round(float(v), PRECISION)
    if r == 0:
        return 0.0
    return r


def _coords(seq: Any) -> list[list[float | int]]:
    return [[_num(x), _num(y)] for x, y, *_ in seq]


def _geometry(geom: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    gtype = geom.geom_type
    if gtype == "Point":
        return {"type": "Point", "coordinates": _coords(geom.coords)[0]}
    if gtype == "LineString":
        return {"type": "LineString", "coordinates": _coords(geom.coords)}
    if gtype == "Polygon":
        return {"type": "Polygon", "coordinates": _rings(geom)}
    if gtype == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": [_coords(g.coords)[0] for g in geom.geoms]}
    if gtype == "MultiLineString":
        return {"type": "MultiLineString", "coordinates": [_coords(g.coords) for g in geom.geoms]}
    if gtype == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_rings(g) for g in geom.geoms]}
    raise LayerError(f"cannot write geometry type {gtype}; convert it to a simple type before writing.")


def _rings(poly: Any) -> list[list[list[float | int]]]:
    return [_coords(poly.exterior.coords), *(_coords(r.coords) for r in poly.interiors)]


def _value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return None
        return round(f, 6)
    if v is gpd.pd.NA or v is gpd.pd.NaT:
        return None
    return str(v)


def to_bytes(gdf: gpd.GeoDataFrame, columns: Sequence[str], name: str) -> bytes:
    """Serialise ``gdf`` as RFC 7946 GeoJSON bytes.

    Parameters
    ----------
    gdf : GeoDataFrame
        Data in EPSG:4326.
    columns : sequence of str
        Property columns, in output order.
    name : str
        Layer name (stored as the collection's ``name`` member).

    Returns
    -------
    bytes
        UTF-8 JSON, one feature per line, ending in a newline.

    Raises
    ------
    CRSError
        If ``gdf`` is not in EPSG:4326.
    LayerError
        If a coordinate is NaN or infinite (JSON has no such number, so the file would not parse).
    """
    crs = require_crs(gdf, f"layer {name}")
    if not is_store_crs(crs):
        raise CRSError(f"layer {name} is in {crs.to_string()}; reproject it to EPSG:4326 before writing.")
    _require_finite(gdf, columns, name)
    geoms = clean_geometry(gdf.geometry)
    lines = []
    for i, (idx, row) in enumerate(gdf.iterrows()):
        props = {c: _value(row[c]) for c in columns}
        feat = {"type": "Feature", "properties": props, "geometry": _geometry(geoms.loc[idx])}
        sep = "," if i < len(gdf) - 1 else ""
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + sep)
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    body = "\n".join(lines)
    return (head + ',"features":[\n' + body + "\n]}\n").encode("utf-8")


def _require_finite(gdf: gpd.GeoDataFrame, columns: Sequence[str], name: str) -> None:
    """Refuse NaN or infinite coordinates: ``json`` would write ``NaN``, which no GeoJSON reader accepts."""
    coords, index = shapely.get_coordinates(np.asarray(gdf.geometry.values), return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        k = int(index[bad][0])
        who = f" ({columns[0]}={gdf[columns[0]].iloc[k]!r})" if columns and columns[0] in gdf.columns else ""
        raise LayerError(
            f"layer {name}: feature #{k}{who} has NaN or infinite coordinates; fix its geometry before writing."
        )


# -- reading ---------------------------------------------------------------------------------------------------------


class NonFinite(float):
    """``NaN``, ``Infinity`` or ``-Infinity`` as written in a file.

    JSON (RFC 8259) has no such numbers, but Python's reader accepts them; keeping the token lets a
    check say "population is NaN" where a plain ``nan`` would pass for a missing value.
    """

    token: str

    def __new__(cls, token: str) -> NonFinite:
        """Make the float the token stands for, remembering the token."""
        obj = super().__new__(cls, float(token))
        obj.token = token
        return obj


class RepeatedKeys(dict[str, Any]):
    """A JSON object that names a key twice: JSON readers disagree on which value wins."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    marked = RepeatedKeys(out)
    marked.repeated = tuple(k for k, n in counts.items() if n > 1)
    return marked


@dataclass(frozen=True)
class FeatureIssue:
    """A feature :func:`read_collection` could not read in full.

    ``kind`` groups issues of one sort (for capping long reports); ``message`` says what is wrong
    and how to fix it, without naming the feature (the caller knows its id).
    """

    index: int
    kind: str
    message: str


@dataclass
class Collection:
    """A FeatureCollection as read: per feature, its properties and its geometry.

    ``properties[k]`` is ``None`` and ``geometries[k]`` is ``None`` where feature ``k`` could not
    be read; ``issues`` says why.  Geometries are 2-D shapely objects in EPSG:4326.
    """

    properties: list[dict[str, Any] | None]
    geometries: npt.NDArray[np.object_]
    issues: list[FeatureIssue] = field(default_factory=list)


_RESTORE = "restore the file or rebuild the layers with `landplan layers build`"
#: How deep positions nest in each geometry type's coordinates.
_GEOMETRY_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}
_GEOJSON_TYPES = frozenset({*_GEOMETRY_DEPTH, "GeometryCollection", "Feature", "FeatureCollection"})


def read_collection(raw: bytes) -> Collection:
    """Read an RFC 7946 FeatureCollection strictly.

    Positions may carry an altitude (RFC 7946 allows it; GDAL then calls the CRS EPSG:4979): layers
    are 2-D, so the altitude is dropped and the data stays EPSG:4326.  A ``crs`` member (GeoJSON 2008)
    is accepted only when it names longitude/latitude on WGS 84.

    Parameters
    ----------
    raw : bytes
        The file's bytes.

    Returns
    -------
    Collection
        Every feature's properties and geometry, with an issue for each feature that is not a
        readable Feature (its properties or geometry are then ``None``).

    Raises
    ------
    LayerError
        If the bytes are not UTF-8 JSON holding a non-empty FeatureCollection in EPSG:4326.  The
        message does not name the file; the caller adds it.
    """
    doc = _parse(raw)
    features = _features(doc)
    props: list[dict[str, Any] | None] = []
    issues: list[FeatureIssue] = []
    for k, feat in enumerate(features):
        p, issue = _feature_properties(feat)
        props.append(p)
        issues.extend(FeatureIssue(k, kind, msg) for kind, msg in issue)
    geoms = None if issues else _all_geometries(features)
    if geoms is None:
        geoms = np.empty(len(features), dtype=object)
        for k, feat in enumerate(features):
            g, problem = _one_geometry(feat.get("geometry") if isinstance(feat, dict) else None)
            geoms[k] = g
            if problem is not None and isinstance(feat, dict) and feat.get("type") == "Feature":
                issues.append(FeatureIssue(k, problem[0], problem[1]))
    if shapely.has_z(geoms).any():
        geoms = shapely.force_2d(geoms)
    return Collection(props, geoms, sorted(issues, key=lambda i: i.index))


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LayerError(f"is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8 GeoJSON.") from None
    try:
        return json.loads(text, parse_constant=NonFinite, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise LayerError(
            f"line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); the file may be truncated or "
            f"damaged: {_RESTORE}."
        ) from None
    except RecursionError:
        raise LayerError(f"nests JSON arrays or objects too deeply to be GeoJSON; {_RESTORE}.") from None


def _json_kind(v: Any) -> str:
    if isinstance(v, dict):
        t = v.get("type")
        return f"a GeoJSON {t}" if isinstance(t, str) and t in _GEOJSON_TYPES else "a JSON object"
    names = {list: "a JSON array", str: "a JSON string", bool: "true or false", type(None): "null"}
    return names.get(type(v), "a JSON number")


def _features(doc: Any) -> list[Any]:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise LayerError(
            f"holds {_json_kind(doc)}, not a GeoJSON FeatureCollection "
            f'({{"type": "FeatureCollection", "features": [...]}}); {_RESTORE}.'
        )
    _check_crs(doc.get("crs"))
    features = doc.get("features")
    if not isinstance(features, list):
        raise LayerError(f"its features member is {_json_kind(features)}, not a list of Features; {_RESTORE}.")
    if not features:
        raise LayerError(f"the collection has no features; a layer needs at least one: {_RESTORE}.")
    return features


def _check_crs(member: Any) -> None:
    """Accept no ``crs`` member (RFC 7946), or one naming WGS 84 longitude/latitude."""
    if member is None:
        return
    props = member.get("properties") if isinstance(member, dict) else None
    name = props.get("name") if isinstance(props, dict) else None
    try:
        crs = CRS.from_user_input(name) if isinstance(name, str) else None
    except ProjCRSError:
        crs = None
    if crs is not None and is_store_crs(crs, ignore_axis_order=True):
        return
    said = repr(name) if isinstance(name, str) else "an unreadable CRS"
    raise LayerError(
        f"declares the coordinate reference system {said}; layers are RFC 7946 GeoJSON in longitude/latitude "
        "(EPSG:4326): reproject the data to EPSG:4326 and drop the crs member."
    )


def _feature_properties(feat: Any) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    if not isinstance(feat, dict) or feat.get("type") != "Feature":
        return None, [("feature", f"is {_json_kind(feat)}, not a GeoJSON Feature; every member of features is one.")]
    props = feat.get("properties")
    issues: list[tuple[str, str]] = []
    if isinstance(feat, RepeatedKeys):
        issues.append(("repeated", f"names {', '.join(map(repr, feat.repeated))} twice; keep one of each."))
    if not isinstance(props, dict):
        what = "no properties" if props is None else f"properties that are {_json_kind(props)}"
        issues.append(("properties", f"has {what}; every feature needs the layer's properties as a JSON object."))
        return None, issues
    for what, obj in (("property", props), ("geometry member", feat.get("geometry"))):
        if isinstance(obj, RepeatedKeys):
            issues.append(("repeated", f"names the {what} {', '.join(map(repr, obj.repeated))} twice; keep one."))
    return props, issues


def _all_geometries(features: list[Any]) -> npt.NDArray[np.object_] | None:
    """Every feature's geometry, built in bulk from the parsed coordinates (the fast path).

    Returns ``None`` as soon as anything is irregular (a null or unknown geometry, ragged or
    non-numeric positions, an open ring, too few positions): :func:`_one_geometry` then reads
    feature by feature and says what is wrong.
    """
    geoms = [f.get("geometry") for f in features]
    groups: dict[str, list[int]] = {}
    for k, g in enumerate(geoms):
        kind = g.get("type") if isinstance(g, dict) else None
        if kind not in _BUILDERS:
            return None
        groups.setdefault(kind, []).append(k)
    out = np.empty(len(geoms), dtype=object)
    try:
        for kind, ks in groups.items():
            built = _BUILDERS[kind]([g["coordinates"] for g in (geoms[k] for k in ks)])
            if built is None:
                return None
            out[ks] = built
    except (KeyError, TypeError, ValueError, shapely.errors.GEOSException):
        return None
    return out


def _objects(geoms: object) -> npt.NDArray[np.object_]:
    """Shapely's vectorised constructors, typed as the object arrays they return."""
    return np.asarray(geoms, dtype=object)


def _array(positions: Any) -> npt.NDArray[np.float64] | None:
    """Positions as an (n, 2|3) float array, or ``None`` if they are not a plain list of numeric positions."""
    a = np.asarray(positions)
    if a.ndim != 2 or a.shape[1] not in (2, 3) or a.dtype.kind not in "if" or not len(a):
        return None
    return a.astype(np.float64, copy=False)


def _points(coords: list[Any]) -> npt.NDArray[np.object_] | None:
    a = _array(coords)
    return None if a is None else _objects(shapely.points(a))


def _linestrings(coords: list[Any]) -> npt.NDArray[np.object_] | None:
    parts = [_array(c) for c in coords]
    if any(a is None or len(a) < 2 for a in parts):
        return None
    arrays = [a for a in parts if a is not None]
    index = np.repeat(np.arange(len(arrays)), [len(a) for a in arrays])
    return _objects(shapely.linestrings(np.concatenate(arrays), indices=index))


def _ring_arrays(polygon: Any) -> list[npt.NDArray[np.float64]] | None:
    """A polygon's rings, each closed and of at least 4 positions (RFC 7946), or ``None``."""
    if not isinstance(polygon, list) or not polygon:
        return None
    rings = [_array(r) for r in polygon]
    ok = all(r is not None and len(r) >= 4 and bool((r[0] == r[-1]).all()) for r in rings)
    return [r for r in rings if r is not None] if ok else None


def _polygons(coords: list[Any], multi: bool = False) -> npt.NDArray[np.object_] | None:
    rings: list[npt.NDArray[np.float64]] = []
    ring_owner: list[int] = []
    poly_owner: list[int] = []
    for j, c in enumerate(coords):
        polys = c if multi else [c]
        if not isinstance(polys, list) or not polys:
            return None
        for p in polys:
            rs = _ring_arrays(p)
            if rs is None:
                return None
            ring_owner += [len(poly_owner)] * len(rs)
            poly_owner.append(j)
            rings += rs
    index = np.repeat(np.arange(len(rings)), [len(r) for r in rings])
    shells_and_holes = _objects(shapely.linearrings(np.concatenate(rings), indices=index))
    polygons = _objects(shapely.polygons(shells_and_holes, indices=np.asarray(ring_owner)))
    return _objects(shapely.multipolygons(polygons, indices=np.asarray(poly_owner))) if multi else polygons


def _multipolygons(coords: list[Any]) -> npt.NDArray[np.object_] | None:
    return _polygons(coords, multi=True)


def _multilinestrings(coords: list[Any]) -> npt.NDArray[np.object_] | None:
    owner: list[int] = []
    parts: list[Any] = []
    for j, c in enumerate(coords):
        if not isinstance(c, list) or not c:
            return None
        parts += c
        owner += [j] * len(c)
    lines = _linestrings(parts)
    return None if lines is None else _objects(shapely.multilinestrings(lines, indices=np.asarray(owner)))


_BUILDERS: dict[str, Callable[[list[Any]], npt.NDArray[np.object_] | None]] = {
    "Point": _points,
    "LineString": _linestrings,
    "MultiLineString": _multilinestrings,
    "Polygon": _polygons,
    "MultiPolygon": _multipolygons,
}


def _one_geometry(obj: Any) -> tuple[Any, tuple[str, str] | None]:
    """One feature's geometry, or ``None`` and an issue saying why it cannot be read."""
    if obj is None:
        return None, ("geometry", "has no geometry; every feature needs a point, line or polygon.")
    problem = _shape_problem(obj, 0)
    if problem is not None:
        return None, ("geometry", problem)
    try:
        return shapely.from_geojson(json.dumps(obj)), None
    except shapely.errors.GEOSException as exc:
        return None, ("geometry", f"has a geometry that cannot be read ({exc}); {_RESTORE}.")


def _shape_problem(obj: Any, depth: int) -> str | None:
    """What makes a geometry object unreadable (positions that are not 2 or 3 finite numbers, ...), if anything."""
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        return f"has a geometry that is {_json_kind(obj)}, not a GeoJSON geometry; {_RESTORE}."
    kind = obj["type"]
    if kind == "GeometryCollection":
        parts = obj.get("geometries")
        if not isinstance(parts, list) or depth > 2:
            return f"has a GeometryCollection without a plain list of geometries; {_RESTORE}."
        return next((p for g in parts if (p := _shape_problem(g, depth + 1))), None)
    if kind not in _GEOMETRY_DEPTH:
        return f"has a geometry of type {kind!r}, which GeoJSON does not define; {_RESTORE}."
    return _positions_problem(obj.get("coordinates"), _GEOMETRY_DEPTH[kind], kind)


def _positions_problem(coords: Any, depth: int, kind: str) -> str | None:
    if depth == 0:
        ok = isinstance(coords, list) and len(coords) in (2, 3)
        nums = ok and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in coords)
        if not nums:
            return (
                f"has a {kind} position {_short(coords)} that is not [longitude, latitude] "
                f"(optionally with an altitude); {_RESTORE}."
            )
        if not all(_finite(v) for v in coords):
            return f"has a NaN or infinite coordinate {_short(coords)}; every coordinate must be a finite number."
        return None
    if not isinstance(coords, list):
        return f"has {kind} coordinates that are {_json_kind(coords)}, not nested lists of positions; {_RESTORE}."
    return next((p for c in coords if (p := _positions_problem(c, depth - 1, kind))), None)


def _finite(v: float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer beyond any float
        return False


def _short(v: Any) -> str:
    text = json.dumps(v) if not isinstance(v, float) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."
