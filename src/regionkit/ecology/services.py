"""Ecosystem-service models equivalent to InVEST 3.20 (carbon, habitat quality, water yield).

Pure per-array re-implementations of three `natcap.invest`_ 3.20.2 models, checked
pixel by pixel against InVEST runs (fixtures and the script that made them are in
``tests/reference/invest/``). All inputs are 2-D numpy arrays on one grid; land-use
codes are mapped to table values with :func:`lookup`.

**Carbon storage** (``natcap.invest.carbon``). Each cell stores
``(c_above + c_below + c_soil + c_dead)[lucode]`` Mg C/ha; InVEST 3.20 writes this
density, :func:`carbon_storage` returns it as ``density`` and multiplies it by the cell
area (ha) for the per-cell stocks ``total``, ``above``, ``below``, ``soil``, ``dead``.

**Habitat quality** (``natcap.invest.habitat_quality``). For threat ``r`` with maximum
distance ``d_max`` (metres), weight ``w_r`` and decay type, the cells where the threat
raster is non-zero are the threat's sources and ``d`` is the Euclidean distance (metres)
from a cell to the nearest source cell. Since InVEST 3.12 the decay is applied to this
distance (earlier versions convolved the threat raster with a decay kernel)::

    linear:      i_r = 1 - d / d_max             (0 beyond d_max)
    exponential: i_r = exp(-2.99 d / d_max)      (0 beyond d_max)

The degradation of a cell with land use ``j`` is
``D = Σ_r i_r · S_jr · w_r / Σ w · β`` (``S`` sensitivity, ``β`` accessibility,
1 by default) and its quality ``Q = H_j (1 − D^z / (D^z + k^z))`` with the
half-saturation constant ``k`` and ``z = 2.5``. As in InVEST the threat *intensity*
only decides which cells are sources (any value > 0); it does not scale the impact.

**Annual water yield** (``natcap.invest.annual_water_yield``, Budyko/Fu–Zhang).
With ``PET = Kc · ET0`` and ``φ = PET / P``, vegetated classes (``lulc_veg = 1``) have::

    AWC = min(root_depth[lucode], soil_depth) · PAWC          (mm)
    ω   = min(AWC / P · Z + 1.25, 5)                            (Z = seasonality)
    AET/P = min(φ, 1 + φ − (1 + φ^ω)^(1/ω))

and other classes ``AET/P = min(P, PET) / P``; water yield ``Y = (1 − AET/P) · P``.
The computation is per cell, so it can be applied window by window.

.. _natcap.invest: https://github.com/natcap/invest

Differences from InVEST (all deliberate, documented on each function):

* nodata cells are ``NaN`` in every output; the outputs are float64 (InVEST writes
  float32, which limits the agreement to about 1e-7 relative, see the tests);
* cells with zero precipitation get ``wyield = aet = 0`` and ``fraction = 1`` (the
  limit as ``P → 0``); InVEST writes nodata there;
* habitat quality accepts rectangular cells ``cell_size = (dy, dx)`` and measures
  distances in metres (InVEST resamples the land use to square cells first); a threat
  without any source cell degrades nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import ndimage

from .._checks import check_columns, check_option
from ..errors import InputError
from ._arrays import cells_text as _cells

Decay = Literal["linear", "exponential"]

#: Carbon pools of the InVEST carbon model (Mg C/ha columns of the pools table).
CARBON_POOLS: tuple[str, ...] = ("c_above", "c_below", "c_soil", "c_dead")

#: Scaling exponent of the habitat-quality half-saturation function (InVEST ``_SCALING_PARAM``).
HQ_SCALING = 2.5

#: Exponent factor of the exponential threat decay: 5 % of the impact is left at ``max_dist``.
EXPONENTIAL_DECAY_FACTOR = 2.99

#: Upper bound of the Fu–Zhang ``ω`` parameter in the water-yield model.
OMEGA_MAX = 5.0


# --------------------------------------------------------------------------- checks


def _land_use(lulc: ArrayLike, lulc_nodata: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Check a land-use raster; return int64 codes (0 on nodata) and the valid mask."""
    array = np.asarray(lulc)
    if array.ndim != 2:
        raise InputError(f"lulc must be a 2-D array, got {array.ndim} dimension(s)")
    if array.size == 0:
        raise InputError("lulc is empty")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"lulc must hold integer land-use codes, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.floating):
        invalid = np.isnan(array)
    else:
        invalid = np.zeros(array.shape, dtype=bool)
    if lulc_nodata is not None and not np.isnan(lulc_nodata):
        invalid |= array == lulc_nodata
    if np.issubdtype(array.dtype, np.floating):
        values = np.where(invalid, 0.0, array)
        bad = ~np.isfinite(values) | (values != np.round(values))
        if bad.any():
            raise InputError(
                "lulc must hold integer land-use codes; non-integer value(s) at "
                + _cells(bad, values)
            )
        codes = values.astype(np.int64)
    else:
        codes = np.where(invalid, 0, array).astype(np.int64)
    return codes, ~invalid


