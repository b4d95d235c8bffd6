"""Linear mixed models (lmm, compare_models): lme4 / lmerTest / performance values, properties, errors.

Reference values are in ``tests/reference/lme4`` (README.md there gives the
sources; ``make_reference.R`` made them with R lme4 1.1-31, lmerTest 3.1-3 and
performance 0.10.2).  sleepstudy is read from ``../shared/data/reference``;
the tests that need it are skipped when it is absent.  No R is needed here.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from regionkit.econometrics.mixed import (
    MixedFixedEffects,
    MixedResult,
    ModelComparison,
    ResidualDiagnostics,
    SingularFitWarning,
    _build,
    _fit,
    _pls,
    _profiled_deviance,
    compare_models,
    lmm,
)
from regionkit.econometrics.results import RegressionResult
from regionkit.econometrics.tables import regression_table
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "lme4"
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "reference"
SLEEP = "Reaction ~ Days + (Days | Subject)"


# ====================================================================== fixtures
def _sleepstudy() -> pd.DataFrame:
    path = DATA / "sleepstudy.csv"
    if not path.is_file():
        pytest.skip(f"reference data not available: {path} (../shared/data/reference is absent)")
    return pd.read_csv(path)


def _data(name: str) -> pd.DataFrame:
    if name == "sleepstudy":
        return _sleepstudy()
    if name == "penicillin":
        return pd.read_csv(REF / "penicillin.csv")
    if name == "panel":
        return pd.read_csv(REF / "panel.csv")
    raise KeyError(name)


_STATS = pd.read_csv(REF / "lme4_model_stats.csv").set_index("model")
MODELS = list(_STATS.index)
_FITS: dict[str, MixedResult] = {}


def fitted(model: str) -> MixedResult:
    """The regionkit fit of one reference model (cached for the session)."""
    if model not in _FITS:
        row = _STATS.loc[model]
        _FITS[model] = lmm(row["formula"], _data(row["data"]), method=row["method"])
    return _FITS[model]


@pytest.fixture(scope="module")
def fixef() -> pd.DataFrame:
    f = pd.read_csv(REF / "lme4_fixef.csv")
    f["term"] = f["term"].replace({"(Intercept)": "const"})
    return f


@pytest.fixture(scope="module")
def varcorr() -> pd.DataFrame:
    return pd.read_csv(REF / "lme4_varcorr.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def published() -> pd.Series:
    p = pd.read_csv(REF / "sleepstudy_published.csv")
    return p.set_index(["model", "quantity"])["value"]


def _group_key(name: str) -> frozenset:
    """lme4 names 'city:region' and 'Subject.1'; regionkit 'region:city' and 'Subject'."""
    return frozenset(part.split(".")[0] for part in name.split(":"))


def _term(name: str) -> str:
    return {"(Intercept)": "const", "NA": ""}.get(name, name)


def _vc_table(vc: pd.DataFrame) -> dict:
    return {(_group_key(g), t1, t2): v for g, t1, t2, v in zip(vc["group"], vc["term1"], vc["term2"], vc["vcov"], strict=True)}


def _lme4_vc_table(ref: pd.DataFrame) -> dict:
    return {(_group_key(g), _term(a), _term(b)): float(v)
            for g, a, b, v in zip(ref["grp"], ref["var1"], ref["var2"], ref["vcov"], strict=True)}


def _toy(seed: int = 3, n_groups: int = 12, per: int = 6, sd_u: float = 1.0) -> pd.DataFrame:
    """Groups g (n_groups × per rows), a crossed factor h (per levels), subgroups s of g (pairs)."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per)
    h = np.tile(np.arange(per), n_groups)
    x = rng.normal(size=n_groups * per)
    y = (1.0 + 0.5 * x + sd_u * rng.normal(size=n_groups)[g] + 0.7 * rng.normal(size=per)[h]
         + 0.6 * rng.normal(size=n_groups * 4)[4 * g + h // 2] + 0.5 * rng.normal(size=n_groups * per))
    return pd.DataFrame({"y": y, "x": x, "g": [f"G{i:02d}" for i in g], "h": h, "s": h // 2})


# ====================================================================== published sleepstudy values
def test_sleepstudy_reml_matches_published_lme4(published):
    fit = lmm(SLEEP, _sleepstudy())
    ref = published.loc["REML"]
    assert fit.method == "REML"
    assert abs(fit.llf - ref["loglik"]) < 1e-5
    assert_allclose(fit.params[["const", "Days"]], [ref["fixef_const"], ref["fixef_Days"]], rtol=1e-5)
    assert_allclose(fit.bse[["const", "Days"]], [ref["se_const"], ref["se_Days"]], rtol=1e-5)
    vc = fit.variance_components
    assert list(vc["group"]) == ["Subject", "Subject", "Subject", "Residual"]
    assert list(vc["term1"]) == ["const", "Days", "const", ""]
    assert list(vc["term2"]) == ["", "", "Days", ""]
    assert_allclose(vc["vcov"], [ref["var_Subject_const"], ref["var_Subject_Days"],
                                 ref["cov_Subject_const_Days"], ref["var_Residual"]], rtol=1e-3)
    assert_allclose(vc["std_dev"].iloc[[0, 1, 3]], np.sqrt(vc["vcov"].iloc[[0, 1, 3]]))
    assert_allclose(vc["correlation"].iloc[2], 0.065551238238, rtol=1e-3)
    assert fit.k == 6 and fit.nobs == 180 and not fit.singular and fit.converged
    assert fit.ngroups == {"Subject": 18}


def test_sleepstudy_ml_matches_published_lme4(published):
    fit = lmm(SLEEP, _sleepstudy(), method="ML")
    ref = published.loc["ML"]
    assert abs(fit.llf - ref["loglik"]) < 1e-5
    assert abs(fit.aic - ref["aic"]) < 2e-5
    assert fit.aic == pytest.approx(-2 * fit.llf + 2 * 6)
    assert fit.bic == pytest.approx(-2 * fit.llf + 6 * math.log(180))
    assert fit.aicc == pytest.approx(fit.aic + 2 * 6 * 7 / (180 - 6 - 1))


def test_sleepstudy_r2_nakagawa_matches_published_performance(published):
    fit = lmm(SLEEP, _sleepstudy())
    ref = published.loc["REML"]
    assert fit.r2_marginal == pytest.approx(ref["r2_marginal"], abs=1e-5)
    assert fit.r2_conditional == pytest.approx(ref["r2_conditional"], abs=1e-5)


def test_sleepstudy_theta_matches_lme4():
    theta = pd.read_csv(REF / "lme4_theta.csv")
    ref = theta.loc[theta["model"] == "sleep_reml", "theta"].to_numpy()
    fit = lmm(SLEEP, _sleepstudy(), df_method="none")
    assert list(fit.theta.index) == ["Subject.const", "Subject.Days.const", "Subject.Days"]
    assert_allclose(fit.theta.to_numpy(), ref, rtol=1e-3)


# ====================================================================== lme4 / lmerTest / performance fixtures
@pytest.mark.parametrize("model", MODELS)
def test_likelihood_and_information_criteria_match_lme4(model):
    fit, ref = fitted(model), _STATS.loc[model]
    assert fit.method == ref["method"]
    assert fit.nobs == ref["nobs"] and fit.k == ref["k"]
    assert abs(fit.llf - ref["loglik"]) < 1e-5
    assert abs(fit.aic - ref["aic"]) < 2e-5
    assert abs(fit.bic - ref["bic"]) < 2e-5
    assert fit.sigma == pytest.approx(ref["sigma"], rel=1e-4)
    assert fit.singular == bool(ref["singular"])


@pytest.mark.parametrize("model", MODELS)
def test_fixed_effects_se_and_satterthwaite_df_match_lmertest(model, fixef):
    fit = fitted(model)
    ref = fixef[fixef["model"] == model].set_index("term")
    assert list(fit.params.index) == list(ref.index)
    assert_allclose(fit.params, ref["estimate"], rtol=1e-5, atol=1e-9)
    assert_allclose(fit.bse, ref["se"], rtol=1e-4)
    assert_allclose(fit.df, ref["df"], rtol=1e-3)
    table = fit.to_frame()
    assert_allclose(table["t"], ref["t"], rtol=1e-4)
    assert_allclose(np.log(table["p"]), np.log(ref["p"]), atol=1e-2)  # p within 1 %
    assert fit.df_method == "satterthwaite"


@pytest.mark.parametrize("model", MODELS)
def test_variance_components_match_lme4(model, varcorr):
    fit = fitted(model)
    ours = _vc_table(fit.variance_components)
    ref = _lme4_vc_table(varcorr[varcorr["model"] == model])
    assert set(ours) == set(ref)
    scale = max(abs(v) for v in ref.values())
    for key, value in ref.items():
        assert ours[key] == pytest.approx(value, rel=1e-3, abs=1e-6 * scale), key


@pytest.mark.parametrize("model", [m for m in MODELS if m != "sleep_uncorr"])
def test_r2_and_icc_match_performance(model):
    fit, ref = fitted(model), _STATS.loc[model]
    assert fit.r2_marginal == pytest.approx(ref["r2_marginal"], abs=1e-4)
    assert fit.r2_conditional == pytest.approx(ref["r2_conditional"], abs=1e-4)
    assert fit.icc == pytest.approx(ref["icc_adjusted"], abs=1e-4)
    assert fit.icc_unadjusted == pytest.approx(ref["icc_unadjusted"], abs=1e-4)


def test_uncorrelated_slopes_r2_includes_the_slope_variance_unlike_performance():
    """performance 0.10.2 drops the '||' slope term (README); regionkit follows Johnson (2014)."""
    fit, ref = fitted("sleep_uncorr"), _STATS.loc["sleep_uncorr"]
    vc = fit.variance_components.set_index(["group", "term1"])["vcov"]
    days = _sleepstudy()["Days"].to_numpy(dtype=float)
    var_f = np.var(fit.params["const"] + fit.params["Days"] * days, ddof=1)
    s_int, s_days, s2 = vc[("Subject", "const")], vc[("Subject", "Days")], vc[("Residual", "")]
    var_r = s_int + s_days * np.mean(days**2)
    assert fit.r2_marginal == pytest.approx(var_f / (var_f + var_r + s2), rel=1e-10)
    assert fit.r2_conditional == pytest.approx((var_f + var_r) / (var_f + var_r + s2), rel=1e-10)
    assert var_f / (var_f + s_int + s2) == pytest.approx(ref["r2_marginal"], abs=1e-4)  # performance's value


@pytest.mark.parametrize("model", ["sleep_reml", "pen_reml", "panel_nested", "panel_slope"])
def test_blups_match_lme4_ranef(model):
    if model.startswith("sleep"):
        _sleepstudy()
    ref = pd.read_csv(REF / "lme4_ranef.csv", keep_default_na=False)
    ref = ref[ref["model"] == model]
    fit = fitted(model)
    ours = {}
    for group, frame in fit.ranef.items():
        for level, row in frame.iterrows():
            for term, value in row.items():
                ours[(_group_key(group), frozenset(str(level).split(":")), term)] = value
    assert len(ours) == len(ref)
    sd = fit.variance_components["std_dev"].max()
    for g, level, term, value in zip(ref["grp"], ref["level"], ref["term"], ref["value"], strict=True):
        key = (_group_key(g), frozenset(str(level).split(":")), _term(term))
        assert ours[key] == pytest.approx(float(value), rel=1e-3, abs=1e-4 * sd), key


# ====================================================================== compare_models vs anova
@pytest.mark.parametrize("comparison", ["sleep", "pen", "panel"])
def test_compare_models_matches_lme4_anova(comparison):
    ref = pd.read_csv(REF / "lme4_anova.csv")
    ref = ref[ref["comparison"] == comparison].reset_index(drop=True)
    small, big = ref["model"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFitWarning)
        cmp = compare_models({small: fitted(small), big: fitted(big)})
    assert isinstance(cmp, ModelComparison) and cmp.refit
    table = cmp.table
    assert list(table.index) == [small, big]
    assert list(table.columns) == ["method", "k", "logLik", "AIC", "AICc", "BIC", "R²m", "R²c"]
    assert (table["method"] == "ML (refit)").all()
    assert table["k"].tolist() == ref["npar"].tolist()
    assert_allclose(table["logLik"], ref["loglik"], atol=1e-5)
    assert_allclose(table["AIC"], ref["aic"], atol=2e-5)
    assert_allclose(table["BIC"], ref["bic"], atol=2e-5)
    test = cmp.tests.iloc[0]
    assert (test["restricted"], test["general"]) == (small, big)
    assert test["chi2"] == pytest.approx(ref["chisq"].iloc[1], abs=1e-4)
    assert test["df"] == ref["df"].iloc[1]
    assert test["p"] == pytest.approx(ref["p"].iloc[1], rel=1e-3)
    assert any("refitted by maximum likelihood" in n for n in cmp.notes)
    assert "Likelihood-ratio tests" in cmp.summary()


def test_compare_models_mixture_p_for_one_added_variance():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFitWarning)
        pen = compare_models({"plate": fitted("pen_plate_reml"), "both": fitted("pen_reml")}).tests.iloc[0]
    assert pen["df"] == 1
    assert pen["p_mixture"] == pytest.approx(0.5 * stats.chi2.sf(pen["chi2"], 1), rel=1e-12)
    _sleepstudy()
    sl = compare_models({"int": fitted("sleep_int_reml"), "slope": fitted("sleep_reml")}).tests.iloc[0]
    assert sl["df"] == 2  # one variance and one covariance: 50:50 chi2(1) and chi2(2)
    expected = 0.5 * stats.chi2.sf(sl["chi2"], 1) + 0.5 * stats.chi2.sf(sl["chi2"], 2)
    assert sl["p_mixture"] == pytest.approx(expected, rel=1e-12)
    assert sl["p_mixture"] < sl["p"]


def test_compare_models_ml_fits_are_not_refit_and_non_nested_pairs_have_no_test():
    d = _toy()
    a = lmm("y ~ x + (1 | g)", d, method="ML")
    b = lmm("y ~ 1 + (1 | g) + (1 | h)", d, method="ML")
    c = lmm("y ~ x + (1 | g) + (1 | h)", d, method="ML")
    cmp = compare_models({"a": a, "b": b, "c": c})
    assert not cmp.refit
    assert (cmp.table["method"] == "ML").all()
    assert cmp.table.loc["a", "logLik"] == a.llf
    pairs = {(r.restricted, r.general) for r in cmp.tests.itertuples()}
    assert pairs == {("a", "c"), ("b", "c")}  # a (x, g) and b (h) are not nested
    assert any("not nested" in n for n in cmp.notes)
    assert_allclose(cmp.table["AICc"], [f.aicc for f in (a, b, c)])
    tests = cmp.tests.set_index("restricted")
    assert tests.loc["a", "p_mixture"] == pytest.approx(0.5 * stats.chi2.sf(tests.loc["a", "chi2"], 1))
    assert np.isnan(tests.loc["b", "p_mixture"])  # b -> c also adds a fixed effect: no mixture


def test_compare_models_rejects_bad_input():
    d = _toy()
    a = lmm("y ~ x + (1 | g)", d)
    with pytest.raises(InputError, match="non-empty mapping"):
        compare_models({})
    with pytest.raises(InputError, match="not a MixedResult"):
        compare_models({"a": a, "b": a.result})
    other = d.assign(y=d["y"] * 2)
    with pytest.raises(InputError, match="same response on the same rows"):
        compare_models({"a": a, "b": lmm("y ~ x + (1 | g)", other)})


# ====================================================================== result objects
def test_result_types_and_regression_table_use_satterthwaite_df():
    fit = fitted("panel_slope")
    res = fit.result
    assert isinstance(res, MixedFixedEffects) and isinstance(res, RegressionResult)
    assert res.df_resid == pytest.approx(fit.df.min())
    expected = 2 * stats.t.sf(np.abs(res.tvalues), fit.df)
    assert_allclose(res.pvalues, expected)
    assert_allclose(fit.to_frame()["p"], expected)
    assert list(fit.to_frame().columns) == ["coef", "std err", "df", "t", "p", "ci lower", "ci upper"]
    q = stats.t.ppf(0.975, fit.df)
    assert_allclose(res.conf_int()["upper"], res.params + q * res.bse)
    table = regression_table({"lmm": res})
    assert "x1" in table.frame.index
    assert res.llf == fit.llf and res.nobs == fit.nobs
    assert res.stats["groups"] == "city 30, year 8"
    assert any("Satterthwaite" in n for n in res.notes)
    with pytest.raises(Exception):  # noqa: B017 - frozen dataclass
        fit.llf = 0.0  # type: ignore[misc]


@pytest.mark.parametrize("df_method", ["residual", "none"])
def test_other_df_methods(df_method):
    d = pd.read_csv(REF / "panel.csv")
    fit = lmm("y ~ x1 + x2 + (1 | city) + (1 | year)", d, df_method=df_method)
    ref = fitted("panel_crossed")
    assert_allclose(fit.params, ref.params, rtol=1e-12)
    if df_method == "residual":
        assert (fit.df == len(d) - 3).all() and fit.result.df_resid == len(d) - 3
        assert_allclose(fit.to_frame()["p"], 2 * stats.t.sf(np.abs(fit.result.tvalues), len(d) - 3))
    else:
        assert np.isinf(fit.df).all() and fit.result.df_resid is None and fit.result.df is None
        assert "z" in fit.to_frame().columns
        assert_allclose(fit.to_frame()["p"], 2 * stats.norm.sf(np.abs(fit.result.tvalues)))


def test_fitted_residuals_ranef_and_diagnostics():
    d = _sleepstudy()
    fit = lmm(SLEEP, d)
    assert_allclose(fit.fitted + fit.residuals, d["Reaction"])
    re = fit.ranef["Subject"]
    assert list(re.columns) == ["const", "Days"] and len(re) == 18
    subj = d["Subject"].to_numpy()
    manual = fit.params["const"] + re.loc[subj, "const"].to_numpy() + (
        fit.params["Days"] + re.loc[subj, "Days"].to_numpy()) * d["Days"].to_numpy()
    assert_allclose(fit.fitted, manual)
    diag = fit.diagnostics()
    assert isinstance(diag, ResidualDiagnostics)
    w, p = stats.shapiro(fit.residuals)
    assert diag.shapiro_w == pytest.approx(w) and diag.shapiro_p == pytest.approx(p)
    assert len(diag.qq) == 180 and diag.qq["sample"].is_monotonic_increasing
    assert diag.qq["theoretical"].iloc[0] == pytest.approx(stats.norm.ppf(0.5 / 180))
    assert_allclose(diag.residuals_vs_fitted["residual"], fit.residuals)
    assert "Shapiro-Wilk" in diag.summary() and diag.to_frame().shape == (1, 2)
    text = fit.summary()
    for part in ("REML criterion", "Random effects:", "Fixed effects", "Satterthwaite", "R² marginal"):
        assert part in text


# ====================================================================== properties
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_groups=st.integers(4, 10), per=st.integers(3, 6))
def test_ols_equivalent_when_the_random_effect_variance_is_zero(seed, n_groups, per):
    """Group means of x and of the errors are 0, so the REML/ML variance of (1|g) is 0: OLS."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(n_groups), per)
    x = rng.normal(size=g.size)
    e = rng.normal(size=g.size)
    x -= (np.bincount(g, x) / per)[g]
    e -= (np.bincount(g, e) / per)[g]
    d = pd.DataFrame({"y": 2.0 + 0.7 * x + e, "x": x, "g": g})
    X = np.column_stack([np.ones(g.size), x])
    beta, ssr = np.linalg.lstsq(X, d["y"].to_numpy(), rcond=None)[:2]
    n, p = X.shape
    cov = ssr[0] / (n - p) * np.linalg.inv(X.T @ X)
    for method in ("REML", "ML"):
        with pytest.warns(SingularFitWarning):
            fit = lmm("y ~ x + (1 | g)", d, method=method, df_method="residual")
        assert fit.singular and fit.theta.iloc[0] < 1e-4
        assert fit.variance_components["vcov"].iloc[0] < 1e-8
        assert_allclose(fit.params, beta, rtol=1e-7, atol=1e-9)
        if method == "REML":
            assert_allclose(fit.bse, np.sqrt(np.diag(cov)), rtol=1e-6)
            assert fit.sigma**2 == pytest.approx(ssr[0] / (n - p), rel=1e-7)
        else:
            ols_llf = -n / 2 * (1 + math.log(2 * math.pi * ssr[0] / n))
            assert fit.llf == pytest.approx(ols_llf, abs=1e-7)
        assert any("Singular fit" in note for note in fit.notes)


def _dense_loglik(fit: MixedResult, y: np.ndarray, X: np.ndarray, Z: np.ndarray, reml: bool) -> float:
    """Log-likelihood from the marginal covariance V = σ² (Z Λ Λ' Z' + I), computed densely."""
    m = fit._model
    lam = m.lam(fit.theta.to_numpy()).toarray()
    V = fit.sigma**2 * (Z @ lam @ lam.T @ Z.T + np.eye(len(y)))
    beta = fit.params.to_numpy()
    ll = stats.multivariate_normal(mean=X @ beta, cov=V).logpdf(y)
    if reml:
        XtViX = X.T @ np.linalg.solve(V, X)
        ll += -0.5 * np.linalg.slogdet(XtViX)[1] + 0.5 * X.shape[1] * math.log(2 * math.pi)
    return float(ll)


@pytest.mark.filterwarnings("ignore::regionkit.econometrics.mixed.SingularFitWarning")
@pytest.mark.parametrize("formula", ["y ~ x + (x | g)", "y ~ x + (1 | g) + (1 | h)", "y ~ x + (1 | g/s)"])
@pytest.mark.parametrize("method", ["REML", "ML"])
def test_likelihood_equals_dense_multivariate_normal(formula, method):
    d = _toy(seed=5, n_groups=8, per=5)
    fit = lmm(formula, d, method=method, df_method="none")
    m = fit._model
    ll = _dense_loglik(fit, m.y_data, m.X_data, m.Z.toarray(), method == "REML")
    assert fit.llf == pytest.approx(ll, abs=1e-8)


def test_ml_and_reml_relations():
    d = pd.read_csv(REF / "panel.csv")
    m = _build("y ~ x1 + x2 + (1 + x1 | city) + (1 | year)", d)
    reml, ml = _fit(m, method="REML", df_method="none"), _fit(m, method="ML", df_method="none")
    n, p = m.n, m.p
    # at the same θ the GLS coefficients agree and σ²_REML (n − p) = σ²_ML n = r²
    s = _pls(m, reml.theta.to_numpy())
    assert_allclose(m.coef(s.beta), reml.params, rtol=1e-12)
    assert reml.sigma**2 * (n - p) == pytest.approx(s.r2, rel=1e-12)
    # ML maximizes the ML likelihood, REML the REML one
    assert -0.5 * _profiled_deviance(m, reml.theta.to_numpy(), False) <= ml.llf + 1e-9
    assert -0.5 * _profiled_deviance(m, ml.theta.to_numpy(), True) <= reml.llf + 1e-9
    # REML criterion − ML deviance at the same θ (profiled σ each)
    th = ml.theta.to_numpy()
    r2 = _pls(m, th).r2
    expected = (_pls(m, th).ldRX2 + (n - p) * (1 + math.log(2 * math.pi * r2 / (n - p)))
                - n * (1 + math.log(2 * math.pi * r2 / n)))
    assert _profiled_deviance(m, th, True) - _profiled_deviance(m, th, False) == pytest.approx(expected)
    # ML variance components are smaller here (REML corrects the downward bias)
    assert ml.sigma < reml.sigma
    assert reml.k == ml.k == 3 + 4 + 1


def test_reproducible_and_invariant_to_row_order_and_labels():
    d = pd.read_csv(REF / "panel.csv")
    formula = "y ~ x1 + x2 + (1 + x1 | city) + (1 | year)"
    a, b = lmm(formula, d), lmm(formula, d)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    pd.testing.assert_frame_equal(a.variance_components, b.variance_components)
    assert a.llf == b.llf
    shuffled = d.sample(frac=1.0, random_state=1)
    shuffled["city"] = "town-" + shuffled["city"].str[::-1]
    c = lmm(formula, shuffled)
    assert c.llf == pytest.approx(a.llf, abs=1e-8)
    assert_allclose(c.params, a.params, rtol=1e-6)
    assert_allclose(c.bse, a.bse, rtol=1e-5)
    assert_allclose(c.variance_components["vcov"], a.variance_components["vcov"], rtol=1e-5)
    assert_allclose(c.fitted.loc[d.index], a.fitted, rtol=1e-6)


def test_invariant_to_units_and_to_large_means():
    """Rescaling y, or adding 10⁶ to y or to a regressor, changes nothing it should not."""
    d = pd.read_csv(REF / "panel.csv")
    formula = "y ~ x1 + x2 + (1 + x1 | city) + (1 | year)"
    a = lmm(formula, d)
    scaled = lmm(formula, d.assign(y=d["y"] * 1e-4))
    assert_allclose(scaled.theta, a.theta, rtol=1e-5)
    assert_allclose(scaled.params, a.params * 1e-4, rtol=1e-6)
    assert_allclose(scaled.df, a.df, rtol=1e-5)
    assert scaled.llf == pytest.approx(a.llf + (len(d) - 3) * math.log(1e4), abs=1e-6)  # REML: n − p
    shifted = lmm(formula, d.assign(y=d["y"] + 1e6, x2=d["x2"] + 1e6))
    assert shifted.llf == pytest.approx(a.llf, abs=1e-6)
    assert_allclose(shifted.params[["x1", "x2"]], a.params[["x1", "x2"]], rtol=1e-6)
    assert_allclose(shifted.bse[["x1", "x2"]], a.bse[["x1", "x2"]], rtol=1e-6)
    assert_allclose(shifted.df[["x1", "x2"]], a.df[["x1", "x2"]], rtol=1e-5)
    assert_allclose(shifted.fitted - 1e6, a.fitted, atol=1e-6)


@pytest.mark.parametrize("formula", [
    "Reaction ~ Days + (Days | Subject)",
    "Reaction ~ Days + (1 | Subject) + (0 + Days | Subject)",
])
def test_factorization_backends_agree_single_factor(formula):
    d = _sleepstudy()
    fits = [_fit(_build(formula, d, backend=b), method="REML", df_method="satterthwaite")
            for b in ("blocks", "schur", "dense", "sparse")]
    for f in fits[1:]:
        assert f.llf == pytest.approx(fits[0].llf, abs=1e-9)
        assert_allclose(f.params, fits[0].params, rtol=1e-9)
        assert_allclose(f.df, fits[0].df, rtol=1e-4)


@pytest.mark.parametrize("formula", [
    "y ~ x1 + x2 + (1 + x1 | city) + (1 | year)",
    "y ~ x1 + x2 + (1 | region/city)",
])
def test_factorization_backends_agree_several_factors(formula):
    d = pd.read_csv(REF / "panel.csv")
    fits = [_fit(_build(formula, d, backend=b), method="REML", df_method="none")
            for b in ("schur", "dense", "sparse")]
    for f in fits[1:]:
        assert f.llf == pytest.approx(fits[0].llf, abs=1e-9)
        assert_allclose(f.params, fits[0].params, rtol=1e-9)


def test_formula_equivalences():
    d = pd.read_csv(REF / "panel.csv")
    nested = lmm("y ~ x1 + (1 | region/city)", d, df_method="none")
    explicit = lmm("y ~ x1 + (1 | region) + (1 | region:city)", d, df_method="none")
    assert nested.llf == explicit.llf
    assert list(nested.variance_components["group"]) == ["region", "region:city", "Residual"]
    assert nested.ngroups == {"region": 6, "region:city": 30}
    assert nested.ranef["region:city"].index[0] == "R1:C01"
    uncorr = lmm("y ~ x1 + (1 + x1 || city)", d, df_method="none")
    split = lmm("y ~ x1 + (1 | city) + (0 + x1 | city)", d, df_method="none")
    assert uncorr.llf == split.llf
    assert list(uncorr.ranef["city"].columns) == ["const", "x1"]
    implicit = lmm("y ~ x1 + (x1 | city)", d, df_method="none")
    assert implicit.llf == lmm("y ~ x1 + (1 + x1 | city)", d, df_method="none").llf
    assert lmm("y ~ x1 + (x1 - 1 | city)", d, df_method="none").llf == \
        lmm("y ~ x1 + (0 + x1 | city)", d, df_method="none").llf
    random_only = lmm("y ~ (1 | city)", d, df_method="none")
    assert list(random_only.params.index) == ["const"]
    renamed = d.rename(columns={"city": "my city", "x1": "x 1"})
    quoted = lmm("y ~ `x 1` + (`x 1` | `my city`)", renamed, df_method="none")
    assert quoted.llf == implicit.llf
    assert list(quoted.ranef) == ["my city"] and list(quoted.ranef["my city"].columns) == ["const", "x 1"]


def test_grouping_by_index_level():
    d = pd.read_csv(REF / "panel.csv")
    by_col = lmm("y ~ x1 + x2 + (1 | city) + (1 | year)", d)
    indexed = d.set_index(["city", "year"])
    by_index = lmm("y ~ x1 + x2 + (1 | city) + (1 | year)", indexed)
    assert by_index.llf == pytest.approx(by_col.llf, abs=1e-10)
    assert by_index.fitted.index.equals(indexed.index)


def test_large_number_of_groups_is_fast():
    import time

    rng = np.random.default_rng(0)
    G, per = 10_000, 4
    g = np.repeat(np.arange(G), per)
    x = rng.normal(size=G * per)
    y = 1 + 0.5 * x + rng.normal(size=G)[g] + rng.normal(size=G * per)
    d = pd.DataFrame({"y": y, "x": x, "g": g})
    t = time.perf_counter()
    fit = lmm("y ~ x + (1 | g)", d)
    assert time.perf_counter() - t < 30
    assert fit._model.backend == "blocks"
    assert fit.variance_components["vcov"].iloc[0] == pytest.approx(1.0, abs=0.1)


# ====================================================================== errors
@pytest.mark.parametrize(("formula", "message"), [
    ("y ~ x", "no random term"),
    ("y ~ x + 1 | g", "must be written in parentheses"),
    ("y ~ x - (1 | g)", "cannot be subtracted"),
    ("y ~ x + (1 | g) + (1 | g)", "appears twice"),
    ("y ~ x + ( | g)", "nothing left of"),
    ("y ~ x + (1 | )", "no grouping factor"),
    ("y ~ x + (1 | g + h)", "must be a column name"),
    ("y ~ x + (1 | g | h)", "exactly one"),
    ("y ~ x + (1 | zz)", "grouping column(s) 'zz' not found"),
    ("y ~ x + (zz | g)", "random term (zz | g): formula"),
    ("y ~ zz + (1 | g)", "column(s) 'zz' not found"),
    ("y ~ x + (1 | g/g)", "repeats a grouping factor"),
    ("y ~ x + (1 | g) + (1 + x || g)", "'const' of 'g' appears in two random terms"),
    ("y ~ x + (1 | g/s) + (1 | g)", "appears twice"),
    ("y ~ x + ((1 | g)", "unbalanced"),
    ("y x (1 | g)", "exactly one '~'"),
    ("", "empty formula"),
])
def test_bad_formulas_name_the_problem(formula, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")):
        lmm(formula, _toy())


def test_bad_data_and_options_name_the_problem():
    d = _toy()
    with pytest.raises(InputError, match="method='reml' is not allowed"):
        lmm("y ~ x + (1 | g)", d, method="reml")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="df_method='kr' is not allowed"):
        lmm("y ~ x + (1 | g)", d, df_method="kr")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="DataFrame"):
        lmm("y ~ x + (1 | g)", d.to_dict())  # type: ignore[arg-type]
    with pytest.raises(InputError, match="formula must be a string"):
        lmm(3, d)  # type: ignore[arg-type]
    bad = d.copy()
    bad.loc[4, "g"] = None
    with pytest.raises(InputError, match="grouping column 'g': 1 missing value"):
        lmm("y ~ x + (1 | g)", bad)
    with pytest.raises(InputError, match="'g' has 1 level"):
        lmm("y ~ x + (1 | g)", d.assign(g="one"))
    with pytest.raises(InputError, match="must be smaller than the number of observations"):
        lmm("y ~ x + (1 | g)", d.assign(g=np.arange(len(d))))
    with pytest.raises(InputError, match="not identifiable"):
        lmm("y ~ x + (x | g)", d.assign(g=np.arange(len(d)) // 2))
    miss = d.copy()
    miss.loc[2, "y"] = np.nan
    with pytest.raises(InputError, match="missing or non-finite"):
        lmm("y ~ x + (1 | g)", miss)
