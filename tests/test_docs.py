"""The user guide (MkDocs, ``docs/``): generated pages up to date, links resolve, it builds, methods cite.

* ``docs/config-reference.md`` must equal what ``docs/gen_config_reference.py`` generates from the
  pydantic models now, and mention every key of every table;
* every page of the ``mkdocs.yml`` nav exists and every relative link and image of ``docs/`` resolves;
* ``mkdocs build --strict`` passes (skipped when mkdocs is not installed);
* every method page cites the literature and names implementing functions that exist;
* the tutorial pages come from ``docs/gen_tutorials.py`` (its report parser is checked offline).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"


def _load(name: str):
    qualified = f"_regionkit_docs_{name}"
    spec = importlib.util.spec_from_file_location(qualified, DOCS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_config():
    return _load("gen_config_reference")


@pytest.fixture(scope="module")
def gen_tutorials():
    return _load("gen_tutorials")


def _nav_pages() -> list[str]:
    """The .md files named in the nav of mkdocs.yml (read without a YAML parser)."""
    text = MKDOCS_YML.read_text(encoding="utf-8")
    nav = text.split("\nnav:", 1)[1]
    return re.findall(r"^\s*-\s*(?:[^:\n]+:\s*)?([\w./-]+\.md)\s*$", nav, flags=re.MULTILINE)


def _sections(text: str) -> dict[str, str]:
    """Markdown text of every '## ' section, by heading (without any {#id})."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {re.sub(r"\s*\{#[^}]*\}\s*$", "", h).strip(): body for h, body in zip(parts[1::2], parts[2::2], strict=True)}


# ------------------------------------------------------------------------------------ (a) config reference
def test_config_reference_is_up_to_date(gen_config):
    committed = (DOCS / "config-reference.md").read_text(encoding="utf-8")
    assert committed == gen_config.render(), (
        "docs/config-reference.md is out of date with src/regionkit/pipeline/config.py: "
        "run `python docs/gen_config_reference.py` and commit the page")


def test_config_reference_lists_every_key_of_every_table(gen_config):
    from regionkit.pipeline.config import StudyConfig

    sections = _sections((DOCS / "config-reference.md").read_text(encoding="utf-8"))
    tables = [("Top-level keys", StudyConfig)]
    tables += [(f"`[[{t.path}]]`" if t.array else f"`[{t.path}]`", t.model) for t in gen_config.collect_tables()]
    assert len(tables) == len(gen_config.section_models())
    missing = []
    for heading, model in tables:
        body = sections.get(heading)
        if body is None:
            missing.append(f"section {heading}")
            continue
        missing += [f"{heading}: `{key}`" for key in model.model_fields if f"| `{key}` |" not in body]
    assert not missing, f"keys absent from docs/config-reference.md: {missing}"


# ------------------------------------------------------------------------------------ (b) nav and links
def test_every_nav_page_exists_and_every_page_is_in_the_nav():
    nav = _nav_pages()
    assert "index.md" in nav and len(nav) == len(set(nav))
    assert [p for p in nav if not (DOCS / p).is_file()] == []
    pages = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md"))
    assert sorted(nav) == pages, "every Markdown page of docs/ must be in the mkdocs.yml nav (and only those)"


_FENCE = re.compile(r"^```.*?^```", flags=re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(([^)\s]+)\)")


def test_relative_links_and_images_resolve():
    broken = []
    for page in sorted(DOCS.rglob("*.md")):
        text = _FENCE.sub("", page.read_text(encoding="utf-8"))
        for target in _LINK.findall(text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(DOCS)} -> {target}")
    assert not broken, f"broken relative links: {broken}"


# ------------------------------------------------------------------------------------ (c) the build
def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install mkdocs==1.6.1) — the strict "
                        "build of the user guide is not checked")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(MKDOCS_YML),
                           "-d", str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "methods" / "coupling" / "index.html").is_file()
    assert not list((tmp_path / "site").rglob("gen_*.py")), "the generators must not be published"


# ------------------------------------------------------------------------------------ (d) method pages
def _method_pages() -> list[Path]:
    return sorted(p for p in (DOCS / "methods").glob("*.md") if p.name != "index.md")


@pytest.mark.parametrize("page", _method_pages(), ids=lambda p: p.stem)
def test_method_page_cites_and_names_functions_that_exist(page):
    sections = _sections(page.read_text(encoding="utf-8"))
    assert "References" in sections, f"{page.name}: no '## References' section"
    refs = [ln for ln in sections["References"].splitlines() if ln.startswith("- ")]
    assert any(re.search(r"\((?:19|20)\d\d\)", ln) for ln in refs), f"{page.name}: no citation with a year"
    assert "Implemented by" in sections, f"{page.name}: no '## Implemented by' section"
    names = re.findall(r"`(regionkit(?:\.\w+)+)`", sections["Implemented by"])
    assert names, f"{page.name}: no implementing function named"
    absent = []
    for dotted in names:
        module, _, attr = dotted.rpartition(".")
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            absent.append(f"{dotted} ({exc})")
            continue
        assert callable(obj), dotted
    assert not absent, f"{page.name} names functions that do not exist: {absent}"


