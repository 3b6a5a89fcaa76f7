# Reference values for EvalSig's small-sample cluster-robust inference and planning, computed by
# independent implementations: R's clubSandwich (CR2, Satterthwaite / Bell-McCaffrey df), sandwich
# (CR1 for the wild bootstrap's studentization), pwr (t-test power), and a plain enumeration of the
# wild cluster bootstrap written here from its definition (no code shared with EvalSig).
#
# Run from this folder:  Rscript make_reference.R   (writes reference.json next to it)
# Made with R 4.2.2, clubSandwich 0.5.8, sandwich 3.0.2, pwr 1.3.0, jsonlite 1.8.4 (Debian bookworm).

suppressMessages({
  library(clubSandwich)
  library(sandwich)
  library(pwr)
  library(jsonlite)
})

alpha <- 0.05

# ---- CR2 cases: d ~ 1 clustered, equal and unequal sizes, G = 2..50 ---------------------------------
make_case <- function(name, sizes, gen, seed) {
  set.seed(seed)
  cl <- rep(seq_along(sizes), sizes)
  d <- gen(cl, length(sizes))
  list(name = name, d = d, cluster = cl)
}

normal_d <- function(icc, shift = 0) function(cl, G) shift + rnorm(G, sd = sqrt(icc))[cl] + rnorm(length(cl), sd = sqrt(1 - icc))
binary_d <- function(p_disc, shift = 0) function(cl, G) {
  # d in {-1, 0, 1}: discordant with probability p_disc, sign tilted by a cluster effect
  u <- rnorm(G, sd = 0.8)[cl] + shift
  disc <- runif(length(cl)) < p_disc
  ifelse(disc, ifelse(runif(length(cl)) < pnorm(u), 1, -1), 0)
}
skewed_d <- function(cl, G) (rexp(G) - 1)[cl] + 0.5 * (rexp(length(cl)) - 1) + 0.3

cases <- list(
  make_case("g2-unequal", c(4, 11), normal_d(0.3, 0.4), 101),
  make_case("g3-equal", c(5, 5, 5), normal_d(0.3, 0.5), 102),
  make_case("g3-unequal", c(2, 10, 30), normal_d(0.3, 0.2), 103),
  make_case("g4-unequal", c(1, 3, 8, 20), normal_d(0.5, 0.1), 104),
  make_case("g5-equal-binary", rep(12, 5), binary_d(0.4, 0.2), 105),
  make_case("g5-one-dominant", c(80, 4, 4, 4, 4), binary_d(0.5, 0.1), 106),
  make_case("g6-skewed", c(3, 9, 5, 14, 2, 7), skewed_d, 107),
  make_case("g8-random", c(7, 2, 13, 4, 9, 1, 6, 11), normal_d(0.1, 0.3), 108),
  make_case("g10-two-big", c(65, 78, 3, 5, 4, 6, 3, 4, 5, 6), binary_d(0.35, 0.15), 109),
  make_case("g12-with-singletons", c(1, 1, 1, 6, 8, 1, 12, 3, 1, 9, 4, 2), normal_d(0.3, -0.2), 110),
  make_case("g20-ratio-20", c(rep(40, 4), rep(2, 16)), normal_d(0.6, 0.1), 111),
  make_case("g30-equal", rep(6, 30), binary_d(0.3, 0.1), 112),
  make_case("g50-random", c(1:50 %% 17 + 1), normal_d(0.3, 0.05), 113)
)

