"""Cost distance, least-cost paths and corridors on resistance rasters.

Multi-source cost distance on the 8-connected grid follows the convention of
scikit-image's :class:`skimage.graph.MCP_Geometric` (and ArcGIS *Cost Distance*):
the cost of a step between two neighbouring cells with resistances ``c1`` and
``c2`` is ``step * (c1 + c2) / 2``, with ``step`` equal to ``dy``, ``dx`` or
``sqrt(dy**2 + dx**2)`` for vertical, horizontal and diagonal steps.  Source
cells have cost 0.

The shortest paths are found with :func:`scipy.sparse.csgraph.dijkstra` on a
sparse graph of the grid built without Python loops over cells, so that the
cost, the allocation (nearest source) and the back-links come from a single
multi-source Dijkstra run.

Back-link codes follow ArcGIS: the code of a cell gives the direction of the
neighbour it is reached from; 0 means no predecessor (a source cell, or a cell
that cannot be reached)::

    6 7 8
    5 0 1
    4 3 2
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ..errors import ComputationError, InputError
from ._arrays import cells_text as _cells

__all__ = [
    "BACKLINK_OFFSETS",
    "CostDistanceResult",
    "corridor_pairs",
    "cost_distance",
    "least_cost_path",
    "normalized_corridor",
    "path_cost",
]

#: ``BACKLINK_OFFSETS[code] = (drow, dcol)``: where the predecessor of a cell lies.
BACKLINK_OFFSETS: tuple[tuple[int, int], ...] = (
    (0, 0),
    (0, 1),
    (1, 1),
    (1, 0),
    (1, -1),
    (0, -1),
    (-1, -1),
    (-1, 0),
    (-1, 1),
)

# The eight neighbour offsets in increasing order of flat (row-major) index.
_NEIGHBOURS: tuple[tuple[int, int], ...] = (
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
)


@dataclass(frozen=True)
class CostDistanceResult:
    """Result of :func:`cost_distance`.

    Attributes
    ----------
    cost : numpy.ndarray
        Accumulated least cost (float64) to the nearest source; ``inf`` where
        no source can be reached and on nodata cells.
    allocation : numpy.ndarray
        Label (int64) of the source each cell is nearest to (in cost); 0 where
        unreachable.
    backlink : numpy.ndarray
        Direction code (uint8, 0-8, see :data:`BACKLINK_OFFSETS`) of the
        neighbour a cell is reached from; 0 on sources and unreachable cells.
    sources : numpy.ndarray
        The source labels (int64) as given, 0 meaning "not a source".
    cell_size : tuple of float
        The cell size ``(dy, dx)`` used.
    """

    cost: np.ndarray
    allocation: np.ndarray
    backlink: np.ndarray
    sources: np.ndarray
    cell_size: tuple[float, float]


def _cell_size(cell_size: Any) -> tuple[float, float]:
    size = np.asarray(cell_size, dtype=float).ravel()
    if size.size == 1:
        size = np.repeat(size, 2)
    if size.size != 2 or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise InputError(
            f"cell_size={cell_size!r} must be one positive number or a pair (dy, dx) of them"
        )
    return float(size[0]), float(size[1])


def _check_resistance(resistance: Any, nodata: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Return the resistance as float64 and the mask of passable cells."""
    array = np.asarray(resistance)
    if array.ndim != 2:
        raise InputError(f"resistance must be a 2-D array, got {array.ndim} dimension(s)")
    if array.size == 0:
        raise InputError("resistance is empty")
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise InputError(f"resistance must be real numbers, got dtype {array.dtype}")
    if nodata is None:
        skip = np.zeros(array.shape, dtype=bool)
    elif np.isnan(nodata):
        skip = np.isnan(array)
    else:
        skip = array == nodata
    values = array.astype(np.float64, copy=False)
    bad = ~skip & ~(np.isfinite(values) & (values > 0))
    if bad.any():
        raise InputError(
            "resistance must be finite and > 0 outside nodata cells; bad cell(s): "
            + _cells(bad, values)
        )
    return values, ~skip


