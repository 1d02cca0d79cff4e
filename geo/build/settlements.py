"""Settlements: the CBS localities of the Judea and Samaria district, the Peace Now list and Israelis in East Jerusalem.

Spellings differ between the lists (``Ma'ale Adummim`` / ``Ma'ale Adumim``,
``Kokhav Ya'aqov`` / ``Kochav Yaakov``), so rows are matched by a normalised
name *and* position.  Every row of both lists ends up in the match report;
nothing is dropped silently.

A plan treats West Bank settlers and Israelis in East Jerusalem differently
(the Clinton Parameters' Jerusalem rule applies to the second group only), so
each row has a ``kind`` and its own population figure with the figure's year
and citation; :func:`israelis_by_zone` sums the two groups separately.  The
built-up footprints (:func:`build_settlement_areas`) are joined to the same
ids so a plan can draw the land a settlement covers, not just its point.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError
from . import facts
from .boundaries import slug
from .sites import assign_zones

__all__ = [
    "AREA_COLUMNS",
    "AREA_LOCATION_M",
    "AREA_NAME_KM",
    "AREA_NAME_SIMILARITY",
    "BLOC_CORES",
    "BLOC_RADIUS_KM",
    "COLUMNS",
    "KINDS",
    "MatchReport",
    "PopulationFact",
    "area_aliases",
    "build_settlement_areas",
    "build_settlements",
    "israelis_by_zone",
    "match",
    "neighbourhood_facts",
    "normalise",
    "population_facts",
    "settlers_by_zone",
]

log = logging.getLogger(__name__)
#: A Peace Now point this close to East Jerusalem counts as in it (points sit on the outline's edge).
_EJ_TOLERANCE_M = 100.0

#: The ``kind`` values, and which of them count as West Bank settlers (the rest are Israelis in East Jerusalem).
KINDS = ("settlement", "east_jerusalem_neighbourhood", "hebron_enclave")
_SETTLER_KINDS = ("settlement", "hebron_enclave")

#: Bloc cores (CBS names) and the radius around them, a project convention for the `bloc` column.
BLOC_CORES: dict[str, tuple[str, ...]] = {
    "Ariel": ("Ari'el",),
    "Gush Etzion": ("Efrat", "Allon Shevut", "Betar Illit"),
    "Ma'ale Adumim": ("Ma'ale Adummim",),
    "Modi'in Illit": ("Modi'in Illit",),
    "Givat Ze'ev": ("Giv'at Ze'ev",),
}
BLOC_RADIUS_KM = 5.0
_CBS = "Israel CBS localities file 2021 (name, locality code and point)"
_CBS_FIGURE = "Israel CBS localities file 2021 (bycode2021), total population at the end of 2021: {pop:,}"
_CBS_NO_FIGURE = "Israel CBS localities file 2021 (bycode2021) gives no population for this locality"
_PN = "Peace Now settlement list 2017 (founding year)"
_NO_FIGURE = "no verified population figure; not a locality of its own in the CBS localities file 2021"
_NEAR_M = 3_000.0
_FAR_M = 10_000.0
_DATA = "geo/build/data"
#: The earliest year a population figure can describe (settlement began after June 1967).
_FIRST_YEAR = 1967

#: Footprint-to-settlement join: a name this similar (0..1, on :func:`normalise` keys) ...
AREA_NAME_SIMILARITY = 0.8
#: ... within this distance (km, settlement point to footprint) is a name match.
AREA_NAME_KM = 3.0
#: A settlement point this close (m) to a footprint, or inside it, is a location match.
AREA_LOCATION_M = 300.0
_BUILT_UP_FILE = "ocha-settlements-firing-zones/settlements_built_up_2021.geojson"
_BUILT_UP = "Peace Now (Settlement Watch) settlement built-up areas 2021, via UN OCHA oPt (CC BY 3.0 IGO)"


def _within_m(point: BaseGeometry, area: BaseGeometry, metres: float) -> bool:
    """Whether ``point`` lies within ``metres`` of ``area``, measured in EPSG:2039 (never in degrees)."""
    both = gpd.GeoSeries([point, area], crs=STORE_CRS).to_crs(METRIC_CRS)
    return bool(both.iloc[0].distance(both.iloc[1]) <= metres)


def normalise(name: str) -> str:
    """A spelling-insensitive key for a transliterated Hebrew place name.

    Parameters
    ----------
    name : str
        A name such as ``"Ma'ale Adummim"``.

    Returns
    -------
    str
        Lower-case consonant skeleton, e.g. ``"mldm"``.
    """
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"\b(settlement|the)\b", "", s)
    for a, b in (
        ("kh", "h"),
        ("ch", "h"),
        ("tz", "z"),
        ("ts", "z"),
        ("ph", "f"),
        ("q", "k"),
        ("w", "v"),
        ("c", "k"),
        ("j", "g"),
    ):
        s = s.replace(a, b)
    s = re.sub(r"[^a-z]", "", s)
    s = re.sub(r"(.)\1+", r"\1", s)
    return s[:1] + re.sub(r"[aeiouy]", "", s[1:])


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalise(a), normalise(b)).ratio()


# --------------------------------------------------------------------------- compiled facts, validated


def _fact_error(table: str, line: int, key: str, problem: str, fix: str) -> SourceError:
    return SourceError(f"{_DATA}/{table}.csv line {line} ({key}): {problem}. Fix: {fix}")


def _require_columns(table: str, rows: list[dict[str, str]], columns: Iterable[str]) -> None:
    have = set(rows[0]) if rows else set()
    missing = [c for c in columns if c not in have]
    if missing:
        raise SourceError(
            f"{_DATA}/{table}.csv: missing column(s) {', '.join(missing)}; restore the header ({', '.join(columns)})."
        )


@dataclass(frozen=True)
class PopulationFact:
    """A population figure as published: the count, the year it describes and its citation."""

    population: int | None
    year: int | None
    source: str


def _parse_count(table: str, line: int, key: str, text: str) -> int | None:
    if not text.strip():
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise _fact_error(
            table,
            line,
            key,
            f"population {text!r} is not a whole number",
            "write the count in digits without separators (e.g. 7498), or leave it empty if no figure was verified",
        ) from None
    if value < 0:
        raise _fact_error(table, line, key, f"population {value} is negative", "write the count as published")
    return value


def _parse_year(table: str, line: int, key: str, text: str) -> int | None:
    if not text.strip():
        return None
    latest = date.today().year
    fix = f"write the year the figure describes ({_FIRST_YEAR}..{latest}), e.g. 2021"
    try:
        year = int(text.strip())
    except ValueError:
        raise _fact_error(table, line, key, f"population_year {text!r} is not a year", fix) from None
    if not _FIRST_YEAR <= year <= latest:
        raise _fact_error(table, line, key, f"population_year {year} is outside {_FIRST_YEAR}..{latest}", fix)
    return year


def _parse_fact(table: str, line: int, key: str, *, count: str, year_text: str, source: str) -> PopulationFact:
    """One validated population fact; every problem names the row and how to fix it."""
    if not source.strip():
        raise _fact_error(
            table,
            line,
            key,
            "the population has no source",
            "cite the publication, its year and the figure as published (or say that no figure was verified)",
        )
    population = _parse_count(table, line, key, count)
    year = _parse_year(table, line, key, year_text)
    if (population is None) != (year is None):
        raise _fact_error(
            table,
            line,
            key,
            "a population needs the year it describes, and a year needs a population",
            "give both the population and its population_year, or leave both empty",
        )
    return PopulationFact(population, year, source.strip())


def population_facts(rows: list[dict[str, str]], known_ids: Iterable[str]) -> dict[str, PopulationFact]:
    """Validate ``settlement_populations.csv`` rows: the latest published figure per settlement id.

    The CBS 2021 figure is the default for the CBS localities; a row here
    replaces it (a newer figure, or a note that travels with it) or gives a
    figure to a settlement that has none (e.g. the Hebron enclave).

    Parameters
    ----------
    rows : list of dict
        The table's rows (``facts.rows("settlement_populations")``).
    known_ids : iterable of str
        The settlement ids of the layer being built.

    Returns
    -------
    dict
        settlement id -> :class:`PopulationFact`.

    Raises
    ------
    SourceError
        On an unknown or repeated id, a bad count or year, or a missing source, naming the line.
    """
    table = "settlement_populations"
    _require_columns(table, rows, ("settlement_id", "population", "population_year", "source"))
    known = set(known_ids)
    out: dict[str, PopulationFact] = {}
    for line, r in enumerate(rows, start=2):
        sid = r["settlement_id"].strip()
        if sid not in known:
            raise _fact_error(
                table,
                line,
                sid or "no id",
                f"settlement_id {sid!r} is not in the settlements layer",
                "use an id of the layer (cbs-CODE, pn-NAME or ej-NEIGHBOURHOOD) or remove the row",
            )
        if sid in out:
            raise _fact_error(table, line, sid, "the id appears twice", "keep one row per settlement")
        out[sid] = _parse_fact(
            table, line, sid, count=r["population"], year_text=r["population_year"], source=r["source"]
        )
    return out


def neighbourhood_facts(rows: list[dict[str, str]]) -> list[tuple[dict[str, str], PopulationFact]]:
    """Validate the Israeli (``clinton_rule`` IL) rows of ``jerusalem_neighbourhoods.csv``.

    Parameters
    ----------
    rows : list of dict
        The table's rows (``facts.rows("jerusalem_neighbourhoods")``).

    Returns
    -------
    list of (dict, PopulationFact)
        Each IL row with its validated population fact, in table order.

    Raises
    ------
    SourceError
        On a bad count, year or coordinate, or a missing ``population_source``, naming the line.
    """
    table = "jerusalem_neighbourhoods"
    cols = ("neighbourhood_id", "name", "name_he", "clinton_rule", "lon", "lat", "population")
    _require_columns(table, rows, (*cols, "population_year", "population_source", "founded", "source"))
    out = []
    for line, r in enumerate(rows, start=2):
        if r["clinton_rule"] != "IL":
            continue
        nid = r["neighbourhood_id"]
        _parse_point(table, line, nid, r["lon"], r["lat"])
        fact = _parse_fact(
            table, line, nid, count=r["population"], year_text=r["population_year"], source=r["population_source"]
        )
        out.append((r, fact))
    return out


def _parse_point(table: str, line: int, key: str, lon: str, lat: str) -> shapely.Point:
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        raise _fact_error(
            table, line, key, f"coordinates ({lon!r}, {lat!r}) are not numbers", "write decimal degrees"
        ) from None
    if not (34.0 < x < 36.0 and 31.0 < y < 33.0):
        raise _fact_error(
            table,
            line,
            key,
            f"({x}, {y}) is not a longitude/latitude in the region",
            "write lon (about 35.2) then lat (about 31.8), in decimal degrees",
        )
    return shapely.Point(x, y)


def _check_aliases(rows: list[dict[str, str]], cbs: gpd.GeoDataFrame, pn: gpd.GeoDataFrame) -> None:
    """Every alias must name rows that exist; a stale alias would silently stop matching."""
    table = "settlement_aliases"
    _require_columns(table, rows, ("cbs_name", "peacenow_name", "source"))
    cbs_names, pn_names = set(cbs["name_en"].astype(str)), set(pn["name"].astype(str))
    for line, r in enumerate(rows, start=2):
        key = f"{r['cbs_name']} = {r['peacenow_name']}"
        if not r["source"].strip():
            raise _fact_error(table, line, key, "the alias has no source", "cite where the two names are equated")
        if r["cbs_name"] not in cbs_names:
            raise _fact_error(
                table, line, key, f"{r['cbs_name']!r} is not a name_en of the CBS list", "copy the CBS name exactly"
            )
        if r["peacenow_name"] not in pn_names:
            raise _fact_error(
                table,
                line,
                key,
                f"{r['peacenow_name']!r} is not a name of the Peace Now list",
                "copy the Peace Now name exactly",
            )


# --------------------------------------------------------------------------- CBS / Peace Now matching


@dataclass
class MatchReport:
    """Outcome of matching the two lists: one row per input row."""

    table: pd.DataFrame  # columns: list, name, matched_to, distance_m, similarity, status

    @property
    def unmatched(self) -> pd.DataFrame:
        """Rows of either list that found no partner."""
        return self.table[self.table["status"] != "matched"]


def _candidates(cbs: gpd.GeoDataFrame, pn: gpd.GeoDataFrame, dist: np.ndarray) -> list[tuple[float, float, int, int]]:
    cands: list[tuple[float, float, int, int]] = []
    for i, ci in enumerate(cbs.index):
        for j in (int(k) for k in np.flatnonzero(dist[i] <= _FAR_M)):
            sim = _similarity(str(cbs.at[ci, "name_en"]), str(pn.at[pn.index[j], "name"]))
            if (sim >= 0.5 and dist[i, j] <= _NEAR_M) or sim >= 0.8:
                cands.append((sim - dist[i, j] / 100_000, sim, i, j))
    pn_pos = {str(n): k for k, n in enumerate(pn["name"])}
    cbs_pos = {str(n): k for k, n in enumerate(cbs["name_en"])}
    for alias in facts.rows("settlement_aliases"):
        ai, aj = cbs_pos.get(alias["cbs_name"]), pn_pos.get(alias["peacenow_name"])
        if ai is not None and aj is not None:
            cands.append((2.0, 1.0, ai, aj))  # a documented alias outranks any automatic candidate
    return cands


def match(cbs: gpd.GeoDataFrame, pn: gpd.GeoDataFrame) -> tuple[dict[int, int], MatchReport]:
    """Match CBS rows to Peace Now rows by name similarity and distance, one to one.

    A pair is accepted when the names' similarity is at least 0.5 within 3 km,
    or at least 0.8 within 10 km; the best-scoring pairs are taken first.

    Parameters
    ----------
    cbs, pn : GeoDataFrame
        The two lists (columns ``name_en`` and ``name`` respectively).

    Returns
    -------
    dict, MatchReport
        CBS index -> Peace Now index, and the report of every row.
    """
    cm = cbs.to_crs(METRIC_CRS)
    pm = pn.to_crs(METRIC_CRS)
    a, b = np.asarray(cm.geometry.array, dtype=object), np.asarray(pm.geometry.array, dtype=object)
    dist = shapely.distance(a[:, None], b[None, :])
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    info: dict[tuple[str, int], tuple[str, float, float]] = {}
    for _, sim, i, j in sorted(_candidates(cbs, pn, dist), reverse=True):
        ci, pj = cbs.index[i], pn.index[j]
        if ci in pairs or pj in taken:
            continue
        pairs[ci] = pj
        taken.add(pj)
        info[("cbs", ci)] = (str(pn.at[pj, "name"]), float(dist[i, j]), sim)
        info[("peacenow", pj)] = (str(cbs.at[ci, "name_en"]), float(dist[i, j]), sim)
    rows = []
    for lst, frame, col in (("cbs", cbs, "name_en"), ("peacenow", pn, "name")):
        for idx in frame.index:
            partner, d, sim = info.get((lst, idx), ("", np.nan, np.nan))
            rows.append(
                {
                    "list": lst,
                    "name": str(frame.at[idx, col]),
                    "matched_to": partner,
                    "distance_m": None if np.isnan(d) else round(d),
                    "similarity": None if np.isnan(sim) else round(sim, 2),
                    "status": "matched" if partner else "unmatched",
                }
            )
    return pairs, MatchReport(pd.DataFrame(rows))


def _blocs(gdf: gpd.GeoDataFrame) -> pd.Series:
    pm = gdf.to_crs(METRIC_CRS)
    out = pd.Series([None] * len(gdf), index=gdf.index, dtype=object)
    best = pd.Series(np.inf, index=gdf.index)
    for bloc, cores in BLOC_CORES.items():
        core_pts = pm[gdf["cbs_name"].isin(cores)]
        if len(core_pts) != len(cores):
            raise SourceError(
                f"bloc {bloc}: core settlement(s) {cores} not all found in the CBS list; "
                "update BLOC_CORES in geo/build/settlements.py."
            )
        d = pm.distance(core_pts.geometry.union_all())
        closer = (d <= BLOC_RADIUS_KM * 1000) & (d < best)
        out[closer] = bloc
        best[closer] = d[closer]
    return out


# --------------------------------------------------------------------------- the settlements layer


def _cbs_rows(cbs: gpd.GeoDataFrame, pn: gpd.GeoDataFrame, pairs: dict[int, int]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for ci, r in cbs.iterrows():
        pj = pairs.get(ci)
        pop = pd.to_numeric(r["population"], errors="coerce")
        rows.append(
            {
                "settlement_id": f"cbs-{int(r['id'])}",
                "name": str(r["name_en"]),
                "cbs_name": str(r["name_en"]),
                "name_he": str(r["name"]),
                "kind": "settlement",
                "population": None if pd.isna(pop) else int(pop),
                "population_year": None if pd.isna(pop) else 2021,
                "population_source": _CBS_NO_FIGURE if pd.isna(pop) else _CBS_FIGURE.format(pop=int(pop)),
                "founded": None if pj is None else int(pn.at[pj, "establishment"]),
                "cbs_code": int(r["id"]),
                "source": _CBS + ("" if pj is None else f"; {_PN}"),
                "geometry": r.geometry,
            }
        )
    return rows


def _peacenow_rows(
    pn: gpd.GeoDataFrame, matched: set[int], report: MatchReport, ej: BaseGeometry, wb: BaseGeometry
) -> list[dict[str, object]]:
    """Peace Now rows with no CBS partner: East Jerusalem sites, the Hebron enclave, a few others."""
    rows: list[dict[str, object]] = []
    for pj, r in pn.iterrows():
        if pj in matched:
            continue
        if not wb.contains(r.geometry):
            report.table.loc[(report.table["list"] == "peacenow") & (report.table["name"] == r["name"]), "status"] = (
                "outside_west_bank"
            )
            log.info("settlements: Peace Now row %r lies outside the West Bank; left out", r["name"])
            continue
        in_ej = _within_m(r.geometry, ej, _EJ_TOLERANCE_M)
        hebron = str(r["name"]).startswith("Hebron")
        kind = "hebron_enclave" if hebron else ("east_jerusalem_neighbourhood" if in_ej else "settlement")
        name = str(r["name"]).replace(" Settlement", "")
        rows.append(
            {
                "settlement_id": f"pn-{slug(name)}",
                "name": name,
                "cbs_name": "",
                "name_he": None,
                "kind": kind,
                "population": None,
                "population_year": None,
                "population_source": _NO_FIGURE,
                "founded": int(r["establishment"]),
                "cbs_code": None,
                "source": f"{_PN}; not in the CBS list",
                "geometry": r.geometry,
            }
        )
    return rows


def _neighbourhood_rows() -> list[dict[str, object]]:
    """Israeli neighbourhoods of East Jerusalem (``clinton_rule`` IL), with their population facts."""
    rows: list[dict[str, object]] = []
    for r, fact in neighbourhood_facts(facts.rows("jerusalem_neighbourhoods")):
        rows.append(
            {
                "settlement_id": f"ej-{r['neighbourhood_id']}",
                "name": r["name"],
                "cbs_name": "",
                "name_he": r["name_he"] or None,
                "kind": "east_jerusalem_neighbourhood",
                "population": fact.population,
                "population_year": fact.year,
                "population_source": fact.source,
                "founded": int(r["founded"]) if r["founded"] else None,
                "cbs_code": None,
                "source": r["source"],
                "geometry": shapely.Point(float(r["lon"]), float(r["lat"])),
            }
        )
    return rows


def _apply_population_facts(gdf: gpd.GeoDataFrame) -> None:
    """Replace or fill population figures from ``settlement_populations.csv`` (in place)."""
    table = population_facts(facts.rows("settlement_populations"), gdf["settlement_id"])
    pos = {sid: k for k, sid in enumerate(gdf["settlement_id"])}
    for sid, fact in table.items():
        k = gdf.index[pos[sid]]
        gdf.at[k, "population"] = fact.population
        gdf.at[k, "population_year"] = fact.year
        gdf.at[k, "population_source"] = fact.source


_INT_COLUMNS = ("population", "population_year", "founded", "cbs_code")
#: The layer's columns, in order (the contract with ``geo.schema``).
COLUMNS = (
    "settlement_id",
    "name",
    "name_he",
    "kind",
    "population",
    "population_year",
    "population_source",
    "founded",
    "bloc",
    "cbs_code",
    "zone_id",
    "source",
)
AREA_COLUMNS = ("area_id", "settlement_id", "name", "in_east_jerusalem", "match", "area_km2", "source")


def build_settlements(
    src: dict[str, gpd.GeoDataFrame],
    zones: gpd.GeoDataFrame,
    east_jerusalem: BaseGeometry,
    west_bank: BaseGeometry,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Build the settlements layer and the CBS/Peace Now match report.

    Populations: the CBS 2021 figure for each CBS locality; the Israeli East
    Jerusalem neighbourhoods' figures from ``jerusalem_neighbourhoods.csv``;
    and any row of ``settlement_populations.csv`` replacing or filling a
    figure (the Hebron enclave).  Every figure carries its year and citation
    (``population_year``, ``population_source``).

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources.
    zones : GeoDataFrame
        Planning zones (for ``zone_id``).
    east_jerusalem : shapely geometry
        East Jerusalem (EPSG:4326), to classify Peace Now rows inside it.
    west_bank : shapely geometry
        The West Bank (EPSG:4326); Peace Now rows outside it are reported and left out.

    Returns
    -------
    GeoDataFrame, MatchReport
        The layer sorted by ``settlement_id``, and the match report.

    Raises
    ------
    SourceError
        If a compiled fact table holds a bad row, or two rows share an id.
    """
    cbs_all = src["cbs"]
    cbs = cbs_all[pd.to_numeric(cbs_all["district_id"], errors="coerce") == 7].sort_values("id")
    pn = src["peacenow"].sort_values(["name", "establishment"])
    _check_aliases(facts.rows("settlement_aliases"), cbs, pn)
    pairs, report = match(cbs, pn)
    rows = _cbs_rows(cbs, pn, pairs)
    rows += _peacenow_rows(pn, set(pairs.values()), report, east_jerusalem, west_bank)
    rows += _neighbourhood_rows()
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    if gdf["settlement_id"].duplicated().any():
        dup = gdf.loc[gdf["settlement_id"].duplicated(), "settlement_id"].iloc[0]
        raise SourceError(f"settlements: duplicate id {dup!r}; two rows share a name in the Peace Now list.")
    for col in _INT_COLUMNS:
        gdf[col] = pd.array(gdf[col], dtype="Int64")
    _apply_population_facts(gdf)
    gdf["bloc"] = _blocs(gdf)
    gdf["zone_id"] = assign_zones(gdf, zones, "settlements", max_km=1.0).to_numpy()
    log.info(
        "settlements: %d CBS rows, %d Peace Now rows, %d matched, %d unmatched (see the match report)",
        len(cbs),
        len(pn),
        len(pairs),
        len(report.unmatched),
    )
    gdf = gdf.sort_values("settlement_id").reset_index(drop=True)
    return gpd.GeoDataFrame(gdf[list(COLUMNS)], geometry=gdf.geometry, crs=STORE_CRS), report


