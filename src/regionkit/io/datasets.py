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
