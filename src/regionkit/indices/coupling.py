"""Coupling coordination degree (CCD) of two or more systems.

For system scores ``U_1..U_n`` in ``[0, 1]``:

``form="standard"``
    ``C = n (Π U_i)^{1/n} / Σ U_i`` — the ratio of the geometric to the
    arithmetic mean (equivalently ``[Π U_i / ((1/n) Σ U_i)^n]^{1/n}``).  It is
    known to crowd near 1: for two systems ``C ≥ 0.94`` whenever
    ``U_min/U_max ≥ 0.5``, so ``C`` barely discriminates (Wang et al. 2021).
``form="wang2021"``
    Wang, Kong, Ren, Zhi & Dai (2021), *Journal of Natural Resources*
    36(3):793–810: ``C = sqrt{[1 − Σ_{i>j} |U_i − U_j| / Σ_{m=1}^{n−1} m] ·
    (Π_i U_i / max U)^{1/(n−1)}}``; for two systems
    ``C = sqrt((1 − |U_1 − U_2|) · U_min / U_max)``, which spreads over [0, 1].
``form="fan"``
    ``C = 1 − 2 sqrt((n Σ U_i² − (Σ U_i)²) / n²)`` (dispersion form; for two
    systems ``1 − |U_1 − U_2|``).

Development ``T = Σ α_i U_i`` (equal weights by default), coordination degree
``D = sqrt(C · T)``.  Classes: ``bands="3"`` low [0, 0.3) / moderate
[0.3, 0.5) / high [0.5, 1]; ``bands="10"`` the ten-grade scheme from extreme
imbalance [0, 0.1) to quality coordination [0.9, 1]; or user bands.
Intervals are closed on the left, the last one also on the right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from .._checks import check_finite_frame, check_option
from ..errors import ComputationError, InputError

Form = Literal["standard", "wang2021", "fan"]
BandsName = Literal["3", "10"]

BANDS_3: tuple[tuple[float, str], ...] = ((0.3, "low"), (0.5, "moderate"), (1.0, "high"))
BANDS_10: tuple[tuple[float, str], ...] = (
    (0.1, "extreme imbalance"),
    (0.2, "serious imbalance"),
    (0.3, "moderate imbalance"),
    (0.4, "mild imbalance"),
    (0.5, "verge of imbalance"),
    (0.6, "barely coordinated"),
    (0.7, "primary coordination"),
    (0.8, "intermediate coordination"),
    (0.9, "good coordination"),
    (1.0, "quality coordination"),
)


@dataclass(frozen=True)
class CouplingResult:
    """Coupling C, development T, coordination D and classes per observation.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns: the system scores, ``C``, ``T``, ``D``, ``D_class`` (ordered
        categorical), ``lagging`` (the lagging system or ``"synchronous"``) and,
        for each system after the first, ``E_<system>`` = U_system / U_first
        (relative development degree).
    systems : tuple of str
    form : str
    weights : pandas.Series
        Weights α of T.
    bands : tuple of (upper, label)
    """

    table: pd.DataFrame
    systems: tuple[str, ...]
    form: str
    weights: pd.Series
    bands: tuple[tuple[float, str], ...]

    @property
    def C(self) -> pd.Series:  # noqa: N802 - the literature's symbol
        """Coupling degree."""
        return self.table["C"]

    @property
    def T(self) -> pd.Series:  # noqa: N802
        """Comprehensive development index."""
        return self.table["T"]

    @property
    def D(self) -> pd.Series:  # noqa: N802
        """Coupling coordination degree."""
        return self.table["D"]

    def to_frame(self) -> pd.DataFrame:
        """A copy of the result table."""
        return self.table.copy()

    def class_counts(self) -> pd.DataFrame:
        """Number of observations per D class (by year when the index has a ``year`` level)."""
        t = self.table
        if "year" in (t.index.names or []):
            return t.groupby([t.index.get_level_values("year"), "D_class"], observed=False).size().unstack(fill_value=0)
        return t["D_class"].value_counts(sort=False).to_frame("count")

    def summary(self) -> str:
        """Short description with D's distribution."""
        d = self.table["D"]
        return (
            f"Coupling coordination of {len(self.systems)} systems {list(self.systems)} "
            f"({self.form} C, T weights {dict(self.weights.round(4))}): {len(d)} observations, "
            f"D mean {d.mean():.4f}, min {d.min():.4f}, max {d.max():.4f}"
        )


