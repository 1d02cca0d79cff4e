"""Plain-language answers about a scheduled plan: its objective in months, a phase-by-phase summary, metric changes.

A schedule is hundreds of steps and a metrics table is a hundred columns wide; a planner asks shorter questions:
what happens in the first year, when is every zone under the international force, how many people can cross, what
is left of the barrier.  :func:`summarize` answers them phase by phase, in words and grouped numbers with their
units, from the run's own timeline and metrics (so it cannot disagree with the tables, the map or the exports).

**Phases.**  Month 0 is the starting point (the plan's baselines, what is open at the start).  A phase then ends
at each of the plan's own turning points: the month every zone that moves into a security state has reached it
("all 41 zones under the international force"), the end of each residual presence, and the last step.  When
something still changes after the last step (residents keep arriving, a station is reviewed), a last phase runs
to the horizon.  Reviews (gates) are events inside a phase, not cuts, so short reviews do not split the story
into slivers.  At most :data:`MAX_PHASES` phases are shown (thinned evenly, keeping the first and the last).

Every name in a line (a zone, a crossing, a link, a partner) comes from the plan or the layers: it is data,
interpolated as a value and printed by the command line's safe printer, never used as a format string.
Text only: nothing here draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from .figures import FIGURES_TITLE, STORY_TITLE, figure_groups, figure_lines, milestones, month_name
from .i18n import check_language, translate
from .metrics import DAYS_PER_MONTH, crossing_flows, metric_unit, monthly_metrics, obstacle_removal_months
from .plan import Problem
from .run import PlanRun
from .schedule import Schedule
from .schedule import explain as explaining
from .schedule.verify import objective_terms
from .timeline import Timeline

__all__ = [
    "KEY_MONTHS",
    "MAX_PHASES",
    "Phase",
    "PlainObjective",
    "Summary",
    "change_months",
    "describe_objective",
    "key_metrics",
    "metric_changes",
    "phase_cuts",
    "summarize",
    "what_if",
]

#: Most phases shown after month 0.
MAX_PHASES = 10
#: Months at which ``explain --delay`` compares the metrics (with the later of the two ends).
KEY_MONTHS = (12, 24, 36, 72)
#: Zones named in a line when there are this many or fewer (more are counted).
_NAMED = 3

#: How a line names the default ladders' states and levels, and the regimes and link states; other names as given.
_SECURITY = {
    "idf": "the Israeli military (idf)",
    "israel_police": "the Israel Police",
    "international": "the international force",
    "palestinian": "Palestinian security",
    "shared": "a shared regime",
}
_MOVEMENT = {
    "closure": "closure",
    "internal": "movement inside the territory (internal)",
    "permits": "permits to cross",
    "free_movement": "free movement",
}
_REGIME = {"israeli": "Israeli", "palestinian": "Palestinian", "international": "international", "joint": "joint"}
_LINK = {"escorted_convoys": "escorted convoys", "open_to_people": "open to people", "open_to_goods": "open to goods"}


def _security(state: str) -> str:
    return _SECURITY.get(state, f"security state {state}")


def _level(level: str) -> str:
    return _MOVEMENT.get(level, level)


def _zones(n: int) -> str:
    return f"{n:,} zone" if n == 1 else f"{n:,} zones"


def _months(n: int) -> str:
    return f"{n:,} month" if n == 1 else f"{n:,} months"


def _named(zones: Sequence[str]) -> str:
    """``3 zones (a, b, c)`` for a few zones, ``12 zones`` for more."""
    return f"{_zones(len(zones))} ({', '.join(zones)})" if len(zones) <= _NAMED else _zones(len(zones))


def _all(zones: Sequence[str]) -> str:
    """``both zones (a, b)`` or ``all 41 zones``: every zone of a set."""
    return f"both {_named(zones).removeprefix('2 ')}" if len(zones) == 2 else f"all {_named(zones)}"


def _per_day(people: int, trucks: int, per: str = "a day") -> str:
    parts = []
    if people:
        parts.append(f"{people:,} people")
    if trucks:
        parts.append(f"{trucks:,} trucks")
    return f"{' and '.join(parts)} {per}" if parts else "no stated capacity"


def _runs(months: Sequence[int]) -> str:
    """``1-6, 9`` for months 1..6 and 9."""
    out: list[list[int]] = []
    for m in months:
        if out and out[-1][1] == m - 1:
            out[-1][1] = m
        else:
            out.append([m, m])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in out)


def _in(month: int | None, a: int, b: int) -> bool:
    """Whether ``month`` falls in the phase ``(a, b]``."""
    return month is not None and a < month <= b


# -- the objective --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlainObjective:
    """A schedule's objective in units a planner reads: months, or months per person.

    Attributes
    ----------
    kind : str
        ``completion`` or ``population_weighted_time``.
    unit : str
        ``months`` or ``months per person``.
    value, bound : float
        The objective and its proven bound in ``unit``.
    level : str or None
        The movement level a population-weighted objective times.
    people, zones : int
        The population weighed and its zones (0 for completion).
    raw, raw_bound : int
        The solver's own numbers (person-months for a population-weighted objective).
    """

    kind: str
    unit: str
    value: float
    bound: float
    level: str | None
    people: int
    zones: int
    raw: int
    raw_bound: int

    def text(self) -> str:
        """One line: ``mean 27.41 months per person to free movement (bound 27.41 months per person), over ...``.

        Completion reads ``completion in 78 months (bound 78 months)``.
        """
        if self.kind != "population_weighted_time":
            return f"completion in {self.raw:,} months (bound {self.raw_bound:,} months)"
        if not self.people:
            return f"no zone of the plan steps into {_level(self.level or '')}: nothing to weigh"
        return (
            f"mean {self.value:,.2f} months per person to {_level(self.level or '')} "
            f"(bound {self.bound:,.2f} months per person), over {self.people:,} people in {_zones(self.zones)}"
        )


def describe_objective(problem: Problem, sched: Schedule) -> PlainObjective:
    """The objective in plain units.

    A population-weighted objective is a sum of person-months, a number nobody can picture; divided by the
    population it weighs (the zones that take the step) it is the mean wait per person, in months, and its bound
    divides the same way.  Completion is already in months.

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    sched : Schedule
        Its schedule.

    Returns
    -------
    PlainObjective
    """
    terms = objective_terms(problem)
    if terms is None:
        raw = sched.objective
        return PlainObjective(problem.objective, "months", raw, sched.bound, None, 0, 0, raw, sched.bound)
    people = sum(w for w, _ in terms)
    value = sched.objective / people if people else 0.0
    bound = sched.bound / people if people else 0.0
    return PlainObjective(
        problem.objective,
        "months per person",
        value,
        bound,
        problem.objective_level,
        people,
        len(terms),
        sched.objective,
        sched.bound,
    )


# -- phases -----------------------------------------------------------------------------------------------------------
@dataclass
class Phase:
    """What happens in months ``(start, end]`` (month 0 alone for the starting point), in lines and in figures.

    Attributes
    ----------
    start, end : int
        Months; the starting point has ``start == end == 0``.
    start_date, end_date : str
        ``YYYY-MM``.
    why : list of str
        Why the phase ends where it does.
    lines : list of str
        The summary, one statement a line.
    facts : dict
        The same figures, for ``--json``.
    """

    start: int
    end: int
    start_date: str
    end_date: str
    why: list[str]
    lines: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def heading(self) -> str:
        """``months 0-12 (2027-01 to 2028-01), until ...:`` or ``month 0 (2027-01), the starting point:``."""
        if self.end == 0:
            return f"month 0 ({self.start_date}), the starting point:"
        until = f", until {' and '.join(self.why)}" if self.why else ""
        return f"months {self.start}-{self.end} ({self.start_date} to {self.end_date}){until}:"


@dataclass
class Summary:
    """A plan's summary: its schedule's status, its objective in plain units, and its phases."""

    plan: str
    status: str
    makespan: int
    horizon: int
    start: str
    objective: PlainObjective
    phases: list[Phase]

    def lines(self) -> list[str]:
        """The summary as text lines (every name in them is data, for a safe printer)."""
        out = [
            f"{self.plan}: {self.status}; last step ends month {self.makespan}; horizon {self.horizon} months",
            f"objective: {self.objective.text()}",
        ]
        for ph in self.phases:
            out += ["", ph.heading(), *(f"  {line}" for line in ph.lines or ["nothing changes"])]
        return out

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain data (``--json``)."""
        return {
            "plan": self.plan,
            "status": self.status,
            "makespan": self.makespan,
            "horizon": self.horizon,
            "start": self.start,
            "objective": {**asdict(self.objective), "text": self.objective.text()},
            "phases": [asdict(p) for p in self.phases],
        }