def _grid(array: ArrayLike, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 2-D array of the given shape (a view when possible; never written to)."""
    values = np.asarray(array)
    if values.shape != shape:
        raise InputError(
            f"{name} has shape {values.shape} but lulc has shape {shape}; "
            "all inputs must be on the same grid"
        )
    if (
        values.dtype == bool
        or not np.issubdtype(values.dtype, np.number)
        or np.iscomplexobj(values)
    ):
        raise InputError(f"{name} must hold real numbers, got dtype {values.dtype}")
    return values.astype(np.float64, copy=False)


def _nodata_mask(values: np.ndarray, nodata: float | None) -> np.ndarray:
    mask = np.isnan(values)
    if nodata is not None and not np.isnan(nodata):
        mask |= values == nodata
    return mask


def _positive(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}={value!r} must be a positive number") from None
    if not np.isfinite(number) or number <= 0:
        raise InputError(f"{name}={value!r} must be a positive number")
    return number


def _cell_size(cell_size: Any) -> tuple[float, float]:
    size = np.asarray(cell_size, dtype=float).ravel()
    if size.size == 1:
        size = np.repeat(size, 2)
    if size.size != 2 or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise InputError(
            f"cell_size={cell_size!r} must be one positive number or a pair (dy, dx) of them"
        )
    return float(size[0]), float(size[1])


def _table_by_code(table: pd.DataFrame, columns: list[str], *, what: str) -> pd.DataFrame:
    """Index a land-use table by integer ``lucode`` (a column, or the index so named)."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame, got {type(table).__name__}")
    frame = table
    if "lucode" not in frame.columns and frame.index.name == "lucode":
        frame = frame.reset_index()
    check_columns(frame, ["lucode", *columns], what=what)
    codes = pd.to_numeric(frame["lucode"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(codes) | (codes != np.round(codes))
    if bad.any():
        rows = [str(frame.index[i]) for i in np.flatnonzero(bad)[:5]]
        raise InputError(f"{what}: column 'lucode' must hold integer codes; bad row(s) {rows}")
    codes = codes.astype(np.int64)
    duplicated = pd.Series(codes).duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise InputError(
            f"{what}: land-use code(s) {sorted(set(codes[duplicated].tolist()))} "
            "appear more than once in column 'lucode'"
        )
    out = pd.DataFrame(index=pd.Index(codes, name="lucode"))
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        text_bad = frame[column].notna().to_numpy() & np.isnan(values)
        if text_bad.any():
            lucodes = codes[text_bad][:5].tolist()
            raise InputError(
                f"{what}: column {column!r} has non-numeric value(s) for lucode {lucodes}"
            )
        out[column] = values
    return out


def _map_codes(
    codes: np.ndarray, valid: np.ndarray, table: pd.DataFrame, columns: list[str], *, what: str
) -> list[np.ndarray]:
    """Map land-use codes to table columns (float64, NaN on invalid cells)."""
    keys = table.index.to_numpy(dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    flat_valid = valid.ravel()
    present = codes.ravel()[flat_valid]
    position = np.searchsorted(keys, present)
    position_c = np.minimum(position, keys.size - 1) if keys.size else position
    found = keys[position_c] == present if keys.size else np.zeros(present.shape, dtype=bool)
    if not found.all():
        missing = np.unique(present[~found])
        shown = ", ".join(str(c) for c in missing[:20])
        more = f" and {missing.size - 20} more" if missing.size > 20 else ""
        raise InputError(
            f"{what}: land-use code(s) {shown}{more} occur in lulc but are missing from "
            f"column 'lucode' (table codes: {', '.join(str(c) for c in keys[:30])})"
        )
    used = np.unique(position_c) if present.size else np.array([], dtype=np.int64)
    results = []
    for column in columns:
        column_values = table[column].to_numpy(dtype=float)[order]
        non_finite = ~np.isfinite(column_values[used])
        if non_finite.any():
            raise InputError(
                f"{what}: column {column!r} is missing or non-finite for land-use code(s) "
                f"{keys[used][non_finite].tolist()} that occur in lulc"
            )
        out = np.full(codes.size, np.nan)
        out[flat_valid] = column_values[position_c]
        results.append(out.reshape(codes.shape))
    return results


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _stats(values: np.ndarray) -> dict[str, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"n_cells": 0, "mean": np.nan, "min": np.nan, "max": np.nan, "sum": 0.0}
    return {
        "n_cells": int(finite.size),
        "mean": float(finite.mean()),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "sum": float(finite.sum()),
    }


# --------------------------------------------------------------------------- lookup


def lookup(
    lulc: ArrayLike,
    table: pd.DataFrame,
    column: str,
    *,
    lulc_nodata: float | None = None,
) -> np.ndarray:
    """Map land-use codes to the values of one column of a land-use table.

    Parameters
    ----------
    lulc : array-like of int, shape (rows, cols)
        Land-use codes. Float arrays are accepted if they hold whole numbers;
        ``NaN`` is nodata.
    table : pandas.DataFrame
        Table with an integer ``lucode`` column (or an index named ``lucode``).
    column : str
        Column whose values are mapped.
    lulc_nodata : float, optional
        Nodata value of ``lulc``.

    Returns
    -------
    numpy.ndarray
        float64 array of ``lulc``'s shape, ``NaN`` on nodata cells.

    Raises
    ------
    InputError
        If the column is missing, codes are duplicated, a code of ``lulc`` is missing
        from the table (all missing codes are listed) or its value is not finite.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> table = pd.DataFrame({"lucode": [1, 2], "kc": [0.5, 1.0]})
    >>> lookup(np.array([[1, 2], [2, -1]]), table, "kc", lulc_nodata=-1)
    array([[0.5, 1. ],
           [1. , nan]])
    """
    codes, valid = _land_use(lulc, lulc_nodata)
    frame = _table_by_code(table, [column], what="table")
    return _map_codes(codes, valid, frame, [column], what="table")[0]


# --------------------------------------------------------------------------- carbon


@dataclass(frozen=True, eq=False)
class CarbonResult:
    """Result of :func:`carbon_storage`.

    Attributes
    ----------
    total : numpy.ndarray
        Carbon stored per cell (Mg C), float64, ``NaN`` on nodata cells.
    above, below, soil, dead : numpy.ndarray
        Per-cell stock (Mg C) of each pool.
    density : numpy.ndarray
        Total carbon density (Mg C/ha), the value InVEST writes to ``c_storage_*.tif``.
    cell_area_ha : float or numpy.ndarray
        Cell area used (ha).
    """

    total: np.ndarray
    above: np.ndarray
    below: np.ndarray
    soil: np.ndarray
    dead: np.ndarray
    density: np.ndarray
    cell_area_ha: float | np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """One row per pool (and ``total``): stock in Mg C and mean density in Mg C/ha."""
        rows = {}
        area = np.broadcast_to(self.cell_area_ha, self.total.shape)
        valid = np.isfinite(self.total)
        area_sum = float(area[valid].sum())
        for name, values in [
            ("c_above", self.above),
            ("c_below", self.below),
            ("c_soil", self.soil),
            ("c_dead", self.dead),
            ("total", self.total),
        ]:
            stock = float(values[valid].sum())
            rows[name] = {
                "stock_mg": stock,
                "mean_density_mg_per_ha": stock / area_sum if area_sum > 0 else np.nan,
            }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "pool"
        return frame

    def summary(self) -> str:
        """Short description: total stock, area and pool shares."""
        frame = self.to_frame()
        total = frame.loc["total", "stock_mg"]
        n = int(np.isfinite(self.total).sum())
        shares = ", ".join(
            f"{pool[2:]} {frame.loc[pool, 'stock_mg'] / total:.1%}" if total > 0 else pool[2:]
            for pool in CARBON_POOLS
        )
        return (
            f"Carbon storage: {total:,.1f} Mg C on {n} cells "
            f"(mean {frame.loc['total', 'mean_density_mg_per_ha']:.2f} Mg C/ha; {shares})"
        )


def carbon_storage(
    lulc: ArrayLike,
    pools: pd.DataFrame,
    *,
    cell_area_ha: float | ArrayLike,
    lulc_nodata: float | None = None,
) -> CarbonResult:
    """Carbon stored in four pools per cell (InVEST Carbon Storage, baseline scenario).

    Parameters
    ----------
    lulc : array-like of int, shape (rows, cols)
        Land-use codes (``NaN`` or ``lulc_nodata`` is nodata).
    pools : pandas.DataFrame
        Columns ``lucode``, ``c_above``, ``c_below``, ``c_soil``, ``c_dead``
        (carbon densities, Mg C/ha, finite and ≥ 0).
    cell_area_ha : float or array-like
        Cell area in hectares (``dx · dy / 10_000`` for metre grids); an array
        broadcastable to ``lulc`` for grids whose cell area varies (geographic CRS).
    lulc_nodata : float, optional
        Nodata value of ``lulc``.

    Returns
    -------
    CarbonResult
        Per-cell stocks (Mg C) of each pool and in total, and the density (Mg C/ha).

    Raises
    ------
    InputError
        If a column is missing, a land-use code of ``lulc`` has no row in ``pools``,
        a density used is negative or not finite, or the cell area is not positive.

    Notes
    -----
    InVEST 3.20 writes the density (Mg C/ha) per pixel and multiplies by the pixel
    area only in its summary table; ``result.density`` equals its ``c_storage_bas.tif``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> pools = pd.DataFrame({"lucode": [1, 2], "c_above": [100.0, 5.0],
    ...                       "c_below": [20.0, 1.0], "c_soil": [50.0, 30.0],
    ...                       "c_dead": [10.0, 0.0]})
    >>> res = carbon_storage(np.array([[1, 2], [2, 0]]), pools, cell_area_ha=0.09,
    ...                      lulc_nodata=0)
    >>> res.total.round(2)
    array([[16.2 ,  3.24],
           [ 3.24,   nan]])
    >>> round(float(res.to_frame().loc["total", "stock_mg"]), 6)
    22.68
    """
    codes, valid = _land_use(lulc, lulc_nodata)
    table = _table_by_code(pools, list(CARBON_POOLS), what="carbon pools table")
    area = np.asarray(cell_area_ha, dtype=float)
    try:
        area_b = np.broadcast_to(area, codes.shape)
    except ValueError:
        raise InputError(
            f"cell_area_ha has shape {area.shape}, which does not broadcast to lulc's "
            f"shape {codes.shape}"
        ) from None
    bad_area = valid & ~(np.isfinite(area_b) & (area_b > 0))
    if bad_area.any():
        raise InputError(
            "cell_area_ha must be positive and finite; bad cell(s): "
            + _cells(bad_area, np.asarray(area_b, dtype=float))
        )
    densities = _map_codes(codes, valid, table, list(CARBON_POOLS), what="carbon pools table")
    for name, values in zip(CARBON_POOLS, densities, strict=True):
        negative = values < 0
        if negative.any():
            raise InputError(
                f"carbon pools table: column {name!r} is negative for land-use code(s) "
                f"{np.unique(codes[negative]).tolist()}"
            )
    density = densities[0] + densities[1] + densities[2] + densities[3]
    stocks = [_readonly(values * area_b) for values in densities]
    return CarbonResult(
        total=_readonly(density * area_b),
        above=stocks[0],
        below=stocks[1],
        soil=stocks[2],
        dead=stocks[3],
        density=_readonly(density),
        cell_area_ha=float(area) if area.ndim == 0 else _readonly(area.copy()),
    )


# --------------------------------------------------------------------------- habitat quality


@dataclass(frozen=True, eq=False)
class HabitatQualityResult:
    """Result of :func:`habitat_quality`.

    Attributes
    ----------
    degradation : numpy.ndarray
        Total degradation ``D`` (float64, ``NaN`` on nodata), InVEST's ``deg_sum_c``.
    quality : numpy.ndarray
        Habitat quality ``Q`` in [0, 1] (``NaN`` on nodata), InVEST's ``quality_c``.
    habitat : numpy.ndarray
        Habitat suitability ``H`` of each cell's land use.
    threat_degradation : Mapping[str, numpy.ndarray]
        Each threat's share of ``degradation`` (their sum is ``degradation``).
    threats : pandas.DataFrame
        The threat table used: ``max_dist`` (m), ``weight``, normalised ``weight_share``,
        ``decay`` and the number of source cells ``n_sources``; indexed by threat.
    half_saturation : float
        The half-saturation constant ``k``.
    z : float
        The scaling exponent.
    """

    degradation: np.ndarray
    quality: np.ndarray
    habitat: np.ndarray
    threat_degradation: Mapping[str, np.ndarray]
    threats: pd.DataFrame
    half_saturation: float
    z: float

    def to_frame(self) -> pd.DataFrame:
        """One row per threat: parameters, mean degradation and its share of the total."""
        frame = self.threats.copy()
        total = float(np.nansum(self.degradation))
        means = []
        shares = []
        for name in frame.index:
            values = self.threat_degradation[name]
            means.append(float(np.nanmean(values)) if np.isfinite(values).any() else np.nan)
            shares.append(float(np.nansum(values)) / total if total > 0 else np.nan)
        frame["mean_degradation"] = means
        frame["degradation_share"] = shares
        return frame

    def summary(self) -> str:
        """Short description: mean quality on habitat cells and the main threats."""
        valid = np.isfinite(self.quality)
        habitat = valid & (self.habitat > 0)
        mean_q = float(self.quality[habitat].mean()) if habitat.any() else np.nan
        mean_d = float(self.degradation[valid].mean()) if valid.any() else np.nan
        frame = self.to_frame()
        threats = ", ".join(
            f"{name} {share:.1%}" for name, share in frame["degradation_share"].items()
        )
        return (
            f"Habitat quality on {int(valid.sum())} cells ({int(habitat.sum())} habitat): "
            f"mean quality {mean_q:.4f} on habitat cells, mean degradation {mean_d:.4f} "
            f"(k = {self.half_saturation:g}, z = {self.z:g}); degradation by threat: {threats}"
        )


def _decay(distance: np.ndarray, max_dist: float, decay: str) -> np.ndarray:
    """InVEST's ``_decay_distance``: linear or exponential decay, 0 beyond ``max_dist``."""
    if decay == "linear":
        values = (max_dist - distance) / max_dist
    else:
        values = np.exp((-distance * EXPONENTIAL_DECAY_FACTOR) / max_dist)
    values[distance > max_dist] = 0.0
    return values


def habitat_quality(
    lulc: ArrayLike,
    threats: Mapping[str, ArrayLike],
    threat_table: pd.DataFrame,
    sensitivity: pd.DataFrame,
    *,
    cell_size: float | tuple[float, float],
    half_saturation: float,
    z: float = HQ_SCALING,
    access: ArrayLike | None = None,
    lulc_nodata: float | None = None,
) -> HabitatQualityResult:
    """Habitat degradation and quality (InVEST Habitat Quality 3.20, current scenario).

    Parameters
    ----------
    lulc : array-like of int, shape (rows, cols)
        Land-use codes (``NaN`` or ``lulc_nodata`` is nodata).
    threats : mapping of str to array-like
        Threat name → threat raster on the grid of ``lulc`` with values in [0, 1];
        every cell with a value > 0 is a source of the threat (``NaN`` = no threat,
        as InVEST treats a threat raster's nodata).
    threat_table : pandas.DataFrame
        Columns ``threat`` (names, one row per key of ``threats``), ``max_dist``
        (metres, > 0), ``weight`` (≥ 0, normalised by their sum) and ``decay``
        (``"linear"`` or ``"exponential"``).
    sensitivity : pandas.DataFrame
        Columns ``lucode``, ``habitat`` (suitability in [0, 1]) and one column per
        threat with the sensitivity in [0, 1] of each land use to it.
    cell_size : float or (float, float)
        Cell size in metres: one number for square cells or ``(dy, dx)``.
    half_saturation : float
        Half-saturation constant ``k`` (> 0).
    z : float, default 2.5
        Scaling exponent of the quality function (InVEST fixes it at 2.5).
    access : array-like, optional
        Accessibility ``β`` in [0, 1] per cell (InVEST's rasterised access vector);
        1 everywhere by default.
    lulc_nodata : float, optional
        Nodata value of ``lulc``.

    Returns
    -------
    HabitatQualityResult
        ``degradation``, ``quality``, ``habitat`` and the degradation of each threat.

    Raises
    ------
    InputError
        If a table column or threat raster is missing or unexpected, a decay type is
        unknown, a value is out of range (the threat and cell are named), a land-use
        code is missing from ``sensitivity``, or a grid has a different shape.

    Notes
    -----
    Distances are Euclidean distances in metres between cell centres (exact
    distance transform, :func:`scipy.ndimage.distance_transform_edt`); for square
    cells this equals InVEST's pixel distance times the cell size. The cost is linear
    in the number of cells per threat. Threat sources on nodata land-use cells still
    degrade their neighbours, as in InVEST.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> lulc = np.array([[1, 1, 1, 1, 2]])
    >>> road = (lulc == 2).astype(float)
    >>> table = pd.DataFrame({"threat": ["road"], "max_dist": [100.0], "weight": [1.0],
    ...                       "decay": ["linear"]})
    >>> sens = pd.DataFrame({"lucode": [1, 2], "habitat": [1.0, 0.0], "road": [1.0, 0.0]})
    >>> res = habitat_quality(lulc, {"road": road}, table, sens, cell_size=25.0,
    ...                       half_saturation=0.5)
    >>> res.degradation
    array([[0.  , 0.25, 0.5 , 0.75, 0.  ]])
    >>> res.quality.round(4)
    array([[1.    , 0.8498, 0.5   , 0.2663, 0.    ]])
    """
    codes, valid = _land_use(lulc, lulc_nodata)
    shape = codes.shape
    dy, dx = _cell_size(cell_size)
    k = _positive("half_saturation", half_saturation)
    z = _positive("z", z)

    if not isinstance(threats, Mapping):
        raise InputError(
            f"threats must be a mapping of threat name to array, got {type(threats).__name__}"
        )
    if not isinstance(threat_table, pd.DataFrame):
        raise InputError(
            f"threat_table must be a pandas DataFrame, got {type(threat_table).__name__}"
        )
    tt = threat_table
    if "threat" not in tt.columns and tt.index.name == "threat":
        tt = tt.reset_index()
    check_columns(tt, ["threat", "max_dist", "weight", "decay"], what="threat table")
    names = [str(name) for name in tt["threat"]]
    if len(set(names)) != len(names):
        raise InputError(f"threat table: duplicated threat name(s) in {names}")
    if not names:
        raise InputError("threat table has no threat")
    missing_rasters = [n for n in names if n not in threats]
    extra_rasters = [str(n) for n in threats if str(n) not in names]
    if missing_rasters:
        raise InputError(
            f"threat(s) {missing_rasters} of the threat table have no raster in threats "
            f"(given: {list(threats)})"
        )
    if extra_rasters:
        raise InputError(f"threat raster(s) {extra_rasters} are not in the threat table")

    rows = []
    for name, (_, row) in zip(names, tt.iterrows(), strict=True):
        try:
            max_dist = float(row["max_dist"])
            weight = float(row["weight"])
        except (TypeError, ValueError):
            raise InputError(
                f"threat table: max_dist and weight of threat {name!r} must be numbers"
            ) from None
        if not np.isfinite(max_dist) or max_dist <= 0:
            raise InputError(f"threat table: max_dist of threat {name!r} must be > 0 (metres)")
        if not np.isfinite(weight) or weight < 0:
            raise InputError(f"threat table: weight of threat {name!r} must be finite and >= 0")
        decay = row["decay"]
        decay = decay.strip().lower() if isinstance(decay, str) else decay
        check_option(f"decay of threat {name!r}", decay, Decay)
        rows.append({"threat": name, "max_dist": max_dist, "weight": weight, "decay": decay})
    table = pd.DataFrame(rows).set_index("threat")
    weight_sum = float(table["weight"].sum())
    if weight_sum <= 0:
        raise InputError("threat table: the threat weights sum to 0")
    table["weight_share"] = table["weight"] / weight_sum

    sens_table = _table_by_code(sensitivity, ["habitat", *names], what="sensitivity table")
    mapped = _map_codes(codes, valid, sens_table, ["habitat", *names], what="sensitivity table")
    for column, values in zip(["habitat", *names], mapped, strict=True):
        out_of_range = (values < 0) | (values > 1)
        if out_of_range.any():
            raise InputError(
                f"sensitivity table: column {column!r} must be in [0, 1]; bad for land-use "
                f"code(s) {np.unique(codes[out_of_range]).tolist()}"
            )
    habitat = mapped[0]

    if access is None:
        beta = None
    else:
        beta = _grid(access, "access", shape)
        bad = valid & ~((beta >= 0) & (beta <= 1))
        if bad.any():
            raise InputError("access must be in [0, 1]; bad cell(s): " + _cells(bad, beta))

    degradation = np.zeros(shape)
    per_threat: dict[str, np.ndarray] = {}
    n_sources = []
    for name, sens in zip(names, mapped[1:], strict=True):
        intensity = _grid(threats[name], f"threat raster {name!r}", shape)
        finite = ~np.isnan(intensity)
        bad = finite & ~((intensity >= 0) & (intensity <= 1))
        if bad.any():
            raise InputError(
                f"threat raster {name!r} must hold values in [0, 1]; bad cell(s): "
                + _cells(bad, intensity)
            )
        source = finite & (intensity > 0)
        n_sources.append(int(source.sum()))
        row = table.loc[name]
        if source.any():
            distance = ndimage.distance_transform_edt(~source, sampling=(dy, dx))
            decayed = _decay(distance, float(row["max_dist"]), str(row["decay"]))
        else:
            decayed = np.zeros(shape)
        contribution = decayed * sens * float(row["weight_share"])
        if beta is not None:
            contribution = contribution * beta
        contribution[~valid] = np.nan
        degradation += contribution
        per_threat[name] = _readonly(contribution)
    table["n_sources"] = n_sources

    d_z = degradation**z
    quality = habitat * (1.0 - d_z / (d_z + k**z))
    return HabitatQualityResult(
        degradation=_readonly(degradation),
        quality=_readonly(quality),
        habitat=_readonly(habitat),
        threat_degradation=MappingProxyType(per_threat),
        threats=table[["max_dist", "weight", "weight_share", "decay", "n_sources"]],
        half_saturation=k,
        z=z,
    )


# --------------------------------------------------------------------------- water yield


@dataclass(frozen=True, eq=False)
class WaterYieldResult:
    """Result of :func:`water_yield`.

    Attributes
    ----------
    wyield : numpy.ndarray
        Annual water yield (mm), ``(1 − AET/P) · P``; ``NaN`` on nodata.
    aet : numpy.ndarray
        Actual evapotranspiration (mm).
    fraction : numpy.ndarray
        ``AET / P`` (InVEST's ``fractp``), in [0, 1].
    pet : numpy.ndarray
        Potential evapotranspiration ``Kc · ET0`` (mm).
    seasonality : float
        The seasonality constant ``Z``.
    """

    wyield: np.ndarray
    aet: np.ndarray
    fraction: np.ndarray
    pet: np.ndarray
    seasonality: float

    def to_frame(self) -> pd.DataFrame:
        """One row per output (``wyield``, ``aet``, ``pet``, ``fraction``): cells, mean, min, max, sum."""
        frame = pd.DataFrame.from_dict(
            {
                "wyield": _stats(self.wyield),
                "aet": _stats(self.aet),
                "pet": _stats(self.pet),
                "fraction": _stats(self.fraction),
            },
            orient="index",
        )
        frame.index.name = "output"
        return frame

    def summary(self) -> str:
        """Short description: mean yield, AET and evaporated fraction."""
        frame = self.to_frame()
        return (
            f"Annual water yield on {int(frame.loc['wyield', 'n_cells'])} cells (Z = "
            f"{self.seasonality:g}): mean yield {frame.loc['wyield', 'mean']:.1f} mm, mean AET "
            f"{frame.loc['aet', 'mean']:.1f} mm, mean AET/P {frame.loc['fraction', 'mean']:.3f}"
        )


def water_yield(
    lulc: ArrayLike,
    precipitation: ArrayLike,
    et0: ArrayLike,
    root_depth: ArrayLike,
    pawc: ArrayLike,
    biophysical: pd.DataFrame,
    *,
    seasonality: float,
    lulc_nodata: float | None = None,
    nodata: float | None = None,
) -> WaterYieldResult:
    """Annual water yield per cell (InVEST Annual Water Yield 3.20, Budyko/Fu–Zhang).

    A pure per-cell function: the result in a cell depends only on the inputs in that
    cell, so it can be applied window by window to rasters larger than memory.

    Parameters
    ----------
    lulc : array-like of int, shape (rows, cols)
        Land-use codes (``NaN`` or ``lulc_nodata`` is nodata).
    precipitation : array-like, shape (rows, cols)
        Annual precipitation ``P`` (mm, ≥ 0).
    et0 : array-like, shape (rows, cols)
        Annual reference evapotranspiration (mm, ≥ 0).
    root_depth : array-like, shape (rows, cols)
        Depth to the root-restricting soil layer (mm, ≥ 0), InVEST's
        ``depth_to_root_rest_layer`` (the land-use root depth is a table column).
    pawc : array-like, shape (rows, cols)
        Plant available water content (fraction in [0, 1]).
    biophysical : pandas.DataFrame
        Columns ``lucode``, ``lulc_veg`` (1 vegetated, 0 not: wetlands, urban,
        water…), ``root_depth`` (mm, needed where ``lulc_veg`` = 1) and ``kc``
        (crop coefficient, ≥ 0).
    seasonality : float
        Seasonality constant ``Z`` (> 0, typically 1–30).
    lulc_nodata : float, optional
        Nodata value of ``lulc``.
    nodata : float, optional
        Nodata value of the four float rasters (``NaN`` is always nodata).

    Returns
    -------
    WaterYieldResult
        ``wyield``, ``aet`` and ``fraction`` (and ``pet``); ``NaN`` wherever any
        input is nodata.

    Raises
    ------
    InputError
        If a raster has another shape, holds negative values (precipitation, ET0,
        depth) or a PAWC outside [0, 1] (the cells are named), a land-use code is
        missing from the table, ``lulc_veg`` is not 0/1, or ``seasonality`` ≤ 0.

    Notes
    -----
    Cells with ``P = 0`` have ``wyield = aet = 0`` and ``fraction = 1`` (the limit
    as ``P → 0``); InVEST writes nodata there. Otherwise the result equals InVEST's
    ``fractp``, ``aet`` and ``wyield`` rasters up to their float32 storage.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> bio = pd.DataFrame({"lucode": [1, 2], "lulc_veg": [1, 0],
    ...                     "root_depth": [2000.0, 1.0], "kc": [1.0, 0.3]})
    >>> lulc = np.array([[1, 2]])
    >>> res = water_yield(lulc, np.full((1, 2), 1000.0), np.full((1, 2), 1000.0),
    ...                   np.full((1, 2), 1000.0), np.full((1, 2), 0.1), bio,
    ...                   seasonality=5.0)
    >>> res.fraction.round(4)
    array([[0.514, 0.3  ]])
    >>> res.wyield.round(1)
    array([[486., 700.]])
    """
    codes, valid = _land_use(lulc, lulc_nodata)
    shape = codes.shape
    z = _positive("seasonality", seasonality)
    grids = {}
    for name, array in [
        ("precipitation", precipitation),
        ("et0", et0),
        ("root_depth", root_depth),
        ("pawc", pawc),
    ]:
        values = _grid(array, name, shape)
        missing = _nodata_mask(values, nodata)
        bad = ~missing & ~np.isfinite(values)
        if bad.any():
            raise InputError(f"{name} has infinite value(s) at " + _cells(bad, values))
        negative = valid & ~missing & (values < 0)
        if negative.any():
            raise InputError(
                f"{name} must be >= 0; negative value(s) at " + _cells(negative, values)
            )
        if name == "pawc":
            above = valid & ~missing & (values > 1)
            if above.any():
                raise InputError(
                    "pawc must be a fraction in [0, 1]; value(s) > 1 at " + _cells(above, values)
                )
        grids[name] = values
        valid = valid & ~missing

    table = _table_by_code(biophysical, ["lulc_veg", "root_depth", "kc"], what="biophysical table")
    veg_values = table["lulc_veg"].to_numpy()
    not_binary = ~np.isin(veg_values, [0.0, 1.0])
    if not_binary.any():
        raise InputError(
            "biophysical table: lulc_veg must be 0 or 1; bad for land-use code(s) "
            f"{table.index[not_binary].tolist()}"
        )
    # root depth is only used (and only required) for vegetated classes
    table = table.copy()
    table.loc[table["lulc_veg"] == 0, "root_depth"] = 1.0
    veg, root, kc = _map_codes(
        codes, valid, table, ["lulc_veg", "root_depth", "kc"], what="biophysical table"
    )
    for column, values in [("root_depth", root), ("kc", kc)]:
        negative = values < 0
        if negative.any():
            raise InputError(
                f"biophysical table: column {column!r} must be >= 0; negative for land-use "
                f"code(s) {np.unique(codes[negative]).tolist()}"
            )

    precip = grids["precipitation"]
    fraction = np.full(shape, np.nan)
    pet = np.full(shape, np.nan)
    pet[valid] = kc[valid] * grids["et0"][valid]
    wet = valid & (precip > 0)
    p = precip[wet]
    pet_w = pet[wet]
    phi = pet_w / p
    soil = grids["root_depth"][wet]
    root_w = root[wet]
    awc = np.where(root_w < soil, root_w, soil) * grids["pawc"][wet]
    omega = (awc / p) * z + 1.25
    omega[omega > OMEGA_MAX] = OMEGA_MAX
    aet_p = (1 + phi) - (1 + phi**omega) ** (1 / omega)
    veg_fraction = np.where(phi < aet_p, phi, aet_p)
    nonveg_fraction = np.where(p < pet_w, p, pet_w) / p
    fraction[wet] = np.where(veg[wet] == 1, veg_fraction, nonveg_fraction)
    fraction[valid & (precip == 0)] = 1.0
    aet = fraction * precip
    wyield = (1 - fraction) * precip
    return WaterYieldResult(
        wyield=_readonly(wyield),
        aet=_readonly(aet),
        fraction=_readonly(fraction),
        pet=_readonly(pet),
        seasonality=z,
    )


__all__ = [
    "CARBON_POOLS",
    "CarbonResult",
    "Decay",
    "HabitatQualityResult",
    "WaterYieldResult",
    "carbon_storage",
    "habitat_quality",
    "lookup",
    "water_yield",
]
