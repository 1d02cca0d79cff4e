"""Whether the map's colours can be told apart by every reader: colour-vision deficiencies and text contrast.

A zone's state is read from its fill alone, matched against a legend swatch, so two states whose fills look
alike to a reader with a colour-vision deficiency (about one man in twelve has a red-green one) are one state
to that reader.  Fills are compared as they are seen: blended over the land at the zone layer's opacity, then
passed through a simulation of protan, deutan and tritan vision at full severity (dichromacy, the worst case),
and measured in CAM02-UCS, where a Euclidean distance (ΔE') tracks perceived difference.  Text is held to WCAG
2.x contrast, computed from its relative-luminance formula, so no extra dependency is needed for it.

This module is for the tests and the palette benchmark: it needs ``colorspacious`` (a test dependency), reads the
map's stylesheet and script to learn what they draw on what, and is imported by nothing that draws a map.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

import colorspacious  # type: ignore[import-untyped]
import numpy as np
from numpy.typing import NDArray

from .style import LAYER_COLORS, LEVEL_COLORS, NAMED_COLORS, REGIME_COLORS, STATE_COLORS

__all__ = [
    "AA_NON_TEXT",
    "AA_TEXT",
    "CVD_TYPES",
    "MIN_DELTA_E",
    "VISIONS",
    "Separation",
    "TextPair",
    "blend",
    "contrast_ratio",
    "css_colour",
    "css_value",
    "map_palettes",
    "map_text_pairs",
    "min_separation",
    "relative_luminance",
    "separations",
    "simulate",
    "zone_fill_opacity",
]

#: The deficiencies simulated, by colorspacious's names; at severity 100 each is the full dichromacy.
CVD_TYPES = ("protanomaly", "deuteranomaly", "tritanomaly")
#: Normal vision, then each simulated deficiency.
VISIONS = ("normal", *CVD_TYPES)
#: Least CAM02-UCS ΔE' between two categorical fills.  One unit is about a just-noticeable difference between
#: large abutting patches; zones are small, outlined, partly see-through, sometimes hatched over, and must be
#: *identified* against a legend rather than merely told apart, so the bar is fifteen times that: the top of
#: the usual 10-15 for categorical map fills, applied to the washed-out colours actually seen.
MIN_DELTA_E = 15.0
#: WCAG 2.x level AA: normal-size text (SC 1.4.3) and graphical marks that carry meaning (SC 1.4.11).
AA_TEXT = 4.5
AA_NON_TEXT = 3.0

_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")
# the zone layer's default fill opacity, and the options the phase map makes its zones with
_ZONE_DEFAULT = re.compile(r"L\.LandplanZoneLayer\s*=\s*L\.Layer\.extend\(\{\s*options:\s*\{([^}]*)\}")
_ZONE_OPTIONS = re.compile(r"layers\.zones\s*=\s*L\.landplanZoneLayer\(\w+,\s*\{([^}]*)\}")
_FILL_OPACITY = re.compile(r"fillOpacity:\s*([0-9.]+)")
_RGBA = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*([0-9.]+)\s*)?\)")


def _rgb1(colour: str) -> NDArray[np.float64]:
    """``#rgb`` or ``#rrggbb`` as sRGB in [0, 1]."""
    m = _HEX.fullmatch(colour.strip())
    if m is None:
        raise ValueError(f"not a #rgb or #rrggbb colour: {colour!r}")
    digits = m.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return np.array([int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)], dtype=np.float64)


def _hex(rgb1: NDArray[np.float64]) -> str:
    """A colour in sRGB [0, 1] as ``#rrggbb``, rounded to 8 bits as a browser stores it."""
    r, g, b = (round(float(v) * 255) for v in np.clip(rgb1, 0.0, 1.0))
    return f"#{r:02x}{g:02x}{b:02x}"


def blend(colour: str, under: str, alpha: float) -> str:
    """``colour`` painted at opacity ``alpha`` over ``under``: the colour a reader actually sees.

    Browsers composite in gamma-encoded sRGB (source-over), so the blend is linear in the 8-bit values.

    Parameters
    ----------
    colour, under : str
        ``#rgb`` or ``#rrggbb`` colours: the paint and what lies beneath it.
    alpha : float
        The paint's opacity, in [0, 1].

    Returns
    -------
    str
        The result as ``#rrggbb``.
    """
    return _hex(alpha * _rgb1(colour) + (1.0 - alpha) * _rgb1(under))


