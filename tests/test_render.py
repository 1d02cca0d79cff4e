"""The phase map's HTML: one escape path, self-contained, deterministic; its payload read from the Timeline."""

import ast
import dataclasses
import functools
import json
import re
from pathlib import Path

import pytest
from conftest import TINY_PLAN
from test_compare import MOVEMENT_NAMES, SECURITY_NAMES, renamed

from geo import layers
from geo.output import compare_map, phase_map, style
from geo.plan import TaskId
from geo.run import run_loaded

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "geo" / "output" / "static"

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    "`backtick`",
    "C:\\plans\\zone",
]

SMALL_PLAN = """\
extends: defaults.yaml
meta:
  name: "{name}"
  start: "2027-01"
zones:
  use: [jenin-a, jenin-c, old-city, gaza-city]
crossings:
  - {{id: allenby, serves: [all], duration: 2}}
"""

#: plans of their own (no defaults) on shipped zones: other ladders, no crossings
OWN_LADDERS = """\
meta: {name: own ladders, start: '2030-01'}
horizon: 30
zones:
  use: [jenin-a, hebron-a, gaza-city]
security:
  states: [army, un_force, s2, s3, pa_police]
  steps:
    un_force: {duration: 2}
    s2: {duration: 1}
    s3: {duration: 1}
    pa_police: {duration: 3}
movement:
  levels: [shut, roads]
  steps:
    roads: {duration: 2, requires_security: s3}
resources:
  troops:
    - {from: 0, available: 100}
objective:
  minimize: completion
"""


#: the tiny plan with its ladders renamed, on three shipped zones
RENAMED = renamed(TINY_PLAN.replace("gate-x", "allenby"), SECURITY_NAMES, MOVEMENT_NAMES).replace(
    "security:\n", "zones:\n  use: [jenin-a, hebron-a, gaza-city]\nsecurity:\n", 1
)


@functools.cache
def shipped_layers() -> dict:
    """The shipped layers, read once; callers copy a layer before changing it."""
    return layers.load_all(ROOT)


def _rename(ly: dict, zone_names: list[str]) -> dict:
    z = ly["zones"].copy()
    z["name"] = z["name"].astype(object)
    for zid, n in zip(["jenin-a", "jenin-c", "old-city", "gaza-city"], zone_names, strict=False):
        z.loc[z["zone_id"] == zid, "name"] = n
    s = ly["settlements"].copy()
    s["name"] = s["name"].astype(object)
    s.loc[s.index[0], "name"] = zone_names[0]
    return {**ly, "zones": z, "settlements": s}


