"""Scheduler benchmark: synthetic plans of 100, 1,000 and 5,000 zones, CP-SAT against a greedy list scheduler.

Each case runs in its own process so its peak memory (max RSS) is its own. Run:

    .venv/bin/python bench/plan_bench.py                 # 100, 1000, 5000 zones, budget 10 units per phase
    .venv/bin/python bench/plan_bench.py --zones 100 --budget 2

Prints a Markdown table: tasks, compile time, CP-SAT wall time and status, objective and proven bound, the greedy
scheduler's objective and time (the peer), the population-ordered greedy schedule the search starts from, and the
ratio of the objectives (CP-SAT / greedy; below 1 is better).  The wall time is the whole ``schedule.solve``: both
greedy schedules, the left shifts, the model and the search.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import plan, schedule  # noqa: E402


def synthetic(n: int, seed: int = 0) -> tuple[pd.DataFrame, str, set[str]]:
    """N zones in 10 regions, a plan with both tracks, gates, crossings and a piecewise troop capacity.

    The capacity is tight early and ample late, so the solver must trade troops between regions over time; the
    zones are drawn from a seeded generator, so every run benchmarks the same plan.

    Parameters
    ----------
    n : int
        Number of zones.
    seed : int, optional
        Seed of the zone attributes.

    Returns
    -------
    zones : DataFrame
        The zones' attributes, as the planner reads them.
    text : str
        The plan's YAML.
    crossing_ids : set of str
        The crossings the plan may name.
    """
    rng = np.random.default_rng(seed)
    zones = pd.DataFrame(
        {
            "zone_id": [f"z{k:05d}" for k in range(n)],
            "territory": ["west_bank"] * n,
            "area_km2": rng.uniform(5, 300, n).round(1),
            "population": rng.integers(1_000, 200_000, n),
            "settlers": np.where(rng.random(n) < 0.3, rng.integers(100, 20_000, n), 0),
        }
    )
    regions = {f"r{r}": [z for k, z in enumerate(zones["zone_id"]) if k % 10 == r] for r in range(10)}
    groups = "\n".join(f"    {g}: [{', '.join(m)}]" for g, m in regions.items())
    crossings = "\n".join(f"  - {{id: c{r}, serves: [r{r}], duration: {2 + r % 3}}}" for r in range(10))
    pop_k = int(zones["population"].sum()) // 1000
    # capacity: the whole force can hold every zone from month 12; early on it cannot
    hold = int(sum(60 + 0.2 * p / 1000 for p in zones["population"]))
    text = f"""\
meta:
  name: synthetic {n} zones
  start: "2030-01"
horizon: 120
zones:
  groups:
{groups}
security:
  steps:
    international:
      duration: 2
      troops: {{base: 100, per_1000_people: 0.5}}
      hold_troops: {{base: 60, per_1000_people: 0.2}}
    palestinian:
      duration: 3
      hold_troops: {{base: 10}}
      after:
        - security: international
          lag: 12
        - gate: review
movement:
  steps:
    internal: {{duration: 2, requires_security: international}}
    permits: {{duration: 3, min_months_at_previous: 6, requires_crossing: true}}
    free_movement: {{duration: 3, min_months_at_previous: 12, requires_security: palestinian}}
crossings:
{crossings}
gates:
  review:
    min_duration: 6
    after:
      - group: all
        security: international
resources:
  troops:
    - {{from: 0, available: {hold // 3}}}
    - {{from: 6, available: {hold * 2 // 3}}}
    - {{from: 12, available: {int(hold * 1.3)}}}
  max_concurrent_handovers: {max(4, n // 8)}
objective:
  minimize: population_weighted_time
  level: free_movement
# total population {pop_k}k
"""
    return zones, text, {f"c{r}" for r in range(10)}


def run_case(n: int, budget: float) -> dict[str, object]:
    """Compile, schedule greedily and with CP-SAT, and re-check both schedules; one row of the table.

    Parameters
    ----------
    n : int
        Number of zones.
    budget : float
        CP-SAT deterministic time per phase.

    Returns
    -------
    dict
        Column name to value, including this process's peak memory.
    """
    zones, text, crossing_ids = synthetic(n)
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "plan.yaml"
        p.write_text(text)
        t0 = time.perf_counter()
        problem = plan.compile_plan(plan.load(p), zones, crossing_ids)
        t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    g = schedule.greedy(problem)
    t_greedy = time.perf_counter() - t0
    pg = schedule.priority_greedy(problem)
    s = schedule.solve(problem, budget)
    ok = all(schedule.check_schedule(problem, x) == [] for x in (s, g, pg))
    return {
        "zones": n,
        "tasks": len(problem.tasks),
        "compile_s": round(t_compile, 2),
        "cpsat_s": round(s.wall_seconds, 1),
        "status": s.status,
        "objective": s.objective,
        "bound": s.bound,
        "greedy_objective": g.objective,
        "greedy_s": round(t_greedy, 2),
        "priority_greedy_objective": pg.objective,
        "ratio_vs_greedy": round(s.objective / g.objective, 4),
        "gap_to_bound": round(1 - s.bound / s.objective, 4),
        "both_valid": ok,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _measure_in_child(n: int, budget: float) -> dict[str, object]:
    """Run one case in a fresh interpreter, so its peak memory is its own; returns its row."""
    out = subprocess.run(  # noqa: S603 - runs this very script with the current interpreter and numeric arguments
        [sys.executable, __file__, "--case", str(n), "--budget", str(budget)],
        capture_output=True,
        text=True,
        check=True,
    )
    row: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return row


def main() -> None:
    """Benchmark each zone count in its own process and print the table (or, with ``--case``, one row as JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zones", type=int, nargs="*", default=[100, 1000, 5000])
    ap.add_argument("--budget", type=float, default=10.0, help="CP-SAT deterministic time per phase")
    ap.add_argument("--case", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case is not None:
        print(json.dumps(run_case(args.case, args.budget)))
        return
    rows = []
    for n in args.zones:
        rows.append(_measure_in_child(n, args.budget))
        print(f"done {n} zones", file=sys.stderr)
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
