"""Co-agglomeration network: summaries per two-digit industry and core industries.

From a :class:`~regionkit.coagglomeration.counterfactual.CoaggResult` of
(3-digit) industries and a mapping of those industries to groups (2-digit
industries), :func:`coagg_network` tabulates, for every group ``g``, the
ordered pairs ``(j, k)`` with ``j`` in ``g`` (``j ≠ k``; ``Coagg`` is not
symmetric so both directions count): their number, how many stay within
``g`` or go across groups, how many of each are significant, and the mean
Coagg -- the summary tables of Chen, Liu, Ye & Hu (2020).

Each industry's *frequency* is the number of significant ordered pairs it
appears in (as ``j`` or as ``k``).  Ranked by frequency, the top industries
are the **core industries** of the co-agglomeration network
(:meth:`CoaggNetwork.core_industries`: the top ``n`` or the top ``share``;
industries tied with the last one kept are all kept, so the count can exceed
``n``; ties are ordered by label).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .counterfactual import CoaggResult, group_of


@dataclass(frozen=True)
class CoaggNetwork:
    """Summary of the significant co-agglomeration pairs.

    Attributes
    ----------
    by_group : pandas.DataFrame
        One row per group: ``industries``, ``pairs``, ``pairs_within``,
        ``pairs_across``, ``significant``, ``significant_within``,
        ``significant_across``, ``mean_coagg``, ``mean_coagg_within``,
        ``mean_coagg_across`` (pairs with ``j`` in the group).
    frequency : pandas.DataFrame
        One row per industry, ranked: ``industry``, ``group``, ``as_j``,
        ``as_k``, ``frequency`` (= ``as_j + as_k``), ``rank`` (1 = most
        frequent; ties share the smaller rank).
    edges : pandas.DataFrame
        Significant ordered pairs: ``j, k, group_j, group_k, within, Coagg``.
    alpha : float
    """

    by_group: pd.DataFrame
    frequency: pd.DataFrame
    edges: pd.DataFrame
    alpha: float

    def core_industries(self, *, n: int | None = None, share: float | None = None) -> tuple[Any, ...]:
        """The most frequent industries: top ``n`` or top ``share`` (ties at the cut kept).

        Industries that appear in no significant pair are never core.
        """
        if (n is None) == (share is None):
            raise InputError("core_industries: give exactly one of n= or share=")
        total = len(self.frequency)
        if share is not None:
            if not 0 < share <= 1:
                raise InputError(f"core_industries: share={share!r} must be in (0, 1]")
            n = max(1, math.ceil(share * total - 1e-9))
        assert n is not None
        if n < 1:
            raise InputError(f"core_industries: n={n!r} must be at least 1")
        f = self.frequency[self.frequency["frequency"] > 0]
        if f.empty:
            return ()
        cut = f["frequency"].iloc[min(n, len(f)) - 1]
        return tuple(f.loc[f["frequency"] >= cut, "industry"].tolist())

    def summary(self) -> str:
        """Significant pairs within/across groups and the top industries."""
        e = self.edges
        top = ", ".join(f"{r.industry} ({r.frequency})" for r in self.frequency.head(5).itertuples())
        return (f"{len(e)} significant ordered pairs at alpha={self.alpha}: "
                f"{int(e['within'].sum())} within groups, {int((~e['within']).sum())} across; "
                f"{len(self.by_group)} groups; most frequent industries: {top}")

    def to_frame(self) -> pd.DataFrame:
        """The per-group table (a copy of :attr:`by_group`)."""
        return self.by_group.copy()


def _mean(values: np.ndarray, mask: np.ndarray) -> float:
    return float(values[mask].mean()) if mask.any() else float("nan")


def coagg_network(
    result: CoaggResult,
    mapping: Mapping[Any, Any] | Callable[[Any], Any],
    *,
    alpha: float | None = None,
) -> CoaggNetwork:
    """Per-group pair counts, significant pairs and the frequency ranking of industries.

    Parameters
    ----------
    result : CoaggResult
    mapping : mapping or callable
        Industry -> group (e.g. 3-digit -> 2-digit: ``lambda c: c // 10``).
    alpha : float, optional
        Significance threshold (default: the run's).

    Returns
    -------
    CoaggNetwork

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.coagglomeration.counterfactual import coagglomeration
    >>> rng = np.random.default_rng(2)
    >>> xy = np.vstack([rng.normal(0, 1, (10, 2)), rng.normal(0, 1, (10, 2)), rng.normal(30, 1, (20, 2))])
    >>> res = coagglomeration(np.repeat([111, 112, 121, 122], 10), xy, draws=100, rng=1)
    >>> net = coagg_network(res, lambda c: c // 10)
    >>> net.by_group[["pairs", "pairs_within", "significant_within"]].to_numpy().tolist()
    [[6, 2, 2], [6, 2, 2]]
    >>> net.core_industries(n=2)
    (111, 112, 121, 122)
    """
    g = group_of(result, mapping)
    sig = result.significant(alpha).to_numpy()
    C = result.coagg.to_numpy()
    inds = list(result.coagg.index)
    gv = g.to_numpy()
    n = len(inds)
    off = ~np.eye(n, dtype=bool)
    same = (gv[:, None] == gv[None, :]) & off
    across = (gv[:, None] != gv[None, :])
    groups = list(pd.unique(gv))
    try:
        groups = sorted(groups)
    except TypeError:
        pass
    rows = []
    for grp in groups:
        r = gv == grp
        w, a = same[r], across[r]
        allp = off[r]
        sr, cr = sig[r], C[r]
        rows.append({
            "group": grp, "industries": int(r.sum()),
            "pairs": int(allp.sum()), "pairs_within": int(w.sum()), "pairs_across": int(a.sum()),
            "significant": int(sr[allp].sum()), "significant_within": int(sr[w].sum()),
            "significant_across": int(sr[a].sum()),
            "mean_coagg": _mean(cr, allp), "mean_coagg_within": _mean(cr, w),
            "mean_coagg_across": _mean(cr, a),
        })
    by_group = pd.DataFrame(rows).set_index("group")
    as_j, as_k = sig.sum(axis=1), sig.sum(axis=0)
    freq = pd.DataFrame({"industry": inds, "group": gv, "as_j": as_j, "as_k": as_k,
                         "frequency": as_j + as_k})
    freq = freq.sort_values(["frequency", "industry"], ascending=[False, True], kind="stable")
    freq["rank"] = freq["frequency"].rank(method="min", ascending=False).astype(int)
    freq = freq.reset_index(drop=True)
    jj, kk = np.nonzero(sig)
    edges = pd.DataFrame({"j": [inds[i] for i in jj], "k": [inds[i] for i in kk],
                          "group_j": gv[jj], "group_k": gv[kk], "within": gv[jj] == gv[kk],
                          "Coagg": C[jj, kk]})
    return CoaggNetwork(by_group, freq, edges, result.alpha if alpha is None else float(alpha))


__all__ = ["CoaggNetwork", "coagg_network"]
