"""Write a study's tables (CSV, XLSX), layers (GeoPackage), figures (PNG/SVG) and HTML report."""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import pandas as pd

from . import figures as F
from .html import render_report


@dataclass(frozen=True)
class FigureEntry:
    """A numbered figure of the report."""

    key: str
    caption: str
    png_base64: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class TableEntry:
    """A numbered table of the report (HTML is escaped by pandas)."""

    key: str
    caption: str
    html: str
    file: str


def write_all(results, folder: Path) -> list[Path]:
    """Write every output under ``folder``; return paths relative to it."""
    folder = Path(folder)
    written: list[Path] = []
    cfg = results.config
    tables: dict[str, pd.DataFrame] = {}
    entries_t: list[TableEntry] = []
    entries_f: list[FigureEntry] = []
    names = results.panel.names() if results.panel is not None else {}
    geometry = results.panel.geometry if results.panel is not None else None

    def add_table(key: str, frame: pd.DataFrame, caption: str, *, show: pd.DataFrame | None = None) -> None:
        rel = Path("tables") / f"{key}.csv"
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(folder / rel, index=False)
        written.append(rel)
        tables[key] = frame
        shown = frame if show is None else show
        html = shown.to_html(index=False, escape=True, float_format=lambda v: f"{v:.4f}", border=0,
                             classes="data", na_rep="–")
        entries_t.append(TableEntry(key, caption, html, str(rel)))

    def add_figure(key: str, fig, caption: str) -> None:
        rels = []
        (folder / "figures").mkdir(parents=True, exist_ok=True)
        for fmt in cfg.report.figure_formats:
            rel = Path("figures") / f"{key}.{fmt}"
            # a fixed hash salt makes the SVG element ids (clip paths) reproducible
            with matplotlib.rc_context({"svg.hashsalt": key}):
                fig.savefig(folder / rel, dpi=cfg.report.dpi, format=fmt, metadata=_meta(fmt))
            written.append(rel)
            rels.append(str(rel))
        buf = io.BytesIO()
        fig.savefig(buf, dpi=cfg.report.dpi, format="png")
        F.close(fig)
        entries_f.append(FigureEntry(key, caption, base64.b64encode(buf.getvalue()).decode("ascii"), tuple(rels)))

    # ---- weights and composite indices
    if results.composites:
        w = pd.concat([c.weights.assign(system=n) for n, c in results.composites.items()], ignore_index=True)
        w = w[["system", "period", "indicator", "direction", "weight", "entropy", "divergence"]]
        add_table("weights", w, "Indicator weights per system (entropy method unless stated), with "
                  "information entropy e and divergence d = 1 − e.")
        pooled = {n: c.weight_vector("all") for n, c in results.composites.items()
                  if (c.weights["period"] == "all").any()}
        if pooled:
            add_figure("weights", F.weights_figure(pooled), "Indicator weights of each system.")
        for name in results.composites:
            group_tab = _group_means(results, name)
            if group_tab is not None:
                grouping, gm = group_tab
                add_figure(f"weights_composite_{name}",
                           F.group_lines(gm, ylabel=f"mean {name} index", title=f"{name} by {grouping}"),
                           f"Mean composite index of the {name} system over time by {grouping}.")
    region_year = results.region_year_table()
    if results.panel is not None:
        add_table("region_year", region_year, "Results per region and year (inputs, composite indices, "
                  "coupling C, development T, coordination D and its class); the last year is shown here, "
                  "every year is in the file.",
                  show=_latest_rows(region_year, results))

    # ---- coupling
    cp = results.coupling
    if cp is not None:
        counts = cp.class_counts().reset_index()
        counts.columns = [str(c) for c in counts.columns]
        add_table("coupling_class_counts", counts, "Number of regions per coupling coordination class and year.")
        years = cfg.coupling.map_years or _default_map_years(results.panel.years)
        if geometry is not None:
            classes = cp.table["D_class"].astype(str).unstack("year")[years]
            add_figure("coupling_map", F.class_maps(geometry, classes, title="D class",
                                                    categories=[b[1] for b in cp.bands]),
                       f"Coupling coordination degree D classes in {', '.join(map(str, years))} "
                       f"({cp.form} coupling form; legend counts regions per class).")
        for k, grouping in enumerate(results.groupings):  # one figure and table per grouping
            _, gm = _group_means(results, "D", grouping)
            suffix = "" if k == 0 else f"_{_slug(grouping)}"
            add_figure(f"coupling_groups{suffix}", F.group_lines(gm, ylabel="mean D", title=f"D by {grouping}"),
                       f"Mean coupling coordination degree D over time by {grouping}.")
            add_table(f"coupling_group_means{suffix}", gm.reset_index(), f"Mean D by {grouping} and year.")

    # ---- resilience
    for i, (section, res) in enumerate(results.resilience):
        table = res.to_frame()
        if i < len(results.sensitivity) and results.sensitivity[i] is not None:
            table = table.merge(results.sensitivity[i], on=["region", "start", "end"], how="left")
        table.insert(1, "name", table["region"].map(names))
        add_table(f"resilience_{i}_{_slug(section.variable)}", table,
                  f"Resilience of {section.variable} (Martin et al. 2016: (ΔY − ΔE)/|ΔE|) against "
                  f"the {res.reference}; kind = resistance for a contraction window, recovery for an expansion; "
                  "beta = Martin (2012) sensitivity index (ΔYᵢ/Yᵢ)/(ΔY_r/Y_r).")
        wide = res.wide()
        add_figure(f"resilience_{i}_{_slug(section.variable)}",
                   F.resilience_bars(wide, names, title=f"Resilience of {section.variable}"),
                   f"Resilience index of {section.variable} per region and window "
                   "(green: better than the reference, red: worse).")
        for k, col in enumerate(wide.columns if geometry is not None else []):
            add_figure(f"resilience_{i}_{_slug(section.variable)}_map{k}",
                       F.value_map(geometry, wide[col], title=f"{section.variable} resilience {col[0]}–{col[1]}",
                                   cmap="RdYlGn", diverging=True),
                       f"Map of the resilience of {section.variable} in {col[0]}–{col[1]}.")

    # ---- agglomeration
    if results.agglomeration is not None:
        per_region, per_industry, last, _table = results.agglomeration
        pr = per_region.reset_index()
        pr.insert(1, "name", pr["region"].map(names))
        add_table("agglomeration_regions", pr, "Agglomeration indices per region and year: HHI (Fan & Scott "
                  "2003: Σ_j (l_ij/l_j)²), specialisation HHI (Σ_j (l_ij/l_i)²) and Krugman specialisation Σ_j |s_ij − s̄_j| against the mean share of the other regions (as R REAT).",
                  show=pr[pr["year"] == last])
        pi = per_industry.to_frame("industry").rename_axis(cfg.agglomeration.label).reset_index()
        eg_note = (" Without plant-size Herfindahl H = 0 is assumed (infinitely many small plants), "
                   "so γ overstates concentration." if per_industry.ellison_glaeser.h_assumed_zero else "")
        add_table("agglomeration_industries", pi, f"Per-{cfg.agglomeration.label} concentration in {last}: "
                  "concentration HHI Σ_i (l_ij/l_j)² and Ellison–Glaeser G, H and γ." + eg_note)
        from ..indices.agglomeration import location_quotient

        lq = location_quotient(_table).reset_index()
        lq.insert(1, "name", lq["region"].map(names))
        add_table("agglomeration_lq", lq, f"Location quotients (l_ij/l_i)/(l_j/l) per region and "
                  f"{cfg.agglomeration.label} in {last}.")
        if geometry is not None:
            add_figure("agglomeration_map",
                       F.value_map(geometry, per_region.xs(last, level="year")["hhi_fan_scott"],
                                   title=f"HHI (Fan & Scott), {last}", cmap="YlOrRd"),
                       f"Fan–Scott HHI per region in {last}.")

    # ---- environmental damage
    if results.environment is not None:
        env = results.environment
        w = env.composite.weights[["indicator", "weight", "entropy", "divergence"]].rename(
            columns={"indicator": "pollutant"})
        add_table("environment_weights", w, "Entropy weights of the per-pollutant damage indices "
                  "(intensity relative to the all-region intensity of the year).")
        di = env.to_frame().reset_index()
        add_table("environment_index", di, "Per-pollutant damage indices DI and the comprehensive "
                  "environmental damage index per region and year.",
                  show=di[di["year"] == max(results.panel.years)])

    # ---- dispersion
    for var, d in results.dispersion.items():
        add_table(f"dispersion_{var}", d.to_frame().reset_index(),
                  f"Dispersion of {var} across regions: range (absolute difference), coefficient of variation "
                  f"(relative difference, ddof={d.ddof}) and Theil index"
                  + (" with its between/within decomposition." if d.group_means is not None else "."))
        add_figure(f"dispersion_{var}", F.dispersion_figure(d.table, variable=var),
                   f"Absolute and relative difference and Theil index of {var} over time.")

    # ---- spatial autocorrelation
    if results.spatial is not None:
        _spatial_outputs(results, add_table, add_figure)

    # ---- regression models
    for i, run in enumerate(results.models):
        key = f"models_{i}_{_slug(run.spec.name)}"
        table = run.table
        frame = table.to_frame().reset_index()
        frame.columns = [str(c) for c in frame.columns]
        (folder / "tables").mkdir(parents=True, exist_ok=True)
        for ext, text in (("txt", table.to_text()), ("tex", table.to_latex())):
            (folder / "tables" / f"{key}.{ext}").write_text(text, encoding="utf-8")
            written.append(Path("tables") / f"{key}.{ext}")
        table.to_xlsx(folder / "tables" / f"{key}.xlsx")
        written.append(Path("tables") / f"{key}.xlsx")
        frame.to_csv(folder / "tables" / f"{key}.csv", index=False)
        written.append(Path("tables") / f"{key}.csv")
        tables[key] = frame
        by = f" and by {run.spec.by}" if run.spec.by else ""
        covs = ", ".join(sorted({str(getattr(r, "cov_type", run.spec.cov_type)) for r in run.fits.values()}))
        caption = (f"{run.spec.name}: {run.spec.estimator} estimates of {run.spec.formula} on all regions{by} "
                   f"(standard errors in parentheses; covariance: {covs}).")
        haus = [v for k, v in run.extras.items() if k.startswith("hausman:")]
        if haus:
            caption += " Hausman tests: " + "; ".join(
                f"{k.split(':', 1)[1]} χ² = {v.chi2:.3f}, df {v.df}, p = {v.p:.4f}"
                for k, v in run.extras.items() if k.startswith("hausman:")) + "."
        notes = sorted({n for r in run.fits.values() for n in r.notes})
        if notes:
            caption += " Notes: " + " ".join(notes)
        entries_t.append(TableEntry(key, caption, table.to_html(), f"tables/{key}.csv"))

    # ---- urban indicators, mixed models, mediation
    if results.panel is not None:
        _urban_outputs(results, add_table, add_figure, folder, written, tables, entries_t)
        from .truth import truth_outputs  # true effects next to the estimates (synthetic data only)

        truth_outputs(results, add_table)

    # ---- ecological security pattern
    if getattr(results, "ecology", None) is not None:
        from .ecology import ecology_outputs

        written += ecology_outputs(results.ecology, folder, add_table, add_figure)

    # ---- industrial co-agglomeration
    if getattr(results, "coagglomeration", None) is not None:
        from .coagg import coagg_outputs

        written += coagg_outputs(results.coagglomeration, folder, add_table, add_figure)

    # ---- ecological-economic conflicts
    if getattr(results, "conflicts", None) is not None:
        from .conflicts import conflict_outputs

        written += conflict_outputs(results.conflicts, folder, add_table, add_figure)

    if results.join_report is not None:
        add_table("join_report", results.join_report.to_frame(), "Matching of panel regions with geometries.")

    # ---- workbook
    rel = Path("tables") / "results.xlsx"
    with pd.ExcelWriter(folder / rel, engine="openpyxl") as xl:
        for key, frame in tables.items():
            frame.to_excel(xl, sheet_name=key[:31], index=False)
    written.append(rel)

    # ---- GeoPackage
    if geometry is not None:
        written.append(_write_gpkg(results, region_year, geometry, folder))

    # ---- report
    html = render_report(results, figures=entries_f, tables=entries_t)
    (folder / "report.html").write_text(html, encoding="utf-8")
    written.append(Path("report.html"))
    return written


