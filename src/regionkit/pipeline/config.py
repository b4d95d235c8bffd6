"""The study configuration (TOML) as pydantic models, validated up front.

:func:`load_config` parses the file and checks its structure;
:func:`check_against_data` checks the names it uses (variables, groups,
years, regions) against the loaded panel.  Both collect every problem and
raise one :class:`~regionkit.errors.ConfigError` listing them all;
:func:`partial_config` and :func:`data_problems` let a validator report
structural and data problems together.
"""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path
from types import SimpleNamespace
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from ..errors import ConfigError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudySection(_Model):
    title: str = "regionkit study"
    output: str = "regionkit-output"
    author: str | None = None


class GeometrySection(_Model):
    path: str
    id_col: str
    layer: str | None = None
    crs_if_missing: str | None = None


class DataSection(_Model):
    dataset: Literal["munnell", "usjoin", "synthetic_cities"] | None = None  # synthetic_cities: no geometry
    path: str | None = None
    layout: Literal["wide", "long", "years"] = "wide"
    region_col: str = "region"
    year_col: str = "year"
    variable_col: str = "variable"
    value_col: str = "value"
    variable_name: str | None = None
    name_col: str | None = None
    group_cols: list[str] = Field(default_factory=list)
    sheet: str | int | None = None
    regions_path: str | None = None
    regions_id_col: str = "region"
    geometry: GeometrySection | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSection:
        if (self.dataset is None) == (self.path is None):
            raise ValueError("give exactly one of 'dataset' (an embedded dataset) or 'path' (your file)")
        return self


class NormalizationSection(_Model):
    scope: Literal["global", "year"] = "global"
    shift: float = Field(default=0.0001, ge=0)
    shift_mode: Literal["add", "rescale", "band"] = "add"


class SystemSection(_Model):
    name: str
    indicators: dict[str, Literal["positive", "negative"]]
    weighting: Literal["entropy", "equal", "user"] = "entropy"
    weights: dict[str, float] | None = None
    weight_scope: Literal["pooled", "year"] = "pooled"

    @model_validator(mode="after")
    def _weights(self) -> SystemSection:
        if len(self.indicators) < 1:
            raise ValueError("a system needs at least one indicator")
        if self.weighting == "user" and not self.weights:
            raise ValueError("weighting = 'user' needs a 'weights' table")
        if self.weights and self.weighting != "user":
            raise ValueError("'weights' given but weighting is not 'user'")
        return self


class CouplingSection(_Model):
    systems: list[str] | None = None
    form: Literal["standard", "wang2021", "fan"] = "standard"
    weights: dict[str, float] | None = None
    bands: Literal["3", "10"] | list[tuple[float, str]] = "10"
    map_years: list[int] | None = None

    @field_validator("bands")
    @classmethod
    def _bands_cover_unit_interval(cls, bands):
        # user bands [[upper, label], ...]: classes [0, u1), [u1, u2), ..., [u_{k-1}, u_k] must cover [0, 1]
        if isinstance(bands, str):
            return bands
        ups = [u for u, _ in bands]
        if not ups:
            raise ValueError("give at least one [upper bound, label] band, the last with upper bound 1.0")
        wrong = []
        if ups[0] <= 0:
            wrong.append(f"the first upper bound {ups[0]:g} must be > 0")
        if any(b <= a for a, b in zip(ups, ups[1:], strict=False)):
            wrong.append(f"upper bounds {ups} must increase")
        if ups[-1] < 1.0:
            wrong.append(f"the last upper bound {ups[-1]:g} leaves D in ({ups[-1]:g}, 1] without a class; end at 1.0")
        labels = [lab for _, lab in bands]
        if len(set(labels)) != len(labels):
            wrong.append(f"labels {labels} must be unique")
        if wrong:
            raise ValueError("bands must cover [0, 1]: " + "; ".join(wrong))
        return bands


class ResilienceSection(_Model):
    variable: str
    windows: list[tuple[int, int]] | None = None
    rolling: int | None = Field(default=None, ge=1)
    reference: str = "total"  # total | mean | group | region:<id>
    group: str | None = None
    industry_mix: bool = False  # expected change from national industry growth ([agglomeration] path)

    @model_validator(mode="after")
    def _spec(self) -> ResilienceSection:
        if (self.windows is None) == (self.rolling is None):
            raise ValueError("give exactly one of 'windows' or 'rolling'")
        ok = self.reference in ("total", "mean", "group") or self.reference.startswith("region:")
        if not ok:
            raise ValueError("reference must be 'total', 'mean', 'group' or 'region:<id>'")
        if self.reference == "group" and not self.group:
            raise ValueError("reference = 'group' needs 'group' (a region grouping column)")
        if self.industry_mix and self.reference != "total":
            raise ValueError("industry_mix = true uses the national industry growth; leave reference = 'total'")
        return self


class AgglomerationSection(_Model):
    """Region × industry values: a long table file, or panel variables treated as industries."""

    path: str | None = None
    region_col: str = "region"
    year_col: str = "year"
    industry_col: str = "industry"
    value_col: str = "value"
    variables: list[str] | None = None
    label: str = "industry"

    @model_validator(mode="after")
    def _source(self) -> AgglomerationSection:
        if (self.path is None) == (self.variables is None):
            raise ValueError("give exactly one of 'path' (long region-year-industry table) or 'variables'")
        return self


