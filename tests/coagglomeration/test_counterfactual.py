"""Tests of the co-agglomeration Monte Carlo engine (draws, tasks, stopping, checkpoints, Dask)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.coagglomeration import counterfactual as cf
from regionkit.coagglomeration.counterfactual import (
    aggregate,
    build_problem,
    coagglomeration,
    counterfactual_draws,
    plan_tasks,
    run_task,
    run_tasks,
)
from regionkit.coagglomeration.transport import bin_points, exact_w2
from regionkit.errors import InputError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "china_firms_colocation_example.csv.gz"


def energy_distance(x: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Energy distance: a fast stand-in for engine-logic tests only (not a Wasserstein)."""
    def mean_dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).mean())

    xx = mean_dist(x, x)
    return np.array([2 * mean_dist(x, y) - xx - mean_dist(y, y) for y in ys])


def clustered(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Industries 1, 2 share a cluster; 3 is elsewhere; 4, 5 are diffuse; sizes 6, 8, 6, 8, 10."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([
        rng.normal(0, 1, (6, 2)), rng.normal(0, 1, (8, 2)), rng.normal(30, 1, (6, 2)),
        rng.uniform(-20, 50, (8, 2)), rng.uniform(-20, 50, (10, 2)),
    ])
    labels = np.repeat([1, 2, 3, 4, 5], [6, 8, 6, 8, 10])
    return labels, xy


# ------------------------------------------------------------------ draws
def test_draws_without_replacement_right_size_and_seeded():
    d = counterfactual_draws(123, 50, 20, 200)
    assert d.shape == (200, 20)
    assert d.min() >= 0 and d.max() < 50
    assert all(len(np.unique(row)) == 20 for row in d)  # without replacement
    np.testing.assert_array_equal(d, counterfactual_draws(123, 50, 20, 200))
    assert not np.array_equal(d, counterfactual_draws(124, 50, 20, 200))
    # every firm is drawn about equally often (uniform pool)
    counts = np.bincount(d.ravel(), minlength=50)
    assert counts.min() > 40 and counts.max() < 120  # mean 80
    with pytest.raises(InputError):
        counterfactual_draws(1, 5, 6, 10)


def test_draws_do_not_depend_on_processing_order():
    cf._draws_cached.cache_clear()
    a5, a3 = counterfactual_draws(7, 30, 5, 10), counterfactual_draws(7, 30, 3, 10)
    cf._draws_cached.cache_clear()
    b3, b5 = counterfactual_draws(7, 30, 3, 10), counterfactual_draws(7, 30, 5, 10)
    np.testing.assert_array_equal(a5, b5)
    np.testing.assert_array_equal(a3, b3)


# ------------------------------------------------------------------ tasks and determinism
def test_plan_tasks_groups_by_size():
    labels, xy = clustered()
    p = build_problem(labels, xy, distance=energy_distance, draws=10, rng=0)
    tasks = plan_tasks(p)
    # sizes 6, 8, 6, 8, 10 -> N=6: ks {0,2}; N=8: {1,3}; N=10: {4}
    assert len(tasks) == 5 + 5 + 4
    seen = {(t.j, k) for t in tasks for k in t.ks}
    assert seen == {(j, k) for j in range(5) for k in range(5) if j != k}
    for t in tasks:
        assert all(p.sizes[k] == t.n for k in t.ks) and t.j not in t.ks


def test_same_seed_same_numbers_and_generator_seed():
    labels, xy = clustered()
    r1 = coagglomeration(labels, xy, distance=energy_distance, draws=60, rng=5)
    r2 = coagglomeration(labels, xy, distance=energy_distance, draws=60, rng=5)
    pd.testing.assert_frame_equal(r1.coagg, r2.coagg)
    pd.testing.assert_frame_equal(r1.quantiles, r2.quantiles)
    g1 = coagglomeration(labels, xy, distance=energy_distance, draws=60, rng=np.random.default_rng(9))
    g2 = coagglomeration(labels, xy, distance=energy_distance, draws=60, rng=np.random.default_rng(9))
    pd.testing.assert_frame_equal(g1.coagg, g2.coagg)
    r3 = coagglomeration(labels, xy, distance=energy_distance, draws=60, rng=6)
    assert not r1.coagg.equals(r3.coagg)
    assert r1.seed_entropy == 5


