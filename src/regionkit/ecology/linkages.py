"""Corridor networks between ecological sources (Linkage Mapper style), without a pass per pair.

:func:`build_corridors` links source patches on a resistance raster:

1. **One multi-source cost-distance pass** (:func:`regionkit.ecology.corridors.cost_distance`)
   gives every cell its least cost to the nearest source (``CWD``), the source
   it is allocated to and a back-link.
2. **Adjacent pairs and their costs** (``pairs="adjacent"``, the Linkage
   Mapper default): two sources are linked when their allocation zones touch
   (8-neighbours).  Their cost is the minimum over touching cell pairs
   ``(u, v)``, ``u`` in zone ``a`` and ``v`` in zone ``b``, of
   ``CWD(u) + step(u, v) + CWD(v)`` (:func:`zone_links`), and the least-cost
   path is the back-link path from ``a`` to ``u``, the step to ``v`` and the
   back-link path from ``v`` to ``b``.  Since ``CWD`` equals the cost from
   ``a`` on zone ``a`` (and from ``b`` on zone ``b``), this is *exactly* the
   least cost over the paths from ``a`` to ``b`` that step straight from zone
   ``a`` into zone ``b``, i.e. the exact pairwise least-cost distance whenever
   the best ``a``–``b`` path does not cross a third source's zone; otherwise
   it is the cost of the best direct path (a larger value), as in Linkage
   Mapper, whose corridors between adjacent zones are the direct ones.  The
   path cost recomputed along the path with
   :func:`~regionkit.ecology.corridors.path_cost` equals the pair cost (up to
   floating-point rounding).
3. **All pairs** (``pairs="all"``): one exact cost-distance pass per source
   (limited to ``max_cost_distance`` when given), ``O(n · cells)``.
4. **Corridor raster** (only when ``corridor_width`` is given): the normalised
   least-cost corridor ``min over pairs of CWD_a + CWD_b − LCD_ab``, truncated
   at the width (cells above it are ``inf``), with ``LCD_ab`` the least value of
   ``CWD_a + CWD_b``.  ``CWD_a`` is needed only where it can matter,
   ``CWD_a(x) + CWD_b(x) <= LCD_ab + width``; every cell on a least-cost path
   to such a cell satisfies the same bound, and ``CWD(x) <= CWD_b(x)``, so a
   Dijkstra pass from ``a`` that never expands beyond
   ``CWD_a(x) + CWD(x) <= L_a`` (``L_a`` = largest pair cost of ``a`` plus the
   width) is exact there.  This is an A* search with the consistent potential
   ``CWD`` (reduced step costs ``w(u, v) + CWD(v) − CWD(u) >= 0``) and
   Dijkstra's ``limit = L_a``, run on a window around ``a`` and its paths that
   is enlarged until no reached cell lies on its border (so nothing is cut
   off).  Each pass thus explores the zone of ``a`` and bands along its
   corridors instead of the whole grid.

No full-grid Dijkstra is run per pair; for ``pairs="adjacent"`` there is one
full-grid pass in all, plus (with a corridor width) one small windowed pass
per source.

Corridor types follow the common grading of the ecological security pattern
literature with patch importance grades ``1`` (most important) … ``3`` (e.g.
dPC natural breaks): type I joins two grade-1 sources, type II involves at
least one grade-1 or grade-2 source, type III the rest
(:func:`default_corridor_type`; pass ``rules=`` to change it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .._checks import check_option
from ..errors import InputError
from .corridors import (
    CostDistanceResult,
    _cell_size,
    _check_resistance,
    _check_sources,
    _grid_graph,
    cost_distance,
    least_cost_path,
)

__all__ = [
    "CorridorNetwork",
    "PairMode",
    "build_corridors",
    "default_corridor_type",
    "zone_links",
]

PairMode = Literal["adjacent", "all"]

_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


def default_corridor_type(grade_a: int, grade_b: int) -> str:
    """Corridor type from the importance grades (1 = most important) of its two sources.

    ``"I"`` when both are grade 1, ``"II"`` when at least one is grade 1 or 2,
    ``"III"`` otherwise.

    Examples
    --------
    >>> [default_corridor_type(*g) for g in [(1, 1), (1, 3), (2, 2), (3, 3)]]
    ['I', 'II', 'II', 'III']
    """
    if grade_a == 1 and grade_b == 1:
        return "I"
    if min(grade_a, grade_b) <= 2:
        return "II"
    return "III"


def zone_links(
    result: CostDistanceResult, resistance: ArrayLike, *, nodata: float | None = None
) -> pd.DataFrame:
    """Least cost of a direct crossing between every pair of touching allocation zones.

    Parameters
    ----------
    result : CostDistanceResult
        A multi-source pass of :func:`~regionkit.ecology.corridors.cost_distance`.
    resistance : array-like
        The resistance raster of that pass.
    nodata : float, optional, keyword-only
        Its nodata value.

    Returns
    -------
    pandas.DataFrame
        One row per touching pair ``a < b``: ``a``, ``b``, ``cost`` (minimum
        of ``CWD(u) + step(u, v) + CWD(v)`` over 8-neighbour cells ``u`` in
        zone ``a`` and ``v`` in zone ``b``) and the flat indices ``cell_a``,
        ``cell_b`` of the best ``(u, v)`` (ties: the first in the scan order).

    Examples
    --------
    >>> import numpy as np
    >>> from regionkit.ecology.corridors import cost_distance
    >>> r = np.ones((1, 4))
    >>> s = np.array([[1, 0, 0, 2]])
    >>> zone_links(cost_distance(r, s), r)[["a", "b", "cost"]].values.tolist()
    [[1.0, 2.0, 3.0]]
    """
    values, _ = _check_resistance(resistance, nodata)
    if values.shape != result.cost.shape:
        raise InputError(
            f"resistance has shape {values.shape} but the cost-distance result {result.cost.shape}"
        )
    zones = result.allocation
    cost = result.cost
    dy, dx = result.cell_size
    nrow, ncol = zones.shape
    flat = np.arange(zones.size, dtype=np.int64).reshape(zones.shape)
    parts = []
    for dr, dc in _DIRECTIONS:
        r1 = nrow - dr
        c0, c1 = max(0, -dc), ncol - max(0, dc)
        if r1 <= 0 or c1 <= c0:
            continue
        here = (slice(0, r1), slice(c0, c1))
        there = (slice(dr, r1 + dr), slice(c0 + dc, c1 + dc))
        za, zb = zones[here], zones[there]
        touch = (za != zb) & (za > 0) & (zb > 0)
        if not touch.any():
            continue
        half_step = float(np.sqrt((dr * dy) ** 2 + (dc * dx) ** 2)) * 0.5
        step = (values[here][touch] + values[there][touch]) * half_step
        total = cost[here][touch] + step + cost[there][touch]
        x, y = za[touch], zb[touch]
        fx, fy = flat[here][touch], flat[there][touch]
        swap = x > y
        parts.append(
            np.column_stack(
                [
                    np.where(swap, y, x),
                    np.where(swap, x, y),
                    total,
                    np.where(swap, fy, fx),
                    np.where(swap, fx, fy),
                ]
            )
        )
    if not parts:
        return pd.DataFrame(
            {"a": np.empty(0, np.int64), "b": np.empty(0, np.int64), "cost": np.empty(0),
             "cell_a": np.empty(0, np.int64), "cell_b": np.empty(0, np.int64)}
        )
    allp = np.concatenate(parts)
    order = np.lexsort((allp[:, 2], allp[:, 1], allp[:, 0]))
    allp = allp[order]
    first = np.ones(len(allp), dtype=bool)
    first[1:] = (allp[1:, 0] != allp[:-1, 0]) | (allp[1:, 1] != allp[:-1, 1])
    best = allp[first]
    return pd.DataFrame(
        {
            "a": best[:, 0].astype(np.int64),
            "b": best[:, 1].astype(np.int64),
            "cost": best[:, 2],
            "cell_a": best[:, 3].astype(np.int64),
            "cell_b": best[:, 4].astype(np.int64),
        }
    )


def _per_source_passes(values, passable, labels, ids, size, limit):
    """Yield ``(index, dist, pred)`` of one exact pass per source on the full grid."""
    graph = _grid_graph(values, passable, size)
    flat = labels.ravel()
    for i, a in enumerate(ids):
        starts = np.flatnonzero(flat == a)
        dist, pred, _ = csgraph.dijkstra(
            graph, directed=True, indices=starts, min_only=True, return_predecessors=True,
            limit=np.inf if limit is None else float(limit),
        )
        yield i, dist, pred


def _pass_costs(resistance, labels, ids, size, nodata, limit) -> np.ndarray:
    """Exact least-cost matrix between patches (one pass per patch)."""
    values, passable = _check_resistance(resistance, nodata)
    labels = _check_sources(labels, values.shape, passable)
    flat = labels.ravel()
    order = np.argsort(flat, kind="stable")
    sorted_lab = flat[order]
    begin = np.searchsorted(sorted_lab, ids)
    n = ids.size
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    for i, dist, _ in _per_source_passes(values, passable, labels, ids, size, limit):
        best = np.minimum.reduceat(dist[order], begin)
        out[i, i + 1 :] = np.minimum(out[i, i + 1 :], best[i + 1 :])
        out[i + 1 :, i] = out[i, i + 1 :]
    return out


def _trace_pred(pred: np.ndarray, cell: int, ncol: int) -> np.ndarray:
    cells = [cell]
    while pred[cells[-1]] >= 0:
        cells.append(int(pred[cells[-1]]))
    cells = np.array(cells[::-1], dtype=np.int64)
    return np.column_stack([cells // ncol, cells % ncol])


@dataclass(frozen=True, eq=False)
class CorridorNetwork:
    """Result of :func:`build_corridors`.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per corridor: ``a``, ``b`` (source ids, ``a < b``), ``cost``
        (least-cost distance), ``length`` (length of the least-cost path in
        CRS units, cell centre to cell centre), ``ratio`` (cost / length),
        ``euclidean`` (edge-to-edge straight-line distance between the
        patches), ``grade_a``, ``grade_b`` and ``type`` (``None`` without grades).
    paths : tuple of numpy.ndarray
        The least-cost path of each row of :attr:`pairs`, ``(m, 2)`` ``(row, col)``
        from a cell of ``a`` to a cell of ``b``.
    corridor : numpy.ndarray or None
        Normalised least-cost corridor (0 on the paths, ``inf`` beyond the
        width); None when no ``corridor_width`` was given.
    cost_distance : CostDistanceResult
        The multi-source pass (cost, allocation, back-links).
    transform, crs : optional
        Georeferencing used by :meth:`lines`.
    cell_size : tuple of float
    pair_mode : str
    corridor_width : float or None
    """

    pairs: pd.DataFrame
    paths: tuple[np.ndarray, ...]
    corridor: np.ndarray | None
    cost_distance: CostDistanceResult
    transform: Any
    crs: Any
    cell_size: tuple[float, float]
    pair_mode: str
    corridor_width: float | None

    @property
    def n(self) -> int:
        """Number of corridors."""
        return len(self.pairs)

    def to_frame(self) -> pd.DataFrame:
        """The pairs table (a copy)."""
        return self.pairs.copy()

    def summary(self) -> str:
        """Number of sources and corridors, cost and length ranges, counts by type."""
        n_src = int(np.unique(self.cost_distance.sources[self.cost_distance.sources > 0]).size)
        head = f"corridor network ({self.pair_mode} pairs) of {n_src} sources: {self.n} corridor(s)"
        if not self.n:
            return head
        p = self.pairs
        lines = [
            head,
            f"  cost {p['cost'].min():.6g} – {p['cost'].max():.6g}, length "
            f"{p['length'].min():.6g} – {p['length'].max():.6g}, total length {p['length'].sum():.6g}",
        ]
        if p["type"].notna().any():
            counts = p["type"].value_counts().sort_index()
            lines.append("  types: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        if self.corridor is not None:
            inside = int(np.isfinite(self.corridor).sum())
            lines.append(f"  corridor raster: {inside} cells within width {self.corridor_width:g}")
        return "\n".join(lines)

    def lines(self, transform: Any = None, crs: Any = None):
        """Least-cost paths as a GeoDataFrame of LineStrings (cell-centre coordinates).

        Parameters
        ----------
        transform : affine.Affine, optional
            Default: the transform given to :func:`build_corridors`.
        crs : optional
            Default: the CRS given to :func:`build_corridors`.
        """
        import geopandas as gpd
        from shapely.geometry import LineString

        t = self.transform if transform is None else transform
        if t is None:
            raise InputError("lines() needs a transform (pass transform= here or to build_corridors)")
        geoms = []
        for path in self.paths:
            rows = path[:, 0] + 0.5
            cols = path[:, 1] + 0.5
            xs = t.c + t.a * cols + t.b * rows
            ys = t.f + t.d * cols + t.e * rows
            geoms.append(LineString(np.column_stack([xs, ys])))
        return gpd.GeoDataFrame(
            self.pairs.copy(), geometry=geoms, crs=self.crs if crs is None else crs
        )


def _grades_of(grades: Any, ids: np.ndarray) -> dict[int, int] | None:
    if grades is None:
        return None
    if isinstance(grades, Mapping):
        out = {int(k): int(v) for k, v in grades.items()}
    else:
        g = np.asarray(grades).ravel()
        if g.size != ids.size:
            raise InputError(
                f"grades has {g.size} value(s) for {ids.size} sources; give one grade per source "
                "(in increasing id order) or a mapping id -> grade"
            )
        out = {int(i): int(v) for i, v in zip(ids, g, strict=True)}
    missing = [int(i) for i in ids if int(i) not in out]
    if missing:
        raise InputError(f"grades: no grade for source id(s) {missing[:10]}")
    return out


def _window_cwd(values, passable, size, potential, start_mask, limit, box):
    """Exact CWD from the cells of ``start_mask`` where ``CWD_a + potential <= limit``.

    Runs an A* (reduced costs with the consistent ``potential``) Dijkstra with
    ``limit`` on a window grown until no reached cell lies on its inner border.
    Returns the window slices and ``CWD_a`` on it (``inf`` where not reached;
    values above the bound may be overestimates).
    """
    nrow, ncol = values.shape
    r0, r1, c0, c1 = box
    while True:
        sub = (slice(r0, r1), slice(c0, c1))
        shape = (r1 - r0, c1 - c0)
        graph = _grid_graph(values[sub], passable[sub], size)
        h = potential[sub].ravel()
        rows = np.repeat(np.arange(h.size), 8)
        with np.errstate(invalid="ignore"):
            w = graph.data + (h[graph.indices] - h[rows])
        w[~np.isfinite(w)] = np.inf
        np.maximum(w, 0.0, out=w)  # rounding of the potential
        graph.data = w
        del rows
        starts = np.flatnonzero(start_mask[sub])
        d = csgraph.dijkstra(graph, directed=True, indices=starts, min_only=True, limit=limit)
        d = d.reshape(shape)
        grow = False
        pad_r = max(8, (r1 - r0) // 2)
        pad_c = max(8, (c1 - c0) // 2)
        if r0 > 0 and np.isfinite(d[0]).any():
            r0, grow = max(0, r0 - pad_r), True
        if r1 < nrow and np.isfinite(d[-1]).any():
            r1, grow = min(nrow, r1 + pad_r), True
        if c0 > 0 and np.isfinite(d[:, 0]).any():
            c0, grow = max(0, c0 - pad_c), True
        if c1 < ncol and np.isfinite(d[:, -1]).any():
            c1, grow = min(ncol, c1 + pad_c), True
        if not grow:
            with np.errstate(invalid="ignore"):
                cwd = d - potential[sub]
            cwd[~np.isfinite(d)] = np.inf
            return sub, cwd


def build_corridors(
    resistance: ArrayLike,
    sources_labels: ArrayLike,
    *,
    cell_size: float | tuple[float, float] | None = None,
    transform: Any = None,
    crs: Any = None,
    nodata: float | None = None,
    pairs: PairMode = "adjacent",
    max_cost_distance: float | None = None,
    max_euclidean_distance: float | None = None,
    corridor_width: float | None = None,
    grades: Mapping[int, int] | Sequence[int] | None = None,
    rules: Callable[[int, int], str] = default_corridor_type,
) -> CorridorNetwork:
    """Least-cost corridors between ecological sources (see the module docstring).

    Parameters
    ----------
    resistance : array-like, 2-D
        Resistance raster (finite and > 0 outside ``nodata``).
    sources_labels : array-like of int, 2-D
        Source ids (0 = not a source), e.g. :attr:`SourcesResult.labels`.
    cell_size : float or (float, float), optional, keyword-only
        ``(dy, dx)``; taken from ``transform`` when omitted.
    transform : affine.Affine, optional, keyword-only
        Pixel-to-CRS transform (needed by :meth:`CorridorNetwork.lines`).
    crs : optional, keyword-only
        CRS of the lines.
    nodata : float, optional, keyword-only
        Impassable resistance value.
    pairs : {"adjacent", "all"}, keyword-only
        Sources whose cost-allocation zones touch (one pass in all), or every
        pair (one exact pass per source).
    max_cost_distance : float, optional, keyword-only
        Drop corridors whose cost exceeds it.
    max_euclidean_distance : float, optional, keyword-only
        Drop corridors whose patches are farther apart (edge to edge).
    corridor_width : float, optional, keyword-only
        Truncation width (cost units) of the normalised corridor raster; the
        raster is computed only when it is given.
    grades : mapping id -> int or sequence of int, optional, keyword-only
        Importance grade of every source, 1 = most important (e.g. from
        dPC natural breaks); a sequence is in increasing id order.
    rules : callable (grade_a, grade_b) -> str, keyword-only
        Corridor type from the two grades (default :func:`default_corridor_type`).

    Returns
    -------
    CorridorNetwork

    Raises
    ------
    InputError
        Bad resistance or labels (see :func:`~regionkit.ecology.corridors.cost_distance`),
        fewer than two sources, no cell size, negative limits or width, grades
        missing for a source.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.ones((3, 5))
    >>> r[1, 2] = 10.0
    >>> s = np.zeros((3, 5), dtype=int)
    >>> s[1, 0], s[1, 4] = 1, 2
    >>> net = build_corridors(r, s, cell_size=1.0, corridor_width=0.5)
    >>> net.pairs[["a", "b", "cost", "length"]].round(3).values.tolist()
    [[1.0, 2.0, 4.828, 4.828]]
    >>> net.paths[0].tolist()
    [[1, 0], [0, 1], [0, 2], [1, 3], [1, 4]]
    """
    check_option("pairs", pairs, PairMode)
    if cell_size is None:
        if transform is None:
            raise InputError("give cell_size= or transform=")
        size = (float(abs(transform.e)), float(abs(transform.a)))
    else:
        size = _cell_size(cell_size)
    for name, v in (("max_cost_distance", max_cost_distance),
                    ("max_euclidean_distance", max_euclidean_distance),
                    ("corridor_width", corridor_width)):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise InputError(f"{name}={v!r} must be a finite number >= 0")
    values, passable = _check_resistance(resistance, nodata)
    labels = _check_sources(sources_labels, values.shape, passable)
    ids = np.unique(labels[labels > 0])
    if ids.size < 2:
        raise InputError(f"sources_labels has {ids.size} source; corridors need at least two")
    grade_map = _grades_of(grades, ids)
    ncol = values.shape[1]
    cd = cost_distance(resistance, labels, cell_size=size, nodata=nodata)

    rows: list[dict] = []
    paths: list[np.ndarray] = []
    if pairs == "adjacent":
        links = zone_links(cd, resistance, nodata=nodata)
        if max_cost_distance is not None:
            links = links[links["cost"] <= max_cost_distance]
        for a, b, cost, ua, vb in links.itertuples(index=False):
            pa = least_cost_path(cd, divmod(int(ua), ncol))
            pb = least_cost_path(cd, divmod(int(vb), ncol))
            paths.append(np.concatenate([pa, pb[::-1]]))
            rows.append({"a": int(a), "b": int(b), "cost": float(cost)})
    else:
        flat = labels.ravel()
        order = np.argsort(flat, kind="stable")
        begin = np.searchsorted(flat[order], ids)
        ends = np.append(begin[1:], flat.size)
        for i, dist, pred in _per_source_passes(values, passable, labels, ids, size, max_cost_distance):
            for j in range(i + 1, ids.size):
                cells = order[begin[j] : ends[j]]
                k = int(np.argmin(dist[cells]))
                if not np.isfinite(dist[cells[k]]):
                    continue
                paths.append(_trace_pred(pred, int(cells[k]), ncol))
                rows.append({"a": int(ids[i]), "b": int(ids[j]), "cost": float(dist[cells[k]])})

    table = pd.DataFrame(rows, columns=["a", "b", "cost"])
    dy, dx = size
    table["length"] = [
        float(np.sqrt(((np.diff(p, axis=0) * (dy, dx)) ** 2).sum(axis=1)).sum()) for p in paths
    ]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ratio"] = table["cost"] / table["length"]
    table["euclidean"] = _pair_euclidean(labels, size, table)
    if max_euclidean_distance is not None:
        keep = (table["euclidean"] <= max_euclidean_distance).to_numpy()
        table = table[keep].reset_index(drop=True)
        paths = [p for p, k in zip(paths, keep, strict=True) if k]
    if grade_map is None:
        table["grade_a"] = pd.array([pd.NA] * len(table), dtype="Int64")
        table["grade_b"] = pd.array([pd.NA] * len(table), dtype="Int64")
        table["type"] = pd.Series([None] * len(table), dtype=object)
    else:
        table["grade_a"] = pd.array([grade_map[a] for a in table["a"]], dtype="Int64")
        table["grade_b"] = pd.array([grade_map[b] for b in table["b"]], dtype="Int64")
        table["type"] = [rules(grade_map[a], grade_map[b]) for a, b in zip(table["a"], table["b"], strict=True)]
    table = table.astype({"a": np.int64, "b": np.int64, "cost": float})

    corridor = None
    if corridor_width is not None:
        corridor = _corridor(values, passable, size, labels, cd, table, paths, float(corridor_width))
    return CorridorNetwork(
        pairs=table,
        paths=tuple(paths),
        corridor=corridor,
        cost_distance=cd,
        transform=transform,
        crs=crs,
        cell_size=size,
        pair_mode=pairs,
        corridor_width=None if corridor_width is None else float(corridor_width),
    )


def _pair_euclidean(labels: np.ndarray, size: tuple[float, float], table: pd.DataFrame) -> np.ndarray:
    from .sources import boundary_points

    if table.empty:
        return np.empty(0)
    pid, pts = boundary_points(labels, size)
    cuts = np.searchsorted(pid, np.unique(pid))
    groups = dict(zip(np.unique(pid).tolist(), np.split(pts, cuts[1:]), strict=True))
    trees: dict[int, cKDTree] = {}
    out = np.empty(len(table))
    for k, (a, b) in enumerate(zip(table["a"], table["b"], strict=True)):
        ga, gb = groups[int(a)], groups[int(b)]
        if len(ga) < len(gb):
            a, b, ga, gb = b, a, gb, ga
        tree = trees.get(int(a))
        if tree is None:
            tree = trees[int(a)] = cKDTree(ga)
        out[k] = float(tree.query(gb, k=1)[0].min())
    return out


def _corridor(values, passable, size, labels, cd, table, paths, width) -> np.ndarray:
    nrow, ncol = values.shape
    out = np.full(values.shape, np.inf)
    if table.empty:
        return out
    limits: dict[int, float] = {}
    boxes: dict[int, list[int]] = {}
    for (a, b, cost), path in zip(table[["a", "b", "cost"]].itertuples(index=False), paths, strict=True):
        for s in (int(a), int(b)):
            limits[s] = max(limits.get(s, 0.0), float(cost) + width)
            r0, c0 = path.min(axis=0)
            r1, c1 = path.max(axis=0) + 1
            box = boxes.get(s)
            boxes[s] = [int(r0), int(r1), int(c0), int(c1)] if box is None else [
                min(box[0], int(r0)), max(box[1], int(r1)), min(box[2], int(c0)), max(box[3], int(c1))]
    cwd: dict[int, tuple[tuple[slice, slice], np.ndarray]] = {}
    for s, lim in limits.items():
        rr, cc = np.nonzero(labels == s)
        r0, r1 = min(boxes[s][0], rr.min()), max(boxes[s][1], rr.max() + 1)
        c0, c1 = min(boxes[s][2], cc.min()), max(boxes[s][3], cc.max() + 1)
        pr, pc = max(4, (r1 - r0) // 10), max(4, (c1 - c0) // 10)
        box = (max(0, r0 - pr), min(nrow, r1 + pr), max(0, c0 - pc), min(ncol, c1 + pc))
        cwd[s] = _window_cwd(values, passable, size, cd.cost, labels == s, lim, box)
    for a, b in zip(table["a"], table["b"], strict=True):
        (sa, da), (sb, db) = cwd[int(a)], cwd[int(b)]
        r0, r1 = max(sa[0].start, sb[0].start), min(sa[0].stop, sb[0].stop)
        c0, c1 = max(sa[1].start, sb[1].start), min(sa[1].stop, sb[1].stop)
        if r1 <= r0 or c1 <= c0:
            continue
        part_a = da[r0 - sa[0].start : r1 - sa[0].start, c0 - sa[1].start : c1 - sa[1].start]
        part_b = db[r0 - sb[0].start : r1 - sb[0].start, c0 - sb[1].start : c1 - sb[1].start]
        total = part_a + part_b
        finite = total[np.isfinite(total)]
        if finite.size == 0:
            continue
        corr = total - finite.min()
        corr[~(corr <= width)] = np.inf
        view = out[r0:r1, c0:c1]
        np.minimum(view, corr, out=view)
    return out
