"""The phase map in headless Chromium: offline, correct, safe; driven through its public API and events only."""

import dataclasses
import datetime
import io
import json
import re
from pathlib import Path

import pytest
from test_render import PAYLOADS, SMALL_PLAN, full_plan, reference_map_file, small_inputs

from geo.output import compare_map, phase_map, style

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reference_map(tmp_path_factory):
    return reference_map_file(tmp_path_factory.mktemp("map"))


@pytest.fixture(scope="module")
def small_map(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    inp = small_inputs(folder / "plan")
    return phase_map.write_phase_map(inp, folder / "small.html"), inp


def _point(page, lat, lon):
    """Container pixel of a map position, through the app's public ``map``."""
    return page.evaluate(
        "([lat, lon]) => { const p = landplan.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }", [lat, lon]
    )


def _pixel(page, lat, lon):
    """RGBA of the zones canvas at a map position."""
    return page.evaluate(
        """([lat, lon]) => {
            const p = landplan.map.latLngToContainerPoint([lat, lon]);
            const c = landplan.zones.getCanvas(), d = c.width / c.clientWidth;
            return Array.from(c.getContext('2d').getImageData(Math.round(p.x * d), Math.round(p.y * d), 1, 1).data);
        }""",
        [lat, lon],
    )


def _inside(inp, zone):
    pt = inp.layers["zones"].set_index("zone_id").loc[zone].geometry.representative_point()
    return pt.y, pt.x


def _rgb(colour):
    return [int(colour[k : k + 2], 16) for k in (1, 3, 5)]


def test_loads_offline_without_errors_and_draws_every_zone(reference_map, open_map):
    path, inp = reference_map
    page, log = open_map(path)
    assert log.errors == []
    assert log.requests == []
    assert page.evaluate("landplan.zones.painted") == len(inp.problem.zones) == 57
    assert page.locator(".leaflet-control-layers-overlays label").count() == len(style.MAP_LAYERS) + 1  # + OSM tiles
    assert page.locator(".lp-footer").inner_text().startswith("A Land for All - reference plan")


#: Layers of issue 10's geography: payload key -> (shipped layer, features drawn from it).
GEOGRAPHY = {
    "regions": ("regions", None),
    "firing_zones": ("firing_zones", None),
    "seam_zone": ("seam_zone", None),
    "settlement_areas": ("settlement_areas", None),
    "barrier": ("barrier", None),  # route segments and gates
    "links": ("links", None),
    "localities": ("localities", "counted_with"),  # localities counted with another are not drawn
    "early_warning": ("early_warning_sites", None),
}


def _labels(page):
    """The place names the map shows (not faded out at this zoom)."""
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.lp-place'))"
        ".filter(e => getComputedStyle(e).opacity !== '0').map(e => e.textContent)"
    )


def test_places_are_named_and_show_by_rank_as_the_map_zooms(reference_map, open_map):
    page, log = open_map(reference_map[0])
    shown = _labels(page)
    for name in ("Palestine", "Jerusalem", "Gaza City", "Hebron", "Ramallah", "Tel Aviv-Yafo", "Jordan", "Dead Sea"):
        assert name in shown
    assert "Sderot" not in shown  # a third-rank city waits for a closer zoom
    page.evaluate("() => { landplan.map.setView([31.52, 34.6], 11, {animate: false}); }")
    assert "Sderot" in _labels(page)
    page.evaluate("() => { landplan.map.setView([31.4, 35.0], 7, {animate: false}); }")
    wide = _labels(page)
    assert "Israel" in wide and "Palestine" in wide and "Haifa" not in wide
    page.get_by_label("Place names", exact=True).uncheck()
    assert page.locator(".lp-place").count() == 0
    assert log.errors == []


#: Viewports a presenter's audience opens the map on.
SIZES = {"phone": (390, 844), "tablet": (820, 1180), "desktop": (1300, 900)}


