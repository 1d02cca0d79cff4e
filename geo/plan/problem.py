"""What the planner hands the scheduler: tasks with their preconditions, windows and troops, and the problem.

No I/O and no files: a :class:`Problem` is plain data, built by :func:`geo.plan.compile_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from .model import Origin

__all__ = [
    "ZONE_TRACKS",
    "DemandLine",
    "Kind",
    "Pred",
    "Problem",
    "RegimeLine",
    "ResidenceLedger",
    "ResidualLine",
    "StationLine",
    "Task",
    "TaskId",
]

Kind = Literal[
    "security", "movement", "obstacles", "crossing", "gate", "regime", "link", "residual", "residence", "barrier"
]
#: Tracks whose steps belong to a zone.
ZONE_TRACKS = ("security", "movement", "obstacles")
#: Tracks whose entity takes one step only (its state is implied); their text ids are ``TRACK/ENTITY``.
_ONE_STEP_TRACKS = ("crossing", "gate")


@dataclass(frozen=True, order=True)
class TaskId:
    """Who moves, on which track, into which state: a value, never a string to split.

    ``entity`` is a zone id on the zone tracks (``security``, ``movement``, ``obstacles``: the state is an
    obstacle type), a crossing id on the ``crossing`` track (state ``open``) and the ``regime`` track, a gate's
    name on the ``gate`` track (state: the gate's name), a link id on the ``link`` track, and the plan's name for
    a residual presence, the residence ledger or a barrier removal step.  Its text form keys schedules and
    tables: ``ZONE/TRACK/STATE``, ``crossing/ID``, ``gate/NAME`` or ``TRACK/ENTITY/STATE`` for the others.
    """

    entity: str
    track: str
    state: str

    @classmethod
    def gate(cls, name: str) -> TaskId:
        """The id of the gate ``name`` (its state is its name: a gate has one step, which is itself)."""
        return cls(name, "gate", name)

    @classmethod
    def crossing(cls, crossing_id: str) -> TaskId:
        """The id of the opening of the crossing ``crossing_id`` (state ``open``)."""
        return cls(crossing_id, "crossing", "open")

    def __str__(self) -> str:
        if self.track in _ONE_STEP_TRACKS:
            return f"{self.track}/{self.entity}"
        if self.track in ZONE_TRACKS:
            return f"{self.entity}/{self.track}/{self.state}"
        return f"{self.track}/{self.entity}/{self.state}"


@dataclass(frozen=True)
class Pred:
    """The end of one of ``tasks`` (all of them, or the earliest if ``any_of``) plus ``lag`` precedes a task."""

    tasks: tuple[str, ...]
    lag: int
    origin: Origin
    why: str
    any_of: bool = False


@dataclass
class Task:
    """One schedulable step: ``key`` says whose step it is, on which track, into which state."""

    key: TaskId
    duration: int
    earliest: int
    latest: int | None
    run_troops: int = 0
    hold_troops: int = 0
    hold_until: str | None = None  # task whose end ends the hold; None: the horizon
    preds: list[Pred] = field(default_factory=list)
    origin: Origin = ("", 1, 1)
    window_origin: Origin = ("", 1, 1)
    troops_origin: Origin = ("", 1, 1)
    baseline: bool = False  # the state a zone starts in, pinned at month 0

    @property
    def id(self) -> str:
        """The text id that keys schedules and tables (see :class:`TaskId`)."""
        return str(self.key)

    @property
    def kind(self) -> Kind:
        """The track: ``security``, ``movement``, ``crossing`` or ``gate``."""
        return cast(Kind, self.key.track)

    @property
    def zone(self) -> str | None:
        """The zone the step belongs to; None for steps of other entities (crossings, gates, links, ...)."""
        return self.key.entity if self.key.track in ZONE_TRACKS else None

    @property
    def to_state(self) -> str:
        """The state (or level) the step reaches."""
        return self.key.state

    @property
    def label(self) -> str:
        """How messages name the step, in the plan's terms: ``north: security palestinian``, ``gate review``."""
        if self.key.track in _ONE_STEP_TRACKS:
            return f"{self.key.track} {self.key.entity}"
        if self.zone is None:
            return f"{self.key.track} {self.key.entity}: {self.key.state}"
        return f"{self.zone}: {self.key.track} {self.key.state}"


@dataclass(frozen=True)
class RegimeLine:
    """A crossing's management regime and what it lets through a day."""

    regime: str
    partner: str | None
    people_per_day: int
    trucks_per_day: int


@dataclass(frozen=True)
class DemandLine:
    """People and trucks a day wanting to cross, shared equally by ``crossings``, ramping up from ``start``."""

    id: str
    kind: str
    crossings: tuple[str, ...]
    people_per_day: int
    trucks_per_day: int
    start: int
    ramp_months: int
    source: str

    def share(self, month: int) -> float:
        """The fraction of the full demand present in ``month`` (0 before it starts, linear over the ramp)."""
        if month < self.start:
            return 0.0
        if self.ramp_months == 0:
            return 1.0
        return min(1.0, (month - self.start + 1) / self.ramp_months)


@dataclass(frozen=True)
class ResidualLine:
    """A residual Israeli presence at fixed sites in ``zones`` while they are in ``during``, until ``ends``."""

    id: str
    zones: tuple[str, ...]
    during: str
    sites: tuple[str, ...]
    site_count: int
    ends: int
    source: str


@dataclass(frozen=True)
class StationLine:
    """An early-warning station: where, from when, until when, reviewed how often."""

    id: str
    site: str | None
    start: int
    until: int | None
    review_every: int
    source: str

    def active(self, month: int) -> bool:
        """Whether the station stands in ``month``."""
        return month >= self.start and (self.until is None or month < self.until)

    def reviews(self, horizon: int) -> list[int]:
        """The months it is reviewed within the horizon."""
        if self.review_every == 0:
            return []
        last = horizon if self.until is None else min(horizon, self.until)
        return list(range(self.start + self.review_every, last + 1, self.review_every))


@dataclass(frozen=True)
class ResidenceLedger:
    """Residence across the border in agreed yearly numbers, both ways, from the month the ledger opens."""

    israelis_per_year: tuple[int, ...]
    palestinians_per_year: tuple[int, ...]
    refugees_per_year: tuple[int, ...]
    parity: bool
    settlers_staying_pct: float
    settlers_on: str | None


@dataclass
class Problem:
    """A compiled plan, ready for the scheduler (no I/O, no files)."""

    name: str
    start: str
    horizon: int
    tasks: dict[str, Task]
    zones: list[str]
    zone_population: dict[str, int]
    capacity: list[tuple[int, int]]
    capacity_origin: Origin
    max_concurrent: int | None
    concurrent_origin: Origin
    objective: str
    objective_level: str | None
    security_states: list[str]
    movement_levels: list[str]
    crossing_serves: dict[str, list[str]] = field(default_factory=dict)
    #: The states each entity passes through on a track, in order, first the one it starts in (zones whose path
    #: differs from the ladder: a baseline, or a skipped state; crossings' regimes; links).
    paths: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    crossing_regimes: dict[str, list[RegimeLine]] = field(default_factory=dict)
    link_capacity: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)
    demand: list[DemandLine] = field(default_factory=list)
    residual: list[ResidualLine] = field(default_factory=list)
    stations: list[StationLine] = field(default_factory=list)
    residence: ResidenceLedger | None = None
    #: Obstacle types removed on their own track, and the zones where each type has obstacles.
    obstacle_types: dict[str, list[str]] = field(default_factory=dict)
    #: Barrier removal steps and the zones each covers.
    barrier_zones: dict[str, list[str]] = field(default_factory=dict)
    #: How East Jerusalem's neighbourhoods are governed (``clinton_rule`` or ``shared``) and its zone.
    jerusalem: tuple[str, str] | None = None
    #: The plan's own captions for the milestones of the story, by milestone key (plan text: data).
    story: dict[str, str] = field(default_factory=dict)

    def path(self, entity: str, track: str) -> list[str]:
        """The states ``entity`` passes through on ``track`` (for a zone without its own: the track's ladder)."""
        own = self.paths.get((entity, track))
        if own is not None:
            return own
        if track == "security":
            return list(self.security_states)
        if track == "movement":
            return list(self.movement_levels)
        return []

    def available(self, month: int) -> int:
        """Troops available in ``month``."""
        cap = 0
        for start, n in self.capacity:
            if month >= start:
                cap = n
        return cap
