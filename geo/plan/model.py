"""Phase plans: the YAML format, its models, loading with positions, and semantic validation.

A plan says, per zone, how the security track (``idf`` -> ``international`` ->
``palestinian``) and the movement track (``closure`` -> ... -> ``residence``)
advance: each step is a task with a duration, troops, windows and
preconditions.  :func:`load` reads a plan (and the defaults it ``extends``),
validates it, and :func:`compile_plan` turns it into a :class:`Problem` of
zone-level tasks for the scheduler.  Every error names ``file:line:col``.

A plan is untrusted input, so the models bound every value, not only its type:

- every number is finite and bounded: months within :data:`MAX_HORIZON`, troops up to :data:`MAX_TROOPS`,
  troop rates up to :data:`MAX_RATE`, crossing capacities up to :data:`MAX_CAPACITY`, nothing negative;
- names that build task ids (zones, groups, gates, crossings, states, levels) are one line, non-empty and hold
  no ``/``, because task ids join them with ``/``;
- every other name (``meta.name``) is one line.  Tabs and line breaks are allowed only in free text:
  ``meta.description``, ``meta.sources`` and ``meta.assumptions`` (a folded paragraph is ordinary there); every
  other control character is refused by :mod:`geo.plan.yamlio` anywhere in the file;
- a zone listed twice (in ``zones.use``, a group or a crossing's ``serves``), or a state or level listed twice,
  is an error at the repeat, so nothing is counted twice.

At most :data:`MAX_ISSUES` problems are listed, then one line counting the rest.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import PlanError, PlanIssue
from .checks import repeated_names
from .yamlio import Document, char_name
from .yamlio import load as load_yaml

__all__ = [
    "ID_PATTERN",
    "MAX_CAPACITY",
    "MAX_CONCURRENT",
    "MAX_HORIZON",
    "MAX_ISSUES",
    "MAX_RATE",
    "MAX_TROOPS",
    "SCHEMA_FILE",
    "LoadedPlan",
    "Origin",
    "Plan",
    "json_schema",
    "limit_issues",
    "load",
    "schema_text",
]

SCHEMA_FILE = "plan.schema.json"

#: Longest horizon, and so the largest month, duration or lag a plan may name.
MAX_HORIZON = 600
#: Most troops any one value may name.
MAX_TROOPS = 10_000_000
#: Largest troop rate (per 1,000 people, per 100 km² or per 1,000 settlers).
MAX_RATE = 100_000.0
#: Largest crossing capacity, in people per day.
MAX_CAPACITY = 10_000_000
#: Most concurrent handovers a plan may allow.
MAX_CONCURRENT = 10_000
#: Most problems listed in one error; the rest are counted on one line.
MAX_ISSUES = 50

#: A name that builds task ids: one line, not empty, no '/'.
ID_PATTERN = r"^[^/\x00-\x1f\x7f]+$"
#: A one-line text: no tab, no line break.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
#: A defaults file named by ``extends:``: a .yaml file name, no folder, one line.
EXTENDS_PATTERN = r"^[^/\\\x00-\x1f\x7f]+\.(yaml|yml)$"
#: A month YYYY-MM from 1900-01 to 2199-12 (dates stay within every date library's range, horizon included).
START_PATTERN = r"^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$"

Id = Annotated[str, Field(pattern=ID_PATTERN)]
Month = Annotated[int, Field(ge=0, le=MAX_HORIZON)]
TroopCount = Annotated[int, Field(ge=0, le=MAX_TROOPS)]
Rate = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class Meta(_Model):
    """Who and what the plan is."""

    name: str = Field(min_length=1, pattern=LINE_PATTERN, description="the plan's title (one line)")
    start: str = Field(pattern=START_PATTERN, description="first month of the plan, YYYY-MM (1900-01 to 2199-12)")
    unit: Literal["month"] = Field("month", description="time unit of every duration and date")
    description: str = Field("", description="free text; may hold line breaks")
    sources: list[str] = Field(default_factory=list, description="where the plan's numbers come from")
    assumptions: list[str] = Field(default_factory=list)


class After(_Model):
    """A precondition: a gate, a crossing, or a state reached (in this zone, a named zone or a group)."""

    gate: Id | None = None
    crossing: Id | None = None
    zone: Id | None = Field(None, description="zone whose state is awaited (default: the same zone)")
    group: Id | None = Field(None, description="every zone of this group ('all' for every zone)")
    security: Id | None = Field(None, description="security state to await")
    movement: Id | None = Field(None, description="movement level to await")
    lag: Month = Field(0, description="months to wait after the precondition holds")

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

    base: TroopCount = 0
    per_1000_people: Rate = 0.0
    per_100_km2: Rate = 0.0
    per_1000_settlers: Rate = 0.0


Troops = TroopCount | TroopRule


class SecurityStep(_Model):
    """The transition into one security state."""

    duration: Month = Field(description="months the handover takes")
    troops: Troops = Field(0, description="international troops needed while the handover runs")
    hold_troops: Troops = Field(0, description="troops needed while this state holds (until the next step ends)")
    earliest: Month | None = Field(None, description="earliest start month (0 = plan start)")
    latest: Month | None = Field(None, description="month by which the step must be complete")
    after: list[After] = Field(default_factory=list)
    skip: bool = Field(False, description="zones pass over this state (set per zone or group in zones.overrides)")


class MovementStep(_Model):
    """The transition into one movement level."""

    duration: Month
    min_months_at_previous: Month = Field(0, description="months the previous level must hold first")
    requires_security: Id | None = Field(None, description="security state the zone must have reached")
    requires_crossing: bool = Field(False, description="a crossing serving the zone must be open")
    earliest: Month | None = None
    latest: Month | None = None
    after: list[After] = Field(default_factory=list)
    skip: bool = Field(False, description="zones pass over this level (set per zone or group in zones.overrides)")


class Security(_Model):
    """The security track."""

    states: list[Id] = Field(default_factory=lambda: ["idf", "international", "palestinian"], min_length=2)
    steps: dict[Id, SecurityStep]


class Movement(_Model):
    """The movement track."""

    levels: list[Id] = Field(default_factory=lambda: ["closure", "internal", "permits", "free_movement"], min_length=2)
    steps: dict[Id, MovementStep]


class ZoneOverride(_Model):
    """Per-zone (or per-group) changes to step fields, e.g. ``{security: {palestinian: {latest: 60}}}``."""

    security: dict[Id, dict[str, Any]] = Field(default_factory=dict)
    movement: dict[Id, dict[str, Any]] = Field(default_factory=dict)


class Zones(_Model):
    """Which zones the plan uses, named groups, and overrides."""

    use: Literal["all"] | list[Id] = "all"
    groups: dict[Id, list[Id]] = Field(default_factory=dict)
    overrides: dict[Id, ZoneOverride] = Field(default_factory=dict)


class CrossingPlan(_Model):
    """When a crossing opens, which zones it serves, who runs it and how many it lets through."""

    id: Id
    serves: list[Id] = Field(description="zones or groups the crossing serves")
    open_at_start: bool = Field(False, description="the crossing is open at month 0 (then no window)")
    duration: Month = 0
    earliest: Month | None = None
    latest: Month | None = None
    after: list[After] = Field(default_factory=list)
    regime: Regime = Field("israeli", description="who runs it when it opens")
    partner: Id | None = None
    capacity_per_day: PerDay = Field(0, description="people per day when it opens")
    trucks_per_day: PerDay = Field(0, description="trucks per day when it opens")
    regimes: list[RegimeStep] = Field(default_factory=list, description="later regimes, in order")


class TroopPeriod(_Model):
    """International troops available from a month on."""

    from_: Month = Field(alias="from")
    available: TroopCount


class Resources(_Model):
    """The international force's troops over time, and a limit on concurrent handovers."""

    troops: list[TroopPeriod] = Field(min_length=1)
    max_concurrent_handovers: int | None = Field(None, ge=1, le=MAX_CONCURRENT)


