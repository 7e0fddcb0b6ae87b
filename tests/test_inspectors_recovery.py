"""Parameter recovery for the inspector-effects model on simulated data with known truth.

Marked slow: each fit compiles the model (20-60 s on 2 cores, less with a warm numba cache)
and samples 2 chains x (1000 tune + 3000 draws) (about 15-20 s). Run with ``pytest -m slow``.
Seeds are fixed, but freshly compiled and cache-loaded numba code can give different draws
(design note §9), so the assertions are on intervals and flags, never exact values.

Measured values (seed 1 data, seed 2 fit; recorded in models/inspector-effects.md) are in
the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspect_audit.inspectors import InspectorModel
from inspect_audit.data.simulate import SimulationConfig, simulate

pytestmark = pytest.mark.slow

FIT = dict(chains=2, tune=1000, draws=3000, seed=2, progress=False)
DELTA = 0.5


def _truth_frame(data) -> pd.DataFrame:
    tr = pd.DataFrame(data.truth["inspectors"]).merge(data.inspectors, on="inspector_id")
    tr["severity_c"] = tr["severity"] - tr["severity"].mean()  # the model's typical inspector is the mean
    return tr


def _finite_population_gamma(tr: pd.DataFrame) -> np.ndarray:
    """Realised severity differences by characteristic (OLS of true severity on male, HMI, serving)."""
    W = np.column_stack([np.ones(len(tr)), tr["gender"] == "male", tr["role"] == "HMI",
                         tr["serving_leader"].astype(bool)]).astype(float)
    return np.linalg.lstsq(W, tr["severity"].to_numpy(), rcond=None)[0][1:]


@pytest.fixture(scope="module")
def planted():
    data = simulate(SimulationConfig(n_schools=600, n_inspectors=30), seed=1)
    return data, InspectorModel().fit(data, **FIT)


def test_recovery_gates_pass(planted):
    _, model = planted
    diag = model.diagnostics()
    assert diag["ok"], diag  # measured: max R-hat ~1.005, min bulk ESS ~500 (sd_school), 0 divergences


def test_recovery_sigma_and_gamma_in_90_intervals(planted):
    data, model = planted
    vp = model.variance_partition().set_index("statistic")
    # the model's SD is a population SD; the realised one (incl. the 6 planted +-1.5) is 0.81
    resid = np.array([x["severity_residual"] for x in data.truth["inspectors"]])
    lo, hi = vp.loc["sd_inspector", ["ci_low", "ci_high"]]
    assert lo <= resid.std() <= hi  # measured [0.77, 1.46]
    ch = model.characteristic_effects()
    logit = ch[ch["scale"] == "logit"].set_index("term")
    tr = _truth_frame(data)
    fp = dict(zip(["male", "hmi", "serving_leader"], _finite_population_gamma(tr)))
    for term in ("male", "hmi", "serving_leader"):
        severity_true = -data.truth["gamma"][term]  # severity = -gamma (positive = harsher)
        lo, hi = logit.loc[term, ["ci_low", "ci_high"]]
        assert lo <= severity_true <= hi, (term, severity_true, lo, hi)
        assert lo <= fp[term] <= hi, (term, fp[term], lo, hi)
    # context: direct FSM effect per quintile and progress per SD (truth -0.15 and 0.6)
    ctx = model.context_effects()
    ctx = ctx[ctx["scale"] == "logit"].set_index("term")
    assert ctx.loc["fsm_quintile", "ci_high"] < 0
    assert ctx.loc["progress", "ci_low"] > 0


def test_recovery_planted_extremes_flagged(planted):
    data, model = planted
    eff = model.inspector_effects().merge(_truth_frame(data)[["inspector_id", "severity_c", "planted"]],
                                          on="inspector_id")
    planted_rows = eff[eff["planted"].notna()]
    # every flag has the planted direction; at least 5 of the 6 planted (+-1.5 logits) are found
    hits = (planted_rows["flag"] == planted_rows["planted"]).sum()
    assert hits >= 5, planted_rows
    assert not ((planted_rows["flag"] != "") & (planted_rows["flag"] != planted_rows["planted"])).any()
    # flags on inspectors whose true severity is within the practical threshold are false flags
    flagged = eff[eff["flag"] != ""]
    false = flagged[flagged["severity_c"].abs() <= DELTA]
    assert len(false) <= 1, flagged
    # 90% intervals of the total severity cover the truth for most inspectors
    cover = ((eff["ci_low"] <= eff["severity_c"]) & (eff["severity_c"] <= eff["ci_high"])).mean()
    assert 0.75 <= cover <= 1.0


def test_null_nothing_flagged():
    """planted_effect = 0, sigma_inspector = 0.01 and no characteristic effects: nothing may be flagged."""
    cfg = SimulationConfig(n_schools=600, n_inspectors=30, planted_effect=0.0, sigma_inspector=0.01,
                           gamma_male=0.0, gamma_hmi=0.0, gamma_serving_leader=0.0)
    data = simulate(cfg, seed=3)
    tr = _truth_frame(data)
    assert tr["severity_c"].abs().max() < DELTA  # only characteristics differ, all within delta
    model = InspectorModel().fit(data, **FIT)
    assert model.diagnostics()["ok"]  # else flags would be suppressed and the test empty
    eff = model.inspector_effects()
    assert (eff["flag"] == "").all(), eff[eff["flag"] != ""]
    assert eff[["p_severe", "p_lenient"]].max().max() < 0.9  # measured max 0.78
    # Not asserted: sd_inspector near 0. In this realisation the grades are over-dispersed by
    # inspector even given the true school, year and context effects (per-inspector z-scores of
    # Outstanding residuals have variance 1.85 against 1 expected; over seeds 3-22 the mean is
    # 1.06), and the posterior of sd_inspector is about 0.5 [0.24, 0.84]. Partial pooling and
    # the flag rule still flag no one.


def test_random_slope_smoke():
    data = simulate(SimulationConfig(n_schools=300, n_inspectors=15), seed=4)
    with pytest.warns(UserWarning):
        model = InspectorModel(random_slope=True).fit(data, chains=2, tune=30, draws=30, seed=1, progress=False)
    vp = model.variance_partition().set_index("statistic")
    assert {"sd_slope", "corr_intercept_slope"} <= set(vp.index)
    assert -1 <= vp.loc["corr_intercept_slope", "mean"] <= 1
    cf = model.counterfactual(model.design_.inspection_id[0])
    assert cf["typical_mean"].sum() == pytest.approx(1)
