"""Dispersion of a variable over regions: range, coefficient of variation, Theil index.

Per year (or for a cross-section): the range ("absolute difference"), the
coefficient of variation ("relative difference", ``std/mean``, sample standard
deviation by default), and the Theil T index with its exact decomposition
into between- and within-group parts for region groups.

With optional weights ``w_i`` (e.g. population), let ``p_i = w_i / Σ w`` and
``s_i = w_i y_i / Σ w y``; then ``T = Σ s_i ln(s_i / p_i)``.  For groups g
with shares ``P_g = Σ_{i∈g} p_i`` and ``S_g = Σ_{i∈g} s_i``:
``T = Σ_g S_g ln(S_g / P_g) + Σ_g S_g T_g`` (between + within).  Without
weights ``p_i = 1/n`` and ``T = (1/n) Σ (y_i/ȳ) ln(y_i/ȳ)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError


@dataclass(frozen=True)
class DispersionResult:
    """Dispersion statistics per period.

    Attributes
    ----------
    table : pandas.DataFrame
        Index: period (year). Columns ``n, mean, min, max, range, std, cv,
        theil`` and, with groups, ``theil_between, theil_within,
        between_share``.
    group_means : pandas.DataFrame or None
        Period × group mean (weighted when weights are given).
    group_theil : pandas.DataFrame or None
        Period × group within-group Theil index ``T_g``.
    variable : str
    ddof : int
    """

    table: pd.DataFrame
    group_means: pd.DataFrame | None
    group_theil: pd.DataFrame | None
    variable: str
    ddof: int

    def to_frame(self) -> pd.DataFrame:
        """The per-period table joined with group means (prefixed ``mean_``)."""
        out = self.table.copy()
        if self.group_means is not None:
            out = out.join(self.group_means.add_prefix("mean_"))
        return out

    def summary(self) -> str:
        """First and last period in words."""
        t = self.table
        a, b = t.index[0], t.index[-1]
        return (
            f"Dispersion of {self.variable}: CV {t.loc[a, 'cv']:.4f} ({a}) → {t.loc[b, 'cv']:.4f} ({b}); "
            f"Theil {t.loc[a, 'theil']:.4f} → {t.loc[b, 'theil']:.4f}"
        )


def theil(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Theil T index of non-negative values (optionally weighted).

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.indices.dispersion import theil
    >>> round(theil(np.array([1.0, 1.0, 1.0])), 12)
    0.0
    >>> round(theil(np.array([1.0, 3.0])), 6)  # 0.5*(0.5 ln 0.5 + 1.5 ln 1.5)
    0.130812
    """
    y = np.asarray(values, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    p = w / w.sum()
    s = w * y / np.sum(w * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s > 0, s * np.log(s / p), 0.0)
    return float(terms.sum())


def dispersion(
    wide: pd.DataFrame,
    *,
    groups: pd.Series | None = None,
    weights: pd.DataFrame | None = None,
    ddof: int = 1,
    variable: str = "value",
) -> DispersionResult:
    """Range, CV and Theil index (with group decomposition) per column (year).

    Parameters
    ----------
    wide : pandas.DataFrame
        Regions in rows, periods (years) in columns, e.g. ``panel.wide("D")``.
    groups : pandas.Series, optional
        Group label per region (index = region ids).
    weights : pandas.DataFrame, optional
        Same shape as ``wide``: weights such as population.
    ddof : int
        Delta degrees of freedom of the standard deviation (1 = sample).
    variable : str
        Name used in the summary.

    Returns
    -------
    DispersionResult

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.dispersion import dispersion
    >>> w = pd.DataFrame({2000: [1.0, 3.0, 2.0, 2.0]}, index=list("ABCD"))
    >>> g = pd.Series(["x", "x", "y", "y"], index=list("ABCD"))
    >>> r = dispersion(w, groups=g)
    >>> float(r.table.loc[2000, "theil_between"])
    0.0
    """
    y = wide.to_numpy(dtype=float)
    if not np.isfinite(y).all():
        r, c = np.argwhere(~np.isfinite(y))[0]
        raise InputError(f"dispersion of {variable}: missing value for region {wide.index[r]!r}, period {wide.columns[c]}")
    if (y < 0).any():
        r, c = np.argwhere(y < 0)[0]
        raise InputError(
            f"dispersion of {variable}: Theil index needs non-negative values; region {wide.index[r]!r}, "
            f"period {wide.columns[c]} = {y[r, c]:g}"
        )
    if weights is not None:
        weights = weights.reindex(index=wide.index, columns=wide.columns)
        wv = weights.to_numpy(dtype=float)
        if not np.isfinite(wv).all() or (wv <= 0).any():
            raise InputError(f"dispersion of {variable}: weights must be positive and given for every region and period")
    else:
        wv = np.ones_like(y)
    if groups is not None:
        missing = [r for r in wide.index if r not in groups.index]
        if missing:
            raise InputError(f"dispersion of {variable}: no group for region(s) {missing}")
        g = groups.reindex(wide.index).astype(str).to_numpy()
        labels = sorted(set(g))
    rows, gm_rows, gt_rows = [], [], []
    for k, period in enumerate(wide.columns):
        v, w = y[:, k], wv[:, k]
        mean = float(np.sum(w * v) / np.sum(w))
        if mean <= 0:
            raise InputError(f"dispersion of {variable}: mean of period {period} is 0; CV and Theil undefined")
        std = float(np.std(v, ddof=ddof)) if weights is None else float(np.sqrt(np.sum(w * (v - mean) ** 2) / np.sum(w)))
        row = {
            "n": len(v),
            "mean": mean,
            "min": float(v.min()),
            "max": float(v.max()),
            "range": float(v.max() - v.min()),
            "std": std,
            "cv": std / mean,
            "theil": theil(v, w),
        }
        if groups is not None:
            p = w / w.sum()
            s = w * v / np.sum(w * v)
            between = within = 0.0
            gmeans, gtheil = {}, {}
            for lab in labels:
                m = g == lab
                pg, sg = p[m].sum(), s[m].sum()
                tg = theil(v[m], w[m]) if sg > 0 else 0.0
                if sg > 0:
                    between += sg * np.log(sg / pg)
                within += sg * tg
                gmeans[lab] = float(np.sum(w[m] * v[m]) / np.sum(w[m]))
                gtheil[lab] = tg
            row.update(theil_between=between, theil_within=within,
                       between_share=between / row["theil"] if row["theil"] > 0 else 0.0)
            gm_rows.append(gmeans)
            gt_rows.append(gtheil)
        rows.append(row)
    index = pd.Index(list(wide.columns), name="year")
    table = pd.DataFrame(rows, index=index)
    gm = pd.DataFrame(gm_rows, index=index) if groups is not None else None
    gt = pd.DataFrame(gt_rows, index=index) if groups is not None else None
    return DispersionResult(table=table, group_means=gm, group_theil=gt, variable=variable, ddof=ddof)
