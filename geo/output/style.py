"""What every output draws with: palettes, labels, and the attribution owed for the shipped layers.

The map, the atlas and the exports read their colours, labels and attribution here, so no output module has to
import another (and exporting never loads folium), and the map's script holds no colour of its own: the phase map
sends everything below in its payload.  Palettes follow the plan's ladders: a plan may name any number of security
states or movement levels (or tracks), and each gets a distinct colour; a state known by name (``idf``,
``israel_police``, ``international``, ``palestinian``, ``shared``) keeps its own colour wherever the ladder puts it.
"""

from __future__ import annotations

import colorsys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..i18n import translate

if TYPE_CHECKING:
    from ..border import BorderResult

__all__ = [
    "ATTRIBUTION",
    "BORDER_COLORS",
    "BORDER_DISPLAY_TOLERANCE_M",
    "LAYER_COLORS",
    "LEVEL_COLORS",
    "LINK_STYLES",
    "MAP_LAYERS",
    "MAP_LEGEND",
    "NAMED_COLORS",
    "REGIME_COLORS",
    "STATE_COLORS",
    "TRACK_COLORS",
    "border_headline",
    "border_headline_parts",
    "border_legend",
    "ladder_colors",
    "level_colors",
    "map_legend",
    "state_colors",
    "track_colors",
]

#: Attribution owed for the shipped layers (see layers/SOURCES.md).
ATTRIBUTION = (
    "Sources: UN OCHA oPt / HDX cod-ab-pse, Palestinian communities, barrier 2018, firing zones (CC BY 3.0 IGO); "
    "Peace Now settlement built-up areas via UN OCHA oPt; Natural Earth (public domain); PCBS Census 2017; "
    "Israel CBS, Localities file 2021; Peace Now, Settlement Watch 2017."
)
#: Fill of each security state, in ladder order, for ladders whose states have no colour of their own
#: (:data:`NAMED_COLORS`).
STATE_COLORS = ("#d7301f", "#fdb863", "#009e73", "#92c5de", "#756bb1")
#: Fill of each movement level, in ladder order.
LEVEL_COLORS = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101", "#7f3b08")
#: The base palette of each track that colours zones; a track not named here gets distinct generated hues.
TRACK_COLORS: Mapping[str, tuple[str, ...]] = {"security": STATE_COLORS, "movement": LEVEL_COLORS}
#: Colours of the states known by name, whatever their place in a plan's ladder: a plan that adds a state before
#: ``international`` (``israel_police``) must not shift every colour after it (red: Israeli military, blue: Israeli
#: police, amber: international, green: Palestinian, purple: shared).
NAMED_COLORS: Mapping[str, dict[str, str]] = {
    "security": {
        "idf": "#d7301f",
        "israel_police": "#92c5de",
        "international": "#fdb863",
        "palestinian": "#009e73",
        "shared": "#756bb1",
    },
}
#: Fill of an open crossing under each management regime (a closed crossing is ``crossing_closed``).
REGIME_COLORS: Mapping[str, str] = {
    "israeli": "#2166ac",
    "international": "#fdb863",
    "joint": "#882255",
    "palestinian": "#009e73",
}

#: Colours of the layers that do not change with the plan (any CSS colour), by role.
LAYER_COLORS: Mapping[str, str] = {
    "sea": "#c6dbef",
    "land": "#efece4",
    "land_edge": "#b5b0a5",
    "territory": "#444444",
    "zone_edge": "rgba(60,60,60,0.8)",
    "zone_unset": "#cccccc",
    "line": "#00441b",
    "no_mans_land": "#999999",
    "no_mans_land_edge": "#555555",
    "jerusalem": "#7f0000",
    "settlement": "#88419d",
    "settlement_edge": "#4d004b",
    "crossing": "#08306b",
    "crossing_closed": "#ffffff",
    "crossing_over": "#e31a1c",
    "region": "#8c510a",
    "firing_zone": "#cb181d",
    "seam_zone": "#f16913",
    "settlement_area": "#88419d",
    "barrier": "#252525",
    "barrier_removed": "#bdbdbd",
    "barrier_gate": "#fee391",
    "seam_reconnected": "#74c476",
    "link": "#08519c",
    "link_closed": "#969696",
    "link_convoys": "#6baed6",
    "link_people": "#08519c",
    "link_goods": "#00441b",
    "holy_site": "#b8860b",
    "clinton_il": "#2166ac",
    "clinton_ps": "#1b7837",
    "locality": "#1b7837",
    "locality_edge": "#00441b",
    "early_warning": "#6a51a3",
    "residual": "#67001f",
    "station": "#3f007d",
    "obstacle": "#bdbdbd",
    "obstacle_edge": "#636363",
    "cursor": "#000000",
}

