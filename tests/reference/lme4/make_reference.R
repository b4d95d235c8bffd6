# Reference values from R lme4 (+ lmerTest Satterthwaite df, + performance
# r2_nakagawa / icc) for regionkit.econometrics.mixed.
#
# Run from the repository root:
#     Rscript tests/reference/lme4/make_reference.R
#
# Needs (Debian): r-cran-lme4 r-cran-lmertest r-cran-performance
#
# Outputs (in this folder; numbers written with sprintf("%.17g"), i.e. every
# double round-trips exactly):
#     penicillin.csv        lme4's Penicillin data (24 plates x 6 samples, crossed)
#     panel.csv             a small synthetic city x year panel (seed below):
#                           6 regions, 30 cities nested in them, 8 years,
#                           about 10 % of the rows deleted at random
#     lme4_model_stats.csv  per model: method, nobs, k, logLik, AIC, BIC, sigma,
#                           isSingular, r2_nakagawa (marginal, conditional),
#                           icc (adjusted, unadjusted)
#     lme4_fixef.csv        fixed effects: estimate, SE (vcov), lmerTest
#                           Satterthwaite df, t and p
#     lme4_varcorr.csv      as.data.frame(VarCorr(fit)): grp, var1, var2, vcov, sdcor
#     lme4_theta.csv        getME(fit, "theta")
#     lme4_ranef.csv        ranef(fit) (BLUPs) for some models
#     lme4_anova.csv        anova(small, big) (lme4 refits REML fits with ML)
#     lme4_versions.txt     R and package versions
#
# sleepstudy is lme4's own copy (identical to ../shared/data/reference/sleepstudy.csv,
# which the Python tests read); it is not written here.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(performance)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/lme4"
out <- function(f) file.path(here, f)

fmt <- function(v) {
  if (is.numeric(v)) {
    o <- sprintf("%.17g", v)
    o[is.na(v)] <- "NA"
    o
  } else if (is.logical(v)) {
    o <- ifelse(v, "TRUE", "FALSE")
    o[is.na(v)] <- "NA"
    o
  } else {
    o <- as.character(v)
    o[is.na(v)] <- "NA"
    o
  }
}
write_fixture <- function(df, name) {
  df[] <- lapply(df, fmt)
  write.csv(df, out(name), row.names = FALSE, quote = FALSE, na = "NA")
  cat(sprintf("wrote %-22s %4d rows\n", name, nrow(df)))
}

# ------------------------------------------------------------------ data
data("Penicillin", package = "lme4")
pen <- data.frame(diameter = Penicillin$diameter,
                  plate = as.character(Penicillin$plate),
                  sample = as.character(Penicillin$sample))
write_fixture(pen, "penicillin.csv")

set.seed(20240611)
n_region <- 6; per_region <- 5; years <- 2011:2018
city <- sprintf("C%02d", seq_len(n_region * per_region))
region <- sprintf("R%d", rep(seq_len(n_region), each = per_region))
grid <- expand.grid(year = years, k = seq_along(city))
grid$city <- city[grid$k]
grid$region <- region[grid$k]
u_region <- rnorm(n_region, sd = 0.8)
u_city <- rnorm(length(city), sd = 1.0)
s_city <- rnorm(length(city), sd = 0.4)
v_year <- rnorm(length(years), sd = 0.5)
n <- nrow(grid)
grid$x1 <- round(rnorm(n), 4)
grid$x2 <- round(rnorm(n) + 0.1 * (grid$year - 2014), 4)
grid$y <- round(2 + 0.5 * grid$x1 - 0.3 * grid$x2 +
                u_region[match(grid$region, unique(region))] + u_city[grid$k] +
                s_city[grid$k] * grid$x1 + v_year[grid$year - 2010] +
                rnorm(n, sd = 0.7), 4)
keep <- runif(n) > 0.1
panel <- grid[keep, c("region", "city", "year", "x1", "x2", "y")]
rownames(panel) <- NULL
write_fixture(panel, "panel.csv")
panel$year <- factor(panel$year)