class EnvironmentSection(_Model):
    """Comprehensive environmental damage index from pollutant variables of the panel."""

    pollutants: list[str]
    base: str | None = None
    name: str = "env_damage"

    @model_validator(mode="after")
    def _enough(self) -> EnvironmentSection:
        if len(self.pollutants) < 2:
            raise ValueError("the environmental damage index needs at least two pollutants")
        return self


class WeightsSpec(_Model):
    """One spatial weights scheme of the ``[spatial]`` section."""

    name: str
    kind: Literal["queen", "rook", "knn", "distance_band", "inverse_distance", "file"] = "queen"
    k: int | None = Field(default=None, ge=1)
    threshold: float | None = Field(default=None, gt=0)
    unit: Literal["crs", "km"] = "crs"
    power: float = Field(default=1.0, gt=0)
    path: str | None = None
    transform: Literal["R", "B"] = "R"
    islands: Literal["error", "drop", "nearest", "keep"] = "error"

    @model_validator(mode="after")
    def _needs(self) -> WeightsSpec:
        if self.kind == "knn" and self.k is None:
            raise ValueError("kind = 'knn' needs k")
        if self.kind == "distance_band" and self.threshold is None:
            raise ValueError("kind = 'distance_band' needs threshold (with unit = 'crs' or 'km')")
        if self.kind == "file" and not self.path:
            raise ValueError("kind = 'file' needs path (GAL, GWT or CSV edge list)")
        if self.kind == "file" and self.islands == "nearest":
            raise ValueError("islands = 'nearest' needs geometry; for a weights file use 'error', 'drop' or 'keep'")
        return self


class ClassifySpec(_Model):
    method: Literal["natural_breaks", "quantiles", "equal_interval", "std_mean", "user"] = "natural_breaks"
    k: int = Field(default=5, ge=2)
    breaks: list[float] | None = None


class SpatialSection(_Model):
    """Spatial autocorrelation of panel variables or results (needs region geometry)."""

    variables: list[str] = Field(default_factory=lambda: ["D"])
    weights: list[WeightsSpec] = Field(default_factory=lambda: [WeightsSpec(name="queen")])
    years: list[int] | None = None
    permutations: int = Field(default=999, ge=0, le=99999)
    alternative: Literal["two-sided", "greater", "less", "folded"] = "two-sided"
    adjust: Literal["none", "fdr", "bonferroni"] = "none"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    seed: int = 20240101
    hotspots: bool = True
    classify: ClassifySpec = Field(default_factory=ClassifySpec)

    @model_validator(mode="after")
    def _names(self) -> SpatialSection:
        names = [w.name for w in self.weights]
        if len(set(names)) != len(names):
            raise ValueError(f"weights names must be unique: {names}")
        if not self.weights:
            raise ValueError("give at least one weights scheme")
        return self


class ModelSpec(_Model):
    """One regression specification of ``[[models]]`` (fitted on all regions and by group)."""

    name: str
    formula: str
    estimator: Literal["tobit", "re_tobit", "fe_tobit", "mundlak_tobit", "pooled", "fe", "fe_twoway", "re"] = "tobit"
    left: float | None = 0.0
    right: float | None = 1.0
    cov_type: Literal["nonrobust", "robust", "cluster"] = "cluster"
    quadrature: Literal["adaptive", "gauss-hermite"] = "adaptive"
    points: int = Field(default=12, ge=2, le=64)
    by: str | None = None
    hausman: bool = False
    years: list[int] | None = None

    @model_validator(mode="after")
    def _limits(self) -> ModelSpec:
        if "~" not in self.formula:
            raise ValueError("formula must look like 'D ~ log(x) + z'")
        if self.left is not None and self.right is not None and self.left >= self.right:
            raise ValueError("left limit must be below the right limit")
        if self.hausman and self.estimator not in ("fe", "re"):
            raise ValueError("hausman = true compares linear FE and RE: use estimator = 'fe' or 're'")
        return self


class IndicatorSystemSection(_Model):
    """Multi-dimension indicator system (e.g. urban economic resilience) with obstacle degrees."""

    name: str = "resilience"
    dimensions: dict[str, dict[str, Literal["positive", "negative"]]]
    weighting: Literal["entropy", "equal", "user"] = "entropy"
    weights: dict[str, float] | None = None
    dimension_weights: Literal["entropy", "equal", "sum"] | dict[str, float] = "sum"
    top_k: int = Field(default=3, ge=1)


class PopulationSection(_Model):
    """Population change S = registered − resident (S > 0 shrinking)."""

    registered: str
    resident: str
    name: str = "S"
    tolerance: float = Field(default=0.0, ge=0)
    tolerance_mode: Literal["absolute", "relative"] = "absolute"


class RationalizationSection(_Model):
    """Theil industrial-structure rationalisation from sector value added and employment columns."""

    value_added: dict[str, str]
    employment: dict[str, str]
    name: str = "R"

    @model_validator(mode="after")
    def _sectors(self) -> RationalizationSection:
        if set(self.value_added) != set(self.employment):
            raise ValueError("value_added and employment must list the same sectors")
        return self


class RatioSpec(_Model):
    """A ratio indicator such as informatisation = (mobile + internet users) / population."""

    name: str
    numerators: list[str]
    denominator: str
    scale: float = 1.0


class MixedModelSpec(_Model):
    """A linear mixed model with lme4-style random terms; all specs form one comparison table."""

    name: str
    formula: str
    method: Literal["REML", "ML"] = "REML"

    @model_validator(mode="after")
    def _random(self) -> MixedModelSpec:
        if "|" not in self.formula:
            raise ValueError("a mixed-model formula needs a random term such as (1|region)")
        return self


