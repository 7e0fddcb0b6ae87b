"""``inspect-audit adapt``: translate a published Ofsted file into the project's tables, then validate them."""

from __future__ import annotations

import argparse

from inspect_audit.adapters import adapt_ofsted_mi, adapt_parent_view
from inspect_audit.validation import validate
from inspect_audit.validation_cli import EXIT_INVALID, _print_report


def run(args: argparse.Namespace) -> int:
    if args.format == "ofsted-mi":
        adapted = adapt_ofsted_mi(args.file)
    else:
        adapted = adapt_parent_view(args.file, wave=args.wave)
    paths = adapted.write(args.out)
    for note in adapted.notes:
        print(f"adapter: {note}")
    print("wrote " + ", ".join(f"{t} ({len(f):,} rows)" for t, f in adapted.tables.items()) + f" to {args.out}")
    report = validate(paths)
    _print_report(report, False, args.max_errors)
    return 0 if report.ok else EXIT_INVALID


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "adapt", help="translate an Ofsted MI or Parent View file into the project's tables",
        description="Write the project's tables (UTF-8 CSV) from a published file into --out, then validate "
                    "them. Load them with `inspect-audit ingest OUT/*.csv --workspace FILE`.")
    p.add_argument("format", choices=["ofsted-mi", "parent-view"])
    p.add_argument("file")
    p.add_argument("--out", required=True, help="folder for the translated tables")
    p.add_argument("--wave", default="unknown", help="Parent View release label, e.g. 2026-06")
    p.add_argument("--max-errors", type=int, default=50)
    p.set_defaults(func=run)
