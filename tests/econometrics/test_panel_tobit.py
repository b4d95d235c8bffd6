"""Panel Tobit: censReg / lme4 references, quadrature, derivatives, simulations, FE, Mundlak.

Published values are in ``tests/reference/tobit`` (README.md there gives the
sources); the data are read from ``../shared/data/reference`` and the tests that
need them are skipped when it is absent.  Simulations use the seeds written in
each test.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import integrate, stats

from regionkit.econometrics.panel_tobit import (
    FE_NOTE,
    FixedEffectsTobitResult,
    MundlakTobitResult,
    QuadratureWarning,
    RandomEffectsTobitResult,
    _panel,
    _RELikelihood,
    fixed_effects_tobit,
    mundlak_tobit,
    random_effects_tobit,
)
from regionkit.econometrics.results import RegressionResult
from regionkit.econometrics.tobit import _obs_terms, tobit
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "tobit"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reference"


def _read(name: str) -> pd.DataFrame:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"reference data not available: {path} (../shared/data/reference is absent)")
    return pd.read_csv(path)


@pytest.fixture(scope="module")
def censreg_panel():
    d = _read("censReg_vignette_panel.csv")
    X = d[["x1", "x2"]].astype(float)
    X.insert(0, "const", 1.0)
    return d["y"].astype(float), X, d["id"]


@pytest.fixture(scope="module")
def sleepstudy():
    d = _read("sleepstudy.csv")
    X = pd.DataFrame({"const": 1.0, "Days": d["Days"].astype(float)})
    return d["Reaction"].astype(float), X, d["Subject"].rename("Subject")


@pytest.fixture(scope="module")
def censreg_published() -> pd.Series:
    return pd.read_csv(REF / "censreg_panel_published.csv").set_index(["model", "quantity"])["value"]


def simulate_panel(n_groups=30, n_periods=10, seed=2024, beta=(0.5, 0.2, -0.15), su=0.15, se=0.2,
                   corr=0.0):
    """Two-limit [0, 1] panel: y* = b0 + b1 x1 + b2 x2 + u_i + e_it; x1 may load on u_i."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), n_periods)
    u = rng.normal(scale=su, size=n_groups)
    x1 = rng.normal(size=g.size) + corr * u[g] / su
    x2 = rng.uniform(-1, 1, size=g.size)
    ystar = beta[0] + beta[1] * x1 + beta[2] * x2 + u[g] + rng.normal(scale=se, size=g.size)
    y = pd.Series(np.clip(ystar, 0.0, 1.0), name="ccd")
    X = pd.DataFrame({"const": 1.0, "x1": x1, "x2": x2})
    groups = pd.Series([f"R{i:02d}" for i in g], name="region")
    return y, X, groups


# --------------------------------------------------------------------------
# censReg vignette panel (published values)
# --------------------------------------------------------------------------
def test_nonadaptive_8_points_reproduces_censreg(censreg_panel, censreg_published):
    y, X, g = censreg_panel
    fit = random_effects_tobit(y, X, g, left=0.0, right=None, quadrature="gauss-hermite",
                               points=8, check_quadrature=False)
    ref = censreg_published["gauss-hermite-8"]
    assert abs(fit.llf - ref["loglik"]) < 1e-5
    assert_allclose(fit.llf, ref["loglik"], rtol=1e-10)
    assert_allclose(fit.params[["const", "x1", "x2"]].to_numpy(),
                    ref[["const", "x1", "x2"]].to_numpy(), rtol=1e-5)
    assert_allclose(fit.log_sigma["coef"].to_numpy(),
                    ref[["log_sigma_u", "log_sigma_e"]].to_numpy(), rtol=1e-5)
    assert_allclose(fit.params[["sigma_u", "sigma_e"]].to_numpy(),
                    np.exp(ref[["log_sigma_u", "log_sigma_e"]].to_numpy()), rtol=1e-5)
    assert fit.result.stats["left-censored"] == int((y <= 0).sum())
    assert fit.n_groups == 15 and fit.result.nobs == 60


