"""Tests of regionkit.io.rasters (blockwise map_blocks, streaming statistics, overlay)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin  # noqa: E402

from regionkit.errors import InputError  # noqa: E402
from regionkit.io.rasters import (  # noqa: E402
    RasterHistogram,
    histogram_quantiles,
    map_blocks,
    normalized_overlay,
    raster_histogram,
    raster_minmax,
)

TRANSFORM = from_origin(500_000.0, 4_000_000.0, 30.0, 30.0)


def write(path: Path, data: np.ndarray, *, nodata=None, transform=TRANSFORM, crs="EPSG:32650"):
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype=data.dtype.name, crs=crs, transform=transform, nodata=nodata,
        tiled=data.shape[0] >= 16 and data.shape[1] >= 16,
    ) as dst:
        dst.write(data, 1)
    return path


def read(path: Path) -> tuple[np.ndarray, dict]:
    with rasterio.open(path) as src:
        return src.read(1), src.profile


@pytest.fixture
def inputs(tmp_path):
    """Three aligned 70 x 45 rasters (not multiples of the block size) with nodata."""
    rng = np.random.default_rng(0)
    shape = (70, 45)
    lulc = rng.integers(1, 6, size=shape).astype(np.uint8)
    lulc[rng.random(shape) < 0.05] = 0
    precip = rng.uniform(300, 1500, size=shape).astype(np.float32)
    precip[rng.random(shape) < 0.05] = -9999.0
    et0 = rng.uniform(500, 1200, size=shape)
    et0[3, 4] = np.nan  # NaN is invalid even without a nodata value
    paths = {
        "lulc": write(tmp_path / "lulc.tif", lulc, nodata=0),
        "precip": write(tmp_path / "precip.tif", precip, nodata=-9999.0),
        "et0": write(tmp_path / "et0.tif", et0),
    }
    arrays = {"lulc": lulc, "precip": precip, "et0": et0}
    invalid = (lulc == 0) | (precip == -9999.0) | np.isnan(et0)
    return paths, arrays, invalid


def chain(a: dict[str, np.ndarray]) -> np.ndarray:
    coef = np.array([0.0, 0.2, 0.5, 0.7, 0.9, 1.1])
    return np.maximum(a["precip"] - coef[a["lulc"]] * a["et0"], 0.0) / 10.0


# ---------------------------------------------------------------- map_blocks


@pytest.mark.parametrize("block_size", [16, 32, 1024])
@pytest.mark.parametrize("cog", [True, False])
def test_map_blocks_equals_whole_array(tmp_path, inputs, block_size, cog):
    paths, arrays, invalid = inputs
    out = map_blocks(chain, paths, tmp_path / "out" / "r.tif", block_size=block_size,
                     dtype="float64", cog=cog)
    got, profile = read(out)
    with np.errstate(invalid="ignore"):
        expected = chain(arrays)
    assert np.isnan(profile["nodata"]) and profile["dtype"] == "float64"
    assert profile["transform"] == TRANSFORM and profile["crs"] == "EPSG:32650"
    assert np.array_equal(np.isnan(got), invalid)
    np.testing.assert_array_equal(got[~invalid], expected[~invalid])  # bitwise: same formula
    assert not list(out.parent.glob(".*tmp*"))  # no temporary left behind
    if cog:
        with rasterio.open(out) as src:
            assert src.profile["tiled"] and src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"


def test_map_blocks_dtype_and_nodata(tmp_path, inputs):
    paths, arrays, invalid = inputs
    out = map_blocks(lambda a: a["lulc"].astype(np.int32) * 3, paths, tmp_path / "i.tif",
                     block_size=16, dtype="int16", nodata=-1, cog=False)
    got, profile = read(out)
    assert profile["dtype"] == "int16" and profile["nodata"] == -1
    assert profile["blockxsize"] == 16
    np.testing.assert_array_equal(got[invalid], -1)
    np.testing.assert_array_equal(got[~invalid], arrays["lulc"][~invalid] * 3)
    # default integer nodata: the smallest value of a signed type
    out2 = map_blocks(lambda a: a["lulc"], paths, tmp_path / "j.tif", block_size=16, dtype="int32")
    assert read(out2)[1]["nodata"] == np.iinfo(np.int32).min


def test_nan_returned_by_func_becomes_nodata(tmp_path, inputs):
    paths, arrays, invalid = inputs

    def func(a):  # per pixel: NaN above 1400
        return np.where(a["precip"] > 1400, np.nan, a["precip"])

    got, _ = read(map_blocks(func, paths, tmp_path / "n.tif", block_size=16, nodata=-5.0))
    high = arrays["precip"] > 1400
    assert high.any() and (got[high] == -5.0).all()
    assert (got[invalid] == -5.0).all()
    keep = ~invalid & ~high
    np.testing.assert_array_equal(got[keep], arrays["precip"][keep])


def test_atomic_write_keeps_existing_output_when_func_fails(tmp_path, inputs):
    paths, _, _ = inputs
    target = tmp_path / "keep.tif"
    map_blocks(lambda a: a["precip"], paths, target, block_size=16)
    before = target.read_bytes()
    calls = []

    def failing(a):
        calls.append(1)
        if len(calls) == 3:  # after two blocks have been written
            raise RuntimeError("boom")
        return a["precip"]

    with pytest.raises(RuntimeError, match="boom"):
        map_blocks(failing, paths, target, block_size=16)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tif") == sorted(
        [*(p.name for p in paths.values()), "keep.tif"]
    )
    with pytest.raises(InputError, match="shape"):
        map_blocks(lambda a: a["precip"][:1], paths, target, block_size=16)
    assert target.read_bytes() == before


def test_alignment_errors_name_the_file(tmp_path, inputs):
    paths, arrays, _ = inputs
    shifted = from_origin(500_030.0, 4_000_000.0, 30.0, 30.0)
    cases = {
        "shift.tif": (arrays["precip"], {"transform": shifted}, "geotransform"),
        "res.tif": (arrays["precip"], {"transform": from_origin(5e5, 4e6, 60.0, 60.0)}, "geotransform"),
        "crs.tif": (arrays["precip"], {"crs": "EPSG:32651"}, "CRS"),
        "size.tif": (arrays["precip"][:-1], {}, "70 x 45"),
    }
    for name, (data, kwargs, what) in cases.items():
        bad = write(tmp_path / name, data, **kwargs)
        with pytest.raises(InputError, match=rf"input 'bad' \(.*{name}\).*{what}"):
            map_blocks(chain, {**paths, "bad": bad}, tmp_path / "x.tif")
    assert not (tmp_path / "x.tif").exists()
    with pytest.raises(InputError, match=r"input 'gone'.*not found"):
        map_blocks(chain, {**paths, "gone": tmp_path / "gone.tif"}, tmp_path / "x.tif")


def test_option_errors(tmp_path, inputs):
    paths, _, _ = inputs
    out = tmp_path / "x.tif"
    for size in (0, 10, 100, 16.0, True):
        with pytest.raises(InputError, match="block_size"):
            map_blocks(chain, paths, out, block_size=size)
    with pytest.raises(InputError, match="dtype"):
        map_blocks(chain, paths, out, dtype="complex64")
    with pytest.raises(InputError, match="nodata"):
        map_blocks(chain, paths, out, dtype="uint8", nodata=-1)
    with pytest.raises(InputError, match="nodata=nan"):
        map_blocks(chain, paths, out, dtype="int16", nodata=float("nan"))
    with pytest.raises(InputError, match="empty"):
        map_blocks(chain, {}, out)
    with pytest.raises(InputError, match="callable"):
        map_blocks(None, paths, out)
    not_raster = tmp_path / "t.tif"
    not_raster.write_text("hello")
    with pytest.raises(InputError, match=r"t\.tif.*cannot be read"):
        map_blocks(chain, {"t": not_raster}, out)
    with pytest.raises(TypeError):
        map_blocks(chain, paths, out, 16)  # options are keyword-only


# ---------------------------------------------------------------- statistics


def test_raster_minmax(tmp_path, inputs):
    paths, arrays, _ = inputs
    p = arrays["precip"]
    assert raster_minmax(paths["precip"], block_size=16) == (
        float(p[p != -9999].min()), float(p[p != -9999].max())
    )
    assert raster_minmax(paths["et0"]) == (float(np.nanmin(arrays["et0"])), float(np.nanmax(arrays["et0"])))
    empty = write(tmp_path / "e.tif", np.full((4, 4), -1.0), nodata=-1.0)
    with pytest.raises(InputError, match=r"e\.tif.*no valid cell"):
        raster_minmax(empty)


def test_histogram_exact_counts_and_quantiles(inputs):
    paths, arrays, _ = inputs
    h = raster_histogram(paths["lulc"], block_size=16)
    lulc = arrays["lulc"]
    valid = lulc[lulc != 0]
    values, counts = np.unique(valid, return_counts=True)
    assert h.exact and h.n == valid.size and h.edges.size == 0
    np.testing.assert_array_equal(h.values, values)
    np.testing.assert_array_equal(h.counts, counts)
    q = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    np.testing.assert_array_equal(
        histogram_quantiles(h, q), np.quantile(valid, q, method="inverted_cdf")
    )
    # float data is exact too while the distinct values fit
    precip = arrays["precip"][arrays["precip"] != -9999]
    h2 = raster_histogram(paths["precip"], block_size=16, max_distinct=10**6)
    assert h2.exact and h2.n == precip.size and h2.min == float(precip.min())
    np.testing.assert_array_equal(h2.values, np.unique(precip))


def test_histogram_binned_fallback(inputs):
    paths, arrays, _ = inputs
    p = arrays["precip"][arrays["precip"] != -9999].astype(np.float64)
    h = raster_histogram(paths["precip"], block_size=16, max_distinct=100, bins=50)
    assert not h.exact and h.values.size == 0 and h.counts.size == 50
    assert h.n == p.size == h.counts.sum()
    expected, edges = np.histogram(p, bins=50, range=(p.min(), p.max()))
    np.testing.assert_array_equal(h.counts, expected)
    np.testing.assert_allclose(h.edges, edges)
    width = edges[1] - edges[0]
    q = np.array([0.05, 0.5, 0.95])
    assert np.all(np.abs(histogram_quantiles(h, q) - np.quantile(p, q)) <= width)
    with pytest.raises(InputError, match="probabilities"):
        histogram_quantiles(h, 1.5)
    with pytest.raises(InputError, match="bins"):
        raster_histogram(paths["precip"], bins=0)
    assert isinstance(h, RasterHistogram)


# ---------------------------------------------------------------- two-pass overlay


def test_normalized_overlay_equals_whole_array(tmp_path, inputs):
    paths, arrays, invalid = inputs
    weights = {"precip": 0.5, "et0": 0.3, "lulc": 0.2}
    directions = {"et0": "negative"}
    out = normalized_overlay(paths, weights, tmp_path / "o.tif", directions=directions,
                             block_size=16, dtype="float64")
    got, _ = read(out)
    expected = np.zeros(invalid.shape)
    for k, w in weights.items():
        x = arrays[k].astype(np.float64)
        # extremes over each raster's own valid cells (not only cells valid everywhere)
        own = ~np.isnan(x) & (x != {"lulc": 0, "precip": -9999.0}.get(k, np.nan))
        lo, hi = x[own].min(), x[own].max()
        z = (x - lo) / (hi - lo)
        expected += w * (1 - z if directions.get(k) == "negative" else z)
    assert np.array_equal(np.isnan(got), invalid)
    np.testing.assert_allclose(got[~invalid], expected[~invalid], rtol=1e-12)
    with pytest.raises(InputError, match="one weight per input"):
        normalized_overlay(paths, {"precip": 1.0}, tmp_path / "o.tif")
    with pytest.raises(InputError, match="finite"):
        normalized_overlay(paths, {**weights, "lulc": -1.0}, tmp_path / "o.tif")
    with pytest.raises(InputError, match="direction"):
        normalized_overlay(paths, weights, tmp_path / "o.tif", directions={"et0": "down"})
    const = write(tmp_path / "c.tif", np.ones((70, 45)))
    with pytest.raises(InputError, match=r"'c'.*constant"):
        normalized_overlay({**paths, "c": const}, {**weights, "c": 1.0}, tmp_path / "o.tif")


def test_peak_memory_is_bounded_by_block_size(tmp_path):
    """A 4000 x 4000 float32 chain (64 MB per array) at block 256 allocates only block-sized arrays."""
    import tracemalloc

    shape = (4000, 4000)
    data = np.ones(shape, dtype=np.float32)
    a = write(tmp_path / "a.tif", data)
    b = write(tmp_path / "b.tif", data * 2)
    del data
    tracemalloc.start()
    map_blocks(lambda x: x["a"] + x["b"], {"a": a, "b": b}, tmp_path / "s.tif", block_size=256,
               cog=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 2**20  # numpy arrays of 256 x 256 blocks, far below 64 MB
    assert raster_minmax(tmp_path / "s.tif") == (3.0, 3.0)
