"""``inspect-audit surveys --data DIR --out OUT``: survey reliability, aggregation and agreement tables.

``DIR`` is ``bundled`` (the England Parent View aggregates shipped with the package; the
analyses that need respondent-level ``survey_responses`` are skipped and listed) or a folder of
files named after their tables (``survey_items.csv``,
``survey_responses.csv``, ``survey_aggregates.csv``, ``schools.csv``, ``inspections.csv``,
``judgements.csv``; any suffix :class:`~inspect_audit.data.dataset.Dataset` reads), or a workspace.  Everything goes through the validator first;
invalid input writes nothing.  Each analysis the tables allow is written to
``OUT/surveys_<name>.csv``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspect_audit._core.export import write_csv
from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset
from inspect_audit.data.files import InputError

SURVEY_TABLES = ("survey_items", "survey_responses", "survey_aggregates")
USED_TABLES = SURVEY_TABLES + ("schools", "inspections", "judgements")


def run(args: argparse.Namespace) -> int:
    from inspect_audit.surveys.analysis import analyse, skipped_analyses

    if args.min_responses < 2:
        print("error: --min-responses must be at least 2", file=sys.stderr)
        return EXIT_INVALID
    ds = load_dataset(args, USED_TABLES)
    if not any(t in ds for t in SURVEY_TABLES):
        raise InputError(f"{ds.source}: no survey tables (expected survey_items with survey_responses, or "
                         "survey_aggregates)")
    tables = ds.select(*USED_TABLES)
    frameworks = [f for f in args.frameworks.split(",") if f] if args.frameworks else None
    results = analyse(tables, min_responses=args.min_responses, n_boot=args.boot, seed=args.seed, area=args.area,
                      frameworks=frameworks)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in results.items():  # groups under --min-responses are withheld by the analysis itself
        write_csv(frame, out / f"surveys_{name}.csv", min_n=None)
    print(f"{describe(ds)}; minimum {args.min_responses} respondents per result")
    if ds.origin == "real":
        from inspect_audit.data.bundled import ATTRIBUTION

        print(f"  {ATTRIBUTION}")
    for name, frame in results.items():
        print(f"  surveys_{name}.csv: {len(frame):,} rows")
    for name, reason in skipped_analyses(tables, results).items():
        print(f"  skipped {name}: {reason}")
    if "scale_reliability" in results:
        alpha = results["scale_reliability"]
        alpha = alpha[alpha["statistic"] == "alpha"]
        for row in alpha.itertuples():
            print(f"  alpha {row.respondent_group}/{row.dimension}: {row.estimate:.2f} "
                  f"({row.ci_low:.2f} to {row.ci_high:.2f}), n={row.n:,}")
    if "perspective_correlations" in results:
        corr = results["perspective_correlations"]
        corr = corr[(corr["method"] == "spearman") & corr["x"].str.endswith(":composite")]
        for row in corr.itertuples():
            print(f"  Spearman {row.x} vs {row.y}: {row.estimate:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f}), "
                  f"n={row.n:,}")
    print(f"tables written to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("surveys", help="staff, pupil and parent surveys: reliability and agreement",
                              description=__doc__.split("\n\n")[0])
    add_data_options(p, "survey_items, survey_responses, survey_aggregates; schools, inspections, judgements; "
                        "'bundled' has Parent View aggregates only, so the respondent-level analyses are skipped")
    p.add_argument("--out", required=True, help="folder for the result CSVs")
    p.add_argument("--min-responses", dest="min_responses", type=int, default=10,
                   help="withhold any school or subgroup result with fewer respondents (default 10)")
    p.add_argument("--boot", type=int, default=500, help="bootstrap resamples (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--area", default="overall_effectiveness",
                   help="the inspection grade surveys are compared with (default overall_effectiveness; a report-card "
                        "area such as achievement is compared on the five-point scale)")
    p.add_argument("--frameworks", default=None,
                   help="comma-separated frameworks whose grades count (needed when the area is graded on two scales)")
    p.set_defaults(func=run)
