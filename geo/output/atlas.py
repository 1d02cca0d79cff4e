"""The printable atlas: a PDF (and optionally PNG pages) with a cover and one page per milestone month.

Drawn with matplotlib in EPSG:2039 (so the scale bar is true), from the shipped vector layers only: no tile
server. The PDF carries no creation date, so two atlases of the same plan are byte-identical.

Each page draws the zones by security state (a residual presence hatched), the barrier still standing, the
Gaza - West Bank links in their state, the crossings (filled by regime once open, ringed in red when demand is
above capacity) and the early-warning stations standing, and lists the month's figures: the territory by state, the
people at each movement level, obstacles, crossings, troops and, when the plan has them, residents each way, the
links' capacity, the barrier standing, crossings over capacity, residual sites and stations.

A plan that names a border scenario is planned inside it: its zones are already cut, every page outlines the land
the border annexes (hatched) and swaps (dashed), and the cover names the border, lists its headline figures and
draws it over the whole West Bank.

Text from the plan and the layers is drawn as plain text: never parsed as mathtext or handed to TeX (a name
holding ``$...$`` is printed as written), and stripped of the control characters no font can draw.  Colours
follow the plan's ladders, however many states it names (a state known by name keeps its colour), and every
state, milestone and opening is read from the run's :class:`~geo.timeline.Timeline`; what stands or goes in a
month is decided as the metrics decide it.  The PNG pages go to a folder beside the PDF (``NAME-pages/NAME-pNN.png``)
that is replaced whole, so it never mixes pages of two atlases.

The atlas speaks the interface's languages (``--lang``): its words come from the same catalogue as the phase map's
(:mod:`geo.i18n`), its figures from :mod:`geo.figures`.  matplotlib (3.11 and later) shapes Arabic and lays out
right-to-left text itself, so a line is handed to it in reading order.

Pages are plain matplotlib figures, never pyplot's: making an atlas picks no backend and changes no setting of the
process it runs in (its own settings hold only while it draws).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from ..crs import METRIC_CRS
from ..figures import STATE_LABELS, figure_groups, figure_lines, month_name
from ..files import atomic_write, check_output, staged_folder, write_new
from ..i18n import RTL, check_language, translate
from ..metrics import crossing_flows
from ..run import PlanRun
from .style import (
    ATTRIBUTION,
    BORDER_COLORS,
    LAYER_COLORS,
    LINK_STYLES,
    REGIME_COLORS,
    border_headline,
    border_legend,
    ladder_colors,
)

if TYPE_CHECKING:
    from ..border import BorderResult

__all__ = ["MAX_PAGES", "check_destination", "milestones", "pages_folder", "plain_text", "write_atlas"]

log = logging.getLogger(__name__)

#: Most milestone pages in one atlas.
MAX_PAGES = 12
_A4 = (11.69, 8.27)  # landscape, inches
#: Characters no font draws: C0 and C1 controls (but the line feed), DEL, lone surrogates, U+FFFE/U+FFFF.
_UNDRAWABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: The language the atlas being drawn speaks (set while it draws).
_LANG: ContextVar[str] = ContextVar("atlas_language", default="en")


def plain_text(value: object) -> str:
    """``value`` as text matplotlib draws literally: line breaks kept, tabs as spaces, controls dropped."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _UNDRAWABLE.sub("", text)


def _w(msgid: str, **values: object) -> str:
    """A message of the catalogue in the atlas's language."""
    return translate(_LANG.get(), msgid, **values)


def _text(fig: Figure, x: float, y: float, value: object, wrap: bool = False, **kw: Any) -> Text:
    """Put data text on ``fig`` as plain text (``$`` is a dollar sign, never the start of math)."""
    text = plain_text(value)
    if wrap:
        # matplotlib measures a wrapped line as mathtext when it holds two unescaped "$", whatever parse_math
        # says; escaped, no "$" starts math, and each "\$" is drawn as "$"
        return fig.text(x, y, text.replace("$", r"\$"), parse_math=True, usetex=False, wrap=True, **kw)
    return fig.text(x, y, text, parse_math=False, usetex=False, **kw)


