"""Composite (system) indices: normalise indicators, weight them, sum.

A *system* (e.g. "economic development") is a set of indicators with
directions.  Its composite index ``U = Σ_j w_j z_j`` uses entropy weights,
equal weights, or user-given weights (e.g. from AHP).  With entropy weights
over a panel, ``weight_scope="pooled"`` estimates one weight vector from all
region-years (comparable over time); ``"year"`` estimates one per year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .._checks import check_option
from ..errors import InputError
from .entropy import entropy_weights
from .normalize import Scope, ShiftMode, check_directions, minmax

Weighting = Literal["entropy", "equal", "user"]
WeightScope = Literal["pooled", "year"]


@dataclass(frozen=True)
class CompositeIndex:
    """A system's composite index and how it was made.

    Attributes
    ----------
    name : str
        System name.
    score : pandas.Series
        Composite index per row (region or region-year).
    normalized : pandas.DataFrame
        Normalised indicators.
    weights : pandas.DataFrame
        Columns ``period`` (``"all"`` or a year), ``indicator``, ``direction``,
        ``weight``, ``entropy``, ``divergence``; entropy and divergence are
        only defined for entropy weighting and are NaN otherwise.
    method : str
        Weighting method and options, in words.
    """

    name: str
    score: pd.Series
    normalized: pd.DataFrame
    weights: pd.DataFrame
    method: str

    def weight_vector(self, period: str | int = "all") -> pd.Series:
        """Weights of one period (``"all"`` for pooled weights) indexed by indicator."""
        sel = self.weights[self.weights["period"] == period]
        if sel.empty:
            raise InputError(f"system {self.name!r}: no weights for period {period!r}")
        return sel.set_index("indicator")["weight"]

    def to_frame(self) -> pd.DataFrame:
        """Normalised indicators plus the composite score."""
        out = self.normalized.copy()
        out[self.name] = self.score
        return out

    def summary(self) -> str:
        """Method and weights in words."""
        lines = [f"System {self.name!r}: {self.method}"]
        for _, r in self.weights.iterrows():
            lines.append(f"  [{r['period']}] {r['indicator']:<20} ({r['direction']}) w={r['weight']:.4f}")
        return "\n".join(lines)


def composite_index(
    frame: pd.DataFrame,
    directions: Mapping[str, str] | None = None,
    *,
    name: str = "U",
    weighting: Weighting = "entropy",
    weights: Mapping[str, float] | None = None,
    scope: Scope = "global",
    weight_scope: WeightScope = "pooled",
    shift: float = 0.0,
    shift_mode: ShiftMode = "add",
    year_level: str = "year",
) -> CompositeIndex:
    """Composite index of one system from its indicators.

    Parameters
    ----------
    frame : pandas.DataFrame
        The system's indicators (columns); rows are regions or region-years.
    directions : mapping, optional
        Indicator -> ``"positive"`` / ``"negative"``.
    name : str
        System name (used for the score series).
    weighting : {"entropy", "equal", "user"}
        Weighting method; ``"user"`` needs ``weights``.
    weights : mapping, optional
        User weights per indicator (non-negative; rescaled to sum to 1).
    scope : {"global", "year"}
        Normalisation extremes over all rows or within years.
    weight_scope : {"pooled", "year"}
        Entropy weights over all rows or per year.
    shift, shift_mode
        Passed to :func:`~regionkit.indices.normalize.minmax`.
    year_level : str
        Index level with the year.

    Returns
    -------
    CompositeIndex

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.composite import composite_index
    >>> f = pd.DataFrame({"gdp": [1.0, 2.0, 4.0], "unemp": [6.0, 5.0, 3.0]})
    >>> ci = composite_index(f, {"gdp": "positive", "unemp": "negative"}, name="econ", weighting="equal")
    >>> ci.score.round(4).tolist()
    [0.0, 0.3333, 1.0]
    """
    check_option("weighting", weighting, Weighting)
    check_option("weight_scope", weight_scope, WeightScope)
    dirs = check_directions(frame.columns, directions)
    z = minmax(frame, dirs, scope=scope, shift=shift, shift_mode=shift_mode, year_level=year_level)
    cols = [str(c) for c in frame.columns]
    rows = []
    if weighting == "entropy" and weight_scope == "year":
        if year_level not in (frame.index.names or []):
            raise InputError(f"weight_scope='year' needs an index level named {year_level!r}")
        score = pd.Series(np.nan, index=frame.index, name=name)
        for year, block in z.groupby(level=year_level):
            try:
                ew = entropy_weights(block)
            except InputError as exc:
                raise InputError(f"system {name!r}, year {year}: {exc}") from exc
            score.loc[block.index] = block.to_numpy() @ ew.weights.to_numpy()
            rows += _weight_rows(year, ew.weights, dirs, ew.entropy, ew.divergence)
        method = "min-max normalisation, entropy weights estimated per year"
    else:
        if weighting == "entropy":
            try:
                ew = entropy_weights(z)
            except InputError as exc:
                raise InputError(f"system {name!r}: {exc}") from exc
            w = ew.weights
            rows = _weight_rows("all", w, dirs, ew.entropy, ew.divergence)
            method = "min-max normalisation, entropy weights pooled over all observations"
        elif weighting == "equal":
            w = pd.Series(1.0 / len(cols), index=pd.Index(cols, name="indicator"))
            rows = _weight_rows("all", w, dirs, None, None)
            method = "min-max normalisation, equal weights"
        else:
            w = _user_weights(weights, cols, name)
            rows = _weight_rows("all", w, dirs, None, None)
            method = "min-max normalisation, user-given weights"
        score = pd.Series(z.to_numpy() @ w.to_numpy(), index=frame.index, name=name)
    method += f" (normalisation scope: {scope}; shift {shift:g}, {shift_mode})"
    return CompositeIndex(
        name=name,
        score=score,
        normalized=z,
        weights=pd.DataFrame(rows, columns=["period", "indicator", "direction", "weight", "entropy", "divergence"]),
        method=method,
    )


def _weight_rows(period, w: pd.Series, dirs, e, d) -> list[tuple]:
    return [
        (
            period,
            k,
            dirs[k],
            float(w[k]),
            float(e[k]) if e is not None else float("nan"),
            float(d[k]) if d is not None else float("nan"),
        )
        for k in w.index
    ]


def _user_weights(weights: Mapping[str, float] | None, cols: list[str], name: str) -> pd.Series:
    if weights is None:
        raise InputError(f"system {name!r}: weighting='user' needs weights for {cols}")
    unknown = [k for k in weights if k not in cols]
    missing = [c for c in cols if c not in weights]
    if unknown or missing:
        raise InputError(f"system {name!r}: user weights name unknown indicator(s) {unknown} / miss {missing}")
    w = pd.Series({c: float(weights[c]) for c in cols}).rename_axis("indicator")
    if (~np.isfinite(w)).any() or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"system {name!r}: user weights must be finite, non-negative and not all zero: {dict(w)}")
    return w / w.sum()