def small_inputs(
    tmp_path: Path, name: str = "small plan", zone_names: list[str] | None = None, text: str | None = None
) -> phase_map.MapInputs:
    """A small plan (or ``text``) run against the shipped layers, as map inputs."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    p = tmp_path / "small.yaml"
    if text is None:
        text = SMALL_PLAN.format(name=name.replace("\\", "\\\\").replace('"', '\\"'))
    p.write_text(text, encoding="utf-8")
    ly = dict(shipped_layers())
    if zone_names:
        ly = _rename(ly, zone_names)
    run = run_loaded(p, ly, 0.5)
    return phase_map.MapInputs.from_run(run, "0123456789ab", "2027-01-01")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_characters(payload):
    out = phase_map.escape_text(payload)
    assert not set(out) & set("<>`$\\\"'")


def test_payload_json_cannot_close_its_script_element():
    data = {"names": PAYLOADS, "n": [1, None]}
    text = phase_map.payload_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
    with pytest.raises(ValueError, match="JSON compliant"):
        phase_map.payload_json({"x": float("nan")})


def test_payload_carries_state_as_step_months_not_copies(tmp_path):
    inp = small_inputs(tmp_path)
    data = phase_map.build_payload(inp)
    z = data["zones"]
    assert z["id"] == ["jenin-a", "jenin-c", "old-city", "gaza-city"]
    assert sorted(z["steps"]) == ["movement", "security"]
    assert len(z["steps"]["security"]) == 4 and all(len(x) == 2 for x in z["steps"]["security"])
    assert all(len(x) == 3 for x in z["steps"]["movement"])
    assert z["steps"]["security"][0][0] == inp.schedule.end["jenin-a/security/international"]
    assert len(data["metrics"]["rows"]) == inp.problem.horizon + 1
    assert len(data["months"]) == inp.problem.horizon + 1
    names = [p[z["fields"].index("name")] for p in data["crossings"]["props"]]
    assert data["crossings"]["open"][names.index("Allenby / King Hussein Bridge")] is not None


@pytest.fixture(
    scope="module",
    params=[
        pytest.param(None, id="defaults"),
        pytest.param(RENAMED, id="renamed-ladders"),
        pytest.param(OWN_LADDERS, id="five-states-no-crossings"),
    ],
)
def ladder_inputs(request, tmp_path_factory) -> phase_map.MapInputs:
    return small_inputs(tmp_path_factory.mktemp("ladders"), text=request.param)


def _expected_end(inp: phase_map.MapInputs, key: TaskId) -> int | None:
    """The schedule's own answer, by the task's id (independent of the Timeline)."""
    return inp.schedule.end.get(str(key)) if str(key) in inp.problem.tasks else None


def test_payload_reads_every_step_month_from_the_timeline(ladder_inputs):
    inp = ladder_inputs
    p, data = inp.problem, phase_map.build_payload(inp)
    ladders = {"security": p.security_states, "movement": p.movement_levels}
    assert [(t["name"], t["states"]) for t in data["meta"]["tracks"]] == list(ladders.items())
    for track, ladder in ladders.items():
        rows = data["zones"]["steps"][track]
        assert len(rows) == len(p.zones)
        for z, row in zip(p.zones, rows, strict=True):
            assert row == [inp.timeline.month_reached(z, track, st) for st in ladder[1:]]
            assert row == [_expected_end(inp, TaskId(z, track, st)) for st in ladder[1:]]
    ids = [str(c) for c in inp.layers["crossings"]["crossing_id"]]
    assert data["crossings"]["open"] == [_expected_end(inp, TaskId.crossing(c)) for c in ids]
    obst = inp.layers["obstacles"][inp.layers["obstacles"]["zone_id"].isin(p.zones)]
    expected = [_expected_end(inp, TaskId(str(z), "movement", p.movement_levels[1])) for z in obst["zone_id"]]
    assert data["obstacles"]["removed"] == expected
    assert len(expected) > 0 and any(m is not None for m in expected)


def test_payload_obstacles_agree_with_the_metrics(ladder_inputs):
    inp = ladder_inputs
    data = phase_map.build_payload(inp)
    removed = data["obstacles"]["removed"]
    for month in (0, 5, 12, inp.problem.horizon):
        shown = sum(m is not None and m <= month for m in removed)
        assert shown == inp.metrics.set_index("month").loc[month, "obstacles_removed"], month


def test_map_code_builds_no_task_ids_and_reads_no_schedule_ends():
    """The map asks the Timeline when a zone reaches a state; it never rebuilds or splits a task id."""
    tree = ast.parse((ROOT / "geo" / "output" / "phase_map.py").read_text(encoding="utf-8"))
    ids = [
        ast.unparse(n)
        for n in ast.walk(tree)
        if isinstance(n, ast.JoinedStr)
        and any(isinstance(v, ast.Constant) and v.value in ("/", "crossing/", "gate/") for v in n.values)
    ]
    assert ids == []
    ends = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "end"]
    assert ends == []
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func).endswith(".split")]


def test_from_run_shares_the_runs_timeline_and_names_it(tmp_path, monkeypatch):
    ly = dict(shipped_layers())
    (tmp_path / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    plan_file = tmp_path / "p.yaml"
    plan_file.write_text(SMALL_PLAN.format(name="from a run"), encoding="utf-8")
    run = run_loaded(plan_file, ly, 0.5)
    inp = phase_map.MapInputs.from_run(run, "feedc0ffee12", "2031-02-03")
    assert inp.timeline is run.timeline
    assert (inp.plan_name, inp.digest, inp.built) == ("from a run", "feedc0ffee12", "2031-02-03")
    assert inp.layers is run.layers and inp.schedule is run.schedule and inp.metrics is run.metrics
    by_hand = phase_map.MapInputs(run.layers, run.problem, run.schedule, run.metrics, run.name, inp.digest, inp.built)
    assert phase_map.build_payload(inp) == phase_map.build_payload(by_hand)
    for epoch, day in (("1800000000", "2027-01-15"), ("1900000000", "2030-03-17")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        assert phase_map.MapInputs.from_run(run, "x").built == day


def test_replacing_the_schedule_rebuilds_the_timeline(tmp_path):
    inp = small_inputs(tmp_path)
    later = dataclasses.replace(inp.schedule, end={k: v + 1 for k, v in inp.schedule.end.items()})
    moved = dataclasses.replace(inp, schedule=later)
    assert moved.timeline is not inp.timeline
    data = phase_map.build_payload(moved)
    first = data["zones"]["steps"]["security"][0][0]
    assert first == inp.schedule.end["jenin-a/security/international"] + 1
    renamed_only = dataclasses.replace(inp, plan_name="other")
    assert renamed_only.timeline.month_reached("jenin-a", "security", "international") == first - 1


# -- palettes and labels come from geo/output/style.py, through the payload ---------------------------------------


def test_palettes_and_legend_travel_in_the_payload(ladder_inputs):
    meta = phase_map.build_payload(ladder_inputs)["meta"]
    for t in meta["tracks"]:
        assert t["colors"] == style.track_colors(t["name"], len(t["states"]))
        assert len(set(t["colors"])) == len(t["states"])
    assert meta["colors"] == dict(style.LAYER_COLORS)
    assert meta["legend"] == style.map_legend()
    # in drawing order: every map layer but the basemap and the zones (whose legend is the plan's ladder)
    assert list(meta["legend"]) == [k for k, _, _ in style.MAP_LAYERS if k not in ("basemap", "zones")]
    assert meta["legend"]["line"] == [["#00441b", "1967 line"], ["#999999", "no-man's land"]]


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("LAYER_COLORS", "crossing", "#123456"),
        ("LAYER_COLORS", "sea", "#00ffff"),
        ("TRACK_COLORS", "security", ("#010203", "#040506", "#070809")),
        ("TRACK_COLORS", "movement", ("#aa0000",)),
    ],
)
def test_a_palette_changed_in_style_reaches_the_payload(tmp_path, monkeypatch, table, key, value):
    inp = small_inputs(tmp_path)
    monkeypatch.setitem(getattr(style, table), key, value)
    meta = phase_map.build_payload(inp)["meta"]
    if table == "LAYER_COLORS":
        assert meta["colors"][key] == value
        assert value in [c for entries in meta["legend"].values() for c, _ in entries] or key == "sea"
    else:
        track = next(t for t in meta["tracks"] if t["name"] == key)
        assert track["colors"][: len(value)] == list(value)[: len(track["states"])]


_COLOUR_LITERAL = re.compile(
    r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(|'(?:white|black|gr[ae]y|red|green|blue|silver|navy|maroon|purple)'"
)


@pytest.mark.parametrize("script", ["landplan.js", "compare.js"])
def test_the_scripts_hold_no_colour_of_their_own(script):
    text = (STATIC / script).read_text(encoding="utf-8")
    assert _COLOUR_LITERAL.findall(text) == []


@pytest.mark.parametrize(
    ("track", "n"), [("security", 3), ("security", 9), ("movement", 6), ("movement", 8), ("ledger", 4), ("x", 12)]
)
def test_every_track_gets_distinct_colours(track, n):
    colours = style.track_colors(track, n)
    assert len(colours) == n == len(set(colours))
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    if track == "security":
        assert colours == style.state_colors(n)
    if track == "movement":
        assert colours == style.level_colors(n)


def test_the_script_reads_facts_by_field_name():
    text = (STATIC / "landplan.js").read_text(encoding="utf-8")
    assert re.findall(r"props\s*\[[^\]]*\]\s*\[\s*\d+\s*\]", text) == []
    assert re.findall(r"\.(?:sec|mov)\b", text) == []  # zone steps are read by track name


# -- the page --------------------------------------------------------------------------------------------------------


def test_html_is_self_contained_deterministic_and_inert(tmp_path):
    inp = small_inputs(tmp_path, name=PAYLOADS[1], zone_names=PAYLOADS)
    a = phase_map.write_phase_map(inp, tmp_path / "a.html").read_text(encoding="utf-8")
    b = phase_map.write_phase_map(inp, tmp_path / "b.html").read_text(encoding="utf-8")
    assert a == b
    assert not re.search(r"<script[^>]+src=", a)
    assert not re.search(r"<link[^>]+href=\"https?:", a)
    data = re.search(r'<script type="application/json" id="landplan-data">(.*?)</script>', a, re.S)
    assert data is not None
    assert json.loads(data.group(1))["meta"]["plan"] == PAYLOADS[1]  # the payload holds the text as data...
    rest = a.replace(data.group(0), "")
    for p in PAYLOADS:
        assert p not in rest  # ...and nothing else on the page does
    assert a.count("</script>") == a.count("<script")
    assert "0123456789ab" in a  # the digest travels in the payload


def test_cdn_option_links_leaflet_with_integrity(tmp_path):
    html = phase_map.phase_map(small_inputs(tmp_path), cdn=True).get_root().render()
    assert re.search(
        r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet@1\.9\.3/dist/leaflet\.js" '
        r'integrity="sha384-[A-Za-z0-9+/=]{64}" crossorigin="anonymous">',
        html,
    )


def test_build_date_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert phase_map.build_date() == "2027-01-15"


def test_digest_changes_with_any_input(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("x")
    b.write_text("y")
    d1 = phase_map.digest([a, b])
    b.write_text("z")
    assert phase_map.digest([a, b]) != d1
    assert len(d1) == 12


# -- the comparison page ---------------------------------------------------------------------------------------------


def test_the_comparison_page_is_the_static_page_with_its_slots_filled(tmp_path):
    a = small_inputs(tmp_path / "a", name="plan A")
    b = small_inputs(tmp_path / "b", name="plan B")
    page = compare_map.comparison_html(a, b)
    template = (STATIC / "compare.html").read_text(encoding="utf-8")
    fixed = re.split(r"<!--landplan-slot:[a-z_]+-->", template)
    assert len(fixed) == 8
    pos = 0
    for piece in fixed:  # every fixed piece of the static page, in order
        pos = page.index(piece, pos) + len(piece)
    assert (STATIC / "compare.js").read_text(encoding="utf-8") in page
    assert "landplan-slot" not in page
    written = compare_map.write_comparison_map(a, b, tmp_path / "cmp.html")
    assert written.read_bytes().decode("utf-8") == page == compare_map.comparison_html(a, b)


def test_the_comparison_code_holds_no_markup_and_touches_no_private_member():
    tree = ast.parse((ROOT / "geo" / "output" / "compare_map.py").read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    markup = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and id(n) not in docs
        and re.search(r"<[a-zA-Z!/]", n.value)
    ]
    assert markup == []
    for script in ("compare.js", "landplan.js"):
        text = (STATIC / script).read_text(encoding="utf-8")
        uses = set(re.findall(r"\b(?:app|a|landplan|apps\[[^\]]+\])\.(_\w+)", text))
        assert uses == set(), script
    assert not re.findall(r"\._(?:live|reset|map|canvas|dpr)\b", (STATIC / "compare.js").read_text(encoding="utf-8"))
