"""Template reports in headless Chromium: no console errors, every image loads, a screenshot of the top.

Parametrised over report folders: add a template name to ``TEMPLATES`` (or a fixture
returning any report folder to ``report_dir``'s params) to check another report.
"""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser

TEMPLATES = ["coupling", "ecological-economic", "population-resilience"]
WIDTH, HEIGHT = 1200, 900


@pytest.fixture(params=TEMPLATES)
def report_dir(request, template_run) -> Path:
    """The output folder of one template run (see ``template_run`` in tests/conftest.py)."""
    return template_run(request.param).output


@pytest.fixture
def page(browser, report_dir):
    """The report loaded in Chromium at a fixed CSS viewport (device scale 1); the override is undone after."""
    browser.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": False})
    try:
        browser.open(report_dir / "report.html")
        browser.js("window.scrollTo(0, 0)")
        yield browser
    finally:
        browser.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_no_severe_console_entries_and_self_contained(page, report_dir):
    assert page.severe() == []
    assert page.js("return document.querySelectorAll('script, link, iframe').length") == 0
    loaded = page.js("return performance.getEntriesByType('resource').map(r => r.name)")
    assert [u for u in loaded if not u.startswith(("data:", "file:"))] == []


def test_every_image_loads(page, report_dir):
    images = page.js("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    pngs = list((report_dir / "figures").glob("*.png"))
    assert len(images) == len(pngs) > 0
    assert all(complete and w > 0 and h > 0 for complete, w, h in images), images


def test_sections_read_like_a_paper(page):
    heads = page.js("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
    assert heads[:2] == ["Data", "Methods"]
    assert heads[-2:] == ["Warnings raised during the run", "Software and provenance"]
    assert len(heads) > 4  # result sections between Methods and the warnings
    # the contents list links every h2 that has an id, in order
    links = page.js("return Array.from(document.querySelectorAll('nav.toc a')).map(a => a.getAttribute('href'))")
    ids = page.js("return Array.from(document.querySelectorAll('h2[id]')).map(h => '#' + h.id)")
    assert [x for x in links if x != "#results"] == ids


def test_screenshot_of_the_top_of_the_report(page, report_dir, tmp_path):
    from PIL import Image

    title = tomllib.loads((report_dir.parent / "study.toml").read_text(encoding="utf-8"))["study"]["title"]
    png = page.driver.get_screenshot_as_png()
    shot = tmp_path / f"{report_dir.parent.name}-top.png"
    shot.write_bytes(png)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as img:
        img.verify()
    with Image.open(shot) as img:
        assert img.format == "PNG" and img.size == (WIDTH, HEIGHT)
        pixels = np.asarray(img.convert("L"), dtype=float)
    assert pixels.std() > 20, "the screenshot looks blank"

    # the title region: the h1 is the study title, at the top, and dark text is drawn where it is
    assert page.driver.title == title
    h1 = page.js("const r = document.querySelector('h1').getBoundingClientRect();"
                 "return [r.left, r.top, r.right, r.bottom, document.querySelector('h1').textContent]")
    left, top, right, bottom, text = h1
    assert text == title
    assert 0 <= top < bottom < HEIGHT / 3 and 0 <= left < right <= WIDTH
    band = pixels[int(top):int(bottom), int(left):int(right)]
    assert (band < 100).mean() > 0.02, "no dark title text where the h1 is"
    margin = pixels[int(top):int(bottom), : max(int(left) - 5, 1)]
    assert margin.min() > 240, "the left margin beside the title is not blank"
    run_line = page.js("return document.querySelector('p.run').textContent")
    assert run_line.startswith("Run ") and "regionkit" in run_line
    first_h2 = page.js("return document.querySelector('h2').getBoundingClientRect().top")
    assert first_h2 < HEIGHT, "the Data section starts on the first screen"
