"""Tests of regionkit.ecology.sources (source patches, patch distances)."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from regionkit.ecology.corridors import cost_distance
from regionkit.ecology.sources import ecological_sources, patch_distances
from regionkit.errors import InputError


def test_sources_hand_case_order_and_table():
    g = np.array(
        [
            [5, 5, 1, 1, 5],
            [1, 5, 1, 1, 5],
            [1, 1, 4, 1, 5],
            [5, 1, 1, 1, 5],
        ]
    )
    before = g.copy()
    t = Affine(10, 0, 1000, 0, -10, 2000)
    res = ecological_sources(g, transform_or_cell_size=t, min_area=150, top_grades=(5,))
    np.testing.assert_array_equal(g, before)
    # grade 5: patch A (0,0),(0,1),(1,1) = 3 cells, B = column 4 = 4 cells, C = (3,0) dropped
    assert res.n == 2 and res.dropped == 1
    assert res.table["cells"].tolist() == [4, 3]
    assert res.table["area"].tolist() == [400.0, 300.0]
    assert set(map(tuple, np.argwhere(res.labels == 1))) == {(0, 4), (1, 4), (2, 4), (3, 4)}
    assert res.table.loc[0, "centroid_x"] == pytest.approx(1045.0)
    assert res.table.loc[0, "centroid_y"] == pytest.approx(1980.0)
    both = ecological_sources(g, transform_or_cell_size=10.0, min_area=0, top_grades=(4, 5))
    assert both.n == 3 and both.table["cells"].tolist() == [4, 4, 1]  # (2,2) joins A diagonally
    assert both.labels[0, 0] == 1  # equal areas: the patch whose first cell comes first
    four = ecological_sources(g, transform_or_cell_size=10.0, min_area=0, top_grades=(4, 5),
                              connectivity=4)
    assert four.n == 4
    assert "2 ecological source patch(es)" in res.summary()


def test_sources_tie_rule_row_major():
    m = np.zeros((3, 5), dtype=bool)
    m[0, 3:5] = True  # first in row-major order
    m[2, 0:2] = True
    res = ecological_sources(m, transform_or_cell_size=1.0, min_area=0)
    assert res.labels[0, 3] == 1 and res.labels[2, 0] == 2


def test_sources_polygons():
    g = np.zeros((4, 4), dtype=int)
    g[0:2, 0:2] = 3
    g[3, 3] = 3
    t = Affine(100, 0, 0, 0, -100, 400)
    res = ecological_sources(g, transform_or_cell_size=t, min_area=0)
    gdf = res.polygons(crs="EPSG:3857")
    assert gdf["id"].tolist() == [1, 2]
    assert gdf.geometry.area.tolist() == pytest.approx([40000.0, 10000.0])
    assert gdf.crs.to_epsg() == 3857


def test_sources_errors():
    with pytest.raises(InputError, match="top_grades"):
        ecological_sources(np.ones((2, 2), int), transform_or_cell_size=1.0, min_area=0,
                           top_grades=(5,))
    with pytest.raises(InputError, match="min_area"):
        ecological_sources(np.ones((2, 2), int), transform_or_cell_size=1.0, min_area=-1)
    with pytest.raises(InputError, match="transform_or_cell_size"):
        ecological_sources(np.ones((2, 2), int), transform_or_cell_size=-3.0, min_area=0)
    with pytest.raises(InputError, match="integer grades"):
        ecological_sources(np.full((2, 2), 1.5), transform_or_cell_size=1.0, min_area=0)


def brute_euclidean(labels, size):
    ids = np.unique(labels[labels > 0])
    dy, dx = size
    n = ids.size
    out = np.zeros((n, n))
    for i, a in enumerate(ids):
        edt = ndimage.distance_transform_edt(labels != a, sampling=(dy, dx))
        for j, b in enumerate(ids):
            if i != j:
                out[i, j] = edt[labels == b].min()
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([(1.0, 1.0), (30.0, 30.0), (2.0, 3.0)]))
def test_euclidean_matches_distance_transform(seed, size):
    rng = np.random.default_rng(seed)
    mask = rng.random((25, 30)) < 0.12
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n < 2:
        return
    got = patch_distances(labels, cell_size=size)
    np.testing.assert_allclose(got, brute_euclidean(labels, size), rtol=1e-12, atol=1e-9)
    capped = patch_distances(labels, cell_size=size, max_distance=6 * max(size))
    full = got.copy()
    full[full > 6 * max(size)] = np.inf
    np.testing.assert_allclose(capped, full)


def test_cost_distances_adjacency_and_exact():
    rng = np.random.default_rng(3)
    r = rng.uniform(1, 10, (20, 24))
    labels = np.zeros((20, 24), dtype=int)
    labels[2:4, 2:4] = 1
    labels[15:17, 3:5] = 2
    labels[5:7, 19:21] = 3
    labels[17:19, 20:22] = 4
    exact = patch_distances(labels, cell_size=1.0, method="cost", resistance=r, exact=True)
    for i in range(4):
        cd = cost_distance(r, (labels == i + 1).astype(int))
        for j in range(4):
            if i != j:
                assert exact[i, j] == pytest.approx(cd.cost[labels == j + 1].min(), rel=1e-12)
    adj = patch_distances(labels, cell_size=1.0, method="cost", resistance=r)
    finite = np.isfinite(adj)
    assert np.all(adj[finite] >= exact[finite] - 1e-9)
    np.testing.assert_array_equal(adj, adj.T)
    assert finite.sum() > 4  # some adjacent pairs
    with pytest.raises(InputError, match="needs a resistance"):
        patch_distances(labels, cell_size=1.0, method="cost")
    with pytest.raises(InputError, match="only used with method='cost'"):
        patch_distances(labels, cell_size=1.0, resistance=r)
    with pytest.raises(InputError, match="no patch"):
        patch_distances(np.zeros((3, 3), int), cell_size=1.0)
