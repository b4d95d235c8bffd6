"""Linear panel models, the Hausman test and fits by region group.

Reference values: ``tests/reference/plm/`` (R plm 2.6.2 on plm's Grunfeld data,
made by ``make_reference.R``; see the README there).  No R is needed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from regionkit.econometrics.groups import GroupRuns, fit_by_group
from regionkit.econometrics.panel import HausmanResult, PanelResult, hausman, panel_ols
from regionkit.econometrics.results import RegressionResult
from regionkit.econometrics.tables import regression_table
from regionkit.errors import InputError
from regionkit.panel import Panel

REF = Path(__file__).resolve().parents[1] / "reference" / "plm"
RTOL = 1e-8
FORMULA = "inv ~ value + capital"
MODELS = ("pooled", "fe", "fe_twoway", "re")
SAMPLES = ("balanced", "unbalanced")


# ====================================================================== fixtures
def _grunfeld() -> pd.DataFrame:
    return pd.read_csv(REF / "grunfeld.csv").set_index(["firm", "year"])


def _sample(name: str) -> pd.DataFrame:
    d = _grunfeld()
    if name == "unbalanced":
        firm = d.index.get_level_values("firm")
        year = d.index.get_level_values("year")
        drop = ((np.isin(firm, [3, 7])) & (year > 1950)) | ((firm == 1) & (year == 1935))
        d = d[~drop]
    return d


@pytest.fixture(scope="module")
def coefs() -> pd.DataFrame:
    c = pd.read_csv(REF / "plm_coefficients.csv")
    c["term"] = c["term"].replace({"(Intercept)": "const"})
    return c.set_index(["sample", "model", "term"]).sort_index(level=[0, 1], sort_remaining=False)


@pytest.fixture(scope="module")
def mstats() -> pd.DataFrame:
    return pd.read_csv(REF / "plm_model_stats.csv").set_index(["sample", "model"])


@pytest.fixture(scope="module")
def fits() -> dict:
    out = {}
    for s in SAMPLES:
        d = _sample(s)
        for m in MODELS:
            for cov in ("unadjusted", "robust", "clustered"):
                out[s, m, cov] = panel_ols(FORMULA, d, model=m, cov_type=cov)
    return out


@pytest.fixture
def toy() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["A", "B", "C", "D"], range(2000, 2006)], names=["region", "year"])
    rng = np.random.default_rng(42)
    d = pd.DataFrame({"x": rng.normal(size=24), "w": rng.normal(size=24)}, index=idx)
    d["size"] = np.repeat([1.0, 2.0, 5.0, 3.0], 6)  # constant within region
    d["trend"] = np.tile(np.arange(6.0), 4)  # the same for every region in a year
    d["y"] = 1 + d.x - 0.5 * d.w + d["size"] + rng.normal(scale=0.3, size=24)
    return d


# ====================================================================== data
def test_grunfeld_fixture_is_plms_10_by_20():
    d = _grunfeld()
    assert d.shape == (200, 3)
    assert d.index.get_level_values("firm").nunique() == 10
    assert sorted(d.index.get_level_values("year").unique()) == list(range(1935, 1955))
    assert len(_sample("unbalanced")) == 191


def test_statsmodels_grunfeld_without_american_steel_equals_plms():
    grunfeld = pytest.importorskip("statsmodels.datasets.grunfeld")
    sm = grunfeld.load_pandas().data
    assert sm["firm"].nunique() == 11
    sm = sm[sm["firm"] != "American Steel"].reset_index(drop=True)
    assert len(sm) == 200
    ref = pd.read_csv(REF / "grunfeld.csv")
    firm_no = {name: i + 1 for i, name in enumerate(pd.unique(sm["firm"]))}
    assert firm_no["General Motors"] == 1 and firm_no["Diamond Match"] == 10
    assert_allclose(sm["firm"].map(firm_no).to_numpy(), ref["firm"].to_numpy())
    assert_allclose(sm["year"].to_numpy(), ref["year"].to_numpy())
    for ours, theirs in [("invest", "inv"), ("value", "value"), ("capital", "capital")]:
        assert_allclose(sm[ours].to_numpy(), ref[theirs].to_numpy(), rtol=0, atol=0)


# ====================================================================== plm agreement
@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("model", MODELS)
def test_coefficients_and_classical_se_match_plm(fits, coefs, sample, model):
    res = fits[sample, model, "unadjusted"]
    ref = coefs.loc[(sample, model)]
    assert list(res.params.index) == list(ref.index)
    assert_allclose(res.params, ref["estimate"], rtol=RTOL)
    assert_allclose(res.bse, ref["se"], rtol=RTOL)
    assert res.cov_type == "nonrobust"
    assert_allclose(res.cov_nonrobust.to_numpy(), res.cov.to_numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("model", MODELS)
def test_robust_covariances_match_plm(fits, coefs, mstats, sample, model):
    ref = coefs.loc[(sample, model)]
    st = mstats.loc[(sample, model)]
    k = len(ref)
    # linearmodels counts the absorbed effects of FE models in the small-sample
    # factor (see the README); pooled and RE agree directly
    factor = 1.0 if model in ("pooled", "re") else np.sqrt((st["nobs"] - k) / st["df_resid"])
    assert_allclose(fits[sample, model, "robust"].bse, ref["se_white_hc1"] * factor, rtol=RTOL)
    clustered = fits[sample, model, "clustered"]
    factor = np.sqrt((st["nobs"] - k) / st["df_resid"]) if model == "fe_twoway" else 1.0
    assert_allclose(clustered.bse, ref["se_cluster_sss"] * factor, rtol=RTOL)
    assert clustered.cov_type == "cluster(firm)"
    # every fit keeps the classical covariance for the Hausman test
    assert_allclose(clustered.cov_nonrobust, fits[sample, model, "unadjusted"].cov, rtol=RTOL)


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("model", MODELS)
def test_model_statistics_match_plm(fits, mstats, sample, model):
    res = fits[sample, model, "unadjusted"]
    ref = mstats.loc[(sample, model)]
    assert res.nobs == ref["nobs"]
    assert res.stats["groups"] == ref["n_groups"] and res.stats["periods"] == ref["n_periods"]
    # R² = 1 - SSR/TSS of the (transformed) regression = plm's r.squared(type="rss");
    # plm's summary() prints type "cor" (squared correlation), the same number
    # except for random effects on an unbalanced panel
    assert_allclose(res.stats["R²"], ref["r_squared_rss"], rtol=RTOL)
    assert_allclose(res.stats["adj. R²"], ref["adj_r_squared_rss"], rtol=RTOL)
    same = not (model == "re" and sample == "unbalanced")
    assert np.isclose(ref["r_squared"], ref["r_squared_rss"], rtol=RTOL, atol=0) == same
    if model == "re":
        assert res.df_resid is None  # z inference, as plm
        assert ref["test"] == "Chisq"
        assert_allclose(res.stats["Wald chi²"], ref["statistic"], rtol=RTOL)
        assert_allclose(res.stats["Wald p-value"], ref["p_value"], rtol=1e-6)
    else:
        assert res.df_resid == ref["df_resid"]
        assert ref["test"] == "F"
        assert_allclose(res.stats["F"], ref["statistic"], rtol=RTOL)
        assert_allclose(res.stats["F p-value"], ref["p_value"], rtol=1e-6)


@pytest.mark.parametrize("sample", SAMPLES)
def test_swamy_arora_components_match_plm(fits, sample):
    ref = pd.read_csv(REF / "plm_ercomp.csv").set_index("sample").loc[sample]
    res = fits[sample, "re", "unadjusted"]
    assert_allclose(res.stats["sigma²_e"], ref["sigma2_idios"], rtol=RTOL)
    assert_allclose(res.stats["sigma²_u"], ref["sigma2_individual"], rtol=RTOL)
    if sample == "balanced":
        assert_allclose(res.stats["theta"], ref["theta_min"], rtol=RTOL)
        assert_allclose(ref["theta_min"], ref["theta_max"], rtol=1e-15)
        assert res.notes == ()
    else:
        assert ref["theta_min"] < res.stats["theta"] < ref["theta_max"]
        assert "theta varies" in res.notes[0]


@pytest.mark.parametrize("sample", SAMPLES)
def test_hausman_matches_plm_phtest(fits, sample):
    ref = pd.read_csv(REF / "plm_phtest.csv").set_index("sample").loc[sample]
    h = hausman(fits[sample, "fe", "unadjusted"], fits[sample, "re", "unadjusted"])
    assert isinstance(h, HausmanResult)
    assert_allclose(h.chi2, ref["chisq"], rtol=RTOL)
    assert h.df == ref["df"] == 2
    assert_allclose(h.p, ref["p_value"], rtol=RTOL)
    assert h.terms == ("value", "capital")
    assert h.notes == ()


def test_hausman_published_value(fits):
    pub = pd.read_csv(REF / "phtest_published.csv").iloc[0]
    h = hausman(fits["balanced", "fe", "clustered"], fits["balanced", "re", "clustered"])
    assert_allclose(h.chi2, pub["chisq"], rtol=RTOL)
    assert h.df == pub["df"]
    assert_allclose(h.p, pub["p_value"], rtol=RTOL)
    # robust fits still use the classical covariances, and say so
    assert any("non-robust" in n for n in h.notes)
    assert not h.reject
    assert h.decision.startswith("Do not reject H0 at the 5% level")
    assert "chi2(2) = 2.33037" in h.summary()
    frame = h.to_frame()
    assert list(frame.columns) == ["fe", "re", "difference", "se of difference"]
    assert_allclose(frame["difference"], frame["fe"] - frame["re"])
    assert hausman(fits["balanced", "fe", "unadjusted"], fits["balanced", "re", "unadjusted"], alpha=0.4).reject


# ====================================================================== hausman edge cases
def _result(params: dict, cov: np.ndarray, *, cov_type: str = "nonrobust", nobs: int = 100) -> RegressionResult:
    idx = list(params)
    return RegressionResult(
        model="x", dependent="y", params=pd.Series(params), bse=pd.Series(np.sqrt(np.diag(cov)), index=idx),
        cov=pd.DataFrame(cov, index=idx, columns=idx), cov_type=cov_type, nobs=nobs, df_resid=nobs - len(idx),
    )


def test_hausman_generalized_inverse_when_difference_not_positive_definite():
    fe = _result({"a": 1.0, "b": 2.0}, np.array([[2.0, 0.0], [0.0, 1.0]]))
    re = _result({"const": 0.0, "a": 0.5, "b": 2.0}, np.diag([9.0, 1.0, 1.0]))
    h = hausman(fe, re)
    assert h.df == 1  # V_FE - V_RE = diag(1, 0) has rank 1
    assert_allclose(h.chi2, 0.25)
    assert "generalized inverse" in h.notes[0]
    assert h.terms == ("a", "b")


def test_hausman_rejects_robust_plain_results_and_mismatched_fits(fits):
    fe = _result({"a": 1.0}, np.array([[2.0]]), cov_type="robust")
    re = _result({"a": 0.5}, np.array([[1.0]]))
    with pytest.raises(InputError, match="classical"):
        hausman(fe, re)
    with pytest.raises(InputError, match="no slope coefficient in common"):
        hausman(_result({"a": 1.0}, np.eye(1)), _result({"b": 1.0}, np.eye(1)))
    with pytest.raises(InputError, match="differ"):
        hausman(_result({"a": 1.0}, np.eye(1), nobs=50), re)
    with pytest.raises(InputError, match="first result must be a fixed-effects fit"):
        hausman(fits["balanced", "pooled", "unadjusted"], fits["balanced", "re", "unadjusted"])
    with pytest.raises(InputError, match="second result must be a random-effects fit"):
        hausman(fits["balanced", "fe", "unadjusted"], fits["balanced", "pooled", "unadjusted"])
    with pytest.raises(InputError, match="alpha"):
        hausman(fits["balanced", "fe", "unadjusted"], fits["balanced", "re", "unadjusted"], alpha=1.5)


def test_hausman_two_way_note(fits):
    h = hausman(fits["balanced", "fe_twoway", "unadjusted"], fits["balanced", "re", "unadjusted"])
    assert any("two-way" in n for n in h.notes)


# ====================================================================== API
def test_result_type_and_fields(fits):
    res = fits["balanced", "fe", "clustered"]
    assert isinstance(res, PanelResult) and isinstance(res, RegressionResult)
    assert res.kind == "fe" and res.entity == "firm" and res.time == "year"
    assert res.model == "Fixed effects (within, firm)"
    assert res.formula == FORMULA and res.dependent == "inv"
    assert "const" not in res.params.index
    assert list(res.stats)[:7] == ["groups", "periods", "R²", "adj. R²", "R² (within)", "R² (between)", "R² (overall)"]
    pooled = fits["balanced", "pooled", "unadjusted"]
    assert pooled.llf is not None and res.llf is None
    assert_allclose(pooled.stats["R² (overall)"], pooled.stats["R²"], rtol=1e-12)
    assert "Fixed effects" in res.summary()


def test_y_X_interface_equals_formula(fits):
    d = _grunfeld()
    X = d[["value", "capital"]].assign(const=1.0)[["const", "value", "capital"]]
    for model in MODELS:
        res = panel_ols(y=d["inv"], X=X, model=model, cov_type="unadjusted")
        assert_allclose(res.params, fits["balanced", model, "unadjusted"].params, rtol=1e-12)
        assert res.formula == ""


def test_accepts_a_regionkit_panel(fits):
    long = _grunfeld().reset_index().rename(columns={"firm": "region"})
    p = Panel.from_frame(long)
    res = panel_ols(FORMULA, p, model="re", cov_type="unadjusted")
    assert_allclose(res.params, fits["balanced", "re", "unadjusted"].params, rtol=1e-12)
    assert res.cov_nonrobust is not None and res.entity == "region"


def test_option_errors(toy):
    with pytest.raises(InputError, match="model='between'"):
        panel_ols("y ~ x", toy, model="between")
    with pytest.raises(InputError, match="cov_type='hac'"):
        panel_ols("y ~ x", toy, model="fe", cov_type="hac")
    with pytest.raises(InputError, match="not both"):
        panel_ols("y ~ x", toy, y=toy.y, X=toy[["x"]], model="fe")
    with pytest.raises(InputError, match="needs data"):
        panel_ols("y ~ x", model="fe")
    with pytest.raises(InputError, match="both y and X"):
        panel_ols(y=toy.y, model="fe")


def test_fe_names_a_regressor_constant_within_every_region(toy):
    with pytest.raises(InputError, match=r"regressor 'size' is constant within every region"):
        panel_ols("y ~ x + size", toy, model="fe")
    res = panel_ols("y ~ x + size", toy, model="re")  # random effects estimate it
    assert "size" in res.params.index


def test_two_way_names_a_regressor_that_varies_only_over_years(toy):
    assert "trend" in panel_ols("y ~ x + trend", toy, model="fe").params.index
    with pytest.raises(InputError, match=r"regressor 'trend' is the same for every region in each year"):
        panel_ols("y ~ x + trend", toy, model="fe_twoway")


def test_collinearity_after_the_within_transformation_is_named(toy):
    d = toy.assign(x2=toy.x * 2 + toy["size"])  # = 2x + region constant: collinear within regions
    with pytest.raises(InputError, match=r"fe \(after removing region means\): perfectly collinear regressors 'x', 'x2'"):
        panel_ols("y ~ x + x2 + w", d, model="fe")
    d = toy.assign(x3=toy.x - toy["size"] + 3 * toy["trend"])  # collinear after both effects
    assert "x3" in panel_ols("y ~ x + x3", d, model="fe").params.index
    with pytest.raises(InputError, match=r"perfectly collinear regressors 'x', 'x3'"):
        panel_ols("y ~ x + x3", d, model="fe_twoway")
    with pytest.raises(InputError, match=r"perfectly collinear regressors 'const', 'x', 'I\(x \+ 1\)'"):
        panel_ols("y ~ x + I(x + 1)", toy, model="pooled")


def test_unbalanced_two_way_collinearity_check(toy):
    d = toy.drop(index=[("A", 2000), ("C", 2003), ("D", 2005)])
    d = d.assign(x3=d.x - d["size"] + 3 * d["trend"])
    with pytest.raises(InputError, match=r"perfectly collinear regressors 'x', 'x3'"):
        panel_ols("y ~ x + x3", d, model="fe_twoway")
    assert panel_ols("y ~ x + w", d, model="fe_twoway").nobs == 21


def test_index_and_size_errors(toy):
    with pytest.raises(InputError, match="two-level"):
        panel_ols("y ~ x", toy.reset_index(), model="pooled")
    dup = pd.concat([toy, toy.iloc[[3]]])
    with pytest.raises(InputError, match=r"1 duplicated region-year\(s\), first region 'A', year 2003"):
        panel_ols("y ~ x", dup, model="pooled")
    s = toy.copy()
    s.index = s.index.set_levels(s.index.levels[1].astype(str), level=1)
    with pytest.raises(InputError, match="numeric years"):
        panel_ols("y ~ x", s, model="pooled")
    small = toy.loc[["A", "B"]].iloc[[0, 1, 6, 7]]
    with pytest.raises(InputError, match="too few observations: 4 row"):
        panel_ols("y ~ x + w", small, model="fe")
    with pytest.raises(InputError, match="at least 2 regions"):
        panel_ols("y ~ x", toy.loc[["A"]], model="re")
    bad = toy.copy()
    bad.iloc[5, 0] = np.nan
    with pytest.raises(InputError, match=r"column 'x': 1 missing .* region 'A', year 2005"):
        panel_ols("y ~ x", bad, model="fe")
    with pytest.raises(InputError, match=r"column 'x': 1 missing .* region 'A', year 2005"):
        panel_ols(y=bad.y, X=bad[["x"]], model="fe")
    with pytest.raises(InputError, match="same"):
        panel_ols(y=toy.y.iloc[1:], X=toy[["x"]], model="fe")


# ====================================================================== groups
def test_fit_by_group_order_and_values():
    d = _grunfeld()
    groups = pd.Series(["West" if f % 2 else "East" for f in range(1, 11)], index=range(1, 11), name="coast")
    runs = fit_by_group(panel_ols, d, groups=groups, formula=FORMULA, model="fe", cov_type="unadjusted")
    assert isinstance(runs, GroupRuns)
    assert list(runs) == ["All", "West", "East"]
    assert runs.members["West"] == (1, 3, 5, 7, 9)
    assert_allclose(runs["All"].params, panel_ols(FORMULA, d, model="fe", cov_type="unadjusted").params, rtol=1e-12)
    west = panel_ols(FORMULA, d.loc[[1, 3, 5, 7, 9]], model="fe", cov_type="unadjusted")
    assert_allclose(runs["West"].params, west.params, rtol=1e-12)
    assert [r.nobs for r in runs.values()] == [200, 100, 100]
    frame = runs.to_frame()
    assert frame.index.names == ["group", "term"]
    assert frame.loc[("East", "value"), "N"] == 100
    assert "coast" in runs.summary()
    table = regression_table(runs)
    assert list(table.frame.columns) == ["All", "West", "East"]
    only = fit_by_group(panel_ols, d, groups=groups, include_all=False, formula=FORMULA, model="pooled")
    assert list(only) == ["West", "East"]
    with pytest.raises(KeyError, match="no group 'North'"):
        runs["North"]


def test_fit_by_group_errors_name_the_group(toy):
    groups = pd.Series({"A": "East", "B": "East", "C": "West", "D": "West"})
    with pytest.raises(InputError, match=r"^group 'East': .*regressor 'size' is constant"):
        fit_by_group(panel_ols, toy, groups=groups, include_all=False, formula="y ~ x + size", model="fe")
    with pytest.raises(InputError, match=r"^group 'East': too few observations \(12 row"):
        fit_by_group(panel_ols, toy, groups=groups, formula="y ~ x", model="fe", min_obs=20)
    one = pd.Series({"A": "East", "B": "East", "C": "East", "D": "West"})
    with pytest.raises(InputError, match=r"^group 'West': re: needs at least 2 regions"):
        fit_by_group(panel_ols, toy, groups=one, formula="y ~ x", model="re")
    with pytest.raises(InputError, match=r"no group label for region\(s\) \['D'\]"):
        fit_by_group(panel_ols, toy, groups=groups.drop("D"), formula="y ~ x", model="fe")
    with pytest.raises(InputError, match="clashes"):
        fit_by_group(panel_ols, toy, groups=groups.replace("West", "All"), formula="y ~ x", model="fe")
    with pytest.raises(InputError, match=r"group 'All': .*column\(s\) 'nope' not found"):
        fit_by_group(panel_ols, toy, groups=groups, formula="y ~ nope", model="fe")
