"""Reading published files as they come: any encoding Ofsted uses, title rows, "NULL"."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inspect_audit.data import files
from inspect_audit.data.files import InputError

def normalise(text: object) -> str:
    """Lower-case letters and digits only: 'Overall effectiveness' == 'Overalleffectiveness'."""
    return re.sub(r"[^a-z0-9]+", "", str(text).lower())


@dataclass
class AdaptedTables:
    """Tables in the project's schema made from a published file, with notes on what was done."""

    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)
    source: str = ""

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write ``<table>.csv`` (UTF-8) per table; returns the paths, ready for ``validate``/``ingest``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for table, frame in self.tables.items():
            paths[table] = directory / f"{table}.csv"
            frame.to_csv(paths[table], index=False, lineterminator="\n")
        return paths


def read_delimited(path: str | Path, must_contain: str) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV/TSV/Excel file as text cells, with the header found by a column it must contain.

    Title rows above the header are skipped (and noted); "NULL" cells become empty.
    """
    path = Path(path)
    notes: list[str] = []
    if files.check_kind(path) in ("xlsx", "xls"):
        grid = files.read_excel_grid(path).astype(str)
    else:
        text = files.read_text(path, cp1252_fallback=notes)
        rows = list(csv.reader(io.StringIO(text), delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
        width = max((len(r) for r in rows), default=1)
        grid = pd.DataFrame([r + [""] * (width - len(r)) for r in rows if any(c.strip() for c in r)])
    key = normalise(must_contain)
    header_at = next((i for i in range(min(15, len(grid)))
                      if key in {normalise(v) for v in grid.iloc[i].tolist()}), None)
    if header_at is None:
        raise InputError(f"{path}: no header row with a {must_contain!r} column in the first 15 rows")
    if header_at > 0:
        notes.append(f"{header_at} title row(s) above the header skipped")
    frame = grid.iloc[header_at + 1:].reset_index(drop=True)
    frame.columns = [str(c).strip() for c in grid.iloc[header_at].tolist()]
    frame = frame.loc[:, [c != "" for c in frame.columns]]
    frame = frame.map(lambda v: "" if str(v).strip().upper() == "NULL" else str(v).strip())
    return frame[(frame != "").any(axis=1)].reset_index(drop=True), notes
