"""The monthly figures as people read them: grouped, named in words, each with the way its value is written.

:func:`geo.metrics.monthly_metrics` names its columns for machines (``area_pct_idf``, ``population_closure``).
The phase map, the atlas and ``plan summary`` show them through :func:`figure_groups` instead: each figure has an
English label (a message id of :mod:`geo.i18n`'s catalogue), the columns it reads and a *kind* that says how the
value is written:

``share``
    a share of the territory and its area: ``96.3 % (5,798 km²)`` from ``[pct, km2]``;
``people``
    a count of people, rounded to three significant figures from ten thousand up;
``count``
    a plain count;
``of``
    ``a of b`` (obstacles removed of all, troops deployed of available, demand of capacity);
``km`` / ``km2``
    a length or an area, whole units from ten up.

A column no figure reads is left off the page (and logged by the caller), so a raw key never reaches a reader.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .i18n import translate

#: Readable names of the security states and movement levels the plans use (message ids).
STATE_LABELS: Mapping[str, str] = {
    "idf": "Israeli army",
    "israel_police": "Israeli police",
    "international": "international force",
    "palestinian": "Palestinian security forces",
    "shared": "shared security (Jerusalem)",
    "closure": "closure",
    "internal": "internal checkpoints",
    "permits": "movement by permit",
    "free_movement": "free movement",
}

#: Readable names of the tracks a map can colour the zones by (message ids).
TRACK_LABELS: Mapping[str, str] = {"security": "security", "movement": "movement"}

#: The headings of the story ``plan summary`` tells (message ids).
STORY_TITLE, FIGURES_TITLE = "The plan's story", "Figures, {date}"

#: The groups, in the order the panel shows them (message ids).
GROUPS: tuple[str, ...] = ("Security", "Movement", "Crossings", "Residence", "International force", "Jerusalem")


@dataclass(frozen=True)
class Figure:
    """One figure of the panel: its label (with an optional ``{state}`` slot), kind and columns."""

    label: str
    kind: str
    columns: tuple[str, ...]
    state: str | None = None

    def to_json(self) -> dict[str, object]:
        """The figure as the page reads it."""
        out: dict[str, object] = {"label": self.label, "kind": self.kind, "columns": list(self.columns)}
        if self.state is not None:
            out["state"] = self.state
        return out


@dataclass(frozen=True)
class Group:
    """A titled group of figures."""

    title: str
    figures: tuple[Figure, ...] = field(default_factory=tuple)


#: The fixed figures by group: (label, kind, columns).
_FIXED: Mapping[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    "Security": (("Land under a residual Israeli presence", "km2", ("area_km2_residual",)),),
    "Movement": (
        ("People under closure", "people", ("population_closure",)),
        ("People behind internal checkpoints", "people", ("population_internal",)),
        ("People moving by permit", "people", ("population_permits",)),
        ("People moving freely", "people", ("population_free_movement",)),
        ("Obstacles removed", "of", ("obstacles_removed", "obstacles_total")),
        ("Barrier still standing", "km", ("barrier_km_standing",)),
        ("Seam zone land reconnected", "km2", ("seam_km2_reconnected",)),
        ("Seam zone people reconnected", "people", ("seam_people_reconnected",)),
        ("Gaza - West Bank link: people a month", "people", ("link_people_per_month",)),
        ("Gaza - West Bank link: trucks a month", "count", ("link_trucks_per_month",)),
    ),
    "Crossings": (
        ("Crossings open", "count", ("crossings_open",)),
        ("Crossings over capacity", "count", ("crossings_over_capacity",)),
        (
            "People a day: demand of capacity",
            "of",
            ("crossing_people_demand_per_day", "crossing_people_capacity_per_day"),
        ),
        (
            "Trucks a day: demand of capacity",
            "of",
            ("crossing_trucks_demand_per_day", "crossing_trucks_capacity_per_day"),
        ),
    ),
    "Residence": (
        ("Israelis living in Palestine", "people", ("residents_israelis_in_palestine",)),
        ("of them settlers who stay", "people", ("residents_settlers_staying",)),
        ("Palestinians living in Israel", "people", ("residents_palestinians_in_israel",)),
        ("of them refugees", "people", ("residents_refugees_in_israel",)),
    ),
    "International force": (
        ("Troops deployed, of those available", "of", ("troops_deployed", "troops_available")),
        ("Sites of a residual Israeli presence", "count", ("residual_sites",)),
        ("Early-warning stations standing", "count", ("early_warning_stations",)),
    ),
    "Jerusalem": (
        ("East Jerusalem residents under Israeli rule", "people", ("jerusalem_people_israeli",)),
        ("East Jerusalem residents under Palestinian rule", "people", ("jerusalem_people_palestinian",)),
        ("East Jerusalem residents under shared rule", "people", ("jerusalem_people_shared",)),
    ),
}

#: Columns that are the month itself, not a figure.
_NOT_FIGURES = frozenset({"month", "date"})


def _security(columns: set[str], states: Iterable[str]) -> list[Figure]:
    """Per security state: the land it holds (share and area) and the settlers living there."""
    out = []
    for st in states:
        pct, km2, settlers = f"area_pct_{st}", f"area_km2_{st}", f"settlers_{st}"
        if pct in columns and km2 in columns:
            out.append(Figure("Land under {state}", "share", (pct, km2), st))
        if settlers in columns:
            out.append(Figure("Settlers on land under {state}", "people", (settlers,), st))
    return out


def figure_groups(columns: Sequence[str], security_states: Iterable[str]) -> list[Group]:
    """The figures a table of monthly metrics can show, grouped; only figures whose columns are all present.

    Parameters
    ----------
    columns : sequence of str
        The columns of :func:`geo.metrics.monthly_metrics`.
    security_states : iterable of str
        The plan's security states, in ladder order.

    Returns
    -------
    list of Group
        Non-empty groups, in :data:`GROUPS` order.
    """
    have = set(columns)
    groups = []
    for title in GROUPS:
        figs = _security(have, security_states) if title == "Security" else []
        figs += [Figure(lab, kind, cols) for lab, kind, cols in _FIXED[title] if set(cols) <= have]
        if figs:
            groups.append(Group(title, tuple(figs)))
    return groups


def unread_columns(columns: Sequence[str], groups: Sequence[Group]) -> list[str]:
    """The columns no figure reads (left off the page): a new metric without a figure shows up here.

    Parameters
    ----------
    columns : sequence of str
    groups : sequence of Group

    Returns
    -------
    list of str
    """
    read = {c for g in groups for f in g.figures for c in f.columns}
    return [c for c in columns if c not in read and c not in _NOT_FIGURES]


def messages() -> set[str]:
    """Every message id this module puts on a page (for the catalogue's completeness check).

    Returns
    -------
    set of str
    """
    out = set(STATE_LABELS.values()) | set(TRACK_LABELS.values()) | set(GROUPS)
    out |= {"Land under {state}", "Settlers on land under {state}", STORY_TITLE, FIGURES_TITLE}
    out |= {lab for figs in _FIXED.values() for lab, _, _ in figs}
    return out


@dataclass(frozen=True)
class Milestone:
    """A month the story stops at, and why: the captions (message ids) of what happens that month."""

    month: int
    keys: tuple[str, ...]
    captions: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The milestone as the page reads it."""
        return {"month": self.month, "keys": list(self.keys), "captions": list(self.captions)}


_Row = Mapping[str, Any]


def _num(row: _Row, col: str) -> float:
    v = row.get(col)
    return float(v) if isinstance(v, int | float) else 0.0


def _people(row: _Row) -> float:
    return sum(_num(row, c) for c in row if c.startswith("population_"))


#: The milestones a plan's figures show, in the order they are checked: key, caption (a message id), and the test
#: a month's figures pass from the milestone on (given the first month's); the first month that passes is the
#: milestone's, if the first month itself does not.
_RULES: tuple[tuple[str, str, Callable[[_Row, _Row], bool]], ...] = (
    (
        "international",
        "International forces take over their first zones from the Israeli army.",
        lambda r, f: _num(r, "area_pct_international") > 0,
    ),
    ("link", "The Gaza - West Bank link opens to people.", lambda r, f: _num(r, "link_people_per_month") > 0),
    (
        "closure_ends",
        "No one lives under closure any more.",
        lambda r, f: "population_closure" in r and _num(r, "population_closure") == 0,
    ),
    (
        "idf_out",
        "The Israeli army has left every zone of the territory.",
        lambda r, f: "area_pct_idf" in r and _num(r, "area_pct_idf") == 0,
    ),
    (
        "obstacles",
        "Every obstacle to movement the plan lists is removed.",
        lambda r, f: _num(r, "obstacles_total") > 0 and _num(r, "obstacles_removed") >= _num(r, "obstacles_total"),
    ),
    (
        "residence",
        "Palestinians begin to take up residence in Israel.",
        lambda r, f: _num(r, "residents_palestinians_in_israel") > 0,
    ),
    (
        "free",
        "Everyone in the territory moves freely.",
        lambda r, f: _people(r) > 0 and _num(r, "population_free_movement") >= _people(r),
    ),
    (
        "barrier",
        "The barrier is taken down.",
        lambda r, f: "barrier_km_standing" in r and _num(r, "barrier_km_standing") == 0,
    ),
)


#: Every milestone key, in the order the rules are checked (a plan may caption any of them: ``story:``).
MILESTONE_KEYS: tuple[str, ...] = ("start", *(key for key, _, _ in _RULES), "end")

_START = "The plan begins: each zone is shown under whoever holds its security today."
_END = "The plan's last step is done."


def _last_change(rows: Sequence[_Row]) -> int:
    """The last month any figure changes: the plan's work is done then."""
    last = 0
    for m in range(1, len(rows)):
        if any(rows[m].get(c) != rows[m - 1].get(c) for c in rows[m] if c not in _NOT_FIGURES):
            last = m
    return last


def milestones(rows: Sequence[_Row], last_step: int | None = None) -> list[Milestone]:
    """The story of a plan: the months its figures cross a threshold a reader cares about.

    Derived from the figures alone, so every plan has one: the start, the first international handover, the
    link opening, the end of closure, the army gone, the obstacles gone, residence opening, free movement, the
    barrier down, and the month the last figure changes.  Milestones of the same month are merged.

    Parameters
    ----------
    rows : sequence of mappings
        The monthly metrics, one row per month from month 0 (column name to value).
    last_step : int, optional
        The month the schedule's last step ends (its makespan): the story's end.  Without it, the last month a
        figure changes (cumulative figures such as residence quotas may go on changing to the horizon).

    Returns
    -------
    list of Milestone
        In month order, the start first.
    """
    if not rows:
        return []
    found: dict[int, list[tuple[str, str]]] = {0: [("start", _START)]}
    first = rows[0]
    for key, caption, test in _RULES:
        if test(first, first):
            continue
        month = next((m for m, r in enumerate(rows) if test(r, first)), None)
        if month is not None:
            found.setdefault(month, []).append((key, caption))
    end = _last_change(rows) if last_step is None else min(last_step, len(rows) - 1)
    if end > 0:
        found.setdefault(end, []).append(("end", _END))
    return [Milestone(m, tuple(k for k, _ in items), tuple(c for _, c in items)) for m, items in sorted(found.items())]


def milestone_messages() -> set[str]:
    """The captions :func:`milestones` may give (for the catalogue's completeness check).

    Returns
    -------
    set of str
    """
    out = {caption for _, caption, _ in _RULES}
    out |= {_START, _END}
    return out


# -- the figures written out, as the page writes them (for the atlas and plan summary) -----------------------------
def _plain(text: str) -> str:
    """Without the direction marks CLDR puts after a Hebrew compact number: the line's own direction governs."""
    return text.replace("\u200f", "").replace("\u200e", "")


def _number(value: float, lang: str, pct: bool = False) -> str:
    """A value rounded as the page rounds it: three significant figures from ten thousand up."""
    from babel.numbers import format_compact_decimal, format_decimal  # noqa: PLC0415 - loaded when writing

    if abs(value) >= 10_000:
        digits = len(str(int(abs(value))))
        # Hebrew's short forms are Latin letters (5.1M): its long ones are words, as Arabic's short ones are
        kind: Literal["short", "long"] = "long" if lang == "he" else "short"
        fraction = max(0, 3 - (digits - 1) % 3 - 1)
        return _plain(format_compact_decimal(value, format_type=kind, locale=lang, fraction_digits=fraction))
    small = abs(value) < 10
    step = (2 if small else 1) if pct else (1 if small else 0)
    return _plain(format_decimal(round(value, step), locale=lang, decimal_quantization=False))


def figure_text(kind: str, values: Sequence[float], lang: str) -> str:
    """A figure's value written by its kind, in ``lang`` (the page's ``figureText``, in Python).

    Parameters
    ----------
    kind : str
        ``share``, ``people``, ``count``, ``of``, ``km`` or ``km2``.
    values : sequence of float
        The values of the figure's columns, in order.
    lang : str
        One of :data:`geo.i18n.LANGUAGES`.

    Returns
    -------
    str
    """
    if kind == "share":
        return translate(
            lang, "{pct} % ({area} km²)", pct=_number(values[0], lang, pct=True), area=_number(values[1], lang)
        )
    if kind == "of":
        return translate(lang, "{part} of {whole}", part=_number(values[0], lang), whole=_number(values[1], lang))
    if kind == "km":
        return translate(lang, "{n} km", n=_number(values[0], lang))
    if kind == "km2":
        return translate(lang, "{n} km²", n=_number(values[0], lang))
    return _number(values[0], lang)


def figure_lines(groups: Sequence[Group], row: Mapping[str, Any], lang: str) -> list[tuple[str, list[str]]]:
    """Each group's title and its ``label: value`` lines for one month's row, in ``lang``.

    Parameters
    ----------
    groups : sequence of Group
        From :func:`figure_groups`.
    row : mapping
        One month of the metrics (column to value).
    lang : str
        One of :data:`geo.i18n.LANGUAGES`.

    Returns
    -------
    list of (str, list of str)
    """
    out = []
    for g in groups:
        lines = []
        for f in g.figures:
            state = f.state or ""
            state = translate(lang, STATE_LABELS[state]) if state in STATE_LABELS else state
            label = translate(lang, f.label, state=state)
            lines.append(f"{label}: {figure_text(f.kind, [float(row[c]) for c in f.columns], lang)}")
        out.append((translate(lang, g.title), lines))
    return out


def month_name(label: str, lang: str) -> str:
    """A month label (``YYYY-MM``) as ``lang`` writes it (``Jan 2027``, ``يناير 2027``); other labels unchanged.

    Parameters
    ----------
    label : str
    lang : str

    Returns
    -------
    str
    """
    from babel.dates import format_date  # noqa: PLC0415 - loaded when writing

    try:
        when = datetime.date(int(label[:4]), int(label[5:7]), 1)
    except ValueError:
        return label
    return format_date(when, "MMM y", locale=lang) if len(label) == 7 and label[4] == "-" else label
