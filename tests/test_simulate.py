"""The simulator: deterministic, schema-valid, and its data carry the truth it declares."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from inspect_audit.data.simulate import SimulationConfig, simulate
from inspect_audit.data.validation import validate_frames

SMALL = SimulationConfig(n_schools=800, n_inspectors=40, survey_n_schools=20)


@pytest.fixture(scope="module")
def data():
    return simulate(SMALL, seed=11)


def test_same_seed_same_tables_and_other_seed_differs(data):
    again = simulate(SMALL, seed=11)
    for name, frame in data.tables().items():
        pd.testing.assert_frame_equal(frame, again.tables()[name], check_like=False, obj=name)
    assert again.truth == data.truth
    other = simulate(SMALL, seed=12)
    assert not other.judgements["grade"].equals(data.judgements["grade"])


def test_every_table_passes_the_validator(data, tmp_path):
    report = validate_frames(data.tables())
    assert report.ok, report.errors().head(10).to_string()


def test_write_is_complete_and_truth_is_json(data, tmp_path):
    out = tmp_path / "sim"
    data.write(out)
    data.write(out)  # replacing an existing folder works
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{t}.csv" for t in data.tables()] + ["truth.json"])
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth["seed"] == 11 and "simulated" in truth["notice"]
    assert not list(tmp_path.glob(".sim.*")), "temporary folders left behind"


def test_grade_shares_match_the_target_england_shares():
    """Latest inspection per school vs the England targets. Tolerance 2.5 points: the binomial SD of a
    share near 0.77 over 2,000 schools is about 0.9 points, so this is under 3 SD."""
    d = simulate(SimulationConfig(), seed=3)
    got = d.truth["grade_shares"]["latest_per_school"]
    for label, target in d.truth["grade_shares"]["target"].items():
        assert got[label] == pytest.approx(target, abs=0.025), label


def test_planted_inspectors_and_effect_sizes_are_in_the_truth(data):
    truth = data.truth
    severity = {r["inspector_id"]: r["severity"] for r in truth["inspectors"]}
    assert len(truth["planted"]["severe"]) == SMALL.n_planted_severe
    # severe planted inspectors are harsher than every lenient planted one (planted residual +-1.5)
    assert min(severity[i] for i in truth["planted"]["severe"]) > max(severity[i] for i in truth["planted"]["lenient"])
    # gender effect of the published size: about 3 points on primary "RI or worse" (default gamma_male)
    assert 1.5 < truth["gamma_implied_effects"]["male_vs_female_primary_ri_or_worse_points"] < 4.5


def test_observed_grades_carry_the_declared_deprivation_gradient():
    """Context bias: share Good or better falls from FSM quintile 1 to 5 (total effect -0.35 logit per
    quintile), and progress falls with deprivation (mediation). Seed 5, 2,000 schools."""
    d = simulate(SimulationConfig(), seed=5)
    oe = d.judgements[d.judgements["area"] == "overall_effectiveness"].merge(d.inspections, on="inspection_id")
    oe = oe.merge(d.schools, on="urn")
    good = (oe["grade"] <= 2).groupby(oe["fsm_quintile"]).mean()
    assert good.loc[1] - good.loc[5] > 0.05
    primary = d.schools[d.schools["phase"] == "primary"]
    assert primary.groupby("fsm_quintile")["ks2_progress"].mean().is_monotonic_decreasing


def test_paired_study_and_complaints_follow_their_design(data):
    paired = data.ratings[data.ratings["rater_type"] == "inspector"]
    per_unit = paired[paired["area"] == "overall_effectiveness"].groupby("unit_id")["rater_id"].nunique()
    assert (per_unit == 2).all() and len(per_unit) == SMALL.paired_n_schools
    decided = data.complaints[data.complaints["outcome"].isin(["upheld", "partially_upheld", "not_upheld"])]
    upheld = decided["outcome"].isin(["upheld", "partially_upheld"]).mean()
    n = len(decided)
    # binomial 99% band around the calibrated 18% target
    assert abs(upheld - SMALL.upheld_target) < 2.6 * np.sqrt(0.18 * 0.82 / n) + 0.01
    # complaint rate rises with a worse grade, as declared (1% Outstanding ... 30% Inadequate)
    oe = data.judgements[data.judgements["area"] == "overall_effectiveness"].set_index("inspection_id")["grade"]
    rate = oe.index.isin(data.complaints["inspection_id"])
    by_grade = pd.Series(rate).groupby(oe.to_numpy()).mean()
    assert by_grade.loc[1] < by_grade.loc[3]


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="target_shares"):
        SimulationConfig(target_shares=(0.5, 0.5, 0.5, 0.5))
    with pytest.raises(ValueError, match="planted"):
        SimulationConfig(n_inspectors=4, n_planted_severe=3, n_planted_lenient=3)