def pages_folder(dest: Path | str) -> Path:
    """The folder the PNG pages of the atlas ``dest`` go to: ``NAME-pages`` beside ``NAME.pdf``."""
    out = Path(dest)
    return out.with_name(f"{out.stem}-pages")


def check_destination(dest: Path | str, png: bool = False) -> None:
    """Fail now, before any solving or drawing, if the atlas ``dest`` (and its page folder) cannot be written.

    Raises
    ------
    OutputError
        ``could not write PATH: reason. Fix: ...``.
    """
    check_output(dest)
    if png:
        check_output(pages_folder(dest), folder=True, replaceable=_only_pages)


def _only_pages(folder: Path) -> bool:
    """An earlier page folder holds PNG files only; anything else there is not the atlas's to replace."""
    return all(p.is_file() and not p.is_symlink() and p.suffix == ".png" for p in folder.iterdir())


def milestones(run: PlanRun) -> list[int]:
    """Months worth a page: the start, every month a security step completes, and the last step's end.

    More than :data:`MAX_PAGES` are thinned evenly, keeping the first and the last.
    """
    tl = run.timeline
    ends = {m for zone in tl.entities("security") for m in tl.reached(zone, "security").values()}
    months = sorted({0, *ends, tl.makespan})
    if len(months) <= MAX_PAGES:
        return months
    step = (len(months) - 1) / (MAX_PAGES - 1)
    return sorted({months[round(k * step)] for k in range(MAX_PAGES)})


def _cover(run: PlanRun, digest: str, built: str, frames: dict[str, gpd.GeoDataFrame]) -> Figure:
    fig = Figure(figsize=_A4)
    p, s, tl = run.problem, run.schedule, run.timeline
    meta = run.loaded.plan.meta
    lang = _LANG.get()
    facts = {"start": month_name(tl.label(0), lang), "horizon": p.horizon, "zones": len(p.zones), "steps": len(p.tasks)}
    status = {"optimal": translate(lang, "optimal"), "feasible": translate(lang, "feasible")}.get(s.status, s.status)
    lines = [
        (0.92, 22, "bold", run.name),
        (0.86, 12, "normal", translate(lang, "landplan atlas - built {built} - plan and layers {digest}",
                                       built=built, digest=digest)),
        (0.78, 12, "normal", translate(lang, "Start {start}, horizon {horizon} months; {zones} zones, {steps} "
                                       "scheduled steps; schedule {status}; last step ends {end} (month {month}).",
                                       **facts, status=status, end=month_name(tl.label(tl.makespan), lang),
                                       month=tl.makespan)),
        (0.73, 11, "normal", translate(lang, "Objective: {objective}", objective=_objective(run))),
    ]  # fmt: skip
    for y, size, weight, text in lines:
        _text(fig, 0.06, y, text, fontsize=size, fontweight=weight, va="top")
    if run.border is None:
        _cover_text(fig, meta.description, meta.sources)
    else:
        _cover_column(fig, meta.description, meta.sources)
        _cover_border(fig, run.border, frames)
    _text(fig, 0.06, 0.06, ATTRIBUTION, fontsize=8, va="bottom", wrap=True)
    return fig


def _objective(run: PlanRun) -> str:
    """The schedule's objective in words: mean months per person to a movement level, or months to completion."""
    from ..summary import describe_objective  # noqa: PLC0415 - the summary's own reading of the objective

    plain, lang = describe_objective(run.problem, run.schedule), _LANG.get()
    if plain.kind == "population_weighted_time" and plain.people:
        level = plain.level or ""
        words = translate(lang, STATE_LABELS[level]) if level in STATE_LABELS else level
        value = format(plain.value, ",.2f")
        return translate(lang, "mean {value} months per person to {level}", value=value, level=words)
    months = format(plain.raw, ",")
    return translate(lang, "completion in {months} months", months=months)


def _cover_text(fig: Figure, description: str | None, sources: list[str] | None) -> None:
    """The plan's description and sources across the cover."""
    y = 0.66
    if description:
        _text(fig, 0.06, y, description, fontsize=10, va="top", wrap=True)
        y -= 0.1
    _text(fig, 0.06, y, _w("Plan sources:"), fontsize=11, fontweight="bold", va="top")
    for src in sources or [_w("(none given)")]:
        y -= 0.035
        _text(fig, 0.08, y, f"- {src}", fontsize=9, va="top")


