"""An interrupted study restarts from its cache and ends with the outputs of an uninterrupted run.

The study is the coupling template (PNG figures only, 99 permutations, to keep it quick).
Outputs are compared file by file:

* byte for byte, ``report.html`` included: its run date comes from the provenance, which takes
  ``SOURCE_DATE_EPOCH`` (set here) instead of the clock when that variable is set;
* ``.xlsx`` member by member except ``docProps/core.xml`` (openpyxl stamps the save time there);
* ``.gpkg`` by its SQL dump with the ``last_change`` timestamps GDAL writes masked.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from regionkit.pipeline import models_step, spatial_step, steps
from regionkit.pipeline.run import MANIFEST, run_study

EPOCH = "1700000000"  # 2023-11-14 22:13:20 UTC
CACHED_BEFORE_MODELS = ["composite_economy", "composite_infrastructure", "coupling", "spatial"]


def _study(folder: Path) -> Path:
    text = resources.files("regionkit.data").joinpath("template_coupling.toml").read_text(encoding="utf-8")
    for old, new in (('figure_formats = ["png", "svg"]', 'figure_formats = ["png"]'), ("dpi = 110", "dpi = 60"),
                     ("permutations = 999", "permutations = 99")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _outputs(folder: Path) -> dict[str, Path]:
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).as_posix().startswith(".cache/")}


def _content(path: Path):
    """What must be identical: the bytes, less the timestamps xlsx and gpkg files legitimately hold."""
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return [(n, z.read(n)) for n in z.namelist() if n != "docProps/core.xml"]
    if path.suffix == ".gpkg":
        con = sqlite3.connect(path)
        try:
            return [re.sub(r"'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z'", "'<time>'", line)
                    for line in con.iterdump()]
        finally:
            con.close()
    return path.read_bytes()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _cached(out: Path) -> set[str]:
    return {p.name.rsplit("-", 1)[0] for p in (out / ".cache").glob("*.pkl")}


class Counter:
    """Wraps a step function and counts its calls."""

    def __init__(self, fn) -> None:
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


@pytest.fixture(scope="module")
def restart(tmp_path_factory):
    """Interrupt a run in its models step, restart it, and run a reference without cache."""
    root = tmp_path_factory.mktemp("restart")
    toml = _study(root / "study")
    out = toml.parent / "regionkit-coupling"
    record: dict = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)

        def interrupt(*args, **kwargs):
            raise KeyboardInterrupt

        with pytest.MonkeyPatch.context() as broken:
            broken.setattr(models_step, "run_models", interrupt)
            with pytest.raises(KeyboardInterrupt):
                run_study(toml)
        record["cached_after_interrupt"] = _cached(out)
        record["files_after_interrupt"] = sorted(_outputs(out)) if out.exists() else []
        record["staging_after_interrupt"] = list(toml.parent.glob(".regionkit-staging-*"))

        counters = {"build_composite": Counter(steps.build_composite), "build_coupling": Counter(steps.build_coupling),
                    "run_spatial": Counter(spatial_step.run_spatial), "run_models": Counter(models_step.run_models)}
        with pytest.MonkeyPatch.context() as counted:
            counted.setattr(steps, "build_composite", counters["build_composite"])
            counted.setattr(steps, "build_coupling", counters["build_coupling"])
            counted.setattr(spatial_step, "run_spatial", counters["run_spatial"])
            counted.setattr(models_step, "run_models", counters["run_models"])
            record["outcome"] = run_study(toml)
        record["calls"] = {k: c.calls for k, c in counters.items()}
        record["reference"] = run_study(toml, output=root / "reference", use_cache=False)
    return toml, out, record


def test_interrupted_run_leaves_finished_steps_cached_and_no_outputs(restart):
    _, _, record = restart
    assert record["cached_after_interrupt"] == set(CACHED_BEFORE_MODELS)
    assert record["files_after_interrupt"] == []  # nothing is written before every step has finished
    assert record["staging_after_interrupt"] == []


def test_restart_does_not_recompute_finished_steps(restart):
    _, _, record = restart
    outcome = record["outcome"]
    assert outcome.cache_hits == CACHED_BEFORE_MODELS
    assert outcome.cache_misses == ["models"]
    assert record["calls"] == {"build_composite": 0, "build_coupling": 0, "run_spatial": 0, "run_models": 1}


def test_restarted_outputs_equal_an_uninterrupted_run(restart):
    _, out, record = restart
    ref = record["reference"].output
    assert record["reference"].cache_misses == [*CACHED_BEFORE_MODELS, "models"]
    got, want = _outputs(out), _outputs(ref)
    assert set(got) == set(want)
    assert {"report.html", MANIFEST, "tables/results.xlsx", "layers/results.gpkg", "tables/region_year.csv",
            "figures/coupling_map.png", "tables/models_0_factors_coastal.tex"} <= set(got)
    differ = [k for k in sorted(got) if _content(got[k]) != _content(want[k])]
    assert differ == []
    html = got["report.html"].read_text(encoding="utf-8")
    assert "2023-11-14 22:13:20 UTC" in html and "SOURCE_DATE_EPOCH" in html


def test_failed_rerun_leaves_earlier_outputs_intact(restart, tmp_path, monkeypatch):
    toml, out, _ = restart
    study = tmp_path / "study"
    shutil.copytree(toml.parent, study)
    copy = study / out.name
    text = (study / "study.toml").read_text(encoding="utf-8")
    (study / "study.toml").write_text(text.replace("points = 12", "points = 16"), encoding="utf-8")
    before = _snapshot(copy)

    def fail(*args, **kwargs):
        raise RuntimeError("model failed")

    monkeypatch.setattr(models_step, "run_models", fail)
    with pytest.raises(RuntimeError, match="model failed"):
        run_study(study / "study.toml")
    assert _snapshot(copy) == before  # outputs and cache untouched

    # interrupted while writing (Ctrl-C), after the first table was staged
    import regionkit.report.figures as figures

    monkeypatch.undo()
    monkeypatch.setattr(figures, "weights_figure", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        run_study(study / "study.toml")
    after = _snapshot(copy)
    assert {k: v for k, v in after.items() if not k.startswith(".cache/")} == {
        k: v for k, v in before.items() if not k.startswith(".cache/")}
    # the recomputed models step (16 points) was cached although the writing was interrupted
    assert [k for k in after if k.startswith(".cache/models-")] != [k for k in before if k.startswith(".cache/models-")]
    assert not list(study.glob(".regionkit-staging-*"))
