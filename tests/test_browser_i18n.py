"""The phase map as a presenter shares it: three languages, a link that keeps the view, a story, figures in words."""

import dataclasses
import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from test_render import reference_map_file

from geo.output import phase_map

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
SIZES = {"phone": (390, 844), "desktop": (1300, 900)}

pytestmark = pytest.mark.browser

#: Every text node a reader sees in the map's controls, with the labels read aloud (title, aria-label), leaving out
#: what comes from the data (names of the plan, zones and places: the lp-data elements) and the language names.
VISIBLE_TEXT = """() => {
  const out = [], root = document.querySelector('.leaflet-control-container');
  const shown = (e) => e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!n.textContent.trim() || p.closest('.lp-data, select') || !shown(p)) continue;
    out.push(n.textContent.trim());
  }
  root.querySelectorAll('[title], [aria-label]').forEach((e) => {
    if (!shown(e) || e.closest('.lp-data')) return;
    ['title', 'aria-label'].forEach((a) => { if (e.getAttribute(a)) out.push(e.getAttribute(a)); });
  });
  return out;
}"""


@pytest.fixture(scope="module")
def reference_map(tmp_path_factory):
    return reference_map_file(tmp_path_factory.mktemp("map"))


def _box(page, selector):
    script = "(s) => { const r = document.querySelector(s).getBoundingClientRect(); return [r.left, r.width]; }"
    return page.evaluate(script, selector)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", ["en", "ar", "he"])
def test_each_language_sets_the_direction_mirrors_the_layout_and_leaves_no_english(reference_map, open_map, lang, size):
    w, h = SIZES[size]
    page, log = open_map(reference_map[0], size=(w, h))
    panel = ".lp-map .leaflet-top.leaflet-right"
    if size == "desktop":
        ltr_left = _box(page, panel)[0]
        assert ltr_left > w / 2  # English: the panel on the right
    page.select_option(".lp-lang", lang) if size == "desktop" else page.evaluate(f"landplan.setLanguage('{lang}')")
    page.evaluate("landplan.setMonth(30)")
    html = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    assert html == [lang, "rtl" if lang != "en" else "ltr"]
    if size == "phone":
        page.locator(".lp-handle").tap()  # open the drawer: its whole content is checked too
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-{lang}-{size}.png"))
    texts = page.evaluate(VISIBLE_TEXT)
    assert len(texts) > 40
    if lang != "en":
        english = [t for t in texts if re.search(r"[A-Za-z]", t)]
        assert english == [], english
        script = r"[\u0600-\u06FF]" if lang == "ar" else r"[\u0590-\u05FF]"
        places = page.locator(".lp-place-name").all_inner_texts()
        assert places and all(re.search(script, p) for p in places[:5]), places[:5]
        if size == "desktop":
            left, width = _box(page, panel)
            assert left + width < w / 2  # mirrored: the panel moved to the left
            assert _box(page, ".leaflet-control-layers")[0] > w / 2  # and the layer list to the right
    assert log.errors == [] and log.requests == []


def test_a_link_opens_at_its_month_language_colouring_and_layers_and_follows_the_view(reference_map, open_map):
    page, log = open_map(reference_map[0], address="#month=24&lang=he&colour=movement&layers=zones,places,crossings")
    assert page.evaluate("[landplan.month, landplan.language(), landplan.mode]") == [24, "he", "movement"]
    on = page.evaluate("Object.keys(landplan.layers).filter((k) => landplan.map.hasLayer(landplan.layers[k]))")
    assert set(on) == {"zones", "places", "crossings"}
    assert page.locator(".lp-slider").input_value() == "24"
    page.evaluate("landplan.setMonth(31)")
    page.get_by_role("button", name=re.compile(".")).first.focus()
    address = page.evaluate("location.hash")
    assert address.startswith("#month=31&lang=he&colour=movement&layers=")
    page2, _ = open_map(reference_map[0], address=address)  # the shared link opens at the same view
    assert page2.evaluate("[landplan.month, landplan.language(), landplan.mode]") == [31, "he", "movement"]
    bad, _ = open_map(reference_map[0], address="#month=abc&lang=xx&colour=%3Cb%3E&layers=nope,__proto__")
    assert bad.evaluate("[landplan.month, landplan.language(), landplan.mode]") == [0, "en", "security"]
    assert bad.evaluate("landplan.map.hasLayer(landplan.layers.basemap)")  # no known layer named: none switched off
    huge, _ = open_map(reference_map[0], address="#month=4294967308")
    assert huge.evaluate("landplan.month") == huge.evaluate("landplan.horizon")  # clamped, not wrapped around
    huge.evaluate("location.hash = '#month=40&lang=ar'")  # an address edited in the same tab shows its view
    huge.wait_for_function("landplan.month === 40 && landplan.language() === 'ar'")
    assert log.errors == [] and log.requests == []


