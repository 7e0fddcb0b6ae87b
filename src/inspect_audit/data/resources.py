"""Locate files shipped with the package: the published data schemas and bundled data."""

from __future__ import annotations

from pathlib import Path

_DATA_DIR = Path(__file__).resolve().parent
_PACKAGE_DIR = _DATA_DIR.parent


def _shipped(name: str, marker: str) -> Path:
    """A folder shipped beside the package: inside it in a wheel, at the repo root in a checkout."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parents[1] / name):
        if (candidate / marker).is_file():
            return candidate
    raise FileNotFoundError(f"inspect_audit {name}/ not found; reinstall the package")


def schema_dir() -> Path:
    """Directory holding the Table Schemas, ``datapackage.json`` and ``scales.json``.

    In a wheel the schemas are copied into the package; in a source checkout
    (editable install) they are read from the repository's ``data_schemas/``.
    """
    return _shipped("data_schemas", "datapackage.json")


def app_dir() -> Path:
    """Directory of the Streamlit app (``streamlit_app.py`` and its pages)."""
    return _shipped("app", "streamlit_app.py")


def bundled_data_dir() -> Path:
    """Directory of the bundled real England dataset."""
    return _DATA_DIR / "england"


def models_dir() -> Path:
    """Directory of the model cards (one Markdown file per statistical model)."""
    return _shipped("models", "inspector-effects.md")
