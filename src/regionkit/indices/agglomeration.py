"""Agglomeration, specialization and concentration indices of a region × industry table.

Input convention: a region × industry table, a :class:`pandas.DataFrame` with
region ids as index, industry codes as columns and employment (or output) as
values: non-negative and finite, no industry column and no region row all
zero.  With ``l_ij`` the value of region ``i`` in industry ``j``,
``l_i = Σ_j l_ij`` (region total), ``l_j = Σ_i l_ij`` (national industry
total) and ``l = Σ_ij l_ij``:

* location quotient ``LQ_ij = (l_ij / l_i) / (l_j / l)``;
* Fan–Scott HHI of a region ``Σ_j (l_ij / l_j)²`` (Fan & Scott 2003, the
  form used in Chinese coupling-coordination studies);
* concentration HHI of an industry ``Σ_i (l_ij / l_j)²`` (REAT ``herf`` over
  regions);
* specialization HHI of a region ``Σ_j (l_ij / l_i)²`` (REAT ``herf`` over
  industries);
* Krugman specialization ``K_i = Σ_j |l_ij / l_i − b_ij|`` against a
  benchmark structure ``b_i`` (see :func:`krugman_specialization`);
* Ellison–Glaeser (1997) index ``γ_j = (G_j − (1 − Σ x²) H_j) /
  ((1 − Σ x²)(1 − H_j))`` with ``G_j = Σ_i (l_ij / l_j − x_i)²`` and
  ``x_i = l_i / l``.

Every function was checked against the R package REAT 3.0.3 (Wieland) where
REAT has the index; see ``tests/reference/agglomeration``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import check_columns, check_option
from ..errors import InputError

KrugmanBenchmark = Literal["others_mean", "rest", "national"]
"""Benchmark structure of :func:`krugman_specialization`."""

Which = Literal["region", "industry"]

INFINITE_PLANTS_CAVEAT = (
    "no plant Herfindahl given: H = 0 assumed, the limit of infinitely many "
    "infinitesimally small plants; gamma then equals G / (1 - sum x^2) and "
    "overstates concentration (lumpy industries with few large plants look "
    "agglomerated)"
)
"""Text of the caveat carried by an Ellison–Glaeser result computed without H."""

_MAX_CELLS = 1 << 23  # dense year × region × industry cells per chunk of agglomeration_panel


# --------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------
def _r(label: Any) -> str:
    """``repr`` of a label, numpy scalars shown as plain Python values (2001, not np.int64(2001))."""
    return repr(label.item() if isinstance(label, np.generic) else label)


def _names(labels: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(_r(x) for x in list(labels)[:limit])
    more = f" and {len(labels) - limit} more" if len(labels) > limit else ""
    return shown + more


def _is_plain_numeric(dtype: Any) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _table_values(table: pd.DataFrame, what: str) -> np.ndarray:
    """Check a region × industry table and return its values as a new float array."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(
            f"{what}: expected a pandas DataFrame (regions in rows, industries in columns), "
            f"got {type(table).__name__}"
        )
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise InputError(
            f"{what}: the table is empty ({table.shape[0]} region(s) × {table.shape[1]} industry(ies))"
        )
    dup_r = table.index[table.index.duplicated()].unique()
    if len(dup_r):
        raise InputError(f"{what}: duplicated region id(s) {_names(dup_r)}")
    dup_c = table.columns[table.columns.duplicated()].unique()
    if len(dup_c):
        raise InputError(f"{what}: duplicated industry column(s) {_names(dup_c)}")

    columns = []
    for k, industry in enumerate(table.columns):
        col = table.iloc[:, k]
        if _is_plain_numeric(col.dtype):
            columns.append(col.to_numpy(dtype=float, na_value=np.nan))
            continue
        if pd.api.types.is_bool_dtype(col.dtype):
            raise InputError(f"{what}: industry {_r(industry)} holds True/False, not numbers")
        num = pd.to_numeric(col, errors="coerce")
        bad = num.isna().to_numpy() & col.notna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what}: non-numeric value {col.iloc[i]!r} at region {_r(table.index[i])}, "
                f"industry {_r(industry)}"
                + (f" and {int(bad.sum()) - 1} more in that column" if bad.sum() > 1 else "")
            )
        columns.append(num.to_numpy(dtype=float, na_value=np.nan))
    values = np.column_stack(columns)

    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(f"{what}: missing or non-finite value(s) at {_cells(table, bad)}")
    bad = values < 0
    if bad.any():
        raise InputError(f"{what}: negative value(s) at {_cells(table, bad, values)}")
    with np.errstate(over="ignore"):
        overflow = not np.isfinite(values.sum())
    if overflow:
        raise InputError(f"{what}: the values sum beyond the float range; rescale the table")
    zero_ind = values.sum(axis=0) == 0
    if zero_ind.any():
        raise InputError(
            f"{what}: industry(ies) {_names(table.columns[zero_ind])} are zero in every region; "
            "drop them first"
        )
    zero_reg = values.sum(axis=1) == 0
    if zero_reg.any():
        raise InputError(
            f"{what}: region(s) {_names(table.index[zero_reg])} are zero in every industry; "
            "drop them first"
        )
    return values


