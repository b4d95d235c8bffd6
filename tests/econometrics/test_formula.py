"""The formula language: parsing, evaluation, safety and error messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from regionkit.econometrics.formula import (
    Design,
    check_full_rank,
    collinear_columns,
    design,
    row_label,
)
from regionkit.errors import InputError


@pytest.fixture
def df() -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["A", "B"], [2000, 2001, 2002]], names=["region", "year"])
    return pd.DataFrame(
        {
            "D": [0.1, 0.4, 0.3, 0.8, 0.6, 0.5],
            "pollution": [2.0, 3.0, 1.5, 4.0, 8.0, 5.0],
            "fdi": [1.0, -2.0, 0.5, 3.0, 0.0, 1.0],
            "x": [1.0, 2.0, 3.0, 4.0, 5.0, 7.0],
            "gdp growth": [1.0, 2.0, 1.0, 3.0, 2.0, 2.5],
        },
        index=idx,
    )


# ====================================================================== building
def test_design_terms_values_and_order(df):
    d = design("D ~ log(pollution) + fdi + I(x**2)", df)
    assert isinstance(d, Design)
    assert d.dependent == "D" and d.intercept
    assert d.terms == ("log(pollution)", "fdi", "I(x ** 2)")
    assert list(d.X.columns) == ["const", "log(pollution)", "fdi", "I(x ** 2)"]
    assert d.X.index.equals(df.index) and d.y.index.equals(df.index)
    assert_allclose(d.X["const"], 1.0)
    assert_allclose(d.X["log(pollution)"], np.log(df.pollution))
    assert_allclose(d.X["I(x ** 2)"], df.x**2)
    assert_allclose(d.y, df.D)
    assert d.y.name == "D"
    assert d.columns_used == ("D", "pollution", "fdi", "x")
    assert d.nobs == 6
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.formula = "y ~ x"  # type: ignore[misc]


def test_functions_and_arithmetic(df):
    d = design("log(D) ~ log1p(fdi + 2) + sqrt(x) + exp(I(-x / 10)) + abs(fdi) + I(log(pollution) - 2 * x + 1)", df)
    assert d.dependent == "log(D)"
    assert_allclose(d.y, np.log(df.D))
    assert_allclose(d.X["log1p(fdi + 2)"], np.log1p(df.fdi + 2))
    assert_allclose(d.X["sqrt(x)"], np.sqrt(df.x))
    assert_allclose(d.X["exp(I(-x / 10))"], np.exp(-df.x / 10))
    assert_allclose(d.X["abs(fdi)"], np.abs(df.fdi))
    assert_allclose(d.X["I(log(pollution) - 2 * x + 1)"], np.log(df.pollution) - 2 * df.x + 1)


@pytest.mark.parametrize("rhs", ["x - 1", "-1 + x", "0 + x", "x + 0"])
def test_intercept_removal(df, rhs):
    d = design(f"D ~ {rhs}", df)
    assert list(d.X.columns) == ["x"] and not d.intercept


def test_explicit_intercept_and_constant_only(df):
    assert list(design("D ~ 1 + x", df).X.columns) == ["const", "x"]
    assert list(design("D ~ 1", df).X.columns) == ["const"]


def test_backticks_for_names_that_are_not_identifiers(df):
    d = design("D ~ `gdp growth` + I(`gdp growth` ** 2)", df)
    assert list(d.X.columns) == ["const", "gdp growth", "I(`gdp growth` ** 2)"]
    assert_allclose(d.X["I(`gdp growth` ** 2)"], df["gdp growth"] ** 2)


def test_canonical_names_make_spacing_irrelevant(df):
    with pytest.raises(InputError, match=r"duplicate term\(s\) 'I\(x \*\* 2\)'"):
        design("D ~ I(x**2) + I( x ** 2 )", df)


def test_summary_and_to_frame(df):
    d = design("D ~ fdi", df)
    assert list(d.to_frame().columns) == ["D", "const", "fdi"]
    assert "Rows: 6 (none dropped)" in d.summary()


def test_plain_index_and_row_labels():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [1.0, -1.0, 2.0]})
    with pytest.raises(InputError, match=r"first at row 1 \(value -1\)"):
        design("y ~ log(x)", df)
    idx = pd.MultiIndex.from_tuples([("A", 2000), ("B", 2001)], names=["region", "year"])
    assert row_label(idx, 1) == "region 'B', year 2001"
    assert row_label(pd.Index(["a", "b"], name="region"), 0) == "region 'a'"
    assert row_label(pd.Index(["a", "b"]), 1) == "row 'b'"


# ====================================================================== errors
@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("", "empty formula"),
        ("   ", "empty formula"),
        ("D", "exactly one '~'"),
        ("D ~ x ~ fdi", "exactly one '~'"),
        (" ~ x", "no dependent"),
        ("D ~ ", "no terms"),
        ("D ~ x + ", "empty term"),
        ("D ~ x + + fdi", "empty term"),
        ("D ~ 0", "no regressors"),
        ("D ~ (x", "unbalanced '\\('"),
        ("D ~ x)", "unbalanced '\\)'"),
        ("D ~ `x", "unbalanced backtick"),
        ("D ~ x * fdi", "wrap it in I\\(\\)"),
        ("D ~ x - fdi", "only the intercept can be removed"),
        ("D ~ x - 0", "'- 0' is not supported"),
        ("D ~ foo(x)", "unknown function; allowed: log, log1p, sqrt, exp, abs, I"),
        ("D ~ log(x, 2)", "exactly one argument"),
        ("D ~ log(base=x)", "exactly one argument"),
        ("D ~ I(x > 1)", "syntax not allowed"),
        ("D ~ I(x % 2)", "operator not allowed"),
        ("D ~ I(x // 2)", "operator not allowed"),
        ("D ~ I(not x)", "operator not allowed"),
        ("D ~ I('a')", "only numbers"),
        ("D ~ I(True)", "only numbers"),
        ("D ~ x.real", "not a column"),
        ("D ~ x[0]", "not a column"),
        ("D ~ __import__('os')", "unknown function"),
        ("D ~ I(__import__('os').system('true'))", "unknown function|not allowed"),
        ("D ~ I(lambda: 1)", "syntax not allowed"),
        ("D ~ x + x", "duplicate term\\(s\\) 'x'"),
        ("D ~ D + x", "dependent 'D' is also a regressor"),
        ("D ~ x +", "empty term"),
        ("D ~ 1 2", "cannot read term"),
    ],
)
def test_formula_errors(df, formula, message):
    with pytest.raises(InputError, match=message):
        design(formula, df)


def test_not_a_string_or_not_a_frame(df):
    with pytest.raises(InputError, match="formula must be a string"):
        design(None, df)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="data must be a pandas DataFrame"):
        design("D ~ x", df.to_numpy())  # type: ignore[arg-type]


def test_unknown_columns_are_listed_with_the_available_ones(df):
    with pytest.raises(
        InputError,
        match=r"column\(s\) 'gdp', 'pop' not found; available columns: D, pollution, fdi, x, gdp growth",
    ):
        design("D ~ log(gdp / pop) + x", df)


def test_log_of_non_positive_names_variable_region_year_and_count(df):
    with pytest.raises(
        InputError,
        match=r"term 'log\(fdi\)': log of a non-positive value in 'fdi' in 2 row\(s\), "
        r"first at region 'A', year 2001 \(value -2\)",
    ):
        design("D ~ log(fdi)", df)
    with pytest.raises(InputError, match=r"log of a non-positive value in 'fdi - 1' in 5 row"):
        design("D ~ I(log(fdi - 1))", df)
    with pytest.raises(InputError, match=r"sqrt of a negative value in 'fdi' in 1 row\(s\), first at region 'A', year 2001"):
        design("D ~ sqrt(fdi)", df)
    with pytest.raises(InputError, match=r"log1p of a <= -1 value"):
        design("D ~ log1p(fdi)", df)


def test_non_finite_results_are_named(df):
    with pytest.raises(InputError, match=r"term 'I\(x / fdi\)': 1 non-finite value\(s\).*region 'B', year 2001"):
        design("D ~ I(x / fdi)", df)
    with pytest.raises(InputError, match=r"term 'exp\(I\(x \* 1000\)\)': 6 non-finite"):
        design("D ~ exp(I(x * 1000))", df)
    with pytest.raises(InputError, match=r"term 'I\(fdi \*\* 0.5\)': 1 non-finite"):
        design("D ~ I(fdi ** 0.5)", df)


def test_missing_and_non_numeric_data(df):
    bad = df.copy()
    bad.loc[("B", 2002), "x"] = np.nan
    with pytest.raises(InputError, match=r"column 'x': 1 missing or non-finite value\(s\), first at region 'B', year 2002"):
        design("D ~ x", bad)
    with pytest.raises(InputError, match="not numeric"):
        design("D ~ name", df.assign(name=list("abcdef")))
    with pytest.raises(InputError, match="not numeric"):
        design("D ~ flag", df.assign(flag=[True, False] * 3))
    with pytest.raises(InputError, match="no rows"):
        design("D ~ x", df.iloc[:0])


def test_const_column_clash(df):
    with pytest.raises(InputError, match="clashes with the intercept"):
        design("D ~ const", df.assign(const=1.0))
    assert list(design("D ~ const - 1", df.assign(const=2.0)).X.columns) == ["const"]


# ====================================================================== collinearity
def test_collinearity_names_a_minimal_set(df):
    with pytest.raises(
        InputError,
        match=r"perfectly collinear regressors 'x', 'I\(2 \* x\)' \('I\(2 \* x\)' = 2 × 'x'\)",
    ):
        design("D ~ fdi + x + I(2 * x)", df)
    with pytest.raises(InputError, match=r"regressors 'const', 'x', 'I\(x \+ 3\)' \('I\(x \+ 3\)' = 3 × 'const' \+ 'x'\)"):
        design("D ~ fdi + x + I(x + 3)", df)
    with pytest.raises(InputError, match=r"regressor 'I\(0 \* x\)' is zero in every row"):
        design("D ~ x + I(0 * x)", df)
    # a constant column is collinear with the intercept
    with pytest.raises(InputError, match=r"'const', 'five'"):
        design("D ~ x + five", df.assign(five=5.0))
    d = design("D ~ x + I(2 * x)", df, check_rank=False)
    assert d.X.shape == (6, 3)


def test_collinear_columns_minimal_set_skips_uninvolved_columns():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=["a", "b", "c", "d"])
    X["e"] = 2 * X.a - 0.5 * X.c
    assert collinear_columns(X) == ("a", "c", "e")
    assert collinear_columns(X[["a", "b", "c", "d"]]) == ()
    X2 = X[["a", "b", "c", "d"]].assign(z=0.0)
    assert collinear_columns(X2) == ("z",)
    with pytest.raises(InputError, match=r"design: perfectly collinear regressors 'a', 'c', 'e' \('e' = 2 × 'a' - 0.5 × 'c'\)"):
        check_full_rank(X)
    check_full_rank(X[["a", "b"]])
