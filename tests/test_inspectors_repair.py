"""The inspector model on designs it was not tuned to, and the repair of failed fits (``inspectors/repair.py``).

Data come from the calibration grid's own generator (``simulate/designs.py``), not the demo simulator.
The decision tests use hand-made gate results (no sampling); the fits are the grid's small cells at reduced
size, by seed, with the default settings a user gets. Their full versions (10 seeds each) are in the model
card's calibration grid (``scripts/calibrate_inspector_grid.py``).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

from inspect_audit.inspectors import InspectorModel
from inspect_audit.inspectors.repair import (RepairBudget, SamplerState, Step, combine_chains, locate_divergences,
                                             next_step)
from inspect_audit.data.simulate.designs import GRID, simulate_design, with_size

GATES = {"rhat_max": 1.01, "ess_min": 400.0, "divergences_max": 0, "bfmi_min": 0.3}
STATE = SamplerState(chains=4, tune=500, draws=1000, target_accept=0.9, year_effects="non_centred", centered=False)


def _diag(**over) -> dict:
    d = {"ok": False, "max_rhat": 1.004, "max_rhat_variable": "sd_school", "min_ess_bulk": 900.0,
         "min_ess_tail": 900.0, "divergences": 0, "min_bfmi": 0.8, "gates": GATES, "chains": 4,
         "checks": {"rhat": True, "ess_bulk": True, "ess_tail": True, "divergences": True, "bfmi": True,
                    "chains": True, "ppc": True}}
    checks = over.pop("checks", {})
    d.update(over)
    d["checks"] = {**d["checks"], **checks}
    return d


def _tree(sd: dict[str, np.ndarray], diverging: np.ndarray) -> xr.DataTree:
    post = xr.Dataset({k: (("chain", "draw"), v) for k, v in sd.items()})
    stats = xr.Dataset({"diverging": (("chain", "draw"), diverging)})
    return xr.DataTree.from_dict({"posterior": post, "sample_stats": stats})


def test_divergences_in_the_year_funnel_make_year_effects_fixed():
    rng = np.random.default_rng(0)
    sd_year = np.exp(rng.normal(-2, 1, (4, 500)))
    sd_insp = np.exp(rng.normal(-0.7, 0.1, (4, 500)))
    div = sd_year < np.quantile(sd_year, 0.03)  # divergences piled at the smallest sd_year: a funnel
    tree = _tree({"sd_year": sd_year, "sd_inspector": sd_insp}, div)
    assert locate_divergences(tree)[0] == "sd_year" and locate_divergences(tree)[1] < -1
    step = next_step(_diag(divergences=int(div.sum()), checks={"divergences": False}), tree, STATE, RepairBudget())
    assert step.action == "refit" and step.state.year_effects == "fixed" and "sd_year" in step.reason
    # once fixed, a second funnel elsewhere is not sent back to the tried parameterisation
    again = next_step(_diag(divergences=3, checks={"divergences": False}), _tree(
        {"sd_year": sd_year, "sd_inspector": sd_insp}, div), step.state, RepairBudget(), refits=1)
    assert again.action == "refit" and again.state.target_accept == 0.95


def test_divergences_with_no_funnel_raise_target_acceptance_then_stop_at_the_budget():
    rng = np.random.default_rng(1)
    sd = np.exp(rng.normal(-1, 0.3, (4, 500)))
    div = rng.random((4, 500)) < 0.01  # scattered: no SD stands out
    tree = _tree({"sd_inspector": sd}, div)
    assert locate_divergences(tree)[0] is None
    diag = _diag(divergences=int(div.sum()), checks={"divergences": False})
    s1 = next_step(diag, tree, STATE, RepairBudget())
    assert s1.state.target_accept == 0.95
    s2 = next_step(diag, tree, s1.state, RepairBudget(), refits=1)
    assert s2.state.target_accept == 0.99
    s3 = next_step(diag, tree, s2.state, RepairBudget(), refits=2)
    assert s3.action == "refit" and s3.state.tune == 1000  # longer adaptation last
    assert next_step(diag, tree, s3.state, RepairBudget(), refits=3).action == "stop"


def test_divergences_at_large_inspector_sd_centre_the_inspector_effects():
    rng = np.random.default_rng(2)
    sd = np.exp(rng.normal(-0.5, 0.2, (4, 500)))
    div = sd > np.quantile(sd, 0.97)
    step = next_step(_diag(divergences=int(div.sum()), checks={"divergences": False}),
                     _tree({"sd_inspector": sd}, div), replace(STATE, year_effects="fixed"), RepairBudget())
    assert step.state.centered is True and "centred" in step.what


def test_short_ess_appends_chains_and_short_rhat_lengthens_them():
    # ESS 250 of 400 with R-hat fine: 400/250 = 1.6x -> ceil(4 x (1.15 x 1.6 - 1)) = 4 more chains
    s = next_step(_diag(min_ess_bulk=250.0, checks={"ess_bulk": False}), None, STATE, RepairBudget())
    assert (s.action, s.extra_chains) == ("append", 4)
    # R-hat over the gate: chains twice as long (R-hat's noise falls with each chain's ESS)
    s = next_step(_diag(max_rhat=1.013, min_ess_bulk=300.0, checks={"rhat": False, "ess_bulk": False}),
                  None, STATE, RepairBudget())
    assert s.action == "refit" and s.state.draws == 2000 and s.state.tune == 500
    # far off: the adaptation doubles too
    s = next_step(_diag(max_rhat=1.2, checks={"rhat": False}), None, STATE, RepairBudget())
    assert s.state.tune == 1000
    # no budget left: stop and say so
    s = next_step(_diag(min_ess_bulk=250.0, checks={"ess_bulk": False}), None, STATE, RepairBudget(),
                  draws_used=16000)
    assert s.action == "stop" and "budget" in s.what


def test_low_bfmi_alone_lengthens_the_adaptation():
    s = next_step(_diag(min_bfmi=0.2, checks={"bfmi": False}), None, STATE, RepairBudget())
    assert s.action == "refit" and s.state.tune == 1000 and s.state.target_accept == 0.9


def test_ppc_failure_is_not_a_sampling_problem():
    s = next_step(_diag(checks={"ppc": False}), None, STATE, RepairBudget())
    assert s == Step("stop", s.reason, s.what) and "cannot mend" in s.what


def test_combine_chains_keeps_every_draw():
    a = _tree({"sd_year": np.ones((4, 10))}, np.zeros((4, 10), bool))
    b = _tree({"sd_year": 2 * np.ones((2, 10))}, np.zeros((2, 10), bool))
    c = combine_chains(a, b)
    assert c["posterior"].sizes["chain"] == 6 and list(c["posterior"]["chain"].values) == list(range(6))
    assert float(c["posterior"]["sd_year"].mean()) == pytest.approx((40 + 40) / 60)


# ---------------------------------------------------------------------- fits (grid cells, reduced)

def _fit(design, seed, **options):
    data = simulate_design(design, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data, InspectorModel(area=design.area, **options).fit(data, seed=seed, progress=False)


def test_no_year_effect_forced_centred_is_repaired():
    """The failure that opened the issue: no true year effect, year effects centred (the old default on
    large cells) -> divergences in the sd_year funnel. The repair must find the funnel, switch to fixed
    year effects and pass the gates; the default ("auto") picks fixed effects at once. Design: the grid's
    no_year_effect cell at 40% size (1,200 inspections, 60 inspectors), seed 3."""
    design = with_size(GRID["no_year_effect"], 0.4)
    data, m = _fit(design, 3, year_effects="centred")
    first = m.repair_[0]
    assert first["year_effects"] == "centred"
    if first["result"]["divergences"]:  # the usual case: the funnel is found and removed
        assert any("year effects made fixed" in e["what"] for e in m.repair_[1:])
    assert m.diagnostics_["ok"], m.repair_
    assert len(m.repair_) <= 4


@pytest.mark.parametrize("name,size,seed", [("tiny", 1.0, 2), ("report_card_5", 0.4, 1)])
def test_default_fit_passes_gates_and_covers_truth(name, size, seed):
    """Default settings on the grid's tiny cell (400 inspections, 25 inspectors) and one report-card area on
    the 5-point scale (1,000 inspections, 40 inspectors, one inspection per school): the gates pass (after
    any repair), the true severities are inside their 90% intervals for at least 70% of inspectors (one
    replicate's coverage varies: 0.64-1.0 over the grid's seeds) and the planted extremes are not flagged
    the wrong way."""
    design = with_size(GRID[name], size)
    data, m = _fit(design, seed)
    assert m.diagnostics_["ok"], m.repair_
    eff = m.inspector_effects()
    truth = data.truth["severity"].reindex(eff["inspector_id"]).to_numpy()
    truth = truth - truth.mean()
    assert np.mean((eff["ci_low"] <= truth) & (truth <= eff["ci_high"])) >= 0.7
    wrong = ((eff["flag"] == "severe") & (truth < 0)) | ((eff["flag"] == "lenient") & (truth > 0))
    assert not wrong.any()
    assert m.design_.scale == ("report_card_5" if name == "report_card_5" else "legacy_4")


def test_null_design_flags_nobody():
    """No inspector differences at all (grid cell no_inspector_variation at 40%): gates pass, nobody is
    flagged, and sd_inspector's 90% interval reaches down to near 0 (< 0.15)."""
    data, m = _fit(with_size(GRID["no_inspector_variation"], 0.4), 4)
    assert m.diagnostics_["ok"], m.repair_
    assert (m.inspector_effects()["flag"] == "").all()
    vp = m.variance_partition().set_index("statistic")
    assert vp.loc["sd_inspector", "ci_low"] < 0.15
