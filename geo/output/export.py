"""Analyst exports: GeoPackage, GeoJSON, GeoParquet, CSV and KML, written atomically and deterministically.

Every export carries the plan's schedule on its zone and crossing features (the month and date each state and level
is reached, and one feature per zone per period with start and end dates for temporal tools such as QGIS's Temporal
Controller), the schedule, state and metrics tables, and a metadata record with the plan hash and the attribution.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors

from ..errors import OutputError, UsageError
from ..files import atomic_write, check_output, csv_bytes, guard_csv, replace_folder, staged_file, writing
from ..metrics import schedule_table, state_table
from ..run import PlanRun
from ..timeline import Timeline
from .style import ATTRIBUTION

__all__ = [
    "FOLDER_FORMATS",
    "FORMATS",
    "ExportError",
    "check_destination",
    "export",
    "guard_csv",
    "spatial_layers",
    "tables",
    "xml_text",
]

log = logging.getLogger(__name__)

FORMATS = ("gpkg", "geojson", "parquet", "csv", "kml")
#: Formats written as a folder of files (replaced whole on each export).
FOLDER_FORMATS = ("geojson", "parquet", "csv")
#: GeoPackage timestamps are fixed so that two exports of the same plan are byte-identical.
_FIXED_DATE = "2000-01-01T00:00:00Z"


#: Failures while writing a GeoPackage (a full disk, an unwritable file), from GDAL or from SQLite.
_WRITE_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.Error)
#: Characters XML 1.0 forbids: C0 controls but tab, LF and CR; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_TEXT = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_XML_ATTR = {**_XML_TEXT, '"': "&quot;", "'": "&apos;", "\t": "&#9;", "\n": "&#10;"}


class ExportError(OutputError):
    """An export could not be written; the previous output is untouched."""


def xml_text(value: object, attribute: bool = False) -> str:
    """``value`` as XML character data (or a quoted attribute's value when ``attribute``).

    Names come from plans and layer files, so they may hold anything: markup characters and quotes are
    escaped, and the characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates) are
    dropped, so the document is well-formed whatever the data holds.
    """
    table = _XML_ATTR if attribute else _XML_TEXT
    text = _NOT_XML.sub("", str(value))
    return "".join(table.get(ch, ch) for ch in text)


def _dates(tl: Timeline, zone: str) -> dict[str, Any]:
    """The month and date ``zone`` reaches each state of each ladder track (None when never scheduled)."""
    out: dict[str, Any] = {}
    for track, ladder in tl.ladders.items():
        for st in ladder[1:]:
            end = tl.month_reached(zone, track, st)
            out[f"{track}_{st}_month"] = end
            out[f"{track}_{st}_date"] = None if end is None else tl.label(end)
    return out


def _zone_periods(tl: Timeline, zones: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One feature per zone per period in a state, track by track, zones in the layer's order."""
    geom = zones.set_index("zone_id").geometry
    rows = [
        {
            "zone_id": period.entity,
            "track": period.track,
            "state": period.state,
            "start_month": period.start,
            "end_month": period.end,
            "start_date": tl.label(period.start) + "-01",
            "end_date": tl.label(period.end) + "-01",
            "geometry": geom[period.entity],
        }
        for track in tl.ladders
        for period in tl.periods(track, zones["zone_id"])
    ]
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=zones.crs)


def spatial_layers(run: PlanRun) -> dict[str, gpd.GeoDataFrame]:
    """Every shipped layer, zones and crossings with their schedule, and the zone periods layer."""
    tl = run.timeline
    out = {name: gdf for name, gdf in run.layers.items()}
    zones = run.layers["zones"]
    zones = zones[zones["zone_id"].isin(run.problem.zones)].copy()
    extra = pd.DataFrame([_dates(tl, z) for z in zones["zone_id"]], index=zones.index)
    out["zones_schedule"] = gpd.GeoDataFrame(pd.concat([zones, extra], axis=1), geometry="geometry", crs=zones.crs)
    cr = run.layers["crossings"].copy()
    opens = [tl.completed(c, "crossing") for c in cr["crossing_id"]]
    cr["opens_month"] = pd.array(opens, dtype="Int64")
    cr["opens_date"] = [None if m is None else tl.label(m) for m in opens]
    out["crossings_schedule"] = cr
    out["zone_periods"] = _zone_periods(tl, zones)
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
        "schedule": schedule_table(run.problem, run.schedule, run.timeline),
        "states": state_table(run.problem, run.schedule, run.timeline),
        "metrics": run.metrics,
        "metadata": pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
    }


def _gpkg(run: PlanRun, digest: str, dest: Path) -> None:
    layers, tabs = spatial_layers(run), tables(run, digest)
    with staged_file(dest, ExportError, _WRITE_ERRORS) as path:
        for name, frame in [*layers.items(), *tabs.items()]:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
        _fix_timestamps(path)


