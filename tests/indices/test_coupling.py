"""Coupling coordination: hand-computed cases, invariants, properties, classes, errors."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.errors import ComputationError, InputError
from regionkit.indices.coupling import (
    BANDS_10,
    classify,
    coupling_coordination,
    coupling_degree,
)


def test_two_systems_by_hand():
    u = pd.DataFrame({"eco": [0.2, 0.6], "env": [0.8, 0.6]}, index=["A", "B"])
    r = coupling_coordination(u, bands="3")
    # A: C = 2 sqrt(0.16)/1.0 = 0.8 ; T = 0.5 ; D = sqrt(0.4)
    assert r.C["A"] == pytest.approx(0.8, rel=1e-14)
    assert r.T["A"] == pytest.approx(0.5, rel=1e-14)
    assert r.D["A"] == pytest.approx(math.sqrt(0.4), rel=1e-14)
    # B: equal systems -> C = 1, T = 0.6, D = sqrt(0.6)
    assert r.C["B"] == pytest.approx(1.0, rel=1e-14)
    assert r.D["B"] == pytest.approx(math.sqrt(0.6), rel=1e-14)
    assert list(r.table["D_class"]) == ["high", "high"]
    # relative development E = U_env/U_eco: A 4.0 -> eco lagging (> 1.2) ; B 1.0 synchronous
    assert r.table.loc["A", "E_env"] == pytest.approx(4.0)
    assert list(r.table["lagging"]) == ["eco", "synchronous"]


def test_wang_and_fan_forms_by_hand():
    u = pd.DataFrame({"a": [0.2], "b": [0.8]})
    # wang2021, n = 2: sqrt((1 - |0.2 - 0.8|) * 0.2/0.8) = sqrt(0.4 * 0.25) = sqrt(0.1)
    assert coupling_degree(u, form="wang2021").iloc[0] == pytest.approx(math.sqrt(0.1), rel=1e-14)
    # fan, n = 2: 1 - |0.2 - 0.8| = 0.4
    assert coupling_degree(u, form="fan").iloc[0] == pytest.approx(0.4, rel=1e-14)
    # three systems, wang2021: pairs |.2-.5|+|.2-.8|+|.5-.8| = 1.2, / (1+2) = 0.4
    # product U/max = .25 * .625 * 1 = 0.15625, ^(1/2)
    v = pd.DataFrame({"a": [0.2], "b": [0.5], "c": [0.8]})
    expected = math.sqrt((1 - 0.4) * 0.15625 ** 0.5)
    assert coupling_degree(v, form="wang2021").iloc[0] == pytest.approx(expected, rel=1e-14)
    # standard, three systems: 3 * cbrt(.08) / 1.5
    assert coupling_degree(v).iloc[0] == pytest.approx(3 * 0.08 ** (1 / 3) / 1.5, rel=1e-14)


def test_standard_form_crowds_near_one_and_wang_does_not():
    # documented behaviour: U_min/U_max >= 0.5 gives standard C >= 0.94
    u = pd.DataFrame({"a": np.linspace(0.05, 0.5, 10), "b": np.linspace(0.1, 1.0, 10)})
    assert (coupling_degree(u) >= 0.94).all()
    assert coupling_degree(u, form="wang2021").min() < 0.6


def test_weights_and_bands():
    u = pd.DataFrame({"a": [0.05, 0.95], "b": [0.05, 0.95]})
    r = coupling_coordination(u, weights={"a": 3, "b": 1})
    assert r.weights.to_dict() == {"a": 0.75, "b": 0.25}
    assert list(r.table["D_class"]) == ["moderate imbalance", "quality coordination"]  # D = sqrt(0.05) = 0.224
    counts = r.class_counts()
    assert counts["count"].sum() == 2
    user = coupling_coordination(u, bands=[(0.5, "weak"), (1.0, "strong")])
    assert list(user.table["D_class"]) == ["weak", "strong"]
    with pytest.raises(InputError, match="increasing"):
        coupling_coordination(u, bands=[(0.5, "x"), (0.4, "y")])
    with pytest.raises(InputError, match="choose one of"):
        coupling_coordination(u, bands="5")


def test_classify_boundaries_closed_on_left():
    s = pd.Series([0.0, 0.1, 0.0999999, 0.9, 1.0])
    labels = list(classify(s, BANDS_10))
    assert labels == ["extreme imbalance", "serious imbalance", "extreme imbalance",
                      "quality coordination", "quality coordination"]


def test_errors():
    with pytest.raises(InputError, match="at least two systems"):
        coupling_coordination(pd.DataFrame({"a": [0.5]}))
    with pytest.raises(InputError, match="system 'b', row B"):
        coupling_coordination(pd.DataFrame({"a": [0.5, 0.5], "b": [0.5, 1.5]}, index=["A", "B"]))
    with pytest.raises(ComputationError, match=r"\['Z'\].*shift"):
        coupling_coordination(pd.DataFrame({"a": [0.0], "b": [0.0]}, index=["Z"]))
    with pytest.raises(InputError, match="choose one of"):
        coupling_coordination(pd.DataFrame({"a": [0.5], "b": [0.5]}), form="gm")
    with pytest.raises(InputError, match="unknown system"):
        coupling_coordination(pd.DataFrame({"a": [0.5], "b": [0.5]}), weights={"a": 1, "c": 1})


unit = st.floats(0.001, 1.0, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(unit, min_size=2, max_size=5), min_size=1, max_size=20).filter(
    lambda rows: len({len(r) for r in rows}) == 1))
def test_properties(rows):
    u = pd.DataFrame(rows, columns=[f"s{i}" for i in range(len(rows[0]))])
    for form in ("standard", "wang2021", "fan"):
        r = coupling_coordination(u, form=form)
        assert ((r.C >= 0) & (r.C <= 1)).all()
        assert ((r.D >= 0) & (r.D <= 1)).all()
        np.testing.assert_allclose(r.D, np.sqrt(r.C * r.T), rtol=1e-12)
    # equal systems -> C = 1 in every form
    eq = pd.DataFrame({c: u.iloc[:, 0] for c in u.columns})
    for form in ("standard", "wang2021", "fan"):
        np.testing.assert_allclose(coupling_degree(eq, form=form), 1.0, rtol=1e-12)
    # C is symmetric in the systems
    np.testing.assert_allclose(coupling_degree(u), coupling_degree(u[u.columns[::-1]]), rtol=1e-12)
