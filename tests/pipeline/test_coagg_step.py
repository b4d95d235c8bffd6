"""The [coagglomeration] step end to end, on a synthetic Neyman–Scott firm file written here.

The synthetic city (code 3101) has two families of three cluster centres ("parents")
in a 30 km square around Shanghai's coordinates; each firm is a parent plus a
normal offset (σ = 0.4 km), the firms of an industry spread equally over
its family's parents -- a Neyman–Scott process.  Industries 111 and 112
(two-digit group 11) share the parents of family A, 121 and 122 (group 12)
those of family B, so pairs within a group are co-agglomerated and pairs
across groups are not.  Industry 129 has 4 firms (below ``min_firms``: skipped
but kept in the pool).  The file also holds two rows without coordinates, one
row with the unknown city code 0, 15 firms of another city (3201, filtered
out) and one firm of 3101 placed 300 km away (an outlier).

Key numbers of the pipeline are recomputed by calling the library functions
directly with the same seed, so the wiring (selection, projection, units,
ε, the pool, the grouping) is checked and not only that files appear.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from regionkit.cli import app
from regionkit.errors import ConfigError
from regionkit.pipeline.config import parse_config
from regionkit.pipeline.run import run_study, validate_study

LON0, LAT0 = 121.45, 31.2
SIZES = {111: 36, 112: 28, 121: 36, 122: 28, 129: 4}
FAMILY = {111: "A", 112: "A", 121: "B", 122: "B", 129: "A"}


def neyman_scott_firms(seed: int = 3) -> pd.DataFrame:
    """The synthetic firm table described in the module notes (WGS84 lon/lat)."""
    rng = np.random.default_rng(seed)
    km_lon = 111.32 * np.cos(np.radians(LAT0))
    parents = {f: rng.uniform(-15, 15, (3, 2)) for f in "AB"}
    rows = []
    for sic3, n in SIZES.items():
        par = parents[FAMILY[sic3]]
        xy = par[np.arange(n) % len(par)] + rng.normal(0, 0.4, (n, 2))  # equal shares of the parents
        for x, y in xy:
            rows.append({"Longitude": LON0 + x / km_lon, "Latitude": LAT0 + y / 110.57, "city": 3101,
                         "SIC2": sic3 // 10, "SIC3": sic3})
    for x, y in rng.normal(0, 3, (15, 2)):  # another city, 400 km west
        rows.append({"Longitude": LON0 - 4 + x / km_lon, "Latitude": LAT0 + y / 110.57, "city": 3201,
                     "SIC2": 11, "SIC3": 111})
    rows.append({"Longitude": LON0 + 300 / km_lon, "Latitude": LAT0, "city": 3101, "SIC2": 12, "SIC3": 122})
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    extra = pd.DataFrame([
        {"Longitude": None, "Latitude": None, "city": 3101, "SIC2": 11, "SIC3": 111},
        {"Longitude": LON0, "Latitude": LAT0, "city": 0, "SIC2": 12, "SIC3": 121},
        {"Longitude": None, "Latitude": LAT0, "city": 3101, "SIC2": 12, "SIC3": 122},
    ])
    return pd.concat([frame.iloc[:10], extra.iloc[:1], frame.iloc[10:50], extra.iloc[1:], frame.iloc[50:]],
                     ignore_index=True)


STUDY = """
[study]
title = "Synthetic co-agglomeration"

[coagglomeration]
firms = "firms.csv.gz"
lon_col = "Longitude"
lat_col = "Latitude"
city_col = "city"
industry_cols = {{sic2 = "SIC2", sic3 = "SIC3"}}
level = "sic3"
group_level = "sic2"
cities = [3101]
on_missing = "drop"
outliers = {{policy = "drop"}}
min_firms = 10
draws = {draws}
seed = 7
core = {{n = 2}}
density = {{cell_km = 1.0, bandwidth = 3.0}}

