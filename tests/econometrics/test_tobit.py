"""Tobit (pooled): published AER::tobit values, R sandwich/cluster SEs, derivatives, margins, errors.

Reference values are in ``tests/reference/tobit`` (README.md there gives the
sources); the Affairs data are read from ``../shared/data/reference`` and the
tests that need them are skipped when it is absent.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from regionkit.econometrics.results import RegressionResult
from regionkit.econometrics.tobit import (
    TobitResult,
    _censoring,
    _limits,
    _tobit_fun,
    tobit,
)
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "tobit"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reference"
AFFAIRS_TERMS = ["age", "yearsmarried", "religiousness", "occupation", "rating"]


@pytest.fixture(scope="module")
def affairs() -> pd.DataFrame:
    path = DATA / "Affairs.csv"
    if not path.is_file():
        pytest.skip(f"reference data not available: {path} (../shared/data/reference is absent)")
    return pd.read_csv(path)


def affairs_design(d: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    X = d[AFFAIRS_TERMS].astype(float)
    X.insert(0, "const", 1.0)
    return d["affairs"].astype(float), X


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    return pd.read_csv(REF / "affairs_aer.csv")


@pytest.fixture(scope="module")
def r_se() -> pd.DataFrame:
    return pd.read_csv(REF / "affairs_aer_se.csv")


def simulated(n: int = 300, seed: int = 11, lo: float | None = 0.0, hi: float | None = 1.0):
    """A two-regressor design with censoring at ``[lo, hi]`` (seeded)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"const": 1.0, "x1": rng.normal(size=n), "x2": rng.uniform(size=n)})
    ystar = 0.45 + 0.25 * X["x1"] - 0.2 * X["x2"] + rng.normal(scale=0.3, size=n)
    y = ystar.clip(lower=lo, upper=hi).rename("ccd")
    return y, X


# --------------------------------------------------------------------------
# published AER::tobit values
# --------------------------------------------------------------------------
def test_affairs_left_censored_matches_published_aer(affairs, published):
    y, X = affairs_design(affairs)
    fit = tobit(y, X, left=0.0, right=None)
    ref = published[published.model == "left0"].set_index("quantity")["value"]
    assert_allclose(fit.llf, ref["loglik"], rtol=1e-9)
    names = ["const", *AFFAIRS_TERMS, "sigma"]
    assert_allclose(fit.params[names].to_numpy(), ref[names].to_numpy(), rtol=1e-6)
    assert list(fit.params.index) == names  # sigma last
    assert fit.left == 0.0 and fit.right is None
    assert fit.result.stats["left-censored"] == 451
    assert fit.result.stats["uncensored"] == 150
    assert fit.result.stats["right-censored"] == 0


def test_affairs_two_limit_matches_published_aer(affairs, published):
    y, X = affairs_design(affairs)
    fit = tobit(y, X, left=0.0, right=4.0)
    ref = published.set_index(["model", "quantity"])["value"]
    assert_allclose(fit.llf, ref[("left0_right4", "loglik")], rtol=1e-9)
    assert fit.result.stats["right-censored"] == int((affairs["affairs"] >= 4).sum())


# --------------------------------------------------------------------------
# R fixtures: estimates and standard errors of AER / sandwich
# --------------------------------------------------------------------------
@pytest.mark.parametrize("model,right", [("left0", None), ("left0_right4", 4.0)])
def test_affairs_nonrobust_se_match_aer_vcov(affairs, r_se, model, right):
    y, X = affairs_design(affairs)
    fit = tobit(y, X, left=0.0, right=right)
    ref = r_se[r_se.model == model].set_index("term")
    lnames = ["const", *AFFAIRS_TERMS, "log_sigma"]
    est = np.concatenate([fit.params.iloc[:-1].to_numpy(), [fit.log_sigma]])
    assert_allclose(est, ref.loc[lnames, "estimate"], rtol=1e-7)
    assert_allclose(np.sqrt(np.diag(fit.cov_log)), ref.loc[lnames, "se"], rtol=1e-6)
    assert_allclose(fit.log_sigma_se, ref.loc["log_sigma", "se"], rtol=1e-6)
    # sigma and its delta-method SE
    assert_allclose(fit.params["sigma"], ref["scale"].iloc[0], rtol=1e-7)
    assert_allclose(fit.bse["sigma"], ref["se_scale_delta"].iloc[0], rtol=1e-6)
    assert_allclose(fit.result.llf, ref["loglik"].iloc[0], rtol=1e-10)


