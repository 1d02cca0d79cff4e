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

__all__ = ["BUILTIN_GROUPS", "compile_plan", "region_group"]

#: Groups every plan can use: every zone in use, and the zones of each territory.
BUILTIN_GROUPS = ("all", "west_bank", "gaza")


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


class _Compiler:
    """One compilation: the names the plan resolves, the tasks it builds, and every issue found on the way."""

    def __init__(self, lp: LoadedPlan, zones: pd.DataFrame, crossing_ids: set[str]) -> None:
        self.lp = lp
        self.p = lp.plan
        self.zdf = zones.set_index("zone_id")
        self.layer_zones = list(zones["zone_id"])
        self.zone_set = frozenset(self.layer_zones)
        self.crossing_ids = crossing_ids
        self.issues: list[PlanIssue] = []
        self.tasks: dict[str, Task] = {}

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
        """``all``, one group per territory and one per planning region, from the zones layer.

        A region's group (``jordan_valley`` for the region ``jordan-valley``) lists exactly the zones the build
        split along the region, so a plan addresses the region without copying zone ids that a rebuild may change.
        """
        territory = self.zdf["territory"] if "territory" in self.zdf.columns else pd.Series(dtype=str)
        groups = {
            "all": list(zones),
            "west_bank": [z for z in zones if territory.get(z) == "west_bank"],
            "gaza": [z for z in zones if territory.get(z) == "gaza"],
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
        """An ``after:`` awaiting a security state or movement level in zones (none for the ladder's first)."""
        track, state = ("security", a.security) if a.security is not None else ("movement", str(a.movement))
        ladder = self.states if track == "security" else self.levels
        if not self.passes(checks.after_state(self.lp, path, track, state, ladder)):
            return []
        targets, issues = checks.after_targets(self.lp, self.names, path, a, zone)
        if not self.passes(issues) or state == ladder[0]:
            return []  # every zone starts on the first rung
        return [
            Pred((str(TaskId(t, track, state)),), a.lag, origin, f"{'same zone' if t == zone else t} reaches {state}")
            for t in targets
        ]

    def add(self, task: Task) -> str:
        """Keep ``task``; its id."""
        self.tasks[task.id] = task
        return task.id

    def build(self) -> None:
        """Every task: each zone's steps (security, then movement), then the crossings, then the gates."""
        for z in self.names.zones:
            self.build_zone(z)
        for cid, (i, _) in self.crossings.items():
            self.add(self.crossing_task(cid, i))
        for g in self.p.gates:
            self.add(self.gate_task(g))

    def build_zone(self, z: str) -> None:
        """Zone ``z``'s steps up each ladder, each after the one before."""
        sec = self.zone_steps(z, "security", self.p.security.steps, SecurityStep)
        mov = self.zone_steps(z, "movement", self.p.movement.steps, MovementStep)
        prev: str | None = None
        for k, s in enumerate(self.states[1:], start=1):
            if s in sec:
                prev = self.add(self.security_task(z, k, sec[s], prev))
        prev = None
        for k, lv in enumerate(self.levels[1:], start=1):
            if lv in mov:
                prev = self.add(self.movement_task(z, k, mov[lv], prev))

    def security_task(self, z: str, k: int, patched: tuple[SecurityStep, dict[str, Origin]], prev: str | None) -> Task:
        """Zone ``z``'s handover into the ``k``-th security state; its hold lasts until the next handover ends."""
        step, o = patched
        s = self.states[k]
        row = cast(pd.Series, self.zdf.loc[z])
        nxt = str(TaskId(z, "security", self.states[k + 1])) if k + 1 < len(self.states) else None
        t = Task(
            key=TaskId(z, "security", s),
            duration=step.duration,
            earliest=step.earliest or 0,
            latest=step.latest,
            run_troops=_troops(step.troops, row),
            hold_troops=_troops(step.hold_troops, row),
            hold_until=nxt,
            origin=o["__step__"],
            window_origin=_window_origin(o, step.latest),
            troops_origin=o["troops"],
        )
        if prev:
            t.preds.append(Pred((prev,), 0, o["__step__"], f"after {self.states[k - 1]}"))
        t.preds += self.after(step.after, z, ("security", "steps", s, "after"))
        return t

    def movement_task(self, z: str, k: int, patched: tuple[MovementStep, dict[str, Origin]], prev: str | None) -> Task:
        """Zone ``z``'s step into the ``k``-th movement level."""
        step, o = patched
        lv = self.levels[k]
        t = Task(
            key=TaskId(z, "movement", lv),
            duration=step.duration,
            earliest=step.earliest or 0,
            latest=step.latest,
            origin=o["__step__"],
            window_origin=_window_origin(o, step.latest),
        )
        if prev:
            why = f"{step.min_months_at_previous} months at {self.levels[k - 1]}"
            t.preds.append(Pred((prev,), step.min_months_at_previous, o["min_months_at_previous"], why))
        rs = step.requires_security
        if rs is not None and rs in self.states and rs != self.states[0]:
            t.preds.append(Pred((str(TaskId(z, "security", rs)),), 0, o["requires_security"], f"security {rs}"))
        if step.requires_crossing and self.passes(
            checks.served_by_a_crossing(o["requires_crossing"], lv, z, self.serving)
        ):
            serving = tuple(str(TaskId.crossing(c)) for c in self.serving[z])
            t.preds.append(Pred(serving, 0, o["requires_crossing"], "a crossing open", any_of=True))
        t.preds += self.after(step.after, z, ("movement", "steps", lv, "after"))
        return t

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


def compile_plan(lp: LoadedPlan, zones: pd.DataFrame, crossing_ids: set[str]) -> Problem:
    """Check a plan against the layers and compile it into zone-level tasks.

    Parameters
    ----------
    lp : LoadedPlan
        From :func:`geo.plan.load`.
    zones : DataFrame
        The zones layer (``zone_id``, ``population``, ``area_km2``, ``settlers``).
    crossing_ids : set of str
        Ids in the crossings layer.

    Returns
    -------
    Problem

    Raises
    ------
    PlanError
        Listing every problem found, each at ``file:line:col``.
    """
    c = _Compiler(lp, zones, crossing_ids)
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
    )
