"""The phase map's HTML: one escape path, self-contained, deterministic."""

import json
import re
from pathlib import Path

import pytest

from geo import layers, metrics, plan, schedule
from geo.output import phase_map

ROOT = Path(__file__).resolve().parent.parent

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    "`backtick`",
    "C:\\plans\\zone",
]

SMALL_PLAN = """\
extends: defaults.yaml
meta:
  name: "{name}"
  start: "2027-01"
zones:
  use: [jenin-a, jenin-c, old-city, gaza-city]
crossings:
  - {{id: allenby, serves: [all], duration: 2}}
"""


def small_inputs(tmp_path: Path, name: str = "small plan", zone_names: list[str] | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "defaults.yaml").write_text((ROOT / "plans" / "defaults.yaml").read_text(), encoding="utf-8")
    p = tmp_path / "small.yaml"
    p.write_text(SMALL_PLAN.format(name=name.replace("\\", "\\\\").replace('"', '\\"')), encoding="utf-8")
    ly = layers.load_all(ROOT)
    if zone_names:
        z = ly["zones"].copy()
        z["name"] = z["name"].astype(object)
        for zid, n in zip(["jenin-a", "jenin-c", "old-city", "gaza-city"], zone_names, strict=False):
            z.loc[z["zone_id"] == zid, "name"] = n
        ly = {**ly, "zones": z}
        s = ly["settlements"].copy()
        s["name"] = s["name"].astype(object)
        s.loc[s.index[0], "name"] = zone_names[0]
        ly["settlements"] = s
    lp = plan.load(p)
    problem = plan.compile_plan(lp, ly["zones"], set(ly["crossings"]["crossing_id"]))
    sched = schedule.solve(problem, 0.5)
    table = metrics.monthly_metrics(problem, sched, ly["zones"], ly["obstacles"])
    return phase_map.MapInputs(ly, problem, sched, table, lp.plan.meta.name, "0123456789ab", "2027-01-01")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_characters(payload):
    out = phase_map.escape_text(payload)
    assert not set(out) & set("<>`$\\\"'")


def test_payload_json_cannot_close_its_script_element():
    data = {"names": PAYLOADS, "n": [1, None]}
    text = phase_map.payload_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == data
    with pytest.raises(ValueError, match="JSON compliant"):
        phase_map.payload_json({"x": float("nan")})


def test_payload_carries_state_as_step_months_not_copies(tmp_path):
    inp = small_inputs(tmp_path)
    data = phase_map.build_payload(inp)
    z = data["zones"]
    assert z["id"] == ["jenin-a", "jenin-c", "old-city", "gaza-city"]
    assert len(z["sec"]) == 4 and all(len(x) == 2 for x in z["sec"])
    assert all(len(x) == 4 for x in z["mov"])
    assert z["sec"][0][0] == inp.schedule.end["jenin-a/security/international"]
    assert len(data["metrics"]["rows"]) == inp.problem.horizon + 1
    assert len(data["months"]) == inp.problem.horizon + 1
    assert (
        data["crossings"]["open"][
            data["crossings"]["props"].index(
                next(p for p in data["crossings"]["props"] if p[0] == "Allenby / King Hussein Bridge")
            )
        ]
        is not None
    )


def test_html_is_self_contained_deterministic_and_inert(tmp_path):
    inp = small_inputs(tmp_path, name=PAYLOADS[1], zone_names=PAYLOADS)
    a = phase_map.write_phase_map(inp, tmp_path / "a.html").read_text(encoding="utf-8")
    b = phase_map.write_phase_map(inp, tmp_path / "b.html").read_text(encoding="utf-8")
    assert a == b
    assert not re.search(r"<script[^>]+src=", a)
    assert not re.search(r"<link[^>]+href=\"https?:", a)
    data = re.search(r'<script type="application/json" id="landplan-data">(.*?)</script>', a, re.S)
    assert data is not None
    assert json.loads(data.group(1))["meta"]["plan"] == PAYLOADS[1]  # the payload holds the text as data...
    rest = a.replace(data.group(0), "")
    for p in PAYLOADS:
        assert p not in rest  # ...and nothing else on the page does
    assert a.count("</script>") == a.count("<script")
    assert "0123456789ab" in a  # the digest travels in the payload


def test_cdn_option_links_leaflet_with_integrity(tmp_path):
    html = phase_map.phase_map(small_inputs(tmp_path), cdn=True).get_root().render()
    assert re.search(
        r'<script src="https://cdn\.jsdelivr\.net/npm/leaflet@1\.9\.3/dist/leaflet\.js" '
        r'integrity="sha384-[A-Za-z0-9+/=]{64}" crossorigin="anonymous">',
        html,
    )


def test_build_date_honours_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    assert phase_map.build_date() == "2027-01-15"


def test_digest_changes_with_any_input(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("x")
    b.write_text("y")
    d1 = phase_map.digest([a, b])
    b.write_text("z")
    assert phase_map.digest([a, b]) != d1
    assert len(d1) == 12
