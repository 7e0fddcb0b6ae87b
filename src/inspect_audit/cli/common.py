"""What every command shares: exit codes, the ``--data`` / ``--workspace`` options, loading a
:class:`~inspect_audit.data.dataset.Dataset`, and printing a validation report."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from inspect_audit.data.dataset import Dataset
from inspect_audit.data.files import InputError
from inspect_audit.data.validation import ValidationReport

#: Exit code of a bad input: a file, folder or option the command cannot use, or data that fail validation.
EXIT_INVALID = 1

#: Errors printed before ``... and N more``.
MAX_ERRORS_SHOWN = 50


def add_data_options(parser: argparse.ArgumentParser, tables: str, *, bundled: bool = True,
                     default: str | None = None) -> None:
    """``--data`` (``bundled``, a folder of table files, or a ``.duckdb`` workspace) or ``--workspace FILE``;
    one of the two is required unless ``default`` is given. ``tables`` says which files the command reads."""
    group = parser.add_mutually_exclusive_group(required=default is None)
    choices = "'bundled' (the real England data shipped with the package), " if bundled else ""
    group.add_argument("--data", metavar="DATA", default=default,
                       help=f"{choices}{'(default) ' if default else ''}a folder of table files named after their tables ({tables}; .csv, .csv.gz, "
                            ".tsv, .parquet or .xlsx), or a workspace (.duckdb)")
    group.add_argument("--workspace", metavar="FILE",
                       help="a DuckDB workspace filled by `inspect-audit ingest` (instead of --data)")


def load_dataset(args: argparse.Namespace, tables: Iterable[str] | None = None, *, require: Iterable[str] = (),
                 purpose: str | None = None) -> Dataset:
    """The data named by ``--data`` or ``--workspace``, validated; only ``tables`` (all if None) are read.

    Raises :class:`~inspect_audit.data.files.InputError` (a missing folder or table) or
    :class:`~inspect_audit.data.validation.ValidationError` (row-level problems), which
    :func:`inspect_audit.cli.main.main` prints.
    """
    tables = list(tables) if tables is not None else None
    purpose = purpose or f"inspect-audit {getattr(args, 'command', '')}".strip()
    workspace = getattr(args, "workspace", None)
    spec = workspace or args.data
    if spec == "bundled" and not workspace:
        ds = Dataset.bundled()
    else:
        path = Path(spec)
        if workspace or (path.is_file() and path.suffix == ".duckdb"):
            if not path.is_file():
                raise InputError(f"{path}: workspace not found (make one with `inspect-audit ingest FILES "
                                 f"--workspace {path}`)")
            ds = Dataset.from_workspace(path, tables)
        elif path.is_dir():
            ds = Dataset.from_folder(path, tables)
        else:
            raise InputError(f"{spec}: not 'bundled', a folder or a workspace (.duckdb)"
                             if path.exists() else f"{spec}: no such folder or workspace")
    return ds.require(*require, purpose=purpose)


def print_report(report: ValidationReport, as_json: bool = False, limit: int = MAX_ERRORS_SHOWN) -> None:
    """A validation report: notes on stdout; if invalid, the summary and the first ``limit`` problems on stderr."""
    errors = report.errors()
    if as_json:
        print(json.dumps({"ok": report.ok, "n_errors": len(errors), "notes": report.notes,
                          "errors": errors.to_dict(orient="records")}, indent=2))
        return
    for note in report.notes:
        print(f"note: {note}")
    if report.ok:
        print(report.summary())
        return
    print(f"INVALID: {report.summary()}", file=sys.stderr)
    shown = errors.head(limit)
    with pd.option_context("display.max_colwidth", 90, "display.width", 200):
        print(shown.to_string(index=False), file=sys.stderr)
    if len(errors) > limit:
        print(f"... and {len(errors) - limit} more (use --errors-csv FILE to save them all)",
              file=sys.stderr)


def describe(ds: Dataset) -> str:
    """One line naming the data an output was computed from (printed by every command)."""
    rows = ", ".join(f"{t} {len(ds.tables[t]):,}" for t in ds.names)
    return f"data: {ds.source} ({rows})"
