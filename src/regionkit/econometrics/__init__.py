"""Econometrics: Tobit (pooled, random-effects, fixed-effects, Mundlak), linear panel models,
Hausman test, formulas, group runs and regression tables."""

from .formula import Design, design
from .groups import GroupRuns, fit_by_group
from .mediation import MediationResult, MediationWarning, mediation
from .mixed import MixedResult, ModelComparison, SingularFitWarning, compare_models, lmm
from .panel import HausmanResult, PanelResult, hausman, panel_ols
from .panel_tobit import fixed_effects_tobit, mundlak_tobit, random_effects_tobit
from .results import RegressionResult
from .tables import RegressionTable, regression_table
from .tobit import TobitResult, tobit

__all__ = [
    "Design",
    "GroupRuns",
    "HausmanResult",
    "MediationResult",
    "MediationWarning",
    "MixedResult",
    "ModelComparison",
    "PanelResult",
    "RegressionResult",
    "RegressionTable",
    "SingularFitWarning",
    "TobitResult",
    "compare_models",
    "design",
    "fit_by_group",
    "fixed_effects_tobit",
    "hausman",
    "lmm",
    "mediation",
    "mundlak_tobit",
    "panel_ols",
    "random_effects_tobit",
    "regression_table",
    "tobit",
]
