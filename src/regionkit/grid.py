"""The raster grid type: a 2-D array with its affine transform, CRS and nodata.

:class:`Grid` is the core raster type of regionkit (ecosystem services,
resistance surfaces, cost distance, kernel densities).  Reading, writing and
resampling live at the edge (:func:`read_grid`, :func:`write_grid`,
:func:`resample_to`); :func:`check_aligned` names the first difference between
two grids (CRS, shape, resolution or origin).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from ._checks import check_option
from .errors import InputError

Resampling = Literal["nearest", "bilinear", "average", "mode", "max", "min", "sum"]


@dataclass(frozen=True, eq=False)
class Grid:
    """A single-band raster.

    Attributes
    ----------
    data : numpy.ndarray
        2-D values; cells equal to ``nodata`` (or NaN for float grids) are missing.
    transform : affine.Affine
        Pixel-to-CRS transform (north-up or rotated as read).
    crs : rasterio.crs.CRS or None
    nodata : float or None
    name : str
        Where the grid came from (used in messages).

    Examples
    --------
    >>> import numpy as np
    >>> from affine import Affine
    >>> from regionkit.grid import Grid
    >>> g = Grid(np.arange(6.0).reshape(2, 3), Affine(10, 0, 0, 0, -10, 20), "EPSG:3857", None)
    >>> g.shape, g.resolution, g.bounds
    ((2, 3), (10.0, 10.0), (0.0, 0.0, 30.0, 20.0))
    """

    data: np.ndarray
    transform: object
    crs: object
    nodata: float | None
    name: str = "<grid>"

    def __post_init__(self) -> None:
        if np.asarray(self.data).ndim != 2:
            raise InputError(f"{self.name}: a grid needs a 2-D array, got shape {np.shape(self.data)}")

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return tuple(self.data.shape)  # type: ignore[return-value]

    @property
    def resolution(self) -> tuple[float, float]:
        """Cell size (x, y) in CRS units."""
        t = self.transform
        return (float(abs(t.a)), float(abs(t.e)))

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top)."""
        t = self.transform
        rows, cols = self.shape
        xs = [t.c, t.c + t.a * cols]
        ys = [t.f, t.f + t.e * rows]
        return (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys)))

    @property
    def mask(self) -> np.ndarray:
        """True where the cell holds a value (not nodata, not NaN)."""
        d = self.data
        valid = np.ones(d.shape, dtype=bool)
        if np.issubdtype(d.dtype, np.floating):
            valid &= np.isfinite(d)
        if self.nodata is not None and not (isinstance(self.nodata, float) and np.isnan(self.nodata)):
            valid &= d != self.nodata
        return valid

    def masked(self) -> np.ndarray:
        """Float copy of the data with NaN in missing cells."""
        out = self.data.astype(float, copy=True)
        out[~self.mask] = np.nan
        return out

    def with_data(self, data: np.ndarray, *, nodata: float | None = None, name: str | None = None) -> Grid:
        """A grid on the same raster frame with new values."""
        data = np.asarray(data)
        if data.shape != self.shape:
            raise InputError(f"{self.name}: new data of shape {data.shape} does not match the grid {self.shape}")
        return Grid(data, self.transform, self.crs, nodata, name or self.name)

    def cell_area(self) -> float:
        """Area of one cell in squared CRS units (projected CRS only)."""
        if self.crs is not None and getattr(self.crs, "is_geographic", False):
            raise InputError(f"{self.name}: cell area in CRS units is meaningless for a geographic CRS; "
                             "reproject to an equal-area CRS first")
        rx, ry = self.resolution
        return rx * ry

    def summary(self) -> str:
        """Shape, resolution, CRS and the share of valid cells."""
        return (f"{self.name}: {self.shape[0]} × {self.shape[1]} cells of {self.resolution[0]:g} × "
                f"{self.resolution[1]:g}, CRS {self.crs}, {self.mask.mean():.1%} valid")


def read_grid(path: str | Path, *, band: int = 1) -> Grid:
    """Read one band of a GeoTIFF (or any GDAL raster) into a :class:`Grid`."""
    import rasterio

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        with rasterio.open(path) as src:
            if band < 1 or band > src.count:
                raise InputError(f"{path}: band {band} does not exist (the file has {src.count})")
            return Grid(src.read(band), src.transform, src.crs, src.nodata, str(path))
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{path}: cannot be read as a raster ({exc})") from exc


def write_grid(grid: Grid, path: str | Path, *, cog: bool = True) -> Path:
    """Write a grid as a (Cloud-Optimized, when ``cog``) GeoTIFF, atomically (temp file + rename)."""
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tif")
    os.close(fd)
    profile = {"count": 1, "height": grid.shape[0], "width": grid.shape[1], "dtype": grid.data.dtype.name,
               "crs": grid.crs, "transform": grid.transform, "nodata": grid.nodata, "compress": "deflate"}
    try:
        if cog:
            profile.update(driver="COG")
            profile.pop("compress")
            profile["compress"] = "DEFLATE"
        else:
            profile.update(driver="GTiff", tiled=True)
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(grid.data, 1)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def check_aligned(*grids: Grid, atol: float = 1e-9) -> None:
    """Raise an :class:`InputError` naming the first grid that differs in CRS, shape, resolution or origin."""
    first = grids[0]
    for g in grids[1:]:
        if g.crs != first.crs:
            raise InputError(f"{g.name}: CRS {g.crs} differs from {first.name} ({first.crs}); "
                             "resample with resample_to")
        if g.shape != first.shape:
            raise InputError(f"{g.name}: shape {g.shape} differs from {first.name} {first.shape}")
        if not np.allclose(g.resolution, first.resolution, atol=atol, rtol=0):
            raise InputError(f"{g.name}: resolution {g.resolution} differs from {first.name} {first.resolution}")
        if not np.allclose(tuple(g.transform)[:6], tuple(first.transform)[:6], atol=atol, rtol=0):
            raise InputError(f"{g.name}: origin/extent {g.bounds} differs from {first.name} {first.bounds}")


def resample_to(grid: Grid, like: Grid, *, method: Resampling) -> Grid:
    """Reproject/resample ``grid`` onto the frame of ``like``; the method is always explicit.

    Use ``"nearest"`` or ``"mode"`` for classes (land use) and ``"bilinear"`` or
    ``"average"`` for continuous values; missing cells stay missing.
    """
    from rasterio.enums import Resampling as R
    from rasterio.warp import reproject

    check_option("method", method, Resampling)
    if grid.crs is None or like.crs is None:
        raise InputError(f"{grid.name if grid.crs is None else like.name}: a grid without CRS cannot be resampled")
    src = grid.masked()
    out = np.full(like.shape, np.nan)
    reproject(src, out, src_transform=grid.transform, src_crs=grid.crs, dst_transform=like.transform,
              dst_crs=like.crs, src_nodata=np.nan, dst_nodata=np.nan, resampling=getattr(R, method))
    return Grid(out, like.transform, like.crs, np.nan, f"{grid.name} ({method} to {like.name})")
