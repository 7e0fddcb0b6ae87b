"""``inspect-audit surveys`` and the demo-report section, on a small simulated dataset."""

from __future__ import annotations


import pandas as pd
import pytest

from inspect_audit.cli import surveys as surveys_cli
from inspect_audit.data.simulate import SimulationConfig, simulate
from inspect_audit.cli.common import EXIT_INVALID


@pytest.fixture(scope="module")
def small():
    return simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=20), seed=3)


@pytest.fixture(scope="module")
def data_dir(small, tmp_path_factory):
    folder = tmp_path_factory.mktemp("survey_data")
    small.write(folder / "data")
    return folder / "data"


def _run(argv):
    from conftest import run_cli

    return run_cli(surveys_cli.register, argv)


def test_cli_writes_tables(data_dir, tmp_path, capsys):
    assert _run(["surveys", "--data", str(data_dir), "--out", str(tmp_path / "out"), "--boot", "30",
                "--min-responses", "15"]) == 0
    out = capsys.readouterr().out
    assert "minimum 15 respondents" in out and "alpha staff/listened_to" in out
    for name in ("scale_reliability", "item_statistics", "aggregation_summary", "aggregation_by_school",
                 "school_scores", "perspective_correlations", "divergence", "wave_changes",
                 "subgroup_differences", "similar_schools"):
        assert (tmp_path / "out" / f"surveys_{name}.csv").is_file(), name
    ss = pd.read_csv(tmp_path / "out" / "surveys_school_scores.csv")
    assert ss.loc[ss.n < 15, "withheld"].all() and ss.loc[ss.withheld, "estimate"].isna().all()
    rel = pd.read_csv(tmp_path / "out" / "surveys_scale_reliability.csv")
    assert {"estimate", "ci_low", "ci_high", "n"} <= set(rel.columns)


def test_cli_rejects_invalid_input(data_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("survey_items", "survey_responses", "schools"):
        (bad / f"{name}.csv").write_text((data_dir / f"{name}.csv").read_text())
    lines = (bad / "survey_responses.csv").read_text().splitlines()
    cols = lines[0].split(",")
    row = lines[1].split(",")
    row[cols.index("response")] = "9"  # outside the 1-5 scale
    lines[1] = ",".join(row)
    (bad / "survey_responses.csv").write_text("\n".join(lines) + "\n")
    assert _run(["surveys", "--data", str(bad), "--out", str(tmp_path / "out")]) == EXIT_INVALID
    assert "INVALID" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_cli_runs_on_bundled_data_and_lists_what_it_skipped(tmp_path, capsys):
    from inspect_audit.cli import main

    out = tmp_path / "out"
    assert main(["surveys", "--data", "bundled", "--out", str(out), "--boot", "20"]) == 0
    printed = capsys.readouterr().out
    assert "bundled England data" in printed and "Open Government Licence" in printed
    for name in ("school_scores", "perspective_correlations", "divergence", "parent_view_by_grade",
                 "parent_view_correlations"):
        assert (out / f"surveys_{name}.csv").is_file(), name
    for name in ("scale_reliability", "item_statistics", "aggregation_summary", "wave_changes",
                 "subgroup_differences", "similar_schools"):
        assert not (out / f"surveys_{name}.csv").exists(), name
        assert f"skipped {name}: needs survey_responses" in printed
    ss = pd.read_csv(out / "surveys_school_scores.csv")
    assert set(ss["respondent_group"]) == {"parent"} and ss["n"].notna().all()
    assert {"estimate", "ci_low", "ci_high", "n"} <= set(pd.read_csv(out / "surveys_parent_view_by_grade.csv"))
    assert "Spearman parent:composite" in printed
    assert main(["surveys", "--data", str(tmp_path / "nowhere"), "--out", str(out)]) == EXIT_INVALID
    assert "no such folder or workspace" in capsys.readouterr().err


def test_skipped_analyses_names_the_missing_tables():
    from inspect_audit.surveys import skipped_analyses

    tables = {"survey_aggregates": pd.DataFrame({"urn": ["1"]}), "judgements": pd.DataFrame(),
              "inspections": pd.DataFrame({"inspection_id": ["i"]})}
    skipped = skipped_analyses(tables, {"school_scores": pd.DataFrame()})
    assert "school_scores" not in skipped and skipped["scale_reliability"] == "needs survey_items, survey_responses"
    assert skipped["parent_view_by_grade"] == "needs judgements"  # present but empty counts as missing
    assert skipped_analyses({**tables, "judgements": pd.DataFrame({"x": [1]})}, {})["divergence"] == "nothing to report"


def test_cli_needs_survey_tables(tmp_path, capsys):
    assert _run(["surveys", "--data", str(tmp_path), "--out", str(tmp_path / "out")]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "no table files" in err and "survey_aggregates" in err


def test_demo_section(small, tmp_path):
    from inspect_audit.data.bundled import england_paths
    from inspect_audit.surveys.report import demo_section

    paths = england_paths()
    read = lambda name: pd.read_csv(paths[name], dtype=str, keep_default_na=False, na_values=[""])  # noqa: E731
    england = {"survey_items": read("survey_items"), "judgements": read("judgements").astype({"grade": float}),
               "survey_aggregates": read("survey_aggregates").astype(
                   {"n_responses": float, "pct_positive": float, "pct_negative": float}),
               "inspections": read("inspections").assign(
                   start_date=lambda f: pd.to_datetime(f["start_date"]))}
    section = demo_section(small, england, tmp_path, n_boot=30)
    assert set(section) == {"title", "markdown", "summary"}
    assert isinstance(section["summary"], list) and all(isinstance(s, str) for s in section["summary"])
    for png in ("surveys_reliability.png", "surveys_icc.png", "surveys_perspectives.png",
                "surveys_parent_view_by_grade.png", "surveys_parent_view_correlations.png"):
        assert (tmp_path / png).stat().st_size > 5000, png
        assert png in section["markdown"]
    assert (tmp_path / "surveys_england_parent_view_by_grade.csv").is_file()
    assert "Parent View" in section["markdown"] and "true alpha" in section["markdown"]


def test_cli_compares_parent_view_with_a_report_card_area(tmp_path):
    """--area/--frameworks reach the library: Parent View against the achievement grade of the bundled report
    cards, on the five-point scale's own labels (no legacy label)."""
    import pandas as pd

    from inspect_audit.cli import main
    from inspect_audit.data import schemas

    out = tmp_path / "out"
    assert main(["surveys", "--data", "bundled", "--out", str(out), "--boot", "20", "--area", "achievement",
                 "--frameworks", "report_card_2025"]) == 0
    by_grade = pd.read_csv(out / "surveys_parent_view_by_grade.csv")
    labels = set(by_grade["grade_label"])
    assert labels and labels <= set(schemas.scale("report_card_5").labels)
