"""Shared test fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data" / "raw"


@pytest.fixture
def write_csv(tmp_path):
    """Write text (header and rows) to tmp_path/name and return the path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.strip("\n").replace("\n", "\r\n" if "crlf" in name else "\n").encode(encoding) + b"\n")
        return path

    return _write
