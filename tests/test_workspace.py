"""Ingest into the DuckDB workspace is all-or-nothing per batch."""

from __future__ import annotations

import pandas as pd
import pytest

from inspect_audit.data import workspace
from inspect_audit.cli import main

from test_validation import INSPECTIONS, JUDGEMENTS, SCHOOLS


def counts(db) -> dict[str, int]:
    tables = workspace.load_tables(db, ["schools", "inspections", "judgements"])
    return {t: len(df) for t, df in tables.items()}


def test_valid_batch_is_stored_with_types_and_log(tmp_path, write_csv):
    db = tmp_path / "ws.duckdb"
    result = workspace.ingest([write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", INSPECTIONS),
                               write_csv("judgements.csv", JUDGEMENTS)], db)
    assert result.ok and result.written == {"schools": 2, "inspections": 2, "judgements": 4}
    stored = workspace.load_tables(db)
    assert stored["judgements"]["grade"].tolist() == [2, 2, 1, 3]
    assert stored["schools"]["urn"].tolist() == ["100001", "100002"]
    log = workspace.connect(db, read_only=True).execute("SELECT table_name, n_rows FROM ingest_log").fetchall()
    assert sorted(log) == [("inspections", 2), ("judgements", 4), ("schools", 2)]
    assert workspace.data_version(db) != "empty"


def test_invalid_batch_writes_nothing_and_keeps_rejects(tmp_path, write_csv):
    db = tmp_path / "ws.duckdb"
    bad_judgements = JUDGEMENTS + "i2,leadership_and_management,7\n"
    result = workspace.ingest([write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", INSPECTIONS),
                               write_csv("judgements.csv", bad_judgements)], db)
    assert not result.ok
    assert not db.exists()  # a failed first batch leaves no workspace behind
    rejects = pd.read_csv(result.rejects_dir / "judgements.rejects.csv", dtype=str)
    assert rejects["source_row"].tolist() == ["6"]  # only the bad row, with its reasons
    assert "grade" in rejects["reasons"].iloc[0]
    errors = pd.read_csv(result.rejects_dir / "errors.csv")
    assert set(errors.columns) >= {"file", "row", "column", "value", "rule"}


def test_keys_already_stored_are_rejected_not_overwritten(tmp_path, write_csv):
    db = tmp_path / "ws.duckdb"
    assert workspace.ingest([write_csv("schools.csv", SCHOOLS)], db).ok
    again = workspace.ingest([write_csv("schools.csv", SCHOOLS)], db)
    assert not again.ok
    assert "already in the workspace" in again.report.errors()["rule"].iloc[0]
    assert counts(db)["schools"] == 2


def test_foreign_keys_resolve_against_stored_tables(tmp_path, write_csv):
    db = tmp_path / "ws.duckdb"
    assert workspace.ingest([write_csv("schools.csv", SCHOOLS)], db).ok
    assert workspace.ingest([write_csv("inspections.csv", INSPECTIONS)], db).ok
    dangling = write_csv("judgements.csv", "inspection_id,area,grade\nzz,overall_effectiveness,2\n")
    result = workspace.ingest([dangling], db)
    assert not result.ok and result.report.errors()["rule"].str.startswith("reference").all()


def test_failure_during_write_rolls_back_the_whole_batch(tmp_path, write_csv, monkeypatch):
    db = tmp_path / "ws.duckdb"
    calls = {"n": 0}
    real = workspace._sha256

    def failing(path):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (simulated)")
        return real(path)

    monkeypatch.setattr(workspace, "_sha256", failing)
    with pytest.raises(OSError):
        workspace.ingest([write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", INSPECTIONS)], db)
    assert counts(db) == {"schools": 0, "inspections": 0, "judgements": 0}


def test_cli_ingest_exit_codes(tmp_path, write_csv, capsys):
    db = tmp_path / "ws.duckdb"
    assert main(["ingest", str(write_csv("schools.csv", SCHOOLS)), "--workspace", str(db)]) == 0
    bad = write_csv("inspections.csv", INSPECTIONS.replace("eif_2019", "eif_2091"))
    assert main(["ingest", str(bad), "--workspace", str(db)]) == 1
    assert "Nothing was written" in capsys.readouterr().err


def test_workspace_made_before_a_new_optional_column_still_ingests(tmp_path, write_csv):
    """A workspace created before inspections gained category_of_concern gets the column on the next
    ingest (the batch would otherwise fail on the missing column)."""
    db = tmp_path / "old.duckdb"
    con = workspace.connect(db)
    con.execute('ALTER TABLE inspections DROP COLUMN category_of_concern')  # as an older release made it
    con.close()
    result = workspace.ingest([write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", INSPECTIONS),
                               write_csv("judgements.csv", JUDGEMENTS)], db)
    assert result.ok and result.written["inspections"] == 2
    stored = workspace.load_tables(db, ["inspections"])["inspections"]
    assert "category_of_concern" in stored.columns and stored["category_of_concern"].isna().all()