#: Characters a legend entry of the border holds on a line (a long scenario name wraps instead of pushing the
#: legend's second column off the page).
_LEGEND_CHARS = 36
#: Characters a line of the cover's left column holds (at 10 points) when the right column shows the border.
_COLUMN_CHARS = 78


def _cover_column(fig: Figure, description: str | None, sources: list[str] | None) -> None:
    """The plan's description and sources in the cover's left column, wrapped so they stay clear of the border."""
    y = 0.66
    if description:
        text = textwrap.fill(plain_text(description).replace("\n", " "), _COLUMN_CHARS)
        _text(fig, 0.06, y, text, fontsize=10, va="top")
        y -= 0.03 + 0.022 * (text.count("\n") + 1)
    _text(fig, 0.06, y, _w("Plan sources:"), fontsize=11, fontweight="bold", va="top")
    for src in sources or [_w("(none given)")]:
        lines = textwrap.wrap(f"- {plain_text(src)}", _COLUMN_CHARS + 8, subsequent_indent="  ") or ["-"]
        y -= 0.035
        _text(fig, 0.08, y, "\n".join(lines), fontsize=9, va="top")
        y -= 0.02 * (len(lines) - 1)


def _cover_border(fig: Figure, border: BorderResult, frames: dict[str, gpd.GeoDataFrame]) -> None:
    """The cover's right column: the border's name, its headline figures, and a map of it over the West Bank."""
    name = textwrap.fill(_w("Border: {name}", name=plain_text(border.name)), 48)
    _text(fig, 0.60, 0.70, name, fontsize=12, fontweight="bold", va="top")
    y = 0.70 - 0.03 * (name.count("\n") + 1)
    for label, text in border_headline(border, _LANG.get()):
        _text(fig, 0.60, y, f"{label}: {text}", fontsize=9, va="top")
        y -= 0.025
    ax = fig.add_axes((0.60, 0.10, 0.38, max(0.2, y - 0.13)))
    frames["basemap"].plot(ax=ax, color=_sea_or_land(frames["basemap"]), edgecolor="#b5b0a5", linewidth=0.3)
    frames["zones"].plot(ax=ax, color=LAYER_COLORS["zone_unset"], edgecolor="#777777", linewidth=0.2)
    handles: list[Artist] = [*_border(border, frames, ax, fill=True)]
    frames["line"].plot(ax=ax, color=LAYER_COLORS["line"], linewidth=1.0)
    handles.append(Line2D([], [], color=LAYER_COLORS["line"], linewidth=1.0, label=_w("1967 line")))
    _frame(ax, _border_extent(frames))
    legend = ax.legend(handles=handles, loc="lower left", fontsize=6.5, frameon=True)
    for entry in legend.get_texts():
        entry.set_parse_math(False)
        entry.set_usetex(False)


def _sea_or_land(basemap: gpd.GeoDataFrame) -> list[str]:
    """The basemap's fill: sea or land, as every page draws it."""
    return ["#c6dbef" if k == "sea" else "#efece4" for k in basemap["kind"]]


