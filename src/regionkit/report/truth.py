"""True effects of the synthetic city panel next to a study's estimates (``dataset = "synthetic_cities"``).

A study on :func:`~regionkit.io.synthetic.synthetic_city_panel` can be
checked against the structural model that generated it.  The true values
are stated on the scale of each estimate:

* population change ``S`` must be built as ``registered − resident``,
  rationalisation ``R`` from the three ``va_*`` / ``emp_*`` pairs and
  informatisation from ``(internet_users + mobile_users) / resident`` (any
  ``scale``); the study's names for them are looked up in the config;
* effects on the indicator-system index are those on the latent resilience
  ``L`` times ``κ`` (:func:`~regionkit.io.synthetic.index_scale`, from this
  run's weights and normalisation ranges; global scope only);
* mediation rows need ``x = S``, ``y`` = the index, mediators among
  ``R`` and ``info`` and no covariates other than ``year`` (a linear trend:
  the true effects do not change); a mediator left out moves its indirect
  effect into the direct effect;
* mixed-model rows need the fixed part ``S + R + info``; variance components
  are stated only for the true random part ``(1 + info | region) + (1 | year)``.
"""

from __future__ import annotations

import math

import pandas as pd

from ..errors import InputError

COLUMNS = ["analysis", "parameter", "true_latent", "true", "estimate", "se", "z", "ci_lower", "ci_upper"]


def _names(cfg) -> dict[str, object]:
    """The study's names of S, R, info (with its scale) and the index, where they are built as generated."""
    out: dict[str, object] = {}
    pop = cfg.population
    if pop is not None and (pop.registered, pop.resident) == ("registered", "resident"):
        out["S"] = pop.name
    rat = cfg.rationalization
    if rat is not None:
        pairs = {(rat.value_added[s], rat.employment[s]) for s in rat.value_added}
        if pairs == {(f"va_{s}", f"emp_{s}") for s in ("primary", "secondary", "tertiary")}:
            out["R"] = rat.name
    for r in cfg.ratios:
        if sorted(r.numerators) == ["internet_users", "mobile_users"] and r.denominator == "resident":
            out["info"], out["info_scale"] = r.name, float(r.scale)
            break
    if cfg.indicator_system is not None:
        out["Y"] = cfg.indicator_system.name
    return out


def truth_tables(results) -> dict[str, pd.DataFrame]:
    """Truth-vs-estimate tables of a study on the synthetic city panel (empty for other data).

    Returns
    -------
    dict
        ``"parameters"`` (the structural parameters), and where the study has
        them ``"mediation"`` and ``"mixed"`` with columns ``analysis``,
        ``parameter``, ``true_latent`` (on the scale of ``L``), ``true`` (on
        the scale of the estimate), ``estimate``, ``se``, ``z = (estimate −
        true) / se``, ``ci_lower``, ``ci_upper``.
    """
    from ..io.synthetic import index_scale, synthetic_truth

    cfg = results.config
    if cfg.data is None or cfg.data.dataset != "synthetic_cities":
        return {}
    truth = synthetic_truth()
    out = {"parameters": truth.to_frame().reset_index()}
    names = _names(cfg)
    u = results.urban
    if "Y" not in names or u is None or u.system is None:
        return out
    try:
        scale = index_scale(u.system, results.panel.frame(list(u.system.weights["indicator"])), truth=truth)
    except InputError:
        return out
    kappa = scale.kappa
    info_scale = float(names.get("info_scale", 1.0))
    sym = {names[k]: k for k in ("S", "R", "info") if k in names}
    med_rows = []
    for spec, med in results.mediations:
        mediators = [sym.get(m) for m in med.mediators]
        if (sym.get(med.x) != "S" or med.y != names["Y"] or None in mediators or "S" in mediators
                or any(c != "year" for c in med.covariates)):
            continue
        eff = truth.effects(mediators)
        for label in med.table.index:
            key = label
            for m in med.mediators:
                key = key.replace(f"[{m}]", f"[{sym[m]}]")
            if key not in eff:
                continue
            factor = 1.0 if key.startswith("a[") else kappa
            if key == "a[info]":
                factor = info_scale
            elif key == "b[info]":
                factor = kappa / info_scale
            r = med.table.loc[label]
            med_rows.append(_row(f"mediation: {spec.name}", label, eff[key], factor * eff[key], r["estimate"], r["se"],
                                 r["ci_lower"], r["ci_upper"]))
    if med_rows:
        out["mediation"] = pd.DataFrame(med_rows, columns=COLUMNS)
    mixed_rows = []
    if results.mixed is not None and {"S", "R", "info"} <= set(sym.values()):
        inv = {v: k for k, v in sym.items()}
        fixed_true = {"const": (truth.beta0, scale.offset + kappa * truth.beta0),
                      inv["S"]: (truth.c_prime, kappa * truth.c_prime),
                      inv["R"]: (truth.b_R, kappa * truth.b_R),
                      inv["info"]: (truth.b_I, kappa * truth.b_I / info_scale)}
        for name, fit in results.mixed.fits.items():
            if fit.result.dependent != names["Y"] or set(fit.params.index) != set(fixed_true):
                continue
            ci = fit.result.conf_int()
            for term, (lat, true) in fixed_true.items():
                mixed_rows.append(_row(f"mixed: {name}", term, lat, true, fit.params[term], fit.bse[term],
                                       ci.loc[term, "lower"], ci.loc[term, "upper"]))
            mixed_rows += _variance_rows(f"mixed: {name}", fit, truth, scale, inv["info"], info_scale)
    if mixed_rows:
        out["mixed"] = pd.DataFrame(mixed_rows, columns=COLUMNS)
    out["kappa"] = pd.DataFrame([{"kappa": kappa, "offset": scale.offset, "noise_sd": scale.noise_sd}])
    return out


