"""Exports: every format round-trips, writes are atomic, text is guarded."""

import copy
import csv
import dataclasses
import errno
import io
import json
import os
import re
import sqlite3
import stat
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.dom import minidom

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import pytest
from shapely.geometry import Point, box
from test_render import SMALL_PLAN, full_plan

from geo import files, layers, metrics
from geo.errors import OutputError, UsageError
from geo.output import export
from geo.run import PlanRun, run_loaded
from geo.timeline import Timeline

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan")
    (d / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    p = d / "small.yaml"
    p.write_text(SMALL_PLAN.format(name="small plan"), encoding="utf-8")
    ly = layers.load_all(ROOT)
    z = ly["zones"].copy()
    z["name"] = z["name"].astype(object)
    z.loc[z["zone_id"] == "jenin-a", "name"] = '=HYPERLINK("http://x") <b>&'
    return run_loaded(p, {**ly, "zones": z}, 0.5)


SPATIAL = {
    "line_1967",
    "territories",
    "crossings",
    "obstacles",
    "settlements",
    "settlement_areas",
    "localities",
    "barrier",
    "seam_zone",
    "links",
    "regions",
    "firing_zones",
    "early_warning_sites",
    "jerusalem",
    "oslo_areas",
    "zones",
    "basemap",
    "israeli_localities",
    "dead_sea",
    "zones_schedule",
    "crossings_schedule",
    "zone_periods",
    "crossing_periods",
    "links_schedule",
    "barrier_schedule",
    "seam_zone_schedule",
    "obstacles_schedule",
}
TABLES = {
    "schedule",
    "states",
    "metrics",
    "crossing_flows",
    "residual_presence",
    "early_warning_stations",
    "metadata",
}


def test_geopackage_round_trips_with_pyogrio_and_sqlite(run, tmp_path):
    out = export.export(run, "gpkg", tmp_path / "plan.gpkg", "abc123")
    names = {n for n, _ in pyogrio.list_layers(out)}
    assert names == SPATIAL | TABLES
    zs = gpd.read_file(out, layer="zones_schedule")
    assert zs.crs.to_epsg() == 4326
    assert len(zs) == 4
    assert {"security_international_date", "movement_free_movement_month"} <= set(zs.columns)
    jen = zs.set_index("zone_id").loc["jenin-a"]
    assert jen["security_international_month"] == run.schedule.end["jenin-a/security/international"]
    periods = gpd.read_file(out, layer="zone_periods")
    assert len(periods) == 4 * (3 + 4)
    assert set(periods.columns) >= {"start_date", "end_date", "state", "track"}
    with sqlite3.connect(out) as db:
        meta = dict(db.execute("select key, value from metadata").fetchall())
        contents = {r[0] for r in db.execute("select table_name from gpkg_contents")}
        n = db.execute("select count(*) from schedule").fetchone()[0]
    assert meta["plan_hash"] == "abc123" and "UN OCHA oPt" in meta["attribution"]
    assert contents == SPATIAL | TABLES
    assert n == len(run.problem.tasks)
    assert len(gpd.read_file(out, layer="obstacles")) == 811


def test_geopackage_is_deterministic(run, tmp_path):
    a = export.export(run, "gpkg", tmp_path / "a.gpkg", "h").read_bytes()
    b = export.export(run, "gpkg", tmp_path / "b.gpkg", "h").read_bytes()
    assert a == b


def test_geojson_parquet_and_csv_folders(run, tmp_path):
    gj = export.export(run, "geojson", tmp_path / "gj", "h")
    z = gpd.read_file(gj / "zones_schedule.geojson")
    assert len(z) == 4 and z.crs.to_epsg() == 4326
    assert json.loads((gj / "metadata.json").read_text())["plan_hash"] == "h"
    pq = export.export(run, "parquet", tmp_path / "pq", "h")
    cr = gpd.read_parquet(pq / "crossings_schedule.parquet")
    assert cr.crs.to_epsg() == 4326 and len(cr) == len(run.layers["crossings"])
    assert cr.set_index("crossing_id").loc["allenby", "opens_month"] == run.schedule.end["crossing/allenby"]
    assert len(pd.read_parquet(pq / "metrics.parquet")) == run.problem.horizon + 1
    csv = export.export(run, "csv", tmp_path / "csv", "h", wkt=True)
    zones = pd.read_csv(csv / "zones_schedule.csv")
    assert zones["geometry_wkt"].str.startswith(("POLYGON", "MULTIPOLYGON")).all()
    name = zones.set_index("zone_id").loc["jenin-a", "name"]
    assert name.startswith("'=HYPERLINK")  # guarded against formula injection
    assert len(pd.read_csv(csv / "schedule.csv")) == len(run.problem.tasks)


def test_kml_has_zones_and_crossings_with_escaped_text(run, tmp_path):
    out = export.export(run, "kml", tmp_path / "plan.kml", "h")
    root = ET.parse(out).getroot()
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    marks = root.findall(".//k:Placemark", ns)
    assert len(marks) == 4 + len(run.layers["crossings"]) + len(run.layers["links"]) + len(run.layers["barrier"])
    folders = [f.find("k:name", ns).text for f in root.findall(".//k:Folder", ns)]
    assert folders == ["zones", "crossings", "Gaza - West Bank links", "barrier"]
    names = [m.find("k:name", ns).text for m in marks]
    assert '=HYPERLINK("http://x") <b>&' in names  # parsed back as text: it was escaped in the file
    assert "<b>" not in out.read_text(encoding="utf-8")


def test_a_failure_mid_export_leaves_the_old_file_and_no_temporaries(run, tmp_path, monkeypatch):
    out = tmp_path / "plan.gpkg"
    out.write_bytes(b"previous export")
    calls = {"n": 0}
    real = pyogrio.write_dataframe

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pyogrio, "write_dataframe", flaky)
    with pytest.raises(export.ExportError, match="previous output, if any, is unchanged"):
        export.export(run, "gpkg", out, "h")
    assert out.read_bytes() == b"previous export"
    assert sorted(os.listdir(tmp_path)) == ["plan.gpkg"]


