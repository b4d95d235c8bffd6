"""Side-by-side regression tables (text, HTML, LaTeX, Excel) from :class:`RegressionResult` objects.

Layout (the economics convention): one column per model; two rows per term,
the coefficient with significance stars and, underneath, its standard error
in parentheses (or t statistic in brackets); a term a model does not have is
blank; model statistics (N, R², log-likelihood, ...) at the bottom; under
the table the note ``* p<0.10, ** p<0.05, *** p<0.01``.  Stars use each
model's own p-values (:attr:`RegressionResult.pvalues`: t or normal).
"""

from __future__ import annotations

import html
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from .._checks import check_option
from ..errors import InputError
from .results import RegressionResult

ShowKind = Literal["se", "t"]

DEFAULT_STATS: tuple[str, ...] = (
    "N",
    "groups",
    "R²",
    "adj. R²",
    "log-likelihood",
    "AIC",
    "BIC",
    "pseudo R²",
)
_STAR_SUFFIX = "*)]"


# ====================================================================== result
@dataclass(frozen=True)
class RegressionTable:
    """A formatted regression table.

    Attributes
    ----------
    frame : pandas.DataFrame
        Display strings; columns = model labels; rows: for every term the
        coefficient row (labelled with the term) and the standard-error /
        t row (labelled ``""``), then one row per statistic.
    row_kinds : tuple of str
        ``"coef"``, ``"se"``, ``"t"`` or ``"stat"`` for every row of ``frame``.
    dependents : tuple of str
        Dependent variable of every column.
    show : {"se", "t"}
        What the second row of every term shows.
    stars : tuple of float
        Significance levels, loosest first (one star for the first).
    extra_notes : tuple of str
        Notes after the standard ones (covariance types, the models' own notes).
    """

    frame: pd.DataFrame
    row_kinds: tuple[str, ...]
    dependents: tuple[str, ...]
    show: str = "se"
    stars: tuple[float, ...] = (0.10, 0.05, 0.01)
    extra_notes: tuple[str, ...] = ()

    # ------------------------------------------------------------- notes
    @property
    def star_note(self) -> str:
        """``"* p<0.10, ** p<0.05, *** p<0.01"`` (empty without stars)."""
        return ", ".join(f"{'*' * (i + 1)} p<{_level(s)}" for i, s in enumerate(self.stars))

    @property
    def notes(self) -> tuple[str, ...]:
        """Every note printed under the table, in order."""
        what = "Standard errors in parentheses." if self.show == "se" else "t statistics in brackets."
        return tuple(n for n in (what, self.star_note, *self.extra_notes) if n)

    # ------------------------------------------------------------ outputs
    def to_frame(self) -> pd.DataFrame:
        """A copy of the display table (strings)."""
        return self.frame.copy()

    def summary(self) -> str:
        """Same as :meth:`to_text`."""
        return self.to_text()

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """Plain-text table: numbers aligned on their last digit, stars and brackets hanging right."""
        labels = [str(i) for i in self.frame.index]
        stub = max([len(s) for s in labels] + [1])
        cols = []
        for j, col in enumerate(self.frame.columns):
            cells = list(self.frame.iloc[:, j])
            suffixes = [_suffix(c) for c in cells]
            hang = max([len(s) for s in suffixes] + [0])
            padded = [c[: len(c) - len(s)] + s.ljust(hang) for c, s in zip(cells, suffixes, strict=True)]
            width = max([len(p) for p in padded] + [len(str(col)), len(self.dependents[j])])
            cols.append((width, [p.rjust(width) for p in padded], str(col), self.dependents[j]))
        total = stub + sum(2 + w for w, *_ in cols)

        def line(first: str, cells: list[str]) -> str:
            return (first.ljust(stub) + "".join("  " + c for c in cells)).rstrip()

        out = ["=" * total]
        out.append(line("", [h.center(w) for w, _, h, _ in cols]))
        out.append(line("", [d.center(w) for w, _, _, d in cols]))
        out.append("-" * total)
        for i, label in enumerate(labels):
            if self.row_kinds[i] == "stat" and (i == 0 or self.row_kinds[i - 1] != "stat"):
                out.append("-" * total)
            out.append(line(label, [c[1][i] for c in cols]))
        out.append("=" * total)
        out += list(self.notes)
        return "\n".join(out) + "\n"

    def to_latex(self) -> str:
        """A booktabs ``tabular`` (needs ``\\usepackage{booktabs}``); notes as rows under ``\\bottomrule``."""
        ncol = self.frame.shape[1] + 1
        out = [f"\\begin{{tabular}}{{l{'c' * (ncol - 1)}}}", "\\toprule"]
        out.append(" & ".join(["", *(_tex(str(c)) for c in self.frame.columns)]) + " \\\\")
        out.append(" & ".join(["", *(_tex(d) for d in self.dependents)]) + " \\\\")
        out.append("\\midrule")
        for i, label in enumerate(self.frame.index):
            if self.row_kinds[i] == "stat" and (i == 0 or self.row_kinds[i - 1] != "stat"):
                out.append("\\midrule")
            cells = [_tex_cell(c) for c in self.frame.iloc[i]]
            out.append(" & ".join([_tex(str(label)), *cells]) + " \\\\")
        out.append("\\bottomrule")
        what = "Standard errors in parentheses." if self.show == "se" else "t statistics in brackets."
        star = ", ".join(f"{'*' * (i + 1)} $p<{_level(s)}$" for i, s in enumerate(self.stars))
        for note in [_tex(what), star, *(_tex(n) for n in self.extra_notes)]:
            if note:
                out.append(f"\\multicolumn{{{ncol}}}{{l}}{{\\footnotesize {note}}} \\\\")
        out.append("\\end{tabular}")
        return "\n".join(out) + "\n"

    def to_html(self, *, css_class: str = "regression-table") -> str:
        """A self-contained, escaped ``<table>`` (inline rules; notes in ``<tfoot>``)."""
        esc = html.escape
        rule = "border-top:1px solid currentColor"
        ncol = self.frame.shape[1] + 1
        out = [f'<table class="{esc(css_class)}" style="border-collapse:collapse;text-align:center">']
        out.append(f'<thead style="{rule}">')
        out.append("<tr><th></th>" + "".join(f"<th>{esc(str(c))}</th>" for c in self.frame.columns) + "</tr>")
        out.append(
            '<tr class="dependent"><th></th>'
            + "".join(f"<th>{esc(d)}</th>" for d in self.dependents)
            + "</tr>"
        )
        out.append("</thead>")
        open_body = ""
        for i, label in enumerate(self.frame.index):
            kind = self.row_kinds[i]
            body = "stats" if kind == "stat" else "terms"
            if body != open_body:
                if open_body:
                    out.append("</tbody>")
                out.append(f'<tbody class="{body}" style="{rule}">')
                open_body = body
            cells = "".join(f"<td>{esc(str(c))}</td>" for c in self.frame.iloc[i])
            out.append(f'<tr class="{kind}"><th scope="row" style="text-align:left">{esc(str(label))}</th>{cells}</tr>')
        if open_body:
            out.append("</tbody>")
        notes = "<br>".join(esc(n) for n in self.notes)
        out.append(
            f'<tfoot style="{rule}"><tr><td colspan="{ncol}" style="text-align:left;font-size:smaller">'
            f"{notes}</td></tr></tfoot>"
        )
        out.append("</table>")
        return "\n".join(out) + "\n"

    def _repr_html_(self) -> str:
        return self.to_html()

    def to_xlsx(self, path: str | Path, *, sheet: str = "regression table") -> Path:
        """Write the table to one sheet of an ``.xlsx`` workbook (header, rows, note rows); returns the path."""
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Border, Font, Side

        path = Path(path)
        wb = Workbook()
        ws = wb.active
        ws.title = sheet[:31]
        thin = Side(style="thin")
        ws.append(["", *(str(c) for c in self.frame.columns)])
        ws.append(["", *self.dependents])
        for cell in ws[1] + ws[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center")
        for cell in ws[1]:
            cell.border = Border(top=thin)
        for cell in ws[2]:
            cell.border = Border(bottom=thin)
        first_stat = True
        for i, label in enumerate(self.frame.index):
            ws.append([str(label), *(str(c) for c in self.frame.iloc[i])])
            row = ws[ws.max_row]
            for cell in row[1:]:
                cell.alignment = Alignment(horizontal="center")
            if self.row_kinds[i] == "stat" and first_stat:
                first_stat = False
                for cell in row:
                    cell.border = Border(top=thin)
        for cell in ws[ws.max_row]:
            cell.border = Border(bottom=thin, top=cell.border.top)
        for note in self.notes:
            ws.append([note])
            ws[ws.max_row][0].font = Font(italic=True, size=9)
        ws.column_dimensions["A"].width = max([len(str(i)) for i in self.frame.index] + [8]) + 2
        wb.save(path)
        return path


# ====================================================================== builder
def regression_table(
    results: Sequence[RegressionResult] | Mapping[str, RegressionResult],
    *,
    show: ShowKind = "se",
    digits: int = 3,
    stars: Sequence[float] = (0.10, 0.05, 0.01),
    stats: Sequence[str] = DEFAULT_STATS,
    order: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> RegressionTable:
    """Side-by-side table of several regression results.

    Parameters
    ----------
    results : sequence or mapping of RegressionResult
        One column per result; a mapping's keys are the column labels, a
        sequence's columns are labelled ``(1)``, ``(2)``, ...
    show : {"se", "t"}, default "se"
        Second row per term: ``(standard error)`` or ``[t statistic]``.
    digits : int, default 3
        Decimals of coefficients, standard errors, t statistics and
        non-integer statistics.
    stars : sequence of float, default (0.10, 0.05, 0.01)
        Significance levels, strictly decreasing: ``p < stars[0]`` gets one
        star, ``p < stars[1]`` two, and so on; ``()`` for none.
    stats : sequence of str
        Statistics rows, in order: ``"N"`` (observations),
        ``"log-likelihood"`` and any key of the results' ``stats`` dicts
        (``"AIC"``, ``"pseudo R²"``, ``"groups"``, ``"R² (within)"``, ...).
        A statistic no model has is left out.
    order : sequence of str, optional
        Terms to list first, in this order; the others follow in order of
        first appearance.
    labels : mapping, optional
        Display names of terms (e.g. ``{"log(gdp)": "GDP (log)"}``).

    Returns
    -------
    RegressionTable

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.econometrics.results import RegressionResult
    >>> def res(b, se, n):
    ...     idx = list(b)
    ...     return RegressionResult(model="OLS", dependent="y", params=pd.Series(b),
    ...         bse=pd.Series(se, index=idx), cov=pd.DataFrame(0.0, idx, idx),
    ...         cov_type="nonrobust", nobs=n, df_resid=n - len(idx))
    >>> t = regression_table([res({"x": 0.5, "const": 1.0}, [0.1, 2.0], 50),
    ...                       res({"x": 0.4, "z": -0.2, "const": 1.2}, [0.3, 0.1, 1.0], 50)])
    >>> print(t.to_text(), end="")
    =========================
              (1)       (2)
               y         y
    -------------------------
    x       0.500***   0.400
           (0.100)    (0.300)
    const   1.000      1.200
           (2.000)    (1.000)
    z                 -0.200*
                      (0.100)
    -------------------------
    N          50         50
    =========================
    Standard errors in parentheses.
    * p<0.10, ** p<0.05, *** p<0.01
    """
    check_option("show", show, ShowKind)
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 0:
        raise InputError(f"digits={digits!r} must be a non-negative integer")
    stars = _check_stars(stars)
    if isinstance(stats, str) or not all(isinstance(s, str) for s in stats):
        raise InputError(f"stats must be a sequence of statistic names, e.g. ('N', 'AIC'), not {stats!r}")
    columns, models = _columns(results)
    labels = dict(labels or {})

    terms: list[str] = []
    for res in models:
        terms += [str(t) for t in res.params.index if str(t) not in terms]
    if order is not None:
        unknown = [t for t in order if t not in terms]
        if unknown:
            raise InputError(f"order: term(s) {unknown} are in no model; terms: {', '.join(terms)}")
        terms = list(dict.fromkeys([*order, *terms]))

    rows: list[list[str]] = []
    index: list[str] = []
    kinds: list[str] = []
    for term in terms:
        coef_row, second_row = [], []
        for res in models:
            params = res.params.rename(index=str)
            if term not in params.index or pd.isna(params[term]):
                coef_row.append("")
                second_row.append("")
                continue
            b = float(params[term])
            se = float(res.bse.rename(index=str)[term])
            if math.isfinite(se) and se > 0:
                p = float(res.pvalues.rename(index=str)[term])
                n_stars = sum(p < s for s in stars)
                coef_row.append(_num(b, digits) + "*" * n_stars)
                second_row.append(f"({_num(se, digits)})" if show == "se" else f"[{_num(b / se, digits)}]")
            else:
                coef_row.append(_num(b, digits))
                second_row.append("")
        rows += [coef_row, second_row]
        index += [labels.get(term, term), ""]
        kinds += ["coef", show]

    for name in stats:
        values = [_stat(res, name) for res in models]
        if all(v is None for v in values):
            continue
        rows.append([_fmt_stat(v, digits) for v in values])
        index.append(name)
        kinds.append("stat")

    frame = pd.DataFrame(rows, index=pd.Index(index, dtype=object), columns=pd.Index(columns, dtype=object), dtype=object)
    return RegressionTable(
        frame=frame,
        row_kinds=tuple(kinds),
        dependents=tuple(str(r.dependent) for r in models),
        show=show,
        stars=stars,
        extra_notes=_extra_notes(columns, models),
    )


# ====================================================================== helpers
def _columns(results) -> tuple[list[str], list[RegressionResult]]:
    if isinstance(results, Mapping):
        columns = [str(k) for k in results]
        models = list(results.values())
        where = [repr(k) for k in results]
    elif isinstance(results, Sequence) and not isinstance(results, (str, bytes)):
        models = list(results)
        columns = [f"({i + 1})" for i in range(len(models))]
        where = [f"at position {i}" for i in range(len(models))]
    else:
        raise InputError(f"results must be a sequence or mapping of RegressionResult, not {type(results).__name__}")
    if not models:
        raise InputError("results is empty; give at least one RegressionResult")
    for w, m in zip(where, models, strict=True):
        if not isinstance(m, RegressionResult):
            raise InputError(f"results: the entry {w} is a {type(m).__name__}, not a RegressionResult")
    if len(set(columns)) != len(columns):
        raise InputError(f"results: column labels {columns} are not unique")
    return columns, models


def _check_stars(stars: Sequence[float]) -> tuple[float, ...]:
    try:
        levels = tuple(float(s) for s in stars)
    except (TypeError, ValueError):
        raise InputError(f"stars must be a sequence of significance levels, e.g. (0.10, 0.05, 0.01), not {stars!r}") from None
    if any(not 0 < s < 1 for s in levels) or any(a <= b for a, b in zip(levels, levels[1:], strict=False)):
        raise InputError(f"stars={stars!r}: levels must lie in (0, 1) and strictly decrease, e.g. (0.10, 0.05, 0.01)")
    return levels


def _stat(res: RegressionResult, name: str):
    if name == "N":
        return res.nobs
    if name in res.stats:
        return res.stats[name]
    if name == "log-likelihood":
        return res.llf
    return None


def _num(v: float, digits: int) -> str:
    s = f"{v:.{digits}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return s


def _fmt_stat(v, digits: int) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return "" if math.isnan(float(v)) else _num(float(v), digits)
    return str(v)


def _level(s: float) -> str:
    """0.1 -> '0.10', 0.05 -> '0.05', 0.001 -> '0.001'."""
    for d in range(2, 10):
        text = f"{s:.{d}f}"
        if float(text) == s:
            return text
    return f"{s:g}"


def _suffix(cell: str) -> str:
    n = len(cell) - len(cell.rstrip(_STAR_SUFFIX))
    return cell[len(cell) - n :] if n else ""


def _extra_notes(columns: list[str], models: list[RegressionResult]) -> tuple[str, ...]:
    notes: list[str] = []
    covs = [m.cov_type for m in models]
    if len(set(covs)) == 1:
        if covs[0] != "nonrobust":
            notes.append(f"Covariance: {covs[0]}.")
    else:
        notes.append("Covariance: " + "; ".join(f"{c} {v}" for c, v in zip(columns, covs, strict=True)) + ".")
    seen: dict[str, list[str]] = {}
    for col, m in zip(columns, models, strict=True):
        for n in m.notes:
            seen.setdefault(str(n), []).append(col)
    for text, cols in seen.items():
        notes.append(f"{', '.join(cols)}: {text}")
    return tuple(notes)


_TEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "²": r"\textsuperscript{2}",
}


def _tex(text: str) -> str:
    return "".join(_TEX.get(ch, ch) for ch in text)


def _tex_cell(cell: str) -> str:
    suffix = cell[len(cell.rstrip("*")) :]
    core = cell[: len(cell) - len(suffix)]
    return _tex(core) + (f"$^{{{suffix}}}$" if suffix else "")


__all__ = ["DEFAULT_STATS", "RegressionTable", "ShowKind", "regression_table"]
