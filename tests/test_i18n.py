"""The message catalogue: every message the pages ask for is translated, with its slots, and none is a format string."""

import json
import re
import typing

import pytest
from babel.messages.pofile import read_po
from test_render import ROOT, shipped_layers

from geo import figures, i18n, plan, summary
from geo.errors import PlanError, UsageError
from geo.output import messages, phase_map
from geo.plan.model import MilestoneKey
from geo.run import run_loaded

LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def reference_run():
    return run_loaded(ROOT / "plans" / "reference.yaml", shipped_layers(), 1.0)


@pytest.fixture(scope="module")
def reference_payload(reference_run):
    return phase_map.build_payload(phase_map.MapInputs.from_run(reference_run, "test", "2027-01-01"))


@pytest.fixture(scope="module")
def wanted(reference_payload):
    return messages.interface_messages([reference_payload])


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_every_message_is_translated_with_the_same_slots_and_no_latin_letters(wanted, lang):
    cat = i18n.catalogue(lang)
    missing = sorted(set(wanted) - set(cat))
    assert not missing, f"untranslated in {lang}.po (run tools/messages.py, then translate): {missing}"
    for msgid in wanted:
        assert msgid.count("{") == len(re.findall(r"\{[a-z][a-z0-9_]*\}", msgid)), f"not a slot in {msgid!r}"
        text = cat[msgid]
        assert i18n.slots(text) == i18n.slots(msgid), (lang, msgid, text)
        assert all(text.count("{" + s + "}") == 1 for s in i18n.slots(msgid)), (lang, msgid, text)
        assert not LATIN.search(re.sub(r"\{[a-z][a-z0-9_]*\}", "", text)), (lang, msgid, text)


@pytest.mark.parametrize("lang", ["ar", "he"])
def test_the_catalogue_files_are_clean_po_without_fuzzy_or_stale_entries(wanted, lang):
    with (ROOT / "geo" / "locale" / f"{lang}.po").open("rb") as f:
        cat = read_po(f, locale=lang)
    ids = {m.id for m in cat if m.id}
    assert not [m.id for m in cat if m.id and m.fuzzy]
    assert not cat.obsolete
    # a message no page asks for any more is dead weight in every page: tools/messages.py drops it
    assert not ids - set(wanted), sorted(ids - set(wanted))


def test_the_scripts_messages_are_found_by_babels_extractor():
    found = messages.script_messages()
    assert "Previous milestone" in found and found["Previous milestone"].startswith("geo/output/static/landplan.js:")
    assert "{date} (month {month})" in found  # a call with a second argument (its slots) is found too


def test_fill_is_plain_substitution_never_formatting():
    assert i18n.fill("{a} of {b}", a=1, b="{b}") == "1 of {b}"
    assert i18n.fill("{0.__class__} {a!r} {missing}", a="x") == "{0.__class__} {a!r} {missing}"
    assert i18n.translate("en", "Zoom in") == "Zoom in"
    assert i18n.translate("he", "Zoom in") != "Zoom in"


def test_an_unknown_language_is_a_usage_error_naming_the_choices():
    with pytest.raises(UsageError, match="en, ar, he"):
        i18n.catalogue("fr")
    assert isinstance(UsageError("x"), ValueError)


def test_every_metric_column_of_the_shipped_plans_has_a_figure(reference_payload):
    cols = reference_payload["metrics"]["columns"]
    groups = figures.figure_groups(cols, ["idf", "israel_police", "international", "palestinian", "shared"])
    assert figures.unread_columns(cols, groups) == []
    titles = [g.title for g in groups]
    assert titles == [t for t in figures.GROUPS if t in titles] and {"Security", "Movement", "Crossings"} <= set(titles)
    assert reference_payload["figures"] == [
        {"title": g.title, "figures": [f.to_json() for f in g.figures]} for g in groups
    ]


def test_a_new_metric_without_a_figure_is_reported_not_shown():
    groups = figures.figure_groups(["month", "date", "crossings_open", "brand_new_count"], [])
    assert figures.unread_columns(["month", "date", "crossings_open", "brand_new_count"], groups) == ["brand_new_count"]