def test_nonadaptive_likelihood_at_published_censreg_estimates(censreg_panel, censreg_published):
    """Our 8-point likelihood evaluated at censReg's estimates equals its log-likelihood."""
    y, X, g = censreg_panel
    ref = censreg_published["gauss-hermite-8"]
    panel, _ = _panel(y, X, g, 0.0, None)
    lik = _RELikelihood(panel, 8, adaptive=False)
    theta = ref[["const", "x1", "x2", "log_sigma_u", "log_sigma_e"]].to_numpy()
    assert_allclose(lik(theta, 0), ref["loglik"], rtol=0, atol=1e-9)


def test_adaptive_12_points_reaches_reference_loglik(censreg_panel, censreg_published):
    y, X, g = censreg_panel
    with warnings.catch_warnings():
        warnings.simplefilter("error", QuadratureWarning)  # adaptive: stable in the points
        fit = random_effects_tobit(y, X, g, left=0.0, right=None)
    target = censreg_published[("adaptive-12", "loglik")]
    assert fit.llf >= target - 1e-4
    assert abs(fit.llf - target) < 1e-4
    assert fit.quadrature == "adaptive" and fit.points == 12
    qc = fit.quadrature_check
    assert list(qc.columns) == ["8 points", "12 points", "16 points", "max abs diff", "max rel diff"]
    assert list(qc.index) == ["log-likelihood", "const", "x1", "x2", "sigma_u", "sigma_e"]
    assert qc.loc[["const", "x1", "x2"], "max rel diff"].max() < 1e-5


def test_adaptive_likelihood_equals_numerical_integration(censreg_panel):
    """The adaptive quadrature log-likelihood agrees with scipy.integrate.quad per group."""
    y, X, g = censreg_panel
    fit = random_effects_tobit(y, X, g, left=0.0, right=None, check_quadrature=False)
    b = fit.params[["const", "x1", "x2"]].to_numpy()
    su, se = fit.params["sigma_u"], fit.params["sigma_e"]
    yv, Xv = y.to_numpy(), X.to_numpy()
    cens = (yv <= 0).astype(np.int8)
    total = 0.0
    for label in pd.unique(g):
        m = (g == label).to_numpy()

        def integrand(u, m=m):
            ll = _obs_terms(yv[m], cens[m], 0.0, math.inf, Xv[m] @ b + u, math.log(se), 0)[0]
            return math.exp(ll.sum()) * stats.norm.pdf(u, scale=su)

        total += math.log(integrate.quad(integrand, -12 * su, 12 * su, epsabs=0, epsrel=1e-12,
                                         limit=200)[0])
    assert_allclose(fit.llf, total, rtol=0, atol=1e-7)


def test_nonadaptive_8_points_triggers_quadrature_warning(censreg_panel):
    y, X, g = censreg_panel
    with pytest.warns(QuadratureWarning, match="move by more than 1%"):
        fit = random_effects_tobit(y, X, g, left=0.0, right=None, quadrature="gauss-hermite",
                                   points=8)
    qc = fit.quadrature_check
    assert list(qc.columns[:3]) == ["4 points", "8 points", "12 points"]
    assert any("quadrature" in n for n in fit.result.notes)


# --------------------------------------------------------------------------
# lme4 (no censoring)
# --------------------------------------------------------------------------
def test_no_censoring_equals_lme4_ml_random_intercept(sleepstudy):
    y, X, g = sleepstudy
    fit = random_effects_tobit(y, X, g, left=None, right=None)
    published = pd.read_csv(REF / "sleepstudy_lme4_published.csv").set_index("quantity")["value"]
    assert abs(fit.llf - published["loglik"]) < 1e-6
    lme = pd.read_csv(REF / "sleepstudy_lme4_fit.csv").set_index("quantity")["value"]
    assert_allclose(fit.params[["const", "Days", "sigma_u", "sigma_e"]].to_numpy(),
                    lme[["const", "Days", "sigma_u", "sigma_e"]].to_numpy(), rtol=1e-6)
    assert_allclose(fit.bse[["const", "Days"]].to_numpy(),
                    lme[["se_const", "se_Days"]].to_numpy(), rtol=1e-6)
    assert fit.result.model.startswith("Random-effects Tobit, no censoring")


