"""A plan is untrusted input: every hostile or careless value is an error at its own file:line:col, quickly.

Each class is tried with several spellings and at several places in a plan: repeated names, deep nesting,
infinite or oversized numbers, control and direction-override characters, '/' in names, paths that are not
plan files, links out of the plan's folder, and floods of problems.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import TINY_LEVELS, TINY_PLAN

from geo import plan
from geo.errors import PlanError, PlanIssue
from geo.plan import yamlio

#: Longest any rejection here may take; a hang guard (each takes milliseconds), generous for a busy machine.
SECONDS = 10.0


@contextlib.contextmanager
def deadline(seconds: float = SECONDS) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (a parse that used to run for minutes fails instead of hanging)."""
    if sys.platform == "win32":  # no SIGALRM
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeoutError as exc:
        pytest.fail(str(exc), pytrace=False)  # the parser's deep stack is no help in the report
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _issues(path: Path) -> list[PlanIssue]:
    with deadline(), pytest.raises(PlanError) as exc:
        plan.load(path)
    return exc.value.issues


def _position(text: str, marker: str, nth: int = 1) -> tuple[int, int]:
    """1-based (line, col) of the ``nth`` occurrence of ``marker`` in ``text``."""
    index = -1
    for _ in range(nth):
        index = text.index(marker, index + 1)
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _edit(old: str, new: str) -> str:
    assert old in TINY_PLAN, old
    base = TINY_PLAN.replace(TINY_LEVELS, "") if "levels:" in new else TINY_PLAN
    return base.replace(old, new, 1)


ZONES_AT = '  start: "2030-01"\n'  # where a zones: section goes in the tiny plan


def _with_zones(section: str) -> str:
    return _edit(ZONES_AT, ZONES_AT + "zones:\n" + section)


# -- 7: a name listed twice ----------------------------------------------------------------------------------------
REPEATS = [
    # (plan text, marker of the repeat, which occurrence of the marker, message fragment)
    (_with_zones("  use: [north, centre, north]\n"), "north", 2, "zone 'north' is listed twice in zones.use"),
    (_with_zones("  use:\n    - south\n    - north\n    - south\n"), "south", 2, "zone 'south' is listed twice"),
    (_with_zones("  use: [north, centre, south, centre]\n"), "centre", 2, "zones.use (first at line 6, col 16)"),
    (_with_zones("  groups:\n    west: [north, centre, north]\n"), "north", 2, "in zones.groups.west"),
    (
        _with_zones("  groups:\n    a: [north]\n    b:\n      - centre\n      - centre\n"),
        "centre",
        2,
        "zone 'centre' is listed twice in zones.groups.b",
    ),
    (_edit("serves: [all]", "serves: [all, all]"), "all", 2, "zone or group 'all' is listed twice in crossings.0"),
    (_edit("serves: [all]", "serves: [north, gaza, north]"), "north", 2, "'north' is listed twice"),
    (
        _edit("security:\n  steps:", "security:\n  states: [idf, international, palestinian, international]\n  steps:"),
        "international",
        2,
        "security state 'international' is listed twice in security.states",
    ),
    (
        _edit(
            "movement:\n  steps:",
            "movement:\n  levels: [closure, internal, permits, closure, free_movement, residence]\n  steps:",
        ),
        "closure",
        2,
        "movement level 'closure' is listed twice",
    ),
]


@pytest.mark.parametrize(("text", "marker", "nth", "fragment"), REPEATS)
def test_a_repeated_name_is_an_error_at_the_repeat(write_plan, text, marker, nth, fragment):
    (issue,) = _issues(write_plan(text))
    assert fragment in issue.message, str(issue)
    assert (issue.line, issue.col) == _position(text, marker, nth), str(issue)
    assert "counted once" in issue.fix