class MediationSpec(_Model):
    """Product-of-coefficients mediation with parallel mediators and a (cluster) bootstrap."""

    name: str
    x: str
    m: list[str]
    y: str
    covariates: list[str] = Field(default_factory=list)
    n_boot: int = Field(default=2000, ge=0)
    ci: Literal["percentile", "bias-corrected"] = "bias-corrected"
    alpha: float = Field(default=0.05, gt=0, lt=1)
    cluster: bool = True
    outcome: Literal["ols", "mixed"] = "ols"
    outcome_random: str = "(1|region)"
    seed: int = 20240101


class DispersionSection(_Model):
    variables: list[str] = Field(default_factory=lambda: ["D"])
    ddof: int = Field(default=1, ge=0)


class ReportSection(_Model):
    figure_formats: list[Literal["png", "svg"]] = Field(default_factory=lambda: ["png", "svg"])
    dpi: int = Field(default=110, ge=50, le=600)


# ---------------------------------------------------------------- ecology (ecological security pattern)
EcoInput = str | float


class EcoGridSpec(_Model):
    """The common study grid every raster is resampled to."""

    like: str = "lulc"  # the input whose extent (and, by default, CRS and resolution) define the grid
    crs: str | None = None  # target CRS; must be projected (metres); default: that of `like`
    resolution: float | None = Field(default=None, gt=0)  # cell size in CRS units; default: that of `like`

    @field_validator("crs")
    @classmethod
    def _projected(cls, crs: str | None) -> str | None:
        if crs is None:
            return crs
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            parsed = CRS.from_user_input(crs)
        except CRSError:
            raise ValueError(f"{crs!r} is not a CRS (give e.g. 'EPSG:32613')") from None
        if not parsed.is_projected:
            raise ValueError(f"{crs!r} is a geographic CRS (degrees); the study grid must be in a projected "
                             "CRS in metres, e.g. the UTM zone of the area")
        return crs


class ThreatSpec(_Model):
    """A habitat-quality threat: land-use classes of the land-use layer, or another input layer (0..1)."""

    name: str
    classes: list[int] | None = None  # threat cells are these land-use codes
    layer: str | None = None  # or: an input raster name / vector name (rasterised, 1 on the feature)
    max_dist_km: float = Field(gt=0)  # maximum distance of effect, km (InVEST 3.20 tables take metres)
    weight: float = Field(ge=0, le=1)
    decay: Literal["linear", "exponential"] = "linear"

    @model_validator(mode="after")
    def _one_source(self) -> ThreatSpec:
        if (self.classes is None) == (self.layer is None):
            raise ValueError(f"threat {self.name!r}: give exactly one of classes = [...] or layer = \"...\"")
        return self


class ReclassSpec(_Model):
    """A resistance factor: a layer reclassified by codes or by [low, high) ranges."""

    name: str
    layer: str  # lulc | slope | elevation | service_grade | ndvi-like input name
    classes: dict[str, float] | None = None  # code -> resistance
    ranges: list[tuple[float, float, float]] | None = None  # [low, high, resistance]

    @model_validator(mode="after")
    def _one_table(self) -> ReclassSpec:
        if (self.classes is None) == (self.ranges is None):
            raise ValueError(f"resistance factor {self.name!r}: give exactly one of classes or ranges")
        return self


class AHPSpec(_Model):
    factors: list[str]
    matrix: list[list[float]]


class EcoServicesSpec(_Model):
    models: list[Literal["water_yield", "soil_conservation", "habitat_quality", "carbon"]] = Field(
        default_factory=lambda: ["water_yield", "soil_conservation", "habitat_quality", "carbon"])
    biophysical: str | list[dict] | None = None  # lucode, lulc_veg, root_depth, kc, usle_c, usle_p
    carbon_pools: str | list[dict] | None = None  # lucode, c_above, c_below, c_soil, c_dead
    sensitivity: str | list[dict] | None = None  # lucode, habitat, <threat>...
    threats: list[ThreatSpec] = Field(default_factory=list)
    half_saturation: float = Field(default=0.05, gt=0)
    z: float = Field(default=2.5, gt=0)
    seasonality: float = Field(default=5.0, ge=1, le=30)
    threshold_flow_accumulation: int = Field(default=1000, ge=1)
    sdr_k: float = Field(default=2.0, gt=0)
    ic0: float = 0.5
    sdr_max: float = Field(default=0.8, gt=0, le=1)
    l_max: float = Field(default=122.0, gt=0)
    flow_dir: Literal["mfd", "d8"] = "mfd"
    weights: dict[str, float] | None = None  # service -> weight in the overlay (default equal)
    grading: Literal["natural_breaks", "quantiles", "equal_interval"] = "natural_breaks"
    grades: int = Field(default=5, ge=2, le=10)


class EcoSourcesSpec(_Model):
    top_grades: list[int] | None = None  # default: the highest grade
    min_area_km2: float = Field(default=10.0, ge=0)


class EcoConnectivitySpec(_Model):
    thresholds_m: list[float] = Field(default_factory=lambda: [500, 1000, 2000, 5000, 10000, 15000, 20000])
    threshold_m: float | None = Field(default=None, gt=0)  # the one used for dPC (default: the median of the sweep)
    p: float = Field(default=0.5, gt=0, lt=1)
    distance: Literal["euclidean", "cost"] = "euclidean"
    grades: int = Field(default=3, ge=2, le=5)


