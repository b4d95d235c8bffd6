r"""Kernel density of firm points on a raster grid (firms per km²).

Kernels, with ``d`` the distance from a firm to a cell centre:

* ``"quartic"`` with search radius ``r`` (Silverman 1986, eq. 4.5; the kernel
  of ArcGIS *Kernel Density*):
  ``K(d) = 3/(π r²) · (1 − (d/r)²)²`` for ``d < r``, 0 beyond.  The density of
  a cell is ``Σ_i K(d_i)`` -- ArcGIS' ``1/r² Σ 3/π (1 − (d_i/r)²)²``;
* ``"gaussian"`` with standard deviation ``h``:
  ``K(d) = exp(−d²/(2h²)) / (2π h²)``, summed over firms within
  ``truncate · h`` (default 5h; the mass beyond is ``exp(−12.5) ≈ 4·10⁻⁶``).

Both integrate to 1 per firm over the plane, so the density times the cell
area summed over a grid that covers every kernel is the number of firms.

``method="exact"`` evaluates the kernel at the exact distance from every firm
to every cell centre within the kernel's reach (no binning error).
``method="binned"`` first counts the firms per cell and convolves the counts
with the kernel sampled at cell-centre offsets (FFT): each firm is moved to
its cell centre, an error below half a cell.

Bandwidth rules (``bandwidth`` as a string; ``n`` firms):

* ``"scott"``: ``h = σ · n^(−1/6)``, σ² the mean of the two coordinate
  variances -- the normal reference rule in two dimensions (Scott 1992;
  identical to Silverman's normal reference rule for d = 2);
* ``"silverman"``: the spatial variant of Silverman's rule of thumb used by
  ArcGIS Pro for the default search radius,
  ``0.9 · min(SD, sqrt(1/ln 2) · D_m) · n^(−0.2)``, with ``SD`` the standard
  distance and ``D_m`` the median distance to the mean centre (robust to
  spatial outliers).

The rule's value is the bandwidth itself: ``h`` for the Gaussian kernel, the
radius ``r`` for the quartic kernel (as ArcGIS does).  Coordinates must be
projected; ``unit`` says whether they are in metres or kilometres.  Writing a
GeoTIFF happens elsewhere (:meth:`DensityResult.to_grid` and
:func:`regionkit.grid.write_grid`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._checks import check_option
from ..errors import InputError

Kernel = Literal["gaussian", "quartic"]
BandwidthRule = Literal["scott", "silverman"]
Method = Literal["exact", "binned"]
Unit = Literal["m", "km"]

_CHUNK = 4_000_000  # point × stencil evaluations per chunk


@dataclass(frozen=True)
class DensityGrid:
    """The raster frame of a density: north-up affine transform, shape and CRS.

    Examples
    --------
    >>> g = DensityGrid.from_bounds((0, 0, 2500, 1000), cell_size=1000)
    >>> g.shape, g.transform.c, g.transform.f
    ((1, 3), 0.0, 1000.0)
    """

    transform: Any
    shape: tuple[int, int]
    crs: Any = None

    def __post_init__(self) -> None:
        t = self.transform
        if not (t.b == 0 and t.d == 0 and t.a > 0 and t.e < 0):
            raise InputError(f"DensityGrid: a north-up transform is needed (a > 0, e < 0, no rotation), got {t!r}")
        if len(self.shape) != 2 or min(self.shape) < 1:
            raise InputError(f"DensityGrid: shape {self.shape} must be two positive ints")

    @classmethod
    def from_bounds(cls, bounds: Sequence[float], *, cell_size: float, crs: Any = None) -> DensityGrid:
        """Smallest grid with upper-left corner ``(left, top)`` covering ``(left, bottom, right, top)``."""
        from affine import Affine

        left, bottom, right, top = map(float, bounds)
        if not cell_size > 0:
            raise InputError(f"cell_size={cell_size!r} must be positive")
        if right < left or top < bottom:
            raise InputError(f"bounds {tuple(bounds)} have max < min")
        cols = max(1, math.ceil((right - left) / cell_size - 1e-9))
        rows = max(1, math.ceil((top - bottom) / cell_size - 1e-9))
        return cls(Affine(cell_size, 0.0, left, 0.0, -cell_size, top), (rows, cols), crs)

    @classmethod
    def around(cls, points_xy: ArrayLike, *, cell_size: float, margin: float, crs: Any = None) -> DensityGrid:
        """Grid covering the points' bounding box widened by ``margin`` on every side."""
        p = _points(points_xy)
        lo, hi = p.min(axis=0) - margin, p.max(axis=0) + margin
        return cls.from_bounds((lo[0], lo[1], hi[0], hi[1]), cell_size=cell_size, crs=crs)

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """``(x of the column centres, y of the row centres)``."""
        t = self.transform
        rows, cols = self.shape
        return t.c + (np.arange(cols) + 0.5) * t.a, t.f + (np.arange(rows) + 0.5) * t.e


