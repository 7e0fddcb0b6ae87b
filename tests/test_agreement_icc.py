"""Tests for inspect_audit.agreement.icc (intraclass correlations, Cronbach's alpha)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from inspect_audit.agreement.icc import (
    ICC_NAMES,
    bootstrap_components,
    cronbach_alpha,
    icc_estimates,
    prepare_matrix,
    variance_components,
)

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
# reliability. Psychological Bulletin 86(2), 420-428.  Table 2: 6 targets x 4 judges.
SF_DATA = np.array([[9, 2, 5, 8],
                    [6, 1, 3, 2],
                    [8, 4, 6, 8],
                    [7, 1, 2, 6],
                    [10, 5, 6, 9],
                    [6, 2, 4, 7]], dtype=float)
# Shrout & Fleiss (1979), Table 4 (estimates for the Table 2 data), two decimals.
SF_ICC = {"icc1_1": 0.17, "icc2_1": 0.29, "icc3_1": 0.71,
          "icc1_k": 0.44, "icc2_k": 0.62, "icc3_k": 0.91}
# Shrout & Fleiss (1979), Table 3 (ANOVA of the Table 2 data): BMS, WMS, JMS, EMS.
SF_MS = {"msb2": 11.24, "msw": 6.26, "msc": 32.49, "mse": 1.02}

# pingouin 0.7 itself triggers a pandas deprecation warning inside intraclass_corr
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")

PINGOUIN_TYPES = {"icc1_1": "ICC(1,1)", "icc2_1": "ICC(A,1)", "icc3_1": "ICC(C,1)",
                  "icc1_k": "ICC(1,k)", "icc2_k": "ICC(A,k)", "icc3_k": "ICC(C,k)"}


def _long(x: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(x).rename_axis("unit").reset_index()
    long = df.melt(id_vars="unit", var_name="rater", value_name="y")
    return long.dropna()


def _simulate(rng, n_units, n_raters, s2_unit, s2_rater, s2_res, p_missing,
              exact_rater_var=True):
    """Two-way random data; rater effects rescaled so their sample variance (ddof=1) is
    exactly ``s2_rater`` -- with only a handful of raters the realised rater variance
    would otherwise differ from the nominal one by +-70 %, which no estimator can undo."""
    a = rng.normal(0, np.sqrt(s2_unit), size=(n_units, 1))
    b = rng.normal(0, 1, size=(1, n_raters))
    if exact_rater_var:
        b = (b - b.mean()) / b.std(ddof=1) * np.sqrt(s2_rater)
    else:
        b = b * np.sqrt(s2_rater)
    y = 3.0 + a + b + rng.normal(0, np.sqrt(s2_res), size=(n_units, n_raters))
    y[rng.random(y.shape) < p_missing] = np.nan
    return y


# --------------------------------------------------------------- published values


def test_shrout_fleiss_table_values():
    res = icc_estimates(SF_DATA)
    assert set(res) == set(ICC_NAMES)
    for name, published in SF_ICC.items():
        assert round(res[name]["estimate"], 2) == pytest.approx(published, abs=1e-9), name
        assert res[name]["n"] == 6
        assert res[name]["se"] is None
        assert res[name]["ci_low"] < res[name]["estimate"] < res[name]["ci_high"]


def test_shrout_fleiss_mean_squares():
    vc = variance_components(SF_DATA)
    assert vc.complete and vc.k_harmonic == 4
    assert vc.msr == pytest.approx(SF_MS["msb2"], abs=0.005)
    assert vc.msb == pytest.approx(SF_MS["msb2"], abs=0.005)  # one-way BMS = two-way BMS
    assert vc.msw == pytest.approx(SF_MS["msw"], abs=0.005)
    assert vc.msc == pytest.approx(SF_MS["msc"], abs=0.005)
    assert vc.mse == pytest.approx(SF_MS["mse"], abs=0.005)
    assert (vc.df_unit, vc.df_rater, vc.df_residual, vc.df_within) == (5, 3, 15, 18)


def test_method_strings_name_both_conventions():
    res = icc_estimates(SF_DATA)
    assert "ICC(2,1)" in res["icc2_1"]["method"] and "ICC(A,1)" in res["icc2_1"]["method"]
    assert "ICC(3,k)" in res["icc3_k"]["method"] and "ICC(C,k)" in res["icc3_k"]["method"]
    assert "ICC(1,1)" in res["icc1_1"]["method"]
    assert "90%" in res["icc1_1"]["method"]


# ------------------------------------------------------------------ vs pingouin


@pytest.fixture
def pg_unrounded(monkeypatch):
    pg = pytest.importorskip("pingouin")
    # pingouin rounds CI95 to 2 decimals by default; compare at full precision
    monkeypatch.setitem(pg.options, "round.column.CI95", None)
    return pg


@pytest.mark.parametrize("seed, n, k", [(1, 30, 4), (2, 12, 3), (3, 200, 6), (4, 8, 2)])
def test_matches_pingouin_complete(pg_unrounded, seed, n, k):
    rng = np.random.default_rng(seed)
    x = _simulate(rng, n, k, 1.0, 0.3, 0.8, 0.0, exact_rater_var=False).round(1)
    ref = pg_unrounded.intraclass_corr(_long(x), "unit", "rater", "y").set_index("Type")
    res = icc_estimates(x, ci_prob=0.95)
    for name, typ in PINGOUIN_TYPES.items():
        lo, hi = ref.at[typ, "CI95"]
        assert res[name]["estimate"] == pytest.approx(ref.at[typ, "ICC"], abs=1e-10), name
        assert res[name]["ci_low"] == pytest.approx(lo, abs=1e-8), name
        assert res[name]["ci_high"] == pytest.approx(hi, abs=1e-8), name


def test_matches_pingouin_shrout_fleiss_ci(pg_unrounded):
    ref = pg_unrounded.intraclass_corr(_long(SF_DATA), "unit", "rater", "y").set_index("Type")
    res = icc_estimates(SF_DATA, ci_prob=0.95)
    for name, typ in PINGOUIN_TYPES.items():
        assert (res[name]["ci_low"], res[name]["ci_high"]) == pytest.approx(
            tuple(ref.at[typ, "CI95"]), abs=1e-8)


def test_ci_prob_changes_width():
    r90 = icc_estimates(SF_DATA, ci_prob=0.90)
    r95 = icc_estimates(SF_DATA, ci_prob=0.95)
    for name in ICC_NAMES:
        assert r90[name]["estimate"] == r95[name]["estimate"]
        assert r95[name]["ci_low"] < r90[name]["ci_low"]
        assert r95[name]["ci_high"] > r90[name]["ci_high"]


# ----------------------------------------------------------------- missing data


def _brute_force_henderson(x):
    """Henderson III by explicit dense least squares (independent of the sparse code)."""
    x = prepare_matrix(x)
    rows, cols = np.nonzero(~np.isnan(x))
    y = x[rows, cols]
    p, q = x.shape
    n = y.size
    za = np.zeros((n, p))
    za[np.arange(n), rows] = 1
    zb = np.zeros((n, q))
    zb[np.arange(n), cols] = 1
    one = np.ones((n, 1))

    def reduction(design):
        beta, *_ = np.linalg.lstsq(design, y, rcond=None)
        return float(y @ (design @ beta)), np.linalg.matrix_rank(design)

    r_full, rank_full = reduction(np.hstack([one, za, zb]))
    r_a, rank_a = reduction(np.hstack([one, za]))
    r_b, rank_b = reduction(np.hstack([one, zb]))
    s2e = (y @ y - r_full) / (n - rank_full)
    # coefficients tr(Z' M Z) computed explicitly
    ma = np.eye(n) - za @ np.linalg.pinv(za)
    mb = np.eye(n) - zb @ np.linalg.pinv(zb)
    s2b = (r_full - r_a - (rank_full - rank_a) * s2e) / np.trace(zb.T @ ma @ zb)
    s2a = (r_full - r_b - (rank_full - rank_b) * s2e) / np.trace(za.T @ mb @ za)
    return s2a, s2b, s2e


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_henderson_matches_dense_least_squares(seed):
    rng = np.random.default_rng(seed)
    x = _simulate(rng, 40, 6, 1.0, 0.4, 0.6, 0.35)
    vc = variance_components(x)
    s2a, s2b, s2e = _brute_force_henderson(x)
    assert vc.unit == pytest.approx(s2a, rel=1e-9)
    assert vc.rater == pytest.approx(s2b, rel=1e-9)
    assert vc.residual == pytest.approx(s2e, rel=1e-9)


def test_oneway_n0_is_expected_mean_square_coefficient():
    # Unbalanced one-way ANOVA: SSB = y'Ay with A = P_units - J/N, so
    # E[MSB] = s2_w + tr(A Z Z') / (p - 1) s2_a (quadratic-form expectation; Searle et
    # al. 1992, ch. 3).  The estimator's n0 must equal that trace coefficient, and its
    # mean squares must equal the explicit quadratic forms.  Small, very unbalanced
    # design so that n0 differs clearly from the mean number of ratings per unit.
    rng = np.random.default_rng(21)
    x = rng.normal(size=(9, 8))
    counts = [2, 2, 2, 3, 8, 8, 8, 2, 5]
    for i, c in enumerate(counts):
        x[i, rng.permutation(8)[c:]] = np.nan
    rows, cols = np.nonzero(~np.isnan(x))
    y = x[rows, cols]
    n = y.size
    z = np.zeros((n, 9))
    z[np.arange(n), rows] = 1
    a_mat = z @ np.linalg.pinv(z) - np.ones((n, n)) / n
    n0_trace = np.trace(a_mat @ z @ z.T) / (9 - 1)
    vc = variance_components(x)
    assert vc.n0 == pytest.approx(n0_trace, rel=1e-12)
    assert abs(vc.n0 - n / 9) > 0.2  # the mean count would be a different estimator
    assert vc.msb == pytest.approx(y @ a_mat @ y / 8, rel=1e-10)
    assert vc.msw == pytest.approx(y @ (np.eye(n) - z @ np.linalg.pinv(z)) @ y / (n - 9),
                                   rel=1e-10)


def test_henderson_disconnected_design_matches_dense():
    # two panels of raters that never rate the same units: rank(X) = p + q - 2
    rng = np.random.default_rng(11)
    x = np.full((30, 6), np.nan)
    x[:15, :3] = _simulate(rng, 15, 3, 1.0, 0.3, 0.5, 0.0)
    x[15:, 3:] = _simulate(rng, 15, 3, 1.0, 0.3, 0.5, 0.0)
    x[rng.random(x.shape) < 0.15] = np.nan
    vc = variance_components(x)
    s2a, s2b, s2e = _brute_force_henderson(x)
    assert (vc.unit, vc.rater, vc.residual) == pytest.approx((s2a, s2b, s2e), rel=1e-9)
    assert vc.df_residual == vc.n_ratings - (vc.n_units + vc.n_raters - 2)


def test_missing_data_recovers_truth():
    # Truth: unit 1.0, rater 0.25, residual 0.5 -> ICC(2,1) = 1 / 1.75 = 0.5714.
    # Tolerance 0.03: with rater effects fixed at sample variance 0.25 (see _simulate),
    # the Monte Carlo SD of the ICC(2,1) estimate at 2,000 units x 5 raters, 30 %
    # missing is about 0.01 (test_missing_data_monte_carlo, slow), so 0.03 is ~3 SD;
    # it still catches ignoring the rater variance (ICC(3,1) target = 0.667) or
    # mis-weighted components (e.g. dividing by N instead of N - p).
    rng = np.random.default_rng(20240611)
    x = _simulate(rng, 2000, 5, 1.0, 0.25, 0.5, 0.30)
    assert np.isnan(x).mean() == pytest.approx(0.30, abs=0.02)
    res = icc_estimates(x)
    assert res["icc2_1"]["estimate"] == pytest.approx(1 / 1.75, abs=0.03)
    assert res["icc3_1"]["estimate"] == pytest.approx(1 / 1.5, abs=0.03)
    assert res["icc1_1"]["estimate"] == pytest.approx(1 / 1.75, abs=0.03)
    vc = variance_components(x)
    assert vc.unit == pytest.approx(1.0, abs=0.1)
    assert vc.rater == pytest.approx(0.25, abs=0.05)
    assert vc.residual == pytest.approx(0.5, abs=0.03)
    # incomplete units are kept (only units with < 2 ratings are dropped)
    n_kept = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    assert res["icc2_1"]["n"] == n_kept > 1900
    # k is the harmonic mean number of ratings per kept unit
    counts = (~np.isnan(x)).sum(axis=1)
    counts = counts[counts >= 2]
    assert vc.k_harmonic == pytest.approx(len(counts) / np.sum(1 / counts))
    assert "harmonic" in res["icc2_k"]["method"]
    for name in ICC_NAMES:
        assert res[name]["ci_low"] < res[name]["estimate"] < res[name]["ci_high"]


def test_missingness_depending_on_unit_level_kept_units():
    # Rater 0 (severe by 1.5 points) rates only the weaker half of the units: the data
    # are not missing completely at random.  SSE and R(a | mu, b) do not depend on the
    # rater effects, so the unit and residual components stay unbiased; the rater
    # component estimates the design-weighted spread b'Cb / tr(C) of the fixed rater
    # effects (Searle et al. 1992, sec. 5.5), computed here from the observed pattern.
    # Dropping incomplete units instead (listwise) would keep only the weaker half and
    # shrink the unit variance to about 0.36 (variance of a half-normal).
    rng = np.random.default_rng(5)
    p = 3000
    a = rng.normal(0, 1, size=(p, 1))
    b = np.array([[-1.5, 0.5, 0.5, 0.25, 0.25]])
    x = a + b + rng.normal(0, np.sqrt(0.5), size=(p, 5))
    x[a[:, 0] > 0, 0] = np.nan
    obs = ~np.isnan(x)
    b_bar = (obs * b).sum(axis=1, keepdims=True) / obs.sum(axis=1, keepdims=True)
    expected_rater = float((obs * (b - b_bar) ** 2).sum() / (obs.sum() - p))
    vc = variance_components(x)
    assert vc.unit == pytest.approx(1.0, abs=0.08)
    assert vc.residual == pytest.approx(0.5, abs=0.03)
    assert vc.rater == pytest.approx(expected_rater, rel=0.1)
    listwise = variance_components(x[obs.all(axis=1)])
    assert listwise.unit < 0.5


@pytest.mark.slow
def test_missing_data_monte_carlo():
    # Documents the tolerance used above: mean bias ~ 0 and SD ~ 0.01.
    est = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        x = _simulate(rng, 2000, 5, 1.0, 0.25, 0.5, 0.30)
        est.append(icc_estimates(x)["icc2_1"]["estimate"])
    est = np.array(est)
    assert abs(est.mean() - 1 / 1.75) < 0.003
    assert est.std() < 0.015


@pytest.mark.slow
def test_missing_data_ci_coverage():
    # Approximate F-based intervals with missing data: coverage of the 90 % interval for
    # ICC(3,1) should be near nominal (0.80-0.97 over 300 replicates).
    truth = 1 / 1.5
    hits = 0
    for seed in range(300):
        rng = np.random.default_rng(1000 + seed)
        x = _simulate(rng, 150, 4, 1.0, 0.25, 0.5, 0.3)
        r = icc_estimates(x, ci_prob=0.90)["icc3_1"]
        hits += r["ci_low"] <= truth <= r["ci_high"]
    assert 0.80 <= hits / 300 <= 0.97


def test_complete_rows_with_nan_rows_match_complete():
    # units with < 2 ratings carry no within-unit information and are dropped
    x = np.vstack([SF_DATA, [np.nan, 3, np.nan, np.nan], [np.nan] * 4])
    a, b = icc_estimates(x), icc_estimates(SF_DATA)
    for name in ICC_NAMES:
        assert a[name]["estimate"] == pytest.approx(b[name]["estimate"])
        assert a[name]["n"] == 6


def test_invariances():
    rng = np.random.default_rng(3)
    x = _simulate(rng, 60, 5, 1.0, 0.3, 0.6, 0.25)
    base = icc_estimates(x)
    perm = icc_estimates((2.5 * x + 7)[rng.permutation(60)][:, rng.permutation(5)])
    for name in ICC_NAMES:
        assert perm[name]["estimate"] == pytest.approx(base[name]["estimate"], rel=1e-9)
        assert perm[name]["ci_low"] == pytest.approx(base[name]["ci_low"], rel=1e-7)


def test_bootstrap_intervals_are_seeded():
    rng = np.random.default_rng(8)
    x = _simulate(rng, 80, 4, 1.0, 0.3, 0.6, 0.2)
    a = icc_estimates(x, n_boot=200, seed=1)
    b = icc_estimates(x, n_boot=200, seed=1)
    c = icc_estimates(x, n_boot=200, seed=2)
    assert a == b
    assert a["icc2_1"]["ci_low"] != c["icc2_1"]["ci_low"]
    assert "bootstrap" in a["icc2_1"]["method"]
    for name in ICC_NAMES:
        assert a[name]["ci_low"] < a[name]["estimate"] < a[name]["ci_high"]


def test_speed_20000_units():
    rng = np.random.default_rng(0)
    x = _simulate(rng, 20_000, 5, 1.0, 0.25, 0.5, 0.30)
    t0 = time.perf_counter()
    res = icc_estimates(x)
    alpha = cronbach_alpha(x)
    elapsed = time.perf_counter() - t0
    assert elapsed < 2.0, elapsed  # brief: "well under 5 s"
    assert res["icc2_1"]["estimate"] == pytest.approx(1 / 1.75, abs=0.02)
    assert np.isfinite(alpha["estimate"])


def test_many_raters_sparse_path_matches_dense(monkeypatch):
    # 400 units, 1500 raters, 3 ratings per unit: the conjugate-gradient path for many
    # raters must give the same components as the dense reduced normal equations.
    import inspect_audit.agreement.icc as icc_mod

    rng = np.random.default_rng(9)
    p, q = 400, 1500
    x = np.full((p, q), np.nan)
    b = rng.normal(0, 0.5, q)
    a = rng.normal(0, 1, p)
    js = np.argsort(rng.random((p, q)), axis=1)[:, :3]
    rows = np.repeat(np.arange(p), 3)
    x[rows, js.ravel()] = a[rows] + b[js.ravel()] + rng.normal(0, 0.7, 3 * p)
    monkeypatch.setattr(icc_mod, "_DENSE_MAX_RATERS", 10**6)
    dense = variance_components(x)
    monkeypatch.setattr(icc_mod, "_DENSE_MAX_RATERS", 10)
    sparse = variance_components(x)
    assert (sparse.unit, sparse.rater, sparse.residual) == pytest.approx(
        (dense.unit, dense.rater, dense.residual), rel=1e-6)
    assert dense.k_harmonic == pytest.approx(3.0)


def test_sparse_incidence_path_matches_pair_counts(monkeypatch):
    import inspect_audit.agreement.icc as icc_mod

    x = _simulate(np.random.default_rng(12), 120, 7, 1.0, 0.3, 0.6, 0.4)
    dense = variance_components(x)
    monkeypatch.setattr(icc_mod, "_PAIRS_MAX_RATERS", 0)
    sparse = variance_components(x)
    for field in ("msr", "msc", "mse", "msb", "msw", "c_unit", "c_rater", "n0"):
        assert getattr(sparse, field) == pytest.approx(getattr(dense, field), rel=1e-10)


def test_bootstrap_weights_equal_resampled_matrix():
    # the weighted fit used by the bootstrap must equal fitting the resampled matrix
    x = prepare_matrix(_simulate(np.random.default_rng(13), 60, 5, 1.0, 0.3, 0.6, 0.3))
    reps = bootstrap_components(x, 5, seed=42)
    rng = np.random.default_rng(42)
    for rep in reps:
        idx = rng.integers(0, x.shape[0], size=x.shape[0])
        direct = variance_components(x[idx])
        for field in ("msr", "msc", "mse", "msb", "msw", "c_unit", "c_rater", "n0",
                      "k_harmonic", "df_unit", "df_rater", "df_residual", "n_units"):
            assert getattr(rep, field) == pytest.approx(getattr(direct, field), rel=1e-9)


def test_bad_input():
    with pytest.raises(ValueError):
        icc_estimates(np.ones(5))
    with pytest.raises(ValueError):
        icc_estimates(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.raises(ValueError):
        icc_estimates(SF_DATA, ci_prob=1.5)
    res = icc_estimates(np.array([[1.0, 2.0]]))  # a single unit: nothing estimable
    assert np.isnan(res["icc2_1"]["estimate"])


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("value", [2.0, 0.1])  # 0.1: the centred ratings are not exactly zero
def test_zero_variance_gives_undefined_reason_and_no_warning(value):
    x = np.full((6, 3), value)
    x[0, 2] = np.nan  # missing ratings take the Henderson III path
    for res in (icc_estimates(x), icc_estimates(x, n_boot=50, seed=1)):
        for name in ICC_NAMES:
            assert np.isnan(res[name]["estimate"]), name
            assert np.isnan(res[name]["ci_low"]) and np.isnan(res[name]["ci_high"]), name
            assert "undefined: every rating is the same" in res[name]["method"], name
    for alpha in (cronbach_alpha(x), cronbach_alpha(x, n_boot=50)):
        assert np.isnan(alpha["estimate"]) and np.isnan(alpha["ci_low"])
        assert "undefined: every rating is the same" in alpha["method"]


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_other_undefined_icc_and_alpha_say_why():
    one_unit = icc_estimates(np.array([[1.0, 2.0], [3.0, np.nan]]))
    assert all("undefined: fewer than two units" in one_unit[n]["method"] for n in ICC_NAMES)
    # ratings differ only between raters: no unit or residual variance, so ICC(C, .) is 0/0
    # and ICC(1, k) has a zero denominator; ICC(A, 1) = 0 is defined but has no F interval
    rater_only = icc_estimates(np.array([[1.0, 2.0]] * 3))
    for name in ("icc3_1", "icc3_k", "icc1_k"):
        assert np.isnan(rater_only[name]["estimate"]), name
        assert "undefined: the variance components in its denominator sum to zero" in rater_only[name]["method"]
    assert rater_only["icc2_1"]["estimate"] == 0.0
    assert "no F-based interval" in rater_only["icc2_1"]["method"]
    assert "undefined: the raters' total score has no variance" in cronbach_alpha(np.array([[1.0, 2.0]] * 3))["method"]
    # sparse panel: raters 1-2 and 3-4 never share a unit
    sparse = np.full((6, 4), np.nan)
    sparse[:3, :2] = [[1, 2], [2, 2], [3, 1]]
    sparse[3:, 2:] = [[1, 2], [2, 2], [3, 1]]
    alpha = cronbach_alpha(sparse)
    assert np.isnan(alpha["estimate"])
    assert "undefined: some pair of raters shares fewer than two units" in alpha["method"]
    assert np.isfinite(icc_estimates(sparse)["icc1_1"]["estimate"])
    assert "undefined: fewer than two rated units" in cronbach_alpha(np.array([[1.0, 2.0]]))["method"]


# --------------------------------------------------------------------- Cronbach


def test_alpha_equals_icc3k_on_complete_data():
    res = icc_estimates(SF_DATA)
    alpha = cronbach_alpha(SF_DATA)
    assert alpha["estimate"] == pytest.approx(res["icc3_k"]["estimate"], rel=1e-12)
    assert set(alpha) == {"estimate", "se", "ci_low", "ci_high", "method", "n"}


@pytest.mark.parametrize("p_missing", [0.0, 0.25])
def test_alpha_matches_pingouin_pairwise(p_missing):
    pg = pytest.importorskip("pingouin")
    rng = np.random.default_rng(4)
    x = _simulate(rng, 50, 5, 1.0, 0.3, 0.7, p_missing)
    x = x[(~np.isnan(x)).any(axis=1)]
    ref_alpha, ref_ci = pg.cronbach_alpha(pd.DataFrame(x), nan_policy="pairwise", ci=0.90)
    res = cronbach_alpha(x, ci_prob=0.90)
    assert res["estimate"] == pytest.approx(ref_alpha, rel=1e-10)
    # pingouin rounds its interval to 3 decimals
    assert res["ci_low"] == pytest.approx(ref_ci[0], abs=5.1e-4)
    assert res["ci_high"] == pytest.approx(ref_ci[1], abs=5.1e-4)
    assert ("pairwise" in res["method"]) == (p_missing > 0)


def test_alpha_bootstrap_replicates_equal_alpha_on_resampled_units():
    # Each replicate of the weighted-sum bootstrap must equal cronbach_alpha on the resampled matrix
    # (same seeded draws as bootstrap_components); seed 5, exact to 1e-10.
    from inspect_audit.agreement.icc import _alpha_bootstrap, _alpha_features, _ratings

    x = _simulate(np.random.default_rng(5), 40, 4, 1.0, 0.3, 0.6, 0.25)
    x = x[(~np.isnan(x)).any(axis=1)]
    reps = _alpha_bootstrap(_alpha_features(_ratings(x, min_per_unit=1)), 4, 6, seed=5)
    rng = np.random.default_rng(5)
    for rep in reps:
        direct = cronbach_alpha(x[rng.integers(0, len(x), size=len(x))])["estimate"]
        assert rep == pytest.approx(direct, abs=1e-10)
    res = cronbach_alpha(x, n_boot=300, seed=2)
    assert res == cronbach_alpha(x, n_boot=300, seed=2)
    assert res["ci_low"] < res["estimate"] < res["ci_high"]
    assert "bootstrap" in res["method"] and "Feldt" not in res["method"]
    # 90% percentile interval about as wide as Feldt's on 40 units (within a factor of 1.6)
    feldt = cronbach_alpha(x)
    ratio = (res["ci_high"] - res["ci_low"]) / (feldt["ci_high"] - feldt["ci_low"])
    assert 1 / 1.6 < ratio < 1.6
