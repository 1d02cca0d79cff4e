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
from collections.abc import Iterable
from dataclasses import dataclass

from .plan import Problem, TaskId
from .schedule import Schedule

__all__ = ["Period", "Step", "Timeline", "month_label"]


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


@dataclass(frozen=True)
class Step:
    """One scheduled task: its text id, whose step it is, the zone it belongs to (if any), start and end month."""

    id: str
    key: TaskId
    zone: str | None
    start: int
    end: int


class Timeline:
    """The schedule seen per entity and track.

    Parameters
    ----------
    problem : Problem
        The compiled plan: its tasks, ladders, zones, start and horizon.
    schedule : Schedule
        Its schedule.  Tasks it does not schedule are left out (they are never reached).
    """

    def __init__(self, problem: Problem, schedule: Schedule) -> None:
        self.start = problem.start
        self.horizon = problem.horizon
        #: The ladder of each track whose entities move through states (first state: where every entity starts).
        self.ladders: dict[str, list[str]] = {
            "security": list(problem.security_states),
            "movement": list(problem.movement_levels),
        }
        self._paths = dict(problem.paths)
        self._ends: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
        # every zone of the plan is on each ladder track (in the plan's order), then any other entity with steps there
        self._entities: dict[str, list[str]] = {track: list(problem.zones) for track in self.ladders}
        zones = set(problem.zones)
        self._steps: list[Step] = []
        for tid, t in problem.tasks.items():
            if tid not in schedule.end:
                continue
            key = (t.key.entity, t.key.track)
            listed = t.key.track in self.ladders and t.key.entity in zones
            if key not in self._ends and not listed:
                self._entities.setdefault(t.key.track, []).append(t.key.entity)
            self._ends[key][t.key.state] = schedule.end[tid]
            self._steps.append(Step(tid, t.key, t.zone, schedule.start[tid], schedule.end[tid]))
        # a crossing runs under its first regime from the month it opens
        for cid, regimes in problem.crossing_regimes.items():
            opened = self._ends.get((cid, "crossing"), {}).get("open")
            if opened is not None and regimes:
                self._ends[(cid, "regime")][regimes[0].regime] = opened
                if cid not in self._entities.get("regime", []):
                    self._entities.setdefault("regime", []).append(cid)

    @property
    def makespan(self) -> int:
        """Month the last scheduled step ends (0 when nothing is scheduled)."""
        return max((step.end for step in self._steps), default=0)

    def entities(self, track: str) -> list[str]:
        """Entities that own steps on ``track`` (every zone in use for ``security`` and ``movement``)."""
        return list(self._entities.get(track, []))

    def steps(self) -> list[Step]:
        """Every scheduled task, in the plan's task order."""
        return list(self._steps)

    def path(self, entity: str, track: str) -> list[str]:
        """The states ``entity`` passes through on ``track``, first the one it starts in.

        A zone's path is its track's ladder unless the plan gives it a baseline or skips a state for it; a
        crossing's regimes and a link's states are paths of their own; other tracks have none.
        """
        own = self._paths.get((entity, track))
        return list(own) if own is not None else list(self.ladders.get(track, []))

    def previous(self, track: str, state: str, entity: str | None = None) -> str | None:
        """The state before ``state`` on ``entity``'s path (default: the track's ladder); None if first or off it."""
        ladder = self.path(entity, track) if entity is not None else self.ladders.get(track, [])
        k = ladder.index(state) if state in ladder else 0
        return ladder[k - 1] if k > 0 else None

    def reached(self, entity: str, track: str) -> dict[str, int]:
        """Month each scheduled step of ``entity`` on ``track`` ends, by the state it reaches (ladder order)."""
        ends = self._ends.get((entity, track), {})
        ladder = self.ladders.get(track)
        if ladder is None:
            return dict(ends)
        return {s: ends[s] for s in ladder if s in ends}

    def month_reached(self, entity: str, track: str, state: str) -> int | None:
        """Month ``entity`` reaches ``state`` on ``track``; None when that step is not scheduled."""
        return self._ends.get((entity, track), {}).get(state)

    def completed(self, entity: str, track: str) -> int | None:
        """Month the last of ``entity``'s steps on ``track`` ends (a crossing: the month it opens); None if none.

        A track without a ladder (a crossing's opening, a gate's review) is one step per entity, so this is the
        month that step is done, whatever the plan calls its state.
        """
        ends = self._ends.get((entity, track))
        return max(ends.values()) if ends else None

    def state_at(self, entity: str, track: str, month: int) -> str:
        """The state ``entity`` is in on ``track`` in ``month`` (its path's first until its next step ends)."""
        ladder = self.path(entity, track)
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

    def periods(self, track: str | None = None, entities: Iterable[str] | None = None) -> list[Period]:
        """Every period an entity spends in a state, track by track, entity by entity, in ladder order.

        A period ends when the next step ends, or at ``horizon + 1`` for the last state reached; a ladder
        stops at its first unscheduled step.

        Parameters
        ----------
        track : str, optional
            One ladder track (default: every ladder track, in order).
        entities : iterable of str, optional
            The entities, in the order wanted (default: :meth:`entities` of each track).  An entity with no
            steps spends the whole plan in the ladder's first state.
        """
        wanted = list(entities) if entities is not None else None
        out: list[Period] = []
        for tr in [track] if track is not None else list(self.ladders):
            for entity in wanted if wanted is not None else self.entities(tr):
                out += self._periods(entity, tr)
        return out

    def _periods(self, entity: str, track: str) -> list[Period]:
        ladder = self.path(entity, track)
        ends = self._ends.get((entity, track), {})
        starts: list[int | None] = [0, *(ends.get(s) for s in ladder[1:])]
        out: list[Period] = []
        for k, st in enumerate(ladder):
            first = starts[k]
            if first is None:
                break
            nxt = starts[k + 1] if k + 1 < len(starts) else None
            out.append(Period(entity, track, st, first, nxt if nxt is not None else self.horizon + 1))
        return out

    def label(self, month: int) -> str:
        """``YYYY-MM`` of a month of this plan."""
        return month_label(self.start, month)