def _cells(table: pd.DataFrame, bad: np.ndarray, values: np.ndarray | None = None) -> str:
    rows, cols = np.nonzero(bad)
    parts = []
    for r, c in zip(rows[:5], cols[:5], strict=True):
        val = f" = {values[r, c]:g}" if values is not None else ""
        parts.append(f"region {_r(table.index[r])}, industry {_r(table.columns[c])}{val}")
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    return "; ".join(parts) + more


def _sum_of_others(v: np.ndarray, axis: int) -> np.ndarray:
    """``Σ_{r≠i} v_r`` along ``axis`` for every ``i``, as exclusive prefix + suffix sums.

    Unlike ``v.sum(axis) − v`` this does not cancel when one entry holds nearly
    the whole sum (non-negative ``v``).
    """
    v = np.moveaxis(v, axis, 0)
    before = np.zeros_like(v)
    np.cumsum(v[:-1], axis=0, out=before[1:])
    after = np.zeros_like(v)
    np.cumsum(v[:0:-1], axis=0, out=after[-2::-1])
    before += after
    return np.moveaxis(before, 0, axis)


def _series(values: np.ndarray, index: pd.Index, name: str) -> pd.Series:
    return pd.Series(values, index=index.copy(), name=name, dtype=float)


def _need_two_regions(n_regions: int, what: str) -> None:
    if n_regions < 2:
        raise InputError(f"{what}: needs at least two regions, the table has {n_regions}")


# --------------------------------------------------------------------------
# location quotient and Herfindahl indices
# --------------------------------------------------------------------------
def location_quotient(table: pd.DataFrame) -> pd.DataFrame:
    """Location quotients ``LQ_ij = (l_ij / l_i) / (l_j / l)``.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output.

    Returns
    -------
    pandas.DataFrame
        Same index and columns as ``table``.  ``LQ_ij > 1``: industry ``j``
        is over-represented in region ``i``.  Matches REAT ``locq`` /
        ``locq2`` (multiplicative LQ).

    Raises
    ------
    InputError
        Naming the region and industry of a negative, missing or non-numeric
        value, or an all-zero region or industry.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import location_quotient
    >>> t = pd.DataFrame({"a": [2.0, 1.0], "b": [2.0, 3.0]}, index=["X", "Y"])
    >>> location_quotient(t).round(4)
            a    b
    X  1.3333  0.8
    Y  0.6667  1.2
    """
    v = _table_values(table, "location_quotient")
    l_i = v.sum(axis=1, keepdims=True)
    l_j = v.sum(axis=0, keepdims=True)
    lq = (v / l_i) / (l_j / v.sum())
    return pd.DataFrame(lq, index=table.index.copy(), columns=table.columns.copy())


def hhi_fan_scott(table: pd.DataFrame) -> pd.Series:
    """Fan–Scott Herfindahl index per region, ``HHI_i = Σ_j (l_ij / l_j)²``.

    ``l_j`` is the national (column) total of industry ``j``, so each term is
    the squared share of region ``i`` in the nation's industry ``j`` (Fan &
    Scott 2003, as used in Chinese coupling-coordination studies).  It lies in
    ``[0, m]`` for ``m`` industries, and ``Σ_i HHI_i`` equals the sum over
    industries of :func:`hhi_concentration`.  Not to be confused with the
    specialization HHI (:func:`hhi_specialization`); REAT has no function for
    this form.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output.

    Returns
    -------
    pandas.Series
        Named ``hhi_fan_scott``, indexed by region.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import hhi_fan_scott
    >>> t = pd.DataFrame({"a": [3.0, 1.0], "b": [1.0, 1.0]}, index=["X", "Y"])
    >>> hhi_fan_scott(t).tolist()  # X: 0.75² + 0.5², Y: 0.25² + 0.5²
    [0.8125, 0.3125]
    """
    v = _table_values(table, "hhi_fan_scott")
    share = v / v.sum(axis=0, keepdims=True)
    return _series((share**2).sum(axis=1), table.index, "hhi_fan_scott")