def _box(page, selector):
    return page.evaluate(
        "(s) => { const r = document.querySelector(s).getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height]; }",
        selector,
    )


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_map_keeps_the_screen_and_the_phone_drawer_opens_and_closes(reference_map, open_map, size):
    w, h = SIZES[size]
    page, log = open_map(reference_map[0], size=(w, h))
    panel = ".lp-map .leaflet-top.leaflet-right"
    handle = page.locator(".lp-handle")
    layer_list = page.locator(".leaflet-control-layers-list")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-{size}.png"))
    if size != "phone":
        assert not handle.is_visible()
        assert layer_list.is_visible() and page.locator(".lp-title").is_visible()
        assert log.errors == [] and log.requests == []
        return
    _, top, width, height = _box(page, panel)
    assert handle.is_visible() and height <= 60 and top >= h - 60 and width >= w - 1  # closed: a strip at the bottom
    assert re.fullmatch(r"Jan 2027 \(month 0\) · [\d.]+ % under Palestinian security", handle.inner_text())
    assert not page.locator(".lp-title").is_visible()
    assert not layer_list.is_visible()  # the layer list is folded into a button
    layers_box = _box(page, ".leaflet-control-layers")
    assert layers_box[2] * layers_box[3] < 0.05 * w * h
    handle.tap()
    assert page.locator(".lp-title").is_visible() and handle.get_attribute("aria-expanded") == "true"
    assert h * 0.3 < _box(page, panel)[3] <= h * 0.56  # open: most of the map still shows above it
    page.screenshot(path=str(ARTIFACTS / "map-phone-drawer-open.png"))
    page.locator(".lp-slider").fill("24")  # the slider works in the drawer, and the handle follows the month
    assert "(month 24)" in handle.inner_text()
    handle.tap()
    assert not page.locator(".lp-title").is_visible()
    layers = page.get_by_role("button", name="Layers")
    layers.tap()
    assert layer_list.is_visible()
    layers.tap()
    assert not layer_list.is_visible()
    assert log.errors == [] and log.requests == []


@pytest.mark.parametrize("key", sorted(GEOGRAPHY))
def test_each_geography_layer_draws_its_features_and_its_legend(reference_map, open_map, key):
    path, inp = reference_map
    page, log = open_map(path)
    layer, skip = GEOGRAPHY[key]
    frame = inp.layers[layer]
    expected = int(frame[skip].isna().sum()) if skip else len(frame)
    label = next(name for k, name, _ in style.MAP_LAYERS if k == key)
    shown = next(show for k, _, show in style.MAP_LAYERS if k == key)
    box = page.get_by_label(label, exact=True)
    assert box.is_checked() == shown
    if not shown:
        assert page.evaluate(f"landplan.layers[{key!r}].getLayers().length") == 0  # built when first switched on
        box.check()
    assert page.evaluate(f"landplan.layers[{key!r}].getLayers().length") == expected
    legend = page.locator(".lp-legend").inner_text()
    for _, text in style.MAP_LEGEND[key]:
        assert text in legend
    box.uncheck()
    assert style.MAP_LEGEND[key][0][1] not in page.locator(".lp-legend").inner_text()
    assert log.errors == []


def test_jerusalem_neighbourhoods_are_coloured_by_the_clinton_rule(reference_map, open_map):
    path, inp = reference_map
    page, _ = open_map(path)
    jer = inp.layers["jerusalem"].reset_index(drop=True)
    colours = page.evaluate("() => landplan.layers.jerusalem.getLayers().map(l => l.options.fillColor || null)")
    assert len(colours) == len(jer)
    want = {"IL": style.LAYER_COLORS["clinton_il"], "PS": style.LAYER_COLORS["clinton_ps"]}
    for i, row in jer.iterrows():
        if row["kind"] == "neighbourhood":
            assert colours[i] == want[row["clinton_rule"]], row["feature_id"]
        if row["kind"] == "holy_site":
            assert colours[i] == style.LAYER_COLORS["holy_site"], row["feature_id"]


def test_slider_changes_a_zone_fill_and_the_panel_matches_the_metrics(reference_map, open_map):
    path, inp = reference_map
    page, _ = open_map(path)
    zone = "jenin-c"
    end = inp.schedule.end[f"{zone}/security/international"]
    page.evaluate(f"landplan.setMonth({end - 1})")
    before = _pixel(page, *_inside(inp, zone))
    page.locator(".lp-slider").fill(str(end))  # the user's way: move the slider
    after = _pixel(page, *_inside(inp, zone))
    assert before != after
    assert page.evaluate("landplan.month") == end
    row = inp.metrics.set_index("month").loc[end]
    assert page.locator('td[data-figure="crossings_open"]').inner_text() == f"{row['crossings_open']:,}"
    removed = page.locator('td[data-figure="obstacles_removed"]').inner_text()
    assert removed == f"{row['obstacles_removed']:,} of {row['obstacles_total']:,}"
    date = datetime.datetime.strptime(row["date"], "%Y-%m").strftime("%b %Y")
    assert page.locator(".lp-month").inner_text() == f"{date} (month {end})"


