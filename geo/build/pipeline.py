"""Build every shipped layer from the source datasets, deterministically and all-or-nothing."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import LayerError
from ..files import replace_all
from ..geojson import to_bytes
from ..layers import check
from ..schema import LAYER_NAMES, SCHEMAS
from . import barrier, boundaries, israel, jerusalem, links, localities, military, settlements, sites, sources

__all__ = ["AREA_MATCH_REPORT", "MATCH_REPORT", "BuildResult", "build_from", "build_layers", "write_layers"]

log = logging.getLogger(__name__)

#: File (in ``layers/``) listing every row of the CBS and Peace Now lists and how it was matched.
MATCH_REPORT = "settlements_matching.csv"
#: File (in ``layers/``) listing every settlement built-up footprint and how it was joined to a settlement.
AREA_MATCH_REPORT = "settlement_areas_matching.csv"


@dataclass
class BuildResult:
    """Layers built in memory, with the settlement match report."""

    layers: dict[str, gpd.GeoDataFrame]
    match_report: pd.DataFrame
    area_match_report: pd.DataFrame

    def files(self) -> dict[str, bytes]:
        """The bytes of every file the build writes, keyed by file name."""
        out = {f"{name}.geojson": to_bytes(self.layers[name], SCHEMAS[name].column_names, name) for name in LAYER_NAMES}
        out[MATCH_REPORT] = self.match_report.to_csv(index=False, lineterminator="\n").encode("utf-8")
        out[AREA_MATCH_REPORT] = self.area_match_report.to_csv(index=False, lineterminator="\n").encode("utf-8")
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
    return build_from(src, boundaries.build_boundaries(src))


def build_from(src: dict[str, gpd.GeoDataFrame], b: boundaries.Boundaries) -> BuildResult:
    """Build all layers from validated sources and their boundary layers (neither is changed).

    Parameters
    ----------
    src : dict of GeoDataFrame
        The sources, as :func:`geo.build.sources.read_all` returns them.
    b : Boundaries
        :func:`geo.build.boundaries.build_boundaries` of ``src``.

    Returns
    -------
    BuildResult
    """
    zones = b.zones.copy()
    oslo = b.oslo_areas.set_index("oslo_class")
    ej = oslo.loc["east_jerusalem", "geometry"]
    wb = b.territories.set_index("territory_id").loc["west_bank", "geometry"]
    locs = localities.build_localities(src, zones)
    setl, report = settlements.build_settlements(src, zones, ej, wb)
    _count_people(zones, locs, setl)
    areas, area_report = settlements.build_settlement_areas(src, setl)
    crossings = sites.build_crossings(src, zones, b.territories, b.line_1967)
    route = barrier.build_barrier(src, b.territories, b.line_1967, zones)
    layers = {
        "line_1967": b.line_1967,
        "territories": b.territories,
        "dead_sea": israel.build_dead_sea(b.territories, b.basemap),
        "crossings": crossings,
        "obstacles": sites.build_obstacles(src, zones),
        "settlements": setl,
        "settlement_areas": areas,
        "localities": locs,
        "israeli_localities": israel.build_israeli_localities(src, b.territories, b.basemap),
        "barrier": route,
        "seam_zone": barrier.build_seam_zone(route, b.territories, b.line_1967, locs, zones),
        "links": links.build_links(crossings, b.territories),
        "regions": b.regions,
        "firing_zones": military.build_firing_zones(src, b.territories),
        "early_warning_sites": military.build_early_warning_sites(b.territories),
        "jerusalem": jerusalem.count_palestinians(jerusalem.build_jerusalem(src, b.oslo_areas), locs),
        "oslo_areas": b.oslo_areas,
        "zones": zones,
        "basemap": b.basemap,
    }
    layers = {name: _finish(layers[name], name) for name in LAYER_NAMES}
    return BuildResult(layers, report.table, area_report)


def _count_people(zones: gpd.GeoDataFrame, locs: gpd.GeoDataFrame, setl: gpd.GeoDataFrame) -> None:
    """Each zone's people as sums of the point layers, so a zone's figure is always its places' figures added up."""
    for column, by_zone in (
        ("population", localities.population_by_zone(locs)),
        ("population_2017", localities.population_2017_by_zone(locs)),
    ):
        zones[column] = zones["zone_id"].map(by_zone).fillna(0).astype("int64")
    israelis = settlements.israelis_by_zone(setl)
    for column in ("settlers", "israelis_ej"):
        zones[column] = zones["zone_id"].map(israelis[column]).fillna(0).astype("int64")


def _finish(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    cols = list(SCHEMAS[name].column_names)
    missing = [c for c in cols if c not in gdf.columns]
    if missing:
        raise LayerError(f"build of {name} produced no column(s) {missing}; this is a bug in geo/build.py.")
    out = gpd.GeoDataFrame(gdf[cols], geometry=gdf.geometry.values, crs=gdf.crs).reset_index(drop=True)
    return out


def write_layers(result: BuildResult, layers_dir: Path | str) -> None:
    """Validate the built layers, then write them into ``layers_dir`` all at once.

    The layers are written to GeoJSON bytes in a scratch folder and checked there by the same
    loader every command uses, so the files checked are exactly the files written.  Nothing is written if any
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
    with tempfile.TemporaryDirectory(prefix="landplan-build-") as tmp:
        staged = Path(tmp) / "layers"
        staged.mkdir()
        for name, data in files.items():
            (staged / name).write_bytes(data)
        outcome = check(staged)
    if not outcome.ok:
        raise LayerError("the built layers fail validation, nothing was written:\n  " + "\n  ".join(outcome.problems))
    replace_all(layers_dir, files)
    log.info("wrote %d files to %s", len(files), layers_dir)