def hhi_concentration(table: pd.DataFrame) -> pd.Series:
    """Concentration HHI of each industry over regions, ``Σ_i (l_ij / l_j)²``.

    The conventional Herfindahl index of an industry's regional distribution,
    in ``[1/n, 1]`` for ``n`` regions (REAT ``herf`` applied to a column).

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output.

    Returns
    -------
    pandas.Series
        Named ``hhi_concentration``, indexed by industry.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import hhi_concentration
    >>> t = pd.DataFrame({"a": [3.0, 1.0], "b": [1.0, 1.0]}, index=["X", "Y"])
    >>> hhi_concentration(t).tolist()
    [0.625, 0.5]
    """
    v = _table_values(table, "hhi_concentration")
    share = v / v.sum(axis=0, keepdims=True)
    return _series((share**2).sum(axis=0), table.columns, "hhi_concentration")


def hhi_specialization(table: pd.DataFrame) -> pd.Series:
    """Specialization HHI of each region over industries, ``Σ_j (l_ij / l_i)²``.

    In ``[1/m, 1]`` for ``m`` industries (REAT ``herf`` applied to a row);
    its inverse is the "equivalent number" of industries, a diversity measure.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output.

    Returns
    -------
    pandas.Series
        Named ``hhi_specialization``, indexed by region.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import hhi_specialization
    >>> t = pd.DataFrame({"a": [3.0, 1.0], "b": [1.0, 1.0]}, index=["X", "Y"])
    >>> hhi_specialization(t).tolist()
    [0.625, 0.5]
    """
    v = _table_values(table, "hhi_specialization")
    share = v / v.sum(axis=1, keepdims=True)
    return _series((share**2).sum(axis=1), table.index, "hhi_specialization")


# --------------------------------------------------------------------------
# Krugman specialization
# --------------------------------------------------------------------------
def _krugman_benchmark(v: np.ndarray, s: np.ndarray, benchmark: str) -> np.ndarray:
    """Benchmark industry structure per region (rows) for shares ``s = v / l_i``."""
    if benchmark == "national":
        l_j = v.sum(axis=0, keepdims=True)
        return np.broadcast_to(l_j / l_j.sum(), v.shape)
    n = v.shape[0]
    if benchmark == "rest":
        rest = _sum_of_others(v, axis=0)  # l_j − l_ij without cancellation
        return rest / rest.sum(axis=1, keepdims=True)
    # others_mean: unweighted mean structure of the other n - 1 regions
    return (s.sum(axis=0, keepdims=True) - s) / (n - 1)


def krugman_specialization(
    table: pd.DataFrame, *, benchmark: KrugmanBenchmark = "others_mean"
) -> pd.Series:
    """Krugman specialization index per region, ``K_i = Σ_j |l_ij / l_i − b_ij|``.

    ``K_i`` is 0 for a region with exactly the benchmark's industry structure
    and 2 for a region sharing no industry with it.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output;
        at least two regions.
    benchmark : {"others_mean", "rest", "national"}
        The structure ``b_i`` region ``i`` is compared with:

        * ``"others_mean"`` (default, REAT's): the unweighted mean of the
          other regions' industry shares, ``b_ij = 1/(n−1) Σ_{r≠i} l_rj / l_r``.
          This is REAT ``krugman.spec2(e_ij, <other regions>)`` and the
          ``K j`` column of REAT ``spec()``.
        * ``"rest"``: the pooled rest of the country,
          ``b_ij = (l_j − l_ij) / (l − l_i)``; REAT
          ``krugman.spec(e_ij, <national minus region>)``.
        * ``"national"``: the whole country including region ``i``,
          ``b_ij = l_j / l`` (the textbook form
          ``Σ_j |l_ij/l_i − l_j/l|``; twice REAT's Hoover coefficient
          ``hoover(e_ij, ref = <national totals>)``).

    Returns
    -------
    pandas.Series
        Named ``krugman``, indexed by region.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import krugman_specialization
    >>> t = pd.DataFrame({"a": [3.0, 1.0], "b": [1.0, 3.0]}, index=["X", "Y"])
    >>> krugman_specialization(t).tolist()  # |0.75 - 0.25| + |0.25 - 0.75|
    [1.0, 1.0]
    >>> krugman_specialization(t, benchmark="national").tolist()
    [0.5, 0.5]
    """
    check_option("benchmark", benchmark, KrugmanBenchmark)
    v = _table_values(table, "krugman_specialization")
    if benchmark != "national":
        _need_two_regions(v.shape[0], f"krugman_specialization(benchmark={benchmark!r})")
    s = v / v.sum(axis=1, keepdims=True)
    k = np.abs(s - _krugman_benchmark(v, s, benchmark)).sum(axis=1)
    return _series(k, table.index, "krugman")