def test_clicking_a_zone_shows_its_timeline(reference_map, open_map):
    path, inp = reference_map
    page, _ = open_map(path)
    xy = _point(page, *_inside(inp, "hebron-a"))
    page.mouse.click(xy[0], xy[1])
    text = page.locator(".lp-zone").inner_text()
    assert text.startswith("Hebron A: timeline")
    # H1: Palestinian security under the Hebron Protocol
    assert "security: Palestinian security forces (at the start)" in text
    assert "security: international" not in text and "movement: free movement" in text
    assert "obstacles removed: checkpoint" in text


def test_injection_payloads_are_inert_and_shown_as_text(tmp_path, open_map):
    inp = small_inputs(tmp_path, name=PAYLOADS[1], zone_names=PAYLOADS)
    path = phase_map.write_phase_map(inp, tmp_path / "evil.html")
    page, log = open_map(path)
    page.wait_for_timeout(300)
    assert log.dialogs == []
    assert log.errors == []
    assert page.locator(".lp-title").inner_text() == PAYLOADS[1]
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    xy = _point(page, *_inside(inp, "jenin-a"))
    page.mouse.click(xy[0], xy[1])
    assert page.locator(".leaflet-popup .lp-facts-title").inner_text() == PAYLOADS[0]
    assert page.locator(".lp-zone").inner_text().startswith(PAYLOADS[0])
    page.evaluate("landplan.setMonth(30)")
    assert log.dialogs == []


def test_screenshot_is_not_blank(reference_map, open_map):
    from PIL import Image

    path, _ = reference_map
    page, _ = open_map(path)
    page.evaluate("landplan.setMonth(24)")
    png = page.screenshot()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "reference-month-24.png").write_bytes(png)
    img = Image.open(io.BytesIO(png)).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200
    # the zone colours of month 24 are on screen
    rgb = {c for _, c in colours}
    assert (253, 174, 97) in rgb or any(abs(r - 253) + abs(g - 174) + abs(b - 97) < 40 for r, g, b in rgb)


def test_legend_entries_hide_with_their_layer_and_play_advances(reference_map, open_map):
    path, _ = reference_map
    page, log = open_map(path)
    legend = page.locator(".lp-legend")
    entry = "settlement (area ~ population)"
    assert entry in legend.inner_text()
    page.get_by_label("Settlements", exact=True).uncheck()
    assert entry not in legend.inner_text()
    assert "settlement built-up area" in legend.inner_text()  # another layer's entry stays
    page.get_by_label("Settlements", exact=True).check()
    assert entry in legend.inner_text()
    page.get_by_role("radio", name="movement").check()
    assert "Zones by movement" in legend.inner_text() and "free movement" in legend.inner_text()
    page.locator(".lp-play").click()
    page.wait_for_function("landplan.month >= 2", timeout=5_000)
    page.locator(".lp-play").click()
    assert log.errors == [] and log.requests == []


def test_obstacles_appear_when_switched_on_and_disappear_once_removed(reference_map, open_map):
    path, inp = reference_map
    page, log = open_map(path)
    markers = "landplan.layers.obstacles.getLayers()"
    assert page.evaluate(f"{markers}.length") == 0  # built on first use
    page.get_by_label("OCHA obstacles 2025").check()
    assert page.evaluate(f"{markers}.length") == 811
    assert "OCHA obstacle" in page.locator(".lp-legend").inner_text()
    visible = f"{markers}.filter(m => m.options.opacity > 0).length"
    assert page.evaluate(visible) == 811
    page.evaluate(f"landplan.setMonth({inp.problem.horizon})")
    assert page.evaluate(visible) == 0
    assert log.errors == []


# -- the plugin's shape: controls in the map, an evented app with a public API --------------------------------------

