"""The embedded DuckDB workspace: the store that analyses and the app read.

Ingest is all-or-nothing per batch: files are validated together (and against what
the workspace already holds); only a clean batch is written, in one transaction.
Rows that break a rule are written to a rejects folder with their reasons.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from inspect_audit.data import files
from inspect_audit.data import schemas
from inspect_audit._core.export import write_csv
from inspect_audit.data.files import InputError
from inspect_audit.data.validation import ValidationReport, validate

_SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE",
              "boolean": "BOOLEAN", "date": "DATE"}
LOG_TABLE = "ingest_log"


@dataclass
class IngestResult:
    """What an ingest did: the validation report, rows written per table, rejects folder."""

    report: ValidationReport
    written: dict[str, int] = field(default_factory=dict)
    rejects_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.report.ok


def _create_tables(con: duckdb.DuckDBPyConnection) -> None:
    for table in schemas.table_names():
        spec = schemas.table_schema(table)
        cols = [f'"{f["name"]}" {_SQL_TYPES[f["type"]]}' for f in spec["fields"]]
        key = ", ".join(f'"{k}"' for k in spec.get("primaryKey", []))
        con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({", ".join(cols)}, PRIMARY KEY ({key}))')
        for f in spec["fields"]:  # a workspace made before a schema gained an optional column
            con.execute(f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS "{f["name"]}" {_SQL_TYPES[f["type"]]}')
    con.execute(f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (batch_id VARCHAR, ingested_at TIMESTAMP, "
                "source VARCHAR, table_name VARCHAR, n_rows BIGINT, sha256 VARCHAR)")


def _check_workspace_file(path: Path) -> None:
    """:class:`~inspect_audit.data.files.InputError` unless ``path`` is a DuckDB file or nothing yet."""
    if path.is_dir():
        raise InputError(f"workspace {path}: is a folder; name a workspace file, e.g. {path / 'audit.duckdb'}")
    if path.is_file():
        with open(path, "rb") as handle:
            head = handle.read(12)
        if head[8:12] != b"DUCK":
            raise InputError(f"workspace {path}: is not a DuckDB workspace ({files.KINDS[files.sniff(head)]}); "
                             "name a new file, or one that `inspect-audit ingest` made")


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) a workspace file with every schema table present.

    A folder, a file that is not DuckDB's, or a workspace that another program holds (DuckDB locks it)
    raises :class:`~inspect_audit.data.files.InputError`.
    """
    path = Path(path)
    _check_workspace_file(path)
    if read_only and not path.is_file():
        raise InputError(f"no workspace at {path}; create one with 'inspect-audit ingest'")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        reason = (str(exc).strip().splitlines() or [""])[0]
        raise InputError(f"workspace {path}: cannot be opened, it is in use by another program or session "
                         f"(DuckDB: {reason}); close that program and try again") from None
    if not read_only:
        _create_tables(con)
    return con


def _read_tables(con: duckdb.DuckDBPyConnection, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    out = {}
    for table in tables or schemas.table_names():
        frame = con.execute(f'SELECT * FROM "{table}"').df()
        if tables or len(frame):
            out[table] = frame
    return out


def load_tables(path: str | Path, tables: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """Read tables from a workspace (every non-empty schema table by default)."""
    con = connect(path, read_only=True)
    try:
        return _read_tables(con, tables)
    finally:
        con.close()


def _key_collisions(report: ValidationReport, existing: dict[str, pd.DataFrame]) -> None:
    for table, frame in report.tables.items():
        old = existing.get(table)
        key = schemas.table_schema(table)["primaryKey"]
        if old is None or old.empty:
            continue
        old_keys = set(map(tuple, old[key].astype(str).to_numpy()))
        new_keys = frame[key].astype(str).to_numpy()
        for i, k in enumerate(map(tuple, new_keys)):
            if k in old_keys:
                report.add(table, report.row_numbers[table][i], "+".join(key), ", ".join(k),
                           "key: already in the workspace (ingest adds rows; it never overwrites)")


def _clear_rejects(rejects_dir: Path) -> None:
    """Remove what an earlier batch left in the rejects folder (only the files ingest writes there)."""
    if rejects_dir.is_dir():
        for old in [rejects_dir / "errors.csv", rejects_dir / "privacy.json", *rejects_dir.glob("*.rejects.csv")]:
            old.unlink(missing_ok=True)


def _write_rejects(report: ValidationReport, rejects_dir: Path, pseudonymise: bool = True) -> None:
    """Errors and rejected rows through the one writer (person ids pseudonymised, formula cells neutralised)."""
    write_csv(report.errors(), rejects_dir / "errors.csv", pseudonymise=pseudonymise, min_n=None)
    for table in report.tables:
        bad = report.bad_rows(table)
        if len(bad):
            write_csv(bad, rejects_dir / f"{table}.rejects.csv", pseudonymise=pseudonymise, min_n=None)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(paths: list[str | Path] | dict[str, str | Path], workspace: str | Path,
           rejects_dir: str | Path | None = None, pseudonymise: bool = True) -> IngestResult:
    """Validate a batch of files and, only if all of it is valid, store it in one transaction.

    A batch with any problem writes nothing; its errors and rejected rows go to ``rejects_dir`` (default
    ``WORKSPACE.rejects/``) through :func:`inspect_audit._core.export.write_csv`: person ids pseudonymised unless
    ``pseudonymise=False``, formula-like cells neutralised, ``privacy.json`` beside them.
    """
    workspace = Path(workspace)
    rejects_dir = Path(rejects_dir) if rejects_dir else workspace.with_name(workspace.stem + ".rejects")
    # opened for writing before validation, so a locked or foreign file stops the batch before any work
    con = connect(workspace) if workspace.exists() else None
    try:
        existing = _read_tables(con) if con is not None else {}
        report = validate(paths, existing=existing)
        _key_collisions(report, existing)
        result = IngestResult(report=report)
        _clear_rejects(rejects_dir)
        if not report.ok:
            _write_rejects(report, rejects_dir, pseudonymise)
            result.rejects_dir = rejects_dir
            return result
        con = con if con is not None else connect(workspace)
        _insert(con, report, result)
    finally:
        if con is not None:
            con.close()
    return result


def _insert(con: duckdb.DuckDBPyConnection, report: ValidationReport, result: IngestResult) -> None:
    """Store a valid batch in one transaction (nothing on failure) and log it."""
    batch_id = hashlib.sha256(json.dumps(sorted(report.sources.values())).encode()
                              + str(pd.Timestamp.now()).encode()).hexdigest()[:12]
    try:
        con.execute("BEGIN TRANSACTION")
        for table, frame in report.tables.items():
            con.register("batch_frame", frame)
            cols = ", ".join(f'"{c}"' for c in frame.columns)
            con.execute(f'INSERT INTO "{table}" ({cols}) SELECT {cols} FROM batch_frame')
            con.unregister("batch_frame")
            source = Path(report.sources[table])
            con.execute(f"INSERT INTO {LOG_TABLE} VALUES (?, now(), ?, ?, ?, ?)",
                        [batch_id, str(source), table, len(frame), _sha256(source)])
            result.written[table] = len(frame)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        result.written = {}
        raise


def data_version(path: str | Path) -> str:
    """A short fingerprint of everything ingested into a workspace (for reports)."""
    con = connect(path, read_only=True)
    try:
        rows = con.execute(f"SELECT table_name, n_rows, sha256 FROM {LOG_TABLE} ORDER BY 1, 3").fetchall()
    finally:
        con.close()
    return hashlib.sha256(np.array(rows, dtype=str).tobytes()).hexdigest()[:12] if rows else "empty"
