"""Strict YAML for plan files: positions for every value, no surprises, round-trip saving.

Plans are YAML 1.2 (so ``NO`` and ``12:30`` stay strings).  Plans travel between people, so a plan file is
untrusted input: it is checked before it is parsed, and rejected, each time with ``file:line:col`` and a fix,
when it holds

- anything but a regular file (a folder, a FIFO, a device), or more than :data:`MAX_BYTES` bytes, or text that
  is not UTF-8;
- a control character (C0 but tab and line breaks, DEL, C1), a bidirectional override or mark (U+202A-U+202E,
  U+2066-U+2069, U+200E, U+200F, U+061C), a line or paragraph separator (U+2028, U+2029) or an invisible
  character (U+200B, U+2060, U+FEFF past the start), written raw or as an escape in a quoted string: they hide
  text on a terminal, reverse how a name reads, break a one-line name or make two names look alike.  Tabs and
  line breaks may stay in the parsed text; :mod:`geo.plan` allows them only in free text;
- collections nested more than :data:`MAX_DEPTH` deep, or more than :data:`MAX_NODES` values: the YAML parser's
  time grows quickly with both (thirty kilobytes of ``[`` took minutes), so both are bounded before the file is
  composed, the brackets by a linear scan before the parser runs at all;
- duplicate keys, anchors and aliases, explicit tags, ``%YAML``/``%TAG`` directives, more than one document, and
  anything the parser cannot read.
"""

from __future__ import annotations

import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    NodeEvent,
    ScalarEvent,
)
from ruamel.yaml.reader import ReaderError

from ..errors import PlanError, PlanIssue
from ..files import atomic_write

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_NUMBER_CHARS", "Document", "char_name", "load", "save_value"]

#: Largest plan file accepted, in bytes.
MAX_BYTES = 1_000_000
#: Deepest nesting of mappings and lists accepted (a plan needs about 7 levels).
MAX_DEPTH = 32
#: Most values (scalars, mappings and lists) accepted in one file (the reference plan holds about 300).
MAX_NODES = 10_000
#: Longest integer accepted, in characters.
MAX_NUMBER_CHARS = 1_000

Path_ = tuple[str | int, ...]

#: Characters never accepted in a plan file: C0 controls but tab, LF and CR; DEL; C1 controls; bidi overrides
#: and isolates; the two Unicode non-characters YAML refuses.
_RAW_FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff\ufffe\uffff]"
)
#: Characters never accepted in a parsed string (an escape such as ``"\0"`` makes them): the same, and CR.
_VALUE_FORBIDDEN = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff\ufffe\uffff]"
)
#: A plain scalar YAML reads as an integer; one longer than :data:`MAX_NUMBER_CHARS` is refused before it is
#: converted: Python refuses to convert more than 4,300 digits, and no plan value needs more than 8.
_INTEGER = re.compile(r"[-+]?[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+")
_CONTROL_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x09: "tab", 0x0A: "line break", 0x0D: "CR"}
_CONTROL_NAMES |= {0x1B: "ESC", 0x7F: "DEL", 0x85: "NEL", 0x9B: "CSI"}

#: What the nesting scan stops at: outside brackets, openers, quotes, comments and block-scalar indicators ...
_LEXEME_BLOCK = re.compile(r"""[\[{'"#|>]""")
#: ... and inside brackets, brackets, quotes and comments.
_LEXEME_FLOW = re.compile(r"""[\[\]{}'"#]""")
_SINGLE_QUOTED = re.compile(r"'[^']*(?:''[^']*)*'")
_DOUBLE_QUOTED = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


@dataclass
class Document:
    """A parsed YAML file: plain data plus the position of every key and value."""

    path: Path
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_) -> tuple[int, int]:
        """(line, col), 1-based, of the value at ``path``, or of its nearest ancestor."""
        p = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.positions.get((), (1, 1))


def char_name(ch: str) -> str:
    """``U+001B (ESC)``: a character named so that a message never prints the character itself.

    Parameters
    ----------
    ch : str
        One character.

    Returns
    -------
    str
        Its code point and a name (the Unicode name where there is one).
    """
    code = ord(ch)
    name = _CONTROL_NAMES.get(code) or unicodedata.name(ch, "control character")
    return f"U+{code:04X} ({name})"


def _issue(path: Path, line: int, col: int, msg: str, fix: str) -> PlanIssue:
    return PlanIssue.at((str(path), line, col), msg, fix)


