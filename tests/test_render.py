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

from geo import layers, metrics
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


#: every section of the confederation on five shipped zones: baselines, crossing regimes with demand (Allenby over
#: capacity until its international regime, Erez from month 9 as its workers ramp up), a link, a residual presence
#: at a site, two early-warning stations (one sited), residence quotas, obstacle types, barrier steps, Jerusalem
FULL_PLAN = """\
extends: defaults.yaml
meta:
  name: "{name}"
  start: "2027-01"
horizon: 48
zones:
  use: [jenin-a, jenin-c, east-jerusalem, old-city, gaza-city]
baselines:
  jenin-a: {{security: palestinian}}
  east-jerusalem: {{security: israel_police}}
  old-city: {{security: israel_police}}
crossings:
  - id: allenby
    serves: [all]
    open_at_start: true
    capacity_per_day: 1000
    regimes:
      - {{regime: international, duration: 2, earliest: 6, people_per_day: 3000}}
      - {{regime: joint, partner: jordan, duration: 2, earliest: 12, people_per_day: 9000}}
  - {{id: erez, serves: [gaza-city], duration: 3, regime: international, capacity_per_day: 3000}}
demand:
  - {{id: travellers, kind: family_visits, crossings: [allenby], people_per_day: 2000, source: "{source}"}}
  - {{id: workers, kind: workers, crossings: [erez], people_per_day: 4000, from: 6, ramp_months: 4, source: "a test"}}
links:
  - id: safe-passage-south
    steps:
      escorted_convoys: {{duration: 2, after: [{{crossing: erez}}], people_per_day: 500}}
      open_to_people: {{duration: 2, earliest: 12, people_per_day: 2000}}
residual_presence:
  valley:
    zones: [jenin-c]
    during: international
    sites: [clinton-2000-baal-hazor]
    site_count: 2
    ends: 20
    source: "{source}"
early_warning:
  - {{id: "{station}", site: clinton-2000-baal-hazor, from: 0, until: 30, review_every: 12, source: "{source}"}}
  - {{id: station-b, from: 6}}
residence:
  opens: {{earliest: 6}}
  israelis_in_palestine: {{per_year: [1200]}}
  palestinians_in_israel: {{per_year: [2400], refugees_per_year: [120]}}
obstacles:
  checkpoint: {{duration: 1, after: [{{security: international}}]}}
  earthmound: {{duration: 1}}
barrier:
  - {{id: north, zones: [jenin-c], duration: 2, earliest: 10}}
  - {{id: jerusalem, zones: [east-jerusalem, old-city], duration: 3, earliest: 15}}
jerusalem: {{neighbourhoods: shared}}
"""


def full_plan(name: str = "confederation sections", station: str = "station-a", source: str = "a test figure") -> str:
    """:data:`FULL_PLAN` with its name, its sited station's id and the sources given (quotes escaped)."""

    def q(text: str) -> str:
        return text.replace("\\", "\\\\").replace('"', '\\"')

    return FULL_PLAN.format(name=q(name), station=q(station), source=q(source))


#: the tiny plan with its ladders renamed, on three shipped zones
RENAMED = renamed(TINY_PLAN.replace("gate-x", "allenby"), SECURITY_NAMES, MOVEMENT_NAMES).replace(
    "security:\n", "zones:\n  use: [jenin-a, hebron-a, gaza-city]\nsecurity:\n", 1
)


@functools.cache
def reference_map_file(folder):
    """The reference plan's map, written into ``folder``: (path, its inputs)."""
    run = run_loaded(ROOT / "plans" / "reference.yaml", shipped_layers(), 1.0)
    inp = phase_map.MapInputs.from_run(run, "test", "2027-01-01")
    return phase_map.write_phase_map(inp, folder / "reference.html"), inp


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


def at(changes: list, month: int) -> list:
    """What the page does: the change in effect in ``month`` of ``[[month, ...], ...]``."""
    return [c for c in changes if c[0] <= month][-1]


