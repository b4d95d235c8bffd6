"""Linear panel models on a (region, year)-indexed frame, and the Hausman test.

:func:`panel_ols` fits pooled OLS, one-way (region) or two-way (region and
year) fixed effects, or random effects with the Swamy–Arora variance
components, through :mod:`linearmodels`, and returns a
:class:`PanelResult` (a :class:`~regionkit.econometrics.results.RegressionResult`
that also keeps the classical covariance for :func:`hausman`).

Conventions (checked against R ``plm`` 2.6 on Grunfeld's data, see
``tests/reference/plm``):

* Fixed-effects models have no ``const``: the within transformation absorbs
  it (as in ``plm``; Stata reports an "average" intercept instead).
* ``cov_type="unadjusted"`` is the classical covariance (``plm::vcov``);
  ``"robust"`` is White's heteroskedasticity-robust covariance with the
  ``n / (n - k)`` factor (``plm`` ``vcovHC(method="white1", type="HC1")``
  for pooled and random effects; for fixed effects linearmodels also counts
  the absorbed effects in ``k``); ``"clustered"`` (the default) clusters by
  region with the Stata small-sample factor
  ``G/(G-1) · (n-1)/(n-k)`` (``plm`` ``vcovHC(method="arellano",
  type="sss")``).
* Pooled and fixed-effects models use t inference with the residual degrees
  of freedom; random effects use z (normal) inference and a Wald χ² test of
  the slopes, as ``plm`` and Stata's ``xtreg, re`` do.
* Random effects use ``linearmodels``' ``small_sample=True`` variance
  components, which equal ``plm``'s Swamy–Arora ones for balanced *and*
  unbalanced panels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as sps

from .._checks import check_option
from ..errors import InputError
from .formula import CONST, check_full_rank, design, row_label
from .results import RegressionResult

PanelModel = Literal["pooled", "fe", "fe_twoway", "re"]
CovType = Literal["unadjusted", "robust", "clustered"]

_MODEL_NAMES = {
    "pooled": "Pooled OLS",
    "fe": "Fixed effects (within, {entity})",
    "fe_twoway": "Two-way fixed effects (within, {entity} and {time})",
    "re": "Random effects (Swamy–Arora)",
}
_INTERCEPTS = {CONST, "Intercept", "(Intercept)", "_cons"}


# ====================================================================== results
@dataclass(frozen=True)
class PanelResult(RegressionResult):
    """Result of :func:`panel_ols`: a :class:`RegressionResult` plus panel facts.

    Attributes
    ----------
    kind : str
        ``"pooled"``, ``"fe"``, ``"fe_twoway"`` or ``"re"``.
    cov_nonrobust : pandas.DataFrame or None
        The classical (non-robust) covariance of ``params`` whatever
        ``cov_type`` was used; :func:`hausman` uses it.
    entity, time : str
        Names of the two index levels (normally ``"region"`` and ``"year"``).

    Notes
    -----
    ``stats`` holds, in this order: ``"groups"`` (number of regions),
    ``"periods"``, ``"R²"`` (1 − SSR/TSS of the estimated regression: overall
    for pooled, within for fixed effects, of the quasi-demeaned regression
    for random effects; ``plm``'s ``r.squared(type="rss")``),
    ``"adj. R²"`` (``1 − (1 − R²)(n − 1)/df_resid``), ``"R² (within)"``,
    ``"R² (between)"``, ``"R² (overall)"``, then ``"F"`` and
    ``"F p-value"`` (pooled, fixed effects) or ``"Wald chi²"`` and
    ``"Wald p-value"`` (random effects), a test of all slopes using the
    chosen covariance, and for random effects ``"sigma²_u"``, ``"sigma²_e"``
    and ``"theta"`` (the mean when the panel is unbalanced).
    """

    kind: str = ""
    cov_nonrobust: pd.DataFrame | None = None
    entity: str = "region"
    time: str = "year"


@dataclass(frozen=True)
class HausmanResult:
    """Hausman test of fixed against random effects.

    Attributes
    ----------
    chi2 : float
        :math:`(b_{FE} - b_{RE})' [V_{FE} - V_{RE}]^{-1} (b_{FE} - b_{RE})`.
    df : int
        Degrees of freedom: the number of coefficients compared, or the rank
        of :math:`V_{FE} - V_{RE}` when a generalized inverse was needed.
    p : float
        Upper-tail χ² probability.
    terms : tuple of str
        The coefficients compared (common to both models, intercept excluded).
    alpha : float
        Level of the decision.
    decision : str
        The conclusion at ``alpha`` in words.
    b_fe, b_re : pandas.Series
        The compared coefficients.
    cov_diff : pandas.DataFrame
        :math:`V_{FE} - V_{RE}` (classical covariances).
    notes : tuple of str
        Caveats (generalized inverse, two-way fixed effects, covariances used).
    """

    chi2: float
    df: int
    p: float
    terms: tuple[str, ...]
    alpha: float
    decision: str
    b_fe: pd.Series
    b_re: pd.Series
    cov_diff: pd.DataFrame
    notes: tuple[str, ...] = ()

    @property
    def reject(self) -> bool:
        """Whether H0 (random effects consistent) is rejected at ``alpha``."""
        return bool(self.p < self.alpha)

    def to_frame(self) -> pd.DataFrame:
        """Per compared coefficient: FE and RE estimates, difference and sqrt(diag(V_FE − V_RE))."""
        diag = np.diag(self.cov_diff.to_numpy())
        with np.errstate(invalid="ignore"):
            se = np.where(diag > 0, np.sqrt(np.clip(diag, 0, None)), np.nan)
        return pd.DataFrame(
            {"fe": self.b_fe, "re": self.b_re, "difference": self.b_fe - self.b_re, "se of difference": se},
            index=pd.Index(self.terms, name="term"),
        )

    def summary(self) -> str:
        """The test in a few lines: statistic, df, p-value, decision, notes."""
        lines = [
            "Hausman test: fixed vs random effects",
            f"H0: the random-effects estimator is consistent (compared: {', '.join(self.terms)})",
            f"chi2({self.df}) = {self.chi2:.6g}, p = {self.p:.6g}",
            self.decision,
        ]
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)


# ====================================================================== fitting
def panel_ols(
    formula: str | None = None,
    data: pd.DataFrame | None = None,
    *,
    y: pd.Series | None = None,
    X: pd.DataFrame | None = None,
    model: PanelModel,
    cov_type: CovType = "clustered",
) -> PanelResult:
    """Fit a linear panel model by OLS on a (region, year)-indexed frame.

    Parameters
    ----------
    formula : str, optional
        ``"y ~ x1 + log(x2)"`` (see :mod:`regionkit.econometrics.formula`);
        give it with ``data``, or give ``y`` and ``X`` instead.
    data : pandas.DataFrame or regionkit.panel.Panel, optional
        Variables in columns, indexed by a two-level ``(region, year)``
        MultiIndex (a :class:`~regionkit.panel.Panel` is used through its
        ``data``).  Panels may be unbalanced.
    y : pandas.Series, optional
        Dependent variable (with ``X``, instead of ``formula``).
    X : pandas.DataFrame, optional
        Regressors, same index as ``y``; include a ``"const"`` column of ones
        for an intercept (it is dropped for fixed-effects models).
    model : {"pooled", "fe", "fe_twoway", "re"}
        Pooled OLS, region fixed effects, region and year fixed effects, or
        region random effects (Swamy–Arora).
    cov_type : {"unadjusted", "robust", "clustered"}, default "clustered"
        Classical, White-robust, or clustered by region (see the module
        docstring for the small-sample factors).

    Returns
    -------
    PanelResult

    Raises
    ------
    InputError
        Bad index (not two levels, duplicated region-year, non-numeric year),
        formula or data problems, a regressor constant within every region
        (fixed effects) or every year (two-way), collinear regressors after
        the within transformation, too few observations or groups.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.MultiIndex.from_product([["A", "B", "C"], range(2000, 2005)],
    ...                                  names=["region", "year"])
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=15)
    >>> df = pd.DataFrame({"x": x, "y": 2.0 * x + np.repeat([1.0, 2.0, 3.0], 5)
    ...                    + rng.normal(scale=0.1, size=15)}, index=idx)
    >>> fe = panel_ols("y ~ x", df, model="fe", cov_type="unadjusted")
    >>> list(fe.params.index), round(float(fe.params["x"]), 1), fe.stats["groups"]
    (['x'], 2.0, 3)
    >>> fe.df_resid
    11
    """
    check_option("model", model, PanelModel)
    check_option("cov_type", cov_type, CovType)
    if data is not None and hasattr(data, "regions") and hasattr(data, "data"):
        data = data.data  # a regionkit Panel
    spec = ""
    if formula is not None:
        if y is not None or X is not None:
            raise InputError("give either a formula with data, or y and X, not both")
        if data is None:
            raise InputError(f"formula {formula!r} needs data")
        _check_index(data.index, what="data")
        d = design(formula, data, check_rank=False)
        yv, Xv, spec = d.y, d.X, formula
    else:
        if y is None or X is None:
            raise InputError("give a formula and data, or both y and X")
        if data is not None:
            raise InputError("data is only used with a formula; with y and X leave it out")
        yv, Xv = _check_y_X(y, X)
        _check_index(yv.index, what="y")
    entity, time = _level_names(yv.index)

    if model in ("fe", "fe_twoway"):
        Xv = Xv.drop(columns=[c for c in Xv.columns if c == CONST])
    if Xv.shape[1] == 0:
        raise InputError(f"{model}: no regressors left (fixed effects absorb the constant)")
    _check_sizes(yv, Xv, model=model, entity=entity, time=time)
    _check_rank_for(Xv, model=model, entity=entity, time=time)

    lm_model = _linearmodels_model(yv, Xv, model)
    res = _fit(lm_model, model, cov_type)
    res_nr = res if cov_type == "unadjusted" else _fit(lm_model, model, "unadjusted")
    return _to_result(res, res_nr, yv, Xv, model=model, cov_type=cov_type, entity=entity, time=time, formula=spec)


def hausman(fe_result: RegressionResult, re_result: RegressionResult, *, alpha: float = 0.05) -> HausmanResult:
    """Classic Hausman test of fixed effects against random effects.

    .. math::

        H = (b_{FE} - b_{RE})' \\, [V_{FE} - V_{RE}]^{-1} \\, (b_{FE} - b_{RE})
        \\sim \\chi^2_k

    on the ``k`` coefficients both models estimate (the time-varying
    regressors; the intercept is left out), with the **classical
    (non-robust) covariances**, as ``plm::phtest``'s default and Stata's
    ``hausman``.  Under H0 (regressors uncorrelated with the region effects)
    both estimators are consistent and random effects is efficient.

    Results of :func:`panel_ols` carry their classical covariance whatever
    ``cov_type`` they were fitted with; other results must have
    ``cov_type == "nonrobust"``.  When ``V_FE − V_RE`` is not positive
    definite (possible in finite samples) the Moore–Penrose generalized
    inverse is used and ``df`` is its rank; a note says so.

    Parameters
    ----------
    fe_result : RegressionResult
        Fixed-effects fit (``panel_ols(..., model="fe")``).
    re_result : RegressionResult
        Random-effects fit of the same formula and data.
    alpha : float, default 0.05
        Level of the stated decision.

    Returns
    -------
    HausmanResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> idx = pd.MultiIndex.from_product([range(8), range(2000, 2006)], names=["region", "year"])
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=48), "z": rng.normal(size=48)}, index=idx)
    >>> df["y"] = df.x - df.z + np.repeat(rng.normal(size=8), 6) + rng.normal(size=48)
    >>> fe = panel_ols("y ~ x + z", df, model="fe")
    >>> re = panel_ols("y ~ x + z", df, model="re")
    >>> h = hausman(fe, re)
    >>> h.terms, h.df
    (('x', 'z'), 2)
    """
    if not isinstance(fe_result, RegressionResult) or not isinstance(re_result, RegressionResult):
        raise InputError("hausman needs two RegressionResult objects (fixed effects, random effects)")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    kinds = (getattr(fe_result, "kind", ""), getattr(re_result, "kind", ""))
    if kinds[0] and kinds[0] not in ("fe", "fe_twoway"):
        raise InputError(f"hausman: the first result must be a fixed-effects fit, not {kinds[0]!r}")
    if kinds[1] and kinds[1] != "re":
        raise InputError(f"hausman: the second result must be a random-effects fit, not {kinds[1]!r}")
    if fe_result.dependent != re_result.dependent or fe_result.nobs != re_result.nobs:
        raise InputError(
            "hausman: the two fits differ in dependent variable or number of observations "
            f"({fe_result.dependent!r}, N={fe_result.nobs} vs {re_result.dependent!r}, N={re_result.nobs})"
        )
    v_fe = _classical_cov(fe_result, "fixed-effects")
    v_re = _classical_cov(re_result, "random-effects")
    terms = tuple(t for t in fe_result.params.index if t in re_result.params.index and t not in _INTERCEPTS)
    if not terms:
        raise InputError("hausman: the two fits have no slope coefficient in common")
    b_fe = fe_result.params[list(terms)].astype(float)
    b_re = re_result.params[list(terms)].astype(float)
    diff = (b_fe - b_re).to_numpy()
    vd = v_fe.loc[list(terms), list(terms)].to_numpy(float) - v_re.loc[list(terms), list(terms)].to_numpy(float)
    vd = (vd + vd.T) / 2
    notes: list[str] = []
    eig = np.linalg.eigvalsh(vd)
    tol = max(vd.shape) * np.finfo(float).eps * max(np.abs(eig).max(), np.finfo(float).tiny)
    if eig.min() > tol:
        chi2 = float(diff @ np.linalg.solve(vd, diff))
        df = len(terms)
    else:
        chi2 = float(diff @ np.linalg.pinv(vd, rcond=tol / max(np.abs(eig).max(), np.finfo(float).tiny), hermitian=True) @ diff)
        df = int((eig > tol).sum())
        notes.append(
            f"V_FE − V_RE is not positive definite (eigenvalues {', '.join(f'{e:.3g}' for e in eig)}); "
            f"the Moore–Penrose generalized inverse was used and df = its rank ({df})"
        )
        if df == 0:
            raise InputError("hausman: V_FE − V_RE has no positive eigenvalue; the test is not defined")
    p = float(sps.chi2.sf(chi2, df)) if chi2 >= 0 else 1.0
    if chi2 < 0:
        notes.append("the statistic is negative (V_FE − V_RE is indefinite); treat the test as uninformative")
    if kinds[0] == "fe_twoway":
        notes.append(
            "fixed effects are two-way but random effects are one-way (region); "
            "a rejection may also reflect omitted year effects"
        )
    if fe_result.cov_type != "nonrobust" or re_result.cov_type != "nonrobust":
        notes.append(
            "classical (non-robust) covariances are used, as plm::phtest's default, "
            f"not the models' {fe_result.cov_type} / {re_result.cov_type} ones"
        )
    level = f"{100 * alpha:g}%"
    if p < alpha:
        decision = (
            f"Reject H0 at the {level} level (p = {p:.4g}): fixed and random effects differ "
            "systematically, so random effects is inconsistent; prefer fixed effects."
        )
    else:
        decision = (
            f"Do not reject H0 at the {level} level (p = {p:.4g}): no systematic difference; "
            "random effects is consistent and efficient."
        )
    return HausmanResult(
        chi2=chi2, df=df, p=p, terms=terms, alpha=alpha, decision=decision,
        b_fe=b_fe, b_re=b_re, cov_diff=pd.DataFrame(vd, index=list(terms), columns=list(terms)),
        notes=tuple(notes),
    )


# ====================================================================== helpers
def _classical_cov(result: RegressionResult, what: str) -> pd.DataFrame:
    cov = getattr(result, "cov_nonrobust", None)
    if cov is not None:
        return cov
    if result.cov_type == "nonrobust":
        return result.cov
    raise InputError(
        f"hausman: the {what} result has cov_type {result.cov_type!r}; the test needs classical "
        "covariances (fit with regionkit's panel_ols, or with cov_type='unadjusted')"
    )


def _check_index(index: pd.Index, *, what: str) -> None:
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise InputError(
            f"{what}: panel models need a two-level (region, year) MultiIndex, "
            f"got {type(index).__name__} with {index.nlevels} level(s)"
        )
    dup = index.duplicated()
    if dup.any():
        pos = int(np.argmax(dup))
        raise InputError(f"{what}: {int(dup.sum())} duplicated region-year(s), first {row_label(index, pos)}")
    years = index.get_level_values(1)
    if not (pd.api.types.is_numeric_dtype(years) or pd.api.types.is_datetime64_any_dtype(years)):
        raise InputError(f"{what}: the second index level ({index.names[1] or 'year'}) must be numeric years or dates, not {years.dtype}")


def _level_names(index: pd.MultiIndex) -> tuple[str, str]:
    entity = str(index.names[0]) if index.names[0] is not None else "region"
    time = str(index.names[1]) if index.names[1] is not None else "year"
    return entity, time


def _check_y_X(y: pd.Series, X: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    if not isinstance(y, pd.Series):
        raise InputError(f"y must be a pandas Series, not {type(y).__name__}")
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"X must be a pandas DataFrame, not {type(X).__name__}")
    if not y.index.equals(X.index):
        raise InputError("y and X must have the same (region, year) index, in the same order")
    if X.columns.duplicated().any():
        raise InputError(f"X: duplicated column name(s) {list(X.columns[X.columns.duplicated()])}")
    for name, s in [(y.name if y.name is not None else "y", y), *X.items()]:
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            raise InputError(f"column {name!r} is not numeric (dtype {s.dtype})")
        v = s.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(v)
        if bad.any():
            raise InputError(
                f"column {name!r}: {int(bad.sum())} missing or non-finite value(s), "
                f"first at {row_label(s.index, int(np.argmax(bad)))}"
            )
    y = y.astype(float).rename(str(y.name) if y.name is not None else "y")
    X = X.astype(float).rename(columns=str)
    return y, X


def _check_sizes(y: pd.Series, X: pd.DataFrame, *, model: str, entity: str, time: str) -> None:
    n, k = X.shape
    groups = y.index.get_level_values(0).nunique()
    periods = y.index.get_level_values(1).nunique()
    absorbed = {"pooled": 0, "re": 0, "fe": groups, "fe_twoway": groups + periods - 1}[model]
    if model != "pooled" and groups < 2:
        raise InputError(f"{model}: needs at least 2 {entity}s, got {groups}")
    if model == "fe_twoway" and periods < 2:
        raise InputError(f"{model}: needs at least 2 {time}s, got {periods}")
    if n <= k + absorbed:
        extra = f" and {absorbed} absorbed effect(s)" if absorbed else ""
        raise InputError(
            f"{model}: too few observations: {n} row(s) for {k} coefficient(s){extra}; "
            "no residual degrees of freedom left"
        )


def _check_rank_for(X: pd.DataFrame, *, model: str, entity: str, time: str) -> None:
    if model in ("pooled", "re"):
        check_full_rank(X, what=model)
        return
    ids = X.index.get_level_values(0)
    within_e = X - X.groupby(ids).transform("mean")
    scale = np.maximum(X.abs().max(), 1.0)
    for col in X.columns:
        if (within_e[col].abs() <= 1e-10 * scale[col]).all():
            raise InputError(
                f"{model}: regressor {col!r} is constant within every {entity}, so the {entity} fixed "
                "effects absorb it; drop it, or use model='re' or 'pooled' to estimate it"
            )
    if model == "fe":
        check_full_rank(within_e, what=f"{model} (after removing {entity} means)")
        return
    times = X.index.get_level_values(1)
    within_t = X - X.groupby(times).transform("mean")
    for col in X.columns:
        if (within_t[col].abs() <= 1e-10 * scale[col]).all():
            raise InputError(
                f"{model}: regressor {col!r} is the same for every {entity} in each {time}, so the "
                f"{time} fixed effects absorb it; drop it or use model='fe'"
            )
    check_full_rank(_two_way_within(X), what=f"{model} (after removing {entity} and {time} effects)")


def _two_way_within(X: pd.DataFrame) -> pd.DataFrame:
    """Residuals of X on region and year dummies (alternating projections; exact when balanced)."""
    ids = X.index.get_level_values(0)
    times = X.index.get_level_values(1)
    out = X - X.groupby(ids).transform("mean")
    for _ in range(10_000):
        step = out.groupby(times).transform("mean")
        out = out - step
        step2 = out.groupby(ids).transform("mean")
        out = out - step2
        if max(np.abs(step.to_numpy()).max(), np.abs(step2.to_numpy()).max()) <= 1e-13 * max(
            np.abs(X.to_numpy()).max(), 1.0
        ):
            break
    return out


def _linearmodels_model(y: pd.Series, X: pd.DataFrame, model: str):
    from linearmodels.panel import PanelOLS, PooledOLS, RandomEffects

    if model == "pooled":
        return PooledOLS(y, X)
    if model == "re":
        return RandomEffects(y, X)
    return PanelOLS(y, X, entity_effects=True, time_effects=(model == "fe_twoway"))


def _fit(lm_model, model: str, cov_type: str):
    kwargs: dict = {"cov_type": cov_type}
    if cov_type == "clustered":
        kwargs.update(cluster_entity=True, group_debias=True)
    if model == "re":
        kwargs["small_sample"] = True
    try:
        return lm_model.fit(**kwargs)
    except (ValueError, np.linalg.LinAlgError) as err:
        raise InputError(f"{model}: linearmodels could not fit the model: {err}") from err


def _to_result(res, res_nr, y, X, *, model, cov_type, entity, time, formula) -> PanelResult:
    names = list(X.columns)
    params = pd.Series(np.asarray(res.params, float), index=names, name="coef")
    bse = pd.Series(np.asarray(res.std_errors, float), index=names, name="std err")
    cov = pd.DataFrame(np.asarray(res.cov, float), index=names, columns=names)
    cov_nr = pd.DataFrame(np.asarray(res_nr.cov, float), index=names, columns=names)
    n = int(res.nobs)
    groups = int(y.index.get_level_values(0).nunique())
    periods = int(y.index.get_level_values(1).nunique())
    df_resid = int(res.df_resid)
    r2 = float(res.rsquared)
    stats: dict = {
        "groups": groups,
        "periods": periods,
        "R²": r2,
        "adj. R²": 1 - (1 - r2) * (n - 1) / df_resid,
        "R² (within)": float(res.rsquared_within),
        "R² (between)": float(res.rsquared_between),
        "R² (overall)": float(res.rsquared_overall),
    }
    slopes = [c for c in names if c != CONST]
    if slopes:
        ftest = res.f_statistic_robust if cov_type != "unadjusted" else res.f_statistic
        if model == "re":
            wald = float(ftest.stat) * ftest.df
            stats["Wald chi²"] = wald
            stats["Wald p-value"] = float(sps.chi2.sf(wald, ftest.df))
        else:
            stats["F"] = float(ftest.stat)
            stats["F p-value"] = float(ftest.pval)
    if model == "re":
        vd = res.variance_decomposition
        stats["sigma²_u"] = float(vd["Effects"])
        stats["sigma²_e"] = float(vd["Residual"])
        theta = np.asarray(res.theta, float).ravel()
        stats["theta"] = float(theta.mean())
    notes: list[str] = []
    if model == "re" and len(np.unique(np.round(np.asarray(res.theta, float), 12))) > 1:
        notes.append("unbalanced panel: theta varies by region; the mean is shown")
    label = {"unadjusted": "nonrobust", "robust": "robust", "clustered": f"cluster({entity})"}[cov_type]
    return PanelResult(
        model=_MODEL_NAMES[model].format(entity=entity, time=time),
        dependent=str(y.name),
        params=params,
        bse=bse,
        cov=cov,
        cov_type=label,
        nobs=n,
        df_resid=None if model == "re" else df_resid,
        llf=float(res.loglik) if model == "pooled" else None,
        stats=stats,
        notes=tuple(notes),
        formula=formula,
        kind=model,
        cov_nonrobust=cov_nr,
        entity=entity,
        time=time,
    )


__all__ = ["CovType", "HausmanResult", "PanelModel", "PanelResult", "hausman", "panel_ols"]
