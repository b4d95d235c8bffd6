"""Regenerate the GRASS GIS r.cost reference on the Linkage Mapper demo raster.

Run from the repository root with the project's virtual environment active and
GRASS GIS on the PATH (``apt-get install grass-core``)::

    python tests/reference/grass/make_reference.py

Steps
-----
1. Read ``../shared/data/linkage_mapper_demo/lm_resistances.tif`` (float32) and
   rasterize the cores of ``lm_cores.shp`` (``core_id``) onto its grid exactly as
   ``tests/ecology/test_corridors.py`` does (rasterio ``features.rasterize``,
   default "cell centre inside" rule; core cells on nodata dropped).
2. Write the resistance as a *Float64* GeoTIFF (values unchanged: float32 is
   exactly representable) so that GRASS imports it as DCELL and r.cost writes a
   DCELL (double) output; write the start raster as Int32 with 0 = nodata (NULL
   in GRASS: r.cost takes every non-NULL cell of ``start_raster`` as a start).
3. In a temporary GRASS location created from the resistance file run::

       r.in.gdal input=resistance.tif output=resistance
       r.in.gdal input=starts.tif output=starts
       g.region raster=resistance
       r.cost input=resistance start_raster=starts output=cost nearest=nearest
       r.out.gdal input=cost output=cost.tif type=Float64 format=GTiff
       r.out.gdal input=nearest output=nearest.tif type=Int32 format=GTiff

   (no ``-k``: the 8-neighbour move set; no ``-n``, no ``null_cost``: nodata
   cells are impassable and stay NULL).
4. Store ``rcost_sample.csv``: a fixed random sample (numpy seed 20240601) of
   5,000 reachable cells with ``row, col, cost, nearest`` (cost written with 17
   significant digits), and ``rcost_summary.json``: whole-raster statistics of
   the GRASS output (counts of finite / NULL cells, sum, min, max of the cost,
   the cells per nearest label) plus the GRASS version and the inputs' sha256.

See README.md for r.cost's cost convention and the conversion the test applies.
"""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from rasterio import features

HERE = Path(__file__).resolve().parent
LM_DIR = HERE.parents[2] / ".." / "shared" / "data" / "linkage_mapper_demo"
SEED = 20240601
N_SAMPLE = 5000


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inputs() -> tuple[np.ndarray, np.ndarray, dict]:
    with rasterio.open(LM_DIR / "lm_resistances.tif") as src:
        resistance = src.read(1)
        profile = src.profile
        nodata_value = src.nodata
        crs = src.crs
    cores = gpd.read_file(LM_DIR / "lm_cores.shp").to_crs(crs)
    sources = features.rasterize(
        zip(cores.geometry, cores["core_id"], strict=True),
        out_shape=resistance.shape,
        transform=profile["transform"],
        fill=0,
        dtype="int32",
    )
    sources[resistance == nodata_value] = 0
    return resistance, sources, profile


def run_grass(tmp: Path, resistance: np.ndarray, sources: np.ndarray, profile: dict) -> str:
    base = {k: profile[k] for k in ("crs", "transform", "width", "height")}
    nodata_value = profile["nodata"]
    with rasterio.open(
        tmp / "resistance.tif", "w", driver="GTiff", count=1, dtype="float64",
        nodata=float(nodata_value), **base,
    ) as dst:
        dst.write(resistance.astype(np.float64), 1)
    with rasterio.open(
        tmp / "starts.tif", "w", driver="GTiff", count=1, dtype="int32", nodata=0, **base
    ) as dst:
        dst.write(sources, 1)
    script = tmp / "rcost.sh"
    script.write_text(
        "set -e\n"
        f"cd {tmp}\n"
        "g.version -g > grass_version.txt\n"
        "r.in.gdal input=resistance.tif output=resistance --quiet\n"
        "r.in.gdal input=starts.tif output=starts --quiet\n"
        "g.region raster=resistance -g > region.txt\n"
        "r.info -g map=resistance > resistance_info.txt\n"
        "r.cost input=resistance start_raster=starts output=cost nearest=nearest --quiet\n"
        "r.info -g map=cost > cost_info.txt\n"
        "r.out.gdal input=cost output=cost.tif type=Float64 format=GTiff -c --quiet -f\n"
        "r.out.gdal input=nearest output=nearest.tif type=Int32 format=GTiff -c --quiet -f\n"
    )
    subprocess.run(
        ["grass", "--tmp-location", str(tmp / "resistance.tif"), "--exec", "bash", str(script)],
        check=True,
    )
    for name in ("region.txt", "resistance_info.txt", "cost_info.txt"):
        print(f"--- {name}\n{(tmp / name).read_text()}")
    return (tmp / "grass_version.txt").read_text()


def main() -> int:
    resistance, sources, profile = inputs()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        version = run_grass(tmp, resistance, sources, profile)
        with rasterio.open(tmp / "cost.tif") as src:
            cost = src.read(1, masked=True)
            assert src.shape == resistance.shape
            assert src.transform.almost_equals(profile["transform"], precision=1e-6)
        with rasterio.open(tmp / "nearest.tif") as src:
            nearest = src.read(1, masked=True)
    assert cost.dtype == np.float64
    reached = ~np.ma.getmaskarray(cost)
    values = cost.filled(np.nan)
    labels = nearest.filled(0)
    rng = np.random.default_rng(SEED)
    cells = np.argwhere(reached)
    picks = cells[np.sort(rng.choice(len(cells), size=N_SAMPLE, replace=False))]
    with (HERE / "rcost_sample.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["row", "col", "cost", "nearest"])
        for r, c in picks:
            writer.writerow([int(r), int(c), f"{values[r, c]:.17g}", int(labels[r, c])])
    finite = values[reached]
    ids, counts = np.unique(labels[reached], return_counts=True)
    summary = {
        "grass_version": dict(
            line.split("=", 1) for line in version.strip().splitlines() if "=" in line
        ),
        "command": "r.cost input=resistance start_raster=starts output=cost nearest=nearest",
        "inputs": {
            "lm_resistances.tif sha256": sha256(LM_DIR / "lm_resistances.tif"),
            "lm_cores.shp sha256": sha256(LM_DIR / "lm_cores.shp"),
        },
        "shape": list(values.shape),
        "ew_res": float(profile["transform"].a),
        "ns_res": float(-profile["transform"].e),
        "n_start_cells": int((sources > 0).sum()),
        "n_reached": int(reached.sum()),
        "n_null": int((~reached).sum()),
        "cost_sum": float(np.sum(finite, dtype=np.float64)),
        "cost_min": float(finite.min()),
        "cost_max": float(finite.max()),
        "argmax_row_col": [int(v) for v in np.unravel_index(np.nanargmax(values), values.shape)],
        "nearest_counts": {str(int(k)): int(v) for k, v in zip(ids, counts, strict=True)},
        "sample_seed": SEED,
        "sample_size": N_SAMPLE,
    }
    (HERE / "rcost_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
