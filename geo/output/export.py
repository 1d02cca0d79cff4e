"""Analyst exports: GeoPackage, GeoJSON, GeoParquet, CSV and KML, written atomically and deterministically.

Every export carries the plan's schedule on its features: the month and date each zone reaches each state and level
(and removes each obstacle type), each crossing opens and changes regime, each Gaza - West Bank link reaches each
state, each barrier segment and seam-zone part and each obstacle goes; one feature per zone (and per crossing) per
period with start and end dates for temporal tools such as QGIS's Temporal Controller; the schedule, state, metrics
and crossing-flow tables, the plan's residual presences and early-warning stations, and a metadata record with the
plan hash and the attribution.  Every month is read from the run's :class:`~geo.timeline.Timeline`, and what goes
when is decided as the metrics decide it, so an export, the metrics and the map agree.
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
from ..metrics import crossing_flows, obstacle_removal_months, schedule_table, state_table
from ..plan import Problem
from ..plan.model import LINK_STATES
from ..run import PlanRun
from ..timeline import Timeline
from .style import ATTRIBUTION

__all__ = [
    "FOLDER_FORMATS",
    "FORMATS",
    "WRITE_ERRORS",
    "ExportError",
    "check_destination",
    "export",
    "fix_timestamps",
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


#: Failures while writing a GeoPackage (a full disk, an unwritable file), from GDAL or from SQLite: what a writer
#: of a GeoPackage hands to :func:`geo.files.staged_file` to report as an :class:`ExportError`.
WRITE_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, sqlite3.Error)
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


def _when(tl: Timeline, prefix: str, month: int | None) -> dict[str, Any]:
    """``PREFIX_month`` and ``PREFIX_date`` of a month (both None when it is not within the plan)."""
    return {f"{prefix}_month": month, f"{prefix}_date": None if month is None else tl.label(month)}


def _dates(tl: Timeline, zone: str, obstacle_types: list[str]) -> dict[str, Any]:
    """Where ``zone`` starts on each ladder track and when it reaches each state or removes each obstacle type.

    Months and dates are None for a step never scheduled; obstacle types are those the plan removes on their own
    track.
    """
    out: dict[str, Any] = {}
    for track, ladder in tl.ladders.items():
        out[f"{track}_start"] = tl.path(zone, track)[0]
        for st in ladder[1:]:
            out.update(_when(tl, f"{track}_{st}", tl.month_reached(zone, track, st)))
    for kind in obstacle_types:
        out.update(_when(tl, f"obstacles_{kind}", tl.month_reached(zone, "obstacles", kind)))
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


def _regimes(problem: Problem) -> list[str]:
    """Every regime a crossing of the plan runs under, in the order the crossings first reach them."""
    return list(dict.fromkeys(r.regime for lines in problem.crossing_regimes.values() for r in lines))


def _crossings_schedule(run: PlanRun) -> gpd.GeoDataFrame:
    """The crossings with the month each opens, the regime it opens under and the month it reaches each regime."""
    tl = run.timeline
    cr = run.layers["crossings"].copy()
    ids = [str(c) for c in cr["crossing_id"]]
    opens = [tl.completed(c, "crossing") for c in ids]
    cr["opens_month"] = pd.array(opens, dtype="Int64")
    cr["opens_date"] = [None if m is None else tl.label(m) for m in opens]
    lines = run.problem.crossing_regimes
    cr["regime_at_opening"] = [lines[c][0].regime if lines.get(c) else None for c in ids]
    for regime in _regimes(run.problem):
        months = [tl.month_reached(c, "regime", regime) for c in ids]
        cr[f"regime_{regime}_month"] = pd.array(months, dtype="Int64")
        cr[f"regime_{regime}_date"] = [None if m is None else tl.label(m) for m in months]
    return cr


def _crossing_periods(run: PlanRun) -> gpd.GeoDataFrame:
    """One feature per planned crossing per period: closed until it opens, then each regime with its capacity.

    The periods are those of :func:`geo.metrics.crossing_flows`, month by month, joined where nothing changes.
    """
    tl, cr = run.timeline, run.layers["crossings"]
    geom = cr.set_index(cr["crossing_id"].astype(str)).geometry
    keys = ["crossing", "regime", "partner", "people_capacity", "trucks_capacity"]
    rows: list[dict[str, Any]] = []
    for rec in crossing_flows(run.problem, tl).to_dict("records"):
        if str(rec["crossing"]) not in geom.index:
            continue
        rec["partner"] = None if pd.isna(rec["partner"]) else rec["partner"]
        if rows and all(rows[-1][k] == rec[k] for k in keys):
            rows[-1]["end_month"] = rec["month"] + 1
        else:
            rows.append({**{k: rec[k] for k in keys}, "start_month": rec["month"], "end_month": rec["month"] + 1})
    for row in rows:
        row["start_date"] = tl.label(row["start_month"]) + "-01"
        row["end_date"] = tl.label(row["end_month"]) + "-01"
        row["geometry"] = geom[str(row["crossing"])]
    columns = [*keys, "start_month", "end_month", "start_date", "end_date", "geometry"]
    out = gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=cr.crs)
    return out.rename(columns={"crossing": "crossing_id"})


def _links_schedule(run: PlanRun) -> gpd.GeoDataFrame:
    """The links with the month and date each reaches each state, and its capacity a day in that state."""
    tl, cap = run.timeline, run.problem.link_capacity
    links = run.layers["links"].copy()
    ids = [str(x) for x in links["link_id"]]
    links["in_plan"] = [lid in cap for lid in ids]
    for state in LINK_STATES[1:]:
        months = [tl.month_reached(lid, "link", state) for lid in ids]
        links[f"{state}_month"] = pd.array(months, dtype="Int64")
        links[f"{state}_date"] = [None if m is None else tl.label(m) for m in months]
        for k, what in enumerate(("people", "trucks")):
            per_day = [cap[lid][state][k] if state in cap.get(lid, {}) else None for lid in ids]
            links[f"{state}_{what}_per_day"] = pd.array(per_day, dtype="Int64")
    return links


def _removal(run: PlanRun, layer: str, column: str) -> gpd.GeoDataFrame:
    """A layer of barrier parts or seam-zone parts with the step that removes them (by their zone) and when."""
    tl, problem = run.timeline, run.problem
    step_of = {z: step for step, zs in problem.barrier_zones.items() for z in zs}
    out = run.layers[layer].copy()
    steps = [step_of.get(str(z)) for z in out["zone_id"]]
    months = [None if st is None else tl.completed(st, "barrier") for st in steps]
    out["barrier_step"] = steps
    out[f"{column}_month"] = pd.array(months, dtype="Int64")
    out[f"{column}_date"] = [None if m is None else tl.label(m) for m in months]
    return out


def _obstacles_schedule(run: PlanRun) -> gpd.GeoDataFrame:
    """The obstacles with the month each goes, as the metrics count it (None: not within the plan)."""
    obst = run.layers["obstacles"].copy()
    months = obstacle_removal_months(run.problem, run.timeline, obst)
    obst["removed_month"] = pd.array(months, dtype="Int64")
    obst["removed_date"] = [None if m is None else run.timeline.label(m) for m in months]
    return obst


def spatial_layers(run: PlanRun) -> dict[str, gpd.GeoDataFrame]:
    """Every shipped layer, then the plan's schedule on the features it moves.

    ``zones_schedule`` (with the zone periods layer ``zone_periods``) and ``crossings_schedule`` (with
    ``crossing_periods``) always; ``links_schedule``, ``barrier_schedule``, ``seam_zone_schedule`` and
    ``obstacles_schedule`` when the run has those layers; ``border`` when the plan names a border.
    """
    tl = run.timeline
    out = {name: gdf for name, gdf in run.layers.items()}
    zones = run.layers["zones"]
    zones = zones[zones["zone_id"].isin(run.problem.zones)].copy()
    kinds = list(run.problem.obstacle_types)
    extra = pd.DataFrame([_dates(tl, z, kinds) for z in zones["zone_id"]], index=zones.index)
    out["zones_schedule"] = gpd.GeoDataFrame(pd.concat([zones, extra], axis=1), geometry="geometry", crs=zones.crs)
    out["crossings_schedule"] = _crossings_schedule(run)
    out["zone_periods"] = _zone_periods(tl, zones)
    out["crossing_periods"] = _crossing_periods(run)
    if "links" in run.layers:
        out["links_schedule"] = _links_schedule(run)
    if "barrier" in run.layers:
        out["barrier_schedule"] = _removal(run, "barrier", "removed")
    if "seam_zone" in run.layers:
        out["seam_zone_schedule"] = _removal(run, "seam_zone", "reconnected")
    if "obstacles" in run.layers:
        out["obstacles_schedule"] = _obstacles_schedule(run)
    if run.border is not None:
        out["border"] = run.border.frame()  # the annexed and swapped land and Palestine inside the plan's border
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
        **({"border": run.border.name} if run.border is not None else {}),
    }


def _flows(run: PlanRun) -> pd.DataFrame:
    """:func:`geo.metrics.crossing_flows` with each month's date."""
    flows = crossing_flows(run.problem, run.timeline)
    flows.insert(1, "date", [run.timeline.label(int(m)) for m in flows["month"]])
    return flows


