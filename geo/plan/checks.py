"""The rules a plan must follow beyond its schema, one small function per rule.

The models (:mod:`geo.plan.model`) check each value on its own; these rules check what only the whole plan, or
the plan against the layers, can tell: that every name it uses exists, that its steps follow the ladders, that
its preconditions can be met in some order, within their windows, with the troops there are.

Each rule looks only at what it needs and returns the issues it found (with a small result where the compiler
needs one), each at the plan's ``file:line:col`` with a fix.  A rule never raises: the compiler gathers the
issues of every rule, in plan order, so that one run lists every problem.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from ..errors import PlanIssue

if TYPE_CHECKING:
    from .model import After, CrossingPlan, LoadedPlan, Loc, MovementStep, Objective, Origin, TroopPeriod
    from .problem import Pred, Task

__all__ = [
    "Names",
    "after_crossing",
    "after_gate",
    "after_state",
    "after_targets",
    "builtin_group",
    "crossing_in_layer",
    "crossing_once",
    "dependency_order",
    "group_members",
    "group_not_a_zone",
    "members",
    "never_reached",
    "objective_level",
    "open_at_start",
    "override_steps",
    "override_target",
    "override_values",
    "repeated_names",
    "repeated_rungs",
    "required_security",
    "served_by_a_crossing",
    "served_zones",
    "steps_in_order",
    "steps_on_ladder",
    "steps_present",
    "suggest",
    "troop_periods",
    "troops_available",
    "windows",
    "zones_in_use",
]


def suggest(word: str, options: Sequence[str]) -> str:
    """The fix for an unknown name: the closest known one, if any is close.

    Parameters
    ----------
    word : str
        The unknown name.
    options : sequence of str
        The names it could have meant.

    Returns
    -------
    str
        ``did you mean 'X'?``, or advice to check the spelling.
    """
    return _closest(word, tuple(options))


@functools.lru_cache(maxsize=4096)
def _closest(word: str, options: tuple[str, ...]) -> str:
    """Cached: a plan repeating one wrong name thousands of times costs one fuzzy match, not thousands."""
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else "check the spelling against the layers and the plan"


def _at(lp: LoadedPlan, path: Loc, message: str, fix: str) -> PlanIssue:
    return PlanIssue.at(lp.at(*path), message, fix)


# -- names ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Names:
    """The zones in use and the groups: what a crossing's ``serves:``, an ``after:`` or an override may name.

    Membership is tested on sets, so a plan naming thousands of zones is checked in linear time.
    """

    zones: list[str]
    groups: dict[str, list[str]]
    zone_set: frozenset[str]
    group_sets: dict[str, frozenset[str]]
    every: tuple[str, ...]

    @classmethod
    def of(cls, zones: Sequence[str], groups: Mapping[str, list[str]]) -> Names:
        """The names of ``zones`` (in order, each once) and ``groups``.

        Parameters
        ----------
        zones : sequence of str
            The zones in use.
        groups : mapping of str to list of str
            Each group's zones.

        Returns
        -------
        Names
        """
        return cls(
            list(zones),
            dict(groups),
            frozenset(zones),
            {g: frozenset(m) for g, m in groups.items()},
            (*zones, *groups),
        )


def zones_in_use(lp: LoadedPlan, layer_zones: Sequence[str]) -> tuple[list[str], list[PlanIssue]]:
    """Unknown zone: every zone in ``zones.use`` is a zone of the zones layer.

    A zone the layer lacks has no population, area or geometry, so nothing about it could be scheduled or drawn.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    layer_zones : sequence of str
        The zone ids of the zones layer.

    Returns
    -------
    list of str
        The zones in use, each once, in order (``use: all``: every zone of the layer).
    list of PlanIssue
        One per unknown zone.
    """
    use = lp.plan.zones.use
    if use == "all":
        return list(dict.fromkeys(layer_zones)), []
    known = set(layer_zones)
    issues = [
        _at(lp, ("zones", "use", i), f"unknown zone '{z}'", suggest(z, layer_zones))
        for i, z in enumerate(use)
        if z not in known
    ]
    return list(dict.fromkeys(z for z in use if z in known)), issues  # a repeat is reported by load


def builtin_group(lp: LoadedPlan, group: str, builtin: Collection[str]) -> list[PlanIssue]:
    """A plan's group does not take the name of a built-in group.

    ``all``, ``west_bank`` and ``gaza`` already mean something; a group of the same name would silently change
    what every ``group: all`` in the plan awaits.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    group : str
        The group's name.
    builtin : collection of str
        The built-in groups' names.

    Returns
    -------
    list of PlanIssue
    """
    if group not in builtin:
        return []
    return [_at(lp, ("zones", "groups", group, "__key__"), f"'{group}' is a built-in group", "rename the group")]


def group_not_a_zone(lp: LoadedPlan, group: str, layer_zones: Collection[str]) -> list[PlanIssue]:
    """A plan's group does not take the name of a zone.

    Wherever a name may be a zone or a group (``serves:``, ``after: {zone: ...}``, overrides), the group would
    silently win, and the zone of that name could no longer be named on its own.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    group : str
        The group's name.
    layer_zones : collection of str
        The zone ids of the zones layer.

    Returns
    -------
    list of PlanIssue
    """
    if group not in layer_zones:
        return []
    return [
        _at(
            lp,
            ("zones", "groups", group, "__key__"),
            f"group '{group}' has the name of a zone",
            "rename the group: a zone and a group cannot share a name",
        )
    ]


def group_members(lp: LoadedPlan, group: str, zones: Sequence[str], in_use: Names) -> tuple[list[str], list[PlanIssue]]:
    """Unknown zone in a group: a group holds only zones in use.

    A group member that is not in use would make the group await (or serve) a zone that has no tasks.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    group : str
        The group's name.
    zones : sequence of str
        Its members as the plan lists them.
    in_use : Names
        The zones in use.

    Returns
    -------
    list of str
        The known members, each once.
    list of PlanIssue
        One per unknown member.
    """
    issues = [
        _at(lp, ("zones", "groups", group, i), f"group '{group}': unknown zone '{z}'", suggest(z, in_use.zones))
        for i, z in enumerate(zones)
        if z not in in_use.zone_set
    ]
    return list(dict.fromkeys(z for z in zones if z in in_use.zone_set)), issues


def members(lp: LoadedPlan, names: Names, name: str, path: Loc) -> tuple[list[str], list[PlanIssue]]:
    """Unknown zone or group: where a plan names zones, it names a zone in use or a group.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    names : Names
        The zones in use and the groups.
    name : str
        The name written at ``path``.
    path : tuple
        Where it is written.

    Returns
    -------
    list of str
        The zones it stands for (none if unknown).
    list of PlanIssue
    """
    if name in names.groups:
        return names.groups[name], []
    if name in names.zone_set:
        return [name], []
    return [], [_at(lp, path, f"unknown zone or group '{name}'", suggest(name, names.every))]


def _repeats(lp: LoadedPlan, loc: Loc, names: Sequence[str], what: str, fold: bool = False) -> list[PlanIssue]:
    first: dict[str, int] = {}
    issues = []
    for i, name in enumerate(names):
        key = name.casefold() if fold else name
        if key not in first:
            first[key] = i
            continue
        _, line, col = lp.at(*loc, first[key])
        where = f"{'.'.join(map(str, loc))} (first at line {line}, col {col})"
        if name != names[first[key]]:
            msg = f"{what} '{name}' differs from '{names[first[key]]}' only in case in {where}"
            fix = "name states so they differ in more than case: they become column names in exports"
        else:
            msg, fix = f"{what} '{name}' is listed twice in {where}", "remove the repeat: each is counted once"
        issues.append(_at(lp, (*loc, i), msg, fix))
    return issues


def repeated_names(lp: LoadedPlan) -> list[PlanIssue]:
    """Repeated names: a list that is a set (a ladder, ``zones.use``, a group, a ``serves:``) names each once.

    A zone listed twice would be counted twice (its population, its troops), and a state listed twice would make
    its ladder ambiguous.  Each repeat is reported at its own position, naming the first.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.

    Returns
    -------
    list of PlanIssue
    """
    p = lp.plan
    # states and levels name metric columns and export fields, which some formats (GeoPackage) compare ignoring
    # case: 'a' and 'A' would collide there, so ladders compare names case-insensitively
    issues = _repeats(lp, ("security", "states"), p.security.states, "security state", fold=True)
    issues += _repeats(lp, ("movement", "levels"), p.movement.levels, "movement level", fold=True)
    lists: list[tuple[Loc, list[str], str]] = []
    if isinstance(p.zones.use, list):
        lists.append((("zones", "use"), p.zones.use, "zone"))
    lists += [(("zones", "groups", g), members, "zone") for g, members in p.zones.groups.items()]
    lists += [(("crossings", i, "serves"), c.serves, "zone or group") for i, c in enumerate(p.crossings)]
    return issues + [issue for loc, names, what in lists for issue in _repeats(lp, loc, names, what)]


# -- the ladders ---------------------------------------------------------------------------------------------------
def repeated_rungs(lp: LoadedPlan, what: str, ladder: Sequence[str], path: Loc) -> list[PlanIssue]:
    """A ladder lists each state (or level) once.

    A state listed twice would make the ladder's order ambiguous: which step comes after it?  Loading a plan
    already reports each repeat at its place (:func:`repeated_names`); this holds for a plan built otherwise.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    what : str
        ``security state`` or ``movement level``.
    ladder : sequence of str
        The states in order.
    path : tuple
        Where the ladder is written.

    Returns
    -------
    list of PlanIssue
    """
    if len(set(ladder)) == len(ladder):
        return []
    return [_at(lp, path, f"a {what} is listed twice", "list each once, in order")]


def steps_on_ladder(lp: LoadedPlan, track: str, ladder: Sequence[str], steps: Sequence[str]) -> list[PlanIssue]:
    """Every step leads into a later state of its ladder.

    A step into the first state, or into a state the ladder lacks, could never be placed in the track's order
    (usually it is a misspelt state).

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    track : str
        ``security`` or ``movement``.
    ladder : sequence of str
        The track's states in order.
    steps : sequence of str
        The states the track's steps lead into, as written.

    Returns
    -------
    list of PlanIssue
    """
    later = list(ladder[1:])
    return [
        _at(
            lp,
            (track, "steps", s, "__key__"),
            f"{track} step '{s}' is not a later state of the ladder {list(ladder)}",
            suggest(s, later),
        )
        for s in steps
        if s not in later
    ]


def steps_present(lp: LoadedPlan, track: str, ladder: Sequence[str], steps: Collection[str]) -> list[PlanIssue]:
    """Every later state of a ladder has a step leading into it.

    A zone climbs its ladder one state at a time: with a step missing it could never reach the states after it.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    track : str
        ``security`` or ``movement``.
    ladder : sequence of str
        The track's states in order.
    steps : collection of str
        The states the track's steps lead into.

    Returns
    -------
    list of PlanIssue
    """
    return [
        _at(lp, (track, "steps"), f"no {track} step for '{s}'", f"add '{s}:' under {track}.steps")
        for s in ladder[1:]
        if s not in steps
    ]


def steps_in_order(lp: LoadedPlan, track: str, ladder: Sequence[str], steps: Sequence[str]) -> list[PlanIssue]:
    """Steps are written in the ladder's order.

    The plan reads as the track advances; steps in another order usually mean the ladder or a step is not what
    the author meant.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    track : str
        ``security`` or ``movement``.
    ladder : sequence of str
        The track's states in order.
    steps : sequence of str
        The states the track's steps lead into, as written.

    Returns
    -------
    list of PlanIssue
        One issue, at the first step out of place.
    """
    known = [s for s in steps if s in ladder]
    ordered = sorted(known, key=list(ladder).index)
    if known == ordered:
        return []
    first = next(a for a, b in zip(known, ordered, strict=True) if a != b)
    return [
        _at(
            lp,
            (track, "steps", first, "__key__"),
            f"{track} steps are out of the ladder's order ({' -> '.join(known)})",
            f"list them as {' -> '.join(ordered)}",
        )
    ]


def required_security(lp: LoadedPlan, steps: Mapping[str, MovementStep], states: Sequence[str]) -> list[PlanIssue]:
    """A movement step's ``requires_security`` names a security state.

    Otherwise the step would wait for a state no zone ever reaches.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    steps : mapping of str to MovementStep
        The movement steps.
    states : sequence of str
        The security states.

    Returns
    -------
    list of PlanIssue
    """
    return [
        _at(
            lp,
            ("movement", "steps", s, "requires_security"),
            f"unknown security state '{step.requires_security}'",
            suggest(step.requires_security, states),
        )
        for s, step in steps.items()
        if step.requires_security is not None and step.requires_security not in states
    ]


def objective_level(lp: LoadedPlan, objective: Objective, levels: Sequence[str]) -> list[PlanIssue]:
    """Population-weighted time names the movement level it measures, a later level of the ladder.

    The objective weighs each zone's population by the month it reaches that level; every zone starts at the
    first level, so the first would measure nothing.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    objective : Objective
        The plan's objective.
    levels : sequence of str
        The movement levels.

    Returns
    -------
    list of PlanIssue
    """
    if objective.minimize != "population_weighted_time":
        return []
    if objective.level is None:
        return [
            _at(
                lp,
                ("objective",),
                "population_weighted_time needs a movement level",
                f"add 'level:' (one of {list(levels[1:])})",
            )
        ]
    if objective.level in levels[1:]:
        return []
    return [
        _at(
            lp,
            ("objective", "level"),
            f"unknown movement level '{objective.level}'",
            suggest(objective.level, levels),
        )
    ]


# -- crossings -----------------------------------------------------------------------------------------------------
def crossing_in_layer(lp: LoadedPlan, index: int, crossing: str, layer_ids: Collection[str]) -> list[PlanIssue]:
    """A planned crossing is a crossing of the crossings layer.

    The map draws a crossing from the layer; one the layer lacks has no place.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    index : int
        The crossing's position in ``crossings:``.
    crossing : str
        Its id.
    layer_ids : collection of str
        The ids of the crossings layer.

    Returns
    -------
    list of PlanIssue
    """
    if crossing in layer_ids:
        return []
    return [_at(lp, ("crossings", index, "id"), f"unknown crossing '{crossing}'", suggest(crossing, sorted(layer_ids)))]


def crossing_once(lp: LoadedPlan, index: int, crossing: str, planned: Collection[str]) -> list[PlanIssue]:
    """A crossing is planned once.

    A crossing opens once; two entries would give it two schedules and two sets of zones it serves.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    index : int
        The entry's position in ``crossings:``.
    crossing : str
        Its id.
    planned : collection of str
        The crossings of the entries before it.

    Returns
    -------
    list of PlanIssue
    """
    if crossing not in planned:
        return []
    return [_at(lp, ("crossings", index, "id"), f"crossing '{crossing}' is planned twice", "merge the entries")]


def served_zones(lp: LoadedPlan, names: Names, index: int, serves: Sequence[str]) -> tuple[list[str], list[PlanIssue]]:
    """A crossing serves zones in use and groups (see :func:`members`).

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    names : Names
        The zones in use and the groups.
    index : int
        The crossing's position in ``crossings:``.
    serves : sequence of str
        Its ``serves:`` list.

    Returns
    -------
    list of str
        The zones it serves, in order, each once (groups may overlap).
    list of PlanIssue
    """
    served: dict[str, None] = {}
    issues: list[PlanIssue] = []
    for j, name in enumerate(serves):
        zones, found = members(lp, names, name, ("crossings", index, "serves", j))
        served.update(dict.fromkeys(zones))
        issues += found
    return list(served), issues


def served_by_a_crossing(origin: Origin, level: str, zone: str, serving: Mapping[str, list[str]]) -> list[PlanIssue]:
    """A movement step that ``requires_crossing`` is taken only in zones some planned crossing serves.

    The step waits for a crossing serving its zone to open; with none, it could never start.

    Parameters
    ----------
    origin : Origin
        Where the step's ``requires_crossing`` is written.
    level : str
        The level the step leads into.
    zone : str
        The zone.
    serving : mapping of str to list of str
        The planned crossings serving each zone.

    Returns
    -------
    list of PlanIssue
    """
    if serving.get(zone):
        return []
    return [
        PlanIssue.at(
            origin,
            f"movement '{level}' needs an open crossing but no planned crossing serves zone {zone}",
            f"add {zone} (or a group holding it) to a crossing's serves:",
        )
    ]


# -- overrides -----------------------------------------------------------------------------------------------------
def override_target(lp: LoadedPlan, key: str, names: Names) -> list[PlanIssue]:
    """An override is for a zone in use or a group.

    An override for any other name would change nothing, and its author would believe it did.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    key : str
        The zone or group the override names.
    names : Names
        The zones in use and the groups.

    Returns
    -------
    list of PlanIssue
    """
    if key in names.groups or key in names.zone_set:
        return []
    return [
        _at(
            lp,
            ("zones", "overrides", key, "__key__"),
            f"override for unknown zone or group '{key}'",
            suggest(key, names.every),
        )
    ]


def override_steps(
    lp: LoadedPlan, key: str, track: str, patches: Mapping[str, object], ladder: Sequence[str]
) -> list[PlanIssue]:
    """An override changes steps that exist: later states of the track's ladder.

    A patch for a step the track lacks would change nothing.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    key : str
        The zone or group the override names.
    track : str
        ``security`` or ``movement``.
    patches : mapping
        The override's patches on the track, by step.
    ladder : sequence of str
        The track's states in order.

    Returns
    -------
    list of PlanIssue
    """
    later = list(ladder[1:])
    return [
        _at(lp, ("zones", "overrides", key, track, s, "__key__"), f"unknown {track} step '{s}'", suggest(s, later))
        for s in patches
        if s not in later
    ]


def override_values(
    exc: ValidationError, origins: Mapping[str, Origin], track: str, step: str, zone: str
) -> list[PlanIssue]:
    """A step changed by every override that applies to a zone is still a valid step.

    Each override is checked against its step when the plan loads; this is where the overrides of a group and of
    a zone first meet, so it reports what the pair breaks, at the value that broke it.

    Parameters
    ----------
    exc : ValidationError
        The step model's complaint about the patched step.
    origins : mapping of str to Origin
        Where each field of the patched step was written (``__step__``: the step itself).
    track : str
        ``security`` or ``movement``.
    step : str
        The step.
    zone : str
        The zone.

    Returns
    -------
    list of PlanIssue
    """
    issues = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "__step__"
        origin = origins.get(field, origins["__step__"])
        issues.append(
            PlanIssue.at(origin, f"{track}.{step}.{field} for zone {zone}: {err['msg']}", "correct the override")
        )
    return issues


# -- preconditions -------------------------------------------------------------------------------------------------
def after_gate(lp: LoadedPlan, path: Loc, gate: str, gates: Collection[str]) -> list[PlanIssue]:
    """An ``after:`` gate is one of the plan's gates.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    path : tuple
        Where the precondition is written.
    gate : str
        The gate it names.
    gates : collection of str
        The plan's gates.

    Returns
    -------
    list of PlanIssue
    """
    if gate in gates:
        return []
    return [_at(lp, (*path, "gate"), f"unknown gate '{gate}'", suggest(gate, list(gates)))]


def after_crossing(lp: LoadedPlan, path: Loc, crossing: str, planned: Collection[str]) -> list[PlanIssue]:
    """An ``after:`` crossing is one the plan opens.

    A crossing of the layer that the plan does not schedule never opens, so nothing could wait for it.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    path : tuple
        Where the precondition is written.
    crossing : str
        The crossing it names.
    planned : collection of str
        The crossings of ``crossings:``.

    Returns
    -------
    list of PlanIssue
    """
    if crossing in planned:
        return []
    return [
        _at(
            lp,
            (*path, "crossing"),
            f"crossing '{crossing}' is not in the plan's crossings",
            "add it under crossings: or fix the name",
        )
    ]


def after_state(lp: LoadedPlan, path: Loc, track: str, state: str, ladder: Sequence[str]) -> list[PlanIssue]:
    """An ``after:`` awaits a state (or level) of its track's ladder.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    path : tuple
        Where the precondition is written.
    track : str
        ``security`` or ``movement``.
    state : str
        The state it awaits.
    ladder : sequence of str
        The track's states.

    Returns
    -------
    list of PlanIssue
    """
    if state in ladder:
        return []
    what = "state" if track == "security" else "level"
    return [_at(lp, (*path, track), f"unknown {track} {what} '{state}'", suggest(state, ladder))]


def after_targets(
    lp: LoadedPlan, names: Names, path: Loc, after: After, zone: str | None
) -> tuple[list[str], list[PlanIssue]]:
    """Whose state an ``after:`` awaits: its group's zones, its zone, or else the zone of the step it is in.

    A crossing or a gate belongs to no zone, so an ``after:`` of theirs awaiting a state must name one.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    names : Names
        The zones in use and the groups.
    path : tuple
        Where the precondition is written.
    after : After
        The precondition.
    zone : str or None
        The zone of the step it belongs to (None for a crossing or a gate).

    Returns
    -------
    list of str
        The zones awaited.
    list of PlanIssue
    """
    if after.group is not None:
        return members(lp, names, after.group, (*path, "group"))
    if after.zone is not None:
        return members(lp, names, after.zone, (*path, "zone"))
    if zone is not None:
        return [zone], []
    awaited = f"security '{after.security}'" if after.security is not None else f"movement '{after.movement}'"
    return [], [_at(lp, path, f"awaiting {awaited} needs a zone or group here", "add 'group: all' or 'zone: ...'")]


# -- troops --------------------------------------------------------------------------------------------------------
def troops_available(task: Task, most: int) -> list[PlanIssue]:
    """A step needs no more troops than are ever available.

    Such a step could never run (or its state never hold), whatever the schedule.

    Parameters
    ----------
    task : Task
        The step.
    most : int
        The most troops any troop period makes available.

    Returns
    -------
    list of PlanIssue
    """
    need = max(task.run_troops, task.hold_troops)
    if need <= most:
        return []
    return [
        PlanIssue.at(
            task.troops_origin,
            f"{task.label} needs {need:,} troops but at most {most:,} are ever available",
            "lower the troops or raise resources.troops",
        )
    ]


def troop_periods(lp: LoadedPlan, periods: Sequence[TroopPeriod]) -> list[PlanIssue]:
    """Troop periods start in increasing months.

    Each period holds until the next one starts; out of order or repeated, the troops of a month would depend on
    how the list is read.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    periods : sequence of TroopPeriod
        ``resources.troops``.

    Returns
    -------
    list of PlanIssue
    """
    froms = [p.from_ for p in periods]
    if froms == sorted(set(froms)):
        return []
    return [
        _at(
            lp,
            ("resources", "troops"),
            "troop periods must have increasing 'from' months",
            "sort the periods and remove duplicates",
        )
    ]


# -- the whole plan ------------------------------------------------------------------------------------------------
def _successors(tasks: Mapping[str, Task]) -> dict[str, list[tuple[str, Pred]]]:
    """For each task, the tasks waiting for it and the precondition through which they wait."""
    succ: dict[str, list[tuple[str, Pred]]] = {}
    for t in tasks.values():
        for pr in t.preds:
            for src in pr.tasks:
                if src in tasks:
                    succ.setdefault(src, []).append((t.id, pr))
    return succ


def _visit(
    root: str, succ: Mapping[str, list[tuple[str, Pred]]], state: dict[str, int], out: list[str]
) -> tuple[list[str], Pred] | None:
    """Depth-first from ``root``, appending finished tasks to ``out``; a cycle met on the way, and its last link.

    ``state`` is 1 for a task on the current path and 2 for a finished one.  Iterative: a long chain of steps
    must not hit Python's recursion limit.
    """
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
        if i >= len(nxt):
            state[node] = 2
            path.pop()
            out.append(node)
            continue
        stack.append((node, i + 1))
        child, pr = nxt[i]
        if state.get(child) == 1:
            return [*path[path.index(child) :], child], pr
        if state.get(child) != 2:
            stack.append((child, 0))
    return None


def dependency_order(tasks: Mapping[str, Task]) -> tuple[list[str] | None, list[PlanIssue]]:
    """No dependency cycle: the preconditions can be met in some order.

    A task that (through other tasks) waits for itself can never start.  The cycle is named in the plan's terms
    and reported at the precondition that closes it.

    Parameters
    ----------
    tasks : mapping of str to Task
        Every task, by id.

    Returns
    -------
    list of str or None
        The tasks in an order where each comes after its preconditions (None if there is a cycle).
    list of PlanIssue
        One issue, for the first cycle found.
    """
    succ = _successors(tasks)
    state: dict[str, int] = {}
    out: list[str] = []
    for root in tasks:
        if root in state:
            continue
        cycle = _visit(root, succ, state, out)
        if cycle is not None:
            path, pr = cycle
            message = "dependency cycle: " + " -> ".join(tasks[c].label for c in path)
            return None, [PlanIssue.at(pr.origin, message, "remove or change one of these preconditions")]
    return out[::-1], []


def _earliest_start(task: Task, starts: Mapping[str, int], tasks: Mapping[str, Task]) -> tuple[int, str]:
    """The earliest month ``task`` could start given its preconditions' earliest ends, and what sets it."""
    best, reason = task.earliest, "its earliest month"
    for pr in task.preds:
        ends = [starts[s] + tasks[s].duration for s in pr.tasks if s in starts]
        if not ends:
            continue
        v = (min(ends) if pr.any_of else max(ends)) + pr.lag
        if v > best:
            best, reason = v, pr.why
    return best, reason


