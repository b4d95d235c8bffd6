"""Regression tables: layout (golden strings), stars, formats (text, LaTeX, HTML, xlsx), errors."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from regionkit.econometrics.panel import panel_ols
from regionkit.econometrics.results import RegressionResult
from regionkit.econometrics.tables import DEFAULT_STATS, RegressionTable, regression_table
from regionkit.errors import InputError

REF = Path(__file__).resolve().parents[1] / "reference" / "plm"
STATS = ("N", "log-likelihood", "AIC", "BIC", "pseudo R²", "left-censored")


def _res(params, bse, *, dep="y", n=100, df=None, llf=None, stats=None, notes=(), cov="nonrobust"):
    idx = list(params)
    return RegressionResult(
        model="m", dependent=dep, params=pd.Series(params, dtype=float),
        bse=pd.Series(bse, index=idx, dtype=float),
        cov=pd.DataFrame(np.diag(np.square(bse)), index=idx, columns=idx),
        cov_type=cov, nobs=n, df_resid=df, llf=llf, stats=stats or {}, notes=notes,
    )


@pytest.fixture
def pair() -> dict[str, RegressionResult]:
    # z inference: p(x_1, model 1) = 0.0027, p(x_1, model 2) = 0.0455, p(z<2) = 0.0027
    a = _res({"x_1": 1.5, "const": -0.25}, [0.5, 0.2], llf=-120.5, stats={"AIC": 245.0, "pseudo R²": 0.12})
    b = _res(
        {"x_1": 0.2, "z<2": -3.0, "const": 0.0004, "sigma": 1.1}, [0.1, 1.0, 1.0, 0.05], dep="share_y",
        llf=-99.25, stats={"AIC": 206.5, "pseudo R²": 0.3, "left-censored": 12}, notes=("incidental parameters",),
    )
    return {"Pooled": a, "RE & more": b}


GOLDEN_TEXT = """\
=======================================
                   Pooled    RE & more
                     y        share_y
---------------------------------------
x_1                1.500***    0.200**
                  (0.500)     (0.100)
const             -0.250       0.000
                  (0.200)     (1.000)
z<2                           -3.000***
                              (1.000)
sigma                          1.100***
                              (0.050)
---------------------------------------
N                    100         100
log-likelihood  -120.500     -99.250
AIC              245.000     206.500
pseudo R²          0.120       0.300
left-censored                     12
=======================================
Standard errors in parentheses.
* p<0.10, ** p<0.05, *** p<0.01
RE & more: incidental parameters
"""

GOLDEN_LATEX = r"""\begin{tabular}{lcc}
\toprule
 & Pooled & RE \& more \\
 & y & share\_y \\
\midrule
x\_1 & 1.500$^{***}$ & 0.200$^{**}$ \\
 & (0.500) & (0.100) \\
const & -0.250 & 0.000 \\
 & (0.200) & (1.000) \\
z\textless{}2 &  & -3.000$^{***}$ \\
 &  & (1.000) \\
sigma &  & 1.100$^{***}$ \\
 &  & (0.050) \\
\midrule
N & 100 & 100 \\
log-likelihood & -120.500 & -99.250 \\
AIC & 245.000 & 206.500 \\
pseudo R\textsuperscript{2} & 0.120 & 0.300 \\
left-censored &  & 12 \\
\bottomrule
\multicolumn{3}{l}{\footnotesize Standard errors in parentheses.} \\
\multicolumn{3}{l}{\footnotesize * $p<0.10$, ** $p<0.05$, *** $p<0.01$} \\
\multicolumn{3}{l}{\footnotesize RE \& more: incidental parameters} \\
\end{tabular}
"""

GOLDEN_TEXT_T = """\
===================================
                   (1)       (2)
                    y      share_y
-----------------------------------
x_1                1.50**    0.20*
                  [3.00]    [2.00]
const             -0.25      0.00
                 [-1.25]    [0.00]
z<2                         -3.00**
                           [-3.00]
sigma                        1.10**
                           [22.00]
