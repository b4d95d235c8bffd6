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
    return env.get_template("report.html").render(
        title=cfg.study.title,
        author=cfg.study.author,
        panel_summary=results.panel.summary() if results.panel is not None else "",
        methods=methods,
        sections=sections,
        warnings=results.warnings,
        provenance=results.provenance,
        config_json=json.dumps(cfg.model_dump(mode="json"), indent=2, ensure_ascii=False),
    )


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
    eco = getattr(results, "ecology", None)
    if eco is not None:
        out += list(eco.methods)
    coagg = getattr(results, "coagglomeration", None)
    if coagg is not None:
        out += list(coagg.methods)
    return out


def _band_text(bands) -> str:
    lows = [0.0] + [b[0] for b in bands[:-1]]
    parts = [f"{label} [{lo:g}, {hi:g}{']' if k == len(bands) - 1 else ')'}"
             for k, (lo, (hi, label)) in enumerate(zip(lows, bands, strict=True))]
    return ", ".join(parts)


def _load_template(name: str) -> str:
    return resources.files("regionkit.report").joinpath("templates", name).read_text(encoding="utf-8")
