"""Compiling the confederation's sections of a plan into tasks and figures.

The sections: baselines, crossing regimes and demand, the Gaza-West Bank links, residual presences, early-warning
stations, the residence ledger, obstacle and barrier removal, and Jerusalem.

Each section names things of the layers (a link, a site, an obstacle type) or of the plan (a crossing, a zone, a
state), so each name is checked here, at the plan's ``file:line:col``, before it becomes a task or a figure of
the :class:`~geo.plan.problem.Problem`.  The compiler (:mod:`geo.plan.compiler`) mixes these methods in: they
share its resolved names, its tasks and its list of issues.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import PlanIssue
from . import checks
from .model import LINK_STATES, After, LoadedPlan, Loc, Origin, Plan, Window
from .problem import DemandLine, Pred, RegimeLine, ResidenceLedger, ResidualLine, StationLine, Task, TaskId

__all__ = ["LayerRefs", "SectionsMixin"]

#: The entity of the residence ledger's one task.
LEDGER = "ledger"


@dataclass(frozen=True)
class LayerRefs:
    """What a plan may name from the layers besides zones and crossings.

    Attributes
    ----------
    links : frozenset of str
        Ids of the ``links`` layer.
    sites : frozenset of str
        Ids of the ``early_warning_sites`` layer.
    obstacle_zones : mapping of str to frozenset of str
        Each obstacle type of the ``obstacles`` layer and the zones holding obstacles of that type.
    """

    links: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()
    obstacle_zones: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, layers: Mapping[str, pd.DataFrame]) -> LayerRefs:
        """What a plan may name from ``layers`` (an absent layer offers nothing).

        Parameters
        ----------
        layers : mapping of str to DataFrame
            Layers by name: ``links``, ``early_warning_sites`` and ``obstacles`` are read when present.

        Returns
        -------
        LayerRefs
        """
        obst = layers.get("obstacles")
        by_type: dict[str, frozenset[str]] = {}
        if obst is not None and len(obst) and "type" in obst.columns:
            for kind, zones in obst.groupby("type", observed=True)["zone_id"]:
                by_type[str(kind)] = frozenset(str(z) for z in zones.dropna())
        return cls(
            links=_ids(layers, "links", "link_id"),
            sites=_ids(layers, "early_warning_sites", "site_id"),
            obstacle_zones=by_type,
        )


def _ids(layers: Mapping[str, pd.DataFrame], name: str, column: str) -> frozenset[str]:
    layer = layers.get(name)
    return frozenset() if layer is None else frozenset(str(x) for x in layer[column])


def _unknown(lp: LoadedPlan, path: Loc, what: str, name: str, *, options: Sequence[str], where: str) -> PlanIssue:
    fix = checks.suggest(name, options) if options else f"the {where} has none: remove it"
    return PlanIssue.at(lp.at(*path), f"unknown {what} '{name}' (not in the {where})", fix)


def _window(lp: LoadedPlan, path: Loc, w: Window) -> tuple[Any, ...]:
    """Where a window is written: its ``latest``, else its ``earliest``, else the entry."""
    return lp.at(*path, "latest" if w.latest is not None else "earliest")


class SectionsMixin:
    """The compiler's methods for the confederation's sections (see the module's docstring)."""

    lp: LoadedPlan
    p: Plan
    names: checks.Names
    states: list[str]
    levels: list[str]
    crossings: dict[str, tuple[int, list[str]]]
    tasks: dict[str, Task]
    issues: list[PlanIssue]
    paths: dict[tuple[str, str], list[str]]
    refs: LayerRefs
    add: Callable[[Task], str]
    after: Callable[[list[After], str | None, Loc], list[Pred]]

    # -- baselines -----------------------------------------------------------------------------------------------
    def baselines(self) -> dict[tuple[str, str], str]:
        """Each zone's starting state per track, from ``baselines:`` in plan order (a later entry wins).

        Where each was set is kept in :attr:`base_origin`, so a conflict involving a starting state points there.
        """
        out: dict[tuple[str, str], str] = {}
        self.base_origin: dict[tuple[str, str], Origin] = {}
        for key, b in self.p.baselines.items():
            zones, issues = checks.members(self.lp, self.names, key, ("baselines", key, "__key__"))
            self.issues += issues
            for track, state, ladder in (("security", b.security, self.states), ("movement", b.movement, self.levels)):
                if state is None:
                    continue
                bad = checks.after_state(self.lp, ("baselines", key), track, state, ladder)
                self.issues += bad
                if not bad:
                    out.update({(z, track): state for z in zones})
                    self.base_origin.update({(z, track): self.lp.at("baselines", key, track) for z in zones})
        return out

    def window_task(self, key: TaskId, w: Window, path: Loc) -> Task:
        """A task of an entity that is not a zone: its window and its preconditions as written at ``path``."""
        t = Task(
            key=key,
            duration=w.duration,
            earliest=w.earliest or 0,
            latest=w.latest,
            origin=self.lp.at(*path),
            window_origin=_window(self.lp, path, w),
        )
        t.preds += self.after(w.after, None, (*path, "after"))
        return t

    # -- every section -------------------------------------------------------------------------------------------
    def build_sections(self) -> None:
        """The tasks and figures of every confederation section, in the plan's order of sections."""
        self.crossing_regimes: dict[str, list[RegimeLine]] = {}
        self.link_capacity: dict[str, dict[str, tuple[int, int]]] = {}
        self.demand: list[DemandLine] = []
        self.residual: list[ResidualLine] = []
        self.stations: list[StationLine] = []
        self.ledger: ResidenceLedger | None = None
        self.obstacle_types: dict[str, list[str]] = {}
        self.barrier_zones: dict[str, list[str]] = {}
        for cid, (i, _) in self.crossings.items():
            self.build_regimes(cid, i)
        self.build_links()
        self.build_demand()
        self.build_residual()
        self.build_stations()
        self.build_residence()
        self.build_obstacles()
        self.build_barrier()
        self.check_jerusalem()

    def extras(self) -> dict[str, Any]:
        """The sections' fields of the :class:`~geo.plan.problem.Problem`."""
        j = self.p.jerusalem
        return {
            "paths": {k: v for k, v in self.paths.items() if k[1] not in ("security", "movement") or self.own(k)},
            "crossing_regimes": self.crossing_regimes,
            "link_capacity": self.link_capacity,
            "demand": self.demand,
            "residual": self.residual,
            "stations": self.stations,
            "residence": self.ledger,
            "obstacle_types": self.obstacle_types,
            "barrier_zones": self.barrier_zones,
            "jerusalem": (j.neighbourhoods, j.zone) if j is not None else None,
        }

    def own(self, key: tuple[str, str]) -> bool:
        """Whether a zone's path on a track differs from the track's ladder."""
        return self.paths[key] != (self.states if key[1] == "security" else self.levels)

    # -- crossings -----------------------------------------------------------------------------------------------
    def build_regimes(self, cid: str, i: int) -> None:
        """Crossing ``cid``'s regimes: the one it opens under, then each later one after the one before."""
        c = self.p.crossings[i]
        lines = [RegimeLine(c.regime, c.partner, c.capacity_per_day, c.trucks_per_day)]
        prev = str(TaskId.crossing(cid))
        for j, r in enumerate(c.regimes):
            path = ("crossings", i, "regimes", j)
            if r.regime in (x.regime for x in lines):
                self.issues.append(
                    PlanIssue.at(
                        self.lp.at(*path, "regime"),
                        f"crossing '{cid}' already runs under regime '{r.regime}'",
                        "list each regime once, in the order the crossing moves through them",
                    )
                )
                continue
            t = self.window_task(TaskId(cid, "regime", r.regime), r, path)
            t.preds.insert(0, Pred((prev,), 0, self.lp.at(*path), f"crossing {cid} under {lines[-1].regime}"))
            prev = self.add(t)
            lines.append(RegimeLine(r.regime, r.partner, r.people_per_day, r.trucks_per_day))
        self.crossing_regimes[cid] = lines
        self.paths[(cid, "regime")] = [x.regime for x in lines]

    def build_demand(self) -> None:
        """Demand lines, each naming crossings the plan opens."""
        for i, d in enumerate(self.p.demand):
            bad = [
                PlanIssue.at(
                    self.lp.at("demand", i, "crossings", j),
                    f"demand '{d.id}': crossing '{c}' is not in the plan's crossings",
                    checks.suggest(c, list(self.crossings)),
                )
                for j, c in enumerate(d.crossings)
                if c not in self.crossings
            ]
            bad += [
                PlanIssue.at(
                    self.lp.at("demand", i, "crossings", j),
                    f"demand '{d.id}': crossing '{c}' is listed twice",
                    "name each crossing once: the demand is shared equally by the crossings named",
                )
                for j, c in enumerate(d.crossings)
                if c in d.crossings[:j]
            ]
            self.issues += bad
            self.issues += self.repeated("demand", i, d.id, [x.id for x in self.p.demand[:i]])
            if not bad:
                self.demand.append(
                    DemandLine(
                        d.id,
                        d.kind,
                        tuple(d.crossings),
                        d.people_per_day,
                        d.trucks_per_day,
                        d.from_,
                        d.ramp_months,
                        d.source,
                    )
                )

    def repeated(self, section: str, i: int, name: str, before: Sequence[str]) -> list[PlanIssue]:
        """An id used twice in a section: the repeat is the error."""
        if name not in before:
            return []
        return [
            PlanIssue.at(self.lp.at(section, i, "id"), f"{section}: '{name}' is listed twice", "give it another id")
        ]

    # -- links ---------------------------------------------------------------------------------------------------
    def build_links(self) -> None:
        """Each Gaza-West Bank link's steps, in the order of :data:`LINK_STATES` (closed first)."""
        for i, lk in enumerate(self.p.links):
            self.issues += self.repeated("links", i, lk.id, [x.id for x in self.p.links[:i]])
            if lk.id not in self.refs.links:
                self.issues.append(
                    _unknown(
                        self.lp, ("links", i, "id"), "link", lk.id, options=sorted(self.refs.links), where="links layer"
                    )
                )
                continue
            states, cap = [LINK_STATES[0]], {LINK_STATES[0]: (0, 0)}
            prev: str | None = None
            for st in LINK_STATES[1:]:
                step = lk.steps.get(st)  # type: ignore[call-overload]
                if step is None:
                    continue
                path = ("links", i, "steps", st)
                t = self.window_task(TaskId(lk.id, "link", st), step, path)
                if prev is not None:
                    t.preds.insert(0, Pred((prev,), 0, self.lp.at(*path), f"link {lk.id} {states[-1]}"))
                prev = self.add(t)
                people, trucks = cap[states[-1]]
                states.append(st)
                cap[st] = (
                    people if step.people_per_day is None else step.people_per_day,
                    trucks if step.trucks_per_day is None else step.trucks_per_day,
                )
            self.paths[(lk.id, "link")] = states
            self.link_capacity[lk.id] = cap

    # -- residual presence and early warning ------------------------------------------------------------------------
    def build_residual(self) -> None:
        """Each residual presence ends on its month; its zones' next security step waits for that end."""
        for key, r in self.p.residual_presence.items():
            base: Loc = ("residual_presence", key)
            zones = self.zones_of(r.zones, (*base, "zones"))
            bad = checks.after_state(self.lp, base, "security", r.during, self.states)
            bad = [PlanIssue.at(self.lp.at(*base, "during"), i.message, i.fix) for i in bad]
            self.issues += bad
            self.issues += self.unknown_sites(r.sites, (*base, "sites"))
            if bad:
                continue
            t = Task(
                key=TaskId(key, "residual", "ended"),
                duration=0,
                earliest=r.ends,
                latest=r.ends,
                origin=self.lp.at(*base),
                window_origin=self.lp.at(*base, "ends"),
            )
            under = [z for z in zones if r.during in self.paths[(z, "security")]]
            if zones and not under:
                self.issues.append(
                    PlanIssue.at(
                        self.lp.at(*base, "during"),
                        f"residual presence '{key}': none of its zones is ever under '{r.during}'",
                        "name the state its zones pass through (e.g. international), or zones that reach it",
                    )
                )
                continue
            tid = self.add(t)
            for z in under:
                path = self.paths[(z, "security")]
                if r.during in path[:-1]:
                    nxt = self.tasks[str(TaskId(z, "security", path[path.index(r.during) + 1]))]
                    nxt.preds.append(Pred((tid,), 0, self.lp.at(*base, "ends"), f"residual presence {key} ends"))
            self.residual.append(
                ResidualLine(
                    key, tuple(under), r.during, tuple(r.sites), max(r.site_count, len(r.sites)), r.ends, r.source
                )
            )

    def zones_of(self, names: Sequence[str], path: Loc) -> list[str]:
        """The zones a list of zone and group names stands for, each once."""
        out: list[str] = []
        for j, n in enumerate(names):
            zones, issues = checks.members(self.lp, self.names, n, (*path, j))
            self.issues += issues
            out += zones
        return list(dict.fromkeys(out))

    def unknown_sites(self, sites: Sequence[str], path: Loc) -> list[PlanIssue]:
        """Sites not in the early_warning_sites layer."""
        return [
            _unknown(self.lp, (*path, j), "site", s, options=sorted(self.refs.sites), where="early_warning_sites layer")
            for j, s in enumerate(sites)
            if s not in self.refs.sites
        ]

    def build_stations(self) -> None:
        """Early-warning stations: a known site (if any), an opening before the closing."""
        for i, e in enumerate(self.p.early_warning):
            self.issues += self.repeated("early_warning", i, e.id, [x.id for x in self.p.early_warning[:i]])
            if e.site is not None:
                self.issues += self.unknown_sites([e.site], ("early_warning", i, "site"))[:1]
            if e.until is not None and e.until <= e.from_:
                self.issues.append(
                    PlanIssue.at(
                        self.lp.at("early_warning", i, "until"),
                        f"early-warning station '{e.id}' closes (month {e.until}) before it opens (month {e.from_})",
                        "make 'until' later than 'from'",
                    )
                )
            self.stations.append(StationLine(e.id, e.site, e.from_, e.until, e.review_every, e.source))

    # -- residence ---------------------------------------------------------------------------------------------------
    def build_residence(self) -> None:
        """The residence ledger: a task for its opening, and its yearly quotas both ways."""
        r = self.p.residence
        if r is None:
            return
        if r.settlers_on is not None and r.settlers_on not in self.states:
            self.issues.append(
                PlanIssue.at(
                    self.lp.at("residence", "settlers_on"),
                    f"residence.settlers_on: unknown security state '{r.settlers_on}'",
                    checks.suggest(r.settlers_on, self.states),
                )
            )
        if r.israelis_in_palestine.settlers_staying_pct and r.settlers_on is None:
            self.issues.append(
                PlanIssue.at(
                    self.lp.at("residence", "israelis_in_palestine", "settlers_staying_pct"),
                    "settlers_staying_pct counts nobody without residence.settlers_on",
                    "add 'settlers_on:' (the security state from which settlers who stay are residents)",
                )
            )
        self.add(self.window_task(TaskId(LEDGER, "residence", "open"), r.opens, ("residence", "opens")))
        self.ledger = ResidenceLedger(
            tuple(r.israelis_in_palestine.per_year),
            tuple(r.palestinians_in_israel.per_year),
            tuple(r.palestinians_in_israel.refugees_per_year),
            r.parity,
            r.israelis_in_palestine.settlers_staying_pct,
            r.settlers_on,
        )

    # -- obstacles and the barrier -----------------------------------------------------------------------------------
    def build_obstacles(self) -> None:
        """Per obstacle type, one removal task in every zone holding obstacles of that type."""
        known = sorted(self.refs.obstacle_zones)
        for kind, step in self.p.obstacles.items():
            if kind not in self.refs.obstacle_zones:
                self.issues.append(
                    _unknown(
                        self.lp,
                        ("obstacles", kind, "__key__"),
                        "obstacle type",
                        kind,
                        options=known,
                        where="obstacles layer",
                    )
                )
                continue
            holding = self.refs.obstacle_zones[kind]
            zones = [z for z in self.names.zones if z in holding]
            for z in zones:
                path = ("obstacles", kind)
                t = Task(
                    key=TaskId(z, "obstacles", kind),
                    duration=step.duration,
                    earliest=step.earliest or 0,
                    latest=step.latest,
                    origin=self.lp.at(*path),
                    window_origin=_window(self.lp, path, step),
                )
                t.preds += self.after(step.after, z, (*path, "after"))
                self.add(t)
            self.obstacle_types[kind] = zones

    def build_barrier(self) -> None:
        """Barrier removal steps; each zone is covered by one step at most."""
        owner: dict[str, str] = {}
        for i, b in enumerate(self.p.barrier):
            self.issues += self.repeated("barrier", i, b.id, [x.id for x in self.p.barrier[:i]])
            zones = self.zones_of(b.zones, ("barrier", i, "zones"))
            for z in zones:
                if z in owner:
                    self.issues.append(
                        PlanIssue.at(
                            self.lp.at("barrier", i, "zones"),
                            f"barrier step '{b.id}': zone '{z}' is already in step '{owner[z]}'",
                            "name each zone in one barrier step only",
                        )
                    )
                owner.setdefault(z, b.id)
            self.add(self.window_task(TaskId(b.id, "barrier", "removed"), b, ("barrier", i)))
            self.barrier_zones[b.id] = [z for z in zones if owner[z] == b.id]

    def check_jerusalem(self) -> None:
        """The Jerusalem section names a zone in use."""
        j = self.p.jerusalem
        if j is not None and j.zone not in self.names.zone_set:
            self.issues.append(
                PlanIssue.at(
                    self.lp.at("jerusalem", "zone"),
                    f"jerusalem: zone '{j.zone}' is not one of the plan's zones",
                    f"add it to zones.use, or {checks.suggest(j.zone, self.names.zones)}",
                )
            )
