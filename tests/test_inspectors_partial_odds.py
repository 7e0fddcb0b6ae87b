"""Partial proportional odds for deprivation (InspectorModel(partial_odds_fsm=True)).

Known truth: simulated data (seed 1; 600 schools, 30 inspectors; the simulator is proportional-odds),
then every Outstanding grade at a school in FSM quintiles 4-5 is turned into Good: deprivation now
matters far more at the Good | Outstanding boundary than at the lower ones. Fit: 2 chains x 400 draws
after 400 tuning (seed 2; gates not required). Checks: the boundary-specific FSM effects are reported
with intervals, the top boundary's effect is clearly more negative than the Requires improvement | Good
one (its 90% interval lies below that one's mean), and the probability-scale effects still add up.
"""

from __future__ import annotations

import warnings

import pytest

from inspect_audit.inspectors import InspectorModel
from inspect_audit.data.simulate import SimulationConfig, simulate

TOP, MIDDLE = "good_or_worse|outstanding", "requires_improvement_or_worse|good_or_better"


@pytest.fixture(scope="module")
def fit():
    data = simulate(SimulationConfig(n_schools=600, n_inspectors=30, paired_n_schools=0, survey_n_schools=0),
                    seed=1)
    t = data.tables()
    deprived = set(t["schools"].loc[t["schools"]["fsm_quintile"] >= 4, "urn"])
    ids = set(t["inspections"].loc[t["inspections"]["urn"].isin(deprived), "inspection_id"])
    j = t["judgements"].copy()
    sel = (j["area"] == "overall_effectiveness") & j["inspection_id"].isin(ids) & (j["grade"] == 1)
    j.loc[sel, "grade"] = 2
    t["judgements"] = j
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(partial_odds_fsm=True).fit(t, chains=2, tune=400, draws=400, seed=2, progress=False)


def test_boundary_specific_fsm_effects(fit):
    ce = fit.context_effects().set_index("term")
    rows = ce[ce.index.str.startswith("fsm_quintile@")]
    assert set(rows.index) == {f"fsm_quintile@{b}" for b in ("inadequate|requires_improvement_or_better", MIDDLE, TOP)}
    assert (rows["ci_low"] <= rows["mean"]).all() and (rows["mean"] <= rows["ci_high"]).all()
    top, middle = ce.loc[f"fsm_quintile@{TOP}"], ce.loc[f"fsm_quintile@{MIDDLE}"]
    assert top["ci_high"] < middle["mean"], (top, middle)


def test_counterfactual_and_ppc_with_partial_odds(fit):
    cf = fit.counterfactual(fit.design_.inspection_id[0])
    assert abs(cf["typical_mean"].sum() - 1) < 1e-9 and (cf["typical_mean"] >= 0).all()
    assert fit.diagnostics()["ppc"]["ok"]
