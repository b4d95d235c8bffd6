"""Ecological sources: patches of the top importance grade(s) and the distances between them.

:func:`ecological_sources` turns a grade raster (e.g. from
:func:`regionkit.ecology.overlay.grade`) or a boolean mask into labelled
source patches: the cells of the top grade(s) are grouped into 8-connected
(or 4-connected) patches with :func:`scipy.ndimage.label`, patches smaller than
``min_area`` are dropped, and the rest are labelled ``1 … n`` by decreasing
area.

:func:`patch_distances` gives the ``n × n`` edge-to-edge distance matrix
between patches that :func:`regionkit.ecology.connectivity.probability_of_connectivity`
takes:

* ``method="euclidean"``: the shortest distance between the centres of a cell
  of one patch and a cell of the other.  The closest cells of two patches are
  always boundary cells (cells with a neighbour outside the patch), so only
  those are compared, with one :class:`scipy.spatial.cKDTree` per patch; the
  query for patch ``a`` holds the boundary cells of the patches after ``a``
  (and, with ``max_distance``, only those inside the bounding box of ``a``
  grown by ``max_distance``, queried with that upper bound).  The result is
  exact; the work is about ``n/2`` queries per boundary cell without
  ``max_distance`` and a small neighbourhood with it.
* ``method="cost"``: least-cost edge-to-edge distances on a resistance raster.
  By default one multi-source cost-distance pass gives every patch its cost
  allocation zone; the cost between two patches whose zones touch is the
  minimum over touching cell pairs ``(u, v)`` of ``cost(u) + step(u, v) +
  cost(v)`` (Linkage Mapper's adjacency rule, see
  :func:`regionkit.ecology.linkages.zone_links`); patches whose zones do not
  touch get ``inf``.  With ``exact=True`` one pass per patch gives the exact
  least cost between every pair (``O(n · cells)``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import ndimage
from scipy.spatial import cKDTree

from .._checks import check_option
from ..errors import InputError

__all__ = ["DistanceMethod", "SourcesResult", "ecological_sources", "patch_distances"]

DistanceMethod = Literal["euclidean", "cost"]

_STRUCTURE = {
    8: np.ones((3, 3), dtype=bool),
    4: np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=bool),
}


def _frame_of(transform_or_cell_size: Any) -> tuple[Any, tuple[float, float]]:
    """Return (affine transform, (dy, dx)) from a transform or a cell size."""
    from affine import Affine

    if isinstance(transform_or_cell_size, Affine):
        t = transform_or_cell_size
        if t.b != 0 or t.d != 0:
            raise InputError("rotated transforms are not supported; use a north-up grid")
        return t, (float(abs(t.e)), float(abs(t.a)))
    size = np.asarray(transform_or_cell_size, dtype=float).ravel()
    if size.size == 1:
        size = np.repeat(size, 2)
    if size.size != 2 or not np.all(np.isfinite(size)) or np.any(size <= 0):
        raise InputError(
            f"transform_or_cell_size={transform_or_cell_size!r} must be an affine.Affine "
            "transform, one positive cell size or a pair (dy, dx)"
        )
    dy, dx = float(size[0]), float(size[1])
    return Affine(dx, 0.0, 0.0, 0.0, -dy, 0.0), (dy, dx)


@dataclass(frozen=True, eq=False)
class SourcesResult:
    """Result of :func:`ecological_sources`.

    Attributes
    ----------
    labels : numpy.ndarray
        Patch id of every cell (int32): ``1 … n`` by decreasing area, 0 elsewhere.
    table : pandas.DataFrame
        One row per patch: ``id``, ``cells``, ``area`` (CRS units²),
        ``centroid_x``, ``centroid_y`` (cell-centre mean, CRS units).
    transform : affine.Affine
        Pixel-to-CRS transform (``Affine(dx, 0, 0, 0, -dy, 0)`` when only a
        cell size was given).
    cell_size : tuple of float
        ``(dy, dx)``.
    min_area : float
    dropped : int
        Number of patches smaller than ``min_area``.
    """

    labels: np.ndarray
    table: pd.DataFrame
    transform: Any
    cell_size: tuple[float, float]
    min_area: float
    dropped: int
    top_grades: tuple[int, ...] = field(default=())

    @property
    def n(self) -> int:
        """Number of source patches."""
        return len(self.table)

    def to_frame(self) -> pd.DataFrame:
        """The patch table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Number of patches, total area and the largest patch."""
        total = float(self.table["area"].sum()) if self.n else 0.0
        largest = f", largest {self.table['area'].iloc[0]:.6g}" if self.n else ""
        grades = f" of grade(s) {', '.join(map(str, self.top_grades))}" if self.top_grades else ""
        return (
            f"{self.n} ecological source patch(es){grades} with area >= {self.min_area:g}: "
            f"total area {total:.6g}{largest}; {self.dropped} smaller patch(es) dropped"
        )

    def polygons(self, transform: Any = None, crs: Any = None):
        """Patches as a GeoDataFrame (``id``, ``area``, ``geometry``), one (multi)polygon each.

        Parameters
        ----------
        transform : affine.Affine, optional
            Pixel-to-CRS transform (default: :attr:`transform`).
        crs : optional
            CRS of the GeoDataFrame.
        """
        import geopandas as gpd
        from rasterio import features
        from shapely.geometry import shape
        from shapely.ops import unary_union

        t = self.transform if transform is None else transform
        shapes: dict[int, list] = {}
        if self.n:
            for geom, value in features.shapes(
                self.labels, mask=self.labels > 0, transform=t, connectivity=8
            ):
                shapes.setdefault(int(value), []).append(shape(geom))
        ids = list(self.table["id"])
        geoms = [unary_union(shapes.get(i, [])) for i in ids]
        return gpd.GeoDataFrame(
            {"id": ids, "area": list(self.table["area"])}, geometry=geoms, crs=crs
        )


def _check_grades(grade_or_mask: ArrayLike, top_grades: Sequence[int] | None) -> tuple[np.ndarray, tuple[int, ...]]:
    array = np.asarray(grade_or_mask)
    if array.ndim != 2:
        raise InputError(f"grade_or_mask must be a 2-D array, got {array.ndim} dimension(s)")
    if array.dtype == bool:
        if top_grades is not None:
            raise InputError("top_grades= is only used with a grade raster, not a boolean mask")
        return array.copy(), ()
    if not np.issubdtype(array.dtype, np.number):
        raise InputError(f"grade_or_mask must hold integer grades or booleans, got {array.dtype}")
    finite = np.isfinite(array) if np.issubdtype(array.dtype, np.floating) else np.ones(array.shape, bool)
    if np.any(array[finite] != np.round(array[finite])):
        raise InputError("grade_or_mask must hold integer grades (e.g. from overlay.grade)")
    if top_grades is None:
        if not finite.any():
            raise InputError("grade_or_mask has no valid cell")
        top = (int(np.max(array[finite])),)
    else:
        top = tuple(int(g) for g in np.atleast_1d(np.asarray(top_grades)))
        if not top:
            raise InputError("top_grades is empty")
        present = set(np.unique(array[finite]).astype(int).tolist())
        absent = [g for g in top if g not in present]
        if len(absent) == len(top):
            raise InputError(
                f"top_grades {list(top)} do not occur in the grade raster "
                f"(grades present: {sorted(present)})"
            )
    return np.isin(np.where(finite, array, np.nan), top), top


def ecological_sources(
    grade_or_mask: ArrayLike,
    *,
    transform_or_cell_size: Any,
    min_area: float,
    top_grades: Sequence[int] | None = None,
    connectivity: Literal[4, 8] = 8,
) -> SourcesResult:
    """Ecological source patches: connected patches of the top grade(s) with a minimum area.

    Parameters
    ----------
    grade_or_mask : array-like, 2-D
        Integer grade raster (``k`` = most important, as from
        :func:`regionkit.ecology.overlay.grade`) or a boolean mask of
        candidate cells.
    transform_or_cell_size : affine.Affine, float or (float, float), keyword-only
        The raster's transform (projected CRS) or its cell size ``(dy, dx)``.
    min_area : float, keyword-only
        Smallest patch area kept, in CRS units² (e.g. 10 km² = ``1e7`` m²).
    top_grades : sequence of int, optional, keyword-only
        The grades that make sources (default: the highest grade present).
    connectivity : {4, 8}, default 8, keyword-only
        Cells touching by a corner belong to the same patch with 8.

    Returns
    -------
    SourcesResult
        Patches relabelled ``1 … n`` by decreasing area; patches of equal area
        keep the order in which their first cell comes in row-major order.

    Raises
    ------
    InputError
        Not 2-D; non-integer grades; ``top_grades`` absent from the raster;
        a negative or non-finite ``min_area``; a bad transform or cell size.

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[5, 5, 1, 5],
    ...               [1, 5, 1, 1],
    ...               [1, 1, 1, 5]])
    >>> res = ecological_sources(g, transform_or_cell_size=100.0, min_area=15_000)
    >>> res.labels
    array([[1, 1, 0, 0],
           [0, 1, 0, 0],
           [0, 0, 0, 0]], dtype=int32)
    >>> res.table[["id", "cells"]].values.tolist(), res.table["area"].tolist()
    ([[1, 3]], [30000.0])
    """
    if connectivity not in (4, 8):
        raise InputError(f"connectivity={connectivity!r} is not allowed; choose 4 or 8")
    if not (np.isfinite(min_area) and min_area >= 0):
        raise InputError(f"min_area={min_area!r} must be a finite number >= 0")
    transform, (dy, dx) = _frame_of(transform_or_cell_size)
    mask, top = _check_grades(grade_or_mask, top_grades)
    raw, count = ndimage.label(mask, structure=_STRUCTURE[connectivity])
    cells = np.bincount(raw.ravel(), minlength=count + 1)[1:]
    areas = cells * (dy * dx)
    keep = np.flatnonzero(areas >= min_area)  # raw label - 1, in row-major order of first cell
    order = keep[np.argsort(-areas[keep], kind="stable")]
    relabel = np.zeros(count + 1, dtype=np.int32)
    relabel[order + 1] = np.arange(1, order.size + 1, dtype=np.int32)
    labels = relabel[raw]
    n = order.size
    rows, cols = np.indices(labels.shape)
    flat = labels.ravel()
    cnt = np.bincount(flat, minlength=n + 1)[1:].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mr = np.bincount(flat, weights=rows.ravel() + 0.5, minlength=n + 1)[1:] / cnt
        mc = np.bincount(flat, weights=cols.ravel() + 0.5, minlength=n + 1)[1:] / cnt
    cx = transform.c + transform.a * mc
    cy = transform.f + transform.e * mr
    table = pd.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "cells": cnt,
            "area": cnt * (dy * dx),
            "centroid_x": cx,
            "centroid_y": cy,
        }
    )
    labels.flags.writeable = False
    return SourcesResult(
        labels=labels,
        table=table,
        transform=transform,
        cell_size=(dy, dx),
        min_area=float(min_area),
        dropped=int(count - n),
        top_grades=top,
    )


def _check_labels(labels: ArrayLike) -> np.ndarray:
    array = np.asarray(labels)
    if array.ndim != 2:
        raise InputError(f"labels must be a 2-D array, got {array.ndim} dimension(s)")
    if not np.issubdtype(array.dtype, np.integer):
        raise InputError(f"labels must hold integer patch ids (0 = no patch), got dtype {array.dtype}")
    if np.any(array < 0):
        raise InputError("labels has negative patch id(s)")
    return array.astype(np.int64)


def boundary_points(
    labels: np.ndarray, cell_size: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Boundary cells of all patches: ``(ids, points)`` sorted by id.

    A boundary cell has one of its 8 neighbours (or the grid edge) outside its
    patch; ``points`` are cell-centre coordinates ``(row · dy, col · dx)``.
    """
    dy, dx = cell_size
    padded = np.pad(labels, 1, constant_values=0)
    inner = np.ones(labels.shape, dtype=bool)
    nr, nc = labels.shape
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr or dc:
                inner &= padded[1 + dr : 1 + dr + nr, 1 + dc : 1 + dc + nc] == labels
    edge = (labels > 0) & ~inner
    r, c = np.nonzero(edge)
    ids = labels[r, c]
    order = np.argsort(ids, kind="stable")
    pts = np.column_stack([r[order] * dy, c[order] * dx]).astype(np.float64)
    return ids[order], pts


