"""When each entity reaches each state of each track: built once per run, read by every output.

A schedule says when each task starts and ends; what the outputs need is the other view: in month ``m``, which
state is zone ``z`` in on the security track, when did crossing ``c`` open, which periods did a zone spend in each
state.  :class:`Timeline` answers that from the compiled tasks' own fields (never by splitting task ids), for any
entity that owns tasks (a zone, a crossing, a gate, or whatever a later plan declares) and any track, so the
metrics tables, the map, the exports, the atlas and ``diff`` agree by construction.

A state holds from the month its step ends; a track advances in ladder order, so a step whose predecessor has not
been reached does not count yet.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .plan import Problem
from .schedule import Schedule

__all__ = ["Period", "Timeline", "month_label"]


def month_label(start: str, month: int) -> str:
    """``YYYY-MM`` of month ``month`` counted from ``start`` (``"2027-01"``, 13 -> ``"2028-02"``)."""
    y, m = (int(x) for x in start.split("-"))
    k = y * 12 + (m - 1) + month
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """``entity`` is in ``state`` on ``track`` from month ``start`` up to (not including) month ``end``."""

    entity: str
    track: str
    state: str
    start: int
    end: int


class Timeline:
    """The schedule seen per entity and track.

    Parameters
    ----------
    problem : Problem
        The compiled plan: its tasks, ladders, zones, start and horizon.
    schedule : Schedule
        Its schedule.
    """

    def __init__(self, problem: Problem, schedule: Schedule) -> None:
        self.start = problem.start
        self.horizon = problem.horizon
        #: The ladder of each track whose entities move through states (first state: where every entity starts).
        self.ladders: dict[str, list[str]] = {
            "security": list(problem.security_states),
            "movement": list(problem.movement_levels),
        }
        self._ends: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        self._entities: dict[str, list[str]] = defaultdict(list)
        for tid, t in problem.tasks.items():
            if tid not in schedule.end:
                continue
            key = (t.key.entity, t.key.track)
            if key not in self._ends:
                self._entities[t.key.track].append(t.key.entity)
            self._ends[key][t.key.state] = schedule.end[tid]
        for track in self.ladders:
            self._entities[track] = list(problem.zones)

    def entities(self, track: str) -> list[str]:
        """Entities that own steps on ``track`` (every zone in use for ``security`` and ``movement``)."""
        return list(self._entities.get(track, []))

    def reached(self, entity: str, track: str) -> dict[str, int]:
        """Month each scheduled step of ``entity`` on ``track`` ends, by the state it reaches (ladder order)."""
        ends = self._ends.get((entity, track), {})
        ladder = self.ladders.get(track)
        if ladder is None:
            return dict(ends)
        return {s: ends[s] for s in ladder[1:] if s in ends}

    def month_reached(self, entity: str, track: str, state: str) -> int | None:
        """Month ``entity`` reaches ``state`` on ``track``; None when that step is not scheduled."""
        return self._ends.get((entity, track), {}).get(state)

    def state_at(self, entity: str, track: str, month: int) -> str:
        """The state ``entity`` is in on ``track`` in ``month`` (the ladder's first until its first step ends)."""
        ladder = self.ladders[track]
        ends = self._ends.get((entity, track), {})
        state = ladder[0]
        for s in ladder[1:]:
            end = ends.get(s)
            if end is None or end > month:
                break
            state = s
        return state

    def level_at(self, entity: str, track: str, month: int) -> int:
        """Index in the ladder of :meth:`state_at` (0 for the first state)."""
        return self.ladders[track].index(self.state_at(entity, track, month))

    def periods(self, track: str | None = None) -> list[Period]:
        """Every period an entity spends in a state, track by track, entity by entity, in ladder order.

        A period ends when the next step ends, or at ``horizon + 1`` for the last state reached; a ladder
        stops at its first unscheduled step.
        """
        out: list[Period] = []
        tracks = [track] if track is not None else list(self.ladders)
        for tr in tracks:
            ladder = self.ladders[tr]
            for entity in self.entities(tr):
                ends = self._ends.get((entity, tr), {})
                starts: list[int | None] = [0, *(ends.get(s) for s in ladder[1:])]
                for k, st in enumerate(ladder):
                    first = starts[k]
                    if first is None:
                        break
                    nxt = starts[k + 1] if k + 1 < len(starts) else None
                    out.append(Period(entity, tr, st, first, nxt if nxt is not None else self.horizon + 1))
        return out

    def label(self, month: int) -> str:
        """``YYYY-MM`` of a month of this plan."""
        return month_label(self.start, month)
