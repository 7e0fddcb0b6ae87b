"""Calibrate the inspector model by repeated simulation (on demand, not in CI).

Run: ``.venv/bin/python scripts/calibrate_inspector_model.py --out calibration/ [--replicates 20]
[--null-replicates 10] [--sbc 50] [--n-schools 600 --n-inspectors 30] [--chains 4 --tune 500 --draws 500]
[--seed 1]``.

1. **Flag rule** (planted scenario: residual SD 0.5 plus 3 severe and 3 lenient inspectors at 1.5 logits,
   the simulator's inspector characteristics): false flags among flags vs the nominal Bayesian FDR (0.10),
   per replicate and pooled, as deployed (no flags when the convergence gates fail) and by the
   probability rule alone; calibration of P(beyond the threshold) in bins; interval coverage.
2. **Null scenario** (no inspector differences): every flag is false.
3. **SBC** for sd_inspector and gamma (male, HMI, serving leader): ranks among 99 thinned posterior draws,
   chi-square and Kolmogorov checks of uniformity, rank histograms (``sbc_ranks.png``).

Grades for 1-2 are generated outside the model (every school has its own effect; logistic errors); the
design (schools, inspectors, years, covariates) is one simulated dataset, compiled once. Writes
``decision_rule_replicates.csv``, ``decision_rule_inspectors.csv``, ``sbc_ranks.csv``, ``sbc_summary.csv``,
``summary.json`` and ``sbc_ranks.png`` to OUT, and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from inspect_audit.inspectors.calibration import (NULL, PLANTED, Template, decision_rule, sbc,  # noqa: E402
                                                  summarise_decision_rule, summarise_sbc)
from inspect_audit.data.simulate import SimulationConfig  # noqa: E402


def log(message: str) -> None:
    print(f"[calibrate] {message}", file=sys.stderr, flush=True)


def plot_ranks(ranks: pd.DataFrame, path: Path, n_bins: int = 10) -> None:
    params = list(dict.fromkeys(ranks["parameter"]))
    fig, axes = plt.subplots(1, len(params), figsize=(3.2 * len(params), 2.8), squeeze=False)
    for ax, name in zip(axes[0], params):
        part = ranks[ranks.parameter == name]
        L = int(part["n_rank"].iloc[0])
        frac = (part["rank"] + 0.5) / (L + 1)
        n = len(part)
        ax.hist(frac, bins=n_bins, range=(0, 1), color="#1f5c99", edgecolor="white")
        expected = n / n_bins
        band = [max(0, expected - 2 * np.sqrt(expected)), expected + 2 * np.sqrt(expected)]
        ax.axhspan(*band, color="grey", alpha=0.2)
        ax.axhline(expected, color="grey", lw=1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("rank / (draws + 1)", fontsize=8)
    fig.suptitle(f"SBC rank histograms ({len(ranks['rep'].unique())} prior draws; band: +-2 SD of uniform)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--replicates", type=int, default=20, help="planted-scenario replicates (0 = skip)")
    p.add_argument("--null-replicates", type=int, default=10, help="null-scenario replicates (0 = skip)")
    p.add_argument("--sbc", type=int, default=50, help="SBC replicates (0 = skip)")
    p.add_argument("--n-schools", type=int, default=600)
    p.add_argument("--n-inspectors", type=int, default=30)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=500)
    p.add_argument("--draws", type=int, default=500)
    p.add_argument("--sbc-chains", type=int, default=2)
    p.add_argument("--sbc-tune", type=int, default=500)
    p.add_argument("--sbc-draws", type=int, default=500)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cfg = SimulationConfig(n_schools=args.n_schools, n_inspectors=args.n_inspectors, paired_n_schools=0,
                           survey_n_schools=0)
    template = Template.from_simulation(cfg, seed=args.seed)
    n = template.design.info["n"]
    log(f"template: {n['inspections']} inspections, {n['inspectors']} inspectors, {n['schools']} schools, "
        f"{n['school_effects']} repeat schools, {n['year_cells']} year cells")
    summary: dict = {"settings": vars(args), "template": n}
    fit = dict(chains=args.chains, tune=args.tune, draws=args.draws)
    for label, scenario, n_rep in (("planted", PLANTED, args.replicates), ("null", NULL, args.null_replicates)):
        if n_rep <= 0:
            continue
        log(f"flag rule, {label} scenario: {n_rep} replicates")
        reps, per = decision_rule(template, scenario, n_rep, seed=args.seed + (0 if label == "planted" else 7),
                                  progress=log, **fit)
        reps.assign(scenario=label).to_csv(out / f"decision_rule_replicates_{label}.csv", index=False)
        per.assign(scenario=label).to_csv(out / f"decision_rule_inspectors_{label}.csv", index=False)
        summary[f"decision_rule_{label}"] = {"scenario": scenario,
                                             **summarise_decision_rule(reps, per, template.estimator.fdr),
                                             "seconds_per_replicate": float(reps["seconds"].mean())}
    if args.sbc > 0:
        log(f"SBC: {args.sbc} prior draws")
        ranks = sbc(template, args.sbc, chains=args.sbc_chains, tune=args.sbc_tune, draws=args.sbc_draws,
                    seed=args.seed + 11, progress=log)
        ranks.to_csv(out / "sbc_ranks.csv", index=False)
        table = summarise_sbc(ranks)
        table.to_csv(out / "sbc_summary.csv", index=False)
        plot_ranks(ranks, out / "sbc_ranks.png")
        first = ranks.drop_duplicates("rep")
        summary["sbc"] = {"rows": table.to_dict(orient="records"), "gates_passed": int(first["ok"].sum()),
                          "replicates": int(len(first)), "divergent_replicates": int((first["divergences"] > 0).sum()),
                          "seconds_per_replicate": float(first["seconds"].mean())}
    summary["wall_seconds"] = round(time.perf_counter() - t0, 1)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n", encoding="utf-8")

    print(f"template design: {n['inspections']} inspections, {n['inspectors']} inspectors; "
          f"{args.chains} chains x ({args.tune} + {args.draws}); wall {summary['wall_seconds']:.0f} s")
    for label in ("planted", "null"):
        s = summary.get(f"decision_rule_{label}")
        if not s:
            continue
        print(f"flag rule, {label}: {s['replicates']} replicates, gates passed in {s['gates_passed']}; "
              f"nominal FDR {s['nominal_fdr']:.2f}; severity 90% coverage {s['severity_coverage_90']:.3f}")
        if "sd_inspector" in s:
            v = s["sd_inspector"]
            print(f"  sd_inspector: realised (mean) {v['mean_realised']:.3f}, posterior mean (mean) "
                  f"{v['mean_posterior_mean']:.3f}, realised inside the 90% interval in {v['realised_inside_90']:.0%}")
        for kind in ("deployed", "rule"):
            k = s[kind]
            share = "n/a" if k["false_share"] is None else f"{k['false_share']:.3f}"
            print(f"  {kind:8s}: {k['flags']} flags, {k['false_flags']} false (share {share}, 90% CI "
                  f"{k['false_share_90ci_jeffreys']}); mean per-replicate FDP {k['mean_fdp']:.3f}; expected false "
                  f"{k['expected_false']:.2f}; replicates with a false flag {k['replicates_with_false_flag']}")
        for b in s["p_calibration"]:
            print(f"  P bin {b['bin']}: n {int(b['n'])}, mean P {b['mean_p']:.3f}, truly beyond "
                  f"{b['share_truly_beyond']:.3f}")
    if "sbc" in summary:
        s = summary["sbc"]
        print(f"SBC: {s['replicates']} prior draws (gates passed in {s['gates_passed']}, divergent in "
              f"{s['divergent_replicates']})")
        for r in s["rows"]:
            print(f"  {r['parameter']}: mean rank fraction {r['mean_rank_fraction']:.3f}; chi2 p {r['chi2_p']:.3f}; "
                  f"KS D {r['ks_d']:.3f} (95% bound {r['ks_d_95']:.3f}); bins {r['bin_counts']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
