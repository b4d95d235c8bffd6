#!/usr/bin/env Rscript
# Reference values for regionkit's Tobit models, computed with R packages we did
# not write:
#   * AER::tobit (a wrapper of survival::survreg) on the Affairs data: estimates,
#     log-likelihood, observed-information standard errors (vcov), sandwich and
#     cluster-robust standard errors from the sandwich package;
#   * lme4::lmer (ML, REML = FALSE) on sleepstudy: the uncensored random-intercept
#     model that the random-effects Tobit must reproduce without censoring.
#
# Usage (from the repository root; the data are not part of the repository):
#   Rscript tests/reference/tobit/make_reference.R [<data dir>]
# <data dir> defaults to ../shared/data/reference and must hold Affairs.csv and
# sleepstudy.csv.  Writes affairs_aer_se.csv, sleepstudy_lme4_fit.csv and
# provenance.txt next to this script.
#
# Covariance conventions (sandwich 3.0-2):
#   sandwich(fit)                       H^-1 (sum s_i s_i') H^-1, no factor ("HC0")
#   vcovCL(fit, cluster = 1:n, "HC0")   the same times n/(n-1)  = Stata vce(robust) for ML
#   vcovCL(fit, cluster = g, "HC0")     cluster sandwich times G/(G-1) (cadjust = TRUE)
#                                       = Stata vce(cluster g) for ML models (tobit)
#   vcovCL(fit, cluster = g, "HC1")     times G/(G-1) * (n-1)/(n-k): Stata's *regress* factor
# Parameters are on survreg's scale: coefficients and Log(scale) = log(sigma).

suppressPackageStartupMessages({
  library(AER)       # tobit(), loads survival and sandwich
  library(lme4)
})

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[[1]] else "../shared/data/reference"
file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
out_dir <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg))) else getwd()

fmt <- function(x) trimws(formatC(x, digits = 15, format = "g"))

# ---------------------------------------------------------------------------
# AER::tobit on Affairs
# ---------------------------------------------------------------------------
affairs <- read.csv(file.path(data_dir, "Affairs.csv"))
form <- affairs ~ age + yearsmarried + religiousness + occupation + rating
n <- nrow(affairs)
rows <- list()
for (spec in list(list(model = "left0", right = Inf), list(model = "left0_right4", right = 4))) {
  fit <- tobit(form, left = 0, right = spec$right, data = affairs)
  est <- c(coef(fit), "Log(scale)" = log(fit$scale))
  V <- vcov(fit)
  se <- function(M) sqrt(diag(M))
  k <- length(est)
  tab <- data.frame(
    model = spec$model,
    term = names(est),
    estimate = fmt(est),
    se = fmt(se(V)),
    se_sandwich_hc0 = fmt(se(sandwich(fit))),
    se_robust_stata = fmt(se(vcovCL(fit, cluster = seq_len(n), type = "HC0"))),
    se_cluster_occupation_hc0 = fmt(se(vcovCL(fit, cluster = ~occupation, type = "HC0"))),
    se_cluster_occupation_hc1 = fmt(se(vcovCL(fit, cluster = ~occupation, type = "HC1"))),
    loglik = fmt(as.numeric(logLik(fit))),
    scale = fmt(fit$scale),
    se_scale_delta = fmt(fit$scale * sqrt(V["Log(scale)", "Log(scale)"])),
    stringsAsFactors = FALSE
  )
  rows[[spec$model]] <- tab
}
aff <- do.call(rbind, rows)
aff$term[aff$term == "(Intercept)"] <- "const"
aff$term[aff$term == "Log(scale)"] <- "log_sigma"
write.csv(aff, file.path(out_dir, "affairs_aer_se.csv"), row.names = FALSE, quote = TRUE)

# ---------------------------------------------------------------------------
# lme4: ML random-intercept fit on sleepstudy
# ---------------------------------------------------------------------------
sleep <- read.csv(file.path(data_dir, "sleepstudy.csv"))
sleep$Subject <- factor(sleep$Subject)
m <- lmer(Reaction ~ Days + (1 | Subject), data = sleep, REML = FALSE,
          control = lmerControl(optimizer = "bobyqa",
                                optCtrl = list(rhobeg = 2e-3, rhoend = 1e-12, maxfun = 1e5)))
vc <- as.data.frame(VarCorr(m))
lme <- data.frame(
  quantity = c("loglik", "const", "Days", "sigma_u", "sigma_e", "se_const", "se_Days"),
  value = fmt(c(as.numeric(logLik(m)), fixef(m),
                vc$sdcor[vc$grp == "Subject"], vc$sdcor[vc$grp == "Residual"],
                sqrt(diag(as.matrix(vcov(m)))))),
  stringsAsFactors = FALSE
)
write.csv(lme, file.path(out_dir, "sleepstudy_lme4_fit.csv"), row.names = FALSE, quote = TRUE)

writeLines(c(
  paste("made:", format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z")),
  paste("R:", R.version.string),
  paste("AER:", as.character(packageVersion("AER"))),
  paste("survival:", as.character(packageVersion("survival"))),
  paste("sandwich:", as.character(packageVersion("sandwich"))),
  paste("lme4:", as.character(packageVersion("lme4"))),
  paste("Affairs.csv md5:", unname(tools::md5sum(file.path(data_dir, "Affairs.csv")))),
  paste("sleepstudy.csv md5:", unname(tools::md5sum(file.path(data_dir, "sleepstudy.csv"))))
), file.path(out_dir, "provenance.txt"))
cat("written to", out_dir, "\n")