def _window(task: Task, start: int, reason: str, horizon: int) -> list[PlanIssue]:
    """The first way ``task``, starting no earlier than ``start``, misses its window or the horizon."""
    if task.latest is not None and task.earliest + task.duration > task.latest:
        return [
            PlanIssue.at(
                task.window_origin,
                f"{task.label} cannot fit: earliest {task.earliest} + duration {task.duration} > latest {task.latest}",
                "widen the window or shorten the step",
            )
        ]
    if task.latest is not None and start + task.duration > task.latest:
        return [
            PlanIssue.at(
                task.window_origin,
                f"{task.label} must end by month {task.latest} but cannot "
                f"start before month {start} ({reason}) and takes {task.duration}",
                "move 'latest' later or its preconditions earlier",
            )
        ]
    if start + task.duration > horizon:
        return [
            PlanIssue.at(
                task.origin,
                f"{task.label} cannot end within the horizon of {horizon} months "
                f"(earliest end {start + task.duration})",
                "raise 'horizon:' or shorten the chain",
            )
        ]
    return []


def windows(tasks: Mapping[str, Task], order: Sequence[str], horizon: int) -> list[PlanIssue]:
    """Every task can end within its window and the horizon, given the earliest its preconditions allow.

    The solver would only say the plan is infeasible; this names the step, the month it cannot beat and the
    precondition that sets that month.  A window too short for its own step is reported as such.

    Parameters
    ----------
    tasks : mapping of str to Task
        Every task, by id.
    order : sequence of str
        The task ids, each after its preconditions (see :func:`dependency_order`).
    horizon : int
        The plan's last month.

    Returns
    -------
    list of PlanIssue
        At most one per task.
    """
    starts: dict[str, int] = {}
    issues: list[PlanIssue] = []
    for tid in order:
        task = tasks[tid]
        starts[tid], reason = _earliest_start(task, starts, tasks)
        issues += _window(task, starts[tid], reason, horizon)
    return issues


