"""The schema layer: every rule reports file, row, column, value and rule."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from inspect_audit.data import schemas
from inspect_audit.data import workspace
from inspect_audit.cli import main
from inspect_audit.data.validation import validate

SCHOOLS = """urn,name,phase,region,local_authority,pupils,fsm_pct,fsm_quintile,idaci_quintile,ks2_progress,progress8
100001,Alpha Primary,primary,london,Camden,300,20.5,3,,0.1,
100002,Beta Academy,secondary,north_east,Durham,900,35,5,4,,-0.2
"""
INSPECTIONS = """inspection_id,urn,start_date,framework,inspection_type,lead_inspector_id,team_size
i1,100001,2021-03-04,eif_2019,graded,,2
i2,100002,2016-05-10,cif_2015,graded,,3
"""
JUDGEMENTS = """inspection_id,area,grade
i1,overall_effectiveness,2
i1,quality_of_education,2
i1,safeguarding,1
i2,overall_effectiveness,3
"""


def errors_of(report) -> list[tuple]:
    return [(e["table"], e["row"], e["column"], e["value"], e["rule"].split(":")[0])
            for e in report.errors().to_dict(orient="records")]


def test_valid_batch_passes_and_is_typed(write_csv):
    report = validate([write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", INSPECTIONS),
                       write_csv("judgements.csv", JUDGEMENTS)])
    assert report.ok, report.errors()
    assert report.tables["judgements"]["grade"].dtype == "Int64"
    assert str(report.tables["inspections"]["start_date"].dtype).startswith("datetime64")
    assert report.tables["schools"]["urn"].tolist() == ["100001", "100002"]  # urns stay strings


def test_every_schema_is_valid_frictionless_and_consistent():
    package = schemas.datapackage()
    for resource in package["resources"]:
        schema = schemas.table_schema(resource["name"])
        names = [f["name"] for f in schema["fields"]]
        assert len(names) == len(set(names))
        assert set(schema["primaryKey"]) <= set(names)
        for fk in schema.get("foreignKeys", []):
            target = schemas.table_schema(fk["reference"]["resource"])
            assert fk["reference"]["fields"][0] in [f["name"] for f in target["fields"]]
    for framework, spec in schemas.scales()["frameworks"].items():
        for area, scale_name in spec["areas"].items():
            assert scale_name in schemas.scales()["scales"], (framework, area)


def test_scales_match_published_labels():
    assert schemas.scale("legacy_4").labels == ("Outstanding", "Good", "Requires improvement", "Inadequate")
    assert schemas.scale("report_card_5").labels[0] == "Exceptional"
    assert schemas.scale("report_card_5").labels[-1] == "Urgent improvement"
    assert schemas.scale_for("eif_2019", "safeguarding").labels == ("Met", "Not met")
    assert schemas.framework_for_date("2020-01-15") == "eif_2019"
    assert schemas.framework_for_date("2026-01-15") == "report_card_2025"


def test_row_level_errors_name_row_column_value_rule(write_csv):
    bad_schools = SCHOOLS + "100002,Gamma,primry,wales,,abc,120,6,,,\n"
    bad_judgements = JUDGEMENTS + "i1,quality_of_education,5\ni1,inclusion,2\ni9,overall_effectiveness,1\n"
    report = validate([write_csv("schools.csv", bad_schools), write_csv("inspections.csv", INSPECTIONS),
                       write_csv("judgements.csv", bad_judgements)])
    found = errors_of(report)
    assert ("schools", 4, "phase", "primry", "code") in found
    assert ("schools", 4, "region", "wales", "code") in found
    assert ("schools", 4, "pupils", "abc", "type") in found
    assert ("schools", 4, "fsm_pct", "120.0", "range") in found
    assert ("schools", 4, "fsm_quintile", "6", "range") in found
    assert ("schools", 3, "urn", "urn=100002", "key") in found  # both duplicates reported
    assert ("schools", 4, "urn", "urn=100002", "key") in found
    # duplicate (i1, quality_of_education) and a grade off the legacy scale
    assert ("judgements", 6, "grade", "5", "scale") in found
    assert ("judgements", 7, "area", "inclusion", "scale") in found
    assert ("judgements", 8, "inspection_id", "i9", "reference") in found
    assert all(e["file"].endswith(".csv") for e in report.issues)


def test_impossible_dates_and_framework_periods(write_csv):
    text = INSPECTIONS + "i3,100001,2021-02-30,eif_2019,graded,,2\ni4,100001,2016-01-01,eif_2019,graded,,2\n"
    found = errors_of(validate([write_csv("inspections.csv", text)]))
    assert ("inspections", 4, "start_date", "2021-02-30", "type") in found
    assert ("inspections", 5, "start_date", "2016-01-01", "date") in found
    assert len(found) == 2  # the unparseable date is not also reported as missing


def test_complaint_date_order_and_open_closed_consistency(write_csv):
    text = """complaint_id,inspection_id,received_date,furthest_stage,grounds,outcome,closed_date,judgement_changed
