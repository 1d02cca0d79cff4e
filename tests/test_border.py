"""Border scenarios: geometry and figures on named denominators, conservation, determinism, bad input."""

import json
from pathlib import Path

import pytest
import shapely

from geo import border, cli, layers
from geo.border.compute import _km2
from geo.errors import PlanError

ROOT = Path(__file__).resolve().parent.parent
NEEDED = border.NEEDED

BLOCS = """\
name: two blocs
annex:
  settlements: [Betar Illit]
  blocs: [Ma'ale Adumim]
  buffer_m: 300
  corridor_m: 500
  jerusalem: clinton_rule
swap: {ratio: 1.0}
"""


@pytest.fixture(scope="module")
def ly():
    return {n: layers.load(n, ROOT) for n in NEEDED}


def scenario(tmp_path: Path, text: str) -> border.scenario.LoadedScenario:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return border.load_scenario(p)


def test_the_1967_line_annexes_nothing_on_any_denominator(ly):
    r = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "green-line.yaml"), ly)
    assert list(r.denominators["denominator"]) == list(border.DENOMINATORS)
    assert (r.denominators[["annexed_km2", "swapped_km2", "net_pct"]] == 0).all().all()
    assert r.figures["contiguous"] and r.figures["border_km"] == r.figures["line_km"]
    wb = float(ly["territories"].set_index("territory_id").loc["west_bank", "area_km2"])
    assert r.denominators.set_index("denominator").loc["west_bank", "total_km2"] == pytest.approx(wb, rel=1e-3)


def test_annexed_and_remaining_add_up_for_area_settlers_and_people(tmp_path, ly):
    r = border.compute(scenario(tmp_path, BLOCS), ly)
    wb = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "green-line.yaml"), ly).palestine
    assert _km2(r.annexed) + _km2(r.palestine) == pytest.approx(_km2(wb), abs=0.01)
    assert _km2(r.annexed.intersection(r.palestine)) == pytest.approx(0, abs=1e-6)
    f = r.figures
    assert 0 < f["settlers_annexed"] < f["settlers_total"]
    assert f["israelis_east_jerusalem_annexed"] > 0  # the Clinton rule's Israeli neighbourhoods
    assert f["swapped_km2"] == pytest.approx(f["annexed_km2"], rel=0.01)  # a 1:1 swap
    assert not shapely.intersects(r.swapped, wb.buffer(-1))  # swapped land is Israeli land, outside the West Bank
    dens = r.denominators.set_index("denominator")
    assert dens.loc["west_bank_without_east_jerusalem", "annexed_km2"] < dens.loc["west_bank", "annexed_km2"]


def test_a_scenario_is_computed_the_same_every_time(tmp_path, ly):
    a = border.compute(scenario(tmp_path, BLOCS), ly)
    b = border.compute(scenario(tmp_path, BLOCS), ly)
    assert a.to_json() == b.to_json() and a.annexed.equals(b.annexed)


@pytest.mark.parametrize(
    ("text", "where", "message", "fix"),
    [
        (BLOCS.replace("Betar Illit", "Beitar Illit"), (3, 17), "unknown settlement 'Beitar Illit'", "Betar Illit"),
        (BLOCS.replace("Ma'ale Adumim]", "Maale Adumim]"), (4, 11), "unknown bloc 'Maale Adumim'", "Ma'ale Adumim"),
        (BLOCS.replace("ratio: 1.0", "ratio: -1.0"), (8, 15), "swap.ratio", ""),
        (BLOCS.replace("ratio: 1.0", "ratio: .nan"), (8, 15), "swap.ratio", ""),
        (BLOCS.replace("buffer_m: 300", "bufer_m: 300"), (5, 3), "annex.bufer_m", "remove it"),
    ],
)
def test_bad_scenarios_are_errors_at_their_place(tmp_path, ly, text, where, message, fix):
    with pytest.raises(PlanError) as err:
        border.compute(scenario(tmp_path, text), ly)
    issue = next(i for i in err.value.issues if message in i.message)
    assert (issue.line, issue.col) == where
    assert fix in issue.fix


