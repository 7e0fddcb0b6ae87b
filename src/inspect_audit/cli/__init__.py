"""The command line, ``inspect-audit COMMAND ...``: one module per command (parse arguments, load the data,
call one library function, write through the one writer); :mod:`inspect_audit.cli.main` collects them."""

from inspect_audit.cli.main import EXIT_BAD_INPUT, build_parser, log_dir, log_unexpected, main

__all__ = ["EXIT_BAD_INPUT", "build_parser", "log_dir", "log_unexpected", "main"]