class EcoResistanceSpec(_Model):
    factors: list[ReclassSpec]
    weights: dict[str, float] | None = None
    ahp: AHPSpec | None = None

    @model_validator(mode="after")
    def _weights(self) -> EcoResistanceSpec:
        names = [f.name for f in self.factors]
        if self.weights is not None and self.ahp is not None:
            raise ValueError("resistance: give weights or ahp, not both")
        given = list(self.weights) if self.weights is not None else (self.ahp.factors if self.ahp else names)
        if sorted(given) != sorted(names):
            raise ValueError(f"resistance: weights/ahp name {sorted(given)} but the factors are {sorted(names)}")
        return self


class EcoCorridorsSpec(_Model):
    pairs: Literal["adjacent", "all"] = "adjacent"
    max_cost_distance: float | None = Field(default=None, gt=0)
    max_euclidean_km: float | None = Field(default=None, gt=0)
    width: float | None = Field(default=None, gt=0)  # truncation of the normalised corridor (cost units)


class EcologySection(_Model):
    """Ecological security pattern: services → sources → connectivity → resistance → corridors."""

    inputs: dict[str, EcoInput]  # name -> raster path (or dataset:<name>) or a constant number
    vectors: dict[str, str] = Field(default_factory=dict)  # name -> vector path (or dataset:<name>)
    grid: EcoGridSpec = Field(default_factory=EcoGridSpec)
    boundary: str | None = None  # a vector name: cells outside are nodata
    lulc_classes: dict[str, str] = Field(default_factory=dict)  # code -> label (maps, tables)
    services: EcoServicesSpec = Field(default_factory=EcoServicesSpec)
    sources: EcoSourcesSpec = Field(default_factory=EcoSourcesSpec)
    connectivity: EcoConnectivitySpec = Field(default_factory=EcoConnectivitySpec)
    resistance: EcoResistanceSpec | None = None
    corridors: EcoCorridorsSpec = Field(default_factory=EcoCorridorsSpec)

    @model_validator(mode="after")
    def _needs(self) -> EcologySection:
        need = {"lulc"}
        m = set(self.services.models)
        if "water_yield" in m:
            need |= {"precipitation", "et0", "root_depth", "pawc"}
        if "soil_conservation" in m:
            need |= {"dem", "erosivity", "erodibility"}
        missing = sorted(need - set(self.inputs))
        if missing:
            raise ValueError(f"inputs lacks {missing} needed by services {sorted(m)}")
        if isinstance(self.inputs.get("lulc"), float | int):
            raise ValueError("inputs.lulc must be a raster, not a constant")
        if self.grid.like not in self.inputs or not isinstance(self.inputs[self.grid.like], str):
            raise ValueError(f"grid.like = {self.grid.like!r} is not a raster input")
        tables = {"water_yield": "biophysical", "soil_conservation": "biophysical",
                  "carbon": "carbon_pools", "habitat_quality": "sensitivity"}
        for model, table in tables.items():
            if model in m and getattr(self.services, table) is None:
                raise ValueError(f"services.{table} is needed by the {model} model")
        if "habitat_quality" in m and not self.services.threats:
            raise ValueError("services.threats is needed by the habitat_quality model")
        for t in self.services.threats:
            if t.layer is not None and t.layer not in self.inputs and t.layer not in self.vectors:
                raise ValueError(f"threat {t.name!r}: layer {t.layer!r} is neither an input nor a vector")
        if self.boundary is not None and self.boundary not in self.vectors:
            raise ValueError(f"boundary {self.boundary!r} is not one of vectors {sorted(self.vectors)}")
        if self.services.weights is not None:
            unknown = sorted(set(self.services.weights) - m)
            if unknown:
                raise ValueError(f"services.weights names {unknown}, not among the models {sorted(m)}")
        return self


# ---------------------------------------------------------------- co-agglomeration (firm points)
class CoaggOutlierSpec(_Model):
    """Screening of firm points (``find_outliers``): report them, or drop them before the analysis."""

    policy: Literal["report", "drop"] = "report"
    study_area: str | None = None  # optional polygon file (GeoPackage, GeoJSON, Shapefile); firms outside are flagged
    k: int = Field(default=5, ge=1)  # k-th nearest neighbour of the isolation rule
    z: float = Field(default=5.0, gt=0)  # robust z-score on the log scale
    min_distance_km: float = Field(default=50.0, ge=0)  # never flag a firm closer than this
    by_city: bool = True  # also flag firms far from the median location of their own city


class CoaggCoreSpec(_Model):
    """Core industries: the top ``n`` or the top ``share`` by significant-pair frequency (default n = 10)."""

    n: int | None = Field(default=None, ge=1)
    share: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one(self) -> CoaggCoreSpec:
        if self.n is not None and self.share is not None:
            raise ValueError("give n or share, not both")
        return self


class CoaggDensitySpec(_Model):
    """Kernel density surfaces (firms per km²) of the core (or listed) industries and their sum."""

    kernel: Literal["quartic", "gaussian"] = "quartic"
    bandwidth: float | Literal["silverman", "scott"] = "silverman"  # km, or a rule on the pooled firms
    cell_km: float = Field(default=0.5, gt=0)
    industries: Literal["core"] | list[int] = "core"

    @model_validator(mode="after")
    def _bandwidth(self) -> CoaggDensitySpec:
        if not isinstance(self.bandwidth, str) and not self.bandwidth > 0:
            raise ValueError("bandwidth must be a positive number of km, 'silverman' or 'scott'")
        return self