def _fail(path: Path, line: int, col: int, msg: str, fix: str) -> PlanError:
    return PlanError([_issue(path, line, col, msg, fix)])


def _line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of ``text[index]``."""
    return text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)
    y.allow_duplicate_keys = False
    return y


# -- reading ---------------------------------------------------------------------------------------------------
def _kind_problem(p: Path, mode: int) -> PlanError | None:
    """Why a file of this mode is no plan file (None: it is a regular file)."""
    if stat.S_ISDIR(mode):
        return _fail(p, 1, 1, "the path is a folder, not a plan file", "name the plan's .yaml file")
    if not stat.S_ISREG(mode):
        return _fail(
            p,
            1,
            1,
            "the path is not a regular file (a FIFO, socket or device)",
            "save the plan as an ordinary .yaml file and name that",
        )
    return None


def _too_big(p: Path, size: int) -> PlanError:
    return _fail(
        p,
        1,
        1,
        f"the file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit",
        "split the plan or share values with 'extends:'",
    )


def _read_bytes(p: Path) -> bytes:
    """The file's bytes, never blocking: a FIFO or device is refused before it is read."""
    try:
        mode = p.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise _fail(p, 1, 1, "plan file not found", "check the path (plans live in plans/)") from None
    except OSError as exc:
        raise _fail(p, 1, 1, f"the file cannot be read ({exc.strerror})", "check the path") from None
    problem = _kind_problem(p, mode)
    if problem is not None:
        raise problem
    try:  # O_NONBLOCK: a file swapped for a FIFO after the check still cannot block the open
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _fail(p, 1, 1, f"the file cannot be read ({exc.strerror})", "check its permissions") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        problem = _kind_problem(p, st.st_mode)
        if problem is not None:
            raise problem
        if st.st_size > MAX_BYTES:
            raise _too_big(p, st.st_size)
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_big(p, len(data))
    return data


def _read_text(p: Path) -> str:
    data = _read_bytes(p)
    try:
        return data.decode("utf-8-sig")  # a byte-order mark some editors write first is not part of the plan
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - data.rfind(b"\n", 0, exc.start)
        raise _fail(p, line, col, f"the file is not UTF-8 ({exc.reason})", "save it as UTF-8") from None


# -- checks on the text, before parsing ------------------------------------------------------------------------
def _check_characters(p: Path, text: str) -> None:
    m = _RAW_FORBIDDEN.search(text)
    if m is not None:
        line, col = _line_col(text, m.start())
        raise _fail(
            p,
            line,
            col,
            f"the file holds {char_name(m.group())}, a control or direction-override character",
            "delete it; plans hold plain text (it often comes from a binary paste or a wrong encoding)",
        )


def _token_start(text: str, i: int, flow: bool) -> bool:
    """Whether ``text[i]`` begins a YAML token rather than sitting inside a plain scalar such as ``it's``."""
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    if j < 0 or text[j] in "\r\n":
        return True
    if flow:
        return text[j] in "[{,:?"
    return text[j] in "-?:" and j < i - 1


