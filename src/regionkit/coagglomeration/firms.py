"""Firm point data: reading, checking, projecting and screening for outliers.

A firm table holds one row per firm with its coordinates, one or more
industry codes (e.g. 2- and 3-digit SIC) and optionally a city code.
:func:`read_firms` reads it from CSV (plain or gzip) and *reports* every row
it cannot use -- rows without coordinates (or with coordinates out of range),
rows without an industry code, rows with the unknown-city code -- by count
and row number; the caller decides whether such rows are an error or are
dropped (``on_missing``, ``on_unknown_city``).  Nothing is dropped silently.

Row numbers are 0-based positions among the data rows of the file (the
header is not counted); the file line of row ``i`` is ``i + 2``.  They are
kept as the ``firm_id`` of every firm so a firm can always be traced back to
its line.

:func:`project_firms` converts geographic coordinates to metres (an automatic
UTM zone or a given projected CRS) and :func:`find_outliers` lists firms
outside a study-area polygon, firms isolated from all others and firms far
from the rest of their own city (robust rules documented there).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._checks import check_option
from ..errors import InputError

OnMissing = Literal["error", "drop"]
"""What :func:`read_firms` does with rows lacking coordinates or industry codes."""

OnUnknownCity = Literal["keep", "drop", "error"]
"""What :func:`read_firms` does with rows whose city code is the unknown code."""

_MAX_LISTED = 20


def _rows_text(rows: np.ndarray, limit: int = _MAX_LISTED) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return shown + more


@dataclass(frozen=True)
class FirmsReport:
    """What :func:`read_firms` found wrong with the rows of a firm file.

    Attributes
    ----------
    source : str
        The file read.
    n_rows : int
        Data rows in the file.
    missing_coordinates : numpy.ndarray
        Row numbers (0-based data rows) without usable coordinates
        (empty, non-numeric, or longitude/latitude out of range for a
        geographic CRS).
    missing_industry : numpy.ndarray
        Row numbers with an empty or non-integer industry code (any level).
    unknown_city : numpy.ndarray
        Row numbers whose city code equals the unknown code (empty when no
        city column was read).
    dropped : numpy.ndarray
        Row numbers left out of the returned :class:`Firms`.
    """

    source: str
    n_rows: int
    missing_coordinates: np.ndarray
    missing_industry: np.ndarray
    unknown_city: np.ndarray
    dropped: np.ndarray

    def summary(self) -> str:
        """One line per kind of problem, with the first row numbers."""
        lines = [f"{self.source}: {self.n_rows} rows, {self.n_rows - len(self.dropped)} kept"]
        for name, rows in (
            ("without coordinates", self.missing_coordinates),
            ("without industry code", self.missing_industry),
            ("with unknown city", self.unknown_city),
            ("dropped", self.dropped),
        ):
            if len(rows):
                lines.append(f"  {len(rows)} row(s) {name}: {_rows_text(rows)}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Long table ``row, problem, dropped`` (one line per row and problem)."""
        dropped = set(self.dropped.tolist())
        parts = []
        for name, rows in (
            ("missing_coordinates", self.missing_coordinates),
            ("missing_industry", self.missing_industry),
            ("unknown_city", self.unknown_city),
        ):
            parts.append(pd.DataFrame({"row": rows.astype(np.int64), "problem": name}))
        out = pd.concat(parts, ignore_index=True)
        out["dropped"] = out["row"].isin(dropped)
        return out


