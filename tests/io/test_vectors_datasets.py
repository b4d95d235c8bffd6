"""Geometry readers, id joins with reports, CRS checks and the embedded datasets."""

import warnings

import geopandas as gpd
import pytest
from shapely.geometry import box

from regionkit.errors import InputError, JoinWarning
from regionkit.io.datasets import load_munnell, load_usjoin, us48_geometry
from regionkit.io.vectors import check_same_crs, join_geometry, read_regions
from regionkit.panel import Panel


def _write(tmp_path, ids, crs="EPSG:4326", name="r.gpkg"):
    g = gpd.GeoDataFrame({"code": ids}, geometry=[box(i, 0, i + 1, 1) for i in range(len(ids))], crs=crs)
    p = tmp_path / name
    g.to_file(p, driver="GPKG" if name.endswith("gpkg") else None)
    return p


@pytest.fixture
def panel():
    import pandas as pd

    f = pd.DataFrame({"region": ["A", "A", "B", "B"], "year": [1, 2, 1, 2], "x": [1.0, 2, 3, 4]})
    return Panel.from_frame(f)


@pytest.mark.parametrize("name", ["r.gpkg", "r.geojson", "r.shp"])
def test_read_formats_and_join(tmp_path, panel, name):
    p = _write(tmp_path, ["A", "B", "C"], name=name)
    regions = read_regions(p, id_col="code")
    with pytest.warns(JoinWarning, match="1 geometries without data"):
        joined, report = join_geometry(panel, regions)
    assert report.matched == ("A", "B") and report.geometry_only == ("C",)
    assert list(joined.geometry.index) == ["A", "B"]
    assert set(report.to_frame()["status"]) == {"matched", "geometry only"}


def test_bad_geometry_inputs(tmp_path, panel):
    p = _write(tmp_path, ["A", "B"])
    with pytest.raises(InputError, match="no id column 'id'.*code"):
        read_regions(p, id_col="id")
    with pytest.raises(InputError, match="file not found"):
        read_regions(tmp_path / "none.gpkg", id_col="code")
    other = read_regions(_write(tmp_path, ["X", "Y"], name="o.gpkg"), id_col="code")
    with pytest.raises(InputError, match="none of its ids match"):
        join_geometry(panel, other)
    dup = _write(tmp_path, ["A", "A"], name="d.gpkg")
    with pytest.raises(InputError, match="repeats id"):
        read_regions(dup, id_col="code")
    partial = read_regions(_write(tmp_path, ["A"], name="p.gpkg"), id_col="code")
    with pytest.raises(InputError, match=r"no geometry for panel region\(s\) \['B'\]"):
        join_geometry(panel, partial, strict=True)


def test_mixed_crs_named(tmp_path):
    a = read_regions(_write(tmp_path, ["A"], name="a.gpkg"), id_col="code")
    b = read_regions(_write(tmp_path, ["A"], crs="EPSG:3857", name="b.gpkg"), id_col="code")
    with pytest.raises(InputError, match=r"mixed CRS: .*a.gpkg.*b.gpkg"):
        check_same_crs(a, b)


def test_embedded_datasets_offline():
    with warnings.catch_warnings():
        warnings.simplefilter("error", JoinWarning)
        m = load_munnell()
    assert len(m.regions_ids) == 48 and m.years == list(range(1970, 1987))
    assert set(m.variables) == {"P_CAP", "HWY", "WATER", "UTIL", "PC", "GSP", "EMP", "UNEMP"}
    assert m.group("bea_region").nunique() == 8
    assert m.geometry is not None and m.geometry.crs.to_epsg() == 4326
    # Munnell: California GSP 1986 (millions of 1982 USD) as in the source file
    assert m.wide("GSP").loc["CA", 1986] > m.wide("GSP").loc["NY", 1986]
    u = load_usjoin(geometry=False)
    assert u.wide("pcinc").loc["AL", 1929] == 323  # first cell of usjoin.csv
    assert len(us48_geometry()) == 48
