"""A synthetic city panel whose true structural effects are known (population shrinkage and resilience).

No wheel regionkit depends on ships a city panel with registered and
resident population, sector value added and employment, internet users and
urban-resilience indicators, so :func:`synthetic_city_panel` *generates*
one from a stated structural model.  It is meant for the
``population-resilience`` study template, for tests and for teaching: the
estimates of a study can be checked against the true values
(:func:`synthetic_truth`).  The numbers are invented; they are not
observations of any real city.

Structural model
----------------
Cities ``i`` (in 12 provinces of three zones: east, central, west) and years
``t`` (``τ = t − first year``).  Population in 10,000 persons.  Every random
term is an independent normal draw truncated at ±4 standard deviations
(which keeps every generated quantity in range; the standard deviation of
a term is ``0.99946 σ``, stated by :attr:`SyntheticTruth.sd_factor`)::

    S_it    = μ_S[zone_i] + s_i + d_it                                  (population change)
    R_it    = α_R + a_R S_it + w_i + η_it                               (rationalisation, Theil)
    info_it = α_I + γ_I τ + a_I S_it + k_i + ζ_it                       (informatisation)
    L_it    = β_0 + c' S_it + b_R R_it + b_I info_it + g_i (info_it − info_ref)
              + u_i + v_t + ε_it                                        (latent resilience)

``S`` is registered minus resident population (``S > 0``: shrinking) and is
independent of every other random term (it is exogenous by construction);
the two mediators are independent of each other given ``S``.  Hence the
true effects of ``S`` on ``L`` are: direct ``c'``, indirect through
``R`` ``a_R b_R``, through ``info`` ``a_I b_I``, total
``c = c' + a_R b_R + a_I b_I``.  Crossed random intercepts ``u_i`` (city)
and ``v_t`` (year) and a random city slope ``g_i`` on ``info`` (independent
of ``u_i``; centred at ``info_ref``, the typical informatisation, so that
``u_i`` is the city effect there) make ``(1 + info | city) + (1 | year)``
the true random part.  Written with raw ``info`` as lme4 does, the city
intercept is ``u_i − info_ref g_i``: standard deviation
``sqrt(σ_u² + info_ref² σ_g²)`` and correlation
``−info_ref σ_g / sqrt(σ_u² + info_ref² σ_g²)`` with the slope
(:meth:`SyntheticTruth.random_city_raw`).

Observed columns are built so that regionkit's indicators reproduce the
structural variables exactly (up to rounding):

* ``registered`` and ``resident = registered − S``, so
  :func:`~regionkit.indices.urban.population_change` gives ``S``;
* value added and employment of three sectors with output shares ``y`` and
  employment shares ``l`` chosen so that the Theil index
  ``Σ y_j ln(y_j / l_j)`` (:func:`~regionkit.indices.urban.rationalization`)
  equals ``R``;
* ``internet_users + mobile_users = info · resident``, so
  ``(internet_users + mobile_users) / resident``
  (:func:`~regionkit.indices.urban.ratio_indicator`) gives ``info``;
* ten resilience indicators in three dimensions (resistance, adaptation,
  transformation), each linear in ``L`` with measurement noise:
  ``x_j = μ_j (1 + s_j ρ_j (L − L_c)) + μ_j n_j e_j`` with ``s_j = +1`` for
  positive and ``−1`` for negative indicators (:data:`INDICATORS`).

Because every indicator is linear in ``L``, a min-max normalised weighted
index ``U = Σ_j w_j z_j`` (global scope) equals ``offset + κ L + noise``;
:func:`index_scale` computes ``κ`` from the realised weights and ranges, and
the true effects on the index are those on ``L`` times ``κ``.

The order of the random draws is part of the definition: the same ``rng``
gives the same panel, bit for bit, on every platform numpy supports.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from ..errors import ComputationError, InputError
from ..panel import REGION, YEAR, Panel

#: Truncation of every normal draw, in standard deviations.
TRUNCATION = 4.0
#: Longest span of years (last − first) for which every generated value is provably positive.
MAX_SPAN = 30
#: Zones and their provinces (cities are assigned to provinces in turn).
PROVINCES: tuple[tuple[str, str], ...] = (
    ("P01", "east"), ("P02", "east"), ("P03", "east"), ("P04", "east"), ("P05", "east"),
    ("P06", "central"), ("P07", "central"), ("P08", "central"), ("P09", "central"),
    ("P10", "west"), ("P11", "west"), ("P12", "west"),
)
SECTORS = ("primary", "secondary", "tertiary")
#: Direction of the distortion of employment shares (agriculture over-employed).
_EMPLOYMENT_DISTORTION = np.array([0.95, 0.03, 0.02])


@dataclass(frozen=True)
class IndicatorSpec:
    """One generated resilience indicator ``x = μ (1 + s ρ (L − L_c)) + μ n e``.

    Attributes
    ----------
    name, dimension, direction, description : str
        Column, dimension of the indicator system, ``"positive"`` or
        ``"negative"`` (``s = ±1``), meaning and unit.
    mean : float
        ``μ``, the value at ``L = L_c``.
    loading : float
        ``ρ``: relative change of the indicator per unit of ``L``.
    noise_cv : float
        ``n``: standard deviation of the measurement noise relative to ``μ``.
    """

    name: str
    dimension: str
    direction: str
    description: str
    mean: float
    loading: float
    noise_cv: float

    @property
    def slope(self) -> float:
        """``∂x / ∂L = s ρ μ``."""
        return (1.0 if self.direction == "positive" else -1.0) * self.loading * self.mean

    @property
    def noise_sd(self) -> float:
        """Nominal standard deviation of the measurement noise, ``μ n``."""
        return self.mean * self.noise_cv


#: The ten resilience indicators of the synthetic panel.
INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("gdp_pc", "resistance", "positive", "GDP per capita (10,000 yuan)", 6.5, 0.25, 0.04),
    IndicatorSpec("unemployment", "resistance", "negative", "registered urban unemployment rate (%)",
                  3.2, 0.20, 0.05),
    IndicatorSpec("fiscal_ratio", "resistance", "positive", "general budget revenue / expenditure",
                  0.55, 0.20, 0.05),
    IndicatorSpec("savings_pc", "adaptation", "positive", "household deposits per capita (10,000 yuan)",
                  4.5, 0.22, 0.04),
    IndicatorSpec("hospital_beds", "adaptation", "positive", "hospital beds per 1,000 residents", 5.6, 0.15, 0.04),
    IndicatorSpec("road_area_pc", "adaptation", "positive", "paved road area per resident (m²)", 14.0, 0.18, 0.05),
    IndicatorSpec("rd_intensity", "transformation", "positive", "R&D expenditure (% of GDP)", 1.8, 0.25, 0.05),
    IndicatorSpec("patents_per_10k", "transformation", "positive",
                  "invention patents granted per 10,000 residents", 9.0, 0.25, 0.05),
    IndicatorSpec("students_per_10k", "transformation", "positive", "college students per 10,000 residents",
                  180.0, 0.20, 0.05),
    IndicatorSpec("so2_intensity", "transformation", "negative",
                  "industrial SO2 emissions per GDP (t per 100 million yuan)", 18.0, 0.20, 0.05),
)


def _sd_factor(c: float = TRUNCATION) -> float:
    """Standard deviation of a standard normal truncated to ``[−c, c]``."""
    phi = math.exp(-0.5 * c * c) / math.sqrt(2 * math.pi)
    mass = math.erf(c / math.sqrt(2))
    return math.sqrt(1.0 - 2.0 * c * phi / mass)


@dataclass(frozen=True)
class SyntheticTruth:
    """The true parameters of :func:`synthetic_city_panel` (see the module docstring).

    Effects are per unit of the variables as generated: ``S`` in 10,000
    persons, ``R`` (Theil index) and ``info`` (internet users per resident)
    without units, the latent resilience ``L`` without units.  ``sigma_*``
    are the nominal standard deviations of the (truncated) normal terms;
    multiply by :attr:`sd_factor` for the exact ones.

    Examples
    --------
    >>> from regionkit.io.synthetic import synthetic_truth
    >>> t = synthetic_truth()
    >>> round(t.indirect_R, 6), round(t.indirect_I, 6)     # a_R·b_R and a_I·b_I
    (-0.0004, -0.0003)
    >>> round(t.total_effect, 6)                            # c' + a_R·b_R + a_I·b_I
    -0.0017
    >>> t.effects(["R"])["c'"]  # info left out of the analysis: its indirect effect joins the direct one
    -0.0013
    """

    # population change S = μ_S[zone] + s_i + d_it
    mu_S_east: float = -25.0
    mu_S_central: float = 15.0
    mu_S_west: float = 10.0
    sigma_s: float = 20.0
    sigma_d: float = 6.0
    # rationalisation R = α_R + a_R S + w_i + η_it
    alpha_R: float = 0.45
    a_R: float = 0.0010
    sigma_w: float = 0.04
    sigma_eta: float = 0.02
    # informatisation info = α_I + γ_I τ + a_I S + k_i + ζ_it
    alpha_I: float = 0.80
    gamma_I: float = 0.08
    a_I: float = -0.0015
    sigma_k: float = 0.08
    sigma_zeta: float = 0.04
    # latent resilience L = β0 + c' S + b_R R + b_I info + g_i (info − info_ref) + u_i + v_t + ε_it
    beta0: float = 0.50
    c_prime: float = -0.0010
    b_R: float = -0.40
    b_I: float = 0.20
    sigma_u: float = 0.05
    sigma_g: float = 0.08
    sigma_v: float = 0.03
    sigma_eps: float = 0.04
    info_ref: float = 1.15
    # indicators x_j = μ_j (1 + s_j ρ_j (L − L_c)) + μ_j n_j e_j
    L_center: float = 0.55
    indicators: tuple[IndicatorSpec, ...] = field(default=INDICATORS, repr=False)

    @property
    def sd_factor(self) -> float:
        """Exact standard deviation of a term with nominal ``σ = 1`` (truncation at ±4σ)."""
        return _sd_factor()

    @property
    def indirect_R(self) -> float:  # noqa: N802 - the symbol of the model
        """True indirect effect of ``S`` on ``L`` through ``R``: ``a_R b_R``."""
        return self.a_R * self.b_R

    @property
    def indirect_I(self) -> float:  # noqa: N802 - the symbol of the model
        """True indirect effect of ``S`` on ``L`` through ``info``: ``a_I b_I``."""
        return self.a_I * self.b_I

    @property
    def total_indirect(self) -> float:
        """``a_R b_R + a_I b_I``."""
        return self.indirect_R + self.indirect_I

    @property
    def total_effect(self) -> float:
        """``c = c' + a_R b_R + a_I b_I``."""
        return self.c_prime + self.total_indirect

    def random_city_raw(self) -> dict[str, float]:
        """Exact city random-effect SDs and correlation with raw ``info`` (lme4's ``(1 + info | city)``).

        Returns
        -------
        dict
            ``sd_intercept`` (of ``u_i − info_ref g_i``), ``sd_slope`` (of
            ``g_i``) and ``correlation``, on the scale of ``L``.
        """
        f = self.sd_factor
        sd_int = math.hypot(self.sigma_u, self.info_ref * self.sigma_g)
        return {"sd_intercept": f * sd_int, "sd_slope": f * self.sigma_g,
                "correlation": -self.info_ref * self.sigma_g / sd_int}

    def effects(self, mediators: Iterable[str] = ("R", "info")) -> dict[str, float]:
        """True paths of a mediation of ``S`` on ``L`` through a subset of ``{"R", "info"}``.

        A mediator left out of the analysis moves its indirect effect into
        the direct effect (the mediators are independent given ``S``).

        Returns
        -------
        dict
            ``a[M]``, ``b[M]``, ``indirect[M]`` per mediator, ``c'``, ``c`` and
            ``total indirect`` (on the scale of ``L``).
        """
        paths = {"R": (self.a_R, self.b_R), "info": (self.a_I, self.b_I)}
        chosen = list(mediators)
        unknown = [m for m in chosen if m not in paths]
        if unknown or len(set(chosen)) != len(chosen):
            raise InputError(f"mediators={chosen!r}: choose distinct mediators among 'R' and 'info'")
        out: dict[str, float] = {}
        for m in chosen:
            a, b = paths[m]
            out[f"a[{m}]"], out[f"b[{m}]"], out[f"indirect[{m}]"] = a, b, a * b
        out["total indirect"] = sum(paths[m][0] * paths[m][1] for m in chosen)
        out["c'"] = self.c_prime + sum(a * b for k, (a, b) in paths.items() if k not in chosen)
        out["c"] = self.total_effect
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per scalar parameter and derived effect: ``value`` and ``description``."""
        desc = {
            "mu_S_east": "mean population change S of eastern cities (10,000 persons)",
            "mu_S_central": "mean S of central cities",
            "mu_S_west": "mean S of western cities",
            "sigma_s": "SD of the city component of S",
            "sigma_d": "SD of the city-year component of S",
            "alpha_R": "intercept of R",
            "a_R": "effect of S on R (a path)",
            "sigma_w": "SD of the city random intercept of R",
            "sigma_eta": "SD of the city-year error of R",
            "alpha_I": "intercept of info (first year)",
            "gamma_I": "yearly trend of info",
            "a_I": "effect of S on info (a path)",
            "sigma_k": "SD of the city random intercept of info",
            "sigma_zeta": "SD of the city-year error of info",
            "beta0": "intercept of latent resilience L",
            "c_prime": "direct effect of S on L (c')",
            "b_R": "effect of R on L (b path)",
            "b_I": "mean effect of info on L (b path)",
            "sigma_u": "SD of the city random intercept of L",
            "sigma_g": "SD of the city random slope of info in L",
            "sigma_v": "SD of the year random intercept of L",
            "sigma_eps": "SD of the city-year error of L",
            "info_ref": "info value at which the random slope g_i is centred",
            "L_center": "value of L at which indicators equal their means",
        }
        rows = [(f.name, float(getattr(self, f.name)), desc[f.name]) for f in fields(self) if f.name != "indicators"]
        rows += [
            ("indirect_R", self.indirect_R, "indirect effect through R, a_R·b_R"),
            ("indirect_I", self.indirect_I, "indirect effect through info, a_I·b_I"),
            ("total_indirect", self.total_indirect, "a_R·b_R + a_I·b_I"),
            ("total_effect", self.total_effect, "c = c' + a_R·b_R + a_I·b_I"),
            ("sd_factor", self.sd_factor, "exact SD of a term with nominal SD 1 (normal truncated at ±4 SD)"),
        ]
        return pd.DataFrame(rows, columns=["parameter", "value", "description"]).set_index("parameter")

    def indicator_frame(self) -> pd.DataFrame:
        """One row per resilience indicator: dimension, direction, mean, loading, noise, description."""
        return pd.DataFrame(
            [(i.name, i.dimension, i.direction, i.mean, i.loading, i.noise_cv, i.slope, i.description)
             for i in self.indicators],
            columns=["indicator", "dimension", "direction", "mean", "loading", "noise_cv", "slope", "description"],
        ).set_index("indicator")

    def summary(self) -> str:
        """The structural model with its true values, in words."""
        return "\n".join([
            "Synthetic city panel (regionkit.io.synthetic): structural model with true values",
            f"  S    = μ_S[zone] + s_i + d_it; μ_S east {self.mu_S_east:g}, central {self.mu_S_central:g}, "
            f"west {self.mu_S_west:g} (10,000 persons); SD s {self.sigma_s:g}, d {self.sigma_d:g}",
            f"  R    = {self.alpha_R:g} + {self.a_R:g}·S + w_i + η_it; SD w {self.sigma_w:g}, η {self.sigma_eta:g}",
            f"  info = {self.alpha_I:g} + {self.gamma_I:g}·(t − t0) + ({self.a_I:g})·S + k_i + ζ_it; "
            f"SD k {self.sigma_k:g}, ζ {self.sigma_zeta:g}",
            f"  L    = {self.beta0:g} + ({self.c_prime:g})·S + ({self.b_R:g})·R + {self.b_I:g}·info "
            f"+ g_i·(info − {self.info_ref:g}) + u_i + v_t + ε_it; SD u {self.sigma_u:g}, g {self.sigma_g:g}, "
            f"v {self.sigma_v:g}, ε {self.sigma_eps:g}",
            f"  indirect via R = {self.indirect_R:.6g}, via info = {self.indirect_I:.6g}, "
            f"total indirect = {self.total_indirect:.6g}, direct = {self.c_prime:.6g}, "
            f"total = {self.total_effect:.6g}",
            f"  random terms: normal truncated at ±{TRUNCATION:g} SD (exact SD = {self.sd_factor:.5f}·σ); "
            f"{len(self.indicators)} indicators linear in L with measurement noise",
        ])


def synthetic_truth() -> SyntheticTruth:
    """The true parameters of :func:`synthetic_city_panel` (they do not depend on the seed).

    Examples
    --------
    >>> from regionkit.io.synthetic import synthetic_truth
    >>> synthetic_truth().c_prime
    -0.001
    """
    return SyntheticTruth()


@dataclass(frozen=True)
class SyntheticCityData:
    """The synthetic panel with the unobserved parts of its generation.

    Attributes
    ----------
    panel : Panel
        The observed columns (what a study sees).
    latent : pandas.DataFrame
        Per ``(region, year)``: ``S``, ``R``, ``info`` (as regionkit computes
        them from the panel), the latent resilience ``L`` and its random
        terms ``u``, ``g``, ``v``, ``eps``.
    truth : SyntheticTruth
        The parameters.
    """

    panel: Panel
    latent: pd.DataFrame
    truth: SyntheticTruth


def _check_args(n_cities, years, rng) -> tuple[int, list[int], np.random.Generator, str]:
    if isinstance(n_cities, bool) or not isinstance(n_cities, (int, np.integer)) or n_cities < 2:
        raise InputError(f"n_cities={n_cities!r} must be an integer >= 2")
    if isinstance(years, (str, bytes)) or not isinstance(years, Iterable):
        raise InputError(f"years={years!r} must be an iterable of integer years (e.g. range(2011, 2021))")
    ys = list(years)
    if any(isinstance(y, bool) or not isinstance(y, (int, np.integer)) for y in ys):
        raise InputError(f"years={ys!r} must hold integer years")
    ys = [int(y) for y in ys]
    if len(ys) < 2 or any(b <= a for a, b in zip(ys, ys[1:], strict=False)):
        raise InputError(f"years={ys!r} must hold at least two strictly increasing years")
    if ys[-1] - ys[0] > MAX_SPAN:
        raise InputError(f"years={ys[0]}…{ys[-1]} span more than {MAX_SPAN} years; the stated model (with its "
                         "informatisation trend) keeps every generated value positive up to that span")
    if isinstance(rng, np.random.Generator):
        return int(n_cities), ys, rng, "a numpy Generator"
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(n_cities), ys, np.random.default_rng(int(rng)), str(int(rng))
    raise InputError(f"rng={rng!r} must be a non-negative int seed or a numpy Generator")


def _tn(gen: np.random.Generator, shape) -> np.ndarray:
    """Standard normal draws truncated to ±TRUNCATION (rejected draws are redrawn, in order)."""
    z = gen.standard_normal(shape)
    bad = np.abs(z) > TRUNCATION
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > TRUNCATION
    return z


def _employment_shares(y: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Employment shares ``l = (1 − θ) y + θ q`` with ``Σ y ln(y / l) = target`` (bisection in θ)."""
    q = _EMPLOYMENT_DISTORTION
    top = np.sum(y * np.log(y / q), axis=1)
    if np.any(target <= 0) or np.any(target >= top):
        raise ComputationError("synthetic panel: a rationalisation target is outside the reachable range")
    lo = np.zeros(len(y))
    hi = np.ones(len(y))
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        lm = (1 - mid)[:, None] * y + mid[:, None] * q
        above = np.sum(y * np.log(y / lm), axis=1) > target
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    theta = 0.5 * (lo + hi)
    return (1 - theta)[:, None] * y + theta[:, None] * q


