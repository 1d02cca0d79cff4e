"""The shipped layers: loading and validation.

Layer files travel between people, so nothing uses a layer before it is checked.  Every
:func:`load` and :func:`load_all` validates what it reads, cheaply: the file is strict
GeoJSON, every property has its schema type (no nulls where none are allowed, finite numbers
in range, allowed values, ids free of ``/`` and control characters, unique ids) and every
geometry has the right type, finite coordinates inside the region and is valid.  A layer that
fails raises :class:`~geo.errors.LayerError` naming the file, the feature and the fix.

:func:`check` runs the same checks plus the costly ones (zone coverage, cross-layer
references, published areas, coordinate precision) and reports every problem it finds instead
of stopping at the first, so a broken file is diagnosed in one run.

>>> from geo import layers
>>> zones = layers.load("zones")          # doctest: +SKIP
>>> every = layers.load_all()             # doctest: +SKIP
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from . import workspace as _ws
from .crs import STORE_CRS, area_km2, is_store_crs
from .errors import LayerError
from .geojson import PRECISION, NonFinite, read_collection
from .schema import ID_PATTERN, LAYER_NAMES, MAX_EXACT_INT, SCHEMAS, Column, LayerSchema

__all__ = ["MAX_LINES_PER_KIND", "REGION", "CheckResult", "check", "load", "load_all", "summary", "validate"]

log = logging.getLogger(__name__)

#: lon/lat box every shipped feature must fall in (West Bank, Gaza and the basemap clip).
REGION = (33.9, 29.3, 36.0, 33.6)
#: Published areas (km²) the territories must match within 1 %.
PUBLISHED_KM2 = {"west_bank": 5655.0, "gaza": 365.0}
#: Lines shown per kind of problem (per layer); the rest are counted ("... and N more like it").
MAX_LINES_PER_KIND = 20

#: Control characters layer text may not hold: C0 (NUL cuts text short in C libraries such as GDAL; ESC, CR,
#: BEL... drive terminals), DEL and C1.  Tab and line feed are whitespace, kept (an OCHA name holds a line feed).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_SHAPES = {"Point": "point", "LineString": "line", "MultiLineString": "line", "Polygon": "polygon"}


class _Missing:
    """Stands for a property a feature does not have at all (unlike ``null``, which it has)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


@dataclass(frozen=True)
class _Problem:
    """One problem: ``kind`` groups problems of one sort for capping, ``text`` names the feature and the fix."""

    kind: str
    text: str


@dataclass
class _Layer:
    """One layer as read, before typing: raw property values per column, geometries, and the problems found so far.

    ``where`` prefixes its problem lines (the file's path, or nothing for layers in memory); ``values`` is
    ``None`` when nothing could be read.  Features in ``skip_values`` / ``skip_geometry`` could not be read at
    all, which is already among ``problems``.
    """

    name: str
    where: str | None
    values: dict[str, list[Any]] | None = None
    geoms: npt.NDArray[np.object_] = field(default_factory=lambda: np.empty(0, dtype=object))
    crs: Any = STORE_CRS
    problems: list[_Problem] = field(default_factory=list)
    skip_values: frozenset[int] = frozenset()
    skip_geometry: frozenset[int] = frozenset()


def _layers_dir(where: Path | str | None) -> Path:
    if where is not None and Path(where).name == "layers" and Path(where).is_dir():
        return Path(where)
    return _ws.find(where).layers


# -- reading ---------------------------------------------------------------------------------------------------------