def test_payload_carries_state_as_the_months_it_changes_not_copies(tmp_path):
    inp = small_inputs(tmp_path)
    data = phase_map.build_payload(inp)
    z = data["zones"]
    assert z["id"] == ["jenin-a", "jenin-c", "old-city", "gaza-city"]
    assert sorted(z["states"]) == ["movement", "security"]
    ladder = inp.problem.security_states
    # idf at the start, then international and palestinian (israel_police and shared are skipped by default)
    assert len(z["states"]["security"]) == 4 and all(len(x) == 3 for x in z["states"]["security"])
    assert all(len(x) == 4 for x in z["states"]["movement"])
    first = z["states"]["security"][0]
    assert first[0] == [0, ladder.index("idf")]
    assert first[1] == [inp.schedule.end["jenin-a/security/international"], ladder.index("international")]
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
        rows = data["zones"]["states"][track]
        assert len(rows) == len(p.zones)
        for z, row in zip(p.zones, rows, strict=True):
            for month in range(p.horizon + 1):
                assert ladder[at(row, month)[1]] == inp.timeline.state_at(z, track, month), (z, track, month)
            for month, k in row[1:]:
                assert month == _expected_end(inp, TaskId(z, track, ladder[k]))
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
    first = data["zones"]["states"]["security"][0][1][0]
    assert first == inp.schedule.end["jenin-a/security/international"] + 1
    renamed_only = dataclasses.replace(inp, plan_name="other")
    assert renamed_only.timeline.month_reached("jenin-a", "security", "international") == first - 1


# -- palettes and labels come from geo/output/style.py, through the payload ---------------------------------------


def test_palettes_and_legend_travel_in_the_payload(ladder_inputs):
    meta = phase_map.build_payload(ladder_inputs)["meta"]
    for t in meta["tracks"]:
        assert t["colors"] == style.ladder_colors(t["name"], t["states"])
        assert len(set(t["colors"])) == len(t["states"])
    assert meta["colors"] == dict(style.LAYER_COLORS)
    assert meta["legend"] == style.map_legend()
    # in drawing order: every map layer but the basemap and the zones (whose legend is the plan's ladder)
    # the basemap, the zones (their own legend) and the place names (text that names itself) have no entry
    assert list(meta["legend"]) == [k for k, _, _ in style.MAP_LAYERS if k not in ("basemap", "zones", "places")]
    assert meta["legend"]["line"] == [["#00441b", "1967 line"], ["#999999", "no-man's land"]]


@pytest.mark.parametrize(
    ("table", "key", "value"),
    [
        ("LAYER_COLORS", "crossing_closed", "#123456"),
        ("LAYER_COLORS", "sea", "#00ffff"),
        ("REGIME_COLORS", "joint", "#0a0b0c"),
        ("TRACK_COLORS", "movement", ("#aa0000",)),
    ],
)
def test_a_palette_changed_in_style_reaches_the_payload(tmp_path, monkeypatch, table, key, value):
    inp = small_inputs(tmp_path)
    monkeypatch.setitem(getattr(style, table), key, value)
    meta = phase_map.build_payload(inp)["meta"]
    if table in ("LAYER_COLORS", "REGIME_COLORS"):
        assert (meta["colors"] if table == "LAYER_COLORS" else meta["regime_colors"])[key] == value
        assert value in [c for entries in meta["legend"].values() for c, _ in entries] or key == "sea"
    else:
        track = next(t for t in meta["tracks"] if t["name"] == key)
        assert track["colors"][: len(value)] == list(value)[: len(track["states"])]


def test_a_security_state_keeps_its_colour_wherever_the_ladder_puts_it(tmp_path, monkeypatch):
    inp = small_inputs(tmp_path)
    track = next(t for t in phase_map.build_payload(inp)["meta"]["tracks"] if t["name"] == "security")
    assert track["states"] == ["idf", "israel_police", "international", "palestinian", "shared"]
    named = style.NAMED_COLORS["security"]
    assert track["colors"] == [named[st] for st in track["states"]]
    assert style.ladder_colors("security", ["idf", "international", "palestinian"]) == [
        named["idf"],
        named["international"],
        named["palestinian"],
    ]
    monkeypatch.setitem(style.NAMED_COLORS["security"], "shared", "#010203")
    track = next(t for t in phase_map.build_payload(inp)["meta"]["tracks"] if t["name"] == "security")
    assert track["colors"][-1] == "#010203"
    # states of other names take the ladder palette, skipping the colours the named ones hold
    mixed = style.ladder_colors("security", ["army", "international", "pa"])
    assert mixed[1] == named["international"] and len(set(mixed)) == 3


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