def test_processing_order_and_block_size_do_not_change_results():
    labels, xy = clustered()
    p = build_problem(labels, xy, distance=energy_distance, draws=40, rng=3, block=7)
    tasks = plan_tasks(p)
    cf._draws_cached.cache_clear()
    fwd = run_tasks(p, tasks)
    cf._draws_cached.cache_clear()
    rev = run_tasks(p, tasks[::-1])[::-1]
    a = cf._assemble(p, fwd, (0.05, 0.5, 0.95))
    b = cf._assemble(p, rev, (0.05, 0.5, 0.95))
    pd.testing.assert_frame_equal(a.coagg, b.coagg)
    pd.testing.assert_frame_equal(a.distance, b.distance)
    big = coagglomeration(labels, xy, distance=energy_distance, draws=40, rng=3, block=1000)
    pd.testing.assert_frame_equal(a.coagg, big.coagg)


def test_result_shapes_and_long_table():
    labels, xy = clustered()
    res = coagglomeration(labels, xy, distance=energy_distance, draws=50, rng=1)
    assert res.coagg.shape == (5, 5)
    assert np.isnan(np.diag(res.coagg.to_numpy())).all()
    assert np.isnan(np.diag(res.distance.to_numpy())).all()
    long = res.to_frame()
    assert len(long) == 20
    assert {"j", "k", "W", "Coagg", "significant", "n_draws", "mc_se", "q5", "q50", "q95"} <= set(long.columns)
    assert (long["n_draws"] == 50).all()
    np.testing.assert_allclose(long["mc_se"], np.sqrt(long["Coagg"] * (1 - long["Coagg"]) / 50))
    assert (long["q5"] <= long["q50"]).all() and (long["q50"] <= long["q95"]).all()
    # planted: 1 and 2 share a cluster
    assert res.coagg.loc[1, 2] == 1.0 and res.significant().loc[1, 2]
    assert not res.significant().loc[1, 3]
    assert "ordered pairs" in res.summary()


def test_coagg_definition_by_hand():
    """Coagg(j,k) is the share of draws whose distance exceeds the observed one."""
    labels, xy = clustered()
    p = build_problem(labels, xy, distance=energy_distance, draws=30, rng=11)
    task = next(t for t in plan_tasks(p) if t.j == 0 and t.n == 8)
    out = run_task(task, p)
    draws = counterfactual_draws(p.seed_entropy, len(xy), 8, 30)
    x = xy[labels == 1]
    manual = energy_distance(x, xy[draws])
    np.testing.assert_allclose(out.counterfactual, manual)
    for i, k in enumerate(task.ks):
        obs = energy_distance(x, xy[labels == p.industries[k]][None])[0]
        assert out.observed[i] == pytest.approx(obs)
        assert out.successes[i] == int((obs < manual).sum())


