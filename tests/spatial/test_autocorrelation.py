"""Global and local spatial autocorrelation against R spdep (stored fixtures) and PySAL esda.

Fixtures: tests/reference/spatial/ (``Rscript tests/reference/spatial/make_spdep_reference.R``,
spdep 1.2.7; neighbour lists in spdep_neighbours.csv, inputs from libpysal example data).
Definitions: spdep's Geary z is (1 − C)/sd, ours (as esda) (C − 1)/sd; spdep's local Moran with
mlvar=TRUE divides by Σz²/n (our default ``denominator="n"``); Gi/Gi* are compared on binary
weights (our z-score is invariant to row standardisation, spdep's row-standardised variance is the
exact permutation variance of the standardised weights, a different quantity).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from regionkit.errors import InputError
from regionkit.spatial import autocorrelation as A
from regionkit.spatial.weights import lattice, read_weights

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")

REF = Path(__file__).resolve().parents[1] / "reference" / "spatial"
RTOL = 1e-10

INPUTS = {
    "columbus": ("input_columbus.csv", "queen_gal"),
    "us_income": ("input_us_income.csv", "queen_gal"),
    "mexico": ("input_mexico.csv", "knn5"),
}


def _data(dataset: str) -> pd.DataFrame:
    return pd.read_csv(REF / INPUTS[dataset][0])


def _weights(dataset: str, style: str, tmp_path_factory):
    nb = pd.read_csv(REF / "spdep_neighbours.csv")
    nb = nb[(nb["dataset"] == dataset) & (nb["weights"] == INPUTS[dataset][1])]
    path = tmp_path_factory.mktemp("w") / f"{dataset}.csv"
    pd.DataFrame({"focal": nb["i"] - 1, "neighbor": nb["j"] - 1}).to_csv(path, index=False)
    n = len(_data(dataset))
    return read_weights(path, ids=list(range(n)), transform="R" if style == "W" else "B")


def _cases(fixture: str):
    ref = pd.read_csv(REF / fixture)
    keys = ["dataset", "variable", "style"]
    return [tuple(k) for k in ref[keys].drop_duplicates().itertuples(index=False)]


@pytest.mark.parametrize(("dataset", "variable", "style"), _cases("spdep_moran.csv"))
def test_moran_matches_spdep(dataset, variable, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_moran.csv", dtype={"variable": str})
    ref = ref[(ref.dataset == dataset) & (ref.variable == variable) & (ref["style"] == style)]
    w = _weights(dataset, style, tmp_path_factory)
    y = _data(dataset)[variable].to_numpy(float)
    two = A.moran(y, w, permutations=0)
    greater = A.moran(y, w, permutations=0, alternative="greater")
    rand = ref[ref.assumption == "randomisation"].iloc[0]
    norm = ref[ref.assumption == "normality"].iloc[0]
    assert_allclose(two.value, rand["I"], rtol=RTOL)
    assert_allclose(two.expected, rand["expectation"], rtol=RTOL)
    assert_allclose(two.var_rand, rand["variance"], rtol=RTOL)
    assert_allclose(two.var_norm, norm["variance"], rtol=RTOL)
    assert_allclose(two.z_rand, rand["z"], rtol=RTOL)
    assert_allclose(two.z_norm, norm["z"], rtol=RTOL)
    assert_allclose(two.p_rand, rand["p_two_sided"], rtol=1e-8)
    assert_allclose(greater.p_rand, rand["p_greater"], rtol=1e-8)
    assert_allclose(greater.p_norm, norm["p_greater"], rtol=1e-8)


@pytest.mark.parametrize(("dataset", "variable", "style"), _cases("spdep_geary.csv"))
def test_geary_matches_spdep(dataset, variable, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_geary.csv", dtype={"variable": str})
    ref = ref[(ref.dataset == dataset) & (ref.variable == variable) & (ref["style"] == style)]
    w = _weights(dataset, style, tmp_path_factory)
    y = _data(dataset)[variable].to_numpy(float)
    r = A.geary(y, w, permutations=0, alternative="greater")
    for assumption, var, z, p in (("randomisation", r.var_rand, r.z_rand, r.p_rand),
                                  ("normality", r.var_norm, r.z_norm, r.p_norm)):
        row = ref[ref.assumption == assumption].iloc[0]
        assert_allclose(r.value, row["C"], rtol=RTOL)
        assert_allclose(var, row["variance"], rtol=RTOL)
        assert_allclose(-z, row["z"], rtol=RTOL)  # spdep: (1 - C)/sd
        assert_allclose(p, row["p_greater"], rtol=1e-8)


@pytest.mark.parametrize(("dataset", "variable", "style"),
                         [c for c in _cases("spdep_globalG.csv") if c[2] == "B"])
def test_general_g_matches_spdep(dataset, variable, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_globalG.csv", dtype={"variable": str})
    row = ref[(ref.dataset == dataset) & (ref.variable == variable) & (ref["style"] == style)].iloc[0]
    w = _weights(dataset, style, tmp_path_factory)
    y = _data(dataset)[variable].to_numpy(float)
    r = A.getis_ord_g(y, w, permutations=0, alternative="greater")
    assert_allclose(r.value, row["G"], rtol=RTOL)
    assert_allclose(r.expected, row["expectation"], rtol=RTOL)
    assert_allclose(r.var_rand, row["variance"], rtol=1e-8)
    assert_allclose(r.z_rand, row["z"], rtol=1e-8)
    assert_allclose(r.p_rand, row["p_greater"], rtol=1e-6)


QUAD = {"High-High": "HH", "Low-Low": "LL", "Low-High": "LH", "High-Low": "HL"}


@pytest.mark.parametrize(("dataset", "variable", "style"), _cases("spdep_localmoran.csv"))
def test_local_moran_values_and_quadrants_match_spdep(dataset, variable, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_localmoran.csv", dtype={"variable": str})
    ref = ref[(ref.dataset == dataset) & (ref.variable == variable) & (ref["style"] == style)]
    w = _weights(dataset, style, tmp_path_factory)
    y = _data(dataset)[variable].to_numpy(float)
    r = A.local_moran(y, w, permutations=0)
    for mlvar, denominator in (("TRUE", "n"), ("FALSE", "n-1")):
        sub = ref[(ref.mlvar.astype(str).str.upper() == mlvar)
                  & (ref.conditional.astype(str).str.upper() == "FALSE")].sort_values("i")
        got = A.local_moran(y, w, permutations=0, denominator=denominator).table["value"]
        assert_allclose(got.to_numpy(), sub["Ii"].to_numpy(), rtol=RTOL, atol=1e-14)
    sub = ref[(ref.mlvar.astype(str).str.upper() == "TRUE")
              & (ref.conditional.astype(str).str.upper() == "FALSE")].sort_values("i")
    assert list(r.table["quadrant"]) == [QUAD[q] for q in sub["quadr_pysal"]]


@pytest.mark.parametrize(("dataset", "variable", "style"),
                         [c for c in _cases("spdep_localG.csv") if c[2] == "B"])
def test_local_g_matches_spdep(dataset, variable, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_localG.csv", dtype={"variable": str})
    ref = ref[(ref.dataset == dataset) & (ref.variable == variable) & (ref["style"] == style)]
    w = _weights(dataset, style, tmp_path_factory)
    y = _data(dataset)[variable].to_numpy(float)
    for star in (True, False):
        sub = ref[ref.gstar.astype(str).str.upper() == str(star).upper()].sort_values("i")
        r = A.local_g(y, w, star=star, permutations=0).table
        assert_allclose(r["value"].to_numpy(), sub["G"].to_numpy(), rtol=RTOL)
        assert_allclose(r["z"].to_numpy(), sub["Z_G"].to_numpy(), rtol=1e-9)
        assert_allclose(r["p_norm"].to_numpy(), sub["p_two_sided"].to_numpy(), rtol=1e-6, atol=1e-12)
    # the Gi* z-score does not depend on row standardisation
    wr = _weights(dataset, "W", tmp_path_factory)
    assert_allclose(A.local_g(y, wr, permutations=0).table["z"], A.local_g(y, w, permutations=0).table["z"],
                    rtol=1e-12)


@pytest.mark.parametrize(("dataset", "x", "y_", "style"),
                         [tuple(r) for r in pd.read_csv(REF / "spdep_moran_bv.csv")[
                             ["dataset", "x", "y", "style"]].itertuples(index=False)])
def test_bivariate_moran_matches_spdep(dataset, x, y_, style, tmp_path_factory):
    ref = pd.read_csv(REF / "spdep_moran_bv.csv")
    row = ref[(ref.dataset == dataset) & (ref.x == x) & (ref.y == y_) & (ref["style"] == style)].iloc[0]
    w = _weights(dataset, style, tmp_path_factory)
    d = _data(dataset)
    r = A.moran_bivariate(d[x].to_numpy(float), d[y_].to_numpy(float), w, permutations=0)
    assert_allclose(r.value, row["I"], rtol=RTOL)
    e = esda.Moran_BV(d[x].to_numpy(float), d[y_].to_numpy(float), w.to_libpysal(), permutations=0,
                      transformation="B" if style == "B" else "r")
    assert_allclose(r.value, e.I, rtol=RTOL)


# ------------------------------------------------------------------ esda


@pytest.fixture(scope="module")
def columbus():
    import warnings

    import geopandas as gpd

    from regionkit.spatial.weights import from_libpysal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
        wq = libpysal.weights.Queen.from_dataframe(g, use_index=True)
    return g, wq, from_libpysal(wq, transform="R")


def test_global_statistics_match_esda(columbus):
    g, wq, w = columbus
    y = g["CRIME"].to_numpy()
    wq.transform = "r"
    m = esda.Moran(y, wq, permutations=0)
    r = A.moran(y, w, permutations=0)
    for a, b in ((r.value, m.I), (r.expected, m.EI), (r.var_norm, m.VI_norm), (r.var_rand, m.VI_rand),
                 (r.z_norm, m.z_norm), (r.z_rand, m.z_rand), (r.p_norm, m.p_norm), (r.p_rand, m.p_rand)):
        assert_allclose(a, b, rtol=RTOL)
    gc = esda.Geary(y, wq, permutations=0)
    rg = A.geary(y, w, permutations=0)
    assert_allclose([rg.value, rg.var_norm, rg.var_rand, rg.z_rand], [gc.C, gc.VC_norm, gc.VC_rand, gc.z_rand],
                    rtol=RTOL)


def test_permutation_p_within_monte_carlo_error_of_esda(columbus):
    g, wq, w = columbus
    wq.transform = "r"
    y = g["HOVAL"].to_numpy()
    P = 9999
    np.random.seed(3)  # noqa: NPY002 - esda.Moran draws from the global generator (no seed argument)
    m = esda.Moran(y, wq, permutations=P)
    r = A.moran(y, w, permutations=P, alternative="folded", rng=3)
    se = np.sqrt(m.p_sim * (1 - m.p_sim) / P)
    assert abs(r.p_sim - m.p_sim) <= 5 * se + 2 / P
    lm = esda.Moran_Local(y, wq, permutations=P, seed=1)
    rl = A.local_moran(y, w, permutations=P, alternative="folded", denominator="n-1", rng=1).table
    assert_allclose(rl["value"], lm.Is, rtol=RTOL)
    se_l = np.sqrt(lm.p_sim * (1 - lm.p_sim) / P)
    assert (np.abs(rl["p_sim"].to_numpy() - lm.p_sim) <= 5 * se_l + 3 / P).all()
    qmap = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    assert list(rl["quadrant"]) == [qmap[q] for q in lm.q]


# --------------------------------------------------------------- behaviour
def test_reproducible_and_labels():
    w = lattice(6, 6)
    y = np.r_[np.full(12, 10.0), np.zeros(24)] + np.linspace(0, 1, 36)
    a = A.local_moran(y, w, permutations=199, rng=5).table
    b = A.local_moran(y, w, permutations=199, rng=np.random.default_rng(5)).table
    pd.testing.assert_frame_equal(a, b)
    assert set(a["cluster"].astype(str)) <= set(A.LISA_LABELS)
    assert (a.loc[a["significant"], "cluster"].astype(str) == a.loc[a["significant"], "quadrant"]).all()
    fdr = A.local_moran(y, w, permutations=199, rng=5, adjust="fdr")
    bon = A.local_moran(y, w, permutations=199, rng=5, adjust="bonferroni")
    assert bon.threshold == pytest.approx(0.05 / 36)
    assert bon.table["significant"].sum() <= fdr.table["significant"].sum() <= a["significant"].sum()
    assert "conditional permutations" in fdr.summary()


def test_p_value_alternatives_are_consistent():
    w = lattice(7, 7, kind="rook")
    y = np.arange(49.0) // 7
    g = A.moran(y, w, permutations=499, alternative="greater", rng=2)
    lo = A.moran(y, w, permutations=499, alternative="less", rng=2)
    two = A.moran(y, w, permutations=499, alternative="two-sided", rng=2)
    assert g.p_sim == pytest.approx(1 / 500)
    assert lo.p_sim == pytest.approx(1.0)
    assert two.p_sim == pytest.approx(2 / 500)
    assert two.p_rand == pytest.approx(2 * g.p_rand)


def test_errors_name_regions():
    w = lattice(3, 3)
    with pytest.raises(InputError, match=r"region\(s\) \[4\]"):
        A.moran(np.r_[np.arange(4.0), np.nan, np.arange(4.0)], w)
    with pytest.raises(InputError, match="all values are equal"):
        A.moran(np.ones(9), w)
    with pytest.raises(InputError, match="choose one of"):
        A.moran(np.arange(9.0), w, alternative="both")
    with pytest.raises(InputError, match="non-negative"):
        A.getis_ord_g(np.arange(9.0) - 3, w)
    s = pd.Series(np.arange(8.0), index=range(8))
    with pytest.raises(InputError, match=r"no value for region\(s\) \[8\]"):
        A.moran(s, w)


@pytest.mark.parametrize(("dataset", "variable"), [("columbus", "CRIME"), ("us_income", "1929"),
                                                   ("us_income", "2009"), ("mexico", "pcgdp1940")])
def test_global_and_local_match_esda_on_all_example_data(dataset, variable, tmp_path_factory):
    w = _weights(dataset, "W", tmp_path_factory)
    wl = w.to_libpysal()
    wl.transform = "r"
    y = _data(dataset)[variable].to_numpy(float)
    m = esda.Moran(y, wl, permutations=0)
    r = A.moran(y, w, permutations=0)
    assert_allclose([r.value, r.expected, r.var_norm, r.var_rand, r.z_norm, r.z_rand, r.p_norm, r.p_rand],
                    [m.I, m.EI, m.VI_norm, m.VI_rand, m.z_norm, m.z_rand, m.p_norm, m.p_rand], rtol=RTOL)
    lm = esda.Moran_Local(y, wl, permutations=0)
    assert_allclose(A.local_moran(y, w, permutations=0, denominator="n-1").table["value"], lm.Is, rtol=RTOL)
