"""The [spatial] step of the demo study: tables equal direct library calls; layers; validation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from regionkit.errors import ConfigError
from regionkit.io.datasets import load_munnell
from regionkit.pipeline.config import parse_config
from regionkit.pipeline.run import compute_study
from regionkit.spatial import autocorrelation as A
from regionkit.spatial.weights import knn


def test_moran_table_equals_library(demo_dir):
    table = pd.read_csv(demo_dir / "tables" / "spatial_moran_D.csv").set_index("year")
    ry = pd.read_csv(demo_dir / "tables" / "region_year.csv")
    geo = load_munnell().geometry
    w = knn(geo, k=4)
    for year in (1970, 1986):
        y = ry[ry["year"] == year].set_index("region")["D"]
        r = A.moran(y, w, permutations=0)
        assert table.loc[year, "knn4: I"] == pytest.approx(r.value, rel=1e-12)
        assert table.loc[year, "knn4: z"] == pytest.approx(r.z_rand, rel=1e-12)
        assert table.loc[year, "knn4: p (analytic)"] == pytest.approx(r.p_rand, rel=1e-10)
        assert 0 < table.loc[year, "knn4: p (permutation)"] <= 1


def test_lisa_outputs_and_layers(demo_dir):
    lisa = pd.read_csv(demo_dir / "tables" / "spatial_lisa_D_1986.csv")
    assert len(lisa) == 48
    assert set(lisa["cluster"]) <= set(A.LISA_LABELS)
    sig = lisa[lisa["significant"]]
    assert (sig["cluster"] == sig["quadrant"]).all()
    layer = gpd.read_file(demo_dir / "layers" / "results.gpkg", layer="lisa_D_1986")
    assert len(layer) == 48 and {"cluster", "gi_z", "gi_cluster"} <= set(layer.columns)
    html = (demo_dir / "report.html").read_text(encoding="utf-8")
    assert "Spatial autocorrelation" in html and "LISA cluster maps" in html


def test_spatial_needs_geometry_and_known_variables(tmp_path):
    rows = [{"region": r, "year": y, "x": float(i + y)} for i, r in enumerate("ABCD") for y in (2000, 2001)]
    pd.DataFrame(rows).to_csv(tmp_path / "p.csv", index=False)
    cfg = parse_config({"data": {"path": "p.csv"}, "spatial": {"variables": ["x", "nope"]}})
    with pytest.raises(ConfigError) as info:
        compute_study(cfg, tmp_path)
    text = str(info.value)
    assert "no geometry" in text and "'nope'" in text


def test_weights_spec_errors_listed():
    with pytest.raises(ConfigError) as info:
        parse_config({"data": {"dataset": "munnell"},
                      "spatial": {"weights": [{"name": "a", "kind": "knn"},
                                              {"name": "b", "kind": "file", "path": "w.gal", "islands": "nearest"}]}})
    text = str(info.value)
    assert "needs k" in text and "needs geometry" in text


def test_seed_makes_runs_identical(tmp_path):
    cfg = parse_config({"data": {"dataset": "usjoin"},
                        "spatial": {"variables": ["pcinc"], "years": [1929], "permutations": 99, "seed": 7}})
    a, _ = compute_study(cfg, tmp_path)
    b, _ = compute_study(cfg, tmp_path)
    pd.testing.assert_frame_equal(a.spatial.global_table, b.spatial.global_table)
    pd.testing.assert_frame_equal(a.spatial.lisa[("pcinc", 1929)].table, b.spatial.lisa[("pcinc", 1929)].table)
    assert np.isfinite(a.spatial.global_table["p_sim"]).all()
