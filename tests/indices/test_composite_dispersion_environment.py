"""Composite indices, dispersion (range, CV, Theil decomposition) and environmental damage."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.errors import InputError
from regionkit.indices.composite import composite_index
from regionkit.indices.dispersion import dispersion, theil
from regionkit.indices.entropy import entropy_weights
from regionkit.indices.environment import environmental_damage
from regionkit.indices.normalize import minmax


def _panel_frame():
    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2000, 2001]], names=["region", "year"])
    return pd.DataFrame(
        {"gdp": [1.0, 2.0, 3.0, 5.0, 4.0, 4.0], "unemp": [9.0, 8.0, 6.0, 5.0, 4.0, 7.0]}, index=idx
    )


def test_entropy_composite_equals_manual_pipeline():
    f = _panel_frame()
    dirs = {"gdp": "positive", "unemp": "negative"}
    ci = composite_index(f, dirs, name="econ", shift=0.01)
    z = minmax(f, dirs, shift=0.01)
    w = entropy_weights(z).weights
    np.testing.assert_allclose(ci.score, z.to_numpy() @ w.to_numpy(), rtol=1e-14)
    assert ci.weight_vector().sum() == pytest.approx(1.0)
    assert set(ci.weights["period"]) == {"all"}
    assert "econ" in ci.to_frame().columns
    assert "entropy weights pooled" in ci.summary()


def test_per_year_weights_and_user_weights():
    f = _panel_frame()
    dirs = {"gdp": "positive", "unemp": "negative"}
    ci = composite_index(f, dirs, weight_scope="year", scope="year")
    assert sorted(set(ci.weights["period"])) == [2000, 2001]
    for year in (2000, 2001):
        assert ci.weight_vector(year).sum() == pytest.approx(1.0)
        block = minmax(f, dirs, scope="year").xs(year, level="year", drop_level=False)
        w = entropy_weights(block).weights
        np.testing.assert_allclose(ci.score.xs(year, level="year"), block.to_numpy() @ w.to_numpy())
    user = composite_index(f, dirs, weighting="user", weights={"gdp": 3, "unemp": 1})
    assert user.weight_vector().to_dict() == {"gdp": 0.75, "unemp": 0.25}
    eq = composite_index(f, dirs, weighting="equal")
    # A-2000: gdp z = 0, unemp z = (9-9)/5 = 0 -> 0 ; C-2001: gdp (4-1)/4 = .75, unemp (9-7)/5 = .4
    assert eq.score[("A", 2000)] == 0.0
    assert eq.score[("C", 2001)] == pytest.approx((0.75 + 0.4) / 2)
    with pytest.raises(InputError, match="needs weights"):
        composite_index(f, dirs, weighting="user")
    with pytest.raises(InputError, match="miss"):
        composite_index(f, dirs, weighting="user", weights={"gdp": 1})
    with pytest.raises(InputError, match="choose one of"):
        composite_index(f, dirs, weighting="ahp")


def test_composite_constant_indicator_named_with_system():
    f = _panel_frame().assign(flat=1.0)
    with pytest.raises(InputError, match=r"'flat'.*constant"):
        composite_index(f, {"gdp": "positive", "unemp": "negative", "flat": "positive"}, name="econ")


def test_dispersion_by_hand():
    wide = pd.DataFrame({2000: [1.0, 3.0, 2.0, 6.0]}, index=list("ABCD"))
    groups = pd.Series(["x", "x", "y", "y"], index=list("ABCD"))
    r = dispersion(wide, groups=groups, ddof=1)
    t = r.table.loc[2000]
    assert t["range"] == 5.0
    assert t["mean"] == 3.0
    assert t["cv"] == pytest.approx(np.std([1, 3, 2, 6], ddof=1) / 3.0)
    # Theil T = (1/4) Σ (y/3) ln(y/3)
    expected = sum((y / 3) * math.log(y / 3) for y in [1, 3, 2, 6]) / 4
    assert t["theil"] == pytest.approx(expected, rel=1e-13)
    # group x mean 2, y mean 4; between = Σ (n_g/n)(μ_g/μ) ln(μ_g/μ)
    between = 0.5 * (2 / 3) * math.log(2 / 3) + 0.5 * (4 / 3) * math.log(4 / 3)
    assert t["theil_between"] == pytest.approx(between, rel=1e-13)
    assert t["theil_between"] + t["theil_within"] == pytest.approx(t["theil"], rel=1e-13)
    assert r.group_means.loc[2000].to_dict() == {"x": 2.0, "y": 4.0}
    assert "CV" in r.summary()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1e4), min_size=3, max_size=25), st.integers(1, 4))
def test_theil_decomposition_exact(values, k):
    wide = pd.DataFrame({2000: values}, index=[f"r{i}" for i in range(len(values))])
    groups = pd.Series([i % k for i in range(len(values))], index=wide.index)
    pop = pd.DataFrame({2000: np.linspace(1, 3, len(values))}, index=wide.index)
    for weights in (None, pop):
        t = dispersion(wide, groups=groups, weights=weights).table.loc[2000]
        assert t["theil"] >= -1e-12
        assert t["theil_between"] + t["theil_within"] == pytest.approx(t["theil"], abs=1e-10)
    assert theil(np.array(values) * 7.5) == pytest.approx(theil(np.array(values)), abs=1e-10)


def test_dispersion_errors():
    wide = pd.DataFrame({2000: [1.0, -3.0]}, index=["A", "B"])
    with pytest.raises(InputError, match="region 'B', period 2000"):
        dispersion(wide)
    with pytest.raises(InputError, match="no group for region"):
        dispersion(wide.abs(), groups=pd.Series(["x"], index=["A"]))


def test_environmental_damage_by_hand_and_panel():
    idx = pd.MultiIndex.from_product([["A", "B"], [2000, 2001]], names=["region", "year"])
    e = pd.DataFrame({"so2": [1.0, 2.0, 3.0, 2.0], "water": [4.0, 1.0, 2.0, 3.0]}, index=idx)
    gdp = pd.Series([1.0, 2.0, 1.0, 2.0], index=idx)
    r = environmental_damage(e, base=gdp)
    # 2000: national so2 intensity = (1+3)/(1+1) = 2 ; A: 1/1 / 2 = 0.5
    assert r.damage.loc[("A", 2000), "so2"] == pytest.approx(0.5)
    # 2001: national = (2+2)/(2+2) = 1 ; B: 2/2 / 1 = 1
    assert r.damage.loc[("B", 2001), "so2"] == pytest.approx(1.0)
    assert r.composite.weight_vector().sum() == pytest.approx(1.0)
    assert r.index.between(0, 1).all()
    assert "DI_so2" in r.to_frame().columns
    with pytest.raises(InputError, match="negative"):
        environmental_damage(e.assign(so2=-1.0))
