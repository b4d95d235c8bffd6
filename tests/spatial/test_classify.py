"""Tests of regionkit.spatial.classify: exact natural breaks and the mapclassify-compatible schemes."""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from regionkit.errors import InputError
from regionkit.spatial import classify as C
from regionkit.spatial.classify import Classification, classify

jenkspy = pytest.importorskip("jenkspy")


# ------------------------------------------------------------------ helpers
def wss_of(x: np.ndarray, bins) -> float:
    """Within-class sum of squares of raw values under upper bounds ``bins`` (independent code)."""
    labels = np.searchsorted(np.asarray(bins, dtype=float), x, side="left")
    total = 0.0
    for c in np.unique(labels):
        v = x[labels == c]
        total += float(((v - v.mean()) ** 2).sum())
    return total


def brute_force_wss(x: np.ndarray, k: int) -> float:
    """Least within-class SSQ over every cut of the sorted values into k non-empty runs."""
    s = np.sort(x)
    n = s.size
    best = np.inf
    for cuts in itertools.combinations(range(1, n), k - 1):
        edges = (0, *cuts, n)
        total = sum(float(((s[a:b] - s[a:b].mean()) ** 2).sum()) for a, b in itertools.pairwise(edges))
        best = min(best, total)
    return best


def mixed_values(seed: int, n: int, decimals: int | None) -> np.ndarray:
    """Lognormal values, optionally rounded (ties)."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 1.0, n)
    return np.round(x, decimals) if decimals is not None else x


def jenks_bins(x: np.ndarray, k: int) -> np.ndarray:
    return np.asarray(jenkspy.jenks_breaks(x, n_classes=k), dtype=float)[1:]


def assert_same_optimum(x: np.ndarray, ours, theirs) -> None:
    """Equal breaks, or -- only for an exact tie between two optimal break sets -- equal WSS."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if not np.array_equal(ours, theirs):
        a, b = wss_of(x, ours), wss_of(x, theirs)
        assert a == pytest.approx(b, rel=1e-12), f"breaks differ: {ours} vs {theirs} (WSS {a} vs {b})"