# -- the confederation's entities on the map (issue 11) ------------------------------------------------------------


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> tuple[phase_map.MapInputs, dict]:
    """The plan of every section, as map inputs and payload."""
    inp = small_inputs(tmp_path_factory.mktemp("full"), text=full_plan())
    return inp, phase_map.build_payload(inp)


def _metric(inp: phase_map.MapInputs, column: str) -> list:
    return list(inp.metrics[column])


def test_zones_start_from_their_baseline_in_their_states_colour(full):
    _, data = full
    security = next(t for t in data["meta"]["tracks"] if t["name"] == "security")
    zones = data["zones"]["id"]
    start = {
        z: security["states"][at(row, 0)[1]] for z, row in zip(zones, data["zones"]["states"]["security"], strict=True)
    }
    assert start == {
        "jenin-a": "palestinian",  # Area A
        "jenin-c": "idf",
        "east-jerusalem": "israel_police",
        "old-city": "israel_police",
        "gaza-city": "idf",
    }
    colour = dict(zip(security["states"], security["colors"], strict=True))
    assert colour["palestinian"] == style.NAMED_COLORS["security"]["palestinian"]
    assert colour["israel_police"] == style.NAMED_COLORS["security"]["israel_police"]
    assert len(set(colour.values())) == 5


def test_crossings_carry_regime_capacity_and_demand_as_the_metrics_have_them(full):
    inp, data = full
    flows = metrics.crossing_flows(inp.problem, inp.timeline)
    spec = data["crossings"]["flows"]
    ids = [str(c) for c in inp.layers["crossings"]["crossing_id"]]
    planned = {c for c, rows in zip(ids, spec["rows"], strict=True) if rows is not None}
    assert planned == {"allenby", "erez"}
    over_by_month = [0] * (inp.problem.horizon + 1)
    for rec in flows.to_dict("records"):
        row = at(spec["rows"][ids.index(rec["crossing"])], rec["month"])
        shown = dict(zip(spec["fields"], row, strict=True))
        assert shown["regime"] == rec["regime"]
        for f in ("people_capacity", "people_demand", "trucks_capacity", "trucks_demand", "over_capacity"):
            assert shown[f] == rec[f], (rec["crossing"], rec["month"], f)
        over_by_month[rec["month"]] += shown["over_capacity"]
    assert over_by_month == _metric(inp, "crossings_over_capacity")
    allenby = spec["rows"][ids.index("allenby")]
    assert [(r[0], r[1], r[2]) for r in allenby] == [
        (0, "israeli", None),
        (8, "international", None),
        (14, "joint", "jordan"),
    ]
    erez = dict(zip(spec["fields"], at(spec["rows"][ids.index("erez")], 9), strict=True))
    assert erez["over_capacity"] and erez["people_demand"] == 4000 > erez["people_capacity"] == 3000


def test_links_change_state_as_the_timeline_says_and_carry_their_capacity(full):
    inp, data = full
    links = [str(x) for x in inp.layers["links"]["link_id"]]
    spec = data["links"]
    assert spec["states"][links.index("safe-passage-north")] is None  # not in the plan
    south = links.index("safe-passage-south")
    per_month = []
    for month in range(inp.problem.horizon + 1):
        state = at(spec["states"][south], month)[1]
        assert state == inp.timeline.state_at("safe-passage-south", "link", month)
        per_month.append(spec["capacity"][south][state][0] * metrics.DAYS_PER_MONTH)
    assert per_month == _metric(inp, "link_people_per_month")
    assert [s for _, s in spec["states"][south]] == ["closed", "escorted_convoys", "open_to_people"]


