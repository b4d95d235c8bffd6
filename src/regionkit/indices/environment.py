"""Comprehensive environmental damage index.

For pollutant k (e.g. industrial wastewater, SO2, dust) emitted by region i in
year t, the per-pollutant damage index is the region's emission intensity
relative to the all-region intensity of that year:
``DI_ikt = (E_ikt / B_it) / (Σ_i E_ikt / Σ_i B_it)`` with base ``B`` (GDP,
industrial value added, or area); without a base it is the emission relative
to the cross-regional mean, ``E_ikt / mean_i E_ikt``.  The comprehensive
index is the entropy-weighted combination of the min-max normalised
``DI_k`` (all positive: higher = more damage), pooled over all region-years.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import check_finite_frame, check_nonnegative_frame
from ..errors import InputError
from .composite import CompositeIndex, composite_index


@dataclass(frozen=True)
class EnvironmentalDamage:
    """Per-pollutant damage indices and their entropy-weighted combination.

    Attributes
    ----------
    damage : pandas.DataFrame
        ``DI`` per pollutant (columns) and observation.
    composite : CompositeIndex
        Normalisation, weights and score of the combination.
    """

    damage: pd.DataFrame
    composite: CompositeIndex

    @property
    def index(self) -> pd.Series:
        """The comprehensive environmental damage index."""
        return self.composite.score

    def to_frame(self) -> pd.DataFrame:
        """Per-pollutant indices plus the comprehensive index."""
        out = self.damage.add_prefix("DI_")
        out[self.composite.name] = self.composite.score
        return out

    def summary(self) -> str:
        """Weights of the pollutants."""
        w = self.composite.weight_vector()
        return "Environmental damage index; pollutant weights: " + ", ".join(f"{k} {v:.4f}" for k, v in w.items())


def environmental_damage(
    emissions: pd.DataFrame,
    *,
    base: pd.Series | None = None,
    year_level: str | None = "year",
    name: str = "env_damage",
) -> EnvironmentalDamage:
    """Comprehensive environmental damage index from pollutant emissions.

    Parameters
    ----------
    emissions : pandas.DataFrame
        One column per pollutant; rows regions or (region, year).
    base : pandas.Series, optional
        Positive denominator per row (GDP, value added, area).
    year_level : str or None
        Index level holding the year; intensities are relative within each
        year.  ``None`` treats all rows as one cross-section.
    name : str
        Name of the index.

    Returns
    -------
    EnvironmentalDamage

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.environment import environmental_damage
    >>> e = pd.DataFrame({"so2": [1.0, 2.0, 3.0], "dust": [3.0, 1.0, 2.0]}, index=list("ABC"))
    >>> gdp = pd.Series([1.0, 1.0, 2.0], index=list("ABC"))
    >>> environmental_damage(e, base=gdp, year_level=None).damage.round(3)["so2"].tolist()
    [0.667, 1.333, 1.0]
    """
    check_finite_frame(emissions, what="emissions")
    check_nonnegative_frame(emissions, what="emissions")
    e = emissions.astype(float)
    if base is not None:
        b = base.reindex(e.index)
        bad = ~np.isfinite(b.to_numpy(dtype=float)) | (b.to_numpy(dtype=float) <= 0)
        if bad.any():
            raise InputError(f"environmental damage: base must be positive and present; bad at {e.index[np.argmax(bad)]!r}")
        intensity = e.div(b, axis=0)
    else:
        b = None
        intensity = e
    if year_level is not None and year_level in (e.index.names or []):
        keys = e.index.get_level_values(year_level)
        if b is not None:
            ref = e.groupby(keys).transform("sum").div(b.groupby(keys).transform("sum"), axis=0)
        else:
            ref = e.groupby(keys).transform("mean")
    else:
        ref = pd.DataFrame(
            np.repeat((e.sum() / b.sum() if b is not None else e.mean()).to_numpy()[None, :], len(e), axis=0),
            index=e.index,
            columns=e.columns,
        )
    zero = (ref.to_numpy() <= 0).any(axis=0)
    if zero.any():
        raise InputError(f"environmental damage: pollutant(s) {list(e.columns[zero])} have zero total emission in some year")
    damage = intensity / ref
    comp = composite_index(damage, None, name=name, weighting="entropy")
    return EnvironmentalDamage(damage=damage, composite=comp)
