"""Global and local spatial autocorrelation: Moran's I, Geary's C, Getis–Ord G, LISA, Gi*.

Conventions (stated in every result):

* ``y`` is aligned with the weights' ``ids``; a missing or non-finite value
  is an error naming the region.
* Analytic inference for global statistics under the normality (N) and
  randomisation (R) assumptions (Cliff & Ord 1981); permutation inference
  with ``permutations`` random relabellings drawn from ``rng``.
* Permutation p-values: ``"greater"`` = (#{sim ≥ obs} + 1)/(P + 1),
  ``"less"`` = (#{sim ≤ obs} + 1)/(P + 1), ``"two-sided"`` =
  min(1, 2·min(greater, less)) (the default), and ``"folded"`` = esda's
  pseudo p-value (#{sim beyond obs, in the direction of obs} + 1)/(P + 1).
  Analytic p-values follow the same ``alternative`` (folded = two-sided).
* Local Moran ``I_i = c · z_i Σ_j w_ij z_j / Σ_k z_k²`` with ``c = n``
  (Anselin 1995, R spdep, ``denominator="n"``, default) or ``c = n − 1``
  (PySAL esda, ``denominator="n-1"``); both orderings of regions and the
  quadrants are identical.  Inference by conditional permutation: for region
  i its neighbours' values are replaced by values drawn without replacement
  from the other n − 1 regions; the same P random draws are used for all
  regions (as esda's ``crand``), so results are reproducible and fast.
* Quadrant codes differ between packages (esda: 1 HH, 2 LH, 3 LL, 4 HL;
  GeoDa: 1 HH, 2 LL, 3 LH, 4 HL, 0 not significant); regionkit emits
  labels only: ``"HH"``, ``"LL"``, ``"LH"``, ``"HL"``, ``"not significant"``,
  ``"no neighbours"`` — with GeoDa's colours in :data:`LISA_COLORS`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from .._checks import check_option
from ..errors import InputError
from .weights import SpatialWeights

Alternative = Literal["two-sided", "greater", "less", "folded"]
Adjust = Literal["none", "fdr", "bonferroni"]
Denominator = Literal["n", "n-1"]

LISA_COLORS = {
    "HH": "#FF0000",
    "LL": "#0000FF",
    "LH": "#A7ADF9",
    "HL": "#F4ADA8",
    "not significant": "#EEEEEE",
    "no neighbours": "#464646",
}
LISA_LABELS = tuple(LISA_COLORS)
HOTSPOT_LABELS = ("hot spot 99%", "hot spot 95%", "hot spot 90%", "not significant",
                  "cold spot 90%", "cold spot 95%", "cold spot 99%")
HOTSPOT_COLORS = dict(zip(HOTSPOT_LABELS, ["#D62F27", "#ED7551", "#FAB984", "#F0F0F0",
                                           "#B5C8E0", "#7599C7", "#4575B5"], strict=True))


# ---------------------------------------------------------------- helpers
def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _values(y, w: SpatialWeights, name: str = "y") -> np.ndarray:
    if isinstance(y, pd.Series):
        missing = [i for i in w.ids if i not in y.index]
        if missing:
            raise InputError(f"{name}: no value for region(s) {missing[:10]} of the weights")
        y = y.reindex(list(w.ids))
        labels = list(y.index)
    else:
        labels = list(w.ids)
    v = np.asarray(y, dtype=float)
    if v.shape != (w.n,):
        raise InputError(f"{name}: {v.shape[0] if v.ndim else 0} values for {w.n} regions of the weights")
    bad = ~np.isfinite(v)
    if bad.any():
        where = [labels[i] for i in np.flatnonzero(bad)[:10]]
        raise InputError(f"{name}: missing or non-finite value for region(s) {where}")
    if np.ptp(v) == 0:
        raise InputError(f"{name}: all values are equal; spatial autocorrelation is undefined")
    return v


def _s_terms(W: sp.csr_array) -> tuple[float, float, float]:
    s0 = float(W.sum())
    wt = W + W.T
    s1 = 0.5 * float((wt.multiply(wt)).sum())
    rs = np.asarray(W.sum(axis=1)).ravel() + np.asarray(W.sum(axis=0)).ravel()
    s2 = float((rs**2).sum())
    return s0, s1, s2


def _p_analytic(z: np.ndarray | float, alternative: str) -> np.ndarray | float:
    if alternative == "greater":
        return stats.norm.sf(z)
    if alternative == "less":
        return stats.norm.cdf(z)
    return 2.0 * stats.norm.sf(np.abs(z))


def _p_sim(sim: np.ndarray, obs: np.ndarray | float, alternative: str) -> np.ndarray | float:
    """Permutation p-values; ``sim`` has permutations along axis 0."""
    P = sim.shape[0]
    ge = (sim >= obs).sum(axis=0)
    le = (sim <= obs).sum(axis=0)
    greater = (ge + 1.0) / (P + 1.0)
    less = (le + 1.0) / (P + 1.0)
    if alternative == "greater":
        return greater
    if alternative == "less":
        return less
    if alternative == "two-sided":
        return np.minimum(1.0, 2.0 * np.minimum(greater, less))
    larger = np.where(P - ge < ge, P - ge, ge)  # esda's folded pseudo p-value
    return (larger + 1.0) / (P + 1.0)


def _permute_rows(z: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return rng.permuted(np.broadcast_to(z, (size, z.shape[0])), axis=1)


# ------------------------------------------------------------ global Moran
@dataclass(frozen=True)
class GlobalStatistic:
    """A global spatial autocorrelation statistic with analytic and permutation inference.

    Attributes
    ----------
    statistic : str
        ``"Moran's I"``, ``"Geary's C"``, ``"Getis-Ord G"`` or ``"bivariate Moran's I"``.
    value, expected : float
        Observed statistic and its expectation under no autocorrelation.
    var_norm, var_rand : float
        Variance under normality and under randomisation (NaN where not defined,
        e.g. G has only the randomisation variance; bivariate Moran has none).
    z_norm, z_rand, p_norm, p_rand : float
        z-scores and analytic p-values (``alternative``).
    p_sim : float
        Permutation p-value (NaN when ``permutations=0``).
    permutations : int
    alternative : str
    sim_mean, sim_std : float
        Mean and standard deviation of the permutation distribution.
    weights : str
        Description of the weights.
    """

    statistic: str
    value: float
    expected: float
    var_norm: float
    var_rand: float
    z_norm: float
    z_rand: float
    p_norm: float
    p_rand: float
    p_sim: float
    permutations: int
    alternative: str
    sim_mean: float
    sim_std: float
    weights: str
    sim: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def z_sim(self) -> float:
        """Pseudo z-score from the permutation distribution."""
        return (self.value - self.sim_mean) / self.sim_std if self.sim_std > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row with every number."""
        keys = ["statistic", "value", "expected", "var_norm", "var_rand", "z_norm", "z_rand",
                "p_norm", "p_rand", "p_sim", "permutations", "alternative", "weights"]
        return pd.DataFrame([{k: getattr(self, k) for k in keys}])

    def summary(self) -> str:
        """The statistic and its inference in one sentence."""
        perm = (f", permutation p = {self.p_sim:.4f} ({self.permutations} permutations)"
                if self.permutations else "")
        return (
            f"{self.statistic} = {self.value:.6f} (E = {self.expected:.6f}); z = {self.z_rand:.4f} "
            f"(randomisation), p = {self.p_rand:.4g} ({self.alternative}){perm}; weights: {self.weights}"
        )


