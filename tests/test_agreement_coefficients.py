"""Tests for inspect_audit.agreement.coefficients against published values and libraries."""

from __future__ import annotations

import math
import time

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import cohens_kappa as sm_cohens_kappa

from inspect_audit.agreement import coefficients as co
from inspect_audit.agreement.coefficients import (
    AgreementError,
    bootstrap,
    coefficient_estimates,
    rating_summary,
    statistic_names,
    weights,
)

nan = math.nan

# Krippendorff, K. (2011). "Computing Krippendorff's Alpha-Reliability", Annenberg School
# for Communication, sec. E (4 observers x 12 units, missing values, values 1..5). Rows of
# this matrix are units, columns observers A-D. The same data are Gwet's `cac.raw4raters`
# (R package irrCAC, README / vignette "Computing agreement coefficients from raw ratings").
KRIPP_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
).T
CATS5 = [1, 2, 3, 4, 5]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories;
# n_ij = raters who put subject i in category j. Published: P-bar = 0.378, P-bar_e = 0.213,
# kappa = 0.210.
WIKI_FLEISS = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Gwet's irrCAC README, dataset `cont3x3abstractors` (2 raters, 100 subjects, 3 categories).
CONT3X3 = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])


def counts_to_ratings(counts: np.ndarray) -> np.ndarray:
    """Units x raters matrix from a units x categories count table (categories 1..q)."""
    return np.array([np.repeat(np.arange(1, counts.shape[1] + 1), row) for row in counts], dtype=float)


def table_to_ratings(table: np.ndarray) -> np.ndarray:
    """Two-rater units x 2 matrix from a q x q contingency table (categories 1..q)."""
    rows = [[k + 1, l + 1] for k in range(table.shape[0]) for l in range(table.shape[1]) for _ in range(table[k, l])]
    return np.array(rows, dtype=float)


def est(res: dict, name: str) -> float:
    return res[name]["estimate"]


# --------------------------------------------------------------------------- weights


