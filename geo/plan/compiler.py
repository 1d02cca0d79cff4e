"""Compile a validated plan into zone-level tasks, checking it against the layers.

The rules themselves live in :mod:`geo.plan.checks`, one function each; the compiler resolves the plan's names,
builds the tasks and calls every rule in plan order, so that one run lists every problem, each at the plan's
``file:line:col`` with a fix.  It checks in three rounds, each only when the one before found nothing (a later
round would trip over the earlier round's mistakes):

1. names: zones and groups, the ladders and their steps, crossings, overrides;
2. tasks: each zone's steps with their overrides and preconditions, and the troops they need;
3. the whole plan: dependency cycles, then windows and the horizon.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, TypeVar, cast

import pandas as pd
from pydantic import ValidationError

from ..errors import LayerError, PlanError, PlanIssue
from . import checks
from .model import After, LoadedPlan, Loc, MovementStep, Origin, SecurityStep, TroopRule, limit_issues
from .problem import Pred, Problem, Task, TaskId
from .sections import LayerRefs, SectionsMixin

__all__ = ["BUILTIN_GROUPS", "LayerRefs", "compile_plan", "region_group"]

#: Groups every plan can use: every zone in use, the zones of each territory and of each Oslo II area.
BUILTIN_GROUPS = ("all", "west_bank", "gaza", "area_a", "area_b", "area_c")


def region_group(region_id: str) -> str:
    """The built-in group of a planning region: its id with ``-`` as ``_`` (``jordan-valley``: ``jordan_valley``)."""
    return region_id.replace("-", "_")


_Step = TypeVar("_Step", SecurityStep, MovementStep)


def _troops(rule: int | TroopRule, z: pd.Series) -> int:
    """Troops a step needs in zone ``z``: a number, or a rule scaled by the zone's people, area and settlers."""
    if isinstance(rule, int):
        return rule
    return round(
        rule.base
        + rule.per_1000_people * float(z["population"]) / 1000
        + rule.per_100_km2 * float(z["area_km2"]) / 100
        + rule.per_1000_settlers * float(z["settlers"]) / 1000
    )


def _window_origin(origins: Mapping[str, Origin], latest: int | None) -> Origin:
    """Where a step's window is written: its ``latest`` if it has one, else its ``earliest``."""
    return origins["latest"] if latest is not None else origins["earliest"]


def _path(ladder: list[str], steps: Mapping[str, tuple[Any, Any]], start: str | None) -> list[str]:
    """The states a zone passes through: its baseline (default: the ladder's first), then what it does not skip.

    Every later state with a step counts, unless the zone's step says ``skip``.
    """
    k0 = ladder.index(start) if start is not None and start in ladder else 0
    return [ladder[k0], *(s for s in ladder[k0 + 1 :] if s in steps and not steps[s][0].skip)]


def _pinned(t: Task, origin: Origin | None = None) -> Task:
    """A starting state as a step done at month 0: nothing to wait for, no troops to move, its hold kept.

    Its window is written where the plan sets the baseline (``origin``), so a conflict it takes part in (its hold
    troops at month 0, a window it cannot meet) is reported there.
    """
    where = origin if origin is not None else t.origin
    return dataclasses.replace(
        t, duration=0, earliest=0, latest=0, run_troops=0, preds=[], baseline=True, origin=where, window_origin=where
    )