#: Largest layer file read, in bytes (the shipped zones are under 1 MB; locality-level zones stay far below this).
MAX_LAYER_BYTES = 64 * 1024 * 1024


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing what is not a regular file or is too large before reading it.

    A FIFO would block forever and a device such as ``/dev/zero`` would never end, so the file is opened
    non-blocking, checked with ``fstat``, and read no further than the limit.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise LayerError("is not a regular file (a folder, FIFO or device); put the GeoJSON file itself there.")
        if st.st_size > MAX_LAYER_BYTES:
            raise LayerError(
                f"is {st.st_size:,} bytes, over the {MAX_LAYER_BYTES:,}-byte limit; simplify or split the layer."
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(MAX_LAYER_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_LAYER_BYTES:
        raise LayerError(f"is over the {MAX_LAYER_BYTES:,}-byte limit; simplify or split the layer.")
    return data


def _read(name: str, folder: Path) -> _Layer:
    """Read ``folder/name.geojson`` into raw values and geometries; never raises on bad content."""
    path = folder / f"{name}.geojson"
    where = str(path)
    try:
        raw = _read_bytes(path)
    except LayerError as exc:
        return _Layer(name, where, problems=[_Problem("file", str(exc))])
    except FileNotFoundError:
        text = "the file is missing; rebuild the layers with `landplan layers build` or restore it."
        return _Layer(name, where, problems=[_Problem("file", text)])
    except OSError as exc:
        text = f"cannot be read ({exc.strerror or exc}); make it a readable GeoJSON file or restore it."
        return _Layer(name, where, problems=[_Problem("file", text)])
    try:
        coll = read_collection(raw)
    except LayerError as exc:
        return _Layer(name, where, problems=[_Problem("file", str(exc))])
    schema = SCHEMAS[name]
    values, extra = _columns(coll.properties, schema)
    label = _labeller(name, schema.id_column, values[schema.id_column])
    problems = [_Problem(f"read:{i.kind}", f"{label(i.index)}: {i.message}") for i in coll.issues]
    problems += _extra_problems(extra, schema, label)
    unread = frozenset(k for k, p in enumerate(coll.properties) if p is None)
    no_geometry = frozenset(i.index for i in coll.issues if i.kind in ("feature", "geometry"))
    return _Layer(name, where, values, coll.geometries, STORE_CRS, problems, unread, no_geometry)


def _given(name: str, layers: dict[str, gpd.GeoDataFrame]) -> _Layer:
    """A layer already in memory (e.g. a build about to be written), taken apart like a file."""
    if name not in layers:
        return _Layer(name, None, problems=[_Problem("file", f"{name}: the layer is missing.")])
    gdf = layers[name]
    values = {c: gdf[c].tolist() for c in SCHEMAS[name].column_names if c in gdf.columns}
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    return _Layer(name, None, values, geoms, gdf.crs, _frame_problems(gdf, name))


def _columns(
    props: list[dict[str, Any] | None], schema: LayerSchema
) -> tuple[dict[str, list[Any]], dict[str, list[int]]]:
    """Raw values per schema column (``_MISSING`` where a feature lacks one), and the features per unknown key."""
    names = schema.column_names
    keys = set(names)
    if all(p is not None and p.keys() == keys for p in props):  # the usual case, kept fast
        return {c: [p[c] for p in props if p is not None] for c in names}, {}
    values: dict[str, list[Any]] = {c: [] for c in names}
    extra: dict[str, list[int]] = {}
    for k, p in enumerate(props):
        for c in names:
            values[c].append(None if p is None else p.get(c, _MISSING))
        for key in [] if p is None else p.keys() - keys:
            extra.setdefault(key, []).append(k)
    return values, extra


def _extra_problems(extra: dict[str, list[int]], schema: LayerSchema, label: Callable[[int], str]) -> list[_Problem]:
    out = []
    for key, rows in sorted(extra.items()):
        more = f" (and {len(rows) - 1} more features)" if len(rows) > 1 else ""
        out.append(
            _Problem(
                "extra",
                f"{label(rows[0])}{more}: has the property {_show(key)}, which the {schema.name} schema does not "
                f"have; remove it (the properties are {', '.join(schema.column_names)}).",
            )
        )
    return out


def _labeller(name: str, id_column: str, ids: list[Any]) -> Callable[[int], str]:
    """How a feature is named in messages: by its id when that is a clean, unique id, else by position."""
    counts = Counter(v for v in ids if isinstance(v, str))

    def label(k: int) -> str:
        v = ids[k] if k < len(ids) else None
        if isinstance(v, str) and counts[v] == 1 and ID_PATTERN.fullmatch(v):
            return f"{name}[{id_column}={v}]"
        if v is None or v is _MISSING:
            return f"{name}[feature #{k}]"
        return f"{name}[feature #{k}, {id_column}={_show(v)}]"

    return label


def _show(v: Any) -> str:
    """A value for a message: quoted and escaped (control characters never reach the terminal), and short."""
    text = v.token if isinstance(v, NonFinite) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


# -- schema and value checks -------------------------------------------------------------------------------------------


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _expect(col: Column) -> str:
    """What a column takes, in words (the fix part of a message)."""
    if col.kind == "str":
        what = f"one of {sorted(col.allowed)}" if col.allowed else "text"
    elif col.kind == "bool":
        what = "true or false"
    else:
        what = "a whole number" if col.kind == "int" else "a finite number"
        lo = col.minimum if col.minimum is not None and col.minimum > -MAX_EXACT_INT else None
        hi = col.maximum if col.maximum is not None and col.maximum < MAX_EXACT_INT else None
        if lo is not None and hi is not None:
            what += f" from {_fmt(lo)} to {_fmt(hi)}"
        elif lo is not None:
            what += f" >= {_fmt(lo)}"
        elif hi is not None:
            what += f" <= {_fmt(hi)}"
    return what + (" or null" if col.nullable else "")


def _is_null(v: Any) -> bool:
    if v is None or v is pd.NA:
        return True
    return isinstance(v, float | np.floating) and not isinstance(v, NonFinite) and math.isnan(v)


def _value_problem(v: Any, col: Column) -> tuple[str, str] | None:
    """What is wrong with one value of ``col`` (a kind and a message), or ``None``."""
    if v is _MISSING:
        return "missing", f"has no {col.name} property; add it ({_expect(col)})."
    if isinstance(v, NonFinite):
        return "number", f"{col.name} is {v.token}, which is not a number JSON allows; give it {_expect(col)}."
    if _is_null(v):
        return None if col.nullable else ("null", f"{col.name} is null; give it a value ({_expect(col)}).")
    if col.kind == "str":
        return _text_problem(v, col)
    if col.kind == "bool":
        ok = isinstance(v, bool | np.bool_)
        return None if ok else ("type", f"{col.name} is {_show(v)}, not true or false; give it true or false.")
    return _number_problem(v, col)


def _text_problem(v: Any, col: Column) -> tuple[str, str] | None:
    if not isinstance(v, str):
        return "type", f"{col.name} is {_show(v)}, not text; give it {_expect(col)}."
    bad = _CONTROL.search(v)
    if bad is not None and "\ud800" <= bad.group() <= "\udfff":
        return "control", (
            f"{col.name}={_show(v)} holds U+{ord(bad.group()):04X}, half of a surrogate pair that is not text; "
            "write the character itself (the file must be valid UTF-8)."
        )
    if bad is not None:
        return "control", (
            f"{col.name}={_show(v)} holds the control character U+{ord(bad.group()):04X}; remove it "
            "(layer text may hold tabs and line feeds, but no NUL or other control characters)."
        )
    if col.allowed is not None and v not in col.allowed:
        return "allowed", f"{col.name}={_show(v)} is not one of {sorted(col.allowed)}."
    if col.pattern is not None and not col.pattern.fullmatch(v):
        return "pattern", f"{col.name}={_show(v)} is not valid: {col.pattern_rule}."
    return None


def _number_problem(v: Any, col: Column) -> tuple[str, str] | None:
    if isinstance(v, bool | np.bool_) or not isinstance(v, int | float | np.integer | np.floating):
        return "type", f"{col.name} is {_show(v)}, not a number; give it {_expect(col)}."
    try:
        f = float(v)
    except OverflowError:  # an integer beyond any float
        f = math.inf
    if not math.isfinite(f):
        what = "too large" if isinstance(v, int | np.integer) else "not a finite number"
        return "number", f"{col.name}={_show(v)} is {what}; give it {_expect(col)}."
    if col.kind == "int" and not f.is_integer():
        return "whole", f"{col.name}={_show(v)} is not a whole number; give it {_expect(col)}."
    if (col.minimum is not None and f < col.minimum) or (col.maximum is not None and f > col.maximum):
        return "range", f"{col.name}={_show(v)} is out of range; give it {_expect(col)}."
    return None


def _column_clean(values: list[Any], col: Column) -> bool:
    """True when every value of the column is fine (checked in bulk, the usual case); else look value by value."""
    types = set(map(type, values))
    nulls = {type(None)} if col.nullable else set()
    present = [v for v in values if v is not None]
    if col.kind == "bool":
        return types <= {bool} | nulls
    if col.kind == "str":
        return (
            types <= {str} | nulls
            and _CONTROL.search("".join(present)) is None
            and (col.allowed is None or set(present) <= col.allowed)
            and (col.pattern is None or all(col.pattern.fullmatch(v) for v in present))
        )
    if not types <= {int, float} | nulls:
        return False
    try:
        arr = np.asarray(present, dtype=np.float64)
    except OverflowError:
        return False
    return bool(
        np.isfinite(arr).all()
        and (col.kind != "int" or (arr == np.round(arr)).all())
        and (col.minimum is None or (arr >= col.minimum).all())
        and (col.maximum is None or (arr <= col.maximum).all())
    )


def _value_problems(
    values: list[Any], col: Column, label: Callable[[int], str], skip: frozenset[int]
) -> list[_Problem]:
    if not skip and _column_clean(values, col):
        return []
    out = []
    for k, v in enumerate(values):
        found = None if k in skip else _value_problem(v, col)
        if found is not None:
            out.append(_Problem(f"{col.name}:{found[0]}", f"{label(k)}: {found[1]}"))
    return out


def _duplicate_problems(ids: list[Any], name: str, id_column: str) -> list[_Problem]:
    rows: dict[str, list[int]] = {}
    for k, v in enumerate(ids):
        if isinstance(v, str):
            rows.setdefault(v, []).append(k)
    out = []
    for v, ks in rows.items():
        if len(ks) > 1:
            where = ", ".join(f"#{k}" for k in ks[:5]) + (", ..." if len(ks) > 5 else "")
            out.append(
                _Problem(
                    "duplicate",
                    f"{name}: duplicate {id_column} {_show(v)} (features {where}); ids must be unique: "
                    "rename or remove the extra features.",
                )
            )
    return out


def _frame_problems(gdf: gpd.GeoDataFrame, name: str) -> list[_Problem]:
    """Layer-wide problems of a frame in memory: its CRS and its columns."""
    schema = SCHEMAS[name]
    out = []
    if not is_store_crs(gdf.crs):
        out.append(_Problem("crs", f"{name}: CRS is {gdf.crs}, not EPSG:4326; reproject and rebuild."))
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    if cols != list(schema.column_names):
        out.append(
            _Problem("columns", f"{name}: columns {cols} differ from the schema {list(schema.column_names)}; rebuild.")
        )
    return out


# -- geometry checks ---------------------------------------------------------------------------------------------------


def _where(geom: Any) -> str:
    try:
        p = shapely.point_on_surface(geom) if not geom.is_empty else None
    except shapely.errors.GEOSException:
        return ""
    return "" if p is None else f" near ({p.x:.5f}, {p.y:.5f})"


def _region_hint(b: np.ndarray) -> str:
    x0, y0, x1, y1 = (float(v) for v in b)
    rx0, ry0, rx1, ry1 = REGION
    if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
        return "these are not longitude/latitude degrees (projected metres, e.g. EPSG:2039?): reproject to EPSG:4326"
    if ry0 <= x0 and x1 <= ry1 and rx0 <= y0 and y1 <= rx1:
        return "longitude and latitude look swapped: GeoJSON positions are [longitude, latitude]"
    return "check for swapped or projected coordinates, or a stray vertex"


def _geometry_problems(
    geoms: npt.NDArray[np.object_], schema: LayerSchema, label: Callable[[int], str], skip: frozenset[int]
) -> list[_Problem]:
    """Missing or wrong-typed geometry, non-finite coordinates, features outside the region, invalid shapes."""
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    shape = " or a ".join(sorted({_SHAPES.get(t.removeprefix("Multi"), t) for t in schema.geometry}))
    out = [
        _Problem("geometry:missing", f"{label(k)}: has no geometry (null or empty); every feature needs a {shape}.")
        for k in np.flatnonzero(absent).tolist()
        if k not in skip
    ]
    types = np.asarray([None if g is None else g.geom_type for g in geoms], dtype=object)
    for k in np.flatnonzero(~absent & ~np.isin(types, list(schema.geometry))).tolist():
        out.append(
            _Problem(
                "geometry:type",
                f"{label(k)}: geometry is {types[k]}, expected {sorted(schema.geometry)} (a {schema.name} feature "
                f"is a {shape}); fix or remove the feature.",
            )
        )
    coords, index = shapely.get_coordinates(geoms, return_index=True)
    finite = ~absent
    finite[np.unique(index[~np.isfinite(coords).all(axis=1)])] = False
    for k in np.flatnonzero(~absent & ~finite).tolist():
        out.append(
            _Problem(
                "geometry:finite",
                f"{label(k)}: has NaN or infinite coordinates; every coordinate must be a finite longitude/latitude.",
            )
        )
    return out + _placement_problems(geoms, finite, label)


def _placement_problems(geoms: np.ndarray, finite: np.ndarray, label: Callable[[int], str]) -> list[_Problem]:
    """Features outside the region, and invalid shapes (with reason and location)."""
    out = []
    b = shapely.bounds(geoms)
    rx0, ry0, rx1, ry1 = REGION
    with np.errstate(invalid="ignore"):
        outside = finite & ((b[:, 0] < rx0) | (b[:, 1] < ry0) | (b[:, 2] > rx1) | (b[:, 3] > ry1))
    for k in np.flatnonzero(outside).tolist():
        x0, y0, x1, y1 = b[k]
        out.append(
            _Problem(
                "geometry:region",
                f"{label(k)}: bounds ({x0:.6g}, {y0:.6g}, {x1:.6g}, {y1:.6g}) leave the region {REGION}; "
                f"{_region_hint(b[k])}.",
            )
        )
    idx = np.flatnonzero(finite & ~outside)  # far-off coordinates overflow GEOS's validity arithmetic
    for k in idx[~shapely.is_valid(geoms[idx])].tolist():
        g = geoms[k]
        out.append(
            _Problem(
                "geometry:invalid",
                f"{label(k)}: invalid geometry ({shapely.is_valid_reason(g)}){_where(g)}; repair it "
                "(e.g. QGIS 'Fix geometries') or rebuild the layers.",
            )
        )
    return out


def _precision_problems(geoms: npt.NDArray[np.object_], name: str) -> list[_Problem]:
    coords = shapely.get_coordinates(geoms)
    coords = coords[np.isfinite(coords).all(axis=1) & (np.abs(coords) <= 180).all(axis=1)]
    if not len(coords):
        return []
    scaled = coords * 10**PRECISION
    if np.abs(scaled - np.round(scaled)).max() > 1e-3:
        return [_Problem("precision", f"{name}: coordinates carry more than {PRECISION} decimals; rebuild the layers.")]
    return []


# -- one layer ---------------------------------------------------------------------------------------------------------


def _problems(layer: _Layer, strict: bool) -> list[_Problem]:
    """Every problem of a layer; ``strict`` adds the storage-form check (coordinate precision)."""
    values = layer.values
    if values is None:
        return list(layer.problems)
    name = layer.name
    schema = SCHEMAS[name]
    ids = values.get(schema.id_column, [None] * len(layer.geoms))
    label = _labeller(name, schema.id_column, ids)
    out = layer.problems + _duplicate_problems(ids, name, schema.id_column)
    for col in schema.columns:
        if col.name in values:
            out += _value_problems(values[col.name], col, label, layer.skip_values)
    out += _geometry_problems(layer.geoms, schema, label, layer.skip_geometry)
    if strict and not any(p.kind.startswith("geometry") for p in out):
        out += _precision_problems(layer.geoms, name)
    return out


def _typed_column(values: list[Any], col: Column, sanitise: bool) -> Any:
    """A column in its schema type (nullable ints as ``Int64``); ``sanitise`` first drops values that break it."""
    if sanitise:
        values = [None if _is_null(v) or _value_problem(v, col) is not None else v for v in values]
    s = pd.Series(values, dtype=object)
    if col.kind == "int":
        return pd.to_numeric(s, errors="coerce").astype("Int64")
    if col.kind == "float":
        return pd.to_numeric(s, errors="coerce").astype("float64")
    return s.astype("boolean" if col.kind == "bool" else "string")


def _typed(layer: _Layer, sanitise: bool = False) -> gpd.GeoDataFrame:
    """The layer as a GeoDataFrame with the schema's column types, in the schema's column order."""
    values = layer.values or {}
    absent = [None] * len(layer.geoms)  # a column missing from a frame in memory (reported as a problem)
    cols = {c.name: _typed_column(values.get(c.name, absent), c, sanitise) for c in SCHEMAS[layer.name].columns}
    return gpd.GeoDataFrame(cols, geometry=gpd.GeoSeries(layer.geoms, crs=layer.crs), crs=layer.crs)


def _lines(where: str | None, problems: Iterable[_Problem], limit: int = MAX_LINES_PER_KIND) -> list[str]:
    """Problem lines, each prefixed with ``where``; past ``limit`` lines of one kind, a count instead."""
    problems = list(problems)
    prefix = f"{where}: " if where else ""
    total = Counter(p.kind for p in problems)
    shown: Counter[str] = Counter()
    out = []
    for p in problems:
        shown[p.kind] += 1
        if shown[p.kind] <= limit:
            out.append(prefix + p.text)
        if shown[p.kind] == limit and total[p.kind] > limit:
            out.append(f"{prefix}... and {total[p.kind] - limit} more like the line above ({p.kind})")
    return out


def _load_checked(name: str, folder: Path) -> tuple[_Layer, list[_Problem]]:
    layer = _read(name, folder)
    return layer, _problems(layer, strict=False)


def _raise(failures: list[tuple[_Layer, list[_Problem]]]) -> None:
    lines = [line for layer, problems in failures for line in _lines(layer.where, problems)]
    if lines:
        raise LayerError("\n".join(lines))


def load(name: str, where: Path | str | None = None) -> gpd.GeoDataFrame:
    """Load one shipped layer, validated.

    Parameters
    ----------
    name : str
        Layer name, one of ``geo.schema.LAYER_NAMES`` (e.g. ``"zones"``).
    where : path, optional
        A workspace or its ``layers/`` folder (default: the workspace at or above the current directory).

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326 with the schema's column types (nullable ints as ``Int64``).

    Raises
    ------
    LayerError
        If ``name`` is unknown, or the file is missing, unreadable, not GeoJSON, or breaks its schema
        (types, nulls, ranges, ids, geometry type, validity, region).  One line per problem, each naming
        the file, the feature and the fix.
    """
    if name not in SCHEMAS:
        raise LayerError(f"unknown layer {name!r}; the layers are: {', '.join(LAYER_NAMES)}.")
    layer, problems = _load_checked(name, _layers_dir(where))
    _raise([(layer, problems)])
    return _typed(layer)


def load_all(where: Path | str | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Load every shipped layer (see :func:`load`), keyed by name, and check their references to zones.

    Every command calls this before it uses a layer, so it runs only the cheap checks; the costly ones
    (zone coverage, published areas) are left to :func:`check`.

    Parameters
    ----------
    where : path, optional
        A workspace or its ``layers/`` folder (default: the workspace at or above the current directory).

    Returns
    -------
    dict of GeoDataFrame
        Keyed by layer name, in the order of ``geo.schema.LAYER_NAMES``.

    Raises
    ------
    LayerError
        With the problems of every layer that fails, not only the first, each line naming the file,
        the feature and the fix.
    """
    folder = _layers_dir(where)
    checked = [_load_checked(name, folder) for name in LAYER_NAMES]
    _raise([(layer, problems) for layer, problems in checked if problems])
    typed = {layer.name: _typed(layer) for layer, _ in checked}
    files = {layer.name: layer.where for layer, _ in checked}
    refs = _reference_problems(typed)
    _raise([(_Layer(n, files[n], None), [p]) for n, p in refs])
    return typed


def validate(gdf: gpd.GeoDataFrame, name: str) -> list[str]:
    """Check one layer against its schema; return the problems found (empty when clean).

    Checks: CRS, columns and their order, value types, nulls, finite numbers, ranges, allowed values,
    id patterns, unique ids, geometry types, finite coordinates, validity (with reason and location),
    the region's bounds and the coordinate precision.

    Parameters
    ----------
    gdf : GeoDataFrame
        The layer.
    name : str
        Its name in :data:`geo.schema.SCHEMAS`.

    Returns
    -------
    list of str
        One line per problem, each naming the feature and saying how to fix it.
    """
    return [p.text for p in _problems(_given(name, {name: gdf}), strict=True)]


# -- across layers -----------------------------------------------------------------------------------------------------


def _coverage_problems(zones: gpd.GeoDataFrame, territories: gpd.GeoDataFrame) -> list[_Problem]:
    problems = []
    geoms = zones.geometry.values
    valid = bool(shapely.coverage_is_valid(geoms))
    if not valid:
        edges = shapely.coverage_invalid_edges(geoms)
        for zid, e in zip(zones["zone_id"], edges, strict=True):
            if e is not None and not e.is_empty:
                text = f"zones[zone_id={zid}]: overlaps or misaligned edges with a neighbour{_where(e)}."
                problems.append(_Problem("coverage:edges", text))
    union = shapely.coverage_union_all(geoms) if valid else shapely.union_all(geoms)
    terr = shapely.union_all(territories.geometry.values)
    gap = gpd.GeoSeries([terr.difference(union)], crs=STORE_CRS)
    extra = gpd.GeoSeries([union.difference(terr)], crs=STORE_CRS)
    for what, s in (("gap (territory not covered by any zone)", gap), ("zones outside the territories", extra)):
        a = float(area_km2(s).iloc[0])
        if a > 0.01:
            text = f"zones: {what} of {a:.3f} km²{_where(s.iloc[0])}; rebuild the layers."
            problems.append(_Problem("coverage:area", text))
    return problems


#: Columns that name features of another layer: (layer, column, layer named, its id column).
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("crossings", "zone_id", "zones", "zone_id"),
    ("obstacles", "zone_id", "zones", "zone_id"),
    ("settlements", "zone_id", "zones", "zone_id"),
    ("localities", "zone_id", "zones", "zone_id"),
    ("localities", "counted_with", "localities", "locality_id"),
    ("zones", "region", "regions", "region_id"),
    ("settlement_areas", "settlement_id", "settlements", "settlement_id"),
    ("barrier", "segment_id", "barrier", "feature_id"),
    ("barrier", "zone_id", "zones", "zone_id"),
    ("seam_zone", "zone_id", "zones", "zone_id"),
    ("links", "from_crossing", "crossings", "crossing_id"),
    ("links", "to_crossing", "crossings", "crossing_id"),
)


def _reference_problems(
    layers: dict[str, gpd.GeoDataFrame], ids_as_written: dict[str, set[str]] | None = None
) -> list[tuple[str, _Problem]]:
    """Features naming a feature of another layer that the layer does not have (cheap: set membership).

    ``ids_as_written`` are each target layer's ids as written (also those reported as invalid), so a bad id is
    reported once, in its own layer, and not again in every feature that names it.
    """
    out: list[tuple[str, _Problem]] = []
    for name, column, target, target_id in REFERENCES:
        if name not in layers or target not in layers or column not in layers[name].columns:
            continue
        if ids_as_written is not None and target in ids_as_written:
            known = ids_as_written[target]
        elif target_id in layers[target].columns:
            known = set(layers[target][target_id].dropna())
        else:
            continue
        out += [(name, p) for p in _dangling(layers[name], name, column, known, target)]
    return out


def _dangling(frame: gpd.GeoDataFrame, name: str, column: str, known: set[Any], target: str) -> list[_Problem]:
    refs = frame[column]
    id_col = SCHEMAS[name].id_column
    ids = list(frame[id_col]) if id_col in frame.columns else [None] * len(frame)
    label = _labeller(name, id_col, ids)
    return [
        _Problem(
            "reference",
            f"{label(int(pos))}: {column} {_show(refs.iloc[pos])} is not in {target}; "
            f"use an id of {target}.geojson or rebuild the layers.",
        )
        for pos in (refs.notna() & ~refs.isin(known)).to_numpy().nonzero()[0]
    ]


def _area_problems(territories: gpd.GeoDataFrame) -> list[_Problem]:
    out = []
    terr = territories.dropna(subset=["territory_id"]).drop_duplicates("territory_id").set_index("territory_id")
    for tid, published in PUBLISHED_KM2.items():
        if tid in terr.index and pd.notna(terr.loc[tid, "area_km2"]):
            a = float(terr.loc[tid, "area_km2"])
            if abs(a - published) / published > 0.01:
                text = f"territories[{tid}]: area {a:.1f} km² is more than 1% from the published {published:.0f} km²."
                out.append(_Problem("published", text))
    return out


def _costly_problems(
    typed: dict[str, gpd.GeoDataFrame], geometry_ok: set[str], ids_as_written: dict[str, set[str]] | None
) -> list[tuple[str, _Problem]]:
    """Coverage, references and published areas, each skipped (with a note) when a layer it needs is unusable."""
    out: list[tuple[str, _Problem]] = []
    if {"zones", "territories"} <= geometry_ok:
        out += [("zones", p) for p in _coverage_problems(typed["zones"], typed["territories"])]
    else:
        note = (
            "skipped the coverage check (gaps and overlaps of zones against territories): zones or territories "
            "could not be read or have geometry problems; fix those and check again."
        )
        out.append(("zones", _Problem("skipped", note)))
    for target in dict.fromkeys(t for _, _, t, _ in REFERENCES):
        if target not in typed:
            naming = sorted({f"{name}.{col}" for name, col, t, _ in REFERENCES if t == target})
            note = f"skipped the check that {', '.join(naming)} name existing {target}: {target} is unreadable."
            out.append((target, _Problem("skipped", note)))
    out += _reference_problems(typed, ids_as_written)
    if "territories" in typed:
        out += [("territories", p) for p in _area_problems(typed["territories"])]
    return out


# -- summary and check -------------------------------------------------------------------------------------------------


def summary(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """A table with one row per layer: features, geometry types, area, population.

    Features with missing geometry or coordinates that are not longitude/latitude are left out
    of the area, so a summary of a broken layer still prints.

    Parameters
    ----------
    layers : dict of GeoDataFrame
        As returned by :func:`load_all`.

    Returns
    -------
    pandas.DataFrame
    """
    rows = []
    for name, gdf in layers.items():
        b = shapely.bounds(np.asarray(gdf.geometry.values, dtype=object))
        with np.errstate(invalid="ignore"):
            lonlat = np.isfinite(b).all(axis=1) & (np.abs(b[:, [0, 2]]) <= 180).all(axis=1)
            lonlat &= (np.abs(b[:, [1, 3]]) <= 90).all(axis=1)
        poly = gdf.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy() & lonlat
        measurable = poly.any() and SCHEMAS[name].polygonal and gdf.crs is not None
        area = float(area_km2(gdf[poly]).sum()) if measurable else np.nan
        pop = None
        if "population" in gdf.columns:
            pop = int(pd.to_numeric(gdf["population"], errors="coerce").fillna(0).sum())
        rows.append(
            {
                "layer": name,
                "features": len(gdf),
                "geometry": ",".join(sorted(gdf.geom_type.dropna().unique())),
                "area_km2": None if np.isnan(area) else round(area, 1),
                "population": pop,
            }
        )
    table = pd.DataFrame(rows)
    if "population" in table.columns:
        table["population"] = table["population"].astype("Int64")
    return table


@dataclass
class CheckResult:
    """Outcome of :func:`check`.

    ``problems`` holds the lines to show (at most :data:`MAX_LINES_PER_KIND` per kind of problem and layer,
    then a count); ``total`` is the number of problems found.
    """

    problems: list[str] = field(default_factory=list)
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    details: dict[str, pd.DataFrame] = field(default_factory=dict)
    total: int = 0

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems


def _details(typed: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.DataFrame]:
    cols = {"oslo_areas": ["oslo_class", "area_km2", "share_pct"], "territories": ["territory_id", "area_km2"]}
    return {name: typed[name][c].reset_index(drop=True) for name, c in cols.items() if name in typed}


def check(where: Path | str | None = None, layers: dict[str, gpd.GeoDataFrame] | None = None) -> CheckResult:
    """Validate every shipped layer and summarise them, reporting every problem (never raising on bad data).

    Beyond what :func:`load` checks: zone coverage (no gap, no overlap), references to zones, the
    territories' published areas and the coordinate precision.  A check that needs a layer that could
    not be read is skipped with a note.

    Parameters
    ----------
    where : path, optional
        A workspace or its ``layers/`` folder.
    layers : dict of GeoDataFrame, optional
        Layers already in memory (e.g. a build about to be written) instead of files.

    Returns
    -------
    CheckResult
        Problems (empty when clean), the summary table and per-layer details.
    """
    if layers is None:
        folder = _layers_dir(where)
        read = {name: _read(name, folder) for name in LAYER_NAMES}
    else:
        read = {name: _given(name, layers) for name in LAYER_NAMES}
    lines: list[str] = []
    total = 0
    typed: dict[str, gpd.GeoDataFrame] = {}
    geometry_ok: set[str] = set()
    for name, layer in read.items():
        found = _problems(layer, strict=True)
        total += len(found)
        lines += _lines(layer.where, found)
        if layer.values is not None:
            typed[name] = _typed(layer, sanitise=bool(found))
            if not any(p.kind.startswith(("geometry", "read", "crs")) for p in found):
                geometry_ok.add(name)
    costly: dict[str, list[_Problem]] = {}
    written = {
        target: {v for v in (read[target].values or {}).get(SCHEMAS[target].id_column, []) if isinstance(v, str)}
        for target in {t for _, _, t, _ in REFERENCES}
    }
    for name, p in _costly_problems(typed, geometry_ok, written):
        total += p.kind != "skipped"
        costly.setdefault(name, []).append(p)
    for name, found in costly.items():
        lines += _lines(read[name].where, found)
    return CheckResult(lines, summary(typed), _details(typed), total)