@dataclass
class _Ctx:
    """What every section reads, computed once per summary."""

    problem: Problem
    tl: Timeline
    rows: dict[int, dict[str, Any]]  # the metrics, by month
    flows: pd.DataFrame
    obstacles: list[tuple[str, int | None]]  # (type, month removed)
    baselines: dict[str, list[str]]  # security state -> the baselines: keys that start zones in it


def _context(run: PlanRun) -> _Ctx:
    problem, tl = run.problem, run.timeline
    obst = run.layers.get("obstacles")
    removed: list[tuple[str, int | None]] = []
    if obst is not None and len(obst):
        used = obst[obst["zone_id"].isin(set(problem.zones))]
        kinds = used["type"].astype(str) if "type" in used.columns else pd.Series(["obstacle"] * len(used))
        removed = list(zip(kinds, obstacle_removal_months(problem, tl, used), strict=True))
    baselines: dict[str, list[str]] = {}
    for key, b in run.loaded.plan.baselines.items():
        if b.security is not None:
            baselines.setdefault(b.security, []).append(key)
    rows = {int(r["month"]): {str(k): v for k, v in r.items()} for r in run.metrics.to_dict(orient="records")}
    return _Ctx(problem, tl, rows, crossing_flows(problem, tl), removed, baselines)


