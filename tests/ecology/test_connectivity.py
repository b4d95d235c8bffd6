"""Tests of regionkit.ecology.connectivity: hand-computed graphs, invariants, brute force."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.ecology.connectivity import (
    grade_by_dpc,
    probability_of_connectivity,
    threshold_sweep,
)
from regionkit.errors import ComputationError, InputError

INF = np.inf
# A — B — C in a line: d_AB = d_BC = 100 (the threshold, p = 0.5), d_AC = 300
# (direct p_AC = 0.5³ = 0.125, via B 0.5·0.5 = 0.25, so p*_AC = 0.25 through B)
LINE = np.array([[0, 100, 300], [100, 0, 100], [300, 100, 0]], dtype=float)


def test_pure_connector():
    # areas A = 1, B = 0, C = 1, A_L = 10
    # PCnum = 1 + 1 + 2·(1·1·0.25) = 2.5 -> PC = 2.5/100 = 0.025
    # without B: 1 + 1 + 2·0.125 = 2.25 -> dPC_B = 100·0.25/2.5 = 10, all connector
    # without A: 1 (C alone) -> dPC_A = 100·1.5/2.5 = 60 = intra 100·1/2.5 = 40
    #            + flux 100·2·0.25/2.5 = 20 + connector 0
    res = probability_of_connectivity(
        [1, 0, 1],
        LINE,
        threshold=100,
        p_at_threshold=0.5,
        landscape_area=10,
        labels=["A", "B", "C"],
    )
    assert res.pc == pytest.approx(0.025, abs=1e-14)
    assert res.pc_num == pytest.approx(2.5, abs=1e-14)
    assert res.ec == pytest.approx(np.sqrt(2.5))
    assert res.k == pytest.approx(np.log(2) / 100)
    np.testing.assert_allclose(res.p_star[0], [1, 0.5, 0.25], atol=1e-14)
    np.testing.assert_allclose(res.dpc, [60, 10, 60], atol=1e-12)
    np.testing.assert_allclose(res.dpc_intra, [40, 0, 40], atol=1e-12)
    np.testing.assert_allclose(res.dpc_flux, [20, 0, 20], atol=1e-12)
    np.testing.assert_allclose(res.dpc_connector, [0, 10, 0], atol=1e-12)
    frame = res.to_frame()
    assert list(frame.index) == ["A", "B", "C"]
    assert frame.loc["B", "dPCconnector"] == pytest.approx(10)
    assert frame["rank"].tolist() == [1, 3, 1]
    assert "PC 0.025" in res.summary()


def test_connector_with_area():
    # areas 2, 1, 3 on LINE; p*_AB = p*_BC = 0.5, p*_AC = 0.25
    # PCnum = 4 + 1 + 9 + 2·(2·1·0.5 + 1·3·0.5 + 2·3·0.25) = 14 + 8 = 22
    # without B: 4 + 9 + 2·6·0.125 = 14.5 -> dPC_B = 100·7.5/22
    #   intra 100·1/22, flux 100·2·(1 + 1.5)/22 = 500/22, connector 100·2·6·0.125/22 = 150/22
    # without A: 1 + 9 + 2·3·0.5 = 13 -> dPC_A = 100·9/22: intra 400/22, flux 100·2·(1 + 1.5)/22
    # without C: 4 + 1 + 2·1 = 7 -> dPC_C = 100·15/22: intra 900/22, flux 100·2·(1.5 + 1.5)/22
    res = probability_of_connectivity([2, 1, 3], LINE, threshold=100, landscape_area=10)
    assert res.pc_num == pytest.approx(22, abs=1e-12)
    assert res.pc == pytest.approx(0.22, abs=1e-14)
    np.testing.assert_allclose(res.dpc, np.array([900, 750, 1500]) / 22, atol=1e-12)
    np.testing.assert_allclose(res.dpc_intra, np.array([400, 100, 900]) / 22, atol=1e-12)
    np.testing.assert_allclose(res.dpc_flux, np.array([500, 500, 600]) / 22, atol=1e-12)
    np.testing.assert_allclose(res.dpc_connector, np.array([0, 150, 0]) / 22, atol=1e-12)


def test_tied_paths_and_missing_links():
    # A(1) — B(0) — D(1) and A — C(0) — D, all sides 100 (p 0.5), d_AD = 400, no B–C link
    # p*_AD = 0.25 via B or via C (a tie): removing B or C alone changes nothing
    # PCnum = 1 + 1 + 2·0.25 = 2.5; without A: 1 -> dPC_A = 60 (intra 40, flux 20)
    d = np.array([[0, 100, 100, 400], [100, 0, INF, 100], [100, INF, 0, 100], [400, 100, 100, 0]])
    res = probability_of_connectivity([1, 0, 0, 1], d, threshold=100, landscape_area=2)
    assert res.pc_num == pytest.approx(2.5)
    assert res.p_star[1, 2] == pytest.approx(0.25)  # B–C through A or D
    np.testing.assert_allclose(res.dpc, [60, 0, 0, 60], atol=1e-12)
    np.testing.assert_allclose(res.dpc_connector, [0, 0, 0, 0], atol=1e-12)


def test_disconnected_patches_and_zero_distance():
    # two patches with no link: p* = 0; PCnum = 1 + 4 = 5, dPC = 20, 80 (all intra)
    res = probability_of_connectivity([1, 2], [[0, INF], [INF, 0]], threshold=1, landscape_area=3)
    np.testing.assert_allclose(res.dpc, [20, 80])
    np.testing.assert_allclose(res.dpc_intra, [20, 80])
    # touching patches (distance 0) have p = 1: PCnum = (1 + 2)² = 9
    res = probability_of_connectivity([1, 2], [[0, 0], [0, 0]], threshold=1, landscape_area=3)
    assert res.pc == pytest.approx(1.0)
    # four patches, the middle two at distance 0: a zero-weight edge must stay an edge
    d = np.array([[0, 100, 400, 400], [100, 0, 0, 400], [400, 0, 0, 100], [400, 400, 100, 0]])
    res = probability_of_connectivity([1, 0, 0, 1], d, threshold=100, landscape_area=2)
    assert res.p_star[0, 3] == pytest.approx(0.25)


def _random_landscape(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10_000, size=(n, 2))
    radius = rng.uniform(10, 150, size=n)
    areas = np.pi * radius**2
    centre = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    d = np.maximum(centre - radius[:, None] - radius[None, :], 0.0)
    np.fill_diagonal(d, 0)
    return areas, d


def _pc_num_brute(areas: np.ndarray, d: np.ndarray, k: float) -> float:
    # independent: Floyd–Warshall on −ln p = k d over the whole graph
    w = k * d
    np.fill_diagonal(w, 0)
    dist = _floyd(w)
    return float(areas @ np.exp(-dist) @ areas)


def _floyd(w: np.ndarray) -> np.ndarray:
    # plain numpy Floyd–Warshall (no scipy graph conventions on zero weights)
    dist = w.copy()
    for m in range(dist.shape[0]):
        np.minimum(dist, dist[:, m, None] + dist[None, m, :], out=dist)
    return dist


@pytest.mark.parametrize(
    ("n", "threshold", "p", "seed"), [(300, 300.0, 0.5, 1), (80, 2000.0, 0.1, 2)]
)
def test_brute_force_random_patches(n, threshold, p, seed):
    areas, d = _random_landscape(n, seed=seed)
    if n < 100:  # some missing links too
        rng = np.random.default_rng(seed)
        cut = np.triu(rng.random((n, n)) < 0.3, 1)
        d[cut | cut.T] = np.inf
    t0 = time.perf_counter()
    res = probability_of_connectivity(
        areas, d, threshold=threshold, p_at_threshold=p, landscape_area=1e8
    )
    elapsed = time.perf_counter() - t0
    k = -np.log(p) / threshold
    full = _pc_num_brute(areas, d, k)
    assert res.pc_num == pytest.approx(full, rel=1e-12)
    expected = np.empty(n)
    for r in range(n):
        keep = np.arange(n) != r
        expected[r] = 100 * (full - _pc_num_brute(areas[keep], d[np.ix_(keep, keep)], k)) / full
    np.testing.assert_allclose(res.dpc, expected, rtol=0, atol=1e-10)
    assert (res.dpc_connector > 1e-6).any()  # stepping stones do occur
    assert elapsed < 20  # generous: about 4 s for 300 patches


@pytest.mark.parametrize("seed", range(5))
def test_invariants(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    areas, d = _random_landscape(n, seed)
    a_l = areas.sum() * rng.uniform(1, 3)
    res = probability_of_connectivity(
        areas, d, threshold=rng.uniform(100, 5000), landscape_area=a_l
    )
    assert 0 < res.pc <= 1
    np.testing.assert_allclose(res.dpc_intra + res.dpc_flux + res.dpc_connector, res.dpc)
    assert (res.dpc_connector >= -1e-9).all()
    assert (res.dpc <= 100 + 1e-9).all()
    assert np.allclose(res.p_star, res.p_star.T)
    assert res.to_frame().shape == (n, 6)


def test_threshold_sweep_matches_single_runs():
    areas, d = _random_landscape(30, 3)
    ts = [100, 500, 2500]
    table = threshold_sweep(areas, d, ts, landscape_area=1e8, p_at_threshold=0.3)
    assert list(table.columns) == ["threshold", "k", "PC", "PCnum", "EC"]
    for t, pc in zip(ts, table["PC"], strict=True):
        single = probability_of_connectivity(
            areas, d, threshold=t, landscape_area=1e8, p_at_threshold=0.3
        )
        assert pc == pytest.approx(single.pc, rel=1e-12)
    assert table["PC"].is_monotonic_increasing


def test_grade_by_dpc():
    grades = grade_by_dpc([0.5, 0.4, 30.0, 31.0, 80.0, 0.6])
    assert grades.tolist() == [0, 0, 1, 1, 2, 0]
    assert grade_by_dpc([1.0, 1.0, 1.0]).tolist() == [0, 0, 0]
    assert grade_by_dpc([1.0, 5.0, 1.0]).tolist() == [0, 1, 0]
    from regionkit.spatial.classify import classify

    values = np.random.default_rng(0).gamma(1.0, 5.0, size=60)
    expected = classify(values, method="natural_breaks", k=3).labels
    np.testing.assert_array_equal(grade_by_dpc(values), expected)
    assert set(grade_by_dpc(values, k=4).tolist()) == {0, 1, 2, 3}
    with pytest.raises(InputError, match="non-finite"):
        grade_by_dpc([1.0, np.nan])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"areas": [1, -1]}, "patch 2 has -1"),
        ({"distances": [[0, 1, 2], [1, 0, 3], [2, 3, 0]]}, r"shape \(2, 2\)"),
        ({"distances": [[0, 1], [2, 0]]}, "symmetric"),
        ({"distances": [[0, -1], [-1, 0]]}, "non-negative"),
        ({"threshold": 0}, "threshold"),
        ({"p_at_threshold": 1.0}, "p_at_threshold"),
        ({"landscape_area": -5}, "landscape_area"),
    ],
)
def test_invalid_inputs(kwargs, message):
    args = {
        "areas": [1, 1],
        "distances": [[0, 1], [1, 0]],
        "threshold": 1,
        "landscape_area": 10,
    }
    args.update(kwargs)
    areas = args.pop("areas")
    distances = args.pop("distances")
    with pytest.raises(InputError, match=message):
        probability_of_connectivity(areas, distances, **args)


def test_zero_areas():
    with pytest.raises(ComputationError):
        probability_of_connectivity([0, 0], [[0, 1], [1, 0]], threshold=1, landscape_area=1)


@given(
    data=st.data(),
    n=st.integers(1, 7),
)
@settings(max_examples=150, deadline=None)
def test_dpc_matches_brute_force_small_graphs(data, n):
    # small graphs with ties (integer distances), zero distances, missing links, zero areas
    areas = np.array(
        data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 5.0]), min_size=n, max_size=n))
    )
    if areas.sum() == 0:
        areas[0] = 1.0
    upper = data.draw(
        st.lists(st.sampled_from([0.0, 1.0, 2.0, 3.0, 4.0, np.inf]), min_size=n * n, max_size=n * n)
    )
    d = np.triu(np.array(upper).reshape(n, n), 1)
    d = d + d.T
    np.fill_diagonal(d, 0)
    threshold = data.draw(st.sampled_from([0.5, 1.0, 3.0]))
    res = probability_of_connectivity(areas, d, threshold=threshold, landscape_area=areas.sum())
    k = np.log(2) / threshold
    full = _pc_num_brute(areas, d, k)
    assert res.pc_num == pytest.approx(full, rel=1e-12)
    assert res.pc <= 1 + 1e-12
    for r in range(n):
        keep = np.arange(n) != r
        without = _pc_num_brute(areas[keep], d[np.ix_(keep, keep)], k) if n > 1 else 0.0
        assert res.dpc[r] == pytest.approx(100 * (full - without) / full, abs=1e-10)
    np.testing.assert_allclose(
        res.dpc_intra + res.dpc_flux + res.dpc_connector, res.dpc, atol=1e-12
    )


def test_pure_connector_hub():
    # hub H (area 0) at distance 100 (p 0.5) from three leaves of area 1, leaves 400 apart
    # (direct p 1/16, via H 0.25): PCnum = 3 + 6·0.25 = 4.5; without H: 3 + 6/16 = 3.375
    # -> dPC_H = 100·1.125/4.5 = 25, all connector; without a leaf: 2 + 2·0.25 = 2.5
    # -> dPC_leaf = 100·2/4.5: intra 100/4.5, flux 100·4·0.25/4.5, connector 0
    d = np.full((4, 4), 400.0)
    d[0, 1:] = d[1:, 0] = 100.0
    np.fill_diagonal(d, 0)
    res = probability_of_connectivity([0, 1, 1, 1], d, threshold=100, landscape_area=3)
    assert res.pc_num == pytest.approx(4.5, rel=1e-14)
    np.testing.assert_allclose(res.dpc, [25] + [200 / 4.5] * 3, rtol=1e-12)
    np.testing.assert_allclose(res.dpc_connector, [25, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(res.dpc_flux, [0] + [100 / 4.5] * 3, rtol=1e-12)


def _naive_dpc(areas: np.ndarray, d: np.ndarray, k: float) -> tuple[float, np.ndarray]:
    # the definition: all-pairs Dijkstra on the complete graph, again without each patch
    def pc_num(a, dd):
        w = k * dd
        np.fill_diagonal(w, np.inf)
        from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

        p = np.exp(-dijkstra(csgraph_from_dense(w, null_value=np.inf), directed=False))
        np.fill_diagonal(p, 1.0)
        return float(a @ p @ a)

    n = areas.size
    full = pc_num(areas, d)
    out = np.empty(n)
    for r in range(n):
        keep = np.arange(n) != r
        out[r] = 100 * (full - pc_num(areas[keep], d[np.ix_(keep, keep)])) / full
    return full, out


def _lattice(rows: int, cols: int, seed: int, jitter: float = 0.0):
    # equal spacing -> many equal-length best paths (ties); centre distances, equal radii
    rng = np.random.default_rng(seed)
    xy = np.argwhere(np.ones((rows, cols))).astype(float) * 1000.0
    xy += rng.uniform(-jitter, jitter, size=xy.shape)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    areas = rng.choice([0.0, 1.0, 2.0, 5.0], size=len(xy))
    areas[0] = 1.0
    return areas, d


@pytest.mark.parametrize(
    ("case", "threshold", "p"),
    [
        ("lattice", 1000.0, 0.5),  # 10 x 10 grid: many exact ties
        ("lattice-manhattan", 1000.0, 0.5),  # grid with city-block distances: massive ties
        ("jitter", 1500.0, 0.3),  # near-ties
        ("random", 800.0, 0.5),
        ("clustered", 400.0, 0.5),
        ("overlapping", 500.0, 0.5),  # benchmark-like: long best paths, some distances 0
    ],
)
def test_matches_naive_removals(case, threshold, p):
    rng = np.random.default_rng(len(case))
    if case == "lattice":
        areas, d = _lattice(10, 10, 0)
    elif case == "lattice-manhattan":
        xy = np.argwhere(np.ones((8, 9))).astype(float) * 1000.0
        d = np.abs(xy[:, None, :] - xy[None, :, :]).sum(-1)
        areas = rng.choice([0.0, 1.0, 3.0], size=len(xy))
        areas[0] = 1.0
    elif case == "jitter":
        areas, d = _lattice(12, 12, 1, jitter=30.0)
    elif case == "random":
        areas, d = _random_landscape(120, seed=7)  # 300 in the Floyd test above
    elif case == "overlapping":
        # patch discs with lognormal radii, dense enough that some overlap (distance 0),
        # sparse enough that best paths take many hops (several relaxation rounds)
        xy = rng.uniform(0, 12_000, size=(150, 2))
        radius = np.sqrt(rng.lognormal(np.log(20.0), 1.0, size=150) * 10_000 / np.pi)
        areas = np.pi * radius**2
        d = np.maximum(
            np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
            - radius[:, None]
            - radius[None, :],
            0.0,
        )
        assert (np.triu(d == 0, 1)).any()
    else:
        centres = rng.uniform(0, 10_000, size=(6, 2))
        xy = centres[rng.integers(0, 6, size=120)] + rng.normal(0, 600, size=(120, 2))
        radius = rng.uniform(5, 80, size=120)
        areas = np.pi * radius**2
        d = np.maximum(
            np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
            - radius[:, None]
            - radius[None, :],
            0.0,
        )
    np.fill_diagonal(d, 0)
    res = probability_of_connectivity(
        areas, d, threshold=threshold, p_at_threshold=p, landscape_area=1e8
    )
    full, expected = _naive_dpc(areas, d, -np.log(p) / threshold)
    assert res.pc_num == pytest.approx(full, rel=1e-12)
    np.testing.assert_allclose(res.dpc, expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        res.dpc_intra + res.dpc_flux + res.dpc_connector, res.dpc, rtol=1e-12, atol=1e-12
    )
    assert (res.dpc_connector > -1e-9).all()
