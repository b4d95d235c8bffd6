"""Min-max normalisation of indicators with per-indicator direction.

For a positive indicator ``z = (x - min) / (max - min)``; for a negative one
``z = (max - x) / (max - min)``.  ``min``/``max`` are taken over all rows
(``scope="global"``: over every region-year of a panel, the "global entropy"
variant that keeps scores comparable across years) or within each year
(``scope="year"``).  A shift keeps later logarithms finite: ``shift_mode="add"``
returns ``z + shift`` (the common "+0.0001" or "+0.01"), ``"rescale"`` returns
``shift + (1 - shift) z`` (values in ``[shift, 1]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from .._checks import check_finite_frame, check_option
from ..errors import InputError

Direction = Literal["positive", "negative"]
Scope = Literal["global", "year"]
ShiftMode = Literal["add", "rescale", "band"]


def check_directions(columns, directions: Mapping[str, str] | None) -> dict[str, str]:
    """Resolve and check indicator directions (``None`` means all positive)."""
    columns = [str(c) for c in columns]
    if directions is None:
        return dict.fromkeys(columns, "positive")
    unknown = [k for k in directions if k not in columns]
    if unknown:
        raise InputError(f"directions given for unknown indicator(s) {unknown}; indicators: {columns}")
    missing = [c for c in columns if c not in directions]
    if missing:
        raise InputError(f"no direction ('positive' or 'negative') for indicator(s) {missing}")
    for k, v in directions.items():
        check_option(f"direction of {k!r}", v, Direction)
    return {c: directions[c] for c in columns}


def minmax(
    frame: pd.DataFrame,
    directions: Mapping[str, str] | None = None,
    *,
    scope: Scope = "global",
    shift: float = 0.0,
    shift_mode: ShiftMode = "add",
    year_level: str = "year",
) -> pd.DataFrame:
    """Min-max normalise every column of ``frame`` according to its direction.

    Parameters
    ----------
    frame : pandas.DataFrame
        Indicators in columns; rows are regions or region-years.
    directions : mapping of column -> {"positive", "negative"}, optional
        Direction of each indicator (all positive when omitted).
    scope : {"global", "year"}
        Extremes over all rows, or within each value of index level ``year_level``.
    shift : float
        Non-negative shift (see module docstring).
    shift_mode : {"add", "rescale", "band"}
        How the shift is applied.
    year_level : str
        Index level holding the year when ``scope="year"``.

    Returns
    -------
    pandas.DataFrame
        Same index and columns, normalised.

    Raises
    ------
    InputError
        For a non-finite value, a constant indicator (naming it, and the year
        for ``scope="year"``), an unknown option.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.normalize import minmax
    >>> f = pd.DataFrame({"gdp": [1.0, 2.0, 3.0], "unemp": [5.0, 4.0, 3.0]})
    >>> minmax(f, {"gdp": "positive", "unemp": "negative"})["unemp"].tolist()
    [0.0, 0.5, 1.0]
    """
    check_option("scope", scope, Scope)
    check_option("shift_mode", shift_mode, ShiftMode)
    limit = {"add": np.inf, "rescale": 1.0, "band": 0.5}[shift_mode]
    if not np.isfinite(shift) or shift < 0 or shift >= limit:
        raise InputError(f"shift={shift!r} must be finite, >= 0 and < {limit:g} for shift_mode={shift_mode!r}")
    dirs = check_directions(frame.columns, directions)
    check_finite_frame(frame, what="indicators")
    values = frame.to_numpy(dtype=float)
    if scope == "global":
        lo = values.min(axis=0, keepdims=True)
        hi = values.max(axis=0, keepdims=True)
        _check_constant(frame.columns, lo[0], hi[0], None)
    else:
        if year_level not in (frame.index.names or []):
            raise InputError(f"scope='year' needs an index level named {year_level!r}; index levels: {frame.index.names}")
        grouped = pd.DataFrame(values, index=frame.index, columns=frame.columns).groupby(level=year_level)
        lo_f = grouped.transform("min")
        hi_f = grouped.transform("max")
        lo = lo_f.to_numpy()
        hi = hi_f.to_numpy()
        mins = grouped.min()
        maxs = grouped.max()
        for year in mins.index:
            _check_constant(frame.columns, mins.loc[year].to_numpy(), maxs.loc[year].to_numpy(), year)
    span = hi - lo
    z = (values - lo) / span
    neg = np.array([dirs[str(c)] == "negative" for c in frame.columns])
    z[:, neg] = 1.0 - z[:, neg]
    z = np.clip(z, 0.0, 1.0)
    if shift_mode == "add":
        z = z + shift
    elif shift_mode == "rescale":
        z = shift + (1.0 - shift) * z
    else:
        z = shift + (1.0 - 2.0 * shift) * z
    return pd.DataFrame(z, index=frame.index.copy(), columns=frame.columns.copy())


def _check_constant(columns, lo: np.ndarray, hi: np.ndarray, year) -> None:
    const = hi - lo <= 0
    if const.any():
        names = [str(c) for c, k in zip(columns, const, strict=True) if k]
        where = f" in year {year}" if year is not None else ""
        raise InputError(
            f"indicator(s) {names} are constant{where}: min-max normalisation and entropy weights "
            "are undefined; drop them or give user weights"
        )