def phase_cuts(problem: Problem, tl: Timeline) -> dict[int, list[str]]:
    """The months where a phase ends, each with why (see the module's docstring).

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    tl : Timeline
        Its timeline.

    Returns
    -------
    dict of int to list of str
        Months after 0, in order, up to the last step's end, and the reasons for each.
    """
    cuts: dict[int, list[str]] = {}
    for s in problem.security_states:
        going = [z for z in problem.zones if s in tl.path(z, "security")[1:]]
        months = [tl.month_reached(z, "security", s) for z in going]
        if going and all(m is not None for m in months):
            last = max(m for m in months if m is not None)
            who = f"{_all(going)} are" if len(going) > 1 else f"{_named(going)} is"
            cuts.setdefault(last, []).append(f"{who} under {_security(s)}")
    for r in problem.residual:
        cuts.setdefault(r.ends, []).append(f"the residual presence {r.id} ends")
    end = tl.makespan
    cuts.setdefault(end, []).append("the last step ends")
    kept = sorted(m for m in cuts if 0 < m <= end)
    if len(kept) > MAX_PHASES:
        step = (len(kept) - 1) / (MAX_PHASES - 1)
        kept = sorted({kept[round(k * step)] for k in range(MAX_PHASES)})
    return {m: cuts[m] for m in kept}


# -- the sections of a phase: each returns its figures and its lines ---------------------------------------------------
_Section = tuple[dict[str, Any], list[str]]


def _handovers(c: _Ctx, a: int, b: int) -> _Section:
    """Zones handed over to each security state in the phase (and whether that completes the state)."""
    facts: dict[str, list[str]] = {}
    lines = []
    for s in c.problem.security_states:
        zones = [z for z in c.problem.zones if _in(c.tl.month_reached(z, "security", s), a, b)]
        if not zones:
            continue
        facts[s] = zones
        going = [z for z in c.problem.zones if s in c.tl.path(z, "security")[1:]]
        done = all(_in(c.tl.month_reached(z, "security", s), 0, b) for z in going)
        if done and len(zones) == len(going) > 1:
            lines.append(f"{_all(zones)} to {_security(s)}")
        else:
            every = "both" if len(going) == 2 else f"all {len(going):,}"
            now_all = f" (now {every} that go there)" if done and len(going) > len(zones) else ""
            lines.append(f"{_named(zones)} to {_security(s)}{now_all}")
    return {"security": facts}, lines


