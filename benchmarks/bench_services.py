"""Blockwise ecosystem-service chain benchmark — python benchmarks/bench_services.py [--quick]

Target: the per-pixel service chain on 10,000 x 10,000 cells (10^8; one float64 array of
that size is 800 MB) with a peak RSS far below 800 MB, i.e. bounded by the block size.

Inputs are generated window by window as tiled, DEFLATE-compressed GeoTIFFs in a temporary
folder (land use: 6 classes + nodata, uint8; precipitation, ET0, depth to root-restricting
layer, PAWC: smooth float32 fields with noise, rounded as real data usually are).  The
chain, all through :mod:`regionkit.io.rasters`:

1. ``map_blocks`` → annual water yield (``regionkit.ecology.services.water_yield``);
2. ``map_blocks`` → carbon stock (``carbon_storage(...).total``);
3. ``normalized_overlay`` → pass 1 min/max of both, pass 2 ``0.6 z_water + 0.4 z_carbon``
   written as a Cloud-Optimized GeoTIFF.

Peer: the same chain whole-array in numpy — read every raster completely with rasterio,
call the same service functions on the full arrays, normalise and overlay in memory, write
one GeoTIFF — at ``--peer-size`` (default 3,000 x 3,000, which fits in memory; at 10^8
cells the whole-array chain would need tens of GB).  The blockwise chain is timed at the
same size and the ratio blockwise/whole-array printed; at full size the absolute time,
the throughput and the peak RSS are printed.  Peak RSS is the process's maximum resident
set size (resource.getrusage) — the blockwise run comes first, before any whole-array
work.  ``--quick`` runs 600 x 600 (peer 600 x 600) as a smoke test.
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

BIOPHYSICAL = pd.DataFrame(
    {
        "lucode": [1, 2, 3, 4, 5, 6],  # forest, grassland, cropland, wetland, urban, water
        "lulc_veg": [1, 1, 1, 0, 0, 0],
        "root_depth": [5000.0, 2000.0, 1500.0, 1.0, 1.0, 1.0],
        "kc": [1.0, 0.85, 0.75, 1.1, 0.3, 1.05],
    }
)
POOLS = pd.DataFrame(
    {
        "lucode": [1, 2, 3, 4, 5, 6],
        "c_above": [120.0, 8.0, 5.0, 20.0, 2.0, 0.0],
        "c_below": [30.0, 12.0, 3.0, 10.0, 0.5, 0.0],
        "c_soil": [90.0, 70.0, 55.0, 200.0, 20.0, 0.0],
        "c_dead": [15.0, 1.0, 0.5, 5.0, 0.0, 0.0],
    }
)
CELL = 30.0
SEASONALITY = 5.0
WEIGHTS = {"water": 0.6, "carbon": 0.4}


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _field(rows: np.ndarray, cols: np.ndarray, size: int, phase: float) -> np.ndarray:
    """Smooth pattern in [0, 1] over the whole raster (a few waves across it)."""
    y = rows[:, None] / size * 2 * np.pi
    x = cols[None, :] / size * 2 * np.pi
    return 0.5 + 0.25 * np.sin(3 * x + phase) * np.cos(2 * y - phase) + 0.25 * np.sin(5 * (x + y))


def make_inputs(folder: Path, size: int, block: int = 1024, seed: int = 0) -> dict[str, Path]:
    """Write the five input rasters window by window (bounded memory)."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    common = {
        "driver": "GTiff", "width": size, "height": size, "count": 1, "crs": "EPSG:32650",
        "transform": from_origin(400_000.0, 3_500_000.0, CELL, CELL), "tiled": True,
        "blockxsize": 256, "blockysize": 256, "compress": "deflate", "BIGTIFF": "IF_SAFER",
    }
    specs = {
        "lulc": ("uint8", 0),
        "precipitation": ("float32", -9999.0),
        "et0": ("float32", -9999.0),
        "root_depth": ("float32", -9999.0),
        "pawc": ("float32", -9999.0),
    }
    paths = {name: folder / f"{name}.tif" for name in specs}
    files = {
        name: rasterio.open(paths[name], "w", dtype=dt, nodata=nd, **common)
        for name, (dt, nd) in specs.items()
    }
    try:
        for r0 in range(0, size, block):
            for c0 in range(0, size, block):
                h, w = min(block, size - r0), min(block, size - c0)
                rows, cols = np.arange(r0, r0 + h), np.arange(c0, c0 + w)
                window = Window(c0, r0, w, h)
                base = _field(rows, cols, size, 0.3)
                noise = rng.random((h, w))
                lulc = np.clip((base * 5 + noise * 1.5).astype(np.uint8), 1, 6)
                lulc[noise < 0.002] = 0  # nodata speckles
                precip = np.round(600 + 900 * _field(rows, cols, size, 1.1) + 40 * noise)
                et0 = np.round(700 + 500 * _field(rows, cols, size, 2.0) + 30 * noise)
                depth = np.round(300 + 2500 * _field(rows, cols, size, 2.7) * noise)
                pawc = np.round(0.05 + 0.25 * _field(rows, cols, size, 0.9), 3)
                files["lulc"].write(lulc, 1, window=window)
                files["precipitation"].write(precip.astype(np.float32), 1, window=window)
                files["et0"].write(et0.astype(np.float32), 1, window=window)
                files["root_depth"].write(depth.astype(np.float32), 1, window=window)
                files["pawc"].write(pawc.astype(np.float32), 1, window=window)
    finally:
        for f in files.values():
            f.close()
    return paths


