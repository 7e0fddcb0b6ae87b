"""Scorecard CLI and report section, on a validated subset of the bundled England data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from inspect_audit.cli import scorecard as scorecard_cli
from inspect_audit.data.bundled import load_england
from inspect_audit.scorecard import example_spec_paths, load_spec
from inspect_audit.scorecard.report import demo_section


@pytest.fixture(scope="module")
def subset():
    return england_subset()


def england_subset() -> dict[str, pd.DataFrame]:
    """About 600 schools (every tenth EIF-inspected primary or secondary), all tables consistent."""
    t = load_england()
    eif = t["inspections"][t["inspections"]["framework"] == "eif_2019"]["urn"]
    schools = t["schools"][t["schools"]["urn"].isin(eif) & t["schools"]["phase"].isin(["primary", "secondary"])]
    urns = set(schools["urn"].iloc[::10])
    inspections = t["inspections"][t["inspections"]["urn"].isin(urns)]
    return {"schools": t["schools"][t["schools"]["urn"].isin(urns)], "inspections": inspections,
            "judgements": t["judgements"][t["judgements"]["inspection_id"].isin(inspections["inspection_id"])],
            "survey_items": t["survey_items"],
            "survey_aggregates": t["survey_aggregates"][t["survey_aggregates"]["urn"].isin(urns)]}


def _run(argv: list[str]) -> int:
    from conftest import run_cli

    return run_cli(scorecard_cli.register, argv)


def _write(tables: dict[str, pd.DataFrame], folder):
    folder.mkdir()
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    return folder


def test_cli_on_a_csv_folder(subset, tmp_path, capsys):
    data = _write(subset, tmp_path / "data")
    out = tmp_path / "out"
    code = _run(["scorecard", "--spec", "primary_balanced", "--data", str(data), "--out", str(out),
                 "--reps", "60", "--seed", "3", "--sobol", "8"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "median 90% rank interval" in printed and "60 replicates" in printed
    schools = pd.read_csv(out / "schools.csv", dtype={"urn": str})
    assert len(schools) > 200 and schools["urn"].isin(subset["schools"]["urn"]).all()
    probs = schools[[c for c in schools.columns if c.startswith("p_") and c != "p_modal_band"]]
    assert probs.sum(axis=1).round(9).eq(1).all()
    for name in ("replicates.csv", "indicators.csv", "sobol.csv", "reliability.csv", "effective_weights.csv",
                 "rank_intervals.png", "band_probabilities.png", "scorecard.md"):
        assert (out / name).stat().st_size > 0, name


def test_cli_rejects_invalid_spec_and_invalid_data(subset, tmp_path, capsys):
    spec = json.loads(example_spec_paths()["primary_balanced"].read_text())
    spec["indicators"][0]["direction"] = "up"
    bad_spec = tmp_path / "bad.json"
    bad_spec.write_text(json.dumps(spec))
    assert _run(["scorecard", "--spec", str(bad_spec), "--out", str(tmp_path / "o1")]) == 1
    assert "indicators[0].direction" in capsys.readouterr().err
    broken = dict(subset)
    broken["schools"] = subset["schools"].assign(fsm_pct=subset["schools"]["fsm_pct"] + 500)
    data = _write(broken, tmp_path / "broken")
    assert _run(["scorecard", "--spec", "primary_balanced", "--data", str(data), "--out", str(tmp_path / "o2"),
                 "--reps", "10"]) == 1
    assert "INVALID" in capsys.readouterr().err
    assert _run(["scorecard", "--spec", "no_such_spec", "--out", str(tmp_path / "o3")]) == 1
    assert "not found" in capsys.readouterr().err


def test_demo_section_writes_plots_and_csvs(subset, tmp_path):
    section = demo_section(subset, tmp_path, seed=1, n_rep=40, n_base=8)
    assert set(section) == {"title", "markdown", "summary"}
    assert len(section["summary"]) == 4 and all(isinstance(s, str) for s in section["summary"])
    assert "scorecard_rank_intervals.png" in section["markdown"]
    for name in ("scorecard_rank_intervals.png", "scorecard_band_probabilities.png", "scorecard_sobol.png",
                 "scorecard_schools.csv", "scorecard_sobol.csv", "scorecard_reliability.csv",
                 "scorecard_spec_comparison_bands.csv"):
        assert (tmp_path / name).stat().st_size > 0, name
    rel = pd.read_csv(tmp_path / "scorecard_reliability.csv")
    assert rel["reliability"].between(0, 1).all()
    assert load_spec(example_spec_paths()["primary_balanced"]).name in section["markdown"]


def test_compare_specs_from_specs_and_tables(subset):
    from inspect_audit.scorecard import compare_specs

    paths = example_spec_paths()
    out = compare_specs(paths["primary_balanced"], paths["all_phases_rule_based"], tables=subset)
    assert out["n_schools"] > 100 and 0 <= out["share_pairs_reversed"] < 0.5
    assert out["band_table"].to_numpy().sum() == out["n_schools"]
    assert list(out["band_table"].index) == [lab for lab in load_spec(paths["primary_balanced"]).labels
                                             if lab in out["band_table"].index]
    same = compare_specs(paths["primary_balanced"], paths["primary_balanced"], tables=subset)
    assert same["rank_reversals"] == 0 and same["band_flips"] == 0
    with pytest.raises(TypeError):
        compare_specs(paths["primary_balanced"], paths["primary_balanced"])
