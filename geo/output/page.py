"""What every landplan web page is made of: fixed markup with slots, one escape path for HTML, one for JSON.

The phase map (:mod:`.phase_map`), the comparison page (:mod:`.compare_map`) and the border map
(:mod:`.border_map`) are built the same way, so they share these pieces instead of reaching into each other:

* :class:`Page` is folium's document whose rendering fills its :class:`Slot` markers *after* folium (and branca's
  Jinja2) has rendered it, through :func:`fill_slots`, in one pass: nothing inserted is ever template source,
  a format string, or read again by anything.
* :func:`escape_text` is the one path by which data text is written as HTML; :func:`payload_json` the one path
  by which data reaches a page's script (as JSON that cannot end its ``<script>`` element); both first remove
  bidirectional controls (:func:`plain_text`).
* :func:`add_leaflet` puts the pinned Leaflet in a page (inline, or linked with Subresource Integrity), and
  :func:`static_text` reads the pages' fixed scripts, styles and markup from ``static/``.

This module loads folium's document classes and Jinja2 but nothing of the planner (no solver, no plan run), so
a page that draws no plan (``landplan border --html``) does not load them.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from branca.element import Element, Figure
from jinja2 import Template

from ..errors import LandplanError

__all__ = [
    "Page",
    "Slot",
    "add_leaflet",
    "escape_text",
    "fill_slots",
    "payload_json",
    "plain_text",
    "static_text",
]

#: Bidirectional embeddings (U+202A, U+202B), their terminator (U+202C), overrides (U+202D, U+202E) and
#: isolates (U+2066-U+2069): each opens or closes a directional context that can reach past the end of the
#: name holding it.  The marks U+200E, U+200F and U+061C stay: they only settle the direction of the
#: neutral characters beside them, are written in ordinary Hebrew and Arabic names, and cannot act outside
#: the isolated element the page shows each name in.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_JSON_BRACES = str.maketrans({"{": "\\u007b", "}": "\\u007d"})
_SLOT = re.compile(r"<!--landplan-slot:([a-z_]+)-->")


def plain_text(value: object) -> str:
    """``value`` as display text, without bidirectional embedding, override or isolate controls.

    A right-to-left override in a plan or zone name would otherwise reverse whatever follows it on the
    same line (the footer's hash and attribution), and an unclosed embedding or isolate would change the
    order of the text around it.  The left-to-right, right-to-left and Arabic letter marks are kept (see
    ``_BIDI_CONTROLS``).

    Parameters
    ----------
    value : object
        Any value; ``None`` gives ``""``, anything else its ``str``.

    Returns
    -------
    str
        The text with U+202A-U+202E and U+2066-U+2069 removed.
    """
    if value is None:
        return ""
    return str(value).translate(_BIDI_CONTROLS)


def escape_text(value: object) -> str:
    """Escape ``value`` for HTML text or attributes, and for the JavaScript strings folium writes.

    The one path by which text from data is written as HTML: bidirectional controls are removed
    (:func:`plain_text`); ``<``, ``>``, ``&`` and both quotes become entities, and so do backslash,
    backtick, ``$``, ``{`` and ``}``, so neither ``</script>``, ``${x}`` nor a template delimiter
    survives even if the text later reached a script or a template.

    Parameters
    ----------
    value : object
        Any value; ``None`` gives ``""``.

    Returns
    -------
    str
        HTML-safe text.
    """
    text = html.escape(plain_text(value), quote=True)
    return (
        text.replace("\\", "&#92;")
        .replace("`", "&#96;")
        .replace("$", "&#36;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
    )


def _scrub(obj: Any) -> Any:
    """``obj`` with :func:`plain_text` applied to every string in it, keys included."""
    if isinstance(obj, str):
        return plain_text(obj)
    if isinstance(obj, dict):
        return {plain_text(k) if isinstance(k, str) else k: _scrub(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_scrub(v) for v in obj]
    return obj


def payload_json(payload: Any) -> str:
    """The payload as JSON that is safe inside ``<script type="application/json">``.

    The JSON path for data, as :func:`escape_text` is the HTML path: every string loses its
    bidirectional controls (:func:`plain_text`); ``<``, ``>`` and ``&`` are escaped so the payload cannot
    end its element, and ``{`` and ``}`` inside strings so that, even if the payload ever reached a
    template engine, it would hold no template delimiter.  ``JSON.parse`` gives back the same text.

    Parameters
    ----------
    payload : Any
        JSON-serialisable data; NaN and infinities are refused.

    Returns
    -------
    str
        ASCII JSON.

    Raises
    ------
    ValueError
        When the payload holds a non-finite number.
    """
    text = json.dumps(_scrub(payload), ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    text = _JSON_STRING.sub(lambda m: m.group(0).translate(_JSON_BRACES), text)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class Slot(Element):
    """Where one piece of the page goes once folium has rendered it.

    Its template is fixed and prints only its marker, so what fills the slot (data, file contents,
    Leaflet) is never template source.
    """

    _template = Template("{{ this.marker }}")

    def __init__(self, name: str) -> None:
        super().__init__()
        if not _SLOT.fullmatch(f"<!--landplan-slot:{name}-->"):
            raise ValueError(f"slot names are lower-case letters and '_': {name!r}")
        self.marker = f"<!--landplan-slot:{name}-->"


def fill_slots(document: str, slots: Mapping[str, str]) -> str:
    """Put each slot's text in place of its marker (``<!--landplan-slot:NAME-->``), in one pass.

    The one way a page of landplan gets its pieces: one pass means an inserted text is never searched for
    markers (nor read by anything else, let alone as a template or format string), and each marker must occur
    exactly once, so a page cannot silently lose or duplicate a piece.

    Parameters
    ----------
    document : str
        Fixed markup holding the markers (folium's rendering, or a page of ``static/``).
    slots : mapping of str to str
        The text of each slot, already made safe for where its marker stands.

    Returns
    -------
    str
        The document with every marker replaced.

    Raises
    ------
    LandplanError
        When the markers of ``document`` are not exactly the names of ``slots`` (a bug, not bad input).
    """
    found = sorted(_SLOT.findall(document))
    if found != sorted(slots):
        raise LandplanError(
            f"the page template has slots {found} where {sorted(slots)} were expected. "
            "Fix: this is a bug in landplan; please report it with the command that failed"
        )
    return _SLOT.sub(lambda m: slots[m.group(1)], document)


class Page(Figure):
    """folium's document, whose :meth:`render` fills its slots after folium has rendered it.

    Every way of getting the page's HTML from the map (``get_root().render()``, ``save``, notebook
    display) goes through :meth:`render`, so none of them can miss the data or run it as a template.
    """

    def __init__(self, lang: str = "en", direction: str = "ltr") -> None:
        super().__init__()
        self.slots: dict[str, str] = {}
        if not (lang.isascii() and lang.isalpha()) or direction not in ("ltr", "rtl"):
            raise LandplanError(
                f"a page's language must be a code such as 'ar' and its direction ltr or rtl, not {lang!r} / "
                f"{direction!r}. Fix: this is a bug in landplan; please report it"
            )
        self.lang, self.direction = lang, direction

    def put(self, section: Element, name: str, text: str, index: int | None = None) -> None:
        """Reserve a slot called ``name`` in ``section`` (header or html) that will hold ``text``.

        Parameters
        ----------
        section : Element
            ``page.header`` or ``page.html``.
        name : str
            The slot's name: lower-case letters and ``_``.
        text : str
            What the slot holds, already safe for where it stands (:func:`escape_text`, :func:`payload_json`
            or fixed text).
        index : int, optional
            Its place among the section's children (default: after them).
        """
        section.add_child(Slot(name), name=name, index=index)
        self.slots[name] = text

    def render(self, **kwargs: Any) -> str:
        """The whole page: folium's rendering with every slot filled, its language and direction on ``<html>``."""
        text = fill_slots(super().render(**kwargs), self.slots)
        return text.replace("<html>", f'<html lang="{self.lang}" dir="{self.direction}">', 1)


def static_text(name: str) -> str:
    """The text of ``geo/output/static/NAME``: the pages' fixed scripts, styles and markup."""
    return (resources.files("geo.output") / "static" / name).read_text(encoding="utf-8")


def add_leaflet(page: Page, cdn: bool) -> None:
    """Inline Leaflet from the pinned xstatic-leaflet package, or link it with Subresource Integrity.

    Inline by default, so a page works offline; the CDN link carries the hashes of the very files that would
    have been inlined, so a changed file on the CDN is refused by the browser.

    Parameters
    ----------
    page : Page
        The page; Leaflet's style and script take the first two places of its header.
    cdn : bool
        Link from jsDelivr instead of inlining.
    """
    import xstatic.pkg.leaflet as xleaflet  # noqa: PLC0415 - package data, read when a map is drawn

    base = Path(xleaflet.BASE_DIR)
    js = (base / "leaflet.js").read_bytes()
    css = (base / "leaflet.css").read_bytes()
    if cdn:
        url = f"https://cdn.jsdelivr.net/npm/leaflet@{xleaflet.VERSION}/dist/leaflet"
        sri_js = "sha384-" + base64.b64encode(hashlib.sha384(js).digest()).decode()
        sri_css = "sha384-" + base64.b64encode(hashlib.sha384(css).digest()).decode()
        link = f'<link rel="stylesheet" href="{url}.css" integrity="{sri_css}" crossorigin="anonymous"/>'
        script = f'<script src="{url}.js" integrity="{sri_js}" crossorigin="anonymous"></script>'
    else:
        link, script = f"<style>{css.decode()}</style>", f"<script>{js.decode()}</script>"
    page.put(page.header, "leaflet_css", link, index=0)
    page.put(page.header, "leaflet_js", script, index=1)
