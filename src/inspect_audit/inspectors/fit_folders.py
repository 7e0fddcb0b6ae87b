"""Fit folders written by ``inspect-audit inspectors --out FIT``: which are there, in words.

A fit folder holds ``posterior.nc`` (the posterior with its design) beside ``diagnostics.json`` and the
tables. :func:`find_fits` lists the fits in a folder (or the folder itself) so a user can pick one; opening it
is :func:`inspect_audit.reporting.evidence_pack.open_fit` (a fit view with the reloaded model).

Examples
--------
>>> import tempfile
>>> find_fits(tempfile.mkdtemp()).columns.tolist()
['folder', 'fit', 'area', 'inspections', 'inspectors', 'gates passed', 'saved']
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pandas as pd

FIT_FILE = "posterior.nc"
COLUMNS = ["folder", "fit", "area", "inspections", "inspectors", "gates passed", "saved"]


def _summary(folder: Path) -> dict:
    """One row describing the fit in ``folder`` (from diagnostics.json; blanks where it is missing)."""
    try:
        diag = json.loads((folder / "diagnostics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        diag = {}
    n = diag.get("data", {}).get("n", {})
    saved = datetime.datetime.fromtimestamp((folder / FIT_FILE).stat().st_mtime)
    return {"folder": str(folder), "fit": folder.name, "area": diag.get("model", {}).get("area", ""),
            "inspections": n.get("inspections"), "inspectors": n.get("inspectors"),
            "gates passed": diag.get("ok"), "saved": saved.strftime("%Y-%m-%d %H:%M")}


def find_fits(directory: str | Path, depth: int = 2) -> pd.DataFrame:
    """The fit folders in ``directory``: itself if it is one, else those up to ``depth`` levels below it.

    Parameters
    ----------
    directory : str or Path
        A fit folder, or a folder holding fit folders.
    depth : int
        How many levels below ``directory`` to look.

    Returns
    -------
    pandas.DataFrame
        One row per fit, newest first: ``folder`` (path), ``fit`` (folder name), ``area``, ``inspections``
        and ``inspectors`` modelled, ``gates passed`` (the convergence verdict) and ``saved`` (date and
        time). Empty (with these columns) when there is none or ``directory`` does not exist.
    """
    root = Path(directory).expanduser()
    if not root.is_dir():
        return pd.DataFrame(columns=COLUMNS)
    hits = [root / FIT_FILE] if (root / FIT_FILE).is_file() else []
    if not hits:  # a folder of fits (a fit's own folder holds no further fits)
        hits = [hit for level in range(1, depth + 1) for hit in sorted(root.glob("*/" * level + FIT_FILE))]
    rows = [_summary(hit.parent) for hit in hits]
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("saved", ascending=False, kind="stable").reset_index(drop=True)


__all__ = ["find_fits"]
