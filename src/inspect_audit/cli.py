"""Command-line entry point: ``inspect-audit SUBCOMMAND ...``.

Each subcommand lives beside the analysis it runs, in a module with
``register(subparsers)``; this file only collects them.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from inspect_audit import __version__

#: Modules that add a subcommand through ``register(subparsers)``.
COMMAND_MODULES = [
    "inspect_audit.validation_cli",
    "inspect_audit.adapters_cli",
    "inspect_audit.agreement_cli",
    "inspect_audit.inspectors_cli",
    "inspect_audit.context_cli",
    "inspect_audit.grade_patterns_cli",
    "inspect_audit.scorecard_cli",
    "inspect_audit.complaints_cli",
    "inspect_audit.surveys_cli",
    "inspect_audit.demo",
    "inspect_audit.app_cli",
]


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="inspect-audit",
        description="Audit the reliability and fairness of school inspection judgements.",
    )
    parser.add_argument("--version", action="version", version=f"inspect-audit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
