"""The synthetic city panel: determinism, argument checks and the stated structural model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import InputError
from regionkit.indices.urban import (
    indicator_system_index,
    population_change,
    ratio_indicator,
    rationalization,
)
from regionkit.io.synthetic import (
    INDICATORS,
    index_scale,
    synthetic_city_data,
    synthetic_city_panel,
    synthetic_truth,
)

SMALL = {"n_cities": 30, "years": range(2014, 2020)}


def test_same_seed_same_numbers_and_no_global_state():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - checks that the legacy global state is untouched
    a = synthetic_city_panel(**SMALL, rng=11)
    b = synthetic_city_panel(**SMALL, rng=11)
    pd.testing.assert_frame_equal(a.data, b.data)
    pd.testing.assert_frame_equal(a.regions, b.regions)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_different_seeds_differ():
    a = synthetic_city_panel(**SMALL, rng=1).data
    b = synthetic_city_panel(**SMALL, rng=2).data
    assert a.index.equals(b.index)
    assert not np.isclose(a.to_numpy(), b.to_numpy()).any(axis=0).all()


def test_rng_accepts_a_generator():
    a = synthetic_city_panel(**SMALL, rng=np.random.default_rng(5))
    b = synthetic_city_panel(**SMALL, rng=5)
    pd.testing.assert_frame_equal(a.data, b.data)
    gen = np.random.default_rng(5)
    first = synthetic_city_panel(**SMALL, rng=gen)
    second = synthetic_city_panel(**SMALL, rng=gen)  # the generator moved on
    assert not first.data.equals(second.data)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n_cities": 1}, "n_cities"),
    ({"n_cities": 12.0}, "n_cities"),
    ({"n_cities": True}, "n_cities"),
    ({"years": [2011]}, "years"),
    ({"years": [2012, 2011]}, "years"),
    ({"years": [2011, 2011]}, "years"),
    ({"years": "2011"}, "years"),
    ({"years": [2011.0, 2012.0]}, "years"),
    ({"years": 2011}, "years"),
    ({"years": range(2000, 2032)}, "years"),
    ({"rng": -1}, "rng"),
    ({"rng": None}, "rng"),
    ({"rng": "seed"}, "rng"),
    ({"rng": 1.5}, "rng"),
])
def test_bad_arguments_name_the_argument(kwargs, name):
    with pytest.raises(InputError, match=rf"^{name}="):
        synthetic_city_panel(**kwargs)


def test_longest_span_stays_positive():
    # the worst case of the stated bounds is at the longest span; every value must stay positive
    p = synthetic_city_panel(n_cities=400, years=range(1990, 2021), rng=12)
    assert (p.data.to_numpy() > 0).all()


def test_panel_shape_groups_and_positive_values():
    p = synthetic_city_panel(n_cities=25, years=[2010, 2012, 2015], rng=3)
    assert p.regions_ids[:2] == ["C001", "C002"] and p.years == [2010, 2012, 2015]
    assert set(p.regions["zone"]) == {"east", "central", "west"}
    assert p.regions["province"].nunique() == 12
    assert (p.data.to_numpy() > 0).all()
    assert "generated, not observed" in p.source and p.geometry is None


def test_library_indicators_reproduce_the_structural_variables():
    d = synthetic_city_data(**SMALL, rng=8)
    f, lat = d.panel.frame(), d.latent
    pop = population_change(f["registered"], f["resident"])
    np.testing.assert_allclose(pop.table["S"], lat["S"], atol=1e-9)
    sectors = ["primary", "secondary", "tertiary"]
    va = f[[f"va_{s}" for s in sectors]].set_axis(sectors, axis=1)
    emp = f[[f"emp_{s}" for s in sectors]].set_axis(sectors, axis=1)
    np.testing.assert_allclose(rationalization(va, emp).value, lat["R"], rtol=1e-12)
    info = ratio_indicator(f[["internet_users", "mobile_users"]], f["resident"], name="info")
    np.testing.assert_allclose(info, lat["info"], rtol=1e-12)


def test_latent_resilience_follows_the_stated_equation():
    d = synthetic_city_data(**SMALL, rng=9)
    t, lat = d.truth, d.latent
    structural = (t.beta0 + t.c_prime * lat["S"] + t.b_R * lat["R"] + t.b_I * lat["info"]
                  + lat["g"] * (lat["info"] - t.info_ref) + lat["u"] + lat["v"])
    np.testing.assert_allclose(lat["L"] - structural, lat["eps"], atol=1e-12)
    # random terms are truncated at ±4 SD
    assert lat["eps"].abs().max() <= 4 * t.sigma_eps
    assert lat.groupby(level="region")["u"].nunique().eq(1).all()
    assert lat.groupby(level="year")["v"].nunique().eq(1).all()


def test_truth_effects_and_tables():
    t = synthetic_truth()
    assert t.total_effect == pytest.approx(t.c_prime + t.a_R * t.b_R + t.a_I * t.b_I)
    eff = t.effects()
    assert eff["c"] == pytest.approx(eff["c'"] + eff["total indirect"])
    only_r = t.effects(["R"])  # info left out: its indirect effect moves into the direct effect
    assert only_r["c'"] == pytest.approx(t.c_prime + t.a_I * t.b_I) and "a[info]" not in only_r
    with pytest.raises(InputError, match="mediators"):
        t.effects(["R", "R"])
    frame = t.to_frame()
    assert frame.loc["a_R", "value"] == t.a_R and frame.loc["total_effect", "value"] == pytest.approx(-0.0017)
    assert t.sd_factor == pytest.approx(0.99946, abs=1e-5)
    raw = t.random_city_raw()
    assert raw["sd_slope"] == pytest.approx(t.sigma_g * t.sd_factor)
    assert -1 < raw["correlation"] < 0
    assert list(t.indicator_frame().index) == [s.name for s in INDICATORS]
    assert "(-0.4)·R" in t.summary() and "indirect via R = -0.0004" in t.summary()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.a_R = 1.0


def _system(frame, scope="global"):
    dims: dict = {}
    for s in INDICATORS:
        dims.setdefault(s.dimension, {})[s.name] = s.direction
    return indicator_system_index(frame, dims, weighting="equal", dimension_weights="equal", scope=scope)


def test_index_scale_is_exact():
    d = synthetic_city_data(**SMALL, rng=4)
    f, lat, t = d.panel.frame(), d.latent, d.truth
    system = _system(f)
    sc = index_scale(system, f)
    # the remainder index − offset − κ L is the weighted measurement noise, computed from the raw data
    w = system.indicator_weights
    noise = 0.0
    for s in INDICATORS:
        rng_ = f[s.name].max() - f[s.name].min()
        sign = 1 if s.direction == "positive" else -1
        noise = noise + w[s.name] * sign / rng_ * (f[s.name] - s.mean - s.slope * (lat["L"] - t.L_center))
    np.testing.assert_allclose(system.total - sc.offset - sc.kappa * lat["L"], noise, atol=1e-12)
    assert sc.kappa > 0 and sc.noise_sd > 0


def test_index_scale_needs_global_normalisation_and_generated_indicators():
    f = synthetic_city_panel(**SMALL, rng=4).frame()
    with pytest.raises(InputError, match="scope"):
        index_scale(_system(f, scope="year"), f)
    other = indicator_system_index(f.assign(extra=f["gdp_pc"] ** 2), {"a": {"gdp_pc": "positive", "extra": "positive"}})
    with pytest.raises(InputError, match="extra"):
        index_scale(other, f.assign(extra=f["gdp_pc"] ** 2))