cr2 <- lapply(cases, function(cs) {
  fit <- lm(cs$d ~ 1)
  ct <- coef_test(fit, vcov = "CR2", cluster = cs$cluster, test = "Satterthwaite")
  ci <- conf_int(fit, vcov = "CR2", cluster = cs$cluster, test = "Satterthwaite", level = 1 - alpha)
  t <- ct$tstat
  df <- ct$df_Satt
  list(
    name = cs$name,
    d = cs$d,
    cluster = cs$cluster,
    n_clusters = length(unique(cs$cluster)),
    delta = unname(coef(fit)[1]),
    se = ct$SE,
    df = df,
    statistic = t,
    p_two_sided = ct$p_Satt,
    p_one_sided = pt(t, df, lower.tail = FALSE),
    ci_two_sided = c(ci$CI_L, ci$CI_U),
    ci_one_sided_lower = ct$beta - qt(1 - alpha, df) * ct$SE,
    ci_one_sided_upper = ct$beta + qt(1 - alpha, df) * ct$SE
  )
})

# ---- Wild cluster bootstrap-t, null imposed, every weight vector enumerated --------------------------
# Written from the definition: under H0 delta = 0 the restricted residuals are d itself; each weight
# vector w gives d* = w[cluster] * d, and t* is the CR1 t of lm(d* ~ 1) (sandwich::vcovCL, HC1, which
# for one regressor is G/(G-1) times the CR0 variance). p counts t* at least as extreme as the observed t.
rademacher <- function(G) as.matrix(expand.grid(rep(list(c(1, -1)), G)))
webb <- function(G) {
  pts <- c(-sqrt(1.5), -1, -sqrt(0.5), sqrt(0.5), 1, sqrt(1.5))
  as.matrix(expand.grid(rep(list(pts), G)))
}
cr1_t <- function(y, cl) {
  fit <- lm(y ~ 1)
  unname(coef(fit)[1] / sqrt(vcovCL(fit, cluster = cl, type = "HC1")[1, 1]))
}
wild_case <- function(name, sizes, gen, seed, weights) {
  cs <- make_case(name, sizes, gen, seed)
  W <- if (weights == "rademacher") rademacher(length(sizes)) else webb(length(sizes))
  t0 <- cr1_t(cs$d, cs$cluster)
  tstar <- apply(W, 1, function(w) cr1_t(w[cs$cluster] * cs$d, cs$cluster))
  tol <- 1e-10 * max(1, abs(t0))
  list(
    name = name, weights = weights, d = cs$d, cluster = cs$cluster, draws = nrow(W),
    statistic = t0,
    p_greater = mean(tstar >= t0 - tol),
    p_less = mean(tstar <= t0 + tol),
    p_two_sided = mean(abs(tstar) >= abs(t0) - tol)
  )
}
wild <- list(
  wild_case("wild-g6-unequal", c(3, 9, 5, 14, 2, 7), normal_d(0.3, 0.6), 201, "rademacher"),
  wild_case("wild-g8-binary", c(10, 12, 8, 15, 9, 11, 7, 10), binary_d(0.4, 0.5), 202, "rademacher"),
  wild_case("wild-g10-two-big", c(65, 78, 3, 5, 4, 6, 3, 4, 5, 6), binary_d(0.35, 0.3), 213, "rademacher"),
  wild_case("wild-g12-null", c(4, 4, 6, 2, 9, 3, 5, 5, 7, 1, 8, 4), normal_d(0.3, 0), 204, "rademacher"),
  wild_case("wild-g11-effect", c(3, 7, 2, 9, 4, 4, 12, 5, 6, 1, 8), normal_d(0.2, 0.7), 207, "rademacher"),
  wild_case("wild-g9-regression", c(5, 5, 5, 5, 5, 20, 20, 2, 2), normal_d(0.3, -0.6), 208, "rademacher"),
  wild_case("wild-g4-webb", c(5, 12, 3, 20), normal_d(0.3, 0.8), 205, "webb"),
  wild_case("wild-g5-webb", c(6, 6, 6, 6, 6), binary_d(0.5, 0.6), 206, "webb")
)