def _check_sources(sources: Any, shape: tuple[int, ...], passable: np.ndarray) -> np.ndarray:
    labels = np.asarray(sources)
    if labels.shape != shape:
        raise InputError(
            f"sources has shape {labels.shape} but the resistance grid has shape {shape}; "
            "sources must be a label raster on the same grid"
        )
    if labels.dtype == bool:
        labels = labels.astype(np.int64)
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.issubdtype(labels.dtype, np.floating) or not np.all(
            np.isfinite(labels) & (labels == np.round(labels))
        ):
            raise InputError("sources must hold integer labels (0 = not a source)")
    labels = labels.astype(np.int64)
    if np.any(labels < 0):
        raise InputError("negative source label(s) at " + _cells(labels < 0, labels))
    if not np.any(labels > 0):
        raise InputError("sources has no source cell (all labels are 0)")
    on_nodata = (labels > 0) & ~passable
    if on_nodata.any():
        raise InputError("source cell(s) on nodata cells: " + _cells(on_nodata))
    return labels


#: Cells per block when the graph is filled (the block's 8 edges per cell, 96 bytes each,
#: stay in cache while the eight neighbour planes are interleaved into them).
_GRAPH_BLOCK_CELLS = 1 << 15


def _grid_graph(
    values: np.ndarray, passable: np.ndarray, cell_size: tuple[float, float]
) -> sparse.csr_array:
    """Directed 8-neighbour graph of the grid as CSR (int32 indices, float64 weights).

    Every cell has exactly 8 entries, so that no masking or compression pass is needed:
    a neighbour outside the grid becomes a self-loop (Dijkstra never relaxes the cell it
    is scanning) and an edge touching an impassable cell has weight ``inf`` (it never
    gives a finite cost; the bookkeeping of such cells is reset by the caller).

    The CSR arrays are written in blocks of whole rows: each block's eight neighbour
    weights are computed as contiguous planes from an ``inf``-padded copy of the block's
    resistance (rows above and below included) and interleaved into the block's part of
    the edge arrays while it is in cache.  Apart from the graph itself (12 bytes per
    edge) only block-sized temporaries are allocated.
    """
    nrow, ncol = values.shape
    n = nrow * ncol
    dy, dx = cell_size
    index_type = np.int32 if n * 8 < np.iinfo(np.int32).max else np.int64
    columns = np.empty((n, 8), dtype=index_type)
    weights = np.empty((n, 8), dtype=np.float64)
    offsets = [dr * ncol + dc for dr, dc in _NEIGHBOURS]
    half_steps = [float(np.sqrt((dr * dy) ** 2 + (dc * dx) ** 2)) * 0.5 for dr, dc in _NEIGHBOURS]
    rows_per_block = max(1, _GRAPH_BLOCK_CELLS // ncol)
    padded = np.empty((rows_per_block + 2, ncol + 2), dtype=np.float64)
    plane = np.empty((rows_per_block, ncol), dtype=np.float64)
    base = np.empty((rows_per_block, ncol), dtype=index_type)
    for r0 in range(0, nrow, rows_per_block):
        r1 = min(nrow, r0 + rows_per_block)
        h = r1 - r0
        # padded[i + 1, j + 1] = resistance of cell (r0 + i, j), inf if impassable or outside
        padded.fill(np.inf)
        lo, hi = max(0, r0 - 1), min(nrow, r1 + 1)
        np.copyto(padded[lo - r0 + 1 : hi - r0 + 1, 1 : ncol + 1], values[lo:hi], where=passable[lo:hi])
        centre = padded[1 : h + 1, 1 : ncol + 1]
        block_w = weights[r0 * ncol : r1 * ncol].reshape(h, ncol, 8)
        block_c = columns[r0 * ncol : r1 * ncol].reshape(h, ncol, 8)
        cells = base[:h]
        cells[...] = np.arange(r0 * ncol, r1 * ncol, dtype=index_type).reshape(h, ncol)
        out = plane[:h]
        for k, (dr, dc) in enumerate(_NEIGHBOURS):
            # same operation order as skimage.graph.MCP_Geometric._travel_cost:
            # (c_here + c_there) * (step / 2); inf + c = inf outside the grid
            np.add(centre, padded[1 + dr : h + 1 + dr, 1 + dc : ncol + 1 + dc], out=out)
            out *= half_steps[k]
            block_w[:, :, k] = out
            target = block_c[:, :, k]
            np.add(cells, offsets[k], out=target)
            # self-loops where the neighbour is outside the grid
            if dc == -1:
                target[:, 0] = cells[:, 0]
            elif dc == 1:
                target[:, -1] = cells[:, -1]
            if dr == -1 and r0 == 0:
                target[0] = cells[0]
            elif dr == 1 and r1 == nrow:
                target[-1] = cells[-1]
    del padded, plane, base
    indptr = np.arange(0, 8 * n + 1, 8, dtype=index_type)
    return sparse.csr_array(
        (weights.reshape(-1), columns.reshape(-1), indptr), shape=(n, n), copy=False
    )


#: Cells per chunk when Dijkstra's output is turned into allocation and back-links.
_POST_CHUNK_CELLS = 1 << 18


def _allocation_backlink(
    dist: np.ndarray, pred: np.ndarray, won: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Allocation (int64) and back-link codes (uint8) from Dijkstra's flat outputs.

    ``pred`` and ``won`` hold node ids (``-9999`` for none); both are ignored where ``dist``
    is not finite (cells Dijkstra only touched through ``inf`` edges).  The work is done in
    chunks so that the temporaries stay small whatever the grid size.
    """
    shape = labels.shape
    ncol = shape[1]
    flat_labels = labels.reshape(-1)
    allocation = np.zeros(shape, dtype=np.int64)
    backlink = np.zeros(shape, dtype=np.uint8)
    flat_allocation = allocation.reshape(-1)
    flat_backlink = backlink.reshape(-1)
    table = np.zeros(9, dtype=np.uint8)
    for code, (dr, dc) in enumerate(BACKLINK_OFFSETS):
        table[(dr + 1) * 3 + (dc + 1)] = code
    for a in range(0, flat_labels.size, _POST_CHUNK_CELLS):
        b = min(flat_labels.size, a + _POST_CHUNK_CELLS)
        reached = np.isfinite(dist[a:b])
        got = flat_labels.take(won[a:b], mode="clip")  # ``won`` holds node ids
        np.copyto(flat_allocation[a:b], got, where=reached)
        p = pred[a:b].astype(np.int64)
        has_pred = reached & (p >= 0)
        here = np.arange(a, b, dtype=np.int64)
        key = (p // ncol - here // ncol + 1) * 3 + (p % ncol - here % ncol + 1)
        key[~has_pred] = 4  # (0, 0): code 0
        flat_backlink[a:b] = table.take(key)
    return allocation, backlink


def cost_distance(
    resistance: np.ndarray,
    sources: np.ndarray,
    *,
    cell_size: float | tuple[float, float] = (1.0, 1.0),
    nodata: float | None = None,
) -> CostDistanceResult:
    """Multi-source accumulated cost distance, allocation and back-links.

    Parameters
    ----------
    resistance : numpy.ndarray
        2-D resistance (cost per unit distance) raster; every cell that is not
        ``nodata`` must be finite and > 0.
    sources : numpy.ndarray
        Integer label raster of the same shape; 0 = not a source, ``k > 0`` =
        a cell of source (core area) ``k``.
    cell_size : float or (float, float), keyword-only
        Cell size ``(dy, dx)`` (one number for square cells).
    nodata : float, optional, keyword-only
        Resistance value of impassable cells (``nan`` allowed); they get cost
        ``inf`` and allocation 0.

    Returns
    -------
    CostDistanceResult
        ``cost``, ``allocation``, ``backlink``, ``sources``, ``cell_size``.

    Raises
    ------
    InputError
        Non-2-D resistance; NaN, infinite, zero or negative resistance cells
        (named by row and column); sources not on the resistance grid, with
        negative labels, without any source cell or on nodata cells; bad
        ``cell_size``.

    Notes
    -----
    The step cost between neighbours is ``step * (c1 + c2) / 2`` exactly as
    in :class:`skimage.graph.MCP_Geometric` with ``fully_connected=True`` and
    ``sampling=(dy, dx)``.  Memory use is about 100 bytes per cell (the CSR
    graph holds 8 edges per cell with int32 indices and float64 weights).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.ones((3, 4))
    >>> s = np.zeros((3, 4), dtype=int)
    >>> s[1, 0], s[1, 3] = 1, 2
    >>> res = cost_distance(r, s)
    >>> res.cost.round(3)
    array([[1.   , 1.414, 1.414, 1.   ],
           [0.   , 1.   , 1.   , 0.   ],
           [1.   , 1.414, 1.414, 1.   ]])
    >>> res.allocation
    array([[1, 1, 2, 2],
           [1, 1, 2, 2],
           [1, 1, 2, 2]])
    """
    size = _cell_size(cell_size)
    values, passable = _check_resistance(resistance, nodata)
    labels = _check_sources(sources, values.shape, passable)
    shape = values.shape
    graph = _grid_graph(values, passable, size)
    starts = np.flatnonzero(labels)
    dist, pred, won = csgraph.dijkstra(
        graph, directed=True, indices=starts, return_predecessors=True, min_only=True
    )
    del graph
    allocation, backlink = _allocation_backlink(dist, pred, won, labels)
    del pred, won
    cost = dist.reshape(shape)
    for array in (cost, allocation, backlink, labels):
        array.flags.writeable = False
    return CostDistanceResult(
        cost=cost,
        allocation=allocation,
        backlink=backlink,
        sources=labels,
        cell_size=size,
    )


def _check_cell(result: CostDistanceResult, cell: Any, what: str) -> tuple[int, int]:
    try:
        row, col = (int(v) for v in cell)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a (row, col) pair, got {cell!r}") from None
    nrow, ncol = result.cost.shape
    if not (0 <= row < nrow and 0 <= col < ncol):
        raise InputError(f"{what} (row {row}, col {col}) is outside the {nrow} x {ncol} grid")
    return row, col


def least_cost_path(result: CostDistanceResult, target: tuple[int, int]) -> np.ndarray:
    """Least-cost path from the nearest source to ``target`` following the back-links.

    Parameters
    ----------
    result : CostDistanceResult
        Output of :func:`cost_distance`.
    target : (int, int)
        ``(row, col)`` of the end cell.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` int64 array of ``(row, col)``, from a source cell to ``target``.

    Raises
    ------
    InputError
        If ``target`` is outside the grid.
    ComputationError
        If no source can be reached from ``target``.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.zeros((3, 3), dtype=int)
    >>> s[0, 0] = 1
    >>> least_cost_path(cost_distance(np.ones((3, 3)), s), (2, 1)).tolist()
    [[0, 0], [1, 0], [2, 1]]
    """
    row, col = _check_cell(result, target, "target")
    if not np.isfinite(result.cost[row, col]):
        raise ComputationError(f"target (row {row}, col {col}) cannot be reached from any source")
    path = [(row, col)]
    limit = result.cost.size
    while result.backlink[row, col]:
        dr, dc = BACKLINK_OFFSETS[result.backlink[row, col]]
        row, col = row + dr, col + dc
        path.append((row, col))
        if len(path) > limit:  # pragma: no cover - back-links from cost_distance have no cycles
            raise ComputationError("back-links form a cycle")
    return np.array(path[::-1], dtype=np.int64)


def path_cost(
    resistance: np.ndarray,
    path: np.ndarray,
    *,
    cell_size: float | tuple[float, float] = (1.0, 1.0),
) -> float:
    """Accumulated cost along a path of 8-neighbour steps.

    Parameters
    ----------
    resistance : numpy.ndarray
        2-D resistance raster.
    path : numpy.ndarray
        ``(n, 2)`` array of ``(row, col)``, consecutive cells being neighbours.
    cell_size : float or (float, float), keyword-only
        Cell size ``(dy, dx)``.

    Returns
    -------
    float
        Sum of ``step * (c1 + c2) / 2`` over the steps; equals the cost
        distance at the end of a path from :func:`least_cost_path`.

    Raises
    ------
    InputError
        If the path leaves the grid or two consecutive cells are not neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> path_cost(np.full((2, 2), 2.0), np.array([[0, 0], [0, 1], [1, 1]]))
    4.0
    """
    dy, dx = _cell_size(cell_size)
    values = np.asarray(resistance, dtype=np.float64)
    cells = np.asarray(path, dtype=np.int64)
    if cells.ndim != 2 or cells.shape[1] != 2 or len(cells) == 0:
        raise InputError("path must be a non-empty (n, 2) array of (row, col)")
    outside = (
        (cells < 0).any(axis=1)
        | (cells[:, 0] >= values.shape[0])
        | (cells[:, 1] >= values.shape[1])
    )
    if outside.any():
        r, c = cells[np.argmax(outside)]
        raise InputError(f"path cell (row {r}, col {c}) is outside the grid")
    steps = np.diff(cells, axis=0)
    if np.any(np.abs(steps) > 1) or np.any((steps == 0).all(axis=1)):
        raise InputError("consecutive path cells must be distinct 8-neighbours")
    lengths = np.sqrt((steps[:, 0] * dy) ** 2 + (steps[:, 1] * dx) ** 2)
    c = values[cells[:, 0], cells[:, 1]]
    total = 0.0
    for length, a, b in zip(lengths, c[:-1], c[1:], strict=True):
        total = total + float(length * 0.5 * (a + b))
    return total


def corridor_pairs(allocation: np.ndarray) -> np.ndarray:
    """Pairs of source labels whose allocation zones touch (8-neighbour adjacency).

    As in Linkage Mapper, these are the candidate corridors between adjacent
    cost-allocation zones.  Label 0 (unallocated) is ignored.

    Parameters
    ----------
    allocation : numpy.ndarray
        2-D integer allocation raster, e.g. :attr:`CostDistanceResult.allocation`.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` int64 array of pairs ``(a, b)`` with ``a < b``, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> corridor_pairs(np.array([[1, 1, 2], [3, 3, 2], [4, 4, 4]])).tolist()
    [[1, 2], [1, 3], [2, 3], [2, 4], [3, 4]]
    """
    zones = np.asarray(allocation)
    if zones.ndim != 2:
        raise InputError(f"allocation must be a 2-D array, got {zones.ndim} dimension(s)")
    if not np.issubdtype(zones.dtype, np.integer):
        raise InputError(f"allocation must hold integer labels, got dtype {zones.dtype}")
    nrow, ncol = zones.shape
    found = [np.empty((0, 2), dtype=np.int64)]
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        r1 = nrow - dr
        c0, c1 = max(0, -dc), ncol - max(0, dc)
        if r1 <= 0 or c1 <= c0:
            continue
        a = zones[0:r1, c0:c1]
        b = zones[dr : r1 + dr, c0 + dc : c1 + dc]
        touch = (a != b) & (a > 0) & (b > 0)
        if touch.any():
            x, y = a[touch].astype(np.int64), b[touch].astype(np.int64)
            found.append(np.column_stack([np.minimum(x, y), np.maximum(x, y)]))
    pairs = np.concatenate(found)
    return np.unique(pairs, axis=0) if len(pairs) else pairs


def normalized_corridor(
    cost_a: np.ndarray,
    cost_b: np.ndarray,
    lcd: float | None = None,
    *,
    width: float | None = None,
) -> np.ndarray:
    """Normalized least-cost corridor ``cost_a + cost_b - lcd`` between two sources.

    Parameters
    ----------
    cost_a, cost_b : numpy.ndarray
        Cost-distance rasters from source A and from source B.
    lcd : float, optional
        Least-cost distance between A and B; by default the minimum of
        ``cost_a + cost_b`` (which is the least-cost distance).
    width : float, optional, keyword-only
        Truncation width: cells whose normalized value exceeds it become ``inf``.

    Returns
    -------
    numpy.ndarray
        Float64 raster, 0 along the least-cost path, ``inf`` where unreachable
        (or beyond ``width``).

    Raises
    ------
    InputError
        Shapes differ, ``lcd`` or ``width`` negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> normalized_corridor(np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.5, 0.0]), width=0.4)
    array([ 0., inf,  0.])
    """
    a = np.asarray(cost_a, dtype=np.float64)
    b = np.asarray(cost_b, dtype=np.float64)
    if a.shape != b.shape:
        raise InputError(f"cost_a has shape {a.shape} but cost_b has shape {b.shape}")
    total = a + b
    if lcd is None:
        finite = total[np.isfinite(total)]
        if finite.size == 0:
            raise InputError("cost_a and cost_b have no cell reachable from both sources")
        lcd = float(finite.min())
    if not (np.isfinite(lcd) and lcd >= 0):
        raise InputError(f"lcd={lcd!r} must be a finite number >= 0")
    corridor = total - lcd
    corridor[np.isnan(corridor)] = np.inf
    if width is not None:
        if not (np.isfinite(width) and width >= 0):
            raise InputError(f"width={width!r} must be a finite number >= 0")
        corridor[corridor > width] = np.inf
    return corridor
