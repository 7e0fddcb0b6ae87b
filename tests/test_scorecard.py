"""Scorecard: spec validation, known-truth composites, rank reversals, Sobol indices, Mosier reliability."""

from __future__ import annotations

import itertools
import json

import jsonschema
import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from inspect_audit.scorecard import (compare_specs, discordant_pairs, effective_weights, example_spec_paths,
                                     indicator_table, load_spec, mosier_reliability, nominal_composite,
                                     simulate_composites, sobol_indices, sobol_pick_freeze, validate_spec)
from inspect_audit.scorecard.composite import _indicator_percentile_bands, band_index, rank_rows
from inspect_audit.scorecard.indicators import binomial_se, indicator_summary
from inspect_audit.scorecard.reliability import (headline_grade_reliability, implied_min_error_corr,
                                                kappa_from_agreement, reliability_comparison)
from inspect_audit.scorecard.sensitivity import correlation_ratio
from inspect_audit.scorecard.spec import SpecError, schema

LABELS = ["low", "mid", "high"]


def make_spec(**changes) -> dict:
    spec = {
        "spec_version": "1", "name": "test",
        "indicators": [
            {"id": "a", "source": "school:a", "direction": "higher_better", "weight": 2},
            {"id": "b", "source": "school:b", "direction": "lower_better", "weight": 1},
            {"id": "c", "source": "school:c", "direction": "higher_better", "weight": 1},
        ],
        "normalisation": "z", "aggregation": "arithmetic",
        "bands": {"cutoffs": [25, 75], "labels": LABELS},
    }
    spec.update(changes)
    return spec


def make_indicators(n: int = 60, seed: int = 0, se: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"urn": [f"U{i:04d}" for i in range(n)]})
    for col in "abc":
        frame[col] = rng.standard_normal(n)
        frame[f"{col}_se"] = se
    return frame


# --------------------------------------------------------------------------- spec

def test_schema_is_a_valid_json_schema_and_examples_load():
    jsonschema.Draft202012Validator.check_schema(schema())
    examples = example_spec_paths()
    assert {"primary_balanced", "all_phases_rule_based"} <= set(examples)
    for path in examples.values():
        spec = load_spec(path)
        assert abs(sum(spec.weights) - 1) < 1e-12
    assert load_spec(examples["all_phases_rule_based"]).max_bands_above == 1


@pytest.mark.parametrize("mutate, field", [
    (lambda s: s["indicators"][1].update(direction="up"), "indicators[1].direction"),
    (lambda s: s["indicators"][0].pop("weight"), "indicators[0]: 'weight' is a required property"),
    (lambda s: s["indicators"][2].update(weight=-1), "indicators[2].weight"),
    (lambda s: s["indicators"][0].update(source="ofsted:grade"), "indicators[0].source"),
    (lambda s: s["indicators"][0].update(standard_error=1, reliability=0.8), "indicators[0]: give either"),
    (lambda s: s["indicators"][0].update(colour="red"), "indicators[0]: unknown field(s) 'colour'"),
    (lambda s: s["indicators"][1].update(id="a"), "indicators[1].id: 'a' is used by more than one"),
    (lambda s: s.update(spec_version="2"), "spec_version"),
    (lambda s: s.update(normalisation="log"), "normalisation"),
    (lambda s: s.update(aggregation="median"), "aggregation"),
    (lambda s: s["bands"].update(cutoffs=[75, 25]), "bands.cutoffs: must be strictly increasing"),
    (lambda s: s["bands"].update(labels=["x", "y"]), "bands.labels: need one more label than cutoffs"),
    (lambda s: s["bands"].update(cutoffs=[25, 175]), "bands.cutoffs: percentile cutoffs"),
    (lambda s: s.pop("bands"), "(top level): 'bands' is a required property"),
])
def test_spec_errors_name_the_field(mutate, field):
    spec = make_spec()
    mutate(spec)
    problems = validate_spec(spec)
    assert any(field in p for p in problems), problems
    with pytest.raises(SpecError) as err:
        load_spec(spec)
    assert field in str(err.value)


