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

    # peers: krippendorff (one alpha, one call) and statsmodels Fleiss (complete data only)
    ours_alpha, t_ours_alpha = timed(coefficient_estimates, x, cats)
    alpha, t_k = timed(krippendorff.alpha, reliability_data=x.T, level_of_measurement="ordinal", value_domain=cats)
    print(f"krippendorff.alpha ordinal: {t_k:.2f} s per estimate (value {alpha:.4f}, ours "
          f"{ours_alpha['krippendorff_alpha_ordinal']['estimate']:.4f}); a 1,000-replicate bootstrap with it "
          f"would take about {1000 * t_k:.0f} s, {1000 * t_k / t_boot:.0f}x ours")
    table, _ = aggregate_raters(complete.astype(int))
    sm_kappa, t_sm = timed(fleiss_kappa, table)
    print(f"statsmodels fleiss_kappa (complete units only, n={len(complete):,}): {t_sm:.3f} s, value {sm_kappa:.4f}; "
          f"ours on the same units {coefficient_estimates(complete, cats)['fleiss_kappa']['estimate']:.4f}")

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
