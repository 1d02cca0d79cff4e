"""Two plans' phase maps side by side, with one month slider driving both and their views kept together.

Each map is the full, self-contained phase map of :mod:`.phase_map` in an ``<iframe srcdoc>`` (escaped as an
attribute), so the comparison keeps the same safety and works offline.  The page itself is fixed markup in
``static/compare.html`` whose slots are filled in one pass by :func:`~.page.fill_slots`: no plan text is
ever a format string or a template.  Its script, ``static/compare.js``, talks to each map only through the
map's public API (``setMonth``, ``month``, ``map``, ``ready`` and the ``monthchange`` event).

A plan that names a border is drawn inside it on its own map (:mod:`.phase_map`), and the page names the border
beside the plan's name, so two plans on different borders are not read as one territory.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path

from ..files import atomic_write
from .page import escape_text, fill_slots, static_text
from .phase_map import MapInputs, phase_map

__all__ = ["comparison_html", "write_comparison_map"]

log = logging.getLogger(__name__)


def comparison_html(a: MapInputs, b: MapInputs) -> str:
    """The comparison page of plans ``a`` and ``b``.

    Parameters
    ----------
    a, b : MapInputs
        The two plans' map inputs.

    Returns
    -------
    str
        The page: ``static/compare.html`` with the plans' names, each followed by its border's name when it
        names one (through :func:`~.page.escape_text`, the one escape path for data written as HTML), the
        longer horizon, the two maps (escaped as attributes) and ``static/compare.js`` in its slots.
    """
    doc_a = phase_map(a, tiles=False).get_root().render()
    doc_b = phase_map(b, tiles=False).get_root().render()
    return fill_slots(
        static_text("compare.html"),
        {
            "title": f"{escape_text(a.plan_name)} vs {escape_text(b.plan_name)}",
            "name_a": _named(a),
            "name_b": _named(b),
            "horizon": str(int(max(a.problem.horizon, b.problem.horizon))),
            "doc_a": html.escape(doc_a, quote=True),
            "doc_b": html.escape(doc_b, quote=True),
            "compare_js": static_text("compare.js"),
        },
    )


def _named(inp: MapInputs) -> str:
    """The plan's name, then its border's when it names one, escaped (:func:`~.page.escape_text`)."""
    if inp.border is None:
        return escape_text(inp.plan_name)
    return escape_text(f"{inp.plan_name} (border: {inp.border.name})")


def write_comparison_map(a: MapInputs, b: MapInputs, path: Path | str) -> Path:
    """Write :func:`comparison_html` to ``path`` atomically.

    Parameters
    ----------
    a, b : MapInputs
        The two plans' map inputs.
    path : Path or str
        Where the page goes.

    Returns
    -------
    Path
        ``path``.
    """
    dest = Path(path)
    atomic_write(dest, comparison_html(a, b).encode("utf-8"))
    log.info("wrote %s (%d bytes)", dest, dest.stat().st_size)
    return dest