def _movement(c: _Ctx, a: int, b: int) -> _Section:
    """People (and their zones) reaching each movement level in the phase."""
    facts: dict[str, int] = {}
    lines = []
    for lv in c.problem.movement_levels[1:]:
        zones = [z for z in c.problem.zones if _in(c.tl.month_reached(z, "movement", lv), a, b)]
        if zones:
            people = sum(c.problem.zone_population[z] for z in zones)
            facts[lv] = people
            lines.append(f"{people:,} people in {_named(zones)} reach {_level(lv)}")
    return {"movement_people": facts}, lines


def _obstacles(c: _Ctx, a: int, b: int) -> _Section:
    """Obstacles removed in the phase by type, and how many still stand at its end."""
    if not c.obstacles:
        return {}, []
    gone: dict[str, int] = {}
    for kind, m in c.obstacles:
        if _in(m, a, b):
            gone[kind] = gone.get(kind, 0) + 1
    standing = sum(m is None or m > b for _, m in c.obstacles)
    facts = {"obstacles_removed": gone, "obstacles_standing": standing}
    left = f"{standing:,} still standing" if standing else "none left standing"
    if not gone:
        return facts, [f"{standing:,} obstacles standing"] if a < 0 else []
    by_type = ", ".join(f"{n:,} {k}" for k, n in sorted(gone.items(), key=lambda kv: (-kv[1], kv[0])))
    total = sum(gone.values())
    return facts, [f"{total:,} obstacle{'s' if total != 1 else ''} removed ({by_type}); {left}"]


def _management(regime: str, partner: str | None) -> str:
    who = _REGIME.get(regime, regime)
    return f"{who} management with {partner}" if partner else f"{who} management"


def _crossings(c: _Ctx, a: int, b: int) -> _Section:
    """Crossings opening, and crossings moving to another regime (with its partner and capacity)."""
    facts: list[dict[str, Any]] = []
    lines = []
    for cid, regimes in c.problem.crossing_regimes.items():
        opened = c.tl.completed(cid, "crossing")
        events = [(opened, regimes[0])] if regimes else []
        events += [(c.tl.month_reached(cid, "regime", r.regime), r) for r in regimes[1:]]
        for k, (m, r) in enumerate(events):
            if not _in(m, a, b):
                continue
            facts.append({"crossing": cid, "month": m, **asdict(r)})
            verb = ("open at the start under" if m == 0 else "opens under") if k == 0 else "passes to"
            lines.append(
                f"{cid} {verb} {_management(r.regime, r.partner)} ({_per_day(r.people_per_day, r.trucks_per_day)})"
            )
    return {"crossings": facts}, lines


def _over_capacity(c: _Ctx, a: int, b: int) -> _Section:
    """Crossings whose demand is above what they let through, for how many months, by how much at worst."""
    f = c.flows
    over = f[(f["month"] > a) & (f["month"] <= b) & f["over_capacity"]]
    facts: dict[str, dict[str, Any]] = {}
    lines = []
    for cid, g in over.groupby("crossing", sort=False):
        months = [int(m) for m in g["month"]]
        people = int((g["people_demand"] - g["people_capacity"]).clip(lower=0).max())
        trucks = int((g["trucks_demand"] - g["trucks_capacity"]).clip(lower=0).max())
        facts[str(cid)] = {"months": months, "people_short_per_day": people, "trucks_short_per_day": trucks}
        lines.append(
            f"{cid} over capacity for {_months(len(months))} ({_runs(months)}): at worst "
            f"{_per_day(people, trucks)} more wanting to cross than it lets through"
        )
    if a < 0 and facts:  # the starting point is one month: one line
        short = [
            f"{k} ({_per_day(v['people_short_per_day'], v['trucks_short_per_day'])} short)" for k, v in facts.items()
        ]
        lines = [f"over capacity at the start (demand above what it lets through): {', '.join(short)}"]
    return {"over_capacity": facts}, lines


