"""Tobit (censored normal) regression with left, right or two-sided censoring.

The model is the latent regression ``y* = x'β + ε``, ``ε ~ N(0, σ²)``, observed as
``y = a`` when ``y* ≤ a`` (left-censored), ``y = b`` when ``y* ≥ b`` (right-censored)
and ``y = y*`` otherwise.  ``left=None`` / ``right=None`` remove that limit; the
default ``[0, 1]`` suits a coupling coordination degree or any share.  As in Stata
and ``survival::survreg``, an observation at or beyond a limit (``y ≤ a``,
``y ≥ b``) counts as censored there.

Estimation is by maximum likelihood with the analytic gradient and the analytic
Hessian (Newton's method with a line search), in the parameters ``(β, log σ)``;
``log σ`` keeps σ positive and makes the likelihood close to quadratic.

Reported parameters are the coefficients followed by ``"sigma"`` (σ itself, not
``log σ``); its standard error comes from the delta method,
``se(σ) = σ · se(log σ)``.  ``TobitResult.log_sigma`` / ``log_sigma_se`` and
``TobitResult.cov_log`` give the ``log σ`` parameterisation (the one of
``AER::tobit`` / ``survreg``, whose ``Log(scale)`` it equals).

Covariance matrices (``cov_type``):

* ``"nonrobust"`` — inverse of the observed information (minus the analytic
  Hessian at the estimate), as ``vcov()`` of ``AER::tobit`` and Stata's default;
* ``"robust"`` — the sandwich ``H⁻¹ (Σ sᵢ sᵢ') H⁻¹`` times ``n/(n−1)``, Stata's
  ``vce(robust)`` for maximum-likelihood models;
* ``"cluster"`` — the cluster sandwich with the scores summed within the groups
  of ``groups`` (e.g. regions), times ``G/(G−1)`` with ``G`` clusters: Stata's
  ``vce(cluster g)`` for maximum-likelihood models (``tobit``, ``probit`` …) and
  ``sandwich::vcovCL(fit, cluster = g, type = "HC0")`` (its default
  ``cadjust = TRUE``).  Stata's *linear regression* factor
  ``G/(G−1) · (n−1)/(n−k)`` (``vcovCL`` ``type = "HC1"``) is **not** used.

Marginal effects are *average* marginal effects (AME, the mean over the
observations of the derivative, Stata's ``margins, dydx(*)`` default) unless
``margins="means"`` asks for effects at the sample means of ``X``.  For a
regressor ``x_k`` with ``zₐ = (a − x'β)/σ``, ``z_b = (b − x'β)/σ``:

* latent mean ``E[y*] = x'β``: ``∂/∂x_k = β_k``;
* censored (observed) mean ``E[y]``: ``β_k · [Φ(z_b) − Φ(zₐ)]``;
* uncensored-conditional mean ``E[y | a < y < b] = x'β + σ (φ(zₐ) − φ(z_b)) / P``,
  ``P = Φ(z_b) − Φ(zₐ)``:
  ``β_k · [1 + (zₐφ(zₐ) − z_bφ(z_b))/P − ((φ(zₐ) − φ(z_b))/P)²]``.

Their standard errors come from the delta method with the covariance of the
fit (``cov_type``), the Jacobian of the averaged effects being taken by central
differences (relative accuracy about 1e-9); a constant column named
``"const"`` gets no marginal effect.

The fit was checked against ``AER::tobit`` (R) on the Affairs data: see
``tests/reference/tobit``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from .._checks import check_finite_frame, check_option
from ..errors import ComputationError, InputError
from .results import RegressionResult, WrapsResult

CovType = Literal["nonrobust", "robust", "cluster"]
"""Covariance of :func:`tobit`: observed information, sandwich, cluster sandwich."""

MarginsAt = Literal["average", "means"]
"""Where marginal effects are evaluated: averaged over the sample, or at the means of X."""

_LOG_2PI = math.log(2.0 * math.pi)
_CONST = "const"

# quantities of the marginal-effects table, in order
_ME_LATENT = "E[y*]"
_ME_CENSORED = "E[y]"
_ME_CONDITIONAL = "E[y|a<y<b]"


# --------------------------------------------------------------------------
# input checks (shared with panel_tobit)
# --------------------------------------------------------------------------
def _label(label: Any) -> str:
    if isinstance(label, np.generic):
        label = label.item()
    return repr(label)


def _rows(index: pd.Index, positions: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(_label(index[i]) for i in positions[:limit])
    more = f" and {len(positions) - limit} more" if len(positions) > limit else ""
    return shown + more


def _design(y: Any, X: Any) -> tuple[np.ndarray, np.ndarray, list[str], str, pd.Index]:
    """Check ``y`` and ``X``; return ``(y, X, column names, dependent name, index)``."""
    if not isinstance(X, pd.DataFrame):
        raise InputError(
            f"X: expected a pandas DataFrame with named columns (add a 'const' column for the "
            f"intercept), got {type(X).__name__}"
        )
    if X.shape[1] == 0:
        raise InputError("X: no regressor columns")
    if X.shape[0] == 0:
        raise InputError("X: no observations")
    names = [str(c) for c in X.columns]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"X: duplicate column name(s) {', '.join(map(repr, dup))}")
    if isinstance(y, pd.Series):
        if len(y) != len(X):
            raise InputError(f"y has {len(y)} observations but X has {len(X)}")
        if not y.index.equals(X.index):
            raise InputError("y and X must have the same index (row labels), in the same order")
        dependent = "y" if y.name is None else str(y.name)
    else:
        arr = np.asarray(y)
        if arr.ndim != 1 or len(arr) != len(X):
            raise InputError(f"y: expected a Series of {len(X)} values aligned with X")
        y = pd.Series(arr, index=X.index)
        dependent = "y"
    if not (pd.api.types.is_numeric_dtype(y.dtype) or pd.api.types.is_bool_dtype(y.dtype)):
        raise InputError(f"y ({dependent!r}): expected numbers, got dtype {y.dtype}")
    bad_cols = [
        str(c) for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c].dtype) or pd.api.types.is_bool_dtype(X[c].dtype))
    ]
    if bad_cols:
        raise InputError(f"X: non-numeric column(s) {', '.join(map(repr, bad_cols))}")
    yv = y.to_numpy(dtype=float, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(yv))
    if bad.size:
        raise InputError(
            f"y ({dependent!r}): missing or non-finite value(s) at row(s) {_rows(X.index, bad)}"
        )
    check_finite_frame(X, what="X")
    Xv = X.to_numpy(dtype=float)
    return yv, Xv, names, dependent, X.index


def _limits(left: float | None, right: float | None) -> tuple[float, float]:
    """Check the censoring limits; return them with ``None`` as ``∓inf``."""
    out = []
    for name, v in (("left", left), ("right", right)):
        if v is None:
            out.append(-math.inf if name == "left" else math.inf)
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise InputError(f"{name}={v!r}: expected a number or None (no limit)")
        if not math.isfinite(float(v)):
            raise InputError(f"{name}={v!r}: expected a finite number or None (no limit)")
        out.append(float(v))
    lo, hi = out
    if lo >= hi:
        raise InputError(f"left={left!r} must be below right={right!r} (lower limit ≥ upper limit)")
    return lo, hi


def _censoring(y: np.ndarray, lo: float, hi: float, dependent: str) -> np.ndarray:
    """0 = uncensored, 1 = left-censored (y ≤ a), 2 = right-censored (y ≥ b)."""
    cens = np.zeros(y.shape, dtype=np.int8)
    cens[y <= lo] = 1
    cens[y >= hi] = 2
    if not (cens == 0).any():
        raise InputError(
            f"y ({dependent!r}): all {len(y)} observations are censored "
            f"({int((cens == 1).sum())} at the left limit {_fmt(lo)}, "
            f"{int((cens == 2).sum())} at the right limit {_fmt(hi)}); σ is not identified"
        )
    return cens


def _check_collinear(A: np.ndarray, names: list[str], what: str = "X") -> None:
    """Raise an :class:`InputError` naming the columns of a perfectly collinear design."""
    norms = np.linalg.norm(A, axis=0)
    kept: list[int] = []
    Q = np.empty((A.shape[0], 0))
    for j in range(A.shape[1]):
        if norms[j] == 0.0:
            raise InputError(
                f"{what}: perfect collinearity: column {names[j]!r} is all zero"
            )
        r = A[:, j] / norms[j]
        for _ in range(2):  # Gram–Schmidt, twice for stability
            r = r - Q @ (Q.T @ r)
        nr = float(np.linalg.norm(r))
        if nr <= 1e-9:
            coef = np.linalg.lstsq(A[:, kept], A[:, j], rcond=None)[0]
            involved = [names[k] for k, c in zip(kept, coef, strict=True)
                        if abs(c) * norms[k] > 1e-7 * norms[j]]
            raise InputError(
                f"{what}: perfect collinearity: column {names[j]!r} is a linear combination of "
                f"{', '.join(map(repr, involved))}; drop one of "
                f"{', '.join(map(repr, [*involved, names[j]]))}"
            )
        Q = np.column_stack([Q, r / nr])
        kept.append(j)


def _fmt(v: float) -> str:
    if v == -math.inf:
        return "-inf"
    if v == math.inf:
        return "inf"
    return f"{v:g}"


def _limits_text(lo: float, hi: float) -> str:
    if math.isinf(lo) and math.isinf(hi):
        return "no censoring"
    return f"censored at [{_fmt(lo)}, {_fmt(hi)}]"


def _groups_codes(groups: Any, index: pd.Index, what: str = "groups") -> tuple[np.ndarray, pd.Index, str]:
    """Codes 0..G-1 of a grouping aligned with ``index``; its labels and its name."""
    if isinstance(groups, pd.Series):
        if len(groups) != len(index):
            raise InputError(f"{what} has {len(groups)} values but X has {len(index)} rows")
        if not groups.index.equals(index):
            raise InputError(f"{what} and X must have the same index (row labels), in the same order")
        name = what if groups.name is None else str(groups.name)
        values = groups
    else:
        arr = np.asarray(groups)
        if arr.ndim != 1 or len(arr) != len(index):
            raise InputError(f"{what}: expected a Series of {len(index)} labels aligned with X")
        values = pd.Series(arr, index=index)
        name = what
    missing = np.flatnonzero(values.isna().to_numpy())
    if missing.size:
        raise InputError(f"{what} ({name!r}): missing label(s) at row(s) {_rows(index, missing)}")
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.intp), pd.Index(labels), name


# --------------------------------------------------------------------------
# likelihood pieces (shared with panel_tobit)
# --------------------------------------------------------------------------
def _obs_terms(
    y: np.ndarray, cens: np.ndarray, lo: float, hi: float, eta: np.ndarray, tau: float, order: int
) -> tuple[np.ndarray, ...]:
    """Log-likelihood of each observation and its derivatives in the index and in log σ.

    ``eta`` is the latent mean ``x'β`` (shape ``(n,)``, or ``(n, K)`` for ``K``
    quadrature nodes); ``tau = log σ``.  Returns ``(ll,)`` for ``order=0``,
    ``(ll, l_e, l_t)`` for ``order=1`` and ``(ll, l_e, l_t, l_ee, l_et, l_tt)``
    for ``order=2`` (``e`` = index, ``t`` = log σ).
    """
    sigma = math.exp(tau)
    if eta.ndim == 2:
        y = y[:, None]
        cens = cens[:, None]
    left_c = cens == 1
    right_c = cens == 2
    unc = cens == 0
    limit = np.where(left_c, lo, np.where(right_c, hi, y))
    s = np.where(right_c, -1.0, 1.0)
    # c = s (limit - eta)/σ: the standardized residual for uncensored observations,
    # the argument of Φ for censored ones (left: (a - η)/σ, right: (η - b)/σ)
    c = s * (limit - eta) / sigma
    logcdf = special.log_ndtr(c)
    ll = np.where(unc, -0.5 * _LOG_2PI - tau - 0.5 * c * c, logcdf)
    if order == 0:
        return (ll,)
    lam = np.exp(-0.5 * c * c - 0.5 * _LOG_2PI - logcdf)  # φ(c)/Φ(c), the inverse Mills ratio
    l_e = np.where(unc, c / sigma, -lam * s / sigma)
    l_t = np.where(unc, c * c - 1.0, -lam * c)
    if order == 1:
        return ll, l_e, l_t
    lcl = lam * (c + lam)
    l_ee = np.where(unc, -1.0 / sigma**2, -lcl / sigma**2)
    l_et = np.where(unc, -2.0 * c / sigma, s * (lam - lcl * c) / sigma)
    l_tt = np.where(unc, -2.0 * c * c, lam * c - lcl * c * c)
    return ll, l_e, l_t, l_ee, l_et, l_tt


def _newton_direction(g: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Newton step ``(-H)⁻¹ g``, with a ridge when ``-H`` is not positive definite."""
    A = -0.5 * (H + H.T)
    scale = max(1.0, float(np.max(np.abs(np.diag(A)))))
    mu = 0.0
    for _ in range(60):
        try:
            L = np.linalg.cholesky(A + mu * np.eye(len(g)))
        except np.linalg.LinAlgError:
            mu = max(10.0 * mu, 1e-10 * scale)
            continue
        z = np.linalg.solve(L, g)
        return np.linalg.solve(L.T, z)
    return g / scale  # gradient ascent as a last resort


