"""The map's colours stay apart for readers with a colour-vision deficiency, and its text meets WCAG AA.

Palettes are judged as displayed (zone fills blended over the land at the zone layer's opacity) under normal
vision and simulated protan, deutan and tritan dichromacy; the bar is :data:`palette_check.MIN_DELTA_E`.
"""

import pytest

from geo.output import palette_check as pc
from geo.output import style

# The security palette the map shipped before this check: its Israeli-police blue and shared purple are one
# colour to a deuteranope.  Kept as a witness that the check below can fail on a real palette.
OLD_SECURITY = {
    "idf": "#d7301f",
    "israel_police": "#2b8cbe",
    "international": "#fdae61",
    "palestinian": "#1a9850",
    "shared": "#756bb1",
}

# Pairs that fail today; each needs a change in landplan.css (strict xfail: once fixed, remove the entry).
KNOWN_FAILING: dict[str, str] = {}  # label -> the fix, for a pair that fails today (an expected failure)


def _seen(palette):
    land, alpha = style.LAYER_COLORS["land"], pc.zone_fill_opacity()
    return {k: pc.blend(c, land, alpha) for k, c in palette.items()}


@pytest.mark.parametrize("vision", pc.VISIONS)
@pytest.mark.parametrize("name", ["security", "movement", "crossings"])
def test_every_palette_keeps_its_states_apart(name, vision):
    sep = pc.min_separation(pc.map_palettes()[name], vision)
    assert sep.delta_e >= pc.MIN_DELTA_E, f"{name}, {vision}: {sep.pair} only {sep.delta_e:.1f} apart"


def test_the_palettes_cover_every_colour_a_state_can_take():
    palettes = pc.map_palettes()
    assert len(palettes["security"]) == len(set(style.STATE_COLORS) | set(style.NAMED_COLORS["security"].values()))
    assert len(palettes["movement"]) == len(style.LEVEL_COLORS)
    assert set(palettes["crossings"]) == {*style.REGIME_COLORS, "closed"}


def test_a_red_and_a_green_of_one_lightness_fail_for_a_deuteranope():
    red_green = {"red": "#d62728", "green": "#2ca02c"}  # a common categorical red and green
    assert pc.min_separation(red_green).delta_e > 50
    assert pc.min_separation(red_green, "deuteranomaly").delta_e < pc.MIN_DELTA_E


def test_the_old_security_palette_fails_the_check():
    sep = pc.min_separation(_seen(OLD_SECURITY), "deuteranomaly")
    assert sep.delta_e < pc.MIN_DELTA_E / 2
    assert sep.pair == ("israel_police", "shared")
    assert pc.min_separation(_seen(OLD_SECURITY)).delta_e >= pc.MIN_DELTA_E  # fine to normal vision


def test_blending_washes_colours_out():
    """What shows through a zone brings its fills closer: the check must measure them blended."""
    bold = {"blue": "#2166ac", "purple": "#762a83"}
    assert pc.min_separation(_seen(bold)).delta_e < pc.min_separation(bold).delta_e


def test_separation_is_a_distance():
    assert pc.min_separation({"a": "#123456", "b": "#123456"}).delta_e == 0
    assert pc.min_separation({"a": "#000000", "b": "#ffffff"}).delta_e == pytest.approx(100, abs=0.5)
    sep = pc.min_separation({"a": "#000000", "b": "#ffffff", "c": "#fefefe"})
    assert sep.pair == ("b", "c")
    with pytest.raises(ValueError, match="two colours"):
        pc.min_separation({"a": "#000000"})


def test_simulation():
    assert pc.simulate(["#336699"], "normal")[0].tolist() == pytest.approx([0.2, 0.4, 0.6])
    seen = pc.simulate(["#ff0000", "#00ff00", "#0000ff"], "protanomaly")
    assert seen.shape == (3, 3) and seen.min() >= 0 and seen.max() <= 1
    with pytest.raises(ValueError, match="unknown vision"):
        pc.simulate(["#000000"], "achromatopsia")


def test_wcag_contrast_ratio():
    assert pc.relative_luminance("#ffffff") == pytest.approx(1)
    assert pc.relative_luminance("#000") == 0
    assert pc.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert pc.contrast_ratio("#ffffff", "#000000") == pytest.approx(21)
    assert pc.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert pc.contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    assert pc.contrast_ratio("#abcdef", "#abcdef") == 1


def test_blend_and_css_colours():
    assert pc.blend("#000000", "#ffffff", 0.5) == "#808080"
    assert pc.blend("#123456", "#ffffff", 1.0) == "#123456"
    assert pc.blend("#123456", "#efece4", 0.0) == "#efece4"
    assert pc.css_colour("rgba(255, 255, 255, 0.95)") == ("#ffffff", 0.95)
    assert pc.css_colour("rgb(0,0,0)") == ("#000000", 1.0)
    assert pc.css_colour("#777") == ("#777777", 1.0)
    assert pc.css_colour("#b35806") == ("#b35806", 1.0)
    with pytest.raises(ValueError, match="no colour"):
        pc.css_colour("inherit")


def test_what_the_map_draws_is_read_from_its_style_and_script():
    css = "/* a { color: #fff } */ .x, .y .z { color: #123; }\n@media (max-width: 1px) { .w { color: #abc; } }"
    assert pc.css_value(".y .z", "color", css) == "#123"
    assert pc.css_value(".w", "color", css) == "#abc"
    with pytest.raises(LookupError):
        pc.css_value("a", "color", css)
    js = "L.LandplanZoneLayer = L.Layer.extend({\n options: {\n  pane: 'x', /* a */\n  fillOpacity: 0.5,\n }"
    assert pc.zone_fill_opacity(js) == 0.5
    made = "layers.zones = L.landplanZoneLayer(zoneFeats, {\n fill: C.zone_unset, fillOpacity: 0.6\n });"
    assert pc.zone_fill_opacity(js + made) == 0.6
    with pytest.raises(LookupError):
        pc.zone_fill_opacity("L.LandplanZoneLayer = L.Layer.extend({ options: { pane: 'x' } })")
    assert 0 < pc.zone_fill_opacity() <= 1


def _pair(p):
    marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILING[p.label])] if p.label in KNOWN_FAILING else []
    return pytest.param(p, id=p.label, marks=marks)


@pytest.mark.parametrize("pair", [_pair(p) for p in pc.map_text_pairs()])
def test_text_meets_wcag_aa(pair):
    ratio = pc.contrast_ratio(pair.text, pair.background)
    assert ratio >= pair.minimum, f"{pair.label}: {pair.text} on {pair.background} is {ratio:.2f}:1"