@pytest.mark.parametrize("model,right", [("left0", None), ("left0_right4", 4.0)])
def test_affairs_robust_se_match_sandwich_times_n_over_n_minus_1(affairs, r_se, model, right):
    y, X = affairs_design(affairs)
    fit = tobit(y, X, left=0.0, right=right, cov_type="robust")
    ref = r_se[r_se.model == model].set_index("term")
    lnames = ["const", *AFFAIRS_TERMS, "log_sigma"]
    se = np.sqrt(np.diag(fit.cov_log))
    assert_allclose(se, ref.loc[lnames, "se_robust_stata"], rtol=1e-6)
    n = len(y)
    assert_allclose(se, ref.loc[lnames, "se_sandwich_hc0"] * math.sqrt(n / (n - 1)), rtol=1e-6)
    assert fit.result.cov_type == "robust"


@pytest.mark.parametrize("model,right", [("left0", None), ("left0_right4", 4.0)])
def test_affairs_cluster_se_match_vcovcl_hc0_stata_factor(affairs, r_se, model, right):
    y, X = affairs_design(affairs)
    groups = affairs["occupation"].rename("occupation")
    fit = tobit(y, X, left=0.0, right=right, cov_type="cluster", groups=groups)
    ref = r_se[r_se.model == model].set_index("term")
    lnames = ["const", *AFFAIRS_TERMS, "log_sigma"]
    se = np.sqrt(np.diag(fit.cov_log))
    assert_allclose(se, ref.loc[lnames, "se_cluster_occupation_hc0"], rtol=1e-6)
    # vcovCL type="HC1" adds Stata's *regress* factor (n-1)/(n-k) — not used for Tobit
    n, k = len(y), X.shape[1] + 1
    assert_allclose(ref.loc[lnames, "se_cluster_occupation_hc1"] / se, math.sqrt((n - 1) / (n - k)),
                    rtol=1e-6)
    assert fit.result.cov_type == "cluster(occupation)"
    assert_allclose(fit.bse["sigma"], fit.params["sigma"] * se[-1], rtol=1e-12)


# --------------------------------------------------------------------------
# derivatives, statistics
# --------------------------------------------------------------------------
@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.0, None), (None, 1.0), (None, None)])
def test_analytic_gradient_and_hessian_match_finite_differences(lo, hi):
    y, X = simulated(lo=lo, hi=hi)
    a, b = _limits(lo, hi)
    cens = _censoring(y.to_numpy(), a, b, "ccd")
    fun = _tobit_fun(X.to_numpy(), y.to_numpy(), cens, a, b)
    theta = np.array([0.4, 0.2, -0.1, math.log(0.35)])
    f, g, H, scores = fun(theta, 2)
    eps = 1e-6
    num_g = np.empty(4)
    num_H = np.empty((4, 4))
    for j in range(4):
        e = np.zeros(4)
        e[j] = eps
        num_g[j] = (fun(theta + e, 0) - fun(theta - e, 0)) / (2 * eps)
        num_H[:, j] = (fun(theta + e, 2)[1] - fun(theta - e, 2)[1]) / (2 * eps)
    assert_allclose(g, num_g, rtol=1e-6, atol=1e-6)
    assert_allclose(H, num_H, rtol=1e-6, atol=1e-5)
    assert_allclose(scores.sum(axis=0), g, rtol=1e-12, atol=1e-10)


def test_gradient_is_zero_at_the_estimate():
    y, X = simulated()
    fit = tobit(y, X)
    a, b = _limits(0.0, 1.0)
    fun = _tobit_fun(X.to_numpy(), y.to_numpy(), _censoring(y.to_numpy(), a, b, "ccd"), a, b)
    theta = np.concatenate([fit.params.iloc[:-1].to_numpy(), [fit.log_sigma]])
    assert np.max(np.abs(fun(theta, 2)[1])) < 1e-8