def test_the_story_steps_through_the_milestones_with_buttons_and_keys(reference_map, open_map):
    page, log = open_map(reference_map[0])
    months = page.evaluate("landplan.data.milestones.map((m) => m.month)")
    assert months[0] == 0 and len(months) >= 4
    seen = []
    for _ in months[1:]:
        page.get_by_role("button", name="Next milestone").click()
        seen.append(page.evaluate("landplan.month"))
        caption = page.locator(".lp-caption").inner_text()
        assert caption.strip()
    assert seen == months[1:]
    page.get_by_role("button", name="Next milestone").click()  # past the last: stays
    assert page.evaluate("landplan.month") == months[-1]
    page.locator("body").focus()
    page.keyboard.press("p")
    assert page.evaluate("landplan.month") == months[-2]
    page.keyboard.press("PageUp")
    assert page.evaluate("landplan.month") == months[-3]
    page.keyboard.press("ArrowRight")
    assert page.evaluate("landplan.month") == months[-2]
    page.evaluate("landplan.setLanguage('ar')")
    page.keyboard.press("ArrowLeft")  # right to left: the left arrow goes forward
    assert page.evaluate("landplan.month") == months[-1]
    assert log.errors == []


def test_a_plans_own_caption_shows_with_its_milestone_as_text(reference_map, open_map, tmp_path):
    inp = reference_map[1]
    caption = "<img src=x onerror=alert(1)> {date} $x$"
    own = dataclasses.replace(inp, problem=dataclasses.replace(inp.problem, story={"idf_out": caption}))
    page, log = open_map(phase_map.write_phase_map(own, tmp_path / "own.html"), address="#lang=he")
    month = page.evaluate("landplan.data.milestones.find((m) => m.keys.includes('idf_out')).month")
    page.evaluate(f"landplan.setMonth({month})")
    note = page.locator(".lp-caption .lp-note")
    assert note.text_content() == caption and note.get_attribute("dir") == "auto"
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    assert log.errors == [] and log.dialogs == [] and log.requests == []


def test_the_language_switch_and_the_timeline_strip_work_from_the_keyboard(reference_map, open_map):
    page, log = open_map(reference_map[0])
    switch = page.locator(".lp-lang")
    switch.focus()
    page.keyboard.press("ArrowDown")  # the next language, chosen from the keyboard
    assert page.evaluate("landplan.language()") == "ar"
    assert page.evaluate("document.activeElement.classList.contains('lp-lang')")  # the focus stays on the switch
    page.keyboard.press("n")  # still on the switch: the story does not move
    assert page.evaluate("landplan.month") == 0
    strip = page.get_by_role("slider", name=re.compile("."))
    assert strip.count() == 2  # the month slider and the timeline strip, both labelled
    gantt = page.locator(".lp-gantt")
    gantt.focus()
    page.keyboard.press("ArrowLeft")  # right to left: the left arrow is a month later
    assert page.evaluate("landplan.month") == 1
    page.keyboard.press("End")
    assert page.evaluate("landplan.month") == page.evaluate("landplan.horizon")
    assert gantt.get_attribute("aria-valuenow") == str(page.evaluate("landplan.horizon"))
    assert log.errors == []


