"""Urban indicator systems, obstacle degrees, population shrinkage, structure rationalisation, ratios.

Indicator systems
-----------------
An *indicator system* groups indicators into dimensions (e.g. "economy",
"society", "environment" of urban resilience), each indicator with a
direction.  :func:`indicator_system_index` min-max normalises the indicators
(:func:`~regionkit.indices.normalize.minmax`), weights them and aggregates.
Two conventions are common in the literature and both are supported:

(a) ``dimension_weights="sum"`` (the default): **one** weighting over all
    indicators (entropy, equal or user weights); a dimension's score is the
    sum of its indicators' weighted values, ``U_d = Σ_{j∈d} w_j z_j``, and the
    total index is the sum of the dimension scores, ``U = Σ_d U_d = Σ_j w_j z_j``.
    The implied weight of a dimension is ``W_d = Σ_{j∈d} w_j``.
(b) ``dimension_weights="entropy" | "equal" | {dimension: weight}``: weights
    **within** each dimension (summing to 1 in each), dimension scores
    ``U_d = Σ_{j∈d} w_j^{(d)} z_j`` in ``[0, 1]`` (plus the shift), then
    dimension weights ``W_d`` (entropy weights of the dimension scores
    themselves, equal, or given) and ``U = Σ_d W_d U_d``.  The overall weight
    of an indicator is ``W_d · w_j^{(d)}``.

Both give an overall weight per indicator that sums to 1.

Obstacle degree
---------------
The obstacle-degree model ranks what holds a city back:
``O_ij = F_j I_ij / Σ_k F_k I_ik`` with the factor contribution ``F_j`` (the
overall weight of indicator ``j``) and the deviation ``I_ij = 1 − x_ij``
(``x_ij`` the min-max normalised value in ``[0, 1]`` *without* the shift).
The obstacle degree of a dimension is the sum over its indicators; in every
row the indicator degrees sum to 1 (:func:`obstacle_degree`).

Population change, rationalisation, ratios
------------------------------------------
:func:`population_change` measures shrinkage as registered (hukou) minus
resident (de facto) population; :func:`rationalization` is the Theil-type
industrial-structure rationalisation index (Gan, Zheng & Yu 2011);
:func:`ratio_indicator` builds ratios such as informatisation
``(mobile users + internet users) / population`` with named errors.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import check_columns, check_option
from ..errors import ComputationError, InputError
from .composite import Weighting, composite_index
from .entropy import entropy_weights
from .normalize import Scope, ShiftMode, check_directions, minmax

DimensionWeighting = Literal["entropy", "equal", "sum"]
OnUndefined = Literal["raise", "nan"]
PopulationTolerance = Literal["absolute", "relative"]
RationalizationForm = Literal["theil", "deviation"]

SHRINKING = "shrinking"
GROWING = "growing"
STABLE = "stable"

_MAX_NAMED = 5


# ====================================================================== helpers
def _value(name: Hashable, value: Any) -> str:
    if isinstance(value, (int, np.integer)):
        return f"{name} {value}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{name} {int(value)}"
    return f"{name} {value!r}"


def _where(index: pd.Index, position: int) -> str:
    """Describe one row: ``"city 'A', year 2001"``, ``"city 'A'"`` or ``"row 'A'"``."""
    label = index[position]
    names = list(index.names)
    if isinstance(index, pd.MultiIndex):
        return ", ".join(
            _value(n if n is not None else f"level {k}", v)
            for k, (n, v) in enumerate(zip(names, label, strict=True))
        )
    return _value(index.name if index.name is not None else "row", label)


def _cells(index: pd.Index, columns: Sequence[Any] | None, rows: np.ndarray, cols: np.ndarray | None,
           values: np.ndarray | None = None, column_word: str = "column") -> str:
    parts = []
    for k in range(min(len(rows), _MAX_NAMED)):
        text = _where(index, int(rows[k]))
        if columns is not None and cols is not None:
            text += f", {column_word} {str(columns[int(cols[k])])!r}"
        if values is not None:
            v = values[k]
            text += " (missing)" if not np.isfinite(v) else f" (value {v:g})"
        parts.append(text)
    more = f" and {len(rows) - _MAX_NAMED} more" if len(rows) > _MAX_NAMED else ""
    return "; ".join(parts) + more


def _numeric_frame(frame: pd.DataFrame, what: str) -> np.ndarray:
    bad_cols = [
        str(c) for c in frame.columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
    ]
    if bad_cols:
        raise InputError(f"{what}: column(s) {bad_cols} are not numeric")
    return frame.to_numpy(dtype=float, na_value=np.nan)


def _numeric_series(series: pd.Series, what: str) -> np.ndarray:
    if not isinstance(series, pd.Series):
        raise InputError(f"{what} must be a pandas Series, not {type(series).__name__}")
    if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        raise InputError(f"{what} is not numeric (dtype {series.dtype})")
    return series.to_numpy(dtype=float, na_value=np.nan)


def _same_labels(first: pd.Index, other: pd.Index, what: str, first_name: str, other_name: str) -> None:
    if first.has_duplicates:
        dup = first[first.duplicated()].unique()
        raise InputError(f"{what}: duplicate row label(s) in {first_name}: {list(dup[:_MAX_NAMED])}")
    if other.has_duplicates:
        dup = other[other.duplicated()].unique()
        raise InputError(f"{what}: duplicate row label(s) in {other_name}: {list(dup[:_MAX_NAMED])}")
    if first.equals(other):
        return
    only_first = first.difference(other)
    only_other = other.difference(first)
    if len(only_first) or len(only_other):
        raise InputError(
            f"{what}: the row labels of {first_name} and {other_name} differ; "
            f"only in {first_name}: {list(only_first[:_MAX_NAMED])}, "
            f"only in {other_name}: {list(only_other[:_MAX_NAMED])}"
        )


# ====================================================================== indicator systems
@dataclass(frozen=True)
class IndicatorSystemResult:
    """Dimension scores and total index of a multi-dimension indicator system.

    Attributes
    ----------
    name : str
        Name of the total index (column of :meth:`to_frame`).
    total : pandas.Series
        Total index per row (city or city-year).
    scores : pandas.DataFrame
        One column per dimension: the dimension scores ``U_d``.
    normalized : pandas.DataFrame
        Min-max normalised indicators *with* the shift (used for weights and scores).
    standardized : pandas.DataFrame
        Min-max normalised indicators in ``[0, 1]`` *without* the shift (used
        for the deviation of :func:`obstacle_degree`).
    weights : pandas.DataFrame
        One row per indicator: ``dimension``, ``indicator``, ``direction``,
        ``weight_within`` (weight within its dimension; sums to 1 per
        dimension), ``weight`` (overall weight; sums to 1), ``entropy`` and
        ``divergence`` of the entropy step that produced the indicator weight
        (NaN for equal or user weights).
    dimension_weights : pandas.DataFrame
        Indexed by dimension: ``weight`` (sums to 1), ``entropy``, ``divergence``
        (NaN unless the dimension weights are entropy weights).
    system : dict
        Dimension -> tuple of its indicators.
    method : str
        The convention and options, in words.
    """

    name: str
    total: pd.Series
    scores: pd.DataFrame
    normalized: pd.DataFrame
    standardized: pd.DataFrame
    weights: pd.DataFrame
    dimension_weights: pd.DataFrame
    system: dict
    method: str

    @property
    def indicator_weights(self) -> pd.Series:
        """Overall weight of every indicator (sums to 1), indexed by indicator."""
        return self.weights.set_index("indicator")["weight"]

    def to_frame(self) -> pd.DataFrame:
        """Dimension scores and the total index (last column)."""
        out = self.scores.copy()
        out[self.name] = self.total
        return out

    def summary(self) -> str:
        """The method, the dimension weights and the indicator weights."""
        lines = [f"Indicator system {self.name!r}: {self.method}", "Dimension weights:"]
        for d, r in self.dimension_weights.iterrows():
            lines.append(f"  {str(d):<24} W={r['weight']:.4f}")
        lines.append("Indicator weights (within dimension / overall):")
        for _, r in self.weights.iterrows():
            lines.append(
                f"  {r['dimension']:<16} {r['indicator']:<24} ({r['direction']}) "
                f"w_d={r['weight_within']:.4f}  w={r['weight']:.4f}"
            )
        return "\n".join(lines)


def _check_system(frame: pd.DataFrame, system: Mapping[str, Mapping[str, str]]) -> tuple[dict, dict]:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame must be a pandas DataFrame, not {type(frame).__name__}")
    if not isinstance(system, Mapping) or not system:
        raise InputError("system must be a non-empty mapping: dimension -> {indicator: 'positive' | 'negative'}")
    dims: dict[str, tuple[str, ...]] = {}
    dirs: dict[str, str] = {}
    owner: dict[str, str] = {}
    for dim, inds in system.items():
        if not isinstance(inds, Mapping) or not inds:
            raise InputError(f"dimension {dim!r} has no indicators; give {{indicator: 'positive' | 'negative'}}")
        for ind, direction in inds.items():
            if ind in owner:
                raise InputError(f"indicator {ind!r} appears in dimensions {owner[ind]!r} and {dim!r}; "
                                 "an indicator belongs to one dimension")
            owner[ind] = str(dim)
            dirs[str(ind)] = direction
        dims[str(dim)] = tuple(str(i) for i in inds)
    check_columns(frame, list(dirs), what="indicator system")
    dirs = check_directions(list(dirs), dirs)
    return dims, dirs


def _user_dimension_weights(given: Mapping[str, float], dims: list[str]) -> pd.Series:
    unknown = [k for k in given if k not in dims]
    missing = [d for d in dims if d not in given]
    if unknown or missing:
        raise InputError(f"dimension_weights name unknown dimension(s) {unknown} / miss {missing}; dimensions: {dims}")
    w = pd.Series({d: float(given[d]) for d in dims})
    if (~np.isfinite(w)).any() or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"dimension_weights must be finite, non-negative and not all zero: {dict(w)}")
    return w / w.sum()


def indicator_system_index(
    frame: pd.DataFrame,
    system: Mapping[str, Mapping[str, str]],
    *,
    name: str = "total",
    weighting: Weighting = "entropy",
    weights: Mapping[str, float] | None = None,
    dimension_weights: DimensionWeighting | Mapping[str, float] = "sum",
    scope: Scope = "global",
    shift: float = 0.0001,
    shift_mode: ShiftMode = "add",
    year_level: str = "year",
) -> IndicatorSystemResult:
    """Dimension scores and total index of a multi-dimension indicator system.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indicators in columns (extra columns are ignored); rows are cities or
        city-years.
    system : mapping
        Dimension -> {indicator -> ``"positive"`` | ``"negative"``}; every
        indicator belongs to exactly one dimension.
    name : str
        Name of the total index.
    weighting : {"entropy", "equal", "user"}
        How indicator weights are made: over all indicators for
        ``dimension_weights="sum"``, within each dimension otherwise.
        ``"user"`` needs ``weights`` (for the within-dimension conventions
        they are rescaled to sum to 1 in each dimension).
    weights : mapping, optional
        User weight per indicator (non-negative).
    dimension_weights : {"sum", "entropy", "equal"} or mapping
        ``"sum"``: convention (a) of the module docstring — one weighting over
        all indicators, dimension score = sum of its weighted indicators,
        total = sum of the dimensions.  ``"entropy"`` / ``"equal"`` / a mapping
        dimension -> weight: convention (b) — weights within each dimension,
        then entropy weights of the dimension scores (not normalised again),
        equal weights, or the given (rescaled) weights.
    scope : {"global", "year"}
        Normalisation extremes over all rows or within years.
    shift, shift_mode
        Passed to :func:`~regionkit.indices.normalize.minmax` (default: add 0.0001
        so that entropy logarithms stay finite).
    year_level : str
        Index level with the year (for ``scope="year"``).

    Returns
    -------
    IndicatorSystemResult

    Raises
    ------
    InputError
        Unknown indicator (the available columns are listed), an indicator in
        two dimensions, an empty dimension, a bad direction or option, missing
        values or a constant indicator (named), bad user weights.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.urban import indicator_system_index
    >>> f = pd.DataFrame({"gdp": [1.0, 2.0, 4.0], "unemp": [6.0, 5.0, 3.0], "green": [0.2, 0.4, 0.3]},
    ...                  index=pd.Index(["A", "B", "C"], name="city"))
    >>> system = {"economy": {"gdp": "positive", "unemp": "negative"}, "ecology": {"green": "positive"}}
    >>> r = indicator_system_index(f, system, weighting="equal", shift=0.0)
    >>> r.to_frame().round(4).to_dict("list")
    {'economy': [0.0, 0.2222, 0.6667], 'ecology': [0.0, 0.3333, 0.1667], 'total': [0.0, 0.5556, 0.8333]}
    >>> r2 = indicator_system_index(f, system, weighting="equal", dimension_weights="equal", shift=0.0)
    >>> r2.scores["economy"].round(4).tolist(), r2.total.round(4).tolist()
    ([0.0, 0.3333, 1.0], [0.0, 0.6667, 0.75])
    """
    check_option("weighting", weighting, Weighting)
    dims, dirs = _check_system(frame, system)
    if isinstance(dimension_weights, str):
        check_option("dimension_weights", dimension_weights, DimensionWeighting)
    elif not isinstance(dimension_weights, Mapping):
        raise InputError("dimension_weights must be 'sum', 'entropy', 'equal' or a mapping dimension -> weight")
    cols = list(dirs)
    data = frame[cols]
    standardized = minmax(data, dirs, scope=scope, shift=0.0, year_level=year_level)
    common = dict(weighting=weighting, scope=scope, shift=shift, shift_mode=shift_mode, year_level=year_level)
    dim_names = list(dims)
    rows = []
    if isinstance(dimension_weights, str) and dimension_weights == "sum":
        ci = composite_index(data, dirs, name=name, weights=weights, **common)
        z = ci.normalized
        wt = ci.weights.set_index("indicator")
        w = wt["weight"]
        scores = pd.DataFrame(
            {d: z[list(inds)].to_numpy() @ w[list(inds)].to_numpy() for d, inds in dims.items()},
            index=frame.index,
        )
        dim_w = pd.Series({d: float(w[list(inds)].sum()) for d, inds in dims.items()})
        dim_table = pd.DataFrame({"weight": dim_w, "entropy": np.nan, "divergence": np.nan})
        for d, inds in dims.items():
            for ind in inds:
                within = float(w[ind] / dim_w[d]) if dim_w[d] > 0 else float("nan")
                rows.append((d, ind, dirs[ind], within, float(w[ind]),
                             float(wt.loc[ind, "entropy"]), float(wt.loc[ind, "divergence"])))
        total = scores.sum(axis=1)
        method = (f"convention (a): {weighting} weights over all {len(cols)} indicators; "
                  "dimension score = sum of its weighted indicators; total = sum of dimension scores")
    else:
        per_dim = {}
        score_cols = {}
        z_parts = []
        for d, inds in dims.items():
            sub_w = None
            if weighting == "user":
                if weights is None:
                    raise InputError(f"weighting='user' needs weights for {cols}")
                missing = [i for i in inds if i not in weights]
                if missing:
                    raise InputError(f"dimension {d!r}: user weights miss indicator(s) {missing}")
                sub_w = {i: weights[i] for i in inds}
            try:
                ci = composite_index(data[list(inds)], {i: dirs[i] for i in inds}, name=d, weights=sub_w, **common)
            except InputError as exc:
                raise InputError(f"dimension {d!r}: {exc}") from exc
            per_dim[d] = ci
            score_cols[d] = ci.score.to_numpy()
            z_parts.append(ci.normalized)
        if weighting == "user" and weights is not None:
            unknown = [k for k in weights if k not in dirs]
            if unknown:
                raise InputError(f"user weights name unknown indicator(s) {unknown}; indicators: {cols}")
        z = pd.concat(z_parts, axis=1)[cols]
        scores = pd.DataFrame(score_cols, index=frame.index)
        if isinstance(dimension_weights, Mapping):
            dim_w = _user_dimension_weights(dimension_weights, dim_names)
            dim_table = pd.DataFrame({"weight": dim_w, "entropy": np.nan, "divergence": np.nan})
            how = "given dimension weights"
        elif dimension_weights == "equal":
            dim_w = pd.Series(1.0 / len(dim_names), index=dim_names)
            dim_table = pd.DataFrame({"weight": dim_w, "entropy": np.nan, "divergence": np.nan})
            how = "equal dimension weights"
        else:
            if len(dim_names) == 1:
                dim_w = pd.Series([1.0], index=dim_names)
                dim_table = pd.DataFrame({"weight": dim_w, "entropy": np.nan, "divergence": np.nan})
            else:
                try:
                    ew = entropy_weights(scores)
                except InputError as exc:
                    raise InputError(f"dimension scores: {exc}") from exc
                dim_w = ew.weights.rename(None)
                dim_w.index = pd.Index(dim_names)
                dim_table = pd.DataFrame({"weight": dim_w, "entropy": ew.entropy.to_numpy(),
                                          "divergence": ew.divergence.to_numpy()}, index=dim_names)
            how = "entropy weights of the dimension scores"
        for d, inds in dims.items():
            wt = per_dim[d].weights.set_index("indicator")
            for ind in inds:
                within = float(wt.loc[ind, "weight"])
                rows.append((d, ind, dirs[ind], within, float(dim_w[d]) * within,
                             float(wt.loc[ind, "entropy"]), float(wt.loc[ind, "divergence"])))
        total = pd.Series(scores.to_numpy() @ dim_w[dim_names].to_numpy(), index=frame.index)
        method = (f"convention (b): {weighting} weights within each dimension, {how}; "
                  "total = weighted sum of dimension scores")
    dim_table.index = pd.Index(dim_names, name="dimension")
    method += f" (min-max normalisation, scope {scope}; shift {shift:g}, {shift_mode})"
    return IndicatorSystemResult(
        name=name,
        total=total.rename(name),
        scores=scores,
        normalized=z,
        standardized=standardized,
        weights=pd.DataFrame(rows, columns=["dimension", "indicator", "direction", "weight_within",
                                            "weight", "entropy", "divergence"]),
        dimension_weights=dim_table,
        system=dims,
        method=method,
    )


# ====================================================================== obstacle degree
@dataclass(frozen=True)
class ObstacleResult:
    """Obstacle degrees per indicator and per dimension, and the main obstacles of every row.

    Attributes
    ----------
    indicator : pandas.DataFrame
        Obstacle degree ``O_ij`` of every indicator (columns) in every row; rows sum to 1.
    dimension : pandas.DataFrame or None
        Obstacle degree of every dimension (sum over its indicators); ``None``
        when no dimensions were given.
    top : pandas.DataFrame
        The ``top_k`` largest obstacles of every row: the input index plus a
        level ``rank`` (1 = largest); columns ``indicator``, ``dimension``
        (``None`` without dimensions) and ``degree``.  Ties keep the
        indicator order.
    factor_contribution : pandas.Series
        ``F_j`` (the indicator weights), indexed by indicator.
    deviation : pandas.DataFrame
        ``I_ij = 1 − x_ij``.
    top_k : int
        Number of obstacles listed per row.
    """

    indicator: pd.DataFrame
    dimension: pd.DataFrame | None
    top: pd.DataFrame
    factor_contribution: pd.Series
    deviation: pd.DataFrame
    top_k: int

    def top_wide(self) -> pd.DataFrame:
        """The main obstacles one row per city: ``obstacle_1``, ``degree_1``, ``obstacle_2``, …"""
        n_levels = self.top.index.nlevels - 1
        parts = {}
        for k in range(1, self.top_k + 1):
            sel = self.top.xs(k, level="rank")
            parts[f"obstacle_{k}"] = sel["indicator"]
            parts[f"degree_{k}"] = sel["degree"]
        out = pd.DataFrame(parts)
        if n_levels == 1:
            out.index.name = self.indicator.index.name
        return out

    def to_frame(self) -> pd.DataFrame:
        """Indicator degrees, then dimension degrees; columns ``(level, name)``."""
        parts = {"indicator": self.indicator}
        if self.dimension is not None:
            parts["dimension"] = self.dimension
        return pd.concat(parts, axis=1, names=["level", "name"])

    def summary(self) -> str:
        """Mean obstacle degree of every indicator (largest first) and the most frequent main obstacle."""
        mean = self.indicator.mean().sort_values(ascending=False)
        lines = [f"Obstacle degrees over {len(self.indicator)} rows (mean, largest first):"]
        lines += [f"  {str(k):<24} {v:.4f}" for k, v in mean.items()]
        if self.dimension is not None:
            lines.append("Dimensions (mean):")
            lines += [f"  {str(k):<24} {v:.4f}"
                      for k, v in self.dimension.mean().sort_values(ascending=False).items()]
        first = self.top.xs(1, level="rank")["indicator"].value_counts()
        if len(first):
            lines.append(f"Most frequent main obstacle: {first.index[0]!r} ({int(first.iloc[0])} of {len(self.indicator)} rows)")
        return "\n".join(lines)


def obstacle_degree(
    source: IndicatorSystemResult | pd.DataFrame,
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    system: Mapping[str, Sequence[str]] | None = None,
    top_k: int = 3,
    on_undefined: OnUndefined = "raise",
) -> ObstacleResult:
    """Obstacle degrees ``O_ij = F_j I_ij / Σ_k F_k I_ik`` per indicator and per dimension.

    Parameters
    ----------
    source : IndicatorSystemResult or pandas.DataFrame
        A result of :func:`indicator_system_index` (its ``standardized``
        values, overall indicator weights and dimensions are used), or
        min-max normalised indicators in ``[0, 1]`` (rows cities, columns
        indicators) together with ``weights``.
    weights : mapping or Series, optional
        Factor contribution ``F_j`` per indicator (non-negative), required
        with a DataFrame ``source``; overrides the result's weights otherwise.
    system : mapping, optional
        Dimension -> indicators, for dimension degrees with a DataFrame
        ``source`` (taken from the result otherwise).
    top_k : int
        How many main obstacles to list per row.
    on_undefined : {"raise", "nan"}
        A row with ``Σ_k F_k I_ik = 0`` (best on every weighted indicator)
        has no defined obstacle degrees: raise a ComputationError naming
        it, or return NaN for that row.

    Returns
    -------
    ObstacleResult

    Raises
    ------
    InputError
        Values outside ``[0, 1]`` or missing (named by row and indicator),
        missing or negative weights, an unknown indicator in ``system``.
    ComputationError
        With ``on_undefined="raise"``, rows without any deviation (named).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.urban import obstacle_degree
    >>> x = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [1.0, 0.5, 0.0]}, index=pd.Index(["A", "B", "C"], name="city"))
    >>> o = obstacle_degree(x, weights={"a": 0.75, "b": 0.25}, top_k=1)
    >>> o.indicator.round(4).to_dict("list")
    {'a': [1.0, 0.75, 0.0], 'b': [0.0, 0.25, 1.0]}
    >>> o.top_wide()["obstacle_1"].tolist()
    ['a', 'a', 'b']
    """
    check_option("on_undefined", on_undefined, OnUndefined)
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
        raise InputError(f"top_k={top_k!r} must be a positive integer")
    if isinstance(source, IndicatorSystemResult):
        x = source.standardized
        w = source.indicator_weights if weights is None else weights
        dims = dict(source.system) if system is None else system
    elif isinstance(source, pd.DataFrame):
        x = source
        if weights is None:
            raise InputError("obstacle_degree of a DataFrame needs weights (the factor contribution F_j of every indicator)")
        w = weights
        dims = system
    else:
        raise InputError(f"source must be an IndicatorSystemResult or a DataFrame, not {type(source).__name__}")
    cols = [str(c) for c in x.columns]
    values = _numeric_frame(x, "normalised indicators")
    bad = ~np.isfinite(values) | (values < 0) | (values > 1)
    if bad.any():
        r, c = np.nonzero(bad)
        raise InputError(
            "obstacle degree needs normalised values in [0, 1]; outside or missing at "
            + _cells(x.index, cols, r, c, values[r, c], column_word="indicator")
        )
    w_map = dict(w.items()) if isinstance(w, pd.Series) else dict(w)
    missing = [c for c in cols if c not in w_map]
    unknown = [k for k in w_map if k not in cols]
    if missing or unknown:
        raise InputError(f"weights miss indicator(s) {missing} / name unknown indicator(s) {unknown}")
    f = np.array([float(w_map[c]) for c in cols])
    if (~np.isfinite(f)).any() or (f < 0).any() or f.sum() <= 0:
        raise InputError(f"weights must be finite, non-negative and not all zero: {dict(zip(cols, f, strict=True))}")
    k = min(int(top_k), len(cols))
    dev = 1.0 - values
    fi = dev * f
    denom = fi.sum(axis=1, keepdims=True)
    undefined = denom[:, 0] <= 0
    if undefined.any():
        rows = np.flatnonzero(undefined)
        where = _cells(x.index, None, rows, None)
        if on_undefined == "raise":
            raise ComputationError(
                f"obstacle degree undefined (no deviation on any weighted indicator) at {where}; "
                "pass on_undefined='nan' to get NaN for these rows"
            )
        warnings.warn(f"obstacle degree undefined (NaN) at {where}", RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        o = np.where(undefined[:, None], np.nan, fi / np.where(denom > 0, denom, 1.0))
    ind = pd.DataFrame(o, index=x.index, columns=pd.Index(cols, name="indicator"))
    owner: dict[str, str] = {}
    dim_frame = None
    if dims is not None:
        dim_cols = {}
        for d, inds in dims.items():
            inds = [str(i) for i in inds]
            unknown = [i for i in inds if i not in cols]
            if unknown:
                raise InputError(f"dimension {d!r}: unknown indicator(s) {unknown}; indicators: {cols}")
            for i in inds:
                owner[i] = str(d)
            dim_cols[str(d)] = ind[inds].sum(axis=1, min_count=1)
        dim_frame = pd.DataFrame(dim_cols, index=x.index)
        dim_frame.columns.name = "dimension"
    order = np.argsort(-np.nan_to_num(o, nan=-np.inf), axis=1, kind="stable")[:, :k]
    n = len(x)
    row_pos = np.repeat(np.arange(n), k)
    col_pos = order.ravel()
    base = x.index.take(row_pos)
    if isinstance(base, pd.MultiIndex):
        arrays = [base.get_level_values(i) for i in range(base.nlevels)]
        names = list(base.names)
    else:
        arrays = [base]
        names = [base.name]
    index = pd.MultiIndex.from_arrays([*arrays, np.tile(np.arange(1, k + 1), n)], names=[*names, "rank"])
    top = pd.DataFrame(
        {
            "indicator": [cols[c] for c in col_pos],
            "dimension": [owner.get(cols[c]) for c in col_pos],
            "degree": o[row_pos, col_pos],
        },
        index=index,
    )
    return ObstacleResult(
        indicator=ind,
        dimension=dim_frame,
        top=top,
        factor_contribution=pd.Series(f, index=pd.Index(cols, name="indicator"), name="F"),
        deviation=pd.DataFrame(dev, index=x.index, columns=pd.Index(cols, name="indicator")),
        top_k=k,
    )


# ====================================================================== population change
@dataclass(frozen=True)
class PopulationChangeResult:
    """Population shrinkage ``S = registered − resident`` per city (-year).

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``registered``, ``resident``, ``S`` (registered − resident;
        > 0: population loss / net outflow, < 0: growth / net inflow),
        ``S_rate`` (``S / registered``), ``class`` (``"shrinking"``,
        ``"growing"``, ``"stable"``) and, for panels, ``resident_growth``
        (year-on-year growth rate of the resident population; NaN for a
        city's first year and after a gap in its years).
    tolerance : float
        Band around 0 classified as ``"stable"``.
    tolerance_mode : str
        ``"absolute"`` (band on ``S``) or ``"relative"`` (band on ``S_rate``).
    """

    table: pd.DataFrame
    tolerance: float
    tolerance_mode: str

    @property
    def S(self) -> pd.Series:  # noqa: N802 - the symbol of the literature
        """Registered minus resident population."""
        return self.table["S"]

    @property
    def classes(self) -> pd.Series:
        """``"shrinking"`` / ``"growing"`` / ``"stable"``."""
        return self.table["class"]

    def to_frame(self) -> pd.DataFrame:
        """The full table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Counts of each class (per year for panels)."""
        band = f"|S| <= {self.tolerance:g}" if self.tolerance_mode == "absolute" else f"|S / registered| <= {self.tolerance:g}"
        lines = [f"Population change S = registered - resident over {len(self.table)} rows (stable: {band})"]
        counts = self.table["class"].value_counts()
        for c in (SHRINKING, GROWING, STABLE):
            lines.append(f"  {c:<10} {int(counts.get(c, 0))}")
        if "resident_growth" in self.table:
            g = self.table["resident_growth"]
            lines.append(f"Resident population growth: mean {g.mean():.4%}, {int((g < 0).sum())} city-years of decline")
        return "\n".join(lines)


def population_change(
    registered: pd.Series,
    resident: pd.Series,
    *,
    tolerance: float = 0.0,
    tolerance_mode: PopulationTolerance = "absolute",
    year_level: str = "year",
) -> PopulationChangeResult:
    """Population shrinkage ``S = registered − resident`` and its class.

    ``S > 0`` means more people are registered (hukou) than live in the city:
    population loss through net outflow ("shrinking"); ``S < 0`` means net
    inflow ("growing").  ``|S| <= tolerance`` (or ``|S / registered| <=
    tolerance`` with ``tolerance_mode="relative"``) is ``"stable"``.

    Parameters
    ----------
    registered, resident : pandas.Series
        Registered and resident population with the same row labels (cities,
        or ``(city, year)`` for a panel), in the same unit.
    tolerance : float
        Non-negative width of the stable band.
    tolerance_mode : {"absolute", "relative"}
        Band on ``S`` or on ``S / registered``.
    year_level : str
        Index level holding the (integer) year; when present, the
        year-on-year growth rate of the resident population is added per city.

    Returns
    -------
    PopulationChangeResult

    Raises
    ------
    InputError
        Missing, zero or negative populations (naming city and year),
        different row labels, duplicate labels, a bad tolerance.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.urban import population_change
    >>> idx = pd.MultiIndex.from_product([["A", "B"], [2010, 2011]], names=["city", "year"])
    >>> reg = pd.Series([100.0, 100.0, 50.0, 52.0], index=idx)
    >>> res = pd.Series([90.0, 88.0, 60.0, 66.0], index=idx)
    >>> r = population_change(reg, res)
    >>> r.S.tolist(), r.classes.tolist()
    ([10.0, 12.0, -10.0, -14.0], ['shrinking', 'shrinking', 'growing', 'growing'])
    >>> r.table["resident_growth"].round(4).tolist()
    [nan, -0.0222, nan, 0.1]
    """
    check_option("tolerance_mode", tolerance_mode, PopulationTolerance)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float, np.integer, np.floating)) \
            or not np.isfinite(tolerance) or tolerance < 0:
        raise InputError(f"tolerance={tolerance!r} must be a finite number >= 0")
    reg = _numeric_series(registered, "registered population")
    if not isinstance(resident, pd.Series):
        raise InputError(f"resident population must be a pandas Series, not {type(resident).__name__}")
    _same_labels(registered.index, resident.index, "population change", "registered", "resident")
    resident = resident.reindex(registered.index)
    res = _numeric_series(resident, "resident population")
    index = registered.index
    for what, v in (("registered", reg), ("resident", res)):
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise InputError(
                f"{what} population missing, zero or negative at " + _cells(index, None, rows, None, v[rows])
            )
    s = reg - res
    rate = s / reg
    measure = s if tolerance_mode == "absolute" else rate
    cls = np.where(measure > tolerance, SHRINKING, np.where(measure < -tolerance, GROWING, STABLE))
    table = pd.DataFrame(
        {"registered": reg, "resident": res, "S": s, "S_rate": rate, "class": cls}, index=index.copy()
    )
    names = list(index.names)
    if isinstance(index, pd.MultiIndex) and year_level in names and index.nlevels >= 2:
        years_raw = index.get_level_values(year_level)
        try:
            years = np.asarray(years_raw, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"index level {year_level!r} must hold numeric years, got {years_raw.dtype}") from None
        others = [n for n in names if n != year_level]
        keys = index.droplevel(year_level)
        frame = pd.DataFrame({"key": pd.factorize(keys)[0], "year": years, "res": res, "pos": np.arange(len(res))})
        frame = frame.sort_values(["key", "year"], kind="stable")
        same = frame["key"].to_numpy()[1:] == frame["key"].to_numpy()[:-1]
        dup = same & (frame["year"].to_numpy()[1:] == frame["year"].to_numpy()[:-1])
        if dup.any():
            p = int(frame["pos"].to_numpy()[1:][dup][0])
            raise InputError(f"population change: duplicate year for {_where(index, p)} (levels {others})")
        consecutive = same & (frame["year"].to_numpy()[1:] - frame["year"].to_numpy()[:-1] == 1)
        r_sorted = frame["res"].to_numpy()
        growth_sorted = np.full(len(r_sorted), np.nan)
        growth_sorted[1:] = np.where(consecutive, r_sorted[1:] / r_sorted[:-1] - 1.0, np.nan)
        growth = np.empty(len(r_sorted))
        growth[frame["pos"].to_numpy()] = growth_sorted
        table["resident_growth"] = growth
    return PopulationChangeResult(table=table, tolerance=float(tolerance), tolerance_mode=tolerance_mode)


# ====================================================================== rationalisation
@dataclass(frozen=True)
class RationalizationResult:
    """Industrial-structure rationalisation index per row.

    Attributes
    ----------
    value : pandas.Series
        The index per row (named ``"TL"`` for the Theil form, ``"E"`` for the
        deviation form); 0 = equilibrium.
    terms : pandas.DataFrame
        Each sector's term of the sum (rows × sectors).
    output_share, employment_share : pandas.DataFrame
        ``Y_j / Y`` and ``L_j / L``.
    form : str
        ``"theil"`` or ``"deviation"``.
    """

    value: pd.Series
    terms: pd.DataFrame
    output_share: pd.DataFrame
    employment_share: pd.DataFrame
    form: str

    def to_frame(self) -> pd.DataFrame:
        """Sector terms and the index (last column)."""
        out = self.terms.copy()
        out[self.value.name] = self.value
        return out

    def summary(self) -> str:
        """Form and the distribution of the index."""
        v = self.value
        formula = ("TL = Σ_j (Y_j/Y) ln[(Y_j/Y)/(L_j/L)]" if self.form == "theil"
                   else "E = Σ_j |(Y_j/L_j)/(Y/L) − 1|")
        return (f"Industrial-structure rationalisation, {formula} (0 = equilibrium, larger = further "
                f"from it) over {len(v)} rows and {self.terms.shape[1]} sectors:\n"
                f"  min {v.min():.6g}  mean {v.mean():.6g}  max {v.max():.6g}")


def rationalization(
    value_added: pd.DataFrame,
    employment: pd.DataFrame,
    *,
    form: RationalizationForm = "theil",
) -> RationalizationResult:
    """Industrial-structure rationalisation index (Theil form, Gan, Zheng & Yu 2011).

    ``TL = Σ_j (Y_j/Y) ln[(Y_j/Y) / (L_j/L)]`` with sector value added
    ``Y_j``, employment ``L_j`` and their totals.  ``TL = 0`` is equilibrium
    (every sector's output share equals its employment share, i.e. equal
    labour productivity); larger values mean a *less* rational structure.
    ``TL`` is the Kullback–Leibler divergence of the output shares from the
    employment shares, so it is never negative.  The same index is often
    written ``Σ_j (Y_j/Y) ln[(Y_j/L_j) / (Y/L)]`` — identical, since
    ``(Y_j/Y)/(L_j/L) = (Y_j/L_j)/(Y/L)``.

    Variants: many papers want "larger = more rational" and report ``−TL`` or
    ``1/TL`` (undefined at equilibrium); compute them from ``.value``.  The
    older *structural deviation* ``E = Σ_j |(Y_j/L_j)/(Y/L) − 1|``
    (``form="deviation"``) ignores the sectors' weights.

    Parameters
    ----------
    value_added, employment : pandas.DataFrame
        Rows are observations (cities or city-years), columns sectors; the
        same row labels and sector names (employment is aligned to value added).
    form : {"theil", "deviation"}
        The index.

    Returns
    -------
    RationalizationResult

    Raises
    ------
    InputError
        Zero, negative or missing values (naming city and sector), different
        rows or sectors, non-numeric columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.urban import rationalization
    >>> y = pd.DataFrame({"primary": [10.0, 20.0], "secondary": [40.0, 40.0], "tertiary": [50.0, 40.0]},
    ...                  index=pd.Index(["A", "B"], name="city"))
    >>> l = pd.DataFrame({"primary": [10.0, 40.0], "secondary": [40.0, 30.0], "tertiary": [50.0, 30.0]},
    ...                  index=y.index)
    >>> rationalization(y, l).value.round(6).tolist()
    [0.0, 0.091516]
    """
    check_option("form", form, RationalizationForm)
    for what, f in (("value added", value_added), ("employment", employment)):
        if not isinstance(f, pd.DataFrame):
            raise InputError(f"{what} must be a pandas DataFrame (rows observations, columns sectors), "
                             f"not {type(f).__name__}")
    _same_labels(value_added.index, employment.index, "rationalization", "value added", "employment")
    ya, em = [str(c) for c in value_added.columns], [str(c) for c in employment.columns]
    if len(set(ya)) != len(ya) or set(ya) != set(em) or len(em) != len(set(em)):
        raise InputError(
            f"rationalization: value added and employment need the same sectors; only in value added: "
            f"{sorted(set(ya) - set(em))}, only in employment: {sorted(set(em) - set(ya))}"
        )
    if not ya:
        raise InputError("rationalization: no sectors (columns)")
    employment = employment.set_axis(em, axis=1)[ya].reindex(value_added.index)
    value_added = value_added.set_axis(ya, axis=1)
    y = _numeric_frame(value_added, "value added")
    lab = _numeric_frame(employment, "employment")
    for what, v in (("value added", y), ("employment", lab)):
        bad = ~np.isfinite(v) | (v <= 0)
        if bad.any():
            r, c = np.nonzero(bad)
            raise InputError(
                f"rationalization: {what} missing, zero or negative at "
                + _cells(value_added.index, ya, r, c, v[r, c], column_word="sector")
            )
    ys = y / y.sum(axis=1, keepdims=True)
    ls = lab / lab.sum(axis=1, keepdims=True)
    ratio = ys / ls
    if form == "theil":
        terms = ys * np.log(ratio)
        label = "TL"
    else:
        terms = np.abs(ratio - 1.0)
        label = "E"
    value = terms.sum(axis=1)
    if form == "theil":
        value = np.maximum(value, 0.0)  # KL divergence >= 0; remove rounding below zero
    cols = pd.Index(ya, name="sector")
    return RationalizationResult(
        value=pd.Series(value, index=value_added.index, name=label),
        terms=pd.DataFrame(terms, index=value_added.index, columns=cols),
        output_share=pd.DataFrame(ys, index=value_added.index, columns=cols),
        employment_share=pd.DataFrame(ls, index=value_added.index, columns=cols),
        form=form,
    )


# ====================================================================== ratios
def ratio_indicator(
    numerators: pd.DataFrame | pd.Series | Sequence[pd.Series],
    denominator: pd.Series,
    *,
    name: str,
    scale: float = 1.0,
) -> pd.Series:
    """A ratio indicator ``scale · Σ numerators / denominator`` (e.g. informatisation).

    Parameters
    ----------
    numerators : DataFrame, Series or sequence of Series
        The quantities to add up in the numerator (DataFrame columns, or
        Series), with the same row labels as ``denominator``.
    denominator : pandas.Series
        The denominator (e.g. population).
    name : str
        Name of the result.
    scale : float
        Multiplier (e.g. ``10_000`` for "per 10,000 inhabitants").

    Returns
    -------
    pandas.Series
        Named ``name``, indexed like ``denominator``.

    Raises
    ------
    InputError
        A zero or missing denominator or a missing numerator (naming the row
        and the variable), different row labels, non-numeric data.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.urban import ratio_indicator
    >>> idx = pd.Index(["A", "B"], name="city")
    >>> users = pd.DataFrame({"mobile": [80.0, 30.0], "internet": [20.0, 10.0]}, index=idx)
    >>> pop = pd.Series([100.0, 50.0], index=idx, name="pop")
    >>> ratio_indicator(users, pop, name="informatization").tolist()
    [1.0, 0.8]
    """
    if not isinstance(name, str) or not name:
        raise InputError("ratio_indicator needs a non-empty name")
    if not isinstance(scale, (int, float, np.integer, np.floating)) or isinstance(scale, bool) or not np.isfinite(scale):
        raise InputError(f"{name}: scale={scale!r} must be a finite number")
    den_name = denominator.name if isinstance(denominator, pd.Series) and denominator.name is not None else "denominator"
    den = _numeric_series(denominator, f"{name}: denominator {den_name!r}")
    index = denominator.index
    if isinstance(numerators, pd.Series):
        parts = [numerators]
    elif isinstance(numerators, pd.DataFrame):
        parts = [numerators[c] for c in numerators.columns]
    elif isinstance(numerators, Sequence) and not isinstance(numerators, str):
        parts = list(numerators)
    else:
        raise InputError(f"{name}: numerators must be a DataFrame, a Series or a list of Series")
    if not parts:
        raise InputError(f"{name}: no numerators")
    total = np.zeros(len(index))
    for k, part in enumerate(parts):
        pname = part.name if isinstance(part, pd.Series) and part.name is not None else f"numerator {k}"
        if not isinstance(part, pd.Series):
            raise InputError(f"{name}: numerator {k} must be a pandas Series, not {type(part).__name__}")
        _same_labels(index, part.index, name, f"denominator {den_name!r}", f"numerator {pname!r}")
        v = _numeric_series(part.reindex(index), f"{name}: numerator {pname!r}")
        bad = ~np.isfinite(v)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise InputError(f"{name}: numerator {pname!r} missing or non-finite at " + _cells(index, None, rows, None))
        total = total + v
    bad = ~np.isfinite(den)
    if bad.any():
        rows = np.flatnonzero(bad)
        raise InputError(f"{name}: denominator {den_name!r} missing or non-finite at " + _cells(index, None, rows, None))
    zero = den == 0
    if zero.any():
        rows = np.flatnonzero(zero)
        raise InputError(f"{name}: denominator {den_name!r} is zero at " + _cells(index, None, rows, None))
    return pd.Series(scale * total / den, index=index.copy(), name=name)


__all__ = [
    "GROWING",
    "SHRINKING",
    "STABLE",
    "IndicatorSystemResult",
    "ObstacleResult",
    "PopulationChangeResult",
    "RationalizationResult",
    "indicator_system_index",
    "obstacle_degree",
    "population_change",
    "ratio_indicator",
    "rationalization",
]