def _water(a: dict[str, np.ndarray]) -> np.ndarray:
    from regionkit.ecology.services import water_yield

    return water_yield(
        a["lulc"], a["precipitation"], a["et0"], a["root_depth"], a["pawc"], BIOPHYSICAL,
        seasonality=SEASONALITY, lulc_nodata=0, nodata=-9999.0,
    ).wyield


def _carbon(a: dict[str, np.ndarray]) -> np.ndarray:
    from regionkit.ecology.services import carbon_storage

    return carbon_storage(a["lulc"], POOLS, cell_area_ha=CELL * CELL / 10_000, lulc_nodata=0).total


def blockwise_chain(paths: dict[str, Path], out: Path, block: int) -> Path:
    from regionkit.io.rasters import map_blocks, normalized_overlay

    water = map_blocks(_water, paths, out / "water.tif", block_size=block, cog=False)
    carbon = map_blocks(_carbon, {"lulc": paths["lulc"]}, out / "carbon.tif", block_size=block,
                        cog=False)
    return normalized_overlay({"water": water, "carbon": carbon}, WEIGHTS, out / "overlay.tif",
                              block_size=block, cog=True)


def whole_array_chain(paths: dict[str, Path], out: Path) -> Path:
    """The peer: everything in memory, the way a script on small rasters would do it."""
    import rasterio

    arrays = {}
    for name, path in paths.items():
        with rasterio.open(path) as src:
            arrays[name] = src.read(1)
            profile = src.profile
    water = _water(arrays)
    carbon = _carbon(arrays)
    total = np.zeros(water.shape)
    for w, x in ((WEIGHTS["water"], water), (WEIGHTS["carbon"], carbon)):
        lo, hi = np.nanmin(x), np.nanmax(x)
        total += w * ((x - lo) / (hi - lo))
    profile.update(dtype="float32", nodata=float("nan"))
    with rasterio.open(out / "overlay_peer.tif", "w", **profile) as dst:
        dst.write(total.astype(np.float32), 1)
    return out / "overlay_peer.tif"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--peer-size", type=int, default=3_000)
    ap.add_argument("--block", type=int, default=512,
                    help="map_blocks block size (water_yield needs about 190 B per block cell)")
    ap.add_argument("--quick", action="store_true", help="600 x 600 smoke run")
    args = ap.parse_args(argv)
    if args.quick:
        args.size = args.peer_size = 600
        args.block = 256
    import rasterio

    with tempfile.TemporaryDirectory(prefix="rk_bench_services_") as name:
        tmp = Path(name)
        big = tmp / "big"
        big.mkdir()
        t0 = time.perf_counter()
        paths = make_inputs(big, args.size, args.block)
        t_gen = time.perf_counter() - t0
        mb = sum(p.stat().st_size for p in paths.values()) / 2**20
        print(f"inputs: 5 rasters of {args.size:,} x {args.size:,} = {args.size**2:,} cells "
              f"({mb:,.0f} MiB on disk), written in {t_gen:.1f} s; peak RSS {rss_mib():.0f} MiB")
        t0 = time.perf_counter()
        out = blockwise_chain(paths, big, args.block)
        t_big = time.perf_counter() - t0
        rss_big = rss_mib()
        with rasterio.open(out) as src:
            layout = src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT")
        full_array_mib = args.size**2 * 8 / 2**20
        print(f"blockwise chain (block {args.block}): {t_big:8.2f} s  "
              f"({args.size**2 / t_big / 1e6:.2f} M cells/s), output layout {layout}")
        print(f"peak RSS of the process: {rss_big:.0f} MiB = {rss_big / full_array_mib:.0%} of one "
              f"float64 array of the raster ({full_array_mib:,.0f} MiB); it includes ~130 MiB of "
              f"imports and GDAL's block cache (capped at 128 MiB)")
        for p in [*paths.values(), big / "water.tif", big / "carbon.tif"]:
            p.unlink()

        small = tmp / "small"
        small.mkdir()
        paths = make_inputs(small, args.peer_size, args.block, seed=1)
        t0 = time.perf_counter()
        out_b = blockwise_chain(paths, small, args.block)
        t_b = time.perf_counter() - t0
        t0 = time.perf_counter()
        out_p = whole_array_chain(paths, small)
        t_p = time.perf_counter() - t0
        with rasterio.open(out_b) as a, rasterio.open(out_p) as b:
            x, y = a.read(1), b.read(1)
        same_nodata = bool(np.array_equal(np.isnan(x), np.isnan(y)))
        diff = float(np.nanmax(np.abs(x - y)))
        print(f"at {args.peer_size:,} x {args.peer_size:,}: blockwise {t_b:.2f} s, whole-array "
              f"numpy peer {t_p:.2f} s, ratio blockwise/peer = {t_b / t_p:.2f} "
              f"(same nodata {same_nodata}, max |diff| {diff:.1e})")
        print(f"whole-array peer extrapolated to {args.size**2:,} cells: "
              f"{t_p * (args.size / args.peer_size) ** 2:.0f} s (if memory allowed)")
        print(f"peak RSS after the whole-array peer: {rss_mib():.0f} MiB")
    ok = same_nodata and diff < 1e-6 and (args.quick or rss_big < full_array_mib)
    print("PASS" if ok else "FAIL: peak RSS not below one full-size array, or disagreement")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
