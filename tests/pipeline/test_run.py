"""Running a study: outputs, agreement with the library, cache, atomic writes, input errors."""

from __future__ import annotations

import shutil
import tomllib
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import InputError
from regionkit.indices.composite import composite_index
from regionkit.indices.coupling import coupling_coordination
from regionkit.io.datasets import load_munnell
from regionkit.pipeline.config import load_config
from regionkit.pipeline.run import compute_study, run_study

ECONOMY = {"GSP": "positive", "EMP": "positive", "PC": "positive", "UNEMP": "negative"}
INFRASTRUCTURE = {"HWY": "positive", "WATER": "positive", "UTIL": "positive"}
TABLES = {"weights", "region_year", "coupling_class_counts", "coupling_group_means", "resilience_0_GSP",
          "resilience_1_EMP", "agglomeration_regions", "agglomeration_industries", "dispersion_D",
          "dispersion_economy", "dispersion_infrastructure"}
FIGURES = {"weights", "coupling_map", "coupling_groups", "resilience_0_GSP", "resilience_1_EMP",
           "agglomeration_map", "dispersion_D", "dispersion_economy", "dispersion_infrastructure"}


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cached_steps(folder: Path) -> set[str]:
    return {p.name.rsplit("-", 1)[0] for p in (folder / ".cache").glob("*.pkl")}


@pytest.fixture
def demo_copy(demo_dir, tmp_path) -> Path:
    """A private copy of the demo output (with its cache and study.toml) that a test may rerun."""
    out = tmp_path / "out"
    shutil.copytree(demo_dir, out)
    return out


# ----------------------------------------------------------------------------- outputs


def test_tables_and_workbook(demo_dir):
    csvs = {p.stem for p in (demo_dir / "tables").glob("*.csv")}
    assert TABLES <= csvs
    from openpyxl import load_workbook

    wb = load_workbook(demo_dir / "tables" / "results.xlsx", read_only=True)
    try:
        assert set(wb.sheetnames) == {s[:31] for s in csvs}
    finally:
        wb.close()
    sheet = pd.read_excel(demo_dir / "tables" / "results.xlsx", sheet_name="region_year")
    csv = pd.read_csv(demo_dir / "tables" / "region_year.csv")
    assert list(sheet.columns) == list(csv.columns)
    assert sheet.shape == csv.shape == (48 * 17, csv.shape[1])
    for c in ("GSP", "economy", "infrastructure", "C", "T", "D"):
        np.testing.assert_allclose(sheet[c].to_numpy(), csv[c].to_numpy(), rtol=0, atol=1e-12)
    assert (sheet["D_class"] == csv["D_class"]).all()


def test_geopackage_layers(demo_dir):
    import geopandas as gpd
    import pyogrio

    path = demo_dir / "layers" / "results.gpkg"
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert {"region_year", "resilience_0_GSP", "resilience_1_EMP"} <= layers
    layer = gpd.read_file(path, layer="region_year")
    assert len(layer) == 48 * 17
    assert {"C", "T", "D", "D_class", "economy", "infrastructure"} <= set(layer.columns)
    assert layer.crs is not None
    assert layer["region"].nunique() == 48 and layer["year"].nunique() == 17
    assert layer.geometry.notna().all() and layer.geometry.is_valid.all()
    csv = pd.read_csv(demo_dir / "tables" / "region_year.csv")
    both = csv.merge(pd.DataFrame(layer.drop(columns="geometry")), on=["region", "year"], suffixes=("", "_g"))
    assert len(both) == 48 * 17
    for c in ("C", "T", "D"):
        np.testing.assert_allclose(both[f"{c}_g"], both[c], rtol=0, atol=1e-12)


