"""Regional economic resilience indices (Martin 2012; Martin, Sunley, Gardiner & Tyler 2016).

For region *i* and a window from start year *s* to end year *e* the
resistance / recovery index of Martin, Sunley, Gardiner and Tyler (2016,
*Regional Studies* 50(4), eqs. 1–3) compares the region's actual change with
the change it would have had if it had moved like a reference economy *r*:

.. math::

    \\Delta Y_i = Y_i^e - Y_i^s, \\qquad
    \\Delta E_i = g_r \\, Y_i^s, \\quad g_r = (Y_r^e - Y_r^s) / Y_r^s, \\qquad
    \\text{index}_i = (\\Delta Y_i - \\Delta E_i) / |\\Delta E_i| .

In a contraction window (the reference shrinks) the index is the region's
*resistance*, in a recovery window its *recovery*.  In both, a positive value
means the region did better than the reference (fell less, or grew more).
The paper's printed combined formula (4) is garbled; this module implements
equations (1)–(3) only.

:func:`resilience_industry_mix` replaces the expected change with the
industry-mix (shift-share) expectation :math:`\\Delta E_i = \\sum_j g_{j,N} Y_{ij}^s`,
and :func:`sensitivity_index` gives Martin's (2012) sensitivity index
:math:`\\beta_i = (\\Delta Y_i / Y_i^s) / (\\Delta Y_r / Y_r^s)`.

Every function takes a region × year table (``panel.wide(variable)``: regions
as the index, integer years as the columns) or region × industry tables, never
mutates it, and returns a small frozen result with ``summary()`` and
``to_frame()``.  Undefined results (a reference that does not change) raise
:class:`~regionkit.errors.ComputationError`; they never come back as
``inf`` or ``NaN``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import check_option
from ..errors import ComputationError, InputError

ReferenceName = Literal["total", "mean", "group"]
WindowKind = Literal["resistance", "recovery"]
Reference = ReferenceName | pd.Series

RESILIENCE_COLUMNS = [
    "y_start",
    "y_end",
    "delta_y",
    "reference_growth",
    "expected_change",
    "index",
]
SENSITIVITY_COLUMNS = ["y_start", "y_end", "growth", "reference_growth", "beta"]
INDUSTRY_MIX_COLUMNS = [
    "y_start",
    "y_end",
    "delta_y",
    "expected_change",
    "expected_change_aggregate",
    "index",
    "index_aggregate",
]

_MAX_NAMED = 5


# ====================================================================== results
@dataclass(frozen=True)
class ResilienceResult:
    """Resistance or recovery index of every region for one window.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per region (index) with columns ``y_start``, ``y_end``,
        ``delta_y`` (actual change), ``reference_growth`` (:math:`g_r`),
        ``expected_change`` (:math:`g_r Y_i^s`) and ``index``.
    start, end : int
        The window's start and end years.
    kind : {"resistance", "recovery"}
        The window type, given by the caller or inferred from the sign of the
        reference change.
    reference : str
        Description of the reference economy.
    """

    frame: pd.DataFrame
    start: int
    end: int
    kind: str
    reference: str

    def summary(self) -> str:
        """One paragraph: window, reference, how many regions beat it, best and worst."""
        growth = self.frame["reference_growth"]
        if growth.nunique() == 1:
            g = f"reference growth {growth.iloc[0]:+.2%}"
        else:
            g = f"reference growth {growth.min():+.2%} to {growth.max():+.2%} across groups"
        return (
            f"{self.kind.capitalize()} {self.start}→{self.end} against the {self.reference} "
            f"({g}): " + _index_sentence(self.frame["index"])
        )

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-region table with the window columns ``start``, ``end``, ``kind``."""
        out = self.frame.copy()
        out.insert(0, "kind", self.kind)
        out.insert(0, "end", self.end)
        out.insert(0, "start", self.start)
        return out