def css_colour(value: str) -> tuple[str, float]:
    """A CSS colour value (``#rgb``, ``#rrggbb``, ``rgb()`` or ``rgba()``) as ``(#rrggbb, alpha)``.

    Parameters
    ----------
    value : str
        The value as written in the stylesheet.

    Returns
    -------
    tuple of (str, float)
    """
    m = _RGBA.search(value)
    if m is not None:
        rgb = np.array([int(m.group(i)) / 255 for i in (1, 2, 3)], dtype=np.float64)
        return _hex(rgb), float(m.group(4)) if m.group(4) is not None else 1.0
    found = _HEX.search(value)
    if found is None:
        raise ValueError(f"no colour in {value!r}")
    return _hex(_rgb1(found.group(0))), 1.0


def simulate(colours: Sequence[str], vision: str) -> NDArray[np.float64]:
    """The colours as a reader with ``vision`` sees them, as sRGB in [0, 1] (one row per colour).

    Parameters
    ----------
    colours : sequence of str
        ``#rrggbb`` colours, as displayed.
    vision : str
        ``normal`` or one of :data:`CVD_TYPES` (simulated at severity 100, Machado et al. 2009).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(colours), 3)``, clipped to the displayable range.
    """
    rgb = np.array([_rgb1(c) for c in colours], dtype=np.float64).reshape(-1, 3)
    if vision == "normal":
        return rgb
    if vision not in CVD_TYPES:
        raise ValueError(f"unknown vision {vision!r}: expected one of {VISIONS}")
    cvd = {"name": "sRGB1+CVD", "cvd_type": vision, "severity": 100}
    return np.clip(np.asarray(colorspacious.cspace_convert(rgb, cvd, "sRGB1"), dtype=np.float64), 0.0, 1.0)


@dataclass(frozen=True)
class Separation:
    """The closest two colours of a palette for one kind of vision, and how far apart they are (ΔE')."""

    vision: str
    delta_e: float
    pair: tuple[str, str]


def min_separation(palette: Mapping[str, str], vision: str = "normal") -> Separation:
    """The least CAM02-UCS distance between two colours of ``palette`` as seen with ``vision``.

    Parameters
    ----------
    palette : mapping of str to str
        Name -> ``#rrggbb`` colour as displayed (already blended over what shows through); at least two.
    vision : str
        ``normal`` or one of :data:`CVD_TYPES`.

    Returns
    -------
    Separation
        The distance and the names of the closest pair, so a failure says which two states to change.
    """
    names = list(palette)
    if len(names) < 2:
        raise ValueError("a palette needs two colours to compare")
    seen = simulate([palette[n] for n in names], vision)
    i, j = np.triu_indices(len(names), k=1)
    dist = np.asarray(colorspacious.deltaE(seen[i], seen[j], input_space="sRGB1"), dtype=np.float64)
    k = int(np.argmin(dist))
    return Separation(vision, float(dist[k]), (names[int(i[k])], names[int(j[k])]))


