"""regionkit benchmarks — run them all with:  python benchmarks/run.py

Every benchmark is a script in this folder that prints its timings, its ratio against a
peer measured in the same run, its peak memory, and ends with ``PASS`` / ``FAIL`` (exit
status 0 / 1).  This runner starts each one in a fresh Python process (so that peak RSS
is per benchmark), streams its output and prints a summary.

    python benchmarks/run.py                  # all, full size
    python benchmarks/run.py --quick          # small sizes (smoke test; skips those without)
    python benchmarks/run.py --only cost_distance services
    python benchmarks/run.py --list

A single benchmark also runs on its own: ``python benchmarks/bench_services.py --quick``.
To add one, write ``bench_<name>.py`` with a ``main(argv) -> int`` and register it in
``BENCHMARKS`` below with the arguments of its quick mode.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    what: str
    quick: tuple[str, ...] | None  # arguments of the quick run; None: no quick mode


BENCHMARKS: tuple[Bench, ...] = (
    Bench("indices", "bench_indices.py",
          "index pipeline, 3,000 regions x 30 years x 40 indicators vs pandas", ("--quick",)),
    Bench("tobit", "bench_tobit.py", "Tobit models", ("--repeat", "1")),
    Bench("mixed", "bench_mixed.py", "linear mixed models vs statsmodels",
          ("--repeat", "1", "--no-statsmodels")),
    Bench("mediation", "bench_mediation.py", "mediation analysis", ("--repeat", "1")),
    Bench("spatial", "bench_spatial.py", "Moran / LISA vs esda", None),
    Bench("classify", "bench_classify.py", "exact natural breaks of 10^7 values",
          ("--n", "100000", "--jenkspy-n", "2000", "--no-mapclassify")),
    Bench("cost_distance", "bench_cost_distance.py",
          "multi-source cost distance 4000 x 4000 vs scikit-image", ("--quick",)),
    Bench("services", "bench_services.py",
          "blockwise water yield + carbon + overlay on 10^8 cells vs whole-array numpy",
          ("--quick",)),
    Bench("dpc", "bench_dpc.py", "PC + dPC for 2,000 patches vs naive removals", ("--quick",)),
    Bench("transport", "bench_transport.py", "batched grid Sinkhorn (1000 x 100x100) vs POT sinkhorn2 loop",
          ("--quick",)),
    Bench("corridors", "bench_corridors.py", "all corridors for 200 sources on 4000 x 4000 vs per-source Dijkstra",
          ("--quick",)),
    Bench("coagg", "bench_coagg.py",
          "Coagg matrix of Shanghai (R=1000, exact W2^2) and the whole firm file vs a POT emd2 loop",
          ("--quick",)),
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args(argv)
    if args.list:
        for b in BENCHMARKS:
            print(f"{b.name:14s} {b.script:24s} {b.what}")
        return 0
    chosen = list(BENCHMARKS)
    if args.only:
        known = {b.name for b in BENCHMARKS}
        unknown = sorted(set(args.only) - known)
        if unknown:
            ap.error(f"unknown benchmark(s) {unknown}; choose from {sorted(known)}")
        chosen = [b for b in BENCHMARKS if b.name in args.only]
    summary = []
    for b in chosen:
        if args.quick and b.quick is None:
            summary.append((b.name, "skipped (no quick mode)", 0.0))
            continue
        cmd = [sys.executable, str(HERE / b.script), *(b.quick if args.quick else ())]
        print(f"\n=== {b.name}: {b.what}\n$ {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run(cmd, check=False).returncode
        summary.append((b.name, "PASS" if rc == 0 else f"FAIL (exit {rc})", time.perf_counter() - t0))
    print("\n=== summary")
    for name, status, seconds in summary:
        print(f"{name:14s} {status:26s} {seconds:8.1f} s")
    return 0 if all(s in ("PASS",) or s.startswith("skipped") for _, s, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