def _maximize(
    fun: Callable[[np.ndarray, int], Any],
    theta0: np.ndarray,
    *,
    prepare: Callable[[np.ndarray], None] | None = None,
    stop: Callable[[np.ndarray], bool] | None = None,
    solve: Callable[[np.ndarray, Any], np.ndarray] | None = None,
    max_iter: int = 200,
    xtol: float = 1e-11,
) -> tuple[np.ndarray, bool, int]:
    """Maximize with Newton's method and a backtracking line search.

    ``fun(theta, 0)`` returns the objective, ``fun(theta, 2)`` ``(f, g, H, …)``.
    ``prepare(theta)`` (adaptive quadrature: place the nodes) runs at the start
    of every iteration; the line search keeps that iteration's nodes.
    ``stop(theta)`` true ends the search, not converged (e.g. a variance
    heading to zero).  ``solve(g, H)`` returns the Newton step for a Hessian
    ``H`` in a structured form (default: dense ``H``).
    Returns ``(theta, converged, iterations)``.
    """
    theta = np.asarray(theta0, dtype=float).copy()
    for it in range(1, max_iter + 1):
        if stop is not None and stop(theta):
            return theta, False, it
        if prepare is not None:
            prepare(theta)
        f, g, H, *_ = fun(theta, 2)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            raise ComputationError("the log-likelihood is not finite at the current parameters")
        d = _newton_direction(g, H) if solve is None else solve(g, H)
        gd = float(g @ d)
        small = np.max(np.abs(d) / (1.0 + np.abs(theta))) < xtol
        if small or gd < 1e-24:
            return theta + d if small else theta, True, it
        slack = 64 * np.finfo(float).eps * (1.0 + abs(f))
        t = 1.0
        for _ in range(60):
            trial = theta + t * d
            ft = fun(trial, 0)
            if np.isfinite(ft) and ft >= f + 1e-4 * t * gd - slack:
                break
            t *= 0.5
        else:
            # no progress possible: converged as far as rounding allows
            return theta, bool(np.max(np.abs(d) / (1.0 + np.abs(theta))) < 1e-6), it
        theta = trial
    return theta, False, max_iter


