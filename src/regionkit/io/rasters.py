"""Blockwise processing of aligned GeoTIFF rasters with memory bounded by the block size.

The functions here never hold a whole raster in memory: they read aligned inputs window by
window with rasterio, and either reduce each window into running statistics
(:func:`raster_minmax`, :func:`raster_histogram`) or hand it to a pure per-pixel function
and write the result window by window (:func:`map_blocks`, :func:`normalized_overlay`).
Peak memory is therefore a few arrays of ``block_size x block_size`` cells per input,
whatever the raster size, plus GDAL's block cache (``GDAL_CACHEMAX``; :func:`map_blocks`
caps it at :data:`GDAL_CACHE_BYTES` unless the environment sets it).

Alignment
    Every input of one call must share CRS, width, height and geotransform (within
    ``1e-9`` of a cell); otherwise :class:`~regionkit.errors.InputError` names the file and
    what differs.  Resample first (:func:`regionkit.grid.resample_to`).

Nodata
    A cell is *invalid* in an input when it equals that file's nodata value or is NaN.
    A cell invalid in any input is written as the output's nodata, whatever the
    function computed there; so is a NaN the function returns.  Statistics skip invalid
    cells.

Atomic output
    The output is written to a temporary file next to it and moved into place with
    :func:`os.replace` only when everything succeeded: a failing function (or any other
    error) leaves an existing output untouched.  With ``cog=True`` the finished tiled
    GeoTIFF is converted into a Cloud-Optimized GeoTIFF by GDAL's COG driver (streamed,
    with overviews) before the move.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .._checks import check_option
from ..errors import InputError

__all__ = [
    "RasterHistogram",
    "histogram_quantiles",
    "map_blocks",
    "normalized_overlay",
    "raster_histogram",
    "raster_minmax",
]

PathLike = str | os.PathLike[str]
BlockFunc = Callable[[dict[str, np.ndarray]], np.ndarray]

_TILE_SIZES = (512, 256, 128, 64, 32, 16)
Direction = Literal["positive", "negative"]


# ---------------------------------------------------------------- opening and checking


def _check_block_size(block_size: Any) -> int:
    if (
        isinstance(block_size, bool)
        or not isinstance(block_size, (int, np.integer))
        or block_size < 16
        or block_size % 16
    ):
        raise InputError(f"block_size={block_size!r} must be a positive multiple of 16 (GeoTIFF tiles)")
    return int(block_size)


def _open(path: PathLike, what: str) -> Any:
    import rasterio

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} {str(p)!r}: file not found")
    try:
        return rasterio.open(p)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{what} {str(p)!r}: cannot be read as a raster ({exc})") from exc


def _check_aligned(sources: Mapping[str, Any]) -> None:
    """Raise InputError naming the first input that is not on the first one's grid."""
    items = list(sources.items())
    name0, ref = items[0]
    tol = 1e-9 * max(abs(ref.transform.a), abs(ref.transform.e))
    for name, src in items[1:]:
        where = f"input {name!r} ({src.name})"
        first = f"input {name0!r} ({ref.name})"
        if src.crs != ref.crs:
            raise InputError(f"{where}: CRS {src.crs} differs from {first} ({ref.crs})")
        if (src.height, src.width) != (ref.height, ref.width):
            raise InputError(
                f"{where}: {src.height} x {src.width} cells differs from {first} "
                f"({ref.height} x {ref.width})"
            )
        if not np.allclose(tuple(src.transform)[:6], tuple(ref.transform)[:6], rtol=0, atol=tol):
            raise InputError(
                f"{where}: geotransform {tuple(src.transform)[:6]} (cell size and origin) "
                f"differs from {first} ({tuple(ref.transform)[:6]})"
            )


def _windows(height: int, width: int, block_size: int) -> Iterator[Any]:
    from rasterio.windows import Window

    for row in range(0, height, block_size):
        for col in range(0, width, block_size):
            yield Window(col, row, min(block_size, width - col), min(block_size, height - row))


