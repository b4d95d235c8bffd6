"""Generate docs/config-reference.md from the pydantic models of ``regionkit.pipeline.config``.

Walks :class:`~regionkit.pipeline.config.StudyConfig` recursively and writes one
section per TOML table (``[data]``, ``[[systems]]``, ``[spatial.classify]``, …)
with every key: its type, default, allowed values, numeric bounds and a
description.  Descriptions come, in this order, from ``Field(description=...)``,
from the comment on the field's line in ``config.py`` and from :data:`NOTES`
below; the rules the validators enforce are listed from the messages they raise.

Usage (from the repository root)::

    python docs/gen_config_reference.py            # writes docs/config-reference.md
    python docs/gen_config_reference.py --check    # exit 1 if the page is out of date
    python docs/gen_config_reference.py --stdout   # print instead of writing

``tests/test_docs.py`` runs :func:`render` and compares it with the committed page.
"""

from __future__ import annotations

import argparse
import ast
import functools
import inspect
import io
import sys
import tokenize
import types
import typing
from dataclasses import dataclass
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from regionkit.pipeline import config as C

PAGE = Path(__file__).resolve().parent / "config-reference.md"

# Descriptions of keys whose line in config.py carries no comment (read from the code that
# uses them: pipeline/steps.py, *_step.py, report/).  Keyed by "ModelName.field".
NOTES: dict[str, str] = {
    # [study]
    "StudySection.title": "Title of the study; heads the HTML report.",
    "StudySection.output": "Output folder, relative to the study file (`regionkit run --output` overrides it).",
    "StudySection.author": "Author line printed under the report title.",
    # [data]
    "DataSection.dataset": "An embedded real dataset instead of a file: `munnell` (48 US states 1970–1986) "
    "or `usjoin` (per-capita income 1929–2009). Give exactly one of `dataset` and `path`.",
    "DataSection.path": "Your panel file (CSV or XLSX), relative to the study file.",
    "DataSection.layout": "`wide`: one row per region and year, one column per variable; `long`: one row "
    "per region, year and variable (`variable_col`, `value_col`); `years`: one row per region, one column "
    "per year, for a single variable (`variable_name`).",
    "DataSection.region_col": "Column holding the region id.",
    "DataSection.year_col": "Column holding the year (layouts `wide` and `long`).",
    "DataSection.variable_col": "Column holding the variable name (layout `long`).",
    "DataSection.value_col": "Column holding the value (layout `long`).",
    "DataSection.variable_name": "Name of the single variable of a `years` layout.",
    "DataSection.name_col": "Column with region names (used in tables, maps and messages).",
    "DataSection.group_cols": "Columns holding region groupings (e.g. East/Central/West), used by `groups`, "
    "`[[resilience]] group`, `[[models]] by`.",
    "DataSection.sheet": "Worksheet of an XLSX file (name or 0-based position).",
    "DataSection.regions_path": "Optional table of region attributes (e.g. groupings) joined on `regions_id_col`.",
    "DataSection.regions_id_col": "Region id column of `regions_path`.",
    "DataSection.geometry": "Region polygons, see `[data.geometry]`; needed by `[spatial]` and the maps.",
    "GeometrySection.path": "GeoPackage, GeoJSON or Shapefile with one polygon per region.",
    "GeometrySection.id_col": "Column of the geometry file matching the panel's region ids.",
    "GeometrySection.layer": "Layer of a multi-layer file (GeoPackage).",
    "GeometrySection.crs_if_missing": "CRS to assume when the file declares none (e.g. `EPSG:4326`).",
    # [normalization]
    "NormalizationSection.scope": "Min-max extremes over all region-years (`global`, comparable over time) "
    "or within each year (`year`).",
    "NormalizationSection.shift": "Shift that keeps entropy logarithms finite (see `shift_mode`).",
    "NormalizationSection.shift_mode": "`add`: z + shift; `rescale`: shift + (1 − shift)·z (values in "
    "[shift, 1]); `band`: shift + (1 − 2·shift)·z (values in [shift, 1 − shift]).",
    # [[systems]]
    "SystemSection.name": "System name; becomes a result column (its composite index U).",
    "SystemSection.indicators": "Indicator → `positive` (larger is better) or `negative`.",
    "SystemSection.weighting": "Entropy weights, equal weights, or your own (`user`, needs `weights`).",
    "SystemSection.weights": "User weights per indicator (non-negative, rescaled to sum 1); only with "
    "`weighting = \"user\"`.",
    "SystemSection.weight_scope": "Entropy weights from all region-years (`pooled`) or one vector per year.",
    # [coupling]
    "CouplingSection.systems": "Systems coupled (at least two); default: all `[[systems]]`.",
    "CouplingSection.form": "Coupling degree C: `standard` (geometric over arithmetic mean), `wang2021` "
    "(Wang et al. 2021) or `fan` (dispersion form). See the coupling method page.",
    "CouplingSection.weights": "Weights α of the development index T (default equal; rescaled to sum 1).",
    "CouplingSection.bands": "Classes of D: `\"3\"` (low/moderate/high), `\"10\"` (ten grades) or a list of "
    "`[upper bound, label]` pairs ending at 1.",
    "CouplingSection.map_years": "Years of the class maps (default: first, middle and last year).",
    # [[resilience]]
    "ResilienceSection.variable": "Panel variable (e.g. employment, GDP).",
    "ResilienceSection.windows": "Explicit `[start, end]` windows, e.g. `[[2007, 2009], [2009, 2014]]`.",
    "ResilienceSection.rolling": "Instead of `windows`: every window (t − rolling, t) in the panel.",
    "ResilienceSection.reference": "Reference economy: `total` (sum of all regions), `mean` (their unweighted "
    "mean, for per-capita variables), `group` (the total of the region's group) or `region:<id>` (one "
    "region, which is then left out of the compared regions).",
    "ResilienceSection.industry_mix": "Expected change from the national growth of each industry "
    "(shift-share) instead of the aggregate; needs `[agglomeration] path`.",
    "ResilienceSection.group": "Region grouping used with `reference = \"group\"`.",
    # [agglomeration]
    "AgglomerationSection.path": "Long region-year-industry table (CSV/XLSX), relative to the study file.",
    "AgglomerationSection.region_col": "Region id column of `path`.",
    "AgglomerationSection.year_col": "Year column of `path`.",
    "AgglomerationSection.industry_col": "Industry column of `path`.",
    "AgglomerationSection.value_col": "Value (employment or output) column of `path`.",
    "AgglomerationSection.variables": "Instead of `path`: panel variables treated as the industries.",
    "AgglomerationSection.label": "What the columns are called in tables (e.g. `sector`).",
    # [environment]
    "EnvironmentSection.pollutants": "Pollutant emission variables of the panel (at least two).",
    "EnvironmentSection.base": "Denominator variable of the intensities (GDP, value added, area); "
    "without it emissions are compared with the cross-regional mean.",
    "EnvironmentSection.name": "Name of the resulting index column.",
    # [dispersion]
    "DispersionSection.variables": "Variables or results (`C`, `T`, `D`, system names) whose range, CV and "
    "Theil index are tabulated per year.",
    "DispersionSection.ddof": "Delta degrees of freedom of the standard deviation in the CV (1 = sample).",
    # [spatial]
    "SpatialSection.variables": "Variables or results (default the coordination degree `D`).",
    "SpatialSection.weights": "Weights schemes, see `[[spatial.weights]]`; LISA, Gi* and maps use the first.",
    "SpatialSection.years": "Years of the local statistics and maps (default: first, middle, last).",
    "SpatialSection.permutations": "Random permutations for pseudo p-values (0: analytic only).",
    "SpatialSection.alternative": "Permutation (and analytic) p-values: `two-sided` (default), `greater`, "
    "`less` or `folded` (esda/GeoDa pseudo p).",
    "SpatialSection.adjust": "Multiple-comparison adjustment of the local significance threshold.",
    "SpatialSection.alpha": "Significance level of LISA clusters and hot spots.",
    "SpatialSection.seed": "Seed of the permutations (the same seed gives the same p-values).",
    "SpatialSection.hotspots": "Also compute Getis–Ord Gi* hot and cold spots.",
    "SpatialSection.classify": "Classification of the class maps, see `[spatial.classify]`.",
    "WeightsSpec.name": "Name of the scheme (unique; used in tables and file names).",
    "WeightsSpec.kind": "`queen`/`rook` contiguity, `knn`, `distance_band`, `inverse_distance` or a weights "
    "`file` (GAL, GWT, CSV edge list).",
    "WeightsSpec.k": "Number of neighbours for `kind = \"knn\"`.",
    "WeightsSpec.threshold": "Distance threshold for `distance_band` (required) and `inverse_distance` (optional).",
    "WeightsSpec.unit": "Unit of `threshold`: CRS units or kilometres (great-circle for lon/lat).",
    "WeightsSpec.power": "Distance-decay exponent of `inverse_distance` (w = d^−power).",
    "WeightsSpec.path": "Weights file for `kind = \"file\"`.",
    "WeightsSpec.transform": "`R`: row-standardised; `B`: binary/raw weights.",
    "WeightsSpec.islands": "Regions without neighbours: `error`, `drop`, link to the `nearest` region, or `keep`.",
    "ClassifySpec.method": "Class-map breaks: exact natural breaks (Fisher–Jenks), quantiles, equal "
    "intervals, mean ± standard deviations, or user `breaks`.",
    "ClassifySpec.k": "Number of classes.",
    "ClassifySpec.breaks": "Upper bounds for `method = \"user\"`.",
    # [[models]]
    "ModelSpec.name": "Name of the specification (table title and file names).",
    "ModelSpec.formula": "`\"D ~ log(x) + z + I(w**2)\"`; see the formula language of "
    "`regionkit.econometrics.formula`.",
    "ModelSpec.estimator": "Pooled `tobit`, random-effects `re_tobit`, dummy fixed-effects `fe_tobit`, "
    "`mundlak_tobit`, or linear `pooled`, `fe`, `fe_twoway`, `re`.",
    "ModelSpec.left": "Left censoring limit of the Tobit models (none: no limit).",
    "ModelSpec.right": "Right censoring limit of the Tobit models (none: no limit).",
    "ModelSpec.cov_type": "Covariance: classical, robust (sandwich) or clustered by region.",
    "ModelSpec.quadrature": "Quadrature of the random-effects Tobit likelihood.",
    "ModelSpec.points": "Number of quadrature points.",
    "ModelSpec.by": "Region grouping: the model is also fitted on each group.",
    "ModelSpec.hausman": "Add the Hausman test of FE against RE (linear `fe` or `re` only).",
    "ModelSpec.years": "Fit on these years only.",
    # [indicator_system]
    "IndicatorSystemSection.name": "Name of the total index column.",
    "IndicatorSystemSection.dimensions": "Dimension → {indicator → `positive` | `negative`}.",
    "IndicatorSystemSection.weighting": "Indicator weights: entropy, equal or `user`.",
    "IndicatorSystemSection.weights": "User weights per indicator (with `weighting = \"user\"`).",
    "IndicatorSystemSection.dimension_weights": "`sum`: one weighting over all indicators, dimension score = "
    "sum of its weighted indicators; `entropy`/`equal`/a table: weights within dimensions, then "
    "dimension weights.",
    "IndicatorSystemSection.top_k": "Number of main obstacles listed per city and year.",
    # [population]
    "PopulationSection.registered": "Registered (hukou) population variable.",
    "PopulationSection.resident": "Resident (de facto) population variable.",
    "PopulationSection.name": "Name of the result column S.",
    "PopulationSection.tolerance": "Half-width of the `stable` band around S = 0.",
    "PopulationSection.tolerance_mode": "Band on S (`absolute`) or on S / registered (`relative`).",
    # [rationalization]
    "RationalizationSection.value_added": "Sector → value-added variable.",
    "RationalizationSection.employment": "Sector → employment variable (same sectors).",
    "RationalizationSection.name": "Name of the result column.",
    # [[ratios]]
    "RatioSpec.name": "Name of the ratio indicator.",
    "RatioSpec.numerators": "Variables added up in the numerator.",
    "RatioSpec.denominator": "Denominator variable (e.g. population).",
    "RatioSpec.scale": "Multiplier (e.g. 10000 for \"per 10,000 inhabitants\").",
    # [[mixed_models]]
    "MixedModelSpec.name": "Model label in the comparison table.",
    "MixedModelSpec.formula": "lme4-style formula, e.g. `\"y ~ x1 + x2 + (1 | city) + (1 | year)\"`.",
    "MixedModelSpec.method": "Restricted or full maximum likelihood.",
    # [[mediation]]
    "MediationSpec.name": "Name of the analysis.",
    "MediationSpec.x": "Treatment (column or formula term).",
    "MediationSpec.m": "Parallel mediators.",
    "MediationSpec.y": "Outcome.",
    "MediationSpec.covariates": "Control variables in every equation.",
    "MediationSpec.n_boot": "Bootstrap replications (0: Sobel tests only).",
    "MediationSpec.ci": "Bootstrap interval of the indirect effects.",
    "MediationSpec.alpha": "Significance level (intervals of coverage 1 − alpha).",
    "MediationSpec.cluster": "Resample whole regions (cluster bootstrap, cluster-robust path SEs).",
    "MediationSpec.outcome": "Outcome equations by OLS or by a linear mixed model.",
    "MediationSpec.outcome_random": "Random part of the mixed outcome model.",
    "MediationSpec.seed": "Seed of the bootstrap.",
    # [report]
    "ReportSection.figure_formats": "Formats of the figure files (the report embeds PNG).",
    "ReportSection.dpi": "Resolution of raster figures.",
    # [ecology]
    "EcologySection.inputs": "Name → raster path (or `dataset:<name>` for an embedded raster) or a constant "
    "number. `lulc` is always needed; water yield needs `precipitation`, `et0`, `root_depth`, `pawc`; soil "
    "conservation needs `dem`, `erosivity`, `erodibility`.",
    "EcologySection.vectors": "Name → vector path (or `dataset:<name>`), for `boundary` and vector threats.",
    "EcoServicesSpec.biophysical": "Land-use table (CSV path, or inline array of tables) with columns "
    "`lucode`, `lulc_veg`, `root_depth`, `kc` (water yield) and `usle_c`, `usle_p` (soil conservation).",
    "EcoServicesSpec.carbon_pools": "Land-use table with `lucode`, `c_above`, `c_below`, `c_soil`, `c_dead` "
    "(Mg C/ha).",
    "EcoServicesSpec.sensitivity": "Land-use table with `lucode`, `habitat` (0–1) and one sensitivity column "
    "per threat name.",
    "ReclassSpec.layer": "Layer reclassified: `lulc`, `slope` (degrees, from the DEM), `elevation`, "
    "`service_grade` (the importance grades) or any other input name.",
    "ReclassSpec.classes": "Code → resistance value (for class layers such as land use).",
    "ReclassSpec.ranges": "Rows `[low, high, resistance]` of half-open ranges [low, high) (continuous layers).",
    "EcoSourcesSpec.top_grades": "Importance grades that make sources (default: the highest grade).",
    "EcoServicesSpec.models": "Services computed and overlaid.",
    "EcoServicesSpec.half_saturation": "Half-saturation constant k of habitat quality.",
    "EcoServicesSpec.z": "Scaling exponent z of habitat quality (InVEST fixes 2.5).",
    "EcoServicesSpec.seasonality": "Seasonality constant Z of the water-yield model.",
    "EcoServicesSpec.threshold_flow_accumulation": "Flow accumulation (cells) above which a cell is a stream (SDR).",
    "EcoServicesSpec.sdr_k": "Borselli calibration parameter k of the SDR.",
    "EcoServicesSpec.ic0": "Borselli parameter IC0 of the SDR.",
    "EcoServicesSpec.sdr_max": "Maximum sediment delivery ratio.",
    "EcoServicesSpec.l_max": "Upper bound of the slope-length factor L.",
    "EcoServicesSpec.flow_dir": "Flow routing: multiple (`mfd`) or single (`d8`) flow direction.",
    "EcoServicesSpec.grading": "Method of the importance grades.",
    "EcoServicesSpec.grades": "Number of importance grades.",
    "ThreatSpec.name": "Threat name (a column of the sensitivity table).",
    "ThreatSpec.weight": "Relative weight of the threat (normalised by the sum).",
    "ThreatSpec.decay": "Decay of the threat's effect with distance.",
    "ReclassSpec.name": "Factor name (used by `weights` / `ahp.factors`).",
    "AHPSpec.factors": "Factor names in the row/column order of `matrix`.",
    "AHPSpec.matrix": "Pairwise comparison matrix on Saaty's 1–9 scale (reciprocal).",
    "EcoConnectivitySpec.thresholds_m": "Dispersal distances (m) of the PC threshold sweep.",
    "EcoConnectivitySpec.p": "Direct dispersal probability at the threshold distance.",
    "EcoConnectivitySpec.distance": "Edge-to-edge distances between sources: straight line or least cost.",
    "EcoConnectivitySpec.grades": "Importance levels of the sources by natural breaks of dPC.",
    "EcoResistanceSpec.factors": "Reclassified resistance factors, see `[[ecology.resistance.factors]]`.",
    "EcoResistanceSpec.weights": "Factor weights (default equal); or give `ahp`.",
    "EcoResistanceSpec.ahp": "AHP comparison matrix giving the factor weights.",
    "EcoCorridorsSpec.pairs": "`adjacent`: sources whose cost-allocation zones touch (Linkage Mapper); "
    "`all`: every pair.",
    "EcoCorridorsSpec.max_cost_distance": "Drop corridors costing more.",
    "EcoCorridorsSpec.max_euclidean_km": "Drop corridors between sources farther apart (edge to edge, km).",
    "EcologySection.grid": "The common study grid, see `[ecology.grid]`.",
    "EcologySection.services": "Ecosystem services, see `[ecology.services]`.",
    "EcologySection.sources": "Ecological sources, see `[ecology.sources]`.",
    "EcologySection.connectivity": "Landscape connectivity, see `[ecology.connectivity]`.",
    "EcologySection.resistance": "Resistance surface, see `[ecology.resistance]`; needed for corridors.",
    "EcologySection.corridors": "Corridors, see `[ecology.corridors]`.",
    # [coagglomeration]
    "CoaggSection.distance": "Transport distance: exact W₂², entropic Sinkhorn cost, or debiased Sinkhorn "
    "divergence.",
    "CoaggSection.representation": "Firms as points, or as histograms on a grid of `cell_size_km` cells.",
    "CoaggSection.cell_size_km": "Grid cell side for `representation = \"grid\"`.",
    "CoaggSection.draws": "Counterfactual industries R per industry size.",
    "CoaggSection.alpha": "Significance threshold on Coagg.",
    "CoaggSection.sequential": "Stop each pair once its decision is certain (Besag–Clifford; same decisions).",
    "CoaggSection.seed": "Seed of the counterfactual draws.",
    "CoaggSection.executor": "Run the Monte Carlo tasks serially or on a Dask cluster.",
    "CoaggSection.n_workers": "Workers of a local Dask cluster.",
    "CoaggSection.outliers": "Outlier screening, see `[coagglomeration.outliers]`.",
    "CoaggSection.core": "Core industries, see `[coagglomeration.core]`.",
    "CoaggSection.density": "Kernel densities, see `[coagglomeration.density]`.",
    "CoaggSection.lon_col": "Column of the longitudes (x in `crs`).",
    "CoaggSection.lat_col": "Column of the latitudes (y in `crs`).",
    "CoaggSection.city_col": "Column of an integer city code (needed by `cities` and `on_unknown_city`).",
    "CoaggSection.unknown_city": "The city code meaning \"unknown\" (0 in the Chen et al. 2020 data).",
    "CoaggSection.on_unknown_city": "Rows with the unknown city code: keep them (still reported), drop them "
    "or stop with an error.",
    "CoaggSection.min_firms": "Industries with fewer firms are left out of the matrix (their firms stay in "
    "the pool of counterfactual locations).",
    "CoaggOutlierSpec.policy": "Report the flagged firms, or drop them before the analysis.",
    "EcoServicesSpec.threats": "Threats of the habitat-quality model, see `[[ecology.services.threats]]`.",
    "EcoSourcesSpec.min_area_km2": "Smallest source patch kept (km²).",
    "CoaggCoreSpec.n": "Keep the top n industries by frequency (default 10).",
    "CoaggCoreSpec.share": "Or keep the top share of industries.",
    "CoaggDensitySpec.kernel": "Kernel: quartic (ArcGIS Kernel Density) or Gaussian.",
    "CoaggDensitySpec.cell_km": "Cell size of the density rasters (km).",
    "CoaggDensitySpec.industries": "`core` or a list of industry codes.",
    # [conflicts]
    "ConflictSection.activity": "`coagglomeration`: the kernel density of the `[coagglomeration]` firms on the "
    "ecology study grid; or the path of an activity raster (resampled onto the grid).",
    "ConflictSection.severities": "Severity levels of your own `rules`, least to most severe.",
    "ConflictClassesSpec.k": "Number of activity classes.",
    "ConflictClassesSpec.method": "Classification of the activity surface.",
    "ConflictUnitsSpec.id_col": "Unique id column of the units.",
    "ConflictUnitsSpec.layer": "Layer of a multi-layer file (GeoPackage).",
    "ConflictUnitsSpec.name_col": "Column with unit names.",
    # top level
    "StudyConfig.groups": "Region groupings (columns of the panel's region attributes) for group means, "
    "the Theil decomposition and group maps.",
}