# --------------------------------------------------------------------------
# Ellison–Glaeser
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class EllisonGlaeserResult:
    """Ellison–Glaeser (1997) agglomeration index per industry.

    Attributes
    ----------
    G : pandas.Series
        Raw geographic concentration ``G_j = Σ_i (s_ij − x_i)²`` with
        ``s_ij = l_ij / l_j`` and ``x_i = l_i / l`` (indexed by industry).
    H : pandas.Series
        The plant Herfindahl index used for each industry (all 0 when
        ``h_assumed_zero``).
    gamma : pandas.Series
        ``γ_j = (G_j − (1 − Σx²) H_j) / ((1 − Σx²)(1 − H_j))``.  0: as
        concentrated as a random ("dartboard") location of plants; > 0
        agglomerated; < 0 more dispersed than random.
    sum_x2 : float
        ``Σ_i x_i²``, the Herfindahl index of the regions' total sizes.
    h_assumed_zero : bool
        True when no plant Herfindahl was given: ``H = 0``, the limit of
        infinitely many small plants, where γ reduces to ``G / (1 − Σx²)``
        and *overstates* concentration.  See :data:`INFINITE_PLANTS_CAVEAT`.
    """

    G: pd.Series
    H: pd.Series
    gamma: pd.Series
    sum_x2: float
    h_assumed_zero: bool

    @property
    def caveat(self) -> str | None:
        """The infinite-plants caveat when ``h_assumed_zero``, else None."""
        return INFINITE_PLANTS_CAVEAT if self.h_assumed_zero else None

    def to_frame(self) -> pd.DataFrame:
        """Industries in rows, columns ``G``, ``H``, ``gamma``."""
        return pd.DataFrame({"G": self.G, "H": self.H, "gamma": self.gamma})

    def summary(self) -> str:
        """Range of γ, most agglomerated industry and the H caveat in words."""
        g = self.gamma
        top = g.idxmax()
        text = (
            f"Ellison-Glaeser gamma for {len(g)} industries (sum x^2 = {self.sum_x2:.4f}): "
            f"min {g.min():.4f}, median {g.median():.4f}, max {g.max():.4f} ({top})"
        )
        if self.h_assumed_zero:
            text += f"\nCaveat: {INFINITE_PLANTS_CAVEAT}."
        return text


def ellison_glaeser(
    table: pd.DataFrame, *, plant_herfindahl: pd.Series | None = None
) -> EllisonGlaeserResult:
    """Ellison–Glaeser (1997) index of each industry's geographic agglomeration.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output;
        at least two regions.  ``x_i`` (region size) is the region's share of
        the table's grand total, i.e. of all industries in the table.
    plant_herfindahl : pandas.Series, optional
        Plant (establishment) Herfindahl index ``H_j = Σ_k z_kj²`` of each
        industry, indexed by industry code; every industry of ``table`` needs
        a value in ``[0, 1)`` (extra industries are ignored).  Without it
        ``H = 0`` is assumed — the limit of infinitely many small plants —
        and the result carries ``h_assumed_zero=True``: γ then equals
        ``G / (1 − Σx²)`` and overstates concentration.

    Returns
    -------
    EllisonGlaeserResult

    Notes
    -----
    Matches REAT ``ellison.a`` / ``ellison.a2`` (which compute ``H`` from
    plant-level data themselves) for ``G`` and for γ given the same ``H``.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import ellison_glaeser
    >>> t = pd.DataFrame({"a": [9.0, 1.0], "b": [1.0, 9.0]}, index=["X", "Y"])
    >>> r = ellison_glaeser(t)
    >>> r.gamma.round(4).tolist(), r.h_assumed_zero   # G = 2 * 0.4² = 0.32, Σx² = 0.5
    ([0.64, 0.64], True)
    >>> ellison_glaeser(t, plant_herfindahl=pd.Series({"a": 0.5, "b": 0.2})).gamma.round(4).tolist()
    [0.28, 0.55]
    """
    v = _table_values(table, "ellison_glaeser")
    _need_two_regions(v.shape[0], "ellison_glaeser")
    industries = table.columns
    if plant_herfindahl is None:
        h = np.zeros(v.shape[1])
    else:
        h = _plant_herfindahl(plant_herfindahl, industries)
    l_i = v.sum(axis=1)
    total = l_i.sum()
    x = l_i / total
    s = v / v.sum(axis=0, keepdims=True)
    g = ((s - x[:, None]) ** 2).sum(axis=0)
    # 1 − Σx² = Σ_i x_i (1 − x_i) with 1 − x_i = (size of the other regions) / l,
    # summed without cancellation (accurate when one region holds nearly everything)
    one_minus = float(np.sum(x * (_sum_of_others(l_i, axis=0) / total)))
    gamma = (g - one_minus * h) / (one_minus * (1.0 - h))
    sum_x2 = float((x**2).sum())
    return EllisonGlaeserResult(
        G=_series(g, industries, "G"),
        H=_series(h, industries, "H"),
        gamma=_series(gamma, industries, "gamma"),
        sum_x2=sum_x2,
        h_assumed_zero=plant_herfindahl is None,
    )


