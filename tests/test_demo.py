"""``inspect-audit demo`` runs end to end on the bundled data and writes a report folder."""

from __future__ import annotations

import re

import pandas as pd

from inspect_audit.cli import main


def test_demo_quick_writes_report_with_numbers(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--quick", "--seed", "7"]) == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and "Outstanding" in printed
    html = (out / "report.html").read_text(encoding="utf-8")
    md = (out / "report.md").read_text(encoding="utf-8")
    # every image the report references exists
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / image).is_file(), image
    assert "<table>" in html and "simulated" in md.lower()
    # both Bayesian sections, with their convergence verdict, and complaints fed by the posterior draws
    assert "## Inspector effects (simulated inspectors)" in md and "## Deprivation and grades before and after" in md
    assert md.count("Convergence gates ") >= 2
    assert "posterior draws for" in md
    # the data passed the validator into both workspaces and the truth is written
    assert (out / "england.duckdb").is_file() and (out / "simulated.duckdb").is_file()
    assert (out / "simulated_data" / "truth.json").is_file()
    shares = pd.read_csv(out / "england_grade_shares_by_fsm_quintile.csv")
    assert {"share", "ci_low", "ci_high", "n"} <= set(shares.columns)
    assert (shares["ci_low"] <= shares["share"]).all() and (shares["share"] <= shares["ci_high"]).all()
