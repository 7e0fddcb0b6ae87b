"""The one way out: every table the package writes, or the app offers for download, goes through here.

By default a table is

1. **pseudonymised**: person ids (``inspector_id``, ``lead_inspector_id``, ``rater_id``, the groups of a
   ``lead_inspector`` breakdown, error values about those columns) become pseudonyms keyed with this
   installation's secret (:func:`inspect_audit._core.privacy.pseudonymise_frame`);
2. **suppressed**: groups below the threshold in its count column are blanked, with a second group
   wherever one alone could be worked out from a total (:func:`inspect_audit._core.privacy.suppress`), and a
   suppressed row that names a person is left out altogether: its mere presence would say that this
   person had complaints or inspections;
3. **neutralised**: text cells and headers that a spreadsheet would run as a formula (led by ``=``, ``+``,
   ``-``, ``@``, tab or carriage return) get a leading single quote, as OWASP recommends against CSV
   injection, and carriage returns inside text become line feeds; numbers, including text such as
   ``-0.5``, stay numbers;
4. **recorded**: ``privacy.json`` beside the file says, file by file, what was done.

Turning pseudonymisation off (``pseudonymise=False``, ``--no-pseudonymise``) is for one's own data and is
stated in the record.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> table = pd.DataFrame({"rater_id": ["R1", "R2"], "n": [4, 40], "estimate": [0.5, 0.2], "note": ["=1+1", "ok"]})
>>> path = write_csv(table, folder / "raters.csv", key="demo key")
>>> print(path.read_text().strip())
rater_id,n,estimate,note,suppressed
Rater-6F1196F53754A3A3,40,0.2,ok,False
>>> json.loads((folder / "privacy.json").read_text())["files"]["raters.csv"]["suppression"]["person_rows_dropped"]
1
"""

from __future__ import annotations

import argparse
import json
import re
import warnings
from pathlib import Path

import pandas as pd

from inspect_audit import __version__
from inspect_audit._core import privacy

#: First characters that make a spreadsheet treat a cell as a formula (OWASP: CSV injection).
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
#: File beside the outputs recording what was done to each of them.
MANIFEST = "privacy.json"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: object) -> object:
    """``value`` made safe to open in a spreadsheet: formula-led text gets a leading single quote, and
    carriage returns become line feeds (so the cell is quoted and cannot start a row).

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-2+3+cmd"), neutralise("-0.5"), neutralise(-0.5)
    ('\\'=HYPERLINK("http://x")', "'-2+3+cmd", '-0.5', -0.5)
    """
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        value = "'" + value
    # a bare carriage return is a line break to a spreadsheet but not to pandas' CSV quoting: a cell
    # "x\r=cmd" would reach the reader as a new row led by a formula
    return value.replace("\r\n", "\n").replace("\r", "\n")