def _links(c: _Ctx, a: int, b: int) -> _Section:
    """The Gaza-West Bank links' changes of state, and the people and trucks they carry a month."""
    facts: list[dict[str, Any]] = []
    lines = []
    for link, cap in c.problem.link_capacity.items():
        path = c.tl.path(link, "link")
        if a < 0:
            lines.append(f"Gaza-West Bank link {link}: {_LINK.get(path[0], path[0])}")
        for st in path[1:]:
            m = c.tl.month_reached(link, "link", st)
            if _in(m, a, b):
                people, trucks = (x * DAYS_PER_MONTH for x in cap[st])
                facts.append({"link": link, "state": st, "month": m, "people_per_month": people})
                facts[-1]["trucks_per_month"] = trucks
                lines.append(f"Gaza-West Bank link {link}: {_LINK.get(st, st)} ({_per_day(people, trucks, 'a month')})")
    return {"links": facts}, lines


def _presence(c: _Ctx, a: int, b: int) -> _Section:
    """Residual presences ending; early-warning stations opening, reviewed and closing."""
    lines = []
    ended = [r.id for r in c.problem.residual if _in(r.ends, a, b)]
    lines += [f"the residual Israeli presence {r} ends" for r in ended]
    opened = [s.id for s in c.problem.stations if _in(s.start, a, b)]
    closed = [s.id for s in c.problem.stations if _in(s.until, a, b)]
    reviews = {s.id: [m for m in s.reviews(c.problem.horizon) if _in(m, a, b)] for s in c.problem.stations}
    reviews = {k: v for k, v in reviews.items() if v}
    if opened:
        lines.append(f"early-warning stations in place: {', '.join(opened)}")
    for sid, months in reviews.items():
        lines.append(f"early-warning station {sid} reviewed in month {_runs(months)}")
    if closed:
        lines.append(f"early-warning stations closed: {', '.join(closed)}")
    facts = {"residual_ended": ended, "stations_opened": opened, "stations_closed": closed, "reviews": reviews}
    return facts, lines


def _reviews(c: _Ctx, a: int, b: int) -> _Section:
    """The plan's reviews (gates) that end in the phase."""
    done = [(m, g) for g in c.tl.entities("gate") if _in(m := c.tl.completed(g, "gate"), a, b)]
    done.sort(key=lambda mg: (mg[0] or 0, mg[1]))
    return {"reviews_ended": {g: m for m, g in done}}, [f"review {g} ends (month {m})" for m, g in done]


def _row(c: _Ctx, month: int) -> dict[str, Any]:
    """The metrics of ``month`` (month 0 for the month before the start)."""
    return c.rows[min(max(month, 0), max(c.rows))]


def _residents(c: _Ctx, a: int, b: int) -> _Section:
    """The residence ledger's opening, and residents each way at the end of the phase (once there are any)."""
    if c.problem.residence is None:
        return {}, []
    lines = []
    opened = c.tl.completed("ledger", "residence")
    if _in(opened, a, b):
        lines.append(f"residence across the border opens (month {opened})")
    r = _row(c, b)
    names = ("israelis_in_palestine", "settlers_staying", "palestinians_in_israel", "refugees_in_israel")
    facts = {k: int(r[f"residents_{k}"]) for k in names}
    if any(facts.values()):
        lines.append(
            f"residents at month {b}: {facts['israelis_in_palestine']:,} Israelis in Palestine "
            f"({facts['settlers_staying']:,} of them settlers who stay), {facts['palestinians_in_israel']:,} "
            f"Palestinians in Israel ({facts['refugees_in_israel']:,} of them refugees)"
        )
    return {"residents": facts}, lines


def _barrier(c: _Ctx, a: int, b: int) -> _Section:
    """Barrier removal steps done in the phase; the km standing and the seam zone reconnected, when they change."""
    if "barrier_km_standing" not in c.rows[0]:
        return {}, []
    removed = [s for s in c.tl.entities("barrier") if _in(c.tl.completed(s, "barrier"), a, b)]
    r = _row(c, b)
    km, seam_km2, seam_people = (
        r[k] for k in ("barrier_km_standing", "seam_km2_reconnected", "seam_people_reconnected")
    )
    facts = {"removed": removed, "km_standing": float(km), "seam_km2": float(seam_km2), "seam_people": int(seam_people)}
    lines = [f"barrier removed: {', '.join(removed)}"] if removed else []
    reconnected = f"; seam zone reconnected: {seam_km2:,.1f} km² and {int(seam_people):,} people" if seam_km2 else ""
    if removed or a < 0 or km != _row(c, a)["barrier_km_standing"]:
        lines.append(f"barrier standing: {km:,.1f} km{reconnected}")
    return {"barrier": facts}, lines


