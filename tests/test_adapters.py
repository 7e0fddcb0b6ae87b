"""Adapters for Ofsted's published formats, on a real MI extract (Warwickshire, MI as at Aug 2020)."""

from __future__ import annotations

import pandas as pd
import pytest

from inspect_audit.data.adapters import adapt_ofsted_mi, adapt_parent_view
from inspect_audit.cli import main
from inspect_audit.data.validation import validate

from conftest import SHARED_DATA

WARWICKSHIRE = SHARED_DATA / "cartledge-warwickshire-mi" / "inspection_outcome_map_data_logistic_regression.csv"
needs_extract = pytest.mark.skipif(not WARWICKSHIRE.is_file(), reason="real MI extract absent")
# Official MI headers (2019-2024 releases) for the squashed names in the extract.
OFFICIAL = {"Schoolname": "School name", "Ofstedphase": "Ofsted phase", "Localauthority": "Local authority",
            "Publicationdate": "Publication date", "Overalleffectiveness": "Overall effectiveness",
            "Previouspublicationdate": "Previous publication date",
            "Previousfullinspectionoveralleffectiveness": "Previous full inspection overall effectiveness",
            "IDACI": "The income deprivation affecting children index (IDACI) quintile"}


@needs_extract
def test_real_mi_extract_becomes_valid_tables(tmp_path):
    raw = pd.read_csv(WARWICKSHIRE)
    adapted = adapt_ofsted_mi(WARWICKSHIRE)
    report = validate(adapted.write(tmp_path))
    assert report.ok, report.errors().head().to_string()
    schools, judgements = report.tables["schools"], report.tables["judgements"]
    assert len(schools) == len(raw) == 228
    assert set(schools["region"]) == {"west_midlands"}
    latest = judgements[judgements["inspection_id"].isin(report.tables["inspections"].groupby("urn")["start_date"]
                                                         .idxmax().map(report.tables["inspections"]["inspection_id"]))]
    assert sorted(latest["grade"].tolist()) == sorted(raw["Overalleffectiveness"].tolist())
    assert (schools.set_index("urn")["idaci_quintile"].sort_index().to_numpy()
            == raw.set_index(raw["URN"].astype(str))["IDACI"].sort_index().to_numpy()).all()
    assert any("not used" in n for n in adapted.notes)  # extra columns are reported, not silently dropped


@needs_extract
def test_official_headers_cp1252_title_row_and_null_read_the_same(tmp_path):
    raw = pd.read_csv(WARWICKSHIRE, dtype=str).drop(columns=["Unnamed: 0"], errors="ignore").rename(columns=OFFICIAL)
    raw.loc[0, "School name"] = "École Primaire"  # a character whose cp1252 byte is not UTF-8
    raw.loc[1, "Previous full inspection overall effectiveness"] = "NULL"
    path = tmp_path / "Management_information_-_state-funded_schools.csv"
    text = "Management information - state-funded schools - as at 31 August 2020\n" + raw.to_csv(index=False)
    path.write_bytes(text.encode("cp1252"))
    adapted = adapt_ofsted_mi(path)
    assert any("cp1252" in n for n in adapted.notes) and any("title row" in n for n in adapted.notes)
    assert adapted.tables["schools"].loc[0, "name"] == "École Primaire"
    assert len(adapted.tables["inspections"]) == 2 * 228 - 1  # the NULL previous grade adds no inspection
    assert validate(adapted.write(tmp_path / "out")).ok


def test_word_grades_and_report_card_scale(tmp_path):
    path = tmp_path / "mi.csv"
    path.write_text("URN,School name,Ofsted phase,Region,Inspection start date,Overall effectiveness,"
                    "Quality of education,Safeguarding is effective?\n"
                    "100001,A School,Primary,Yorkshire and the Humber,2021-10-05,Good,Requires improvement,Yes\n"
                    "100002,B School,Secondary,London,2022-01-11,4,4,No\n", encoding="utf-8")
    report = validate(adapt_ofsted_mi(path).write(tmp_path / "out"))
    assert report.ok, report.errors().to_string()
    grades = report.tables["judgements"].set_index(["inspection_id", "area"])["grade"]
    assert grades.tolist() == [2, 3, 1, 4, 4, 2]


def test_untranslatable_grade_reaches_the_validator_with_its_row(tmp_path, capsys):
    path = tmp_path / "mi.csv"
    path.write_text("URN,School name,Ofsted phase,Inspection start date,Overall effectiveness\n"
                    "100001,A School,Primary,2021-10-05,Very good\n", encoding="utf-8")
    assert main(["adapt", "ofsted-mi", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Very good" in err and "judgements" in err


def test_parent_view_sheet_percentages(tmp_path):
    path = tmp_path / "parent_view.csv"
    path.write_text("Parent View school level data\n"
                    "URN,School name,Submissions,Q1 Strongly agree,Q1 Agree,Q1 Disagree,Q1 Strongly disagree,"
                    "Q1 Don't know,Q14 Yes,Q14 No\n"
                    "100001,A,40,0.5,0.3,0.1,0.05,0.05,0.9,0.1\n"
                    "100002,B,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL\n", encoding="utf-8")
    adapted = adapt_parent_view(path, wave="2026-06")
    agg = adapted.tables["survey_aggregates"].set_index("item_id")
    assert agg.loc["PV_Q1", "pct_positive"] == pytest.approx(80.0)
    assert agg.loc["PV_Q1", "pct_negative"] == pytest.approx(15.0)
    assert agg.loc["PV_Q14", "pct_positive"] == pytest.approx(90.0)
    assert any("suppressed" in n for n in adapted.notes) and any("fractions" in n for n in adapted.notes)
    schools = pd.DataFrame({"urn": ["100001"], "name": ["A"], "phase": ["primary"]})
    paths = adapted.write(tmp_path / "out")
    schools.to_csv(tmp_path / "out" / "schools.csv", index=False)
    assert validate({**paths, "schools": tmp_path / "out" / "schools.csv"}).ok
