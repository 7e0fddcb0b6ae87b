"""Model checks of the inspector model (inspect_audit.inspectors.model_checks): PPC, PSIS-LOO, prior sensitivity.

Fits: simulated data (seed 3; 400 schools, 20 inspectors; the simulator's progress effect is 0.6 logit
per SD), 2 chains x 300 draws after 300 tuning. They need not pass the convergence gates: what is
tested is that each check sees what it should (a model that reproduces the data passes the PPC gate,
a grade vector it did not produce fails it; LOO prefers the model with the real progress effect).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from inspect_audit.inspectors import InspectorModel
from inspect_audit.inspectors import model_checks as mc
from inspect_audit.data.simulate import SimulationConfig, simulate

FIT = dict(chains=2, tune=300, draws=300, seed=1, progress=False)


@pytest.fixture(scope="module")
def data():
    return simulate(SimulationConfig(n_schools=400, n_inspectors=20, paired_n_schools=0, survey_n_schools=0),
                    seed=3)


@pytest.fixture(scope="module")
def fit(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel().fit(data, **FIT)


@pytest.fixture(scope="module")
def fit_no_progress(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(progress=False).fit(data, **FIT)


def test_ppc_table_covers_every_group_and_passes_on_own_data(fit):
    ppc = fit.ppc_
    assert set(ppc["check"]) == set(mc.PPC_GROUPS)
    d = fit.design_
    assert set(ppc.loc[ppc.check == "fsm_quintile", "group"]) == {"1", "2", "3", "4", "5"}
    # groups of one check partition the inspections, and observed shares sum to 1 within a group
    for check, g in ppc.groupby("check"):
        assert g.drop_duplicates("group")["n"].sum() == d.n_obs, check
        assert np.allclose(g.groupby("group")["observed"].sum(), 1.0)
    assert (ppc["ci_low"] <= ppc["predicted_mean"] + 1e-12).all()
    assert (ppc["predicted_mean"] <= ppc["ci_high"] + 1e-12).all()
    assert ((ppc["p_value"] >= 0) & (ppc["p_value"] <= 1)).all()
    summary = fit.diagnostics()["ppc"]
    assert summary["ok"] and fit.diagnostics()["checks"]["ppc"]
    # by chance about 10% of cells fall outside 90% intervals; a working model is not far above that
    assert summary["n_outside"] <= 2 * summary["expected_outside"] + 3


def test_ppc_gate_fails_for_grades_the_model_did_not_produce(fit):
    bad = copy.copy(fit)
    bad.design_ = copy.copy(fit.design_)
    K = fit.design_.n_levels
    bad.design_.y = np.minimum(fit.design_.y + 1, K - 1)  # every grade one step better
    ppc = mc.posterior_predictive_checks(bad)
    summary = mc.ppc_summary(ppc)
    assert summary["ok"] is False
    assert summary["overall_min_p"] < 0.01


def test_loo_prefers_the_model_with_progress(fit, fit_no_progress):
    res = mc.loo(fit)
    assert res["n"] == fit.design_.n_obs and res["se"] > 0 and res["p_loo"] > 0
    table = mc.compare({"with progress": fit, "without progress": fit_no_progress})
    assert table.index[0] == "with progress"
    # measured: elpd difference about 14-16 with dse about 5 (true progress effect 0.6 logit per SD;
    # compare keeps full precision: ArviZ rounds to 2 significant figures by default, which made it 10 or 20)
    row = table.loc["without progress"]
    assert row["elpd_diff"] < 0 and abs(row["elpd_diff"]) > 2 * row["dse"]


def test_compare_rejects_different_data(fit, data):
    other = copy.copy(fit)
    other.design_ = copy.copy(fit.design_)
    other.design_.inspection_id = fit.design_.inspection_id[::-1].copy()
    with pytest.raises(ValueError, match="same inspections"):
        mc.compare({"a": fit, "b": other})


def test_prior_sensitivity_table(fit):
    table = mc.prior_sensitivity(fit)
    assert {"parameter", "prior", "likelihood", "diagnosis"} <= set(table.columns)
    assert "sd_inspector" in set(table["parameter"])
    assert set(table["diagnosis"]) <= {"ok", "potential prior-data conflict", "potential strong prior / weak likelihood"}
    # a well-identified coefficient is driven by the likelihood more than by its N(0, 1) prior
    row = table.set_index("parameter").loc["beta[progress]"]
    assert row["likelihood"] > row["prior"]