def _coagg_rules(d: dict) -> list[str]:
    """Rules between keys of a raw ``[coagglomeration]`` table (see :class:`CoaggSection`)."""
    problems = []
    cols = d.get("industry_cols")
    keys = sorted(cols) if isinstance(cols, dict) else []
    level, group = d.get("level"), d.get("group_level")
    if isinstance(cols, dict) and not cols:
        problems.append("industry_cols is empty; map a level name to a file column, e.g. {sic3 = \"SIC3\"}")
    if isinstance(cols, dict) and isinstance(level, str) and level not in cols:
        problems.append(f"level {level!r} is not a key of industry_cols {keys}")
    if isinstance(cols, dict) and isinstance(group, str):
        if group not in cols:
            problems.append(f"group_level {group!r} is not a key of industry_cols {keys}")
        elif group == level:
            problems.append("group_level must differ from level")
    if d.get("cities") is not None and d.get("city_col") is None:
        problems.append("cities needs city_col (the column holding the city code)")
    if d.get("on_unknown_city", "keep") != "keep" and d.get("city_col") is None:
        problems.append(f"on_unknown_city = {d.get('on_unknown_city')!r} needs city_col")
    rep = d.get("representation", "points")
    if rep == "grid" and d.get("cell_size_km") is None:
        problems.append("representation = 'grid' needs cell_size_km")
    if rep == "points" and d.get("cell_size_km") is not None:
        problems.append("cell_size_km applies to representation = 'grid' only")
    if d.get("eps_rel") is not None and d.get("distance", "exact") == "exact":
        problems.append("eps_rel applies to distance = 'sinkhorn' or 'divergence' (exact transport has no ε)")
    if d.get("scheduler") is not None and d.get("executor", "serial") != "dask":
        problems.append("scheduler applies to executor = 'dask' only")
    return problems


def _validate_with_rules(data, handler, rules):
    """Run a section's field validation and its between-key ``rules`` together (a wrap validator).

    The rules are checked on the raw table too, so that their problems are
    listed together with the type errors of single keys (an "after"
    validator would not run when a single key is invalid).
    """
    problems = rules(data) if isinstance(data, dict) else []
    try:
        section = handler(data)
    except ValidationError as exc:
        if not problems:
            raise
        details = [{"type": e["type"], "loc": e["loc"], "input": e["input"], **({"ctx": e["ctx"]} if "ctx" in e else {})}
                   for e in exc.errors()]
        details += [{"type": "value_error", "loc": (), "input": data, "ctx": {"error": ValueError(p)}}
                    for p in problems]
        raise ValidationError.from_exception_data(exc.title, details) from None
    if problems:
        raise ValueError("; ".join(problems))
    return section


class CoaggSection(_Model):
    """Industrial co-agglomeration from firm points (Monte Carlo counterfactual transport distances)."""

    firms: str  # CSV or CSV.GZ, one row per firm
    lon_col: str = "lon"
    lat_col: str = "lat"
    city_col: str | None = None
    industry_cols: dict[str, str]  # level name -> file column, e.g. {sic2 = "SIC2", sic3 = "SIC3"}
    level: str  # the level analysed (a key of industry_cols)
    group_level: str | None = None  # the two-digit grouping (a key of industry_cols)
    cities: int | list[int] | None = None  # keep only these city codes (default: every firm)
    on_missing: Literal["error", "drop"] = "error"  # rows without coordinates or industry code
    unknown_city: int | None = 0
    on_unknown_city: Literal["keep", "drop", "error"] = "keep"
    crs: str = "EPSG:4326"  # CRS of lon/lat in the file
    target_crs: str = "auto"  # projected CRS in metres; "auto": UTM zone of the median firm
    outliers: CoaggOutlierSpec = Field(default_factory=CoaggOutlierSpec)
    industries: list[int] | None = None  # analyse only these codes (default: all with >= min_firms)
    min_firms: int = Field(default=10, ge=1)
    distance: Literal["exact", "sinkhorn", "divergence"] = "exact"
    eps_rel: float | None = Field(default=None, gt=0)  # ε = eps_rel · D² (default 0.01)
    representation: Literal["points", "grid"] = "points"
    cell_size_km: float | None = Field(default=None, gt=0)
    draws: int = Field(default=1000, ge=1)
    alpha: float = Field(default=0.95, gt=0, lt=1)
    sequential: bool = False
    seed: int = Field(default=20240101, ge=0)
    executor: Literal["serial", "dask"] = "serial"
    scheduler: str | None = None  # Dask scheduler address (default: a local cluster)
    n_workers: int = Field(default=2, ge=1)
    checkpoint: bool = True  # finished tasks kept under <output>/.cache/coagg_checkpoints
    core: CoaggCoreSpec = Field(default_factory=CoaggCoreSpec)
    density: CoaggDensitySpec = Field(default_factory=CoaggDensitySpec)

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data, handler):
        return _validate_with_rules(data, handler, _coagg_rules)

    def city_list(self) -> list[int] | None:
        """The city filter as a list (``None``: every firm)."""
        if self.cities is None:
            return None
        return [self.cities] if isinstance(self.cities, int) else list(self.cities)


# ---------------------------------------------------------------- ecological-economic conflicts
class ConflictClassesSpec(_Model):
    """Classes of the activity surface (least to most intense)."""

    k: int = Field(default=3, ge=2, le=9)
    method: Literal["natural_breaks", "quantiles", "equal_interval"] = "natural_breaks"
    labels: list[str] | None = None  # default: low, medium, high for k = 3