class Gate(_Model):
    """A named benchmark (e.g. a security review) lasting at least ``min_duration`` months."""

    min_duration: Month
    earliest: Month | None = None
    after: list[After] = Field(default_factory=list)


class Baseline(_Model):
    """Where a zone's tracks stand at month 0 (default: the first state of each ladder)."""

    security: Id | None = Field(None, description="security state at month 0")
    movement: Id | None = Field(None, description="movement level at month 0")


class Window(_Model):
    """When something starts: no earlier than ``earliest``, after its preconditions, done by ``latest``."""

    duration: Month = 0
    earliest: Month | None = None
    latest: Month | None = None
    after: list[After] = Field(default_factory=list)


#: A crossing's management regimes: who runs it.
Regime = Literal["israeli", "palestinian", "international", "joint"]
#: People or trucks per day.
PerDay = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]
#: People per year.
PerYear = Annotated[int, Field(ge=0, le=MAX_CAPACITY)]


class RegimeStep(Window):
    """A crossing's move into a management regime, with its capacity under that regime."""

    regime: Regime
    partner: Id | None = Field(None, description="third party of a joint regime (e.g. jordan, egypt, eubam)")
    people_per_day: PerDay = 0
    trucks_per_day: PerDay = 0


class LinkStep(Window):
    """The Gaza-West Bank link's move into one of its states, with the capacity of that state."""

    people_per_day: PerDay | None = Field(None, description="people a day (default: as in the state before)")
    trucks_per_day: PerDay | None = Field(None, description="trucks a day (default: as in the state before)")