def _invalid(values: np.ndarray, nodata: float | None) -> np.ndarray:
    """Mask of cells equal to ``nodata`` or NaN."""
    mask = np.zeros(values.shape, dtype=bool)
    if np.issubdtype(values.dtype, np.floating):
        np.isnan(values, out=mask)
    if nodata is not None and not np.isnan(nodata):
        mask |= values == nodata
    return mask


def _default_nodata(dtype: np.dtype) -> float:
    if np.issubdtype(dtype, np.floating):
        return float("nan")
    info = np.iinfo(dtype)
    return float(info.min if info.min < 0 else info.max)


def _check_dtype(dtype: Any) -> np.dtype:
    try:
        out = np.dtype(dtype)
    except TypeError as exc:
        raise InputError(f"dtype={dtype!r} is not a numpy dtype") from exc
    allowed = ("uint8", "uint16", "int16", "uint32", "int32", "float32", "float64")
    if out.name not in allowed:
        raise InputError(f"dtype={dtype!r} cannot be written to GeoTIFF; use one of {allowed}")
    return out


# ---------------------------------------------------------------- map_blocks


def map_blocks(
    func: BlockFunc,
    inputs: Mapping[str, PathLike],
    output: PathLike,
    *,
    block_size: int = 1024,
    dtype: Any = "float32",
    nodata: float | None = None,
    cog: bool = True,
) -> Path:
    """Apply a per-pixel function to aligned rasters block by block and write a GeoTIFF.

    Parameters
    ----------
    func : callable
        ``func(arrays) -> numpy.ndarray`` where ``arrays`` maps each input name to the
        block of band 1 of that raster (its own dtype, nodata cells included as stored).
        It must be *per-pixel* (the value of a cell depends only on the inputs at that
        cell) and return an array of the block's shape; it is called once per block, so
        it must not keep state between calls.
    inputs : mapping of str -> path
        Named input rasters, all on the same grid (CRS, size, geotransform).
    output : path
        GeoTIFF to write (its folder is created); replaced atomically.
    block_size : int, keyword-only
        Edge of the square windows read and computed at once (a multiple of 16); peak
        memory grows with ``block_size**2`` times the number of inputs, not with the
        raster size.
    dtype : str or numpy.dtype, keyword-only
        Output data type (``"float32"`` by default).
    nodata : float, optional, keyword-only
        Output nodata value; NaN for float types and the smallest (signed) or largest
        (unsigned) integer otherwise.
    cog : bool, keyword-only
        Convert the result into a Cloud-Optimized GeoTIFF (with overviews); otherwise a
        tiled, DEFLATE-compressed GeoTIFF.

    Returns
    -------
    pathlib.Path
        The output path.

    Raises
    ------
    InputError
        No inputs; a missing or unreadable file; inputs not aligned (naming the file and
        what differs); a bad ``block_size`` or ``dtype``; ``func`` returning an array of
        the wrong shape (naming the window).  Errors raised by ``func`` propagate
        unchanged; in every case an existing ``output`` is left untouched.

    Notes
    -----
    Cells where any input is nodata (or NaN) and cells where ``func`` returns NaN are
    written as ``nodata``.  Floating-point results are cast to ``dtype`` with
    :meth:`numpy.ndarray.astype` (``unsafe`` casting, as numpy does).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> profile = dict(driver="GTiff", width=3, height=2, count=1, dtype="float32",
    ...                crs="EPSG:3857", transform=from_origin(0, 2, 1, 1), nodata=-1)
    >>> with rasterio.open(d / "a.tif", "w", **profile) as dst:
    ...     dst.write(np.array([[1, 2, -1], [4, 5, 6]], dtype="float32"), 1)
    >>> out = map_blocks(lambda x: x["a"] * 10, {"a": d / "a.tif"}, d / "b.tif", block_size=16)
    >>> with rasterio.open(out) as src:
    ...     src.read(1, masked=True).tolist()
    [[10.0, 20.0, None], [40.0, 50.0, 60.0]]
    """
    import rasterio

    if not callable(func):
        raise InputError(f"func must be callable, got {type(func).__name__}")
    size = _check_block_size(block_size)
    out_dtype = _check_dtype(dtype)
    fill = _default_nodata(out_dtype) if nodata is None else float(nodata)
    if not np.isnan(fill) and np.asarray(fill).astype(out_dtype) != fill:
        raise InputError(f"nodata={nodata!r} cannot be stored as {out_dtype.name}")
    if np.isnan(fill) and not np.issubdtype(out_dtype, np.floating):
        raise InputError(f"nodata=nan needs a float dtype, not {out_dtype.name}")
    if not inputs:
        raise InputError("inputs is empty: give at least one named raster")
    out_path = Path(output)
    with contextlib.ExitStack() as stack:
        stack.enter_context(_bounded_cache())
        sources = {str(k): stack.enter_context(_open(v, f"input {k!r}")) for k, v in inputs.items()}
        _check_aligned(sources)
        ref = next(iter(sources.values()))
        tile = next(t for t in _TILE_SIZES if size % t == 0)
        profile = {
            "driver": "GTiff",
            "width": ref.width,
            "height": ref.height,
            "count": 1,
            "dtype": out_dtype.name,
            "crs": ref.crs,
            "transform": ref.transform,
            "nodata": fill,
            "tiled": True,
            "blockxsize": tile,
            "blockysize": tile,
            "compress": "deflate",
            "BIGTIFF": "IF_SAFER",
        }
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with _atomic(out_path) as tmp:
            with rasterio.open(tmp, "w", **profile) as dst:
                for window in _windows(ref.height, ref.width, size):
                    shape = (int(window.height), int(window.width))
                    arrays = {}
                    invalid = np.zeros(shape, dtype=bool)
                    for name, src in sources.items():
                        block = src.read(1, window=window)
                        invalid |= _invalid(block, src.nodata)
                        arrays[name] = block
                    result = np.asarray(func(arrays))
                    if result.shape != shape:
                        raise InputError(
                            f"func returned shape {result.shape} for the window at row "
                            f"{window.row_off}, col {window.col_off} of shape {shape}; it must "
                            "return one value per cell"
                        )
                    if np.issubdtype(result.dtype, np.floating):
                        invalid |= np.isnan(result)
                    values = result.astype(out_dtype)
                    values[invalid] = fill
                    dst.write(values, 1, window=window)
            if cog:
                _to_cog(tmp)
    return out_path