def coupling_degree(scores: pd.DataFrame, *, form: Form = "standard") -> pd.Series:
    """Coupling degree C of the systems in the columns of ``scores`` (see module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.coupling import coupling_degree
    >>> u = pd.DataFrame({"eco": [0.4, 0.8], "env": [0.4, 0.2]})
    >>> coupling_degree(u).round(4).tolist()
    [1.0, 0.8]
    """
    check_option("form", form, Form)
    u = _check_scores(scores)
    n = u.shape[1]
    if form == "standard":
        total = u.sum(axis=1)
        _zero_rows(scores, total <= 0, "all system scores are 0")
        with np.errstate(divide="ignore"):
            gm = np.exp(np.log(u).mean(axis=1)) if (u > 0).all() else np.prod(u, axis=1) ** (1.0 / n)
        c = n * gm / total
    elif form == "wang2021":
        umax = u.max(axis=1)
        _zero_rows(scores, umax <= 0, "all system scores are 0")
        diff = np.zeros(u.shape[0])
        for i in range(n):
            for j in range(i):
                diff += np.abs(u[:, i] - u[:, j])
        first = 1.0 - diff / (n * (n - 1) / 2.0)
        second = np.prod(u / umax[:, None], axis=1) ** (1.0 / (n - 1))
        c = np.sqrt(np.clip(first, 0.0, None) * second)
    else:
        # (n Σ U² − (Σ U)²) / n² is the population variance of U; the centred form
        # avoids cancellation (C is exactly 1 for equal scores)
        var = ((u - u.mean(axis=1, keepdims=True)) ** 2).mean(axis=1)
        c = 1.0 - 2.0 * np.sqrt(var)
    return pd.Series(np.clip(c, 0.0, 1.0), index=scores.index, name="C")


def coupling_coordination(
    scores: pd.DataFrame,
    *,
    form: Form = "standard",
    weights: Mapping[str, float] | None = None,
    bands: BandsName | Sequence[tuple[float, str]] = "10",
    sync_band: tuple[float, float] = (0.8, 1.2),
) -> CouplingResult:
    """Coupling coordination degree ``D = sqrt(C·T)`` of n ≥ 2 systems.

    Parameters
    ----------
    scores : pandas.DataFrame
        One column per system (composite indices in [0, 1]); rows are regions
        or region-years.
    form : {"standard", "wang2021", "fan"}
        Coupling degree form (module docstring).
    weights : mapping system -> weight, optional
        Weights α of ``T`` (equal by default; rescaled to sum to 1).
    bands : {"3", "10"} or sequence of (upper bound, label)
        Classification of D; user bands must have increasing upper bounds
        ending at 1 or above.
    sync_band : (float, float)
        Two systems are "synchronous" when ``U_2/U_1`` lies in
        ``(low, high]``; otherwise the lower one is "lagging".  With more than
        two systems the lowest is lagging unless ``min/max > low``.

    Returns
    -------
    CouplingResult

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.coupling import coupling_coordination
    >>> u = pd.DataFrame({"eco": [0.4, 0.8], "env": [0.4, 0.2]}, index=["A", "B"])
    >>> r = coupling_coordination(u, bands="3")
    >>> r.D.round(4).tolist(), list(r.table["D_class"])
    ([0.6325, 0.6325], ['high', 'high'])
    """
    check_option("form", form, Form)
    systems = tuple(str(c) for c in scores.columns)
    c = coupling_degree(scores, form=form)
    u = scores.to_numpy(dtype=float)
    alpha = _t_weights(weights, systems)
    t = u @ alpha.to_numpy()
    d = np.sqrt(c.to_numpy() * t)
    band_list = _bands(bands)
    table = scores.copy()
    table.columns = list(systems)
    table["C"] = c.to_numpy()
    table["T"] = t
    table["D"] = d
    table["D_class"] = classify(pd.Series(d, index=scores.index), band_list)
    with np.errstate(divide="ignore", invalid="ignore"):
        for s in systems[1:]:
            table[f"E_{s}"] = np.where(u[:, 0] > 0, table[s].to_numpy() / u[:, 0], np.inf)
    table["lagging"] = _lagging(u, systems, sync_band)
    return CouplingResult(table=table, systems=systems, form=form, weights=alpha, bands=band_list)


