"""Panel Tobit models: random effects (``xttobit``), dummy-variable fixed effects, Mundlak.

Random-effects Tobit (:func:`random_effects_tobit`)
    ``y*_it = x_it'β + u_i + e_it`` with ``u_i ~ N(0, σu²)`` and
    ``e_it ~ N(0, σe²)`` independent, ``y_it`` the censored ``y*_it`` (limits as
    in :func:`regionkit.econometrics.tobit.tobit`).  The likelihood of a group,
    ``Lᵢ = ∫ Πₜ f(y_it | x_it'β + u, σe) φ(u/σu)/σu du``, is integrated by
    Gauss–Hermite quadrature:

    * ``"adaptive"`` (default; Liu & Pierce 1994, Rabe-Hesketh, Skrondal &
      Pickles 2005): the nodes are centred at the mode ``ûᵢ`` of each group's
      integrand and scaled by its curvature, ``ŝᵢ = (−∂²log/∂u²)^(−1/2)``:
      ``Lᵢ ≈ Σₖ wₖ √2 ŝᵢ exp(hₖ²) g(ûᵢ + √2 ŝᵢ hₖ)``.  The nodes are moved at
      every Newton iteration (as Stata's ``xttobit`` and ``gllamm`` do); at the
      reported estimate they sit at the modes of that estimate.  Exact when the
      integrand is Gaussian (no censoring), hence it reproduces ``lme4``'s ML
      random-intercept fit.
    * ``"gauss-hermite"``: the ordinary rule ``Lᵢ ≈ Σₖ wₖ/√π g(√2 σu hₖ)``,
      the one of ``censReg`` (R).  It needs many more points when σu is large
      or the groups are long.

    The gradient and the Hessian of the quadrature log-likelihood are analytic;
    the standard errors come from the observed information (minus the Hessian).
    Parameters are estimated as ``(β, log σu, log σe)``; reported ``params`` are
    the coefficients, then ``"sigma_u"`` and ``"sigma_e"`` (delta-method standard
    errors); the ``log σ`` scale and ``ρ = σu²/(σu² + σe²)`` (delta-method SE)
    are extras of the result.

    The likelihood-ratio test of ``σu = 0`` compares with the pooled Tobit; as
    ``σu = 0`` lies on the boundary, the statistic is a 50:50 mixture of χ²₀
    and χ²₁ (chi-bar-squared): ``p = ½ P(χ²₁ > LR)``.  When the likelihood
    is largest at ``σu = 0`` (the search drives ``σu`` below ``1e-4 σe``), the
    estimate is that boundary: the pooled Tobit's coefficients and σ with
    ``sigma_u = 0`` (standard error NaN), LR = 0, p = 1, a note and a
    ``RuntimeWarning``.

    With ``check_quadrature=True`` the model is refitted with ``points − 4``
    and ``points + 4`` nodes (8, 12 and 16 for the default), like Stata's
    ``quadchk``; :class:`QuadratureWarning` is issued when a parameter moves by
    more than ``max(1e-4, 1 % of its value)`` — more than 1e-4 absolute *and*
    more than 1 % relative — and the table of the fits is kept in
    ``quadrature_check``.

Fixed-effects Tobit (:func:`fixed_effects_tobit`)
    The *unconditional* (dummy-variable) ML estimator: one intercept per group.
    It suffers from the incidental-parameters problem: in short panels σ is
    biased downward (Greene 2004, *Econometrics Journal* 7: the slopes are
    affected much less), which the result notes say.  A regressor constant
    within every group is not identified and is an error; a column named
    ``"const"`` is dropped (the group intercepts replace it).  Groups whose
    observations are all censored at the same limit carry no information about
    β and σ (their intercept runs to ∓∞) and are dropped, with a note.

Mundlak / correlated random effects (:func:`mundlak_tobit`)
    The random-effects Tobit with the group means of the time-varying
    regressors added (Mundlak 1978; Chamberlain 1984); the Wald test that their
    coefficients are jointly zero is the usual test of random against fixed
    effects for Tobit, where no consistent fixed-effects estimator exists.

Checked against published values of ``censReg`` (R) for the non-adaptive
quadrature, ``lme4`` for the uncensored case, and by simulation: see
``tests/reference/tobit`` and ``tests/econometrics/test_panel_tobit.py``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.polynomial.hermite import hermgauss
from scipy import stats

from .._checks import check_option
from ..errors import ComputationError, InputError
from .results import RegressionResult, WrapsResult
from .tobit import (
    _CONST,
    _LOG_2PI,
    _censoring,
    _check_collinear,
    _design,
    _fit_tobit,
    _groups_codes,
    _inv_information,
    _limits,
    _limits_text,
    _maximize,
    _newton_direction,
    _obs_terms,
    _sigma_cov,
)

Quadrature = Literal["adaptive", "gauss-hermite"]
"""Quadrature of the random-effects likelihood: adaptive (default) or ordinary Gauss–Hermite."""

FE_NOTE = "unconditional FE: incidental-parameters bias, σ biased downward in short panels"
"""Note carried by every :func:`fixed_effects_tobit` result."""

_SQRT2 = math.sqrt(2.0)
_QUAD_RTOL = 0.01
_QUAD_ATOL = 1e-4
_LOG_BOUNDARY = math.log(1e-4)  # σu/σe below which σu is taken as 0


class QuadratureWarning(UserWarning):
    """The random-effects Tobit estimates depend on the number of quadrature points."""


@dataclass(frozen=True)
class TestResult:
    """A test statistic with its distribution and p-value.

    Attributes
    ----------
    name : str
        What is tested.
    statistic : float
        Value of the statistic.
    df : int
        Degrees of freedom.
    pvalue : float
        p-value.
    distribution : str
        Reference distribution in words (e.g. ``"chi2"``, ``"chibar2(01)"``).
    """

    __test__ = False  # not a pytest test class

    name: str
    statistic: float
    df: int
    pvalue: float
    distribution: str

    def summary(self) -> str:
        """One line: name, statistic, df, p."""
        return (f"{self.name}: {self.distribution} = {self.statistic:.6g}, df = {self.df}, "
                f"p = {self.pvalue:.4g}")

    def to_frame(self) -> pd.DataFrame:
        """The test as a one-row table."""
        return pd.DataFrame(
            {"statistic": [self.statistic], "df": [self.df], "p": [self.pvalue],
             "distribution": [self.distribution]},
            index=pd.Index([self.name], name="test"),
        )


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
@dataclass
class _Panel:
    y: np.ndarray           # sorted by group
    X: np.ndarray
    cens: np.ndarray
    codes: np.ndarray       # group code of each (sorted) observation
    starts: np.ndarray      # first row of each group
    sizes: np.ndarray
    labels: pd.Index        # group labels, in code order
    names: list[str]
    dependent: str
    group_name: str
    lo: float
    hi: float

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def gsum(self, a: np.ndarray) -> np.ndarray:
        """Sums over the observations of each group (axis 0)."""
        return np.add.reduceat(a, self.starts, axis=0)


def _panel(
    y: Any, X: Any, groups: Any, left: float | None, right: float | None,
) -> tuple[_Panel, pd.DataFrame]:
    yv, Xv, names, dependent, index = _design(y, X)
    lo, hi = _limits(left, right)
    if groups is None:
        raise InputError("groups: the group (region) labels of the panel are required")
    codes, labels, gname = _groups_codes(groups, index)
    cens = _censoring(yv, lo, hi, dependent)
    order = np.argsort(codes, kind="stable")
    codes_s = codes[order]
    sizes = np.bincount(codes_s, minlength=len(labels))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    panel = _Panel(
        y=yv[order], X=Xv[order], cens=cens[order], codes=codes_s, starts=starts, sizes=sizes,
        labels=labels, names=names, dependent=dependent, group_name=gname, lo=lo, hi=hi,
    )
    Xdf = pd.DataFrame(Xv, index=index, columns=names)
    return panel, Xdf


def _within_constant(panel: _Panel) -> np.ndarray:
    """Boolean per column: constant within every group."""
    X = panel.X
    mx = np.maximum.reduceat(X, panel.starts, axis=0)
    mn = np.minimum.reduceat(X, panel.starts, axis=0)
    scale = np.maximum(np.max(np.abs(X), axis=0), 1e-300)
    return np.all(mx - mn <= 1e-12 * scale, axis=0)


# --------------------------------------------------------------------------
# random-effects likelihood
# --------------------------------------------------------------------------
class _RELikelihood:
    """Quadrature log-likelihood of the RE Tobit in θ = (β, log σu, log σe)."""

    def __init__(self, panel: _Panel, points: int, adaptive: bool) -> None:
        self.pn = panel
        self.p = panel.X.shape[1]
        h, w = hermgauss(points)
        self.h = h
        self.logw = np.log(w)
        self.adaptive = adaptive
        self.mu = np.zeros(panel.n_groups)
        self.s = np.ones(panel.n_groups)

    # ---- adaptive nodes: mode and curvature of each group's integrand
    def adapt(self, theta: np.ndarray) -> None:
        if not self.adaptive:
            return
        pn, p = self.pn, self.p
        xb = pn.X @ theta[:p]
        su2 = math.exp(2.0 * theta[p])
        te = float(theta[p + 1])
        u = self.mu.copy()

        def parts(u: np.ndarray, order: int):
            t = _obs_terms(pn.y, pn.cens, pn.lo, pn.hi, xb + u[pn.codes], te, order)
            obj = pn.gsum(t[0]) - 0.5 * u * u / su2
            if order == 0:
                return obj, None, None
            d1 = pn.gsum(t[1]) - u / su2
            d2 = pn.gsum(t[3]) - 1.0 / su2
            return obj, d1, d2

        obj, d1, d2 = parts(u, 2)
        for _ in range(100):
            step = -d1 / d2
            t = np.ones_like(u)
            for _ in range(40):  # per-group backtracking (the integrand is log-concave)
                new = u + t * step
                obj_new = parts(new, 0)[0]
                worse = obj_new < obj - 1e-12 * (1.0 + np.abs(obj))
                if not worse.any():
                    break
                t = np.where(worse, 0.5 * t, t)
            u = new
            done = np.max(np.abs(t * step) / (1.0 + np.abs(u))) < 1e-10
            obj, d1, d2 = parts(u, 2)
            if done:
                break
        self.mu = u
        self.s = 1.0 / np.sqrt(-d2)

    # ---- log-likelihood, gradient, Hessian, per-group scores
    def __call__(self, theta: np.ndarray, order: int):
        pn, p = self.pn, self.p
        X = pn.X
        tu, te = float(theta[p]), float(theta[p + 1])
        su = math.exp(tu)
        xb = X @ theta[:p]
        h = self.h
        if self.adaptive:
            U = self.mu[:, None] + _SQRT2 * self.s[:, None] * h[None, :]      # (G, K)
            base = (self.logw[None, :] + np.log(_SQRT2 * self.s)[:, None] + h[None, :] ** 2
                    - 0.5 * _LOG_2PI - tu - 0.5 * U * U / su**2)
            eta = xb[:, None] + U[pn.codes]
        else:
            v = _SQRT2 * h
            base = np.broadcast_to(self.logw - 0.5 * math.log(math.pi), (pn.n_groups, len(h)))
            eta = xb[:, None] + su * v[None, :]
        terms = _obs_terms(pn.y, pn.cens, pn.lo, pn.hi, eta, te, 2 if order else 0)
        gk = pn.gsum(terms[0]) + base                                          # (G, K)
        m = gk.max(axis=1)
        Li = m + np.log(np.exp(gk - m[:, None]).sum(axis=1))
        f = float(Li.sum())
        if order == 0:
            return f
        _, l_e, l_t, l_ee, l_et, l_tt = terms
        P = np.exp(gk - Li[:, None])                                           # posterior weights
        Pobs = P[pn.codes]
        K = len(h)
        npar = p + 2
        Gall = np.empty((pn.n_groups, K, npar))
        for k in range(K):
            Gall[:, k, :p] = pn.gsum(l_e[:, k, None] * X)
        if self.adaptive:
            Gall[:, :, p] = U * U / su**2 - 1.0
        else:
            Gall[:, :, p] = pn.gsum(l_e) * (su * v)[None, :]
        Gall[:, :, p + 1] = pn.gsum(l_t)
        Gi = np.einsum("gk,gkp->gp", P, Gall)                                   # group scores
        g = Gi.sum(axis=0)
        H = np.zeros((npar, npar))
        w_ee = (Pobs * l_ee).sum(axis=1)
        H[:p, :p] = X.T @ (X * w_ee[:, None])
        H[:p, p + 1] = X.T @ (Pobs * l_et).sum(axis=1)
        H[p + 1, p + 1] = float((Pobs * l_tt).sum())
        if self.adaptive:
            H[p, p] = float((P * (-2.0 * U * U / su**2)).sum())
        else:
            sv = su * v
            H[:p, p] = X.T @ (Pobs * l_ee * sv).sum(axis=1)
            H[p, p + 1] = float((Pobs * l_et * sv).sum())
            H[p, p] = float((Pobs * (l_ee * sv * sv + l_e * sv)).sum())
        H = np.triu(H) + np.triu(H, 1).T
        Gw = (Gall * np.sqrt(P)[:, :, None]).reshape(-1, npar)
        H += Gw.T @ Gw - Gi.T @ Gi
        return f, g, H, Gi


def _at_boundary(theta: np.ndarray) -> bool:
    """σu below 1e-4 σe (ρ < 1e-8): the random effect has vanished."""
    return bool(theta[-2] < theta[-1] + _LOG_BOUNDARY)


def _fit_re(panel: _Panel, points: int, adaptive: bool, theta0: np.ndarray):
    lik = _RELikelihood(panel, points, adaptive)
    theta, converged, iters = _maximize(lik, theta0, prepare=lik.adapt, stop=_at_boundary,
                                        max_iter=200)
    lik.adapt(theta)
    f, _, H, Gi = lik(theta, 2)
    return theta, f, H, converged, lik


def _not_pd(H: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(-0.5 * (H + H.T))
    except np.linalg.LinAlgError:
        return True
    return False


def _check_points(points: Any) -> int:
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not 1 <= points <= 100:
        raise InputError(f"points={points!r}: expected an integer number of quadrature points in 1..100")
    return int(points)


@dataclass(frozen=True)
class RandomEffectsTobitResult(WrapsResult):
    """A fitted random-effects Tobit.

    Attributes
    ----------
    result : RegressionResult
        Coefficients, then ``"sigma_u"`` and ``"sigma_e"``; observed-information
        covariance; log-likelihood; statistics.
    rho, rho_se : float
        ``ρ = σu²/(σu² + σe²)``, the share of the latent variance due to the
        group effect, and its delta-method standard error.
    log_sigma : pandas.DataFrame
        ``log σu`` and ``log σe`` (the estimation scale) with standard errors.
    cov_log : pandas.DataFrame
        Covariance of the coefficients, ``"log_sigma_u"`` and ``"log_sigma_e"``.
    lr_test : TestResult
        Likelihood-ratio test of ``σu = 0`` against the pooled Tobit
        (chi-bar-squared, ``p = ½ P(χ²₁ > LR)``).
    llf_pooled : float
        Log-likelihood of the pooled Tobit.
    quadrature : str
        ``"adaptive"`` or ``"gauss-hermite"``.
    points : int
        Number of quadrature points of the fit.
    quadrature_check : pandas.DataFrame or None
        The ``quadchk`` table (log-likelihood and parameters refitted with
        ``points − 4``, ``points`` and ``points + 4`` nodes, and the largest
        absolute and relative differences from the fit), or ``None``.
    n_groups : int
        Number of groups.
    converged : bool
        Whether Newton's method met its convergence criterion.
    """

    result: RegressionResult
    rho: float
    rho_se: float
    log_sigma: pd.DataFrame
    cov_log: pd.DataFrame
    lr_test: TestResult
    llf_pooled: float
    quadrature: str
    points: int
    quadrature_check: pd.DataFrame | None
    n_groups: int
    converged: bool = True

    def summary(self) -> str:
        """Coefficient table, ρ, the LR test and the quadrature check as plain text."""
        parts = [self.result.summary(),
                 f"rho = {self.rho:.6g} (std err {self.rho_se:.4g})",
                 self.lr_test.summary()]
        if self.quadrature_check is not None:
            qc = self.quadrature_check.to_string(float_format=lambda v: f"{v:.6g}")
            parts.append(f"Quadrature check ({self.quadrature}):\n{qc}")
        return "\n".join(parts)


def _quadrature_table(fits: dict[int, tuple[np.ndarray, float]], main: int, names: list[str]) -> pd.DataFrame:
    cols = {}
    for q, (params, llf) in fits.items():
        cols[f"{q} points"] = np.concatenate([[llf], params])
    table = pd.DataFrame(cols, index=["log-likelihood", *names])
    ref = table[f"{main} points"]
    others = table.drop(columns=f"{main} points")
    diff = others.sub(ref, axis=0).abs()
    table["max abs diff"] = diff.max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["max rel diff"] = diff.div(ref.abs(), axis=0).max(axis=1)
    return table


def _re_core(
    panel: _Panel, *, quadrature: str, points: int, check_quadrature: bool, model: str,
    stacklevel: int,
) -> RandomEffectsTobitResult:
    p = panel.X.shape[1]
    names = panel.names
    n = len(panel.y)
    G = panel.n_groups
    adaptive = quadrature == "adaptive"
    _check_collinear(panel.X, names)

    pooled, llf_pooled, _, _, _ = _fit_tobit(panel.X, panel.y, panel.cens, panel.lo, panel.hi)
    half = 0.5 * math.log(2.0)
    theta0 = np.concatenate([pooled[:p], [pooled[p] - half, pooled[p] - half]])
    theta, llf, H, converged, _ = _fit_re(panel, points, adaptive, theta0)
    notes: list[str] = []
    boundary = _at_boundary(theta) or (
        not converged and _not_pd(H) and theta[p] < theta[p + 1] + math.log(1e-3)
    )
    if boundary:
        # sigma_u -> 0: the maximum is on the boundary, where the model is the pooled Tobit
        theta = np.concatenate([pooled[:p], [-math.inf, pooled[p]]])
        llf = llf_pooled
        Hp = _fit_tobit(panel.X, panel.y, panel.cens, panel.lo, panel.hi, pooled)[2]
        Hinv_p = _inv_information(Hp, model)
        Hinv = np.full((p + 2, p + 2), np.nan)
        keep = [*range(p), p + 1]
        Hinv[np.ix_(keep, keep)] = Hinv_p
        converged = True
        msg = ("sigma_u is estimated at the boundary 0: no group effect; the estimates are those "
               "of the pooled Tobit (standard error of sigma_u undefined)")
        warnings.warn(f"{model}: {msg}", RuntimeWarning, stacklevel=stacklevel)
        notes.append(msg)
    else:
        Hinv = _inv_information(H, model)
    if not converged:
        msg = f"{model}: Newton's method did not meet its convergence criterion; estimates may be inaccurate"
        warnings.warn(msg, RuntimeWarning, stacklevel=stacklevel)
        notes.append(msg)

    pnames = [*names, "sigma_u", "sigma_e"]
    lnames = [*names, "log_sigma_u", "log_sigma_e"]
    cov = _sigma_cov(Hinv, [p, p + 1], theta)
    params_v = np.concatenate([theta[:p], np.exp(theta[p:])])
    params = pd.Series(params_v, index=pnames)
    bse = pd.Series(np.sqrt(np.diag(cov)), index=pnames)

    su2, se2 = math.exp(2 * theta[p]), math.exp(2 * theta[p + 1])
    rho = su2 / (su2 + se2)
    jr = np.array([2 * rho * (1 - rho), -2 * rho * (1 - rho)])
    rho_se = float(math.sqrt(max(jr @ Hinv[p:, p:] @ jr, 0.0)))

    lr = max(2.0 * (llf - llf_pooled), 0.0)
    lr_test = TestResult(
        name="LR test of sigma_u = 0", statistic=lr, df=1,
        pvalue=float(0.5 * stats.chi2.sf(lr, 1)) if lr > 0 else 1.0,
        distribution="chibar2(01)",
    )

    qtable = None
    if check_quadrature and not boundary:
        fits = {}
        for q in sorted({max(points - 4, 1), points, points + 4}):
            if q == points:
                fits[q] = (params_v, llf)
                continue
            try:
                th_q, llf_q, _, _, _ = _fit_re(panel, q, adaptive, theta)
                fits[q] = (np.concatenate([th_q[:p], np.exp(th_q[p:])]), llf_q)
            except ComputationError:
                fits[q] = (np.full(p + 2, np.nan), float("nan"))
        qtable = _quadrature_table(fits, points, pnames)
        d = qtable.loc[pnames, "max abs diff"].to_numpy()
        r = qtable.loc[pnames, "max rel diff"].to_numpy()
        moved = [nm for nm, a, b in zip(pnames, d, r, strict=True)
                 if not (a <= _QUAD_ATOL or b <= _QUAD_RTOL)]
        if moved:
            msg = (f"{model}: the estimates of {', '.join(map(repr, moved))} move by more than 1% "
                   f"(and more than 1e-4) between {', '.join(f'{q}' for q in fits)} quadrature points; "
                   f"the {quadrature} quadrature with {points} points may be inaccurate "
                   "(use more points or quadrature='adaptive'); see .quadrature_check")
            warnings.warn(msg, QuadratureWarning, stacklevel=stacklevel)
            notes.append(msg)

    n_left, n_right = int((panel.cens == 1).sum()), int((panel.cens == 2).sum())
    k = p + 2
    qname = "adaptive Gauss–Hermite" if adaptive else "Gauss–Hermite"
    stat = {
        "AIC": -2 * llf + 2 * k,
        "BIC": -2 * llf + k * math.log(n),
        "rho": rho,
        "LR sigma_u=0 (chibar2)": lr,
        "p (LR)": lr_test.pvalue,
        "groups": G,
        "obs per group (min)": int(panel.sizes.min()),
        "obs per group (mean)": float(panel.sizes.mean()),
        "obs per group (max)": int(panel.sizes.max()),
        "left-censored": n_left,
        "uncensored": n - n_left - n_right,
        "right-censored": n_right,
        "quadrature": f"{qname}, {points} points",
    }
    result = RegressionResult(
        model=model,
        dependent=panel.dependent,
        params=params,
        bse=bse,
        cov=pd.DataFrame(cov, index=pnames, columns=pnames),
        cov_type="nonrobust",
        nobs=n,
        df_resid=None,
        llf=llf,
        stats=stat,
        notes=tuple(notes),
    )
    log_sigma = pd.DataFrame(
        {"coef": theta[p:], "std err": np.sqrt(np.diag(Hinv)[p:])},
        index=["log_sigma_u", "log_sigma_e"],
    )
    return RandomEffectsTobitResult(
        result=result, rho=rho, rho_se=rho_se, log_sigma=log_sigma,
        cov_log=pd.DataFrame(Hinv, index=lnames, columns=lnames),
        lr_test=lr_test, llf_pooled=llf_pooled, quadrature=quadrature, points=points,
        quadrature_check=qtable, n_groups=G, converged=converged,
    )


def random_effects_tobit(
    y: pd.Series,
    X: pd.DataFrame,
    groups: pd.Series,
    *,
    left: float | None = 0.0,
    right: float | None = 1.0,
    quadrature: Quadrature = "adaptive",
    points: int = 12,
    check_quadrature: bool = True,
) -> RandomEffectsTobitResult:
    """Random-effects (random-intercept) Tobit, Stata's ``xttobit``.

    Parameters
    ----------
    y : pandas.Series
        Dependent variable.
    X : pandas.DataFrame
        Regressors with named columns, same index as ``y``; include ``"const"``.
    groups : pandas.Series
        Group (region) label of each observation, same index as ``X``.  The
        panel may be unbalanced.
    left, right : float or None, keyword-only
        Censoring limits (``None``: no limit); default ``[0, 1]``.
    quadrature : {"adaptive", "gauss-hermite"}, keyword-only
        Adaptive (default) or ordinary Gauss–Hermite quadrature.
    points : int, keyword-only
        Number of quadrature points (default 12).
    check_quadrature : bool, keyword-only
        Refit with ``points ± 4`` points and warn (:class:`QuadratureWarning`)
        when a parameter moves by more than 1 % and 1e-4 (default ``True``).

    Returns
    -------
    RandomEffectsTobitResult
        ``.result`` (params: coefficients, ``sigma_u``, ``sigma_e``), ``.rho``,
        ``.lr_test``, ``.quadrature_check`` and more.

    Raises
    ------
    InputError
        Non-finite values, collinear columns, missing group labels,
        ``left ≥ right``, all observations censored, or a bad option.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.panel_tobit import random_effects_tobit
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(40), 8)
    >>> x = rng.normal(size=g.size)
    >>> ystar = 0.5 + 0.2 * x + rng.normal(scale=0.15, size=40)[g] + rng.normal(scale=0.2, size=g.size)
    >>> y = pd.Series(np.clip(ystar, 0.0, 1.0), name="ccd")
    >>> X = pd.DataFrame({"const": 1.0, "x": x})
    >>> fit = random_effects_tobit(y, X, pd.Series(g, name="region"))
    >>> fit.params.round(2).to_dict()
    {'const': 0.48, 'x': 0.22, 'sigma_u': 0.14, 'sigma_e': 0.2}
    >>> round(fit.rho, 2), fit.lr_test.pvalue < 0.001
    (0.33, True)
    """
    quadrature = check_option("quadrature", quadrature, Quadrature)
    points = _check_points(points)
    panel, _ = _panel(y, X, groups, left, right)
    qname = "adaptive quadrature" if quadrature == "adaptive" else "Gauss–Hermite quadrature"
    model = f"Random-effects Tobit, {_limits_text(panel.lo, panel.hi)} ({qname}, {points} points)"
    return _re_core(panel, quadrature=quadrature, points=points,
                    check_quadrature=bool(check_quadrature), model=model, stacklevel=3)


# --------------------------------------------------------------------------
# Mundlak (correlated random effects)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class MundlakTobitResult(WrapsResult):
    """A fitted correlated-random-effects (Mundlak) Tobit.

    Attributes
    ----------
    result : RegressionResult
        The random-effects Tobit with the group means (terms ``"mean(x)"``).
    random_effects : RandomEffectsTobitResult
        The full random-effects result (ρ, LR test, quadrature check).
    wald : TestResult
        Wald test that the coefficients of the group means are jointly zero
        (chi², df = number of means); rejection favours fixed over random effects.
    mean_terms : tuple of str
        Names of the added group-mean terms.
    """

    result: RegressionResult
    random_effects: RandomEffectsTobitResult
    wald: TestResult
    mean_terms: tuple

    def summary(self) -> str:
        """The random-effects summary followed by the Wald test of the means."""
        return f"{self.random_effects.summary()}\n{self.wald.summary()}"


def mundlak_tobit(
    y: pd.Series,
    X: pd.DataFrame,
    groups: pd.Series,
    *,
    left: float | None = 0.0,
    right: float | None = 1.0,
    quadrature: Quadrature = "adaptive",
    points: int = 12,
    check_quadrature: bool = True,
) -> MundlakTobitResult:
    """Correlated random-effects (Mundlak) Tobit with a Wald test of the group means.

    The group means of the time-varying columns of ``X`` (every column but
    ``"const"`` that is not constant within all groups) are added as
    ``"mean(<column>)"`` and the random-effects Tobit is fitted
    (:func:`random_effects_tobit`, same options).  The Wald test that their
    coefficients are jointly zero is the test of random against fixed effects.

    Returns
    -------
    MundlakTobitResult

    Raises
    ------
    InputError
        As :func:`random_effects_tobit`; also when no column of ``X`` varies
        within groups.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.panel_tobit import mundlak_tobit
    >>> rng = np.random.default_rng(3)
    >>> g = np.repeat(np.arange(40), 8)
    >>> a = rng.normal(scale=0.15, size=40)
    >>> x = rng.normal(size=g.size) + 2 * a[g]          # x correlated with the effect
    >>> ystar = 0.5 + 0.2 * x + a[g] + rng.normal(scale=0.2, size=g.size)
    >>> y = pd.Series(np.clip(ystar, 0.0, 1.0), name="ccd")
    >>> X = pd.DataFrame({"const": 1.0, "x": x})
    >>> fit = mundlak_tobit(y, X, pd.Series(g, name="region"))
    >>> fit.mean_terms
    ('mean(x)',)
    >>> fit.wald.df, fit.wald.pvalue < 0.05
    (1, True)
    """
    quadrature = check_option("quadrature", quadrature, Quadrature)
    points = _check_points(points)
    panel, Xdf = _panel(y, X, groups, left, right)
    const_within = _within_constant(panel)
    varying = [nm for nm, c in zip(panel.names, const_within, strict=True) if not c and nm != _CONST]
    if not varying:
        raise InputError("X: no column varies within groups; the Mundlak terms (group means) are undefined")
    means = pd.DataFrame(
        np.add.reduceat(panel.X[:, [panel.names.index(v) for v in varying]], panel.starts, axis=0)
        / panel.sizes[:, None],
        columns=[f"mean({v})" for v in varying],
    )
    taken = [c for c in means.columns if c in panel.names]
    if taken:
        raise InputError(f"X: column name(s) {', '.join(map(repr, taken))} clash with the Mundlak terms")
    panel.X = np.column_stack([panel.X, means.to_numpy()[panel.codes]])
    panel.names = [*panel.names, *means.columns]
    qname = "adaptive quadrature" if quadrature == "adaptive" else "Gauss–Hermite quadrature"
    model = (f"Mundlak (correlated random-effects) Tobit, {_limits_text(panel.lo, panel.hi)} "
             f"({qname}, {points} points)")
    re = _re_core(panel, quadrature=quadrature, points=points,
                  check_quadrature=bool(check_quadrature), model=model, stacklevel=3)
    mterms = list(means.columns)
    b = re.result.params[mterms].to_numpy()
    V = re.result.cov.loc[mterms, mterms].to_numpy()
    w = float(b @ np.linalg.solve(V, b))
    wald = TestResult(
        name="Wald test: group-mean coefficients = 0 (random vs fixed effects)",
        statistic=w, df=len(mterms), pvalue=float(stats.chi2.sf(w, len(mterms))),
        distribution="chi2",
    )
    stat = dict(re.result.stats)
    stat["Wald means=0 (chi2)"] = w
    stat["Wald df"] = len(mterms)
    stat["p (Wald)"] = wald.pvalue
    result = RegressionResult(
        model=re.result.model, dependent=re.result.dependent, params=re.result.params,
        bse=re.result.bse, cov=re.result.cov, cov_type=re.result.cov_type, nobs=re.result.nobs,
        df_resid=None, llf=re.result.llf, stats=stat, notes=re.result.notes,
    )
    return MundlakTobitResult(result=result, random_effects=re, wald=wald, mean_terms=tuple(mterms))


# --------------------------------------------------------------------------
# fixed effects (dummy variables)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FixedEffectsTobitResult(WrapsResult):
    """A fitted dummy-variable (unconditional) fixed-effects Tobit.

    Attributes
    ----------
    result : RegressionResult
        Slopes and ``"sigma"`` (the group intercepts are in ``effects``); the
        notes state the incidental-parameters bias.
    effects : pandas.Series
        Estimated intercept of each group that was kept.
    dropped_groups : tuple
        Groups left out because all their observations are censored at one limit.
    converged : bool
        Whether Newton's method met its convergence criterion.
    """

    result: RegressionResult
    effects: pd.Series
    dropped_groups: tuple
    converged: bool = True

    def summary(self) -> str:
        """The coefficient table with the notes."""
        return self.result.summary()


def fixed_effects_tobit(
    y: pd.Series,
    X: pd.DataFrame,
    groups: pd.Series,
    *,
    left: float | None = 0.0,
    right: float | None = 1.0,
) -> FixedEffectsTobitResult:
    """Dummy-variable (unconditional) fixed-effects Tobit by maximum likelihood.

    One intercept per group is estimated jointly with the slopes and σ (Newton's
    method, analytic derivatives).  **Incidental-parameters bias**: with few
    periods σ is biased downward (for the linear model by the factor
    ``√((T−1)/T)``), and so are the standard errors; the slopes are much less
    affected (Greene 2004).  Prefer :func:`mundlak_tobit` to settle random
    versus fixed effects.

    Parameters
    ----------
    y, X, groups
        As :func:`random_effects_tobit`.  A column named ``"const"`` is dropped.
    left, right : float or None, keyword-only
        Censoring limits; default ``[0, 1]``.

    Returns
    -------
    FixedEffectsTobitResult

    Raises
    ------
    InputError
        A regressor constant within every group (naming it), non-finite values,
        collinear columns (after removing the group means), ``left ≥ right``,
        all observations censored.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.panel_tobit import fixed_effects_tobit
    >>> rng = np.random.default_rng(5)
    >>> g = np.repeat(np.arange(50), 10)
    >>> x = rng.normal(size=g.size)
    >>> ystar = rng.normal(0.5, 0.2, size=50)[g] + 0.2 * x + rng.normal(scale=0.2, size=g.size)
    >>> y = pd.Series(np.clip(ystar, 0.0, 1.0), name="ccd")
    >>> fit = fixed_effects_tobit(y, pd.DataFrame({"const": 1.0, "x": x}), pd.Series(g))
    >>> fit.params.round(2).to_dict()
    {'x': 0.2, 'sigma': 0.19}
    >>> fit.result.notes[0]
    'unconditional FE: incidental-parameters bias, σ biased downward in short panels'
    """
    panel, _ = _panel(y, X, groups, left, right)
    notes = [FE_NOTE]
    if _CONST in panel.names:
        j = panel.names.index(_CONST)
        panel.X = np.delete(panel.X, j, axis=1)
        panel.names = [nm for nm in panel.names if nm != _CONST]
        notes.append("the 'const' column was dropped: the group intercepts replace it")
    if not panel.names:
        raise InputError("X: no regressor left besides 'const'; fixed effects need a time-varying regressor")

    # groups entirely censored at one limit carry no information on beta and sigma
    cl = np.add.reduceat((panel.cens == 1).astype(int), panel.starts)
    cr = np.add.reduceat((panel.cens == 2).astype(int), panel.starts)
    drop = (cl == panel.sizes) | (cr == panel.sizes)
    dropped = tuple(panel.labels[drop])
    if drop.any():
        keep_obs = ~drop[panel.codes]
        if not keep_obs.any():
            raise InputError(
                f"y ({panel.dependent!r}): every group is censored at a single limit in all its "
                "observations; the fixed-effects Tobit is not identified"
            )
        new_code = np.cumsum(~drop) - 1
        panel.y, panel.X, panel.cens = panel.y[keep_obs], panel.X[keep_obs], panel.cens[keep_obs]
        panel.codes = new_code[panel.codes[keep_obs]]
        panel.sizes = panel.sizes[~drop]
        panel.starts = np.concatenate([[0], np.cumsum(panel.sizes)[:-1]])
        panel.labels = panel.labels[~drop]
        notes.append(f"{len(dropped)} group(s) dropped: all observations censored at one limit")
        if not (panel.cens == 0).any():
            raise InputError(
                f"y ({panel.dependent!r}): no uncensored observation in the groups that are kept; "
                "σ is not identified"
            )

    const_within = _within_constant(panel)
    if const_within.any():
        bad = [nm for nm, c in zip(panel.names, const_within, strict=True) if c]
        raise InputError(
            f"X: regressor(s) {', '.join(map(repr, bad))} constant within every group "
            f"({panel.group_name!r}); not identified with fixed effects"
        )
    X = panel.X
    sizes = panel.sizes
    Xd = X - (np.add.reduceat(X, panel.starts, axis=0) / sizes[:, None])[panel.codes]
    _check_collinear(Xd, panel.names, what="X (within groups)")

    n, p = X.shape
    G = panel.n_groups
    codes = panel.codes
    y, cens, lo, hi = panel.y, panel.cens, panel.lo, panel.hi

    yd = y - (np.add.reduceat(y, panel.starts) / sizes)[codes]
    beta0 = np.linalg.lstsq(Xd, yd, rcond=None)[0]
    alpha0 = np.add.reduceat(y - X @ beta0, panel.starts) / sizes
    sd0 = float(np.std(y - X @ beta0 - alpha0[codes]))
    tau0 = math.log(max(sd0, 1e-3 * max(float(np.std(y)), 1e-6)))
    # θ = (β, log σ, α_1..α_G); the Hessian is kept as (H_γγ, H_γα, diag H_αα), γ = (β, log σ)
    theta0 = np.concatenate([beta0, [tau0], alpha0])
    m = p + 1

    def fun(theta: np.ndarray, order: int):
        beta, tau, alpha = theta[:p], float(theta[p]), theta[m:]
        eta = X @ beta + alpha[codes]
        if order == 0:
            return float(_obs_terms(y, cens, lo, hi, eta, tau, 0)[0].sum())
        ll, l_e, l_t, l_ee, l_et, l_tt = _obs_terms(y, cens, lo, hi, eta, tau, 2)
        g = np.concatenate([X.T @ l_e, [l_t.sum()], panel.gsum(l_e)])
        Hgg = np.empty((m, m))
        Hgg[:p, :p] = X.T @ (X * l_ee[:, None])
        Hgg[:p, p] = Hgg[p, :p] = X.T @ l_et
        Hgg[p, p] = l_tt.sum()
        Hga = np.vstack([panel.gsum(X * l_ee[:, None]).T, panel.gsum(l_et)[None, :]])
        return float(ll.sum()), g, (Hgg, Hga, panel.gsum(l_ee))

    def schur(Hparts) -> np.ndarray:
        """H_γγ − H_γα H_αα⁻¹ H_αγ: the Hessian of the profile in γ (α diagonal block)."""
        Hgg, Hga, Haa = Hparts
        return Hgg - (Hga / Haa[None, :]) @ Hga.T

    def solve(g: np.ndarray, Hparts) -> np.ndarray:
        Hgg, Hga, Haa = Hparts  # Haa < 0: the log-likelihood is concave in each α_i
        ga = g[m:]
        rhs = g[:m] - Hga @ (ga / Haa)
        dg = _newton_direction(rhs, schur(Hparts))
        da = -(ga + Hga.T @ dg) / Haa
        return np.concatenate([dg, da])

    theta, converged, _ = _maximize(fun, theta0, solve=solve, max_iter=300)
    llf, _, Hparts = fun(theta, 2)
    cov_g = _inv_information(schur(Hparts), "fixed-effects Tobit")
    if not converged:
        msg = "fixed-effects Tobit: Newton's method did not meet its convergence criterion"
        warnings.warn(msg, RuntimeWarning, stacklevel=2)
        notes.append(msg)
    th = theta[:m]
    cov = _sigma_cov(cov_g, [p], th)
    pnames = [*panel.names, "sigma"]
    params = pd.Series(np.concatenate([th[:p], [math.exp(th[p])]]), index=pnames)
    bse = pd.Series(np.sqrt(np.diag(cov)), index=pnames)
    k = p + G + 1
    n_left, n_right = int((cens == 1).sum()), int((cens == 2).sum())
    stat = {
        "AIC": -2 * llf + 2 * k,
        "BIC": -2 * llf + k * math.log(n),
        "groups": G,
        "groups dropped": len(dropped),
        "left-censored": n_left,
        "uncensored": n - n_left - n_right,
        "right-censored": n_right,
    }
    result = RegressionResult(
        model=f"Fixed-effects Tobit (dummy variables, unconditional ML), {_limits_text(lo, hi)}",
        dependent=panel.dependent, params=params, bse=bse,
        cov=pd.DataFrame(cov, index=pnames, columns=pnames), cov_type="nonrobust",
        nobs=n, df_resid=None, llf=llf, stats=stat, notes=tuple(notes),
    )
    effects = pd.Series(theta[m:], index=panel.labels, name="effect")
    return FixedEffectsTobitResult(result=result, effects=effects, dropped_groups=dropped,
                                   converged=converged)


__all__ = [
    "FE_NOTE",
    "FixedEffectsTobitResult",
    "MundlakTobitResult",
    "Quadrature",
    "QuadratureWarning",
    "RandomEffectsTobitResult",
    "TestResult",
    "fixed_effects_tobit",
    "mundlak_tobit",
    "random_effects_tobit",
]