def synthetic_city_data(
    *,
    n_cities: int = 120,
    years: Iterable[int] = range(2011, 2021),
    rng: int | np.random.Generator = 20240101,
) -> SyntheticCityData:
    """Generate the synthetic city panel together with its latent variables and true parameters.

    See :func:`synthetic_city_panel` (same arguments); this variant also
    returns the unobserved parts (:class:`SyntheticCityData`).
    """
    n, ys, gen, seed_text = _check_args(n_cities, years, rng)
    truth = SyntheticTruth()
    nt = len(ys)
    tau = np.asarray(ys, dtype=float) - ys[0]
    prov = [PROVINCES[i % len(PROVINCES)] for i in range(n)]
    zone = np.array([z for _, z in prov])
    mu_s = np.select([zone == "east", zone == "central"], [truth.mu_S_east, truth.mu_S_central], truth.mu_S_west)

    # ---- city-level draws (this order is part of the definition)
    z_size, s_i, w_i, k_i, u_i, g_i, z_p1, z_q3, z_emp, z_arpu = (_tn(gen, n) for _ in range(10))
    # ---- year-level draws
    v_t = _tn(gen, nt)
    # ---- city-year draws
    d_it, eta_it, zeta_it, eps_it, z_bb = (_tn(gen, (n, nt)) for _ in range(5))
    e_ind = _tn(gen, (len(truth.indicators), n, nt))

    # population (10,000 persons): S = registered − resident
    size = 500.0 * np.exp(0.3 * z_size)
    registered = size[:, None] * (1.0 + 0.004 * tau)[None, :]
    s_target = mu_s[:, None] + truth.sigma_s * s_i[:, None] + truth.sigma_d * d_it
    resident = registered - s_target
    S = registered - resident

    # informatisation: internet + mobile internet users (10,000) per resident
    info_target = (truth.alpha_I + truth.gamma_I * tau[None, :] + truth.a_I * S
                   + truth.sigma_k * k_i[:, None] + truth.sigma_zeta * zeta_it)
    users = info_target * resident
    broadband_share = 0.25 + 0.05 * z_bb
    internet_users = broadband_share * users
    mobile_users = users - internet_users
    info = (internet_users + mobile_users) / resident
    arpu = 400.0 * np.exp(0.1 * z_arpu)  # yuan per user and year
    telecom_revenue = users * arpu[:, None] / 1e4  # 100 million yuan

    # rationalisation: sector shares with Theil index R
    r_target = truth.alpha_R + truth.a_R * S + truth.sigma_w * w_i[:, None] + truth.sigma_eta * eta_it
    base_p1 = np.select([zone == "east", zone == "central"], [0.05, 0.10], 0.13)
    p1 = base_p1[:, None] * np.exp(0.25 * z_p1)[:, None] * (0.98 ** tau)[None, :]
    q3 = 1.0 / (1.0 + np.exp(-(-0.1 + 0.04 * tau[None, :] + 0.25 * z_q3[:, None])))
    y_shares = np.stack([p1, (1 - p1) * (1 - q3), (1 - p1) * q3], axis=-1).reshape(-1, 3)
    l_shares = _employment_shares(y_shares, r_target.reshape(-1))
    employed = (resident * (0.52 + 0.03 * z_emp)[:, None]).reshape(-1, 1)
    emp = l_shares * employed
    ys_ = y_shares
    ls_ = emp / emp.sum(axis=1, keepdims=True)
    R = np.sum(ys_ * np.log(ys_ / ls_), axis=1).reshape(n, nt)

    # latent resilience and its indicators
    u = truth.sigma_u * u_i
    g = truth.sigma_g * g_i
    v = truth.sigma_v * v_t
    eps = truth.sigma_eps * eps_it
    L = (truth.beta0 + truth.c_prime * S + truth.b_R * R + truth.b_I * info + g[:, None] * (info - truth.info_ref)
         + u[:, None] + v[None, :] + eps)
    ind = {}
    for j, spec in enumerate(truth.indicators):
        ind[spec.name] = spec.mean + spec.slope * (L - truth.L_center) + spec.noise_sd * e_ind[j]
    gdp = ind["gdp_pc"] * resident  # 100 million yuan (10,000 yuan × 10,000 persons)
    va = gdp.reshape(-1, 1) * ys_

    cols = {
        "registered": registered, "resident": resident,
        **{f"va_{s}": va[:, k].reshape(n, nt) for k, s in enumerate(SECTORS)},
        **{f"emp_{s}": emp[:, k].reshape(n, nt) for k, s in enumerate(SECTORS)},
        "internet_users": internet_users, "mobile_users": mobile_users, "telecom_revenue": telecom_revenue,
        **ind,
    }
    bad = [k for k, a in cols.items() if not np.all(np.isfinite(a) & (a > 0))]
    if bad:  # cannot happen with the stated bounds; a guard against editing mistakes
        raise ComputationError(f"synthetic panel: non-positive values generated in {bad}")
    ids = [f"C{i + 1:03d}" for i in range(n)]
    index = pd.MultiIndex.from_product([ids, ys], names=[REGION, YEAR])
    data = pd.DataFrame({k: a.reshape(-1) for k, a in cols.items()}, index=index)
    regions = pd.DataFrame(
        {"name": [f"City {i + 1:03d}" for i in range(n)], "province": [p for p, _ in prov], "zone": zone},
        index=pd.Index(ids, name=REGION),
    )
    source = (f"synthetic data: regionkit.io.synthetic.synthetic_city_panel(n_cities={n}, "
              f"years={ys[0]}–{ys[-1]}, rng={seed_text}); generated, not observed")
    panel = Panel.from_frame(data.reset_index(), regions=regions, source=source)
    latent = pd.DataFrame({
        "S": S.reshape(-1), "R": R.reshape(-1), "info": info.reshape(-1), "L": L.reshape(-1),
        "u": np.repeat(u, nt), "g": np.repeat(g, nt), "v": np.tile(v, n), "eps": eps.reshape(-1),
    }, index=index)
    return SyntheticCityData(panel=panel, latent=latent, truth=truth)


