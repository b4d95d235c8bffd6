"""Mediation analysis: pingouin's example, statsmodels agreement, bootstrap mechanics, verdicts, errors."""

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.econometrics.mediation import (
    FULL,
    NONE,
    PARTIAL,
    MediationWarning,
    mediation,
)
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "mediation"


def pingouin_data() -> pd.DataFrame:
    return pd.read_csv(REF / "pingouin_mediation_xmy.csv")


def published() -> pd.Series:
    return pd.read_csv(REF / "published.csv").set_index("quantity")["value"]


def panel(n_cities=40, n_years=6, seed=0, *, cluster_sd=1.0, a=0.5, b=0.6, direct=0.2):
    """(city, year) panel with city effects in x, m and y."""
    g = np.random.default_rng(seed)
    city = np.repeat(np.arange(n_cities), n_years)
    year = np.tile(np.arange(2010, 2010 + n_years), n_cities)
    u = g.normal(scale=cluster_sd, size=n_cities)[city]
    v = g.normal(scale=cluster_sd, size=n_cities)[city]
    x = u + g.normal(size=city.size)
    m1 = a * x + v + g.normal(size=city.size)
    m2 = 0.3 * x + g.normal(size=city.size)
    w = g.normal(size=city.size)
    y = direct * x + b * m1 + 0.4 * m2 + 0.3 * w + u + v + g.normal(size=city.size)
    idx = pd.MultiIndex.from_arrays([[f"C{c:02d}" for c in city], year], names=["city", "year"])
    return pd.DataFrame({"x": x, "m1": m1, "m2": m2, "w": w, "y": y}, index=idx)


# ---------------------------------------------------------------- pingouin's example
def test_published_values_of_pingouin_example():
    pub = published()
    r = mediation(pingouin_data(), x="X", m="M", y="Y", n_boot=0)
    assert r.a["M"] == pytest.approx(pub["a"], rel=1e-9)
    assert r.b["M"] == pytest.approx(pub["b"], rel=1e-9)
    assert r.indirect["M"] == pytest.approx(pub["indirect"], rel=1e-6)
    assert r.table.loc["indirect[M]", "stat"] == pytest.approx(pub["sobel_z"], rel=1e-7)
    assert r.table.loc["indirect[M]", "test"] == "Sobel z"
    assert r.boot is None
    assert r.table.loc["indirect[M]", "ci_method"] == "Sobel normal"


def test_paths_match_pingouin_table():
    ref = pd.read_csv(REF / "pingouin_paths.csv").set_index("path")
    r = mediation(pingouin_data(), x="X", m="M", y="Y", n_boot=0)
    t = r.to_frame()
    for ours, theirs in [("a[M]", "M ~ X"), ("c", "Total"), ("c'", "Direct")]:
        assert t.loc[ours, "estimate"] == pytest.approx(ref.loc[theirs, "coef"], rel=1e-9)
        assert t.loc[ours, "se"] == pytest.approx(ref.loc[theirs, "se"], rel=1e-8)
        assert t.loc[ours, "p"] == pytest.approx(ref.loc[theirs, "pval"], rel=1e-7)
        assert t.loc[ours, "ci_lower"] == pytest.approx(ref.loc[theirs, "CI2.5"], rel=1e-8)
        assert t.loc[ours, "ci_upper"] == pytest.approx(ref.loc[theirs, "CI97.5"], rel=1e-8)
    assert bool(t.loc["c'", "significant"]) is False
    assert r.verdict["M"] == FULL
    assert r.proportion["M"] == pytest.approx(r.indirect["M"] / r.c)


def test_bootstrap_interval_close_to_pingouin_reference():
    ref = pd.read_csv(REF / "pingouin_paths.csv").set_index("path").loc["Indirect"]
    r = mediation(pingouin_data(), x="X", m="M", y="Y", n_boot=5000, rng=42)
    row = r.table.loc["indirect[M]"]
    # different random draws (Generator vs RandomState): loose agreement only
    assert row["ci_lower"] == pytest.approx(ref["CI2.5"], abs=0.02)
    assert row["ci_upper"] == pytest.approx(ref["CI97.5"], abs=0.03)
    assert row["boot_se"] == pytest.approx(ref["se"], rel=0.1)
    assert row["significant"]
    assert row["ci_method"] == "bootstrap bias-corrected"


