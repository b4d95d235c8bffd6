"""Map classification: exact natural breaks, quantiles, equal interval, standard deviation, user breaks.

Conventions (shared with mapclassify):

* ``bins`` are the upper bounds of the classes; class ``c`` holds the values
  ``bins[c-1] < y <= bins[c]`` and class 0 every value ``<= bins[0]``.  For
  every method but ``"std_mean"`` (whose bounds are mean + multiples × sd),
  the last bound is the largest value.
* ``tss`` is the total sum of squared deviations from the overall mean,
  ``wss`` the sum of squared deviations from the class means (mapclassify
  calls the latter ``tss``), and ``gvf = 1 − wss/tss`` the goodness of
  variance fit.

Natural breaks are *exact*: the classes minimise ``wss`` over every way of
cutting the sorted values into ``k`` runs (Fisher 1958; the optimum that the
Jenks algorithm, jenkspy and Ckmeans.1d.dp find).  The engine is the
divide-and-conquer dynamic programme of Ckmeans.1d.dp (Wang & Song 2011;
Song & Zhong 2020), vectorised with numpy:

1. the values are sorted and ties compressed (distinct values with counts:
   a weighted programme over ``m <= n`` points), then centred on their median;
   prefix sums give the within-class sum of squares of any run in O(1);
2. layer ``q`` computes, for every prefix ``i``, the best cut of the first
   ``i`` points into ``q`` classes.  The best position ``opt(i)`` of the last
   cut is non-decreasing in ``i`` (the cost is a Monge array), so ``opt`` is
   computed level by level — first for ``i`` at stride ``2^P``, then at the
   odd multiples of ``2^(P−1)``, … — each ``i`` searching only between the
   optima of its two already-solved neighbours.  Every level is one batch of
   independent searches whose candidate ranges total O(m): they are gathered
   into flat arrays in cache-sized chunks and reduced with
   ``np.minimum.reduceat`` (very long ranges are scanned as contiguous
   slices); chunks run on a few threads (numpy releases the GIL).  A layer
   costs O(m log m), the whole programme O(k m log m) time and O(k m) memory;
3. the last full layer is pruned by branch and bound: a gap between two solved
   prefixes ``a < b`` is skipped when ``D(a) + SSQ(b..end)`` (a lower bound of
   every cut inside the gap, ``D`` being non-decreasing and the last class's
   SSQ non-increasing) already exceeds the best complete solution found;
4. the cuts are read back from the stored ``opt`` arrays.

Ties between equally good cuts go to the smallest cut position, as in
jenkspy; tied data values always share a class.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._checks import check_option
from ..errors import InputError

__all__ = ["DEFAULT_MULTIPLES", "Classification", "Method", "classify"]

Method = Literal["natural_breaks", "quantiles", "equal_interval", "std_mean", "user"]

DEFAULT_MULTIPLES = (-2.0, -1.0, 1.0, 2.0)

# ------------------------------------------------------------------ engine tuning
_CHUNK = 1 << 18          # candidates per flat batch (its arrays stay in the L2/L3 caches)
_SLICE_MIN = 1 << 13      # a search range this long is scanned as contiguous slices
_THREADS_MIN = 200_000    # distinct values from which the levels run on several threads
_PRUNE = True             # branch-and-bound pruning of the last full layer
_BIG = np.iinfo(np.intp).max


# ------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class Classification:
    """A classification of values into ``k`` classes.

    Attributes
    ----------
    bins : numpy.ndarray
        Upper bound of each class (``k`` floats, increasing).
    labels : numpy.ndarray
        Class index (0 … k−1) of each value, in the order of the input.
    counts : numpy.ndarray
        Number of values in each class.
    method : str
        ``"natural_breaks"``, ``"quantiles"``, ``"equal_interval"``,
        ``"std_mean"`` or ``"user"``.
    k : int
        Number of classes (``len(bins)``).
    tss : float
        Total sum of squared deviations from the mean of all values.
    wss : float
        Within-class sum of squared deviations from the class means.
    gvf : float
        Goodness of variance fit, ``1 − wss/tss``.
    sampled : bool
        True when the natural breaks were computed on a random sample.
    lower : numpy.ndarray
        Lower end of each class for display: the smallest value for class 0,
        the previous upper bound for the others.
    means : numpy.ndarray
        Mean of each class (NaN for an empty class).
    """

    bins: np.ndarray
    labels: np.ndarray
    counts: np.ndarray
    method: str
    k: int
    tss: float
    wss: float
    gvf: float
    sampled: bool
    lower: np.ndarray
    means: np.ndarray

    @property
    def n(self) -> int:
        """Number of classified values."""
        return int(self.labels.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per class: lower, upper, count, mean."""
        frame = pd.DataFrame(
            {"lower": self.lower, "upper": self.bins, "count": self.counts, "mean": self.means}
        )
        frame.index.name = "class"
        return frame

    def legend_labels(self, fmt: str = "{:.2f}") -> list[str]:
        """Legend entries ``"lower – upper (count)"``, one per class.

        Parameters
        ----------
        fmt : str
            Format of the bounds, e.g. ``"{:.0f}"`` or ``"{:,.1f}"``.
        """
        return [
            f"{fmt.format(lo)} – {fmt.format(hi)} ({int(c)})"
            for lo, hi, c in zip(self.lower, self.bins, self.counts, strict=True)
        ]

    def summary(self) -> str:
        """Method, fit and one legend line per class."""
        how = " (breaks from a random sample)" if self.sampled else ""
        head = (
            f"{self.method}{how}: {self.n} values in {self.k} classes; "
            f"GVF {self.gvf:.4f} (within-class SS {self.wss:.6g} of total {self.tss:.6g})"
        )
        return "\n".join([head, *(f"  {s}" for s in self.legend_labels())])


