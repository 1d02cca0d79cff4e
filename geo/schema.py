"""Schemas of the shipped layers: columns, types, allowed values, ranges, id patterns, geometry types.

Every number in a layer must be finite; a column's ``minimum`` / ``maximum`` narrow that further, so a
negative population or an area of ``Infinity`` is an error instead of a value drawn on a map.  Ids (and
columns referring to ids) match :data:`ID_PATTERN`: plans and outputs join ids with ``/``
(``zone/north/security``), so an id holding ``/``, a space or a control character would be read back
as a different id, or silently drop out of a comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["ID_PATTERN", "ID_RULE", "LAYER_NAMES", "MAX_EXACT_INT", "SCHEMAS", "Column", "LayerSchema"]

#: What every id, and every reference to an id, must match in full.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
#: :data:`ID_PATTERN` in words, for messages.
ID_RULE = (
    "an id uses only letters, digits, '-', '_' and '.' (no '/', which joins ids, no spaces), "
    "starts with a letter or digit and has at most 64 characters"
)
#: Largest whole number a JSON reader (IEEE doubles) and a 64-bit integer both hold exactly.
MAX_EXACT_INT = 2**53 - 1


@dataclass(frozen=True)
class Column:
    """One property column of a layer.

    ``minimum`` and ``maximum`` bound a number (inclusive).  ``pattern`` is a regular expression a
    text value must match in full; ``pattern_rule`` says it in words for error messages.
    """

    name: str
    kind: str  # "str", "int", "float" or "bool"
    nullable: bool = False
    allowed: frozenset[str] | None = None
    doc: str = ""
    minimum: float | None = None
    maximum: float | None = None
    pattern: re.Pattern[str] | None = None
    pattern_rule: str = ""


@dataclass(frozen=True)
class LayerSchema:
    """The schema of one layer."""

    name: str
    id_column: str
    geometry: frozenset[str]
    columns: tuple[Column, ...]
    doc: str = ""
    polygonal: bool = field(default=False)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Column names in file order."""
        return tuple(c.name for c in self.columns)