def test_against_pingouin_live():
    pg = pytest.importorskip("pingouin")
    data = pg.read_dataset("mediation")
    data["W1c"] = data["W1"] * 1.0
    theirs = pg.mediation_analysis(data=data, x="X", m=["M", "W2"], y="Y", covar="W1c",
                                   n_boot=4000, seed=7).set_index("path")
    with pytest.warns(MediationWarning, match="via 'W2' and the total effect differ in sign"):
        r = mediation(data, x="X", m=["M", "W2"], y="Y", covariates="W1c", n_boot=4000, rng=7)
    assert r.a["M"] == pytest.approx(theirs.loc["M ~ X", "coef"], rel=1e-9)
    assert r.a["W2"] == pytest.approx(theirs.loc["W2 ~ X", "coef"], rel=1e-9)
    assert r.c == pytest.approx(theirs.loc["Total", "coef"], rel=1e-9)
    assert r.c_prime == pytest.approx(theirs.loc["Direct", "coef"], rel=1e-9)
    assert r.indirect["M"] == pytest.approx(theirs.loc["Indirect M", "coef"], rel=1e-9)
    for m in ("M", "W2"):
        row = r.table.loc[f"indirect[{m}]"]
        assert row["ci_lower"] == pytest.approx(theirs.loc[f"Indirect {m}", "CI2.5"], abs=0.03)
        assert row["ci_upper"] == pytest.approx(theirs.loc[f"Indirect {m}", "CI97.5"], abs=0.03)
        assert row["boot_se"] == pytest.approx(theirs.loc[f"Indirect {m}", "se"], rel=0.1)


# ---------------------------------------------------------------- agreement with statsmodels OLS
def test_paths_and_cluster_ses_match_statsmodels():
    smf = pytest.importorskip("statsmodels.formula.api")
    df = panel()
    flat = df.reset_index()
    r = mediation(df, x="x", m=["m1", "m2"], y="y", covariates=["w"], n_boot=0, cluster="city")
    out = smf.ols("y ~ x + m1 + m2 + w", flat).fit(cov_type="cluster", cov_kwds={"groups": flat["city"].factorize()[0]})
    tot = smf.ols("y ~ x + w", flat).fit(cov_type="cluster", cov_kwds={"groups": flat["city"].factorize()[0]})
    for m in ("m1", "m2"):
        med = smf.ols(f"{m} ~ x + w", flat).fit(cov_type="cluster", cov_kwds={"groups": flat["city"].factorize()[0]})
        assert r.a[m] == pytest.approx(med.params["x"], rel=1e-10)
        assert r.table.loc[f"a[{m}]", "se"] == pytest.approx(med.bse["x"], rel=1e-8)
        assert r.b[m] == pytest.approx(out.params[m], rel=1e-10)
        assert r.table.loc[f"b[{m}]", "se"] == pytest.approx(out.bse[m], rel=1e-8)
    assert r.c_prime == pytest.approx(out.params["x"], rel=1e-10)
    assert r.table.loc["c'", "se"] == pytest.approx(out.bse["x"], rel=1e-8)
    assert r.c == pytest.approx(tot.params["x"], rel=1e-10)
    assert r.table.loc["c", "se"] == pytest.approx(tot.bse["x"], rel=1e-8)
    assert r.table.loc["c", "test"] == "t(39)"
    assert r.path_se == "cluster"
    # classical SEs on request
    nr = mediation(df, x="x", m=["m1", "m2"], y="y", covariates=["w"], n_boot=0, cluster="city",
                   path_se="nonrobust")
    ols = smf.ols("y ~ x + m1 + m2 + w", flat).fit()
    assert nr.table.loc["c'", "se"] == pytest.approx(ols.bse["x"], rel=1e-9)
    assert nr.models["outcome"].cov_type == "nonrobust"
    assert r.models["outcome"].cov_type == "cluster(city)"
    np.testing.assert_allclose(r.models["outcome"].params.to_numpy(), out.params.to_numpy(), rtol=1e-10)


