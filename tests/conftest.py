"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "raw"


# The session's pseudonym key file (fixture ``pseudonym_key_file``) is set up in the root conftest.py,
# so that it applies to the docstring Examples in src/inspect_audit as well.


@pytest.fixture
def write_csv(tmp_path):
    """Write text (header and rows) to tmp_path/name and return the path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.strip("\n").replace("\n", "\r\n" if "crlf" in name else "\n").encode(encoding) + b"\n")
        return path

    return _write


def run_cli(register, argv: list[str]) -> int:
    """Run ``inspect-audit ARGV`` as a user would (errors printed by :func:`inspect_audit.cli.main`, never raised);
    ``register`` (the command's module's ``register``) is checked to define the command."""
    import argparse

    from inspect_audit.cli import main

    parser = argparse.ArgumentParser(prog="inspect-audit")
    register(parser.add_subparsers())
    parser.parse_args(argv)  # the command exists in that module
    return main(list(argv))


def formula_cells(path) -> list[str]:
    """Cells of a CSV that a spreadsheet would evaluate (text led by = + - @ tab or CR)."""
    import csv
    import re

    number = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
    with open(path, newline="", encoding="utf-8") as handle:
        return [cell for row in csv.reader(handle) for cell in row
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not number.fullmatch(cell)]