def test_figures_png_and_svg(demo_dir):
    pngs = {p.stem for p in (demo_dir / "figures").glob("*.png")}
    svgs = {p.stem for p in (demo_dir / "figures").glob("*.svg")}
    assert FIGURES <= pngs
    assert any(s.startswith("resilience_0_GSP_map") for s in pngs)  # the resilience maps
    assert any(s.startswith("resilience_1_EMP_map") for s in pngs)
    assert pngs == svgs
    for stem in pngs:
        png = (demo_dir / "figures" / f"{stem}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000
        root = ET.parse(demo_dir / "figures" / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")


def test_report_written(demo_dir):
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    title = tomllib.loads((demo_dir / "study.toml").read_text(encoding="utf-8"))["study"]["title"]
    assert f"<title>{title}</title>" in html
    assert html.count("<figure>") == len(list((demo_dir / "figures").glob("*.png")))
    assert not list(demo_dir.parent.glob(".regionkit-staging-*"))


def test_region_year_equals_library_functions(demo_dir):
    cfg = tomllib.loads((demo_dir / "study.toml").read_text(encoding="utf-8"))
    assert cfg["normalization"] == {"scope": "global", "shift": 0.0001, "shift_mode": "add"}
    assert [(s["name"], s["indicators"], s["weighting"]) for s in cfg["systems"]] == [
        ("economy", ECONOMY, "entropy"), ("infrastructure", INFRASTRUCTURE, "entropy")]
    assert (cfg["coupling"]["form"], cfg["coupling"]["bands"]) == ("standard", "10")

    panel = load_munnell(geometry=False)
    comps = {
        name: composite_index(panel.frame(list(dirs)), dirs, name=name, weighting="entropy", scope="global",
                              weight_scope="pooled", shift=0.0001, shift_mode="add")
        for name, dirs in (("economy", ECONOMY), ("infrastructure", INFRASTRUCTURE))
    }
    scores = pd.concat([c.score for c in comps.values()], axis=1)
    assert float(scores.to_numpy().max()) <= 1.0  # no clipping needed, so none can hide a difference
    cc = coupling_coordination(scores, form="standard", bands="10").table.reset_index()

    got = pd.read_csv(demo_dir / "tables" / "region_year.csv")
    both = got.merge(cc, on=["region", "year"], suffixes=("", "_lib"), validate="one_to_one")
    assert len(both) == 48 * 17
    for c in ("economy", "infrastructure", "C", "T", "D"):
        np.testing.assert_allclose(both[c].to_numpy(), both[f"{c}_lib"].to_numpy(), rtol=0, atol=1e-12)
    assert (both["D_class"] == both["D_class_lib"].astype(str)).all()
    assert (both["lagging"] == both["lagging_lib"].astype(str)).all()

    weights = pd.read_csv(demo_dir / "tables" / "weights.csv")
    for name, comp in comps.items():
        w = weights[weights["system"] == name].set_index("indicator")["weight"]
        expect = comp.weight_vector("all")
        np.testing.assert_allclose(w.loc[expect.index].to_numpy(), expect.to_numpy(), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------- cache


def test_second_run_reuses_the_cache_with_identical_outputs(demo_dir, demo_copy):
    outcome = run_study(demo_copy / "study.toml", output=demo_copy)
    steps = _cached_steps(demo_dir)
    assert {"composite_economy", "composite_infrastructure", "coupling"} <= steps
    assert set(outcome.cache_hits) == steps
    assert outcome.cache_misses == []
    before, after = _snapshot(demo_dir), _snapshot(demo_copy)
    assert set(before) == set(after)
    assert {p.relative_to(demo_copy).as_posix() for p in outcome.files} == {
        k for k in after if not k.startswith(".cache/") and k != "study.toml"}
    changed = [k for k in before if before[k] != after[k]]
    assert not [k for k in changed if k.endswith((".csv", ".png", ".svg"))], changed


def test_changing_a_direction_invalidates_exactly_the_affected_steps(demo_dir, demo_copy):
    toml = demo_copy / "study.toml"
    text = toml.read_text(encoding="utf-8")
    assert text.count('UNEMP = "negative"') == 1
    toml.write_text(text.replace('UNEMP = "negative"', 'UNEMP = "positive"'), encoding="utf-8")
    config, base = load_config(toml)
    results, cache = compute_study(config, base, cache_dir=demo_copy / ".cache", config_path=toml)
    # the spatial step analyses D, so it depends on the coupling too
    affected = {"composite_economy", "coupling", "spatial"}
    assert set(cache.misses) == affected
    assert set(cache.hits) == _cached_steps(demo_dir) - affected
    old = pd.read_csv(demo_dir / "tables" / "region_year.csv").set_index(["region", "year"])
    new = results.region_year_table().set_index(["region", "year"]).loc[old.index]
    assert not np.allclose(old["economy"], new["economy"])
    np.testing.assert_allclose(old["infrastructure"], new["infrastructure"], rtol=0, atol=1e-12)
    assert results.composites["economy"].weights.set_index("indicator").loc["UNEMP", "direction"] == "positive"
    # the recomputed step replaced its stale cache entry; a rerun now hits everything
    _, again = compute_study(config, base, cache_dir=demo_copy / ".cache", config_path=toml)
    assert again.misses == [] and set(again.hits) == _cached_steps(demo_dir)


# ----------------------------------------------------------------------------- atomicity


def test_failed_run_leaves_earlier_outputs_untouched(demo_copy, monkeypatch):
    import regionkit.report.figures as figures

    before = _snapshot(demo_copy)
    staged: list[str] = []

    def fail(*args, **kwargs):
        # fail midway: some tables and figures are already written to the staging folder
        staged.extend(p.name for p in demo_copy.parent.glob(".regionkit-staging-*/**/*") if p.is_file())
        raise RuntimeError("figure failed")

    monkeypatch.setattr(figures, "class_maps", fail)
    with pytest.raises(RuntimeError, match="figure failed"):
        run_study(demo_copy / "study.toml", output=demo_copy)
    assert {"region_year.csv", "weights.png", "weights.svg"} <= set(staged)
    assert _snapshot(demo_copy) == before
    assert not list(demo_copy.parent.glob(".regionkit-staging-*"))
    assert not list(demo_copy.glob(".regionkit-staging-*"))


def test_failed_first_run_writes_no_outputs(tmp_path, monkeypatch):
    import regionkit.report.writers as writers

    folder = _small_study(tmp_path)

    def fail(results, staging):
        (Path(staging) / "report.html").write_text("partial", encoding="utf-8")
        raise OSError("disk full")

    monkeypatch.setattr(writers, "write_all", fail)
    with pytest.raises(OSError, match="disk full"):
        run_study(folder / "study.toml")
    out = folder / "out"
    assert not (out / "report.html").exists() and not (out / "tables").exists()
    assert not list(folder.glob(".regionkit-staging-*"))


# ----------------------------------------------------------------------------- bad inputs

STUDY = """
[study]
title = "small"
output = "out"

[data]
path = "panel.csv"
{geometry}
[[systems]]
name = "econ"
indicators = {{ x1 = "positive", x2 = "negative" }}

[[systems]]
name = "env"
indicators = {{ y1 = "positive" }}

[coupling]

[report]
figure_formats = ["png"]
dpi = 50
"""

REGIONS = ["R1", "R2", "R3", "R4"]
YEARS = list(range(2000, 2005))


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame([{"region": r, "year": y, "x1": rng.uniform(1, 9), "x2": rng.uniform(1, 9),
                          "y1": rng.uniform(1, 9)} for r in REGIONS for y in YEARS])


def _small_study(folder: Path, frame: pd.DataFrame | None = None, geometry: str = "") -> Path:
    (frame if frame is not None else _frame()).to_csv(folder / "panel.csv", index=False)
    (folder / "study.toml").write_text(STUDY.format(geometry=geometry), encoding="utf-8")
    return folder


def _geometry(folder: Path, name: str, *, id_col: str = "code", crs: str | None = "EPSG:4326") -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({id_col: REGIONS}, geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs=crs)
    path = folder / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided" when crs is None
        gdf.to_file(path)
    return path


def _run_fails(folder: Path) -> str:
    with pytest.raises(InputError) as info:
        run_study(folder / "study.toml")
    assert not (folder / "out" / "report.html").exists()
    return str(info.value)


def test_small_study_runs(tmp_path):
    geo = _geometry(tmp_path, "regions.gpkg")
    folder = _small_study(tmp_path, geometry=f'geometry = {{ path = "{geo.name}", id_col = "code" }}')
    outcome = run_study(folder / "study.toml")
    assert (outcome.output / "report.html").is_file()
    assert (outcome.output / "layers" / "results.gpkg").is_file()


def test_non_numeric_cell(tmp_path):
    frame = _frame().astype({"x2": object})
    frame.loc[(frame["region"] == "R3") & (frame["year"] == 2002), "x2"] = "twelve"
    msg = _run_fails(_small_study(tmp_path, frame))
    for part in ("panel.csv", "'x2'", "'R3'", "2002", "non-numeric 'twelve'"):
        assert part in msg, msg


def test_empty_cell(tmp_path):
    frame = _frame()
    frame.loc[(frame["region"] == "R1") & (frame["year"] == 2004), "y1"] = np.nan
    msg = _run_fails(_small_study(tmp_path, frame))
    for part in ("panel.csv", "'y1'", "'R1'", "2004", "missing value"):
        assert part in msg, msg


def test_duplicated_region_year(tmp_path):
    frame = _frame()
    frame = pd.concat([frame, frame[(frame["region"] == "R2") & (frame["year"] == 2001)]])
    msg = _run_fails(_small_study(tmp_path, frame))
    for part in ("panel.csv", "'R2'", "2001", "more than once"):
        assert part in msg, msg


def test_missing_region_year(tmp_path):
    frame = _frame()
    frame = frame[~((frame["region"] == "R4") & (frame["year"] == 2003))]
    msg = _run_fails(_small_study(tmp_path, frame))
    for part in ("panel.csv", "'R4' 2003", "missing region-year"):
        assert part in msg, msg


def test_missing_data_file(tmp_path):
    folder = _small_study(tmp_path)
    (folder / "panel.csv").unlink()
    msg = _run_fails(folder)
    assert "panel.csv" in msg and "file not found" in msg


def test_geometry_without_the_id_column(tmp_path):
    geo = _geometry(tmp_path, "regions.gpkg")
    folder = _small_study(tmp_path, geometry=f'geometry = {{ path = "{geo.name}", id_col = "region_id" }}')
    msg = _run_fails(folder)
    for part in ("regions.gpkg", "'region_id'", "code"):
        assert part in msg, msg


def test_geometry_without_crs(tmp_path):
    geo = _geometry(tmp_path, "regions.shp", crs=None)
    folder = _small_study(tmp_path, geometry=f'geometry = {{ path = "{geo.name}", id_col = "code" }}')
    msg = _run_fails(folder)
    assert "regions.shp" in msg and "no CRS" in msg and "crs_if_missing" in msg


def test_geometry_ids_that_match_nothing(tmp_path):
    import geopandas as gpd

    geo = _geometry(tmp_path, "regions.gpkg")
    gdf = gpd.read_file(geo)
    gdf["code"] = ["X1", "X2", "X3", "X4"]
    gdf.to_file(geo)
    folder = _small_study(tmp_path, geometry=f'geometry = {{ path = "{geo.name}", id_col = "code" }}')
    msg = _run_fails(folder)
    assert "regions.gpkg" in msg and "match" in msg