def test_milestones_follow_the_figures():
    rows = [
        {"month": m, "area_pct_idf": max(0, 60 - 20 * m), "area_pct_international": 10 * (m >= 1),
         "link_people_per_month": 0 if m < 3 else 900, "barrier_km_standing": 5.0}
        for m in range(6)
    ]  # fmt: skip
    story = figures.milestones(rows)
    assert [(s.month, s.keys) for s in story] == [
        (0, ("start",)),
        (1, ("international",)),
        (3, ("link", "idf_out", "end")),
    ]
    assert all(c in figures.milestone_messages() for s in story for c in s.captions)
    assert figures.milestones([]) == []


def test_the_reference_story_starts_at_month_0_and_ends_with_the_last_step(reference_payload, reference_run):
    story = reference_payload["milestones"]
    months = [s["month"] for s in story]
    assert months[0] == 0 and months == sorted(set(months)) and len(story) >= 4
    assert story[-1]["month"] == reference_run.schedule.makespan and "end" in story[-1]["keys"]


def test_without_a_last_step_the_story_ends_when_the_last_figure_changes(reference_payload):
    rows = reference_payload["metrics"]["rows"]
    cols = reference_payload["metrics"]["columns"]
    story = figures.milestones([dict(zip(cols, r, strict=True)) for r in rows])
    last = max(m for m in range(1, len(rows)) if rows[m][2:] != rows[m - 1][2:])
    assert story[-1].month == last and "end" in story[-1].keys


@pytest.mark.parametrize("lang", ["en", "ar", "he"])
def test_plan_summary_tells_the_story_in_each_language(reference_run, lang):
    told = summary.story(reference_run, lang)
    payload_story = figures.milestones(reference_run.metrics.to_dict("records"), reference_run.schedule.makespan)
    captions = [c for m in payload_story for c in m.captions]
    text = "\n".join(told)
    assert all(i18n.translate(lang, c) in text for c in captions)
    assert i18n.translate(lang, "Palestinians living in Israel") in text
    assert "\u200f" not in text and "_" not in text  # no direction marks, no raw keys
    if lang != "en":
        assert not LATIN.search(text.replace(reference_run.name, ""))


def test_the_milestone_keys_a_plan_may_caption_are_the_storys():
    assert typing.get_args(MilestoneKey) == figures.MILESTONE_KEYS


def test_a_plans_own_captions_join_the_story_as_data(reference_run, tmp_path):
    text = (ROOT / "plans" / "reference.yaml").read_text(encoding="utf-8")
    caption = "<b>{date}</b> the army leaves, as agreed in $x$"
    (tmp_path / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(encoding="utf-8"))
    (tmp_path / "own.yaml").write_text(text + f"story:\n  idf_out: {json.dumps(caption)}\n", encoding="utf-8")
    run = run_loaded(tmp_path / "own.yaml", shipped_layers(), 1.0)
    assert run.problem.story == {"idf_out": caption}
    story = phase_map.build_payload(phase_map.MapInputs.from_run(run, "t", "2027-01-01"))["milestones"]
    noted = [m for m in story if m["notes"]]
    assert len(noted) == 1 and "idf_out" in noted[0]["keys"]
    assert noted[0]["notes"] == [caption]  # as written: the page shows it as text
    assert f"    {caption}" in summary.story(run, "he")


def test_an_unknown_milestone_in_a_plans_story_is_an_error_at_its_line(tmp_path):
    text = (ROOT / "plans" / "reference.yaml").read_text(encoding="utf-8")
    (tmp_path / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(encoding="utf-8"))
    (tmp_path / "bad.yaml").write_text(text + "story:\n  idf_gone: too soon\n", encoding="utf-8")
    line = text.count("\n") + 2
    with pytest.raises(PlanError) as err:
        plan.load(tmp_path / "bad.yaml")
    assert f"bad.yaml:{line}:" in str(err.value) and "idf_out" in str(err.value)