@dataclass(frozen=True)
class ResilienceWindowsResult:
    """Resistance / recovery indices of every region over several windows.

    Attributes
    ----------
    table : pandas.DataFrame
        Long table, one row per region and window, with columns ``region``,
        ``start``, ``end``, ``kind``, ``reference_growth`` and ``index``.
    reference : str
        Description of the reference economy.
    """

    table: pd.DataFrame
    reference: str

    @property
    def windows(self) -> list[tuple[int, int]]:
        """The ``(start, end)`` windows, in the order computed."""
        pairs = self.table[["start", "end"]].drop_duplicates()
        return [(int(s), int(e)) for s, e in pairs.itertuples(index=False)]

    def wide(self) -> pd.DataFrame:
        """Region × window table of the index; columns are a ``(start, end)`` MultiIndex."""
        out = self.table.pivot(index="region", columns=["start", "end"], values="index")
        regions = pd.unique(self.table["region"])
        return out.loc[regions, pd.MultiIndex.from_tuples(self.windows, names=["start", "end"])]

    def summary(self) -> str:
        """One line per window: kind and how many regions beat the reference."""
        lines = [f"Resilience over {len(self.windows)} window(s) against the {self.reference}:"]
        for (s, e), part in self.table.groupby(["start", "end"], sort=False):
            kind = part["kind"].iloc[0]
            lines.append(f"  {s}→{e} ({kind}): " + _index_sentence(part.set_index("region")["index"]))
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the long table."""
        return self.table.copy()


@dataclass(frozen=True)
class IndustryMixResult:
    """Industry-mix (shift-share) resistance or recovery index of every region.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per region with ``y_start``, ``y_end``, ``delta_y``,
        ``expected_change`` (:math:`\\sum_j g_{j,N} Y_{ij}^s`),
        ``expected_change_aggregate`` (:math:`g_N Y_i^s`), ``index`` and
        ``index_aggregate`` (the index against the aggregate expectation).
    industry_growth : pandas.Series
        National growth :math:`g_{j,N}` of every industry.
    national_growth : float
        National growth :math:`g_N` of the sum over industries.
    start, end : int or None
        Window years, when given (labels only).
    kind : {"resistance", "recovery"}
        Given, or inferred from the sign of the national change.
    national : str
        Description of the national reference.
    """

    frame: pd.DataFrame
    industry_growth: pd.Series
    national_growth: float
    start: int | None
    end: int | None
    kind: str
    national: str

    def summary(self) -> str:
        """One paragraph: window, national growth, how many regions beat the industry-mix expectation."""
        window = _window_label(self.start, self.end)
        n_better_agg = int((self.frame["index_aggregate"] > 0).sum())
        return (
            f"Industry-mix {self.kind} {window} against the {self.national} "
            f"({len(self.industry_growth)} industries, national growth {self.national_growth:+.2%}): "
            + _index_sentence(self.frame["index"])
            + f" Against the aggregate expectation, {n_better_agg} of {len(self.frame)} "
            "regions have an index above 0."
        )

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-region table with the window columns ``start``, ``end``, ``kind``."""
        out = self.frame.copy()
        out.insert(0, "kind", self.kind)
        out.insert(0, "end", self.end)
        out.insert(0, "start", self.start)
        return out


@dataclass(frozen=True)
class SensitivityResult:
    """Martin's (2012) sensitivity index of every region for one window.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per region with ``y_start``, ``y_end``, ``growth``
        (:math:`\\Delta Y_i / Y_i^s`), ``reference_growth`` and ``beta``.
    start, end : int
        Window years.
    kind : {"resistance", "recovery"}
        Inferred from the sign of the reference change.
    reference : str
        Description of the reference economy.
    """

    frame: pd.DataFrame
    start: int
    end: int
    kind: str
    reference: str

    def summary(self) -> str:
        """One paragraph: window, reference and how many regions moved more than it."""
        beta = self.frame["beta"]
        more = int((beta > 1).sum())
        meaning = "fell more than the reference" if self.kind == "resistance" else "grew more than the reference"
        return (
            f"Sensitivity {self.start}→{self.end} ({self.kind}) against the {self.reference}: "
            f"{more} of {len(beta)} regions have beta > 1 (they {meaning}); "
            f"beta ranges from {beta.min():.3g} ({_label(beta.idxmin())}) "
            f"to {beta.max():.3g} ({_label(beta.idxmax())})."
        )

    def to_frame(self) -> pd.DataFrame:
        """A copy of the per-region table with the window columns ``start``, ``end``, ``kind``."""
        out = self.frame.copy()
        out.insert(0, "kind", self.kind)
        out.insert(0, "end", self.end)
        out.insert(0, "start", self.start)
        return out


