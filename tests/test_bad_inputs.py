"""Malformed and hostile inputs across every command: each gets exit != 0 and a message naming the file,
row, column, value and rule (or what the whole file is and what was expected); no traceback; nothing
bad accepted silently (issue 15, "Input defects")."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest

from inspect_audit.cli import main

SCHOOLS = """urn,name,phase,region,local_authority,pupils,fsm_pct,fsm_quintile
100001,Alpha Primary,primary,london,Camden,300,20.5,3
100002,Beta Academy,secondary,north_east,Durham,900,35,5
"""
INSPECTIONS = """inspection_id,urn,start_date,framework,inspection_type,lead_inspector_id,team_size
i1,100001,2021-03-04,eif_2019,graded,A,2
i2,100002,2021-05-10,eif_2019,graded,B,3
"""
JUDGEMENTS = """inspection_id,area,grade
i1,overall_effectiveness,2
i2,overall_effectiveness,3
"""
INSPECTORS = """inspector_id,gender,role
A,female,HMI
B,male,OI
"""
ITEMS = """item_id,respondent_group,dimension,text,scale_min,scale_max,reverse_coded
q1,staff,climate,I feel valued,1,5,false
"""
COMPLAINTS_HEADER = ("complaint_id,inspection_id,received_date,furthest_stage,grounds,outcome,closed_date,"
                     "judgement_changed\n")
MI = "URN,School name,Ofsted phase,Region,IDACI quintile,Inspection start date,Overall effectiveness\n" \
     "100001,Alpha,Primary,London,3,2021-03-04,2\n100002,Beta,Secondary,London,4,2021-05-10,3\n"
BINARY = bytes(range(256)) * 4


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schools.csv", SCHOOLS)
    return buffer.getvalue()


def _xlsx_two_sheets() -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer) as writer:
        pd.DataFrame(columns=["urn", "name", "phase"]).to_excel(writer, sheet_name="Notes", index=False)
        pd.read_csv(io.StringIO(SCHOOLS), dtype=str).to_excel(writer, sheet_name="Data", index=False)
    return buffer.getvalue()


@dataclass
class Case:
    """One bad input: files made in tmp_path, the command line ({tmp} = tmp_path), exit code, message part."""

    id: str
    argv: list[str]
    files: dict[str, str | bytes | Callable[[], bytes]]
    code: int
    says: str | list[str]
    check: Callable[[Path], None] | None = None
    before: list[list[str]] = field(default_factory=list)  # commands run first (their outcome not checked)


def _no_stale_rejects(tmp: Path) -> None:
    assert not (tmp / "ws.rejects" / "judgements.rejects.csv").exists()
    assert (tmp / "ws.rejects" / "schools.rejects.csv").exists()


def _errors_written(tmp: Path) -> None:
    assert "grade" in (tmp / "errors.csv").read_text()


CASES = [
    # ---------------------------------------------------------------- integers
    Case("int-beyond-int64", ["validate", "{tmp}/survey_items.csv"],
         {"survey_items.csv": ITEMS.replace(",1,5,", ",10000000000000000000,5,")}, 1,
         ["survey_items.csv", "scale_min", "10000000000000000000", "64-bit"]),
    Case("int-inf", ["validate", "{tmp}/judgements.csv"],
         {"judgements.csv": "inspection_id,area,grade\ni1,overall_effectiveness,inf\n"}, 1,
         ["judgements.csv", "grade", "inf", "whole number"]),
    Case("int-1e400", ["validate", "{tmp}/inspectors.csv"],
         {"inspectors.csv": "inspector_id,first_year_active\nA,1e400\n"}, 1,
         ["first_year_active", "1e400", "whole number"]),
    # ---------------------------------------------------------------- unreadable files
    Case("text-named-gz", ["validate", "{tmp}/schools.csv.gz"], {"schools.csv.gz": SCHOOLS}, 1,
         ["schools.csv.gz", "not gzip"]),
    Case("garbage-parquet", ["validate", "{tmp}/schools.parquet"], {"schools.parquet": BINARY}, 1,
         ["schools.parquet", "not a Parquet file"]),
    Case("csv-named-xlsx", ["validate", "{tmp}/schools.xlsx"], {"schools.xlsx": SCHOOLS}, 1,
         ["schools.xlsx", "text", "not an Excel workbook"]),
    Case("table-given-twice", ["validate", "{tmp}/schools.csv", "{tmp}/b/schools.csv"],
         {"schools.csv": SCHOOLS, "b/schools.csv": SCHOOLS}, 1, ["b/schools.csv", "schools", "given twice"]),
    Case("agreement-categories-letters", ["agreement", "{tmp}/wide.csv", "--categories", "a,b"],
         {"wide.csv": "r1,r2\n1,2\n"}, 2, ["--categories", "'a'", "number"]),
    Case("agreement-empty", ["agreement", "{tmp}/wide.csv", "--categories", "1,2"], {"wide.csv": ""}, 1,
         ["wide.csv", "empty"]),
    Case("agreement-binary", ["agreement", "{tmp}/wide.csv", "--categories", "1,2"], {"wide.csv": BINARY}, 1,
         ["wide.csv", "binary"]),
    Case("complaints-snapshot-not-a-date", ["complaints", "--data", "{tmp}", "--out", "{tmp}/o",
                                            "--snapshot", "not-a-date"],
         {"complaints.csv": COMPLAINTS_HEADER + "c1,i1,2021-04-01,formal,other,,,\n"}, 2,
         ["--snapshot", "not-a-date", "YYYY-MM-DD"]),
    Case("complaints-header-only", ["complaints", "--data", "{tmp}", "--out", "{tmp}/o"],
         {"complaints.csv": COMPLAINTS_HEADER}, 1, ["complaints.csv", "no rows"]),
    Case("counterfactual-missing-fit", ["counterfactual", "--fit", "{tmp}/nofit", "--inspection", "i1"], {}, 1,
         ["nofit", "no fit"]),
    Case("counterfactual-empty-fit", ["counterfactual", "--fit", "{tmp}/fit", "--inspection", "i1"],
         {"fit/readme.txt": "x"}, 1, ["fit", "no fit"]),
    Case("mi-no-urn", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o"],
         {"mi.csv": "School,Grade\nAlpha,2\n"}, 1, ["mi.csv", "URN"]),
    Case("mi-no-grades", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o"],
         {"mi.csv": "URN,Inspection start date\n100001,2021-03-04\n"}, 1, ["mi.csv", "Overall effectiveness"]),
    Case("mi-empty", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o"], {"mi.csv": ""}, 1,
         ["mi.csv", "empty"]),
    Case("mi-binary", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o"], {"mi.csv": BINARY}, 1,
         ["mi.csv", "binary"]),
    Case("mi-zip", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o"], {"mi.csv": _zip_bytes}, 1,
         ["mi.csv", "zip archive"]),
    Case("mi-out-is-file", ["adapt", "ofsted-mi", "{tmp}/mi.csv", "--out", "{tmp}/o.txt"],
         {"mi.csv": MI, "o.txt": "x"}, 1, ["o.txt", "not a folder"]),
    Case("errors-csv-missing-folder", ["validate", "{tmp}/judgements.csv", "--errors-csv", "{tmp}/no/e.csv"],
         {"judgements.csv": JUDGEMENTS}, 2, ["--errors-csv", "no/e.csv", "folder"]),
    Case("workspace-text-file", ["ingest", "{tmp}/schools.csv", "--workspace", "{tmp}/ws.duckdb"],
         {"schools.csv": SCHOOLS, "ws.duckdb": "hello\n"}, 1, ["ws.duckdb", "not a DuckDB workspace"]),
    Case("workspace-folder", ["ingest", "{tmp}/schools.csv", "--workspace", "{tmp}/ws"],
         {"schools.csv": SCHOOLS, "ws/x": ""}, 1, ["ws", "is a folder"]),
    Case("inspectors-area-safeguarding", ["inspectors", "--data", "{tmp}", "--out", "{tmp}/o", "--area",
                                          "safeguarding"],
         {"schools.csv": SCHOOLS, "inspections.csv": INSPECTIONS.replace(",B,", ",A,"),
          "judgements.csv": JUDGEMENTS + "i1,safeguarding,1\ni2,safeguarding,2\n",
          "inspectors.csv": INSPECTORS}, 1, ["safeguarding", "met_not_met", "ordinal"]),
    Case("inspectors-area-unknown", ["inspectors", "--data", "{tmp}", "--out", "{tmp}/o", "--area", "cake"],
         {"schools.csv": SCHOOLS, "inspections.csv": INSPECTIONS, "judgements.csv": JUDGEMENTS,
          "inspectors.csv": INSPECTORS}, 1, ["area 'cake'", "no judgements"]),
    Case("inspectors-one-inspection-each", ["inspectors", "--data", "{tmp}", "--out", "{tmp}/o", "--no-repair",
                                            "--chains", "2", "--tune", "20", "--draws", "20"],
         {"schools.csv": SCHOOLS, "inspections.csv": INSPECTIONS, "judgements.csv": JUDGEMENTS,
          "inspectors.csv": INSPECTORS}, 1, ["inspections.csv", "lead_inspector_id", "only one inspection"]),
    Case("context-mi-data-no-fsm", ["context", "--data", "{tmp}", "--out", "{tmp}/o"],
         {"schools.csv": "urn,name,phase,region,local_authority,pupils,idaci_quintile\n"
                         "100001,Alpha Primary,primary,london,Camden,300,3\n"
                         "100002,Beta Academy,secondary,north_east,Durham,900,4\n", "inspections.csv": INSPECTIONS,
          "judgements.csv": JUDGEMENTS}, 1, ["schools.csv", "fsm_quintile", "IDACI"]),
    # ---------------------------------------------------------------- silently accepted
    Case("xlsx-second-sheet", ["validate", "{tmp}/schools.xlsx"], {"schools.xlsx": _xlsx_two_sheets}, 1,
         ["schools.xlsx", "sheet", "Data"]),
    Case("nul-in-cell", ["validate", "{tmp}/schools.csv"], {"schools.csv": SCHOOLS.replace("Alpha", "Al\x00pha")},
         1, ["schools.csv", "NUL", "name"]),
    Case("survey-response-fraction", ["validate", "{tmp}/survey_items.csv", "{tmp}/survey_responses.csv"],
         {"survey_items.csv": ITEMS, "survey_responses.csv":
          "urn,wave,respondent_group,respondent_id,item_id,response\n100001,w1,staff,r1,q1,2.5\n"}, 1,
         ["survey_responses.csv", "response", "2.5", "whole number"]),
    Case("pct-sum-over-100", ["validate", "{tmp}/survey_aggregates.csv"],
         {"survey_aggregates.csv": "urn,wave,respondent_group,item_id,n_responses,pct_positive,pct_negative\n"
                                   "100001,w1,staff,q1,20,70,40\n"}, 1,
         ["survey_aggregates.csv", "pct_negative", "100"]),
    Case("ratings-off-scale", ["validate", "{tmp}/ratings.csv"],
         {"ratings.csv": "study_id,unit_id,rater_id,rater_type,area,grade,framework\n"
                         "s,u1,r1,inspector,overall_effectiveness,5,eif_2019\n"}, 1,
         ["ratings.csv", "grade", "5", "scale"]),
    Case("severity-draws-text", ["complaints", "--data", "{tmp}", "--out", "{tmp}/o", "--severity-draws",
                                 "{tmp}/draws.csv"],
         {"complaints.csv": COMPLAINTS_HEADER + "c1,i1,2021-04-01,formal,other,,,\n",
          "draws.csv": "inspector_id,d1,d2\nA,high,low\n"}, 1, ["draws.csv", "d1", "high", "number"]),
    Case("inspection-id-path", ["validate", "{tmp}/inspections.csv"],
         {"inspections.csv": INSPECTIONS.replace("i1,", "../../x,")}, 1,
         ["inspections.csv", "inspection_id", "../../x", "file name"]),
    # ---------------------------------------------------------------- misleading messages
    Case("utf16", ["validate", "{tmp}/schools.csv"], {"schools.csv": SCHOOLS.encode("utf-16")}, 1,
         ["schools.csv", "UTF-16"]),
    Case("binary-csv", ["validate", "{tmp}/schools.csv"], {"schools.csv": BINARY}, 1, ["schools.csv", "binary"]),
    Case("zip-csv", ["validate", "{tmp}/schools.csv"], {"schools.csv": _zip_bytes}, 1,
         ["schools.csv", "zip archive"]),
    Case("duplicate-header", ["validate", "{tmp}/schools.csv"],
         {"schools.csv": SCHOOLS.replace(",pupils,", ",name,").replace("Camden,300", "Camden,X")}, 1,
         ["schools.csv", "duplicate column", "name"]),
    Case("unterminated-quote", ["validate", "{tmp}/judgements.csv"],
         {"judgements.csv": JUDGEMENTS + "i3,overall_effectiveness,2\n\"i4,overall_effectiveness,2\n"}, 1,
         ["judgements.csv", " 5 ", "quote"]),
    Case("max-errors-negative", ["validate", "{tmp}/judgements.csv", "--max-errors", "-1"],
         {"judgements.csv": JUDGEMENTS}, 2, ["--max-errors", "-1"]),
    Case("ingest-errors-csv", ["ingest", "{tmp}/judgements.csv", "--workspace", "{tmp}/ws.duckdb",
                               "--errors-csv", "{tmp}/errors.csv"],
         {"judgements.csv": JUDGEMENTS.replace(",3\n", ",9\n")}, 1, ["grade"], check=_errors_written),
    Case("stale-rejects", ["ingest", "{tmp}/schools.csv", "--workspace", "{tmp}/ws.duckdb"],
         {"schools.csv": SCHOOLS.replace("primary", "pink"), "judgements.csv": JUDGEMENTS.replace(",3\n", ",9\n")},
         1, ["pink"], check=_no_stale_rejects,
         before=[["ingest", "{tmp}/judgements.csv", "--workspace", "{tmp}/ws.duckdb"]]),
]


def _materialise(tmp: Path, files: dict) -> None:
    for name, content in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        content = content() if callable(content) else content
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def run(argv: list[str], capsys) -> tuple[int, str]:
    """Exit code and everything printed; an exception escaping ``main`` fails the test."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(case: Case, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("INSPECT_AUDIT_LOG_DIR", str(tmp_path / "logs"))
    _materialise(tmp_path, case.files)
    for argv in case.before:
        run([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys)
    code, text = run([a.replace("{tmp}", str(tmp_path)) for a in case.argv], capsys)
    assert "Traceback" not in text
    assert not (tmp_path / "logs").exists(), text  # an expected problem, not an unexpected error
    assert code == case.code, text
    for part in [case.says] if isinstance(case.says, str) else case.says:
        assert part in text, text
    if case.check:
        case.check(tmp_path)


def test_labels_as_people_write_them_are_mapped_to_codes(tmp_path, capsys):
    _materialise(tmp_path, {
        "schools.csv": SCHOOLS.replace("primary,london", "Primary,London").replace("north_east", "East of England"),
        "inspections.csv": INSPECTIONS,
        "judgements.csv": JUDGEMENTS.replace(",2\n", ",Outstanding\n")})
    code, text = run(["validate", *(str(tmp_path / f) for f in ("schools.csv", "inspections.csv",
                                                                 "judgements.csv"))], capsys)
    assert code == 0, text
    for part in ("'Primary' -> primary", "'London' -> london", "'East of England' -> east_of_england",
                 "'Outstanding' -> 1"):
        assert part in text, text
    from inspect_audit.data.validation import validate

    report = validate([tmp_path / "schools.csv", tmp_path / "inspections.csv", tmp_path / "judgements.csv"])
    assert report.tables["schools"]["region"].tolist() == ["london", "east_of_england"]
    assert report.tables["judgements"]["grade"].tolist() == [1, 3]


def test_label_of_the_wrong_scale_is_still_refused(tmp_path, capsys):
    _materialise(tmp_path, {"inspections.csv": INSPECTIONS,
                            "judgements.csv": JUDGEMENTS.replace(",2\n", ",Exceptional\n")})
    code, text = run(["validate", str(tmp_path / "inspections.csv"), str(tmp_path / "judgements.csv")], capsys)
    assert code == 1 and "Exceptional" in text, text


def test_locked_workspace_is_refused_before_validation(tmp_path, capsys):
    import duckdb

    _materialise(tmp_path, {"schools.csv": SCHOOLS})
    ws = tmp_path / "ws.duckdb"
    duckdb.connect(str(ws)).close()
    holder = duckdb.connect(str(ws), read_only=True)  # another connection of another configuration
    try:
        code, text = run(["ingest", str(tmp_path / "schools.csv"), "--workspace", str(ws)], capsys)
    finally:
        holder.close()
    assert code == 1 and "Traceback" not in text
    assert "ws.duckdb" in text and "in use" in text, text
    assert "valid" not in text  # refused before validation ran


def test_unexpected_error_is_one_line_and_a_log(tmp_path, capsys, monkeypatch):
    from inspect_audit.cli import validate as validation_cli

    monkeypatch.setenv("INSPECT_AUDIT_LOG_DIR", str(tmp_path / "logs"))

    def boom(args):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(validation_cli, "run_validate", boom)
    code, text = run(["validate", str(tmp_path / "x.csv")], capsys)
    assert code == 1 and "Traceback" not in text and "kaboom" in text
    logs = list((tmp_path / "logs").glob("*.log"))
    assert len(logs) == 1 and str(logs[0]) in text
    assert "Traceback" in logs[0].read_text() and len(text.strip().splitlines()) <= 2


def test_evidence_pack_file_name_is_safe(tmp_path):
    from inspect_audit.reporting.evidence_pack import EvidencePack

    pack = EvidencePack.__new__(EvidencePack)
    pack.inspection_id = "../../x"
    pack.to_html = lambda: "<html></html>"
    paths = pack.write(tmp_path / "packs", pdf=False)
    assert paths["html"].parent == tmp_path / "packs"
    assert ".." not in paths["html"].name