# Intro of models without a docstring, by TOML path.
INTROS: dict[str, str] = {
    "study": "Title, output folder and author of the study.",
    "data": "The regional panel: an embedded dataset or your own CSV/XLSX file, with optional region "
    "attributes and geometry.",
    "data.geometry": "Region polygons joined to the panel by id.",
    "normalization": "Min-max normalisation of the indicators of every `[[systems]]` table.",
    "systems": "A system of indicators (e.g. economy, environment) combined into a composite index U.",
    "coupling": "Coupling degree C, development T and coordination degree D of two or more systems.",
    "resilience": "Resistance / recovery indices (Martin et al. 2016) of one variable over windows; "
    "repeat the table for several variables.",
    "spatial.classify": "Classification of the class maps.",
    "dispersion": "Range, coefficient of variation and Theil index of variables across regions per year.",
    "report": "Figure files of the report (formats and resolution).",
    "ecology.services.threats": "A habitat-quality threat (one table per threat).",
    "ecology.resistance": "Resistance surface: reclassified factors and their weights.",
    "ecology.resistance.ahp": "Analytic Hierarchy Process weights of the resistance factors.",
    "ecology.services": "Ecosystem-service models (InVEST 3.20 equivalents), their overlay and grades.",
    "ecology.sources": "Ecological sources: patches of the top importance grade(s).",
    "ecology.connectivity": "Probability of Connectivity and dPC of the sources (Conefor).",
    "ecology.corridors": "Least-cost corridors between sources.",
}