class _Compiler(SectionsMixin):
    """One compilation: the names the plan resolves, the tasks it builds, and every issue found on the way."""

    def __init__(
        self, lp: LoadedPlan, zones: pd.DataFrame, crossing_ids: set[str], refs: LayerRefs | None = None
    ) -> None:
        self.lp = lp
        self.p = lp.plan
        self.zdf = zones.set_index("zone_id")
        self.layer_zones = list(zones["zone_id"])
        self.zone_set = frozenset(self.layer_zones)
        self.crossing_ids = crossing_ids
        self.issues: list[PlanIssue] = []
        self.tasks: dict[str, Task] = {}
        self.paths: dict[tuple[str, str], list[str]] = {}
        self.refs = refs if refs is not None else LayerRefs()

    def passes(self, issues: list[PlanIssue]) -> bool:
        """Keep a rule's issues; whether it found none (so what it checked can be used)."""
        self.issues += issues
        return not issues

    # -- round 1: names ----------------------------------------------------------------------------------------
    def resolve_names(self) -> None:
        """The zones, groups, ladders and crossings the rest of the plan refers to, each checked."""
        self.resolve_zones()
        self.resolve_ladders()
        self.resolve_crossings()

    def builtin_groups(self, zones: list[str]) -> dict[str, list[str]]:
        """``all``, one group per territory, per Oslo II area and per planning region, from the zones layer.

        A region's group (``jordan_valley`` for the region ``jordan-valley``) lists exactly the zones the build
        split along the region, so a plan addresses the region without copying zone ids that a rebuild may change.
        """
        territory = self.zdf["territory"] if "territory" in self.zdf.columns else pd.Series(dtype=str)
        oslo: dict[str, str] = {}
        if "oslo" in self.zdf.columns:
            oslo = {str(z): str(a) for z, a in self.zdf["oslo"].dropna().items()}
        groups = {
            "all": list(zones),
            "west_bank": [z for z in zones if territory.get(z) == "west_bank"],
            "gaza": [z for z in zones if territory.get(z) == "gaza"],
            **{f"area_{a.lower()}": [z for z in zones if oslo.get(z) == a] for a in ("A", "B", "C")},
        }
        region = self.zdf["region"].dropna() if "region" in self.zdf.columns else pd.Series(dtype=object)
        for r in sorted({str(v) for v in region}):
            if region_group(r) in groups:
                raise LayerError(
                    f"zones: the region {r!r} would replace the built-in group {region_group(r)!r}; "
                    "rename the region in regions.geojson and zones.geojson."
                )
            groups[region_group(r)] = [z for z in zones if z in region.index and region[z] == r]
        return groups

    def resolve_zones(self) -> None:
        """The zones in use and the groups, each zone once."""
        zones, issues = checks.zones_in_use(self.lp, self.layer_zones)
        self.issues += issues
        in_use = checks.Names.of(zones, self.builtin_groups(zones))
        groups = dict(in_use.groups)
        for g, listed in self.p.zones.groups.items():
            self.issues += checks.builtin_group(self.lp, g, in_use.groups)
            self.issues += checks.group_not_a_zone(self.lp, g, self.zone_set)
            groups[g], issues = checks.group_members(self.lp, g, listed, in_use)
            self.issues += issues
        self.names = checks.Names.of(zones, groups)

    def resolve_ladders(self) -> None:
        """The security states and movement levels, the steps between them and what refers to them."""
        lp, p = self.lp, self.p
        self.states = list(p.security.states)
        self.levels = list(p.movement.levels)
        self.issues += checks.repeated_rungs(lp, "security state", self.states, ("security", "states"))
        self.issues += checks.repeated_rungs(lp, "movement level", self.levels, ("movement", "levels"))
        for track, ladder, steps in (
            ("security", self.states, list(p.security.steps)),
            ("movement", self.levels, list(p.movement.steps)),
        ):
            self.issues += checks.steps_on_ladder(lp, track, ladder, steps)
            self.issues += checks.steps_present(lp, track, ladder, steps)
            self.issues += checks.steps_in_order(lp, track, ladder, steps)
        self.issues += checks.required_security(lp, p.movement.steps, self.states)
        self.issues += checks.objective_level(lp, p.objective, self.levels)

    def resolve_crossings(self) -> None:
        """The planned crossings with the zones each serves, and the crossings serving each zone."""
        self.crossings: dict[str, tuple[int, list[str]]] = {}
        for i, c in enumerate(self.p.crossings):
            self.issues += checks.crossing_in_layer(self.lp, i, c.id, self.crossing_ids)
            self.issues += checks.crossing_once(self.lp, i, c.id, self.crossings)
            served, issues = checks.served_zones(self.lp, self.names, i, c.serves)
            self.issues += issues
            self.crossings[c.id] = (i, served)
        self.serving: dict[str, list[str]] = defaultdict(list)
        for cid, (_, zones) in self.crossings.items():
            for z in zones:
                self.serving[z].append(cid)

    def check_overrides(self) -> None:
        """Each override names a zone or group, and steps of the ladders."""
        for key, ov in self.p.zones.overrides.items():
            self.issues += checks.override_target(self.lp, key, self.names)
            self.issues += checks.override_steps(self.lp, key, "security", ov.security, self.states)
            self.issues += checks.override_steps(self.lp, key, "movement", ov.movement, self.levels)

    # -- round 2: tasks ----------------------------------------------------------------------------------------
    def patched(self, z: str, track: str, s: str, step: _Step) -> tuple[dict[str, Any], dict[str, Origin]]:
        """Step ``s`` with every override for zone ``z`` applied in plan order, and where each field was written."""
        data = step.model_dump(by_alias=True)
        origins = {f: self.lp.at(track, "steps", s, f) for f in data}
        origins["__step__"] = self.lp.at(track, "steps", s)
        for key, ov in self.p.zones.overrides.items():
            patch = getattr(ov, track).get(s)
            if patch and (key == z or z in self.names.group_sets.get(key, ())):
                data.update(patch)
                origins.update({f: self.lp.at("zones", "overrides", key, track, s, f) for f in patch})
        return data, origins

    def zone_steps(
        self, z: str, track: str, steps: Mapping[str, _Step], model: type[_Step]
    ) -> dict[str, tuple[_Step, dict[str, Origin]]]:
        """Zone ``z``'s steps on ``track``, overrides applied, each with where its fields were written."""
        out = {}
        for s, step in steps.items():
            data, origins = self.patched(z, track, s, step)
            try:
                out[s] = (model.model_validate(data), origins)
            except ValidationError as exc:
                self.issues += checks.override_values(exc, origins, track, s, z)
        return out

    def after(self, items: list[After], zone: str | None, path: Loc) -> list[Pred]:
        """The preconditions an ``after:`` list names; a wrong one is reported and adds none."""
        return [pr for i, a in enumerate(items) for pr in self.after_one(a, zone, (*path, i))]

    def after_one(self, a: After, zone: str | None, path: Loc) -> list[Pred]:
        """One ``after:`` entry: a gate, a crossing, or a state reached."""
        origin = self.lp.at(*path)
        if a.gate is not None:
            if not self.passes(checks.after_gate(self.lp, path, a.gate, self.p.gates)):
                return []
            return [Pred((str(TaskId.gate(a.gate)),), a.lag, origin, f"gate {a.gate}")]
        if a.crossing is not None:
            if not self.passes(checks.after_crossing(self.lp, path, a.crossing, self.crossings)):
                return []
            return [Pred((str(TaskId.crossing(a.crossing)),), a.lag, origin, f"crossing {a.crossing}")]
        return self.after_state(a, zone, path, origin)

    def after_state(self, a: After, zone: str | None, path: Loc, origin: Origin) -> list[Pred]:
        """An ``after:`` awaiting a security state or movement level in zones (none for those already there)."""
        track, state = ("security", a.security) if a.security is not None else ("movement", str(a.movement))
        ladder = self.states if track == "security" else self.levels
        if not self.passes(checks.after_state(self.lp, path, track, state, ladder)):
            return []
        targets, issues = checks.after_targets(self.lp, self.names, path, a, zone)
        if not self.passes(issues):
            return []
        return [
            pr
            for t in targets
            for pr in self.reached(
                t, track, state, origin, f"{'same zone' if t == zone else t} reaches {state}", lag=a.lag
            )
        ]

    def add(self, task: Task) -> str:
        """Keep ``task``; its id."""
        self.tasks[task.id] = task
        return task.id

    def build(self) -> None:
        """Every task: each zone's steps (security, then movement), then the crossings, then the gates.

        Every zone's path (the states it passes through, from its baseline, skipping what it skips) is known
        before any precondition is read, because a precondition may await another zone's state.
        """
        self.steps = {
            z: (
                self.zone_steps(z, "security", self.p.security.steps, SecurityStep),
                self.zone_steps(z, "movement", self.p.movement.steps, MovementStep),
            )
            for z in self.names.zones
        }
        base = self.baselines()
        for z in self.names.zones:
            for track, ladder, steps in (
                ("security", self.states, self.steps[z][0]),
                ("movement", self.levels, self.steps[z][1]),
            ):
                self.paths[(z, track)] = _path(ladder, steps, base.get((z, track)))
            self.check_baseline_level(z)
        for z in self.names.zones:
            self.build_zone(z)
        for cid, (i, _) in self.crossings.items():
            self.add(self.crossing_task(cid, i))
        for g in self.p.gates:
            self.add(self.gate_task(g))
        self.build_sections()

    def check_baseline_level(self, z: str) -> None:
        """A zone starting at a movement level starts with the security state that level requires."""
        level = self.paths[(z, "movement")][0]
        step = self.steps[z][1].get(level)
        need = step[0].requires_security if step is not None else None
        if need is None or need not in self.states or (z, "movement") not in self.base_origin:
            return
        have = self.paths[(z, "security")][0]
        if self.states.index(have) < self.states.index(need):
            self.issues.append(
                PlanIssue.at(
                    self.base_origin[(z, "movement")],
                    f"{z} starts at movement level '{level}', which requires security '{need}', under '{have}'",
                    f"give {z} a security baseline of '{need}' (or later), or start it at an earlier level",
                )
            )

    def build_zone(self, z: str) -> None:
        """Zone ``z``'s steps along its paths, each after the one before; a baseline state pinned at month 0."""
        sec, mov = self.steps[z]
        for track, ladder in (("security", self.states), ("movement", self.levels)):
            path = self.paths[(z, track)]
            prev: str | None = None
            for k, s in enumerate(path):
                if k == 0 and s == ladder[0]:
                    continue  # the first rung: no step leads into it
                nxt = path[k + 1] if k + 1 < len(path) else None
                before = path[k - 1] if k > 0 else None
                t = (
                    self.security_task(z, s, sec[s], prev, before, nxt)
                    if track == "security"
                    else self.movement_task(z, s, mov[s], prev, before)
                )
                prev = self.add(_pinned(t, self.base_origin.get((z, track))) if k == 0 else t)

    def security_task(  # noqa: PLR0917 - the step, then where it sits on the zone's path
        self,
        z: str,
        s: str,
        patched: tuple[SecurityStep, dict[str, Origin]],
        prev: str | None,
        before: str | None,
        nxt: str | None,
    ) -> Task:
        """Zone ``z``'s handover into security state ``s``; its hold lasts until the zone's next handover ends."""
        step, o = patched
        row = cast(pd.Series, self.zdf.loc[z])
        t = Task(
            key=TaskId(z, "security", s),
            duration=step.duration,
            earliest=step.earliest or 0,
            latest=step.latest,
            run_troops=_troops(step.troops, row),
            hold_troops=_troops(step.hold_troops, row),
            hold_until=str(TaskId(z, "security", nxt)) if nxt is not None else None,
            origin=o["__step__"],
            window_origin=_window_origin(o, step.latest),
            troops_origin=o["troops"],
        )
        if prev:
            t.preds.append(Pred((prev,), 0, o["__step__"], f"after {before}"))
        t.preds += self.after(step.after, z, ("security", "steps", s, "after"))
        return t

    def movement_task(
        self, z: str, lv: str, patched: tuple[MovementStep, dict[str, Origin]], prev: str | None, before: str | None
    ) -> Task:
        """Zone ``z``'s step into movement level ``lv``."""
        step, o = patched
        t = Task(
            key=TaskId(z, "movement", lv),
            duration=step.duration,
            earliest=step.earliest or 0,
            latest=step.latest,
            origin=o["__step__"],
            window_origin=_window_origin(o, step.latest),
        )
        if prev:
            why = f"{step.min_months_at_previous} months at {before}"
            t.preds.append(Pred((prev,), step.min_months_at_previous, o["min_months_at_previous"], why))
        rs = step.requires_security
        if rs is not None and rs in self.states:
            t.preds += self.reached(z, "security", rs, o["requires_security"], f"security {rs}")
        if step.requires_crossing and self.passes(
            checks.served_by_a_crossing(o["requires_crossing"], lv, z, self.serving)
        ):
            serving = tuple(str(TaskId.crossing(c)) for c in self.serving[z])
            t.preds.append(Pred(serving, 0, o["requires_crossing"], "a crossing open", any_of=True))
        t.preds += self.after(step.after, z, ("movement", "steps", lv, "after"))
        return t

    def reached(self, z: str, track: str, state: str, origin: Origin, why: str, *, lag: int = 0) -> list[Pred]:
        """Await zone ``z`` reaching ``state`` on ``track``, or a later state of the ladder if it skips it.

        Nothing to await when the zone starts at or past it; a zone whose path never gets that far is reported.
        """
        ladder = self.states if track == "security" else self.levels
        k = ladder.index(state)
        path = self.paths[(z, track)]
        if ladder.index(path[0]) >= k:
            return []
        later = [s for s in path[1:] if ladder.index(s) >= k]
        if not later:
            self.issues.append(checks.never_reached(origin, z, track, state, path))
            return []
        return [Pred((str(TaskId(z, track, later[0])),), lag, origin, why)]

    def crossing_task(self, cid: str, i: int) -> Task:
        """The opening of crossing ``cid`` (entry ``i`` of ``crossings:``)."""
        c = self.p.crossings[i]
        t = Task(
            key=TaskId.crossing(cid),
            duration=c.duration,
            earliest=c.earliest or 0,
            latest=c.latest,
            origin=self.lp.at("crossings", i),
            window_origin=self.lp.at("crossings", i, "latest" if c.latest is not None else "earliest"),
        )
        t.preds += self.after(c.after, None, ("crossings", i, "after"))
        if c.open_at_start:
            self.issues += checks.open_at_start(self.lp, i, c)
            return _pinned(t)
        return t

    def gate_task(self, g: str) -> Task:
        """Gate ``g``: a review lasting at least its ``min_duration``."""
        gate = self.p.gates[g]
        t = Task(
            key=TaskId.gate(g),
            duration=gate.min_duration,
            earliest=gate.earliest or 0,
            latest=None,
            origin=self.lp.at("gates", g),
            window_origin=self.lp.at("gates", g),
        )
        t.preds += self.after(gate.after, None, ("gates", g, "after"))
        return t

    def check_troops(self) -> None:
        """No task needs more troops than are ever available; the troop periods are in order."""
        periods = self.p.resources.troops
        most = max(p.available for p in periods)
        for t in self.tasks.values():
            self.issues += checks.troops_available(t, most)
        self.issues += checks.troop_periods(self.lp, periods)

    # -- round 3: the whole plan -------------------------------------------------------------------------------
    def check_schedulable(self) -> None:
        """No dependency cycle; then every task can meet its window and the horizon."""
        order, issues = checks.dependency_order(self.tasks)
        self.issues += issues
        if order is not None:
            self.issues += checks.windows(self.tasks, order, self.p.horizon)