# ==================================================================== functions
def resilience(
    wide: pd.DataFrame,
    *,
    start: int,
    end: int,
    reference: Reference = "total",
    groups: pd.Series | None = None,
    kind: WindowKind | None = None,
) -> ResilienceResult:
    """Resistance or recovery index of every region against a reference economy.

    Implements Martin, Sunley, Gardiner & Tyler (2016), eqs. (1)–(3):
    :math:`\\Delta E_i = g_r Y_i^s` and
    :math:`\\text{index}_i = (\\Delta Y_i - \\Delta E_i) / |\\Delta E_i|`.
    A value above 0 means the region did better than the reference (in a
    contraction it fell less; in a recovery it grew more); 0 means it moved
    exactly like the reference.

    Parameters
    ----------
    wide : pandas.DataFrame
        Region × year table (regions as the index, years as the columns),
        e.g. ``panel.wide("employment")``.  Only the ``start`` and ``end``
        columns are used; their values must be finite and the start values
        positive.
    start, end : int
        Start and end year of the window (``start < end``), both columns of
        ``wide``.
    reference : {"total", "mean", "group"} or pandas.Series, default "total"
        The reference economy: ``"total"``, the sum over all regions;
        ``"mean"``, the unweighted mean over all regions (its growth equals
        the growth of the total over the same regions; the option exists for
        variables such as per-capita income whose sum has no meaning);
        ``"group"``, for each region the total of its group (``groups``);
        or a Series of the reference economy's values by year (e.g. the
        national row, ``wide_us.loc["US"]``).
    groups : pandas.Series, optional
        Region id → group label; required with ``reference="group"`` and not
        allowed otherwise.  Every region of ``wide`` needs a label.
    kind : {"resistance", "recovery"}, optional
        Window type; by default inferred from the sign of the reference
        change (for ``reference="group"``, of the change of all regions
        together).

    Returns
    -------
    ResilienceResult
        Per-region ``y_start``, ``y_end``, ``delta_y``, ``reference_growth``,
        ``expected_change`` and ``index``, plus the window metadata.

    Raises
    ------
    InputError
        ``start``/``end`` not among the table's years or not increasing;
        a missing, non-numeric or non-finite value, or a start value
        ``<= 0``, naming region and year; ``groups`` lacking a region;
        an unknown option.
    ComputationError
        The reference does not change over the window (the index is
        undefined); the message names the window (and the group).

    References
    ----------
    Martin, R., Sunley, P., Gardiner, B. & Tyler, P. (2016). How regions react
    to recessions: resilience and the role of economic structure. *Regional
    Studies*, 50(4), 561–585.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.resilience import resilience
    >>> wide = pd.DataFrame({2007: [100.0, 50.0, 50.0], 2009: [75.0, 45.0, 30.0]},
    ...                     index=pd.Index(["A", "B", "C"], name="region"))
    >>> res = resilience(wide, start=2007, end=2009)
    >>> res.kind
    'resistance'
    >>> res.frame["index"].tolist()
    [0.0, 0.6, -0.6]
    """
    if kind is not None:
        check_option("kind", kind, WindowKind)
    _check_table(wide, what="wide table")
    s_col, e_col = _window_columns(wide, start, end)
    values = _numeric_frame(
        wide[[s_col, e_col]], what="wide table", row_kind="region", col_kind="year"
    )
    y_s = values[s_col]
    y_e = values[e_col]
    _check_positive(y_s, what="wide table", where=lambda r: f"region {_label(r)!r}, year {start}")

    ref_s, ref_e, description = _reference_levels(
        wide, y_s, y_e, start=start, end=end, reference=reference, groups=groups
    )
    window = _window_label(start, end)
    ref_change = ref_e - ref_s
    _check_reference_change(ref_change, window=window, description=description, groups=groups)
    growth = ref_change / ref_s

    if kind is None:
        overall = (y_e.sum() - y_s.sum()) if _is_group(reference) else float(ref_change.iloc[0])
        kind = _infer_kind(overall, window=window, description=description)

    delta_y = y_e - y_s
    expected = growth * y_s
    index = (delta_y - expected) / expected.abs()
    frame = pd.DataFrame(
        {
            "y_start": y_s,
            "y_end": y_e,
            "delta_y": delta_y,
            "reference_growth": growth,
            "expected_change": expected,
            "index": index,
        },
        index=wide.index.copy(),
    )
    return ResilienceResult(
        frame=frame, start=int(start), end=int(end), kind=kind, reference=description
    )