def test_statistics_aic_bic_pseudo_r2_and_counts():
    y, X = simulated()
    fit = tobit(y, X)
    s = fit.result.stats
    n, k = len(y), X.shape[1] + 1
    assert_allclose(s["AIC"], -2 * fit.llf + 2 * k)
    assert_allclose(s["BIC"], -2 * fit.llf + k * math.log(n))
    null = tobit(y, X[["const"]])
    assert_allclose(s["log-likelihood (constant only)"], null.llf, rtol=1e-10)
    assert_allclose(s["pseudo R² (McFadden)"], 1 - fit.llf / null.llf, rtol=1e-10)
    assert s["left-censored"] == int((y <= 0).sum())
    assert s["right-censored"] == int((y >= 1).sum())
    assert s["left-censored"] + s["uncensored"] + s["right-censored"] == n
    assert isinstance(fit, TobitResult) and isinstance(fit.result, RegressionResult)
    assert fit.result.df_resid is None and fit.result.nobs == n
    assert "Tobit, censored at [0, 1]" in fit.summary()
    assert fit.to_frame().shape == (4, 6)


def test_no_censoring_is_ols_with_ml_variance():
    y, X = simulated(lo=None, hi=None)
    fit = tobit(y, X, left=None, right=None)
    beta, rss = np.linalg.lstsq(X.to_numpy(), y.to_numpy(), rcond=None)[:2]
    assert_allclose(fit.params.iloc[:-1].to_numpy(), beta, rtol=1e-9)
    assert_allclose(fit.params["sigma"], math.sqrt(rss[0] / len(y)), rtol=1e-9)
    assert fit.result.model == "Tobit, no censoring"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=st.floats(0.05, 20.0), shift=st.floats(-5.0, 5.0))
def test_affine_equivariance(scale, shift):
    """y → shift + scale·y with the limits moved alike: coefficients and σ follow."""
    y, X = simulated(n=200, seed=3)
    base = tobit(y, X)
    fit = tobit(shift + scale * y, X, left=shift, right=shift + scale)
    expect = base.params.copy() * scale
    expect["const"] += shift
    assert_allclose(fit.params.to_numpy(), expect.to_numpy(), rtol=1e-6, atol=1e-8 * scale)
    n_unc = base.result.stats["uncensored"]
    assert_allclose(fit.llf, base.llf - n_unc * math.log(scale), rtol=1e-8, atol=1e-7)
    assert_allclose(fit.bse.to_numpy(), base.bse.to_numpy() * scale, rtol=1e-5)


# --------------------------------------------------------------------------
# marginal effects
# --------------------------------------------------------------------------
def _expected_values(theta: np.ndarray, X: np.ndarray, a: float, b: float):
    """E[y] and E[y | a < y < b] of each observation (direct formulas)."""
    p = X.shape[1]
    xb = X @ theta[:p]
    s = math.exp(theta[p])
    za, zb = (a - xb) / s, (b - xb) / s
    Pa, Pb = stats.norm.cdf(za), stats.norm.cdf(zb)
    pa = np.where(np.isfinite(za), stats.norm.pdf(za), 0.0)
    pb = np.where(np.isfinite(zb), stats.norm.pdf(zb), 0.0)
    aa = a * Pa if np.isfinite(a) else 0.0
    bb = b * (1 - Pb) if np.isfinite(b) else 0.0
    cond = xb + s * (pa - pb) / (Pb - Pa)
    ey = aa + bb + (Pb - Pa) * cond
    return ey, cond


@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (0.0, None), (None, 1.0)])
@pytest.mark.parametrize("at", ["average", "means"])
def test_marginal_effects_are_derivatives_of_the_means(lo, hi, at):
    y, X = simulated(lo=lo, hi=hi)
    fit = tobit(y, X, left=lo, right=hi, margins=at)
    a, b = _limits(lo, hi)
    theta = np.concatenate([fit.params.iloc[:-1].to_numpy(), [fit.log_sigma]])
    Xv = X.to_numpy()
    if at == "means":
        Xv = Xv.mean(axis=0, keepdims=True)
    me = fit.margins["dy/dx"]
    for j, term in [(1, "x1"), (2, "x2")]:
        h = 1e-6
        Xp, Xm = Xv.copy(), Xv.copy()
        Xp[:, j] += h
        Xm[:, j] -= h
        ey_p, c_p = _expected_values(theta, Xp, a, b)
        ey_m, c_m = _expected_values(theta, Xm, a, b)
        assert_allclose(me[("E[y]", term)], np.mean(ey_p - ey_m) / (2 * h), rtol=1e-6)
        assert_allclose(me[("E[y|a<y<b]", term)], np.mean(c_p - c_m) / (2 * h), rtol=1e-6)
        assert me[("E[y*]", term)] == fit.params[term]
    # latent effects have the coefficient's standard error
    assert_allclose(fit.margins.loc["E[y*]", "std err"].to_numpy(), fit.bse[["x1", "x2"]].to_numpy())
    assert "const" not in fit.margins.index.get_level_values("term")
    assert fit.margins_at == at