def test_guard_csv_and_unknown_format(run, tmp_path):
    assert export.guard_csv("=1+1") == "'=1+1"
    assert export.guard_csv("@SUM") == "'@SUM"
    assert export.guard_csv("plain") == "plain"
    assert export.guard_csv(-3) == -3
    with pytest.raises(UsageError, match="unknown export format 'xls'"):
        export.export(run, "xls", tmp_path / "x", "h")
    assert list(tmp_path.iterdir()) == []


# -- variants of a scheduled plan (no new solve: names do not change a schedule) ---------------------------------
def named(run: PlanRun, plan_name: str | None = None, zone: str | None = None, crossing: str | None = None,
          column: str | None = None) -> PlanRun:  # fmt: skip
    """``run`` with its plan name, a zone's and a crossing's name, or an extra zone column's name replaced."""
    ly = dict(run.layers)
    if zone is not None or column is not None:
        z = ly["zones"].copy()
        z["name"] = z["name"].astype(object)
        if zone is not None:
            z.loc[z["zone_id"] == "jenin-c", "name"] = zone
        if column is not None:
            z[column] = "x"
        ly["zones"] = z
    if crossing is not None:
        c = ly["crossings"].copy()
        c["name"] = c["name"].astype(object)
        c.loc[c["crossing_id"] == "allenby", "name"] = crossing
        ly["crossings"] = c
    loaded = run.loaded
    if plan_name is not None:
        meta = loaded.plan.meta.model_copy(update={"name": plan_name})
        loaded = dataclasses.replace(loaded, plan=loaded.plan.model_copy(update={"meta": meta}))
    return dataclasses.replace(run, layers=ly, loaded=loaded)


# -- spreadsheet formulas (issue 8, #2) --------------------------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "=cmd|' /C calc'!A0"]


csv.field_size_limit(1 << 30)  # WKT geometries are long


def _csv_cells(folder: Path) -> dict[str, list[list[str]]]:
    return {
        f.name: list(csv.reader(io.StringIO(f.read_bytes().decode("utf-8"), newline="")))
        for f in sorted(folder.glob("*.csv"))
    }


def _assert_guarded(tables: dict[str, list[list[str]]]) -> None:
    for name, rows in tables.items():
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                if cell.startswith("-"):
                    float(cell)  # a negative number, not text