def neutralise_formulas(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """A copy of ``table`` with :func:`neutralise` applied to its text cells and headers; and how many changed.

    >>> out, n = neutralise_formulas(pd.DataFrame({"name": ["@SUM(A1)", "Alpha"], "x": [-1.0, 2.0]}))
    >>> out["name"].tolist(), n
    (["'@SUM(A1)", 'Alpha'], 1)
    """
    out = table.copy()
    changed = 0
    for col in out.columns:
        if out[col].dtype.kind in "biufcmM":
            continue
        values = out[col].astype(object)
        safe = values.map(neutralise)
        hit = (safe != values).fillna(False).to_numpy(bool) & values.notna().to_numpy()
        if hit.any():
            out[col] = safe
            changed += int(hit.sum())
    names = {c: neutralise(c) for c in out.columns if isinstance(c, str) and neutralise(c) != c}
    return out.rename(columns=names), changed + len(names)


def identities(columns: list[str] | None, key: str | None = None) -> dict:
    """The record's account of person ids: ``columns`` pseudonymised (``None``: pseudonymisation turned off).

    >>> identities(None)["identities"]
    "as in the data: pseudonymisation turned off (--no-pseudonymise / pseudonymise=False), for one's own data only"
    >>> identities([])["pseudonymised"]
    []
    """
    if columns is None:
        return {"pseudonymised": False,
                "identities": "as in the data: pseudonymisation turned off (--no-pseudonymise / pseudonymise=False), "
                              "for one's own data only"}
    if not columns:
        return {"pseudonymised": [], "identities": "no person ids"}
    kid = privacy.key_id(key)
    return {"pseudonymised": list(columns), "key_id": kid,
            "identities": f"pseudonymised ({', '.join(columns)}): HMAC-SHA256, {4 * privacy.PSEUDONYM_HEX} bits, "
                          f"with this installation's secret key (key id {kid}; the key itself is never written out)"}


#: Count columns looked for, in order, when neither ``n_col`` nor ``attrs["count_column"]`` names one.
COUNT_COLUMNS = ("n", "n_inspections")


def _count_column(table: pd.DataFrame, n_col: str | None) -> str | None:
    if n_col is not None:
        if n_col not in table:
            raise KeyError(f"table has no count column {n_col!r}")
        return n_col
    if "count_column" in table.attrs:
        col = table.attrs["count_column"]
        return col if col in table else None
    # an inspector table (InspectorModel.inspector_effects) counts each person's inspections
    return next((col for col in COUNT_COLUMNS if col in table), None)


def protect(table: pd.DataFrame, *, pseudonymise: bool = True, key: str | None = None,
            min_n: int | None = privacy.MIN_N, n_col: str | None = None) -> tuple[pd.DataFrame, dict]:
    """``table`` as it may leave the machine, and the record of what was done (see the module docstring).

    Parameters
    ----------
    table : DataFrame
        Any table.
    pseudonymise : bool
        Replace person ids by keyed pseudonyms (default). ``False`` keeps them, and the record says so.
    key : str, optional
        Pseudonym key; default this installation's :func:`~inspect_audit._core.privacy.pseudonym_key`.
    min_n : int or None
        Suppression threshold; ``None`` for tables whose counts are not of people or complaints.
    n_col : str, optional
        Count column; default ``attrs["count_column"]``, else ``n``, else ``n_inspections`` (an inspector table).
        A table with none of them is not suppressed.

    Returns
    -------
    (DataFrame, dict)
        The protected copy and its record (``identities``, ``pseudonymised``, ``key_id``, ``suppression``,
        ``formula_cells_neutralised``).

    Examples
    --------
    >>> t = pd.DataFrame({"dimension": "lead_inspector", "group": ["A", "B", "C", "D"], "n": [30, 4, 12, 6]})
    >>> out, rec = protect(t, key="k")
    >>> len(out), rec["suppression"]["person_rows_dropped"], bool(out["group"].str.startswith("Inspector-").all())
    (2, 2, True)
    """
    if pseudonymise:
        out, done = privacy.pseudonymise_frame(table, key)
        entry = identities(done, key)
    else:
        out, entry = table, identities(None)
    count = _count_column(out, n_col) if min_n is not None else None
    entry["suppression"] = None
    if count is not None:
        out = privacy.suppress(out, min_n=min_n, n_col=count, hide_n=True)
        drop = out["suppressed"].to_numpy(bool) & privacy.names_person(out)
        entry["suppression"] = {"min_n": int(min_n), "count_column": count,
                                "rows_suppressed": int(out["suppressed"].sum()), "person_rows_dropped": int(drop.sum())}
        out = out.loc[~drop].reset_index(drop=True)
    out, entry["formula_cells_neutralised"] = neutralise_formulas(out)
    return out, entry


def describe(entry: dict) -> str:
    """One sentence for a person reading the output (e.g. under a download button).

    >>> describe({"identities": "no person ids", "suppression": None, "formula_cells_neutralised": 0})
    'Identities: no person ids. Formula-like cells neutralised: 0.'
    """
    parts = [f"Identities: {entry['identities']}."]
    sup = entry.get("suppression")
    if sup:
        parts.append(f"Groups under {sup['min_n']} in {sup['count_column']} suppressed: {sup['rows_suppressed']} "
                     f"row(s), of which {sup['person_rows_dropped']} naming a person left out.")
    parts.append(f"Formula-like cells neutralised: {entry.get('formula_cells_neutralised', 0)}.")
    return " ".join(parts)


def record(path: str | Path, entry: dict) -> Path:
    """Add ``entry`` for the file ``path`` to ``privacy.json`` in its folder; returns the manifest's path.

    A ``privacy.json`` there that inspect_audit did not write is left alone (with a warning).
    """
    path = Path(path)
    manifest = path.parent / MANIFEST
    data = {"written_by": f"inspect_audit {__version__}",
            "about": "What inspect_audit did to each file in this folder to protect the people in the data "
                     "(pseudonyms, suppression of small groups, formula-like cells neutralised).", "files": {}}
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict) or not str(old.get("written_by", "")).startswith("inspect_audit"):
            warnings.warn(f"{manifest} was not written by inspect_audit: left as it is, so what was done to "
                          f"{path.name} is not recorded there", stacklevel=2)
            return manifest
        data["files"] = dict(old.get("files", {}))
    data["files"][path.name] = entry
    manifest.parent.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return manifest


