"""Shared fixtures: tiny geometries built here, and the source datasets when present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, Polygon, box

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT.parent / "shared" / "data"


#: The test files that take longest (tens of seconds to minutes on the development machine), longest first.
#: ``make test`` hands whole files to its two workers in collection order; starting with these keeps both busy
#: to the end instead of leaving one long file to run alone.
HEAVY_FIRST = (
    "test_layer_validation.py",
    "test_fuzz.py",
    "test_export.py",
    "test_cli.py",
    "test_border.py",
    "test_browser.py",
    "test_serve.py",
    "test_border_outputs.py",
    "test_compare.py",
    "test_atlas.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect the heaviest files first (see :data:`HEAVY_FIRST`); within a file, the order is unchanged."""
    rank = {name: k for k, name in enumerate(HEAVY_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def _require_sources() -> Path:
    if SOURCE_DIR.is_dir():
        return SOURCE_DIR
    if os.environ.get("CI"):
        pytest.fail(f"source datasets not found at {SOURCE_DIR}; CI must run with them")
    pytest.skip("source datasets (../shared/data) are not on this machine")


@pytest.fixture(scope="session")
def source_dir() -> Path:
    """The source datasets; skips when absent, except in CI where absence fails."""
    return _require_sources()


@pytest.fixture(scope="session")
def sources_read(source_dir: Path):  # type: ignore[no-untyped-def]
    """The source datasets, read and validated once for the session (tests must not change them)."""
    from geo.build import sources

    return sources.read_all(source_dir)


@pytest.fixture(scope="session")
def bounds(sources_read):  # type: ignore[no-untyped-def]
    """The boundary layers (zones, territories, Oslo areas, 1967 line, regions), built once for the session."""
    from geo.build import boundaries

    return boundaries.build_boundaries(sources_read)


@pytest.fixture(scope="session")
def built(sources_read, bounds):  # type: ignore[no-untyped-def]
    """The layers built from the sources, in memory (from the session's sources and boundaries)."""
    from geo.build import pipeline

    return pipeline.build_from(sources_read, bounds)


@pytest.fixture(scope="session")
def shipped() -> dict[str, gpd.GeoDataFrame]:
    """The shipped layers of this checkout."""
    from geo import layers

    return layers.load_all(ROOT)


@pytest.fixture
def source_copy(tmp_path: Path, source_dir: Path) -> Callable[[str], Path]:
    """A writable copy of the source tree; returns a function giving the path of one file to alter.

    Files are copied lazily: everything else is a symlink to the original.
    """
    dst = tmp_path / "sources"
    for f in source_dir.rglob("*"):
        if f.is_file():
            target = dst / f.relative_to(source_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(f)

    def writable(rel: str) -> Path:
        p = dst / rel
        p.unlink()
        shutil.copyfile(source_dir / rel, p)
        return p

    writable.root = dst  # type: ignore[attr-defined]
    return writable


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Two adjacent 1 km squares near Ramallah in EPSG:2039 (a valid coverage)."""
    return gpd.GeoDataFrame(
        {"name": ["west", "east"]},
        geometry=[box(217_000, 645_000, 218_000, 646_000), box(218_000, 645_000, 219_000, 646_000)],
        crs="EPSG:2039",
    )


@pytest.fixture
def points4326() -> gpd.GeoDataFrame:
    """Three points in the West Bank, lon/lat."""
    return gpd.GeoDataFrame(
        {"name": ["Ramallah", "Nablus", "Hebron"]},
        geometry=[Point(35.2034, 31.9038), Point(35.2544, 32.2211), Point(35.0998, 31.5326)],
        crs="EPSG:4326",
    )


@pytest.fixture
def bowtie() -> Polygon:
    """A self-intersecting ring (invalid polygon) in lon/lat."""
    return Polygon([(35.20, 31.90), (35.21, 31.91), (35.21, 31.90), (35.20, 31.91)])


TINY_ZONES = pd.DataFrame(
    {
        "zone_id": ["north", "centre", "south"],
        "territory": ["west_bank", "west_bank", "gaza"],
        "area_km2": [100.0, 50.0, 25.0],
        "population": [10_000, 40_000, 20_000],
        "settlers": [1_000, 0, 0],
    }
)

TINY_PLAN = """\
# a tiny plan: three zones, one crossing
meta:
  name: tiny
  start: "2030-01"
horizon: 60
security:
  steps:
    international:
      duration: 2
      troops: 100          # each handover needs 100 troops
      hold_troops: 10
    palestinian:
      duration: 1
      after:
        - security: international
          lag: 3
movement:
  steps:
    internal: {duration: 1, requires_security: international}
    permits: {duration: 1, min_months_at_previous: 2, requires_crossing: true}
    free_movement: {duration: 1, requires_security: palestinian}
    residence: {duration: 2, min_months_at_previous: 6}
  levels: [closure, internal, permits, free_movement, residence]   # a ladder of the tiny plan's own
crossings:
  - {id: gate-x, serves: [all], duration: 4}
resources:
  troops:
    - {from: 0, available: 120}
objective:
  minimize: completion
"""


#: The tiny plan's movement ladder (tests that declare their own remove it first).
TINY_LEVELS = "  levels: [closure, internal, permits, free_movement, residence]   # a ladder of the tiny plan's own\n"


@pytest.fixture
def tiny_zones() -> pd.DataFrame:
    """Three zones' attributes (no geometry needed by the planner)."""
    return TINY_ZONES.copy()


@pytest.fixture
def write_plan(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a plan text into a temporary plans folder; returns its path."""

    def write(text: str, name: str = "plan.yaml") -> Path:
        p = tmp_path / "plans" / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return p

    return write


@pytest.fixture
def tiny_problem(write_plan, tiny_zones):  # type: ignore[no-untyped-def]
    """The tiny plan compiled."""
    from geo import plan

    return plan.compile_plan(plan.load(write_plan(TINY_PLAN)), tiny_zones, {"gate-x"})


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    """Debian's Chromium driven by Playwright; skips when absent, except in CI where absence fails."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed; CI must run the browser tests")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing; .ci/run installs Debian's chromium")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageLog:
    """What a page did: console errors, page errors, dialogs, and network requests (all blocked)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []


@pytest.fixture
def open_map(chromium):  # type: ignore[no-untyped-def]
    """Open an HTML file with every network request blocked; returns (page, log)."""
    pages = []

    def opener(  # type: ignore[no-untyped-def]
        path: Path,
        ready: str = "window.landplan && window.landplan.ready !== null",
        size: tuple[int, int] = (1300, 900),
        address: str = "",
    ):
        page = chromium.new_page(viewport={"width": size[0], "height": size[1]}, has_touch=size[0] <= 600)
        log = PageLog()
        page.on("console", lambda m: log.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: log.errors.append(str(e)))

        def dialog(d):  # type: ignore[no-untyped-def]
            log.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

        def route(r):  # type: ignore[no-untyped-def]
            url = r.request.url
            if url in (path.resolve().as_uri(), "about:srcdoc"):
                r.continue_()
            else:
                log.requests.append(url)
                r.abort()

        page.route("**/*", route)
        page.goto(path.resolve().as_uri() + address)  # address: "#month=12&lang=ar..." (never sent: a fragment)
        page.wait_for_function(ready, timeout=30_000)
        pages.append(page)
        return page, log

    yield opener
    for p in pages:
        p.close()


@pytest.fixture
def solved(tiny_problem):  # type: ignore[no-untyped-def]
    """The tiny plan and its CP-SAT schedule."""
    from geo import schedule

    return tiny_problem, schedule.solve(tiny_problem, 1.0)
