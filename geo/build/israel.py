"""Israel beside the territories: its CBS localities, and the West Bank's share of the Dead Sea.

A border scenario swaps Israeli land to Palestine, so it must know who lives there and avoid Israeli towns:
:func:`build_israeli_localities` gives every CBS locality of Israel (outside the Judea and Samaria district,
which the settlements layer covers) as a point with its 2021 population.

Published West Bank areas differ by whether they count the Dead Sea's water (the Palestinian mission to the
UN gives 5,860 km² "including the northwest quarter of the Dead Sea" and a land area of 5,640 km²).  OCHA's
West Bank polygon stops at the north-west shore, while Natural Earth's Palestine runs to the median line, so
:func:`build_dead_sea` takes the water between the two: the West Bank's share of the Dead Sea, a polygon
that touches the West Bank along the shore and overlaps it nowhere.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from ..crs import METRIC_CRS, STORE_CRS, area_km2
from ..errors import SourceError

__all__ = [
    "DEAD_SEA_COLUMNS",
    "GOLAN_SUB_DISTRICT",
    "ISRAELI_LOCALITY_COLUMNS",
    "ISRAEL_TOLERANCE_M",
    "JUDEA_SAMARIA_DISTRICT",
    "build_dead_sea",
    "build_israeli_localities",
]

log = logging.getLogger(__name__)

#: Columns of the ``israeli_localities`` layer, in order (plus ``geometry``).
ISRAELI_LOCALITY_COLUMNS = ("locality_id", "name", "name_he", "population", "population_year", "cbs_code", "source")
#: Columns of the ``dead_sea`` layer, in order (plus ``geometry``).
DEAD_SEA_COLUMNS = ("feature_id", "name", "schematic", "area_km2", "source")
#: CBS district of the West Bank settlements ("Judea and Samaria"), left to the settlements layer.
JUDEA_SAMARIA_DISTRICT = 7
#: CBS sub-district of the Golan Heights (district 2, "גולן"): outside Israel's pre-1967 territory and outside
#: Natural Earth's Israel (German point of view), so its localities are left out.
GOLAN_SUB_DISTRICT = 29
#: A kept locality must lie this close (m) to Natural Earth's Israel.  Natural Earth 1:10m is coarse: CBS points
#: of Israeli localities fall up to 2.2 km outside it (Gadot, by the Jordan), inside its Palestine along the
#: 1967 line (Baqa al-Gharbiyye) or in its Jordan (the Arava).  A point farther away is a coordinate error.
ISRAEL_TOLERANCE_M = 3_000.0

_CBS = "Israel CBS localities file 2021 (bycode2021): name, locality code and point"
_CBS_FIGURE = "; total population at the end of 2021: {pop:,}"
_CBS_NO_FIGURE = "; the file gives no population for this locality"
_CBS_YEAR = 2021
_DEAD_SEA_ID = "dead-sea-west-bank"
_DEAD_SEA_SOURCE = (
    "Natural Earth 1:10m admin-0 countries v5.1.1 (public domain): Palestine's polygon, which runs to the "
    "median line of the Dead Sea, less the OCHA COD-AB West Bank (territories layer), which stops at the "
    "north-west shore; schematic: the median line and its southern end are Natural Earth's few straight "
    "segments, and the shore is OCHA's outline of an undated shoreline"
)
#: Pieces of Natural Earth's Palestine outside OCHA's West Bank smaller than this (km²) are slivers of the
#: two sources' different drawing of the Jordan River (the largest 1.2 km²), not the Dead Sea (155 km²).
_MIN_PIECE_KM2 = 10.0
#: A piece this close (m) to Natural Earth's Jordan is on the Jordan side of the West Bank.
_TOUCH_M = 1.0


def _frame_row(basemap: gpd.GeoDataFrame, feature_id: str) -> BaseGeometry:
    rows = basemap[basemap["feature_id"] == feature_id]
    if len(rows) != 1:
        raise SourceError(
            f"basemap: no single feature {feature_id!r} (Natural Earth); the Israel layers need it. "
            "Use Natural Earth admin-0 v5.1.1 with ADM0_A3 ISR, PSX and JOR."
        )
    geom: BaseGeometry = rows.geometry.iloc[0]
    return geom


def _territory(territories: gpd.GeoDataFrame, territory_id: str) -> BaseGeometry:
    geom: BaseGeometry = territories.loc[territories["territory_id"] == territory_id].geometry.iloc[0]
    return geom


def _candidates(cbs: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """CBS rows of Israel: every district but Judea and Samaria, less the Golan sub-district."""
    district = pd.to_numeric(cbs["district_id"], errors="coerce")
    sub = pd.to_numeric(cbs["sub_district_id"], errors="coerce")
    keep = (district != JUDEA_SAMARIA_DISTRICT) & (sub != GOLAN_SUB_DISTRICT)
    log.info(
        "israeli_localities: %d CBS rows, %d of Judea and Samaria and %d of the Golan left out",
        len(cbs),
        int((district == JUDEA_SAMARIA_DISTRICT).sum()),
        int((sub == GOLAN_SUB_DISTRICT).sum()),
    )
    return cbs[keep]


def _check_in_israel(points: gpd.GeoDataFrame, israel: BaseGeometry) -> None:
    """Every kept point must lie near Natural Earth's Israel (measured in EPSG:2039), else its coordinates are bad."""
    metric = points.to_crs(METRIC_CRS)
    israel_m = gpd.GeoSeries([israel], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    far = metric[metric.distance(israel_m) > ISRAEL_TOLERANCE_M]
    if len(far):
        r = far.iloc[0]
        raise SourceError(
            f"israel-cbs-localities/localities_bycode2021.csv: locality {int(r['id'])} ({r['name_en']}) lies more "
            f"than {ISRAEL_TOLERANCE_M:,.0f} m from Israel. Check its coordinates."
        )


def _locality_rows(kept: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    pop = pd.to_numeric(kept["population"], errors="coerce")
    has = pop.notna()
    frame = gpd.GeoDataFrame(
        {
            "locality_id": [f"cbs-{int(c)}" for c in kept["id"]],
            "name": kept["name_en"].astype(str).str.strip().to_numpy(),
            "name_he": kept["name"].astype(str).str.strip().to_numpy(),
            "population": pd.array(pop.round(), dtype="Int64"),
            "population_year": pd.array([_CBS_YEAR if h else None for h in has], dtype="Int64"),
            "cbs_code": pd.array(kept["id"].astype(int), dtype="Int64"),
            "source": [
                _CBS + (_CBS_FIGURE.format(pop=int(p)) if h else _CBS_NO_FIGURE) for p, h in zip(pop, has, strict=True)
            ],
        },
        geometry=kept.geometry.to_numpy(),
        crs=STORE_CRS,
    )
    return frame.sort_values("locality_id").reset_index(drop=True)


def build_israeli_localities(
    src: dict[str, gpd.GeoDataFrame], territories: gpd.GeoDataFrame, basemap: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Build the ``israeli_localities`` layer: CBS localities of Israel, outside the West Bank and Gaza.

    Kept: rows of the CBS localities file 2021 outside the Judea and Samaria district (the settlements layer)
    and the Golan sub-district, whose point lies outside the West Bank and the Gaza Strip (territories layer:
    the three CBS localities in the Latrun no-man's land are left out, and logged).  The Israel polygon of the
    basemap is too coarse to decide along the 1967 line, where a swap takes land, so it only checks each
    point's coordinates (:data:`ISRAEL_TOLERANCE_M`).

    Parameters
    ----------
    src : dict of GeoDataFrame
        Validated sources (``src["cbs"]``).
    territories : GeoDataFrame
        The territories layer (EPSG:4326).
    basemap : GeoDataFrame
        The basemap layer (feature ``country-isr``).

    Returns
    -------
    GeoDataFrame
        :data:`ISRAELI_LOCALITY_COLUMNS` and point geometry, sorted by ``locality_id``.

    Raises
    ------
    SourceError
        If a kept point lies far from Israel (the CBS file's columns are checked by :mod:`.sources`).
    """
    cands = _candidates(src["cbs"])
    occupied = shapely.union_all([_territory(territories, t) for t in ("west_bank", "gaza")])
    inside = cands.geometry.within(occupied)
    for _, r in cands[inside].sort_values("id").iterrows():
        log.info("israeli_localities: %s (%d) lies in the West Bank polygon; left out", r["name_en"], int(r["id"]))
    kept = cands[~inside]
    _check_in_israel(kept, _frame_row(basemap, "country-isr"))
    out = _locality_rows(kept)
    log.info("israeli_localities: %d localities, %d people (2021)", len(out), int(out["population"].sum()))
    return out


def _water_pieces(palestine: BaseGeometry, territories: gpd.GeoDataFrame, jordan: BaseGeometry) -> list[Polygon]:
    """Parts of Natural Earth's Palestine outside OCHA's territories that border Jordan and are not slivers."""
    rest = shapely.difference(palestine, shapely.union_all(list(territories.geometry.values)))
    parts = [g for g in getattr(rest, "geoms", [rest]) if isinstance(g, Polygon) and not g.is_empty]
    if not parts:
        return []
    series = gpd.GeoSeries(parts, crs=STORE_CRS)
    km2 = area_km2(series, "dead_sea")
    jordan_m = gpd.GeoSeries([jordan], crs=STORE_CRS).to_crs(METRIC_CRS).iloc[0]
    near = series.to_crs(METRIC_CRS).distance(jordan_m) <= _TOUCH_M
    return [p for p, a, n in zip(parts, km2, near, strict=True) if n and a >= _MIN_PIECE_KM2]


def build_dead_sea(territories: gpd.GeoDataFrame, basemap: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build the ``dead_sea`` layer: the West Bank's share of the Dead Sea's water, between shore and median line.

    The territories' West Bank (OCHA) stops at the shore, so figures on it are already "without the Dead Sea";
    this polygon is what a denominator "with the Dead Sea" adds.  It is the part of Natural Earth's Palestine
    outside the territories that borders Natural Earth's Jordan (pieces under 10 km², slivers of the two
    sources' Jordan River, are dropped); the difference is taken in EPSG:4326 so its western edge is exactly
    the West Bank's.

    Parameters
    ----------
    territories : GeoDataFrame
        The territories layer (EPSG:4326).
    basemap : GeoDataFrame
        The basemap layer (features ``country-psx`` and ``country-jor``).

    Returns
    -------
    GeoDataFrame
        One row, :data:`DEAD_SEA_COLUMNS`, ``schematic`` true, ``area_km2`` in the equal-area CRS.

    Raises
    ------
    SourceError
        If the sources do not give exactly one such piece.
    """
    pieces = _water_pieces(_frame_row(basemap, "country-psx"), territories, _frame_row(basemap, "country-jor"))
    if len(pieces) != 1:
        raise SourceError(
            f"dead_sea: {len(pieces)} parts of Natural Earth's Palestine outside the OCHA West Bank border Jordan "
            "(expected the Dead Sea alone). Check the Natural Earth and OCHA admin 1 sources."
        )
    geom = shapely.set_precision(pieces[0], 1e-6)
    frame = gpd.GeoDataFrame(
        {
            "feature_id": [_DEAD_SEA_ID],
            "name": ["Dead Sea, West Bank share (shore to median line)"],
            "schematic": [True],
            "source": [_DEAD_SEA_SOURCE],
        },
        geometry=[geom],
        crs=STORE_CRS,
    )
    frame["area_km2"] = area_km2(frame, "dead_sea").round(2)
    log.info("dead_sea: %.1f km²", float(frame["area_km2"].iloc[0]))
    return frame