def synthetic_city_panel(
    *,
    n_cities: int = 120,
    years: Iterable[int] = range(2011, 2021),
    rng: int | np.random.Generator = 20240101,
) -> Panel:
    """A synthetic city × year panel for population-change and urban-resilience studies.

    The data follow the structural model of the module docstring, with the
    true values of :func:`synthetic_truth`.  They are generated, not observed.

    Parameters
    ----------
    n_cities : int, default 120
        Number of cities (at least 2); city ``i`` lies in province
        ``PROVINCES[i % 12]`` (5 eastern, 4 central, 3 western provinces).
    years : iterable of int, default 2011–2020
        Strictly increasing years (at least two, spanning at most
        :data:`MAX_SPAN` = 30 years); gaps are allowed (trends use
        ``year − first year``).
    rng : int or numpy.random.Generator, default 20240101
        Seed or generator; the same seed gives the same numbers.  No global
        random state is touched.

    Returns
    -------
    Panel
        Region ids ``C001 …``, attributes ``name``, ``province``, ``zone``
        (east/central/west), no geometry.  Variables (population in 10,000
        persons, money in 100 million yuan): ``registered``, ``resident``,
        ``va_primary``/``va_secondary``/``va_tertiary`` (value added),
        ``emp_primary``/``emp_secondary``/``emp_tertiary`` (employment),
        ``internet_users``, ``mobile_users`` (10,000 users),
        ``telecom_revenue``, and the resilience indicators of
        :data:`INDICATORS`.

    Raises
    ------
    InputError
        ``n_cities`` not an integer >= 2, ``years`` not strictly increasing
        integers or spanning more than 30 years, ``rng`` neither a
        non-negative int nor a Generator.

    Examples
    --------
    >>> from regionkit.io.synthetic import synthetic_city_panel
    >>> p = synthetic_city_panel(n_cities=24, years=range(2015, 2020), rng=7)
    >>> len(p.regions_ids), p.years[0], p.years[-1], p.groupings
    (24, 2015, 2019, ['province', 'zone'])
    >>> f = p.frame(["registered", "resident"])
    >>> bool(((f["registered"] - f["resident"]).abs() < 200).all())
    True
    >>> p.content_hash() == synthetic_city_panel(n_cities=24, years=range(2015, 2020), rng=7).content_hash()
    True
    """
    return synthetic_city_data(n_cities=n_cities, years=years, rng=rng).panel