#: A border scenario's colours, on its own map, the phase map and the atlas alike: Palestine as the Palestinian state
#: is drawn, annexed land as the Israeli side of the Clinton rule, swapped land a lighter green (it joins Palestine).
BORDER_COLORS: Mapping[str, str] = {
    "palestine": NAMED_COLORS["security"]["palestinian"],
    "annexed": LAYER_COLORS["clinton_il"],
    "swapped": "#a6d96a",
    "swapped_edge": "#009e73",
    "settlement_annexed": LAYER_COLORS["settlement"],
    "settlement_staying": "#bdbdbd",
}
#: Simplification of a border's polygons on a web page, in metres (display only: every figure shown is computed
#: on the full geometry).
BORDER_DISPLAY_TOLERANCE_M = 10.0

#: How the map draws a Gaza - West Bank link in each of its states: colour role, dash pattern (None: solid), width.
LINK_STYLES: Mapping[str, tuple[str, str | None, float]] = {
    "closed": ("link_closed", "2 6", 2.0),
    "escorted_convoys": ("link_convoys", "12 6", 3.0),
    "open_to_people": ("link_people", None, 4.0),
    "open_to_goods": ("link_goods", None, 6.0),
}

#: The map's layers, in drawing order: key in the payload, label in the layer control, shown at start.
MAP_LAYERS: tuple[tuple[str, str, bool], ...] = (
    ("basemap", "Basemap (Natural Earth)", True),
    ("territories", "Territories", True),
    ("zones", "Planning zones", True),
    ("regions", "Planning regions (Jordan Valley)", True),
    ("firing_zones", "Firing zones", False),
    ("seam_zone", "Seam zone (barrier to 1967 line)", False),
    ("settlement_areas", "Settlement built-up areas", True),
    ("line", "1967 line and no-man's land", True),
    ("barrier", "Barrier route and gates", True),
    ("links", "Gaza - West Bank link (schematic)", True),
    ("jerusalem", "Jerusalem arrangements", True),
    ("localities", "Palestinian localities", False),
    ("settlements", "Settlements", True),
    ("crossings", "Crossings", True),
    ("presence", "Residual presence and early-warning stations", True),
    ("early_warning", "Early-warning sites (schematic)", False),
    ("obstacles", "OCHA obstacles 2025", False),
    ("places", "Place names", True),
)

#: The map legend's entries for each layer that does not change with the plan: (colour role, text).
MAP_LEGEND: Mapping[str, tuple[tuple[str, str], ...]] = {
    "territories": (("territory", "territory outline (West Bank, Gaza Strip)"),),
    "regions": (("region", "planning region (Jordan Valley)"),),
    "firing_zones": (("firing_zone", "firing zone (closed military area)"),),
    "seam_zone": (
        ("seam_zone", "seam zone: West Bank land behind the barrier"),
        ("seam_reconnected", "seam zone reconnected (its barrier removed)"),
    ),
    "settlement_areas": (("settlement_area", "settlement built-up area (2021)"),),
    "line": (("line", "1967 line"), ("no_mans_land", "no-man's land")),
    "barrier": (
        ("barrier", "barrier standing (dashed: under construction or projected)"),
        ("barrier_removed", "barrier removed by this month (dotted)"),
        ("barrier_gate", "barrier gate"),
    ),
    "links": (
        ("link", "Gaza - West Bank link not in the plan (schematic)"),
        ("link_closed", "link closed"),
        ("link_convoys", "link: escorted convoys"),
        ("link_people", "link open to people"),
        ("link_goods", "link open to people and goods"),
    ),
    "jerusalem": (
        ("jerusalem", "Jerusalem (dashed: schematic)"),
        ("holy_site", "holy site"),
        ("clinton_il", "neighbourhood: Israeli (Clinton rule)"),
        ("clinton_ps", "neighbourhood: Palestinian (Clinton rule)"),
    ),
    "localities": (("locality", "Palestinian locality (area ~ population)"),),
    "settlements": (("settlement", "settlement (area ~ population)"),),
    "crossings": (
        ("crossing_closed", "crossing closed this month"),
        ("regime_israeli", "crossing open: Israeli"),
        ("regime_international", "crossing open: international"),
        ("regime_joint", "crossing open: joint (with a third party, if any)"),
        ("regime_palestinian", "crossing open: Palestinian"),
        ("crossing_over", "ring: demand above capacity this month"),
    ),
    "presence": (
        ("residual", "zone under a residual Israeli presence this month (hatched)"),
        ("station", "early-warning station standing this month"),
    ),
    "early_warning": (("early_warning", "early-warning site (schematic)"),),
    "obstacles": (("obstacle", "OCHA obstacle (hidden once removed)"),),
}