def test_sobel_and_delta_method_by_hand():
    df = panel(seed=3)
    r = mediation(df, x="x", m=["m1", "m2"], y="y", n_boot=0)
    t = r.table
    for m in ("m1", "m2"):
        a, b = r.a[m], r.b[m]
        sa, sb = t.loc[f"a[{m}]", "se"], t.loc[f"b[{m}]", "se"]
        assert t.loc[f"indirect[{m}]", "se"] == pytest.approx(np.sqrt(b**2 * sa**2 + a**2 * sb**2), rel=1e-12)
    # delta SE of the sum: Var = b'Σ_a b + a'Σ_b a with Σ_a from the residual covariance of the mediators
    n = len(df)
    X = np.column_stack([np.ones(n), df["x"]])
    E = df[["m1", "m2"]].to_numpy() - X @ np.linalg.lstsq(X, df[["m1", "m2"]].to_numpy(), rcond=None)[0]
    S = E.T @ E / (n - 2)
    cov_a = S * np.linalg.inv(X.T @ X)[1, 1]
    cov_b = r.models["outcome"].cov.loc[["m1", "m2"], ["m1", "m2"]].to_numpy()
    a, b = r.a.to_numpy(), r.b.to_numpy()
    assert t.loc["total indirect", "se"] == pytest.approx(np.sqrt(b @ cov_a @ b + a @ cov_b @ a), rel=1e-10)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(0, 2), st.integers(0, 10_000))
