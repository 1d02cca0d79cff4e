"""The atlas: pages, their text, a rendered page, determinism."""

import dataclasses
import errno
import io
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from matplotlib.colors import to_rgba
from PIL import Image
from pypdf import PdfReader
from test_export import ROOT, run, with_timeline  # noqa: F401 - the small scheduled plan, a module fixture
from test_render import full_plan

from geo import layers, metrics
from geo.errors import OutputError
from geo.figures import figure_text, month_name
from geo.i18n import translate
from geo.output import atlas, style
from geo.run import PlanRun, run_loaded
from geo.timeline import month_label


def test_pages_text_and_png(run, tmp_path):  # noqa: F811
    written = atlas.write_atlas(run, tmp_path / "a.pdf", "abc123", "2027-01-01", png=True)
    pdf, pngs = written[0], written[1:]
    months = atlas.milestones(run)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1 + len(months) == len(pngs)
    cover = reader.pages[0].extract_text()
    assert "small plan" in cover and "abc123" in cover and "UN OCHA oPt" in cover
    for page, month in zip(reader.pages[1:], months, strict=True):
        text = page.extract_text()
        assert f"{month_name(month_label(run.problem.start, month), 'en')} - month {month}" in text
        row = run.metrics.set_index("month").loc[month]
        assert f"Obstacles removed: {int(row['obstacles_removed']):,} of {int(row['obstacles_total']):,}" in text
        assert "Troops deployed, of those available: " in " ".join(text.split())  # a line may wrap
        assert "20 km" in text and "Natural Earth" in text
    img = Image.open(io.BytesIO(pngs[1].read_bytes())).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


def test_atlas_is_deterministic(run, tmp_path):  # noqa: F811
    a = atlas.write_atlas(run, tmp_path / "a.pdf", "h", "2027-01-01")[0].read_bytes()
    b = atlas.write_atlas(run, tmp_path / "b.pdf", "h", "2027-01-01")[0].read_bytes()
    assert a == b


def test_milestones_are_capped(run):  # noqa: F811
    months = atlas.milestones(run)
    assert months[0] == 0 and months[-1] == run.schedule.makespan
    assert len(months) <= atlas.MAX_PAGES
    assert months == sorted(set(months))


@pytest.mark.parametrize("cap", [3])
def test_thinning_keeps_first_and_last(run, monkeypatch, cap):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", cap)
    months = atlas.milestones(run)
    assert len(months) == cap and months[0] == 0 and months[-1] == run.schedule.makespan


# -- plans with their own ladders (issue 8, #10) and text that looks like math (#11) -----------------------------
STATES = ["s0", "$x$", "s$2", "s3", "s4", "s5", "$\\foo$"]
SEVEN = """\
meta:
  name: seven states
  start: "2027-01"
horizon: 30
zones:
  use: [jenin-a, gaza-city]
security:
  states: [{states}]
  steps:
{steps}movement:
  levels: [m0, m1, m2]
  steps:
    m1: {{duration: 1}}
    m2: {{duration: 1, requires_crossing: true}}
crossings:
  - {{id: allenby, serves: [all], duration: 2}}
resources:
  troops:
    - {{from: 0, available: 100}}
objective:
  minimize: completion
"""


@pytest.fixture(scope="module")
def seven(tmp_path_factory):
    """A plan of seven security states, some named like math, on two real zones."""
    quoted = [f"'{s}'" for s in STATES]
    steps = "".join(f"    {q}: {{duration: 1}}\n" for q in quoted[1:])
    p = tmp_path_factory.mktemp("seven") / "seven.yaml"
    p.write_text(SEVEN.format(states=", ".join(quoted), steps=steps), encoding="utf-8")
    return run_loaded(p, layers.load_all(ROOT), 0.5)


def test_an_atlas_of_seven_states_has_a_colour_and_a_line_for_each(seven, tmp_path, monkeypatch):
    monkeypatch.setattr(atlas, "MAX_PAGES", 2)
    pdf, *pngs = atlas.write_atlas(seven, tmp_path / "seven.pdf", "h", "2027-01-01", png=True)
    last = PdfReader(pdf).pages[-1].extract_text()
    month = atlas.milestones(seven)[-1]
    shares = seven.metrics.set_index("month").loc[month]
    for st in STATES:
        assert f"\n{st}\n" in f"\n{last}\n"  # the legend names the plan's own states, as plain text
        holds = shares[f"area_pct_{st}"] > 0
        assert (f"Land under {st}: " in last) == holds, st  # the figures list who holds land
    img = Image.open(io.BytesIO(pngs[-1].read_bytes())).convert("RGB")
    present = {c for _, c in img.getcolors(maxcolors=1 << 20)}
    for colour in style.state_colors(len(STATES)):
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in present, colour


