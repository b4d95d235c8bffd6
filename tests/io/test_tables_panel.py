"""Panel type and table readers: layouts, and every bad input named."""

import numpy as np
import pandas as pd
import pytest

from regionkit.errors import InputError
from regionkit.io.tables import read_panel
from regionkit.panel import Panel


@pytest.fixture
def wide_csv(tmp_path):
    p = tmp_path / "panel.csv"
    p.write_text(
        "region,year,name,zone,gdp,emp\n"
        "A,2000,Alpha,east,1,10\nA,2001,Alpha,east,2,11\n"
        "B,2000,Beta,west,3,12\nB,2001,Beta,west,4,13\n"
    )
    return p


def test_wide_long_years_layouts_agree(tmp_path, wide_csv):
    p = read_panel(wide_csv, name_col="name", group_cols=["zone"])
    assert p.regions_ids == ["A", "B"] and p.years == [2000, 2001]
    assert p.names().to_dict() == {"A": "Alpha", "B": "Beta"}
    assert p.group("zone").to_dict() == {"A": "east", "B": "west"}
    long = p.data.reset_index().melt(id_vars=["region", "year"], var_name="variable", value_name="value")
    lp = tmp_path / "long.csv"
    long.to_csv(lp, index=False)
    q = read_panel(lp, layout="long")
    pd.testing.assert_frame_equal(q.data[p.variables], p.data)
    yp = tmp_path / "gdp.csv"
    p.wide("gdp").reset_index().to_csv(yp, index=False)
    r = read_panel(yp, layout="years", variable_name="gdp")
    pd.testing.assert_frame_equal(r.data, p.data[["gdp"]])


def test_xlsx(tmp_path, wide_csv):
    x = tmp_path / "panel.xlsx"
    pd.read_csv(wide_csv).to_excel(x, index=False)
    assert read_panel(x, name_col="name", group_cols=["zone"]).wide("emp").loc["B", 2001] == 13
    with pytest.raises(InputError, match=r"\['zone'\] hold text.*group_cols"):
        read_panel(x, name_col="name")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("region,year,gdp\nA,2000,1\nA,2000,2\n", r"region 'A', year 2000 appears more than once"),
        ("region,year,gdp\nA,2000,1\nA,2001,2\nB,2000,3\n", r"missing region-year\(s\): 'B' 2001"),
        ("region,year,gdp,emp\nA,2000,1,x\nA,2001,2,3\n", r"column 'emp', region 'A', year 2000: non-numeric 'x'"),
        ("region,year,gdp\nA,2000,1\nA,2001,\n", r"column 'gdp', region 'A', year 2001: missing"),
        ("region,year,gdp\nA,2000.5,1\n", r"year '?2000.5'? is not an integer year"),
        ("reg,year,gdp\nA,2000,1\n", r"column\(s\) 'region' not found"),
    ],
)
def test_bad_input_is_named(tmp_path, text, pattern):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(InputError, match=pattern) as info:
        read_panel(p, variables=None)
    assert "bad.csv" in str(info.value)


def test_missing_file_and_format(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_panel(tmp_path / "nope.csv")
    q = tmp_path / "x.parquet"
    q.write_text("")
    with pytest.raises(InputError, match="unsupported table format"):
        read_panel(q)


def test_group_not_constant(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("region,year,zone,gdp\nA,2000,east,1\nA,2001,west,2\n")
    with pytest.raises(InputError, match="region 'A' has more than one value"):
        read_panel(p, group_cols=["zone"])


def test_panel_select_and_checks(wide_csv):
    p = read_panel(wide_csv, name_col="name", group_cols=["zone"])
    with pytest.raises(InputError, match=r"year\(s\) \[1999\] outside the panel"):
        p.select(years=[1999])
    with pytest.raises(InputError, match=r"unknown region id\(s\) \['Z'\]"):
        p.select(regions=["Z"])
    with pytest.raises(InputError, match="variable.*'pop'.*not in the panel"):
        p.wide("pop")
    with pytest.raises(InputError, match="grouping 'coast' not found"):
        p.group("coast")
    sub = p.select(years=[2001], regions=["B"])
    assert sub.data.shape == (1, 2)
    neg = p.with_variables(pd.DataFrame({"loss": [1.0, -2.0, 3.0, 4.0]}, index=p.data.index))
    with pytest.raises(InputError, match="column 'loss', region 'A', year 2001"):
        neg.check_positive(["loss"])
    assert p.content_hash() == read_panel(wide_csv, name_col="name", group_cols=["zone"]).content_hash()
    assert "2 regions × 2 years" in p.summary()
    assert list(p.to_frame().columns[:4]) == ["region", "year", "name", "zone"]


def test_from_frame_does_not_mutate():
    f = pd.DataFrame({"region": ["A", "A"], "year": [2000, 2001], "x": [1, 2]})
    before = f.copy()
    Panel.from_frame(f)
    pd.testing.assert_frame_equal(f, before)
    assert np.issubdtype(Panel.from_frame(f).data["x"].dtype, np.floating)
