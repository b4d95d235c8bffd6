"""Outputs of the ``[coagglomeration]`` step: tables, figures, density GeoTIFFs and a firm GeoPackage."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..grid import Grid, write_grid  # noqa: E402

TOP_PAIRS = 30  # rows of the pair table shown in the HTML report (the CSV has all)
MAX_TICKS = 60  # industries labelled on the heat map axes


def ordered_industries(industries, groups: dict) -> list:
    """Industries ordered by group, then by code (the order of the heat map)."""
    return sorted(industries, key=lambda c: (str(groups.get(c, "")), c))


def coagg_heatmap(coagg: pd.DataFrame, significant: pd.DataFrame, groups: dict, *, alpha: float) -> Figure:
    """Coagg(j, k) as a heat map, industries ordered by group; dots mark significant pairs."""
    order = ordered_industries(list(coagg.index), groups)
    m = coagg.loc[order, order].to_numpy(dtype=float)
    sig = significant.loc[order, order].to_numpy(dtype=bool)
    n = len(order)
    size = min(11.0, max(5.0, 0.22 * n + 3))
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(m), cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    fig.colorbar(im, ax=ax, shrink=0.8, label="Coagg(j, k)")
    if n <= MAX_TICKS:
        jj, kk = np.nonzero(sig)
        ax.scatter(kk, jj, s=max(2.0, 60.0 / max(n, 1)), color="white", edgecolors="black", linewidths=0.3)
        ax.set_xticks(range(n), [str(c) for c in order], rotation=90, fontsize=7)
        ax.set_yticks(range(n), [str(c) for c in order], fontsize=7)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    gv = [groups.get(c) for c in order]
    cuts = [i for i in range(1, n) if gv[i] != gv[i - 1]]
    for c in cuts:
        ax.axhline(c - 0.5, color="white", linewidth=0.8)
        ax.axvline(c - 0.5, color="white", linewidth=0.8)
    ax.set_xlabel("k (counterfactual industry)")
    ax.set_ylabel("j (fixed industry)")
    dots = f"\nwhite dots: significant (Coagg ≥ {alpha:g})" if n <= MAX_TICKS else ""
    ax.set_title(f"Co-agglomeration index, industries ordered by group{dots}", fontsize=10)
    fig.tight_layout()
    return fig


def firm_map(firms: pd.DataFrame, core: tuple) -> Figure:
    """Firms in the pool (grey), core industries coloured, outliers marked (coordinates in km)."""
    fig, ax = plt.subplots(figsize=(8.2, 6.4))
    pool = firms[firms["in_pool"]]
    other = pool[~pool["industry"].isin(list(core))]
    ax.scatter(other["x"] / 1e3, other["y"] / 1e3, s=2, color="#bbbbbb", label=f"other industries ({len(other)})",
               rasterized=True)
    palette = matplotlib.colormaps["tab20" if len(core) > 10 else "tab10"]
    for i, ind in enumerate(core):
        sub = pool[pool["industry"] == ind]
        ax.scatter(sub["x"] / 1e3, sub["y"] / 1e3, s=5, color=palette(i % palette.N), label=f"{ind} ({len(sub)})",
                   rasterized=True)
    out = firms[firms["outlier"]]
    if len(out):
        dropped = not out["in_pool"].any()
        label = f"outliers ({len(out)}, {'dropped: outside this view' if dropped else 'kept'})"
        ax.scatter(out["x"] / 1e3 if not dropped else [], out["y"] / 1e3 if not dropped else [], s=18, marker="x",
                   color="#d7301f", label=label)
    ax.set_aspect("equal")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_title("Firms by core industry")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False, markerscale=2)
    fig.tight_layout()
    return fig


def density_maps(dens, *, title_prefix: str = "") -> Figure:
    """One panel per density layer and one for their sum (firms per km², axes in km)."""
    layers = {str(ind): dens.layers[i] for i, ind in enumerate(dens.industries)}
    layers["superimposed (sum)"] = dens.combined
    n = len(layers)
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    left, bottom, right, top = _bounds(dens.grid)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 4.0 * rows), squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    for ax, (name, arr) in zip(axes.ravel(), layers.items(), strict=False):
        im = ax.imshow(np.ma.masked_less_equal(arr, 0), extent=(left / 1e3, right / 1e3, bottom / 1e3, top / 1e3),
                       cmap="YlOrRd", interpolation="nearest")
        fig.colorbar(im, ax=ax, shrink=0.8, label="firms / km²")
        ax.set_title(f"{title_prefix}{name}", fontsize=10)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def _bounds(grid) -> tuple[float, float, float, float]:
    t = grid.transform
    rows, cols = grid.shape
    return t.c, t.f + rows * t.e, t.c + cols * t.a, t.f


def coagg_outputs(res, folder: Path, add_table, add_figure) -> list[Path]:
    """Write the tables, figures and layers of the co-agglomeration step; return the layer paths."""
    s = res.section
    t = res.tables
    level = s.level
    written: list[Path] = []
    add_table("coagg_reading", t["coagg_reading"],
              "Firm file: rows read, rows without coordinates or industry code and rows with the unknown "
              "city code (0-based data rows; file line = row + 2), the city filter and the outlier screening.")
    if len(t["coagg_problem_rows"]):
        add_table("coagg_problem_rows", t["coagg_problem_rows"],
                  "Every row of the firm file with a problem, and whether it was dropped.")
    if len(t["coagg_outliers"]):
        add_table("coagg_outliers", t["coagg_outliers"],
                  f"Firms flagged as outliers (firm_id = source row; x, y in {res.crs}, metres) and why; "
                  f"policy: {s.outliers.policy}.")
    add_table("coagg_industries", t["coagg_industries"],
              f"Firms per {level} industry in the pool, its group, whether it was analysed (industries with "
              f"fewer than {s.min_firms} firms are skipped but stay in the pool), its frequency in significant "
              "pairs and whether it is a core industry.")
    pairs = t["coagg_pairs"]
    top = pairs.sort_values(["Coagg", "W"], ascending=[False, True], kind="stable").head(TOP_PAIRS)
    add_table("coagg_pairs", pairs,
              f"Co-agglomeration of every ordered pair (j fixed, k replaced by counterfactuals): W(j, k) in km², "
              f"Coagg, significance at α = {s.alpha:g}, draws used, Monte Carlo s.e. and quantiles of the "
              f"counterfactual W(j, k~). The {min(TOP_PAIRS, len(pairs))} highest Coagg are shown; the file has "
              f"all {len(pairs)} pairs.", show=top)
    add_table("coagg_groups", t["coagg_groups"],
              f"Summary by {s.group_level or 'group'}: ordered pairs with j in the group, within and across "
              "groups, significant pairs and mean Coagg.")
    add_table("coagg_group_pairs", t["coagg_group_pairs"],
              "Mean Coagg and share of significant pairs between and within groups (rows: group of j).")
    add_table("coagg_core", t["coagg_core"],
              "Ranking of industries by their frequency in significant pairs (as j plus as k); core industries "
              f"flagged: {', '.join(map(str, res.core)) or 'none'}.")
    groups = {int(r[level]): r["group"] for _, r in t["coagg_industries"].iterrows()}
    add_figure("coagg_heatmap", coagg_heatmap(res.result.coagg, res.result.significant(), groups,
                                              alpha=res.result.alpha),
               f"Co-agglomeration index Coagg(j, k) of the {len(res.result.sizes)} analysed industries, ordered by "
               f"{s.group_level or 'code'} (white lines separate groups; dots: significant at α = {s.alpha:g}).")
    add_figure("coagg_firms", firm_map(res.firms, res.core),
               f"Firms of the pool coloured by core industry (projected {res.crs}, km); outliers marked.")
    dens = res.densities
    if dens is not None:
        add_table("coagg_density", t["coagg_density"],
                  "Kernel density surfaces: firms, peak density (firms per km²) and where it lies.")
        add_figure("coagg_density", density_maps(dens),
                   f"Kernel density (firms per km², {dens.kernel} kernel, bandwidth {dens.bandwidth / 1e3:.3g} km) "
                   "of each industry and the superimposed production surface (their sum).")
        (folder / "layers").mkdir(parents=True, exist_ok=True)
        surfaces = {str(ind): dens.layers[i] for i, ind in enumerate(dens.industries)}
        surfaces["combined"] = dens.combined
        for name, arr in surfaces.items():
            rel = Path("layers") / f"coagg_density_{name}.tif"
            write_grid(Grid(np.asarray(arr, dtype=np.float32), dens.grid.transform, dens.grid.crs, None,
                            f"kernel density {name}"), folder / rel)
            written.append(rel)
    written.append(_write_firms(res, folder))
    return written


def _write_firms(res, folder: Path) -> Path:
    import geopandas as gpd

    rel = Path("layers") / "coagg_firms.gpkg"
    (folder / "layers").mkdir(parents=True, exist_ok=True)
    f = res.firms.copy()
    f["group"] = f["group"].astype(str)
    frame = gpd.GeoDataFrame(f, geometry=gpd.points_from_xy(f["x"], f["y"]), crs=res.crs)
    fd, tmp = tempfile.mkstemp(dir=folder / "layers", suffix=".gpkg")
    os.close(fd)
    os.unlink(tmp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame.to_file(tmp, layer="firms", driver="GPKG")
    os.replace(tmp, folder / rel)
    return rel


__all__ = ["coagg_heatmap", "coagg_outputs", "density_maps", "firm_map", "ordered_industries"]
