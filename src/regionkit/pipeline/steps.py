"""The steps of a study, as pure functions of the config section and upstream results."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..indices.agglomeration import agglomeration_indices, agglomeration_panel
from ..indices.composite import CompositeIndex, composite_index
from ..indices.coupling import CouplingResult, coupling_coordination
from ..indices.dispersion import DispersionResult, dispersion
from ..indices.environment import EnvironmentalDamage, environmental_damage
from ..indices.resilience import (
    ResilienceWindowsResult,
    resilience_industry_mix,
    resilience_windows,
    sensitivity_index,
)
from ..io.datasets import load_munnell, load_usjoin
from ..io.tables import read_panel, read_table
from ..io.vectors import JoinReport, join_geometry, read_regions
from ..panel import REGION, YEAR, Panel
from .config import (
    AgglomerationSection,
    CouplingSection,
    DataSection,
    DispersionSection,
    EnvironmentSection,
    NormalizationSection,
    ResilienceSection,
    SystemSection,
)


def resolve(base: Path, path: str) -> Path:
    """A config path relative to the config file's folder."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else (base / p)


def load_data(section: DataSection, base: Path) -> tuple[Panel, JoinReport | None, list[Path]]:
    """Load the panel (embedded dataset or user file), region attributes and geometry."""
    inputs: list[Path] = []
    if section.dataset == "munnell":
        return load_munnell(geometry=True), None, inputs
    if section.dataset == "usjoin":
        return load_usjoin(geometry=True), None, inputs
    if section.dataset == "synthetic_cities":  # generated, with stated true effects; no geometry
        from ..io.synthetic import synthetic_city_panel

        return synthetic_city_panel(), None, inputs
    path = resolve(base, section.path or "")
    inputs.append(path)
    panel = read_panel(
        path,
        layout=section.layout,
        region_col=section.region_col,
        year_col=section.year_col,
        variable_col=section.variable_col,
        value_col=section.value_col,
        variable_name=section.variable_name,
        name_col=section.name_col,
        group_cols=section.group_cols,
        sheet=section.sheet,
    )
    if section.regions_path:
        rpath = resolve(base, section.regions_path)
        inputs.append(rpath)
        attrs = read_table(rpath)
        if section.regions_id_col not in attrs.columns:
            raise InputError(f"{rpath}: no region id column {section.regions_id_col!r}; columns: {list(attrs.columns)}")
        attrs = attrs.set_index(section.regions_id_col)
        unknown = [r for r in attrs.index if r not in set(panel.regions_ids)]
        if unknown:
            raise InputError(f"{rpath}: unknown region id(s) {unknown[:10]} (not in {panel.source})")
        panel = panel.with_regions(attrs)
    report = None
    if section.geometry is not None:
        gpath = resolve(base, section.geometry.path)
        inputs.append(gpath)
        regions = read_regions(
            gpath, id_col=section.geometry.id_col, layer=section.geometry.layer,
            crs_if_missing=section.geometry.crs_if_missing,
        )
        panel, report = join_geometry(panel, regions)
    return panel, report, inputs


def build_composite(panel: Panel, system: SystemSection, norm: NormalizationSection) -> CompositeIndex:
    """A system's composite index over all region-years."""
    frame = panel.frame(list(system.indicators))
    return composite_index(
        frame,
        dict(system.indicators),
        name=system.name,
        weighting=system.weighting,
        weights=system.weights,
        scope=norm.scope,
        weight_scope=system.weight_scope,
        shift=norm.shift,
        shift_mode=norm.shift_mode,
    )


def build_coupling(composites: dict[str, CompositeIndex], section: CouplingSection) -> CouplingResult:
    """Coupling coordination of the chosen systems."""
    names = section.systems or list(composites)
    scores = pd.concat([composites[n].score for n in names], axis=1)
    scores.columns = names
    if float(scores.to_numpy().max()) > 1.0:
        # an additive shift can lift the best region slightly above 1
        scores = scores.clip(upper=1.0)
    return coupling_coordination(
        scores, form=section.form, weights=section.weights,
        bands=section.bands if isinstance(section.bands, str) else [tuple(b) for b in section.bands],
    )