MATHLIKE = [
    "$x$",
    "$\\frac{1}{0}$",
    "cost $5",
    "$\\foo$ and $x^$",
    "two\nlines",
    "%s %d %(name)s",
    "{} {0} {{ x }}",
    "\\$ escaped $$",
    "tab\there nul\x00 bell\x07",
]


@pytest.mark.parametrize("text", MATHLIKE)
def test_plan_text_is_printed_as_written(run, tmp_path, monkeypatch, text):  # noqa: F811
    monkeypatch.setattr(atlas, "milestones", lambda r: [0])  # the cover and one page
    meta = run.loaded.plan.meta.model_copy(update={"name": text, "description": f"d {text}", "sources": [text]})
    loaded = dataclasses.replace(run.loaded, plan=run.loaded.plan.model_copy(update={"meta": meta}))
    variant = dataclasses.replace(run, loaded=loaded)
    pdf = atlas.write_atlas(variant, tmp_path / "a.pdf", "h", "2027-01-01")[0]
    reader = PdfReader(pdf)
    shown = atlas.plain_text(text)
    cover = reader.pages[0].extract_text()
    for part in shown.split("\n"):
        assert cover.count(part) >= 3, (part, cover)  # title, description, source
    assert all(part in reader.pages[1].extract_text() for part in shown.split("\n"))


def test_plain_text_keeps_what_fonts_draw():
    assert atlas.plain_text("a\tb\r\nc\rd\x00e\x1bf\x7fg\x85h\ud800i$j$") == "a b\nc\ndefghi$j$"
    assert atlas.plain_text(12) == "12"