@dataclass
class Table:
    path: str  # TOML path, e.g. "spatial.weights"
    model: type[BaseModel]
    array: bool  # [[path]] (a list of tables)
    parent: str | None


# ------------------------------------------------------------------------------------------ source comments
@functools.cache
def _source() -> tuple[dict[str, ast.ClassDef], dict[str, ast.FunctionDef], dict[int, str]]:
    """Class and function nodes of config.py and its comments by line (parsed once)."""
    text = inspect.getsource(C)
    tree = ast.parse(text)
    classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(text).readline) if tok.type == tokenize.COMMENT}
    return classes, funcs, comments


def _field_comments(model: type[BaseModel]) -> dict[str, str]:
    """The trailing comment of every field line of a model's class body (multi-line fields: any line)."""
    classes, _, comments = _source()
    cls = classes.get(model.__name__)
    out: dict[str, str] = {}
    for node in getattr(cls, "body", []):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found = [comments[n] for n in range(node.lineno, (node.end_lineno or node.lineno) + 1) if n in comments]
            if found:
                out[node.target.id] = " ".join(found)
    return out


def _messages(func_node: ast.AST) -> list[str]:
    """Messages of ``raise ValueError(...)`` and ``problems.append(...)`` in a function body."""
    msgs = []
    for node in sorted(ast.walk(func_node), key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0))):
        arg = None
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and getattr(node.exc.func, "id", "") == "ValueError":
            arg = node.exc.args[0] if node.exc.args else None
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
              and getattr(node.func.value, "id", "") == "problems" and node.args):
            arg = node.args[0]
        if arg is not None:
            text = _string_of(arg)
            if text and text not in msgs:
                msgs.append(text)
    return msgs