c1,i1,2021-03-10,formal,judgement_accuracy;inspector_conduct,not_upheld,2021-03-01,false
c2,i1,2021-03-10,informal,judgement_accuracy,,2021-04-01,false
c3,i1,2021-03-10,informal,bad_ground,,,
"""
    found = errors_of(validate([write_csv("complaints.csv", text)]))
    assert ("complaints", 2, "closed_date", "2021-03-01", "date") in found
    assert ("complaints", 3, "outcome", "2021-04-01", "consistency") in found
    assert ("complaints", 4, "grounds", "bad_ground", "format") in found


def test_wrong_columns_encoding_and_title_row(write_csv):
    misspelt = write_csv("schools.csv", SCHOOLS.replace("fsm_quintile", "fsm_quntile"))
    found = errors_of(validate([misspelt]))
    assert ("schools", 1, "fsm_quntile", "fsm_quntile", "unknown column") in found
    missing = write_csv("judgements.csv", "inspection_id,grade\ni1,2\n")
    assert ("judgements", 1, "area", "(empty)", "required column is missing") in errors_of(validate([missing]))
    latin = write_csv("schools.csv", SCHOOLS + "100003,St Mary’s,primary,london,,,,,,,\n", encoding="cp1252")
    enc = errors_of(validate([latin]))
    assert len(enc) == 1 and enc[0][1] == 4 and enc[0][4] == "encoding"
    titled = write_csv("inspections.csv", "Management information - as at 31 August 2024,,,,,,\n\n" + INSPECTIONS)
    title = errors_of(validate([titled]))
    assert len(title) == 1 and title[0][4] == "title row above the header"


def test_survey_response_outside_item_scale(write_csv):
    items = """item_id,respondent_group,dimension,text,scale_min,scale_max,reverse_coded
s1,staff,listened_to,I am listened to,1,5,false
"""
    responses = """urn,wave,respondent_group,respondent_id,item_id,response,subgroup
100001,2025,staff,r1,s1,4,teacher
100001,2025,staff,r2,s1,9,teacher
100001,2025,staff,r3,s1,,teacher
"""
    report = validate([write_csv("schools.csv", SCHOOLS), write_csv("survey_items.csv", items),
                       write_csv("survey_responses.csv", responses)])
    assert errors_of(report) == [("survey_responses", 3, "response", "9.0", "range")]


def test_cli_validate_exit_codes_and_json(write_csv, capsys):
    good = write_csv("judgements.csv", JUDGEMENTS)
    assert main(["validate", str(good)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = write_csv("inspections.csv", INSPECTIONS + "i3,100001,2030-01-01,report_card_2025,graded,,1\n")
    assert main(["validate", str(bad), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False
    assert out["errors"][0]["row"] == 4 and out["errors"][0]["column"] == "start_date"


def test_table_option_for_unnamed_file(write_csv):
    path = write_csv("export_2024.csv", JUDGEMENTS)
    assert main(["validate", str(path), "--table", "judgements"]) == 0
    assert main(["validate", str(path)]) == 1  # unknown table without --table


def test_data_dictionary_is_generated_from_the_schemas():
    from conftest import REPO

    committed = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == schemas.data_dictionary_markdown(), "run scripts/make_data_dictionary.py"


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".csv.gz"])
def test_excel_parquet_and_gzip_inputs_pass_the_same_rules(tmp_path, suffix):
    frame = pd.read_csv(__import__("io").StringIO(JUDGEMENTS + "i1,behaviour_and_attitudes,9\n"), dtype=str)
    path = tmp_path / f"judgements{suffix}"
    if suffix == ".xlsx":
        frame.astype({"grade": int}).to_excel(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})
    inspections = tmp_path / "inspections.csv"
    inspections.write_text(INSPECTIONS)
    report = validate([path, inspections])
    assert report.tables["judgements"]["grade"].tolist()[:4] == [2, 2, 1, 3]
    assert [(e["row"], e["column"], e["value"]) for e in report.issues] == [(6, "grade", "9")]


def test_duplicate_inspection_id_is_a_key_error_and_grades_are_still_checked(tmp_path, write_csv):
    # i1 again, under another framework: the first i1 (eif_2019) is the one grades are checked against
    inspections = INSPECTIONS + "i1,100002,2016-05-10,cif_2015,graded,,3\n"
    judgements = JUDGEMENTS + "i1,behaviour_and_attitudes,5\ni2,quality_of_education,2\n"
    paths = [write_csv("schools.csv", SCHOOLS), write_csv("inspections.csv", inspections),
             write_csv("judgements.csv", judgements)]
    assert errors_of(validate(paths)) == [
        ("inspections", 2, "inspection_id", "inspection_id=i1", "key"),
        ("inspections", 4, "inspection_id", "inspection_id=i1", "key"),
        ("judgements", 6, "grade", "5", "scale"),
        ("judgements", 7, "area", "quality_of_education", "scale"),
    ]
    db = tmp_path / "ws.duckdb"
    result = workspace.ingest(paths, db)
    assert not result.ok and not db.exists()
    rejects = pd.read_csv(result.rejects_dir / "inspections.rejects.csv", dtype=str)
    assert rejects["source_row"].tolist() == ["2", "4"]


def test_duplicate_survey_item_is_a_key_error_and_responses_are_still_checked(write_csv):
    items = """item_id,respondent_group,dimension,text,scale_min,scale_max,reverse_coded
