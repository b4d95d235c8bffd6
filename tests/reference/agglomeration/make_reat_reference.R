# Reference values for regionkit.indices.agglomeration, computed with the R
# package REAT (Wieland), sourced straight from an unpacked checkout of its R/
# folder (REAT itself is not copied into this repository).
#
# Usage (from the repository root; see README.md in this folder):
#   Rscript tests/reference/agglomeration/make_reat_reference.R <REAT R/ dir> [<us gdp csv.gz>]
#
# Writes, next to this script:
#   (input: US states x 19 manufacturing sub-sectors, nominal GDP 2019 (BEA), rebuilt from ../shared by the test)
#   reat_us_*.csv               REAT results on input_table.csv
#   fk2013_table.csv            REAT's own krugman.spec2 example table (Farhauer/Kroell 2013)
#   reat_fk2013_*.csv           REAT results on that table
#   reat_fk2014_ellison_a.csv   REAT's own ellison.a example (Farhauer/Kroell 2014), plant level
#   reat_doc_examples.csv       further scalar examples from REAT's help pages

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 1) {
  stop("usage: Rscript make_reat_reference.R <REAT R/ dir> [<us_states_gdp_by_industry csv.gz>]")
}
reat_dir <- args[1]
gdp_file <- if (length(args) >= 2) args[2] else "../shared/data/us_states_gdp_by_industry_1997_2021.csv.gz"

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
out_dir <- dirname(normalizePath(sub("^--file=", "", script_arg)))

# The REAT functions used (and their internal dependencies).
for (f in c("locq", "locq2", "herf", "hoover", "gini.conc", "krugman.spec", "krugman.spec2",
            "spec", "ellison.a", "ellison.a2")) {
  source(file.path(reat_dir, paste0(f, ".R")))
}

fmt <- function(x) sprintf("%.17g", x)

write_num <- function(df, name) {
  # full precision (17 significant digits) for every numeric column
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = TRUE)
}

quiet <- function(expr) {
  # REAT's wrappers print their results; keep the console clean
  out <- NULL
  invisible(capture.output(out <- expr))
  out
}

# --------------------------------------------------------------------------
# Results for a region x industry matrix m (rows = regions, cols = industries)
# --------------------------------------------------------------------------
reat_on_matrix <- function(m, prefix) {
  regions <- rownames(m)
  industries <- colnames(m)
  nat <- colSums(m)  # national industry totals
  tot <- sum(m)

  # Location quotients: locq(e_ij, e_j, e_i, e), region by region
  lq <- t(sapply(regions, function(r) locq(m[r, ], sum(m[r, ]), nat, tot)))
  # ... and with locq2 on the long table (industries x regions matrix)
  long <- data.frame(region = rep(regions, times = length(industries)),
                     industry = rep(industries, each = length(regions)),
                     value = as.vector(m), stringsAsFactors = FALSE)
  lq2 <- quiet(locq2(long$value, long$industry, long$region))
  lq_long <- data.frame(region = rep(regions, times = length(industries)),
                        industry = rep(industries, each = length(regions)),
                        locq = as.vector(lq[regions, industries]),
                        locq2 = mapply(function(r, i) lq2[i, r], long$region, long$industry),
                        stringsAsFactors = FALSE)
  write_num(lq_long, paste0(prefix, "_locq.csv"))

  # Per region: herf over the region's industries (specialization HHI),
  # Krugman against the nation, against the rest of the country, against the
  # (unweighted) mean structure of the other regions (krugman.spec2) and the
  # columns of spec() (Hoover coefficient H j and Krugman K j).
  sp <- quiet(spec(long$value, long$industry, long$region))
  per_region <- data.frame(
    region = regions,
    herf = sapply(regions, function(r) herf(m[r, ])),
    krugman_spec_national = sapply(regions, function(r) krugman.spec(m[r, ], nat)),
    krugman_spec_rest = sapply(regions, function(r) krugman.spec(m[r, ], nat - m[r, ])),
    krugman_spec2_others = sapply(regions, function(r) {
      others <- as.data.frame(t(m[setdiff(regions, r), , drop = FALSE]))
      krugman.spec2(m[r, ], others)
    }),
    spec_hoover = sp[regions, "H j"],
    spec_krugman = sp[regions, "K j"],
    stringsAsFactors = FALSE
  )
  write_num(per_region, paste0(prefix, "_per_region.csv"))

  # Per industry: herf over regions (conventional concentration HHI) and the
  # Ellison-Glaeser index from ellison.a2 with one pseudo-plant per
  # region x industry cell, so that REAT's plant Herfindahl H_i equals
  # herf over regions of that industry.
  eg <- quiet(ellison.a2(long$value, long$industry, long$region, print.results = FALSE))
  per_industry <- data.frame(
    industry = industries,
    herf = sapply(industries, function(i) herf(m[, i])),
    eg_gamma = eg[industries, "Gamma i"],
    eg_G = eg[industries, "G i"],
    eg_H = eg[industries, "HHI i"],
    stringsAsFactors = FALSE
  )
  write_num(per_industry, paste0(prefix, "_per_industry.csv"))
}

