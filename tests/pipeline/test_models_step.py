"""The [[models]] step: fits on all regions and by group equal direct library calls; outputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import ConfigError
from regionkit.pipeline.run import run_study


def _panel(tmp_path, n_regions=24, n_years=8, seed=11):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_regions):
        u = rng.normal(0, 0.1)
        for t in range(n_years):
            x1 = rng.uniform(1, 10)
            x2 = rng.normal()
            latent = 0.2 + 0.05 * np.log(x1) + 0.08 * x2 + u + rng.normal(0, 0.1)
            rows.append({"region": f"R{i:02d}", "year": 2000 + t, "zone": ["east", "west"][i % 2],
                         "x1": x1, "x2": x2, "y": float(np.clip(latent, 0, 1))})
    frame = pd.DataFrame(rows)
    frame.to_csv(tmp_path / "p.csv", index=False)
    return frame


def _toml(tmp_path, models: str) -> object:
    text = f"""
[study]
title = "models"
output = "out"
[data]
path = "p.csv"
group_cols = ["zone"]
{models}
"""
    (tmp_path / "s.toml").write_text(text)
    return tmp_path / "s.toml"


def test_linear_fe_with_hausman_by_group(tmp_path):
    from regionkit.econometrics.panel import hausman, panel_ols

    frame = _panel(tmp_path)
    path = _toml(tmp_path, """
[[models]]
name = "linear"
formula = "y ~ log(x1) + x2"
estimator = "fe"
by = "zone"
hausman = true
""")
    outcome = run_study(path)
    run = outcome.results.models[0]
    assert list(run.fits) == ["All", "east", "west"]
    data = frame.set_index(["region", "year"])
    direct = panel_ols("y ~ log(x1) + x2", data.drop(columns="zone"), model="fe", cov_type="clustered")
    pd.testing.assert_series_equal(run.fits["All"].params, direct.params, rtol=1e-10)
    fe = panel_ols("y ~ log(x1) + x2", data.drop(columns="zone"), model="fe", cov_type="unadjusted")
    re = panel_ols("y ~ log(x1) + x2", data.drop(columns="zone"), model="re", cov_type="unadjusted")
    assert run.extras["hausman:All"].chi2 == pytest.approx(hausman(fe, re).chi2, rel=1e-10)
    out = outcome.output / "tables"
    for ext in ("csv", "txt", "tex", "xlsx"):
        assert (out / f"models_0_linear.{ext}").exists()
    assert "p<0.10" in (out / "models_0_linear.txt").read_text()
    html = (outcome.output / "report.html").read_text(encoding="utf-8")
    assert "Influencing factors" in html and "Hausman tests" in html


def test_unknown_variable_in_formula_names_model_and_group(tmp_path):
    _panel(tmp_path)
    path = _toml(tmp_path, """
[[models]]
name = "bad"
formula = "y ~ log(nope)"
estimator = "pooled"
""")
    with pytest.raises(Exception, match="model 'bad', group 'All'.*nope"):
        run_study(path)


def test_models_config_errors_listed(tmp_path):
    _panel(tmp_path)
    path = _toml(tmp_path, """
[[models]]
name = "a"
formula = "y = x1"
[[models]]
name = "b"
formula = "y ~ x1"
estimator = "tobit"
hausman = true
""")
    with pytest.raises(ConfigError) as info:
        run_study(path)
    text = str(info.value)
    assert "formula must look like" in text and "hausman = true compares linear FE and RE" in text


def test_tobit_estimators_by_group_equal_library(tmp_path):
    from regionkit.econometrics.formula import design
    from regionkit.econometrics.panel_tobit import random_effects_tobit
    from regionkit.econometrics.tobit import tobit

    frame = _panel(tmp_path)
    path = _toml(tmp_path, """
[[models]]
name = "pooled tobit"
formula = "y ~ log(x1) + x2"
estimator = "tobit"
cov_type = "cluster"
by = "zone"

[[models]]
name = "re tobit"
formula = "y ~ log(x1) + x2"
estimator = "re_tobit"

[[models]]
name = "fe tobit"
formula = "y ~ log(x1) + x2"
estimator = "fe_tobit"

[[models]]
name = "mundlak"
formula = "y ~ log(x1) + x2"
estimator = "mundlak_tobit"
""")
    outcome = run_study(path)
    runs = {r.spec.name: r for r in outcome.results.models}
    data = frame.set_index(["region", "year"])
    d = design("y ~ log(x1) + x2", data)
    regions = pd.Series(data.index.get_level_values("region"), index=data.index)
    pooled = tobit(d.y, d.X, left=0.0, right=1.0, cov_type="cluster", groups=regions)
    pd.testing.assert_series_equal(runs["pooled tobit"].fits["All"].params, pooled.params, rtol=1e-8)
    pd.testing.assert_series_equal(runs["pooled tobit"].fits["All"].bse, pooled.bse, rtol=1e-8)
    assert list(runs["pooled tobit"].fits) == ["All", "east", "west"]
    re = random_effects_tobit(d.y, d.X, regions, left=0.0, right=1.0)
    pd.testing.assert_series_equal(runs["re tobit"].fits["All"].params, re.result.params, rtol=1e-8)
    assert any("incidental" in n for n in runs["fe tobit"].fits["All"].notes)
    table = (outcome.output / "tables" / "models_0_pooled_tobit.txt").read_text()
    assert "All" in table and "east" in table and "***" in table
