"""The ecology report (Rocky Mountain NP demo at 300 m) in headless Chromium: figures load, no console errors."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def eco_report(browser, eco_run):
    path = eco_run.output / "report.html"
    browser.open(path)
    return browser, path.read_text(encoding="utf-8"), browser.severe()


def test_every_ecology_figure_loads(eco_report, eco_run):
    b, _, _ = eco_report
    images = b.js("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    pngs = list((eco_run.output / "figures").glob("*.png"))
    assert len(images) == len(pngs) >= 6
    assert all(complete and w > 0 and h > 0 for complete, w, h in images), images


def test_ecology_report_is_self_contained_and_clean(eco_report):
    b, html, severe = eco_report
    assert severe == []
    assert "<script" not in html.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    heads = b.js("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert "Ecological security pattern" in heads


def test_ecology_report_screenshot(eco_report, tmp_path):
    b, _, _ = eco_report
    shot = tmp_path / "page.png"
    assert b.driver.save_screenshot(str(shot))
    from PIL import Image

    with Image.open(shot) as img:
        w, h = img.size
        colours = img.convert("RGB").resize((64, 64)).getcolors(64 * 64)
    assert w > 300 and h > 300
    assert colours is not None and len(colours) > 20  # a rendered page, not a blank one
