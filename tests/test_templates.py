"""Study templates: ``regionkit init NAME`` and an end-to-end run of the coupling template.

The run (``template_run`` in tests/conftest.py: init through the CLI, run from another working
directory) is checked against numbers computed here independently: entropy weights and the
composite scores by hand in numpy, C/T/D by the textbook formulas, dispersion by pandas, global
Moran's I with PySAL esda on libpysal weights built here, and the random-effects Tobit refitted
directly with :mod:`regionkit.econometrics`.
"""

from __future__ import annotations

import time
import tomllib
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from regionkit.cli import EXAMPLES, TEMPLATES, app

runner = CliRunner()
ALL_NAMES = [*TEMPLATES, "munnell", "usjoin", "ecology"]

ECONOMY = {"GSP": "positive", "EMP": "positive", "PC": "positive", "UNEMP": "negative"}
INFRASTRUCTURE = {"HWY": "positive", "WATER": "positive", "UTIL": "positive"}
FORMULA = "D ~ log(P_CAP) + log(PC / EMP) + UNEMP"
STATE, YEAR = "CA", 1980


def _text(name: str) -> str:
    resource = resources.files("regionkit.data").joinpath(EXAMPLES[name])
    if not resource.is_file():
        pytest.skip(f"template {name!r}: regionkit/data/{EXAMPLES[name]} is not written yet")
    return resource.read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- regionkit init