def resilience_windows(
    wide: pd.DataFrame,
    *,
    windows: Sequence[tuple[int, int]] | None = None,
    rolling: int | None = None,
    reference: Reference = "total",
    groups: pd.Series | None = None,
) -> ResilienceWindowsResult:
    """Resistance / recovery index of every region over several windows.

    Parameters
    ----------
    wide : pandas.DataFrame
        Region × year table, as for :func:`resilience`.
    windows : sequence of (int, int), optional
        Explicit ``(start, end)`` windows, e.g. ``[(2007, 2009), (2009, 2014)]``
        for a contraction and the recovery after it.
    rolling : int, optional
        Instead of ``windows``: every window ``(t - rolling, t)`` whose both
        years are columns of ``wide``.  Give exactly one of ``windows`` and
        ``rolling``.
    reference, groups
        As for :func:`resilience`.

    Returns
    -------
    ResilienceWindowsResult
        Long table (region, start, end, kind, reference_growth, index) and a
        ``wide()`` pivot.  Each window's kind is inferred from the sign of its
        reference change.

    Raises
    ------
    InputError
        Neither or both of ``windows`` and ``rolling``; an empty or repeated
        window; ``rolling < 1``; any error of :func:`resilience`.
    ComputationError
        A window in which the reference does not change (named).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.resilience import resilience_windows
    >>> wide = pd.DataFrame({2000: [100.0, 100.0], 2001: [80.0, 90.0], 2002: [100.0, 100.0]},
    ...                     index=pd.Index(["A", "B"], name="region"))
    >>> res = resilience_windows(wide, rolling=1)
    >>> res.windows
    [(2000, 2001), (2001, 2002)]
    >>> res.table["kind"].unique().tolist()
    ['resistance', 'recovery']
    """
    _check_table(wide, what="wide table")
    if (windows is None) == (rolling is None):
        raise InputError("give exactly one of windows=[(start, end), ...] and rolling=<years>")
    if rolling is not None:
        if isinstance(rolling, bool) or not isinstance(rolling, int | np.integer) or rolling < 1:
            raise InputError(f"rolling={rolling!r} must be a whole number of years >= 1")
        years = _int_years(wide)
        present = set(years)
        pairs = [(y - int(rolling), y) for y in years if y - int(rolling) in present]
        if not pairs:
            raise InputError(
                f"rolling={rolling}: no pair of years {rolling} apart among the table's years "
                f"({_years_text(wide)})"
            )
    else:
        pairs = []
        for w in windows:  # type: ignore[union-attr]
            if not isinstance(w, tuple | list) or len(w) != 2:
                raise InputError(f"window {w!r} is not a (start, end) pair")
            pairs.append((w[0], w[1]))
        if not pairs:
            raise InputError("windows is empty; give at least one (start, end) pair")
        seen: set[tuple[Any, Any]] = set()
        for p in pairs:
            if p in seen:
                raise InputError(f"window {p[0]}→{p[1]} is given more than once")
            seen.add(p)

    parts = []
    description = ""
    for s, e in pairs:
        res = resilience(wide, start=s, end=e, reference=reference, groups=groups)
        description = res.reference
        part = res.frame[["reference_growth", "index"]].copy()
        part.insert(0, "kind", res.kind)
        part.insert(0, "end", int(e))
        part.insert(0, "start", int(s))
        parts.append(part)
    table = pd.concat(parts)
    table.index.name = "region"
    table = table.reset_index()
    return ResilienceWindowsResult(table=table, reference=description)


