"""One typed dataset: the tables every analysis reads, built only through the validator.

A :class:`Dataset` holds tables keyed by schema name (``schools``, ``inspections``, ``judgements``, ...), each
typed and checked by :mod:`inspect_audit.data.validation`, with where they came from: whether the data are
real, simulated or a user's own, the files and their SHA-256 hashes. It is made one of six ways, and only
these: :meth:`Dataset.from_folder`, :meth:`Dataset.from_files`, :meth:`Dataset.from_frames`,
:meth:`Dataset.from_workspace`, :meth:`Dataset.bundled` and :meth:`Dataset.simulated`. Invalid input raises
:class:`~inspect_audit.data.validation.ValidationError`, whose ``report`` lists every problem by file, row,
column, value and rule; nothing half-checked gets through.

Examples
--------
>>> from inspect_audit.data import Dataset
>>> ds = Dataset.bundled()
>>> ds.origin, len(ds["schools"]) > 20000
('real', True)
>>> sim = Dataset.simulated(seed=1, n_schools=200, n_inspectors=15)
>>> sim.origin, sorted(sim.names)[:3]
('simulated', ['complaints', 'inspections', 'inspectors'])
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.data.files import InputError
from inspect_audit.data.validation import ValidationError, ValidationReport, validate, validate_frames

#: Suffixes a table file may have, in the order a folder is searched.
TABLE_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".parquet", ".xlsx")

#: What the data are: real public data, simulated, or a user's own (folder, files, frames or workspace).
ORIGINS = ("real", "simulated", "user")


def as_tables(data) -> dict[str, pd.DataFrame]:
    """The tables of a :class:`Dataset`, a mapping of table name -> DataFrame, a
    :class:`~inspect_audit.data.validation.ValidationReport` (``.tables``) or simulated data (``.tables()``): what
    every analysis accepts as ``data``."""
    if isinstance(data, Mapping):
        return dict(data)
    tables = getattr(data, "tables", None)
    if callable(tables):
        return dict(tables())
    if isinstance(tables, Mapping):
        return dict(tables)
    raise TypeError("expected a Dataset, a mapping of table name -> DataFrame, a ValidationReport or SimulatedData")


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex (remembered while the file's size and modification time stay the
    same, so the bundled data are hashed once per process, not at every load)."""
    stat = os.stat(path)
    return _sha256(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, eq=False)
