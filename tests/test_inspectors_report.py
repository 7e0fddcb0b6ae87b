"""Demo-report sections of the Bayesian models (inspect_audit.inspectors.report), in quick mode.

Quick fits (2 chains x 300 draws) test the plumbing and the wording, not the statistics: their
convergence gates usually fail, and then nothing may be flagged. The context section reuses the
nutpie compile of test_inspectors_context.py when both run in one session.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from inspect_audit.data.bundled import load_england
from inspect_audit.inspectors import ConvergenceWarning, InspectorModel, severity_draws
from inspect_audit.inspectors.report import context_section, demo_section
from inspect_audit.data.simulate import SimulationConfig, simulate

SMALL = SimulationConfig(n_schools=300, n_inspectors=15, paired_n_schools=0, survey_n_schools=0)


@pytest.fixture(scope="module")
def simulated():
    return simulate(SMALL, seed=11)


@pytest.fixture(scope="module")
def demo(simulated, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return out, demo_section(simulated, out, quick=True, seed=3)


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    out = tmp_path_factory.mktemp("context")
    return out, context_section(load_england(), out, quick=True, seed=5)


def test_demo_section_outputs(demo, simulated):
    out, sec = demo
    assert set(sec) >= {"title", "markdown", "summary", "model"}
    assert "simulated" in sec["title"].lower()
    md = sec["markdown"]
    assert "Simulated inspectors, not real people" in md and "Quick fit" in md
    assert "inspector_severity.png" in md and (out / "inspector_severity.png").stat().st_size > 10_000
    for name in ("inspector_effects.csv", "variance_partition.json", "diagnostics.json", "posterior.nc"):
        assert (out / "inspector_model" / name).exists()
    assert isinstance(sec["model"], InspectorModel)
    assert all(isinstance(line, str) for line in sec["summary"]) and len(sec["summary"]) >= 3
    # variance partition, characteristics and recovery are reported
    for text in ("median odds ratio", "P(Good or better)", "Inspector characteristics", "inside the 90% interval",
                 "Posterior predictive check"):
        assert text in md
    assert (out / "inspector_ppc.png").stat().st_size > 10_000
    ppc = pd.read_csv(out / "inspector_model" / "posterior_predictive_checks.csv")
    assert f"{int(ppc['outside'].sum())} of {len(ppc)} cells" in md


def test_demo_flags_follow_gates(demo):
    out, sec = demo
    diag = json.loads((out / "inspector_model" / "diagnostics.json").read_text())
    effects = pd.read_csv(out / "inspector_model" / "inspector_effects.csv", keep_default_na=False)
    if not diag["ok"]:
        assert (effects["flag"] == "").all()
        assert "Flags: none" in sec["markdown"] and "gates failed" in sec["markdown"]
    else:
        assert "**Flags:**" in sec["markdown"]
    # the printed summary never quotes a failed fit's figures bare: each line after the gate line says so
    assert "FAILED" in sec["summary"][0] if not diag["ok"] else "passed" in sec["summary"][0]
    assert all(line.startswith("NOT RELIABLE") == (not diag["ok"]) for line in sec["summary"][1:])


def test_severity_draws_layout(demo, simulated):
    model = demo[1]["model"]
    draws = severity_draws(model, max_draws=100)
    assert draws.index.name == "inspector_id" and draws.shape == (len(model.design_.inspector_ids), 100)
    assert list(draws.columns[:2]) == ["draw_0", "draw_1"]
    # the draws are the posterior of the severities the effects table summarises
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # quick fit: the gates may fail
        eff = model.inspector_effects().set_index("inspector_id")
    full = severity_draws(model, max_draws=None)
    assert np.allclose(full.mean(axis=1).loc[eff.index], eff["mean"])
    assert set(draws.index) <= {r["inspector_id"] for r in simulated.truth["inspectors"]}


def test_context_section_outputs(context):
    out, sec = context
    assert set(sec) >= {"title", "markdown", "summary"}
    md = sec["markdown"]
    assert "real data" in sec["title"] and "Quick fit" in md
    assert (out / "context_fsm_shares.png").stat().st_size > 10_000
    for name in ("context_effects.csv", "adjusted_grade_shares.csv", "fsm_total_vs_direct.csv", "diagnostics.json"):
        assert (out / "context_model" / name).exists()
    # total vs direct per phase, the share remaining, and the caveats
    rows = {tuple(c.strip() for c in line.split("|")[1:3]) for line in md.splitlines() if line.startswith("|")}
    assert {("primary", "total"), ("primary", "direct"), ("secondary", "total"), ("secondary", "direct")} <= rows
    for text in ("remains after progress", "2022/23", "\"direct\" is not \"bias\""):
        assert text in md
    assert "mediation" in md.lower()
    comp = pd.read_csv(out / "context_model" / "fsm_total_vs_direct.csv").set_index(["phase", "statistic"])
    for phase in ("primary", "secondary"):
        assert comp.loc[(phase, "total_logit"), "ci_high"] < 0
        share = comp.loc[(phase, "share_remaining_probability"), "mean"]
        assert f"* {phase}: {share:.0%}" in md
