"""Fixtures for every test run: the tests in ``tests/`` and the docstring Examples in ``src/inspect_audit``."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def pseudonym_key_file(tmp_path_factory):
    """The pseudonym key of every test run lives in a temporary folder, never in the real home."""
    path = tmp_path_factory.mktemp("config") / "inspect_audit" / "pseudonym.key"
    before = os.environ.get("INSPECT_AUDIT_KEY_FILE")
    os.environ["INSPECT_AUDIT_KEY_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("INSPECT_AUDIT_KEY_FILE", None)
    else:
        os.environ["INSPECT_AUDIT_KEY_FILE"] = before
