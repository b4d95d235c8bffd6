"""Boundary checks shared by all modules (option strings, finite numbers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, get_args

import numpy as np
import pandas as pd

from .errors import InputError


def check_option(name: str, value: Any, literal_type: Any) -> str:
    """Check that ``value`` is one of the values of a ``Literal`` type.

    Raises
    ------
    InputError
        Naming the option and listing the allowed values.
    """
    allowed = get_args(literal_type)
    if value not in allowed:
        raise InputError(
            f"{name}={value!r} is not allowed; choose one of: "
            + ", ".join(repr(a) for a in allowed)
        )
    return value


def check_columns(frame: pd.DataFrame, columns: Iterable[str], *, what: str = "table") -> None:
    """Raise an :class:`InputError` naming every missing column."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what}: column(s) {', '.join(map(repr, missing))} not found; "
            f"available columns: {', '.join(map(str, frame.columns))}"
        )


def check_finite_frame(frame: pd.DataFrame, *, what: str = "table") -> None:
    """Raise an :class:`InputError` naming the first non-finite cells (row label, column)."""
    values = frame.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        rows, cols = np.nonzero(bad)
        cells = [f"({_label(frame.index[r])}, {frame.columns[c]!s})" for r, c in zip(rows[:5], cols[:5], strict=True)]
        more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
        raise InputError(f"{what}: missing or non-finite value(s) at {', '.join(cells)}{more}")


def check_nonnegative_frame(frame: pd.DataFrame, *, what: str = "table") -> None:
    """Raise an :class:`InputError` naming the first negative cells (row label, column)."""
    values = frame.to_numpy(dtype=float)
    bad = values < 0
    if bad.any():
        rows, cols = np.nonzero(bad)
        cells = [
            f"({_label(frame.index[r])}, {frame.columns[c]!s}) = {values[r, c]:g}"
            for r, c in zip(rows[:5], cols[:5], strict=True)
        ]
        more = f" and {int(bad.sum()) - 5} more" if bad.sum() > 5 else ""
        raise InputError(f"{what}: negative value(s) where shares need non-negative ones: {', '.join(cells)}{more}")


def _label(label: Any) -> str:
    if isinstance(label, tuple):
        return ", ".join(str(x) for x in label)
    return str(label)
