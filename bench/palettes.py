"""Palette benchmark: how far apart the map's categorical colours are, and how well its text contrasts.

For each palette (zone fills blended over the land at the zone layer's opacity; crossing markers opaque) and each
vision (normal, then simulated protan, deutan and tritan dichromacy), the least CAM02-UCS ΔE' between two of its
colours and the pair that sets it; then the WCAG 2.x contrast ratio of each text colour on its background.

    .venv/bin/python bench/palettes.py

Prints two Markdown tables; a row below its bar is marked ``FAIL``.  Needs ``colorspacious`` (test extras).
"""

from __future__ import annotations

from geo.output import palette_check as pc


def separation_table() -> list[str]:
    """The palettes' table, one row per palette and vision."""
    rows = [
        f"Palettes: least ΔE' (CAM02-UCS) between two states, bar {pc.MIN_DELTA_E:g}; "
        f"zone fills at {pc.zone_fill_opacity():g} over the land",
        "",
        "| palette | vision | min ΔE' | closest pair | |",
        "|---|---|---:|---|---|",
    ]
    for name, palette in pc.map_palettes().items():
        for sep in pc.separations(palette):
            verdict = "ok" if sep.delta_e >= pc.MIN_DELTA_E else "FAIL"
            rows.append(f"| {name} | {sep.vision} | {sep.delta_e:.1f} | {' / '.join(sep.pair)} | {verdict} |")
    return rows


def contrast_table() -> list[str]:
    """The text table, one row per text colour on its background."""
    rows = [
        "Text: WCAG 2.x contrast (AA: 4.5 for text, 3 for a meaningful mark)",
        "",
        "| text | colour | on | ratio | AA | |",
        "|---|---|---|---:|---:|---|",
    ]
    for p in pc.map_text_pairs():
        ratio = pc.contrast_ratio(p.text, p.background)
        verdict = "ok" if ratio >= p.minimum else "FAIL"
        rows.append(f"| {p.label} | {p.text} | {p.background} | {ratio:.2f} | {p.minimum:g} | {verdict} |")
    return rows


def main() -> None:
    """Print both tables."""
    print("\n".join([*separation_table(), "", *contrast_table()]))


if __name__ == "__main__":
    main()
