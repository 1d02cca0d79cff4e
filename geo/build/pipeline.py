"""Build every shipped layer from the source datasets, deterministically and all-or-nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import LayerError
from ..files import replace_all
from ..geojson import to_bytes
from ..layers import check
from ..schema import LAYER_NAMES, SCHEMAS
from . import boundaries, settlements, sites, sources

__all__ = ["MATCH_REPORT", "BuildResult", "build_layers", "write_layers"]

log = logging.getLogger(__name__)

#: File (in ``layers/``) listing every row of the CBS and Peace Now lists and how it was matched.
MATCH_REPORT = "settlements_matching.csv"


@dataclass
class BuildResult:
    """Layers built in memory, with the settlement match report."""

    layers: dict[str, gpd.GeoDataFrame]
    match_report: pd.DataFrame

    def files(self) -> dict[str, bytes]:
        """The bytes of every file the build writes, keyed by file name."""
        out = {f"{name}.geojson": to_bytes(self.layers[name], SCHEMAS[name].column_names, name) for name in LAYER_NAMES}
        out[MATCH_REPORT] = self.match_report.to_csv(index=False, lineterminator="\n").encode("utf-8")
        return out


def build_layers(source_dir: Path | str) -> BuildResult:
    """Build all layers from the sources in ``source_dir`` (nothing is written).

    Parameters
    ----------
    source_dir : path
        Folder holding the source datasets (e.g. ``../shared/data``).

    Returns
    -------
    BuildResult

    Raises
    ------
    SourceError
        If a source is missing or bad.
    LayerError
        If a built layer fails validation.
    """
    src = sources.read_all(source_dir)
    b = boundaries.build_boundaries(src)
    zones = b.zones
    oslo = b.oslo_areas.set_index("oslo_class")
    ej = oslo.loc["east_jerusalem", "geometry"]
    wb = b.territories.set_index("territory_id").loc["west_bank", "geometry"]
    setl, report = settlements.build_settlements(src, zones, ej, wb)
    settlers = settlements.settlers_by_zone(setl)
    zones["settlers"] = zones["zone_id"].map(settlers).fillna(0).astype("int64")
    layers = {
        "line_1967": b.line_1967,
        "territories": b.territories,
        "crossings": sites.build_crossings(src, zones, b.territories, b.line_1967),
        "obstacles": sites.build_obstacles(src, zones),
        "settlements": setl,
        "jerusalem": sites.build_jerusalem(src, b.oslo_areas),
        "oslo_areas": b.oslo_areas,
        "zones": zones,
        "basemap": b.basemap,
    }
    layers = {name: _finish(layers[name], name) for name in LAYER_NAMES}
    return BuildResult(layers, report.table)


def _finish(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    cols = list(SCHEMAS[name].column_names)
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise LayerError(f"build of {name} produced no column(s) {missing}; this is a bug in geo/build.py.")
    out = gpd.GeoDataFrame(gdf[cols], geometry=gdf.geometry.values, crs=gdf.crs).reset_index(drop=True)
    return out


def write_layers(result: BuildResult, layers_dir: Path | str) -> None:
    """Validate the built layers, then write them into ``layers_dir`` all at once.

    The layers are written to GeoJSON bytes and re-read in memory first, so the
    files checked are exactly the files written.  Nothing is written if any
    check fails.

    Parameters
    ----------
    result : BuildResult
        From :func:`build_layers`.
    layers_dir : path
        Destination folder (the workspace's ``layers/``).

    Raises
    ------
    LayerError
        If the built layers fail validation; the folder is then left untouched.
    """
    files = result.files()
    reread = {}
    for name in LAYER_NAMES:
        gdf = gpd.read_file(files[f"{name}.geojson"])
        reread[name] = gdf
    outcome = check(layers=reread)
    if not outcome.ok:
        raise LayerError("the built layers fail validation, nothing was written:\n  " + "\n  ".join(outcome.problems))
    replace_all(layers_dir, files)
    log.info("wrote %d files to %s", len(files), layers_dir)