def recorded(path: str | Path) -> dict:
    """The entry :func:`record` holds for the file ``path`` (empty if none)."""
    path = Path(path)
    manifest = path.parent / MANIFEST
    if not manifest.exists():
        return {}
    return json.loads(manifest.read_text(encoding="utf-8")).get("files", {}).get(path.name, {})


def write_csv(table: pd.DataFrame, path: str | Path, *, pseudonymise: bool = True, key: str | None = None,
              min_n: int | None = privacy.MIN_N, n_col: str | None = None, float_format: str | None = None,
              date_format: str | None = None) -> Path:
    """Write ``table`` to ``path`` after :func:`protect`, and :func:`record` what was done.

    Arguments as in :func:`protect`; ``float_format`` and ``date_format`` as in ``DataFrame.to_csv``.
    The folder is created if needed. Returns the path written.
    """
    path = Path(path)
    out, entry = protect(table, pseudonymise=pseudonymise, key=key, min_n=min_n, n_col=n_col)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, float_format=float_format, date_format=date_format)
    record(path, entry)
    return path


def rewrite_csv(path: str | Path, **options) -> Path:
    """Pass a CSV written elsewhere (e.g. by a model's ``save``) through :func:`write_csv`, text kept as written.

    ``options`` as in :func:`write_csv`.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return write_csv(table, path, **options)


def csv_bytes(table: pd.DataFrame, **options) -> tuple[bytes, dict]:
    """The CSV bytes of a download (e.g. the app's) after :func:`protect`, and the record to show beside it.

    >>> data, rec = csv_bytes(pd.DataFrame({"x": ["+cmd"]}), min_n=None)
    >>> data
    b"x\\n'+cmd\\n"
    """
    out, entry = protect(table, **options)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8"), entry


def add_pseudonymise_option(parser: argparse.ArgumentParser) -> None:
    """The ``--no-pseudonymise`` option of every command whose outputs can name people."""
    parser.add_argument("--no-pseudonymise", action="store_true",
                        help="keep person ids as they are in the data (your own data only; stated in privacy.json). "
                             "Default: pseudonyms keyed with this installation's secret key")


def add_to_json(path: str | Path, entry: dict, field: str = "privacy") -> Path:
    """Put ``entry`` into the JSON object at ``path`` as its ``field``; the ``privacy`` field is also
    :func:`record`-ed (``data_source``, say, is not: it names no person)."""
    path = Path(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data[field] = entry
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    if field == "privacy":
        record(path, entry)
    return path


__all__ = ["FORMULA_START", "MANIFEST", "add_pseudonymise_option", "add_to_json", "csv_bytes", "describe", "identities", "neutralise",
           "neutralise_formulas", "protect", "record", "recorded", "rewrite_csv", "write_csv"]
