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
Intra and flux fractions come straight from the full ``p*`` matrix (one
all-pairs Dijkstra run, :func:`scipy.sparse.csgraph.dijkstra`, on a sparse
graph built once). Only the connector fraction needs removals.

*Sparse graph.* A link ``u–v`` is dropped when at least two other patches
``m`` give a strictly shorter two-step route, ``w_um + w_mv < w_uv``. With any
one patch removed, one such route remains and is strictly shorter, so no best
path of the full graph or of any graph without one patch uses the link
(replacing it would give a strictly shorter walk), and every such best path
survives in the pruned graph: all distances, with or without any one patch,
are unchanged. Witnesses are first counted among the 24 lightest links of
either end (a lower bound on the count, ``O(n² K)``); only links left with
fewer than two are checked against all patches. Realistic landscapes keep
about 15 links per patch.

*Removals (replacement paths).* Removing ``k`` changes ``d(i, v)`` only for
``v`` in the subtree of ``k`` in the shortest-path tree rooted at ``i``
(predecessor matrix of the full run): every other node keeps a best path that
avoids ``k``. For each source ``i`` and each inner tree node ``k``, the new
distances on that subtree ``S`` are found by Dijkstra restricted to ``S``,
seeded with ``min_{u ∉ S ∪ {k}} d(i, u) + w_uv`` (those ``d(i, u)`` are
unchanged). This is exact, ties included (a node with an equally short route
outside ``S`` simply gets its old distance back). Subtree membership is an
interval test on preorder positions of every tree, computed for all ``n``
trees at once. The restricted problems of many ``(i, k)`` are stacked into one
graph (disjoint copies of the subtrees plus a root whose arcs carry the seeds)
and solved by one single-source Dijkstra call per batch of sources. Losses
``a_i a_v (p*_iv − p'_iv)`` are summed over ordered pairs, so both directions
of each pair are counted, as in ``PCnum``.

Complexity: ``Σ_i Σ_v depth_i(v)`` restricted nodes (the number of (pair,
stepping stone) combinations, ``n²`` times the mean number of hops of best
paths) times the link degree. Measured (one core, CPU time): 3 s for 300
patches, 29 s for 800 (was 519 s), 55 s for 1,000; 2,000 patches with best
paths of about 30 hops are about 114 million restricted nodes, several
minutes, so the 30 s target for 2,000 patches is not met yet. Most of the time
is the stacked Dijkstra (about 1.4 µs per restricted node in SciPy) and the
numpy gathers that build it (``O(nodes × degree)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

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
    graph = _sparse_graph(kdecay * d)
    dist, pred = dijkstra(graph, directed=True, return_predecessors=True)
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

    connector = _connector_losses(a, dist, p_star, pred, graph)
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
    base = dijkstra(_sparse_graph(d), directed=True)
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


def _sparse_graph(weights: np.ndarray) -> csr_matrix:
    """Symmetric sparse graph of the links that some best path may use (module docstring)."""
    w = weights.copy()
    np.fill_diagonal(w, np.inf)
    iu, iv = _links(w)
    return _csr(w.shape[0], iu, iv, w[iu, iv])


def _links(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links ``u < v`` that survive the two-detour rule (see the module docstring).

    ``w`` is the dense weight matrix with ``inf`` on the diagonal and for missing links.
    Witnesses are first counted among the ``K`` lightest links of either end (a lower
    bound on the true count, ``O(n² K)``); only links left with fewer than two are
    counted against all ``n`` patches.
    """
    n = w.shape[0]
    cnt = np.zeros((n, n), dtype=np.int16)
    kk = min(n, 24)
    if kk < n:
        nb = np.argpartition(w, kk - 1, axis=1)[:, :kk]
        step = max(1, 2_000_000 // (kk * n))
        for s in range(0, n, step):
            u = np.arange(s, min(n, s + step))
            wm = np.take_along_axis(w[u], nb[u], axis=1)
            cnt[u] = ((wm[:, :, None] + w[nb[u]]) < w[u][:, None, :]).sum(1)
        cnt = np.maximum(cnt, cnt.T)
    iu, iv = np.nonzero(np.triu(np.isfinite(w) & (cnt < 2), 1))
    keep = np.empty(iu.size, dtype=bool)
    step = max(1, 4_000_000 // n)
    for s in range(0, iu.size, step):
        sl = slice(s, s + step)
        keep[sl] = ((w[iu[sl]] + w[iv[sl]]) < w[iu[sl], iv[sl]][:, None]).sum(1) < 2
    return iu[keep], iv[keep]


def _csr(n: int, iu: np.ndarray, iv: np.ndarray, wt: np.ndarray) -> csr_matrix:
    """Symmetric CSR graph from links ``u < v`` (explicit zero weights stay edges)."""
    rows = np.r_[iu, iv]
    cols = np.r_[iv, iu]
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return csr_matrix((np.r_[wt, wt][order], cols[order].astype(np.int32), indptr), shape=(n, n))


def _tree_layout(pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Preorder position and subtree size of every node in the shortest-path tree of each row.

    ``tin[i, v]`` is the position of ``v`` in a preorder of the tree rooted at ``i``
    (``-1`` if unreachable) and ``size[i, v]`` the number of nodes in its subtree, so
    ``x`` lies in the subtree of ``k`` exactly when
    ``0 <= tin[i, x] - tin[i, k] < size[i, k]``. Vectorised over all ``n²`` entries:
    depths by pointer doubling, sizes bottom-up and positions top-down by depth level.
    """
    n = pred.shape[0]
    flat = np.arange(n * n, dtype=np.int64)
    par = pred.reshape(-1)
    nonroot = par >= 0
    up = np.where(nonroot, (flat // n) * n + par, flat)
    reach = nonroot.copy()
    reach[:: n + 1] = True
    depth = nonroot.astype(np.int32)
    jump = up
    while True:
        nxt = jump[jump]
        depth = depth + depth[jump]
        if np.array_equal(nxt, jump):
            break
        jump = nxt
    members = np.flatnonzero(nonroot)
    by_level = members[np.argsort(depth[members], kind="stable")]
    bounds = np.searchsorted(depth[by_level], np.arange(1, int(depth.max(initial=0)) + 2))
    size = reach.astype(np.int64)
    for lev in range(len(bounds) - 2, -1, -1):  # deepest level first
        f = by_level[bounds[lev] : bounds[lev + 1]]
        np.add.at(size, up[f], size[f])
    # offset of each child among its siblings (siblings ordered by node index)
    sib = members[np.argsort(up[members], kind="stable")]
    csum = np.cumsum(size[sib])
    first = np.r_[True, up[sib][1:] != up[sib][:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(sib.size), 0))
    excl = np.empty(n * n, dtype=np.int64)
    excl[sib] = csum - size[sib] - (csum[start] - size[sib][start])
    tin = np.where(reach, 0, -1).astype(np.int64)
    for lev in range(len(bounds) - 1):  # shallowest level first
        f = by_level[bounds[lev] : bounds[lev + 1]]
        tin[f] = tin[up[f]] + 1 + excl[f]
    return tin.reshape(n, n), size.reshape(n, n)


def _connector_losses(
    a: np.ndarray, dist: np.ndarray, p_star: np.ndarray, pred: np.ndarray, graph: csr_matrix
) -> np.ndarray:
    """Loss of ``Σ a_i a_j p*_ij`` over pairs ``i, j ≠ k`` when ``k`` is removed, per ``k``.

    Replacement paths restricted to the subtree of ``k`` in each shortest-path
    tree, stacked into one Dijkstra call per batch of sources (module docstring).
    """
    n = a.size
    tin, size = _tree_layout(pred)
    order = np.zeros((n, n), dtype=np.int64)  # order[i, position] = node
    ri, ci = np.nonzero(tin >= 0)
    order[ri, tin[ri, ci]] = ci
    interior = size > 1
    np.fill_diagonal(interior, False)
    count = np.where(interior, size - 1, 0)
    indptr = graph.indptr.astype(np.int64)
    indices = graph.indices.astype(np.int64)
    data = graph.data
    deg = np.diff(indptr)
    connector = np.zeros(n)
    budget = 400_000
    per_source = count.sum(1)
    src = 0
    while src < n:
        room = budget - per_source[src]  # batch of sources with about ``budget`` nodes
        stop = min(n, src + 1 + int(np.searchsorted(np.cumsum(per_source[src + 1 :]), room)))
        ii, kk = np.nonzero(interior[src:stop])
        ii += src
        if ii.size:
            c = count[ii, kk]
            base = np.cumsum(c) - c
            total = int(c.sum())
            copy = np.repeat(np.arange(ii.size), c)
            pos = np.arange(total) - base[copy] + tin[ii, kk][copy] + 1
            ti = ii[copy]
            tk = kk[copy]
            tv = order[ti, pos]
            dg = deg[tv]
            tri = np.repeat(np.arange(total), dg)
            ebase = np.cumsum(dg) - dg
            e = indptr[tv][tri] + np.arange(tri.size) - ebase[tri]
            x = indices[e]
            wx = data[e]
            tix = ti[tri]
            cpy = copy[tri]
            rel = tin[tix, x] - tin[ii, kk][cpy]
            inside = (rel > 0) & (rel < size[ii, kk][cpy])
            outside = (rel != 0) & ~inside
            seed = np.full(total, np.inf)
            np.minimum.at(seed, tri[outside], dist[tix[outside], x[outside]] + wx[outside])
            # super graph: triples 0..total-1, root = total (arcs root -> triple, weight seed)
            arc_src = tri[inside]
            arc_dst = base[cpy[inside]] + rel[inside] - 1
            fin = np.flatnonzero(np.isfinite(seed))
            ptr = np.zeros(total + 2, dtype=np.int64)
            np.cumsum(np.bincount(arc_src, minlength=total), out=ptr[1 : total + 1])
            ptr[total + 1] = ptr[total] + fin.size
            g = csr_matrix(
                (np.r_[wx[inside], seed[fin]], np.r_[arc_dst, fin].astype(np.int32), ptr),
                shape=(total + 1, total + 1),
            )
            new = dijkstra(g, directed=True, indices=total)[:total]
            loss = a[ti] * a[tv] * (p_star[ti, tv] - np.exp(-new))
            connector += np.bincount(tk, weights=loss, minlength=n)
        src = stop
    return connector


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
