"""The printable atlas: a PDF (and optionally PNG pages) with a cover and one page per milestone month.

Drawn with matplotlib in EPSG:2039 (so the scale bar is true), from the shipped vector layers only: no tile
server. The PDF carries no creation date, so two atlases of the same plan are byte-identical.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .crs import METRIC_CRS
from .files import atomic_write
from .metrics import month_label
from .run import PlanRun
from .style import ATTRIBUTION, STATE_COLORS

__all__ = ["MAX_PAGES", "milestones", "write_atlas"]

log = logging.getLogger(__name__)

#: Most milestone pages in one atlas.
MAX_PAGES = 12
_A4 = (11.69, 8.27)  # landscape, inches


def milestones(run: PlanRun) -> list[int]:
    """Months worth a page: the start, every month a security step completes, and the last step's end.

    More than :data:`MAX_PAGES` are thinned evenly, keeping the first and the last.
    """
    ends = {e for t, e in run.schedule.end.items() if "/security/" in t}
    months = sorted({0, *ends, run.schedule.makespan})
    if len(months) <= MAX_PAGES:
        return months
    step = (len(months) - 1) / (MAX_PAGES - 1)
    return sorted({months[round(k * step)] for k in range(MAX_PAGES)})


def _cover(run: PlanRun, digest: str, built: str) -> Figure:
    fig = plt.figure(figsize=_A4)
    p, s = run.problem, run.schedule
    meta = run.loaded.plan.meta
    lines = [
        (0.92, 22, "bold", run.name),
        (0.86, 12, "normal", f"landplan atlas - built {built} - plan and layers {digest}"),
        (
            0.78,
            12,
            "normal",
            f"Start {month_label(p.start, 0)}, horizon {p.horizon} months; {len(p.zones)} zones, "
            f"{len(p.tasks)} scheduled steps; schedule {s.status}; last step ends "
            f"{month_label(p.start, s.makespan)} (month {s.makespan}).",
        ),
        (
            0.73,
            11,
            "normal",
            f"Objective: {p.objective}"
            + (f" ({p.objective_level})" if p.objective_level else "")
            + f" = {s.objective:,}",
        ),
    ]
    for y, size, weight, text in lines:
        fig.text(0.06, y, text, fontsize=size, fontweight=weight, va="top")
    y = 0.66
    if meta.description:
        fig.text(0.06, y, meta.description, fontsize=10, va="top", wrap=True)
        y -= 0.1
    fig.text(0.06, y, "Plan sources:", fontsize=11, fontweight="bold", va="top")
    for src in meta.sources or ["(none given)"]:
        y -= 0.035
        fig.text(0.08, y, f"- {src}", fontsize=9, va="top")
    fig.text(0.06, 0.06, ATTRIBUTION, fontsize=8, va="bottom", wrap=True)
    return fig


def _page(run: PlanRun, month: int, frames: dict[str, gpd.GeoDataFrame]) -> Figure:
    p, s = run.problem, run.schedule
    fig = plt.figure(figsize=_A4)
    ax = fig.add_axes((0.02, 0.07, 0.62, 0.86))
    zones = frames["zones"]
    state = []
    for z in zones["zone_id"]:
        k = 0
        for st in p.security_states[1:]:
            end = s.end.get(f"{z}/security/{st}")
            if end is not None and end <= month:
                k += 1
        state.append(STATE_COLORS[k])
    frames["basemap"].plot(
        ax=ax,
        color=["#c6dbef" if k == "sea" else "#efece4" for k in frames["basemap"]["kind"]],
        edgecolor="#b5b0a5",
        linewidth=0.4,
    )
    zones.plot(ax=ax, color=state, edgecolor="#444444", linewidth=0.3, alpha=0.85)
    frames["line"].plot(ax=ax, color="#00441b", linewidth=1.6)
    frames["jerusalem"].boundary.plot(ax=ax, color="#7f0000", linewidth=0.8)
    cr = frames["crossings"]
    opens = [s.end.get(f"crossing/{c}") for c in cr["crossing_id"]]
    is_open = [o is not None and o <= month for o in opens]
    cr.plot(
        ax=ax,
        markersize=14,
        color=["#08306b" if o else "white" for o in is_open],
        edgecolor="#08306b",
        linewidth=0.8,
        zorder=5,
    )
    xmin, ymin, xmax, ymax = zones.total_bounds
    pad = 8_000
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    # scale bar (EPSG:2039 is in metres) and north arrow (grid north of the Israeli TM)
    x0, y0 = xmin, ymin - pad * 0.6
    ax.plot([x0, x0 + 20_000], [y0, y0], color="black", linewidth=3, solid_capstyle="butt")
    ax.text(x0 + 10_000, y0 + 1_500, "20 km", ha="center", fontsize=8)
    ax.annotate(
        "N",
        xy=(0.95, 0.95),
        xytext=(0.95, 0.86),
        xycoords="axes fraction",
        ha="center",
        fontsize=11,
        fontweight="bold",
        arrowprops={"arrowstyle": "-|>", "color": "black"},
    )
    date = month_label(p.start, month)
    fig.text(0.66, 0.93, f"{date} - month {month}", fontsize=16, fontweight="bold", va="top")
    fig.text(0.66, 0.885, run.name, fontsize=10, va="top")
    handles = [
        Patch(facecolor=STATE_COLORS[k], edgecolor="#444", label=f"security: {st}")
        for k, st in enumerate(p.security_states)
    ]
    handles += [
        Patch(facecolor="#08306b", label="crossing open"),
        Patch(facecolor="white", edgecolor="#08306b", label="crossing not yet open"),
        Patch(facecolor="none", edgecolor="#00441b", label="1967 line"),
        Patch(facecolor="none", edgecolor="#7f0000", label="Jerusalem arrangements"),
    ]
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.66, 0.86), fontsize=8, frameon=False)
    m: dict[Any, Any] = run.metrics.set_index("month").loc[month].to_dict()
    rows = [f"{st}: {m[f'area_pct_{st}']:.1f} % of the territory" for st in p.security_states]
    rows += [f"population at {lv}: {int(m[f'population_{lv}']):,}" for lv in p.movement_levels]
    rows += [
        f"obstacles removed: {int(m['obstacles_removed'])} of {int(m['obstacles_total'])}",
        f"crossings open: {int(m['crossings_open'])}",
        f"troops deployed: {int(m['troops_deployed']):,} of {int(m['troops_available']):,}",
    ]
    fig.text(0.66, 0.52, "Metrics this month", fontsize=11, fontweight="bold", va="top")
    fig.text(0.66, 0.49, "\n".join(rows), fontsize=8.5, va="top", linespacing=1.5)
    fig.text(0.02, 0.02, ATTRIBUTION, fontsize=6.5, va="bottom")
    return fig


def write_atlas(run: PlanRun, dest: Path | str, digest: str, built: str, png: bool = False) -> list[Path]:
    """Write the atlas PDF (and ``NAME-pNN.png`` pages when ``png``), atomically.

    Returns
    -------
    list of pathlib.Path
        The PDF, then any PNG pages.
    """
    out = Path(dest)
    metric = {name: run.layers[name].to_crs(METRIC_CRS) for name in ("zones", "crossings", "jerusalem", "basemap")}
    metric["zones"] = metric["zones"][metric["zones"]["zone_id"].isin(run.problem.zones)]
    lines = run.layers["line_1967"]
    metric["line"] = lines[lines["kind"] == "armistice_line"].to_crs(METRIC_CRS)
    cr = metric["crossings"]
    metric["crossings"] = cr[
        cr["crossing_id"].isin([t.split("/", 1)[1] for t in run.problem.tasks if t.startswith("crossing/")])
        | cr["major"].astype(bool)
    ]
    figs = [_cover(run, digest, built)] + [_page(run, mo, metric) for mo in milestones(run)]
    plt.rcParams["pdf.fonttype"] = 42
    buf = io.BytesIO()
    with PdfPages(
        buf, metadata={"Creator": "landplan", "Producer": "landplan", "CreationDate": None, "ModDate": None}
    ) as pdf:
        for fig in figs:
            pdf.savefig(fig)
    written = [out]
    atomic_write(out, buf.getvalue())
    if png:
        for k, fig in enumerate(figs):
            page = io.BytesIO()
            fig.savefig(page, format="png", dpi=100, metadata={"Software": None})
            path = out.with_name(f"{out.stem}-p{k + 1:02d}.png")
            atomic_write(path, page.getvalue())
            written.append(path)
    for fig in figs:
        plt.close(fig)
    log.info("wrote atlas %s (%d pages)", out, len(figs))
    return written