# ------------------------------------------------------------------ public function
def classify(
    values: ArrayLike,
    *,
    method: Method,
    k: int = 5,
    breaks: Sequence[float] | None = None,
    multiples: Sequence[float] | None = None,
    sample: int | None = None,
    rng: int | np.random.Generator | None = None,
) -> Classification:
    """Classify values for a choropleth map.

    Parameters
    ----------
    values : array-like
        One-dimensional finite numbers (NaN or infinity is an error).
    method : {"natural_breaks", "quantiles", "equal_interval", "std_mean", "user"}
        * ``"natural_breaks"``: the exact Fisher–Jenks optimum (minimal
          within-class sum of squares, see the module docstring);
        * ``"quantiles"``: bounds at the ``100·c/k`` percentiles (linear
          interpolation, as ``mapclassify.Quantiles``; when ties make bounds
          coincide, fewer classes are returned, with a warning);
        * ``"equal_interval"``: ``k`` classes of equal width
          (``mapclassify.EqualInterval``);
        * ``"std_mean"``: bounds at mean + ``multiples`` × standard deviation
          (ddof 1) and the maximum when above the last one
          (``mapclassify.StdMean``);
        * ``"user"``: the given ``breaks`` as upper bounds
          (``mapclassify.UserDefined``).
    k : int
        Number of classes (at least 2 and at most the number of distinct
        values); not used by ``"std_mean"`` and ``"user"``.
    breaks : sequence of float, optional
        Upper bounds for ``method="user"``: strictly increasing, the last at
        least the largest value.
    multiples : sequence of float, optional
        Multiples of the standard deviation for ``method="std_mean"``
        (default ``(-2, -1, 1, 2)``), strictly increasing.
    sample : int, optional
        For ``"natural_breaks"`` only: compute the breaks on this many values
        drawn without replacement (plus the minimum and the maximum), then
        classify all values with them.  Without it the breaks use every value.
    rng : int or numpy.random.Generator, optional
        Seed or generator for ``sample`` (the same seed gives the same breaks).

    Returns
    -------
    Classification

    Raises
    ------
    InputError
        Non-finite or non-numeric values, an unknown method, ``k < 2``, ``k``
        above the number of distinct values, ``breaks`` that are missing,
        not increasing or below the largest value, or an option given to a
        method that does not use it.

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.spatial.classify import classify
    >>> y = np.array([1.0, 1.2, 1.1, 5.0, 5.3, 9.8, 10.1, 9.9, 5.1, 1.3])
    >>> c = classify(y, method="natural_breaks", k=3)
    >>> c.bins.tolist(), c.counts.tolist()
    ([1.3, 5.3, 10.1], [4, 3, 3])
    >>> c.labels.tolist()
    [0, 0, 0, 1, 1, 2, 2, 2, 1, 0]
    >>> round(c.gvf, 4)
    0.9989
    >>> c.legend_labels("{:.1f}")
    ['1.0 – 1.3 (4)', '1.3 – 5.3 (3)', '5.3 – 10.1 (3)']
    >>> classify(y, method="quantiles", k=2).bins.tolist()
    [5.05, 10.1]
    >>> classify(y, method="user", breaks=[2, 6, 11]).counts.tolist()
    [4, 3, 3]
    """
    check_option("method", method, Method)
    y = _as_values(values)
    if method in ("natural_breaks", "quantiles", "equal_interval"):
        _check_k(k)
    if breaks is not None and method != "user":
        raise InputError(f"breaks= is only used with method='user', not method={method!r}")
    if multiples is not None and method != "std_mean":
        raise InputError(f"multiples= is only used with method='std_mean', not method={method!r}")
    if sample is not None and method != "natural_breaks":
        raise InputError(
            f"sample= is only used with method='natural_breaks', not method={method!r}"
        )

    s = np.sort(y)
    u, w = _distinct(s)
    del s
    sampled = False
    if method == "natural_breaks":
        if sample is not None and _check_sample(sample) < y.size:
            su, sw = _sample_distinct(y, sample, rng)
            _check_distinct(k, su.size, what=f"the sample of {sample} values (plus min and max)")
            bins = _natural_breaks_bins(su, sw, k)
            sampled = True
        else:
            _check_distinct(k, u.size)
            bins = _natural_breaks_bins(u, w, k)
    elif method == "quantiles":
        _check_distinct(k, u.size)
        bins = _quantile_bins(u, w, y.size, k)
    elif method == "equal_interval":
        _check_distinct(k, u.size)
        bins = _equal_interval_bins(u[0], u[-1], k)
    elif method == "std_mean":
        bins = _std_mean_bins(y, u, multiples)
    else:
        bins = _user_bins(breaks, u[-1])
    return _result(y, u, w, bins, method, sampled)