def _string_of(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                inner = ast.unparse(v.value)
                parts.append("…" if any(c in inner for c in "()[]") else f"<{inner.split('.')[-1]}>")
        return "".join(parts)
    return None


def _rules(model: type[BaseModel]) -> list[str]:
    """Messages of the validators (and of module functions they call), in source order."""
    classes, funcs, _ = _source()
    msgs: list[str] = []
    for node in getattr(classes.get(model.__name__), "body", []):
        if isinstance(node, ast.FunctionDef) and any("validator" in ast.unparse(d) for d in node.decorator_list):
            msgs += _messages(node)
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in funcs:
                    msgs += _messages(funcs[call.func.id])
    return list(dict.fromkeys(msgs))


# ------------------------------------------------------------------------------------------ types
def _strip_optional(tp):
    args = typing.get_args(tp)
    if _is_union(tp) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return (rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]), True  # noqa: UP007
    return tp, False


def _is_union(tp) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _models_in(tp) -> list[tuple[type[BaseModel], bool]]:
    """Models a field holds: (model, is_list)."""
    tp, _ = _strip_optional(tp)
    if _is_model(tp):
        return [(tp, False)]
    if typing.get_origin(tp) is list:
        (inner,) = typing.get_args(tp) or (None,)
        if _is_model(inner):
            return [(inner, True)]
    return []