def _row(analysis, parameter, lat, true, est, se, lo=math.nan, hi=math.nan) -> list:
    se = float(se)
    z = (float(est) - true) / se if se > 0 else math.nan
    return [analysis, parameter, float(lat), float(true), float(est), se, z, float(lo), float(hi)]


def _variance_rows(analysis, fit, truth, scale, info_name, info_scale) -> list[list]:
    """Standard deviations and the correlation of the random part, if it is the true one."""
    vc = fit.variance_components.fillna({"term2": ""})
    keys = {(g, t1, t2 if isinstance(t2, str) else "") for g, t1, t2 in vc[["group", "term1", "term2"]].itertuples(index=False)}
    want = {("region", "const", ""), ("region", info_name, ""), ("region", "const", info_name),
            ("year", "const", ""), ("Residual", "", "")}
    if keys != want:
        return []
    raw = truth.random_city_raw()
    f = truth.sd_factor
    k = scale.kappa
    expected = {
        ("region", "const", ""): (raw["sd_intercept"], k * raw["sd_intercept"], "sd(region: const)"),
        ("region", info_name, ""): (raw["sd_slope"], k * raw["sd_slope"] / info_scale, f"sd(region: {info_name})"),
        ("region", "const", info_name): (raw["correlation"], raw["correlation"], f"cor(region: const, {info_name})"),
        ("year", "const", ""): (f * truth.sigma_v, k * f * truth.sigma_v, "sd(year: const)"),
        ("Residual", "", ""): (f * truth.sigma_eps, math.hypot(k * f * truth.sigma_eps, scale.noise_sd),
                               "sd(Residual) (incl. measurement noise)"),
    }
    rows = []
    for g, t1, t2, sd, cor in vc[["group", "term1", "term2", "std_dev", "correlation"]].itertuples(index=False):
        lat, true, label = expected[(g, t1, t2 if isinstance(t2, str) else "")]
        est = cor if label.startswith("cor") else sd
        rows.append([analysis, label, lat, true, float(est), math.nan, math.nan, math.nan, math.nan])
    return rows


def _significant(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers with four significant digits for the report (effects of S are of order 1e-4)."""
    out = frame.copy()
    for c in COLUMNS[2:]:
        out[c] = [("–" if not math.isfinite(v) else f"{v:.4g}") for v in frame[c]]
    return out


def truth_outputs(results, add_table) -> None:
    """Add the truth tables to the report (nothing unless the data are the synthetic city panel)."""
    tables = truth_tables(results)
    if not tables:
        return
    from ..io.synthetic import synthetic_truth

    model = synthetic_truth().summary().replace("\n", " ")
    add_table("urban_synthetic_truth", tables["parameters"],
              "The data are SYNTHETIC (regionkit.io.synthetic.synthetic_city_panel), generated from a stated "
              f"structural model; its true parameters. {model}",
              show=tables["parameters"].assign(value=[f"{v:.6g}" for v in tables["parameters"]["value"]]))
    if "kappa" in tables:
        kap = tables["kappa"].iloc[0]
        scale = (f"Effects on the index are those on the latent resilience L times κ = {kap['kappa']:.4f} (from this "
                 f"run's indicator weights and normalisation ranges; index = {kap['offset']:.4f} + κ·L + "
                 f"measurement noise of SD {kap['noise_sd']:.4f}). ")
    else:
        scale = ""
    how = "true_latent: on the scale of L; true: on the scale of the estimate; z = (estimate − true)/SE. "
    if "mixed" in tables:
        caption = ("Synthetic data: true values next to the mixed-model estimates. " + scale + how
                   + "SE and CI of the fixed effects as in the model table. Every model estimates the same "
                   "fixed effects, but the SEs of a model without the true random part (1 + info | region) + "
                   "(1 | year) ignore the variation it leaves out (a large |z| is the symptom); variance "
                   "components are compared only for the model with the true random part.")
        add_table("mixed_truth", tables["mixed"], caption, show=_significant(tables["mixed"]))
    if "mediation" in tables:
        caption = ("Synthetic data: true values next to the mediation estimates. " + scale + how
                   + "SE: cluster-robust (or classical) for the paths, Sobel/delta method for the indirect "
                   "effects; CI: t intervals for the paths, bootstrap for the indirect effects.")
        add_table("mediation_truth", tables["mediation"], caption, show=_significant(tables["mediation"]))
