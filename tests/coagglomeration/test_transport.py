"""Transport solvers: exact W2², dense and batched grid Sinkhorn, Sinkhorn divergences.

POT (``pot``, a test dependency) is the reference: ``ot.emd2`` for the exact cost,
``ot.sinkhorn2`` / ``ot.sinkhorn`` for the entropic cost and plan, and
``ot.bregman.empirical_sinkhorn_divergence`` for POT's (linear-term) divergence.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from regionkit.coagglomeration.transport import (
    SCALING_LIMIT,
    GridSupport,
    TransportConvergenceWarning,
    bin_points,
    exact_w2,
    exact_w2_batch,
    grid_sinkhorn_batch,
    grid_sinkhorn_divergence_batch,
    sinkhorn,
    sinkhorn_divergence,
    squared_diameter,
    squared_distances,
)
from regionkit.errors import InputError

ot = pytest.importorskip("ot")
# POT's log-domain Sinkhorn takes log(0) of zero weights on purpose
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning")


def _cloud(rng, n, shift=0.0, weights="random"):
    x = rng.normal(size=(n, 2)) + shift
    w = rng.random(n) + 0.05 if weights == "random" else np.ones(n)
    return w / w.sum(), x


def _histograms(rng, grid, batch, density=0.4):
    shape = (batch, *grid.shape)
    nus = rng.random(shape) * (rng.random(shape) < density)
    nus[:, 0, 0] += 0.01  # never empty
    return nus / nus.sum(axis=(1, 2), keepdims=True)


@pytest.fixture
def pair():
    rng = np.random.default_rng(11)
    a, x = _cloud(rng, 17)
    b, y = _cloud(rng, 23, shift=[0.8, -0.3])
    return a, x, b, y


# ---------------------------------------------------------------- dense Sinkhorn vs POT
@pytest.mark.parametrize("log_domain", [False, True])
@pytest.mark.parametrize("eps", [1.0, 0.2, 0.05])
def test_sinkhorn_cost_matches_pot(pair, eps, log_domain):
    a, x, b, y = pair
    C = squared_distances(x, y)
    ref = ot.sinkhorn2(a, b, C, eps, numItermax=200_000, stopThr=1e-13, method="sinkhorn_log")
    res = sinkhorn(a, b, C, eps=eps, tol=1e-12, max_iter=200_000, log_domain=log_domain)
    assert res.converged and res.log_domain is log_domain
    assert res.cost == pytest.approx(float(ref), rel=1e-6)
    # the plan too, and the regularised objective <T,C> + eps KL(T | a x b) from POT's plan
    T = ot.sinkhorn(a, b, C, eps, numItermax=200_000, stopThr=1e-13, method="sinkhorn_log")
    np.testing.assert_allclose(res.plan, T, rtol=1e-6, atol=1e-14)
    kl = np.sum(T * np.log(T / np.outer(a, b)))
    assert res.objective == pytest.approx(float(np.sum(T * C) + eps * kl), rel=1e-6)


def test_sinkhorn_plan_marginals_within_tol(pair):
    a, x, b, y = pair
    for tol in (1e-2, 1e-4, 1e-8):
        res = sinkhorn(a, b, squared_distances(x, y), eps=0.1, tol=tol)
        assert res.converged
        np.testing.assert_allclose(res.plan.sum(axis=1), a, rtol=1e-12)  # rows exact
        col_err = np.abs(res.plan.sum(axis=0) - b).sum()
        assert col_err < tol
        assert col_err == pytest.approx(res.marginal_error, rel=1e-6)


def test_sinkhorn_mass_scales_costs(pair):
    a, x, b, y = pair
    C = squared_distances(x, y)
    one = sinkhorn(a, b, C, eps=0.3, tol=1e-10)
    five = sinkhorn(5 * a, 5 * b, C, eps=0.3, tol=1e-10)
    assert five.cost == pytest.approx(5 * one.cost, rel=1e-10)
    assert five.plan.sum() == pytest.approx(5.0)
    # POT gives the same cost for unnormalised measures of equal mass
    ref = ot.sinkhorn2(5 * a, 5 * b, C, 0.3, numItermax=100_000, stopThr=1e-13)
    assert five.cost == pytest.approx(float(ref), rel=1e-6)


def test_sinkhorn_zero_weights(pair):
    a, x, b, y = pair
    a0 = a.copy()
    a0[:3] = 0.0
    a0 /= a0.sum()
    C = squared_distances(x, y)
    for log_domain in (False, True):
        res = sinkhorn(a0, b, C, eps=0.2, tol=1e-12, log_domain=log_domain)
        ref = ot.sinkhorn2(a0[3:], b, C[3:], 0.2, numItermax=100_000, stopThr=1e-13)
        assert res.cost == pytest.approx(float(ref), rel=1e-6)
        assert np.all(res.plan[:3] == 0)


def test_auto_switches_to_log_domain(pair):
    a, x, b, y = pair
    C = squared_distances(x, y)
    eps = C.max() / 2000  # exp(-C/eps) underflows: the scaling iteration cannot work
    res = sinkhorn(a, b, C, eps=eps, tol=1e-9, max_iter=200_000)
    assert res.log_domain and res.converged
    ref = ot.sinkhorn2(a, b, C, eps, numItermax=200_000, stopThr=1e-12, method="sinkhorn_log")
    assert res.cost == pytest.approx(float(ref), rel=1e-6)


# ---------------------------------------------------------------- ε-scaling, over-relaxation
@pytest.mark.parametrize("log_domain", ["auto", True])
def test_eps_scaling_same_cost_as_plain_and_pot(pair, log_domain):
    a, x, b, y = pair
    C = squared_distances(x, y)
    eps = C.max() / 1500  # max C / eps = 1500: "auto" anneals
    ref = ot.sinkhorn2(a, b, C, eps, numItermax=200_000, stopThr=1e-13, method="sinkhorn_log")
    runs = {
        es: sinkhorn(a, b, C, eps=eps, tol=1e-11, max_iter=200_000, log_domain=log_domain, eps_scaling=es)
        for es in (None, "auto", 0.7)
    }
    for res in runs.values():
        assert res.converged
        assert res.cost == pytest.approx(float(ref), rel=1e-6)
        assert res.objective == pytest.approx(runs[None].objective, rel=1e-8)
        np.testing.assert_allclose(res.plan, runs[None].plan, rtol=1e-5, atol=1e-12)
    assert runs[None].stages == 1 and runs["auto"].stages > 5 and runs[0.7].stages > runs["auto"].stages
    assert runs["auto"].iterations < runs[None].iterations
    assert "eps stages" in runs["auto"].summary()


def test_eps_scaling_auto_only_when_max_c_over_eps_is_large(pair):
    a, x, b, y = pair
    C = squared_distances(x, y)
    assert sinkhorn(a, b, C, eps=C.max() / 50).stages == 1
    assert sinkhorn(a, b, C, eps=C.max() / 50, eps_scaling=0.5).stages == 7  # 6 stages (50 = 2^5.6) + the target
    assert sinkhorn(a, b, C, eps=C.max() / 1000).stages == 11
    with pytest.raises(InputError, match="eps_scaling"):
        sinkhorn(a, b, C, eps=0.1, eps_scaling=1.5)
    with pytest.raises(InputError, match="eps_scaling"):
        sinkhorn(a, b, C, eps=0.1, eps_scaling="yes")


def test_eps_scaling_divergence_and_self_terms(pair):
    a, x, b, y = pair
    eps = squared_diameter(x, y) / 3000
    plain = sinkhorn_divergence(a, x, b, y, eps=eps, tol=1e-10, max_iter=200_000, eps_scaling=None)
    for es in ("auto", 0.5):  # 0.5 also anneals the symmetric self terms
        res = sinkhorn_divergence(a, x, b, y, eps=eps, tol=1e-10, max_iter=200_000, eps_scaling=es)
        assert res.converged
        for t in ("value", "ot_ab", "ot_aa", "ot_bb"):
            assert getattr(res, t) == pytest.approx(getattr(plain, t), rel=1e-7)
    assert res.iterations[1] > plain.iterations[1]  # stages counted in the self terms too


def test_grid_eps_scaling_same_costs():
    rng = np.random.default_rng(16)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=9, ny=8)
    mu = _histograms(rng, grid, 1)[0]
    nus = _histograms(rng, grid, 3)
    eps = grid.squared_diameter / 1000
    plain = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-10, max_iter=200_000)
    ann = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-10, max_iter=200_000, eps_scaling=0.5)
    assert plain.converged.all() and ann.converged.all()
    np.testing.assert_allclose(ann.costs, plain.costs, rtol=1e-7)
    np.testing.assert_allclose(ann.objectives, plain.objectives, rtol=1e-7)
    # divergence batch: annealed cross and self terms, same values
    d0 = grid_sinkhorn_divergence_batch(mu, nus, grid, eps=eps, tol=1e-10, max_iter=200_000)
    d1 = grid_sinkhorn_divergence_batch(
        mu, nus, grid, eps=eps, tol=1e-10, max_iter=200_000, eps_scaling=0.5
    )
    np.testing.assert_allclose(d1.values, d0.values, rtol=1e-7)


def test_over_relaxation_same_fixed_point(pair, monkeypatch):
    from regionkit.coagglomeration import transport as tr

    a, x, b, y = pair
    C = squared_distances(x, y)
    eps = C.max() / 800
    fast = sinkhorn(a, b, C, eps=eps, tol=1e-11, max_iter=200_000, eps_scaling=None)
    monkeypatch.setattr(tr, "RELAX_MAX", 1.0)  # switches over-relaxation off
    slow = sinkhorn(a, b, C, eps=eps, tol=1e-11, max_iter=200_000, eps_scaling=None)
    assert fast.converged and slow.converged
    assert fast.cost == pytest.approx(slow.cost, rel=1e-8)
    np.testing.assert_allclose(fast.f - fast.f[0], slow.f - slow.f[0], rtol=0, atol=1e-7 * C.max())
    assert fast.iterations < 0.75 * slow.iterations


# ---------------------------------------------------------------- exact W2²
@pytest.mark.parametrize("n,m", [(7, 12), (25, 9), (30, 30)])
def test_exact_w2_matches_emd2(n, m):
    rng = np.random.default_rng(n * 100 + m)
    for _ in range(3):
        a, x = _cloud(rng, n)
        b, y = _cloud(rng, m, shift=0.5)
        ref = ot.emd2(a, b, squared_distances(x, y))
        assert exact_w2(a, x, b, y) == pytest.approx(float(ref), rel=1e-9, abs=1e-12)


def test_exact_w2_assignment_path_matches_emd2():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + 1.0
    w = np.full(40, 1 / 40)
    ref = ot.emd2(w, w, squared_distances(x, y))
    assert exact_w2(w, x, w, y) == pytest.approx(float(ref), rel=1e-9)
    assert exact_w2(3 * w, x, 3 * w, y) == pytest.approx(3 * float(ref), rel=1e-9)


@given(
    n=st.integers(1, 8),
    m=st.integers(1, 8),
    seed=st.integers(0, 2**31 - 1),
)
def test_exact_w2_property_matches_emd2_and_is_symmetric(n, m, seed):
    rng = np.random.default_rng(seed)
    a, x = _cloud(rng, n)
    b, y = _cloud(rng, m)
    w = exact_w2(a, x, b, y)
    assert w == pytest.approx(float(ot.emd2(a, b, squared_distances(x, y))), rel=1e-9, abs=1e-12)
    assert exact_w2(b, y, a, x) == pytest.approx(w, rel=1e-9, abs=1e-12)
    assert w >= 0


def test_exact_w2_batch():
    rng = np.random.default_rng(5)
    a, x = _cloud(rng, 10)
    ys = rng.normal(size=(4, 6, 2))
    b = np.full(6, 1 / 6)
    out = exact_w2_batch(a, x, b, ys)
    ref = [ot.emd2(a, b, squared_distances(x, ys[k])) for k in range(4)]
    np.testing.assert_allclose(out, ref, rtol=1e-9)
    bs = rng.random((4, 6))
    bs /= bs.sum(axis=1, keepdims=True)
    ref2 = [ot.emd2(a, bs[k], squared_distances(x, ys[k])) for k in range(4)]
    np.testing.assert_allclose(exact_w2_batch(a, x, bs, ys), ref2, rtol=1e-9)


# ---------------------------------------------------------------- divergences
@pytest.mark.filterwarnings("ignore:Sinkhorn did not converge:UserWarning")
def test_linear_divergence_matches_pot(pair):
    a, x, b, y = pair
    for eps in (0.5, 0.1):
        res = sinkhorn_divergence(a, x, b, y, eps=eps, objective="linear", tol=1e-12, max_iter=200_000)
        ref = ot.bregman.empirical_sinkhorn_divergence(
            x, y, eps, a, b, numIterMax=30_000, stopThr=1e-13
        )
        assert float(ref) > 0  # POT clips at 0; compare where it does not
        assert res.value == pytest.approx(float(ref), rel=1e-6)


def test_regularized_divergence_terms(pair):
    a, x, b, y = pair
    eps = 0.2
    res = sinkhorn_divergence(a, x, b, y, eps=eps, tol=1e-12)
    # each term is the regularised objective of a plain Sinkhorn solve (self terms use the
    # averaged symmetric iteration internally)
    for p, px, q, qy, term in ((a, x, b, y, res.ot_ab), (a, x, a, x, res.ot_aa), (b, y, b, y, res.ot_bb)):
        ref = sinkhorn(p, q, squared_distances(px, qy), eps=eps, tol=1e-12, max_iter=200_000)
        assert term == pytest.approx(ref.objective, rel=1e-8)
    assert res.value > 0
    same = sinkhorn_divergence(a, x, a, x, eps=eps, tol=1e-10, max_iter=200_000)
    assert same.value == pytest.approx(0.0, abs=1e-10)


def test_divergence_of_translated_cloud_is_squared_shift(pair):
    a, x, _, _ = pair
    shift = np.array([0.7, -1.1])
    res = sinkhorn_divergence(a, x, a, x + shift, eps=0.3, tol=1e-11)
    assert res.value == pytest.approx(float(shift @ shift), rel=1e-8)


ETA_DIVERGENCE = 3e-4  # eps relative to the squared diameter of the two clouds


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regularized_divergence_close_to_exact_w2(seed):
    rng = np.random.default_rng(seed)
    a, x = _cloud(rng, 40, weights="uniform")
    b, y = _cloud(rng, 30)
    y = y * [1.5, 0.7] + [1.0, 0.5]
    exact = exact_w2(a, x, b, y)
    eps = ETA_DIVERGENCE * squared_diameter(x, y)
    res = sinkhorn_divergence(a, x, b, y, eps=eps, tol=1e-6, max_iter=100_000)
    assert res.converged
    assert res.value == pytest.approx(exact, rel=0.02)
    # the biased entropic cost is further off than the debiased divergence
    plain = sinkhorn(a, b, squared_distances(x, y), eps=eps, tol=1e-6, max_iter=100_000)
    assert abs(res.value - exact) <= abs(plain.objective - exact)


# ---------------------------------------------------------------- grid
def test_grid_support_and_binning():
    grid = GridSupport(x0=10.0, y0=20.0, cell_size=2.0, nx=3, ny=2)
    assert grid.shape == (2, 3)
    np.testing.assert_allclose(grid.x_centres, [11.0, 13.0, 15.0])
    np.testing.assert_allclose(grid.y_centres, [21.0, 23.0])
    np.testing.assert_allclose(grid.centres()[3], [11.0, 23.0])  # row 1, col 0
    assert grid.squared_diameter == pytest.approx(4.0**2 + 2.0**2)
    pts = np.array([[10.0, 20.0], [15.9, 23.9], [16.0, 24.0], [12.5, 22.5]])
    counts = bin_points(pts, grid, normalize=False)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 2]])
    weighted = bin_points(pts, grid, weights=[1, 1, 1, 5])
    assert weighted.sum() == pytest.approx(1.0)
    assert weighted[1, 1] == pytest.approx(5 / 8)
    with pytest.raises(InputError, match="outside the grid"):
        bin_points([[9.0, 21.0]], grid)
    g2 = GridSupport.from_bounds(0.0, 0.0, 10.0, 5.5, cell_size=2.0)
    assert g2.shape == (3, 5)
    assert len(grid.to_frame()) == 6 and "grid 2 x 3" in grid.summary()


@pytest.mark.parametrize(
    "eta,log_domain",
    [(0.02, False), (0.02, True), (0.001, "auto"), (0.0005, True)],
)
def test_grid_batch_matches_dense_sinkhorn(eta, log_domain):
    rng = np.random.default_rng(7)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=2.0, nx=9, ny=7)
    mu = _histograms(rng, grid, 1)[0]
    nus = _histograms(rng, grid, 3)
    eps = eta * grid.squared_diameter
    res = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-11, max_iter=200_000, log_domain=log_domain)
    assert res.converged.all()
    C = squared_distances(grid.centres(), grid.centres())
    for k in range(3):
        dense = sinkhorn(mu.ravel(), nus[k].ravel(), C, eps=eps, tol=1e-11, max_iter=200_000, log_domain=True)
        assert res.costs[k] == pytest.approx(dense.cost, rel=1e-6)
        assert res.objectives[k] == pytest.approx(dense.objective, rel=1e-6)
        ref = ot.sinkhorn2(
            mu.ravel(), nus[k].ravel(), C, eps, method="sinkhorn_log", numItermax=200_000, stopThr=1e-13
        )
        assert res.costs[k] == pytest.approx(float(ref), rel=1e-6)
    assert res.log_domain.all() == (log_domain is True or 1 / eta > SCALING_LIMIT)


def test_grid_batch_exact_log_sum_exp_path():
    # per-axis max C / eps > SHIFT_LIMIT: kernel products fall back to the exact log-sum-exp
    rng = np.random.default_rng(8)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=6, ny=5)
    mu = _histograms(rng, grid, 1, density=0.9)[0]
    nus = _histograms(rng, grid, 2, density=0.9)
    eps = 25.0 / 700
    res = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-10, max_iter=200_000)
    assert res.log_domain.all() and res.converged.all()
    C = squared_distances(grid.centres(), grid.centres())
    for k in range(2):
        ref = ot.sinkhorn2(
            mu.ravel(), nus[k].ravel(), C, eps, method="sinkhorn_log", numItermax=200_000, stopThr=1e-13
        )
        assert res.costs[k] == pytest.approx(float(ref), rel=1e-6)


def test_grid_divergence_batch_matches_dense():
    rng = np.random.default_rng(9)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=8, ny=6)
    mu = _histograms(rng, grid, 1)[0]
    nus = _histograms(rng, grid, 3)
    cen = grid.centres()
    for objective in ("regularized", "linear"):
        res = grid_sinkhorn_divergence_batch(
            mu, nus, grid, eps=0.5, tol=1e-11, objective=objective, max_iter=100_000
        )
        for k in range(3):
            dense = sinkhorn_divergence(
                mu.ravel(), cen, nus[k].ravel(), cen, eps=0.5, tol=1e-11, objective=objective
            )
            assert res.values[k] == pytest.approx(dense.value, rel=1e-6)
            assert res.ot_bb[k] == pytest.approx(dense.ot_bb, rel=1e-6)
        assert res.ot_aa == pytest.approx(dense.ot_aa, rel=1e-6)
    assert res.to_frame().shape[0] == 3 and "divergence batch of 3" in res.summary()


def test_warm_start_same_answer_fewer_iterations():
    rng = np.random.default_rng(10)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=12, ny=10)
    mu = _histograms(rng, grid, 1)[0]
    nus = _histograms(rng, grid, 4)
    eps = 0.01 * grid.squared_diameter
    first = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-9)
    # a slightly different batch (as the next counterfactual draws), cold vs warm
    nus2 = 0.95 * nus + 0.05 * _histograms(rng, grid, 4)
    cold = grid_sinkhorn_batch(mu, nus2, grid, eps=eps, tol=1e-9)
    warm = grid_sinkhorn_batch(mu, nus2, grid, eps=eps, tol=1e-9, init=first.g)
    np.testing.assert_allclose(warm.costs, cold.costs, rtol=1e-6)
    assert np.all(warm.iterations < cold.iterations)
    # restarting from its own solution converges at once
    again = grid_sinkhorn_batch(mu, nus2, grid, eps=eps, tol=1e-9, init=warm.g)
    assert np.all(again.iterations <= 2)
    # and the same holds in the log domain
    cold_log = grid_sinkhorn_batch(mu, nus2, grid, eps=eps, tol=1e-9, log_domain=True)
    warm_log = grid_sinkhorn_batch(mu, nus2, grid, eps=eps, tol=1e-9, log_domain=True, init=first.g)
    np.testing.assert_allclose(warm_log.costs, cold.costs, rtol=1e-6)
    assert np.all(warm_log.iterations < cold_log.iterations)


def test_per_problem_stopping_and_result_frame():
    rng = np.random.default_rng(12)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=10, ny=10)
    mu = _histograms(rng, grid, 1)[0]
    nus = _histograms(rng, grid, 4)
    res = grid_sinkhorn_batch(mu, nus, grid, eps=2.0, tol=1e-6)
    assert len(set(res.iterations.tolist())) > 1  # each problem stops on its own
    assert np.all(res.marginal_error < 1e-6)
    for k in range(4):  # same result as solving the problem alone
        alone = grid_sinkhorn_batch(mu, nus[k], grid, eps=2.0, tol=1e-6)
        assert alone.iterations[0] == res.iterations[k]
        assert alone.costs[0] == pytest.approx(res.costs[k], rel=1e-12)
    frame = res.to_frame()
    assert list(frame.columns[:4]) == ["cost", "objective", "iterations", "converged"]
    assert "4/4 converged" in res.summary()


def test_nonconvergence_warning_names_problems():
    rng = np.random.default_rng(13)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=10, ny=10)
    mu = _histograms(rng, grid, 1)[0]
    dirac = np.zeros(grid.shape)
    dirac[3, 4] = 1.0  # a Dirac target is solved exactly by the first iteration
    nus = np.concatenate([dirac[None], _histograms(rng, grid, 2)])
    with pytest.warns(TransportConvergenceWarning, match=r"2 problem\(s\) \[1, 2\]") as rec:
        res = grid_sinkhorn_batch(mu, nus, grid, eps=0.5, tol=1e-12, max_iter=5)
    w = next(r.message for r in rec if isinstance(r.message, TransportConvergenceWarning))
    assert w.problems == (1, 2)
    assert len(w.marginal_errors) == 2 and min(w.marginal_errors) >= 1e-12
    assert res.converged.tolist() == [True, False, False]
    C = squared_distances(grid.centres(), grid.centres())
    with pytest.warns(TransportConvergenceWarning, match="problem 0"):
        sinkhorn(mu.ravel(), nus[1].ravel(), C, eps=0.5, max_iter=2)


def test_numpy_and_torch_backends_agree():
    pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=7, ny=6)
    mu = _histograms(rng, grid, 1, density=0.9)[0]
    nus = _histograms(rng, grid, 3, density=0.9)
    # scaling, shifted log, exact log-sum-exp (slow to converge: compare after 300 iterations)
    for eps, max_iter in ((1.0, 10_000), (0.1, 10_000), (0.05, 300)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TransportConvergenceWarning)
            a = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-8, max_iter=max_iter, backend="numpy")
            b = grid_sinkhorn_batch(mu, nus, grid, eps=eps, tol=1e-8, max_iter=max_iter, backend="torch")
        assert b.backend.startswith("torch")
        np.testing.assert_allclose(b.costs, a.costs, rtol=1e-10)
        np.testing.assert_array_equal(b.iterations, a.iterations)
        np.testing.assert_array_equal(b.log_domain, a.log_domain)
    da = grid_sinkhorn_divergence_batch(mu, nus, grid, eps=1.0, tol=1e-8, backend="numpy")
    db = grid_sinkhorn_divergence_batch(mu, nus, grid, eps=1.0, tol=1e-8, backend="torch")
    np.testing.assert_allclose(db.values, da.values, rtol=1e-9)


# ---------------------------------------------------------------- errors, immutability
def test_errors_name_the_fault(pair):
    a, x, b, y = pair
    C = squared_distances(x, y)
    neg = a.copy()
    neg[4] = -0.1
    with pytest.raises(InputError, match=r"a: negative weight .* index 4"):
        sinkhorn(neg, b, C, eps=0.1)
    with pytest.raises(InputError, match="unequal total mass"):
        sinkhorn(a, 2 * b, C, eps=0.1)
    with pytest.raises(InputError, match="unequal total mass"):
        exact_w2(a, x, 2 * b, y)
    with pytest.raises(InputError, match=r"C has shape \(17, 23\) but a has 17 and b has 22"):
        sinkhorn(a, b[:-1] / b[:-1].sum(), C, eps=0.1)
    with pytest.raises(InputError, match="b has 23 weights but y has 22 points"):
        exact_w2(a, x, b, y[:-1])
    with pytest.raises(InputError, match="XOR"):
        sinkhorn(a, b, C, eps=10 ^ -3)
    with pytest.raises(InputError, match="objective"):
        sinkhorn_divergence(a, x, b, y, eps=0.1, objective="debiased")
    with pytest.raises(InputError, match="log_domain"):
        sinkhorn(a, b, C, eps=0.1, log_domain="yes")
    with pytest.raises(InputError, match="non-finite"):
        sinkhorn(a, b, np.where(C > 1, np.nan, C), eps=0.1)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=4, ny=3)
    mu = np.full((3, 4), 1 / 12)
    with pytest.raises(InputError, match=r"mu has shape \(4, 3\) but the grid is \(3, 4\)"):
        grid_sinkhorn_batch(mu.T, mu[None], grid, eps=1.0)
    with pytest.raises(InputError, match=r"nus\[1\] has total mass 2"):
        grid_sinkhorn_batch(mu, np.stack([mu, 2 * mu]), grid, eps=1.0)
    with pytest.raises(InputError, match="nus: negative weight"):
        grid_sinkhorn_batch(mu, -mu[None], grid, eps=1.0)
    with pytest.raises(InputError, match="backend"):
        grid_sinkhorn_batch(mu, mu[None], grid, eps=1.0, backend="jax")
    with pytest.raises(InputError, match="init has shape"):
        grid_sinkhorn_batch(mu, mu[None], grid, eps=1.0, init=np.zeros((2, 2)))
    with pytest.raises(InputError, match="cell_size"):
        GridSupport(x0=0.0, y0=0.0, cell_size=0.0, nx=4, ny=3)


def test_inputs_not_mutated(pair):
    a, x, b, y = pair
    C = squared_distances(x, y)
    saved = [v.copy() for v in (a, x, b, y, C)]
    sinkhorn(a, b, C, eps=0.1)
    sinkhorn_divergence(a, x, b, y, eps=0.1)
    exact_w2(a, x, b, y)
    for before, after in zip(saved, (a, x, b, y, C), strict=True):
        np.testing.assert_array_equal(before, after)
    rng = np.random.default_rng(15)
    grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=6, ny=5)
    mu = _histograms(rng, grid, 1)[0] * 3
    nus = _histograms(rng, grid, 2) * 3
    g0 = np.zeros((2, 5, 6))
    saved = [v.copy() for v in (mu, nus, g0)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grid_sinkhorn_batch(mu, nus, grid, eps=1.0, init=g0)
        grid_sinkhorn_divergence_batch(mu, nus, grid, eps=1.0)
    for before, after in zip(saved, (mu, nus, g0), strict=True):
        np.testing.assert_array_equal(before, after)


def test_result_summaries(pair):
    a, x, b, y = pair
    res = sinkhorn(a, b, squared_distances(x, y), eps=0.5)
    assert "converged after" in res.summary()
    assert res.to_frame().shape == (1, 7)
    div = sinkhorn_divergence(a, x, b, y, eps=0.5)
    assert "Sinkhorn divergence (regularized" in div.summary()
    assert div.to_frame()["value"].iloc[0] == pytest.approx(div.value)