# --------------------------------------------------------------------------
# derivatives
# --------------------------------------------------------------------------
@pytest.mark.parametrize("adaptive", [True, False])
def test_re_gradient_and_hessian_match_finite_differences(adaptive):
    y, X, g = simulate_panel(n_groups=12, n_periods=6, seed=5)
    panel, _ = _panel(y, X, g, 0.0, 1.0)
    lik = _RELikelihood(panel, 10, adaptive=adaptive)
    theta = np.array([0.45, 0.25, -0.1, math.log(0.2), math.log(0.25)])
    lik.adapt(theta)  # nodes fixed from here on
    f, grad, H, Gi = lik(theta, 2)
    eps = 1e-6
    num_g, num_H = np.empty(5), np.empty((5, 5))
    for j in range(5):
        e = np.zeros(5)
        e[j] = eps
        num_g[j] = (lik(theta + e, 0) - lik(theta - e, 0)) / (2 * eps)
        num_H[:, j] = (lik(theta + e, 2)[1] - lik(theta - e, 2)[1]) / (2 * eps)
    assert_allclose(grad, num_g, rtol=1e-6, atol=1e-6)
    assert_allclose(H, num_H, rtol=1e-5, atol=1e-5)
    assert_allclose(Gi.sum(axis=0), grad, rtol=1e-12, atol=1e-12)


def test_adaptive_nodes_sit_at_the_modes():
    y, X, g = simulate_panel(n_groups=8, n_periods=5, seed=9)
    panel, _ = _panel(y, X, g, 0.0, 1.0)
    lik = _RELikelihood(panel, 12, adaptive=True)
    theta = np.array([0.5, 0.2, -0.1, math.log(0.15), math.log(0.2)])
    lik.adapt(theta)
    xb = panel.X @ theta[:3]

    def h(u):  # each group's log-integrand in u
        t = _obs_terms(panel.y, panel.cens, 0.0, 1.0, xb + u[panel.codes], theta[4], 0)[0]
        return panel.gsum(t) - 0.5 * u**2 / 0.15**2

    d = 1e-5
    deriv = (h(lik.mu + d) - h(lik.mu - d)) / (2 * d)
    curv = (h(lik.mu + d) - 2 * h(lik.mu) + h(lik.mu - d)) / d**2
    assert np.max(np.abs(deriv)) < 1e-5
    assert_allclose(lik.s, 1 / np.sqrt(-curv), rtol=1e-4)


# --------------------------------------------------------------------------
# simulation: parameter recovery, LR test, rho
# --------------------------------------------------------------------------
def test_re_tobit_recovers_known_parameters_two_limit_panel():
    """30 groups × 10 periods, censored at [0, 1], seed 2024: truth within 3 SE."""
    y, X, g = simulate_panel(n_groups=30, n_periods=10, seed=2024)
    assert 0 < (y <= 0).sum() and 0 < (y >= 1).sum()
    fit = random_effects_tobit(y, X, g)
    truth = pd.Series({"const": 0.5, "x1": 0.2, "x2": -0.15, "sigma_u": 0.15, "sigma_e": 0.2})
    z = (fit.params[truth.index] - truth) / fit.bse[truth.index]
    assert np.all(np.abs(z) < 3), z
    assert isinstance(fit, RandomEffectsTobitResult) and isinstance(fit.result, RegressionResult)
    assert fit.converged


