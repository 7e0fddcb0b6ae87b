"""Agreement engine speed against krippendorff, pingouin and statsmodels, in one run.

Workload (issue 3): 20,000 units x 5 raters, grades 1-4, 30% of ratings missing.
Goals: full coefficient table + 1,000-replicate bootstrap for ordinal alpha and AC2 < 10 s;
ICC + G-study variance components on all 20,000 units < 5 s (pingouin can use only complete units).

Run: ``python benchmarks/agreement_bench.py [--units 20000]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def make_data(n_units: int, n_raters: int = 5, missing: float = 0.3, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    quality = rng.normal(size=(n_units, 1))
    latent = quality + rng.normal(scale=0.5, size=(1, n_raters)) * 0.3 + rng.logistic(size=(n_units, n_raters)) * 0.6
    grades = 1.0 + np.searchsorted([-1.2, 0.0, 1.3], latent)
    grades[rng.random(grades.shape) < missing] = np.nan
    return grades


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=20_000)
    args = parser.parse_args()
    import krippendorff
    import pingouin
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    from inspect_audit.agreement.coefficients import bootstrap, coefficient_estimates
    from inspect_audit.agreement.gtheory import g_study
    from inspect_audit.agreement.icc import icc_estimates
    from inspect_audit.agreement.table import agreement_table

    x = make_data(args.units)
    cats = [1, 2, 3, 4]
    complete = x[~np.isnan(x).any(axis=1)]
    print(f"data: {x.shape[0]:,} units x {x.shape[1]} raters, {np.isnan(x).mean():.0%} missing; "
          f"{len(complete):,} complete units ({len(complete) / len(x):.0%})")
    agreement_table(x[:200], cats, n_boot=10)  # warm imports

    # 1. the full table with bootstrap for alpha (ordinal) and AC2
    _, t_point = timed(coefficient_estimates, x, cats)
    _, t_boot = timed(bootstrap, x, cats, statistics=["krippendorff_alpha_ordinal", "gwet_ac2_quadratic"],
                      n_boot=1000, seed=1)
    print(f"coefficient table (all coefficients, analytic SEs): {t_point:.2f} s")
    print(f"bootstrap 1,000 replicates (alpha ordinal + AC2):   {t_boot:.2f} s")
    print(f"  total {t_point + t_boot:.2f} s (goal < 10 s)")
    _, t_full = timed(agreement_table, x, cats, n_boot=1000, seed=1)
    print(f"full table as the CLI prints it (bootstrap for every coefficient, ICC, alpha): {t_full:.2f} s")

    # peers: a krippendorff bootstrap loop (measured on 50 replicates, scaled to 1,000) and statsmodels Fleiss
    rng = np.random.default_rng(1)
    ours_alpha = coefficient_estimates(x, cats)["krippendorff_alpha_ordinal"]["estimate"]
    _, t_ours_kb = timed(bootstrap, x, cats, statistics=["krippendorff_alpha_ordinal"], n_boot=1000, seed=1)

    def krippendorff_bootstrap(n_rep: int) -> list[float]:
        return [krippendorff.alpha(reliability_data=x[rng.integers(0, len(x), len(x))].T,
                                   level_of_measurement="ordinal", value_domain=cats) for _ in range(n_rep)]

    alpha = krippendorff.alpha(reliability_data=x.T, level_of_measurement="ordinal", value_domain=cats)
    n_rep = 50
    _, t_k50 = timed(krippendorff_bootstrap, n_rep)
    t_k = t_k50 * 1000 / n_rep
    print(f"krippendorff.alpha ordinal bootstrap: {n_rep} replicates measured in {t_k50:.2f} s, scaled to 1,000: "
          f"about {t_k:.0f} s (value {alpha:.4f}, ours {ours_alpha:.4f}); ours, 1,000 replicates of the same "
          f"alpha measured: {t_ours_kb:.2f} s; ratio krippendorff/ours {t_k / t_ours_kb:.0f}x")

    def statsmodels_fleiss() -> float:
        return fleiss_kappa(aggregate_raters(complete.astype(int))[0])

    sm_kappa, t_sm = timed(statsmodels_fleiss)
    ours_complete, t_ours_c = timed(coefficient_estimates, complete, cats)
    print(f"statsmodels aggregate_raters + fleiss_kappa (complete units only, n={len(complete):,}; one kappa, no SE): "
          f"{t_sm:.3f} s, value {sm_kappa:.4f}; ours on the same units (all {len(ours_complete)} coefficients "
          f"with SEs): {t_ours_c:.3f} s, Fleiss {ours_complete['fleiss_kappa']['estimate']:.4f}; "
          f"ratio statsmodels/ours {t_sm / t_ours_c:.2f}x")

    # 2. ICC and G study on all units vs pingouin on complete units
    _, t_icc = timed(icc_estimates, x)
    _, t_g = timed(g_study, x, "crossed")
    print(f"ICC (6 forms, all {len(x):,} units, Henderson III moments): {t_icc:.2f} s; G study {t_g:.2f} s; "
          f"total {t_icc + t_g:.2f} s (goal < 5 s)")
    long = pd.DataFrame(complete).reset_index().melt(id_vars="index", var_name="rater", value_name="grade")
    _, t_pg = timed(pingouin.intraclass_corr, data=long, targets="index", raters="rater", ratings="grade")
    print(f"pingouin.intraclass_corr (complete units only, n={len(complete):,}): {t_pg:.2f} s; "
          f"ratio pingouin/ours {t_pg / t_icc:.1f}x")


if __name__ == "__main__":
    main()
