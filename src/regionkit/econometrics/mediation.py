"""Mediation analysis by the product of coefficients, with parallel mediators and a (cluster) bootstrap.

Model
-----
For a treatment ``X``, mediators ``M_1 … M_k`` (parallel: none affects
another) and an outcome ``Y``, with covariates ``W``::

    M_j = i_j + a_j X + W'g_j + e_j          (one equation per mediator)
    Y   = i_y + c' X + Σ_j b_j M_j + W'h + u (outcome equation)
    Y   = i_c + c X + W'h_c + v              (total-effect equation)

The indirect effect through ``M_j`` is ``a_j b_j``, the total indirect effect
``Σ_j a_j b_j``, the direct effect ``c'`` and the total effect ``c``.  With
ordinary least squares on the same rows ``c = c' + Σ_j a_j b_j`` holds
exactly.  The first-order Sobel test of ``a_j b_j`` uses
``SE = sqrt(b_j² se(a_j)² + a_j² se(b_j)²)``; the total indirect effect gets
the first-order delta-method SE, including the covariances between the
``a_j`` (residuals of the mediator equations are correlated) and between the
``b_j``.

Bootstrap
---------
Confidence intervals of the indirect effects come from a nonparametric
bootstrap: rows are resampled with replacement, or, with ``cluster=``, whole
clusters (e.g. all years of a city: the cluster bootstrap, which keeps the
within-city dependence).  Percentile intervals take the ``α/2`` and
``1 − α/2`` quantiles of the bootstrap draws; bias-corrected intervals
(Efron 1982; Preacher & Hayes 2008; as pingouin) shift them by
``z0 = Φ⁻¹(share of draws below the estimate)`` to the quantiles
``Φ(2 z0 ± z_{1−α/2})``.  An indirect effect is *significant* when its
interval excludes 0 (with ``n_boot=0``: when the Sobel p-value is below
``α``).

The bootstrap is cheap: all equations are ordinary least squares on
columns of one matrix ``A = [1, X, M, W, Y]``, so the cross-products
``A_u'A_u`` of every resampling unit ``u`` (row or cluster) are computed once
and every replication sums them with the multiplicities of its draw and
solves a few small systems (batched over replications).  The columns are
centred and scaled first for numerically safe normal equations.  The row
bootstrap keeps ``n × d²`` cross-product terms in memory (``d`` = number of
columns of ``A``), the cluster bootstrap ``G × d²``.  A replication whose
normal equations are singular (e.g. a dummy that is zero in every drawn
cluster) is dropped and counted.

Verdict
-------
Per mediator (and for the total indirect effect): indirect significant and
direct ``c'`` significant → ``"partial mediation"`` (complementary when
``a_j b_j`` and ``c'`` have the same sign, competitive otherwise); indirect
significant and direct not → ``"full mediation"``; indirect not significant →
``"no mediation"``.  The proportion mediated ("contribution rate") is
``a_j b_j / c``; it is unstable when ``c`` is near 0 and can leave ``[0, 1]``
when the effects differ in sign — both give a :class:`MediationWarning`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from .._checks import check_option
from ..errors import ComputationError, InputError
from .formula import CONST, design, row_label
from .results import RegressionResult

CIMethod = Literal["percentile", "bias-corrected"]
PathSE = Literal["auto", "nonrobust", "cluster"]

PARTIAL = "partial mediation"
FULL = "full mediation"
NONE = "no mediation"

TABLE_COLUMNS = [
    "description", "estimate", "se", "stat", "test", "p",
    "ci_lower", "ci_upper", "ci_method", "boot_se", "significant",
]

_CHUNK_CELLS = 4_000_000  # draws × units per bootstrap chunk (bounds memory; fixed for reproducibility)
_COND_LIMIT = 1e10        # condition number of a standardised replicate's normal equations


class MediationWarning(UserWarning):
    """A caveat about a mediation result (unstable proportion mediated, failed bootstrap draws)."""


# ====================================================================== result
@dataclass(frozen=True)
class MediationResult:
    """Paths, indirect effects, bootstrap intervals and verdicts of a mediation analysis.

    Attributes
    ----------
    x, y : str
        Treatment and outcome (names of the terms as used in the formulas).
    mediators, covariates : tuple of str
        Parallel mediators and covariates.
    a, b : pandas.Series
        ``a_j`` (X → M_j) and ``b_j`` (M_j → Y given X), indexed by mediator.
    c, c_prime : float
        Total effect ``c`` and direct effect ``c'`` of X on Y.
    indirect : pandas.Series
        ``a_j b_j`` per mediator.
    total_indirect : float
        ``Σ_j a_j b_j``.
    table : pandas.DataFrame
        The path table (see :meth:`to_frame`).
    proportion : pandas.Series
        Proportion mediated ``a_j b_j / c`` per mediator and ``"total"``
        (``Σ a_j b_j / c``); NaN when ``c`` is 0.
    verdict : pandas.Series
        ``"partial mediation"``, ``"full mediation"`` or ``"no mediation"``
        per mediator and for ``"total"``.
    boot : pandas.DataFrame or None
        Bootstrap draws (one row per replication; failed replications
        dropped): ``a[M]``, ``b[M]``, ``indirect[M]`` per mediator,
        ``total indirect``, ``c'``, ``c`` (``c`` is NaN with an
        ``outcome_model``).  ``None`` with ``n_boot=0``.
    alpha : float
        Significance level; intervals have coverage ``1 − alpha``.
    ci_method : str
        ``"bias-corrected"`` or ``"percentile"``.
    n_boot : int
        Replications asked for.
    n_boot_failed : int
        Replications dropped because an equation was singular on the resample.
    nobs : int
        Rows used.
    cluster : str or None
        Cluster variable of the bootstrap (and of cluster-robust path SEs).
    n_clusters : int or None
        Number of clusters.
    path_se : str
        ``"nonrobust"``, ``"cluster"`` or ``"outcome_model"`` (path SEs of the
        b / c' / c paths from the caller's model).
    models : dict
        The fitted equations: ``"M ~ …"`` per mediator, ``"total"`` and
        ``"outcome"``; :class:`~regionkit.econometrics.results.RegressionResult`
        for OLS, the caller's object for an ``outcome_model``.
    notes : tuple of str
        Caveats (also issued as :class:`MediationWarning`).
    """

    x: str
    mediators: tuple[str, ...]
    y: str
    covariates: tuple[str, ...]
    a: pd.Series
    b: pd.Series
    c: float
    c_prime: float
    indirect: pd.Series
    total_indirect: float
    table: pd.DataFrame
    proportion: pd.Series
    verdict: pd.Series
    boot: pd.DataFrame | None
    alpha: float
    ci_method: str
    n_boot: int
    n_boot_failed: int
    nobs: int
    cluster: str | None
    n_clusters: int | None
    path_se: str
    models: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The path table, one row per effect (index ``effect``).

        Rows ``a[M]``, ``b[M]`` (per mediator), ``c`` (total), ``c'``
        (direct), ``indirect[M]`` (per mediator) and ``total indirect``;
        columns ``description``, ``estimate``, ``se``, ``stat`` (t or z),
        ``test`` (which), ``p``, ``ci_lower``, ``ci_upper``, ``ci_method``,
        ``boot_se`` (bootstrap SE of the indirect effects) and
        ``significant``.  Paths have t (or z) intervals; indirect effects
        the bootstrap interval, their ``se``/``stat``/``p`` are the Sobel
        (delta-method) ones.
        """
        return self.table.copy()

    def summary(self) -> str:
        """The table and, in words, which effects are significant and the mediation type."""
        level = f"{100 * (1 - self.alpha):g}%"
        med = ", ".join(self.mediators)
        head = [
            f"Mediation analysis (product of coefficients): {self.x} -> [{med}] -> {self.y}",
            f"N = {self.nobs}" + (f", {self.n_clusters} clusters ({self.cluster})" if self.cluster else "")
            + f"; covariates: {', '.join(self.covariates) or 'none'}; path SEs: {self.path_se}",
        ]
        if self.n_boot:
            unit = f"cluster ({self.cluster})" if self.cluster else "row"
            head.append(f"Bootstrap: {self.n_boot} {unit} resamples"
                        + (f" ({self.n_boot_failed} failed, dropped)" if self.n_boot_failed else "")
                        + f", {self.ci_method} {level} intervals")
        else:
            head.append("No bootstrap: indirect effects judged by the Sobel test")
        body = self.table.drop(columns=["description"]).to_string(
            float_format=lambda v: f"{v:.6g}")
        words = []
        t = self.table
        direct_sig = bool(t.loc["c'", "significant"])
        for m in self.mediators:
            words.append(self._indirect_words(f"indirect[{m}]", f"via {m}"))
            words.append(f"  a = {self.a[m]:.4g} (p = {t.loc[f'a[{m}]', 'p']:.3g}), "
                         f"b = {self.b[m]:.4g} (p = {t.loc[f'b[{m}]', 'p']:.3g})")
        if len(self.mediators) > 1:
            words.append(self._indirect_words("total indirect", "in total"))
        p_direct = t.loc["c'", "p"]
        words.append(f"Direct effect c' = {self.c_prime:.4g} (p = {p_direct:.3g}): "
                     + ("significant" if direct_sig else "not significant") + ".")
        words.append(f"Total effect c = {self.c:.4g} (p = {t.loc['c', 'p']:.3g}): "
                     + ("significant" if t.loc["c", "significant"] else "not significant") + ".")
        for key in [*self.mediators, "total"] if len(self.mediators) > 1 else list(self.mediators):
            v = self.verdict[key]
            ind = self.indirect[key] if key != "total" else self.total_indirect
            kind = ""
            if v == PARTIAL:
                kind = " (complementary)" if ind * self.c_prime > 0 else " (competitive: indirect and direct effects differ in sign)"
            what = f"via {key}" if key != "total" else "in total"
            prop = self.proportion[key]
            ptxt = f"; proportion mediated {prop:.3f}" if np.isfinite(prop) else ""
            words.append(f"Verdict {what}: {v}{kind}{ptxt}.")
        notes = [f"Note: {n}" for n in self.notes]
        return "\n".join([*head, body, *words, *notes])

    def _indirect_words(self, row: str, what: str) -> str:
        r = self.table.loc[row]
        sig = "significant" if r["significant"] else "not significant"
        if self.n_boot:
            return (f"Indirect effect {what}: {r['estimate']:.4g}, {100 * (1 - self.alpha):g}% {self.ci_method} "
                    f"bootstrap CI [{r['ci_lower']:.4g}, {r['ci_upper']:.4g}] -> {sig} "
                    f"({r['test']} = {r['stat']:.3f}, p = {r['p']:.3g}).")
        return f"Indirect effect {what}: {r['estimate']:.4g} ({r['test']} = {r['stat']:.3f}, p = {r['p']:.3g}) -> {sig}."

    def path_diagram_data(self) -> dict[str, list[dict[str, Any]]]:
        """Nodes and labelled edges for a path-diagram figure.

        Returns
        -------
        dict
            ``"nodes"``: ``{"id", "label", "role"}`` with role ``"x"``,
            ``"mediator"`` or ``"y"``.  ``"edges"``: ``{"source", "target",
            "path", "estimate", "p", "significant", "label"}`` for every
            ``a`` path, every ``b`` path and the direct path X → Y (``path``
            ``"c'"``; its label also shows the total effect ``c``).  Labels
            carry stars: ``***`` p < 0.01, ``**`` p < 0.05, ``*`` p < 0.1.
            ``"indirect"``: ``{"mediator", "estimate", "ci_lower",
            "ci_upper", "significant", "label"}`` per mediator and
            ``"total"``.
        """
        t = self.table
        nodes = [{"id": self.x, "label": self.x, "role": "x"}]
        nodes += [{"id": m, "label": m, "role": "mediator"} for m in self.mediators]
        nodes.append({"id": self.y, "label": self.y, "role": "y"})
        edges = []
        multi = len(self.mediators) > 1
        for j, m in enumerate(self.mediators, start=1):
            for path, src, dst in (("a", self.x, m), ("b", m, self.y)):
                r = t.loc[f"{path}[{m}]"]
                sym = f"{path}{j}" if multi else path
                edges.append({
                    "source": src, "target": dst, "path": f"{path}[{m}]",
                    "estimate": float(r["estimate"]), "p": float(r["p"]),
                    "significant": bool(r["significant"]),
                    "label": f"{sym} = {r['estimate']:.3f}{_stars(r['p'])}",
                })
        rd, rc = t.loc["c'"], t.loc["c"]
        edges.append({
            "source": self.x, "target": self.y, "path": "c'",
            "estimate": float(rd["estimate"]), "p": float(rd["p"]), "significant": bool(rd["significant"]),
            "label": f"c' = {rd['estimate']:.3f}{_stars(rd['p'])} (c = {rc['estimate']:.3f}{_stars(rc['p'])})",
        })
        indirect = []
        for key, row in [*((m, f"indirect[{m}]") for m in self.mediators), ("total", "total indirect")]:
            r = t.loc[row]
            indirect.append({
                "mediator": key, "estimate": float(r["estimate"]),
                "ci_lower": float(r["ci_lower"]), "ci_upper": float(r["ci_upper"]),
                "significant": bool(r["significant"]),
                "label": f"ab = {r['estimate']:.3f} [{r['ci_lower']:.3f}, {r['ci_upper']:.3f}]",
            })
        return {"nodes": nodes, "edges": edges, "indirect": indirect}


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""