@dataclass(frozen=True, eq=False)
class Firms:
    """Firm points with industry codes.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per firm: ``firm_id`` (row number in the source file),
        ``x``, ``y`` (longitude/latitude for a geographic CRS, metres when
        projected), one column per industry level (int codes) and ``city``
        when a city column was read.
    crs : str
        CRS of ``x``/``y`` (any string pyproj understands).
    industry_levels : tuple of str
        Names of the industry columns in ``frame`` (e.g. ``("sic2", "sic3")``).
    report : FirmsReport
        Rows reported (and possibly dropped) when reading.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.coagglomeration.firms import firms_from_frame
    >>> f = firms_from_frame(pd.DataFrame({"x": [0.0, 10.0], "y": [0.0, 5.0], "sic3": [101, 102]}),
    ...                      crs="EPSG:32651", industry_levels=("sic3",))
    >>> f.coordinates().tolist(), f.labels("sic3").tolist()
    ([[0.0, 0.0], [10.0, 5.0]], [101, 102])
    """

    frame: pd.DataFrame
    crs: str
    industry_levels: tuple[str, ...]
    report: FirmsReport = field(repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def is_geographic(self) -> bool:
        """True when ``x``/``y`` are longitude/latitude."""
        return _is_geographic(self.crs)

    def coordinates(self) -> np.ndarray:
        """``(n, 2)`` float array of ``x, y`` (a new array)."""
        return self.frame[["x", "y"]].to_numpy(dtype=float, copy=True)

    def labels(self, level: str) -> np.ndarray:
        """Industry codes at ``level`` (a new int array)."""
        if level not in self.industry_levels:
            raise InputError(f"industry level {level!r} not read; available: {', '.join(self.industry_levels)}")
        return self.frame[level].to_numpy(dtype=np.int64, copy=True)

    def select(self, *, city: int | None = None, mask: np.ndarray | None = None) -> Firms:
        """A new :class:`Firms` holding the firms of one city and/or a boolean mask."""
        keep = np.ones(len(self.frame), dtype=bool)
        if city is not None:
            if "city" not in self.frame.columns:
                raise InputError("select(city=...): no city column was read (pass city_col to read_firms)")
            keep &= self.frame["city"].to_numpy() == city
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            if mask.shape != keep.shape:
                raise InputError(f"select(mask=...): mask of length {mask.size} for {keep.size} firms")
            keep &= mask
        return replace(self, frame=self.frame.loc[keep].reset_index(drop=True))

    def summary(self) -> str:
        """Firm count, CRS, industry counts per level and the reading report."""
        parts = [f"{len(self)} firms, CRS {self.crs}"]
        for level in self.industry_levels:
            parts.append(f"{self.frame[level].nunique()} {level} codes")
        if "city" in self.frame.columns:
            parts.append(f"{self.frame['city'].nunique()} cities")
        return ", ".join(parts) + "\n" + self.report.summary()

    def to_frame(self) -> pd.DataFrame:
        """A copy of :attr:`frame`."""
        return self.frame.copy()


def _is_geographic(crs: Any) -> bool:
    from pyproj import CRS

    return bool(CRS.from_user_input(crs).is_geographic)


def _int_codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and a mask of unusable (missing, non-integer) entries."""
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(num)
    bad |= np.where(bad, False, num != np.round(np.nan_to_num(num)))
    codes = np.where(bad, 0, np.nan_to_num(num)).astype(np.int64)
    return codes, bad


def firms_from_frame(
    frame: pd.DataFrame,
    *,
    crs: str,
    industry_levels: tuple[str, ...],
    source: str = "<frame>",
) -> Firms:
    """Wrap an already clean table (columns ``x``, ``y``, industry levels, optional ``city``).

    A ``firm_id`` column is added (row positions) when absent.  The table is
    copied; missing coordinates or codes raise :class:`InputError`.
    """
    frame = frame.copy()
    missing = [c for c in ("x", "y", *industry_levels) if c not in frame.columns]
    if missing:
        raise InputError(f"{source}: column(s) {', '.join(map(repr, missing))} not found")
    if "firm_id" not in frame.columns:
        frame.insert(0, "firm_id", np.arange(len(frame), dtype=np.int64))
    xy = frame[["x", "y"]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise InputError(f"{source}: missing or non-numeric coordinates at row(s) {_rows_text(np.flatnonzero(bad))}")
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    for level in industry_levels:
        codes, bad = _int_codes(frame[level])
        if bad.any():
            raise InputError(f"{source}: column {level!r}: missing or non-integer code at row(s) "
                             f"{_rows_text(np.flatnonzero(bad))}")
        frame[level] = codes
    empty = np.array([], dtype=np.int64)
    report = FirmsReport(source, len(frame), empty, empty, empty, empty)
    return Firms(frame.reset_index(drop=True), str(crs), tuple(industry_levels), report)


def read_firms(
    path: str | Path,
    *,
    lon_col: str,
    lat_col: str,
    industry_cols: Mapping[str, str],
    city_col: str | None = None,
    crs: str = "EPSG:4326",
    on_missing: OnMissing = "error",
    unknown_city: int | None = 0,
    on_unknown_city: OnUnknownCity = "keep",
) -> Firms:
    """Read a firm CSV (``.csv`` or ``.csv.gz``) into :class:`Firms`.

    Parameters
    ----------
    path : str or Path
        The file; gzip is detected from the ``.gz`` suffix.
    lon_col, lat_col : str
        Columns holding x/longitude and y/latitude (in ``crs``).
    industry_cols : mapping of str to str
        Level name -> file column, e.g. ``{"sic2": "SIC2", "sic3": "SIC3"}``.
        Codes must be integers.
    city_col : str, optional
        Column with an integer city code; read as ``city``.
    crs : str
        CRS of the coordinates.  For a geographic CRS, longitudes outside
        [-180, 180] and latitudes outside [-90, 90] count as missing.
    on_missing : {"error", "drop"}
        Rows without usable coordinates or industry codes: raise an
        :class:`InputError` listing them, or drop them (they stay listed in
        :attr:`Firms.report`).
    unknown_city : int or None
        The city code meaning "unknown" (0 in the Chen et al. 2020 data).
    on_unknown_city : {"keep", "drop", "error"}
        Rows with the unknown city code: keep them (still reported), drop them
        or raise.

    Returns
    -------
    Firms

    Raises
    ------
    InputError
        A missing file or column, or (per the options) rows at fault, named
        by row number.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f.csv"
    >>> _ = p.write_text("lon,lat,city,sic\\n121.4,31.2,3101,292\\n,,3101,292\\n121.5,31.3,0,366\\n")
    >>> f = read_firms(p, lon_col="lon", lat_col="lat", industry_cols={"sic3": "sic"},
    ...                city_col="city", on_missing="drop")
    >>> len(f), f.report.missing_coordinates.tolist(), f.report.unknown_city.tolist()
    (2, [1], [2])
    """
    check_option("on_missing", on_missing, OnMissing)
    check_option("on_unknown_city", on_unknown_city, OnUnknownCity)
    path = Path(path)
    if not path.is_file():
        raise InputError(f"firm file not found: {path}")
    if not industry_cols:
        raise InputError(f"{path}: industry_cols is empty; name at least one industry column")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{path}: cannot read as CSV: {exc}") from exc
    needed = [lon_col, lat_col, *industry_cols.values()] + ([city_col] if city_col else [])
    missing_cols = [c for c in needed if c not in raw.columns]
    if missing_cols:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, missing_cols))} not found; "
                         f"available columns: {', '.join(raw.columns)}")
    n = len(raw)
    x = pd.to_numeric(raw[lon_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    y = pd.to_numeric(raw[lat_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad_xy = ~(np.isfinite(x) & np.isfinite(y))
    if _is_geographic(crs):
        with np.errstate(invalid="ignore"):
            bad_xy |= (np.abs(x) > 180) | (np.abs(y) > 90)
    frame = pd.DataFrame({"firm_id": np.arange(n, dtype=np.int64), "x": x, "y": y})
    bad_ind = np.zeros(n, dtype=bool)
    bad_by_level: dict[str, np.ndarray] = {}
    for level, col in industry_cols.items():
        codes, bad = _int_codes(raw[col])
        frame[level] = codes
        bad_ind |= bad
        bad_by_level[col] = bad
    unknown = np.zeros(n, dtype=bool)
    if city_col:
        codes, bad_city = _int_codes(raw[city_col])
        if bad_city.any():
            raise InputError(f"{path}: column {city_col!r}: missing or non-integer city code at row(s) "
                             f"{_rows_text(np.flatnonzero(bad_city))} (rows are 0-based data rows; "
                             "file line = row + 2)")
        frame["city"] = codes
        if unknown_city is not None:
            unknown = codes == unknown_city

    problems = []
    if on_missing == "error":
        if bad_xy.any():
            problems.append(f"{int(bad_xy.sum())} row(s) without usable coordinates in columns "
                            f"{lon_col!r}/{lat_col!r}: {_rows_text(np.flatnonzero(bad_xy))}")
        for col, bad in bad_by_level.items():
            if bad.any():
                problems.append(f"{int(bad.sum())} row(s) without integer code in column {col!r}: "
                                f"{_rows_text(np.flatnonzero(bad))}")
    if on_unknown_city == "error" and unknown.any():
        problems.append(f"{int(unknown.sum())} row(s) with unknown city code {unknown_city} in column "
                        f"{city_col!r}: {_rows_text(np.flatnonzero(unknown))}")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems)
                         + " (rows are 0-based data rows, file line = row + 2; pass on_missing='drop' "
                           "or on_unknown_city='drop'/'keep' to go on without them)")
    drop = bad_xy | bad_ind
    if on_unknown_city == "drop":
        drop = drop | unknown
    report = FirmsReport(
        source=str(path),
        n_rows=n,
        missing_coordinates=np.flatnonzero(bad_xy),
        missing_industry=np.flatnonzero(bad_ind),
        unknown_city=np.flatnonzero(unknown),
        dropped=np.flatnonzero(drop),
    )
    frame = frame.loc[~drop].reset_index(drop=True)
    return Firms(frame, str(crs), tuple(industry_cols), report)


def utm_crs_for(lon: float, lat: float) -> str:
    """EPSG code (``"EPSG:326zz"`` north / ``"EPSG:327zz"`` south) of the UTM zone of a point."""
    if not (-180 <= lon <= 180 and -80 <= lat <= 84):
        raise InputError(f"no UTM zone for lon={lon}, lat={lat}")
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def project_firms(firms: Firms, *, crs: str | None = None) -> Firms:
    """Project firm coordinates to metres.

    Parameters
    ----------
    firms : Firms
    crs : str, optional
        Target projected CRS (metre units).  ``None``: the UTM zone of the
        median longitude/latitude (geographic input only).  UTM distorts
        distances away from its zone: a warning is given when the central
        98% of the firms span more than 12 degrees of longitude -- for
        national data pass an equidistant or equal-area CRS (e.g.
        ``"ESRI:102025"``, Asia North Albers Equal Area Conic).

    Returns
    -------
    Firms
        A new object; ``x``/``y`` in metres, ``crs`` the target.

    Raises
    ------
    InputError
        A geographic target CRS, a target not in metres, or no firms.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.coagglomeration.firms import firms_from_frame, project_firms
    >>> f = firms_from_frame(pd.DataFrame({"x": [121.0, 121.01], "y": [31.0, 31.0], "s": [1, 2]}),
    ...                      crs="EPSG:4326", industry_levels=("s",))
    >>> p = project_firms(f)
    >>> p.crs, round(float(abs(p.frame.x[1] - p.frame.x[0])))
    ('EPSG:32651', 955)
    """
    from pyproj import CRS, Transformer

    if len(firms) == 0:
        raise InputError("project_firms: no firms")
    x = firms.frame["x"].to_numpy(dtype=float)
    y = firms.frame["y"].to_numpy(dtype=float)
    source = CRS.from_user_input(firms.crs)
    if crs is None:
        if not source.is_geographic:
            raise InputError(f"project_firms: the firms are already in the projected CRS {firms.crs}; "
                             "pass crs= to reproject")
        lo, hi = np.quantile(x, [0.01, 0.99])
        if hi - lo > 12:
            warnings.warn(f"project_firms: firms span {hi - lo:.0f} degrees of longitude; a single UTM "
                          "zone distorts distances there, pass an equidistant or equal-area crs",
                          UserWarning, stacklevel=2)
        crs = utm_crs_for(float(np.median(x)), float(np.median(y)))
    target = CRS.from_user_input(crs)
    if target.is_geographic:
        raise InputError(f"project_firms: target CRS {crs} is geographic (degrees); distances need a "
                         "projected CRS in metres")
    units = {ax.unit_name for ax in target.axis_info}
    if not units <= {"metre", "meter"}:
        raise InputError(f"project_firms: target CRS {crs} has units {', '.join(sorted(units))}, not metres")
    tr = Transformer.from_crs(source, target, always_xy=True)
    px, py = tr.transform(x, y)
    frame = firms.frame.copy()
    frame["x"], frame["y"] = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    if not np.isfinite(frame[["x", "y"]].to_numpy()).all():
        bad = np.flatnonzero(~np.isfinite(frame[["x", "y"]].to_numpy()).all(axis=1))
        raise InputError(f"project_firms: firm(s) {_rows_text(frame['firm_id'].to_numpy()[bad])} cannot be "
                         f"projected to {crs}")
    return replace(firms, frame=frame, crs=str(crs))


@dataclass(frozen=True)
class OutlierReport:
    """Firms flagged by :func:`find_outliers` (ids are ``firm_id``, i.e. source row numbers).

    Attributes
    ----------
    outside_area : numpy.ndarray
        Firms outside the study-area polygon (empty when none was given).
    isolated : numpy.ndarray
        Firms whose distance to their k-th nearest neighbour is extreme.
    far_from_city : numpy.ndarray
        Firms far from the median location of their own city.
    knn_distance : numpy.ndarray
        k-th nearest neighbour distance of every firm (CRS units).
    knn_threshold, city_threshold_factor : float
        The cut-offs used (see :func:`find_outliers`).
    """

    outside_area: np.ndarray
    isolated: np.ndarray
    far_from_city: np.ndarray
    knn_distance: np.ndarray = field(repr=False)
    knn_threshold: float
    k: int
    z: float

    @property
    def all_ids(self) -> np.ndarray:
        """Union of all flagged firm ids, sorted."""
        return np.union1d(np.union1d(self.outside_area, self.isolated), self.far_from_city)

    def summary(self) -> str:
        """Counts and the first ids of each kind."""
        return "\n".join([
            f"{len(self.all_ids)} firm(s) flagged",
            f"  outside the study area: {len(self.outside_area)} {_rows_text(self.outside_area)}",
            f"  isolated ({self.k}-NN distance > {self.knn_threshold:.4g}): {len(self.isolated)} "
            f"{_rows_text(self.isolated)}",
            f"  far from their city: {len(self.far_from_city)} {_rows_text(self.far_from_city)}",
        ])

    def to_frame(self) -> pd.DataFrame:
        """Long table ``firm_id, reason``."""
        parts = [pd.DataFrame({"firm_id": ids.astype(np.int64), "reason": reason}) for reason, ids in
                 (("outside_area", self.outside_area), ("isolated", self.isolated),
                  ("far_from_city", self.far_from_city))]
        return pd.concat(parts, ignore_index=True)


def _robust_upper(values: np.ndarray, z: float) -> float:
    """``exp(median + z * 1.4826 * MAD)`` of ``log(values)`` (values > 0)."""
    lv = np.log(values)
    med = float(np.median(lv))
    mad = 1.4826 * float(np.median(np.abs(lv - med)))
    return float(np.exp(med + z * mad))


def find_outliers(
    firms: Firms,
    *,
    study_area: Any = None,
    k: int = 5,
    z: float = 5.0,
    min_distance: float = 50_000.0,
    by_city: bool = True,
) -> OutlierReport:
    """Flag firms outside a study area, isolated from all others or far from their city.

    Rules (projected ``firms``, distances in metres):

    * **outside area**: not covered by any geometry of ``study_area`` (a
      shapely geometry, an array of them or a GeoSeries/GeoDataFrame in the
      firms' CRS; invalid polygons are repaired with ``make_valid``);
    * **isolated**: ``d_k``, the distance to the k-th nearest other firm, is
      above ``max(min_distance, T)`` where ``T = exp(median + z · 1.4826 ·
      MAD)`` of ``log d_k`` over firms with ``d_k > 0`` -- a robust z-score
      on the log scale, insensitive to the outliers themselves;
    * **far from city** (``by_city`` and a ``city`` column): the distance
      ``r`` from a firm to the coordinate-wise median of its city is above
      ``max(min_distance, exp(median + z · 1.4826 · MAD))`` of ``log r`` within
      the city (cities with fewer than ``2k`` firms are skipped).

    Nothing is removed: the report lists ``firm_id`` values; drop them with
    ``firms.select(mask=~firms.frame.firm_id.isin(report.all_ids))``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.coagglomeration.firms import firms_from_frame, find_outliers
    >>> g = np.random.default_rng(0).normal(0, 1000, (200, 2))
    >>> g[7] = [500_000, 0]
    >>> f = firms_from_frame(pd.DataFrame({"x": g[:, 0], "y": g[:, 1], "s": 1}), crs="EPSG:32651",
    ...                      industry_levels=("s",))
    >>> find_outliers(f).isolated.tolist()
    [7]
    """
    from scipy.spatial import cKDTree

    if firms.is_geographic:
        raise InputError("find_outliers: project the firms to metres first (project_firms)")
    if k < 1 or len(firms) <= k:
        raise InputError(f"find_outliers: k={k} needs more than k firms (have {len(firms)})")
    xy = firms.coordinates()
    ids = firms.frame["firm_id"].to_numpy(dtype=np.int64)
    outside = np.array([], dtype=np.int64)
    if study_area is not None:
        import shapely

        geoms = getattr(study_area, "geometry", study_area)
        geoms = np.atleast_1d(np.asarray(getattr(geoms, "values", geoms), dtype=object))
        geoms = shapely.make_valid(geoms[~shapely.is_missing(geoms)])  # real polygons are often invalid
        tree = shapely.STRtree(geoms)
        hit = tree.query(shapely.points(xy), predicate="intersects")[0]
        inside = np.zeros(len(xy), dtype=bool)
        inside[hit] = True
        outside = ids[~inside]
    dist, _ = cKDTree(xy).query(xy, k=k + 1)
    dk = dist[:, k]
    positive = dk[dk > 0]
    thr = max(min_distance, _robust_upper(positive, z)) if positive.size else min_distance
    isolated = ids[dk > thr]
    far = []
    if by_city and "city" in firms.frame.columns:
        city = firms.frame["city"].to_numpy()
        order = np.argsort(city, kind="stable")
        bounds = np.flatnonzero(np.diff(city[order])) + 1
        for grp in np.split(order, bounds):
            if grp.size < 2 * k:
                continue
            pts = xy[grp]
            r = np.hypot(*(pts - np.median(pts, axis=0)).T)
            rp = r[r > 0]
            if rp.size < k:
                continue
            far.append(ids[grp[r > max(min_distance, _robust_upper(rp, z))]])
    far_ids = np.sort(np.concatenate(far)) if far else np.array([], dtype=np.int64)
    return OutlierReport(np.sort(outside), np.sort(isolated), far_ids, dk, float(thr), int(k), float(z))


__all__ = [
    "Firms",
    "FirmsReport",
    "OnMissing",
    "OnUnknownCity",
    "OutlierReport",
    "find_outliers",
    "firms_from_frame",
    "project_firms",
    "read_firms",
    "utm_crs_for",
]