s1,staff,listened_to,I am listened to,1,5,false
s1,staff,listened_to,I am listened to (again),1,10,false
s2,staff,workload,My workload is manageable,1,3,false
"""
    responses = """urn,wave,respondent_group,respondent_id,item_id,response,subgroup
100001,2025,staff,r1,s1,4,teacher
100001,2025,staff,r1,s1,9,teacher
100001,2025,staff,r1,s2,4,teacher
"""
    found = errors_of(validate([write_csv("schools.csv", SCHOOLS), write_csv("survey_items.csv", items),
                                write_csv("survey_responses.csv", responses)]))
    assert [e for e in found if e[0] == "survey_items"] == [
        ("survey_items", 2, "item_id", "item_id=s1", "key"), ("survey_items", 3, "item_id", "item_id=s1", "key")]
    assert ("survey_responses", 3, "response", "9.0", "range") in found  # s1's first scale, 1-5
    assert ("survey_responses", 4, "response", "4.0", "range") in found


@pytest.mark.parametrize("title", ["Management information - schools - 31 August 2024",
                                   "Management information - schools - 31 August 2024,,,,,,"])
def test_title_row_with_or_without_trailing_commas(write_csv, title):
    report = validate([write_csv("inspections.csv", title + "\n" + INSPECTIONS)])
    assert errors_of(report) == [("inspections", 1, "(file)", title.rstrip(","), "title row above the header")]
    assert "the header is on row 2" in report.issues[0]["rule"]


def test_rows_wider_than_the_header_keep_every_field_in_place(write_csv):
    header, *rows = INSPECTIONS.strip().split("\n")
    short_header = header.rsplit(",", 1)[0]  # team_size's name missing from the header
    report = validate([write_csv("inspections.csv", "\n".join([short_header, *rows]))])
    assert errors_of(report) == [("inspections", 1, "Unnamed: 6", "Unnamed: 6", "unknown column")]
    assert report.tables["inspections"]["inspection_id"].tolist() == ["i1", "i2"]


def test_unknown_column_does_not_stop_the_other_checks(write_csv):
    header, *rows = INSPECTIONS.strip().split("\n")
    rows += ["i3,100001,2099-01-01,eif_2019,graded,,2", "i4,100001,2016-01-01,eif_2019,graded,,x"]
    text = "\n".join([header + ",notes"] + [row + ",a note" for row in rows])
    assert errors_of(validate([write_csv("inspections.csv", text)])) == [
        ("inspections", 1, "notes", "notes", "unknown column"),
        ("inspections", 4, "start_date", "2099-01-01", "date"),
        ("inspections", 5, "start_date", "2016-01-01", "date"),
        ("inspections", 5, "team_size", "x", "type"),
    ]


def test_blank_line_between_data_rows_does_not_shift_row_numbers(write_csv):
    # line 1 header, 2 i1, 3 blank, 4 i2, 5 i3 with a bad team_size
    text = INSPECTIONS.replace("\ni2,", "\n\ni2,") + "i3,100001,2021-05-04,eif_2019,graded,,x\n"
    report = validate([write_csv("inspections.csv", text)])
    assert errors_of(report) == [("inspections", 5, "team_size", "x", "type")]  # the blank line is ignored
    assert report.tables["inspections"]["inspection_id"].tolist() == ["i1", "i2", "i3"]
    assert report.row_numbers["inspections"].tolist() == [2, 4, 5]


def test_blank_lines_are_counted_with_crlf_gzip_leading_blanks_and_multiline_cells(tmp_path, write_csv):
    header, first, second = INSPECTIONS.strip().split("\n")
    bad = "i3,100001,2021-05-04,eif_2019,graded,,x"
    crlf = write_csv("inspections.crlf.csv", "\n".join([header, first, "", "  ", second, bad]))
    assert errors_of(validate({"inspections": crlf})) == [("inspections", 6, "team_size", "x", "type")]
    gz = tmp_path / "inspections.csv.gz"
    gz.write_bytes(__import__("gzip").compress("\n".join(["", "", header, first, "", bad, ""]).encode()))
    assert errors_of(validate([gz])) == [("inspections", 6, "team_size", "x", "type")]
    # a quoted cell spanning lines (with a blank line inside it) is one row, numbered by its first line
    multiline = write_csv("inspections.csv", "\n".join(
        [header, 'i1,100001,2021-03-04,"eif\n\n2019",graded,,2', "", bad]))
    assert errors_of(validate([multiline])) == [
        ("inspections", 2, "framework", "eif\n\n2019", "code"), ("inspections", 6, "team_size", "x", "type")]


def test_unknown_column_after_leading_blank_lines_names_the_header_line(tmp_path):
    path = tmp_path / "inspections.csv"
    path.write_text("\n\n" + INSPECTIONS.replace("team_size", "team_size,notes").replace(",2\n", ",2,n\n")
                    .replace(",3\n", ",3,n\n"))
    assert errors_of(validate([path])) == [("inspections", 3, "notes", "notes", "unknown column")]


def test_row_with_only_separators_is_ignored_but_counted(write_csv):
    text = INSPECTIONS + ",,,,,,\ni3,100001,2021-05-04,eif_2019,graded,,x\n"
    report = validate([write_csv("inspections.csv", text)])
    assert errors_of(report) == [("inspections", 5, "team_size", "x", "type")]
    assert len(report.tables["inspections"]) == 3


def test_empty_excel_row_is_ignored_but_counted(tmp_path):
    frame = pd.read_csv(__import__("io").StringIO(INSPECTIONS), dtype=str, keep_default_na=False)
    empty = pd.DataFrame([[None] * frame.shape[1]], columns=frame.columns)
    bad = pd.DataFrame([["i3", "100001", "2021-05-04", "eif_2019", "graded", None, "x"]], columns=frame.columns)
    path = tmp_path / "inspections.xlsx"
    pd.concat([frame, empty, bad]).to_excel(path, index=False)
    assert errors_of(validate([path])) == [("inspections", 5, "team_size", "x", "type")]


@pytest.mark.parametrize("title", ["Management information - schools - 31 August 2024",
                                   "Management information - schools - 31 August 2024,,,,,,"])
def test_title_row_then_blank_line_names_the_real_header_row(write_csv, title):
    report = validate([write_csv("inspections.csv", title + "\n\n" + INSPECTIONS)])
    assert errors_of(report) == [("inspections", 1, "(file)", title.rstrip(","), "title row above the header")]
    assert "the header is on row 3;" in report.issues[0]["rule"]


def test_unreadable_csv_after_blank_lines_and_a_multiline_cell_names_the_physical_line(write_csv):
    # pandas counts the quoted two-line cell as one line; the report names the file's line 7
    text = (INSPECTIONS.replace("\ni2,", "\n\n\ni2,").replace("eif_2019", '"eif\n2019"')
            + "i3,100001,2021-05-04,eif_2019,graded,,2,extra,extra\n")
    report = validate([write_csv("inspections.csv", text)])
    assert [(row, rule) for _, row, _, _, rule in errors_of(report)] == [(7, "not a readable CSV file")]
    assert "in line 7," in report.issues[0]["rule"]


@pytest.mark.parametrize("content", [b"", b"\n\n", b"   \r\n"])
def test_empty_file_is_reported_not_a_traceback(tmp_path, content):
    path = tmp_path / "inspections.csv"
    path.write_bytes(content)
    report = validate([path])
    assert not report.ok
    assert [(row, column, rule.split(":")[0]) for _, row, column, _, rule in errors_of(report)] == \
        [(1, "(file)", "empty file")]
