"""Plan comparison on small constructed plans whose answers are known."""

import copy
import dataclasses
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from conftest import TINY_LEVELS, TINY_PLAN, TINY_ZONES

from geo import metrics
from geo.output import diff
from geo.run import PlanRun, run_loaded
from geo.timeline import Timeline

#: The tiny plans' layers: their zones and their one crossing.
TINY_LAYERS = {"zones": TINY_ZONES, "crossings": pd.DataFrame({"crossing_id": ["gate-x"]})}


def _run(tmp_path: Path, text: str, name: str) -> PlanRun:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return run_loaded(p, TINY_LAYERS, 1.0)


ONE_ZONE = TINY_PLAN.replace("security:\n  steps:", "zones:\n  use: [north]\nsecurity:\n  steps:", 1)


def test_a_longer_handover_shifts_every_later_step_by_its_length(tmp_path):
    a = _run(tmp_path, ONE_ZONE, "a.yaml")
    b = _run(tmp_path, ONE_ZONE.replace("      duration: 2\n", "      duration: 3\n", 1), "b.yaml")
    cmp = diff.compare(a, b)
    s = cmp.shifts.set_index(["zone", "track", "state"])
    # A: international ends at 2, palestinian at 2 + 3 + 1 = 6; B: one month later each
    assert (
        s.loc[("north", "security", "international"), "month_a"],
        s.loc[("north", "security", "international"), "month_b"],
    ) == (2, 3)
    assert s.loc[("north", "security", "palestinian"), "shift"] == 1
    # movement: internal waits for international (+1); permits waits for the crossing (month 4) in both
    assert s.loc[("north", "movement", "internal"), "shift"] == 1
    assert s.loc[("north", "movement", "permits"), "month_a"] == 6  # starts at internal 3 + 2 months, lasts 1
    assert s.loc[("north", "movement", "residence"), "shift"] == 1
    m = cmp.metrics.set_index("month")
    assert m.loc[2, "area_pct_idf_a"] == 0 and m.loc[2, "area_pct_idf_b"] == 100
    assert m.loc[2, "area_pct_idf_delta"] == 100
    assert m.loc[60, "population_residence_delta"] == 0


def test_plans_of_different_zones_and_horizons(tmp_path):
    a = _run(tmp_path, ONE_ZONE, "a.yaml")
    b = _run(tmp_path, TINY_PLAN.replace("horizon: 60", "horizon: 80"), "b.yaml")
    cmp = diff.compare(a, b)
    only_b = cmp.shifts[cmp.shifts["zone"] == "south"]
    assert only_b["month_a"].isna().all() and only_b["shift"].isna().all()
    assert len(cmp.metrics) == 81
    # A keeps its final month's values past its horizon
    assert cmp.metrics.loc[80, "population_residence_a"] == cmp.metrics.loc[60, "population_residence_a"]


