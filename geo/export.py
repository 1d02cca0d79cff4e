"""Analyst exports: GeoPackage, GeoJSON, GeoParquet, CSV and KML, written atomically and deterministically.

Every export carries the plan's schedule on its zone and crossing features (the month and date each state and level
is reached, and one feature per zone per period with start and end dates for temporal tools such as QGIS's Temporal
Controller), the schedule, state and metrics tables, and a metadata record with the plan hash and the attribution.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import LandplanError
from .files import atomic_write, replace_all
from .metrics import month_label, schedule_table, state_table
from .run import PlanRun
from .style import ATTRIBUTION

__all__ = ["FORMATS", "ExportError", "export", "guard_csv", "spatial_layers", "tables"]

log = logging.getLogger(__name__)

FORMATS = ("gpkg", "geojson", "parquet", "csv", "kml")
#: GeoPackage timestamps are fixed so that two exports of the same plan are byte-identical.
_FIXED_DATE = "2000-01-01T00:00:00Z"


class ExportError(LandplanError, OSError):
    """An export could not be written; the previous output is untouched."""


def guard_csv(value: Any) -> Any:
    """Neutralise spreadsheet formulas: text starting with ``= + - @``, tab or CR gets a leading quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _dates(run: PlanRun, zone: str, track: str, ladder: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for st in ladder[1:]:
        end = run.schedule.end.get(f"{zone}/{track}/{st}")
        out[f"{track}_{st}_month"] = end
        out[f"{track}_{st}_date"] = None if end is None else month_label(run.problem.start, end)
    return out


def spatial_layers(run: PlanRun) -> dict[str, gpd.GeoDataFrame]:
    """Every shipped layer, zones and crossings with their schedule, and the zone periods layer."""
    p = run.problem
    out = {name: gdf for name, gdf in run.layers.items()}
    zones = run.layers["zones"]
    zones = zones[zones["zone_id"].isin(p.zones)].copy()
    extra = pd.DataFrame(
        [
            {**_dates(run, z, "security", p.security_states), **_dates(run, z, "movement", p.movement_levels)}
            for z in zones["zone_id"]
        ],
        index=zones.index,
    )
    out["zones_schedule"] = gpd.GeoDataFrame(pd.concat([zones, extra], axis=1), geometry="geometry", crs=zones.crs)
    cr = run.layers["crossings"].copy()
    opens = [run.schedule.end.get(f"crossing/{c}") for c in cr["crossing_id"]]
    cr["opens_month"] = pd.array(opens, dtype="Int64")
    cr["opens_date"] = [None if m is None else month_label(p.start, m) for m in opens]
    out["crossings_schedule"] = cr
    rows = []
    geom = zones.set_index("zone_id").geometry
    for track, ladder in (("security", p.security_states), ("movement", p.movement_levels)):
        for z in zones["zone_id"]:
            ends: list[int | None] = [0, *(run.schedule.end.get(f"{z}/{track}/{st}") for st in ladder[1:])]
            for k, st in enumerate(ladder):
                start = ends[k]
                if start is None:
                    break
                nxt = ends[k + 1] if k + 1 < len(ends) else None
                stop = nxt if nxt is not None else p.horizon + 1
                rows.append(
                    {
                        "zone_id": z,
                        "track": track,
                        "state": st,
                        "start_month": start,
                        "end_month": stop,
                        "start_date": month_label(p.start, start) + "-01",
                        "end_date": month_label(p.start, stop) + "-01",
                        "geometry": geom[z],
                    }
                )
    out["zone_periods"] = gpd.GeoDataFrame(rows, geometry="geometry", crs=zones.crs)
    return out


def _metadata(run: PlanRun, digest: str) -> dict[str, str]:
    return {
        "plan": run.name,
        "plan_file": run.path.name,
        "plan_hash": digest,
        "status": run.schedule.status,
        "start": run.problem.start,
        "horizon_months": str(run.problem.horizon),
        "attribution": ATTRIBUTION,
        "crs": "EPSG:4326",
    }


def tables(run: PlanRun, digest: str) -> dict[str, pd.DataFrame]:
    """The non-spatial tables: schedule, month-by-month states, metrics, metadata."""
    meta = _metadata(run, digest)
    return {
        "schedule": schedule_table(run.problem, run.schedule),
        "states": state_table(run.problem, run.schedule),
        "metrics": run.metrics,
        "metadata": pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
    }


def _gpkg(run: PlanRun, digest: str, dest: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=".landplan-", dir=dest.parent))
    try:
        path = tmp / dest.name
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_DATE, "OGR_SQLITE_JOURNAL": "OFF"})
        try:
            for name, gdf in spatial_layers(run).items():
                pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
            for name, df in tables(run, digest).items():
                pyogrio.write_dataframe(df, path, layer=name, driver="GPKG")
        finally:
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None, "OGR_SQLITE_JOURNAL": None})
        os.replace(path, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _csv_bytes(df: pd.DataFrame) -> bytes:
    safe = df.copy()
    for col in safe.columns:
        if safe[col].dtype == object or str(safe[col].dtype).startswith("string"):
            safe[col] = safe[col].map(guard_csv)
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _kml(run: PlanRun) -> bytes:
    layers = spatial_layers(run)

    def coords(ring: Any) -> str:
        return " ".join(f"{x:.6f},{y:.6f}" for x, y in ring)

    def polygon(poly: Any) -> str:
        inner = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{coords(r.coords)}</coordinates></LinearRing></innerBoundaryIs>"
            for r in poly.interiors
        )
        return (
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords(poly.exterior.coords)}</coordinates>"
            f"</LinearRing></outerBoundaryIs>{inner}</Polygon>"
        )

    def data(row: pd.Series, fields: list[str]) -> str:
        cells = "".join(
            f'<Data name="{xml_escape(f)}"><value>{xml_escape("" if pd.isna(row[f]) else str(row[f]))}</value></Data>'
            for f in fields
        )
        return f"<ExtendedData>{cells}</ExtendedData>"

    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>')
    out.write(f"<name>{xml_escape(run.name)}</name><description>{xml_escape(ATTRIBUTION)}</description>")
    z = layers["zones_schedule"]
    zf = [c for c in z.columns if c not in ("geometry", "source")]
    out.write("<Folder><name>zones</name>")
    for _, row in z.iterrows():
        g = row.geometry
        polys = [g] if g.geom_type == "Polygon" else list(g.geoms)
        shapes = "".join(polygon(pg) for pg in polys)
        out.write(
            f"<Placemark><name>{xml_escape(str(row['name']))}</name>{data(row, zf)}"
            f"<MultiGeometry>{shapes}</MultiGeometry></Placemark>"
        )
    out.write("</Folder><Folder><name>crossings</name>")
    c = layers["crossings_schedule"]
    cf = [col for col in c.columns if col not in ("geometry", "source")]
    for _, row in c.iterrows():
        out.write(
            f"<Placemark><name>{xml_escape(str(row['name']))}</name>{data(row, cf)}"
            f"<Point><coordinates>{row.geometry.x:.6f},{row.geometry.y:.6f}</coordinates></Point></Placemark>"
        )
    out.write("</Folder></Document></kml>\n")
    return out.getvalue().encode("utf-8")