def test_marginal_effect_se_agree_with_simulated_parameter_draws():
    """Delta-method SEs ≈ the spread of the effects over draws θ ~ N(θ̂, V) (seed 7)."""
    y, X = simulated(n=2000)
    g = pd.Series(np.arange(len(y)) % 40, index=y.index, name="region")
    plain = tobit(y, X)
    clus = tobit(y, X, cov_type="cluster", groups=g)
    assert_allclose(plain.margins["dy/dx"], clus.margins["dy/dx"])
    assert not np.allclose(plain.margins["std err"], clus.margins["std err"])
    theta = np.concatenate([plain.params.iloc[:-1].to_numpy(), [plain.log_sigma]])
    draws = np.random.default_rng(7).multivariate_normal(theta, plain.cov_log.to_numpy(), size=4000)
    Xv = X.to_numpy()
    ame = []
    for th in draws:
        xb = Xv @ th[:3]
        s = math.exp(th[3])
        share = np.mean(stats.norm.cdf((1 - xb) / s) - stats.norm.cdf(-xb / s))
        ame.append(th[1] * share)
    assert_allclose(np.std(ame), plain.margins.loc[("E[y]", "x1"), "std err"], rtol=0.05)


# --------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------
def test_collinear_columns_are_named():
    y, X = simulated()
    X = X.assign(x3=2 * X["x1"] - X["x2"])
    with pytest.raises(InputError, match=r"'x3' is a linear combination of 'x1', 'x2'"):
        tobit(y, X)
    X2 = X.drop(columns="x3").assign(c5=5.0)
    with pytest.raises(InputError, match=r"'c5' is a linear combination of 'const'"):
        tobit(y, X2)


def test_all_censored_is_an_error():
    y, X = simulated()
    with pytest.raises(InputError, match="all 300 observations are censored"):
        tobit(y.clip(upper=0.0), X)


def test_non_finite_values_name_variable_and_row():
    y, X = simulated()
    y2 = y.copy()
    y2.iloc[7] = np.nan
    with pytest.raises(InputError, match=r"y \('ccd'\).*row\(s\) 7"):
        tobit(y2, X)
    X2 = X.copy()
    X2.loc[12, "x2"] = np.inf
    with pytest.raises(InputError, match=r"X: .*\(12, x2\)"):
        tobit(y, X2)


@pytest.mark.parametrize("lo,hi", [(1.0, 1.0), (2.0, 1.0), (0.5, 0.0)])
def test_lower_limit_not_below_upper_is_an_error(lo, hi):
    y, X = simulated()
    with pytest.raises(InputError, match="must be below"):
        tobit(y, X, left=lo, right=hi)


def test_option_and_grouping_errors():
    y, X = simulated()
    with pytest.raises(InputError, match="cov_type='hc3' is not allowed"):
        tobit(y, X, cov_type="hc3")
    with pytest.raises(InputError, match="margins='median' is not allowed"):
        tobit(y, X, margins="median")
    with pytest.raises(InputError, match="needs groups"):
        tobit(y, X, cov_type="cluster")
    g = pd.Series(np.arange(len(y)) % 5, index=y.index)
    with pytest.raises(InputError, match="only with cov_type='cluster'"):
        tobit(y, X, groups=g)
    with pytest.raises(InputError, match="missing label"):
        tobit(y, X, cov_type="cluster", groups=g.where(g != 3))
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        tobit(y, X.to_numpy())
    with pytest.raises(InputError, match="same index"):
        tobit(y.set_axis(y.index + 1), X)
    with pytest.raises(InputError, match="left='0'"):
        tobit(y, X, left="0")
    with pytest.raises(InputError, match="non-numeric"):
        tobit(y, X.assign(name="a"))