# ------------------------------------------------------------------ sequential stopping
def test_sequential_same_decisions_fewer_draws():
    labels, xy = clustered()
    full = coagglomeration(labels, xy, distance=energy_distance, draws=200, rng=2)
    seq = coagglomeration(labels, xy, distance=energy_distance, draws=200, rng=2, sequential=True, block=13)
    pd.testing.assert_frame_equal(full.significant(), seq.significant())
    n = seq.n_draws.to_numpy()[~np.eye(5, dtype=bool)]
    assert n.max() <= 200 and n.min() < 200  # clear cases stop early
    assert seq.n_draws.loc[1, 3] <= 11  # never closer than the draws: 11 failures decide it
    # significant pairs stop at ceil(0.95 * 200) = 190 successes
    assert seq.n_draws.loc[1, 2] == 190 and seq.coagg.loc[1, 2] == 1.0
    se = seq.mc_se.to_numpy()[~np.eye(5, dtype=bool)]
    assert np.isfinite(se).all()
    c = seq.coagg.to_numpy()[~np.eye(5, dtype=bool)]
    np.testing.assert_allclose(se, np.sqrt(c * (1 - c) / n))
    with pytest.raises(InputError, match="sequential"):
        seq.significant(0.9)
    # decisions of every pair equal the full run's, pair by pair, also near the threshold
    block = coagglomeration(labels, xy, distance=energy_distance, draws=200, rng=2, sequential=True, block=200)
    pd.testing.assert_frame_equal(seq.n_draws, block.n_draws)


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_resume_recomputes_only_missing(tmp_path, monkeypatch):
    labels, xy = clustered()
    calls: list[str] = []
    real = cf.run_task

    def counting(task, problem):
        calls.append(task.task_id)
        return real(task, problem)

    monkeypatch.setattr(cf, "run_task", counting)
    p = build_problem(labels, xy, distance=energy_distance, draws=40, rng=4)
    tasks = plan_tasks(p)
    half = len(tasks) // 2
    run_tasks(p, tasks[:half], checkpoint_dir=tmp_path)  # "killed" after half the tasks
    assert len(calls) == half and len(list(tmp_path.glob("task-*.npz"))) == half
    (tmp_path / ".tmp-abandoned.npz").write_bytes(b"partial write of a killed run")
    calls.clear()
    seen = []
    res = coagglomeration(labels, xy, distance=energy_distance, draws=40, rng=4, checkpoint_dir=tmp_path,
                          progress=lambda done, total, tid: seen.append((done, total)))
    assert sorted(calls) == sorted(t.task_id for t in tasks[half:])
    assert seen[-1] == (len(tasks), len(tasks)) and len(seen) == len(tasks)
    monkeypatch.setattr(cf, "run_task", real)
    fresh = coagglomeration(labels, xy, distance=energy_distance, draws=40, rng=4)
    pd.testing.assert_frame_equal(res.coagg, fresh.coagg)
    pd.testing.assert_frame_equal(res.quantiles, fresh.quantiles)
    # a different seed does not reuse the files; a corrupted file is recomputed
    calls.clear()
    monkeypatch.setattr(cf, "run_task", counting)
    victim = sorted(tmp_path.glob("task-*.npz"))[0]
    victim.write_bytes(b"garbage")
    coagglomeration(labels, xy, distance=energy_distance, draws=40, rng=4, checkpoint_dir=tmp_path)
    assert len(calls) == 1
    calls.clear()
    coagglomeration(labels, xy, distance=energy_distance, draws=40, rng=5, checkpoint_dir=tmp_path)
    assert len(calls) == len(tasks)


# ------------------------------------------------------------------ Dask
@pytest.mark.slow
def test_dask_local_cluster_equals_serial(tmp_path):
    pytest.importorskip("distributed")
    labels, xy = clustered()
    serial = coagglomeration(labels, xy, distance="exact", draws=40, rng=8)
    seen = []
    t0 = time.perf_counter()
    dask = coagglomeration(labels, xy, distance="exact", draws=40, rng=8, executor="dask", n_workers=2,
                           checkpoint_dir=tmp_path, progress=lambda d, t, tid: seen.append(d))
    assert time.perf_counter() - t0 < 120
    pd.testing.assert_frame_equal(serial.coagg, dask.coagg)
    pd.testing.assert_frame_equal(serial.distance, dask.distance)
    pd.testing.assert_frame_equal(serial.quantiles, dask.quantiles)
    assert sorted(seen) == list(range(1, 15))
    assert len(list(tmp_path.glob("task-*.npz"))) == 14


# ------------------------------------------------------------------ planted structure (exact W2)
def neyman_scott(rng: np.random.Generator, centres: np.ndarray, n: int, sd: float) -> np.ndarray:
    """n offspring scattered (normal, sd) around parents chosen at random among ``centres``."""
    parents = centres[rng.integers(0, len(centres), n)]
    return parents + rng.normal(0, sd, (n, 2))