def _c(
    name: str,
    kind: str = "str",
    nullable: bool = False,
    allowed: tuple[str, ...] | None = None,
    doc: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> Column:
    if kind == "int":
        maximum = MAX_EXACT_INT if maximum is None else maximum
        minimum = -MAX_EXACT_INT if minimum is None else minimum
    return Column(name, kind, nullable, frozenset(allowed) if allowed else None, doc, minimum, maximum)


def _id(name: str, doc: str = "", nullable: bool = False) -> Column:
    """An id column, or a column naming another layer's ids (``nullable`` where a feature may name none)."""
    return Column(name, "str", nullable, doc=doc, pattern=ID_PATTERN, pattern_rule=ID_RULE)


def _count(name: str, nullable: bool = False, doc: str = "") -> Column:
    """A number of people: whole, zero or more."""
    return _c(name, "int", nullable, doc=doc, minimum=0)


def _measure(name: str, nullable: bool = False, doc: str = "") -> Column:
    """An area or a length: finite, zero or more."""
    return _c(name, "float", nullable, doc=doc, minimum=0.0)


def _year(name: str, doc: str = "") -> Column:
    return _c(name, "int", nullable=True, doc=doc, minimum=1800, maximum=2100)


_POLY = frozenset({"Polygon", "MultiPolygon"})
_LINE = frozenset({"LineString", "MultiLineString"})
_POINT = frozenset({"Point"})
_MONTH = re.compile(r"(19|20)\d\d-(0[1-9]|1[0-2])")
_SRC = _c("source", doc="where the row's geometry and facts come from")

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "line_1967",
            "feature_id",
            _POLY | _LINE,
            (
                _id("feature_id"),
                _c("kind", allowed=("armistice_line", "no_mans_land")),
                _c("segment", allowed=("west_bank", "jerusalem", "gaza", "latrun")),
                _c("name"),
                _measure("length_km", nullable=True, doc="line length (EPSG:2039); null for polygons"),
                _measure("area_km2", nullable=True, doc="equal-area km²; null for lines"),
                _SRC,
            ),
            "The 1949 Armistice Demarcation Line (Green Line) and the no-man's-land polygons.",
        ),
        LayerSchema(
            "territories",
            "territory_id",
            _POLY,
            (
                _c("territory_id", allowed=("west_bank", "gaza")),
                _c("name"),
                _c("name_ar"),
                _measure("area_km2"),
                _SRC,
            ),
            "West Bank (incl. East Jerusalem) and Gaza Strip.",
            polygonal=True,
        ),
        LayerSchema(
            "dead_sea",
            "feature_id",
            _POLY,
            (
                _id("feature_id"),
                _c("name"),
                _c("schematic", "bool"),
                _measure("area_km2", doc="equal-area km²"),
                _SRC,
            ),
            "The West Bank's share of the Dead Sea's water, from the shore (where the territories' West Bank stops) "
            "to the median line (schematic).",
            polygonal=True,
        ),
        LayerSchema(
            "crossings",
            "crossing_id",
            _POINT,
            (
                _id("crossing_id"),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("name_he", nullable=True),
                _c(
                    "kind",
                    allowed=(
                        "border_terminal",
                        "greenline_checkpoint",
                        "jerusalem_line_crossing",
                        "east_jerusalem_checkpoint",
                        "internal_checkpoint",
                    ),
                ),
                _c("sides", allowed=("PS-IL", "PS-JO", "PS-EG", "internal")),
                _c("status", allowed=("open", "restricted", "closed")),
                Column(
                    "status_as_of",
                    "str",
                    doc="YYYY-MM of the status",
                    pattern=_MONTH,
                    pattern_rule="write the month as YYYY-MM",
                ),
                _c("major", "bool", doc="one of the major crossings named in the plans"),
                _c("operator", nullable=True, doc="who operates the crossing today"),
                _count("people_per_day", nullable=True, doc="people a day, as published"),
                _count("trucks_per_day", nullable=True, doc="trucks a day, as published"),
                _year("capacity_year", doc="year of the published figures"),
                _c("capacity_source", nullable=True, doc="citation of the published figures"),
                _id("zone_id", doc="planning zone the crossing lies in"),
                _SRC,
            ),
            "Crossings a planner schedules.",
        ),
        LayerSchema(
            "obstacles",
            "obstacle_id",
            _POINT,
            (
                _id("obstacle_id"),
                _c("name"),
                _c("type_code", "int", minimum=1, maximum=99),
                _c(
                    "type",
                    allowed=(
                        "checkpoint",
                        "partial_checkpoint",
                        "open_road_gate",
                        "earthmound",
                        "road_block",
                        "closed_road_gate",
                        "partial_checkpoint_closed_gate",
                        "partial_checkpoint_open_gate",
                    ),
                ),
                _c("type_abbrev", allowed=("CHK", "PCP", "ORG", "EMD", "RDB", "CRG", "PCC", "PCO")),
                _c("governorate"),
                _c("survey", allowed=("Feb2025", "Nov2025")),
                _id("zone_id"),
                _SRC,
            ),
            "OCHA 2025 West Bank closure survey points.",
        ),
        LayerSchema(
            "settlements",
            "settlement_id",
            _POINT,
            (
                _id("settlement_id"),
                _c("name"),
                _c("name_he", nullable=True),
                _c("kind", allowed=("settlement", "east_jerusalem_neighbourhood", "hebron_enclave")),
                _count("population", nullable=True, doc="latest published figure"),
                _year("population_year"),
                _c("population_source", nullable=True, doc="citation of the population figure"),
                _year("founded"),
                _c("bloc", nullable=True),
                _c("cbs_code", "int", nullable=True, minimum=0),
                _id("zone_id"),
                _SRC,
            ),
            "Israeli settlements in the West Bank (settlers) and East Jerusalem neighbourhoods beyond the 1967 line "
            "(Israelis in East Jerusalem).",
        ),
        LayerSchema(
            "settlement_areas",
            "area_id",
            _POLY,
            (
                _id("area_id"),
                _id("settlement_id", doc="the settlement the footprint belongs to; null if unmatched", nullable=True),
                _c("name"),
                _c("in_east_jerusalem", "bool"),
                _c("match", allowed=("matched_name", "matched_location", "alias", "unmatched")),
                _measure("area_km2"),
                _SRC,
            ),
            "Built-up footprints of the settlements (Peace Now 2021, via UN OCHA oPt).",
            polygonal=True,
        ),
        LayerSchema(
            "localities",
            "locality_id",
            _POINT,
            (
                _id("locality_id"),
                _c("pcode", nullable=True, doc="PCBS locality code, or OCHA's code for communities PCBS does not list"),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("type", allowed=("city", "town", "village", "camp", "bedouin_herding")),
                _c("governorate"),
                _c("territory", allowed=("west_bank", "gaza")),
                _id("zone_id"),
                _count("population_2017", nullable=True, doc="census 2017 count (older figure where stated)"),
                _c("population_2017_source"),
                _id("counted_with", doc="locality whose figure includes this one", nullable=True),
                _count("population", nullable=True, doc="projected to population_year"),
                _year("population_year"),
                _SRC,
            ),
            "Palestinian localities with their census population.",
        ),
        LayerSchema(
            "israeli_localities",
            "locality_id",
            _POINT,
            (
                _id("locality_id", doc="cbs- + the CBS locality code"),
                _c("name"),
                _c("name_he", nullable=True),
                _count("population", nullable=True, doc="CBS total population at the end of 2021"),
                _year("population_year"),
                _c("cbs_code", "int", minimum=0),
                _SRC,
            ),
            "Israeli localities of the CBS localities file outside the West Bank, Gaza and the Golan, with their "
            "2021 population.",
        ),
        LayerSchema(
            "barrier",
            "feature_id",
            _LINE | _POINT,
            (
                _id("feature_id"),
                _c("kind", allowed=("route", "gate")),
                _c("name", nullable=True),
                _c("status", nullable=True, allowed=("constructed", "under_construction", "projected")),
                _c("barrier_type", nullable=True, allowed=("concrete", "fence")),
                _measure("length_km", nullable=True, doc="EPSG:2039 length; null for gates"),
                _measure("inside_west_bank_km", nullable=True),
                _id("segment_id", doc="for a gate, the route segment it is on", nullable=True),
                _id(
                    "zone_id",
                    doc="planning zone: of a segment, where most of its length runs; of a gate, its segment's",
                ),
                _SRC,
            ),
            "The West Bank barrier route (OCHA, January 2018) and its gates (OCHA 2025).",
        ),
        LayerSchema(
            "seam_zone",
            "feature_id",
            _POLY,
            (
                _id("feature_id"),
                _c("name"),
                _measure("area_km2"),
                _c("share_pct", "float", doc="percent of the West Bank", minimum=0.0, maximum=100.0),
                _count("localities", nullable=True),
                _count("population", nullable=True),
                _c("includes_east_jerusalem", "bool"),
                _id("zone_id", doc="planning zone holding most of the part's area"),
                _SRC,
            ),
            "West Bank land between the barrier and the 1967 line.",
            polygonal=True,
        ),
        LayerSchema(
            "links",
            "link_id",
            _LINE,
            (
                _id("link_id"),
                _c("name"),
                _c("route", allowed=("southern", "northern")),
                _c("status", allowed=("operated_1999_2000", "proposed")),
                _id("from_crossing"),
                _id("to_crossing"),
                _measure("length_km"),
                _measure("published_length_km", nullable=True),
                _c("schematic", "bool"),
                _SRC,
            ),
            "Gaza - West Bank links (schematic routes compiled from cited waypoints).",
        ),
        LayerSchema(
            "regions",
            "region_id",
            _POLY,
            (
                _id("region_id"),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("name_he", nullable=True),
                _c("rule", doc="how the region is drawn, reproducibly"),
                _measure("area_km2"),
                _c("share_pct", "float", doc="percent of the West Bank", minimum=0.0, maximum=100.0),
                _measure("published_km2", nullable=True),
                _SRC,
            ),
            "Named planning regions beyond governorates (the Jordan Valley).",
            polygonal=True,
        ),
        LayerSchema(
            "firing_zones",
            "zone_id",
            _POLY,
            (
                _id("zone_id"),
                _c("name"),
                _c("number", nullable=True),
                _c("declared", nullable=True, doc="date declared, YYYY-MM-DD"),
                _measure("area_km2"),
                _c("share_pct", "float", doc="percent of the West Bank", minimum=0.0, maximum=100.0),
                _SRC,
            ),
            "Israeli firing zones (closed military areas) in the West Bank (OCHA).",
            polygonal=True,
        ),
        LayerSchema(
            "early_warning_sites",
            "site_id",
            _POINT,
            (
                _id("site_id"),
                _c("name"),
                _c("proposal", allowed=("clinton_2000", "geneva_2003")),
                _c("description"),
                _c("schematic", "bool"),
                _SRC,
            ),
            "Early-warning stations proposed in the Clinton Parameters and the Geneva Accord (schematic).",
        ),
        LayerSchema(
            "jerusalem",
            "feature_id",
            _POLY,
            (
                _id("feature_id"),
                _c(
                    "kind",
                    allowed=("east_jerusalem", "old_city", "quarter", "holy_site", "holy_basin", "neighbourhood"),
                ),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("name_he", nullable=True),
                _c("clinton_rule", nullable=True, allowed=("IL", "PS")),
                _count("population", nullable=True),
                _year("population_year"),
                _c("schematic", "bool"),
                _measure("area_km2", nullable=True),
                _SRC,
            ),
            "Jerusalem arrangements: East Jerusalem, the Old City and its quarters, the holy sites, the Holy Basin "
            "and the neighbourhoods.",
        ),
        LayerSchema(
            "oslo_areas",
            "area_id",
            _POLY,
            (
                _id("area_id"),
                _c(
                    "oslo_class",
                    allowed=("A", "B", "C", "H1", "H2", "nature_reserve", "east_jerusalem", "no_mans_land"),
                ),
                _measure("area_km2"),
                _c("share_pct", "float", doc="percent of the West Bank", minimum=0.0, maximum=100.0),
                _SRC,
            ),
            "Oslo II areas of the West Bank.",
            polygonal=True,
        ),
        LayerSchema(
            "zones",
            "zone_id",
            _POLY,
            (
                _id("zone_id"),
                _c("name"),
                _c("governorate"),
                _c("territory", allowed=("west_bank", "gaza")),
                _c("oslo", nullable=True, allowed=("A", "B", "C", "H2", "EJ")),
                _measure("area_km2"),
                _id("region", doc="planning region the zone lies in (regions layer)", nullable=True),
                _count("population", doc="sum of the zone's localities, projected (see SOURCES.md)"),
                _count("population_2017", doc="sum of the zone's localities at the 2017 census"),
                _count("settlers", doc="West Bank settlers: sum of the zone's settlements and the Hebron enclave"),
                _count("israelis_ej", doc="Israelis in the zone's East Jerusalem neighbourhoods"),
                _SRC,
            ),
            "Default planning zones: a gap-free, overlap-free coverage of the West Bank and Gaza.",
            polygonal=True,
        ),
        LayerSchema(
            "basemap",
            "feature_id",
            _POLY,
            (
                _id("feature_id"),
                _c("kind", allowed=("country", "sea")),
                _c("name"),
                _SRC,
            ),
            "Neighbouring countries and the sea, for maps without a tile server.",
        ),
    )
}

LAYER_NAMES: tuple[str, ...] = tuple(SCHEMAS)