def _fix_timestamps(path: Path) -> None:
    """Stamp every table of the GeoPackage ``path`` as changed at :data:`_FIXED_DATE`, not at the write time.

    GDAL records the moment it writes each table (``gpkg_contents.last_change``; the export writes no
    GeoPackage metadata, so there are no other stamps), so two exports of one plan would differ.  GDAL's own
    switch for this is a process-wide setting; fixing the written file instead leaves the rest of the process
    as it was.  SQLite's ``secure_delete`` overwrites the replaced stamps, so no trace of the write time stays
    in the file.
    """
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = ON")
        with db:  # one transaction, committed here
            db.execute("UPDATE gpkg_contents SET last_change = ?", (_FIXED_DATE,))


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
            f'<Data name="{xml_text(f, attribute=True)}">'
            f"<value>{xml_text('' if pd.isna(row[f]) else row[f])}</value></Data>"
            for f in fields
        )
        return f"<ExtendedData>{cells}</ExtendedData>"

    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>')
    out.write(f"<name>{xml_text(run.name)}</name><description>{xml_text(ATTRIBUTION)}</description>")
    z = layers["zones_schedule"]
    zf = [c for c in z.columns if c not in ("geometry", "source")]
    out.write("<Folder><name>zones</name>")
    for _, row in z.iterrows():
        g = row.geometry
        polys = [g] if g.geom_type == "Polygon" else list(g.geoms)
        shapes = "".join(polygon(pg) for pg in polys)
        out.write(
            f"<Placemark><name>{xml_text(row['name'])}</name>{data(row, zf)}"
            f"<MultiGeometry>{shapes}</MultiGeometry></Placemark>"
        )
    out.write("</Folder><Folder><name>crossings</name>")
    c = layers["crossings_schedule"]
    cf = [col for col in c.columns if col not in ("geometry", "source")]
    for _, row in c.iterrows():
        out.write(
            f"<Placemark><name>{xml_text(row['name'])}</name>{data(row, cf)}"
            f"<Point><coordinates>{row.geometry.x:.6f},{row.geometry.y:.6f}</coordinates></Point></Placemark>"
        )
    out.write("</Folder></Document></kml>\n")
    return out.getvalue().encode("utf-8")


def _folder_files(run: PlanRun, fmt: str, digest: str, wkt: bool) -> dict[str, bytes]:
    """The files of a folder export, by name."""
    files: dict[str, bytes] = {"metadata.json": (json.dumps(_metadata(run, digest), indent=1) + "\n").encode()}
    if fmt == "geojson":
        for name, gdf in spatial_layers(run).items():
            files[f"{name}.geojson"] = gdf.to_json(drop_id=True, to_wgs84=True).encode("utf-8")
        for name, df in tables(run, digest).items():
            files[f"{name}.csv"] = csv_bytes(df)
    elif fmt == "parquet":
        for name, frame in [*spatial_layers(run).items(), *tables(run, digest).items()]:
            buf = io.BytesIO()
            frame.to_parquet(buf, index=False)
            files[f"{name}.parquet"] = buf.getvalue()
    else:
        for name, df in tables(run, digest).items():
            files[f"{name}.csv"] = csv_bytes(df)
        if wkt:
            for name, gdf in spatial_layers(run).items():
                plain = pd.DataFrame(gdf.drop(columns="geometry"))
                plain["geometry_wkt"] = gdf.geometry.to_wkt(rounding_precision=6)
                files[f"{name}.csv"] = csv_bytes(plain)
    return files


def check_destination(dest: Path | str, fmt: str) -> None:
    """Fail now, before any solving, if an export in ``fmt`` cannot be written to ``dest``.

    Raises
    ------
    UsageError
        On an unknown format.
    ExportError
        When ``dest`` cannot be written: its folder is missing or not writable, something of the wrong
        kind is in the way (a folder holding other things, for the folder formats), or the name is too long.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}.")
    try:
        check_output(dest, folder=fmt in FOLDER_FORMATS)
    except OutputError as exc:
        raise ExportError(str(exc)) from exc


def export(run: PlanRun, fmt: str, dest: Path | str, digest: str, wkt: bool = False) -> Path:
    """Write ``run`` in format ``fmt`` to ``dest``, atomically.

    A folder export replaces the whole folder, so it never mixes files of two exports; it therefore
    refuses a folder holding anything but an earlier export (see :func:`geo.files.is_output_folder`).

    Parameters
    ----------
    run : PlanRun
        A scheduled plan.
    fmt : {"gpkg", "geojson", "parquet", "csv", "kml"}
        GeoPackage and KML are single files; GeoJSON, GeoParquet and CSV are folders with one file per
        layer or table plus ``metadata.json``.
    dest : path
        Output file or folder; its parent folder must exist.
    digest : str
        The plan-and-layers hash recorded in the metadata.
    wkt : bool, optional
        CSV only: also write the spatial layers with geometry as WKT.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        On an unknown format.
    ExportError
        When the output cannot be written (an :class:`~geo.errors.OutputError`; the previous output is left
        as it was).
    """
    out = Path(dest)
    check_destination(out, fmt)
    with writing(out, ExportError):
        if fmt == "gpkg":
            _gpkg(run, digest, out)
        elif fmt == "kml":
            atomic_write(out, _kml(run))
        else:
            replace_folder(out, _folder_files(run, fmt, digest, wkt))
    log.info("exported %s (%s)", out, fmt)
    return out
