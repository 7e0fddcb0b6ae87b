"""``inspect-audit adapt``: translate published Ofsted files into the project's tables, then validate them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inspect_audit.data.adapters import adapt_ofsted_mi, adapt_ofsted_reports, adapt_parent_view
from inspect_audit.data.validation import validate
from inspect_audit.cli.common import EXIT_INVALID, print_report
from inspect_audit.cli.validate import count

#: Tables of the report adapter that the validator checks.
REPORT_TABLES = ("inspections", "inspectors", "judgements")


def _fail(message: str) -> int:
    print(f"inspect-audit adapt: {message}", file=sys.stderr)
    return EXIT_INVALID


def run_reports(args: argparse.Namespace) -> int:
    """``adapt ofsted-reports``: exit 0 when at least one report was read and the tables pass the validator."""
    try:
        result = adapt_ofsted_reports(args.paths, same_person=args.same_person)
    except ValueError as err:  # an unusable --same-person file
        return _fail(str(err))
    for line in result.summary():
        print(line)
    pseudonymise = not args.no_pseudonymise
    try:
        paths = result.write(args.out, names_key=args.names_key, pseudonymise=pseudonymise)
    except OSError as err:  # e.g. --names-key names a folder, or a place that cannot be written
        return _fail(f"cannot write {err.filename or args.out}: {err.strerror or err}")
    tables = ", ".join(f"{t} ({len(f):,} rows)" for t, f in result.tables.items())
    print(f"wrote {tables} to {args.out}" + ("" if pseudonymise else " (names as ids: --no-pseudonymise)"))
    print(f"parse report, provenance (file, page of every row) and teams: {Path(args.out) / 'parse'}")
    print(f"PERSONAL DATA: {paths['names_key']} holds the inspectors' real names and their ids. Keep it on this "
          "machine; never share or publish it (move it with --names-key).")
    n_pairs = len(result.ambiguous())
    if n_pairs:
        print(f"{n_pairs} pair(s) of names might be one person and are kept apart: fill the decision column "
              f"(same/different) of {paths['ambiguous']} and rerun with --same-person {paths['ambiguous']}")
    if result.n_read == 0:
        return _fail("no report could be read (see the reasons above)")
    report = validate({t: paths[t] for t in REPORT_TABLES})
    print_report(report, False, args.max_errors)
    return 0 if report.ok else EXIT_INVALID


def run(args: argparse.Namespace) -> int:
    if args.out and Path(args.out).exists() and not Path(args.out).is_dir():
        return _fail(f"--out {args.out} is a file, not a folder")
    if args.format == "ofsted-reports":
        return run_reports(args)
    if len(args.paths) != 1:
        return _fail(f"{args.format} reads one file ({len(args.paths)} given)")
    if args.names_key or args.same_person or args.no_pseudonymise:
        return _fail("--names-key, --same-person and --no-pseudonymise are options of ofsted-reports")
    args.file = args.paths[0]
    if args.format == "ofsted-mi":
        adapted = adapt_ofsted_mi(args.file)
    else:
        adapted = adapt_parent_view(args.file, wave=args.wave)
    paths = adapted.write(args.out)
    for note in adapted.notes:
        print(f"adapter: {note}")
    print("wrote " + ", ".join(f"{t} ({len(f):,} rows)" for t, f in adapted.tables.items()) + f" to {args.out}")
    report = validate(paths)
    print_report(report, False, args.max_errors)
    return 0 if report.ok else EXIT_INVALID


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "adapt", help="translate Ofsted MI, Parent View or inspection reports into the project's tables",
        description="Write the project's tables (UTF-8 CSV) from published files into --out, then validate "
                    "them. ofsted-reports reads inspection report PDFs and report-card HTML pages (files or "
                    "folders): inspections, inspectors and judgements, with person ids pseudonymised, a parse "
                    "report and provenance in OUT/parse/, and the real names in a private key file "
                    "(docs/report-adapter.md). Load the tables with `inspect-audit ingest OUT/*.csv --workspace "
                    "FILE`.")
    p.add_argument("format", choices=["ofsted-mi", "parent-view", "ofsted-reports"])
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="the file (ofsted-mi, parent-view); report files and folders (ofsted-reports)")
    p.add_argument("--out", required=True, help="folder for the translated tables")
    p.add_argument("--wave", default="unknown", help="Parent View release label, e.g. 2026-06")
    p.add_argument("--names-key", metavar="FILE",
                   help="ofsted-reports: where to write the key of real names to ids (personal data; default "
                        "OUT/private/names_key.csv); ambiguous_names.csv goes beside it")
    p.add_argument("--same-person", metavar="CSV",
                   help="ofsted-reports: your decisions on ambiguous names (name_a, name_b, decision same/different), "
                        "e.g. ambiguous_names.csv with its decision column filled in")
    p.add_argument("--no-pseudonymise", action="store_true",
                   help="ofsted-reports: names as ids in the tables (your own data only; stated in privacy.json)")
    p.add_argument("--max-errors", type=count, default=50, help="errors to print (default 50)")
    p.set_defaults(func=run)
