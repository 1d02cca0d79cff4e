"""Shared fixtures: tiny geometries built here, and the source datasets when present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT.parent / "shared" / "data"


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
def built(source_dir: Path):  # type: ignore[no-untyped-def]
    """The layers built from the sources, in memory."""
    from geo.build import build_layers

    return build_layers(source_dir)


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
