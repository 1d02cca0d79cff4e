"""What the planner hands the scheduler: tasks with their preconditions, windows and troops, and the problem.

No I/O and no files: a :class:`Problem` is plain data, built by :func:`geo.plan.compile_plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .model import Origin

__all__ = ["Kind", "Pred", "Problem", "Task"]

Kind = Literal["security", "movement", "crossing", "gate"]


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
    """One schedulable step."""

    id: str
    kind: Kind
    zone: str | None
    to_state: str
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
