"""``inspect-audit evidence-pack``: an adjudicator's pack (HTML and A4 PDF) for one inspection, from a fit folder
written by ``inspect-audit inspectors`` and the data it was fitted on."""

from __future__ import annotations

import argparse
import sys

from inspect_audit._core import export
from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset
from inspect_audit.data.files import InputError

#: Tables a pack reads (complaints and survey tables where present).
TABLES = ("schools", "inspections", "judgements", "inspectors", "complaints", "survey_items", "survey_responses",
          "survey_aggregates")


def run_evidence_pack(args: argparse.Namespace) -> int:
    from inspect_audit.reporting.evidence_pack import from_fit, open_fit, require_converged

    if args.similar < 1:
        raise InputError(f"--similar {args.similar}: give a number of similar schools of at least 1")
    fit = open_fit(args.fit)  # a missing or foreign folder fails here, before the data are read
    if not args.allow_failed_fit:
        require_converged(fit)
    ds = load_dataset(args, TABLES, require=("schools", "inspections", "judgements"), purpose="an evidence pack")
    print(describe(ds))
    pack = from_fit(fit, args.inspection, ds, allow_failed=True, pseudonymise_ids=not args.no_pseudonymise,
                    n_similar=args.similar)
    try:
        paths = pack.write(args.out, pdf=not args.no_pdf)
    except RuntimeError as exc:  # no Pango for the PDF: the HTML is complete
        paths = pack.write(args.out, pdf=False)
        print(f"inspect-audit evidence-pack: {exc}; wrote {paths['html']}", file=sys.stderr)
        return EXIT_INVALID
    for warning in pack.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if pack.source.simulated:
        print("note: the data are simulated (simulated schools and inspectors, not real people); the pack says so")
    sup = pack.privacy.get("suppression") or {}
    print(f"inspectors: {pack.stamp['identities']}; groups under {sup.get('min_n')} withheld "
          f"({sup.get('rows_suppressed', 0)} row(s)); recorded in privacy.json")
    print("evidence pack written: " + ", ".join(str(p) for p in paths.values()))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "evidence-pack", help="an adjudicator's evidence pack (HTML and PDF) for one inspection, from a saved fit",
        description="Write evidence_pack_<ID>.html and .pdf (A4) to OUT for one inspection: the grades awarded on "
                    "the inspection's own scale, the chance of the grade awarded with its lead inspector and with a "
                    "typical one, where the lead inspector stands among peers, the latest grades of similar schools, "
                    "complaint outcomes and survey evidence, each with its 90% interval and n; the data source "
                    "(real, simulated or your own, with SHA-256 hashes) and the model's checks in an appendix. "
                    "FIT is the --out folder of `inspect-audit inspectors`; give the data it was fitted on. "
                    "Inspectors appear as pseudonyms (this installation's key); privacy.json records it. A fit that "
                    "failed its convergence checks is refused (exit 1) unless --allow-failed-fit, which writes a "
                    "pack that says so on page 1 and flags nobody.")
    p.add_argument("--fit", required=True, metavar="FIT", help="output folder of `inspect-audit inspectors`")
    p.add_argument("--inspection", required=True, metavar="ID", help="inspection_id of the inspection under complaint")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the pack (created)")
    add_data_options(p, "schools, inspections, judgements; complaints and survey tables if present")
    p.add_argument("--similar", type=int, default=50, metavar="K",
                   help="similar schools sought for the grade comparison (default 50; the pack says how many found)")
    p.add_argument("--allow-failed-fit", action="store_true",
                   help="write a pack from a fit that failed its convergence checks (marked as such; no flags)")
    p.add_argument("--no-pdf", action="store_true", help="HTML only")
    export.add_pseudonymise_option(p)
    p.set_defaults(func=run_evidence_pack)
