"""Weighted chance-corrected coefficients (linear, quadratic, custom) for two and many raters.

References: Gwet's R package irrCAC (README outputs for the unweighted coefficients) and its Python port
irrCAC 0.4.4 (Fergadis; same formulas, Gwet 2014, *Handbook of Inter-Rater Reliability*, 4th ed., ch. 2-6)
for the weighted ones, which print 5 decimals: tolerance 1e-5 (the printed rounding plus float slack).
A 2-rater, 3-category table worked by hand in the comments lets every weighted formula fail on its own.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from inspect_audit.agreement import coefficients as co
from inspect_audit.agreement.coefficients import AgreementError, bootstrap, coefficient_estimates, weights
from inspect_audit.agreement.table import agreement_table

nan = math.nan

# irrCAC dataset cac.raw4raters exactly as the package lays it out (12 subjects, raters in the package's
# column order: unlike Krippendorff's (2011) layout, subject 12's single rating is Rater3's). Conger's kappa
# has rater-specific marginals, so the column order matters for it.
RAW4RATERS = np.array([
    [1, 1, nan, 1], [2, 2, 3, 2], [3, 3, 3, 3], [3, 3, 3, 3], [2, 2, 2, 2], [1, 2, 3, 4],
    [4, 4, 4, 4], [1, 1, 2, 1], [2, 2, 2, 2], [nan, 5, 5, 5], [nan, nan, 1, 1], [nan, nan, 3, nan],
])
CATS5 = [1, 2, 3, 4, 5]
# A custom matrix: half credit for adjacent grades only.
W5 = np.array([[1, .5, 0, 0, 0], [.5, 1, .5, 0, 0], [0, .5, 1, .5, 0], [0, 0, .5, 1, .5], [0, 0, 0, .5, 1]])

# (estimate, SE) from irrCAC: conger.kappa.raw, fleiss.kappa.raw, gwet.ac1.raw, bp.coeff.raw, pa.coeff.raw with
# weights = "linear", "quadratic" or the matrix W5 (R README for the unweighted conger: 0.76282, se 0.14917).
IRRCAC_RAW4RATERS = {
    "conger_kappa": (0.76282, 0.14917),
    "conger_kappa_linear": (0.81378, 0.14509),
    "conger_kappa_quadratic": (0.85771, 0.14367),
    "conger_kappa_custom": (0.80009, 0.14533),
    "fleiss_kappa_linear": (0.81794, 0.14850),
    "fleiss_kappa_quadratic": (0.86494, 0.14603),
    "fleiss_kappa_custom": (0.80255, 0.14775),
    "gwet_ac2_linear": (0.85874, 0.11733),
    "gwet_ac2_quadratic": (0.91400, 0.10396),
    "gwet_ac2_custom": (0.82715, 0.12966),
    "brennan_prediger_linear": (0.84848, 0.12336),
    "brennan_prediger_quadratic": (0.90152, 0.11089),
    "brennan_prediger_custom": (0.82244, 0.13265),
}
# Weighted percent agreement (irrCAC "pa" of the weighted runs) and krippen.alpha.raw: quadratic 0.84911
# (= Krippendorff's interval alpha, whose distance is proportional to 1 - w), custom 0.78429 (distance 1 - W5).
IRRCAC_PA = {"percent_agreement_linear": 0.93939, "percent_agreement_quadratic": 0.97538,
             "percent_agreement_custom": 0.88636}
IRRCAC_ALPHA = {"krippendorff_alpha_interval": 0.84911, "krippendorff_alpha_custom": 0.78429}
TOL = 1e-5


def table_to_ratings(table: np.ndarray) -> np.ndarray:
    """Two-rater units x 2 matrix from a q x q contingency table (categories 1..q)."""
    return np.array([[k + 1, l + 1] for k in range(table.shape[0]) for l in range(table.shape[1])
                     for _ in range(int(table[k, l]))], dtype=float)


def test_many_raters_weighted_match_irrcac():
    res = coefficient_estimates(RAW4RATERS, CATS5, weights=W5)
    for name, (value, se) in IRRCAC_RAW4RATERS.items():
        assert res[name]["estimate"] == pytest.approx(value, abs=TOL), name
        assert res[name]["se"] == pytest.approx(se, abs=TOL), name
    for name, value in {**IRRCAC_PA, **IRRCAC_ALPHA}.items():
        assert res[name]["estimate"] == pytest.approx(value, abs=TOL), name
    assert "custom weights" in res["conger_kappa_custom"]["method"]


# irrCAC README, cont3x3abstractors (2 raters, 100 subjects). scott2.table with weights: linear 0.8428
# (se 0.04796), quadratic 0.89211 (se 0.0354), custom W3 0.80737 (se 0.05647); krippen2.table custom 0.80834.
# The *.table SEs divide by n where the raw-data formula divides by n - 1: ours are larger by sqrt(n / (n - 1)).
CONT3X3 = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
W3 = np.array([[1, .5, 0], [.5, 1, .25], [0, .25, 1]])


def test_two_raters_weighted_scott_matches_irrcac():
    x = table_to_ratings(CONT3X3)
    res = coefficient_estimates(x, [1, 2, 3], weights=W3)
    k = math.sqrt(99 / 100)
    for name, (value, se) in {"scott_pi_linear": (0.84280, 0.04796), "scott_pi_quadratic": (0.89211, 0.03540),
                              "scott_pi_custom": (0.80737, 0.05647)}.items():
        assert res[name]["estimate"] == pytest.approx(value, abs=TOL), name
        assert res[name]["se"] * k == pytest.approx(se, abs=TOL), name
    assert res["krippendorff_alpha_custom"]["estimate"] == pytest.approx(0.80834, abs=TOL)
    # kappa2.table with the same W3: 0.80752 (se 0.05634, the Fleiss-Cohen-Everitt SE, no n / (n - 1) factor)
    assert res["cohen_kappa_custom"]["estimate"] == pytest.approx(0.80752, abs=TOL)
    assert res["cohen_kappa_custom"]["se"] == pytest.approx(0.05634, abs=TOL)


def test_hand_worked_two_raters_three_categories_linear_weights():
    # Six units rated by A and B: (1,1) x2, (1,2), (2,2), (2,3), (3,3). Linear weights on 1..3:
    # w = [[1, .5, 0], [.5, 1, .5], [0, .5, 1]].
    # Weighted agreement p_o = (2*1 + .5 + 1 + .5 + 1) / 6 = 5/6.
    # Margins: A = (3, 2, 1)/6, B = (2, 2, 2)/6; w B = (.5, 2/3, .5); Cohen p_e = A . wB = 1/4 + 2/9 + 1/12 = 5/9,
    #   kappa_w = (5/6 - 5/9) / (4/9) = 5/8; Conger and Light equal Cohen with two raters on complete data.
    # Scott: pi = (A + B)/2 = (5, 4, 3)/12; w pi = (7, 8, 5)/12; p_e = (35 + 32 + 15)/144 = 41/72,
    #   pi_w = (60/72 - 41/72) / (31/72) = 19/31; Fleiss' kappa is Scott's pi here.
    # Brennan-Prediger: p_e = sum(w) / q^2 = 5/9, so 5/8 as well.
    # Gwet AC2: p_e = sum(w) / (q (q - 1)) * sum pi (1 - pi) = (5/6) (35 + 32 + 27)/144 = 235/432,
    #   AC2 = (360 - 235) / (432 - 235) = 125/197.
    # Krippendorff, distance 1 - w: coincidences o11 = 4, o12 = o21 = 1, o22 = 2, o23 = o32 = 1, o33 = 2;
    #   n_c = (5, 4, 3), n = 12; D_o = (2 * .5 + 2 * .5)/12 = 2/12;
    #   D_e = (2*5*4*.5 + 2*5*3*1 + 2*4*3*.5) / (12 * 11) = 62/132; alpha = 1 - (2/12) / (62/132) = 20/31.
    x = np.array([[1, 1], [1, 1], [1, 2], [2, 2], [2, 3], [3, 3]], float)
    lin = weights([1, 2, 3], "linear")
    res = coefficient_estimates(x, [1, 2, 3], weights=lin)
    expected = {"percent_agreement": 5 / 6, "cohen_kappa": 5 / 8, "conger_kappa": 5 / 8, "light_kappa": 5 / 8,
                "scott_pi": 19 / 31, "fleiss_kappa": 19 / 31, "brennan_prediger": 5 / 8, "gwet_ac2": 125 / 197}
    for stem, value in expected.items():
        for suffix in ("_linear", "_custom"):  # the custom matrix is the linear one: same numbers
            assert res[f"{stem}{suffix}"]["estimate"] == pytest.approx(value, abs=1e-12), stem + suffix
    assert res["krippendorff_alpha_custom"]["estimate"] == pytest.approx(20 / 31, abs=1e-12)


def _simulated(n, r, seed, q=4, missing=0.25):
    rng = np.random.default_rng(seed)
    true = rng.integers(1, q + 1, n)
    shift = np.arange(r) % 2  # every other rater one grade harsher: rater marginals differ (Conger != Fleiss)
    x = np.clip(true[:, None] + rng.integers(-1, 2, (n, r)) + shift, 1, q).astype(float)
    x[rng.random((n, r)) < missing] = nan
    x[:, :2] = np.where(np.isnan(x[:, :2]), true[:, None], x[:, :2])
    return x


@pytest.mark.parametrize("kind", ["linear", "quadratic"])
def test_weighted_light_is_mean_of_pairwise_weighted_cohen(kind):
    # Light (1971) averages Cohen's kappa over rater pairs; weighted, each pair's kappa is Cohen's (1968)
    # weighted kappa, here from scikit-learn on the units both raters rated.
    x = _simulated(90, 3, seed=11)
    pairs = []
    for g, h in ((0, 1), (0, 2), (1, 2)):
        ok = ~np.isnan(x[:, g]) & ~np.isnan(x[:, h])
        pairs.append(cohen_kappa_score(x[ok, g].astype(int), x[ok, h].astype(int), labels=[1, 2, 3, 4],
                                       weights=kind))
    res = coefficient_estimates(x, [1, 2, 3, 4])
    assert res[f"light_kappa_{kind}"]["estimate"] == pytest.approx(np.mean(pairs), abs=1e-12)


@pytest.mark.parametrize("name", ["light_kappa_linear", "light_kappa_quadratic", "light_kappa_custom"])
def test_weighted_light_fast_jackknife_equals_generic(name):
    # The O(entries) update of each pair's weighted margins must equal recomputing every leave-one-out table.
    rng = np.random.default_rng(4)
    x = np.full((100, 5), nan)
    for i in range(100):
        g = rng.choice(5, rng.integers(2, 5), replace=False)
        x[i, g] = np.clip(rng.integers(1, 4) + rng.integers(-1, 2, g.size), 1, 3)
    w = np.array([[1, .2, 0], [.2, 1, .7], [0, .7, 1]])
    d = co._prepare(x, [1, 2, 3])
    stats, wm = co._build_stats(d, [name], w)
    feat = co._Features(d, wm, co._needs(stats))
    generic = co._jackknife_se(feat, stats[name], np.nonzero(d.pairable)[0])
    assert coefficient_estimates(x, [1, 2, 3], weights=w)[name]["se"] == pytest.approx(generic, rel=1e-9)


@pytest.mark.parametrize("kind", ["linear", "quadratic"])
def test_weighted_conger_linearised_se_close_to_jackknife(kind):
    # Gwet's linearised variance and the delete-one-unit jackknife estimate the same first-order variance on
    # an incomplete design (25% missing): within 5% on 400 units.
    x = _simulated(400, 4, seed=3)
    name = f"conger_kappa_{kind}"
    d = co._prepare(x, [1, 2, 3, 4])
    stats, wm = co._build_stats(d, [name])
    feat = co._Features(d, wm, co._needs(stats))
    jk = co._jackknife_se(feat, stats[name], np.arange(d.n))
    assert coefficient_estimates(x, [1, 2, 3, 4])[name]["se"] == pytest.approx(jk, rel=0.05)


@pytest.mark.parametrize("n_raters", [2, 4])
def test_custom_equal_to_quadratic_gives_quadratic_for_every_stem(n_raters):
    x = _simulated(120, n_raters, seed=7)
    quad = weights([1, 2, 3, 4], "quadratic")
    res = coefficient_estimates(x, [1, 2, 3, 4], weights=quad)
    stems = ["percent_agreement", "fleiss_kappa", "conger_kappa", "light_kappa", "brennan_prediger", "gwet_ac2"]
    stems += ["cohen_kappa", "scott_pi"] if n_raters == 2 else []
    for stem in stems:
        assert res[f"{stem}_custom"]["estimate"] == pytest.approx(res[f"{stem}_quadratic"]["estimate"], abs=1e-12)
        assert res[f"{stem}_custom"]["se"] == pytest.approx(res[f"{stem}_quadratic"]["se"], rel=1e-12), stem
    # Krippendorff's interval distance (a - b)^2 is proportional to 1 - quadratic weight: same alpha
    assert res["krippendorff_alpha_custom"]["estimate"] == pytest.approx(
        res["krippendorff_alpha_interval"]["estimate"], abs=1e-12)


def test_bootstrap_replicates_of_weighted_coefficients_equal_recomputation():
    # A replicate built from re-weighted per-unit sums must equal the coefficient recomputed on the resampled rows.
    x = _simulated(40, 3, seed=9)
    names = ["conger_kappa_linear", "conger_kappa_custom", "light_kappa_quadratic", "light_kappa_custom",
             "brennan_prediger_linear", "percent_agreement_linear", "krippendorff_alpha_custom"]
    w = np.array([[1, .5, .1, 0], [.5, 1, .5, .1], [.1, .5, 1, .5], [0, .1, .5, 1]])
    reps = co._bootstrap_replicates(co._prepare(x, [1, 2, 3, 4]), names, n_boot=4, seed=5, custom=w)
    idx = np.random.default_rng(5).integers(0, x.shape[0], size=(4, x.shape[0]))
    for b in range(4):
        res = coefficient_estimates(x[idx[b]], [1, 2, 3, 4], weights=w)
        for nm in names:
            assert reps[nm][b] == pytest.approx(res[nm]["estimate"], abs=1e-10), (b, nm)
    two = _simulated(60, 2, seed=1)
    names2 = ["scott_pi_linear", "scott_pi_custom"]
    reps = co._bootstrap_replicates(co._prepare(two, [1, 2, 3, 4]), names2, n_boot=3, seed=2, custom=w)
    idx = np.random.default_rng(2).integers(0, two.shape[0], size=(3, two.shape[0]))
    for b in range(3):
        res = coefficient_estimates(two[idx[b]], [1, 2, 3, 4], weights=w)
        for nm in names2:
            assert reps[nm][b] == pytest.approx(res[nm]["estimate"], abs=1e-10), (b, nm)


def test_table_gives_every_weighted_coefficient_an_interval_and_n():
    x = _simulated(150, 3, seed=2)
    w = np.array([[1, .5, 0, 0], [.5, 1, 0, 0], [0, 0, 1, .5], [0, 0, .5, 1]])
    table = agreement_table(x, [1, 2, 3, 4], n_boot=200, seed=1, weights=w, ci_prob=0.90).set_index("statistic")
    pairable = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    for stem in ("conger_kappa", "light_kappa", "fleiss_kappa", "brennan_prediger", "percent_agreement"):
        for suffix in ("_linear", "_quadratic", "_custom"):
            row = table.loc[stem + suffix]
            assert row["ci_low"] <= row["estimate"] <= row["ci_high"], stem + suffix
            assert row["n"] == pairable and "90% unit bootstrap" in row["method"], stem + suffix
    analytic = agreement_table(x, [1, 2, 3, 4], n_boot=0, weights=w).set_index("statistic")
    row = analytic.loc["conger_kappa_custom"]
    assert row["ci_low"] == pytest.approx(row["estimate"] - 1.6448536 * row["se"], abs=1e-6)
    assert "normal interval from the analytic SE" in row["method"]


def test_nominal_level_keeps_custom_weights_and_drops_linear_quadratic():
    x = _simulated(30, 2, seed=0)
    res = coefficient_estimates(x, [1, 2, 3, 4], level="nominal", weights=np.eye(4))
    assert not any(n.endswith(("_linear", "_quadratic")) for n in res)
    for stem in ("scott_pi", "conger_kappa", "light_kappa", "cohen_kappa"):
        # identity as a custom matrix is the unweighted coefficient
        assert res[f"{stem}_custom"]["estimate"] == pytest.approx(res[stem]["estimate"], abs=1e-12)


@pytest.mark.parametrize(("w", "rule"), [
    (np.array([[1, .5, 0], [.4, 1, .5], [0, .5, 1]]), "symmetric"),
    (np.array([[1, .5, 0], [.5, .9, .5], [0, .5, 1]]), "1 on the diagonal"),
    (np.array([[1, 1.5, 0], [1.5, 1, .5], [0, .5, 1]]), "between 0 and 1"),
    (np.eye(2), "3 x 3"),
])
def test_bad_custom_matrix_names_the_rule(w, rule):
    with pytest.raises(AgreementError, match=rule):
        agreement_table(_simulated(20, 3, seed=1, q=3), [1, 2, 3], n_boot=0, weights=w)


def test_custom_weights_without_categories_is_a_clear_error():
    with pytest.raises(AgreementError, match="custom weights need the category list"):
        agreement_table(_simulated(20, 3, seed=1), None, n_boot=0, weights=np.eye(4))


def test_bootstrap_interval_of_new_weighted_statistic_is_reproducible():
    x = _simulated(200, 4, seed=8)
    a = bootstrap(x, [1, 2, 3, 4], ["conger_kappa_quadratic", "light_kappa_linear"], n_boot=200, seed=3)
    b = bootstrap(x, [1, 2, 3, 4], ["conger_kappa_quadratic", "light_kappa_linear"], n_boot=200, seed=3)
    assert a == b
    res = coefficient_estimates(x, [1, 2, 3, 4])
    for name, (lo, hi) in a.items():
        assert lo < res[name]["estimate"] < hi, name