CONTROLS = {
    "panel": ".lp-panel",
    "legend": ".lp-legend",
    "gantt": ".lp-gantt",
    "details": ".lp-metrics",
    "footer": ".lp-footer",
}


def test_the_panel_legend_gantt_and_footer_are_controls_inside_the_map(small_map, open_map):
    page, log = open_map(small_map[0])
    for name, selector in CONTROLS.items():
        where = page.evaluate(
            """([name, sel]) => {
                const e = document.querySelector(sel), c = landplan.controls[name];
                return [e.closest('.leaflet-container') === landplan.map.getContainer(),
                        e.closest('.leaflet-control') === c.getContainer(), c instanceof L.Control,
                        e.parentElement !== document.body];
            }""",
            [name, selector],
        )
        assert where == [True, True, True, True], name
    outside = "body > .lp-ctl, body > .lp-panel, body > .lp-legend, body > .lp-footer, body > .lp-zone"
    assert page.evaluate(f"document.querySelectorAll('{outside}').length") == 0
    # a control is removed and added back with Leaflet's own calls, and draws the app's state again
    page.get_by_role("radio", name="movement").check()
    page.evaluate("void landplan.controls.legend.remove()")
    assert page.locator(".lp-legend").count() == 0
    page.evaluate("void landplan.controls.legend.addTo(landplan.map)")
    assert "Zones by movement" in page.locator(".lp-legend").inner_text()
    assert log.errors == []


def _listen(page, event="monthchange"):
    page.evaluate(
        "(ev) => { window.seen = []; landplan.on(ev, e => seen.push([e.month, e.label, e.mode, e.index])); }", event
    )


def _seen(page):
    return page.evaluate("window.seen")


@pytest.mark.parametrize("way", ["api", "slider", "gantt", "clamped", "unchanged"])
def test_monthchange_fires_once_for_each_way_the_month_changes(small_map, open_map, way):
    path, inp = small_map
    months = json.loads(
        re.search(r'id="landplan-data">(.*?)</script>', path.read_text(encoding="utf-8"), re.S).group(1)
    )["months"]
    page, log = open_map(path)
    _listen(page)
    horizon = inp.problem.horizon
    if way == "api":
        page.evaluate("landplan.setMonth(9)")
        want = [9]
    elif way == "slider":
        page.locator(".lp-slider").fill("9")
        want = [9]
    elif way == "gantt":
        box = page.locator(".lp-gantt").bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2 + 1, box["y"] + 5)
        want = [page.evaluate("landplan.month")]
        assert abs(want[0] - (horizon + 1) / 2) <= 1
    elif way == "clamped":
        page.evaluate("landplan.setMonth(100000); landplan.setMonth(-4)")
        want = [horizon, 0]
    else:
        page.evaluate("landplan.setMonth(0); landplan.setMonth(0.4)")
        want = []
    assert [s[0] for s in _seen(page)] == want
    assert [s[1] for s in _seen(page)] == [months[m] for m in want]
    assert page.evaluate("landplan.month") == (want[-1] if want else 0)
    assert page.locator(".lp-slider").input_value() == str(want[-1] if want else 0)
    assert log.errors == []


def test_play_fires_monthchange_month_by_month(small_map, open_map):
    page, _ = open_map(small_map[0])
    _listen(page)
    page.locator(".lp-play").click()
    page.wait_for_function("landplan.month >= 3", timeout=5_000)
    page.locator(".lp-play").click()
    got = [s[0] for s in _seen(page)]
    assert got[:3] == [1, 2, 3] and got == list(range(1, len(got) + 1))


def test_modechange_and_zoneselect_are_events_too(small_map, open_map):
    path, inp = small_map
    page, log = open_map(path)
    _listen(page, "modechange")
    page.get_by_role("radio", name="movement").check()
    page.evaluate("landplan.setMode('movement'); landplan.setMode('no such track')")
    assert [s[2] for s in _seen(page)] == ["movement"]
    assert page.evaluate("landplan.mode") == "movement"
    _listen(page, "zoneselect")
    xy = _point(page, *_inside(inp, "jenin-c"))
    page.mouse.click(xy[0], xy[1])
    assert [s[3] for s in _seen(page)] == [inp.problem.zones.index("jenin-c")]
    assert page.evaluate("landplan.selected") == inp.problem.zones.index("jenin-c")
    assert log.errors == []


