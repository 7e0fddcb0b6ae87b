"""Locate files shipped with the package: the published data schemas and bundled data."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def schema_dir() -> Path:
    """Directory holding the Table Schemas, ``datapackage.json`` and ``scales.json``.

    In a wheel the schemas are copied into the package; in a source checkout
    (editable install) they are read from the repository's ``data_schemas/``.
    """
    for candidate in (_PACKAGE_DIR / "data_schemas", _PACKAGE_DIR.parents[1] / "data_schemas"):
        if (candidate / "datapackage.json").is_file():
            return candidate
    raise FileNotFoundError("inspect_audit data_schemas/ not found; reinstall the package")


def bundled_data_dir() -> Path:
    """Directory of the bundled real England dataset."""
    return _PACKAGE_DIR / "data" / "england"
