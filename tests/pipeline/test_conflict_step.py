"""The [conflicts] step end to end on a small synthetic study written here.

The study area is a 6 × 6 km square of 100 m cells in EPSG:32633 with three
forest patches (the ecological sources, graded by dPC), open land, a built-up
block and a lake; corridors link the forests.  Firms of four industries form
Neyman–Scott clusters: industries 111/112 around two parents near the centre,
121/122 around two parents on the northern forests, so the production pattern
overlaps the sources.  Two county polygons split the square in halves.

Key numbers of the pipeline are recomputed by calling the functions of
:mod:`regionkit.ecology.conflicts` (and the kernel density) directly on the
pipeline's own ecology layers, so the wiring is checked, not only that files
appear.
"""

from __future__ import annotations

import time
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import box

from regionkit.errors import ConfigError
from regionkit.pipeline.config import parse_config
from regionkit.pipeline.run import compute_study, run_study, validate_study

X0, Y0, CELL, N = 500_000.0, 5_000_000.0, 100.0, 60
CRS = "EPSG:32633"

STUDY = """
[study]
title = "Synthetic ecological-economic conflicts"

[ecology.inputs]
lulc = "lulc.tif"

[ecology.lulc_classes]
1 = "forest"
2 = "open land"
3 = "built-up"
4 = "water"

[ecology.services]
models = ["carbon"]
grades = 3
carbon_pools = [
  { lucode = 1, c_above = 80, c_below = 20, c_soil = 100, c_dead = 10 },
  { lucode = 2, c_above = 5, c_below = 8, c_soil = 60, c_dead = 2 },
  { lucode = 3, c_above = 0, c_below = 0, c_soil = 10, c_dead = 0 },
  { lucode = 4, c_above = 0, c_below = 0, c_soil = 0, c_dead = 0 },
]

[ecology.sources]
min_area_km2 = 0.5

[ecology.connectivity]
thresholds_m = [500, 1000, 2000]
threshold_m = 1000
grades = 3

[[ecology.resistance.factors]]
name = "landcover"
layer = "lulc"
classes = { 1 = 1, 2 = 10, 3 = 100, 4 = 50 }

[coagglomeration]
firms = "firms.csv"
lon_col = "x"
lat_col = "y"
crs = "EPSG:32633"
industry_cols = {sic2 = "SIC2", sic3 = "SIC3"}
level = "sic3"
group_level = "sic2"
min_firms = 10
draws = 9
seed = 3
core = {n = 2}
density = {cell_km = 0.5, bandwidth = 1.0}

[conflicts]
corridor_buffer_m = 100.0
units = {path = "units.gpkg", id_col = "county", name_col = "name"}
top = 5

[report]
figure_formats = ["png"]
dpi = 50
"""


