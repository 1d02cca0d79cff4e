"""Text from plans and layers stays data on the map pages: never a template, never a format string.

Each class of hostile or merely unlucky text (Jinja expressions, statements, comments, raw blocks, format
braces, the page's own slot markers, code that would run if evaluated, bidirectional controls) is put in the
plan's name and in a zone's, a crossing's and a settlement's name, and must come out of ``phase_map`` and
``comparison_html`` exactly as written, as data.
"""

from __future__ import annotations

import ast
import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from test_render import small_inputs

from geo.output import compare_map, phase_map

ROOT = Path(__file__).resolve().parent.parent

#: where a text goes: (layer, id column, id); "plan" is the plan's name
PLACES = {
    "plan": None,
    "zone": ("zones", "zone_id", "jenin-a"),
    "crossing": ("crossings", "crossing_id", "allenby"),
    "settlement": ("settlements", "settlement_id", None),  # None: the layer's first feature
}

JINJA_EXPRESSIONS = [
    "{{7*7}}",
    "{{ 7*'7' }}",
    "{{ config }}",
    "{{ self }}",
    "{{ lipsum }}",
    "{{ this.render() }}",
    "unterminated {{ x",
    "stray }} closer",
    "{{- 'trim' -}}",
]
JINJA_STATEMENTS = [
    "{% if 1 %}yes{% endif %}",
    "{% for i in range(3) %}{{ i }}{% endfor %}",
    "{% set x = 1 %}",
    "{%",
    "{% endif %}",
    "{%- macro m() -%}{%- endmacro -%}",
    "{% include 'x.html' %}",
]
JINJA_COMMENTS = [
    "a {# hidden #} b",
    "{#",
    "#}",
    "{# unclosed comment",
    "x{#- y -#}z",
]
JINJA_RAW = [
    "{% raw %}{{7*7}}{% endraw %}",
    "{% endraw %}{{7*7}}",
    "{% raw %}",
    "{{ '{% raw %}' }}",
]
FORMAT_BRACES = [
    "{0}",
    "{title}",
    "{name_a}",
    "{doc_b}",
    "{}",
    "{horizon!r:>10}",
    "{0.__class__.__mro__}",
    "}{",
    "{{}}",
]
SLOT_MARKERS = [
    "<!--landplan-slot:title-->",
    "<!--landplan-slot:landplan_data-->",
    "<!--landplan-slot:doc_a-->",
    "<!--landplan-slot:nope-->",
]
#: text whose evaluation would put a result on the page that the text itself does not contain
EVALUATES = [
    ("{{7*7}}", "49"),
    ("{{ 7*'7' }}", "7777777"),
    ("{{ 'LP' ~ 'EVALUATED' }}", "LPEVALUATED"),
    ("{% for i in range(3) %}{{ 'LP' ~ 'LOOP' }}{% endfor %}", "LPLOOP"),
    ("{% if 0 %}x{% else %}{{ 'LP' ~ 'ELSE' }}{% endif %}", "LPELSE"),
    ("{{ '%s%s' % ('LP', 'PCT') }}", "LPPCT"),
]
CANARIES = [
    pytest.param("{{{{ lipsum.__globals__.os.popen('touch {path}').read() }}}}", id="lipsum-popen"),
    pytest.param("{{{{ cycler.__init__.__globals__.os.system('touch {path}') }}}}", id="cycler-system"),
    pytest.param("{{% set x = joiner.__init__.__globals__.os.mknod('{path}') %}}", id="joiner-mknod"),
    pytest.param("{{{{ namespace.__init__.__globals__.os.makedirs('{path}') }}}}", id="namespace-makedirs"),
    pytest.param(
        "{{{{ self._TemplateReference__context.cycler.__init__.__globals__.os.popen('touch {path}').read() }}}}",
        id="context-popen",
    ),
]
BIDI_CONTROLS = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI_MARKS = ["\u200e", "\u200f", "\u061c"]

ALL_TEXTS = JINJA_EXPRESSIONS + JINJA_STATEMENTS + JINJA_COMMENTS + JINJA_RAW + FORMAT_BRACES + SLOT_MARKERS


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> phase_map.MapInputs:
    """A small solved plan; each test changes only texts, so nothing is solved twice."""
    return small_inputs(tmp_path_factory.mktemp("base"))