def _perm_chunks(permutations: int, n: int) -> list[int]:
    size = max(1, min(permutations, int(1e6 // max(n, 1))))
    out, left = [], permutations
    while left > 0:
        out.append(min(size, left))
        left -= size
    return out


def moran(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    rng=None,
    keep_sim: bool = False,
) -> GlobalStatistic:
    """Global Moran's I with analytic (normality, randomisation) and permutation inference.

    ``I = (n/S0) Σ_ij w_ij z_i z_j / Σ_i z_i²``; ``E[I] = −1/(n − 1)``.

    Parameters
    ----------
    y : array-like or pandas.Series
        Values in the order of ``w.ids`` (a Series is aligned by region id).
    w : SpatialWeights
    permutations : int
        Random permutations for the pseudo p-value (0 for none).
    alternative : {"two-sided", "greater", "less", "folded"}
        See the module docstring.
    rng : int or numpy.random.Generator, optional
        Seed or generator for the permutations.
    keep_sim : bool
        Keep the permutation distribution in ``.sim``.

    Returns
    -------
    GlobalStatistic

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import moran
    >>> w = lattice(5, 5, kind="rook")
    >>> y = np.arange(25.0) // 5          # rows of a 5 x 5 grid: strong positive autocorrelation
    >>> r = moran(y, w, permutations=99, rng=1)
    >>> round(r.value, 4), r.p_sim < 0.05
    (0.84, True)
    """
    check_option("alternative", alternative, Alternative)
    v = _values(y, w)
    n = w.n
    W = w.sparse
    z = v - v.mean()
    s0, s1, s2 = _s_terms(W)
    if s0 <= 0:
        raise InputError("weights have no links: Moran's I is undefined")
    zz = float(z @ z)
    value = n / s0 * float(z @ (W @ z)) / zz
    ei = -1.0 / (n - 1)
    v_norm = (n * n * s1 - n * s2 + 3 * s0 * s0) / ((n * n - 1) * s0 * s0) - ei * ei
    k = n * float((z**4).sum()) / zz**2
    v_rand = (
        n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
        - k * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    ) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - ei * ei
    z_norm = (value - ei) / np.sqrt(v_norm)
    z_rand = (value - ei) / np.sqrt(v_rand)
    sim = None
    if permutations:
        g = _rng(rng)
        parts = []
        for size in _perm_chunks(permutations, n):
            zp = _permute_rows(z, size, g)  # (size, n)
            lag = (W @ zp.T).T
            parts.append(n / s0 * (zp * lag).sum(axis=1) / zz)
        sim = np.concatenate(parts)
    return _global_result("Moran's I", value, ei, v_norm, v_rand, z_norm, z_rand, sim, permutations,
                          alternative, w, keep_sim)


def _global_result(name, value, expected, v_norm, v_rand, z_norm, z_rand, sim, permutations,
                   alternative, w, keep_sim, *, flip: bool = False) -> GlobalStatistic:
    alt_an = "two-sided" if alternative == "folded" else alternative
    if flip and alt_an in ("greater", "less"):
        # for Geary's C positive autocorrelation means C < 1: "greater" refers to autocorrelation
        alt_an = "less" if alt_an == "greater" else "greater"
    p_norm = float(_p_analytic(z_norm, alt_an)) if np.isfinite(z_norm) else float("nan")
    p_rand = float(_p_analytic(z_rand, alt_an)) if np.isfinite(z_rand) else float("nan")
    if sim is not None:
        alt_sim = alternative
        if flip and alternative in ("greater", "less"):
            alt_sim = "less" if alternative == "greater" else "greater"
        p_sim = float(_p_sim(sim, value, alt_sim))
        sm, ss = float(sim.mean()), float(sim.std(ddof=1))
    else:
        p_sim = sm = ss = float("nan")
    return GlobalStatistic(
        statistic=name, value=float(value), expected=float(expected), var_norm=float(v_norm),
        var_rand=float(v_rand), z_norm=float(z_norm), z_rand=float(z_rand), p_norm=p_norm, p_rand=p_rand,
        p_sim=p_sim, permutations=int(permutations), alternative=alternative, sim_mean=sm, sim_std=ss,
        weights=w.description, sim=sim if keep_sim else None,
    )


def geary(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    rng=None,
    keep_sim: bool = False,
) -> GlobalStatistic:
    """Geary's C = (n − 1) Σ_ij w_ij (y_i − y_j)² / (2 S0 Σ z²); E[C] = 1.

    Values below 1 mean positive autocorrelation; ``alternative="greater"``
    tests for positive autocorrelation (C < 1), as in esda and spdep.

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import geary
    >>> r = geary(np.arange(25.0) // 5, lattice(5, 5, kind="rook"), permutations=0)
    >>> r.value < 1
    True
    """
    check_option("alternative", alternative, Alternative)
    v = _values(y, w)
    n = w.n
    W = w.sparse
    s0, s1, s2 = _s_terms(W)
    if s0 <= 0:
        raise InputError("weights have no links: Geary's C is undefined")
    z = v - v.mean()
    zz = float(z @ z)
    coo = W.tocoo()

    def stat(vals: np.ndarray) -> np.ndarray:
        d = vals[..., coo.row] - vals[..., coo.col]
        return (n - 1) * (coo.data * d * d).sum(axis=-1) / (2 * s0 * zz)

    value = float(stat(z))
    k = n * float((z**4).sum()) / zz**2
    v_norm = ((2 * s1 + s2) * (n - 1) - 4 * s0 * s0) / (2 * (n + 1) * s0 * s0)
    v_rand = (
        (n - 1) * s1 * (n * n - 3 * n + 3 - (n - 1) * k)
        - 0.25 * (n - 1) * s2 * (n * n + 3 * n - 6 - (n * n - n + 2) * k)
        + s0 * s0 * (n * n - 3 - (n - 1) ** 2 * k)
    ) / (n * (n - 2) * (n - 3) * s0 * s0)
    z_norm = (value - 1.0) / np.sqrt(v_norm)
    z_rand = (value - 1.0) / np.sqrt(v_rand)
    sim = None
    if permutations:
        g = _rng(rng)
        sim = np.concatenate([stat(_permute_rows(z, size, g)) for size in _perm_chunks(permutations, n)])
    return _global_result("Geary's C", value, 1.0, v_norm, v_rand, z_norm, z_rand, sim, permutations,
                          alternative, w, keep_sim, flip=True)


def getis_ord_g(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    rng=None,
    keep_sim: bool = False,
) -> GlobalStatistic:
    """Getis–Ord General G = Σ_{i≠j} w_ij y_i y_j / Σ_{i≠j} y_i y_j (non-negative y).

    Use binary (``transform="B"``) or distance weights, as Getis & Ord (1992);
    E[G] = S0 / (n(n − 1)); the variance is the randomisation one.

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import getis_ord_g
    >>> r = getis_ord_g(np.arange(1.0, 26.0) // 5, lattice(5, 5, kind="rook", transform="B"), permutations=0)
    >>> r.value > r.expected
    True
    """
    check_option("alternative", alternative, Alternative)
    v = _values(y, w)
    if (v < 0).any():
        raise InputError("Getis-Ord G needs non-negative values")
    n = w.n
    W = w.sparse
    s0, s1, s2 = _s_terms(W)
    m1, m2, m3, m4 = (float((v**p).sum()) for p in (1, 2, 3, 4))
    den = m1 * m1 - m2
    if den <= 0:
        raise InputError("Getis-Ord G undefined: fewer than two non-zero values")
    value = float(v @ (W @ v)) / den
    eg = s0 / (n * (n - 1))
    b0 = (n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0
    b1 = -((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    b2 = -(2 * n * s1 - (n + 3) * s2 + 6 * s0 * s0)
    b3 = 4 * (n - 1) * s1 - 2 * (n + 1) * s2 + 8 * s0 * s0
    b4 = s1 - s2 + s0 * s0
    eg2 = (b0 * m2 * m2 + b1 * m4 + b2 * m1 * m1 * m2 + b3 * m1 * m3 + b4 * m1**4) / (
        den * den * n * (n - 1) * (n - 2) * (n - 3)
    )
    var = eg2 - eg * eg
    zr = (value - eg) / np.sqrt(var)
    sim = None
    if permutations:
        g = _rng(rng)
        parts = []
        for size in _perm_chunks(permutations, n):
            vp = _permute_rows(v, size, g)
            parts.append((vp * (W @ vp.T).T).sum(axis=1) / den)
        sim = np.concatenate(parts)
    return _global_result("Getis-Ord G", value, eg, float("nan"), var, float("nan"), zr, sim, permutations,
                          alternative, w, keep_sim)


def moran_bivariate(
    x,
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    rng=None,
    keep_sim: bool = False,
) -> GlobalStatistic:
    """Bivariate Moran's I: x at i against the spatial lag of y (as esda ``Moran_BV`` and GeoDa).

    ``I_xy = Σ_ij w_ij zx_i zy_j / Σ_i zx_i²`` with standardised x and y — as esda
    ``Moran_BV`` and R spdep ``moran_bv`` (no n/S0 factor: with row-standardised weights,
    the usual choice and GeoDa's only one, both conventions coincide); inference by
    permuting y (no analytic variance: NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import moran_bivariate
    >>> y = np.arange(25.0) // 5
    >>> r = moran_bivariate(y, y, lattice(5, 5, kind="rook"), permutations=0)
    >>> round(r.value, 4)
    0.84
    """
    check_option("alternative", alternative, Alternative)
    vx = _values(x, w, "x")
    vy = _values(y, w, "y")
    n = w.n
    W = w.sparse
    zx = (vx - vx.mean()) / vx.std()
    zy = (vy - vy.mean()) / vy.std()
    den = float(zx @ zx)
    value = float(zx @ (W @ zy)) / den
    sim = None
    if permutations:
        g = _rng(rng)
        wt_zx = W.T @ zx  # Σ_i zx_i w_ij, so I = (wt_zx · zy_perm) / den
        sim = np.concatenate([
            (_permute_rows(zy, size, g) @ wt_zx) / den for size in _perm_chunks(permutations, n)
        ])
    nan = float("nan")
    return _global_result("bivariate Moran's I", value, -1.0 / (n - 1), nan, nan, nan, nan, sim, permutations,
                          alternative, w, keep_sim)


# -------------------------------------------------------------- local Moran
@dataclass(frozen=True)
class LocalStatistic:
    """Local statistics per region with permutation (and analytic) inference.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by region id.  Local Moran: ``value`` (I_i), ``z`` (standardised
        y), ``lag`` (spatial lag of z), ``quadrant`` (HH/LL/LH/HL label),
        ``p_sim``, ``z_sim``, ``significant`` (after ``adjust``), ``cluster``
        (quadrant if significant, else "not significant"; "no neighbours"
        for islands).  Gi*: ``value`` (G_i), ``z`` (analytic z), ``p_norm``,
        ``p_sim``, ``significant``, ``cluster`` (hot/cold spot label).
    statistic : str
    permutations : int
    alternative : str
    adjust : str
        ``"none"``, ``"fdr"`` (Benjamini–Hochberg) or ``"bonferroni"``.
    alpha : float
    threshold : float
        The p-value threshold actually applied after ``adjust``.
    weights : str
    """

    table: pd.DataFrame
    statistic: str
    permutations: int
    alternative: str
    adjust: str
    alpha: float
    threshold: float
    weights: str

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table."""
        return self.table.copy()

    def counts(self) -> pd.Series:
        """Number of regions per cluster label."""
        return self.table["cluster"].value_counts()

    def summary(self) -> str:
        """Cluster counts and the inference used, in one sentence."""
        c = self.counts()
        parts = ", ".join(f"{k} {int(v)}" for k, v in c.items())
        return (
            f"{self.statistic}: {parts} ({self.permutations} conditional permutations, "
            f"{self.alternative} p, adjust={self.adjust}, alpha={self.alpha}, p ≤ {self.threshold:.4g}); "
            f"weights: {self.weights}"
        )


def _threshold(p: np.ndarray, alpha: float, adjust: str) -> float:
    if adjust == "bonferroni":
        return alpha / len(p)
    if adjust == "fdr":
        ps = np.sort(p)
        ok = ps <= alpha * np.arange(1, len(p) + 1) / len(p)
        return float(ps[np.flatnonzero(ok).max()]) if ok.any() else 0.0
    return alpha


def _conditional_lags(
    z: np.ndarray, W: sp.csr_array, permutations: int, rng: np.random.Generator, *, chunk: int | None = None
):
    """Yield (rows, simulated lags of shape (len(rows), P)) by conditional randomisation.

    One set of P draws of ``max_card`` indices from ``0..n−2`` (without
    replacement within a draw) is shared by all regions; for region i the
    indices ≥ i are shifted by one so that i itself is never drawn.
    """
    n = len(z)
    card = np.diff(W.indptr)
    kmax = int(card.max()) if n else 0
    if kmax == 0:
        return
    if kmax > n - 1:
        raise InputError("a region has more neighbours than there are other regions")
    # P draws without replacement of kmax ids from n-1: argpartition of random keys would
    # be O(P n); for kmax << n draw with rejection of duplicates instead
    draws = np.empty((permutations, kmax), dtype=np.int64)
    for p in range(permutations):
        draws[p] = rng.choice(n - 1, size=kmax, replace=False)
    chunk = chunk or max(1, int(4e6 // max(permutations * kmax, 1)))
    order = np.argsort(card, kind="stable")  # group rows of equal cardinality
    for start in range(0, n, chunk):
        rows = order[start:start + chunk]
        out = np.zeros((len(rows), permutations))
        for c in np.unique(card[rows]):
            if c == 0:
                continue
            mask = card[rows] == c
            sel = rows[mask]
            idx = draws[None, :, :c] + (draws[None, :, :c] >= sel[:, None, None])  # (m, P, c)
            starts = W.indptr[sel]
            wts = W.data[starts[:, None] + np.arange(c)[None, :]]  # (m, c)
            out[mask] = np.einsum("mpc,mc->mp", z[idx], wts)
        yield rows, out


def local_moran(
    y,
    w: SpatialWeights,
    *,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    adjust: Adjust = "none",
    alpha: float = 0.05,
    denominator: Denominator = "n",
    rng=None,
) -> LocalStatistic:
    """Local Moran's I (LISA) with conditional permutation inference and cluster labels.

    Parameters
    ----------
    y : array-like or pandas.Series
    w : SpatialWeights
        Usually row-standardised.
    permutations : int
        Conditional permutations (>= 99 recommended; 0 gives no p-values and
        every region "not significant").
    alternative : {"two-sided", "greater", "less", "folded"}
        Two-sided by default (GeoDa and esda report the folded pseudo p).
    adjust : {"none", "fdr", "bonferroni"}
        Multiple-comparison adjustment of the significance threshold.
    alpha : float
        Significance level.
    denominator : {"n", "n-1"}
        Scale of I_i (see module docstring): spdep/Anselin ("n") or esda ("n-1").
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    LocalStatistic

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import local_moran
    >>> y = np.zeros(25); y[:10] = 10.0              # a high block in the top two rows
    >>> r = local_moran(y, lattice(5, 5), permutations=199, rng=0)
    >>> r.table["quadrant"].iloc[0], r.table["quadrant"].iloc[24]
    ('HH', 'LL')
    """
    check_option("alternative", alternative, Alternative)
    check_option("adjust", adjust, Adjust)
    check_option("denominator", denominator, Denominator)
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must lie in (0, 1)")
    v = _values(y, w)
    n = w.n
    W = w.sparse
    z = (v - v.mean()) / v.std()
    zz = float(z @ z)
    c = n if denominator == "n" else n - 1
    lag = W @ z
    value = c * z * lag / zz
    card = w.cardinalities
    quad = np.where(z > 0, np.where(lag > 0, "HH", "HL"), np.where(lag > 0, "LH", "LL")).astype(object)
    p_sim = np.full(n, np.nan)
    z_sim = np.full(n, np.nan)
    if permutations:
        g = _rng(rng)
        for rows, sim_lag in _conditional_lags(z, W, permutations, g):
            sim = (c * z[rows, None] * sim_lag / zz).T  # (P, m)
            p_sim[rows] = _p_sim(sim, value[rows], alternative)
            sd = sim.std(axis=0, ddof=1)
            z_sim[rows] = np.where(sd > 0, (value[rows] - sim.mean(axis=0)) / np.where(sd > 0, sd, 1), 0.0)
    has = card > 0
    thr = _threshold(p_sim[has & np.isfinite(p_sim)], alpha, adjust) if permutations else 0.0
    significant = has & np.isfinite(p_sim) & (p_sim <= thr)
    cluster = np.where(significant, quad, "not significant").astype(object)
    cluster[~has] = "no neighbours"
    table = pd.DataFrame(
        {"value": value, "z": z, "lag": lag, "quadrant": quad, "p_sim": p_sim, "z_sim": z_sim,
         "significant": significant, "cluster": pd.Categorical(cluster, categories=list(LISA_LABELS))},
        index=pd.Index(list(w.ids), name="region"),
    )
    return LocalStatistic(table=table, statistic="local Moran's I", permutations=int(permutations),
                          alternative=alternative, adjust=adjust, alpha=alpha, threshold=float(thr),
                          weights=w.description)


def local_g(
    y,
    w: SpatialWeights,
    *,
    star: bool = True,
    permutations: int = 999,
    alternative: Alternative = "two-sided",
    adjust: Adjust = "none",
    alpha: float = 0.05,
    rng=None,
) -> LocalStatistic:
    """Getis–Ord local G_i* (``star=True``, default: the region itself is included) or G_i.

    The analytic z-score is Ord & Getis (1995), as in ArcGIS "Hot Spot
    Analysis" and R spdep ``localG``: for G_i*,
    ``z_i = (Σ_j w_ij y_j − ȳ W_i) / (s √((n Σ_j w_ij² − W_i²)/(n − 1)))`` with
    ``w_ii = 1`` added to the weights (binary) and ȳ, s over all n; for G_i the
    sums exclude i and use n − 1.  The z-score does not depend on row
    standardisation.  Hot/cold spot labels use the analytic p-value at 90/95/99 %
    (``adjust`` changes the thresholds); a permutation p-value is also given.

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.weights import lattice
    >>> from regionkit.spatial.autocorrelation import local_g
    >>> y = np.ones(49); y[:14] = 20.0                # the top two rows of a 7 x 7 grid are high
    >>> r = local_g(y, lattice(7, 7, transform="B"), permutations=0)
    >>> r.table["cluster"].iloc[3]
    'hot spot 99%'
    """
    check_option("alternative", alternative, Alternative)
    check_option("adjust", adjust, Adjust)
    v = _values(y, w)
    n = w.n
    B = w.sparse.copy()
    B.data = (B.data != 0).astype(float) if w.transform == "R" else B.data.astype(float)
    if star:
        B = (B + sp.eye_array(n, format="csr")).tocsr()
    wi = np.asarray(B.sum(axis=1)).ravel()
    s1i = np.asarray(B.multiply(B).sum(axis=1)).ravel()
    num = B @ v
    if star:
        ybar = v.mean()
        s = np.sqrt((v**2).mean() - ybar**2)
        denom_sum = v.sum()
        value = num / denom_sum
        zs = (num - ybar * wi) / (s * np.sqrt((n * s1i - wi**2) / (n - 1)))
    else:
        tot, tot2 = v.sum(), (v**2).sum()
        ybar = (tot - v) / (n - 1)
        s = np.sqrt((tot2 - v**2) / (n - 1) - ybar**2)
        value = num / (tot - v)
        zs = (num - ybar * wi) / (s * np.sqrt(((n - 1) * s1i - wi**2) / (n - 2)))
    alt_an = "two-sided" if alternative == "folded" else alternative
    p_norm = _p_analytic(zs, alt_an)
    p_sim = np.full(n, np.nan)
    if permutations:
        g = _rng(rng)
        Bx = B - sp.diags_array(B.diagonal(), format="csr") if star else B
        Bx = sp.csr_array(Bx)
        Bx.eliminate_zeros()
        for rows, sim_lag in _conditional_lags(v, Bx, permutations, g):
            self_part = v[rows, None] if star else 0.0
            tot = v.sum() if star else (v.sum() - v[rows])[:, None]
            sim = ((sim_lag + self_part) / tot).T
            p_sim[rows] = _p_sim(sim, value[rows], alternative)
    has = w.cardinalities > 0
    labels = np.full(n, "not significant", dtype=object)
    levels = ((0.01, "99%"), (0.05, "95%"), (0.10, "90%"))
    for a, tag in reversed(levels):
        thr = _threshold(p_norm[has], a, adjust)
        hit = has & (p_norm <= thr)
        labels[hit & (zs > 0)] = f"hot spot {tag}"
        labels[hit & (zs < 0)] = f"cold spot {tag}"
    thr_alpha = _threshold(p_norm[has], alpha, adjust)
    table = pd.DataFrame(
        {"value": value, "z": zs, "p_norm": p_norm, "p_sim": p_sim,
         "significant": has & (p_norm <= thr_alpha),
         "cluster": pd.Categorical(labels, categories=list(HOTSPOT_LABELS))},
        index=pd.Index(list(w.ids), name="region"),
    )
    return LocalStatistic(table=table, statistic="Getis-Ord Gi*" if star else "Getis-Ord Gi",
                          permutations=int(permutations), alternative=alternative, adjust=adjust,
                          alpha=alpha, threshold=float(thr_alpha), weights=w.description)
