"""The phase map in headless Chromium: offline, correct, safe."""

import dataclasses
import io
from pathlib import Path

import pytest
from test_render import PAYLOADS, small_inputs

from geo import layers, metrics, plan, schedule
from geo.output import phase_map

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reference_map(tmp_path_factory):
    ly = layers.load_all(ROOT)
    lp = plan.load(ROOT / "plans" / "reference.yaml")
    problem = plan.compile_plan(lp, ly["zones"], set(ly["crossings"]["crossing_id"]))
    sched = schedule.solve(problem, 1.0)
    table = metrics.monthly_metrics(problem, sched, ly["zones"], ly["obstacles"])
    inp = phase_map.MapInputs(ly, problem, sched, table, lp.plan.meta.name, "test", "2027-01-01")
    path = tmp_path_factory.mktemp("map") / "reference.html"
    phase_map.write_phase_map(inp, path)
    return path, inp


def _pixel(page, lat, lon):
    """RGBA of the zones canvas at a map position."""
    return page.evaluate(
        """([lat, lon]) => {
            const p = landplan.zones._map.latLngToContainerPoint([lat, lon]);
            const c = landplan.zones._canvas, d = landplan.zones._dpr;
            return Array.from(c.getContext('2d').getImageData(Math.round(p.x * d), Math.round(p.y * d), 1, 1).data);
        }""",
        [lat, lon],
    )


def test_loads_offline_without_errors_and_draws_every_zone(reference_map, open_map):
    path, inp = reference_map
    page, log = open_map(path)
    assert log.errors == []
    assert log.requests == []
    assert page.evaluate("landplan.zones.painted") == len(inp.problem.zones) == 41
    assert page.locator(".leaflet-control-layers-overlays label").count() == 9
    assert page.locator(".lp-footer").inner_text().startswith("A Land for All - reference plan")


def test_slider_changes_a_zone_fill_and_the_panel_matches_the_metrics(reference_map, open_map):
    path, inp = reference_map
    page, _ = open_map(path)
    zone = "jenin-a"
    end = inp.schedule.end[f"{zone}/security/international"]
    pt = inp.layers["zones"].set_index("zone_id").loc[zone].geometry.representative_point()
    page.evaluate(f"landplan.setMonth({end - 1})")
    before = _pixel(page, pt.y, pt.x)
    page.locator(".lp-slider").fill(str(end))  # the user's way: move the slider
    after = _pixel(page, pt.y, pt.x)
    assert before != after
    assert page.evaluate("landplan.month") == end
    row = inp.metrics.set_index("month").loc[end]
    for col in ("population_permits", "troops_deployed", "obstacles_removed"):
        shown = page.locator(f'td[data-metric="{col}"]').inner_text().replace(",", "")
        assert int(shown) == int(row[col]), col
    assert page.locator(".lp-month").inner_text().startswith(inp.metrics.set_index("month").loc[end, "date"])


def test_clicking_a_zone_shows_its_timeline(reference_map, open_map):
    path, inp = reference_map
    page, _ = open_map(path)
    pt = inp.layers["zones"].set_index("zone_id").loc["hebron-a"].geometry.representative_point()
    xy = page.evaluate(
        f"(() => {{ const p = landplan.zones._map.latLngToContainerPoint([{pt.y}, {pt.x}]); return [p.x, p.y]; }})()"
    )
    page.mouse.click(xy[0], xy[1])
    text = page.locator(".lp-zone").inner_text()
    assert text.startswith("Hebron A: timeline")
    assert "security: international" in text and "movement: residence" in text