@pytest.mark.parametrize("name", ALL_NAMES)
def test_init_writes_the_template_and_refuses_to_overwrite(name, tmp_path, monkeypatch):
    text = _text(name)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", name])  # default path: study.toml
    assert result.exit_code == 0, result.output
    assert (tmp_path / "study.toml").read_text(encoding="utf-8") == text
    raw = tomllib.loads(text)
    assert raw["study"]["title"]

    (tmp_path / "study.toml").write_text("# my edits\n", encoding="utf-8")
    again = runner.invoke(app, ["init", name])
    assert again.exit_code == 2
    assert "--force" in again.output and "study.toml" in again.output and "Traceback" not in again.output
    assert (tmp_path / "study.toml").read_text(encoding="utf-8") == "# my edits\n"

    forced = runner.invoke(app, ["init", name, "--path", "study.toml", "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "study.toml").read_text(encoding="utf-8") == text


@pytest.mark.parametrize("name", list(TEMPLATES))
def test_template_uses_no_relative_paths_and_is_commented(name):
    text = _text(name)
    raw = tomllib.loads(text)

    def paths(node, key=""):
        if isinstance(node, dict):
            for k, v in node.items():
                yield from paths(v, k)
        elif isinstance(node, list):
            for v in node:
                yield from paths(v, key)
        elif (isinstance(node, str) and (key == "path" or key.endswith(("_path", "path_")))
              and not node.startswith("dataset:")):
            yield node

    assert list(paths(raw)) == [], "a template must run from any folder: embedded datasets only"
    comments = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    sections = [ln for ln in text.splitlines() if ln.startswith("[")]
    assert len(comments) >= len(sections), "comment every section for the user editing it"


def test_init_into_a_new_folder(tmp_path):
    target = tmp_path / "a" / "b" / "study.toml"
    result = runner.invoke(app, ["init", "coupling", "--path", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == _text("coupling")


def test_init_unknown_name_lists_the_allowed_names(tmp_path):
    result = runner.invoke(app, ["init", "atlantis", "--path", str(tmp_path / "x.toml")])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "'atlantis'" in out and "Traceback" not in out
    for name in [*TEMPLATES, "munnell", "usjoin", "ecology"]:
        assert name in out, (name, out)
    assert not (tmp_path / "x.toml").exists()


def test_init_missing_template_file_is_a_clear_error(tmp_path, monkeypatch):
    import regionkit.cli as cli

    monkeypatch.setitem(cli.EXAMPLES, "ghost", "template_ghost.toml")
    result = runner.invoke(app, ["init", "ghost", "--path", str(tmp_path / "x.toml")])
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "template_ghost.toml" in out and "missing" in out and "Traceback" not in out
    assert not (tmp_path / "x.toml").exists()


def test_demo_accepts_the_template_names(tmp_path, monkeypatch):
    import regionkit.cli as cli

    ran = []
    monkeypatch.setattr(cli, "_run", lambda config, output, cache: ran.append(config.read_text(encoding="utf-8")))
    result = runner.invoke(app, ["demo", "--example", "coupling", "--output", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert ran == [_text("coupling")]
    bad = runner.invoke(app, ["demo", "--example", "atlantis", "--output", str(tmp_path / "p")])
    assert bad.exit_code == 2
    assert all(name in " ".join(bad.output.split()) for name in TEMPLATES)


# ----------------------------------------------------------------------------- the coupling template, end to end


@pytest.fixture(scope="module")
def coupling(template_run):
    """The coupling template's RunOutcome (run once per session)."""
    return template_run("coupling")


@pytest.fixture(scope="module")
def munnell():
    from regionkit.io.datasets import load_munnell

    return load_munnell(geometry=True)


@pytest.fixture(scope="module")
def region_year(coupling) -> pd.DataFrame:
    return pd.read_csv(coupling.output / "tables" / "region_year.csv").set_index(["region", "year"])


def _entropy_by_hand(frame: pd.DataFrame, directions: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    """Global min-max (+0.0001), entropy weights and scores Σ w·z, written out in numpy."""
    X = frame[list(directions)].to_numpy(dtype=float)
    lo, hi = X.min(axis=0), X.max(axis=0)
    positive = np.array([d == "positive" for d in directions.values()])
    Z = np.where(positive, (X - lo) / (hi - lo), (hi - X) / (hi - lo)) + 0.0001
    P = Z / Z.sum(axis=0)
    e = -(P * np.log(P)).sum(axis=0) / np.log(len(X))
    w = (1 - e) / (1 - e).sum()
    return pd.Series(w, index=list(directions)), pd.Series(Z @ w, index=frame.index)


def test_coupling_template_writes_the_expected_outputs(coupling):
    out = coupling.output
    assert out.name == "regionkit-coupling" and (out.parent / "study.toml").is_file()
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"weights", "region_year", "coupling_class_counts", "coupling_group_means",
            "coupling_group_means_coastal", "dispersion_D", "dispersion_economy", "dispersion_infrastructure",
            "spatial_moran_D", "spatial_weights_queen", "spatial_weights_knn4",
            "spatial_lisa_D_1970", "spatial_lisa_D_1978", "spatial_lisa_D_1986",
            "models_0_factors_coastal", "models_1_factors_bea"} <= tables
    figures = {p.stem for p in (out / "figures").glob("*.png")}
    assert {"coupling_map", "coupling_groups", "coupling_groups_coastal", "spatial_lisa_D", "spatial_classes_D",
            "spatial_moran_D"} <= figures
    assert (out / "layers" / "results.gpkg").is_file() and (out / "report.html").is_file()
    assert coupling.results.warnings == []
    res = coupling.results
    assert res.spatial.years == [1970, 1978, 1986]
    assert list(res.spatial.weights) == ["queen", "knn4"]


def test_entropy_weights_and_composite_scores(coupling, munnell, region_year):
    frame = munnell.frame()
    weights = pd.read_csv(coupling.output / "tables" / "weights.csv")
    for system, dirs in (("economy", ECONOMY), ("infrastructure", INFRASTRUCTURE)):
        w, score = _entropy_by_hand(frame, dirs)
        got = weights[weights["system"] == system].set_index("indicator")["weight"]
        np.testing.assert_allclose(got.loc[w.index].to_numpy(), w.to_numpy(), rtol=0, atol=1e-12)
        assert region_year.loc[(STATE, YEAR), system] == pytest.approx(score.loc[(STATE, YEAR)], abs=1e-12)
        np.testing.assert_allclose(region_year[system].to_numpy(), score.loc[region_year.index].to_numpy(),
                                   rtol=0, atol=1e-12)


def test_coupling_coordination_degree(region_year):
    u1, u2 = region_year.loc[(STATE, YEAR), ["economy", "infrastructure"]]
    C = 2 * np.sqrt(u1 * u2) / (u1 + u2)  # standard form, two systems
    T = 0.5 * u1 + 0.5 * u2
    D = np.sqrt(C * T)
    row = region_year.loc[(STATE, YEAR)]
    assert (row["C"], row["T"], row["D"]) == pytest.approx((C, T, D), abs=1e-12)
    labels = ["extreme imbalance", "serious imbalance", "moderate imbalance", "mild imbalance",
              "verge of imbalance", "barely coordinated", "primary coordination", "intermediate coordination",
              "good coordination", "quality coordination"]
    assert row["D_class"] == labels[min(int(D * 10), 9)]


def test_group_means_and_dispersion(coupling, munnell, region_year):
    d = region_year["D"].unstack("year")
    coastal = pd.read_csv(coupling.output / "tables" / "coupling_group_means_coastal.csv").set_index("year")
    expect = d.groupby(munnell.group("coastal")).mean().T
    for g in ("coastal", "inland"):
        np.testing.assert_allclose(coastal[g].to_numpy(), expect[g].to_numpy(), rtol=0, atol=1e-12)
    disp = pd.read_csv(coupling.output / "tables" / "dispersion_D.csv").set_index("year").loc[YEAR]
    y = d[YEAR]
    assert disp["cv"] == pytest.approx(y.std(ddof=1) / y.mean(), abs=1e-12)
    r = y / y.mean()
    assert disp["theil"] == pytest.approx(float((r * np.log(r)).mean()), abs=1e-12)
    groups = munnell.group("bea_region").loc[y.index]
    share, pop = y.groupby(groups).sum() / y.sum(), groups.value_counts() / len(y)
    between = float((share * np.log(share / pop.loc[share.index])).sum())
    assert disp["theil_between"] == pytest.approx(between, abs=1e-12)
    assert disp["theil_between"] + disp["theil_within"] == pytest.approx(disp["theil"], abs=1e-12)


def test_global_moran_with_both_weights_schemes_equals_esda(coupling, munnell, region_year):
    esda = pytest.importorskip("esda")
    libpysal = pytest.importorskip("libpysal")
    geo = munnell.geometry
    ids = list(geo.index)
    y = region_year["D"].unstack("year")[1978].loc[ids].to_numpy()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        queen = libpysal.weights.Queen.from_dataframe(geo, use_index=True)
    # k = 4 nearest centroids by great-circle distance (equal-area centroids, haversine), built here
    cent = geo.to_crs("EPSG:5070").centroid.to_crs("EPSG:4326")
    lon, lat = np.radians(cent.x.to_numpy()), np.radians(cent.y.to_numpy())
    a = (np.sin((lat[:, None] - lat[None, :]) / 2) ** 2
         + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin((lon[:, None] - lon[None, :]) / 2) ** 2)
    dist = 2 * 6371.0 * np.arcsin(np.sqrt(a))
    np.fill_diagonal(dist, np.inf)
    gaps = np.sort(dist, axis=1)
    assert (gaps[:, 4] - gaps[:, 3]).min() > 0.1  # no near-tie at the 4th neighbour: the sets are well defined
    knn = libpysal.weights.W({ids[i]: [ids[j] for j in np.argsort(dist[i])[:4]] for i in range(len(ids))},
                             id_order=ids)
    table = pd.read_csv(coupling.output / "tables" / "spatial_moran_D.csv").set_index("year").loc[1978]
    for name, w in (("queen", queen), ("knn4", knn)):
        w.transform = "r"
        ref = esda.Moran(y, w, permutations=0)
        assert table[f"{name}: I"] == pytest.approx(ref.I, abs=1e-10), name
        assert table[f"{name}: E[I]"] == pytest.approx(ref.EI, abs=1e-12), name
        assert table[f"{name}: z"] == pytest.approx(ref.z_rand, abs=1e-8), name
        assert table[f"{name}: p (analytic)"] == pytest.approx(ref.p_rand, abs=1e-8), name
    assert table["queen: I"] != pytest.approx(table["knn4: I"], abs=1e-3)  # the schemes really differ


def test_random_effects_tobit_refit(coupling, munnell, region_year):
    from regionkit.econometrics.formula import design
    from regionkit.econometrics.panel_tobit import random_effects_tobit

    frame = munnell.frame().join(region_year[["D"]])
    coastal = munnell.group("coastal")
    runs = {r.spec.name: r for r in coupling.results.models}
    assert set(runs) == {"factors_coastal", "factors_bea"}
    run = runs["factors_coastal"]
    assert (run.spec.formula, run.spec.estimator, run.spec.quadrature, run.spec.by) == (
        FORMULA, "re_tobit", "adaptive", "coastal")
    csv = pd.read_csv(coupling.output / "tables" / "models_0_factors_coastal.csv")
    for label, part in (("All", frame), ("inland", frame[frame.index.get_level_values("region").map(coastal)
                                                         == "inland"])):
        d = design(FORMULA, part)
        groups = pd.Series(part.index.get_level_values("region"), index=part.index)
        t0 = time.perf_counter()
        fit = random_effects_tobit(d.y, d.X, groups, left=0.0, right=1.0, quadrature="adaptive", points=12)
        assert time.perf_counter() - t0 < 5.0
        assert fit.converged
        assert fit.quadrature_check is not None  # 8/12/16 points agree (no QuadratureWarning was raised)
        got = run.fits[label].params
        np.testing.assert_allclose(got.to_numpy(), fit.result.params.loc[got.index].to_numpy(), rtol=1e-8,
                                   atol=1e-10)
        shown = csv.loc[csv["index"] == "log(P_CAP)", label].iloc[0]
        assert float(shown.rstrip("*")) == pytest.approx(fit.result.params["log(P_CAP)"], abs=5e-4)
    assert fit.result.params["log(P_CAP)"] > 0  # more public capital, higher coordination


def test_report_sections(coupling):
    html = (coupling.output / "report.html").read_text(encoding="utf-8")
    for head in ("Data", "Methods", "Warnings raised during the run", "Software and provenance",
                 "Influencing factors (regression models)", "Spatial autocorrelation", "Regional disparities"):
        assert f">{head}</h2>" in html, head
    prov = coupling.results.provenance
    for pkg in ("regionkit", "numpy", "pandas", "scipy", "geopandas", "rasterio", "pydantic", "python"):
        assert pkg in prov["versions"]
        assert f"<td>{pkg}</td><td>{prov['versions'][pkg]}</td>" in html
    assert prov["config_sha256"] and prov["config_sha256"] in html
    assert any(p.endswith("us_states.csv") for p in prov["input_files"])  # embedded data are hashed too
    for digest in prov["input_files"].values():
        assert len(digest) == 64 and digest in html
    assert prov["created"] in html
    assert "random-effects Tobit" in html and "adaptive Gauss–Hermite quadrature with 12 points" in html
