"""Run a study: validate, compute every step (cached by content hash), write outputs atomically."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ConfigError, InputError
from ..indices.composite import CompositeIndex
from ..indices.coupling import CouplingResult
from ..indices.dispersion import DispersionResult
from ..indices.resilience import ResilienceWindowsResult
from ..io.vectors import JoinReport
from ..panel import Panel
from . import steps
from .cache import StepCache, content_key
from .config import (
    ResilienceSection,
    StudyConfig,
    check_against_data,
    data_problems,
    load_config,
    parse_config,
    partial_config,
    read_config,
)


@dataclass(frozen=True)
class StudyResults:
    """Everything a study computed, ready for the writers and the report."""

    config: StudyConfig
    panel: Panel | None
    join_report: JoinReport | None
    composites: dict[str, CompositeIndex]
    coupling: CouplingResult | None
    resilience: list[tuple[ResilienceSection, ResilienceWindowsResult]]
    agglomeration: tuple | None
    dispersion: dict[str, DispersionResult]
    groupings: list[str]
    warnings: list[str]
    provenance: dict = field(default_factory=dict)
    sensitivity: list[pd.DataFrame | None] = field(default_factory=list)
    environment: object | None = None
    spatial: object | None = None
    models: list = field(default_factory=list)
    urban: object | None = None
    mixed: object | None = None
    mediations: list = field(default_factory=list)
    ecology: object | None = None
    coagglomeration: object | None = None  # pipeline.coagg_step.CoaggStepResults
    conflicts: object | None = None  # pipeline.conflict_step.ConflictStepResults

    def region_year_table(self) -> pd.DataFrame:
        """One row per region-year: attributes, inputs, composite scores, C/T/D, agglomeration."""
        if self.panel is None:
            return pd.DataFrame()
        out = self.panel.to_frame()
        keys = ["region", "year"]
        if self.coupling is not None:
            extra = self.coupling.to_frame().reset_index()
            extra = extra.drop(columns=[c for c in extra.columns if c in out.columns and c not in keys])
            out = out.merge(extra, on=keys, how="left")
        else:
            for name, comp in self.composites.items():
                if name not in out.columns:
                    out = out.merge(comp.score.rename(name).reset_index(), on=keys, how="left")
        if self.agglomeration is not None:
            out = out.merge(self.agglomeration[0].reset_index(), on=keys, how="left")
        return out


@dataclass(frozen=True)
class RunOutcome:
    """Where a run wrote its outputs, and what it reused from the cache."""

    results: StudyResults
    output: Path
    files: list[Path]
    cache_hits: list[str]
    cache_misses: list[str]
    seconds: float

    def summary(self) -> str:
        """Lines for the terminal."""
        return (
            f"wrote {len(self.files)} files to {self.output} in {self.seconds:.1f} s "
            f"(steps reused from cache: {', '.join(self.cache_hits) or 'none'})"
        )


def validate_study(path: str | Path) -> StudyConfig:
    """Check a study file and its data; raise one ConfigError listing every problem.

    Structural problems (unknown keys, wrong values) and problems with the
    data (unknown variables, groupings, years; unreadable input files) are
    reported together: the sections that are valid on their own are checked
    against the data even when others are not.
    """
    raw, base = read_config(path)
    problems: list[str] = []
    config: StudyConfig | None = None
    try:
        config = parse_config(raw, source=str(path))
    except ConfigError as exc:
        problems += exc.problems
    parts = config if config is not None else partial_config(raw)
    if parts.data is not None:
        panel, file_problems = _load_for_validation(parts.data, base)
        problems += file_problems
        if panel is not None:
            names = data_problems(parts, panel)
            if parts.data.geometry is not None and panel.geometry is None:  # its fault is listed already
                names = [p for p in names if not p.startswith("spatial: the panel has no geometry")]
            problems += names
    problems += _section_file_problems(parts, base)
    eco = getattr(parts, "ecology", None)
    from .ecology_step import ecology_file_problems, ecology_problems

    if eco is not None:
        problems += ecology_problems(eco, base)
    elif isinstance(raw, dict) and isinstance(raw.get("ecology"), dict):
        problems += ecology_file_problems(raw["ecology"], base)  # the section is invalid: still check its files
    coagg = getattr(parts, "coagglomeration", None)
    if coagg is not None:
        from .coagg_step import coagg_problems

        problems += coagg_problems(coagg, base)
    from .conflict_step import conflict_validation_problems

    problems += [p for p in conflict_validation_problems(raw, parts, base, parsed=config is not None)
                 if not any(p in q for q in problems)]  # a cross-section problem may be listed already
    if problems:
        raise ConfigError(problems, source=str(path))
    assert config is not None
    return config


def _load_for_validation(data, base: Path) -> tuple[Panel | None, list[str]]:
    """The panel to check names against, and the problems of each data file on its own.

    A faulty geometry file does not hide a faulty panel file (or the reverse), and the
    names the config uses are still checked against the panel when only the geometry fails.
    """
    try:
        return steps.load_data(data, base)[0], []
    except InputError as exc:
        first = str(exc)
    if data.geometry is None:
        return None, [f"{_data_key(data, base, first)}: {first}"]
    try:
        panel = steps.load_data(data.model_copy(update={"geometry": None}), base)[0]
    except InputError as exc:  # the panel (or region attribute) file is at fault; check the geometry file too
        problems = [f"{_data_key(data, base, str(exc))}: {exc}"]
        from ..io.vectors import read_regions

        g = data.geometry
        try:
            read_regions(steps.resolve(base, g.path), id_col=g.id_col, layer=g.layer,
                         crs_if_missing=g.crs_if_missing)
        except InputError as gexc:
            problems.append(f"data.geometry: {gexc}")
        return None, problems
    return panel, [f"data.geometry: {first}"]


def _data_key(data, base: Path, message: str) -> str:
    """The [data] key whose file a load error is about."""
    if data.regions_path and str(steps.resolve(base, data.regions_path)) in message:
        return "data.regions_path"
    return "data.path" if data.path else "data"


def _section_file_problems(parts, base: Path) -> list[str]:
    """Missing files named by the [agglomeration] and [spatial] sections."""
    problems = []
    agg = getattr(parts, "agglomeration", None)
    if agg is not None and agg.path and not steps.resolve(base, agg.path).is_file():
        problems.append(f"agglomeration.path: {steps.resolve(base, agg.path)}: file not found")
    spatial = getattr(parts, "spatial", None)
    for i, w in enumerate(spatial.weights if spatial is not None else []):
        if w.kind == "file" and w.path and not steps.resolve(base, w.path).is_file():
            problems.append(f"spatial.weights[{i}] ({w.name}).path: {steps.resolve(base, w.path)}: file not found")
    return problems


def run_study(
    path: str | Path,
    *,
    output: str | Path | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    task_progress: Callable[[int, int, str], None] | None = None,
) -> RunOutcome:
    """Run the study described by a TOML file and write tables, layers, figures and the report.

    Parameters
    ----------
    path : path-like
        Study TOML.
    output : path-like, optional
        Output folder (default: ``[study] output`` relative to the TOML).
    use_cache : bool
        Reuse step results whose inputs did not change.
    progress : callable, optional
        Called with the name of each step as it starts.
    task_progress : callable, optional
        ``task_progress(done, total, task_id)`` after each Monte Carlo task of
        the ``[coagglomeration]`` step (a progress bar).

    Returns
    -------
    RunOutcome
    """
    t0 = time.perf_counter()
    config, base = load_config(path)
    out_dir = Path(output) if output is not None else steps.resolve(base, config.study.output)
    results, cache = compute_study(
        config, base, cache_dir=(out_dir / ".cache") if use_cache else None, progress=progress,
        config_path=Path(path), task_progress=task_progress,
    )
    say = progress or (lambda _s: None)
    say("writing outputs")
    files = write_outputs(results, out_dir)
    return RunOutcome(results, out_dir, files, cache.hits, cache.misses, time.perf_counter() - t0)


def compute_study(
    config: StudyConfig,
    base: Path,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    config_path: Path | None = None,
    task_progress: Callable[[int, int, str], None] | None = None,
) -> tuple[StudyResults, StepCache]:
    """Compute every step of a study (no files written except the cache)."""
    say = progress or (lambda _s: None)
    cache = StepCache(cache_dir)
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        if config.data is None:
            panel, join_report, inputs = None, None, []
        else:
            say("loading data")
            panel, join_report, inputs = steps.load_data(config.data, base)
            check_against_data(config, panel, source=str(config_path or "<config>"))
        urban = None
        from .urban_step import build_urban, has_urban

        if has_urban(config):
            say("urban indicators")
            ukey = content_key("urban", panel.content_hash(), config.normalization.model_dump(),
                               *(getattr(config, k).model_dump() if getattr(config, k) is not None else None
                                 for k in ("indicator_system", "population", "rationalization")),
                               [r.model_dump() for r in config.ratios])
            urban = cache.run("urban", ukey, lambda: build_urban(panel, config))
            panel = panel.with_variables(urban.variables)
        data_key = panel.content_hash() if panel is not None else "no-panel"
        composites: dict[str, CompositeIndex] = {}
        for system in config.systems:
            say(f"composite index: {system.name}")
            key = content_key("composite", data_key, system.model_dump(), config.normalization.model_dump())
            composites[system.name] = cache.run(
                f"composite_{_slug(system.name)}", key,
                lambda s=system: steps.build_composite(panel, s, config.normalization),
            )
        coupling = None
        enriched = panel
        if composites:
            enriched = enriched.with_variables(pd.concat([c.score for c in composites.values()], axis=1))
        if config.coupling is not None:
            say("coupling coordination")
            key = content_key("coupling", data_key, config.coupling.model_dump(),
                              [s.model_dump() for s in config.systems], config.normalization.model_dump())
            coupling = cache.run("coupling", key, lambda: steps.build_coupling(composites, config.coupling))
            enriched = enriched.with_variables(coupling.table[["C", "T", "D"]])
        resilience = []
        sensitivity: list[pd.DataFrame | None] = []
        for i, section in enumerate(config.resilience):
            say(f"resilience: {section.variable}")
            if section.industry_mix:
                agg = config.agglomeration
                ind_path = steps.resolve(base, agg.path)
                key = content_key("resilience_mix", _file_hash(ind_path), section.model_dump(), agg.model_dump())
                res = cache.run(f"resilience_{i}", key, lambda s=section, a=agg: steps.build_resilience_mix(
                    steps.read_industry_table(panel, a, base), s))
                resilience.append((section, res))
                sensitivity.append(None)
                continue
            key = content_key("resilience", data_key, section.model_dump())
            res = cache.run(f"resilience_{i}", key, lambda s=section: steps.build_resilience(panel, s))
            resilience.append((section, res))
            sensitivity.append(steps.build_sensitivity(panel, section, res.windows))
        environment = None
        if config.environment is not None:
            say("environmental damage index")
            key = content_key("environment", data_key, config.environment.model_dump())
            environment = cache.run("environment", key, lambda: steps.build_environment(panel, config.environment))
            enriched = enriched.with_variables(environment.index.to_frame(config.environment.name))
        agglomeration = None
        if config.agglomeration is not None:
            say("agglomeration")
            agg_inputs = []
            if config.agglomeration.path:
                agg_inputs.append(_file_hash(steps.resolve(base, config.agglomeration.path)))
            key = content_key("agglomeration", data_key, config.agglomeration.model_dump(), agg_inputs)
            agglomeration = cache.run("agglomeration", key,
                                      lambda: steps.build_agglomeration(panel, config.agglomeration, base))
            if config.agglomeration.path:
                inputs.append(steps.resolve(base, config.agglomeration.path))
        groupings = list(config.groups) or ([g for g in panel.groupings][:1] if panel is not None else [])
        disp: dict[str, DispersionResult] = {}
        if config.dispersion is not None:
            for var in config.dispersion.variables:
                say(f"dispersion: {var}")
                disp[var] = steps.build_dispersion(enriched, var, groupings[0] if groupings else None, config.dispersion)
        spatial = None
        if config.spatial is not None:
            from .spatial_step import run_spatial

            say("spatial autocorrelation")
            key = content_key("spatial", enriched.content_hash(), config.spatial.model_dump())
            spatial = cache.run("spatial", key, lambda: run_spatial(enriched, config.spatial, base))
        models = []
        if config.models:
            from .models_step import run_models

            say("regression models")
            key = content_key("models", enriched.content_hash(), [m.model_dump() for m in config.models])
            models = cache.run("models", key, lambda: run_models(enriched, list(config.models)))
        mixed = None
        mediations = []
        if config.mixed_models or config.mediation:
            from .urban_step import run_mediation, run_mixed

            mkey = enriched.content_hash()
            if config.mixed_models:
                say("mixed models")
                key = content_key("mixed", mkey, [m.model_dump() for m in config.mixed_models])
                mixed = cache.run("mixed", key, lambda: run_mixed(enriched, list(config.mixed_models)))
            for i, spec in enumerate(config.mediation):
                say(f"mediation: {spec.name}")
                key = content_key("mediation", mkey, spec.model_dump())
                mediations.append((spec, cache.run(f"mediation_{i}", key,
                                                   lambda s=spec: run_mediation(enriched, s))))
        step_keys: dict[str, str] = {}  # content keys of the steps later steps build on
        ecology = None
        if config.ecology is not None:
            from .ecology_step import ecology_inputs, run_ecology

            say("ecological security pattern")
            eco_files = ecology_inputs(config.ecology, base)
            key = content_key("ecology", config.ecology.model_dump(), [_file_hash(p) for p in eco_files])
            ecology = cache.run("ecology", key, lambda: run_ecology(config.ecology, base, progress=say))
            step_keys["ecology"] = key
            inputs = [*inputs, *eco_files]
        coagglomeration = None
        if config.coagglomeration is not None:
            from .coagg_step import check_coagg, coagg_inputs, run_coagg

            say("industrial co-agglomeration")
            sec = config.coagglomeration
            check_coagg(sec, base)
            co_files = coagg_inputs(sec, base)
            # where and how the tasks run does not change the numbers: left out of the key
            key = content_key("coagglomeration",
                              sec.model_dump(exclude={"executor", "scheduler", "n_workers", "checkpoint"}),
                              [_file_hash(p) for p in co_files])
            ckpt = cache_dir / "coagg_checkpoints" if (cache_dir is not None and sec.checkpoint) else None
            coagglomeration = cache.run("coagglomeration", key, lambda: run_coagg(
                sec, base, checkpoint_dir=ckpt, progress=say, task_progress=task_progress))
            step_keys["coagglomeration"] = key
            inputs = [*inputs, *co_files]
        conflicts = None
        if config.conflicts is not None:
            from .conflict_step import conflict_inputs, run_conflicts

            say("ecological-economic conflicts")
            cf = config.conflicts
            cf_files = conflict_inputs(cf, base)
            key = content_key("conflicts", step_keys.get("ecology"),
                              step_keys.get("coagglomeration") if cf.activity == "coagglomeration" else None,
                              cf.model_dump(), config.ecology.connectivity.grades,
                              [_file_hash(p) for p in cf_files])
            conflicts = cache.run("conflicts", key, lambda: run_conflicts(
                cf, ecology, coagglomeration, base, source_grades=config.ecology.connectivity.grades,
                progress=say))
            inputs = [*inputs, *cf_files]
        caught = [f"{w.category.__name__}: {w.message}" for w in record]
    provenance = _provenance(config_path, inputs, panel, data_key)
    results = StudyResults(
        config=config, panel=enriched, join_report=join_report, composites=composites,
        coupling=coupling, resilience=resilience, agglomeration=agglomeration, dispersion=disp,
        groupings=groupings, warnings=caught, provenance=provenance,
        sensitivity=sensitivity, environment=environment, spatial=spatial, models=models,
        urban=urban, mixed=mixed, mediations=mediations, ecology=ecology,
        coagglomeration=coagglomeration, conflicts=conflicts,
    )
    return results, cache


def write_outputs(results: StudyResults, out_dir: Path) -> list[Path]:
    """Write every output into a staging folder, then move the files into ``out_dir``.

    Nothing in ``out_dir`` changes until every file has been produced, so a
    failed run leaves earlier outputs intact; each file is then replaced
    atomically (``os.replace``) with the report last.
    """
    from ..report.writers import write_all

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".regionkit-staging-", dir=out_dir.parent))
    try:
        rel_files = write_all(results, staging)
        out_dir.mkdir(parents=True, exist_ok=True)
        ordered = sorted(rel_files, key=lambda p: p.name == "report.html")
        final = []
        for rel in ordered:
            target = out_dir / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / rel, target)
            final.append(target)
        _remove_stale(out_dir, rel_files)
        return [*final, out_dir / MANIFEST]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


MANIFEST = ".regionkit-manifest.json"


def _remove_stale(out_dir: Path, rel_files: list[Path]) -> None:
    """Delete outputs that an earlier run wrote (listed in its manifest) but this run did not."""
    import json

    manifest = out_dir / MANIFEST
    new = sorted(str(p.as_posix()) for p in rel_files)
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = []
        for rel in set(old) - set(new):
            target = (out_dir / rel).resolve()
            if out_dir.resolve() in target.parents and target.is_file():
                target.unlink()
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(new, fh, indent=0)
    os.replace(tmp, manifest)


def _provenance(config_path: Path | None, inputs: list[Path], panel: Panel | None, data_key: str) -> dict:
    """Versions, input file hashes, config hash and run date recorded in the report.

    The run date is the current local time, or, when the environment variable
    ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention)
    is set, that instant in UTC: then a rerun writes a byte-identical report.
    """
    import importlib.metadata as md

    from .. import __version__

    versions = {"regionkit": __version__, "python": platform.python_version()}
    for pkg in ("numpy", "pandas", "scipy", "geopandas", "rasterio", "matplotlib", "libpysal", "linearmodels",
                "pydantic", "earthpy"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    files = {}
    config_hash = None
    if config_path is not None and Path(config_path).exists():
        config_hash = files[str(config_path)] = _file_hash(Path(config_path))
    for p in [*inputs, *_embedded_files(panel)]:
        if p.exists():
            files[str(p)] = _file_hash(p)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        created = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(epoch)))
    else:
        created = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return {
        "versions": versions,
        "input_files": files,
        "config_file": str(config_path) if config_path is not None else None,
        "config_sha256": config_hash,
        "panel_source": panel.source if panel is not None else "(no panel)",
        "panel_hash": data_key,
        "created": created,
        "date_fixed": epoch.isdigit(),
    }


def _embedded_files(panel: Panel | None) -> list[Path]:
    """The package files an embedded dataset was read from (hashed like user files)."""
    if panel is None or not panel.source.startswith(("linearmodels.datasets.munnell", "libpysal.examples usjoin")):
        return []
    from importlib import resources

    import libpysal

    out = []
    if panel.source.startswith("linearmodels"):
        from linearmodels.datasets import munnell

        out.append(Path(munnell.__file__).parent / "munnell.csv.bz2")
    else:
        out.append(Path(libpysal.examples.get_path("usjoin.csv")))
    out.append(Path(str(resources.files("regionkit.data").joinpath("us_states.csv"))))
    if panel.geometry is not None:
        shp = Path(libpysal.examples.get_path("us48.shp"))
        out += [shp.with_suffix(ext) for ext in (".shp", ".shx", ".dbf")]
    return out


def _file_hash(path: Path) -> str:
    if not path.exists():
        raise ConfigError([f"{path}: file not found"])
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _slug(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in name)[:40]
