"""``inspect-audit validate`` and ``inspect-audit ingest``: thin CLI over validation and workspace."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


from inspect_audit.data import workspace
from inspect_audit._core.export import add_pseudonymise_option, write_csv
from inspect_audit.data.validation import ValidationReport, validate
from inspect_audit.cli.common import EXIT_INVALID, print_report



def _paths(args: argparse.Namespace) -> list | dict:
    if args.table:
        if len(args.paths) != 1:
            raise SystemExit("--table names the table of a single file; give one file with it")
        return {args.table: args.paths[0]}
    return args.paths


def count(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative; give 0 or more")
    return value


def output_file(text: str) -> str:
    """An argparse type: a file to write, in a folder that exists (checked before any work is done)."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; name a file in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: the folder {path.parent} does not exist; create it first")
    return text


def _write_errors(report: ValidationReport, args: argparse.Namespace) -> None:
    if args.errors_csv:
        write_csv(report.errors(), args.errors_csv, pseudonymise=not args.no_pseudonymise, min_n=None)


def run_validate(args: argparse.Namespace) -> int:
    report = validate(_paths(args))
    print_report(report, args.json, args.max_errors)
    _write_errors(report, args)
    return 0 if report.ok else EXIT_INVALID


def run_ingest(args: argparse.Namespace) -> int:
    result = workspace.ingest(_paths(args), args.workspace, rejects_dir=args.rejects,
                              pseudonymise=not args.no_pseudonymise)
    print_report(result.report, args.json, args.max_errors)
    _write_errors(result.report, args)
    if not result.ok:
        print(f"Nothing was written to {args.workspace}. Rejected rows and reasons: "
              f"{result.rejects_dir}", file=sys.stderr)
        return EXIT_INVALID
    if not args.json:
        written = ", ".join(f"{t}: {n}" for t, n in result.written.items())
        print(f"ingested into {args.workspace}: {written}")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="CSV, CSV.GZ, Parquet or Excel files named after their table "
                             "(e.g. inspections.csv); files given together are checked against each other")
    parser.add_argument("--table", help="the table of a single file whose name does not say it")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--max-errors", type=count, default=50, help="errors to print (default 50)")
    parser.add_argument("--errors-csv", type=output_file, help="also write every error to this CSV file")
    add_pseudonymise_option(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("validate", help="check input files against the published schemas",
                              description="Check files against data_schemas/; prints one line per "
                                          "problem (file, row, column, value, rule); exit 1 if any.")
    _common(p)
    p.set_defaults(func=run_validate)
    p = subparsers.add_parser("ingest", help="validate files and load them into a DuckDB workspace",
                              description="All-or-nothing: a batch with any problem writes nothing; "
                                          "rejected rows go to a rejects folder with reasons.")
    _common(p)
    p.add_argument("--workspace", required=True, help="DuckDB workspace file (created if missing)")
    p.add_argument("--rejects", help="folder for rejected rows (default: WORKSPACE.rejects/ beside it)")
    p.set_defaults(func=run_ingest)
