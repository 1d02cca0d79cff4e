"""The output side of ``landplan border``: GeoPackage, the map, ``border diff``, and bad output paths.

The border computation takes seconds, so each command runs once per module and the tests read what it wrote.
The scenario's name is hostile text: it must reach every output as data, never as markup or template source.
"""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from geo import cli
from geo.border import BorderResult
from geo.crs import METRIC_CRS
from geo.output import border_map

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert(1)</script>{{ 7*7 }}"
SCENARIO = """\
name: "<script>alert(1)</script>{{ 7*7 }}"
description: "a test scenario </script><img src=x onerror=alert(2)> {% raw %}"
annex:
  settlements: [Betar Illit]
  blocs: [Ma'ale Adumim]
  buffer_m: 300
  corridor_m: 500
  jerusalem: clinton_rule
swap: {ratio: 1.0}
"""
_DATA = re.compile(r'<script type="application/json" id="landplan-border-data">(.*?)</script>', re.S)


def run(*argv: str) -> tuple[int, str, str]:
    """Run the command line; its exit code, standard output and standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--workspace", str(ROOT), *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("scenario") / "hostile.yaml"
    p.write_text(SCENARIO, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def written(scenario: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``border S --json -o S.gpkg --html S.html``, once."""
    folder = tmp_path_factory.mktemp("out")
    gpkg, page = folder / "b.gpkg", folder / "b.html"
    code, out, err = run("border", str(scenario), "--json", "-o", str(gpkg), "--html", str(page))
    assert code == 0, err
    return {"folder": folder, "gpkg": gpkg, "html": page.read_text(encoding="utf-8"), "json": json.loads(out)}