def _border_extent(frames: dict[str, gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """What the cover's border map must show: the plan's zones, the annexed and the swapped land."""
    parts = [frames["zones"][["geometry"]], frames["annexed"][["geometry"]], frames["swapped"][["geometry"]]]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=METRIC_CRS)


def _border(
    border: BorderResult | None, frames: dict[str, gpd.GeoDataFrame], ax: Any, fill: bool = False
) -> list[Patch]:
    """The land the plan's border annexes (hatched) and swaps (dashed; filled when ``fill``), and their legend.

    On the milestone pages the swapped land is outlined only: it is the plan's zones there, coloured by state.
    """
    if border is None:
        return []
    (annexed_colour, annexed), (swapped_colour, swapped) = border_legend(plain_text(border.name), _LANG.get())
    annexed_text, swapped_text = (textwrap.fill(t, _LEGEND_CHARS) for t in (annexed, swapped))
    if len(frames["annexed"]):
        frames["annexed"].plot(
            ax=ax, facecolor="none", edgecolor=annexed_colour, hatch="\\\\\\\\", linewidth=0.8, zorder=4
        )
    swapped_fill = BORDER_COLORS["swapped"] if fill else "none"
    if len(frames["swapped"]):
        frames["swapped"].plot(
            ax=ax, facecolor=swapped_fill, edgecolor=swapped_colour, linestyle="--", linewidth=0.8, zorder=4
        )
    return [
        Patch(facecolor="none", edgecolor=annexed_colour, hatch="\\\\\\\\", label=annexed_text),
        Patch(facecolor=swapped_fill, edgecolor=swapped_colour, linestyle="--", label=swapped_text),
    ]


def _page(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame]) -> Figure:
    p, tl = run.problem, run.timeline
    palette = ladder_colors("security", p.security_states)
    fig = Figure(figsize=_A4)
    ax = fig.add_axes((0.02, 0.07, 0.62, 0.86))
    zones = frames["zones"]
    state = [palette[tl.level_at(z, "security", month)] for z in zones["zone_id"]]
    frames["basemap"].plot(ax=ax, color=_sea_or_land(frames["basemap"]), edgecolor="#b5b0a5", linewidth=0.4)
    zones.plot(ax=ax, color=state, edgecolor="#444444", linewidth=0.3, alpha=0.85)
    handles: list[Artist] = [
        Patch(facecolor=palette[k], edgecolor="#444", label=plain_text(_state(st)))
        for k, st in enumerate(p.security_states)
    ]
    handles += _residual(run, month, frames, ax)
    handles += _border(run.border, frames, ax)
    frames["line"].plot(ax=ax, color="#00441b", linewidth=1.6)
    frames["jerusalem"].boundary.plot(ax=ax, color="#7f0000", linewidth=0.8)
    handles += [
        Patch(facecolor="none", edgecolor="#00441b", label=_w("1967 line")),
        Patch(facecolor="none", edgecolor="#7f0000", label=_w("Jerusalem arrangements")),
    ]
    handles += _barrier(run, month, frames, ax)
    handles += _links(run, month, frames, ax)
    handles += _stations(run, month, frames, ax)
    handles += _crossings(run, month, frames, ax)  # last: the crossings are the top collection
    _frame(ax, zones)
    date = month_name(tl.label(month), _LANG.get())
    # the right-hand column, read from its right edge in a right-to-left atlas
    rtl = _LANG.get() in RTL
    x, ha = 0.98 if rtl else 0.66, "right" if rtl else "left"
    side: Literal["left", "right"] = "right" if rtl else "left"
    _text(fig, x, 0.93, _w("{date} - month {month}", date=date, month=month), fontsize=16, fontweight="bold",
          va="top", ha=ha)  # fmt: skip
    _text(fig, x, 0.885, run.name, fontsize=10, va="top", ha=ha)
    corner: Literal["upper right", "upper left"] = "upper right" if rtl else "upper left"
    legend = fig.legend(handles=handles, loc=corner, bbox_to_anchor=(x, 0.86), fontsize=7, frameon=False, ncols=2,
                        markerfirst=not rtl, alignment=side)  # fmt: skip
    for label in legend.get_texts():
        label.set_parse_math(False)
        label.set_usetex(False)
    _text(fig, x, 0.52, _w("Figures this month"), fontsize=11, fontweight="bold", va="top", ha=ha)
    _draw_figures(fig, _figure_blocks(run, month), 0.49)
    _text(fig, 0.02, 0.01, ATTRIBUTION, fontsize=6.5, va="bottom", wrap=True)
    return fig