#: The states of a Gaza-West Bank link, in order.
LINK_STATES = ("closed", "escorted_convoys", "open_to_people", "open_to_goods")


class LinkPlan(_Model):
    """A Gaza-West Bank link (from the ``links`` layer) and the steps that open it."""

    id: Id = Field(description="link id in the links layer")
    steps: dict[Literal["escorted_convoys", "open_to_people", "open_to_goods"], LinkStep] = Field(min_length=1)


class Demand(_Model):
    """People and trucks a day wanting to cross, shared equally by the crossings named, from a month on."""

    id: Id
    kind: Literal["workers", "trade", "family_visits", "other"]
    crossings: list[Id] = Field(min_length=1, description="planned crossings sharing the demand equally")
    people_per_day: PerDay = 0
    trucks_per_day: PerDay = 0
    from_: Month = Field(0, alias="from", description="first month of the demand")
    ramp_months: Month = Field(0, description="months over which it grows linearly to its full value")
    source: str = Field("", pattern=LINE_PATTERN, description="where the figure comes from")


class ResidualPresence(_Model):
    """A residual Israeli presence at fixed sites under the international force's authority, until an end month."""

    zones: list[Id] = Field(min_length=1, description="zones or groups where it stays")
    during: Id = Field(description="security state under whose authority it stays (e.g. international)")
    sites: list[Id] = Field(default_factory=list, description="early_warning_sites ids, where sited")
    site_count: int = Field(0, ge=0, le=MAX_CAPACITY, description="fixed sites, when the text gives no places")
    ends: Month = Field(description="month the presence ends; the zones' next security step waits for it")
    source: str = Field("", pattern=LINE_PATTERN)


class EarlyWarning(_Model):
    """An early-warning station kept by a plan, with the months it is reviewed."""

    id: Id
    site: Id | None = Field(None, description="early_warning_sites id, when the station is sited")
    from_: Month = Field(0, alias="from")
    until: Month | None = Field(None, description="month it closes (default: it stays past the horizon)")
    review_every: Month = Field(0, description="months between reviews (0: never reviewed)")
    source: str = Field("", pattern=LINE_PATTERN)


class Quota(_Model):
    """People of one state taking up residence in the other: a yearly quota (year 1, 2, ...; the last repeats)."""

    per_year: list[PerYear] = Field(default_factory=list, description="quota of year 1, 2, ...; the last repeats")