@pytest.mark.slow
def test_cli_diff_of_the_shipped_plans(capsys):
    from geo import cli

    root = Path(__file__).resolve().parent.parent
    assert cli.main(["--workspace", str(root), "diff", "reference", "geneva-timeline", "--time", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "A: A Land for All - reference plan" in out and "B: Geneva Initiative timeline" in out
    assert "jericho-c security international" in " ".join(out.split())
    assert "population_free_movement" in out


# -- ladders with other names, other lengths ---------------------------------------------------------------------
SECURITY_NAMES = {"idf": "army", "international": "un_force", "palestinian": "pa_police"}
MOVEMENT_NAMES = {"internal": "roads", "permits": "passes", "free_movement": "open_border", "residence": "settle"}


def renamed(text: str, security: dict[str, str], movement: dict[str, str]) -> str:
    """The tiny plan with its states and levels renamed (and both ladders declared)."""
    text = text.replace(TINY_LEVELS, "")
    for old, new in [*security.items(), *movement.items()]:
        text = text.replace(old, new)
    states = [security.get(st, st) for st in ("idf", "international", "palestinian")]
    text = text.replace("security:\n  steps:", f"security:\n  states: [{', '.join(states)}]\n  steps:", 1)
    levels = [movement.get(lv, lv) for lv in ("closure", "internal", "permits", "free_movement", "residence")]
    return text.replace("movement:\n  steps:", f"movement:\n  levels: [{', '.join(levels)}]\n  steps:", 1)


SEVEN = (
    "meta: {name: seven, start: '2030-01'}\nhorizon: 40\nzones:\n  use: [north, south]\n"
    "security:\n  states: [s0, s1, s2, s3, s4, s5, s6]\n  steps:\n"
    + "".join(f"    s{k}: {{duration: 1}}\n" for k in range(1, 7))
    + "movement:\n  levels: [m0, m1, m2]\n  steps:\n"
    "    m1: {duration: 1, requires_security: s3}\n    m2: {duration: 2, requires_security: s6}\n"
    "resources:\n  troops:\n    - {from: 0, available: 100}\nobjective:\n  minimize: completion\n"
)


def test_the_tiny_ladders_compare_the_key_metrics(tmp_path):
    a = _run(tmp_path, ONE_ZONE, "a.yaml")
    cmp = diff.compare(a, a)
    wanted = ("area_pct_idf", "area_pct_palestinian", "population_free_movement", "population_residence")
    assert diff.key_metrics(a.problem) == (*wanted, "obstacles_removed", "troops_deployed")
    expected = [f"{c}_{side}" for c in diff.key_metrics(a.problem) for side in ("a", "b", "delta")]
    assert list(cmp.metrics.columns) == ["month", *expected]
    assert cmp.notes == []
    assert (cmp.shifts["shift"] == 0).all()


@pytest.mark.parametrize(
    ("text", "first", "last", "levels"),
    [
        (renamed(TINY_PLAN, SECURITY_NAMES, MOVEMENT_NAMES), "army", "pa_police", ("open_border", "settle")),
        (SEVEN, "s0", "s6", ("m1", "m2")),
        (renamed(TINY_PLAN, {"international": "intl.un", "palestinian": "pa"}, {}), "idf", "pa", ("residence",)),
    ],
    ids=["renamed", "seven-states", "renamed-security-only"],
)
def test_plans_with_their_own_ladders_compare(tmp_path, text, first, last, levels):
    a = _run(tmp_path, text, "a.yaml")
    b = _run(tmp_path, text.replace("duration: 1}", "duration: 2}"), "b.yaml")
    cmp = diff.compare(a, b)
    wanted = diff.key_metrics(a.problem)
    assert wanted[:2] == (f"area_pct_{first}", f"area_pct_{last}")
    assert all(f"population_{lv}" in wanted for lv in levels)
    assert [c[: -len("_delta")] for c in cmp.metrics.columns if c.endswith("_delta")] == list(wanted)
    assert cmp.notes == []
    m = cmp.metrics
    assert (m[f"area_pct_{first}_delta"] == m[f"area_pct_{first}_b"] - m[f"area_pct_{first}_a"]).all()
    assert m[f"area_pct_{last}_a"].iloc[-1] == 100
    states = set(cmp.shifts.loc[cmp.shifts["track"] == "security", "state"])
    assert states == set(a.problem.security_states[1:])
    reached = cmp.shifts.set_index(["zone", "track", "state"])["month_a"]
    for tid, t in a.problem.tasks.items():
        if t.kind in ("security", "movement"):
            assert reached[(t.zone, t.kind, t.to_state)] == a.schedule.end[tid]


def test_plans_with_different_ladders_compare_what_they_share_and_say_so(tmp_path):
    a = _run(tmp_path, TINY_PLAN, "a.yaml")
    b = _run(tmp_path, renamed(TINY_PLAN, SECURITY_NAMES, {"residence": "settle"}), "b.yaml")
    cmp = diff.compare(a, b)
    deltas = [c[: -len("_delta")] for c in cmp.metrics.columns if c.endswith("_delta")]
    assert deltas == ["population_free_movement", "obstacles_removed", "troops_deployed"]
    notes = " ".join(cmp.notes)
    assert "security states differ" in notes and "movement levels differ" in notes
    assert "only plan A has them: area_pct_idf, area_pct_palestinian, population_residence" in notes
    assert "only plan B has them: area_pct_army, area_pct_pa_police, population_settle" in notes
    s = cmp.shifts.set_index(["zone", "track", "state"])
    assert pd.isna(s.loc[("north", "security", "un_force"), "month_a"])
    assert s.loc[("north", "security", "un_force"), "month_b"] == b.schedule.end["north/security/un_force"]
    assert pd.isna(s.loc[("north", "security", "international"), "shift"])
    assert s.loc[("north", "movement", "permits"), "shift"] == (
        b.schedule.end["north/movement/permits"] - a.schedule.end["north/movement/permits"]
    )


def test_asked_for_metrics_that_a_plan_lacks_are_named_not_a_crash(tmp_path):
    a = _run(tmp_path, TINY_PLAN, "a.yaml")
    b = _run(tmp_path, SEVEN, "b.yaml")
    cmp = diff.compare(a, b, columns=("area_pct_idf", "area_pct_s3", "no_such_metric", "date", "crossings_open"))
    assert [c for c in cmp.metrics.columns if c.endswith("_delta")] == ["crossings_open_delta"]
    notes = " ".join(cmp.notes)
    assert "only plan A has them: area_pct_idf" in notes and "only plan B has them: area_pct_s3" in notes
    assert "neither plan has them: no_such_metric, date" in notes


@pytest.mark.parametrize("style", ["path", "opaque"])
def test_zone_ids_holding_a_slash_are_compared(style):
    from test_metrics import ID_ZONE_TABLE, ID_ZONES, id_problem, security_end

    runs = []
    for crossing in ("x/y", "z"):
        p, s = id_problem(style, crossing)
        loaded = SimpleNamespace(plan=SimpleNamespace(meta=SimpleNamespace(name=f"crossing {crossing}")))
        runs.append(PlanRun(Path("p.yaml"), loaded, {}, p, s, metrics.monthly_metrics(p, s, ID_ZONE_TABLE)))
    cmp = diff.compare(*runs)
    assert set(cmp.shifts["zone"]) == set(ID_ZONES)
    assert len(cmp.shifts) == len(ID_ZONES) * 6
    assert (cmp.shifts["shift"] == 0).all()
    row = cmp.shifts.set_index(["zone", "track", "state"]).loc[("north/a", "security", "palestinian")]
    assert row["month_a"] == row["month_b"] == security_end(ID_ZONES.index("north/a"), 2)


# -- the comparison reads each run's timeline (issue 9) ----------------------------------------------------------
@pytest.mark.parametrize(("months_a", "months_b"), [(0, 2), (3, 0), (1, 1)])
def test_shifts_are_read_from_each_runs_timeline(tmp_path, months_a, months_b):
    base = _run(tmp_path, ONE_ZONE, "a.yaml")
    runs = []
    for months in (months_a, months_b):
        s = base.schedule
        later = dataclasses.replace(s, end={t: m + months for t, m in s.end.items()})
        variant = copy.copy(base)
        variant.timeline = Timeline(base.problem, later)  # the schedule itself is left as it was
        runs.append(variant)
    cmp = diff.compare(*runs)
    assert len(cmp.shifts) == 2 + 4 + 1  # north's security states and movement levels, the crossing's regime
    assert (cmp.shifts["shift"] == months_b - months_a).all()
    row = cmp.shifts.set_index(["zone", "track", "state"]).loc[("north", "security", "international")]
    month = base.schedule.end["north/security/international"]
    assert (row["month_a"], row["month_b"]) == (month + months_a, month + months_b)
    assert row["date_b"] == runs[1].timeline.label(month + months_b)


# -- the confederation's tracks and metrics (issue 11) -----------------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent


def _shipped_run(folder: Path, text: str) -> PlanRun:
    from test_render import shipped_layers

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    (folder / "plan.yaml").write_text(text, encoding="utf-8")
    return run_loaded(folder / "plan.yaml", shipped_layers(), 0.5)


@pytest.fixture(scope="module")
def confederations(tmp_path_factory):
    """The plan of every section (A); the same with Erez's capacity doubled and the northern barrier later (B);
    and a plan on the default ladders with none of the sections (C)."""
    from test_render import SMALL_PLAN, full_plan

    root = tmp_path_factory.mktemp("confederations")
    text = full_plan()
    later = text.replace("capacity_per_day: 3000}", "capacity_per_day: 6000}").replace(
        "zones: [jenin-c], duration: 2, earliest: 10}", "zones: [jenin-c], duration: 2, earliest: 16}"
    )
    assert later != text
    plain = SMALL_PLAN.format(name="no sections")
    return [_shipped_run(root / k, t) for k, t in (("a", text), ("b", later), ("c", plain))]


NEW_METRICS = (
    "residents_israelis_in_palestine",
    "residents_palestinians_in_israel",
    "link_people_per_month",
    "barrier_km_standing",
    "crossings_over_capacity",
    "residual_sites",
    "early_warning_stations",
)


def test_default_ladders_compare_the_key_metrics(confederations):
    _, _, c = confederations
    assert diff.key_metrics(c.problem) == diff.KEY_METRICS  # the defaults: no zone ends in israel_police or shared


def test_the_new_metrics_are_compared_when_both_plans_have_them(confederations):
    a, b, c = confederations
    keys = diff.key_metrics(a.problem)
    assert keys[-len(NEW_METRICS) :] == NEW_METRICS
    cmp = diff.compare(a, b)
    assert cmp.notes == []
    m = cmp.metrics.set_index("month")
    for col in NEW_METRICS:
        assert (m[f"{col}_delta"] == m[f"{col}_b"] - m[f"{col}_a"]).all(), col
    assert m.loc[9, "crossings_over_capacity_a"] == 1 and m.loc[9, "crossings_over_capacity_b"] == 0
    assert m.loc[12, "barrier_km_standing_delta"] > 0  # B takes the barrier in jenin-c down six months later
    assert (m["residents_israelis_in_palestine_delta"] == 0).all()
    # against a plan without the sections: what only A has is named, the barrier (a layer's) is compared
    cmp = diff.compare(a, c)
    notes = " ".join(cmp.notes)
    assert "only plan A has them: residents_israelis_in_palestine, residents_palestinians_in_israel" in notes
    assert "barrier_km_standing_delta" in cmp.metrics.columns
    assert "residents_israelis_in_palestine_delta" not in cmp.metrics.columns


def test_shifts_cover_every_track(confederations):
    a, b, _ = confederations
    cmp = diff.compare(a, b)
    assert set(cmp.shifts["track"]) == set(diff.SHIFT_TRACKS)
    s = cmp.shifts.set_index(["zone", "track", "state"])
    tl = a.timeline
    assert s.loc[("allenby", "regime", "joint"), "month_a"] == tl.month_reached("allenby", "regime", "joint")
    assert s.loc[("allenby", "regime", "israeli"), "month_a"] == 0  # open at the start, under Israel
    assert s.loc[("safe-passage-south", "link", "open_to_people"), "month_a"] == tl.month_reached(
        "safe-passage-south", "link", "open_to_people"
    )
    assert s.loc[("jenin-c", "obstacles", "checkpoint"), "month_a"] == tl.month_reached(
        "jenin-c", "obstacles", "checkpoint"
    )
    assert s.loc[("valley", "residual", "ended"), "month_a"] == 20
    assert s.loc[("ledger", "residence", "open"), "month_a"] == tl.completed("ledger", "residence")
    assert s.loc[("north", "barrier", "removed"), "shift"] == 6
    tracks = list(cmp.shifts["track"])
    zone_steps = [t in ("security", "movement") for t in tracks]
    assert zone_steps == sorted(zone_steps, reverse=True)  # the zones' own steps first, then the other tracks
