"""Tests of regionkit.ecology.resistance (reclassify, slope, weighted resistance)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from affine import Affine

from regionkit.ecology.ahp import AHPConsistencyWarning, ahp
from regionkit.ecology.resistance import reclassify, resistance_surface, slope_degrees
from regionkit.errors import InputError

FIXTURE = Path(__file__).parents[1] / "reference" / "gdaldem_slope"


def test_reclassify_codes_and_ranges():
    lu = np.array([[10, 20], [30, -1]])
    before = lu.copy()
    out = reclassify(lu, {10: 5, 20: 15, 30: 100}, nodata=-1)
    np.testing.assert_array_equal(out, [[5, 15], [100, np.nan]])
    np.testing.assert_array_equal(lu, before)
    frame = pd.DataFrame({"code": [10, 20, 30], "value": [1, 2, 3]})
    np.testing.assert_array_equal(reclassify(lu, frame, nodata=-1), [[1, 2], [3, np.nan]])
    x = np.array([[0.0, 5.0, 14.999], [15.0, 25.0, 89.0]])
    table = [(0, 5, 5), (5, 15, 15), (15, 25, 50), (25, 90, 100)]
    np.testing.assert_array_equal(reclassify(x, table), [[5, 15, 15], [50, 100, 100]])


def test_reclassify_errors_name_values():
    with pytest.raises(InputError, match=r"covers value\(s\) 40 \(2 cells\)"):
        reclassify(np.array([[10, 40, 40]]), {10: 1})
    with pytest.raises(InputError, match=r"covers value\(s\) 90 \(1 cells\)"):
        reclassify(np.array([[1.0, 90.0]]), [(0, 5, 1), (5, 90, 2)])
    with pytest.raises(InputError, match="overlap"):
        reclassify(np.array([[1.0]]), [(0, 5, 1), (4, 9, 2)])
    with pytest.raises(InputError, match="duplicate code"):
        reclassify(np.array([[1]]), [(1, 2), (1, 3)])
    with pytest.raises(InputError, match="columns"):
        reclassify(np.array([[1]]), pd.DataFrame({"x": [1]}))


def test_slope_plane_projected_and_nodata():
    dem = np.add.outer(np.arange(5.0) * -3.0, np.arange(6.0) * 4.0)  # east +4, south -3 per cell
    t = Affine(10, 0, 0, 0, -10, 0)
    s = slope_degrees(dem, transform=t)
    expected = np.degrees(np.arctan(np.hypot(0.4, 0.3)))
    np.testing.assert_allclose(s[1:-1, 1:-1], expected)
    assert np.isnan(s[0]).all() and np.isnan(s[:, -1]).all()
    dem2 = dem.copy()
    dem2[2, 2] = -9999
    s2 = slope_degrees(dem2, transform=t, nodata=-9999)
    assert np.isnan(s2[1:4, 1:4]).all() and np.isfinite(s2[1, 4])
    with pytest.raises(InputError, match="north-up"):
        slope_degrees(dem, transform=Affine(10, 1, 0, 0, -10, 0))


def _read(name):
    rasterio = pytest.importorskip("rasterio")
    with rasterio.open(FIXTURE / name) as src:
        return src.read(1), src.transform, src.crs, src.nodata


def test_slope_matches_gdaldem_projected():
    dem, t, crs, _ = _read("dem_window_metric.tif")
    ref, _, _, _ = _read("slope_metric.tif")
    mine = slope_degrees(dem, transform=t, crs=crs)
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(mine[inner], ref[inner], atol=1e-5)  # float32 output of gdaldem
    assert np.isnan(mine[0]).all()


def test_slope_geographic_matches_gdaldem_on_metric_frame():
    # the same 40 x 40 window in EPSG:4326: per-row ellipsoidal cell sizes; gdaldem ran on a
    # projected copy with the metric cell size at the window's centre latitude (32.67 N), so the
    # only difference is the cos(latitude) change over 40 rows (max 4e-4 degrees)
    dem, t, crs, _ = _read("dem_window.tif")
    ref, _, _, _ = _read("slope_metric.tif")
    mine = slope_degrees(dem, transform=t, crs=crs)
    inner = (slice(1, -1), slice(1, -1))
    diff = np.abs(mine[inner] - ref[inner])
    assert diff.max() < 1e-3 and diff.mean() < 1e-4
    # gdaldem -s 111120 uses 111120 m per degree in both directions: east-west distances too
    # long by 1/cos(32.67) = 1.19, hence flatter slopes (mean 1.066 vs 1.143 degrees here)
    s111, _, _, _ = _read("slope_s111120.tif")
    assert s111[inner].mean() == pytest.approx(1.0657, abs=1e-3)
    assert mine[inner].mean() == pytest.approx(1.1433, abs=1e-3)
    assert np.all(s111[inner] <= mine[inner] + 1e-4)


def test_resistance_surface_weights_and_ahp():
    lu = np.array([[5.0, 100.0], [50.0, np.nan]])
    sl = np.array([[15.0, 15.0], [75.0, 5.0]])
    res = resistance_surface({"lu": lu, "slope": sl}, weights={"lu": 3, "slope": 1})
    np.testing.assert_allclose(res.values, [[7.5, 78.75], [56.25, np.nan]])
    assert "rescaled" in res.notes[0]
    a = ahp([[1, 3], [1 / 3, 1]], labels=["lu", "slope"])
    res2 = resistance_surface({"lu": lu, "slope": sl}, weights=a)
    np.testing.assert_allclose(res2.values, res.values)
    assert "lu=0.75" in res2.summary()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = ahp([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], labels=["lu", "slope", "x"])
    with pytest.warns(AHPConsistencyWarning):
        r3 = resistance_surface({"lu": lu, "slope": sl, "x": sl}, weights=bad)
    assert any("inconsistent" in n for n in r3.notes)


def test_resistance_surface_errors():
    a = np.ones((2, 2))
    with pytest.raises(InputError, match="no weight for factor"):
        resistance_surface({"a": a, "b": a}, weights={"a": 1})
    with pytest.raises(InputError, match="factor 'b' has shape"):
        resistance_surface({"a": a, "b": np.ones((3, 2))}, weights={"a": 1, "b": 1})
    with pytest.raises(InputError, match="unknown factor"):
        resistance_surface({"a": a}, weights={"a": 1, "c": 1})
