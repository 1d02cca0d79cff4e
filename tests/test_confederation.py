"""The confederation's plan sections: baselines, shared states, regimes and demand, links, residual presence,
early warning, the residence ledger, obstacle and barrier removal, Jerusalem; on tiny plans with hand-checked
results, then on the shipped plans."""

from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_PLAN, TINY_ZONES

from geo import plan
from geo.errors import PlanError
from geo.run import PlanRun, run_loaded, run_plan
from geo.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.0


def layers(**extra: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The tiny plan's zones and crossing, plus a link, a site, obstacles, barrier and seam zone of its own."""
    ly = {
        "zones": TINY_ZONES.copy(),
        "crossings": pd.DataFrame({"crossing_id": ["gate-x", "gate-y"]}),
        "links": pd.DataFrame({"link_id": ["passage"]}),
        "early_warning_sites": pd.DataFrame({"site_id": ["hill"]}),
        "obstacles": pd.DataFrame(
            {"zone_id": ["north", "north", "centre", "south"], "type": ["earthmound", "checkpoint", "checkpoint", "x"]}
        ),
        "barrier": pd.DataFrame(
            {
                "kind": ["segment", "segment", "gate"],
                "status": ["constructed", "constructed", None],
                "length_km": [10.0, 5.0, None],
                "zone_id": ["north", "centre", "north"],
            }
        ),
        "seam_zone": pd.DataFrame({"area_km2": [3.0, 2.0], "population": [100, 50], "zone_id": ["north", "centre"]}),
    }
    ly.update(extra)
    return ly


def run_text(tmp_path: Path, sections: str, replace: tuple[str, str] | None = None) -> PlanRun:
    text = TINY_PLAN if replace is None else TINY_PLAN.replace(*replace)
    p = tmp_path / "plan.yaml"
    p.write_text(text + sections, encoding="utf-8")
    return run_loaded(p, layers(), BUDGET)


def issues_of(tmp_path: Path, sections: str, replace: tuple[str, str] | None = None) -> list[str]:
    with pytest.raises(PlanError) as err:
        run_text(tmp_path, sections, replace)
    return [f"{i.line}:{i.col} {i.message} | {i.fix}" for i in err.value.issues]


# -- baselines -------------------------------------------------------------------------------------------------
def test_a_baseline_is_where_month_0_starts(tmp_path):
    run = run_text(tmp_path, "baselines:\n  north: {security: palestinian, movement: internal}\n")
    m = run.metrics.set_index("month")
    assert m.loc[0, "area_km2_palestinian"] == 100.0
    assert m.loc[0, "population_internal"] == 10_000
    assert run.schedule.end["north/security/palestinian"] == 0
    assert "north/security/international" not in run.problem.tasks  # it starts past it
    assert run.timeline.path("north", "security") == ["palestinian"]


def test_a_later_baseline_entry_wins_and_a_group_is_allowed(tmp_path):
    run = run_text(tmp_path, "baselines:\n  all: {security: international}\n  south: {security: idf}\n")
    tl = run.timeline
    assert [tl.state_at(z, "security", 0) for z in ("north", "centre", "south")] == ["international"] * 2 + ["idf"]


def test_a_baseline_holds_its_troops_from_month_0(tmp_path):
    run = run_text(tmp_path, "baselines:\n  north: {security: international}\n")
    running = sum(
        t.run_troops for tid, t in run.problem.tasks.items() if run.schedule.start[tid] <= 0 < run.schedule.end[tid]
    )
    assert run.problem.tasks["north/security/international"].baseline
    assert run.metrics.loc[0, "troops_deployed"] == running + 10  # the international state's hold_troops


def test_a_baseline_state_not_in_the_ladder_is_an_error_at_it(tmp_path):
    found = issues_of(tmp_path, "baselines:\n  north: {security: palestinan}\n")
    assert any("unknown security state 'palestinan'" in i and "did you mean 'palestinian'" in i for i in found)


def test_a_baseline_for_an_unknown_zone_is_an_error(tmp_path):
    found = issues_of(tmp_path, "baselines:\n  nort: {security: palestinian}\n")
    assert any("unknown zone or group 'nort'" in i and "north" in i for i in found)


# -- skipped states --------------------------------------------------------------------------------------------
def test_a_zone_can_skip_a_state_and_preconditions_await_the_next(tmp_path):
    text = TINY_PLAN.replace("security:\n", "security:\n  states: [idf, international, palestinian, shared]\n", 1)
    text = text.replace("movement:\n", "    shared: {duration: 1, skip: true}\nmovement:\n", 1)
    text += "zones:\n  overrides:\n    north:\n      security:\n        palestinian: {skip: true}\n"
    text += "        shared: {skip: false}\n"
    p = tmp_path / "plan.yaml"
    p.write_text(text, encoding="utf-8")
    run = run_loaded(p, layers(), BUDGET)
    assert run.timeline.path("north", "security") == ["idf", "international", "shared"]
    # free movement requires palestinian security: for north, the shared state (later on the ladder) stands in
    fm = run.problem.tasks["north/movement/free_movement"]
    assert any("north/security/shared" in pr.tasks for pr in fm.preds)
    assert run.timeline.state_at("north", "security", run.problem.horizon) == "shared"


# -- crossings: regimes, capacity, demand ------------------------------------------------------------------------
CROSSING = """\
  - id: gate-y
    serves: [all]
    open_at_start: true
    capacity_per_day: 100
    regimes:
      - {regime: international, duration: 2, earliest: 5, people_per_day: 300, trucks_per_day: 10}
      - {regime: joint, partner: jordan, duration: 1, after: [{gate: review}], people_per_day: 1000}
gates:
  review: {min_duration: 1, earliest: 20}
demand:
  - {id: workers, kind: workers, crossings: [gate-y], people_per_day: 500, from: 0}
"""


def test_a_crossing_moves_through_its_regimes_and_is_flagged_over_capacity(tmp_path):
    p = tmp_path / "plan.yaml"
    head, tail = CROSSING.split("gates:\n")
    p.write_text(TINY_PLAN.replace("crossings:\n", "crossings:\n" + head) + "gates:\n" + tail, encoding="utf-8")
    run = run_loaded(p, layers(), BUDGET)
    from geo.metrics import crossing_flows

    flows = crossing_flows(run.problem, run.timeline)
    y = flows[flows["crossing"] == "gate-y"].set_index("month")
    assert y.loc[0, "regime"] == "israeli" and y.loc[0, "people_capacity"] == 100
    assert y.loc[0, "over_capacity"]  # 500 a day wanting to cross, 100 let through
    joint = int(y.index[y["regime"] == "joint"][0])
    assert joint == run.schedule.end["regime/gate-y/joint"] >= 22
    assert y.loc[joint, "partner"] == "jordan" and y.loc[joint, "people_capacity"] == 1000
    m = run.metrics.set_index("month")
    assert m.loc[0, "crossings_over_capacity"] >= 1
    assert m.loc[joint, "crossing_people_demand_per_day"] == 500
    over = y.index[y["over_capacity"]].tolist()
    assert over == list(range(joint))  # 100, then 300 a day let through: short of 500 until the joint regime


def test_a_regime_listed_twice_and_an_unknown_regime_are_errors(tmp_path):
    twice = CROSSING.replace("{regime: joint, partner: jordan", "{regime: international, partner: jordan")
    head, tail = twice.split("gates:\n")
    found = issues_of(tmp_path, "gates:\n" + tail, ("crossings:\n", "crossings:\n" + head))
    assert any("already runs under regime 'international'" in i for i in found), found
    bad = CROSSING.replace("regime: joint", "regime: shared")
    head, tail = bad.split("gates:\n")
    found = issues_of(tmp_path, "gates:\n" + tail, ("crossings:\n", "crossings:\n" + head))
    assert any("'shared' is not one of the allowed values" in i and "international, joint" in i for i in found), found


def test_demand_on_a_crossing_the_plan_does_not_open_is_an_error(tmp_path):
    found = issues_of(tmp_path, "demand:\n  - {id: w, kind: workers, crossings: [gate-z], people_per_day: 5}\n")
    assert any("crossing 'gate-z' is not in the plan's crossings" in i and "gate-x" in i for i in found), found


def test_negative_or_text_capacity_and_quota_are_errors_at_the_value(tmp_path):
    found = issues_of(tmp_path, "demand:\n  - {id: w, kind: workers, crossings: [gate-x], people_per_day: -5}\n")
    assert any("-5 is below the minimum of 0" in i for i in found), found
    found = issues_of(tmp_path, "residence:\n  israelis_in_palestine: {per_year: [100, lots]}\n")
    assert any("'lots'" in i for i in found), found


def test_an_open_crossing_with_a_window_is_an_error(tmp_path):
    found = issues_of(
        tmp_path,
        "",
        ("{id: gate-x, serves: [all], duration: 4}", "{id: gate-x, serves: [all], open_at_start: true, earliest: 3}"),
    )
    assert any("open at month 0, so its 'earliest' means nothing" in i for i in found), found


# -- the Gaza-West Bank link -----------------------------------------------------------------------------------
LINK = """\
links:
  - id: passage
    steps:
      escorted_convoys: {duration: 1, after: [{crossing: gate-x}], people_per_day: 100}
      open_to_people: {duration: 2, after: [{group: all, security: palestinian}], people_per_day: 2000}
"""


def test_the_link_opens_and_its_metric_moves(tmp_path):
    run = run_text(tmp_path, LINK)
    m = run.metrics.set_index("month")["link_people_per_month"]
    convoys = run.schedule.end["link/passage/escorted_convoys"]
    people = run.schedule.end["link/passage/open_to_people"]
    assert convoys == 5  # the crossing opens at month 4, then one month
    assert m[convoys - 1] == 0 and m[convoys] == 3_000 and m[people] == 60_000
    assert run.timeline.state_at("passage", "link", people) == "open_to_people"
    assert people >= max(run.schedule.end[f"{z}/security/palestinian"] for z in ("north", "centre", "south"))


def test_an_unknown_link_and_an_unknown_link_state_are_errors(tmp_path):
    found = issues_of(tmp_path, LINK.replace("id: passage", "id: pasage"))
    assert any("unknown link 'pasage'" in i and "did you mean 'passage'" in i for i in found), found
    found = issues_of(tmp_path, LINK.replace("open_to_people:", "open_to_cars:"))
    assert any("open_to_cars" in i for i in found), found


# -- residual presence and early warning -------------------------------------------------------------------------
RESIDUAL = """\
residual_presence:
  valley:
    zones: [north]
    during: international
    sites: [hill]
    ends: 30
early_warning:
  - {id: ews-1, site: hill, review_every: 12, until: 40}
"""


def test_a_residual_presence_holds_its_zones_until_its_end(tmp_path):
    run = run_text(tmp_path, RESIDUAL)
    assert run.schedule.start["north/security/palestinian"] >= 30
    m = run.metrics.set_index("month")
    reached = run.schedule.end["north/security/international"]
    assert m.loc[reached, "residual_sites"] == 1 and m.loc[reached, "area_km2_residual"] == 100.0
    assert m.loc[30, "residual_sites"] == 0
    assert m.loc[39, "early_warning_stations"] == 1 and m.loc[40, "early_warning_stations"] == 0
    assert run.problem.stations[0].reviews(run.problem.horizon) == [12, 24, 36]


def test_a_residual_presence_without_an_end_or_with_an_unknown_site_is_an_error(tmp_path):
    found = issues_of(tmp_path, RESIDUAL.replace("    ends: 30\n", ""))
    assert any("residual_presence.valley.ends is required" in i for i in found), found
    found = issues_of(tmp_path, RESIDUAL.replace("sites: [hill]", "sites: [hil]"))
    assert any("unknown site 'hil'" in i and "did you mean 'hill'" in i for i in found), found
    found = issues_of(tmp_path, RESIDUAL.replace("during: international", "during: intl"))
    assert any("unknown security state 'intl'" in i for i in found), found


# -- residence ---------------------------------------------------------------------------------------------------
RESIDENCE = """\
residence:
  opens: {earliest: 12}
  israelis_in_palestine: {per_year: [120, 240], settlers_staying_pct: 50}
  palestinians_in_israel: {per_year: [60], refugees_per_year: [12]}
  settlers_on: palestinian
"""


def test_residents_each_way_follow_the_quotas(tmp_path):
    run = run_text(tmp_path, RESIDENCE)
    assert run.schedule.end["residence/ledger/open"] == 12
    m = run.metrics.set_index("month")
    assert m.loc[12, "residents_israelis_in_palestine"] - m.loc[12, "residents_settlers_staying"] == 0
    quota = m["residents_israelis_in_palestine"] - m["residents_settlers_staying"]
    assert quota[24] == 120 and quota[30] == 120 + 120 and quota[36] == 360 and quota[48] == 600
    assert m.loc[24, "residents_palestinians_in_israel"] == 60 + 12 and m.loc[36, "residents_refugees_in_israel"] == 24
    north_pal = run.schedule.end["north/security/palestinian"]
    assert m.loc[north_pal, "residents_settlers_staying"] == 500  # half of north's 1,000 settlers
    assert m.loc[north_pal - 1, "residents_settlers_staying"] == 0


def test_parity_takes_the_smaller_quota_both_ways(tmp_path):
    run = run_text(tmp_path, RESIDENCE + "  parity: true\n")
    m = run.metrics.set_index("month")
    quota = m.loc[36, "residents_israelis_in_palestine"] - m.loc[36, "residents_settlers_staying"]
    assert quota == 120  # min(120, 60) + min(240, 60) = 60 + 60
    assert m.loc[36, "residents_palestinians_in_israel"] == 120 + 24


def test_the_zone_level_residence_is_gone_from_the_shipped_plans():
    lp = plan.load(ROOT / "plans" / "reference.yaml")
    assert "residence" not in lp.plan.movement.levels and lp.plan.residence is not None


# -- obstacles and the barrier -----------------------------------------------------------------------------------
OBSTACLES = """\
obstacles:
  earthmound: {duration: 0}
  checkpoint: {duration: 1, after: [{security: international}]}
"""


def test_obstacles_can_go_in_month_0_by_type(tmp_path):
    run = run_text(tmp_path, OBSTACLES)
    assert run.schedule.end["north/obstacles/earthmound"] == 0
    m = run.metrics.set_index("month")
    assert m.loc[0, "obstacles_removed"] == 1 and m.loc[0, "obstacles_total"] == 4
    # checkpoints wait for the zone's international force; the type the plan does not name goes with 'internal'
    assert run.schedule.start["north/obstacles/checkpoint"] >= run.schedule.end["north/security/international"]
    assert m.iloc[-1]["obstacles_removed"] == 4


def test_an_unknown_obstacle_type_is_an_error_with_a_suggestion(tmp_path):
    found = issues_of(tmp_path, "obstacles:\n  chekpoint: {duration: 1}\n")
    assert any("unknown obstacle type 'chekpoint'" in i and "did you mean 'checkpoint'" in i for i in found), found


BARRIER = """\
barrier:
  - {id: b-north, zones: [north], duration: 2, after: [{zone: north, movement: free_movement}]}
  - {id: b-centre, zones: [centre], duration: 2, earliest: 50}
"""


def test_the_barrier_comes_down_and_the_seam_zone_is_reconnected(tmp_path):
    run = run_text(tmp_path, BARRIER)
    m = run.metrics.set_index("month")
    north = run.schedule.end["barrier/b-north/removed"]
    assert m.loc[0, "barrier_km_standing"] == 15.0
    assert m.loc[north, "barrier_km_standing"] == 5.0 and m.loc[north, "seam_people_reconnected"] == 100
    assert m.loc[52, "barrier_km_standing"] == 0.0 and m.loc[52, "seam_km2_reconnected"] == 5.0
    assert m["barrier_km_standing"].is_monotonic_decreasing


def test_a_zone_in_two_barrier_steps_is_an_error(tmp_path):
    found = issues_of(tmp_path, BARRIER.replace("zones: [centre]", "zones: [centre, north]"))
    assert any("zone 'north' is already in step 'b-north'" in i for i in found), found


# -- the shipped plans -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped() -> dict[str, PlanRun]:
    ws = Workspace(ROOT)
    return {name: run_plan(ws, name, BUDGET) for name in ("reference", "clinton-timeline", "geneva-timeline")}


def test_month_0_shows_area_a_palestinian_and_east_jerusalem_israeli_police(shipped):
    run = shipped["reference"]
    zones = run.layers["zones"].set_index("zone_id")
    area_a = float(zones.loc[zones["oslo"] == "A", "area_km2"].sum())
    m0 = run.metrics.iloc[0]
    assert m0["area_km2_palestinian"] == pytest.approx(area_a, abs=0.01)
    assert run.timeline.state_at("east-jerusalem", "security", 0) == "israel_police"
    assert run.timeline.state_at("old-city", "security", run.problem.horizon) == "shared"
    assert m0["jerusalem_people_israeli"] > 0 and run.metrics.iloc[-1]["jerusalem_people_palestinian"] > 0


def test_the_reference_plan_moves_every_new_metric(shipped):
    m = shipped["reference"].metrics
    first, last = m.iloc[0], m.iloc[-1]
    assert first["link_people_per_month"] == 0 < last["link_people_per_month"]
    assert first["residents_palestinians_in_israel"] == 0 < last["residents_palestinians_in_israel"]
    assert first["barrier_km_standing"] > last["barrier_km_standing"]
    # restrictions on individuals, not populations, from month 0: removals start at once
    assert m.iloc[1]["obstacles_removed"] > 0
    assert (
        first["crossings_over_capacity"] > 0 and m["crossings_over_capacity"].min() < first["crossings_over_capacity"]
    )


@pytest.mark.parametrize(("name", "withdrawal", "ends"), [("clinton-timeline", 36, 72), ("geneva-timeline", 30, 66)])
def test_comparison_plans_keep_a_residual_presence_in_the_jordan_valley(shipped, name, withdrawal, ends):
    run = shipped[name]
    jv = run.problem.residual[0]
    assert jv.ends == ends
    m = run.metrics.set_index("month")
    assert m.loc[withdrawal, "area_km2_residual"] > 0 and m.loc[ends, "area_km2_residual"] == 0
    for z in jv.zones:
        if run.timeline.path(z, "security")[0] == "idf":
            assert run.timeline.state_at(z, "security", withdrawal) == "international"
            assert run.schedule.start.get(f"{z}/security/palestinian", ends) >= ends
    assert "free_movement" not in run.timeline.path("jenin-c", "movement")


# -- what a hostile reading found --------------------------------------------------------------------------------
def test_yearly_quotas_are_reached_exactly_at_each_years_end(tmp_path):
    text = "residence:\n  israelis_in_palestine: {per_year: [100]}\n"
    text += "  palestinians_in_israel: {per_year: [500], refugees_per_year: [200]}\n"
    m = run_text(tmp_path, text).metrics.set_index("month")
    assert m.loc[12, "residents_israelis_in_palestine"] == 100
    assert m.loc[12, "residents_palestinians_in_israel"] == 700 and m.loc[12, "residents_refugees_in_israel"] == 200
    assert m.loc[48, "residents_israelis_in_palestine"] == 400 and m.loc[18, "residents_israelis_in_palestine"] == 150


def test_demand_naming_a_crossing_twice_is_an_error_at_the_repeat(tmp_path):
    found = issues_of(tmp_path, "demand:\n  - {id: w, kind: workers, crossings: [gate-x, gate-x], people_per_day: 5}\n")
    assert any("crossing 'gate-x' is listed twice" in i for i in found), found


def test_a_residual_presence_none_of_whose_zones_is_ever_under_its_state_is_an_error(tmp_path):
    text = RESIDUAL.replace("zones: [north]", "zones: [south]") + "baselines:\n  south: {security: palestinian}\n"
    found = issues_of(tmp_path, text)
    assert any("none of its zones is ever under 'international'" in i for i in found), found


def test_staying_settlers_need_the_state_they_count_from(tmp_path):
    found = issues_of(tmp_path, "residence:\n  israelis_in_palestine: {settlers_staying_pct: 50}\n")
    assert any("settlers_staying_pct counts nobody without residence.settlers_on" in i for i in found), found
    found = issues_of(tmp_path, "residence:\n  palestinians_in_israel: {settlers_staying_pct: 50}\n")
    assert any("unknown key 'settlers_staying_pct'" in i for i in found), found
    found = issues_of(tmp_path, "residence:\n  settlers_on: palestinain\n")
    assert any("unknown security state 'palestinain'" in i and "palestinian" in i for i in found), found


def test_a_link_state_keeps_the_capacity_before_it_unless_restated(tmp_path):
    text = LINK + "      open_to_goods: {duration: 1, trucks_per_day: 7}\n"
    run = run_text(tmp_path, text)
    assert run.problem.link_capacity["passage"]["open_to_goods"] == (2000, 7)
    assert run.metrics.iloc[-1]["link_people_per_month"] == 60_000


def test_a_zone_starting_at_a_level_needs_the_security_that_level_requires(tmp_path):
    found = issues_of(tmp_path, "baselines:\n  south: {movement: free_movement}\n")
    assert any("requires security 'palestinian', under 'idf'" in i for i in found), found


def test_a_conflict_on_a_starting_state_points_at_the_baseline(tmp_path):
    text = "baselines:\n  all: {security: international}\n"
    p = tmp_path / "plan.yaml"
    p.write_text(TINY_PLAN.replace("available: 120}", "available: 20}") + text, encoding="utf-8")
    with pytest.raises(PlanError) as err:
        run_loaded(p, layers(), BUDGET)
    lines = {i.line for i in err.value.issues}
    assert len(TINY_PLAN.splitlines()) + 2 in lines, err.value  # the 'all: {security: ...}' line


def test_jerusalem_starting_at_its_last_state_is_split_from_month_0(tmp_path):
    jer = pd.DataFrame(
        {"kind": ["neighbourhood", "neighbourhood"], "clinton_rule": ["PS", "IL"], "population": [300, 100]}
    )
    p = tmp_path / "plan.yaml"
    p.write_text(TINY_PLAN + "baselines:\n  north: {security: palestinian}\njerusalem: {zone: north}\n", "utf-8")
    m = run_loaded(p, layers(jerusalem=jer), BUDGET).metrics
    assert (m.loc[0, "jerusalem_people_palestinian"], m.loc[0, "jerusalem_people_israeli"]) == (300, 100)


def test_the_old_citys_quarters_follow_its_shared_regime(shipped):
    run = shipped["reference"]
    jer = run.layers["jerusalem"]
    quarters = int(jer.loc[jer["kind"] == "quarter", "population"].fillna(0).sum())
    shared = run.timeline.month_reached("old-city", "security", "shared")
    m = run.metrics.set_index("month")
    assert m.loc[shared, "jerusalem_people_shared"] == quarters > 0
    assert m.loc[shared - 1, "jerusalem_people_shared"] == 0


@pytest.mark.parametrize("ch", ["\u200f", "\u061c", "\u2028", "\u200b", "\u2060", "\ufeff", "\u200e"])
@pytest.mark.parametrize("escaped", [False, True], ids=["raw", "escaped"])
def test_invisible_and_direction_marks_in_a_name_are_refused(tmp_path, ch, escaped):
    name = f"\\u{ord(ch):04x}" if escaped else ch
    text = f'demand:\n  - {{id: "w{name}x", kind: workers, crossings: [gate-x], people_per_day: 5}}\n'
    found = issues_of(tmp_path, text)
    assert any(f"U+{ord(ch):04X}" in i for i in found), found


def test_a_byte_order_mark_at_the_start_is_not_part_of_the_plan(tmp_path):
    p = tmp_path / "plan.yaml"
    p.write_text("\ufeff" + TINY_PLAN, encoding="utf-8")
    assert run_loaded(p, layers(), BUDGET).problem.name == "tiny"