def _jerusalem(c: _Ctx, a: int, b: int) -> _Section:
    """East Jerusalem's people by regime, at the start and whenever it changes."""
    cols = [k for k in c.rows[0] if k.startswith("jerusalem_people_")]
    if not cols:
        return {}, []
    now = {k.removeprefix("jerusalem_people_"): int(_row(c, b)[k]) for k in cols}
    before = {k.removeprefix("jerusalem_people_"): int(_row(c, a)[k]) for k in cols} if a >= 0 else None
    if now == before:
        return {}, []
    words = {"israeli": "under Israel", "palestinian": "under Palestine", "shared": "under shared sovereignty"}
    parts = [f"{n:,} {words.get(k, k)}" for k, n in now.items() if n]
    return {"jerusalem_people": now}, [f"East Jerusalem's people: {', '.join(parts) or 'none counted'}"]


def _troops(c: _Ctx, a: int, b: int) -> _Section:
    """The most international troops deployed in the phase, against those available."""
    months = [_row(c, mo) for mo in range(max(a + 1, 0), b + 1)]
    peak = max(months, key=lambda r: int(r["troops_deployed"]), default=None)
    if peak is None or not int(peak["troops_deployed"]):
        return {}, []
    used, have = int(peak["troops_deployed"]), int(peak["troops_available"])
    return {"troops_peak": used}, [f"international troops: at most {used:,} deployed ({have:,} available then)"]


# -- the starting point ------------------------------------------------------------------------------------------------
def _start_security(c: _Ctx) -> _Section:
    """Zones by their security state at month 0, naming the baselines that put them there."""
    by_state: dict[str, list[str]] = {}
    for z in c.problem.zones:
        by_state.setdefault(c.tl.state_at(z, "security", 0), []).append(z)
    lines = []
    for s in c.problem.security_states:
        zones = by_state.get(s, [])
        if zones:
            keys = c.baselines.get(s, []) if s != c.problem.security_states[0] else []
            named = f"{_zones(len(zones))} ({', '.join(keys)})" if keys and len(zones) > _NAMED else _named(zones)
            lines.append(f"{named} under {_security(s)}")
    return {"security": by_state}, lines


def _start_movement(c: _Ctx) -> _Section:
    """People at each movement level at month 0."""
    facts = {lv: int(_row(c, 0)[f"population_{lv}"]) for lv in c.problem.movement_levels}
    lines = [f"{n:,} people at {_level(lv)}" for lv, n in facts.items() if n]
    return {"movement_people": facts}, lines


def _start_presence(c: _Ctx) -> _Section:
    """The residual presences the plan keeps: where, under whose authority, until when."""
    lines = []
    for r in c.problem.residual:
        sites = f"{r.site_count:,} fixed sites" if r.site_count else "no site named"
        lines.append(
            f"residual Israeli presence {r.id}: {_named(list(r.zones))}, while under {_security(r.during)}, "
            f"until month {r.ends} ({sites})"
        )
    return {"residual": [r.id for r in c.problem.residual]}, lines


_STARTING: tuple[Callable[[_Ctx], _Section], ...] = (_start_security, _start_movement, _start_presence)
_SECTIONS: tuple[Callable[[_Ctx, int, int], _Section], ...] = (
    _handovers,
    _movement,
    _reviews,
    _obstacles,
    _crossings,
    _over_capacity,
    _links,
    _presence,
    _residents,
    _barrier,
    _jerusalem,
    _troops,
)


def _fill(ph: Phase, sections: Iterable[_Section]) -> Phase:
    for facts, lines in sections:
        ph.facts.update({k: v for k, v in facts.items() if v not in ({}, [])})
        ph.lines += lines
    return ph


