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
#: Columns that define one breakdown (its groups add up to a total) for secondary suppression.
BREAKDOWN_COLUMNS: tuple[str, ...] = ("dimension", "statistic")
#: Group labels of a breakdown's total row.
TOTAL_GROUPS: tuple[str, ...] = ("all",)


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


def suppression_mask(table: pd.DataFrame, min_n: int = MIN_N, n_col: str = "n") -> np.ndarray:
    """Rows to suppress: small groups (primary) plus one more group where needed (secondary).

    Primary: groups with fewer than ``min_n`` in ``n_col``. Secondary (complementary disclosure):
    a breakdown (the rows sharing ``dimension`` and ``statistic``, where present) whose groups
    (``group`` column) sum to a total shown elsewhere would give away a single hidden group as
    total minus the shown ones; so when exactly one group of a breakdown is hidden, the next-smallest
    group (by ``n_col``) is hidden too, or, if no other group is left, the breakdown's total row
    (group ``all``). Tables without a ``group`` column get primary suppression only. Rows of one
    group (e.g. the points of a curve) are hidden together.

    Parameters
    ----------
    table : DataFrame
        Tidy table with the count column ``n_col``.
    min_n : int
        Smallest group size shown.
    n_col : str
        Count column.

    Returns
    -------
    ndarray of bool
        One entry per row of ``table``, True where the row is suppressed.
    """
    size = pd.to_numeric(table[n_col], errors="coerce").fillna(0).to_numpy()
    hide = size < min_n
    if "group" not in table or not hide.any():
        return hide
    frame = pd.DataFrame({"group": table["group"].astype(str).to_numpy(), "size": size, "hide": hide})
    keys = [table[c].astype(str).to_numpy() for c in BREAKDOWN_COLUMNS if c in table]
    parts = frame.groupby(keys, sort=False).indices.values() if keys else [np.arange(len(frame))]
    groups = frame["group"].to_numpy()
    for rows in parts:
        cells = frame.iloc[rows].groupby("group", sort=False).agg(size=("size", "min"), hide=("hide", "any"))
        if cells["hide"].sum() != 1 or len(cells) < 2:
            continue
        total = cells.index.isin(TOTAL_GROUPS)
        others = cells[~cells["hide"] & ~total]
        extra = [others["size"].idxmin()] if len(others) else list(cells.index[total & ~cells["hide"]])
        hide[rows[np.isin(groups[rows], extra)]] = True
    return hide


def suppress(table: pd.DataFrame, min_n: int = MIN_N, n_col: str | None = None,
             columns: Sequence[str] | None = None, hide_n: bool = False) -> pd.DataFrame:
    """Blank the estimates of groups resting on fewer than ``min_n`` cases (complaints, pairs, respondents).

    Groups are chosen by :func:`suppression_mask`: small groups, plus a second group wherever a
    single hidden group could otherwise be recovered by subtracting the shown groups from the total.

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
    hide_n : bool
        Blank the group sizes (``n`` and ``n_col``) of suppressed rows too. :func:`export_csv` always
        does; keep ``False`` only for in-memory use that never shows the sizes of suppressed rows.

    Returns
    -------
    DataFrame
        A copy with the value columns set to missing in suppressed rows and a boolean column
        ``suppressed``; ``attrs["min_n"]`` records the threshold.
    """
    n_col = n_col or table.attrs.get("count_column", "n")
    if n_col not in table:
        raise KeyError(f"table has no count column {n_col!r}")
    out = table.copy()
    small = suppression_mask(out, min_n, n_col)
    cols = [c for c in (columns if columns is not None else VALUE_COLUMNS) if c in out and c != "n"]
    if hide_n:
        cols += [c for c in dict.fromkeys(("n", n_col)) if c not in cols]
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
    """Write ``table`` to CSV after :func:`suppress` with ``hide_n=True`` (the only way this package writes
    tables): suppressed rows show neither estimates nor counts.

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
    suppress(table, min_n=min_n, n_col=n_col, hide_n=True).to_csv(path, index=False, float_format="%.6g")
    return path
