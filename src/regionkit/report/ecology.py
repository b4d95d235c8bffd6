"""Outputs of the ``[ecology]`` step: GeoTIFF layers, a GeoPackage, tables and raster maps."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..grid import Grid, write_grid  # noqa: E402
from . import figures as F  # noqa: E402

LULC_COLORS = ["#1b7837", "#c2a5cf", "#a6dba0", "#969696", "#f7f7f7", "#2166ac", "#e08214", "#fee08b",
               "#8c510a", "#762a83"]
CORRIDOR_COLORS = {"I": "#d7301f", "II": "#fc8d59", "III": "#fdcc8a"}
IMPORTANCE_COLORS = {1: "#00441b", 2: "#41ab5d", 3: "#c7e9c0", 4: "#f7fcf5", 5: "#ffffff"}


def _extent(grid: Grid) -> tuple[float, float, float, float]:
    left, bottom, right, top = grid.bounds
    return (left, right, bottom, top)


def _frame(ax, boundary) -> None:
    if boundary is not None:
        boundary.boundary.plot(ax=ax, color="black", linewidth=0.6)
    ax.set_xticks([])
    ax.set_yticks([])


def continuous_maps(grid: Grid, layers: dict[str, np.ndarray], labels: dict[str, str], *, boundary=None,
                    cmap: str = "viridis") -> Figure:
    """One panel per continuous layer with its own colour bar."""
    n = len(layers)
    cols = min(n, 2)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.4 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, (name, arr) in zip(axes.ravel(), layers.items(), strict=False):
        im = ax.imshow(np.ma.masked_invalid(arr), extent=_extent(grid), cmap=cmap, interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(labels.get(name, name), fontsize=10)
        _frame(ax, boundary)
    fig.tight_layout()
    return fig


def class_map(grid: Grid, arr: np.ndarray, classes: dict[int, str], colors: list[str] | dict, *, title: str,
              boundary=None) -> Figure:
    """A categorical raster map with a legend of class labels and areas."""
    codes = sorted(classes)
    palette = [colors[c] if isinstance(colors, dict) else colors[i % len(colors)] for i, c in enumerate(codes)]
    bounds = [c - 0.5 for c in codes] + [codes[-1] + 0.5]
    fig, ax = plt.subplots(figsize=(9.0, 5.6))
    ax.imshow(np.ma.masked_invalid(arr), extent=_extent(grid), cmap=ListedColormap(palette),
              norm=BoundaryNorm(bounds, len(palette)), interpolation="nearest")
    cell_km2 = abs(grid.resolution[0] * grid.resolution[1]) / 1e6
    handles = [Patch(facecolor=p, edgecolor="#555555",
                     label=f"{classes[c]} ({F.area_label(np.sum(arr == c) * cell_km2)})") for c, p in zip(codes, palette,
                                                                                                   strict=True)]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    ax.set_title(title, fontsize=11)
    _frame(ax, boundary)
    fig.tight_layout()
    fig.subplots_adjust(right=0.6)  # room for the legend
    return fig


def corridor_map(grid: Grid, background: np.ndarray, sources: np.ndarray, lines, *, title: str,
                 boundary=None) -> Figure:
    """Corridors (least-cost paths coloured by type) over the resistance surface and the sources."""
    fig, ax = plt.subplots(figsize=(9.0, 5.6))
    im = ax.imshow(np.ma.masked_invalid(background), extent=_extent(grid), cmap="Greys", interpolation="nearest",
                   alpha=0.8)
    fig.colorbar(im, ax=ax, shrink=0.7, label="resistance")
    ax.imshow(np.ma.masked_where(~(sources > 0), np.ones_like(background)), extent=_extent(grid),
              cmap=ListedColormap(["#238b45"]), interpolation="nearest")
    handles = [Patch(facecolor="#238b45", label="ecological sources")]
    if lines is not None and len(lines):
        for kind, color in CORRIDOR_COLORS.items():
            sub = lines[lines["type"] == kind]
            if len(sub):
                sub.plot(ax=ax, color=color, linewidth=1.8 if kind == "I" else 1.2)
                handles.append(Patch(facecolor=color, label=f"type {kind} corridors ({len(sub)}, "
                                                               f"{sub['length'].sum() / 1e3:.1f} km)"))
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.32, 0.5), fontsize=8, frameon=False)
    ax.set_title(title, fontsize=11)
    _frame(ax, boundary)
    fig.tight_layout()
    fig.subplots_adjust(right=0.55)  # room for the colour bar and the legend
    return fig


def sweep_figure(sweep) -> Figure:
    """PC against the distance threshold."""
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    x = sweep["threshold"].to_numpy(dtype=float)
    y = sweep["PC"].to_numpy(dtype=float)
    ax.plot(x / 1e3, y, marker="o", color="#2c7fb8")
    ax.set_xlabel("distance threshold (km)")
    ax.set_ylabel("PC")
    ax.set_xscale("log")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def ecology_outputs(eco, folder: Path, add_table, add_figure) -> list[Path]:
    """Write the layers (GeoTIFF, GeoPackage), tables and figures of the ecological step."""
    from ..pipeline.ecology_step import SERVICE_LABELS

    written: list[Path] = []
    grid: Grid = eco.grid
    (folder / "layers").mkdir(parents=True, exist_ok=True)
    for name, arr in eco.layers.items():
        rel = Path("layers") / f"ecology_{name}.tif"
        write_grid(Grid(np.asarray(arr, dtype=np.float32), grid.transform, grid.crs, np.nan, name), folder / rel)
        written.append(rel)
    gpkg = _write_gpkg(eco, folder)
    if gpkg is not None:
        written.append(gpkg)

    boundary = eco.boundary
    classes = eco.classes or {int(c): str(int(c)) for c in np.unique(grid.data[np.isfinite(grid.data)])}
    add_table("ecology_landcover", eco.tables["ecology_landcover"], "Land cover of the study area (cells, km², share).")
    add_figure("ecology_landcover", class_map(grid, grid.data, classes, LULC_COLORS, title="Land cover",
                                              boundary=boundary), "Land cover on the study grid.")
    add_table("ecology_services", eco.tables["ecology_services"],
              "Ecosystem services per cell: mean, standard deviation and range over the study area.")
    if eco.services:
        add_figure("ecology_services", continuous_maps(grid, eco.services, SERVICE_LABELS, boundary=boundary,
                                                       cmap="YlGn"),
                   "Ecosystem services (InVEST-equivalent models, see Methods).")
    grades = eco.layers["importance_grade"]
    k = int(np.nanmax(grades))
    names = {g: f"grade {g}" + (" (most important)" if g == k else " (least)" if g == 1 else "") for g in range(1, k + 1)}
    add_table("ecology_grades", eco.tables["ecology_grades"],
              "Ecological importance grades: cells, area and share (grade k = most important).")
    add_figure("ecology_grades", class_map(grid, grades, names, F.class_colors(k), title="Ecological importance",
                                           boundary=boundary),
               "Ecological importance: weighted overlay of the normalised services, graded (see Methods).")
    st = eco.tables["ecology_sources"]
    add_table("ecology_sources", st, "Ecological sources: patch id, cells, area, centroid and, where computed, "
              "dPC with its intra/flux/connector fractions and the importance level (1 = most important).")
    labels = eco.layers["sources"]
    if "importance" in st:
        imp = np.full(labels.shape, np.nan)
        lab = np.nan_to_num(labels, nan=0).astype(np.int64)
        lut = np.zeros(int(lab.max()) + 1)
        lut[:] = np.nan
        lut[st["id"].astype(int).to_numpy()] = st["importance"].to_numpy(dtype=float)
        imp = np.where(lab > 0, lut[lab], np.nan)
        levels = sorted(int(v) for v in st["importance"].unique())
        add_figure("ecology_sources", class_map(
            grid, imp, {v: f"level {v}" + (" (most important)" if v == 1 else "") for v in levels},
            {v: IMPORTANCE_COLORS.get(v, "#cccccc") for v in levels}, title="Ecological sources by dPC level",
            boundary=boundary), "Ecological sources coloured by their connectivity importance level "
            "(natural breaks of dPC).")
    if eco.sweep is not None:
        add_table("ecology_threshold_sweep", eco.sweep, "Probability of connectivity at each distance threshold.")
        add_figure("ecology_threshold_sweep", sweep_figure(eco.sweep),
                   f"PC against the distance threshold; dPC uses {eco.threshold_m:g} m.")
    if "ecology_ahp" in eco.tables:
        add_table("ecology_ahp", eco.tables["ecology_ahp"], "AHP weights of the resistance factors "
                  "(principal eigenvector) with λmax, CI and CR (Saaty's random index).")
    if "ecology_resistance_tables" in eco.tables:
        add_table("ecology_resistance_tables", eco.tables["ecology_resistance_tables"],
                  "Reclassification of each resistance factor (codes or [low, high) ranges → resistance).")
    if "resistance" in eco.layers:
        add_figure("ecology_resistance", continuous_maps(grid, {"resistance": eco.layers["resistance"]},
                                                         {"resistance": "Resistance"}, boundary=boundary,
                                                         cmap="magma_r"), "Resistance surface.")
    if "corridor" in eco.layers:
        add_figure("ecology_corridor_raster", continuous_maps(
            grid, {"corridor": eco.layers["corridor"]},
            {"corridor": "Normalised least-cost corridor CWD_a + CWD_b − LCD"}, boundary=boundary, cmap="YlOrRd_r"),
            "Normalised least-cost corridors (0 on the least-cost paths), truncated at the configured width.")
    if eco.network is not None:
        lines = eco.network.lines()
        ct = eco.tables["ecology_corridors"]
        add_table("ecology_corridors", ct, "Corridors: source pair, least-cost distance, path length (m), "
                  "cost/length ratio, Euclidean distance and type.")
        by_type = lines.groupby("type").agg(corridors=("type", "size"), length_km=("length", "sum"))
        by_type["length_km"] = by_type["length_km"] / 1e3
        add_table("ecology_corridor_types", by_type.reset_index(), "Number and total length of corridors by type.")
        add_figure("ecology_corridors", corridor_map(grid, eco.layers["resistance"], np.nan_to_num(labels),
                                                     lines, title="Ecological corridors", boundary=boundary),
                   "Least-cost corridors by type (I: between most important sources; II: involving an "
                   "important source; III: others) over the resistance surface.")
    return written


def _write_gpkg(eco, folder: Path) -> Path | None:
    import os
    import tempfile

    rel = Path("layers") / "ecology.gpkg"
    fd, tmp = tempfile.mkstemp(dir=folder / "layers", suffix=".gpkg")
    os.close(fd)
    os.unlink(tmp)
    polys = eco.sources.polygons(eco.grid.transform, eco.grid.crs)
    st = eco.tables["ecology_sources"]
    extra = [c for c in st.columns if c not in polys.columns and c != "id"]
    polys = polys.merge(st[["id", *extra]], on="id", how="left")
    polys.to_file(tmp, layer="sources", driver="GPKG")
    if eco.network is not None:
        lines = eco.network.lines()
        if len(lines):
            lines.to_file(tmp, layer="corridors", driver="GPKG")
    if eco.boundary is not None:
        eco.boundary.to_file(tmp, layer="boundary", driver="GPKG")
    os.replace(tmp, folder / rel)
    return rel