def test_the_border_command_prints_json_writes_geojson_and_exits_65_on_a_bad_name(tmp_path, capsys):
    out = tmp_path / "b.geojson"
    p = tmp_path / "s.yaml"
    p.write_text(BLOCS, encoding="utf-8")
    assert cli.main(["--workspace", str(ROOT), "border", str(p), "--json", "-o", str(out)]) == 0
    doc = capsys.readouterr().out
    assert '"settlers_annexed"' in doc and out.read_bytes().startswith(b"{")
    p.write_text(BLOCS.replace("Betar Illit", "Beitar Illit"), encoding="utf-8")
    assert cli.main(["--workspace", str(ROOT), "border", str(p)]) == 65
    assert "did you mean 'Betar Illit'?" in capsys.readouterr().err


SHIPPED = sorted((ROOT / "plans" / "borders").glob("*.yaml"))


@pytest.fixture(scope="module")
def shipped(ly):
    """Each shipped scenario, loaded and computed once for the module."""
    out = {}
    for path in SHIPPED:
        ls = border.load_scenario(path)
        out[path.stem] = (ls, border.compute(ls, ly))
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenarios_reproduce_their_published_figures_on_their_denominators(path, shipped):
    ls, r = shipped[path.stem]
    dens = r.denominators.set_index("denominator")
    assert ls.scenario.sources, "every scenario cites its sources"
    for pub in ls.scenario.published:
        got = r.figures[pub.figure] if pub.figure in r.figures else dens.loc[pub.denominator, pub.figure]
        assert abs(float(got) - pub.value) <= pub.tolerance_pp, (path.name, pub.figure, got, pub.value)
    if path.stem != "green-line":
        assert ls.scenario.published, "a published proposal's scenario states what it reproduces"


def test_named_rules_exclude_near_line_and_settler_share(tmp_path, ly):
    near = border.compute(scenario(tmp_path, "name: n\nannex: {near_line_km: 1}\n"), ly)
    setl = ly["settlements"].set_index("settlement_id")
    assert "cbs-3760" in near.settlements  # Oranit, 0.6 km from the line
    assert "cbs-3570" not in near.settlements  # Ariel, 18 km in
    less = border.compute(scenario(tmp_path, "name: n\nannex: {near_line_km: 1, exclude: [oranit]}\n"), ly)
    assert set(near.settlements) - set(less.settlements) == {"cbs-3760"}
    share = border.compute(scenario(tmp_path, "name: s\nannex: {settlers_pct: 50}\n"), ly)
    named = setl.loc[share.settlements, "population"].fillna(0).sum()
    total = setl.loc[setl["kind"] == "settlement", "population"].fillna(0).sum()
    assert 0.5 <= named / total < 0.6


def test_spellings_of_published_names_resolve_and_jerusalem_exceptions_apply(tmp_path, ly):
    a = border.compute(scenario(tmp_path, "name: a\nannex: {settlements: [Maale Adumim, Givat Zeev]}\n"), ly)
    assert a.settlements == ["cbs-3616", "cbs-3730"]
    text = "name: j\nannex: {jerusalem: clinton_rule, jerusalem_except: [har homa]}\n"
    j = border.compute(scenario(tmp_path, text), ly)
    full = border.compute(scenario(tmp_path, "name: j\nannex: {jerusalem: clinton_rule}\n"), ly)
    har_homa = int(ly["settlements"].set_index("settlement_id").loc["ej-har-homa", "population"])
    assert full.figures["israelis_east_jerusalem_annexed"] - j.figures["israelis_east_jerusalem_annexed"] == har_homa