def resilience_industry_mix(
    start_table: pd.DataFrame,
    end_table: pd.DataFrame,
    *,
    national_start: pd.Series | None = None,
    national_end: pd.Series | None = None,
    start: int | None = None,
    end: int | None = None,
    kind: WindowKind | None = None,
) -> IndustryMixResult:
    """Resistance or recovery index against the industry-mix (shift-share) expectation.

    The expected change of region *i* is what it would have had if each of
    its industries had grown at that industry's national rate,
    :math:`\\Delta E_i = \\sum_j g_{j,N} Y_{ij}^s` with
    :math:`g_{j,N} = (N_j^e - N_j^s) / N_j^s`; the actual change is the
    change of the region's total, :math:`\\Delta Y_i = \\sum_j (Y_{ij}^e - Y_{ij}^s)`,
    and :math:`\\text{index}_i = (\\Delta Y_i - \\Delta E_i) / |\\Delta E_i|`
    (Martin et al. 2016).  For comparison the result also holds the
    aggregate expectation :math:`g_N Y_i^s` and the index against it.

    Parameters
    ----------
    start_table, end_table : pandas.DataFrame
        Region × industry values at the start and the end of the window
        (same regions and industries, in any order).  The industries must not
        overlap (no sector next to its own sub-sectors) and should be in
        additive units (nominal values or employment; chained real values
        do not add up).
    national_start, national_end : pandas.Series, optional
        National values by industry (e.g. the national row of the same
        source).  By default the column sums of the tables.  Give both or
        neither; industries not in the tables are ignored.
    start, end : int, optional
        Window years, used as labels in the result and in messages.
    kind : {"resistance", "recovery"}, optional
        Window type; by default inferred from the sign of the national
        change summed over the tables' industries.

    Returns
    -------
    IndustryMixResult
        Per-region ``y_start``, ``y_end``, ``delta_y``, ``expected_change``,
        ``expected_change_aggregate``, ``index``, ``index_aggregate``; the
        industry growth rates and the national growth.

    Raises
    ------
    InputError
        Tables with different regions or industries (named); a missing,
        non-numeric (e.g. ``"(D)"``) or non-finite cell, named by region and
        industry; an industry whose national start value is zero or negative
        (named); a region whose start total is ``<= 0``.
    ComputationError
        A region whose industry-mix expected change is exactly zero, or a
        national total that does not change (the index is undefined).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.resilience import resilience_industry_mix
    >>> s = pd.DataFrame({"manu": [60.0, 20.0], "serv": [40.0, 80.0]}, index=["A", "B"])
    >>> e = pd.DataFrame({"manu": [45.0, 15.0], "serv": [40.0, 84.0]}, index=["A", "B"])
    >>> res = resilience_industry_mix(s, e, start=2007, end=2009)
    >>> res.industry_growth.tolist()
    [-0.25, 0.03333333333333333]
    >>> res.frame["index"].round(4).tolist()
    [-0.0976, 0.5714]
    """
    if kind is not None:
        check_option("kind", kind, WindowKind)
    _check_table(start_table, what="start table")
    _check_table(end_table, what="end table")
    _check_same_labels(start_table.index, end_table.index, kind="region")
    _check_same_labels(start_table.columns, end_table.columns, kind="industry")
    end_table = end_table.loc[start_table.index, start_table.columns]
    window = _window_label(start, end)
    ys = _numeric_frame(start_table, what="start table", row_kind="region", col_kind="industry")
    ye = _numeric_frame(end_table, what="end table", row_kind="region", col_kind="industry")

    if (national_start is None) != (national_end is None):
        raise InputError("give both national_start and national_end, or neither")
    if national_start is None:
        n_s = ys.sum(axis=0)
        n_e = ye.sum(axis=0)
        national = "sum of the regions"
    else:
        n_s = _national_series(national_start, ys.columns, what="national_start")
        n_e = _national_series(national_end, ys.columns, what="national_end")
        name = getattr(national_start, "name", None)
        national = f"national series {name!r}" if name is not None else "given national series"

    bad = n_s[n_s <= 0]
    if len(bad):
        cells = ", ".join(f"industry {_label(j)!r} = {v:g}" for j, v in bad.iloc[:_MAX_NAMED].items())
        raise InputError(
            f"{national}, {window}: national start value(s) must be positive to give an industry "
            f"growth rate: {cells}{_more(len(bad))}; drop or merge these industries"
        )
    industry_growth = (n_e - n_s) / n_s
    industry_growth.name = "national_growth"

    y_start = ys.sum(axis=1)
    y_end = ye.sum(axis=1)
    _check_positive(y_start, what="start table", where=lambda r: f"region {_label(r)!r} (sum over industries)")
    national_change = float(n_e.sum() - n_s.sum())
    if national_change == 0:
        raise ComputationError(
            f"{window}: the {national} does not change (sum over industries "
            f"{float(n_s.sum()):g} at start and end), so the aggregate expectation "
            "and its index are undefined"
        )
    national_growth = national_change / float(n_s.sum())
    if kind is None:
        kind = _infer_kind(national_change, window=window, description=national)

    delta_y = y_end - y_start
    expected = ys.mul(industry_growth, axis=1).sum(axis=1)
    zero = expected[expected == 0]
    if len(zero):
        names = ", ".join(repr(_label(r)) for r in zero.index[:_MAX_NAMED])
        raise ComputationError(
            f"{window}: the industry-mix expected change is exactly zero for region(s) "
            f"{names}{_more(len(zero))}, so their index is undefined"
        )
    expected_agg = national_growth * y_start
    frame = pd.DataFrame(
        {
            "y_start": y_start,
            "y_end": y_end,
            "delta_y": delta_y,
            "expected_change": expected,
            "expected_change_aggregate": expected_agg,
            "index": (delta_y - expected) / expected.abs(),
            "index_aggregate": (delta_y - expected_agg) / expected_agg.abs(),
        },
        index=start_table.index.copy(),
    )
    return IndustryMixResult(
        frame=frame,
        industry_growth=industry_growth,
        national_growth=national_growth,
        start=None if start is None else int(start),
        end=None if end is None else int(end),
        kind=kind,
        national=national,
    )


