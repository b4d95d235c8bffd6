"""Matplotlib figures of a study (pure: data in, Figure out; no files written here)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

D_CLASS_COLORS_10 = [
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
]


def area_label(km2: float) -> str:
    """An area for a legend, readable at any study size: km² from 1 km², hectares below.

    >>> area_label(1234.5), area_label(2.345), area_label(0.0325), area_label(0.0)
    ('1,234 km²', '2.35 km²', '3.25 ha', '0 ha')
    """
    if km2 >= 100:
        return f"{km2:,.0f} km²"
    if km2 >= 1:
        return f"{km2:.3g} km²"
    return f"{km2 * 100:.3g} ha"


def class_colors(n: int) -> list[str]:
    """A diverging red→green palette with ``n`` colours for ordered classes."""
    if n == len(D_CLASS_COLORS_10):
        return list(D_CLASS_COLORS_10)
    cmap = plt.get_cmap("RdYlGn")
    return [matplotlib.colors.to_hex(cmap(x)) for x in np.linspace(0.05, 0.95, n)]


def weights_figure(weights: dict[str, pd.Series]) -> Figure:
    """Horizontal bars of indicator weights, one panel per system."""
    n = len(weights)
    height = max(2.2, 0.35 * max(len(w) for w in weights.values()) + 1.2)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, height), squeeze=False)
    for ax, (name, w) in zip(axes[0], weights.items(), strict=True):
        w = w.sort_values()
        ax.barh([str(i) for i in w.index], w.to_numpy(), color="#4575b4")
        for y, v in enumerate(w.to_numpy()):
            ax.text(v, y, f" {v:.3f}", va="center", fontsize=8)
        ax.set_title(str(name))
        ax.set_xlim(0, max(1e-9, w.max()) * 1.3)
        ax.set_xlabel("weight")
    fig.tight_layout()
    return fig


def class_maps(geometry, classes: pd.DataFrame, *, title: str, categories: list[str]) -> Figure:
    """Small-multiple choropleth maps of an ordered class variable, one panel per column (year).

    ``classes`` is region × year with class labels; legends give the count per class.
    """
    years = list(classes.columns)
    ncol = min(3, len(years))
    nrow = int(np.ceil(len(years) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.0 * ncol, 4.6 * nrow), squeeze=False)
    colors = dict(zip(categories, class_colors(len(categories)), strict=True))
    for k, year in enumerate(years):
        ax = axes[k // ncol][k % ncol]
        col = classes[year].reindex(geometry.index)
        face = [colors.get(c, "#dddddd") if isinstance(c, str) else "#dddddd" for c in col]
        geometry.plot(ax=ax, color=face, edgecolor="white", linewidth=0.3)
        counts = col.value_counts()
        handles = [
            Patch(facecolor=colors[c], edgecolor="none", label=f"{c} ({int(counts.get(c, 0))})")
            for c in categories if counts.get(c, 0) > 0
        ]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2,
                  fontsize=6.5, frameon=False)
        ax.set_title(f"{title}, {year}")
        ax.set_axis_off()
    for k in range(len(years), nrow * ncol):
        axes[k // ncol][k % ncol].set_axis_off()
    fig.tight_layout()
    return fig


def value_map(geometry, values: pd.Series, *, title: str, cmap: str = "viridis", diverging: bool = False) -> Figure:
    """Choropleth of a continuous value (quantile-free: continuous colour bar)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    gdf = geometry.copy()
    gdf["value"] = values.reindex(gdf.index).to_numpy(dtype=float)
    kw = {}
    if diverging:
        lim = float(np.nanmax(np.abs(gdf["value"]))) or 1.0
        kw = {"vmin": -lim, "vmax": lim}
    gdf.plot(column="value", ax=ax, cmap=cmap, legend=True, edgecolor="white", linewidth=0.3,
             missing_kwds={"color": "#dddddd"}, **kw)
    ax.set_title(title)
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def group_lines(table: pd.DataFrame, *, ylabel: str, title: str) -> Figure:
    """Lines over time, one per column (e.g. group means of D by year)."""
    fig, ax = plt.subplots(figsize=(7.5, 4.0))
    for col in table.columns:
        ax.plot(table.index, table[col].to_numpy(), marker="o", ms=3, label=str(col))
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2 if table.shape[1] > 4 else 1, frameon=False)
    fig.tight_layout()
    return fig


