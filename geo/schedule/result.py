"""The result of scheduling: the start and end month of every task, and how good it is."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Schedule"]


@dataclass
class Schedule:
    """A schedule: start and end month of every task."""

    status: str  # "optimal", "feasible" or "greedy"
    objective: int
    bound: int
    start: dict[str, int]
    end: dict[str, int]
    wall_seconds: float = 0.0
    deterministic_time: float = 0.0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def makespan(self) -> int:
        """Month the last task ends."""
        return max(self.end.values(), default=0)