# --------------------------------------------------------------------------
# pooled Tobit
# --------------------------------------------------------------------------
def _tobit_fun(X: np.ndarray, y: np.ndarray, cens: np.ndarray, lo: float, hi: float):
    p = X.shape[1]

    def fun(theta: np.ndarray, order: int):
        eta = X @ theta[:p]
        tau = float(theta[p])
        if order == 0:
            return float(_obs_terms(y, cens, lo, hi, eta, tau, 0)[0].sum())
        ll, l_e, l_t, l_ee, l_et, l_tt = _obs_terms(y, cens, lo, hi, eta, tau, 2)
        g = np.concatenate([X.T @ l_e, [l_t.sum()]])
        H = np.empty((p + 1, p + 1))
        H[:p, :p] = X.T @ (X * l_ee[:, None])
        H[:p, p] = H[p, :p] = X.T @ l_et
        H[p, p] = l_tt.sum()
        scores = np.column_stack([X * l_e[:, None], l_t])
        return float(ll.sum()), g, H, scores

    return fun


def _tobit_start(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    resid = y - X @ beta
    sd = float(np.std(resid))
    if not sd > 0:
        sd = max(float(np.std(y)), 1e-3)
    return np.concatenate([beta, [math.log(sd)]])


def _fit_tobit(
    X: np.ndarray, y: np.ndarray, cens: np.ndarray, lo: float, hi: float,
    theta0: np.ndarray | None = None,
) -> tuple[np.ndarray, float, np.ndarray, np.ndarray, bool]:
    """ML fit of the pooled Tobit: ``(theta, llf, hessian, scores, converged)``."""
    fun = _tobit_fun(X, y, cens, lo, hi)
    start = _tobit_start(X, y) if theta0 is None else theta0
    theta, converged, _ = _maximize(fun, start)
    f, _, H, scores = fun(theta, 2)
    return theta, f, H, scores, converged


def _inv_information(H: np.ndarray, what: str) -> np.ndarray:
    A = -0.5 * (H + H.T)
    try:
        np.linalg.cholesky(A)
    except np.linalg.LinAlgError as exc:
        raise ComputationError(
            f"{what}: the observed information is not positive definite at the estimate "
            "(the model is not identified or the fit did not converge)"
        ) from exc
    return np.linalg.inv(A)


def _sandwich(Hinv: np.ndarray, scores: np.ndarray, factor: float) -> np.ndarray:
    meat = scores.T @ scores
    V = factor * Hinv @ meat @ Hinv
    return 0.5 * (V + V.T)


def _sigma_cov(cov_theta: np.ndarray, sigma_pos: list[int], theta: np.ndarray) -> np.ndarray:
    """Delta method from log σ to σ at the positions ``sigma_pos``."""
    J = np.ones(len(theta))
    J[sigma_pos] = np.exp(theta[sigma_pos])
    return cov_theta * np.outer(J, J)


# --------------------------------------------------------------------------
# marginal effects
# --------------------------------------------------------------------------
def _me_factors(theta: np.ndarray, Xm: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """Mean scale factors of the censored and conditional marginal effects."""
    p = Xm.shape[1]
    xb = Xm @ theta[:p]
    sigma = math.exp(theta[p])
    za = (lo - xb) / sigma
    zb = (hi - xb) / sigma
    Pa = special.ndtr(za)
    Pb = special.ndtr(zb)
    P = np.maximum(Pb - Pa, 1e-300)
    # an infinite limit contributes φ = 0 and z·φ = 0
    fa, fb = np.isfinite(za), np.isfinite(zb)
    za, zb = np.where(fa, za, 0.0), np.where(fb, zb, 0.0)
    phia = np.where(fa, stats.norm.pdf(za), 0.0)
    phib = np.where(fb, stats.norm.pdf(zb), 0.0)
    zphia = za * phia
    zphib = zb * phib
    ratio = (phia - phib) / P
    cond = 1.0 + (zphia - zphib) / P - ratio**2
    return float(np.mean(Pb - Pa)), float(np.mean(cond))


def _marginal_effects(
    theta: np.ndarray, cov_theta: np.ndarray, X: np.ndarray, names: list[str],
    lo: float, hi: float, at: str,
) -> pd.DataFrame:
    p = X.shape[1]
    Xm = X if at == "average" else X.mean(axis=0, keepdims=True)
    idx = [j for j, n in enumerate(names) if n != _CONST]

    def effects(th: np.ndarray) -> np.ndarray:
        fc, fcond = _me_factors(th, Xm, lo, hi)
        b = th[idx]
        return np.concatenate([b, fc * b, fcond * b])

    me = effects(theta)
    J = np.empty((len(me), p + 1))
    for j in range(p + 1):
        h = 1e-5 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        J[:, j] = (effects(tp) - effects(tm)) / (2 * h)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, cov_theta, J), 0.0))
    terms = [names[j] for j in idx]
    index = pd.MultiIndex.from_product(
        [[_ME_LATENT, _ME_CENSORED, _ME_CONDITIONAL], terms], names=["quantity", "term"]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z = me / se
    pval = 2 * stats.norm.sf(np.abs(z))
    q = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {"dy/dx": me, "std err": se, "z": z, "p": pval,
         "ci lower": me - q * se, "ci upper": me + q * se},
        index=index,
    )


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class TobitResult(WrapsResult):
    """A fitted Tobit model.

    Attributes
    ----------
    result : RegressionResult
        Coefficients and ``"sigma"`` (last), their covariance, log-likelihood and
        statistics (AIC, BIC, McFadden pseudo R² ``1 − llf/llf₀`` against the
        constant-only Tobit — with densities in the likelihood it may fall
        outside [0, 1], as Stata warns — and the censoring counts).
    margins : pandas.DataFrame
        Marginal effects ``dy/dx`` with delta-method standard errors, indexed by
        ``(quantity, term)``; quantities ``"E[y*]"`` (latent mean), ``"E[y]"``
        (censored, observed mean) and ``"E[y|a<y<b]"`` (mean of the uncensored).
    margins_at : str
        ``"average"`` (average marginal effects) or ``"means"`` (at the means of X).
    log_sigma, log_sigma_se : float
        ``log σ`` and its standard error (``survreg``'s ``Log(scale)``).
    cov_log : pandas.DataFrame
        Covariance of the coefficients and ``"log_sigma"`` (the estimation scale).
    left, right : float or None
        The censoring limits (``None``: no limit).
    converged : bool
        Whether Newton's method met its convergence criterion.
    """

    result: RegressionResult
    margins: pd.DataFrame
    margins_at: str
    log_sigma: float
    log_sigma_se: float
    cov_log: pd.DataFrame
    left: float | None
    right: float | None
    converged: bool = True

    def summary(self) -> str:
        """Coefficient table, statistics and the marginal effects as plain text."""
        kind = "average marginal effects" if self.margins_at == "average" else "marginal effects at the means"
        me = self.margins.to_string(float_format=lambda v: f"{v:.6g}")
        return f"{self.result.summary()}\n\n{kind.capitalize()} (dy/dx, delta-method SE):\n{me}"