@dataclass(frozen=True)
class IndexScale:
    """How a min-max weighted index of the synthetic indicators measures the latent resilience ``L``.

    ``index = offset + kappa · L + noise``; the noise (weighted measurement
    errors of the indicators) has standard deviation ``noise_sd`` and is
    independent of ``S``, ``R``, ``info``.

    Attributes
    ----------
    kappa : float
        ``Σ_j w_j (∂z_j/∂x_j) (∂x_j/∂L)``.
    offset : float
        Index value at ``L = 0`` without noise.
    noise_sd : float
        Exact standard deviation of the noise part.
    indicators : tuple of str
        The indicators of the index.
    """

    kappa: float
    offset: float
    noise_sd: float
    indicators: tuple[str, ...]


def index_scale(system, indicators: pd.DataFrame, *, truth: SyntheticTruth | None = None) -> IndexScale:
    """Map the latent resilience ``L`` onto an indicator-system index of the synthetic indicators.

    Parameters
    ----------
    system : IndicatorSystemResult
        From :func:`~regionkit.indices.urban.indicator_system_index` on the
        synthetic panel (any weighting and dimension convention).  Its
        normalisation must be one linear map per indicator (``scope="global"``).
    indicators : pandas.DataFrame
        The raw indicator columns the index was built from (same rows).
    truth : SyntheticTruth, optional
        Default :func:`synthetic_truth`.

    Returns
    -------
    IndexScale

    Raises
    ------
    InputError
        An indicator that the generator does not make, or a normalisation
        that is not linear in the raw indicator (``scope="year"``).
    """
    truth = truth or SyntheticTruth()
    specs = {s.name: s for s in truth.indicators}
    weights = system.weights.set_index("indicator")["weight"]
    unknown = [str(k) for k in weights.index if k not in specs]
    if unknown:
        raise InputError(f"index_scale: indicator(s) {unknown} are not generated by synthetic_city_panel")
    kappa = offset = noise_var = 0.0
    sd = _sd_factor()
    for name, w in weights.items():
        x = indicators[name].to_numpy(dtype=float)
        z = system.normalized[name].to_numpy(dtype=float)
        hi, lo = int(np.argmax(x)), int(np.argmin(x))
        slope = (z[hi] - z[lo]) / (x[hi] - x[lo])
        intercept = float(np.mean(z - slope * x))
        if np.max(np.abs(z - (intercept + slope * x))) > 1e-9:
            raise InputError(f"index_scale: the normalisation of {name!r} is not one linear map "
                             "(use scope = 'global')")
        spec = specs[name]
        kappa += w * slope * spec.slope
        offset += w * (intercept + slope * (spec.mean - spec.slope * truth.L_center))
        noise_var += (w * slope * spec.noise_sd * sd) ** 2
    return IndexScale(kappa=float(kappa), offset=float(offset), noise_sd=float(math.sqrt(noise_var)),
                      indicators=tuple(str(k) for k in weights.index))
