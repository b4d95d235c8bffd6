"""Command line: a thin layer over :mod:`regionkit.pipeline`.

Library errors become one message on stderr and an exit code (2 for bad
input or configuration, 1 for other regionkit errors) in one place,
:func:`_guard`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .errors import InputError, RegionkitError

app = typer.Typer(
    help="regionkit: regional resilience, agglomeration and coupling coordination studies.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)
out = Console()

Example = Literal["munnell", "usjoin"]
#: Study templates (``regionkit init NAME``): commented study files on embedded data, one per kind of study.
TEMPLATES = {
    "coupling": "template_coupling.toml",
    "ecological-economic": "template_ecological_economic.toml",
    "population-resilience": "template_population_resilience.toml",
}
#: Every study file shipped in ``regionkit.data``: the demo examples and the templates.
EXAMPLES = {"munnell": "demo_munnell.toml", "usjoin": "demo_usjoin.toml", "ecology": "demo_ecology.toml",
            **TEMPLATES}


def _study_text(name: str, option: str) -> str:
    """The text of a shipped study file; InputError for an unknown name, RegionkitError if not installed."""
    if name not in EXAMPLES:
        raise InputError(f"{option} {name!r} is not allowed; choose one of: {', '.join(EXAMPLES)}")
    resource = resources.files("regionkit.data").joinpath(EXAMPLES[name])
    if not resource.is_file():
        raise RegionkitError(f"{option} {name!r}: its file regionkit/data/{EXAMPLES[name]} is missing from this "
                             "installation; reinstall regionkit (pip install --force-reinstall regionkit)")
    return resource.read_text(encoding="utf-8")


@contextmanager
def _guard():
    try:
        yield
    except InputError as exc:
        # the message holds user text (paths, ids, values): escape it so rich does not read it as markup
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True, soft_wrap=True)
        raise typer.Exit(code=2) from None
    except RegionkitError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None


def _progress() -> tuple[Callable[[str], None], Callable[[], None], Callable[[int, int, str], None]]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    prog = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=False, disable=not sys.stderr.isatty())
    prog.start()
    state: dict = {}

    def step(name: str) -> None:
        if "task" in state:
            prog.update(state["task"], completed=1, total=1)
        state["task"] = prog.add_task(name, total=None)

    def stop() -> None:
        if "task" in state:
            prog.update(state["task"], completed=1, total=1)
        prog.stop()

    def tasks(done: int, total: int, _task_id: str) -> None:
        if "bar" not in state:
            state["bar"] = prog.add_task("Monte Carlo tasks", total=total)
        prog.update(state["bar"], completed=done, total=total)

    return step, stop, tasks


def _run(config: Path, output: Path | None, cache: bool) -> None:
    from .pipeline.run import run_study

    step, stop, tasks = _progress()
    try:
        outcome = run_study(config, output=output, use_cache=cache, progress=step, task_progress=tasks)
    finally:
        stop()
    out.print(outcome.summary(), highlight=False, markup=False)
    out.print(f"report: {outcome.output / 'report.html'}", highlight=False, markup=False)
    for w in outcome.results.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)


@app.command()
def demo(
    example: Annotated[str, typer.Option(help="Embedded example: munnell (coupling study), usjoin (resilience), ecology (ecological security pattern), or a template: coupling, ecological-economic, population-resilience.")] = "munnell",
    output: Annotated[Path, typer.Option(help="Output folder.")] = Path("regionkit-demo"),
    cache: Annotated[bool, typer.Option(help="Reuse unchanged steps from an earlier run.")] = True,
) -> None:
    """Run an embedded real-data study and write tables, layers, figures and report.html to OUTPUT."""
    with _guard():
        text = _study_text(example, "--example")
        output.mkdir(parents=True, exist_ok=True)
        config = output / "study.toml"
        if not config.exists() or config.read_text(encoding="utf-8") != text:
            config.write_text(text, encoding="utf-8")
        _run(config, output, cache)


@app.command()
def run(
    config: Annotated[Path, typer.Argument(help="Study TOML file.")],
    output: Annotated[Path | None, typer.Option(help="Output folder (default: [study] output).")] = None,
    cache: Annotated[bool, typer.Option(help="Reuse unchanged steps from an earlier run.")] = True,
) -> None:
    """Run a study described by a TOML file."""
    with _guard():
        _run(config, output, cache)


@app.command()
def validate(config: Annotated[Path, typer.Argument(help="Study TOML file.")]) -> None:
    """Check a study file and its data; list every problem at once."""
    from .pipeline.run import validate_study

    with _guard():
        validate_study(config)
        out.print(f"{config}: OK", highlight=False, markup=False)


@app.command()
def init(
    template: Annotated[str, typer.Argument(help="Template to copy: coupling, ecological-economic, population-resilience (or a demo example: munnell, usjoin, ecology).")],
    path: Annotated[Path, typer.Option(help="Where to write the TOML.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an editable, commented study TOML from a template; `regionkit run` it from any folder."""
    with _guard():
        text = _study_text(template, "template")
        if path.is_dir():
            raise InputError(f"{path}: is a folder; give a file name such as {path / 'study.toml'}")
        if path.exists() and not force:
            raise InputError(f"{path}: exists; pass --force to overwrite")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        out.print(f"wrote {path}; next: regionkit validate {path} && regionkit run {path}", highlight=False,
                  markup=False)