def test_weights_match_gwet_definitions():
    # Gwet (2014), Handbook of Inter-Rater Reliability, 4th ed., sec. 3.5 (irrCAC
    # linear.weights / quadratic.weights / ordinal.weights), categories 1..4.
    w_lin = weights([1, 2, 3, 4], "linear")
    w_quad = weights([1, 2, 3, 4], "quadratic")
    w_ord = weights([1, 2, 3, 4], "ordinal")
    np.testing.assert_allclose(w_lin[0], [1, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(w_quad[0], [1, 1 - 1 / 9, 1 - 4 / 9, 0])
    # ordinal: M_kl = |k-l|+1, C(M,2) = 0, 1, 3, 6 -> 1 - C/6
    np.testing.assert_allclose(w_ord[0], [1, 5 / 6, 1 / 2, 0])
    np.testing.assert_allclose(weights([1, 2, 3, 4], "identity"), np.eye(4))
    # linear weights use category values, not ranks
    np.testing.assert_allclose(weights([0, 1, 4], "linear")[0], [1, 0.75, 0])
    custom = np.eye(3) * 0.5 + 0.5
    np.testing.assert_allclose(weights([1, 2, 3], custom), custom)


@pytest.mark.parametrize(
    "kind",
    ["cubic", np.ones((2, 2)), np.full((3, 3), 2.0), np.zeros((3, 3))],
)
def test_weights_reject_bad_kinds(kind):
    with pytest.raises(AgreementError):
        weights([1, 2, 3], kind)


# --------------------------------------------------------------- Krippendorff (2011)


def test_krippendorff_2011_published_alphas():
    # Krippendorff (2011), sec. E: nominal .743, ordinal .815, interval .849, ratio .797.
    res = coefficient_estimates(KRIPP_2011, CATS5)
    assert round(est(res, "krippendorff_alpha_nominal"), 3) == 0.743
    assert round(est(res, "krippendorff_alpha_ordinal"), 3) == 0.815
    assert round(est(res, "krippendorff_alpha_interval"), 3) == 0.849
    assert round(est(res, "krippendorff_alpha_ratio"), 3) == 0.797


def _engine(x, cats, names):
    d = co._prepare(x, cats)
    stats, wm = co._build_stats(d, names)
    feat = co._Features(d, wm, co._needs(stats))
    totals = feat.totals()
    return {nm: float(s.fn(totals)[0]) for nm, s in stats.items()}


@pytest.mark.parametrize("metric", ["nominal", "ordinal", "interval", "ratio"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_own_coincidence_alpha_matches_krippendorff_package(metric, seed):
    # The bootstrap's own coincidence-matrix alpha must equal the krippendorff package
    # (value_domain = categories, including a category nobody used).
    rng = np.random.default_rng(seed)
    cats = [0, 1, 2, 4, 7]  # uneven spacing and a zero value (ratio metric)
    true = rng.integers(0, 4, 40)
    x = np.array(cats, float)[np.clip(true[:, None] + rng.integers(-1, 2, (40, 5)), 0, 3)]
    x[rng.random(x.shape) < 0.3] = nan
    name = f"krippendorff_alpha_{metric}"
    mine = _engine(x, cats, [name])[name]
    ref = krippendorff.alpha(reliability_data=x.T, value_domain=cats, level_of_measurement=metric)
    assert mine == pytest.approx(ref, abs=1e-12)
    assert est(coefficient_estimates(x, cats), name) == pytest.approx(ref, abs=1e-12)


def test_krippendorff_ordinal_uses_the_category_set():
    # With category 3 unused, the package default domain (observed values only) would
    # treat 2 and 4 as adjacent ranks; value_domain = categories must not.
    x = np.array([[1, 2], [2, 4], [4, 4], [1, 1], [2, 2], [4, 2]], float)
    ref = krippendorff.alpha(reliability_data=x.T, value_domain=[1, 2, 3, 4], level_of_measurement="ordinal")
    assert est(coefficient_estimates(x, [1, 2, 3, 4]), "krippendorff_alpha_ordinal") == pytest.approx(ref)


# ----------------------------------------------------- Gwet's irrCAC reference output


def test_gwet_irrcac_raw4raters_estimates_and_standard_errors():
    # irrCAC README (Gwet), cac.raw4raters = Krippendorff (2011) data:
    #   pa.coeff.raw      0.8181818  se 0.12561
    #   gwet.ac1.raw      AC1 0.77544  se 0.14295  (pe 0.1903212)
    #   fleiss.kappa.raw  0.76117  se 0.15302      (pe 0.2387153)
    #   bp.coeff.raw      0.77273  se 0.14472
    res = coefficient_estimates(KRIPP_2011, CATS5)
    expected = {
        "percent_agreement": (0.8181818, 0.12561),
        "gwet_ac1": (0.77544, 0.14295),
        "fleiss_kappa": (0.76117, 0.15302),
        "brennan_prediger": (0.77273, 0.14472),
    }
    for name, (value, se) in expected.items():
        assert res[name]["estimate"] == pytest.approx(value, abs=5e-6), name
        assert res[name]["se"] == pytest.approx(se, abs=5e-6), name


def test_gwet_irrcac_cont3x3abstractors():
    # irrCAC README, cont3x3abstractors: kappa2.table 0.7964094 (se 0.05891072),
    # scott2.table 0.7962397 (se 0.05905473), gwet.ac1.table 0.8493305 (se 0.04321747),
    # bp2.table 0.835 (se 0.04693346), pa2.table 0.89 (se 0.03128898),
    # krippen2.table 0.7972585. The *.table SEs divide by n where the raw-data formulas we
    # use divide by n - 1, so ours are larger by sqrt(n / (n - 1)).
    x = table_to_ratings(CONT3X3)
    n = x.shape[0]
    res = coefficient_estimates(x, [1, 2, 3])
    k = math.sqrt((n - 1) / n)
    assert est(res, "cohen_kappa") == pytest.approx(0.7964094, abs=1e-7)
    assert res["cohen_kappa"]["se"] == pytest.approx(0.05891072, abs=1e-7)  # FCE 1969, same formula
    assert est(res, "scott_pi") == pytest.approx(0.7962397, abs=1e-7)
    assert res["scott_pi"]["se"] * k == pytest.approx(0.05905473, abs=1e-7)
    assert est(res, "gwet_ac1") == pytest.approx(0.8493305, abs=1e-7)
    assert res["gwet_ac1"]["se"] * k == pytest.approx(0.04321747, abs=1e-7)
    assert est(res, "brennan_prediger") == pytest.approx(0.835, abs=1e-9)
    assert res["brennan_prediger"]["se"] * k == pytest.approx(0.04693346, abs=1e-7)
    assert est(res, "percent_agreement") == pytest.approx(0.89, abs=1e-12)
    assert res["percent_agreement"]["se"] * k == pytest.approx(0.03128898, abs=1e-7)
    assert est(res, "krippendorff_alpha_nominal") == pytest.approx(0.7972585, abs=1e-7)


def test_gwet_ac1_two_by_two_by_hand():
    # Gwet (2008), BJMSP 61:29-48, two raters, two categories: pe = 2 pi (1 - pi) with
    # pi = (share of rater A in category 1 + share of rater B in category 1) / 2.
    # Table [[40, 9], [6, 45]]: pa = 0.85, pi = (49 + 46) / 200 = 0.475,
    # pe = 2 * 0.475 * 0.525 = 0.49875, AC1 = (0.85 - 0.49875) / 0.50125 = 0.700748...
    x = table_to_ratings(np.array([[40, 9], [6, 45]]))
    res = coefficient_estimates(x, [1, 2])
    assert est(res, "gwet_ac1") == pytest.approx((0.85 - 0.49875) / (1 - 0.49875), abs=1e-12)
    assert est(res, "gwet_ac1") == pytest.approx(0.700748, abs=1e-6)
    # Brennan-Prediger with q = 2: pe = 1/2 -> (0.85 - 0.5) / 0.5 = 0.7
    assert est(res, "brennan_prediger") == pytest.approx(0.7, abs=1e-12)


def test_unused_category_changes_bp_and_gwet_but_not_kappa():
    x = table_to_ratings(np.array([[40, 9], [6, 45]]))
    two = coefficient_estimates(x, [1, 2])
    three = coefficient_estimates(x, [1, 2, 3])
    assert est(three, "cohen_kappa") == pytest.approx(est(two, "cohen_kappa"))
    assert est(three, "fleiss_kappa") == pytest.approx(est(two, "fleiss_kappa"))
    # BP with q = 3: pe = 1/3
    assert est(three, "brennan_prediger") == pytest.approx((0.85 - 1 / 3) / (1 - 1 / 3))
    assert est(three, "gwet_ac1") != pytest.approx(est(two, "gwet_ac1"))


# --------------------------------------------------------------------- Fleiss (1971)


def test_fleiss_wikipedia_example():
    x = counts_to_ratings(WIKI_FLEISS)
    res = coefficient_estimates(x, CATS5)
    assert round(est(res, "fleiss_kappa"), 3) == 0.210
    assert est(res, "fleiss_kappa") == pytest.approx(0.20993, abs=5e-6)


def test_fleiss_category_kappas_and_null_se():
    # Fleiss (1971), Psychol. Bull. 76:378-382, eq. for kappa_j:
    #   kappa_j = 1 - sum_i x_ij (m - x_ij) / (n m (m - 1) p_j q_j)
    # and Fleiss, Nee & Landis (1979), Psychol. Bull. 86:974-977: under H0 kappa_j = 0,
    #   se_0(kappa_j) = sqrt(2 / (n m (m - 1))).
    # The overall kappa is sum_j p_j q_j kappa_j / sum_j p_j q_j.
    c = WIKI_FLEISS.astype(float)
    n, m = c.shape[0], 14
    p = c.sum(axis=0) / (n * m)
    kj = 1 - (c * (m - c)).sum(axis=0) / (n * m * (m - 1) * p * (1 - p))
    res = coefficient_estimates(counts_to_ratings(WIKI_FLEISS), CATS5)
    for j in range(5):
        r = res[f"fleiss_kappa_category_{j + 1}"]
        assert r["estimate"] == pytest.approx(kj[j], abs=1e-12)
        assert r["se"] == pytest.approx(math.sqrt(2 / (n * m * (m - 1))), abs=1e-12)
    pq = p * (1 - p)
    assert est(res, "fleiss_kappa") == pytest.approx((pq * kj).sum() / pq.sum(), abs=1e-12)


def test_fleiss_category_z_statistic_and_no_normal_interval():
    # The per-category SE holds under H0: kappa_j = 0 (Fleiss, Nee & Landis 1979): the z statistic
    # kappa_j / se_0 is reported in ``method``, and the table never builds est +- z se from it.
    from inspect_audit.agreement.table import agreement_table

    x = counts_to_ratings(WIKI_FLEISS)
    res = coefficient_estimates(x, CATS5)
    for j in range(1, 6):
        r = res[f"fleiss_kappa_category_{j}"]
        z = r["estimate"] / r["se"]
        assert f"z = {z:.2f} " in r["method"]
        assert f"p = {math.erfc(abs(z) / math.sqrt(2)):.2g})" in r["method"]
    analytic = agreement_table(x, CATS5, n_boot=0).set_index("statistic")
    boot = agreement_table(x, CATS5, n_boot=200, seed=4).set_index("statistic")
    intervals = bootstrap(x, CATS5, [f"fleiss_kappa_category_{j}" for j in range(1, 6)], n_boot=200, seed=4)
    for j in range(1, 6):
        name = f"fleiss_kappa_category_{j}"
        assert analytic.loc[name, ["ci_low", "ci_high"]].isna().all(), name
        assert "normal interval from the analytic SE" not in analytic.loc[name, "method"]
        assert (boot.loc[name, "ci_low"], boot.loc[name, "ci_high"]) == intervals[name]
        assert "unit bootstrap" in boot.loc[name, "method"]
    # the overall kappa, whose SE is non-null, does get a normal interval without a bootstrap
    assert analytic.loc["fleiss_kappa", "ci_low"] == pytest.approx(
        analytic.loc["fleiss_kappa", "estimate"] - 1.6448536 * analytic.loc["fleiss_kappa", "se"], abs=1e-6)


# Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70(4), 213-220: the worked example, a
# 3 x 3 table of diagnoses by two psychiatrists (proportions p_ij; rows rater A, columns rater B) with
# disagreement weights v_ij = [[0, 1, 3], [1, 0, 6], [3, 6, 0]]; Cohen reports kappa = .492 and weighted
# kappa = .348 (table, weights and both values as reproduced in the examples of R psych::cohen.kappa,
# n.obs = 200). Both values are re-derived by hand below, so the test does not rest on the transcription.
COHEN_1968_P = np.array([[0.44, 0.07, 0.09], [0.05, 0.20, 0.05], [0.01, 0.03, 0.06]])
COHEN_1968_V = np.array([[0, 1, 3], [1, 0, 6], [3, 6, 0]], float)


def test_cohen_1968_weighted_kappa_published_example():
    counts = np.rint(COHEN_1968_P * 200).astype(int)  # 88, 14, 18 / 10, 40, 10 / 2, 6, 12
    x = table_to_ratings(counts)
    w = 1 - COHEN_1968_V / COHEN_1968_V.max()  # agreement weights; kappa_w is invariant to this rescaling
    res = coefficient_estimates(x, [1, 2, 3], weights=w)
    # by hand: p_o = .70; margins rows (.6, .3, .1), columns (.5, .3, .2); p_e = .30 + .09 + .02 = .41
    assert est(res, "cohen_kappa") == pytest.approx(0.29 / 0.59, abs=1e-12)
    assert round(est(res, "cohen_kappa"), 3) == 0.492
    # sum v p_o = .07 + .27 + .05 + .30 + .03 + .18 = .90; sum v p_e = .18 + .36 + .15 + .36 + .15 + .18 = 1.38
    assert est(res, "cohen_kappa_custom") == pytest.approx(1 - 0.90 / 1.38, abs=1e-12)
    assert round(est(res, "cohen_kappa_custom"), 3) == 0.348
    assert "custom weights" in res["cohen_kappa_custom"]["method"]
    # Fleiss, Cohen & Everitt (1969) large-sample SE, written in its p_o / p_e form (not the library's):
    # var = [sum p_ij (w_ij (1 - p_e) - (wbar_i. + wbar_.j)(1 - p_o))^2 - (p_o p_e - 2 p_e + p_o)^2] / (n (1 - p_e)^4)
    p, n = counts / 200, 200
    row, col = p.sum(axis=1), p.sum(axis=0)
    po, pe = (w * p).sum(), row @ w @ col
    core = (w * (1 - pe) - ((w @ col)[:, None] + (row @ w)[None, :]) * (1 - po)) ** 2
    se = math.sqrt(((p * core).sum() - (po * pe - 2 * pe + po) ** 2) / (n * (1 - pe) ** 4))
    assert res["cohen_kappa_custom"]["se"] == pytest.approx(se, rel=1e-10)
    # statsmodels takes disagreement weights scaled to max 1 as a 2-D matrix
    sm = sm_cohens_kappa(counts, weights=COHEN_1968_V / COHEN_1968_V.max())
    assert est(res, "cohen_kappa_custom") == pytest.approx(sm.kappa, abs=1e-12)
    assert res["cohen_kappa_custom"]["se"] == pytest.approx(sm.std_kappa, rel=1e-10)


# ------------------------------------------------------------------------ Cohen kappa


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cohen_matches_sklearn_and_statsmodels(seed):
    rng = np.random.default_rng(seed)
    n = 60
    a = rng.integers(1, 5, n)
    b = np.clip(a + rng.integers(-1, 2, n), 1, 4)
    flip = rng.random(n) < 0.2
    b[flip] = rng.integers(1, 5, flip.sum())
    cats = [1, 2, 3, 4, 5]  # category 5 never used
    x = np.column_stack([a, b]).astype(float)
    res = coefficient_estimates(x, cats)
    table = np.zeros((5, 5))
    np.add.at(table, (a - 1, b - 1), 1)
    for suffix, sk, wt in (("", None, None), ("_linear", "linear", "linear"), ("_quadratic", "quadratic", "quadratic")):
        ref = cohen_kappa_score(a, b, labels=cats, weights=sk)
        assert est(res, f"cohen_kappa{suffix}") == pytest.approx(ref, abs=1e-12)
        sm = sm_cohens_kappa(table, wt=wt)
        assert est(res, f"cohen_kappa{suffix}") == pytest.approx(sm.kappa, abs=1e-12)
        # Fleiss, Cohen & Everitt (1969) large-sample (non-null) SE, as in statsmodels.
        assert res[f"cohen_kappa{suffix}"]["se"] == pytest.approx(sm.std_kappa, rel=1e-9)


def test_cohen_uses_units_rated_by_both():
    x = np.array([[1, 1], [2, 2], [1, 2], [2, nan], [nan, 1], [3, 3], [2, 2]], float)
    both = x[~np.isnan(x).any(axis=1)].astype(int)
    res = coefficient_estimates(x, [1, 2, 3])
    assert est(res, "cohen_kappa") == pytest.approx(cohen_kappa_score(both[:, 0], both[:, 1], labels=[1, 2, 3]))


def test_two_rater_identities():
    # Complete two-rater data: Fleiss' kappa = Scott's pi, Conger's and Light's kappa =
    # Cohen's kappa (Conger 1980; Light 1971).
    rng = np.random.default_rng(5)
    a = rng.integers(1, 4, 50)
    b = np.clip(a + rng.integers(-1, 2, 50), 1, 3)
    res = coefficient_estimates(np.column_stack([a, b]).astype(float), [1, 2, 3])
    assert est(res, "fleiss_kappa") == pytest.approx(est(res, "scott_pi"), abs=1e-12)
    assert est(res, "conger_kappa") == pytest.approx(est(res, "cohen_kappa"), abs=1e-12)
    assert est(res, "light_kappa") == pytest.approx(est(res, "cohen_kappa"), abs=1e-12)
    assert "cohen_kappa" not in coefficient_estimates(np.column_stack([a, b, a]).astype(float), [1, 2, 3])


def test_light_is_mean_of_pairwise_cohen():
    rng = np.random.default_rng(11)
    x = np.clip(rng.integers(1, 5, 80)[:, None] + rng.integers(-1, 2, (80, 3)), 1, 4).astype(float)
    x[rng.random(x.shape) < 0.15] = nan
    pairs = []
    for g, h in ((0, 1), (0, 2), (1, 2)):
        ok = ~np.isnan(x[:, g]) & ~np.isnan(x[:, h])
        pairs.append(cohen_kappa_score(x[ok, g].astype(int), x[ok, h].astype(int), labels=[1, 2, 3, 4]))
    assert est(coefficient_estimates(x, [1, 2, 3, 4]), "light_kappa") == pytest.approx(np.mean(pairs))


def test_conger_linearised_se_close_to_jackknife():
    # Gwet's linearised variance and the delete-one-unit jackknife estimate the same
    # first-order variance; on 400 units they agree within a few percent.
    rng = np.random.default_rng(3)
    n = 400
    shift = np.array([0, 0, 1, 0])  # rater 3 grades one step harsher: marginals differ
    x = np.clip(rng.integers(1, 5, n)[:, None] + rng.integers(-1, 2, (n, 4)) + shift, 1, 4).astype(float)
    x[rng.random(x.shape) < 0.2] = nan
    res = coefficient_estimates(x, [1, 2, 3, 4])
    d = co._prepare(x, [1, 2, 3, 4])
    stats, wm = co._build_stats(d, ["conger_kappa"])
    feat = co._Features(d, wm, co._needs(stats))
    jk = co._jackknife_se(feat, stats["conger_kappa"], np.arange(d.n))
    assert res["conger_kappa"]["se"] == pytest.approx(jk, rel=0.05)


def test_light_fast_jackknife_equals_generic_jackknife():
    # The O(entries) Light jackknife must equal recomputing every leave-one-out table.
    rng = np.random.default_rng(4)
    x = np.full((120, 6), nan)
    for i in range(120):
        g = rng.choice(6, rng.integers(2, 5), replace=False)
        x[i, g] = np.clip(rng.integers(1, 4) + rng.integers(-1, 2, g.size), 1, 3)
    d = co._prepare(x, [1, 2, 3])
    stats, wm = co._build_stats(d, ["light_kappa"])
    feat = co._Features(d, wm, co._needs(stats))
    rows = np.nonzero(d.pairable)[0]
    generic = co._jackknife_se(feat, stats["light_kappa"], rows)
    assert coefficient_estimates(x, [1, 2, 3])["light_kappa"]["se"] == pytest.approx(generic, rel=1e-9)


# ------------------------------------------------------------------ names and levels


def test_names_and_levels():
    names3 = statistic_names(3, [1, 2, 3, 4])
    assert names3[:3] == ["percent_agreement", "percent_agreement_linear", "percent_agreement_quadratic"]
    for stem in ("fleiss_kappa", "conger_kappa", "light_kappa", "brennan_prediger"):
        assert [f"{stem}{k}" for k in ("", "_linear", "_quadratic")] == [n for n in names3 if n.startswith(stem)
                                                                         and "category" not in n], stem
    assert "cohen_kappa" not in names3
    assert "fleiss_kappa_category_4" in names3
    names2 = statistic_names(2, [1, 2, 3, 4])
    for nm in ("cohen_kappa", "cohen_kappa_linear", "cohen_kappa_quadratic", "scott_pi", "scott_pi_linear",
               "scott_pi_quadratic"):
        assert nm in names2
    nominal = statistic_names(2, [1, 2, 3, 4], level="nominal")
    assert "cohen_kappa_linear" not in nominal and "krippendorff_alpha_ordinal" not in nominal
    x = counts_to_ratings(WIKI_FLEISS)
    res = coefficient_estimates(x, CATS5)
    assert list(res) == statistic_names(14, CATS5)
    for v in res.values():
        assert set(v) == {"estimate", "se", "method"}
        assert isinstance(v["method"], str) and v["method"]
        assert v["se"] is None or (isinstance(v["se"], float) and v["se"] >= 0)
    with pytest.raises(AgreementError):
        coefficient_estimates(x, CATS5, level="bogus")


def test_rating_summary_counts_dropped_units():
    s = rating_summary(np.vstack([KRIPP_2011, [nan] * 4]), CATS5)
    assert s["n_units_input"] == 13
    assert s["n_units_unrated"] == 1
    assert s["n_units_single"] == 1  # unit 12: only observer B
    assert s["n_units_pairable"] == 11
    assert s["n_ratings"] == 41  # irrCAC README: tot.obs 41
    assert s["category_counts"]["5"] == 3
    # the summary still works when nothing is pairable (that is what it is for)
    lonely = rating_summary(np.array([[1, nan], [nan, 2], [nan, nan]]), [1, 2])
    assert lonely["n_units_pairable"] == 0 and lonely["n_units_single"] == 2 and lonely["n_units_unrated"] == 1


# ------------------------------------------------------------------- custom weights


@pytest.mark.parametrize("n_raters", [2, 4])
def test_custom_weights_equal_to_quadratic_reproduce_quadratic_results(n_raters):
    x = _simulated(150, n_raters, seed=7)
    cats = [1, 2, 3, 4]
    quad = weights(cats, "quadratic")
    res = coefficient_estimates(x, cats, weights=quad)
    pairs = [("percent_agreement", "percent_agreement"), ("fleiss_kappa", "fleiss_kappa"),
             ("brennan_prediger", "brennan_prediger"), ("gwet_ac2", "gwet_ac2")]
    pairs += [("cohen_kappa", "cohen_kappa")] if n_raters == 2 else []
    assert ("cohen_kappa_custom" in res) == (n_raters == 2)
    for stem, _ in pairs:
        custom, quadratic = res[f"{stem}_custom"], res[f"{stem}_quadratic"]
        assert custom["estimate"] == quadratic["estimate"], stem
        assert custom["se"] == quadratic["se"], stem
        assert "custom weights" in custom["method"] and "quadratic" not in custom["method"], stem
    assert list(res) == statistic_names(n_raters, cats, custom_weights=True)
    # unweighted statistics are untouched, and without weights= nothing "_custom" appears
    plain = coefficient_estimates(x, cats)
    assert not any(nm.endswith("_custom") for nm in plain)
    assert res["fleiss_kappa"] == plain["fleiss_kappa"]
    # bootstrap draws depend on the units only, so equal weights give equal intervals
    names = [f"{stem}_{kind}" for stem, _ in pairs for kind in ("custom", "quadratic")]
    b = bootstrap(x, cats, names, n_boot=100, seed=3, weights=quad)
    for stem, _ in pairs:
        assert b[f"{stem}_custom"] == b[f"{stem}_quadratic"], stem


def test_custom_weights_through_the_table_and_nominal_level():
    from inspect_audit.agreement.table import agreement_table

    x = _simulated(80, 3, seed=2)
    w = np.array([[1, 0.5, 0, 0], [0.5, 1, 0, 0], [0, 0, 1, 0.5], [0, 0, 0.5, 1]])  # two pairs of near grades
    table = agreement_table(x, [1, 2, 3, 4], n_boot=50, seed=1, weights=w).set_index("statistic")
    for name in ("percent_agreement_custom", "fleiss_kappa_custom", "brennan_prediger_custom", "gwet_ac2_custom"):
        assert np.isfinite(table.loc[name, "estimate"]) and "custom weights" in table.loc[name, "method"]
        assert table.loc[name, "ci_low"] <= table.loc[name, "estimate"] <= table.loc[name, "ci_high"]
    # a hand check: weighted percent agreement of one unit rated (1, 2, 2) is (0.5 + 0.5 + 1) * 2 / 6
    one = coefficient_estimates(np.array([[1, 2, 2]], float), [1, 2, 3, 4], level="nominal", weights=w)
    assert est(one, "percent_agreement_custom") == pytest.approx(2 / 3)
    assert "percent_agreement_quadratic" not in one


@pytest.mark.parametrize(
    ("w", "message"),
    [
        (np.eye(3), "must be 4 x 4"),
        (np.ones((4, 3)), "square"),
        (np.ones(4), "square"),
        (np.triu(np.full((4, 4), 0.5)) + np.eye(4) * 0.5, "symmetric"),
        (np.full((4, 4), 0.5), "diagonal"),
        (np.eye(4) * 2.0, "between 0 and 1"),
        (np.eye(4) - 0.1 * (1 - np.eye(4)), "between 0 and 1"),
        (np.where(np.eye(4) > 0, 1.0, nan), "finite"),
        ([["a"] * 4] * 4, "numbers"),
    ],
)
def test_invalid_custom_weights_raise_clear_error(w, message):
    from inspect_audit.agreement.table import agreement_table

    x = _simulated(20, 2, seed=0)
    with pytest.raises(ValueError, match=message):
        coefficient_estimates(x, [1, 2, 3, 4], weights=w)
    with pytest.raises(AgreementError, match=message):
        agreement_table(x, [1, 2, 3, 4], n_boot=10, weights=w)


# ------------------------------------------------------------------ degenerate inputs


def test_all_ratings_identical_reports_undefined_not_silent_nan():
    x = np.full((6, 3), 2.0)
    res = coefficient_estimates(x, [1, 2, 3, 4])
    assert est(res, "percent_agreement") == 1.0
    assert est(res, "brennan_prediger") == 1.0
    assert est(res, "gwet_ac1") == 1.0  # AC1 chance agreement is 0 here
    for name in ("fleiss_kappa", "conger_kappa", "krippendorff_alpha_nominal", "krippendorff_alpha_ordinal"):
        assert math.isnan(est(res, name))
        assert "undefined:" in res[name]["method"]
        assert res[name]["se"] is None
    # every NaN estimate is explained
    for name, v in res.items():
        if isinstance(v["estimate"], float) and math.isnan(v["estimate"]):
            assert "undefined:" in v["method"], name
    b = bootstrap(x, [1, 2, 3, 4], ["gwet_ac1", "fleiss_kappa"], n_boot=50, seed=1)
    assert b["gwet_ac1"] == (1.0, 1.0)
    assert all(math.isnan(v) for v in b["fleiss_kappa"])


@pytest.mark.parametrize(
    ("x", "cats", "message"),
    [
        (np.array([[1, nan], [nan, 2], [3, nan]]), [1, 2, 3], "two or more raters"),
        (np.array([[1, 2], [2, 9]]), [1, 2, 3], "not in the category set"),
        (np.array([[1, 1], [1, 1]]), [1], "at least two categories"),
        (np.array([[1, 2], [2, 1]]), [3, 2, 1], "increasing order"),
        (np.array([1, 2, 3]), [1, 2, 3], "2-D"),
        (np.full((3, 2), nan), [1, 2], "two or more raters"),
    ],
)
def test_unusable_inputs_raise_agreement_error(x, cats, message):
    with pytest.raises(AgreementError, match=message):
        coefficient_estimates(x, cats)
    assert issubclass(AgreementError, ValueError)


def test_negative_categories_make_ratio_alpha_undefined():
    x = np.array([[-1, -1], [0, 1], [1, 1], [0, 0]], float)
    res = coefficient_estimates(x, [-1, 0, 1])
    assert math.isnan(est(res, "krippendorff_alpha_ratio"))
    assert "non-negative" in res["krippendorff_alpha_ratio"]["method"]
    assert np.isfinite(est(res, "krippendorff_alpha_interval"))
    b = bootstrap(x, [-1, 0, 1], ["krippendorff_alpha_ratio"], n_boot=20, seed=0)
    assert all(math.isnan(v) for v in b["krippendorff_alpha_ratio"])


# ---------------------------------------------------------------- property-based tests

grade_matrices = st.integers(min_value=3, max_value=25).flatmap(
    lambda n: st.integers(min_value=2, max_value=5).flatmap(
        lambda r: st.lists(
            st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0, nan]), min_size=r, max_size=r),
            min_size=n,
            max_size=n,
        )
    )
)


def _finite_estimates(res):
    return {k: v["estimate"] for k, v in res.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=grade_matrices, data=st.data())
def test_invariant_to_rater_and_unit_order(rows, data):
    x = np.array(rows)
    try:
        base = coefficient_estimates(x, [1, 2, 3, 4])
    except AgreementError:
        return
    perm_u = data.draw(st.permutations(range(x.shape[0])))
    perm_r = data.draw(st.permutations(range(x.shape[1])))
    other = coefficient_estimates(x[np.array(perm_u)][:, np.array(perm_r)], [1, 2, 3, 4])
    assert list(other) == list(base)
    for k in base:
        a, b = base[k]["estimate"], other[k]["estimate"]
        if math.isnan(a):
            assert math.isnan(b), k
        else:
            assert b == pytest.approx(a, abs=1e-9), k


@settings(max_examples=60, deadline=None)
@given(rows=grade_matrices)
def test_percent_agreement_in_unit_interval_and_kappas_at_most_one(rows):
    x = np.array(rows)
    try:
        res = coefficient_estimates(x, [1, 2, 3, 4])
    except AgreementError:
        return
    for name in ("percent_agreement", "percent_agreement_quadratic"):
        assert 0.0 <= est(res, name) <= 1.0
    for name, v in res.items():
        e = v["estimate"]
        if not math.isnan(e):
            assert e <= 1.0 + 1e-9, name
        else:
            assert "undefined:" in v["method"], name


@settings(max_examples=40, deadline=None)
@given(
    truth=st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0]), min_size=3, max_size=30),
    r=st.integers(min_value=2, max_value=5),
    mask_seed=st.integers(0, 10_000),
)
def test_perfect_agreement_gives_one(truth, r, mask_seed):
    truth = np.array(truth)
    if np.unique(truth).size < 2:
        truth[0] = 1.0 if truth[0] != 1.0 else 2.0
    x = np.repeat(truth[:, None], r, axis=1)
    rng = np.random.default_rng(mask_seed)
    miss = rng.random(x.shape) < 0.3
    miss[:, :2] = False  # keep every unit pairable
    x[miss] = nan
    res = coefficient_estimates(x, [1, 2, 3, 4])
    for name, v in res.items():
        if name.startswith("fleiss_kappa_category_") and math.isnan(v["estimate"]):
            continue  # a category nobody used has no kappa
        assert v["estimate"] == pytest.approx(1.0, abs=1e-12), name


