"""Tests of regionkit.indices.agglomeration.

Independent reference: the R package REAT 3.0.3 (Wieland), run from source by
``tests/reference/agglomeration/make_reat_reference.R`` (see the README.md
there); the tests only read its CSV output, R is not needed at test time.

How REAT's functions map onto ours, and where the definitions differ:

* ``locq`` / ``locq2`` (multiplicative LQ) == :func:`location_quotient`.
* ``herf`` is the conventional HHI of one vector: over the regions of an
  industry it is :func:`hhi_concentration`, over the industries of a region it
  is :func:`hhi_specialization`.  The Fan–Scott HHI ``Σ_j (l_ij / l_j)²``
  (:func:`hhi_fan_scott`) has no REAT counterpart: it is checked by hand on
  the 3×3 table and through the identity ``Σ_i HHI_FS_i = Σ_j HHI_conc_j``.
* Krugman: REAT's ``krugman.spec(e_ij, e_il)`` compares region ``j`` with any
  one reference vector ``e_il``; REAT's multi-region functions
  (``krugman.spec2`` and the ``K j`` column of ``spec()``) compare it with the
  *unweighted mean* of the other regions' industry shares.  That is our
  default ``benchmark="others_mean"``.  ``benchmark="rest"`` (pooled rest of
  the country) is ``krugman.spec(e_ij, national − e_ij)`` and
  ``benchmark="national"`` is ``krugman.spec(e_ij, national)`` and twice
  REAT's Hoover coefficient (``H j`` of ``spec()``).  The three differ on
  real data (up to ~0.2 on the US table).
* Ellison–Glaeser: REAT's ``ellison.a`` / ``ellison.a2`` take plant-level data
  and compute the plant Herfindahl ``H`` themselves.  The reference script
  feeds ``ellison.a2`` one pseudo-plant per region × industry cell, so REAT's
  ``H`` is the industry's ``herf`` over regions; our ``ellison_glaeser`` is
  given that ``H`` through ``plant_herfindahl`` and must reproduce REAT's ``G``
  and ``gamma``.  REAT's ``z`` statistic is not implemented.  REAT has no
  ``H = 0`` mode; our default (no ``plant_herfindahl``) is checked by hand
  and by ``gamma == G / (1 − Σx²)``.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from regionkit.errors import InputError
from regionkit.indices.agglomeration import (
    INFINITE_PLANTS_CAVEAT,
    AgglomerationIndices,
    EllisonGlaeserResult,
    agglomeration_indices,
    agglomeration_panel,
    ellison_glaeser,
    hhi_concentration,
    hhi_fan_scott,
    hhi_specialization,
    krugman_specialization,
    location_quotient,
)

REF = Path(__file__).resolve().parents[1] / "reference" / "agglomeration"
RTOL = 1e-10


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------
def read_table(name: str) -> pd.DataFrame:
    t = pd.read_csv(REF / name, dtype={"region": str})
    t = t.set_index("region")
    t.columns = t.columns.astype(str)
    return t.astype(float)


def read_ref(name: str, key: str | list[str]) -> pd.DataFrame:
    keys = [key] if isinstance(key, str) else key
    return pd.read_csv(REF / name, dtype=dict.fromkeys(keys, str)).set_index(key)


def assert_close(actual, expected, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol
    )


def max_abs_diff(actual, expected) -> float:
    return float(
        np.max(np.abs(np.asarray(actual, dtype=float) - np.asarray(expected, dtype=float)))
    )


SHARED_GDP = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "us_states_gdp_by_industry_1997_2021.csv.gz"


@pytest.fixture(scope="module")
def us() -> pd.DataFrame:
    """The table REAT was run on, rebuilt from ../shared/data exactly as make_reat_reference.R does
    (2019 nominal GDP, BEA lines 14-24 and 26-33, ten states); the shared data are never copied here."""
    if not SHARED_GDP.exists():
        pytest.skip(f"{SHARED_GDP} is absent (the shared real datasets live beside the repo)")
    gdp = pd.read_csv(SHARED_GDP, dtype={"naics": str})
    states = ["CA", "TX", "NY", "OH", "MI", "IL", "PA", "NC", "WA", "IN"]
    lines = [*range(14, 25), *range(26, 34)]
    sub = gdp[(gdp["year"] == 2019) & gdp["line"].isin(lines) & gdp["state"].isin(states)]
    order = sub.sort_values("line")["naics"].drop_duplicates().tolist()
    table = sub.pivot(index="state", columns="naics", values="gdp_nominal_musd").loc[states, order]
    table.index.name = "region"
    table.columns.name = None
    return table.astype(float)


@pytest.fixture(scope="module")
def fk() -> pd.DataFrame:
    return read_table("fk2013_table.csv")


# The 3×3 table checked on paper.
#            x    y    z   | l_i   x_i = l_i / l
#   A       10    0   10   |  20   0.2
#   B        0   20   20   |  40   0.4
#   C       10   20   10   |  40   0.4
#   l_j     20   40   40   | 100   (national shares 0.2, 0.4, 0.4; Σx² = 0.04 + 0.16 + 0.16 = 0.36)
HAND = pd.DataFrame(
    {"x": [10.0, 0.0, 10.0], "y": [0.0, 20.0, 20.0], "z": [10.0, 20.0, 10.0]},
    index=pd.Index(["A", "B", "C"], name="region"),
)


# --------------------------------------------------------------------------
# REAT reference values
# --------------------------------------------------------------------------
@pytest.mark.parametrize("prefix, table_fixture", [("reat_us", "us"), ("reat_fk2013", "fk")])
def test_location_quotient_matches_reat_locq(prefix, table_fixture, request):
    table = request.getfixturevalue(table_fixture)
    ref = read_ref(f"{prefix}_locq.csv", ["region", "industry"])
    lq = location_quotient(table).stack()
    lq.index.names = ["region", "industry"]
    got = lq.reindex(ref.index)
    assert got.notna().all()
    assert_close(got, ref["locq"])
    assert_close(got, ref["locq2"])


@pytest.mark.parametrize("prefix, table_fixture", [("reat_us", "us"), ("reat_fk2013", "fk")])
def test_per_region_indices_match_reat(prefix, table_fixture, request):
    table = request.getfixturevalue(table_fixture)
    ref = read_ref(f"{prefix}_per_region.csv", "region").loc[table.index]
    # herf over the region's industries
    assert_close(hhi_specialization(table), ref["herf"])
    # Krugman, three benchmarks (see module docstring)
    assert_close(krugman_specialization(table), ref["krugman_spec2_others"])
    assert_close(krugman_specialization(table), ref["spec_krugman"])
    assert_close(
        krugman_specialization(table, benchmark="others_mean"), ref["krugman_spec2_others"]
    )
    assert_close(krugman_specialization(table, benchmark="rest"), ref["krugman_spec_rest"])
    national = krugman_specialization(table, benchmark="national")
    assert_close(national, ref["krugman_spec_national"])
    assert_close(national / 2, ref["spec_hoover"])  # Hoover = K_national / 2


@pytest.mark.parametrize("prefix, table_fixture", [("reat_us", "us"), ("reat_fk2013", "fk")])
def test_per_industry_indices_match_reat(prefix, table_fixture, request):
    table = request.getfixturevalue(table_fixture)
    ref = read_ref(f"{prefix}_per_industry.csv", "industry").loc[table.columns]
    conc = hhi_concentration(table)
    assert_close(conc, ref["herf"])
    # REAT's H with one pseudo-plant per region is the herf over regions
    assert_close(ref["eg_H"], ref["herf"])
    eg = ellison_glaeser(table, plant_herfindahl=ref["eg_H"])
    assert not eg.h_assumed_zero
    assert_close(eg.G, ref["eg_G"])
    assert_close(eg.H, ref["eg_H"])
    assert_close(eg.gamma, ref["eg_gamma"])
    # G does not depend on H
    assert_close(ellison_glaeser(table).G, ref["eg_G"])


def test_reat_differences_are_small_on_us_table(us):
    """Record the largest absolute deviation from REAT on the real table (all ≈ 1e-16)."""
    diffs = {}
    lq_ref = read_ref("reat_us_locq.csv", ["region", "industry"])
    lq = location_quotient(us).stack()
    lq.index.names = ["region", "industry"]
    diffs["locq"] = max_abs_diff(lq.reindex(lq_ref.index), lq_ref["locq"])
    reg = read_ref("reat_us_per_region.csv", "region").loc[us.index]
    diffs["herf_region"] = max_abs_diff(hhi_specialization(us), reg["herf"])
    diffs["krugman_spec2"] = max_abs_diff(krugman_specialization(us), reg["krugman_spec2_others"])
    diffs["krugman_rest"] = max_abs_diff(
        krugman_specialization(us, benchmark="rest"), reg["krugman_spec_rest"]
    )
    diffs["krugman_national"] = max_abs_diff(
        krugman_specialization(us, benchmark="national"), reg["krugman_spec_national"]
    )
    ind = read_ref("reat_us_per_industry.csv", "industry").loc[us.columns]
    eg = ellison_glaeser(us, plant_herfindahl=ind["eg_H"])
    diffs["herf_industry"] = max_abs_diff(hhi_concentration(us), ind["herf"])
    diffs["eg_G"] = max_abs_diff(eg.G, ind["eg_G"])
    diffs["eg_gamma"] = max_abs_diff(eg.gamma, ind["eg_gamma"])
    assert max(diffs.values()) < 1e-13, diffs
    # the benchmarks really differ on real data, so the choice matters
    assert max_abs_diff(reg["krugman_spec2_others"], reg["krugman_spec_national"]) > 0.05


def test_reat_documented_krugman_spec2_example(fk):
    # krugman.spec2 help page: Sweden vs Norway, Denmark, Finland, Island = 0.1595
    assert krugman_specialization(fk)["Sweden"] == pytest.approx(0.1595, abs=5e-5)


def test_reat_documented_ellison_a_example():
    # ellison.a help page (Farhauer/Kroell 2014): 10 plants of one industry in
    # Wien, Linz, Graz with regional totals 500000, 400000, 100000; gamma = 0.05990628.
    ref = pd.read_csv(REF / "reat_fk2014_ellison_a.csv").set_index("region")
    table = pd.DataFrame(
        {
            "industry": ref["industry_employment"],
            "other": ref["region_total"] - ref["industry_employment"],
        }
    )
    h = pd.Series({"industry": ref["plant_herfindahl"].iloc[0], "other": 0.0})
    eg = ellison_glaeser(table, plant_herfindahl=h)
    assert_close(eg.G["industry"], ref["G"].iloc[0])
    assert_close(eg.gamma["industry"], ref["gamma"].iloc[0])
    assert eg.gamma["industry"] == pytest.approx(0.05990628, abs=5e-9)


def test_reat_documented_scalar_examples():
    doc = pd.read_csv(REF / "reat_doc_examples.csv").set_index("example")
    # locq(e_ij=1714, e_j=79006, e_i=879213, e=15593224): region j, industry i
    e_ij, e_j, e_i, e = 1714.0, 79006.0, 879213.0, 15593224.0
    t = pd.DataFrame(
        {"i": [e_ij, e_i - e_ij], "other": [e_j - e_ij, e - e_j - (e_i - e_ij)]},
        index=["j", "rest"],
    )
    got = location_quotient(t).loc["j", "i"]
    assert_close(got, doc.loc["locq(1714, 79006, 879213, 15593224)", "reat"])
    assert got == pytest.approx(0.3847623, abs=5e-8)
    # herf(c(20,50,20,10)) = 0.34: one region's specialization HHI
    sales = pd.DataFrame([[20.0, 50.0, 20.0, 10.0]], index=["r"], columns=list("abcd"))
    assert_close(hhi_specialization(sales)["r"], doc.loc["herf(c(20,50,20,10))", "reat"])
    # krugman.spec(c(20,10,70,0,0), c(0,0,0,60,40)) = 2: no industry in common
    two = pd.DataFrame(
        [[20.0, 10.0, 70.0, 0.0, 0.0], [0.0, 0.0, 0.0, 60.0, 40.0]], index=["j", "l"]
    )
    for benchmark in ("rest", "others_mean"):
        assert_close(krugman_specialization(two, benchmark=benchmark)["j"], 2.0)
    assert_close(doc.loc["krugman.spec(c(20,10,70,0,0), c(0,0,0,60,40))", "reat"], 2.0)


# --------------------------------------------------------------------------
# hand-computed 3×3 table
# --------------------------------------------------------------------------
def test_hand_location_quotient():
    # LQ_ij = (l_ij / l_i) / (l_j / l)
    # A: x (10/20)/0.2 = 2.5, y 0, z (10/20)/0.4 = 1.25
    # B: x 0, y (20/40)/0.4 = 1.25, z (20/40)/0.4 = 1.25
    # C: x (10/40)/0.2 = 1.25, y (20/40)/0.4 = 1.25, z (10/40)/0.4 = 0.625
    expected = [[2.5, 0.0, 1.25], [0.0, 1.25, 1.25], [1.25, 1.25, 0.625]]
    lq = location_quotient(HAND)
    assert_close(lq, expected, rtol=1e-15)
    assert list(lq.index) == ["A", "B", "C"] and list(lq.columns) == ["x", "y", "z"]


def test_hand_hhi():
    # region shares of the nation's industry, s_ij = l_ij / l_j:
    #   A: 0.5, 0, 0.25   B: 0, 0.5, 0.5   C: 0.5, 0.5, 0.25
    # Fan-Scott: A 0.25 + 0 + 0.0625 = 0.3125; B 0.25 + 0.25 = 0.5; C 0.25 + 0.25 + 0.0625 = 0.5625
    assert_close(hhi_fan_scott(HAND), [0.3125, 0.5, 0.5625], rtol=1e-15)
    # concentration: x 0.25 + 0 + 0.25 = 0.5; y 0 + 0.25 + 0.25 = 0.5; z 0.0625 + 0.25 + 0.0625 = 0.375
    assert_close(hhi_concentration(HAND), [0.5, 0.5, 0.375], rtol=1e-15)
    # specialization, shares l_ij / l_i: A 0.5, 0, 0.5 -> 0.5; B 0, 0.5, 0.5 -> 0.5;
    # C 0.25, 0.5, 0.25 -> 0.0625 + 0.25 + 0.0625 = 0.375
    assert_close(hhi_specialization(HAND), [0.5, 0.5, 0.375], rtol=1e-15)
    # identity: Σ Fan-Scott = 1.375 = Σ concentration
    assert hhi_fan_scott(HAND).sum() == pytest.approx(1.375)


def test_hand_krugman():
    # national (0.2, 0.4, 0.4):
    #   A |.5-.2| + |0-.4| + |.5-.4| = .3 + .4 + .1 = .8
    #   B |0-.2| + |.5-.4| + |.5-.4| = .2 + .1 + .1 = .4
    #   C |.25-.2| + |.5-.4| + |.25-.4| = .05 + .1 + .15 = .3
    assert_close(krugman_specialization(HAND, benchmark="national"), [0.8, 0.4, 0.3], rtol=1e-14)
    # rest of the country:
    #   A: B+C = (10, 40, 30)/80 = (.125, .5, .375): .375 + .5 + .125 = 1
    #   B: A+C = (20, 20, 20)/60 = 1/3 each: 1/3 + 1/6 + 1/6 = 2/3
    #   C: A+B = (10, 20, 30)/60: |.25-1/6| + |.5-1/3| + |.25-.5| = 1/12 + 2/12 + 3/12 = .5
    assert_close(krugman_specialization(HAND, benchmark="rest"), [1.0, 2 / 3, 0.5], rtol=1e-14)
    # unweighted mean of the other regions' shares (REAT, default):
    #   A: mean of B (0,.5,.5) and C (.25,.5,.25) = (.125,.5,.375) -> 1 (B, C equal size)
    #   B: mean of A (.5,0,.5) and C = (.375,.25,.375): .375 + .25 + .125 = .75
    #   C: mean of A and B (0,.5,.5) = (.25,.25,.5): 0 + .25 + .25 = .5
    assert_close(krugman_specialization(HAND), [1.0, 0.75, 0.5], rtol=1e-14)
    assert krugman_specialization(HAND).name == "krugman"


def test_hand_ellison_glaeser():
    # G_j = Σ_i (s_ij - x_i)², x = (.2, .4, .4)
    #   x: (.5-.2)² + (0-.4)² + (.5-.4)² = .09 + .16 + .01 = .26
    #   y: (0-.2)² + (.5-.4)² + (.5-.4)² = .04 + .01 + .01 = .06
    #   z: (.25-.2)² + (.5-.4)² + (.25-.4)² = .0025 + .01 + .0225 = .035
    eg = ellison_glaeser(HAND)
    assert_close(eg.G, [0.26, 0.06, 0.035], rtol=1e-14)
    assert eg.sum_x2 == pytest.approx(0.36)
    # H = 0: gamma = G / (1 - .36) = G / .64 -> .40625, .09375, .0546875
    assert_close(eg.gamma, [0.40625, 0.09375, 0.0546875], rtol=1e-14)
    assert eg.h_assumed_zero and eg.caveat == INFINITE_PLANTS_CAVEAT
    assert (eg.H == 0).all()
    # with H: x H=.2: (.26 - .64*.2)/(.64*.8) = .132/.512 = .2578125
    #         y H=.5: (.06 - .64*.5)/(.64*.5) = -.26/.32 = -.8125
    #         z H=0:  .035/.64 = .0546875
    eg_h = ellison_glaeser(
        HAND, plant_herfindahl=pd.Series({"z": 0.0, "y": 0.5, "x": 0.2, "extra": 0.9})
    )
    assert_close(eg_h.gamma, [0.2578125, -0.8125, 0.0546875], rtol=1e-14)
    assert list(eg_h.H.index) == ["x", "y", "z"]
    assert not eg_h.h_assumed_zero and eg_h.caveat is None


# --------------------------------------------------------------------------
# invariants on the real table
# --------------------------------------------------------------------------
def test_lq_weighted_averages_equal_one(us):
    lq = location_quotient(us)
    x = us.sum(axis=1) / us.to_numpy().sum()  # region weights l_i / l
    w = us.sum(axis=0) / us.to_numpy().sum()  # industry weights l_j / l
    assert_close(lq.mul(x, axis=0).sum(axis=0), 1.0, rtol=1e-12)
    assert_close(lq.mul(w, axis=1).sum(axis=1), 1.0, rtol=1e-12)


def test_hhi_bounds(us):
    n, m = us.shape
    conc, spec = hhi_concentration(us), hhi_specialization(us)
    assert ((conc >= 1 / n - 1e-15) & (conc <= 1 + 1e-15)).all()
    assert ((spec >= 1 / m - 1e-15) & (spec <= 1 + 1e-15)).all()
    fs = hhi_fan_scott(us)
    assert ((fs >= 0) & (fs <= m)).all()
    assert fs.sum() == pytest.approx(conc.sum(), rel=1e-12)


def test_eg_gamma_without_h(us):
    eg = ellison_glaeser(us)
    assert_close(eg.gamma, eg.G / (1 - eg.sum_x2), rtol=1e-13)


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------
@st.composite
def tables(draw, min_regions: int = 2):
    n = draw(st.integers(min_regions, 7))
    m = draw(st.integers(1, 6))
    values = draw(
        arrays(
            np.float64,
            (n, m),
            elements=st.one_of(st.just(0.0), st.floats(1e-3, 1e6, allow_nan=False)),
        )
    )
    assume((values.sum(axis=0) > 0).all() and (values.sum(axis=1) > 0).all())
    return pd.DataFrame(
        values, index=[f"r{i}" for i in range(n)], columns=[f"k{j}" for j in range(m)]
    )


def krugman_by_loop(t: pd.DataFrame, benchmark: str) -> list[float]:
    """Straightforward re-implementation, one region at a time."""
    out = []
    for r in t.index:
        s = t.loc[r] / t.loc[r].sum()
        others = t.drop(index=r)
        if benchmark == "national":
            b = t.sum() / t.to_numpy().sum()
        elif benchmark == "rest":
            b = others.sum() / others.to_numpy().sum()
        else:
            b = others.div(others.sum(axis=1), axis=0).mean()
        out.append(float((s - b).abs().sum()))
    return out


def ellison_glaeser_exact(t: pd.DataFrame) -> tuple[list[float], list[float]]:
    """G and gamma (H = 0) in exact rational arithmetic."""
    v = [[Fraction(float(x)) for x in row] for row in t.to_numpy()]
    l_i = [sum(row) for row in v]
    total = sum(l_i)
    x = [li / total for li in l_i]
    one_minus = 1 - sum(xi * xi for xi in x)
    g_out, gamma_out = [], []
    for j in range(t.shape[1]):
        l_j = sum(row[j] for row in v)
        g = sum((row[j] / l_j - xi) ** 2 for row, xi in zip(v, x, strict=True))
        g_out.append(float(g))
        gamma_out.append(float(g / one_minus))
    return g_out, gamma_out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tables())
def test_properties(t):
    before = t.copy()
    n, m = t.shape
    lq = location_quotient(t)
    x = t.sum(axis=1) / t.to_numpy().sum()
    assert_close(lq.mul(x, axis=0).sum(axis=0), 1.0, rtol=1e-9)
    conc, spec, fs = hhi_concentration(t), hhi_specialization(t), hhi_fan_scott(t)
    assert (conc >= 1 / n - 1e-12).all() and (conc <= 1 + 1e-12).all()
    assert (spec >= 1 / m - 1e-12).all() and (spec <= 1 + 1e-12).all()
    assert fs.sum() == pytest.approx(conc.sum(), rel=1e-9)
    for benchmark in ("others_mean", "rest", "national"):
        k = krugman_specialization(t, benchmark=benchmark)
        assert ((k >= 0) & (k <= 2 + 1e-12)).all()
        assert_close(k, krugman_by_loop(t, benchmark), rtol=1e-9, atol=1e-12)
    eg = ellison_glaeser(t)
    exact_g, exact_gamma = ellison_glaeser_exact(t)
    assert_close(eg.G, exact_g, rtol=1e-9, atol=1e-15)
    assert_close(eg.gamma, exact_gamma, rtol=1e-9, atol=1e-12)
    assert (eg.G >= 0).all()
    # scale invariance
    scaled = t * 7.5
    assert_close(krugman_specialization(scaled), krugman_specialization(t), rtol=1e-9, atol=1e-12)
    assert_close(
        ellison_glaeser(scaled).gamma, ellison_glaeser_exact(scaled)[1], rtol=1e-9, atol=1e-12
    )
    assert_close(hhi_fan_scott(scaled), fs, rtol=1e-9)
    # the caller's table is untouched
    pd.testing.assert_frame_equal(t, before)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(tables(), st.randoms(use_true_random=False))
def test_permutation_equivariance(t, rnd):
    rows, cols = list(t.index), list(t.columns)
    rnd.shuffle(rows)
    rnd.shuffle(cols)
    p = t.loc[rows, cols]
    assert_close(
        krugman_specialization(p).loc[t.index], krugman_specialization(t), rtol=1e-9, atol=1e-12
    )
    assert_close(
        ellison_glaeser(p).gamma.loc[t.columns], ellison_glaeser(t).gamma, rtol=1e-9, atol=1e-12
    )
    assert_close(location_quotient(p).loc[t.index, t.columns], location_quotient(t), rtol=1e-9)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    st.lists(tables(), min_size=1, max_size=3), st.sampled_from(["others_mean", "rest", "national"])
)
def test_panel_equals_table_functions_per_year(tabs, benchmark):
    frames = []
    for year, t in enumerate(tabs, start=2000):
        long = (
            t.rename_axis(index="region", columns="industry").stack().rename("value").reset_index()
        )
        long["year"] = year
        frames.append(long)
    long = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)
    out = agglomeration_panel(long, krugman_benchmark=benchmark)
    for year, t in enumerate(tabs, start=2000):
        got = out.xs(year, level="year").loc[t.index]
        assert_close(got["hhi_fan_scott"], hhi_fan_scott(t), rtol=1e-9)
        assert_close(got["hhi_specialization"], hhi_specialization(t), rtol=1e-9)
        assert_close(
            got["krugman"], krugman_specialization(t, benchmark=benchmark), rtol=1e-9, atol=1e-12
        )


# --------------------------------------------------------------------------
# result objects
# --------------------------------------------------------------------------
def test_result_objects(us):
    res = agglomeration_indices(us)
    assert isinstance(res, AgglomerationIndices)
    assert isinstance(res.ellison_glaeser, EllisonGlaeserResult)
    assert list(res.to_frame().columns) == ["hhi_fan_scott", "hhi_specialization", "krugman"]
    assert list(res.to_frame("industry").columns) == [
        "hhi_concentration",
        "eg_G",
        "eg_H",
        "eg_gamma",
    ]
    assert list(res.to_frame().index) == list(us.index)
    assert list(res.to_frame("industry").index) == list(us.columns)
    assert_close(res.by_region["krugman"], krugman_specialization(us))
    assert_close(res.by_industry["eg_gamma"], ellison_glaeser(us).gamma)
    text = res.summary()
    assert isinstance(text, str) and "Caveat" in text and "infinitely many" in text
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.krugman_benchmark = "national"  # type: ignore[misc]
    with pytest.raises(InputError, match="which"):
        res.to_frame("plant")  # type: ignore[arg-type]
    # a returned frame is a copy
    f = res.to_frame()
    f.iloc[0, 0] = -1.0
    assert res.by_region.iloc[0, 0] != -1.0

    eg = ellison_glaeser(us, plant_herfindahl=hhi_concentration(us))
    assert "Caveat" not in eg.summary()
    assert list(eg.to_frame().columns) == ["G", "H", "gamma"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        eg.h_assumed_zero = False  # type: ignore[misc]
    res2 = agglomeration_indices(
        us, plant_herfindahl=hhi_concentration(us), krugman_benchmark="national"
    )
    assert_close(res2.by_region["krugman"], krugman_specialization(us, benchmark="national"))
    assert "Caveat" not in res2.summary()


def test_inputs_are_not_mutated(us):
    t = us.copy()
    for f in (
        location_quotient,
        hhi_fan_scott,
        hhi_concentration,
        hhi_specialization,
        krugman_specialization,
        ellison_glaeser,
        agglomeration_indices,
    ):
        f(t)
    pd.testing.assert_frame_equal(t, us)
    long = us.rename_axis(index="region", columns="industry").stack().rename("value").reset_index()
    long["year"] = 2019
    before = long.copy()
    agglomeration_panel(long)
    pd.testing.assert_frame_equal(long, before)


def test_object_and_integer_columns_are_accepted():
    t = HAND.astype(object)
    assert_close(hhi_fan_scott(t), hhi_fan_scott(HAND))
    assert_close(hhi_fan_scott(HAND.astype(int)), hhi_fan_scott(HAND))
    assert_close(hhi_fan_scott(HAND.astype("Int64")), hhi_fan_scott(HAND))


# --------------------------------------------------------------------------
# errors on the table functions
# --------------------------------------------------------------------------
TABLE_FUNCTIONS = [
    location_quotient,
    hhi_fan_scott,
    hhi_concentration,
    hhi_specialization,
    krugman_specialization,
    ellison_glaeser,
    agglomeration_indices,
]


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
def test_negative_value_names_region_and_industry(func):
    t = HAND.copy()
    t.loc["B", "z"] = -3.0
    with pytest.raises(InputError, match=r"negative.*region 'B', industry 'z' = -3"):
        func(t)


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, None])
def test_missing_value_names_region_and_industry(func, bad):
    t = HAND.copy().astype(object) if bad is None else HAND.copy()
    t.loc["C", "y"] = bad
    with pytest.raises(InputError, match=r"missing or non-finite.*region 'C', industry 'y'"):
        func(t)


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
def test_non_numeric_value_names_region_and_industry(func):
    t = HAND.astype(object)
    t.loc["A", "x"] = "ten"
    with pytest.raises(InputError, match=r"non-numeric value 'ten' at region 'A', industry 'x'"):
        func(t)


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
def test_all_zero_industry_is_named(func):
    t = HAND.copy()
    t["w"] = 0.0
    with pytest.raises(InputError, match=r"industry\(ies\) 'w' are zero in every region"):
        func(t)


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
def test_all_zero_region_is_named(func):
    t = pd.concat([HAND, pd.DataFrame({"x": [0.0], "y": [0.0], "z": [0.0]}, index=["D"])])
    with pytest.raises(InputError, match=r"region\(s\) 'D' are zero in every industry"):
        func(t)


@pytest.mark.parametrize("func", TABLE_FUNCTIONS)
def test_other_bad_tables(func):
    with pytest.raises(InputError, match="DataFrame"):
        func(HAND.to_numpy())
    with pytest.raises(InputError, match="empty"):
        func(HAND.iloc[:, :0])
    with pytest.raises(InputError, match="duplicated region id.*'A'"):
        func(HAND.rename(index={"B": "A"}))
    with pytest.raises(InputError, match="duplicated industry column.*'x'"):
        func(HAND.rename(columns={"y": "x"}))
    with pytest.raises(InputError, match="True/False"):
        func(HAND > 5)
    with pytest.raises(InputError, match="float range"):
        func(HAND * 3e306)  # cells finite, grand total 3e308 is not


def test_single_region_errors():
    one = HAND.loc[["C"]]
    assert_close(krugman_specialization(one, benchmark="national"), [0.0])
    with pytest.raises(InputError, match="at least two regions"):
        krugman_specialization(one)
    with pytest.raises(InputError, match="at least two regions"):
        krugman_specialization(one, benchmark="rest")
    with pytest.raises(InputError, match="at least two regions"):
        ellison_glaeser(one)
    with pytest.raises(InputError, match="at least two regions"):
        agglomeration_indices(one)


def test_bad_options():
    with pytest.raises(InputError, match="benchmark='nation'.*'others_mean', 'rest', 'national'"):
        krugman_specialization(HAND, benchmark="nation")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="krugman_benchmark="):
        agglomeration_indices(HAND, krugman_benchmark="x")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="krugman_benchmark="):
        agglomeration_panel(pd.DataFrame(), krugman_benchmark="x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "h, match",
    [
        (pd.Series({"x": 0.1, "y": 0.2}), r"no plant Herfindahl for industry\(ies\) 'z'"),
        (pd.Series({"x": 0.1, "y": 1.0, "z": 0.0}), r"\[0, 1\).*industry 'y' = 1.0"),
        (pd.Series({"x": -0.1, "y": 0.1, "z": 0.0}), r"industry 'x' = -0.1"),
        (pd.Series({"x": np.nan, "y": 0.1, "z": 0.0}), r"industry 'x' = nan"),
        (
            pd.Series({"x": "high", "y": 0.1, "z": 0.0}),
            r"non-numeric value 'high' for industry 'x'",
        ),
        (pd.Series([0.1, 0.2, 0.3, 0.4], index=["x", "y", "z", "x"]), r"duplicated industry.*'x'"),
        ({"x": 0.1, "y": 0.2, "z": 0.3}, "pandas Series"),
    ],
)
def test_bad_plant_herfindahl(h, match):
    with pytest.raises(InputError, match=match):
        ellison_glaeser(HAND, plant_herfindahl=h)


# --------------------------------------------------------------------------
# agglomeration_panel
# --------------------------------------------------------------------------
def long_of(table: pd.DataFrame, year: int) -> pd.DataFrame:
    out = (
        table.rename_axis(index="region", columns="industry").stack().rename("value").reset_index()
    )
    out["year"] = year
    return out


def test_panel_hand_table_and_layout():
    long = pd.concat([long_of(HAND, 2001), long_of(HAND * 2, 2000)], ignore_index=True)
    out = agglomeration_panel(long)
    assert out.index.names == ["region", "year"]
    assert list(out.index) == [(r, y) for r in "ABC" for y in (2000, 2001)]
    assert list(out.columns) == ["hhi_fan_scott", "hhi_specialization", "krugman"]
    assert_close(out.xs(2001, level="year")["hhi_fan_scott"], [0.3125, 0.5, 0.5625], rtol=1e-15)
    assert_close(out.xs(2000, level="year")["krugman"], [1.0, 0.75, 0.5], rtol=1e-14)
    assert_close(
        agglomeration_panel(long, krugman_benchmark="rest").xs(2001, level="year")["krugman"],
        [1.0, 2 / 3, 0.5],
        rtol=1e-14,
    )


def test_panel_custom_column_names_and_unbalanced_years():
    long = pd.concat([long_of(HAND, 2001), long_of(HAND.loc[["A", "B"]], 2002)], ignore_index=True)
    long = long.rename(
        columns={"region": "prov", "year": "yr", "industry": "sector", "value": "emp"}
    )
    # implicit zeros: rows with value 0 may be left out
    long = long[long["emp"] > 0]
    out = agglomeration_panel(
        long, region_col="prov", year_col="yr", industry_col="sector", value_col="emp"
    )
    assert out.index.names == ["prov", "yr"]
    assert ("C", 2002) not in out.index
    assert_close(out.xs(2002, level="yr")["krugman"], krugman_specialization(HAND.loc[["A", "B"]]))
    assert_close(out.xs(2001, level="yr")["hhi_fan_scott"], hhi_fan_scott(HAND))


def test_panel_categorical_and_integer_labels():
    long = pd.concat([long_of(HAND, 2001), long_of(HAND, 2005)], ignore_index=True)
    cat = long.astype({"region": "category", "industry": "category"})
    pd.testing.assert_frame_equal(
        agglomeration_panel(cat).reset_index(drop=True),
        agglomeration_panel(long).reset_index(drop=True),
    )
    ints = long.replace({"region": {"A": 11, "B": 12, "C": 13}}).astype({"region": int})
    out = agglomeration_panel(ints)
    assert list(out.index.get_level_values("region").unique()) == [11, 12, 13]
    assert list(out.index.get_level_values("year").unique()) == [2001, 2005]


def test_panel_duplicated_row_names_region_year_industry():
    long = pd.concat([long_of(HAND, 2001), long_of(HAND, 2002)], ignore_index=True)
    long = pd.concat([long, long.iloc[[7]]], ignore_index=True)  # row 7: C, 2001, y
    with pytest.raises(
        InputError, match=r"duplicated rows.* for region 'C', year 2001, industry 'y'"
    ):
        agglomeration_panel(long)


@pytest.mark.parametrize(
    "bad, match",
    [
        (-1.0, r"negative value at region 'B', year 2002, industry 'z' = -1"),
        (np.nan, r"missing or non-finite value at region 'B', year 2002, industry 'z'"),
        (np.inf, r"missing or non-finite value at region 'B', year 2002, industry 'z'"),
        ("n/a", r"non-numeric value 'n/a' at region 'B', year 2002, industry 'z'"),
    ],
)
def test_panel_bad_values_name_region_year_industry(bad, match):
    long = pd.concat([long_of(HAND, 2001), long_of(HAND, 2002)], ignore_index=True)
    if isinstance(bad, str):
        long["value"] = long["value"].astype(object)
    long.loc[(long.region == "B") & (long.year == 2002) & (long.industry == "z"), "value"] = bad
    with pytest.raises(InputError, match=match):
        agglomeration_panel(long)


def test_panel_other_errors():
    long = pd.concat([long_of(HAND, 2001), long_of(HAND, 2002)], ignore_index=True)
    with pytest.raises(InputError, match="'value'.*not found"):
        agglomeration_panel(long.drop(columns="value"))
    with pytest.raises(InputError, match="DataFrame"):
        agglomeration_panel(long.to_numpy())
    with pytest.raises(InputError, match="no rows"):
        agglomeration_panel(long.iloc[:0])
    with pytest.raises(InputError, match="must differ"):
        agglomeration_panel(long, value_col="year")
    missing = long.copy()
    missing.loc[3, "industry"] = None
    with pytest.raises(InputError, match=r"missing industry in row\(s\) 3"):
        agglomeration_panel(missing)
    zero_reg = long.copy()
    zero_reg.loc[(zero_reg.region == "A") & (zero_reg.year == 2002), "value"] = 0.0
    with pytest.raises(InputError, match="all values are zero for region 'A', year 2002"):
        agglomeration_panel(zero_reg)
    zero_ind = long.copy()
    zero_ind.loc[(zero_ind.industry == "x") & (zero_ind.year == 2001), "value"] = 0.0
    with pytest.raises(
        InputError, match="industry zero in every region for industry 'x', year 2001"
    ):
        agglomeration_panel(zero_ind)
    lonely = pd.concat(
        [long_of(HAND, 2001), long_of(HAND.loc[["A"], ["x", "z"]], 2003)], ignore_index=True
    )
    with pytest.raises(InputError, match="at least two regions per year; only one in year 2003"):
        agglomeration_panel(lonely)
    assert (
        agglomeration_panel(lonely, krugman_benchmark="national").loc[("A", 2003), "krugman"] == 0.0
    )


def test_panel_chunked_path_matches(monkeypatch):
    import regionkit.indices.agglomeration as agg

    rng = np.random.default_rng(3)
    tabs = {
        y: pd.DataFrame(
            rng.random((6, 4)) + 0.01, index=[f"r{i}" for i in range(6)], columns=list("abcd")
        )
        for y in range(1990, 1997)
    }
    long = pd.concat([long_of(t, y) for y, t in tabs.items()], ignore_index=True)
    whole = agglomeration_panel(long)
    monkeypatch.setattr(agg, "_MAX_CELLS", 50)  # 2 years per chunk
    chunked = agglomeration_panel(long)
    pd.testing.assert_frame_equal(whole, chunked, rtol=1e-14)
    dup = pd.concat([long, long.iloc[[-1]]], ignore_index=True)
    with pytest.raises(
        InputError, match="duplicated rows.* for region 'r5', year 1996, industry 'd'"
    ):
        agglomeration_panel(dup)
