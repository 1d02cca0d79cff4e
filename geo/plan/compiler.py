"""Compile a validated plan into zone-level tasks, checking it against the layers.

Semantic checks, each reported at the plan's ``file:line:col`` with a fix:
unknown zone, group, gate, crossing, state or level; steps missing or out of
the ladder's order; dependency cycles (named in the plan's terms); windows that
cannot hold; tasks needing more troops than are ever available.
"""

from __future__ import annotations

import difflib
import functools
from collections import defaultdict
from typing import Any

import pandas as pd
from pydantic import ValidationError

from ..errors import PlanError, PlanIssue
from .model import After, LoadedPlan, MovementStep, Origin, SecurityStep, TroopRule, limit_issues
from .problem import Pred, Problem, Task, TaskId

__all__ = ["BUILTIN_GROUPS", "compile_plan"]

#: Groups every plan can use: every zone in use, and the zones of each territory.
BUILTIN_GROUPS = ("all", "west_bank", "gaza")


def _suggest(word: str, options: list[str] | tuple[str, ...]) -> str:
    return _closest(word, tuple(options))


@functools.lru_cache(maxsize=4096)
def _closest(word: str, options: tuple[str, ...]) -> str:
    """Cached: a plan repeating one wrong name thousands of times costs one fuzzy match, not thousands."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "check the spelling against the layers and the plan"


def _troops(rule: int | TroopRule, z: pd.Series) -> int:
    if isinstance(rule, int):
        return rule
    return round(
        rule.base
        + rule.per_1000_people * float(z["population"]) / 1000
        + rule.per_100_km2 * float(z["area_km2"]) / 100
        + rule.per_1000_settlers * float(z["settlers"]) / 1000
    )


class _Compiler:
    def __init__(self, lp: LoadedPlan, zones: pd.DataFrame, crossing_ids: set[str]) -> None:
        self.lp = lp
        self.p = lp.plan
        self.zdf = zones.set_index("zone_id")
        self.layer_zones = list(zones["zone_id"])
        self.layer_set = set(self.layer_zones)
        self.crossing_ids = crossing_ids
        self.issues: list[PlanIssue] = []
        self.tasks: dict[str, Task] = {}

    def issue(self, path: tuple[str | int, ...], msg: str, fix: str) -> None:
        self.issues.append(self.lp.issue(path, msg, fix))

    # -- names -------------------------------------------------------------------------------------------------
    def resolve_names(self) -> None:
        self.resolve_zones()
        self.resolve_ladders()
        self.resolve_crossings()

    def resolve_zones(self) -> None:
        """The zones in use and the groups, each zone once; membership is tested on sets, not lists."""
        p = self.p
        if p.zones.use == "all":
            self.zones = list(dict.fromkeys(self.layer_zones))
        else:
            known = []
            for i, z in enumerate(p.zones.use):
                if z not in self.layer_set:
                    self.issue(("zones", "use", i), f"unknown zone '{z}'", _suggest(z, self.layer_zones))
                else:
                    known.append(z)
            self.zones = list(dict.fromkeys(known))  # plan.load reports a repeat; never count one twice
        self.zone_set = set(self.zones)
        territory = self.zdf["territory"] if "territory" in self.zdf.columns else pd.Series(dtype=str)
        self.groups: dict[str, list[str]] = {
            "all": list(self.zones),
            "west_bank": [z for z in self.zones if territory.get(z) == "west_bank"],
            "gaza": [z for z in self.zones if territory.get(z) == "gaza"],
        }
        for g, members in p.zones.groups.items():
            if g in BUILTIN_GROUPS:
                self.issue(("zones", "groups", g, "__key__"), f"'{g}' is a built-in group", "rename the group")
            ok = []
            for i, z in enumerate(members):
                if z not in self.zone_set:
                    self.issue(("zones", "groups", g, i), f"group '{g}': unknown zone '{z}'", _suggest(z, self.zones))
                else:
                    ok.append(z)
            self.groups[g] = list(dict.fromkeys(ok))
        self.group_sets = {g: set(members) for g, members in self.groups.items()}
        self.names = (*self.zones, *self.groups)

    def resolve_ladders(self) -> None:
        p = self.p
        self.states = list(p.security.states)
        self.levels = list(p.movement.levels)
        for name, seq, path in (
            ("security state", self.states, ("security", "states")),
            ("movement level", self.levels, ("movement", "levels")),
        ):
            if len(set(seq)) != len(seq):
                self.issue(path, f"a {name} is listed twice", "list each once, in order")
        for track, ladder, steps in (
            ("security", self.states, self.p.security.steps),
            ("movement", self.levels, self.p.movement.steps),
        ):
            names = list(steps)
            for s in names:
                if s not in ladder[1:]:
                    self.issue(
                        (track, "steps", s, "__key__"),
                        f"{track} step '{s}' is not a later state of the ladder {ladder}",
                        _suggest(s, ladder[1:]),
                    )
            for s in ladder[1:]:
                if s not in steps:
                    self.issue((track, "steps"), f"no {track} step for '{s}'", f"add '{s}:' under {track}.steps")
            known = [s for s in names if s in ladder]
            if known != sorted(known, key=ladder.index):
                first = next(a for a, b in zip(known, sorted(known, key=ladder.index), strict=True) if a != b)
                self.issue(
                    (track, "steps", first, "__key__"),
                    f"{track} steps are out of the ladder's order ({' -> '.join(known)})",
                    f"list them as {' -> '.join(sorted(known, key=ladder.index))}",
                )
        for s, step in self.p.movement.steps.items():
            if step.requires_security is not None and step.requires_security not in self.states:
                self.issue(
                    ("movement", "steps", s, "requires_security"),
                    f"unknown security state '{step.requires_security}'",
                    _suggest(step.requires_security, self.states),
                )
        obj = self.p.objective
        if obj.minimize == "population_weighted_time":
            if obj.level is None:
                self.issue(
                    ("objective",),
                    "population_weighted_time needs a movement level",
                    f"add 'level:' (one of {self.levels[1:]})",
                )
            elif obj.level not in self.levels[1:]:
                self.issue(
                    ("objective", "level"), f"unknown movement level '{obj.level}'", _suggest(obj.level, self.levels)
                )

    def resolve_crossings(self) -> None:
        self.crossings: dict[str, tuple[int, list[str]]] = {}
        for i, c in enumerate(self.p.crossings):
            if c.id not in self.crossing_ids:
                self.issue(
                    ("crossings", i, "id"), f"unknown crossing '{c.id}'", _suggest(c.id, sorted(self.crossing_ids))
                )
            if c.id in self.crossings:
                self.issue(("crossings", i, "id"), f"crossing '{c.id}' is planned twice", "merge the entries")
            served: dict[str, None] = {}  # ordered, each zone once (groups may overlap)
            for j, name in enumerate(c.serves):
                served.update(dict.fromkeys(self.members(name, ("crossings", i, "serves", j))))
            self.crossings[c.id] = (i, list(served))
        self.serving: dict[str, list[str]] = defaultdict(list)
        for cid, (_, zones) in self.crossings.items():
            for z in zones:
                self.serving[z].append(cid)

    def members(self, name: str, path: tuple[str | int, ...]) -> list[str]:
        if name in self.groups:
            return self.groups[name]
        if name in self.zone_set:
            return [name]
        self.issue(path, f"unknown zone or group '{name}'", _suggest(name, self.names))
        return []

    # -- steps per zone ----------------------------------------------------------------------------------------
    def zone_steps(self, z: str, track: str) -> dict[str, tuple[Any, dict[str, Origin]]]:
        base_steps = self.p.security.steps if track == "security" else self.p.movement.steps
        model = SecurityStep if track == "security" else MovementStep
        out = {}
        for s, step in base_steps.items():
            data = step.model_dump(by_alias=True)
            origins = {f: self.lp.at(track, "steps", s, f) for f in data}
            origins["__step__"] = self.lp.at(track, "steps", s)
            for key, ov in self.p.zones.overrides.items():
                applies = key == z or z in self.group_sets.get(key, ())
                patch = getattr(ov, track).get(s)
                if applies and patch:
                    data.update(patch)
                    for f in patch:
                        origins[f] = self.lp.at("zones", "overrides", key, track, s, f)
            try:
                out[s] = (model.model_validate(data), origins)
            except ValidationError as exc:
                for err in exc.errors():
                    f = str(err["loc"][0]) if err["loc"] else "__step__"
                    o = origins.get(f, origins["__step__"])
                    self.issues.append(
                        PlanIssue(
                            o[0], o[1], o[2], f"{track}.{s}.{f} for zone {z}: {err['msg']}", "correct the override"
                        )
                    )
        return out

    def check_overrides(self) -> None:
        for key, ov in self.p.zones.overrides.items():
            if key not in self.groups and key not in self.zone_set:
                self.issue(
                    ("zones", "overrides", key, "__key__"),
                    f"override for unknown zone or group '{key}'",
                    _suggest(key, self.names),
                )
            for track, ladder in (("security", self.states), ("movement", self.levels)):
                for s in getattr(ov, track):
                    if s not in ladder[1:]:
                        self.issue(
                            ("zones", "overrides", key, track, s, "__key__"),
                            f"unknown {track} step '{s}'",
                            _suggest(s, ladder[1:]),
                        )

    def after(self, items: list[After], zone: str | None, path: tuple[str | int, ...]) -> list[Pred]:
        preds = []
        for i, a in enumerate(items):
            origin = self.lp.at(*path, i)
            if a.gate is not None:
                if a.gate not in self.p.gates:
                    self.issue((*path, i, "gate"), f"unknown gate '{a.gate}'", _suggest(a.gate, list(self.p.gates)))
                    continue
                preds.append(Pred((f"gate/{a.gate}",), a.lag, origin, f"gate {a.gate}"))
                continue
            if a.crossing is not None:
                if a.crossing not in self.crossings:
                    self.issue(
                        (*path, i, "crossing"),
                        f"crossing '{a.crossing}' is not in the plan's crossings",
                        "add it under crossings: or fix the name",
                    )
                    continue
                preds.append(Pred((f"crossing/{a.crossing}",), a.lag, origin, f"crossing {a.crossing}"))
                continue
            track, state = ("security", a.security) if a.security is not None else ("movement", a.movement)
            ladder = self.states if track == "security" else self.levels
            if state not in ladder:
                self.issue(
                    (*path, i, track),
                    f"unknown {track} {'state' if track == 'security' else 'level'} '{state}'",
                    _suggest(str(state), ladder),
                )
                continue
            if a.group is not None:
                targets = self.members(a.group, (*path, i, "group"))
            elif a.zone is not None:
                targets = self.members(a.zone, (*path, i, "zone"))
            elif zone is not None:
                targets = [zone]
            else:
                self.issue(
                    (*path, i),
                    f"awaiting {track} '{state}' needs a zone or group here",
                    "add 'group: all' or 'zone: ...'",
                )
                continue
            if state == ladder[0]:
                continue  # every zone starts there
            for t in targets:
                scope = "same zone" if t == zone else t
                preds.append(Pred((f"{t}/{track}/{state}",), a.lag, origin, f"{scope} reaches {state}"))
        return preds

    def build(self) -> None:
        for z in self.zones:
            row = self.zdf.loc[z]
            sec = self.zone_steps(z, "security")
            mov = self.zone_steps(z, "movement")
            prev: str | None = None
            for k, s in enumerate(self.states[1:], start=1):
                if s not in sec:
                    continue
                step, o = sec[s]
                tid = str(TaskId(z, "security", s))
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
                    window_origin=o["latest"] if step.latest is not None else o["earliest"],
                    troops_origin=o["troops"],
                )
                if prev:
                    t.preds.append(Pred((prev,), 0, o["__step__"], f"after {self.states[k - 1]}"))
                t.preds += self.after(step.after, z, ("security", "steps", s, "after"))
                self.tasks[tid] = t
                prev = tid
            prev = None
            for k, lv in enumerate(self.levels[1:], start=1):
                if lv not in mov:
                    continue
                mstep, o = mov[lv]
                tid = str(TaskId(z, "movement", lv))
                t = Task(
                    key=TaskId(z, "movement", lv),
                    duration=mstep.duration,
                    earliest=mstep.earliest or 0,
                    latest=mstep.latest,
                    origin=o["__step__"],
                    window_origin=o["latest"] if mstep.latest is not None else o["earliest"],
                )
                if prev:
                    t.preds.append(
                        Pred(
                            (prev,),
                            mstep.min_months_at_previous,
                            o["min_months_at_previous"],
                            f"{mstep.min_months_at_previous} months at {self.levels[k - 1]}",
                        )
                    )
                rs = mstep.requires_security
                if rs is not None and rs in self.states and rs != self.states[0]:
                    t.preds.append(Pred((f"{z}/security/{rs}",), 0, o["requires_security"], f"security {rs}"))
                if mstep.requires_crossing:
                    if not self.serving.get(z):
                        f, line, col = o["requires_crossing"]
                        self.issues.append(
                            PlanIssue(
                                f,
                                line,
                                col,
                                f"movement '{lv}' needs an open crossing but no planned crossing serves zone {z}",
                                f"add {z} (or a group holding it) to a crossing's serves:",
                            )
                        )
                    else:
                        t.preds.append(
                            Pred(
                                tuple(f"crossing/{c}" for c in self.serving[z]),
                                0,
                                o["requires_crossing"],
                                "a crossing open",
                                any_of=True,
                            )
                        )
                t.preds += self.after(mstep.after, z, ("movement", "steps", lv, "after"))
                self.tasks[tid] = t
                prev = tid
        for cid, (i, _) in self.crossings.items():
            c = self.p.crossings[i]
            t = Task(
                key=TaskId(cid, "crossing", "open"),
                duration=c.duration,
                earliest=c.earliest or 0,
                latest=c.latest,
                origin=self.lp.at("crossings", i),
                window_origin=self.lp.at("crossings", i, "latest" if c.latest is not None else "earliest"),
            )
            t.preds += self.after(c.after, None, ("crossings", i, "after"))
            self.tasks[t.id] = t
        for g, gate in self.p.gates.items():
            t = Task(
                key=TaskId(g, "gate", g),
                duration=gate.min_duration,
                earliest=gate.earliest or 0,
                latest=None,
                origin=self.lp.at("gates", g),
                window_origin=self.lp.at("gates", g),
            )
            t.preds += self.after(gate.after, None, ("gates", g, "after"))
            self.tasks[t.id] = t

    # -- whole-plan checks -------------------------------------------------------------------------------------
    def order(self) -> list[str] | None:
        """Topological order of the tasks, or None after reporting a cycle."""
        succ: dict[str, list[tuple[str, Pred]]] = defaultdict(list)
        for t in self.tasks.values():
            for pr in t.preds:
                for src in pr.tasks:
                    if src in self.tasks:
                        succ[src].append((t.id, pr))
        state: dict[str, int] = {}
        out: list[str] = []
        for root in self.tasks:
            if root in state:
                continue
            stack: list[tuple[str, int]] = [(root, 0)]
            path: list[str] = []
            while stack:
                node, i = stack.pop()
                if i == 0:
                    if state.get(node) == 2:
                        continue
                    state[node] = 1
                    path.append(node)
                nxt = succ.get(node, [])
                if i < len(nxt):
                    stack.append((node, i + 1))
                    child, pr = nxt[i]
                    if state.get(child) == 1:
                        cyc = [*path[path.index(child) :], child]
                        f, line, col = pr.origin
                        self.issues.append(
                            PlanIssue(
                                f,
                                line,
                                col,
                                "dependency cycle: " + " -> ".join(_label(c) for c in cyc),
                                "remove or change one of these preconditions",
                            )
                        )
                        return None
                    if state.get(child) != 2:
                        stack.append((child, 0))
                else:
                    state[node] = 2
                    path.pop()
                    out.append(node)
        return out[::-1]

    def check_windows(self, order: list[str]) -> None:
        es: dict[str, int] = {}
        why: dict[str, str] = {}
        for tid in order:
            t = self.tasks[tid]
            best, reason = t.earliest, "its earliest month"
            for pr in t.preds:
                ends = [es[s] + self.tasks[s].duration for s in pr.tasks if s in es]
                if not ends:
                    continue
                v = (min(ends) if pr.any_of else max(ends)) + pr.lag
                if v > best:
                    best, reason = v, pr.why
            es[tid], why[tid] = best, reason
            if t.latest is not None and t.earliest + t.duration > t.latest:
                f, line, col = t.window_origin
                self.issues.append(
                    PlanIssue(
                        f,
                        line,
                        col,
                        f"{_label(tid)} cannot fit: earliest {t.earliest} + duration {t.duration} > latest {t.latest}",
                        "widen the window or shorten the step",
                    )
                )
            elif t.latest is not None and best + t.duration > t.latest:
                f, line, col = t.window_origin
                self.issues.append(
                    PlanIssue(
                        f,
                        line,
                        col,
                        f"{_label(tid)} must end by month {t.latest} but cannot "
                        f"start before month {best} ({why[tid]}) and takes {t.duration}",
                        "move 'latest' later or its preconditions earlier",
                    )
                )
            elif best + t.duration > self.p.horizon:
                f, line, col = t.origin
                self.issues.append(
                    PlanIssue(
                        f,
                        line,
                        col,
                        f"{_label(tid)} cannot end within the horizon of "
                        f"{self.p.horizon} months (earliest end {best + t.duration})",
                        "raise 'horizon:' or shorten the chain",
                    )
                )

    def check_troops(self) -> None:
        most = max(p.available for p in self.p.resources.troops)
        for t in self.tasks.values():
            need = max(t.run_troops, t.hold_troops)
            if need > most:
                f, line, col = t.troops_origin
                self.issues.append(
                    PlanIssue(
                        f,
                        line,
                        col,
                        f"{_label(t.id)} needs {need:,} troops but at most {most:,} are ever available",
                        "lower the troops or raise resources.troops",
                    )
                )
        froms = [p.from_ for p in self.p.resources.troops]
        if froms != sorted(set(froms)):
            self.issue(
                ("resources", "troops"),
                "troop periods must have increasing 'from' months",
                "sort the periods and remove duplicates",
            )


def _label(tid: str) -> str:
    parts = tid.split("/")
    if parts[0] in ("gate", "crossing"):
        return f"{parts[0]} {parts[1]}"
    return f"{parts[0]}: {parts[1]} {parts[2]}"


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
        msg = i.message + (f" (and {more} more like it)" if more else "")
        out.append(PlanIssue(i.file, i.line, i.col, msg, i.fix))
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
        order = c.order()
        if order is not None:
            c.check_windows(order)
    if c.issues:
        raise PlanError(limit_issues(_dedupe(c.issues)))
    p = lp.plan
    return Problem(
        name=p.meta.name,
        start=p.meta.start,
        horizon=p.horizon,
        tasks=c.tasks,
        zones=c.zones,
        zone_population={z: int(c.zdf.loc[z, "population"]) for z in c.zones},
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