def write_inputs(d: Path) -> None:
    """Land use GeoTIFF, firm CSV and county GeoPackage of the module notes."""
    t = Affine(CELL, 0, X0, 0, -CELL, Y0 + N * CELL)
    lulc = np.full((N, N), 2, dtype=np.int16)
    lulc[5:20, 5:20] = 1    # forest, north-west
    lulc[40:55, 5:18] = 1   # forest, south-west
    lulc[8:22, 40:56] = 1   # forest, north-east
    lulc[25:35, 25:35] = 3  # built-up block
    lulc[45:50, 35:58] = 4  # lake
    with rasterio.open(d / "lulc.tif", "w", driver="GTiff", height=N, width=N, count=1, dtype="int16", crs=CRS,
                       transform=t, nodata=-1) as dst:
        dst.write(lulc, 1)
    rng = np.random.default_rng(5)
    parents = {"A": np.array([[2.5, 3.0], [3.2, 2.0]]), "B": np.array([[1.2, 4.5], [4.8, 4.5]])}
    rows = []
    for ind, n, fam in [(111, 30, "A"), (112, 30, "A"), (121, 30, "B"), (122, 30, "B")]:
        xy = parents[fam][np.arange(n) % 2] + rng.normal(0, 0.15, (n, 2))
        rows += [{"x": X0 + x * 1000, "y": Y0 + y * 1000, "SIC2": ind // 10, "SIC3": ind} for x, y in xy]
    pd.DataFrame(rows).to_csv(d / "firms.csv", index=False)
    units = gpd.GeoDataFrame({"county": ["west", "east"], "name": ["West County", "East County"]},
                             geometry=[box(X0, Y0, X0 + 3000, Y0 + 6000), box(X0 + 3000, Y0, X0 + 6000, Y0 + 6000)],
                             crs=CRS)
    units.to_file(d / "units.gpkg", layer="units", driver="GPKG")


def _study(folder: Path, text: str) -> Path:
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def study_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("conflicts")
    write_inputs(d)
    return d


@pytest.fixture(scope="module")
def conflict_run(study_dir):
    t0 = time.perf_counter()
    outcome = run_study(_study(study_dir, STUDY), output=study_dir / "out")
    return outcome, time.perf_counter() - t0


# ---------------------------------------------------------------- end to end

def test_key_numbers_equal_direct_calls_on_the_pipelines_layers(conflict_run, study_dir):
    from regionkit.coagglomeration.density import DensityGrid, kernel_density
    from regionkit.ecology import conflicts as cf

    outcome, _ = conflict_run
    res = outcome.results.conflicts
    eco = outcome.results.ecology
    co = outcome.results.coagglomeration
    grid = eco.grid
    valid = np.isfinite(grid.data)
    # the activity surface: density of the core industries' firms at the study grid's cell centres
    firms = co.firms[co.firms["core"] & co.firms["in_pool"]]
    assert len(firms) > 0 and set(firms["industry"]) == set(co.core)
    dens = kernel_density(firms[["x", "y"]].to_numpy(), grid=DensityGrid(grid.transform, grid.shape, grid.crs),
                          kernel="quartic", bandwidth=1000.0)
    np.testing.assert_allclose(res.surface[valid], dens.density[valid])
    act = cf.classify_activity(np.where(valid, dens.density, np.nan), k=3, mask=valid, transform=grid.transform,
                               crs=grid.crs)
    np.testing.assert_array_equal(res.activity.classes, act.classes)
    # the ecological elements: sources by dPC importance, corridors by type, 100 m buffer
    st = eco.tables["ecology_sources"]
    el = cf.ecological_elements(grid.shape, transform=grid.transform, crs=grid.crs, sources=eco.sources.labels,
                                source_grades=dict(zip(st["id"], st["importance"], strict=True)),
                                grade_order=[1, 2, 3], corridors=eco.network.lines(),
                                type_order=["I", "II", "III"], corridor_buffer_m=100.0, mask=valid)
    np.testing.assert_array_equal(res.elements.codes, el.codes)
    z = cf.conflict_zones(el, act)
    np.testing.assert_array_equal(res.zones.zones, z.zones)
    pd.testing.assert_frame_equal(res.tables["conflicts_zone_types"], z.to_frame())
    assert z.types.loc[z.types["conflict"], "cells"].sum() > 0  # the planted overlap is found
    # zonal table on the county file and corridor crossings on the network's lines
    units = gpd.read_file(study_dir / "units.gpkg")
    zc = cf.zonal_conflicts(z, units, id_col="county")
    table = pd.read_csv(outcome.output / "tables" / "conflicts_units.csv")
    np.testing.assert_allclose(table["conflict_area_km2"], zc.table["conflict_area_km2"])
    assert table["name"].tolist() == ["West County", "East County"]
    assert table["grid_area_km2"].sum() == pytest.approx(valid.sum() * 0.01)
    cr = cf.corridor_crossings(eco.network.lines(), act, type_order=["I", "II", "III"])
    by_type = pd.read_csv(outcome.output / "tables" / "conflicts_corridor_types.csv")
    np.testing.assert_allclose(by_type["high_km"], cr.by_type()["high_km"])
    np.testing.assert_allclose(by_type["length_km"], cr.by_type()["length_km"])
    assert by_type["length_km"].sum() == pytest.approx(eco.network.pairs["length"].sum() / 1000)
    top = pd.read_csv(outcome.output / "tables" / "conflicts_top_sources.csv")
    np.testing.assert_allclose(top["conflict_km2"], cf.most_conflicted_sources(z, top=5)["conflict_km2"])


def test_files_are_written(conflict_run):
    outcome, seconds = conflict_run
    out = outcome.output
    res = outcome.results.conflicts
    for name, dtype in (("zones", "int32"), ("activity_class", "int16"), ("severity", "int16"),
                        ("elements", "int16"), ("activity_surface", "float32")):
        with rasterio.open(out / "layers" / f"conflicts_{name}.tif") as src:
            assert src.dtypes[0] == dtype and src.crs.to_epsg() == 32633
            np.testing.assert_array_equal(src.read(1), np.asarray(res.layers[name]).astype(dtype))
    layers = gpd.list_layers(out / "layers" / "conflicts.gpkg")["name"].tolist()
    assert layers == ["zones", "activity_classes", "units", "corridors"]
    zones = gpd.read_file(out / "layers" / "conflicts.gpkg", layer="zones")
    assert zones.area.sum() / 1e6 == pytest.approx(36.0)
    np.testing.assert_allclose(zones.area / 1e6, zones["area_km2"])
    units = gpd.read_file(out / "layers" / "conflicts.gpkg", layer="units")
    assert {"county", "conflict_area_km2", "severe_km2"} <= set(units.columns)
    corridors = gpd.read_file(out / "layers" / "conflicts.gpkg", layer="corridors")
    assert len(corridors) == len(outcome.results.ecology.network.pairs) and "high_km" in corridors
    for key in ("conflicts_activity", "conflicts_elements", "conflicts_severity"):
        assert (out / "figures" / f"{key}.png").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Ecological–economic conflicts" in html and "Conflict zones: every combination" in html
    assert "most conflicted corridors" in html
    assert seconds < 60  # a sanity bound (about 10 s on an idle machine)


def test_rerun_reuses_the_cached_conflict_step(conflict_run, study_dir):
    from regionkit.pipeline.config import load_config

    outcome, _ = conflict_run
    cfg, base = load_config(study_dir / "study.toml")
    again, cache = compute_study(cfg, base, cache_dir=outcome.output / ".cache")
    assert {"ecology", "coagglomeration", "conflicts"} <= set(cache.hits)
    np.testing.assert_array_equal(again.conflicts.zones.zones, outcome.results.conflicts.zones.zones)


def test_an_activity_raster_is_resampled_onto_the_study_grid(study_dir, tmp_path):
    """activity = <raster>: a 200 m raster whose value grows west to east, bilinearly onto the 100 m grid."""
    from regionkit.pipeline.conflict_step import run_conflicts
    from regionkit.pipeline.ecology_step import run_ecology

    t = Affine(200.0, 0, X0, 0, -200.0, Y0 + 6000)
    values = np.tile(np.arange(30, dtype=np.float32), (30, 1))
    with rasterio.open(tmp_path / "act.tif", "w", driver="GTiff", height=30, width=30, count=1, dtype="float32",
                       crs=CRS, transform=t) as dst:
        dst.write(values, 1)
    raw = tomllib.loads(STUDY)
    raw["conflicts"] = {"activity": str(tmp_path / "act.tif"), "classes": {"k": 2, "method": "equal_interval"},
                        "rules": [{"element": "source", "activity": ["high"]}], "severities": ["conflict"]}
    del raw["coagglomeration"]
    cfg = parse_config(raw)
    eco = run_ecology(cfg.ecology, study_dir)
    res = run_conflicts(cfg.conflicts, eco, None, study_dir, source_grades=3)
    assert res.crossings is not None and res.zonal is None
    # the eastern half (x > 3 km) is the high class; sources there are in conflict, the western ones not
    cols = np.arange(N)
    high = res.activity.classes == 1
    assert high[:, cols >= 31].all() and not high[:, cols <= 28].any()
    top = res.tables["conflicts_top_sources"]
    east = {int(i) for i in np.unique(eco.sources.labels[:, 40:]) if i > 0}
    assert set(top["id"]) == east and (top["conflict_share"] > 0.99).all()
    assert any("resampled bilinearly" in m for m in res.methods)


# ---------------------------------------------------------------- configuration

def test_validate_lists_conflict_problems_with_the_others(study_dir, tmp_path):
    text = STUDY.replace('units = {path = "units.gpkg"', 'units = {path = "counties.gpkg"')
    text = text.replace("top = 5", 'top = 5\ncolour = "red"\nrules = [{element = "source:1", activity = ["hgh"]},'
                                   ' {element = "forest", activity = ["high"]}]')
    text = text.replace('lon_col = "x"', 'lon_col = "lng"')
    for name in ("lulc.tif", "firms.csv"):
        text = text.replace(f'"{name}"', f'"{(study_dir / name).as_posix()}"')
    with pytest.raises(ConfigError) as info:
        validate_study(_study(tmp_path, text))
    problems = info.value.problems
    text_all = "\n".join(problems)
    assert "conflicts.colour: unknown key" in text_all
    assert "rules.0.activity: ['hgh'] not among the activity classes ['low', 'medium', 'high']" in text_all
    assert "rules.1.element: 'forest' is not allowed" in text_all
    assert "conflicts.units.path:" in text_all and "counties.gpkg: file not found" in text_all
    assert "coagglomeration.lon_col: column 'lng' not found" in text_all  # another section's problem, listed too


def test_validate_names_a_missing_units_column_and_activity_raster(study_dir, tmp_path):
    text = STUDY.replace('id_col = "county"', 'id_col = "fips"')
    text = text.replace("[conflicts]", '[conflicts]\nactivity = "nightlights.tif"\nindustries = "all"')
    for name in ("lulc.tif", "firms.csv", "units.gpkg"):
        text = text.replace(f'"{name}"', f'"{(study_dir / name).as_posix()}"')
    with pytest.raises(ConfigError) as info:
        validate_study(_study(tmp_path, text))
    text_all = "\n".join(info.value.problems)
    assert "industries appl" in text_all and "activity = 'coagglomeration' only" in text_all
    assert "conflicts.activity:" in text_all and "nightlights.tif: file not found" in text_all
    assert "conflicts.units.id_col: column 'fips' not found" in text_all and "county, name" in text_all


def test_cross_section_needs_are_named():
    base = tomllib.loads(STUDY)
    no_eco = {k: v for k, v in base.items() if k != "ecology"}
    with pytest.raises(ConfigError, match=r"\[conflicts\] needs \[ecology\]"):
        parse_config(no_eco)
    no_coagg = {k: v for k, v in base.items() if k != "coagglomeration"}
    with pytest.raises(ConfigError, match=r"conflicts.activity: 'coagglomeration' needs \[coagglomeration\]"):
        parse_config(no_coagg)
    bad = dict(base, conflicts={**base["conflicts"], "rules": [{"element": "source:7", "activity": ["high"]},
                                                               {"element": "corridor:IV", "activity": ["high"]}]})
    with pytest.raises(ConfigError) as info:
        parse_config(bad)
    text = str(info.value)
    assert "conflicts.rules.0.element: source grade '7' does not exist" in text
    assert "conflicts.rules.1.element: corridor type 'IV' does not exist" in text


def test_section_rules_are_listed_together():
    base = tomllib.loads(STUDY)
    bad = dict(base, conflicts={"classes": {"k": 4, "labels": ["a", "b"]}, "severities": ["x", "y"],
                                "bandwidth_km": -1.0, "top": 0})
    with pytest.raises(ConfigError) as info:
        parse_config(bad)
    text = str(info.value)
    assert "classes.labels: 2 label(s) ['a', 'b'] for k = 4 classes" in text
    assert "severities applies to your own rules" in text
    assert "bandwidth_km must be a positive number" in text
    assert "conflicts.top" in text
    ok = parse_config(dict(base, conflicts={"classes": {"k": 2, "labels": ["quiet", "busy"]},
                                            "rules": [{"element": "corridor", "activity": ["busy"],
                                                       "severity": "hot"}], "severities": ["hot"]}))
    assert ok.conflicts.activity_labels() == ["quiet", "busy"]
