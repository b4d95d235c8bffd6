"""Region geometries from GeoPackage, GeoJSON or Shapefile, joined to a panel by id."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError, JoinWarning
from ..panel import REGION, Panel


@dataclass(frozen=True)
class JoinReport:
    """Outcome of joining geometries to a panel by region id.

    Attributes
    ----------
    matched : tuple
        Region ids present in both.
    panel_only : tuple
        Panel regions with no geometry (they are kept, without a shape).
    geometry_only : tuple
        Geometry ids with no panel data (dropped).
    """

    matched: tuple
    panel_only: tuple
    geometry_only: tuple

    def summary(self) -> str:
        """One line per category."""
        return (
            f"{len(self.matched)} regions matched; "
            f"{len(self.panel_only)} panel regions without geometry {list(self.panel_only)}; "
            f"{len(self.geometry_only)} geometries without data {list(self.geometry_only)}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per id with its status."""
        rows = [(i, "matched") for i in self.matched]
        rows += [(i, "panel only") for i in self.panel_only]
        rows += [(i, "geometry only") for i in self.geometry_only]
        return pd.DataFrame(rows, columns=[REGION, "status"])


def read_regions(
    path: str | Path,
    *,
    id_col: str,
    layer: str | None = None,
    crs_if_missing: str | None = None,
):
    """Read region polygons and index them by ``id_col``.

    Parameters
    ----------
    path : path-like
        GeoPackage, GeoJSON or Shapefile.
    id_col : str
        Column holding region ids (must be unique).
    layer : str, optional
        Layer of a multi-layer file.
    crs_if_missing : str, optional
        CRS to assume when the file declares none (e.g. ``"EPSG:4326"``);
        without it a file lacking a CRS is an error.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by region id (index name ``region``).
    """
    import geopandas as gpd

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types
        raise InputError(f"{path}: cannot be read as a vector layer ({exc})") from exc
    if id_col not in gdf.columns:
        raise InputError(
            f"{path}: no id column {id_col!r}; columns present: "
            f"{', '.join(c for c in gdf.columns if c != 'geometry')}"
        )
    if gdf[id_col].isna().any():
        raise InputError(f"{path}: column {id_col!r} has missing ids")
    dup = gdf[id_col].duplicated()
    if dup.any():
        raise InputError(f"{path}: column {id_col!r} repeats id(s) {sorted(gdf.loc[dup, id_col].unique().tolist())}")
    if gdf.crs is None:
        if crs_if_missing is None:
            raise InputError(f"{path}: the layer has no CRS; pass crs_if_missing (e.g. 'EPSG:4326')")
        gdf = gdf.set_crs(crs_if_missing)
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        gdf = gdf.copy()
        gdf.loc[invalid, "geometry"] = gdf.loc[invalid, "geometry"].make_valid()
    gdf = gdf.set_index(id_col)
    gdf.index.name = REGION
    gdf.attrs["source"] = str(path)
    return gdf


def check_same_crs(*layers, names: list[str] | None = None) -> None:
    """Raise an :class:`InputError` naming the layers when their CRS differ."""
    crs = [getattr(layer, "crs", None) for layer in layers]
    names = names or [getattr(layer, "attrs", {}).get("source", f"layer {i}") for i, layer in enumerate(layers)]
    first = crs[0]
    for n, c in zip(names[1:], crs[1:], strict=True):
        if c != first:
            raise InputError(f"mixed CRS: {names[0]} is {first}, {n} is {c}; reproject one of them (to_crs)")


def join_geometry(panel: Panel, regions, *, strict: bool = False) -> tuple[Panel, JoinReport]:
    """Attach geometries (indexed by region id) to a panel, reporting unmatched ids.

    Ids are compared as strings when the dtypes differ (``"01"`` vs ``1`` are
    *not* equal; pad codes before joining).  Unmatched ids are reported in the
    returned :class:`JoinReport` and as a :class:`~regionkit.errors.JoinWarning`;
    with ``strict=True`` any panel region without geometry is an error.
    """
    geo_ids = list(regions.index)
    ids = panel.regions_ids
    if geo_ids and ids and type(geo_ids[0]) is not type(ids[0]):
        regions = regions.copy()
        regions.index = regions.index.astype(str)
        ids_str = [str(i) for i in ids]
    else:
        ids_str = ids
    geo_set = set(regions.index)
    matched = tuple(i for i, s in zip(ids, ids_str, strict=True) if s in geo_set)
    panel_only = tuple(i for i, s in zip(ids, ids_str, strict=True) if s not in geo_set)
    geometry_only = tuple(g for g in regions.index if g not in set(ids_str))
    report = JoinReport(matched, panel_only, geometry_only)
    src = regions.attrs.get("source", "geometry layer")
    if not matched:
        raise InputError(
            f"{src}: none of its ids match the panel's region ids "
            f"(panel: {ids[:3]}..., layer: {geo_ids[:3]}...); check id_col"
        )
    if panel_only and strict:
        raise InputError(f"{src}: no geometry for panel region(s) {list(panel_only)}")
    if panel_only or geometry_only:
        warnings.warn(f"{src}: {report.summary()}", JoinWarning, stacklevel=2)
    lookup = dict(zip(ids_str, ids, strict=True))
    kept = regions.loc[[s for s in ids_str if s in geo_set]].copy()
    kept.index = pd.Index([lookup[s] for s in kept.index], name=REGION)
    return panel.with_geometry(kept[["geometry"]].copy()), report