def test_planted_pairs_significant_independent_at_nominal_rate():
    rng = np.random.default_rng(2024)
    region = 100.0
    # background: a Neyman–Scott process of 40 parents, 240 firms randomly labelled into 12 industries
    bg_parents = rng.uniform(0, region, (40, 2))
    bg = neyman_scott(rng, bg_parents, 240, 3.0)
    bg_labels = rng.permutation(np.repeat(np.arange(100, 112), 20))
    # planted: industries 1 and 2 share 3 cluster centres; 3 and 4 have their own
    shared = rng.uniform(0, region, (3, 2))
    planted = [neyman_scott(rng, shared, 15, 2.0), neyman_scott(rng, shared, 15, 2.0),
               neyman_scott(rng, rng.uniform(0, region, (3, 2)), 15, 2.0),
               neyman_scott(rng, rng.uniform(0, region, (3, 2)), 15, 2.0)]
    xy = np.vstack([bg, *planted])
    labels = np.concatenate([bg_labels, np.repeat([1, 2, 3, 4], 15)])
    res = coagglomeration(labels, xy, distance="exact", draws=200, rng=17)
    sig = res.significant()
    assert sig.loc[1, 2] and sig.loc[2, 1]
    assert res.coagg.loc[1, 2] >= 0.99 and res.coagg.loc[2, 1] >= 0.99
    # random labels of the pool: Coagg ~ uniform, significant at about 5%
    null = [i for i in res.coagg.index if i >= 100]
    c = res.coagg.loc[null, null].to_numpy()[~np.eye(len(null), dtype=bool)]
    s = sig.loc[null, null].to_numpy()[~np.eye(len(null), dtype=bool)]
    assert len(c) == 132
    assert 0.35 < c.mean() < 0.65
    assert s.mean() < 0.15


# ------------------------------------------------------------------ grid representation
def test_grid_measures_match_bin_points_and_distances_track_points():
    labels, xy = clustered()
    p = build_problem(labels, xy, distance="sinkhorn", draws=20, rng=0, representation="grid", cell_size=2.0)
    h = p.measure(p.members[1])
    np.testing.assert_allclose(h, bin_points(xy[labels == 2], p.grid))
    hs = p.measures(np.stack([p.members[0], p.members[2]]))
    np.testing.assert_allclose(hs[1], bin_points(xy[labels == 3], p.grid))
    res = coagglomeration(labels, xy, distance="exact", draws=30, rng=0, representation="grid", cell_size=1.0)
    pts = coagglomeration(labels, xy, distance="exact", draws=30, rng=0)
    # binning moves each firm by < one cell: W changes a little, decisions on clear pairs stay
    w_g, w_p = res.distance.to_numpy(), pts.distance.to_numpy()
    off = ~np.eye(5, dtype=bool)
    assert np.corrcoef(w_g[off], w_p[off])[0, 1] > 0.99
    assert res.significant().loc[1, 2] and not res.significant().loc[1, 3]
    sk = coagglomeration(labels, xy, distance="sinkhorn", draws=30, rng=0, representation="grid", cell_size=2.0)
    assert sk.significant().loc[1, 2] and not sk.significant().loc[1, 3]
    assert sk.eps is not None and sk.eps > 0


# ------------------------------------------------------------------ aggregation and errors
def test_aggregate_means_within_and_between():
    labels, xy = clustered()
    res = coagglomeration(labels, xy, distance=energy_distance, draws=30, rng=1)
    groups = {1: "A", 2: "A", 3: "B", 4: "B", 5: "B"}
    agg = aggregate(res, groups)
    c = res.coagg
    assert agg.n_pairs.loc["A", "A"] == 2 and agg.n_pairs.loc["B", "B"] == 6 and agg.n_pairs.loc["A", "B"] == 6
    assert agg.mean.loc["A", "A"] == pytest.approx((c.loc[1, 2] + c.loc[2, 1]) / 2)
    assert agg.mean.loc["A", "B"] == pytest.approx(c.loc[[1, 2], [3, 4, 5]].to_numpy().mean())
    assert len(agg.to_frame()) == 4 and "within groups" in agg.summary()
    with pytest.raises(InputError, match="no group"):
        aggregate(res, {1: "A"})