# -- page sets are replaced whole (issue 8, #12) -----------------------------------------------------------------
def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_shorter_atlas_leaves_no_page_of_a_longer_one(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", 3)
    atlas.write_atlas(run, tmp_path / "a.pdf", "h", "2027-01-01", png=True)
    assert _names(tmp_path / "a-pages") == ["a-p01.png", "a-p02.png", "a-p03.png", "a-p04.png"]
    monkeypatch.setattr(atlas, "MAX_PAGES", 2)
    written = atlas.write_atlas(run, tmp_path / "a.pdf", "h2", "2027-01-01", png=True)
    assert _names(tmp_path / "a-pages") == ["a-p01.png", "a-p02.png", "a-p03.png"]
    assert written[1:] == [tmp_path / "a-pages" / n for n in _names(tmp_path / "a-pages")]
    assert len(PdfReader(written[0]).pages) == 3
    assert _names(tmp_path) == ["a-pages", "a.pdf"]


def test_an_interrupted_atlas_leaves_the_previous_pages_and_pdf(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", 2)
    atlas.write_atlas(run, tmp_path / "a.pdf", "old", "2027-01-01", png=True)
    before = {p.name: p.read_bytes() for p in [tmp_path / "a.pdf", *(tmp_path / "a-pages").iterdir()]}
    real = atlas.write_new
    calls = {"n": 0}

    def killed(path, data):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(atlas, "write_new", killed)
    with pytest.raises(KeyboardInterrupt):
        atlas.write_atlas(run, tmp_path / "a.pdf", "new", "2027-01-01", png=True)
    after = {p.name: p.read_bytes() for p in [tmp_path / "a.pdf", *(tmp_path / "a-pages").iterdir()]}
    assert after == before
    assert _names(tmp_path) == ["a-pages", "a.pdf"]


# -- write failures (issue 8, #6) --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "png", "reason"),
    [
        ("missing/a.pdf", False, "does not exist"),
        ("plain.txt/a.pdf", False, "is a file, not a folder"),
        ("folder", False, "it is a folder"),
        ("a" * 300 + ".pdf", False, "over the 255 allowed"),
        ("busy.pdf", True, "holds other things"),
        ("clash.pdf", True, "a file has that name and a folder is wanted"),
    ],
)
def test_an_unwritable_atlas_fails_before_drawing(run, tmp_path, monkeypatch, name, png, reason):  # noqa: F811
    (tmp_path / "plain.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    (tmp_path / "busy-pages").mkdir()
    (tmp_path / "busy-pages" / "notes.txt").write_text("mine")
    (tmp_path / "clash-pages").write_text("x")
    monkeypatch.setattr(atlas, "_cover", lambda *a: pytest.fail("the outputs must be checked before drawing"))
    before = _names(tmp_path)
    with pytest.raises(OutputError) as exc:
        atlas.write_atlas(run, tmp_path / name, "h", "2027-01-01", png=png)
    assert str(exc.value).startswith("could not write ") and reason in str(exc.value)
    assert "Fix: " in str(exc.value)
    assert _names(tmp_path) == before


def test_a_full_disk_is_an_output_error_and_keeps_the_old_atlas(run, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", 2)
    out = tmp_path / "a.pdf"
    out.write_bytes(b"old atlas")

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    for png in (False, True):
        with pytest.raises(OutputError, match=r"No space left on device\. Fix: free some disk space"):
            atlas.write_atlas(run, out, "h", "2027-01-01", png=png)
        assert out.read_bytes() == b"old atlas"
        assert _names(tmp_path) == ["a.pdf"]


# -- ids are read from the tasks (issue 8, #17) ------------------------------------------------------------------
@pytest.mark.parametrize("style", ["path", "opaque"])
def test_milestones_come_from_the_tasks_not_their_ids(style):
    from test_metrics import id_problem

    p, s = id_problem(style)
    one = PlanRun(Path("p.yaml"), None, {}, p, s, None)  # type: ignore[arg-type]
    security = {s.end[tid] for tid, t in p.tasks.items() if t.kind == "security"}
    assert atlas.milestones(one) == sorted({0, *security, s.makespan})


# -- no process-wide matplotlib settings (issue 9) ---------------------------------------------------------------
@pytest.mark.parametrize("backend", ["pdf", "svg", "ps"])
def test_importing_the_atlas_keeps_the_processs_backend(backend):
    code = "import matplotlib\nfrom geo.output import atlas\nprint(matplotlib.get_backend())"
    env = {**os.environ, "MPLBACKEND": backend}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == backend


@pytest.mark.parametrize("user_figure", [False, True])
def test_drawing_the_atlas_leaves_pyplot_and_the_settings_as_they_were(run, tmp_path, monkeypatch, user_figure):  # noqa: F811
    import matplotlib
    import matplotlib.pyplot as plt

    monkeypatch.setattr(atlas, "MAX_PAGES", 2)
    mine = plt.figure() if user_figure else None
    try:
        before, settings = plt.get_fignums(), dict(matplotlib.rcParams)
        atlas.write_atlas(run, tmp_path / "a.pdf", "h", "2027-01-01", png=True)
        assert plt.get_fignums() == before  # no page was ever a pyplot figure
        assert dict(matplotlib.rcParams) == settings
    finally:
        if mine is not None:
            plt.close(mine)


# -- the atlas reads the run's timeline (issue 9) ----------------------------------------------------------------
def _zone_colours(plan_run: PlanRun, month: int) -> dict[str, tuple[float, ...]]:
    """The fill of each zone on the page of ``month``, by zone id."""
    frames = atlas._frames(plan_run)
    fig = atlas._page(plan_run, month, frames)
    zones = fig.axes[0].collections[1]  # the basemap is drawn first, then the zones
    return {z: tuple(c) for z, c in zip(frames["zones"]["zone_id"], zones.get_facecolors(), strict=True)}


def _without(plan_run: PlanRun, *tasks: str) -> PlanRun:
    """``plan_run`` whose schedule leaves ``tasks`` out."""
    s = plan_run.schedule
    keep = {t: m for t, m in s.end.items() if t not in tasks}
    partial = dataclasses.replace(s, start={t: s.start[t] for t in keep}, end=keep)
    return dataclasses.replace(plan_run, schedule=partial)


@pytest.mark.parametrize(
    "dropped",
    [(), ("jenin-a/security/international",), ("gaza-city/security/international", "old-city/security/palestinian")],
    ids=["complete", "first-step", "two-zones"],
)
def test_zone_colours_are_the_state_table(run, dropped):  # noqa: F811
    variant = _without(run, *dropped)
    palette = style.ladder_colors("security", run.problem.security_states)
    states = metrics.state_table(variant.problem, variant.schedule).set_index(["zone", "month"])["security"]
    for month in (0, *(run.schedule.end[t] for t in dropped), run.schedule.makespan):
        for zone, colour in _zone_colours(variant, month).items():
            k = run.problem.security_states.index(states[(zone, month)])
            assert colour == to_rgba(palette[k], 0.85), (zone, month)


@pytest.mark.parametrize("months", [1, 2])
def test_milestones_and_crossings_follow_the_timeline(run, monkeypatch, months):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", 100)
    variant = with_timeline(run, months)
    assert atlas.milestones(variant) == [0, *(m + months for m in atlas.milestones(run)[1:])]
    opens = run.schedule.end["crossing/allenby"] + months
    for month, fill in ((opens - 1, (1.0, 1.0, 1.0, 1.0)), (opens, to_rgba(style.REGIME_COLORS["israeli"]))):
        fig = atlas._page(variant, month, atlas._frames(variant))
        crossings = fig.axes[0].collections[-1]
        ids = list(atlas._frames(variant)["crossings"]["crossing_id"])
        assert tuple(crossings.get_facecolors()[ids.index("allenby")]) == fill


# -- the confederation's entities (issue 11) ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """The plan of every section, its sited station and its sources named like math."""
    d = tmp_path_factory.mktemp("full")
    (d / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    p = d / "full.yaml"
    p.write_text(full_plan(name="$x$ sections", station="$\\foo$", source="$5 cost"), encoding="utf-8")
    return run_loaded(p, layers.load_all(ROOT), 0.5)


def _page_text(plan_run: PlanRun, month: int, monkeypatch, tmp_path) -> str:
    monkeypatch.setattr(atlas, "milestones", lambda r: [month])
    pdf = atlas.write_atlas(plan_run, tmp_path / f"m{month}.pdf", "h", "2027-01-01")[0]
    return " ".join(PdfReader(pdf).pages[1].extract_text().split())


@pytest.mark.parametrize("month", [5, 9, 20])
def test_pages_list_the_new_figures_when_the_plan_has_them(full, monkeypatch, tmp_path, month):
    text = _page_text(full, month, monkeypatch, tmp_path)
    m = full.metrics.set_index("month").loc[month]

    def shown(kind, column):
        return figure_text(kind, [float(m[column])], "en")

    wanted = [
        f"Israelis living in Palestine: {shown('people', 'residents_israelis_in_palestine')}",
        f"Palestinians living in Israel: {shown('people', 'residents_palestinians_in_israel')}",
        f"Gaza - West Bank link: people a month: {shown('people', 'link_people_per_month')}",
        f"Barrier still standing: {shown('km', 'barrier_km_standing')}",
        f"Crossings over capacity: {int(m['crossings_over_capacity'])}",
        f"Sites of a residual Israeli presence: {int(m['residual_sites'])}",
        f"Early-warning stations standing: {int(m['early_warning_stations'])}",
        "Israeli police",  # the legend, in words
        "$x$ sections",  # the plan's name, as written
    ]
    for line in wanted:
        assert line in text, (line, text)
    link = full.timeline.state_at("safe-passage-south", "link", month)
    assert "residual Israeli presence" in text and atlas._LINK_WORDS[link] in text


def test_a_plan_without_the_sections_lists_none_of_their_figures(run, monkeypatch, tmp_path):  # noqa: F811
    text = _page_text(run, 0, monkeypatch, tmp_path)
    for absent in ("resident", "link capacity", "over capacity", "residual", "early-warning", "link:"):
        assert absent not in text, absent


def _collections(plan_run: PlanRun, month: int) -> tuple[list, dict]:
    frames = atlas._frames(plan_run)
    return atlas._page(plan_run, month, frames).axes[0].collections, frames


def test_residual_zones_are_hatched_and_an_over_capacity_crossing_is_ringed(full):
    flows = metrics.crossing_flows(full.problem, full.timeline).set_index(["crossing", "month"])
    assert not flows.loc[("erez", 8), "over_capacity"] and flows.loc[("erez", 9), "over_capacity"]
    rings = []
    for month in (8, 9):
        collections, frames = _collections(full, month)
        erez = list(frames["crossings"]["crossing_id"]).index("erez")
        rings.append(tuple(collections[-1].get_edgecolors()[erez]))
    assert rings == [to_rgba("#08306b"), to_rgba(style.LAYER_COLORS["crossing_over"])]
    hatched = {
        month: [c for c in _collections(full, month)[0] if c.get_hatch() == "////"] for month in (0, 5, 20)
    }  # jenin-c is under the residual presence from its handover (month 2) to the presence's end (month 20)
    assert [len(hatched[m]) for m in (0, 5, 20)] == [0, 1, 0]


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_the_atlas_speaks_arabic_and_hebrew(run, tmp_path, lang):  # noqa: F811
    # a glyph the font lacks would warn (an error here); text is extracted in display order, word by word
    def words(text):  # without marks and punctuation, which extraction moves around in right-to-left text
        bare = "".join(c for c in text if not unicodedata.category(c).startswith(("M", "P")))
        return set(bare.split())

    pdf = atlas.write_atlas(run, tmp_path / f"{lang}.pdf", "abc123", "2027-01-01", lang=lang)[0]
    pages = [words(p.extract_text()) for p in PdfReader(pdf).pages]
    drawn = {w for p in pages[1:] for w in p}
    for msg in ("Figures this month", "Security", "Jerusalem arrangements", "barrier standing"):
        assert words(translate(lang, msg)) <= drawn, msg
    assert words(translate(lang, "Plan sources:")) <= pages[0]
    assert not {"Figures", "Security", "month", "Objective"} & (drawn | pages[0])
