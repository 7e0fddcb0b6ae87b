"""No export lets a spreadsheet run a formula: errors, rejects, scorecard tables; and no export bypasses the writer."""

from __future__ import annotations

import json

import pandas as pd

from conftest import formula_cells
from inspect_audit.cli import main


HOSTILE_INSPECTIONS = """inspection_id,urn,start_date,framework,inspection_type,lead_inspector_id,team_size
i1,100001,2021-03-04,eif_2019,graded,Jane Doe,2
i2,100002,2016-05-10,"=HYPERLINK(""http://evil.example"",""x"")",graded,John Roe,3
i3,100001,2021-06-01,@SUM(1+1),graded,Jane Doe,-2+3+cmd
"""


def test_errors_csv_and_rejects_are_neutralised_and_pseudonymised(tmp_path, write_csv, capsys):
    bad = write_csv("inspections.csv", HOSTILE_INSPECTIONS)
    assert main(["validate", str(bad), "--errors-csv", str(tmp_path / "errors.csv")]) == 1
    errors = pd.read_csv(tmp_path / "errors.csv", dtype=str)
    assert formula_cells(tmp_path / "errors.csv") == []
    assert errors["value"].str.startswith("'").sum() == 3
    assert main(["ingest", str(bad), "--workspace", str(tmp_path / "ws.duckdb")]) == 1
    rejects = tmp_path / "ws.rejects"
    for name in ("errors.csv", "inspections.rejects.csv"):
        assert formula_cells(rejects / name) == [], name
        assert "Jane Doe" not in (rejects / name).read_text() and "John Roe" not in (rejects / name).read_text()
    assert json.loads((rejects / "privacy.json").read_text())["files"]["inspections.rejects.csv"]["pseudonymised"]
    assert main(["ingest", str(bad), "--workspace", str(tmp_path / "own.duckdb"), "--no-pseudonymise"]) == 1
    assert "John Roe" in (tmp_path / "own.rejects" / "inspections.rejects.csv").read_text()
    capsys.readouterr()


def test_scorecard_indicator_table_neutralises_school_names(tmp_path):
    from test_scorecard_cli import _run as run_scorecard
    from test_scorecard_cli import _write, england_subset

    tables = england_subset()
    hostile = ['=HYPERLINK("http://evil.example","Alpha")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3+cmd"]
    tables["schools"] = tables["schools"].assign(name=[hostile[i % 4] for i in range(len(tables["schools"]))])
    data = _write(tables, tmp_path / "data")
    assert run_scorecard(["scorecard", "--spec", "primary_balanced", "--data", str(data), "--out",
                          str(tmp_path / "out"), "--reps", "20", "--seed", "1"]) == 0
    for path in (tmp_path / "out").glob("*.csv"):
        assert formula_cells(path) == [], path.name
    names = pd.read_csv(tmp_path / "out" / "indicator_table.csv", dtype=str)["name"]
    assert names.isin(["'" + h for h in hostile]).all()


def test_no_export_bypasses_the_writer():
    """Every table written by the package or the app goes through inspect_audit._core.export."""
    from conftest import REPO

    inputs = {"data/simulate/__init__.py": 1, "data/adapters/reading.py": 1, "data/validation.py": 1,  # input tables
              "reporting/demo.py": 1}  # the demo's data written for ingest
    offenders = {}
    for path in [*(REPO / "src" / "inspect_audit").rglob("*.py"), *(REPO / "app").rglob("*.py")]:
        # the writer itself; the model package's save() writes the tables of a fit, which every command then
        # passes through the writer (cli/inspectors.protect_fit_outputs, context's _write)
        if path.name == "export.py" or "inspectors" in path.parts:
            continue
        rel = str(path.relative_to(REPO / "src" / "inspect_audit" if "src" in path.parts else REPO))
        calls = path.read_text(encoding="utf-8").count(".to_csv(")
        if calls > inputs.get(rel, 0):
            offenders[rel] = calls
    assert offenders == {}