def test_the_panel_names_figures_in_words_and_marks_what_changed(reference_map, open_map):
    page, log = open_map(reference_map[0])
    cols = [c for c in page.evaluate("landplan.data.metrics.columns") if c not in ("month", "date")]
    for month in (0, 8, 30):
        page.evaluate(f"landplan.setMonth({month})")
        text = page.locator(".leaflet-control-container").inner_text()
        raw = [c for c in cols if c in text or c.replace("_", " ") in text]
        assert raw == [], raw
        assert not re.search(r"\b(idf|israel_police|free_movement)\b", text)
    titles = page.locator(".lp-metrics caption").all_inner_texts()
    assert titles[:3] == ["Security", "Movement", "Crossings"]
    row = page.locator(".lp-metrics tr", has_text="Land under Palestinian security forces")
    assert re.fullmatch(r"[\d.]+ % \([\d,]+ km²\)", row.locator("td").first.inner_text())
    free = page.locator(".lp-metrics tr", has_text="People moving freely").locator("td").first.inner_text()
    assert re.fullmatch(r"[\d.]+[KM]", free)  # millions, rounded to three figures
    # the first month that changes a figure marks the changed rows, and only those
    month = page.evaluate("""() => { const R = landplan.data.metrics.rows, key = (r) => JSON.stringify(r.slice(2));
        for (let m = 1; m < R.length; m++) if (key(R[m]) !== key(R[m - 1])) return m; }""")
    page.evaluate(f"landplan.setMonth({month})")
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('.lp-metrics td[data-figure]')).map(
        (td) => [td.dataset.figure, td.parentElement.classList.contains('lp-changed')])""")
    data = page.evaluate(
        f"[landplan.data.metrics.columns, landplan.data.metrics.rows[{month - 1}], landplan.data.metrics.rows[{month}]]"
    )
    idx = {c: k for k, c in enumerate(data[0])}
    changed = {c for c, k in idx.items() if data[1][k] != data[2][k]}
    figures = page.evaluate("landplan.data.figures.flatMap((g) => g.figures)")
    expect = {f["columns"][0]: bool(set(f["columns"]) & changed) for f in figures}
    assert dict(rows) == expect and any(expect.values())
    assert log.errors == []


def test_embed_shows_the_map_and_the_story_only(reference_map, open_map, tmp_path):
    path = phase_map.write_phase_map(reference_map[1], tmp_path / "embed.html", embed=True, lang="ar")
    page, log = open_map(path)
    assert not page.locator(".leaflet-control-layers").is_visible()
    assert not page.locator(".lp-panel").count() and not page.locator(".lp-legend").count()
    assert page.locator(".lp-story").is_visible()
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert log.errors == [] and log.requests == []


def test_print_keeps_the_view_legend_and_figures_and_drops_the_buttons(reference_map, open_map):
    page, log = open_map(reference_map[0], size=(390, 844))  # a phone's closed drawer still prints its content
    page.evaluate("landplan.setMonth(12)")
    page.emulate_media(media="print")
    assert not page.locator(".lp-play").is_visible() and not page.locator(".lp-handle").is_visible()
    reader = PdfReader(io.BytesIO(page.pdf(format="A4", landscape=True, print_background=True)))
    text = " ".join(reader.pages[0].extract_text().split())
    # the legend, every group of figures and the view's month are on the first page
    for words in ("Zones by security", "Israeli army", "Security", "Movement", "Crossings", "Residence",
                  "Jerusalem", "Land under Palestinian security forces", "Jan 2028 (month 12)"):  # fmt: skip
        assert words in text, words
    assert len(reader.pages) == 1
    assert log.errors == []


LABEL_BOXES = """() => Array.from(document.querySelectorAll('.lp-place')).filter((e) => e.style.opacity !== '0')
    .map((e) => { const r = e.querySelector('.lp-place-name').getBoundingClientRect();
                  return [r.left, r.top, r.right, r.bottom]; })"""


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_place_labels_never_overlap_and_symbols_grow_with_the_zoom(reference_map, open_map, lang):
    page, log = open_map(reference_map[0], address=f"#lang={lang}")
    radius = "landplan.layers.settlements.getLayers().map((m) => m.getRadius()).reduce((a, b) => Math.max(a, b))"
    small = page.evaluate(radius)
    for view in ("[31.85, 35.05], 8", "[31.8, 35.2], 10", "[31.5, 34.6], 11", "[31.4, 35.0], 7"):
        page.evaluate(f"() => {{ landplan.map.setView({view}, {{animate: false}}); }}")
        boxes = page.evaluate(LABEL_BOXES)
        assert len(boxes) >= 3
        for k, a in enumerate(boxes):
            for b in boxes[k + 1 :]:
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (view, a, b)
    page.evaluate("() => { landplan.map.setView([31.8, 35.2], 11, {animate: false}); }")
    assert page.evaluate(radius) > 1.5 * small  # closer in, the settlements' circles grow
    assert log.errors == []
