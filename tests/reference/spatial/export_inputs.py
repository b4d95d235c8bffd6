"""Prepare the inputs of ``make_spdep_reference.R`` from libpysal's example data.

Run from the repository root with the project venv active::

    python tests/reference/spatial/export_inputs.py

Writes, next to this script (all derived from libpysal's bundled example data,
BSD-3-Clause; nothing from ../shared):

* ``input_columbus.csv``        POLYID, CRIME, INC, HOVAL in columbus.dbf row order
* ``input_columbus_queen.gal``  byte copy of libpysal's ``columbus.gal`` (1-based POLYIDs);
                                checked here to equal Queen contiguity of columbus.shp
* ``input_us_income.csv``       Name, STATE_FIPS, 1929, 2009 in usjoin.csv row order
* ``input_states48.gal``        byte copy of libpysal's ``states48.gal`` (0-based ids =
                                usjoin.csv row positions); checked here to equal Queen
                                contiguity of us48.shp after re-ordering us48 to usjoin
* ``input_mexico.csv``          State, pcgdp1940, pcgdp2000 in mexico.csv row order, plus
                                the matching mexicojoin.shp row (POLY_ID, NAME) and the
                                planar centroid (x, y; lon/lat degrees) of that polygon

Floats are written with ``repr`` (shortest round-trip representation).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
from libpysal.weights import Queen

HERE = Path(__file__).resolve().parent
ex = libpysal.examples.get_path


def _f(v) -> str:
    return repr(float(v))


def _nb(w, key=lambda k: k):
    return {key(k): sorted(key(j) for j in v) for k, v in w.neighbors.items()}


def columbus() -> None:
    df = gpd.read_file(ex("columbus.shp"))
    assert (df["POLYID"].to_numpy() == np.arange(1, 50)).all()
    df[["POLYID", "CRIME", "INC", "HOVAL"]].to_csv(
        HERE / "input_columbus.csv", index=False, float_format=_f
    )
    gal = libpysal.io.open(ex("columbus.gal")).read()
    queen = Queen.from_dataframe(df, use_index=False, ids=list(df["POLYID"]))
    assert _nb(gal, int) == _nb(queen, int), "columbus.gal is not Queen contiguity"
    shutil.copyfile(ex("columbus.gal"), HERE / "input_columbus_queen.gal")


def us_income() -> None:
    j = pd.read_csv(ex("usjoin.csv"))
    j[["Name", "STATE_FIPS", "1929", "2009"]].to_csv(HERE / "input_us_income.csv", index=False)
    # states48.gal ids 0..47 are usjoin.csv row positions (alphabetical), NOT us48.shp rows.
    shp = gpd.read_file(ex("us48.shp"))
    pos = {name: i for i, name in enumerate(j["Name"])}
    q = Queen.from_dataframe(shp, use_index=True)
    queen_usjoin = {
        pos[shp.STATE_NAME[k]]: sorted(pos[shp.STATE_NAME[x]] for x in v)
        for k, v in q.neighbors.items()
    }
    gal = libpysal.io.open(ex("states48.gal")).read()
    assert _nb(gal, int) == queen_usjoin, "states48.gal is not Queen in usjoin order"
    fips = shp.set_index("STATE_NAME").loc[j["Name"], "STATE_FIPS"].astype(int).to_numpy()
    assert (fips == j["STATE_FIPS"].to_numpy()).all()
    shutil.copyfile(ex("states48.gal"), HERE / "input_states48.gal")


def mexico() -> None:
    csv = pd.read_csv(ex("mexico.csv"))
    shp = gpd.read_file(ex("mexicojoin.shp"))
    years = [1940, 1950, 1960, 1970, 1980, 1990, 2000]
    # mexico.csv is alphabetical, mexicojoin.shp is not: match rows on all seven
    # per-capita GDP values (unique per state), then sanity-check the names.
    key_csv = [tuple(r) for r in csv[[f"pcgdp{y}" for y in years]].to_numpy()]
    key_shp = [tuple(r) for r in shp[[f"PCGDP{y}" for y in years]].to_numpy()]
    assert len(set(key_shp)) == len(key_shp) == len(key_csv) == 32
    shp_row = [key_shp.index(k) for k in key_csv]
    assert sorted(shp_row) == list(range(32))
    out = csv[["State", "pcgdp1940", "pcgdp2000"]].copy()
    out["shp_row"] = shp_row
    out["POLY_ID"] = shp["POLY_ID"].to_numpy()[shp_row]
    out["shp_name"] = shp["NAME"].to_numpy()[shp_row]
    for a, b in zip(out["State"], out["shp_name"], strict=True):
        assert a[:4].lower() == b[:4].lower(), (a, b)  # e.g. "Quertaro" vs "Queretaro de Arteaga"
    # Planar (shapely) centroids in the shapefile's own lon/lat degrees, as libpysal's
    # KNN.from_shapefile / from_dataframe would use them.
    cent = shp.geometry.centroid  # crs is None: no geographic-CRS warning
    out["x"] = cent.x.to_numpy()[shp_row]
    out["y"] = cent.y.to_numpy()[shp_row]
    out.to_csv(HERE / "input_mexico.csv", index=False, float_format=_f)


if __name__ == "__main__":
    columbus()
    us_income()
    mexico()
    print("inputs written to", HERE)
