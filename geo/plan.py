"""Phase plans: the YAML format, its models, loading with positions, and semantic validation.

A plan says, per zone, how the security track (``idf`` -> ``international`` ->
``palestinian``) and the movement track (``closure`` -> ... -> ``residence``)
advance: each step is a task with a duration, troops, windows and
preconditions.  :func:`load` reads a plan (and the defaults it ``extends``),
validates it, and :func:`compile_plan` turns it into a :class:`Problem` of
zone-level tasks for the scheduler.  Every error names ``file:line:col``.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import PlanError, PlanIssue
from .yamlio import Document
from .yamlio import load as load_yaml

__all__ = ["SCHEMA_FILE", "LoadedPlan", "Origin", "Plan", "json_schema", "load", "schema_text"]

SCHEMA_FILE = "plan.schema.json"
NonNeg = Annotated[int, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Meta(_Model):
    """Who and what the plan is."""

    name: str = Field(min_length=1, description="the plan's title")
    start: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="first month of the plan, YYYY-MM")
    unit: Literal["month"] = Field("month", description="time unit of every duration and date")
    description: str = ""
    sources: list[str] = Field(default_factory=list, description="where the plan's numbers come from")
    assumptions: list[str] = Field(default_factory=list)


class After(_Model):
    """A precondition: a gate, a crossing, or a state reached (in this zone, a named zone or a group)."""

    gate: str | None = None
    crossing: str | None = None
    zone: str | None = Field(None, description="zone whose state is awaited (default: the same zone)")
    group: str | None = Field(None, description="every zone of this group ('all' for every zone)")
    security: str | None = Field(None, description="security state to await")
    movement: str | None = Field(None, description="movement level to await")
    lag: NonNeg = Field(0, description="months to wait after the precondition holds")

    @model_validator(mode="after")
    def _one_target(self) -> After:
        kinds = sum(x is not None for x in (self.gate, self.crossing, self.security or self.movement))
        if kinds != 1 or (self.security is not None and self.movement is not None):
            raise ValueError("name exactly one of: gate, crossing, security state or movement level")
        if self.zone is not None and self.group is not None:
            raise ValueError("name a zone or a group, not both")
        if (self.gate or self.crossing) and (self.zone or self.group):
            raise ValueError("zone/group only go with a security state or movement level")
        return self


class TroopRule(_Model):
    """Troops as a function of the zone: base + rates per population, area and settlers."""

    base: NonNeg = 0
    per_1000_people: float = Field(0.0, ge=0)
    per_100_km2: float = Field(0.0, ge=0)
    per_1000_settlers: float = Field(0.0, ge=0)


Troops = NonNeg | TroopRule


class SecurityStep(_Model):
    """The transition into one security state."""

    duration: NonNeg = Field(description="months the handover takes")
    troops: Troops = Field(0, description="international troops needed while the handover runs")
    hold_troops: Troops = Field(0, description="troops needed while this state holds (until the next step ends)")
    earliest: NonNeg | None = Field(None, description="earliest start month (0 = plan start)")
    latest: NonNeg | None = Field(None, description="month by which the step must be complete")
    after: list[After] = Field(default_factory=list)


class MovementStep(_Model):
    """The transition into one movement level."""

    duration: NonNeg
    min_months_at_previous: NonNeg = Field(0, description="months the previous level must hold first")
    requires_security: str | None = Field(None, description="security state the zone must have reached")
    requires_crossing: bool = Field(False, description="a crossing serving the zone must be open")
    earliest: NonNeg | None = None
    latest: NonNeg | None = None
    after: list[After] = Field(default_factory=list)


class Security(_Model):
    """The security track."""

    states: list[str] = Field(default_factory=lambda: ["idf", "international", "palestinian"], min_length=2)
    steps: dict[str, SecurityStep]


class Movement(_Model):
    """The movement track."""

    levels: list[str] = Field(
        default_factory=lambda: ["closure", "internal", "permits", "free_movement", "residence"], min_length=2
    )
    steps: dict[str, MovementStep]


class ZoneOverride(_Model):
    """Per-zone (or per-group) changes to step fields, e.g. ``{security: {palestinian: {latest: 60}}}``."""

    security: dict[str, dict[str, Any]] = Field(default_factory=dict)
    movement: dict[str, dict[str, Any]] = Field(default_factory=dict)


class Zones(_Model):
    """Which zones the plan uses, named groups, and overrides."""

    use: Literal["all"] | list[str] = "all"
    groups: dict[str, list[str]] = Field(default_factory=dict)
    overrides: dict[str, ZoneOverride] = Field(default_factory=dict)


class CrossingPlan(_Model):
    """When a crossing opens (or is upgraded) and which zones it serves."""

    id: str
    serves: list[str] = Field(description="zones or groups the crossing serves")
    duration: NonNeg = 0
    earliest: NonNeg | None = None
    latest: NonNeg | None = None
    after: list[After] = Field(default_factory=list)
    capacity_per_day: NonNeg = 0


class TroopPeriod(_Model):
    """International troops available from a month on."""

    from_: NonNeg = Field(alias="from")
    available: NonNeg


class Resources(_Model):
    """The international force's troops over time, and a limit on concurrent handovers."""

    troops: list[TroopPeriod] = Field(min_length=1)
    max_concurrent_handovers: int | None = Field(None, ge=1)


class Gate(_Model):
    """A named benchmark (e.g. a security review) lasting at least ``min_duration`` months."""

    min_duration: NonNeg
    earliest: NonNeg | None = None
    after: list[After] = Field(default_factory=list)


