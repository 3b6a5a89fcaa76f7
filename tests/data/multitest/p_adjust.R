#!/usr/bin/env Rscript
# Reference values for EvalSig's multiplicity corrections: R's p.adjust (stats package) for
# "holm", "BH" and "bonferroni", written to p_adjust.json. Run from this folder:
#     Rscript p_adjust.R
# Inputs:
#   - "reference_tasks": the one-sided paired-t p-values of the five statistics reference cases
#     (tests/data/reference/<case>/expected.json, computed with scipy), in the order below - the
#     p-values a five-task release gate over those cases produces with -Method PairedT.
#   - a few vectors that exercise the procedures' edges (ties, ones, a single test, values that
#     step-down/step-up monotonicity has to lift or lower, zeros).
library(jsonlite)

cases <- c("tiny", "binary-unclustered", "binary-clustered", "continuous-clustered", "partial-overlap")
task_p <- sapply(cases, function(n) fromJSON(file.path("..", "reference", n, "expected.json"))$paired_t$p_one_sided)

vectors <- list(
  reference_tasks = list(names = cases, p = unname(task_p)),
  ties = list(p = c(0.01, 0.01, 0.04, 0.04, 0.2)),
  ones_and_zero = list(p = c(1, 0, 0.5, 1)),
  single = list(p = c(0.03)),
  monotone = list(p = c(0.049, 0.001, 0.04, 0.03, 0.012, 0.9, 0.0005)),
  two = list(p = c(0.02, 0.03))
)

out <- lapply(vectors, function(v) {
  c(v, list(
    holm = p.adjust(v$p, method = "holm"),
    BH = p.adjust(v$p, method = "BH"),
    bonferroni = p.adjust(v$p, method = "bonferroni")
  ))
})
out$generated_by <- unbox(paste("p_adjust.R with", R.version.string, "- stats::p.adjust"))

# digits = NA: the most precision jsonlite writes (15 significant digits).
writeLines(toJSON(out, digits = NA, auto_unbox = FALSE, pretty = TRUE), "p_adjust.json")