[report]
figure_formats = ["png"]
dpi = 50
"""


@pytest.fixture(scope="module")
def firm_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("firms")
    neyman_scott_firms().to_csv(d / "firms.csv.gz", index=False)
    return d


def _study(folder: Path, text: str) -> Path:
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def coagg_run(firm_dir):
    path = _study(firm_dir, STUDY.format(draws=49))
    t0 = time.perf_counter()
    outcome = run_study(path, output=firm_dir / "out")
    return outcome, time.perf_counter() - t0


# ---------------------------------------------------------------- configuration

def test_config_problems_are_listed_at_once(tmp_path):
    text = STUDY.format(draws=49).replace('level = "sic3"', 'level = "sic4"\nbogus = 1')
    text = text.replace("draws = 49", "draws = 0")
    with pytest.raises(ConfigError) as info:
        parse_config(__import__("tomllib").loads(text))
    msg = str(info.value)
    assert "coagglomeration.bogus: unknown key" in msg
    assert "coagglomeration.draws" in msg
    assert "level 'sic4' is not a key of industry_cols" in msg


def test_section_rules():
    base = {"firms": "f.csv", "industry_cols": {"sic3": "SIC3"}, "level": "sic3"}
    for extra, needle in [
        ({"cities": [1]}, "cities needs city_col"),
        ({"representation": "grid"}, "needs cell_size_km"),
        ({"eps_rel": 0.01}, "eps_rel applies"),
        ({"scheduler": "tcp://x:8786"}, "scheduler applies"),
        ({"core": {"n": 3, "share": 0.1}}, "not both"),
        ({"group_level": "sic3"}, "must differ"),
    ]:
        with pytest.raises(ConfigError, match=needle):
            parse_config({"coagglomeration": {**base, **extra}})
    cfg = parse_config({"coagglomeration": base})  # no [data] panel needed
    assert cfg.data is None and cfg.coagglomeration.draws == 1000 and cfg.coagglomeration.alpha == 0.95
    with pytest.raises(ConfigError, match="firm points"):
        parse_config({"study": {"title": "x"}})


def test_validate_names_the_file_and_its_columns(firm_dir, tmp_path):
    text = STUDY.format(draws=49).replace('lon_col = "Longitude"', 'lon_col = "lng"')
    text = text.replace('"SIC3"}', '"SIC_3"}').replace("cities = [3101]", "cities = [3101, 9999]")
    text = text.replace('outliers = {policy = "drop"}', 'outliers = {policy = "drop", study_area = "nope.gpkg"}')
    text = text.replace('firms = "firms.csv.gz"', f'firms = "{(firm_dir / "firms.csv.gz").as_posix()}"')
    path = _study(tmp_path, text + "\n[coupling]\nform = 'standard'\n")
    with pytest.raises(ConfigError) as info:
        validate_study(path)
    problems = info.value.problems
    text_all = "\n".join(problems)
    assert "coagglomeration.lon_col: column 'lng' not found in" in text_all and "firms.csv.gz" in text_all
    assert "available columns: Longitude, Latitude, city, SIC2, SIC3" in text_all
    assert "coagglomeration.industry_cols.sic3: column 'SIC_3' not found" in text_all
    assert "[9999] not found in column 'city'" in text_all
    assert "study_area" in text_all and "file not found" in text_all
    assert any("need a regional panel" in p for p in problems)  # a structural problem, listed with the rest
    missing = _study(tmp_path, STUDY.format(draws=49).replace("firms.csv.gz", "missing.csv"))
    with pytest.raises(ConfigError, match="missing.csv: file not found"):
        validate_study(missing)


# ---------------------------------------------------------------- end to end

def test_outputs_are_written(coagg_run):
    outcome, seconds = coagg_run
    out = outcome.output
    for name in ("coagg_reading", "coagg_problem_rows", "coagg_outliers", "coagg_industries", "coagg_pairs",
                 "coagg_groups", "coagg_group_pairs", "coagg_core", "coagg_density"):
        assert (out / "tables" / f"{name}.csv").is_file(), name
    for name in ("coagg_heatmap", "coagg_firms", "coagg_density"):
        assert (out / "figures" / f"{name}.png").is_file(), name
    res = outcome.results.coagglomeration
    for ind in res.densities.industries:
        assert (out / "layers" / f"coagg_density_{ind}.tif").is_file()
    assert (out / "layers" / "coagg_density_combined.tif").is_file()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Industrial co-agglomeration" in html
    assert "seed = 7" in html and "R = 49" in html and "no sequential stopping" in html
    assert seconds < 30


def test_reading_report_and_outliers(coagg_run):
    outcome, _ = coagg_run
    res = outcome.results.coagglomeration
    src = neyman_scott_firms()
    missing = np.flatnonzero(src["Longitude"].isna().to_numpy() | src["Latitude"].isna().to_numpy())
    assert res.reading.missing_coordinates.tolist() == missing.tolist()
    assert res.reading.unknown_city.tolist() == np.flatnonzero(src["city"].to_numpy() == 0).tolist()
    reading = pd.read_csv(outcome.output / "tables" / "coagg_reading.csv").set_index("item")
    assert reading.loc["rows without usable coordinates", "count"] == 2
    far = src.index[(src["Longitude"] > LON0 + 2) & (src["city"] == 3101)].tolist()
    assert res.outliers.all_ids.tolist() == far
    firms = res.firms
    assert len(firms) == sum(SIZES.values()) + 1 and (firms["city"] == 3101).all()
    assert not firms.loc[firms["outlier"], "in_pool"].any()
    import geopandas as gpd

    layer = gpd.read_file(outcome.output / "layers" / "coagg_firms.gpkg")
    assert len(layer) == len(firms) and layer["outlier"].sum() == 1 and layer.crs.to_epsg() == 32651
    assert {"industry", "outlier", "core", "in_pool"} <= set(layer.columns)


def test_key_numbers_equal_direct_library_calls(coagg_run, firm_dir):
    from regionkit.coagglomeration.counterfactual import coagglomeration
    from regionkit.coagglomeration.density import DensityGrid, industry_densities
    from regionkit.coagglomeration.firms import find_outliers, project_firms, read_firms
    from regionkit.coagglomeration.network import coagg_network

    outcome, _ = coagg_run
    res = outcome.results.coagglomeration
    f = read_firms(firm_dir / "firms.csv.gz", lon_col="Longitude", lat_col="Latitude",
                   industry_cols={"sic2": "SIC2", "sic3": "SIC3"}, city_col="city", on_missing="drop")
    f = project_firms(f.select(city=3101))
    o = find_outliers(f)
    pool = f.select(mask=~f.frame["firm_id"].isin(o.all_ids).to_numpy())
    direct = coagglomeration(pool.labels("sic3"), pool.coordinates() / 1000.0, draws=49, rng=7,
                             industries=(111, 112, 121, 122))
    pd.testing.assert_frame_equal(res.result.coagg, direct.coagg)
    pd.testing.assert_frame_equal(res.result.distance, direct.distance)
    net = coagg_network(direct, lambda c: c // 10)
    assert res.core == net.core_industries(n=2)
    pd.testing.assert_frame_equal(res.network.by_group.reset_index(drop=True),
                                  net.by_group.reset_index(drop=True), check_dtype=False)
    # the planted structure: within-group pairs co-agglomerated, across-group pairs not
    sig = direct.significant()
    assert sig.loc[111, 112] and sig.loc[121, 122] and not sig.loc[111, 121] and not sig.loc[122, 112]
    pairs = pd.read_csv(outcome.output / "tables" / "coagg_pairs.csv")
    row = pairs[(pairs["j"] == 111) & (pairs["k"] == 112)].iloc[0]
    assert row["Coagg"] == pytest.approx(direct.coagg.loc[111, 112])
    assert row["group_j"] == 11 and row["group_k"] == 11
    xy = pool.coordinates()
    grid = DensityGrid.around(xy, cell_size=1000.0, margin=3000.0, crs=pool.crs)
    dens = industry_densities(xy, pool.labels("sic3"), grid=grid, industries=res.core, bandwidth=3000.0)
    np.testing.assert_allclose(res.densities.combined, dens.combined)
    import rasterio

    with rasterio.open(outcome.output / "layers" / "coagg_density_combined.tif") as src:
        np.testing.assert_allclose(src.read(1), dens.combined.astype(np.float32))
        assert src.crs.to_epsg() == 32651


def test_rerun_reuses_the_cache(coagg_run, firm_dir):
    outcome, first = coagg_run
    path = firm_dir / "study.toml"
    t0 = time.perf_counter()
    again = run_study(path, output=outcome.output)
    assert "coagglomeration" in again.cache_hits
    assert time.perf_counter() - t0 < max(first, 5.0)
    pd.testing.assert_frame_equal(again.results.coagglomeration.result.coagg, outcome.results.coagglomeration.result.coagg)


def test_checkpoints_resume_without_the_step_cache(firm_dir, tmp_path):
    from regionkit.pipeline.coagg_step import run_coagg

    cfg = parse_config(__import__("tomllib").loads(STUDY.format(draws=19)))
    sec = cfg.coagglomeration
    ticks = []
    a = run_coagg(sec, firm_dir, checkpoint_dir=tmp_path / "ck", task_progress=lambda d, t, _i: ticks.append((d, t)))
    assert ticks and ticks[-1][0] == ticks[-1][1] and len(list((tmp_path / "ck").glob("task-*.npz"))) == ticks[-1][1]
    b = run_coagg(sec, firm_dir, checkpoint_dir=tmp_path / "ck")
    pd.testing.assert_frame_equal(a.result.coagg, b.result.coagg)


def test_sinkhorn_eps_is_relative_to_the_squared_diameter(firm_dir):
    from regionkit.pipeline.coagg_step import run_coagg

    raw = __import__("tomllib").loads(STUDY.format(draws=9))
    raw["coagglomeration"].update(distance="sinkhorn", eps_rel=0.02, industries=[111, 121], core={"n": 1})
    sec = parse_config(raw).coagglomeration
    res = run_coagg(sec, firm_dir)
    coords = res.firms.loc[res.firms["in_pool"], ["x", "y"]].to_numpy() / 1000.0
    d2 = float(np.sum(np.ptp(coords, axis=0) ** 2))
    assert res.squared_diameter == pytest.approx(d2)
    assert res.eps == pytest.approx(0.02 * d2) and res.result.eps == pytest.approx(0.02 * d2)
    assert any("ε = 0.02 · D²" in m for m in res.methods)
    assert res.skipped == (112, 122, 129)


# ---------------------------------------------------------------- command line

runner = CliRunner()


def test_cli_coagg_help():
    result = runner.invoke(app, ["coagg", "--help"])
    assert result.exit_code == 0, result.output
    assert "--city" in result.output and "--draws" in result.output


def test_cli_coagg_small_run(firm_dir, tmp_path):
    out = tmp_path / "cli"
    result = runner.invoke(app, [
        "coagg", str(firm_dir / "firms.csv.gz"), "--city", "3101", "--lon-col", "Longitude", "--lat-col",
        "Latitude", "--city-col", "city", "--industry-col", "SIC3", "--group-col", "SIC2", "--draws", "19",
        "--seed", "7", "--on-missing", "drop", "--outliers", "drop", "--core-n", "2", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "tables" / "coagg_pairs.csv").is_file()
    assert (out / "study.toml").is_file()
    pairs = pd.read_csv(out / "tables" / "coagg_pairs.csv")
    assert set(pairs["j"]) == {111, 112, 121, 122}
    bad = runner.invoke(app, ["coagg", str(firm_dir / "firms.csv.gz"), "--industry-col", "NOPE",
                              "--output", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "'NOPE' not found" in bad.output and "Traceback" not in bad.output


# ---------------------------------------------------------------- the real example (slow)

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "china_firms_colocation_example.csv.gz"


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.skipif(not REAL.exists(), reason="needs ../shared/data/china_firms_colocation_example.csv.gz")
def test_real_firms_shanghai_subset(tmp_path):
    """City 3101 (3,954 firms), the five SIC3 industries with at least 100 firms, R = 99, sequential."""
    from regionkit.coagglomeration.counterfactual import coagglomeration
    from regionkit.coagglomeration.firms import find_outliers, project_firms, read_firms
    from regionkit.coagglomeration.network import coagg_network

    text = f"""
