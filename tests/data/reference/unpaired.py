#!/usr/bin/python3
"""Reference values for EvalSig's unpaired comparisons, from scipy and statsmodels (not from EvalSig).

Run:  /usr/bin/python3 tests/data/reference/unpaired.py > tests/data/reference/unpaired.json
(Debian: apt-get install -y python3-scipy python3-statsmodels.) The data are drawn here with a fixed
seed and written into the JSON, so the C# test reads exactly the same numbers.

Welch: statsmodels.stats.weightstats.ttest_ind(usevar="unequal") for t, p and df, CompareMeans.tconfint_diff
for the intervals, scipy.stats.ttest_ind(equal_var=False) as a cross-check of t and p.
Newcombe: statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb", compare="diff");
the p-value is the alpha at which that interval's bound reaches 0 (one-sided: the one-sided lower bound,
i.e. the two-sided interval at 2*alpha), found with scipy.optimize.brentq on statsmodels' interval.
"""
import json
import sys

import numpy as np
import scipy
import scipy.optimize
import scipy.stats
import statsmodels
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW, ttest_ind

ALPHA = 0.05
rng = np.random.default_rng(20261202)


def welch_case(name, b, c):
    b = np.asarray(b, dtype=float)
    c = np.asarray(c, dtype=float)
    t, p2, df = ttest_ind(c, b, usevar="unequal", alternative="two-sided")
    _, pg, _ = ttest_ind(c, b, usevar="unequal", alternative="larger")
    sp = scipy.stats.ttest_ind(c, b, equal_var=False, alternative="greater")
    assert abs(sp.statistic - t) < 1e-10 and abs(sp.pvalue - pg) < 1e-10
    cm = CompareMeans(DescrStatsW(c), DescrStatsW(b))
    lo, hi = cm.tconfint_diff(alpha=ALPHA, alternative="two-sided", usevar="unequal")
    lo1, _ = cm.tconfint_diff(alpha=ALPHA, alternative="larger", usevar="unequal")
    se = np.sqrt(c.var(ddof=1) / len(c) + b.var(ddof=1) / len(b))
    return {
        "name": name, "method": "welch_t", "baseline": b.tolist(), "candidate": c.tolist(),
        "delta": c.mean() - b.mean(), "se": se, "df": df, "t": t,
        "p_greater": pg, "p_two_sided": p2, "ci_two_sided": [lo, hi], "one_sided_lower": lo1,
    }


def newcombe_interval(xc, nc, xb, nb, alpha):
    return confint_proportions_2indep(xc, nc, xb, nb, method="newcomb", compare="diff", alpha=alpha)


def newcombe_case(name, xb, nb, xc, nc):
    lo, hi = newcombe_interval(xc, nc, xb, nb, ALPHA)
    lo1, _ = newcombe_interval(xc, nc, xb, nb, 2 * ALPHA)
    d = xc / nc - xb / nb
    # Two-sided p: the alpha at which the bound nearer 0 touches 0.
    def bound(a):
        l, u = newcombe_interval(xc, nc, xb, nb, a)
        return l if d > 0 else -u
    if d == 0:
        p2, pg = 1.0, 0.5
    elif bound(1e-15) > 0:
        p2 = 1e-15
        pg = p2 / 2 if d > 0 else 1 - p2 / 2
    else:
        p2 = scipy.optimize.brentq(bound, 1e-15, 1 - 1e-15, xtol=1e-15, rtol=1e-13)
        pg = p2 / 2 if d > 0 else 1 - p2 / 2
    return {
        "name": name, "method": "newcombe", "baseline_successes": xb, "baseline_n": nb,
        "candidate_successes": xc, "candidate_n": nc, "delta": d,
        "p_greater": pg, "p_two_sided": p2, "ci_two_sided": [lo, hi], "one_sided_lower": lo1,
    }


cases = [
    welch_case("equal-n-normal", rng.normal(0.60, 0.10, 40), rng.normal(0.65, 0.12, 40)),
    welch_case("unequal-n-unequal-var", rng.normal(0.50, 0.05, 25), rng.normal(0.53, 0.20, 90)),
    welch_case("scores-in-0-1", rng.beta(2, 3, 200), rng.beta(2.2, 3, 150)),
    welch_case("candidate-worse", rng.normal(0.70, 0.15, 60), rng.normal(0.62, 0.15, 55)),
    welch_case("tiny", [0.2, 0.4, 0.9], [0.5, 0.7, 0.8, 0.95]),
    newcombe_case("revised-benchmark", 410, 600, 262, 380),
    newcombe_case("small", 7, 20, 13, 22),
    newcombe_case("candidate-worse", 90, 120, 70, 115),
    newcombe_case("extreme", 0, 30, 4, 30),
    newcombe_case("large", 8123, 10000, 6172, 7400),
]

json.dump({
    "alpha": ALPHA,
    "produced_with": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__},
    "cases": cases,
}, sys.stdout, indent=1)
sys.stdout.write("\n")