@pytest.fixture(scope="module")
def plain_page(base: phase_map.MapInputs) -> str:
    """The page of ``base`` with ordinary text in every place the tests put theirs."""
    return render_page(with_text(base, "plain text"))


@pytest.fixture(scope="module")
def plain_comparison(base: phase_map.MapInputs) -> str:
    """The comparison of ``base`` with itself, ordinary text in plan B."""
    return compare_map.comparison_html(base, with_text(base, "plain text"))


def _row(inp: phase_map.MapInputs, where: str) -> int:
    layer, col, key = PLACES[where]
    ids = list(inp.layers[layer][col])
    return 0 if key is None else ids.index(key)


def with_text(inp: phase_map.MapInputs, text: str, where: str | tuple[str, ...] = tuple(PLACES)) -> phase_map.MapInputs:
    """``inp`` with ``text`` as the plan's name and/or as the name of one feature of each layer named."""
    for place in (where,) if isinstance(where, str) else where:
        if PLACES[place] is None:
            inp = dataclasses.replace(inp, plan_name=text)
            continue
        layer = PLACES[place][0]
        gdf = inp.layers[layer].copy()
        gdf["name"] = gdf["name"].astype(object)
        gdf.loc[gdf.index[_row(inp, place)], "name"] = text
        inp = dataclasses.replace(inp, layers={**inp.layers, layer: gdf})
    return inp


def payload_of(page: str) -> dict:
    found = re.findall(r'<script type="application/json" id="landplan-data">(.*?)</script>', page, re.S)
    assert len(found) == 1
    return json.loads(found[0])


def title_of(page: str) -> str:
    found = re.findall(r"<title>(.*?)</title>", page, re.S)
    assert len(found) == 1
    return html.unescape(found[0])


def shown(page: str, inp: phase_map.MapInputs, where: str) -> str:
    """The text the page's payload carries for ``where``."""
    data = payload_of(page)
    if PLACES[where] is None:
        return data["meta"]["plan"]
    if where == "zone":
        return data["zones"]["props"][data["zones"]["id"].index("jenin-a")][0]
    key = {"crossing": "crossings", "settlement": "settlements"}[where]
    return data[key]["props"][_row(inp, where)][0]


def render_page(inp: phase_map.MapInputs) -> str:
    return phase_map.phase_map(inp).get_root().render()


def assert_literal(
    page: str, inp: phase_map.MapInputs, text: str, where: str | tuple[str, ...] = tuple(PLACES)
) -> None:
    """The page carries ``text`` as written in every place it was put, and its title is the plan's name."""
    places = (where,) if isinstance(where, str) else where
    assert {p: shown(page, inp, p) for p in places} == dict.fromkeys(places, text)
    assert title_of(page) == f"{inp.plan_name} - landplan"


def _check_map(base: phase_map.MapInputs, text: str) -> None:
    inp = with_text(base, text)
    assert inp.plan_name == text
    assert_literal(render_page(inp), inp, text)