def test_total_effect_decomposes_exactly(k, q, seed):
    g = np.random.default_rng(seed)
    n = 60
    cols = {"x": g.normal(size=n)}
    for j in range(q):
        cols[f"w{j}"] = g.normal(size=n)
    for j in range(k):
        cols[f"m{j}"] = g.normal() * cols["x"] + g.normal(size=n)
    cols["y"] = sum(g.normal() * v for v in cols.values()) + g.normal(size=n)
    df = pd.DataFrame(cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MediationWarning)
        r = mediation(df, x="x", m=[f"m{j}" for j in range(k)], y="y",
                      covariates=[f"w{j}" for j in range(q)], n_boot=50, rng=seed)
    scale = 1 + abs(r.c)
    assert abs(r.c - (r.c_prime + r.indirect.sum())) < 1e-12 * scale
    assert r.total_indirect == pytest.approx(float((r.a * r.b).sum()), rel=1e-14, abs=1e-15)
    b = r.boot
    np.testing.assert_allclose(b["c"], b["c'"] + b["total indirect"], rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(b["total indirect"], sum(b[f"indirect[m{j}]"] for j in range(k)), rtol=1e-12,
                               atol=1e-14)


# ---------------------------------------------------------------- bootstrap mechanics
def test_bootstrap_reproducible_for_a_seed():
    df = panel(seed=1)
    r1 = mediation(df, x="x", m="m1", y="y", n_boot=300, rng=11)
    r2 = mediation(df, x="x", m="m1", y="y", n_boot=300, rng=np.random.default_rng(11))
    r3 = mediation(df, x="x", m="m1", y="y", n_boot=300, rng=12)
    pd.testing.assert_frame_equal(r1.boot, r2.boot)
    pd.testing.assert_frame_equal(r1.table, r2.table)
    assert not r1.boot.equals(r3.boot)


def test_cluster_bootstrap_differs_from_row_bootstrap_and_is_wider_with_city_effects():
    df = panel(n_cities=60, n_years=10, seed=2, cluster_sd=1.5)
    rows = mediation(df, x="x", m="m1", y="y", n_boot=1000, rng=5)
    clus = mediation(df, x="x", m="m1", y="y", n_boot=1000, rng=5, cluster="city")
    assert rows.indirect.equals(clus.indirect)  # same point estimates
    assert not np.allclose(rows.boot["indirect[m1]"], clus.boot["indirect[m1]"])
    assert clus.table.loc["indirect[m1]", "boot_se"] > 1.3 * rows.table.loc["indirect[m1]", "boot_se"]
    assert clus.n_clusters == 60 and rows.n_clusters is None
    assert "cluster (city) resamples" in clus.summary()


@pytest.mark.parametrize("cluster", [None, "city"])
def test_bootstrap_draws_equal_naive_refits(cluster):
    """Each replication equals an OLS refit on the resampled rows (the draws are replayed)."""
    df = panel(n_cities=15, n_years=4, seed=4)
    r = mediation(df, x="x", m=["m1", "m2"], y="y", covariates="w", n_boot=40, rng=9, cluster=cluster)
    gen = np.random.default_rng(9)
    codes, _ = pd.factorize(df.index.get_level_values("city"))
    n_units = 15 if cluster else len(df)
    draws = gen.integers(0, n_units, size=(40, n_units))  # one chunk: 40 × units < the chunk limit
    for rep in range(40):
        rows = np.concatenate([np.flatnonzero(codes == u) for u in draws[rep]]) if cluster else draws[rep]
        d = df.iloc[rows]
        ones = np.ones(len(d))
        Xa = np.column_stack([ones, d["x"], d["w"]])
        ca = np.linalg.lstsq(Xa, d[["m1", "m2", "y"]].to_numpy(), rcond=None)[0]
        Xb = np.column_stack([ones, d["x"], d["m1"], d["m2"], d["w"]])
        cb = np.linalg.lstsq(Xb, d["y"].to_numpy(), rcond=None)[0]
        row = r.boot.iloc[rep]
        np.testing.assert_allclose([row["a[m1]"], row["a[m2]"], row["c"]], ca[1], rtol=1e-9)
        np.testing.assert_allclose([row["c'"], row["b[m1]"], row["b[m2]"]], cb[1:4], rtol=1e-9)


def test_percentile_and_bias_corrected_intervals_from_draws():
    from scipy.stats import norm

    df = panel(seed=6)
    pc = mediation(df, x="x", m="m1", y="y", n_boot=999, rng=3, ci="percentile", alpha=0.1)
    bc = mediation(df, x="x", m="m1", y="y", n_boot=999, rng=3, alpha=0.1)
    draws = pc.boot["indirect[m1]"].to_numpy()
    pd.testing.assert_frame_equal(pc.boot, bc.boot)
    lo, hi = np.percentile(draws, [5, 95])
    assert pc.table.loc["indirect[m1]", "ci_lower"] == pytest.approx(lo, rel=1e-14)
    assert pc.table.loc["indirect[m1]", "ci_upper"] == pytest.approx(hi, rel=1e-14)
    z0 = norm.ppf(np.mean(draws < bc.indirect["m1"]))
    q = norm.cdf(2 * z0 + norm.ppf([0.05, 0.95])) * 100
    lo, hi = np.percentile(draws, q)
    assert bc.table.loc["indirect[m1]", "ci_lower"] == pytest.approx(lo, rel=1e-14)
    assert bc.table.loc["indirect[m1]", "ci_upper"] == pytest.approx(hi, rel=1e-14)
    assert bc.table.loc["indirect[m1]", "boot_se"] == pytest.approx(draws.std(ddof=1), rel=1e-12)
    assert "90%" in bc.summary()


def test_cluster_bootstrap_speed_target():
    g = np.random.default_rng(0)
    G, T = 300, 20
    city = np.repeat(np.arange(G), T)
    x = g.normal(size=G)[city] + g.normal(size=G * T)
    m = 0.5 * x + g.normal(size=G * T)
    df = pd.DataFrame({"city": city, "x": x, "m": m, "w": g.normal(size=G * T),
                       "y": 0.3 * x + 0.4 * m + g.normal(size=G * T)})
    t = time.perf_counter()
    r = mediation(df, x="x", m="m", y="y", covariates="w", n_boot=2000, cluster="city", rng=1)
    assert time.perf_counter() - t < 30.0
    assert len(r.boot) == 2000


def test_failed_replications_are_dropped_with_a_warning():
    df = panel(n_cities=30, n_years=3, seed=8)
    df["only_c00"] = (df.index.get_level_values("city") == "C00").astype(float)
    with pytest.warns(MediationWarning, match="bootstrap replications had a singular equation"):
        r = mediation(df, x="x", m="m1", y="y", covariates=["only_c00"], n_boot=200, rng=1, cluster="city")
    assert 0 < r.n_boot_failed < 200
    assert len(r.boot) == 200 - r.n_boot_failed
    assert np.isfinite(r.boot.to_numpy()).all()


# ---------------------------------------------------------------- verdicts, proportion, outputs
def _sim(a, b, direct, n=2000, seed=0):
    g = np.random.default_rng(seed)
    x = g.normal(size=n)
    m = a * x + g.normal(size=n)
    y = direct * x + b * m + g.normal(size=n)
    return pd.DataFrame({"x": x, "m": m, "y": y})


@pytest.mark.parametrize(("a", "b", "direct", "verdict"), [
    (0.5, 0.5, 0.0, FULL),
    (0.5, 0.5, 0.4, PARTIAL),
    (0.0, 0.5, 0.4, NONE),
])
def test_verdicts(a, b, direct, verdict):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MediationWarning)
        r = mediation(_sim(a, b, direct), x="x", m="m", y="y", n_boot=500, rng=0)
    assert r.verdict["m"] == verdict
    assert r.verdict["total"] == verdict
    assert f"Verdict via m: {verdict}" in r.summary()