# ---- Planning: pwr.t.test (paired) and the cluster-level t power ------------------------------------
# pwr.t.test solves for n or d with uniroot's default tolerance (about 1e-4), so the values to 1e-9
# come from the same power function pwr uses, solved with a tight uniroot; pwr's own answers are
# recorded beside them.
pwr_power <- function(n, d, a, alt) pwr.t.test(n = n, d = d, sig.level = a, type = "paired", alternative = alt)$power
planning <- list()
for (case in list(
  list(d = 0.5, power = 0.8, alt = "two.sided", n = 34),
  list(d = 0.5, power = 0.8, alt = "greater", n = 27),
  list(d = 0.2, power = 0.8, alt = "two.sided", n = 200),
  list(d = 0.3, power = 0.9, alt = "greater", n = 60),
  list(d = 0.1, power = 0.8, alt = "greater", n = 1000),
  list(d = 1.2, power = 0.8, alt = "two.sided", n = 6)
)) {
  n_tight <- uniroot(function(n) pwr_power(n, case$d, alpha, case$alt) - case$power, c(2 + 1e-10, 1e9), tol = 1e-14)$root
  d_tight <- uniroot(function(d) pwr_power(case$n, d, alpha, case$alt) - case$power, c(1e-7, 10), tol = 1e-14)$root
  planning[[length(planning) + 1]] <- list(
    d = case$d, power = case$power, alternative = case$alt, alpha = alpha, n = case$n,
    power_at_n = pwr_power(case$n, case$d, alpha, case$alt),
    required_n = n_tight,
    pwr_required_n = pwr.t.test(d = case$d, power = case$power, sig.level = alpha, type = "paired", alternative = case$alt)$n,
    detectable_d = d_tight,
    pwr_detectable_d = pwr.t.test(n = case$n, power = case$power, sig.level = alpha, type = "paired", alternative = case$alt)$d
  )
}

# Clustered planning: the mean of G clusters tested with df = G - 1. With se the standard error of
# delta, power = P(T'(df, ncp = delta / se) > t_{1 - alpha', df}) (+ the lower tail two-sided).
cluster_power <- function(effect, se, df, a, alt) {
  ncp <- effect / se
  if (alt == "greater") pt(qt(1 - a, df), df, ncp = ncp, lower.tail = FALSE)
  else pt(qt(1 - a / 2, df), df, ncp = ncp, lower.tail = FALSE) + pt(-qt(1 - a / 2, df), df, ncp = ncp, lower.tail = TRUE)
}
clustered_planning <- list()
for (case in list(
  list(sd = 0.5, n = 200, clusters = 6, icc = 0.2, alt = "greater"),
  list(sd = 0.4, n = 600, clusters = 30, icc = 0.1, alt = "two.sided"),
  list(sd = 1.0, n = 100, clusters = 10, icc = 0.5, alt = "greater")
)) {
  m <- case$n / case$clusters
  deff <- 1 + (m - 1) * case$icc
  se <- case$sd * sqrt(deff / case$n)
  df <- case$clusters - 1
  mde <- uniroot(function(e) cluster_power(e, se, df, alpha, case$alt) - 0.8, c(1e-9, 100 * se), tol = 1e-15)$root
  clustered_planning[[length(clustered_planning) + 1]] <- list(
    std_dev = case$sd, n = case$n, clusters = case$clusters, cluster_size = m, icc = case$icc, alternative = case$alt,
    alpha = alpha, power = 0.8, design_effect = deff, se = se, df = df, mde = mde,
    power_at_mde_times_1_2 = cluster_power(1.2 * mde, se, df, alpha, case$alt)
  )
}

out <- list(
  generated_by = "make_reference.R",
  versions = list(R = R.version.string, clubSandwich = as.character(packageVersion("clubSandwich")),
                  sandwich = as.character(packageVersion("sandwich")), pwr = as.character(packageVersion("pwr"))),
  alpha = alpha,
  cr2 = cr2,
  wild = wild,
  planning = planning,
  clustered_planning = clustered_planning
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "reference.json")
cat("wrote reference.json\n")