def sensitivity_index(
    wide: pd.DataFrame,
    *,
    start: int,
    end: int,
    reference: Reference = "total",
    groups: pd.Series | None = None,
) -> SensitivityResult:
    """Martin's (2012) sensitivity index :math:`\\beta_i = (\\Delta Y_i/Y_i^s) / (\\Delta Y_r/Y_r^s)`.

    In a contraction, :math:`\\beta_i > 1` means region *i* fell more (in
    relative terms) than the reference, i.e. it was *less* resistant; in a
    recovery, :math:`\\beta_i > 1` means it grew more.  A negative value means
    it moved against the reference.

    Parameters
    ----------
    wide : pandas.DataFrame
        Region × year table, as for :func:`resilience`.
    start, end : int
        Window years (``start < end``).
    reference, groups
        As for :func:`resilience`.

    Returns
    -------
    SensitivityResult
        Per-region ``y_start``, ``y_end``, ``growth``, ``reference_growth``
        and ``beta``.

    Raises
    ------
    InputError, ComputationError
        As for :func:`resilience`.

    References
    ----------
    Martin, R. (2012). Regional economic resilience, hysteresis and
    recessionary shocks. *Journal of Economic Geography*, 12(1), 1–32.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.resilience import sensitivity_index
    >>> wide = pd.DataFrame({2007: [100.0, 50.0, 50.0], 2009: [75.0, 45.0, 30.0]},
    ...                     index=["A", "B", "C"])
    >>> sensitivity_index(wide, start=2007, end=2009).frame["beta"].tolist()
    [1.0, 0.4, 1.6]
    """
    res = resilience(wide, start=start, end=end, reference=reference, groups=groups)
    f = res.frame
    growth = f["delta_y"] / f["y_start"]
    frame = pd.DataFrame(
        {
            "y_start": f["y_start"],
            "y_end": f["y_end"],
            "growth": growth,
            "reference_growth": f["reference_growth"],
            "beta": growth / f["reference_growth"],
        },
        index=f.index.copy(),
    )
    return SensitivityResult(
        frame=frame, start=res.start, end=res.end, kind=res.kind, reference=res.reference
    )


# ===================================================================== helpers
def _check_table(frame: Any, *, what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what}: expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"{what}: the table is empty ({frame.shape[0]} rows × {frame.shape[1]} columns)")
    if frame.index.duplicated().any():
        dup = [_label(r) for r in frame.index[frame.index.duplicated()].unique()[:_MAX_NAMED]]
        raise InputError(f"{what}: region(s) {dup} appear more than once")
    if frame.columns.duplicated().any():
        dup = [_label(c) for c in frame.columns[frame.columns.duplicated()].unique()[:_MAX_NAMED]]
        raise InputError(f"{what}: column(s) {dup} appear more than once")


def _int_years(wide: pd.DataFrame) -> list[int]:
    years = []
    for c in wide.columns:
        if isinstance(c, bool) or not isinstance(c, int | np.integer):
            raise InputError(
                f"wide table: column {c!r} is not an integer year; the table must have regions "
                "as rows and integer years as columns (see Panel.wide)"
            )
        years.append(int(c))
    return sorted(years)


def _years_text(wide: pd.DataFrame) -> str:
    try:
        years = sorted(int(c) for c in wide.columns)
    except (TypeError, ValueError):
        return ", ".join(map(str, wide.columns[:10])) + (" …" if len(wide.columns) > 10 else "")
    return f"{years[0]}–{years[-1]}, {len(years)} years"


def _window_columns(wide: pd.DataFrame, start: Any, end: Any) -> tuple[Hashable, Hashable]:
    cols = []
    for name, year in (("start", start), ("end", end)):
        if isinstance(year, bool) or not isinstance(year, int | np.integer):
            raise InputError(f"{name}={year!r} must be an integer year")
        if year not in wide.columns:
            raise InputError(
                f"{name} year {year} is not among the table's years ({_years_text(wide)})"
            )
        cols.append(wide.columns[wide.columns.get_loc(year)])
    if start >= end:
        raise InputError(f"start year {start} must be before end year {end}")
    return cols[0], cols[1]


