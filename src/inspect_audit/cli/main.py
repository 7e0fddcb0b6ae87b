"""Command-line entry point: ``inspect-audit SUBCOMMAND ...``.

Each subcommand lives beside the analysis it runs, in a module with
``register(subparsers)``; this file only collects them.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
import tempfile
import traceback
from pathlib import Path

from inspect_audit import __version__
from inspect_audit.cli.common import EXIT_INVALID, print_report
from inspect_audit.data.files import InputError
from inspect_audit.data.validation import ValidationError

#: Exit code of a bad input (a file, folder or option the command cannot use) and of an unexpected error.
EXIT_BAD_INPUT = 1

#: Modules that add a subcommand through ``register(subparsers)``.
COMMAND_MODULES = [
    "inspect_audit.cli.validate",
    "inspect_audit.cli.adapt",
    "inspect_audit.cli.agreement",
    "inspect_audit.cli.inspectors",
    "inspect_audit.cli.context",
    "inspect_audit.cli.grade_patterns",
    "inspect_audit.cli.scorecard",
    "inspect_audit.cli.complaints",
    "inspect_audit.cli.surveys",
    "inspect_audit.cli.evidence_pack",
    "inspect_audit.reporting.demo",
    "inspect_audit.cli.app",
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


def log_dir() -> Path:
    """Where unexpected errors are logged: ``$INSPECT_AUDIT_LOG_DIR``, else the user's cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``)/inspect_audit/logs, else the temporary folder."""
    if os.environ.get("INSPECT_AUDIT_LOG_DIR"):
        return Path(os.environ["INSPECT_AUDIT_LOG_DIR"])
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "inspect_audit" / "logs"


def log_unexpected(argv: list[str] | None) -> Path:
    """Write the current exception's traceback to a new log file; returns its path."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    command = " ".join(argv if argv is not None else sys.argv[1:])
    text = f"inspect-audit {__version__}\ncommand: inspect-audit {command}\n\n{traceback.format_exc()}"
    for folder in (log_dir(), Path(tempfile.gettempdir()) / "inspect_audit"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle = tempfile.NamedTemporaryFile("w", dir=folder, prefix=f"error-{stamp}-", suffix=".log",
                                                 delete=False, encoding="utf-8")
            with handle:
                handle.write(text)
            return Path(handle.name)
        except OSError:
            continue
    raise RuntimeError("no folder to write the error log")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code.

    A bad input (:class:`~inspect_audit.data.files.InputError`) is one line on stderr and exit 1; any other error
    is one line naming it and the log file that holds its traceback, exit 1. No traceback reaches the user.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except InputError as exc:
        print(f"inspect-audit {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as exc:  # data that fail their schema: every problem by file, row, column and rule
        print_report(exc.report)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print(f"inspect-audit {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: an error nobody anticipated
        log = log_unexpected(argv)
        what = (str(exc).strip().splitlines() or [""])[0]
        print(f"inspect-audit {args.command}: unexpected error ({type(exc).__name__}: {what}); the details are in "
              f"{log}: please include that file when you report the problem", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