def test_spec_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"spec_version": "1",', encoding="utf-8")
    with pytest.raises(SpecError, match="not valid JSON at line 1"):
        load_spec(bad)
    spec = make_spec()
    spec["indicators"][0]["direction"] = "sideways"
    good_path = tmp_path / "spec.json"
    good_path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(SpecError, match=r"spec\.json is invalid .*\n.*indicators\[0\]\.direction"):
        load_spec(good_path)


# --------------------------------------------------------------------------- known truth

def _truth_ranks(ind: pd.DataFrame) -> np.ndarray:
    z = lambda v: (v - v.mean()) / v.std(ddof=1)  # noqa: E731
    score = 0.5 * z(ind["a"]) + 0.25 * z(-ind["b"]) + 0.25 * z(ind["c"])
    return rankdata(-score.to_numpy(), method="min")


def test_known_truth_no_error_fixed_weights_gives_exact_ranks_and_zero_width_intervals():
    ind = make_indicators(n=80)
    spec = load_spec(make_spec())
    sim = simulate_composites(ind, spec, n_rep=40, seed=3, vary_weights=False, vary_methods=False)
    s = sim.summary
    truth = _truth_ranks(ind)
    np.testing.assert_array_equal(s["rank"], truth)
    np.testing.assert_array_equal(s["median_rank"], truth)
    assert (s["rank_interval_width"] == 0).all() and (s["rank_lo"] == s["rank_hi"]).all()
    assert (s["p_modal_band"] == 1).all() and (s["modal_band"] == s["band"]).all()
    assert (sim.replicates["mean_abs_rank_shift"] == 0).all()
    # bands: bottom quarter, middle half, top quarter by percentile
    pct = 100 * (80 - truth + 0.5) / 80
    expected = np.array(LABELS)[np.searchsorted([25, 75], pct, side="right")]
    np.testing.assert_array_equal(s["band"], expected)
    probs = s[[f"p_{b}" for b in LABELS]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1)


@pytest.mark.parametrize("norm, agg", list(itertools.product(["z", "min_max", "rank"], ["arithmetic", "geometric"])))
def test_known_truth_each_method_matches_a_hand_computation(norm, agg):
    ind = make_indicators(n=50, seed=7)
    spec = load_spec(make_spec(normalisation=norm, aggregation=agg))
    x = np.column_stack([ind["a"], -ind["b"], ind["c"]])
    if norm == "z":
        y = (x - x.mean(0)) / x.std(0, ddof=1)
    elif norm == "min_max":
        y = (x - x.min(0)) / (x.max(0) - x.min(0))
    else:
        y = (rankdata(x, axis=0) - 0.5) / len(x)
    w = np.array([0.5, 0.25, 0.25])
    if agg == "arithmetic":
        score = y @ w
    else:
        from scipy.stats import norm as normal
        pos = {"z": normal.cdf(y), "min_max": 0.01 + 0.99 * y, "rank": y}[norm]
        score = np.exp(np.log(pos) @ w)
    nom = nominal_composite(ind, spec)
    np.testing.assert_allclose(nom["score"], score)
    np.testing.assert_array_equal(nom["rank"], rankdata(-score, method="min"))
    sim = simulate_composites(ind, spec, n_rep=5, vary_weights=False, vary_methods=False)
    assert (sim.summary["rank_interval_width"] == 0).all()


def test_sampling_error_widens_intervals_and_same_seed_reproduces():
    ind = make_indicators(n=200, se=0.5)
    spec = load_spec(make_spec())
    one = simulate_composites(ind, spec, n_rep=120, seed=11, n_jobs=1)
    two = simulate_composites(ind, spec, n_rep=120, seed=11, n_jobs=2)
    pd.testing.assert_frame_equal(one.summary, two.summary)
    pd.testing.assert_frame_equal(one.replicates, two.replicates)
    s = one.summary
    assert (s["rank_interval_width"] > 0).mean() > 0.95
    assert ((s["rank_lo"] <= s["median_rank"]) & (s["median_rank"] <= s["rank_hi"])).all()
    other = simulate_composites(ind, spec, n_rep=120, seed=12)
    assert not other.summary["median_rank"].equals(s["median_rank"])
    # larger error, wider intervals
    wide = simulate_composites(make_indicators(n=200, se=1.5), spec, n_rep=120, seed=11)
    assert wide.summary["rank_interval_width"].median() > s["rank_interval_width"].median()


