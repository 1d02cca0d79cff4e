"""Map benchmark: landplan's phase map against GeoDataFrame.explore() and folium's TimestampedGeoJson.

Synthetic zones of ~110 vertices each and 24 months; each map is built, then loaded in headless Debian Chromium
(Playwright, software raster) and timed. The peers load their scripts from CDNs; the benchmark serves those files
from npm packages fetched once into bench/.cache (the network stays blocked), so every page is timed offline.

    .venv/bin/python bench/map_bench.py                     # 1,000 and 10,000 zones
    .venv/bin/python bench/map_bench.py --zones 1000

Prints a Markdown table: build seconds, HTML bytes per vertex, time until every zone is painted, JS heap, time of
one month step, and our ratios to each peer.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import TimestampedGeoJson
from playwright.sync_api import Browser, Route, sync_playwright
from shapely.geometry import Polygon

from geo import layers, metrics
from geo.output import phase_map, style
from geo.plan import Problem, Task, TaskId
from geo.schedule import Schedule
from geo.timeline import Timeline

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
NPM = [
    "leaflet@1.9.3",
    "jquery@3.7.1",
    "jquery-ui-dist@1.12.1",
    "iso8601-js-period@0.2.1",
    "leaflet-timedimension@1.1.1",
    "moment@2.18.1",
    "bootstrap@5.2.2",
    "leaflet.awesome-markers@2.0.5",
    "@fortawesome/fontawesome-free@6.2.0",
]
MONTHS = 24
STATES = ["idf", "international", "palestinian"]
LEVELS = ["closure", "internal", "permits", "free_movement", "residence"]

#: One row of the result table: a column name and its value (a label, a count, a measure, or none).
Row = dict[str, str | int | float | None]


def npm_files() -> dict[str, Path]:
    """Basename -> file, from the npm packages the peers' CDN links point at.

    The peers' pages load their scripts from CDNs; fetching the same releases once with ``npm pack`` lets the
    benchmark serve them while the network stays blocked, so every page is timed offline.

    Returns
    -------
    dict of str to Path
        Every file of the unpacked packages, by base name (the first found wins).
    """
    CACHE.mkdir(parents=True, exist_ok=True)
    npm = shutil.which("npm")
    for spec in NPM:
        stem = spec.lstrip("@").replace("/", "-").rsplit("@", 1)
        tgz = CACHE / f"{stem[0]}-{stem[1]}.tgz"
        if not tgz.exists():
            if npm is None:
                raise SystemExit(f"npm is needed once to fetch {spec} into {CACHE}")
            # fixed package names from NPM above, run without a shell
            subprocess.run([npm, "pack", "-q", spec], cwd=CACHE, check=True, capture_output=True)  # noqa: S603
        out = CACHE / tgz.stem
        if not out.exists():
            with tarfile.open(tgz) as tar:
                tar.extractall(out, filter="data")
    files: dict[str, Path] = {}
    for p in sorted(CACHE.rglob("*")):
        if p.is_file() and ({"dist", "css", "js", "min"} & set(p.parts) or p.parent.name == "package"):
            files.setdefault(p.name, p)
    aliases = {"iso8601.min.js": "iso8601.js", "jquery-3.7.1.min.js": "jquery.min.js"}
    for alias, real in aliases.items():
        if alias not in files and real in files:
            files[alias] = files[real]
    return files


def _zones(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """``n`` wavy round zones of 110 vertices on a grid over the region."""
    side = int(np.ceil(np.sqrt(n)))
    step = 1.3 / side
    t = np.linspace(0, 2 * np.pi, 111)[:-1]
    geoms = []
    for k in range(n):
        cx, cy = 34.5 + (k % side + 0.5) * step, 31.2 + (k // side + 0.5) * step
        r = step * 0.45 * (1 + 0.08 * np.sin(5 * t + k))
        geoms.append(Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]))
    return gpd.GeoDataFrame(
        {
            "zone_id": [f"z{k:05d}" for k in range(n)],
            "name": [f"Zone {k}" for k in range(n)],
            "governorate": "Synthetic",
            "territory": "west_bank",
            "oslo": "C",
            "area_km2": 10.0,
            "population": rng.integers(1000, 50000, n),
            "settlers": 0,
            "source": "synthetic",
        },
        geometry=geoms,
        crs=4326,
    )


def synthetic(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, Problem, Schedule]:
    """``n`` synthetic zones with a plan and a schedule for them, reproducible from ``seed``.

    Each zone steps through both ladders at random months within :data:`MONTHS`, so every month step of the
    map restyles many zones, as a real plan does.

    Parameters
    ----------
    n : int
        Number of zones.
    seed : int, optional
        Seed of the random months and populations.

    Returns
    -------
    tuple
        The zones layer, the compiled plan and its schedule.
    """
    rng = np.random.default_rng(seed)
    zones = _zones(n, rng)
    ids = [str(z) for z in zones["zone_id"]]
    tasks: dict[str, Task] = {}
    end: dict[str, int] = {}
    for z in ids:
        m = int(rng.integers(1, 8))
        for track, ladder in (("security", STATES), ("movement", LEVELS)):
            for st in ladder[1:]:
                task = Task(key=TaskId(z, track, st), duration=1, earliest=0, latest=None)
                tasks[task.id] = task
                end[task.id] = min(MONTHS, m)
                m += int(rng.integers(1, 6))
    problem = Problem(
        name="synthetic",
        start="2030-01",
        horizon=MONTHS,
        tasks=tasks,
        zones=ids,
        zone_population=dict(zip(ids, (int(p) for p in zones["population"]), strict=True)),
        capacity=[(0, 0)],
        capacity_origin=("", 1, 1),
        max_concurrent=None,
        concurrent_origin=("", 1, 1),
        objective="completion",
        objective_level=None,
        security_states=STATES,
        movement_levels=LEVELS,
    )
    sched = Schedule(status="synthetic", objective=0, bound=0, start={k: v - 1 for k, v in end.items()}, end=end)
    return zones, problem, sched


def build_ours(zones: gpd.GeoDataFrame, problem: Problem, sched: Schedule, out: Path) -> float:
    """Write landplan's phase map of the synthetic plan (the shipped layers around it); returns seconds taken.

    Parameters
    ----------
    zones : GeoDataFrame
        The synthetic zones.
    problem, sched
        Their plan and schedule.
    out : Path
        Where the page goes.

    Returns
    -------
    float
        Seconds to compute the metrics and write the page.
    """
    shipped = layers.load_all(ROOT)
    ly = {**shipped, "zones": zones}
    t0 = time.perf_counter()
    table = metrics.monthly_metrics(problem, sched, zones)
    inp = phase_map.MapInputs(ly, problem, sched, table, "benchmark", "bench", "2030-01-01")
    phase_map.write_phase_map(inp, out, tiles=False)
    return time.perf_counter() - t0


def build_explore(zones: gpd.GeoDataFrame, out: Path) -> float:
    """Write ``GeoDataFrame.explore()``'s map of the zones (one state, no time); returns seconds taken.

    Parameters
    ----------
    zones : GeoDataFrame
        The synthetic zones.
    out : Path
        Where the page goes.

    Returns
    -------
    float
    """
    t0 = time.perf_counter()
    zones[["zone_id", "name", "geometry"]].explore(tiles=None).save(out)
    return time.perf_counter() - t0


def build_timestamped(zones: gpd.GeoDataFrame, problem: Problem, sched: Schedule, out: Path, months: int) -> float:
    """Write folium's ``TimestampedGeoJson`` map of the plan: a copy of every zone per month; returns seconds.

    Parameters
    ----------
    zones : GeoDataFrame
        The synthetic zones.
    problem, sched
        Their plan and schedule (each zone is coloured by its security state, read from the Timeline).
    out : Path
        Where the page goes.
    months : int
        Number of monthly steps drawn.

    Returns
    -------
    float
    """
    t0 = time.perf_counter()
    timeline = Timeline(problem, sched)
    colors = style.track_colors("security", len(STATES))
    feats = []
    geo = json.loads(zones[["geometry"]].to_json())["features"]
    for m in range(months):
        date = f"2030-{m % 12 + 1:02d}-01" if m < 12 else f"2031-{m % 12 + 1:02d}-01"
        for z, g in zip(problem.zones, geo, strict=True):
            k = timeline.level_at(z, "security", m)
            feats.append(
                {
                    "type": "Feature",
                    "geometry": g["geometry"],
                    "properties": {
                        "times": [date],
                        "style": {"fillColor": colors[k], "color": "#333", "weight": 0.5, "fillOpacity": 0.7},
                    },
                }
            )
    fmap = folium.Map(location=[31.85, 35.15], zoom_start=8, tiles=None)
    TimestampedGeoJson(  # type: ignore[no-untyped-call]
        {"type": "FeatureCollection", "features": feats},
        period="P1M",
        duration="P1M",
        add_last_point=False,
        auto_play=False,
    ).add_to(fmap)
    fmap.save(out)
    return time.perf_counter() - t0


_OUR_STEPS = """async () => { const out = [];
    for (let m = 1; m <= 7; m++) { const t0 = performance.now(); landplan.setMonth(m);
      await new Promise(r => requestAnimationFrame(() => r())); out.push(performance.now() - t0); }
    return out; }"""
_TIMESTAMPED_STEPS = """async () => { const map = Object.values(window).find(v => v instanceof L.Map);
    const td = map.timeDimension, out = [];
    for (let i = 1; i <= 3; i++) { const t0 = performance.now();
      await new Promise(r => { td.once('timeload', r); td.setCurrentTimeIndex(i); });
      await new Promise(r => requestAnimationFrame(() => r())); out.push(performance.now() - t0); }
    return out; }"""


def measure(browser: Browser, path: Path, n: int, kind: str, files: dict[str, Path]) -> dict[str, float | None]:
    """Load one map offline and time it: until ready, its JS heap, and one month step.

    Our map is ready when its app says so (``landplan.ready``, fired with every zone painted); a peer when it has
    drawn ``n`` paths.  A month step is the median of a few steps, each until the next frame is drawn.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        Headless Chromium.
    path : Path
        The page.
    n : int
        Number of zones on it.
    kind : str
        ``ours``, ``explore`` or ``timestamped``.
    files : dict of str to Path
        The peers' scripts by base name (:func:`npm_files`), served in place of their CDNs.

    Returns
    -------
    dict
        ``ready_s``, ``heap_mb`` (None when Chromium does not report it) and ``step_ms`` (None for ``explore``).
    """
    page = browser.new_page(viewport={"width": 1300, "height": 900})

    def route(r: Route) -> None:
        url = r.request.url
        if url.startswith("file:"):
            r.continue_()
            return
        name = url.split("?")[0].rsplit("/", 1)[-1]
        if name in files:
            ctype = "text/css" if name.endswith(".css") else "application/javascript"
            r.fulfill(status=200, body=files[name].read_bytes(), content_type=ctype)
        else:
            r.fulfill(status=200, body=b"", content_type="text/plain")

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="commit", timeout=600_000)
    if kind == "ours":
        page.wait_for_function("window.landplan && window.landplan.ready !== null", timeout=600_000, polling=50)
        ready = float(page.evaluate("landplan.ready"))
    else:
        page.wait_for_function(
            f"document.querySelectorAll('path.leaflet-interactive').length >= {n}", timeout=600_000, polling=50
        )
        ready = float(page.evaluate("performance.now()"))
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null")
    steps = {"ours": _OUR_STEPS, "timestamped": _TIMESTAMPED_STEPS}.get(kind)
    step = statistics.median(page.evaluate(steps)) if steps is not None else None
    page.close()
    return {"ready_s": ready / 1000, "heap_mb": heap, "step_ms": step}


def _build(kind: str, path: Path, plan: tuple[gpd.GeoDataFrame, Problem, Schedule]) -> float:
    """Build one kind of map of the synthetic ``plan`` (zones, problem, schedule); returns seconds taken."""
    zones, problem, sched = plan
    n = len(zones)
    if kind == "ours":
        return build_ours(zones, problem, sched, path)
    if kind == "explore":
        return build_explore(zones, path)
    return build_timestamped(zones, problem, sched, path, _timestamped_months(n))


def _timestamped_months(n: int) -> int:
    """Steps drawn by ``TimestampedGeoJson``.

    It copies every feature per step: 24 steps of 10,000 zones is over 1 GB of HTML, past what Chromium can
    parse, so at that size it gets 6 steps (as in the figures quoted in the map issue).
    """
    return MONTHS if n <= 2000 else 6


def run(n: int, browser: Browser, files: dict[str, Path], workdir: Path) -> list[Row]:
    """Build and measure the three maps of ``n`` synthetic zones.

    Parameters
    ----------
    n : int
        Number of zones.
    browser : playwright.sync_api.Browser
        Headless Chromium.
    files : dict of str to Path
        The peers' scripts (:func:`npm_files`).
    workdir : Path
        Where the pages are written (each is deleted once measured).

    Returns
    -------
    list of dict
        One row per map: build time, size, readiness, heap and step time.
    """
    plan = synthetic(n)
    zones = plan[0]
    vertices = int(sum(len(g.exterior.coords) - 1 for g in zones.geometry))
    rows: list[Row] = []
    for kind in ("ours", "explore", "timestamped"):
        path = workdir / f"{kind}-{n}.html"
        build = _build(kind, path, plan)
        size = path.stat().st_size
        m = measure(browser, path, n, kind, files)
        heap, step = m["heap_mb"], m["step_ms"]
        rows.append(
            {
                "map": kind,
                "zones": n,
                "steps": {"ours": MONTHS, "explore": 1}.get(kind, _timestamped_months(n)),
                "vertices": vertices,
                "build_s": round(build, 2),
                "html_mb": round(size / 1e6, 1),
                "bytes_per_vertex": round(size / vertices, 1),
                "ready_s": round(m["ready_s"] or 0, 2),
                "heap_mb": None if heap is None else round(heap),
                "step_ms": None if step is None else round(step, 1),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
        path.unlink()
    return rows


def _report(rows: list[Row], sizes: list[int]) -> None:
    """Print the Markdown table, then our ratios to each peer."""
    df = pd.DataFrame(rows)
    cols = list(df.columns)
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in df.itertuples(index=False):
        print(
            "| " + " | ".join("-" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in r) + " |"
        )
    print()
    for n in sizes:
        sub = df[df["zones"] == n].set_index("map")
        o = sub.loc["ours"]
        for peer in ("explore", "timestamped"):
            q = sub.loc[peer]
            step = f", step {o['step_ms'] / q['step_ms']:.3f}x" if pd.notna(q["step_ms"]) else ""
            print(
                f"{n} zones, ours / {peer}: build {o['build_s'] / q['build_s']:.2f}x, "
                f"bytes {o['bytes_per_vertex'] / q['bytes_per_vertex']:.3f}x, "
                f"ready {o['ready_s'] / q['ready_s']:.2f}x{step}"
            )


def main() -> None:
    """Run the benchmark for the sizes asked for and print the results."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--zones", type=int, nargs="*", default=[1000, 10000])
    args = ap.parse_args()
    files = npm_files()
    rows: list[Row] = []
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--enable-precise-memory-info",
            ],
        )
        for n in args.zones:
            rows += run(n, browser, files, Path(tmp))
        browser.close()
    _report(rows, args.zones)


if __name__ == "__main__":
    main()
