"""The middle share ("playing it safe") against the inspector model's consistency
(:mod:`inspect_audit.grade_patterns.consistency`, ``inspect-audit grade-patterns --fit``).

Known truth, no MCMC: per-inspector tables built from planted values.

* A planted monotone relation (log consistency = 2 x excess middle share + N(0, 0.02) noise, 40 inspectors,
  excess uniform on [-0.3, 0.3]; seed 3) must give Spearman's rho >= 0.95 with an interval above 0.85:
  the noise moves the ranks of a few neighbours only (by hand: noise SD 0.02 against a spacing of about
  2 x 0.6 / 40 = 0.03 between neighbours).
* Independent values (40 inspectors, 300 datasets, seeds 0-299, 1,000 bootstrap resamples each): the 90% interval
  must cover 0 in 84-96% of datasets (nominal 90%; the binomial SD of a 300-dataset coverage is 1.7 points).

One quick fit (the planted design of ``tests/test_inspectors_consistency.py``: 600 simulated schools,
30 inspectors, the three busiest given uniformly random grades, seed 1 / 9; 2 chains x 400 draws after 400
tuning, fit seed 2, no repair; about 20 s at a load of 2): the erratic inspectors must be among the five least
consistent *and* have a middle share whose Wilson interval lies below chance, and the rank correlation must be
positive (interval above 0), the sign the cumulative logit predicts.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from inspect_audit._core import privacy
from inspect_audit.cli import grade_patterns as grade_patterns_cli
from inspect_audit.grade_patterns import consistency as cons

KEY = "test-key"


def planted(excess: np.ndarray, log_consistency: np.ndarray, n: int = 20) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A concentration table (raw ids ``I00``...) and a fit's effects table (the same ids pseudonymised)."""
    ids = [f"I{i:02d}" for i in range(len(excess))]
    chance = 0.55
    groups = pd.DataFrame({"area": "achievement", "scale": "report_card_5", "lead_inspector_id": ids, "n": n,
                           "middle_share": chance + excess, "middle_low": chance + excess - 0.1,
                           "middle_high": chance + excess + 0.1, "chance_middle": chance})
    effects = pd.DataFrame({"inspector_id": privacy.pseudonymise(pd.Series(ids), KEY), "n_inspections": n,
                            "consistency_mean": np.exp(log_consistency),
                            "consistency_ci_low": np.exp(log_consistency - 0.3),
                            "consistency_ci_high": np.exp(log_consistency + 0.3)})
    return groups, effects


def test_a_planted_monotone_relation_is_recovered():
    rng = np.random.default_rng(3)
    excess = rng.uniform(-0.3, 0.3, 40)
    groups, effects = planted(excess, 2 * excess + rng.normal(0, 0.02, 40))
    table = cons.consistency_vs_middle(groups, effects, area="achievement", key=KEY)
    assert len(table) == 40 and table["inspector_id"].str.startswith("Inspector-").all()
    # each inspector's two measures come from the same planted inspector (the join is on the pseudonym)
    assert np.allclose(np.log(table["consistency_mean"]), table["log_consistency"])
    # rows paired by the join (a scrambled join would give a Pearson correlation near 0)
    assert np.corrcoef(table["excess_middle"], table["log_consistency"])[0, 1] > 0.99
    r = cons.consistency_middle_correlation(table, seed=1).iloc[0]
    assert r["estimate"] >= 0.95 and r["ci_low"] > 0.85 and r["ci_high"] <= 1 and r["n"] == 40
    assert "bootstrap over inspectors" in r["method"]


def test_independent_measures_give_an_interval_covering_zero_at_the_nominal_rate():
    covered = []
    for seed in range(300):  # the joined table's two columns drawn directly (the join is tested above)
        rng = np.random.default_rng(seed)
        table = pd.DataFrame({"excess_middle": rng.uniform(-0.3, 0.3, 40), "log_consistency": rng.normal(0, 0.3, 40)})
        r = cons.consistency_middle_correlation(table, n_boot=1000, seed=seed).iloc[0]
        covered.append(r["ci_low"] <= 0 <= r["ci_high"])
    assert 0.84 <= np.mean(covered) <= 0.96, np.mean(covered)


def test_small_inspectors_are_left_out_and_too_few_give_no_estimate():
    groups, effects = planted(np.linspace(-0.2, 0.2, 6), np.linspace(-1, 1, 6))
    groups.loc[0, "n"] = 9  # under 10 in the concentration table
    effects.loc[1, "n_inspections"] = 9  # under 10 in the fit
    table = cons.consistency_vs_middle(groups, effects, area="achievement", key=KEY)
    assert len(table) == 4 and table.attrs["inspectors_joined"] == 4
    r = cons.consistency_middle_correlation(table).iloc[0]
    assert np.isnan(r["estimate"]) and r["n"] == 4 and r["method"].startswith("not estimated")
    assert "not estimated" in cons.correlation_sentence(cons.consistency_middle_correlation(table), "achievement",
                                                        "Expected standard")