class IsraeliQuota(Quota):
    """Israelis taking up residence in Palestine, and the settlers who stay."""

    settlers_staying_pct: float = Field(
        0.0, ge=0, le=100, allow_inf_nan=False, description="% of settlers staying as residents of Palestine"
    )


class PalestinianQuota(Quota):
    """Palestinians taking up residence in Israel, and refugees on top."""

    refugees_per_year: list[PerYear] = Field(default_factory=list, description="Palestinian refugees, on top")


class Residence(_Model):
    """Residence across the border in agreed numbers, both ways, from the month the ledger opens."""

    opens: Window = Field(default_factory=Window)
    israelis_in_palestine: IsraeliQuota = Field(default_factory=IsraeliQuota)
    palestinians_in_israel: PalestinianQuota = Field(default_factory=PalestinianQuota)
    parity: bool = Field(False, description="each year's quotas are the smaller of the two")
    settlers_on: Id | None = Field(None, description="security state from which a zone's staying settlers count")


class ObstacleStep(Window):
    """Removal of one type of obstacle, zone by zone (preconditions name the zone's own states)."""


class BarrierStep(Window):
    """Removal of the barrier in some zones (its segments and gates there; the seam zone reconnected)."""

    id: Id
    zones: list[Id] = Field(min_length=1)


class Jerusalem(_Model):
    """How East Jerusalem's neighbourhoods are governed once the Israel Police hands over."""

    neighbourhoods: Literal["clinton_rule", "shared"] = "clinton_rule"
    zone: Id = Field("east-jerusalem", description="the zone of East Jerusalem")


class Objective(_Model):
    """What the schedule optimises."""

    minimize: Literal["completion", "population_weighted_time"] = "completion"
    level: Id | None = Field(None, description="movement level for population_weighted_time")


#: The milestones the map's story stops at (:func:`geo.figures.milestones` derives them from the plan's figures).
MilestoneKey = Literal[
    "start", "international", "link", "closure_ends", "idf_out", "obstacles", "residence", "free", "barrier", "end"
]
#: A plan's own caption for a milestone: one line of plain text.
Caption = Annotated[str, Field(min_length=1, max_length=300, pattern=LINE_PATTERN)]


class Plan(_Model):
    """A phase plan."""

    extends: str | None = Field(
        None, pattern=EXTENDS_PATTERN, description="defaults file (same folder) this plan builds on"
    )
    meta: Meta
    horizon: int = Field(120, ge=1, le=MAX_HORIZON, description="last month considered")
    zones: Zones = Field(default_factory=Zones)
    security: Security
    movement: Movement
    crossings: list[CrossingPlan] = Field(default_factory=list)
    resources: Resources
    gates: dict[Id, Gate] = Field(default_factory=dict)
    objective: Objective = Field(default_factory=Objective)
    baselines: dict[Id, Baseline] = Field(
        default_factory=dict, description="starting states by zone or group (later entries win)"
    )
    links: list[LinkPlan] = Field(default_factory=list)
    demand: list[Demand] = Field(default_factory=list)
    residual_presence: dict[Id, ResidualPresence] = Field(default_factory=dict)
    early_warning: list[EarlyWarning] = Field(default_factory=list)
    residence: Residence | None = None
    obstacles: dict[Id, ObstacleStep] = Field(
        default_factory=dict, description="removal per obstacle type; types not named go with the second level"
    )
    barrier: list[BarrierStep] = Field(default_factory=list)
    jerusalem: Jerusalem | None = None
    border: Id | None = Field(
        None, description="border scenario (a file of borders/ beside the plan) the plan's zones are cut to"
    )
    story: dict[MilestoneKey, Caption] = Field(
        default_factory=dict,
        description="the plan's own captions for the milestones of the map's story, shown beside the map's own",
    )