def _plant_herfindahl(h: pd.Series, industries: pd.Index) -> np.ndarray:
    what = "ellison_glaeser(plant_herfindahl=...)"
    if not isinstance(h, pd.Series):
        raise InputError(
            f"{what}: expected a pandas Series indexed by industry, got {type(h).__name__}"
        )
    dup = h.index[h.index.duplicated()].unique()
    if len(dup):
        raise InputError(f"{what}: duplicated industry(ies) {_names(dup)}")
    missing = [c for c in industries if c not in h.index]
    if missing:
        raise InputError(f"{what}: no plant Herfindahl for industry(ies) {_names(missing)}")
    h = h.reindex(industries)
    if not _is_plain_numeric(h.dtype):
        num = pd.to_numeric(h, errors="coerce")
        bad = num.isna() & h.notna()
        if bad.any() or pd.api.types.is_bool_dtype(h.dtype):
            first = h.index[bad.to_numpy()][0] if bad.any() else h.index[0]
            raise InputError(f"{what}: non-numeric value {h[first]!r} for industry {_r(first)}")
        h = num
    values = h.to_numpy(dtype=float, na_value=np.nan)
    bad = ~(np.isfinite(values) & (values >= 0) & (values < 1))
    if bad.any():
        cells = ", ".join(
            f"industry {_r(c)} = {x}"
            for c, x in zip(industries[bad][:5], values[bad][:5], strict=True)
        )
        raise InputError(f"{what}: H must be finite and in [0, 1); got {cells}")
    return values


# --------------------------------------------------------------------------
# bundle
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AgglomerationIndices:
    """Per-region and per-industry agglomeration indices of one table.

    Attributes
    ----------
    by_region : pandas.DataFrame
        Regions in rows; columns ``hhi_fan_scott``, ``hhi_specialization``,
        ``krugman``.
    by_industry : pandas.DataFrame
        Industries in rows; columns ``hhi_concentration``, ``eg_G``, ``eg_H``,
        ``eg_gamma``.
    ellison_glaeser : EllisonGlaeserResult
        The full Ellison–Glaeser result (with its ``h_assumed_zero`` flag).
    krugman_benchmark : str
        Benchmark of the Krugman index (see :func:`krugman_specialization`).
    """

    by_region: pd.DataFrame
    by_industry: pd.DataFrame
    ellison_glaeser: EllisonGlaeserResult
    krugman_benchmark: str

    def to_frame(self, which: Which = "region") -> pd.DataFrame:
        """``by_region`` (default) or ``by_industry``, as a copy."""
        check_option("which", which, Which)
        return (self.by_region if which == "region" else self.by_industry).copy()

    def summary(self) -> str:
        """Most specialized region and most agglomerated industry in words."""
        r, i = self.by_region, self.by_industry
        lines = [
            f"Agglomeration indices: {len(r)} regions × {len(i)} industries",
            f"  Krugman ({self.krugman_benchmark}): mean {r['krugman'].mean():.4f}, "
            f"most specialized {r['krugman'].idxmax()} ({r['krugman'].max():.4f})",
            f"  HHI specialization: mean {r['hhi_specialization'].mean():.4f}; "
            f"Fan-Scott HHI: max {r['hhi_fan_scott'].idxmax()} ({r['hhi_fan_scott'].max():.4f})",
            f"  HHI concentration: most concentrated {i['hhi_concentration'].idxmax()} "
            f"({i['hhi_concentration'].max():.4f})",
            "  " + self.ellison_glaeser.summary().replace("\n", "\n  "),
        ]
        return "\n".join(lines)


