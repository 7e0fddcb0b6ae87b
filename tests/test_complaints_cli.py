"""``inspect-audit complaints`` on simulated schema CSVs, and the demo section."""

from __future__ import annotations


import pandas as pd
import pytest

from inspect_audit.cli import complaints as complaints_cli
from inspect_audit.complaints.report import demo_section
from inspect_audit.data.simulate import SimulationConfig, simulate


@pytest.fixture(scope="module")
def sim():
    return simulate(SimulationConfig(n_schools=1200, n_inspectors=40), seed=5)


@pytest.fixture(scope="module")
def data_dir(sim, tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "data"
    sim.write(path)
    return path


def _run(argv: list[str]) -> int:
    from conftest import run_cli

    return run_cli(complaints_cli.register, ["complaints", *argv])


def test_cli_writes_suppressed_outputs(sim, data_dir, tmp_path, capsys):
    ids = [r["inspector_id"] for r in sim.truth["inspectors"]]
    draws = pd.DataFrame({f"d{i}": [r["severity"] + 0.05 * i for r in sim.truth["inspectors"]] for i in range(3)},
                         index=pd.Index(ids, name="inspector_id"))
    draws.to_csv(tmp_path / "draws.csv")
    out = tmp_path / "out"
    assert _run(["--data", str(data_dir), "--out", str(out), "--min-group", "25", "--snapshot", "2024-08-31",
                 "--severity-draws", str(tmp_path / "draws.csv")]) == 0
    printed = capsys.readouterr().out
    assert "Upheld or partially upheld" in printed and "Severity slope (complaint)" in printed
    for name in ["complaints_report.md", "complaints_upheld_rates.csv", "complaints_rate_by_grade.csv",
                 "complaints_time_to_closure_medians.csv", "complaints_time_to_closure_curves.csv",
                 "complaints_time_to_closure.png", "complaints_upheld_by_stage.png", "complaints_vs_severity.csv",
                 "complaints_vs_severity.png"]:
        assert (out / name).is_file(), name
    rates = pd.read_csv(out / "complaints_upheld_rates.csv")
    hidden = rates["suppressed"]
    assert hidden.any() and (~hidden).any()
    assert rates.loc[hidden, ["estimate", "ci_low", "ci_high", "n", "k"]].isna().all().all()  # no n or k either
    assert rates.loc[~hidden, "estimate"].notna().all() and (rates.loc[~hidden, "n"] >= 25).all()
    # no breakdown hides a single group (it could be worked out as total minus the others)
    per_breakdown = rates.groupby(["dimension", "statistic"])["suppressed"].sum()
    assert not (per_breakdown == 1).any() and (per_breakdown >= 2).any()
    curves = pd.read_csv(out / "complaints_time_to_closure_curves.csv")
    assert curves.loc[curves["suppressed"], ["estimate", "n", "n_at_risk"]].isna().all().all()
    medians = pd.read_csv(out / "complaints_time_to_closure_medians.csv")
    assert medians["suppressed"].sum() != 1 and not medians.set_index("group").loc["all", "suppressed"]
    grade = pd.read_csv(out / "complaints_rate_by_grade.csv")
    assert grade.loc[grade["suppressed"], ["estimate", "n", "k"]].isna().all().all()
    assert (grade.loc[~grade["suppressed"], "k"] >= 25).all()
    sev = pd.read_csv(out / "complaints_vs_severity.csv")
    assert set(sev["outcome"]) == {"complaint", "upheld"} and (sev["n_draws"] == 3).all()
    report = (out / "complaints_report.md").read_text()
    assert "fewer than 25" in report


def test_cli_rejects_invalid_data(data_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    complaints = pd.read_csv(data_dir / "complaints.csv", dtype=str)
    complaints.loc[0, "furthest_stage"] = "tribunal"
    complaints.to_csv(bad / "complaints.csv", index=False)
    assert _run(["--data", str(bad), "--out", str(tmp_path / "o")]) == 1
    assert not (tmp_path / "o" / "complaints_upheld_rates.csv").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _run(["--data", str(empty), "--out", str(tmp_path / "o")]) == 1


def test_demo_section_labels_simulated_inspectors(sim, tmp_path):
    section = demo_section(sim, tmp_path)
    assert set(section) == {"title", "markdown", "summary"}
    assert "simulated" in section["markdown"].lower() and "not real" in section["markdown"]
    assert "stand-in" in section["markdown"]
    assert any(line.startswith("Severity slope (complaint)") and "planted 0.50" in line for line in section["summary"])
    for png in tmp_path.glob("*.png"):
        assert png.stat().st_size > 3000
    assert (tmp_path / "complaints_vs_severity.csv").is_file()
    rates = pd.read_csv(tmp_path / "complaints_upheld_rates.csv")  # default threshold: 10
    assert rates.loc[rates["n"] < 10, "estimate"].isna().all()
    assert rates.loc[rates["n"] >= 10, "estimate"].notna().all()
