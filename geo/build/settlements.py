"""Settlements: the CBS localities of the Judea and Samaria district matched to the Peace Now list.

Spellings differ between the lists (``Ma'ale Adummim`` / ``Ma'ale Adumim``,
``Kokhav Ya'aqov`` / ``Kochav Yaakov``), so rows are matched by a normalised
name *and* position.  Every row of both lists ends up in the match report;
nothing is dropped silently.
"""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS
from ..errors import SourceError
from . import facts
from .boundaries import slug
from .sites import assign_zones

__all__ = ["BLOC_CORES", "BLOC_RADIUS_KM", "MatchReport", "build_settlements", "match", "normalise", "settlers_by_zone"]

log = logging.getLogger(__name__)
#: A Peace Now point this close to East Jerusalem counts as in it (points sit on the outline's edge).
_EJ_TOLERANCE_M = 100.0


def _within_m(point: BaseGeometry, area: BaseGeometry, metres: float) -> bool:
    """Whether ``point`` lies within ``metres`` of ``area``, measured in EPSG:2039 (never in degrees)."""
    both = gpd.GeoSeries([point, area], crs=STORE_CRS).to_crs(METRIC_CRS)
    return bool(both.iloc[0].distance(both.iloc[1]) <= metres)


#: Bloc cores (CBS names) and the radius around them, a project convention for the `bloc` column.
BLOC_CORES: dict[str, tuple[str, ...]] = {
    "Ariel": ("Ari'el",),
    "Gush Etzion": ("Efrat", "Allon Shevut", "Betar Illit"),
    "Ma'ale Adumim": ("Ma'ale Adummim",),
    "Modi'in Illit": ("Modi'in Illit",),
    "Givat Ze'ev": ("Giv'at Ze'ev",),
}
BLOC_RADIUS_KM = 5.0
_CBS = "Israel CBS localities file 2021 (population 2021)"
_PN = "Peace Now settlement list 2017 (founding year)"
_NEAR_M = 3_000.0
_FAR_M = 10_000.0


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


@dataclass
class MatchReport:
    """Outcome of matching the two lists: one row per input row."""

    table: pd.DataFrame  # columns: list, name, matched_to, distance_m, similarity, status

    @property
    def unmatched(self) -> pd.DataFrame:
        """Rows of either list that found no partner."""
        return self.table[self.table["status"] != "matched"]


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
    cands: list[tuple[float, float, int, int]] = []
    for i, ci in enumerate(cbs.index):
        for j in (int(k) for k in np.flatnonzero(dist[i] <= _FAR_M)):
            sim = _similarity(str(cbs.at[ci, "name_en"]), str(pn.at[pn.index[j], "name"]))
            if (sim >= 0.5 and dist[i, j] <= _NEAR_M) or sim >= 0.8:
                cands.append((sim - dist[i, j] / 100_000, sim, i, j))
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    info: dict[tuple[str, int], tuple[str, float, float]] = {}
    pn_pos = {str(n): k for k, n in enumerate(pn["name"])}
    cbs_pos = {str(n): k for k, n in enumerate(cbs["name_en"])}
    for alias in facts.read("settlement_aliases"):
        ai, aj = cbs_pos.get(alias["cbs_name"]), pn_pos.get(alias["peacenow_name"])
        if ai is not None and aj is not None:
            cands.append((2.0, 1.0, ai, aj))  # a documented alias outranks any automatic candidate
    for _, sim, i, j in sorted(cands, reverse=True):
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
                "update BLOC_CORES in geo/settlements.py."
            )
        d = pm.distance(core_pts.geometry.union_all())
        closer = (d <= BLOC_RADIUS_KM * 1000) & (d < best)
        out[closer] = bloc
        best[closer] = d[closer]
    return out


def build_settlements(
    src: dict[str, gpd.GeoDataFrame],
    zones: gpd.GeoDataFrame,
    east_jerusalem: BaseGeometry,
    west_bank: BaseGeometry,
) -> tuple[gpd.GeoDataFrame, MatchReport]:
    """Build the settlements layer and the CBS/Peace Now match report.

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
    """
    cbs_all = src["cbs"]
    cbs = cbs_all[pd.to_numeric(cbs_all["district_id"], errors="coerce") == 7].sort_values("id")
    pn = src["peacenow"].sort_values(["name", "establishment"])
    pairs, report = match(cbs, pn)
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
                "population_year": 2021,
                "founded": None if pj is None else int(pn.at[pj, "establishment"]),
                "cbs_code": int(r["id"]),
                "source": _CBS + ("" if pj is None else f"; {_PN}"),
                "geometry": r.geometry,
            }
        )
    matched = set(pairs.values())
    for pj, r in pn.iterrows():
        if pj in matched:
            continue
        if not west_bank.contains(r.geometry):
            report.table.loc[(report.table["list"] == "peacenow") & (report.table["name"] == r["name"]), "status"] = (
                "outside_west_bank"
            )
            log.info("settlements: Peace Now row %r lies outside the West Bank; left out", r["name"])
            continue
        in_ej = _within_m(r.geometry, east_jerusalem, _EJ_TOLERANCE_M)
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
                "founded": int(r["establishment"]),
                "cbs_code": None,
                "source": f"{_PN}; not in the CBS list, so no population",
                "geometry": r.geometry,
            }
        )
    for r in facts.read("jerusalem_neighbourhoods"):
        if r["clinton_rule"] != "IL" or r["neighbourhood_id"] == "jewish-quarter":
            continue
        rows.append(
            {
                "settlement_id": f"ej-{r['neighbourhood_id']}",
                "name": r["name"],
                "cbs_name": "",
                "name_he": r["name_he"] or None,
                "kind": "east_jerusalem_neighbourhood",
                "population": int(r["population"]) if r["population"] else None,
                "population_year": int(r["population_year"]) if r["population_year"] else None,
                "founded": int(r["founded"]) if r["founded"] else None,
                "cbs_code": None,
                "source": r["source"],
                "geometry": shapely.Point(float(r["lon"]), float(r["lat"])),
            }
        )
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    gdf["bloc"] = _blocs(gdf)
    gdf["zone_id"] = assign_zones(gdf, zones, "settlements", max_km=1.0).to_numpy()
    if gdf["settlement_id"].duplicated().any():
        dup = gdf.loc[gdf["settlement_id"].duplicated(), "settlement_id"].iloc[0]
        raise SourceError(f"settlements: duplicate id {dup!r}; two rows share a name in the Peace Now list.")
    n_un = len(report.unmatched)
    log.info(
        "settlements: %d CBS rows, %d Peace Now rows, %d matched, %d unmatched (see the match report)",
        len(cbs),
        len(pn),
        len(pairs),
        n_un,
    )
    return gdf.drop(columns="cbs_name").reset_index(drop=True), report


def settlers_by_zone(settlements: gpd.GeoDataFrame) -> pd.Series:
    """Total known settlement population per zone id."""
    pop = pd.to_numeric(settlements["population"], errors="coerce").fillna(0)
    return pd.Series(pop.groupby(settlements["zone_id"]).sum().astype("int64"))