def _write_gpkg(results, region_year: pd.DataFrame, geometry, folder: Path) -> Path:
    import geopandas as gpd

    rel = Path("layers") / "results.gpkg"
    (folder / rel).parent.mkdir(parents=True, exist_ok=True)
    geo = geometry.reset_index()[["region", "geometry"]]
    ry = region_year.copy()
    for c in ry.columns:
        if isinstance(ry[c].dtype, pd.CategoricalDtype):
            ry[c] = ry[c].astype(str)
    layer = gpd.GeoDataFrame(ry.merge(geo, on="region", how="inner"), geometry="geometry", crs=geometry.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer.to_file(folder / rel, layer="region_year", driver="GPKG")
        if results.spatial is not None:
            for (var, year), lisa in results.spatial.lisa.items():
                t = lisa.to_frame().reset_index()
                t["cluster"] = t["cluster"].astype(str)
                if (var, year) in results.spatial.hotspots:
                    h = results.spatial.hotspots[(var, year)].to_frame()
                    t["gi_z"] = t["region"].map(h["z"])
                    t["gi_cluster"] = t["region"].map(h["cluster"].astype(str))
                g = gpd.GeoDataFrame(t.merge(geo, on="region"), geometry="geometry", crs=geometry.crs)
                g.to_file(folder / rel, layer=f"lisa_{_slug(var)}_{year}", driver="GPKG")
        for i, (section, res) in enumerate(results.resilience):
            wide = res.wide()
            wide.columns = [f"{section.variable}_{s}_{e}" for s, e in wide.columns]
            g = gpd.GeoDataFrame(wide.reset_index().merge(geo, on="region"), geometry="geometry", crs=geometry.crs)
            g.to_file(folder / rel, layer=f"resilience_{i}_{_slug(section.variable)}", driver="GPKG")
    return rel


def _spatial_outputs(results, add_table, add_figure) -> None:
    from ..pipeline.spatial_step import class_labels
    from ..spatial.autocorrelation import HOTSPOT_COLORS, LISA_COLORS

    sp_res = results.spatial
    sec = sp_res.section
    names = results.panel.names()
    geometry = results.panel.geometry
    g = sp_res.global_table
    perm = (f"{sec.permutations} random permutations (seed {sec.seed}), {sec.alternative} p-values"
            if sec.permutations else "no permutations")
    for name, w in sp_res.weights.items():
        add_table(f"spatial_weights_{_slug(name)}", w.to_frame(), f"Spatial weights “{name}”: {w.summary()}.")
    for var in sec.variables:
        mor = g[(g["statistic"] == "Moran's I") & (g["variable"] == var)]
        wide = mor.pivot(index="year", columns="weights",
                         values=["value", "expected", "z_rand", "p_rand", "p_sim"])
        wide = wide.swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
        order = ["value", "expected", "z_rand", "p_rand", "p_sim"]
        cols = [(wn, c) for wn in sp_res.weights for c in order]
        wide = wide[cols]
        wide.columns = [f"{wn}: {dict(value='I', expected='E[I]', z_rand='z', p_rand='p (analytic)', p_sim='p (permutation)')[c]}"
                        for wn, c in cols]
        add_table(f"spatial_moran_{_slug(var)}", wide.reset_index(),
                  f"Global Moran's I of {var} by year and weights scheme: I, E[I], z and analytic p under "
                  f"the randomisation assumption, and the permutation p ({perm}).")
        add_figure(f"spatial_moran_{_slug(var)}",
                   F.group_lines(mor.pivot(index="year", columns="weights", values="value"),
                                 ylabel="Moran's I", title=f"Global Moran's I of {var}"),
                   f"Global Moran's I of {var} over time for each weights scheme.")
    other = g[g["statistic"] != "Moran's I"]
    if not other.empty:
        add_table("spatial_geary_g", other, "Geary's C (E[C] = 1; C < 1 means positive autocorrelation) and "
                  "Getis–Ord General G (binary/raw weights) per variable, scheme and year; "
                  "variance under normality and randomisation.")
    first = next(iter(sp_res.weights))
    for var in sec.variables:
        lisa_cols, hot_cols, class_cols = {}, {}, {}
        for year in sp_res.years:
            lisa = sp_res.lisa[(var, year)]
            t = lisa.to_frame().reset_index()
            t.insert(1, "name", t["region"].map(names))
            add_table(f"spatial_lisa_{_slug(var)}_{year}", t,
                      f"Local Moran's I of {var} in {year} (weights “{first}”): {lisa.summary()}.",
                      show=t[t["cluster"].astype(str) != "not significant"])
            lisa_cols[year] = lisa.table["cluster"].astype(str)
            if (var, year) in sp_res.hotspots:
                hs = sp_res.hotspots[(var, year)]
                h = hs.to_frame().reset_index()
                h.insert(1, "name", h["region"].map(names))
                add_table(f"spatial_gistar_{_slug(var)}_{year}", h,
                          f"Getis–Ord Gi* (the region itself included) of {var} in {year}: z and analytic p "
                          f"(Ord & Getis 1995); hot/cold spots at 90/95/99 %, adjust={hs.adjust}.",
                          show=h[h["cluster"].astype(str) != "not significant"])
                hot_cols[year] = hs.table["cluster"].astype(str)
            c = sp_res.classes[(var, year)]
            class_cols[year] = class_labels(c, results.panel.wide(var).index)
        last = sp_res.years[-1]
        lt = sp_res.lisa[(var, last)].table
        mor = g[(g["statistic"] == "Moran's I") & (g["variable"] == var) & (g["weights"] == first)
                & (g["year"] == last)]
        add_figure(f"spatial_scatter_{_slug(var)}",
                   F.moran_scatter(lt["z"].to_numpy(), lt["lag"].to_numpy(), slope=float(mor["value"].iloc[0]),
                                   title=f"Moran scatter plot of {var}, {last}", clusters=lt["cluster"],
                                   colors=LISA_COLORS),
                   f"Moran scatter plot of {var} in {last} (weights “{first}”); points coloured by LISA cluster.")
        if geometry is not None:
            add_figure(f"spatial_lisa_{_slug(var)}",
                       F.category_maps(geometry, pd.DataFrame(lisa_cols), title=f"LISA {var}", colors=LISA_COLORS),
                       f"LISA cluster maps of {var} (GeoDa colours; {sec.alternative} permutation p ≤ "
                       f"{sec.alpha}, adjust={sec.adjust}).")
            if hot_cols:
                add_figure(f"spatial_hotspots_{_slug(var)}",
                           F.category_maps(geometry, pd.DataFrame(hot_cols), title=f"Gi* {var}",
                                           colors=HOTSPOT_COLORS),
                           f"Hot and cold spots (Getis–Ord Gi*) of {var}.")
            c0 = sp_res.classes[(var, last)]
            cats = c0.legend_labels()
            frame = pd.DataFrame({y: class_cols[y] for y in sp_res.years})
            add_figure(f"spatial_classes_{_slug(var)}",
                       F.category_maps(geometry, frame, title=f"{var} classes",
                                       colors=_class_palette(sp_res, var)),
                       f"{var} in classes ({sec.classify.method}, k = {sec.classify.k}, per year; legend: "
                       f"range and count). Last year's classes: {'; '.join(cats)}.")


def _urban_outputs(results, add_table, add_figure, folder, written, tables, entries_t) -> None:
    names = results.panel.names()
    u = results.urban
    last = max(results.panel.years)
    if u is not None and u.system is not None:
        w = u.system.weights.copy()
        add_table("urban_weights", w, f"Indicator system “{u.system.name}”: indicator weights within their "
                  f"dimension and overall ({u.system.method}).")
        dw = u.system.dimension_weights.reset_index()
        add_table("urban_dimension_weights", dw, "Dimension weights of the indicator system.")
        top = u.obstacles.top.reset_index()
        if "region" in top.columns:
            top.insert(1, "name", top["region"].map(names))
        add_table("urban_obstacles", top, f"Obstacle degree: the {u.obstacles.top_k} indicators that hold "
                  "each city back most (O_ij = F_j·I_ij / Σ_k F_k·I_ik, F = weight, I = 1 − normalised value).",
                  show=top[top["year"] == last] if "year" in top.columns else None)
        od = u.obstacles.dimension
        if od is not None:
            add_table("urban_obstacle_dimensions", od.reset_index(), "Obstacle degree per dimension.",
                      show=od.reset_index().pipe(lambda f: f[f["year"] == last] if "year" in f.columns else f))
        gm = _group_means(results, u.system.name)
        if gm is not None:
            add_figure("urban_index", F.group_lines(gm[1], ylabel=u.system.name, title=f"{u.system.name} by {gm[0]}"),
                       f"Mean {u.system.name} index over time by {gm[0]}.")
    if u is not None and u.population is not None:
        t = u.population.table.reset_index()
        counts = t.groupby(["year", "class"]).size().unstack(fill_value=0).reset_index()
        counts.columns = [str(c) for c in counts.columns]
        add_table("urban_population_classes", counts, "Cities by population change class per year "
                  "(S = registered − resident; S > 0 shrinking, S < 0 growing).")
        add_table("urban_population", t, "Population change per city and year.", show=t[t["year"] == last])
    if u is not None and u.rationalization is not None:
        r = u.rationalization.value.rename("R").reset_index()
        add_table("urban_rationalization", r, "Industrial-structure rationalisation (Theil form; 0 = equilibrium, "
                  "larger = less rational).", show=r[r["year"] == last])
    mx = results.mixed
    if mx is not None:
        from ..econometrics.tables import regression_table

        reg = regression_table({k: v.result for k, v in mx.fits.items()})
        _model_table(reg, "mixed_fixed", "Linear mixed models: fixed effects (" +
                     "; ".join(f"{k}: {v.formula}, {v.method}, df {v.df_method}" for k, v in mx.fits.items()) + ").",
                     folder, written, tables, entries_t)
        vc = pd.concat([v.variance_components.assign(model=k) for k, v in mx.fits.items()], ignore_index=True)
        add_table("mixed_variance", vc, "Variance components of the mixed models.")
        stats = pd.DataFrame([{"model": k, "method": v.method, "k": v.k, "logLik": v.llf, "AIC": v.aic,
                               "AICc": v.aicc, "BIC": v.bic, "R2m": v.r2_marginal, "R2c": v.r2_conditional,
                               "ICC": v.icc, "singular": v.singular} for k, v in mx.fits.items()])
        add_table("mixed_statistics", stats, "Fit statistics (Nakagawa–Schielzeth marginal and conditional R²; "
                  "AICc with k = fixed + variance parameters + residual).")
        if mx.comparison is not None:
            add_table("mixed_comparison", mx.comparison.to_frame().reset_index(),
                      "Model comparison" + (" (refitted by ML for likelihood comparisons)" if mx.comparison.refit else "")
                      + ".")
            if len(mx.comparison.tests):
                add_table("mixed_lr_tests", mx.comparison.tests.reset_index(),
                          "Likelihood-ratio tests between nested models (variance tests on the boundary are conservative).")
        for k, v in mx.fits.items():
            d = v.diagnostics()
            add_figure(f"mixed_diagnostics_{_slug(k)}",
                       F.residual_diagnostics(v.fitted.to_numpy(), v.residuals.to_numpy(),
                                              title=f"{k}: Shapiro–Wilk W = {d.shapiro_w:.3f}, p = {d.shapiro_p:.3g}"),
                       f"Residual diagnostics of {k}.")
    for i, (spec, med) in enumerate(results.mediations):
        t = med.to_frame().reset_index()
        add_table(f"mediation_{i}_{_slug(spec.name)}", t, f"Mediation “{spec.name}”: {med.summary()}")
        data = med.path_diagram_data()
        edges = {(e["source"], e["target"]): e["label"] for e in data["edges"]}
        mediators = [(m, edges.get((med.x, m), ""), edges.get((m, med.y), "")) for m in med.mediators]
        direct = edges.get((med.x, med.y), "")
        add_figure(f"mediation_{i}_{_slug(spec.name)}",
                   F.path_diagram(med.x, mediators, med.y, direct=direct, title=f"Mediation: {spec.name}"),
                   f"Path diagram of the mediation “{spec.name}” (stars: * p<0.10, ** p<0.05, *** p<0.01).")


def _model_table(table, key, caption, folder, written, tables, entries_t) -> None:
    frame = table.to_frame().reset_index()
    frame.columns = [str(c) for c in frame.columns]
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    for ext, text in (("txt", table.to_text()), ("tex", table.to_latex())):
        (folder / "tables" / f"{key}.{ext}").write_text(text, encoding="utf-8")
        written.append(Path("tables") / f"{key}.{ext}")
    table.to_xlsx(folder / "tables" / f"{key}.xlsx")
    written.append(Path("tables") / f"{key}.xlsx")
    frame.to_csv(folder / "tables" / f"{key}.csv", index=False)
    written.append(Path("tables") / f"{key}.csv")
    tables[key] = frame
    entries_t.append(TableEntry(key, caption, table.to_html(), f"tables/{key}.csv"))


def _class_palette(sp_res, var) -> dict[str, str]:
    out: dict[str, str] = {}
    for year in sp_res.years:
        labels = sp_res.classes[(var, year)].legend_labels()
        colors = F.class_colors(len(labels))
        out.update(dict(zip(labels, colors, strict=True)))
    return out


def _latest_rows(region_year: pd.DataFrame, results) -> pd.DataFrame:
    last = max(results.panel.years)
    keep = ["region", "name", "year"]
    keep += [c for c in region_year.columns if c in results.composites]
    keep += [c for c in ("C", "T", "D", "D_class", "lagging") if c in region_year.columns]
    return region_year.loc[region_year["year"] == last, keep]


def _group_means(results, variable: str, grouping: str | None = None):
    if not results.groupings:
        return None
    grouping = grouping or results.groupings[0]
    wide = results.panel.wide(variable)
    groups = results.panel.group(grouping)
    gm = wide.groupby(groups).mean().T
    gm.index.name = "year"
    gm.columns.name = None
    gm["all regions"] = wide.mean()
    return grouping, gm


def _slug(name: str) -> str:
    """A file-name-safe version of a variable name."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(name))[:60]


def _default_map_years(years: list[int]) -> list[int]:
    if len(years) <= 3:
        return years
    return [years[0], years[len(years) // 2], years[-1]]


def _meta(fmt: str) -> dict:
    # fixed metadata so outputs are byte-reproducible
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {"Date": None}
    return {}
