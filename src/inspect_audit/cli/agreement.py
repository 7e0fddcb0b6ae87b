"""``inspect-audit agreement FILE``: the full agreement table for a wide or long ratings file."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit.agreement.coefficients import AgreementError
from inspect_audit.agreement.coefficients import weights as agreement_weights
from inspect_audit.agreement.table import AgreementInputError, agreement_table, as_json, read_wide, to_wide
from inspect_audit.cli.common import EXIT_INVALID
from inspect_audit.data import files
from inspect_audit.data.dataset import Dataset


def _load(args: argparse.Namespace, categories: list[float] | None) -> pd.DataFrame:
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


def read_weights(path: str, categories: list[float] | None) -> np.ndarray:
    """A ``--weights`` CSV: one row per category, one number per category (no header), checked as a custom
    weight matrix (symmetric, 1 on the diagonal, in [0, 1]); errors name the file, row, column and value."""
    if categories is None:
        raise AgreementInputError("--weights needs --categories: one row and column of the matrix per category")
    name = Path(path).name
    frame = pd.read_csv(io.StringIO(files.read_text(Path(path))), header=None, dtype=str, keep_default_na=False)
    values = frame.apply(lambda col: pd.to_numeric(col.str.strip(), errors="coerce"))
    bad = values.isna().to_numpy()
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise AgreementInputError(f"{name}: row {row + 1}, column {col + 1}: value {frame.iat[row, col]!r} is not a "
                                  "number (a weights file is a q x q table of numbers, no header)")
    try:
        return agreement_weights(categories, values.to_numpy(float))
    except AgreementError as exc:
        raise AgreementInputError(f"{name}: {exc}") from None


def ci_prob_value(text: str) -> float:
    """An argparse type: a probability strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a probability between 0 and 1, e.g. 0.90")
    return value


def run(args: argparse.Namespace) -> int:
    categories = None if args.categories is None else [float(c) for c in args.categories.split(",")]
    try:
        weights = read_weights(args.weights, categories) if args.weights else None
        wide = _load(args, categories)
        table = agreement_table(wide, categories, level=args.level, n_boot=args.boot, seed=args.seed,
                                ci_prob=args.ci_prob, weights=weights)
    except (AgreementInputError, AgreementError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps(as_json(table, categories), indent=2))
    else:
        scale = (f"categories {args.categories}" if categories is not None else
                 "continuous scores (no --categories: interval and ratio alpha, ICCs, Cronbach's alpha)")
        print(f"{table.attrs['n_units']} units x {table.attrs['n_raters']} raters; {scale}; "
              f"{args.ci_prob:.0%} intervals; n = units with at least two ratings")
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
    p.add_argument("--categories", type=category_list,
                   help="the full category set, e.g. 1,2,3,4; leave out for continuous scores (then: "
                        "Krippendorff's interval and ratio alpha, the ICCs and Cronbach's alpha)")
    p.add_argument("--level", choices=["nominal", "ordinal", "interval", "ratio"], default="ordinal")
    p.add_argument("--weights", metavar="FILE",
                   help="a CSV of agreement weights, one row and one column per category (no header; symmetric, "
                        "1 on the diagonal, between 0 and 1): adds the *_custom coefficients")
    p.add_argument("--ci-prob", dest="ci_prob", type=ci_prob_value, default=0.90,
                   help="probability covered by every interval (default 0.90)")
    p.add_argument("--boot", type=int, default=2000, help="bootstrap replicates (0 = analytic intervals only)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--id-column", help="wide layout: the column holding unit ids")
    p.add_argument("--study-id", dest="study_id", help="long layout: keep one study")
    p.add_argument("--area", help="long layout: keep one judgement area")
    p.add_argument("--rater-type", dest="rater_type", help="long layout: keep one kind of rater")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)