def israelis_by_zone(settlements: gpd.GeoDataFrame) -> pd.DataFrame:
    """Israelis living in each zone, split into West Bank settlers and Israelis in East Jerusalem.

    The two groups are kept apart because a plan treats them differently: the
    Clinton Parameters' "Jewish areas Israeli" rule concerns East Jerusalem
    only.  Rows with no population count as 0.

    Parameters
    ----------
    settlements : GeoDataFrame
        The settlements layer (columns ``zone_id``, ``kind``, ``population``).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``zone_id`` (sorted; only zones with a settlement row), int64 columns ``settlers``
        (kinds settlement and hebron_enclave) and ``israelis_ej`` (kind east_jerusalem_neighbourhood).

    Raises
    ------
    ValueError
        If a row has a ``kind`` outside :data:`KINDS`.
    """
    unknown = sorted(set(settlements["kind"]) - set(KINDS))
    if unknown:
        raise ValueError(f"settlements: unknown kind(s) {unknown}; expected one of {KINDS}.")
    pop = pd.to_numeric(settlements["population"], errors="coerce").fillna(0).astype("int64")
    settler = settlements["kind"].isin(_SETTLER_KINDS).to_numpy()
    frame = pd.DataFrame(
        {
            "zone_id": settlements["zone_id"].to_numpy(),
            "settlers": np.where(settler, pop, 0),
            "israelis_ej": np.where(settler, 0, pop),
        }
    )
    return frame.groupby("zone_id").sum().astype("int64").sort_index()