def test_injection_payloads_are_inert_and_shown_as_text(tmp_path, open_map):
    inp = small_inputs(tmp_path, name=PAYLOADS[1], zone_names=PAYLOADS)
    path = phase_map.write_phase_map(inp, tmp_path / "evil.html")
    page, log = open_map(path)
    page.wait_for_timeout(300)
    assert log.dialogs == []
    assert log.errors == []
    assert page.locator(".lp-title").inner_text() == PAYLOADS[1]
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    pt = inp.layers["zones"].set_index("zone_id").loc["jenin-a"].geometry.representative_point()
    xy = page.evaluate(
        f"(() => {{ const p = landplan.zones._map.latLngToContainerPoint([{pt.y}, {pt.x}]); return [p.x, p.y]; }})()"
    )
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
    assert "settlement" in legend.inner_text()
    page.get_by_label("Settlements").uncheck()
    assert "settlement" not in legend.inner_text()
    page.get_by_label("Settlements").check()
    assert "settlement" in legend.inner_text()
    page.get_by_label("colour by movement").check()
    assert "zones: movement" in legend.inner_text() and "free_movement" in legend.inner_text()
    page.locator(".lp-play").click()
    page.wait_for_function("landplan.month >= 2", timeout=5_000)
    page.locator(".lp-play").click()
    assert log.errors == [] and log.requests == []


def test_obstacles_appear_when_switched_on_and_disappear_once_removed(reference_map, open_map):
    path, inp = reference_map
    page, log = open_map(path)
    assert page.evaluate("landplan.layers.obstacles.markers.length") == 0  # built on first use
    page.get_by_label("OCHA obstacles 2025").check()
    assert page.evaluate("landplan.layers.obstacles.markers.length") == 811
    assert "OCHA obstacle" in page.locator(".lp-legend").inner_text()
    visible = "landplan.layers.obstacles.markers.filter(m => m.options.opacity > 0).length"
    assert page.evaluate(visible) == 811
    page.evaluate(f"landplan.setMonth({inp.problem.horizon})")
    assert page.evaluate(visible) == 0
    assert log.errors == []


def test_comparison_map_drives_both_plans_offline(tmp_path, open_map):
    a = small_inputs(tmp_path / "a", name="plan A")
    b = small_inputs(tmp_path / "b", name=PAYLOADS[0], zone_names=PAYLOADS)
    path = phase_map.write_comparison_map(a, b, tmp_path / "cmp.html")
    page, log = open_map(path, ready="window.lpCompareReady === true")
    assert log.requests == [] and log.errors == [] and log.dialogs == []
    page.locator("#lp-month").fill("20")
    months = page.evaluate("[0, 1].map(k => document.querySelectorAll('iframe')[k].contentWindow.landplan.month)")
    assert months == [20, 20]
    assert page.locator(".lp-bar span").nth(1).inner_text() == PAYLOADS[0]
    frame_b = page.frame_locator("#lp-b")
    assert frame_b.locator(".lp-title").inner_text() == PAYLOADS[0]
    frame_b.locator(".lp-slider").fill("7")
    assert page.evaluate("window.lpCompareMonth") == 7
    assert log.dialogs == []


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
    const name = document.createRange(), after = find(' \u00b7 plan+layers');
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
    # drawn in reading order, on one line: "plan+layers", each character of the hash, "built", the date
    order = [("plan+layers", 1), (inp.digest, len(inp.digest)), ("built", 1), (inp.built, 1)]
    name_right, boxes = page.evaluate(FOOTER_LAYOUT, [list(o) for o in order])
    assert None not in boxes
    assert len({round(top) for _, top in boxes}) == 1
    lefts = [left for left, _ in boxes]
    assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)
    assert name_right <= lefts[0]  # the name stays before the rest
    footer = page.locator(".lp-footer").text_content()
    assert not set(footer) & set(BIDI_CONTROLS)
    stripped = "".join(c for c in name if c not in BIDI_CONTROLS)
    assert footer.startswith(stripped + " \u00b7 plan+layers " + inp.digest)
    style = "(sel) => { const e = document.querySelector(sel); return [e.dir, getComputedStyle(e).unicodeBidi]; }"
    assert page.evaluate(style, ".lp-footer .lp-hash") == ["ltr", "isolate"]
    assert page.evaluate(style, ".lp-footer .lp-plan") == ["auto", "isolate"]
    assert page.evaluate(style, ".lp-title") == ["auto", "isolate"]
    assert page.locator(".lp-title").text_content() == stripped