def _named_keys(node: Any) -> Any:
    """Write pydantic's ``patternProperties`` (constrained keys) as ``propertyNames`` + ``additionalProperties``.

    With ``patternProperties`` alone, a key that breaks the pattern would escape every check in an editor.
    """
    if isinstance(node, list):
        return [_named_keys(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: _named_keys(v) for k, v in node.items()}
    pattern_props = out.pop("patternProperties", None)
    if isinstance(pattern_props, dict) and len(pattern_props) == 1:
        ((pattern, value),) = pattern_props.items()
        out["propertyNames"] = {"pattern": pattern}
        out["additionalProperties"] = value
    elif pattern_props is not None:
        out["patternProperties"] = pattern_props
    return out


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the plan format (committed as ``plans/plan.schema.json``)."""
    schema: dict[str, Any] = _named_keys(Plan.model_json_schema(by_alias=True))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "landplan phase plan"
    return schema


Origin = tuple[str, int, int]
Loc = tuple[str | int, ...]


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
        return PlanIssue.at(self.at(*path), message, fix)


def limit_issues(issues: list[PlanIssue], most: int = MAX_ISSUES) -> list[PlanIssue]:
    """The first ``most`` issues, then one issue counting the rest.

    A plan with thousands of wrong names would otherwise print thousands of lines, hiding the first ones,
    which are usually the cause of the others.

    Parameters
    ----------
    issues : list of PlanIssue
        Every problem found, in plan order.
    most : int
        How many to list in full.

    Returns
    -------
    list of PlanIssue
        At most ``most + 1`` issues.
    """
    if len(issues) <= most:
        return list(issues)
    more = dataclasses.replace(
        issues[most],
        message=f"and {len(issues) - most:,} more problems, from here on",
        fix="fix the problems above first (one mistake often causes many) and check the plan again",
    )
    return [*issues[:most], more]


def _origins(doc: Document) -> dict[tuple[str | int, ...], Origin]:
    return {k: (str(doc.path), line, col) for k, (line, col) in doc.positions.items()}


def _merge(base: Any, over: Any) -> Any:
    """Deep-merge mappings (the plan wins); lists and scalars are replaced whole."""
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base[k], v) if k in base else v for k, v in over.items()}}
    return over


# -- where an error is and what it says --------------------------------------------------------------------------
@functools.cache
def _schema() -> dict[str, Any]:
    return json_schema()


def _resolve(node: Any) -> list[dict[str, Any]]:
    """The plain subschemas a schema node stands for (references followed, unions spread)."""
    if not isinstance(node, dict):
        return []
    if "$ref" in node:
        return _resolve(_schema()["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]])
    for union in ("anyOf", "oneOf", "allOf"):
        if union in node:
            return [r for sub in node[union] for r in _resolve(sub)]
    return [node]


def _schema_nodes(loc: Loc) -> list[dict[str, Any]]:
    """Every subschema that can describe the value at ``loc`` of a plan."""
    nodes = _resolve(_schema())
    for key in loc:
        nxt: list[dict[str, Any]] = []
        for n in nodes:
            if isinstance(key, int):
                nxt += _resolve(n.get("items"))
            elif key in n.get("properties", {}):
                nxt += _resolve(n["properties"][key])
            else:
                nxt += _resolve(n.get("additionalProperties"))
        nodes = nxt
    return nodes


def _fields_at(loc: Loc) -> list[str]:
    """The keys the model at ``loc`` accepts (those of the section where an unknown key was written)."""
    return sorted({k for n in _schema_nodes(loc) for k in n.get("properties", {})})


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of: {', '.join(options)}" if options else "remove it"


def _show(value: Any) -> str:
    """A value as the plan wrote it, short, never printing a raw control character."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) < 10**30 else f"a {len(str(abs(value))):,}-digit number"
    if isinstance(value, float) and math.isnan(value):
        return ".nan"
    if isinstance(value, float):
        return (".inf" if value > 0 else "-.inf") if math.isinf(value) else repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "an empty value"
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _num(x: float) -> str:
    """A bound as people write it: ``600``, ``100,000``, ``0.5``."""
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,}"


