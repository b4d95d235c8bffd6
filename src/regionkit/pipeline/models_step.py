"""The ``[[models]]`` step: regressions on the (enriched) panel, on all regions and by region group."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from ..panel import REGION, YEAR, Panel
from .config import ModelSpec


@dataclass(frozen=True)
class ModelRun:
    """The fits of one specification: label -> RegressionResult (``"All"`` first), plus tests."""

    spec: ModelSpec
    fits: dict
    table: object
    extras: dict


def _fit_one(spec: ModelSpec, frame: pd.DataFrame):
    from ..econometrics.formula import design

    d = design(spec.formula, frame)
    groups = pd.Series(frame.index.get_level_values(REGION), index=frame.index, name=REGION)
    est = spec.estimator
    if est == "tobit":
        from ..econometrics.tobit import tobit

        out = tobit(d.y, d.X, left=spec.left, right=spec.right, cov_type=spec.cov_type,
                    groups=groups if spec.cov_type == "cluster" else None)
    elif est in ("re_tobit", "fe_tobit", "mundlak_tobit"):
        from ..econometrics import panel_tobit as pt

        fn = {"re_tobit": pt.random_effects_tobit, "fe_tobit": pt.fixed_effects_tobit,
              "mundlak_tobit": pt.mundlak_tobit}[est]
        kwargs = {"left": spec.left, "right": spec.right}
        if est != "fe_tobit":
            kwargs.update(quadrature=spec.quadrature, points=spec.points)
        out = fn(d.y, d.X, groups, **kwargs)
    else:
        from ..econometrics.panel import panel_ols

        cov = {"nonrobust": "unadjusted", "robust": "robust", "cluster": "clustered"}[spec.cov_type]
        out = panel_ols(spec.formula, frame, model=est, cov_type=cov)
    return getattr(out, "result", out), out


def run_models(panel: Panel, specs: list[ModelSpec]) -> list[ModelRun]:
    """Fit every specification on all regions and on each group of ``by``."""
    from ..econometrics.tables import regression_table

    runs = []
    data = panel.frame()
    for spec in specs:
        frame = data if not spec.years else data[data.index.get_level_values(YEAR).isin(spec.years)]
        fits: dict = {}
        extras: dict = {}
        labels = [("All", frame)]
        if spec.by:
            g = panel.group(spec.by)
            region_group = frame.index.get_level_values(REGION).map(g)
            labels += [(str(lab), frame[region_group == lab]) for lab in sorted(pd.unique(region_group), key=str)]
        for label, part in labels:
            try:
                res, full = _fit_one(spec, part)
            except InputError as exc:
                raise InputError(f"model {spec.name!r}, group {label!r}: {exc}") from exc
            fits[label] = res
            extras[label] = full
        if spec.hausman:
            from ..econometrics.panel import hausman, panel_ols

            other = "re" if spec.estimator == "fe" else "fe"
            for label, part in labels:
                alt = panel_ols(spec.formula, part, model=other, cov_type="unadjusted")
                base = panel_ols(spec.formula, part, model=spec.estimator, cov_type="unadjusted")
                fe, re = (base, alt) if spec.estimator == "fe" else (alt, base)
                extras[f"hausman:{label}"] = hausman(fe, re)
        runs.append(ModelRun(spec=spec, fits=fits, table=regression_table(fits), extras=extras))
    return runs