#: GDAL block cache used by the functions of this module unless ``GDAL_CACHEMAX`` is set in the
#: environment (GDAL's own default is 5 % of the physical memory, which would dominate the
#: peak memory of a blockwise run on a large machine).
GDAL_CACHE_BYTES = 128 * 2**20


def _bounded_cache() -> Any:
    import rasterio

    if "GDAL_CACHEMAX" in os.environ:
        return contextlib.nullcontext()
    return rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES)


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp.tif")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".cog.tif")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _to_cog(tmp: Path) -> None:
    """Rewrite the tiled GeoTIFF ``tmp`` in place as a Cloud-Optimized GeoTIFF."""
    from rasterio.shutil import copy as gdal_copy

    cog = tmp.with_name(tmp.name + ".cog.tif")
    gdal_copy(tmp, cog, driver="COG", compress="DEFLATE", BIGTIFF="IF_SAFER")
    os.replace(cog, tmp)


# ---------------------------------------------------------------- streaming statistics


def _read_valid(path: PathLike, block_size: int, what: str) -> Iterator[np.ndarray]:
    """Yield the valid (not nodata, not NaN) cells of band 1, block by block, as 1-D arrays."""
    size = _check_block_size(block_size)
    with _bounded_cache(), _open(path, what) as src:
        for window in _windows(src.height, src.width, size):
            block = src.read(1, window=window)
            yield block[~_invalid(block, src.nodata)]


