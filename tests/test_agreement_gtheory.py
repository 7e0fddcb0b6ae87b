"""Tests for inspect_audit.agreement.gtheory (G and D studies)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspect_audit.agreement.gtheory import COMPONENTS, d_study, g_study, raters_needed
from inspect_audit.agreement.icc import icc_estimates, variance_components

# Brennan, R. L. (2001). Generalizability Theory. Springer.  Synthetic Data Set No. 1:
# p x i design, 10 persons x 12 dichotomous items.  Published G study: s2(p) = .0574,
# s2(i) = .0754, s2(pi) = .1269; D study with n'_i = 12: E rho^2 = .844, Phi = .773.
# Data and published values as transcribed in the test fixtures of the GeneralizIT
# package (tylerjsmith111/GeneralizIT, tests/fixtures/design1_fixtures.py and
# design2_fixtures.py), not re-checked against the book; our independent computation
# reproduces every value to the published 3-4 decimals.
BRENNAN_1 = np.array([
    [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 0, 1, 1, 0, 0, 1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], dtype=float)

# Brennan (2001) Synthetic Data Set No. 2: i:p design, 10 persons x 8 items nested in
# persons.  Published: s2(p) = .6108, s2(i:p) = 2.0250; E rho^2 = Phi = .71 (n'_i = 8).
BRENNAN_2 = np.array([
    [2, 6, 7, 5, 2, 5, 5, 5],
    [4, 5, 6, 7, 6, 7, 5, 7],
    [5, 5, 4, 6, 5, 4, 5, 5],
    [5, 9, 8, 6, 5, 7, 7, 6],
    [4, 3, 5, 6, 4, 5, 6, 4],
    [4, 4, 4, 7, 6, 4, 7, 8],
    [2, 6, 6, 5, 2, 7, 7, 5],
    [3, 4, 4, 5, 6, 6, 6, 4],
    [0, 5, 4, 5, 5, 5, 5, 3],
    [6, 8, 7, 6, 6, 8, 8, 6]], dtype=float)

# Shrout & Fleiss (1979) Table 2 (6 targets x 4 judges), see test_agreement_icc.py.
SF_DATA = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8],
                    [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def _simulate(seed, n_units=2000, n_raters=5, s2=(1.0, 0.25, 0.5), p_missing=0.3):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, np.sqrt(s2[0]), (n_units, 1))
    b = rng.normal(0, 1, (1, n_raters))
    b = (b - b.mean()) / b.std(ddof=1) * np.sqrt(s2[1])
    y = a + b + rng.normal(0, np.sqrt(s2[2]), (n_units, n_raters))
    y[rng.random(y.shape) < p_missing] = np.nan
    return y


def test_brennan_synthetic_1_crossed():
    g = g_study(BRENNAN_1, "crossed")
    assert list(g.columns) == ["component", "variance", "share"]
    assert list(g["component"]) == ["p", "r", "pr,e"]
    v = dict(zip(g["component"], g["variance"]))
    assert v["p"] == pytest.approx(0.0574, abs=5e-5)
    assert v["r"] == pytest.approx(0.0754, abs=5e-5)
    assert v["pr,e"] == pytest.approx(0.1269, abs=5e-5)
    assert g["share"].sum() == pytest.approx(1.0)
    d = d_study(g, [12]).iloc[0]
    assert d["g_coefficient"] == pytest.approx(0.844, abs=5e-4)
    assert d["phi_coefficient"] == pytest.approx(0.773, abs=5e-4)


def test_brennan_synthetic_2_nested():
    g = g_study(BRENNAN_2, "nested")
    assert list(g["component"]) == ["p", "r:p,e"]
    v = dict(zip(g["component"], g["variance"]))
    assert v["p"] == pytest.approx(0.6108, abs=5e-5)
    assert v["r:p,e"] == pytest.approx(2.0250, abs=5e-5)
    d = d_study(g, [8]).iloc[0]
    assert d["g_coefficient"] == pytest.approx(0.71, abs=5e-3)
    assert d["phi_coefficient"] == d["g_coefficient"]


def test_shrout_fleiss_components_from_published_mean_squares():
    # From Shrout & Fleiss (1979) Table 3 mean squares: s2_p = (BMS - EMS) / k,
    # s2_r = (JMS - EMS) / n, s2_pr,e = EMS.
    g = g_study(SF_DATA)
    v = dict(zip(g["component"], g["variance"]))
    assert v["p"] == pytest.approx((11.24 - 1.02) / 4, abs=0.005)
    assert v["r"] == pytest.approx((32.49 - 1.02) / 6, abs=0.005)
    assert v["pr,e"] == pytest.approx(1.02, abs=0.005)


@pytest.mark.parametrize("x", [SF_DATA, BRENNAN_1, _simulate(3, 50, 4, p_missing=0.0)])
def test_crossed_g_is_icc3k_and_phi_is_icc2k(x):
    k = x.shape[1]
    icc = icc_estimates(x)
    d = d_study(g_study(x, clip_negative=False), [1, k]).set_index("n_raters")
    assert d.at[k, "g_coefficient"] == pytest.approx(icc["icc3_k"]["estimate"], rel=1e-10)
    assert d.at[k, "phi_coefficient"] == pytest.approx(icc["icc2_k"]["estimate"], rel=1e-10)
    assert d.at[1, "g_coefficient"] == pytest.approx(icc["icc3_1"]["estimate"], rel=1e-10)
    assert d.at[1, "phi_coefficient"] == pytest.approx(icc["icc2_1"]["estimate"], rel=1e-10)


def test_nested_g_is_icc1():
    icc = icc_estimates(SF_DATA)
    d = d_study(g_study(SF_DATA, "nested"), [1, 4]).set_index("n_raters")
    assert d.at[1, "g_coefficient"] == pytest.approx(icc["icc1_1"]["estimate"], rel=1e-10)
    assert d.at[4, "g_coefficient"] == pytest.approx(icc["icc1_k"]["estimate"], rel=1e-10)


@pytest.mark.parametrize("design", ["crossed", "nested"])
def test_d_study_is_spearman_brown(design):
    g = g_study(_simulate(7, 300, 5), design)
    d = d_study(g, range(1, 11))
    assert list(d.columns) == ["n_raters", "g_coefficient", "phi_coefficient"]
    assert list(d["n_raters"]) == list(range(1, 11))
    for col in ("g_coefficient", "phi_coefficient"):
        r1 = d[col].iloc[0]
        n = d["n_raters"].to_numpy()
        assert d[col].to_numpy() == pytest.approx(n * r1 / (1 + (n - 1) * r1), rel=1e-12)
        assert np.all(np.diff(d[col]) > 0)
    assert np.all(d["phi_coefficient"] <= d["g_coefficient"] + 1e-15)


def test_missing_data_crossed_recovers_components():
    # 2,000 units x 5 raters, 30 % missing; truth p = 1.0, r = 0.25 (rater effects fixed
    # at that sample variance), pr,e = 0.5.  Tolerances ~3 Monte Carlo SD.
    g = g_study(_simulate(20240611))
    v = dict(zip(g["component"], g["variance"]))
    assert v["p"] == pytest.approx(1.0, abs=0.1)
    assert v["r"] == pytest.approx(0.25, abs=0.05)
    assert v["pr,e"] == pytest.approx(0.5, abs=0.03)
    assert g.attrs["k_harmonic"] < 5
    d = d_study(g, [1]).iloc[0]
    assert d["phi_coefficient"] == pytest.approx(1 / 1.75, abs=0.03)
    assert d["g_coefficient"] == pytest.approx(1 / 1.5, abs=0.03)


def test_reuses_icc_estimator():
    x = _simulate(2, 200, 6)
    vc = variance_components(x)
    g = g_study(x, clip_negative=False)
    assert g["variance"].tolist() == [vc.unit, vc.rater, vc.residual]
    gn = g_study(x, "nested", clip_negative=False)
    assert gn["variance"].tolist() == [vc.unit_oneway, vc.within_oneway]


def test_negative_components_clipped():
    # raters agree worse than chance on units: MSR < MSE gives a negative s2_p
    x = np.array([[1, 5], [5, 1], [2, 4], [4, 2], [3, 3.1]], float)
    raw = g_study(x, clip_negative=False)
    assert raw["variance"].iloc[0] < 0
    clipped = g_study(x)
    assert clipped["variance"].iloc[0] == 0
    assert (clipped["share"] >= 0).all()
    assert d_study(clipped, [3])["g_coefficient"].iloc[0] == 0


def test_raters_needed():
    g = g_study(SF_DATA)  # phi(1) = .29 -> Spearman-Brown: phi(n) >= .8 first at n = 10
    phi1 = d_study(g, [1])["phi_coefficient"].iloc[0]
    n = raters_needed(g, 0.8, "phi")
    assert n * phi1 / (1 + (n - 1) * phi1) >= 0.8
    assert (n - 1) * phi1 / (1 + (n - 2) * phi1) < 0.8
    assert raters_needed(g, 0.8, "g") == 2  # g(1) = .71 -> g(2) = .83
    assert raters_needed({"p": 0.0, "r:p,e": 1.0}, 0.5) is None


def test_bootstrap_intervals_seeded():
    x = _simulate(4, 300, 5)
    g = g_study(x, n_boot=200, seed=3)
    assert np.asarray(g.attrs["bootstrap"]).shape == (200, 3)
    assert len(pd.concat([g, g_study(x, n_boot=5, seed=9)])) == 6  # attrs stay comparable
    d = d_study(g, [1, 3, 5])
    assert {"g_low", "g_high", "phi_low", "phi_high"} <= set(d.columns)
    assert (d["g_low"] < d["g_coefficient"]).all() and (d["g_coefficient"] < d["g_high"]).all()
    assert (d["phi_low"] < d["phi_coefficient"]).all()
    assert (d["phi_coefficient"] < d["phi_high"]).all()
    again = d_study(g_study(x, n_boot=200, seed=3), [1, 3, 5])
    pd.testing.assert_frame_equal(d, again)
    other = d_study(g_study(x, n_boot=200, seed=4), [1, 3, 5])
    assert not np.allclose(other["g_low"], d["g_low"])


def test_bad_arguments():
    with pytest.raises(ValueError):
        g_study(SF_DATA, "p x r x o")
    with pytest.raises(ValueError):
        d_study({"p": 1.0, "r": 0.2}, [1])
    with pytest.raises(ValueError):
        d_study(g_study(SF_DATA), [0, 1])
    assert set(COMPONENTS) == {"crossed", "nested"}
