"""Fit folders written by ``inspect-audit inspectors --out FIT``: which are there, in words.

A one-area fit folder holds ``posterior.nc`` (the posterior with its design) beside ``diagnostics.json`` and the
tables; a fit of every report-card area together (``--framework``) holds its tables, ``area_effects.csv`` among
them, ``diagnostics.json`` and, when saved since December 2026, ``posterior.nc`` too. :func:`find_fits` lists the
fits in a folder (or the folder itself) so a user can pick one; opening it
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
MULTI_AREA_FILES = ("area_effects.csv", "diagnostics.json")
COLUMNS = ["folder", "fit", "area", "inspections", "inspectors", "gates passed", "saved"]


def _is_fit(folder: Path) -> bool:
    """A one-area fit (``posterior.nc``) or a multi-area one (``area_effects.csv`` and ``diagnostics.json``)."""
    return (folder / FIT_FILE).is_file() or all((folder / f).is_file() for f in MULTI_AREA_FILES)


def _summary(folder: Path) -> dict:
    """One row describing the fit in ``folder`` (from diagnostics.json; blanks where it is missing)."""
    try:
        diag = json.loads((folder / "diagnostics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        diag = {}
    n = diag.get("data", {}).get("n", {})
    stamp = folder / FIT_FILE if (folder / FIT_FILE).is_file() else folder / "diagnostics.json"
    saved = datetime.datetime.fromtimestamp(stamp.stat().st_mtime)
    area = diag.get("model", {}).get("area", "")
    if "areas" in n:  # every area of a framework together
        area = f"all {n['areas']} areas" + (f" ({diag['framework']})" if diag.get("framework") else "")
    return {"folder": str(folder), "fit": folder.name, "area": area,
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
    hits = [root] if _is_fit(root) else []
    if not hits:  # a folder of fits (a fit's own folder holds no further fits)
        hits = [sub for level in range(1, depth + 1) for sub in sorted(root.glob("*/" * level)) if _is_fit(sub)]
    rows = [_summary(hit) for hit in hits]
    return pd.DataFrame(rows, columns=COLUMNS).sort_values("saved", ascending=False, kind="stable").reset_index(drop=True)


__all__ = ["find_fits"]
