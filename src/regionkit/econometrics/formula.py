"""A small, safe model-formula language: ``"y ~ log(x) + z + I(w**2)"``.

Grammar
-------
``formula := term "~" rhs``; ``rhs`` is a list of terms joined by ``+`` at
the top level (outside parentheses).  A term is

* a column name (``fdi``); a name that is not a Python identifier is written
  in backticks (```gdp growth```);
* one of the functions ``log``, ``log1p``, ``sqrt``, ``exp``, ``abs`` applied
  to a column or to arithmetic on columns (``log(gdp / pop)``);
* ``I(expr)``, where ``expr`` is arithmetic on columns and numbers with
  ``+ - * / **``, unary minus and the functions above (``I(x**2)``,
  ``I(log(a) - log(b))``).

The intercept is included (as a column ``"const"``, first) unless the
right-hand side contains ``- 1``, ``+ 0`` or starts with ``0 +`` / ``-1 +``;
``+ 1`` states it explicitly.  Nothing else can be removed with ``-``.

The formula is parsed with Python's :mod:`ast` module and every node is
checked against a whitelist before evaluation; no Python code is ever run.
No row is ever dropped: a missing or non-finite value, a logarithm of a
non-positive value, a non-finite result, or perfectly collinear regressors
is an :class:`~regionkit.errors.InputError` that names the term, the
region and year (when the index carries them) and how many rows are affected.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import InputError

CONST = "const"

_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "log1p": np.log1p,
    "sqrt": np.sqrt,
    "exp": np.exp,
    "abs": np.abs,
}
# function -> (valid-argument test, words for the message)
_DOMAINS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], str]] = {
    "log": (lambda v: v > 0, "non-positive"),
    "log1p": (lambda v: v > -1, "<= -1"),
    "sqrt": (lambda v: v >= 0, "negative"),
}
_BINOPS: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
    ast.Pow: np.power,
}
_MAX_NAMED = 3


# ====================================================================== result
@dataclass(frozen=True)
class Design:
    """Response and design matrix built from a formula.

    Attributes
    ----------
    formula : str
        The formula as given.
    dependent : str
        Name of the dependent variable (the left-hand term, e.g. ``"log(gdp)"``).
    y : pandas.Series
        The dependent variable, indexed like the data, named ``dependent``.
    X : pandas.DataFrame
        Regressors, indexed like the data: ``"const"`` first when the model
        has an intercept, then one column per term in formula order.
    terms : tuple of str
        Canonical names of the right-hand terms (without ``"const"``).
    intercept : bool
        Whether ``X`` has the ``"const"`` column.
    columns_used : tuple of str
        Data columns the formula reads, in order of first use.

    Notes
    -----
    No row is dropped: every row of the data is a row of ``y`` and ``X``.
    """

    formula: str
    dependent: str
    y: pd.Series
    X: pd.DataFrame
    terms: tuple[str, ...]
    intercept: bool
    columns_used: tuple[str, ...]

    @property
    def nobs(self) -> int:
        """Number of rows."""
        return len(self.y)

    def to_frame(self) -> pd.DataFrame:
        """``y`` and ``X`` side by side (the dependent first)."""
        return pd.concat([self.y, self.X], axis=1)

    def summary(self) -> str:
        """One line per fact: formula, rows, dependent, regressors."""
        return "\n".join([
            f"Formula: {self.formula}",
            f"Rows: {self.nobs} (none dropped)",
            f"Dependent: {self.dependent}",
            f"Regressors: {', '.join(map(str, self.X.columns)) or '(none)'}",
            f"Data columns used: {', '.join(self.columns_used)}",
        ])


# ====================================================================== public
def design(formula: str, data: pd.DataFrame, *, check_rank: bool = True) -> Design:
    """Build ``y`` and ``X`` from a formula and a data frame.

    Parameters
    ----------
    formula : str
        ``"dependent ~ term + term + ..."`` (see the module docstring).
    data : pandas.DataFrame
        One column per variable; the index (e.g. ``(region, year)``) is kept
        and used to name rows in error messages.
    check_rank : bool, default True
        Raise when the columns of ``X`` are perfectly collinear, naming a
        minimal set of collinear columns (see :func:`collinear_columns`).

    Returns
    -------
    Design

    Raises
    ------
    InputError
        Empty or malformed formula, unknown column (the available ones are
        listed), unsupported syntax, duplicate terms, missing or non-finite
        data, a logarithm/square root outside its domain, non-finite results,
        perfect collinearity.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 4.0, 3.0], "x": [1.0, 2.0, 3.0, 5.0],
    ...                    "z": [0.0, 1.0, 0.0, 2.0]})
    >>> d = design("y ~ log(x) + I(z**2)", df)
    >>> d.dependent, list(d.X.columns)
    ('y', ['const', 'log(x)', 'I(z ** 2)'])
    >>> d.X["I(z ** 2)"].tolist()
    [0.0, 1.0, 0.0, 4.0]
    >>> list(design("y ~ x - 1", df).X.columns)
    ['x']
    >>> design("y ~ log(z)", df)
    Traceback (most recent call last):
    ...
    regionkit.errors.InputError: term 'log(z)': log of a non-positive value in 'z' in 2 row(s), first at row 0 (value 0)
    """
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    parsed = _parse(formula)
    _check_known_columns(parsed, data)
    if len(data) == 0:
        raise InputError(f"formula {formula!r}: the data have no rows")
    env = _Evaluator(data, parsed.names)

    y = pd.Series(env.term(parsed.lhs, parsed.lhs_name), index=data.index, name=parsed.lhs_name)
    cols: dict[str, np.ndarray] = {}
    if parsed.intercept:
        cols[CONST] = np.ones(len(data))
    for name, node in zip(parsed.term_names, parsed.term_nodes, strict=True):
        cols[name] = env.term(node, name)
    X = pd.DataFrame(cols, index=data.index)
    if check_rank:
        check_full_rank(X, what=f"formula {formula!r}")
    return Design(
        formula=formula,
        dependent=parsed.lhs_name,
        y=y,
        X=X,
        terms=tuple(parsed.term_names),
        intercept=parsed.intercept,
        columns_used=tuple(env.used),
    )


def collinear_columns(X: pd.DataFrame, *, tol: float = 1e-9) -> tuple[str, ...]:
    """A minimal set of perfectly collinear columns of ``X``, or ``()`` if it has full column rank.

    Columns are scaled to unit length and added one at a time; the first
    column that lies (within ``tol``) in the span of the previous independent
    columns forms, with the columns its least-squares representation uses, a
    minimal linearly dependent set (no proper subset is dependent).  An
    all-zero column is a dependent set by itself.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"const": 1.0, "a": [1.0, 2.0, 3.0, 4.0],
    ...                   "b": [0.0, 1.0, 0.0, 1.0], "c": [2.0, 3.0, 4.0, 5.0]})
    >>> collinear_columns(X)
    ('const', 'a', 'c')
    >>> collinear_columns(X[["a", "b"]])
    ()
    """
    values = X.to_numpy(dtype=float)
    basis: list[int] = []
    q = np.zeros((values.shape[0], 0))
    for j in range(values.shape[1]):
        col = values[:, j]
        norm = np.linalg.norm(col)
        if norm == 0:
            return (str(X.columns[j]),)
        u = col / norm
        resid = u - q @ (q.T @ u)
        resid = resid - q @ (q.T @ resid)  # re-orthogonalise (Gram-Schmidt twice)
        r = np.linalg.norm(resid)
        if r <= tol:
            scaled = values[:, basis] / np.linalg.norm(values[:, basis], axis=0)
            coef = np.linalg.lstsq(scaled, u, rcond=None)[0]
            keep = np.abs(coef) > 1e-8 * np.abs(coef).max()
            members = sorted([b for b, k in zip(basis, keep, strict=True) if k] + [j])
            return tuple(str(X.columns[m]) for m in members)
        q = np.column_stack([q, resid / r])
        basis.append(j)
    return ()


def check_full_rank(X: pd.DataFrame, *, what: str = "design") -> None:
    """Raise an :class:`InputError` naming a minimal set of collinear columns and their relation.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 4.0, 6.0]})
    >>> check_full_rank(X, what="example")
    Traceback (most recent call last):
    ...
    regionkit.errors.InputError: example: perfectly collinear regressors 'a', 'b' ('b' = 2 × 'a'); drop one of them
    """
    members = collinear_columns(X)
    if not members:
        return
    if len(members) == 1:
        raise InputError(f"{what}: regressor {members[0]!r} is zero in every row")
    last = members[-1]
    rest = list(members[:-1])
    coef = np.linalg.lstsq(X[rest].to_numpy(dtype=float), X[last].to_numpy(dtype=float), rcond=None)[0]
    parts = []
    for c, name in zip(coef, rest, strict=True):
        num = f"{abs(c):.6g}"
        sign = "-" if c < 0 else "+"
        parts.append(f"{sign} {name!r}" if num == "1" else f"{sign} {num} × {name!r}")
    relation = " ".join(parts)
    relation = relation[2:] if relation.startswith("+ ") else "-" + relation[2:]
    raise InputError(
        f"{what}: perfectly collinear regressors {', '.join(map(repr, members))} "
        f"({last!r} = {relation}); drop one of them"
    )


def row_label(index: pd.Index, position: int) -> str:
    """Describe one row for a message: ``"region 'A', year 2001"`` or ``"row 3"``.

    Examples
    --------
    >>> import pandas as pd
    >>> idx = pd.MultiIndex.from_tuples([("A", 2000), ("B", 2001)], names=["region", "year"])
    >>> row_label(idx, 1)
    "region 'B', year 2001"
    >>> row_label(pd.RangeIndex(3), 2)
    'row 2'
    """
    label = index[position]
    names = list(index.names)
    if isinstance(index, pd.MultiIndex) and all(n is not None for n in names):
        return ", ".join(_name_value(n, v) for n, v in zip(names, label, strict=True))
    if not isinstance(index, pd.MultiIndex) and index.name is not None:
        return _name_value(index.name, label)
    return f"row {label!r}" if not isinstance(label, (int, np.integer)) else f"row {label}"


# ====================================================================== parsing
@dataclass(frozen=True)
class _Parsed:
    lhs: ast.expr
    lhs_name: str
    term_nodes: list[ast.expr]
    term_names: list[str]
    intercept: bool
    names: dict[str, str]  # placeholder -> column name


def mask_backticks(formula: str) -> tuple[str, dict[str, str]]:
    """Replace each backticked name by a placeholder ``__qN__``; return the text and the mapping.

    Shared by the fixed-effects parser here and the lme4-style parser of
    :mod:`regionkit.econometrics.mixed`.
    """
    if formula.count("`") % 2:
        raise InputError(f"formula {formula!r}: unbalanced backtick")
    names: dict[str, str] = {}

    def _quote(m: re.Match) -> str:
        key = f"__q{len(names)}__"
        names[key] = m.group(1)
        return key

    return re.sub(r"`([^`]*)`", _quote, formula), names


def _parse(formula: object) -> _Parsed:
    if not isinstance(formula, str):
        raise InputError(f"formula must be a string, not {type(formula).__name__}")
    if not formula.strip():
        raise InputError("empty formula; write e.g. 'y ~ x1 + log(x2)'")
    text, names = mask_backticks(formula)
    if text.count("~") != 1:
        raise InputError(f"formula {formula!r}: needs exactly one '~' between the dependent and the terms")
    lhs_text, rhs_text = (s.strip() for s in text.split("~"))
    if not lhs_text:
        raise InputError(f"formula {formula!r}: no dependent variable left of '~'")
    if not rhs_text:
        raise InputError(f"formula {formula!r}: no terms right of '~' (write '~ 1' for a constant only)")

    lhs = _parse_term(lhs_text, formula, names)
    lhs_name = _canonical(lhs, names)
    intercept = True
    nodes: list[ast.expr] = []
    term_names: list[str] = []
    for sign, piece in _split_terms(rhs_text, formula, names):
        if piece in {"0", "1"}:
            if sign == "-" and piece == "0":
                raise InputError(f"formula {formula!r}: '- 0' is not supported; write '+ 1' or '- 1'")
            intercept = piece == "1" and sign == "+"
            continue
        if sign == "-":
            raise InputError(
                f"formula {formula!r}: '- {_restore(piece, names)}' is not supported; "
                "only the intercept can be removed ('- 1')"
            )
        node = _parse_term(piece, formula, names)
        nodes.append(node)
        term_names.append(_canonical(node, names))

    dups = [t for i, t in enumerate(term_names) if t in term_names[:i]]
    if dups:
        raise InputError(f"formula {formula!r}: duplicate term(s) {', '.join(map(repr, dict.fromkeys(dups)))}")
    if lhs_name in term_names:
        raise InputError(f"formula {formula!r}: the dependent {lhs_name!r} is also a regressor")
    if CONST in term_names and intercept:
        raise InputError(
            f"formula {formula!r}: a term named {CONST!r} clashes with the intercept column; "
            "rename the column or remove the intercept with '- 1'"
        )
    if not term_names and not intercept:
        raise InputError(f"formula {formula!r}: no regressors (no terms and no intercept)")
    return _Parsed(lhs, lhs_name, nodes, term_names, intercept, names)


def _split_terms(rhs: str, formula: str, names: dict[str, str]) -> list[tuple[str, str]]:
    """Split at top-level ``+``/``-`` (outside parentheses) into (sign, text) pieces."""
    pieces: list[tuple[str, str]] = []
    depth = 0
    sign = "+"
    start = 0
    for i, ch in enumerate(rhs):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise InputError(f"formula {formula!r}: unbalanced ')'")
        elif ch in "+-" and depth == 0:
            piece = rhs[start:i].strip()
            if piece or pieces:  # a leading sign ("-1 + x") has nothing before it
                pieces.append((sign, piece))
            sign = ch
            start = i + 1
    if depth != 0:
        raise InputError(f"formula {formula!r}: unbalanced '('")
    pieces.append((sign, rhs[start:].strip()))
    for _, piece in pieces:
        if not piece:
            raise InputError(f"formula {formula!r}: empty term (a '+' or '-' with nothing on one side)")
    return pieces


def _parse_term(text: str, formula: str, names: dict[str, str]) -> ast.expr:
    shown = _restore(text, names)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise InputError(f"formula {formula!r}: cannot read term {shown!r}") from None
    if isinstance(node, ast.Name):
        return node
    if isinstance(node, ast.Call):
        _check_call(node, formula, shown)
        _check_expr(node.args[0], formula, shown)
        return node
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        raise InputError(
            f"formula {formula!r}: term {shown!r} is arithmetic; wrap it in I(), e.g. 'I({shown})' "
            "(terms are joined by '+' only)"
        )
    raise InputError(f"formula {formula!r}: term {shown!r} is not a column, a function of columns or I(...)")


def _call_name(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _check_call(node: ast.Call, formula: str, shown: str) -> None:
    name = _call_name(node)
    if name != "I" and name not in _FUNCTIONS:
        allowed = ", ".join([*_FUNCTIONS, "I"])
        raise InputError(f"formula {formula!r}: term {shown!r}: unknown function; allowed: {allowed}")
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        raise InputError(f"formula {formula!r}: term {shown!r}: {name}() takes exactly one argument")


def _check_expr(node: ast.expr, formula: str, shown: str) -> None:
    if isinstance(node, ast.Name):
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise InputError(f"formula {formula!r}: term {shown!r}: only numbers may appear as constants")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise InputError(f"formula {formula!r}: term {shown!r}: operator not allowed; use + - * / **")
        _check_expr(node.left, formula, shown)
        _check_expr(node.right, formula, shown)
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise InputError(f"formula {formula!r}: term {shown!r}: operator not allowed; use + - * / **")
        _check_expr(node.operand, formula, shown)
        return
    if isinstance(node, ast.Call):
        _check_call(node, formula, shown)
        _check_expr(node.args[0], formula, shown)
        return
    raise InputError(f"formula {formula!r}: term {shown!r}: syntax not allowed in a formula")


def _canonical(node: ast.expr, names: dict[str, str]) -> str:
    if isinstance(node, ast.Name):
        return names.get(node.id, node.id)
    text = ast.unparse(node)
    for key, col in names.items():
        text = text.replace(key, f"`{col}`")
    return text


def _restore(text: str, names: dict[str, str]) -> str:
    for key, col in names.items():
        text = text.replace(key, f"`{col}`")
    return text


def _column_names(node: ast.expr, names: dict[str, str]) -> list[str]:
    return [names.get(n.id, n.id) for n in ast.walk(node) if isinstance(n, ast.Name) and not _is_func(n, node)]


def _is_func(name: ast.Name, root: ast.expr) -> bool:
    return any(isinstance(c, ast.Call) and c.func is name for c in ast.walk(root))


def _check_known_columns(parsed: _Parsed, data: pd.DataFrame) -> None:
    wanted: list[str] = []
    for node in [parsed.lhs, *parsed.term_nodes]:
        wanted += _column_names(node, parsed.names)
    available = {str(c) for c in data.columns}
    missing = list(dict.fromkeys(w for w in wanted if w not in available))
    if missing:
        raise InputError(
            f"formula: column(s) {', '.join(map(repr, missing))} not found; "
            f"available columns: {', '.join(map(str, data.columns))}"
        )


# ====================================================================== evaluation
class _Evaluator:
    def __init__(self, data: pd.DataFrame, names: dict[str, str]) -> None:
        self.data = data
        self.names = names
        self.index = data.index
        self.used: list[str] = []
        self._cache: dict[str, np.ndarray] = {}
        self._lookup = {str(c): c for c in data.columns}

    def term(self, node: ast.expr, name: str) -> np.ndarray:
        with np.errstate(all="ignore"):
            values = self._eval(node, name)
        values = np.broadcast_to(np.asarray(values, dtype=float), (len(self.index),)).copy()
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            raise InputError(
                f"term {name!r}: {int(bad.sum())} non-finite value(s) (division by zero, overflow or "
                f"a power of a negative number), first at {row_label(self.index, first)}"
            )
        return values

    def column(self, col: str) -> np.ndarray:
        if col in self._cache:
            return self._cache[col]
        series = self.data[self._lookup[col]]
        if isinstance(series, pd.DataFrame):
            raise InputError(f"column {col!r} appears more than once in the data")
        if not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
            raise InputError(f"column {col!r} is not numeric (dtype {series.dtype})")
        values = series.to_numpy(dtype=float, na_value=np.nan)
        bad = ~np.isfinite(values)
        if bad.any():
            first = int(np.argmax(bad))
            raise InputError(
                f"column {col!r}: {int(bad.sum())} missing or non-finite value(s), "
                f"first at {row_label(self.index, first)}; no rows are dropped, fill or remove them first"
            )
        self._cache[col] = values
        self.used.append(col)
        return values

    def _eval(self, node: ast.expr, term: str) -> np.ndarray | float:
        if isinstance(node, ast.Name):
            return self.column(self.names.get(node.id, node.id))
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, term), self._eval(node.right, term))
        if isinstance(node, ast.UnaryOp):
            value = self._eval(node.operand, term)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Call):
            name = _call_name(node)
            arg = self._eval(node.args[0], term)
            if name == "I":
                return arg
            if name in _DOMAINS:
                ok, words = _DOMAINS[name]
                arr = np.broadcast_to(np.asarray(arg, dtype=float), (len(self.index),))
                bad = ~ok(arr) & np.isfinite(arr)
                if bad.any():
                    first = int(np.argmax(bad))
                    inner = _canonical(node.args[0], self.names)
                    raise InputError(
                        f"term {term!r}: {name} of a {words} value in {inner!r} in {int(bad.sum())} row(s), "
                        f"first at {row_label(self.index, first)} (value {arr[first]:g})"
                    )
            return _FUNCTIONS[name](arg)
        raise InputError(f"term {term!r}: syntax not allowed")  # pragma: no cover - checked at parse


def _name_value(name: Hashable, value: object) -> str:
    if isinstance(value, (int, np.integer)):
        return f"{name} {value}"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{name} {int(value)}"
    return f"{name} {value!r}"


__all__ = ["CONST", "Design", "check_full_rank", "collinear_columns", "design", "row_label"]