@pytest.mark.parametrize("variant", ["same-view", "twice", "month-changed-while-off"])
def test_zones_are_drawn_again_when_switched_back_on(small_map, open_map, variant):
    path, inp = small_map
    page, log = open_map(path)
    where = _inside(inp, "jenin-a")
    end = inp.schedule.end["jenin-a/security/international"]
    page.evaluate(f"landplan.setMonth({end})")
    shown = _pixel(page, *where)
    assert shown[3] > 0
    if variant == "month-changed-while-off":
        page.evaluate(f"landplan.setMonth({end - 1})")
    rounds = 2 if variant == "twice" else 1
    for _ in range(rounds):
        page.get_by_label("Planning zones").uncheck()
        if variant == "month-changed-while-off":
            page.evaluate(f"landplan.setMonth({end})")
        page.get_by_label("Planning zones").check()
    assert _pixel(page, *where) == shown
    assert page.evaluate("landplan.zones.painted") == len(inp.problem.zones)
    assert log.errors == []


def _permute(path: Path, order) -> Path:
    """The page at ``path`` with every layer's fields (and their values) in another order."""
    text = path.read_bytes().decode("utf-8")
    found = re.search(r'(<script type="application/json" id="landplan-data">)(.*?)(</script>)', text, re.S)
    data = json.loads(found.group(2))
    for spec in data.values():
        if isinstance(spec, dict) and "fields" in spec:
            idx = order(len(spec["fields"]))
            spec["fields"] = [spec["fields"][k] for k in idx]
            spec["props"] = [[row[k] for k in idx] for row in spec["props"]]
    out = path.with_name(f"permuted-{order.__name__}.html")
    new = text[: found.start(2)] + phase_map.payload_json(data) + text[found.end(2) :]
    out.write_bytes(new.encode("utf-8"))
    return out


def reverse(n):
    return list(range(n))[::-1]


def rotate(n):
    return [*range(1, n), 0]


@pytest.mark.parametrize("order", [reverse, rotate], ids=["reversed", "rotated"])
def test_facts_are_read_by_field_name(small_map, open_map, order):
    path, inp = small_map
    page, log = open_map(_permute(path, order))
    xy = _point(page, *_inside(inp, "jenin-c"))
    page.mouse.click(xy[0], xy[1])
    zone = inp.layers["zones"].set_index("zone_id").loc["jenin-c", "name"]
    assert page.locator(".leaflet-popup .lp-facts-title").inner_text() == zone
    assert page.locator(".lp-zone").inner_text().startswith(f"{zone}: timeline")
    for layer, k in (("crossings", 3), ("territories", 1), ("settlements", 5)):
        page.evaluate(f"landplan.map.closePopup(); void landplan.layers.{layer}.getLayers()[{k}].openTooltip()")
        title = page.locator(".leaflet-tooltip .lp-facts-title").last.inner_text()
        assert title == inp.layers[layer]["name"].iloc[k], layer
    assert log.errors == []


PALETTES = [
    {"security": ("#0000ff", "#00ff00", "#ff0000"), "crossing": "#123456", "crossing_closed": "#fedcba"},
    {"security": ("#804020", "#208040", "#402080"), "crossing": "#aa00aa", "crossing_closed": "#00aaaa"},
]
#: the states the palettes above colour, in the order of their colours
PAINTED = ("idf", "international", "palestinian")