# ------------------------------------------------------------------------- bootstrap


def _simulated(n, r, seed, q=4, missing=0.2):
    rng = np.random.default_rng(seed)
    true = rng.integers(1, q + 1, n)
    x = np.clip(true[:, None] + rng.integers(-1, 2, (n, r)), 1, q).astype(float)
    x[rng.random((n, r)) < missing] = nan
    x[:, :2] = np.where(np.isnan(x[:, :2]), true[:, None], x[:, :2])  # every unit rated at least twice
    return x


def test_bootstrap_same_seed_same_interval_and_contains_estimate():
    x = _simulated(300, 4, seed=7)
    cats = [1, 2, 3, 4]
    a = bootstrap(x, cats, n_boot=400, seed=42)
    b = bootstrap(x, cats, n_boot=400, seed=42)
    c = bootstrap(x, cats, n_boot=400, seed=43)
    assert a == b
    assert a != c
    res = coefficient_estimates(x, cats)
    assert set(a) == set(statistic_names(4, cats))
    for name, (lo, hi) in a.items():
        assert lo <= res[name]["estimate"] <= hi, name
        assert lo < hi, name


def test_bootstrap_interval_does_not_depend_on_other_statistics():
    x = _simulated(500, 5, seed=2)
    cats = [1, 2, 3, 4]
    alone = bootstrap(x, cats, ["gwet_ac1"], n_boot=200, seed=5)
    together = bootstrap(x, cats, None, n_boot=200, seed=5)
    assert alone["gwet_ac1"] == together["gwet_ac1"]