def read_industry_table(panel: Panel, section: AgglomerationSection, base: Path) -> pd.DataFrame:
    """The long region-year-industry table of ``[agglomeration] path``, with checked columns and regions."""
    path = resolve(base, section.path or "")
    long = read_table(path)
    for c in (section.region_col, section.year_col, section.industry_col, section.value_col):
        if c not in long.columns:
            raise InputError(f"{path}: column {c!r} not found; columns: {list(long.columns)}")
    long = long.rename(columns={
        section.region_col: REGION, section.year_col: YEAR,
        section.industry_col: "industry", section.value_col: "value",
    })[[REGION, YEAR, "industry", "value"]]
    known = set(panel.regions_ids)
    unknown = sorted({r for r in long[REGION].unique() if r not in known}, key=str)
    if unknown:
        raise InputError(f"{path}: region id(s) {unknown[:10]} are not in the panel ({panel.source})")
    return long


def build_resilience_mix(long: pd.DataFrame, section: ResilienceSection) -> ResilienceWindowsResult:
    """Industry-mix resilience windows from a long region-year-industry table."""
    years = sorted(int(y) for y in long[YEAR].unique())
    if section.windows:
        windows = [tuple(w) for w in section.windows]
    else:
        windows = [(y - section.rolling, y) for y in years if y - section.rolling in years]
    rows = []
    for start, end in windows:
        tables = []
        for y in (start, end):
            part = long[long[YEAR] == y]
            if part.empty:
                raise InputError(f"industry table: no rows for year {y} (window {start}–{end})")
            tables.append(part.pivot_table(index=REGION, columns="industry", values="value", aggfunc="sum"))
        res = resilience_industry_mix(tables[0], tables[1], start=start, end=end)
        f = res.to_frame().rename_axis(REGION).reset_index()
        f["reference_growth"] = res.national_growth
        rows.append(f[[REGION, "start", "end", "kind", "reference_growth", "index", "index_aggregate"]])
    table = pd.concat(rows, ignore_index=True)
    return ResilienceWindowsResult(table=table, reference="national growth of each industry (industry mix)")


def _resilience_inputs(panel: Panel, section: ResilienceSection):
    """Region × year table, reference (name or a reference region's series) and groups of a section.

    With ``reference = "region:<id>"`` that region becomes the reference series
    and is removed from the regions compared with it.
    """
    wide = panel.wide(section.variable)
    groups = panel.group(section.group) if section.group else None
    if not section.reference.startswith("region:"):
        return wide, section.reference, groups
    rid = next(r for r in panel.regions_ids if str(r) == section.reference[7:])
    groups = groups.drop(index=rid) if groups is not None else None
    return wide.drop(index=rid), wide.loc[rid], groups


def build_resilience(panel: Panel, section: ResilienceSection) -> ResilienceWindowsResult:
    """Resilience windows of one variable."""
    wide, reference, groups = _resilience_inputs(panel, section)
    return resilience_windows(
        wide,
        windows=[tuple(w) for w in section.windows] if section.windows else None,
        rolling=section.rolling,
        reference=reference,
        groups=groups,
    )


def build_sensitivity(panel: Panel, section: ResilienceSection, windows: list[tuple[int, int]]) -> pd.DataFrame:
    """Martin (2012) sensitivity index β per region for each resilience window."""
    wide, reference, groups = _resilience_inputs(panel, section)
    parts = []
    for start, end in windows:
        res = sensitivity_index(wide, start=start, end=end, reference=reference, groups=groups)
        part = res.frame[["beta"]].rename_axis(REGION).reset_index()
        part["start"], part["end"] = start, end
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def build_environment(panel: Panel, section: EnvironmentSection) -> EnvironmentalDamage:
    """Comprehensive environmental damage index over all region-years."""
    emissions = panel.frame(section.pollutants)
    base = panel.frame([section.base])[section.base] if section.base else None
    return environmental_damage(emissions, base=base, name=section.name)


def build_agglomeration(panel: Panel, section: AgglomerationSection, base: Path):
    """Per region-year agglomeration indices and per-industry indices of the last year."""
    if section.path:
        long = read_industry_table(panel, section, base)
    else:
        frame = panel.frame(section.variables).reset_index()
        long = frame.melt(id_vars=[REGION, YEAR], var_name="industry", value_name="value")
    per_region = agglomeration_panel(long)
    last = int(long[YEAR].max())
    table = long[long[YEAR] == last].pivot(index=REGION, columns="industry", values="value")
    table.columns = [str(c) for c in table.columns]
    per_industry = agglomeration_indices(table)
    return per_region, per_industry, last, table


def build_dispersion(panel: Panel, variable: str, grouping: str | None, section: DispersionSection) -> DispersionResult:
    """Dispersion of a panel variable (results already merged into the panel)."""
    groups = panel.group(grouping) if grouping else None
    return dispersion(panel.wide(variable), groups=groups, ddof=section.ddof, variable=variable)