@dataclass(frozen=True, eq=False)
class DensityResult:
    """A kernel density surface.

    Attributes
    ----------
    density : numpy.ndarray, shape (rows, cols)
        Firms per km² at the cell centres.
    grid : DensityGrid
    kernel : str
    bandwidth : float
        ``h`` (Gaussian) or radius ``r`` (quartic), coordinate units.
    bandwidth_rule : str or None
        The rule that gave it, if any.
    n_points : int
    method : str
    unit : str
    """

    density: np.ndarray = field(repr=False)
    grid: DensityGrid
    kernel: str
    bandwidth: float
    bandwidth_rule: str | None
    n_points: int
    method: str
    unit: str

    @property
    def transform(self) -> Any:
        """Affine transform of :attr:`density`."""
        return self.grid.transform

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        t = self.grid.transform
        scale = 1e-6 if self.unit == "m" else 1.0
        return abs(t.a * t.e) * scale

    def total(self) -> float:
        """``Σ density · cell area``: the number of firms when the grid holds every kernel."""
        return float(self.density.sum() * self.cell_area_km2)

    def to_grid(self, name: str = "kernel density"):
        """The density as a :class:`regionkit.grid.Grid` (for :func:`regionkit.grid.write_grid`)."""
        from ..grid import Grid

        return Grid(self.density.copy(), self.grid.transform, self.grid.crs, None, name)

    def summary(self) -> str:
        """Kernel, bandwidth, grid and the range of densities."""
        rows, cols = self.density.shape
        rule = f" ({self.bandwidth_rule})" if self.bandwidth_rule else ""
        return (f"{self.kernel} kernel density of {self.n_points} firms, bandwidth {self.bandwidth:.4g} "
                f"{self.unit}{rule}, {self.method}; {rows} × {cols} cells of {self.cell_area_km2:.4g} km²; "
                f"max {self.density.max():.4g} firms/km², integral {self.total():.2f}")

    def to_frame(self) -> pd.DataFrame:
        """Cells with a positive density: ``row, col, x, y, density``."""
        r, c = np.nonzero(self.density > 0)
        xc, yc = self.grid.centres()
        return pd.DataFrame({"row": r, "col": c, "x": xc[c], "y": yc[r], "density": self.density[r, c]})


