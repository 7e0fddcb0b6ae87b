"""``inspect-audit scorecard``: score schools with a balanced-scorecard spec and report its uncertainty.

Reads a spec (a JSON file, or the name of a shipped example such as ``primary_balanced``) and
data (the bundled England data, or a folder of CSVs named after their tables, which pass the
validator first), then writes to ``--out``: per-school ranks, 90% rank intervals and band
probabilities, replicates, indicator summary, Sobol indices, effective weights, reliability,
two plots and ``scorecard.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset
from inspect_audit.data.files import InputError

TABLE_FILES = ("schools", "inspections", "judgements", "survey_aggregates", "survey_items")


def _spec_path(text: str) -> Path:
    from inspect_audit.scorecard.spec import example_spec_paths

    path = Path(text)
    if path.exists():
        return path
    examples = example_spec_paths()
    if text in examples:
        return examples[text]
    raise InputError(f"spec {text!r} not found: give a JSON file or one of {', '.join(examples)}")


def run(args: argparse.Namespace) -> int:
    from inspect_audit.scorecard.pipeline import score_schools, write_scorecard
    from inspect_audit.scorecard.spec import SpecError, load_spec

    try:
        spec = load_spec(_spec_path(args.spec))
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    ds = load_dataset(args, TABLE_FILES, require=("schools",), purpose="a scorecard")
    result = score_schools(ds.tables, spec, reps=args.reps, seed=args.seed, sobol=args.sobol,
                           grade_reliability=args.grade_reliability, headline_reliability=args.headline_reliability)
    write_scorecard(result, args.out, ds.source)
    h, rel = result.headlines, result.tables["reliability"]
    print(describe(ds))
    print(f"scorecard {spec.name!r}: {h['n_schools']:,} schools, {args.reps:,} replicates (seed {args.seed})")
    print(f"  median 90% rank interval: {h['median_interval_width']:,.0f} places ({h['median_interval_share']:.0%} of schools)")
    print(f"  band probability >= 0.9: {h['share_band_sure_90']:.0%} of schools")
    print(f"  composite reliability (Mosier): {rel['reliability'].iloc[1:].min():.2f}-{rel['reliability'].iloc[1:].max():.2f}; "
          f"headline grade: {rel['reliability'].iloc[0]:.2f}")
    print(f"  written to {args.out}/ (schools.csv, replicates.csv, scorecard.md, ...)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scorecard", help="score schools with a balanced-scorecard spec, with uncertainty",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--spec", required=True,
                   help="scorecard spec JSON file, or a shipped example: primary_balanced, all_phases_rule_based")
    add_data_options(p, "schools, inspections, judgements, survey_aggregates, survey_items", default="bundled")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--reps", type=int, default=2000, help="Monte Carlo replicates (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--sobol", type=int, default=0, metavar="N",
                   help="Sobol base sample size (0 = skip; 128-256 is typical)")
    p.add_argument("--grade-reliability", type=float, default=0.5,
                   help="assumed reliability of an inspection grade when the spec gives none (default 0.5)")
    p.add_argument("--headline-reliability", type=float, default=None,
                   help="reliability of the headline grade to compare with (default: implied by Ofsted 2017 22/24)")
    p.set_defaults(func=run)
