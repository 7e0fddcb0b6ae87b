"""``inspect-audit agreement FILE``: the full agreement table for a wide or long ratings file."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from inspect_audit.agreement.coefficients import AgreementError
from inspect_audit.agreement.table import AgreementInputError, agreement_table, as_json, read_wide, to_wide
from inspect_audit.cli.common import EXIT_INVALID
from inspect_audit.data.dataset import Dataset


def _load(args: argparse.Namespace, categories: list[float]) -> pd.DataFrame:
    if args.layout == "wide":
        return read_wide(args.file, categories, id_column=args.id_column)
    ratings = Dataset.from_files({"ratings": args.file})["ratings"]
    for column in ("study_id", "area", "rater_type"):
        value = getattr(args, column)
        if value:
            ratings = ratings[ratings[column] == value]
    if ratings.empty:
        raise AgreementInputError(f"{args.file}: no ratings left after the filters")
    return to_wide(ratings)


def category_list(text: str) -> str:
    """An argparse type: a comma-separated list of numbers (kept as written, for the report)."""
    for part in text.split(","):
        try:
            float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part.strip()!r} is not a number; give the full category set as "
                                             "numbers, e.g. 1,2,3,4") from None
    return text


def run(args: argparse.Namespace) -> int:
    categories = [float(c) for c in args.categories.split(",")]
    try:
        wide = _load(args, categories)
        table = agreement_table(wide, categories, level=args.level, n_boot=args.boot, seed=args.seed)
    except (AgreementInputError, AgreementError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(as_json(table, categories), indent=2))
    else:
        print(f"{table.attrs['n_units']} units x {table.attrs['n_raters']} raters; categories "
              f"{args.categories}; n = units with at least two ratings")
        shown = table.drop(columns=["method"]).set_index("statistic")
        with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
            print(shown.to_string())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("agreement", help="inter-rater agreement coefficients with intervals",
                              description="Every standard agreement coefficient (kappas, Gwet, Krippendorff, "
                                          "ICC) for a wide file (one row per unit, one column per rater, blank "
                                          "= missing) or the long `ratings` table.")
    p.add_argument("file")
    p.add_argument("--layout", choices=["wide", "long"], default="wide")
    p.add_argument("--categories", required=True, type=category_list, help="the full category set, e.g. 1,2,3,4")
    p.add_argument("--level", choices=["nominal", "ordinal", "interval", "ratio"], default="ordinal")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap replicates (0 = analytic intervals only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--id-column", help="wide layout: the column holding unit ids")
    p.add_argument("--study-id", dest="study_id", help="long layout: keep one study")
    p.add_argument("--area", help="long layout: keep one judgement area")
    p.add_argument("--rater-type", dest="rater_type", help="long layout: keep one kind of rater")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