_GOLDEN = 0.618033988749895


def _extend(base: tuple[str, ...], n: int) -> list[str]:
    """``n`` colours: the base palette first, then distinct hues spaced by the golden angle."""
    out = list(base[:n])
    k = 0
    while len(out) < n:
        hue = (0.11 + k * _GOLDEN) % 1.0
        r, g, b = colorsys.hls_to_rgb(hue, 0.5 if k % 2 == 0 else 0.38, 0.55)
        colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
        if colour not in out:
            out.append(colour)
        k += 1
    return out


def state_colors(n: int) -> list[str]:
    """Fill colours for a security ladder of ``n`` states (any ``n`` >= 0), in ladder order.

    Parameters
    ----------
    n : int
        Number of states in the plan's security ladder.

    Returns
    -------
    list of str
        ``n`` distinct ``#rrggbb`` colours; the first five are :data:`STATE_COLORS`.
    """
    return _extend(STATE_COLORS, n)


def level_colors(n: int) -> list[str]:
    """Fill colours for a movement ladder of ``n`` levels (any ``n`` >= 0), in ladder order.

    Parameters
    ----------
    n : int
        Number of levels in the plan's movement ladder.

    Returns
    -------
    list of str
        ``n`` distinct ``#rrggbb`` colours; the first six are :data:`LEVEL_COLORS`.
    """
    return _extend(LEVEL_COLORS, n)


def track_colors(track: str, n: int) -> list[str]:
    """Fill colours for the ``n`` states of ``track``, in ladder order.

    One function for every track, so a track a plan adds later is coloured without a special case: it starts
    from generated hues instead of a hand-picked palette.

    Parameters
    ----------
    track : str
        The track's name (``security``, ``movement``, or any other).
    n : int
        Number of states in its ladder.

    Returns
    -------
    list of str
        ``n`` distinct ``#rrggbb`` colours; for ``security`` and ``movement`` the same as :func:`state_colors`
        and :func:`level_colors`.
    """
    return _extend(TRACK_COLORS.get(track, ()), n)


def ladder_colors(track: str, states: Sequence[str]) -> list[str]:
    """Fill colours for the states of ``track``, in ladder order: a state known by name keeps its own colour.

    A state of :data:`NAMED_COLORS` is drawn in its colour wherever it stands in the ladder; every other state
    takes the next colour of :func:`track_colors` not already in use, so a ladder of unknown names is coloured
    exactly as :func:`track_colors` colours it.

    Parameters
    ----------
    track : str
        The track's name.
    states : sequence of str
        Its ladder.

    Returns
    -------
    list of str
        One distinct ``#rrggbb`` colour per state.
    """
    named = NAMED_COLORS.get(track, {})
    fixed = {st: named[st] for st in states if st in named}
    spare = iter(c for c in _extend(TRACK_COLORS.get(track, ()), len(states) + len(fixed)) if c not in fixed.values())
    return [fixed[st] if st in fixed else next(spare) for st in states]


def map_legend() -> dict[str, list[list[str]]]:
    """The legend entries of the map's fixed layers as ``{layer: [[colour, text], ...]}``, in drawing order.

    Returns
    -------
    dict
        What the map's payload carries, so its script draws the legend without a colour or text of its own.
    """
    return {layer: [[_role(role), text] for role, text in entries] for layer, entries in MAP_LEGEND.items()}


