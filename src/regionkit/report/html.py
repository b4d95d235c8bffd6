"""Render the self-contained HTML report (inline CSS, figures as data URIs, no scripts or CDN)."""

from __future__ import annotations

import json
from importlib import resources

import jinja2
from markupsafe import Markup

SECTIONS = [
    ("weights", "Indicator weights and composite indices"),
    ("region_year", "Results per region and year"),
    ("coupling", "Coupling coordination"),
    ("resilience", "Regional economic resilience"),
    ("agglomeration", "Industrial agglomeration"),
    ("environment", "Environmental damage"),
    ("dispersion", "Regional disparities"),
    ("spatial", "Spatial autocorrelation"),
    ("models", "Influencing factors (regression models)"),
    ("urban", "Urban resilience and population change"),
    ("mixed", "Linear mixed-effects models"),
    ("mediation", "Mediation analysis"),
    ("ecology", "Ecological security pattern"),
    ("coagg", "Industrial co-agglomeration"),
    ("conflicts", "Ecological–economic conflicts"),
    ("join_report", "Data matching"),
]


def render_report(results, *, figures, tables) -> str:
    """HTML text of the report; every user string is escaped by Jinja2's autoescaping."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    sections = []
    fig_no = tab_no = 0
    for prefix, title in SECTIONS:
        items = []
        for t in tables:
            if t.key.startswith(prefix):
                tab_no += 1
                items.append({"kind": "table", "no": tab_no, "caption": t.caption,
                              "html": Markup(t.html), "file": t.file})
        for f in figures:
            if f.key.startswith(prefix):
                fig_no += 1
                items.append({"kind": "figure", "no": fig_no, "caption": f.caption,
                              "src": "data:image/png;base64," + f.png_base64, "files": ", ".join(f.files)})
        if items:
            sections.append({"title": title, "items": items})
    cfg = results.config
    methods = _methods(results)
    for k, section in enumerate(sections, start=1):
        section["anchor"] = f"results-{k}"
    return env.get_template("report.html").render(
        title=cfg.study.title,
        author=cfg.study.author,
        data=_data_paragraphs(results),
        methods=methods,
        sections=sections,
        n_figures=fig_no,
        n_tables=tab_no,
        warnings=results.warnings,
        provenance=_provenance_view(results.provenance),
        config_json=json.dumps(cfg.model_dump(mode="json"), indent=2, ensure_ascii=False),
    )


_KEY_VERSIONS = ("regionkit", "python", "numpy", "pandas", "scipy", "geopandas", "rasterio", "pydantic")


def _provenance_view(prov: dict) -> dict:
    """The provenance with the key packages first (those not installed shown as such)."""
    versions = dict(prov.get("versions", {}))
    ordered = {k: versions.pop(k, "not installed") for k in _KEY_VERSIONS}
    ordered.update(sorted(versions.items()))
    return {
        "versions": ordered,
        "input_files": dict(prov.get("input_files", {})),
        "config_file": prov.get("config_file"),
        "config_sha256": prov.get("config_sha256"),
        "panel_source": prov.get("panel_source", "(no panel)"),
        "panel_hash": prov.get("panel_hash", ""),
        "created": prov.get("created", ""),
        "date_fixed": bool(prov.get("date_fixed", False)),
    }


def _derived_names(results) -> set[str]:
    """Variables the study added to the panel (composite scores, C/T/D, indices)."""
    out = set(results.composites)
    if results.coupling is not None:
        out |= {str(c) for c in results.coupling.table.columns}
    env = results.config.environment
    if env is not None:
        out.add(env.name)
    urban = getattr(results, "urban", None)
    variables = getattr(urban, "variables", None)
    if variables is not None:
        out |= {str(c) for c in variables.columns}
    return out


def _data_paragraphs(results) -> list[str]:
    """A short description of the data analysed (panel, geometry, rasters, firms)."""
    out = []
    panel = results.panel
    if panel is not None:
        years = panel.years
        derived = _derived_names(results)
        inputs = [v for v in panel.variables if v not in derived]
        text = (f"The analysis uses a balanced panel of {len(panel.regions_ids)} regions observed in "
                f"{len(years)} years ({years[0]}–{years[-1]}), {len(panel.regions_ids) * len(years)} "
                f"region-years, from {panel.source}. Input variables ({len(inputs)}): {', '.join(inputs)}.")
        groups = []
        for g in panel.groupings:
            n = panel.group(g).nunique()
            groups.append(f"{g} ({n} group{'s' if n != 1 else ''})")
        if groups:
            text += f" Region groupings: {', '.join(groups)}."
        if panel.geometry is not None:
            crs = panel.geometry.crs
            name = crs.to_string() if crs is not None else "no CRS"
            text += f" Region polygons are in {name}."
        if results.join_report is not None:
            text += f" Matching of panel regions and polygons: {results.join_report.summary()}."
        out.append(text)
    eco = getattr(results, "ecology", None)
    if eco is not None:
        grid = eco.grid
        rx, ry = grid.resolution
        crs = grid.crs.to_string() if hasattr(grid.crs, "to_string") else str(grid.crs)
        inputs = results.config.ecology.inputs
        rasters = [k for k, v in inputs.items() if isinstance(v, str)]
        constants = [f"{k} = {v:g}" for k, v in inputs.items() if not isinstance(v, str)]
        text = (f"Rasters ({', '.join(rasters)}) were resampled to one study grid of {grid.shape[0]} × "
                f"{grid.shape[1]} cells of {rx:g} m × {ry:g} m in {crs}.")
        if constants:
            text += f" Spatially constant inputs: {', '.join(constants)}."
        out.append(text)
    co = getattr(results, "coagglomeration", None)
    if co is not None:
        firms = co.firms
        pool = int(firms["in_pool"].sum()) if "in_pool" in firms.columns else len(firms)
        out.append(f"Firm points: {len(firms)} firms read from {co.section.firms} ({pool} kept for the "
                   f"analysis), projected to {co.crs}.")
    return out


def _methods(results) -> list[str]:
    cfg = results.config
    out = []
    n = cfg.normalization
    if cfg.systems:
        out.append(
            f"Indicators were min-max normalised (scope: {n.scope}; shift {n.shift:g}, mode {n.shift_mode}); "
            "negative indicators were reversed."
        )
        for s in cfg.systems:
            comp = results.composites[s.name]
            out.append(f"System “{s.name}”: {comp.method}.")
    if results.coupling is not None:
        c = results.coupling
        out.append(
            f"Coupling degree C: {c.form} form; development T = Σ αᵢUᵢ with α = "
            f"{', '.join(f'{k} {v:.3f}' for k, v in c.weights.items())}; coordination D = √(C·T); "
            f"classes: {_band_text(c.bands)} (each interval closed on the left, the last also on the right)."
        )
        if c.form == "standard":
            out.append(
                "Note: the standard C (geometric over arithmetic mean) crowds near 1 (for two systems C ≥ 0.94 "
                "whenever the weaker score is at least half the stronger); the corrected form of Wang et al. "
                "(2021) is available as form = \"wang2021\"."
            )
    for section, res in results.resilience:
        out.append(
            f"Resilience of {section.variable}: Martin et al. (2016) index (ΔYᵢ − ΔEᵢ)/|ΔEᵢ| with "
            f"ΔEᵢ = g_r·Yᵢ(start), reference: {res.reference}."
        )
    if cfg.agglomeration is not None:
        out.append(
            "Agglomeration: Fan & Scott (2003) HHI Σ_j (l_ij/l_j)², specialisation HHI, Krugman index, "
            "location quotients and Ellison–Glaeser γ."
        )
    if cfg.dispersion is not None and results.dispersion:
        grouping = results.groupings[0] if results.groupings else None
        out.append(
            f"Regional disparities of {', '.join(results.dispersion)} per year: range (max − min), coefficient "
            f"of variation (standard deviation with ddof = {cfg.dispersion.ddof} over the mean) and Theil index "
            "T = (1/n) Σ (yᵢ/ȳ) ln(yᵢ/ȳ)"
            + (f", decomposed exactly into between- and within-group parts by {grouping}." if grouping else ".")
        )
    sp_res = getattr(results, "spatial", None)
    if sp_res is not None:
        sec = sp_res.section
        for name, w in sp_res.weights.items():
            out.append(f"Spatial weights “{name}”: {w.summary()}.")
        out.append(
            f"Global Moran's I, Geary's C and Getis–Ord General G per year with analytic inference (normality "
            f"and randomisation) and {sec.permutations} random permutations (seed {sec.seed}); p-values are "
            f"{sec.alternative}. Local Moran's I = n·zᵢ·Σⱼwᵢⱼzⱼ/Σz² (Anselin 1995) with conditional "
            f"permutation inference, significance p ≤ {sec.alpha} (adjustment: {sec.adjust}); clusters are "
            "labelled HH/LL/LH/HL (GeoDa colours). Hot spots: Getis–Ord Gi* including the region itself "
            "(Ord & Getis 1995 z-scores)."
        )
    if sp_res is not None:
        c = sp_res.section.classify
        out.append(f"Local statistics and class maps in {', '.join(map(str, sp_res.years))} (weights "
                   f"“{next(iter(sp_res.weights))}”); classes: {c.method}, k = {c.k}"
                   + (f", breaks {c.breaks}" if c.breaks else "") + ".")
    for run in getattr(results, "models", []) or []:
        out.append(_model_method(run.spec))
    eco = getattr(results, "ecology", None)
    if eco is not None:
        out += list(eco.methods)
    coagg = getattr(results, "coagglomeration", None)
    if coagg is not None:
        out += list(coagg.methods)
    conflicts = getattr(results, "conflicts", None)
    if conflicts is not None:
        out += list(conflicts.methods)
    return out


_ESTIMATORS = {
    "tobit": "pooled Tobit",
    "re_tobit": "random-effects Tobit (random region intercept, Stata xttobit)",
    "fe_tobit": "fixed-effects Tobit (region dummies)",
    "mundlak_tobit": "correlated random-effects (Mundlak) Tobit",
    "pooled": "pooled OLS", "fe": "fixed-effects (within) regression", "fe_twoway": "two-way (region and year) fixed effects",
    "re": "random-effects GLS (Swamy–Arora)",
}


def _model_method(spec) -> str:
    est = _ESTIMATORS.get(spec.estimator, spec.estimator)
    text = f"Model “{spec.name}”: {spec.formula}, {est}"
    if spec.estimator.endswith("tobit"):
        lim = [f"left at {spec.left:g}" if spec.left is not None else "",
               f"right at {spec.right:g}" if spec.right is not None else ""]
        text += f", censored {' and '.join(x for x in lim if x) or 'nowhere'}"
        if spec.estimator in ("re_tobit", "mundlak_tobit"):
            text += (f"; likelihood integrated by {spec.quadrature} Gauss–Hermite quadrature with {spec.points} "
                     f"points (checked against {max(spec.points - 4, 1)} and {spec.points + 4} points)")
        if spec.estimator == "tobit":
            text += f"; covariance {spec.cov_type}"
    else:
        text += f"; covariance {spec.cov_type}"
    if spec.years:
        text += f"; years {', '.join(map(str, spec.years))}"
    text += "; fitted on all regions" + (f" and separately in each group of {spec.by}." if spec.by else ".")
    return text


def _band_text(bands) -> str:
    lows = [0.0] + [b[0] for b in bands[:-1]]
    parts = [f"{label} [{lo:g}, {hi:g}{']' if k == len(bands) - 1 else ')'}"
             for k, (lo, (hi, label)) in enumerate(zip(lows, bands, strict=True))]
    return ", ".join(parts)


def _load_template(name: str) -> str:
    return resources.files("regionkit.report").joinpath("templates", name).read_text(encoding="utf-8")