def fisher_jenks_mc(x: np.ndarray, k: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Numba not installed"
        return mapclassify.FisherJenks(x, k=k)


# ------------------------------------------------------------------ natural breaks: exactness
@pytest.mark.parametrize("n", [30, 500, 3_000, 10_000])
@pytest.mark.parametrize("k", [2, 3, 5, 7])
@pytest.mark.parametrize("decimals", [None, 2, 0])
def test_natural_breaks_equal_jenkspy(n, k, decimals):
    x = mixed_values(n * 100 + k * 10 + (decimals or 9), n, decimals)
    k = min(k, np.unique(x).size)
    c = classify(x, method="natural_breaks", k=k)
    if decimals is None:  # continuous values: no two break sets are equally good
        np.testing.assert_array_equal(c.bins, jenks_bins(x, k))
    else:  # heavy ties (integers) can make two break sets exactly equal; rounding picks one
        assert_same_optimum(x, c.bins, jenks_bins(x, k))
    assert c.bins[-1] == x.max()
    assert c.counts.sum() == n
    assert c.wss == pytest.approx(wss_of(x, c.bins), rel=1e-10)


@pytest.mark.parametrize("seed", range(12))
def test_natural_breaks_equal_jenkspy_random_shapes(seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(10, 4_000))
    kind = seed % 4
    if kind == 0:
        x = np.exp(rng.normal(0, 4, n))  # huge dynamic range
    elif kind == 1:
        x = rng.integers(0, 25, n).astype(float)  # heavy ties
    elif kind == 2:
        x = np.concatenate([rng.normal(0, 1, n // 2), rng.normal(50, 5, n - n // 2)])
    else:
        x = rng.uniform(-1e3, 1e3, n)
    k = int(rng.integers(2, 9))
    assume_ok = np.unique(x).size >= k
    if not assume_ok:
        pytest.skip("too few distinct values")
    assert_same_optimum(x, classify(x, method="natural_breaks", k=k).bins, jenks_bins(x, k))


@pytest.mark.parametrize("seed", range(40))
def test_natural_breaks_minimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 13))
    x = rng.integers(0, 8, n).astype(float) if seed % 2 else rng.normal(0, 1, n)
    m = np.unique(x).size
    for k in range(2, min(m, 6) + 1):
        c = classify(x, method="natural_breaks", k=k)
        best = brute_force_wss(x, k)
        assert c.wss == pytest.approx(best, rel=1e-12, abs=1e-12)
        assert wss_of(x, c.bins) == pytest.approx(best, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed, n, k", [(0, 120, 3), (1, 250, 5), (2, 300, 4), (3, 200, 6)])
def test_natural_breaks_equal_mapclassify_fisher_jenks(seed, n, k):
    x = mixed_values(seed, n, 2)
    fj = fisher_jenks_mc(x, k)
    c = classify(x, method="natural_breaks", k=k)
    np.testing.assert_array_equal(c.bins, fj.bins)
    np.testing.assert_array_equal(c.counts, fj.counts)
    np.testing.assert_array_equal(c.labels, fj.yb)


def test_natural_breaks_mapclassify_example():
    y = mapclassify.load_example()
    c = classify(y, method="natural_breaks", k=5)
    assert c.bins.tolist() == [75.29, 192.05, 370.5, 722.85, 4111.45]
    assert c.counts.tolist() == [49, 3, 4, 1, 1]


def test_large_offset_is_handled_better_than_uncentred_sums():
    # jenkspy accumulates raw sums (cancellation around 1e6); the centred prefix sums stay exact.
    rng = np.random.default_rng(5)
    x = 1e6 + rng.normal(size=1_500)
    ours = classify(x, method="natural_breaks", k=4)
    np.testing.assert_array_equal(ours.bins, classify(x - 1e6, method="natural_breaks", k=4).bins + 1e6)
    assert wss_of(x, ours.bins) <= wss_of(x, jenks_bins(x, 4)) * (1 + 1e-12)


def test_weighted_engine_equals_expanded_data():
    rng = np.random.default_rng(3)
    u = np.sort(rng.choice(np.arange(200.0), size=60, replace=False))
    w = rng.integers(1, 6, u.size)
    expanded = np.repeat(u, w)
    for k in (2, 4, 7):
        cuts = C._fisher_jenks_cuts(u, w, k)
        assert np.append(u[cuts - 1], u[-1]).tolist() == jenks_bins(expanded, k).tolist()


def test_k_equal_to_distinct_values_puts_each_value_in_its_class():
    x = np.array([3.0, 1.0, 2.0, 2.0, 5.0])
    c = classify(x, method="natural_breaks", k=4)
    assert c.bins.tolist() == [1.0, 2.0, 3.0, 5.0]
    assert c.wss == 0.0 and c.gvf == 1.0


# ------------------------------------------------------------------ engine paths (threads, slices, pruning)
@pytest.mark.parametrize("n", [0, 1, 7, 4_095, 4_096, 8_192, 8_193, 50_000])
def test_blocked_prefix_sums(n):
    v = np.random.default_rng(n).normal(size=n)
    expected = np.concatenate([[0.0], np.cumsum(v)])
    np.testing.assert_allclose(C._prefix_sums(v), expected, rtol=1e-12, atol=1e-10)


def test_threaded_chunked_and_sliced_paths_agree(monkeypatch):
    x = mixed_values(11, 4_000, 2)
    monkeypatch.setattr(C, "_THREADS_MIN", 10)
    monkeypatch.setattr(C, "_CHUNK", 64)
    monkeypatch.setattr(C, "_SLICE_MIN", 100)
    for k in (2, 3, 5, 8):
        np.testing.assert_array_equal(classify(x, method="natural_breaks", k=k).bins, jenks_bins(x, k))


def test_large_input_threads_and_pruning_agree_with_plain_search(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.lognormal(0, 1, 300_000)
    x[::5] = np.round(x[::5], 2)
    fast = classify(x, method="natural_breaks", k=5)
    monkeypatch.setattr(C, "_THREADS_MIN", 10**12)
    monkeypatch.setattr(C, "_PRUNE", False)
    plain = classify(x, method="natural_breaks", k=5)
    np.testing.assert_array_equal(fast.bins, plain.bins)
    np.testing.assert_array_equal(fast.labels, plain.labels)


# ------------------------------------------------------------------ property: minimal WSS
values_strategy = st.lists(
    st.integers(-5_000, 5_000).map(lambda v: v / 100.0) | st.floats(-1e4, 1e4, allow_nan=False),
    min_size=2,
    max_size=120,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=values_strategy, k=st.integers(2, 6), seed=st.integers(0, 2**32 - 1))
def test_property_wss_not_above_any_other_break_set(values, k, seed):
    x = np.asarray(values, dtype=float)
    distinct = np.unique(x)
    assume(distinct.size >= k)
    c = classify(x, method="natural_breaks", k=k)
    tol = 1e-9 * max(c.tss, 1.0)
    ours = wss_of(x, c.bins)
    assert ours <= wss_of(x, jenks_bins(x, k)) + tol
    if x.size <= 40:
        assert ours <= wss_of(x, fisher_jenks_mc(x, k).bins) + tol
    rng = np.random.default_rng(seed)
    for _ in range(10):
        other = np.append(np.sort(rng.choice(distinct[:-1], size=k - 1, replace=False)), distinct[-1])
        assert ours <= wss_of(x, other) + tol
    if c.tss > 0:
        assert c.gvf == pytest.approx(1 - c.wss / c.tss)


# ------------------------------------------------------------------ sampling
def test_sampling_is_reproducible_and_flagged():
    x = mixed_values(21, 50_000, 3)
    a = classify(x, method="natural_breaks", k=5, sample=2_000, rng=42)
    b = classify(x, method="natural_breaks", k=5, sample=2_000, rng=np.random.default_rng(42))
    c = classify(x, method="natural_breaks", k=5, sample=2_000, rng=43)
    assert a.sampled and b.sampled
    np.testing.assert_array_equal(a.bins, b.bins)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert not np.array_equal(a.bins, c.bins)
    assert a.bins[-1] == x.max()
    assert a.labels.size == x.size and a.counts.sum() == x.size
    assert a.wss == pytest.approx(wss_of(x, a.bins), rel=1e-9)
    exact = classify(x, method="natural_breaks", k=5)
    assert not exact.sampled
    assert exact.wss <= a.wss


def test_sample_not_smaller_than_data_means_exact():
    x = mixed_values(2, 300, None)
    c = classify(x, method="natural_breaks", k=4, sample=300, rng=1)
    assert not c.sampled
    np.testing.assert_array_equal(c.bins, jenks_bins(x, 4))


# ------------------------------------------------------------------ other methods vs mapclassify
CASES = [(seed, n, k) for seed, (n, k) in enumerate([(7, 2), (50, 3), (333, 4), (1_000, 5), (2_500, 7), (4_000, 10)])]


@pytest.mark.parametrize("seed, n, k", CASES)
@pytest.mark.parametrize("decimals", [None, 1])
def test_quantiles_equal_mapclassify(seed, n, k, decimals):
    x = mixed_values(seed, n, decimals)
    if np.unique(x).size < k:
        pytest.skip("too few distinct values")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = mapclassify.Quantiles(x, k=k)
        c = classify(x, method="quantiles", k=k)
    np.testing.assert_array_equal(c.bins, ref.bins)
    np.testing.assert_array_equal(c.counts, ref.counts)
    np.testing.assert_array_equal(c.labels, ref.yb)
    assert c.k == len(ref.bins)


def test_quantiles_with_coinciding_bounds_warn_and_reduce_k():
    x = np.array([1.0] * 40 + [2.0, 3.0, 4.0, 5.0])
    with pytest.warns(UserWarning, match="classes instead of k=5"):
        c = classify(x, method="quantiles", k=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = mapclassify.Quantiles(x, k=5)
    np.testing.assert_array_equal(c.bins, ref.bins)
    assert c.k == len(ref.bins) == 2  # mapclassify keeps k=5 in .k but has 2 bins


@pytest.mark.parametrize("seed, n, k", CASES)
def test_equal_interval_equals_mapclassify(seed, n, k):
    x = mixed_values(seed, n, 2) * 10.0 ** (seed - 3)
    ref = mapclassify.EqualInterval(x, k=k)
    c = classify(x, method="equal_interval", k=k)
    np.testing.assert_array_equal(c.bins, ref.bins)
    np.testing.assert_array_equal(c.counts, ref.counts)
    np.testing.assert_array_equal(c.labels, ref.yb)


@pytest.mark.parametrize("seed, n, k", CASES)
@pytest.mark.parametrize("multiples", [None, (-3, -1.5, 1.5, 3), (-1, 0, 1)])
def test_std_mean_equals_mapclassify(seed, n, k, multiples):
    x = mixed_values(seed, max(n, 3), None)
    ref = mapclassify.StdMean(x) if multiples is None else mapclassify.StdMean(x, multiples=list(multiples))
    c = classify(x, method="std_mean", multiples=multiples)
    np.testing.assert_array_equal(c.bins, ref.bins)
    np.testing.assert_array_equal(c.counts, ref.counts)
    np.testing.assert_array_equal(c.labels, ref.yb)
    assert c.k == ref.k


@pytest.mark.parametrize("seed, n, k", CASES)
def test_user_breaks_equal_mapclassify(seed, n, k):
    x = mixed_values(seed, n, 1)
    rng = np.random.default_rng(seed)
    below_max = np.unique(x)[:-1]
    inner = np.sort(rng.choice(below_max, size=min(k - 1, below_max.size), replace=False))
    for top in (x.max(), x.max() + 1.0):
        breaks = np.append(inner, top)
        ref = mapclassify.UserDefined(x, breaks)
        c = classify(x, method="user", breaks=breaks.tolist())
        np.testing.assert_array_equal(c.bins, ref.bins)
        np.testing.assert_array_equal(c.counts, ref.counts)
        np.testing.assert_array_equal(c.labels, ref.yb)
        assert c.wss == pytest.approx(ref.tss, rel=1e-10)  # mapclassify's "tss" is the within-class SS


# ------------------------------------------------------------------ result object
def test_result_object():
    y = pd.Series([0.1, 0.2, 0.25, 0.3, 0.9, 1.0, 0.95, 0.12])
    c = classify(y, method="natural_breaks", k=2)
    assert isinstance(c, Classification)
    assert c.bins.tolist() == [0.3, 1.0]
    assert c.labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 0]
    assert c.counts.tolist() == [5, 3] and c.n == 8 and c.k == 2
    assert c.legend_labels() == ["0.10 – 0.30 (5)", "0.30 – 1.00 (3)"]
    frame = c.to_frame()
    assert list(frame.columns) == ["lower", "upper", "count", "mean"]
    assert frame.index.name == "class"
    assert frame["mean"].tolist() == pytest.approx([np.mean([0.1, 0.2, 0.25, 0.3, 0.12]), 0.95])
    x = y.to_numpy()
    assert c.tss == pytest.approx(((x - x.mean()) ** 2).sum())
    assert c.wss == pytest.approx(wss_of(x, c.bins))
    assert c.gvf == pytest.approx(1 - c.wss / c.tss)
    text = c.summary()
    assert "natural_breaks" in text and "GVF" in text and "0.10 – 0.30 (5)" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.k = 3  # type: ignore[misc]
    with pytest.raises(ValueError):
        c.bins[0] = 5.0


def test_user_breaks_are_copied_not_frozen():
    breaks = np.array([1.0, 2.0, 3.0])
    c = classify([0.5, 1.5, 2.5], method="user", breaks=breaks)
    assert breaks.flags.writeable  # the caller's array is neither frozen nor shared
    breaks[0] = 0.0
    assert c.bins[0] == 1.0


def test_empty_class_has_nan_mean_and_sensible_lower():
    c = classify([1.0, 1.1, 1.2, 9.0], method="std_mean")
    assert c.counts.sum() == 4
    empty = c.counts == 0
    assert np.isnan(c.means[empty]).all()
    assert c.lower[0] <= c.bins[0]


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    "values, kwargs, match",
    [
        ([1.0, np.nan, 3.0], {"method": "natural_breaks"}, "non-finite"),
        ([1.0, np.inf, 3.0], {"method": "quantiles"}, "position"),
        ([], {"method": "natural_breaks"}, "empty"),
        ([[1.0, 2.0], [3.0, 4.0]], {"method": "natural_breaks"}, "one-dimensional"),
        (["a", "b"], {"method": "natural_breaks"}, "numbers"),
        ([1.0, 2.0, 3.0], {"method": "jenks"}, "method='jenks' is not allowed"),
        ([1.0, 2.0, 3.0], {"method": "natural_breaks", "k": 1}, "at least 2 classes"),
        ([1.0, 2.0, 3.0], {"method": "natural_breaks", "k": 2.5}, "integer"),
        ([1.0, 2.0, 3.0], {"method": "natural_breaks", "k": True}, "integer"),
        ([1.0, 2.0, 2.0, 3.0], {"method": "natural_breaks", "k": 4}, "only 3"),
        ([1.0, 2.0, 2.0, 3.0], {"method": "quantiles", "k": 4}, "distinct"),
        ([1.0, 1.0], {"method": "equal_interval", "k": 2}, "distinct"),
        ([1.0, 1.0, 1.0], {"method": "std_mean"}, "distinct"),
        ([1.0, 2.0, 3.0], {"method": "std_mean", "multiples": [1, -1]}, "increasing"),
        ([1.0, 2.0, 3.0], {"method": "user"}, "needs breaks"),
        ([1.0, 2.0, 3.0], {"method": "user", "breaks": [2.0, 1.5, 3.0]}, "strictly increasing"),
        ([1.0, 2.0, 3.0], {"method": "user", "breaks": [1.5, 2.5]}, "do not cover"),
        ([1.0, 2.0, 3.0], {"method": "user", "breaks": [1.5, np.nan]}, "finite"),
        ([1.0, 2.0, 3.0], {"method": "quantiles", "breaks": [1.5, 3.0]}, "only used with method='user'"),
        ([1.0, 2.0, 3.0], {"method": "quantiles", "multiples": [1.0]}, "only used with method='std_mean'"),
        ([1.0, 2.0, 3.0], {"method": "quantiles", "sample": 2}, "only used with method='natural_breaks'"),
        ([1.0, 2.0, 3.0], {"method": "natural_breaks", "k": 2, "sample": 0}, "positive integer"),
    ],
)
def test_bad_input_raises_input_error(values, kwargs, match):
    with pytest.raises(InputError, match=match):
        classify(values, **kwargs)


def test_too_small_sample_is_named():
    x = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 100)
    with pytest.raises(InputError, match="sample of 1 values"):
        classify(x, method="natural_breaks", k=5, sample=1, rng=0)


def test_input_error_is_value_error():
    with pytest.raises(ValueError):
        classify([1.0, float("nan")], method="natural_breaks")