def _quoted_end(text: str, i: int) -> int:
    """Index just past the quoted scalar opening at ``text[i]`` (the end of the text if it is unterminated)."""
    m = (_SINGLE_QUOTED if text[i] == "'" else _DOUBLE_QUOTED).match(text, i)
    return m.end() if m is not None else len(text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_scalar_end(text: str, i: int) -> int:
    """Index of the first line after the block scalar (``|`` or ``>``) indicated at ``text[i]``."""
    indent = _indent(text[text.rfind("\n", 0, i) + 1 : i])
    end = text.find("\n", i)
    while end != -1:
        start = end + 1
        end = text.find("\n", start)
        line = text[start : end if end != -1 else len(text)]
        if line.strip(" \t\r") and _indent(line) <= indent:
            return start
    return len(text)


def _too_deep(p: Path, line: int, col: int) -> PlanError:
    return _fail(
        p,
        line,
        col,
        f"the values are nested more than {MAX_DEPTH} levels deep",
        "flatten the structure; a plan needs only a few levels of nesting",
    )


def _check_brackets(p: Path, text: str) -> None:
    """Reject flow collections (``[`` and ``{``) nested deeper than :data:`MAX_DEPTH`, in one linear pass.

    The YAML scanner takes time quadratic in the bracket depth, so this runs before it.  Quotes, comments and
    block scalars are skipped the way YAML reads them; where this light reading errs, the exact count on the
    parser's events (:func:`_check_events`) still applies.
    """
    depth = 0
    pos = 0
    while (m := (_LEXEME_FLOW if depth else _LEXEME_BLOCK).search(text, pos)) is not None:
        i, ch = m.start(), m.group()
        pos = i + 1
        if ch == "#":
            if i == 0 or text[i - 1] in " \t\r\n":
                end = text.find("\n", i)
                pos = end if end != -1 else len(text)
        elif ch in "'\"":
            if _token_start(text, i, depth > 0):
                pos = _quoted_end(text, i)
        elif ch in "[{":
            if depth or _token_start(text, i, False):
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(p, *_line_col(text, i))
        elif ch in "]}":
            depth -= 1
        elif depth == 0 and _token_start(text, i, False):
            pos = _block_scalar_end(text, i)


def _check_document(p: Path, ev: DocumentStartEvent, docs: int, line: int, col: int) -> None:
    if docs > 1:
        raise _fail(
            p,
            line,
            col,
            "the file holds more than one YAML document",
            "keep one plan per file; remove the '---' separator and what follows",
        )
    if getattr(ev, "version", None) or getattr(ev, "tags", None):
        raise _fail(
            p,
            1,
            1,
            "YAML directives (%YAML, %TAG) are not allowed",
            "remove the '%' directive lines; plans are always YAML 1.2",
        )


def _check_scalar(p: Path, value: str, line: int, col: int) -> None:
    """Refuse a control character that an escape in a quoted key or value produced (ESC from a backslash-e).

    Checked on the parser's events, before any message (a duplicate key's, say) could print the text.
    """
    m = _VALUE_FORBIDDEN.search(value)
    if m is not None:
        raise _fail(
            p,
            line,
            col,
            f"the text holds {char_name(m.group())}, a control or direction-override character",
            "delete the escape; plans hold plain text",
        )


def _check_number(p: Path, value: str, line: int, col: int) -> None:
    if len(value) > MAX_NUMBER_CHARS and _INTEGER.fullmatch(value):
        raise _fail(
            p,
            line,
            col,
            f"the number has {len(value):,} characters; no value in a plan needs more than 8 digits",
            "write the intended number (quote it if it is text)",
        )


def _check_node(p: Path, ev: NodeEvent, line: int, col: int) -> None:
    if isinstance(ev, ScalarEvent) and ev.style == '"':  # only double quotes have escapes; raw text is scanned
        _check_scalar(p, str(ev.value), line, col)
    if isinstance(ev, ScalarEvent) and ev.style is None:
        _check_number(p, str(ev.value), line, col)
    if isinstance(ev, AliasEvent):
        raise _fail(
            p,
            line,
            col,
            f"alias '*{ev.anchor}' is not allowed",
            "write the value out in full; plans do not use anchors or aliases",
        )
    if ev.anchor is not None:
        raise _fail(
            p,
            line,
            col,
            f"anchor '&{ev.anchor}' is not allowed",
            "remove the anchor; share values through 'extends:' instead",
        )
    tag = getattr(ev, "tag", None)
    implicit = getattr(ev, "implicit", None)
    if tag is not None and not (isinstance(implicit, tuple) and any(implicit)) and tag != "!":
        shown = str(tag).replace("tag:yaml.org,2002:", "!!")
        raise _fail(
            p,
            line,
            col,
            f"tag '{shown}' is not allowed",
            "remove the tag; write a plain value (quote it to force a string)",
        )


def _check_size(p: Path, nodes: int, depth: int, line: int, col: int) -> None:
    if depth > MAX_DEPTH:
        raise _too_deep(p, line, col)
    if nodes > MAX_NODES:
        raise _fail(
            p,
            line,
            col,
            f"the file holds more than {MAX_NODES:,} values",
            "split the plan; use groups and 'use: all' rather than long lists",
        )


def _mark(ev: Event) -> tuple[int, int]:
    mark = ev.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _check_events(p: Path, text: str) -> None:
    """Walk the parser's events (no composing) and reject what plans do not use, and oversized structures."""
    docs = depth = nodes = 0
    for ev in _yaml().parse(io.StringIO(text)):
        line, col = _mark(ev)
        if isinstance(ev, DocumentStartEvent):
            docs += 1
            _check_document(p, ev, docs, line, col)
        elif isinstance(ev, NodeEvent):
            _check_node(p, ev, line, col)
            nodes += 1
            depth += isinstance(ev, CollectionStartEvent)
            _check_size(p, nodes, depth, line, col)
        elif isinstance(ev, CollectionEndEvent):
            depth -= 1
    if docs == 0:
        raise _fail(p, 1, 1, "the file is empty", "start from plans/reference.yaml")


# -- composing -------------------------------------------------------------------------------------------------
def _plain_map(p: Path, node: CommentedMap, path: Path_, positions: dict[Path_, tuple[int, int]]) -> dict[str, Any]:
    out = {}
    for key in node:
        kline, kcol = node.lc.key(key)
        if not isinstance(key, str):
            raise _fail(
                p,
                kline + 1,
                kcol + 1,
                f"key {key!r} is not a string",
                "write keys as plain words (quote them if needed)",
            )
        line, col = node.lc.value(key)
        positions[(*path, key)] = (line + 1, col + 1)
        positions[(*path, key, "__key__")] = (kline + 1, kcol + 1)
        out[key] = _plain(p, node[key], (*path, key), positions)
    return out


def _plain(p: Path, node: Any, path: Path_, positions: dict[Path_, tuple[int, int]]) -> Any:
    if isinstance(node, CommentedMap):
        return _plain_map(p, node, path, positions)
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            positions[(*path, i)] = (line + 1, col + 1)
            items.append(_plain(p, item, (*path, i), positions))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _parse(p: Path, text: str) -> Any:
    try:
        _check_events(p, text)
        return _yaml().load(text)
    except PlanError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = (exc.problem or exc.context or "cannot parse the YAML").strip()
        fix = (
            "remove or rename the repeated key"
            if "duplicate key" in what
            else "check indentation, colons and quotes around this position"
        )
        raise _fail(p, line, col, what, fix) from None
    except ReaderError as exc:
        line, col = _line_col(text, int(exc.position))
        raise _fail(
            p, line, col, f"the file holds a character YAML does not allow ({exc.reason})", "delete it"
        ) from None
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise _fail(p, 1, 1, f"the YAML parser failed: {exc}", "simplify the file around recent edits") from None


def load(path: Path | str) -> Document:
    """Read a plan file strictly.

    Parameters
    ----------
    path : path
        The YAML file.

    Returns
    -------
    Document
        Plain data (dicts, lists, str, int, float, bool, None) and positions.

    Raises
    ------
    PlanError
        With ``file:line:col`` for every rejected construct or parse failure.
    """
    p = Path(path)
    text = _read_text(p)
    if text.lstrip().startswith("%"):
        raise _fail(
            p,
            1,
            1,
            "YAML directives (%YAML, %TAG) are not allowed",
            "remove the '%' directive lines; plans are always YAML 1.2",
        )
    _check_characters(p, text)
    _check_brackets(p, text)
    raw = _parse(p, text)
    positions: dict[Path_, tuple[int, int]] = {(): (1, 1)}
    return Document(p, _plain(p, raw, (), positions), positions)


def save_value(path: Path | str, keys: Path_, value: Any) -> None:
    """Change one value in a plan file, keeping comments, key order and layout.

    Parameters
    ----------
    path : path
        The plan file (written atomically).
    keys : tuple
        Path to the value, e.g. ``("security", "steps", "international", "duration")``.
    value : object
        The new value.

    Raises
    ------
    PlanError
        If the path does not exist in the file.
    """
    p = Path(path)
    y = YAML(typ="rt")  # no explicit version: the dump must not add a %YAML line
    y.preserve_quotes = True
    y.width = 4096
    doc = y.load(p.read_text(encoding="utf-8"))
    node = doc
    for k in keys[:-1]:
        try:
            node = node[k]
        except (KeyError, IndexError, TypeError) as exc:
            raise PlanError(
                [_issue(p, 1, 1, f"no value at {'.'.join(map(str, keys))}", "add the key to the plan first")]
            ) from exc
    if isinstance(node, dict) and keys[-1] not in node:
        raise PlanError([_issue(p, 1, 1, f"no value at {'.'.join(map(str, keys))}", "add the key first")])
    node[keys[-1]] = value
    buf = io.StringIO()
    y.dump(doc, buf)
    atomic_write(p, buf.getvalue().encode("utf-8"))