def test_weights_and_methods_vary_as_specified():
    ind = make_indicators(n=100)
    spec = load_spec(make_spec(uncertainty={"weight_concentration": 200, "normalisations": ["z", "rank"],
                                            "aggregations": ["arithmetic", "rule_based"]}))
    sim = simulate_composites(ind, spec, n_rep=400, seed=2)
    reps = sim.replicates
    w = reps[["w_a", "w_b", "w_c"]].to_numpy()
    np.testing.assert_allclose(w.sum(axis=1), 1)
    np.testing.assert_allclose(w.mean(axis=0), [0.5, 0.25, 0.25], atol=0.01)
    # Dirichlet(200 w): SD of w_a = sqrt(0.5 * 0.5 / 201)
    assert w[:, 0].std() == pytest.approx(np.sqrt(0.25 / 201), rel=0.15)
    assert set(reps["normalisation"]) == {"z", "rank"} and set(reps["aggregation"]) == {"arithmetic", "rule_based"}
    assert (sim.summary["rank_interval_width"] > 0).any()


def test_rule_based_caps_band_at_weakest_indicator():
    # 10 schools; school S0 is best on a and c but worst on b (lower_better: highest b)
    ind = pd.DataFrame({"urn": [f"S{i}" for i in range(10)],
                        "a": [10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1], "b": [99.0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
                        "c": [10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1]})
    rule = {"method": "rule_based", "base": "arithmetic", "rule": {"min_indicator_band": {"max_bands_above": 0}}}
    spec = make_spec(aggregation=rule, normalisation="rank", bands={"cutoffs": [25, 60], "labels": LABELS},
                     indicators=[{"id": i, "source": f"school:{i}", "direction": d, "weight": 1}
                                 for i, d in zip("abc", ["higher_better", "lower_better", "higher_better"])])
    nom = nominal_composite(ind, spec).set_index("urn")
    plain = nominal_composite(ind, {**spec, "aggregation": "arithmetic"}).set_index("urn")
    # base (arithmetic of percentile ranks): S0 = (0.95 + 0.05 + 0.95) / 3 = 0.65, 4th of 10, percentile 65
    assert plain.loc["S0", "band"] == "high" and plain.loc["S0", "rank"] == 4  # compensated by a and c
    assert nom.loc["S0", "band"] == "low"          # weakest indicator (b) is in the bottom band
    assert nom.loc["S1", "band"] == "high" and nom.loc["S1", "rank"] == 1
    # low band: S0 (capped), S8, S9; ordered within the band by the base score, so S0 is 8th
    assert nom.loc["S0", "rank"] == 8 and nom.loc["S9", "rank"] == 10
    # one band above the weakest allowed
    rule["rule"]["min_indicator_band"]["max_bands_above"] = 1
    assert nominal_composite(ind, {**spec, "aggregation": rule}).set_index("urn").loc["S0", "band"] == "mid"


def test_missing_indicators_are_reweighted_or_dropped():
    ind = make_indicators(n=30)
    ind.loc[0, "c"] = np.nan
    ind.loc[1, ["b", "c"]] = np.nan
    spec = make_spec(population={"min_indicators": 2})
    nom = nominal_composite(ind, spec)
    assert len(nom) == 29 and "U0001" not in set(nom["urn"])
    row = nom.set_index("urn").loc["U0000"]
    assert row["n_indicators"] == 2
    x = ind.drop(index=1)
    za = (x["a"] - x["a"].mean()) / x["a"].std()
    zb = (-x["b"] - (-x["b"]).mean()) / x["b"].std()
    assert row["score"] == pytest.approx((2 * za.iloc[0] + zb.iloc[0]) / 3)
    assert len(nominal_composite(ind, {**spec, "missing": "complete_cases"})) == 28


# --------------------------------------------------------------------------- ranking helpers

def test_rank_rows_and_percentile_bands_match_scipy_with_ties():
    rng = np.random.default_rng(5)
    for _ in range(30):
        n = int(rng.integers(2, 40))
        v = rng.integers(0, int(rng.integers(1, 6)), (2, n, 3)).astype(float)
        if rng.random() < 0.5:
            v += rng.standard_normal(v.shape)
        mask = rng.random((1, n, 3)) < 0.85
        nv = mask.sum(1)[:, None, :].astype(float)
        cut = np.array([10.0, 50.0, 90.0])
        ranks = rankdata(np.where(mask, v, np.inf), axis=1, method="average")
        expected = np.where(mask, band_index(100 * (ranks - 0.5) / np.maximum(nv, 1), cut), 0)
        np.testing.assert_array_equal(_indicator_percentile_bands(v, mask, nv, cut), expected)
        for method in ("min", "average"):
            np.testing.assert_allclose(rank_rows(v[0].T, method), rankdata(v[0].T, axis=1, method=method))


# --------------------------------------------------------------------------- comparing specs

def test_rank_reversals_on_a_hand_made_example():
    a = pd.DataFrame({"urn": list("PQRST"), "rank": [1, 2, 3, 4, 5], "band": ["top", "top", "mid", "mid", "low"]})
    b = pd.DataFrame({"urn": list("PQRST"), "rank": [2, 1, 3, 5, 4], "band": ["top", "mid", "mid", "low", "low"]})
    # reversed pairs: (P, Q) and (S, T)
    out = compare_specs(a, b)
    assert out["rank_reversals"] == 2 and out["n_pairs"] == 10
    assert out["band_flips"] == 2  # Q top -> mid, S mid -> low
    assert out["share_pairs_reversed"] == pytest.approx(0.2)
    assert out["mean_abs_rank_shift"] == pytest.approx(4 / 5)
    assert out["band_table"].to_numpy().sum() == 5
    # schools only in one result are ignored; ranks are recomputed among the common ones
    c = pd.concat([b, pd.DataFrame({"urn": ["Z"], "rank": [1], "band": ["top"]})])
    assert compare_specs(a, c)["rank_reversals"] == 2
    # a reversed ranking reverses every pair
    d = a.assign(rank=a["rank"][::-1].to_numpy())
    assert compare_specs(a, d)["rank_reversals"] == 10


def test_discordant_pairs_matches_brute_force_with_ties():
    rng = np.random.default_rng(8)
    for _ in range(20):
        n = int(rng.integers(2, 30))
        a, b = rng.integers(0, 6, n), rng.integers(0, 6, n)
        brute = sum(1 for i in range(n) for j in range(i + 1, n) if (a[i] - a[j]) * (b[i] - b[j]) < 0)
        assert discordant_pairs(a, b) == brute


# --------------------------------------------------------------------------- Sobol

def _linear(coefs, sds):
    coefs, sds = np.asarray(coefs, float), np.asarray(sds, float)
    groups = [f"x{i}" for i in range(len(coefs))]
    sampler = lambda rng, m: {g: rng.normal(0, s, m) for g, s in zip(groups, sds)}  # noqa: E731
    model = lambda d: sum(c * d[g] for c, g in zip(coefs, groups))  # noqa: E731
    analytic = coefs**2 * sds**2 / np.sum(coefs**2 * sds**2)
    return groups, sampler, model, analytic


@pytest.mark.parametrize("use_salib", [False, True])
def test_sobol_indices_of_a_linear_model_match_the_analytic_values(use_salib):
    if use_salib:
        pytest.importorskip("SALib")
    groups, sampler, model, analytic = _linear([1.0, 2.0, 3.0], [1.0, 1.0, 0.5])
    # analytic: a_i^2 s_i^2 / sum = [1, 4, 2.25] / 7.25; additive model, so ST = S1
    res = sobol_pick_freeze(model, sampler, groups, n_base=20_000, seed=4, n_boot=100, use_salib=use_salib)
    np.testing.assert_allclose(res.table["S1"], analytic, atol=0.03)
    np.testing.assert_allclose(res.table["ST"], analytic, atol=0.03)
    assert ((res.table["S1_lo"] <= analytic + 0.03) & (analytic - 0.03 <= res.table["S1_hi"])).all()
    assert res.n_model_runs == 20_000 * 5


def test_sobol_vector_output_and_interaction():
    # second output y = x0 x1 (pure interaction of zero-mean inputs: S1 = 0, ST = 1 each); first output = x0
    groups = ["x0", "x1"]
    sampler = lambda rng, m: {g: rng.standard_normal(m) for g in groups}  # noqa: E731
    model = lambda d: np.column_stack([d["x0"], d["x0"] * d["x1"]])  # noqa: E731
    res = sobol_pick_freeze(model, sampler, groups, n_base=20_000, seed=1, n_boot=0)
    s1, st = res.per_output["S1"], res.per_output["ST"]
    np.testing.assert_allclose(s1[:, 0], [1, 0], atol=0.03)
    np.testing.assert_allclose(s1[:, 1], [0, 0], atol=0.05)
    np.testing.assert_allclose(st[:, 1], [1.0, 1.0], atol=0.05)
    np.testing.assert_allclose(st[:, 0], [1.0, 0.0], atol=0.03)


def test_scorecard_sobol_attributes_rank_variance_to_the_uncertain_inputs():
    ind = make_indicators(n=120, se=0.0)
    ind["a_se"] = 0.8  # only indicator a has sampling error
    spec = load_spec(make_spec())
    tab = sobol_indices(ind, spec, n_base=48, seed=0, vary_methods=False, n_boot=50, use_salib=False)
    rank = tab[tab["output"] == "rank"].set_index("group")
    assert list(rank.index) == ["error:a", "weights"]
    assert rank.loc["error:a", "S1"] > rank.loc["weights", "S1"]
    assert (rank["ST"] >= -0.05).all() and (rank["S1"] <= 1.05).all()
    assert set(tab["output"]) == {"rank", "mean_abs_rank_shift"}
    with pytest.raises(ValueError, match="nothing is uncertain"):
        sobol_indices(make_indicators(n=20), spec, n_base=8, vary_weights=False, vary_methods=False)


def test_effective_weights_and_correlation_ratio():
    rng = np.random.default_rng(0)
    x = rng.integers(1, 5, 5000).astype(float)
    y = x + rng.standard_normal(5000)
    # V[E(y|x)] / V(y) = var(x) / (var(x) + 1) with x uniform on 1..4: var 1.25
    assert correlation_ratio(x, y) == pytest.approx(1.25 / 2.25, abs=0.03)
    ind = make_indicators(n=400)
    ind["c"] = ind["c"] * 0.0 + ind["a"] * 0.0 + np.random.default_rng(1).standard_normal(400) * 1e-6
    eff = effective_weights(ind, make_spec())
    assert eff["effective_weight"].sum() == pytest.approx(1)
    assert eff.set_index("indicator").loc["a", "pearson_r"] > 0.7


# --------------------------------------------------------------------------- reliability

def test_mosier_reliability_against_a_hand_computation():
    w = np.array([0.5, 0.3, 0.2])
    rel = np.array([0.9, 0.6, 0.5])
    sd = np.array([2.0, 1.0, 3.0])
    r = np.array([[1.0, 0.4, 0.2], [0.4, 1.0, 0.3], [0.2, 0.3, 1.0]])
    # composite variance: sum_jk w_j w_k s_j s_k r_jk
    var = (0.25 * 4 + 0.09 * 1 + 0.04 * 9
           + 2 * (0.5 * 0.3 * 2 * 1 * 0.4 + 0.5 * 0.2 * 2 * 3 * 0.2 + 0.3 * 0.2 * 1 * 3 * 0.3))
    err = 0.25 * 4 * 0.1 + 0.09 * 1 * 0.4 + 0.04 * 9 * 0.5
    assert var == pytest.approx(1.45 + 2 * 0.294) and err == pytest.approx(0.1 + 0.036 + 0.18)
    assert mosier_reliability(w, rel, r, sds=sd) == pytest.approx(1 - 0.316 / 2.038)
    # correlated errors between indicators 1 and 2 (rho 0.5) add 2 w1 w2 e1 e2 rho
    ec = np.eye(3)
    ec[1, 2] = ec[2, 1] = 0.5
    extra = 2 * 0.3 * 0.2 * np.sqrt(0.4) * 3 * np.sqrt(0.5) * 0.5
    assert mosier_reliability(w, rel, r, sds=sd, error_corr=ec) == pytest.approx(1 - (0.316 + extra) / 2.038)
    # a single indicator's composite is as reliable as the indicator
    assert mosier_reliability([1.0], [0.7], [[1.0]]) == pytest.approx(0.7)


def test_kappa_and_implied_error_correlation():
    assert kappa_from_agreement(22, 24, 0.9) == pytest.approx((22 / 24 - 0.82) / 0.18)
    assert implied_min_error_corr(0.9, 0.5, 0.5) == pytest.approx(0.8)
    assert implied_min_error_corr(0.3, 0.5, 0.5) == 0.0


def test_headline_reliability_interval_from_the_agreement_study():
    small, big = headline_grade_reliability(22, 24, 0.9), headline_grade_reliability(220, 240, 0.9)
    for h in (small, big):
        assert h["ci_low"] <= h["estimate"] <= h["ci_high"]
        assert h["estimate"] == pytest.approx(kappa_from_agreement(22, 24, 0.9))
    assert (small["n"], big["n"]) == (24, 240)
    # the upper end is the kappa at the 95th percentile of the Jeffreys posterior Beta(22.5, 2.5)
    from scipy.stats import beta
    assert small["ci_high"] == pytest.approx((beta.ppf(0.95, 22.5, 2.5) - 0.82) / 0.18)
    assert small["ci_low"] == 0.0  # 24 pairs cannot rule out a grade no more reliable than chance
    assert big["ci_low"] > 0.3 and big["ci_high"] - big["ci_low"] < 0.5 * (small["ci_high"] - small["ci_low"])


def test_composite_reliability_carries_the_uncertainty_of_its_inputs():
    ind = make_indicators(n=400, se=0.6)  # each indicator's reliability 1 - 0.36 / var, about 0.64
    spec = make_spec()
    for i in spec["indicators"][:2]:
        i["source"] = "judgement:" + i["id"]
    small = reliability_comparison(ind, spec, judgement_error_corrs=(0.0, 0.5), n_draws=1000)
    big = reliability_comparison(ind, spec, judgement_error_corrs=(0.0, 0.5), agreement=(220, 240), n_draws=1000)
    for rel in (small, big):
        assert {"reliability", "ci_low", "ci_high", "n", "assumption"} <= set(rel.columns)
        assert (rel["ci_low"] <= rel["reliability"]).all() and (rel["reliability"] <= rel["ci_high"]).all()
        assert rel["n"].tolist()[0] in (24, 240) and (rel["n"].iloc[1:] == 400).all()
        assert rel["assumption"].str.contains("n = |n schools").all()
    width = lambda r: (r["ci_high"] - r["ci_low"]).to_numpy()  # noqa: E731
    assert (width(big) < 0.6 * width(small)).all()  # 10 times the pairs: every interval narrower
    assert (width(small)[1:] > 0.02).all()
    # same point values; a stated headline has no interval
    np.testing.assert_allclose(small["reliability"].iloc[1:], big["reliability"].iloc[1:])
    stated = reliability_comparison(ind, spec, headline_reliability=0.5, judgement_error_corrs=(0.0,), n_draws=200)
    assert np.isnan(stated.loc[0, "ci_low"]) and "stated" in stated.loc[0, "assumption"]


# --------------------------------------------------------------------------- indicator table

def test_binomial_se():
    np.testing.assert_allclose(binomial_se(np.array([50.0]), np.array([98.0])), [5.0])
    assert binomial_se(np.array([100.0]), np.array([10.0]))[0] > 0  # 100% from 10 parents still uncertain


def test_indicator_table_from_small_tables():
    schools = pd.DataFrame({"urn": ["1", "2", "3", "4"], "name": list("ABCD"),
                            "phase": ["primary", "primary", "secondary", "primary"],
                            "pupils": pd.array([210, 420, 1000, None], dtype="Int64"),
                            "ks2_progress": [1.0, -1.0, np.nan, 0.5]})
    inspections = pd.DataFrame({"inspection_id": ["i1", "i2", "i3", "i4"], "urn": ["1", "1", "2", "4"],
                                "start_date": pd.to_datetime(["2015-01-01", "2022-01-01", "2023-05-01", "2012-01-01"]),
                                "framework": ["cif_2015", "eif_2019", "eif_2019", "section5_2012"]})
    judgements = pd.DataFrame({"inspection_id": ["i1", "i2", "i3", "i4"], "area": ["leadership_and_management"] * 4,
                               "grade": pd.array([4, 1, 3, 2], dtype="Int64")})
    survey = pd.DataFrame({"urn": ["1", "2"], "item_id": ["PV_Q14", "PV_Q14"], "n_responses": [98, 10],
                           "pct_positive": [50.0, 100.0]})
    tables = {"schools": schools, "inspections": inspections, "judgements": judgements, "survey_aggregates": survey}
    spec = make_spec(population={"phases": ["primary"], "frameworks": ["eif_2019"], "min_indicators": 1}, indicators=[
        {"id": "lm", "source": "judgement:leadership_and_management", "direction": "lower_better", "weight": 1},
        {"id": "ks2", "source": "school:ks2_progress", "direction": "higher_better", "weight": 1},
        {"id": "rec", "source": "survey:PV_Q14", "direction": "higher_better", "weight": 1, "reliability": 0.5}])
    spec["indicators"].append({"id": "rec2", "source": "survey:PV_Q14", "direction": "higher_better", "weight": 1})
    ind = indicator_table(tables, spec, grade_reliability=0.6).set_index("urn")
    assert list(ind.index) == ["1", "2", "4"]                   # secondary school 3 left out
    assert ind.loc["1", "lm"] == 1 and ind.loc["2", "lm"] == 3  # latest EIF inspection only
    assert np.isnan(ind.loc["4", "lm"])                         # 2012 framework filtered out
    assert ind.loc["1", "lm_se"] == pytest.approx(np.std([1, 3], ddof=1) * np.sqrt(0.4))
    assert ind.loc["1", "ks2_se"] == pytest.approx(5.0 / np.sqrt(210 / 7))
    assert ind.loc["4", "ks2_se"] == pytest.approx(5.0 / np.sqrt(np.median([210 / 7, 420 / 7])))
    assert ind.loc["1", "rec2_se"] == pytest.approx(5.0)        # binomial
    assert ind.loc["1", "rec_se"] == pytest.approx(np.std([50, 100], ddof=1) * np.sqrt(0.5))
    assert list(ind["n_indicators"]) == [4, 4, 1]
    summary = indicator_summary(ind.reset_index(), spec)
    assert summary.set_index("indicator").loc["rec", "reliability"] == pytest.approx(0.5)
    assert "binomial" in summary.set_index("indicator").loc["rec2", "se_method"]


def test_shared_judgement_error_is_correlated_and_gets_its_own_sobol_group():
    from inspect_audit.scorecard.simulate import add_shared_error

    rng = np.random.default_rng(0)
    eps = rng.standard_normal((4, 5000, 3)).astype(np.float32)
    add_shared_error(eps, [0, 1], 0.4, rng.standard_normal((4, 5000, 1)).astype(np.float32))
    flat = eps.reshape(-1, 3)
    r = np.corrcoef(flat.T)
    assert r[0, 1] == pytest.approx(0.4, abs=0.03) and abs(r[0, 2]) < 0.03
    assert flat.std(axis=0) == pytest.approx([1, 1, 1], abs=0.02)

    ind = make_indicators(n=80, se=0.3)
    spec = make_spec(uncertainty={"judgement_error_corr": 0.5})
    for i in spec["indicators"][:2]:
        i["source"] = "judgement:" + i["id"]
    tab = sobol_indices(ind, spec, n_base=16, seed=0, vary_methods=False, vary_weights=False, n_boot=0)
    assert "error:shared_within_inspection" in set(tab["group"])
    sim = simulate_composites(ind, spec, n_rep=30, seed=0)
    assert (sim.summary["rank_interval_width"] > 0).any()


# ------------------------------------------------------------------ the headline comparison on the grades' own scale
def _two_frameworks():
    """Two schools with a legacy inspection (early years Good) and a later report card (early years Needs
    attention, achievement Expected standard / Urgent improvement)."""
    ins = pd.DataFrame({"inspection_id": ["a1", "b1", "a2", "b2"], "urn": ["A", "B", "A", "B"],
                        "start_date": pd.to_datetime(["2022-01-01", "2022-01-01", "2026-01-01", "2026-02-01"]),
                        "framework": ["eif_2019", "eif_2019", "report_card_2025", "report_card_2025"]})
    j = pd.DataFrame({"inspection_id": ["a1", "b1", "a1", "b1", "a2", "b2", "a2", "b2"],
                      "area": ["overall_effectiveness"] * 2 + ["early_years"] * 2 + ["achievement"] * 2
                      + ["early_years"] * 2,
                      "grade": [2, 3, 2, 2, 3, 5, 4, 4]})
    return {"inspections": ins, "judgements": j}


def test_headline_decision_speaks_the_scale_it_is_given():
    from inspect_audit._core.grades import MixedScalesError
    from inspect_audit.data import schemas
    from inspect_audit.scorecard.reliability import better_side, headline_decision

    tables = _two_frameworks()
    legacy = headline_decision(tables)
    assert legacy == {"area": "overall_effectiveness", "scale": "legacy_4", "boundary": "Good or better",
                      "base_rate": 0.5, "n": 2}
    cards = headline_decision(tables, "achievement")
    assert cards["boundary"] == "Expected standard or better" and cards["base_rate"] == 0.5  # 3 yes, 5 no
    assert better_side(schemas.scale("report_card_5"))[0] == (1, 2, 3)
    with pytest.raises(MixedScalesError):  # early years: legacy Good and report-card Needs attention
        headline_decision(tables, "early_years")
    assert headline_decision(tables, "early_years", ["report_card_2025"])["base_rate"] == 0.0


def test_bundled_report_cards_headline_and_comparison_wording():
    from inspect_audit.data.bundled import load_england
    from inspect_audit.scorecard import indicator_table, load_spec
    from inspect_audit.scorecard.reliability import headline_decision, reliability_comparison, spec_decision

    tables = load_england()
    d = headline_decision(tables, "achievement", ["report_card_2025"])
    j = tables["judgements"].merge(tables["inspections"], on="inspection_id")
    ach = j[(j["area"] == "achievement") & (j["framework"] == "report_card_2025")]
    ach = ach.sort_values(["start_date", "inspection_id"]).drop_duplicates("urn", keep="last")
    assert d["n"] == len(ach) > 1000 and d["base_rate"] == pytest.approx((ach["grade"] <= 3).mean())
    spec = load_spec("primary_balanced")
    assert spec_decision(tables, spec)["boundary"] == "Good or better"
    rel = reliability_comparison(indicator_table(tables, spec), spec, n_draws=100, decision=d)
    head = rel.iloc[0]
    assert head["measure"] == "single headline grade (achievement, report card)"
    assert "Expected standard or better" in head["assumption"] and "Good or better" not in head["assumption"]
    assert "no paired study of report cards" in head["assumption"]
    legacy = reliability_comparison(indicator_table(tables, spec), spec, n_draws=100)
    assert "Good or better" in legacy.iloc[0]["assumption"]