class Dataset:
    """Validated tables and their provenance.

    Attributes
    ----------
    tables : dict of DataFrame
        Typed tables by schema name (only those present).
    origin : {'real', 'simulated', 'user'}
        Real public data (the bundled England data), simulated data, or a user's own.
    source : str
        Where the tables came from, in words (shown in every output).
    files : dict of str
        Table -> file it was read from (empty for frames, workspaces and simulations).
    sha256 : dict of str
        File -> SHA-256 of its bytes, so an output names exactly what it was computed from.
    notes : tuple of str
        What the validator mapped (labels to codes) and files a folder held that are not tables.
    truth : dict
        For simulated data, the values the simulator planted (empty otherwise).
    """

    tables: Mapping[str, pd.DataFrame]
    origin: str
    source: str
    files: Mapping[str, str] = field(default_factory=dict)
    sha256: Mapping[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    truth: Mapping = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.origin not in ORIGINS:
            raise ValueError(f"origin must be one of {ORIGINS}, not {self.origin!r}")

    # ------------------------------------------------------------------ access

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.tables:
            raise InputError(f"{self.source}: no {table} table (tables present: {', '.join(self.names) or 'none'})")
        return self.tables[table]

    def __contains__(self, table: object) -> bool:
        return table in self.tables

    @property
    def names(self) -> list[str]:
        """The tables present, in data-package order."""
        return [t for t in schemas.table_names() if t in self.tables]

    def require(self, *tables: str, purpose: str = "this analysis") -> Dataset:
        """Self, once every table in ``tables`` is present; else :class:`InputError` naming what is missing."""
        missing = [t for t in tables if t not in self.tables]
        if missing:
            raise InputError(f"{self.source}: {purpose} needs the table(s) {', '.join(missing)} "
                             f"(tables present: {', '.join(self.names) or 'none'})")
        return self

    def select(self, *tables: str) -> dict[str, pd.DataFrame]:
        """Copies of the named tables that are present (the analyses' ``tables`` argument)."""
        return {t: self.tables[t].copy() for t in tables if t in self.tables}

    def provenance(self) -> dict:
        """What an output records about its data: origin, source, tables and row counts, files and hashes."""
        return {"origin": self.origin, "source": self.source,
                "tables": {t: len(self.tables[t]) for t in self.names},
                "files": dict(self.files), "sha256": dict(self.sha256)}

    def __repr__(self) -> str:
        rows = ", ".join(f"{t}: {len(self.tables[t]):,}" for t in self.names)
        return f"Dataset({self.origin}; {self.source}; {rows})"

    # ------------------------------------------------------------------ the six ways in

    @classmethod
    def _checked(cls, report: ValidationReport, origin: str, source: str, files: Mapping[str, str] | None = None,
                 notes: Iterable[str] = (), truth: Mapping | None = None) -> Dataset:
        if not report.ok:
            raise ValidationError(report)
        files = dict(files or {})
        return cls(tables=dict(report.tables), origin=origin, source=source, files=files,
                   sha256={path: sha256(path) for path in files.values()},
                   notes=tuple(report.notes) + tuple(notes), truth=dict(truth or {}))

    @classmethod
    def from_files(cls, paths: Iterable[str | Path] | Mapping[str, str | Path], *, origin: str = "user",
                   source: str | None = None) -> Dataset:
        """Files named after their tables (``schools.csv``, ``judgements.xlsx``, ...) or a mapping table -> file,
        checked together (keys across files)."""
        paths = {t: str(p) for t, p in paths.items()} if isinstance(paths, Mapping) else [str(p) for p in paths]
        report = validate(paths)
        files = {t: report.sources[t] for t in report.tables}
        names = ", ".join(Path(p).name for p in files.values())
        return cls._checked(report, origin, source or f"files {names}", files)

    @classmethod
    def from_folder(cls, folder: str | Path, tables: Iterable[str] | None = None, *,
                    origin: str = "user") -> Dataset:
        """Every table file in ``folder`` (``<table>`` + one of :data:`TABLE_SUFFIXES`), or only ``tables``.

        Two files for one table (``schools.csv`` and ``schools.xlsx``) are an error, never a silent choice;
        other files in the folder are listed in :attr:`notes`.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise InputError(f"{folder}: not a folder" if folder.exists() else f"{folder}: folder not found")
        wanted = set(tables) if tables is not None else set(schemas.table_names())
        found: dict[str, list[Path]] = {}
        others = []
        for path in sorted(folder.iterdir()):
            name = path.name.lower()
            suffix = next((s for s in TABLE_SUFFIXES if name.endswith(s)), None)
            stem = name[: -len(suffix)] if suffix else None
            if path.is_file() and stem in schemas.table_names():
                if stem in wanted:
                    found.setdefault(stem, []).append(path)
            elif path.is_file() and not name.startswith("."):
                others.append(path.name)
        twice = {t: ps for t, ps in found.items() if len(ps) > 1}
        if twice:
            t, ps = next(iter(twice.items()))
            raise InputError(f"{folder}: table {t} is given twice ({', '.join(p.name for p in ps)}); keep one file "
                             "per table")
        if not found:
            expected = sorted(wanted)
            raise InputError(f"{folder}: no table files (expected files named after their tables, e.g. "
                             f"{expected[0]}.csv; tables: {', '.join(expected)})")
        notes = [f"{folder}: not read (not named after a table): {', '.join(others)}"] if others else []
        report = validate({t: str(ps[0]) for t, ps in found.items()})
        files = {t: report.sources[t] for t in report.tables}
        return cls._checked(report, origin, f"folder {folder}", files, notes)

    @classmethod
    def from_frames(cls, frames: Mapping[str, pd.DataFrame], *, origin: str = "user",
                    source: str = "in memory") -> Dataset:
        """Tables already in memory, checked by the same rules as files (no file is written)."""
        report = validate_frames(dict(frames), source=source)
        return cls._checked(report, origin, source)

    @classmethod
    def from_workspace(cls, path: str | Path, tables: Iterable[str] | None = None) -> Dataset:
        """The tables a DuckDB workspace holds (``inspect-audit ingest`` validated them on the way in)."""
        from inspect_audit.data import workspace

        path = Path(path)
        frames = workspace.load_tables(path, list(tables) if tables is not None else None)
        frames = {t: f for t, f in frames.items() if len(f)}
        if not frames:
            raise InputError(f"{path}: the workspace holds no rows{' of ' + ', '.join(tables) if tables else ''}; "
                             "fill it with `inspect-audit ingest FILES --workspace " f"{path}`")
        report = validate_frames(frames, source=str(path))  # the same types as files give, and a second check
        return cls._checked(report, "user", f"workspace {path}")

    @classmethod
    def bundled(cls) -> Dataset:
        """The real England data shipped with the package (Ofsted and DfE open data, OGL v3.0)."""
        from inspect_audit.data.bundled import england_paths, load_england

        paths = england_paths()
        return cls(tables=load_england(), origin="real", source="bundled England data (real public data: Ofsted and "
                   "DfE, Open Government Licence v3.0)", files=paths, sha256={p: sha256(p) for p in paths.values()})

    @classmethod
    def simulated(cls, config=None, seed: int | None = None, **settings) -> Dataset:
        """Simulated data with a known truth (:func:`inspect_audit.data.simulate.simulate`); ``settings`` are
        :class:`~inspect_audit.data.simulate.SimulationConfig` fields. Inspectors here are not real people."""
        from dataclasses import replace

        from inspect_audit.data.simulate import SimulationConfig, simulate

        config = replace(config or SimulationConfig(), **settings)
        data = simulate(config, seed=seed)
        used = config.seed if seed is None else seed
        report = validate_frames(data.tables(), source="simulated")
        return cls._checked(report, "simulated", f"simulated data (seed {used}; {config.n_schools} schools, "
                            f"{config.n_inspectors} inspectors; not real people)", truth=data.truth)
