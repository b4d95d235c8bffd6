"""Population-resilience study steps: derived indicators, mixed models, mediation in the pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import ConfigError
from regionkit.pipeline.run import run_study


def _city_panel(tmp_path, n=30, years=6, seed=5):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        city = rng.normal(0, 0.3)
        for t in range(years):
            reg = rng.uniform(50, 150)
            res = reg * rng.uniform(0.8, 1.2)
            va = rng.uniform(1, 10, size=3)
            emp = va * rng.uniform(0.5, 1.5, size=3)
            rows.append({
                "region": f"C{i:02d}", "year": 2010 + t, "province": ["P1", "P2", "P3"][i % 3],
                "inflation": rng.normal(2, 0.5), "unemp": rng.uniform(2, 8), "rd": rng.uniform(0, 5) + city,
                "loans": rng.uniform(10, 50), "freight": rng.uniform(1, 9),
                "hukou": reg, "resident": res, "va1": va[0], "va2": va[1], "va3": va[2],
                "emp1": emp[0], "emp2": emp[1], "emp3": emp[2],
                "mobile": rng.uniform(20, 60), "internet": rng.uniform(10, 40), "pop": res,
            })
    f = pd.DataFrame(rows)
    f.to_csv(tmp_path / "cities.csv", index=False)
    return f


STUDY = """
[study]
title = "urban"
output = "out"
[data]
path = "cities.csv"
group_cols = ["province"]
[indicator_system]
name = "resilience"
[indicator_system.dimensions]
stability = {{ inflation = "negative", unemp = "negative" }}
innovation = {{ rd = "positive" }}
recovery = {{ loans = "positive", freight = "positive" }}
[population]
registered = "hukou"
resident = "resident"
[rationalization]
value_added = {{ primary = "va1", secondary = "va2", tertiary = "va3" }}
employment = {{ primary = "emp1", secondary = "emp2", tertiary = "emp3" }}
[[ratios]]
name = "info"
numerators = ["mobile", "internet"]
denominator = "pop"
[[mixed_models]]
name = "Model 1"
formula = "resilience ~ S + R + info + (1|region)"
[[mixed_models]]
name = "Model 2"
formula = "resilience ~ S + R + info + (1|region) + (1|year)"
[[mediation]]
name = "S via R and info"
x = "S"
m = ["R", "info"]
y = "resilience"
n_boot = {n_boot}
outcome = "{outcome}"
"""


def test_urban_study_end_to_end(tmp_path):
    from regionkit.econometrics.mediation import mediation
    from regionkit.econometrics.mixed import lmm
    from regionkit.indices.urban import rationalization

    raw = _city_panel(tmp_path)
    (tmp_path / "s.toml").write_text(STUDY.format(n_boot=199, outcome="ols"))
    outcome = run_study(tmp_path / "s.toml")
    res = outcome.results
    ry = pd.read_csv(outcome.output / "tables" / "region_year.csv").set_index(["region", "year"])
    frame = raw.set_index(["region", "year"])
    assert np.allclose(ry["S"], frame.loc[ry.index, "hukou"] - frame.loc[ry.index, "resident"])
    assert np.allclose(ry["info"], (frame["mobile"] + frame["internet"]).loc[ry.index] / frame["pop"].loc[ry.index])
    va = frame[["va1", "va2", "va3"]].set_axis(["a", "b", "c"], axis=1)
    emp = frame[["emp1", "emp2", "emp3"]].set_axis(["a", "b", "c"], axis=1)
    assert np.allclose(ry["R"], rationalization(va, emp).value.loc[ry.index])
    assert {"resilience", "stability", "innovation", "recovery"} <= set(ry.columns)
    data = ry.copy()
    data["region"] = data.index.get_level_values("region")
    data["year"] = data.index.get_level_values("year")
    direct = lmm("resilience ~ S + R + info + (1|region)", data)
    assert res.mixed.fits["Model 1"].llf == pytest.approx(direct.llf, rel=1e-8)
    assert res.mixed.comparison is not None
    med = mediation(data, x="S", m=["R", "info"], y="resilience", n_boot=199, cluster="region", rng=20240101)
    got = res.mediations[0][1]
    pd.testing.assert_series_equal(got.indirect, med.indirect)
    assert got.table.equals(med.table)
    html = (outcome.output / "report.html").read_text(encoding="utf-8")
    for title in ("Urban resilience and population change", "Linear mixed-effects models", "Mediation analysis"):
        assert title in html
    for f in ("urban_obstacles.csv", "mixed_comparison.csv", "mixed_fixed.tex", "mediation_0_S_via_R_and_info.csv"):
        assert (outcome.output / "tables" / f).exists(), f


def test_mixed_outcome_mediation_runs(tmp_path):
    _city_panel(tmp_path, n=15, years=4)
    (tmp_path / "s.toml").write_text(STUDY.format(n_boot=19, outcome="mixed"))
    outcome = run_study(tmp_path / "s.toml")
    med = outcome.results.mediations[0][1]
    assert len(med.mediators) == 2 and np.isfinite(med.total_indirect)


def test_unknown_urban_variables_listed(tmp_path):
    _city_panel(tmp_path, n=6, years=3)
    text = STUDY.format(n_boot=0, outcome="ols").replace('registered = "hukou"', 'registered = "hukou_pop"')
    text = text.replace('denominator = "pop"', 'denominator = "people"')
    (tmp_path / "s.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        run_study(tmp_path / "s.toml")
    msg = str(info.value)
    assert "'hukou_pop' is not a panel variable" in msg and "'people' is not a panel variable" in msg
