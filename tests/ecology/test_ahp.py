"""Tests of regionkit.ecology.ahp against textbook AHP matrices and independent computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from regionkit.ecology.ahp import RANDOM_INDEX, AHPConsistencyWarning, ahp
from regionkit.errors import InputError


def _power_iteration(a: np.ndarray, iters: int = 2000) -> tuple[np.ndarray, float]:
    """Principal eigenpair by power iteration (independent of numpy.linalg.eig)."""
    w = np.ones(a.shape[0]) / a.shape[0]
    for _ in range(iters):
        w = a @ w
        w = w / w.sum()
    lam = float(np.mean((a @ w) / w))
    return w, lam


SAATY_3 = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])


def test_saaty_ri_table():
    assert [RANDOM_INDEX[n] for n in range(3, 11)] == [
        0.58,
        0.90,
        1.12,
        1.24,
        1.32,
        1.41,
        1.45,
        1.49,
    ]


@pytest.mark.parametrize("w", [[0.5, 0.3, 0.2], [0.4, 0.3, 0.2, 0.1], [0.1] * 10])
def test_consistent_matrix_recovers_exact_weights(w):
    # a_ij = w_i / w_j is perfectly consistent: eigenvector w, lambda_max = n, CI = CR = 0
    w = np.array(w) / np.sum(w)
    a = np.outer(w, 1 / w)
    res = ahp(a)
    np.testing.assert_allclose(res.weights.to_numpy(), w, atol=1e-10)
    assert res.lambda_max == pytest.approx(len(w), abs=1e-10)
    assert res.ci == pytest.approx(0, abs=1e-10)
    assert res.cr == pytest.approx(0, abs=1e-10)
    assert res.consistent


def test_classic_3x3_textbook_values():
    # Widely used textbook example (1, 3, 5 / 1/3, 1, 3 / 1/5, 1/3, 1):
    # weights 0.6370, 0.2583, 0.1047, lambda_max 3.0385, CI 0.0193, CR 0.0332
    res = ahp(SAATY_3, labels=["x", "y", "z"])
    np.testing.assert_allclose(res.weights.to_numpy(), [0.6370, 0.2583, 0.1047], atol=1e-4)
    assert res.lambda_max == pytest.approx(3.0385, abs=1e-4)
    assert res.ci == pytest.approx(0.0193, abs=1e-4)
    assert res.cr == pytest.approx(0.0332, abs=1e-4)
    assert res.consistent
    # independent: for n = 3 the row geometric means give exactly the eigenvector
    g = np.prod(SAATY_3, axis=1) ** (1 / 3)
    np.testing.assert_allclose(res.weights.to_numpy(), g / g.sum(), atol=1e-10)
    w, lam = _power_iteration(SAATY_3)
    np.testing.assert_allclose(res.weights.to_numpy(), w, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, abs=1e-10)
    assert list(res.weights.index) == ["x", "y", "z"]


def test_cyclic_inconsistent_matrix_warns():
    # circulant matrix: A 1 = (1 + 9 + 1/9) 1, so weights are 1/3 each,
    # lambda_max = 10.1111, CI = (10.1111 - 3)/2 = 3.5556, CR = 3.5556/0.58 = 6.1303
    a = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    with pytest.warns(AHPConsistencyWarning, match="CR"):
        res = ahp(a)
    lam = 1 + 9 + 1 / 9
    np.testing.assert_allclose(res.weights.to_numpy(), [1 / 3] * 3, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, abs=1e-10)
    assert res.ci == pytest.approx((lam - 3) / 2, abs=1e-10)
    assert res.cr == pytest.approx((lam - 3) / 2 / 0.58, abs=1e-10)
    assert not res.consistent


def test_random_reciprocal_matches_power_iteration():
    rng = np.random.default_rng(0)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    for n in range(3, 11):
        a = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        a[iu] = rng.choice(scale, size=len(iu[0]))
        a.T[iu] = 1 / a[iu]
        with _maybe_warn():
            res = ahp(a)
        w, lam = _power_iteration(a, iters=5000)
        np.testing.assert_allclose(res.weights.to_numpy(), w, atol=1e-8)
        assert res.lambda_max == pytest.approx(lam, abs=1e-6)
        assert res.cr == pytest.approx((lam - n) / (n - 1) / RANDOM_INDEX[n], abs=1e-6)
        assert res.consistent == (res.cr < 0.1)


class _maybe_warn:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", AHPConsistencyWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_small_matrices():
    one = ahp([[1.0]])
    assert one.weights.tolist() == [1.0] and one.cr == 0 and one.consistent
    two = ahp([[1, 4], [0.25, 1]])
    np.testing.assert_allclose(two.weights.to_numpy(), [0.8, 0.2])
    assert two.lambda_max == pytest.approx(2) and two.cr == 0 and two.consistent


def test_dataframe_labels_summary_frame():
    frame = pd.DataFrame(SAATY_3, index=["p", "q", "r"], columns=["p", "q", "r"])
    res = ahp(frame)
    assert list(res.weights.index) == ["p", "q", "r"]
    table = res.to_frame()
    assert list(table.columns) == ["weight", "rank"]
    assert table["rank"].tolist() == [1, 2, 3]
    assert "CR 0.0332" in res.summary()


def test_rounded_reciprocals_accepted():
    a = [[1, 3, 5], [0.33, 1, 3], [0.2, 0.33, 1]]
    res = ahp(a)
    assert res.consistent


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[1, -2], [-0.5, 1]], r"positive; \(C1, C2\)"),
        ([[1, 2], [0.4, 1]], r"not reciprocal: \(C1, C2\) = 2 but \(C2, C1\) = 0.4"),
        ([[2, 1], [1, 1]], r"diagonal.*\(C1, C1\)"),
        ([[1, np.nan], [1, 1]], "non-finite"),
        (np.ones((11, 11)), "n <= 10"),
    ],
)
def test_invalid_matrices(matrix, message):
    with pytest.raises(InputError, match=message):
        ahp(matrix)


def test_bad_labels():
    with pytest.raises(InputError, match="labels has 2 names"):
        ahp(SAATY_3, labels=["a", "b"])
