"""Co-agglomeration (exact W₂², R = 1000) benchmark — run with:  python benchmarks/bench_coagg.py [--quick]

Data: ``../shared/data/china_firms_colocation_example.csv.gz`` (99,998 firms; skipped
with a message when absent).  Coordinates are projected per city to its UTM zone
(:func:`~regionkit.coagglomeration.firms.project_firms`), in km.

**Outlier policy.**  Many firms coded to a city lie hundreds of km away (city 3101,
Shanghai: 72 of 3,954 firms are > 60 km from the city's median location, up to
3,300 km).  We drop every firm flagged by
:func:`~regionkit.coagglomeration.firms.find_outliers` with ``z=3`` (``k=5``,
``min_distance=50 km``): isolated firms (5-NN distance > 50 km) and firms far from
their city's median.  The default ``z=5`` leaves 11 remote firms in Shanghai (the
extent stays 889 × 1,854 km); ``z=3`` drops 70 and leaves a 95 × 150 km extent.
Firms with the unknown city code 0 (4,565) belong to no city matrix.

**Matrix.**  Rows and columns: the SIC3 industries with at least ``--min-firms``
firms in the city (after the outlier policy; the count of excluded industries is
printed); all of the city's firms form the pool of counterfactual locations.

(a) **City 3101, full matrix.**  ``distance="exact"``, ``draws=1000``,
``sequential=True`` (Besag–Clifford stopping at α = 0.95: the decisions of all
1,000 draws).  The work is ``(j, N)`` tasks (:func:`plan_tasks`).  A stratified
random sample of tasks (4 strata of the cost proxy ``N_j · N``, sampled round-robin
until ``--budget`` seconds of CPU are spent) is timed one by one with
:func:`run_task`; the full-matrix time is the stratified estimate
``Σ_s n_s · mean_s`` (± its standard error) plus the draw generation (timed
separately, once per distinct size).  Target: under 1 hour.
Peer: a straightforward POT loop on the same tasks — for each pair ``(j, k)``
``ot.emd2`` on ``ot.dist(x, y)`` for the observed pair and for each of the R
draws, every draw regenerated per pair (no sharing between the ``k`` of a task,
no stopping, no batching); timed on a prefix of the sample (``--peer-budget``)
and compared task by task.  Check: on every peer-timed pair the observed and
counterfactual W₂² equal ours (relative 1e-9) wherever we evaluated a draw, the
success counts over the draws we used are equal and the full-R decision of the
POT loop equals our sequential decision.
(b) **Dask.**  The same tasks (a prefix of 30 s serial CPU, ``--dask-seconds``) with
:func:`run_tasks` ``executor="dask"`` on a ``LocalCluster(2 workers, 1 thread)``
started beforehand (start-up timed apart): results must be identical to the
serial ones; wall time compared with the serial CPU time of the same tasks.
(c) **Whole file.**  Every city's matrix with the same policy: tasks counted
over all cities; a stratified sample of tasks across cities is timed and the
total extrapolated (hours of one core, and of 2 workers assuming perfect
scaling).

The machine is shared and loaded: times are CPU times (``time.process_time``) of
this process, and wall time for Dask (its work runs in worker processes).
"""

from __future__ import annotations

import argparse
import math
import resource
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / ".." / "shared" / "data" / "china_firms_colocation_example.csv.gz"
TARGET_S = 3600.0
STRATA = 4


@dataclass
class CityProblem:
    city: int
    xy: np.ndarray  # km
    labels: np.ndarray
    industries: list[int]
    excluded: int  # industries below the minimum
    flagged: int  # firms dropped by the outlier policy


def load_firms():
    from regionkit.coagglomeration.firms import read_firms

    return read_firms(DATA, lon_col="Longitude", lat_col="Latitude", industry_cols={"sic3": "SIC3"},
                      city_col="city", on_missing="drop")


