"""The ``[ecology]`` step: ecosystem services → sources → connectivity → resistance → corridors.

Every raster input is read (a file, an embedded ``dataset:<name>``, or a
constant), resampled onto one projected study grid (nearest neighbour for the
land-use classes, bilinear for continuous layers), masked to the optional
boundary, and handed to the pure functions of :mod:`regionkit.ecology`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..grid import Grid, read_grid, resample_to
from .config import EcologySection
from .steps import resolve

SERVICE_LABELS = {
    "water_yield": "Water yield (mm)",
    "soil_conservation": "Soil conservation (t/ha/yr)",
    "habitat_quality": "Habitat quality (0–1)",
    "carbon": "Carbon storage (Mg C/ha)",
}

CONTINUOUS = ("nearest", "bilinear")


@dataclass(frozen=True)
class EcologyResults:
    """Everything the ecological step produced (arrays on the study grid, NaN = nodata)."""

    grid: Grid  # the study grid (data: land-use codes)
    layers: dict[str, np.ndarray]  # layer name -> array written as GeoTIFF
    services: dict[str, np.ndarray]
    tables: dict[str, pd.DataFrame]
    sources: object
    pc: object | None
    sweep: pd.DataFrame | None
    threshold_m: float | None
    ahp: object | None
    network: object | None
    methods: list[str]
    classes: dict[int, str] = field(default_factory=dict)
    boundary: object | None = None  # GeoDataFrame in the grid CRS

    @property
    def cell_area_m2(self) -> float:
        dy, dx = self.grid.resolution[1], self.grid.resolution[0]
        return float(abs(dx * dy))


# ---------------------------------------------------------------- inputs

def _is_dataset(value: object) -> bool:
    return isinstance(value, str) and value.startswith("dataset:")


def ecology_inputs(section: EcologySection, base: Path) -> list[Path]:
    """The user files the section reads (for hashing and provenance); embedded datasets excluded."""
    files = []
    for value in [*section.inputs.values(), *section.vectors.values()]:
        if isinstance(value, str) and not _is_dataset(value):
            files.append(resolve(base, value))
    s = section.services
    for table in (s.biophysical, s.carbon_pools, s.sensitivity):
        if isinstance(table, str):
            files.append(resolve(base, table))
    return files


def ecology_problems(section: EcologySection, base: Path) -> list[str]:
    """Problems with the files an ``[ecology]`` section names (missing files, unknown datasets)."""
    problems = []
    for key, value in [*(("inputs." + k, v) for k, v in section.inputs.items()),
                       *(("vectors." + k, v) for k, v in section.vectors.items())]:
        if _is_dataset(value):
            name = value.split(":", 1)[1]
            if name not in _RASTER_DATASETS and name not in _VECTOR_DATASETS:
                problems.append(f"ecology.{key}: unknown dataset {name!r}; choose one of "
                                f"{', '.join([*_RASTER_DATASETS, *_VECTOR_DATASETS])}")
        elif isinstance(value, str) and not resolve(base, value).exists():
            problems.append(f"ecology.{key}: {resolve(base, value)}: file not found")
    s = section.services
    for key in ("biophysical", "carbon_pools", "sensitivity"):
        table = getattr(s, key)
        if isinstance(table, str) and not resolve(base, table).exists():
            problems.append(f"ecology.services.{key}: {resolve(base, table)}: file not found")
    return problems


def ecology_file_problems(raw: dict, base: Path) -> list[str]:
    """Missing files named by a raw (structurally invalid) ``[ecology]`` table, so they are listed too."""
    problems = []
    for group in ("inputs", "vectors"):
        table = raw.get(group)
        if not isinstance(table, dict):
            continue
        for key, value in table.items():
            if isinstance(value, str) and not _is_dataset(value) and not resolve(base, value).exists():
                problems.append(f"ecology.{group}.{key}: {resolve(base, value)}: file not found")
    return problems


def _rmnp_dem():
    from ..io.datasets import rmnp_dem

    return rmnp_dem()


def _rmnp_landcover():
    from ..io.datasets import rmnp_landcover

    return rmnp_landcover()


def _helsinki_landcover():
    from ..io.datasets import helsinki_landcover

    return helsinki_landcover()


def _helsinki_road_distance():
    from ..io.datasets import helsinki_road_distance

    return helsinki_road_distance()


_RASTER_DATASETS: dict[str, Callable[[], Grid]] = {
    "rmnp_dem": _rmnp_dem, "rmnp_landcover": _rmnp_landcover,
    "helsinki_landcover": _helsinki_landcover, "helsinki_road_distance": _helsinki_road_distance,
}
_HELSINKI_VECTORS = ("study_area", "roads", "buildings", "parks", "planning_units")  # io.datasets.HELSINKI_VECTORS
_VECTOR_DATASETS = ("rmnp_boundary", "continental_divide_trail", *(f"helsinki_{v}" for v in _HELSINKI_VECTORS))


def _read_raster(name: str, value: str, base: Path) -> Grid:
    if _is_dataset(value):
        key = value.split(":", 1)[1]
        if key not in _RASTER_DATASETS:
            raise InputError(f"ecology.inputs.{name}: unknown dataset {key!r}; choose one of {', '.join(_RASTER_DATASETS)}")
        return _RASTER_DATASETS[key]()
    return read_grid(resolve(base, value))


def _read_vector(name: str, value: str, base: Path):
    import geopandas as gpd

    if _is_dataset(value):
        key = value.split(":", 1)[1]
        if key not in _VECTOR_DATASETS:
            raise InputError(f"ecology.vectors.{name}: unknown dataset {key!r}; choose one of "
                             f"{', '.join(_VECTOR_DATASETS)}")
        if key.startswith("helsinki_"):
            from ..io.datasets import helsinki_vector

            return helsinki_vector(key.removeprefix("helsinki_"))
        from ..io.datasets import rmnp_vector

        return rmnp_vector(key)
    path = resolve(base, value)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises its own error types
        raise InputError(f"ecology.vectors.{name}: {path}: cannot read ({exc})") from exc
    if frame.crs is None:
        raise InputError(f"ecology.vectors.{name}: {path}: no CRS")
    return frame


def _table(value, what: str, base: Path) -> pd.DataFrame:
    if isinstance(value, str):
        from ..io.tables import read_table

        return read_table(resolve(base, value))
    frame = pd.DataFrame(value)
    if frame.empty:
        raise InputError(f"ecology.services.{what}: the table is empty")
    return frame


def study_grid(section: EcologySection, like: Grid) -> Grid:
    """The projected study grid: the extent of ``like`` in the target CRS at the target resolution."""
    from rasterio.crs import CRS
    from rasterio.warp import calculate_default_transform

    src_crs = CRS.from_user_input(like.crs) if like.crs is not None else None
    if src_crs is None:
        raise InputError(f"{like.name}: no CRS; the study grid needs one")
    dst_crs = CRS.from_user_input(section.grid.crs) if section.grid.crs else src_crs
    if not dst_crs.is_projected:
        raise InputError(f"ecology.grid: the study grid must be in a projected CRS (metres), got {dst_crs}; "
                         "set grid.crs, e.g. the UTM zone of the area")
    res = section.grid.resolution
    if res is None:
        if dst_crs != src_crs:
            raise InputError("ecology.grid.resolution is needed when the grid is reprojected")
        res = like.resolution[0]
    left, bottom, right, top = like.bounds
    transform, width, height = calculate_default_transform(
        src_crs, dst_crs, like.shape[1], like.shape[0], left, bottom, right, top, resolution=res)
    return Grid(np.zeros((height, width)), transform, dst_crs, np.nan, "study grid")


def _on_grid(grid: Grid, template: Grid, method: str) -> np.ndarray:
    same = (grid.shape == template.shape and grid.crs == template.crs
            and np.allclose(tuple(grid.transform)[:6], tuple(template.transform)[:6]))
    if same:
        return grid.masked().astype(np.float64)
    return resample_to(grid, template, method=method).data


def _rasterize(frame, template: Grid, *, all_touched: bool = True) -> np.ndarray:
    from rasterio.features import rasterize

    frame = frame.to_crs(template.crs)
    shapes = [(geom, 1) for geom in frame.geometry if geom is not None and not geom.is_empty]
    if not shapes:
        return np.zeros(template.shape)
    return rasterize(shapes, out_shape=template.shape, transform=template.transform, fill=0,
                     all_touched=all_touched, dtype="uint8").astype(np.float64)


# ---------------------------------------------------------------- the chain

def run_ecology(section: EcologySection, base: Path, *, progress: Callable[[str], None] | None = None) -> EcologyResults:
    """Run the whole ecological security pattern chain of an ``[ecology]`` section."""
    from ..ecology import services as sv

    say = progress or (lambda _s: None)
    methods: list[str] = []
    rasters = {k: _read_raster(k, v, base) for k, v in section.inputs.items() if isinstance(v, str)}
    vectors = {k: _read_vector(k, v, base) for k, v in section.vectors.items()}
    template = study_grid(section, rasters[section.grid.like])
    dx, dy = template.resolution
    methods.append(
        f"Study grid: {template.shape[0]} × {template.shape[1]} cells of {dx:g} × {dy:g} m in {template.crs}; "
        "land use resampled by nearest neighbour, continuous inputs bilinearly."
        + (" Constant inputs: " + ", ".join(f"{k} = {v:g}" for k, v in section.inputs.items()
                                             if not isinstance(v, str)) + "." if any(
            not isinstance(v, str) for v in section.inputs.values()) else ""))

    lulc = _on_grid(rasters["lulc"], template, "nearest")
    boundary = None
    if section.boundary is not None:
        boundary = vectors[section.boundary].to_crs(template.crs)
        inside = _rasterize(boundary, template, all_touched=False) > 0
        lulc = np.where(inside, lulc, np.nan)
    valid = np.isfinite(lulc)
    if not valid.any():
        raise InputError("ecology: no valid land-use cell on the study grid (check the boundary and the CRS)")

    def layer(name: str) -> np.ndarray:
        value = section.inputs[name]
        if not isinstance(value, str):
            return np.where(valid, float(value), np.nan)
        arr = _on_grid(rasters[name], template, "bilinear")
        return np.where(valid, arr, np.nan)

    layers: dict[str, np.ndarray] = {"lulc": lulc}
    services: dict[str, np.ndarray] = {}
    tables: dict[str, pd.DataFrame] = {}
    cell_ha = abs(dx * dy) / 1e4
    lulc_nodata = None
    lulc_int = np.where(valid, lulc, -9999).astype(np.int64)
    lulc_nodata = -9999
    models = section.services.models
    s = section.services
    if "water_yield" in models:
        say("ecosystem services: water yield")
        res = sv.water_yield(lulc_int, layer("precipitation"), layer("et0"), layer("root_depth"), layer("pawc"),
                             _table(s.biophysical, "biophysical", base), seasonality=s.seasonality,
                             lulc_nodata=lulc_nodata)
        services["water_yield"] = np.where(valid, res.wyield, np.nan)
        methods.append(f"Water yield: InVEST annual water yield (Budyko curve of Fu/Zhang, w = Z·AWC/P + 1.25 "
                       f"capped at 5, Z = {s.seasonality:g}); non-vegetated cells AET = min(Kc·ET0, P).")
    if "soil_conservation" in models:
        say("ecosystem services: soil conservation")
        from ..ecology import soil

        dem = layer("dem")
        layers["dem"] = dem
        res = soil.sediment_delivery(dem, layer("erosivity"), layer("erodibility"), lulc_int,
                                     _table(s.biophysical, "biophysical", base), cell_size=abs(dx),
                                     threshold_flow_accumulation=s.threshold_flow_accumulation, k=s.sdr_k,
                                     ic0=s.ic0, sdr_max=s.sdr_max, l_max=s.l_max, flow_dir=s.flow_dir,
                                     lulc_nodata=lulc_nodata)
        # the service map covers stream cells too (InVEST's SDR outputs leave them empty)
        full = soil.rusle(dem, layer("erosivity"), layer("erodibility"), lulc_int,
                          _table(s.biophysical, "biophysical", base), cell_size=abs(dx), l_max=s.l_max,
                          flow_dir=s.flow_dir, lulc_nodata=lulc_nodata)
        services["soil_conservation"] = np.where(valid, full.avoided_erosion, np.nan)
        layers["sediment_export"] = np.where(valid, res.sed_export, np.nan)
        layers["sdr"] = np.where(valid, res.sdr, np.nan)
        methods.append(f"Soil conservation: RUSLE avoided erosion R·K·LS·(1 − C·P) (InVEST SDR model, "
                       f"{s.flow_dir.upper()} flow routing, LS of Desmet & Govers with l_max = {s.l_max:g}, on every cell "
                       "including streams; "
                       f"SDR with k = {s.sdr_k:g}, IC0 = {s.ic0:g}, SDRmax = {s.sdr_max:g}, stream threshold "
                       f"{s.threshold_flow_accumulation} cells).")
    if "habitat_quality" in models:
        say("ecosystem services: habitat quality")
        threats = {}
        rows = []
        for t in s.threats:
            if t.classes is not None:
                arr = np.isin(lulc_int, t.classes).astype(np.float64)
            elif t.layer in section.vectors:
                arr = _rasterize(vectors[t.layer], template)
            else:
                arr = layer(t.layer)
            threats[t.name] = np.where(valid, np.nan_to_num(arr), 0.0)
            rows.append({"threat": t.name, "max_dist": t.max_dist_km * 1e3, "weight": t.weight, "decay": t.decay})
        res = sv.habitat_quality(lulc_int, threats, pd.DataFrame(rows), _table(s.sensitivity, "sensitivity", base),
                                 cell_size=abs(dx), half_saturation=s.half_saturation, z=s.z,
                                 lulc_nodata=lulc_nodata)
        services["habitat_quality"] = np.where(valid, res.quality, np.nan)
        layers["habitat_degradation"] = np.where(valid, res.degradation, np.nan)
        methods.append(f"Habitat quality: InVEST 3.20 model (threat effect decays with the Euclidean distance to the nearest threat cell) Q = H·(1 − D^z/(D^z + k^z)) with z = {s.z:g}, "
                       f"k = {s.half_saturation:g}; threats: " + "; ".join(
                           f"{t.name} (max {t.max_dist_km:g} km, weight {t.weight:g}, {t.decay})" for t in s.threats)
                       + ".")
    if "carbon" in models:
        say("ecosystem services: carbon")
        res = sv.carbon_storage(lulc_int, _table(s.carbon_pools, "carbon_pools", base), cell_area_ha=cell_ha,
                                lulc_nodata=lulc_nodata)
        services["carbon"] = np.where(valid, res.density, np.nan)
        methods.append("Carbon storage: sum of the four pools (above-ground, below-ground, soil, dead matter) "
                       "per land-use class (InVEST carbon model), shown per hectare.")
    layers.update({f"service_{k}": v for k, v in services.items()})
    tables["ecology_services"] = _service_table(services, lulc, section, cell_ha)

    # ---- overlay and grades
    say("ecological importance")
    from ..ecology.overlay import grade, weighted_overlay

    overlay = weighted_overlay(services, weights=s.weights, normalize=True)
    composite = np.where(valid, overlay.values, np.nan)
    graded = grade(composite, k=s.grades, method=s.grading)
    grades = np.where(np.isfinite(composite), graded.grades, np.nan)
    layers["importance"] = composite
    layers["importance_grade"] = grades
    tables["ecology_grades"] = _grade_table(graded, grades, cell_ha)
    wtxt = ", ".join(f"{k} {v:.3f}" for k, v in overlay.weights.items())
    methods.append(f"Ecological importance: services min-max normalised to [0, 1] and overlaid with weights "
                   f"{wtxt}; {s.grades} grades by {s.grading.replace('_', ' ')} "
                   f"(breaks {', '.join(f'{b:.4g}' for b in graded.breaks)}).")

    # ---- resistance
    ahp_res = resistance = None
    if section.resistance is not None:
        say("resistance surface")
        from ..ecology.resistance import resistance_surface, slope_degrees

        factors = {}
        rows = []
        for f in section.resistance.factors:
            if f.layer == "lulc":
                base_arr = lulc
            elif f.layer == "slope":
                dem = layers.get("dem")
                if dem is None:
                    dem = layer("dem")
                    layers["dem"] = dem
                base_arr = slope_degrees(dem, transform=template.transform, crs=template.crs)
                layers["slope"] = base_arr
            elif f.layer == "elevation":
                base_arr = layers.get("dem") if "dem" in layers else layer("dem")
            elif f.layer == "service_grade":
                base_arr = grades
            else:
                base_arr = layer(f.layer)
            table = (pd.DataFrame({"code": [float(k) for k in f.classes], "value": list(f.classes.values())})
                     if f.classes is not None else
                     pd.DataFrame(f.ranges, columns=["lower", "upper", "value"]))
            factors[f.name] = np.where(valid, _reclassify(base_arr, table, f.name, valid), np.nan)
            rows.append(table.assign(factor=f.name, layer=f.layer))
        tables["ecology_resistance_tables"] = pd.concat(rows, ignore_index=True)
        if section.resistance.ahp is not None:
            from ..ecology.ahp import ahp

            ahp_res = ahp(np.asarray(section.resistance.ahp.matrix), labels=section.resistance.ahp.factors)
            weights = dict(zip(section.resistance.ahp.factors, ahp_res.weights, strict=True))
            tables["ecology_ahp"] = ahp_res.to_frame().reset_index()
            methods.append(f"Resistance weights by AHP: λmax = {ahp_res.lambda_max:.4f}, CI = {ahp_res.ci:.4f}, "
                           f"CR = {ahp_res.cr:.4f}" + (" (≥ 0.1: inconsistent)" if ahp_res.cr >= 0.1 else "") + ".")
        else:
            weights = section.resistance.weights or {f.name: 1.0 / len(factors) for f in section.resistance.factors}
        res = resistance_surface(factors, weights=weights)
        resistance = np.where(valid, res.values, np.nan)
        layers["resistance"] = resistance
        methods.append("Resistance: weighted sum of the reclassified factors " + ", ".join(
            f"{k} ({v:.3f})" for k, v in weights.items()) + ".")


    # ---- sources
    say("ecological sources")
    from ..ecology.sources import ecological_sources

    top = tuple(section.sources.top_grades or [s.grades])
    source_grades = np.nan_to_num(grades, nan=0).astype(np.int64)
    if resistance is not None:  # a source must be passable (e.g. slope is undefined on the grid's rim)
        source_grades[~np.isfinite(resistance)] = 0
    src = ecological_sources(source_grades, transform_or_cell_size=template.transform,
                             min_area=section.sources.min_area_km2 * 1e6, top_grades=top)
    labels = src.labels
    layers["sources"] = np.where(labels > 0, labels, np.nan).astype(np.float64)
    methods.append(f"Ecological sources: cells of grade(s) {', '.join(map(str, top))}, 8-connected patches "
                   f"of at least {section.sources.min_area_km2:g} km² ({src.n} patches).")

    pc = sweep = threshold = None
    source_table = src.table.copy()
    n = int(src.n)
    if n >= 2:
        say("landscape connectivity")
        from ..ecology.connectivity import (
            grade_by_dpc,
            probability_of_connectivity,
            threshold_sweep,
        )

        c = section.connectivity
        areas = source_table["area"].to_numpy(dtype=float)
        landscape = float(valid.sum()) * abs(dx * dy)
        if c.distance == "cost" and resistance is None:
            raise InputError("ecology.connectivity.distance = \"cost\" needs [ecology.resistance]")
        if True:
            dist = _patch_distances(labels, (abs(dy), abs(dx)), c.distance,
                                    np.where(np.isfinite(resistance), resistance, -1.0)
                                    if c.distance == "cost" else None)
            sweep = threshold_sweep(areas, dist, thresholds=c.thresholds_m, p_at_threshold=c.p,
                                    landscape_area=landscape)
            sweep = sweep if isinstance(sweep, pd.DataFrame) else sweep.to_frame()
            threshold = c.threshold_m or float(np.median(c.thresholds_m))
            pc = probability_of_connectivity(areas, dist, threshold=threshold, p_at_threshold=c.p,
                                             landscape_area=landscape,
                                             labels=[str(i) for i in source_table["id"]])
            dpc_frame = pc.to_frame()
            source_table = _merge_dpc(source_table, dpc_frame)
            # grade_by_dpc: 0 least .. k-1 most important; reported as 1 = most important .. k
            source_table["importance"] = c.grades - grade_by_dpc(source_table["dPC"].to_numpy(), k=c.grades)
            methods.append(f"Connectivity: edge-to-edge {c.distance} distances between sources; p_ij = exp(−k·d_ij) with "
                           f"p = {c.p:g} at {threshold:g} m; PC and dPC (intra, flux, connector) as Conefor; "
                           f"sources graded into {c.grades} levels by natural breaks of dPC (1 = most important).")

    # ---- corridors
    network = None
    if resistance is not None and n >= 2:
        if True:
            say("corridors")
            from ..ecology.linkages import build_corridors

            cs = section.corridors
            importance = None
            if "importance" in source_table:
                importance = dict(zip(source_table["id"].astype(int), source_table["importance"].astype(int),
                                      strict=True))
            network = build_corridors(
                np.where(np.isfinite(resistance), resistance, -1.0), labels, cell_size=(abs(dy), abs(dx)), nodata=-1.0,
                transform=template.transform, crs=template.crs, pairs=cs.pairs,
                max_cost_distance=cs.max_cost_distance,
                max_euclidean_distance=cs.max_euclidean_km * 1e3 if cs.max_euclidean_km else None,
                corridor_width=cs.width, grades=importance)
            cd = network.cost_distance.cost
            layers["cost_distance"] = np.where(np.isfinite(cd), cd, np.nan)
            if network.corridor is not None:
                layers["corridor"] = np.where(np.isfinite(network.corridor), network.corridor, np.nan)
            tables["ecology_corridors"] = network.to_frame()
            methods.append(f"Corridors: multi-source cost distance (8-neighbour, (c1 + c2)/2 × step), pairs = "
                           f"{cs.pairs}; least-cost paths traced through the back-links; normalised corridor "
                           "CWD_a + CWD_b − LCD; types I/II/III by the importance grades of the two sources.")
    tables["ecology_sources"] = source_table
    classes = {int(float(k)): v for k, v in section.lulc_classes.items()}
    tables["ecology_landcover"] = _landcover_table(lulc, classes, cell_ha)
    return EcologyResults(template.__class__(lulc, template.transform, template.crs, np.nan, "study grid"),
                          layers, services, tables, src, pc, sweep, threshold, ahp_res, network, methods,
                          classes, boundary)


def _reclassify(arr: np.ndarray, table: pd.DataFrame, name: str, valid: np.ndarray) -> np.ndarray:
    from ..ecology.resistance import reclassify

    filled = np.where(valid & np.isfinite(arr), arr, -9999.0)
    try:
        out = reclassify(filled, table, nodata=-9999.0)
    except InputError as exc:
        raise InputError(f"ecology.resistance factor {name!r}: {exc}") from exc
    return np.where(filled == -9999.0, np.nan, out)


def _patch_distances(labels, cell_size, method, resistance):
    from ..ecology.sources import patch_distances

    return patch_distances(labels, cell_size=cell_size, method=method, resistance=resistance,
                           nodata=-1.0 if resistance is not None else None)


def _merge_dpc(table: pd.DataFrame, dpc: pd.DataFrame) -> pd.DataFrame:
    dpc = dpc.reset_index()
    first = dpc.columns[0]
    dpc = dpc.rename(columns={first: "id"})
    dpc["id"] = dpc["id"].astype(int)
    keep = [c for c in dpc.columns if c == "id" or c.startswith("dPC") or c in ("dPCintra", "dPCflux", "dPCconnector")]
    return table.merge(dpc[keep], on="id", how="left")


def _service_table(services: dict[str, np.ndarray], lulc: np.ndarray, section: EcologySection,
                   cell_ha: float) -> pd.DataFrame:
    rows = []
    for name, arr in services.items():
        v = arr[np.isfinite(arr)]
        rows.append({"service": name, "label": SERVICE_LABELS[name], "cells": int(v.size),
                     "mean": float(v.mean()) if v.size else np.nan, "sd": float(v.std(ddof=0)) if v.size else np.nan,
                     "min": float(v.min()) if v.size else np.nan, "max": float(v.max()) if v.size else np.nan})
    return pd.DataFrame(rows)


def _grade_table(graded, grades: np.ndarray, cell_ha: float) -> pd.DataFrame:
    k = int(np.nanmax(grades)) if np.isfinite(grades).any() else 0
    counts = [int(np.sum(grades == g)) for g in range(1, k + 1)]
    total = max(sum(counts), 1)
    return pd.DataFrame({"grade": range(1, k + 1), "cells": counts,
                         "area_km2": [c * cell_ha / 100 for c in counts],
                         "share": [c / total for c in counts]})


def _landcover_table(lulc: np.ndarray, classes: dict[int, str], cell_ha: float) -> pd.DataFrame:
    codes, counts = np.unique(lulc[np.isfinite(lulc)], return_counts=True)
    return pd.DataFrame({"code": codes.astype(int), "class": [classes.get(int(c), str(int(c))) for c in codes],
                         "cells": counts, "area_km2": counts * cell_ha / 100,
                         "share": counts / counts.sum()})
