"""The planner's working loop: solve time and gap of the shipped plans, cold and cached maps, warm re-solves.

Run:

    .venv/bin/python bench/workbench_bench.py            # reference, clinton-timeline, geneva-timeline

In a fresh scratch workspace (``landplan init``), for each shipped plan:

- the solve alone (compile, CP-SAT, the left shift), its status and its gap to the proven bound, and the greedy
  schedule's objective against it (the peer: ratio greedy / CP-SAT, above 1 means CP-SAT is better);
- ``landplan map PLAN`` cold (no cache entry) and again (cached), as whole commands;
- a one-line edit of the plan: compiled and re-solved in-process seeded by the last schedule (the re-solve alone),
  then as whole ``landplan plan schedule`` commands, warm (seeded from the cache) and cold (``--no-cache``).

Prints a Markdown table; times are wall seconds of one run each on this machine.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import border, layers, plan, run, schedule  # noqa: E402
from geo.schedule.greedy import greedy  # noqa: E402

PLANS = ("reference", "clinton-timeline", "geneva-timeline")
#: A one-line edit per plan: (old text, new text), the first occurrence replaced.
EDITS = {
    "reference": ("      open_to_people:\n        duration: 3", "      open_to_people:\n        duration: 4"),
    "clinton-timeline": ("horizon: 120", "horizon: 119"),
    "geneva-timeline": ("horizon: 120", "horizon: 119"),
}


def _command(ws: Path, *args: str) -> float:
    t = time.perf_counter()
    argv = [sys.executable, "-m", "geo", "--workspace", str(ws), *args]
    subprocess.run(argv, check=True, capture_output=True)  # noqa: S603 - this interpreter, our own command
    return time.perf_counter() - t


def _compile_and_solve(ws: Path, name: str, hint: dict[str, int] | None = None) -> tuple[schedule.Schedule, Any, float]:
    """Compile the plan and solve it (seeded by ``hint``); the schedule, the problem and the wall seconds of both."""
    ly = layers.load_all(ws)
    lp = plan.load(ws / "plans" / f"{name}.yaml")
    inside, _, _ = border.planning_layers(lp, ly)
    t = time.perf_counter()
    problem = plan.compile_plan(lp, inside["zones"], set(inside["crossings"]["crossing_id"]), run.layer_refs(inside))
    sched = schedule.solve(problem, hint=hint)
    return sched, problem, time.perf_counter() - t


def _solve(ws: Path, name: str) -> tuple[dict[str, Any], schedule.Schedule]:
    sched, problem, wall = _compile_and_solve(ws, name)
    g = greedy(problem)
    gap = (sched.objective - sched.bound) / sched.objective if sched.objective else 0.0
    row = {
        "plan": name,
        "tasks": len(problem.tasks),
        "solve s": round(wall, 2),
        "status": sched.status,
        "gap %": round(100 * gap, 2),
        "greedy / CP-SAT": round(g.objective / sched.objective, 3) if sched.objective else float("nan"),
    }
    return row, sched


def bench(ws: Path, name: str) -> dict[str, Any]:
    """One plan's row."""
    row, sched = _solve(ws, name)
    row["map cold s"] = round(_command(ws, "map", name, "-o", str(ws / "maps" / f"{name}.html")), 2)
    row["map cached s"] = round(_command(ws, "map", name, "-o", str(ws / "maps" / f"{name}.html")), 2)
    path = ws / "plans" / f"{name}.yaml"
    old, new = EDITS[name]
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"the benchmark's edit of {name} no longer applies: update EDITS")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    warm, _, wall = _compile_and_solve(ws, name, hint=sched.start)
    row["edit: compile + warm solve s"] = round(wall, 2)
    row["warm start used"] = bool(warm.extra.get("warm_start"))
    row["edit warm s"] = round(_command(ws, "plan", "schedule", name), 2)
    row["edit cold s"] = round(_command(ws, "plan", "schedule", name, "--no-cache"), 2)
    return row


def main() -> int:
    """Run the benchmark and print its table."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        init = [sys.executable, "-m", "geo", "init", str(ws)]
        subprocess.run(init, check=True, capture_output=True)  # noqa: S603 - this interpreter, our own command
        rows = [bench(ws, name) for name in PLANS]
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