def export(run: PlanRun, fmt: str, dest: Path | str, digest: str, wkt: bool = False) -> Path:
    """Write ``run`` in format ``fmt`` to ``dest``, atomically.

    Parameters
    ----------
    run : PlanRun
        A scheduled plan.
    fmt : {"gpkg", "geojson", "parquet", "csv", "kml"}
        GeoPackage and KML are single files; GeoJSON, GeoParquet and CSV are folders with one file per
        layer or table plus ``metadata.json``.
    dest : path
        Output file or folder.
    digest : str
        The plan-and-layers hash recorded in the metadata.
    wkt : bool, optional
        CSV only: also write the spatial layers with geometry as WKT.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ExportError
        On an unknown format or a failed write (the previous output is left as it was).
    """
    out = Path(dest)
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        if fmt == "gpkg":
            _gpkg(run, digest, out)
        elif fmt == "kml":
            atomic_write(out, _kml(run))
        else:
            files: dict[str, bytes] = {"metadata.json": (json.dumps(_metadata(run, digest), indent=1) + "\n").encode()}
            if fmt == "geojson":
                for name, gdf in spatial_layers(run).items():
                    files[f"{name}.geojson"] = gdf.to_json(drop_id=True, to_wgs84=True).encode("utf-8")
                for name, df in tables(run, digest).items():
                    files[f"{name}.csv"] = _csv_bytes(df)
            elif fmt == "parquet":
                for name, gdf in spatial_layers(run).items():
                    buf = io.BytesIO()
                    gdf.to_parquet(buf, index=False)
                    files[f"{name}.parquet"] = buf.getvalue()
                for name, df in tables(run, digest).items():
                    buf = io.BytesIO()
                    df.to_parquet(buf, index=False)
                    files[f"{name}.parquet"] = buf.getvalue()
            else:
                for name, df in tables(run, digest).items():
                    files[f"{name}.csv"] = _csv_bytes(df)
                if wkt:
                    for name, gdf in spatial_layers(run).items():
                        plain = pd.DataFrame(gdf.drop(columns="geometry"))
                        plain["geometry_wkt"] = gdf.geometry.to_wkt(rounding_precision=6)
                        files[f"{name}.csv"] = _csv_bytes(plain)
            replace_all(out, files)
    except OSError as exc:
        raise ExportError(f"could not write {out}: {exc}. The previous output, if any, is unchanged.") from exc
    log.info("exported %s (%s)", out, fmt)
    return out