class ConflictRuleSpec(_Model):
    """Activity classes that conflict with an ecological element, and how severely."""

    element: str  # "source", "corridor", "source:<grade>" (1 = most important) or "corridor:<type>" (I, II, III)
    activity: list[str]  # activity class labels
    severity: str | None = None  # one of `severities` (default: the most severe)


class ConflictUnitsSpec(_Model):
    """Administrative units (city or county polygons) for the zonal table."""

    path: str  # vector file (GeoPackage, GeoJSON, Shapefile) or dataset:rmnp_boundary / dataset:us48
    id_col: str
    layer: str | None = None
    name_col: str | None = None


class ConflictSection(_Model):
    """Ecological–economic conflicts: the ecological security pattern over the production pattern."""

    activity: str = "coagglomeration"  # kernel density of [coagglomeration] firms, or an activity raster path
    industries: Literal["core", "all"] | list[int] = "core"  # firms whose density is the activity surface
    kernel: Literal["quartic", "gaussian"] | None = None  # default: that of [coagglomeration.density]
    bandwidth_km: float | Literal["silverman", "scott"] | None = None  # default: [coagglomeration.density]
    classes: ConflictClassesSpec = Field(default_factory=ConflictClassesSpec)
    corridor_buffer_m: float = Field(default=0.0, ge=0)  # cells within this distance of a corridor line
    rules: list[ConflictRuleSpec] | None = None  # default: regionkit.ecology.conflicts.default_rules
    severities: list[str] = Field(default_factory=lambda: ["minor", "moderate", "severe"])
    units: ConflictUnitsSpec | None = None
    top: int = Field(default=10, ge=1)  # rows of the most-conflicted corridor and source tables

    @model_validator(mode="wrap")
    @classmethod
    def _consistent(cls, data, handler):
        return _validate_with_rules(data, handler, _conflict_rules)

    def activity_labels(self) -> list[str]:
        """The activity class labels, least to most intense."""
        from ..ecology.conflicts import default_activity_labels

        return list(self.classes.labels or default_activity_labels(self.classes.k))


def _conflict_rules(d: dict) -> list[str]:
    """Rules between keys of a raw ``[conflicts]`` table (see :class:`ConflictSection`)."""
    from ..ecology.conflicts import default_activity_labels

    problems = []
    classes = d.get("classes") if isinstance(d.get("classes"), dict) else {}
    k = classes.get("k", 3)
    labels = classes.get("labels")
    if isinstance(labels, list) and isinstance(k, int) and len(labels) != k:
        problems.append(f"classes.labels: {len(labels)} label(s) {labels} for k = {k} classes")
    elif isinstance(labels, list) and len(set(map(str, labels))) != len(labels):
        problems.append(f"classes.labels: {labels} repeat a label")
    if not isinstance(labels, list):
        labels = list(default_activity_labels(k)) if isinstance(k, int) and k >= 2 else []
    severities = d.get("severities", ["minor", "moderate", "severe"])
    if isinstance(severities, list) and len(set(map(str, severities))) != len(severities):
        problems.append(f"severities: {severities} repeat a severity")
    rules = d.get("rules")
    for i, r in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(r, dict):
            continue
        el = r.get("element")
        if isinstance(el, str):
            kind, sep, cls = el.partition(":")
            if kind.strip() not in ("source", "corridor") or (sep and not cls.strip()):
                problems.append(f"rules.{i}.element: {el!r} is not allowed; choose 'source', 'corridor', "
                                "'source:<grade>' or 'corridor:<type>'")
        acts = r.get("activity")
        if isinstance(acts, list) and labels:
            bad = [a for a in acts if a not in labels]
            if bad:
                problems.append(f"rules.{i}.activity: {bad} not among the activity classes {labels}")
        sev = r.get("severity")
        if isinstance(sev, str) and isinstance(severities, list) and sev not in severities:
            problems.append(f"rules.{i}.severity: {sev!r} is not one of the severities {severities}")
    if "severities" in d and rules is None:
        problems.append("severities applies to your own rules; give rules = [...] too (the default rules use "
                        "minor, moderate, severe)")
    if d.get("activity", "coagglomeration") != "coagglomeration":
        given = [key for key in ("industries", "kernel", "bandwidth_km") if key in d]
        if given:
            problems.append(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to activity = "
                            "'coagglomeration' only (a raster activity surface is used as it is)")
    bw = d.get("bandwidth_km")
    if isinstance(bw, int | float) and not bw > 0:
        problems.append("bandwidth_km must be a positive number of km, 'silverman' or 'scott'")
    return problems


def conflict_cross_problems(conflicts, ecology, coagglomeration) -> list[str]:
    """What ``[conflicts]`` needs from the other sections (each problem names its key)."""
    problems = []
    if conflicts is None:
        return problems
    if ecology is None:
        problems.append("conflicts: [conflicts] needs [ecology] (its sources and corridors are the ecological "
                        "security pattern)")
    if conflicts.activity == "coagglomeration" and coagglomeration is None:
        problems.append("conflicts.activity: 'coagglomeration' needs [coagglomeration] (its firms give the "
                        "activity surface); or give the path of an activity raster")
    grades = [str(g) for g in range(1, ecology.connectivity.grades + 1)] if ecology is not None else None
    for i, r in enumerate(conflicts.rules or []):
        kind, _, cls = r.element.partition(":")
        cls = cls.strip()
        if kind == "source" and cls and grades is not None and cls not in grades:
            problems.append(f"conflicts.rules.{i}.element: source grade {cls!r} does not exist; sources are "
                            f"graded {', '.join(grades)} (ecology.connectivity.grades, 1 = most important)")
        if kind == "corridor" and cls and cls not in ("I", "II", "III"):
            problems.append(f"conflicts.rules.{i}.element: corridor type {cls!r} does not exist; types are I, II, III")
    return problems


