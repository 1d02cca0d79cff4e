"""Strict YAML: every rejected construct is reported at file:line:col."""

import pytest

from geo.errors import PlanError
from geo.plan import yamlio


def _err(write_plan, text):
    with pytest.raises(PlanError) as exc:
        yamlio.load(write_plan(text))
    (issue,) = exc.value.issues
    return issue


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key"),
        ("a: &x 1\nb: 2\n", 1, 4, "anchor '&x' is not allowed"),
        ("a: [1]\nb: *x\n", 2, 4, "alias"),
        ("a: !!str 1\n", 1, 4, "tag '!!str' is not allowed"),
        ("a: !custom 1\n", 1, 4, "tag '!custom' is not allowed"),
        ("%YAML 1.1\n---\na: 1\n", 1, 1, "directives"),
        ("a: 1\n---\nb: 2\n", 2, 1, "more than one YAML document"),
        ("a: [1, 2\nb: 3\n", 2, 2, "expected"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, ""),
        ("", 1, 1, "empty"),
    ],
)
def test_rejected_constructs(write_plan, text, line, col, fragment):
    issue = _err(write_plan, text)
    assert (issue.line, issue.col) == (line, col), str(issue)
    assert fragment in issue.message
    assert issue.fix
    assert str(issue).startswith(f"{issue.file}:{line}:{col}: ")


def test_alias_with_anchor_reports_the_anchor_first(write_plan):
    issue = _err(write_plan, "a: &x [1]\nb: *x\n")
    assert "anchor" in issue.message


def test_yaml_1_1_surprises_stay_strings(write_plan):
    doc = yamlio.load(write_plan("country: NO\ntime: 12:30\nflag: yes\noct: 010\n"))
    assert doc.data == {"country": "NO", "time": "12:30", "flag": "yes", "oct": 10}


def test_positions_of_keys_and_items(write_plan):
    doc = yamlio.load(write_plan("meta:\n  name: x\nlist:\n  - a\n  - b\n"))
    assert doc.where(("meta", "name")) == (2, 9)
    assert doc.where(("list", 1)) == (5, 5)
    assert doc.where(("meta", "name", "__key__")) == (2, 3)
    assert doc.where(("nowhere", "deep")) == (1, 1)


def test_too_large_and_not_utf8_and_missing(write_plan, tmp_path):
    big = write_plan("a: " + "x" * (yamlio.MAX_BYTES + 1) + "\n")
    with pytest.raises(PlanError, match="over the 1,000,000-byte limit"):
        yamlio.load(big)
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(PlanError, match="not UTF-8"):
        yamlio.load(bad)
    with pytest.raises(PlanError, match="plan file not found"):
        yamlio.load(tmp_path / "nope.yaml")


def test_save_value_changes_one_line_and_keeps_comments(write_plan):
    text = (
        "# a comment that must survive\n"
        "meta:\n"
        "  name: x   # trailing comment\n"
        "security:\n"
        "  steps:\n"
        "    international:\n"
        "      duration: 2   # months\n"
        "      troops: {base: 150, per_1000_people: 0.5}\n"
        "zones:\n"
        "  use: [a, b]\n"
    )
    p = write_plan(text)
    yamlio.save_value(p, ("security", "steps", "international", "duration"), 4)
    after = p.read_text(encoding="utf-8").splitlines()
    before = text.splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("      duration: 2   # months", "      duration: 4   # months")]
    with pytest.raises(PlanError, match="no value at"):
        yamlio.save_value(p, ("security", "nope", "x"), 1)


@pytest.mark.parametrize(
    ("data", "line", "col"),
    [
        (b"name: caf\xe9\n", 1, 10),
        (b"a: 1\nb:\n  - ok\n  - \xff\xfe\n", 4, 5),
        (b"\x80", 1, 1),
    ],
)
def test_not_utf8_names_the_first_bad_byte(tmp_path, data, line, col):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(data)
    with pytest.raises(PlanError) as exc:
        yamlio.load(bad)
    (issue,) = exc.value.issues
    assert "not UTF-8" in issue.message
    assert (issue.line, issue.col) == (line, col)


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\x9b", "\u202a", "\u202e", "\u2066", "\u2069"])
def test_char_name_never_prints_the_character(char):
    shown = yamlio.char_name(char)
    assert char not in shown
    assert shown.startswith(f"U+{ord(char):04X} (")


def test_tabs_and_line_breaks_stay_in_parsed_text(write_plan):
    doc = yamlio.load(write_plan('a: "x\\ty\\nz"\nb: |\n  one\n  two\nc: "a\ty"\n'))
    assert doc.data == {"a": "x\ty\nz", "b": "one\ntwo\n", "c": "a\ty"}


def test_crlf_line_endings_are_plain_line_breaks(tmp_path):
    p = tmp_path / "crlf.yaml"
    p.write_bytes(b"a: 1\r\nb:\r\n  - x\r\n")
    doc = yamlio.load(p)
    assert doc.data == {"a": 1, "b": ["x"]}
    assert doc.where(("b", 0)) == (3, 5)
