"""Normalisation and entropy weights: hand-computed cases, invariants, properties, errors."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regionkit.errors import InputError
from regionkit.indices.entropy import entropy_weights
from regionkit.indices.normalize import minmax


def test_minmax_directions_by_hand():
    f = pd.DataFrame({"gdp": [10.0, 20.0, 40.0], "unemp": [8.0, 5.0, 2.0]}, index=list("ABC"))
    z = minmax(f, {"gdp": "positive", "unemp": "negative"})
    # gdp: (x-10)/30 ; unemp: (8-x)/6
    np.testing.assert_allclose(z["gdp"], [0.0, 1 / 3, 1.0])
    np.testing.assert_allclose(z["unemp"], [0.0, 0.5, 1.0])
    assert f.loc["A", "gdp"] == 10.0  # caller data untouched


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("add", [0.01, 0.51, 1.01]), ("rescale", [0.01, 0.505, 1.0]), ("band", [0.01, 0.5, 0.99])],
)
def test_minmax_shift_modes(mode, expected):
    f = pd.DataFrame({"x": [1.0, 2.0, 3.0]})
    np.testing.assert_allclose(minmax(f, shift=0.01, shift_mode=mode)["x"], expected)


def test_minmax_year_scope_vs_global():
    idx = pd.MultiIndex.from_product([["A", "B"], [2000, 2001]], names=["region", "year"])
    f = pd.DataFrame({"x": [1.0, 3.0, 2.0, 5.0]}, index=idx)
    per_year = minmax(f, scope="year")["x"]
    # 2000: A=1, B=2 -> 0, 1 ; 2001: A=3, B=5 -> 0, 1
    np.testing.assert_allclose(per_year.to_numpy(), [0, 0, 1, 1])
    glob = minmax(f, scope="global")["x"]
    np.testing.assert_allclose(glob.to_numpy(), [0, 0.5, 0.25, 1])


def test_minmax_errors_name_the_indicator():
    f = pd.DataFrame({"const": [2.0, 2.0], "x": [1.0, 2.0]})
    with pytest.raises(InputError, match="'const'.*constant"):
        minmax(f)
    with pytest.raises(InputError, match="no direction.*'x'"):
        minmax(f[["x"]].assign(y=[1.0, 3.0]), {"y": "positive"})
    with pytest.raises(InputError, match="choose one of: 'positive', 'negative'"):
        minmax(f[["x"]], {"x": "up"})
    with pytest.raises(InputError, match="choose one of"):
        minmax(f[["x"]], scope="decade")
    g = pd.DataFrame({"x": [1.0, np.nan]}, index=["A", "B"])
    with pytest.raises(InputError, match=r"\(B, x\)"):
        minmax(g)


def test_minmax_year_scope_constant_names_year():
    idx = pd.MultiIndex.from_product([["A", "B"], [2000, 2001]], names=["region", "year"])
    f = pd.DataFrame({"x": [1.0, 3.0, 1.0, 5.0]}, index=idx)
    with pytest.raises(InputError, match="year 2000"):
        minmax(f, scope="year")


def test_entropy_by_hand():
    # x = [1, 1, 2] in one column: p = [.25, .25, .5]; e = -(2*.25 ln .25 + .5 ln .5)/ln 3
    x = pd.DataFrame({"a": [1.0, 1.0, 2.0], "b": [0.0, 1.0, 1.0]})
    w = entropy_weights(x)
    ea = -(2 * 0.25 * math.log(0.25) + 0.5 * math.log(0.5)) / math.log(3)
    eb = -(2 * 0.5 * math.log(0.5)) / math.log(3)  # 0 ln 0 = 0
    assert w.entropy["a"] == pytest.approx(ea, rel=1e-14)
    assert w.entropy["b"] == pytest.approx(eb, rel=1e-14)
    da, db = 1 - ea, 1 - eb
    assert w.weights["a"] == pytest.approx(da / (da + db), rel=1e-14)
    assert w.to_frame().shape == (2, 3)
    assert "Entropy weights" in w.summary()


def test_entropy_uniform_column_has_zero_divergence_but_constant_is_error():
    x = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [0.0, 1.0, 2.0]})
    with pytest.raises(InputError, match=r"\['a'\].*constant"):
        entropy_weights(x)
    with pytest.raises(InputError, match="negative"):
        entropy_weights(pd.DataFrame({"a": [-1.0, 1.0]}))
    with pytest.raises(InputError, match="two observations"):
        entropy_weights(pd.DataFrame({"a": [1.0]}))


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, st.tuples(st.integers(3, 30), st.integers(1, 6)),
              elements=st.integers(-10**6, 10**6)))
def test_properties_normalise_then_weight(values):
    f = pd.DataFrame(values / 100.0, columns=[f"x{i}" for i in range(values.shape[1])])
    spread = f.max() - f.min()
    if (spread == 0).any():
        with pytest.raises(InputError):
            minmax(f)
        return
    z = minmax(f)
    assert ((z >= 0) & (z <= 1)).all().all()
    np.testing.assert_allclose(z.min(), 0, atol=1e-12)
    np.testing.assert_allclose(z.max(), 1, atol=1e-12)
    w = entropy_weights(z)
    assert w.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert (w.weights >= 0).all()
    assert ((w.entropy >= -1e-12) & (w.entropy <= 1 + 1e-12)).all()
    # affine transformations of an indicator leave normalisation (and weights) unchanged
    f2 = f * 3.0 + 7.0
    np.testing.assert_allclose(minmax(f2), z, atol=1e-9)
