"""Schemas of the shipped layers: columns, types, allowed values, geometry types."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["LAYER_NAMES", "SCHEMAS", "Column", "LayerSchema"]


@dataclass(frozen=True)
class Column:
    """One property column of a layer."""

    name: str
    kind: str  # "str", "int", "float" or "bool"
    nullable: bool = False
    allowed: frozenset[str] | None = None
    doc: str = ""


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
    name: str, kind: str = "str", nullable: bool = False, allowed: tuple[str, ...] | None = None, doc: str = ""
) -> Column:
    return Column(name, kind, nullable, frozenset(allowed) if allowed else None, doc)


_POLY = frozenset({"Polygon", "MultiPolygon"})
_LINE = frozenset({"LineString", "MultiLineString"})
_POINT = frozenset({"Point"})
_SRC = _c("source", doc="where the row's geometry and facts come from")

SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "line_1967",
            "feature_id",
            _POLY | _LINE,
            (
                _c("feature_id"),
                _c("kind", allowed=("armistice_line", "no_mans_land")),
                _c("segment", allowed=("west_bank", "jerusalem", "gaza", "latrun")),
                _c("name"),
                _c("length_km", "float", nullable=True, doc="line length (EPSG:2039); null for polygons"),
                _c("area_km2", "float", nullable=True, doc="equal-area km²; null for lines"),
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
                _c("area_km2", "float"),
                _SRC,
            ),
            "West Bank (incl. East Jerusalem) and Gaza Strip.",
            polygonal=True,
        ),
        LayerSchema(
            "crossings",
            "crossing_id",
            _POINT,
            (
                _c("crossing_id"),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("name_he", nullable=True),
                _c("kind", allowed=("border_terminal", "greenline_checkpoint", "internal_checkpoint")),
                _c("sides", allowed=("PS-IL", "PS-JO", "PS-EG", "internal")),
                _c("status", allowed=("open", "restricted", "closed")),
                _c("status_as_of", doc="YYYY-MM of the status"),
                _c("major", "bool", doc="one of the major crossings named in the plans"),
                _c("zone_id", doc="planning zone the crossing lies in"),
                _SRC,
            ),
            "Crossings a planner schedules.",
        ),
        LayerSchema(
            "obstacles",
            "obstacle_id",
            _POINT,
            (
                _c("obstacle_id"),
                _c("name"),
                _c("type_code", "int"),
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
                _c("zone_id"),
                _SRC,
            ),
            "OCHA 2025 West Bank closure survey points.",
        ),
        LayerSchema(
            "settlements",
            "settlement_id",
            _POINT,
            (
                _c("settlement_id"),
                _c("name"),
                _c("name_he", nullable=True),
                _c("kind", allowed=("settlement", "east_jerusalem_neighbourhood", "hebron_enclave")),
                _c("population", "int", nullable=True),
                _c("population_year", "int", nullable=True),
                _c("founded", "int", nullable=True),
                _c("bloc", nullable=True),
                _c("cbs_code", "int", nullable=True),
                _c("zone_id"),
                _SRC,
            ),
            "Israeli settlements in the West Bank and East Jerusalem neighbourhoods beyond the 1967 line.",
        ),
        LayerSchema(
            "jerusalem",
            "feature_id",
            _POLY | _POINT,
            (
                _c("feature_id"),
                _c("kind", allowed=("east_jerusalem", "old_city", "holy_basin", "neighbourhood")),
                _c("name"),
                _c("name_ar", nullable=True),
                _c("name_he", nullable=True),
                _c("clinton_rule", nullable=True, allowed=("IL", "PS")),
                _c("schematic", "bool"),
                _c("area_km2", "float", nullable=True),
                _SRC,
            ),
            "Jerusalem arrangements.",
        ),
        LayerSchema(
            "oslo_areas",
            "area_id",
            _POLY,
            (
                _c("area_id"),
                _c(
                    "oslo_class",
                    allowed=("A", "B", "C", "H1", "H2", "nature_reserve", "east_jerusalem", "no_mans_land"),
                ),
                _c("area_km2", "float"),
                _c("share_pct", "float", doc="percent of the West Bank"),
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
                _c("zone_id"),
                _c("name"),
                _c("governorate"),
                _c("territory", allowed=("west_bank", "gaza")),
                _c("oslo", nullable=True, allowed=("A", "B", "C", "H2", "EJ")),
                _c("area_km2", "float"),
                _c("population", "int", doc="Palestinian population estimate (see SOURCES.md)"),
                _c("settlers", "int", doc="sum of settlements' population in the zone"),
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
                _c("feature_id"),
                _c("kind", allowed=("country", "sea")),
                _c("name"),
                _SRC,
            ),
            "Neighbouring countries and the sea, for maps without a tile server.",
        ),
    )
}

LAYER_NAMES: tuple[str, ...] = tuple(SCHEMAS)