def agglomeration_indices(
    table: pd.DataFrame,
    *,
    plant_herfindahl: pd.Series | None = None,
    krugman_benchmark: KrugmanBenchmark = "others_mean",
) -> AgglomerationIndices:
    """All indices of this module for one region × industry table.

    Parameters
    ----------
    table : pandas.DataFrame
        Regions × industries, non-negative finite employment or output;
        at least two regions.
    plant_herfindahl : pandas.Series, optional
        Passed to :func:`ellison_glaeser`.
    krugman_benchmark : {"others_mean", "rest", "national"}
        Passed to :func:`krugman_specialization` as ``benchmark``.

    Returns
    -------
    AgglomerationIndices

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import agglomeration_indices
    >>> t = pd.DataFrame({"a": [3.0, 1.0], "b": [1.0, 3.0]}, index=["X", "Y"])
    >>> res = agglomeration_indices(t)
    >>> res.to_frame().round(4)
       hhi_fan_scott  hhi_specialization  krugman
    X          0.625               0.625      1.0
    Y          0.625               0.625      1.0
    >>> res.ellison_glaeser.h_assumed_zero
    True
    """
    check_option("krugman_benchmark", krugman_benchmark, KrugmanBenchmark)
    # validate once up front so the error names the bundle's own call
    _table_values(table, "agglomeration_indices")
    _need_two_regions(table.shape[0], "agglomeration_indices")
    eg = ellison_glaeser(table, plant_herfindahl=plant_herfindahl)
    by_region = pd.concat(
        [
            hhi_fan_scott(table),
            hhi_specialization(table),
            krugman_specialization(table, benchmark=krugman_benchmark),
        ],
        axis=1,
    )
    by_industry = pd.concat(
        [
            hhi_concentration(table),
            eg.G.rename("eg_G"),
            eg.H.rename("eg_H"),
            eg.gamma.rename("eg_gamma"),
        ],
        axis=1,
    )
    return AgglomerationIndices(
        by_region=by_region,
        by_industry=by_industry,
        ellison_glaeser=eg,
        krugman_benchmark=krugman_benchmark,
    )


