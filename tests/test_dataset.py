"""The typed Dataset (``data/dataset.py``): provenance hashes and simulated truth."""

from __future__ import annotations

import hashlib
import os

from inspect_audit.data.dataset import Dataset, sha256


def test_sha256_is_the_files_hash_and_follows_a_changed_file(tmp_path):
    """The remembered hash is hashlib's of the bytes, and a rewritten file (another size, or the same size and a new
    modification time) is hashed again, never served from memory."""
    path = tmp_path / "inspections.csv"
    path.write_bytes(b"inspection_id\nA1\n")
    assert sha256(path) == hashlib.sha256(b"inspection_id\nA1\n").hexdigest()
    path.write_bytes(b"inspection_id\nA1\nA2\n")
    assert sha256(path) == hashlib.sha256(b"inspection_id\nA1\nA2\n").hexdigest()
    stat = os.stat(path)
    path.write_bytes(b"inspection_id\nB1\nB2\n")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert sha256(path) == hashlib.sha256(b"inspection_id\nB1\nB2\n").hexdigest()


def test_simulated_dataset_carries_the_planted_truth():
    ds = Dataset.simulated(n_schools=80, n_inspectors=8, seed=3)
    assert ds.origin == "simulated" and len(ds.truth["inspectors"]) == 8
    assert {r["inspector_id"] for r in ds.truth["inspectors"]} == set(ds.tables["inspectors"]["inspector_id"])
