"""Spatial autocorrelation benchmark — run with:  python benchmarks/bench_spatial.py

Synthetic queen lattices of 3,000 (50 × 60) and 100,000 (250 × 400) units with a spatially
smoothed random field.  Times regionkit and PySAL esda in the same run:

* global Moran's I with 9,999 permutations;
* local Moran (LISA) with 999 conditional permutations.

esda is run on the 3,000-unit lattice always and on the 100,000-unit lattice only with
``--esda-large`` (without numba it takes many minutes).  Targets (issue 3): LISA on 100,000
units with 999 permutations under 30 s and under 2 GB.  Peak memory = max RSS of the process.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings

import numpy as np

from regionkit.spatial.autocorrelation import local_moran, moran
from regionkit.spatial.weights import lattice


def field(nr: int, nc: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(nr, nc))
    for _ in range(3):  # smooth to create clusters
        x = (x + np.roll(x, 1, 0) + np.roll(x, -1, 0) + np.roll(x, 1, 1) + np.roll(x, -1, 1)) / 5
    return x.ravel()


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--esda-large", action="store_true")
    args = ap.parse_args(argv)
    ok = True
    for nr, nc in ((50, 60), (250, 400)):
        n = nr * nc
        w = lattice(nr, nc, kind="queen")
        y = field(nr, nc)
        g, t_g = timed(lambda w=w, y=y: moran(y, w, permutations=9999, rng=1))
        loc, t_l = timed(lambda w=w, y=y: local_moran(y, w, permutations=999, rng=1))
        line = (f"n = {n:>7,}: regionkit Moran 9,999 perm {t_g:6.2f} s | LISA 999 perm {t_l:6.2f} s "
                f"| I = {g.value:.4f} | RSS {rss_mib():.0f} MiB")
        if n <= 3000 or args.esda_large:
            import esda

            wl = w.to_libpysal()
            wl.transform = "r"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, e_g = timed(lambda y=y, wl=wl: esda.Moran(y, wl, permutations=9999))
                _, e_l = timed(lambda y=y, wl=wl: esda.Moran_Local(y, wl, permutations=999, seed=1))
            line += f"\n            esda Moran {e_g:6.2f} s (ratio esda/regionkit {e_g / t_g:.2f}×) | " \
                    f"esda LISA {e_l:6.2f} s (ratio {e_l / t_l:.2f}×)"
        print(line)
        if n >= 100_000:
            ok = ok and t_l < 30 and rss_mib() < 2048
    print("LISA target (100,000 units, 999 permutations, < 30 s and < 2 GB):", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
