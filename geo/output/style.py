"""What every output draws with: palettes, and the attribution owed for the shipped layers.

The map, the atlas and the exports read their colours and attribution here, so no output module has to
import another (and exporting never loads folium).  Palettes follow the plan's ladders: a plan may name
any number of security states or movement levels, and each gets a distinct colour.
"""

from __future__ import annotations

import colorsys

__all__ = ["ATTRIBUTION", "LEVEL_COLORS", "STATE_COLORS", "level_colors", "state_colors"]

#: Attribution owed for the shipped layers (see layers/SOURCES.md).
ATTRIBUTION = (
    "Sources: UN OCHA oPt / HDX cod-ab-pse (CC BY 3.0 IGO); Natural Earth (public domain); "
    "Israel CBS, Localities file 2021; Peace Now, Settlement Watch 2017; PCBS population projections 2016."
)
#: Fill of each security state, in ladder order (red: Israeli military, amber: international, green: Palestinian).
STATE_COLORS = ("#d7301f", "#fdae61", "#1a9850", "#2b8cbe", "#756bb1")
#: Fill of each movement level, in ladder order.
LEVEL_COLORS = ("#5e3c99", "#b2abd2", "#f7f7f7", "#fdb863", "#e66101", "#7f3b08")

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
