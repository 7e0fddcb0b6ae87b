"""The real England data shipped with the package (Ofsted and DfE open data, OGL v3.0).

21,447 schools with their latest graded inspection as at 31 August 2024, sub-judgements,
1,313 report cards (renewed framework, November 2025 to May 2026; inspection_type ``report_card``),
2022/23 census FSM and KS2/KS4 progress, and Parent View as survey aggregates. How it was
built and what it leaves out: ``docs/data-card.md``; the build script is
``scripts/build_england_data.py``.

Examples
--------
>>> from inspect_audit.data.bundled import load_england
>>> tables = load_england()
>>> len(tables["schools"]) > 20000
True
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from inspect_audit.data.resources import bundled_data_dir
from inspect_audit.data.validation import validate

ATTRIBUTION = ("Contains public sector information licensed under the Open Government Licence v3.0 "
               "(Ofsted state-funded schools inspections MI as at 31 August 2024 and May 2026; DfE school census and "
               "performance tables 2022/23; Ofsted Parent View).")
TABLES = ("schools", "inspections", "judgements", "survey_items", "survey_aggregates")


def england_paths() -> dict[str, str]:
    """Paths of the bundled tables, by table name."""
    folder = bundled_data_dir()
    return {name: str(folder / f"{name}.csv.gz") for name in TABLES}


_CACHE: dict[tuple, dict[str, pd.DataFrame]] = {}


def _files_state(paths: dict[str, str]) -> tuple:
    return tuple((name, path, Path(path).stat().st_mtime_ns, Path(path).stat().st_size)
                 for name, path in sorted(paths.items()))


def load_england() -> dict[str, pd.DataFrame]:
    """The bundled England tables, typed and checked by the validator (the only door data come through).

    The validated tables are kept for the rest of the session (while the files are unchanged); every call
    returns fresh copies, so a caller may change them freely.

    Returns
    -------
    dict of DataFrame
        ``schools``, ``inspections``, ``judgements``, ``survey_items``, ``survey_aggregates``.

    Raises
    ------
    RuntimeError if the shipped files do not pass validation (a broken installation).

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> england = load_england()
    >>> england["inspections"]["inspection_type"].value_counts().sort_index()
    inspection_type
    graded         21447
    report_card     1313
    Name: count, dtype: int64[pyarrow]
    """
    paths = england_paths()
    state = _files_state(paths)
    if state not in _CACHE:
        report = validate(paths)
        if not report.ok:
            raise RuntimeError(f"bundled England data failed validation:\n{report.errors().head(20)}")
        _CACHE.clear()
        _CACHE[state] = report.tables
    return {name: table.copy(deep=True) for name, table in _CACHE[state].items()}
