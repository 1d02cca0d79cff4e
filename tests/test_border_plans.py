"""Plans inside a border: annexed land leaves the zones, swapped land joins as zones, and the counts follow."""

from pathlib import Path

import pytest

from geo import border, cli, layers
from geo.border.apply import SWAP_ZONE_PREFIX
from geo.border.compute import _km2
from geo.crs import area_km2

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ly():
    return layers.load_all(ROOT)


@pytest.fixture(scope="module")
def olmert(ly):
    result = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "olmert.yaml"), ly)
    return result, border.apply_border(ly, result)


def test_the_1967_line_leaves_the_planning_layers_as_they_are(ly):
    result = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "green-line.yaml"), ly)
    out = border.apply_border(ly, result)
    cols = ["zone_id", "area_km2", "population", "population_2017", "settlers", "israelis_ej"]
    assert out["zones"][cols].equals(ly["zones"][cols])
    assert len(out["localities"]) == len(ly["localities"]) and len(out["obstacles"]) == len(ly["obstacles"])


def test_annexed_land_leaves_the_zones_and_swapped_land_joins_them(ly, olmert):
    result, out = olmert
    before, after = ly["zones"], out["zones"]
    swap = after[after["zone_id"].str.startswith(SWAP_ZONE_PREFIX)]
    kept = after[~after["zone_id"].str.startswith(SWAP_ZONE_PREFIX)]
    # area: what the zones lost is the annexed land, what they gained the swapped land (0.1 % for rounding)
    lost = float(area_km2(before).sum() - area_km2(kept).sum())
    assert lost == pytest.approx(_km2(result.annexed), rel=1e-3)
    assert float(area_km2(swap).sum()) == pytest.approx(_km2(result.swapped), rel=1e-3)
    assert len(swap) >= 2 and set(swap["territory"]) == {"west_bank", "gaza"}  # Gaza's swap lies beside Gaza
    # people: the zones lose exactly the annexed Palestinians and settlers
    assert before["population"].sum() - after["population"].sum() == result.figures["palestinians_annexed"]
    assert before["settlers"].sum() - after["settlers"].sum() == result.figures["settlers_annexed"]
    assert (swap[["population", "settlers", "israelis_ej"]] == 0).all().all()
    annexed_ids = set(ly["localities"]["locality_id"]) - set(out["localities"]["locality_id"])
    assert annexed_ids and not annexed_ids & set(out["localities"]["locality_id"])


def test_a_plan_inside_a_border_is_validated_on_the_cut_zones(tmp_path, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    capsys.readouterr()
    text = (ROOT / "plans" / "geneva-timeline.yaml").read_text(encoding="utf-8")
    (ws / "plans" / "mine.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["--workspace", str(ws), "plan", "validate", "mine"]) == 0
    out = capsys.readouterr().out
    assert "inside the border 'Geneva-like (2003)'" in out
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("border:"))
    (ws / "plans" / "mine.yaml").write_text(text.replace("border: geneva", "border: genva"), encoding="utf-8")
    assert cli.main(["--workspace", str(ws), "plan", "validate", "mine"]) == 65
    err = capsys.readouterr().err
    assert f"mine.yaml:{line}:9: no border scenario 'genva'" in err and "geneva" in err
    (ws / "plans" / "borders" / "geneva.yaml").write_text("name: g\nannex: {blocs: [Nowhere]}\n", encoding="utf-8")
    (ws / "plans" / "mine.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["--workspace", str(ws), "plan", "validate", "mine"]) == 65
    assert "geneva.yaml:2:17: unknown bloc 'Nowhere'" in capsys.readouterr().err


def test_inside_a_border_east_jerusalems_neighbourhoods_take_the_borders_side(ly):
    result = border.compute(border.load_scenario(ROOT / "plans" / "borders" / "geneva.yaml"), ly)
    jer = border.apply_border(ly, result)["jerusalem"].set_index("feature_id")["clinton_rule"]
    assert jer["nbhd-har-homa"] == "PS"  # left to Palestine by the Geneva map, Israeli by the Clinton rule
    assert jer["nbhd-gilo"] == "IL"


def test_a_plan_naming_a_zone_the_border_drops_is_told_so_at_its_line(tmp_path, capsys):
    ws = tmp_path / "ws"
    cli.main(["init", str(ws)])
    capsys.readouterr()
    (ws / "plans" / "borders" / "wide.yaml").write_text(
        "name: wide\nannex: {settlements: [Hebron], buffer_m: 2000}\n", encoding="utf-8"
    )  # a disc of 2 km around the Hebron enclave covers all of H2
    text = (
        'extends: defaults.yaml\nmeta: {name: x, start: "2027-01"}\nzones: {use: [hebron-a, hebron-h2]}\nborder: wide\n'
    )
    (ws / "plans" / "mine.yaml").write_text(text, encoding="utf-8")
    assert cli.main(["--workspace", str(ws), "plan", "validate", "mine"]) == 65
    err = capsys.readouterr().err
    assert "mine.yaml:3:25: zone 'hebron-h2' lies wholly in land the border 'wide' annexes" in err
    assert "remove it from the plan" in err
