"""Bad study files: every problem is reported at once, each naming its key (and the file at fault).

Checked through ``regionkit validate`` (exit code 2, the problems on stderr, the study file
named in the header) and through :func:`regionkit.pipeline.run.validate_study`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from regionkit.cli import app
from regionkit.errors import ConfigError
from regionkit.pipeline.run import validate_study

runner = CliRunner()
REGIONS = ["R1", "R2", "R3", "R4"]

PANEL_STUDY = """
groups = ["grp"]

[study]
titel = "typo"                      # unknown key

[data]
path = "{panel}"
group_cols = ["grp"]
geometry = {{ path = "{geometry}", id_col = "code" }}

[[systems]]
name = "econ"
indicators = {{ x1 = "positive", x9 = "negative" }}     # x9: misspelled variable
weigthing = "entropy"               # unknown key

[[systems]]
name = "env"
indicators = {{ y1 = "positive" }}

[coupling]
bands = [[0.3, "low"], [0.6, "middle"], [0.9, "high"]]  # (0.9, 1] has no class

[[resilience]]
variable = "x_1"                    # misspelled variable
windows = [[2000, 2003]]

[agglomeration]
path = "industries.csv"             # missing file

[dispersion]
variables = ["D", "ecoon"]          # misspelled result name

[spatial]
variables = ["D"]

[[spatial.weights]]
name = "gal"
kind = "file"
path = "neighbours.gal"             # missing file
"""


def _panel(folder: Path) -> Path:
    rng = np.random.default_rng(5)
    rows = [{"region": r, "grp": "a" if i < 2 else "b", "year": y, "x1": rng.uniform(1, 9), "x2": rng.uniform(1, 9),
             "y1": rng.uniform(1, 9)} for i, r in enumerate(REGIONS) for y in range(2000, 2005)]
    path = folder / "panel.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _geometry(folder: Path, name: str, *, crs: str | None) -> Path:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"code": REGIONS}, geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs=crs)
    path = folder / name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "'crs' was not provided"
        gdf.to_file(path)
    return path


def _write(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _validate_cli(path: Path) -> list[str]:
    """Run ``regionkit validate``; check exit code 2 and the header; return the problem lines of stderr."""
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in result.output
    lines = err.splitlines()
    problems = [ln.strip()[2:] for ln in lines if ln.startswith("  - ")]
    assert lines[0].startswith(f"error: {len(problems)} problem(s) in {path}:"), err
    assert len(lines) == len(problems) + 1, err  # one line per problem, nothing else
    return problems


def _one(problems: list[str], *needles: str) -> str:
    hits = [p for p in problems if all(n in p for n in needles)]
    assert len(hits) == 1, (needles, problems)
    return hits[0]


def test_every_problem_of_a_panel_study_at_once(tmp_path):
    panel = _panel(tmp_path)
    geo = _geometry(tmp_path, "regions_nocrs.shp", crs=None)
    path = _write(tmp_path, PANEL_STUDY.format(panel=panel.name, geometry=geo.name))
    problems = _validate_cli(path)
    expected = [
        ("study.titel", "unknown key"),
        ("systems.0.weigthing", "unknown key"),
        ("coupling.bands", "cover [0, 1]", "0.9"),
        ("data.geometry", str(geo), "no CRS", "crs_if_missing"),
        ("systems[0] (econ)", "'x9'", "not a panel variable"),
        ("resilience[0]", "'x_1'", "not a panel variable"),
        ("dispersion.variables", "'ecoon'"),
        ("agglomeration.path", str(tmp_path / "industries.csv"), "file not found"),
        ("spatial.weights[0] (gal).path", str(tmp_path / "neighbours.gal"), "file not found"),
    ]
    for needles in expected:
        _one(problems, *needles)
    assert len(problems) == len(expected), problems
    # the panel loaded without its faulty geometry, so [spatial] is not also told it has none
    assert not [p for p in problems if "has no geometry" in p]

    with pytest.raises(ConfigError) as info:
        validate_study(path)
    assert info.value.source == str(path)
    assert info.value.problems == problems


def test_missing_panel_and_geometry_files_are_both_named(tmp_path):
    text = PANEL_STUDY.format(panel="nowhere.csv", geometry="nowhere.gpkg")
    problems = _validate_cli(_write(tmp_path, text))
    _one(problems, "data.path", str(tmp_path / "nowhere.csv"), "file not found")
    _one(problems, "data.geometry", str(tmp_path / "nowhere.gpkg"), "file not found")
    _one(problems, "study.titel", "unknown key")
    _one(problems, "coupling.bands")
    _one(problems, "agglomeration.path", "file not found")
    _one(problems, "spatial.weights[0] (gal).path", "file not found")
    # without a panel the names cannot be checked; nothing else is claimed
    assert len(problems) == 7, problems


def test_geometry_with_crs_gives_only_the_other_problems(tmp_path):
    panel = _panel(tmp_path)
    geo = _geometry(tmp_path, "regions.gpkg", crs="EPSG:4326")
    problems = _validate_cli(_write(tmp_path, PANEL_STUDY.format(panel=panel.name, geometry=geo.name)))
    assert not [p for p in problems if p.startswith("data")]
    assert len(problems) == 8, problems


@pytest.mark.parametrize(("bands", "needle"), [
    ('[[0.5, "low"], [0.9, "high"]]', "the last upper bound 0.9"),
    ('[[0.0, "none"], [1.0, "all"]]', "the first upper bound 0 must be > 0"),
    ('[[0.6, "low"], [0.4, "mid"], [1.0, "high"]]', "must increase"),
    ('[[0.5, "same"], [1.0, "same"]]', "must be unique"),
    ("[]", "at least one"),
])
def test_coupling_bands_must_cover_the_unit_interval(tmp_path, bands, needle):
    _panel(tmp_path)
    text = ('[data]\npath = "panel.csv"\ngroup_cols = ["grp"]\n\n'
            '[[systems]]\nname = "a"\nindicators = { x1 = "positive" }\n\n'
            f'[[systems]]\nname = "b"\nindicators = {{ y1 = "positive" }}\n\n[coupling]\nbands = {bands}\n'
            '[study]\nttle = "x"\n')
    problems = _validate_cli(_write(tmp_path, text))
    _one(problems, "coupling.bands", needle)
    _one(problems, "study.ttle", "unknown key")
    assert len(problems) == 2


def test_good_user_bands_validate(tmp_path):
    _panel(tmp_path)
    text = ('[data]\npath = "panel.csv"\ngroup_cols = ["grp"]\n\n'
            '[[systems]]\nname = "a"\nindicators = { x1 = "positive" }\n\n'
            '[[systems]]\nname = "b"\nindicators = { y1 = "positive" }\n\n[coupling]\n'
            'bands = [[0.4, "low"], [0.7, "middle"], [1.0, "high"]]\n')
    config = validate_study(_write(tmp_path, text))
    assert config.coupling.bands == [(0.4, "low"), (0.7, "middle"), (1.0, "high")]


ECOLOGY = """
[study]
title = "eco"