def test_lr_test_rho_and_log_sigma():
    y, X, g = simulate_panel(seed=31)
    fit = random_effects_tobit(y, X, g, check_quadrature=False)
    pooled = tobit(y, X)
    assert_allclose(fit.llf_pooled, pooled.llf, rtol=1e-12)
    lr = 2 * (fit.llf - pooled.llf)
    assert_allclose(fit.lr_test.statistic, lr)
    assert_allclose(fit.lr_test.pvalue, 0.5 * stats.chi2.sf(lr, 1))
    assert fit.lr_test.distribution == "chibar2(01)"
    su, se = fit.params["sigma_u"], fit.params["sigma_e"]
    assert_allclose(fit.rho, su**2 / (su**2 + se**2))
    # delta method: d rho / d log sigma_u = 2 rho (1 - rho) = - d rho / d log sigma_e
    j = np.array([1.0, -1.0]) * 2 * fit.rho * (1 - fit.rho)
    V = fit.cov_log.loc[["log_sigma_u", "log_sigma_e"], ["log_sigma_u", "log_sigma_e"]].to_numpy()
    assert_allclose(fit.rho_se, math.sqrt(j @ V @ j))
    assert_allclose(np.log(fit.params[["sigma_u", "sigma_e"]].to_numpy()), fit.log_sigma["coef"])
    assert_allclose(fit.bse["sigma_u"], su * fit.log_sigma.loc["log_sigma_u", "std err"])
    assert list(fit.params.index) == ["const", "x1", "x2", "sigma_u", "sigma_e"]
    text = fit.summary()
    assert "rho" in text and "LR test of sigma_u = 0" in text


def test_no_group_effect_gives_small_lr_statistic():
    y, X, g = simulate_panel(seed=77, su=1e-9)
    fit = random_effects_tobit(y, X, g, check_quadrature=False)
    assert fit.lr_test.statistic < 3.84
    assert fit.lr_test.pvalue > 0.025


def test_sigma_u_at_the_boundary_gives_the_pooled_tobit():
    """No group effect (seed 2): the likelihood is largest at σu = 0."""
    y, X, g = simulate_panel(seed=2, su=1e-12)
    with pytest.warns(RuntimeWarning, match="boundary 0"):
        fit = random_effects_tobit(y, X, g)
    pooled = tobit(y, X)
    assert fit.params["sigma_u"] == 0.0 and np.isnan(fit.bse["sigma_u"])
    assert_allclose(fit.params[["const", "x1", "x2"]], pooled.params[["const", "x1", "x2"]])
    assert_allclose(fit.params["sigma_e"], pooled.params["sigma"])
    assert_allclose(fit.bse[["const", "x1", "x2", "sigma_e"]].to_numpy(), pooled.bse.to_numpy())
    assert_allclose(fit.llf, pooled.llf, rtol=1e-12)
    assert fit.lr_test.statistic == 0.0 and fit.lr_test.pvalue == 1.0
    assert fit.rho == 0.0 and fit.quadrature_check is None


def test_adaptive_likelihood_two_limit_unbalanced_equals_numerical_integration():
    y, X, g = simulate_panel(n_groups=12, n_periods=7, seed=44, su=0.3, se=0.15)
    keep = np.random.default_rng(44).uniform(size=len(y)) > 0.3  # unbalanced
    y, X, g = y[keep], X[keep], g[keep]
    assert (y <= 0).any() and (y >= 1).any()
    panel, _ = _panel(y, X, g, 0.0, 1.0)
    theta = np.array([0.5, 0.2, -0.1, math.log(0.3), math.log(0.15)])
    total = 0.0
    for i in range(panel.n_groups):
        sl = slice(panel.starts[i], panel.starts[i] + panel.sizes[i])

        def integrand(u, sl=sl):
            ll = _obs_terms(panel.y[sl], panel.cens[sl], 0.0, 1.0, panel.X[sl] @ theta[:3] + u,
                            theta[4], 0)[0]
            return math.exp(ll.sum()) * stats.norm.pdf(u, scale=0.3)

        total += math.log(integrate.quad(integrand, -4, 4, epsabs=0, epsrel=1e-12, limit=500)[0])
    # the quadrature error falls with the points: 12 points within 1e-4, 40 points exact
    for points, atol in [(12, 1e-4), (40, 1e-9)]:
        lik = _RELikelihood(panel, points, adaptive=True)
        lik.adapt(theta)
        assert_allclose(lik(theta, 0), total, rtol=0, atol=atol)


