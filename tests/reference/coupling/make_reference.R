#!/usr/bin/env Rscript
# Independent reference values for the entropy weight method and the coupling
# coordination degree (CCD), computed with the R package `mathmodels`
# (Jingxin Zhang; GitHub repository zhjx19/mathmodels).
#
# Nothing of that package is copied here: its R sources are extracted to /tmp
# and source()d at run time.  See README.md in this folder for the exact
# commands, the package commit and the formulas.
#
# Usage (from the repository root):
#   Rscript tests/reference/coupling/make_reference.R <mathmodels source dir> [<commit>]
# where <mathmodels source dir> contains DESCRIPTION and R/ of the package.
#
# Functions used (all plain base R, plus tibble::tibble for the return value of
# coupling_degree()):
#   R/eval_preprocess.R : rescale()          min-max rescaling to [a, b]
#   R/eval_weights.R    : entropy_weight()   entropy weight method
#   R/eval_system.R     : coupling_degree()  C, T, D ("standard" / "adjusted")

args <- commandArgs(trailingOnly = TRUE)
pkg_dir <- if (length(args) >= 1) args[[1]] else "/tmp/pkg/mathmodels"
pkg_commit <- if (length(args) >= 2) args[[2]] else NA_character_

file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
out_dir <- if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg))) else getwd()

# ---------------------------------------------------------------------------
# Load the package functions (sourced, not installed: the package's Imports
# such as dplyr/forecast are not needed by these three files).
# ---------------------------------------------------------------------------
mm <- new.env(parent = globalenv())
for (f in c("eval_preprocess.R", "eval_weights.R", "eval_system.R")) {
  source(file.path(pkg_dir, "R", f), local = mm)
}
stopifnot(requireNamespace("tibble", quietly = TRUE))
desc <- read.dcf(file.path(pkg_dir, "DESCRIPTION"))

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
write_fixture <- function(df, name) {
  # 17 significant digits so that doubles round-trip (write.csv uses 15).
  for (col in names(df)) {
    x <- df[[col]]
    if (is.numeric(x)) df[[col]] <- ifelse(is.na(x), "", sprintf("%.17g", x))
  }
  path <- file.path(out_dir, name)
  write.csv(df, path, row.names = FALSE, quote = FALSE, na = "")
  cat("wrote", path, "\n")
}

# ---------------------------------------------------------------------------
# Data: Munnell (1990) state panel, 1986 cross-section (48 states)
# ---------------------------------------------------------------------------
raw <- read.csv(file.path(out_dir, "munnell_1986.csv"), stringsAsFactors = FALSE)
stopifnot(nrow(raw) == 48, !anyDuplicated(raw$ST_ABB))

systems <- list(
  S1 = c(GSP = "+", EMP = "+", P_CAP = "+", UNEMP = "-"),
  S2 = c(HWY = "+", WATER = "+", UTIL = "+", PC = "+")
)
indicators <- unlist(lapply(systems, names), use.names = FALSE)
directions <- unlist(lapply(systems, unname), use.names = FALSE)
names(directions) <- indicators

# (a1) plain min-max normalisation to [0, 1] with mathmodels::rescale defaults
norm01 <- data.frame(ST_ABB = raw$ST_ABB)
for (v in indicators) norm01[[v]] <- mm$rescale(raw[[v]], type = directions[[v]])
write_fixture(norm01, "normalized_minmax.csv")

