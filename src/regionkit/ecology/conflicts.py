r"""Ecological–economic conflict mapping: the ecological security pattern over the production pattern.

The ecological security pattern (sources by importance grade, corridors by
type) is laid over the economic production pattern (an activity surface such as
the kernel density of the core industries' firms, classified into e.g. low /
medium / high activity).  Cells where an ecological element meets an activity
class that the rules count as a conflict form the *conflict zones*.

The chain, all pure functions of arrays and GeoDataFrames:

1. :func:`classify_activity` — activity classes ``0 … k−1`` (``k−1`` = most
   intense) by exact natural breaks, quantiles or equal intervals, through
   :func:`regionkit.ecology.overlay.grade`; ``−1`` outside the mask.
2. :func:`ecological_elements` — one element code per cell: ``0`` = no
   ecological element, then one code per source grade (the first grade of
   ``grade_order`` is the most important) and one per corridor type (the
   first of ``type_order`` is the most important); ``−1`` outside the mask.
   **Precedence:** a cell of a source patch is a source whatever corridor
   crosses it (corridors start and end inside sources); where corridors of
   different types overlap, the most important type wins.  A corridor line
   covers every cell it passes through; with ``corridor_buffer_m = b > 0`` it
   also covers every cell whose centre lies within ``b`` of the line (a
   corridor of width ``2b``).
3. :func:`conflict_zones` — the zone code of a cell is
   ``element_code · k + activity_class`` (``−1`` where either is missing), so
   every combination of an ecological element and an activity class is one
   zone type.  :class:`ConflictRules` say which combinations are conflicts and
   how severe (:func:`default_rules`).
4. :func:`zonal_conflicts` — the area of every zone type per administrative
   unit (city or county polygons; a cell belongs to a unit when its centre
   lies inside the polygon, so units that tile the study area share its cells
   out exactly).
5. :func:`corridor_crossings` — for every corridor line, its length inside
   each activity class, computed geometrically with shapely on the class
   polygons (the union of the cells of a class), hence exact for the
   polygonised classes.  A piece of line lying on the border between two
   classes is counted once, in the more intense class; the part outside
   every class (nodata) is reported too, so the parts add up to the length.
6. :func:`most_conflicted_corridors` and :func:`most_conflicted_sources` —
   rankings by the length (area) in conflict.

Lengths are reported in km and areas in km²; coordinates must be projected
(the CRS unit is converted to metres; without a CRS metres are assumed).

Default rules (:func:`default_rules`, severities ``minor < moderate < severe``):

* **severe** — the most important source grade and the most important
  corridor type × the most intense activity class;
* **moderate** — any source or corridor × the most intense activity class;
* **minor** — any source or corridor × the second most intense class (when
  ``k >= 3``).

A zone type takes the highest severity among the rules that match it.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._checks import check_option
from ..errors import InputError
from ._arrays import as_layer as _as_layer

__all__ = [
    "DEFAULT_SEVERITIES",
    "ActivityClasses",
    "ActivityMethod",
    "ConflictRule",
    "ConflictRules",
    "ConflictZones",
    "CorridorCrossings",
    "EcologicalElements",
    "ElementKind",
    "ZonalConflicts",
    "classify_activity",
    "conflict_rules",
    "conflict_zones",
    "corridor_crossings",
    "default_activity_labels",
    "default_rules",
    "ecological_elements",
    "most_conflicted_corridors",
    "most_conflicted_sources",
    "zonal_conflicts",
]

ActivityMethod = Literal["natural_breaks", "quantiles", "equal_interval"]
ElementKind = Literal["source", "corridor"]

NODATA = -1
NO_ELEMENT = "no ecological element"
DEFAULT_SEVERITIES: tuple[str, ...] = ("minor", "moderate", "severe")
_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_LABELS = {
    2: ("low", "high"),
    3: ("low", "medium", "high"),
    4: ("low", "medium-low", "medium-high", "high"),
    5: ("very low", "low", "medium", "high", "very high"),
}


# ---------------------------------------------------------------- small helpers

def _label(value: Any) -> str:
    """A class label as text: integral numbers without a decimal point (``1.0`` → ``"1"``)."""
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _default_order(values: Iterable[Any]) -> tuple[str, ...]:
    vals = list(dict.fromkeys(_label(v) for v in values))
    if all(v.lstrip("-").isdigit() for v in vals):
        return tuple(sorted(vals, key=int))
    if all(v in _ROMAN for v in vals):
        return tuple(sorted(vals, key=_ROMAN.index))
    return tuple(sorted(vals))


def _metres_per_unit(crs: Any, what: str) -> float:
    """Metres per CRS unit; InputError for a geographic CRS; 1 without a CRS."""
    if crs is None:
        return 1.0
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if c.is_geographic:
        raise InputError(f"{what}: CRS {c.name} is geographic (degrees); lengths and areas need a projected "
                         "CRS in metres — reproject first")
    factor = c.axis_info[0].unit_conversion_factor if c.axis_info else 1.0
    return float(factor or 1.0)


def _cell_area_m2(transform: Any, crs: Any, what: str) -> float:
    det = abs(transform.a * transform.e - transform.b * transform.d)
    if not det > 0:
        raise InputError(f"{what}: the transform {transform!r} has zero cell area")
    return det * _metres_per_unit(crs, what) ** 2


def _check_transform(transform: Any, what: str) -> Any:
    if transform is None or not all(hasattr(transform, k) for k in ("a", "b", "c", "d", "e", "f")):
        raise InputError(f"{what}: transform must be an affine.Affine pixel-to-CRS transform, got {transform!r}")
    return transform


def _check_mask(mask: ArrayLike | None, shape: tuple[int, int], what: str) -> np.ndarray:
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = np.asarray(mask)
    if m.shape != shape:
        raise InputError(f"mask has shape {m.shape} but {what} has shape {shape}")
    if m.dtype != bool:
        raise InputError(f"mask must be a boolean array (True = inside the study area), got dtype {m.dtype}")
    return m.copy()


def _same_crs(a: Any, b: Any) -> bool:
    from pyproj import CRS

    return CRS.from_user_input(a) == CRS.from_user_input(b)


def _to_crs(frame, crs: Any, what: str):
    """The frame in ``crs`` (a copy when reprojected); InputError when the frame has no CRS but one is needed."""
    if crs is None:
        return frame
    if frame.crs is None:
        raise InputError(f"{what}: the layer has no CRS (the grid is in {crs}); set one with set_crs")
    return frame if _same_crs(frame.crs, crs) else frame.to_crs(crs)


def _polygons_by_value(raster: np.ndarray, transform: Any, crs: Any, values: Sequence[int]) -> list:
    """One (multi)polygon per value of an integer raster (cells of value < 0 are left out)."""
    import shapely
    from rasterio import features
    from shapely.geometry import shape

    parts: dict[int, list] = {}
    data = raster.astype(np.int32)
    for geom, value in features.shapes(data, mask=data >= 0, transform=transform, connectivity=4):
        parts.setdefault(int(value), []).append(shape(geom))
    empty = shapely.from_wkt("POLYGON EMPTY")
    return [shapely.union_all(parts[v]) if v in parts else empty for v in values]


# ---------------------------------------------------------------- activity classes

def default_activity_labels(k: int) -> tuple[str, ...]:
    """Labels of ``k`` activity classes, least to most intense.

    Examples
    --------
    >>> default_activity_labels(3)
    ('low', 'medium', 'high')
    >>> default_activity_labels(6)
    ('class 1', 'class 2', 'class 3', 'class 4', 'class 5', 'class 6')
    """
    if not isinstance(k, numbers.Integral) or k < 2:
        raise InputError(f"k={k!r} must be an integer >= 2")
    return _LABELS.get(int(k), tuple(f"class {i}" for i in range(1, int(k) + 1)))


@dataclass(frozen=True, eq=False)
class ActivityClasses:
    """Result of :func:`classify_activity`.

    Attributes
    ----------
    classes : numpy.ndarray
        Class of every cell (int16): ``0`` (least intense) … ``k−1`` (most
        intense); ``−1`` outside the mask or where the surface is missing.
    labels : tuple of str
        Label of each class, least to most intense.
    breaks : numpy.ndarray
        Upper bound of each class (``k`` floats); class ``c`` holds the values
        ``breaks[c−1] < x <= breaks[c]``.
    counts : numpy.ndarray
        Cells per class.
    method : str
    gvf : float
        Goodness of variance fit of the classes.
    transform, crs : optional
        Georeferencing (needed by :meth:`polygons`).
    """

    classes: np.ndarray = field(repr=False)
    labels: tuple[str, ...]
    breaks: np.ndarray
    counts: np.ndarray
    method: str
    gvf: float
    transform: Any = None
    crs: Any = None

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.labels)

    def to_frame(self) -> pd.DataFrame:
        """One row per class: label, lower and upper bound, cells and share."""
        lower = np.concatenate([[np.nan], self.breaks[:-1]])
        total = int(self.counts.sum())
        return pd.DataFrame({
            "class": np.arange(self.k),
            "label": list(self.labels),
            "lower": lower,
            "upper": self.breaks,
            "cells": self.counts,
            "share": self.counts / total if total else np.zeros(self.k),
        })

    def summary(self) -> str:
        """Method, breaks and cell counts per class."""
        rows = [f"  {lab}: <= {b:.6g} ({int(c)} cells)"
                for lab, b, c in zip(self.labels, self.breaks, self.counts, strict=True)]
        head = f"{self.k} activity classes by {self.method.replace('_', ' ')}, GVF {self.gvf:.4f}"
        return "\n".join([head, *rows])

    def polygons(self, transform: Any = None, crs: Any = None):
        """The classes as a GeoDataFrame: ``class``, ``label`` and one (multi)polygon per class.

        Parameters
        ----------
        transform : affine.Affine, optional
            Default: the transform given to :func:`classify_activity`.
        crs : optional
            Default: the CRS given to :func:`classify_activity`.
        """
        import geopandas as gpd

        t = self.transform if transform is None else transform
        _check_transform(t, "activity classes")
        geoms = _polygons_by_value(self.classes, t, None, range(self.k))
        return gpd.GeoDataFrame({"class": np.arange(self.k), "label": list(self.labels)}, geometry=geoms,
                                crs=self.crs if crs is None else crs)


def classify_activity(
    surface: ArrayLike,
    *,
    k: int = 3,
    method: ActivityMethod = "natural_breaks",
    labels: Sequence[str] | None = None,
    mask: ArrayLike | None = None,
    transform: Any = None,
    crs: Any = None,
) -> ActivityClasses:
    """Classify an economic activity surface (e.g. a kernel density of firms) into ``k`` classes.

    The grading is :func:`regionkit.ecology.overlay.grade` (exact Fisher–Jenks
    natural breaks over every valid cell, quantiles or equal intervals); its
    grades ``1 … k`` become classes ``0 … k−1``.

    Parameters
    ----------
    surface : array-like, 2-D
        Activity values; NaN and infinite cells are missing.
    k : int, default 3, keyword-only
        Number of classes.
    method : {"natural_breaks", "quantiles", "equal_interval"}, keyword-only
    labels : sequence of str, optional, keyword-only
        ``k`` distinct labels, least to most intense (default
        :func:`default_activity_labels`: low, medium, high for ``k = 3``).
    mask : array-like of bool, optional, keyword-only
        True inside the study area; cells outside get class ``−1``.
    transform, crs : optional, keyword-only
        Georeferencing of the surface (for :meth:`ActivityClasses.polygons`).

    Returns
    -------
    ActivityClasses

    Raises
    ------
    InputError
        Not 2-D; a mask of another shape; an unknown method; labels not
        ``k`` distinct strings; fewer than ``k`` distinct values (or fewer
        than ``k`` quantile classes because of ties).

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[0.0, 0.1, 0.2], [5.0, 5.5, 20.0], [21.0, np.nan, 0.0]])
    >>> act = classify_activity(s, k=3)
    >>> act.classes
    array([[ 0,  0,  0],
           [ 1,  1,  2],
           [ 2, -1,  0]], dtype=int16)
    >>> act.labels, act.counts.tolist()
    (('low', 'medium', 'high'), [4, 2, 2])
    """
    from .overlay import grade

    check_option("method", method, ActivityMethod)
    array = _as_layer(surface, "activity surface")
    labs = default_activity_labels(k) if labels is None else tuple(labels)
    if len(labs) != k or len(set(labs)) != k or not all(isinstance(x, str) and x for x in labs):
        raise InputError(f"labels: give {k} distinct non-empty labels (one per class, least to most intense), "
                         f"got {list(labs)}")
    inside = _check_mask(mask, array.shape, "the activity surface")
    values = np.where(inside, array.astype(np.float64), np.nan)
    if not np.isfinite(values).any():
        raise InputError("activity surface has no valid cell inside the mask")
    try:
        g = grade(values, k=k, method=method)
    except InputError as exc:
        raise InputError(f"activity surface: {exc}") from exc
    if g.k != k:
        raise InputError(f"activity surface: {method} gives only {g.k} distinct classes for k={k} (tied values); "
                         "use natural_breaks or a smaller k")
    classes = (g.grades.astype(np.int16) - 1).astype(np.int16)
    classes.flags.writeable = False
    return ActivityClasses(classes=classes, labels=labs, breaks=g.breaks, counts=g.counts, method=method,
                           gvf=g.gvf, transform=transform, crs=crs)


# ---------------------------------------------------------------- ecological elements

@dataclass(frozen=True, eq=False)
class EcologicalElements:
    """Result of :func:`ecological_elements`.

    Attributes
    ----------
    codes : numpy.ndarray
        Element code of every cell (int16): ``0`` no element, ``1 …`` see
        :attr:`table`; ``−1`` outside the mask.
    table : pandas.DataFrame
        One row per code: ``code``, ``kind`` (``"none"``, ``"source"`` or
        ``"corridor"``), ``class`` (grade or type label), ``element`` (a
        readable label), ``cells`` and ``area_km2``.  Every declared grade and
        type has a row, also when no cell has it.
    source_labels : numpy.ndarray
        Source patch id of every source cell (int64, 0 elsewhere).
    source_grades : dict of int to str
        Grade label of every source patch.
    grade_order, type_order : tuple of str
        Declared source grades and corridor types, most important first.
    transform, crs : georeferencing
    cell_area_m2 : float
    corridor_buffer_m : float
    """

    codes: np.ndarray = field(repr=False)
    table: pd.DataFrame
    source_labels: np.ndarray = field(repr=False)
    source_grades: dict[int, str]
    grade_order: tuple[str, ...]
    type_order: tuple[str, ...]
    transform: Any
    crs: Any
    cell_area_m2: float
    corridor_buffer_m: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return tuple(self.codes.shape)  # type: ignore[return-value]

    def code_of(self, kind: str, cls: Any) -> int:
        """The code of a source grade or corridor type."""
        t = self.table
        row = t[(t["kind"] == kind) & (t["class"] == _label(cls))]
        if row.empty:
            known = ", ".join(f"{k}:{c}" for k, c in zip(t["kind"], t["class"], strict=True) if k != "none")
            raise InputError(f"no ecological element {kind}:{_label(cls)}; elements: {known}")
        return int(row["code"].iloc[0])

    def to_frame(self) -> pd.DataFrame:
        """The code table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Area of every element."""
        rows = [f"  {r.code}: {r.element} ({r.cells} cells, {r.area_km2:.6g} km²)"
                for r in self.table.itertuples(index=False)]
        buf = f", corridor buffer {self.corridor_buffer_m:g} m" if self.corridor_buffer_m else ""
        return "\n".join([f"ecological elements on {self.shape[0]} × {self.shape[1]} cells{buf}", *rows])


def _source_part(sources: ArrayLike, shape: tuple[int, int], source_grades, grade_order):
    arr = np.asarray(sources)
    if arr.shape != shape:
        raise InputError(f"sources has shape {arr.shape} but the grid has shape {shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise InputError(f"sources must hold integer patch ids (0 or NaN = no source), got dtype {arr.dtype}")
    vals = np.nan_to_num(arr.astype(np.float64), nan=0.0)
    bad = (vals != np.round(vals)) | (vals < 0)
    if bad.any():
        from ._arrays import cells_text

        raise InputError(f"sources must hold integer patch ids >= 0; bad cell(s) {cells_text(bad, vals)}")
    labels = vals.astype(np.int64)
    ids = np.unique(labels[labels > 0]).tolist()
    if source_grades is None:
        grades = dict.fromkeys(ids, "all")
    else:
        if not isinstance(source_grades, Mapping):
            raise InputError("source_grades must be a mapping source id -> grade label")
        grades = {int(k): _label(v) for k, v in source_grades.items()}
        missing = [i for i in ids if i not in grades]
        if missing:
            raise InputError(f"source_grades: no grade for source id(s) {missing[:10]}"
                             + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
        grades = {i: grades[i] for i in ids}
    order = _default_order(grades.values()) if grade_order is None else tuple(_label(g) for g in grade_order)
    if len(set(order)) != len(order):
        raise InputError(f"grade_order repeats a grade: {list(order)}")
    unknown = sorted(set(grades.values()) - set(order))
    if unknown:
        raise InputError(f"source_grades: grade(s) {unknown} not in grade_order {list(order)}")
    return labels, grades, order


def _corridor_masks(corridors, shape, transform, crs, type_col, type_order, buffer_m):
    """``{type: bool mask}`` and the declared type order."""
    if isinstance(corridors, Mapping):
        if buffer_m:
            raise InputError("corridor_buffer_m applies to corridor lines, not to corridor masks")
        masks = {}
        for t, m in corridors.items():
            arr = np.asarray(m)
            if arr.shape != shape:
                raise InputError(f"corridors[{t!r}] has shape {arr.shape} but the grid has shape {shape}")
            if arr.dtype != bool:
                raise InputError(f"corridors[{t!r}] must be a boolean mask, got dtype {arr.dtype}")
            masks[_label(t)] = arr
        present = list(masks)
    else:
        from rasterio.features import rasterize

        frame = _check_lines(corridors, type_col, "corridors")
        frame = _to_crs(frame, crs, "corridors")
        present = list(frame[type_col].map(_label).unique())
        masks = {}
        per_m = _metres_per_unit(crs, "corridors")
        for t in present:
            geoms = [g for g in frame.geometry[frame[type_col].map(_label) == t] if not g.is_empty]
            m = np.zeros(shape, dtype=bool)
            if geoms:
                m |= rasterize([(g, 1) for g in geoms], out_shape=shape, transform=transform, fill=0,
                               all_touched=True, dtype="uint8").astype(bool)
                if buffer_m:
                    polys = [g.buffer(buffer_m / per_m) for g in geoms]
                    m |= rasterize([(p, 1) for p in polys], out_shape=shape, transform=transform, fill=0,
                                   all_touched=False, dtype="uint8").astype(bool)
            masks[t] = m
    order = _default_order(present) if type_order is None else tuple(_label(t) for t in type_order)
    if len(set(order)) != len(order):
        raise InputError(f"type_order repeats a type: {list(order)}")
    unknown = sorted(set(present) - set(order))
    if unknown:
        raise InputError(f"corridors: type(s) {unknown} not in type_order {list(order)}")
    return masks, order


def _check_lines(lines, type_col: str | None, what: str):
    import geopandas as gpd

    if not isinstance(lines, gpd.GeoDataFrame):
        raise InputError(f"{what} must be a GeoDataFrame of lines, got {type(lines).__name__}")
    if type_col is not None and type_col not in lines.columns:
        raise InputError(f"{what}: no type column {type_col!r}; columns present: "
                         f"{', '.join(str(c) for c in lines.columns if c != lines.geometry.name)}")
    kinds = lines.geometry.geom_type
    bad = ~kinds.isin(["LineString", "MultiLineString"]) | lines.geometry.isna()
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())[:10].tolist()
        raise InputError(f"{what}: row(s) {rows} are not LineString/MultiLineString geometries "
                         f"({', '.join(map(str, kinds[bad].unique()[:5]))})")
    if type_col is not None and lines[type_col].isna().any():
        rows = np.flatnonzero(lines[type_col].isna().to_numpy())[:10].tolist()
        raise InputError(f"{what}: row(s) {rows} have no {type_col!r}")
    return lines


def ecological_elements(
    shape: tuple[int, int],
    *,
    transform: Any,
    crs: Any = None,
    sources: ArrayLike | None = None,
    source_grades: Mapping[int, Any] | None = None,
    grade_order: Sequence[Any] | None = None,
    corridors: Any = None,
    type_col: str = "type",
    type_order: Sequence[Any] | None = None,
    corridor_buffer_m: float = 0.0,
    mask: ArrayLike | None = None,
) -> EcologicalElements:
    """Rasterise the ecological security pattern: one element code per cell (see the module notes).

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the grid.
    transform : affine.Affine, keyword-only
        Pixel-to-CRS transform of the grid.
    crs : optional, keyword-only
        CRS of the grid (projected); corridor lines in another CRS are reprojected.
    sources : array-like of int, optional, keyword-only
        Source patch ids (0 or NaN = no source), e.g.
        :attr:`~regionkit.ecology.sources.SourcesResult.labels`.
    source_grades : mapping id -> label, optional, keyword-only
        Importance grade of every patch (e.g. ``1 … 3`` from dPC, or
        ``"I"/"II"/"III"``); default: one grade ``"all"``.
    grade_order : sequence, optional, keyword-only
        Every grade, most important first (default: the grades present,
        numbers ascending, Roman numerals in order).  Declared grades get a
        code even when no patch has them.
    corridors : GeoDataFrame or mapping of type -> bool array, optional, keyword-only
        Corridor lines with a type column (e.g.
        :meth:`~regionkit.ecology.linkages.CorridorNetwork.lines`), or one
        boolean raster per corridor type.
    type_col : str, default "type", keyword-only
        The type column of the lines.
    type_order : sequence, optional, keyword-only
        Every corridor type, most important first (default: the types present,
        ``I, II, III`` in order).
    corridor_buffer_m : float, default 0, keyword-only
        Cells whose centre lies within this distance (metres) of a line are
        corridor cells too.
    mask : array-like of bool, optional, keyword-only
        True inside the study area; code ``−1`` outside.

    Returns
    -------
    EcologicalElements

    Raises
    ------
    InputError
        Shapes that differ; non-integer patch ids; a patch without a grade;
        grades or types outside the declared order; lines without the type
        column or a type, non-line geometries; lines without CRS on a grid
        with one; a negative buffer; a geographic CRS.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> src = np.zeros((3, 5), dtype=int)
    >>> src[1, 0], src[1, 4] = 1, 2
    >>> line = gpd.GeoDataFrame({"type": ["I"]}, geometry=[LineString([(50, 150), (450, 150)])])
    >>> el = ecological_elements((3, 5), transform=Affine(100, 0, 0, 0, -100, 300), sources=src,
    ...                          source_grades={1: 1, 2: 2}, corridors=line)
    >>> el.codes
    array([[0, 0, 0, 0, 0],
           [1, 3, 3, 3, 2],
           [0, 0, 0, 0, 0]], dtype=int16)
    >>> el.table[["code", "kind", "class", "element", "cells"]].values.tolist()
    [[0, 'none', '', 'no ecological element', 10], [1, 'source', '1', 'source grade 1', 1], \
[2, 'source', '2', 'source grade 2', 1], [3, 'corridor', 'I', 'corridor type I', 3]]
    """
    if (not isinstance(shape, Sequence) or len(shape) != 2
            or not all(isinstance(s, numbers.Integral) and s > 0 for s in shape)):
        raise InputError(f"shape={shape!r} must be two positive integers (rows, columns)")
    shape = (int(shape[0]), int(shape[1]))
    transform = _check_transform(transform, "ecological elements")
    cell_m2 = _cell_area_m2(transform, crs, "ecological elements")
    if not (np.isfinite(corridor_buffer_m) and corridor_buffer_m >= 0):
        raise InputError(f"corridor_buffer_m={corridor_buffer_m!r} must be a finite number >= 0")
    inside = _check_mask(mask, shape, "the grid")
    if sources is not None:
        labels, grades, gorder = _source_part(sources, shape, source_grades, grade_order)
    else:
        if source_grades is not None:
            raise InputError("source_grades given without sources")
        labels, grades = np.zeros(shape, dtype=np.int64), {}
        gorder = () if grade_order is None else tuple(_label(g) for g in grade_order)
    if corridors is not None:
        masks, torder = _corridor_masks(corridors, shape, transform, crs, type_col, type_order,
                                        float(corridor_buffer_m))
    else:
        masks, torder = {}, () if type_order is None else tuple(_label(t) for t in type_order)

    rows = [{"code": 0, "kind": "none", "class": "", "element": NO_ELEMENT}]
    rows += [{"code": i + 1, "kind": "source", "class": g, "element": f"source grade {g}"}
             for i, g in enumerate(gorder)]
    rows += [{"code": len(gorder) + i + 1, "kind": "corridor", "class": t, "element": f"corridor type {t}"}
             for i, t in enumerate(torder)]
    if len(rows) > np.iinfo(np.int16).max:
        raise InputError(f"{len(rows)} element codes: too many grades and types")
    codes = np.zeros(shape, dtype=np.int16)
    for i, t in reversed(list(enumerate(torder))):  # the most important type is burnt last
        if t in masks:
            codes[masks[t]] = len(gorder) + i + 1
    if grades:
        lut = np.zeros(int(labels.max()) + 1, dtype=np.int16)
        for pid, g in grades.items():
            lut[pid] = gorder.index(g) + 1
        is_src = labels > 0
        codes[is_src] = lut[labels[is_src]]
    codes[~inside] = NODATA
    src_labels = np.where(inside, labels, 0)
    table = pd.DataFrame(rows)
    counts = np.bincount(codes[codes >= 0].ravel(), minlength=len(rows))
    table["cells"] = counts.astype(np.int64)
    table["area_km2"] = counts * cell_m2 / 1e6
    codes.flags.writeable = False
    src_labels.flags.writeable = False
    return EcologicalElements(codes=codes, table=table, source_labels=src_labels, source_grades=dict(grades),
                              grade_order=gorder, type_order=torder, transform=transform, crs=crs,
                              cell_area_m2=cell_m2, corridor_buffer_m=float(corridor_buffer_m))


# ---------------------------------------------------------------- rules

def _parse_selector(selector: Any) -> tuple[str, str | None]:
    if not isinstance(selector, str) or not selector:
        raise ValueError(f"element {selector!r} must be 'source', 'corridor', 'source:<grade>' or "
                         "'corridor:<type>'")
    kind, _, cls = selector.partition(":")
    kind = kind.strip()
    if kind not in ("source", "corridor"):
        raise ValueError(f"element {selector!r}: kind {kind!r} is not allowed; choose 'source' or 'corridor' "
                         "(optionally with ':<grade>' or ':<type>')")
    cls = cls.strip()
    if _ and not cls:
        raise ValueError(f"element {selector!r}: nothing after ':'")
    return kind, (cls or None)


@dataclass(frozen=True)
class ConflictRule:
    """One rule: an ecological element selector × activity classes → a severity.

    Attributes
    ----------
    element : str
        ``"source"`` or ``"corridor"`` (every grade / type), or
        ``"source:<grade>"`` / ``"corridor:<type>"`` (one grade / type).
    activity : tuple of str
        Activity class labels that count as a conflict with the element.
    severity : str
        One of the severities of the :class:`ConflictRules`.
    """

    element: str
    activity: tuple[str, ...]
    severity: str

    @property
    def kind(self) -> str:
        """``"source"`` or ``"corridor"``."""
        return _parse_selector(self.element)[0]

    @property
    def cls(self) -> str | None:
        """The grade or type, or None for every one."""
        return _parse_selector(self.element)[1]

    def matches(self, kind: str, cls: str, activity: str) -> bool:
        """Whether the rule covers an element of ``kind``/``cls`` on activity class ``activity``."""
        k, c = _parse_selector(self.element)
        return k == kind and (c is None or c == _label(cls)) and activity in self.activity


@dataclass(frozen=True)
class ConflictRules:
    """Which element × activity combinations are conflicts, and how severe.

    Attributes
    ----------
    rules : tuple of ConflictRule
    severities : tuple of str
        Severity levels, least to most severe; a combination takes the most
        severe level among the rules that match it (none: no conflict).

    Examples
    --------
    >>> r = conflict_rules([{"element": "source", "activity": ["high"], "severity": "moderate"},
    ...                     {"element": "source:1", "activity": ["high"]}])
    >>> r.severity_of("source", "1", "high"), r.severity_of("source", "2", "high"), r.severity_of("source", "1", "low")
    ('severe', 'moderate', None)
    """

    rules: tuple[ConflictRule, ...]
    severities: tuple[str, ...] = DEFAULT_SEVERITIES

    def level(self, kind: str, cls: Any, activity: str) -> int:
        """``0`` (no conflict) or ``1 … len(severities)`` (the most severe matching rule)."""
        levels = [self.severities.index(r.severity) + 1 for r in self.rules if r.matches(kind, _label(cls), activity)]
        return max(levels, default=0)

    def severity_of(self, kind: str, cls: Any, activity: str) -> str | None:
        """The severity of a combination, or None when it is no conflict."""
        lev = self.level(kind, cls, activity)
        return self.severities[lev - 1] if lev else None

    def check(self, elements: EcologicalElements, labels: Sequence[str]) -> None:
        """Raise one :class:`InputError` naming every rule whose activity class or element is unknown."""
        problems = []
        declared = {"source": elements.grade_order, "corridor": elements.type_order}
        for i, r in enumerate(self.rules):
            bad = [a for a in r.activity if a not in labels]
            if bad:
                problems.append(f"rules[{i}].activity: {', '.join(map(repr, bad))} "
                                f"{'is not an activity class' if len(bad) == 1 else 'are not activity classes'}; "
                                f"classes: {', '.join(map(repr, labels))}")
            kind, cls = _parse_selector(r.element)
            if cls is not None and cls not in declared[kind]:
                known = [f"{k}:{c}" for k in ("source", "corridor") for c in declared[k]]
                problems.append(f"rules[{i}].element: {r.element!r} matches no ecological element; elements: "
                                f"{', '.join(map(repr, ['source', 'corridor', *known]))}")
        if problems:
            raise InputError("conflict rules: " + "; ".join(problems))

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: element, activity classes and severity."""
        return pd.DataFrame({"element": [r.element for r in self.rules],
                             "activity": [", ".join(r.activity) for r in self.rules],
                             "severity": [r.severity for r in self.rules]})

    def summary(self) -> str:
        """One line per rule."""
        lines = [f"{len(self.rules)} conflict rule(s), severities {' < '.join(self.severities)}"]
        lines += [f"  {r.element} × {{{', '.join(r.activity)}}} → {r.severity}" for r in self.rules]
        return "\n".join(lines)