def _type_text(tp, tables: dict[type, Table]) -> str:
    tp, optional = _strip_optional(tp)
    text = _type_inner(tp, tables)
    return text + (" or none" if optional else "")


def _type_inner(tp, tables) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is str:
        return "string"
    if tp is bool:
        return "boolean"
    if tp is int:
        return "integer"
    if tp is float:
        return "number"
    if tp is dict:
        return "table"
    if tp is type(None):
        return "none"
    if _is_model(tp):
        t = tables.get(tp)
        return f"table [`[{t.path}]`](#{_anchor(t.path)})" if t else "table"
    if origin is typing.Literal:
        return "one of " + ", ".join(f"`{_toml(a)}`" for a in args)
    if _is_union(tp):
        return " or ".join(_type_inner(a, tables) for a in args)
    if origin is list:
        inner = args[0] if args else typing.Any
        if _is_model(inner):
            t = tables.get(inner)
            return f"array of tables [`[[{t.path}]]`](#{_anchor(t.path)})" if t else "array of tables"
        return f"array of {_plural(_type_inner(inner, tables))}"
    if origin is tuple:
        return "[" + ", ".join(_type_inner(a, tables) for a in args) + "]"
    if origin is dict:
        k, v = args
        return f"table ({_type_inner(k, tables)} → {_type_inner(v, tables)})"
    return f"`{tp}`"


