"""Entropy weight method.

For normalised, non-negative indicators ``x_ij`` (rows i = 1..n observations):
``p_ij = x_ij / Σ_i x_ij``, entropy ``e_j = -(1/ln n) Σ_i p_ij ln p_ij``
(with ``0 ln 0 = 0``), divergence ``d_j = 1 - e_j`` and weight
``w_j = d_j / Σ_k d_k``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import check_finite_frame, check_nonnegative_frame
from ..errors import InputError


@dataclass(frozen=True)
class EntropyWeights:
    """Entropy, divergence and weight of each indicator.

    Attributes
    ----------
    weights, entropy, divergence : pandas.Series
        Indexed by indicator name; ``weights`` sums to 1.
    n_obs : int
        Number of observations (rows) used; ``k = 1 / ln(n_obs)``.
    """

    weights: pd.Series
    entropy: pd.Series
    divergence: pd.Series
    n_obs: int

    def to_frame(self) -> pd.DataFrame:
        """Indicator × (entropy, divergence, weight)."""
        return pd.DataFrame(
            {"entropy": self.entropy, "divergence": self.divergence, "weight": self.weights}
        ).rename_axis("indicator")

    def summary(self) -> str:
        """Weights as a short text table."""
        lines = [f"Entropy weights over {self.n_obs} observations:"]
        for k, w in self.weights.items():
            lines.append(f"  {k:<24} e={self.entropy[k]:.6f}  d={self.divergence[k]:.6f}  w={w:.6f}")
        return "\n".join(lines)


def entropy_weights(normalized: pd.DataFrame) -> EntropyWeights:
    """Entropy weights of normalised indicators (columns).

    Parameters
    ----------
    normalized : pandas.DataFrame
        Non-negative indicator values, typically from :func:`regionkit.indices.normalize.minmax`.

    Returns
    -------
    EntropyWeights

    Raises
    ------
    InputError
        Negative or non-finite values, fewer than two rows, or an indicator
        whose values are all zero or all equal (it carries no information).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.entropy import entropy_weights
    >>> x = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [0.2, 0.2, 1.0]})
    >>> w = entropy_weights(x)
    >>> round(float(w.weights.sum()), 12)
    1.0
    """
    check_finite_frame(normalized, what="normalised indicators")
    check_nonnegative_frame(normalized, what="normalised indicators")
    x = normalized.to_numpy(dtype=float)
    n = x.shape[0]
    if n < 2:
        raise InputError("entropy weights need at least two observations (rows)")
    col_sum = x.sum(axis=0)
    spread = x.max(axis=0) - x.min(axis=0)
    bad = (col_sum <= 0) | (spread <= 0)
    if bad.any():
        names = [str(c) for c, b in zip(normalized.columns, bad, strict=True) if b]
        raise InputError(f"indicator(s) {names} are constant (or all zero): entropy weights are undefined; drop them")
    p = x / col_sum
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    e = -plogp.sum(axis=0) / np.log(n)
    d = 1.0 - e
    w = d / d.sum()
    idx = pd.Index([str(c) for c in normalized.columns], name="indicator")
    return EntropyWeights(
        weights=pd.Series(w, index=idx, name="weight"),
        entropy=pd.Series(e, index=idx, name="entropy"),
        divergence=pd.Series(d, index=idx, name="divergence"),
        n_obs=n,
    )