def test_competitive_partial_mediation_and_proportion_warnings():
    with pytest.warns(MediationWarning, match="differ in sign"):
        r = mediation(_sim(0.5, 0.6, -0.6), x="x", m="m", y="y", n_boot=300, rng=0)
    assert r.verdict["m"] == PARTIAL
    assert "competitive" in r.summary()
    assert any("differ in sign" in n for n in r.notes)
    # total effect about 0: c' = -ab
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r0 = mediation(_sim(0.5, 0.6, -0.3, seed=1), x="x", m="m", y="y", n_boot=300, rng=0)
    messages = [str(w.message) for w in caught if issubclass(w.category, MediationWarning)]
    assert any("c = " in m and "not significantly different from 0" in m for m in messages)
    assert not r0.table.loc["c", "significant"]
    assert len(r0.notes) == len(messages)


def test_outputs_table_and_path_diagram():
    df = panel(seed=5)
    r = mediation(df, x="x", m=["m1", "m2"], y="y", covariates=["w"], n_boot=200, rng=0)
    t = r.to_frame()
    assert list(t.index) == ["a[m1]", "a[m2]", "b[m1]", "b[m2]", "c", "c'", "indirect[m1]", "indirect[m2]",
                             "total indirect"]
    assert t.index.name == "effect"
    assert list(t.columns) == ["description", "estimate", "se", "stat", "test", "p", "ci_lower", "ci_upper",
                               "ci_method", "boot_se", "significant"]
    assert t.loc["b[m1]", "test"] == f"t({len(df) - 5})"
    d = r.path_diagram_data()
    assert [n["id"] for n in d["nodes"]] == ["x", "m1", "m2", "y"]
    assert [n["role"] for n in d["nodes"]] == ["x", "mediator", "mediator", "y"]
    assert [(e["source"], e["target"]) for e in d["edges"]] == [
        ("x", "m1"), ("m1", "y"), ("x", "m2"), ("m2", "y"), ("x", "y")]
    assert d["edges"][0]["label"].startswith("a1 = ") and d["edges"][0]["label"].endswith("***")
    assert "(c = " in d["edges"][-1]["label"]
    assert [i["mediator"] for i in d["indirect"]] == ["m1", "m2", "total"]
    assert list(r.boot.columns) == ["a[m1]", "a[m2]", "b[m1]", "b[m2]", "indirect[m1]", "indirect[m2]",
                                    "total indirect", "c'", "c"]
    s = r.summary()
    assert "Indirect effect via m1" in s and "Direct effect c'" in s and "path SEs: nonrobust" in s
    assert set(r.models) == {"m1 ~ x", "m2 ~ x", "total", "outcome"}
    assert r.models["m1 ~ x"].params.index.tolist() == ["const", "x", "w"]


def test_formula_terms_and_awkward_column_names():
    df = panel(seed=7).rename(columns={"m1": "green finance", "w": "size"})
    df["size"] = np.exp(df["size"])
    r = mediation(df, x="x", m="green finance", y="y", covariates=["log(size)"], n_boot=0)
    assert r.mediators == ("green finance",)
    assert r.covariates == ("log(size)",)
    ref = mediation(df.assign(lsize=np.log(df["size"])), x="x", m="green finance", y="y",
                    covariates=["lsize"], n_boot=0)
    assert r.indirect.iloc[0] == pytest.approx(ref.indirect.iloc[0], rel=1e-12)


# ---------------------------------------------------------------- outcome_model
def test_outcome_model_ols_reproduces_default_and_its_bootstrap():
    smf = pytest.importorskip("statsmodels.formula.api")
    df = panel(n_cities=12, n_years=4, seed=2)
    seen = []

    def fit(formula, data):
        seen.append((formula, data.index.get_level_values("city").nunique()))
        return smf.ols(formula, data).fit()

    default = mediation(df, x="x", m=["m1", "m2"], y="y", covariates="w", n_boot=30, rng=4, cluster="city",
                        path_se="nonrobust")
    custom = mediation(df, x="x", m=["m1", "m2"], y="y", covariates="w", n_boot=30, rng=4, cluster="city",
                       outcome_model=fit)
    assert seen[0][0] == "y ~ x + m1 + m2 + w" and seen[1][0] == "y ~ x + w"
    # every bootstrap sample relabels the drawn clusters 0..G-1: always 12 distinct clusters
    assert all(n == 12 for _, n in seen[2:]) and len(seen) == 2 + 30
    for col in ["a[m1]", "b[m1]", "b[m2]", "indirect[m2]", "total indirect", "c'"]:
        np.testing.assert_allclose(custom.boot[col], default.boot[col], rtol=1e-8)
    assert custom.boot["c"].isna().all()
    np.testing.assert_allclose(custom.b, default.b, rtol=1e-10)
    assert custom.c == pytest.approx(default.c, rel=1e-10)
    assert custom.table.loc["c'", "test"] == "z"
    assert custom.path_se == "outcome_model"
    pd.testing.assert_series_equal(custom.table["ci_lower"].iloc[-3:], default.table["ci_lower"].iloc[-3:])


