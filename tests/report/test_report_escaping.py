"""User strings (region names, group labels, title) are escaped in the HTML report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionkit.pipeline.run import run_study

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror="document.title=\'pwned\'">'
GROUP_AMP = "A & B"
GROUP_BOLD = "<b>bold</b>"
TITLE = "Escape <test> & co"

NAMES = {"R1": SCRIPT, "R2": "Beta", "R3": IMG, "R4": "Delta", "R5": "Epsilon"}
GROUPS = {"R1": GROUP_AMP, "R2": GROUP_AMP, "R3": GROUP_BOLD, "R4": GROUP_BOLD, "R5": GROUP_AMP}

STUDY = f"""
groups = ["grp"]

[study]
title = "{TITLE}"
output = "out"

[data]
path = "panel.csv"
layout = "wide"
region_col = "region"
name_col = "name"
group_cols = ["grp"]

[[systems]]
name = "econ"
indicators = {{ x1 = "positive", x2 = "negative" }}

[[systems]]
name = "env"
indicators = {{ y1 = "positive", y2 = "positive" }}

[coupling]
bands = "3"

[[resilience]]
variable = "x1"
windows = [[2001, 2003]]
reference = "mean"

[dispersion]
variables = ["D"]

[report]
figure_formats = ["png"]
dpi = 60
"""


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """Run a tiny study whose names and labels contain HTML; return its output folder."""
    folder = tmp_path_factory.mktemp("escaping")
    rng = np.random.default_rng(7)
    rows = [
        {"region": r, "name": NAMES[r], "grp": GROUPS[r], "year": y,
         **{v: rng.uniform(1, 10) for v in ("x1", "x2", "y1", "y2")}}
        for r in NAMES for y in range(2000, 2006)
    ]
    pd.DataFrame(rows).to_csv(folder / "panel.csv", index=False)
    (folder / "study.toml").write_text(STUDY, encoding="utf-8")
    outcome = run_study(folder / "study.toml")
    assert outcome.output == folder / "out"
    return outcome.output


def test_region_names_and_group_labels_are_escaped(hostile_report):
    html = (hostile_report / "report.html").read_text(encoding="utf-8")
    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=" in html
    assert GROUP_BOLD not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "A &amp; B" in html
    assert "<test>" not in html and "Escape &lt;test&gt; &amp; co" in html
    assert "&amp;lt;" not in html, "a string was escaped twice"


def test_tables_keep_the_raw_strings(hostile_report):
    table = pd.read_csv(hostile_report / "tables" / "region_year.csv")
    assert set(table["name"]) == set(NAMES.values())
    assert set(table["grp"]) == {GROUP_AMP, GROUP_BOLD}


@pytest.mark.browser
def test_no_script_runs_in_the_browser(hostile_report, browser):
    from selenium.common.exceptions import NoAlertPresentException

    browser.open(hostile_report / "report.html")
    with pytest.raises(NoAlertPresentException):
        _ = browser.driver.switch_to.alert.text
    assert browser.driver.title == TITLE
    assert browser.js("return document.querySelectorAll('script').length") == 0
    assert browser.js("return document.querySelectorAll('img[onerror], [onerror]').length") == 0
    assert browser.js(
        "return Array.from(document.querySelectorAll('b')).some(b => b.textContent === 'bold')"
    ) is False
    cells = browser.js("return Array.from(document.querySelectorAll('td, th')).map(c => c.textContent)")
    assert SCRIPT in cells and IMG in cells
    assert any("<b>bold</b>" in c for c in cells) and any("A & B" in c for c in cells)
    assert browser.severe() == []
