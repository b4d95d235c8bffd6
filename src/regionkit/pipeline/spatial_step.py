"""The ``[spatial]`` step: weights schemes, Moran/Geary/G tables across years, LISA, Gi*, classes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..panel import Panel
from ..spatial import autocorrelation as A
from ..spatial import weights as Wt
from ..spatial.classify import Classification, classify
from .config import SpatialSection, WeightsSpec


@dataclass(frozen=True)
class SpatialResults:
    """Everything the spatial step computed.

    Attributes
    ----------
    global_table : pandas.DataFrame
        One row per statistic × variable × weights scheme × year.
    lisa : dict
        ``(variable, year) -> LocalStatistic`` (first weights scheme).
    hotspots : dict
        ``(variable, year) -> LocalStatistic`` (Gi*, first scheme, binary).
    classes : dict
        ``(variable, year) -> Classification``.
    weights : dict
        ``name -> SpatialWeights``.
    years : list of int
        Years with local statistics and maps.
    section : SpatialSection
    """

    global_table: pd.DataFrame
    lisa: dict
    hotspots: dict
    classes: dict
    weights: dict
    years: list
    section: SpatialSection


def build_weights(panel: Panel, spec: WeightsSpec, base: Path) -> Wt.SpatialWeights:
    """Weights of one scheme over the panel's regions (in panel order)."""
    geo = panel.geometry
    if geo is None:
        raise InputError("spatial weights need region geometry ([data.geometry] or an embedded dataset)")
    geo = geo.copy()
    if "name" not in geo.columns:
        geo["name"] = panel.names().reindex(geo.index)
    if spec.kind in ("queen", "rook"):
        return Wt.contiguity(geo, kind=spec.kind, transform=spec.transform, islands=spec.islands)
    if spec.kind == "knn":
        return Wt.knn(geo, k=int(spec.k), transform=spec.transform)
    if spec.kind == "distance_band":
        return Wt.distance_band(geo, threshold=float(spec.threshold), unit=spec.unit, transform=spec.transform,
                                islands=spec.islands)
    if spec.kind == "inverse_distance":
        return Wt.inverse_distance(geo, threshold=spec.threshold, power=spec.power, unit=spec.unit,
                                   transform=spec.transform, islands=spec.islands)
    from .steps import resolve

    return Wt.read_weights(resolve(base, spec.path or ""), ids=list(geo.index), transform=spec.transform,
                           islands=spec.islands)


def default_years(years: list[int]) -> list[int]:
    """First, middle and last year."""
    return years if len(years) <= 3 else [years[0], years[len(years) // 2], years[-1]]


def run_spatial(panel: Panel, section: SpatialSection, base: Path) -> SpatialResults:
    """Compute every statistic of the ``[spatial]`` section on the (enriched) panel."""
    schemes = {spec.name: build_weights(panel, spec, base) for spec in section.weights}
    raw = {spec.name: (schemes[spec.name] if spec.transform == "B"
                       else build_weights(panel, spec.model_copy(update={"transform": "B"}), base))
           for spec in section.weights}  # General G uses binary / raw distance weights
    rng = np.random.default_rng(section.seed)
    rows = []
    years = panel.years
    for var in section.variables:
        wide = panel.wide(var)
        for name, w in schemes.items():
            for year in years:
                y = wide[year].reindex(list(w.ids))
                stats = [A.moran(y, w, permutations=section.permutations, alternative=section.alternative,
                                 rng=rng),
                         A.geary(y, w, permutations=section.permutations, alternative=section.alternative,
                                 rng=rng)]
                if (y >= 0).all():
                    stats.append(A.getis_ord_g(y, raw[name], permutations=section.permutations,
                                               alternative=section.alternative, rng=rng))
                for st in stats:
                    rows.append({"statistic": st.statistic, "variable": var, "weights": name, "year": year,
                                 "value": st.value, "expected": st.expected, "var_norm": st.var_norm,
                                 "var_rand": st.var_rand, "z_norm": st.z_norm, "z_rand": st.z_rand,
                                 "p_norm": st.p_norm, "p_rand": st.p_rand, "p_sim": st.p_sim,
                                 "permutations": st.permutations, "alternative": st.alternative})
    table = pd.DataFrame(rows)
    map_years = section.years or default_years(years)
    first = next(iter(schemes.values()))
    lisa, hot, classes = {}, {}, {}
    for var in section.variables:
        wide = panel.wide(var)
        for year in map_years:
            y = wide[year].reindex(list(first.ids))
            lisa[(var, year)] = A.local_moran(y, first, permutations=section.permutations,
                                              alternative=section.alternative, adjust=section.adjust,
                                              alpha=section.alpha, rng=rng)
            if section.hotspots:
                hot[(var, year)] = A.local_g(y, first, permutations=section.permutations,
                                             alternative=section.alternative, adjust=section.adjust,
                                             alpha=section.alpha, rng=rng)
            c = section.classify
            classes[(var, year)] = classify(wide[year].to_numpy(), method=c.method, k=c.k, breaks=c.breaks)
    return SpatialResults(global_table=table, lisa=lisa, hotspots=hot, classes=classes, weights=schemes,
                          years=map_years, section=section)


def class_labels(c: Classification, index) -> pd.Series:
    """Legend label of every region for a classification."""
    legend = c.legend_labels()
    return pd.Series([legend[i] for i in c.labels], index=index)
