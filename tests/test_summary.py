"""Readable answers: the objective in plain units, the phase-by-phase summary, and what a delay changes.

Tiny plans with hand-checked results first, then the reference plan once (a small solver budget, one module-wide run
through the command line).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_PLAN, TINY_ZONES

from geo import cli, layers, summary
from geo.metrics import crossing_flows
from geo.run import PlanRun, run_loaded

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 1.0


def tiny_layers(crossings: tuple[str, ...] = ("gate-x", "gate-y")) -> dict[str, pd.DataFrame]:
    """The tiny plan's zones, its crossings, a link, a site, four obstacles, 15 km of barrier and a seam zone."""
    return {
        "zones": TINY_ZONES.copy(),
        "crossings": pd.DataFrame({"crossing_id": list(crossings)}),
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


#: A crossing over capacity: 500 people a day want to cross; it lets 100, then 300, then (after a review) 1,000.
CROSSING_Y = """\
  - id: gate-y
    serves: [all]
    open_at_start: true
    capacity_per_day: 100
    regimes:
      - {regime: international, duration: 2, earliest: 5, people_per_day: 300}
      - {regime: joint, partner: jordan, duration: 1, after: [{gate: review}], people_per_day: 1000}
"""

SECTIONS = """\
gates:
  review: {min_duration: 1, earliest: 20}
demand:
  - {id: workers, kind: workers, crossings: [gate-y], people_per_day: 500}
baselines:
  north: {security: palestinian}
links:
  - id: passage
    steps:
      escorted_convoys: {duration: 1, after: [{crossing: gate-x}], people_per_day: 100}
      open_to_people: {duration: 2, after: [{gate: review}], people_per_day: 1000}
residual_presence:
  hills: {zones: [south], during: international, ends: 12, site_count: 2}
early_warning:
  - {id: ews, site: hill, review_every: 10, until: 30}
obstacles:
  earthmound: {duration: 1}
barrier:
  - {id: wall, zones: [north, centre], duration: 2, after: [{gate: review}]}
residence:
  opens: {earliest: 6}
  israelis_in_palestine: {per_year: [1200]}
  palestinians_in_israel: {per_year: [2400], refugees_per_year: [120]}
"""


def run_text(tmp_path: Path, text: str, crossings: tuple[str, ...] = ("gate-x", "gate-y")) -> PlanRun:
    p = tmp_path / "plan.yaml"
    p.write_text(text, encoding="utf-8")
    return run_loaded(p, tiny_layers(crossings), BUDGET)


@pytest.fixture
def tiny_run(tmp_path: Path) -> PlanRun:
    """The tiny plan with a baseline, a link, a crossing over capacity, a residual presence, a station, obstacles,
    the barrier and the residence ledger."""
    return run_text(tmp_path, TINY_PLAN.replace("crossings:\n", "crossings:\n" + CROSSING_Y) + SECTIONS)


def phase_lines(s: summary.Summary) -> dict[tuple[int, int], list[str]]:
    return {(p.start, p.end): p.lines for p in s.phases}


# -- the objective in plain units -------------------------------------------------------------------------------------
def test_a_population_weighted_objective_is_the_mean_months_per_person(tmp_path):
    """By hand: 120 troops allow one 100-troop handover at a time, so the zones go international at months 2, 4
    and 6, biggest first (centre 40,000, south 20,000, north 10,000); each then holds `internal` 1 month and 2
    more before permits (1 month), and the crossing opens at month 4: permits at 6, 8 and 10.
    500,000 person-months over 70,000 people: 7.14 months per person."""
    text = TINY_PLAN.replace("minimize: completion", "minimize: population_weighted_time\n  level: permits")
    run = run_text(tmp_path, text)
    end = run.schedule.end
    assert [end[f"{z}/movement/permits"] for z in ("centre", "south", "north")] == [6, 8, 10]
    assert run.schedule.objective == 40_000 * 6 + 20_000 * 8 + 10_000 * 10 == 500_000
    plain = summary.describe_objective(run.problem, run.schedule)
    assert plain.unit == "months per person" and plain.people == 70_000 and plain.zones == 3
    assert plain.value == pytest.approx(500_000 / 70_000)
    assert plain.bound == pytest.approx(run.schedule.bound / 70_000)
    assert plain.text() == (
        "mean 7.14 months per person to permits to cross (bound 7.14 months per person), over 70,000 people in 3 zones"
    )


def test_completion_is_in_months(tmp_path):
    run = run_text(tmp_path, TINY_PLAN)
    plain = summary.describe_objective(run.problem, run.schedule)
    assert plain.unit == "months" and plain.value == run.schedule.makespan
    assert plain.text() == f"completion in {run.schedule.makespan} months (bound {run.schedule.bound} months)"


def test_zones_without_the_step_are_not_weighed(tmp_path):
    text = TINY_PLAN.replace("minimize: completion", "minimize: population_weighted_time\n  level: permits")
    skip = "zones:\n  overrides:\n    centre:\n      movement:\n        permits: {skip: true}\n"
    text = text.replace("movement:\n", skip + "movement:\n", 1)
    run = run_text(tmp_path, text)
    plain = summary.describe_objective(run.problem, run.schedule)
    assert (plain.people, plain.zones) == (30_000, 2)
    assert plain.value == pytest.approx(run.schedule.objective / 30_000)


# -- the summary, phase by phase --------------------------------------------------------------------------------------
def test_month_0_gives_the_starting_states(tiny_run):
    start = summary.summarize(tiny_run).phases[0]
    assert (start.start, start.end) == (0, 0)
    assert start.heading() == "month 0 (2030-01), the starting point:"
    assert start.lines[:3] == [
        "2 zones (centre, south) under the Israeli military (idf)",
        "1 zone (north) under Palestinian security",
        "70,000 people at closure",
    ]
    for line in (
        "residual Israeli presence hills: 1 zone (south), while under the international force, until month 12 "
        "(2 fixed sites)",
        "4 obstacles standing",
        "gate-y open at the start under Israeli management (100 people a day)",
        "over capacity at the start (demand above what it lets through): gate-y (400 people a day short)",
        "Gaza-West Bank link passage: closed",
        "early-warning stations in place: ews",
        "barrier standing: 15.0 km",
    ):
        assert line in start.lines
    assert start.facts["security"] == {"idf": ["centre", "south"], "palestinian": ["north"]}


def test_phases_end_at_the_plans_turning_points(tiny_run):
    s = summary.summarize(tiny_run)
    tl, end = tiny_run.timeline, tiny_run.schedule.end
    international = max(end["centre/security/international"], end["south/security/international"])
    palestinian = max(end["centre/security/palestinian"], end["south/security/palestinian"])
    cuts = summary.phase_cuts(tiny_run.problem, tl)
    assert set(cuts) == {international, palestinian, 12, tl.makespan}
    assert cuts[international] == ["both zones (centre, south) are under the international force"]
    assert "the residual presence hills ends" in cuts[12]
    assert "the last step ends" in cuts[tl.makespan]
    bounds = [(p.start, p.end) for p in s.phases[1:]]
    assert [b for _, b in bounds][: len(cuts)] == sorted(cuts)
    assert all(a < b for a, b in bounds) and bounds[0][0] == 0
    assert all(bounds[k][1] == bounds[k + 1][0] for k in range(len(bounds) - 1))


def test_every_event_is_told_once_in_its_phase(tiny_run):
    s = summary.summarize(tiny_run)
    end = tiny_run.schedule.end
    text = {line: (p.start, p.end) for p in s.phases for line in p.lines}

    def phase_of(month: int) -> tuple[int, int]:
        return next((p.start, p.end) for p in s.phases[1:] if p.start < month <= p.end)

    convoys = end["link/passage/escorted_convoys"]
    assert text["Gaza-West Bank link passage: escorted convoys (3,000 people a month)"] == phase_of(convoys)
    opened = end["link/passage/open_to_people"]
    assert text["Gaza-West Bank link passage: open to people (30,000 people a month)"] == phase_of(opened)
    joint = end["regime/gate-y/joint"]
    assert text["gate-y passes to joint management with jordan (1,000 people a day)"] == phase_of(joint)
    assert text["the residual Israeli presence hills ends"] == phase_of(12)
    assert text[f"review review ends (month {end['gate/review']})"] == phase_of(end["gate/review"])
    assert text["early-warning station ews reviewed in month 10"] == phase_of(10)
    assert text["early-warning stations closed: ews"] == phase_of(30)
    assert text["barrier removed: wall"] == phase_of(end["barrier/wall/removed"])
    lines = [line for p in s.phases for line in p.lines]
    assert sum("to the international force" in line for line in lines) == 1
    assert "both zones (centre, south) to the international force" in lines


def test_over_capacity_months_are_those_of_the_flows(tiny_run):
    """Demand 500 a day: over capacity under the Israeli (100) and international (300) regimes, until the joint one."""
    s = summary.summarize(tiny_run)
    joint = tiny_run.schedule.end["regime/gate-y/joint"]
    flows = crossing_flows(tiny_run.problem, tiny_run.timeline)
    over = sorted(int(m) for m in flows.loc[flows["over_capacity"], "month"])
    assert over == list(range(joint))
    told = sorted(m for p in s.phases for m in p.facts.get("over_capacity", {}).get("gate-y", {}).get("months", []))
    assert told == over
    first = s.phases[1]
    n = min(first.end, joint - 1)
    assert (
        f"gate-y over capacity for {n} months (1-{n}): at worst 400 people a day more wanting to cross than it "
        "lets through" in first.lines
    )


def test_residents_and_the_barrier_match_the_metrics(tiny_run):
    s = summary.summarize(tiny_run)
    m = tiny_run.metrics.set_index("month")
    for p in s.phases[1:]:
        r = p.facts["residents"]
        assert r["israelis_in_palestine"] == m.loc[p.end, "residents_israelis_in_palestine"]
        assert r["palestinians_in_israel"] == m.loc[p.end, "residents_palestinians_in_israel"]
        if r["israelis_in_palestine"]:
            assert (
                f"residents at month {p.end}: {r['israelis_in_palestine']:,} Israelis in Palestine (0 of them "
                f"settlers who stay), {r['palestinians_in_israel']:,} Palestinians in Israel "
                f"({r['refugees_in_israel']:,} of them refugees)"
            ) in p.lines
        assert p.facts["barrier"]["km_standing"] == m.loc[p.end, "barrier_km_standing"]
    removed = tiny_run.schedule.end["barrier/wall/removed"]
    lines = [line for p in s.phases if p.start < removed <= p.end for line in p.lines]
    assert "barrier standing: 0.0 km; seam zone reconnected: 5.0 km² and 150 people" in lines


def test_a_last_phase_runs_to_the_horizon_when_residents_keep_coming(tiny_run):
    s = summary.summarize(tiny_run)
    last = s.phases[-1]
    assert (last.start, last.end, last.why) == (tiny_run.timeline.makespan, 60, ["the horizon"])
    # 1,200 a year from the month the ledger opens: 100 a month
    opened = tiny_run.timeline.completed("ledger", "residence")
    assert opened is not None
    assert last.facts["residents"]["israelis_in_palestine"] == 100 * (60 - opened)


def test_the_summary_prints_and_serialises(tiny_run):
    s = summary.summarize(tiny_run)
    lines = s.lines()
    assert (
        lines[0]
        == f"tiny: {tiny_run.schedule.status}; last step ends month {tiny_run.timeline.makespan}; horizon 60 months"
    )
    assert lines[1].startswith("objective: completion in ")
    assert "months 0-" in "\n".join(lines)
    doc = json.loads(json.dumps(s.to_dict()))
    assert doc["phases"][0]["lines"] == s.phases[0].lines
    assert doc["objective"]["unit"] == "months"


def test_a_plan_without_the_new_sections_or_layers_is_summarised_too(tmp_path):
    p = tmp_path / "plan.yaml"
    p.write_text(TINY_PLAN, encoding="utf-8")
    run = run_loaded(p, {"zones": TINY_ZONES.copy(), "crossings": pd.DataFrame({"crossing_id": ["gate-x"]})}, BUDGET)
    s = summary.summarize(run)
    text = "\n".join(s.lines())
    assert "3 zones (north, centre, south) under the Israeli military (idf)" in text
    assert "all 3 zones (north, centre, south) to the international force" in text
    assert "gate-x opens under Israeli management (no stated capacity)" in text
    for absent in ("obstacle", "barrier", "link", "residents", "over capacity", "early-warning", "Jerusalem"):
        assert absent not in text
    assert s.phases[-1].end == run.timeline.makespan  # nothing changes after the last step


def test_names_from_the_plan_are_data_not_format_strings(tmp_path):
    odd = "gate-{0}%s{x!r}"
    quoted = '"gate-{0}%s{x!r}"'
    text = TINY_PLAN.replace("crossings:\n", "crossings:\n" + CROSSING_Y.replace("gate-y", quoted))
    run = run_text(tmp_path, text + SECTIONS.replace("gate-y", quoted), ("gate-x", odd))
    lines = summary.summarize(run).lines()
    assert f"  {odd} open at the start under Israeli management (100 people a day)" in lines
    assert any(line.startswith(f"  {odd} over capacity for ") for line in lines)


def test_numbers_are_grouped(tiny_run):
    lines = summary.summarize(tiny_run).lines()
    numbers = [n for line in lines for n in re.findall(r"\d[\d,]*", line)]
    assert all(len(n.replace(",", "")) < 4 or "," in n for n in numbers if not re.fullmatch(r"20\d\d", n))


# -- what a delay changes ---------------------------------------------------------------------------------------------
def test_key_metrics_follow_the_plans_ladders(tiny_run):
    keys = summary.key_metrics(tiny_run.problem, tiny_run.metrics.columns)
    assert keys[:3] == ["area_pct_idf", "area_pct_international", "area_pct_palestinian"]
    assert {"population_closure", "population_residence"} <= set(keys)
    assert {"obstacles_removed", "link_people_per_month", "barrier_km_standing", "troops_deployed"} <= set(keys)
    assert "residual_sites" not in keys


def test_metric_changes_are_after_minus_before():
    before = pd.DataFrame({"month": [0, 1, 2], "population_permits": [0, 10, 20], "area_pct_idf": [100.0, 50.0, 0.0]})
    after = before.assign(population_permits=[0, 0, 20], area_pct_idf=[100.0, 75.5, 0.0])
    table = summary.metric_changes(before, after, ["population_permits", "area_pct_idf"], [1, 2])
    assert table.to_dict(orient="records") == [
        {"month": 1, "metric": "population_permits", "unit": "people", "before": 10, "after": 0, "change": -10.0},
        {"month": 1, "metric": "area_pct_idf", "unit": "% of the territory", "before": 50.0, "after": 75.5,
         "change": 25.5},
        {"month": 2, "metric": "population_permits", "unit": "people", "before": 20, "after": 20, "change": 0.0},
        {"month": 2, "metric": "area_pct_idf", "unit": "% of the territory", "before": 0.0, "after": 0.0,
         "change": 0.0},
    ]  # fmt: skip


def test_change_months_are_the_key_months_and_the_later_end():
    assert summary.change_months(120, [44, 47]) == [12, 24, 36, 47, 72]
    assert summary.change_months(40, [30, 20]) == [12, 24, 30, 36]
    assert summary.change_months(10, [8]) == [8]


# -- the reference plan, once -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reference_summary() -> str:
    """``landplan plan summary reference --time 1``, run once for the module."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--workspace", str(ROOT), "plan", "summary", "reference", "--time", "1"])
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_the_reference_summary_starts_from_todays_states(reference_summary):
    zones = layers.load("zones", ROOT)
    people = int(zones["population"].sum())
    head, start = reference_summary.split("\n\n")[:2]
    assert re.search(
        rf"objective: mean [\d.]+ months per person to free movement \(bound [\d.]+ months per person\), "
        rf"over {people:,} people in {len(zones)} zones",
        head,
    )
    assert "16 zones (area_a) under Palestinian security" in start
    assert "2 zones (east-jerusalem, old-city) under the Israel Police" in start
    assert "811 obstacles standing" in start
    assert "allenby open at the start under Israeli management (4,500 people and 250 trucks a day)" in start
    assert "over capacity at the start" in start and "erez (18,000 people a day short)" in start
    assert "Gaza-West Bank link safe-passage-south: closed" in start


def test_the_reference_summary_tells_the_handover_and_the_opening(reference_summary):
    detail, story = reference_summary.split("\n\nThe plan's story:\n")
    phases = detail.split("\n\n")[2:]
    assert phases[0].startswith("months 0-")
    assert "all 41 zones to the international force" in phases[0]
    assert sum(int(n.replace(",", "")) for n in re.findall(r"([\d,]+) obstacles? removed", reference_summary)) == 811
    assert "allenby passes to joint management with jordan (15,000 people and 500 trucks a day)" in reference_summary
    assert "Gaza-West Bank link safe-passage-south: escorted convoys (30,000 people a month)" in reference_summary
    assert re.search(r"residents at month \d+: [\d,]+ Israelis in Palestine", reference_summary)
    assert "barrier standing: 0.0 km" in reference_summary
    assert "East Jerusalem's people: " in reference_summary
    assert phases[-1].splitlines()[0].endswith("until the horizon:")
    # then the story the phase map tells, and the figures at its end
    assert story.startswith("  Jan 2027 (month 0)\n    The plan begins") and "\nFigures, " in story
    assert "    Palestinians living in Israel: " in story