class StudyConfig(_Model):
    study: StudySection = Field(default_factory=StudySection)
    data: DataSection | None = None
    normalization: NormalizationSection = Field(default_factory=NormalizationSection)
    systems: list[SystemSection] = Field(default_factory=list)
    coupling: CouplingSection | None = None
    resilience: list[ResilienceSection] = Field(default_factory=list)
    agglomeration: AgglomerationSection | None = None
    environment: EnvironmentSection | None = None
    dispersion: DispersionSection | None = None
    spatial: SpatialSection | None = None
    models: list[ModelSpec] = Field(default_factory=list)
    indicator_system: IndicatorSystemSection | None = None
    population: PopulationSection | None = None
    rationalization: RationalizationSection | None = None
    ratios: list[RatioSpec] = Field(default_factory=list)
    mixed_models: list[MixedModelSpec] = Field(default_factory=list)
    mediation: list[MediationSpec] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    report: ReportSection = Field(default_factory=ReportSection)
    ecology: EcologySection | None = None
    coagglomeration: CoaggSection | None = None
    conflicts: ConflictSection | None = None

    @model_validator(mode="after")
    def _cross(self) -> StudyConfig:
        if self.data is None and self.ecology is None and self.coagglomeration is None:
            raise ValueError("a study needs [data] (a regional panel), [ecology] (rasters) or "
                             "[coagglomeration] (firm points), or several")
        if self.data is None:
            panel_sections = [k for k in ("systems", "coupling", "resilience", "agglomeration", "environment",
                                           "dispersion", "spatial", "models", "indicator_system", "population",
                                           "rationalization", "ratios", "mixed_models", "mediation")
                              if getattr(self, k)]
            if panel_sections:
                raise ValueError(f"sections {panel_sections} need a regional panel: add [data]")
        names = [s.name for s in self.systems]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"system name(s) {dup} used more than once")
        if any(r.industry_mix for r in self.resilience) and (self.agglomeration is None or not self.agglomeration.path):
            raise ValueError("resilience with industry_mix = true needs [agglomeration] path = <region-year-industry table>")
        if self.coupling is not None:
            chosen = self.coupling.systems or names
            unknown = [s for s in chosen if s not in names]
            if unknown:
                raise ValueError(f"coupling.systems names unknown system(s) {unknown}; systems: {names}")
            if len(chosen) < 2:
                raise ValueError("coupling needs at least two systems")
        conflict_problems = conflict_cross_problems(self.conflicts, self.ecology, self.coagglomeration)
        if conflict_problems:
            raise ValueError("; ".join(conflict_problems))
        return self


def load_config(path: str | Path) -> tuple[StudyConfig, Path]:
    """Read and validate a study TOML; return the config and the folder paths are relative to.

    Raises
    ------
    ConfigError
        Listing every problem found (TOML syntax, unknown keys, wrong types).
    """
    raw, base = read_config(path)
    return parse_config(raw, source=str(path)), base


def read_config(path: str | Path) -> tuple[dict, Path]:
    """Read a study TOML into a dictionary (no validation); raise ConfigError if missing or not TOML."""
    path = Path(path)
    if not path.exists():
        raise ConfigError([f"{path}: file not found"], source=str(path))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"TOML syntax: {exc}"], source=str(path)) from exc
    return raw, path.parent.resolve()


def partial_config(raw: dict) -> SimpleNamespace:
    """The sections of a raw config that validate on their own (``None`` for those that do not).

    Lets :func:`data_problems` check names against the data even when other
    parts of the file have structural problems, so every problem is listed at once.
    List sections are checked item by item (``None`` marks an invalid item);
    absent sections take their defaults.
    """
    parts = {}
    for name, spec in StudyConfig.model_fields.items():
        value = raw.get(name) if isinstance(raw, dict) else None
        if value is None:
            parts[name] = None if spec.is_required() else spec.get_default(call_default_factory=True)
            continue
        if typing.get_origin(spec.annotation) is list:
            item = TypeAdapter(typing.get_args(spec.annotation)[0])
            parts[name] = [_valid_or_none(item, v) for v in value] if isinstance(value, list) else []
        else:
            parts[name] = _valid_or_none(TypeAdapter(spec.annotation), value)
    parts["present"] = frozenset(raw) if isinstance(raw, dict) else frozenset()
    return SimpleNamespace(**parts)


def _valid_or_none(adapter: TypeAdapter, value):
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        # unknown keys alone (listed by parse_config): check the rest of the section against the data anyway
        errors = exc.errors()
        if not all(e["type"] == "extra_forbidden" for e in errors):
            return None
        cleaned = _without_keys(value, [e["loc"] for e in errors])
        if cleaned is None:
            return None
        try:
            return adapter.validate_python(cleaned)
        except ValidationError:
            return None


def _without_keys(value, locs):
    """A deep copy of a raw TOML value without the keys at ``locs`` (``None`` if a location is not found)."""
    import copy

    out = copy.deepcopy(value)
    for loc in locs:
        node = out
        for step in loc[:-1]:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return None
        if not isinstance(node, dict) or loc[-1] not in node:
            return None
        del node[loc[-1]]
    return out


