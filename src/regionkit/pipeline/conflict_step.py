"""The ``[conflicts]`` step: ecological security pattern × economic production pattern.

The activity surface lives on the ecology study grid:

* ``activity = "coagglomeration"``: the kernel density (firms per km²) of the
  chosen firms of the ``[coagglomeration]`` step (its core industries, all
  firms in the pool, or listed industries), evaluated exactly at the cell
  centres of the study grid with :func:`regionkit.coagglomeration.density.kernel_density`
  (firm coordinates reprojected to the grid's CRS; kernel and bandwidth those
  of ``[coagglomeration.density]`` unless given);
* ``activity = "<path>"``: any activity raster, resampled bilinearly onto the
  study grid.

It is classified (:func:`~regionkit.ecology.conflicts.classify_activity`) on
the cells of the study area, the sources (graded by dPC importance) and the
corridors (typed I/II/III) of the ``[ecology]`` step are rasterised
(:func:`~regionkit.ecology.conflicts.ecological_elements`), and the overlay,
zonal table, corridor crossings and rankings are computed by the pure
functions of :mod:`regionkit.ecology.conflicts`.  Nothing is written here;
:mod:`regionkit.report.conflicts` writes the files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..grid import Grid
from .config import ConflictSection
from .steps import resolve

UNIT_DATASETS = ("rmnp_boundary", "us48", "helsinki_planning_units")
_TYPES = ("I", "II", "III")


@dataclass(frozen=True, eq=False)
class ConflictStepResults:
    """Everything the conflict step produced (arrays on the ecology study grid).

    Attributes
    ----------
    section : ConflictSection
    grid : Grid
        The ecology study grid (its data: land-use codes, NaN outside the study area).
    surface : numpy.ndarray
        The activity surface on the grid (NaN outside the study area).
    surface_label : str
        What the surface is (e.g. "kernel density of core-industry firms (firms/km²)").
    activity : ActivityClasses
    elements : EcologicalElements
    zones : ConflictZones
    crossings : CorridorCrossings or None
        None without corridors.
    zonal : ZonalConflicts or None
        None without ``units``.
    units : GeoDataFrame or None
        The units in the grid CRS with the zonal table joined.
    corridor_lines : GeoDataFrame or None
        Corridor lines with their length in each activity class and in conflict.
    tables : dict of str to DataFrame
    layers : dict of str to numpy.ndarray
        ``activity_surface`` (float), ``activity_class``, ``elements``, ``zones``
        and ``severity`` (integers, −1 = nodata).
    methods : list of str
    """

    section: ConflictSection
    grid: Grid
    surface: np.ndarray
    surface_label: str
    activity: Any
    elements: Any
    zones: Any
    crossings: Any
    zonal: Any
    units: Any
    corridor_lines: Any
    tables: dict[str, pd.DataFrame]
    layers: dict[str, np.ndarray]
    methods: list[str]

    def summary(self) -> str:
        """Conflict area by severity and the most conflicted corridor and source."""
        lines = [self.zones.summary()]
        if self.crossings is not None:
            lines.append(self.crossings.summary())
        if self.zonal is not None:
            lines.append(self.zonal.summary())
        return "\n".join(lines)


# ---------------------------------------------------------------- inputs and checks

def _is_dataset(value: str) -> bool:
    return value.startswith("dataset:")


def conflict_inputs(section: ConflictSection, base: Path) -> list[Path]:
    """The user files the section reads (for hashing and provenance); embedded datasets excluded."""
    files = []
    if section.activity != "coagglomeration":
        files.append(resolve(base, section.activity))
    if section.units is not None and not _is_dataset(section.units.path):
        files.append(resolve(base, section.units.path))
    return files


def conflict_problems(section: ConflictSection, base: Path) -> list[str]:
    """Problems with the files a ``[conflicts]`` section names: missing files, unknown datasets, columns."""
    problems = []
    if section.activity != "coagglomeration" and not resolve(base, section.activity).is_file():
        problems.append(f"conflicts.activity: {resolve(base, section.activity)}: file not found (give an "
                        "activity raster or 'coagglomeration')")
    u = section.units
    if u is not None:
        problems += _units_problems(u.path, {"id_col": u.id_col, "name_col": u.name_col}, u.layer, base)
    return problems


def _units_problems(value: str, columns: dict[str, Any], layer: Any, base: Path) -> list[str]:
    """A units file that is missing or unreadable, an unknown dataset, or columns the file lacks."""
    if _is_dataset(value):
        name = value.split(":", 1)[1]
        if name not in UNIT_DATASETS:
            return [f"conflicts.units.path: unknown dataset {name!r}; choose one of {', '.join(UNIT_DATASETS)}"]
        return []
    path = resolve(base, value)
    if not path.is_file():
        return [f"conflicts.units.path: {path}: file not found"]
    try:
        import pyogrio

        fields = list(pyogrio.read_info(path, layer=layer if isinstance(layer, str) else None)["fields"])
    except Exception as exc:  # pyogrio raises its own error types
        return [f"conflicts.units.path: {path}: cannot read ({exc})"]
    return [f"conflicts.units.{key}: column {col!r} not found in {path}; columns: {', '.join(fields)}"
            for key, col in columns.items() if isinstance(col, str) and col not in fields]


def conflict_file_problems(raw: dict, base: Path) -> list[str]:
    """File problems of a raw (structurally invalid) ``[conflicts]`` table, so they are listed too."""
    problems = []
    act = raw.get("activity")
    if isinstance(act, str) and act != "coagglomeration" and not resolve(base, act).is_file():
        problems.append(f"conflicts.activity: {resolve(base, act)}: file not found (give an activity raster or "
                        "'coagglomeration')")
    units = raw.get("units")
    if isinstance(units, dict) and isinstance(units.get("path"), str):
        problems += _units_problems(units["path"], {k: units.get(k) for k in ("id_col", "name_col")},
                                    units.get("layer"), base)
    return problems


def conflict_validation_problems(raw: Any, parts: Any, base: Path, *, parsed: bool) -> list[str]:
    """Every problem of the ``[conflicts]`` section for ``regionkit validate``.

    Parameters
    ----------
    raw : dict
        The raw study table.
    parts : StudyConfig or SimpleNamespace
        The (partial) config: sections that validate on their own.
    parsed : bool
        Whether the whole config validated (then the cross-section needs were checked already).
    """
    from .config import conflict_cross_problems

    section = getattr(parts, "conflicts", None)
    problems: list[str] = []
    if section is not None:
        problems += conflict_problems(section, base)
        if not parsed:
            problems += conflict_cross_problems(section, getattr(parts, "ecology", None),
                                                getattr(parts, "coagglomeration", None))
    elif isinstance(raw, dict) and isinstance(raw.get("conflicts"), dict):
        problems += conflict_file_problems(raw["conflicts"], base)
        present = set(raw)
        if "ecology" not in present:
            problems.append("conflicts: [conflicts] needs [ecology] (its sources and corridors are the ecological "
                            "security pattern)")
        if raw["conflicts"].get("activity", "coagglomeration") == "coagglomeration" and "coagglomeration" not in present:
            problems.append("conflicts.activity: 'coagglomeration' needs [coagglomeration] (its firms give the "
                            "activity surface); or give the path of an activity raster")
    return problems


# ---------------------------------------------------------------- the step

def _read_units(section: ConflictSection, base: Path):
    import geopandas as gpd

    u = section.units
    if _is_dataset(u.path):
        name = u.path.split(":", 1)[1]
        if name == "us48":
            from ..io.datasets import us48_geometry

            return us48_geometry().reset_index()
        if name == "rmnp_boundary":
            from ..io.datasets import rmnp_vector

            return rmnp_vector(name)
        if name == "helsinki_planning_units":
            from ..io.datasets import helsinki_vector

            return helsinki_vector("planning_units")
        raise InputError(f"conflicts.units.path: unknown dataset {name!r}; choose one of {', '.join(UNIT_DATASETS)}")
    path = resolve(base, u.path)
    try:
        return gpd.read_file(path, layer=u.layer) if u.layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        raise InputError(f"conflicts.units.path: {path}: cannot read ({exc})") from exc


def _surface_from_firms(section: ConflictSection, coagg, grid: Grid) -> tuple[np.ndarray, str, str]:
    from ..coagglomeration.density import DensityGrid, kernel_density

    if coagg is None:
        raise InputError("conflicts.activity: 'coagglomeration' needs the [coagglomeration] step")
    firms = coagg.firms
    pool = firms["in_pool"].to_numpy(dtype=bool)
    if section.industries == "core":
        sel = pool & firms["core"].to_numpy(dtype=bool)
        what = f"core-industry firms ({', '.join(map(str, coagg.core))})"
        if not sel.any():
            raise InputError("conflicts.industries = 'core': the co-agglomeration step found no core industry "
                             "(no significant pair); use industries = 'all' or a list of industry codes")
    elif section.industries == "all":
        sel = pool
        what = "all firms of the pool"
    else:
        codes = np.array(section.industries, dtype=np.int64)
        present = set(firms.loc[pool, "industry"].astype(np.int64).tolist())
        absent = [int(c) for c in codes if int(c) not in present]
        if absent:
            raise InputError(f"conflicts.industries: {absent} have no firm in the co-agglomeration pool "
                             f"(level {coagg.section.level!r})")
        sel = pool & np.isin(firms["industry"].to_numpy(), codes)
        what = f"firms of industries {', '.join(map(str, section.industries))}"
    xy = firms.loc[sel, ["x", "y"]].to_numpy(dtype=float)
    from pyproj import CRS, Transformer

    src, dst = CRS.from_user_input(coagg.crs), CRS.from_user_input(grid.crs)
    if src != dst:
        tr = Transformer.from_crs(src, dst, always_xy=True)
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack([x, y])
    dens_spec = coagg.section.density
    kernel = section.kernel or dens_spec.kernel
    bw = section.bandwidth_km if section.bandwidth_km is not None else dens_spec.bandwidth
    bandwidth = bw if isinstance(bw, str) else float(bw) * 1000.0
    dg = DensityGrid(grid.transform, grid.shape, grid.crs)
    res = kernel_density(xy, grid=dg, kernel=kernel, bandwidth=bandwidth, method="exact", unit="m")
    rule = f" ({bw} rule on these firms)" if isinstance(bw, str) else ""
    text = (f"Activity surface: {kernel} kernel density of the {int(sel.sum())} {what} (firms per km²), bandwidth "
            f"{res.bandwidth / 1e3:.4g} km{rule}, evaluated exactly at the cell centres of the ecology study grid "
            f"(firm coordinates reprojected from {coagg.crs} to the grid's CRS).")
    return res.density, f"kernel density of {what} (firms/km²)", text


def _surface_from_raster(section: ConflictSection, base: Path, grid: Grid) -> tuple[np.ndarray, str, str]:
    from ..grid import read_grid, resample_to

    path = resolve(base, section.activity)
    src = read_grid(path)
    same = (src.shape == grid.shape and src.crs == grid.crs
            and np.allclose(tuple(src.transform)[:6], tuple(grid.transform)[:6]))
    try:
        data = src.masked() if same else resample_to(src, grid, method="bilinear").data
    except InputError as exc:
        raise InputError(f"conflicts.activity: {exc}") from exc
    if not np.isfinite(data[np.isfinite(grid.data)]).any():
        raise InputError(f"conflicts.activity: {path}: no valid value inside the study grid "
                         "(all nodata, or the raster does not overlap the study area)")
    how = "on the study grid as it is" if same else "resampled bilinearly onto the study grid"
    return data, f"activity raster {path.name}", f"Activity surface: the raster {path.name}, {how}."


def run_conflicts(
    section: ConflictSection,
    ecology,
    coagg,
    base: Path,
    *,
    source_grades: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> ConflictStepResults:
    """Run the ``[conflicts]`` step on the results of the ``[ecology]`` (and ``[coagglomeration]``) steps.

    Parameters
    ----------
    section : ConflictSection
    ecology : EcologyResults
    coagg : CoaggStepResults or None
        Needed when ``section.activity == "coagglomeration"``.
    base : Path
        Folder relative paths are resolved against.
    source_grades : int, optional, keyword-only
        Number of source importance grades (``[ecology.connectivity] grades``);
        default: the largest grade present.
    progress : callable, optional, keyword-only
    """
    from ..ecology import conflicts as cf

    say = progress or (lambda _s: None)
    if ecology is None:
        raise InputError("conflicts: [conflicts] needs the [ecology] step")
    grid: Grid = ecology.grid
    valid = np.isfinite(np.asarray(grid.data, dtype=float))
    say("conflicts: activity surface")
    if section.activity == "coagglomeration":
        raw, label, surface_text = _surface_from_firms(section, coagg, grid)
    else:
        raw, label, surface_text = _surface_from_raster(section, base, grid)
    surface = np.where(valid, raw, np.nan)
    c = section.classes
    labels = section.activity_labels()
    try:
        activity = cf.classify_activity(surface, k=c.k, method=c.method, labels=labels, mask=valid,
                                        transform=grid.transform, crs=grid.crs)
    except InputError as exc:
        raise InputError(f"conflicts.classes: {exc}") from exc

    say("conflicts: ecological elements")
    st = ecology.tables.get("ecology_sources")
    grades = grade_order = None
    if st is not None and "importance" in st and len(st):
        grades = dict(zip(st["id"].astype(int), st["importance"].astype(int), strict=True))
        top = source_grades or int(max(grades.values()))
        grade_order = tuple(range(1, top + 1))
    lines = None
    type_order = None
    net = ecology.network
    if net is not None and len(net.pairs):
        lines = net.lines()
        lines["type"] = lines["type"].astype(object).where(lines["type"].notna(), "all")
        types = set(lines["type"])
        type_order = _TYPES if types <= set(_TYPES) else None
    elements = cf.ecological_elements(grid.shape, transform=grid.transform, crs=grid.crs,
                                      sources=ecology.sources.labels, source_grades=grades, grade_order=grade_order,
                                      corridors=lines, type_order=type_order,
                                      corridor_buffer_m=section.corridor_buffer_m, mask=valid)
    if section.rules is None:
        rules = cf.default_rules(elements, activity.labels)
    else:
        rules = cf.conflict_rules([r.model_dump() for r in section.rules], severities=section.severities)
    try:
        rules.check(elements, activity.labels)
    except InputError as exc:
        raise InputError(f"conflicts: {exc}") from exc

    say("conflicts: overlay")
    zones = cf.conflict_zones(elements, activity, rules=rules)
    sev = zones.severity_raster()
    layers = {
        "activity_surface": surface,
        "activity_class": activity.classes,
        "elements": elements.codes,
        "zones": zones.zones,
        "severity": sev,
    }
    cell_km2 = zones.cell_area_m2 / 1e6
    act_t = activity.to_frame()
    act_t["area_km2"] = act_t["cells"] * cell_km2
    tables: dict[str, pd.DataFrame] = {
        "conflicts_activity_classes": act_t,
        "conflicts_elements": elements.to_frame(),
        "conflicts_rules": rules.to_frame(),
        "conflicts_zone_types": zones.to_frame(),
        "conflicts_severity": zones.by_severity(),
        "conflicts_top_sources": cf.most_conflicted_sources(zones, top=section.top),
    }

    crossings = corridor_lines = None
    if lines is not None:
        say("conflicts: corridor crossings")
        crossings = cf.corridor_crossings(lines, activity, type_order=type_order)
        full = cf.most_conflicted_corridors(crossings, rules, top=max(len(lines), 1))
        per_line = crossings.to_frame().merge(
            full[["corridor", "conflict_km", "conflict_share", "worst_severity",
                  *[f"{s}_km" for s in rules.severities]]], on="corridor", how="left")
        per_line["conflict_km"] = per_line["conflict_km"].fillna(0.0)
        per_line["conflict_share"] = per_line["conflict_share"].fillna(0.0)
        per_line["worst_severity"] = per_line["worst_severity"].fillna("none")
        for s in rules.severities:
            per_line[f"{s}_km"] = per_line[f"{s}_km"].fillna(0.0)
        tables["conflicts_corridor_types"] = crossings.by_type()
        tables["conflicts_corridors"] = per_line
        tables["conflicts_top_corridors"] = full.head(section.top)
        import geopandas as gpd

        corridor_lines = gpd.GeoDataFrame(per_line, geometry=lines.geometry.to_numpy(), crs=lines.crs)

    zonal = units = None
    if section.units is not None:
        say("conflicts: zonal table")
        u = section.units
        frame = _read_units(section, base)
        try:
            zonal = cf.zonal_conflicts(zones, frame, id_col=u.id_col)
        except InputError as exc:
            raise InputError(f"conflicts.units: {exc}") from exc
        table = zonal.to_frame()
        if u.name_col is not None:
            if u.name_col not in frame.columns:
                raise InputError(f"conflicts.units.name_col: column {u.name_col!r} not found; columns: "
                                 f"{', '.join(str(col) for col in frame.columns if col != frame.geometry.name)}")
            table.insert(1, u.name_col, frame[u.name_col].to_numpy())
        tables["conflicts_units"] = table
        tables["conflicts_units_long"] = zonal.long
        units = frame[[u.id_col, frame.geometry.name]].to_crs(grid.crs).merge(
            table, on=u.id_col, how="left")

    methods = _methods(section, surface_text, activity, elements, rules, zones, crossings, zonal)
    return ConflictStepResults(section=section, grid=grid, surface=surface, surface_label=label, activity=activity,
                               elements=elements, zones=zones, crossings=crossings, zonal=zonal, units=units,
                               corridor_lines=corridor_lines, tables=tables, layers=layers, methods=methods)


def _methods(section, surface_text, activity, elements, rules, zones, crossings, zonal) -> list[str]:
    c = section.classes
    breaks = ", ".join(f"{b:.4g}" for b in activity.breaks)
    out = [
        surface_text,
        f"Activity classes: {activity.k} classes ({', '.join(activity.labels)}) by "
        f"{c.method.replace('_', ' ')} over the cells of the study area (upper bounds {breaks}; GVF "
        f"{activity.gvf:.3f}).",
        "Ecological elements: source patches by dPC importance grade (1 = most important) and least-cost "
        "corridors by type (I/II/III); a corridor covers every cell its least-cost path passes through"
        + (f" and every cell whose centre lies within {section.corridor_buffer_m:g} m of it"
           if section.corridor_buffer_m else "")
        + ". Sources take precedence over corridors, and a more important corridor type over a less important one.",
        "Conflict zones: every combination of an ecological element and an activity class is a zone type; "
        + ("default rules" if section.rules is None else "configured rules") + " (severities "
        + " < ".join(rules.severities) + "): "
        + "; ".join(f"{r.element} × {{{', '.join(r.activity)}}} → {r.severity}" for r in rules.rules)
        + ". A zone type takes the most severe matching rule.",
    ]
    if crossings is not None:
        out.append("Corridor crossings: the length of each least-cost path inside each activity class, from the "
                   "intersection of the path with the class polygons (shapely); a piece on the border of two "
                   "classes counts in the more intense one.")
    if zonal is not None:
        out.append(f"Zonal table: a cell belongs to a unit of {section.units.path} (id {section.units.id_col}) when "
                   "its centre lies inside the unit's polygon.")
    return out


__all__ = [
    "ConflictStepResults",
    "conflict_file_problems",
    "conflict_inputs",
    "conflict_problems",
    "conflict_validation_problems",
    "run_conflicts",
]