def test_bootstrap_replicates_equal_estimates_on_resampled_units():
    # Each replicate computed from re-weighted per-unit sums must equal the coefficient
    # recomputed from scratch on the resampled rows (same generator draws).
    x = _simulated(40, 3, seed=9)
    cats = [1, 2, 3, 4, 5]
    names = [
        "percent_agreement_quadratic",
        "fleiss_kappa_linear",
        "fleiss_kappa_category_2",
        "conger_kappa",
        "light_kappa",
        "brennan_prediger_quadratic",
        "gwet_ac1",
        "gwet_ac2_quadratic",
        "krippendorff_alpha_nominal",
        "krippendorff_alpha_ordinal",
        "krippendorff_alpha_interval",
        "krippendorff_alpha_ratio",
    ]
    reps = co._bootstrap_replicates(co._prepare(x, cats), names, n_boot=5, seed=123)
    idx = np.random.default_rng(123).integers(0, x.shape[0], size=(5, x.shape[0]))
    for b in range(5):
        res = coefficient_estimates(x[idx[b]], cats)
        for nm in names:
            assert reps[nm][b] == pytest.approx(res[nm]["estimate"], abs=1e-10), (b, nm)


def test_bootstrap_two_raters_and_errors():
    x = table_to_ratings(CONT3X3)
    out = bootstrap(x, [1, 2, 3], ["cohen_kappa", "scott_pi", "cohen_kappa_quadratic"], n_boot=300, seed=0)
    k = coefficient_estimates(x, [1, 2, 3])["cohen_kappa"]
    lo, hi = out["cohen_kappa"]
    assert lo < k["estimate"] < hi
    # a 90% percentile interval is roughly +-1.645 SE
    assert (hi - lo) == pytest.approx(2 * 1.645 * k["se"], rel=0.25)
    with pytest.raises(AgreementError, match="not available"):
        bootstrap(_simulated(20, 3, 0), [1, 2, 3, 4], ["cohen_kappa"], n_boot=10)
    with pytest.raises(AgreementError):
        bootstrap(x, [1, 2, 3], ci_prob=1.5)


def test_bootstrap_is_fast_on_20000_units():
    x = _simulated(20_000, 5, seed=1)
    t0 = time.perf_counter()
    out = bootstrap(x, [1, 2, 3, 4], ["krippendorff_alpha_ordinal", "gwet_ac2_quadratic"], n_boot=1000, seed=1)
    elapsed = time.perf_counter() - t0
    print(f"bootstrap 20,000 units x 5 raters, 1,000 replicates: {elapsed:.2f}s {out}")
    assert elapsed < 10.0
    res = coefficient_estimates(x, [1, 2, 3, 4])
    for nm, (lo, hi) in out.items():
        assert lo <= res[nm]["estimate"] <= hi
        assert hi - lo < 0.05