def _euclidean(labels: np.ndarray, ids: np.ndarray, size: tuple[float, float], max_distance: float | None) -> np.ndarray:
    n = ids.size
    out = np.full((n, n), np.inf)
    np.fill_diagonal(out, 0.0)
    pid, pts = boundary_points(labels, size)
    pos = np.searchsorted(ids, pid)  # patch index of each boundary point
    starts = np.searchsorted(pos, np.arange(n + 1))
    cap = np.inf if max_distance is None else float(max_distance)
    for i in range(n - 1):
        own = pts[starts[i] : starts[i + 1]]
        rest = pts[starts[i + 1] :]
        rest_pos = pos[starts[i + 1] :]
        if max_distance is not None:
            lo = own.min(axis=0) - cap
            hi = own.max(axis=0) + cap
            near = np.all((rest >= lo) & (rest <= hi), axis=1)
            rest, rest_pos = rest[near], rest_pos[near]
        if rest.shape[0] == 0:
            continue
        d, _ = cKDTree(own).query(rest, k=1, distance_upper_bound=cap * (1 + 1e-12) if np.isfinite(cap) else np.inf)
        present, first = np.unique(rest_pos, return_index=True)
        best = np.minimum.reduceat(d, first)
        out[i, present] = best
        out[present, i] = best
    if max_distance is not None:
        out[out > cap] = np.inf
    return out


