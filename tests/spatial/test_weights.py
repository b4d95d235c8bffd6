"""Spatial weights builders: agreement with libpysal, transforms, islands, components, files."""

from __future__ import annotations

import warnings

import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from regionkit.errors import InputError
from regionkit.io.datasets import us48_geometry
from regionkit.spatial.weights import (
    MAX_DENSE_UNITS,
    SpatialWeights,
    contiguity,
    distance_band,
    from_libpysal,
    inverse_distance,
    knn,
    lattice,
    read_weights,
)

R_KM = 6371.0088  # mean Earth radius used by regionkit


def haversine(lon1, lat1, lon2, lat2):
    """Independent great-circle distance (km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * R_KM * np.arcsin(np.sqrt(a))


def edges(w) -> set:
    """Directed links of a SpatialWeights or a libpysal W, as (focal, neighbor) pairs."""
    return {(i, j) for i, nb in w.neighbors.items() for j in nb}


def squares(nrows: int, ncols: int, *, x0: float = 0.0, prefix: str | None = None) -> gpd.GeoDataFrame:
    """Unit squares box(c, r, c+1, r+1), row-major."""
    r, c = np.divmod(np.arange(nrows * ncols), ncols)
    geoms = shapely.box(c + x0, r, c + x0 + 1, r + 1)
    index = [f"{prefix}{i}" for i in range(r.size)] if prefix else range(r.size)
    return gpd.GeoDataFrame(geometry=geoms, index=index)


@pytest.fixture(scope="module")
def columbus() -> gpd.GeoDataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gdf = gpd.read_file(libpysal.examples.get_path("columbus.shp"))
    return gdf.set_index("POLYID")


@pytest.fixture(scope="module")
def us48() -> gpd.GeoDataFrame:
    return us48_geometry()


@pytest.fixture(scope="module")
def us48_pacific(us48) -> gpd.GeoDataFrame:
    """The 48 states plus a box in the Pacific, with a name column."""
    box = gpd.GeoDataFrame(geometry=[shapely.box(-150, 25, -148, 27)], index=pd.Index(["PAC"], name=us48.index.name), crs=us48.crs)
    out = pd.concat([us48, box])
    out["name"] = [f"State {i}" for i in us48.index] + ["Pacific box"]
    out.attrs["source"] = "us48+pacific"
    return out


# ---------------------------------------------------------------- libpysal agreement


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_contiguity_matches_libpysal_on_columbus(columbus, kind):
    ours = contiguity(columbus, kind=kind, transform="B")
    cls = libpysal.weights.Queen if kind == "queen" else libpysal.weights.Rook
    theirs = cls.from_dataframe(columbus, use_index=True)
    assert ours.ids == tuple(columbus.index)
    assert edges(ours) == edges(theirs)
    graph = libpysal.graph.Graph.build_contiguity(columbus, rook=kind == "rook")
    assert edges(ours) == {(i, j) for i, j in zip(graph.adjacency.index.get_level_values(0), graph.adjacency.index.get_level_values(1), strict=True) if i != j}


@pytest.mark.parametrize("kind", ["queen", "rook"])
def test_contiguity_matches_libpysal_on_us48_multipolygons(us48, kind):
    ours = contiguity(us48, kind=kind)
    cls = libpysal.weights.Queen if kind == "queen" else libpysal.weights.Rook
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cls.from_dataframe(us48, use_index=True)
    assert edges(ours) == edges(theirs)
    # the Four Corners: queen but not rook neighbours
    assert ("AZ" in ours.neighbors["CO"]) == (kind == "queen")


def test_states48_gal_matches_libpysal():
    path = libpysal.examples.get_path("states48.gal")
    ours = read_weights(path, transform="B")
    theirs = libpysal.io.open(path).read()
    assert ours.ids == tuple(theirs.id_order)
    assert edges(ours) == edges(theirs)
    np.testing.assert_array_equal(ours.sparse.toarray(), theirs.full()[0])
    # matching to integer ids by string form keeps the given ids and order
    by_int = read_weights(path, ids=range(47, -1, -1))
    assert by_int.ids == tuple(range(47, -1, -1))
    assert {(int(i), int(j)) for i, j in edges(ours)} == edges(by_int)


def test_gwt_matches_libpysal():
    path = libpysal.examples.get_path("juvenile.gwt")
    ours = read_weights(path, transform="B")
    theirs = libpysal.io.open(path).read()
    assert ours.n == theirs.n
    expected = {
        (str(i), str(j)): v
        for i in theirs.id_order
        for j, v in zip(theirs.neighbors[i], theirs.weights[i], strict=True)
    }
    frame = ours.to_frame()
    got = dict(zip(zip(frame["focal"], frame["neighbor"], strict=True), frame["weight"], strict=True))
    assert got == pytest.approx(expected)


@pytest.mark.filterwarnings("ignore:The weights matrix is not fully connected")
@pytest.mark.parametrize("k", [1, 2, 4, 6])
def test_knn_matches_libpysal_on_columbus(columbus, k):
    ours = knn(columbus, k=k)
    theirs = libpysal.weights.KNN.from_dataframe(columbus, k=k, use_index=True)
    assert {i: set(nb) for i, nb in ours.neighbors.items()} == {i: set(theirs.neighbors[i]) for i in ours.ids}
    assert (ours.cardinalities == k).all()
    np.testing.assert_allclose(ours.sparse.data, 1 / k)


def test_knn_is_asymmetric_and_kept_so():
    w = knn(np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]]), k=1, transform="B")
    a = w.sparse.toarray()
    assert a[3, 2] == 1 and a[2, 3] == 0
    assert w.n_components == 1  # components use the symmetrised graph


def test_knn_geodesic_matches_brute_force_haversine():
    rng = np.random.default_rng(7)
    pts = np.column_stack([rng.uniform(-179, 179, 300), rng.uniform(-80, 80, 300)])
    w = knn(pts, k=5, geodesic=True, transform="B")
    d = haversine(pts[:, None, 0], pts[:, None, 1], pts[None, :, 0], pts[None, :, 1])
    np.fill_diagonal(d, np.inf)
    expected = np.argsort(d, axis=1, kind="stable")[:, :5]
    assert {i: set(nb) for i, nb in w.neighbors.items()} == {i: set(expected[i].tolist()) for i in range(300)}
    # across the antimeridian: lon 179.5 and -179.5 are 111 km apart
    near = knn(np.array([[179.5, 0.0], [-179.5, 0.0], [170.0, 0.0]]), k=1, geodesic=True)
    assert near.neighbors[0] == (1,)


def test_knn_ties_go_to_the_first_listed():
    w = knn(np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]), k=1)
    assert w.neighbors[0] == (1,)
    # twelve points exactly 5 from the origin: more ties than the first KD-tree query returns
    circle = [(5, 0), (-5, 0), (0, 5), (0, -5), (3, 4), (-3, 4), (3, -4), (-3, -4),
              (4, 3), (-4, 3), (4, -3), (-4, -3)]
    pts = np.array([(0, 0), *circle], dtype=float)
    for k in (1, 3, 11):
        assert knn(pts, k=k).neighbors[0] == tuple(range(1, k + 1))


def test_knn_on_lattice_centroids_is_deterministic():
    w = knn(squares(5, 5), k=4)
    # corner 0: two at distance 1, one at sqrt(2), then 2 and 10 tie at distance 2 -> 2 (listed first)
    assert set(w.neighbors[0]) == {1, 5, 6, 2}
    assert set(w.neighbors[12]) == {7, 11, 13, 17}


# ---------------------------------------------------------------- transforms


def test_row_standardised_rows_sum_to_one(columbus, us48):
    for w in (
        contiguity(columbus),
        contiguity(us48, kind="rook"),
        knn(columbus, k=3),
        distance_band(us48, threshold=800, unit="km"),
        inverse_distance(us48, threshold=1000, unit="km"),
        inverse_distance(columbus, power=2),
        lattice(4, 7),
    ):
        assert isinstance(w, SpatialWeights) and w.transform == "R"
        np.testing.assert_allclose(w.sparse.sum(axis=1), 1.0)
        assert w.sparse.diagonal().sum() == 0
        assert w.sparse.dtype == np.float64
        assert w.sparse.format == "csr"


def test_transform_b_keeps_values_as_built(columbus):
    w = contiguity(columbus, transform="B")
    assert set(w.sparse.data.tolist()) == {1.0}
    assert (w.sparse != w.sparse.T).nnz == 0
    assert w.s0 == w.cardinalities.sum()
    idw = inverse_distance(columbus, threshold=10, power=2, transform="B")
    cent = shapely.get_coordinates(shapely.centroid(columbus.geometry.values))
    frame = idw.to_frame()
    pos = {u: p for p, u in enumerate(columbus.index)}
    i = frame["focal"].map(pos).to_numpy()
    j = frame["neighbor"].map(pos).to_numpy()
    d = np.hypot(*(cent[i] - cent[j]).T)
    np.testing.assert_allclose(frame["weight"], d**-2)
    assert d.max() <= 10
    band = distance_band(columbus, threshold=10, binary=False, transform="B")
    np.testing.assert_allclose(band.sparse.toarray() ** 2, idw.sparse.toarray())


def test_inverse_distance_all_pairs_and_dense_limit():
    pts = gpd.GeoSeries(gpd.points_from_xy([0, 3, 0], [0, 0, 4]), index=["a", "b", "c"])
    w = inverse_distance(pts, transform="B")
    np.testing.assert_allclose(w.sparse.toarray(), [[0, 1 / 3, 1 / 4], [1 / 3, 0, 1 / 5], [1 / 4, 1 / 5, 0]])
    many = gpd.GeoSeries(gpd.points_from_xy(np.arange(MAX_DENSE_UNITS + 1.0), np.zeros(MAX_DENSE_UNITS + 1)))
    with pytest.raises(InputError, match="threshold"):
        inverse_distance(many)
    twin = gpd.GeoSeries(gpd.points_from_xy([0, 0, 1], [0, 0, 0]), index=["a", "b", "c"])
    with pytest.raises(InputError, match=r"coincident.*'a', 'b'"):
        inverse_distance(twin)


# ---------------------------------------------------------------- islands and components


def test_island_error_names_it(us48_pacific):
    with pytest.raises(InputError) as err:
        contiguity(us48_pacific)
    msg = str(err.value)
    assert "'PAC'" in msg and "Pacific box" in msg and "us48+pacific" in msg
    assert "'CA'" not in msg


def test_island_drop(us48_pacific, us48):
    w = contiguity(us48_pacific, islands="drop")
    assert w.dropped == ("PAC",)
    assert w.ids == tuple(us48.index)
    assert "PAC" in w.description and "dropped" in w.description
    assert w.islands == () and w.n_components == 1
    assert edges(w) == edges(contiguity(us48))


def test_island_nearest(us48_pacific):
    w = contiguity(us48_pacific, islands="nearest", transform="B")
    assert w.linked == (("PAC", "CA"),)
    assert w.neighbors["PAC"] == ("CA",)
    assert "PAC" in w.neighbors["CA"]
    assert (w.sparse != w.sparse.T).nnz == 0
    assert "linked" in w.description and "'PAC'-'CA'" in w.description and "km" in w.description
    assert w.n_components == 1 and w.islands == ()
    r = contiguity(us48_pacific, islands="nearest")
    np.testing.assert_allclose(r.sparse.sum(axis=1), 1.0)


def test_island_keep(us48_pacific):
    w = contiguity(us48_pacific, islands="keep")
    assert w.islands == ("PAC",)
    row = w.ids.index("PAC")
    assert w.cardinalities[row] == 0
    sums = np.asarray(w.sparse.sum(axis=1)).ravel()
    assert sums[row] == 0 and np.allclose(np.delete(sums, row), 1.0)
    assert w.n_components == 2 and w.minor_components == (("PAC",),)
    assert "PAC" in w.components_report() and "PAC" in w.summary()


def test_distance_band_islands_nearest_uses_the_rule_weight(us48):
    w = distance_band(us48, threshold=500, unit="km", binary=False, transform="B", islands="nearest")
    assert {a for a, _ in w.linked} == {"AZ", "NM"}
    az, nm = w.ids.index("AZ"), w.ids.index("NM")
    assert w.sparse[az, nm] == pytest.approx(w.sparse[nm, az])
    assert 1 / 600 < w.sparse[az, nm] < 1 / 500


def test_two_disconnected_blocks_are_reported():
    big = squares(3, 3, prefix="a")
    small = squares(2, 2, x0=10.0, prefix="b")
    w = contiguity(pd.concat([small, big]), kind="rook")
    assert w.n_components == 2
    assert w.minor_components == (("b0", "b1", "b2", "b3"),)
    assert w.components[0] == tuple(f"a{i}" for i in range(9))
    assert w.component_labels.tolist() == [1] * 4 + [0] * 9
    report = w.components_report()
    assert "2 connected components" in report and "'b0'" in report and "'a0'" not in report


# ---------------------------------------------------------------- distance in km


def test_km_band_on_lonlat_matches_independent_haversine(us48):
    pts = us48.geometry.representative_point()
    layer = gpd.GeoDataFrame(geometry=pts, crs=us48.crs)
    w = distance_band(layer, threshold=500, unit="km", islands="keep", transform="B")
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    d = haversine(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    expected = (d <= 500) & ~np.eye(len(lon), dtype=bool)
    np.testing.assert_array_equal(w.sparse.toarray() > 0, expected)
    card = w.cardinalities
    assert 2 < card.mean() < 8 and card.max() <= 12


def test_km_band_on_state_polygons_is_plausible(us48):
    w = distance_band(us48, threshold=500, unit="km", islands="keep")
    # the two big south-western states have no centroid within 500 km; the north-east is dense
    assert set(w.islands) == {"AZ", "NM"}
    assert {"CT", "MA", "NY"} <= set(w.neighbors["RI"])
    assert 3 < w.cardinalities.mean() < 6
    # independent check: centroids in an equal-area projection (CONUS Albers), great-circle distances
    cent = us48.to_crs("EPSG:5070").centroid.to_crs("EPSG:4326")
    lon, lat = cent.x.to_numpy(), cent.y.to_numpy()
    d = haversine(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    ours = w.sparse.toarray() > 0
    theirs = (d <= 500) & ~np.eye(48, dtype=bool)
    # centroids differ slightly between equal-area projections: only borderline pairs may differ
    assert np.all(np.abs(d[ours != theirs] - 500) < 5)


def test_km_on_projected_crs_uses_the_crs_unit(us48):
    albers = us48.to_crs("EPSG:5070")  # metres
    metres = distance_band(albers, threshold=500_000, islands="keep")
    km = distance_band(albers, threshold=500, unit="km", islands="keep")
    assert edges(km) == edges(metres) and "km" in km.description
    us_feet = albers.to_crs(
        "+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +datum=NAD83 +units=us-ft +no_defs"
    )
    in_feet = distance_band(us_feet, threshold=500, unit="km", islands="keep")
    assert edges(in_feet) == edges(metres)


def test_km_needs_a_known_unit(us48, columbus):
    with pytest.raises(InputError, match="geodesic=True"):
        distance_band(us48, threshold=500, unit="km", geodesic=False)
    with pytest.raises(InputError, match="no CRS"):
        distance_band(columbus, threshold=5, unit="km")


def test_crs_unit_on_lonlat_is_degrees_of_arc(us48):
    deg = distance_band(us48, threshold=500 / (R_KM * np.pi / 180), islands="keep")
    km = distance_band(us48, threshold=500, unit="km", islands="keep")
    assert edges(deg) == edges(km)
    assert "degrees of arc" in deg.description


# ---------------------------------------------------------------- files


def test_csv_edge_list(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("focal,neighbor,weight\nA,B,2\nB,A,1\nB,C,3\nC,B,1\n")
    w = read_weights(path, transform="B")
    assert w.ids == ("A", "B", "C")
    np.testing.assert_array_equal(w.sparse.toarray(), [[0, 2, 0], [1, 0, 3], [0, 1, 0]])
    r = read_weights(path)
    np.testing.assert_allclose(r.sparse.toarray()[1], [0.25, 0, 0.75])
    # asymmetric lists are kept as given
    asym = tmp_path / "a.csv"
    asym.write_text("focal,neighbor\nA,B\nB,C\nC,A\n")
    a = read_weights(asym, transform="B").sparse.toarray()
    assert a[0, 1] == 1 and a[1, 0] == 0


def test_csv_unknown_id_is_named(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("focal,neighbor\nCA,NV\nNV,CA\nNV,XX\n")
    with pytest.raises(InputError) as err:
        read_weights(path, ids=["CA", "NV", "OR"], islands="keep")
    assert "'XX'" in str(err.value) and "w.csv" in str(err.value)
    with pytest.raises(InputError, match=r"'OR'"):
        read_weights(tmp_path / "w.csv", ids=["CA", "NV", "OR", "XX"])
    kept = read_weights(path, ids=["CA", "NV", "OR", "XX"], islands="keep")
    assert kept.islands == ("OR", "XX")


def test_csv_ids_absent_from_file_are_islands(tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("focal,neighbor\nCA,NV\nNV,CA\n")
    with pytest.raises(InputError, match=r"'OR'"):
        read_weights(path, ids=["CA", "NV", "OR"])
    kept = read_weights(path, ids=["OR", "NV", "CA"], islands="keep")
    assert kept.ids == ("OR", "NV", "CA") and kept.islands == ("OR",)
    dropped = read_weights(path, ids=["OR", "NV", "CA"], islands="drop")
    assert dropped.ids == ("NV", "CA") and dropped.dropped == ("OR",)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("focal,nbr\nA,B\n", "neighbor"),
        ("focal,neighbor\nA,A\nA,B\nB,A\n", "self-link"),
        ("focal,neighbor\nA,B\nA,B\nB,A\n", "repeated"),
        ("focal,neighbor,weight\nA,B,-1\nB,A,1\n", "positive"),
        ("focal,neighbor,weight\nA,B,x\nB,A,1\n", "line"),
    ],
)
def test_csv_errors_name_the_fault(tmp_path, text, match):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_weights(path)
    assert "bad.csv" in str(err.value)


def test_read_weights_file_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_weights(tmp_path / "none.gal")
    (tmp_path / "w.txt").write_text("x")
    with pytest.raises(InputError, match=r"\.gal, \.gwt, \.csv"):
        read_weights(tmp_path / "w.txt")
    (tmp_path / "w.gal").write_text("3\n1 2\n2 3\n2 1\n1\n")
    with pytest.raises(InputError, match="w.gal"):
        read_weights(tmp_path / "w.gal")
    (tmp_path / "short.gwt").write_text("0 3 shp ID\n1 2 1\n2 1 1\n")
    with pytest.raises(InputError, match="ids="):
        read_weights(tmp_path / "short.gwt")
    w = read_weights(tmp_path / "short.gwt", ids=["1", "2", "3"], islands="keep")
    assert w.islands == ("3",)


# ---------------------------------------------------------------- lattice and scale


@pytest.mark.parametrize("kind", ["queen", "rook"])
@pytest.mark.parametrize(("nrows", "ncols"), [(1, 2), (2, 1), (1, 7), (3, 3), (4, 9), (30, 40)])
def test_lattice_matches_contiguity_of_squares(kind, nrows, ncols):
    lat = lattice(nrows, ncols, kind=kind, transform="B")
    geo = contiguity(squares(nrows, ncols), kind=kind, transform="B")
    assert lat.ids == geo.ids
    assert (lat.sparse != geo.sparse).nnz == 0
    np.testing.assert_allclose(lattice(nrows, ncols, kind=kind).sparse.sum(axis=1), 1.0)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 8), st.integers(1, 8), st.sampled_from(["queen", "rook"]))
def test_lattice_property(nrows, ncols, kind):
    if nrows * ncols < 2:
        with pytest.raises(InputError):
            lattice(nrows, ncols)
        return
    w = lattice(nrows, ncols, kind=kind, transform="B")
    a = w.sparse.toarray()
    assert (a == a.T).all() and a.diagonal().sum() == 0 and w.n_components == 1
    interior = max(0, nrows - 2) * max(0, ncols - 2)
    assert int((w.cardinalities == (8 if kind == "queen" else 4)).sum()) == interior


@pytest.mark.slow
def test_hundred_thousand_squares_build():
    gdf = squares(250, 400)
    w = contiguity(gdf)
    assert (w.sparse != lattice(250, 400).sparse).nnz == 0
    k = knn(gdf, k=8)
    assert (k.cardinalities == 8).all()


# ---------------------------------------------------------------- libpysal exchange and options


def test_libpysal_round_trip(columbus):
    theirs = libpysal.weights.Queen.from_dataframe(columbus, use_index=True)
    theirs.transform = "R"  # from_libpysal takes the original (binary) weights
    ours = from_libpysal(theirs, transform="B")
    assert set(ours.sparse.data.tolist()) == {1.0}
    assert edges(ours) == edges(contiguity(columbus))
    back = ours.to_libpysal()
    assert back.id_order == list(columbus.index) and edges(back) == edges(ours)
    graph = libpysal.graph.Graph.build_contiguity(columbus, rook=True)
    assert edges(from_libpysal(graph)) == edges(contiguity(columbus, kind="rook"))
    with pytest.raises(InputError, match="island"):
        from_libpysal(libpysal.weights.W({0: [1], 1: [0], 2: []}, silence_warnings=True))


def test_options_and_input_errors(columbus, us48):
    with pytest.raises(InputError, match="'queen', 'rook'"):
        contiguity(columbus, kind="bishop")
    with pytest.raises(InputError, match="'R', 'B'"):
        knn(columbus, k=2, transform="V")
    with pytest.raises(InputError, match="'error', 'drop', 'nearest', 'keep'"):
        distance_band(columbus, threshold=1, islands="ignore")
    with pytest.raises(InputError, match="k=0"):
        knn(columbus, k=0)
    with pytest.raises(InputError, match="k=49"):
        knn(columbus, k=49)
    with pytest.raises(InputError, match="threshold"):
        distance_band(columbus, threshold=-1)
    pts = us48.copy()
    pts.loc["TX", "geometry"] = shapely.Point(-99, 31)
    with pytest.raises(InputError, match="'TX'"):
        contiguity(pts)
    dup = pd.concat([us48, us48.loc[["CA"]]])
    with pytest.raises(InputError, match="'CA'"):
        contiguity(dup)
    empty = us48.copy()
    empty.loc["OR", "geometry"] = shapely.Polygon()
    with pytest.raises(InputError, match="'OR'"):
        knn(empty, k=2)
