"""Tests of regionkit.ecology.linkages (corridor networks on one multi-source pass)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.ecology.corridors import (
    corridor_pairs,
    cost_distance,
    least_cost_path,
    normalized_corridor,
    path_cost,
)
from regionkit.ecology.linkages import build_corridors, default_corridor_type, zone_links
from regionkit.errors import InputError

LM_DIR = Path(__file__).parents[2] / ".." / "shared" / "data" / "linkage_mapper_demo"


def random_case(seed, shape=(30, 36), n_sources=5, nodata_share=0.03):
    rng = np.random.default_rng(seed)
    r = rng.uniform(1.0, 50.0, size=shape)
    nodata = rng.random(shape) < nodata_share
    r[nodata] = -1.0
    labels = np.zeros(shape, dtype=np.int32)
    free = np.argwhere(~nodata)
    picks = free[rng.choice(len(free), size=n_sources * 2, replace=False)]
    for k, (i, j) in enumerate(picks):
        labels[i, j] = k % n_sources + 1
    return r, labels


def brute(r, labels, nodata=None, cell_size=1.0):
    """Per-source cost-distance passes: exact LCD matrix, cost surfaces and paths."""
    ids = np.unique(labels[labels > 0])
    runs = {int(a): cost_distance(r, (labels == a).astype(int), cell_size=cell_size, nodata=nodata)
            for a in ids}
    lcd = {(int(a), int(b)): float(runs[int(a)].cost[labels == b].min())
           for a in ids for b in ids if a < b}
    return runs, lcd


def test_hand_case_two_sources():
    r = np.ones((3, 5))
    r[1, 1:4] = 10.0
    s = np.zeros((3, 5), dtype=int)
    s[1, 0], s[1, 4] = 1, 2
    before = (r.copy(), s.copy())
    net = build_corridors(r, s, cell_size=2.0)
    np.testing.assert_array_equal(r, before[0])
    np.testing.assert_array_equal(s, before[1])
    # around the wall: 2 diagonals (2*sqrt(8) * 1) + 2 straight steps (2 * 2 * 1)
    expected = 2 * math.sqrt(8) + 4
    assert net.pairs["cost"].tolist() == pytest.approx([expected])
    assert net.pairs["length"].tolist() == pytest.approx([expected])
    assert net.pairs["ratio"].tolist() == pytest.approx([1.0])
    assert net.pairs["euclidean"].tolist() == pytest.approx([8.0])
    assert net.corridor is None
    path = net.paths[0]
    assert tuple(path[0]) == (1, 0) and tuple(path[-1]) == (1, 4)
    assert path_cost(r, path, cell_size=2.0) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 100_000))
def test_adjacent_pairs_vs_brute_force(seed):
    r, labels = random_case(seed)
    net = build_corridors(r, labels, cell_size=1.0, nodata=-1.0)
    cd = cost_distance(r, labels, nodata=-1.0)
    np.testing.assert_array_equal(net.pairs[["a", "b"]].to_numpy(), corridor_pairs(cd.allocation))
    runs, lcd = brute(r, labels, nodata=-1.0)
    for (a, b, cost), path in zip(net.pairs[["a", "b", "cost"]].itertuples(index=False), net.paths,
                                  strict=True):
        # the path cost equals the pair cost, and the path runs from a to b
        assert path_cost(r, path) == pytest.approx(cost, rel=1e-12)
        assert labels[tuple(path[0])] == a and labels[tuple(path[-1])] == b
        true = lcd[(a, b)]
        assert cost >= true * (1 - 1e-12)
        # equality whenever the brute-force least-cost path stays in the zones of a and b
        end = np.argwhere(labels == b)
        cell = end[np.argmin(runs[a].cost[labels == b])]
        best = least_cost_path(runs[a], tuple(cell))
        zones = set(cd.allocation[best[:, 0], best[:, 1]].tolist())
        if zones <= {a, b}:
            assert cost == pytest.approx(true, rel=1e-12)


def test_all_pairs_exact():
    r, labels = random_case(7, n_sources=4)
    net = build_corridors(r, labels, cell_size=(2.0, 3.0), nodata=-1.0, pairs="all")
    _, lcd = brute(r, labels, nodata=-1.0, cell_size=(2.0, 3.0))
    assert len(net.pairs) == 6
    for (a, b, cost), path in zip(net.pairs[["a", "b", "cost"]].itertuples(index=False), net.paths,
                                  strict=True):
        assert cost == pytest.approx(lcd[(a, b)], rel=1e-12)
        assert path_cost(r, path, cell_size=(2.0, 3.0)) == pytest.approx(cost, rel=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("width", [0.0, 40.0, 400.0])
def test_corridor_raster_vs_brute_force(seed, width):
    r, labels = random_case(seed, shape=(40, 45), n_sources=6)
    net = build_corridors(r, labels, cell_size=1.0, nodata=-1.0, corridor_width=width)
    runs, _ = brute(r, labels, nodata=-1.0)
    ref = np.full(r.shape, np.inf)  # untruncated
    for a, b in zip(net.pairs["a"], net.pairs["b"], strict=True):
        ref = np.minimum(ref, normalized_corridor(runs[a].cost, runs[b].cost))
    got = net.corridor
    inside = np.isfinite(got)
    np.testing.assert_allclose(got[inside], ref[inside], atol=1e-9)
    assert np.all(ref[inside] <= width + 1e-9)
    assert np.all(ref[~inside] > width - 1e-9)  # only rounding ties at the width may differ
    assert inside.sum() >= (ref <= width - 1e-9).sum()
    assert "corridor raster" in net.summary()


def test_types_filters_and_lines():
    r, labels = random_case(11, n_sources=5)
    t = Affine(30, 0, 500000, 0, -30, 4000000)
    grades = {1: 1, 2: 1, 3: 2, 4: 3, 5: 3}
    net = build_corridors(r, labels, transform=t, crs="EPSG:32650", nodata=-1.0, grades=grades)
    for a, b, kind in net.pairs[["a", "b", "type"]].itertuples(index=False):
        assert kind == default_corridor_type(grades[a], grades[b])
    gdf = net.lines()
    assert len(gdf) == net.n and gdf.crs.to_epsg() == 32650
    first = gdf.geometry.iloc[0].coords[0]
    row, col = net.paths[0][0]
    assert first == pytest.approx((500000 + 30 * (col + 0.5), 4000000 - 30 * (row + 0.5)))
    assert gdf.geometry.length.tolist() == pytest.approx(net.pairs["length"].tolist())
    custom = build_corridors(r, labels, cell_size=30, nodata=-1.0, grades=[1, 1, 2, 3, 3],
                             rules=lambda ga, gb: "key" if 1 in (ga, gb) else "other")
    assert set(custom.pairs["type"]) <= {"key", "other"}
    cut = build_corridors(r, labels, cell_size=1, nodata=-1.0,
                          max_cost_distance=float(net.pairs["cost"].median()) / 30)
    assert (cut.pairs["cost"] <= net.pairs["cost"].median() / 30).all()
    near = build_corridors(r, labels, cell_size=1, nodata=-1.0, max_euclidean_distance=10.0)
    assert (near.pairs["euclidean"] <= 10.0).all()
    assert net.pairs["type"].notna().all()
    assert build_corridors(r, labels, cell_size=1, nodata=-1.0).pairs["type"].isna().all()
    with pytest.raises(InputError, match="needs a transform"):
        build_corridors(r, labels, cell_size=1, nodata=-1.0).lines()


def test_errors():
    r = np.ones((4, 4))
    one = np.zeros((4, 4), int)
    one[0, 0] = 1
    with pytest.raises(InputError, match="at least two"):
        build_corridors(r, one, cell_size=1)
    two = one.copy()
    two[3, 3] = 2
    with pytest.raises(InputError, match="pairs="):
        build_corridors(r, two, cell_size=1, pairs="near")
    with pytest.raises(InputError, match="cell_size= or transform="):
        build_corridors(r, two)
    with pytest.raises(InputError, match="corridor_width"):
        build_corridors(r, two, cell_size=1, corridor_width=-1)
    with pytest.raises(InputError, match="no grade for source"):
        build_corridors(r, two, cell_size=1, grades={1: 1})
    with pytest.raises(InputError, match="2 sources"):
        build_corridors(r, two, cell_size=1, grades=[1])
    bad = r.copy()
    bad[1, 1] = 0.0
    with pytest.raises(InputError, match=r"row 1, col 1"):
        build_corridors(bad, two, cell_size=1)


def test_zone_links_hand_case():
    r = np.array([[1.0, 2.0, 2.0, 1.0]])
    s = np.array([[1, 0, 0, 2]])
    links = zone_links(cost_distance(r, s), r)
    assert links[["a", "b"]].values.tolist() == [[1, 2]]
    assert links["cost"].tolist() == [1.5 + 2 + 1.5]



@pytest.mark.shared_data
def test_linkage_mapper_demo_vs_brute_force(lm_demo):
    r, labels, nodata, _, transform, cores = lm_demo
    crs = cores.crs
    net = build_corridors(r, labels, transform=transform, crs=crs, nodata=nodata)
    size = net.cell_size
    runs, lcd = brute(r, labels, nodata=nodata, cell_size=size)
    cd = net.cost_distance
    assert net.pairs[["a", "b"]].values.tolist() == corridor_pairs(cd.allocation).tolist()
    assert net.n >= 5
    equal = 0
    for (a, b, cost), path in zip(net.pairs[["a", "b", "cost"]].itertuples(index=False), net.paths,
                                  strict=True):
        assert path_cost(r, path, cell_size=size) == pytest.approx(cost, rel=1e-9)
        assert cost >= lcd[(a, b)] * (1 - 1e-12)
        end = np.argwhere(labels == b)
        best = least_cost_path(runs[a], tuple(end[np.argmin(runs[a].cost[labels == b])]))
        direct = set(cd.allocation[best[:, 0], best[:, 1]].tolist()) <= {a, b}
        assert (cost == pytest.approx(lcd[(a, b)], rel=1e-9)) == direct
        equal += direct
    # 10 adjacent pairs; 7 have a direct best path (exact cost); 1-2, 2-5 and 3-6 run through
    # zone 5 (their direct corridors cost 20.5 %, 17.4 % and 97.8 % more)
    assert net.n == 10 and equal == 7
    gdf = net.lines()
    assert len(gdf) == net.n and gdf.crs == crs
    # edge-to-edge Euclidean distances: Linkage Mapper's polygon distances vs cell centres here,
    # within one cell diagonal
    ref = np.loadtxt(LM_DIR / "distances_lm_cores.txt")
    lm = {(int(a), int(b)): d for a, b, d in ref}
    for a, b, e in net.pairs[["a", "b", "euclidean"]].itertuples(index=False):
        assert abs(e - lm[(a, b)]) <= math.sqrt(2) * size[0]