def _phase(c: _Ctx, a: int, b: int, why: list[str]) -> Phase:
    ph = Phase(a, b, c.tl.label(a), c.tl.label(b), why)
    return _fill(ph, (section(c, a, b) for section in _SECTIONS))


def _changes_after(c: _Ctx, end: int) -> bool:
    """Whether anything still changes between the last step and the horizon (residents, reviews, demand)."""
    h = c.problem.horizon
    if end >= h:
        return False
    if {k: v for k, v in _row(c, end).items() if k not in ("month", "date")} != {
        k: v for k, v in _row(c, h).items() if k not in ("month", "date")
    }:
        return True
    return any(_in(m, end, h) for s in c.problem.stations for m in (s.until, *s.reviews(h)))


def summarize(run: PlanRun) -> Summary:
    """A scheduled plan, phase by phase, in plain language (see the module's docstring for the phases).

    Parameters
    ----------
    run : PlanRun
        The scheduled plan.

    Returns
    -------
    Summary
        Its :meth:`Summary.lines` for the terminal, :meth:`Summary.to_dict` for ``--json``.
    """
    c = _context(run)
    tl = c.tl
    start = Phase(0, 0, tl.label(0), tl.label(0), [])
    _fill(start, [s(c) for s in _STARTING])
    _fill(start, (section(c, -1, 0) for section in _SECTIONS if section not in (_handovers, _movement)))
    phases = [start]
    a = 0
    for b, why in phase_cuts(c.problem, tl).items():
        phases.append(_phase(c, a, b, why))
        a = b
    if _changes_after(c, a):
        phases.append(_phase(c, a, c.problem.horizon, ["the horizon"]))
    sched = run.schedule
    objective = describe_objective(c.problem, sched)
    return Summary(run.name, sched.status, tl.makespan, c.problem.horizon, c.problem.start, objective, phases)


# -- what a delay changes ------------------------------------------------------------------------------------------
def key_metrics(problem: Problem, columns: Iterable[str]) -> list[str]:
    """The metrics a what-if compares (those of them the metrics table has).

    The territory in each security state, people at each movement level, obstacles, crossings, the link, residents
    each way, the barrier and troops.

    Chosen from the plan's own ladders, so a plan with other state names is compared on its own terms; every
    security state is listed, not only the first and the last, because the last on a ladder may be a state few
    zones reach (a shared regime) while the one most zones reach sits before it.

    Parameters
    ----------
    problem : Problem
        The compiled plan.
    columns : iterable of str
        The metrics table's columns.

    Returns
    -------
    list of str
    """
    wanted = [f"area_pct_{s}" for s in problem.security_states]
    wanted += [f"population_{lv}" for lv in problem.movement_levels]
    wanted += ["obstacles_removed", "crossings_open", "crossings_over_capacity", "link_people_per_month"]
    wanted += ["residents_israelis_in_palestine", "residents_palestinians_in_israel", "barrier_km_standing"]
    wanted += ["troops_deployed"]
    have = set(columns)
    return [k for k in wanted if k in have]


def change_months(horizon: int, ends: Iterable[int]) -> list[int]:
    """The months a what-if compares: :data:`KEY_MONTHS` within the horizon, and the later end of the schedules.

    Parameters
    ----------
    horizon : int
        The plan's horizon.
    ends : iterable of int
        The months the schedules compared end.

    Returns
    -------
    list of int
    """
    end = min(max(ends, default=0), horizon)
    return sorted({m for m in KEY_MONTHS if m <= horizon} | {end})