# --------------------------------------------------------------------------
# fixed effects (dummy variables)
# --------------------------------------------------------------------------
def test_fixed_effects_without_censoring_is_the_within_estimator():
    y, X, g = simulate_panel(n_groups=25, n_periods=6, seed=4)
    rng = np.random.default_rng(1004)  # an uncensored outcome
    ystar = pd.Series(X["x1"] * 0.2 + rng.normal(size=len(y)), name="y")
    fit = fixed_effects_tobit(ystar, X, g, left=None, right=None)
    codes = pd.factorize(g)[0]
    Xw = X[["x1", "x2"]].to_numpy() - X[["x1", "x2"]].groupby(codes).transform("mean").to_numpy()
    yw = ystar.to_numpy() - ystar.groupby(codes).transform("mean").to_numpy()
    beta, rss = np.linalg.lstsq(Xw, yw, rcond=None)[:2]
    assert_allclose(fit.params[["x1", "x2"]].to_numpy(), beta, rtol=1e-8)
    assert_allclose(fit.params["sigma"], math.sqrt(rss[0] / len(y)), rtol=1e-8)  # ML: RSS / NT
    # observed information of the dummy-variable ML fit: cov(β) = σ̂² (X_w'X_w)⁻¹
    cov = rss[0] / len(y) * np.linalg.inv(Xw.T @ Xw)
    assert_allclose(fit.result.cov.loc[["x1", "x2"], ["x1", "x2"]].to_numpy(), cov, rtol=1e-7)
    assert "const" not in fit.params.index
    assert fit.result.notes[0] == FE_NOTE
    assert isinstance(fit, FixedEffectsTobitResult) and len(fit.effects) == 25


def test_fixed_effects_small_t_bias_sigma_down_slopes_nearly_unbiased():
    """200 groups × 3 periods, [0, 1] censoring, seeds 100..104, truth β = 0.3, σ = 0.2.

    Incidental parameters (Greene 2004): σ̂ is biased downward (here by ~20 %, the
    linear-model factor √(2/3) would give 18 %), the slope is nearly unbiased.
    """
    betas, sigmas = [], []
    for seed in range(100, 105):
        y, X, g = simulate_panel(n_groups=200, n_periods=3, seed=seed, beta=(0.5, 0.3, 0.0),
                                 su=0.2, se=0.2, corr=0.5)
        fit = fixed_effects_tobit(y, X[["const", "x1"]], g)
        betas.append(fit.params["x1"])
        sigmas.append(fit.params["sigma"])
    sigma_bias = np.mean(sigmas) / 0.2 - 1
    slope_bias = np.mean(betas) / 0.3 - 1
    assert sigma_bias < -0.1  # σ biased downward
    assert abs(slope_bias) < 0.05  # slopes nearly unbiased
    assert abs(slope_bias) < abs(sigma_bias) / 3


def test_fixed_effects_errors_and_dropped_groups():
    y, X, g = simulate_panel(n_groups=20, n_periods=5, seed=8)
    region_size = pd.Series(g.str[1:].astype(int) * 1.0, index=g.index)
    with pytest.raises(InputError, match=r"'size' constant within every group \('region'\)"):
        fixed_effects_tobit(y, X.assign(size=region_size), g)
    # a group censored at 0 in all periods is dropped
    y2 = y.copy()
    y2[g == "R03"] = 0.0
    fit = fixed_effects_tobit(y2, X, g)
    assert fit.dropped_groups == ("R03",)
    assert "R03" not in fit.effects.index
    assert fit.result.stats["groups dropped"] == 1
    with pytest.raises(InputError, match="'x3' is a linear combination"):
        fixed_effects_tobit(y, X.assign(x3=X["x1"] + 2 * X["x2"]), g)