class Objective(_Model):
    """What the schedule optimises."""

    minimize: Literal["completion", "population_weighted_time"] = "completion"
    level: str | None = Field(None, description="movement level for population_weighted_time")


class Plan(_Model):
    """A phase plan."""

    extends: str | None = Field(None, description="defaults file (same folder) this plan builds on")
    meta: Meta
    horizon: int = Field(120, ge=1, le=600, description="last month considered")
    zones: Zones = Field(default_factory=Zones)
    security: Security
    movement: Movement
    crossings: list[CrossingPlan] = Field(default_factory=list)
    resources: Resources
    gates: dict[str, Gate] = Field(default_factory=dict)
    objective: Objective = Field(default_factory=Objective)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the plan format (committed as ``plans/plan.schema.json``)."""
    schema = Plan.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "landplan phase plan"
    return schema


def _all_field_names() -> set[str]:
    names: set[str] = set()
    for model in (
        Meta,
        After,
        TroopRule,
        SecurityStep,
        MovementStep,
        Security,
        Movement,
        ZoneOverride,
        Zones,
        CrossingPlan,
        TroopPeriod,
        Resources,
        Gate,
        Objective,
        Plan,
    ):
        for name, f in model.model_fields.items():
            names.add(f.alias or name)
    return names


_FIELDS = _all_field_names()
Origin = tuple[str, int, int]


@dataclass
class LoadedPlan:
    """A validated plan with the origin (file, line, col) of every value."""

    plan: Plan
    origins: dict[tuple[str | int, ...], Origin]
    path: Path

    def at(self, *path: str | int) -> Origin:
        """Origin of the value at ``path`` (or of its nearest ancestor)."""
        p = tuple(path)
        while p:
            if p in self.origins:
                return self.origins[p]
            p = p[:-1]
        return (str(self.path), 1, 1)

    def issue(self, path: tuple[str | int, ...], message: str, fix: str) -> PlanIssue:
        """A :class:`PlanIssue` at ``path``."""
        f, line, col = self.at(*path)
        return PlanIssue(f, line, col, message, fix)


def _origins(doc: Document) -> dict[tuple[str | int, ...], Origin]:
    return {k: (str(doc.path), line, col) for k, (line, col) in doc.positions.items()}


def _merge(base: Any, over: Any) -> Any:
    """Deep-merge mappings (the plan wins); lists and scalars are replaced whole."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


def _suggest(word: str, options: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(sorted(options)[:12])}"


def _validation_issues(exc: ValidationError, lp_origins: dict[Any, Origin], path: Path) -> list[PlanIssue]:
    issues = []
    for err in exc.errors():
        loc = tuple(
            x
            for x in err["loc"]
            if not (isinstance(x, str) and x in ("int", "TroopRule", "list[str]", "literal['all']"))
        )
        key = loc[-1] if loc else ""
        probe = loc
        origin = None
        if err["type"] == "extra_forbidden":
            origin = lp_origins.get((*loc, "__key__"))
        while origin is None and probe:
            origin = lp_origins.get(probe)
            probe = probe[:-1]
        f, line, col = origin or (str(path), 1, 1)
        where = ".".join(str(x) for x in loc) or "plan"
        if err["type"] == "extra_forbidden":
            msg, fix = (
                f"unknown key '{key}' in {'.'.join(str(x) for x in loc[:-1]) or 'the plan'}",
                _suggest(str(key), _FIELDS),
            )
        elif err["type"] == "missing":
            msg, fix = f"{where} is required", f"add '{key}:' here"
        else:
            msg, fix = f"{where}: {err['msg']}", "correct the value (see plans/plan.schema.json)"
        issues.append(PlanIssue(f, line, col, msg, fix))
    return issues


def load(path: Path | str) -> LoadedPlan:
    """Load and validate a plan file (and the defaults file it extends).

    Parameters
    ----------
    path : path
        The plan's YAML file.

    Returns
    -------
    LoadedPlan

    Raises
    ------
    PlanError
        Listing every problem with ``file:line:col`` and a fix.
    """
    p = Path(path)
    doc = load_yaml(p)
    if not isinstance(doc.data, dict):
        raise PlanError(
            [
                PlanIssue(
                    str(p),
                    1,
                    1,
                    "a plan is a mapping of keys (meta:, security:, ...)",
                    "start from plans/reference.yaml",
                )
            ]
        )
    data = doc.data
    origins = _origins(doc)
    ext = data.get("extends")
    if ext is not None:
        if not isinstance(ext, str) or "/" in ext or "\\" in ext or not ext.endswith((".yaml", ".yml")):
            line, col = doc.where(("extends",))
            raise PlanError(
                [
                    PlanIssue(
                        str(p),
                        line,
                        col,
                        "extends: must name a .yaml file in the same folder",
                        "write e.g. 'extends: defaults.yaml'",
                    )
                ]
            )
        base = load_yaml(p.parent / ext)
        if isinstance(base.data, dict) and "extends" in base.data:
            line, col = base.where(("extends",))
            raise PlanError(
                [
                    PlanIssue(
                        str(base.path),
                        line,
                        col,
                        "a defaults file cannot extend another",
                        "merge the two defaults files",
                    )
                ]
            )
        data = _merge(base.data, data)
        origins = {**_origins(base), **origins}  # paths replaced by the plan point into the plan
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(_validation_issues(exc, origins, p)) from None
    return LoadedPlan(plan, origins, p)


def schema_text() -> str:
    """The JSON Schema as committed text (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