def _toml_value(value) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise InputError(f"cannot write {value!r} to TOML")


def coagg_toml(section: dict, *, title: str) -> str:
    """A study TOML with one ``[coagglomeration]`` section (``None`` values left out)."""
    lines = ["# written by `regionkit coagg`; edit it and run `regionkit run study.toml`", "",
             "[study]", f"title = {_toml_value(title)}", "", "[coagglomeration]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in section.items() if v is not None]
    return "\n".join(lines) + "\n"


@app.command()
def coagg(
    source: Annotated[Path, typer.Argument(help="Firm file (.csv or .csv.gz), or a study TOML with a [coagglomeration] section.")],
    city: Annotated[list[int] | None, typer.Option("--city", help="City code to keep (repeat for several; default: every firm).")] = None,
    lon_col: Annotated[str | None, typer.Option(help="Longitude column [lon].")] = None,
    lat_col: Annotated[str | None, typer.Option(help="Latitude column [lat].")] = None,
    city_col: Annotated[str | None, typer.Option(help="City code column.")] = None,
    industry_col: Annotated[str | None, typer.Option(help="Column of the industry codes analysed (e.g. SIC3).")] = None,
    group_col: Annotated[str | None, typer.Option(help="Column of the two-digit grouping (e.g. SIC2).")] = None,
    distance: Annotated[str | None, typer.Option(help="exact (default), sinkhorn or divergence.")] = None,
    draws: Annotated[int | None, typer.Option(help="Counterfactual draws R [1000].")] = None,
    alpha: Annotated[float | None, typer.Option(help="Significance threshold on Coagg [0.95].")] = None,
    sequential: Annotated[bool | None, typer.Option("--sequential/--all-draws", help="Stop each pair once its decision is certain.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the draws.")] = None,
    min_firms: Annotated[int | None, typer.Option(help="Skip industries with fewer firms [10].")] = None,
    core_n: Annotated[int | None, typer.Option(help="Number of core industries [10].")] = None,
    on_missing: Annotated[str | None, typer.Option(help="Rows without coordinates: error (default) or drop.")] = None,
    outliers: Annotated[str | None, typer.Option(help="Outliers: report (default) or drop.")] = None,
    target_crs: Annotated[str | None, typer.Option(help="Projected CRS in metres [auto: UTM zone].")] = None,
    executor: Annotated[str | None, typer.Option(help="serial (default) or dask.")] = None,
    n_workers: Annotated[int | None, typer.Option(help="Dask workers of a local cluster [2].")] = None,
    output: Annotated[Path, typer.Option(help="Output folder.")] = Path("regionkit-coagg"),
    cache: Annotated[bool, typer.Option(help="Reuse unchanged steps (and finished Monte Carlo tasks).")] = True,
) -> None:
    """Industrial co-agglomeration of the firms of a CSV (or a study TOML), with tables, maps and report.html."""
    options = {"city": city or None, "lon_col": lon_col, "lat_col": lat_col, "city_col": city_col,
               "industry_col": industry_col, "group_col": group_col, "distance": distance, "draws": draws,
               "alpha": alpha, "sequential": sequential, "seed": seed, "min_firms": min_firms, "core_n": core_n,
               "on_missing": on_missing, "outliers": outliers, "target_crs": target_crs, "executor": executor,
               "n_workers": n_workers}
    with _guard():
        if source.suffix.lower() == ".toml":
            given = [f"--{k.replace('_', '-')}" for k, v in options.items() if v is not None]
            if given:
                raise InputError(f"{', '.join(given)} apply to a firm file; with a TOML, edit its "
                                 "[coagglomeration] section instead")
            _run(source, output, cache)
            return
        if not source.is_file():
            raise InputError(f"firm file not found: {source}")
        if industry_col is None:
            raise InputError("--industry-col is needed: the column of the industry codes to analyse (e.g. SIC3)")
        cols = {industry_col: industry_col}
        if group_col is not None:
            cols[group_col] = group_col
        section = {
            "firms": str(source.resolve().as_posix()), "lon_col": lon_col, "lat_col": lat_col,
            "city_col": city_col, "industry_cols": cols, "level": industry_col, "group_level": group_col,
            "cities": list(city) if city else None, "on_missing": on_missing, "target_crs": target_crs,
            "distance": distance, "draws": draws, "alpha": alpha, "sequential": sequential, "seed": seed,
            "min_firms": min_firms, "executor": executor, "n_workers": n_workers,
            "outliers": {"policy": outliers} if outliers else None,
            "core": {"n": core_n} if core_n else None,
        }
        output.mkdir(parents=True, exist_ok=True)
        config = output / "study.toml"
        config.write_text(coagg_toml(section, title=f"Industrial co-agglomeration: {source.name}"),
                          encoding="utf-8")
        _run(config, output, cache)


@app.command()
def version() -> None:
    """Print the regionkit version."""
    out.print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