def test_bad_inputs_are_named():
    labels, xy = clustered()
    with pytest.raises(InputError, match="distance"):
        coagglomeration(labels, xy, distance="manhattan", draws=5, rng=0)
    with pytest.raises(InputError, match="labels"):
        coagglomeration(labels[:-1], xy, draws=5, rng=0)
    bad = xy.copy()
    bad[3, 1] = np.nan
    with pytest.raises(InputError, match="row"):
        coagglomeration(labels, bad, draws=5, rng=0)
    with pytest.raises(InputError, match="cell_size"):
        coagglomeration(labels, xy, draws=5, rng=0, representation="grid")
    with pytest.raises(InputError, match="rng"):
        coagglomeration(labels, xy, draws=5, rng=-1)
    with pytest.raises(InputError, match="executor"):
        coagglomeration(labels, xy, draws=5, rng=0, executor="spark")
    xy_copy = xy.copy()
    coagglomeration(labels, xy, distance=energy_distance, draws=5, rng=0)
    np.testing.assert_array_equal(xy, xy_copy)  # input untouched


# ------------------------------------------------------------------ real data: Shanghai (3101)
@pytest.mark.shared_data
def test_city_3101_matches_independent_exact_loop():
    if not DATA.is_file():
        pytest.skip(f"firm data not found at {DATA.resolve()} (../shared absent)")
    from regionkit.coagglomeration.firms import project_firms, read_firms

    firms = read_firms(DATA, lon_col="Longitude", lat_col="Latitude", industry_cols={"sic3": "SIC3"},
                       city_col="city", on_missing="drop")
    city = project_firms(firms.select(city=3101))
    xy, lab = city.coordinates() / 1000.0, city.labels("sic3")  # km
    counts = pd.Series(lab).value_counts()
    inds = sorted(counts[(counts >= 8) & (counts <= 12)].index[:3].tolist())
    R = 25
    res = coagglomeration(lab, xy, distance="exact", draws=R, rng=3101, industries=inds)
    # independent computation: plain loop, scipy LP (transport.exact_w2), same draws
    for j in inds:
        x = xy[lab == j]
        for k in inds:
            if j == k:
                continue
            y = xy[lab == k]
            a, b = np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))
            w = exact_w2(a, x, b, y)
            draws = counterfactual_draws(res.seed_entropy, len(xy), len(y), R)
            wcf = np.array([exact_w2(a, x, b, xy[d]) for d in draws])
            assert res.distance.loc[j, k] == pytest.approx(w, rel=1e-9)
            assert res.coagg.loc[j, k] == np.mean(w < wcf)
            np.testing.assert_allclose(res.quantiles.loc[(j, k)].to_numpy(),
                                       np.quantile(wcf, [0.05, 0.5, 0.95]), rtol=1e-9)


def test_non_convergence_warning_names_the_industry_pair(monkeypatch):
    """A solver warning about batch problem i is re-issued naming the pair (j, k) it belongs to."""
    import warnings

    from regionkit.coagglomeration import counterfactual as cf
    from regionkit.coagglomeration.transport import TransportConvergenceWarning

    xy = [[0, 0], [1, 0], [0, 1], [9, 9], [9, 8], [8, 9]]
    problem = cf.build_problem(["paper", "paper", "paper", "steel", "steel", "steel"], xy, draws=5, rng=3)
    real = cf._batch_distance

    def noisy(problem, mu, nus):
        warnings.warn(TransportConvergenceWarning("not converged", (0,), (3e-3,)), stacklevel=2)
        return real(problem, mu, nus)

    monkeypatch.setattr(cf, "_batch_distance", noisy)
    with pytest.warns(cf.CoaggConvergenceWarning) as record:
        cf.run_task(cf.plan_tasks(problem)[0], problem)
    texts = [str(w.message) for w in record if w.category is cf.CoaggConvergenceWarning]
    assert any("observed pair ('paper', 'steel')" in t and "3.00e-03" in t for t in texts)
    assert any("counterfactual draw 0 of size 3" in t for t in texts)
