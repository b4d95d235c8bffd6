"""Population-change and urban-resilience steps: indicator system, population change,
rationalisation, ratio indicators (derived variables), mixed models and mediation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from ..panel import REGION, YEAR, Panel
from .config import MediationSpec, MixedModelSpec, StudyConfig


@dataclass(frozen=True)
class UrbanIndicators:
    """Derived city-year indicators and the objects that explain them."""

    variables: pd.DataFrame
    system: object | None
    obstacles: object | None
    population: object | None
    rationalization: object | None
    ratio_names: tuple


def has_urban(config: StudyConfig) -> bool:
    """Whether the config asks for any derived urban indicator."""
    return bool(config.indicator_system or config.population or config.rationalization or config.ratios)


def build_urban(panel: Panel, config: StudyConfig) -> UrbanIndicators:
    """Compute every derived urban indicator over all city-years."""
    from ..indices.urban import (
        indicator_system_index,
        obstacle_degree,
        population_change,
        ratio_indicator,
        rationalization,
    )

    cols: dict[str, pd.Series] = {}
    system = obstacles = pop = rat = None
    sec = config.indicator_system
    if sec is not None:
        dims = {d: dict(v) for d, v in sec.dimensions.items()}
        indicators = [i for d in dims.values() for i in d]
        system = indicator_system_index(
            panel.frame(indicators), dims, name=sec.name, weighting=sec.weighting, weights=sec.weights,
            dimension_weights=sec.dimension_weights if isinstance(sec.dimension_weights, str)
            else dict(sec.dimension_weights),
            scope=config.normalization.scope, shift=config.normalization.shift,
            shift_mode=config.normalization.shift_mode,
        )
        obstacles = obstacle_degree(system, top_k=sec.top_k)
        for d in system.scores.columns:
            cols[str(d)] = system.scores[d]
        cols[sec.name] = system.total
    if config.population is not None:
        p = config.population
        f = panel.frame([p.registered, p.resident])
        pop = population_change(f[p.registered], f[p.resident], tolerance=p.tolerance,
                                tolerance_mode=p.tolerance_mode)
        cols[p.name] = pop.table["S"]
    if config.rationalization is not None:
        r = config.rationalization
        sectors = list(r.value_added)
        va = panel.frame([r.value_added[s] for s in sectors])
        va.columns = sectors
        emp = panel.frame([r.employment[s] for s in sectors])
        emp.columns = sectors
        rat = rationalization(va, emp)
        cols[r.name] = rat.value
    for spec in config.ratios:
        f = panel.frame([*spec.numerators, spec.denominator])
        cols[spec.name] = ratio_indicator(f[spec.numerators], f[spec.denominator], name=spec.name,
                                          scale=spec.scale)
    clash = [c for c in cols if c in panel.variables]
    if clash:
        raise InputError(f"derived indicator name(s) {clash} already are panel variables; rename them")
    frame = pd.DataFrame(cols, index=panel.data.index)
    return UrbanIndicators(frame, system, obstacles, pop, rat, tuple(s.name for s in config.ratios))


def model_frame(panel: Panel) -> pd.DataFrame:
    """Panel variables with ``region`` and ``year`` also as columns (for random-effect terms)."""
    f = panel.frame()
    f[REGION] = f.index.get_level_values(REGION)
    f[YEAR] = f.index.get_level_values(YEAR)
    return f


@dataclass(frozen=True)
class MixedRuns:
    """Fits of every ``[[mixed_models]]`` spec and their comparison."""

    fits: dict
    comparison: object


def run_mixed(panel: Panel, specs: list[MixedModelSpec]) -> MixedRuns:
    """Fit each mixed model and compare them (ML refits for likelihood comparisons)."""
    from ..econometrics.mixed import compare_models, lmm

    data = model_frame(panel)
    fits = {}
    for spec in specs:
        try:
            fits[spec.name] = lmm(spec.formula, data, method=spec.method)
        except InputError as exc:
            raise InputError(f"mixed model {spec.name!r}: {exc}") from exc
    comparison = compare_models(fits) if len(fits) > 1 else None
    return MixedRuns(fits=fits, comparison=comparison)


def run_mediation(panel: Panel, spec: MediationSpec):
    """One mediation analysis; cluster bootstrap over regions by default."""
    from ..econometrics.mediation import mediation

    data = model_frame(panel)
    outcome_model = None
    if spec.outcome == "mixed":
        from ..econometrics.mixed import lmm

        def outcome_model(formula: str, frame: pd.DataFrame):
            return lmm(f"{formula} + {spec.outcome_random}", frame, method="REML", df_method="none")

    try:
        return mediation(data, x=spec.x, m=list(spec.m), y=spec.y, covariates=list(spec.covariates),
                         n_boot=spec.n_boot, ci=spec.ci, alpha=spec.alpha,
                         cluster=REGION if spec.cluster else None, outcome_model=outcome_model, rng=spec.seed)
    except InputError as exc:
        raise InputError(f"mediation {spec.name!r}: {exc}") from exc
