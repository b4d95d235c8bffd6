"""Shared fixtures of the ecology tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

LM_DIR = Path(__file__).parents[2] / ".." / "shared" / "data" / "linkage_mapper_demo"


@pytest.fixture(scope="module")
def lm_demo():
    """Resistance, rasterized core sources, nodata value, (dy, dx) and transform of the demo."""
    if not (LM_DIR / "lm_resistances.tif").is_file():
        pytest.skip(f"Linkage Mapper demo data not found at {LM_DIR.resolve()} (../shared absent)")
    rasterio = pytest.importorskip("rasterio")
    from rasterio import features

    gpd = pytest.importorskip("geopandas")
    with rasterio.open(LM_DIR / "lm_resistances.tif") as src:
        resistance = src.read(1)
        nodata_value = src.nodata
        transform = src.transform
        cell = (abs(src.res[1]), abs(src.res[0]))
        crs = src.crs
    cores = gpd.read_file(LM_DIR / "lm_cores.shp").to_crs(crs)
    sources = features.rasterize(
        zip(cores.geometry, cores["core_id"], strict=True),
        out_shape=resistance.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    sources[resistance == nodata_value] = 0  # core cells without resistance are not sources
    assert set(np.unique(sources)) == {0, *cores["core_id"]}
    return resistance, sources, nodata_value, cell, transform, cores