[ecology]
inputs = {{ lulc = "lulc.tif" }}            # missing file
vectors = {{ roads = "roads.gpkg" }}        # missing file

[ecology.grid]
crs = "{crs}"
resolution = 100.0

[ecology.services]
models = ["carbon"]
carbon_pools = [{{ lucode = 1, c_above = 10, c_below = 5, c_soil = 20, c_dead = 1 }}]
gradez = 5                                 # unknown key
"""


@pytest.mark.parametrize(("crs", "needle"), [
    ("EPSG:4326", "geographic CRS (degrees)"),
    ("EPSG:99999999", "is not a CRS"),
])
def test_ecology_wrong_grid_crs_with_the_other_problems(tmp_path, crs, needle):
    path = _write(tmp_path, ECOLOGY.format(crs=crs))
    problems = _validate_cli(path)
    _one(problems, "ecology.grid.crs", crs, needle)
    _one(problems, "ecology.services.gradez", "unknown key")
    _one(problems, "ecology.inputs.lulc", str(tmp_path / "lulc.tif"), "file not found")
    _one(problems, "ecology.vectors.roads", str(tmp_path / "roads.gpkg"), "file not found")
    assert len(problems) == 4, problems


def test_projected_grid_crs_is_accepted(tmp_path):
    text = ECOLOGY.format(crs="EPSG:32613").replace("gradez = 5", "grades = 5")
    problems = _validate_cli(_write(tmp_path, text))
    assert len(problems) == 2 and all("file not found" in p for p in problems), problems
