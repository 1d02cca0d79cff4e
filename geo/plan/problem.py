"""What the planner hands the scheduler: tasks with their preconditions, windows and troops, and the problem.

No I/O and no files: a :class:`Problem` is plain data, built by :func:`geo.plan.compile_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from .model import Origin

__all__ = ["Kind", "Pred", "Problem", "Task", "TaskId"]

Kind = Literal["security", "movement", "crossing", "gate"]
#: Tracks whose tasks belong to an entity other than a zone; their text ids name the track first.
_ENTITY_TRACKS = ("crossing", "gate")


@dataclass(frozen=True, order=True)
class TaskId:
    """Who moves, on which track, into which state: a value, never a string to split.

    ``entity`` is a zone id on the ``security`` and ``movement`` tracks, a crossing id on the ``crossing`` track
    (state ``open``) and a gate's name on the ``gate`` track (state: the gate's name).  Its text form keys
    schedules and tables: ``ZONE/TRACK/STATE``, ``crossing/ID`` or ``gate/NAME``.
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
        if self.track in _ENTITY_TRACKS:
            return f"{self.track}/{self.entity}"
        return f"{self.entity}/{self.track}/{self.state}"


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
        """The zone the step belongs to; None for crossings and gates."""
        return None if self.key.track in _ENTITY_TRACKS else self.key.entity

    @property
    def to_state(self) -> str:
        """The state (or level) the step reaches."""
        return self.key.state

    @property
    def label(self) -> str:
        """How messages name the step, in the plan's terms: ``north: security palestinian``, ``gate review``."""
        if self.zone is None:
            return f"{self.key.track} {self.key.entity}"
        return f"{self.zone}: {self.key.track} {self.key.state}"


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

    def available(self, month: int) -> int:
        """Troops available in ``month``."""
        cap = 0
        for start, n in self.capacity:
            if month >= start:
                cap = n
        return cap
