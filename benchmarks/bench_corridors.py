"""All corridors for many sources — python benchmarks/bench_corridors.py [--quick] [--size N] [--sources K]

Target (issue 6): every corridor (adjacent source pairs, least-cost paths, costs, lengths,
types) for 200 sources on a 4,000 x 4,000 resistance grid in under 60 s, i.e. a small number
of grid passes rather than one full-grid Dijkstra per pair.

Landscape: a smooth random resistance field (1–100, sum of Gaussian-filtered noise at two
scales) with 200 square sources of 3–8 cells placed at random, seeded.  Peer: the naive
method, one full-grid multi-source Dijkstra (regionkit ``cost_distance``) per source —
what a per-pair tool does at best — timed for a few sources and extrapolated to all, in the
same run.  ``--quick`` runs 600 x 600 with 30 sources.
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
from scipy import ndimage


def landscape(size: int, n_sources: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    noise = ndimage.gaussian_filter(rng.standard_normal((size, size)), size / 40) * 3
    noise += ndimage.gaussian_filter(rng.standard_normal((size, size)), 4)
    res = 1 + 99 * (noise - noise.min()) / (np.ptp(noise) or 1)
    labels = np.zeros((size, size), dtype=np.int64)
    placed = 0
    while placed < n_sources:
        s = int(rng.integers(3, 9))
        r, c = rng.integers(0, size - s, size=2)
        if labels[max(r - 2, 0):r + s + 2, max(c - 2, 0):c + s + 2].any():
            continue
        placed += 1
        labels[r:r + s, c:c + s] = placed
    return res, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--size", type=int, default=4000)
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--peer-sources", type=int, default=2, help="sources the naive peer is timed on")
    args = ap.parse_args()
    size, k = (600, 30) if args.quick else (args.size, args.sources)
    from regionkit.ecology.corridors import cost_distance
    from regionkit.ecology.linkages import build_corridors

    res, labels = landscape(size, k)
    t0, c0 = time.perf_counter(), time.process_time()
    net = build_corridors(res, labels, cell_size=(30.0, 30.0), pairs="adjacent")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"grid {size} x {size}, {k} sources: {len(net.pairs)} adjacent pairs, "
          f"{wall:.1f} s elapsed ({cpu:.1f} s CPU), total path length {net.pairs['length'].sum() / 1e3:.0f} km")
    t0 = time.perf_counter()
    for s in range(1, args.peer_sources + 1):
        cost_distance(res, (labels == s).astype(np.int64), cell_size=(30.0, 30.0))
    per = (time.perf_counter() - t0) / args.peer_sources
    print(f"peer (one full-grid Dijkstra per source, extrapolated from {args.peer_sources}): "
          f"{per * k:.1f} s -> regionkit {per * k / wall:.1f}x faster")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    target = 60.0
    if not args.quick and (size, k) == (4000, 200):
        print(f"target < {target:.0f} s: {'PASS' if wall < target else 'FAIL'}")


if __name__ == "__main__":
    main()
