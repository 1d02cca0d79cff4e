"""A plan's border in its outputs: the phase map, the atlas, the comparison page and the diff.

One small plan on the shipped layers is run once per module inside a border scenario whose name is hostile text,
and once without a border; the tests read those two runs. The border's name
must reach every output as data, never as markup or template source, and a plan without a border must give the
page it gave before borders existed.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import shapely
from pypdf import PdfReader

from geo import layers
from geo.border import BorderResult
from geo.i18n import fill
from geo.output import atlas, compare_map, diff, export, page, phase_map, style
from geo.run import PlanRun, run_loaded

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "geo" / "output" / "static"
HOSTILE = "</script><script>alert(1)</script>{{ 7*7 }}"
PLAN = """\
extends: defaults.yaml
meta:
  name: bordered plan
  start: "2027-01"
zones:
  use: [jenin-a, jenin-c, old-city, gaza-city]
crossings:
  - {id: allenby, serves: [all], duration: 2}
"""
_DATA = re.compile(r'<script type="application/json" id="landplan-data">(.*?)</script>', re.S)


def _scenario() -> str:
    """A scenario of its own (Betar Illit, the Ma'ale Adumim bloc, the Clinton rule, an equal swap) named HOSTILE."""
    return f"""\
name: {json.dumps(HOSTILE)}
description: a test scenario
annex:
  settlements: [Betar Illit]
  blocs: [Ma'ale Adumim]
  buffer_m: 300
  corridor_m: 500
  jerusalem: clinton_rule
swap: {{ratio: 1.0}}
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PlanRun]:
    """The small plan inside the hostile-named border (``bordered``) and without a border (``plain``)."""
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    (folder / "borders").mkdir()
    (folder / "borders" / "hostile.yaml").write_text(_scenario(), encoding="utf-8")
    (folder / "bordered.yaml").write_text(PLAN + "border: hostile\n", encoding="utf-8")
    (folder / "plain.yaml").write_text(PLAN.replace("bordered plan", "plain plan"), encoding="utf-8")
    shipped = layers.load_all(ROOT)
    return {name: run_loaded(folder / f"{name}.yaml", shipped, 0.5) for name in ("bordered", "plain")}


def _inputs(run: PlanRun) -> phase_map.MapInputs:
    return phase_map.MapInputs.from_run(run, "0123456789ab", "2027-01-01")


@pytest.fixture(scope="module")
def pages(runs: dict[str, PlanRun]) -> dict[str, str]:
    """Each run's phase map page."""
    return {name: phase_map.phase_map(_inputs(run)).get_root().render() for name, run in runs.items()}


def _payload(html: str) -> tuple[dict[str, Any], str]:
    """The page's payload, and the page without it."""
    found = _DATA.search(html)
    assert found is not None
    return json.loads(found.group(1)), html.replace(found.group(0), "")


# -- the phase map ---------------------------------------------------------------------------------------------------


def test_the_run_is_inside_the_hostile_border(runs):
    border = runs["bordered"].border
    assert border is not None and border.name == HOSTILE
    assert runs["plain"].border is None


def test_the_payload_carries_the_border_its_land_and_its_figures(runs, pages):
    border = runs["bordered"].border
    data, _ = _payload(pages["bordered"])
    shown = data["border"]
    assert shown["name"] == HOSTILE
    parts = {f["properties"]["part"]: f for f in shown["geojson"]["features"]}
    assert set(parts) == {"annexed", "swapped"}
    assert parts["annexed"]["properties"]["area_km2"] == border.figures["annexed_km2"]
    drawn = shapely.geometry.shape(parts["annexed"]["geometry"])
    west, south, east, north = drawn.bounds
    assert 34.8 < west < east < 35.6 and 31.3 < south < north < 32.6  # lon/lat of the West Bank, not metres
    labels = {label: fill(text, **values) for label, text, values in shown["figures"]}
    assert labels["annexed"].startswith(f"{border.figures['annexed_km2']:,.2f} km² (")
    assert "% of the West Bank" in labels["annexed"]
    assert labels["settlers annexed"].startswith(f"{border.figures['settlers_annexed']:,}")
    assert shown["labels"]["annexed"] == ["Annexed by {name}", {"name": HOSTILE}]  # the name travels as data
    legend = data["meta"]["legend"]
    assert list(legend).index("border") == list(legend).index("line") + 1
    assert legend["border"][0] == [style.BORDER_COLORS["annexed"], "Annexed by {name}", {"name": HOSTILE}]
    assert data["meta"]["border_colors"] == dict(style.BORDER_COLORS)


def test_the_hostile_name_is_data_only(pages):
    html = pages["bordered"]
    data, rest = _payload(html)
    assert data["border"]["name"] == HOSTILE
    assert HOSTILE not in rest and "<script>alert" not in rest and "{{ 7*7 }}" not in rest
    assert html.count("</script>") == html.count("<script")
    labels = [json.loads(f'"{x}"') for x in re.findall(r'"([^"]*)" : landplan_layer_', rest)]
    assert page.escape_text(f"Border: {HOSTILE}") in labels  # the layer control's label: the one escape path


def test_the_border_layer_and_script_come_only_with_a_border(pages):
    bordered, plain = pages["bordered"], pages["plain"]
    script = page.static_text("border.js")
    assert script in bordered and "L.landplanBorder(landplan);" in bordered
    assert script not in plain and "landplanBorder" not in plain
    data, _ = _payload(plain)
    assert "border" not in data and "border_colors" not in data["meta"]
    assert data["meta"]["legend"] == style.map_legend()
    labels = [json.loads(f'"{x}"') for x in re.findall(r'"([^"]*)" : landplan_layer_', plain)]
    assert labels == [page.escape_text(name) for _, name, _ in style.MAP_LAYERS]
    with_border = [json.loads(f'"{x}"') for x in re.findall(r'"([^"]*)" : landplan_layer_', bordered)]
    assert with_border[: len(labels)] != labels and with_border.pop(8) == page.escape_text(f"Border: {HOSTILE}")
    assert with_border == labels  # the border's layer follows the 1967 line's, and is the only one added


def test_without_its_border_the_page_is_the_bordered_one_less_the_border(runs, pages):
    """The border adds to the page and changes nothing else: its payload less the border is the plain payload."""
    inp = _inputs(runs["bordered"])
    bare = dataclasses.replace(inp, border=None)
    with_border = phase_map.build_payload(inp)
    without = phase_map.build_payload(bare)
    with_border.pop("border")
    with_border["meta"].pop("border_colors")
    with_border["meta"]["legend"].pop("border")
    assert with_border == without
    html = phase_map.phase_map(bare).get_root().render()
    assert "landplanBorder" not in html and phase_map.payload_json(without) in html


def test_a_border_that_annexes_nothing_draws_nothing(runs):
    """The 1967 line as a border: no annexed or swapped land to draw, and no figure made up."""
    run = runs["bordered"]
    border = run.border
    nothing = BorderResult(
        "The 1967 line", shapely.Polygon(), shapely.Polygon(), border.palestine, [], border.denominators.iloc[:0]
    )
    data = phase_map.build_payload(dataclasses.replace(_inputs(run), border=nothing))
    assert data["border"]["geojson"]["features"] == []
    assert data["border"]["figures"] == []
    assert data["meta"]["legend"]["border"][0][1:] == ["Annexed by {name}", {"name": "The 1967 line"}]


def test_the_border_script_is_fixed_text_using_the_apps_public_api():
    text = (STATIC / "border.js").read_text(encoding="utf-8")
    assert re.search(r"</(?:script|style)", text, re.I) is None and "landplan-slot" not in text
    assert re.findall(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(", text) == []  # colours come from the payload
    assert re.findall(r"\bapp\.(_\w+)", text) == []
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text


@pytest.mark.browser
def test_the_browser_draws_the_border_and_shows_its_name_as_text(pages, tmp_path, open_map):
    path = tmp_path / "bordered.html"
    path.write_text(pages["bordered"], encoding="utf-8")
    view, log = open_map(path)
    assert log.errors == [] and log.dialogs == [] and log.requests == []
    state = view.evaluate(
        """() => {
            const a = landplan, g = a.layers.border;
            let painted = null, n = 0;
            g.eachLayer((x) => { n++; if (x.painted !== undefined) painted = x.painted; });
            const legend = () => document.querySelector('.lp-legend').textContent;
            const shown = {on: a.map.hasLayer(g), n, painted, panel: document.querySelector('.lp-border').textContent,
              legend: legend()};
            a.map.removeLayer(g);
            shown.legendOff = legend();
            return shown;
        }"""
    )
    assert state["on"] and state["n"] == 2 and state["painted"] == 1
    assert state["panel"].startswith(f"Border: {HOSTILE}") and "% of the West Bank" in state["panel"]
    assert f"Annexed by {HOSTILE}" in state["legend"] and "Annexed by" not in state["legendOff"]


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["ar", "he"])
def test_the_border_speaks_the_language_shown_and_survives_a_switch(pages, tmp_path, open_map, lang):
    path = tmp_path / "bordered.html"
    path.write_text(pages["bordered"], encoding="utf-8")
    view, log = open_map(path)
    view.evaluate("void landplan.setLanguage('he'); void landplan.setLanguage('en')")
    view.evaluate(f"void landplan.setLanguage('{lang}')")
    assert view.locator(".lp-border").count() == 1  # rebuilt with the panel, once
    texts = view.evaluate("""() => {
        const bare = (e) => { const c = e.cloneNode(true); c.querySelectorAll('.lp-data').forEach((d) => d.remove());
                              return c.textContent; };
        return [bare(document.querySelector('.lp-border')), bare(document.querySelector('.lp-legend')),
                bare(document.querySelector('.leaflet-control-layers'))];
    }""")
    for text in texts:  # the scenario's name aside, no English is left
        assert not re.search(r"[A-Za-z]", text), text
    assert view.locator(".leaflet-control-layers .lp-data").first.text_content() == HOSTILE
    assert log.errors == [] and log.dialogs == [] and log.requests == []


# -- the atlas -------------------------------------------------------------------------------------------------------


def test_the_atlas_cover_names_the_border_and_its_figures(runs, tmp_path):
    run = runs["bordered"]
    pdf = atlas.write_atlas(run, tmp_path / "a.pdf", "abc123", "2027-01-01")[0]
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1 + len(atlas.milestones(run))
    cover = reader.pages[0].extract_text()
    flat = " ".join(cover.split())
    assert f"Border: {HOSTILE}" in flat
    for label, text in style.border_headline(run.border):
        assert f"{label}: {text}" in flat
    assert "Annexed by" in flat and "1967 line" in flat
    first = " ".join(reader.pages[1].extract_text().split())
    assert "Annexed by" in first and "Swapped land joining Palestine" in first


# -- the comparison page and the diff --------------------------------------------------------------------------------


def test_the_comparison_page_names_each_plans_border(runs):
    a, b = _inputs(runs["bordered"]), _inputs(runs["plain"])
    html = compare_map.comparison_html(a, b)
    assert page.escape_text(f"bordered plan (border: {HOSTILE})") in html
    assert HOSTILE not in html and "<script>alert" not in html


def test_the_diff_says_which_border_each_plan_is_inside(runs):
    cmp = diff.compare(runs["bordered"], runs["plain"])
    assert (cmp.border_a, cmp.border_b) == (HOSTILE, None)
    notes = " ".join(cmp.notes)
    assert f"plan A is planned inside the border '{HOSTILE}'" in notes
    assert "plan B names no border" in notes and "borders differ" in notes
    same = diff.compare(runs["plain"], runs["plain"])
    assert same.border_a is None and same.border_b is None
    assert not any("border" in n for n in same.notes)


# -- the modules -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["border_map", "phase_map", "compare_map", "atlas"])
def test_output_modules_import_no_private_name(module):
    tree = ast.parse((ROOT / "geo" / "output" / f"{module}.py").read_text(encoding="utf-8"))
    private = [
        a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.level > 0
        for a in n.names
        if a.name.startswith("_")
    ]
    assert private == []


def test_border_html_loads_neither_the_planner_nor_the_solver(tmp_path):
    """``landplan border --html`` draws through geo.output.page: no plan run, no OR-Tools, no matplotlib."""
    script = (
        "import io, contextlib, json, sys\n"
        "from geo.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
        "    code = main(sys.argv[1:])\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps({'code': code, 'run': 'geo.run' in sys.modules, 'heavy': sorted(top & {'ortools', "
        "'matplotlib'})}))\n"
    )
    out = tmp_path / "gl.html"
    argv = ["--workspace", str(ROOT), "border", "green-line", "--html", str(out)]
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 0, "run": False, "heavy": []}
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_geopackage_helpers_are_public():
    assert callable(export.fix_timestamps)
    assert isinstance(export.WRITE_ERRORS, tuple) and all(issubclass(e, Exception) for e in export.WRITE_ERRORS)
    assert "fix_timestamps" in export.__all__ and "WRITE_ERRORS" in export.__all__
    assert page.escape_text is phase_map.escape_text and page.payload_json is phase_map.payload_json


def test_exports_carry_the_border_and_name_it(runs):
    from geo.output import export

    bordered = export.spatial_layers(runs["bordered"])
    assert set(bordered["border"]["part"]) == {"annexed", "swapped", "palestine"}
    assert "border" not in export.spatial_layers(runs["plain"])
    assert export._metadata(runs["bordered"], "0123456789ab")["border"] == HOSTILE


def test_a_shape_that_cannot_be_rounded_is_drawn_as_it_is(monkeypatch):
    import shapely

    from geo.output import border_map

    def refuse(*args, **kwargs):
        raise shapely.errors.GEOSException("TopologyException: unable to assign free hole to a shell")

    monkeypatch.setattr(border_map.shapely, "set_precision", refuse)
    square = shapely.box(200_000, 600_000, 201_000, 601_000)  # EPSG:2039
    doc = border_map._features([square], [{"part": "annexed"}])
    assert len(doc["features"]) == 1 and doc["features"][0]["geometry"]["type"] == "Polygon"