@pytest.mark.parametrize("formula", FORMULAS)
def test_every_csv_of_a_csv_export_is_guarded(run, tmp_path, formula):
    variant = named(run, plan_name=formula, zone=formula, crossing=formula, column=formula)
    out = export.export(variant, "csv", tmp_path / "csv", "h", wkt=True)
    tables = _csv_cells(out)
    _assert_guarded(tables)
    meta = dict(tuple(r) for r in tables["metadata.csv"][1:])
    assert meta["plan"] == "'" + formula
    assert "'" + formula in tables["zones_schedule.csv"][0]  # a column name is text too
    head, *rows = tables["zones_schedule.csv"]
    names = {r[head.index("zone_id")]: r[head.index("name")] for r in rows}
    assert names["jenin-c"] == "'" + formula
    assert pd.read_csv(out / "metrics.csv")["month"].min() == 0  # numbers stay numbers


def test_the_tables_of_a_geojson_export_are_guarded(run, tmp_path):
    variant = named(run, plan_name=FORMULAS[0])
    out = export.export(variant, "geojson", tmp_path / "gj", "h")
    tables = _csv_cells(out)
    assert set(tables) == {f"{t}.csv" for t in TABLES}
    _assert_guarded(tables)
    assert ["plan", "'" + FORMULAS[0]] in tables["metadata.csv"]
    assert json.loads((out / "metadata.json").read_text())["plan"] == FORMULAS[0]  # JSON is not a spreadsheet


# -- KML is well-formed whatever the names hold (issue 8, #5) ----------------------------------------------------
KML_NAMES = [
    'say "hi"',
    "it's <b>&amp;</b>",
    "bell\x07 nul\x00 esc\x1b vt\x0b ff\x0c us\x1f",
    "tab\tlf\ncr\r end",
    "lone \ud800 surrogate \udfff",
    "]]> <![CDATA[ x ]]>",
    "not chars \ufffe\uffff",
    "עברית · العربية · \u202eevil",
]


