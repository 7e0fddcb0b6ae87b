"""``inspect-audit complaints --data DIR --out OUT``: the complaints analysis on schema CSVs.

DIR holds ``complaints.csv`` and, optionally, ``inspections.csv``, ``judgements.csv`` and
``schools.csv`` (the published schemas in ``data_schemas/``). They are read through the validator;
invalid data stop the run. OUT receives ``complaints_report.md`` with plots and CSVs; every table and
plot leaves out groups of fewer than ``--min-group`` complaints, inspector ids are pseudonyms (unless
``--no-pseudonymise``) and ``privacy.json`` says what was done to each file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from inspect_audit._core import export
from inspect_audit.data import files
from inspect_audit._core import privacy
from inspect_audit.data.files import InputError
from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset

TABLES = ("complaints", "inspections", "judgements", "schools")


def _read_draws(path: str) -> pd.DataFrame:
    """Severity draws: ``inspector_id`` and one numeric column per draw; :class:`InputError` names a bad cell."""
    import io

    draws = pd.read_csv(io.StringIO(files.read_text(path)), dtype=str, keep_default_na=False)
    if "inspector_id" not in draws or draws.shape[1] < 2:
        raise InputError(f"{path}: needs an inspector_id column and one column per draw "
                         f"(columns: {', '.join(draws.columns)})")
    if draws.empty:
        raise InputError(f"{path}: has a header and no rows; one row of draws per inspector is expected")
    draws = draws.set_index("inspector_id")
    numbers = draws.apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce"))
    bad = numbers.isna().to_numpy()
    if bad.any():
        row, col = (int(v[0]) for v in bad.nonzero())
        raise InputError(f"{path}: row {row + 2}, column {draws.columns[col]!r}: value {draws.iat[row, col]!r} is "
                         "not a number (every draw of severity must be a number)")
    return numbers


def snapshot_date(text: str) -> str:
    """An argparse type: a real date written YYYY-MM-DD."""
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d")).date().isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from inspect_audit.complaints.report import analyse

    out_dir = Path(args.out)
    if args.min_group < 1:
        print("error: --min-group must be at least 1", file=sys.stderr)
        return 2
    ds = load_dataset(args, TABLES, require=("complaints",), purpose="the complaints analysis")
    tables = ds.select(*TABLES)
    if tables["complaints"].empty:
        raise InputError(f"{ds.files.get('complaints', ds.source)}: has a header and no rows; at least one complaint "
                         "is needed")
    try:
        draws = _read_draws(args.severity_draws) if args.severity_draws else None
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    pseudonymise = not args.no_pseudonymise
    section = analyse(tables, out_dir, min_n=args.min_group, snapshot_date=args.snapshot,
                      severity_draws=draws, pseudonymise=pseudonymise,
                      severity_note=(f"Severity: {draws.shape[1]} posterior draws for {draws.shape[0]} inspectors "
                                     f"from {args.severity_draws}." if draws is not None else ""))
    text = f"# {section['title']}\n\n{section['markdown']}\n"
    (out_dir / "complaints_report.md").write_text(text, encoding="utf-8")
    export.record(out_dir / "complaints_report.md",
                  {**export.identities(privacy.person_columns(tables) if pseudonymise else None),
                   "suppression": {"min_n": args.min_group, "count_column": "complaints"},
                   "note": "report and plots built from the pseudonymised tables; groups of fewer than "
                           f"{args.min_group} complaints are neither shown nor plotted"})
    print(describe(ds))
    print(f"complaints analysis -> {out_dir / 'complaints_report.md'}")
    for line in section["summary"]:
        print(f"  {line}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("complaints", help="upheld rates, time to closure and severity links for complaints",
                              description="Upheld rates (raw and partially pooled), complaint rates by grade, "
                                          "time to closure (Kaplan-Meier) and, with --severity-draws, the link "
                                          "to lead-inspector severity, from schema CSVs in --data. Groups of "
                                          "fewer than --min-group complaints are suppressed in every output.")
    add_data_options(p, "complaints; inspections, judgements and schools if present", bundled=False)
    p.add_argument("--out", required=True, help="output folder for the report, plots and CSVs")
    p.add_argument("--min-group", type=int, default=10,
                   help="suppress groups with fewer complaints than this (default 10)")
    p.add_argument("--snapshot", default=None, type=snapshot_date,
                   help="extraction date YYYY-MM-DD; open complaints are censored there (default: latest date "
                        "in complaints.csv)")
    p.add_argument("--severity-draws", default=None,
                   help="CSV: inspector_id, then one column per posterior draw of severity (optional; real ids "
                        "or the pseudonyms `inspect-audit inspectors` writes)")
    export.add_pseudonymise_option(p)
    p.set_defaults(func=run)