def _frame(ax: Any, zones: gpd.GeoDataFrame) -> None:
    """Fit the axes to the zones, with a scale bar (EPSG:2039 is in metres) and a north arrow (grid north)."""
    xmin, ymin, xmax, ymax = zones.total_bounds
    pad = 8_000
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    x0, y0 = xmin, ymin - pad * 0.6
    ax.plot([x0, x0 + 20_000], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(x0 + 10_000, y0 + 1_500, _w("{n} km", n=20), ha="center", fontsize=8, usetex=False)
    ax.annotate(
        _w("N"),
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )


def _residual(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame], ax: Any) -> list[Patch]:
    """Hatch the zones under a residual presence in ``month`` (as the metrics count them)."""
    if not run.problem.residual:
        return []
    tl, zones = run.timeline, frames["zones"]
    under = {
        z
        for r in run.problem.residual
        if month < r.ends
        for z in r.zones
        if tl.state_at(z, "security", month) == r.during
    }
    colour = LAYER_COLORS["residual"]
    if under:
        zones[zones["zone_id"].isin(under)].plot(ax=ax, facecolor="none", edgecolor=colour, hatch="////", linewidth=1)
    return [Patch(facecolor="none", edgecolor=colour, hatch="////", label=_w("residual Israeli presence"))]


def _removed_by(run: PlanRun, zone_ids: pd.Series) -> list[int | None]:
    """Month the barrier step covering each zone ends (None: none within the plan), as the metrics count it."""
    removed = {z: run.timeline.completed(st, "barrier") for st, zs in run.problem.barrier_zones.items() for z in zs}
    return [removed.get(str(z)) for z in zone_ids]


def _barrier(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame], ax: Any) -> list[Line2D]:
    """The barrier route still standing in ``month``."""
    route = frames.get("barrier")
    if route is None:
        return []
    gone = [m is not None and m <= month for m in _removed_by(run, route["zone_id"])]
    standing = route[[not g for g in gone]]
    if len(standing):
        standing.plot(ax=ax, color=LAYER_COLORS["barrier"], linewidth=0.9)
    return [Line2D([], [], color=LAYER_COLORS["barrier"], linewidth=0.9, label=_w("barrier standing"))]


def _links(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame], ax: Any) -> list[Line2D]:
    """The plan's Gaza - West Bank links, each in the colour and dash of its state in ``month``."""
    links, tl = frames.get("links"), run.timeline
    if links is None or not run.problem.link_capacity:
        return []
    planned = links[links["link_id"].isin(list(run.problem.link_capacity))]
    states = [tl.state_at(str(lid), "link", month) for lid in planned["link_id"]]
    for geom, st in zip(planned.geometry, states, strict=True):
        gpd.GeoSeries([geom]).plot(ax=ax, **_line_style(st))
    return [Line2D([], [], label=_w(_LINK_WORDS.get(st, st)), **_line_style(st)) for st in dict.fromkeys(states)]


#: A link's state as the legend words it (the phase map's legend texts).
_LINK_WORDS = {
    "closed": "link closed",
    "escorted_convoys": "link: escorted convoys",
    "open_to_people": "link open to people",
    "open_to_goods": "link open to people and goods",
}
#: An open crossing's regime as the legend words it (the phase map's legend texts).
_REGIME_WORDS = {
    "israeli": "crossing open: Israeli",
    "international": "crossing open: international",
    "joint": "crossing open: joint (with a third party, if any)",
    "palestinian": "crossing open: Palestinian",
}


def _state(state: str) -> str:
    """A security state's name in the atlas's language (the plan's own name for a state the catalogue lacks)."""
    return translate(_LANG.get(), STATE_LABELS[state]) if state in STATE_LABELS else state


def _line_style(state: str) -> dict[str, Any]:
    """How a link in ``state`` is drawn: the map's colour, dash pattern and (halved) width."""
    role, dash, width = LINK_STYLES[state]
    style: Any = "-" if dash is None else (0, tuple(float(x) for x in dash.split()))
    return {"color": LAYER_COLORS[role], "linewidth": width / 2, "linestyle": style}


def _stations(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame], ax: Any) -> list[Any]:
    """The sited early-warning stations standing in ``month``."""
    sites = frames.get("early_warning_sites")
    if sites is None or not run.problem.stations:
        return []
    standing = {st.site for st in run.problem.stations if st.site is not None and st.active(month)}
    shown = sites[sites["site_id"].isin(standing)]
    colour = LAYER_COLORS["station"]
    if len(shown):
        shown.plot(ax=ax, marker="^", markersize=40, color=colour, edgecolor="white", linewidth=0.6, zorder=6)
    return [Line2D([], [], marker="^", color=colour, linestyle="none", label=_w("early-warning station"))]


