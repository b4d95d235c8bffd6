"""Index pipeline benchmark — run with:  python benchmarks/bench_indices.py [--quick]

(``python benchmarks/run.py`` runs it together with every other benchmark.)

Issue 2 target: the index pipeline (entropy-weighted composites of two
systems + coupling coordination + resilience over every rolling window +
Fan–Scott HHI / specialisation / Krugman per region-year) on a synthetic panel
of 3,000 regions × 30 years × 40 indicators must finish in under 10 s on the
2-core machine.  Two measurements:

* ``library``: the pure functions on in-memory frames;
* ``study``: :func:`regionkit.pipeline.run.compute_study` from a CSV file
  (includes reading and validating the 3.6-million-cell panel), cache off.

The peer is a straightforward pandas implementation of the same entropy +
coupling + HHI formulas (groupby/apply per year, as a spreadsheet-minded
script would do), timed in the same run; the ratio peer/regionkit is printed.
Peak memory is the process's maximum resident set size.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from regionkit.indices.agglomeration import agglomeration_panel
from regionkit.indices.composite import composite_index
from regionkit.indices.coupling import coupling_coordination
from regionkit.indices.dispersion import dispersion
from regionkit.indices.resilience import resilience_windows

TARGET_S = 10.0


def synthetic_panel(n_regions: int, n_years: int, n_ind: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    regions = [f"R{i:05d}" for i in range(n_regions)]
    years = np.arange(2000, 2000 + n_years)
    size = rng.lognormal(3.0, 1.0, size=(n_regions, 1, 1))
    growth = 1.0 + 0.02 * np.arange(n_years)[None, :, None] + rng.normal(0, 0.03, size=(n_regions, n_years, 1))
    mix = rng.dirichlet(np.ones(n_ind), size=n_regions)[:, None, :]
    values = size * growth * mix * rng.lognormal(0, 0.1, size=(n_regions, n_years, n_ind))
    idx = pd.MultiIndex.from_product([regions, years], names=["region", "year"])
    cols = [f"x{j:02d}" for j in range(n_ind)]
    return pd.DataFrame(values.reshape(n_regions * n_years, n_ind), index=idx, columns=cols)


def library_pipeline(frame: pd.DataFrame) -> dict:
    cols = list(frame.columns)
    half = len(cols) // 2
    sys1 = {c: "positive" for c in cols[:half]}
    sys2 = {c: ("negative" if i % 5 == 0 else "positive") for i, c in enumerate(cols[half:])}
    u1 = composite_index(frame[list(sys1)], sys1, name="s1", shift=1e-4)
    u2 = composite_index(frame[list(sys2)], sys2, name="s2", shift=1e-4)
    scores = pd.concat([u1.score, u2.score], axis=1).clip(upper=1.0)
    cp = coupling_coordination(scores)
    total = frame.sum(axis=1).unstack("year")
    res = resilience_windows(total, rolling=1)
    long = frame.stack().rename("value").reset_index().rename(columns={"level_2": "industry"})
    agg = agglomeration_panel(long)
    groups = pd.Series([f"g{i % 4}" for i in range(len(total))], index=total.index)
    disp = dispersion(cp.table["D"].unstack("year"), groups=groups)
    return {"D": cp.table["D"], "resilience": res, "hhi": agg, "disp": disp}


def peer_pipeline(frame: pd.DataFrame) -> pd.Series:
    """Same formulas, written the plain-pandas way (global min-max, pooled entropy)."""
    cols = list(frame.columns)
    half = len(cols) // 2
    out = []
    for block, neg in ((cols[:half], set()), (cols[half:], {c for i, c in enumerate(cols[half:]) if i % 5 == 0})):
        x = frame[block]
        z = x.apply(lambda s, neg=neg: ((s.max() - s) if s.name in neg else (s - s.min())) / (s.max() - s.min())) + 1e-4
        p = z / z.sum()
        e = -(p * np.log(p)).sum() / np.log(len(z))
        w = (1 - e) / (1 - e).sum()
        out.append((z * w).sum(axis=1).clip(upper=1.0))
    u1, u2 = out
    c = 2 * np.sqrt(u1 * u2) / (u1 + u2)
    d = np.sqrt(c * (u1 + u2) / 2)
    long = frame.stack().rename("value").reset_index()
    long.columns = ["region", "year", "industry", "value"]
    long["share"] = long["value"] / long.groupby(["year", "industry"])["value"].transform("sum")
    long.groupby(["region", "year"])["share"].apply(lambda s: (s**2).sum())
    return d


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", type=int, default=3000)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="300 regions x 10 years x 12 indicators, 1 repeat")
    args = ap.parse_args(argv)
    if args.quick:
        args.regions, args.years, args.indicators, args.repeat = 300, 10, 12, 1
    frame = synthetic_panel(args.regions, args.years, args.indicators)
    print(f"panel: {args.regions} regions × {args.years} years × {args.indicators} indicators "
          f"({frame.size:,} cells)")

    lib_times, peer_times = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        res = library_pipeline(frame)
        lib_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        d_peer = peer_pipeline(frame)
        peer_times.append(time.perf_counter() - t)
    np.testing.assert_allclose(res["D"].to_numpy(), d_peer.to_numpy(), rtol=1e-10)
    lib, peer = min(lib_times), min(peer_times)
    print(f"library pipeline : {lib:7.2f} s  (target {TARGET_S:.0f} s: {lib / TARGET_S:.2f} of budget)")
    print(f"pandas peer      : {peer:7.2f} s  ratio peer/regionkit = {peer / lib:.2f}× "
          "(peer computes only entropy + coupling + HHI, no checks)")

    from regionkit.pipeline.config import parse_config
    from regionkit.pipeline.run import compute_study

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        frame.reset_index().to_csv(path, index=False)
        cols = list(frame.columns)
        half = len(cols) // 2
        cfg = parse_config({
            "data": {"path": str(path)},
            "systems": [
                {"name": "s1", "indicators": {c: "positive" for c in cols[:half]}},
                {"name": "s2", "indicators": {c: "positive" for c in cols[half:]}},
            ],
            "coupling": {},
            "resilience": [{"variable": cols[0], "rolling": 1}],
            "agglomeration": {"variables": cols},
            "dispersion": {"variables": ["D"]},
        })
        t = time.perf_counter()
        compute_study(cfg, Path(tmp))
        study = time.perf_counter() - t
    print(f"study (CSV → all steps, cache off): {study:7.2f} s  ({study / TARGET_S:.2f} of budget)")
    print(f"peak memory (max RSS): {peak_rss_mib():.0f} MiB")
    ok = lib < TARGET_S and study < TARGET_S
    print("PASS" if ok else "FAIL: over the 10 s target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
