"""Analytic Hierarchy Process (AHP) weights from a pairwise comparison matrix.

Saaty's eigenvector method: the weights are the principal (Perron) eigenvector
of the positive reciprocal comparison matrix ``A`` normalised to sum 1, and
``λmax`` its eigenvalue. Consistency is measured by

* the consistency index ``CI = (λmax − n) / (n − 1)``;
* the consistency ratio ``CR = CI / RI`` with Saaty's (1980) random index
  ``RI`` (n = 3…10: 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49;
  ``RI = 0`` and ``CR = 0`` for n = 1, 2, which are always consistent).

A matrix is considered acceptably consistent when ``CR < 0.1``; otherwise
:func:`ahp` still returns the weights but issues an :class:`AHPConsistencyWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import InputError

#: Saaty (1980) random consistency index by matrix order n.
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
}

#: Threshold below which a consistency ratio is acceptable.
CR_THRESHOLD = 0.1


class AHPConsistencyWarning(UserWarning):
    """Issued when a comparison matrix has a consistency ratio of 0.1 or more."""


@dataclass(frozen=True)
class AHPResult:
    """Result of :func:`ahp`.

    Attributes
    ----------
    weights : pandas.Series
        Priority weights (sum 1), indexed by criterion label.
    lambda_max : float
        Principal eigenvalue of the comparison matrix.
    ci : float
        Consistency index ``(λmax − n) / (n − 1)`` (0 for n = 1).
    ri : float
        Saaty's random index for n.
    cr : float
        Consistency ratio ``CI / RI`` (0 for n = 1, 2).
    consistent : bool
        ``cr < 0.1``.
    matrix : pandas.DataFrame
        The comparison matrix, labelled.
    """

    weights: pd.Series
    lambda_max: float
    ci: float
    ri: float
    cr: float
    consistent: bool
    matrix: pd.DataFrame

    @property
    def n(self) -> int:
        """Number of criteria."""
        return int(self.weights.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: weight and rank (1 = heaviest)."""
        frame = pd.DataFrame(
            {
                "weight": self.weights,
                "rank": self.weights.rank(ascending=False, method="min").astype(int),
            }
        )
        frame.index.name = "criterion"
        return frame

    def summary(self) -> str:
        """Short description: weights and the consistency check."""
        verdict = "acceptable" if self.consistent else "NOT acceptable (CR >= 0.1)"
        w = ", ".join(f"{k}={v:.4f}" for k, v in self.weights.items())
        return (
            f"AHP with {self.n} criteria: weights {w}; "
            f"lambda_max {self.lambda_max:.4f}, CI {self.ci:.4f}, RI {self.ri:.2f}, "
            f"CR {self.cr:.4f} ({verdict})"
        )


