"""Regenerate the gdaldem slope fixtures (needs the GDAL CLI: apt-get install gdal-bin).

Run from the repository root:  python tests/reference/gdaldem_slope/make_fixture.py

* dem_window.tif        40 x 40 window (rows 160:200, cols 160:200) of
                        ../shared/data/dfw_dem_3arcsec.tif (EPSG:4326, 3 arc-seconds, int16 m)
* dem_window_metric.tif the same values on a projected frame (EPSG:32614) whose cell size is the
                        metric size of a 3" cell at the window's centre latitude on WGS84:
                        dx = N(phi) cos(phi) dlambda, dy = M(phi) dphi
* slope_metric.tif      gdaldem slope dem_window_metric.tif slope_metric.tif
* slope_s111120.tif     gdaldem slope -s 111120 dem_window.tif slope_s111120.tif
"""

import subprocess
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from rasterio.windows import Window

HERE = Path(__file__).parent
SRC = HERE.parents[2] / ".." / "shared" / "data" / "dfw_dem_3arcsec.tif"
ROW, COL, SIZE = 160, 160, 40

with rasterio.open(SRC) as src:
    win = Window(COL, ROW, SIZE, SIZE)
    data = src.read(1, window=win)
    t = src.window_transform(win)
    profile = dict(driver="GTiff", height=SIZE, width=SIZE, count=1, dtype=data.dtype,
                   nodata=src.nodata)
with rasterio.open(HERE / "dem_window.tif", "w", crs="EPSG:4326", transform=t, **profile) as dst:
    dst.write(data, 1)

a, b = 6378137.0, 6356752.314245179
e2 = 1 - (b / a) ** 2
phi = np.deg2rad(t.f + t.e * SIZE / 2)
w = np.sqrt(1 - e2 * np.sin(phi) ** 2)
dy = a * (1 - e2) / w**3 * np.deg2rad(abs(t.e))
dx = a / w * np.cos(phi) * np.deg2rad(abs(t.a))
tm = Affine(dx, 0, 500000.0, 0, -dy, 3600000.0)
with rasterio.open(HERE / "dem_window_metric.tif", "w", crs="EPSG:32614", transform=tm,
                   **profile) as dst:
    dst.write(data, 1)

subprocess.run(["gdaldem", "slope", "-q", str(HERE / "dem_window_metric.tif"),
                str(HERE / "slope_metric.tif")], check=True)
subprocess.run(["gdaldem", "slope", "-q", "-s", "111120", str(HERE / "dem_window.tif"),
                str(HERE / "slope_s111120.tif")], check=True)
print("cell size", dx, dy, "latitude", np.rad2deg(phi))
