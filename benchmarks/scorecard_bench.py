"""Timing of the scorecard Monte Carlo: 2,000 replicates x ~21,000 schools (target < 30 s on 2 cores).

Run: ``.venv/bin/python benchmarks/scorecard_bench.py [--reps 2000] [--jobs 2]``. Prints wall-clock
and CPU time for

1. synthetic data: 21,447 schools x 7 indicators, every indicator present, every uncertainty on;
2. the bundled England data with an all-schools spec (leadership and management grade from any
   framework, KS2 progress or Progress 8, two Parent View items; missing indicators reweighted).

Not a test: timings depend on the machine and on its load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from inspect_audit.scorecard.simulate import simulate_composites
from inspect_audit.scorecard.spec import load_spec

SYNTHETIC = {
    "spec_version": "1", "name": "benchmark (synthetic)",
    "indicators": [{"id": f"i{j}", "source": f"school:i{j}", "direction": "higher_better", "weight": 1 + j % 3}
                   for j in range(7)],
    "normalisation": "z", "aggregation": "arithmetic",
    "bands": {"cutoffs": [10, 50, 90], "labels": ["a", "b", "c", "d"]},
    "uncertainty": {"aggregations": ["arithmetic", "geometric", "rule_based"]},
}

ALL_SCHOOLS = {
    "spec_version": "1", "name": "benchmark (England, all schools)", "population": {"min_indicators": 1},
    "indicators": [
        {"id": "leadership", "source": "judgement:leadership_and_management", "direction": "lower_better", "weight": 2},
        {"id": "ks2_progress", "source": "school:ks2_progress", "direction": "higher_better", "weight": 1},
        {"id": "progress8", "source": "school:progress8", "direction": "higher_better", "weight": 1},
        {"id": "parents_happy", "source": "survey:PV_Q1", "direction": "higher_better", "weight": 1},
        {"id": "parents_recommend", "source": "survey:PV_Q14", "direction": "higher_better", "weight": 1},
    ],
    "normalisation": "z", "aggregation": "arithmetic",
    "bands": {"cutoffs": [10, 50, 90], "labels": ["a", "b", "c", "d"]},
}


def synthetic_indicators(n: int = 21_447, k: int = 7, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    true = rng.standard_normal((n, 1)) * 0.7 + rng.standard_normal((n, k)) * 0.7
    frame = pd.DataFrame({"urn": [str(100000 + i) for i in range(n)]})
    for j in range(k):
        frame[f"i{j}"] = true[:, j]
        frame[f"i{j}_se"] = rng.uniform(0.1, 0.6, n)
    return frame


def timed(label: str, indicators: pd.DataFrame, spec, reps: int, jobs: int | None) -> float:
    wall, cpu = time.perf_counter(), time.process_time()
    sim = simulate_composites(indicators, spec, n_rep=reps, seed=1, n_jobs=jobs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {reps:,} replicates x {len(sim.summary):,} schools x {len(spec.indicators)} indicators: "
          f"{wall:.1f} s wall, {cpu:.1f} s CPU (batch {sim.settings['batch_size']} replicates); "
          f"median 90% rank-interval width {sim.summary['rank_interval_width'].median():.0f}", flush=True)
    return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--skip-real", action="store_true")
    args = parser.parse_args(argv)
    print(f"cores: {os.cpu_count()}; load average: {os.getloadavg()[0]:.1f}")
    walls = [timed("synthetic", synthetic_indicators(), load_spec(SYNTHETIC), args.reps, args.jobs)]
    if not args.skip_real:
        from inspect_audit.data.bundled import load_england
        from inspect_audit.scorecard.indicators import indicator_table

        spec = load_spec(ALL_SCHOOLS)
        indicators = indicator_table(load_england(), spec)
        walls.append(timed("England (bundled)", indicators, spec, args.reps, args.jobs))
    print(f"slowest: {max(walls):.1f} s ({'within' if max(walls) < 30 else 'OVER'} the 30 s target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
