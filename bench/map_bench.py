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
from shapely.geometry import Polygon

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo import layers, metrics  # noqa: E402
from geo.output import phase_map, style
from geo.plan import Problem, Task, TaskId  # noqa: E402
from geo.schedule import Schedule  # noqa: E402

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


def npm_files() -> dict[str, Path]:
    """Basename -> file, from the npm packages the peers' CDN links point at."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for spec in NPM:
        stem = spec.lstrip("@").replace("/", "-").rsplit("@", 1)
        tgz = CACHE / f"{stem[0]}-{stem[1]}.tgz"
        if not tgz.exists():
            subprocess.run(["npm", "pack", "-q", spec], cwd=CACHE, check=True, capture_output=True)
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


def synthetic(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, Problem, Schedule]:
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    step = 1.3 / side
    t = np.linspace(0, 2 * np.pi, 111)[:-1]
    geoms, ids = [], []
    for k in range(n):
        cx, cy = 34.5 + (k % side + 0.5) * step, 31.2 + (k // side + 0.5) * step
        r = step * 0.45 * (1 + 0.08 * np.sin(5 * t + k))
        geoms.append(Polygon(np.c_[cx + r * np.cos(t), cy + r * np.sin(t)]))
        ids.append(f"z{k:05d}")
    zones = gpd.GeoDataFrame(
        {
            "zone_id": ids,
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
    tasks: dict[str, Task] = {}
    end: dict[str, int] = {}
    for z in ids:
        m = int(rng.integers(1, 8))
        for track, ladder in (("security", STATES), ("movement", LEVELS)):
            for st in ladder[1:]:
                tid = f"{z}/{track}/{st}"
                tasks[tid] = Task(key=TaskId(z, track, st), duration=1, earliest=0, latest=None)
                end[tid] = min(MONTHS, m)
                m += int(rng.integers(1, 6))
    problem = Problem(
        "synthetic",
        "2030-01",
        MONTHS,
        tasks,
        ids,
        dict(zip(ids, zones["population"], strict=True)),
        [(0, 0)],
        ("", 1, 1),
        None,
        ("", 1, 1),
        "completion",
        None,
        STATES,
        LEVELS,
    )
    sched = Schedule("synthetic", 0, 0, {k: v - 1 for k, v in end.items()}, end)
    return zones, problem, sched


def build_ours(zones: gpd.GeoDataFrame, problem: Problem, sched: Schedule, out: Path) -> float:
    shipped = layers.load_all(ROOT)
    ly = {**shipped, "zones": zones}
    t0 = time.perf_counter()
    table = metrics.monthly_metrics(problem, sched, zones)
    inp = phase_map.MapInputs(ly, problem, sched, table, "benchmark", "bench", "2030-01-01")
    phase_map.write_phase_map(inp, out, tiles=False)
    return time.perf_counter() - t0


def build_explore(zones: gpd.GeoDataFrame, out: Path) -> float:
    t0 = time.perf_counter()
    zones[["zone_id", "name", "geometry"]].explore(tiles=None).save(out)
    return time.perf_counter() - t0


def build_timestamped(zones: gpd.GeoDataFrame, problem: Problem, sched: Schedule, out: Path, months: int) -> float:
    t0 = time.perf_counter()
    colors = list(style.STATE_COLORS)
    feats = []
    geo = json.loads(zones[["geometry"]].to_json())["features"]
    for m in range(months):
        date = f"2030-{m % 12 + 1:02d}-01" if m < 12 else f"2031-{m % 12 + 1:02d}-01"
        for z, g in zip(problem.zones, geo, strict=True):
            k = sum(1 for st in STATES[1:] if sched.end[f"{z}/security/{st}"] <= m)
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
    TimestampedGeoJson(
        {"type": "FeatureCollection", "features": feats},
        period="P1M",
        duration="P1M",
        add_last_point=False,
        auto_play=False,
    ).add_to(fmap)
    fmap.save(out)
    return time.perf_counter() - t0


def measure(browser, path: Path, n: int, kind: str, files: dict[str, Path]) -> dict[str, float | None]:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    served: list[str] = []

    def route(r):  # type: ignore[no-untyped-def]
        url = r.request.url
        if url.startswith("file:"):
            r.continue_()
            return
        name = url.split("?")[0].rsplit("/", 1)[-1]
        served.append(name)
        if name in files:
            ctype = "text/css" if name.endswith(".css") else "application/javascript"
            r.fulfill(status=200, body=files[name].read_bytes(), content_type=ctype)
        else:
            r.fulfill(status=200, body=b"", content_type="text/plain")

    page.route("**/*", route)
    page.goto(path.resolve().as_uri(), wait_until="commit", timeout=600_000)
    if kind == "ours":
        page.wait_for_function("window.landplan && window.landplan.ready !== null", timeout=600_000, polling=50)
        ready = page.evaluate("landplan.ready")
    else:
        page.wait_for_function(
            f"document.querySelectorAll('path.leaflet-interactive').length >= {n}", timeout=600_000, polling=50
        )
        ready = page.evaluate("performance.now()")
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize / 1048576 : null")
    step = None
    if kind == "ours":
        steps = page.evaluate("""async () => { const out = [];
            for (let m = 1; m <= 7; m++) { const t0 = performance.now(); landplan.setMonth(m);
              await new Promise(r => requestAnimationFrame(() => r())); out.push(performance.now() - t0); }
            return out; }""")
        step = statistics.median(steps)
    elif kind == "timestamped":
        steps = page.evaluate("""async () => { const map = Object.values(window).find(v => v instanceof L.Map);
            const td = map.timeDimension, out = [];
            for (let i = 1; i <= 3; i++) { const t0 = performance.now();
              await new Promise(r => { td.once('timeload', r); td.setCurrentTimeIndex(i); });
              await new Promise(r => requestAnimationFrame(() => r())); out.push(performance.now() - t0); }
            return out; }""")
        step = statistics.median(steps)
    page.close()
    return {"ready_s": ready / 1000, "heap_mb": heap, "step_ms": step}


def run(n: int, browser, files: dict[str, Path], workdir: Path) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    zones, problem, sched = synthetic(n)
    vertices = int(sum(len(g.exterior.coords) - 1 for g in zones.geometry))
    # TimestampedGeoJson copies every feature per step: 24 steps of 10,000 zones is over 1 GB of HTML, past what
    # Chromium can parse, so at that size it gets 6 steps (as in the figures quoted in the map issue).
    ts_months = MONTHS if n <= 2000 else 6
    rows = []
    for kind in ("ours", "explore", "timestamped"):
        path = workdir / f"{kind}-{n}.html"
        if kind == "ours":
            build = build_ours(zones, problem, sched, path)
        elif kind == "explore":
            build = build_explore(zones, path)
        else:
            build = build_timestamped(zones, problem, sched, path, ts_months)
        size = path.stat().st_size
        m = measure(browser, path, n, kind, files)
        rows.append(
            {
                "map": kind,
                "zones": n,
                "steps": ts_months if kind == "timestamped" else (MONTHS if kind == "ours" else 1),
                "vertices": vertices,
                "build_s": round(build, 2),
                "html_mb": round(size / 1e6, 1),
                "bytes_per_vertex": round(size / vertices, 1),
                "ready_s": round(m["ready_s"] or 0, 2),
                "heap_mb": None if m["heap_mb"] is None else round(m["heap_mb"]),
                "step_ms": None if m["step_ms"] is None else round(m["step_ms"], 1),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
        path.unlink()
    return rows


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--zones", type=int, nargs="*", default=[1000, 10000])
    args = ap.parse_args()
    files = npm_files()
    rows = []
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
    df = pd.DataFrame(rows)
    cols = list(df.columns)
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in df.itertuples(index=False):
        print(
            "| " + " | ".join("-" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in r) + " |"
        )
    print()
    for n in args.zones:
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


if __name__ == "__main__":
    main()