def city_problem(firms, city: int, min_firms: int, z: float) -> CityProblem | None:
    from regionkit.coagglomeration.firms import find_outliers, project_firms

    sel = firms.select(city=city)
    if len(sel) < 2:
        return None
    p = project_firms(sel)
    flagged = 0
    if len(p) > 10:  # find_outliers needs more than k (5) firms; cities below 2k skip the city rule
        ids = find_outliers(p, z=z).all_ids
        flagged = len(ids)
        p = p.select(mask=~p.frame.firm_id.isin(ids).to_numpy())
    xy = p.coordinates() / 1000.0
    lab = p.labels("sic3")
    counts = pd.Series(lab).value_counts()
    inds = sorted(int(i) for i in counts[counts >= min_firms].index)
    return CityProblem(city, xy, lab, inds, int((counts < min_firms).sum()), flagged)


def build(cp: CityProblem, draws: int, seed: int):
    from regionkit.coagglomeration.counterfactual import build_problem

    return build_problem(cp.labels, cp.xy, distance="exact", draws=draws, rng=seed, sequential=True,
                         industries=cp.industries)


def stratified_order(proxy: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Stratum of each item (quantiles of ``proxy``) and a round-robin random order over strata."""
    ranks = np.argsort(np.argsort(proxy, kind="stable"), kind="stable")
    stratum = (ranks * STRATA // max(len(proxy), 1)).astype(int)
    perms = [rng.permutation(np.flatnonzero(stratum == s)) for s in range(STRATA)]
    order = []
    for i in range(max(len(p) for p in perms)):
        order += [int(p[i]) for p in perms if i < len(p)]
    return stratum, np.array(order, dtype=int)


def stratified_total(stratum: np.ndarray, measured: dict[int, float]) -> tuple[float, float]:
    """Stratified estimate of the sum over all items and its standard error."""
    total = var = 0.0
    for s in range(STRATA):
        n_s = int((stratum == s).sum())
        vals = np.array([v for i, v in measured.items() if stratum[i] == s])
        if n_s == 0:
            continue
        if vals.size == 0:
            return float("nan"), float("nan")
        total += n_s * vals.mean()
        if vals.size > 1:
            var += n_s**2 * vals.var(ddof=1) / vals.size * (1 - vals.size / n_s)
    return total, math.sqrt(var)


def time_tasks(problem, tasks, order, budget: float, max_tasks: int | None = None):
    """Run tasks in ``order`` (positions) until ``budget`` CPU seconds; per-task CPU times and results."""
    from regionkit.coagglomeration.counterfactual import counterfactual_draws, run_task

    times, results, gen = {}, {}, []
    spent = 0.0
    for i in order:
        if (spent >= budget and len(times) >= STRATA) or (max_tasks is not None and len(times) >= max_tasks):
            break
        t = tasks[i]
        g0 = time.process_time()
        counterfactual_draws(problem.seed_entropy, problem.coords.shape[0], t.n, problem.draws)  # warm cache
        gen.append(time.process_time() - g0)
        t0 = time.process_time()
        results[i] = run_task(t, problem)
        times[i] = time.process_time() - t0
        spent += times[i] + gen[-1]
    return times, results, float(np.mean(gen)) if gen else 0.0


# ------------------------------------------------------------------ peer
def pot_pair(xy: np.ndarray, x_idx: np.ndarray, y_idx: np.ndarray, seed_entropy: int, draws: int):
    """Straightforward POT loop for one ordered pair: observed W₂² and all R counterfactual W₂²."""
    import ot

    x = xy[x_idx]
    a = np.full(len(x), 1.0 / len(x))
    n = len(y_idx)
    b = np.full(n, 1.0 / n)
    observed = ot.emd2(a, b, ot.dist(x, xy[y_idx]), numItermax=10_000_000)
    gen = np.random.default_rng(np.random.SeedSequence(seed_entropy, spawn_key=(n,)))
    cf = np.empty(draws)
    for r in range(draws):
        d = gen.choice(len(xy), size=n, replace=False)
        cf[r] = ot.emd2(a, b, ot.dist(x, xy[d]), numItermax=10_000_000)
    return float(observed), cf


def check_pair(problem, res, i_k: int, observed: float, cf: np.ndarray) -> list[str]:
    """Compare the POT loop with our task result for the pair ``(res.j, res.ks[i_k])``."""
    errs = []
    if not math.isclose(observed, res.observed[i_k], rel_tol=1e-9, abs_tol=1e-12):
        errs.append(f"observed {observed} vs {res.observed[i_k]}")
    ev = np.isfinite(res.counterfactual)
    if not np.allclose(cf[ev], res.counterfactual[ev], rtol=1e-9, atol=1e-12):
        errs.append("counterfactual W differ")
    used = int(res.n_draws[i_k])
    if int((observed < cf[:used]).sum()) != int(res.successes[i_k]):
        errs.append(f"successes {(observed < cf[:used]).sum()} vs {res.successes[i_k]}")
    need = math.ceil(problem.alpha * problem.draws - 1e-9)
    if (int((observed < cf).sum()) >= need) != (int(res.successes[i_k]) >= need):
        errs.append("decision differs")
    return errs


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", type=int, default=3101)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--min-firms", type=int, default=10, help="firms an industry needs to enter a matrix")
    ap.add_argument("--z", type=float, default=3.0, help="find_outliers z (outlier policy)")
    ap.add_argument("--seed", type=int, default=3101)
    ap.add_argument("--budget", type=float, default=240.0, help="CPU seconds for our task sample (a)")
    ap.add_argument("--peer-budget", type=float, default=180.0, help="CPU seconds for the POT loop")
    ap.add_argument("--dask-seconds", type=float, default=None,
                    help="(b) runs the shortest prefix of the sample with this many serial CPU seconds (0: skip "
                         "Dask; default 30, 0 with --quick: the cluster start-up alone takes 10-25 s here)")
    ap.add_argument("--file-budget", type=float, default=180.0, help="CPU seconds for the whole-file sample (c)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test (< 30 s): R=50, industries of >= 40 firms, ~2 s per part, no Dask")
    args = ap.parse_args(argv)
    if args.quick:
        args.draws, args.min_firms = 50, 40
        args.budget, args.peer_budget, args.file_budget = 2.0, 2.0, 2.0
    if args.dask_seconds is None:
        args.dask_seconds = 0.0 if args.quick else 30.0
    if not DATA.is_file():
        print(f"SKIP: firm data not found at {DATA.resolve()} (../shared/data absent)")
        return 0
    warnings.filterwarnings("ignore", message=".*project_firms.*")
    ok = True
    print("times are CPU seconds of this process (time.process_time) on a shared, loaded 2-core "
          "machine; Dask: wall seconds")
    import ot  # noqa: F401  (import outside the timings)

    t0 = time.process_time()
    firms = load_firms()
    print(f"read {len(firms):,} firms in {time.process_time() - t0:.1f} s CPU")
    rng = np.random.default_rng(args.seed)

    # ---------------------------------------------------------------- (a)
    cp = city_problem(firms, args.city, args.min_firms, args.z)
    problem = build(cp, args.draws, args.seed)
    from regionkit.coagglomeration.counterfactual import plan_tasks

    tasks = plan_tasks(problem)
    sizes = problem.sizes
    n_pairs = len(cp.industries) * (len(cp.industries) - 1)
    ext = np.ptp(cp.xy, axis=0)
    print(f"\n(a) city {args.city}: {len(cp.xy):,} firms after dropping {cp.flagged} flagged by "
          f"find_outliers(z={args.z:g}) (extent {ext[0]:.0f} x {ext[1]:.0f} km); "
          f"{len(cp.industries)} SIC3 industries with >= {args.min_firms} firms "
          f"({cp.excluded} excluded), {n_pairs:,} ordered pairs, {len(tasks):,} (j, N) tasks over "
          f"{len(np.unique(sizes))} distinct sizes; R={args.draws}, exact W2^2, sequential stopping")
    proxy = np.array([sizes[t.j] * t.n for t in tasks], dtype=float)
    stratum, order = stratified_order(proxy, rng)
    times, results, gen_mean = time_tasks(problem, tasks, order, args.budget)
    est, se = stratified_total(stratum, times)
    est += gen_mean * len(np.unique(sizes))
    used = np.concatenate([r.n_draws for r in results.values()])
    evald = [int(np.isfinite(r.counterfactual).sum()) for r in results.values()]
    print(f"  ours: {len(times)} sampled tasks in {sum(times.values()):.1f} s CPU; draws used per pair "
          f"mean {used.mean():.0f} (min {used.min()}, max {used.max()}), draws evaluated per task mean "
          f"{np.mean(evald):.0f}; draw generation {gen_mean * 1e3:.0f} ms per size")
    print(f"  extrapolated full matrix: {est:,.0f} s CPU ± {se:,.0f} (s.e.) = {est / 3600:.2f} h on one core "
          f"(target < {TARGET_S / 3600:.0f} h){'' if est < TARGET_S else '  ** above target **'}")

    # peer on a prefix of the same sample
    peer_times, ours_same, errors, n_checked = {}, 0.0, [], 0
    spent = 0.0
    for i in [i for i in order if i in times]:
        if spent >= args.peer_budget and len(peer_times) >= STRATA:
            break
        t, res = tasks[i], results[i]
        t1 = time.process_time()
        outs = [pot_pair(problem.coords, problem.members[t.j], problem.members[k], problem.seed_entropy,
                         problem.draws) for k in t.ks]
        peer_times[i] = time.process_time() - t1
        spent += peer_times[i]
        ours_same += times[i]
        for i_k, (obs, cfv) in enumerate(outs):
            n_checked += 1
            errors += [f"task {t.task_id} k={t.ks[i_k]}: {e}" for e in check_pair(problem, res, i_k, obs, cfv)]
    peer_est, _ = stratified_total(stratum, peer_times)
    ratio_same = sum(peer_times.values()) / max(ours_same, 1e-12)
    print(f"  POT loop (ot.emd2 per problem, draws per pair, no stopping): {len(peer_times)} of the sampled "
          f"tasks in {sum(peer_times.values()):.1f} s CPU vs ours {ours_same:.1f} s on the same tasks: "
          f"ratio POT / regionkit = {ratio_same:.1f}x")
    if len(peer_times) >= STRATA and np.isfinite(peer_est):
        print(f"  POT loop extrapolated full matrix: {peer_est / 3600:.2f} h (ratio {peer_est / est:.1f}x)")
    print(f"  check: {n_checked} pairs, POT loop vs ours (observed W, counterfactual W, successes, decision): "
          + ("identical" if not errors else f"{len(errors)} mismatches: {errors[:5]}"))
    ok &= not errors

    # ---------------------------------------------------------------- (b)
    if args.dask_seconds > 0:
        from distributed import Client, LocalCluster

        from regionkit.coagglomeration.counterfactual import run_tasks

        sub, acc = [], 0.0
        for i in [i for i in order if i in times]:
            if acc >= args.dask_seconds:
                break
            sub.append(i)
            acc += times[i]
        w0 = time.perf_counter()
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                Client(lc) as client:
            client.run(lambda: __import__("ot") and __import__("regionkit.coagglomeration.transport"))
            start = time.perf_counter() - w0
            w1 = time.perf_counter()
            out = run_tasks(problem, [tasks[i] for i in sub], executor="dask", scheduler=client)
            wall = time.perf_counter() - w1
        same = all(
            np.array_equal(r.ks, results[i].ks) and np.array_equal(r.successes, results[i].successes)
            and np.array_equal(r.n_draws, results[i].n_draws)
            and np.array_equal(r.observed, results[i].observed)
            and np.array_equal(r.counterfactual, results[i].counterfactual, equal_nan=True)
            for i, r in zip(sub, out, strict=True))
        ser = sum(times[i] for i in sub)
        print(f"\n(b) Dask LocalCluster(2 workers x 1 thread): start-up (with imports on the workers) {start:.1f} s wall; {len(sub)} tasks in "
              f"{wall:.1f} s wall vs serial {ser:.1f} s CPU (speed-up {ser / wall:.2f}x on 2 loaded cores); "
              f"results {'identical to serial' if same else 'DIFFER from serial'}")
        ok &= same

    # ---------------------------------------------------------------- (c)
    t2 = time.process_time()
    city_ids = sorted(int(c) for c in pd.unique(firms.frame["city"]) if int(c) != 0)
    cps, all_tasks = {}, []
    n_pairs_all = n_inds = excluded = flagged = 0
    for c in city_ids:
        q = city_problem(firms, c, args.min_firms, args.z)
        if q is None:
            continue
        flagged += q.flagged
        excluded += q.excluded
        if len(q.industries) < 2:
            excluded += len(q.industries)
            continue
        cps[c] = q
        n_inds += len(q.industries)
        n_pairs_all += len(q.industries) * (len(q.industries) - 1)
        s = pd.Series(q.labels).value_counts().loc[q.industries].to_numpy()
        for n in np.unique(s):
            kn = int((s == n).sum())
            for nj in s:
                if kn - (nj == n) > 0:
                    all_tasks.append((c, int(nj), int(n)))
    setup = time.process_time() - t2
    print(f"\n(c) whole file: {len(city_ids)} cities (code 0 = unknown left out), {len(cps)} with >= 2 industries "
          f"of >= {args.min_firms} firms: {n_inds:,} city-industries ({excluded:,} excluded), "
          f"{n_pairs_all:,} ordered pairs, {len(all_tasks):,} tasks; {flagged:,} firms dropped by the outlier "
          f"policy; setup {setup:.1f} s CPU")
    proxy_all = np.array([nj * n for _, nj, n in all_tasks], dtype=float)
    strat_all, order_all = stratified_order(proxy_all, rng)
    problems, plans, ftimes = {}, {}, {}
    spent = 0.0
    from regionkit.coagglomeration.counterfactual import counterfactual_draws, run_task

    for i in order_all:
        if spent >= args.file_budget and len(ftimes) >= STRATA:
            break
        c, nj, n = all_tasks[i]
        if c not in problems:
            problems[c] = build(cps[c], args.draws, args.seed)
            plans[c] = list(plan_tasks(problems[c]))
        cand = [t for t in plans[c] if t.n == n and problems[c].sizes[t.j] == nj]
        t = cand[int(rng.integers(len(cand)))]
        g0 = time.process_time()
        counterfactual_draws(problems[c].seed_entropy, problems[c].coords.shape[0], n, args.draws)
        g = time.process_time() - g0
        t0 = time.process_time()
        run_task(t, problems[c])
        ftimes[i] = time.process_time() - t0
        spent += ftimes[i] + g
    ftot, fse = stratified_total(strat_all, ftimes)
    n_sizes = sum(len(np.unique(pd.Series(q.labels).value_counts().loc[q.industries])) for q in cps.values())
    ftot += gen_mean * n_sizes
    print(f"  {len(ftimes)} sampled tasks from {len(problems)} cities in {sum(ftimes.values()):.1f} s CPU; "
          f"extrapolated total {ftot / 3600:,.2f} h CPU ± {fse / 3600:.2f} (s.e.) on one core, "
          f"{ftot / 7200:,.2f} h on 2 workers (perfect scaling)")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    if not args.quick and not est < TARGET_S:
        print("FAIL: extrapolated full matrix above the 1 h target")
        return 1
    print("PASS" if ok else "FAIL: results differ (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