@pytest.mark.parametrize(
    ("text", "where", "message", "fix"),
    [
        ("name: x\nannex: {exclude: [Efrta]}\n", (2, 19), "unknown settlement 'Efrta'", "Efrat"),
        (
            "name: x\nannex: {jerusalem: clinton_rule, jerusalem_except: [Har Hom]}\n",
            (2, 53),
            "no Israeli neighbourhood",
            "Har Homa",
        ),
        ("name: x\nannex: {jerusalem_except: [Gilo]}\n", (2, 27), "applies to the Clinton rule", "clinton_rule"),
        ("name: x\nannex: {settlers_pct: 120}\n", (2, 23), "annex.settlers_pct", ""),
    ],
)
def test_bad_rules_are_errors_at_their_place(tmp_path, ly, text, where, message, fix):
    with pytest.raises(PlanError) as err:
        border.compute(scenario(tmp_path, text), ly)
    issue = next(i for i in err.value.issues if message in i.message)
    assert (issue.line, issue.col) == where
    assert fix in issue.fix


SWAP = """\
name: s
annex: {blocs: [Ma'ale Adumim]}
swap:
  ratio: RATIO
  avoid_localities_m: AVOID
  areas:
    - {near: Nataf, km2: 10, source: "a test"}
    - {at: [34.85, 31.55], km2: 5, source: "a test"}
"""


def test_swap_areas_take_their_size_around_their_place_and_the_line_gives_the_rest(tmp_path, ly):
    r = border.compute(scenario(tmp_path, SWAP.replace("RATIO", "2.0").replace("AVOID", "0")), ly)
    assert r.figures["swapped_km2"] == pytest.approx(2.0 * r.figures["annexed_km2"], rel=0.01)
    only = border.compute(scenario(tmp_path, SWAP.replace("RATIO", "0").replace("AVOID", "0")), ly)
    assert only.figures["swapped_km2"] == pytest.approx(15.0, rel=0.01)  # the two areas, nothing along the line
    nataf = layers.load("israeli_localities", ROOT).set_index("name").loc[["Nataf"]].to_crs(2039).geometry.iloc[0]
    assert only.swapped.distance(nataf) < 2_000


def test_a_swap_can_keep_away_from_israeli_localities(tmp_path, ly):
    text = "name: s\nannex: {blocs: [Ma'ale Adumim, Modi'in Illit]}\nswap: {ratio: 3, avoid_localities_m: AVOID}\n"
    near = border.compute(scenario(tmp_path, text.replace("AVOID", "0")), ly)
    away = border.compute(scenario(tmp_path, text.replace("AVOID", "1000")), ly)
    assert near.figures["israelis_in_swapped"] > 0 and near.figures["israeli_localities_in_swapped"] > 0
    assert away.figures["israelis_in_swapped"] == 0
    assert away.figures["swapped_km2"] == pytest.approx(near.figures["swapped_km2"], rel=0.01)


def test_the_dead_sea_denominators_add_the_west_banks_share_of_the_water(ly):
    r = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "green-line.yaml"), ly)
    dens = r.denominators.set_index("denominator")["total_km2"]
    sea = float(ly["dead_sea"]["area_km2"].sum())
    assert dens["west_bank_with_dead_sea"] == pytest.approx(dens["west_bank"] + sea, abs=0.05)
    assert dens["west_bank_and_gaza_with_dead_sea"] == pytest.approx(dens["west_bank_and_gaza"] + sea, abs=0.05)


@pytest.mark.parametrize(
    ("swap", "where", "message", "fix"),
    [
        ("areas: [{near: Natf, km2: 1, source: s}]", (4, 18), "unknown locality 'Natf'", "Nataf"),
        ("areas: [{at: [35.2, 31.9], km2: 1, source: s}]", (4, 16), "not in Israel", "outside the West Bank"),
        ("areas: [{at: [36.2, 31.9], km2: 1, source: s}]", (4, 16), "not in Israel", "in Israel"),
        ("areas: [{near: Nataf, at: [35.0, 31.5], km2: 1, source: s}]", (4, 11), "either near", ""),
        ("areas: [{near: Nataf, km2: -1, source: s}]", (4, 30), "swap.areas.0.km2", ""),
        ("ratio: .inf", (4, 10), "swap.ratio", ""),
    ],
)
def test_bad_swaps_are_errors_at_their_place(tmp_path, ly, swap, where, message, fix):
    text = f"name: x\nannex: {{blocs: [Ariel]}}\nswap:\n  {swap}\n"
    with pytest.raises(PlanError) as err:
        border.compute(scenario(tmp_path, text), ly)
    issue = next(i for i in err.value.issues if message in i.message)
    assert (issue.line, issue.col) == where, issue
    assert fix in issue.fix