def _dedupe(issues: list[PlanIssue]) -> list[PlanIssue]:
    """One issue per plan position: a default applied to many zones fails once, with a count."""
    first: dict[tuple[str, int, int], PlanIssue] = {}
    count: dict[tuple[str, int, int], int] = defaultdict(int)
    for i in issues:
        key = (i.file, i.line, i.col)
        first.setdefault(key, i)
        count[key] += 1
    out = []
    for key, i in first.items():
        more = count[key] - 1
        out.append(dataclasses.replace(i, message=i.message + (f" (and {more} more like it)" if more else "")))
    return out


def compile_plan(lp: LoadedPlan, zones: pd.DataFrame, crossing_ids: set[str], refs: LayerRefs | None = None) -> Problem:
    """Check a plan against the layers and compile it into zone-level tasks.

    Parameters
    ----------
    lp : LoadedPlan
        From :func:`geo.plan.load`.
    zones : DataFrame
        The zones layer (``zone_id``, ``population``, ``area_km2``, ``settlers``).
    crossing_ids : set of str
        Ids in the crossings layer.
    refs : LayerRefs, optional
        What else the plan may name from the layers (links, early-warning sites, obstacle types by zone,
        barrier zones); without it, a plan naming any of them is refused.

    Returns
    -------
    Problem

    Raises
    ------
    PlanError
        Listing every problem found, each at ``file:line:col``.
    """
    c = _Compiler(lp, zones, crossing_ids, refs)
    c.resolve_names()
    c.check_overrides()
    if not c.issues:
        c.build()
        c.check_troops()
    if not c.issues:
        c.check_schedulable()
    if c.issues:
        raise PlanError(limit_issues(_dedupe(c.issues)))
    p = lp.plan
    population = c.zdf["population"]
    return Problem(
        name=p.meta.name,
        start=p.meta.start,
        horizon=p.horizon,
        tasks=c.tasks,
        zones=c.names.zones,
        zone_population={z: int(population[z]) for z in c.names.zones},
        capacity=[(tp.from_, tp.available) for tp in p.resources.troops],
        capacity_origin=lp.at("resources", "troops"),
        max_concurrent=p.resources.max_concurrent_handovers,
        concurrent_origin=lp.at("resources", "max_concurrent_handovers"),
        objective=p.objective.minimize,
        objective_level=p.objective.level,
        security_states=c.states,
        movement_levels=c.levels,
        crossing_serves={cid: served for cid, (_, served) in c.crossings.items()},
        story={str(k): v for k, v in p.story.items()},
        **c.extras(),
    )
