"""Military geography: Israeli-declared firing zones and the early warning stations of past proposals.

Firing zones are OCHA polygons, clipped to the West Bank and measured in the equal-area CRS of
:mod:`geo.crs`.  Early warning stations are compiled facts (``geo/build/data/early_warning_sites.csv``):
the Clinton Parameters and the Geneva Accord give numbers and regions, not sites, so a station is drawn
only where a cited source publishes a location, and every drawn station is marked schematic.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError
from ..schema import ID_PATTERN, ID_RULE
from . import facts
from .barrier import west_bank_km2, west_bank_metric

__all__ = [
    "EWS_COLUMNS",
    "FIRING_ZONE_COLUMNS",
    "PROPOSALS",
    "WEST_BANK_BOUNDS",
    "build_early_warning_sites",
    "build_firing_zones",
    "hebrew",
]

log = logging.getLogger(__name__)

#: Columns of the ``firing_zones`` layer, in order (plus ``geometry``).
FIRING_ZONE_COLUMNS = ("zone_id", "name", "number", "declared", "area_km2", "share_pct", "source")
#: Columns of the ``early_warning_sites`` layer, in order (plus ``geometry``).
EWS_COLUMNS = ("site_id", "name", "proposal", "description", "schematic", "source")
#: Proposals an early warning site may belong to.
PROPOSALS = ("clinton_2000", "geneva_2003")
#: lon/lat box of the West Bank (OCHA COD-AB admin 1, rounded outwards): a compiled site outside it is a typo.
WEST_BANK_BOUNDS = (34.88, 31.34, 35.58, 32.56)

_FZ_FILE = "ocha-settlements-firing-zones/firing_zones.geojson"
_FZ_SOURCE = (
    "OCHA oPt Israeli firing zones (HDX israelifiringzomes, CC BY 3.0 IGO), clipped to the West Bank; "
    "zone numbers decoded from Windows-1255"
)
_EWS_FILE = "geo/build/data/early_warning_sites.csv"
_EWS_FIELDS = ("site_id", "name", "proposal", "lon", "lat", "description", "schematic", "source")
#: Hebrew letters -> Latin, letter by letter, for ids (``309א'`` -> ``309a``).
_HEBREW_LATIN = dict(
    zip(
        "אבגדהוזחטיכךלמםנןסעפףצץקרשת",
        [
            "a",
            "b",
            "g",
            "d",
            "h",
            "v",
            "z",
            "ch",
            "t",
            "y",
            "k",
            "k",
            "l",
            "m",
            "m",
            "n",
            "n",
            "s",
            "e",
            "p",
            "p",
            "ts",
            "ts",
            "q",
            "r",
            "sh",
            "t",
        ],
        strict=True,
    )
)
#: A signing date as the source writes it: ``YYYY-MM-DD``, optionally with a time of day (read as text).
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def hebrew(text: str) -> str:
    """``text`` with Windows-1255 mojibake undone (``"äá÷òä"`` -> ``"הבקעה"``); other text unchanged.

    The OCHA shapefile's attribute table is Hebrew Windows-1255 read as Latin-1, so zone numbers such
    as ``309א'`` arrive as ``309à'``.  Plain ASCII is the same in both encodings and passes through.

    Parameters
    ----------
    text : str
        A value from the firing-zone source's ``zone_name`` column.

    Returns
    -------
    str
        The Hebrew text when re-decoding yields Hebrew letters, else ``text`` unchanged.
    """
    try:
        fixed = text.encode("latin-1").decode("cp1255")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
    return fixed if any("\u05d0" <= ch <= "\u05ea" for ch in fixed) else text


# -- firing zones ------------------------------------------------------------------------------------------------------


def _declared(value: object, label: str) -> str | None:
    """The signing date as ``YYYY-MM-DD``; the whole value must be a date (``"2005-07-24junk"`` is refused)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return value.strftime("%Y-%m-%d")
    found = _DATE.fullmatch(str(value).strip())
    try:
        if found:
            return date.fromisoformat(found.group(1)).isoformat()
    except ValueError:
        pass
    raise SourceError(
        f"{_FZ_FILE}: {label} has signed_date {value!r}, not a date. Use the unmodified OCHA source "
        "(dates as YYYY-MM-DD)."
    )