def settlers_by_zone(settlements: gpd.GeoDataFrame) -> pd.Series:
    """West Bank settlers per zone id (the ``settlers`` column of :func:`israelis_by_zone`)."""
    return israelis_by_zone(settlements)["settlers"]


# --------------------------------------------------------------------------- built-up footprints


def area_aliases(rows: list[dict[str, str]], area_ids: Iterable[str], settlement_ids: Iterable[str]) -> dict[str, str]:
    """Validate ``settlement_area_aliases.csv``: footprints joined to a settlement by a documented rule.

    Parameters
    ----------
    rows : list of dict
        The table's rows (``facts.rows("settlement_area_aliases")``).
    area_ids, settlement_ids : iterable of str
        The footprint ids (``bu-...``) and settlement ids that exist.

    Returns
    -------
    dict
        area id -> settlement id.

    Raises
    ------
    SourceError
        On an unknown or repeated id or a missing source, naming the line.
    """
    table = "settlement_area_aliases"
    _require_columns(table, rows, ("area_id", "settlement_id", "source"))
    areas, setl = set(area_ids), set(settlement_ids)
    out: dict[str, str] = {}
    for line, r in enumerate(rows, start=2):
        aid, sid = r["area_id"].strip(), r["settlement_id"].strip()
        key = f"{aid} -> {sid}"
        if aid not in areas:
            raise _fact_error(
                table, line, key, f"area_id {aid!r} is not a footprint", "use 'bu-' + the footprint's entity_id"
            )
        if sid not in setl:
            raise _fact_error(
                table, line, key, f"settlement_id {sid!r} is not in the settlements layer", "use an id of that layer"
            )
        if aid in out:
            raise _fact_error(table, line, key, "the footprint appears twice", "keep one row per footprint")
        if not r["source"].strip():
            raise _fact_error(table, line, key, "the alias has no source", "cite why the two are the same place")
        out[aid] = sid
    return out