def _range_fix(loc: Loc) -> str:
    """'write a whole number from 0 to 600', from the schema's bounds at ``loc``."""
    nodes = [n for n in _schema_nodes(loc) if n.get("type") in ("integer", "number")]
    if not nodes:
        return "correct the value (see plans/plan.schema.json)"
    n = nodes[0]
    kind = "a whole number" if n["type"] == "integer" else "a number"
    if "minimum" in n and "maximum" in n:
        return f"write {kind} from {_num(n['minimum'])} to {_num(n['maximum'])}"
    if "minimum" in n:
        return f"write {kind} of at least {_num(n['minimum'])}"
    return f"write {kind}"


def _number_message(err: dict[str, Any], where: str, loc: Loc) -> tuple[str, str] | None:
    """Message and fix for a wrong number (None: the error is about something else)."""
    kind, value = err["type"], err.get("input")
    fix = _range_fix(loc)
    if isinstance(value, float) and math.isnan(value):
        return f"{where}: .nan is not a number", fix
    if isinstance(value, float) and math.isinf(value):
        return f"{where}: {_show(value)} is not a finite number", fix
    ctx = err.get("ctx") or {}
    if kind == "less_than_equal":
        return f"{where}: {_show(value)} is over the maximum of {_num(ctx['le'])}", fix
    if kind == "greater_than_equal":
        return f"{where}: {_show(value)} is below the minimum of {_num(ctx['ge'])}", fix
    if kind == "int_type" and isinstance(value, str) and re.fullmatch(r"[-+]?[0-9][0-9_.eE+-]*", value):
        return f"{where}: {_show(value)} is text, not a whole number", "write the number without quotes"
    if kind == "int_type":
        return f"{where}: {_show(value)} is not a whole number", fix
    if kind == "float_type":
        return f"{where}: {_show(value)} is not a number", fix
    return None


def _pattern_message(err: dict[str, Any], where: str, is_key: bool) -> tuple[str, str]:
    value = str(err.get("input"))
    pattern = (err.get("ctx") or {}).get("pattern")
    if pattern == START_PATTERN:
        return f"{where}: {_show(value)} is not a month YYYY-MM from 1900-01 to 2199-12", 'write e.g. "2027-01"'
    if value == "":
        return f"{where}: the name is empty", "write a name"
    subject = f"the name {_show(value)}" if is_key else _show(value)
    if pattern == ID_PATTERN and "/" in value:
        return (
            f"{where}: {subject} contains '/'",
            "use '-' instead: task ids are joined with '/', so a name with one would be misread",
        )
    ch = next((c for c in value if ord(c) < 0x20 or ord(c) == 0x7F), "")
    return (
        f"{where}: {subject} holds {char_name(ch) if ch else 'a character it may not hold'}",
        "keep names on one line without tabs; only meta.description, sources and assumptions may hold them",
    )


def _message(err: dict[str, Any], loc: Loc, schema_loc: Loc, where: str, is_key: bool) -> tuple[str, str]:
    kind = err["type"]
    if kind == "extra_forbidden":
        section = where.rsplit(".", 1)[0] if "." in where else "the plan"
        key = str(loc[-1])
        return f"unknown key {_show(key)} in {section}", _suggest(key, _fields_at(schema_loc[:-1]))
    if kind == "missing":
        return f"{where} is required", f"add '{loc[-1]}:' here"
    if kind == "string_pattern_mismatch":
        return _pattern_message(err, where, is_key)
    if kind == "literal_error":
        options = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        return f"{where}: {_show(err.get('input'))} is not one of the allowed values", _suggest(
            str(err.get("input")), options
        )
    number = _number_message(err, where, schema_loc)
    if number is not None:
        return number
    return f"{where}: {err['msg']}", "correct the value (see plans/plan.schema.json)"


