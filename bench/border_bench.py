"""Border benchmark: each shipped scenario's computation, its measuring step against GeoPandas overlay and sjoin.

Run:

    .venv/bin/python bench/border_bench.py               # every scenario of plans/borders/, 3 repeats
    .venv/bin/python bench/border_bench.py --repeat 5 geneva olmert

For each scenario it times :func:`geo.border.compute` (geometry and figures), :func:`geo.border.apply_border`
(cutting the planning layers, what a plan naming the border pays), and the peer approach to the measuring step:
the same denominators table and people counts done the GeoPandas way (``overlay`` of the annexed land with a
frame of the denominators, ``sjoin`` of the places), checking that both give the same figures. Prints a Markdown
table; times are medians in seconds, the ratio is peer / ours (above 1: ours is faster).
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import border, layers  # noqa: E402
from geo.crs import METRIC_CRS, to_equal_area, to_metric  # noqa: E402

comp = importlib.import_module("geo.border.compute")  # the module, which geo.border's compute() hides


def _median(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def ours(ly: Mapping[str, gpd.GeoDataFrame], r: border.BorderResult) -> tuple[pd.Series, int, int]:
    """The measuring step as :mod:`geo.border.compute` does it (shapely, one geometry at a time)."""
    terr = to_metric(ly["territories"]).set_index("territory_id")
    dens = comp._denominators(ly, terr.geometry["west_bank"], terr.geometry["gaza"])
    table = comp._table(dens, r.annexed, r.swapped).set_index("denominator")["annexed_km2"]
    people = comp._people(ly, r.annexed, r.swapped)
    return table, people["settlers_annexed"], people["palestinians_annexed"]


def peer(ly: Mapping[str, gpd.GeoDataFrame], r: border.BorderResult) -> tuple[pd.Series, int, int]:
    """The same numbers the GeoPandas way: ``overlay`` for the areas, ``sjoin`` for the people."""
    terr = to_metric(ly["territories"]).set_index("territory_id")
    dens = comp._denominators(ly, terr.geometry["west_bank"], terr.geometry["gaza"])
    frame = gpd.GeoDataFrame({"denominator": list(dens)}, geometry=list(dens.values()), crs=METRIC_CRS)
    annexed = gpd.GeoDataFrame({"part": ["annexed"]}, geometry=[r.annexed], crs=METRIC_CRS)
    cut = gpd.overlay(frame, annexed, how="intersection", keep_geom_type=True)
    area = to_equal_area(cut).area / 1e6
    table = pd.Series(area.to_numpy(), index=cut["denominator"]).groupby(level=0).sum().round(2)
    table = table.reindex(list(dens), fill_value=0.0)
    setl = gpd.sjoin(to_metric(ly["settlements"]), annexed, predicate="within")
    settlers = int(setl.loc[setl["kind"] != "east_jerusalem_neighbourhood", "population"].fillna(0).sum())
    locs = gpd.sjoin(to_metric(ly["localities"]), annexed, predicate="within")
    return table, settlers, int(locs["population"].fillna(0).sum())


def bench(path: Path, ly: Mapping[str, gpd.GeoDataFrame], repeat: int) -> dict[str, Any]:
    """One scenario's row."""
    ls = border.load_scenario(path)
    t_compute, r = _median(lambda: border.compute(ls, ly), repeat)
    t_apply, _ = _median(lambda: border.apply_border(ly, r), repeat)
    t_ours, a = _median(lambda: ours(ly, r), repeat)
    t_peer, b = _median(lambda: peer(ly, r), repeat)
    same = bool((a[0] - b[0]).abs().max() <= 0.01) and a[1:] == b[1:]
    return {
        "scenario": path.stem,
        "annexed km2": r.figures["annexed_km2"],
        "compute s": round(t_compute, 3),
        "apply to layers s": round(t_apply, 3),
        "measure s (ours)": round(t_ours, 3),
        "measure s (overlay+sjoin)": round(t_peer, 3),
        "ratio peer/ours": round(t_peer / t_ours, 2) if t_ours else float("nan"),
        "same figures": same,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenarios", nargs="*", help="names in plans/borders/ (default: all)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    folder = ROOT / "plans" / "borders"
    paths = [folder / f"{n}.yaml" for n in args.scenarios] or sorted(folder.glob("*.yaml"))
    t = time.perf_counter()
    ly = {n: layers.load(n, ROOT) for n in (*border.NEEDED, "zones", "obstacles")}
    print(f"layers loaded in {time.perf_counter() - t:.2f} s; median of {args.repeat} runs\n")
    rows = [bench(p, ly, args.repeat) for p in paths]
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