def test_outcome_model_mixed_model_runs():
    smf = pytest.importorskip("statsmodels.formula.api")
    df = panel(n_cities=20, n_years=5, seed=3).reset_index()

    def mixed(formula, data):
        return smf.mixedlm(formula, data, groups=data["city"]).fit(reml=True)

    labels = []

    def recording(formula, data):
        labels.append(sorted(data["city"].unique()))
        return mixed(formula, data)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = mediation(df, x="x", m="m1", y="y", n_boot=4, cluster="city", outcome_model=recording, rng=0)
    assert np.isfinite(r.indirect["m1"]) and r.models["outcome"].__class__.__name__.startswith("MixedLM")
    assert labels[2:] == [list(range(20))] * 4  # cluster column relabelled 0..G-1 in every resample
    assert len(r.boot) + r.n_boot_failed == 4


def test_outcome_model_errors():
    df = panel(seed=1)

    class NoParams:
        pass

    with pytest.raises(InputError, match=r"needs \.params and \.bse"):
        mediation(df, x="x", m="m1", y="y", n_boot=0, outcome_model=lambda f, d: NoParams())

    class Wrong:
        params = pd.Series({"Intercept": 1.0})
        bse = pd.Series({"Intercept": 1.0})

    with pytest.raises(InputError, match="no coefficient for 'x'; terms: Intercept"):
        mediation(df, x="x", m="m1", y="y", n_boot=0, outcome_model=lambda f, d: Wrong())
    with pytest.raises(InputError, match="callable"):
        mediation(df, x="x", m="m1", y="y", n_boot=0, outcome_model="mixedlm")


# ---------------------------------------------------------------- errors
def test_errors_name_what_is_wrong():
    df = panel(seed=0)
    with pytest.raises(InputError, match="'nope'.*not found"):
        mediation(df, x="x", m="nope", y="y", n_boot=0)
    with pytest.raises(InputError, match="'x' is given twice"):
        mediation(df, x="x", m=["m1", "x"], y="y", n_boot=0)
    bad = df.copy()
    bad.loc[("C03", 2012), "m1"] = np.nan
    with pytest.raises(InputError, match="city 'C03', year 2012"):
        mediation(bad, x="x", m="m1", y="y", n_boot=0)
    with pytest.raises(InputError, match="cluster='region' is neither a column nor an index level"):
        mediation(df, x="x", m="m1", y="y", cluster="region")
    with pytest.raises(InputError, match="at least 2 clusters"):
        mediation(df.assign(one=1), x="x", m="m1", y="y", cluster="one")
    with pytest.raises(InputError, match="n_boot"):
        mediation(df, x="x", m="m1", y="y", n_boot=-1)
    with pytest.raises(InputError, match="ci='bca' is not allowed"):
        mediation(df, x="x", m="m1", y="y", ci="bca")
    with pytest.raises(InputError, match="alpha"):
        mediation(df, x="x", m="m1", y="y", alpha=1.5)
    with pytest.raises(InputError, match="rng"):
        mediation(df, x="x", m="m1", y="y", rng="seed")
    with pytest.raises(InputError, match="path_se='cluster' needs cluster"):
        mediation(df, x="x", m="m1", y="y", path_se="cluster")
    with pytest.raises(InputError, match="perfectly collinear"):
        mediation(df.assign(w2=2 * df["w"]), x="x", m="m1", y="y", covariates=["w", "w2"], n_boot=0)
    with pytest.raises(InputError, match="at least one mediator"):
        mediation(df, x="x", m=[], y="y")
    with pytest.raises(InputError, match="DataFrame"):
        mediation(df.to_numpy(), x="x", m="m1", y="y")
