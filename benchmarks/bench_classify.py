"""regionkit classification benchmark — run with:  python benchmarks/bench_classify.py

Target: *exact* natural breaks (k = 5, the Fisher–Jenks optimum) of 10^7
values in under 20 s on the 2-core machine.  The values are lognormal(0, 1)
with a fifth of them rounded to 2 decimals, so that there are ties (about
8 million distinct values remain).

Peers, each timed on the largest n it finishes in reasonable time:

* ``mapclassify.FisherJenksSampled`` with its default sample (10 % of the
  values, truncated to 1,000) — a heuristic: the optimum of a small random
  sample, not of the data; run on the same 10^7 values (mapclassify's
  exact ``FisherJenks`` is an O(k·n²) pure-Python loop without numba);
* ``jenkspy.jenks_breaks`` — exact, O(k·n²) in C: timed at n = 10^5
  (it takes about 20 s there; 10^7 would take days).  Its breaks are
  checked to be identical to regionkit's.

Ratios are peer time / regionkit time at the same n (above 1: regionkit is
faster).  Peak memory is the process's maximum resident set size, read right
after the regionkit run (it includes the 80 MB of input values).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np

from regionkit.spatial.classify import classify

TARGET_S = 20.0


def synthetic_values(n: int, seed: int = 0) -> np.ndarray:
    """Lognormal values; a random fifth rounded to 2 decimals (ties)."""
    rng = np.random.default_rng(seed)
    x = rng.lognormal(0.0, 1.0, n)
    tied = rng.random(n) < 0.2
    x[tied] = np.round(x[tied], 2)
    return x


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def wss(x: np.ndarray, bins: np.ndarray) -> float:
    labels = np.searchsorted(bins, x)
    total = 0.0
    for c in range(bins.size):
        v = x[labels == c]
        if v.size:
            total += float(((v - v.mean()) ** 2).sum())
    return total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="values for the target run")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--jenkspy-n", type=int, default=100_000, help="n for the jenkspy comparison (0: skip)")
    ap.add_argument("--no-mapclassify", action="store_true", help="skip FisherJenksSampled")
    args = ap.parse_args(argv)
    k = args.k

    x = synthetic_values(args.n)
    print(f"values: {args.n:,} lognormal(0, 1), a fifth rounded to 2 decimals "
          f"({np.unique(x).size:,} distinct); k = {k}")
    ours, res = timed(lambda: classify(x, method="natural_breaks", k=k), args.repeat)
    rss = peak_rss_mib()
    print(f"regionkit exact natural breaks : {ours:7.2f} s   peak RSS {rss:,.0f} MiB   "
          f"GVF {res.gvf:.6f}   (target {TARGET_S:.0f} s: {ours / TARGET_S:.2f} of budget)")
    print(f"  bins: {np.array2string(res.bins, precision=4)}")

    if not args.no_mapclassify:
        import mapclassify

        np.random.seed(0)  # noqa: NPY002 - FisherJenksSampled samples from the global generator
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Numba not installed"
            peer, fjs = timed(lambda: mapclassify.FisherJenksSampled(x, k=k))
        loss = wss(x, np.asarray(fjs.bins)) / res.wss - 1
        print(f"mapclassify.FisherJenksSampled (1,000-value sample, n = {args.n:,}): {peer:7.2f} s   "
              f"ratio peer/regionkit = {peer / ours:.2f}x; its WSS is {100 * loss:.2f} % above the optimum")

    if args.jenkspy_n:
        try:
            import jenkspy
        except ImportError:
            print("jenkspy not installed: comparison skipped")
        else:
            xs = synthetic_values(args.jenkspy_n, seed=1)
            small, rs = timed(lambda: classify(xs, method="natural_breaks", k=k), 3)
            peer, jb = timed(lambda: jenkspy.jenks_breaks(xs, n_classes=k))
            same = np.array_equal(np.asarray(jb, dtype=float)[1:], rs.bins)
            print(f"jenkspy.jenks_breaks (n = {args.jenkspy_n:,}): {peer:7.2f} s   regionkit {small:.3f} s   "
                  f"ratio peer/regionkit = {peer / small:,.0f}x; identical breaks: {same}")
            if not same:
                print("FAIL: breaks differ from jenkspy")
                return 1

    ok = ours < TARGET_S
    print("PASS" if ok else f"FAIL: over the {TARGET_S:.0f} s target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