def separations(palette: Mapping[str, str]) -> list[Separation]:
    """:func:`min_separation` for every entry of :data:`VISIONS`, in that order.

    Parameters
    ----------
    palette : mapping of str to str
        Name -> ``#rrggbb`` colour as displayed.

    Returns
    -------
    list of Separation
    """
    return [min_separation(palette, vision) for vision in VISIONS]


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour, 0 (black) to 1 (white).

    Parameters
    ----------
    colour : str
        ``#rgb`` or ``#rrggbb``.

    Returns
    -------
    float
    """
    c = _rgb1(colour)
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2])


def contrast_ratio(text: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two opaque colours, 1 to 21 (symmetric).

    Parameters
    ----------
    text, background : str
        ``#rgb`` or ``#rrggbb`` colours.

    Returns
    -------
    float
        ``(L1 + 0.05) / (L2 + 0.05)``, ``L1`` the lighter luminance.
    """
    hi, lo = sorted((relative_luminance(text), relative_luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _static(name: str) -> str:
    """The text of ``geo/output/static/NAME`` (read directly: the page module loads folium)."""
    return (resources.files("geo.output") / "static" / name).read_text(encoding="utf-8")


def css_value(selector: str, prop: str, css: str | None = None) -> str:
    """The value of ``prop`` in the first rule of the map's stylesheet whose selector list holds ``selector``.

    Parameters
    ----------
    selector : str
        One selector, written as in the stylesheet.
    prop : str
        The property.
    css : str, optional
        Stylesheet text (default: ``static/landplan.css``).

    Returns
    -------
    str
    """
    text = re.sub(r"/\*.*?\*/", "", _static("landplan.css") if css is None else css, flags=re.DOTALL)
    for rule in re.finditer(r"([^{}]+)\{([^{}]*)\}", text):
        if selector not in (s.strip() for s in rule.group(1).split(",")):
            continue
        for decl in rule.group(2).split(";"):
            name, _, value = decl.partition(":")
            if name.strip() == prop:
                return value.strip()
    raise LookupError(f"no {prop!r} for {selector!r} in the stylesheet")


def zone_fill_opacity(js: str | None = None) -> float:
    """The opacity at which the phase map fills a zone, as landplan.js sets it.

    The option the map makes its zone layer with, else the default of ``L.LandplanZoneLayer``: read from the
    script, so a change of opacity there is a change the palette check sees.

    Parameters
    ----------
    js : str, optional
        Script text (default: ``static/landplan.js``).

    Returns
    -------
    float
    """
    text = _static("landplan.js") if js is None else js
    for options in (_ZONE_OPTIONS.search(text), _ZONE_DEFAULT.search(text)):
        found = _FILL_OPACITY.search(options.group(1)) if options is not None else None
        if found is not None:
            return float(found.group(1))
    raise LookupError("no fillOpacity for the zone layer in the script")


def map_palettes() -> dict[str, dict[str, str]]:
    """The map's categorical palettes, each as displayed: name -> state -> ``#rrggbb``.

    Zone fills (``security``, ``movement``) are blended over the land at the zone layer's opacity; any state of
    a ladder takes a colour from these, so every pair is checked.  Crossing markers are opaque, and a closed
    crossing (white) is one more state of the same marker.

    Returns
    -------
    dict
    """
    land, alpha = LAYER_COLORS["land"], zone_fill_opacity()
    security = dict(NAMED_COLORS["security"])
    security |= {f"state {i}": c for i, c in enumerate(STATE_COLORS) if c not in security.values()}
    movement = {f"level {i}": c for i, c in enumerate(LEVEL_COLORS)}
    crossings = {**REGIME_COLORS, "closed": LAYER_COLORS["crossing_closed"]}
    return {
        "security": {k: blend(c, land, alpha) for k, c in security.items()},
        "movement": {k: blend(c, land, alpha) for k, c in movement.items()},
        "crossings": crossings,
    }


class TextPair(NamedTuple):
    """A text colour, the opaque background it is read on, and the least contrast WCAG AA asks of it."""

    label: str
    text: str
    background: str
    minimum: float


def _over(selector: str, under: str) -> str:
    """The background of ``selector`` composited over ``under``."""
    colour, alpha = css_colour(css_value(selector, "background"))
    return blend(colour, under, alpha)


def map_text_pairs() -> list[TextPair]:
    """The map's text colours on their backgrounds, as the stylesheet sets them.

    The panel and the footer are translucent white over the map: they are taken over black, the darkest the
    map can be beneath them, so a pair that passes does so wherever the panel sits.  Place names are taken on
    the land (the sea's names on the sea) without their white halo, which only softens the glyphs' edges.
    Text that sets no colour inherits the page's black.

    Returns
    -------
    list of TextPair
    """
    panel = _over(".lp-map .leaflet-top.leaflet-right", "#000000")
    footer = _over(".lp-map .leaflet-bottom .lp-footer", "#000000")
    land, sea = LAYER_COLORS["land"], LAYER_COLORS["sea"]

    def colour(selector: str) -> str:
        return css_colour(css_value(selector, "color"))[0]

    place = ".lp-place-{} .lp-place-name"
    return [
        TextPair("panel text", "#000000", panel, AA_TEXT),
        TextPair("panel: metric name", colour(".lp-metrics th"), panel, AA_TEXT),
        TextPair("panel: changed metric", colour(".lp-metrics tr.lp-changed th"), panel, AA_TEXT),
        TextPair("panel: changed mark (non-text)", colour(".lp-metrics td.lp-mark"), panel, AA_NON_TEXT),
        TextPair("panel: fact name", colour(".lp-facts th"), panel, AA_TEXT),
        TextPair("footer text", "#000000", footer, AA_TEXT),
        TextPair("place name on land", colour(".lp-place .lp-place-name"), land, AA_TEXT),
        TextPair("state name on land", colour(place.format("state")), land, AA_TEXT),
        TextPair("country name on land", colour(place.format("country")), land, AA_TEXT),
        TextPair("sea name on sea", colour(place.format("sea")), sea, AA_TEXT),
    ]