def _numeric_frame(frame: pd.DataFrame, *, what: str, row_kind: str, col_kind: str) -> pd.DataFrame:
    """Float copy of ``frame``; non-numeric or non-finite cells raise an error naming them."""
    out = {}
    bad: list[str] = []
    n_bad = 0
    for c in frame.columns:
        raw = frame[c]
        num = pd.to_numeric(raw, errors="coerce").astype(float)
        flags = ~np.isfinite(num.to_numpy())
        if flags.any():
            for pos in np.flatnonzero(flags):
                n_bad += 1
                if len(bad) < _MAX_NAMED:
                    value = raw.iloc[pos]
                    bad.append(
                        f"{row_kind} {_label(frame.index[pos])!r}, {col_kind} {_label(c)} = {_raw(value)}"
                    )
        out[c] = num.to_numpy()
    if n_bad:
        raise InputError(
            f"{what}: missing, non-numeric or non-finite value(s) at {'; '.join(bad)}{_more(n_bad)}"
            " (suppressed cells such as '(D)' must be filled or their rows/columns dropped explicitly)"
        )
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _check_positive(values: pd.Series, *, what: str, where: Any) -> None:
    bad = values[values <= 0]
    if len(bad):
        cells = "; ".join(f"{where(r)} = {v:g}" for r, v in bad.iloc[:_MAX_NAMED].items())
        raise InputError(
            f"{what}: start value(s) must be positive (the index divides by them): {cells}{_more(len(bad))}"
        )


def _is_group(reference: Any) -> bool:
    return isinstance(reference, str) and reference == "group"


def _reference_levels(
    wide: pd.DataFrame,
    y_s: pd.Series,
    y_e: pd.Series,
    *,
    start: int,
    end: int,
    reference: Any,
    groups: pd.Series | None,
) -> tuple[pd.Series, pd.Series, str]:
    """Reference level at start and end for every region, and a description of the reference."""
    index = y_s.index
    if isinstance(reference, pd.Series):
        if groups is not None:
            raise InputError("groups is only used with reference='group'")
        series = reference
        if series.index.duplicated().any():
            dup = sorted({_label(y) for y in series.index[series.index.duplicated()]})[:_MAX_NAMED]
            raise InputError(f"reference series {series.name!r}: year(s) {dup} appear more than once")
        missing = [y for y in (start, end) if y not in series.index]
        if missing:
            raise InputError(
                f"reference series {series.name!r}: year(s) {missing} missing "
                f"(it has {len(series)} values)"
            )
        vals = {}
        for y in (start, end):
            raw = series.loc[y]
            v = pd.to_numeric(pd.Series([raw]), errors="coerce").astype(float).iloc[0]
            if not np.isfinite(v):
                raise InputError(
                    f"reference series {series.name!r}, year {y}: value {_raw(raw)} is not a finite number"
                )
            vals[y] = float(v)
        if vals[start] <= 0:
            raise InputError(
                f"reference series {series.name!r}, year {start}: start value {vals[start]:g} "
                "must be positive (the growth rate divides by it)"
            )
        name = series.name
        description = f"reference series {name!r}" if name is not None else "given reference series"
        return (
            pd.Series(vals[start], index=index),
            pd.Series(vals[end], index=index),
            description,
        )
    if not isinstance(reference, str):
        raise InputError(
            f"reference={reference!r} is not allowed; choose 'total', 'mean', 'group' "
            "or give a pandas Series of the reference values by year"
        )
    check_option("reference", reference, ReferenceName)
    if reference == "group":
        if groups is None:
            raise InputError("reference='group' needs groups=<Series region id → group label>")
        labels = _group_labels(groups, index)
        ref_s = y_s.groupby(labels).transform("sum")
        ref_e = y_e.groupby(labels).transform("sum")
        gname = f" {groups.name!r}" if groups.name is not None else ""
        return ref_s, ref_e, f"total of each region's group{gname}"
    if groups is not None:
        raise InputError("groups is only used with reference='group'")
    if reference == "total":
        return (
            pd.Series(float(y_s.sum()), index=index),
            pd.Series(float(y_e.sum()), index=index),
            "total of all regions",
        )
    return (
        pd.Series(float(y_s.mean()), index=index),
        pd.Series(float(y_e.mean()), index=index),
        "unweighted mean of all regions",
    )


