"""Border scenario files: the format, strict loading, and errors at ``file:line:col``.

A scenario says which settlements (by id or name) or blocs Israel annexes, how their built-up areas are
buffered and joined to the 1967 line, whether East Jerusalem is divided by the Clinton rule, and the ratio of
the land swap; it cites its sources and the published figures it should reproduce, with their denominator.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import PlanError, PlanIssue
from ..plan.yamlio import Document
from ..plan.yamlio import load as load_yaml

__all__ = [
    "DENOMINATOR_NAMES",
    "SCHEMA_FILE",
    "Annex",
    "LoadedScenario",
    "Published",
    "SafePassage",
    "Scenario",
    "Swap",
    "SwapArea",
    "load_scenario",
    "schema_text",
]

#: The denominators every figure is measured on (see :mod:`geo.border.compute`).
DENOMINATOR_NAMES = (
    "west_bank",
    "west_bank_without_east_jerusalem",
    "west_bank_without_no_mans_land",
    "west_bank_with_dead_sea",
    "west_bank_and_gaza",
    "west_bank_and_gaza_with_dead_sea",
)
Denominator = Literal[
    "west_bank",
    "west_bank_without_east_jerusalem",
    "west_bank_without_no_mans_land",
    "west_bank_with_dead_sea",
    "west_bank_and_gaza",
    "west_bank_and_gaza_with_dead_sea",
]
LINE = r"^[^\x00-\x1f\x7f]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Annex(_Model):
    """What Israel annexes: settlements' built-up areas, buffered, joined to the line by corridors."""

    settlements: list[str] = Field(default_factory=list, description="settlement ids or names")
    blocs: list[str] = Field(default_factory=list, description="bloc names of the settlements layer")
    near_line_km: float = Field(
        0.0, ge=0, le=30, allow_inf_nan=False, description="also every settlement within this distance of the line"
    )
    settlers_pct: float = Field(
        0.0, ge=0, le=100, allow_inf_nan=False, description="then the settlements nearest the line, to this share"
    )
    exclude: list[str] = Field(default_factory=list, description="settlement ids or names left out after the above")
    buffer_m: float = Field(300.0, ge=0, le=5000, allow_inf_nan=False, description="buffer around built-up areas")
    corridor_m: float = Field(500.0, ge=0, le=10000, allow_inf_nan=False, description="width of the corridors")
    jerusalem: Literal["none", "clinton_rule"] = Field("none", description="East Jerusalem's Israeli neighbourhoods")
    jerusalem_except: list[str] = Field(
        default_factory=list, description="Israeli neighbourhoods (jerusalem layer names) the Clinton rule leaves out"
    )


class SwapArea(_Model):
    """A swap area as a published description places it: land around a named Israeli place, of a given size."""

    near: str | None = Field(None, min_length=1, description="an Israeli locality (israeli_localities id or name)")
    at: list[Annotated[float, Field(allow_inf_nan=False)]] | None = Field(
        None, min_length=2, max_length=2, description="or a point [longitude, latitude] in Israel"
    )
    km2: float = Field(gt=0, le=1000, allow_inf_nan=False)
    source: str = Field(min_length=1, pattern=LINE)

    @model_validator(mode="after")
    def _one_place(self) -> SwapArea:
        if (self.near is None) == (self.at is None):
            raise ValueError("give either near: (an Israeli locality) or at: [longitude, latitude]")
        return self


class Swap(_Model):
    """Land Israel gives in return: described areas first, then land grown along the line up to the ratio."""

    ratio: float = Field(0.0, ge=0, le=5, allow_inf_nan=False, description="of the annexed area, in all")
    areas: list[SwapArea] = Field(default_factory=list)
    avoid_localities_m: float = Field(
        1000.0, ge=0, le=5000, allow_inf_nan=False, description="keep the swap this far from Israeli localities"
    )


class SafePassage(_Model):
    """The Gaza - West Bank link across Israel, as a strip of land the scenario reports (and may count in the swap)."""

    link: str = Field(min_length=1, description="a link id of layers/links.geojson")
    width_m: float = Field(100.0, gt=0, le=5000, allow_inf_nan=False)
    counted: bool = Field(False, description="count its land in the swap (some proposals did, Olmert's did not)")


class Published(_Model):
    """A figure the scenario should reproduce, and the denominator it was published on."""

    figure: Literal["annexed_pct", "swapped_pct", "settlers_annexed_pct"]
    value: float = Field(ge=0, le=100, allow_inf_nan=False)
    denominator: Denominator
    tolerance_pp: float = Field(0.3, ge=0, le=100, allow_inf_nan=False)
    source: str = Field(min_length=1, pattern=LINE)
    note: str = ""


class Scenario(_Model):
    """A border scenario."""

    name: str = Field(min_length=1, pattern=LINE)
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    annex: Annex = Field(default_factory=Annex)
    swap: Swap = Field(default_factory=Swap)
    safe_passage: SafePassage | None = None
    published: list[Published] = Field(default_factory=list)


#: The scenario format's JSON Schema, committed in ``plans/borders/`` for editors.
SCHEMA_FILE = "scenario.schema.json"


def schema_text() -> str:
    """The JSON Schema of the scenario format as committed text (sorted keys, 2-space indent, trailing newline)."""
    schema: dict[str, Any] = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "landplan border scenario"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass
class LoadedScenario:
    """A validated scenario with the document it was read from (for positions)."""

    scenario: Scenario
    doc: Document

    def at(self, *path: str | int) -> tuple[str, int, int]:
        """``(file, line, col)`` of the value at ``path``."""
        return (str(self.doc.path), *self.doc.where(tuple(path)))


def load_scenario(path: Path | str) -> LoadedScenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path : path
        The YAML file.

    Returns
    -------
    LoadedScenario

    Raises
    ------
    PlanError
        With ``file:line:col`` and a fix for every problem.
    """
    doc = load_yaml(Path(path))
    if not isinstance(doc.data, dict):
        raise PlanError(
            [
                PlanIssue.at(
                    (str(path), 1, 1),
                    "a scenario is a mapping (name:, annex:, ...)",
                    "start from plans/borders/green-line.yaml",
                )
            ]
        )
    try:
        sc = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(x for x in err["loc"] if isinstance(x, str | int))
            where = ".".join(str(x) for x in loc) or "scenario"
            fix = (
                "remove it"
                if err["type"] == "extra_forbidden"
                else "correct the value (see README, 'Border scenarios')"
            )
            at = (*loc, "__key__") if err["type"] == "extra_forbidden" and (*loc, "__key__") in doc.positions else loc
            issues.append(PlanIssue.at((str(path), *doc.where(at)), f"{where}: {err['msg']}", fix))
        raise PlanError(issues) from None
    return LoadedScenario(sc, doc)