def _plural(text: str) -> str:
    for s in ("string", "integer", "number", "boolean", "table"):
        if text == s:
            return s + "s"
    return text


def _toml(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('"', '\\"') + '"'
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, BaseModel):
        return "{…}"
    return str(value)


def _default_text(field: FieldInfo, models: list) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if models and value is not None:
        if isinstance(value, BaseModel):
            return "(defaults of the table)"
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            return "`" + _toml([v.model_dump(exclude_defaults=True) for v in value]) + "`"
    text = _toml(value)
    return f"`{text}`"


def _constraints(field: FieldInfo) -> str:
    parts = []
    for m in field.metadata:
        for attr, sym in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if isinstance(m, getattr(at, attr.capitalize())):
                parts.append(f"{sym} {getattr(m, attr)}")
        if isinstance(m, at.MinLen):
            parts.append(f"at least {m.min_length} items")
        if isinstance(m, at.MaxLen):
            parts.append(f"at most {m.max_length} items")
    return ", ".join(parts)


def _anchor(path: str) -> str:
    return "sec-" + path.replace(".", "-").replace("_", "-")


def _cell(text: str) -> str:
    return (text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|").replace("\n", " "))


# ------------------------------------------------------------------------------------------ walking
def collect_tables() -> list[Table]:
    """Every TOML table of a study file, depth first in the order of the fields."""
    out: list[Table] = []

    def walk(model: type[BaseModel], path: str | None) -> None:
        for name, field in model.model_fields.items():
            for sub, is_list in _models_in(field.annotation):
                sub_path = name if path is None else f"{path}.{name}"
                out.append(Table(sub_path, sub, is_list, path))
                walk(sub, sub_path)

    walk(C.StudyConfig, None)
    return out


def section_models() -> list[type[BaseModel]]:
    """StudyConfig and every model reachable from it (the models whose fields the page lists)."""
    return [C.StudyConfig] + [t.model for t in collect_tables()]


def _description(model: type[BaseModel], name: str, field: FieldInfo, comments: dict[str, str]) -> str:
    if field.description:
        return field.description
    note = NOTES.get(f"{model.__name__}.{name}")
    if note:
        return note
    if comments.get(name):
        text = comments[name].replace("->", "→")
        first = text.split(" ", 1)[0].rstrip(":,;")
        if first.isalpha() and first.islower():
            text = text[0].upper() + text[1:]
        return text
    for sub, _ in _models_in(field.annotation):  # a section: the first sentence of its own description
        intro = _doc(sub) or INTROS.get(name, "")
        return intro.split("\n\n")[0].replace("\n", " ")
    return ""


def _field_rows(model: type[BaseModel], tables: dict[type, Table]) -> list[str]:
    comments = _field_comments(model)
    rows = ["| key | type | default | allowed / bounds | description |",
            "| --- | --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        models = _models_in(field.annotation)
        typ = _type_text(field.annotation, tables)
        bounds = _constraints(field)
        rows.append(f"| `{name}` | {_cell(typ)} | {_cell(_default_text(field, models))} | {_cell(bounds)} | "
                    f"{_cell(_description(model, name, field, comments))} |")
    return rows


def _doc(model: type[BaseModel]) -> str:
    doc = model.__doc__ or ""
    if doc.startswith(model.__name__ + "(") or model.__doc__ is BaseModel.__doc__:
        return ""
    return inspect.cleandoc(doc).replace("``", "`")


def render() -> str:
    """The whole page as Markdown."""
    tables = collect_tables()
    by_model = {t.model: t for t in tables}
    lines = [
        "# Study file reference",
        "",
        "<!-- generated by docs/gen_config_reference.py from src/regionkit/pipeline/config.py; "
        "do not edit by hand -->",
        "",
        "A study is one TOML file. `regionkit validate study.toml` checks its structure and every name it "
        "uses against the data, and lists **all** problems at once; unknown keys are errors (check the "
        "spelling). Paths are relative to the folder of the study file. This page is generated from the "
        "pydantic models in `src/regionkit/pipeline/config.py`, so it lists exactly the keys the validator "
        "accepts.",
        "",
        "Notation: `[name]` is a table, `[[name]]` an array of tables (repeat it for several items); "
        "a dotted name is a table inside another one, e.g. `[[spatial.weights]]`. \"none\" means the key "
        "may be left out (TOML has no null).",
        "",
        "## Sections",
        "",
    ]
    for t in tables:
        header = f"[[{t.path}]]" if t.array else f"[{t.path}]"
        indent = "    " * t.path.count(".")
        lines.append(f"{indent}- [`{header}`](#{_anchor(t.path)})")
    lines += ["", "## Top-level keys {#sec-top-level}", "",
              "Keys before the first table header, and the tables a study may contain.", ""]
    lines += _field_rows(C.StudyConfig, by_model)
    rules = _rules(C.StudyConfig)
    if rules:
        lines += ["", "Rules checked across sections:", ""]
        lines += [f"- {_cell(r)}" for r in rules]
    for t in tables:
        header = f"[[{t.path}]]" if t.array else f"[{t.path}]"
        lines += ["", f"## `{header}` {{#{_anchor(t.path)}}}", ""]
        intro = _doc(t.model) or INTROS.get(t.path, "")
        if intro:
            lines += [intro, ""]
        if t.parent:
            lines += [f"Inside [`{t.parent}`](#{_anchor(t.parent)}). Model: `{t.model.__name__}`.", ""]
        else:
            lines += [f"Model: `{t.model.__name__}`.", ""]
        lines += _field_rows(t.model, by_model)
        rules = _rules(t.model)
        if rules:
            lines += ["", "Rules checked when the file is read:", ""]
            lines += [f"- {_cell(r)}" for r in rules]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/config-reference.md is out of date")
    parser.add_argument("--stdout", action="store_true", help="print the page instead of writing it")
    args = parser.parse_args(argv)
    text = render()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE} is out of date: run python docs/gen_config_reference.py", file=sys.stderr)
            return 1
        print(f"{PAGE}: up to date")
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