def _crossings(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame], ax: Any) -> list[Any]:
    """The crossings: white until open, then filled by their regime; a red ring when over capacity."""
    tl, cr = run.timeline, frames["crossings"]
    flows = crossing_flows(run.problem, tl)
    now = flows[flows["month"] == month].set_index("crossing")
    fills, edges, widths = [], [], []
    for cid in cr["crossing_id"]:
        opened = tl.completed(str(cid), "crossing")
        regime = now.loc[cid, "regime"] if cid in now.index else None
        over = bool(now.loc[cid, "over_capacity"]) if cid in now.index else False
        fills.append("white" if opened is None or opened > month else REGIME_COLORS.get(str(regime), "#08306b"))
        edges.append(LAYER_COLORS["crossing_over"] if over else "#08306b")
        widths.append(2.0 if over else 0.8)
    cr.plot(ax=ax, markersize=14, color=fills, edgecolor=edges, linewidth=widths, zorder=7)
    regimes = dict.fromkeys(r.regime for lines in run.problem.crossing_regimes.values() for r in lines)
    out: list[Any] = [Patch(facecolor="white", edgecolor="#08306b", label=_w("crossing not yet open"))]
    out += [Patch(facecolor=REGIME_COLORS[r], edgecolor="#08306b", label=_w(_REGIME_WORDS.get(r, r))) for r in regimes]
    if run.problem.demand:
        above = _w("demand above capacity")
        out.append(Patch(facecolor="white", edgecolor=LAYER_COLORS["crossing_over"], label=above))
    return out


#: Figures a page leaves out for room (the phase map shows them all): settlers by security state, trucks, the
#: seam zone, the "of them" rows.
_PAGE_SKIPS = re.compile(r"^(settlers_|seam_|link_trucks|crossing_trucks|residents_settlers|residents_refugees)")
#: Characters a line of the page's figures holds before it wraps.
_FIGURE_CHARS = 40


def _figure_blocks(run: PlanRun, month: int) -> list[list[str]]:
    """The month's figures by group (title first), as the phase map names and rounds them, in the atlas's language.

    A security state that holds no land that month is left out, so the page lists who holds what.
    """
    m: dict[str, Any] = {str(k): v for k, v in run.metrics.set_index("month").loc[month].to_dict().items()}
    groups = figure_groups([str(c) for c in run.metrics.columns], run.problem.security_states)
    kept = []
    for g in groups:
        figs = tuple(
            f for f in g.figures
            if not _PAGE_SKIPS.match(f.columns[0]) and not (f.kind == "share" and not m[f.columns[0]])
        )  # fmt: skip
        if figs:
            kept.append(dataclasses.replace(g, figures=figs))
    blocks = []
    for title, lines in figure_lines(kept, m, _LANG.get()):
        wrapped = [w for line in lines for w in textwrap.wrap(line, _FIGURE_CHARS, subsequent_indent="   ")]
        blocks.append([title, *wrapped])
    return blocks


def _draw_figures(fig: Figure, blocks: list[list[str]], top: float) -> None:
    """The figure blocks in two columns under ``top``, each group whole, the columns about even."""
    total, half = sum(map(len, blocks)), 0
    left: list[list[str]] = []
    right: list[list[str]] = []
    for block in blocks:
        (left if half < total / 2 else right).append(block)
        half += len(block) if half < total / 2 else 0
    rtl = _LANG.get() in RTL
    columns = ((0.98, left), (0.81, right)) if rtl else ((0.66, left), (0.83, right))
    ha = "right" if rtl else "left"
    for x, column in columns:
        y = top
        for block in column:
            _text(fig, x, y, block[0], fontsize=7.5, fontweight="bold", va="top", ha=ha)
            _text(fig, x, y - 0.017, "\n".join(block[1:]), fontsize=6.5, va="top", ha=ha, linespacing=1.3)
            y -= 0.017 + 0.0155 * len(block)


