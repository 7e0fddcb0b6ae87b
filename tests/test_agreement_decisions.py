"""Decision consistency, paired-study intervals, per-rater and per-rater-type agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from inspect_audit.data import schemas
from inspect_audit.agreement.decisions import (confusion_matrix, decision_consistency, paired_study_interval,
                                               pairs_needed, rater_agreement, rater_type_agreement)
from inspect_audit.data.simulate import SimulationConfig, simulate

LEGACY = schemas.scale("legacy_4")


def _long(rows: list[tuple[str, str, int]], kind: str = "inspector") -> pd.DataFrame:
    return pd.DataFrame([{"unit_id": u, "rater_id": r, "rater_type": kind, "grade": g} for u, r, g in rows])


def test_ofsted_2017_paired_study_interval():
    """22 of 24 agreed (Ofsted 2017). Wilson 95% by hand: centre (p + z^2/2n)/(1 + z^2/n) = 0.8592,
    half-width 0.1177 -> (0.742, 0.977); Clopper-Pearson exact: beta quantiles (0.730, 0.990)."""
    table = paired_study_interval(22, 24).set_index("method")
    wilson = table.loc["Wilson score, 95%"]
    assert (wilson["ci_low"], wilson["ci_high"]) == pytest.approx((0.742, 0.977), abs=1e-3)
    exact = table.loc["Clopper-Pearson exact, 95%"]
    assert exact["ci_low"] == pytest.approx(stats.beta.ppf(0.025, 22, 3), abs=1e-9)
    assert exact["ci_high"] == pytest.approx(stats.beta.ppf(0.975, 23, 2), abs=1e-9)
    with pytest.raises(ValueError):
        paired_study_interval(25, 24)


@pytest.mark.parametrize("rate", [0.5, 0.9167, 0.98])
def test_pairs_needed_is_the_smallest_n(rate):
    n = pairs_needed(rate, 0.05)
    z = stats.norm.ppf(0.975)

    def half(m):
        return z * np.sqrt(rate * (1 - rate) / m + z**2 / (4 * m**2)) / (1 + z**2 / m)

    assert half(n) <= 0.05 < half(n - 1)


def test_decision_consistency_counts_units_once():
    rows = [("u1", "a", 1), ("u1", "b", 1),              # agree
            ("u2", "a", 2), ("u2", "c", 3),              # disagree; same side of inadequate only
            ("u3", "b", 3), ("u3", "c", 4),              # disagree; differ on inadequate
            ("u4", "a", 2), ("u4", "b", 2), ("u4", "c", 4)]  # 3 raters: 1 of 3 pairs agree
    table = decision_consistency(_long(rows), LEGACY, n_boot=500, seed=1).set_index("statistic")
    assert table.loc["same_grade", "estimate"] == pytest.approx((1 + 0 + 0 + 1 / 3) / 4)
    assert table.loc["same_side_good_or_better", "estimate"] == pytest.approx((1 + 0 + 1 + 1 / 3) / 4)
    assert table.loc["same_side_inadequate", "estimate"] == pytest.approx((1 + 1 + 0 + 1 / 3) / 4)
    assert (table["n"] == 4).all() and "bootstrap" in table.loc["same_grade", "method"]
    assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()


def test_confusion_matrix_is_symmetric_and_counts_pairs():
    rows = [("u1", "a", 1), ("u1", "b", 2), ("u2", "a", 2), ("u2", "b", 2)]
    matrix = confusion_matrix(_long(rows), LEGACY)
    assert matrix.to_numpy().sum() == 2 and np.allclose(matrix, matrix.T)
    assert matrix.loc["Good", "Good"] == 1 and matrix.loc["Outstanding", "Good"] == 0.5


def test_no_pairs_is_a_clear_error():
    with pytest.raises(ValueError, match="two different raters"):
        decision_consistency(_long([("u1", "a", 1), ("u2", "a", 2)]), LEGACY)


def test_rater_diagnostics_and_lenient_self_evaluation_recovered():
    """Simulated truth: self-evaluations are 0.8 logit more lenient (better grades, lower codes) than
    inspectors; peer reviewers are not biased on average. Seed 3, 400 paired schools: the inspector minus
    self-evaluation difference must be positive with its 90% interval above zero."""
    data = simulate(SimulationConfig(n_schools=800, n_inspectors=40, paired_n_schools=400), seed=3)
    ratings = data.ratings[data.ratings["area"] == "overall_effectiveness"]
    kinds = rater_type_agreement(ratings).set_index("rater_types")
    assert kinds.loc["inspector vs self_evaluation", "difference_ci_low"] > 0
    per_rater = rater_agreement(ratings[ratings["rater_type"] == "inspector"])
    assert per_rater["n_pairs"].sum() == 2 * 400
    assert ((per_rater["ci_low"] <= per_rater["agreement"]) & (per_rater["agreement"] <= per_rater["ci_high"])).all()
