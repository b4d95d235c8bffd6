"""The tidy region × year panel, the core type of regionkit.

A :class:`Panel` holds numeric variables indexed by ``(region, year)``, the
attributes of every region (a display name and any number of grouping
columns such as ``bea_region`` or ``coastal``) and, optionally, one geometry
per region.  It is immutable: every method returns a new object or a copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InputError

REGION = "region"
YEAR = "year"


@dataclass(frozen=True)
class Panel:
    """Region × year × variable panel with region attributes and optional geometry.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric variables in columns, indexed by a ``(region, year)``
        MultiIndex.  Every region has every year (a balanced panel) and no
        cell is missing; :func:`Panel.from_frame` checks this and names the
        offending region-years.
    regions : pandas.DataFrame
        One row per region id (the index), with at least a ``name`` column;
        further columns are region groups or attributes.
    geometry : geopandas.GeoDataFrame, optional
        One geometry per region id (index), with a CRS.
    source : str
        Where the data came from (file name or dataset), used in messages.

    Examples
    --------
    >>> import pandas as pd
    >>> from regionkit.panel import Panel
    >>> long = pd.DataFrame({"region": ["A", "A", "B", "B"], "year": [2000, 2001] * 2,
    ...                      "gdp": [1.0, 2.0, 3.0, 4.0]})
    >>> p = Panel.from_frame(long)
    >>> p.regions_ids, p.years
    (['A', 'B'], [2000, 2001])
    >>> p.wide("gdp").loc["B", 2001]
    np.float64(4.0)
    """

    data: pd.DataFrame
    regions: pd.DataFrame
    geometry: object | None = None
    source: str = "<memory>"
    _hash: str | None = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------------ build
    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        region_col: str = REGION,
        year_col: str = YEAR,
        variables: Sequence[str] | None = None,
        regions: pd.DataFrame | None = None,
        source: str = "<memory>",
    ) -> Panel:
        """Build a panel from a frame with region and year columns and one column per variable.

        Checks: the id columns exist; no duplicated region-year; every region
        has every year; every variable cell is numeric and finite.  Each
        problem raises :class:`~regionkit.errors.InputError` naming the
        source, column, region and year.
        """
        from .io.tables import check_panel_frame  # local import: io depends on panel

        data = check_panel_frame(
            frame, region_col=region_col, year_col=year_col, variables=variables, source=source
        )
        ids = data.index.get_level_values(REGION).unique()
        if regions is None:
            regions = pd.DataFrame({"name": [str(i) for i in ids]}, index=pd.Index(ids, name=REGION))
        else:
            regions = _check_regions(regions, ids, source=source)
        return cls(data=data, regions=regions, geometry=None, source=source)

    # -------------------------------------------------------------- accessors
    @property
    def regions_ids(self) -> list:
        """Region ids in panel order."""
        return list(self.regions.index)

    @property
    def years(self) -> list[int]:
        """Sorted years of the panel."""
        return sorted(int(y) for y in self.data.index.get_level_values(YEAR).unique())

    @property
    def variables(self) -> list[str]:
        """Variable (column) names."""
        return [str(c) for c in self.data.columns]

    @property
    def groupings(self) -> list[str]:
        """Names of the region attribute columns usable as groups (all but ``name``)."""
        return [c for c in self.regions.columns if c != "name"]

    def wide(self, variable: str) -> pd.DataFrame:
        """One variable as a region × year table (regions as rows, years as columns)."""
        self._check_variables([variable])
        out = self.data[variable].unstack(YEAR)
        return out.loc[self.regions.index]

    def frame(self, variables: Iterable[str] | None = None) -> pd.DataFrame:
        """A copy of the (region, year)-indexed data, optionally restricted to ``variables``."""
        if variables is None:
            return self.data.copy()
        variables = list(variables)
        self._check_variables(variables)
        return self.data[variables].copy()

    def group(self, grouping: str) -> pd.Series:
        """The group label of every region for a grouping column (e.g. ``"bea_region"``)."""
        if grouping not in self.regions.columns:
            raise InputError(
                f"{self.source}: region grouping {grouping!r} not found; "
                f"available groupings: {', '.join(self.groupings) or '(none)'}"
            )
        return self.regions[grouping].copy()

    def names(self) -> pd.Series:
        """Display name of every region."""
        return self.regions["name"].copy()

    # ---------------------------------------------------------------- derive
    def with_variables(self, new: pd.DataFrame) -> Panel:
        """A new panel with extra (or replaced) variables aligned on (region, year)."""
        if not new.index.equals(self.data.index):
            new = new.reindex(self.data.index)
        data = self.data.copy()
        for c in new.columns:
            data[c] = new[c].to_numpy()
        return Panel(data=data, regions=self.regions, geometry=self.geometry, source=self.source)

    def with_regions(self, regions: pd.DataFrame) -> Panel:
        """A new panel with region attributes replaced (ids must match)."""
        regions = _check_regions(regions, self.regions.index, source=self.source)
        return Panel(data=self.data, regions=regions, geometry=self.geometry, source=self.source)

    def with_geometry(self, geometry: object) -> Panel:
        """A new panel carrying a GeoDataFrame indexed by region id (see :func:`regionkit.io.vectors.join_geometry`)."""
        return Panel(data=self.data, regions=self.regions, geometry=geometry, source=self.source)

    def select(
        self,
        *,
        years: Iterable[int] | None = None,
        regions: Iterable | None = None,
        variables: Iterable[str] | None = None,
    ) -> Panel:
        """A sub-panel; unknown years, regions or variables raise an error naming them."""
        data = self.data
        reg = self.regions
        if years is not None:
            years = [int(y) for y in years]
            unknown = sorted(set(years) - set(self.years))
            if unknown:
                raise InputError(
                    f"{self.source}: year(s) {unknown} outside the panel "
                    f"({self.years[0]}–{self.years[-1]})"
                )
            data = data[data.index.get_level_values(YEAR).isin(years)]
        if regions is not None:
            regions = list(regions)
            unknown = [r for r in regions if r not in self.regions.index]
            if unknown:
                raise InputError(f"{self.source}: unknown region id(s) {unknown}")
            data = data[data.index.get_level_values(REGION).isin(regions)]
            reg = reg.loc[regions]
        if variables is not None:
            variables = list(variables)
            self._check_variables(variables)
            data = data[variables]
        geom = self.geometry
        if geom is not None and regions is not None:
            geom = geom.loc[[r for r in reg.index if r in geom.index]]
        return Panel(data=data.copy(), regions=reg.copy(), geometry=geom, source=self.source)

    def check_positive(self, variables: Iterable[str], *, strict: bool = True, purpose: str = "logs") -> None:
        """Raise naming region, year and variable of the first non-positive (or negative) value."""
        for v in variables:
            self._check_variables([v])
            s = self.data[v]
            bad = s <= 0 if strict else s < 0
            if bad.any():
                (r, y) = s.index[np.argmax(bad.to_numpy())]
                kind = "positive" if strict else "non-negative"
                raise InputError(
                    f"{self.source}: column {v!r}, region {r!r}, year {y}: value {s.loc[(r, y)]:g} "
                    f"but {purpose} need {kind} values ({int(bad.sum())} such cell(s))"
                )

    def content_hash(self) -> str:
        """A stable hash of the data and region attributes (for caching and provenance)."""
        import hashlib

        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.data, index=True).to_numpy().tobytes())
        h.update(pd.util.hash_pandas_object(self.regions.astype(str), index=True).to_numpy().tobytes())
        h.update(",".join(map(str, self.data.columns)).encode())
        h.update(",".join(map(str, self.regions.columns)).encode())
        return h.hexdigest()[:16]

    def summary(self) -> str:
        """One-paragraph description of the panel."""
        y = self.years
        geo = "with geometry" if self.geometry is not None else "without geometry"
        return (
            f"Panel from {self.source}: {len(self.regions)} regions × {len(y)} years "
            f"({y[0]}–{y[-1]}) × {len(self.variables)} variables, {geo}; "
            f"groupings: {', '.join(self.groupings) or '(none)'}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Long copy: region, year, region attributes, then the variables."""
        out = self.data.reset_index()
        attrs = self.regions.reset_index()
        return attrs.merge(out, on=REGION, how="right")[
            [REGION, YEAR, *self.regions.columns, *self.data.columns]
        ]

    def _check_variables(self, variables: Iterable[str]) -> None:
        missing = [v for v in variables if v not in self.data.columns]
        if missing:
            raise InputError(
                f"{self.source}: variable(s) {', '.join(map(repr, missing))} not in the panel; "
                f"available: {', '.join(self.variables)}"
            )


def _check_regions(regions: pd.DataFrame, ids: Iterable, *, source: str) -> pd.DataFrame:
    regions = regions.copy()
    if regions.index.name != REGION:
        regions.index.name = REGION
    if regions.index.duplicated().any():
        dup = list(regions.index[regions.index.duplicated()].unique())
        raise InputError(f"{source}: region attributes list region id(s) {dup} more than once")
    ids = list(ids)
    missing = [i for i in ids if i not in regions.index]
    if missing:
        raise InputError(f"{source}: region attributes lack region id(s) {missing}")
    regions = regions.loc[ids]
    if "name" not in regions.columns:
        regions.insert(0, "name", [str(i) for i in regions.index])
    return regions