# ------------------------------------------------------------------ models
specs <- list(
  sleep_reml       = list(Reaction ~ Days + (Days | Subject), "sleepstudy", TRUE),
  sleep_ml         = list(Reaction ~ Days + (Days | Subject), "sleepstudy", FALSE),
  sleep_int_reml   = list(Reaction ~ Days + (1 | Subject), "sleepstudy", TRUE),
  sleep_int_ml     = list(Reaction ~ Days + (1 | Subject), "sleepstudy", FALSE),
  sleep_uncorr     = list(Reaction ~ Days + (Days || Subject), "sleepstudy", TRUE),
  pen_reml         = list(diameter ~ 1 + (1 | plate) + (1 | sample), "penicillin", TRUE),
  pen_ml           = list(diameter ~ 1 + (1 | plate) + (1 | sample), "penicillin", FALSE),
  pen_plate_reml   = list(diameter ~ 1 + (1 | plate), "penicillin", TRUE),
  panel_crossed    = list(y ~ x1 + x2 + (1 | city) + (1 | year), "panel", TRUE),
  panel_crossed_ml = list(y ~ x1 + x2 + (1 | city) + (1 | year), "panel", FALSE),
  panel_nested     = list(y ~ x1 + x2 + (1 | region/city), "panel", TRUE),
  panel_slope      = list(y ~ x1 + x2 + (1 + x1 | city) + (1 | year), "panel", TRUE),
  panel_noint      = list(y ~ x1 + x2 + (0 + x1 | city) + (1 | year), "panel", TRUE)
)
datasets <- list(sleepstudy = sleepstudy, penicillin = pen, panel = panel)

fits <- list(); stats <- list(); fixefs <- list(); vcs <- list(); thetas <- list()
for (m in names(specs)) {
  s <- specs[[m]]
  fit <- lmerTest::lmer(s[[1]], data = datasets[[s[[2]]]], REML = s[[3]])
  fits[[m]] <- fit
  r2 <- suppressWarnings(performance::r2_nakagawa(fit))
  ic <- suppressWarnings(performance::icc(fit))
  ll <- logLik(fit)
  stats[[m]] <- data.frame(
    model = m, formula = paste(deparse(s[[1]]), collapse = ""), data = s[[2]],
    method = if (s[[3]]) "REML" else "ML", nobs = nobs(fit), k = attr(ll, "df"),
    loglik = as.numeric(ll), aic = AIC(fit), bic = BIC(fit), sigma = sigma(fit),
    singular = isSingular(fit),
    r2_marginal = as.numeric(r2$R2_marginal), r2_conditional = as.numeric(r2$R2_conditional),
    icc_adjusted = as.numeric(ic$ICC_adjusted), icc_unadjusted = as.numeric(ic$ICC_unadjusted)
  )
  cf <- summary(fit, ddf = "Satterthwaite")$coefficients
  fixefs[[m]] <- data.frame(model = m, term = rownames(cf), estimate = cf[, "Estimate"],
                            se = cf[, "Std. Error"], df = cf[, "df"], t = cf[, "t value"],
                            p = cf[, "Pr(>|t|)"])
  vc <- as.data.frame(VarCorr(fit))
  vcs[[m]] <- data.frame(model = m, grp = vc$grp, var1 = vc$var1, var2 = vc$var2,
                         vcov = vc$vcov, sdcor = vc$sdcor)
  th <- getME(fit, "theta")
  thetas[[m]] <- data.frame(model = m, name = names(th), theta = unname(th))
}
bind <- function(l) { d <- do.call(rbind, l); rownames(d) <- NULL; d }
write_fixture(bind(stats), "lme4_model_stats.csv")
write_fixture(bind(fixefs), "lme4_fixef.csv")
write_fixture(bind(vcs), "lme4_varcorr.csv")
write_fixture(bind(thetas), "lme4_theta.csv")

ranefs <- list()
for (m in c("sleep_reml", "pen_reml", "panel_nested", "panel_slope")) {
  re <- ranef(fits[[m]])
  for (g in names(re)) {
    d <- re[[g]]
    for (term in colnames(d)) {
      ranefs[[length(ranefs) + 1]] <- data.frame(model = m, grp = g, level = rownames(d),
                                                 term = term, value = d[[term]])
    }
  }
}
write_fixture(bind(ranefs), "lme4_ranef.csv")

anovas <- list()
pairs <- list(sleep = c("sleep_int_reml", "sleep_reml"),
              pen = c("pen_plate_reml", "pen_reml"),
              panel = c("panel_crossed", "panel_slope"))
for (cmp in names(pairs)) {
  a <- anova(fits[[pairs[[cmp]][1]]], fits[[pairs[[cmp]][2]]])  # refit = TRUE (ML)
  anovas[[cmp]] <- data.frame(comparison = cmp, model = pairs[[cmp]], npar = a$npar,
                              aic = a$AIC, bic = a$BIC, loglik = a$logLik,
                              chisq = a$Chisq, df = a[["Df"]], p = a[["Pr(>Chisq)"]])
}
write_fixture(bind(anovas), "lme4_anova.csv")

versions <- c(
  R.version.string,
  paste("lme4", as.character(packageVersion("lme4"))),
  paste("lmerTest", as.character(packageVersion("lmerTest"))),
  paste("performance", as.character(packageVersion("performance"))),
  paste("insight", as.character(packageVersion("insight"))),
  paste("Matrix", as.character(packageVersion("Matrix")))
)
writeLines(versions, out("lme4_versions.txt"))
cat("wrote lme4_versions.txt\n")
