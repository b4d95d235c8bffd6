"""Tests of kernel densities: direct summation, the ArcGIS quartic formula, integrals, rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine

from regionkit.coagglomeration.density import (
    DensityGrid,
    bandwidth_rule,
    industry_densities,
    kernel_density,
)
from regionkit.errors import InputError
from regionkit.grid import Grid


def direct(points, grid, kernel, bw):
    """Per-cell summation over all points (firms / km², coordinates in metres)."""
    xc, yc = grid.centres()
    X, Y = np.meshgrid(xc, yc)
    out = np.zeros(X.shape)
    for px, py in points:
        d2 = (X - px) ** 2 + (Y - py) ** 2
        if kernel == "quartic":
            out += np.where(d2 < bw * bw, 3 / (math.pi * bw * bw) * (1 - d2 / bw**2) ** 2, 0.0)
        else:
            out += np.exp(-d2 / (2 * bw * bw)) / (2 * math.pi * bw * bw)
    return out * 1e6


@pytest.fixture
def pts():
    rng = np.random.default_rng(3)
    return np.vstack([rng.normal(5000, 800, (60, 2)), rng.uniform(0, 10_000, (40, 2))])


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_exact_equals_direct_summation(pts, kernel):
    g = DensityGrid.from_bounds((-3000, -3000, 13_000, 13_000), cell_size=250)
    res = kernel_density(pts, grid=g, kernel=kernel, bandwidth=1200.0, truncate=40.0)
    np.testing.assert_allclose(res.density, direct(pts, g, kernel, 1200.0), rtol=1e-10, atol=1e-12)


def test_quartic_arcgis_formula_by_hand():
    """ArcGIS: Density = 1/r² Σ 3/π (1 − (d_i/r)²)² for d_i < r (per m² -> per km²)."""
    g = DensityGrid(Affine(100, 0, 0, 0, -100, 300), (3, 3))  # centre cell (50..)(150, 150)
    pts = np.array([[150.0, 150.0], [150.0, 350.0], [450.0, 150.0], [900.0, 900.0]])
    r = 250.0
    res = kernel_density(pts, grid=g, kernel="quartic", bandwidth=r)
    # centre cell (150, 150): d = 0, 200, 300 (beyond r), far
    expected = (3 / math.pi * 1 + 3 / math.pi * (1 - (200 / r) ** 2) ** 2) / r**2 * 1e6
    assert res.density[1, 1] == pytest.approx(expected, rel=1e-12)
    assert res.density[1, 1] == pytest.approx(17.259, rel=1e-4)  # by hand: (0.95493 + 0.12376) / 0.0625 km²
    # top-right cell centre (250, 250): d = 141.42, 141.42, 223.61
    u, v = 1 - (100**2 + 100**2) / r**2, 1 - (200**2 + 100**2) / r**2
    assert res.density[0, 2] == pytest.approx(3 / math.pi * (2 * u * u + v * v) / r**2 * 1e6, rel=1e-12)


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
@pytest.mark.parametrize("method", ["exact", "binned"])
def test_integral_equals_number_of_points(pts, kernel, method):
    bw = 600.0
    g = DensityGrid.around(pts, cell_size=50, margin=6 * bw)
    res = kernel_density(pts, grid=g, kernel=kernel, bandwidth=bw, method=method)
    assert res.total() == pytest.approx(len(pts), rel=5e-3)
    assert res.n_points == 100 and "integral" in res.summary()


def test_binned_close_to_exact(pts):
    g = DensityGrid.around(pts, cell_size=100, margin=3000)
    a = kernel_density(pts, grid=g, kernel="gaussian", bandwidth=800.0)
    b = kernel_density(pts, grid=g, kernel="gaussian", bandwidth=800.0, method="binned")
    assert np.abs(a.density - b.density).max() < 0.02 * a.density.max()


def test_km_units_and_grid_input(pts):
    g = DensityGrid.around(pts, cell_size=200, margin=2000)
    m = kernel_density(pts, grid=g, kernel="quartic", bandwidth=1000.0)
    gk = DensityGrid(Affine(0.2, 0, g.transform.c / 1000, 0, -0.2, g.transform.f / 1000), g.shape)
    km = kernel_density(pts / 1000, grid=gk, kernel="quartic", bandwidth=1.0, unit="km")
    np.testing.assert_allclose(m.density, km.density, rtol=1e-9, atol=1e-12)
    rg = Grid(np.zeros(g.shape), g.transform, "EPSG:32651", None)
    r2 = kernel_density(pts, grid=rg, kernel="quartic", bandwidth=1000.0)
    np.testing.assert_array_equal(r2.density, m.density)
    assert r2.to_grid().crs == "EPSG:32651" and r2.to_grid().shape == g.shape
    assert (r2.to_frame()["density"] > 0).all()


def test_bandwidth_rules():
    rng = np.random.default_rng(0)
    xy = rng.normal(0, 1000, (2000, 2))
    n = 2000
    assert bandwidth_rule(xy, "scott") == pytest.approx(1000 * n ** (-1 / 6), rel=0.05)
    # ArcGIS: 0.9 min(SD, sqrt(1/ln2) Dm) n^-0.2; for a 2-D normal SD = sqrt(2) s, Dm = s sqrt(2 ln 2)
    sd, dm = math.sqrt(2) * 1000, 1000 * math.sqrt(2 * math.log(2))
    assert bandwidth_rule(xy, "silverman") == pytest.approx(0.9 * min(sd, dm / math.sqrt(math.log(2))) * n**-0.2,
                                                            rel=0.05)
    # robust to an outlier: the median-distance term takes over
    out = np.vstack([xy, [[1e5, 1e5]]])  # SD grows 2.3x, the median distance does not
    assert bandwidth_rule(out, "silverman") < 1.1 * bandwidth_rule(xy, "silverman")
    res = kernel_density(xy, grid=DensityGrid.around(xy, cell_size=200, margin=2000), bandwidth="scott",
                         kernel="gaussian")
    assert res.bandwidth_rule == "scott"
    with pytest.raises(InputError):
        bandwidth_rule(xy, "lscv")


def test_industry_layers_and_superimposed(pts):
    labels = np.repeat([101, 102, 103, 104], 25)
    g = DensityGrid.around(pts, cell_size=200, margin=2000)
    d = industry_densities(pts, labels, grid=g, industries=[101, 103], bandwidth=1000.0)
    a = kernel_density(pts[labels == 101], grid=g, bandwidth=1000.0).density
    np.testing.assert_allclose(d.layer(101), a)
    both = kernel_density(pts[(labels == 101) | (labels == 103)], grid=g, bandwidth=1000.0).density
    np.testing.assert_allclose(d.combined, both, rtol=1e-10, atol=1e-12)
    assert d.counts == (25, 25) and len(d.to_frame()) == 2
    with pytest.raises(InputError, match="no firm"):
        industry_densities(pts, labels, grid=g, industries=[999], bandwidth=1000.0)


def test_bad_inputs(pts):
    g = DensityGrid.from_bounds((0, 0, 1000, 1000), cell_size=100)
    with pytest.raises(InputError, match="kernel"):
        kernel_density(pts, grid=g, kernel="epanechnikov", bandwidth=10.0)
    with pytest.raises(InputError, match="bandwidth"):
        kernel_density(pts, grid=g, bandwidth=-1.0)
    with pytest.raises(InputError, match="outside the grid"):
        kernel_density(pts, grid=g, bandwidth=100.0, method="binned")
    with pytest.raises(InputError, match="north-up"):
        DensityGrid(Affine(100, 0, 0, 0, 100, 0), (2, 2))
