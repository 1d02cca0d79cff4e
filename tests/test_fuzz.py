"""Fuzzing: mutated plan and layer files never crash a command, never hang it, and never leave a file behind.

Hypothesis mutates the shipped plans (bytes, YAML tokens, whole lines) and the shipped layers (bytes, JSON values,
features, coordinates); each case runs the command line in-process and must end with a documented exit code
(0, 1, 65 or 74), no traceback, nothing written in the workspace, and within a bounded time.  The number of cases is
fixed (``derandomize``), so a run is repeatable and its length bounded; raise ``LANDPLAN_FUZZ_EXAMPLES`` to fuzz longer.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("LANDPLAN_FUZZ_EXAMPLES", "40"))
ALLOWED = {0, 1, 65, 74}
#: Longest a single case may take (a hang guard: cases take well under a second here).
CASE_SECONDS = 20.0

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=CASE_SECONDS),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)

#: Values a hostile or careless editor puts where a plan or layer value belongs.
NASTY_TEXT = [
    "",
    "-1",
    "0",
    "1e308",
    "-1e308",
    ".inf",
    "-.inf",
    ".nan",
    "99999999999999999999999",
    "NaN",
    "Infinity",
    "null",
    "~",
    "true",
    "NO",
    "12:30",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "{a: {b: {c: {d: {e: {f: {g: 1}}}}}}}",
    "*alias",
    "&anchor x",
    "!!python/object/apply:os.system ['id']",
    "{{ lipsum.__globals__.os.popen('id').read() }}",
    "{% for x in range(9) %}x{% endfor %}",
    "{# hidden #}",
    "$\\frac{1}{0}$",
    '=HYPERLINK("http://x")',
    "a/b",
    "\x00",
    "\x1b[2J",
    "\u202eevil",
    "<script>alert(1)</script>",
    "'unterminated",
    '"unterminated',
    "- - - -",
    "x" * 5000,
    "%YAML 1.1",
    "---",
    "@at",
    "zone\ttab",
]


def _workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(ROOT / "layers", ws / "layers")
    shutil.copytree(ROOT / "plans", ws / "plans")
    return ws


def _snapshot(ws: Path) -> dict[str, int]:
    return {str(p.relative_to(ws)): p.stat().st_size for p in sorted(ws.rglob("*"))}


def _run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    capsys.readouterr()
    t0 = time.monotonic()
    code = cli.main(argv)
    took = time.monotonic() - t0
    out = capsys.readouterr()
    text = out.out + out.err
    assert took < CASE_SECONDS, f"{argv} took {took:.1f} s"
    assert code in ALLOWED, f"{argv} exited {code}:\n{text[-2000:]}"
    assert "Traceback" not in text, text[-2000:]
    assert "internal error" not in text, text[-2000:]
    return code, text


# -- plan mutations --------------------------------------------------------------------------------------------------
PLANS = ["reference.yaml", "clinton-timeline.yaml", "geneva-timeline.yaml", "defaults.yaml"]


@st.composite
def plan_mutation(draw: st.DrawFn) -> tuple[str, bytes]:
    """One shipped plan with a few byte, token or line mutations."""
    name = draw(st.sampled_from(PLANS))
    data = bytearray((ROOT / "plans" / name).read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["byte", "token", "line", "indent", "truncate"]))
        data = bytearray(_mutate_plan(draw, kind, bytes(data)))
    return name, bytes(data)


def _mutate_plan(draw: st.DrawFn, kind: str, data: bytes) -> bytes:
    if kind == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if kind == "byte":
        at = draw(st.integers(0, max(0, len(data) - 1)))
        new = draw(st.binary(min_size=0, max_size=4))
        return data[:at] + new + data[at + draw(st.integers(0, 3)) :]
    lines = data.decode("utf-8", errors="replace").split("\n")
    k = draw(st.integers(0, max(0, len(lines) - 1)))
    if kind == "line":
        op = draw(st.sampled_from(["drop", "repeat", "swap"]))
        if op == "drop":
            del lines[k]
        elif op == "repeat":
            lines.insert(k, lines[k])
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[k], lines[j] = lines[j], lines[k]
    elif kind == "indent":
        lines[k] = " " * draw(st.integers(0, 9)) + lines[k].lstrip()
    else:  # token: replace a value after a colon or a list dash
        line = lines[k]
        cut = max(line.find(": "), line.find("- "))
        value = draw(st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=12)))
        lines[k] = (line[: cut + 2] if cut >= 0 else line + ": ") + value
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


# a plan case costs about a second here (its layers are read each time): 80 of them keep make test in its budget;
# LANDPLAN_FUZZ_EXAMPLES=400 runs ten times as many
@settings(FUZZ, max_examples=2 * EXAMPLES)
@given(case=plan_mutation())
def test_mutated_plans_are_validated_or_rejected_cleanly(tmp_path_factory, capsys, case):
    name, data = case
    ws = _workspace(tmp_path_factory.mktemp("fuzz"))
    (ws / "plans" / name).write_bytes(data)
    before = _snapshot(ws)
    plan = "reference" if name == "defaults.yaml" else name
    code, text = _run_cli(capsys, ["--workspace", str(ws), "plan", "validate", plan])
    if code == 65:
        assert ".yaml:" in text  # a position in the plan (or its defaults)
    assert _snapshot(ws) == before


SMALL_PLAN = """\
extends: defaults.yaml
meta:
  name: two zones
  start: "2027-01"
