"""Read region × year panels from CSV or XLSX, in long or wide layout, with named errors.

Layouts
-------
``"wide"``
    One row per region-year, one column per variable (``region, year, gdp, emp, ...``).
``"long"``
    One row per region-year-variable (``region, year, variable, value``).
``"years"``
    One row per region, one column per year, for a single variable
    (``region, 1929, 1930, ...``), as many statistical offices publish.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from .._checks import check_option
from ..errors import InputError
from ..panel import REGION, YEAR, Panel

Layout = Literal["wide", "long", "years"]


def read_table(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV (optionally gzipped) or XLSX file into a DataFrame; a missing file is named."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    suffixes = "".join(path.suffixes).lower()
    try:
        if suffixes.endswith((".xlsx", ".xlsm", ".xls")):
            return pd.read_excel(path, sheet_name=0 if sheet is None else sheet)
        if suffixes.endswith((".csv", ".csv.gz", ".txt", ".tsv")):
            sep = "\t" if suffixes.endswith(".tsv") else ","
            return pd.read_csv(path, sep=sep)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise InputError(f"{path}: cannot be read as a table ({exc})") from exc
    raise InputError(f"{path}: unsupported table format {suffixes!r}; use .csv, .csv.gz, .tsv or .xlsx")


def read_panel(
    path: str | Path,
    *,
    layout: Layout = "wide",
    region_col: str = REGION,
    year_col: str = YEAR,
    variables: Sequence[str] | None = None,
    variable_col: str = "variable",
    value_col: str = "value",
    variable_name: str | None = None,
    name_col: str | None = None,
    group_cols: Sequence[str] = (),
    sheet: str | int | None = None,
) -> Panel:
    """Read a panel file (CSV/XLSX) in ``wide``, ``long`` or ``years`` layout.

    Parameters
    ----------
    path : path-like
        CSV (``.csv``, ``.csv.gz``, ``.tsv``) or Excel (``.xlsx``) file.
    layout : {"wide", "long", "years"}
        See the module docstring.
    region_col, year_col : str
        Names of the region-id and year columns.
    variables : sequence of str, optional
        Variables to keep (``wide``/``long``); default all numeric columns.
    variable_col, value_col : str
        Columns of the ``long`` layout.
    variable_name : str, optional
        Name of the single variable of the ``years`` layout (default: file stem).
    name_col : str, optional
        Column holding region display names.
    group_cols : sequence of str
        Columns holding region groups (constant within a region).
    sheet : str or int, optional
        Excel sheet.

    Returns
    -------
    Panel

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from regionkit.io.tables import read_panel
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "p.csv").write_text("region,year,gdp\\nA,2000,1\\nA,2001,2\\nB,2000,3\\nB,2001,4\\n")
    >>> read_panel(d / "p.csv").wide("gdp").shape
    (2, 2)
    """
    check_option("layout", layout, Layout)
    source = str(path)
    raw = read_table(path, sheet=sheet)
    raw.columns = [str(c).strip() for c in raw.columns]
    attrs_cols = [c for c in [name_col, *group_cols] if c]
    if layout == "years":
        _need(raw, [region_col, *attrs_cols], source)
        year_cols = [c for c in raw.columns if c not in (region_col, *attrs_cols) and _is_year(c)]
        if not year_cols:
            raise InputError(f"{source}: layout 'years' needs columns named by year (e.g. 1929, 1930)")
        name = variable_name or Path(path).name.split(".")[0]
        frame = raw.melt(id_vars=[region_col, *attrs_cols], value_vars=year_cols, var_name=year_col, value_name=name)
        frame[year_col] = frame[year_col].astype(int)
        variables = [name]
    elif layout == "long":
        _need(raw, [region_col, year_col, variable_col, value_col, *attrs_cols], source)
        if variables is not None:
            unknown = sorted(set(variables) - set(raw[variable_col].astype(str)))
            if unknown:
                raise InputError(f"{source}: column {variable_col!r} has no variable(s) {unknown}")
            raw = raw[raw[variable_col].astype(str).isin(list(variables))]
        key = [region_col, year_col, variable_col]
        dup = raw.duplicated(key, keep=False)
        if dup.any():
            r = raw.loc[dup].iloc[0]
            raise InputError(
                f"{source}: region {r[region_col]!r}, year {r[year_col]}, variable {r[variable_col]!r} "
                f"appears {int(dup.sum())} times (duplicated rows)"
            )
        values = _numeric(raw[value_col], raw, region_col, year_col, source, value_col, variable_col)
        raw = raw.assign(**{value_col: values})
        frame = raw.pivot(index=[region_col, year_col], columns=variable_col, values=value_col)
        frame.columns = [str(c) for c in frame.columns]
        variables = list(frame.columns)
        frame = frame.reset_index()
        if attrs_cols:
            attrs = raw[[region_col, *attrs_cols]].drop_duplicates(region_col)
            frame = frame.merge(attrs, on=region_col, how="left")
    else:
        _need(raw, [region_col, year_col, *attrs_cols], source)
        frame = raw
        if variables is not None:
            _need(raw, variables, source)
    regions = _region_attributes(frame, region_col, name_col, group_cols, source)
    if variables is None:
        variables = [
            c for c in frame.columns if c not in (region_col, year_col, *attrs_cols)
        ]
        text_cols = [c for c in variables if not _looks_numeric(frame[c])]
        if text_cols:
            raise InputError(
                f"{source}: column(s) {text_cols} hold text, not numbers; declare them as the region "
                "name or group columns (name_col / group_cols) or list the numeric variables explicitly"
            )
    panel = Panel.from_frame(
        frame, region_col=region_col, year_col=year_col, variables=variables, source=source
    )
    if regions is not None:
        panel = panel.with_regions(regions)
    return panel


def check_panel_frame(
    frame: pd.DataFrame,
    *,
    region_col: str = REGION,
    year_col: str = YEAR,
    variables: Sequence[str] | None = None,
    source: str = "<memory>",
    exclude: Sequence[str] = (),
) -> pd.DataFrame:
    """Validate a wide-layout frame and return it indexed by ``(region, year)``.

    Raises :class:`~regionkit.errors.InputError` for: missing id columns,
    non-integer years, duplicated region-years, missing region-years (an
    unbalanced panel), and non-numeric or missing values — naming source,
    column, region and year.
    """
    _need(frame, [region_col, year_col], source)
    if variables is None:
        variables = [c for c in frame.columns if c not in (region_col, year_col, *exclude)]
        text_cols = [c for c in variables if not _looks_numeric(frame[c])]
        if text_cols:
            raise InputError(
                f"{source}: column(s) {text_cols} hold text, not numbers; declare them as the region "
                "name or group columns (name_col / group_cols) or list the numeric variables explicitly"
            )
        if not variables:
            raise InputError(f"{source}: no numeric variable columns besides {region_col!r} and {year_col!r}")
    else:
        variables = list(variables)
        _need(frame, variables, source)
    years = pd.to_numeric(frame[year_col], errors="coerce")
    bad = years.isna() | (years != np.floor(years))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(
            f"{source}: column {year_col!r}, region {frame[region_col].iloc[i]!r}: "
            f"year '{frame[year_col].iloc[i]}' is not an integer year"
        )
    ids = frame[region_col]
    if ids.isna().any():
        i = int(np.argmax(ids.isna().to_numpy()))
        raise InputError(f"{source}: column {region_col!r}, row {i + 2}: missing region id")
    out = pd.DataFrame(index=pd.MultiIndex.from_arrays([ids.to_numpy(), years.astype(int).to_numpy()], names=[REGION, YEAR]))
    dup = out.index.duplicated(keep=False)
    if dup.any():
        r, y = out.index[np.argmax(dup)]
        raise InputError(f"{source}: region {r!r}, year {y} appears more than once (duplicated region-year)")
    for v in variables:
        out[str(v)] = _numeric(frame[v], frame, region_col, year_col, source, v).to_numpy()
    # balance
    region_order = list(pd.unique(ids))
    year_order = sorted(pd.unique(out.index.get_level_values(YEAR)))
    full = pd.MultiIndex.from_product([region_order, year_order], names=[REGION, YEAR])
    if len(full) != len(out):
        missing = full.difference(out.index)
        shown = ", ".join(f"{r!r} {y}" for r, y in list(missing)[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise InputError(f"{source}: missing region-year(s): {shown}{more} (the panel must be balanced)")
    return out.reindex(full)


def _numeric(
    col: pd.Series,
    frame: pd.DataFrame,
    region_col: str,
    year_col: str,
    source: str,
    name: str,
    variable_col: str | None = None,
) -> pd.Series:
    values = pd.to_numeric(col, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        idx = np.flatnonzero(bad.to_numpy())
        i = idx[0]
        what = f"variable {frame[variable_col].iloc[i]!r}, " if variable_col else ""
        raw = col.iloc[i]
        kind = "missing" if pd.isna(raw) else f"non-numeric {raw!r}" if not _is_number(raw) else f"non-finite {raw!r}"
        raise InputError(
            f"{source}: column {name!r}, {what}region {frame[region_col].iloc[i]!r}, "
            f"year {frame[year_col].iloc[i]}: {kind} value ({len(idx)} bad cell(s) in this column)"
        )
    return values.astype(float)


def _region_attributes(
    frame: pd.DataFrame, region_col: str, name_col: str | None, group_cols: Sequence[str], source: str
) -> pd.DataFrame | None:
    cols = [c for c in [name_col, *group_cols] if c]
    if not cols:
        return None
    attrs = frame[[region_col, *cols]]
    n = attrs.drop_duplicates().groupby(region_col).size()
    if (n > 1).any():
        r = n.index[np.argmax((n > 1).to_numpy())]
        raise InputError(f"{source}: region {r!r} has more than one value in column(s) {cols} (must be constant per region)")
    attrs = attrs.drop_duplicates(region_col).set_index(region_col)
    attrs.index.name = REGION
    if name_col:
        attrs = attrs.rename(columns={name_col: "name"})
    return attrs


def _need(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{source}: column(s) {', '.join(map(repr, missing))} not found; "
            f"columns present: {', '.join(map(str, frame.columns))}"
        )


def _looks_numeric(col: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(col):
        return True
    converted = pd.to_numeric(col, errors="coerce")
    return bool(converted.notna().any())


def _is_number(x: object) -> bool:
    try:
        float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _is_year(c: object) -> bool:
    s = str(c)
    return s.isdigit() and 1000 <= int(s) <= 3000