# ------------------------------------------------------------------ checks
def _as_values(values: ArrayLike) -> np.ndarray:
    try:
        y = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"values must be numbers: {exc}") from None
    if y.ndim != 1:
        raise InputError(f"values must be one-dimensional, got shape {y.shape}")
    if y.size == 0:
        raise InputError("values are empty")
    bad = ~np.isfinite(y)
    if bad.any():
        where = np.flatnonzero(bad)
        more = f" and {where.size - 5} more" if where.size > 5 else ""
        raise InputError(
            f"values: {where.size} missing or non-finite value(s) (NaN or infinity) at "
            f"position(s) {', '.join(map(str, where[:5].tolist()))}{more}"
        )
    return y


def _check_k(k) -> None:
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise InputError(f"k must be an integer number of classes, got {k!r}")
    if k < 2:
        raise InputError(f"k={k}: at least 2 classes are needed")


def _check_distinct(k: int, m: int, what: str = "values") -> None:
    if k > m:
        raise InputError(f"k={k} classes need at least {k} distinct values; {what} have only {m}")


def _check_sample(sample) -> int:
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 1:
        raise InputError(f"sample must be a positive integer number of values, got {sample!r}")
    return int(sample)


def _distinct(s: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Distinct values of sorted ``s`` and their counts (None when all are distinct)."""
    new = np.empty(s.size, dtype=bool)
    new[0] = True
    np.not_equal(s[1:], s[:-1], out=new[1:])
    first = np.flatnonzero(new)
    if first.size == s.size:
        return s, None
    counts = np.empty(first.size, dtype=np.int64)
    np.subtract(first[1:], first[:-1], out=counts[:-1])
    counts[-1] = s.size - first[-1]
    return s[first], counts


def _sample_distinct(y: np.ndarray, sample: int, rng) -> tuple[np.ndarray, np.ndarray | None]:
    g = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    idx = g.choice(y.size, size=sample, replace=False)
    sub = np.concatenate([y[idx], [y.min(), y.max()]])
    return _distinct(np.sort(sub))


# ------------------------------------------------------------------ bins of each method
def _quantile_bins(u: np.ndarray, w: np.ndarray | None, n: int, k: int) -> np.ndarray:
    # Percentiles exactly as mapclassify.quantile (scipy's scoreatpercentile,
    # linear interpolation), the last one being the maximum.
    step = 100.0 / k
    pct = np.arange(step, 100 + step, step)[:k]
    ends = None if w is None else np.cumsum(w)

    def at(pos: int) -> float:  # value at position ``pos`` of the sorted data
        return float(u[pos] if ends is None else u[np.searchsorted(ends, pos, side="right")])

    q = []
    for p in pct[:-1]:
        idx = p / 100.0 * (n - 1)
        i = int(idx)
        if i == idx:
            q.append(at(i))
        else:
            j = i + 1
            wi, wj = j - idx, idx - i
            q.append((at(i) * wi + at(j) * wj) / (wi + wj))
    q.append(float(u[-1]))
    bins = np.unique(np.array(q))
    if bins.size < k:
        warnings.warn(
            f"quantiles: ties make {k - bins.size} class bound(s) coincide; "
            f"{bins.size} classes instead of k={k}",
            UserWarning,
            stacklevel=3,
        )
    return bins


def _equal_interval_bins(lo: float, hi: float, k: int) -> np.ndarray:
    # Same arithmetic as mapclassify.EqualInterval.
    width = (hi - lo) * 1.0 / k
    cuts = np.arange(lo + width, hi + width, width)[:k].copy()
    cuts[-1] = hi
    return cuts


def _std_mean_bins(y: np.ndarray, u: np.ndarray, multiples) -> np.ndarray:
    mult = DEFAULT_MULTIPLES if multiples is None else multiples
    try:
        mult = np.asarray(mult, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"multiples must be numbers, got {multiples!r}") from None
    if mult.ndim != 1 or mult.size == 0 or not np.isfinite(mult).all():
        raise InputError(f"multiples must be a non-empty sequence of finite numbers, got {multiples!r}")
    if (np.diff(mult) <= 0).any():
        raise InputError(f"multiples must be strictly increasing, got {mult.tolist()}")
    if u.size < 2:
        raise InputError("std_mean needs at least 2 distinct values (the standard deviation is 0)")
    # Same arithmetic and order as mapclassify.StdMean (mean and sd of the input order).
    sd = y.std(ddof=1)
    mean = y.mean()
    cuts = [mean + sd * float(m) for m in mult]
    if cuts[-1] < u[-1]:
        cuts.append(float(u[-1]))
    return np.array(cuts)


def _user_bins(breaks, top: float) -> np.ndarray:
    if breaks is None:
        raise InputError("method='user' needs breaks= (the upper bound of each class)")
    try:
        b = np.asarray(breaks, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"breaks must be numbers, got {breaks!r}") from None
    if b.ndim != 1 or b.size == 0:
        raise InputError(f"breaks must be a non-empty sequence of numbers, got {breaks!r}")
    if not np.isfinite(b).all():
        raise InputError(f"breaks must be finite numbers, got {b.tolist()}")
    if (np.diff(b) <= 0).any():
        raise InputError(f"breaks must be strictly increasing, got {b.tolist()}")
    if b[-1] < top:
        raise InputError(
            f"breaks do not cover the data: the last upper bound {b[-1]:g} is below the largest "
            f"value {top:g} (add it as the last break)"
        )
    return b


# ------------------------------------------------------------------ result assembly
def _result(y, u, w, bins, method, sampled) -> Classification:
    bins = np.array(bins, dtype=float)  # a copy: never a view of the caller's breaks
    k = int(bins.size)
    labels = np.searchsorted(bins, y, side="left")
    # Class c holds the distinct values u[ends[c-1]:ends[c]].
    ends = np.searchsorted(u, bins, side="right")
    starts = np.concatenate([[0], ends[:-1]])
    counts = np.zeros(k, dtype=np.int64)
    means = np.full(k, np.nan)
    wss = 0.0
    for c in range(k):
        a, b = int(starts[c]), int(ends[c])
        if b <= a:
            continue
        uc = u[a:b]
        wc = None if w is None else w[a:b]
        cnt, mean, ss = _moments(uc, wc)
        counts[c], means[c] = cnt, mean
        wss += ss
    tss = _moments(u, w)[2]
    gvf = 1.0 - wss / tss if tss > 0 else 1.0
    lower = np.concatenate([[min(u[0], bins[0])], bins[:-1]])
    for arr in (bins, labels, counts, means, lower):
        arr.flags.writeable = False
    return Classification(
        bins=bins, labels=labels, counts=counts, method=method, k=k, tss=float(tss),
        wss=float(wss), gvf=float(gvf), sampled=sampled, lower=lower, means=means,
    )


def _moments(u: np.ndarray, w: np.ndarray | None) -> tuple[int, float, float]:
    """Count, mean and sum of squared deviations (two passes) of values ``u`` with counts ``w``."""
    if w is None:
        mean = float(u.mean())
        d = u - mean
        return int(u.size), mean, float(d @ d)
    cnt = int(w.sum())
    mean = float(w @ u) / cnt
    d = u - mean
    return cnt, mean, float(w @ (d * d))


# ------------------------------------------------------------------ natural breaks engine
def _natural_breaks_bins(u: np.ndarray, w: np.ndarray | None, k: int) -> np.ndarray:
    cuts = _fisher_jenks_cuts(u, w, k)
    return np.append(u[cuts - 1], u[-1])


def _fisher_jenks_cuts(u: np.ndarray, w: np.ndarray | None, k: int) -> np.ndarray:
    """Optimal cut positions of sorted distinct values into ``k`` classes.

    Parameters
    ----------
    u : numpy.ndarray
        Sorted distinct values (``m`` floats).
    w : numpy.ndarray or None
        Count of each value (None: each counted once).
    k : int
        Number of classes, ``2 <= k <= m``.

    Returns
    -------
    numpy.ndarray
        The ``k − 1`` cut positions ``c_1 < … < c_{k−1}``: class ``q`` holds
        ``u[c_{q−1}:c_q]`` (with ``c_0 = 0`` and ``c_k = m``).  The cuts
        minimise the within-class sum of squares; among equal optima the
        smallest cut positions are chosen.

    Examples
    --------
    >>> import numpy as np
    >>> _fisher_jenks_cuts(np.array([1.0, 2.0, 10.0, 11.0, 30.0]), None, 3).tolist()
    [2, 4]
    """
    m = int(u.size)
    if not 2 <= k <= m:
        raise InputError(f"k={k} must be between 2 and the number of distinct values ({m})")
    if k == m:
        return np.arange(1, m)
    eng = _Engine(u, w)
    workers = _workers() if m >= _THREADS_MIN else 1
    pool = ThreadPoolExecutor(workers) if workers > 1 else None
    try:
        eng.pool = pool
        # E_q(i) = D_{q-1}(i) - S2(i): D_{q-1}(i) is the least SSQ of the first i points in
        # q-1 classes.  With it, best q-class cost of the first i points is
        # S2(i) + min_j [E_q(j) - (S1(i) - S1(j))^2 / (W(i) - W(j))].
        with np.errstate(divide="ignore", invalid="ignore"):
            e = -(eng.s1 * eng.s1) / eng.wf
        e[0] = np.inf
        opts = []
        for q in range(2, k):
            prune = _PRUNE and q == k - 1
            e, opt = eng.layer(e, ilo=q, ihi=m - (k - q), jlo=q - 1, prune=prune)
            opts.append(opt)
        j = eng.last(e, k - 1)
    finally:
        if pool is not None:
            pool.shutdown()
    cuts = [j]
    for opt in reversed(opts):
        j = int(opt[j])
        cuts.append(j)
    return np.array(cuts[::-1], dtype=np.intp)


def _prefix_sums(v: np.ndarray, block: int = 4096) -> np.ndarray:
    """``[0, v0, v0+v1, …]`` summed in blocks: rounding error grows with ``block + n/block``, not ``n``."""
    n = v.size
    out = np.zeros(n + 1)
    nb = n // block
    if nb > 1:
        body = np.cumsum(v[: nb * block].reshape(nb, block), axis=1)
        offsets = np.zeros(nb)
        np.cumsum(body[:-1, -1], out=offsets[1:])
        body += offsets[:, None]
        out[1 : nb * block + 1] = body.ravel()
        start = nb * block
    else:
        start = 0
    if start < n:
        np.cumsum(v[start:], out=out[start + 1 :])
        out[start + 1 :] += out[start]
    return out


def _workers() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        n = os.cpu_count() or 1
    return max(1, min(4, n))


class _Engine:
    """Prefix sums and the level-synchronous divide-and-conquer search of one layer."""

    def __init__(self, u: np.ndarray, w: np.ndarray | None) -> None:
        m = u.size
        self.m = m
        xc = u - u[m // 2]  # centred on the middle value: smaller sums, less cancellation
        if w is None:
            self.s1 = _prefix_sums(xc)
            xc *= xc
            self.s2 = _prefix_sums(xc)
            self.w = None  # W(i) = i
            self.wf = np.arange(m + 1, dtype=float)
        else:
            wf = w.astype(float)
            self.w = self.wf = _prefix_sums(wf)
            xc *= wf
            self.s1 = _prefix_sums(xc)
            xc *= u - u[m // 2]
            self.s2 = _prefix_sums(xc)
        self.pool: ThreadPoolExecutor | None = None

    # -- cost of the last class for the pruning bound: SSQ of points b..m-1
    def _tail_ssq(self, b: np.ndarray) -> np.ndarray:
        m, s1, s2, wf = self.m, self.s1, self.s2, self.wf
        with np.errstate(divide="ignore", invalid="ignore"):
            d = s1[m] - s1[b]
            out = (s2[m] - s2[b]) - d * d / (wf[m] - wf[b])
        out[b >= m] = 0.0
        return out

    def last(self, e: np.ndarray, lo: int) -> int:
        """Best last cut j in [lo, m-1] for the full data."""
        return self._scan(e, self.m, lo, self.m - 1)[1]

    def _scan(self, e: np.ndarray, i: int, lo: int, hi: int) -> tuple[float, int]:
        """Argmin over the contiguous range j = lo..hi for target i (chunked slices)."""
        s1, w = self.s1, self.w
        si = s1[i]
        wi = float(i) if w is None else w[i]
        best, bj = np.inf, -1
        for a0 in range(lo, hi + 1, _CHUNK):
            a1 = min(hi + 1, a0 + _CHUNK)
            a = si - s1[a0:a1]
            a *= a
            if w is None:
                a /= i - np.arange(a0, a1)
            else:
                a /= wi - w[a0:a1]
            np.subtract(e[a0:a1], a, out=a)
            p = int(np.argmin(a))
            if a[p] < best:
                best, bj = float(a[p]), a0 + p
        return best, bj

    def _flat(self, e, mid, jlo, hi):
        """Argmins of many short ranges [jlo, hi] (targets mid) in one flat batch."""
        s1, w = self.s1, self.w
        lens = hi - jlo + 1
        starts = np.zeros(lens.size, np.intp)
        np.cumsum(lens[:-1], out=starts[1:])
        total = int(starts[-1] + lens[-1])
        j = np.ones(total, np.intp)
        j[0] = jlo[0]
        j[starts[1:]] = jlo[1:] - hi[:-1]
        np.cumsum(j, out=j)
        a = s1[j]
        np.subtract(np.repeat(s1[mid], lens), a, out=a)
        a *= a
        if w is None:
            b = np.repeat(mid, lens)
            b -= j
        else:
            b = w[j]
            np.subtract(np.repeat(w[mid], lens), b, out=b)
        a /= b
        v = e[j]
        v -= a
        mins = np.minimum.reduceat(v, starts)
        eq = v == np.repeat(mins, lens)
        pos = np.flatnonzero(eq)
        if pos.size == lens.size:  # one minimum per range (no ties): the usual case
            opt = j[pos]
        else:  # first (smallest j) minimum of each range
            opt = np.minimum.reduceat(np.where(eq, j, _BIG), starts)
        return mins, opt

    def _solve(self, e, mid, jlo, hi):
        """Argmin for every target of one level: long ranges sliced, the rest in flat chunks."""
        size = mid.size
        mins = np.empty(size)
        opt = np.empty(size, np.intp)
        lens = hi - jlo + 1
        tasks = []
        long_ = np.flatnonzero(lens >= _SLICE_MIN)
        for s in long_.tolist():
            tasks.append((s, None))
        if long_.size:
            short = np.flatnonzero(lens < _SLICE_MIN)
            cl = lens[short]
        else:
            short = None
            cl = lens
        if cl.size:
            ends = np.cumsum(cl)
            cuts = np.searchsorted(ends, np.arange(_CHUNK, int(ends[-1]) + _CHUNK, _CHUNK)) + 1
            cuts = np.unique(np.minimum(cuts, cl.size)).tolist()
            a0 = 0
            for c in cuts:
                tasks.append((a0, c))
                a0 = c

        def run(task):
            a0, c = task
            if c is None:
                mins[a0], opt[a0] = self._scan(e, int(mid[a0]), int(jlo[a0]), int(hi[a0]))
            elif short is None:
                sl = slice(a0, c)
                mins[sl], opt[sl] = self._flat(e, mid[sl], jlo[sl], hi[sl])
            else:
                idx = short[a0:c]
                mins[idx], opt[idx] = self._flat(e, mid[idx], jlo[idx], hi[idx])

        if self.pool is not None and len(tasks) > 1:
            list(self.pool.map(run, tasks))
        else:
            for t in tasks:
                run(t)
        return mins, opt

    def layer(self, e, *, ilo: int, ihi: int, jlo: int, prune: bool):
        """One layer: ``E_next(i) = min_j e(j) - (S1(i)-S1(j))^2/(W(i)-W(j))`` for i in [ilo, ihi].

        Returns the new ``E`` array and the argmins (``opt``).  With ``prune``
        (the last full layer), targets that provably cannot hold the last cut
        of an optimal solution are skipped (their entries stay unset).
        """
        m = self.m
        base = ilo - 1
        size = ihi - base  # targets are base+1 .. base+size (relative 1..size)
        dtype = np.int32 if m < 2**31 - 1 else np.int64
        opt = np.zeros(m + 2, dtype=dtype)
        e_next = np.full(m + 1, np.inf)
        opt[base] = jlo  # left sentinel: lower bound of the first target's range
        opt[ihi + 1] = ihi  # right sentinel (ranges are clipped to i-1 anyway)
        if prune:
            done = np.zeros(m + 2, dtype=bool)
            done[base] = done[ihi + 1] = True
            upper = np.inf
            # D(i) = E_next(i) + S2(i) (least SSQ of the first i points in the layer's classes);
            # sentinels give the trivial bound D >= 0.
            d_at = np.zeros(m + 2)
            s2m = self.s2[m] - self.s1[m] ** 2 / self.wf[m]
            tol = 1e-9 * abs(s2m) + 1e-300
        for p in range(size.bit_length() - 1, -1, -1):
            h = 1 << p
            n_mid = (ihi - base - h) // (2 * h) + 1
            mid = np.arange(base + h, base + h + 2 * h * n_mid, 2 * h)
            at = slice(base + h, base + h + 2 * h * (n_mid - 1) + 1, 2 * h)  # = mid
            left = opt[base : base + 2 * h * (n_mid - 1) + 1 : 2 * h].astype(np.intp)
            right = opt[base + 2 * h : base + 2 * h * n_mid + 1 : 2 * h].astype(np.intp)
            if right.size < n_mid:  # the last target's right neighbour is the sentinel
                right = np.append(right, ihi)
            elif mid[-1] + h > ihi + 1:
                right[-1] = ihi
            if prune:
                rpos = np.minimum(mid + h, ihi + 1)
                alive = done[mid - h] & done[rpos]
                if np.isfinite(upper):
                    sel = np.flatnonzero(alive)
                    bound = d_at[mid[sel] - h] + self._tail_ssq(rpos[sel])
                    alive[sel[bound > upper + tol]] = False
                sel = np.flatnonzero(alive)
                if sel.size == 0:
                    continue
                mid, left, right = mid[sel], left[sel], right[sel]
                at = mid
            hi = np.minimum(right, mid - 1)
            mins, o = self._solve(e, mid, left, hi)
            e_next[at] = mins
            opt[at] = o
            if prune:
                done[mid] = True
                dm = mins + self.s2[mid]
                d_at[mid] = dm
                upper = min(upper, float((dm + self._tail_ssq(mid)).min()))
        return e_next, opt
