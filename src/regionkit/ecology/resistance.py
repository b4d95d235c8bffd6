"""Resistance surfaces: reclassified factors, slope, and their weighted sum.

* :func:`reclassify` maps class codes (land use) or value ranges (slope,
  elevation, distance to roads) to resistance values such as 5/15/50/75/100;
  values that no row of the table covers are an error that names them.
* :func:`slope_degrees` is Horn's (1981) slope, as ``gdaldem slope``, with
  the metric cell size of a geographic (degree) grid computed per row on the
  CRS's ellipsoid.
* :func:`resistance_surface` is the weighted sum of reclassified factors,
  with weights given directly or as an :class:`~regionkit.ecology.ahp.AHPResult`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from ..errors import InputError
from ._arrays import as_layer as _as_grid
from ._arrays import valid_mask
from .ahp import AHPConsistencyWarning, AHPResult

__all__ = ["ResistanceResult", "reclassify", "resistance_surface", "slope_degrees"]


def _table_rows(table: Any) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    """Return (kind, lower_or_code, upper, value) arrays."""
    if isinstance(table, pd.DataFrame):
        cols = set(table.columns)
        if {"lower", "upper", "value"} <= cols:
            return ("range", table["lower"].to_numpy(float), table["upper"].to_numpy(float),
                    table["value"].to_numpy(float))
        if {"code", "value"} <= cols:
            return ("code", table["code"].to_numpy(float), np.empty(0), table["value"].to_numpy(float))
        raise InputError(
            "reclassification table needs columns (code, value) or (lower, upper, value); got "
            + ", ".join(map(str, table.columns))
        )
    if isinstance(table, Mapping):
        if not table:
            raise InputError("reclassification table is empty")
        keys = list(table)
        try:
            codes = np.array([float(k) for k in keys])
            vals = np.array([float(table[k]) for k in keys])
        except (TypeError, ValueError) as exc:
            raise InputError(f"reclassification table: codes and values must be numbers ({exc})") from None
        return "code", codes, np.empty(0), vals
    try:
        rows = np.asarray(table, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "reclassification table must be a mapping code -> value, rows (lower, upper, value) "
            f"or a DataFrame ({exc})"
        ) from None
    if rows.ndim != 2 or rows.shape[1] not in (2, 3) or rows.shape[0] == 0:
        raise InputError(
            f"reclassification table rows must be (code, value) or (lower, upper, value); got shape {rows.shape}"
        )
    if rows.shape[1] == 2:
        return "code", rows[:, 0], np.empty(0), rows[:, 1]
    return "range", rows[:, 0], rows[:, 1], rows[:, 2]


def reclassify(
    arr: ArrayLike,
    table: Mapping[float, float] | Sequence[Sequence[float]] | pd.DataFrame,
    *,
    nodata: float | None = None,
) -> np.ndarray:
    """Map class codes or value ranges to resistance values.

    Parameters
    ----------
    arr : array-like, 2-D
        Class codes (e.g. land use) or continuous values (e.g. slope).
    table : mapping, sequence of rows or DataFrame
        Either class codes — a mapping ``{code: value}``, rows ``(code, value)``
        or a DataFrame with columns ``code``, ``value`` — or half-open ranges
        ``[lower, upper)`` — rows ``(lower, upper, value)`` or a DataFrame with
        columns ``lower``, ``upper``, ``value`` (use ``numpy.inf`` as the last
        upper bound to leave the top open).  Ranges must not overlap and codes
        must be unique.
    nodata : float, optional, keyword-only
        Value of missing cells (NaN is always missing); they become NaN.

    Returns
    -------
    numpy.ndarray
        Float64 values of the table, NaN on missing cells.

    Raises
    ------
    InputError
        Bad table (shape, duplicate codes, empty or overlapping ranges, non-finite
        values); cells whose values no row covers (the values and their cell
        counts are named).

    Examples
    --------
    >>> import numpy as np
    >>> lu = np.array([[1, 2], [3, 0]])
    >>> reclassify(lu, {1: 5, 2: 50, 3: 100}, nodata=0)
    array([[  5.,  50.],
           [100.,  nan]])
    >>> slope = np.array([[0.0, 4.9], [15.0, 40.0]])
    >>> reclassify(slope, [(0, 5, 5), (5, 15, 15), (15, 25, 50), (25, np.inf, 100)])
    array([[  5.,   5.],
           [ 50., 100.]])
    """
    array = _as_grid(arr, "arr")
    kind, low, up, val = _table_rows(table)
    if not np.all(np.isfinite(val)):
        raise InputError("reclassification table: values must be finite numbers")
    miss = _missing(array, nodata)
    x = array.astype(np.float64)
    out = np.full(x.shape, np.nan)
    valid = ~miss
    xv = x[valid]
    if kind == "code":
        uniq, counts = np.unique(low, return_counts=True)
        if np.any(counts > 1):
            raise InputError(f"reclassification table: duplicate code(s) {uniq[counts > 1].tolist()}")
        order = np.argsort(low)
        codes, vals = low[order], val[order]
        pos = np.clip(np.searchsorted(codes, xv), 0, codes.size - 1)
        hit = codes[pos] == xv
        res = vals[pos]
    else:
        if np.any(np.isnan(low) | np.isnan(up)) or np.any(up <= low):
            bad = np.flatnonzero(np.isnan(low) | np.isnan(up) | (up <= low))[0]
            raise InputError(f"reclassification table: range row {bad} [{low[bad]:g}, {up[bad]:g}) is empty")
        order = np.argsort(low)
        lo, hi, vals = low[order], up[order], val[order]
        if np.any(lo[1:] < hi[:-1]):
            i = int(np.flatnonzero(lo[1:] < hi[:-1])[0])
            raise InputError(
                f"reclassification table: ranges [{lo[i]:g}, {hi[i]:g}) and [{lo[i + 1]:g}, "
                f"{hi[i + 1]:g}) overlap"
            )
        pos = np.searchsorted(lo, xv, side="right") - 1
        ok = pos >= 0
        posc = np.clip(pos, 0, lo.size - 1)
        hit = ok & (xv < hi[posc])
        res = vals[posc]
    if not hit.all():
        bad_vals, bad_counts = np.unique(xv[~hit], return_counts=True)
        shown = ", ".join(f"{v:g} ({c} cells)" for v, c in zip(bad_vals[:10], bad_counts[:10], strict=True))
        more = f" and {bad_vals.size - 10} more value(s)" if bad_vals.size > 10 else ""
        what = "code" if kind == "code" else "range"
        raise InputError(f"reclassify: no {what} in the table covers value(s) {shown}{more}")
    out[valid] = res
    return out


def _ellipsoid(crs: Any) -> tuple[float, float]:
    from pyproj import CRS

    c = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    e = c.ellipsoid
    if e is None:  # pragma: no cover - geographic CRS always have one
        return 6378137.0, 6356752.314245179
    return float(e.semi_major_metre), float(e.semi_minor_metre)


def _is_geographic(crs: Any) -> bool:
    if crs is None:
        return False
    from pyproj import CRS

    try:
        c = CRS.from_user_input(crs.to_wkt() if hasattr(crs, "to_wkt") else crs)
    except Exception as exc:  # pyproj raises CRSError
        raise InputError(f"crs={crs!r} is not a CRS pyproj understands ({exc})") from None
    return bool(c.is_geographic)


def slope_degrees(
    dem: ArrayLike,
    *,
    transform: Any,
    crs: Any = None,
    nodata: float | None = None,
    z_factor: float = 1.0,
) -> np.ndarray:
    """Slope in degrees by Horn's method, as ``gdaldem slope``.

    Parameters
    ----------
    dem : array-like, 2-D
        Elevations (metres, times ``z_factor``).
    transform : affine.Affine, keyword-only
        North-up pixel-to-CRS transform.
    crs : optional, keyword-only
        The DEM's CRS.  For a geographic CRS (degrees) the cell size in metres
        is computed for every row at its centre latitude ``φ`` on the CRS's
        ellipsoid: ``dy = M(φ) · Δφ`` (meridional radius of curvature) and
        ``dx = N(φ) · cos φ · Δλ`` (prime-vertical radius), instead of the
        single factor of ``gdaldem slope -s 111120``, which overstates east–west
        distances by ``1 / cos φ``.  A projected CRS (or None) uses the
        transform's cell size as it is.
    nodata : float, optional, keyword-only
        Missing elevation value (NaN is always missing).
    z_factor : float, default 1, keyword-only
        Multiplier of the elevations (e.g. 0.3048 for feet).

    Returns
    -------
    numpy.ndarray
        Float64 slope in degrees; NaN on the outer edge of the grid and where
        any cell of the 3 × 3 window is missing (gdaldem without
        ``-compute_edges``).

    Notes
    -----
    With the 3 × 3 window ``a b c / d e f / g h i``::

        dz/dx = ((c + 2f + i) − (a + 2d + g)) / (8 dx)
        dz/dy = ((g + 2h + i) − (a + 2b + c)) / (8 dy)
        slope = atan(sqrt(dz/dx² + dz/dy²))

    On a projected grid this matches ``gdaldem slope`` to float32 rounding.

    Raises
    ------
    InputError
        Not 2-D, a rotated transform, a bad ``z_factor``, a CRS pyproj cannot read.

    Examples
    --------
    A plane rising 1 m per 1 m cell eastwards has a slope of 45 degrees:

    >>> import numpy as np
    >>> from affine import Affine
    >>> dem = np.tile(np.arange(4.0), (3, 1))
    >>> slope_degrees(dem, transform=Affine(1, 0, 0, 0, -1, 3)).round(6)
    array([[nan, nan, nan, nan],
           [nan, 45., 45., nan],
           [nan, nan, nan, nan]])
    """
    array = _as_grid(dem, "dem")
    if transform is None or getattr(transform, "b", 0) != 0 or getattr(transform, "d", 0) != 0:
        raise InputError("slope_degrees needs a north-up affine transform (no rotation)")
    if not (np.isfinite(z_factor) and z_factor > 0):
        raise InputError(f"z_factor={z_factor!r} must be a positive number")
    z = array.astype(np.float64) * z_factor
    z[_missing(array, nodata)] = np.nan
    nrow, ncol = z.shape
    out = np.full(z.shape, np.nan)
    if nrow < 3 or ncol < 3:
        return out
    if _is_geographic(crs):
        a_axis, b_axis = _ellipsoid(crs)
        e2 = 1.0 - (b_axis / a_axis) ** 2
        lat = np.deg2rad(transform.f + transform.e * (np.arange(1, nrow - 1) + 0.5))
        w = np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
        m_radius = a_axis * (1.0 - e2) / w**3
        n_radius = a_axis / w
        dy = (m_radius * np.deg2rad(abs(transform.e)))[:, None]
        dx = (n_radius * np.cos(lat) * np.deg2rad(abs(transform.a)))[:, None]
    else:
        dy = float(abs(transform.e))
        dx = float(abs(transform.a))
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dzdx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8 * dx)
    dzdy = ((g + 2 * h + i) - (a + 2 * b + c)) / (8 * dy)
    inner = np.degrees(np.arctan(np.sqrt(dzdx**2 + dzdy**2)))
    inner[np.isnan(z[1:-1, 1:-1])] = np.nan
    out[1:-1, 1:-1] = inner
    return out


@dataclass(frozen=True, eq=False)
class ResistanceResult:
    """Result of :func:`resistance_surface`.

    Attributes
    ----------
    values : numpy.ndarray
        Weighted resistance (float64), NaN where any factor is missing.
    weights : pandas.Series
        Weights used (sum 1), indexed by factor.
    notes : tuple of str
        Adjustments and warnings (rescaled weights, inconsistent AHP matrix).
    """

    values: np.ndarray
    weights: pd.Series
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per factor: its weight."""
        frame = pd.DataFrame({"weight": self.weights})
        frame.index.name = "factor"
        return frame

    def summary(self) -> str:
        """Factors, weights and the range of the surface."""
        valid = self.values[np.isfinite(self.values)]
        w = ", ".join(f"{k}={v:.4g}" for k, v in self.weights.items())
        rng = f"{valid.min():.6g} – {valid.max():.6g}" if valid.size else "no valid cell"
        lines = [f"resistance surface of {len(self.weights)} factor(s) ({w}): range {rng}, "
                 f"{valid.size} valid cells"]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def resistance_surface(
    factors: Mapping[str, ArrayLike],
    *,
    weights: Mapping[str, float] | AHPResult,
    nodata: float | None = None,
) -> ResistanceResult:
    """Weighted sum of (reclassified) resistance factors.

    Parameters
    ----------
    factors : mapping of str to 2-D array
        Reclassified factors (e.g. from :func:`reclassify`), all of one shape.
    weights : mapping of str to float or AHPResult, keyword-only
        Non-negative weight per factor, or the result of
        :func:`regionkit.ecology.ahp.ahp` whose labels are the factor names.
        Weights not summing to 1 are rescaled (recorded in ``notes``).  An AHP
        result with ``CR >= 0.1`` gives an
        :class:`~regionkit.ecology.ahp.AHPConsistencyWarning` again here and a note.
    nodata : float, optional, keyword-only
        Missing value in every factor (NaN is always missing).

    Returns
    -------
    ResistanceResult

    Raises
    ------
    InputError
        No factor, shapes differ, weights missing / unknown / negative / all 0.

    Warns
    -----
    AHPConsistencyWarning
        When the AHP matrix is not acceptably consistent.

    Examples
    --------
    >>> import numpy as np
    >>> lu = np.array([[5.0, 100.0]])
    >>> sl = np.array([[50.0, 50.0]])
    >>> resistance_surface({"landuse": lu, "slope": sl},
    ...                    weights={"landuse": 0.6, "slope": 0.4}).values
    array([[23., 80.]])
    """
    if not isinstance(factors, Mapping) or len(factors) == 0:
        raise InputError("factors must be a non-empty mapping of factor name to 2-D array")
    arrays = {str(k): _as_grid(v, f"factor {k!r}") for k, v in factors.items()}
    names = list(arrays)
    for name in names[1:]:
        if arrays[name].shape != arrays[names[0]].shape:
            raise InputError(
                f"factor {name!r} has shape {arrays[name].shape} but factor {names[0]!r} has "
                f"shape {arrays[names[0]].shape}"
            )
    notes: list[str] = []
    if isinstance(weights, AHPResult):
        given = {str(k): float(v) for k, v in weights.weights.items()}
        if not weights.consistent:
            msg = (f"AHP weights come from an inconsistent comparison matrix (CR = {weights.cr:.4f} "
                   ">= 0.1); revise the judgements")
            warnings.warn(msg, AHPConsistencyWarning, stacklevel=2)
            notes.append(msg)
    elif isinstance(weights, Mapping):
        given = {str(k): v for k, v in weights.items()}
    else:
        raise InputError("weights must be a mapping factor -> weight or an AHPResult")
    missing = [n for n in names if n not in given]
    if missing:
        raise InputError(f"weights: no weight for factor(s) {', '.join(map(repr, missing))}")
    extra = [n for n in given if n not in arrays]
    if extra:
        raise InputError(
            f"weights: weight(s) for unknown factor(s) {', '.join(map(repr, extra))}; factors are "
            + ", ".join(map(repr, names))
        )
    w = pd.Series({n: float(given[n]) for n in names}, dtype=float, name="weight")
    bad = w[~np.isfinite(w) | (w < 0)]
    if len(bad):
        raise InputError("weights must be finite and >= 0; " + ", ".join(f"{k!r} = {v:g}" for k, v in bad.items()))
    total = float(w.sum())
    if total <= 0:
        raise InputError("weights are all 0")
    if not np.isclose(total, 1.0, rtol=0, atol=1e-9):
        notes.append(f"weights sum to {total:g}, rescaled to sum 1")
    w = w / total
    w.index.name = "factor"
    shape = arrays[names[0]].shape
    out = np.zeros(shape)
    miss = np.zeros(shape, dtype=bool)
    for n in names:
        x = arrays[n].astype(np.float64)
        m = _missing(arrays[n], nodata)
        miss |= m
        out += w[n] * np.where(m, 0.0, x)
    out[miss] = np.nan
    return ResistanceResult(values=out, weights=w, notes=tuple(notes))


def _missing(array: np.ndarray, nodata: float | None) -> np.ndarray:
    return ~valid_mask(array, nodata)