horizon: 96
zones:
  use: [jenin-a, north-gaza]
crossings:
  - {id: erez, serves: [north-gaza], duration: 2}
  - {id: allenby, serves: [jenin-a], duration: 1}
resources:
  troops:
    - {from: 0, available: 5000}
objective:
  minimize: completion
"""


@st.composite
def small_plan_mutation(draw: st.DrawFn) -> bytes:
    data = SMALL_PLAN.encode()
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate_plan(draw, draw(st.sampled_from(["byte", "token", "line", "indent"])), data)
    return data


def test_the_small_plan_schedules(tmp_path, capsys):
    ws = _workspace(tmp_path)
    (ws / "plans" / "small.yaml").write_text(SMALL_PLAN, encoding="utf-8")
    out = tmp_path / "out"
    code, _ = _run_cli(capsys, ["--workspace", str(ws), "plan", "schedule", "small", "--time", "0.2", "-o", str(out)])
    assert code == 0
    assert (tmp_path / "out.schedule.csv").is_file()


@settings(FUZZ, max_examples=3 * EXAMPLES)
@given(data=small_plan_mutation())
def test_mutated_plans_schedule_or_fail_cleanly_and_write_only_on_success(tmp_path_factory, capsys, data):
    base = tmp_path_factory.mktemp("fuzz")
    ws = _workspace(base)
    (ws / "plans" / "small.yaml").write_bytes(data)
    outdir = base / "out"
    outdir.mkdir()
    argv = ["--workspace", str(ws), "plan", "schedule", "small", "--time", "0.2", "-o", str(outdir / "s")]
    code, _ = _run_cli(capsys, argv)
    written = sorted(p.name for p in outdir.iterdir())
    if code == 0:
        assert written == ["s.schedule.csv", "s.schedule.json", "s.states.csv"]
    else:
        assert written == []


# -- layer mutations -------------------------------------------------------------------------------------------------
LAYERS = ["zones", "crossings", "settlements", "obstacles", "territories", "jerusalem", "line_1967", "basemap"]
NASTY_JSON: list[Any] = [
    None,
    "",
    -1,
    -1e308,
    1e308,
    10**30,
    "NaN",
    "Infinity",
    "a/b",
    "\x00",
    "\u202e",
    [],
    {},
    True,
    "{{ 7*7 }}",
    "=cmd|' /C calc'!A0",
]


class LayerCase:
    """A corrupted layer file; its repr says what was done, not the whole file."""

    def __init__(self, name: str, what: str, data: bytes) -> None:
        self.name, self.what, self.data = name, what, data

    def __repr__(self) -> str:
        return f"LayerCase({self.name!r}, {self.what[:300]!r})"


@st.composite
def layer_mutation(draw: st.DrawFn) -> LayerCase:
    """One shipped layer with a JSON-level or byte-level corruption."""
    name = draw(st.sampled_from(LAYERS))
    raw = (ROOT / "layers" / f"{name}.geojson").read_bytes()
    kind = draw(st.sampled_from(["value", "drop_prop", "dup_feature", "coords", "geometry", "bytes", "special"]))
    if kind == "bytes":
        at, new, cut = draw(st.integers(0, len(raw) - 1)), draw(st.binary(max_size=3)), draw(st.integers(0, 3))
        return LayerCase(name, f"bytes {new!r} at {at}, {cut} cut", raw[:at] + new + raw[at + cut :])
    doc = json.loads(raw)
    feats = doc["features"]
    k = draw(st.integers(0, len(feats) - 1))
    what = f"{kind} in feature {k}"
    if kind == "value":
        key = draw(st.sampled_from(sorted(feats[k]["properties"])))
        feats[k]["properties"][key] = value = draw(st.sampled_from(NASTY_JSON))
        what += f": {key}={value!r}"
    elif kind == "drop_prop":
        key = draw(st.sampled_from(sorted(feats[k]["properties"])))
        del feats[k]["properties"][key]
        what += f": {key}"
    elif kind == "dup_feature":
        feats.append(json.loads(json.dumps(feats[k])))
    elif kind == "coords":
        what += ": " + _mutate_coords(draw, feats[k])
    elif kind == "geometry":
        feats[k]["geometry"] = draw(
            st.sampled_from(
                [
                    None,
                    {"type": "Point", "coordinates": [35.2, 31.9]},
                    {"type": "Point", "coordinates": [35.2, 31.9, 800.0]},
                    {
                        "type": "Polygon",
                        "coordinates": [[[35.2, 31.9], [35.21, 31.91], [35.21, 31.9], [35.2, 31.91], [35.2, 31.9]]],
                    },
                    {"type": "LineString", "coordinates": [[35.2, 31.9], [35.3, 32.0]]},
                ]
            )
        )
    else:
        doc = draw(st.sampled_from([{"type": "FeatureCollection", "features": []}, [], "x", {"type": "Feature"}]))
        what = f"whole file {doc!r}"
    if kind == "geometry":
        what += f": {feats[k]['geometry']!r}"
    return LayerCase(name, what, json.dumps(doc, allow_nan=True).encode())


def _mutate_coords(draw: st.DrawFn, feat: dict[str, Any]) -> str:
    geom = feat.get("geometry") or {}
    op = draw(st.sampled_from(["swap", "metres", "huge", "nan"]))

    def walk(c: Any) -> Any:
        if isinstance(c, list) and c and isinstance(c[0], int | float):
            x, y = c[0], c[1]
            if op == "swap":
                return [y, x]
            if op == "metres":
                return [x * 6000, y * 20000]
            if op == "huge":
                return [1e308, y]
            return [float("nan"), y]
        return [walk(v) for v in c] if isinstance(c, list) else c

    if "coordinates" in geom:
        geom["coordinates"] = walk(geom["coordinates"])
    return op


@settings(FUZZ, max_examples=max(1, EXAMPLES // 2))  # a layer case runs every reader over every layer: ~2.4 s
@given(case=layer_mutation())
def test_mutated_layers_are_rejected_cleanly_by_every_reader(tmp_path_factory, capsys, case):
    name = case.name
    ws = _workspace(tmp_path_factory.mktemp("fuzz"))
    (ws / "layers" / f"{name}.geojson").write_bytes(case.data)
    before = _snapshot(ws)
    check, check_text = _run_cli(capsys, ["--workspace", str(ws), "layers", "check"])
    code, text = _run_cli(capsys, ["--workspace", str(ws), "plan", "validate", "reference"])
    if code == 65 and "layers" in text and ".yaml:" not in text:
        assert f"{name}.geojson" in text  # the message names the layer file
    if check == 0:
        assert "all layers valid" in check_text
    assert _snapshot(ws) == before
