"""Personal data: secret-keyed pseudonyms for person ids, and suppression of small groups.

A complaint or an inspector's record is personal data, and a rate for a handful of cases (one inspector,
one small region) can identify the people involved while saying little statistically. Every exported
table goes through :mod:`inspect_audit._core.export`, which applies :func:`pseudonymise_frame` and
:func:`suppress` before writing.

Pseudonyms are keyed with a secret generated on first use and kept on this machine
(:func:`pseudonym_key`); without the key, hashing a list of candidate names does not reverse them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import warnings
from collections.abc import Mapping, Sequence
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
#: Columns holding a person's id, and the prefix of their pseudonyms (one prefix per kind of person,
#: so an inspector has the same pseudonym as ``inspector_id`` and as ``lead_inspector_id``).
PERSON_COLUMNS: dict[str, str] = {"inspector_id": "Inspector", "lead_inspector_id": "Inspector",
                                  "rater_id": "Rater"}
#: Values of a tidy table's ``dimension`` column whose ``group`` is one person's id.
PERSON_DIMENSIONS: dict[str, str] = {"lead_inspector": "Inspector"}
#: Environment variable naming the key file (default: ``$XDG_CONFIG_HOME/inspect_audit/pseudonym.key``,
#: else ``~/.config/inspect_audit/pseudonym.key``).
KEY_ENV = "INSPECT_AUDIT_KEY_FILE"
#: Hex digits of a pseudonym: 64 bits.
PSEUDONYM_HEX = 16


def key_path() -> Path:
    """Where this installation's pseudonym key lives (``INSPECT_AUDIT_KEY_FILE`` first).

    >>> key_path().name
    'pseudonym.key'
    """
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "inspect_audit" / "pseudonym.key"


def pseudonym_key(path: str | Path | None = None) -> str:
    """This installation's secret pseudonym key, generated with :mod:`secrets` on first use.

    The key (256 random bits, hex) is stored at :func:`key_path` with permissions 0600 and is never
    written into any output; outputs name it by :func:`key_id` only. Keep the file to keep pseudonyms
    stable across runs; delete it to start a new series of pseudonyms.

    >>> import pathlib, tempfile
    >>> len(pseudonym_key(pathlib.Path(tempfile.mkdtemp()) / "pseudonym.key"))
    64
    """
    path = Path(path) if path is not None else key_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # made by a concurrent run meanwhile
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    if os.name == "posix" and path.stat().st_mode & 0o077:
        warnings.warn(f"{path} is readable by other users: anyone who can read it can reverse pseudonyms "
                      f"by hashing candidate names (chmod 600 {path})", stacklevel=2)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable pseudonym key (delete it and a new one is made)")
    return key


def key_id(key: str | None = None) -> str:
    """A short public name for a key (8 hex digits of a hash), to tell in an output which key was used.

    >>> key_id("secret")
    'afdea1b6'
    """
    key = pseudonym_key() if key is None else key
    return hashlib.sha256(b"inspect_audit key id:" + key.encode("utf-8")).hexdigest()[:8]


def pseudonymise(ids: pd.Series, key: str | None = None, prefix: str = "Inspector") -> pd.Series:
    """Replace identities by stable pseudonyms: ``prefix-`` and 64 bits of HMAC-SHA256 under the secret key.

    The same key gives the same pseudonym, so tables pseudonymised apart still join. With 64 bits the
    chance that any two of 10,000 ids share a pseudonym is about n^2 / 2^65 = 2.7e-12. A value that is
    already a pseudonym of this form is kept (pseudonymising twice changes nothing); missing values stay
    missing.

    Parameters
    ----------
    ids : Series
        Identities (any values; compared as text).
    key : str, optional
        Secret key; default this installation's :func:`pseudonym_key`.
    prefix : str
        Text before the hash.

    Examples
    --------
    >>> p = pseudonymise(pd.Series(["Ann Smith", "Ann Smith", None]), key="k")
    >>> p[0] == p[1], len(p[0]), pd.isna(p[2])
    (True, 26, True)
    >>> bool((pseudonymise(p, key="k") == p)[:2].all())
    True
    """
    secret = (pseudonym_key() if key is None else key).encode("utf-8")
    done = re.compile(rf"{re.escape(prefix)}-[0-9A-F]{{{PSEUDONYM_HEX}}}")

    def one(value: object) -> object:
        if pd.isna(value) or done.fullmatch(str(value)):
            return value
        digest = hmac.new(secret, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:PSEUDONYM_HEX].upper()}"

    return ids.map(one)


def _person_cells(table: pd.DataFrame) -> list[tuple[str, np.ndarray, str, str]]:
    """Cells naming a person: (column, row mask, prefix, label) for person columns, the ``group`` of
    person dimensions and the ``value`` of errors about a person column."""
    cells = [(col, np.ones(len(table), bool), prefix, col) for col, prefix in PERSON_COLUMNS.items() if col in table]
    for selector, target, kinds in (("dimension", "group", PERSON_DIMENSIONS), ("column", "value", PERSON_COLUMNS)):
        if selector in table and target in table:
            for kind, prefix in kinds.items():
                rows = (table[selector].astype(str) == kind).to_numpy()
                if rows.any():
                    cells.append((target, rows, prefix, f"{target} ({kind} rows)"))
    return cells


def names_person(table: pd.DataFrame) -> np.ndarray:
    """Rows of ``table`` that carry a person's id (see :data:`PERSON_COLUMNS`, :data:`PERSON_DIMENSIONS`).

    >>> names_person(pd.DataFrame({"dimension": ["lead_inspector", "stage"], "group": ["A", "formal"]})).tolist()
    [True, False]
    """
    rows = np.zeros(len(table), bool)
    for col, mask, _, _ in _person_cells(table):
        rows |= mask & table[col].notna().to_numpy()
    return rows


def pseudonymise_frame(table: pd.DataFrame, key: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """A copy of ``table`` with every person id pseudonymised, and the list of what was.

    Person ids are the columns of :data:`PERSON_COLUMNS`, the ``group`` of rows whose ``dimension`` is in
    :data:`PERSON_DIMENSIONS`, and the ``value`` of rows (of an error table) whose ``column`` is a person
    column.

    >>> out, done = pseudonymise_frame(pd.DataFrame({"inspector_id": ["A"], "n": [3]}), key="k")
    >>> done, bool(out["inspector_id"].str.startswith("Inspector-").all())
    (['inspector_id'], True)
    """
    out, done = table.copy(), []
    for col, rows, prefix, label in _person_cells(table):
        if col in out and rows.any():
            values = out[col].astype(object)
            values[rows] = pseudonymise(values[rows], key, prefix)
            out[col] = values
            done.append(label)
    return out, done


def person_columns(tables: Mapping[str, pd.DataFrame | None]) -> list[str]:
    """The person-id columns (:data:`PERSON_COLUMNS`) present in any of ``tables``, in that order.

    >>> person_columns({"inspections": pd.DataFrame(columns=["inspection_id", "lead_inspector_id"])})
    ['lead_inspector_id']
    """
    return [c for c in PERSON_COLUMNS if any(t is not None and c in t for t in tables.values())]


def pseudonymise_tables(tables: Mapping[str, pd.DataFrame], key: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table with its person ids pseudonymised (the same person gets the same pseudonym everywhere).

    Used on validated input before an analysis, so that fits, tables, figures and packs carry pseudonyms
    only. The input tables are left as they are.

    >>> t = pseudonymise_tables({"inspections": pd.DataFrame({"inspection_id": ["i1"], "lead_inspector_id": ["A"]})},
    ...                         key="k")
    >>> t["inspections"]["inspection_id"][0], t["inspections"]["lead_inspector_id"][0][:10]
    ('i1', 'Inspector-')
    """
    return {name: pseudonymise_frame(frame, key)[0] if frame is not None else None for name, frame in tables.items()}


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
        cols += [c for c in dict.fromkeys(("n", n_col)) if c in out and c not in cols]
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


def export_csv(table: pd.DataFrame, path: str | Path, min_n: int = MIN_N, n_col: str | None = None,
               pseudonymise: bool = True) -> Path:
    """Write ``table`` to CSV through :func:`inspect_audit._core.export.write_csv` (six significant digits):
    person ids pseudonymised, suppressed rows with neither estimates nor counts (rows naming a person
    left out), formula cells neutralised, what was done recorded in ``privacy.json`` beside it.

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
    pseudonymise : bool
        Pseudonymise person ids (turn off only for one's own data).

    Returns
    -------
    Path
        The file written.
    """
    from inspect_audit._core.export import write_csv

    return write_csv(table, path, min_n=min_n, n_col=n_col, pseudonymise=pseudonymise, float_format="%.6g")