def _xml_form(text: str) -> str:
    """What a name becomes in XML 1.0: the characters it cannot carry dropped."""
    return "".join(ch for ch in text if ch in "\t\n\r" or ("\x20" <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd"))


@pytest.mark.parametrize("text", KML_NAMES)
def test_kml_is_well_formed_whatever_the_names_hold(run, tmp_path, text):
    holdable = not any("\ud800" <= ch <= "\udfff" for ch in text)  # pandas labels must be valid UTF-8
    variant = named(run, plan_name=text, zone=text, crossing=text, column=text if holdable else None)
    out = export.export(variant, "kml", tmp_path / "plan.kml", "h")
    raw = out.read_bytes()
    raw.decode("utf-8")  # valid UTF-8 throughout
    minidom.parseString(raw)
    root = ET.fromstring(raw)
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    expected = _xml_form(text)
    assert root.find("k:Document/k:name", ns).text == expected
    names = [m.find("k:name", ns).text or "" for m in root.findall(".//k:Placemark", ns)]
    assert names.count(expected) == 2  # the zone and the crossing
    if holdable:
        fields = {d.get("name") for d in root.iterfind(".//k:Data", ns)}
        assert expected in fields  # the column name, an attribute, round-trips


# -- folder exports are replaced whole (issue 8, #12) ------------------------------------------------------------
def test_a_folder_export_never_mixes_two_exports(run, tmp_path):
    out = tmp_path / "out"
    export.export(run, "csv", out, "h1", wkt=True)
    assert (out / "zones_schedule.csv").exists()
    export.export(run, "csv", out, "h2")
    assert sorted(p.name for p in out.iterdir()) == sorted(["metadata.json", *(f"{t}.csv" for t in TABLES)])
    export.export(run, "geojson", out, "h3")
    names = {p.name for p in out.iterdir()}
    assert names == {"metadata.json", *(f"{t}.csv" for t in TABLES), *(f"{s}.geojson" for s in SPATIAL)}
    assert json.loads((out / "metadata.json").read_text())["plan_hash"] == "h3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("fmt", ["csv", "geojson", "parquet"])
def test_a_folder_export_refuses_a_folder_of_other_things_before_any_work(run, tmp_path, monkeypatch, fmt):
    home = tmp_path / "home"
    home.mkdir()
    (home / "letter.txt").write_text("mine")
    (home / "photos").mkdir()

    def no_work(*args, **kwargs):
        raise AssertionError("the output must be checked before the work")

    monkeypatch.setattr(export, "spatial_layers", no_work)
    monkeypatch.setattr(export, "tables", no_work)
    with pytest.raises(OutputError, match=f"could not write {home}: the folder holds other things"):
        export.export(run, fmt, home, "h")
    assert sorted(p.name for p in home.iterdir()) == ["letter.txt", "photos"]


def test_an_interrupted_folder_export_leaves_the_previous_one(run, tmp_path, monkeypatch):
    out = tmp_path / "out"
    export.export(run, "csv", out, "old")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = files.write_new
    calls = {"n": 0}

    def killed(path, data):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(files, "write_new", killed)
    with pytest.raises(KeyboardInterrupt):
        export.export(run, "csv", out, "new", wkt=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_export_removes_what_killed_exports_left(run, tmp_path, monkeypatch):
    left = [tmp_path / ".landplan-0123456789ab", tmp_path / ".landplan-x1y2z3w4"]
    for d in left:
        d.mkdir()
        (d / "zones.csv").write_text("partial")
    (tmp_path / ".landplan-a1b2c3d4e5f6.gpkg.tmp").write_bytes(b"partial")
    export.export(run, "kml", tmp_path / "fresh.kml", "h")
    assert len(list(tmp_path.glob(".landplan-*"))) == 3  # younger than an hour: maybe a run still writing
    real_now = files._now
    monkeypatch.setattr(files, "_now", lambda: real_now() + files.STALE_AFTER + 1)
    export.export(run, "gpkg", tmp_path / "plan.gpkg", "h")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.kml", "plan.gpkg"]


# -- write failures are OutputErrors (issue 8, #6) ---------------------------------------------------------------
def test_the_destination_can_be_checked_before_solving(tmp_path):
    (tmp_path / "plain").write_text("x")
    export.check_destination(tmp_path / "new", "csv")
    export.check_destination(tmp_path / "plain", "kml")
    with pytest.raises(export.ExportError, match="a file has that name and a folder is wanted"):
        export.check_destination(tmp_path / "plain", "parquet")
    with pytest.raises(UsageError, match="unknown export format 'xlsx'"):
        export.check_destination(tmp_path / "new", "xlsx")


def test_export_errors_are_output_errors():
    assert issubclass(export.ExportError, OutputError)
    assert issubclass(export.ExportError, OSError)


@pytest.mark.parametrize(
    ("fmt", "name", "reason"),
    [
        ("gpkg", "missing/plan.gpkg", "does not exist"),
        ("kml", "plain.txt/plan.kml", "is a file, not a folder"),
        ("gpkg", "folder", "it is a folder"),
        ("csv", "plain.txt", "a file has that name and a folder is wanted"),
        ("kml", "k" * 300 + ".kml", "over the 255 allowed"),
    ],
)
def test_unwritable_outputs_fail_before_any_work(run, tmp_path, monkeypatch, fmt, name, reason):
    (tmp_path / "plain.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    monkeypatch.setattr(export, "spatial_layers", lambda *a: pytest.fail("the output must be checked first"))
    path = tmp_path / name
    with pytest.raises(export.ExportError) as exc:
        export.export(run, fmt, path, "h")
    assert str(exc.value).startswith(f"could not write {path}: ") and reason in str(exc.value)
    assert "Fix: " in str(exc.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "plain.txt"]


@pytest.mark.parametrize(
    "failure",
    [
        pyogrio.errors.DataSourceError("sqlite3_exec failed: database or disk is full: No space left on device"),
        pyogrio.errors.DataLayerError("failed to write feature"),
        OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
    ],
)
def test_a_failed_geopackage_write_is_an_output_error(run, tmp_path, monkeypatch, failure):
    out = tmp_path / "plan.gpkg"
    out.write_bytes(b"previous export")

    def full(*args, **kwargs):
        raise failure

    monkeypatch.setattr(pyogrio, "write_dataframe", full)
    with pytest.raises(OutputError) as exc:
        export.export(run, "gpkg", out, "h")
    assert str(exc.value).startswith(f"could not write {out}: ") and "Fix: " in str(exc.value)
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


@pytest.mark.parametrize("fmt", ["kml", "csv", "parquet"])
def test_a_full_disk_is_an_output_error(run, tmp_path, monkeypatch, fmt):
    out = tmp_path / ("out.kml" if fmt == "kml" else "out")

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(export.ExportError) as exc:
        export.export(run, fmt, out, "h")
    assert str(exc.value).startswith(f"could not write {out}: No space left on device. Fix: free some disk space")
    assert list(tmp_path.iterdir()) == []


# -- ids are read from the tasks (issue 8, #17) ------------------------------------------------------------------
@pytest.mark.parametrize("style", ["path", "opaque"])
def test_schedule_columns_come_from_the_tasks_not_their_ids(tmp_path, style):
    from test_metrics import ID_ZONE_TABLE, ID_ZONES, LEVELS, SECURITY, id_problem, movement_end, security_end

    p, s = id_problem(style)
    squares = [box(35 + i / 10, 31.5, 35.05 + i / 10, 31.6) for i in range(3)]
    zones = gpd.GeoDataFrame(ID_ZONE_TABLE.assign(name=ID_ZONES), geometry=squares, crs="EPSG:4326")
    points = [Point(35, 31.5), Point(35.1, 31.5)]
    crossings = gpd.GeoDataFrame(
        {"crossing_id": ["x/y", "other"], "name": ["X", "O"]}, geometry=points, crs="EPSG:4326"
    )
    run = PlanRun(Path("p.yaml"), None, {"zones": zones, "crossings": crossings}, p, s, pd.DataFrame())  # type: ignore[arg-type]
    out = export.spatial_layers(run)
    zs = out["zones_schedule"].set_index("zone_id")
    for i, z in enumerate(ID_ZONES):
        for k, st in enumerate(SECURITY[1:], start=1):
            assert zs.loc[z, f"security_{st}_month"] == security_end(i, k)
        for k, lv in enumerate(LEVELS[1:], start=1):
            assert zs.loc[z, f"movement_{lv}_month"] == movement_end(i, k)
    opens = out["crossings_schedule"].set_index("crossing_id")["opens_month"]
    assert opens["x/y"] == 5 and pd.isna(opens["other"])
    periods = out["zone_periods"]
    assert len(periods) == len(ID_ZONES) * (len(SECURITY) + len(LEVELS))


# -- no process-wide GDAL settings (issue 9) ---------------------------------------------------------------------
#: The form of GDAL's own write-time stamps (``2026-11-27T09:51:25.859Z``).
GDAL_STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def gdal_options():
    """Set GDAL options as a user of the library might; whatever the test did, clear them afterwards."""
    names: list[str] = []

    def set_options(options: dict[str, str]) -> None:
        names.extend(options)
        pyogrio.set_gdal_config_options(options)

    yield set_options
    pyogrio.set_gdal_config_options(dict.fromkeys(names))


@pytest.mark.parametrize(
    "options",
    [
        {"OGR_CURRENT_DATE": "2011-11-11T11:11:11Z"},
        {"OGR_SQLITE_JOURNAL": "MEMORY"},
        {"OGR_CURRENT_DATE": "2011-11-11T11:11:11Z", "OGR_SQLITE_JOURNAL": "TRUNCATE"},
    ],
    ids=["date", "journal", "both"],
)
def test_a_geopackage_export_leaves_the_processs_gdal_settings_alone(run, tmp_path, gdal_options, options):
    gdal_options(options)
    out = export.export(run, "gpkg", tmp_path / "plan.gpkg", "h")
    assert {k: pyogrio.get_gdal_config_option(k) for k in options} == options
    with sqlite3.connect(out) as db:
        stamps = {r[0] for r in db.execute("select last_change from gpkg_contents")}
    assert stamps == {"2000-01-01T00:00:00Z"}  # the export's own fixed stamp, whatever the process says


def test_a_geopackage_export_sets_no_gdal_option(run, tmp_path, monkeypatch):
    def refuse(options):
        raise AssertionError(f"a process-wide GDAL setting: {options}")

    monkeypatch.setattr(pyogrio, "set_gdal_config_options", refuse)
    monkeypatch.setattr(pyogrio.core, "set_gdal_config_options", refuse)
    out = export.export(run, "gpkg", tmp_path / "plan.gpkg", "h")
    assert {n for n, _ in pyogrio.list_layers(out)} == SPATIAL | TABLES


def test_no_write_time_stays_anywhere_in_the_geopackage(run, tmp_path):
    raw = export.export(run, "gpkg", tmp_path / "plan.gpkg", "h").read_bytes()
    assert GDAL_STAMP.search(raw) is None  # not even in the free space of a page
    with sqlite3.connect(tmp_path / "plan.gpkg") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize(
    "failure", [sqlite3.OperationalError("database is locked"), sqlite3.DatabaseError("file is not a database")]
)
def test_a_failure_fixing_the_timestamps_is_an_output_error(run, tmp_path, monkeypatch, failure):
    out = tmp_path / "plan.gpkg"
    out.write_bytes(b"previous export")

    def broken(*args, **kwargs):
        raise failure

    monkeypatch.setattr(sqlite3, "connect", broken)
    with pytest.raises(export.ExportError) as exc:
        export.export(run, "gpkg", out, "h")
    assert str(exc.value).startswith(f"could not write {out}: {failure}. Fix: ")
    assert out.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]


# -- every writer stages through one helper (issue 9) ------------------------------------------------------------
@pytest.mark.parametrize(("fmt", "name"), [("gpkg", "p.gpkg"), ("kml", "p.kml"), ("csv", "out"), ("geojson", "gj")])
def test_every_export_is_staged_through_the_one_helper(run, tmp_path, monkeypatch, fmt, name):
    staged: list[Path] = []
    real = files.staging

    def spy(dest, *args, **kwargs):
        staged.append(Path(dest))
        return real(dest, *args, **kwargs)

    monkeypatch.setattr(files, "staging", spy)
    export.export(run, fmt, tmp_path / name, "h")
    assert staged == [tmp_path / name]


def test_a_geopackage_is_flushed_and_gets_the_mode_of_every_output(run, tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name the file descriptors")
    monkeypatch.setattr(os, "fsync", fsync)
    old = os.umask(0o077)
    try:
        out = export.export(run, "gpkg", tmp_path / "plan.gpkg", "h")
        kml = export.export(run, "kml", tmp_path / "plan.kml", "h")
    finally:
        os.umask(old)
    assert [Path(p).suffix for p in synced] == [".gpkg", ".kml", ".kml"]
    assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(kml.stat().st_mode) == 0o644


# -- the exports read the run's timeline (issue 9) ---------------------------------------------------------------
def with_timeline(run: PlanRun, months: int) -> PlanRun:
    """``run`` whose timeline says every step ends ``months`` later than its schedule does."""
    s = run.schedule
    later = dataclasses.replace(s, start={t: m + months for t, m in s.start.items()},
                                end={t: m + months for t, m in s.end.items()})  # fmt: skip
    variant = copy.copy(run)
    variant.timeline = Timeline(run.problem, later)
    return variant


@pytest.mark.parametrize("months", [1, 3])
def test_the_spatial_layers_read_the_timeline(run, months):
    variant = with_timeline(run, months)
    out = export.spatial_layers(variant)
    zs = out["zones_schedule"].set_index("zone_id")
    for tid, t in run.problem.tasks.items():
        if t.kind in ("security", "movement"):
            assert zs.loc[t.zone, f"{t.kind}_{t.to_state}_month"] == run.schedule.end[tid] + months
    cr = out["crossings_schedule"].set_index("crossing_id")
    assert cr.loc["allenby", "opens_month"] == run.schedule.end["crossing/allenby"] + months
    periods = out["zone_periods"]
    first = periods.iloc[0]
    assert (first["zone_id"], first["state"], first["start_month"], first["end_month"]) == (
        "jenin-a", "idf", 0, run.schedule.end["jenin-a/security/international"] + months,
    )  # fmt: skip
    zones = [z for z in run.layers["zones"]["zone_id"] if z in run.problem.zones]
    assert [(p.zone_id, p.track, p.state, p.start_month, p.end_month) for p in periods.itertuples()] == [
        (p.entity, p.track, p.state, p.start, p.end)
        for track in variant.timeline.ladders
        for p in variant.timeline.periods(track, zones)
    ]


@pytest.mark.parametrize("months", [1, 3])
def test_the_tables_read_the_timeline(run, months):
    variant = with_timeline(run, months)
    tabs = export.tables(variant, "h")
    sched = tabs["schedule"].set_index("task")
    assert sched["end"].to_dict() == {t: m + months for t, m in run.schedule.end.items()}
    states = tabs["states"].set_index(["zone", "month"])
    tl = variant.timeline
    for (zone, month), row in states.iterrows():
        assert row["security"] == tl.state_at(zone, "security", month)
        assert row["movement"] == tl.state_at(zone, "movement", month)


def test_zone_features_follow_the_zones_layers_order(run):
    ly = dict(run.layers)
    ly["zones"] = ly["zones"].iloc[::-1]
    out = export.spatial_layers(dataclasses.replace(run, layers=ly))
    order = [z for z in ly["zones"]["zone_id"] if z in run.problem.zones]
    assert order != run.problem.zones  # the layer's order differs from the plan's
    assert list(out["zones_schedule"]["zone_id"]) == order
    assert list(out["zone_periods"]["zone_id"].drop_duplicates()) == order


# -- the confederation's entities (issue 11) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """The plan of every section; its sources and its sited station's id are spreadsheet formulas."""
    d = tmp_path_factory.mktemp("full")
    (d / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    p = d / "full.yaml"
    p.write_text(full_plan(station="@SUM(A1)", source=FORMULAS[0]), encoding="utf-8")
    return run_loaded(p, layers.load_all(ROOT), 0.5)


def test_the_crossing_flows_table_is_the_metrics_own(full_run):
    flows = export.tables(full_run, "h")["crossing_flows"]
    expected = metrics.crossing_flows(full_run.problem, full_run.timeline)
    pd.testing.assert_frame_equal(flows.drop(columns="date"), expected)
    assert list(flows["date"][:2]) == ["2027-01", "2027-02"]
    over = flows.groupby("month")["over_capacity"].sum()
    assert list(over) == list(full_run.metrics["crossings_over_capacity"])


def test_crossings_carry_their_regimes_and_periods(full_run):
    tl, out = full_run.timeline, export.spatial_layers(full_run)
    cr = out["crossings_schedule"].set_index("crossing_id")
    assert (
        cr.loc["allenby", "regime_at_opening"] == "israeli" and cr.loc["erez", "regime_at_opening"] == "international"
    )
    assert cr.loc["allenby", "regime_joint_month"] == tl.month_reached("allenby", "regime", "joint")
    assert pd.isna(cr.loc["rafah", "regime_at_opening"]) and pd.isna(cr.loc["erez", "regime_joint_month"])
    periods = out["crossing_periods"]
    allenby = periods[periods["crossing_id"] == "allenby"]
    joint = tl.month_reached("allenby", "regime", "joint")
    assert list(allenby["regime"]) == ["israeli", "international", "joint"]
    assert list(allenby["people_capacity"]) == [1000, 3000, 9000]
    assert list(allenby["end_month"])[-1] == full_run.problem.horizon + 1 and list(allenby["start_month"])[-1] == joint
    assert list(allenby["partner"])[-1] == "jordan"
    erez = periods[periods["crossing_id"] == "erez"]
    assert list(erez["regime"]) == ["closed", "international"]
    assert list(erez["start_month"]) == [0, tl.completed("erez", "crossing")]
    assert set(periods.columns) >= {"start_date", "end_date", "geometry"} and periods.crs.to_epsg() == 4326


def test_links_carry_the_month_and_capacity_of_each_state(full_run):
    tl, links = full_run.timeline, export.spatial_layers(full_run)["links_schedule"].set_index("link_id")
    south = links.loc["safe-passage-south"]
    assert bool(south["in_plan"]) and not bool(links.loc["safe-passage-north", "in_plan"])
    assert south["escorted_convoys_month"] == tl.month_reached("safe-passage-south", "link", "escorted_convoys")
    assert south["open_to_people_date"] == tl.label(tl.month_reached("safe-passage-south", "link", "open_to_people"))
    assert (south["escorted_convoys_people_per_day"], south["open_to_people_people_per_day"]) == (500, 2000)
    assert pd.isna(south["open_to_goods_month"]) and pd.isna(links.loc["safe-passage-north", "escorted_convoys_month"])
    assert links.geometry.geom_type.isin(["LineString", "MultiLineString"]).all()


def test_barrier_seam_and_obstacles_go_as_the_metrics_count_them(full_run):
    out, m = export.spatial_layers(full_run), full_run.metrics
    bar = out["barrier_schedule"]
    assert len(bar) == len(full_run.layers["barrier"])
    assert set(bar.loc[bar["zone_id"] == "jenin-c", "barrier_step"]) == {"north"}
    # the metrics count the constructed barrier and the seam zone in the plan's zones
    zones = full_run.problem.zones
    built = bar[(bar["kind"] == "route") & (bar["status"] == "constructed") & bar["zone_id"].isin(zones)]
    seam, obst = out["seam_zone_schedule"], out["obstacles_schedule"]
    seam = seam[seam["zone_id"].isin(zones)]
    for month in range(full_run.problem.horizon + 1):
        standing = built.loc[~(built["removed_month"] <= month).fillna(False).astype(bool), "length_km"].sum()
        assert round(standing, 3) == m.loc[month, "barrier_km_standing"], month
        back = seam.loc[(seam["reconnected_month"] <= month).fillna(False).astype(bool), "area_km2"].sum()
        assert round(back, 3) == m.loc[month, "seam_km2_reconnected"], month
        assert int((obst["removed_month"] <= month).sum()) == m.loc[month, "obstacles_removed"], month
    zs = out["zones_schedule"].set_index("zone_id")
    assert (
        zs.loc["jenin-a", "security_start"] == "palestinian"
        and zs.loc["east-jerusalem", "security_start"] == "israel_police"
    )
    assert zs.loc["jenin-c", "obstacles_checkpoint_month"] == full_run.timeline.month_reached(
        "jenin-c", "obstacles", "checkpoint"
    )


def test_residual_presence_and_stations_are_tables(full_run):
    tabs = export.tables(full_run, "h")
    (valley,) = tabs["residual_presence"].to_dict("records")
    assert (valley["id"], valley["zones"], valley["during"], valley["site_count"], valley["ends_month"]) == (
        "valley", "jenin-c", "international", 2, 20,
    )  # fmt: skip
    stations = tabs["early_warning_stations"].set_index("id")
    assert stations.loc["@SUM(A1)", "reviews"] == "2028-01 2029-01"
    assert stations.loc["@SUM(A1)", "until_date"] == "2029-07" and pd.isna(stations.loc["station-b", "site"])


@pytest.mark.parametrize("fmt", ["gpkg", "csv", "kml"])
def test_the_new_layers_and_tables_are_written_and_guarded(full_run, tmp_path, fmt):
    out = export.export(full_run, fmt, tmp_path / f"out.{fmt}", "h", wkt=True)
    if fmt == "gpkg":
        assert {n for n, _ in pyogrio.list_layers(out)} == SPATIAL | TABLES
        flows = pyogrio.read_dataframe(out, layer="crossing_flows")
        assert len(flows) == 2 * (full_run.problem.horizon + 1)
        assert len(pyogrio.read_dataframe(out, layer="crossing_periods")) == 5
    elif fmt == "csv":
        cells = _csv_cells(out)
        assert {f"{t}.csv" for t in TABLES | SPATIAL} <= set(cells)
        _assert_guarded(cells)
        assert "'" + FORMULAS[0] in cells["residual_presence.csv"][1]
        assert "'@SUM(A1)" in cells["early_warning_stations.csv"][1]
    else:
        raw = out.read_bytes()
        minidom.parseString(raw)
        root = ET.fromstring(raw)
        ns = {"k": "http://www.opengis.net/kml/2.2"}
        link = next(m for m in root.iterfind(".//k:Placemark", ns) if "southern" in m.find("k:name", ns).text)
        data = {d.get("name"): d.find("k:value", ns).text for d in link.iterfind(".//k:Data", ns)}
        assert data["in_plan"] == "True" and data["open_to_people_people_per_day"] == "2000"
        assert link.find(".//k:LineString", ns) is not None