def _role(role: str) -> str:
    """The colour of a legend role: a layer colour, or ``regime_NAME`` for an open crossing's regime."""
    if role.startswith("regime_"):
        return REGIME_COLORS[role.removeprefix("regime_")]
    return LAYER_COLORS[role]


def border_legend(name: str, lang: str = "en") -> list[tuple[str, str]]:
    """The legend entries of a plan's border, as ``(colour, text)``: its annexed land (named) and its swapped land.

    One wording for the phase map and the atlas, so both name the scenario the same way.

    Parameters
    ----------
    name : str
        The scenario's name (data: each output shows it through its own escape path).
    lang : str, optional
        The language (:data:`geo.i18n.LANGUAGES`).

    Returns
    -------
    list of (str, str)
    """
    return [
        (BORDER_COLORS["annexed"], translate(lang, "Annexed by {name}", name=name)),
        (BORDER_COLORS["swapped_edge"], translate(lang, "Swapped land joining Palestine")),
    ]


def _pct_of_west_bank(result: BorderResult) -> float | None:
    """The annexed share on the ``west_bank`` denominator, if the result has that row."""
    dens = result.denominators
    if "denominator" not in dens.columns or "annexed_pct" not in dens.columns:
        return None
    row = dens.loc[dens["denominator"] == "west_bank", "annexed_pct"]
    return float(row.iloc[0]) if len(row) else None


#: Every message a border's legend, tooltips and headline figures use (for the catalogue).
BORDER_MESSAGES: tuple[str, ...] = (
    "Border: {name}",
    "Annexed by {name}",
    "Swapped land joining Palestine",
    "annexed",
    "swapped",
    "settlers annexed",
    "{km2} km²",
    "{km2} km² ({pct} % of the West Bank)",
    "{n}",
    "{n} ({pct} % of West Bank settlers)",
)


def border_headline_parts(result: BorderResult) -> list[tuple[str, str, dict[str, str]]]:
    """A border's headline figures as ``(label, message, values)``: messages of the catalogue and their slot values.

    The phase map carries these and words them in the language shown; :func:`border_headline` words them here.

    Parameters
    ----------
    result : BorderResult
        The computed border (:func:`geo.border.compute`).

    Returns
    -------
    list of (str, str, dict)
    """
    fig: Mapping[str, Any] = result.figures
    rows: list[tuple[str, str, dict[str, str]]] = []
    if fig.get("annexed_km2") is not None:
        pct, km2 = _pct_of_west_bank(result), format(float(fig["annexed_km2"]), ",.2f")
        if pct is None:
            rows.append(("annexed", "{km2} km²", {"km2": km2}))
        else:
            rows.append(("annexed", "{km2} km² ({pct} % of the West Bank)", {"km2": km2, "pct": format(pct, ".2f")}))
    if fig.get("swapped_km2") is not None:
        rows.append(("swapped", "{km2} km²", {"km2": format(float(fig["swapped_km2"]), ",.2f")}))
    if fig.get("settlers_annexed") is not None:
        n, share = format(int(fig["settlers_annexed"]), ","), fig.get("settlers_annexed_pct")
        if share is None:
            rows.append(("settlers annexed", "{n}", {"n": n}))
        else:
            pct_text = format(float(share), ".1f")
            rows.append(("settlers annexed", "{n} ({pct} % of West Bank settlers)", {"n": n, "pct": pct_text}))
    return rows


def border_headline(result: BorderResult, lang: str = "en") -> list[tuple[str, str]]:
    """A border's headline figures as ``(label, text)`` lines, the same on the phase map and in the atlas.

    The area annexed (km² and % of the West Bank, on the ``west_bank`` denominator), the area swapped and the
    settlers in the annexed land (with their share of the West Bank's settlers); a figure the result lacks is
    left out rather than shown as zero.

    Parameters
    ----------
    result : BorderResult
        The computed border (:func:`geo.border.compute`).
    lang : str, optional
        The language (:data:`geo.i18n.LANGUAGES`).

    Returns
    -------
    list of (str, str)
    """
    return [
        (translate(lang, label), translate(lang, text, **values))
        for label, text, values in border_headline_parts(result)
    ]
