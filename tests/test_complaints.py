"""Complaints: upheld rates, pooling, complaint rates by grade, severity slopes, suppression."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from inspect_audit.complaints import (complaint_rates, complaints_vs_severity, export_csv, fit_beta_binomial,
                                      fit_logistic, plot_time_to_closure, suppress, time_to_closure,
                                      truth_severity_draws, upheld_rates, wilson_interval)
from inspect_audit.data.simulate import SimulationConfig, simulate


@pytest.fixture(scope="module")
def big():
    """Large simulation (about 1,250 complaints) for recovery checks."""
    return simulate(SimulationConfig(n_schools=20000, n_inspectors=100), seed=1)


def _complaints(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """Minimal complaints table from (inspection_id, stage, grounds, outcome)."""
    frame = pd.DataFrame(rows, columns=["inspection_id", "furthest_stage", "grounds", "outcome"])
    frame["complaint_id"] = [f"C{i}" for i in range(len(frame))]
    frame["received_date"] = pd.Timestamp("2023-01-01")
    frame["closed_date"] = pd.Series(pd.Timestamp("2023-02-01"), index=frame.index).where(frame["outcome"].notna())
    frame["outcome"] = frame["outcome"].astype("string")
    return frame


# --- Wilson and beta-binomial pooling -------------------------------------------------------------

def test_wilson_interval_matches_textbook_value():
    low, high = wilson_interval(18, 100, ci_prob=0.90)
    # Wilson, z = 1.6449: centre (18 + z^2/2) / (100 + z^2), half-width z sqrt(p q n + z^2/4) / (n + z^2)
    z = 1.6448536269514722
    centre = (18 + z**2 / 2) / (100 + z**2)
    half = z * np.sqrt(100 * 0.18 * 0.82 + z**2 / 4) / (100 + z**2)
    assert low[0] == pytest.approx(centre - half, abs=1e-9)
    assert high[0] == pytest.approx(centre + half, abs=1e-9)
    assert np.isnan(wilson_interval(0, 0)[0][0])


@pytest.mark.parametrize("method", ["bayes", "eb"])
def test_one_of_three_is_shrunk_towards_the_mean(method):
    # 20 groups of 50 decided complaints at about 18% upheld, and one group with 1 of 3 upheld
    k = np.array([9, 8, 10, 9, 7, 11, 9, 9, 8, 10, 9, 9, 10, 8, 9, 9, 7, 11, 9, 9, 1])
    n = np.array([50] * 20 + [3])
    fit = fit_beta_binomial(k, n, method=method)
    small, big_groups = fit.estimate[-1], fit.estimate[:-1]
    assert 0.15 < fit.mu < 0.22
    # the 1-of-3 group moves most of the way from 33% to the typical rate ...
    assert abs(small - fit.mu) < 0.25 * abs(1 / 3 - fit.mu)
    # ... and its pooled interval is far narrower than the raw Wilson interval
    wl, wh = wilson_interval(1, 3)
    assert fit.ci_high[-1] - fit.ci_low[-1] < 0.6 * (wh[0] - wl[0])
    assert fit.ci_low[-1] < fit.mu < fit.ci_high[-1]
    # homogeneous groups: strong pooling (large kappa), estimates pulled together
    assert fit.kappa > 50
    assert np.ptp(big_groups) < np.ptp(k[:-1] / n[:-1])


@pytest.mark.parametrize("method", ["bayes", "eb"])
def test_pooling_keeps_real_differences_in_large_groups(method):
    # two large groups with clearly different rates: estimates stay near the raw rates
    k, n = np.array([40, 200, 20, 1]), np.array([400, 400, 100, 4])
    fit = fit_beta_binomial(k, n, method=method)
    assert fit.estimate[0] == pytest.approx(0.10, abs=0.01)
    assert fit.estimate[1] == pytest.approx(0.50, abs=0.01)
    # less shrinkage for large groups than for small ones
    assert fit.shrinkage[0] < fit.shrinkage[3]
    assert np.all(fit.ci_low <= fit.estimate) and np.all(fit.estimate <= fit.ci_high)


def test_beta_binomial_rejects_impossible_counts_and_handles_empty_groups():
    with pytest.raises(ValueError):
        fit_beta_binomial([3], [2])
    fit = fit_beta_binomial([2, 3, 0], [10, 12, 0])
    assert fit.estimate[2] == pytest.approx(fit.mu, abs=0.02)  # no data: the typical rate


def test_upheld_rates_counts_decided_complaints_and_explodes_grounds():
    complaints = _complaints([
        ("I1", "formal", "judgement_accuracy;inspector_conduct", "upheld"),
        ("I2", "formal", "judgement_accuracy", "partially_upheld"),
        ("I3", "informal", "inspector_conduct", "not_upheld"),
        ("I4", "informal", "other", "withdrawn"),
        ("I5", "informal", "other", None),  # open
    ])
    out = upheld_rates(complaints, by=["stage", "ground"])
    overall = out[out["dimension"] == "overall"].iloc[0]
    assert (overall.n, overall.k) == (3, 2)
    raw = out[out["statistic"] == "raw_rate"].set_index(["dimension", "group"])
    assert raw.loc[("stage", "formal"), ["n", "k"]].tolist() == [2, 2]
    assert raw.loc[("stage", "informal"), ["n", "k"]].tolist() == [1, 0]
    assert raw.loc[("ground", "judgement_accuracy"), ["n", "k"]].tolist() == [2, 2]
    assert raw.loc[("ground", "inspector_conduct"), ["n", "k"]].tolist() == [2, 1]
    assert ("ground", "other") not in raw.index  # only withdrawn/open complaints
    assert list(raw.loc[("stage", slice(None)), :].index.get_level_values(1)) == ["informal", "formal"]
    assert set(out["statistic"]) == {"raw_rate", "pooled_rate"}
    with pytest.raises(ValueError, match="judgements"):
        upheld_rates(complaints, by="grade")
    with pytest.raises(ValueError, match="unknown"):
        upheld_rates(complaints, by="colour")
    assert set(upheld_rates(complaints)["dimension"]) == {"overall", "stage", "ground"}
    assert {"estimate", "ci_low", "ci_high", "n"} <= set(out.columns)


# --- recovery on simulated data --------------------------------------------------------------------

def test_recovers_planted_upheld_share(big):
    truth = big.truth["complaints"]
    out = upheld_rates(big.complaints, big.inspections, big.judgements, big.schools, by=["stage", "lead_inspector"])
    overall = out[out["dimension"] == "overall"].iloc[0]
    assert overall.n > 1000
    assert overall.ci_low < truth["upheld_expected_share"] < overall.ci_high
    assert overall.estimate == pytest.approx(truth["upheld_observed_share"], abs=1e-12)
    assert abs(overall.estimate - 0.18) < 0.03
    # stage has no effect in the simulation: pooled stage estimates all cover the planted share
    stage = out[(out["dimension"] == "stage") & (out["statistic"] == "pooled_rate")]
    assert ((stage["ci_low"] < 0.18) & (0.18 < stage["ci_high"])).all()
    hyper = out.attrs["hyperparameters"]["stage"]
    assert abs(hyper["mu"] - 0.18) < 0.03
    # inspectors with few complaints are pooled: pooled estimates spread less than raw ones
    insp = out[out["dimension"] == "lead_inspector"].pivot(index="group", columns="statistic", values="estimate")
    assert insp["pooled_rate"].std() < 0.6 * insp["raw_rate"].std()


def test_complaint_rate_rises_with_grade(big):
    out = complaint_rates(big.complaints, big.inspections, big.judgements, by="grade")
    est = out["estimate"].to_numpy()
    assert list(out["group"].str[0]) == ["1", "2", "3", "4"]
    assert np.all(np.diff(est) > 0)
    # Outstanding vs Inadequate: intervals far apart
    assert out["ci_high"].iloc[0] < out["ci_low"].iloc[3]
    truth = big.truth["complaints"]["by_grade"]
    for row in out.itertuples():
        g = row.group[0]
        assert row.n == truth[g]["n_inspections"]
        expected = truth[g]["expected_rate"]
        assert row.ci_low < expected < row.ci_high or abs(row.estimate - expected) < 0.02


# --- severity --------------------------------------------------------------------------------------

def test_fit_logistic_matches_statsmodels():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(500), rng.normal(size=500), rng.random(500) < 0.3])
    y = (rng.random(500) < 1 / (1 + np.exp(-(-1 + 0.8 * X[:, 1] + 0.5 * X[:, 2])))).astype(float)
    beta, cov = fit_logistic(X, y)
    ref = sm.Logit(y, X).fit(disp=0)
    assert np.allclose(beta, ref.params, atol=1e-3)
    assert np.allclose(np.sqrt(np.diag(cov)), ref.bse, rtol=1e-2)
    # complete separation: finite thanks to the weak prior
    x = np.r_[np.zeros(10), np.ones(10)]
    beta, _ = fit_logistic(np.column_stack([np.ones(20), x]), x)
    assert np.all(np.isfinite(beta))


def test_recovers_planted_severity_slopes(big):
    truth = big.truth["complaints"]
    draws = truth_severity_draws(big.truth["inspectors"], noise_sd=0.1, n_draws=20, seed=2)
    out = complaints_vs_severity(big.complaints, big.inspections, draws, big.judgements, seed=0)
    slope = out[out["statistic"] == "slope"].set_index("outcome")
    # tolerance: inside the 90% interval and within 0.15 (complaint) / 0.3 (upheld) of the planted value
    c, u = slope.loc["complaint"], slope.loc["upheld"]
    assert c.ci_low < truth["complaint_severity_slope"] < c.ci_high
    assert abs(c.estimate - truth["complaint_severity_slope"]) < 0.15
    assert u.ci_low < truth["upheld_severity_slope"] < u.ci_high
    assert abs(u.estimate - truth["upheld_severity_slope"]) < 0.3
    assert c.n == len(big.inspections) and c.k == big.complaints["inspection_id"].nunique()
    assert c.n_draws == 20 and c.sd_between_draws > 0
    # mixture interval and Rubin's rules agree closely
    assert c.ci_low == pytest.approx(c.rubin_ci_low, abs=0.03)
    assert c.ci_high == pytest.approx(c.rubin_ci_high, abs=0.03)
    odds = out[out["statistic"] == "odds_ratio"].set_index("outcome")
    assert odds.loc["complaint", "estimate"] == pytest.approx(np.exp(c.estimate))


def test_severity_uncertainty_widens_the_interval(big):
    sev = pd.DataFrame({"point": {r["inspector_id"]: r["severity"] for r in big.truth["inspectors"]}})
    sharp = complaints_vs_severity(big.complaints, big.inspections, sev, big.judgements)
    noisy = complaints_vs_severity(big.complaints, big.inspections,
                                   truth_severity_draws(big.truth["inspectors"], noise_sd=0.4, n_draws=15, seed=1),
                                   big.judgements)
    width = lambda t: (t.loc[0, "ci_high"] - t.loc[0, "ci_low"])  # noqa: E731
    assert sharp.loc[0, "sd_between_draws"] == 0 or np.isnan(sharp.loc[0, "sd_between_draws"])
    assert noisy.loc[0, "sd_between_draws"] > 0.02
    assert width(noisy) > width(sharp)
    # without grade adjustment the slope also carries severity -> worse grade -> complaint
    unadjusted = complaints_vs_severity(big.complaints, big.inspections, sev)
    assert unadjusted.loc[0, "estimate"] > sharp.loc[0, "estimate"] + 0.1
    assert unadjusted.loc[0, "adjusted_for"] == "nothing"


def test_attenuation_correction_removes_regression_dilution(big):
    # noisy draws (SD 0.4 against a spread of inspectors of about 0.67) flatten the naive slope
    draws = truth_severity_draws(big.truth["inspectors"], noise_sd=0.4, n_draws=15, seed=4)
    fixed = complaints_vs_severity(big.complaints, big.inspections, draws, big.judgements)
    naive = complaints_vs_severity(big.complaints, big.inspections, draws, big.judgements, correct_attenuation=False)
    truth = big.truth["complaints"]["complaint_severity_slope"]
    reliability = fixed.loc[0, "reliability"]
    assert 0.65 < reliability < 0.8  # about 0.45 / (0.45 + 0.16)
    assert abs(fixed.loc[0, "estimate"] - truth) < 0.12
    assert fixed.loc[0, "ci_low"] < truth < fixed.loc[0, "ci_high"]
    assert naive.loc[0, "estimate"] < fixed.loc[0, "estimate"] - 0.08
    assert naive.loc[0, "reliability"] == 1.0


# --- time to closure on simulated data -------------------------------------------------------------

def test_stage_medians_recover_simulated_durations(big, tmp_path):
    d = big
    res = time_to_closure(d.complaints, d.truth["config"]["snapshot_date"])
    med = res.medians.set_index("group")
    # durations are uniform on [lo, hi] days, plus 365 days for 6% put on hold:
    # the median is the 0.5 / 0.94 quantile of the uniform part
    for stage, (lo, hi) in d.truth["complaints"]["durations_days_by_stage"].items():
        if med.loc[stage, "n"] < 30:
            continue
        expected = lo + (0.5 / 0.94) * (hi - lo + 1)
        tol = max(2.0, 0.06 * (hi - lo))
        assert med.loc[stage, "ci_low"] - tol <= expected <= med.loc[stage, "ci_high"] + tol, stage
    fig = plot_time_to_closure(res, tmp_path / "km.png")
    assert (tmp_path / "km.png").stat().st_size > 5000
    assert fig is not None


# --- suppression -----------------------------------------------------------------------------------

def test_suppress_blanks_small_groups_and_the_next_smallest(tmp_path):
    table = pd.DataFrame({"dimension": "stage", "group": ["a", "b", "c"], "statistic": "raw_rate",
                          "estimate": [0.1, 0.2, 0.3], "ci_low": [0.0, 0.1, 0.2], "ci_high": [0.2, 0.3, 0.4],
                          "n": [9, 10, 50], "k": [1, 2, 15]})
    out = suppress(table)
    assert out["suppressed"].tolist() == [True, True, False]  # a is small; b (next smallest) hides it
    assert out.loc[[0, 1], ["estimate", "ci_low", "ci_high", "k"]].isna().all().all()
    assert out.loc[2, "estimate"] == 0.3 and out.loc[2, "k"] == 15
    assert out["n"].tolist() == [9, 10, 50]  # in memory the sizes are kept unless hide_n
    assert suppress(table, hide_n=True)["n"].isna().tolist() == [True, True, False]
    assert suppress(table, min_n=20)["suppressed"].tolist() == [True, True, False]
    assert suppress(table, min_n=60)["suppressed"].all()
    assert not suppress(table, min_n=1)["suppressed"].any()
    assert table["estimate"].notna().all()  # input untouched
    path = export_csv(table, tmp_path / "t.csv", min_n=10)
    back = pd.read_csv(path)
    assert back["estimate"].isna().tolist() == [True, True, False]
    assert back[["n", "k"]].isna().to_numpy().tolist() == [[True, True], [True, True], [False, False]]


def test_suppressed_stage_cannot_be_recovered_as_total_minus_shown(tmp_path):
    # the review's case: 22 upheld overall, stages 10 + 10 + 2 shown would give the adjudicator 0 of 3
    rows = ([("I", "informal", "other", "upheld")] * 10 + [("I", "informal", "other", "not_upheld")] * 20
            + [("I", "formal", "other", "upheld")] * 10 + [("I", "formal", "other", "not_upheld")] * 15
            + [("I", "internal_review", "other", "upheld")] * 2
            + [("I", "internal_review", "other", "not_upheld")] * 10
            + [("I", "independent_adjudicator", "other", "not_upheld")] * 3)
    rates = upheld_rates(_complaints(rows), by="stage")
    back = pd.read_csv(export_csv(rates, tmp_path / "rates.csv"))
    overall = back[back["dimension"] == "overall"].iloc[0]
    assert (overall.n, overall.k) == (70, 22)
    for stat in ("raw_rate", "pooled_rate"):
        stage = back[(back["dimension"] == "stage") & (back["statistic"] == stat)].set_index("group")
        hidden = stage.index[stage["suppressed"]].tolist()
        assert hidden == ["internal_review", "independent_adjudicator"]  # 12 is the next smallest after 3
        assert stage.loc[hidden, ["n", "k", "estimate", "ci_low", "ci_high"]].isna().all().all()
        shown = stage[~stage["suppressed"]]
        # subtraction gives only the two hidden groups together (2 of 15), not the adjudicator's 0 of 3
        assert overall.k - shown["k"].sum() == 2 and overall.n - shown["n"].sum() == 15


def test_closure_outstanding_cannot_be_recovered_and_plot_leaves_out_both(tmp_path):
    snap = pd.Timestamp("2024-03-01")
    rows = []
    for stage, n, n_open in [("informal", 40, 4), ("formal", 30, 1), ("internal_review", 12, 2),
                             ("independent_adjudicator", 4, 3)]:
        for i in range(n):
            received = snap - pd.Timedelta(days=20 + 3 * i)
            rows.append({"complaint_id": f"{stage}{i}", "received_date": received, "furthest_stage": stage,
                         "closed_date": pd.NaT if i < n_open else received + pd.Timedelta(days=5 + i)})
    res = time_to_closure(pd.DataFrame(rows), snap)
    back = pd.read_csv(export_csv(res.medians, tmp_path / "medians.csv")).set_index("group")
    assert back.index[back["suppressed"]].tolist() == ["internal_review", "independent_adjudicator"]
    assert back.loc[back["suppressed"], ["n", "n_censored", "estimate"]].isna().all().all()
    shown = back[~back["suppressed"]].drop("all")
    assert back.loc["all", "n_censored"] - shown["n_censored"].sum() == 5  # 2 + 3 together, not the 3 alone
    curves = pd.read_csv(export_csv(res.curves, tmp_path / "curves.csv"))
    hidden = curves["group"].isin(["internal_review", "independent_adjudicator"])
    assert curves["suppressed"].eq(hidden).all()
    assert curves.loc[hidden, ["n", "n_at_risk", "n_events", "estimate", "time"]].isna().all().all()
    legend = [t.get_text() for t in plot_time_to_closure(res, min_n=10).axes[0].get_legend().get_texts()]
    assert len(legend) == 3 and not any("review" in t or "adjudicator" in t for t in legend)


def test_plot_rates_leaves_out_the_secondary_group(tmp_path, monkeypatch):
    from inspect_audit.complaints import plots

    figures = []
    monkeypatch.setattr(plots.plt, "close", figures.append)
    table = pd.DataFrame({"dimension": "region", "group": ["north", "south", "east", "west"],
                          "statistic": "raw_rate", "estimate": [0.2, 0.3, 0.1, 0.0],
                          "ci_low": [0.1, 0.2, 0.05, 0.0], "ci_high": [0.3, 0.4, 0.2, 0.5],
                          "n": [40, 30, 15, 4], "k": [8, 9, 2, 0]})
    plots.plot_rates(table, "region", tmp_path / "r.png", min_n=10)
    labels = [t.get_text() for t in figures[0].axes[0].get_yticklabels()]
    assert len(labels) == 2 and labels[0].startswith("north (n=40") and labels[1].startswith("south (n=30")


def test_complaint_rates_are_suppressed_on_complaints_not_inspections():
    inspections = pd.DataFrame({"inspection_id": [f"I{i}" for i in range(65)], "urn": "1",
                                "lead_inspector_id": "X"})
    judgements = pd.DataFrame({"inspection_id": inspections["inspection_id"], "area": "overall_effectiveness",
                               "grade": [1] * 20 + [3] * 30 + [4] * 15})
    complaints = _complaints([(f"I{i}", "formal", "other", "not_upheld")
                              for i in [0] + list(range(20, 32)) + list(range(50, 65))])
    out = complaint_rates(complaints, inspections, judgements)
    shown = suppress(out)
    # grade 1: 1 complaint among 20 inspections (small); grade 3 (12 complaints, 30 inspections) hides it,
    # not grade 4 (15 complaints but only 15 inspections): the next smallest is by complaints too
    assert shown["suppressed"].tolist() == [True, True, False]
    assert shown.loc[0, "n"] == 20 and pd.isna(shown.loc[0, "k"]) and shown.loc[2, "k"] == 15


def test_pooled_intervals_cover_planted_group_rates():
    """Known truth: 10 datasets (seed 3) of 40 groups whose true upheld rates are drawn from Beta(6, 24)
    (mean 0.2, as Ofsted's ~17-20%) with 5 to 200 decided complaints each. The pooled 90% intervals must
    cover about 90% of the 400 true rates (tolerance 0.84-0.96: binomial SE of a 90% coverage over 400
    is 0.015, plus slack for the hyperparameter grid), and pooling must beat the raw rates on error."""
    rng = np.random.default_rng(3)
    covered, err_pooled, err_raw = [], [], []
    for _ in range(10):
        p = rng.beta(6, 24, size=40)
        n = rng.integers(5, 201, size=40)
        k = rng.binomial(n, p)
        fit = fit_beta_binomial(k, n)
        covered += list((fit.ci_low <= p) & (p <= fit.ci_high))
        err_pooled.append(np.mean((fit.estimate - p) ** 2))
        err_raw.append(np.mean((k / n - p) ** 2))
    assert 0.84 <= np.mean(covered) <= 0.96, np.mean(covered)
    assert np.mean(err_pooled) < np.mean(err_raw)


# --- report cards: their own scale, never mixed with legacy grades -------------------------------------------

def _mixed_frameworks():
    """12 legacy inspections (overall Good or Requires improvement) and 12 report cards (areas on the five-point
    scale; the lowest area grade is the report card's grade here), with complaints on both."""
    rng = np.random.default_rng(5)
    legacy = [f"L{i}" for i in range(12)]
    cards = [f"R{i}" for i in range(12)]
    inspections = pd.DataFrame({"inspection_id": legacy + cards, "urn": [str(i) for i in range(24)],
                                "start_date": pd.Timestamp("2026-01-05"), "lead_inspector_id": "X",
                                "framework": ["eif_2019"] * 12 + ["report_card_2025"] * 12})
    worst = np.array([3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 2, 2])
    rows = [{"inspection_id": i, "area": "overall_effectiveness", "grade": 2 if k < 6 else 3}
            for k, i in enumerate(legacy)]
    for k, i in enumerate(cards):
        rows += [{"inspection_id": i, "area": "achievement", "grade": int(worst[k])},
                 {"inspection_id": i, "area": "inclusion", "grade": int(rng.integers(1, worst[k] + 1))},
                 {"inspection_id": i, "area": "safeguarding", "grade": 2 if k == 0 else 1}]  # not met is no grade
    judgements = pd.DataFrame(rows)
    complaints = _complaints([(i, "formal", "other", "upheld" if k % 3 == 0 else "not_upheld")
                              for k, i in enumerate(legacy + cards)])
    return complaints, inspections, judgements, worst


def test_report_card_complaints_speak_their_own_scale():
    from inspect_audit.complaints._data import inspection_grades

    complaints, inspections, judgements, worst = _mixed_frameworks()
    grades = inspection_grades(inspections, judgements).set_index("inspection_id")
    assert grades.loc["R4", "group"] == "4 Needs attention" and grades.loc["R4", "basis"] == "lowest area"
    assert list(grades.loc[[f"R{i}" for i in range(12)], "grade"]) == list(worst)  # safeguarding is not a grade
    assert grades.loc["L0", "group"] == "2 Good" and grades.loc["L0", "scale"] == "legacy_4"
    rates = upheld_rates(complaints, inspections, judgements, by="grade")
    g = rates[rates["dimension"] == "grade"]
    legacy = set(g.loc[g["scale"] == "legacy_4", "group"])
    cards = set(g.loc[g["scale"] == "report_card_5", "group"])
    assert legacy == {"2 Good", "3 Requires improvement"}
    assert cards == {"2 Strong standard", "3 Expected standard", "4 Needs attention", "5 Urgent improvement"}
    raw = g[g["statistic"] == "raw_rate"]
    assert raw.groupby("scale")["n"].sum().to_dict() == {"legacy_4": 12, "report_card_5": 12}
    assert set(rates.attrs["hyperparameters"]) == {"grade:legacy_4", "grade:report_card_5"}  # pooled apart
    crate = complaint_rates(complaints, inspections, judgements)
    assert set(crate.loc[crate["scale"] == "report_card_5", "group"]) == cards
    one_area = complaint_rates(complaints, inspections, judgements, area="inclusion")
    assert set(one_area["scale"]) == {"report_card_5", ""}  # legacy inspections grade no inclusion: no grade


def test_complaints_report_shows_each_scale_apart(tmp_path):
    from inspect_audit.complaints.report import analyse

    complaints, inspections, judgements, _ = _mixed_frameworks()
    section = analyse({"complaints": complaints, "inspections": inspections, "judgements": judgements},
                      tmp_path, min_n=1, pseudonymise=False)
    md = section["markdown"]
    assert (tmp_path / "complaints_rate_by_grade.png").exists()
    assert (tmp_path / "complaints_rate_by_grade_report_card.png").exists()
    assert (tmp_path / "complaints_upheld_by_grade_report_card.png").exists()
    table = md.split("| lowest report-card area grade ")[1].split("\n\n")[0]
    cells = {c.strip() for line in table.splitlines() for c in line.split("|")}
    assert "Needs attention" in table and "Outstanding" not in table and not any(c.endswith("Good") for c in cells)


def test_severity_adjusts_for_each_scales_grades_apart():
    from inspect_audit.complaints._data import inspection_frame
    from inspect_audit.complaints.severity import _design

    complaints, inspections, judgements, _ = _mixed_frameworks()
    frame = inspection_frame(inspections, judgements)
    X, names = _design(frame, adjust_grade=True)
    # one term per grade of each scale: legacy 2 Good and report-card 2 Strong standard are not one category
    categories = {f"grade_{s}: {g}" for s, g in zip(frame["grade_scale"], frame["grade_label"])}
    assert len(categories) == 6 and set(names[1:]) < categories and len(names) == 6  # intercept + 5 (1 reference)
    assert np.linalg.matrix_rank(X) == X.shape[1]
