"""The demo report in a real headless Chromium: title, images, numbering, console, self-containedness."""

from __future__ import annotations

import re
import tomllib

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def report(browser, demo_dir):
    """The demo report loaded in the browser; returns (browser, html text, SEVERE console entries)."""
    browser.open(demo_dir / "report.html")
    return browser, (demo_dir / "report.html").read_text(encoding="utf-8"), browser.severe()


def test_harness_detects_broken_images_and_console_errors(browser, tmp_path):
    """Negative control: the checks used below do fire on a broken page."""
    page = tmp_path / "broken.html"
    page.write_text(
        "<!DOCTYPE html><html><head><title>broken</title></head><body>"
        '<img src="missing.png"><script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    browser.open(page)
    widths = browser.js("return Array.from(document.images).map(i => i.naturalWidth)")
    assert widths == [0]
    messages = " ".join(e["message"] for e in browser.severe())
    assert "boom" in messages


def test_title_is_the_study_title(report, demo_dir):
    b, _, _ = report
    title = tomllib.loads((demo_dir / "study.toml").read_text(encoding="utf-8"))["study"]["title"]
    assert b.driver.title == title
    assert b.js("return document.querySelector('h1').textContent") == title


def test_every_image_loads(report, demo_dir):
    b, _, _ = report
    images = b.js(
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert images, "the report shows no figure"
    assert all(complete and w > 0 and h > 0 for complete, w, h in images), images


def test_figures_and_tables_match_the_files_written(report, demo_dir):
    b, _, _ = report
    pngs = sorted(p.stem for p in (demo_dir / "figures").glob("*.png"))
    svgs = sorted(p.stem for p in (demo_dir / "figures").glob("*.svg"))
    csvs = sorted(f"tables/{p.name}" for p in (demo_dir / "tables").glob("*.csv"))
    assert pngs == svgs
    assert b.js("return document.querySelectorAll('figure img').length") == len(pngs)
    assert b.js("return document.querySelectorAll('div.tablewrap table').length") == len(csvs)

    # every figure names its two files, every table its CSV, each exactly once, numbered 1..n
    captions = b.js("return Array.from(document.querySelectorAll('figcaption')).map(c => c.textContent)")
    named = sorted(re.search(r"figures/(\w+)\.png", c).group(1) for c in captions)
    assert named == pngs
    assert [int(re.match(r"Figure (\d+)\.", c).group(1)) for c in captions] == list(range(1, len(pngs) + 1))
    tcaps = b.js("return Array.from(document.querySelectorAll('p.caption')).map(c => c.textContent)")
    assert sorted(re.search(r"full table: (tables/\S+\.csv)", c).group(1) for c in tcaps) == csvs
    assert [int(re.match(r"Table (\d+)\.", c).group(1)) for c in tcaps] == list(range(1, len(csvs) + 1))


def test_no_severe_console_entries(report):
    _, _, severe = report
    assert severe == []


def test_no_external_resources(report):
    b, html, _ = report
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html, re.IGNORECASE)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    srcs = b.js("return Array.from(document.images).map(i => i.getAttribute('src'))")
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    loaded = b.js("return performance.getEntriesByType('resource').map(r => r.name)")
    assert [u for u in loaded if not u.startswith(("data:", "file:"))] == []