# ====================================================================== OLS pieces
@dataclass
class _OLS:
    coef: np.ndarray  # p × q
    cov: np.ndarray   # (q·p) × (q·p), equation-major blocks
    resid: np.ndarray
    df: float | None


def _ols(R: np.ndarray, Y: np.ndarray, codes: np.ndarray | None, n_groups: int) -> _OLS:
    """OLS of every column of ``Y`` on ``R``; joint covariance of all coefficients."""
    n, p = R.shape
    q = Y.shape[1]
    coef = np.linalg.lstsq(R, Y, rcond=None)[0]
    resid = Y - R @ coef
    Q, Rr = np.linalg.qr(R)
    rinv = np.linalg.solve(Rr, np.eye(p))
    bread = rinv @ rinv.T  # (R'R)^{-1}
    if codes is None:
        sigma = resid.T @ resid / (n - p)
        cov = np.kron(sigma, bread)
        df: float | None = float(n - p)
    else:
        scores = (R[:, None, :] * resid[:, :, None]).reshape(n, q * p)  # eq-major
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
        s = np.add.reduceat(scores[order], starts, axis=0)
        big = np.kron(np.eye(q), bread)
        factor = n_groups / (n_groups - 1) * (n - 1) / (n - p)
        cov = factor * big @ (s.T @ s) @ big
        df = float(n_groups - 1)
    return _OLS(coef=coef, cov=cov, resid=resid, df=df)