@pytest.mark.parametrize("palette", PALETTES, ids=["primary", "earth"])
def test_the_page_draws_with_the_palette_of_its_payload(small_map, open_map, monkeypatch, tmp_path, palette):
    _, inp = small_map
    for state, colour in zip(PAINTED, palette["security"], strict=True):
        monkeypatch.setitem(style.NAMED_COLORS["security"], state, colour)
    monkeypatch.setitem(style.REGIME_COLORS, "israeli", palette["crossing"])  # allenby opens under Israel
    monkeypatch.setitem(style.LAYER_COLORS, "crossing_closed", palette["crossing_closed"])
    page, log = open_map(phase_map.write_phase_map(inp, tmp_path / "palette.html"))
    where = _inside(inp, "jenin-a")
    end = inp.schedule.end["jenin-a/security/international"]
    for month, colour in ((end - 1, palette["security"][0]), (end, palette["security"][1])):
        page.evaluate(f"landplan.setMonth({month})")
        px = _pixel(page, *where)
        assert all(abs(a - b) <= 2 for a, b in zip(px[:3], _rgb(colour), strict=True)), (month, px, colour)
    allenby = list(inp.layers["crossings"]["crossing_id"]).index("allenby")
    opens = inp.schedule.end["crossing/allenby"]
    fill = f"landplan.layers.crossings.getLayers()[{allenby}].options.fillColor"
    page.evaluate(f"landplan.setMonth({opens - 1})")
    assert page.evaluate(fill) == palette["crossing_closed"]
    page.evaluate(f"landplan.setMonth({opens})")
    assert page.evaluate(fill) == palette["crossing"]
    swatches = page.evaluate("Array.from(document.querySelectorAll('.lp-legend .lp-box'), b => b.style.background)")
    ladder = inp.problem.security_states
    wanted = style.ladder_colors("security", ladder)
    assert [wanted[ladder.index(st)] for st in PAINTED] == list(palette["security"])
    assert swatches[: len(ladder)] == [f"rgb({', '.join(map(str, _rgb(c)))})" for c in wanted]
    assert log.errors == []


# -- the comparison page ---------------------------------------------------------------------------------------------

COMPARE_READY = "window.landplanCompare && landplanCompare.ready !== null"
BOTH_MONTHS = "[0, 1].map(k => document.querySelectorAll('iframe')[k].contentWindow.landplan.month)"


def test_comparison_map_drives_both_plans_offline(tmp_path, open_map):
    a = small_inputs(tmp_path / "a", name="plan A")
    b = small_inputs(tmp_path / "b", name=PAYLOADS[0], zone_names=PAYLOADS)
    path = compare_map.write_comparison_map(a, b, tmp_path / "cmp.html")
    page, log = open_map(path, ready=COMPARE_READY)
    assert log.requests == [] and log.errors == [] and log.dialogs == []
    page.locator("#lp-month").fill("20")
    assert page.evaluate(BOTH_MONTHS) == [20, 20]
    assert page.locator(".lp-bar span").nth(1).inner_text() == PAYLOADS[0]
    frame_b = page.frame_locator("#lp-b")
    assert frame_b.locator(".lp-title").inner_text() == PAYLOADS[0]
    frame_b.locator(".lp-slider").fill("7")
    assert page.evaluate("landplanCompare.month") == 7
    assert page.evaluate(BOTH_MONTHS) == [7, 7]
    box = page.frame_locator("#lp-a").locator(".lp-gantt").bounding_box()
    page.frame_locator("#lp-a").locator(".lp-gantt").click(position={"x": box["width"] - 3, "y": 5})
    last = page.evaluate("landplanCompare.month")
    assert last > 7 and page.evaluate(BOTH_MONTHS) == [last, last]
    page.evaluate("document.getElementById('lp-b').contentWindow.landplan.setMonth(3)")  # a map's own API
    assert page.evaluate("landplanCompare.month") == 3 and page.evaluate(BOTH_MONTHS) == [3, 3]
    assert log.dialogs == [] and log.errors == []


def test_comparison_of_different_horizons_keeps_views_together(tmp_path, open_map):
    a = small_inputs(tmp_path / "a", name="long")
    b = small_inputs(tmp_path / "b", text=SMALL_PLAN.format(name="short") + "horizon: 64\n")
    assert b.problem.horizon == 64 < a.problem.horizon
    path = compare_map.write_comparison_map(a, b, tmp_path / "cmp.html")
    page, log = open_map(path, ready=COMPARE_READY)
    page.locator("#lp-month").fill(str(a.problem.horizon))
    assert page.evaluate("landplanCompare.month") == a.problem.horizon  # B stopping at its end does not pull A back
    assert page.evaluate(BOTH_MONTHS) == [a.problem.horizon, 64]
    for k, zoom in ((0, 10), (1, 9)):
        frame_map = f"document.querySelectorAll('iframe')[{k}].contentWindow.landplan.map"
        page.evaluate(f"void {frame_map}.setZoom({zoom}, {{animate: false}})")
        views = page.evaluate(
            "[0, 1].map(k => { const m = document.querySelectorAll('iframe')[k].contentWindow.landplan.map;"
            " const c = m.getCenter(); return [m.getZoom(), +c.lat.toFixed(5), +c.lng.toFixed(5)]; })"
        )
        assert views[0] == views[1] and views[0][0] == zoom
    assert log.errors == []


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