def conflict_rules(
    rules: Iterable[ConflictRule | Mapping[str, Any]],
    *,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> ConflictRules:
    """Build and check :class:`ConflictRules` from rule objects or mappings.

    Parameters
    ----------
    rules : iterable of ConflictRule or mapping
        Mappings with ``element`` (see :class:`ConflictRule`), ``activity``
        (a label or a list of labels) and optionally ``severity`` (default:
        the most severe level).
    severities : sequence of str, keyword-only
        Severity levels, least to most severe (distinct).

    Raises
    ------
    InputError
        Listing every bad rule: an unknown element kind, no activity class,
        a severity not among ``severities``, an unknown key.
    """
    sev = tuple(severities)
    if not sev or len(set(sev)) != len(sev) or not all(isinstance(s, str) and s for s in sev):
        raise InputError(f"severities must be distinct non-empty labels, least to most severe; got {list(sev)}")
    out: list[ConflictRule] = []
    problems: list[str] = []
    for i, r in enumerate(rules):
        if isinstance(r, ConflictRule):
            element, activity, severity = r.element, r.activity, r.severity
        elif isinstance(r, Mapping):
            extra = sorted(set(r) - {"element", "activity", "severity"})
            if extra:
                problems.append(f"rules[{i}]: unknown key(s) {extra}; keys: element, activity, severity")
            element, activity, severity = r.get("element"), r.get("activity"), r.get("severity")
        else:
            problems.append(f"rules[{i}]: a rule is a mapping with element, activity and severity")
            continue
        try:
            _parse_selector(element)
        except ValueError as exc:
            problems.append(f"rules[{i}].element: {exc}")
        acts = (activity,) if isinstance(activity, str) else tuple(activity or ())
        if not acts or not all(isinstance(a, str) and a for a in acts):
            problems.append(f"rules[{i}].activity: give one or more activity class labels, got {activity!r}")
        if severity is None:
            severity = sev[-1]
        if severity not in sev:
            problems.append(f"rules[{i}].severity: {severity!r} is not a severity; severities: "
                            f"{', '.join(map(repr, sev))}")
        out.append(ConflictRule(str(element), acts, str(severity)))
    if problems:
        raise InputError("conflict rules: " + "; ".join(problems))
    return ConflictRules(tuple(out), sev)


def default_rules(elements: EcologicalElements, labels: Sequence[str]) -> ConflictRules:
    """The default rules of the module notes for these elements and activity labels.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> el = ecological_elements((1, 2), transform=Affine(1, 0, 0, 0, -1, 1), sources=np.array([[1, 2]]),
    ...                          source_grades={1: 1, 2: 2})
    >>> print(default_rules(el, ("low", "medium", "high")).summary())
    3 conflict rule(s), severities minor < moderate < severe
      source × {medium} → minor
      source × {high} → moderate
      source:1 × {high} → severe
    """
    labels = tuple(labels)
    if len(labels) < 2:
        raise InputError("default rules need at least two activity classes")
    top, second = labels[-1], labels[-2]
    kinds = [k for k, order in (("source", elements.grade_order), ("corridor", elements.type_order)) if order]
    rules: list[ConflictRule] = []
    if len(labels) >= 3:
        rules += [ConflictRule(k, (second,), "minor") for k in kinds]
    rules += [ConflictRule(k, (top,), "moderate") for k in kinds]
    if elements.grade_order:
        rules.append(ConflictRule(f"source:{elements.grade_order[0]}", (top,), "severe"))
    if elements.type_order:
        rules.append(ConflictRule(f"corridor:{elements.type_order[0]}", (top,), "severe"))
    return ConflictRules(tuple(rules), DEFAULT_SEVERITIES)


# ---------------------------------------------------------------- conflict zones

@dataclass(frozen=True, eq=False)
class ConflictZones:
    """Result of :func:`conflict_zones`.

    Attributes
    ----------
    zones : numpy.ndarray
        Zone code of every cell (int32): ``element_code · k + activity_class``;
        ``−1`` where the element or the activity class is missing.
    types : pandas.DataFrame
        One row per zone type (every element × every activity class):
        ``code``, ``element_code``, ``kind``, ``element_class``, ``element``,
        ``activity_class``, ``activity``, ``type`` (``"<element> × <activity>"``),
        ``severity`` (``"none"`` when no rule matches), ``level`` (0 = none),
        ``conflict``, ``cells``, ``area_km2``, ``share`` (of the mapped area)
        and ``share_of_element``.
    elements : EcologicalElements
    activity : ActivityClasses
    rules : ConflictRules
    cell_area_m2 : float
    """

    zones: np.ndarray = field(repr=False)
    types: pd.DataFrame
    elements: EcologicalElements
    activity: ActivityClasses
    rules: ConflictRules
    cell_area_m2: float

    @property
    def transform(self) -> Any:
        """Pixel-to-CRS transform of the zones."""
        return self.elements.transform

    @property
    def crs(self) -> Any:
        """CRS of the zones."""
        return self.elements.crs

    @property
    def k(self) -> int:
        """Number of activity classes."""
        return self.activity.k

    def severity_raster(self) -> np.ndarray:
        """Severity level of every cell (int8): 0 no conflict, ``1 …`` the severities; −1 missing."""
        lut = self.types.sort_values("code")["level"].to_numpy(dtype=np.int8)
        out = np.full(self.zones.shape, -1, dtype=np.int8)
        ok = self.zones >= 0
        out[ok] = lut[self.zones[ok]]
        return out

    def conflict_mask(self) -> np.ndarray:
        """True on the cells of a conflict zone."""
        return self.severity_raster() > 0

    def to_frame(self) -> pd.DataFrame:
        """The zone type table (a copy)."""
        return self.types.copy()

    def by_severity(self) -> pd.DataFrame:
        """Area per severity (``none`` first), with its share of the mapped area."""
        t = self.types
        names = ["none", *self.rules.severities]
        cells = [int(t.loc[t["level"] == i, "cells"].sum()) for i in range(len(names))]
        total = max(sum(cells), 1)
        return pd.DataFrame({"severity": names, "level": range(len(names)), "cells": cells,
                             "area_km2": [c * self.cell_area_m2 / 1e6 for c in cells],
                             "share": [c / total for c in cells]})

    def summary(self) -> str:
        """Mapped area, conflict area and the area of each severity."""
        t = self.types
        total = float(t["area_km2"].sum())
        conflict = float(t.loc[t["conflict"], "area_km2"].sum())
        share = conflict / total if total else float("nan")
        lines = [f"conflict zones: {conflict:.6g} of {total:.6g} km² ({share:.1%}) in conflict, "
                 f"{int(t['conflict'].sum())} conflict type(s) of {len(t)}"]
        for r in self.by_severity().itertuples(index=False):
            lines.append(f"  {r.severity}: {r.area_km2:.6g} km² ({r.share:.1%})")
        return "\n".join(lines)

    def polygons(self, *, conflict_only: bool = False):
        """Zones as a GeoDataFrame, dissolved per zone type (one (multi)polygon each).

        Parameters
        ----------
        conflict_only : bool, default False, keyword-only
            Keep only the conflict types.
        """
        import geopandas as gpd

        t = self.types[self.types["cells"] > 0]
        if conflict_only:
            t = t[t["conflict"]]
        codes = t["code"].tolist()
        zones = self.zones if not conflict_only else np.where(self.conflict_mask(), self.zones, -1)
        geoms = _polygons_by_value(zones, self.transform, self.crs, codes)
        cols = ["code", "type", "kind", "element", "activity", "severity", "level", "conflict", "cells", "area_km2"]
        return gpd.GeoDataFrame(t[cols].reset_index(drop=True), geometry=geoms, crs=self.crs)


def conflict_zones(
    elements: EcologicalElements,
    activity: ActivityClasses,
    *,
    rules: ConflictRules | Iterable[Mapping[str, Any]] | None = None,
    cell_area_m2: float | None = None,
) -> ConflictZones:
    """Overlay the ecological elements with the activity classes (see the module notes).

    Parameters
    ----------
    elements : EcologicalElements
    activity : ActivityClasses
        On the same grid.
    rules : ConflictRules or iterable of mappings, optional, keyword-only
        Default :func:`default_rules`; mappings go through :func:`conflict_rules`.
    cell_area_m2 : float, optional, keyword-only
        Default: the cell area of the elements' grid.

    Returns
    -------
    ConflictZones

    Raises
    ------
    InputError
        Grids of different shapes; rules naming an unknown activity class or
        element (every one listed); a non-positive cell area.

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> t = Affine(1000, 0, 0, 0, -1000, 2000)
    >>> el = ecological_elements((2, 2), transform=t, sources=np.array([[1, 0], [2, 0]]),
    ...                          source_grades={1: 1, 2: 2})
    >>> act = classify_activity(np.array([[9.0, 9.0], [1.0, 5.0]]), k=3)
    >>> z = conflict_zones(el, act)
    >>> z.zones
    array([[5, 2],
           [6, 1]], dtype=int32)
    >>> z.types.loc[z.types["cells"] > 0, ["type", "severity", "area_km2"]].values.tolist()
    [['no ecological element × medium', 'none', 1.0], ['no ecological element × high', 'none', 1.0], \
['source grade 1 × high', 'severe', 1.0], ['source grade 2 × low', 'none', 1.0]]
    """
    if not isinstance(elements, EcologicalElements):
        raise InputError(f"elements must be EcologicalElements (ecological_elements), got {type(elements).__name__}")
    if not isinstance(activity, ActivityClasses):
        raise InputError(f"activity must be ActivityClasses (classify_activity), got {type(activity).__name__}")
    if elements.codes.shape != activity.classes.shape:
        raise InputError(f"activity classes have shape {activity.classes.shape} but the ecological elements "
                         f"{elements.codes.shape}; put both on one grid")
    if rules is None:
        rules = default_rules(elements, activity.labels)
    elif not isinstance(rules, ConflictRules):
        rules = conflict_rules(rules)
    rules.check(elements, activity.labels)
    area = elements.cell_area_m2 if cell_area_m2 is None else float(cell_area_m2)
    if not (np.isfinite(area) and area > 0):
        raise InputError(f"cell_area_m2={cell_area_m2!r} must be a positive number")
    k = activity.k
    e = elements.codes.astype(np.int32)
    a = activity.classes.astype(np.int32)
    ok = (e >= 0) & (a >= 0)
    zones = np.where(ok, e * k + a, NODATA).astype(np.int32)
    n_el = len(elements.table)
    counts = np.bincount(zones[ok].ravel(), minlength=n_el * k)
    rows = []
    for er in elements.table.to_dict("records"):
        for c, lab in enumerate(activity.labels):
            lev = 0 if er["kind"] == "none" else rules.level(er["kind"], er["class"], lab)
            rows.append({"code": int(er["code"]) * k + c, "element_code": int(er["code"]), "kind": er["kind"],
                         "element_class": er["class"], "element": er["element"], "activity_class": c,
                         "activity": lab, "type": f"{er['element']} × {lab}",
                         "severity": rules.severities[lev - 1] if lev else "none", "level": lev,
                         "conflict": lev > 0})
    types = pd.DataFrame(rows)
    types["cells"] = counts[types["code"].to_numpy()].astype(np.int64)
    types["area_km2"] = types["cells"] * area / 1e6
    total = int(types["cells"].sum())
    types["share"] = types["cells"] / total if total else 0.0
    per_el = types.groupby("element_code")["cells"].transform("sum")
    types["share_of_element"] = np.where(per_el > 0, types["cells"] / per_el.where(per_el > 0, 1), 0.0)
    zones.flags.writeable = False
    return ConflictZones(zones=zones, types=types, elements=elements, activity=activity, rules=rules,
                         cell_area_m2=area)


# ---------------------------------------------------------------- zonal table per unit

@dataclass(frozen=True, eq=False)
class ZonalConflicts:
    """Result of :func:`zonal_conflicts`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per unit: the id column, ``unit_area_km2`` (polygon area),
        ``grid_area_km2`` (mapped cells whose centre lies in the unit),
        ``conflict_area_km2``, ``conflict_share`` (of ``grid_area_km2``),
        ``<severity>_km2`` per severity and ``<type> (km²)`` per conflict
        type.
    long : pandas.DataFrame
        One row per unit and zone type present: id, ``code``, ``type``,
        ``element``, ``activity``, ``severity``, ``conflict``, ``cells``,
        ``area_km2`` and ``share_of_unit``.
    id_col : str
    outside_km2 : float
        Mapped area whose cells lie in no unit.
    """

    table: pd.DataFrame
    long: pd.DataFrame
    id_col: str
    outside_km2: float

    def to_frame(self) -> pd.DataFrame:
        """The per-unit table (a copy)."""
        return self.table.copy()

    def summary(self) -> str:
        """Units, their conflict area and the most conflicted unit."""
        t = self.table
        if t.empty:
            return "zonal conflicts: no unit"
        best = t.sort_values("conflict_area_km2", ascending=False).iloc[0]
        return (f"zonal conflicts over {len(t)} unit(s): {t['conflict_area_km2'].sum():.6g} km² in conflict of "
                f"{t['grid_area_km2'].sum():.6g} km² mapped ({self.outside_km2:.6g} km² outside every unit); "
                f"most: {best[self.id_col]} ({best['conflict_area_km2']:.6g} km², {best['conflict_share']:.1%})")


def _check_units(units, id_col: str):
    import geopandas as gpd

    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(f"units must be a GeoDataFrame of polygons, got {type(units).__name__}")
    if units.crs is None:
        raise InputError("units: the layer has no CRS; set one with set_crs")
    if id_col not in units.columns:
        raise InputError(f"units: no id column {id_col!r}; columns present: "
                         f"{', '.join(str(c) for c in units.columns if c != units.geometry.name)}")
    ids = units[id_col]
    if ids.isna().any():
        rows = np.flatnonzero(ids.isna().to_numpy())[:10].tolist()
        raise InputError(f"units: column {id_col!r} has missing id(s) at row(s) {rows}")
    dup = ids.duplicated()
    if dup.any():
        raise InputError(f"units: column {id_col!r} repeats id(s) {sorted(map(str, ids[dup].unique()))[:10]}")
    geom = units.geometry
    bad = geom.isna() | geom.is_empty | ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        raise InputError(f"units: unit(s) {[str(i) for i in ids[bad].tolist()[:10]]} have no polygon geometry")


def zonal_conflicts(
    zones: ConflictZones,
    units,
    *,
    id_col: str,
    all_touched: bool = False,
) -> ZonalConflicts:
    """Area of every zone type per administrative unit (city, county polygons).

    A cell belongs to a unit when its centre lies inside the polygon (with
    ``all_touched=True``: when the polygon touches the cell; then a cell can
    count for two neighbouring units).  Each unit is rasterised on its own,
    so overlapping units are each counted in full.

    Parameters
    ----------
    zones : ConflictZones
        With a CRS (the units are reprojected to it).
    units : geopandas.GeoDataFrame
        Polygons with a CRS and a unique id column.
    id_col : str, keyword-only
    all_touched : bool, default False, keyword-only

    Returns
    -------
    ZonalConflicts

    Raises
    ------
    InputError
        Units that are not a GeoDataFrame, without CRS, without the id
        column, with missing or repeated ids, or without polygon geometry
        (naming the units); zones without CRS.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import box
    >>> t = Affine(1000, 0, 0, 0, -1000, 2000)
    >>> el = ecological_elements((2, 2), transform=t, crs="EPSG:32633", sources=np.array([[1, 0], [1, 0]]))
    >>> z = conflict_zones(el, classify_activity(np.array([[9.0, 9.0], [1.0, 1.0]]), k=2))
    >>> units = gpd.GeoDataFrame({"county": ["north", "south"]},
    ...                          geometry=[box(0, 1000, 2000, 2000), box(0, 0, 2000, 1000)], crs="EPSG:32633")
    >>> zonal_conflicts(z, units, id_col="county").table[["county", "grid_area_km2", "conflict_area_km2"]]
      county  grid_area_km2  conflict_area_km2
    0  north            2.0                1.0
    1  south            2.0                0.0
    """
    from rasterio import features

    if not isinstance(zones, ConflictZones):
        raise InputError(f"zones must be ConflictZones (conflict_zones), got {type(zones).__name__}")
    _check_units(units, id_col)
    if zones.crs is None:
        raise InputError("zones have no CRS, so the units cannot be placed on them; give ecological_elements a crs")
    units = _to_crs(units, zones.crs, "units")
    per_m = _metres_per_unit(zones.crs, "units")
    t = zones.transform
    inv = ~t
    nrow, ncol = zones.zones.shape
    types = zones.types.set_index("code")
    n_codes = len(types)
    cell_km2 = zones.cell_area_m2 / 1e6
    covered = np.zeros(zones.zones.shape, dtype=bool)
    ids = units[id_col].tolist()
    counts = np.zeros((len(ids), n_codes), dtype=np.int64)
    for i, geom in enumerate(units.geometry):
        x0, y0, x1, y1 = geom.bounds
        cols, rows = zip(*(inv * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
        r0, c0 = max(int(np.floor(min(rows))) - 1, 0), max(int(np.floor(min(cols))) - 1, 0)
        r1, c1 = min(int(np.ceil(max(rows))) + 1, nrow), min(int(np.ceil(max(cols))) + 1, ncol)
        if r1 <= r0 or c1 <= c0:
            continue
        sub_t = t * t.translation(c0, r0)
        inside = features.rasterize([(geom, 1)], out_shape=(r1 - r0, c1 - c0), transform=sub_t, fill=0,
                                    all_touched=all_touched, dtype="uint8").astype(bool)
        z = zones.zones[r0:r1, c0:c1][inside]
        z = z[z >= 0]
        counts[i] = np.bincount(z, minlength=n_codes)
        covered[r0:r1, c0:c1] |= inside
    mapped = zones.zones >= 0
    outside = float((mapped & ~covered).sum() * cell_km2)
    conflict = types["conflict"].to_numpy()
    levels = types["level"].to_numpy()
    grid_cells = counts.sum(axis=1)
    conflict_cells = counts[:, conflict].sum(axis=1)
    table = pd.DataFrame({id_col: ids})
    table["unit_area_km2"] = units.geometry.area.to_numpy() * per_m**2 / 1e6
    table["grid_area_km2"] = grid_cells * cell_km2
    table["conflict_area_km2"] = conflict_cells * cell_km2
    with np.errstate(invalid="ignore", divide="ignore"):
        table["conflict_share"] = np.where(grid_cells > 0, conflict_cells / np.maximum(grid_cells, 1), np.nan)
    for lev, name in enumerate(zones.rules.severities, start=1):
        table[f"{name}_km2"] = counts[:, levels == lev].sum(axis=1) * cell_km2
    for code in types.index[conflict]:
        table[f"{types.loc[code, 'type']} (km²)"] = counts[:, code] * cell_km2
    rr, cc = np.nonzero(counts)
    long = pd.DataFrame({id_col: [ids[r] for r in rr], "code": cc})
    for col in ("type", "element", "activity", "severity", "conflict"):
        long[col] = types.loc[cc, col].to_numpy()
    long["cells"] = counts[rr, cc]
    long["area_km2"] = long["cells"] * cell_km2
    long["share_of_unit"] = long["cells"] / grid_cells[rr]
    return ZonalConflicts(table=table, long=long, id_col=id_col, outside_km2=outside)


# ---------------------------------------------------------------- corridor crossings

@dataclass(frozen=True, eq=False)
class CorridorCrossings:
    """Result of :func:`corridor_crossings`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per corridor line: ``corridor`` (row position), the id
        columns, ``type``, ``length_km``, ``<label>_km`` per activity class
        (least to most intense) and ``outside_km`` (no activity class).
    labels : tuple of str
        The activity class labels.
    type_order : tuple of str
        Corridor types, most important first.
    """

    table: pd.DataFrame
    labels: tuple[str, ...]
    type_order: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """The per-corridor table (a copy)."""
        return self.table.copy()

    def by_type(self) -> pd.DataFrame:
        """Per corridor type (every declared type): corridors, total length and the length (and share) in each class."""
        cols = [f"{lab}_km" for lab in self.labels]
        g = self.table.groupby("type", sort=False)
        out = g[["length_km", *cols, "outside_km"]].sum()
        out.insert(0, "corridors", g.size())
        out = out.reindex(list(self.type_order), fill_value=0)  # every declared type, also without lines
        out.index.name = "type"
        for lab in self.labels:
            out[f"{lab}_share"] = np.where(out["length_km"] > 0, out[f"{lab}_km"] / out["length_km"].where(
                out["length_km"] > 0, 1), 0.0)
        return out.reset_index()

    def summary(self) -> str:
        """Lines, total length and the length in the most intense class per type."""
        top = self.labels[-1]
        lines = [f"{len(self.table)} corridor line(s), {self.table['length_km'].sum():.6g} km"]
        for r in self.by_type().itertuples(index=False):
            d = r._asdict()
            lines.append(f"  type {d['type']}: {d['corridors']} line(s), {d['length_km']:.6g} km, "
                         f"{d[f'{top}_km']:.6g} km in {top} activity")
        return "\n".join(lines)


def corridor_crossings(
    lines,
    activity,
    *,
    type_col: str = "type",
    id_cols: Sequence[str] | None = None,
    type_order: Sequence[Any] | None = None,
) -> CorridorCrossings:
    """Length of every corridor line inside each activity class (see the module notes).

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        Corridor LineStrings with a type column (e.g.
        :meth:`~regionkit.ecology.linkages.CorridorNetwork.lines`).
    activity : ActivityClasses or geopandas.GeoDataFrame
        The classes (with a transform), or their polygons with the columns
        ``class`` (0 = least intense) and ``label`` (as
        :meth:`ActivityClasses.polygons` returns).
    type_col : str, default "type", keyword-only
    id_cols : sequence of str, optional, keyword-only
        Columns copied to the table (default: ``a`` and ``b`` when present).
    type_order : sequence, optional, keyword-only
        Corridor types, most important first (default: ``I, II, III`` order).

    Returns
    -------
    CorridorCrossings

    Raises
    ------
    InputError
        Lines that are not a GeoDataFrame of lines, without the type or id
        columns, without CRS when the classes have one; class polygons
        without ``class``/``label``; a geographic CRS.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import LineString
    >>> act = classify_activity(np.array([[0.0, 1.0, 9.0]]), k=3, transform=Affine(1000, 0, 0, 0, -1000, 1000))
    >>> line = gpd.GeoDataFrame({"type": ["I"]}, geometry=[LineString([(500, 500), (2500, 500)])])
    >>> corridor_crossings(line, act).table[["type", "length_km", "low_km", "medium_km", "high_km"]]
      type  length_km  low_km  medium_km  high_km
    0    I        2.0     0.5        1.0      0.5
    """
    import geopandas as gpd
    import shapely

    if isinstance(activity, ActivityClasses):
        polys = activity.polygons()
        crs = activity.crs
    elif isinstance(activity, gpd.GeoDataFrame):
        missing = [c for c in ("class", "label") if c not in activity.columns]
        if missing:
            raise InputError(f"activity polygons: column(s) {missing} not found; expected 'class' and 'label' "
                             "(as ActivityClasses.polygons returns)")
        polys = activity.sort_values("class")
        crs = activity.crs
    else:
        raise InputError(f"activity must be ActivityClasses or a GeoDataFrame of class polygons, got "
                         f"{type(activity).__name__}")
    frame = _check_lines(lines, type_col, "corridor lines")
    ids = [c for c in ("a", "b") if c in frame.columns] if id_cols is None else list(id_cols)
    missing = [c for c in ids if c not in frame.columns]
    if missing:
        raise InputError(f"corridor lines: id column(s) {missing} not found; columns present: "
                         f"{', '.join(str(c) for c in frame.columns if c != frame.geometry.name)}")
    frame = _to_crs(frame, crs, "corridor lines")
    per_km = _metres_per_unit(crs, "corridor lines") / 1000.0
    labels = tuple(str(x) for x in polys["label"])
    geoms = np.asarray(frame.geometry.to_numpy(), dtype=object)
    remaining = geoms
    lengths: dict[str, np.ndarray] = {}
    for lab, poly in zip(reversed(labels), reversed(list(polys.geometry)), strict=True):
        # most intense first: a piece on the border of two classes is counted in the more intense one
        lengths[lab] = shapely.length(shapely.intersection(remaining, poly)) * per_km
        remaining = shapely.difference(remaining, poly)
    table = pd.DataFrame({"corridor": np.arange(len(frame))})
    for c in ids:
        table[c] = frame[c].to_numpy()
    types = frame[type_col].map(_label).to_numpy()
    table["type"] = types
    table["length_km"] = shapely.length(geoms) * per_km
    for lab in labels:
        table[f"{lab}_km"] = lengths[lab]
    table["outside_km"] = shapely.length(remaining) * per_km
    order = _default_order(types) if type_order is None else tuple(_label(t) for t in type_order)
    unknown = sorted(set(types) - set(order))
    if unknown:
        raise InputError(f"corridor lines: type(s) {unknown} not in type_order {list(order)}")
    return CorridorCrossings(table=table, labels=labels, type_order=order)


# ---------------------------------------------------------------- rankings

def most_conflicted_corridors(
    crossings: CorridorCrossings,
    rules: ConflictRules,
    *,
    top: int = 10,
) -> pd.DataFrame:
    """The corridors with the longest stretch in conflict with economic activity.

    The conflict length of a corridor of type ``t`` is its length in the
    activity classes that ``rules`` count as conflicts with ``corridor:t``.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``corridor``, the id columns, ``type``, ``length_km``,
        ``conflict_km``, ``conflict_share``, ``worst_severity`` and
        ``<severity>_km`` per severity, sorted by conflict length, then share
        (``top`` rows; corridors without conflict are left out).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from affine import Affine
    >>> from shapely.geometry import LineString
    >>> act = classify_activity(np.array([[0.0, 1.0, 9.0]]), k=3, transform=Affine(1000, 0, 0, 0, -1000, 1000))
    >>> lines = gpd.GeoDataFrame({"a": [1, 1], "b": [2, 3], "type": ["I", "II"]},
    ...                          geometry=[LineString([(0, 500), (3000, 500)]), LineString([(0, 500), (1500, 500)])])
    >>> r = conflict_rules([{"element": "corridor", "activity": ["medium", "high"]}])
    >>> most_conflicted_corridors(corridor_crossings(lines, act), r)[["rank", "a", "b", "conflict_km"]]
       rank  a  b  conflict_km
    0     1  1  2          2.0
    1     2  1  3          0.5
    """
    if not isinstance(crossings, CorridorCrossings):
        raise InputError(f"crossings must be CorridorCrossings, got {type(crossings).__name__}")
    if not isinstance(rules, ConflictRules):
        raise InputError(f"rules must be ConflictRules, got {type(rules).__name__}")
    _check_top(top)
    t = crossings.table.copy()
    sev = rules.severities
    per_sev = {s: np.zeros(len(t)) for s in sev}
    worst = np.zeros(len(t), dtype=int)
    for lab in crossings.labels:
        lev = np.array([rules.level("corridor", ty, lab) for ty in t["type"]], dtype=int)
        km = t[f"{lab}_km"].to_numpy()
        for i, s in enumerate(sev, start=1):
            per_sev[s] += np.where(lev == i, km, 0.0)
        worst = np.maximum(worst, np.where(km > 0, lev, 0))
    t["conflict_km"] = sum(per_sev.values()) if sev else 0.0
    t["conflict_share"] = np.where(t["length_km"] > 0, t["conflict_km"] / t["length_km"].where(
        t["length_km"] > 0, 1), 0.0)
    t["worst_severity"] = [sev[w - 1] if w else "none" for w in worst]
    for s in sev:
        t[f"{s}_km"] = per_sev[s]
    ids = list(crossings.table.columns[1:list(crossings.table.columns).index("type")])
    keep = ["corridor", *ids, "type", "length_km", "conflict_km", "conflict_share", "worst_severity",
            *[f"{s}_km" for s in sev]]
    t = t[t["conflict_km"] > 0].sort_values(["conflict_km", "conflict_share", "corridor"],
                                            ascending=[False, False, True], kind="stable")
    out = t[keep].head(top).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _check_top(top: int) -> None:
    if not isinstance(top, numbers.Integral) or top < 1:
        raise InputError(f"top={top!r} must be a positive integer")


def most_conflicted_sources(zones: ConflictZones, *, top: int = 10) -> pd.DataFrame:
    """The source patches with the largest area in conflict zones.

    Returns
    -------
    pandas.DataFrame
        ``rank``, ``id`` (patch id), ``grade``, ``area_km2`` (mapped area),
        ``conflict_km2``, ``conflict_share``, ``worst_severity``,
        ``<severity>_km2`` per severity and ``<label>_km2`` per activity
        class, sorted by conflict area, then share (``top`` rows; patches
        without conflict are left out).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> el = ecological_elements((2, 2), transform=Affine(1000, 0, 0, 0, -1000, 2000),
    ...                          sources=np.array([[1, 1], [2, 0]]))
    >>> z = conflict_zones(el, classify_activity(np.array([[9.0, 1.0], [9.0, 1.0]]), k=2))
    >>> most_conflicted_sources(z)[["rank", "id", "area_km2", "conflict_km2", "conflict_share"]]
       rank  id  area_km2  conflict_km2  conflict_share
    0     1   2       1.0           1.0             1.0
    1     2   1       2.0           1.0             0.5
    """
    if not isinstance(zones, ConflictZones):
        raise InputError(f"zones must be ConflictZones (conflict_zones), got {type(zones).__name__}")
    _check_top(top)
    el = zones.elements
    labels = el.source_labels
    ids = sorted(el.source_grades)
    sev = zones.rules.severities
    cell_km2 = zones.cell_area_m2 / 1e6
    if not ids:
        return pd.DataFrame(columns=["rank", "id", "grade", "area_km2", "conflict_km2", "conflict_share",
                                     "worst_severity"])
    level = zones.severity_raster()
    ok = (labels > 0) & (zones.zones >= 0)
    lab = labels[ok]
    n = int(labels.max()) + 1
    area = np.bincount(lab, minlength=n) * cell_km2
    by_sev = {s: np.bincount(lab, weights=(level[ok] == i).astype(float), minlength=n) * cell_km2
              for i, s in enumerate(sev, start=1)}
    act = zones.activity.classes[ok]
    by_act = {a: np.bincount(lab, weights=(act == c).astype(float), minlength=n) * cell_km2
              for c, a in enumerate(zones.activity.labels)}
    worst = np.zeros(n, dtype=int)
    np.maximum.at(worst, lab, level[ok].astype(int))
    idx = np.array(ids)
    out = pd.DataFrame({"id": idx, "grade": [el.source_grades[i] for i in ids], "area_km2": area[idx]})
    out["conflict_km2"] = sum(v[idx] for v in by_sev.values())
    out["conflict_share"] = np.where(out["area_km2"] > 0, out["conflict_km2"] / out["area_km2"].where(
        out["area_km2"] > 0, 1), 0.0)
    out["worst_severity"] = [sev[w - 1] if w > 0 else "none" for w in worst[idx]]
    for s in sev:
        out[f"{s}_km2"] = by_sev[s][idx]
    for a in zones.activity.labels:
        out[f"{a}_km2"] = by_act[a][idx]
    out = out[out["conflict_km2"] > 0].sort_values(["conflict_km2", "conflict_share", "id"],
                                                   ascending=[False, False, True], kind="stable")
    out = out.head(top).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