@dataclass(frozen=True)
class _Join:
    settlement: int | None  # position in the settlements frame
    match: str
    similarity: float | None
    note: str


def _by_name(name: str, dist: np.ndarray, names: list[str]) -> tuple[int, float] | None:
    """The best name candidate within :data:`AREA_NAME_KM`; nearer wins between equally similar names."""
    best: tuple[float, int, float] | None = None
    for j in (int(k) for k in np.flatnonzero(dist <= AREA_NAME_KM * 1000)):
        sim = _similarity(name, names[j])
        score = sim - dist[j] / 100_000
        if sim >= AREA_NAME_SIMILARITY and (best is None or score > best[0]):
            best = (score, j, sim)
    return None if best is None else (best[1], best[2])


def _by_location(dist: np.ndarray, ids: list[str]) -> tuple[int | None, str]:
    """The settlement point in or near a footprint; ``None`` with a note when there is none or it is ambiguous."""
    near = np.flatnonzero(dist <= AREA_LOCATION_M)
    inside = [int(k) for k in near if dist[k] == 0.0]
    if len(inside) > 1:
        return None, "ambiguous: settlement points " + ", ".join(ids[k] for k in inside) + " all lie inside"
    if inside:
        return inside[0], "settlement point inside the footprint"
    if len(near):
        j = int(near[np.argmin(dist[near])])
        return j, f"settlement point {dist[j]:.0f} m from the footprint"
    j = int(np.argmin(dist))
    return None, f"no settlement point within {AREA_LOCATION_M:.0f} m (nearest: {ids[j]} at {dist[j]:,.0f} m)"


