"""Tests of regionkit.ecology.services: InVEST 3.20.2 reference runs and hand-computed cases.

The reference rasters in ``tests/reference/invest/`` were made by
``tests/reference/invest/make_reference.py`` with natcap.invest 3.20.2 (see its docstring
and each folder's ``provenance.json``); natcap.invest is not needed to run these tests.

InVEST stores its intermediate and output rasters as float32, so its values carry float32
rounding. Where that rounding is amplified (``1 − fractp`` in the water yield and
``1 − D^z / (D^z + k^z)`` near 1 in the quality) the tolerance is stated in float32 units
and a second test repeats InVEST's float32 arithmetic on our values to show that the
formulas agree exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from regionkit.ecology.services import (
    CarbonResult,
    HabitatQualityResult,
    WaterYieldResult,
    carbon_storage,
    habitat_quality,
    lookup,
    water_yield,
)
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "invest"
CELL = 28.5  # metres, the strata.tif grid
F32_ONE_ULP = 2.0**-23  # spacing of float32 numbers in [1, 2)


def _raster(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read(1)


def _nodata_to_nan(array: np.ndarray, nodata: float) -> np.ndarray:
    out = array.astype(np.float64)
    out[array == nodata] = np.nan
    return out


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def carbon_case():
    folder = REF / "carbon"
    lulc = _raster(folder / "lulc.tif")
    pools = pd.read_csv(folder / "carbon_pools.csv")
    ref = _nodata_to_nan(np.load(folder / "c_storage_bas.npy"), -1.0)
    summary = pd.read_csv(folder / "summary.csv")
    return lulc, pools, ref, summary


@pytest.fixture(scope="module")
def hq_case():
    folder = REF / "habitat_quality"
    lulc = _raster(folder / "lulc.tif")
    developed = _raster(folder / "developed.tif").astype(float)
    developed[developed == -1] = np.nan  # threat nodata: not a source, as in InVEST
    agriculture = _raster(folder / "agriculture.tif").astype(float)
    rows, cols = np.indices(lulc.shape)
    access = np.where((rows < 15) & (cols < 20), 0.5, 1.0)  # access.geojson, pixel-aligned
    threats = pd.read_csv(folder / "threats.csv")
    sensitivity = pd.read_csv(folder / "sensitivity.csv")
    nodata = float(np.finfo(np.float32).max)
    deg = np.load(folder / "deg_sum_c.npy")
    quality = np.load(folder / "quality_c.npy")
    return {
        "lulc": lulc,
        "threats": {"developed": developed, "agriculture": agriculture},
        "threat_table": threats,
        "sensitivity": sensitivity,
        "access": access,
        "deg32": deg,
        "quality32": quality,
        "deg": _nodata_to_nan(deg, nodata),
        "quality": _nodata_to_nan(quality, nodata),
    }


@pytest.fixture(scope="module")
def hq_result(hq_case) -> HabitatQualityResult:
    c = hq_case
    return habitat_quality(
        c["lulc"],
        c["threats"],
        c["threat_table"],
        c["sensitivity"],
        cell_size=CELL,
        half_saturation=0.1,
        access=c["access"],
        lulc_nodata=-1,
    )


@pytest.fixture(scope="module")
def wy_case():
    folder = REF / "water_yield"
    inputs = {name: _raster(folder / f"{name}.tif") for name in ("precip", "eto", "depth", "pawc")}
    return {
        "lulc": _raster(folder / "lulc.tif"),
        **inputs,
        "bio": pd.read_csv(folder / "biophysical.csv"),
        "wyield": _nodata_to_nan(np.load(folder / "wyield.npy"), -1.0),
        "aet": _nodata_to_nan(np.load(folder / "aet.npy"), -1.0),
        "fractp32": np.load(folder / "fractp.npy"),
        "fractp": _nodata_to_nan(np.load(folder / "fractp.npy"), -1.0),
    }


@pytest.fixture(scope="module")
def wy_result(wy_case) -> WaterYieldResult:
    c = wy_case
    return water_yield(
        c["lulc"],
        c["precip"],
        c["eto"],
        c["depth"],
        c["pawc"],
        c["bio"],
        seasonality=8.0,
        lulc_nodata=-1,
        nodata=-1,
    )


def _max_rel(ours: np.ndarray, ref: np.ndarray) -> float:
    both = np.isfinite(ref) & (ref != 0)
    return float(np.max(np.abs(ours[both] - ref[both]) / np.abs(ref[both])))


# --------------------------------------------------------------------------- InVEST: carbon


def test_carbon_matches_invest(carbon_case):
    lulc, pools, ref, summary = carbon_case
    area = CELL * CELL / 10_000
    res = carbon_storage(lulc, pools, cell_area_ha=area, lulc_nodata=-1)
    assert isinstance(res, CarbonResult)
    np.testing.assert_array_equal(np.isnan(res.total), np.isnan(ref))
    assert np.isnan(ref).sum() == 7
    # InVEST 3.20 writes Mg C/ha (float32); our per-cell stock is that times the cell area
    np.testing.assert_allclose(res.density, ref, rtol=1e-6)
    np.testing.assert_allclose(res.total, ref * area, rtol=1e-6)
    assert _max_rel(res.density, ref) < 2e-7  # measured 1.1e-7 (float32 storage)
    invest_total = float(summary.loc[0, "Total"])
    assert res.to_frame().loc["total", "stock_mg"] == pytest.approx(invest_total, rel=1e-6)


# --------------------------------------------------------------------------- InVEST: habitat quality


def test_habitat_quality_nodata_matches_invest(hq_case, hq_result):
    np.testing.assert_array_equal(np.isnan(hq_result.quality), np.isnan(hq_case["quality"]))
    np.testing.assert_array_equal(np.isnan(hq_result.degradation), np.isnan(hq_case["deg"]))
    assert np.isnan(hq_case["quality"]).sum() == 7


def test_habitat_degradation_matches_invest(hq_case, hq_result):
    ref = hq_case["deg"]
    np.testing.assert_allclose(hq_result.degradation, ref, rtol=1e-6, atol=0)
    assert _max_rel(hq_result.degradation, ref) < 1e-6  # measured 5.9e-7
    # the fixture is non-trivial: degraded, undegraded and decayed-to-zero cells
    assert np.nanmax(ref) > 0.5 and np.nanmedian(ref) > 0.1 and (ref == 0).any()


def test_habitat_quality_matches_invest(hq_case, hq_result):
    ref = hq_case["quality"]
    # 1e-6 relative, plus two float32 steps at 1.0 for InVEST's float32 cancellation in
    # 1 - D^z/(D^z + k^z) where the quality is small (measured max abs 2.0e-7)
    np.testing.assert_allclose(hq_result.quality, ref, rtol=1e-6, atol=2 * F32_ONE_ULP)
    good = ref >= 0.1
    assert good.sum() > 500
    np.testing.assert_allclose(hq_result.quality[good], ref[good], rtol=1e-6)


def test_habitat_quality_formula_is_invests_float32(hq_case):
    # InVEST's quality from its own float32 degradation, repeated in float32: bit-identical
    c = hq_case
    habitat = lookup(c["lulc"], c["sensitivity"], "habitat", lulc_nodata=-1).astype(np.float32)
    d = c["deg32"]
    ksq = 0.1**2.5
    with np.errstate(invalid="ignore", over="ignore"):
        q32 = habitat * (1 - (d**2.5) / (d**2.5 + ksq))
    valid = np.isfinite(c["quality"])
    np.testing.assert_array_equal(q32[valid], c["quality32"][valid])


def test_habitat_threat_table_summary(hq_result):
    frame = hq_result.to_frame()
    assert list(frame.index) == ["developed", "agriculture"]
    assert frame["weight_share"].to_numpy() == pytest.approx([1 / 1.6, 0.6 / 1.6])
    assert frame["degradation_share"].sum() == pytest.approx(1.0)
    total = sum(hq_result.threat_degradation.values())
    np.testing.assert_allclose(total, hq_result.degradation, rtol=1e-12)
    assert "Habitat quality on 1993 cells" in hq_result.summary()


# --------------------------------------------------------------------------- InVEST: water yield


def test_water_yield_nodata_matches_invest(wy_case, wy_result):
    ref = wy_case["wyield"]
    ours_nan = np.isnan(wy_result.wyield)
    # InVEST also writes nodata where P == 0 (cell (12, 20)); we return the limit P -> 0
    assert np.isnan(ref[12, 20]) and not ours_nan[12, 20]
    expected_nan = np.isnan(ref)
    expected_nan[12, 20] = False
    np.testing.assert_array_equal(ours_nan, expected_nan)
    assert expected_nan.sum() == 11  # 7 land-use + 4 climate nodata cells
    assert wy_result.wyield[12, 20] == 0 and wy_result.aet[12, 20] == 0
    assert wy_result.fraction[12, 20] == 1


def test_water_yield_fraction_matches_invest(wy_case, wy_result):
    ref = wy_case["fractp"]
    valid = np.isfinite(ref)  # all but InVEST's nodata (and its nodata on P = 0)
    # fractp is stored as float32 by InVEST: agreement to its rounding (measured 5.6e-8)
    np.testing.assert_allclose(wy_result.fraction[valid], ref[valid], rtol=1e-7)
    rounded = wy_result.fraction[valid].astype(np.float32)
    np.testing.assert_array_equal(rounded, wy_case["fractp32"][valid])


def test_water_yield_aet_matches_invest(wy_case, wy_result):
    ref = wy_case["aet"]
    valid = np.isfinite(ref)
    np.testing.assert_allclose(wy_result.aet[valid], ref[valid], rtol=1e-7)  # measured 5.6e-8
    emulated = wy_result.fraction.astype(np.float32).astype(float) * wy_case["precip"]
    np.testing.assert_array_equal(emulated[valid], ref[valid])


def test_water_yield_matches_invest(wy_case, wy_result):
    ref = wy_case["wyield"]
    precip = wy_case["precip"].astype(float)
    valid = np.isfinite(ref)
    # documented tolerance: 1e-6 relative plus P times one float32 rounding of fractp,
    # which InVEST's (1 - fractp) amplifies in dry cells (measured max rel 1.6e-6, max
    # abs 4.8e-5 mm; within 0.37 of this bound)
    bound = 1e-6 * np.abs(ref[valid]) + precip[valid] * 2.0**-24
    assert np.all(np.abs(wy_result.wyield[valid] - ref[valid]) <= bound)
    # InVEST's float32 arithmetic repeated on our fraction: identical
    f32 = wy_result.fraction.astype(np.float32)
    emulated = (np.float32(1) - f32).astype(float) * precip
    np.testing.assert_array_equal(emulated[valid], ref[valid])


def test_water_yield_fixture_exercises_every_branch(wy_case):
    c = wy_case
    veg = lookup(c["lulc"], c["bio"], "lulc_veg", lulc_nodata=-1)
    kc = lookup(c["lulc"], c["bio"], "kc", lulc_nodata=-1)
    root = lookup(c["lulc"], c["bio"], "root_depth", lulc_nodata=-1)
    p = np.where(c["precip"] > 0, c["precip"], np.nan)
    omega = np.minimum(root, c["depth"]) * c["pawc"] / p * 8.0 + 1.25
    pet = kc * c["eto"]
    ok = np.isfinite(c["wyield"])
    assert ((veg == 1) & (omega > 5) & ok).sum() > 100  # omega capped at 5
    assert ((veg == 1) & (omega < 5) & ok).sum() > 100
    assert ((veg == 0) & (pet > p) & ok).sum() > 100  # non-vegetated, AET = P
    assert ((veg == 0) & (pet < p) & ok).sum() > 100  # non-vegetated, AET = PET


# --------------------------------------------------------------------------- hand-computed


def test_lookup_maps_codes_and_nodata():
    table = pd.DataFrame({"lucode": [3, 1, 2], "v": [30.0, 10.0, 20.0]})
    lulc = np.array([[1, 2, 3], [3, 9, 1]])
    out = lookup(lulc, table, "v", lulc_nodata=9)
    np.testing.assert_array_equal(out, [[10, 20, 30], [30, np.nan, 10]])
    # float land use with NaN nodata and an index named lucode
    out = lookup(np.array([[1.0, np.nan]]), table.set_index("lucode"), "v")
    np.testing.assert_array_equal(out, [[10, np.nan]])


def test_carbon_hand_computed():
    pools = pd.DataFrame(
        {
            "lucode": [1, 2],
            "c_above": [10.0, 1.0],
            "c_below": [2.0, 0.0],
            "c_soil": [5.0, 3.0],
            "c_dead": [1.0, 0.0],
        }
    )
    res = carbon_storage(np.array([[1, 2, -9]]), pools, cell_area_ha=0.5, lulc_nodata=-9)
    np.testing.assert_array_equal(res.total, [[9.0, 2.0, np.nan]])
    np.testing.assert_array_equal(res.density, [[18.0, 4.0, np.nan]])
    np.testing.assert_array_equal(res.above, [[5.0, 0.5, np.nan]])
    frame = res.to_frame()
    assert frame.loc["total", "stock_mg"] == 11.0
    assert frame.loc["c_soil", "stock_mg"] == 4.0
    assert frame.loc["total", "mean_density_mg_per_ha"] == 11.0
    assert "11.0 Mg C on 2 cells" in res.summary()
    # a per-cell area (geographic grids)
    res = carbon_storage(np.array([[1, 2]]), pools, cell_area_ha=np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(res.total, [[18.0, 8.0]])


def test_habitat_quality_hand_computed_linear_and_exponential():
    # one row; the threat source at col 0; cells 10 m wide; threat reaches 40 m
    lulc = np.array([[2, 1, 1, 1, 1, 1]])
    source = (lulc == 2).astype(float)
    sens = pd.DataFrame({"lucode": [1, 2], "habitat": [1.0, 0.0], "t": [0.5, 0.0]})
    for decay, expected in [
        ("linear", [1 - d / 40 if d <= 40 else 0.0 for d in range(0, 60, 10)]),
        ("exponential", [np.exp(-2.99 * d / 40) if d <= 40 else 0.0 for d in range(0, 60, 10)]),
    ]:
        table = pd.DataFrame(
            {"threat": ["t"], "max_dist": [40.0], "weight": [0.7], "decay": [decay]}
        )
        res = habitat_quality(lulc, {"t": source}, table, sens, cell_size=10.0, half_saturation=0.3)
        d = 0.5 * np.array(expected)  # weight share 1, sensitivity 0.5
        d[0] = 0.0  # the source cell is land use 2 (sensitivity 0)
        np.testing.assert_allclose(res.degradation[0], d, rtol=1e-12)
        q = 1 - d**2.5 / (d**2.5 + 0.3**2.5)
        q[0] = 0.0  # not habitat
        np.testing.assert_allclose(res.quality[0], q, rtol=1e-12)


def test_habitat_quality_two_threats_weights_and_access():
    lulc = np.ones((1, 3), dtype=int)
    a = np.array([[1.0, 0.0, 0.0]])
    b = np.array([[0.0, 0.0, 0.2]])  # intensity does not scale the impact (InVEST 3.20)
    table = pd.DataFrame(
        {
            "threat": ["a", "b"],
            "max_dist": [20.0, 20.0],
            "weight": [0.3, 0.1],
            "decay": ["linear", "linear"],
        }
    )
    sens = pd.DataFrame({"lucode": [1], "habitat": [0.8], "a": [1.0], "b": [1.0]})
    access = np.array([[1.0, 0.5, 1.0]])
    res = habitat_quality(
        lulc, {"a": a, "b": b}, table, sens, cell_size=10.0, half_saturation=0.5, access=access
    )
    # distances to a: 0, 10, 20 m -> 1, 0.5, 0; to b: 20, 10, 0 -> 0, 0.5, 1
    expected = np.array([0.75 * 1 + 0.25 * 0, (0.75 * 0.5 + 0.25 * 0.5) * 0.5, 0.25 * 1])
    np.testing.assert_allclose(res.degradation[0], expected, rtol=1e-12)
    np.testing.assert_allclose(res.threat_degradation["b"][0], [0, 0.0625, 0.25], rtol=1e-12)
    q = 0.8 * (1 - expected**2.5 / (expected**2.5 + 0.5**2.5))
    np.testing.assert_allclose(res.quality[0], q, rtol=1e-12)


def test_habitat_quality_rectangular_cells_use_metres():
    lulc = np.ones((5, 5), dtype=int)
    source = np.zeros((5, 5))
    source[2, 2] = 1.0
    table = pd.DataFrame(
        {"threat": ["t"], "max_dist": [100.0], "weight": [1.0], "decay": ["linear"]}
    )
    sens = pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]})
    res = habitat_quality(
        lulc, {"t": source}, table, sens, cell_size=(30.0, 10.0), half_saturation=0.5
    )
    rows, cols = np.indices((5, 5))
    dist = np.hypot((rows - 2) * 30.0, (cols - 2) * 10.0)
    np.testing.assert_allclose(res.degradation, np.clip(1 - dist / 100, 0, None), rtol=1e-12)


def test_habitat_quality_threat_without_sources_degrades_nothing():
    lulc = np.ones((3, 3), dtype=int)
    table = pd.DataFrame(
        {"threat": ["t"], "max_dist": [1e6], "weight": [1.0], "decay": ["exponential"]}
    )
    sens = pd.DataFrame({"lucode": [1], "habitat": [0.9], "t": [1.0]})
    res = habitat_quality(
        lulc, {"t": np.zeros((3, 3))}, table, sens, cell_size=1.0, half_saturation=0.5
    )
    np.testing.assert_array_equal(res.degradation, 0.0)
    np.testing.assert_array_equal(res.quality, 0.9)


def test_water_yield_hand_computed():
    bio = pd.DataFrame(
        {
            "lucode": [1, 2, 3],
            "lulc_veg": [1, 0, 0],
            "root_depth": [500.0, np.nan, np.nan],
            "kc": [0.8, 0.5, 1.5],
        }
    )
    lulc = np.array([[1, 2, 3, 1]])
    p = np.array([[1000.0, 1000.0, 1000.0, 100.0]])
    et0 = np.full((1, 4), 1000.0)
    depth = np.array([[400.0, 400.0, 400.0, 2000.0]])
    pawc = np.full((1, 4), 0.25)
    res = water_yield(lulc, p, et0, depth, pawc, bio, seasonality=4.0)
    # vegetated: AWC = min(500, 400) 0.25 = 100 mm, omega = 100/1000 * 4 + 1.25 = 1.65
    phi = 0.8
    aet_p = 1 + phi - (1 + phi**1.65) ** (1 / 1.65)
    # last cell: AWC = 125, omega = 125/100 * 4 + 1.25 = 6.25 -> capped at 5; phi = 8
    aet_p2 = min(8.0, 1 + 8 - (1 + 8.0**5) ** (1 / 5))
    expected = np.array([[aet_p, 0.5, 1.0, aet_p2]])
    np.testing.assert_allclose(res.fraction, expected, rtol=1e-14)
    np.testing.assert_allclose(res.aet, expected * p, rtol=1e-14)
    np.testing.assert_allclose(res.wyield, (1 - expected) * p, rtol=1e-12)
    np.testing.assert_allclose(res.pet, [[800.0, 500.0, 1500.0, 800.0]])
    frame = res.to_frame()
    assert frame.loc["wyield", "n_cells"] == 4
    assert "Annual water yield on 4 cells" in res.summary()


def test_water_yield_is_per_cell(wy_case, wy_result):
    # the result of a window equals the window of the result (block-wise processing)
    c = wy_case
    window = (slice(7, 23), slice(11, 37))
    part = water_yield(
        c["lulc"][window],
        c["precip"][window],
        c["eto"][window],
        c["depth"][window],
        c["pawc"][window],
        c["bio"],
        seasonality=8.0,
        lulc_nodata=-1,
        nodata=-1,
    )
    np.testing.assert_array_equal(part.wyield, wy_result.wyield[window])
    np.testing.assert_array_equal(part.fraction, wy_result.fraction[window])


def test_nodata_propagates_in_every_model():
    lulc = np.array([[1, -1], [1, 1]])
    pools = pd.DataFrame(
        {"lucode": [1], "c_above": [1.0], "c_below": [1.0], "c_soil": [1.0], "c_dead": [1.0]}
    )
    assert np.isnan(carbon_storage(lulc, pools, cell_area_ha=1.0, lulc_nodata=-1).total[0, 1])
    bio = pd.DataFrame({"lucode": [1], "lulc_veg": [1], "root_depth": [1000.0], "kc": [1.0]})
    p = np.array([[800.0, 800.0], [np.nan, 800.0]])
    e = np.array([[900.0, 900.0], [900.0, -5.0]])
    res = water_yield(
        lulc,
        p,
        e,
        np.full((2, 2), 500.0),
        np.full((2, 2), 0.1),
        bio,
        seasonality=3.0,
        lulc_nodata=-1,
        nodata=-5.0,
    )
    np.testing.assert_array_equal(np.isnan(res.wyield), [[False, True], [True, True]])
    np.testing.assert_array_equal(np.isnan(res.aet), np.isnan(res.wyield))
    table = pd.DataFrame(
        {"threat": ["t"], "max_dist": [10.0], "weight": [1.0], "decay": ["linear"]}
    )
    sens = pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]})
    hq = habitat_quality(
        lulc,
        {"t": np.array([[0.0, 1.0], [0.0, 0.0]])},
        table,
        sens,
        cell_size=10.0,
        half_saturation=0.5,
        lulc_nodata=-1,
    )
    np.testing.assert_array_equal(np.isnan(hq.quality), [[False, True], [False, False]])
    # the threat on the nodata cell still degrades its neighbours, as in InVEST
    assert hq.degradation[0, 0] == 0.0 and hq.degradation[1, 1] == 0.0
    assert np.isfinite(hq.degradation[1, 0])


# --------------------------------------------------------------------------- bad input


def _pools() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "lucode": [1, 2],
            "c_above": [1.0, 2.0],
            "c_below": [0.0, 0.0],
            "c_soil": [0.0, 0.0],
            "c_dead": [0.0, 0.0],
        }
    )


def test_missing_land_use_code_is_named():
    with pytest.raises(InputError, match=r"land-use code\(s\) 5, 7 occur in lulc"):
        carbon_storage(np.array([[1, 5, 7]]), _pools(), cell_area_ha=1.0)
    with pytest.raises(InputError, match="sensitivity table"):
        habitat_quality(
            np.array([[1, 3]]),
            {"t": np.zeros((1, 2))},
            pd.DataFrame(
                {"threat": ["t"], "max_dist": [1.0], "weight": [1.0], "decay": ["linear"]}
            ),
            pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]}),
            cell_size=1.0,
            half_saturation=0.5,
        )


def test_missing_column_and_bad_table_values():
    with pytest.raises(InputError, match="c_dead"):
        carbon_storage(np.array([[1]]), _pools().drop(columns="c_dead"), cell_area_ha=1.0)
    pools = _pools()
    pools.loc[0, "c_soil"] = -3.0
    with pytest.raises(InputError, match=r"'c_soil' is negative for land-use code\(s\) \[1\]"):
        carbon_storage(np.array([[1, 2]]), pools, cell_area_ha=1.0)
    with pytest.raises(InputError, match="more than once"):
        carbon_storage(np.array([[1]]), pd.concat([_pools(), _pools()]), cell_area_ha=1.0)
    pools = _pools()
    pools.loc[1, "c_above"] = np.nan
    with pytest.raises(InputError, match=r"non-finite for land-use code\(s\) \[2\]"):
        carbon_storage(np.array([[2]]), pools, cell_area_ha=1.0)
    # a bad value for a code absent from the raster is fine
    carbon_storage(np.array([[1]]), pools, cell_area_ha=1.0)


def test_shape_mismatch():
    bio = pd.DataFrame({"lucode": [1], "lulc_veg": [1], "root_depth": [1.0], "kc": [1.0]})
    ones = np.ones((2, 2))
    with pytest.raises(InputError, match=r"et0 has shape \(2, 3\) but lulc has shape \(2, 2\)"):
        water_yield(
            np.ones((2, 2), dtype=int),
            ones,
            np.ones((2, 3)),
            ones,
            ones * 0.1,
            bio,
            seasonality=5.0,
        )
    with pytest.raises(InputError, match="threat raster 't' has shape"):
        habitat_quality(
            np.ones((2, 2), dtype=int),
            {"t": np.zeros((3, 2))},
            pd.DataFrame(
                {"threat": ["t"], "max_dist": [1.0], "weight": [1.0], "decay": ["linear"]}
            ),
            pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]}),
            cell_size=1.0,
            half_saturation=0.5,
        )
    with pytest.raises(InputError, match="2-D"):
        carbon_storage(np.ones(3, dtype=int), _pools(), cell_area_ha=1.0)


def test_negative_precipitation_and_bad_water_inputs():
    bio = pd.DataFrame({"lucode": [1], "lulc_veg": [1], "root_depth": [1.0], "kc": [1.0]})
    lulc = np.ones((2, 2), dtype=int)
    good = np.full((2, 2), 500.0)
    p = good.copy()
    p[1, 0] = -2.0
    with pytest.raises(InputError, match=r"precipitation must be >= 0.*\(row 1, col 0\) = -2"):
        water_yield(lulc, p, good, good, good * 0.0002, bio, seasonality=5.0)
    with pytest.raises(InputError, match="pawc must be a fraction"):
        water_yield(lulc, good, good, good, good, bio, seasonality=5.0)
    with pytest.raises(InputError, match="seasonality"):
        water_yield(lulc, good, good, good, good * 0.0002, bio, seasonality=0.0)
    bad_bio = bio.assign(lulc_veg=[2])
    with pytest.raises(InputError, match="lulc_veg must be 0 or 1"):
        water_yield(lulc, good, good, good, good * 0.0002, bad_bio, seasonality=5.0)
    with pytest.raises(InputError, match=r"non-integer value\(s\) at \(row 0, col 1\)"):
        water_yield(
            np.array([[1.0, 1.5], [1.0, 1.0]]),
            good,
            good,
            good,
            good * 0.0002,
            bio,
            seasonality=5.0,
        )


def test_unknown_decay_type_and_bad_threats():
    lulc = np.ones((2, 2), dtype=int)
    sens = pd.DataFrame({"lucode": [1], "habitat": [1.0], "t": [1.0]})

    def table(**kw):
        base = {"threat": ["t"], "max_dist": [100.0], "weight": [1.0], "decay": ["linear"]}
        base.update(kw)
        return pd.DataFrame(base)

    def run(tbl, threats=None, half_saturation=0.5):
        return habitat_quality(
            lulc,
            threats or {"t": np.zeros((2, 2))},
            tbl,
            sens,
            cell_size=10.0,
            half_saturation=half_saturation,
        )

    with pytest.raises(InputError, match=r"decay of threat 't'='gaussian' is not allowed"):
        run(table(decay=["gaussian"]))
    with pytest.raises(InputError, match="max_dist of threat 't'"):
        run(table(max_dist=[0.0]))
    with pytest.raises(InputError, match="weights sum to 0"):
        run(table(weight=[0.0]))
    with pytest.raises(InputError, match=r"threat raster 't' must hold values in \[0, 1\]"):
        run(table(), {"t": np.array([[0.0, 2.0], [0.0, 0.0]])})
    with pytest.raises(InputError, match="have no raster"):
        run(table(), {"u": np.zeros((2, 2))})
    with pytest.raises(InputError, match=r"column\(s\) 't' not found"):
        habitat_quality(
            lulc,
            {"t": np.zeros((2, 2))},
            table(),
            sens.drop(columns="t"),
            cell_size=10.0,
            half_saturation=0.5,
        )
    with pytest.raises(InputError, match="half_saturation"):
        run(table(), half_saturation=-1.0)
    with pytest.raises(InputError, match="cell_size"):
        habitat_quality(
            lulc, {"t": np.zeros((2, 2))}, table(), sens, cell_size=(1, 2, 3), half_saturation=0.5
        )
    # capitalised decay names (InVEST tables) are accepted
    run(table(decay=["Exponential"]))


def test_inputs_are_not_mutated(hq_case, wy_case, carbon_case):
    def snapshot(obj):
        if isinstance(obj, pd.DataFrame):
            return obj.copy(deep=True)
        if isinstance(obj, dict):
            return {k: snapshot(v) for k, v in obj.items()}
        return np.array(obj, copy=True)

    def same(a, b):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        elif isinstance(a, dict):
            for k in a:
                same(a[k], b[k])
        else:
            np.testing.assert_array_equal(a, b)

    c = hq_case
    args = [c["lulc"], c["threats"], c["threat_table"], c["sensitivity"], c["access"]]
    before = [snapshot(a) for a in args]
    habitat_quality(
        c["lulc"],
        c["threats"],
        c["threat_table"],
        c["sensitivity"],
        cell_size=CELL,
        half_saturation=0.1,
        access=c["access"],
        lulc_nodata=-1,
    )
    for a, b in zip(args, before, strict=True):
        same(a, b)

    w = wy_case
    args = [w["lulc"], w["precip"], w["eto"], w["depth"], w["pawc"], w["bio"]]
    before = [snapshot(a) for a in args]
    water_yield(*args, seasonality=8.0, lulc_nodata=-1, nodata=-1)
    for a, b in zip(args, before, strict=True):
        same(a, b)

    lulc, pools, _, _ = carbon_case
    before = [snapshot(lulc), snapshot(pools)]
    carbon_storage(lulc, pools, cell_area_ha=0.1, lulc_nodata=-1)
    same(lulc, before[0])
    same(pools, before[1])


def test_result_arrays_are_read_only(wy_result, hq_result):
    with pytest.raises(ValueError):
        wy_result.wyield[0, 0] = 1.0
    with pytest.raises(ValueError):
        hq_result.quality[0, 0] = 1.0


def test_fixture_size_is_small():
    total = sum(p.stat().st_size for p in REF.rglob("*") if p.is_file())
    assert total < 1.5 * 2**20
