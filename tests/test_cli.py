"""The command line: help texts, exit codes, messages without tracebacks."""

from __future__ import annotations

import importlib.metadata
from importlib import resources

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import regionkit
from regionkit.cli import app

runner = CliRunner()

BAD = """
groups = ["grp", "continent"]

[study]
titel = "typo"

[data]
path = "panel.csv"
group_cols = ["grp"]

[[systems]]
name = "econ"
indicators = { x1 = "positive", x9 = "negative" }

[[systems]]
name = "env"
indicators = { y1 = "positive" }

[coupling]
form = "wang2012"

[[resilience]]
variable = "x1"
windows = [[1990, 2003]]
"""


@pytest.fixture
def panel_dir(tmp_path):
    rows = [{"region": r, "grp": "n" if r in "AB" else "s", "year": y, "x1": 1.0 + i + y % 3,
             "y1": 2.0 + i * (y - 1999)} for i, r in enumerate("ABCD") for y in range(2000, 2005)]
    pd.DataFrame(rows).to_csv(tmp_path / "panel.csv", index=False)
    return tmp_path


def test_every_command_has_help():
    group = typer.main.get_command(app)
    names = sorted(group.commands)
    assert names == sorted(["demo", "run", "validate", "init", "version", "coagg"])
    top = runner.invoke(app, ["--help"])
    assert top.exit_code == 0
    for info in app.registered_commands:
        name = info.name or info.callback.__name__
        doc = (info.callback.__doc__ or "").strip()
        assert doc, f"command {name!r} has no docstring"
        assert name in top.output
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: " in result.output and name in result.output
        assert " ".join(doc.split()[:3]) in " ".join(result.output.split())


def test_validate_lists_every_problem_without_traceback(panel_dir):
    path = panel_dir / "study[draft].toml"  # brackets must not be read as console markup
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "5 problem(s)" in out
    assert "study[draft].toml" in out
    for needle in ("study.titel: unknown key", "coupling.form:", "'standard', 'wang2021' or 'fan'",
                   "indicator 'x9' is not a panel variable", "year 1990 outside the panel",
                   "grouping 'continent' unknown"):
        assert needle in out, (needle, result.output)
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_validate_ok(panel_dir):
    path = panel_dir / "good.toml"
    good = BAD.replace("titel", "title").replace(", x9 = \"negative\"", "").replace("wang2012", "wang2021")
    path.write_text(good.replace("1990", "2001").replace(', "continent"', ""), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: OK" in " ".join(result.output.split())


@pytest.mark.parametrize("name", ["absent.toml", "absent[/x].toml"])
def test_run_missing_config_file(tmp_path, name):
    path = tmp_path / name
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "MarkupError" not in result.output
    assert str(path) in result.output and "file not found" in result.output
    assert len(result.output.strip().splitlines()) <= 2


def test_run_missing_data_file(tmp_path):
    path = tmp_path / "study.toml"
    path.write_text('[data]\npath = "gone.csv"\n', encoding="utf-8")
    result = runner.invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:")
    assert str(tmp_path / "gone.csv") in lines[0] and "file not found" in lines[0]


def test_run_bad_option_value(tmp_path):
    result = runner.invoke(app, ["demo", "--example", "atlantis", "--output", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "atlantis" in result.output and "munnell" in result.output and "Traceback" not in result.output


def test_init_writes_a_config_that_validates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["init", "munnell", "--path", "x.toml"])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "x.toml").read_text(encoding="utf-8")
    assert written == resources.files("regionkit.data").joinpath("demo_munnell.toml").read_text(encoding="utf-8")
    result = runner.invoke(app, ["validate", "x.toml"])
    assert result.exit_code == 0, result.output
    assert "x.toml: OK" in result.output

    again = runner.invoke(app, ["init", "munnell", "--path", "x.toml"])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(app, ["init", "usjoin", "--path", "x.toml", "--force"])
    assert forced.exit_code == 0
    assert "usjoin" in (tmp_path / "x.toml").read_text(encoding="utf-8")
    unknown = runner.invoke(app, ["init", "atlantis", "--path", "y.toml"])
    assert unknown.exit_code == 2 and not (tmp_path / "y.toml").exists()


def test_version():
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip() == regionkit.__version__ == importlib.metadata.version("regionkit")
