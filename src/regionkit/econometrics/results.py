"""The common result type of every regression in regionkit (consumed by the table writers)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class RegressionResult:
    """Estimates of one fitted model.

    Attributes
    ----------
    model : str
        Model name in words (e.g. ``"Tobit (pooled), censored at [0, 1]"``).
    dependent : str
        Name of the dependent variable.
    params : pandas.Series
        Coefficients, indexed by term name; auxiliary parameters (e.g.
        ``"sigma"``, ``"sigma_u"``) come last.
    bse : pandas.Series
        Standard errors of ``params``.
    cov : pandas.DataFrame
        Covariance matrix of ``params``.
    cov_type : str
        ``"nonrobust"``, ``"robust"`` (sandwich) or ``"cluster(<var>)"``.
    nobs : int
        Number of observations used.
    df_resid : float or None
        Residual degrees of freedom for t-based inference; ``None`` means
        z (normal) inference, as for maximum likelihood.
    llf : float or None
        Log-likelihood (``None`` where not defined).
    stats : dict
        Further statistics shown under the table (e.g. ``{"AIC": …, "BIC": …,
        "pseudo R²": …, "left-censored": 12}``), insertion-ordered.
    notes : tuple of str
        Caveats printed under the table (e.g. the incidental-parameters bias
        of dummy-variable fixed-effects Tobit).
    formula : str
        The formula that produced the design, when one was used.
    """

    model: str
    dependent: str
    params: pd.Series
    bse: pd.Series
    cov: pd.DataFrame
    cov_type: str
    nobs: int
    df_resid: float | None = None
    llf: float | None = None
    stats: dict = field(default_factory=dict)
    notes: tuple = ()
    formula: str = ""

    @property
    def tvalues(self) -> pd.Series:
        """Coefficient / standard error."""
        return self.params / self.bse

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values (t with ``df_resid`` or standard normal)."""
        t = self.tvalues.to_numpy(dtype=float)
        if self.df_resid is None:
            p = 2 * stats.norm.sf(np.abs(t))
        else:
            p = 2 * stats.t.sf(np.abs(t), self.df_resid)
        return pd.Series(p, index=self.params.index, name="p")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of ``params``."""
        q = stats.norm.ppf(1 - alpha / 2) if self.df_resid is None else stats.t.ppf(1 - alpha / 2, self.df_resid)
        return pd.DataFrame({"lower": self.params - q * self.bse, "upper": self.params + q * self.bse})

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: coef, std err, t/z, p, confidence interval."""
        ci = self.conf_int()
        return pd.DataFrame({
            "coef": self.params, "std err": self.bse,
            ("t" if self.df_resid is not None else "z"): self.tvalues, "p": self.pvalues,
            "ci lower": ci["lower"], "ci upper": ci["upper"],
        })

    def summary(self) -> str:
        """A plain-text coefficient table with the model statistics."""
        head = f"{self.model}\nDependent variable: {self.dependent}   N = {self.nobs}   cov: {self.cov_type}"
        body = self.to_frame().to_string(float_format=lambda v: f"{v:.6g}")
        extra = []
        if self.llf is not None:
            extra.append(f"log-likelihood = {self.llf:.6f}")
        extra += [f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v}" for k, v in self.stats.items()]
        notes = "\n".join(f"Note: {n}" for n in self.notes)
        return "\n".join(x for x in (head, body, "; ".join(extra), notes) if x)


class WrapsResult:
    """Mixin for model results that hold a :class:`RegressionResult` as ``result``.

    Delegates the accessors every wrapper repeats: ``params``, ``bse``, ``llf``
    and ``to_frame()``.
    """

    result: RegressionResult

    @property
    def params(self) -> pd.Series:
        """Estimated parameters (see the model's documentation for their order)."""
        return self.result.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of :attr:`params`."""
        return self.result.bse

    @property
    def llf(self) -> float:
        """Maximized log-likelihood."""
        return float(self.result.llf)

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table (see :meth:`RegressionResult.to_frame`)."""
        return self.result.to_frame()
