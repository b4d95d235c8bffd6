"""Shared checks of 2-D raster arrays for the ecology modules (messages name the cells at fault)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import InputError


def cells_text(mask: np.ndarray, values: np.ndarray | None = None) -> str:
    """Name the first offending cells as ``(row r, col c) = v`` and count the rest."""
    rows, cols = np.nonzero(mask)
    shown = []
    for r, c in zip(rows[:5], cols[:5], strict=True):
        text = f"(row {r}, col {c})"
        if values is not None:
            text += f" = {values[r, c]:g}"
        shown.append(text)
    more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
    return ", ".join(shown) + more


def as_layer(arr: ArrayLike, name: str) -> np.ndarray:
    """A non-empty 2-D array of real numbers (not bool), or an InputError naming ``name``."""
    array = np.asarray(arr)
    if array.ndim != 2:
        raise InputError(f"{name} must be a 2-D array, got {array.ndim} dimension(s)")
    if array.size == 0:
        raise InputError(f"{name} is empty")
    if array.dtype == bool or not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise InputError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def valid_mask(array: np.ndarray, nodata: float | None) -> np.ndarray:
    """Cells that are finite and not equal to ``nodata`` (a NaN nodata means NaN only)."""
    valid = np.isfinite(array.astype(np.float64, copy=False))
    if nodata is not None and not np.isnan(nodata):
        valid &= array != nodata
    return valid
