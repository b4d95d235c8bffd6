"""Pipeline steps for the environmental damage index and the sensitivity index."""

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import ConfigError
from regionkit.indices.environment import environmental_damage
from regionkit.indices.resilience import sensitivity_index
from regionkit.pipeline.run import run_study


def _study(tmp_path, extra=""):
    rng = np.random.default_rng(7)
    rows = []
    for r in "ABCDEF":
        for y in range(2000, 2006):
            rows.append({"region": r, "year": y, "zone": "east" if r in "ABC" else "west",
                         "gdp": rng.uniform(50, 150) * (1 + 0.05 * (y - 2000)),
                         "so2": rng.uniform(1, 10), "dust": rng.uniform(1, 10), "cod": rng.uniform(1, 10)})
    pd.DataFrame(rows).to_csv(tmp_path / "p.csv", index=False)
    toml = f"""
groups = ["zone"]
[study]
title = "env"
output = "out"
[data]
path = "p.csv"
group_cols = ["zone"]
[environment]
pollutants = ["so2", "dust", "cod"]
base = "gdp"
[[resilience]]
variable = "gdp"
windows = [[2000, 2003]]
[dispersion]
variables = ["env_damage"]
{extra}
"""
    (tmp_path / "s.toml").write_text(toml)
    return tmp_path / "s.toml", pd.DataFrame(rows)


def test_environment_and_sensitivity_in_outputs(tmp_path):
    path, raw = _study(tmp_path)
    outcome = run_study(path)
    ry = pd.read_csv(outcome.output / "tables" / "region_year.csv").set_index(["region", "year"])
    frame = raw.set_index(["region", "year"])
    direct = environmental_damage(frame[["so2", "dust", "cod"]], base=frame["gdp"])
    np.testing.assert_allclose(ry.loc[frame.index, "env_damage"], direct.index.loc[frame.index], rtol=1e-12)
    w = pd.read_csv(outcome.output / "tables" / "environment_weights.csv")
    assert w["weight"].sum() == pytest.approx(1.0)
    res = pd.read_csv(outcome.output / "tables" / "resilience_0_gdp.csv").set_index("region")
    beta = sensitivity_index(frame["gdp"].unstack("year"), start=2000, end=2003).frame["beta"]
    np.testing.assert_allclose(res.loc[beta.index, "beta"], beta, rtol=1e-12)
    assert (outcome.output / "tables" / "dispersion_env_damage.csv").exists()
    assert "Environmental damage" in (outcome.output / "report.html").read_text()


def test_environment_unknown_pollutant_listed(tmp_path):
    path, _ = _study(tmp_path)
    text = path.read_text().replace('"cod"]', '"nox"]')
    path.write_text(text)
    with pytest.raises(ConfigError, match="environment: 'nox' is not a panel variable"):
        run_study(path)


def test_industry_mix_resilience_step(tmp_path):
    from regionkit.indices.resilience import resilience_industry_mix

    path, raw = _study(tmp_path)
    rng = np.random.default_rng(3)
    rows = [{"region": r, "year": y, "sector": s, "va": rng.uniform(1, 20)}
            for r in "ABCDEF" for y in range(2000, 2006) for s in ("agri", "manu", "serv")]
    ind = pd.DataFrame(rows)
    ind.to_csv(tmp_path / "ind.csv", index=False)
    text = path.read_text() + """
[agglomeration]
path = "ind.csv"
industry_col = "sector"
value_col = "va"

[[resilience]]
variable = "value added"
industry_mix = true
windows = [[2001, 2004]]
"""
    path.write_text(text)
    outcome = run_study(path)
    got = pd.read_csv(outcome.output / "tables" / "resilience_1_value_added.csv").set_index("region")
    t0 = ind[ind.year == 2001].pivot(index="region", columns="sector", values="va")
    t1 = ind[ind.year == 2004].pivot(index="region", columns="sector", values="va")
    want = resilience_industry_mix(t0, t1).frame
    np.testing.assert_allclose(got.loc[want.index, "index"], want["index"], rtol=1e-12)
    np.testing.assert_allclose(got.loc[want.index, "index_aggregate"], want["index_aggregate"], rtol=1e-12)
    agg = pd.read_csv(outcome.output / "tables" / "agglomeration_regions.csv")
    assert len(agg) == 6 * 6


def test_outputs_of_a_dropped_step_are_removed_and_ctd_needs_coupling(tmp_path):
    path, _ = _study(tmp_path)
    first = run_study(path)
    old = first.output / "tables" / "environment_weights.csv"
    assert old.exists()
    keep = first.output / "notes.txt"  # a file the user put there is never touched
    keep.write_text("mine")
    text = path.read_text()
    text = text.replace('[environment]\npollutants = ["so2", "dust", "cod"]\nbase = "gdp"\n', "")
    text = text.replace('variables = ["env_damage"]', 'variables = ["gdp"]')
    path.write_text(text)
    second = run_study(path)
    assert not old.exists()
    assert keep.read_text() == "mine"
    assert (second.output / "tables" / "dispersion_gdp.csv").exists()
    path.write_text(text.replace('variables = ["gdp"]', 'variables = ["D"]'))
    with pytest.raises(ConfigError, match="'D' is neither a panel variable"):
        run_study(path)


def test_reference_region_is_removed_and_used_as_reference(tmp_path):
    from regionkit.indices.resilience import resilience

    path, raw = _study(tmp_path)
    path.write_text(path.read_text().replace('windows = [[2000, 2003]]', 'windows = [[2000, 2003]]\nreference = "region:A"'))
    outcome = run_study(path)
    got = pd.read_csv(outcome.output / "tables" / "resilience_0_gdp.csv").set_index("region")
    wide = raw.set_index(["region", "year"])["gdp"].unstack("year")
    want = resilience(wide.drop(index="A"), start=2000, end=2003, reference=wide.loc["A"]).frame
    assert "A" not in got.index
    np.testing.assert_allclose(got.loc[want.index, "index"], want["index"], rtol=1e-12)
