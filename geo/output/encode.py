"""Compact, deterministic encoding of geometry for the browser.

Coordinates are quantised to 1e-5 degree (about 1 m), delta-encoded along one
stream per layer, zig-zag mapped and written as base-128 varints, then base64:
typically 3 to 5 bytes per vertex in the page.  The structure (parts, rings,
vertex counts) travels as a small integer list beside the stream.
``geo/output/static/landplan.js`` decodes it (its ``decode``); :func:`decode` here is the same algorithm, for tests.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from ..errors import LayerError

__all__ = ["SCALE", "Encoded", "decode", "encode_geometries"]

#: Quantisation: coordinates are stored as integers of 1e-5 degree.
SCALE = 100_000

_TYPE = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


@dataclass(frozen=True)
class Encoded:
    """One layer's geometry: structure list and base64 coordinate stream."""

    shape: list[int]
    coords: str
    vertices: int

    def to_json(self) -> dict[str, Any]:
        """The form embedded in the page."""
        return {"shape": self.shape, "coords": self.coords}


def _varints(values: np.ndarray) -> bytes:
    """Zig-zag, then LEB128 varints, vectorised."""
    zz = ((values << 1) ^ (values >> 63)).astype(np.uint64)
    n = np.ones(len(zz), dtype=np.int64)
    for k in range(1, 10):
        n += zz >= np.uint64(1 << (7 * k))
    out = np.empty(int(n.sum()), dtype=np.uint8)
    offsets = np.cumsum(n) - n
    for k in range(int(n.max(initial=0))):
        mask = n > k
        byte = (zz[mask] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (n[mask] > k + 1).astype(np.uint64) << np.uint64(7)
        out[offsets[mask] + k] = (byte | more).astype(np.uint8)
    return out.tobytes()


def _rings(geom: Any) -> list[list[np.ndarray]]:
    """Parts, each a list of coordinate arrays (rings, or one line, or one point)."""
    kind = geom.geom_type
    if kind == "Polygon":
        return [[np.asarray(geom.exterior.coords)] + [np.asarray(r.coords) for r in geom.interiors]]
    if kind in ("LineString", "Point"):
        return [[np.asarray(geom.coords)]]
    return [p for g in geom.geoms for p in _rings(g)]


def _who(layer: str, ids: Sequence[object] | None, k: int) -> str:
    """A feature named for a message: its layer, its id when known, and its position."""
    if ids is not None and k < len(ids):
        return f"{layer}: feature {str(ids[k])!r} (#{k})"
    return f"{layer}: feature #{k}"


def _ring_problem(xy: np.ndarray) -> str | None:
    """Why a ring cannot be quantised (non-finite, or not longitude/latitude), if it cannot."""
    if not np.isfinite(xy).all():
        return "has NaN or infinite coordinates; fix the layer before mapping."
    if len(xy) and (np.abs(xy[:, 0]).max() > 180 or np.abs(xy[:, 1]).max() > 90):
        return (
            "has coordinates that are not longitude/latitude degrees; the map needs EPSG:4326, so reproject "
            "the layer (`landplan layers check` lists every problem)."
        )
    return None


def encode_geometries(geoms: Any, layer: str = "layer", ids: Sequence[object] | None = None) -> Encoded:
    """Encode a sequence of geometries (EPSG:4326) into one layer stream.

    Shape list, per feature: ``type, n_parts, then per part: n_rings, then per ring: n_vertices``.
    Polygon rings drop their closing vertex.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        In longitude/latitude.
    layer : str, optional
        The layer's name, for error messages.
    ids : sequence, optional
        The features' ids, in the order of ``geoms``, for error messages.

    Returns
    -------
    Encoded

    Raises
    ------
    LayerError
        On missing geometry, a type the map cannot draw, non-finite coordinates or coordinates
        outside longitude/latitude (which would quantise to garbage); the message names the layer
        and the feature.
    """
    shape: list[int] = []
    chunks: list[np.ndarray] = []
    for k, g in enumerate(geoms):
        if g is None or g.is_empty:
            who = _who(layer, ids, k)
            raise LayerError(f"{who} has no geometry; every feature on a map needs one.")
        if g.geom_type not in _TYPE:
            who = _who(layer, ids, k)
            raise LayerError(f"{who} is a {g.geom_type}, which the map cannot draw; use points, lines or polygons.")
        parts = _rings(g)
        shape += [_TYPE[g.geom_type], len(parts)]
        for rings in parts:
            shape.append(len(rings))
            for ring in rings:
                xy = ring[:, :2]
                if g.geom_type in ("Polygon", "MultiPolygon") and len(xy) > 1:
                    xy = xy[:-1]
                problem = _ring_problem(xy)
                if problem is not None:
                    raise LayerError(f"{_who(layer, ids, k)} {problem}")
                shape.append(len(xy))
                chunks.append(np.round(xy * SCALE).astype(np.int64))
    flat = np.concatenate(chunks) if chunks else np.zeros((0, 2), dtype=np.int64)
    deltas = np.diff(flat, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).reshape(-1)
    return Encoded(shape, base64.b64encode(_varints(deltas)).decode("ascii"), len(flat))


def _read_varints(raw: bytes) -> list[int]:
    """Inverse of :func:`_varints` (the browser's algorithm, for tests)."""
    vals: list[int] = []
    v = shift = 0
    for byte in raw:
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            vals.append((v >> 1) ^ -(v & 1))
            v = shift = 0
    return vals


def decode(enc: Encoded) -> list[Any]:
    """Decode back to shapely geometries (the browser's algorithm, for tests)."""
    vals = _read_varints(base64.b64decode(enc.coords))
    xy = np.cumsum(np.asarray(vals, dtype=np.int64).reshape(-1, 2), axis=0) / SCALE
    out: list[Any] = []
    i = pos = 0
    s = enc.shape
    while i < len(s):
        kind, nparts = s[i], s[i + 1]
        i += 2
        parts = []
        for _ in range(nparts):
            nrings = s[i]
            i += 1
            rings = []
            for _ in range(nrings):
                n = s[i]
                i += 1
                rings.append(xy[pos : pos + n])
                pos += n
            parts.append(rings)
        if kind in (3, 6):
            polys = [shapely.Polygon(r[0], r[1:]) for r in parts]
            out.append(polys[0] if kind == 3 else shapely.MultiPolygon(polys))
        elif kind in (2, 5):
            lines = [shapely.LineString(r[0]) for r in parts]
            out.append(lines[0] if kind == 2 else shapely.MultiLineString(lines))
        else:
            pts = [shapely.Point(r[0][0]) for r in parts]
            out.append(pts[0] if kind == 1 else shapely.MultiPoint(pts))
    return out
