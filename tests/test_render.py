import math
import re

import pytest
from shapely.geometry import Point

from geo import render
from geo.errors import LayerError

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(1)</script>",
    "${alert(1)}",
    "`backtick`",
    "C:\\plans\\zone",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escape_text_leaves_no_active_characters(payload):
    out = render.escape_text(payload)
    assert not set(out) & set("<>`$\\\"'")


def test_escape_frame_escapes_text_and_rejects_non_finite(shipped):
    z = shipped["zones"].copy()
    z.loc[0, "name"] = PAYLOADS[0]
    safe = render.escape_frame(z)
    assert safe.loc[0, "name"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert safe.loc[1, "name"] == z.loc[1, "name"]
    c = shipped["crossings"].copy()
    c.loc[0, "geometry"] = Point(math.nan, 31.5)
    with pytest.raises(LayerError, match="NaN or infinite"):
        render.escape_frame(c)


def test_overview_is_self_contained_and_inert(shipped, tmp_path):
    data = dict(shipped)
    z = shipped["zones"].copy()
    for k, p in enumerate(PAYLOADS):
        z.loc[k, "name"] = p
    data["zones"] = z
    out = render.write_overview(data, tmp_path / "m.html")
    html = out.read_text(encoding="utf-8")
    for p in PAYLOADS:
        assert p not in html
    # no script or stylesheet is fetched from anywhere
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=\"https?:", html)
    assert "L.map(" in html or "L.map (" in html


def test_overview_carries_the_attribution(shipped):
    html = render.overview_map(shipped).get_root().render()
    assert "UN OCHA oPt" in html
    assert "Natural Earth" in html