def metric_changes(
    before: pd.DataFrame, after: pd.DataFrame, columns: Sequence[str], months: Sequence[int]
) -> pd.DataFrame:
    """Metrics before and after a change, side by side, at some months.

    Parameters
    ----------
    before, after : DataFrame
        Two metrics tables of the same plan (:func:`geo.metrics.monthly_metrics`).
    columns : sequence of str
        The metrics to compare.
    months : sequence of int
        The months to compare them at.

    Returns
    -------
    pandas.DataFrame
        Columns ``month``, ``metric``, ``unit``, ``before``, ``after``, ``change`` (after minus before).
    """
    b = {int(r["month"]): r for r in before.to_dict(orient="records")}
    a = {int(r["month"]): r for r in after.to_dict(orient="records")}
    rows = []
    for mo in months:
        for col in columns:
            x, y = b[mo][col], a[mo][col]
            change = round(float(y) - float(x), 3)
            rows.append(
                {"month": mo, "metric": col, "unit": metric_unit(col), "before": x, "after": y, "change": change}
            )
    return pd.DataFrame(rows, columns=["month", "metric", "unit", "before", "after", "change"])


def what_if(run: PlanRun, task: str, months: int) -> dict[str, Any]:
    """What moves if ``task`` slips ``months`` months, and how the key metrics change: ``plan explain --delay``.

    The schedule is repaired by :func:`geo.schedule.explain.what_if` (every other task keeps its start unless
    the delay forces it to move) and the key metrics compared at the months :func:`change_months` picks; the
    command line (``plan explain --delay``) and the workbench both show it.

    Parameters
    ----------
    run : PlanRun
        The scheduled plan.
    task : str
        A task id, ``gate NAME`` or ``crossing ID``.
    months : int
        The delay, 0 to the plan's horizon.

    Returns
    -------
    dict
        ``delay``, ``months``, ``moved`` (task, from, to), ``makespan`` (before, after), ``at_months`` and
        ``metrics`` (month, metric, unit, before, after, change), JSON-serialisable.

    Raises
    ------
    UsageError
        When no task has that name or the delay is outside the horizon.
    PlanError
        When the delay leaves no feasible schedule.
    """
    problem, sched = run.problem, run.schedule
    new, moved = explaining.what_if(problem, sched, task, months)
    zones, obstacles = run.layers["zones"], run.layers.get("obstacles")
    after = monthly_metrics(problem, new, zones, obstacles, layers=run.layers)
    at = change_months(problem.horizon, (sched.makespan, new.makespan))
    changes = metric_changes(run.metrics, after, key_metrics(problem, run.metrics.columns), at)
    return {
        "delay": explaining.resolve_task(problem, task),
        "months": months,
        "moved": [{"task": t, "from": a, "to": b} for t, a, b in moved],
        "makespan": {"before": sched.makespan, "after": new.makespan},
        "at_months": at,
        "metrics": json.loads(changes.to_json(orient="records")),
    }


# -- the plan's story, in any language of the catalogue ---------------------------------------------------------------
def story(run: PlanRun, lang: str = "en") -> list[str]:
    """The plan's milestones with their captions, then the figures at its last milestone, in ``lang``.

    The same milestones, captions and figures the phase map steps through (:func:`geo.figures.milestones`), worded
    by the interface's catalogue, so a presenter can read the story aloud in Arabic, Hebrew or English.

    Parameters
    ----------
    run : PlanRun
        The scheduled plan.
    lang : str, optional
        One of :data:`geo.i18n.LANGUAGES`.

    Returns
    -------
    list of str
        Text lines; names of the plan in them are data, for a safe printer.
    """
    check_language(lang)
    rows = [{str(k): v for k, v in r.items()} for r in run.metrics.to_dict("records")]
    steps = milestones(rows, run.timeline.makespan)
    out = [translate(lang, STORY_TITLE) + ":"]
    for ms in steps:
        when = translate(
            lang, "{date} (month {month})", date=month_name(str(rows[ms.month]["date"]), lang), month=ms.month
        )
        out += [f"  {when}", *(f"    {translate(lang, c)}" for c in ms.captions)]
        out += [f"    {run.problem.story[k]}" for k in ms.keys if k in run.problem.story]  # the plan's own, as written
    if not steps:
        return out
    last = steps[-1].month
    groups = figure_groups([str(c) for c in run.metrics.columns], run.problem.security_states)
    out += ["", translate(lang, FIGURES_TITLE, date=month_name(str(rows[last]["date"]), lang)) + ":"]
    for title, lines in figure_lines(groups, rows[last], lang):
        out += [f"  {title}", *(f"    {line}" for line in lines)]
    return out