def _number(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = hebrew(str(value)).strip()
    return text or None


def _id_base(number: str | None, declared: str | None) -> str:
    if number is None:
        return f"fz-unnumbered-{declared or 'undated'}"
    latin = "".join(_HEBREW_LATIN.get(ch, ch) for ch in number.lower() if ch not in "'\"\u05f3\u05f4")
    return "fz-" + (re.sub(r"[^a-z0-9]+", "-", latin).strip("-") or "x")


def _clip(geom: BaseGeometry, west_bank: BaseGeometry, label: str) -> BaseGeometry:
    """The zone's part inside the West Bank (EPSG:2039); a zone wholly outside it is an error."""
    inside = shapely.intersection(geom, west_bank)
    parts = [g for g in getattr(inside, "geoms", [inside]) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        raise SourceError(f"{_FZ_FILE}: {label} lies outside the West Bank. Check the file's CRS and coordinates.")
    out: BaseGeometry = shapely.union_all(parts)
    return out


def _zone_rows(src: dict[str, gpd.GeoDataFrame], west_bank: BaseGeometry) -> pd.DataFrame:
    zones = src["firing_zones"]
    metric = zones.to_crs(METRIC_CRS).geometry.values
    rows = []
    for pos in range(len(zones)):
        label = f"feature #{pos} (name={zones['name'].iloc[pos]!r})"
        number = _number(zones["zone_name"].iloc[pos])
        declared = _declared(zones["signed_date"].iloc[pos], label)
        geom = _clip(metric[pos], west_bank, label)
        rows.append(
            {
                "_base": _id_base(number, declared),
                "_area": geom.area,
                "_wkb": shapely.to_wkb(geom, hex=True),
                "name": f"Firing zone {number}" if number else "Firing zone (unnumbered)",
                "number": number,
                "declared": declared,
                "geometry": geom,
            }
        )
    return pd.DataFrame(rows)


def _ids(df: pd.DataFrame) -> pd.Series:
    """Zone ids: the number (or ``unnumbered-DATE``), with ``-1``, ``-2``... (largest first) when shared."""
    df = df.sort_values(["_base", "_area", "_wkb"], ascending=[True, False, True], kind="mergesort")
    rank = df.groupby("_base").cumcount() + 1
    size = df.groupby("_base")["_base"].transform("size")
    ids = [b if n == 1 else f"{b}-{k}" for b, n, k in zip(df["_base"], size, rank, strict=True)]
    return pd.Series(ids, index=df.index)


def build_firing_zones(src: dict[str, gpd.GeoDataFrame], territories: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The ``firing_zones`` layer: OCHA's Israeli-declared firing zones in the West Bank.

    About a fifth of the West Bank is closed for military training; a handover plan must know where, and
    how much of it, so each zone carries its area and share of the West Bank.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (key ``firing_zones``; repaired by :func:`geo.build.sources.read`).
    territories : GeoDataFrame
        The built territories layer.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`FIRING_ZONE_COLUMNS`, sorted by ``zone_id``.

    Raises
    ------
    SourceError
        On a date that is not a date, or a zone wholly outside the West Bank.
    """
    west_bank, wb_km2 = west_bank_metric(territories), west_bank_km2(territories)
    df = _zone_rows(src, west_bank)
    df["zone_id"] = _ids(df)
    gdf = gpd.GeoDataFrame(df, geometry="geometry", crs=METRIC_CRS).to_crs(STORE_CRS)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-6)
    gdf["area_km2"] = area_km2(gdf).round(3)
    gdf["share_pct"] = (100 * gdf["area_km2"] / wb_km2).round(2)
    gdf["source"] = _FZ_SOURCE
    gdf = gdf.sort_values("zone_id", kind="mergesort").reset_index(drop=True)
    log.info("firing_zones: %d zones, %.1f km²", len(gdf), gdf["area_km2"].sum())
    return gpd.GeoDataFrame(gdf[list(FIRING_ZONE_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)


# -- early warning sites -----------------------------------------------------------------------------------------------


def _where(n: int, row: dict[str, str]) -> str:
    return f"{_EWS_FILE}: row {n} (site_id={row.get('site_id', '')!r})"


def _coordinate(text: str, axis: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SourceError(
            f"{where}: {axis} {text!r} is not a number. Write decimal degrees (e.g. 31.978611), or leave "
            "lon and lat both empty when no source publishes a location."
        )
    return value


def _site_point(row: dict[str, str], where: str, west_bank: BaseGeometry | None) -> Point | None:
    lon_t, lat_t = row["lon"].strip(), row["lat"].strip()
    if not lon_t and not lat_t:
        return None
    if not lon_t or not lat_t:
        raise SourceError(f"{where}: give both lon and lat, or neither (when no source publishes a location).")
    lon, lat = _coordinate(lon_t, "lon", where), _coordinate(lat_t, "lat", where)
    x0, y0, x1, y1 = WEST_BANK_BOUNDS
    if not (x0 <= lon <= x1 and y0 <= lat <= y1):
        hint = " (lon and lat look swapped)" if x0 <= lat <= x1 and y0 <= lon <= y1 else ""
        raise SourceError(
            f"{where}: ({lon}, {lat}) lies outside the West Bank{hint}. Write lon (about 35.0-35.6) "
            "then lat (about 31.3-32.6) in decimal degrees."
        )
    pt = Point(lon, lat)
    if west_bank is not None and not west_bank.covers(gpd.GeoSeries([pt], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]):
        raise SourceError(f"{where}: ({lon}, {lat}) lies outside the West Bank outline; check the coordinates.")
    return pt


def _site_row(n: int, row: dict[str, str], west_bank: BaseGeometry | None) -> dict[str, object] | None:
    where = _where(n, row)
    sid = row["site_id"].strip()
    if not ID_PATTERN.fullmatch(sid):
        raise SourceError(f"{where}: site_id is not a valid id; {ID_RULE}.")
    for col in ("name", "description", "source"):
        if not row[col].strip():
            raise SourceError(f"{where}: {col} is empty; every row needs a {col} (the source says where it is from).")
    if row["proposal"] not in PROPOSALS:
        raise SourceError(f"{where}: proposal {row['proposal']!r} is not one of {', '.join(PROPOSALS)}.")
    if row["schematic"] not in ("true", "false"):
        raise SourceError(f"{where}: schematic {row['schematic']!r} must be 'true' or 'false'.")
    pt = _site_point(row, where, west_bank)
    if pt is None:
        log.info("early_warning_sites: %s has no published location; not drawn", sid)
        return None
    out: dict[str, object] = {c: row[c].strip() for c in ("site_id", "name", "proposal", "description", "source")}
    out["schematic"] = row["schematic"] == "true"
    out["geometry"] = pt
    return out


def build_early_warning_sites(territories: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The ``early_warning_sites`` layer: Israeli early warning stations in past proposals, where sited.

    The Clinton Parameters (three facilities) and the Geneva Accord (two stations) keep Israeli early
    warning stations inside Palestine; a plan phasing out Israel's presence needs them on the map.  Rows
    of the compiled table without a published location are reported in the log and not drawn: no point
    is ever invented.

    Parameters
    ----------
    territories : GeoDataFrame, optional
        The built territories layer; when given, every site must lie inside the West Bank outline.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, columns :data:`EWS_COLUMNS`, sorted by ``site_id``.

    Raises
    ------
    SourceError
        On a missing column, a bad id, proposal, flag or coordinate, or a duplicate id, naming the row.
    """
    rows = facts.rows("early_warning_sites")
    missing = [c for c in _EWS_FIELDS if rows and c not in rows[0]]
    if not rows or missing:
        raise SourceError(
            f"{_EWS_FILE}: missing column(s) {', '.join(missing) or 'all'}; the table needs {_EWS_FIELDS}."
        )
    west_bank = west_bank_metric(territories) if territories is not None else None
    seen: set[str] = set()
    out = []
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        if row["site_id"].strip() in seen:
            raise SourceError(f"{_where(n, row)}: site_id occurs twice; give each site its own id.")
        seen.add(row["site_id"].strip())
        site = _site_row(n, row, west_bank)
        if site is not None:
            out.append(site)
    gdf = gpd.GeoDataFrame(out, columns=[*EWS_COLUMNS, "geometry"], geometry="geometry", crs=STORE_CRS)
    gdf = gdf.sort_values("site_id", kind="mergesort").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(EWS_COLUMNS)], geometry=gdf.geometry.values, crs=STORE_CRS)
