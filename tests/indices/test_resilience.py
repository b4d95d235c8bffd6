"""Tests of regionkit.indices.resilience (Martin et al. 2016 resistance/recovery, Martin 2012 sensitivity)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from regionkit.errors import ComputationError, InputError
from regionkit.indices.resilience import (
    IndustryMixResult,
    ResilienceResult,
    resilience,
    resilience_industry_mix,
    resilience_windows,
    sensitivity_index,
)


def _wide(data: dict[int, list[float]], regions: list[str]) -> pd.DataFrame:
    return pd.DataFrame(data, index=pd.Index(regions, name="region"))


@pytest.fixture
def contraction() -> pd.DataFrame:
    # total 200 -> 150: g_r = -50/200 = -0.25
    # A: dY = -25, dE = -0.25*100 = -25  -> index (-25+25)/25     = 0
    # B: dY =  -5, dE = -0.25*50 = -12.5 -> index (-5+12.5)/12.5  = 0.6
    # C: dY = -20, dE = -12.5            -> index (-20+12.5)/12.5 = -0.6
    return _wide({2007: [100.0, 50.0, 50.0], 2008: [90.0, 48.0, 40.0], 2009: [75.0, 45.0, 30.0]},
                 ["A", "B", "C"])


# ============================================================ hand-computed
def test_resistance_total_hand_computed(contraction: pd.DataFrame) -> None:
    res = resilience(contraction, start=2007, end=2009)
    assert isinstance(res, ResilienceResult)
    assert (res.start, res.end, res.kind) == (2007, 2009, "resistance")
    assert res.reference == "total of all regions"
    f = res.frame
    assert list(f.columns) == ["y_start", "y_end", "delta_y", "reference_growth", "expected_change", "index"]
    assert f["reference_growth"].tolist() == pytest.approx([-0.25] * 3)
    assert f["delta_y"].tolist() == pytest.approx([-25.0, -5.0, -20.0])
    assert f["expected_change"].tolist() == pytest.approx([-25.0, -12.5, -12.5])
    assert f["index"].tolist() == pytest.approx([0.0, 0.6, -0.6], abs=1e-12)


def test_recovery_against_series_hand_computed() -> None:
    # reference US: 200 -> 240, g_r = 0.2 (recovery)
    # A: 100 -> 130: dY = 30, dE = 20 -> index (30-20)/20 = 0.5
    # B:  50 ->  55: dY =  5, dE = 10 -> index (5-10)/10  = -0.5
    # C:  50 ->  60: dY = 10, dE = 10 -> index 0
    wide = _wide({2009: [100.0, 50.0, 50.0], 2012: [130.0, 55.0, 60.0]}, ["A", "B", "C"])
    us = pd.Series({2009: 200.0, 2010: 1.0, 2012: 240.0}, name="US")
    res = resilience(wide, start=2009, end=2012, reference=us)
    assert res.kind == "recovery"
    assert res.reference == "reference series 'US'"
    assert res.frame["expected_change"].tolist() == pytest.approx([20.0, 10.0, 10.0])
    assert res.frame["index"].tolist() == pytest.approx([0.5, -0.5, 0.0], abs=1e-12)


def test_group_reference_hand_computed() -> None:
    # group N = {A, B}: 200 -> 160, g = -0.2; dE_A = dE_B = -20
    #   A: dY = -10 -> (-10+20)/20 = 0.5;  B: dY = -30 -> (-30+20)/20 = -0.5
    # group S = {C, D}: 100 -> 110, g = 0.1; dE_C = 4, dE_D = 6
    #   C: dY = 10 -> (10-4)/4 = 1.5;      D: dY = 0 -> (0-6)/6 = -1
    # all regions 300 -> 270: the window is a contraction ("resistance")
    wide = _wide({2000: [100.0, 100.0, 40.0, 60.0], 2003: [90.0, 70.0, 50.0, 60.0]},
                 ["A", "B", "C", "D"])
    groups = pd.Series({"D": "S", "C": "S", "B": "N", "A": "N", "Z": "N"}, name="bea_region")
    res = resilience(wide, start=2000, end=2003, reference="group", groups=groups)
    assert res.kind == "resistance"
    assert "group" in res.reference and "bea_region" in res.reference
    assert res.frame["reference_growth"].tolist() == pytest.approx([-0.2, -0.2, 0.1, 0.1])
    assert res.frame["expected_change"].tolist() == pytest.approx([-20.0, -20.0, 4.0, 6.0])
    assert res.frame["index"].tolist() == pytest.approx([0.5, -0.5, 1.5, -1.0])
    # invariant per group: sum of (dY - dE) is 0 within every group
    gap = (res.frame["delta_y"] - res.frame["expected_change"]).groupby(groups.loc[wide.index]).sum()
    assert gap.abs().max() < 1e-12


def test_mean_reference_hand_computed_and_equal_to_total() -> None:
    # per-capita income: mean 20 -> 70/3, g = (70/3 - 20)/20 = 1/6
    # A: dY = 2, dE = 10/6 -> (2 - 5/3)/(5/3) = 0.2
    # B: dY = 2, dE = 20/6 -> (2 - 10/3)/(10/3) = -0.4
    # C: dY = 6, dE = 30/6 = 5 -> (6-5)/5 = 0.2
    wide = _wide({1990: [10.0, 20.0, 30.0], 1995: [12.0, 22.0, 36.0]}, ["A", "B", "C"])
    res = resilience(wide, start=1990, end=1995, reference="mean")
    assert res.reference == "unweighted mean of all regions"
    assert res.frame["reference_growth"].iloc[0] == pytest.approx(1 / 6)
    assert res.frame["index"].tolist() == pytest.approx([0.2, -0.4, 0.2])
    # the mean of the same regions grows at the rate of their total
    total = resilience(wide, start=1990, end=1995, reference="total")
    np.testing.assert_allclose(res.frame["index"], total.frame["index"], rtol=1e-12)


def test_kind_given_overrides_inference(contraction: pd.DataFrame) -> None:
    res = resilience(contraction, start=2007, end=2009, kind="recovery")
    assert res.kind == "recovery"
    assert res.frame["index"].tolist() == pytest.approx([0.0, 0.6, -0.6], abs=1e-12)


def test_sensitivity_hand_computed(contraction: pd.DataFrame) -> None:
    # g_r = -0.25; growth A = -0.25 -> beta 1; B = -0.1 -> 0.4; C = -0.4 -> 1.6
    res = sensitivity_index(contraction, start=2007, end=2009)
    assert res.kind == "resistance"
    assert res.frame["growth"].tolist() == pytest.approx([-0.25, -0.1, -0.4])
    assert res.frame["beta"].tolist() == pytest.approx([1.0, 0.4, 1.6])
    assert "1 of 3 regions have beta > 1" in res.summary()
    out = res.to_frame()
    assert list(out.columns[:3]) == ["start", "end", "kind"]


def test_windows_rolling_hand_computed() -> None:
    # 2000 -> 2001: total 200 -> 170, g = -0.15, dE_A = dE_B = -15
    #   A: dY = -20 -> -5/15 = -1/3;   B: dY = -10 -> 5/15 = 1/3
    # 2001 -> 2002: total 170 -> 200, g = 3/17
    #   A: dE = 80*3/17 = 240/17, dY = 20 -> (340-240)/240 = 5/12
    #   B: dE = 90*3/17 = 270/17, dY = 10 -> (170-270)/270 = -10/27
    wide = _wide({2000: [100.0, 100.0], 2001: [80.0, 90.0], 2002: [100.0, 100.0]}, ["A", "B"])
    res = resilience_windows(wide, rolling=1)
    assert res.windows == [(2000, 2001), (2001, 2002)]
    assert list(res.table.columns) == ["region", "start", "end", "kind", "reference_growth", "index"]
    w = res.wide()
    assert list(w.index) == ["A", "B"]
    assert w.loc["A", (2000, 2001)] == pytest.approx(-1 / 3)
    assert w.loc["B", (2000, 2001)] == pytest.approx(1 / 3)
    assert w.loc["A", (2001, 2002)] == pytest.approx(5 / 12)
    assert w.loc["B", (2001, 2002)] == pytest.approx(-10 / 27)
    kinds = res.table.drop_duplicates(["start", "end"])["kind"].tolist()
    assert kinds == ["resistance", "recovery"]
    explicit = resilience_windows(wide, windows=[(2001, 2002), (2000, 2001)])
    assert explicit.windows == [(2001, 2002), (2000, 2001)]
    assert explicit.wide().loc["A", (2001, 2002)] == pytest.approx(5 / 12)
    assert "2000→2001 (resistance)" in res.summary()


def test_industry_mix_hand_computed_default_national() -> None:
    # national (column sums): manu 80 -> 60, g = -0.25; serv 120 -> 124, g = 1/30
    # A: dE = 60*(-0.25) + 40/30 = -41/3, dY = 85 - 100 = -15 -> (-15 + 41/3)/(41/3) = -4/41
    # B: dE = 20*(-0.25) + 80/30 = -7/3,  dY = 99 - 100 = -1  -> (-1 + 7/3)/(7/3)    = 4/7
    # aggregate: 200 -> 184, g_N = -0.08; dE_agg = -8 for both
    #   A: (-15 + 8)/8 = -0.875;  B: (-1 + 8)/8 = 0.875
    s = pd.DataFrame({"manu": [60.0, 20.0], "serv": [40.0, 80.0]}, index=["A", "B"])
    e = pd.DataFrame({"serv": [84.0, 40.0], "manu": [15.0, 45.0]}, index=["B", "A"])  # other order
    res = resilience_industry_mix(s, e, start=2007, end=2009)
    assert isinstance(res, IndustryMixResult)
    assert res.kind == "resistance"
    assert res.national_growth == pytest.approx(-0.08)
    assert res.industry_growth.to_dict() == pytest.approx({"manu": -0.25, "serv": 1 / 30})
    f = res.frame
    assert list(f.columns) == ["y_start", "y_end", "delta_y", "expected_change",
                               "expected_change_aggregate", "index", "index_aggregate"]
    assert f["expected_change"].tolist() == pytest.approx([-41 / 3, -7 / 3])
    assert f["index"].tolist() == pytest.approx([-4 / 41, 4 / 7])
    assert f["expected_change_aggregate"].tolist() == pytest.approx([-8.0, -8.0])
    assert f["index_aggregate"].tolist() == pytest.approx([-0.875, 0.875])
    # invariant with national = sum of the regions: sum_i dE_i = sum_i dY_i
    assert (f["delta_y"] - f["expected_change"]).sum() == pytest.approx(0.0, abs=1e-12)
    assert "Industry-mix resistance 2007→2009" in res.summary()


def test_industry_mix_hand_computed_given_national() -> None:
    # national manu 100 -> 80 (g = -0.2), serv 200 -> 230 (g = 0.15); "agri" not in the tables: ignored
    # g_N = (310 - 300)/300 = 1/30 > 0: recovery
    # A: dE = 60*(-0.2) + 40*0.15 = -6, dY = -15 -> (-15+6)/6 = -1.5
    # B: dE = 20*(-0.2) + 80*0.15 = 8,  dY = -1  -> (-1-8)/8  = -1.125
    # aggregate: dE_agg = 100/30 for both -> (-15 - 10/3)/(10/3) = -5.5, (-1 - 10/3)/(10/3) = -1.3
    s = pd.DataFrame({"manu": [60.0, 20.0], "serv": [40.0, 80.0]}, index=["A", "B"])
    e = pd.DataFrame({"manu": [45.0, 15.0], "serv": [40.0, 84.0]}, index=["A", "B"])
    ns = pd.Series({"agri": 5.0, "manu": 100.0, "serv": 200.0}, name="US")
    ne = pd.Series({"agri": 0.0, "manu": 80.0, "serv": 230.0})
    res = resilience_industry_mix(s, e, national_start=ns, national_end=ne)
    assert res.kind == "recovery"
    assert res.national == "national series 'US'"
    assert res.frame["index"].tolist() == pytest.approx([-1.5, -1.125])
    assert res.frame["index_aggregate"].tolist() == pytest.approx([-5.5, -1.3])
    assert res.to_frame()["start"].isna().all()  # no years given: labels only


def test_inputs_not_mutated(contraction: pd.DataFrame) -> None:
    before = contraction.copy()
    groups = pd.Series({"A": 1, "B": 1, "C": 2})
    g_before = groups.copy()
    res = resilience(contraction, start=2007, end=2009, reference="group", groups=groups)
    res.frame.loc["A", "index"] = 99.0  # the result is independent of the input
    resilience_windows(contraction, rolling=1)
    sensitivity_index(contraction, start=2007, end=2008)
    pd.testing.assert_frame_equal(contraction, before)
    pd.testing.assert_series_equal(groups, g_before)


def test_summary_and_to_frame(contraction: pd.DataFrame) -> None:
    res = resilience(contraction, start=2007, end=2009)
    text = res.summary()
    assert "Resistance 2007→2009" in text and "1 of 3 regions" in text and "highest B" in text
    out = res.to_frame()
    assert out[["start", "end", "kind"]].iloc[0].tolist() == [2007, 2009, "resistance"]
    out.loc["A", "index"] = 5.0
    assert res.frame.loc["A", "index"] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(AttributeError):
        res.kind = "recovery"  # type: ignore[misc]


# ================================================================ invariants
@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1.0, 1e6), st.floats(1.0, 1e6)), min_size=2, max_size=7),
)
def test_total_reference_gaps_sum_to_zero(rows: list[tuple[float, float]]) -> None:
    wide = _wide({2000: [r[0] for r in rows], 2005: [r[1] for r in rows]},
                 [f"R{i}" for i in range(len(rows))])
    total_change = wide[2005].sum() - wide[2000].sum()
    assume(abs(total_change) > 1e-6 * wide[2000].sum())
    f = resilience(wide, start=2000, end=2005).frame
    # sum_i dE_i = g_r * sum_i Y_i^s = sum_i dY_i
    scale = (f["delta_y"].abs() + f["expected_change"].abs()).sum()
    assert abs((f["delta_y"] - f["expected_change"]).sum()) <= 1e-12 * scale


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.floats(1.0, 1e6), st.floats(1.0, 1e6)), min_size=2, max_size=7),
    st.floats(1e-3, 1e3),
    st.sampled_from(["total", "mean", "series", "group"]),
)
def test_index_invariant_to_scaling(rows: list[tuple[float, float]], c: float, ref: str) -> None:
    regions = [f"R{i}" for i in range(len(rows))]
    wide = _wide({2000: [r[0] for r in rows], 2005: [r[1] for r in rows]}, regions)
    nat = pd.Series({2000: 3e6, 2005: 3.3e6}, name="N")
    groups = pd.Series([i % 2 for i in range(len(rows))], index=regions)
    sums = wide.groupby(groups).sum()
    assume(((sums[2005] - sums[2000]).abs() > 1e-3 * sums[2000]).all())
    # the reference change (total of all regions) must not vanish either, or the index is undefined
    assume(abs(wide[2005].sum() - wide[2000].sum()) > 1e-3 * wide[2000].sum())

    def run(w: pd.DataFrame, k: float) -> pd.Series:
        if ref == "series":
            return resilience(w, start=2000, end=2005, reference=nat * k).frame["index"]
        if ref == "group":
            return resilience(w, start=2000, end=2005, reference="group", groups=groups).frame["index"]
        return resilience(w, start=2000, end=2005, reference=ref).frame["index"]  # type: ignore[arg-type]

    np.testing.assert_allclose(run(wide * c, c), run(wide, 1.0), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(2, 4),
    st.data(),
    st.floats(1e-3, 1e3),
)
def test_industry_mix_invariant_to_scaling(n_reg: int, n_ind: int, data: st.DataObject, c: float) -> None:
    cells = st.lists(st.floats(1.0, 1e5), min_size=n_reg * n_ind, max_size=n_reg * n_ind)
    regions = [f"R{i}" for i in range(n_reg)]
    industries = [f"I{j}" for j in range(n_ind)]
    s = pd.DataFrame(np.reshape(data.draw(cells), (n_reg, n_ind)), index=regions, columns=industries)
    e = pd.DataFrame(np.reshape(data.draw(cells), (n_reg, n_ind)), index=regions, columns=industries)
    assume(abs(e.to_numpy().sum() / s.to_numpy().sum() - 1) > 1e-3)
    growth = e.sum() / s.sum() - 1
    expected = s.mul(growth, axis=1).sum(axis=1)
    assume((expected.abs() > 1e-3 * s.sum(axis=1)).all())
    base = resilience_industry_mix(s, e).frame
    scaled = resilience_industry_mix(s * c, e * c).frame
    np.testing.assert_allclose(scaled["index"], base["index"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(scaled["index_aggregate"], base["index_aggregate"], rtol=1e-9, atol=1e-9)
    # national = sum of the regions: industry-mix expectations add up to the actual total change
    gap = (base["delta_y"] - base["expected_change"]).sum()
    assert abs(gap) <= 1e-9 * (base["delta_y"].abs().sum() + base["expected_change"].abs().sum())


# ==================================================================== errors
def test_error_year_not_in_table(contraction: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"start year 2030 is not among the table's years \(2007–2009, 3 years\)"):
        resilience(contraction, start=2030, end=2009)
    with pytest.raises(InputError, match=r"end year 2010 is not among"):
        sensitivity_index(contraction, start=2007, end=2010)


def test_error_start_not_before_end(contraction: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="start year 2009 must be before end year 2007"):
        resilience(contraction, start=2009, end=2007)
    with pytest.raises(InputError, match="start year 2008 must be before end year 2008"):
        resilience(contraction, start=2008, end=2008)


def test_error_missing_and_suppressed_values(contraction: pd.DataFrame) -> None:
    bad = contraction.astype(object)
    bad.loc["B", 2009] = "(D)"
    with pytest.raises(InputError, match=r"region 'B', year 2009 = '\(D\)'"):
        resilience(bad, start=2007, end=2009)
    nan = contraction.copy()
    nan.loc["C", 2007] = np.nan
    with pytest.raises(InputError, match=r"region 'C', year 2007 = nan"):
        resilience(nan, start=2007, end=2009)
    # a missing value outside the window does not matter
    nan2 = contraction.copy()
    nan2.loc["C", 2008] = np.nan
    assert resilience(nan2, start=2007, end=2009).frame["index"].notna().all()


def test_error_nonpositive_start(contraction: pd.DataFrame) -> None:
    zero = contraction.copy()
    zero.loc["A", 2007] = 0.0
    with pytest.raises(InputError, match=r"region 'A', year 2007 = 0"):
        resilience(zero, start=2007, end=2009)
    neg = contraction.copy()
    neg.loc["C", 2007] = -3.0
    with pytest.raises(InputError, match=r"region 'C', year 2007 = -3"):
        sensitivity_index(neg, start=2007, end=2009)


def test_error_zero_reference_change() -> None:
    # 100 + 50 = 150 at both ends
    wide = _wide({2000: [100.0, 50.0], 2001: [90.0, 60.0]}, ["A", "B"])
    with pytest.raises(ComputationError, match="window 2000→2001: the total of all regions does not change"):
        resilience(wide, start=2000, end=2001)
    with pytest.raises(ComputationError, match="window 2000→2001"):
        sensitivity_index(wide, start=2000, end=2001)
    with pytest.raises(ComputationError, match="reference series 'US' does not change"):
        resilience(wide, start=2000, end=2001, reference=pd.Series({2000: 5.0, 2001: 5.0}, name="US"))
    # rolling over a flat window names it
    wide3 = _wide({2000: [100.0, 100.0], 2001: [80.0, 90.0], 2002: [100.0, 100.0]}, ["A", "B"])
    with pytest.raises(ComputationError, match="window 2000→2002"):
        resilience_windows(wide3, rolling=2)


def test_error_zero_group_change_names_group() -> None:
    wide = _wide({2000: [100.0, 50.0, 10.0], 2001: [90.0, 60.0, 12.0]}, ["A", "B", "C"])
    groups = pd.Series({"A": "east", "B": "east", "C": "west"})
    with pytest.raises(ComputationError, match=r"window 2000→2001.*group\(s\) 'east'"):
        resilience(wide, start=2000, end=2001, reference="group", groups=groups)


def test_error_groups(contraction: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"groups: no group for region\(s\) 'C'"):
        resilience(contraction, start=2007, end=2009, reference="group", groups=pd.Series({"A": 1, "B": 1}))
    with pytest.raises(InputError, match="missing group label for region"):
        resilience(contraction, start=2007, end=2009, reference="group",
                   groups=pd.Series({"A": 1, "B": 1, "C": None}))
    with pytest.raises(InputError, match="needs groups="):
        resilience(contraction, start=2007, end=2009, reference="group")
    with pytest.raises(InputError, match="groups is only used with reference='group'"):
        resilience(contraction, start=2007, end=2009, groups=pd.Series({"A": 1, "B": 1, "C": 1}))


def test_error_options(contraction: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="reference='median' is not allowed"):
        resilience(contraction, start=2007, end=2009, reference="median")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="kind='crash' is not allowed"):
        resilience(contraction, start=2007, end=2009, kind="crash")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"reference series 'US': year\(s\) \[2009\] missing"):
        resilience(contraction, start=2007, end=2009, reference=pd.Series({2007: 1.0}, name="US"))
    with pytest.raises(InputError, match="exactly one of windows"):
        resilience_windows(contraction)
    with pytest.raises(InputError, match="exactly one of windows"):
        resilience_windows(contraction, windows=[(2007, 2009)], rolling=1)
    with pytest.raises(InputError, match="rolling=0"):
        resilience_windows(contraction, rolling=0)
    with pytest.raises(InputError, match="no pair of years 5 apart"):
        resilience_windows(contraction, rolling=5)
    with pytest.raises(InputError, match="given more than once"):
        resilience_windows(contraction, windows=[(2007, 2009), (2007, 2009)])
    with pytest.raises(InputError, match="expected a pandas DataFrame"):
        resilience([[1, 2]], start=2007, end=2009)  # type: ignore[arg-type]
    dup = pd.concat([contraction, contraction.loc[["A"]]])
    with pytest.raises(InputError, match=r"region\(s\) \['A'\] appear more than once"):
        resilience(dup, start=2007, end=2009)


def test_error_industry_mix() -> None:
    s = pd.DataFrame({"manu": [60.0, 20.0], "serv": [40.0, 80.0], "mine": [0.0, 0.0]}, index=["A", "B"])
    e = pd.DataFrame({"manu": [45.0, 15.0], "serv": [40.0, 84.0], "mine": [1.0, 0.0]}, index=["A", "B"])
    with pytest.raises(InputError, match=r"industry 'mine' = 0; drop or merge"):
        resilience_industry_mix(s, e, start=2007, end=2009)
    s2, e2 = s.drop(columns="mine"), e.drop(columns="mine")
    with pytest.raises(InputError, match=r"differ in their regions: only in the end table: \['C'\]"):
        resilience_industry_mix(s2, pd.concat([e2, e2.loc[["A"]].rename(index={"A": "C"})]))
    with pytest.raises(InputError, match=r"differ in their industries: only in the start table: \['serv'\]"):
        resilience_industry_mix(s2, e2[["manu"]])
    bad = s2.astype(object)
    bad.loc["B", "serv"] = "(D)"
    with pytest.raises(InputError, match=r"start table: .*region 'B', industry serv = '\(D\)'"):
        resilience_industry_mix(bad, e2)
    with pytest.raises(InputError, match="both national_start and national_end"):
        resilience_industry_mix(s2, e2, national_start=s2.sum())
    with pytest.raises(InputError, match=r"national_end: no value for industry\(ies\) 'serv'"):
        resilience_industry_mix(s2, e2, national_start=s2.sum(), national_end=e2.sum()[["manu"]])
    # national manu 100 -> 80 (-0.2), serv 200 -> 210 (0.05): region B: dE = 20*(-0.2) + 80*0.05 = 0
    with pytest.raises(ComputationError, match=r"2007→2009: .*exactly zero for region\(s\) 'B'"):
        resilience_industry_mix(s2, e2, national_start=pd.Series({"manu": 100.0, "serv": 200.0}),
                                national_end=pd.Series({"manu": 80.0, "serv": 210.0}),
                                start=2007, end=2009)


# ================================================================ real data
DATA = Path(__file__).parents[2] / "../shared/data"
GDP_FILE = DATA / "us_states_gdp_by_industry_1997_2021.csv.gz"

# The BEA SAGDP line hierarchy: line 1 is the all-industry total; the 20 NAICS sectors below
# (2-digit sectors, with 52 and 53 separate, 54/55/56 separate, 61/62 separate, 71/72 separate,
# plus line 83 "Government and government enterprises") do not overlap and add up to line 1
# (to within BEA's rounding; checked below).  Lines 2, 50, 59, 68, 75 and 86-92 are aggregates
# of these and every other line is a sub-sector of one of them.
SECTOR_LINES = [3, 6, 10, 11, 12, 34, 35, 36, 45, 51, 56, 60, 64, 65, 69, 70, 76, 79, 82, 83]


@pytest.fixture(scope="module")
def gdp() -> pd.DataFrame:
    if not GDP_FILE.exists():
        pytest.skip(f"shared data file {GDP_FILE.resolve()} not found (../shared/data is absent)")
    return pd.read_csv(GDP_FILE)


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("start", "end", "kind", "n_better"),
    [
        # 2007 -> 2009 in current dollars: US GDP 14,474,228 -> 14,478,067 (+0.03 %), so nominally
        # this window is not a contraction and the inferred kind is "recovery"
        (2007, 2009, "recovery", 37),
        # 2008 -> 2009, the nominal peak-to-trough: US GDP -1.98 %
        (2008, 2009, "resistance", 29),
    ],
)
def test_real_us_states_industry_mix(gdp: pd.DataFrame, start: int, end: int, kind: str, n_better: int) -> None:
    # Variable: gdp_nominal_musd.  Chained-dollar values are not additive across industries
    # (the sum of chained sector values is not the chained total), so the industry-mix
    # expectation sum_j g_j Y_ij and the total change sum_j dY_ij would mix inconsistent units.
    # Besides, in this file gdp_real_musd_chained equals gdp_nominal_musd in every row (the
    # "real" column is a copy of the nominal one), so nominal is the only honest choice.
    value = "gdp_nominal_musd"
    sub = gdp[gdp["line"].isin(SECTOR_LINES) & gdp["year"].isin([start, end])]
    # No suppressed cell in these lines and years: nothing needs filling (asserted, not assumed).
    assert sub[value].notna().all(), sub[sub[value].isna()]
    assert len(sub) == 52 * len(SECTOR_LINES) * 2

    # the chosen sectors add up to the all-industry total (line 1) in every state and year
    total = gdp[(gdp["line"] == 1) & gdp["year"].isin([start, end])].set_index(["state", "year"])[value]
    summed = sub.groupby(["state", "year"])[value].sum()
    assert ((summed / total.loc[summed.index] - 1).abs() < 1e-4).all()

    # ---- regionkit
    def table(year: int) -> pd.DataFrame:
        rows = sub[(sub["year"] == year) & (sub["state"] != "US")]
        return rows.pivot(index="state", columns="line", values=value)

    def national(year: int) -> pd.Series:
        return sub[(sub["year"] == year) & (sub["state"] == "US")].set_index("line")[value].rename("US")

    res = resilience_industry_mix(table(start), table(end), national_start=national(start),
                                  national_end=national(end), start=start, end=end)
    got = res.frame
    assert len(got) == 51 and "US" not in got.index and "DC" in got.index

    # ---- independent computation: merges and groupby on the long table
    nat = sub[sub["state"] == "US"]
    n0 = nat[nat["year"] == start][["line", value]].rename(columns={value: "n0"})
    n1 = nat[nat["year"] == end][["line", value]].rename(columns={value: "n1"})
    g = n0.merge(n1, on="line", validate="one_to_one")
    g["g"] = g["n1"] / g["n0"] - 1.0
    states = sub[sub["state"] != "US"]
    at_start = states[states["year"] == start].merge(g[["line", "g"]], on="line", validate="many_to_one")
    expected = (at_start[value] * at_start["g"]).groupby(at_start["state"]).sum()
    by_year = states.groupby(["state", "year"])[value].sum().unstack("year")
    delta = by_year[end] - by_year[start]
    index = (delta - expected) / expected.abs()
    g_n = g["n1"].sum() / g["n0"].sum() - 1.0
    index_agg = (delta - g_n * by_year[start]) / (g_n * by_year[start]).abs()

    np.testing.assert_allclose(got["expected_change"], expected.loc[got.index], rtol=1e-10)
    np.testing.assert_allclose(got["delta_y"], delta.loc[got.index], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(got["index"], index.loc[got.index], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got["index_aggregate"], index_agg.loc[got.index], rtol=1e-10, atol=1e-10)
    assert res.national_growth == pytest.approx(g_n, rel=1e-10)

    # ---- sanity facts
    assert res.kind == kind
    count = int((got["index"] > 0).sum())
    assert count == n_better, (
        f"{start}→{end}: {count} of 51 states have an industry-mix index > 0 (expected {n_better}); "
        f"lowest {got['index'].idxmin()} {got['index'].min():.3f}, highest {got['index'].idxmax()} "
        f"{got['index'].max():.3f}"
    )
    assert np.isfinite(got.to_numpy()).all()
    # Michigan (autos) and Arizona / Nevada / Florida (housing bust) fall short of their
    # industry-mix expectation in both windows
    assert (got.loc[["MI", "AZ", "NV", "FL"], "index"] < 0).all()
    # with the states' own sums as national reference, the industry-mix expectations add up
    # to the actual total change (the US row differs from the sum of the states)
    own = resilience_industry_mix(table(start), table(end)).frame
    assert (own["delta_y"] - own["expected_change"]).sum() == pytest.approx(0.0, abs=1e-6)


@pytest.mark.shared_data
def test_real_suppressed_cell_is_named(gdp: pd.DataFrame) -> None:
    # The file holds no "(D)" cell in the sector lines; inject one to check the message.
    rows = gdp[gdp["line"].isin(SECTOR_LINES) & (gdp["state"] != "US")]
    start = rows[rows["year"] == 2007].pivot(index="state", columns="line", values="gdp_nominal_musd")
    end = rows[rows["year"] == 2009].pivot(index="state", columns="line", values="gdp_nominal_musd")
    start = start.astype(object)
    start.loc["WY", 6] = "(D)"
    end.loc["AK", 12] = np.nan
    with pytest.raises(InputError, match=r"start table: .*region 'WY', industry 6 = '\(D\)'"):
        resilience_industry_mix(start, end)
    with pytest.raises(InputError, match=r"end table: .*region 'AK', industry 12 = nan"):
        resilience_industry_mix(start.replace("(D)", 1.0).astype(float), end)
