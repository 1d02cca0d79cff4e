"""Palestinian localities: where people live, counted by the PCBS 2017 census and projected to a base year.

The layer starts from the OCHA oPt community points (893 localities, PCBS 2017 census population as text) and
repairs what that file gets wrong or leaves out, each repair cited in a compiled table in ``geo/build/data``:

- ``locality_additions.csv``: rows the source lacks or that a zone needs of its own (the three Deir al-Balah towns
  beside their camps, the Palestinian population of Jerusalem's Old City and of Hebron H2);
- ``locality_corrections.csv``: source rows whose figure is wrong or double counted (Tulkarm city, which the census
  counts with Dhinnaba; Hebron city, whose census figure also covers H2; the Old City's older figure);
- ``pcbs_growth.csv``: PCBS governorate populations at the 2017 census and at the base year, for the projection.

Planning zones take their population as the sum of their localities (:func:`population_by_zone`), so a zone is
credited with the people who live in it rather than an area share of its governorate.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ..crs import STORE_CRS
from ..errors import SourceError
from . import facts
from .boundaries import slug
from .sites import assign_zones
from .sources import REGION_BOUNDS

__all__ = [
    "COLUMNS",
    "TYPES",
    "LocalityTables",
    "build_localities",
    "growth_factors",
    "population_2017_by_zone",
    "population_by_zone",
    "read_tables",
]

log = logging.getLogger(__name__)

#: The layer's columns, in order (plus ``geometry``).
COLUMNS = (
    "locality_id",
    "pcode",
    "name",
    "name_ar",
    "type",
    "governorate",
    "territory",
    "zone_id",
    "population_2017",
    "population_2017_source",
    "counted_with",
    "population",
    "population_year",
    "source",
)
#: Locality types, and OCHA's ``Urban_Rurl`` classes mapped onto them.
TYPES = ("city", "town", "village", "camp", "bedouin_herding")
_URBAN_RURAL = {
    "urban": "city",
    "semi-urban": "town",
    "rural": "village",
    "camp": "camp",
    "herder/bedouin": "bedouin_herding",
}
#: Where OCHA gives no class, PCBS's urban threshold decides: 10,000 people or more is a city, 4,000 a town.
_CITY_MIN, _TOWN_MIN = 10_000, 4_000
#: OCHA numbered the communities missing from the PCBS list 99xxxx; real PCBS codes stop at 75xxxx (Rafah).
_OCHA_CODE_MIN = 990_000
#: How far outside every zone a point may lie before it is a coordinate error (km).
_ZONE_TOLERANCE_KM = 1.0

_PATH = "ocha-palestinian-communities/palestinian_communities_pop2017.geojson"
_ADDITIONS = "geo/build/data/locality_additions.csv"
_CORRECTIONS = "geo/build/data/locality_corrections.csv"
_GROWTH = "geo/build/data/pcbs_growth.csv"
_OCHA = "OCHA oPt, Palestinian Communities in the West Bank and the Gaza Strip (HDX, 2019)"
_REFERENCE = re.compile(r"^\s*(?:part of|with|wit)\s+(.+?)\s*(?:,.*)?$", re.IGNORECASE)
#: Shortest name key matched as the start of a longer name.
_PREFIX_MIN = 6
_NO_FIGURE = frozenset({"", "na", "n/a", "none", "nan"})
#: A whole number written in ASCII digits (``str.isdigit`` also accepts "4²", which ``int`` refuses).
_DIGITS = re.compile(r"[0-9]+")
#: The growth table's levels and territories.
_LEVELS = ("territory", "governorate")
_TERRITORIES = ("west_bank", "gaza")

#: One locality while it is built: the layer's columns plus working keys that start with ``_``.
Row = dict[str, Any]


@dataclass(frozen=True)
class LocalityTables:
    """The compiled fact tables the layer reads (see the module docstring); rows as read by :func:`facts.read`."""

    additions: list[dict[str, str]]
    corrections: list[dict[str, str]]
    growth: list[dict[str, str]]


def read_tables() -> LocalityTables:
    """Read the shipped fact tables ``locality_additions``, ``locality_corrections`` and ``pcbs_growth``.

    Returns
    -------
    LocalityTables
    """
    return LocalityTables(
        facts.read("locality_additions"), facts.read("locality_corrections"), facts.read("pcbs_growth")
    )


# --------------------------------------------------------------------------------------------------------------
# growth to the base year


def _int_cell(value: str, where: str, column: str) -> int | None:
    text = (value or "").replace(",", "").strip()
    if not text:
        return None
    if not _DIGITS.fullmatch(text):
        raise SourceError(f"{where}: {column} {value!r} is not a whole number. Write digits only, or leave it empty.")
    return int(text)


def _growth_row(row: Mapping[str, str], n: int) -> tuple[str, int | None, int | None, int | None]:
    where = f"{_GROWTH}: row {n} ({row.get('area', '')!r})"
    if not (row.get("area") or "").strip():
        raise SourceError(f"{where}: no area. Name the COD-AB governorate or the territory.")
    if not (row.get("census_2017_source") or "").strip() or not (row.get("base_source") or "").strip():
        raise SourceError(f"{where}: a figure without its source. Fill census_2017_source and base_source.")
    census = _int_cell(row.get("census_2017", ""), where, "census_2017")
    base = _int_cell(row.get("population_base", ""), where, "population_base")
    year = _int_cell(row.get("base_year", ""), where, "base_year")
    if base is not None and year is None:
        raise SourceError(f"{where}: population_base without base_year. Give the year of the estimate.")
    if census == 0 or base == 0:
        raise SourceError(
            f"{where}: a population of 0. Give the published count, or leave the cell empty to use the territory's "
            "factor."
        )
    level, territory = (row.get("level") or "").strip(), (row.get("territory") or "").strip()
    if level not in _LEVELS:
        raise SourceError(f"{where}: level {row.get('level')!r} is not one of {', '.join(_LEVELS)}. Fix the level.")
    if territory not in _TERRITORIES:
        raise SourceError(
            f"{where}: territory {row.get('territory')!r} is not one of {', '.join(_TERRITORIES)}. Fix the territory."
        )
    return row["area"].strip(), census, base, year


def growth_factors(rows: Iterable[Mapping[str, str]], governorates: Iterable[str]) -> tuple[dict[str, float], int]:
    """Growth from the 2017 census to the base year, per governorate.

    The factor is the PCBS estimate for the base year over the 2017 census count of the same area, so a
    governorate's localities, if they add up to its census count, add up to PCBS's estimate after projection.
    A governorate without both figures verified falls back to its territory's factor (the table says which).

    Parameters
    ----------
    rows : iterable of mapping
        Rows of ``pcbs_growth.csv``: ``area``, ``level`` (``governorate`` or ``territory``), ``territory``
        (``west_bank`` or ``gaza``), ``census_2017``, ``population_base``, ``base_year`` and their sources.
    governorates : iterable of str
        The COD-AB governorate names that need a factor.

    Returns
    -------
    tuple of (dict of str to float, int)
        The factor per governorate and the base year.

    Raises
    ------
    SourceError
        On a malformed row, mixed base years, a territory without both figures, or a governorate with no row.
    """
    own: dict[str, float] = {}
    territory_of: dict[str, str] = {}
    years: set[int] = set()
    for n, row in enumerate(rows, start=2):
        area, census, base, year = _growth_row(row, n)
        if year is not None:
            years.add(year)
        level, territory = row["level"].strip(), row["territory"].strip()
        if level == "territory":
            if census is None or base is None:
                raise SourceError(
                    f"{_GROWTH}: row {n} ({area!r}): a territory needs both census_2017 and a base figure."
                )
            own[territory] = base / census
        else:
            territory_of[area] = territory
            if census is not None and base is not None:
                own[area] = base / census
    if len(years) != 1:
        raise SourceError(f"{_GROWTH}: base years {sorted(years)}; every estimate must be for one base year.")
    factors: dict[str, float] = {}
    for gov in sorted(set(governorates)):
        if gov not in territory_of:
            raise SourceError(f"{_GROWTH}: no row for governorate {gov!r}. Add one (figures may be left empty).")
        fallback = own.get(territory_of[gov])
        if gov not in own and fallback is None:
            raise SourceError(
                f"{_GROWTH}: governorate {gov!r} names territory {territory_of[gov]!r}, which has no row."
            )
        factors[gov] = own.get(gov, fallback or 0.0)
    return factors, years.pop()


# --------------------------------------------------------------------------------------------------------------
# the OCHA source rows


def _name_key(text: str) -> str:
    """Spelling-insensitive key of a transliterated name (``"'Arab al Jahalin"`` -> ``"arab al jahalin"``)."""
    text = text.lower().replace("j. ", "jabal ")
    text = re.sub(r"[’'`ʻ]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def _plain_arabic(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else " ".join(str(value).split())


def _identity(code: int, name: str) -> tuple[str, str | None]:
    """The locality id and the PCBS code (6 digits; the source drops the leading 0 of Jenin and Tubas codes)."""
    if code == 0:
        return f"ocha-{slug(name)}", None
    if code >= _OCHA_CODE_MIN:
        return f"ocha-{code}", None
    return f"pcbs-{code:06d}", f"{code:06d}"


def _parse_population(raw: object, label: str) -> tuple[int | None, str | None]:
    """The census figure and, for a ``with X`` note, the name X."""
    text = _text(raw)
    if _DIGITS.fullmatch(text):
        return int(text), None
    if text.lower() in _NO_FIGURE:
        return None, None
    match = _REFERENCE.match(text)
    if match:
        return None, match.group(1)
    raise SourceError(
        f"{_PATH}: {label} has population {text!r}, which is neither a number, 'NA' nor 'with <locality>'. "
        f"Use an unmodified copy of the source, or correct the row in {_CORRECTIONS}."
    )


def _figure_source(pop_source: str, figure: int | None) -> str:
    if figure is None:
        return "none: the source gives no figure"
    low = pop_source.lower()
    year = re.search(r"JIIS\s*(\d{4})", pop_source, re.IGNORECASE)
    if year:
        return f"JIIS {year.group(1)} (East Jerusalem)"
    if "2007" in low:
        return "PCBS census 2007 (no 2017 figure in the source)"
    if "vpp" in low:
        return "OCHA Vulnerability Profile Project (no census figure in the source)"
    return "PCBS census 2017"


def _ocha_type(urban_rural: str, name: str, name_ar: str, ocha_code: bool, figure: int | None) -> str:
    """Locality type: OCHA's class where given, else a camp by name, an OCHA-made code, or PCBS's size rule."""
    mapped = _URBAN_RURAL.get(urban_rural.lower())
    if mapped:
        return mapped
    if re.search(r"\bcamp\b", name, re.IGNORECASE) or "مخيم" in _plain_arabic(name_ar):
        return "camp"
    if ocha_code or re.search(r"bedouin|herder", name, re.IGNORECASE):
        return "bedouin_herding"
    people = figure or 0
    return "city" if people >= _CITY_MIN else "town" if people >= _TOWN_MIN else "village"


def _code(value: object, label: str, column: str) -> int:
    """A code column (``PCODE``, ``GovID``) as an int; a null, fractional, negative or infinite code is refused."""
    try:
        number = float(str(value).strip())
    except (OverflowError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number >= 0 and number.is_integer()):
        raise SourceError(
            f"{_PATH}: {label} has {column} {value!r}, which is not a whole number >= 0. "
            "Use an unmodified copy of the source."
        )
    return int(number)


def _source_row(r: Mapping[str, Any], label: str) -> Row:
    code = _code(r["PCODE"], label, "PCODE")
    name = _text(r["PCBS_NAME"])
    if not name:
        raise SourceError(
            f"{_PATH}: {label} has no PCBS_NAME; a locality needs a name. Use an unmodified copy of the source."
        )
    name_ar = _text(r["NAME_ARB"])
    pop_source = _text(r["Pop_Source"])
    figure, ref = _parse_population(r["pop2017"], label)
    if figure is None and ref is None:
        match = _REFERENCE.match(pop_source)
        ref = match.group(1) if match else None
    lid, pcode = _identity(code, name)
    note = f"; population note in the source: {pop_source}" if pop_source else ""
    return {
        "locality_id": lid,
        "pcode": pcode,
        "name": name,
        "name_ar": name_ar or None,
        "type": _ocha_type(_text(r["Urban_Rurl"]), name, name_ar, pcode is None and code != 0, figure),
        "population_2017": figure,
        "population_2017_source": _figure_source(pop_source, figure),
        "counted_with": None,
        "source": f"{_OCHA}, PCODE {code}{note}",
        "zone_id": None,
        "geometry": r["geometry"],
        "_ref": ref,
        "_gov_code": _code(r["GovID"], label, "GovID"),
        "_key": _name_key(name),
        "_label": f"{_PATH}: {label}",
    }


def _source_rows(communities: gpd.GeoDataFrame) -> list[Row]:
    records: list[dict[str, Any]] = communities.to_dict("records")
    return [
        _source_row(r, f"feature #{pos} (PCODE={r['PCODE']!r}, {_text(r['PCBS_NAME'])!r})")
        for pos, r in enumerate(records)
    ]


def _merge_figure(first: Row, row: Row) -> None:
    """Keep one figure for two points with the same id: equal figures or one missing merge; two figures do not."""
    mine, theirs = first["population_2017"], row["population_2017"]
    if mine is not None and theirs is not None and mine != theirs:
        raise SourceError(
            f"{row['_label']} has the id {first['locality_id']} of {first['_label']}, with population {theirs} "
            f"against {mine}. Say which figure holds: add a row to {_CORRECTIONS} (a figure for one, counted_with "
            "for the other), or use an unmodified copy of the source."
        )
    if mine is None and theirs is not None:
        first["population_2017"], first["population_2017_source"] = theirs, row["population_2017_source"]
        first["_ref"] = None


def _split_duplicates(rows: list[Row]) -> list[Row]:
    """A code listed twice (502778 Al Baqa'a, same figure) keeps one figure; the other point is counted with it.

    The same holds for two code-0 rows of one name (the same ``ocha-<name>`` id). Two different figures under one id
    are refused, since keeping either would drop people silently.
    """
    rows = sorted(rows, key=lambda r: (r["locality_id"], r["geometry"].x, r["geometry"].y))
    firsts: dict[str, Row] = {}
    seen: dict[str, int] = {}
    for row in rows:
        first = row["locality_id"]
        seen[first] = seen.get(first, 0) + 1
        if seen[first] == 1:
            firsts[first] = row
            continue
        _merge_figure(firsts[first], row)
        row["locality_id"] = f"{first}-{seen[first]}"
        row["counted_with"] = first
        row["population_2017"] = None
        row["population_2017_source"] = f"none: counted with {first} (the same PCBS code, listed twice)"
        log.info("localities: code of %s listed twice in the source; the second point is counted with it", first)
    return rows


def _candidates(rows: list[Row], key: str, row: Row) -> list[Row]:
    exact = [r for r in rows if r["_key"] == key and r is not row]
    if exact or len(key) < _PREFIX_MIN:
        return exact
    # the source truncates some names ("Ar Ram & Dah" for "Ar Ram & Dahiyat al Bareed")
    return [r for r in rows if r["_key"].startswith(key) and r is not row]


def _pick(found: list[Row], row: Row) -> Row | None:
    """The referenced locality among name matches: same governorate, then the one with a figure, then nearest."""
    same = [r for r in found if r["_gov_code"] == row["_gov_code"]] or found
    counted = [r for r in same if r["population_2017"] is not None]
    if len(counted) == 1:
        return counted[0]
    if len(same) == 1:
        return same[0]
    if not counted:
        return None  # several candidates, none with a figure: the note does not say which
    here = row["geometry"]
    return min(counted, key=lambda r: (here.distance(r["geometry"]), r["locality_id"]))


def _resolve_references(rows: list[Row]) -> None:
    """``with X`` / ``part of X`` rows without a figure of their own are counted with the locality X, if listed."""
    unresolved = 0
    for row in rows:
        if row["_ref"] is None or row["counted_with"] is not None:
            continue
        found = _candidates(rows, _name_key(row["_ref"]), row)
        target = _pick(found, row) if found else None
        if target is None:
            unresolved += 1
            row["population_2017_source"] = f"none: counted with {row['_ref']}, not a row of the source"
            continue
        row["counted_with"] = target["locality_id"]
        row["population_2017_source"] = f"none: counted with {target['locality_id']}"
    log.info("localities: %d rows are counted with a locality the source does not list", unresolved)


# --------------------------------------------------------------------------------------------------------------
# corrections and additions


def _correction(row: Mapping[str, str], n: int, by_id: Mapping[str, Row], known: set[str]) -> tuple[int | None, str]:
    lid = (row.get("locality_id") or "").strip()
    where = f"{_CORRECTIONS}: row {n} ({lid!r})"
    if lid not in by_id:
        raise SourceError(f"{where}: no such locality in the source. Use an id of the built layer (pcbs-/ocha-).")
    if _name_key(row.get("name") or "") != by_id[lid]["_key"]:
        raise SourceError(
            f"{where}: names {row.get('name')!r}, the source calls it {by_id[lid]['name']!r}. Fix the name."
        )
    if not (row.get("source") or "").strip():
        raise SourceError(f"{where}: no source. Cite the publication, year and the figure as published.")
    figure = _int_cell(row.get("population_2017", ""), where, "population_2017")
    target = (row.get("counted_with") or "").strip()
    if (figure is None) == (not target):
        raise SourceError(f"{where}: give exactly one of population_2017 and counted_with.")
    if figure is not None and not (row.get("population_2017_source") or "").strip():
        raise SourceError(f"{where}: a figure without population_2017_source. Say where the figure comes from.")
    if target and target not in known:
        raise SourceError(f"{where}: counted_with {target!r} is not a locality. Use an id of the built layer.")
    return figure, target


def _apply_corrections(rows: list[Row], table: Iterable[Mapping[str, str]], added: Iterable[str]) -> None:
    """Set a cited figure on a source row, or count it with another row (its own figure is then dropped)."""
    by_id = {r["locality_id"]: r for r in rows}
    known = set(by_id) | set(added)
    for n, fix in enumerate(table, start=2):
        figure, target = _correction(fix, n, by_id, known)
        row = by_id[fix["locality_id"].strip()]
        row["population_2017"] = figure
        row["population_2017_source"] = (fix.get("population_2017_source") or "").strip() or (
            f"none: counted with {target}"
        )
        row["counted_with"] = target or None
        row["source"] = f"{row['source']}; corrected: {fix['source'].strip()}"


_ADDITION_REQUIRED = ("locality_id", "name", "type", "governorate", "lon", "lat", "population_2017_source", "source")


def _addition_point(row: Mapping[str, str], where: str) -> Point:
    try:
        lon, lat = float(row["lon"]), float(row["lat"])
    except ValueError:
        lon = lat = math.nan
    xmin, ymin, xmax, ymax = REGION_BOUNDS
    if not (math.isfinite(lon) and math.isfinite(lat) and xmin <= lon <= xmax and ymin <= lat <= ymax):
        raise SourceError(
            f"{where}: coordinate lon={row['lon']!r}, lat={row['lat']!r} is not a longitude/latitude in the region "
            f"(lon {xmin}..{xmax}, lat {ymin}..{ymax}). Fix lon and lat: decimal degrees, longitude first."
        )
    return Point(lon, lat)


def _addition_row(row: Mapping[str, str], n: int) -> Row:
    lid = (row.get("locality_id") or "").strip()
    where = f"{_ADDITIONS}: row {n} ({lid!r})"
    missing = [c for c in _ADDITION_REQUIRED if not (row.get(c) or "").strip()]
    if missing:
        raise SourceError(
            f"{where}: empty {', '.join(missing)}. Every compiled row names its place and cites its source."
        )
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", lid):
        raise SourceError(f"{where}: locality_id must be lower-case letters, digits and hyphens.")
    if row["type"].strip() not in TYPES:
        raise SourceError(f"{where}: type {row['type']!r} is not one of {', '.join(TYPES)}.")
    return {
        "locality_id": f"add-{lid}",
        "pcode": None,
        "name": row["name"].strip(),
        "name_ar": (row.get("name_ar") or "").strip() or None,
        "type": row["type"].strip(),
        "population_2017": _int_cell(row.get("population_2017", ""), where, "population_2017"),
        "population_2017_source": row["population_2017_source"].strip(),
        "counted_with": None,
        "source": row["source"].strip(),
        "zone_id": None,
        "geometry": _addition_point(row, where),
        "_where": where,
        "_governorate": row["governorate"].strip(),
        "_expect_zone": (row.get("expect_zone") or "").strip(),
    }


def _place_addition(add: Row, zones: gpd.GeoDataFrame, governorate: Mapping[str, str]) -> None:
    """Give a compiled row its zone, checking the coordinate against the zone and governorate it claims."""
    where = add["_where"]
    point = gpd.GeoDataFrame(geometry=[add["geometry"]], crs=STORE_CRS)
    try:
        zone_id = str(assign_zones(point, zones, "localities", _ZONE_TOLERANCE_KM).iloc[0])
    except SourceError as exc:
        raise SourceError(
            f"{where}: the point lies more than {_ZONE_TOLERANCE_KM} km outside every planning zone. "
            "Fix lon/lat (decimal degrees, longitude first)."
        ) from exc
    if add["_expect_zone"] and zone_id != add["_expect_zone"]:
        raise SourceError(
            f"{where}: the point lies in zone {zone_id!r}, not {add['_expect_zone']!r}. Fix lon/lat so that the "
            "point lies inside that zone."
        )
    if governorate[zone_id] != add["_governorate"]:
        raise SourceError(
            f"{where}: the point lies in zone {zone_id!r} of governorate {governorate[zone_id]!r}, not "
            f"{add['_governorate']!r}. Fix lon/lat, or the governorate (the COD-AB admin-2 name)."
        )
    add["zone_id"] = zone_id


def _additions(table: Iterable[Mapping[str, str]], zones: gpd.GeoDataFrame) -> list[Row]:
    adds = [_addition_row(row, n) for n, row in enumerate(table, start=2)]
    governorate = dict(zip(zones["zone_id"], zones["governorate"], strict=True))
    for add in adds:
        _place_addition(add, zones, governorate)
    return adds


# --------------------------------------------------------------------------------------------------------------
# the layer


def _place_source_rows(rows: list[Row], zones: gpd.GeoDataFrame) -> None:
    points = gpd.GeoDataFrame(geometry=[r["geometry"] for r in rows], crs=STORE_CRS)
    labels = [str(r["_label"]) for r in rows]
    for row, zone_id in zip(rows, assign_zones(points, zones, "localities", _ZONE_TOLERANCE_KM, labels), strict=True):
        row["zone_id"] = zone_id


def _check_references(rows: list[Row]) -> None:
    ids = [r["locality_id"] for r in rows]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise SourceError(f"localities: duplicate locality_id {dup!r}; rename the compiled row in {_ADDITIONS}.")
    counted = {r["locality_id"]: r["counted_with"] for r in rows}
    for lid, target in counted.items():
        if target is not None and (target not in counted or counted[target] is not None):
            raise SourceError(
                f"localities: {lid} is counted with {target}, which is missing or itself counted with another row. "
                f"Point counted_with at the row that holds the figure ({_CORRECTIONS})."
            )


def _finish(rows: list[Row], zones: gpd.GeoDataFrame, factors: Mapping[str, float], year: int) -> gpd.GeoDataFrame:
    _check_references(rows)
    table = zones.set_index("zone_id")
    for row in rows:
        row["governorate"] = str(table.at[row["zone_id"], "governorate"])
        row["territory"] = str(table.at[row["zone_id"], "territory"])
        figure = None if row["counted_with"] is not None else row["population_2017"]
        row["population_2017"] = figure
        row["population"] = None if figure is None else math.floor(figure * factors[row["governorate"]] + 0.5)
        row["population_year"] = year
    rows = sorted(rows, key=lambda r: str(r["locality_id"]))
    df = pd.DataFrame([{c: r[c] for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    for column in ("population_2017", "population"):
        df[column] = df[column].astype("Int64")
    df["population_year"] = df["population_year"].astype("int64")
    return gpd.GeoDataFrame(df, geometry=[r["geometry"] for r in rows], crs=STORE_CRS)


def build_localities(
    src: dict[str, gpd.GeoDataFrame], zones: gpd.GeoDataFrame, *, tables: LocalityTables | None = None
) -> gpd.GeoDataFrame:
    """The ``localities`` layer: one point per Palestinian locality, with its census and projected population.

    Source rows keep OCHA's point geometry (its X/Y attributes are stale for 36 rows) and its PCBS figure; rows
    with no figure of their own (``NA``, ``with X``, ``part of X``) are counted with the locality named, so no
    person is counted twice. East Jerusalem rows carry the JIIS 2011 figures the source gives. The compiled tables
    add the missing localities and correct the double counted ones. Each point is given the zone containing it
    (or the nearest within 1 km), and its governorate and territory are the zone's.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (:func:`geo.build.sources.read_all`); reads ``communities``.
    zones : GeoDataFrame
        The planning zones (``zone_id``, ``governorate``, ``territory``, geometry).
    tables : LocalityTables, optional
        The compiled tables; the shipped ones by default (tests pass altered copies).

    Returns
    -------
    GeoDataFrame
        Columns :data:`COLUMNS` and ``geometry``, EPSG:4326, sorted by ``locality_id``.

    Raises
    ------
    SourceError
        On a population the parser does not know, a compiled row with a bad coordinate, a point in the wrong
        governorate or zone, an unknown id in a correction, a malformed growth table or a duplicate id.
    """
    tables = tables or read_tables()
    factors, year = growth_factors(tables.growth, zones["governorate"])
    added = _additions(tables.additions, zones)
    rows = _split_duplicates(_source_rows(src["communities"]))
    _resolve_references(rows)
    _apply_corrections(rows, tables.corrections, [a["locality_id"] for a in added])
    _place_source_rows(rows, zones)
    gdf = _finish(rows + added, zones, factors, year)
    log.info("localities: %d rows, %d counted with another", len(gdf), int(gdf["counted_with"].notna().sum()))
    return gdf


def _by_zone(localities: gpd.GeoDataFrame, column: str) -> pd.Series:
    own = pd.DataFrame(localities.loc[localities["counted_with"].isna(), ["zone_id", column]])
    own[column] = pd.to_numeric(own[column], errors="coerce").fillna(0).astype("int64")
    total: pd.Series = own.groupby("zone_id")[column].sum().sort_index()
    return total.astype("int64")


def population_by_zone(localities: gpd.GeoDataFrame) -> pd.Series:
    """Each zone's population at the base year: the sum of its localities' ``population``.

    Rows counted with another locality are left out (their people are in that locality's figure), and rows
    without a figure add nothing. Zones with no locality do not appear; the caller gives them 0.

    Parameters
    ----------
    localities : GeoDataFrame
        The layer from :func:`build_localities`.

    Returns
    -------
    pandas.Series
        ``int64`` populations indexed by ``zone_id``, sorted.
    """
    return _by_zone(localities, "population")


def population_2017_by_zone(localities: gpd.GeoDataFrame) -> pd.Series:
    """Each zone's population at the 2017 census (older figures for East Jerusalem), as :func:`population_by_zone`.

    Parameters
    ----------
    localities : GeoDataFrame
        The layer from :func:`build_localities`.

    Returns
    -------
    pandas.Series
        ``int64`` populations indexed by ``zone_id``, sorted.
    """
    return _by_zone(localities, "population_2017")
