"""regionkit — regional economic resilience, agglomeration, coupling coordination and
ecological–economic spatial analysis.

The public API re-exports the core types and the index functions; the
command line is ``regionkit`` (see :mod:`regionkit.cli`).
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import ComputationError, ConfigError, InputError, RegionkitError
from .indices.composite import CompositeIndex, composite_index
from .indices.coupling import CouplingResult, coupling_coordination, coupling_degree
from .indices.dispersion import DispersionResult, dispersion, theil
from .indices.entropy import EntropyWeights, entropy_weights
from .indices.environment import EnvironmentalDamage, environmental_damage
from .indices.normalize import minmax
from .panel import Panel

__all__ = [
    "ComputationError",
    "CompositeIndex",
    "ConfigError",
    "CouplingResult",
    "DispersionResult",
    "EntropyWeights",
    "EnvironmentalDamage",
    "InputError",
    "Panel",
    "RegionkitError",
    "__version__",
    "composite_index",
    "coupling_coordination",
    "coupling_degree",
    "dispersion",
    "entropy_weights",
    "environmental_damage",
    "minmax",
    "theil",
]