@pytest.fixture(scope="module")
def diff_json(scenario: Path) -> dict[str, Any]:
    code, out, err = run("border", "diff", "green-line", str(scenario), "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_geopackage_holds_the_parts_in_4326_with_the_figures(written):
    layers = dict(pyogrio.list_layers(written["gpkg"]))
    assert {"border", "figures", "denominators", "metadata"} <= set(layers)
    border = gpd.read_file(written["gpkg"], layer="border")
    assert border.crs is not None and border.crs.to_epsg() == 4326
    assert sorted(border["part"]) == ["annexed", "palestine", "swapped"]
    assert set(border["scenario"]) == {HOSTILE}  # stored as text, as written
    doc = written["json"]
    annexed = border.set_index("part").loc["annexed", "area_km2"]
    assert annexed == pytest.approx(doc["figures"]["annexed_km2"], abs=0.02)
    figures = gpd.read_file(written["gpkg"], layer="figures").iloc[0]
    assert figures["settlers_annexed"] == doc["figures"]["settlers_annexed"]
    dens = pd.DataFrame(gpd.read_file(written["gpkg"], layer="denominators"))
    assert list(dens["denominator"]) == [r["denominator"] for r in doc["denominators"]]
    assert not [p.name for p in written["folder"].iterdir() if p.name.startswith(".landplan-")]


def test_the_map_shows_the_figures_and_the_denominators(written):
    page = written["html"]
    data = json.loads(_DATA.search(page).group(1))
    doc = written["json"]
    assert dict((k, v) for k, v in data["figures"]) == doc["figures"]
    rows = [dict(zip(data["denominators"]["columns"], r, strict=True)) for r in data["denominators"]["rows"]]
    assert rows == doc["denominators"]
    keys = [spec["key"] for spec in data["layers"]]
    assert {"line", "palestine", "annexed", "swapped", "settlements_annexed"} <= set(keys)
    annexed = next(s for s in data["layers"] if s["key"] == "settlements_annexed")["geojson"]["features"]
    assert {"Betar Illit", "Qedar"} <= {f["properties"]["name"] for f in annexed}
    assert "leaflet" in page.lower() and "cdn.jsdelivr" not in page  # Leaflet inlined: works offline


def test_hostile_scenario_text_stays_data_on_the_map(written):
    page = written["html"]
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page and "{% raw %}" not in page
    assert f"<title>{html.escape(HOSTILE)}".replace("{", "&#123;").replace("}", "&#125;") in page
    data = json.loads(_DATA.search(page).group(1))
    assert data["meta"]["name"] == HOSTILE  # came through as written: not evaluated ({{ 7*7 }} is not 49)
    assert data["meta"]["description"].startswith("a test scenario </script><img")
    assert page.count("<script") == page.count("</script>")


def tiny_result(name: str) -> BorderResult:
    wb = shapely.box(200_000, 600_000, 230_000, 660_000)
    annexed = shapely.box(200_000, 630_000, 203_000, 633_000)
    return BorderResult(
        name=name,
        annexed=annexed,
        swapped=shapely.box(197_000, 630_000, 200_000, 633_000),
        palestine=wb.difference(annexed),
        settlements=["s1"],
        denominators=pd.DataFrame([{"denominator": "west_bank", "total_km2": 1800.0, "annexed_km2": 9.0}]),
        figures={"annexed_km2": 9.0, "contiguous": True, "extra": {"nested": [1, 2]}},
    )


def tiny_settlements(name: str) -> gpd.GeoDataFrame:
    pts = gpd.GeoSeries([shapely.Point(201_500, 631_500), shapely.Point(220_000, 640_000)], crs=METRIC_CRS)
    return gpd.GeoDataFrame(
        {"settlement_id": ["s1", "s2"], "name": [name, "other"], "kind": ["settlement"] * 2, "population": [10, 20]},
        geometry=pts.to_crs("EPSG:4326"),
    )


@pytest.mark.parametrize(
    "text", [HOSTILE, "{% for x in range(3) %}{{ x }}{% endfor %}", "<!--landplan-slot:title-->", "\u202eevil"]
)
def test_the_map_is_the_same_every_time_and_keeps_any_text_as_data(text):
    ly = {"settlements": tiny_settlements(text)}
    a = border_map.border_html(tiny_result(text), ly, description=text)
    assert a == border_map.border_html(tiny_result(text), ly, description=text)
    data = json.loads(_DATA.search(a).group(1))
    assert data["meta"]["name"] == data["meta"]["description"] == text.replace("\u202e", "")
    settled = next(s for s in data["layers"] if s["key"] == "settlements_annexed")["geojson"]["features"]
    assert [f["properties"]["name"] for f in settled] == [text.replace("\u202e", "")]
    assert "<script>alert" not in a and "{%" not in a and "\u202e" not in a


def test_diff_compares_every_denominator_and_figure_and_its_deltas_add_up(diff_json, written):
    d = diff_json
    assert d["a"] == "The 1967 line" and d["b"] == HOSTILE
    assert {r["denominator"] for r in d["denominators"]} == {r["denominator"] for r in written["json"]["denominators"]}
    for row in [*d["denominators"], *d["figures"]]:
        if isinstance(row["a"], int | float) and not isinstance(row["a"], bool):
            assert row["b_minus_a"] == pytest.approx(row["b"] - row["a"], abs=1e-9), row
    figures = {r["figure"]: r for r in d["figures"]}
    assert {k: r["b"] for k, r in figures.items()} == written["json"]["figures"]  # B is the scenario's own run
    assert figures["annexed_km2"]["a"] == 0 and figures["settlers_annexed"]["b_minus_a"] > 0


def test_diff_names_the_settlements_that_change_side_and_they_account_for_the_settlers(diff_json):
    moved = pd.DataFrame(diff_json["settlements_changing_side"])
    assert {"Betar Illit", "Ma'ale Adummim", "Gilo"} <= set(moved["name"])
    assert set(zip(moved["side_a"], moved["side_b"], strict=True)) == {("Palestine", "Israel")}
    figures = {r["figure"]: r["b_minus_a"] for r in diff_json["figures"]}
    ej = moved["kind"] == "east_jerusalem_neighbourhood"
    assert moved.loc[~ej, "population"].fillna(0).sum() == figures["settlers_annexed"]
    assert moved.loc[ej, "population"].fillna(0).sum() == figures["israelis_east_jerusalem_annexed"]


def test_diff_prints_tables(scenario):
    code, out, _ = run("border", "diff", "green-line", str(scenario))
    assert code == 0
    assert "areas on each denominator" in out and "B - A" in out
    assert re.search(r"Betar Illit .*Palestine -> Israel", out)
    assert re.search(r"settlers_annexed +0 +[\d,]+ +\+[\d,]+", out)


@pytest.mark.parametrize(
    "argv",
    [
        ["border", "green-line", "-o", "{d}/b.shp"],
        ["border", "green-line", "-o", "{d}/b.kml", "--json"],
        ["border", "green-line", "--html", "{d}/b.png"],
        ["border", "green-line", "-o", "{d}/b.gpkg", "--html", "{d}/b.txt"],
        ["border", "green-line", "also-this"],
        ["border", "diff", "green-line"],
        ["border", "diff", "green-line", "green-line", "-o", "{d}/b.gpkg"],
    ],
)
def test_bad_border_arguments_are_usage_errors_and_write_nothing(tmp_path, argv):
    code, _, err = run(*[a.format(d=tmp_path) for a in argv])
    assert code == cli.EXIT_USAGE == 2
    assert "landplan: error:" in err
    assert list(tmp_path.iterdir()) == []


def test_any_scenario_name_stays_a_scenario():
    assert cli._parse(["border", "geneva"]).scenario == "geneva"
    args = cli._parse(["border", "diff", "green-line", "geneva", "--json"])
    assert (args.scenario, args.others, args.json) == ("diff", ["green-line", "geneva"], True)