def raster_minmax(path: PathLike, *, block_size: int = 1024) -> tuple[float, float]:
    """Smallest and largest valid value of band 1, read block by block.

    Parameters
    ----------
    path : path
        Raster file.
    block_size : int, keyword-only
        Edge of the windows read at once (multiple of 16).

    Returns
    -------
    (float, float)
        ``(min, max)`` over the cells that are neither nodata nor NaN.

    Raises
    ------
    InputError
        Missing or unreadable file, bad ``block_size``, or no valid cell at all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=2, height=2, count=1, dtype="int16",
    ...                    transform=from_origin(0, 2, 1, 1), nodata=-1) as dst:
    ...     dst.write(np.array([[3, -1], [7, 5]], dtype="int16"), 1)
    >>> raster_minmax(p)
    (3.0, 7.0)
    """
    lo, hi = np.inf, -np.inf
    for values in _read_valid(path, block_size, "raster"):
        if values.size:
            lo = min(lo, float(values.min()))
            hi = max(hi, float(values.max()))
    if lo > hi:
        raise InputError(f"raster {str(path)!r}: no valid cell (all nodata or NaN)")
    return lo, hi


@dataclass(frozen=True)
class RasterHistogram:
    """Result of :func:`raster_histogram`.

    Attributes
    ----------
    exact : bool
        True when ``values`` are the distinct values of the raster and ``counts`` their
        exact numbers of cells; False when the raster had more distinct values than
        ``max_distinct`` and the histogram has ``bins`` equal-width bins.
    values : numpy.ndarray
        Distinct values, increasing (float64); empty when not ``exact``.
    edges : numpy.ndarray
        Bin edges (float64, ``bins + 1`` of them, the last bin closed) when not ``exact``;
        empty when ``exact``.
    counts : numpy.ndarray
        Cells per distinct value or per bin (int64).
    n : int
        Number of valid cells (``counts.sum()``).
    min, max : float
        Smallest and largest valid value.
    """

    exact: bool
    values: np.ndarray
    edges: np.ndarray
    counts: np.ndarray
    n: int
    min: float
    max: float


