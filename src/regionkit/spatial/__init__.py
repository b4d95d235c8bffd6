"""Spatial statistics: weights, global and local autocorrelation, hot spots, classification."""

from .autocorrelation import (
    GlobalStatistic,
    LocalStatistic,
    geary,
    getis_ord_g,
    local_g,
    local_moran,
    moran,
    moran_bivariate,
)
from .classify import Classification  # the function stays regionkit.spatial.classify.classify
from .weights import (
    SpatialWeights,
    contiguity,
    distance_band,
    from_libpysal,
    inverse_distance,
    knn,
    lattice,
    read_weights,
)

__all__ = [
    "Classification",
    "GlobalStatistic",
    "LocalStatistic",
    "SpatialWeights",
    "contiguity",
    "distance_band",
    "from_libpysal",
    "geary",
    "getis_ord_g",
    "inverse_distance",
    "knn",
    "lattice",
    "local_g",
    "local_moran",
    "moran",
    "moran_bivariate",
    "read_weights",
]