def classify(values: pd.Series, bands: Sequence[tuple[float, str]]) -> pd.Categorical:
    """Ordered class labels of values in [0, 1] for ``(upper bound, label)`` bands."""
    uppers = np.array([b[0] for b in bands], dtype=float)
    labels = [b[1] for b in bands]
    v = values.to_numpy(dtype=float)
    idx = np.searchsorted(uppers, v, side="right")
    idx = np.minimum(idx, len(labels) - 1)
    return pd.Categorical.from_codes(idx, categories=labels, ordered=True)


def _bands(bands) -> tuple[tuple[float, str], ...]:
    if isinstance(bands, str):
        check_option("bands", bands, BandsName)
        return BANDS_3 if bands == "3" else BANDS_10
    out = tuple((float(u), str(lab)) for u, lab in bands)
    ups = [u for u, _ in out]
    if not out or any(b <= a for a, b in zip(ups, ups[1:], strict=False)) or ups[-1] < 1.0 or ups[0] <= 0:
        raise InputError(f"user bands {list(out)} must have increasing upper bounds in (0, ...] ending at >= 1")
    return out


def _t_weights(weights: Mapping[str, float] | None, systems: tuple[str, ...]) -> pd.Series:
    if weights is None:
        return pd.Series(1.0 / len(systems), index=list(systems), name="alpha")
    unknown = [k for k in weights if k not in systems]
    missing = [s for s in systems if s not in weights]
    if unknown or missing:
        raise InputError(f"T weights name unknown system(s) {unknown} / miss {missing}; systems: {list(systems)}")
    w = pd.Series({s: float(weights[s]) for s in systems}, name="alpha")
    if (~np.isfinite(w)).any() or (w < 0).any() or w.sum() <= 0:
        raise InputError(f"T weights must be finite, non-negative, not all zero: {dict(w)}")
    return w / w.sum()


def _check_scores(scores: pd.DataFrame) -> np.ndarray:
    if scores.shape[1] < 2:
        raise InputError(f"coupling needs at least two systems (columns); got {list(scores.columns)}")
    check_finite_frame(scores, what="system scores")
    u = scores.to_numpy(dtype=float)
    bad = (u < 0) | (u > 1 + 1e-12)
    if bad.any():
        r, k = np.argwhere(bad)[0]
        raise InputError(
            f"system scores must lie in [0, 1]: system {scores.columns[k]!r}, "
            f"row {_row(scores.index[r])} = {u[r, k]:g}"
        )
    return np.clip(u, 0.0, 1.0)


def _zero_rows(scores: pd.DataFrame, mask: np.ndarray, why: str) -> None:
    if mask.any():
        rows = [_row(scores.index[i]) for i in np.flatnonzero(mask)[:5]]
        raise ComputationError(
            f"coupling degree undefined where {why}: {rows} ({int(mask.sum())} row(s)); "
            "normalise with a positive shift (e.g. shift=0.0001) to keep scores above 0"
        )


def _lagging(u: np.ndarray, systems: tuple[str, ...], sync_band: tuple[float, float]) -> np.ndarray:
    low, high = sync_band
    out = np.empty(u.shape[0], dtype=object)
    if len(systems) == 2:
        with np.errstate(divide="ignore", invalid="ignore"):
            e = np.where(u[:, 0] > 0, u[:, 1] / u[:, 0], np.inf)
        out[:] = "synchronous"
        out[e <= low] = systems[1]
        out[e > high] = systems[0]
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u.max(axis=1) > 0, u.min(axis=1) / u.max(axis=1), 1.0)
    arg = u.argmin(axis=1)
    for i in range(u.shape[0]):
        out[i] = "synchronous" if ratio[i] > low else systems[arg[i]]
    return out


def _row(label) -> str:
    return ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)
