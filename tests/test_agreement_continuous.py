"""Continuous scores without a category list: Krippendorff's interval and ratio alpha, the ICCs and
``agreement_table(categories=None)``; and the F-based interval of every ICC form against R's psych::ICC.
"""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pandas as pd
import pytest

from inspect_audit.agreement.coefficients import AgreementError, coefficient_estimates, continuous_alpha
from inspect_audit.agreement.icc import ICC_NAMES, icc_estimates
from inspect_audit.agreement.table import agreement_table, as_json

nan = math.nan

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", sec. E: interval .849, ratio .797.
KRIPP_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
]).T


def scores(n=60, r=4, seed=0, missing=0.3, positive=False):
    """Continuous scores: unit level + rater noise, some ratings missing (seeded)."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(4.0, 1.5, n)[:, None] + rng.normal(0, 1.2, (n, r))
    if positive:
        x = np.abs(x)
    x[rng.random(x.shape) < missing] = nan
    return x


def test_published_interval_and_ratio_alpha_without_categories():
    # The same ratings read as scores: the interval and ratio distances depend on the values only, so the
    # published alphas (and the categorical engine's, to 1e-12) come back without a category list.
    for metric, published in (("interval", 0.849), ("ratio", 0.797)):
        res = continuous_alpha(KRIPP_2011, metric)
        assert round(res["estimate"], 3) == published
        cat = coefficient_estimates(KRIPP_2011, [1, 2, 3, 4, 5])[f"krippendorff_alpha_{metric}"]
        assert res["estimate"] == pytest.approx(cat["estimate"], abs=1e-12)
        assert res["se"] == pytest.approx(cat["se"], rel=1e-9)  # both the delete-one-unit jackknife
        assert res["n"] == 11


@pytest.mark.parametrize("metric", ["interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_continuous_alpha_equals_krippendorff_package(metric, seed):
    # krippendorff package (value domain = every observed value): agreement to 1e-12 on 60 units x 4 raters,
    # 30% missing, all values distinct.
    x = scores(seed=seed, positive=True)
    ref = krippendorff.alpha(reliability_data=x.T, level_of_measurement=metric)
    assert continuous_alpha(x, metric)["estimate"] == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("metric", ["interval", "ratio"])
def test_continuous_alpha_jackknife_equals_leave_one_unit_out(metric):
    x = scores(n=30, seed=4, positive=True)
    keep = (~np.isnan(x)).sum(axis=1) >= 2
    xs = x[keep]
    vals = np.array([krippendorff.alpha(reliability_data=np.delete(xs, i, axis=0).T, level_of_measurement=metric)
                     for i in range(xs.shape[0])])
    n = xs.shape[0]
    jk = math.sqrt((n - 1) / n * ((vals - vals.mean()) ** 2).sum())
    res = continuous_alpha(x, metric, ci_prob=0.95)
    assert res["se"] == pytest.approx(jk, rel=1e-9)
    assert res["ci_low"] == pytest.approx(res["estimate"] - 1.959964 * jk, abs=1e-5)
    assert "95% normal interval" in res["method"]


def test_continuous_alpha_bootstrap_is_seeded_and_equals_recomputation():
    x = scores(n=50, seed=5)
    a = continuous_alpha(x, n_boot=300, seed=7)
    assert a == continuous_alpha(x, n_boot=300, seed=7)
    assert a["ci_low"] < a["estimate"] < a["ci_high"] and "90% unit bootstrap (300 replicates, seed 7)" in a["method"]
    # the replicates come from re-weighted per-unit sums: recomputing alpha on the resampled rows gives the same
    from inspect_audit.agreement.coefficients import _ContinuousAlpha

    ca = _ContinuousAlpha(x, "interval")
    keep = (~np.isnan(x)).sum(axis=1) >= 2
    idx = np.random.default_rng(3).integers(0, ca.n, size=(3, ca.n))
    c = np.stack([np.bincount(i, minlength=ca.n) for i in idx]).astype(float)
    reps = ca._weighted(c)
    for b in range(3):
        ref = krippendorff.alpha(reliability_data=x[keep][idx[b]].T, level_of_measurement="interval")
        assert reps[b] == pytest.approx(ref, abs=1e-10)


def test_continuous_alpha_undefined_and_errors_say_why():
    neg = scores(n=20, seed=1)
    neg[0, :2] = [-1.0, 2.0]
    res = continuous_alpha(neg, "ratio")
    assert math.isnan(res["estimate"]) and "non-negative" in res["method"]
    flat = np.full((5, 3), 2.5)
    res = continuous_alpha(flat)
    assert math.isnan(res["estimate"]) and "undefined: expected disagreement is 0" in res["method"]
    with pytest.raises(AgreementError, match="two or more raters"):
        continuous_alpha(np.array([[1.5, nan], [nan, 2.5]]))
    with pytest.raises(AgreementError, match="interval or ratio"):
        continuous_alpha(scores(), "ordinal")
    with pytest.raises(AgreementError, match="ci_prob"):
        continuous_alpha(scores(), ci_prob=90)


def test_table_without_categories_on_continuous_scores():
    x = scores(n=80, seed=3, missing=0.2, positive=True)
    table = agreement_table(x, n_boot=200, seed=1)
    names = list(table["statistic"])
    assert names == ["krippendorff_alpha_interval", "krippendorff_alpha_ratio", "categorical_coefficients",
                     *ICC_NAMES, "cronbach_alpha"]
    t = table.set_index("statistic")
    skipped = t.loc["categorical_coefficients"]
    assert math.isnan(skipped["estimate"]) and skipped["method"].startswith("skipped:")
    for name in ("Gwet's AC1/AC2", "Fleiss'", "Conger's", "Scott's", "ordinal alpha", "no category list"):
        assert name in skipped["method"], name
    pairable = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    for name in ["krippendorff_alpha_interval", "krippendorff_alpha_ratio", *ICC_NAMES]:
        row = t.loc[name]
        assert row["ci_low"] < row["estimate"] < row["ci_high"], name
        assert row["n"] == pairable, name
    # the ICCs and alpha are the functions' own values: no category list was ever needed
    icc = icc_estimates(x)
    for name in ICC_NAMES:
        assert t.loc[name, "estimate"] == icc[name]["estimate"]
    assert t.loc["krippendorff_alpha_interval", "estimate"] == pytest.approx(
        krippendorff.alpha(reliability_data=x.T, level_of_measurement="interval"), abs=1e-12)
    assert "no bootstrap for the ratio metric" in t.loc["krippendorff_alpha_ratio", "method"]
    out = as_json(table, None)
    assert out["categories"] is None and out["statistics"]["categorical_coefficients"]["estimate"] is None


def test_table_without_categories_on_long_data_and_nominal_error():
    x = scores(n=30, seed=2)
    long = pd.DataFrame([(f"u{i}", f"r{j}", x[i, j]) for i in range(30) for j in range(4) if not np.isnan(x[i, j])],
                        columns=["school", "inspector", "score"])
    from_long = agreement_table(long, targets="school", raters="inspector", ratings="score", n_boot=0)
    wide = agreement_table(x, n_boot=0)
    a = from_long.set_index("statistic")["estimate"]
    b = wide.set_index("statistic")["estimate"]
    assert np.allclose(a.to_numpy(), b.to_numpy(), equal_nan=True, atol=1e-12)
    with pytest.raises(AgreementError, match="nominal ratings need their category list"):
        agreement_table(x, level="nominal", n_boot=0)


# --------------------------------------------------------------- ICC intervals against R

# Ten units scored by three raters (continuous, two decimals). Reference: R 4 psych::ICC(x, alpha = a,
# lmer = FALSE), columns ICC, lower bound, upper bound, printed to 15 digits; rows ICC1, ICC2, ICC3, ICC1k,
# ICC2k, ICC3k. Tolerance 1e-12: the same closed forms (Shrout & Fleiss 1979; McGraw & Wong 1996).
CONTINUOUS = np.array([
    [4.12, 3.80, 4.55], [2.31, 2.95, 2.10], [5.60, 5.02, 6.15], [3.33, 3.90, 3.48], [1.75, 2.40, 1.20],
    [4.98, 4.41, 5.30], [2.86, 3.62, 2.71], [6.02, 5.38, 5.95], [3.70, 3.15, 4.22], [2.05, 2.88, 2.49],
])
PSYCH = {
    0.90: [(0.893367804654049, 0.767836116822371, 0.961900695819870),
           (0.893047242539596, 0.763214880008784, 0.962035981027790),
           (0.885065084784529, 0.746027108058269, 0.959095285145192),
           (0.961735804792610, 0.908440893859567, 0.986969257115387),
           (0.961611941722298, 0.906276784837442, 0.987016728909257),
           (0.958509200586285, 0.898086931536543, 0.985982850033424)],
    0.95: [(0.893367804654049, 0.732461754638495, 0.969334950508933),
           (0.893047242539596, 0.726168981778581, 0.969475761485714),
           (0.885065084784529, 0.706697229645878, 0.967109623063283),
           (0.961735804792610, 0.891461846846526, 0.989564990106427),
           (0.961611941722298, 0.888338792494888, 0.989613902006990),
           (0.958509200586285, 0.878468781087616, 0.988790756866538)],
}


@pytest.mark.parametrize("ci_prob", [0.90, 0.95])
def test_every_icc_form_and_interval_matches_r_psych(ci_prob):
    res = icc_estimates(CONTINUOUS, ci_prob=ci_prob)
    for name, (value, low, high) in zip(ICC_NAMES, PSYCH[ci_prob], strict=True):
        r = res[name]
        assert (r["estimate"], r["ci_low"], r["ci_high"]) == pytest.approx((value, low, high), abs=1e-12), name
        assert r["n"] == 10 and f"exact F-based interval (Shrout & Fleiss 1979; McGraw & Wong 1996), {ci_prob:.0%}" \
            in r["method"]


def test_zero_error_mean_square_gives_the_point_interval_psych_gives():
    # psych::ICC on t, t + 1, t + 2 (t = 1, 3, 2, 5, 4, 6) at alpha = .10: ICC3 and ICC3k are 1 with bounds 1 and
    # 1 (the residual mean square is 0); ICC2 0.7777778 (0.1535329 to 0.9529444); ICC1 0.76 (0.4424506 to
    # 0.9413098). On t, t, t every form is 1 with bounds 1 and 1.
    t = np.array([1.0, 3, 2, 5, 4, 6])
    res = icc_estimates(t[:, None] + np.array([0.0, 1, 2]))
    for name in ("icc3_1", "icc3_k"):
        assert (res[name]["estimate"], res[name]["ci_low"], res[name]["ci_high"]) == pytest.approx((1, 1, 1))
        assert "single point 1" in res[name]["method"]
    assert (res["icc2_1"]["estimate"], res["icc2_1"]["ci_low"], res["icc2_1"]["ci_high"]) == pytest.approx(
        (0.7777778, 0.1535329, 0.9529444), abs=5e-8)
    assert (res["icc1_1"]["ci_low"], res["icc1_1"]["ci_high"]) == pytest.approx((0.4424506, 0.9413098), abs=5e-8)
    same = icc_estimates(np.repeat(t[:, None], 3, axis=1))
    for name in ICC_NAMES:
        assert (same[name]["estimate"], same[name]["ci_low"], same[name]["ci_high"]) == pytest.approx((1, 1, 1)), name


def test_average_measure_lower_limit_past_the_pole_is_minus_infinity_with_a_reason():
    # Four units, each rated by two of four raters (unbalanced): the F-based lower limit of the variance ratio is
    # below -1/k, where k theta / (1 + k theta) has its pole. Before, Spearman-Brown mapped it to a lower limit
    # of 68 above an upper limit of 0.98; now the limit is -inf and method says why.
    x = np.array([[1, 2, nan, nan], [nan, nan, 3, 4], [2, nan, 3, nan], [nan, 5, nan, 4]])
    res = icc_estimates(x)
    for name in ("icc2_k", "icc3_k"):
        r = res[name]
        assert r["ci_low"] == -math.inf and r["ci_low"] < r["estimate"] < r["ci_high"] < 1, name
        assert "lower limit -inf" in r["method"], name
    for name in ("icc1_1", "icc1_k", "icc2_1", "icc3_1"):
        assert res[name]["ci_low"] < res[name]["estimate"] < res[name]["ci_high"], name


@pytest.mark.parametrize("seed", range(6))
def test_every_defined_icc_has_an_interval_or_says_why(seed):
    # Random incomplete designs, some tiny: an estimate never comes with a NaN interval and no word about it.
    rng = np.random.default_rng(seed)
    n, r = int(rng.integers(3, 12)), int(rng.integers(2, 6))
    x = np.round(rng.normal(0, 1, (n, 1)) + rng.normal(0, 1, (n, r)), 1)
    x[rng.random(x.shape) < 0.35] = nan
    try:
        res = icc_estimates(x)
    except ValueError:
        return
    for name, row in res.items():
        if np.isfinite(row["estimate"]) and (np.isnan(row["ci_low"]) or np.isnan(row["ci_high"])):
            assert "no F-based interval" in row["method"], (name, row["method"])
        if not np.isfinite(row["estimate"]):
            assert "undefined:" in row["method"], name