def _residual(run: PlanRun) -> pd.DataFrame:
    """The plan's residual presences: where (zones and sites, space-separated), under which state, until when."""
    tl = run.timeline
    rows = [
        {
            "id": r.id,
            "zones": " ".join(r.zones),
            "during": r.during,
            "sites": " ".join(r.sites),
            "site_count": r.site_count,
            **_when(tl, "ends", r.ends),
            "source": r.source,
        }
        for r in run.problem.residual
    ]
    columns = ["id", "zones", "during", "sites", "site_count", "ends_month", "ends_date", "source"]
    return pd.DataFrame(rows, columns=columns)


def _stations(run: PlanRun) -> pd.DataFrame:
    """The plan's early-warning stations: site, standing from and until, the months they are reviewed."""
    tl, horizon = run.timeline, run.problem.horizon
    rows = [
        {
            "id": st.id,
            "site": st.site,
            **_when(tl, "from", st.start),
            **_when(tl, "until", st.until),
            "review_every": st.review_every,
            "reviews": " ".join(tl.label(m) for m in st.reviews(horizon)),
            "source": st.source,
        }
        for st in run.problem.stations
    ]
    columns = ["id", "site", "from_month", "from_date", "until_month", "until_date", "review_every", "reviews"]
    return pd.DataFrame(rows, columns=[*columns, "source"])


