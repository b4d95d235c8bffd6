"""The Grid type: properties, GeoTIFF round trip (COG), alignment errors, explicit resampling."""

import numpy as np
import pytest
from affine import Affine

from regionkit.errors import InputError
from regionkit.grid import Grid, check_aligned, read_grid, resample_to, write_grid


def _grid(shape=(4, 6), res=10.0, crs="EPSG:3857", x0=0.0, y0=100.0, nodata=-9999.0):
    data = np.arange(shape[0] * shape[1], dtype=float).reshape(shape)
    data[0, 0] = nodata
    return Grid(data, Affine(res, 0, x0, 0, -res, y0), crs, nodata, "g")


def test_properties_and_mask():
    g = _grid()
    assert g.shape == (4, 6) and g.resolution == (10.0, 10.0)
    assert g.bounds == (0.0, 60.0, 60.0, 100.0)
    assert not g.mask[0, 0] and g.mask.sum() == 23
    assert np.isnan(g.masked()[0, 0])
    assert g.cell_area() == 100.0
    with pytest.raises(InputError, match="2-D"):
        Grid(np.zeros(3), g.transform, g.crs, None)
    geo = Grid(np.zeros((2, 2)), Affine(0.1, 0, 0, 0, -0.1, 0), "EPSG:4326", None, "lonlat")
    import rasterio.crs

    geo = Grid(geo.data, geo.transform, rasterio.crs.CRS.from_epsg(4326), None, "lonlat")
    with pytest.raises(InputError, match="geographic CRS"):
        geo.cell_area()


@pytest.mark.parametrize("cog", [True, False])
def test_round_trip(tmp_path, cog):
    g = _grid()
    path = write_grid(g, tmp_path / "g.tif", cog=cog)
    back = read_grid(path)
    np.testing.assert_array_equal(back.data, g.data)
    assert back.nodata == g.nodata and back.transform == g.transform and back.crs.to_epsg() == 3857
    with pytest.raises(InputError, match="file not found"):
        read_grid(tmp_path / "none.tif")
    with pytest.raises(InputError, match="band 2 does not exist"):
        read_grid(path, band=2)


def test_alignment_errors_name_the_grid():
    a = _grid()
    check_aligned(a, _grid())
    with pytest.raises(InputError, match="CRS"):
        check_aligned(a, _grid(crs="EPSG:32650"))
    with pytest.raises(InputError, match="shape"):
        check_aligned(a, _grid(shape=(5, 6)))
    with pytest.raises(InputError, match="origin"):
        check_aligned(a, _grid(x0=5.0))


def test_resample_average_and_nearest():
    fine = Grid(np.arange(16.0).reshape(4, 4), Affine(1, 0, 0, 0, -1, 4), "EPSG:3857", None, "fine")
    coarse = Grid(np.zeros((2, 2)), Affine(2, 0, 0, 0, -2, 4), "EPSG:3857", None, "coarse")
    avg = resample_to(fine, coarse, method="average")
    np.testing.assert_allclose(avg.data, [[2.5, 4.5], [10.5, 12.5]])
    near = resample_to(coarse.with_data(np.array([[1.0, 2.0], [3.0, 4.0]])), fine, method="nearest")
    assert near.data[0, 0] == 1.0 and near.data[3, 3] == 4.0
    with pytest.raises(InputError, match="choose one of"):
        resample_to(fine, coarse, method="cubic")