def _regression(ols: _OLS, eq: int, names: list[str], dependent: str, formula: str,
                cov_type: str, n: int) -> RegressionResult:
    p = len(names)
    blk = ols.cov[eq * p:(eq + 1) * p, eq * p:(eq + 1) * p]
    params = pd.Series(ols.coef[:, eq], index=names)
    return RegressionResult(
        model="OLS", dependent=dependent, params=params,
        bse=pd.Series(np.sqrt(np.diag(blk)), index=names),
        cov=pd.DataFrame(blk, index=names, columns=names), cov_type=cov_type, nobs=n,
        df_resid=ols.df, formula=formula,
    )


def _pvalue(stat: float, df: float | None) -> float:
    if not np.isfinite(stat):
        return float("nan")
    return float(2 * (stats.norm.sf(abs(stat)) if df is None else stats.t.sf(abs(stat), df)))


def _crit(alpha: float, df: float | None) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) if df is None else stats.t.ppf(1 - alpha / 2, df))


# ====================================================================== bootstrap
def _bootstrap_ci(draws: np.ndarray, estimate: float, alpha: float, method: str) -> tuple[float, float, bool]:
    """Interval of one statistic; the flag says a bias-corrected interval was degenerate."""
    d = draws[np.isfinite(draws)]
    if d.size < 2:
        return float("nan"), float("nan"), False
    if method == "percentile":
        lo, hi = np.percentile(d, [100 * alpha / 2, 100 * (1 - alpha / 2)])
        return float(lo), float(hi), False
    share = np.mean(d < estimate) + 0.5 * np.mean(d == estimate)
    z0 = stats.norm.ppf(share)
    degenerate = not np.isfinite(z0)
    q_lo = stats.norm.cdf(2 * z0 + stats.norm.ppf(alpha / 2))
    q_hi = stats.norm.cdf(2 * z0 + stats.norm.ppf(1 - alpha / 2))
    lo, hi = np.percentile(d, [100 * q_lo, 100 * q_hi])
    return float(lo), float(hi), degenerate


