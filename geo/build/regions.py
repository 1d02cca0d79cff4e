"""Named planning regions beyond governorates, first the Jordan Valley.

A region is drawn by a rule stated in the compiled table ``geo/build/data/regions.csv``: the West Bank land
within a cited width of one stretch of the West Bank's outline (for the Jordan Valley, the stretch facing
Jordan: the Jordan River and the northern Dead Sea shore), plus whole governorates the cited definition
names.  The width comes from a published description of the region, never from fitting its published area,
so the measured area is a check of the rule rather than its input.

The planning zones are cut along each region in :func:`geo.build.boundaries.build_boundaries`, so a plan
can address the region exactly; the region's polygon is then the union of the zones that lie in it
(:func:`build_regions`), which keeps the two layers in exact agreement.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from ..crs import STORE_CRS, area_km2
from ..errors import LayerError, SourceError
from ..schema import ID_PATTERN, ID_RULE
from . import facts

__all__ = ["BORDERS", "REGION_FLOOR_KM2", "RegionRule", "build_regions", "read_rules"]

log = logging.getLogger(__name__)

#: A piece of a zone cut off by a region's edge that is smaller than this (km²) rejoins its zone across the edge.
REGION_FLOOR_KM2 = 1.0
#: Outline stretches a rule may measure from: key in regions.csv -> words for the rule text.
BORDERS: dict[str, str] = {
    "jordan": (
        "the West Bank's border with Jordan (the stretch of the OCHA outline facing Jordan in Natural Earth: "
        "the Jordan River and the northern Dead Sea shore)"
    ),
}

_TABLE = "geo/build/data/regions.csv"
_COLUMNS = (
    "region_id",
    "name",
    "name_ar",
    "name_he",
    "zone_suffix",
    "border",
    "width_km",
    "governorates",
    "published_km2",
    "source",
)
_SUFFIX = re.compile(r"[a-z0-9]{1,8}")
_MAX_WIDTH_KM = 50.0
_GEOMETRY_SOURCE = (
    "OCHA oPt / HDX cod-ab-pse v01 (CC BY 3.0 IGO): West Bank outline and governorates; "
    "Natural Earth 1:10m admin-0 v5.1.1 (public domain): which neighbour each outline stretch faces"
)


@dataclass(frozen=True)
class RegionRule:
    """One region's rule, as compiled in ``geo/build/data/regions.csv``.

    Attributes
    ----------
    region_id, name, name_ar, name_he : str
        Identity and names (the other-language names may be None).
    zone_suffix : str
        Appended to the id of a zone's inside part when the region cuts the zone (``jericho-c`` ->
        ``jericho-c-jv``).
    border : str
        The outline stretch the width is measured from (a key of :data:`BORDERS`).
    width_km : float
        How far from that stretch the region reaches into the West Bank.
    governorates : tuple of str
        Governorates (OCHA ``adm2_name``) the region holds whole, whatever their distance.
    published_km2 : float or None
        The published area the measured one is compared with.
    source : str
        Citations for the width, the governorates, the published area and the names.
    """

    region_id: str
    name: str
    name_ar: str | None
    name_he: str | None
    zone_suffix: str
    border: str
    width_km: float
    governorates: tuple[str, ...]
    published_km2: float | None
    source: str

    @property
    def rule(self) -> str:
        """The rule in words, as the regions layer states it."""
        text = f"West Bank land within {self.width_km:g} km of {BORDERS[self.border]}"
        if self.governorates:
            text += f", plus the whole of {' and '.join(self.governorates)} governorate"
        return (
            f"{text}; planning zones are cut along its edge, slivers under 0.05 km² go to the neighbouring zone "
            f"they share most border with, and pieces cut off under {REGION_FLOOR_KM2:g} km² rejoin their zone "
            "across the edge; the region is the union of the zones inside"
        )

    def reach(self, borders: Mapping[str, BaseGeometry]) -> BaseGeometry:
        """The land within the rule's width of its outline stretch (metres, EPSG:2039).

        Parameters
        ----------
        borders : mapping of str to geometry
            Outline stretches in EPSG:2039, keyed as in :data:`BORDERS`.

        Returns
        -------
        shapely geometry
            A polygon not yet clipped to the West Bank: faces outside the West Bank are dropped when the
            zones are cut, so clipping here would only add near-duplicate edges to the noding.
        """
        return shapely.buffer(borders[self.border], self.width_km * 1000.0)

    def contains(self, reach: BaseGeometry, points: np.ndarray, governorate: np.ndarray) -> np.ndarray:
        """Which of the zone faces (by an interior point and their governorate) lie in the region.

        Parameters
        ----------
        reach : shapely geometry
            From :meth:`reach`.
        points : array of Point
            One interior point per face (EPSG:2039).
        governorate : array of str
            The face's governorate (OCHA ``adm2_name``), "" where none.

        Returns
        -------
        numpy.ndarray of bool
        """
        inside = np.asarray(shapely.contains_properly(reach, points), dtype=bool)
        return inside | np.isin(governorate, list(self.governorates))


def _field(row: dict[str, str], column: str, where: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise SourceError(f"{where}: column {column!r} is empty; fill it in {_TABLE}.")
    return value


def _number(row: dict[str, str], column: str, where: str, maximum: float) -> float:
    text = _field(row, column, where)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (0.0 < value <= maximum):
        raise SourceError(
            f"{where}: {column} is {text!r}; it must be a number of kilometres (square kilometres for an area) "
            f"above 0 and at most {maximum:g}. Fix it in {_TABLE}."
        )
    return value


def _rule(row: dict[str, str], where: str) -> RegionRule:
    rid = _field(row, "region_id", where)
    if not ID_PATTERN.fullmatch(rid):
        raise SourceError(f"{where}: region_id {rid!r} is not a valid id: {ID_RULE}. Fix it in {_TABLE}.")
    suffix = _field(row, "zone_suffix", where)
    if not _SUFFIX.fullmatch(suffix):
        raise SourceError(
            f"{where}: zone_suffix {suffix!r} must be 1 to 8 lower-case letters or digits. Fix it in {_TABLE}."
        )
    border = _field(row, "border", where)
    if border not in BORDERS:
        raise SourceError(f"{where}: border {border!r} is unknown; known: {', '.join(BORDERS)}. Fix it in {_TABLE}.")
    published = (row.get("published_km2") or "").strip()
    return RegionRule(
        region_id=rid,
        name=_field(row, "name", where),
        name_ar=(row.get("name_ar") or "").strip() or None,
        name_he=(row.get("name_he") or "").strip() or None,
        zone_suffix=suffix,
        border=border,
        width_km=_number(row, "width_km", where, _MAX_WIDTH_KM),
        governorates=tuple(g.strip() for g in (row.get("governorates") or "").split(";") if g.strip()),
        published_km2=_number(row, "published_km2", where, 6000.0) if published else None,
        source=_field(row, "source", where),
    )


def read_rules(rows: Sequence[dict[str, str]] | None = None) -> list[RegionRule]:
    """Read and check the region rules, sorted by id.

    Parameters
    ----------
    rows : sequence of dict, optional
        Rows as :func:`geo.build.facts.read` returns them; by default ``regions.csv`` itself (tests pass
        altered rows).

    Returns
    -------
    list of RegionRule

    Raises
    ------
    SourceError
        If a column is missing, a cell is empty or out of range, or two rows share an id or a suffix; the
        message names the row and the fix.
    """
    rows = facts.read("regions") if rows is None else rows
    if not rows:
        raise SourceError(f"{_TABLE} has no rows; add the Jordan Valley row back.")
    missing = [c for c in _COLUMNS if c not in rows[0]]
    if missing:
        raise SourceError(f"{_TABLE} has no column(s) {missing}; its header must be {','.join(_COLUMNS)}.")
    rules = [_rule(r, f"{_TABLE} row {i} ({r.get('region_id') or '?'})") for i, r in enumerate(rows, start=2)]
    for attr in ("region_id", "zone_suffix"):
        values = [getattr(r, attr) for r in rules]
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise SourceError(f"{_TABLE}: {attr} {dup[0]!r} is used by more than one row; make it unique.")
    return sorted(rules, key=lambda r: r.region_id)


def build_regions(
    zones: gpd.GeoDataFrame, territories: gpd.GeoDataFrame, rules: Sequence[RegionRule] | None = None
) -> gpd.GeoDataFrame:
    """The regions layer: each region as the union of the planning zones that lie in it.

    Drawing the region from the zones (rather than from the rule's raw polygon) keeps the two layers in
    exact agreement: the zones marked with a region cover it with no gap and no overlap.

    Parameters
    ----------
    zones : GeoDataFrame
        Planning zones (EPSG:4326) with the ``region`` column set by the boundary build.
    territories : GeoDataFrame
        Territories (EPSG:4326) with ``territory_id`` and ``area_km2``: shares are of the West Bank.
    rules : sequence of RegionRule, optional
        The rules the zones were cut by; by default :func:`read_rules`.

    Returns
    -------
    GeoDataFrame
        EPSG:4326, one row per region sorted by ``region_id``, with the columns ``region_id``, ``name``,
        ``name_ar``, ``name_he``, ``rule``, ``area_km2``, ``share_pct``, ``published_km2``, ``source`` and
        ``geometry``.

    Raises
    ------
    LayerError
        If no zone lies in a region (the zones were built without the rule).
    """
    rules = read_rules() if rules is None else sorted(rules, key=lambda r: r.region_id)
    wb = territories.set_index("territory_id").loc["west_bank", "area_km2"]
    rows: list[dict[str, object]] = []
    for rule in rules:
        part = zones[zones["region"] == rule.region_id]
        if part.empty:
            raise LayerError(
                f"regions: no zone lies in {rule.region_id!r}; build the zones with "
                "geo.build.boundaries.build_boundaries, which cuts them along every region."
            )
        geom = shapely.coverage_union_all(part.geometry.values)
        rows.append(
            {
                "region_id": rule.region_id,
                "name": rule.name,
                "name_ar": rule.name_ar,
                "name_he": rule.name_he,
                "rule": rule.rule,
                "published_km2": rule.published_km2,
                "source": f"{_GEOMETRY_SOURCE}; rule and figures: {rule.source}",
                "geometry": geom,
            }
        )
    cols = ["region_id", "name", "name_ar", "name_he", "rule", "area_km2", "share_pct", "published_km2", "source"]
    if not rows:
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=STORE_CRS)
    gdf = gpd.GeoDataFrame(rows, crs=STORE_CRS)
    gdf["area_km2"] = area_km2(gdf).round(3)
    gdf["share_pct"] = (100.0 * gdf["area_km2"] / float(wb)).round(2)
    for r in gdf.itertuples():
        log.info("regions: %s %.1f km² (%.2f %% of the West Bank)", r.region_id, r.area_km2, r.share_pct)
    return gpd.GeoDataFrame(gdf[cols], geometry=gdf.geometry.values, crs=STORE_CRS).reset_index(drop=True)
