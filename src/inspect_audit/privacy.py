"""Personal data: pseudonymous inspector ids, and suppression of small groups in anything shown or exported.

A complaint or an inspector's record is personal data, and a rate for a handful of cases (one inspector,
one small region) can identify the people involved while saying little statistically. Every exported
table goes through :func:`suppress` (or :func:`export_csv`) first.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

MIN_N = 10
#: Columns blanked in a suppressed row (those present in the table).
VALUE_COLUMNS: tuple[str, ...] = ("estimate", "ci_low", "ci_high", "k", "se", "survival", "n_at_risk",
                                  "n_events", "n_censored", "n_upheld", "time")


def pseudonymise(ids: pd.Series, key: str, prefix: str = "Inspector") -> pd.Series:
    """Replace identities by stable pseudonyms (keyed HMAC-SHA256; the same key gives the same pseudonym).

    Without the key a pseudonym cannot be traced back to a name; keep the key with the data owner.
    """
    def one(value: object) -> object:
        if pd.isna(value):
            return value
        digest = hmac.new(key.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:6].upper()}"

    return ids.map(one)


def suppress(table: pd.DataFrame, min_n: int = MIN_N, n_col: str | None = None,
             columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Blank the estimates of groups resting on fewer than ``min_n`` cases (complaints, pairs, respondents).

    Parameters
    ----------
    table : DataFrame
        A tidy result table with a count column ``n_col``.
    min_n : int
        Smallest group size shown (default 10). ``min_n <= 1`` disables suppression except the
        ``suppressed`` column is still added.
    n_col : str, optional
        Column holding the number of complaints in the group: default ``table.attrs["count_column"]``
        if set (``complaint_rates`` sets ``k``: its ``n`` counts inspections), else ``n``.
    columns : sequence of str, optional
        Columns to blank (default: those of :data:`VALUE_COLUMNS` present in the table).

    Returns
    -------
    DataFrame
        A copy with the value columns set to missing where ``n < min_n`` and a boolean column
        ``suppressed``; ``attrs["min_n"]`` records the threshold. The group size itself is kept
        so a reader can see why a row is blank.
    """
    n_col = n_col or table.attrs.get("count_column", "n")
    if n_col not in table:
        raise KeyError(f"table has no count column {n_col!r}")
    out = table.copy()
    small = (pd.to_numeric(out[n_col], errors="coerce").fillna(0) < min_n).to_numpy()
    cols = [c for c in (columns if columns is not None else VALUE_COLUMNS) if c in out and c != "n"]
    for col in cols:
        if small.any():
            if pd.api.types.is_integer_dtype(out[col]):
                out[col] = out[col].astype("Int64")
            elif pd.api.types.is_bool_dtype(out[col]):
                out[col] = out[col].astype("boolean")
            out.loc[small, col] = np.nan if out[col].dtype.kind == "f" else pd.NA
    out["suppressed"] = small
    out.attrs = dict(table.attrs)
    out.attrs["min_n"] = int(min_n)
    return out


def export_csv(table: pd.DataFrame, path: str | Path, min_n: int = MIN_N, n_col: str | None = None) -> Path:
    """Write ``table`` to CSV after :func:`suppress` (the only way this package writes tables).

    Parameters
    ----------
    table : DataFrame
        Tidy result table with a count column.
    path : str or Path
        Destination file.
    min_n : int
        Suppression threshold.
    n_col : str, optional
        Count column used for suppression (see :func:`suppress`).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suppress(table, min_n=min_n, n_col=n_col).to_csv(path, index=False, float_format="%.6g")
    return path
