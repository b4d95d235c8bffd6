"""regionkit against independent reference values from the R package ``mathmodels``.

The fixtures in ``tests/reference/coupling/`` were made by
``tests/reference/coupling/make_reference.R`` (R 4.2.2, mathmodels 0.0.11,
GitHub zhjx19/mathmodels commit 8bf5e8f) on the 1986 cross-section of the
Munnell (1990) state panel (48 US states); README.md there gives the commands
and the formulas.  No R is needed here: the tests only read the CSV files.

Definitions and how they map onto regionkit:

* ``mathmodels::rescale(x, "+")`` / ``rescale(x, "-")`` is plain min-max
  ``z = (x - min)/(max - min)`` / ``(max - x)/(max - min)``; it is
  ``minmax(..., shift=0)``.
* ``mathmodels::entropy_weight(X, index, epsilon)`` normalises each indicator
  to ``[epsilon, 1 - epsilon]``: ``x' = epsilon + (1 - 2 epsilon) z``.  Neither
  ``shift_mode`` of ``minmax`` gives that interval, but
  ``x' = (1 - 2 eps) * (z + eps/(1 - 2 eps))`` (``shift_mode="add"``) and
  ``x' = (1 - eps) * (s + (1 - s) z)`` with ``s = eps/(1 - eps)``
  (``shift_mode="rescale"``): our output times a constant.  The constant
  cancels in ``p_ij = x_ij / sum_i x_ij``, so the entropy weights are the same,
  and the composite scores are ours times that constant.
  Its entropy is ``e_j = -(1/ln n) sum_i p_ij ln p_ij`` (k = 1/ln n),
  ``d_j = 1 - e_j``, ``w_j = d_j / sum d`` — as in regionkit.  It returns only
  ``w`` and the scores ``s = 100 * X' w``; the fixtures store ``U = s / 100``.
* ``mathmodels::coupling_degree(U, w, type)``: ``type="standard"`` is
  ``C = p (prod U)^(1/p) / sum U``; ``type="adjusted"`` is Wang et al. (2021),
  ``C = sqrt([1 - mean_{i<j} |U_i - U_j|] * (prod U_i / max U)^(1/(p - 1)))``
  = regionkit ``form="wang2021"``; ``T = sum w_i U_i``; ``D = sqrt(C T)``.
  The Fan form is not in mathmodels, so it has no reference here (see README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from regionkit.indices.coupling import coupling_coordination
from regionkit.indices.entropy import entropy_weights
from regionkit.indices.normalize import minmax

REF = Path(__file__).resolve().parents[1] / "reference" / "coupling"

RTOL = 1e-10
# Exact zeros (the min-max extremes) are compared with a tiny absolute
# tolerance, since "1 - z" and "(max - x)/(max - min)" may differ by one ulp.
ATOL = 1e-12

SYSTEMS = {
    "S1": {"GSP": "positive", "EMP": "positive", "P_CAP": "positive", "UNEMP": "negative"},
    "S2": {"HWY": "positive", "WATER": "positive", "UTIL": "positive", "PC": "positive"},
}
ALL_DIRECTIONS = {**SYSTEMS["S1"], **SYSTEMS["S2"]}
EPSILONS = (0.002, 0.01)
# mathmodels form name -> regionkit form name (also stored in the fixture)
FORMS = {"standard": "standard", "adjusted": "wang2021"}


def _read(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(REF / name, **kwargs)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    frame = _read("munnell_1986.csv", index_col="ST_ABB")
    assert frame.shape == (48, 9)
    return frame


def _normalized(eps: float | None) -> pd.DataFrame:
    name = "normalized_minmax.csv" if eps is None else f"normalized_eps{eps:g}.csv"
    return _read(name, index_col="ST_ABB")


def _reference_weights(system: str, eps: float) -> pd.Series:
    w = _read("entropy_weights.csv")
    sel = w[(w["system"] == system) & np.isclose(w["epsilon"], eps)]
    assert list(sel["indicator"]) == list(SYSTEMS[system])
    return sel.set_index("indicator")["weight"]


def _shift_for(eps: float, shift_mode: str) -> tuple[float, float]:
    """(shift, factor) such that factor * minmax(shift, shift_mode) == eps + (1 - 2 eps) z."""
    if shift_mode == "add":
        return eps / (1.0 - 2.0 * eps), 1.0 - 2.0 * eps
    return eps / (1.0 - eps), 1.0 - eps


# --------------------------------------------------------------------------
# normalisation
# --------------------------------------------------------------------------


def test_minmax_matches_mathmodels_rescale(raw):
    ours = minmax(raw[list(ALL_DIRECTIONS)], ALL_DIRECTIONS, scope="global")
    ref = _normalized(None)
    assert list(ours.columns) == list(ref.columns)
    assert list(ours.index) == list(ref.index)
    assert_allclose(ours.to_numpy(), ref.to_numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shift_mode", ["add", "rescale"])
@pytest.mark.parametrize("eps", EPSILONS)
def test_minmax_shift_reproduces_epsilon_rescaling_up_to_a_constant(raw, eps, shift_mode):
    # mathmodels: [eps, 1 - eps]; ours: [shift, 1 + shift] or [shift, 1].
    shift, factor = _shift_for(eps, shift_mode)
    ours = minmax(raw[list(ALL_DIRECTIONS)], ALL_DIRECTIONS, shift=shift, shift_mode=shift_mode)
    ref = _normalized(eps)
    assert_allclose(
        factor * ours.to_numpy(), ref[list(ALL_DIRECTIONS)].to_numpy(), rtol=RTOL, atol=ATOL
    )


# --------------------------------------------------------------------------
# entropy weights
# --------------------------------------------------------------------------


@pytest.mark.parametrize("system", list(SYSTEMS))
@pytest.mark.parametrize("eps", EPSILONS)
def test_entropy_weights_on_mathmodels_normalised_matrix(system, eps):
    # Downstream only: feed the R-normalised matrix into our entropy_weights.
    x = _normalized(eps)[list(SYSTEMS[system])]
    ew = entropy_weights(x)
    ref = _reference_weights(system, eps)
    assert list(ew.weights.index) == list(ref.index)
    assert_allclose(ew.weights.to_numpy(), ref.to_numpy(), rtol=RTOL)
    # internal consistency of the other two attributes (not in the R output)
    assert_allclose(ew.divergence.to_numpy(), 1.0 - ew.entropy.to_numpy(), rtol=RTOL)
    assert_allclose(
        ew.weights.to_numpy(), (ew.divergence / ew.divergence.sum()).to_numpy(), rtol=RTOL
    )


@pytest.mark.parametrize("shift_mode", ["add", "rescale"])
@pytest.mark.parametrize("system", list(SYSTEMS))
@pytest.mark.parametrize("eps", EPSILONS)
def test_entropy_weights_through_minmax(raw, system, eps, shift_mode):
    # Whole pipeline: the constant factor cancels in p_ij, so weights match exactly.
    dirs = SYSTEMS[system]
    shift, _ = _shift_for(eps, shift_mode)
    ew = entropy_weights(minmax(raw[list(dirs)], dirs, shift=shift, shift_mode=shift_mode))
    ref = _reference_weights(system, eps)
    assert_allclose(ew.weights.loc[list(ref.index)].to_numpy(), ref.to_numpy(), rtol=RTOL)


# --------------------------------------------------------------------------
# composite scores U = sum_j w_j x'_ij
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shift_mode", ["add", "rescale"])
@pytest.mark.parametrize("eps", EPSILONS)
def test_composite_scores(raw, eps, shift_mode):
    scores = _read("scores.csv", index_col="ST_ABB")
    scores = scores[np.isclose(scores["epsilon"], eps)]
    shift, factor = _shift_for(eps, shift_mode)
    for k, (system, dirs) in enumerate(SYSTEMS.items(), start=1):
        z = minmax(raw[list(dirs)], dirs, shift=shift, shift_mode=shift_mode)
        ew = entropy_weights(z)
        ours = factor * (z.to_numpy() @ ew.weights.loc[list(dirs)].to_numpy())
        assert_allclose(ours, scores.loc[z.index, f"U{k}"].to_numpy(), rtol=RTOL, err_msg=system)
    # third system of the three-system case: EMP alone (its normalised value)
    emp = minmax(raw[["EMP"]], {"EMP": "positive"}, shift=shift, shift_mode=shift_mode)
    assert_allclose(
        factor * emp["EMP"].to_numpy(), scores.loc[emp.index, "U3"].to_numpy(), rtol=RTOL
    )


# --------------------------------------------------------------------------
# coupling coordination degree
# --------------------------------------------------------------------------

_CCD = _read("ccd_reference.csv", keep_default_na=True)
_CCD_CASES = sorted({(c, f) for c, f in zip(_CCD["case"], _CCD["form"], strict=True)})


def _ccd_case(case: str, form: str) -> tuple[pd.DataFrame, dict[str, float] | None, pd.DataFrame]:
    block = _CCD[(_CCD["case"] == case) & (_CCD["form"] == form)]
    p = int(block["n_systems"].iloc[0])
    systems = [f"U{i}" for i in range(1, p + 1)]
    scores = block.set_index("id")[systems]
    weights = None
    if bool(block["weights_given"].iloc[0]):
        weights = {s: float(block[f"w{i}"].iloc[0]) for i, s in enumerate(systems, start=1)}
    return scores, weights, block


def test_ccd_fixture_covers_expected_cases():
    assert set(_CCD["form_r"]) == set(FORMS)
    assert all(FORMS[r] == f for r, f in zip(_CCD["form_r"], _CCD["form"], strict=True))
    assert len(_CCD_CASES) == 12


@pytest.mark.parametrize(("case", "form"), _CCD_CASES)
def test_coupling_coordination_matches_mathmodels(case, form):
    scores, weights, block = _ccd_case(case, form)
    frame = coupling_coordination(scores, form=form, weights=weights).to_frame()
    assert len(frame) == len(block)
    # rows are compared in input order
    for col in ("C", "T", "D"):
        assert_allclose(
            frame[col].to_numpy(), block[col].to_numpy(), rtol=RTOL, err_msg=f"{case}/{form}/{col}"
        )


@pytest.mark.parametrize(("case", "form"), [cf for cf in _CCD_CASES if "equal" in cf[0]])
def test_coupling_coordination_explicit_equal_weights(case, form):
    # weights=None and explicit equal weights must both give mathmodels' w = NULL result
    scores, weights, block = _ccd_case(case, form)
    assert weights is None
    equal = {s: 1.0 / scores.shape[1] for s in scores.columns}
    frame = coupling_coordination(scores, form=form, weights=equal).to_frame()
    for col in ("C", "T", "D"):
        assert_allclose(
            frame[col].to_numpy(), block[col].to_numpy(), rtol=RTOL, err_msg=f"{case}/{form}/{col}"
        )


@pytest.mark.parametrize("eps", [0.002, 0.01])
def test_band_mode_reproduces_mathmodels_end_to_end(eps):
    """``shift_mode="band"`` is mathmodels' [eps, 1 - eps] rescaling: the whole chain
    (normalisation -> entropy weights -> composite U -> C, T, D) then matches without
    any rescaling constant."""
    from regionkit.indices.composite import composite_index

    raw = pd.read_csv(REF / "munnell_1986.csv").set_index("ST_ABB")
    norm_ref = pd.read_csv(REF / f"normalized_eps{eps}.csv").set_index("ST_ABB")
    scores_ref = pd.read_csv(REF / "scores.csv")
    scores_ref = scores_ref[np.isclose(scores_ref["epsilon"], eps)].set_index("ST_ABB")
    s1 = {"GSP": "positive", "EMP": "positive", "P_CAP": "positive", "UNEMP": "negative"}
    s2 = {"HWY": "positive", "WATER": "positive", "UTIL": "positive", "PC": "positive"}
    u = {}
    for name, dirs in (("U1", s1), ("U2", s2)):
        ci = composite_index(raw[list(dirs)], dirs, name=name, shift=eps, shift_mode="band")
        assert_allclose(ci.normalized.to_numpy(), norm_ref.loc[raw.index, list(dirs)].to_numpy(),
                        rtol=RTOL, atol=ATOL)
        assert_allclose(ci.score.to_numpy(), scores_ref.loc[raw.index, name].to_numpy(), rtol=RTOL)
        u[name] = ci.score
    if eps == 0.002:
        ref = pd.read_csv(REF / "ccd_reference.csv")
        for form_r, form in (("standard", "standard"), ("adjusted", "wang2021")):
            case = ref[(ref["case"] == "munnell_2sys_equal") & (ref["form_r"] == form_r)].set_index("id")
            assert len(case) == 48, form_r
            r = coupling_coordination(pd.DataFrame(u), form=form).to_frame()
            for col in ("C", "T", "D"):
                assert_allclose(r.loc[case.index, col].to_numpy(), case[col].to_numpy(), rtol=RTOL)
