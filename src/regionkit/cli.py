"""Command line: a thin layer over :mod:`regionkit.pipeline`.

Library errors become one message on stderr and an exit code (2 for bad
input or configuration, 1 for other regionkit errors) in one place,
:func:`_guard`.
"""

from __future__ import annotations

import shutil
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
EXAMPLES = {"munnell": "demo_munnell.toml", "usjoin": "demo_usjoin.toml", "ecology": "demo_ecology.toml"}


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


def _progress() -> tuple[Callable[[str], None], Callable[[], None]]:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    prog = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=False, disable=not sys.stderr.isatty())
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

    return step, stop


def _run(config: Path, output: Path | None, cache: bool) -> None:
    from .pipeline.run import run_study

    step, stop = _progress()
    try:
        outcome = run_study(config, output=output, use_cache=cache, progress=step)
    finally:
        stop()
    out.print(outcome.summary(), highlight=False, markup=False)
    out.print(f"report: {outcome.output / 'report.html'}", highlight=False, markup=False)
    for w in outcome.results.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)


@app.command()
def demo(
    example: Annotated[str, typer.Option(help="Embedded example: munnell (coupling study), usjoin (resilience) or ecology (ecological security pattern).")] = "munnell",
    output: Annotated[Path, typer.Option(help="Output folder.")] = Path("regionkit-demo"),
    cache: Annotated[bool, typer.Option(help="Reuse unchanged steps from an earlier run.")] = True,
) -> None:
    """Run an embedded real-data study and write tables, layers, figures and report.html to OUTPUT."""
    with _guard():
        if example not in EXAMPLES:
            raise InputError(f"--example={example!r} is not allowed; choose one of: {', '.join(EXAMPLES)}")
        output.mkdir(parents=True, exist_ok=True)
        config = output / "study.toml"
        text = resources.files("regionkit.data").joinpath(EXAMPLES[example]).read_text(encoding="utf-8")
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
    example: Annotated[str, typer.Argument(help="Example to copy: munnell, usjoin or ecology.")],
    path: Annotated[Path, typer.Option(help="Where to write the TOML.")] = Path("study.toml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write an editable copy of an example study TOML."""
    with _guard():
        if example not in EXAMPLES:
            raise InputError(f"example {example!r} is not allowed; choose one of: {', '.join(EXAMPLES)}")
        if path.exists() and not force:
            raise InputError(f"{path}: exists; pass --force to overwrite")
        src = resources.files("regionkit.data").joinpath(EXAMPLES[example])
        with resources.as_file(src) as p:
            shutil.copyfile(p, path)
        out.print(f"wrote {path}", highlight=False, markup=False)


@app.command()
def version() -> None:
    """Print the regionkit version."""
    out.print(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
