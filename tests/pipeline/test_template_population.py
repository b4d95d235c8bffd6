"""The "population-resilience" template end to end on the synthetic city panel.

Every number the pipeline reports is recomputed here independently: by hand
(population change, Theil rationalisation, the entropy-weighted index and the
obstacle degrees of one city-year, the scale factor κ of the index) or with
the library functions called directly (mixed models, mediation with the same
seed).  The estimates must recover the true effects of the generator within
4 of their reported standard errors.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from regionkit.econometrics.mediation import mediation
from regionkit.econometrics.mixed import lmm
from regionkit.io.synthetic import INDICATORS, synthetic_city_data, synthetic_truth
from regionkit.report.truth import truth_tables

CITY, YEAR = "C007", 2015
M3 = "resilience ~ S + R + info + (1 + info|region) + (1|year)"
SECTORS = ("primary", "secondary", "tertiary")


@pytest.fixture(scope="module")
def run(template_run):
    """The template written by ``regionkit init`` and run once per session (tests/conftest.py)."""
    outcome = template_run("population-resilience")
    out = outcome.output
    ry = pd.read_csv(out / "tables" / "region_year.csv").set_index(["region", "year"])
    return SimpleNamespace(outcome=outcome, res=outcome.results, out=out, ry=ry)


@pytest.fixture(scope="module")
def generated():
    return synthetic_city_data()  # the template's dataset: default arguments


@pytest.fixture(scope="module")
def model_data(run):
    data = run.ry.copy()
    data["region"] = data.index.get_level_values("region")
    data["year"] = data.index.get_level_values("year")
    return data


def test_outputs_and_report_say_synthetic(run):
    assert run.out.name == "regionkit-population-resilience"
    for f in ("urban_synthetic_truth.csv", "mixed_truth.csv", "mediation_truth.csv", "urban_obstacles.csv",
              "mixed_comparison.csv", "mixed_lr_tests.csv"):
        assert (run.out / "tables" / f).exists(), f
    html = (run.out / "report.html").read_text(encoding="utf-8")
    assert "generated, not observed" in html and "SYNTHETIC" in html
    for title in ("Urban resilience and population change", "Linear mixed-effects models", "Mediation analysis"):
        assert title in html
    assert run.res.warnings == []
    assert run.res.panel.geometry is None


def test_population_change_and_informatisation(run, generated):
    ry, lat = run.ry, generated.latent.loc[run.ry.index]
    np.testing.assert_array_equal(ry["S"], ry["registered"] - ry["resident"])
    np.testing.assert_allclose(ry["info"], (ry["internet_users"] + ry["mobile_users"]) / ry["resident"], rtol=1e-14)
    np.testing.assert_allclose(ry["telecom_pc"], 1e4 * ry["telecom_revenue"] / ry["resident"], rtol=1e-14)
    np.testing.assert_allclose(ry["S"], lat["S"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(ry["info"], lat["info"], rtol=1e-12)
    assert (ry["S"] > 0).any() and (ry["S"] < 0).any()


def test_theil_rationalisation_of_one_city_year_by_hand(run, generated):
    row = run.ry.loc[(CITY, YEAR)]
    va = np.array([row[f"va_{s}"] for s in SECTORS])
    emp = np.array([row[f"emp_{s}"] for s in SECTORS])
    y, share = va / va.sum(), emp / emp.sum()
    by_hand = float(np.sum(y * np.log(y / share)))
    assert row["R"] == pytest.approx(by_hand, rel=1e-12)
    assert generated.latent.loc[(CITY, YEAR), "R"] == pytest.approx(by_hand, rel=1e-12)


def _by_hand_system(ry: pd.DataFrame):
    """Min-max (global, shift 0.0001 added), entropy weights over all indicators, index = Σ w z."""
    names = [s.name for s in INDICATORS]
    x = ry[names]
    lo, hi = x.min(), x.max()
    pos = pd.Series({s.name: s.direction == "positive" for s in INDICATORS})
    std = pd.DataFrame(np.where(pos[names].to_numpy(), (x - lo) / (hi - lo), (hi - x) / (hi - lo)),
                       index=x.index, columns=names)
    z = std + 0.0001
    p = z / z.sum()
    e = -(p * np.log(p)).sum() / np.log(len(z))
    w = (1 - e) / (1 - e).sum()
    return std, z, w, lo, hi, pos


def test_index_and_obstacles_of_one_city_year_by_hand(run):
    std, z, w, *_ = _by_hand_system(run.ry)
    weights = pd.read_csv(run.out / "tables" / "urban_weights.csv").set_index("indicator")["weight"]
    np.testing.assert_allclose(weights[w.index], w, rtol=1e-10)
    row = run.ry.loc[(CITY, YEAR)]
    assert row["resilience"] == pytest.approx(float((w * z.loc[(CITY, YEAR)]).sum()), rel=1e-10)
    for dim in ("resistance", "adaptation", "transformation"):
        cols = [s.name for s in INDICATORS if s.dimension == dim]
        assert row[dim] == pytest.approx(float((w[cols] * z.loc[(CITY, YEAR), cols]).sum()), rel=1e-10)
    dev = w * (1 - std.loc[(CITY, YEAR)])
    degree = (dev / dev.sum()).sort_values(ascending=False)
    top = pd.read_csv(run.out / "tables" / "urban_obstacles.csv")
    top = top[(top["region"] == CITY) & (top["year"] == YEAR)].sort_values("rank")
    assert list(top["indicator"]) == list(degree.index[:3])
    np.testing.assert_allclose(top["degree"], degree.iloc[:3], rtol=1e-10)


def test_mixed_models_refitted_directly(run, model_data):
    fits = run.res.mixed.fits
    assert list(fits) == ["M1 city", "M2 city x year", "M3 random slope"]
    direct = lmm(M3, model_data)
    got = fits["M3 random slope"]
    pd.testing.assert_series_equal(got.params, direct.params, rtol=1e-8)
    pd.testing.assert_series_equal(got.bse, direct.bse, rtol=1e-6)
    assert got.llf == pytest.approx(direct.llf, rel=1e-10)
    cmp = pd.read_csv(run.out / "tables" / "mixed_comparison.csv").set_index("Model")
    assert set(cmp["method"]) == {"ML (refit)"}
    ml = lmm(M3, model_data, method="ML", df_method="none")
    assert cmp.loc["M3 random slope", "logLik"] == pytest.approx(ml.llf, rel=1e-7)


def test_mediation_recomputed_with_same_seed(run, model_data):
    spec, got = run.res.mediations[0]
    again = mediation(model_data, x="S", m=["R", "info"], y="resilience", covariates=["year"], n_boot=499,
                      ci="bias-corrected", cluster="region", rng=20240101)
    assert spec.n_boot == 499 and spec.seed == 20240101
    pd.testing.assert_frame_equal(got.table, again.table)
    assert got.c == pytest.approx(got.c_prime + got.total_indirect, abs=1e-15)


@pytest.fixture(scope="module")
def true_on_index(run):
    """True effects on the index: κ and offset from the weights and the raw ranges (by hand)."""
    _, _, w, lo, hi, pos = _by_hand_system(run.ry)
    t = synthetic_truth()
    kappa = offset = 0.0
    for s in INDICATORS:
        rng_ = hi[s.name] - lo[s.name]
        dzdx = 1 / rng_ if pos[s.name] else -1 / rng_
        intercept = (-lo[s.name] / rng_ if pos[s.name] else hi[s.name] / rng_) + 0.0001
        kappa += w[s.name] * dzdx * s.slope
        offset += w[s.name] * (intercept + dzdx * (s.mean - s.slope * t.L_center))
    eff = t.effects()
    true = {k: (v if k.startswith("a[") else kappa * v) for k, v in eff.items()}
    fixed = {"const": offset + kappa * t.beta0, "S": kappa * t.c_prime, "R": kappa * t.b_R, "info": kappa * t.b_I}
    return SimpleNamespace(kappa=kappa, mediation=true, fixed=fixed)


def test_index_is_linear_in_latent_resilience(run, generated, true_on_index):
    # index − (offset + κ L) is the weighted measurement noise: mean 0, independent of S
    _, _, w, lo, hi, pos = _by_hand_system(run.ry)
    lat = generated.latent.loc[run.ry.index]
    resid = run.ry["resilience"] - true_on_index.fixed["const"] - true_on_index.kappa * (lat["L"] - synthetic_truth().beta0)
    noise = sum(w[s.name] * (1 if pos[s.name] else -1) / (hi[s.name] - lo[s.name])
                * (run.ry[s.name] - s.mean - s.slope * (lat["L"] - synthetic_truth().L_center)) for s in INDICATORS)
    np.testing.assert_allclose(resid, noise, atol=1e-12)


def test_truth_tables_match_independent_truth(run, true_on_index):
    tabs = truth_tables(run.res)
    med = tabs["mediation"].set_index("parameter")
    for k, v in true_on_index.mediation.items():
        assert med.loc[k, "true"] == pytest.approx(v, rel=1e-10), k
    mixed = tabs["mixed"]
    m3 = mixed[mixed["analysis"] == "mixed: M3 random slope"].set_index("parameter")
    for k, v in true_on_index.fixed.items():
        assert m3.loc[k, "true"] == pytest.approx(v, rel=1e-10), k
    assert tabs["kappa"]["kappa"].iloc[0] == pytest.approx(true_on_index.kappa, rel=1e-10)
    saved = pd.read_csv(run.out / "tables" / "mediation_truth.csv")
    np.testing.assert_allclose(saved["true"], tabs["mediation"]["true"], rtol=1e-12)


def test_estimates_recover_the_true_effects(run, model_data, true_on_index):
    # tolerance from the reported standard errors, not tuned: |estimate − true| < 4 SE
    direct = lmm(M3, model_data)
    for term, true in true_on_index.fixed.items():
        assert abs(direct.params[term] - true) < 4 * direct.bse[term], term
    med = mediation(model_data, x="S", m=["R", "info"], y="resilience", covariates=["year"], n_boot=499,
                    cluster="region", rng=20240101).table
    for key, true in true_on_index.mediation.items():
        assert abs(med.loc[key, "estimate"] - true) < 4 * med.loc[key, "se"], key
    # the total indirect effect is about 5 SE from 0 by design: its bootstrap interval excludes 0
    assert med.loc["total indirect", "ci_upper"] < 0


def test_truth_tables_only_for_synthetic_data():
    assert truth_tables(SimpleNamespace(config=SimpleNamespace(data=None))) == {}
    other = SimpleNamespace(config=SimpleNamespace(data=SimpleNamespace(dataset="munnell")))
    assert truth_tables(other) == {}
