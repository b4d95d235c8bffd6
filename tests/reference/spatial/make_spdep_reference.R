# Reference values from R spdep for global and local spatial autocorrelation
# statistics on libpysal's example data (Columbus, us_income, mexico).
#
# Run from the repository root:
#     Rscript tests/reference/spatial/make_spdep_reference.R
#
# Inputs (written by export_inputs.py from libpysal's bundled example data):
#     input_columbus.csv, input_columbus_queen.gal, input_us_income.csv,
#     input_states48.gal, input_mexico.csv
# Outputs: spdep_*.csv in the same folder.  Numbers are written with
# sprintf("%.17g"), i.e. every double round-trips exactly.
#
# Needs R packages spdep (>= 1.2) and, for the Columbus contiguity cross-check,
# sf + spData (both are hard dependencies of spdep 1.2.x).

suppressPackageStartupMessages({
  library(spdep)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "tests/reference/spatial"
inp <- function(f) file.path(here, f)

set.seed(20240101)  # only moran_bv's (unused) permutation draws are random

fmt <- function(v) {
  if (is.numeric(v)) {
    out <- sprintf("%.17g", v)
    out[is.na(v)] <- "NA"
    out
  } else {
    as.character(v)
  }
}
write_fixture <- function(df, name) {
  df[] <- lapply(df, fmt)
  write.csv(df, inp(name), row.names = FALSE, quote = FALSE, na = "NA")
  cat(sprintf("wrote %-28s %5d rows\n", name, nrow(df)))
}

# ---------------------------------------------------------------------------
# data and neighbour sets (all nb objects are in the row order of the input CSV)
# ---------------------------------------------------------------------------
columbus <- read.csv(inp("input_columbus.csv"))
stopifnot(nrow(columbus) == 49L, identical(columbus$POLYID, 1:49))
# ids in columbus.gal are POLYID (1..49); region.id maps them onto rows.
col_nb <- read.gal(inp("input_columbus_queen.gal"),
                   region.id = as.character(columbus$POLYID))

# Cross-check: spData ships byte-identical copies of libpysal's columbus.shp/.dbf
# (same md5, see README); poly2nb(queen = TRUE) must give the same neighbours.
shp <- system.file("shapes/columbus.shp", package = "spData")
if (nzchar(shp) && requireNamespace("sf", quietly = TRUE)) {
  poly <- sf::st_read(shp, quiet = TRUE)
  stopifnot(all.equal(poly$CRIME, columbus$CRIME, tolerance = 0),
            all.equal(poly$INC, columbus$INC, tolerance = 0),
            all.equal(poly$HOVAL, columbus$HOVAL, tolerance = 0))
  q_nb <- poly2nb(poly, queen = TRUE)
  r_nb <- poly2nb(poly, queen = FALSE)
  stopifnot(isTRUE(all.equal(unclass(q_nb), unclass(col_nb), check.attributes = FALSE)))
  cat("columbus: libpysal columbus.gal == spdep::poly2nb(queen=TRUE);",
      "links queen", sum(card(q_nb)), "rook", sum(card(r_nb)), "\n")
} else {
  cat("columbus: spData/sf not available, poly2nb cross-check skipped\n")
}

us <- read.csv(inp("input_us_income.csv"), check.names = FALSE)
stopifnot(nrow(us) == 48L)
# states48.gal ids are 0-based usjoin.csv row positions.  read.gal's default
# region.id is 1:n, which would reject them; give 0:47 explicitly.
us_nb <- read.gal(inp("input_states48.gal"), region.id = as.character(0:47))

mx <- read.csv(inp("input_mexico.csv"))
stopifnot(nrow(mx) == 32L)
coords <- cbind(mx$x, mx$y)
# Euclidean distance on the planar centroids (degrees), as libpysal's KNN does.
knn <- knearneigh(coords, k = 5, longlat = FALSE, use_kd_tree = FALSE)
mx_nb <- knn2nb(knn, sym = FALSE)
# tie check: the 5th and 6th nearest distances must be clearly separated
d <- as.matrix(dist(coords)); diag(d) <- Inf
gap <- apply(d, 1, function(r) { s <- sort(r); s[6] - s[5] })
cat("mexico: min gap between 5th and 6th neighbour distance:", min(gap), "\n")
stopifnot(min(gap) > 1e-8)

datasets <- list(
  list(name = "columbus", data = columbus, vars = c("CRIME", "INC", "HOVAL"),
       nb = col_nb, weights = "queen_gal", id = columbus$POLYID,
       bv = list(c("CRIME", "INC"), c("CRIME", "HOVAL"), c("INC", "HOVAL"))),
  list(name = "us_income", data = us, vars = c("1929", "2009"),
       nb = us_nb, weights = "queen_gal", id = 0:47,
       bv = list(c("1929", "2009"))),
  list(name = "mexico", data = mx, vars = c("pcgdp1940", "pcgdp2000"),
       nb = mx_nb, weights = "knn5", id = seq_len(32),
       bv = list(c("pcgdp1940", "pcgdp2000")))
)
styles <- c("W", "B")

# neighbour lists actually used (1-based row positions in the input CSV)
nbrows <- list()
for (ds in datasets) {
  for (i in seq_along(ds$nb)) {
    j <- ds$nb[[i]]
    j <- j[j > 0L]
    nbrows[[length(nbrows) + 1]] <- data.frame(
      dataset = ds$name, weights = ds$weights, i = i, j = j)
  }
}
write_fixture(do.call(rbind, nbrows), "spdep_neighbours.csv")

moran_rows <- list(); geary_rows <- list(); g_rows <- list()
lm_rows <- list(); lg_rows <- list(); bv_rows <- list()

for (ds in datasets) {
  for (st in styles) {
    lw <- nb2listw(ds$nb, style = st)
    wc <- spweights.constants(lw)
    lw_star <- nb2listw(include.self(ds$nb), style = st)
    base <- data.frame(dataset = ds$name, weights = ds$weights, style = st)
    for (v in ds$vars) {
      x <- as.numeric(ds$data[[v]])
      key <- cbind(base[, 1, drop = FALSE], variable = v, base[, -1, drop = FALSE])

      # --- global Moran's I -------------------------------------------------
      for (rnd in c(TRUE, FALSE)) {
        g <- moran.test(x, lw, randomisation = rnd, alternative = "greater")
        t2 <- moran.test(x, lw, randomisation = rnd, alternative = "two.sided")
        moran_rows[[length(moran_rows) + 1]] <- cbind(key,
          assumption = ifelse(rnd, "randomisation", "normality"),
          n = wc$n, S0 = wc$S0, S1 = wc$S1, S2 = wc$S2,
          I = unname(g$estimate[1]), expectation = unname(g$estimate[2]),
          variance = unname(g$estimate[3]), z = unname(g$statistic),
          p_greater = g$p.value, p_two_sided = t2$p.value)
      }

      # --- Geary's C --------------------------------------------------------
      for (rnd in c(TRUE, FALSE)) {
        g <- geary.test(x, lw, randomisation = rnd, alternative = "greater")
        t2 <- geary.test(x, lw, randomisation = rnd, alternative = "two.sided")
        geary_rows[[length(geary_rows) + 1]] <- cbind(key,
          assumption = ifelse(rnd, "randomisation", "normality"),
          n = wc$n, C = unname(g$estimate[1]), expectation = unname(g$estimate[2]),
          variance = unname(g$estimate[3]), z = unname(g$statistic),
          p_greater = g$p.value, p_two_sided = t2$p.value)
      }

      # --- Getis-Ord global G (all variables are positive) -------------------
      stopifnot(all(x > 0))
      g <- suppressWarnings(globalG.test(x, lw, alternative = "greater"))
      t2 <- suppressWarnings(globalG.test(x, lw, alternative = "two.sided"))
      g_rows[[length(g_rows) + 1]] <- cbind(key, n = wc$n,
        G = unname(g$estimate[1]), expectation = unname(g$estimate[2]),
        variance = unname(g$estimate[3]), z = unname(g$statistic),
        p_greater = g$p.value, p_two_sided = t2$p.value)

      # --- local Moran -------------------------------------------------------
      # conditional: TRUE = Sokal et al. (1998) conditional randomisation (spdep
      # default), FALSE = total randomisation (Anselin 1995).  mlvar: TRUE (spdep
      # default) divides by m2 = sum(z^2)/n, FALSE by sum(z^2)/(n-1) (GeoDa/esda Is).
      for (cond in c(TRUE, FALSE)) for (mlv in c(TRUE, FALSE)) {
        lm2 <- localmoran(x, lw, conditional = cond, mlvar = mlv,
                          alternative = "two.sided")
        q <- attr(lm2, "quadr")
        lm_rows[[length(lm_rows) + 1]] <- cbind(key[rep(1, length(x)), ],
          conditional = cond, mlvar = mlv, i = seq_along(x), id = ds$id,
          Ii = lm2[, "Ii"], E_Ii = lm2[, "E.Ii"], Var_Ii = lm2[, "Var.Ii"],
          Z_Ii = lm2[, "Z.Ii"], p_two_sided = lm2[, "Pr(z != E(Ii))"],
          quadr_mean = as.character(q$mean), quadr_pysal = as.character(q$pysal))
      }

      # --- local G (Gi) and G*i ---------------------------------------------
      for (star in c(FALSE, TRUE)) {
        r <- localG(x, if (star) lw_star else lw, return_internals = TRUE)
        it <- attr(r, "internals")
        stopifnot(isTRUE(all.equal(as.numeric(r), it[, 4], tolerance = 0)))
        lg_rows[[length(lg_rows) + 1]] <- cbind(key[rep(1, length(x)), ],
          gstar = star, i = seq_along(x), id = ds$id,
          G = it[, 1], E_G = it[, 2], V_G = it[, 3], Z_G = it[, 4],
          p_two_sided = it[, 5])
      }
    }

    # --- bivariate Moran (spdep::moran_bv: observed value t0 only) ----------
    if (exists("moran_bv", mode = "function")) {
      for (p in ds$bv) {
        x <- as.numeric(ds$data[[p[1]]]); y <- as.numeric(ds$data[[p[2]]])
        b <- moran_bv(x, y, lw, nsim = 9)
        bv_rows[[length(bv_rows) + 1]] <- cbind(base[, 1, drop = FALSE],
          x = p[1], y = p[2], base[, -1, drop = FALSE], I = unname(b$t0))
      }
    }
  }
}

write_fixture(do.call(rbind, moran_rows), "spdep_moran.csv")
write_fixture(do.call(rbind, geary_rows), "spdep_geary.csv")
write_fixture(do.call(rbind, g_rows), "spdep_globalG.csv")
write_fixture(do.call(rbind, lm_rows), "spdep_localmoran.csv")
write_fixture(do.call(rbind, lg_rows), "spdep_localG.csv")
if (length(bv_rows)) write_fixture(do.call(rbind, bv_rows), "spdep_moran_bv.csv")

writeLines(c(
  paste("R", paste(R.version$major, R.version$minor, sep = ".")),
  paste("spdep", as.character(packageVersion("spdep"))),
  paste("sf", if (requireNamespace("sf", quietly = TRUE)) as.character(packageVersion("sf")) else "NA"),
  paste("spData", if (requireNamespace("spData", quietly = TRUE)) as.character(packageVersion("spData")) else "NA")
), inp("spdep_versions.txt"))
cat("done\n")