def _join_area(area_id: str, name: str, dist: np.ndarray, setl: pd.DataFrame, aliases: dict[str, str]) -> _Join:
    ids, names = list(setl["settlement_id"]), list(setl["name"])
    if area_id in aliases:
        return _Join(ids.index(aliases[area_id]), "alias", None, "settlement_area_aliases.csv")
    by_name = _by_name(name, dist, names)
    if by_name is not None:
        return _Join(by_name[0], "matched_name", by_name[1], "")
    j, note = _by_location(dist, ids)
    return _Join(j, "unmatched" if j is None else "matched_location", None, note)


def _area_distances(areas: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame) -> np.ndarray:
    """Metres from every footprint to every settlement point (0 inside), in EPSG:2039."""
    a = np.asarray(areas.to_crs(METRIC_CRS).geometry.array, dtype=object)
    p = np.asarray(settlements.to_crs(METRIC_CRS).geometry.array, dtype=object)
    return np.asarray(shapely.distance(a[:, None], p[None, :]), dtype=float)


def _flag(value: object) -> bool | None:
    """``value`` as a boolean: a bool, or the text ``true``/``false`` (a text cell makes the column text)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _east_jerusalem_flags(areas: gpd.GeoDataFrame) -> list[bool]:
    flags = []
    for eid, v in zip(areas["entity_id"], areas["in_east_jerusalem"], strict=True):
        flag = _flag(v)
        if flag is None:
            raise SourceError(
                f"{_BUILT_UP_FILE}: feature entity_id={eid!r} has in_east_jerusalem={v!r}, not true/false. "
                "Fix: use an unmodified copy of the source."
            )
        flags.append(flag)
    return flags


def _text_cell(value: object) -> str | None:
    """``value`` stripped, or None when it is null or blank."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
        return None
    return str(value).strip() or None