def resilience_bars(wide: pd.DataFrame, names: pd.Series, *, title: str) -> Figure:
    """Sorted bars of the resilience index per region, one panel per window."""
    n = wide.shape[1]
    fig, axes = plt.subplots(1, n, figsize=(4.0 * n, max(4.0, 0.16 * len(wide) + 1)), squeeze=False)
    for ax, col in zip(axes[0], wide.columns, strict=True):
        s = wide[col].sort_values()
        colors = np.where(s.to_numpy() >= 0, "#1a9850", "#d73027")
        labels = [str(names.get(r, r)) for r in s.index]
        ax.barh(labels, s.to_numpy(), color=colors)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_title(f"{col[0]}–{col[1]}" if isinstance(col, tuple) else str(col))
        ax.tick_params(axis="y", labelsize=6)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def dispersion_figure(table: pd.DataFrame, *, variable: str) -> Figure:
    """CV and Theil (with between/within parts when present) over time."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    axes[0].plot(table.index, table["cv"], marker="o", ms=3, color="#4575b4", label="coefficient of variation")
    ax2 = axes[0].twinx()
    ax2.plot(table.index, table["range"], marker="s", ms=3, color="#d73027", label="range")
    axes[0].set_ylabel("CV")
    ax2.set_ylabel("range")
    axes[0].set_title(f"Relative and absolute difference of {variable}")
    axes[0].grid(alpha=0.3)
    if "theil_between" in table.columns:
        axes[1].stackplot(table.index, table["theil_between"], table["theil_within"],
                          labels=["between groups", "within groups"], colors=["#fdae61", "#abd9e9"])
    axes[1].plot(table.index, table["theil"], color="black", lw=1.2, label="Theil T")
    axes[1].set_title(f"Theil index of {variable}")
    axes[1].legend(fontsize=8, frameon=False)
    axes[1].grid(alpha=0.3)
    fig.tight_layout()
    return fig


def close(fig: Figure) -> None:
    """Release a figure's memory."""
    plt.close(fig)


def moran_scatter(z: np.ndarray, lag: np.ndarray, *, slope: float, title: str,
                  clusters: pd.Series | None = None, colors: dict[str, str] | None = None) -> Figure:
    """Moran scatter plot: standardised value against its spatial lag, slope = Moran's I."""
    fig, ax = plt.subplots(figsize=(5.2, 5.0))
    if clusters is not None and colors is not None:
        face = [colors.get(str(c), "#999999") for c in clusters]
    else:
        face = "#4575b4"
    ax.scatter(z, lag, s=14, c=face, edgecolors="#333333", linewidths=0.3)
    lim = float(np.nanmax(np.abs(np.concatenate([z, lag])))) * 1.1 or 1.0
    xs = np.array([-lim, lim])
    ax.plot(xs, slope * xs, color="black", lw=1.0, label=f"slope = I = {slope:.4f}")
    ax.axhline(0, color="#888888", lw=0.6)
    ax.axvline(0, color="#888888", lw=0.6)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("standardised value z")
    ax.set_ylabel("spatial lag of z")
    ax.set_title(title)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig


