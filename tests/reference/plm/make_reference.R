# Reference values from R plm for linear panel models and the Hausman test
# on plm's Grunfeld data (10 firms x 20 years, 1935-1954).
#
# Run from the repository root:
#     Rscript tests/reference/plm/make_reference.R
#
# Outputs (in this folder; numbers written with sprintf("%.17g"), i.e. every
# double round-trips exactly):
#     grunfeld.csv           plm's Grunfeld data, plm's row order
#     plm_coefficients.csv   coefficients and standard errors (4 kinds)
#     plm_model_stats.csv    N, groups, df, R-squared (summary()'s default
#                            type "cor" and type "rss"), F / Wald chi-squared
#     plm_ercomp.csv         Swamy-Arora variance components and theta
#     plm_phtest.csv         Hausman test (phtest default: FE vs RE, vcov())
#     plm_versions.txt       R and package versions
#
# Samples: "balanced" = all 200 rows; "unbalanced" = without firms 3 and 7
# after 1950 and without firm 1 in 1935 (191 rows), to exercise the
# unbalanced Swamy-Arora formulas.

suppressPackageStartupMessages({
  library(plm)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/plm"
out <- function(f) file.path(here, f)

fmt <- function(v) {
  if (is.numeric(v)) {
    o <- sprintf("%.17g", v)
    o[is.na(v)] <- "NA"
    o
  } else {
    as.character(v)
  }
}
write_fixture <- function(df, name) {
  df[] <- lapply(df, fmt)
  write.csv(df, out(name), row.names = FALSE, quote = FALSE, na = "NA")
  cat(sprintf("wrote %-22s %4d rows\n", name, nrow(df)))
}

data("Grunfeld", package = "plm")
stopifnot(nrow(Grunfeld) == 200, length(unique(Grunfeld$firm)) == 10)
write_fixture(Grunfeld[, c("firm", "year", "inv", "value", "capital")], "grunfeld.csv")

samples <- list(
  balanced = Grunfeld,
  unbalanced = Grunfeld[!((Grunfeld$firm %in% c(3, 7) & Grunfeld$year > 1950) |
                            (Grunfeld$firm == 1 & Grunfeld$year == 1935)), ]
)
stopifnot(nrow(samples$unbalanced) == 191)

f <- inv ~ value + capital
specs <- list(
  pooled    = c("pooling", "individual"),
  fe        = c("within", "individual"),
  fe_twoway = c("within", "twoways"),
  re        = c("random", "individual")
)

coefs <- list(); mstats <- list(); ercomps <- list(); ph <- list()
for (s in names(samples)) {
  pd <- pdata.frame(samples[[s]], index = c("firm", "year"))
  fits <- list()
  for (m in names(specs)) {
    fit <- plm(f, data = pd, model = specs[[m]][1], effect = specs[[m]][2])
    fits[[m]] <- fit
    se <- function(V) sqrt(diag(V))
    coefs[[length(coefs) + 1]] <- data.frame(
      sample = s, model = m, term = names(coef(fit)), estimate = unname(coef(fit)),
      se = unname(se(vcov(fit))),
      se_cluster_sss = unname(se(vcovHC(fit, method = "arellano", type = "sss", cluster = "group"))),
      se_cluster_hc1 = unname(se(vcovHC(fit, method = "arellano", type = "HC1", cluster = "group"))),
      se_white_hc1 = unname(se(vcovHC(fit, method = "white1", type = "HC1")))
    )
    sm <- summary(fit)
    fs <- sm$fstatistic
    pdim_ <- pdim(fit)
    mstats[[length(mstats) + 1]] <- data.frame(
      sample = s, model = m, nobs = nobs(fit), n_groups = pdim_$nT$n, n_periods = pdim_$nT$T,
      df_resid = df.residual(fit), r_squared = unname(sm$r.squared["rsq"]),
      adj_r_squared = unname(sm$r.squared["adjrsq"]),
      r_squared_rss = r.squared(fit, type = "rss"),
      adj_r_squared_rss = r.squared(fit, type = "rss", dfcor = TRUE),
      test = names(fs$statistic), statistic = unname(fs$statistic),
      df1 = unname(fs$parameter[1]), df2 = if (length(fs$parameter) > 1) unname(fs$parameter[2]) else NA,
      p_value = unname(fs$p.value)
    )
  }
  ec <- ercomp(fits$re)
  ercomps[[length(ercomps) + 1]] <- data.frame(
    sample = s, method = "swar", sigma2_idios = unname(ec$sigma2["idios"]),
    sigma2_individual = unname(ec$sigma2["id"]),
    theta_min = min(ec$theta), theta_max = max(ec$theta)
  )
  h <- phtest(fits$fe, fits$re)
  ph[[length(ph) + 1]] <- data.frame(
    sample = s, formula = "inv ~ value + capital", chisq = unname(h$statistic),
    df = unname(h$parameter), p_value = h$p.value
  )
}

write_fixture(do.call(rbind, coefs), "plm_coefficients.csv")
write_fixture(do.call(rbind, mstats), "plm_model_stats.csv")
write_fixture(do.call(rbind, ercomps), "plm_ercomp.csv")
write_fixture(do.call(rbind, ph), "plm_phtest.csv")

writeLines(c(
  R.version.string,
  sprintf("plm %s", packageVersion("plm")),
  sprintf("zoo %s", packageVersion("zoo")),
  sprintf("sandwich %s", if (requireNamespace("sandwich", quietly = TRUE)) as.character(packageVersion("sandwich")) else "not installed")
), out("plm_versions.txt"))
cat("wrote plm_versions.txt\n")
