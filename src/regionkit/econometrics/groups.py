"""Fit one model on all regions and on each group of regions (e.g. East / Central / West)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError, RegionkitError
from .results import RegressionResult

ALL = "All"


@dataclass(frozen=True)
class GroupRuns(Mapping):
    """Results of one model fitted on all regions and on every region group.

    A read-only, ordered mapping ``label -> RegressionResult`` (``"All"``
    first when included, then the groups in order of first appearance in the
    ``groups`` series); it can be passed straight to
    :func:`regionkit.econometrics.tables.regression_table`.

    Attributes
    ----------
    results : Mapping[str, RegressionResult]
        The fits, in order.
    members : Mapping[str, tuple]
        Region ids of every group (``"All"``: every region of the data).
    grouping : str
        Name of the ``groups`` series (e.g. ``"bea_region"``), or ``""``.
    """

    results: Mapping[str, RegressionResult]
    members: Mapping[str, tuple]
    grouping: str = ""

    def __getitem__(self, label: str) -> RegressionResult:
        try:
            return self.results[label]
        except KeyError:
            raise KeyError(f"no group {label!r}; groups: {', '.join(self.results)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def to_frame(self) -> pd.DataFrame:
        """Long coefficient table: one row per (group, term) with coef, std err, t/z, p and N."""
        parts = []
        for label, res in self.results.items():
            frame = res.to_frame().rename(columns={"t": "t/z", "z": "t/z"})
            frame.insert(0, "group", label)
            frame["N"] = res.nobs
            parts.append(frame.rename_axis("term").reset_index())
        return pd.concat(parts, ignore_index=True).set_index(["group", "term"])

    def summary(self) -> str:
        """One line per group: label, regions, N, then each fit's summary."""
        head = [f"Fits by group{f' ({self.grouping})' if self.grouping else ''}:"]
        head += [
            f"  {label}: {len(self.members[label])} region(s), N = {res.nobs}"
            for label, res in self.results.items()
        ]
        body = [f"--- {label} ---\n{res.summary()}" for label, res in self.results.items()]
        return "\n".join(head + body)


def fit_by_group(
    fit: Callable[..., RegressionResult],
    data: pd.DataFrame,
    *,
    groups: pd.Series,
    include_all: bool = True,
    min_obs: int | None = None,
    **kwargs: Any,
) -> GroupRuns:
    """Fit the same model on all regions and on the regions of each group.

    Parameters
    ----------
    fit : callable
        A model function returning a :class:`RegressionResult`; it is called
        as ``fit(data=subset, **kwargs)`` (e.g. :func:`~regionkit.econometrics.panel.panel_ols`
        with ``formula=...``, ``model=...`` in ``kwargs``).
    data : pandas.DataFrame or regionkit.panel.Panel
        Indexed by ``(region, year)`` (region = first level).
    groups : pandas.Series
        Group label of every region, indexed by region id (e.g.
        ``panel.group("bea_region")``).  Every region of ``data`` needs a
        label; regions listed here but absent from ``data`` are ignored.
    include_all : bool, default True
        Fit on all regions first, under the label ``"All"``.
    min_obs : int, optional
        Refuse groups with fewer rows than this before fitting (otherwise
        the model's own checks apply).
    **kwargs
        Passed on to ``fit``.

    Returns
    -------
    GroupRuns

    Raises
    ------
    InputError
        Regions without a label, a group with too few observations, or any
        error of a fit, re-raised as ``"group 'West': <message>"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from regionkit.econometrics.panel import panel_ols
    >>> idx = pd.MultiIndex.from_product([list("ABCDEF"), range(2000, 2006)],
    ...                                  names=["region", "year"])
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"x": rng.normal(size=36)}, index=idx)
    >>> df["y"] = 1 + 2 * df.x + rng.normal(scale=0.1, size=36)
    >>> g = pd.Series(["East"] * 3 + ["West"] * 3, index=list("ABCDEF"))
    >>> runs = fit_by_group(panel_ols, df, groups=g, formula="y ~ x", model="pooled")
    >>> list(runs), [r.nobs for r in runs.values()]
    (['All', 'East', 'West'], [36, 18, 18])
    """
    if data is not None and hasattr(data, "regions") and hasattr(data, "data"):
        data = data.data  # a regionkit Panel
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if not isinstance(groups, pd.Series):
        raise InputError(f"groups must be a pandas Series (region -> label), not {type(groups).__name__}")
    if not callable(fit):
        raise InputError("fit must be a callable returning a RegressionResult")
    if groups.index.duplicated().any():
        dup = list(groups.index[groups.index.duplicated()].unique())
        raise InputError(f"groups: region id(s) {dup} listed more than once")
    region_level = data.index.get_level_values(0)
    regions = list(pd.unique(region_level))
    missing = [r for r in regions if r not in groups.index or pd.isna(groups.get(r))]
    if missing:
        raise InputError(
            f"groups: no group label for region(s) {missing[:10]}"
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        )
    used = groups[groups.index.isin(regions)]
    labels = [str(lab) for lab in pd.unique(used)]
    if include_all and ALL in labels:
        raise InputError(f"groups: a group is called {ALL!r}, which clashes with the all-regions fit; rename it or pass include_all=False")

    subsets: dict[str, tuple[tuple, pd.DataFrame]] = {}
    if include_all:
        subsets[ALL] = (tuple(regions), data)
    label_of = used.astype(str)
    for lab in labels:
        members = tuple(r for r in regions if label_of[r] == lab)
        subsets[lab] = (members, data[np.isin(region_level, np.asarray(members, dtype=object))])

    results: dict[str, RegressionResult] = {}
    for lab, (members, subset) in subsets.items():
        if min_obs is not None and len(subset) < min_obs:
            raise InputError(
                f"group {lab!r}: too few observations ({len(subset)} row(s) from {len(members)} region(s); "
                f"at least {min_obs} needed)"
            )
        try:
            res = fit(data=subset, **kwargs)
        except (RegionkitError, ValueError, ArithmeticError, np.linalg.LinAlgError) as err:
            raise InputError(f"group {lab!r}: {err}") from err
        if not isinstance(res, RegressionResult):
            raise InputError(f"group {lab!r}: fit returned {type(res).__name__}, not a RegressionResult")
        results[lab] = res
    members_map = {lab: m for lab, (m, _) in subsets.items()}
    return GroupRuns(
        results=MappingProxyType(results),
        members=MappingProxyType(members_map),
        grouping=str(groups.name) if groups.name is not None else "",
    )


__all__ = ["ALL", "GroupRuns", "fit_by_group"]