#: where the footer's plan name ends (its right edge) and where each character of the next pieces is drawn
FOOTER_LAYOUT = """(needles) => {
    const footer = document.querySelector('.lp-footer');
    const walker = document.createTreeWalker(footer, NodeFilter.SHOW_TEXT);
    const nodes = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
    function find(needle) {
        for (const node of nodes) {
            const i = node.data.indexOf(needle);
            if (i >= 0) return [node, i];
        }
        return null;
    }
    function box(needle, k) {
        const at = find(needle);
        if (!at) return null;
        const r = document.createRange();
        r.setStart(at[0], at[1] + k);
        r.setEnd(at[0], at[1] + k + 1);
        const b = r.getBoundingClientRect();
        return [b.left, b.top];
    }
    const name = document.createRange(), after = find(' \u00b7 ');
    name.setStart(nodes[0], 0);
    name.setEnd(after[0], after[1]);
    const right = Math.max(...Array.from(name.getClientRects(), (r) => r.right));
    return [right, needles.flatMap(([needle, chars]) => Array.from({length: chars}, (_, k) => box(needle, k)))];
}"""


@pytest.mark.parametrize(
    "name",
    [
        "\u202eevil name",  # override: reverses everything after it
        "evil \u202ename\u2066",
        "\u202bשם",  # embedding: the name would move to the end of the line
        "\u2067مدينة",  # isolates, unclosed
        "\u2068שם \u202c",
        "\u202d\u202aname",
    ],
)
def test_bidi_controls_in_names_cannot_reorder_the_footer(tmp_path, open_map, name):
    inp = small_inputs(tmp_path, zone_names=[name])
    inp = dataclasses.replace(inp, plan_name=name)
    page, log = open_map(phase_map.write_phase_map(inp, tmp_path / "bidi.html"))
    assert log.errors == []
    # drawn in reading order, on one line: "plan and layers", each character of the hash, "built", the date
    order = [("plan and layers", 1), (inp.digest, len(inp.digest)), ("built", 1), (inp.built, 1)]
    name_right, boxes = page.evaluate(FOOTER_LAYOUT, [list(o) for o in order])
    assert None not in boxes
    assert len({round(top) for _, top in boxes}) == 1
    lefts = [left for left, _ in boxes]
    assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)
    assert name_right <= lefts[0]  # the name stays before the rest
    footer = page.locator(".lp-footer").text_content()
    assert not set(footer) & set(BIDI_CONTROLS)
    stripped = "".join(c for c in name if c not in BIDI_CONTROLS)
    assert footer.startswith(stripped + " \u00b7 plan and layers " + inp.digest)
    style_of = "(sel) => { const e = document.querySelector(sel); return [e.dir, getComputedStyle(e).unicodeBidi]; }"
    assert page.evaluate(style_of, ".lp-footer .lp-hash") == ["ltr", "isolate"]
    assert page.evaluate(style_of, ".lp-footer .lp-plan") == ["auto", "isolate"]
    assert page.evaluate(style_of, ".lp-title") == ["auto", "isolate"]
    assert page.locator(".lp-title").text_content() == stripped


# -- the confederation's entities (issue 11) -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_map(tmp_path_factory):
    """The plan of every section (its sited station named like markup), drawn."""
    folder = tmp_path_factory.mktemp("full")
    inp = small_inputs(folder / "plan", text=full_plan(station=PAYLOADS[0], source=PAYLOADS[1]))
    return phase_map.write_phase_map(inp, folder / "full.html"), inp


def _style(page, expr):
    return page.evaluate(f"(o => [o.color, o.dashArray || null, o.weight])({expr}.options)")


