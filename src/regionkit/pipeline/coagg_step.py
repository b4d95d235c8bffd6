"""The ``[coagglomeration]`` step: firm points → co-agglomeration matrix → core industries → densities.

The firm file is read and checked (:func:`~regionkit.coagglomeration.firms.read_firms`:
rows without coordinates, without an industry code or with the unknown city
code are reported by row number), restricted to the chosen cities, projected
to metres and screened for outliers (reported, or dropped on request).  The
firms left form the pool of counterfactual locations; the industries of the
analysed level with at least ``min_firms`` firms form the matrix
(:func:`~regionkit.coagglomeration.counterfactual.coagglomeration`, on
coordinates in **kilometres**, so transport distances ``W`` are in km²).
The significant pairs are summarised by two-digit group and ranked
(:func:`~regionkit.coagglomeration.network.coagg_network`); the core
industries get kernel density surfaces on one grid covering all the firms,
and their sum (the superimposed production surface).

Everything here is a pure function of the section and the files it names;
files are written by :mod:`regionkit.report.coagg`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, InputError
from .config import CoaggSection
from .steps import resolve

DEFAULT_EPS_REL = 0.01  # ε = 0.01 · D² when eps_rel is not given (the library's default)
DEFAULT_CORE_N = 10
MAX_DENSITY_CELLS = 4_000_000  # cells of one density layer
GAUSSIAN_MARGIN = 3.0  # the density grid extends 3 h beyond the firms for a Gaussian kernel
TaskProgress = Callable[[int, int, str], None]


@dataclass(frozen=True, eq=False)
class CoaggStepResults:
    """Everything the co-agglomeration step produced.

    Attributes
    ----------
    section : CoaggSection
    firms : pandas.DataFrame
        Every firm of the selected cities (projected ``x``, ``y`` in metres of
        ``crs``), with ``industry`` (analysed level), ``group``, ``outlier``
        (flagged by the screening), ``outlier_reason``, ``in_pool`` (kept for
        the analysis), ``analysed`` (its industry is in the matrix) and
        ``core`` (its industry is a core industry).
    crs : str
        The projected CRS.
    reading, outliers
        :class:`~regionkit.coagglomeration.firms.FirmsReport` and
        :class:`~regionkit.coagglomeration.firms.OutlierReport`.
    result : CoaggResult
    network : CoaggNetwork
    core : tuple
        Core industries (most frequent in significant pairs).
    skipped : tuple
        Industries left out of the matrix (fewer than ``min_firms`` firms or not listed).
    densities : IndustryDensities or None
        Density layers (firms per km², grid in metres) of the density industries.
    eps : float or None
        ε in km² (Sinkhorn distances).
    squared_diameter : float
        D² in km², the scale ``eps_rel`` refers to.
    tables : dict of str to DataFrame
    methods : list of str
    """

    section: CoaggSection
    firms: pd.DataFrame
    crs: str
    reading: Any
    outliers: Any
    result: Any
    network: Any
    core: tuple
    skipped: tuple
    densities: Any
    eps: float | None
    squared_diameter: float
    tables: dict[str, pd.DataFrame]
    methods: list[str]

    def summary(self) -> str:
        """A few lines: firms, industries, significant pairs and the core industries."""
        return "\n".join([
            f"{int(self.firms['in_pool'].sum())} firms in the pool, {len(self.result.sizes)} industries "
            f"analysed ({len(self.skipped)} skipped)",
            self.result.summary(),
            f"core industries: {', '.join(map(str, self.core)) or '(none: no significant pair)'}",
        ])


# ---------------------------------------------------------------- inputs and checks

def _helsinki_pois() -> pd.DataFrame:
    from ..io.datasets import helsinki_pois

    return helsinki_pois()


def _helsinki_pois_columns() -> tuple[str, ...]:
    from ..io.datasets import HELSINKI_POI_COLUMNS

    return HELSINKI_POI_COLUMNS


#: Embedded firm tables a study may name as ``firms = "dataset:<name>"``: name -> (loader, column names).
FIRM_DATASETS: dict[str, tuple[Callable[[], pd.DataFrame], Callable[[], tuple[str, ...]]]] = {
    "helsinki_pois": (_helsinki_pois, _helsinki_pois_columns),
}


def firm_dataset(value: str) -> str | None:
    """The embedded dataset a ``firms`` value names (``"dataset:<name>"``), or ``None`` for a file."""
    return value.split(":", 1)[1] if value.startswith("dataset:") else None


@contextmanager
def firm_file(section: CoaggSection, base: Path) -> Iterator[Path]:
    """The firm CSV to read: the user's file, or an embedded dataset written to a temporary CSV.

    Raises
    ------
    InputError
        An unknown dataset name (the known ones are listed).
    """
    name = firm_dataset(section.firms)
    if name is None:
        yield resolve(base, section.firms)
        return
    if name not in FIRM_DATASETS:
        raise InputError(f"coagglomeration.firms: unknown dataset {name!r}; choose one of {', '.join(FIRM_DATASETS)}")
    with tempfile.TemporaryDirectory(prefix="regionkit-firms-") as tmp:
        path = Path(tmp) / f"{name}.csv"
        FIRM_DATASETS[name][0]().to_csv(path, index=False, encoding="utf-8")
        yield path


def coagg_inputs(section: CoaggSection, base: Path) -> list[Path]:
    """The user files the section reads (for hashing and provenance); embedded datasets excluded."""
    files = [] if firm_dataset(section.firms) is not None else [resolve(base, section.firms)]
    if section.outliers.study_area:
        files.append(resolve(base, section.outliers.study_area))
    return files


def _columns_needed(section: CoaggSection) -> dict[str, str]:
    need = {"lon_col": section.lon_col, "lat_col": section.lat_col}
    if section.city_col:
        need["city_col"] = section.city_col
    for level, col in section.industry_cols.items():
        need[f"industry_cols.{level}"] = col
    return need


def coagg_problems(section: CoaggSection, base: Path) -> list[str]:
    """Problems with the files a ``[coagglomeration]`` section names, all at once.

    A missing firm file or study area, columns absent from the firm file
    (naming the file and its columns) and cities without any firm.
    """
    problems: list[str] = []
    if section.outliers.study_area and not resolve(base, section.outliers.study_area).exists():
        problems.append(f"coagglomeration.outliers.study_area: {resolve(base, section.outliers.study_area)}: "
                        "file not found")
    name = firm_dataset(section.firms)
    if name is not None:
        if name not in FIRM_DATASETS:
            problems.append(f"coagglomeration.firms: unknown dataset {name!r}; choose one of "
                            f"{', '.join(FIRM_DATASETS)}")
            return problems
        path = section.firms
        header = list(FIRM_DATASETS[name][1]())

        def column(col: str) -> pd.Series:
            return FIRM_DATASETS[name][0]()[col].astype(str)
    else:
        path = resolve(base, section.firms)
        if not path.is_file():
            problems.append(f"coagglomeration.firms: {path}: file not found")
            return problems
        try:
            header = list(pd.read_csv(path, nrows=0).columns)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
            problems.append(f"coagglomeration.firms: {path}: cannot read as CSV ({exc})")
            return problems

        def column(col: str) -> pd.Series:
            return pd.read_csv(path, usecols=[col], dtype=str)[col]
    bad = [(key, col) for key, col in _columns_needed(section).items() if col not in header]
    for key, col in bad:
        problems.append(f"coagglomeration.{key}: column {col!r} not found in {path}; "
                        f"available columns: {', '.join(header)}")
    cities = section.city_list()
    if cities and not any(k == "city_col" for k, _ in bad):
        codes = pd.to_numeric(column(section.city_col), errors="coerce")
        present = set(codes.dropna().astype(np.int64).tolist())
        absent = [c for c in cities if c not in present]
        if absent:
            common = codes.value_counts().head(8).index.astype(np.int64).tolist()
            problems.append(f"coagglomeration.cities: {absent} not found in column {section.city_col!r} of {path} "
                            f"(most frequent codes: {', '.join(map(str, common))})")
    return problems


def check_coagg(section: CoaggSection, base: Path) -> None:
    """Raise one :class:`ConfigError` listing every problem of :func:`coagg_problems`."""
    problems = coagg_problems(section, base)
    if problems:
        raise ConfigError(problems, source="[coagglomeration]")


# ---------------------------------------------------------------- pure helpers

def group_mapping(frame: pd.DataFrame, level: str, group_level: str | None) -> dict[int, Any]:
    """Industry code -> group code read from the firms (``"all"`` when there is no grouping level).

    Raises
    ------
    InputError
        An industry whose firms carry more than one group code.
    """
    codes = sorted(pd.unique(frame[level]).tolist())
    if group_level is None:
        return dict.fromkeys(codes, "all")
    n = frame.groupby(level)[group_level].nunique()
    bad = n[n > 1]
    if len(bad):
        ex = {int(c): sorted(frame.loc[frame[level] == c, group_level].unique().tolist())[:5] for c in bad.index[:5]}
        raise InputError(f"coagglomeration: {len(bad)} {level} code(s) fall in several {group_level} groups, "
                         f"e.g. {ex}; the grouping level must nest the analysed level")
    first = frame.groupby(level)[group_level].first()
    return {int(k): int(v) for k, v in first.items()}


def squared_diameter_km2(coords_km: np.ndarray, section: CoaggSection) -> float:
    """D² of the domain the transport runs on: the firms' bounding box, or the grid's cell centres."""
    if section.representation == "grid":
        from ..coagglomeration.transport import GridSupport

        lo, hi = coords_km.min(axis=0), coords_km.max(axis=0)
        g = GridSupport.from_bounds(lo[0], lo[1], hi[0], hi[1], cell_size=float(section.cell_size_km))
        return g.squared_diameter
    return float(np.sum(np.ptp(coords_km, axis=0) ** 2))


def _rows_text(rows, limit: int = 20) -> str:
    rows = [int(r) for r in rows]
    more = f" … (+{len(rows) - limit})" if len(rows) > limit else ""
    return ", ".join(map(str, rows[:limit])) + more


def _read_study_area(section: CoaggSection, base: Path, crs: str):
    if not section.outliers.study_area:
        return None
    import geopandas as gpd

    path = resolve(base, section.outliers.study_area)
    try:
        area = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        raise InputError(f"coagglomeration.outliers.study_area: {path}: cannot read ({exc})") from exc
    if area.crs is None:
        raise InputError(f"coagglomeration.outliers.study_area: {path}: no CRS")
    return area.to_crs(crs)


# ---------------------------------------------------------------- the step

def run_coagg(
    section: CoaggSection,
    base: Path,
    *,
    checkpoint_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    task_progress: TaskProgress | None = None,
) -> CoaggStepResults:
    """Run the whole ``[coagglomeration]`` step (see the module notes).

    Parameters
    ----------
    section : CoaggSection
    base : Path
        Folder relative paths are resolved against.
    checkpoint_dir : Path, optional
        Where finished Monte Carlo tasks are kept (a killed run resumes there).
    progress : callable, optional
        Called with the name of each stage.
    task_progress : callable, optional
        ``task_progress(done, total, task_id)`` after each Monte Carlo task.
    """
    from ..coagglomeration.counterfactual import aggregate, coagglomeration
    from ..coagglomeration.firms import find_outliers, project_firms, read_firms
    from ..coagglomeration.network import coagg_network

    say = progress or (lambda _s: None)
    check_coagg(section, base)
    say("co-agglomeration: reading firms")
    with firm_file(section, base) as path:
        firms = read_firms(path, lon_col=section.lon_col, lat_col=section.lat_col,
                           industry_cols=dict(section.industry_cols), city_col=section.city_col, crs=section.crs,
                           on_missing=section.on_missing, unknown_city=section.unknown_city,
                           on_unknown_city=section.on_unknown_city)
    reading = firms.report
    n_read = len(firms)
    cities = section.city_list()
    if cities is not None:
        firms = firms.select(mask=firms.frame["city"].isin(cities).to_numpy())
        if len(firms) == 0:
            raise InputError(f"coagglomeration.cities: no usable firm in city/cities {cities} of {section.firms}")
    n_city = len(firms)
    if section.target_crs == "auto" and not firms.is_geographic:
        firms = project_firms(firms, crs=firms.crs)  # already projected: checks the unit is metres
    else:
        firms = project_firms(firms, crs=None if section.target_crs == "auto" else section.target_crs)
    crs = firms.crs

    say("co-agglomeration: screening outliers")
    o = section.outliers
    if len(firms) <= o.k:
        raise InputError(f"coagglomeration: {len(firms)} firm(s) left after the city filter; the outlier "
                         f"screening (outliers.k = {o.k}) and the analysis need more")
    outliers = find_outliers(firms, study_area=_read_study_area(section, base, crs), k=o.k, z=o.z,
                             min_distance=o.min_distance_km * 1000.0, by_city=o.by_city)
    layer = firms.to_frame()
    flagged = layer["firm_id"].isin(outliers.all_ids).to_numpy()
    reasons = outliers.to_frame().groupby("firm_id")["reason"].agg(lambda s: ",".join(s))
    layer["outlier"] = flagged
    layer["outlier_reason"] = layer["firm_id"].map(reasons).astype(object).fillna("")
    layer["in_pool"] = ~flagged if o.policy == "drop" else True
    pool = firms.select(mask=layer["in_pool"].to_numpy())

    level = section.level
    mapping = group_mapping(pool.frame, level, section.group_level)
    labels = pool.labels(level)
    counts = pd.Series(labels).value_counts().sort_index()
    listed = section.industries
    if listed is not None:
        absent = [c for c in listed if c not in counts.index]
        if absent:
            raise InputError(f"coagglomeration.industries: {absent} have no firm among the {len(pool)} firms "
                             f"analysed (level {level!r})")
    candidates = counts.index.tolist() if listed is None else sorted(set(listed))
    analysed = tuple(int(c) for c in candidates if counts[c] >= section.min_firms)
    skipped = tuple(int(c) for c in counts.index if c not in analysed)
    if len(analysed) < 2:
        raise InputError(f"coagglomeration: {len(analysed)} industr{'y' if len(analysed) == 1 else 'ies'} with at "
                         f"least min_firms = {section.min_firms} firms among {len(pool)} firms (largest: "
                         f"{', '.join(f'{int(k)}: {int(v)}' for k, v in counts.sort_values(ascending=False).head(5).items())}); "
                         "lower min_firms or widen the city filter")

    coords_km = pool.coordinates() / 1000.0
    d2 = squared_diameter_km2(coords_km, section)
    eps = None
    eps_rel = None
    if section.distance != "exact":
        eps_rel = section.eps_rel if section.eps_rel is not None else DEFAULT_EPS_REL
        eps = eps_rel * d2 if d2 > 0 else 1.0

    say(f"co-agglomeration: {len(analysed)} industries, {section.draws} draws")
    result = coagglomeration(
        labels, coords_km, distance=section.distance, draws=section.draws, rng=section.seed,
        alpha=section.alpha, sequential=section.sequential, representation=section.representation,
        cell_size=section.cell_size_km, eps=eps, industries=analysed, executor=section.executor,
        scheduler=section.scheduler, n_workers=section.n_workers, checkpoint_dir=checkpoint_dir,
        progress=task_progress)
    net_map = {k: mapping[k] for k in analysed}
    network = coagg_network(result, net_map)
    c = section.core
    core = network.core_industries(share=c.share) if c.share is not None else \
        network.core_industries(n=c.n if c.n is not None else DEFAULT_CORE_N)

    ind = layer[level].to_numpy()
    layer["industry"] = ind
    layer["group"] = layer[section.group_level] if section.group_level else "all"
    layer["analysed"] = np.isin(ind, np.array(analysed)) & layer["in_pool"].to_numpy()
    layer["core"] = np.isin(ind, np.array(core, dtype=np.int64)) & layer["in_pool"].to_numpy()

    say("co-agglomeration: kernel densities")
    dens_inds = tuple(core) if section.density.industries == "core" else tuple(section.density.industries)
    densities, bw_text = _densities(pool, labels, dens_inds, section, crs)

    tables = _tables(section, reading, n_read, n_city, layer, outliers, result, network, core, skipped, counts,
                     mapping, analysed, densities, aggregate(result, net_map))
    methods = _methods(section, path, len(pool), crs, result, analysed, skipped, eps, eps_rel, d2, core,
                       densities, bw_text, outliers)
    return CoaggStepResults(section, layer, crs, reading, outliers, result, network, tuple(core), skipped,
                            densities, eps, d2, tables, methods)


def _densities(pool, labels: np.ndarray, inds: tuple, section: CoaggSection, crs: str):
    from ..coagglomeration.density import DensityGrid, bandwidth_rule, industry_densities

    d = section.density
    if not inds:
        return None, ""
    present = set(np.unique(labels).tolist())
    absent = [i for i in inds if i not in present]
    if absent:
        raise InputError(f"coagglomeration.density.industries: {absent} have no firm among the firms analysed")
    xy = pool.coordinates()
    sel = np.isin(labels, np.array(inds, dtype=labels.dtype))
    if isinstance(d.bandwidth, str):
        bw = bandwidth_rule(xy[sel], d.bandwidth)
        bw_text = f"{bw / 1000:.4g} km ({d.bandwidth} rule on the {int(sel.sum())} pooled firms)"
    else:
        bw = float(d.bandwidth) * 1000.0
        bw_text = f"{d.bandwidth:g} km"
    margin = bw if d.kernel == "quartic" else GAUSSIAN_MARGIN * bw
    cell = d.cell_km * 1000.0
    lo, hi = xy.min(axis=0) - margin, xy.max(axis=0) + margin
    cells = float(np.ceil((hi[0] - lo[0]) / cell) * np.ceil((hi[1] - lo[1]) / cell))
    if cells > MAX_DENSITY_CELLS:
        raise InputError(f"coagglomeration.density.cell_km = {d.cell_km:g}: the density grid over the firms' extent "
                         f"({(hi[0] - lo[0]) / 1000:.0f} × {(hi[1] - lo[1]) / 1000:.0f} km) would have {cells:.3g} "
                         f"cells (limit {MAX_DENSITY_CELLS:.0e}); use larger cells, a city filter or "
                         "outliers.policy = 'drop'")
    grid = DensityGrid.around(xy, cell_size=cell, margin=margin, crs=crs)
    dens = industry_densities(xy, labels, grid=grid, industries=inds, kernel=d.kernel, bandwidth=bw,
                              method="exact", unit="m")
    return dens, bw_text


def _tables(section, reading, n_read, n_city, layer, outliers, result, network, core, skipped, counts, mapping,
            analysed, densities, agg) -> dict[str, pd.DataFrame]:
    o = section.outliers
    out_ids = outliers.all_ids
    rows = [
        ("rows in the file", reading.n_rows, ""),
        ("rows without usable coordinates", len(reading.missing_coordinates), _rows_text(reading.missing_coordinates)),
        ("rows without industry code", len(reading.missing_industry), _rows_text(reading.missing_industry)),
        ("rows with the unknown city code", len(reading.unknown_city), _rows_text(reading.unknown_city)),
        ("rows dropped when reading", len(reading.dropped), _rows_text(reading.dropped)),
        ("firms read", n_read, ""),
        ("firms in the selected cities", n_city, ""),
        ("outliers: outside the study area", len(outliers.outside_area), _rows_text(outliers.outside_area)),
        ("outliers: isolated", len(outliers.isolated), _rows_text(outliers.isolated)),
        ("outliers: far from their city", len(outliers.far_from_city), _rows_text(outliers.far_from_city)),
        (f"outliers {'dropped' if o.policy == 'drop' else 'kept (reported only)'}", len(out_ids),
         _rows_text(out_ids)),
        ("firms in the pool", int(layer["in_pool"].sum()), ""),
        ("firms of the analysed industries", int(layer["analysed"].sum()), ""),
    ]
    reading_t = pd.DataFrame(rows, columns=["item", "count", "rows (0-based data rows; file line = row + 2)"])
    problems = reading.to_frame()
    outl = outliers.to_frame().merge(layer[["firm_id", "x", "y", *(["city"] if "city" in layer else []),
                                            "industry"]], on="firm_id", how="left")
    freq = network.frequency.set_index("industry")
    lev = section.level
    ind = pd.DataFrame({lev: counts.index.astype(np.int64), "firms": counts.to_numpy()})
    ind.insert(1, "group", [mapping.get(int(c)) for c in ind[lev]])
    ind["analysed"] = ind[lev].isin(analysed)
    note = np.where(ind["analysed"], "", np.where(ind["firms"] < section.min_firms,
                                                  f"fewer than min_firms = {section.min_firms}", "not listed"))
    ind["skipped_because"] = note
    ind["frequency"] = ind[lev].map(freq["frequency"]).astype("Int64")
    ind["rank"] = ind[lev].map(freq["rank"]).astype("Int64")
    ind["core"] = ind[lev].isin(core)
    pairs = result.to_frame()
    pairs.insert(2, "group_j", pairs["j"].map(mapping))
    pairs.insert(3, "group_k", pairs["k"].map(mapping))
    groups = network.by_group.reset_index()
    ranking = network.frequency.copy()
    ranking["core"] = ranking["industry"].isin(core)
    tables = {
        "coagg_reading": reading_t,
        "coagg_problem_rows": problems,
        "coagg_outliers": outl,
        "coagg_industries": ind,
        "coagg_pairs": pairs,
        "coagg_groups": groups,
        "coagg_group_pairs": agg.to_frame(),
        "coagg_core": ranking,
    }
    if densities is not None:
        dt = densities.to_frame()
        dt["industry"] = dt["industry"].astype(object)
        xc, yc = densities.grid.centres()
        dt["peak_x"] = xc[dt["peak_col"].to_numpy()]
        dt["peak_y"] = yc[dt["peak_row"].to_numpy()]
        comb = densities.combined
        r, c = np.unravel_index(int(np.argmax(comb)), comb.shape)
        dt.loc[len(dt)] = {"industry": "combined", "firms": int(sum(densities.counts)),
                           "peak_density": float(comb.max()), "peak_row": int(r), "peak_col": int(c),
                           "peak_x": float(xc[c]), "peak_y": float(yc[r])}
        tables["coagg_density"] = dt
    return tables


def _firms_source(section: CoaggSection, path: Path) -> str:
    name = firm_dataset(section.firms)
    if name is None:
        return path.name
    return f"the embedded dataset {name} (regionkit.io.datasets.{name})"


def _methods(section, path, n_pool, crs, result, analysed, skipped, eps, eps_rel, d2, core, densities, bw_text,
             outliers) -> list[str]:
    s = section
    cities = s.city_list()
    out = [
        f"Co-agglomeration: firms read from {_firms_source(s, path)} (columns {s.lon_col}/{s.lat_col} in {s.crs}"
        + (f", city {s.city_col}" if s.city_col else "") + f"; missing coordinates: {s.on_missing}; "
        f"unknown city code {s.unknown_city}: {s.on_unknown_city}), "
        + (f"cities {', '.join(map(str, cities))}" if cities else "all cities")
        + f", projected to {crs}. Outliers (k = {s.outliers.k} nearest-neighbour isolation, robust z = "
        f"{s.outliers.z:g} on log distances, at least {s.outliers.min_distance_km:g} km"
        + (", far from the city median" if s.outliers.by_city else "")
        + (", outside the study area" if s.outliers.study_area else "")
        + f"): {len(outliers.all_ids)} flagged, {'dropped' if s.outliers.policy == 'drop' else 'kept'}.",
        f"Co-agglomeration index (Billings & Johnson 2016; Chen, Liu, Ye & Hu 2020) of {len(analysed)} "
        f"{s.level} industries with at least {s.min_firms} firms ({len(skipped)} skipped); the pool of "
        f"counterfactual locations is all {n_pool} firms. Coagg(j, k) is the share of R = {s.draws} "
        f"counterfactual industries k~ ({result.sizes.min()}–{result.sizes.max()} firms drawn without "
        f"replacement from the pool) with W(j, k) < W(j, k~); significant when Coagg ≥ α = {s.alpha:g}. "
        f"Draws are seeded by seed = {s.seed} (draws of size N from SeedSequence({s.seed}, spawn_key=(N,))).",
        f"Transport distance: {s.distance} "
        + {"exact": "W₂² (squared Euclidean cost, network simplex)",
           "sinkhorn": "entropic transport cost ⟨T_ε, C⟩",
           "divergence": "debiased Sinkhorn divergence"}[s.distance]
        + f" on the firm {s.representation}"
        + (f" (histograms on {s.cell_size_km:g} km cells)" if s.representation == "grid" else "")
        + "; coordinates in km, so W is in km²"
        + (f"; ε = {eps_rel:g} · D² = {eps:.6g} km², with D² = {d2:.6g} km² the squared diameter of the "
           + ("grid's cell centres" if s.representation == "grid" else "firms' bounding box")
           if eps is not None else "") + ".",
        ("Sequential stopping (Besag & Clifford 1991): each pair's draws stop once its decision at α is "
         "certain; decisions equal those with all draws, Coagg is the share among the draws used."
         if s.sequential else f"All {s.draws} draws were evaluated for every pair (no sequential stopping)."),
        "Core industries: ranked by the number of significant ordered pairs they appear in (as j or k); "
        + (f"top share {s.core.share:g}" if s.core.share is not None
           else f"top {s.core.n if s.core.n is not None else DEFAULT_CORE_N}")
        + f" (ties at the cut kept): {', '.join(map(str, core)) or 'none (no significant pair)'}. Two-digit "
        f"summary by {s.group_level or '(no grouping level: one group)'}.",
    ]
    if densities is not None:
        out.append(f"Kernel density: {s.density.kernel} kernel, bandwidth {bw_text}, {s.density.cell_km:g} km "
                   f"cells on one grid covering all firms in the pool, firms per km², exact evaluation; the "
                   f"superimposed surface is the sum over {len(densities.industries)} industries "
                   f"({', '.join(map(str, densities.industries))}).")
    return out


__all__ = [
    "FIRM_DATASETS",
    "CoaggStepResults",
    "check_coagg",
    "coagg_inputs",
    "coagg_problems",
    "firm_dataset",
    "firm_file",
    "group_mapping",
    "run_coagg",
    "squared_diameter_km2",
]