def _check_rng(rng: Any) -> np.random.Generator:
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise InputError(f"rng={rng!r} must be a non-negative int seed, a numpy Generator or None")


def _draw_chunks(gen: np.random.Generator, n_boot: int, n_units: int):
    """Yield resampling draws (replications × units) in chunks of fixed size."""
    chunk = max(1, min(n_boot, _CHUNK_CELLS // max(n_units, 1)))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        yield gen.integers(0, n_units, size=(size, n_units))
        done += size


def _counts(draws: np.ndarray, n_units: int) -> np.ndarray:
    b = draws.shape[0]
    flat = (draws + (np.arange(b) * n_units)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n_units).reshape(b, n_units).astype(float)


def _solve_batch(gram: np.ndarray, lhs: list[int], rhs: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Solve the normal equations of every replication; returns (coef b×p×r, ok mask)."""
    A = gram[:, lhs][:, :, lhs]
    B = gram[:, lhs][:, :, rhs]
    ok = np.isfinite(A).all(axis=(1, 2))
    cond = np.full(len(A), np.inf)
    if ok.any():
        cond[ok] = np.linalg.cond(A[ok])
    ok &= cond < _COND_LIMIT
    A = np.where(ok[:, None, None], A, np.eye(len(lhs)))
    coef = np.linalg.solve(A, B)
    coef[~ok] = np.nan
    return coef, ok


# ====================================================================== main
def mediation(
    data: pd.DataFrame,
    *,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: str | Sequence[str] = (),
    n_boot: int = 2000,
    ci: CIMethod = "bias-corrected",
    alpha: float = 0.05,
    cluster: str | None = None,
    path_se: PathSE = "auto",
    outcome_model: Callable[[str, pd.DataFrame], Any] | None = None,
    rng: int | np.random.Generator | None = None,
) -> MediationResult:
    """Mediation analysis with one or several parallel mediators (product of coefficients).

    Parameters
    ----------
    data : pandas.DataFrame
        One column per variable; the index (e.g. ``(city, year)``) names rows
        in error messages.  No row is dropped: missing values are an error.
    x, y : str
        Treatment and outcome: column names or terms of the formula language
        of :mod:`regionkit.econometrics.formula` (e.g. ``"log(gdp)"``).
    m : str or sequence of str
        One mediator or several parallel mediators.
    covariates : str or sequence of str
        Control variables (columns or formula terms) in every equation.
        Fixed effects: add dummy columns (e.g. year dummies), or demean first;
        do not use city dummies with a city cluster bootstrap (a city not
        drawn leaves its dummy all zero).
    n_boot : int
        Bootstrap replications (0: no bootstrap; indirect effects judged by
        the Sobel test).
    ci : {"bias-corrected", "percentile"}
        Bootstrap interval of the indirect effects.
    alpha : float
        Significance level (intervals of coverage ``1 − alpha``).
    cluster : str, optional
        Column or index level with cluster labels (e.g. ``"city"``): the
        bootstrap resamples whole clusters, and path SEs are cluster-robust
        (CR1, ``G/(G−1)·(n−1)/(n−k)``, t with ``G−1`` df) unless
        ``path_se="nonrobust"``.
    path_se : {"auto", "nonrobust", "cluster"}
        SEs of the paths (and hence of the Sobel tests): ``"auto"`` =
        cluster-robust with ``cluster``, classical OLS otherwise.
    outcome_model : callable, optional
        Fit the two Y equations with another estimator:
        ``outcome_model(formula, data)`` must return an object with
        ``.params`` and ``.bse`` (pandas Series indexed by term name; an
        optional ``.cov_params()`` gives the covariance for the total
        indirect SE, else independence is assumed), e.g.
        ``lambda f, d: statsmodels.formula.api.mixedlm(f, d, groups=d["city"]).fit()``.
        ``formula`` is ``"y ~ x + m1 + … + covariates"`` resp. ``"y ~ x +
        covariates"`` with the names as given (a column name that is not an
        identifier in backticks).  Without ``cluster``, ``data`` is the
        data itself or a row resample; with ``cluster``, a cluster resample
        in which each drawn cluster gets a new label ``0 … G−1`` in the
        ``cluster`` column / index level (a cluster drawn twice counts as two
        clusters).  The mediator equations stay OLS.  The bootstrap refits
        the outcome equation in a Python loop (slow); the bootstrap ``c``
        is not computed.
    rng : int or numpy.random.Generator, optional
        Seed or generator of the bootstrap (the same seed gives the same
        numbers; ``None``: fresh, unreproducible draws).

    Returns
    -------
    MediationResult

    Raises
    ------
    InputError
        Unknown columns, a variable in two roles, missing values (naming the
        row), perfectly collinear regressors, a bad option, fewer than two
        clusters, or an ``outcome_model`` result without the needed terms.
    ComputationError
        When every bootstrap replication fails.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.mediation import mediation
    >>> gen = np.random.default_rng(0)
    >>> x = gen.normal(size=200)
    >>> m = 0.5 * x + gen.normal(size=200)
    >>> y = 0.2 * x + 0.6 * m + gen.normal(size=200)
    >>> df = pd.DataFrame({"x": x, "m": m, "y": y})
    >>> r = mediation(df, x="x", m="m", y="y", n_boot=500, rng=1)
    >>> abs(r.c - (r.c_prime + r.total_indirect)) < 1e-12
    True
    >>> round(float(r.indirect["m"]), 3), bool(r.table.loc["indirect[m]", "significant"])
    (0.284, True)
    >>> r.verdict["m"]
    'partial mediation'
    >>> list(r.to_frame().index)
    ['a[m]', 'b[m]', 'c', "c'", 'indirect[m]', 'total indirect']
    """
    ci = check_option("ci", ci, CIMethod)
    path_se = check_option("path_se", path_se, PathSE)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    mediators = [m] if isinstance(m, str) else list(m)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    for role, v in [("x", x), ("y", y), *(("m", v) for v in mediators), *(("covariates", v) for v in covs)]:
        if not isinstance(v, str) or not v.strip():
            raise InputError(f"{role}: variable names must be non-empty strings, got {v!r}")
    if not mediators:
        raise InputError("m: give at least one mediator")
    roles: dict[str, str] = {}
    for role, v in [("x", x), ("y", y), *(("mediator", v) for v in mediators),
                    *(("covariate", v) for v in covs)]:
        if v in roles:
            raise InputError(f"variable {v!r} is given twice (as {roles[v]} and as {role})")
        roles[v] = role
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 0:
        raise InputError(f"n_boot={n_boot!r} must be an integer >= 0")
    n_boot = int(n_boot)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating)) or not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must be a number in (0, 1)")
    alpha = float(alpha)
    if outcome_model is not None and not callable(outcome_model):
        raise InputError("outcome_model must be a callable (formula, data) -> fitted model")
    if path_se == "cluster" and cluster is None:
        raise InputError("path_se='cluster' needs cluster= (the column or index level with the cluster labels)")
    gen = _check_rng(rng)

    # ---- design: y ~ x + m1 + ... + mk + covariates (one matrix, rank checked)
    def q(name: str) -> str:
        if name in data.columns and not name.isidentifier():
            if "`" in name:
                raise InputError(f"column name {name!r} contains a backtick; rename it")
            return f"`{name}`"
        return name

    k = len(mediators)
    rhs_full = [q(x), *(q(v) for v in mediators), *(q(v) for v in covs)]
    f_full = f"{q(y)} ~ " + " + ".join(rhs_full)
    f_total = f"{q(y)} ~ " + " + ".join([q(x), *(q(v) for v in covs)])
    try:
        des = design(f_full, data)
    except InputError as exc:
        raise InputError(f"mediation: {exc}") from exc
    terms = list(des.terms)
    x_name, m_names, cov_names = terms[0], terms[1:1 + k], terms[1 + k:]
    y_name = des.dependent
    Xf = des.X.to_numpy(dtype=float)
    yv = des.y.to_numpy(dtype=float)
    n = len(yv)
    i_x, i_m = 1, list(range(2, 2 + k))
    i_cov = list(range(2 + k, Xf.shape[1]))
    ra = [0, i_x, *i_cov]
    rb = list(range(Xf.shape[1]))
    if n <= len(rb) + 1:
        raise InputError(f"mediation: {n} rows are too few for {len(rb)} coefficients in the outcome equation")

    # ---- clusters
    codes = None
    n_clusters = None
    cluster_values = None
    if cluster is not None:
        if cluster in data.columns:
            cluster_values = data[cluster]
        elif cluster in (data.index.names or []):
            cluster_values = pd.Series(data.index.get_level_values(cluster), index=data.index)
        else:
            raise InputError(f"cluster={cluster!r} is neither a column nor an index level; columns: "
                             f"{', '.join(map(str, data.columns))}; index levels: {list(data.index.names)}")
        miss = pd.isna(cluster_values).to_numpy()
        if miss.any():
            raise InputError(f"cluster {cluster!r}: missing label at {row_label(data.index, int(np.argmax(miss)))}")
        codes, uniques = pd.factorize(cluster_values)
        codes = np.asarray(codes)
        n_clusters = len(uniques)
        if n_clusters < 2:
            raise InputError(f"cluster {cluster!r}: needs at least 2 clusters, found {n_clusters}")
    se_kind = "cluster" if (path_se == "cluster" or (path_se == "auto" and cluster is not None)) else "nonrobust"
    cov_codes = codes if se_kind == "cluster" else None
    cov_label = f"cluster({cluster})" if se_kind == "cluster" else "nonrobust"

    # ---- full-sample fits
    Ra = Xf[:, ra]
    Ya = np.column_stack([Xf[:, i_m], yv])  # mediators, then y (total effect)
    fit_a = _ols(Ra, Ya, cov_codes, n_clusters or 0)
    pa = len(ra)
    a = fit_a.coef[1, :k]
    cov_a = np.array([[fit_a.cov[j * pa + 1, i * pa + 1] for i in range(k)] for j in range(k)])
    se_a = np.sqrt(np.diag(cov_a))
    ra_names = [CONST, x_name, *cov_names]
    models: dict[str, Any] = {}
    for j, mn in enumerate(m_names):
        models[f"{mn} ~ {x_name}"] = _regression(
            fit_a, j, ra_names, mn, f"{q(mediators[j])} ~ " + " + ".join([q(x), *(q(v) for v in covs)]),
            cov_label, n)
    df_a = fit_a.df

    if outcome_model is None:
        fit_b = _ols(Xf, yv[:, None], cov_codes, n_clusters or 0)
        b = fit_b.coef[i_m, 0]
        c_prime = float(fit_b.coef[i_x, 0])
        cov_b = fit_b.cov[np.ix_(i_m, i_m)]
        se_b = np.sqrt(np.diag(cov_b))
        se_cp = float(math.sqrt(fit_b.cov[i_x, i_x]))
        c = float(fit_a.coef[1, k])
        se_c = float(math.sqrt(fit_a.cov[k * pa + 1, k * pa + 1]))
        df_b, df_c = fit_b.df, fit_a.df
        models["total"] = _regression(fit_a, k, ra_names, y_name, f_total, cov_label, n)
        models["outcome"] = _regression(fit_b, 0, [CONST, *terms], y_name, f_full, cov_label, n)
        path_label = se_kind
    else:
        fb = outcome_model(f_full, data)
        fc = outcome_model(f_total, data)
        models["total"], models["outcome"] = fc, fb
        pb = _params(fb, [x, *mediators], [x_name, *m_names], "outcome_model (outcome equation)")
        pc = _params(fc, [x], [x_name], "outcome_model (total-effect equation)")
        c_prime, b = pb[0][0], np.array(pb[0][1:])
        se_cp, se_b = pb[1][0], np.array(pb[1][1:])
        cov_b = pb[2][1:, 1:]
        c, se_c = pc[0][0], pc[1][0]
        df_b = df_c = None
        path_label = "outcome_model"

    ind = a * b
    tot_ind = float(ind.sum())
    sobel_se = np.sqrt(b ** 2 * se_a ** 2 + a ** 2 * se_b ** 2)
    var_tot = float(b @ cov_a @ b + a @ cov_b @ a)
    tot_se = math.sqrt(var_tot) if var_tot > 0 else float("nan")

    # ---- bootstrap
    notes: list[str] = []
    boot = None
    n_failed = 0
    if n_boot:
        boot, n_failed = _bootstrap(
            Xf, yv, k, ra, i_x, i_m, codes, n_boot, gen, data, outcome_model, f_full,
            [x, *mediators], [x_name, *m_names], cluster, m_names,
        )
        if n_failed:
            msg = (f"{n_failed} of {n_boot} bootstrap replications had a singular equation "
                   "(e.g. a covariate constant in the resample) and were dropped")
            notes.append(msg)

    # ---- table
    rows = []
    crit_a = _crit(alpha, df_a)
    for j, mn in enumerate(m_names):
        rows.append(_path_row(f"a[{mn}]", f"{x_name} -> {mn}", a[j], se_a[j], df_a, alpha, crit_a))
    for j, mn in enumerate(m_names):
        rows.append(_path_row(f"b[{mn}]", f"{mn} -> {y_name} (given {x_name})", b[j], se_b[j], df_b, alpha,
                              _crit(alpha, df_b)))
    rows.append(_path_row("c", f"total effect {x_name} -> {y_name}", c, se_c, df_c, alpha, _crit(alpha, df_c)))
    rows.append(_path_row("c'", f"direct effect {x_name} -> {y_name}", c_prime, se_cp, df_b, alpha,
                          _crit(alpha, df_b)))
    degenerate = []
    for key, desc, est, se, test, col in [
        *((f"indirect[{mn}]", f"{x_name} -> {mn} -> {y_name}", ind[j], sobel_se[j], "Sobel z", f"indirect[{mn}]")
          for j, mn in enumerate(m_names)),
        ("total indirect", "sum of the indirect effects", tot_ind, tot_se, "delta z", "total indirect"),
    ]:
        z = est / se if se > 0 else float("nan")
        p = _pvalue(z, None)
        if boot is not None:
            lo, hi, deg = _bootstrap_ci(boot[col].to_numpy(), est, alpha, ci)
            if deg:
                degenerate.append(key)
            bse = float(boot[col].std(ddof=1))
            sig = bool(lo > 0 or hi < 0)
            method = f"bootstrap {ci}"
        else:
            crit = _crit(alpha, None)
            lo, hi, bse = est - crit * se, est + crit * se, float("nan")
            sig = bool(p < alpha)
            method = "Sobel normal"
        rows.append((key, desc, float(est), float(se), z, test, p, lo, hi, method, bse, sig))
    if degenerate:
        notes.append(f"bias-corrected interval degenerate for {degenerate}: the estimate lies outside the "
                     "bootstrap distribution; use ci='percentile' or more replications")
    table = pd.DataFrame(rows, columns=["effect", *TABLE_COLUMNS]).set_index("effect")

    # ---- verdicts and proportion
    direct_sig = bool(table.loc["c'", "significant"])
    verdict = {}
    for key, row in [*((mn, f"indirect[{mn}]") for mn in m_names), ("total", "total indirect")]:
        if table.loc[row, "significant"]:
            verdict[key] = PARTIAL if direct_sig else FULL
        else:
            verdict[key] = NONE
    scale = float(np.std(yv) / np.std(Xf[:, i_x])) if np.std(Xf[:, i_x]) > 0 else 1.0
    if abs(c) <= 1e-12 * max(scale, 1e-300):
        prop = pd.Series(np.nan, index=[*m_names, "total"])
        notes.append("total effect c is 0: the proportion mediated is undefined")
    else:
        prop = pd.Series([*(ind / c), tot_ind / c], index=[*m_names, "total"])
        if not table.loc["c", "significant"]:
            notes.append(f"total effect c = {c:.4g} is not significantly different from 0 "
                         f"(p = {table.loc['c', 'p']:.3g}): the proportion mediated is unstable")
        against_c = [mn for mn, v in zip(m_names, ind, strict=True) if np.sign(v) != np.sign(c)]
        if np.sign(tot_ind) != np.sign(c_prime) or against_c:
            which = (f"indirect effect(s) via {', '.join(map(repr, against_c))} and the total effect"
                     if against_c else "the total indirect effect and the direct effect")
            notes.append(f"{which} differ in sign (inconsistent mediation): "
                         "the proportion mediated can be negative or exceed 1")
    for note in notes:
        warnings.warn(f"mediation: {note}", MediationWarning, stacklevel=2)

    return MediationResult(
        x=x_name, mediators=tuple(m_names), y=y_name, covariates=tuple(cov_names),
        a=pd.Series(a, index=m_names, name="a"), b=pd.Series(b, index=m_names, name="b"),
        c=float(c), c_prime=float(c_prime), indirect=pd.Series(ind, index=m_names, name="indirect"),
        total_indirect=tot_ind, table=table, proportion=prop.rename("proportion"),
        verdict=pd.Series(verdict, name="verdict"), boot=boot, alpha=alpha, ci_method=ci,
        n_boot=n_boot, n_boot_failed=n_failed, nobs=n, cluster=cluster, n_clusters=n_clusters,
        path_se=path_label, models=models, notes=tuple(notes),
    )


def _path_row(key, desc, est, se, df, alpha, crit):
    stat = est / se if se > 0 else float("nan")
    p = _pvalue(stat, df)
    test = "z" if df is None else f"t({df:g})"
    method = "normal" if df is None else "t"
    return (key, desc, float(est), float(se), stat, test, p, est - crit * se, est + crit * se, method,
            float("nan"), bool(p < alpha))


def _params(fit: Any, given: list[str], canonical: list[str], what: str):
    """Estimates, SEs and covariance of the named terms from a caller's model."""
    params, bse = getattr(fit, "params", None), getattr(fit, "bse", None)
    if not isinstance(params, pd.Series) or not isinstance(bse, pd.Series):
        raise InputError(f"{what}: the returned object needs .params and .bse as pandas Series "
                         f"(got {type(fit).__name__})")
    names = []
    for g, c in zip(given, canonical, strict=True):
        if g in params.index:
            names.append(g)
        elif c in params.index:
            names.append(c)
        else:
            raise InputError(f"{what}: no coefficient for {g!r}; terms: {', '.join(map(str, params.index))}")
    est = [float(params[nm]) for nm in names]
    se = [float(bse[nm]) for nm in names]
    cov = np.diag(np.square(se))
    cov_fn = getattr(fit, "cov_params", None)
    if callable(cov_fn):
        try:
            full = cov_fn()
            if isinstance(full, pd.DataFrame):
                cov = full.loc[names, names].to_numpy(dtype=float)
        except Exception:  # noqa: BLE001 - fall back to independence
            cov = np.diag(np.square(se))
    return est, se, cov


def _bootstrap(Xf, yv, k, ra, i_x, i_m, codes, n_boot, gen, data, outcome_model, f_full,
               given, canonical, cluster, m_names):
    n = len(yv)
    A = np.column_stack([Xf, yv])
    d = A.shape[1]
    i_y = d - 1
    mu = A.mean(axis=0)
    sd = A.std(axis=0)
    mu[0], sd[0] = 0.0, 1.0
    As = (A - mu) / sd
    if codes is None:
        n_units = n
        P = (As[:, :, None] * As[:, None, :]).reshape(n, d * d)
        unit_rows = None
    else:
        n_units = int(codes.max()) + 1
        order = np.argsort(codes, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(codes[order]) != 0])
        outer = (As[order][:, :, None] * As[order][:, None, :]).reshape(n, d * d)
        P = np.add.reduceat(outer, starts, axis=0)
        unit_rows = np.split(order, starts[1:])
    rb = list(range(Xf.shape[1]))
    cols = [*(f"a[{mn}]" for mn in m_names), *(f"b[{mn}]" for mn in m_names),
            *(f"indirect[{mn}]" for mn in m_names), "total indirect", "c'", "c"]
    out = np.full((n_boot, len(cols)), np.nan)
    pos = 0
    for draws in _draw_chunks(gen, n_boot, n_units):
        size = draws.shape[0]
        gram = (_counts(draws, n_units) @ P).reshape(size, d, d)
        coef_a, ok_a = _solve_batch(gram, ra, [*i_m, i_y])
        a = coef_a[:, 1, :k] * (sd[i_m] / sd[i_x])
        c = coef_a[:, 1, k] * (sd[i_y] / sd[i_x])
        if outcome_model is None:
            coef_b, ok_b = _solve_batch(gram, rb, [i_y])
            b = coef_b[:, i_m, 0] * (sd[i_y] / sd[i_m])
            cp = coef_b[:, i_x, 0] * (sd[i_y] / sd[i_x])
        else:
            b = np.full((size, k), np.nan)
            cp = np.full(size, np.nan)
            ok_b = np.zeros(size, dtype=bool)
            c = np.full(size, np.nan)
            for r in range(size):
                sample = _resample(data, draws[r], unit_rows, cluster)
                try:
                    fit = outcome_model(f_full, sample)
                    est = _params(fit, given, canonical, "outcome_model (bootstrap)")[0]
                except (np.linalg.LinAlgError, ValueError, ArithmeticError):
                    continue
                cp[r], b[r] = est[0], est[1:]
                ok_b[r] = bool(np.all(np.isfinite(est)))
        ind = a * b
        block = np.column_stack([a, b, ind, ind.sum(axis=1), cp, c])
        block[~(ok_a & ok_b)] = np.nan
        out[pos:pos + size] = block
        pos += size
    good = np.isfinite(out[:, :-1]).all(axis=1) if outcome_model is not None else np.isfinite(out).all(axis=1)
    n_failed = int((~good).sum())
    if n_failed == n_boot:
        raise ComputationError("mediation: every bootstrap replication failed (singular equations on the "
                               "resamples); check the covariates (dummies of few clusters or rows)")
    return pd.DataFrame(out[good], columns=cols), n_failed


def _resample(data: pd.DataFrame, draw: np.ndarray, unit_rows: list[np.ndarray] | None,
              cluster: str | None) -> pd.DataFrame:
    if unit_rows is None:
        return data.iloc[draw]
    rows = np.concatenate([unit_rows[u] for u in draw])
    labels = np.repeat(np.arange(len(draw)), [len(unit_rows[u]) for u in draw])
    sample = data.iloc[rows].copy()
    if cluster in sample.columns:
        sample[cluster] = labels
    else:
        idx = sample.index
        if isinstance(idx, pd.MultiIndex):
            level = idx.names.index(cluster)
            arrays = [labels if i == level else idx.get_level_values(i) for i in range(idx.nlevels)]
            sample.index = pd.MultiIndex.from_arrays(arrays, names=idx.names)
        else:
            sample.index = pd.Index(labels, name=cluster)
    return sample


__all__ = ["FULL", "NONE", "PARTIAL", "MediationResult", "MediationWarning", "mediation"]