def test_the_slider_moves_links_crossings_the_barrier_and_the_presence(full_map, open_map):
    path, inp = full_map
    page, log = open_map(path)
    colours, tl, slider = style.LAYER_COLORS, inp.timeline, page.locator(".lp-slider")
    # Area A starts under Palestinian security
    shown = _pixel(page, *_inside(inp, "jenin-a"))[:3]
    assert all(abs(a - b) <= 2 for a, b in zip(shown, _rgb(style.NAMED_COLORS["security"]["palestinian"]), strict=True))
    # the link: closed, then escorted convoys, then open to people, each drawn its own way
    south = list(inp.layers["links"]["link_id"]).index("safe-passage-south")
    link = f"landplan.layers.links.getLayers()[{south}]"
    convoys = tl.month_reached("safe-passage-south", "link", "escorted_convoys")
    people = tl.month_reached("safe-passage-south", "link", "open_to_people")
    seen = []
    for month in (convoys - 1, convoys, people):
        slider.fill(str(month))
        seen.append(_style(page, link))
    assert seen == [
        [colours["link_closed"], "2 6", 2],
        [colours["link_convoys"], "12 6", 3],
        [colours["link_people"], None, 4],
    ]
    # Erez: international from its opening; its workers ramp up past its capacity in month 9
    ids = list(inp.layers["crossings"]["crossing_id"])
    erez = f"landplan.layers.crossings.getLayers()[{ids.index('erez')}]"
    slider.fill("8")
    assert page.evaluate(f"{erez}.options.color") == colours["crossing"]
    assert "Over capacity: Erez" not in page.locator(".lp-month-facts").inner_text()
    page.evaluate(f"void {erez}.openTooltip()")
    assert "3,000 wanting, capacity 3,000" in page.locator(".leaflet-tooltip").last.inner_text()
    slider.fill("9")
    assert page.evaluate(f"[{erez}.options.color, {erez}.options.fillColor]") == [
        colours["crossing_over"],
        style.REGIME_COLORS["international"],
    ]
    tip = page.locator(".leaflet-tooltip").last.inner_text()  # the open tooltip follows the month
    assert "4,000 wanting, capacity 3,000" in tip and "yes" in tip
    assert "Over capacity: Erez / Beit Hanoun" in page.locator(".lp-month-facts").inner_text()
    assert page.evaluate(f"landplan.crossingFlow({ids.index('erez')}).over_capacity") is True
    # the barrier in jenin-c goes when its step ends
    route = inp.layers["barrier"][inp.layers["barrier"]["kind"] == "route"]
    segment = f"landplan.layers.barrier.getLayers()[{list(route['zone_id']).index('jenin-c')}]"
    gone = tl.completed("north", "barrier")
    slider.fill(str(gone - 1))
    assert _style(page, segment)[0] == colours["barrier"]
    slider.fill(str(gone))
    assert _style(page, segment)[:2] == [colours["barrier_removed"], "1 5"]
    # the residual presence: jenin-c hatched while under the international force, its site shown; the station
    hatch = "landplan.layers.presence.getLayers()[0].painted"
    marks = "landplan.layers.presence.getLayers()[1].getLayers().map(m => m.options.opacity)"
    slider.fill("0")
    assert page.evaluate(hatch) == 0 and page.evaluate(marks) == [0, 1]
    slider.fill("5")
    assert page.evaluate(hatch) == 1 and page.evaluate(marks) == [1, 1]
    facts = page.locator(".lp-month-facts").inner_text()
    assert "Residual presence valley: 1 zones under it, 2 fixed sites, until Sep 2028" in facts
    assert f"Early-warning station {PAYLOADS[0]} standing, next review Jan 2028" in facts
    slider.fill("30")
    assert page.evaluate(hatch) == 0 and page.evaluate(marks) == [0, 0]
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert log.errors == [] and log.dialogs == [] and log.requests == []


def test_the_legend_names_every_new_style_and_the_panel_its_units(full_map, open_map):
    path, inp = full_map
    page, log = open_map(path)
    legend = page.locator(".lp-legend").inner_text()
    for key in ("links", "crossings", "presence", "barrier"):
        for _, text in style.MAP_LEGEND[key]:
            assert text in legend, text
    assert "Israeli police" in legend and "shared security (Jerusalem)" in legend
    page.evaluate("landplan.setMonth(24)")
    row = page.locator('td[data-figure="residents_palestinians_in_israel"]')
    assert int(row.inner_text().replace(",", "")) == inp.metrics.loc[24, "residents_palestinians_in_israel"]
    assert page.locator("tr", has=row).locator("th").inner_text() == "Palestinians living in Israel"
    assert log.errors == []