def test_overlapping_groups_serve_each_zone_once(write_plan, tiny_zones):
    text = _with_zones("  groups:\n    west: [north, centre]\n").replace("serves: [all]", "serves: [west, north, all]")
    problem = plan.compile_plan(plan.load(write_plan(text)), tiny_zones, {"gate-x"})
    assert problem.crossing_serves == {"gate-x": ["north", "centre", "south"]}
    assert problem.zones == ["north", "centre", "south"]


@pytest.mark.parametrize("repeats", [2_000, 5_000])
def test_thousands_of_repeats_are_reported_briefly_and_quickly(write_plan, repeats):
    text = _with_zones("  use: [" + ", ".join(["north"] * repeats) + "]\n")
    issues = _issues(write_plan(text))
    assert len(issues) == plan.MAX_ISSUES + 1
    assert all("listed twice" in i.message for i in issues[:-1])
    assert issues[-1].message == f"and {repeats - 1 - plan.MAX_ISSUES:,} more problems, from here on"


# -- 8: nesting and size bounds -------------------------------------------------------------------------------------
def _too_deep(write_plan, text: str) -> PlanIssue:
    with deadline(), pytest.raises(PlanError) as exc:
        yamlio.load(write_plan(text))
    (issue,) = exc.value.issues
    assert f"nested more than {yamlio.MAX_DEPTH} levels deep" in issue.message
    return issue


DEEP = 30_000  # thirty kilobytes of brackets took minutes before nesting was bounded


@pytest.mark.parametrize(
    ("prefix", "unit", "suffix"),
    [
        ("a: ", "[", ""),
        ("a: ", "[", "]" * DEEP),
        ("", "[", ""),
        ("a: ", "{b: ", ""),
        ("a: ", "{", ""),
        ("a: ", "[{x: ", ""),
        ("meta:\n  name: x\nlist:\n  - ", "[", ""),
        ("# a comment [[[\na: 'quoted [[['\nb: ", "[ ", ""),
    ],
)
def test_deep_flow_nesting_is_rejected_at_the_first_bracket_too_deep(write_plan, prefix, unit, suffix):
    text = prefix + unit * DEEP + suffix
    issue = _too_deep(write_plan, text)
    brackets = [i for i, ch in enumerate(text) if ch in "[{" and i >= len(prefix)]
    index = brackets[yamlio.MAX_DEPTH]  # each bracket opens one level, below the top-level mapping or list
    assert (issue.line, issue.col) == (text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index))


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda n: "".join(" " * i + f"k{i}:\n" for i in range(n)) + " " * n + "v\n", yamlio.MAX_DEPTH + 1),
        (lambda n: "".join("  " * i + "- \n" for i in range(n)) + "  " * n + "x\n", yamlio.MAX_DEPTH + 1),
        (lambda n: "a:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(n)) + "  " * (n + 1) + "v\n", 33),
    ],
)
def test_deep_block_nesting_is_rejected_at_its_line(write_plan, make, line):
    issue = _too_deep(write_plan, make(500))
    assert issue.line == line, str(issue)


def test_one_line_of_dashes_nests_too(write_plan):
    issue = _too_deep(write_plan, "- " * 5_000 + "x\n")
    assert issue.line == 1 and issue.col == 2 * yamlio.MAX_DEPTH + 1