def _merge_counts(
    values: np.ndarray, counts: np.ndarray, new_values: np.ndarray, new_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    merged = np.concatenate([values, new_values])
    weights = np.concatenate([counts, new_counts])
    distinct, inverse = np.unique(merged, return_inverse=True)
    return distinct, np.bincount(inverse, weights=weights, minlength=distinct.size).astype(np.int64)


def raster_histogram(
    path: PathLike,
    *,
    max_distinct: int = 65_536,
    bins: int = 65_536,
    block_size: int = 1024,
) -> RasterHistogram:
    """Streaming histogram of band 1: exact counts of distinct values when they are few.

    Parameters
    ----------
    path : path
        Raster file.
    max_distinct : int, keyword-only
        Largest number of distinct values kept exactly.  Classified rasters (land use,
        integer scores, rounded values) usually stay below it; their result is exact and
        can feed exact quantiles or a natural-breaks search on (value, count) pairs.
    bins : int, keyword-only
        Number of equal-width bins between the minimum and the maximum used when there
        are more than ``max_distinct`` distinct values (a second pass over the file).
    block_size : int, keyword-only
        Edge of the windows read at once (multiple of 16).

    Returns
    -------
    RasterHistogram
        ``exact`` distinct values and counts, or ``bins`` equal-width bin counts.

    Raises
    ------
    InputError
        Missing or unreadable file, bad options, no valid cell.

    Notes
    -----
    Memory is bounded by the block size plus ``max_distinct`` (value, count) pairs.  The
    binned fallback counts cells exactly per bin but loses the position of values inside a
    bin: quantiles from it (:func:`histogram_quantiles`) are within one bin width
    ``(max - min) / bins`` of the true ones, and natural breaks computed from bin centres
    weighted by counts are approximate to the same resolution.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "lu.tif"
    >>> with rasterio.open(p, "w", driver="GTiff", width=3, height=2, count=1, dtype="uint8",
    ...                    transform=from_origin(0, 2, 1, 1), nodata=0) as dst:
    ...     dst.write(np.array([[1, 1, 2], [0, 5, 2]], dtype="uint8"), 1)
    >>> h = raster_histogram(p)
    >>> h.exact, h.values.tolist(), h.counts.tolist()
    (True, [1.0, 2.0, 5.0], [2, 2, 1])
    """
    for name, value in (("max_distinct", max_distinct), ("bins", bins)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InputError(f"{name}={value!r} must be a positive integer")
    values = np.empty(0, dtype=np.float64)
    counts = np.empty(0, dtype=np.int64)
    exact = True
    lo, hi, n = np.inf, -np.inf, 0
    for block in _read_valid(path, block_size, "raster"):
        if not block.size:
            continue
        n += block.size
        lo = min(lo, float(block.min()))
        hi = max(hi, float(block.max()))
        if exact:
            u, c = np.unique(block.astype(np.float64), return_counts=True)
            values, counts = _merge_counts(values, counts, u, c)
            if values.size > max_distinct:
                exact = False
                values = counts = np.empty(0)
    if n == 0:
        raise InputError(f"raster {str(path)!r}: no valid cell (all nodata or NaN)")
    if exact:
        return RasterHistogram(True, values, np.empty(0), counts, n, lo, hi)
    edges = np.linspace(lo, hi, int(bins) + 1)
    binned = np.zeros(int(bins), dtype=np.int64)
    for block in _read_valid(path, block_size, "raster"):
        if block.size:
            binned += np.histogram(block.astype(np.float64), bins=edges)[0]
    return RasterHistogram(False, np.empty(0), edges, binned, n, lo, hi)


def histogram_quantiles(hist: RasterHistogram, q: Any) -> np.ndarray:
    """Quantiles from a :class:`RasterHistogram`.

    Parameters
    ----------
    hist : RasterHistogram
        Output of :func:`raster_histogram`.
    q : float or array_like
        Probabilities in ``[0, 1]``.

    Returns
    -------
    numpy.ndarray
        For an exact histogram, the smallest value whose cumulative share reaches ``q``
        (numpy's ``method="inverted_cdf"``), equal to that of the full array; for a
        binned one, linear interpolation inside the bin (within one bin width).

    Raises
    ------
    InputError
        Probabilities outside ``[0, 1]``.

    Examples
    --------
    >>> h = RasterHistogram(True, np.array([1.0, 2.0, 5.0]), np.empty(0), np.array([2, 2, 1]),
    ...                     5, 1.0, 5.0)
    >>> histogram_quantiles(h, [0.0, 0.5, 1.0]).tolist()
    [1.0, 2.0, 5.0]
    """
    probs = np.atleast_1d(np.asarray(q, dtype=np.float64))
    if not np.all((probs >= 0) & (probs <= 1)):
        raise InputError(f"q={q!r}: probabilities must lie in [0, 1]")
    cum = np.cumsum(hist.counts)
    if hist.exact:
        ranks = np.maximum(np.ceil(probs * hist.n), 1)
        return hist.values[np.searchsorted(cum, ranks, side="left")]
    target = probs * hist.n
    k = np.minimum(np.searchsorted(cum, target, side="left"), cum.size - 1)
    before = np.where(k > 0, cum[np.maximum(k - 1, 0)], 0)
    inside = np.where(hist.counts[k] > 0, (target - before) / np.maximum(hist.counts[k], 1), 0.0)
    left, width = hist.edges[k], hist.edges[k + 1] - hist.edges[k]
    return np.clip(left + np.clip(inside, 0.0, 1.0) * width, hist.min, hist.max)


# ---------------------------------------------------------------- two-pass overlay


def normalized_overlay(
    inputs: Mapping[str, PathLike],
    weights: Mapping[str, float],
    output: PathLike,
    *,
    directions: Mapping[str, str] | None = None,
    block_size: int = 1024,
    dtype: Any = "float32",
    cog: bool = True,
) -> Path:
    """Weighted sum of min-max normalised rasters, in two streaming passes.

    Pass 1 finds each input's minimum and maximum over its own valid cells
    (:func:`raster_minmax`); pass 2 writes
    ``sum_k w_k z_k`` with ``z = (x - min) / (max - min)`` for a ``"positive"`` input and
    ``1 - z`` for a ``"negative"`` one (the convention of
    :func:`regionkit.indices.normalize.minmax`), through :func:`map_blocks`.

    Parameters
    ----------
    inputs : mapping of str -> path
        Aligned rasters.
    weights : mapping of str -> float
        One finite, non-negative weight per input (not all zero); used as given (not
        rescaled to sum to 1).
    output : path
        GeoTIFF to write, atomically.
    directions : mapping of str -> {"positive", "negative"}, optional, keyword-only
        Direction of each input (all positive when omitted).
    block_size, dtype, cog : keyword-only
        As in :func:`map_blocks`.

    Returns
    -------
    pathlib.Path
        The output path.

    Raises
    ------
    InputError
        Weights or directions that do not match the inputs, negative or non-finite
        weights, a constant input (min = max; naming it) or one without valid cells, and
        everything :func:`map_blocks` raises.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np, rasterio
    >>> from rasterio.transform import from_origin
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> profile = dict(driver="GTiff", width=3, height=1, count=1, dtype="float32",
    ...                transform=from_origin(0, 1, 1, 1), nodata=-1)
    >>> for name, row in (("a", [0, 5, 10]), ("b", [1, 2, 3])):
    ...     with rasterio.open(d / f"{name}.tif", "w", **profile) as dst:
    ...         dst.write(np.array([row], dtype="float32"), 1)
    >>> out = normalized_overlay({"a": d / "a.tif", "b": d / "b.tif"}, {"a": 0.5, "b": 0.5},
    ...                          d / "o.tif", directions={"b": "negative"}, block_size=16)
    >>> with rasterio.open(out) as src:
    ...     src.read(1).tolist()
    [[0.5, 0.5, 0.5]]
    """
    names = [str(k) for k in inputs]
    if set(map(str, weights)) != set(names):
        raise InputError(
            f"weights name {sorted(map(str, weights))} but the inputs are {sorted(names)}; "
            "give one weight per input"
        )
    w = {str(k): float(v) for k, v in weights.items()}
    bad = [k for k, v in w.items() if not (np.isfinite(v) and v >= 0)]
    if bad:
        raise InputError(f"weight(s) of {bad} must be finite and >= 0")
    if not any(w.values()):
        raise InputError("all weights are 0")
    dirs = {k: "positive" for k in names}
    for k, v in (directions or {}).items():
        if str(k) not in dirs:
            raise InputError(f"directions names {k!r}, which is not an input ({sorted(names)})")
        check_option(f"direction of {k!r}", v, Direction)
        dirs[str(k)] = v
    extremes = {}
    for k, path in inputs.items():
        lo, hi = raster_minmax(path, block_size=block_size)
        if not hi > lo:
            raise InputError(f"input {str(k)!r} ({path}) is constant ({lo:g}): it cannot be min-max normalised")
        extremes[str(k)] = (lo, hi)

    def overlay(arrays: dict[str, np.ndarray]) -> np.ndarray:
        total = None
        for k in names:
            lo, hi = extremes[k]
            z = (arrays[k].astype(np.float64) - lo) / (hi - lo)
            if dirs[k] == "negative":
                z = 1.0 - z
            term = w[k] * z
            total = term if total is None else total + term
        return total

    return map_blocks(
        overlay, inputs, output, block_size=block_size, dtype=dtype, nodata=None, cog=cog
    )
