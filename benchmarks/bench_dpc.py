"""dPC benchmark — run with:  python benchmarks/bench_dpc.py [--n 2000] [--quick]

Target: Probability of Connectivity with dPC (intra, flux, connector) for 2,000 habitat
patches in under 30 s (``regionkit.ecology.connectivity.probability_of_connectivity``).

Layout: patch centres uniform in a 100 km x 100 km landscape (scaled with sqrt(n / 2000)
so the density stays that of 2,000 patches), areas lognormal (median 20 ha), patches
taken as discs, edge-to-edge distance ``max(0, |c_i - c_j| - r_i - r_j)`` (a complete
graph, as Conefor builds from a distance file); threshold 5 km with p = 0.5.

Peer: the naive method — for every removed patch, all-pairs Dijkstra
(``scipy.sparse.csgraph.dijkstra``) on the complete graph without it and PC recomputed
from scratch — at ``--peer-n`` patches (default 300), timed on ``--peer-removals`` removals
and extrapolated to all of them (each removal costs the same).  Its dPC is checked against
regionkit's on the removals it ran.  The ratio printed is peer / regionkit at the peer's n
(above 1: regionkit faster), on elapsed and on CPU time (``time.process_time``, this
process; BLAS threads count there too); the naive cost at 2,000 patches is extrapolated
from one all-pairs run there (about n times that).  Every timing is printed as elapsed and
CPU seconds; the 30 s target is checked on elapsed time.  ``--quick``: n = 150, peer n = 60.
"""

from __future__ import annotations

import argparse
import resource
import signal
import sys
import time

import numpy as np
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

from regionkit.ecology.connectivity import probability_of_connectivity

TARGET_S = 30.0
THRESHOLD = 5_000.0


class OverCap(Exception):
    """Raised by the alarm when regionkit runs past ``--cap``."""


def _over_cap(signum, frame):  # noqa: ARG001 - signal handler signature
    raise OverCap


def layout(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    side = 100_000.0 * np.sqrt(n / 2000)
    centres = rng.uniform(0, side, size=(n, 2))
    areas_ha = rng.lognormal(np.log(20.0), 1.0, size=n)
    radius = np.sqrt(areas_ha * 10_000 / np.pi)
    gap = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    dist = np.maximum(gap - radius[:, None] - radius[None, :], 0.0)
    dist = np.minimum(dist, dist.T)
    np.fill_diagonal(dist, 0.0)
    return areas_ha, dist, side * side / 10_000  # landscape area in ha


def naive_pc_num(a: np.ndarray, dist: np.ndarray, kdecay: float) -> float:
    w = kdecay * dist
    np.fill_diagonal(w, np.inf)
    p = np.exp(-dijkstra(csgraph_from_dense(w, null_value=np.inf), directed=False))
    np.fill_diagonal(p, 1.0)
    return float(a @ p @ a)


def peer(a: np.ndarray, dist: np.ndarray, removals: int) -> tuple[float, float, np.ndarray]:
    """Elapsed and CPU seconds per removal of the naive method, and the dPC of the first
    ``removals`` patches."""
    kdecay = -np.log(0.5) / THRESHOLD
    full = naive_pc_num(a, dist, kdecay)
    dpc = []
    t0, c0 = time.perf_counter(), time.process_time()
    for k in range(removals):
        keep = np.arange(a.size) != k
        dpc.append(100 * (full - naive_pc_num(a[keep], dist[np.ix_(keep, keep)], kdecay)) / full)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return wall / removals, cpu / removals, np.array(dpc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--peer-n", type=int, default=300)
    ap.add_argument("--peer-removals", type=int, default=30)
    ap.add_argument("--cap", type=float, default=300.0,
                    help="give up on regionkit at --n after this many seconds (reported as FAIL)")
    ap.add_argument("--quick", action="store_true", help="n = 150, peer n = 60")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.peer_n, args.peer_removals = 150, 60, 10

    a, dist, area_l = layout(args.n)
    signal.signal(signal.SIGALRM, _over_cap)
    signal.alarm(max(1, int(args.cap)))
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        res = probability_of_connectivity(a, dist, threshold=THRESHOLD, landscape_area=area_l)
    except OverCap:
        print(f"{args.n:,} patches: regionkit PC + dPC did not finish within {args.cap:.0f} s "
              f"(target {TARGET_S:.0f} s): FAIL")
        return 1
    finally:
        signal.alarm(0)
    t_rk, c_rk = time.perf_counter() - t0, time.process_time() - c0
    links = int((dist < 3 * THRESHOLD).sum() - args.n) // 2
    print(f"{args.n:,} patches ({links:,} pairs closer than 3 thresholds): regionkit PC + dPC "
          f"{t_rk:.2f} s elapsed, {c_rk:.2f} s CPU  (target {TARGET_S:.0f} s); PC = {res.pc:.3e}, "
          f"max dPC {res.dpc.max():.2f} %, patches with connector > 0: "
          f"{int((res.dpc_connector > 1e-9).sum())}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")

    kdecay = -np.log(0.5) / THRESHOLD
    t0, c0 = time.perf_counter(), time.process_time()
    naive_pc_num(a, dist, kdecay)
    one, one_cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"naive at {args.n:,}: one all-pairs run {one:.2f} s elapsed ({one_cpu:.2f} s CPU) -> "
          f"about {one * args.n:,.0f} s elapsed ({one_cpu * args.n:,.0f} s CPU) for all "
          f"{args.n:,} removals (extrapolated); ratio naive/regionkit about "
          f"{one * args.n / t_rk:,.0f}x elapsed, {one_cpu * args.n / c_rk:,.0f}x CPU")

    pa, pdist, parea = layout(args.peer_n, seed=1)
    t0, c0 = time.perf_counter(), time.process_time()
    pres = probability_of_connectivity(pa, pdist, threshold=THRESHOLD, landscape_area=parea)
    t_rk_small, c_rk_small = time.perf_counter() - t0, time.process_time() - c0
    per_removal, per_removal_cpu, dpc = peer(pa, pdist, min(args.peer_removals, args.peer_n))
    t_peer, c_peer = per_removal * args.peer_n, per_removal_cpu * args.peer_n
    agree = float(np.max(np.abs(dpc - pres.dpc[: dpc.size])))
    print(f"at {args.peer_n} patches: regionkit {t_rk_small:.2f} s elapsed ({c_rk_small:.2f} s CPU), "
          f"naive peer {t_peer:.2f} s elapsed ({c_peer:.2f} s CPU) (from {dpc.size} removals), "
          f"ratio peer/regionkit = {t_peer / t_rk_small:.1f}x elapsed, "
          f"{c_peer / max(c_rk_small, 1e-9):.1f}x CPU; max |dPC difference| {agree:.1e}")
    ok = agree < 1e-6 and (args.quick or t_rk < TARGET_S)
    print("PASS" if ok else "FAIL: over the 30 s target or disagreeing with the naive method")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
