"""Tests of regionkit.ecology.corridors (cost distance, least-cost paths, corridors)."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from regionkit.ecology.corridors import (
    BACKLINK_OFFSETS,
    corridor_pairs,
    cost_distance,
    least_cost_path,
    normalized_corridor,
    path_cost,
)
from regionkit.errors import ComputationError, InputError

LM_DIR = Path(__file__).parents[2] / ".." / "shared" / "data" / "linkage_mapper_demo"
R2 = math.sqrt(2.0)


def skimage_costs(resistance, sources, cell_size=(1.0, 1.0), nodata_mask=None):
    graph = pytest.importorskip("skimage.graph")
    costs = np.asarray(resistance, dtype=float).copy()
    if nodata_mask is not None:
        costs[nodata_mask] = np.inf  # MCP treats infinite costs as impassable
    mcp = graph.MCP_Geometric(costs, fully_connected=True, sampling=cell_size)
    cum, _ = mcp.find_costs(np.argwhere(np.asarray(sources) > 0))
    return cum


def random_case(seed, shape=(40, 55), n_sources=4, nodata_share=0.05):
    rng = np.random.default_rng(seed)
    resistance = rng.uniform(0.1, 20.0, size=shape)
    nodata = rng.random(shape) < nodata_share
    resistance[nodata] = -9999.0
    sources = np.zeros(shape, dtype=np.int32)
    free = np.argwhere(~nodata)
    picks = free[rng.choice(len(free), size=n_sources * 3, replace=False)]
    for k, (r, c) in enumerate(picks):
        sources[r, c] = k % n_sources + 1  # several cells per label
    return resistance, sources, nodata


# ---------------------------------------------------------------- hand-checked grid


def wall_grid():
    """5 x 5, resistance 1 with a wall of 100 in column 2, rows 0-3; source at (0, 0).

    Resistance::

        1 1 100 1 1
        1 1 100 1 1
        1 1 100 1 1
        1 1 100 1 1
        1 1  1  1 1
    """
    resistance = np.ones((5, 5))
    resistance[0:4, 2] = 100.0
    sources = np.zeros((5, 5), dtype=int)
    sources[0, 0] = 1
    return resistance, sources


def test_hand_checked_wall_grid():
    resistance, sources = wall_grid()
    res = cost_distance(resistance, sources)
    cost = res.cost
    # on uniform resistance 1 the cost is the octile distance: diagonal steps sqrt(2)
    assert cost[0, 0] == 0.0
    assert cost[0, 1] == pytest.approx(1.0)
    assert cost[1, 1] == pytest.approx(R2)
    assert cost[3, 1] == pytest.approx(2 + R2)  # (0,0)->(1,1) diag, then 2 down
    # gap (4, 2): 2 diagonals + 2 straight steps = 2 + 2*sqrt(2) = 4.828
    assert cost[4, 2] == pytest.approx(2 + 2 * R2)
    # (3, 3): through the gap, (4,2)->(3,3) diagonal: 2 + 3*sqrt(2) = 6.243
    assert cost[3, 3] == pytest.approx(2 + 3 * R2)
    # (0, 4): gap, (3,3) diag, (2,4) diag, then 2 up: 4 + 4*sqrt(2) = 9.657
    assert cost[0, 4] == pytest.approx(4 + 4 * R2)
    # wall cell (0, 2): from (0,1) across half a wall cell: 1 + (1 + 100)/2 = 51.5
    assert cost[0, 2] == pytest.approx(51.5)
    assert (res.allocation == 1).all()
    # (0, 1) is reached from the source on its left (code 5 = west)
    assert res.backlink[0, 1] == 5
    assert res.backlink[0, 0] == 0
    # the path to (0, 4) passes through the gap and avoids the wall
    path = least_cost_path(res, (0, 4))
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [0, 4]
    assert [4, 2] in path.tolist()
    assert all(resistance[r, c] == 1 for r, c in path)
    np.testing.assert_allclose(cost, skimage_costs(resistance, sources), rtol=1e-12, atol=0)


def test_two_sources_uniform_allocation():
    sources = np.zeros((5, 5), dtype=int)
    sources[0, 0], sources[4, 4] = 7, 3
    res = cost_distance(np.ones((5, 5)), sources)
    # octile distance to the nearer source; the anti-diagonal is equidistant
    i, j = np.indices((5, 5))
    upper = i + j < 4
    lower = i + j > 4
    assert (res.allocation[upper] == 7).all()
    assert (res.allocation[lower] == 3).all()
    assert set(np.unique(res.allocation[i + j == 4])) <= {3, 7}
    assert res.cost[2, 2] == pytest.approx(2 * R2)
    assert res.cost[0, 4] == pytest.approx(4.0)


def test_anisotropic_cells_hand_checked():
    sources = np.zeros((3, 3), dtype=int)
    sources[1, 1] = 1
    res = cost_distance(np.full((3, 3), 2.0), sources, cell_size=(3.0, 4.0))
    # resistance 2: vertical step 3 -> 6, horizontal 4 -> 8, diagonal 5 -> 10
    np.testing.assert_allclose(res.cost, [[10, 6, 10], [8, 0, 8], [10, 6, 10]])


# ---------------------------------------------------------------- scikit-image agreement


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("cell_size", [(1.0, 1.0), (30.0, 30.0), (2.0, 3.5)])
def test_equals_skimage_on_random_grids(seed, cell_size):
    resistance, sources, nodata = random_case(seed)
    res = cost_distance(resistance, sources, cell_size=cell_size, nodata=-9999.0)
    expected = skimage_costs(resistance, sources, cell_size, nodata_mask=nodata)
    assert np.array_equal(np.isinf(res.cost), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(res.cost[finite], expected[finite], rtol=1e-9, atol=1e-9)
    assert np.isinf(res.cost[nodata]).all()
    assert (res.allocation[nodata] == 0).all()


@pytest.mark.parametrize("seed", [3, 4])
def test_allocation_is_source_of_minimal_single_source_cost(seed):
    resistance, sources, nodata = random_case(seed, shape=(25, 30), n_sources=3)
    res = cost_distance(resistance, sources, cell_size=(2.0, 1.5), nodata=-9999.0)
    labels = np.unique(sources[sources > 0])
    single = np.stack(
        [
            cost_distance(
                resistance, np.where(sources == k, k, 0), cell_size=(2.0, 1.5), nodata=-9999.0
            ).cost
            for k in labels
        ]
    )
    np.testing.assert_allclose(res.cost, single.min(axis=0), rtol=1e-12)
    reach = np.isfinite(res.cost)
    ordered = np.sort(single, axis=0)
    unique_min = reach & ~np.isclose(ordered[0], ordered[1], rtol=1e-12, atol=0)
    assert unique_min.sum() > 0.9 * reach.sum()
    assert np.array_equal(res.allocation[unique_min], labels[single.argmin(axis=0)][unique_min])
    assert (res.allocation[~reach] == 0).all()


# ---------------------------------------------------------------- least-cost paths


@pytest.mark.parametrize("seed", [5, 6])
def test_least_cost_path_cost_equals_cost_distance(seed):
    resistance, sources, nodata = random_case(seed)
    cell_size = (2.0, 3.0)
    res = cost_distance(resistance, sources, cell_size=cell_size, nodata=-9999.0)
    rng = np.random.default_rng(seed)
    reachable = np.argwhere(np.isfinite(res.cost))
    for r, c in reachable[rng.choice(len(reachable), size=20, replace=False)]:
        path = least_cost_path(res, (r, c))
        assert path[-1].tolist() == [r, c]
        start = tuple(path[0])
        assert sources[start] == res.allocation[r, c]
        assert res.cost[start] == 0.0
        assert not nodata[path[:, 0], path[:, 1]].any()
        got = path_cost(resistance, path, cell_size=cell_size)
        assert got == pytest.approx(res.cost[r, c], rel=1e-9, abs=1e-12)
        # each step follows the back-link code of the cell it ends in
        for (r0, c0), (r1, c1) in zip(path[:-1], path[1:], strict=True):
            assert BACKLINK_OFFSETS[res.backlink[r1, c1]] == (r0 - r1, c0 - c1)


def test_least_cost_path_at_source_and_errors():
    resistance, sources = wall_grid()
    res = cost_distance(resistance, sources)
    assert least_cost_path(res, (0, 0)).tolist() == [[0, 0]]
    with pytest.raises(InputError, match=r"row 5, col 0.*outside"):
        least_cost_path(res, (5, 0))
    with pytest.raises(InputError, match="row, col"):
        least_cost_path(res, 3)
    blocked = np.ones((3, 3))
    blocked[:, 1] = -1
    src = np.zeros((3, 3), dtype=int)
    src[0, 0] = 1
    res = cost_distance(blocked, src, nodata=-1)
    assert np.isinf(res.cost[:, 1:]).all()
    # passable but cut off (column 2) and nodata (column 1): no source, no back-link
    assert (res.allocation[:, 1:] == 0).all() and (res.backlink[:, 1:] == 0).all()
    assert (res.allocation[:, 0] == 1).all()
    with pytest.raises(ComputationError, match="cannot be reached"):
        least_cost_path(res, (2, 2))


def test_path_cost_checks():
    r = np.ones((3, 3))
    with pytest.raises(InputError, match="neighbours"):
        path_cost(r, np.array([[0, 0], [2, 2]]))
    with pytest.raises(InputError, match="outside"):
        path_cost(r, np.array([[0, 0], [-1, 0]]))


# ---------------------------------------------------------------- corridors


def test_corridor_pairs():
    zones = np.array(
        [
            [1, 1, 0, 2],
            [1, 1, 0, 2],
            [0, 0, 3, 3],
        ]
    )
    # 1 touches 3 diagonally at (1,1)-(2,2); 2 touches 3; 1 and 2 are separated by 0
    assert corridor_pairs(zones).tolist() == [[1, 3], [2, 3]]
    assert corridor_pairs(np.ones((2, 2), dtype=int)).shape == (0, 2)
    with pytest.raises(InputError, match="integer"):
        corridor_pairs(np.ones((2, 2)))


def test_corridor_pairs_of_allocation():
    sources = np.zeros((9, 9), dtype=int)
    sources[0, 0], sources[0, 8], sources[8, 4] = 1, 2, 3
    res = cost_distance(np.ones((9, 9)), sources)
    assert corridor_pairs(res.allocation).tolist() == [[1, 2], [1, 3], [2, 3]]


def test_normalized_corridor():
    resistance, sources, nodata = random_case(7, n_sources=2)
    a = cost_distance(resistance, np.where(sources == 1, 1, 0), nodata=-9999.0)
    b = cost_distance(resistance, np.where(sources == 2, 2, 0), nodata=-9999.0)
    lcd = a.cost[sources == 2].min()  # least-cost distance from core 1 to core 2
    ncc = normalized_corridor(a.cost, b.cost, lcd)
    assert np.nanmin(ncc) == pytest.approx(0.0, abs=1e-9)
    assert np.all(ncc[np.isfinite(ncc)] >= -1e-9)
    assert np.isinf(ncc[nodata]).all()
    np.testing.assert_allclose(normalized_corridor(a.cost, b.cost), ncc, atol=1e-9)
    # the least-cost path from core 2 to core 1 lies on the zero valley of the corridor
    target = tuple(np.argwhere((sources == 2) & (a.cost == lcd))[0])
    path = least_cost_path(a, target)
    np.testing.assert_allclose(ncc[path[:, 0], path[:, 1]], 0.0, atol=1e-9)
    cut = normalized_corridor(a.cost, b.cost, lcd, width=50.0)
    inside = np.isfinite(cut)
    assert (cut[inside] <= 50.0).all()
    assert np.isinf(cut[ncc > 50.0]).all()
    assert inside.sum() < np.isfinite(ncc).sum()
    with pytest.raises(InputError, match="shape"):
        normalized_corridor(a.cost, b.cost[:-1], lcd)
    with pytest.raises(InputError, match="width"):
        normalized_corridor(a.cost, b.cost, lcd, width=-1.0)


# ---------------------------------------------------------------- input checks and result


@pytest.mark.parametrize("bad", [-1.0, 0.0, np.nan, np.inf])
def test_bad_resistance_cells_are_named(bad):
    r = np.ones((3, 4))
    r[1, 2] = bad
    s = np.zeros((3, 4), dtype=int)
    s[0, 0] = 1
    with pytest.raises(InputError, match=r"row 1, col 2"):
        cost_distance(r, s)


def test_nan_nodata_and_source_checks():
    r = np.ones((3, 4))
    r[1, 2] = np.nan
    s = np.zeros((3, 4), dtype=int)
    s[0, 0] = 1
    assert np.isinf(cost_distance(r, s, nodata=np.nan).cost[1, 2])
    with pytest.raises(InputError, match="shape"):
        cost_distance(r, s[:, :3], nodata=np.nan)
    with pytest.raises(InputError, match="no source"):
        cost_distance(r, np.zeros_like(s), nodata=np.nan)
    s2 = s.copy()
    s2[1, 2] = 2
    with pytest.raises(InputError, match=r"nodata.*row 1, col 2"):
        cost_distance(r, s2, nodata=np.nan)
    with pytest.raises(InputError, match="negative"):
        cost_distance(r, -s, nodata=np.nan)
    with pytest.raises(InputError, match="integer"):
        cost_distance(r, s + 0.5, nodata=np.nan)
    with pytest.raises(InputError, match="cell_size"):
        cost_distance(r, s, nodata=np.nan, cell_size=(0.0, 1.0))
    with pytest.raises(InputError, match="2-D"):
        cost_distance(np.ones(4), s[0])
    with pytest.raises(TypeError):
        cost_distance(r, s, (1.0, 1.0))  # options are keyword-only


def test_result_is_frozen_and_read_only():
    resistance, sources = wall_grid()
    res = cost_distance(resistance, sources, cell_size=2.0)
    assert res.cell_size == (2.0, 2.0)
    assert res.cost.dtype == np.float64 and res.backlink.dtype == np.uint8
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.cost = None
    with pytest.raises(ValueError):
        res.cost[0, 0] = 1.0
    # a cell size scales the cost linearly
    np.testing.assert_allclose(res.cost, 2.0 * cost_distance(resistance, sources).cost)


# ---------------------------------------------------------------- Linkage Mapper demo raster



@pytest.mark.shared_data
def test_equals_skimage_on_linkage_mapper_demo(lm_demo):
    resistance, sources, nodata_value, cell, _, cores = lm_demo
    nodata = resistance == nodata_value
    res = cost_distance(resistance, sources, cell_size=cell, nodata=nodata_value)
    expected = skimage_costs(resistance, sources, cell, nodata_mask=nodata)
    assert np.array_equal(np.isinf(res.cost), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(res.cost[finite], expected[finite], rtol=1e-9)
    pairs = corridor_pairs(res.allocation)
    assert len(pairs) >= len(cores) - 1
    assert set(np.unique(pairs)) <= set(cores["core_id"])
    far = np.unravel_index(np.argmax(np.where(finite, res.cost, -1)), res.cost.shape)
    path = least_cost_path(res, far)
    assert path_cost(resistance, path, cell_size=cell) == pytest.approx(res.cost[far], rel=1e-9)


@pytest.mark.shared_data
def test_equals_grass_r_cost_on_linkage_mapper_demo(lm_demo):
    """GRASS GIS 8.2.1 ``r.cost`` (8 neighbours, no knight's move) on the same demo.

    r.cost measures step lengths in east-west cell widths, regionkit in map units, with the
    same ``(c1 + c2) / 2`` rule otherwise: regionkit's cost / ew_res must equal r.cost's
    (tests/reference/grass/README.md).
    """
    resistance, sources, nodata_value, cell, transform, _ = lm_demo
    ref_dir = Path(__file__).parents[1] / "reference" / "grass"
    summary = json.loads((ref_dir / "rcost_summary.json").read_text())
    sample = np.loadtxt(ref_dir / "rcost_sample.csv", delimiter=",", skiprows=1)
    rows, cols = sample[:, 0].astype(int), sample[:, 1].astype(int)
    assert list(resistance.shape) == summary["shape"]
    assert summary["n_start_cells"] == int((sources > 0).sum())
    res = cost_distance(resistance, sources, cell_size=cell, nodata=nodata_value)
    ew_res = transform.a
    assert ew_res == pytest.approx(summary["ew_res"], rel=1e-15)
    in_cells = res.cost / ew_res  # the one documented conversion: map units -> EW cell widths
    np.testing.assert_allclose(in_cells[rows, cols], sample[:, 2], rtol=1e-9, atol=0)
    reached = np.isfinite(in_cells)
    assert int(reached.sum()) == summary["n_reached"]
    assert int((~reached).sum()) == summary["n_null"]
    assert in_cells[reached].sum() == pytest.approx(summary["cost_sum"], rel=1e-9)
    assert in_cells[reached].max() == pytest.approx(summary["cost_max"], rel=1e-9)
    assert in_cells[reached].min() == 0.0 == summary["cost_min"]
    far = np.unravel_index(np.argmax(np.where(reached, in_cells, -1.0)), in_cells.shape)
    assert list(far) == summary["argmax_row_col"]
    # r.cost's ``nearest`` is the allocation (ties are broken differently in principle; none
    # occur in the sample)
    assert np.array_equal(res.allocation[rows, cols], sample[:, 3].astype(int))
    labels, counts = np.unique(res.allocation[reached], return_counts=True)
    expected = {int(k): v for k, v in summary["nearest_counts"].items()}
    assert dict(zip(labels.tolist(), counts.tolist(), strict=True)) == expected