def test_the_committed_scenario_schema_is_in_sync_and_names_every_key():
    committed = (ROOT / "plans" / "borders" / border.scenario.SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == border.scenario.schema_text(), "run `landplan plan schema` and commit the scenario schema"
    schema = json.loads(committed)
    assert schema["additionalProperties"] is False and schema["required"] == ["name"]
    assert {"annex", "swap", "published"} <= set(schema["properties"])


def test_the_command_loads_the_layers_a_border_needs():
    assert cli._BORDER_LAYERS == border.NEEDED


@pytest.mark.parametrize("name", ["geneva", "olmert", "clinton"])
def test_corridors_cross_no_palestinian_locality(shipped, name):
    r = shipped[name][1]
    assert r.figures["corridors_km2"] > 0
    assert r.figures["palestinians_in_corridors"] == 0


def test_a_share_of_all_settlers_takes_them_all(tmp_path, ly):
    r = border.compute(scenario(tmp_path, "name: s\nannex: {settlers_pct: 100}\n"), ly)
    assert r.figures["settlers_annexed_pct"] == 100.0


@pytest.mark.parametrize(
    ("text", "where", "message", "fix"),
    [
        ("name: x\nannex: {blocs: [Ariel], exclude: [Ariel]}\n", (2, 8), "comes out empty", "exclude"),
        (
            "name: x\nannex: {blocs: [Ariel]}\nswap: {ratio: 0.1, areas: [{near: Nataf, km2: 500, source: s}]}\n",
            (3, 27),
            "exceed ratio x annexed land",
            "raise swap.ratio",
        ),
        (
            "name: x\nannex: {blocs: [Ariel]}\nswap: {areas: [{near: Zohar, km2: 1, source: s}]}\n",
            (3, 23),
            "names several localities",
            "cbs-",
        ),
    ],
)
def test_empty_annexes_oversized_and_ambiguous_swaps_are_errors(tmp_path, ly, text, where, message, fix):
    with pytest.raises(PlanError) as err:
        border.compute(scenario(tmp_path, text), ly)
    issue = next(i for i in err.value.issues if message in i.message)
    assert (issue.line, issue.col) == where, issue
    assert fix in issue.fix


def test_a_missing_scenario_is_named_with_the_closest_one_and_outputs_never_replace_inputs(tmp_path, capsys):
    assert cli.main(["--workspace", str(ROOT), "border", "genva"]) == 65
    assert "no border scenario 'genva'" in capsys.readouterr().err
    assert cli.main(["--workspace", str(ROOT), "border", str(tmp_path / "nothere.yaml")]) == 65
    assert "no such border scenario file" in capsys.readouterr().err
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    layer = ws / "layers" / "territories.geojson"
    before = layer.read_bytes()
    assert cli.main(["--workspace", str(ws), "border", "green-line", "-o", str(layer)]) == 2
    assert "workspace's input" in capsys.readouterr().err
    assert layer.read_bytes() == before


def test_the_safe_passage_is_reported_and_counted_in_the_swap_only_when_said(tmp_path, ly):
    base = "name: p\nannex: {blocs: [Ariel]}\nswap: {ratio: 1}\nsafe_passage: {link: safe-passage-south, counted: C}\n"
    apart = border.compute(scenario(tmp_path, base.replace("C", "false")), ly)
    counted = border.compute(scenario(tmp_path, base.replace("C", "true")), ly)
    assert apart.figures["safe_passage_km2"] > 1  # about 100 m wide across some 40 km of Israel
    assert counted.figures["swapped_km2"] == pytest.approx(
        apart.figures["swapped_km2"] + apart.figures["safe_passage_km2"], abs=0.05
    )
    with pytest.raises(PlanError) as err:
        border.compute(scenario(tmp_path, base.replace("C", "true").replace("e-passage", "e-pasage")), ly)
    assert "did you mean 'safe-passage-south'?" in err.value.issues[0].fix