def _check_built_up(bu: gpd.GeoDataFrame) -> None:
    """Every footprint needs an ``entity_id`` (its layer id) and a ``name`` (the join and the map label).

    Checked here, against the source file, so that the error names the feature to fix, not a layer
    file written later.
    """
    for pos, (eid, name) in enumerate(zip(bu["entity_id"], bu["name"], strict=True)):
        if _text_cell(eid) is None:
            raise SourceError(
                f"{_BUILT_UP_FILE}: feature #{pos} (name={name!r}) has no entity_id. "
                "Fix: use an unmodified copy of the source (every footprint has an entity_id)."
            )
        if _text_cell(name) is None:
            raise SourceError(
                f"{_BUILT_UP_FILE}: feature entity_id={eid!r} has no name. "
                "Fix: use an unmodified copy of the source (every footprint has a name)."
            )


def build_settlement_areas(
    src: dict[str, gpd.GeoDataFrame], settlements: gpd.GeoDataFrame
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The settlement built-up footprints, each joined to a settlement id where one fits.

    A footprint is joined, in this order: by a documented alias
    (``settlement_area_aliases.csv``); by name (similarity of the
    :func:`normalise` keys at least :data:`AREA_NAME_SIMILARITY`, settlement
    point within :data:`AREA_NAME_KM` of the footprint; the nearer of equally
    similar names wins); by location (exactly one settlement point inside the
    footprint, else the nearest within :data:`AREA_LOCATION_M`).  A footprint
    with no fit (an outpost, an industrial zone, a site with no point in the
    settlements layer) is kept with ``settlement_id`` null and ``match``
    ``unmatched``: the report says why.

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (``built_up``).
    settlements : GeoDataFrame
        The settlements layer (from :func:`build_settlements`).

    Returns
    -------
    GeoDataFrame, pandas.DataFrame
        The layer (``area_id``, ``settlement_id``, ``name``, ``in_east_jerusalem``, ``match``,
        ``area_km2``, ``source``, geometry; EPSG:4326, sorted by ``area_id``) and the match report,
        one row per footprint (``area_id``, ``name``, ``settlement_id``, ``settlement_name``, ``match``,
        ``distance_m``, ``similarity``, ``note``).

    Raises
    ------
    SourceError
        If a footprint lacks its ``entity_id`` or ``name``, footprint ids repeat, a flag is not boolean,
        or an alias row is bad.
    """
    _check_built_up(src["built_up"])
    bu = src["built_up"].sort_values("entity_id").reset_index(drop=True)
    area_ids = ["bu-" + slug(str(e)) for e in bu["entity_id"]]
    if len(set(area_ids)) != len(area_ids):
        dup = next(a for a in area_ids if area_ids.count(a) > 1)
        raise SourceError(f"{_BUILT_UP_FILE}: two footprints give the id {dup!r}. Fix: use an unmodified copy.")
    setl = settlements.sort_values("settlement_id").reset_index(drop=True)
    aliases = area_aliases(facts.rows("settlement_area_aliases"), area_ids, setl["settlement_id"])
    dist = _area_distances(bu, setl)
    joins = [
        _join_area(a, str(n), dist[i], setl, aliases) for i, (a, n) in enumerate(zip(area_ids, bu["name"], strict=True))
    ]
    sid = [None if j.settlement is None else str(setl.at[j.settlement, "settlement_id"]) for j in joins]
    layer = gpd.GeoDataFrame(
        {
            "area_id": area_ids,
            "settlement_id": sid,
            "name": bu["name"].astype(str).to_numpy(),
            "in_east_jerusalem": _east_jerusalem_flags(bu),
            "match": [j.match for j in joins],
            "area_km2": area_km2(bu.geometry, "built-up areas").round(3).to_numpy(),
            "source": [f"{_BUILT_UP}; entity_id={e}" for e in bu["entity_id"]],
        },
        geometry=bu.geometry.to_numpy(),
        crs=STORE_CRS,
    )
    report = _area_report(layer, joins, dist, setl)
    counts = layer["match"].value_counts().to_dict()
    log.info(
        "settlement areas: %d footprints; %s", len(layer), ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return layer, report


def _area_report(layer: gpd.GeoDataFrame, joins: list[_Join], dist: np.ndarray, setl: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, (row, j) in enumerate(zip(layer.itertuples(index=False), joins, strict=True)):
        k = j.settlement
        rows.append(
            {
                "area_id": row.area_id,
                "name": row.name,
                "settlement_id": None if k is None else str(setl.at[k, "settlement_id"]),
                "settlement_name": None if k is None else str(setl.at[k, "name"]),
                "match": j.match,
                "distance_m": pd.NA if k is None else round(float(dist[i, k])),
                "similarity": None if j.similarity is None else round(j.similarity, 2),
                "note": j.note,
            }
        )
    out = pd.DataFrame(rows, columns=list(rows[0]))
    out["distance_m"] = out["distance_m"].astype("Int64")
    return out