# -- paths and baselines -------------------------------------------------------------------------------------------
def never_reached(origin: Origin, zone: str, track: str, state: str, path: Sequence[str]) -> PlanIssue:
    """A precondition awaits a state that a zone never reaches (its path skips it and everything after it).

    Waiting for it would wait forever; ignoring it would let the step start without what the plan asked for.

    Parameters
    ----------
    origin : Origin
        Where the precondition is written.
    zone, track, state : str
        What it awaits.
    path : sequence of str
        The states the zone passes through.

    Returns
    -------
    PlanIssue
    """
    return PlanIssue.at(
        origin,
        f"{zone} never reaches {track} '{state}' (it goes {' -> '.join(path)})",
        f"await a state on {zone}'s path, or stop skipping '{state}' for it in zones.overrides",
    )


def open_at_start(lp: LoadedPlan, index: int, crossing: CrossingPlan) -> list[PlanIssue]:
    """A crossing open at month 0 has no opening to schedule: a window or a precondition would be ignored.

    Parameters
    ----------
    lp : LoadedPlan
        The plan.
    index : int
        The crossing's entry in ``crossings:``.
    crossing : CrossingPlan
        The entry.

    Returns
    -------
    list of PlanIssue
    """
    named = [f for f in ("earliest", "latest", "after") if getattr(crossing, f)] + (
        ["duration"] if crossing.duration else []
    )
    return [
        _at(
            lp,
            ("crossings", index, f),
            f"crossing '{crossing.id}' is open at month 0, so its '{f}' means nothing",
            f"remove '{f}', or remove 'open_at_start' to schedule its opening",
        )
        for f in named
    ]
