"""Tests of regionkit.ecology.soil against InVEST 3.20.2 SDR and hand-computed cases.

Reference: tests/reference/invest/sdr/sdr_reference.npz, made by make_reference.py in
that folder (natcap.invest 3.20.2 run on a 64 x 64, 90 m UTM window of the DFW SRTM DEM,
D8 and MFD). InVEST stores most rasters as float32, so agreement is limited to float32
precision (~1e-7 relative per stored stage); sediment deposition divides by (1 - SDR)
of float32 SDR values and agrees to 1e-6 of its maximum (to 2e-7 relative when our
routine is fed InVEST's own float32 SDR).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.ecology.soil import (
    RusleResult,
    SDRResult,
    fill_pits,
    flow_accumulation,
    ls_factor,
    percent_slope,
    rusle,
    sediment_delivery,
)
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "invest" / "sdr" / "sdr_reference.npz"


@pytest.fixture(scope="module")
def ref():
    return dict(np.load(REF))


def _bio(ref):
    return pd.DataFrame({"lucode": ref["lucode"], "usle_c": ref["usle_c"], "usle_p": ref["usle_p"]})


@pytest.fixture(scope="module", params=["d8", "mfd"])
def run(request, ref):
    algo = request.param
    res = sediment_delivery(
        ref["dem"], ref["erosivity"], ref["erodibility"], ref["lulc"], _bio(ref),
        cell_size=float(ref["cell_size"]),
        threshold_flow_accumulation=float(ref["threshold_flow_accumulation"]),
        k=float(ref["k"]), ic0=float(ref["ic0"]), sdr_max=float(ref["sdr_max"]),
        l_max=float(ref["l_max"]), flow_dir=algo,
    )
    return algo, res


def _compare(mine, theirs, rtol, atol=0.0):
    assert np.array_equal(np.isnan(mine), np.isnan(theirs)), "undefined cells differ"
    ok = np.isfinite(theirs)
    np.testing.assert_allclose(mine[ok], theirs[ok], rtol=rtol, atol=atol)


def test_routing_matches_invest_exactly(run, ref):
    algo, res = run
    _compare(res.rusle.filled_dem, ref[f"{algo}_pit_filled_dem"], rtol=0)
    _compare(res.rusle.flow_accumulation, ref[f"{algo}_flow_accumulation"], rtol=1e-12)
    assert np.array_equal(res.streams, ref[f"{algo}_stream"] == 1)
    assert res.streams.sum() > 50


@pytest.mark.parametrize(
    "ours,theirs",
    [("slope", "slope"), ("ls", "ls"), ("rkls", "rkls"), ("usle", "usle"),
     ("avoided_erosion", "avoided_erosion")],
)
def test_rusle_matches_invest(run, ref, ours, theirs):
    algo, res = run
    _compare(getattr(res.rusle, ours), ref[f"{algo}_{theirs}"], rtol=1e-6)


@pytest.mark.parametrize(
    "ours,theirs,rtol",
    [("d_up", "d_up", 1e-6), ("d_dn", "d_dn", 1e-6), ("ic", "ic", 1e-6), ("sdr", "sdr_factor", 1e-6),
     ("sed_export", "sed_export", 2e-6), ("avoided_export", "avoided_export", 2e-6)],
)
def test_sdr_matches_invest(run, ref, ours, theirs, rtol):
    algo, res = run
    _compare(getattr(res, ours), ref[f"{algo}_{theirs}"], rtol=rtol)


def test_sediment_deposition_matches_invest(run, ref):
    algo, res = run
    theirs = ref[f"{algo}_sed_deposition"]
    _compare(res.sed_deposition, theirs, rtol=1e-6, atol=1e-6 * np.nanmax(theirs))


def test_rusle_alone_equals_sdr_rusle_off_streams(ref):
    alone = rusle(ref["dem"], ref["erosivity"], ref["erodibility"], ref["lulc"], _bio(ref),
                  cell_size=90.0, flow_dir="d8")
    assert np.isfinite(alone.usle).all()
    ok = np.isfinite(ref["d8_usle"])
    np.testing.assert_allclose(alone.usle[ok], ref["d8_usle"][ok], rtol=1e-6)
    masked = rusle(ref["dem"], ref["erosivity"], ref["erodibility"], ref["lulc"], _bio(ref),
                   cell_size=90.0, flow_dir="d8", threshold_flow_accumulation=40)
    _compare(masked.usle, ref["d8_usle"], rtol=1e-6)


# ----------------------------------------------------------------- hand-computed cases


def _ls_by_hand(slope_pct, fa, d):
    a = np.sqrt((fa - 1) * d * d)
    t = np.arctan(slope_pct / 100)
    st = np.sin(t)
    if slope_pct <= 1:
        m = 0.2
    elif slope_pct <= 3.5:
        m = 0.3
    elif slope_pct <= 5:
        m = 0.4
    elif slope_pct <= 9:
        m = 0.5
    else:
        b = (st / 0.0896) / (3 * st**0.8 + 0.56)
        m = b / (1 + b)
    x = abs(st) + abs(np.cos(t))
    el = ((a + d * d) ** (m + 1) - a ** (m + 1)) / (d ** (m + 2) * x**m * 22.13**m)
    s = 10.8 * st + 0.03 if slope_pct < 9 else 16.8 * st - 0.5
    return el * s


@pytest.mark.parametrize("drop,flow_dir", [(3.0, "d8"), (1.2, "d8"), (3.0, "mfd"), (0.6, "mfd")])
def test_planar_slope_ls_by_hand(drop, flow_dir):
    rows, cols, d = 8, 5, 30.0
    dem = np.tile(100.0 - drop * np.arange(rows)[:, None], (1, cols))
    bio = pd.DataFrame({"lucode": [4], "usle_c": [0.2], "usle_p": [0.5]})
    res = rusle(dem, 400.0, 0.025, np.full((rows, cols), 4), bio, cell_size=d, flow_dir=flow_dir)
    slope = 100 * drop / d
    assert res.slope[1:-1, 1:-1] == pytest.approx(slope, rel=1e-12)
    fa = res.flow_accumulation[:, 2]
    if flow_dir == "d8":  # every pixel drains straight south, so FA = row + 1
        np.testing.assert_allclose(fa, np.arange(1, rows + 1))
    else:  # MFD spreads to S, SW, SE with 4-bit weights 6, 4, 4 (of 14) on the plane
        assert np.all(np.diff(fa) > 0)
    for r in range(1, rows - 1):
        expected = _ls_by_hand(slope, fa[r], d)
        assert res.ls[r, 2] == pytest.approx(expected, rel=1e-6)
        assert res.rkls[r, 2] == pytest.approx(400 * 0.025 * expected, rel=1e-6)
        assert res.usle[r, 2] == pytest.approx(0.1 * res.rkls[r, 2], rel=1e-12)
        assert res.avoided_erosion[r, 2] == pytest.approx(0.9 * res.rkls[r, 2], rel=1e-12)


def test_l_max_caps_slope_length():
    capped = ls_factor(20.0, 5000.0, cell_size=30.0, l_max=2.0)
    s = 16.8 * np.sin(np.arctan(0.2)) - 0.5
    assert float(capped) == pytest.approx(2.0 * s)


def test_fill_pits_and_slope_edges():
    dem = np.full((5, 5), 10.0)
    dem[1:4, 1:4] = 5.0
    dem[2, 2] = 1.0
    dem[0, 2] = 7.0
    filled = fill_pits(dem)
    assert np.all(filled[1:4, 1:4] == 7.0)
    assert filled[0, 2] == 7.0 and filled[0, 0] == 10.0
    # a cone pit with nodata hole acting as outlet is not filled
    dem2 = dem.copy()
    dem2[2, 2] = np.nan
    f2 = fill_pits(dem2)
    assert np.isnan(f2[2, 2]) and f2[1, 1] == 5.0
    # slope on a plane is the same at edges (one-sided differences)
    plane = np.tile(np.arange(6.0) * 3.0, (4, 1))
    assert np.allclose(percent_slope(plane, cell_size=30.0), 10.0)


def test_flat_plateau_drains_everything_d8_and_mfd():
    dem = np.full((6, 6), 5.0)
    dem[5, 0] = 4.0  # single outlet corner inside the raster
    for algo in ("d8", "mfd"):
        fa = flow_accumulation(dem, flow_dir=algo)
        # everything but the cells that drain off the raster edge ends in the outlet corner
        assert fa[5, 0] >= 1 and np.isfinite(fa).all()
    fa = flow_accumulation(dem, flow_dir="d8")
    assert fa.max() <= 36


def test_sdr_on_valley_is_bounded_and_streams_nan():
    r, c = np.mgrid[0:20, 0:15].astype(float)
    dem = 200.0 - 1.0 * r + 3.0 * np.abs(c - 7)
    bio = pd.DataFrame({"lucode": [1, 2], "usle_c": [0.3, 0.01], "usle_p": [1.0, 1.0]})
    lulc = np.where(c < 7, 1, 2)
    for algo in ("d8", "mfd"):
        res = sediment_delivery(dem, 500.0, 0.03, lulc, bio, cell_size=30.0,
                                threshold_flow_accumulation=40, flow_dir=algo, sdr_max=0.7)
        assert isinstance(res, SDRResult) and isinstance(res.rusle, RusleResult)
        off = ~res.streams & np.isfinite(res.sdr)
        assert np.all((res.sdr[off] > 0) & (res.sdr[off] < 0.7))
        assert np.all(res.sdr[res.streams] == 1)
        assert np.isnan(res.sed_export[res.streams]).all()
        assert np.nansum(res.sed_export) <= np.nansum(res.rusle.usle)
        frame = res.to_frame()
        assert len(frame) == dem.size and {"sdr", "sed_export", "stream"} <= set(frame.columns)
        assert "sediment export" in res.summary()
        assert "RUSLE" in res.rusle.summary() and len(res.rusle.to_frame()) == dem.size


# ----------------------------------------------------------------- errors, mutation


def test_missing_land_use_codes_are_listed():
    dem = np.tile(np.arange(5.0), (5, 1))
    lulc = np.array([[1, 2, 3, 9, 9]] * 5)
    bio = pd.DataFrame({"lucode": [1, 2], "usle_c": [0.1, 0.2], "usle_p": [1, 1]})
    with pytest.raises(InputError, match=r"3, 9.*lucode"):
        rusle(dem, 1.0, 1.0, lulc, bio, cell_size=10.0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"cell_size": 0.0}, "cell_size"),
        ({"flow_dir": "dinf"}, "flow_dir"),
        ({"erosivity": np.ones((2, 2))}, "erosivity has shape"),
        ({"lulc": np.ones((3, 3), int)}, "lulc has shape"),
        ({"biophysical": pd.DataFrame({"lucode": [1], "usle_c": [0.1]})}, "usle_p"),
        ({"biophysical": pd.DataFrame({"lucode": [1], "usle_c": [-0.1], "usle_p": [1]})}, "usle_c"),
        ({"erodibility": -np.ones((4, 4))}, r"erodibility: negative value at cell \(0, 0\)"),
        ({"threshold_flow_accumulation": 0}, "threshold"),
        ({"sdr_max": 1.5}, "sdr_max"),
        ({"k": 0}, "k must"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(dem=np.tile(np.arange(4.0), (4, 1)), erosivity=1.0, erodibility=1.0,
                lulc=np.ones((4, 4), int),
                biophysical=pd.DataFrame({"lucode": [1], "usle_c": [0.1], "usle_p": [1]}),
                cell_size=10.0, threshold_flow_accumulation=3)
    args.update(kwargs)
    with pytest.raises(InputError, match=match):
        sediment_delivery(**args)


def test_inputs_not_mutated(ref):
    dem = ref["dem"].astype(float)
    dem[0, 0] = -9999.0
    lulc = ref["lulc"].copy()
    er = ref["erosivity"].copy()
    bio = _bio(ref)
    copies = (dem.copy(), lulc.copy(), er.copy(), bio.copy())
    res = sediment_delivery(dem, er, ref["erodibility"], lulc, bio, cell_size=90.0,
                            threshold_flow_accumulation=40, dem_nodata=-9999.0)
    assert np.isnan(res.sdr[0, 0]) and np.isnan(res.rusle.ls[0, 0])
    np.testing.assert_array_equal(dem, copies[0])
    np.testing.assert_array_equal(lulc, copies[1])
    np.testing.assert_array_equal(er, copies[2])
    pd.testing.assert_frame_equal(bio, copies[3])
