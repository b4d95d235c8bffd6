"""Linear mixed-effects models with lme4's estimator: :func:`lmm` and :func:`compare_models`.

Formula
-------
``"y ~ x1 + log(x2) + (1 | city) + (1 | year)"``: the fixed part is the
language of :mod:`regionkit.econometrics.formula`; random terms are written
in parentheses, as in R's lme4:

* ``(1 | city)`` — a random intercept per city;
* ``(Days | Subject)`` = ``(1 + Days | Subject)`` — correlated random
  intercept and slope;
* ``(0 + x | g)`` or ``(x - 1 | g)`` — a random slope without intercept;
* ``(1 + x || g)`` — uncorrelated intercept and slope (= ``(1 | g) + (0 + x | g)``);
* ``(1 | city) + (1 | year)`` — crossed effects;
* ``(1 | region/city)`` — nested effects, = ``(1 | region) + (1 | region:city)``;
  ``a:b`` is the interaction (every observed combination is a group).

Grouping factors are columns (numbers or strings) or, when no column has
the name, levels of the index (``(1 | region)`` on a ``(region, year)``
panel); a missing group is an :class:`~regionkit.errors.InputError` naming
the column and the row.  No row is ever dropped.

Estimator
---------
The penalized least-squares (PLS) formulation of Bates, Mächler, Bolker &
Walker (2015), *Fitting linear mixed-effects models using lme4*, Journal of
Statistical Software 67(1): with random effects ``b = Λ(θ) u``,
``u ~ N(0, σ² I)``, where the relative covariance factor ``Λ(θ)`` is block
diagonal with one lower-triangular ``T_k`` (θ in column-major order, as lme4's
``getME(fit, "theta")``) per level of every term, the profiled deviance

* ML: ``log|L_θ|² + n (1 + log(2π r²_θ / n))``,
* REML: ``log|L_θ|² + log|R_X|² + (n − p)(1 + log(2π r²_θ / (n − p)))``,

with ``L_θ L_θ' = Λ'Z'ZΛ + I`` and ``r²_θ`` the penalized residual sum of
squares, is minimised over θ (diagonal entries of every ``T_k`` ≥ 0) by
L-BFGS-B with central-difference gradients (forward differences next to a
bound), started at lme4's values (1 on the diagonal, 0 below); a θ that ends
on its bound is probed a few steps into the interior and the search restarted
when that is lower (θ = 0 can be a saddle of the deviance).  ``β`` is the GLS
estimate at the optimum and σ² is profiled out (``r²/(n − p)`` for REML,
``r²/n`` for ML).  With an intercept, ``y`` and the other fixed-effect
columns are centered internally (the fit is invariant; it keeps the
cross-products accurate when a regressor is a year or a level in the
millions).

Factorization: ``Λ'Z'ZΛ + I`` is factored densely when it is small (several
grouping factors, at most 200 random effects); otherwise the random effects of the
grouping factor with the most of them form a block-diagonal part (one small
block per level, Cholesky-factored in a vectorized way over the levels);
the other terms (e.g. the 20 years of a 300 cities × 20 years crossed model, or
the regions of ``(1 | region/city)``) enter through the Schur complement,
factored densely when small or dense and by a sparse LU
(:func:`scipy.sparse.linalg.splu`) otherwise.  A model with one grouping
factor (10⁴ groups or more) is purely block-diagonal.  Cross-products
``Z'Z``, ``Z'X``, ``X'X`` are formed once; one deviance evaluation then costs
a few vector operations over the levels plus one sparse product over the
observations (for the residuals).

Validated against lme4 1.1-31, lmerTest 3.1-3 and performance 0.10.2 (see
``tests/reference/lme4``): log-likelihoods, fixed effects, standard errors,
variance components, Satterthwaite degrees of freedom, Nakagawa R², ICC,
BLUPs and ``anova`` likelihood-ratio tests.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.linalg as sla
import scipy.sparse as sp
from scipy import optimize
from scipy import stats as sps
from scipy.sparse.linalg import splu

from .._checks import check_option
from ..errors import InputError
from .formula import CONST, design, mask_backticks, row_label
from .results import RegressionResult

Method = Literal["REML", "ML"]
DfMethod = Literal["satterthwaite", "residual", "none"]

#: θ diagonal entries below this count as on the boundary (lme4's ``isSingular`` tolerance).
SINGULAR_TOL = 1e-4
#: The Schur complement of the block-diagonal part is factored densely up to this size
#: (or when more than ``_DENSE_FILL`` of it is filled), else by a sparse LU.
DENSE_MAX_Q = 400
_DENSE_FILL = 0.05
#: Models with several grouping factors and at most this many random effects are factored densely.
_SMALL_Q = 200

_RESIDUAL = "Residual"
_DF_NOTE = {
    "satterthwaite": (
        "Degrees of freedom of the t tests: Satterthwaite (lmerTest method: numerical Hessian "
        "of the deviance in (θ, σ) and numerical Jacobian of Var(β̂) in (θ, σ))."
    ),
    "residual": "Degrees of freedom of the t tests: residual, n − p, for every coefficient.",
    "none": "Tests of the fixed effects use the normal (z) distribution.",
}


class SingularFitWarning(UserWarning):
    """A mixed model fit on the boundary: a variance estimated at 0 or a correlation of ±1."""


# ====================================================================== results
@dataclass(frozen=True)
class MixedFixedEffects(RegressionResult):
    """The fixed-effects part of a :class:`MixedResult` (a :class:`RegressionResult`).

    Attributes
    ----------
    df : pandas.Series or None
        Degrees of freedom of the t test of every coefficient (Satterthwaite or
        residual); ``None`` for z (normal) inference.  :attr:`pvalues`,
        :meth:`conf_int` and :meth:`to_frame` use these per-coefficient
        degrees of freedom, and so do the significance stars of
        :func:`~regionkit.econometrics.tables.regression_table`.

    Notes
    -----
    ``df_resid`` (a single number) holds the *smallest* of ``df``, so that code
    that reads only ``df_resid`` errs on the conservative side; ``None`` with
    ``df_method="none"``.
    """

    df: pd.Series | None = None

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values, t with the per-coefficient ``df`` (or normal)."""
        if self.df is None:
            return super().pvalues
        t = self.tvalues.to_numpy(dtype=float)
        p = 2 * sps.t.sf(np.abs(t), self.df.to_numpy(dtype=float))
        return pd.Series(p, index=self.params.index, name="p")

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals of ``params`` with the per-coefficient ``df``."""
        if self.df is None:
            return super().conf_int(alpha)
        q = sps.t.ppf(1 - alpha / 2, self.df.to_numpy(dtype=float))
        return pd.DataFrame({"lower": self.params - q * self.bse, "upper": self.params + q * self.bse})

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: coef, std err, df, t (or z), p, confidence interval."""
        frame = super().to_frame()
        if self.df is not None:
            frame.insert(2, "df", self.df.to_numpy(dtype=float))
        return frame