def category_maps(geometry, categories: pd.DataFrame, *, title: str, colors: dict[str, str]) -> Figure:
    """Small-multiple maps of unordered categories (LISA clusters, hot spots) with fixed colours.

    ``categories`` is region × panel (e.g. year) with labels; legends list counts.
    """
    cols = list(categories.columns)
    ncol = min(3, len(cols))
    nrow = int(np.ceil(len(cols) / ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.0 * ncol, 4.4 * nrow), squeeze=False)
    for k, col in enumerate(cols):
        ax = axes[k // ncol][k % ncol]
        lab = categories[col].reindex(geometry.index).astype(object)
        face = [colors.get(str(c), "#dddddd") for c in lab]
        geometry.plot(ax=ax, color=face, edgecolor="#999999", linewidth=0.3)
        counts = lab.value_counts()
        handles = [Patch(facecolor=colors[c], edgecolor="#999999", label=f"{c} ({int(counts.get(c, 0))})")
                   for c in colors if counts.get(c, 0) > 0]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, fontsize=6.5,
                  frameon=False)
        ax.set_title(f"{title}, {col}")
        ax.set_axis_off()
    for k in range(len(cols), nrow * ncol):
        axes[k // ncol][k % ncol].set_axis_off()
    fig.tight_layout()
    return fig


def residual_diagnostics(fitted: np.ndarray, residuals: np.ndarray, *, title: str) -> Figure:
    """Residuals against fitted values and a normal Q–Q plot of the residuals."""
    from scipy import stats as st

    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.8))
    axes[0].scatter(fitted, residuals, s=8, alpha=0.6, color="#4575b4")
    axes[0].axhline(0, color="black", lw=0.8)
    axes[0].set_xlabel("fitted")
    axes[0].set_ylabel("residual")
    axes[0].set_title("Residuals vs fitted")
    r = np.sort(np.asarray(residuals, dtype=float))
    q = st.norm.ppf((np.arange(1, len(r) + 1) - 0.5) / len(r))
    axes[1].scatter(q, r, s=8, alpha=0.6, color="#4575b4")
    sd = r.std(ddof=1) if len(r) > 1 else 1.0
    axes[1].plot(q, r.mean() + sd * q, color="black", lw=0.8)
    axes[1].set_xlabel("normal quantile")
    axes[1].set_ylabel("residual")
    axes[1].set_title("Normal Q–Q")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def path_diagram(x: str, mediators: list[tuple[str, str, str]], y: str, *, direct: str, title: str) -> Figure:
    """Mediation path diagram: X → M_j (label a_j) → Y (label b_j) and the direct path X → Y (c′).

    ``mediators`` holds (name, a-label, b-label) for each parallel mediator.
    """
    k = len(mediators)
    fig, ax = plt.subplots(figsize=(7.5, 1.6 + 1.1 * k))
    ax.set_xlim(0, 10)
    ax.set_ylim(-1.2, k + 0.4)
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.4", "facecolor": "#f4f4f4", "edgecolor": "#333333"}
    ax.text(1.0, -0.6, x, ha="center", va="center", bbox=box, fontsize=10)
    ax.text(9.0, -0.6, y, ha="center", va="center", bbox=box, fontsize=10)
    arrow = {"arrowstyle": "->", "color": "#333333", "lw": 1.2}
    ax.annotate("", xy=(8.2, -0.6), xytext=(1.8, -0.6), arrowprops=arrow)
    ax.text(5.0, -0.95, f"c′ = {direct}", ha="center", fontsize=9)
    for j, (name, a, b) in enumerate(mediators):
        yy = k - j - 0.2
        ax.text(5.0, yy, name, ha="center", va="center", bbox=box, fontsize=10)
        ax.annotate("", xy=(4.2, yy - 0.1), xytext=(1.4, -0.3), arrowprops=arrow)
        ax.annotate("", xy=(8.6, -0.3), xytext=(5.8, yy - 0.1), arrowprops=arrow)
        mid_a = ((1.4 + 4.2) / 2, (-0.3 + yy - 0.1) / 2)
        mid_b = ((5.8 + 8.6) / 2, (yy - 0.1 - 0.3) / 2)
        ax.text(mid_a[0] - 0.25, mid_a[1] + 0.12, f"a = {a}", ha="right", fontsize=9)
        ax.text(mid_b[0] + 0.25, mid_b[1] + 0.12, f"b = {b}", ha="left", fontsize=9)
    ax.set_title(title)
    fig.tight_layout()
    return fig
