"""Probability of Connectivity (PC) and patch importance (dPC), as in Conefor.

Probability of Connectivity (Saura & Pascual-Hortal 2007)::

    PC = Σ_i Σ_j a_i a_j p*_ij / A_L²

with patch areas (or other attributes) ``a_i``, the landscape area ``A_L`` and
``p*_ij`` the maximum-product probability of all paths between patches ``i``
and ``j`` (``p*_ii = 1``, so the ``i = j`` terms are included). Direct dispersal
probabilities decay exponentially with the edge-to-edge distance,
``p_ij = exp(−k d_ij)``, with ``k = −ln(p_at_threshold) / threshold`` so that
``p_ij = p_at_threshold`` at the threshold distance (Conefor's convention).
Maximising a product of probabilities is the shortest-path problem on the
weights ``−ln p_ij = k d_ij``, solved with Dijkstra's algorithm
(:func:`scipy.sparse.csgraph.shortest_path`).

The importance of patch ``k`` is the percentage loss of PC when it is removed
(``PCnum = A_L² PC``; the landscape area stays the same)::

    dPC_k = 100 (PC − PC_without_k) / PC
          = dPCintra_k + dPCflux_k + dPCconnector_k      (Saura & Rubio 2010)

    dPCintra_k     = 100 a_k² / PCnum
    dPCflux_k      = 100 Σ_{i≠k} 2 a_i a_k p*_ik / PCnum
    dPCconnector_k = dPC_k − dPCintra_k − dPCflux_k

``dPCconnector`` is the contribution of ``k`` as a stepping stone between
other patches; it is positive only when some best path runs through ``k``.

Computing ``PC_without_k`` for every ``k``
-------------------------------------------
Removing ``k`` changes ``p*_ij`` (``i, j ≠ k``) only if the best path from
``i`` to ``j`` runs through ``k``. The all-pairs Dijkstra run on the full graph
also returns the shortest-path trees (predecessor matrix); ``k`` is on the tree
path from ``i`` to some ``j`` exactly when ``k`` is an inner node of the tree
rooted at ``i``. Each unordered pair ``i < j`` is judged from its smaller end
(or, for each ``k``, from the larger end if that needs fewer runs): only the
sources ``S_k = {i : some j > i lies below k in the tree of i}`` (found from
subtree maxima of the predecessor trees) are re-run, with
Dijkstra on the graph without ``k``; every other pair keeps its value
because its tree path avoids ``k``. Before that, links that no best path
can use, with or without any one patch, are dropped (a link with two
strictly shorter two-step detours), which usually makes the complete graph
sparse and Dijkstra fast.

Complexity, with ``n`` patches and ``E`` links left after pruning: pruning
``O(n³)`` (vectorised), the full run ``O(n (E + n log n))``, the removals
``O(Σ_k |S_k| (E + n log n))``. In the worst case (every patch a stepping
stone for every source) this is ``n`` times the full run, as for the naive
method; in practice ``Σ_k |S_k|`` is a fraction of ``n²`` (it depends on how
many hops best paths take, not on the threshold: all link weights
``k d_ij`` scale with the same ``k``). About 4 s for 300 patches, against about 60 s for ``n`` naive all-pairs
runs on the complete graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import csgraph_from_dense, dijkstra

from ..errors import ComputationError, InputError


@dataclass(frozen=True)
class PCResult:
    """Result of :func:`probability_of_connectivity`.

    Attributes
    ----------
    pc : float
        Probability of Connectivity.
    pc_num : float
        ``PC · A_L²`` (Conefor's PCnum).
    ec : float
        Equivalent connected area ``sqrt(PCnum)``.
    threshold, p_at_threshold, k, landscape_area : float
        Distance threshold, probability at it, decay ``k`` and ``A_L``.
    areas : numpy.ndarray
        Patch areas.
    p_star : numpy.ndarray
        Maximum-product probabilities ``p*_ij``, shape (n, n).
    dpc, dpc_intra, dpc_flux, dpc_connector : numpy.ndarray
        Patch importance and its three fractions (percent).
    labels : list of str
        Patch labels.
    """

    pc: float
    pc_num: float
    ec: float
    threshold: float
    p_at_threshold: float
    k: float
    landscape_area: float
    areas: np.ndarray
    p_star: np.ndarray
    dpc: np.ndarray
    dpc_intra: np.ndarray
    dpc_flux: np.ndarray
    dpc_connector: np.ndarray
    labels: list[str]

    @property
    def n(self) -> int:
        """Number of patches."""
        return int(self.areas.size)

    def to_frame(self) -> pd.DataFrame:
        """One row per patch: area, dPC and its fractions, rank (1 = most important)."""
        frame = pd.DataFrame(
            {
                "area": self.areas,
                "dPC": self.dpc,
                "dPCintra": self.dpc_intra,
                "dPCflux": self.dpc_flux,
                "dPCconnector": self.dpc_connector,
            },
            index=pd.Index(self.labels, name="patch"),
        )
        frame["rank"] = frame["dPC"].rank(ascending=False, method="min").astype(int)
        return frame

    def summary(self) -> str:
        """Short description: PC, EC and the most important patch."""
        top = int(np.argmax(self.dpc)) if self.n else 0
        return (
            f"Probability of Connectivity of {self.n} patches (threshold {self.threshold:g}, "
            f"p {self.p_at_threshold:g}, A_L {self.landscape_area:g}): PC {self.pc:.6g}, "
            f"EC {self.ec:.6g}; most important patch {self.labels[top]} "
            f"(dPC {self.dpc[top]:.4g}%: intra {self.dpc_intra[top]:.4g}, "
            f"flux {self.dpc_flux[top]:.4g}, connector {self.dpc_connector[top]:.4g})"
        )


def probability_of_connectivity(
    areas: ArrayLike,
    distances: ArrayLike,
    *,
    threshold: float,
    p_at_threshold: float = 0.5,
    landscape_area: float,
    labels: Sequence[str] | None = None,
) -> PCResult:
    """Probability of Connectivity and dPC importance of every patch (see module docstring).

    Parameters
    ----------
    areas : array-like, shape (n,)
        Non-negative patch areas (or another attribute, as in Conefor).
    distances : array-like, shape (n, n)
        Symmetric non-negative edge-to-edge distances between patches;
        ``numpy.inf`` means no link (``p_ij = 0``). The diagonal is ignored.
    threshold : float
        Distance at which the direct dispersal probability is ``p_at_threshold``.
    p_at_threshold : float, default 0.5
        Probability at the threshold distance, in (0, 1).
    landscape_area : float
        Total landscape area ``A_L`` (> 0).
    labels : sequence of str, optional
        Patch labels (default ``"1"``, ``"2"``, …).

    Returns
    -------
    PCResult

    Raises
    ------
    InputError
        On bad shapes, negative or non-finite areas, negative, NaN or
        asymmetric distances, or bad parameters.
    ComputationError
        If PC is 0 (all areas 0), so dPC is undefined.

    Examples
    --------
    Two patches of area 1 at the threshold distance (``p_12 = 0.5``) in a
    landscape of area 4: ``PC = (1 + 1 + 2·0.5) / 16``.

    >>> res = probability_of_connectivity(
    ...     [1, 1], [[0, 100], [100, 0]], threshold=100, landscape_area=4)
    >>> res.pc
    0.1875
    >>> res.dpc.round(4).tolist()
    [66.6667, 66.6667]
    >>> res.dpc_intra.round(4).tolist(), res.dpc_flux.round(4).tolist()
    ([33.3333, 33.3333], [33.3333, 33.3333])
    """
    a, d, names = _check_inputs(areas, distances, labels=labels)
    kdecay, area_l = _check_params(threshold, p_at_threshold, landscape_area)
    weights = _prune(kdecay * d)
    graph = _graph(weights)
    dist, pred = dijkstra(graph, directed=False, return_predecessors=True)
    p_star = np.exp(-dist)
    np.fill_diagonal(p_star, 1.0)
    pc_num = float(a @ p_star @ a)
    if not pc_num > 0:
        raise ComputationError("PC is 0 (all patch areas are 0): dPC is undefined")

    # contribution of pairs with k as an end (incl. k = k): sum over ordered pairs
    row = p_star @ a * a  # a_k Σ_j a_j p*_kj, incl. j = k
    ends = 2.0 * row - a**2  # row k + column k − the (k, k) term counted twice
    intra = a**2
    flux = ends - intra

    connector = _connector_losses(a, weights, p_star, pred)
    scale = 100.0 / pc_num
    dpc_intra = intra * scale
    dpc_flux = flux * scale
    dpc_connector = connector * scale
    dpc = dpc_intra + dpc_flux + dpc_connector
    return PCResult(
        pc=pc_num / area_l**2,
        pc_num=pc_num,
        ec=float(np.sqrt(pc_num)),
        threshold=float(threshold),
        p_at_threshold=float(p_at_threshold),
        k=kdecay,
        landscape_area=area_l,
        areas=a,
        p_star=p_star,
        dpc=dpc,
        dpc_intra=dpc_intra,
        dpc_flux=dpc_flux,
        dpc_connector=dpc_connector,
        labels=names,
    )


def threshold_sweep(
    areas: ArrayLike,
    distances: ArrayLike,
    thresholds: ArrayLike,
    *,
    p_at_threshold: float = 0.5,
    landscape_area: float,
) -> pd.DataFrame:
    """PC (and EC) for each of several distance thresholds.

    Only PC is computed (no dPC). The best paths do not depend on the
    threshold (every link weight ``k d_ij`` scales with the same ``k``), so one
    all-pairs Dijkstra run on the distances serves all thresholds.

    Parameters
    ----------
    areas, distances, p_at_threshold, landscape_area
        As in :func:`probability_of_connectivity`.
    thresholds : array-like
        Positive distance thresholds.

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``k`` (decay), ``PC``, ``PCnum``, ``EC``; one row
        per threshold in the order given.

    Examples
    --------
    >>> t = threshold_sweep([1, 1], [[0, 100], [100, 0]], [50, 100, 200], landscape_area=4)
    >>> t["PC"].round(6).tolist()
    [0.15625, 0.1875, 0.213388]
    """
    a, d, _ = _check_inputs(areas, distances, labels=None)
    ts = np.atleast_1d(np.asarray(thresholds, dtype=float))
    if ts.ndim != 1 or ts.size == 0:
        raise InputError("thresholds must be a non-empty one-dimensional sequence")
    # best paths do not depend on the threshold (all weights scale by k): one run
    base = dijkstra(_graph(d), directed=False)
    rows = []
    for t in ts:
        kdecay, area_l = _check_params(t, p_at_threshold, landscape_area)
        with np.errstate(invalid="ignore"):
            p_star = np.exp(-kdecay * base)
        np.fill_diagonal(p_star, 1.0)
        pc_num = float(a @ p_star @ a)
        rows.append(
            {
                "threshold": float(t),
                "k": kdecay,
                "PC": pc_num / area_l**2,
                "PCnum": pc_num,
                "EC": float(np.sqrt(pc_num)),
            }
        )
    return pd.DataFrame(rows)


def grade_by_dpc(dpc: ArrayLike, *, k: int = 3) -> np.ndarray:
    """Grade patches into ``k`` importance levels by their dPC.

    Natural breaks (Fisher–Jenks, :func:`regionkit.spatial.classify.classify`)
    when available, else equal-count quantile classes. With ``k`` or fewer
    distinct values, each distinct value is its own level (from 0).

    Parameters
    ----------
    dpc : array-like
        dPC values (e.g. :attr:`PCResult.dpc`), finite.
    k : int, default 3
        Number of levels.

    Returns
    -------
    numpy.ndarray of int
        Level per patch, ``0`` (least important) to ``k − 1`` (most important).

    Examples
    --------
    >>> grade_by_dpc([1.0, 1.2, 1.1, 10.0, 11.0, 50.0]).tolist()
    [0, 0, 0, 1, 1, 2]
    """
    values = np.asarray(dpc, dtype=float)
    if values.ndim != 1 or values.size == 0:
        raise InputError("dpc must be a non-empty one-dimensional array")
    if not np.isfinite(values).all():
        raise InputError("dpc has missing or non-finite values")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be a positive integer; got {k!r}")
    try:
        from ..spatial.classify import classify
    except ImportError:  # pragma: no cover - classify ships with regionkit
        classify = None
    distinct, inverse = np.unique(values, return_inverse=True)
    if distinct.size <= k:  # as many levels as distinct values, from 0
        return inverse.astype(int)
    if classify is not None:
        return np.asarray(classify(values, method="natural_breaks", k=k).labels, dtype=int)
    ranks = pd.Series(values).rank(method="average").to_numpy()  # pragma: no cover
    return np.minimum((ranks - 1) * k // values.size, k - 1).astype(int)  # pragma: no cover


def _connector_losses(
    a: np.ndarray, weights: np.ndarray, p_star: np.ndarray, pred: np.ndarray
) -> np.ndarray:
    """Loss of ``Σ a_i a_j p*_ij`` over pairs ``i, j ≠ k`` when ``k`` is removed, per ``k``.

    Each unordered pair ``{i, j}`` is judged on the tree path from one end,
    the same rule for all pairs: from the smaller index, or (whichever needs
    fewer Dijkstra runs for this ``k``) from the larger. If that path avoids
    ``k`` the pair survives the removal of ``k`` and ``p*_ij`` is unchanged, so
    only sources ``i`` whose tree has some ``j > i`` (``j < i``) below ``k``
    are re-run, with Dijkstra on the graph without ``k``.
    """
    n = a.size
    index = np.arange(n)
    rows, cols = np.nonzero(pred >= 0)
    parents = pred[rows, cols]
    in_tree = p_star > 0  # reachable from the root (p*_ii = 1)
    # largest / smallest index strictly below v in the tree rooted at i
    below_max = _below(np.where(in_tree, index[None, :], -1), rows, cols, parents, np.maximum, -1)
    below_min = _below(np.where(in_tree, index[None, :], n), rows, cols, parents, np.minimum, n)
    # sources to re-run when pairs are judged from their smaller (larger) end
    from_small = below_max > index[:, None]
    from_large = below_min < index[:, None]
    from_small[index, index] = from_large[index, index] = False  # the root is no stepping stone

    connector = np.zeros(n)
    for k in range(n):
        small = np.flatnonzero(from_small[:, k])
        large = np.flatnonzero(from_large[:, k])
        sources, sign = (small, 1) if small.size <= large.size else (large, -1)
        if sources.size == 0:
            continue
        keep = index[index != k]
        sub = _graph(weights[np.ix_(keep, keep)])
        pos = np.searchsorted(keep, sources)
        new = np.exp(-dijkstra(sub, directed=True, indices=pos))  # graph is symmetric
        old = p_star[np.ix_(sources, keep)]
        loss = (a[sources][:, None] * a[keep][None, :]) * (old - new)
        judged = sign * (keep[None, :] - sources[:, None]) > 0  # pairs judged from the source
        connector[k] = 2.0 * loss[judged].sum()
    return connector


def _below(
    own: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    parents: np.ndarray,
    op: np.ufunc,
    neutral: int,
) -> np.ndarray:
    """Reduce ``own`` (per tree row) over each node's strict descendants with ``op``."""
    sub = own.copy()  # over the subtree including the node itself
    while True:
        grown = sub.copy()
        op.at(grown, (rows, parents), sub[rows, cols])
        if np.array_equal(grown, sub):
            break
        sub = grown
    below = np.full(own.shape, neutral)  # nothing below
    op.at(below, (rows, parents), sub[rows, cols])
    return below


def _prune(weights: np.ndarray) -> np.ndarray:
    """Drop links that no best path uses, even with any one patch removed.

    A link ``i–j`` is dropped (set to ``inf``) when at least two other patches
    ``m`` give a strictly shorter two-step route, ``w_im + w_mj < w_ij``: with
    any single patch removed one such route remains, and its links are
    strictly lighter (so they are kept or, recursively, replaced in turn).
    Hence distances in the full graph and in every graph without one patch are
    unchanged, while a complete graph usually becomes sparse. Cost ``O(n³)``.
    """
    w = weights.copy()
    np.fill_diagonal(w, 0.0)
    witnesses = np.zeros(w.shape, dtype=np.int32)
    for m in range(w.shape[0]):
        witnesses += w[:, m, None] + w[None, m, :] < w
    return np.where(witnesses >= 2, np.inf, w)


def _graph(weights: np.ndarray) -> csr_matrix:
    # csgraph_from_dense with null_value=inf keeps zero-weight (distance 0) edges
    w = weights.copy()
    np.fill_diagonal(w, np.inf)
    return csgraph_from_dense(w, null_value=np.inf)


def _check_inputs(
    areas: ArrayLike, distances: ArrayLike, *, labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    a = np.asarray(areas, dtype=float)
    if a.ndim != 1 or a.size == 0:
        raise InputError(f"areas must be a non-empty one-dimensional array; got shape {a.shape}")
    n = a.size
    names = [str(i + 1) for i in range(n)] if labels is None else [str(x) for x in labels]
    if len(names) != n:
        raise InputError(f"labels has {len(names)} names for {n} patches")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"areas must be finite and non-negative; patch {names[i]} has {a[i]:g}")
    d = np.array(distances, dtype=float)
    if d.shape != (n, n):
        raise InputError(f"distances must have shape ({n}, {n}) for {n} patches; got {d.shape}")
    np.fill_diagonal(d, 0.0)
    bad = np.isnan(d) | (d < 0)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise InputError(
            f"distances must be non-negative (inf for no link); "
            f"({names[i]}, {names[j]}) = {d[i, j]:g}"
        )
    asym = ~((d == d.T) | np.isclose(d, d.T, rtol=1e-9, atol=0.0))
    if asym.any():
        i, j = map(int, np.argwhere(asym)[0])
        raise InputError(
            f"distances must be symmetric; ({names[i]}, {names[j]}) = {d[i, j]:g} but "
            f"({names[j]}, {names[i]}) = {d[j, i]:g}"
        )
    return a, np.minimum(d, d.T), names


def _check_params(
    threshold: float, p_at_threshold: float, landscape_area: float
) -> tuple[float, float]:
    if not (np.isfinite(threshold) and threshold > 0):
        raise InputError(f"threshold must be a positive distance; got {threshold!r}")
    if not (0 < p_at_threshold < 1):
        raise InputError(f"p_at_threshold must be in (0, 1); got {p_at_threshold!r}")
    if not (np.isfinite(landscape_area) and landscape_area > 0):
        raise InputError(f"landscape_area must be positive; got {landscape_area!r}")
    return float(-np.log(p_at_threshold) / threshold), float(landscape_area)


__all__ = ["PCResult", "grade_by_dpc", "probability_of_connectivity", "threshold_sweep"]