def _points(points_xy: ArrayLike) -> np.ndarray:
    p = np.array(points_xy, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise InputError(f"points_xy: expected an (n, 2) array of projected x, y, got shape {p.shape}")
    if p.shape[0] == 0:
        raise InputError("points_xy: no points")
    bad = ~np.isfinite(p).all(axis=1)
    if bad.any():
        raise InputError(f"points_xy: non-finite coordinates at row(s) {', '.join(map(str, np.flatnonzero(bad)[:10]))}")
    return p


def bandwidth_rule(points_xy: ArrayLike, rule: BandwidthRule) -> float:
    """Bandwidth of a rule of thumb (see the module notes).

    Examples
    --------
    >>> xy = np.random.default_rng(0).normal(0, 1000, (500, 2))
    >>> round(bandwidth_rule(xy, "scott")), round(bandwidth_rule(xy, "silverman"))
    (347, 351)
    """
    check_option("bandwidth", rule, BandwidthRule)
    p = _points(points_xy)
    n = p.shape[0]
    if n < 2:
        raise InputError("a bandwidth rule needs at least two points")
    if rule == "scott":
        sigma = math.sqrt(float(p.var(axis=0, ddof=1).mean()))
        h = sigma * n ** (-1 / 6)
    else:
        d = p - p.mean(axis=0)
        sd = math.sqrt(float((d**2).sum(axis=1).mean()))
        dm = float(np.median(np.hypot(d[:, 0], d[:, 1])))
        h = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * n ** (-0.2)
    if not h > 0:
        raise InputError(f"bandwidth rule {rule!r} gives {h}: the points do not spread (all identical?)")
    return h


def _as_grid(grid: Any) -> DensityGrid:
    if isinstance(grid, DensityGrid):
        return grid
    if hasattr(grid, "transform") and hasattr(grid, "shape") and hasattr(grid, "crs"):
        return DensityGrid(grid.transform, tuple(grid.shape), grid.crs)
    raise InputError(f"grid must be a DensityGrid or a regionkit Grid, got {type(grid).__name__}")


def _kernel_values(kernel: str, d2: np.ndarray, bw: float) -> np.ndarray:
    if kernel == "quartic":
        u = 1.0 - d2 / (bw * bw)
        return np.where(u > 0, 3.0 / (math.pi * bw * bw) * u * u, 0.0)
    return np.exp(-0.5 * d2 / (bw * bw)) / (2 * math.pi * bw * bw)


def kernel_density(
    points_xy: ArrayLike,
    *,
    grid: Any,
    kernel: Kernel = "quartic",
    bandwidth: float | BandwidthRule = "silverman",
    weights: ArrayLike | None = None,
    method: Method = "exact",
    unit: Unit = "m",
    truncate: float = 5.0,
) -> DensityResult:
    """Kernel density of points on a grid, in points (firms) per km².

    Parameters
    ----------
    points_xy : array_like, shape (n, 2)
        Projected coordinates.
    grid : DensityGrid or regionkit.grid.Grid
        The raster frame (north-up); a :class:`~regionkit.grid.Grid` lends its
        transform, shape and CRS.
    kernel : {"quartic", "gaussian"}
    bandwidth : float or {"scott", "silverman"}
        Gaussian ``h`` or quartic radius ``r`` in coordinate units, or a rule.
    weights : array_like, shape (n,), optional
        Point weights (e.g. employment); default 1.
    method : {"exact", "binned"}
    unit : {"m", "km"}
        Unit of the coordinates.
    truncate : float
        Gaussian kernel cut-off in multiples of ``h``.

    Returns
    -------
    DensityResult

    Examples
    --------
    >>> g = DensityGrid.from_bounds((-2000, -2000, 2000, 2000), cell_size=100)
    >>> res = kernel_density([[50.0, 50.0]], grid=g, kernel="quartic", bandwidth=1000.0)
    >>> round(res.total(), 4), round(float(res.density.max()), 4)  # 1 firm; 3/(π·1 km²) at its cell
    (1.0, 0.9549)
    """
    check_option("kernel", kernel, Kernel)
    check_option("method", method, Method)
    check_option("unit", unit, Unit)
    p = _points(points_xy)
    grid = _as_grid(grid)
    rule = None
    if isinstance(bandwidth, str):
        rule = bandwidth
        bw = bandwidth_rule(p, bandwidth)  # type: ignore[arg-type]
    else:
        bw = float(bandwidth)
        if not (math.isfinite(bw) and bw > 0):
            raise InputError(f"bandwidth={bandwidth!r} must be positive")
    w = np.ones(p.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (p.shape[0],) or not np.isfinite(w).all() or (w < 0).any():
        raise InputError(f"weights: expected {p.shape[0]} finite non-negative values")
    reach = bw if kernel == "quartic" else truncate * bw
    dens = (_exact(p, w, grid, kernel, bw, reach) if method == "exact"
            else _binned(p, w, grid, kernel, bw, reach))
    per_km2 = 1e6 if unit == "m" else 1.0
    return DensityResult(dens * per_km2, grid, kernel, bw, rule, int(p.shape[0]), method, unit)


def _exact(p: np.ndarray, w: np.ndarray, grid: DensityGrid, kernel: str, bw: float, reach: float) -> np.ndarray:
    t = grid.transform
    rows, cols = grid.shape
    cw, ch = t.a, -t.e
    colf = (p[:, 0] - t.c) / cw - 0.5  # fractional column of the point (cell-centre units)
    rowf = (t.f - p[:, 1]) / ch - 0.5
    mc, mr = int(math.ceil(reach / cw)) + 1, int(math.ceil(reach / ch)) + 1
    dc, dr = np.meshgrid(np.arange(-mc, mc + 1), np.arange(-mr, mr + 1))
    dc, dr = dc.ravel(), dr.ravel()
    # points whose stencil cannot touch the grid are skipped
    near = (colf > -mc - 1) & (colf < cols + mc) & (rowf > -mr - 1) & (rowf < rows + mr)
    idx = np.flatnonzero(near)
    out = np.zeros(rows * cols)
    step = max(1, _CHUNK // dc.size)
    for s in range(0, idx.size, step):
        sel = idx[s:s + step]
        c0 = np.rint(colf[sel]).astype(np.int64)
        r0 = np.rint(rowf[sel]).astype(np.int64)
        cc = c0[:, None] + dc[None, :]
        rr = r0[:, None] + dr[None, :]
        x = t.c + (cc + 0.5) * cw
        y = t.f - (rr + 0.5) * ch
        d2 = (x - p[sel, 0, None]) ** 2 + (y - p[sel, 1, None]) ** 2
        ok = (cc >= 0) & (cc < cols) & (rr >= 0) & (rr < rows) & (d2 < reach * reach)
        vals = _kernel_values(kernel, d2[ok], bw) * np.broadcast_to(w[sel, None], ok.shape)[ok]
        out += np.bincount((rr * cols + cc)[ok], weights=vals, minlength=rows * cols)
    return out.reshape(rows, cols)


def _binned(p: np.ndarray, w: np.ndarray, grid: DensityGrid, kernel: str, bw: float, reach: float) -> np.ndarray:
    from scipy.signal import fftconvolve

    t = grid.transform
    rows, cols = grid.shape
    cw, ch = t.a, -t.e
    col = np.floor((p[:, 0] - t.c) / cw).astype(np.int64)
    row = np.floor((t.f - p[:, 1]) / ch).astype(np.int64)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    if not inside.all():
        raise InputError(f"method='binned': {int((~inside).sum())} point(s) outside the grid, first at row "
                         f"{int(np.flatnonzero(~inside)[0])}; use method='exact' or a larger grid")
    counts = np.bincount(row * cols + col, weights=w, minlength=rows * cols).reshape(rows, cols)
    mc, mr = int(math.ceil(reach / cw)), int(math.ceil(reach / ch))
    ox, oy = np.meshgrid(np.arange(-mc, mc + 1) * cw, np.arange(-mr, mr + 1) * ch)
    d2 = ox**2 + oy**2
    ker = np.where(d2 < reach * reach, _kernel_values(kernel, d2, bw), 0.0)
    out = fftconvolve(counts, ker, mode="full")[mr:mr + rows, mc:mc + cols]
    return np.clip(out, 0.0, None)


@dataclass(frozen=True, eq=False)
class IndustryDensities:
    """Kernel densities of several industries and of their union (superimposed).

    Attributes
    ----------
    industries : tuple
    layers : numpy.ndarray, shape (n_industries, rows, cols)
        Firms per km² of each industry.
    combined : numpy.ndarray, shape (rows, cols)
        Sum of the layers: the density of all their firms together.
    grid : DensityGrid
    kernel : str
    bandwidth : float
        One bandwidth for all layers (a rule is applied to the pooled firms).
    counts : tuple of int
    """

    industries: tuple[Any, ...]
    layers: np.ndarray = field(repr=False)
    combined: np.ndarray = field(repr=False)
    grid: DensityGrid
    kernel: str
    bandwidth: float
    counts: tuple[int, ...]

    def layer(self, industry: Any) -> np.ndarray:
        """Density of one industry (a copy)."""
        if industry not in self.industries:
            raise InputError(f"industry {industry!r} has no layer; layers: {list(self.industries)}")
        return self.layers[self.industries.index(industry)].copy()

    def summary(self) -> str:
        """Industries, firm counts and the peak of the combined density."""
        return (f"{self.kernel} densities of {len(self.industries)} industries ({sum(self.counts)} firms), "
                f"bandwidth {self.bandwidth:.4g}; combined peak {self.combined.max():.4g} firms/km²")

    def to_frame(self) -> pd.DataFrame:
        """One row per industry: firms, peak density and its cell."""
        peak = self.layers.reshape(len(self.industries), -1)
        arg = peak.argmax(axis=1)
        r, c = np.divmod(arg, self.grid.shape[1])
        return pd.DataFrame({"industry": list(self.industries), "firms": list(self.counts),
                             "peak_density": peak.max(axis=1), "peak_row": r, "peak_col": c})


def industry_densities(
    points_xy: ArrayLike,
    labels: ArrayLike,
    *,
    grid: Any,
    industries: Sequence[Any] | None = None,
    kernel: Kernel = "quartic",
    bandwidth: float | BandwidthRule = "silverman",
    method: Method = "exact",
    unit: Unit = "m",
) -> IndustryDensities:
    """Kernel density per industry and superimposed over a set of (core) industries.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [500.0, 0.0], [0.0, 500.0]])
    >>> g = DensityGrid.from_bounds((-3000, -3000, 3000, 3000), cell_size=100)
    >>> d = industry_densities(xy, [1, 1, 2], grid=g, bandwidth=1000.0)
    >>> d.counts, round(float(d.combined.sum() * 0.01), 3)
    ((2, 1), 3.0)
    """
    p = _points(points_xy)
    lab = np.asarray(labels)
    if lab.shape != (p.shape[0],):
        raise InputError(f"labels: expected {p.shape[0]} labels, got shape {lab.shape}")
    present = set(pd.unique(lab).tolist())
    inds = tuple(sorted(present)) if industries is None else tuple(industries)
    missing = [i for i in inds if i not in present]
    if missing:
        raise InputError(f"industries: {missing[:10]} have no firm")
    sel = np.isin(lab, np.array(inds, dtype=lab.dtype))
    bw = bandwidth_rule(p[sel], bandwidth) if isinstance(bandwidth, str) else float(bandwidth)
    layers = []
    counts = []
    for ind in inds:
        m = lab == ind
        counts.append(int(m.sum()))
        layers.append(kernel_density(p[m], grid=grid, kernel=kernel, bandwidth=bw, method=method,
                                     unit=unit).density)
    stack = np.stack(layers)
    return IndustryDensities(inds, stack, stack.sum(axis=0), _as_grid(grid), kernel, bw, tuple(counts))


__all__ = [
    "BandwidthRule",
    "DensityGrid",
    "DensityResult",
    "IndustryDensities",
    "Kernel",
    "Method",
    "bandwidth_rule",
    "industry_densities",
    "kernel_density",
]