def test_nesting_up_to_the_limit_loads(write_plan):
    depth = yamlio.MAX_DEPTH
    flow = yamlio.load(write_plan("a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"))
    value = flow.data["a"]
    for _ in range(depth - 2):
        value = value[0]
    assert value == [1]
    block = yamlio.load(write_plan("".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"))
    assert block.where(tuple(f"k{i}" for i in range(depth))) == (depth + 1, 2 * depth + 1)


@pytest.mark.parametrize(
    "text",
    [
        "a: '" + "[" * 100 + "'\nb: [1]\n",
        'a: "' + "{" * 100 + '\\" [["\nb: [1]\n',
        "# " + "[" * 100 + "\nb: [1]\n",
        "a: |\n  " + "[" * 100 + "\n  more text {{{\nb: [1]\n",
        "a: >-\n  " + "{" * 100 + "\nb: [1]\n",
        "a: it's " + "[" * 100 + "\nb: [1]\n",
        "a: [x, 'it''s " + "[" * 100 + "']\nb: [1]\n",
    ],
)
def test_brackets_in_text_do_not_count_as_nesting(write_plan, text):
    doc = yamlio.load(write_plan(text))
    assert doc.data["b"] == [1]


def test_a_legal_plan_with_its_deepest_sections_loads(write_plan):
    text = _with_zones(
        "  groups:\n    west: [north, centre]\n  overrides:\n    west:\n      security:\n        palestinian:\n"
        "          after:\n            - {security: international, lag: 1}\n"
    )
    lp = plan.load(write_plan(text))
    assert lp.plan.zones.overrides["west"].security["palestinian"]["after"][0]["lag"] == 1


@pytest.mark.parametrize("item", ["a", "{}", "[]", "[a, b]"])
def test_too_many_values_are_rejected_quickly(write_plan, item):
    n = yamlio.MAX_NODES + 1_000
    text = "a:\n  b: [" + ", ".join([item] * n) + "]\n"
    with deadline(), pytest.raises(PlanError) as exc:
        yamlio.load(write_plan(text))
    (issue,) = exc.value.issues
    assert f"more than {yamlio.MAX_NODES:,} values" in issue.message
    assert issue.line == 2


# -- 9: numbers that are infinite, not numbers, or too large ------------------------------------------------------
NUMBER_PLACES = [
    # (old text, new text with {v}, marker of the value, the bound the message names)
    ("horizon: 60", "horizon: {v}", "{v}", "600"),
    ("      duration: 2\n", "      duration: {v}\n", "{v}", "600"),
    ("          lag: 3", "          lag: {v}", "{v}", "600"),
    ("      hold_troops: 10", "      hold_troops: {v}", "{v}", "10,000,000"),
    ("{from: 0, available: 120}", "{from: 0, available: {v}}", "{v}}", "10,000,000"),
    ("{from: 0, available: 120}", "{from: {v}, available: 120}", "{v},", "600"),
    ("duration: 4}", "duration: 4, capacity_per_day: {v}}", "{v}}", "10,000,000"),
    ("      troops: 100 ", "      troops: {base: 1, per_1000_people: {v}} ", "{v}}", "100,000"),
    ("      troops: 100 ", "      troops: {base: {v}, per_100_km2: 2} ", "{v},", "10,000,000"),
]
HUGE = ["1e308", "99999999999999999999", str(2**64), str(2**200), "1.5e19"]
INFINITE = [".inf", "-.inf", ".Inf", "+.INF", "1e400"]
NOT_A_NUMBER = [".nan", ".NaN", ".NAN"]


def _number_case(write_plan, place, value):
    old, new, marker, bound = place
    text = _edit(old, new.replace("{v}", value))
    issues = _issues(write_plan(text))
    spot = _position(text, marker.replace("{v}", value))
    hit = [i for i in issues if (i.line, i.col) == spot]
    assert hit, [str(i) for i in issues]
    assert all(i.file.endswith("plan.yaml") for i in issues)
    return hit[0], bound


@pytest.mark.parametrize("place", NUMBER_PLACES)
@pytest.mark.parametrize("value", HUGE)
def test_oversized_numbers_name_the_bound(write_plan, place, value):
    issue, bound = _number_case(write_plan, place, value)
    assert f"to {bound}" in issue.fix or f"maximum of {bound}" in issue.message, str(issue)


@pytest.mark.parametrize("place", NUMBER_PLACES)
@pytest.mark.parametrize("value", INFINITE)
def test_infinite_numbers_are_not_finite(write_plan, place, value):
    issue, bound = _number_case(write_plan, place, value)
    assert "is not a finite number" in issue.message
    assert f"to {bound}" in issue.fix


@pytest.mark.parametrize("place", NUMBER_PLACES)
@pytest.mark.parametrize("value", NOT_A_NUMBER)
def test_nan_is_not_a_number(write_plan, place, value):
    issue, _ = _number_case(write_plan, place, value)
    assert issue.message.endswith(": .nan is not a number"), str(issue)
    assert "integer" not in issue.message


@pytest.mark.parametrize("value", [".inf", ".nan", "99999999999999999999", "1e308"])
@pytest.mark.parametrize(
    ("child", "marker"),
    [
        ("horizon: {v}\n", "{v}"),
        ("security:\n  steps:\n    international:\n      duration: {v}\n", "{v}"),
        ("resources:\n  troops:\n    - {from: 0, available: {v}}\n", "{v}}"),
        (
            "zones:\n  overrides:\n    north:\n      security:\n        international: {latest: {v}}\n",
            "{v}}",
        ),
        (
            "zones:\n  overrides:\n    all:\n      security:\n        palestinian:\n          after:\n"
            "            - {security: international, lag: {v}}\n",
            "{v}}",
        ),
    ],
)
def test_a_bad_number_in_a_plan_that_extends_defaults_is_blamed_on_the_plan(write_plan, value, child, marker):
    write_plan(TINY_PLAN, "base.yaml")
    text = "extends: base.yaml\n" + child.replace("{v}", value)
    issues = _issues(write_plan(text))
    assert len(issues) == 1, [str(i) for i in issues]
    (issue,) = issues
    assert issue.file.endswith("plan.yaml"), str(issue)
    assert (issue.line, issue.col) == _position(text, marker.replace("{v}", value)), str(issue)
    assert "600" in issue.message + issue.fix or "10,000,000" in issue.message + issue.fix


@pytest.mark.parametrize("digits", ["1" * 5_000, "-" + "9" * 4_400, "0x" + "f" * 2_000, "1_0" * 600])
@pytest.mark.parametrize(("old", "new"), [("horizon: 60", "horizon: {v}"), ("available: 120", "available: {v}")])
def test_a_number_too_long_to_convert_is_refused_at_its_place(write_plan, digits, old, new):
    text = _edit(old, new.replace("{v}", digits))
    (issue,) = _issues(write_plan(text))
    assert f"the number has {len(digits):,} characters" in issue.message
    assert (issue.line, issue.col) == _position(text, digits)


def test_numbers_within_bounds_still_load(write_plan):
    text = _edit("horizon: 60", "horizon: 600").replace("available: 120", "available: 10000000")
    text = text.replace("      troops: 100 ", "      troops: {base: 100, per_1000_people: 100000.0} ")
    lp = plan.load(write_plan(text))
    assert lp.plan.horizon == 600
    assert lp.plan.resources.troops[0].available == 10_000_000


@pytest.mark.parametrize("start", ["0000-01", "1899-12", "2200-01", "\u0662\u0660\u0663\u0660-01", "２０３０-01"])
def test_start_is_a_month_in_a_usable_range(write_plan, start):
    text = _edit('"2030-01"', f'"{start}"')
    (issue,) = _issues(write_plan(text))
    assert "is not a month YYYY-MM from 1900-01 to 2199-12" in issue.message
    assert (issue.line, issue.col) == _position(text, f'"{start}"')


# -- 15: control and direction-override characters ----------------------------------------------------------------
RAW = ["\x00", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\u2067", "\x0c"]
RAW_PLACES = [
    ("  name: tiny", "  name: ti{c}ny"),
    ("serves: [all]", "serves: [al{c}l]"),
    ("  minimize: completion", "  minimize: completion  # done{c}"),
    ("  name: tiny", "  na{c}me: tiny"),
    ("  name: tiny", "  name: tiny\n  description: |\n    line one\n    line {c}two"),
]


@pytest.mark.parametrize("char", RAW)
@pytest.mark.parametrize("place", RAW_PLACES)
def test_raw_control_characters_are_rejected_where_they_are(write_plan, char, place):
    old, new = place
    text = _edit(old, new.replace("{c}", char))
    (issue,) = _issues(write_plan(text))
    assert f"U+{ord(char):04X}" in issue.message
    assert char not in str(issue)
    assert (issue.line, issue.col) == _position(text, char)
    assert "delete it" in issue.fix


ESCAPED = [("\\0", 0x00), ("\\e", 0x1B), ("\\x7f", 0x7F), ("\\u202e", 0x202E), ("\\N", 0x85), ("\\r", 0x0D)]
ESCAPED += [("\\x1b[31m", 0x1B), ("\\U00002069", 0x2069), ("\\a", 0x07)]


@pytest.mark.parametrize(("escape", "code"), ESCAPED)
@pytest.mark.parametrize(
    ("old", "new", "marker"),
    [
        ("  name: tiny", '  name: "ti{e}ny"', '"ti'),
        ("serves: [all]", 'serves: [all, "x{e}"]', '"x'),
        ("  name: tiny", '  name: tiny\n  sources: ["a{e}"]', '"a'),
        ("  name: tiny", '  "na{e}me": tiny', '"na'),
    ],
)
def test_escaped_control_characters_are_rejected_at_their_value(write_plan, escape, code, old, new, marker):
    text = _edit(old, new.replace("{e}", escape))
    (issue,) = _issues(write_plan(text))
    assert f"U+{code:04X}" in issue.message, str(issue)
    assert chr(code) not in str(issue)
    assert (issue.line, issue.col) == _position(text, marker)


@pytest.mark.parametrize(("escape", "name"), [("\\t", "tab"), ("\\n", "line break")])
@pytest.mark.parametrize(
    ("old", "new", "marker"),
    [
        ("  name: tiny", '  name: "ti{e}ny"', '"ti'),
        ("id: gate-x", 'id: "gate{e}x"', '"gate'),
        ("serves: [all]", 'serves: ["al{e}l"]', '"al'),
        ("resources:", 'gates:\n  "re{e}view": {min_duration: 1}\nresources:', '"re'),
    ],
)
def test_tabs_and_line_breaks_are_refused_in_names(write_plan, escape, name, old, new, marker):
    text = _edit(old, new.replace("{e}", escape))
    (issue,) = _issues(write_plan(text))
    assert f"({name})" in issue.message
    assert (issue.line, issue.col) == _position(text, marker)
    assert "meta.description" in issue.fix


def test_tabs_and_line_breaks_stay_in_free_text(write_plan):
    text = _edit(
        "  name: tiny",
        '  name: tiny\n  description: "first\\tcolumn\\nsecond line"\n  sources:\n    - |\n      a source\n'
        '      on two lines\n  assumptions: ["one\\ttwo"]',
    )
    meta = plan.load(write_plan(text)).plan.meta
    assert meta.description == "first\tcolumn\nsecond line"
    assert meta.sources == ["a source\non two lines\n"]
    assert meta.assumptions == ["one\ttwo"]


# -- 17: '/' in names that build task ids ---------------------------------------------------------------------------
AFTER = "        - security: international\n          lag: 3"
SLASHES = [
    ("resources:", "gates:\n  review/1: {min_duration: 1}\nresources:", "review/1"),
    ("          lag: 3", "          lag: 3\n        - gate: a/b", "a/b"),
    ("id: gate-x", "id: gate/x", "gate/x"),
    ("serves: [all]", "serves: [all/zones]", "all/zones"),
    (ZONES_AT, ZONES_AT + "zones:\n  use: [north, x/y]\n", "x/y"),
    (ZONES_AT, ZONES_AT + "zones:\n  groups:\n    west/east: [north]\n", "west/east"),
    (ZONES_AT, ZONES_AT + "zones:\n  groups:\n    west: [north, /centre]\n", "/centre"),
    (ZONES_AT, ZONES_AT + "zones:\n  overrides:\n    north/: {security: {}}\n", "north/"),
    ("        - security: international", "        - security: inter/national", "inter/national"),
    (AFTER, "        - {movement: permits, zone: a/b}", "a/b"),
    (AFTER, "        - {movement: permits, group: //}", "//"),
    ("security:\n  steps:", "security:\n  states: [idf, a/b, palestinian]\n  steps:", "a/b"),
    ("movement:\n  steps:", "movement:\n  steps:\n    per/mits: {duration: 1}", "per/mits"),
    ("requires_security: palestinian", "requires_security: pal/estinian", "pal/estinian"),
    ("  minimize: completion", "  minimize: population_weighted_time\n  level: free/movement", "free/movement"),
]


@pytest.mark.parametrize(("old", "new", "marker"), SLASHES)
def test_a_slash_in_a_name_is_an_error_at_the_name(write_plan, old, new, marker):
    text = _edit(old, new)
    issues = _issues(write_plan(text))
    hit = [i for i in issues if "contains '/'" in i.message]
    assert hit, [str(i) for i in issues]
    assert (hit[0].line, hit[0].col) == _position(text, marker), str(hit[0])
    assert f"'{marker}'" in hit[0].message
    assert "use '-' instead" in hit[0].fix


# -- 18: clear messages -----------------------------------------------------------------------------------------------
UNKNOWN_KEYS = [
    # (old, new, unknown key, the model's own fields)
    ("  name: tiny", "  name: tiny\n  qqqq: x", "qqqq", {"name", "start", "unit", "description", "sources"}),
    ("          lag: 3", "          qq: 3", "qq", {"gate", "crossing", "zone", "group", "lag"}),
    (
        "      hold_troops: 10",
        "      hold_troops: {base: 1, zzz: 2}",
        "zzz",
        {"base", "per_1000_people", "per_100_km2", "per_1000_settlers"},
    ),
    ("{from: 0, available: 120}", "{from: 0, available: 120, until: 9}", "until", {"from", "available"}),
    ("duration: 4}", "duration: 4, qqq: 1}", "qqq", {"id", "serves", "capacity_per_day"}),
    ("  minimize: completion", "  minimize: completion\n  xyz: 1", "xyz", {"minimize", "level"}),
    ("horizon: 60", "horizon: 60\nqqqq: 1", "qqqq", {"meta", "horizon", "gates", "objective"}),
]


@pytest.mark.parametrize(("old", "new", "key", "fields"), UNKNOWN_KEYS)
def test_an_unknown_key_suggests_only_its_sections_fields(write_plan, old, new, key, fields):
    text = _edit(old, new)
    (issue,) = _issues(write_plan(text))
    assert f"unknown key '{key}'" in issue.message
    assert (issue.line, issue.col) == _position(text, key)
    assert issue.fix.startswith("use one of: ")
    listed = set(issue.fix.removeprefix("use one of: ").rstrip(".").split(", "))
    assert fields <= listed
    others = {"available", "per_1000_people", "min_duration", "requires_crossing", "hold_troops", "serves"}
    assert not (listed & (others - fields)), issue.fix


@pytest.mark.parametrize(
    ("old", "new", "suggestion"),
    [
        ("          lag: 3", "          lagg: 3", "lag"),
        ("      hold_troops: 10", "      hold_troop: 10", "hold_troops"),
        ("{from: 0, available: 120}", "{form: 0, available: 120}", "from"),
        ("duration: 4}", "duration: 4, capacity_per_dya: 1}", "capacity_per_day"),
    ],
)
def test_a_close_unknown_key_gets_its_sections_nearest_field(write_plan, old, new, suggestion):
    (issue,) = [i for i in _issues(write_plan(_edit(old, new))) if "unknown key" in i.message]
    assert issue.fix == f"did you mean '{suggestion}'?"


def test_a_folder_as_the_plan_is_a_folder(tmp_path):
    for folder in (tmp_path, tmp_path / "plan.yaml"):
        folder.mkdir(exist_ok=True)
        (issue,) = _issues(folder)
        assert "is a folder" in issue.message
        assert "not found" not in issue.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_as_the_plan_is_refused_without_blocking(tmp_path, write_plan):
    fifo = tmp_path / "plans" / "fifo.yaml"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    (issue,) = _issues(fifo)
    assert "is not a regular file" in issue.message
    (issue,) = _issues(write_plan("extends: fifo.yaml\n"))
    assert "is not a regular file" in issue.message and issue.file.endswith("fifo.yaml")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_behind_a_link_is_refused(tmp_path):
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    (issue,) = _issues(link)
    assert "is not a regular file" in issue.message


@pytest.mark.parametrize("count", [60, 5_000])
def test_a_flood_of_unknown_zones_is_cut_short(write_plan, tiny_zones, count):
    text = _with_zones("  use: [" + ", ".join(f"zone{i}" for i in range(count)) + "]\n")
    lp = plan.load(write_plan(text))
    with deadline(), pytest.raises(PlanError) as exc:
        plan.compile_plan(lp, tiny_zones, {"gate-x"})
    issues = exc.value.issues
    assert len(issues) == plan.MAX_ISSUES + 1
    assert [i.message for i in issues[:2]] == ["unknown zone 'zone0'", "unknown zone 'zone1'"]
    assert issues[-1].message == f"and {count - plan.MAX_ISSUES:,} more problems, from here on"
    assert (issues[-1].line, issues[-1].col) == _position(text, f"zone{plan.MAX_ISSUES},")


def test_a_flood_of_bad_values_is_cut_short(write_plan):
    members = ", ".join(f"a/{i}" for i in range(500))
    issues = _issues(write_plan(_with_zones(f"  groups:\n    g: [{members}]\n")))
    assert len(issues) == plan.MAX_ISSUES + 1
    assert "450 more problems" in issues[-1].message


def test_few_problems_are_all_listed(write_plan):
    members = ", ".join(f"a/{i}" for i in range(plan.MAX_ISSUES))
    issues = _issues(write_plan(_with_zones(f"  groups:\n    g: [{members}]\n")))
    assert len(issues) == plan.MAX_ISSUES
    assert all("contains '/'" in i.message for i in issues)


def _child(write_plan: Any) -> Path:
    return write_plan('extends: base.yaml\nmeta:\n  name: child\n  start: "2031-01"\n')


def test_an_extends_link_out_of_the_folder_is_refused(tmp_path, write_plan):
    outside = tmp_path / "elsewhere" / "secret.yaml"
    outside.parent.mkdir()
    outside.write_text(TINY_PLAN, encoding="utf-8")
    child = _child(write_plan)
    (child.parent / "base.yaml").symlink_to(outside)
    (issue,) = _issues(child)
    assert "is a link that leads out of the plan's folder" in issue.message
    assert issue.file.endswith("plan.yaml") and (issue.line, issue.col) == (1, 10)
    (child.parent / "base.yaml").unlink()
    (child.parent / "base.yaml").symlink_to(Path("..") / "elsewhere" / "secret.yaml")
    (issue,) = _issues(child)
    assert "leads out of the plan's folder" in issue.message


def test_an_extends_link_loop_is_refused(write_plan):
    child = _child(write_plan)
    (child.parent / "base.yaml").symlink_to("loop.yaml")
    (child.parent / "loop.yaml").symlink_to("base.yaml")
    (issue,) = _issues(child)
    assert "extends: 'base.yaml'" in issue.message


def test_an_extends_link_within_the_folder_is_followed(write_plan):
    write_plan(TINY_PLAN, "defaults-v2.yaml")
    child = _child(write_plan)
    (child.parent / "base.yaml").symlink_to("defaults-v2.yaml")
    assert plan.load(child).plan.meta.name == "child"


@pytest.mark.parametrize("name", ["'sub/base.yaml'", "'..\\base.yaml'", "base.json", '"\\t.yaml"', "'.yaml'", "5"])
def test_extends_names_one_yaml_file(write_plan, name):
    text = f"extends: {name}\n"
    (issue,) = _issues(write_plan(text))
    assert "extends: must name a .yaml file in the same folder" in issue.message
    assert (issue.line, issue.col) == (1, 10)


# -- 19: negative values ------------------------------------------------------------------------------------------
NEGATIVES = [
    ("horizon: 60", "horizon: -60", "-60", "minimum of 1"),
    ("      duration: 2\n", "      duration: -2\n", "-2", "minimum of 0"),
    ("          lag: 3", "          lag: -3", "-3", "minimum of 0"),
    ("      hold_troops: 10", "      hold_troops: -10", "-10", "minimum of 0"),
    ("      hold_troops: 10", "      hold_troops: {base: 1, per_1000_settlers: -0.5}", "-0.5", "minimum of 0"),
    ("{from: 0, available: 120}", "{from: -1, available: 120}", "-1", "minimum of 0"),
    ("{from: 0, available: 120}", "{from: 0, available: -120}", "-120", "minimum of 0"),
    ("duration: 4}", "duration: 4, capacity_per_day: -1}", "-1", "minimum of 0"),
    ("duration: 4}", "duration: 4, earliest: -6}", "-6", "minimum of 0"),
    ("min_months_at_previous: 6}", "min_months_at_previous: -6}", "-6", "minimum of 0"),
    ("    - {from: 0, available: 120}", "    - {from: 0, available: 120}\n  max_concurrent_handovers: 0", "0", "of 1"),
    ("resources:", "gates:\n  review: {min_duration: -1}\nresources:", "-1", "minimum of 0"),
    (ZONES_AT, ZONES_AT + "zones:\n  overrides:\n    north: {security: {international: {latest: -4}}}\n", "-4", "of 0"),
]


@pytest.mark.parametrize(("old", "new", "marker", "fragment"), NEGATIVES)
def test_negative_values_are_rejected_at_the_value(write_plan, old, new, marker, fragment):
    text = _edit(old, new)
    issues = _issues(write_plan(text))
    hit = [i for i in issues if "below the minimum" in i.message]
    assert hit, [str(i) for i in issues]
    assert fragment in hit[0].message
    index = text.index(new) + new.rindex(marker)  # the value sits in the edited text
    assert (hit[0].line, hit[0].col) == (text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index))


def test_every_number_in_the_schema_is_bounded():
    """A new numeric field without a maximum would reopen the oversized-number hole."""
    schema = plan.json_schema()
    numbers: list[tuple[str, dict[str, Any]]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number"):
                numbers.append((where, node))
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}.{i}")

    walk(schema, "")
    assert len(numbers) > 20
    unbounded = [w for w, n in numbers if "minimum" not in n or "maximum" not in n]
    assert unbounded == []


# -- names that collide --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("track", "ladder"),
    [
        ("security", '["idf", "international", "Palestinian", "palestinian"]'),
        ("security", '["idf", "IDF", "palestinian"]'),
        ("movement", '["closure", "internal", "permits", "free_movement", "Residence", "residence"]'),
        ("movement", '["closure", "CLOSURE", "internal"]'),
    ],
)
def test_states_that_differ_only_in_case_are_an_error_at_the_second(write_plan, track, ladder):
    text = TINY_PLAN.replace(TINY_LEVELS, "")
    key = "states" if track == "security" else "levels"
    text = text.replace(f"{track}:\n  steps:", f"{track}:\n  {key}: {ladder}\n  steps:", 1)
    with pytest.raises(PlanError) as err:
        plan.load(write_plan(text))
    assert any("only in case" in i.message and i.line > 1 for i in err.value.issues), err.value


@pytest.mark.parametrize("group", ["north", "centre", "south"])
def test_a_group_named_like_a_zone_is_an_error_at_the_group(write_plan, tiny_zones, group):
    text = TINY_PLAN.replace("crossings:", f"zones:\n  groups:\n    {group}: [north]\ncrossings:", 1)
    path = write_plan(text)
    with pytest.raises(PlanError) as err:
        plan.compile_plan(plan.load(path), tiny_zones, {"gate-x"})
    issue = next(i for i in err.value.issues if "has the name of a zone" in i.message)
    assert (issue.line, issue.col) == (
        next(k for k, line in enumerate(text.splitlines(), 1) if f"    {group}:" in line),
        5,
    )