# --------------------------------------------------------------------------
# (b) US states, 19 manufacturing sub-sectors (BEA SAGDP lines 14-24 durable,
#     26-33 nondurable), nominal GDP 2019, ten states
# --------------------------------------------------------------------------
gdp <- read.csv(gzfile(gdp_file), stringsAsFactors = FALSE, colClasses = c(naics = "character"))
lines_mfg <- c(14:24, 26:33)
states <- c("CA", "TX", "NY", "OH", "MI", "IL", "PA", "NC", "WA", "IN")
sub <- gdp[gdp$year == 2019 & gdp$line %in% lines_mfg & gdp$state %in% states, ]
naics_order <- unique(sub[order(sub$line), "naics"])
m <- matrix(NA_real_, nrow = length(states), ncol = length(naics_order),
            dimnames = list(states, naics_order))
for (k in seq_len(nrow(sub))) m[sub$state[k], sub$naics[k]] <- sub$gdp_nominal_musd[k]
stopifnot(!anyNA(m), all(m > 0))
input <- data.frame(region = states, m, check.names = FALSE, stringsAsFactors = FALSE)
write.csv(input, file.path(tempdir(), "input_table.csv"), row.names = FALSE)  # not committed: shared data stay outside the repo
reat_on_matrix(m, "reat_us")

# --------------------------------------------------------------------------
# (a) REAT's own documented examples (help pages; data given as text there)
# --------------------------------------------------------------------------
# krugman.spec2 help page, from Farhauer/Kroell (2013): five countries x five industries
Sweden <- c(45000, 15000, 32000, 10000, 30000)
Norway <- c(35000, 12000, 30000, 8000, 22000)
Denmark <- c(40000, 10000, 25000, 9000, 18000)
Finland <- c(30000, 11000, 18000, 3000, 13000)
Island <- c(40000, 6000, 11000, 2000, 12000)
fk <- rbind(Sweden, Norway, Denmark, Finland, Island)
colnames(fk) <- paste0("i", 1:5)
write.csv(data.frame(region = rownames(fk), fk, check.names = FALSE),
          file.path(out_dir, "fk2013_table.csv"), row.names = FALSE)
reat_on_matrix(fk, "reat_fk2013")

# ellison.a help page, from Farhauer/Kroell (2014): ten plants of one industry
# in three regions with total employment E_j; documented gamma 0.05990628.
j <- c("Wien", "Wien", "Wien", "Wien", "Wien", "Linz", "Linz", "Linz", "Linz", "Graz")
E_ik <- c(200, 650, 12000, 100, 50, 16000, 13000, 1500, 1500, 25000)
E_j <- c(500000, 400000, 100000)
ea <- ellison.a(E_ik, E_j, j, print.results = FALSE)
write_num(data.frame(
  region = c("Wien", "Linz", "Graz"),
  region_total = E_j,
  industry_employment = sapply(c("Wien", "Linz", "Graz"), function(r) sum(E_ik[j == r])),
  plant_herfindahl = ea[1, "HHI i"],
  gamma = ea[1, "Gamma i"],
  G = ea[1, "G i"],
  stringsAsFactors = FALSE
), "reat_fk2014_ellison_a.csv")

# Scalar examples of the help pages (documented value in the comment there)
doc <- data.frame(
  example = c("locq(1714, 79006, 879213, 15593224)",
              "herf(c(20,50,20,10))",
              "krugman.spec(c(20,10,70,0,0), c(0,0,0,60,40))"),
  documented = c(0.3847623, 0.34, 2),
  reat = c(locq(1714, 79006, 879213, 15593224),
           herf(c(20, 50, 20, 10)),
           krugman.spec(c(20, 10, 70, 0, 0), c(0, 0, 0, 60, 40))),
  stringsAsFactors = FALSE
)
write_num(doc, "reat_doc_examples.csv")
cat("written to", out_dir, "\n")
