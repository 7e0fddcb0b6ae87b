"""Where the data behind a pack came from: real, simulated or the user's own, with file names and SHA-256 hashes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: Kinds of data a pack can rest on, and how the pack names each.
KINDS: dict[str, str] = {"real": "real data", "simulated": "SIMULATED data", "uploaded": "the user's own data",
                         "workspace": "the user's own data", "unknown": "data of unrecorded origin"}


@dataclass(frozen=True)
class DataSource:
    """The data a pack rests on.

    Parameters
    ----------
    kind : str
        ``real`` (e.g. the bundled England data), ``simulated``, ``uploaded`` (the user's own files),
        ``workspace`` (a DuckDB workspace filled by ``inspect-audit ingest``) or ``unknown``.
    label : str
        Words naming the data, e.g. ``"bundled England data"``.
    files : tuple of (str, str)
        File name and SHA-256 (hex) of every file read.
    note : str
        Anything a reader must know (e.g. the simulation notice).

    Examples
    --------
    >>> DataSource("simulated", "simulated data").simulated
    True
    >>> DataSource("real", "bundled England data", (("schools.csv.gz", "ab" * 32),)).sentence()
    'Real data: bundled England data (1 file; SHA-256 hashes in the appendix).'
    """

    kind: str
    label: str
    files: tuple[tuple[str, str], ...] = ()
    note: str = ""

    @property
    def simulated(self) -> bool:
        """True when schools and inspectors are simulated."""
        return self.kind == "simulated"

    def sentence(self) -> str:
        """One sentence naming the data, for page 1."""
        n = len(self.files)
        files = f" ({n} file{'s' * (n != 1)}; SHA-256 hashes in the appendix)" if n else ""
        what = KINDS.get(self.kind, self.kind)
        return f"{what[:1].upper() + what[1:]}: {self.label}{files}."


def looks_simulated(tables: Mapping[str, pd.DataFrame] | object) -> bool:
    """Whether tables come from the simulator: a simulator result (it carries ``truth``), or school names and
    local authorities the simulators give (``Simulated School 0001``, ``Grid school 7``, ``... (simulated)``).

    >>> looks_simulated({"schools": pd.DataFrame({"name": ["Simulated School 0001"]})})
    True
    >>> looks_simulated({"schools": pd.DataFrame({"name": ["Hill Primary"]})})
    False
    """
    if getattr(tables, "truth", None):
        return True
    schools = tables.get("schools") if isinstance(tables, Mapping) else None
    if schools is None:
        return False
    for col, marker in (("local_authority", "(simulated)"), ("name", "Simulated School"), ("name", "Grid school ")):
        if col in schools and schools[col].astype(str).str.contains(marker, regex=False).any():
            return True
    return False


def _simulator_folder(paths) -> bool:
    """A folder the simulator wrote (it leaves ``truth.json`` naming itself beside the tables)."""
    for folder in {Path(p).parent for p in paths}:
        truth = folder / "truth.json"
        if truth.is_file():
            try:
                if str(json.loads(truth.read_text(encoding="utf-8")).get("generator", "")).startswith(
                        "inspect_audit"):
                    return True
            except (OSError, ValueError, AttributeError):
                continue
    return False


def from_dataset(ds) -> DataSource:
    """The source of a :class:`~inspect_audit.data.Dataset`: its origin, description, files and hashes."""
    from inspect_audit.data.dataset import sha256
    from inspect_audit.data.simulate import NOTICE

    files = tuple((Path(p).name, h) for p, h in dict(ds.sha256).items())
    label = str(ds.source)
    if ds.origin == "real":
        return DataSource("real", label, files)
    if ds.origin == "simulated" or _simulator_folder(ds.files.values()) or looks_simulated(ds.tables):
        return DataSource("simulated", label, files, NOTICE)
    if label.startswith("workspace "):
        path = Path(label[len("workspace "):])
        return DataSource("workspace", label, ((path.name, sha256(path)),) if path.is_file() else files)
    return DataSource("uploaded", label, files)


def as_source(source, tables) -> DataSource:
    """``source`` as a :class:`DataSource`.

    Accepts a :class:`DataSource`, a :class:`~inspect_audit.data.Dataset`, an object with ``kind``, ``label`` and
    ``files`` (file name, hash) attributes (the app's data choice), a string label, or ``None`` (a guess from
    ``tables``). Tables that look simulated are always called simulated.
    """
    from inspect_audit.data.simulate import NOTICE

    if source is not None and hasattr(source, "origin") and hasattr(source, "sha256"):
        return from_dataset(source)
    if isinstance(source, DataSource):
        out = source
    elif source is None:
        out = DataSource("unknown", "tables passed in Python (files not recorded)")
    elif isinstance(source, str):
        out = DataSource("unknown", source)
    else:
        kind = str(getattr(source, "kind", "unknown"))
        kind = {"bundled": "real"}.get(kind, kind if kind in KINDS else "unknown")
        files = tuple((str(name), str(digest)) for name, digest in getattr(source, "files", ()) or ())
        out = DataSource(kind, str(getattr(source, "label", kind)), files)
    if looks_simulated(tables) and not out.simulated:
        out = DataSource("simulated", out.label if source is not None else "simulated tables", out.files, NOTICE)
    return out