_DICT_ERRORS = frozenset({"model_type", "model_attributes_type", "dict_type"})
_SCALAR_ERRORS = frozenset({"int_type", "float_type", "string_type", "literal_error", "bool_type"})


def _off_branch(err: dict[str, Any]) -> bool:
    """Whether the error is a union member's complaint that the value is of another member's kind."""
    value = err.get("input")
    if err["type"] in _DICT_ERRORS:
        return not isinstance(value, dict)
    if err["type"] == "list_type":
        return not isinstance(value, list)
    return err["type"] in _SCALAR_ERRORS and isinstance(value, dict | list)


_MISSING = object()


def _child(node: Any, key: Any) -> Any:
    """``node[key]`` when the data holds it, else :data:`_MISSING`."""
    if isinstance(node, dict) and isinstance(key, str):
        return node.get(key, _MISSING)
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _MISSING


def _data_loc(err: dict[str, Any], data: Any) -> tuple[Loc, bool, bool]:
    """The error's path in the data, whether it points at a key, and whether pydantic named union members in it."""
    out: list[str | int] = []
    node, tagged = data, False
    for i, x in enumerate(err["loc"]):
        if x == "[key]":
            return tuple(out), True, tagged
        child = _child(node, x)
        if child is not _MISSING:
            node = child
        elif not (err["type"] == "missing" and i == len(err["loc"]) - 1):
            tagged = True  # a union member's name, e.g. 'constrained-int' or 'TroopRule'
            continue
        out.append(x)
    return tuple(out), err["type"] == "extra_forbidden", tagged


def _relevant(errors: list[Any], data: Any) -> list[tuple[dict[str, Any], Loc, bool]]:
    """The errors worth showing: of a union, only the member matching the value's kind (the first if none does)."""
    kept: dict[Loc, list[tuple[dict[str, Any], Loc, bool]]] = {}
    dropped: dict[Loc, tuple[dict[str, Any], Loc, bool]] = {}
    for err in errors:
        loc, is_key, tagged = _data_loc(err, data)
        if tagged and _off_branch(err):
            dropped.setdefault(loc, (err, loc, is_key))
        else:
            kept.setdefault(loc, []).append((err, loc, is_key))
    for loc, first in dropped.items():
        if not any(k[: len(loc)] == loc for k in kept):
            kept[loc] = [first]
    return [e for group in kept.values() for e in group]


@dataclass(frozen=True)
class _Where:
    """How to place and name the errors of one validation: the plan's, or one override's."""

    origin: Callable[[Loc, bool], Origin]
    label: Callable[[Loc], Loc]
    schema_prefix: Loc = ()


def _issues(exc: ValidationError, data: Any, where: _Where) -> list[PlanIssue]:
    issues: list[PlanIssue] = []
    seen: set[tuple[str, int, int, str]] = set()
    for err, loc, is_key in _relevant(exc.errors(), data):
        named = where.label(loc)[:-1] if is_key and err["type"] != "extra_forbidden" else where.label(loc)
        label = ".".join(str(x) for x in named) or "plan"
        msg, fix = _message(dict(err), loc, (*where.schema_prefix, *loc), label, is_key)
        origin = where.origin(loc, is_key)
        if (*origin, msg) not in seen:
            seen.add((*origin, msg))
            issues.append(PlanIssue.at(origin, msg, fix))
    return issues


def _lookup(origins: dict[Loc, Origin], path: Path) -> Callable[[Loc, bool], Origin]:
    def origin(loc: Loc, is_key: bool) -> Origin:
        if is_key and (*loc, "__key__") in origins:
            return origins[(*loc, "__key__")]
        probe = loc
        while probe:
            if probe in origins:
                return origins[probe]
            probe = probe[:-1]
        return origins.get((), (str(path), 1, 1))

    return origin


# -- checks after the models ------------------------------------------------------------------------------------
def _override_where(lookup: Callable[[Loc, bool], Origin], own: Loc, base: Loc, patch: dict[str, Any]) -> _Where:
    """Errors in a patched step: a field the override sets is its own; the others are the step's."""

    def place(loc: Loc) -> Loc:
        return (*(own if loc and loc[0] in patch else base), *loc)

    return _Where(lambda loc, is_key: lookup(place(loc), is_key), place, base)


