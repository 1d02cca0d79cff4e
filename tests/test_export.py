"""Exports: every format round-trips, writes are atomic, text is guarded."""

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from test_render import SMALL_PLAN

from geo import export, layers, metrics, plan, schedule, tasks
from geo.run import PlanRun

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
    ly = {**ly, "zones": z}
    lp = plan.load(p)
    problem = tasks.compile_plan(lp, ly["zones"], set(ly["crossings"]["crossing_id"]))
    sched = schedule.solve(problem, 0.5)
    return PlanRun(p, lp, ly, problem, sched, metrics.monthly_metrics(problem, sched, ly["zones"], ly["obstacles"]))


SPATIAL = {
    "line_1967",
    "territories",
    "crossings",
    "obstacles",
    "settlements",
    "jerusalem",
    "oslo_areas",
    "zones",
    "basemap",
    "zones_schedule",
    "crossings_schedule",
    "zone_periods",
}
TABLES = {"schedule", "states", "metrics", "metadata"}


def test_geopackage_round_trips_with_pyogrio_and_sqlite(run, tmp_path):
    out = export.export(run, "gpkg", tmp_path / "plan.gpkg", "abc123")
    names = {n for n, _ in pyogrio.list_layers(out)}
    assert names == SPATIAL | TABLES
    zs = gpd.read_file(out, layer="zones_schedule")
    assert zs.crs.to_epsg() == 4326
    assert len(zs) == 4
    assert {"security_international_date", "movement_residence_month"} <= set(zs.columns)
    jen = zs.set_index("zone_id").loc["jenin-a"]
    assert jen["security_international_month"] == run.schedule.end["jenin-a/security/international"]
    periods = gpd.read_file(out, layer="zone_periods")
    assert len(periods) == 4 * (3 + 5)
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
    assert cr.crs.to_epsg() == 4326 and len(cr) == 108
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
    assert len(marks) == 4 + 108
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
    with pytest.raises(export.ExportError, match="unknown export format 'xls'"):
        export.export(run, "xls", tmp_path / "x", "h")