def test_obstacles_go_when_the_metrics_say_including_their_own_track(full):
    inp, data = full
    removed = data["obstacles"]["removed"]
    for month in range(inp.problem.horizon + 1):
        assert sum(m is not None and m <= month for m in removed) == _metric(inp, "obstacles_removed")[month]
    obst = inp.layers["obstacles"][inp.layers["obstacles"]["zone_id"].isin(inp.problem.zones)]
    checkpoints = [m for m, k in zip(removed, obst["type"], strict=True) if k == "checkpoint"]
    assert set(checkpoints) == {inp.timeline.month_reached("jenin-c", "obstacles", "checkpoint")}
    assert data["zones"]["obstacles"][inp.problem.zones.index("jenin-c")][0] == [1, "earthmound"]


def test_barrier_segments_and_seam_parts_go_with_their_zones_step(full):
    inp, data = full
    bar = inp.layers["barrier"]
    route = bar[bar["kind"] == "route"]
    removed = data["barrier"]["removed"]
    assert len(removed) == len(route) and len(data["barrier_gates"]["removed"]) == int((bar["kind"] == "gate").sum())
    # the metrics count the constructed barrier and the seam zone in the plan's zones
    built = list((route["status"] == "constructed") & route["zone_id"].isin(inp.problem.zones))
    in_plan = list(inp.layers["seam_zone"]["zone_id"].isin(inp.problem.zones))
    for month in range(inp.problem.horizon + 1):
        standing = sum(
            km
            for km, b, m in zip(route["length_km"], built, removed, strict=True)
            if b and not (m is not None and m <= month)
        )
        assert round(standing, 3) == _metric(inp, "barrier_km_standing")[month], month
        seam = sum(
            a
            for a, m, counted in zip(
                inp.layers["seam_zone"]["area_km2"], data["seam_zone"]["reconnected"], in_plan, strict=True
            )
            if counted and m is not None and m <= month
        )
        assert round(seam, 3) == _metric(inp, "seam_km2_reconnected")[month], month
    by_zone = dict(zip(route["zone_id"], removed, strict=True))
    assert by_zone["jenin-c"] == inp.timeline.completed("north", "barrier")
    assert by_zone["jerusalem-c"] is None  # a zone outside the plan keeps its barrier


def test_residual_presence_and_stations_match_the_metrics(full):
    inp, data = full
    presence, ladder = data["presence"], inp.problem.security_states
    (valley,) = presence["residual"]
    assert valley["zones"] == [inp.problem.zones.index("jenin-c")] and valley["sites"] == [0]
    assert [st["site"] for st in presence["stations"]] == [0, None]
    assert presence["stations"][0]["reviews"] == [12, 24]
    states = data["zones"]["states"]["security"]
    for month in range(inp.problem.horizon + 1):
        under = [
            z for z in valley["zones"] if month < valley["ends"] and ladder[at(states[z], month)[1]] == valley["during"]
        ]
        assert (valley["site_count"] if under else 0) == _metric(inp, "residual_sites")[month], month
        standing = sum(s["from"] <= month and (s["until"] is None or month < s["until"]) for s in presence["stations"])
        assert standing == _metric(inp, "early_warning_stations")[month]
    assert sum(_metric(inp, "residual_sites")) > 0


def test_the_metrics_panel_carries_each_columns_unit(full):
    _, data = full
    cols = data["metrics"]["columns"]
    assert data["metrics"]["units"] == [metrics.metric_unit(c) for c in cols]
    units = dict(zip(cols, data["metrics"]["units"], strict=True))
    assert units["residents_israelis_in_palestine"] == "people"
    assert units["link_people_per_month"] == "people a month"
    assert units["barrier_km_standing"] == "km"
    assert units["crossings_over_capacity"] == "crossings"


def test_plan_texts_of_the_new_sections_travel_as_data_only(tmp_path):
    hostile = "<img src=x onerror=alert(1)>"
    inp = small_inputs(tmp_path, text=full_plan(name="p", station=hostile, source=PAYLOADS[1]))
    page = phase_map.phase_map(inp).get_root().render()
    found = re.search(r'<script type="application/json" id="landplan-data">(.*?)</script>', page, re.S)
    assert found is not None
    data = json.loads(found.group(1))
    assert data["presence"]["stations"][0]["id"] == hostile
    assert data["presence"]["stations"][0]["source"] == PAYLOADS[1] == data["presence"]["residual"][0]["source"]
    rest = page.replace(found.group(0), "")
    assert hostile not in rest and PAYLOADS[1] not in rest