def test_a_fit_without_consistency_or_without_shared_inspectors_is_a_clear_error():
    groups, effects = planted(np.linspace(-0.2, 0.2, 6), np.linspace(-1, 1, 6))
    with pytest.raises(ValueError, match="--consistency"):
        cons.consistency_vs_middle(groups, effects.drop(columns=cons.CONSISTENCY_COLUMNS), key=KEY)
    with pytest.raises(ValueError, match="another key"):
        cons.consistency_vs_middle(groups, effects, key="another")
    two = pd.concat([groups, groups.assign(area="inclusion")])
    with pytest.raises(ValueError, match="several areas"):
        cons.consistency_vs_middle(two, effects, key=KEY)


def test_command_refuses_a_fit_without_consistency(tmp_path, capsys, monkeypatch):
    from conftest import run_cli
    from inspect_audit.reporting import evidence_pack
    from inspect_audit.reporting.evidence_pack import FitView

    _, effects = planted(np.zeros(3), np.zeros(3))
    view = FitView("single_area", {"ok": True}, effects.drop(columns=cons.CONSISTENCY_COLUMNS), area="achievement")
    monkeypatch.setattr(evidence_pack, "open_fit", lambda folder: view)
    code = run_cli(grade_patterns_cli.register, ["grade-patterns", "--data", "bundled", "--fit", str(tmp_path),
                                                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "has no inspector consistency" in err and "--consistency" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()  # refused before any work


def test_command_refuses_a_missing_fit_folder(tmp_path, capsys):
    from conftest import run_cli

    code = run_cli(grade_patterns_cli.register, ["grade-patterns", "--data", "bundled", "--fit",
                                                 str(tmp_path / "missing"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "no such folder" in err and len(err.splitlines()) == 1


def test_erratic_inspectors_are_inconsistent_and_below_chance_in_the_middle(tmp_path, capsys):
    from conftest import run_cli
    from inspect_audit.cli import inspectors as inspectors_cli
    from inspect_audit.data.simulate import SimulationConfig, simulate

    data = simulate(SimulationConfig(n_schools=600, n_inspectors=30, paired_n_schools=0, survey_n_schools=0), seed=1)
    busiest = data.inspections["lead_inspector_id"].value_counts().index[:3].tolist()
    ids = set(data.inspections.loc[data.inspections["lead_inspector_id"].isin(busiest), "inspection_id"])
    j = data.judgements.copy()
    sel = (j["area"] == "overall_effectiveness") & j["inspection_id"].isin(ids)
    j.loc[sel, "grade"] = np.random.default_rng(9).integers(1, 5, size=int(sel.sum()))
    data.judgements = j
    data.write(tmp_path / "data")
    fit = tmp_path / "fit"
    run_cli(inspectors_cli.register, ["inspectors", "--data", str(tmp_path / "data"), "--consistency", "--chains", "2",
                                      "--tune", "400", "--draws", "400", "--seed", "2", "--no-repair", "--quiet",
                                      "--out", str(fit)])
    assert (fit / "posterior.nc").exists()
    capsys.readouterr()
    out = tmp_path / "gp"
    assert run_cli(grade_patterns_cli.register, ["grade-patterns", "--data", str(tmp_path / "data"), "--fit", str(fit),
                                                 "--permutations", "500", "--bootstrap", "500", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "consistency_vs_middle.csv")
    erratic = set(privacy.pseudonymise(pd.Series(busiest)))
    assert erratic <= set(table.nsmallest(5, "consistency_mean")["inspector_id"])
    mine = table[table["inspector_id"].isin(erratic)]
    assert (mine["middle_high"] < mine["chance_middle"]).all()  # fewer Good grades than chance, clearly
    assert (table["n"] >= 10).all() and (table["n_fit"] >= 10).all()
    info = json.loads((out / "grade_patterns.json").read_text())["consistency_vs_middle"]
    assert info["area"] == "overall_effectiveness" and info["n"] == len(table) and info["ci_low"] > 0
    assert "Spearman's rho" in printed and f"n = {len(table)} inspectors" in printed
    assert (out / "consistency_vs_middle.png").exists()
    assert "consistency_vs_middle.csv" in json.loads((out / "privacy.json").read_text())["files"]