def patch_distances(
    labels: ArrayLike,
    *,
    cell_size: float | tuple[float, float],
    method: DistanceMethod = "euclidean",
    resistance: ArrayLike | None = None,
    nodata: float | None = None,
    max_distance: float | None = None,
    exact: bool = False,
) -> np.ndarray:
    """Edge-to-edge distances between all source patches.

    Parameters
    ----------
    labels : array-like of int, 2-D
        Patch ids (0 = no patch), e.g. :attr:`SourcesResult.labels`.
    cell_size : float or (float, float), keyword-only
        ``(dy, dx)`` in CRS units.
    method : {"euclidean", "cost"}, keyword-only
        Straight-line distance between the closest cell centres, or the least
        accumulated cost (see the module docstring).
    resistance : array-like, optional, keyword-only
        Resistance raster for ``method="cost"`` (finite and > 0 outside nodata).
    nodata : float, optional, keyword-only
        Impassable resistance value for ``method="cost"``.
    max_distance : float, optional, keyword-only
        Pairs farther apart get ``inf`` (for ``"euclidean"`` this makes the
        computation local; for ``"cost"`` it is the Dijkstra ``limit`` of the
        exact passes and a cut-off otherwise).
    exact : bool, default False, keyword-only
        For ``method="cost"``: one cost-distance pass per patch, exact for
        every pair, instead of the single pass with the zone-adjacency rule.

    Returns
    -------
    numpy.ndarray
        ``(n, n)`` float64, symmetric, 0 on the diagonal; row/column ``i`` is
        the ``i``-th smallest patch id; ``inf`` = no link.

    Raises
    ------
    InputError
        Bad labels, no patch, ``method="cost"`` without resistance (or the
        reverse), bad resistance, negative ``max_distance``.

    Examples
    --------
    >>> import numpy as np
    >>> lab = np.array([[1, 1, 0, 0, 2],
    ...                 [0, 0, 0, 0, 2],
    ...                 [3, 0, 0, 0, 0]])
    >>> patch_distances(lab, cell_size=10.0).round(3)
    array([[ 0.   , 30.   , 20.   ],
           [30.   ,  0.   , 41.231],
           [20.   , 41.231,  0.   ]])
    """
    from .corridors import _cell_size

    check_option("method", method, DistanceMethod)
    lab = _check_labels(labels)
    size = _cell_size(cell_size)
    ids = np.unique(lab[lab > 0])
    if ids.size == 0:
        raise InputError("labels has no patch (all 0)")
    if max_distance is not None and not (max_distance >= 0):
        raise InputError(f"max_distance={max_distance!r} must be a number >= 0")
    if method == "euclidean":
        if resistance is not None or exact:
            raise InputError("resistance= and exact= are only used with method='cost'")
        return _euclidean(lab, ids, size, max_distance)
    if resistance is None:
        raise InputError("method='cost' needs a resistance raster (resistance=...)")
    from .linkages import _pass_costs, zone_links

    if exact:
        return _pass_costs(resistance, lab, ids, size, nodata, max_distance)
    from .corridors import cost_distance

    cd = cost_distance(resistance, lab, cell_size=size, nodata=nodata)
    links = zone_links(cd, resistance, nodata=nodata)
    out = np.full((ids.size, ids.size), np.inf)
    np.fill_diagonal(out, 0.0)
    ia = np.searchsorted(ids, links["a"].to_numpy())
    ib = np.searchsorted(ids, links["b"].to_numpy())
    out[ia, ib] = links["cost"].to_numpy()
    out[ib, ia] = links["cost"].to_numpy()
    if max_distance is not None:
        out[out > max_distance] = np.inf
    return out