# --------------------------------------------------------------------------
# panel (long table, many years), vectorized
# --------------------------------------------------------------------------
def _factorize(values: Any) -> tuple[np.ndarray, pd.Index]:
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # labels of mixed types that cannot be ordered
        codes, uniques = pd.factorize(values, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _codes(col: pd.Series, name: str, what: str) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (sorted labels where orderable) of a label column, no missing labels."""
    values = col.to_numpy()
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        uniques = pd.Index(col.cat.categories)
    elif (
        values.dtype.kind in "iu"
        and len(values)
        and values.max() - values.min() < 10 * len(values) + 1000
    ):
        # small-range integers (years, numeric ids): codes without hashing
        lo = values.min()
        present = np.bincount(values - lo) > 0
        codes = (np.cumsum(present) - 1)[values - lo].astype(np.int64)
        uniques = pd.Index(np.flatnonzero(present) + lo, dtype=values.dtype)
    else:
        codes = uniques = None
        obj = values if values.dtype == object else col.to_numpy(dtype=object)
        n = len(obj)
        if n > 4096:
            # long runs of equal labels (a table sorted by region): hash one label per run
            try:
                head = obj[:4096]
                if np.count_nonzero(head[1:] != head[:-1]) < 512:
                    starts = np.flatnonzero(np.concatenate(([True], obj[1:] != obj[:-1])))
                    run_codes, uniques = _factorize(obj[starts])
                    codes = np.repeat(run_codes, np.diff(np.append(starts, n)))
            except TypeError:  # labels whose comparison is not a plain bool (pd.NA)
                codes = uniques = None
        if codes is None or uniques is None:
            codes, uniques = _factorize(col)
    missing = codes < 0
    if missing.any():
        raise InputError(f"{what}: missing {name} in row(s) {_names(col.index[missing])}")
    return codes, uniques


def agglomeration_panel(
    long: pd.DataFrame,
    *,
    region_col: str = "region",
    year_col: str = "year",
    industry_col: str = "industry",
    value_col: str = "value",
    krugman_benchmark: KrugmanBenchmark = "others_mean",
) -> pd.DataFrame:
    """Per region and year: Fan–Scott HHI, specialization HHI and Krugman index.

    Each year's region × industry table is treated as by
    :func:`hhi_fan_scott`, :func:`hhi_specialization` and
    :func:`krugman_specialization`; all years are computed at once
    (vectorized, no loop over years or regions): 3,000 regions × 30 years ×
    40 industries (3.6 million rows) take about 0.3–0.4 s.  Categorical or
    integer label columns are fastest; string labels in an order far from
    the one they were created in (e.g. after a shuffle) are slowest, because
    hashing them dominates.

    Parameters
    ----------
    long : pandas.DataFrame
        One row per region, year and industry.  A (region, industry) pair
        without a row in a year where the region has other rows counts as
        0; a region without rows in a year is absent from that year (the
        panel may be unbalanced) and gets no output row for it.
    region_col, year_col, industry_col, value_col : str
        Column names in ``long``.
    krugman_benchmark : {"others_mean", "rest", "national"}
        See :func:`krugman_specialization`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(region_col, year_col)``, sorted; columns
        ``hhi_fan_scott``, ``hhi_specialization``, ``krugman``.

    Raises
    ------
    InputError
        Naming region, year and industry of a duplicated row or of a
        missing, non-numeric or negative value; the region and year of a
        region whose values are all zero in a year; the industry and year of
        an industry all zero in a year; a year with a single region (for the
        ``"rest"`` and ``"others_mean"`` benchmarks).

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.indices.agglomeration import agglomeration_panel
    >>> long = pd.DataFrame({
    ...     "region": ["X", "X", "Y", "Y"] * 2,
    ...     "year": [2000] * 4 + [2001] * 4,
    ...     "industry": ["a", "b"] * 4,
    ...     "value": [3.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 1.0]})
    >>> agglomeration_panel(long).round(4)  # doctest: +NORMALIZE_WHITESPACE
                 hhi_fan_scott  hhi_specialization  krugman
    region year
    X      2000          0.625               0.625      1.0
           2001          0.500               0.500      0.0
    Y      2000          0.625               0.625      1.0
           2001          0.500               0.500      0.0
    """
    what = "agglomeration_panel"
    check_option("krugman_benchmark", krugman_benchmark, KrugmanBenchmark)
    if not isinstance(long, pd.DataFrame):
        raise InputError(
            f"{what}: expected a pandas DataFrame in long form, got {type(long).__name__}"
        )
    cols = [region_col, year_col, industry_col, value_col]
    check_columns(long, cols, what=what)
    if len(set(cols)) < 4:
        raise InputError(
            f"{what}: region, year, industry and value columns must differ, got {cols}"
        )
    if len(long) == 0:
        raise InputError(f"{what}: the table has no rows")

    rc, regions = _codes(long[region_col], region_col, what)
    yc, years = _codes(long[year_col], year_col, what)
    kc, industries = _codes(long[industry_col], industry_col, what)

    def where(rows: np.ndarray, vals: np.ndarray | None = None) -> str:
        parts = []
        for i in rows[:5]:
            val = f" = {vals[i]:g}" if vals is not None else ""
            parts.append(
                f"{region_col} {_r(regions[rc[i]])}, {year_col} {_r(years[yc[i]])}, "
                f"{industry_col} {_r(industries[kc[i]])}{val}"
            )
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        return "; ".join(parts) + more

    raw = long[value_col]
    if _is_plain_numeric(raw.dtype):
        v = raw.to_numpy(dtype=float, na_value=np.nan)
    else:
        num = (
            pd.to_numeric(raw, errors="coerce")
            if not pd.api.types.is_bool_dtype(raw.dtype)
            else None
        )
        bad = (
            np.ones(len(raw), dtype=bool)
            if num is None
            else num.isna().to_numpy() & raw.notna().to_numpy()
        )
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what}: non-numeric {value_col} {raw.iloc[first]!r} at {where(np.flatnonzero(bad))}"
            )
        assert num is not None
        v = num.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(v)
    if bad.any():
        raise InputError(
            f"{what}: missing or non-finite {value_col} at {where(np.flatnonzero(bad))}"
        )
    bad = v < 0
    if bad.any():
        raise InputError(f"{what}: negative {value_col} at {where(np.flatnonzero(bad), v)}")

    n_r, n_y, n_k = len(regions), len(years), len(industries)
    names = _PanelNames(what, regions, years, industries, region_col, year_col, industry_col, where)
    years_per_chunk = max(1, _MAX_CELLS // (n_r * n_k))
    out_r, out_y, out_vals = [], [], []
    for y0 in range(0, n_y, years_per_chunk):
        y1 = min(n_y, y0 + years_per_chunk)
        if y0 == 0 and y1 == n_y:
            r_idx, y_idx, vals = _panel_chunk(
                rc, yc, kc, v, None, 0, (n_y, n_r, n_k), krugman_benchmark, names
            )
        else:
            rows = np.flatnonzero((yc >= y0) & (yc < y1))
            r_idx, y_idx, vals = _panel_chunk(
                rc[rows],
                yc[rows],
                kc[rows],
                v[rows],
                rows,
                y0,
                (y1 - y0, n_r, n_k),
                krugman_benchmark,
                names,
            )
        out_r.append(r_idx)
        out_y.append(y_idx)
        out_vals.append(vals)
    r_all, y_all, vals = np.concatenate(out_r), np.concatenate(out_y), np.concatenate(out_vals)
    order = np.lexsort((y_all, r_all))
    index = pd.MultiIndex.from_arrays(
        [regions.take(r_all[order]), years.take(y_all[order])], names=[region_col, year_col]
    )
    return pd.DataFrame(
        vals[order], index=index, columns=["hhi_fan_scott", "hhi_specialization", "krugman"]
    )


@dataclass(frozen=True)
class _PanelNames:
    """What error messages of :func:`agglomeration_panel` need to name the culprits."""

    what: str
    regions: pd.Index
    years: pd.Index
    industries: pd.Index
    region_col: str
    year_col: str
    industry_col: str
    where: Callable[[np.ndarray], str]

    def pairs(self, pairs: np.ndarray, labels: pd.Index, col: str, y0: int) -> str:
        shown = "; ".join(
            f"{col} {_r(labels[j])}, {self.year_col} {_r(self.years[y + y0])}" for y, j in pairs[:5]
        )
        return shown + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")


def _panel_chunk(
    rc: np.ndarray,
    yc: np.ndarray,
    kc: np.ndarray,
    v: np.ndarray,
    rows: np.ndarray | None,
    y0: int,
    shape: tuple[int, int, int],
    benchmark: str,
    names: _PanelNames,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the years ``y0 .. y0 + shape[0] - 1`` on a dense year × region × industry array.

    ``rows`` maps the chunk's rows to rows of the whole input (None: the same).
    The big arrays are updated in place to keep the memory footprint small.
    """
    n_y, n_r, n_k = shape
    key = ((yc - y0) * n_r + rc) * n_k + kc
    present = np.zeros(n_y * n_r * n_k, dtype=bool)
    present[key] = True
    if np.count_nonzero(present) < len(key):
        dup = np.flatnonzero(np.bincount(key)[key] > 1)
        dup = dup[np.unique(key[dup], return_index=True)[1]]  # first row of each duplicated cell
        raise InputError(
            f"{names.what}: duplicated rows (one value per region, year and industry expected) for "
            f"{names.where(dup if rows is None else rows[dup])}"
        )
    arr = np.zeros(n_y * n_r * n_k)
    arr[key] = v
    arr = arr.reshape(shape)
    present = present.reshape(shape)
    reg_present = present.any(axis=2)  # (year, region)
    ind_present = present.any(axis=1)  # (year, industry)
    del present
    l_r = arr.sum(axis=2)
    l_k = arr.sum(axis=1)
    bad = reg_present & (l_r == 0)
    if bad.any():
        cells = names.pairs(np.argwhere(bad), names.regions, names.region_col, y0)
        raise InputError(f"{names.what}: all values are zero for {cells}; drop those rows first")
    bad = ind_present & (l_k == 0)
    if bad.any():
        cells = names.pairs(np.argwhere(bad), names.industries, names.industry_col, y0)
        raise InputError(
            f"{names.what}: industry zero in every region for {cells}; drop those rows first"
        )
    n_reg = reg_present.sum(axis=1)  # regions per year
    if benchmark != "national" and (n_reg == 1).any():
        lonely = ", ".join(
            f"{names.year_col} {_r(names.years[y + y0])}" for y in np.flatnonzero(n_reg == 1)[:5]
        )
        raise InputError(
            f"{names.what}: the Krugman benchmark {benchmark!r} needs at least two regions per year; "
            f"only one in {lonely}"
        )

    l_r = np.where(reg_present, l_r, 1.0)  # absent regions: zero rows, any positive divisor
    inv_lk2 = np.divide(1.0, l_k**2, out=np.zeros_like(l_k), where=l_k > 0)
    sq = np.square(arr)
    hhi_fs = np.einsum("yrk,yk->yr", sq, inv_lk2)  # Σ_k (l_rk / l_k)²
    hhi_sp = sq.sum(axis=2) / l_r**2  # Σ_k (l_rk / l_r)²
    del sq
    if benchmark == "rest":
        b = _sum_of_others(arr, axis=1)  # l_k − l_rk without cancellation
        rest_tot = b.sum(axis=2)
        b /= np.where(rest_tot > 0, rest_tot, 1.0)[:, :, None]
    s = arr
    s /= l_r[:, :, None]  # industry shares of each region
    if benchmark == "national":
        s -= (l_k / l_k.sum(axis=1, keepdims=True))[:, None, :]
    elif benchmark == "rest":
        s -= b
        del b
    else:  # s − (Σ_r s − s)/(n − 1) = (n s − Σ_r s)/(n − 1)
        n = n_reg.astype(float)
        m = np.maximum(n - 1.0, 1.0)
        total = s.sum(axis=1)
        s *= (n / m)[:, None, None]
        s -= (total / m[:, None])[:, None, :]
    krug = np.abs(s, out=s).sum(axis=2)
    y_idx, r_idx = np.nonzero(reg_present)
    vals = np.column_stack([hhi_fs[y_idx, r_idx], hhi_sp[y_idx, r_idx], krug[y_idx, r_idx]])
    return r_idx, y_idx + y0, vals


__all__ = [
    "INFINITE_PLANTS_CAVEAT",
    "AgglomerationIndices",
    "EllisonGlaeserResult",
    "KrugmanBenchmark",
    "agglomeration_indices",
    "agglomeration_panel",
    "ellison_glaeser",
    "hhi_concentration",
    "hhi_fan_scott",
    "hhi_specialization",
    "krugman_specialization",
    "location_quotient",
]