def tobit(
    y: pd.Series,
    X: pd.DataFrame,
    *,
    left: float | None = 0.0,
    right: float | None = 1.0,
    cov_type: CovType = "nonrobust",
    groups: pd.Series | None = None,
    margins: MarginsAt = "average",
) -> TobitResult:
    """Tobit regression by maximum likelihood.

    Parameters
    ----------
    y : pandas.Series
        Dependent variable (its name labels the result).
    X : pandas.DataFrame
        Regressors with named columns, the same index as ``y``; include a column
        named ``"const"`` of ones for the intercept.
    left, right : float or None, keyword-only
        Censoring limits; ``None`` = no limit on that side.  Default ``[0, 1]``.
        Values at or beyond a limit are censored there.
    cov_type : {"nonrobust", "robust", "cluster"}, keyword-only
        Observed information, sandwich (× n/(n−1)) or cluster sandwich
        (× G/(G−1), as Stata); see the module docstring.
    groups : pandas.Series, optional, keyword-only
        Cluster labels (e.g. regions), same index as ``X``; required by and only
        used with ``cov_type="cluster"``.
    margins : {"average", "means"}, keyword-only
        Average marginal effects (default, as Stata's ``margins, dydx(*)``) or
        marginal effects at the means of ``X``.

    Returns
    -------
    TobitResult
        ``.result`` holds the :class:`RegressionResult` (params: coefficients,
        then ``"sigma"``), ``.margins`` the marginal effects.

    Raises
    ------
    InputError
        Non-finite values (naming the variable and row), perfectly collinear
        columns (naming them), ``left ≥ right``, all observations censored, a
        bad option, or ``groups`` missing / given without ``cov_type="cluster"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.tobit import tobit
    >>> rng = np.random.default_rng(2)
    >>> x = rng.normal(size=400)
    >>> ystar = 0.4 + 0.3 * x + rng.normal(scale=0.3, size=400)
    >>> y = pd.Series(np.clip(ystar, 0.0, 1.0), name="ccd")
    >>> X = pd.DataFrame({"const": 1.0, "x": x})
    >>> fit = tobit(y, X)
    >>> fit.params.round(2).to_dict()
    {'const': 0.38, 'x': 0.3, 'sigma': 0.29}
    >>> fit.result.stats["left-censored"], fit.result.stats["right-censored"]
    (77, 28)
    >>> round(float(fit.margins.loc[("E[y]", "x"), "dy/dx"]), 3)
    0.22
    """
    cov_type = check_option("cov_type", cov_type, CovType)
    margins = check_option("margins", margins, MarginsAt)
    yv, Xv, names, dependent, index = _design(y, X)
    lo, hi = _limits(left, right)
    if cov_type == "cluster" and groups is None:
        raise InputError("cov_type='cluster' needs groups (the cluster labels, e.g. regions)")
    if groups is not None and cov_type != "cluster":
        raise InputError(f"groups is used only with cov_type='cluster' (got cov_type={cov_type!r})")
    _check_collinear(Xv, names)
    cens = _censoring(yv, lo, hi, dependent)
    n, p = Xv.shape

    theta, llf, H, scores, converged = _fit_tobit(Xv, yv, cens, lo, hi)
    Hinv = _inv_information(H, "tobit")
    notes: list[str] = []
    if cov_type == "nonrobust":
        cov_theta, cov_label = Hinv, "nonrobust"
    elif cov_type == "robust":
        cov_theta, cov_label = _sandwich(Hinv, scores, n / (n - 1)), "robust"
    else:
        codes, labels, gname = _groups_codes(groups, index)
        G = len(labels)
        if G < 2:
            raise InputError(f"groups ({gname!r}): cluster-robust covariance needs at least 2 clusters")
        cscores = np.zeros((G, p + 1))
        np.add.at(cscores, codes, scores)
        cov_theta, cov_label = _sandwich(Hinv, cscores, G / (G - 1)), f"cluster({gname})"
        notes.append(f"cluster-robust covariance with {G} clusters, small-sample factor G/(G-1)")
    if not converged:
        msg = "tobit: Newton's method did not meet its convergence criterion; estimates may be inaccurate"
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)

    # constant-only Tobit for the McFadden pseudo R²
    ones = np.ones((n, 1))
    if p == 1 and np.allclose(Xv, 1.0):
        llf0 = llf
    else:
        llf0 = _fit_tobit(ones, yv, cens, lo, hi)[1]

    sigma_pos = [p]
    cov = _sigma_cov(cov_theta, sigma_pos, theta)
    pnames = [*names, "sigma"]
    params = pd.Series(np.concatenate([theta[:p], np.exp(theta[p:])]), index=pnames)
    bse = pd.Series(np.sqrt(np.diag(cov)), index=pnames)
    k = p + 1
    n_left, n_right = int((cens == 1).sum()), int((cens == 2).sum())
    stat = {
        "AIC": -2 * llf + 2 * k,
        "BIC": -2 * llf + k * math.log(n),
        "pseudo R² (McFadden)": 1.0 - llf / llf0 if llf0 != 0 else float("nan"),
        "log-likelihood (constant only)": llf0,
        "left-censored": n_left,
        "uncensored": n - n_left - n_right,
        "right-censored": n_right,
    }
    result = RegressionResult(
        model=f"Tobit, {_limits_text(lo, hi)}",
        dependent=dependent,
        params=params,
        bse=bse,
        cov=pd.DataFrame(cov, index=pnames, columns=pnames),
        cov_type=cov_label,
        nobs=n,
        df_resid=None,
        llf=llf,
        stats=stat,
        notes=tuple(notes),
    )
    me = _marginal_effects(theta, cov_theta, Xv, names, lo, hi, margins)
    lnames = [*names, "log_sigma"]
    return TobitResult(
        result=result,
        margins=me,
        margins_at=margins,
        log_sigma=float(theta[p]),
        log_sigma_se=float(math.sqrt(cov_theta[p, p])),
        cov_log=pd.DataFrame(cov_theta, index=lnames, columns=lnames),
        left=None if math.isinf(lo) else lo,
        right=None if math.isinf(hi) else hi,
        converged=converged,
    )


__all__ = ["CovType", "MarginsAt", "TobitResult", "tobit"]
