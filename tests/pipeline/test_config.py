"""Study configuration: every problem is listed at once, in one ConfigError."""

from __future__ import annotations

import tomllib
from importlib import resources

import pandas as pd
import pytest

from regionkit.errors import ConfigError, InputError
from regionkit.pipeline.config import StudyConfig, load_config, parse_config
from regionkit.pipeline.run import validate_study

GOOD = """
groups = ["grp"]

[study]
title = "small study"

[data]
path = "panel.csv"
name_col = "name"
group_cols = ["grp"]

[[systems]]
name = "econ"
indicators = { x1 = "positive", x2 = "negative" }

[[systems]]
name = "env"
indicators = { y1 = "positive" }

[coupling]
form = "wang2021"

[[resilience]]
variable = "x1"
windows = [[2001, 2003]]

[dispersion]
variables = ["D", "x1"]
"""

# five mistakes: an unknown key, a bad enum value, an unknown indicator,
# a year outside the panel and an unknown grouping
BAD = (
    GOOD.replace('title = "small study"', 'titel = "small study"')
    .replace('form = "wang2021"', 'form = "wang2012"')
    .replace('y1 = "positive"', 'y1 = "positive", y9 = "positive"')
    .replace("[[2001, 2003]]", "[[1990, 2003]]")
    .replace('groups = ["grp"]', 'groups = ["grp", "continent"]')
)


@pytest.fixture
def study_dir(tmp_path):
    rows = [{"region": r, "name": f"Region {r}", "grp": "north" if r in "AB" else "south", "year": y,
             "x1": 1.0 + i + y % 7, "x2": 2.0 + (i * y) % 5, "y1": 3.0 + (y - 2000) * (i + 1)}
            for i, r in enumerate("ABCD") for y in range(2000, 2006)]
    pd.DataFrame(rows).to_csv(tmp_path / "panel.csv", index=False)
    return tmp_path


def _write(folder, text, name="study.toml"):
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_validates(study_dir):
    config = validate_study(_write(study_dir, GOOD))
    assert isinstance(config, StudyConfig)
    assert [s.name for s in config.systems] == ["econ", "env"]
    assert config.coupling.form == "wang2021"


def test_embedded_demo_configs_parse():
    for name in ("demo_munnell.toml", "demo_usjoin.toml"):
        raw = tomllib.loads(resources.files("regionkit.data").joinpath(name).read_text(encoding="utf-8"))
        assert isinstance(parse_config(raw, source=name), StudyConfig)


def test_validate_lists_every_problem_at_once(study_dir):
    path = _write(study_dir, BAD)
    with pytest.raises(ConfigError) as info:
        validate_study(path)
    exc = info.value
    assert isinstance(exc, InputError)
    assert exc.source == str(path)
    problems = exc.problems
    assert len(problems) == 5, problems

    def one(*needles):
        hits = [p for p in problems if all(n in p for n in needles)]
        assert len(hits) == 1, (needles, problems)

    one("study.titel", "unknown key")
    one("coupling.form", "'standard'", "'wang2021'", "'fan'")  # the allowed values are listed
    one("systems[1]", "'y9'", "not a panel variable")
    one("resilience[0]", "1990", "outside the panel", "2000", "2005")
    one("groups", "'continent'", "grp")
    text = str(exc)
    assert text.startswith("5 problem(s) in ")
    assert all(p in text for p in problems)


def test_parse_config_lists_every_structural_problem():
    raw = tomllib.loads(BAD)
    raw["normalization"] = {"shift": -1, "scope": "decade"}
    raw["report"] = {"figure_formats": ["png", "gif"]}
    with pytest.raises(ConfigError) as info:
        parse_config(raw, source="bad.toml")
    locs = sorted(p.split(":")[0] for p in info.value.problems)
    assert locs == ["coupling.form", "normalization.scope", "normalization.shift",
                    "report.figure_formats.1", "study.titel"]
    assert info.value.source == "bad.toml"


def test_structural_and_data_file_problems_together(study_dir):
    text = GOOD.replace('path = "panel.csv"', 'path = "nowhere.csv"').replace('form = "wang2021"', 'form = "x"')
    with pytest.raises(ConfigError) as info:
        validate_study(_write(study_dir, text))
    problems = info.value.problems
    assert len(problems) == 2, problems
    assert any(p.startswith("coupling.form:") for p in problems)
    assert any("nowhere.csv" in p and "file not found" in p for p in problems)


def test_cross_section_rules(study_dir):
    text = GOOD + '\n[[systems]]\nname = "econ"\nindicators = { x1 = "positive" }\n'
    with pytest.raises(ConfigError, match="'econ'.*more than once"):
        validate_study(_write(study_dir, text))
    text = GOOD.replace("[coupling]", '[coupling]\nsystems = ["econ", "ghost"]')
    with pytest.raises(ConfigError, match="ghost"):
        validate_study(_write(study_dir, text))


def test_toml_syntax_error(study_dir):
    path = _write(study_dir, '[study]\ntitle = "unterminated\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith("TOML syntax:")
    assert "line 2" in info.value.problems[0]
    with pytest.raises(ConfigError, match="TOML syntax"):
        validate_study(path)


def test_missing_config_file(tmp_path):
    path = tmp_path / "absent.toml"
    for fn in (load_config, validate_study):
        with pytest.raises(ConfigError) as info:
            fn(path)
        assert info.value.problems == [f"{path}: file not found"]
