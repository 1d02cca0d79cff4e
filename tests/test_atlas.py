"""The atlas: pages, their text, a rendered page, determinism."""

import io

import pytest
from PIL import Image
from pypdf import PdfReader
from test_export import run  # noqa: F401 - the small scheduled plan, a module fixture

from geo import atlas
from geo.metrics import month_label


def test_pages_text_and_png(run, tmp_path):  # noqa: F811
    written = atlas.write_atlas(run, tmp_path / "a.pdf", "abc123", "2027-01-01", png=True)
    pdf, pngs = written[0], written[1:]
    months = atlas.milestones(run)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 1 + len(months) == len(pngs)
    cover = reader.pages[0].extract_text()
    assert "small plan" in cover and "abc123" in cover and "UN OCHA oPt" in cover
    for page, month in zip(reader.pages[1:], months, strict=True):
        text = page.extract_text()
        assert f"{month_label(run.problem.start, month)} - month {month}" in text
        row = run.metrics.set_index("month").loc[month]
        assert f"obstacles removed: {int(row['obstacles_removed'])} of {int(row['obstacles_total'])}" in text
        assert f"troops deployed: {int(row['troops_deployed']):,}" in text
        assert "20 km" in text and "Natural Earth" in text
    img = Image.open(io.BytesIO(pngs[1].read_bytes())).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50


def test_atlas_is_deterministic(run, tmp_path):  # noqa: F811
    a = atlas.write_atlas(run, tmp_path / "a.pdf", "h", "2027-01-01")[0].read_bytes()
    b = atlas.write_atlas(run, tmp_path / "b.pdf", "h", "2027-01-01")[0].read_bytes()
    assert a == b


def test_milestones_are_capped(run):  # noqa: F811
    months = atlas.milestones(run)
    assert months[0] == 0 and months[-1] == run.schedule.makespan
    assert len(months) <= atlas.MAX_PAGES
    assert months == sorted(set(months))


@pytest.mark.parametrize("cap", [3])
def test_thinning_keeps_first_and_last(run, monkeypatch, cap):  # noqa: F811
    monkeypatch.setattr(atlas, "MAX_PAGES", cap)
    months = atlas.milestones(run)
    assert len(months) == cap and months[0] == 0 and months[-1] == run.schedule.makespan