def _group_labels(groups: Any, index: pd.Index) -> pd.Series:
    if not isinstance(groups, pd.Series):
        raise InputError(f"groups: expected a pandas Series region id → group label, got {type(groups).__name__}")
    if groups.index.duplicated().any():
        dup = [_label(r) for r in groups.index[groups.index.duplicated()].unique()[:_MAX_NAMED]]
        raise InputError(f"groups: region(s) {dup} listed more than once")
    missing = [r for r in index if r not in groups.index]
    if missing:
        shown = ", ".join(repr(_label(r)) for r in missing[:_MAX_NAMED])
        raise InputError(f"groups: no group for region(s) {shown}{_more(len(missing))}")
    labels = groups.loc[index]
    unlabelled = labels[labels.isna()]
    if len(unlabelled):
        shown = ", ".join(repr(_label(r)) for r in unlabelled.index[:_MAX_NAMED])
        raise InputError(f"groups: missing group label for region(s) {shown}{_more(len(unlabelled))}")
    return pd.Series(labels.to_numpy(), index=index, name="group")


def _check_reference_change(
    change: pd.Series, *, window: str, description: str, groups: pd.Series | None
) -> None:
    zero = change[change == 0]
    if not len(zero):
        return
    if groups is not None:
        labels = sorted({_label(g) for g in groups.loc[zero.index]})
        shown = ", ".join(repr(g) for g in labels[:_MAX_NAMED])
        raise ComputationError(
            f"window {window}: the {description} does not change for group(s) {shown}, "
            "so the expected change and the index are undefined for their regions"
        )
    raise ComputationError(
        f"window {window}: the {description} does not change, "
        "so the expected change and the index are undefined"
    )


def _infer_kind(change: float, *, window: str, description: str) -> str:
    if change < 0:
        return "resistance"
    if change > 0:
        return "recovery"
    raise ComputationError(
        f"window {window}: the {description} does not change, so the window is neither a "
        "contraction nor a recovery; pass kind='resistance' or kind='recovery'"
    )


def _national_series(series: Any, industries: pd.Index, *, what: str) -> pd.Series:
    if not isinstance(series, pd.Series):
        raise InputError(f"{what}: expected a pandas Series indexed by industry, got {type(series).__name__}")
    if series.index.duplicated().any():
        dup = [_label(j) for j in series.index[series.index.duplicated()].unique()[:_MAX_NAMED]]
        raise InputError(f"{what}: industry(ies) {dup} listed more than once")
    missing = [j for j in industries if j not in series.index]
    if missing:
        shown = ", ".join(repr(_label(j)) for j in missing[:_MAX_NAMED])
        raise InputError(f"{what}: no value for industry(ies) {shown}{_more(len(missing))}")
    raw = series.loc[industries]
    num = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = num[~np.isfinite(num.to_numpy())]
    if len(bad):
        cells = ", ".join(f"industry {_label(j)!r} = {_raw(raw.loc[j])}" for j in bad.index[:_MAX_NAMED])
        raise InputError(f"{what}: missing, non-numeric or non-finite value(s): {cells}{_more(len(bad))}")
    return pd.Series(num.to_numpy(), index=industries)


def _check_same_labels(a: pd.Index, b: pd.Index, *, kind: str) -> None:
    only_a = [x for x in a if x not in b]
    only_b = [x for x in b if x not in a]
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"only in the start table: {[_label(x) for x in only_a[:_MAX_NAMED]]}{_more(len(only_a))}")
        if only_b:
            parts.append(f"only in the end table: {[_label(x) for x in only_b[:_MAX_NAMED]]}{_more(len(only_b))}")
        plural = {"industry": "industries"}.get(kind, f"{kind}s")
        raise InputError(f"start and end tables differ in their {plural}: " + "; ".join(parts))


def _index_sentence(index: pd.Series) -> str:
    better = int((index > 0).sum())
    return (
        f"{better} of {len(index)} regions did better than the reference (index > 0); "
        f"highest {_label(index.idxmax())} ({index.max():.3g}), "
        f"lowest {_label(index.idxmin())} ({index.min():.3g})."
    )


def _window_label(start: Any, end: Any) -> str:
    return f"{'start' if start is None else start}→{'end' if end is None else end}"


def _more(n: int) -> str:
    return f" and {n - _MAX_NAMED} more" if n > _MAX_NAMED else ""


def _raw(value: Any) -> str:
    """A cell value for a message: strings quoted (``'(D)'``), numbers plain (``nan``)."""
    return repr(value) if isinstance(value, str) else str(value)


def _label(label: Any) -> str:
    if isinstance(label, tuple):
        return ", ".join(str(x) for x in label)
    return str(label)


__all__ = [
    "IndustryMixResult",
    "ResilienceResult",
    "ResilienceWindowsResult",
    "SensitivityResult",
    "resilience",
    "resilience_industry_mix",
    "resilience_windows",
    "sensitivity_index",
]
