"""Urban indicator systems, obstacle degrees, population change, rationalisation, ratios."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regionkit.errors import ComputationError, InputError
from regionkit.indices.composite import composite_index
from regionkit.indices.entropy import entropy_weights
from regionkit.indices.normalize import minmax
from regionkit.indices.urban import (
    IndicatorSystemResult,
    indicator_system_index,
    obstacle_degree,
    population_change,
    ratio_indicator,
    rationalization,
)

CITIES = pd.Index(["A", "B", "C", "D"], name="city")
SYSTEM = {
    "economy": {"gdp": "positive", "unemp": "negative"},
    "society": {"doctors": "positive", "crime": "negative", "schools": "positive"},
    "ecology": {"green": "positive"},
}


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gdp": [1.0, 2.0, 4.0, 3.0],
            "unemp": [6.0, 5.0, 3.0, 4.5],
            "doctors": [10.0, 30.0, 20.0, 25.0],
            "crime": [5.0, 2.0, 4.0, 1.0],
            "schools": [3.0, 9.0, 4.0, 5.0],
            "green": [0.2, 0.4, 0.3, 0.35],
            "ignored": ["x", "y", "z", "w"],
        },
        index=CITIES,
    )


# ---------------------------------------------------------------- indicator systems
def test_sum_convention_equal_weights_by_hand():
    f = frame()
    r = indicator_system_index(f, SYSTEM, weighting="equal", shift=0.0)
    z = minmax(f.drop(columns="ignored"), {k: v for d in SYSTEM.values() for k, v in d.items()})
    w = 1 / 6
    np.testing.assert_allclose(r.scores["economy"], w * (z["gdp"] + z["unemp"]), rtol=1e-14)
    np.testing.assert_allclose(r.scores["society"], w * (z["doctors"] + z["crime"] + z["schools"]), rtol=1e-14)
    np.testing.assert_allclose(r.total, w * z.sum(axis=1), rtol=1e-14)
    # implied dimension weights and within-dimension weights
    np.testing.assert_allclose(r.dimension_weights["weight"], [2 / 6, 3 / 6, 1 / 6])
    within = r.weights.set_index("indicator")["weight_within"]
    assert within["gdp"] == pytest.approx(0.5) and within["schools"] == pytest.approx(1 / 3)
    assert within["green"] == pytest.approx(1.0)
    assert list(r.to_frame().columns) == ["economy", "society", "ecology", "total"]
    assert r.system["society"] == ("doctors", "crime", "schools")


def test_sum_convention_entropy_equals_one_composite_over_all_indicators():
    f = frame().drop(columns="ignored")
    dirs = {k: v for d in SYSTEM.values() for k, v in d.items()}
    r = indicator_system_index(f, SYSTEM, shift=1e-4)
    ci = composite_index(f, dirs, shift=1e-4)
    np.testing.assert_allclose(r.indicator_weights[list(dirs)], ci.weight_vector()[list(dirs)], rtol=1e-14)
    np.testing.assert_allclose(r.total, ci.score, rtol=1e-13)
    np.testing.assert_allclose(r.scores.sum(axis=1), r.total, rtol=1e-13)
    assert r.weights["entropy"].notna().all()
    np.testing.assert_allclose(r.normalized, ci.normalized)


def test_within_dimension_convention_entropy():
    f = frame().drop(columns="ignored")
    r = indicator_system_index(f, SYSTEM, dimension_weights="entropy", shift=1e-4)
    for d, inds in SYSTEM.items():
        ci = composite_index(f[list(inds)], inds, name=d, shift=1e-4)
        np.testing.assert_allclose(r.scores[d], ci.score, rtol=1e-13)
        w = r.weights[r.weights["dimension"] == d].set_index("indicator")["weight_within"]
        np.testing.assert_allclose(w[list(inds)], ci.weight_vector()[list(inds)], rtol=1e-13)
    ew = entropy_weights(r.scores)
    np.testing.assert_allclose(r.dimension_weights["weight"], ew.weights.to_numpy(), rtol=1e-13)
    np.testing.assert_allclose(r.total, r.scores.to_numpy() @ ew.weights.to_numpy(), rtol=1e-13)
    # overall weight = dimension weight × within weight
    for _, row in r.weights.iterrows():
        assert row["weight"] == pytest.approx(r.dimension_weights.loc[row["dimension"], "weight"] * row["weight_within"])
    assert r.weights["weight"].sum() == pytest.approx(1.0, abs=1e-14)
    assert "convention (b)" in r.summary()


def test_within_dimension_equal_and_given_dimension_weights():
    f = frame()
    r = indicator_system_index(f, SYSTEM, weighting="equal", dimension_weights="equal", shift=0.0)
    z = r.standardized
    np.testing.assert_allclose(r.scores["economy"], (z["gdp"] + z["unemp"]) / 2)
    np.testing.assert_allclose(r.total, r.scores.mean(axis=1))
    g = indicator_system_index(f, SYSTEM, weighting="equal", shift=0.0,
                               dimension_weights={"economy": 2, "society": 1, "ecology": 1})
    np.testing.assert_allclose(g.dimension_weights["weight"], [0.5, 0.25, 0.25])
    np.testing.assert_allclose(g.total, g.scores.to_numpy() @ [0.5, 0.25, 0.25])


def test_user_weights_in_both_conventions():
    f = frame()
    uw = {"gdp": 3, "unemp": 1, "doctors": 1, "crime": 1, "schools": 2, "green": 2}
    a = indicator_system_index(f, SYSTEM, weighting="user", weights=uw, shift=0.0)
    np.testing.assert_allclose(a.indicator_weights["gdp"], 0.3)
    b = indicator_system_index(f, SYSTEM, weighting="user", weights=uw, dimension_weights="equal", shift=0.0)
    wb = b.weights.set_index("indicator")
    assert wb.loc["gdp", "weight_within"] == pytest.approx(0.75)
    assert wb.loc["schools", "weight_within"] == pytest.approx(0.5)
    assert wb.loc["gdp", "weight"] == pytest.approx(0.25)


def test_shift_keeps_standardized_in_unit_interval():
    r = indicator_system_index(frame(), SYSTEM, shift=0.01)
    assert r.normalized.min().min() == pytest.approx(0.01)
    assert r.standardized.min().min() == 0.0 and r.standardized.max().max() == 1.0


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, (6, 5), elements=st.floats(0, 100, allow_nan=False)),
    st.sampled_from(["sum", "entropy", "equal"]),
)
def test_weights_sum_to_one(values, dim_w):
    values = values + (np.arange(5) + 1) * np.arange(6)[:, None]  # rarely a constant column
    if np.any(values.max(axis=0) - values.min(axis=0) < 1e-6):
        return
    f = pd.DataFrame(values, columns=list("abcde"))
    system = {"d1": {"a": "positive", "b": "negative"}, "d2": {"c": "positive", "d": "positive", "e": "negative"}}
    try:
        r = indicator_system_index(f, system, dimension_weights=dim_w)
    except InputError:
        return  # a dimension score constant (entropy undefined) is a named error
    assert r.weights["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert r.dimension_weights["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    for d in system:
        assert r.weights.loc[r.weights["dimension"] == d, "weight_within"].sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(r.total, r.normalized.to_numpy() @ r.indicator_weights[f.columns].to_numpy(),
                               rtol=1e-12, atol=1e-14)
    # a city at the best value of every weighted indicator has undefined obstacle degrees
    # (the default raises a named error; "nan" marks those rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        o = obstacle_degree(r, top_k=2, on_undefined="nan")
    defined = o.indicator.notna().all(axis=1)
    np.testing.assert_allclose(o.indicator.loc[defined].sum(axis=1), 1.0, rtol=1e-12)
    weighted = o.deviation.mul(o.factor_contribution, axis=1).sum(axis=1)
    assert (weighted.loc[~defined] == 0).all()


def test_indicator_system_errors():
    f = frame()
    with pytest.raises(InputError, match="'gdp' appears in dimensions 'a' and 'b'"):
        indicator_system_index(f, {"a": {"gdp": "positive"}, "b": {"gdp": "positive"}})
    with pytest.raises(InputError, match="'nope'.*not found"):
        indicator_system_index(f, {"a": {"nope": "positive"}})
    with pytest.raises(InputError, match="dimension 'a' has no indicators"):
        indicator_system_index(f, {"a": {}})
    with pytest.raises(InputError, match="direction of 'gdp'"):
        indicator_system_index(f, {"a": {"gdp": "up"}})
    with pytest.raises(InputError, match="dimension_weights"):
        indicator_system_index(f, SYSTEM, dimension_weights="pca")
    with pytest.raises(InputError, match=r"unknown dimension\(s\) \['x'\]"):
        indicator_system_index(f, SYSTEM, dimension_weights={"x": 1, "economy": 1})
    with pytest.raises(InputError, match="dimension 'economy': user weights miss"):
        indicator_system_index(f, SYSTEM, weighting="user", weights={"gdp": 1}, dimension_weights="equal")
    g = f.copy()
    g.loc["B", "crime"] = np.nan
    with pytest.raises(InputError, match=r"\(B, crime\)"):
        indicator_system_index(g, SYSTEM)
    with pytest.raises(InputError, match=r"\['green'\] are constant"):
        indicator_system_index(f.assign(green=1.0), SYSTEM)


# ---------------------------------------------------------------- obstacle degree
def test_obstacle_degree_by_hand():
    x = pd.DataFrame({"a": [0.0, 0.5, 1.0, 0.2], "b": [1.0, 0.5, 0.0, 0.2], "c": [0.5, 0.5, 0.5, 0.0]},
                     index=CITIES)
    w = {"a": 0.5, "b": 0.3, "c": 0.2}
    o = obstacle_degree(x, weights=w, system={"d1": ["a", "b"], "d2": ["c"]}, top_k=2)
    # A: F·I = .5, 0, .1 -> /0.6 ; D: .4, .24, .2 -> /0.84
    np.testing.assert_allclose(o.indicator.loc["A"], [0.5 / 0.6, 0.0, 0.1 / 0.6])
    np.testing.assert_allclose(o.indicator.loc["D"], [0.4 / 0.84, 0.24 / 0.84, 0.2 / 0.84])
    np.testing.assert_allclose(o.indicator.sum(axis=1), 1.0)
    np.testing.assert_allclose(o.dimension["d1"], o.indicator["a"] + o.indicator["b"])
    np.testing.assert_allclose(o.deviation["a"], [1.0, 0.5, 0.0, 0.8])
    top = o.top
    assert top.index.names == ["city", "rank"]
    assert top.loc[("A", 1), "indicator"] == "a" and top.loc[("A", 2), "indicator"] == "c"
    assert top.loc[("C", 1), "dimension"] == "d1"
    wide = o.top_wide()
    assert list(wide.columns) == ["obstacle_1", "degree_1", "obstacle_2", "degree_2"]
    assert wide.loc["D", "degree_1"] == pytest.approx(0.4 / 0.84)
    assert o.to_frame().shape == (4, 5)
    assert "Most frequent main obstacle: 'a'" in o.summary()


def test_obstacle_from_system_result_uses_unshifted_values_and_weights():
    r = indicator_system_index(frame(), SYSTEM, shift=0.01)
    o = obstacle_degree(r)
    np.testing.assert_allclose(o.deviation, 1.0 - r.standardized)
    f = r.indicator_weights[o.indicator.columns].to_numpy()
    fi = (1.0 - r.standardized.to_numpy()) * f
    np.testing.assert_allclose(o.indicator, fi / fi.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(o.dimension.sum(axis=1), 1.0)
    assert list(o.dimension.columns) == list(SYSTEM)
    assert o.top_k == 3
    assert isinstance(r, IndicatorSystemResult)


def test_obstacle_panel_index_and_undefined_rows():
    idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021]], names=["city", "year"])
    x = pd.DataFrame({"a": [0.0, 1.0, 0.5, 0.2], "b": [0.3, 1.0, 0.1, 0.9]}, index=idx)
    with pytest.raises(ComputationError, match="city 'A', year 2021"):
        obstacle_degree(x, weights={"a": 1, "b": 1})
    with pytest.warns(RuntimeWarning, match="city 'A', year 2021"):
        o = obstacle_degree(x, weights={"a": 1, "b": 1}, on_undefined="nan")
    assert o.indicator.loc[("A", 2021)].isna().all()
    assert o.top.index.names == ["city", "year", "rank"]
    assert o.top_wide().shape == (4, 4)


def test_obstacle_errors():
    x = pd.DataFrame({"a": [0.0, 1.2], "b": [0.5, 0.5]}, index=pd.Index(["A", "B"], name="city"))
    with pytest.raises(InputError, match="city 'B', indicator 'a' \\(value 1.2\\)"):
        obstacle_degree(x, weights={"a": 1, "b": 1})
    with pytest.raises(InputError, match="needs weights"):
        obstacle_degree(x.clip(upper=1))
    with pytest.raises(InputError, match=r"miss indicator\(s\) \['b'\]"):
        obstacle_degree(x.clip(upper=1), weights={"a": 1})
    with pytest.raises(InputError, match="non-negative"):
        obstacle_degree(x.clip(upper=1), weights={"a": 1, "b": -1})
    with pytest.raises(InputError, match="unknown indicator"):
        obstacle_degree(x.clip(upper=1), weights={"a": 1, "b": 1}, system={"d": ["zz"]})
    with pytest.raises(InputError, match="top_k"):
        obstacle_degree(x.clip(upper=1), weights={"a": 1, "b": 1}, top_k=0)


# ---------------------------------------------------------------- population change
def test_population_change_by_hand_and_classes():
    reg = pd.Series([100.0, 50.0, 80.0], index=pd.Index(["A", "B", "C"], name="city"))
    res = pd.Series([90.0, 60.0, 79.5], index=reg.index)
    r = population_change(reg, res)
    assert r.S.tolist() == [10.0, -10.0, 0.5]
    assert r.classes.tolist() == ["shrinking", "growing", "shrinking"]
    assert "resident_growth" not in r.table
    r1 = population_change(reg, res, tolerance=1.0)
    assert r1.classes.tolist() == ["shrinking", "growing", "stable"]
    r2 = population_change(reg, res, tolerance=0.15, tolerance_mode="relative")
    # S_rate: 0.1, -0.2, 0.00625
    np.testing.assert_allclose(r2.table["S_rate"], [0.1, -0.2, 0.00625])
    assert r2.classes.tolist() == ["stable", "growing", "stable"]
    assert "shrinking  0" in r2.summary()
    # resident aligned by label, not position
    r3 = population_change(reg, res.iloc[::-1])
    assert r3.S.tolist() == [10.0, -10.0, 0.5]


def test_population_growth_in_panels_with_gaps():
    idx = pd.MultiIndex.from_tuples(
        [("A", 2012), ("A", 2010), ("A", 2011), ("B", 2010), ("B", 2013)], names=["city", "year"])
    reg = pd.Series([100.0, 100.0, 100.0, 40.0, 40.0], index=idx)
    res = pd.Series([81.0, 100.0, 90.0, 50.0, 55.0], index=idx)
    g = population_change(reg, res).table["resident_growth"]
    assert g[("A", 2010)] != g[("A", 2010)]  # NaN: first year
    assert g[("A", 2011)] == pytest.approx(-0.1)
    assert g[("A", 2012)] == pytest.approx(-0.1)
    assert math.isnan(g[("B", 2013)])  # gap 2010 -> 2013


def test_population_errors_name_city_and_year():
    idx = pd.MultiIndex.from_product([["A", "B"], [2010, 2011]], names=["city", "year"])
    reg = pd.Series([100.0, 100.0, 50.0, 52.0], index=idx)
    res = pd.Series([90.0, np.nan, 60.0, 66.0], index=idx)
    with pytest.raises(InputError, match="resident population missing.*city 'A', year 2011"):
        population_change(reg, res)
    with pytest.raises(InputError, match="registered population .*city 'B', year 2010 \\(value -50\\)"):
        population_change(reg * [1, 1, -1, 1], res.fillna(1.0))
    with pytest.raises(InputError, match="only in registered"):
        population_change(reg, res.iloc[:3].fillna(1.0))
    with pytest.raises(InputError, match="tolerance"):
        population_change(reg, res.fillna(1.0), tolerance=-1)
    with pytest.raises(InputError, match="tolerance_mode"):
        population_change(reg, res.fillna(1.0), tolerance_mode="percent")


# ---------------------------------------------------------------- rationalisation
def test_rationalization_by_hand():
    y = pd.DataFrame({"p": [10.0, 20.0], "s": [40.0, 40.0], "t": [50.0, 40.0]}, index=pd.Index(["A", "B"], name="city"))
    lab = pd.DataFrame({"t": [50.0, 30.0], "p": [10.0, 40.0], "s": [40.0, 30.0]}, index=y.index)  # other order
    r = rationalization(y, lab)
    expected = 0.2 * math.log(0.2 / 0.4) + 2 * 0.4 * math.log(0.4 / 0.3)
    assert r.value["A"] == pytest.approx(0.0, abs=1e-15)
    assert r.value["B"] == pytest.approx(expected, rel=1e-14)
    assert r.value.name == "TL"
    np.testing.assert_allclose(r.terms.sum(axis=1), r.value)
    np.testing.assert_allclose(r.employment_share.loc["B"], [0.4, 0.3, 0.3])
    e = rationalization(y, lab, form="deviation")
    # productivity ratios (Y_j/Y)/(L_j/L) in B: 0.5, 4/3, 4/3 -> |.| sum 0.5 + 2/3
    assert e.value["B"] == pytest.approx(0.5 + 2 / 3, rel=1e-14)
    assert list(r.to_frame().columns) == ["p", "s", "t", "TL"]
    assert "0 = equilibrium" in r.summary()


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (4, 3), elements=st.floats(0.1, 1e4)),
    arrays(np.float64, (4, 3), elements=st.floats(0.1, 1e4)),
    st.floats(0.01, 100),
)
def test_rationalization_properties(y, lab, k):
    Y = pd.DataFrame(y, columns=["a", "b", "c"])
    L = pd.DataFrame(lab, columns=["a", "b", "c"])
    r = rationalization(Y, L).value
    assert (r >= 0).all()
    # equal structures -> 0
    assert np.allclose(rationalization(Y, Y * k).value, 0.0, atol=1e-12)
    # invariant to the units of either input and to the order of the sectors
    np.testing.assert_allclose(rationalization(Y * k, L).value, r, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(rationalization(Y[["c", "a", "b"]], L).value, r, rtol=1e-9, atol=1e-12)


def test_rationalization_errors_name_city_and_sector():
    y = pd.DataFrame({"p": [10.0, 0.0], "s": [40.0, 40.0]}, index=pd.Index(["A", "B"], name="city"))
    lab = pd.DataFrame({"p": [10.0, 5.0], "s": [40.0, -3.0]}, index=y.index)
    with pytest.raises(InputError, match="value added missing, zero or negative at city 'B', sector 'p'"):
        rationalization(y, lab)
    with pytest.raises(InputError, match="employment .*city 'B', sector 's' \\(value -3\\)"):
        rationalization(y.replace(0.0, 1.0), lab)
    with pytest.raises(InputError, match=r"only in value added: \['p'\]"):
        rationalization(y, lab.rename(columns={"p": "q"}))
    with pytest.raises(InputError, match="row labels"):
        rationalization(y, lab.set_axis(["A", "C"]))
    with pytest.raises(InputError, match="form"):
        rationalization(y, lab, form="tl")


# ---------------------------------------------------------------- ratio indicators
def test_ratio_indicator_forms_and_errors():
    idx = pd.Index(["A", "B", "C"], name="city")
    mobile = pd.Series([80.0, 30.0, 10.0], index=idx, name="mobile")
    internet = pd.Series([20.0, 10.0, 5.0], index=idx, name="internet")
    pop = pd.Series([100.0, 50.0, 30.0], index=idx, name="pop")
    r = ratio_indicator([mobile, internet], pop, name="info")
    np.testing.assert_allclose(r, [1.0, 0.8, 0.5])
    assert r.name == "info"
    r2 = ratio_indicator(pd.concat([mobile, internet], axis=1), pop.iloc[::-1], name="info", scale=100)
    np.testing.assert_allclose(r2.loc[["A", "B", "C"]], [100.0, 80.0, 50.0])
    with pytest.raises(InputError, match="denominator 'pop' is zero at city 'B'"):
        ratio_indicator(mobile, pop.replace(50.0, 0.0), name="info")
    with pytest.raises(InputError, match="numerator 'internet' missing .* city 'C'"):
        ratio_indicator([mobile, internet.replace(5.0, np.nan)], pop, name="info")
    with pytest.raises(InputError, match="only in numerator 'mobile'"):
        ratio_indicator(mobile.rename({"C": "D"}), pop, name="info")
    with pytest.raises(InputError, match="non-empty name"):
        ratio_indicator(mobile, pop, name="")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ratio_indicator(mobile, -pop, name="neg")  # negative denominators are allowed
