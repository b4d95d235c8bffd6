"""Outputs of the ``[conflicts]`` step: maps, tables, GeoTIFF layers and ``layers/conflicts.gpkg``."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ..grid import Grid, write_grid  # noqa: E402
from .ecology import CORRIDOR_COLORS, class_map  # noqa: E402

ACTIVITY_COLORS = ["#ffffcc", "#fed976", "#fd8d3c", "#e31a1c", "#800026", "#4d0014", "#2b000b", "#1a0007",
                   "#0d0003"]
SOURCE_COLORS = ["#00441b", "#238b45", "#74c476", "#c7e9c0", "#e5f5e0"]
SEVERITY_COLORS = ["#fee391", "#fe9929", "#cc4c02", "#662506", "#3b1503"]
NO_CONFLICT = "#e8e8e8"
LAYERS = {  # layer name -> (dtype, nodata) of the GeoTIFF
    "activity_surface": ("float32", np.nan),
    "activity_class": ("int16", -1),
    "elements": ("int16", -1),
    "zones": ("int32", -1),
    "severity": ("int16", -1),
}


def _masked(arr: np.ndarray) -> np.ndarray:
    out = np.asarray(arr, dtype=float).copy()
    out[out < 0] = np.nan
    return out


def _overlay(fig: Figure, res, *, lines: bool = True) -> Figure:
    ax = fig.axes[0]
    handles = list(ax.get_legend().legend_handles) if ax.get_legend() is not None else []
    if lines and res.corridor_lines is not None and len(res.corridor_lines):
        res.corridor_lines.plot(ax=ax, color="black", linewidth=0.7)
        handles.append(Patch(facecolor="black", label="least-cost corridors"))
    if res.units is not None:
        res.units.boundary.plot(ax=ax, color="#444444", linewidth=0.6, linestyle="--")
        handles.append(Patch(facecolor="none", edgecolor="#444444", linestyle="--", label="units"))
    if handles:
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    return fig


def activity_map(res) -> Figure:
    """Activity classes (least to most intense)."""
    act = res.activity
    classes = {c: lab for c, lab in enumerate(act.labels)}
    return class_map(res.grid, _masked(act.classes), classes, ACTIVITY_COLORS[: act.k],
                     title=f"Economic activity classes ({res.surface_label})")


def elements_map(res) -> Figure:
    """Sources by grade and corridors by type as rasterised for the overlay."""
    t = res.elements.table
    colors = {}
    for d in t.to_dict("records"):
        code, kind, cls = int(d["code"]), d["kind"], d["class"]
        if kind == "none":
            colors[code] = NO_CONFLICT
        elif kind == "source":
            colors[code] = SOURCE_COLORS[min(res.elements.grade_order.index(cls), len(SOURCE_COLORS) - 1)]
        else:
            colors[code] = CORRIDOR_COLORS.get(cls, "#8c2d04")
    names = dict(zip(t["code"].astype(int), t["element"], strict=True))
    return class_map(res.grid, _masked(res.elements.codes), names, colors,
                     title="Ecological security pattern (sources by grade, corridors by type)")


def severity_map(res) -> Figure:
    """Conflict severity of every cell, with the corridors and the unit boundaries."""
    sev = res.zones.rules.severities
    names = {0: "no conflict", **{i: s for i, s in enumerate(sev, start=1)}}
    colors = {0: NO_CONFLICT, **{i: SEVERITY_COLORS[min(i - 1, len(SEVERITY_COLORS) - 1)]
                                 for i in range(1, len(sev) + 1)}}
    fig = class_map(res.grid, _masked(res.layers["severity"]), names, colors,
                    title="Ecological–economic conflict zones by severity")
    return _overlay(fig, res)


def zone_type_map(res) -> Figure | None:
    """Every conflict zone type present (ecological element × activity class); other cells grey."""
    t = res.zones.types
    present = t[t["conflict"] & (t["cells"] > 0)].sort_values(["level", "code"], ascending=[False, True])
    if present.empty:
        return None
    zones = res.zones.zones
    arr = np.where(zones >= 0, 0.0, np.nan)
    names = {0: "no conflict"}
    colors = {0: NO_CONFLICT}
    palette = matplotlib.colormaps["tab20"]
    for i, row in enumerate(present.itertuples(index=False), start=1):
        arr[zones == row.code] = i
        names[i] = f"{row.type} ({row.severity})"
        colors[i] = matplotlib.colors.to_hex(palette((i - 1) % palette.N))
    fig = class_map(res.grid, arr, names, colors, title="Conflict zone types (ecological element × activity class)")
    return _overlay(fig, res, lines=False)


def conflict_outputs(res, folder: Path, add_table, add_figure) -> list[Path]:
    """Write the tables, maps and layers of the conflict step; return the layer paths."""
    written: list[Path] = []
    t = res.tables
    grid: Grid = res.grid
    (folder / "layers").mkdir(parents=True, exist_ok=True)
    for name, (dtype, nodata) in LAYERS.items():
        rel = Path("layers") / f"conflicts_{name}.tif"
        arr = np.asarray(res.layers[name]).astype(dtype)
        write_grid(Grid(arr, grid.transform, grid.crs, nodata, name), folder / rel)
        written.append(rel)
    written.append(_write_gpkg(res, folder))

    sev = res.zones.rules.severities
    add_table("conflicts_activity_classes", t["conflicts_activity_classes"],
              f"Economic activity classes of {res.surface_label}: bounds, cells, share and area (km²).")
    add_figure("conflicts_activity", activity_map(res),
               f"Economic activity classes ({res.activity.method.replace('_', ' ')}, k = {res.activity.k}).")
    add_table("conflicts_elements", t["conflicts_elements"],
              "Ecological elements of the overlay: code, source grade or corridor type, cells and area (km²).")
    add_figure("conflicts_elements", elements_map(res),
               "Ecological security pattern as overlaid: sources by importance grade (1 = most important) and "
               "corridors by type; sources take precedence over corridors.")
    add_table("conflicts_rules", t["conflicts_rules"],
              f"Conflict rules (severities {' < '.join(sev)}); a zone type takes the most severe matching rule.")
    zt = t["conflicts_zone_types"]
    add_table("conflicts_zone_types", zt,
              "Zone types (ecological element × activity class): severity, cells, area (km²), share of the study "
              "area and of the element. Types present are shown; the file lists every type.",
              show=zt[zt["cells"] > 0][["code", "type", "severity", "cells", "area_km2", "share",
                                        "share_of_element"]])
    add_table("conflicts_severity", t["conflicts_severity"], "Area per conflict severity (km² and share).")
    add_figure("conflicts_severity", severity_map(res),
               "Ecological–economic conflict zones by severity, with the corridors and the administrative units.")
    fig = zone_type_map(res)
    if fig is not None:
        add_figure("conflicts_zone_types", fig, "Conflict zone types present (legend: type, severity and area).")
    if "conflicts_corridor_types" in t:
        top = res.activity.labels[-1]
        add_table("conflicts_corridor_types", t["conflicts_corridor_types"],
                  f"Corridor length (km) in each activity class per corridor type; ‘{top}_km’ is the length "
                  f"crossing {top}-activity land.")
        add_table("conflicts_corridors", t["conflicts_corridors"],
                  "Every corridor: length in each activity class and in conflict (km), share and worst severity.",
                  show=t["conflicts_top_corridors"])
        add_table("conflicts_top_corridors", t["conflicts_top_corridors"],
                  f"The {len(t['conflicts_top_corridors'])} most conflicted corridors (length in conflict "
                  "classes, km).")
    add_table("conflicts_top_sources", t["conflicts_top_sources"],
              f"The {len(t['conflicts_top_sources'])} most conflicted ecological sources (area in conflict "
              "zones, km², and its share of the patch).")
    if "conflicts_units" in t:
        add_table("conflicts_units", t["conflicts_units"],
                  f"Conflict area per administrative unit ({res.section.units.id_col}): unit area, mapped area, "
                  "conflict area and share, area per severity and per conflict type (km²).")
        long = t["conflicts_units_long"]
        add_table("conflicts_units_long", long, "Area of every zone type per unit (long form); conflict types shown.",
                  show=long[long["conflict"]])
    return written


def _write_gpkg(res, folder: Path) -> Path:
    rel = Path("layers") / "conflicts.gpkg"
    fd, tmp = tempfile.mkstemp(dir=folder / "layers", suffix=".gpkg")
    os.close(fd)
    os.unlink(tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res.zones.polygons().to_file(tmp, layer="zones", driver="GPKG")
        res.activity.polygons().to_file(tmp, layer="activity_classes", driver="GPKG")
        if res.units is not None:
            res.units.to_file(tmp, layer="units", driver="GPKG")
        if res.corridor_lines is not None and len(res.corridor_lines):
            res.corridor_lines.to_file(tmp, layer="corridors", driver="GPKG")
    os.replace(tmp, folder / rel)
    return rel


__all__ = ["activity_map", "conflict_outputs", "elements_map", "severity_map", "zone_type_map"]