# --------------------------------------------------------------------------
# Mundlak
# --------------------------------------------------------------------------
def test_mundlak_linear_balanced_equals_within_slopes_and_wald():
    """Without censoring on a balanced panel the Mundlak slopes are the within estimates."""
    y, X, g = simulate_panel(n_groups=25, n_periods=6, seed=12)
    rng = np.random.default_rng(1012)
    u = rng.normal(size=25)[pd.factorize(g)[0]]
    ylin = pd.Series(0.2 * X["x1"] - 0.1 * X["x2"] + u + rng.normal(size=len(y)), name="y")
    fit = mundlak_tobit(ylin, X, g, left=None, right=None, check_quadrature=False)
    fe = fixed_effects_tobit(ylin, X, g, left=None, right=None)
    assert_allclose(fit.params[["x1", "x2"]].to_numpy(), fe.params[["x1", "x2"]].to_numpy(),
                    rtol=1e-6)
    b = fit.params[["mean(x1)", "mean(x2)"]].to_numpy()
    V = fit.result.cov.loc[["mean(x1)", "mean(x2)"], ["mean(x1)", "mean(x2)"]].to_numpy()
    w = b @ np.linalg.solve(V, b)
    assert_allclose(fit.wald.statistic, w)
    assert fit.wald.df == 2
    assert_allclose(fit.wald.pvalue, stats.chi2.sf(w, 2))
    assert fit.mean_terms == ("mean(x1)", "mean(x2)")
    assert isinstance(fit, MundlakTobitResult)


def test_mundlak_detects_correlated_effects_and_skips_time_invariant_columns():
    y, X, g = simulate_panel(n_groups=60, n_periods=8, seed=21, corr=0.8)
    region_size = pd.Series(g.str[1:].astype(int) / 60.0, index=g.index)
    fit = mundlak_tobit(y, X.assign(size=region_size), g, check_quadrature=False)
    assert fit.mean_terms == ("mean(x1)", "mean(x2)")
    assert fit.wald.pvalue < 0.01
    y0, X0, g0 = simulate_panel(n_groups=60, n_periods=8, seed=21, corr=0.0)
    fit0 = mundlak_tobit(y0, X0, g0, check_quadrature=False)
    assert fit0.wald.pvalue > 0.01
    assert "Wald test" in fit.summary()


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def test_panel_input_errors():
    y, X, g = simulate_panel(n_groups=10, n_periods=4, seed=1)
    with pytest.raises(InputError, match="quadrature='laplace' is not allowed"):
        random_effects_tobit(y, X, g, quadrature="laplace")
    with pytest.raises(InputError, match="points=0"):
        random_effects_tobit(y, X, g, points=0)
    with pytest.raises(InputError, match="missing label"):
        random_effects_tobit(y, X, g.where(g != "R02"))
    with pytest.raises(InputError, match="must be below"):
        random_effects_tobit(y, X, g, left=1.0, right=0.0)
    with pytest.raises(InputError, match="all 40 observations are censored"):
        random_effects_tobit(y.clip(upper=0.0), X, g)
    with pytest.raises(InputError, match="'x3' is a linear combination of 'x1'"):
        random_effects_tobit(y, X.assign(x3=3 * X["x1"]), g)
    y2 = y.copy()
    y2.iloc[5] = np.inf
    with pytest.raises(InputError, match=r"y \('ccd'\).*row\(s\) 5"):
        random_effects_tobit(y2, X, g)
    with pytest.raises(InputError, match="no column varies within groups"):
        mundlak_tobit(y, X[["const"]], g)
    with pytest.raises(InputError, match="groups"):
        fixed_effects_tobit(y, X, None)
