"""Reading and validating the source datasets the layers are built from.

Every source file is checked before use: it must exist, have a CRS, hold
coordinates that really are longitude/latitude inside the region, carry the
columns the build reads, and have valid geometry.  A failure raises
:class:`~geo.errors.SourceError` naming the file, the feature and the reason,
and how to fix it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..crs import METRIC_CRS, STORE_CRS, is_store_crs, transformer
from ..errors import SourceError

__all__ = ["REGION_BOUNDS", "SOURCES", "SourceSpec", "default_source_dir", "read", "read_all"]

log = logging.getLogger(__name__)

#: lon/lat box every source must fall in (the Levant around Israel and Palestine).
REGION_BOUNDS = (33.5, 29.0, 36.5, 34.0)


@dataclass(frozen=True)
class SourceSpec:
    """What the build expects of one source file."""

    key: str
    path: str
    columns: tuple[str, ...]
    geometry: frozenset[str]
    id_column: str
    repair: bool = False  # the source is known to need make_valid (documented in SOURCES.md)
    point_columns: tuple[str, str] | None = None  # (lon, lat) for CSV sources
    title: str = ""


_POLY = frozenset({"Polygon", "MultiPolygon"})
_POINT = frozenset({"Point"})
_LINE = frozenset({"LineString", "MultiLineString"})

SOURCES: dict[str, SourceSpec] = {
    s.key: s
    for s in (
        SourceSpec(
            "admin1",
            "ocha-opt/cod_ab_pse_admin1.geojson",
            ("adm1_name", "adm1_pcode"),
            _POLY,
            "adm1_pcode",
            title="OCHA COD-AB admin 1 (HDX cod-ab-pse v01)",
        ),
        SourceSpec(
            "admin2",
            "ocha-opt/cod_ab_pse_admin2.geojson",
            ("adm2_name", "adm2_pcode", "adm1_pcode"),
            _POLY,
            "adm2_pcode",
            title="OCHA COD-AB admin 2 (HDX cod-ab-pse v01)",
        ),
        SourceSpec(
            "oslo",
            "ocha-opt/oslo_areas_original.geojson",
            ("OBJECTID", "CLASS"),
            _POLY,
            "OBJECTID",
            repair=True,
            title="OCHA oPt Oslo areas",
        ),
        SourceSpec(
            "closures",
            "ocha-opt/closure_points_2025.geojson",
            ("objectid", "name", "closutretype", "type_closure_abbrev", "governoratet", "monthyear", "cp_types_text"),
            _POINT,
            "objectid",
            title="OCHA West Bank closure survey 2025",
        ),
        SourceSpec(
            "greenline",
            "ocha-opt/greenline_checkpoints_nov2025.geojson",
            ("fid", "currentnam", "gov"),
            _POINT,
            "fid",
            title="OCHA Green Line checkpoints, Nov 2025",
        ),
        SourceSpec(
            "naturalearth",
            "naturalearth-10m/ne_10m_admin_0_countries_deu_clip_levant.geojson",
            ("ADM0_A3", "NAME_EN"),
            _POLY,
            "ADM0_A3",
            title="Natural Earth 1:10m admin-0 countries v5.1.1",
        ),
        SourceSpec(
            "cbs",
            "israel-cbs-localities/localities_bycode2021.csv",
            (
                "id",
                "name",
                "name_en",
                "district_id",
                "sub_district_id",
                "population",
                "coordinates_itm_east",
                "coordinates_itm_north",
            ),
            _POINT,
            "id",
            point_columns=("coordinates_wgs84_longitude", "coordinates_wgs84_latitude"),
            title="Israel CBS localities file 2021",
        ),
        SourceSpec(
            "peacenow",
            "peacenow-settlements-2017/nowpeace-settlements.csv",
            ("establishment", "name"),
            _POINT,
            "name",
            point_columns=("longitude", "latitude"),
            title="Peace Now settlement list 2017",
        ),
        SourceSpec(
            "communities",
            "ocha-palestinian-communities/palestinian_communities_pop2017.geojson",
            ("PCBS_NAME", "NAME_ARB", "PCODE", "GovID", "pop2017", "Pop_Source", "Urban_Rurl", "Oslo_Areas", "EJ"),
            _POINT,
            "PCODE",
            title="OCHA oPt Palestinian communities (PCBS 2017 census population)",
        ),
        SourceSpec(
            "barrier",
            "ocha-barrier-2018/barrier_jan2018.geojson",
            ("OBJECTID", "Status", "Type"),
            _LINE,
            "OBJECTID",
            title="OCHA oPt West Bank Barrier route, January 2018",
        ),
        SourceSpec(
            "barrier_gates",
            "ocha-opt/barrier_gates_2025.geojson",
            ("fid_value", "name"),
            _POINT,
            "fid_value",
            title="OCHA oPt barrier gates 2025",
        ),
        SourceSpec(
            "built_up",
            "ocha-settlements-firing-zones/settlements_built_up_2021.geojson",
            ("entity_id", "name", "in_east_jerusalem"),
            _POLY,
            "entity_id",
            title="Peace Now settlement built-up areas 2021 (via UN OCHA oPt)",
        ),
        SourceSpec(
            "firing_zones",
            "ocha-settlements-firing-zones/firing_zones.geojson",
            ("zone_name", "name", "signed_date"),
            _POLY,
            "name",
            repair=True,
            title="OCHA oPt Israeli firing zones",
        ),
    )
}


def default_source_dir(workspace_root: Path) -> Path:
    """The default source folder: ``../shared/data`` beside the workspace."""
    return workspace_root.parent / "shared" / "data"


def _fail(path: Path, msg: str) -> SourceError:
    return SourceError(f"{path}: {msg}")


def _feature_label(spec: SourceSpec, gdf: gpd.GeoDataFrame, pos: int) -> str:
    ident: Any = gdf[spec.id_column].iloc[pos] if spec.id_column in gdf.columns else None
    if isinstance(ident, np.generic):
        ident = ident.item()  # numpy scalar -> plain Python value for a readable message
    return f"feature #{pos} ({spec.id_column}={ident!r})"


def _read_frame(spec: SourceSpec, path: Path) -> tuple[gpd.GeoDataFrame, Path]:
    if not path.is_file() and spec.point_columns is None:
        # the same dataset in another vector format (e.g. a shapefile) is accepted too
        for alt in (path.with_suffix(".gpkg"), path.with_suffix(".shp")):
            if alt.is_file():
                path = alt
                break
    if not path.is_file():
        raise _fail(
            path,
            f"source file not found ({spec.title}). Pass the folder holding the sources with "
            "--source DIR, or restore the file.",
        )
    if spec.point_columns is None:
        try:
            return gpd.read_file(path), path
        except (OSError, RuntimeError, ValueError) as exc:  # pyogrio errors derive from RuntimeError
            raise _fail(path, f"cannot be read as vector data ({exc}). Check the file is complete GeoJSON.") from exc
    try:
        df = pd.read_csv(path, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot be read as UTF-8 CSV ({exc}). Check the file is complete.") from exc
    lon, lat = spec.point_columns
    missing = [c for c in (lon, lat) if c not in df.columns]
    if missing:
        raise _fail(
            path,
            f"missing coordinate column(s) {', '.join(missing)}; the build reads WGS84 "
            f"longitude/latitude from columns {lon!r} and {lat!r}. Add them or rename the columns.",
        )
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    geom = gpd.points_from_xy(x, y)
    geom[(x.isna() | y.isna()).to_numpy()] = None
    # The columns are documented as WGS84 lon/lat: the CRS is stated by the source, not guessed.
    return gpd.GeoDataFrame(df, geometry=geom, crs=STORE_CRS), path


def _check_coordinates(spec: SourceSpec, path: Path, gdf: gpd.GeoDataFrame) -> None:
    xmin, ymin, xmax, ymax = REGION_BOUNDS
    b = shapely.bounds(gdf.geometry.values)
    for pos in range(len(gdf)):
        x0, y0, x1, y1 = b[pos]
        if max(abs(x0), abs(x1)) > 180 or max(abs(y0), abs(y1)) > 90:
            raise _fail(
                path,
                f"{_feature_label(spec, gdf, pos)} has coordinates ({x0:.0f}, {y0:.0f}) that cannot "
                "be degrees: they look like metres labelled as EPSG:4326. Label the file with its "
                "real CRS (e.g. EPSG:2039) or reproject it to EPSG:4326.",
            )
        inside = xmin <= x0 and x1 <= xmax and ymin <= y0 and y1 <= ymax
        if inside:
            continue
        swapped = xmin <= y0 and y1 <= xmax and ymin <= x0 and x1 <= ymax
        if swapped:
            raise _fail(
                path,
                f"{_feature_label(spec, gdf, pos)} has x={x0:.4f}, y={y0:.4f}: latitude and "
                "longitude look swapped. Write coordinates as (longitude, latitude), x first.",
            )
        raise _fail(
            path,
            f"{_feature_label(spec, gdf, pos)} lies outside the region "
            f"(lon {xmin}..{xmax}, lat {ymin}..{ymax}): bounds ({x0:.4f}, {y0:.4f}, {x1:.4f}, "
            f"{y1:.4f}). Check the file's CRS and coordinates.",
        )


def _check_geometry(spec: SourceSpec, path: Path, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    for pos in (int(k) for k in np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))):
        raise _fail(path, f"{_feature_label(spec, gdf, pos)} has no geometry. Give it one or remove the row.")
    bad_type = ~np.isin(shapely.get_type_id(geoms), [_TYPE_IDS[t] for t in spec.geometry])
    for pos in (int(k) for k in np.flatnonzero(bad_type)):
        raise _fail(
            path,
            f"{_feature_label(spec, gdf, pos)} is a {geoms[pos].geom_type}; this source must "
            f"hold {' or '.join(sorted(spec.geometry))} features.",
        )
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf
    if not spec.repair:
        pos = int(np.flatnonzero(invalid)[0])
        reason = shapely.is_valid_reason(geoms[pos])
        raise _fail(
            path,
            f"{_feature_label(spec, gdf, pos)} has invalid geometry: {reason}. Repair it (e.g. "
            "shapely.make_valid or QGIS 'Fix geometries') or obtain a corrected copy of the source.",
        )
    return _repair(spec, path, gdf, invalid)


def _repair(spec: SourceSpec, path: Path, gdf: gpd.GeoDataFrame, invalid: np.ndarray) -> gpd.GeoDataFrame:
    out = gdf.copy()
    fixed = shapely.make_valid(out.geometry.values[invalid])
    polys = [
        shapely.union_all([p for p in getattr(g, "geoms", [g]) if p.geom_type in ("Polygon", "MultiPolygon")])
        for g in fixed
    ]
    before = out.geometry.values[invalid]
    for pos, old, new in zip((int(k) for k in np.flatnonzero(invalid)), before, polys, strict=True):
        old_a = shapely.area(shapely.make_valid(old))
        if old_a > 0 and abs(new.area - old_a) / old_a > 1e-3:
            raise _fail(
                path,
                f"{_feature_label(spec, gdf, pos)} is invalid and repairing it changes its area "
                "by more than 0.1%. Repair it by hand and rebuild.",
            )
        log.info("%s: repaired %s (%s)", path.name, _feature_label(spec, gdf, pos), shapely.is_valid_reason(old))
    geoms = out.geometry.values.copy()
    geoms[invalid] = polys
    out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=out.crs))
    return out


_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5, "MultiPolygon": 6}


def _check_cross_coords(spec: SourceSpec, path: Path, gdf: gpd.GeoDataFrame) -> None:
    """CBS rows carry both ITM and WGS84 coordinates; they must agree."""
    east = pd.to_numeric(gdf["coordinates_itm_east"], errors="coerce").to_numpy()
    north = pd.to_numeric(gdf["coordinates_itm_north"], errors="coerce").to_numpy()
    ok = np.isfinite(east) & np.isfinite(north)
    pts = gdf.geometry.values[ok]
    # compare in metres: the WGS84 points projected to ITM against the ITM columns
    x, y = transformer(STORE_CRS, METRIC_CRS).transform(shapely.get_x(pts), shapely.get_y(pts))
    far = np.hypot(np.asarray(x) - east[ok], np.asarray(y) - north[ok]) > 500
    if far.any():
        pos = int(np.flatnonzero(ok)[np.flatnonzero(far)[0]])
        raise _fail(
            path,
            f"{_feature_label(spec, gdf, pos)}: its WGS84 coordinates disagree with its ITM "
            "coordinates by more than 500 m. Check for swapped or mistyped coordinates.",
        )


def read(key: str, source_dir: Path | str) -> gpd.GeoDataFrame:
    """Read and validate one source dataset.

    Parameters
    ----------
    key : str
        One of :data:`SOURCES` (e.g. ``"admin1"``).
    source_dir : path
        Folder holding the source datasets (e.g. ``../shared/data``).

    Returns
    -------
    GeoDataFrame
        The source in EPSG:4326, with valid geometry.

    Raises
    ------
    SourceError
        If the file is missing, unreadable, lacks a CRS or columns, or holds bad coordinates or geometry.
    """
    spec = SOURCES[key]
    path = Path(source_dir) / spec.path
    gdf, path = _read_frame(spec, path)
    if len(gdf) == 0:  # before the columns: an empty file has none, and "missing columns" would mislead
        raise _fail(path, "holds no features. Use a complete copy of the source.")
    missing = [c for c in spec.columns if c not in gdf.columns]
    if missing:
        raise _fail(
            path,
            f"missing column(s) {', '.join(missing)} needed by the build ({spec.title}). "
            "Use an unmodified copy of the source or add the columns.",
        )
    if gdf.crs is None:
        raise _fail(
            path,
            "has no CRS; landplan never guesses one. Add the CRS to the file (e.g. a .prj, or "
            "re-export as GeoJSON in EPSG:4326).",
        )
    crs = CRS.from_user_input(gdf.crs)
    geoms = gdf.geometry.values
    if not (shapely.is_missing(geoms) | shapely.is_empty(geoms)).any():
        if not is_store_crs(crs):
            gdf = gdf.to_crs(STORE_CRS)
        _check_coordinates(spec, path, gdf)
    gdf = _check_geometry(spec, path, gdf)
    if key == "cbs":
        _check_cross_coords(spec, path, gdf)
    log.debug("read %s: %d features", path, len(gdf))
    return gdf


def read_all(source_dir: Path | str) -> dict[str, gpd.GeoDataFrame]:
    """Read and validate every source dataset (see :func:`read`)."""
    src = Path(source_dir)
    if not src.is_dir():
        raise SourceError(
            f"{src}: source folder not found. Pass the folder holding the source datasets with --source DIR."
        )
    return {key: read(key, src) for key in SOURCES}