def _override_issues(lp: LoadedPlan, path: Path) -> list[PlanIssue]:
    """Each override applied to the step it changes, validated once, with errors at the override's own values.

    Validated per zone in :mod:`geo.plan.compiler` instead, a bad override value would be reported once per zone, at the
    override as a whole rather than at the value.
    """
    issues: list[PlanIssue] = []
    lookup = _lookup(lp.origins, path)
    for key, ov in lp.plan.zones.overrides.items():
        for track, steps, model in (
            ("security", lp.plan.security.steps, SecurityStep),
            ("movement", lp.plan.movement.steps, MovementStep),
        ):
            for s, patch in getattr(ov, track).items():
                if s not in steps:
                    continue  # an unknown step is reported against the ladder by geo.plan.checks
                data = {**steps[s].model_dump(by_alias=True), **patch}
                try:
                    model.model_validate(data)
                except ValidationError as exc:
                    where = _override_where(lookup, ("zones", "overrides", key, track, s), (track, "steps", s), patch)
                    issues += _issues(exc, data, where)
    return issues


def _base_path(p: Path, doc: Document) -> Path:
    """The defaults file named by ``extends:``: a .yaml file in the plan's own folder, links resolved.

    A link named like a file of the folder could otherwise read any file on the machine into the plan.
    """
    ext = doc.data.get("extends")
    origin = (str(p), *doc.where(("extends",)))

    def bad(message: str, fix: str = "write e.g. 'extends: defaults.yaml'") -> PlanError:
        return PlanError([PlanIssue.at(origin, message, fix)])

    if not isinstance(ext, str) or re.fullmatch(EXTENDS_PATTERN, ext) is None:
        raise bad("extends: must name a .yaml file in the same folder")
    target = p.parent / ext
    try:
        inside = target.resolve().parent == p.parent.resolve()
    except (OSError, RuntimeError):  # a link loop
        inside = False
    if not inside:
        raise bad(
            f"extends: {_show(ext)} is a link that leads out of the plan's folder",
            "copy the defaults file into the plan's folder",
        )
    if not target.exists():
        raise bad(f"extends: {_show(ext)} is not in the plan's folder ({_show(str(p.parent))})", "check the name")
    return target


def _read(p: Path) -> tuple[Any, dict[Loc, Origin]]:
    """The plan's data merged over its defaults, and the origin of every value."""
    doc = load_yaml(p)
    if not isinstance(doc.data, dict):
        raise PlanError(
            [
                PlanIssue.at(
                    (str(p), 1, 1),
                    "a plan is a mapping of keys (meta:, security:, ...)",
                    "start from plans/reference.yaml",
                )
            ]
        )
    data, origins = doc.data, _origins(doc)
    if data.get("extends") is None:
        return data, origins
    base = load_yaml(_base_path(p, doc))
    if isinstance(base.data, dict) and "extends" in base.data:
        origin = (str(base.path), *base.where(("extends",)))
        raise PlanError([PlanIssue.at(origin, "a defaults file cannot extend another", "merge the two defaults files")])
    return _merge(base.data, data), {**_origins(base), **origins}  # values the plan replaces point into the plan


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
        Listing the problems (at most :data:`MAX_ISSUES`, then a count) with ``file:line:col`` and a fix.
    """
    p = Path(path)
    data, origins = _read(p)
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        raise PlanError(limit_issues(_issues(exc, data, _Where(_lookup(origins, p), lambda loc: loc)))) from None
    lp = LoadedPlan(plan, origins, p)
    issues = _override_issues(lp, p) + repeated_names(lp)
    if issues:
        raise PlanError(limit_issues(issues))
    return lp


def schema_text() -> str:
    """The JSON Schema as committed text (sorted keys, 2-space indent, trailing newline)."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
