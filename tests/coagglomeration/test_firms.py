"""Tests of reading, projecting and screening firm points."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.coagglomeration.firms import (
    find_outliers,
    firms_from_frame,
    project_firms,
    read_firms,
)
from regionkit.errors import InputError

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "china_firms_colocation_example.csv.gz"
ATLAS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "china_atlas" / "provinces.geojson"
COLS = dict(lon_col="Longitude", lat_col="Latitude", industry_cols={"sic2": "SIC2", "sic3": "SIC3"},
            city_col="city")


def write(tmp_path: Path, text: str, gz: bool = False) -> Path:
    p = tmp_path / ("f.csv.gz" if gz else "f.csv")
    data = text.encode()
    p.write_bytes(gzip.compress(data) if gz else data)
    return p


TEXT = ("Longitude,Latitude,city,SIC2,SIC3\n"
        "121.40,31.20,3101,29,292\n"
        ",,3101,29,292\n"
        "121.50,31.30,0,36,366\n"
        "121.45,abc,3101,36,366\n"
        "121.48,31.25,3101,,366\n"
        "121.46,31.22,3101,38,382\n")


@pytest.mark.parametrize("gz", [False, True])
def test_missing_rows_are_reported_then_dropped_or_raised(tmp_path, gz):
    p = write(tmp_path, TEXT, gz)
    with pytest.raises(InputError) as err:
        read_firms(p, **COLS)
    msg = str(err.value)
    assert "2 row(s) without usable coordinates" in msg and "1, 3" in msg and "'SIC2'" in msg
    f = read_firms(p, **COLS, on_missing="drop")
    assert f.report.missing_coordinates.tolist() == [1, 3]
    assert f.report.missing_industry.tolist() == [4]
    assert f.report.unknown_city.tolist() == [2]
    assert f.report.dropped.tolist() == [1, 3, 4]
    assert f.frame["firm_id"].tolist() == [0, 2, 5]
    assert len(f) == 3 and f.labels("sic3").tolist() == [292, 366, 382]
    assert "unknown city" in f.summary()
    assert set(f.report.to_frame()["problem"]) == {"missing_coordinates", "missing_industry", "unknown_city"}
    g = read_firms(p, **COLS, on_missing="drop", on_unknown_city="drop")
    assert g.frame["firm_id"].tolist() == [0, 5]
    with pytest.raises(InputError, match="unknown city code 0"):
        read_firms(p, **COLS, on_missing="drop", on_unknown_city="error")


def test_bad_files_and_columns(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_firms(tmp_path / "nope.csv", **COLS)
    p = write(tmp_path, "lon,lat\n1,2\n")
    with pytest.raises(InputError, match="'SIC2'"):
        read_firms(p, lon_col="lon", lat_col="lat", industry_cols={"sic2": "SIC2"})
    p = write(tmp_path, "lon,lat,s\n200,10,1\n10,10,1\n")
    with pytest.raises(InputError, match="row.*: 0"):
        read_firms(p, lon_col="lon", lat_col="lat", industry_cols={"s": "s"})
    with pytest.raises(InputError, match="on_missing"):
        read_firms(p, lon_col="lon", lat_col="lat", industry_cols={"s": "s"}, on_missing="ignore")


def test_project_auto_utm_and_errors():
    f = firms_from_frame(pd.DataFrame({"x": [121.0, 121.01, 121.0], "y": [31.0, 31.0, 31.01], "s": 1}),
                         crs="EPSG:4326", industry_levels=("s",))
    p = project_firms(f)
    assert p.crs == "EPSG:32651" and not p.is_geographic
    dx = p.frame.x[1] - p.frame.x[0]
    dy = p.frame.y[2] - p.frame.y[0]
    assert dx == pytest.approx(954.3, rel=2e-3)  # 0.01° of longitude at 31° N
    assert dy == pytest.approx(1109, rel=2e-3)
    assert f.frame.x[0] == 121.0  # input untouched
    with pytest.raises(InputError, match="geographic"):
        project_firms(f, crs="EPSG:4490")
    with pytest.raises(InputError, match="already"):
        project_firms(p)
    wide = firms_from_frame(pd.DataFrame({"x": np.linspace(75, 130, 50), "y": 35.0, "s": 1}),
                            crs="EPSG:4326", industry_levels=("s",))
    with pytest.warns(UserWarning, match="degrees of longitude"):
        project_firms(wide)


def test_outlier_rules():
    rng = np.random.default_rng(1)
    xy = np.vstack([rng.normal(0, 2000, (300, 2)), rng.normal(200_000, 2000, (300, 2))])
    city = np.repeat([1, 2], 300)
    xy[10] = [2_000_000, 0]  # isolated from everything
    xy[20] = [200_000, 200_000]  # city 1 firm inside city 2's cluster
    f = firms_from_frame(pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "s": 1, "city": city}),
                         crs="EPSG:32651", industry_levels=("s",))
    rep = find_outliers(f)
    assert rep.isolated.tolist() == [10]
    assert rep.far_from_city.tolist() == [10, 20]
    from shapely.geometry import box

    rep2 = find_outliers(f, study_area=box(-50_000, -50_000, 250_000, 250_000))
    assert rep2.outside_area.tolist() == [10]
    assert rep2.all_ids.tolist() == [10, 20]
    assert len(rep2.to_frame()) == 4 and "isolated" in rep2.summary()
    with pytest.raises(InputError, match="project"):
        find_outliers(firms_from_frame(pd.DataFrame({"x": [1.0] * 9, "y": 1.0, "s": 1}), crs="EPSG:4326",
                                       industry_levels=("s",)))


@pytest.mark.shared_data
def test_real_china_firms():
    if not DATA.is_file():
        pytest.skip(f"firm data not found at {DATA.resolve()} (../shared absent)")
    with pytest.raises(InputError, match="2 row.*639, 4999"):
        read_firms(DATA, **COLS)
    f = read_firms(DATA, **COLS, on_missing="drop")
    assert f.report.n_rows == 99_998 and len(f) == 99_996
    assert f.report.missing_coordinates.tolist() == [639, 4999]
    assert len(f.report.unknown_city) == 4565
    assert f.frame["sic2"].nunique() == 46 and f.frame["sic3"].nunique() == 201
    sh = f.select(city=3101)
    assert len(sh) == 3954
    p = project_firms(sh)
    assert p.crs == "EPSG:32651"
    rep = find_outliers(p)
    # firms coded Shanghai but located hundreds of km away are flagged, the city itself is not
    assert 0 < len(rep.isolated) < 0.03 * len(p)
    far = p.frame.set_index("firm_id").loc[rep.isolated]
    centre = p.frame[["x", "y"]].median().to_numpy()
    assert (np.hypot(far.x - centre[0], far.y - centre[1]) > 50_000).all()


@pytest.mark.shared_data
@pytest.mark.slow
def test_real_china_firms_outside_the_provinces():
    if not (DATA.is_file() and ATLAS.is_file()):
        pytest.skip("firm data or China atlas not found (../shared absent)")
    import geopandas as gpd

    f = read_firms(DATA, **COLS, on_missing="drop")
    china = gpd.read_file(ATLAS).to_crs("ESRI:102025")
    nat = project_firms(f, crs="ESRI:102025")
    out = find_outliers(nat, study_area=china.geometry, by_city=False)
    assert 0 < len(out.outside_area) < 0.01 * len(nat)  # a few coastal / offshore points
    assert len(out.isolated) < 0.001 * len(nat)
