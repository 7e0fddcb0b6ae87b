"""Opening input files by what they are, not by what they are called: the one home of file sniffing.

Every reader (the validator, the adapters, ``agreement``'s wide files, ``complaints``' severity draws)
opens files through :func:`read_text` or :func:`read_excel_grid`, which look at the file's first bytes
(gzip, zip, Excel, Parquet, PDF, UTF-16, binary) and refuse a file that is not what its name promises
with an :class:`InputError` naming the file, what it is and what was expected.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd

#: What each sniffed kind is, in words.
KINDS = {
    "empty": "an empty file",
    "text": "a text file",
    "gzip": "a gzip-compressed file",
    "zip": "a zip archive",
    "xlsx": "an Excel workbook (.xlsx)",
    "xls": "an old-style Excel workbook (.xls)",
    "parquet": "a Parquet file",
    "pdf": "a PDF document",
    "utf16": "UTF-16 text",
    "binary": "a binary file, not text",
}
_CONTROL = set(range(0, 32)) - {9, 10, 12, 13}


class InputError(ValueError):
    """A problem with what the user gave (a file, a folder, an option): the message says what and why.

    The CLI prints it as one line and exits 1; it is never a traceback. ``kind``: what the file was found
    to be (a key of :data:`KINDS`), where that is the problem.
    """

    def __init__(self, message: str, kind: str | None = None):
        super().__init__(message)
        self.kind = kind


class NotUTF8Error(InputError):
    """A text file with bytes that are not UTF-8: ``line`` (1-based) and ``byte`` (hex) of the first."""

    def __init__(self, path: Path, raw: bytes, start: int):
        self.line = raw[:start].count(b"\n") + 1
        self.byte = raw[start:start + 4].hex(" ")
        super().__init__(f"{path}: line {self.line} is not UTF-8 (bytes {self.byte}; the file looks like "
                         "Windows-1252/latin-1): re-save it as UTF-8", "text")


def sniff(raw: bytes) -> str:
    """The kind of file these bytes start (a key of :data:`KINDS`)."""
    head = raw[:4096]
    if not raw.strip():
        return "empty"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            return "zip"
        return "xlsx" if "xl/workbook.xml" in names else "zip"
    if head[:4] == b"PAR1":
        return "parquet"
    if head[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "xls"
    if head[:5] == b"%PDF-":
        return "pdf"
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf16"
    for zeros, others in ((head[1::2], head[0::2]), (head[0::2], head[1::2])):  # UTF-16 without a BOM
        if len(head) > 3 and zeros.count(0) > 0.9 * len(zeros) and others.count(0) < 0.02 * len(others):
            return "utf16"
    if sum(b in _CONTROL for b in head) > max(2, len(head) // 20):
        return "binary"
    return "text"


def _expected_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".xls"):
        return "xls"
    return "text"


def _advice(kind: str) -> str:
    return {"utf16": "re-save it as UTF-8 (in Excel: 'CSV UTF-8')",
            "empty": "a header row naming the columns is expected",
            "zip": "unzip it first and give the file inside",
            "gzip": "name it .gz (e.g. table.csv.gz)"}.get(kind, "give the table as CSV, CSV.GZ, Parquet or Excel")


def read_bytes(path: str | Path) -> bytes:
    """The file's bytes; :class:`InputError` if it is missing or a folder."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a file")
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    return path.read_bytes()


def check_kind(path: str | Path) -> str:
    """The kind the file's name promises (``text``, ``parquet``, ``xlsx``, ``xls``), once its bytes agree."""
    path = Path(path)
    raw = read_bytes(path)
    want, kind = _expected_kind(path), sniff(raw)
    if want == "text" and path.name.lower().endswith(".gz"):
        if kind != "gzip":
            raise InputError(f"{path}: named .gz but is not gzip-compressed (it is {KINDS[kind]}); "
                             "remove the .gz from its name", kind)
        return want
    if kind != want:
        what = "a CSV/TSV text file" if want == "text" else KINDS[want]
        raise InputError(f"{path}: is {KINDS[kind]}, not {what} as its name says; {_advice(kind)}", kind)
    return want


def read_text(path: str | Path, cp1252_fallback: list[str] | None = None) -> str:
    """The text of a CSV/TSV file (gunzipped if named ``.gz``), decoded as UTF-8.

    A file that is not text (binary, zip, Excel, UTF-16, empty ...) raises :class:`InputError`. Bytes that
    are not UTF-8 raise :class:`NotUTF8Error`, unless ``cp1252_fallback`` is a list: then the text is read as
    Windows-1252 (as Ofsted publishes) and a note is appended to it.
    """
    path = Path(path)
    check_kind(path)
    raw = read_bytes(path)
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: a damaged gzip file ({exc})") from None
        kind = sniff(raw)
        if kind != "text":
            raise InputError(f"{path}: holds {KINDS[kind]} once unzipped, not CSV text; {_advice(kind)}", kind)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if cp1252_fallback is None:
            raise NotUTF8Error(path, raw, exc.start) from None
        cp1252_fallback.append("file is not UTF-8: read as Windows-1252 (cp1252), as Ofsted publishes")
        return raw.decode("cp1252", errors="replace")


def read_excel_grid(path: str | Path) -> pd.DataFrame:
    """The one sheet of a workbook that holds cells, as a grid of text (no header); :class:`InputError` if
    the file is not a workbook or more than one sheet holds cells (a table file holds one table)."""
    path = Path(path)
    check_kind(path)
    try:
        sheets = pd.read_excel(path, header=None, dtype=object, sheet_name=None)
    except Exception as exc:  # a workbook the reader cannot open: say so, whatever the library raised
        raise InputError(f"{path}: an Excel workbook that cannot be read ({exc})") from None
    filled = {name: grid for name, grid in sheets.items() if grid.notna().to_numpy().any()}
    if len(filled) > 1:
        raise InputError(f"{path}: {len(filled)} sheets hold cells ({', '.join(map(str, filled))}); a table file "
                         "must hold one table on one sheet: move the table to its own file, or delete the other "
                         "sheets")
    grid = next(iter(filled.values()), next(iter(sheets.values())))
    return grid.astype(object).where(grid.notna(), "")


def read_parquet(path: str | Path) -> pd.DataFrame:
    """A Parquet file's table; :class:`InputError` if it is not Parquet or is damaged."""
    path = Path(path)
    check_kind(path)
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow's errors for a damaged file vary by version
        raise InputError(f"{path}: a Parquet file that cannot be read ({exc})") from None
