"""The inspector model's calibration grid: the default fit on designs it was not tuned to (on demand, not CI).

Run: ``.venv/bin/python scripts/calibrate_inspector_grid.py --out calibration_grid [--designs tiny,long_tail]
[--seeds 10] [--first-seed 1]``.

Each design of :data:`inspect_audit.data.simulate.designs.GRID` (tiny, no year effect, strong year effects, no
inspector variation, long tail, report cards on the 5-point scale, 20,000 / 400, national) is simulated by
the grid's own generator (not the demo simulator) with ``--seeds`` seeds and fitted exactly as
``inspect-audit inspectors`` fits (defaults, repair on). The multi-area designs
(:data:`inspect_audit.inspectors.calibration.MULTI_AREA_DESIGNS`: ``--designs multi_area_planted,multi_area_null,
multi_area_probit_null_strong_areas,multi_area_probit_long_tail``) are report cards fitted as
``inspect-audit inspectors --framework report_card_2025`` fits them. Each replicate is appended to
``OUT/replicates.csv`` as it finishes, and replicates already there are skipped, so an interrupted run
resumes. At the end ``OUT/summary.csv`` and ``OUT/summary.md`` (the model card's table) are written and
the table is printed, with the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

from inspect_audit.inspectors.calibration import MULTI_AREA_DESIGNS, grid_replicate, summarise_grid
from inspect_audit.data.simulate.designs import GRID

DESIGNS = {**GRID, **{name: name for name in MULTI_AREA_DESIGNS}}  # multi-area designs go by name


def markdown(summary: pd.DataFrame) -> str:
    """The summary as the model card's table (human column names, rounded)."""
    head = ("| design | inspections / inspectors | gates passed (95% CI) | repaired | flags: false / all | "
            "planted found | 90% coverage | sd_inspector in 90% CI | wall s (median, max) |")
    lines = [head, "|" + "---|" * 9]
    for r in summary.itertuples():
        fs = "none" if not r.flags else f"{r.false_flags} / {r.flags}"
        planted = f"{r.planted_found} / {r.planted}" if r.planted else "n/a"
        sd_in = (f"{r.sd_inspector_inside_90:.2f}" if r.sd_inspector_true > 0
                 else f"true 0; lower bound {r.sd_inspector_ci_low_median:.3f}")
        lines.append(f"| {r.design} | {r.inspections:,} / {r.inspectors} | {r.gates_passed}/{r.replicates} "
                     f"({r.pass_ci_low:.2f}-{r.pass_ci_high:.2f}) | {r.repaired} | {fs} | {planted} | "
                     f"{r.coverage_90:.2f} | {sd_in} | {r.wall_median:.0f}, {r.wall_max:.0f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--designs", default=",".join(GRID), help=f"comma-separated, from: {', '.join(DESIGNS)} "
                   "(default: the single-area grid)")
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--first-seed", type=int, default=1)
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "replicates.csv"
    done = pd.read_csv(path) if path.exists() else pd.DataFrame(columns=["design", "seed"])
    have = set(zip(done["design"], done["seed"].astype(int)))
    names = [n.strip() for n in args.designs.split(",") if n.strip()]
    unknown = [n for n in names if n not in DESIGNS]
    if unknown:
        print(f"unknown design(s): {', '.join(unknown)}; choose from {', '.join(DESIGNS)}", file=sys.stderr)
        return 2
    for name in names:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            if (name, seed) in have:
                continue
            t0 = time.perf_counter()
            row = grid_replicate(DESIGNS[name], seed)
            row["load_1min"] = round(os.getloadavg()[0], 2)
            pd.DataFrame([row]).to_csv(path, mode="a", header=not path.exists(), index=False)
            print(f"[grid] {name} seed {seed}: gates {'ok' if row['ok'] else 'FAIL'} after {row['runs']} run(s), "
                  f"{row['flags_deployed']} flags ({row['false_deployed']} false), {time.perf_counter() - t0:.0f} s, "
                  f"load {row['load_1min']}", file=sys.stderr, flush=True)
    reps = pd.read_csv(path)
    reps = reps[reps["design"].isin(names)]
    summary = summarise_grid(reps)
    summary.to_csv(out / "summary.csv", index=False)
    table = markdown(summary)
    load = reps["load_1min"].describe()
    note = (f"\nMachine: {os.cpu_count()} cores; 1-minute load average during the fits: median {load['50%']:.1f}, "
            f"max {load['max']:.1f}.\n")
    (out / "summary.md").write_text(table + note, encoding="utf-8")
    print(table + note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