# (a2) entropy weights and (b) composite scores for two epsilons:
# 0.002 is the package default, 0.01 gives the common "0.01-0.99" rescaling.
epsilons <- c(0.002, 0.01)
weights_rows <- list()
scores_rows <- list()
for (eps in epsilons) {
  # The normalised matrix entropy_weight() builds internally; it does not
  # return it, so it is rebuilt here with the same package call
  # rescale(x, type, a = epsilon, b = 1 - epsilon) and cross-checked below.
  norm_eps <- data.frame(ST_ABB = raw$ST_ABB)
  for (v in indicators) {
    norm_eps[[v]] <- mm$rescale(raw[[v]], type = directions[[v]], a = eps, b = 1 - eps)
  }
  write_fixture(norm_eps, sprintf("normalized_eps%s.csv", format(eps)))

  sc <- data.frame(ST_ABB = raw$ST_ABB, epsilon = eps)
  for (s in names(systems)) {
    cols <- names(systems[[s]])
    ew <- mm$entropy_weight(raw[cols], index = unname(systems[[s]]), epsilon = eps)
    # cross-check: the score is 100 * normalised matrix %*% w
    stopifnot(isTRUE(all.equal(
      ew$s, as.vector(100 * as.matrix(norm_eps[cols]) %*% ew$w), tolerance = 1e-14
    )))
    weights_rows[[length(weights_rows) + 1]] <- data.frame(
      system = s, indicator = cols, direction = unname(systems[[s]]),
      epsilon = eps, weight = unname(ew$w)
    )
    sc[[sub("^S", "U", s)]] <- ew$s / 100
  }
  # third system for the three-system CCD: EMP alone, i.e. its normalised value
  sc$U3 <- norm_eps$EMP
  scores_rows[[length(scores_rows) + 1]] <- sc
}
write_fixture(do.call(rbind, weights_rows), "entropy_weights.csv")
scores <- do.call(rbind, scores_rows)
write_fixture(scores, "scores.csv")

# ---------------------------------------------------------------------------
# (c) coupling coordination degree with mathmodels::coupling_degree()
# ---------------------------------------------------------------------------
sc2 <- scores[scores$epsilon == 0.002, ]
example <- data.frame( # the data of the package's own roxygen example
  ID = LETTERS[1:6],
  s1 = c(0.0162, 0.1782, 0.5490, 0.6730, 0.0207, 0.9875),
  s2 = c(0.2720, 0.6824, 0.0593, 0.4812, 0.8891, 0.5573),
  s3 = c(0.2655, 0.3721, 0.5729, 0.9082, 0.2017, 0.8984)
)
cases <- list(
  list(case = "munnell_2sys_equal", id = sc2$ST_ABB, U = sc2[c("U1", "U2")], w = NULL),
  list(case = "munnell_2sys_w64", id = sc2$ST_ABB, U = sc2[c("U1", "U2")], w = c(0.6, 0.4)),
  list(case = "munnell_3sys_equal", id = sc2$ST_ABB, U = sc2[c("U1", "U2", "U3")], w = NULL),
  list(case = "munnell_3sys_w442", id = sc2$ST_ABB, U = sc2[c("U1", "U2", "U3")], w = c(0.4, 0.4, 0.2)),
  list(case = "example_3sys_equal", id = example$ID, U = example[c("s1", "s2", "s3")], w = NULL),
  list(case = "example_3sys_w433", id = example$ID, U = example[c("s1", "s2", "s3")], w = c(0.4, 0.3, 0.3))
)
forms <- c(standard = "standard", adjusted = "wang2021") # mathmodels type -> regionkit form
ccd_rows <- list()
for (cs in cases) {
  U <- cs$U
  p <- ncol(U)
  names(U) <- paste0("U", seq_len(p))
  w_used <- if (is.null(cs$w)) rep(1 / p, p) else cs$w
  for (type in names(forms)) {
    res <- mm$coupling_degree(U, w = cs$w, type = type)
    out <- data.frame(
      case = cs$case, form_r = type, form = forms[[type]], n_systems = p,
      weights_given = !is.null(cs$w),
      w1 = w_used[1], w2 = w_used[2], w3 = if (p >= 3) w_used[3] else NA_real_,
      id = cs$id,
      U1 = U$U1, U2 = U$U2, U3 = if (p >= 3) U$U3 else NA_real_,
      C = res$coupling, T = res$coord, D = res$coupling_coord
    )
    ccd_rows[[length(ccd_rows) + 1]] <- out
  }
}
write_fixture(do.call(rbind, ccd_rows), "ccd_reference.csv")

# ---------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------
prov <- c(
  paste("R:", R.version.string),
  paste("mathmodels:", desc[1, "Version"], "commit", pkg_commit),
  paste("tibble:", as.character(packageVersion("tibble"))),
  "functions: rescale (R/eval_preprocess.R), entropy_weight (R/eval_weights.R), coupling_degree (R/eval_system.R)"
)
writeLines(prov, file.path(out_dir, "provenance.txt"))
cat(prov, sep = "\n")