def parse_config(raw: dict, *, source: str = "<config>") -> StudyConfig:
    """Validate a config dictionary, collecting every problem."""
    try:
        return StudyConfig.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key (check the spelling)"
            problems.append(f"{loc}: {msg}")
        raise ConfigError(problems, source=source) from None


def check_against_data(config: StudyConfig, panel, *, source: str = "<config>") -> None:
    """Check every name the config uses against the panel; raise one ConfigError listing all problems."""
    problems = data_problems(config, panel)
    if problems:
        raise ConfigError(problems, source=source)


def data_problems(config: StudyConfig | SimpleNamespace, panel) -> list[str]:
    """Every name the config uses that the panel lacks (``None`` sections of a partial config are skipped)."""
    problems: list[str] = []
    variables = set(panel.variables)
    urban_vars: list[tuple[str, str]] = []
    urban_names: set[str] = set()
    isys = getattr(config, "indicator_system", None)
    if isys is not None:
        urban_vars += [("indicator_system", v) for d in isys.dimensions.values() for v in d]
        urban_names |= {isys.name, *isys.dimensions}
    pop = getattr(config, "population", None)
    if pop is not None:
        urban_vars += [("population", pop.registered), ("population", pop.resident)]
        urban_names.add(pop.name)
    rat = getattr(config, "rationalization", None)
    if rat is not None:
        urban_vars += [("rationalization", v) for v in [*rat.value_added.values(), *rat.employment.values()]]
        urban_names.add(rat.name)
    for r in getattr(config, "ratios", []) or []:
        if r is not None:
            urban_vars += [("ratios", v) for v in [*r.numerators, r.denominator]]
            urban_names.add(r.name)
    for where, v in urban_vars:
        if v not in variables:
            problems.append(f"{where}: {v!r} is not a panel variable")
    variables = variables | urban_names  # later steps may use the derived urban indicators
    groupings = set(panel.groupings)
    years = set(panel.years)
    for i, s in enumerate(config.systems):
        if s is None:
            continue
        for ind in s.indicators:
            if ind not in variables:
                problems.append(f"systems[{i}] ({s.name}): indicator {ind!r} is not a panel variable")
        if s.weights:
            for k in s.weights:
                if k not in s.indicators:
                    problems.append(f"systems[{i}] ({s.name}): weight for {k!r} which is not one of its indicators")
    derived = {s.name for s in config.systems if s is not None}
    if config.coupling is not None or "coupling" in getattr(config, "present", ()):
        derived |= {"C", "T", "D"}
    if config.environment is not None:
        derived.add(config.environment.name)
        for v in [*config.environment.pollutants, *([config.environment.base] if config.environment.base else [])]:
            if v not in variables:
                problems.append(f"environment: {v!r} is not a panel variable")
    for i, r in enumerate(config.resilience):
        if r is None or r.industry_mix:  # industry-mix windows are checked against the industry table
            continue
        if r.variable not in variables:
            problems.append(f"resilience[{i}]: variable {r.variable!r} is not a panel variable")
        for w in r.windows or []:
            for y in w:
                if y not in years:
                    problems.append(f"resilience[{i}]: year {y} outside the panel ({min(years)}–{max(years)})")
            if w[0] >= w[1]:
                problems.append(f"resilience[{i}]: window {list(w)} must have start < end")
        if r.group and r.group not in groupings:
            problems.append(f"resilience[{i}]: grouping {r.group!r} unknown; groupings: {sorted(groupings)}")
        if r.reference.startswith("region:") and r.reference[7:] not in set(map(str, panel.regions_ids)):
            problems.append(f"resilience[{i}]: reference region {r.reference[7:]!r} is not a panel region")
    for g in config.groups:
        if g is not None and g not in groupings:
            problems.append(f"groups: grouping {g!r} unknown; groupings: {sorted(groupings) or '(none)'}")
    if config.coupling and config.coupling.map_years:
        for y in config.coupling.map_years:
            if y not in years:
                problems.append(f"coupling.map_years: year {y} outside the panel ({min(years)}–{max(years)})")
    if config.agglomeration and config.agglomeration.variables:
        for v in config.agglomeration.variables:
            if v not in variables:
                problems.append(f"agglomeration.variables: {v!r} is not a panel variable")
    for i, m in enumerate(getattr(config, "models", []) or []):
        if m is None:
            continue
        if m.by and m.by not in groupings:
            problems.append(f"models[{i}] ({m.name}): grouping {m.by!r} unknown; groupings: {sorted(groupings)}")
        for y in m.years or []:
            if y not in years:
                problems.append(f"models[{i}] ({m.name}): year {y} outside the panel")
    spatial = getattr(config, "spatial", None)
    if spatial is not None:
        if panel.geometry is None:
            problems.append("spatial: the panel has no geometry; add [data.geometry] (path, id_col)")
        for v in spatial.variables:
            if v not in variables and v not in derived:
                problems.append(f"spatial.variables: {v!r} is neither a panel variable nor a result")
        for y in spatial.years or []:
            if y not in years:
                problems.append(f"spatial.years: year {y} outside the panel ({min(years)}–{max(years)})")
    if config.dispersion:
        for v in config.dispersion.variables:
            if v not in variables and v not in derived:
                problems.append(f"dispersion.variables: {v!r} is neither a panel variable nor a result (C, T, D, system names)")
    return problems