def _frames(run: PlanRun) -> dict[str, gpd.GeoDataFrame]:
    """The layers a page draws, in metres, cut to the plan's zones and crossings (and the major crossings)."""
    metric = {name: run.layers[name].to_crs(METRIC_CRS) for name in ("zones", "crossings", "jerusalem", "basemap")}
    metric["zones"] = metric["zones"][metric["zones"]["zone_id"].isin(run.problem.zones)]
    jer = metric["jerusalem"]
    # at atlas scale only the outlines read: East Jerusalem, the Old City and the Holy Basin
    metric["jerusalem"] = jer[jer["kind"].isin(["east_jerusalem", "old_city", "holy_basin"])]
    lines = run.layers["line_1967"]
    metric["line"] = lines[lines["kind"] == "armistice_line"].to_crs(METRIC_CRS)
    cr = metric["crossings"]
    planned = run.timeline.entities("crossing")
    metric["crossings"] = cr[cr["crossing_id"].isin(planned) | cr["major"].astype(bool)]
    if "barrier" in run.layers:
        bar = run.layers["barrier"]
        metric["barrier"] = bar[bar["kind"] == "route"].to_crs(METRIC_CRS)
    for name in ("links", "early_warning_sites"):
        if name in run.layers:
            metric[name] = run.layers[name].to_crs(METRIC_CRS)
    if run.border is not None:
        for part in ("annexed", "swapped"):
            geom = getattr(run.border, part)  # EPSG:2039 already
            shown = [] if geom.is_empty else [geom]
            metric[part] = gpd.GeoDataFrame(geometry=gpd.GeoSeries(shown, crs=METRIC_CRS), crs=METRIC_CRS)
    return metric


@contextmanager
def _figures(run: PlanRun, digest: str, built: str, lang: str = "en") -> Iterator[list[Figure]]:
    """The cover and the milestone pages, drawn and saved (inside the block) under the atlas's own settings.

    The pages are plain :class:`~matplotlib.figure.Figure` objects, never registered with pyplot: the atlas
    picks no backend and leaves no figure open in the process.  Its settings hold only inside the block.
    """
    # text is text (no mathtext, no TeX) whatever the user's matplotlibrc says; fonts are embedded as TrueType
    token = _LANG.set(check_language(lang))
    try:
        with matplotlib.rc_context({"pdf.fonttype": 42, "text.usetex": False, "text.parse_math": False}):
            yield _draw(run, digest, built)
    finally:
        _LANG.reset(token)


def _draw(run: PlanRun, digest: str, built: str) -> list[Figure]:
    """The cover and the milestone pages."""
    frames = _frames(run)
    return [_cover(run, digest, built, frames), *(_page(run, mo, frames) for mo in milestones(run))]


def write_atlas(
    run: PlanRun, dest: Path | str, digest: str, built: str, png: bool = False, *, lang: str = "en"
) -> list[Path]:
    """Write the atlas PDF (and, when ``png``, one PNG per page in :func:`pages_folder`), atomically.

    Both outputs are checked before anything is drawn.  The PDF is renamed into place once complete; the
    PNG pages are written into a temporary folder that then replaces the page folder whole, so a killed run
    leaves the previous pages, and a shorter atlas leaves none of a longer earlier one.

    Returns
    -------
    list of pathlib.Path
        The PDF, then any PNG pages.

    Raises
    ------
    OutputError
        When the PDF or the page folder cannot be written (both are then left as they were, or, if only
        writing the PDF failed, the pages are the new ones).
    """
    out = Path(dest)
    pages = pages_folder(out)
    check_destination(out, png)
    written = [out]
    with _figures(run, digest, built, lang) as figs:
        buf = io.BytesIO()
        meta = {"Creator": "landplan", "Producer": "landplan", "CreationDate": None, "ModDate": None}
        with PdfPages(buf, metadata=meta) as pdf:
            for fig in figs:
                pdf.savefig(fig)
        if png:
            with staged_folder(pages, replaceable=_only_pages) as tmp:
                for k, fig in enumerate(figs):
                    page = io.BytesIO()
                    fig.savefig(page, format="png", dpi=100, metadata={"Software": None})
                    name = f"{out.stem}-p{k + 1:02d}.png"
                    write_new(tmp / name, page.getvalue())
                    written.append(pages / name)
        atomic_write(out, buf.getvalue())
        log.info("wrote atlas %s (%d pages)", out, len(figs))
    return written