-----------------------------------
N                   100       100
log-likelihood  -120.50    -99.25
AIC              245.00    206.50
pseudo R²          0.12      0.30
===================================
t statistics in brackets.
* p<0.05, ** p<0.01
(2): incidental parameters
"""


# ====================================================================== layout
def test_golden_text(pair):
    t = regression_table(pair, stats=STATS)
    assert t.to_text() == GOLDEN_TEXT
    assert str(t) == GOLDEN_TEXT and t.summary() == GOLDEN_TEXT


def test_golden_latex(pair):
    assert regression_table(pair, stats=STATS).to_latex() == GOLDEN_LATEX


def test_golden_text_t_statistics_two_digits_two_stars(pair):
    t = regression_table(list(pair.values()), show="t", digits=2, stars=(0.05, 0.01), stats=STATS[:-1])
    assert t.to_text() == GOLDEN_TEXT_T


def test_frame_structure(pair):
    t = regression_table(pair, stats=STATS)
    assert isinstance(t, RegressionTable)
    f = t.to_frame()
    assert list(f.columns) == ["Pooled", "RE & more"]
    # BIC is in no model: left out
    assert list(f.index) == ["x_1", "", "const", "", "z<2", "", "sigma", "", "N", "log-likelihood", "AIC", "pseudo R²", "left-censored"]
    assert t.row_kinds == ("coef", "se") * 4 + ("stat",) * 5
    assert f.loc["x_1", "Pooled"] == "1.500***"
    assert f.iloc[1].tolist() == ["(0.500)", "(0.100)"]
    # terms absent from a model are blank
    assert f.loc["z<2", "Pooled"] == "" and f.iloc[5, 0] == ""
    assert f.loc["left-censored"].tolist() == ["", "12"]
    assert t.dependents == ("y", "share_y")
    assert t.notes == ("Standard errors in parentheses.", "* p<0.10, ** p<0.05, *** p<0.01", "RE & more: incidental parameters")
    f.iloc[0, 0] = "changed"
    assert t.frame.iloc[0, 0] == "1.500***"  # to_frame is a copy
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.show = "t"  # type: ignore[misc]


def test_stars_follow_the_thresholds():
    # t inference with 1000 df ~ normal; p-values straddling each threshold
    from scipy import stats

    zs = [stats.norm.isf(p / 2) for p in (0.2, 0.09, 0.04, 0.009, 0.0009)]
    r = _res({f"b{i}": z for i, z in enumerate(zs)}, [1.0] * 5)
    f = regression_table([r], stats=()).frame
    assert [f.loc[f"b{i}", "(1)"].count("*") for i in range(5)] == [0, 1, 2, 3, 3]
    f = regression_table([r], stars=(), stats=()).frame
    assert not any("*" in c for c in f["(1)"])
    assert regression_table([r], stars=()).notes == ("Standard errors in parentheses.",)
    t = regression_table([r], stars=(0.1, 0.05, 0.01, 0.001))
    assert t.star_note == "* p<0.10, ** p<0.05, *** p<0.01, **** p<0.001"


def test_order_labels_nan_and_negative_zero():
    r = _res({"a": -0.0001, "b": 2.0, "const": 1.0}, [0.1, np.nan, 0.5])
    t = regression_table([r], order=["const"], labels={"a": "alpha (log)"}, stats=())
    f = t.frame
    assert list(f.index) == ["const", "", "alpha (log)", "", "b", ""]
    assert f.loc["alpha (log)", "(1)"] == "0.000"  # no "-0.000"
    assert f.loc["b", "(1)"] == "2.000" and f.iloc[5, 0] == ""  # no SE, no stars


def test_stats_rows_absent_everywhere_are_left_out_and_covariance_notes():
    a = _res({"x": 1.0}, [0.5], n=10, cov="cluster(region)", stats={"groups": 3, "R²": 0.5})
    b = _res({"x": 1.0}, [0.5], n=12, cov="robust")
    t = regression_table([a, b])
    assert [i for i, k in zip(t.frame.index, t.row_kinds, strict=True) if k == "stat"] == ["N", "groups", "R²"]
    assert t.frame.loc["groups"].tolist() == ["3", ""]
    assert "Covariance: (1) cluster(region); (2) robust." in t.notes
    same = regression_table([a, a])
    assert "Covariance: cluster(region)." in same.notes
    assert not any(n.startswith("Covariance") for n in regression_table([_res({"x": 1.0}, [0.5])]).notes)
    assert DEFAULT_STATS[0] == "N"


# ====================================================================== formats
class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.foot: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag != "br":
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (self.stack, tag)
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if "tfoot" in self.stack:
            self.foot.append(data)


def test_html_parses_escapes_and_carries_the_note(pair):
    t = regression_table(pair, stats=STATS)
    page = t.to_html()
    assert page.startswith('<table class="regression-table"')
    assert "z&lt;2" in page and "z<2" not in page
    assert "RE &amp; more" in page
    assert "<script" not in page and "<link" not in page  # self-contained
    p = _Collect()
    p.feed(page)
    p.close()
    assert p.stack == []  # balanced tags
    assert [tag for tag, _ in p.tags].count("tr") == 2 + 8 + 5 + 1
    assert "z<2" in p.text and "RE & more" in p.text
    assert "* p<0.10, ** p<0.05, *** p<0.01" in p.foot
    assert "RE & more: incidental parameters" in p.foot
    assert {a.get("class") for tag, a in p.tags if tag == "tbody"} == {"terms", "stats"}
    assert t._repr_html_() == page
    assert regression_table(pair).to_html(css_class="x<y").startswith('<table class="x&lt;y"')


def test_xlsx_one_sheet_with_note_rows(pair, tmp_path):
    from openpyxl import load_workbook

    t = regression_table(pair, stats=STATS)
    path = t.to_xlsx(tmp_path / "table.xlsx")
    assert path == tmp_path / "table.xlsx"
    wb = load_workbook(path)
    assert len(wb.sheetnames) == 1
    rows = [[c if c is not None else "" for c in r] for r in wb.active.iter_rows(values_only=True)]
    assert rows[0] == ["", "Pooled", "RE & more"]
    assert rows[1] == ["", "y", "share_y"]
    assert rows[2] == ["x_1", "1.500***", "0.200**"]
    assert rows[3] == ["", "(0.500)", "(0.100)"]
    body = 2 + len(t.frame)
    assert rows[body - 1] == ["left-censored", "", "12"]
    assert [r[0] for r in rows[body:]] == list(t.notes)


# ====================================================================== real fits
def test_table_of_real_linearmodels_fits():
    d = pd.read_csv(REF / "grunfeld.csv").set_index(["firm", "year"])
    fits = {m: panel_ols("inv ~ value + capital", d, model=m) for m in ("pooled", "fe", "re")}
    t = regression_table(fits, stats=("N", "groups", "R²", "R² (within)", "F", "Wald chi²"))
    f = t.frame
    assert list(f.index[:6]) == ["const", "", "value", "", "capital", ""]
    assert f.loc["const", "fe"] == "" and f.iloc[1]["fe"] == ""
    for model, res in fits.items():
        for term in res.params.index:
            cell = f.loc[term, model]
            stars = sum(res.pvalues[term] < s for s in (0.10, 0.05, 0.01))
            assert cell == f"{res.params[term]:.3f}" + "*" * stars
        i = list(f.index).index("value") + 1
        assert f.iloc[i][model] == f"({res.bse['value']:.3f})"
    assert f.loc["value", "fe"] == "0.110***"
    assert f.loc["N"].tolist() == ["200"] * 3
    assert f.loc["groups"].tolist() == ["10"] * 3
    assert f.loc["F", "re"] == "" and f.loc["Wald chi²", "re"] != ""
    assert "Covariance: cluster(firm)." in t.notes
    assert "\\toprule" in t.to_latex() and "R\\textsuperscript{2} (within)" in t.to_latex()


# ====================================================================== errors
def test_errors(pair):
    a = pair["Pooled"]
    with pytest.raises(InputError, match="empty"):
        regression_table([])
    with pytest.raises(InputError, match="entry at position 1 is a str"):
        regression_table([a, "b"])  # type: ignore[list-item]
    with pytest.raises(InputError, match="entry 'b' is a int"):
        regression_table({"a": a, "b": 3})  # type: ignore[dict-item]
    with pytest.raises(InputError, match="must be a sequence or mapping"):
        regression_table(a)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="show='z'"):
        regression_table([a], show="z")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="digits"):
        regression_table([a], digits=-1)
    with pytest.raises(InputError, match="digits"):
        regression_table([a], digits=2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="strictly decrease"):
        regression_table([a], stars=(0.01, 0.05))
    with pytest.raises(InputError, match="strictly decrease"):
        regression_table([a], stars=(1.5,))
    with pytest.raises(InputError, match="stars must be"):
        regression_table([a], stars=("x",))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="stats must be a sequence"):
        regression_table([a], stats="N")
    with pytest.raises(InputError, match=r"order: term\(s\) \['nope'\]"):
        regression_table([a], order=["nope"])
    with pytest.raises(InputError, match="not unique"):
        regression_table({1: a, "1": a})  # type: ignore[dict-item]