@dataclass(frozen=True)
class ResidualDiagnostics:
    """Residual checks of a mixed model (:meth:`MixedResult.diagnostics`).

    Attributes
    ----------
    shapiro_w, shapiro_p : float
        Shapiro–Wilk test of normality of the (conditional) residuals.
    qq : pandas.DataFrame
        Normal Q–Q plot data: ``theoretical`` quantiles (R's ``ppoints``) and
        ``sample`` (sorted standardized residuals, residual / σ).
    residuals_vs_fitted : pandas.DataFrame
        ``fitted`` and ``residual``, indexed like the data.
    notes : tuple of str
        Caveats (e.g. Shapiro–Wilk p-values beyond 5000 observations).
    """

    shapiro_w: float
    shapiro_p: float
    qq: pd.DataFrame
    residuals_vs_fitted: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row: the Shapiro–Wilk statistic and p-value."""
        return pd.DataFrame({"W": [self.shapiro_w], "p": [self.shapiro_p]}, index=["Shapiro-Wilk"])

    def summary(self) -> str:
        """The normality test in one line, then the notes."""
        lines = [f"Shapiro-Wilk normality test of the residuals: W = {self.shapiro_w:.6g}, p = {self.shapiro_p:.4g}"]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class MixedResult:
    """A fitted linear mixed-effects model (:func:`lmm`).

    Attributes
    ----------
    result : MixedFixedEffects
        The fixed effects as a :class:`RegressionResult` (coefficients,
        standard errors ``sqrt(diag(σ² (X'V⁻¹X)⁻¹))``, per-coefficient
        degrees of freedom); ready for
        :func:`~regionkit.econometrics.tables.regression_table`.
    df : pandas.Series
        Degrees of freedom of every fixed-effect t test (``inf`` for z tests).
    df_method : str
        ``"satterthwaite"``, ``"residual"`` or ``"none"``.
    variance_components : pandas.DataFrame
        One row per variance and covariance, then the residual: ``group``,
        ``term1``, ``term2`` (empty for a variance), ``vcov`` (variance or
        covariance), ``std_dev`` (of a variance) and ``correlation`` (of a
        covariance) — lme4's ``as.data.frame(VarCorr(fit))``.
    llf : float
        Log-likelihood at the optimum: the REML log-likelihood for
        ``method="REML"`` (lme4's ``logLik``), else the ML one.
    method : str
        ``"REML"`` or ``"ML"``.
    k : int
        Number of parameters: fixed effects + variance parameters (θ) + 1
        residual variance (lme4's ``attr(logLik(fit), "df")``); used by
        :attr:`aic`, :attr:`bic`, :attr:`aicc`.
    nobs : int
        Number of observations.
    r2_marginal, r2_conditional : float
        Nakagawa & Schielzeth (2013) R², with Johnson's (2014) extension to
        random slopes: ``σ²_f / (σ²_f + σ²_r + σ²)`` and
        ``(σ²_f + σ²_r) / (σ²_f + σ²_r + σ²)``, where ``σ²_f`` is the
        variance (n − 1 denominator) of ``Xβ̂`` and ``σ²_r`` the sum over
        random terms of the mean of ``z_i' Σ_k z_i`` (``performance::r2_nakagawa``).
        performance 0.10.2 differs in two corner cases: it leaves out the slope
        variance of ``(x || g)`` terms and of random slopes on variables that
        are not fixed effects; regionkit includes them.
    icc, icc_unadjusted : float
        Adjusted ICC ``σ²_r / (σ²_r + σ²)`` and unadjusted ICC
        ``σ²_r / (σ²_f + σ²_r + σ²)`` (``performance::icc``).
    singular : bool
        Whether a diagonal entry of θ is below ``1e-4`` (a variance at 0 or a
        correlation of ±1; lme4's ``isSingular``) or a correlation is within
        ``1e-6`` of ±1.  A :class:`SingularFitWarning` is issued.
    ranef : dict of str to pandas.DataFrame
        BLUPs (conditional modes) of the random effects per grouping factor:
        levels in rows, random-effect columns (``"const"`` for the intercept).
    fitted : pandas.Series
        Conditional fitted values ``Xβ̂ + Zb̂``.
    residuals : pandas.Series
        ``y − fitted``.
    theta : pandas.Series
        The relative covariance parameters θ (lme4's ``getME(fit, "theta")``).
    sigma : float
        Residual standard deviation.
    ngroups : dict of str to int
        Number of levels of every grouping factor.
    formula : str
        The formula as given.
    converged : bool
        Whether the optimizer reported convergence.
    notes : tuple of str
        Method statements and caveats.
    """

    result: MixedFixedEffects
    df: pd.Series
    df_method: str
    variance_components: pd.DataFrame
    llf: float
    method: str
    k: int
    nobs: int
    r2_marginal: float
    r2_conditional: float
    icc: float
    icc_unadjusted: float
    singular: bool
    ranef: dict
    fitted: pd.Series
    residuals: pd.Series
    theta: pd.Series
    sigma: float
    ngroups: dict
    formula: str
    converged: bool = True
    notes: tuple[str, ...] = ()
    _model: Any = field(default=None, repr=False, compare=False)

    @property
    def params(self) -> pd.Series:
        """Fixed-effect estimates (``result.params``)."""
        return self.result.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the fixed effects (``result.bse``)."""
        return self.result.bse

    @property
    def deviance(self) -> float:
        """``−2 llf`` (the REML criterion for REML fits)."""
        return -2.0 * self.llf

    @property
    def aic(self) -> float:
        """``−2 llf + 2k`` (from the REML log-likelihood for REML fits, as lme4)."""
        return -2.0 * self.llf + 2.0 * self.k

    @property
    def bic(self) -> float:
        """``−2 llf + k log(n)``."""
        return -2.0 * self.llf + self.k * math.log(self.nobs)

    @property
    def aicc(self) -> float:
        """Small-sample AIC: ``AIC + 2k(k + 1)/(n − k − 1)`` (``inf`` when ``n ≤ k + 1``)."""
        denom = self.nobs - self.k - 1
        return self.aic + 2.0 * self.k * (self.k + 1) / denom if denom > 0 else math.inf

    def to_frame(self) -> pd.DataFrame:
        """Fixed-effects table: coef, std err, df, t, p (from ``df``), confidence interval."""
        return self.result.to_frame()

    def diagnostics(self) -> ResidualDiagnostics:
        """Shapiro–Wilk test of the residuals and the data of a Q–Q and a residuals-vs-fitted plot.

        Returns
        -------
        ResidualDiagnostics
        """
        r = self.residuals.to_numpy(dtype=float)
        n = len(r)
        notes: list[str] = []
        if n < 3:
            w, p = math.nan, math.nan
            notes.append("Shapiro-Wilk needs at least 3 observations")
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                w, p = (float(v) for v in sps.shapiro(r))
            if n > 5000:
                notes.append(f"Shapiro-Wilk p-value with n = {n} > 5000 may be inaccurate (scipy)")
        a = 3.0 / 8.0 if n <= 10 else 0.5
        theoretical = sps.norm.ppf((np.arange(1, n + 1) - a) / (n + 1 - 2 * a))
        qq = pd.DataFrame({"theoretical": theoretical, "sample": np.sort(r) / self.sigma})
        rvf = pd.DataFrame({"fitted": self.fitted, "residual": self.residuals})
        return ResidualDiagnostics(w, p, qq, rvf, tuple(notes))

    def summary(self) -> str:
        """lme4-style text: fit statistics, random effects, fixed effects with df, notes."""
        res = self.result
        head = [
            f"Linear mixed model fit by {'REML' if self.method == 'REML' else 'maximum likelihood'}",
            f"Formula: {self.formula}",
            f"N = {self.nobs}; groups: " + ", ".join(f"{g} {n}" for g, n in self.ngroups.items()),
            (f"{'REML criterion' if self.method == 'REML' else 'deviance'} = {self.deviance:.4f}   "
             f"logLik = {self.llf:.4f}   k = {self.k}"),
            f"AIC = {self.aic:.4f}   AICc = {self.aicc:.4f}   BIC = {self.bic:.4f}",
            (f"R² marginal = {self.r2_marginal:.4f}   R² conditional = {self.r2_conditional:.4f}   "
             f"ICC (adjusted) = {self.icc:.4f}"),
            "",
            "Random effects:",
            self.variance_components.to_string(index=False, na_rep="", float_format=lambda v: f"{v:.6g}"),
            "",
            f"Fixed effects (dependent: {res.dependent}):",
            self.to_frame().to_string(float_format=lambda v: f"{v:.6g}"),
        ]
        notes = [f"Note: {n}" for n in self.notes]
        return "\n".join([*head, *notes])


@dataclass(frozen=True)
class ModelComparison:
    """Information criteria and likelihood-ratio tests of several mixed models (:func:`compare_models`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model (index ``Model``, sorted by ``k`` as lme4's
        ``anova``): ``method``, ``k``, ``logLik``, ``AIC``, ``AICc``, ``BIC``,
        ``R²m``, ``R²c``, all of the fits compared (the ML refits when
        ``refit``).
    tests : pandas.DataFrame
        One row per nested pair (``restricted`` ⊂ ``general``): ``chi2``
        (``2 Δ logLik``), ``df`` (Δ k), ``p`` (χ²(df), conservative when
        variance components are tested), ``p_mixture`` (the 50:50 χ̄² mixture of
        χ²(df − 1) and χ²(df) when the pair differs by one variance and its
        covariances, else NaN).
    refit : bool
        Whether REML fits were refitted by ML for the comparison.
    notes : tuple of str
        What was done and the caveats.
    """

    table: pd.DataFrame
    tests: pd.DataFrame
    refit: bool
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The comparison table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """The table, the tests and the notes as text."""
        parts = ["Model comparison", self.table.to_string(float_format=lambda v: f"{v:.6g}")]
        if len(self.tests):
            parts += ["", "Likelihood-ratio tests", self.tests.to_string(index=False, float_format=lambda v: f"{v:.6g}")]
        parts += [f"Note: {n}" for n in self.notes]
        return "\n".join(parts)


# ====================================================================== parsing
@dataclass(frozen=True)
class _TermSpec:
    expr: str  # left of the bar, backticks kept
    factors: tuple[str, ...]  # grouping columns
    uncorrelated: bool  # written with "||"
    text: str  # the whole term as written

    @property
    def group(self) -> str:
        return ":".join(self.factors)


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


def _parse_formula(formula: object) -> tuple[str, str, list[_TermSpec]]:
    """Split an lme4 formula into (fixed formula, left-hand text, random terms)."""
    if not isinstance(formula, str):
        raise InputError(f"formula must be a string, not {type(formula).__name__}")
    if not formula.strip():
        raise InputError("empty formula; write e.g. 'y ~ x + (1 | group)'")
    text, quoted = mask_backticks(formula)

    def restore(s: str) -> str:
        for key, col in quoted.items():
            s = s.replace(key, f"`{col}`")
        return s

    if text.count("~") != 1:
        raise InputError(f"formula {formula!r}: needs exactly one '~' between the dependent and the terms")
    lhs, rhs = (s.strip() for s in text.split("~"))
    if not lhs:
        raise InputError(f"formula {formula!r}: no dependent variable left of '~'")
    if not rhs:
        raise InputError(f"formula {formula!r}: no terms right of '~'")
    fixed: list[tuple[str, str]] = []
    specs: list[_TermSpec] = []
    for sign, piece in _split_top(rhs, formula):
        inner = _random_inner(piece)
        if inner is None:
            if "|" in piece:
                raise InputError(
                    f"formula {formula!r}: random term {restore(piece)!r} must be written in parentheses, "
                    "e.g. '(1 | group)'"
                )
            fixed.append((sign, piece))
            continue
        if sign == "-":
            raise InputError(f"formula {formula!r}: a random term cannot be subtracted: '- {restore(piece)}'")
        specs += _parse_random(inner, restore, quoted, formula)
    if not specs:
        raise InputError(
            f"formula {formula!r}: no random term; add one such as '(1 | group)' "
            "(use panel_ols or an OLS fit for a model without random effects)"
        )
    seen: set[tuple[str, str, bool]] = set()
    for s in specs:
        key = (s.group, s.expr.replace(" ", ""), s.uncorrelated)
        if key in seen:
            raise InputError(f"formula {formula!r}: random term {s.text!r} appears twice")
        seen.add(key)
    if fixed:
        parts = [("-" if fixed[0][0] == "-" else "") + fixed[0][1]]
        parts += [f"{sg} {pc}" for sg, pc in fixed[1:]]
        rhs_fixed = " ".join(parts)
    else:
        rhs_fixed = "1"
    return restore(f"{lhs} ~ {rhs_fixed}"), restore(lhs), specs


def _split_top(rhs: str, formula: str) -> list[tuple[str, str]]:
    pieces: list[tuple[str, str]] = []
    depth, sign, start = 0, "+", 0
    for i, ch in enumerate(rhs):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"formula {formula!r}: unbalanced ')'")
        elif ch in "+-" and depth == 0:
            piece = rhs[start:i].strip()
            if piece or pieces:
                pieces.append((sign, piece))
            sign, start = ch, i + 1
    if depth != 0:
        raise InputError(f"formula {formula!r}: unbalanced '('")
    pieces.append((sign, rhs[start:].strip()))
    for _, piece in pieces:
        if not piece:
            raise InputError(f"formula {formula!r}: empty term (a '+' or '-' with nothing on one side)")
    return pieces


def _random_inner(piece: str) -> str | None:
    """The text inside ``( … | … )`` when ``piece`` is one parenthesized random term."""
    if not (piece.startswith("(") and piece.endswith(")")):
        return None
    depth = 0
    for i, ch in enumerate(piece):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(piece) - 1:
            return None  # e.g. "(a) + (b)" or "log(x)"-like pieces
    inner = piece[1:-1]
    depth = 0
    for ch in inner:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "|" and depth == 0:
            return inner
    return None


def _parse_random(inner: str, restore: Callable[[str], str], quoted: dict[str, str], formula: str) -> list[_TermSpec]:
    shown = restore(f"({inner})")
    bars = [m.start() for m in re.finditer(r"\|\|?", inner)]
    if len(bars) != 1:
        raise InputError(f"formula {formula!r}: random term {shown!r} needs exactly one '|' (or '||')")
    double = inner[bars[0]: bars[0] + 2] == "||"
    left = inner[: bars[0]].strip()
    right = inner[bars[0] + (2 if double else 1):].strip()
    if not left:
        raise InputError(f"formula {formula!r}: random term {shown!r} has nothing left of '|' (write '1 | g')")
    if not right:
        raise InputError(f"formula {formula!r}: random term {shown!r} has no grouping factor right of '|'")
    nest: list[list[str]] = []
    for part in right.split("/"):
        names = []
        for name in part.split(":"):
            name = name.strip()
            if name in quoted:
                names.append(quoted[name])
            elif _IDENT.match(name):
                names.append(name)
            else:
                raise InputError(
                    f"formula {formula!r}: random term {shown!r}: grouping factor {restore(name)!r} must be a "
                    "column name (a:b for an interaction, a/b for nesting, `…` for other names)"
                )
        nest.append(names)
    out = []
    for i in range(len(nest)):
        factors = tuple(f for part in nest[: i + 1] for f in part)
        if len(set(factors)) != len(factors):
            raise InputError(f"formula {formula!r}: random term {shown!r} repeats a grouping factor")
        out.append(_TermSpec(restore(left), factors, double, shown))
    return out


# ====================================================================== model
@dataclass
class _Term:
    group: str
    factors: tuple[str, ...]
    columns: tuple[str, ...]
    levels: pd.Index
    codes: np.ndarray
    values: np.ndarray  # (n, p_k) random-effect model matrix
    offset: int  # first column in Z
    theta_offset: int

    @property
    def nlev(self) -> int:
        return len(self.levels)

    @property
    def pk(self) -> int:
        return len(self.columns)

    @property
    def ntheta(self) -> int:
        return self.pk * (self.pk + 1) // 2


@dataclass
class _Model:
    formula: str
    fixed_formula: str
    dependent: str
    index: pd.Index
    y: np.ndarray  # working response (centered when the model has an intercept)
    X: np.ndarray  # working design (non-constant columns centered when it has an intercept)
    y_data: np.ndarray  # the response as given
    X_data: np.ndarray  # the design as given
    B: np.ndarray  # β = B β_work + y_shift e_const (unit upper triangular)
    y_shift: float
    xnames: tuple[str, ...]
    terms: list[_Term]
    Z: sp.csr_matrix
    ZtZ: sp.csc_matrix
    ZtX: np.ndarray
    Zty: np.ndarray
    XtX: np.ndarray
    Xty: np.ndarray
    lam_indices: np.ndarray
    lam_indptr: np.ndarray
    lind: np.ndarray
    lower: np.ndarray
    theta0: np.ndarray
    theta_names: tuple[str, ...]
    backend: str  # "blocks" (one grouping factor), "schur", "dense" or "sparse"
    ZtXy: np.ndarray  # [Z'X, Z'y]
    ident: sp.csc_matrix | None = None  # sparse backend
    ZtZ_dense: np.ndarray | None = None  # dense backend
    order: np.ndarray | None = None  # blocks/sparse backends: the order of the random effects used
    block_terms: tuple[int, ...] = ()  # blocks/schur: the terms of the block-diagonal part
    block_ZtZ: np.ndarray | None = None  # blocks: (P, P, levels)
    block_rhs: np.ndarray | None = None  # blocks: (P, levels, p + 1)
    sp_ZtZ: sp.csc_matrix | None = None  # sparse: Z'Z in the fill-reducing order
    sp_lam: tuple | None = None  # sparse: (indices, indptr, lind) of Λ in that order
    schur_lam1: tuple | None = None  # schur: Λ of the block part, (indices, indptr, lind)
    schur_lam2: tuple | None = None  # schur: Λ of the other terms
    schur_Z12: sp.csr_matrix | None = None  # schur: Z1'Z2
    schur_Z22: sp.csc_matrix | None = None  # schur: Z2'Z2
    schur_rhs2: np.ndarray | None = None  # schur: [Z2'X, Z2'y]
    schur_binv: tuple | None = None  # schur: (indices, indptr) of the block-diagonal inverse

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return self.X.shape[1]

    @property
    def q(self) -> int:
        return self.Z.shape[1]

    def coef(self, beta_work: np.ndarray) -> np.ndarray:
        """Coefficients of the data's design from those of the working (centered) design."""
        beta = self.B @ beta_work
        if self.y_shift:
            beta[0] += self.y_shift
        return beta

    def lam(self, theta: np.ndarray) -> sp.csc_matrix:
        return sp.csc_matrix((theta[self.lind], self.lam_indices, self.lam_indptr), shape=(self.q, self.q))


@dataclass
class _PLS:
    ldL2: float
    ldRX2: float
    r2: float
    beta: np.ndarray
    u: np.ndarray
    b: np.ndarray
    RXtRX: np.ndarray
    ok: bool = True


def _build(formula: str, data: pd.DataFrame, backend: str | None = None) -> _Model:
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    fixed_formula, lhs, specs = _parse_formula(formula)
    d = design(fixed_formula, data)
    n = d.nobs
    y_data = d.y.to_numpy(dtype=float)
    X_data = d.X.to_numpy(dtype=float)
    # Center y and the non-constant columns of X when there is an intercept: the fit is
    # invariant (X_work = X B⁻¹ with det B = 1), and the cross-products lose no digits to
    # large means (years as regressors, levels in the millions).
    B = np.eye(X_data.shape[1])
    y_shift = 0.0
    y, X = y_data, X_data
    if d.intercept and str(d.X.columns[0]) == CONST:
        means = X_data.mean(axis=0)
        means[0] = 0.0
        X = X_data - means
        B[0, 1:] = -means[1:]
        y_shift = float(y_data.mean())
        y = y_data - y_shift
    terms: list[_Term] = []
    offset = theta_offset = 0
    codes_cache: dict[tuple[str, ...], tuple[np.ndarray, pd.Index]] = {}
    for spec in specs:
        where = f"random term {spec.text}"
        index_names = [n for n in data.index.names if n is not None]
        missing = [f for f in spec.factors if f not in data.columns and f not in index_names]
        if missing:
            levels = f"; index levels: {', '.join(map(str, index_names))}" if index_names else ""
            raise InputError(
                f"{where}: grouping column(s) {', '.join(map(repr, missing))} not found; "
                f"available columns: {', '.join(map(str, data.columns))}{levels}"
            )
        try:
            rd = design(f"{lhs} ~ {spec.expr}", data)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        if spec.factors not in codes_cache:
            codes_cache[spec.factors] = _group_codes(data, spec.factors)
        codes, levels = codes_cache[spec.factors]
        cols = list(rd.X.columns)
        blocks = [[c] for c in cols] if spec.uncorrelated else [cols]
        for block in blocks:
            clash = [c for t in terms if t.factors == spec.factors for c in t.columns if c in block]
            if clash:
                raise InputError(
                    f"{where}: the random effect {clash[0]!r} of {spec.group!r} appears in two random terms; "
                    "each column may vary by a grouping factor only once"
                )
            values = rd.X[block].to_numpy(dtype=float)
            term = _Term(spec.group, spec.factors, tuple(map(str, block)), levels, codes, values, offset, theta_offset)
            _check_term(term, n, where)
            terms.append(term)
            offset += term.nlev * term.pk
            theta_offset += term.ntheta
    q = offset
    # Z: row i has, for term k, p_k entries in columns offset_k + code_i * p_k + j
    rows, cols, vals = [], [], []
    for t in terms:
        base = t.offset + t.codes * t.pk
        for j in range(t.pk):
            rows.append(np.arange(n))
            cols.append(base + j)
            vals.append(t.values[:, j])
    Z = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, q))
    Z.eliminate_zeros()
    # Λ = blockdiag(I_{nlev} ⊗ T_k); T_k lower triangular, θ column-major (lme4's order)
    lrows, lcols, lth = [], [], []
    lower, theta0, names = [], [], []
    for t in terms:
        idx = t.theta_offset
        for j in range(t.pk):
            for i in range(j, t.pk):
                lrows.append(t.offset + np.arange(t.nlev) * t.pk + i)
                lcols.append(t.offset + np.arange(t.nlev) * t.pk + j)
                lth.append(np.full(t.nlev, idx))
                lower.append(0.0 if i == j else -np.inf)
                theta0.append(1.0 if i == j else 0.0)
                names.append(f"{t.group}.{t.columns[i]}" if i == j else f"{t.group}.{t.columns[i]}.{t.columns[j]}")
                idx += 1
    lrows_a, lcols_a, lth_a = np.concatenate(lrows), np.concatenate(lcols), np.concatenate(lth)
    pos = sp.csc_matrix((np.arange(1, len(lrows_a) + 1, dtype=float), (lrows_a, lcols_a)), shape=(q, q))
    lind = lth_a[pos.data.astype(np.int64) - 1]
    Zt = Z.T.tocsr()
    ZtZ = (Zt @ Z).tocsc()
    ZtZ.sort_indices()
    ZtX = np.asarray(Zt @ X)
    Zty = np.asarray(Zt @ y)
    ZtXy = np.column_stack([ZtX, Zty])
    extra: dict[str, Any] = {}
    single = len({t.factors for t in terms}) == 1
    if backend is None:
        backend = "blocks" if single else ("dense" if q <= _SMALL_Q else "schur")
    if backend == "blocks" and not single:
        raise ValueError("the blocks backend needs a single grouping factor")
    extra: dict[str, Any] = {}
    if backend in ("blocks", "schur"):
        # The grouping factor with the most random effects gives a block-diagonal part of
        # Λ'Z'ZΛ + I (one P × P block per level, factored in a vectorized way); the other
        # terms are reached through the Schur complement.
        sizes: dict[tuple[str, ...], int] = {}
        for t in terms:
            sizes[t.factors] = sizes.get(t.factors, 0) + t.nlev * t.pk
        big = max(sizes, key=lambda k: sizes[k])
        set1 = [i for i, t in enumerate(terms) if t.factors == big]
        set2 = [i for i, t in enumerate(terms) if t.factors != big]
        nlev = terms[set1[0]].nlev
        order1 = np.column_stack([
            terms[i].offset + np.arange(nlev)[:, None] * terms[i].pk + np.arange(terms[i].pk)[None, :]
            for i in set1
        ]).ravel()
        order2 = np.concatenate([terms[i].offset + np.arange(terms[i].nlev * terms[i].pk) for i in set2]) \
            if set2 else np.zeros(0, dtype=np.int64)
        order = np.concatenate([order1, order2]).astype(np.int64)
        q1 = len(order1)
        P = q1 // nlev
        ZtZp = sp.csr_matrix(ZtZ[order][:, order])
        coo = sp.coo_matrix(ZtZp[:q1, :q1])
        blocks = np.zeros((P, P, nlev))
        blocks[coo.row % P, coo.col % P, coo.row // P] = coo.data
        rhs_all = ZtXy[order]
        extra = {
            "order": order,
            "block_terms": tuple(set1),
            "block_ZtZ": blocks,
            "block_rhs": rhs_all[:q1].reshape(nlev, P, -1).transpose(1, 0, 2).copy(),
        }
        if set2:
            posp = sp.csc_matrix(pos[order][:, order])

            def _part(sub: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                sub = sp.csc_matrix(sub)
                sub.sort_indices()
                return sub.indices.copy(), sub.indptr.copy(), lth_a[sub.data.astype(np.int64) - 1]

            rows = np.repeat(np.arange(q1), P)
            binv_cols = (rows // P) * P + np.tile(np.arange(P), q1)
            extra |= {
                "schur_lam1": _part(posp[:q1, :q1]),
                "schur_lam2": _part(posp[q1:, q1:]),
                "schur_Z12": sp.csr_matrix(ZtZp[:q1, q1:]),
                "schur_Z22": sp.csc_matrix(ZtZp[q1:, q1:]),
                "schur_rhs2": rhs_all[q1:],
                "schur_binv": (binv_cols, np.arange(0, q1 * P + 1, P)),
                "ident": sp.identity(q - q1, format="csc"),
            }
    elif backend == "dense":
        extra = {"ZtZ_dense": ZtZ.toarray()}
    elif backend == "sparse":
        # sparse LU in a fill-reducing order found once (the pattern does not depend on θ)
        ones = np.where(np.isfinite(np.array(lower)), 1.0, 0.5)
        lam1 = sp.csc_matrix((ones[lind], pos.indices, pos.indptr), shape=(q, q))
        A1 = (lam1.T @ ZtZ @ lam1 + sp.identity(q)).tocsc()
        lu = splu(A1, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
        perm = np.argsort(lu.perm_c)
        posp = sp.csc_matrix(pos[perm][:, perm])
        posp.sort_indices()
        lindp = lth_a[posp.data.astype(np.int64) - 1]
        extra = {
            "order": perm,
            "ident": sp.identity(q, format="csc"),
            "sp_ZtZ": sp.csc_matrix(ZtZ[perm][:, perm]),
            "sp_lam": (posp.indices.copy(), posp.indptr.copy(), lindp),
        }
    else:
        raise ValueError(f"unknown backend {backend!r}")
    return _Model(
        formula=formula,
        fixed_formula=fixed_formula,
        dependent=d.dependent,
        index=data.index,
        y=y,
        X=X,
        y_data=y_data,
        X_data=X_data,
        B=B,
        y_shift=y_shift,
        xnames=tuple(map(str, d.X.columns)),
        terms=terms,
        Z=Z,
        ZtZ=ZtZ,
        ZtX=ZtX,
        Zty=Zty,
        XtX=X.T @ X,
        Xty=X.T @ y,
        lam_indices=pos.indices.copy(),
        lam_indptr=pos.indptr.copy(),
        lind=lind,
        lower=np.array(lower),
        theta0=np.array(theta0),
        theta_names=tuple(names),
        backend=backend,
        ZtXy=ZtXy,
        **extra,
    )


def _group_codes(data: pd.DataFrame, factors: tuple[str, ...]) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (sorted levels) and level labels of a grouping factor or interaction."""
    cols: dict[str, pd.Series] = {}
    for f in factors:
        if f in data.columns:
            col = data[f]
            if isinstance(col, pd.DataFrame):
                raise InputError(f"grouping column {f!r} appears more than once in the data")
            col = col.reset_index(drop=True)
        else:  # an index level, e.g. "region" of a (region, year) panel
            col = pd.Series(data.index.get_level_values(f), name=f)
        bad = col.isna().to_numpy()
        if bad.any():
            first = int(np.argmax(bad))
            raise InputError(
                f"grouping column {f!r}: {int(bad.sum())} missing value(s), first at "
                f"{row_label(data.index, first)}; no rows are dropped, fill or remove them first"
            )
        cols[f] = col
    frame = pd.DataFrame(cols)
    try:
        grouped = frame.groupby(list(factors), sort=True, observed=True)
        codes = grouped.ngroup().to_numpy()
    except TypeError:  # unorderable mixed types: keep the order of appearance
        grouped = frame.groupby(list(factors), sort=False, observed=True)
        codes = grouped.ngroup().to_numpy()
    first_rows = pd.Series(np.arange(len(frame))).groupby(codes).first().to_numpy()
    if len(factors) == 1:
        levels = pd.Index(frame[factors[0]].to_numpy()[first_rows], name=factors[0])
    else:
        parts = [frame[f].to_numpy()[first_rows].astype(str) for f in factors]
        labels = parts[0]
        for part in parts[1:]:
            labels = np.char.add(np.char.add(labels, ":"), part)
        levels = pd.Index(labels.tolist(), name=":".join(factors), dtype=object)
    return codes.astype(np.int64), levels


def _check_term(term: _Term, n: int, where: str) -> None:
    if term.nlev < 2:
        raise InputError(f"{where}: grouping factor {term.group!r} has {term.nlev} level; it needs at least 2")
    if term.nlev >= n:
        raise InputError(
            f"{where}: grouping factor {term.group!r} has {term.nlev} levels for {n} observations; "
            "the number of levels must be smaller than the number of observations (lme4's rule)"
        )
    if term.nlev * term.pk >= n:
        raise InputError(
            f"{where}: {term.nlev} levels × {term.pk} random effects = {term.nlev * term.pk} ≥ {n} "
            f"observations for {term.group!r}; the variance parameters and the residual variance are "
            "not identifiable"
        )


# ====================================================================== PLS core
def _tmats(m: _Model, theta: np.ndarray) -> list[np.ndarray]:
    """The lower-triangular relative covariance factors T_k (θ in column-major order)."""
    out = []
    for t in m.terms:
        T = np.zeros((t.pk, t.pk))
        idx = t.theta_offset
        for j in range(t.pk):
            for i in range(j, t.pk):
                T[i, j] = theta[idx]
                idx += 1
        out.append(T)
    return out


def _right_lambda(B: np.ndarray, m: _Model, Ts: list[np.ndarray]) -> np.ndarray:
    """``B Λ`` for a dense ``B`` (r × q), using Λ = blockdiag(I ⊗ T_k)."""
    out = np.empty_like(B)
    r = B.shape[0]
    for t, T in zip(m.terms, Ts, strict=True):
        sl = slice(t.offset, t.offset + t.nlev * t.pk)
        if t.pk == 1:
            out[:, sl] = B[:, sl] * T[0, 0]
        else:
            out[:, sl] = (B[:, sl].reshape(r, t.nlev, t.pk) @ T).reshape(r, -1)
    return out


def _block_chol(T: np.ndarray, B: np.ndarray) -> tuple[list, float]:
    """Cholesky factors of T' B_l T + I for every level l, vectorized over the levels.

    ``B`` is (P, P, levels); returns the lower factor as nested lists of
    level vectors (``L[i][j]`` for i ≥ j) and the sum of the log-determinants.
    """
    P, nlev = T.shape[0], B.shape[2]
    nz = [[(a, T[a, j]) for a in range(P) if T[a, j] != 0.0] for j in range(P)]
    zero = np.zeros(nlev)
    M = [[sum((B[a, b] * t for b, t in nz[j]), zero) for j in range(P)] for a in range(P)]
    A = [[None] * P for _ in range(P)]
    for i in range(P):
        for j in range(i, P):
            A[i][j] = sum((M[a][j] * t for a, t in nz[i]), zero) + (1.0 if i == j else 0.0)
    L: list[list[Any]] = [[None] * P for _ in range(P)]
    for j in range(P):
        d = A[j][j] - sum((L[j][k] ** 2 for k in range(j)), zero)
        if not np.all(d > 0):
            raise np.linalg.LinAlgError("not positive definite")
        L[j][j] = np.sqrt(d)
        for i in range(j + 1, P):
            L[i][j] = (A[j][i] - sum((L[i][k] * L[j][k] for k in range(j)), zero)) / L[j][j]
    return L, 2.0 * float(sum(np.sum(np.log(L[j][j])) for j in range(P)))


def _block_solve(L: list, rhs: list[np.ndarray]) -> list[np.ndarray]:
    """Solve (L L') x = rhs level by level; ``rhs[i]`` is (levels, r) for block row i."""
    P = len(rhs)
    zero = np.zeros(rhs[0].shape)
    z: list[np.ndarray] = []
    for i in range(P):
        z.append((rhs[i] - sum((L[i][k][:, None] * z[k] for k in range(i)), zero)) / L[i][i][:, None])
    sol: list[np.ndarray] = [zero] * P
    for i in reversed(range(P)):
        sol[i] = (z[i] - sum((L[k][i][:, None] * sol[k] for k in range(i + 1, P)), zero)) / L[i][i][:, None]
    return sol


def _blocks_solve(m: _Model, theta: np.ndarray, Ts: list[np.ndarray]) -> tuple[float, np.ndarray, np.ndarray]:
    """Factor and solve with Λ'Z'ZΛ + I in the order ``m.order`` (blocks or Schur backend).

    Returns log|L|², the right-hand sides Λ'[Z'X, Z'y] and the solutions, both in ``m.order``.
    """
    T = sla.block_diag(*[Ts[i] for i in m.block_terms])
    P = T.shape[0]
    R = m.block_rhs
    L, ld1 = _block_chol(T, m.block_ZtZ)
    r1 = [sum((R[a] * T[a, i] for a in range(P) if T[a, i] != 0.0), np.zeros(R.shape[1:])) for i in range(P)]
    x1 = np.stack(_block_solve(L, r1), axis=1).reshape(-1, R.shape[2])  # A11⁻¹ r1
    rhs1 = np.stack(r1, axis=1).reshape(-1, R.shape[2])
    if m.schur_Z12 is None:
        return ld1, rhs1, x1
    q1 = rhs1.shape[0]
    q2 = m.q - q1
    lam1 = sp.csc_matrix((theta[m.schur_lam1[2]], m.schur_lam1[0], m.schur_lam1[1]), shape=(q1, q1))
    lam2 = sp.csc_matrix((theta[m.schur_lam2[2]], m.schur_lam2[0], m.schur_lam2[1]), shape=(q2, q2))
    lam2t = lam2.T.tocsr()
    A12 = sp.csr_matrix(lam1.T @ m.schur_Z12 @ lam2)
    nlev = R.shape[1]
    eye = [np.zeros((nlev, P)) for _ in range(P)]
    for i in range(P):
        eye[i][:, i] = 1.0
    binv = np.stack(_block_solve(L, eye), axis=1)  # (levels, P, P): the inverse blocks
    Binv = sp.csr_matrix((binv.ravel(), m.schur_binv[0], m.schur_binv[1]), shape=(q1, q1))
    K = Binv @ A12
    schur = lam2t @ m.schur_Z22 @ lam2 + m.ident - A12.T @ K
    rhs2 = np.asarray(lam2t @ m.schur_rhs2)
    b2 = rhs2 - np.asarray(A12.T @ x1)
    if q2 <= DENSE_MAX_Q or schur.nnz > _DENSE_FILL * q2 * q2:
        Sd = schur.toarray()
        Ls = sla.cholesky(0.5 * (Sd + Sd.T), lower=True, check_finite=False)
        ld2 = 2.0 * float(np.sum(np.log(np.diag(Ls))))
        x2 = sla.cho_solve((Ls, True), b2, check_finite=False)
    else:
        lu = splu(sp.csc_matrix(schur), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options={"SymmetricMode": True})
        ld2 = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
        x2 = lu.solve(b2)
    x1 = x1 - np.asarray(K @ x2)
    return ld1 + ld2, np.vstack([rhs1, rhs2]), np.vstack([x1, x2])


def _pls(m: _Model, theta: np.ndarray) -> _PLS:
    """Solve the penalized least-squares problem at ``theta`` (lme4's PLS step).

    Returns log|L_θ|², log|R_X|², the penalized RSS r², β̂, the spherical
    random effects u, b = Λu and R_X'R_X = X'X − X'ZΛ(Λ'Z'ZΛ + I)⁻¹Λ'Z'X.
    """
    p = m.p
    Ts = _tmats(m, theta)
    order = None
    try:
        if m.backend in ("blocks", "schur"):
            ldL2, rhs, S = _blocks_solve(m, theta, Ts)
            order = m.order
        elif m.backend == "dense":
            A = _right_lambda(_right_lambda(m.ZtZ_dense, m, Ts).T.copy(), m, Ts)
            A[np.diag_indices_from(A)] += 1.0
            L = sla.cholesky(A, lower=True, check_finite=False)
            ldL2 = 2.0 * float(np.sum(np.log(np.diag(L))))
            rhs = _right_lambda(m.ZtXy.T.copy(), m, Ts).T
            S = sla.cho_solve((L, True), rhs, check_finite=False)
        else:
            order = m.order
            indices, indptr, lind = m.sp_lam
            lam = sp.csc_matrix((theta[lind], indices, indptr), shape=(m.q, m.q))
            lamt = lam.T.tocsr()
            A = (lamt @ m.sp_ZtZ @ lam + m.ident).tocsc()
            lu = splu(A, permc_spec="NATURAL", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
            ldL2 = float(np.sum(np.log(np.abs(lu.U.diagonal()))))
            rhs = np.asarray(lamt @ m.ZtXy[order])
            S = lu.solve(rhs)
        W = rhs[:, :p]
        RXtRX = m.XtX - W.T @ S[:, :p]
        RXtRX = 0.5 * (RXtRX + RXtRX.T)
        RX = sla.cholesky(RXtRX, lower=False, check_finite=False)
    except (np.linalg.LinAlgError, RuntimeError, ValueError):
        nan = np.full(p, np.nan)
        return _PLS(math.inf, math.inf, math.inf, nan, np.full(m.q, np.nan), np.full(m.q, np.nan),
                    np.full((p, p), np.nan), ok=False)
    ldRX2 = 2.0 * float(np.sum(np.log(np.abs(np.diag(RX)))))
    beta = sla.cho_solve((RX, False), m.Xty - W.T @ S[:, p], check_finite=False)
    u = S[:, p] - S[:, :p] @ beta
    if order is not None:
        u_ord = u
        u = np.empty(m.q)
        u[order] = u_ord
    b = m.lam(theta) @ u
    resid = m.y - m.X @ beta - m.Z @ b
    r2 = float(resid @ resid + u @ u)
    return _PLS(ldL2, ldRX2, r2, beta, u, b, RXtRX)


def _profiled_deviance(m: _Model, theta: np.ndarray, reml: bool) -> float:
    s = _pls(m, theta)
    if not s.ok or not s.r2 > 0:
        return math.inf
    n, p = m.n, m.p
    if reml:
        nmp = n - p
        return s.ldL2 + s.ldRX2 + nmp * (1.0 + math.log(2.0 * math.pi * s.r2 / nmp))
    return s.ldL2 + n * (1.0 + math.log(2.0 * math.pi * s.r2 / n))


def _varpar_deviance(m: _Model, varpar: np.ndarray, reml: bool) -> float:
    """Deviance in (θ, σ), not profiled over σ (lmerTest's ``devfun_vp``)."""
    theta, sigma = varpar[:-1], varpar[-1]
    s = _pls(m, theta)
    if not s.ok:
        return math.inf
    s2 = sigma * sigma
    dev = s.ldL2 + s.r2 / s2 + m.n * math.log(2.0 * math.pi * s2)
    if reml:
        dev += s.ldRX2 - m.p * math.log(2.0 * math.pi * s2)
    return dev


def _covbeta(m: _Model, varpar: np.ndarray) -> np.ndarray:
    s = _pls(m, varpar[:-1])
    return varpar[-1] ** 2 * (m.B @ np.linalg.inv(s.RXtRX) @ m.B.T)


def _optimize(m: _Model, reml: bool, theta0: np.ndarray | None = None) -> tuple[np.ndarray, bool, str]:
    lower = m.lower
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in lower]
    x0 = m.theta0.copy() if theta0 is None else np.maximum(theta0, lower)

    def f(th: np.ndarray) -> float:
        return _profiled_deviance(m, th, reml)

    def grad(th: np.ndarray) -> np.ndarray:
        # Central differences.  The deviance is even in every diagonal θ (a sign flip of a
        # column of T_k leaves Λ Λ' unchanged), so its derivative at a 0 bound is always 0;
        # next to a bound a forward difference is used instead, which sees whether the
        # deviance falls into the interior (θ = 0 can be a local maximum).
        g = np.empty_like(th)
        f_here = None
        for i in range(len(th)):
            h = 1e-6 * max(1.0, abs(th[i]))
            e = np.zeros_like(th)
            e[i] = h
            if np.isfinite(lower[i]) and th[i] - h < lower[i]:
                if f_here is None:
                    f_here = f(th)
                g[i] = (f(th + e) - f_here) / h
            else:
                g[i] = (f(th + e) - f(th - e)) / (2 * h)
        return g

    f0 = f(x0)
    if not np.isfinite(f0):
        raise InputError(f"formula {m.formula!r}: the deviance is not finite at the starting values")
    scale = max(1.0, abs(f0))
    opts = {"ftol": 1e-15, "gtol": 1e-9 * scale, "maxiter": 2000, "maxls": 50}
    res = optimize.minimize(f, x0, jac=grad, method="L-BFGS-B", bounds=bounds, options=opts)
    x, fx = np.asarray(res.x, dtype=float), float(res.fun)
    # Polish and leave the boundary when it is not a minimum: from every θ at its bound,
    # probe a few steps into the interior; restart from the best point found.
    for _ in range(5):
        start, fstart = x, fx
        for i in np.flatnonzero(np.isfinite(lower) & (x <= lower + 1e-8)):
            for step in (1e-3, 1e-2, 0.1, 0.5):
                trial = start.copy()
                trial[i] = lower[i] + step
                ft = f(trial)
                if ft < fstart - 1e-10 * scale:
                    start, fstart = trial, ft
        res2 = optimize.minimize(f, start, jac=grad, method="L-BFGS-B", bounds=bounds, options=opts)
        improved = float(res2.fun) < fx - 1e-12 * scale
        if float(res2.fun) <= fx:
            x, fx, res = np.asarray(res2.x, dtype=float), float(res2.fun), res2
        if start is x or not improved:
            break
    g = grad(x)
    free = ~((np.isfinite(lower)) & (x <= lower + 1e-10) & (g >= 0))
    gmax = float(np.max(np.abs(g[free]))) if free.any() else 0.0
    converged = bool(res.success) or gmax <= 1e-4 * scale
    return x, converged, f"{res.message} (max |gradient| {gmax:.2g})"


# ====================================================================== numerical derivatives
def _steps(x: np.ndarray) -> np.ndarray:
    """Initial difference steps for (θ, σ): θ is scale-free (floor 0.1), σ > 0 purely relative."""
    h = 1e-3 * np.maximum(np.abs(x), 0.1)
    h[-1] = 1e-3 * abs(x[-1])
    return h


def _hessian(f: Callable[[np.ndarray], float], x: np.ndarray, levels: int = 3) -> np.ndarray:
    """Central-difference Hessian with Richardson extrapolation (as numDeriv::hessian)."""
    k = len(x)
    f0 = f(x)
    h0 = _steps(x)
    tables = []
    for lev in range(levels):
        h = h0 / 2.0**lev
        H = np.empty((k, k))
        for i in range(k):
            ei = np.zeros(k)
            ei[i] = h[i]
            H[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
            for j in range(i):
                ej = np.zeros(k)
                ej[j] = h[j]
                H[i, j] = H[j, i] = (
                    f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)
                ) / (4 * h[i] * h[j])
        tables.append(H)
    return _richardson(tables)


def _jacobian(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, levels: int = 3) -> list[np.ndarray]:
    """Central-difference derivatives of a matrix-valued ``f``, one matrix per parameter."""
    k = len(x)
    h0 = _steps(x)
    out = []
    for i in range(k):
        tables = []
        for lev in range(levels):
            e = np.zeros(k)
            e[i] = h0[i] / 2.0**lev
            tables.append((f(x + e) - f(x - e)) / (2 * e[i]))
        out.append(_richardson(tables))
    return out


def _richardson(tables: list[np.ndarray]) -> np.ndarray:
    """Richardson extrapolation of central differences with halved steps (error ∝ h²)."""
    t = list(tables)
    power = 4.0
    while len(t) > 1:
        t = [(power * t[i + 1] - t[i]) / (power - 1.0) for i in range(len(t) - 1)]
        power *= 4.0
    return t[0]


def _satterthwaite(m: _Model, theta: np.ndarray, sigma: float, reml: bool) -> tuple[np.ndarray, list[str]]:
    """Satterthwaite df per fixed effect, lmerTest's way (``contest1D`` with unit contrasts)."""
    notes: list[str] = []
    varpar = np.append(theta, sigma)
    H = _hessian(lambda v: _varpar_deviance(m, v, reml), varpar)
    H = 0.5 * (H + H.T)
    eig = np.linalg.eigvalsh(H)
    if not np.all(np.isfinite(H)):
        return np.full(m.p, np.nan), ["Satterthwaite df not available: non-finite Hessian"]
    if eig.min() <= 1e-8 * max(1.0, abs(eig).max()):
        notes.append(
            "the Hessian of the deviance in (θ, σ) is not positive definite (a boundary fit?); "
            "a pseudo-inverse was used for the Satterthwaite df"
        )
        A = 2.0 * np.linalg.pinv(H)
    else:
        A = 2.0 * np.linalg.inv(H)
    C = _covbeta(m, varpar)
    J = _jacobian(lambda v: _covbeta(m, v), varpar)
    df = np.empty(m.p)
    for j in range(m.p):
        g = np.array([Ji[j, j] for Ji in J])
        denom = float(g @ A @ g)
        df[j] = 2.0 * C[j, j] ** 2 / denom if denom > 0 else np.nan
    return df, notes


# ====================================================================== fit
def lmm(
    formula: str,
    data: pd.DataFrame,
    *,
    method: Method = "REML",
    df_method: DfMethod = "satterthwaite",
) -> MixedResult:
    """Fit a linear mixed-effects model by REML or ML, giving lme4's ``lmer`` numbers.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2 + (1 | city) + (1 | year)"``: fixed terms as in
        :mod:`regionkit.econometrics.formula`, random terms in parentheses
        (``(1 | g)``, ``(x | g)``, ``(0 + x | g)``, ``(1 + x || g)``,
        ``(1 | a/b)``, ``(1 | a:b)``; see the module docstring).
    data : pandas.DataFrame
        Variables and grouping columns; no row is dropped (missing values are
        an error naming the column and row).
    method : {"REML", "ML"}, default "REML"
        Restricted or full maximum likelihood.
    df_method : {"satterthwaite", "residual", "none"}, default "satterthwaite"
        Degrees of freedom of the fixed-effect t tests: Satterthwaite as in
        lmerTest, ``n − p`` for every coefficient, or z tests.

    Returns
    -------
    MixedResult

    Raises
    ------
    InputError
        Bad formula or option, unknown column, missing data or groups, a
        grouping factor with fewer than 2 levels or as many levels as
        observations, collinear fixed or random-effect columns.

    Warns
    -----
    SingularFitWarning
        When the fit is singular (a variance at 0 or a correlation of ±1).
    RuntimeWarning
        When the optimizer did not converge.

    Notes
    -----
    Satterthwaite df follow lmerTest 3.1: the asymptotic covariance of the
    variance parameters (θ, σ) is twice the inverse of the numerical Hessian
    of the (non-profiled) deviance, and the gradient of ``Var(β̂_j)`` in (θ, σ)
    is taken numerically (central differences with Richardson extrapolation);
    ``df_j = 2 Var(β̂_j)² / (g' A g)``.  ``result.df_resid`` holds the smallest
    df (see :class:`MixedFixedEffects`).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(8), 6)
    >>> x = rng.normal(size=48)
    >>> y = 1 + 0.5 * x + rng.normal(size=8)[g] + 0.3 * rng.normal(size=48)
    >>> df = pd.DataFrame({"y": y, "x": x, "g": g})
    >>> fit = lmm("y ~ x + (1 | g)", df)
    >>> fit.params.round(4).tolist()
    [1.0988, 0.4682]
    >>> fit.variance_components[["group", "vcov"]].round(4).values.tolist()
    [['g', 0.5964], ['Residual', 0.0707]]
    >>> round(fit.llf, 4), fit.k, fit.singular
    (-21.7338, 4, False)
    >>> fit.df.round(2).tolist()  # Satterthwaite, as lmerTest: 6.99, 39.54
    [6.99, 39.54]
    """
    check_option("method", method, Method)
    check_option("df_method", df_method, DfMethod)
    model = _build(formula, data)
    return _fit(model, method=method, df_method=df_method, stacklevel=3)


def _fit(m: _Model, *, method: str, df_method: str, theta0: np.ndarray | None = None,
         stacklevel: int = 2) -> MixedResult:
    reml = method == "REML"
    theta, converged, message = _optimize(m, reml, theta0)
    s = _pls(m, theta)
    n, p = m.n, m.p
    dev = _profiled_deviance(m, theta, reml)
    sigma2 = s.r2 / (n - p if reml else n)
    sigma = math.sqrt(sigma2)
    cov = sigma2 * (m.B @ np.linalg.inv(s.RXtRX) @ m.B.T)
    names = list(m.xnames)
    beta = m.coef(s.beta)
    params = pd.Series(beta, index=names, name="coef")
    bse = pd.Series(np.sqrt(np.diag(cov)), index=names, name="std err")
    notes: list[str] = [
        f"Fitted by {'REML' if reml else 'ML'}: profiled deviance of the penalized least-squares "
        "problem (lme4's formulation, Bates et al. 2015), minimised by L-BFGS-B over θ.",
        _DF_NOTE[df_method],
    ]
    if df_method == "satterthwaite":
        dfs, extra = _satterthwaite(m, theta, sigma, reml)
        notes += extra
    elif df_method == "residual":
        dfs = np.full(p, float(n - p))
    else:
        dfs = np.full(p, np.inf)
    df = pd.Series(dfs, index=names, name="df")

    # random effects
    diag_idx, vc_rows, sigmas = [], [], []
    for t, T in zip(m.terms, _tmats(m, theta), strict=True):
        diag_idx += [t.theta_offset + j * t.pk - j * (j - 1) // 2 for j in range(t.pk)]
        Sigma = sigma2 * (T @ T.T)
        sigmas.append(Sigma)
        sd = np.sqrt(np.diag(Sigma))
        for i in range(t.pk):
            vc_rows.append((t.group, t.columns[i], "", Sigma[i, i], sd[i], np.nan))
        for j in range(t.pk):
            for i in range(j + 1, t.pk):
                corr = Sigma[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan
                vc_rows.append((t.group, t.columns[j], t.columns[i], Sigma[i, j], np.nan, corr))
    vc_rows.append((_RESIDUAL, "", "", sigma2, sigma, np.nan))
    vc = pd.DataFrame(vc_rows, columns=["group", "term1", "term2", "vcov", "std_dev", "correlation"])
    corrs = vc["correlation"].to_numpy(dtype=float)
    singular = bool(np.any(theta[diag_idx] < SINGULAR_TOL)) or bool(
        np.any(np.abs(corrs[np.isfinite(corrs)]) > 1 - 1e-6))

    ranef: dict[str, pd.DataFrame] = {}
    for t in m.terms:
        block = s.b[t.offset: t.offset + t.nlev * t.pk].reshape(t.nlev, t.pk)
        frame = pd.DataFrame(block, index=t.levels.copy(), columns=list(t.columns))
        if t.group in ranef:
            ranef[t.group] = pd.concat([ranef[t.group], frame], axis=1)
        else:
            ranef[t.group] = frame
    ngroups = {}
    for t in m.terms:
        ngroups.setdefault(t.group, t.nlev)

    eta_fixed = m.X_data @ beta
    fitted_v = eta_fixed + m.Z @ s.b
    fitted = pd.Series(fitted_v, index=m.index, name="fitted")
    residuals = pd.Series(m.y_data - fitted_v, index=m.index, name="residual")

    # Nakagawa–Schielzeth R² / Johnson (2014) random-slope variance; performance's formulas
    # variance of Xβ̂; with an intercept, from the centered non-constant columns (exactly 0 without)
    has_const = bool(m.xnames) and m.xnames[0] == CONST and np.all(m.X_data[:, 0] == 1.0)
    eta_var = m.X[:, 1:] @ s.beta[1:] if has_const else eta_fixed
    var_fixed = float(np.var(eta_var, ddof=1)) if n > 1 and eta_var.size and np.ptp(eta_var) > 0 else 0.0
    var_random = 0.0
    for t, Sigma in zip(m.terms, sigmas, strict=True):
        var_random += float(np.mean(np.einsum("ij,jk,ik->i", t.values, Sigma, t.values)))
    total = var_fixed + var_random + sigma2
    r2m, r2c = var_fixed / total, (var_fixed + var_random) / total
    icc = var_random / (var_random + sigma2)
    icc_u = var_random / total

    k = p + len(theta) + 1
    llf = -0.5 * dev
    if singular:
        notes.append(
            "Singular fit: a variance is estimated at 0 or a correlation at ±1 "
            "(θ diagonal < 1e-4, lme4's isSingular); consider a simpler random-effects structure."
        )
        warnings.warn(f"lmm({m.formula!r}): singular fit (a variance at 0 or a correlation of ±1)",
                      SingularFitWarning, stacklevel=stacklevel)
    if not converged:
        notes.append(f"The optimizer did not report convergence: {message}")
        warnings.warn(f"lmm({m.formula!r}): the optimizer did not converge: {message}",
                      RuntimeWarning, stacklevel=stacklevel)
    if any(len(t.columns) > 1 for t in m.terms):
        notes.append(
            "R² and ICC: random-slope variance by Johnson (2014), the mean over observations of z_i' Σ z_i "
            "(performance::r2_nakagawa)."
        )

    stats: dict[str, Any] = {
        "groups": ", ".join(f"{g} {k_}" for g, k_ in ngroups.items()),
        "AIC": -2 * llf + 2 * k,
        "BIC": -2 * llf + k * math.log(n),
        "R² marginal": r2m,
        "R² conditional": r2c,
        "ICC": icc,
    }
    for row in vc.itertuples(index=False):
        if row.term2 == "":
            label = "σ² residual" if row.group == _RESIDUAL else f"σ² {row.group} ({row.term1})"
            stats[label] = float(row.vcov)
    finite_df = df[np.isfinite(df.to_numpy(dtype=float))]
    df_resid = None if df_method == "none" else (float(finite_df.min()) if len(finite_df) else None)
    result = MixedFixedEffects(
        model=f"Linear mixed model ({method}, lme4 PLS)",
        dependent=m.dependent,
        params=params,
        bse=bse,
        cov=pd.DataFrame(cov, index=names, columns=names),
        cov_type="model-based",
        nobs=n,
        df_resid=df_resid,
        llf=llf,
        stats=stats,
        notes=tuple(notes),
        formula=m.formula,
        df=None if df_method == "none" else df,
    )
    return MixedResult(
        result=result,
        df=df,
        df_method=df_method,
        variance_components=vc,
        llf=llf,
        method=method,
        k=k,
        nobs=n,
        r2_marginal=r2m,
        r2_conditional=r2c,
        icc=icc,
        icc_unadjusted=icc_u,
        singular=singular,
        ranef=ranef,
        fitted=fitted,
        residuals=residuals,
        theta=pd.Series(theta, index=list(m.theta_names), name="theta"),
        sigma=sigma,
        ngroups=ngroups,
        formula=m.formula,
        converged=converged,
        notes=tuple(notes),
        _model=m,
    )


# ====================================================================== comparison
def compare_models(results: Mapping[str, MixedResult]) -> ModelComparison:
    """Compare mixed models: information criteria and likelihood-ratio tests of nested pairs.

    Parameters
    ----------
    results : mapping of str to MixedResult
        Labelled fits of the same response on the same rows.

    Returns
    -------
    ModelComparison

    Notes
    -----
    As lme4's ``anova``, REML fits are refitted by ML before comparing (REML
    likelihoods of models with different fixed effects are not comparable);
    the table then shows the ML refits (``method`` ``"ML (refit)"``).  A pair
    is nested when the response and rows agree, the fixed terms of the smaller
    model are among those of the larger one and every random term of the smaller
    model lies within a term of the larger one with the same grouping factor.
    The χ² p-value is conservative when a variance is tested (its null value
    lies on the boundary); ``p_mixture`` gives the 50:50 χ̄² mixture
    (Stram & Lee 1994) when the larger model adds one variance (with its
    covariances) and nothing else.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> g = np.repeat(np.arange(10), 5)
    >>> x = rng.normal(size=50)
    >>> y = x + rng.normal(size=10)[g] + 0.5 * rng.normal(size=50)
    >>> df = pd.DataFrame({"y": y, "x": x, "g": g})
    >>> cmp = compare_models({"intercept": lmm("y ~ 1 + (1 | g)", df),
    ...                       "slope": lmm("y ~ x + (1 | g)", df)})
    >>> cmp.table["k"].tolist(), cmp.refit
    ([3, 4], True)
    >>> float(cmp.tests["df"].iloc[0])
    1.0
    """
    if not isinstance(results, Mapping) or not results:
        raise InputError("results must be a non-empty mapping of labels to MixedResult")
    for label, r in results.items():
        if not isinstance(r, MixedResult):
            raise InputError(f"results[{label!r}] is a {type(r).__name__}, not a MixedResult")
        if r._model is None:
            raise InputError(f"results[{label!r}] has no model data (it was not made by lmm)")
    first = next(iter(results.values()))._model
    for label, r in results.items():
        m = r._model
        if m.n != first.n or m.dependent != first.dependent or not np.array_equal(m.y_data, first.y_data):
            raise InputError(
                f"results[{label!r}]: models must have the same response on the same rows to be compared "
                f"({m.dependent!r}, {m.n} rows vs {first.dependent!r}, {first.n} rows)"
            )
    refit = any(r.method == "REML" for r in results.values())
    fits: dict[str, MixedResult] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SingularFitWarning)
        for label, r in results.items():
            if r.method == "REML":
                fits[label] = _fit(r._model, method="ML", df_method="none", theta0=r.theta.to_numpy())
            else:
                fits[label] = r
    order = sorted(fits, key=lambda lab: fits[lab].k)
    rows = []
    for lab in order:
        f = fits[lab]
        rows.append({
            "method": "ML (refit)" if results[lab].method == "REML" else "ML",
            "k": f.k, "logLik": f.llf, "AIC": f.aic, "AICc": f.aicc, "BIC": f.bic,
            "R²m": f.r2_marginal, "R²c": f.r2_conditional,
        })
    table = pd.DataFrame(rows, index=pd.Index(order, name="Model"))
    tests = []
    notes = []
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            fa, fb = fits[a], fits[b]
            if fb.k <= fa.k or not _nested(fa._model, fb._model):
                continue
            chi2 = max(0.0, 2.0 * (fb.llf - fa.llf))
            d = fb.k - fa.k
            mix = _mixture_df(fa._model, fb._model)
            p_mix = math.nan
            if mix is not None:
                lo = 0.0 if mix == 0 else float(sps.chi2.sf(chi2, mix))
                if mix == 0 and chi2 == 0:
                    lo = 1.0
                p_mix = 0.5 * lo + 0.5 * float(sps.chi2.sf(chi2, mix + 1))
            tests.append({"restricted": a, "general": b, "chi2": chi2, "df": d,
                          "p": float(sps.chi2.sf(chi2, d)), "p_mixture": p_mix})
    tests_frame = pd.DataFrame(tests, columns=["restricted", "general", "chi2", "df", "p", "p_mixture"])
    if refit:
        notes.append("REML fits were refitted by maximum likelihood for the comparison (as lme4's anova).")
    notes.append(
        "k counts fixed effects + variance parameters (θ) + 1 residual variance; AICc = AIC + 2k(k+1)/(n−k−1)."
    )
    if len(tests_frame):
        notes.append(
            "LR tests of variance components: the null value lies on the boundary, so the χ² p-value is "
            "conservative; p_mixture is the 50:50 χ̄² mixture where one variance (and its covariances) is tested."
        )
    pairs = len(order) * (len(order) - 1) // 2
    if pairs and len(tests_frame) < pairs:
        notes.append(f"{pairs - len(tests_frame)} pair(s) are not nested and have no likelihood-ratio test.")
    return ModelComparison(table=table, tests=tests_frame, refit=refit, notes=tuple(notes))


def _random_contained(small: _Model, big: _Model) -> bool:
    return all(
        any(tb.group == ts.group and set(ts.columns) <= set(tb.columns) for tb in big.terms)
        for ts in small.terms
    )


def _nested(small: _Model, big: _Model) -> bool:
    return set(small.xnames) <= set(big.xnames) and _random_contained(small, big)


def _mixture_df(small: _Model, big: _Model) -> int | None:
    """m when ``big`` adds exactly one variance and its m covariances to ``small``, else None."""
    if set(small.xnames) != set(big.xnames):
        return None
    sig_s = sorted((t.group, tuple(sorted(t.columns))) for t in small.terms)
    sig_b = sorted((t.group, tuple(sorted(t.columns))) for t in big.terms)
    extra = [t for t in sig_b if t not in sig_s]
    missing = [t for t in sig_s if t not in sig_b]
    if len(extra) != 1:
        return None
    group, cols = extra[0]
    if not missing and len(cols) == 1:
        return 0
    if len(missing) == 1 and missing[0][0] == group and set(missing[0][1]) < set(cols) \
            and len(cols) == len(missing[0][1]) + 1:
        return len(missing[0][1])
    return None


__all__ = [
    "MixedFixedEffects",
    "MixedResult",
    "ModelComparison",
    "ResidualDiagnostics",
    "SingularFitWarning",
    "compare_models",
    "lmm",
]