[coagglomeration]
firms = "{REAL.as_posix()}"
lon_col = "Longitude"
lat_col = "Latitude"
city_col = "city"
industry_cols = {{sic2 = "SIC2", sic3 = "SIC3"}}
level = "sic3"
group_level = "sic2"
cities = 3101
on_missing = "drop"
min_firms = 100
draws = 99
sequential = true
seed = 2020
core = {{n = 2}}
[report]
figure_formats = ["png"]
dpi = 50
"""
    outcome = run_study(_study(tmp_path, text), output=tmp_path / "out")
    res = outcome.results.coagglomeration
    assert res.result.coagg.index.tolist() == [181, 292, 344, 366, 382]
    f = read_firms(REAL, lon_col="Longitude", lat_col="Latitude", industry_cols={"sic2": "SIC2", "sic3": "SIC3"},
                   city_col="city", on_missing="drop")
    assert f.report.missing_coordinates.size == 2
    f = project_firms(f.select(city=3101))
    assert len(f) == 3954 and f.crs == res.crs
    assert res.outliers.all_ids.tolist() == find_outliers(f).all_ids.tolist()
    direct = coagglomeration(f.labels("sic3"), f.coordinates() / 1000.0, draws=99, rng=2020, sequential=True,
                             industries=(181, 292, 344, 366, 382))
    pd.testing.assert_frame_equal(res.result.coagg, direct.coagg)
    pd.testing.assert_frame_equal(res.result.n_draws, direct.n_draws)
    assert res.core == coagg_network(direct, lambda c: c // 10).core_industries(n=2)
    assert (outcome.output / "layers" / "coagg_firms.gpkg").is_file()