def tables(run: PlanRun, digest: str) -> dict[str, pd.DataFrame]:
    """The non-spatial tables.

    The schedule, month-by-month states, metrics, crossing flows (per crossing and month), residual presences,
    early-warning stations and the metadata record.
    """
    meta = _metadata(run, digest)
    return {
        "schedule": schedule_table(run.problem, run.schedule, run.timeline),
        "states": state_table(run.problem, run.schedule, run.timeline),
        "metrics": run.metrics,
        "crossing_flows": _flows(run),
        "residual_presence": _residual(run),
        "early_warning_stations": _stations(run),
        "metadata": pd.DataFrame({"key": list(meta), "value": list(meta.values())}),
    }


def _gpkg(run: PlanRun, digest: str, dest: Path) -> None:
    layers, tabs = spatial_layers(run), tables(run, digest)
    with staged_file(dest, ExportError, WRITE_ERRORS) as path:
        for name, frame in [*layers.items(), *tabs.items()]:
            pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG")
        fix_timestamps(path)


def fix_timestamps(path: Path) -> None:
    """Stamp every table of the GeoPackage ``path`` as changed at :data:`_FIXED_DATE`, not at the write time.

    GDAL records the moment it writes each table (``gpkg_contents.last_change``; the export writes no
    GeoPackage metadata, so there are no other stamps), so two exports of one plan would differ.  GDAL's own
    switch for this is a process-wide setting; fixing the written file instead leaves the rest of the process
    as it was.  SQLite's ``secure_delete`` overwrites the replaced stamps, so no trace of the write time stays
    in the file.  Every GeoPackage landplan writes (an export, a border's ``-o``) goes through here.

    Parameters
    ----------
    path : Path
        A GeoPackage just written (not yet in place: the staged file of :func:`geo.files.staged_file`).

    Raises
    ------
    sqlite3.Error
        When the file cannot be updated; one of :data:`WRITE_ERRORS`, which the writers turn into an
        :class:`ExportError`.
    """
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = ON")
        with db:  # one transaction, committed here
            db.execute("UPDATE gpkg_contents SET last_change = ?", (_FIXED_DATE,))