def test_methods_index_lists_every_method_page():
    index = (DOCS / "methods" / "index.md").read_text(encoding="utf-8")
    assert [p.name for p in _method_pages() if f"]({p.name})" not in index] == []


# ------------------------------------------------------------------------------------ tutorials
def test_tutorial_pages_come_from_the_generator(gen_tutorials):
    for name in gen_tutorials.TEMPLATES:
        page = DOCS / "tutorials" / f"{name}.md"
        assert page.is_file(), page
        assert gen_tutorials.MARKER in page.read_text(encoding="utf-8"), f"{page} was not written by gen_tutorials.py"


def test_tutorials_show_the_current_templates(gen_tutorials):
    """A tutorial goes stale when its template changes: its TOML block must be the shipped file."""
    from importlib import resources

    from regionkit.cli import TEMPLATES

    for name in gen_tutorials.TEMPLATES:
        page = (DOCS / "tutorials" / f"{name}.md").read_text(encoding="utf-8")
        shipped = resources.files("regionkit.data").joinpath(TEMPLATES[name]).read_text(encoding="utf-8")
        block = page.split("```toml\n", 1)[1].split("\n```", 1)[0]
        assert block.strip() == shipped.strip(), (
            f"docs/tutorials/{name}.md shows an older template: run `python docs/gen_tutorials.py --only {name}`")


REPORT = """<!DOCTYPE html><html><body>
<h1>A &amp; B study</h1>
<p class="small">Run 2024 with regionkit 0.1.0; 1 figure and 1 table.</p>
<nav><ol><li><a href="#data">Data</a></li><li><a href="#results">Results</a><ol><li>x</li></ol></li></ol></nav>
<h2 id="data">Data</h2>
<p>A panel of 2 regions.</p>
<h2 id="methods">Methods</h2>
<p>The choices below.</p>
<ul><li>Entropy weights.</li><li>D = √(C·T).</li></ul>
<div id="results">
<h2 id="results-1">Coupling coordination</h2>
<p class="caption"><b>Table 1.</b> Classes per year. <span class="small">(full table: tables/t.csv)</span></p>
<div class="tablewrap"><table class="data"><thead><tr><th>year</th><th>low</th></tr></thead>
<tbody><tr><td>2000</td><td>1</td></tr><tr><td>2001</td><td>–</td></tr></tbody></table></div>
<figure><img src="data:image/png;base64,iVBORw0KGgo=" alt="Figure 1">
<figcaption><b>Figure 1.</b> A map of D. <span class="small">(figures/m.png, figures/m.svg)</span></figcaption></figure>
</div>
<h2 id="warnings">Warnings raised during the run</h2><ul><li class="warn">careful</li></ul>
<h2 id="provenance">Software and provenance</h2>
<table class="data prov"><tr><th>software</th><th>version</th></tr><tr><td>regionkit</td><td>0.1.0</td></tr></table>
<table class="data prov"><tr><th>input file</th><th>SHA-256</th></tr><tr><td>study.toml</td><td>abc</td></tr></table>
</body></html>"""


def test_report_parser_reads_every_part(gen_tutorials, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(REPORT, encoding="utf-8")
    r = gen_tutorials.read_report(path)
    assert r.title == "A & B study"
    assert r.data == ["A panel of 2 regions."]
    assert r.methods == ["Entropy weights.", "D = √(C·T)."]
    assert r.warnings == ["careful"]
    assert r.versions == [("regionkit", "0.1.0")]
    (section, items), = r.sections
    assert section == "Coupling coordination"
    table, figure = items
    assert (table.kind, table.number, table.caption, table.files) == ("table", 1, "Classes per year.", ["tables/t.csv"])
    assert table.header == [["year", "low"]] and table.rows == [["2000", "1"], ["2001", "–"]]
    assert (figure.kind, figure.number, figure.caption) == ("figure", 1, "A map of D.")
    assert figure.files == ["figures/m.png", "figures/m.svg"] and figure.data_uri.startswith("data:image/png")
    md = gen_tutorials.markdown_table(table.header, table.rows, total=5)
    assert md.splitlines()[:4] == ["| year | low |", "| --- | --- |", "| 2000 | 1 |", "| 2001 | – |"]
    assert "the file has 5 rows" in md