class TestPhaseMapKeepsTemplateSyntaxAsText:
    """The text is the plan's name and a zone's, a crossing's and a settlement's name at once."""

    @pytest.mark.parametrize("text", JINJA_EXPRESSIONS)
    def test_expressions(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize("text", JINJA_STATEMENTS)
    def test_statements(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize("text", JINJA_COMMENTS)
    def test_comments_do_not_vanish(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize("text", JINJA_RAW)
    def test_raw_blocks(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize("text", FORMAT_BRACES)
    def test_format_braces(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize("text", SLOT_MARKERS)
    def test_the_pages_own_slot_markers(self, base, text):
        _check_map(base, text)

    @pytest.mark.parametrize(("text", "result"), EVALUATES)
    def test_nothing_is_evaluated(self, base, plain_page, text, result):
        inp = with_text(base, text)
        page = render_page(inp)
        assert result not in text
        assert page.count(result) == plain_page.count(result)  # the result is nowhere...
        assert_literal(page, inp, text)  # ...and the text is there as written


@pytest.mark.parametrize("where", PLACES)
def test_each_place_alone_keeps_template_syntax_as_text(base, where):
    for text in ("{{7*7}}", "{% if 1 %}x{% endif %}", "a {# hidden #} b", "{0} {title}"):
        inp = with_text(base, text, where)
        assert_literal(render_page(inp), inp, text, where)


def _frames(page: str) -> list[str]:
    return [html.unescape(d) for d in re.findall(r'<iframe id="lp-[ab]" title="plan [AB]" srcdoc="([^"]*)"', page)]


class TestComparisonKeepsTemplateAndFormatSyntaxAsText:
    """``diff --html``: plan B carries the text in its name and in its layers."""

    @pytest.mark.parametrize("text", list(dict.fromkeys(ALL_TEXTS[::2] + FORMAT_BRACES + SLOT_MARKERS)))
    def test_texts(self, base, text):
        b = with_text(base, text)
        page = compare_map.comparison_html(base, b)
        frames = _frames(page)
        assert len(frames) == 2
        assert_literal(frames[1], b, text)
        assert shown(frames[0], base, "plan") == base.plan_name
        names = [html.unescape(n) for n in re.findall(r'<span class="lp-name" dir="auto">(.*?)</span>', page)]
        assert names == [base.plan_name, text]
        assert title_of(page) == f"{base.plan_name} vs {text}"

    @pytest.mark.parametrize(("text", "result"), EVALUATES)
    def test_nothing_is_evaluated(self, base, plain_comparison, text, result):
        page = html.unescape(compare_map.comparison_html(base, with_text(base, text)))
        assert page.count(result) == html.unescape(plain_comparison).count(result)


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("canary", CANARIES)
def test_code_in_names_does_not_run(base, tmp_path, canary, where):
    target = tmp_path / "ran"
    text = canary.format(path=target)
    inp = with_text(base, text, where)
    page = render_page(inp)
    compared = compare_map.comparison_html(inp, base)
    assert not target.exists()
    assert_literal(page, inp, text, where)
    assert_literal(_frames(compared)[0], inp, text, where)


@pytest.mark.parametrize("canary", CANARIES[:3])
def test_code_in_a_plan_file_does_not_run_on_the_way_to_the_file(tmp_path, canary):
    target = tmp_path / "ran"
    text = canary.format(path=target)
    inp = small_inputs(tmp_path / "plan", name=text)
    page = phase_map.write_phase_map(inp, tmp_path / "map.html").read_bytes().decode("utf-8")
    assert not target.exists()
    assert inp.plan_name == text
    assert_literal(page, inp, text, "plan")


def test_two_builds_with_template_text_are_identical(base, tmp_path):
    inp = with_text(with_text(base, "{{7*7}} {# c #}", "plan"), "{% raw %}", ("zone", "crossing"))
    a = phase_map.write_phase_map(inp, tmp_path / "a.html").read_bytes()
    b = phase_map.write_phase_map(inp, tmp_path / "b.html").read_bytes()
    assert a == b


def test_every_rendering_path_fills_the_page(base, tmp_path):
    inp = with_text(base, "{{ 'LP' ~ 'SAVE' }}", "plan")
    phase_map.phase_map(inp).save(str(tmp_path / "saved.html"))
    saved = (tmp_path / "saved.html").read_bytes().decode("utf-8")
    assert saved == render_page(inp)
    assert "landplan-slot" not in saved
    assert payload_of(saved)["meta"]["plan"] == "{{ 'LP' ~ 'SAVE' }}"


@pytest.mark.parametrize(
    "value",
    [
        {"a": "{{x}}"},
        {"a": ["{", "}", "{%", "#}"], "b": {"c": "}{"}},
        {"{key}": [1, 2.5, None, True], "n": {"m": {"k": "{0}"}}},
        ["{{", {"x": "\\{"}, '"{'],
    ],
)
def test_payload_json_escapes_braces_inside_strings(value):
    text = phase_map.payload_json(value)
    assert json.loads(text) == value
    assert (
        text.count("{") == text.count("}") == json.dumps(value).count("{") - sum(s.count("{") for s in _strings(value))
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.parametrize("text", [*ALL_TEXTS, "${x}", "`x`", "\\", "<b>"])
def test_escape_text_leaves_no_template_or_script_syntax(text):
    out = phase_map.escape_text(text)
    assert not set(out) & set("{}<>`$\\\"'")
    assert html.unescape(out) == text


def _template_sources(tree: ast.AST) -> list[ast.expr]:
    """The first argument of every ``Template(...)``, ``Element(...)`` and ``Environment.from_string(...)``."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            if name in ("Template", "Element", "from_string"):
                out.append(node.args[0])
    return out


def _is_fixed(node: ast.expr) -> bool:
    """A literal string, a concatenation of fixed parts, or a script of the module's ``_SCRIPTS`` table."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_fixed(node.left) and _is_fixed(node.right)
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "_SCRIPTS"


@pytest.mark.parametrize(("module", "templates"), [("phase_map", True), ("compare_map", False)])
def test_map_modules_build_templates_from_fixed_text_only(module, templates):
    tree = ast.parse((ROOT / "geo" / "output" / f"{module}.py").read_text(encoding="utf-8"))
    sources = _template_sources(tree)
    assert bool(sources) == templates, "only phase_map gives folium templates, and only fixed ones"
    loose = [ast.unparse(s) for s in sources if not _is_fixed(s)]
    assert loose == []
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    assert [ast.unparse(c) for c in calls if c.func.attr in ("format", "format_map")] == []
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    if not templates:  # the comparison page is filled by fill_slots alone: no template engine is in reach
        assert not imported & {"jinja2", "Template", "Environment", "Element", "MacroElement", "folium"}


@pytest.mark.parametrize("page", ["compare.html", "compare.js", "landplan.js", "landplan.css"])
def test_static_pieces_cannot_end_their_element_or_fake_a_slot(page):
    """The static files go into the pages as they are: none may close its element or hold a marker."""
    text = (ROOT / "geo" / "output" / "static" / page).read_text(encoding="utf-8")
    if page != "compare.html":
        assert re.search(r"</(?:script|style)", text, re.I) is None
        assert "landplan-slot" not in text
    else:
        assert sorted(re.findall(r"<!--landplan-slot:([a-z_]+)-->", text)) == sorted(
            ["title", "name_a", "name_b", "horizon", "doc_a", "doc_b", "compare_js"]
        )


# ---- bidirectional controls (issue 8, defect 14) ----


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_plain_text_removes_bidi_controls_and_keeps_marks(control):
    text = f"{control}evil{control} name {''.join(BIDI_MARKS)}{control}"
    assert phase_map.plain_text(text) == "evil name " + "".join(BIDI_MARKS)
    assert control not in phase_map.escape_text(text)
    assert phase_map.plain_text(None) == ""


@pytest.mark.parametrize("control", BIDI_CONTROLS)
def test_payload_json_removes_bidi_controls_everywhere(control):
    value = {f"k{control}": [f"{control}a", {"b": f"b{control}"}], "n": 1}
    text = phase_map.payload_json(value)
    assert control not in text and f"\\u{ord(control):04x}" not in text.lower()
    assert json.loads(text) == {"k": ["a", {"b": "b"}], "n": 1}


def _bidi_escapes(page: str) -> list[str]:
    found = [c for c in BIDI_CONTROLS if c in page]
    return found + re.findall(r"\\u(?:202[a-e]|206[6-9])", page, re.I)


@pytest.mark.parametrize("control", ["\u202e", "\u202b", "\u2067", "\u2066", "\u202d", "\u202c\u2069"])
def test_pages_carry_no_bidi_controls(base, control):
    inp = with_text(base, f"{control}reversed name")
    page = render_page(inp)
    assert _bidi_escapes(page) == []
    assert {p: shown(page, inp, p) for p in PLACES} == dict.fromkeys(PLACES, "reversed name")
    assert title_of(page) == "reversed name - landplan"
    compared = compare_map.comparison_html(base, inp)
    assert _bidi_escapes(compared) == []
    assert _bidi_escapes(html.unescape(compared)) == []


def test_bidi_marks_are_kept_as_data(base):
    text = "\u200fשם\u200e name"
    inp = with_text(base, text, "zone")
    assert shown(render_page(inp), inp, "zone") == text


def test_comparison_names_are_isolated(base):
    page = compare_map.comparison_html(base, with_text(base, "\u202eB", "plan"))
    assert re.findall(r'<span class="lp-name" dir="auto">(.*?)</span>', page) == [base.plan_name, "B"]
    assert re.search(r"\.lp-name \{ unicode-bidi: isolate; \}", page)