def _coords(points: Any) -> str:
    return " ".join(f"{x:.6f},{y:.6f}" for x, y, *_ in points)


def _kml_geometry(g: Any) -> str:
    """A shapely geometry as KML: points, lines and polygons, multi-part ones as a MultiGeometry."""
    kind = g.geom_type
    if kind == "Point":
        return f"<Point><coordinates>{g.x:.6f},{g.y:.6f}</coordinates></Point>"
    if kind == "LineString":
        return f"<LineString><coordinates>{_coords(g.coords)}</coordinates></LineString>"
    if kind == "Polygon":
        inner = "".join(
            f"<innerBoundaryIs><LinearRing><coordinates>{_coords(r.coords)}</coordinates></LinearRing></innerBoundaryIs>"
            for r in g.interiors
        )
        return (
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{_coords(g.exterior.coords)}</coordinates>"
            f"</LinearRing></outerBoundaryIs>{inner}</Polygon>"
        )
    return f"<MultiGeometry>{''.join(_kml_geometry(part) for part in g.geoms)}</MultiGeometry>"


def _kml_folder(name: str, frame: gpd.GeoDataFrame) -> str:
    """One KML folder: a placemark per feature with its fields (but its geometry and source) as data."""
    fields = [c for c in frame.columns if c not in ("geometry", "source")]
    marks = []
    for _, row in frame.iterrows():
        cells = "".join(
            f'<Data name="{xml_text(f, attribute=True)}">'
            f"<value>{xml_text('' if pd.isna(row[f]) else row[f])}</value></Data>"
            for f in fields
        )
        title = row["name"] if not pd.isna(row["name"]) else row.get("feature_id", "")  # barrier segments: their id
        marks.append(
            f"<Placemark><name>{xml_text(title)}</name><ExtendedData>{cells}</ExtendedData>"
            f"{_kml_geometry(row.geometry)}</Placemark>"
        )
    return f"<Folder><name>{xml_text(name)}</name>{''.join(marks)}</Folder>"


#: The layers a KML export holds (those a run has), by folder name.
_KML_FOLDERS = (
    ("zones", "zones_schedule"),
    ("crossings", "crossings_schedule"),
    ("Gaza - West Bank links", "links_schedule"),
    ("barrier", "barrier_schedule"),
)


def _kml(run: PlanRun) -> bytes:
    """Zones, crossings, links and the barrier with their schedule, for Google Earth."""
    layers = spatial_layers(run)
    out = io.StringIO()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>')
    out.write(f"<name>{xml_text(run.name)}</name><description>{xml_text(ATTRIBUTION)}</description>")
    for folder, layer in _KML_FOLDERS:
        if layer in layers:
            out.write(_kml_folder(folder, layers[layer]))
    out.write("</Document></kml>\n")
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
