"""Strict YAML for plan files: positions for every value, no surprises, round-trip saving.

Plans are YAML 1.2 (so ``NO`` and ``12:30`` stay strings).  Rejected, each with
``file:line:col``: duplicate keys, anchors and aliases, explicit tags,
``%YAML``/``%TAG`` directives, more than one document, files over
:data:`MAX_BYTES`, and anything the parser cannot read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, DocumentStartEvent, NodeEvent

from .errors import PlanError, PlanIssue
from .files import atomic_write

__all__ = ["MAX_BYTES", "Document", "load", "save_value"]

#: Largest plan file accepted, in bytes.
MAX_BYTES = 1_000_000

Path_ = tuple[str | int, ...]


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


def _issue(path: Path, line: int, col: int, msg: str, fix: str) -> PlanIssue:
    return PlanIssue(str(path), line, col, msg, fix)


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.version = (1, 2)
    y.allow_duplicate_keys = False
    return y


def _check_events(path: Path, text: str) -> None:
    docs = 0
    for ev in _yaml().parse(io.StringIO(text)):
        mark = ev.start_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        if isinstance(ev, DocumentStartEvent):
            docs += 1
            if docs > 1:
                raise PlanError(
                    [
                        _issue(
                            path,
                            line,
                            col,
                            "the file holds more than one YAML document",
                            "keep one plan per file; remove the '---' separator and what follows",
                        )
                    ]
                )
            if getattr(ev, "version", None) or getattr(ev, "tags", None):
                raise PlanError(
                    [
                        _issue(
                            path,
                            1,
                            1,
                            "YAML directives (%YAML, %TAG) are not allowed",
                            "remove the '%' directive lines; plans are always YAML 1.2",
                        )
                    ]
                )
        if isinstance(ev, AliasEvent):
            raise PlanError(
                [
                    _issue(
                        path,
                        line,
                        col,
                        f"alias '*{ev.anchor}' is not allowed",
                        "write the value out in full; plans do not use anchors or aliases",
                    )
                ]
            )
        if isinstance(ev, NodeEvent) and ev.anchor is not None:
            raise PlanError(
                [
                    _issue(
                        path,
                        line,
                        col,
                        f"anchor '&{ev.anchor}' is not allowed",
                        "remove the anchor; share values through 'extends:' instead",
                    )
                ]
            )
        tag = getattr(ev, "tag", None)
        implicit = getattr(ev, "implicit", None)
        explicit_tag = tag is not None and not (isinstance(implicit, tuple) and any(implicit)) and tag != "!"
        if isinstance(ev, NodeEvent) and explicit_tag:
            shown = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise PlanError(
                [
                    _issue(
                        path,
                        line,
                        col,
                        f"tag '{shown}' is not allowed",
                        "remove the tag; write a plain value (quote it to force a string)",
                    )
                ]
            )
    if docs == 0:
        raise PlanError([_issue(path, 1, 1, "the file is empty", "start from plans/reference.yaml")])


def _plain(node: Any, path: Path_, positions: dict[Path_, tuple[int, int]]) -> Any:
    if isinstance(node, CommentedMap):
        out = {}
        for key in node:
            if not isinstance(key, str):
                line, col = node.lc.key(key)
                raise PlanError(
                    [
                        PlanIssue(
                            "",
                            line + 1,
                            col + 1,
                            f"key {key!r} is not a string",
                            "write keys as plain words (quote them if needed)",
                        )
                    ]
                )
            line, col = node.lc.value(key)
            positions[(*path, key)] = (line + 1, col + 1)
            kline, kcol = node.lc.key(key)
            positions[(*path, key, "__key__")] = (kline + 1, kcol + 1)
            out[key] = _plain(node[key], (*path, key), positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for i, item in enumerate(node):
            line, col = node.lc.item(i)
            positions[(*path, i)] = (line + 1, col + 1)
            items.append(_plain(item, (*path, i), positions))
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
    if not p.is_file():
        raise PlanError([_issue(p, 1, 1, "plan file not found", "check the path (plans live in plans/)")])
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise PlanError(
            [
                _issue(
                    p,
                    1,
                    1,
                    f"the file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit",
                    "split the plan or share values with 'extends:'",
                )
            ]
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise PlanError([_issue(p, 1, 1, f"the file is not UTF-8 ({exc.reason})", "save it as UTF-8")]) from exc
    if text.lstrip().startswith("%"):
        raise PlanError(
            [
                _issue(
                    p,
                    1,
                    1,
                    "YAML directives (%YAML, %TAG) are not allowed",
                    "remove the '%' directive lines; plans are always YAML 1.2",
                )
            ]
        )
    try:
        _check_events(p, text)
        raw = _yaml().load(text)
    except PlanError:
        raise
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        what = (exc.problem or exc.context or "cannot parse the YAML").strip()
        fix = (
            "remove or rename the repeated key"
            if "duplicate key" in what
            else ("check indentation, colons and quotes around this position")
        )
        raise PlanError([_issue(p, line, col, what, fix)]) from exc
    except (YAMLError, ValueError, TypeError, RecursionError) as exc:
        raise PlanError(
            [_issue(p, 1, 1, f"the YAML parser failed: {exc}", "simplify the file around recent edits")]
        ) from exc
    positions: dict[Path_, tuple[int, int]] = {(): (1, 1)}
    try:
        data = _plain(raw, (), positions)
    except PlanError as exc:
        raise PlanError([PlanIssue(str(p), i.line, i.col, i.message, i.fix) for i in exc.issues]) from None
    return Document(p, data, positions)


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