def ahp(
    matrix: ArrayLike | pd.DataFrame,
    *,
    labels: Sequence[str] | None = None,
    rtol: float = 0.05,
) -> AHPResult:
    """AHP priority weights and consistency of a pairwise comparison matrix.

    Parameters
    ----------
    matrix : array-like or pandas.DataFrame, shape (n, n)
        Positive reciprocal comparison matrix: ``matrix[i, j]`` is how much
        more important criterion ``i`` is than ``j`` (Saaty's 1–9 scale),
        ``matrix[j, i] = 1 / matrix[i, j]`` and a diagonal of ones.
        A DataFrame's index gives the labels unless ``labels`` is given.
    labels : sequence of str, optional
        Criterion names (default ``"C1"``, ``"C2"``, … or the DataFrame index).
    rtol : float, default 0.05
        Relative tolerance of the reciprocity check
        ``|a_ij · a_ji − 1| <= rtol``, loose enough that reciprocals of the
        1–9 scale rounded to two decimals (``0.33`` for 1/3, ``0.13`` for 1/8)
        are accepted; the diagonal must equal 1 within the same tolerance.
        The matrix is used as given (not symmetrised).

    Returns
    -------
    AHPResult
        Weights, ``λmax``, CI, RI, CR and the verdict ``consistent``.

    Raises
    ------
    InputError
        If the matrix is not square, has non-finite or non-positive entries,
        is not reciprocal (the first offending cell is named), has more than
        10 rows (no random index), or the labels do not fit.

    Warns
    -----
    AHPConsistencyWarning
        If ``CR >= 0.1``.

    Examples
    --------
    A perfectly consistent matrix built from the weights 0.5, 0.3, 0.2:

    >>> w = [0.5, 0.3, 0.2]
    >>> res = ahp([[wi / wj for wj in w] for wi in w], labels=["a", "b", "c"])
    >>> res.weights.round(4).tolist()
    [0.5, 0.3, 0.2]
    >>> round(res.lambda_max, 6), round(res.cr, 6), res.consistent
    (3.0, 0.0, True)

    A slightly inconsistent one:

    >>> res = ahp([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    >>> res.weights.round(4).tolist()
    [0.637, 0.2583, 0.1047]
    >>> round(res.cr, 4)
    0.0332
    """
    a, names = _check_matrix(matrix, labels=labels, rtol=rtol)
    n = a.shape[0]
    if n == 1:
        weights = np.ones(1)
        lam = 1.0
    else:
        eigvals, eigvecs = np.linalg.eig(a)
        idx = int(np.argmax(eigvals.real))
        lam = float(eigvals[idx].real)
        vec = np.abs(eigvecs[:, idx].real)
        weights = vec / vec.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    if abs(ci) < 1e-12:
        ci = 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    consistent = bool(cr < CR_THRESHOLD)
    if not consistent:
        warnings.warn(
            f"AHP comparison matrix is not acceptably consistent: CR = {cr:.4f} >= "
            f"{CR_THRESHOLD} (lambda_max {lam:.4f}, n {n}); revise the judgements",
            AHPConsistencyWarning,
            stacklevel=2,
        )
    return AHPResult(
        weights=pd.Series(weights, index=pd.Index(names, name="criterion"), name="weight"),
        lambda_max=lam,
        ci=float(ci),
        ri=float(ri),
        cr=float(cr),
        consistent=consistent,
        matrix=pd.DataFrame(a, index=names, columns=names),
    )


def _check_matrix(
    matrix: ArrayLike | pd.DataFrame, *, labels: Sequence[str] | None, rtol: float
) -> tuple[np.ndarray, list[str]]:
    if isinstance(matrix, pd.DataFrame):
        default = [str(x) for x in matrix.index]
        values = matrix.to_numpy()
    else:
        values = np.asarray(matrix)
        default = None
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"AHP matrix must be numeric: {exc}") from exc
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise InputError(f"AHP matrix must be square and non-empty; got shape {a.shape}")
    n = a.shape[0]
    if n > max(RANDOM_INDEX):
        raise InputError(
            f"AHP matrix has {n} criteria; the random index is tabulated for n <= "
            f"{max(RANDOM_INDEX)} only"
        )
    if labels is not None:
        names = [str(x) for x in labels]
        if len(names) != n:
            raise InputError(f"labels has {len(names)} names for a {n}x{n} AHP matrix")
    else:
        names = default if default is not None else [f"C{i + 1}" for i in range(n)]
    if len(set(names)) != n:
        raise InputError(f"AHP labels must be unique; got {names}")
    if not (rtol >= 0):
        raise InputError(f"rtol must be non-negative; got {rtol}")
    bad = ~np.isfinite(a)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise InputError(f"AHP matrix: non-finite value at ({names[i]}, {names[j]})")
    bad = a <= 0
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise InputError(
            f"AHP matrix: entries must be positive; ({names[i]}, {names[j]}) = {a[i, j]:g}"
        )
    dev = np.abs(a * a.T - 1.0)
    diag_dev = np.abs(np.diag(a) - 1.0)
    if (diag_dev > rtol).any():
        i = int(np.argmax(diag_dev > rtol))
        raise InputError(f"AHP matrix: diagonal must be 1; ({names[i]}, {names[i]}) = {a[i, i]:g}")
    if (dev > rtol).any():
        i, j = map(int, np.argwhere(np.triu(dev > rtol, 1))[0])
        raise InputError(
            f"AHP matrix is not reciprocal: ({names[i]}, {names[j]}) = {a[i, j]:g} but "
            f"({names[j]}, {names[i]}) = {a[j, i]:g}, expected {1.0 / a[i, j]:g}"
        )
    return a, names


__all__ = ["RANDOM_INDEX", "AHPConsistencyWarning", "AHPResult", "ahp"]
