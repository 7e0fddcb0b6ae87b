"""Inspector-effects model (inspect_audit.inspectors): design, gates, accessors, CLI.

Fits here are deliberately tiny (2 chains x 20 draws): they test the plumbing and the
convergence gate, not the statistics. Parameter recovery is in test_inspectors_recovery.py
(marked slow).
"""

from __future__ import annotations

import argparse
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from inspect_audit.inspectors import FILES, ConvergenceWarning, InspectorModel, build_design
from inspect_audit.inspectors.design import largest_component
from inspect_audit.data.simulate import SimulationConfig, simulate

SMALL = SimulationConfig(n_schools=300, n_inspectors=15, paired_n_schools=0, survey_n_schools=0)


@pytest.fixture(scope="module")
def small_data():
    return simulate(SMALL, seed=11)


@pytest.fixture(scope="module")
def tiny_fit(small_data):
    """2 chains x 20 draws: must fail the gates."""
    with pytest.warns(ConvergenceWarning, match="DID NOT CONVERGE"):
        model = InspectorModel().fit(small_data, chains=2, tune=20, draws=20, seed=5, progress=False, repair=False)
    return model


# ---------------------------------------------------------------------- design (no sampling)

def test_largest_component_drops_isolated_pair():
    insp = np.array(["A", "A", "B", "B", "C"])
    school = np.array(["1", "2", "2", "3", "9"])
    keep, info = largest_component(insp, school)
    assert keep.tolist() == [True, True, True, True, False]
    assert info["n_components"] == 2
    assert info["components"][0] == {"n_inspections": 4, "n_inspectors": 2, "n_schools": 3}


def test_design_recodes_grades_and_restricts_to_component(small_data):
    t = small_data.tables()
    # an inspector who inspected one school nobody else visited: a separate component
    lonely_school = t["schools"].iloc[[0]].assign(urn="9999999")
    lonely_insp = t["inspectors"].iloc[[0]].assign(inspector_id="INS-LONE")
    lonely_ins = t["inspections"].iloc[[0]].assign(inspection_id="LONE-1", urn="9999999",
                                                   lead_inspector_id="INS-LONE")
    lonely_j = pd.DataFrame({"inspection_id": ["LONE-1"], "area": ["overall_effectiveness"], "grade": [4]})
    tables = {"schools": pd.concat([t["schools"], lonely_school]),
              "inspectors": pd.concat([t["inspectors"], lonely_insp]),
              "inspections": pd.concat([t["inspections"], lonely_ins]),
              "judgements": pd.concat([t["judgements"], lonely_j])}
    d = build_design(tables)
    assert "INS-LONE" not in d.inspector_ids and "LONE-1" not in d.inspection_id
    conn = d.info["connectivity"]
    assert conn["n_components"] == 2 and d.info["dropped"]["outside_largest_component"] == 1
    assert d.info["n"]["inspections"] == len(t["inspections"])
    # better-is-higher recoding: Ofsted 1 (Outstanding) -> 3
    overall = t["judgements"].query("area == 'overall_effectiveness'").set_index("inspection_id")["grade"]
    assert np.array_equal(d.y, 4 - overall.loc[d.inspection_id].to_numpy())
    # covariates and inspector predictors are centred; school effects only for repeat schools
    assert np.allclose(d.X.mean(axis=0), 0) and np.allclose(d.W.mean(axis=0), 0)
    assert d.w_names == ["male", "hmi", "serving_leader"]
    assert d.cov_names[:2] == ["fsm_quintile", "progress"]
    counts = pd.Series(d.urn).value_counts()
    assert set(d.repeat_urns) == set(counts.index[counts >= 2])
    assert (d.school_idx[pd.Series(d.urn).map(counts).to_numpy() == 1] == -1).all()
    # progress standardised within phase over schools
    x_prog = d.X[:, 1] + d.x_mean[1]
    for ph in ("primary", "secondary"):
        per_school = pd.Series(x_prog[d.phase == ph], index=d.urn[d.phase == ph]).groupby(level=0).first()
        assert abs(per_school.mean()) < 1e-9 and abs(per_school.std(ddof=0) - 1) < 1e-9


def test_design_accepts_validated_tables(small_data, tmp_path):
    from inspect_audit.data.validation import validate

    small_data.write(tmp_path / "d")
    report = validate([tmp_path / "d" / f"{t}.csv" for t in ("schools", "inspections", "judgements", "inspectors")])
    assert report.ok, report.errors()
    a, b = build_design(report), build_design(small_data)
    assert np.array_equal(a.y, b.y) and np.allclose(a.X, b.X) and np.allclose(a.W, b.W)
    assert a.cov_names == b.cov_names


def test_design_rejects_binary_area(small_data):
    with pytest.raises(ValueError, match="fewer than 3 levels"):
        build_design(small_data, area="safeguarding")


def test_year_effects_resolved_by_cells_and_information(small_data):
    """Few cells (every real dataset) -> fixed effects; many thin cells -> hierarchical, non-centred;
    many large cells -> fixed; one cell -> none. The threshold constants are the rule's boundaries."""
    from dataclasses import replace

    from inspect_audit.inspectors.model import (FIXED_YEAR_MIN_MEDIAN_ROWS, HIERARCHICAL_YEAR_MIN_CELLS,
                                                resolve_year_effects)

    d = build_design(small_data)
    assert 1 < len(d.year_cells) < HIERARCHICAL_YEAR_MIN_CELLS
    assert resolve_year_effects(d)[0] == "fixed"
    # spread the rows over many cells: thin cells are pooled, large ones are not
    T = HIERARCHICAL_YEAR_MIN_CELLS
    many = replace(d, year_cells=np.array([f"{2000 + k}/x" for k in range(T)]), year_idx=np.arange(d.n_obs) % T)
    per_cell = d.n_obs / T
    assert (resolve_year_effects(many)[0] == "fixed") == (per_cell >= FIXED_YEAR_MIN_MEDIAN_ROWS)
    thin = replace(many, weights=np.full(d.n_obs, (FIXED_YEAR_MIN_MEDIAN_ROWS - 1) / per_cell))
    assert resolve_year_effects(thin)[0] == "non_centred"
    thick = replace(many, weights=np.full(d.n_obs, (FIXED_YEAR_MIN_MEDIAN_ROWS + 1) / per_cell))
    assert resolve_year_effects(thick)[0] == "fixed"
    one = replace(d, year_cells=np.array(["2019/eif_2019"]), year_idx=np.zeros(d.n_obs, dtype=int))
    assert resolve_year_effects(one)[0] == "none" and resolve_year_effects(one, "centred")[0] == "none"
    assert resolve_year_effects(d, "centred") == ("centred", "chosen by the user")
    with pytest.raises(ValueError, match="year_effects"):
        InspectorModel(year_effects="yes")
    # the estimator builds the resolved parameterisation
    assert "year_raw" in InspectorModel(year_effects="centred").build_model(d).named_vars
    assert "z_year" in InspectorModel(year_effects="non_centred").build_model(d).named_vars
    fixed = InspectorModel().build_model(d)
    assert "year_effect" in [v.name for v in fixed.free_RVs] and "z_year" not in fixed.named_vars


# ---------------------------------------------------------------------- tiny fit (gate)

def test_tiny_fit_fails_gates_and_flags_nothing(tiny_fit):
    diag = tiny_fit.diagnostics()
    assert diag["ok"] is False
    for key in ("max_rhat", "min_ess_bulk", "min_ess_tail", "divergences", "min_bfmi"):
        assert key in diag
    assert diag["min_ess_bulk"] < 400
    with pytest.warns(ConvergenceWarning):
        effects = tiny_fit.inspector_effects()
    assert (effects["flag"] == "").all()
    assert len(effects) == 15
    assert list(effects.columns[:10]) == ["inspector_id", "n_inspections", "mean", "sd", "ci_low", "ci_high",
                                          "characteristics_mean", "p_severe", "p_lenient", "mcse_p"]
    assert (effects["ci_low"] <= effects["mean"]).all() and (effects["mean"] <= effects["ci_high"]).all()
    assert ((effects["p_severe"] + effects["p_lenient"]) <= 1).all()
    assert effects["n_inspections"].sum() == tiny_fit.design_.n_obs


def test_flag_rule_when_gates_pass(tiny_fit):
    """The flag rule itself (probability threshold, MCSE, Bayesian FDR), gates forced open."""
    m = tiny_fit
    saved = m.diagnostics_["ok"]
    try:
        m.diagnostics_["ok"] = True
        p_sev = np.array([0.99, 0.95, 0.91, 0.50, 0.0])
        p_len = np.array([0.0, 0.0, 0.0, 0.10, 0.97])
        mcse = np.array([0.001, 0.01, 0.01, 0.02, 0.03])  # last one too noisy to flag
        flags = m._flags(p_sev, p_len, mcse)
        assert flags.tolist() == ["severe", "severe", "severe", "", ""]
        assert m.flag_summary_["expected_false_flags"] == pytest.approx(0.01 + 0.05 + 0.09)
        m.fdr = 0.031  # Bayesian FDR: mean(1 - P) over the flagged set <= 0.031 keeps the top two
        assert m._flags(p_sev, p_len, mcse).tolist() == ["severe", "severe", "", "", ""]
    finally:
        m.fdr = 0.10
        m.diagnostics_["ok"] = saved


def test_variance_partition_and_effect_tables(tiny_fit):
    vp = tiny_fit.variance_partition().set_index("statistic")
    for stat in ("sd_inspector", "icc_inspector", "median_odds_ratio", "p_good_or_better_gap_p90_p10"):
        row = vp.loc[stat]
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]
    assert (vp.loc["icc_inspector", ["ci_low", "ci_high"]].between(0, 1)).all()
    assert vp.loc["median_odds_ratio", "ci_low"] >= 1
    ch = tiny_fit.characteristic_effects()
    assert list(ch.columns) == ["term", "phase", "estimand", "scale", "mean", "sd", "ci_low", "ci_high"]
    assert set(ch["term"]) == {"male", "hmi", "serving_leader"} and set(ch["scale"]) == {"logit", "probability"}
    ctx = tiny_fit.context_effects()
    assert {"fsm_quintile", "progress", "phase[secondary]"} <= set(ctx["term"])
    prob = ctx[ctx["scale"] == "probability"]
    assert prob["mean"].abs().max() < 1
    assert set(ctx.loc[ctx["term"] == "fsm_quintile", "phase"]) == {"all", "primary", "secondary"}


def test_counterfactual_probabilities(tiny_fit):
    iid = tiny_fit.design_.inspection_id[3]
    cf = tiny_fit.counterfactual(iid)
    assert cf["grade"].tolist() == [1, 2, 3, 4]
    for col in ("actual_mean", "typical_mean", "unit_level"):
        assert cf[col].sum() == pytest.approx(1.0, abs=1e-9)
    assert (cf["typical_ci_low"] <= cf["typical_mean"]).all() and (cf["typical_mean"] <= cf["typical_ci_high"]).all()
    assert cf["observed"].sum() == 1
    with pytest.raises(KeyError):
        tiny_fit.counterfactual("NOT-AN-INSPECTION")


def test_save_and_load_round_trip(tiny_fit, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny_fit.save(tmp_path / "fit")
        loaded = InspectorModel.load(tmp_path / "fit")
    assert sorted(p.name for p in (tmp_path / "fit").iterdir()) == sorted(FILES)
    diag = json.loads((tmp_path / "fit" / "diagnostics.json").read_text())
    assert diag["ok"] is False and diag["data"]["n"]["inspectors"] == 15
    vp = json.loads((tmp_path / "fit" / "variance_partition.json").read_text())
    assert vp["ci_prob"] == 0.9 and {r["statistic"] for r in vp["rows"]} >= {"icc_inspector", "sd_inspector"}
    rows = {r["statistic"]: r for r in vp["rows"]}
    for key in ("sd_inspector", "icc_inspector", "median_odds_ratio"):  # the documented contract (issue 4)
        assert set(vp[key]) == {"mean", "ci_low", "ci_high"}
        assert vp[key]["ci_low"] <= vp[key]["mean"] <= vp[key]["ci_high"]
        assert vp[key]["mean"] == rows[key]["mean"]
    assert vp["n_inspectors"] == 15 and vp["converged"] is False
    iid = tiny_fit.design_.inspection_id[7]
    a, b = tiny_fit.counterfactual(iid), loaded.counterfactual(iid)
    pd.testing.assert_frame_equal(a, b)
    assert loaded.diagnostics()["ok"] is False
    csv = pd.read_csv(tmp_path / "fit" / "inspector_effects.csv", keep_default_na=False)
    assert (csv["flag"] == "").all()


# ---------------------------------------------------------------------- CLI

def _cli(argv):
    from inspect_audit.cli import inspectors as inspectors_cli

    from conftest import run_cli

    return run_cli(inspectors_cli.register, argv)


def test_cli_counterfactual_json(tiny_fit, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny_fit.save(tmp_path / "fit")
    iid = str(tiny_fit.design_.inspection_id[0])
    assert _cli(["counterfactual", "--fit", str(tmp_path / "fit"), "--inspection", iid, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"inspection_id", "grades", "actual", "typical", "typical_ci_low", "typical_ci_high"}
    assert out["inspection_id"] == iid and out["grades"] == [1, 2, 3, 4]
    assert sum(out["typical"]) == pytest.approx(1, abs=1e-5)
    assert all(lo <= m <= hi for lo, m, hi in zip(out["typical_ci_low"], out["typical"], out["typical_ci_high"]))
    assert _cli(["counterfactual", "--fit", str(tmp_path / "fit"), "--inspection", "NOPE", "--json"]) == 1


def test_cli_parser_options():
    from inspect_audit.cli import inspectors as inspectors_cli

    parser = argparse.ArgumentParser()
    inspectors_cli.register(parser.add_subparsers())
    a = parser.parse_args(["inspectors", "--data", "D", "--out", "O"])
    assert (a.area, a.chains, a.tune, a.draws, a.seed) == ("overall_effectiveness", 4, 500, 1000, None)
    assert (a.target_accept, a.year_effects, a.centred, a.max_refits, a.no_repair) == (0.9, "auto", False, 3, False)
    a = parser.parse_args(["inspectors", "--data", "D", "--out", "O", "--target-accept", "0.95", "--year-effects",
                           "fixed", "--centred", "--max-refits", "1", "--max-draws-factor", "2", "--no-repair"])
    assert (a.target_accept, a.year_effects, a.centred, a.max_refits, a.max_draws_factor, a.no_repair) == (
        0.95, "fixed", True, 1, 2.0, True)
    a = parser.parse_args(["counterfactual", "--fit", "O", "--inspection", "X", "--json"])
    assert a.json and a.inspection == "X"


@pytest.mark.slow
def test_cli_inspectors_end_to_end(small_data, tmp_path, capsys):
    """Validated CSVs in, all seven outputs and privacy.json written; a 20-draw fit exits 3 (not converged)."""
    small_data.write(tmp_path / "data")
    with pytest.warns(ConvergenceWarning):
        rc = _cli(["inspectors", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"),
                   "--chains", "2", "--tune", "20", "--draws", "20", "--seed", "1", "--quiet", "--no-repair"])
    assert rc == 3
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES)  # privacy.json among them
    out = capsys.readouterr()
    assert "analysed" in out.out
    # the message says what failed, what was tried and what the user can change
    assert "NOT CONVERGED" in out.err and "Tried: run 1:" in out.err and "--target-accept" in out.err
    diag = json.loads((tmp_path / "out" / "diagnostics.json").read_text())
    assert len(diag["repair"]) == 1 and diag["repair"][0]["result"]["ok"] is False


def test_cli_inspectors_incompatible_options_exit_cleanly(small_data, tmp_path, capsys):
    """--centred with --random-slope: one line naming the problem, exit 1, no traceback, nothing written."""
    small_data.write(tmp_path / "data")
    rc = _cli(["inspectors", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--quiet",
               "--centred", "--random-slope"])
    err = capsys.readouterr().err
    assert rc == 1 and "centred" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_cli_inspectors_rejects_invalid_data(small_data, tmp_path, capsys):
    small_data.write(tmp_path / "data")
    path = tmp_path / "data" / "judgements.csv"
    text = path.read_text().splitlines()
    text[1] = text[1].rsplit(",", 1)[0] + ",9"  # grade 9 is not on the scale
    path.write_text("\n".join(text) + "\n")
    rc = _cli(["inspectors", "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--quiet"])
    assert rc == 1
    assert "INVALID" in capsys.readouterr().err


def test_save_writes_pseudonyms_everywhere_by_default(tiny_fit, tmp_path):
    """A fit of data with real-looking ids (the simulator's INS-001 ...) saved from Python leaves the machine
    through the one writer: no id of the data in any file, posterior.nc included; reloading and the
    counterfactual still work; pseudonymise=False keeps the ids and the record says so."""
    import re

    import xarray as xr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tiny_fit.save(tmp_path / "fit")
        tiny_fit.save(tmp_path / "own", pseudonymise=False)
        loaded = InspectorModel.load(tmp_path / "fit")
    raw = set(tiny_fit.design_.inspector_ids.astype(str))
    pseudonym = re.compile(r"Inspector-[0-9A-F]{16}")
    csv = pd.read_csv(tmp_path / "fit" / "inspector_effects.csv")
    assert csv["inspector_id"].map(lambda v: bool(pseudonym.fullmatch(v))).all()
    assert (csv["n_inspections"] >= 10).all()  # smaller inspectors left out
    with xr.open_datatree(tmp_path / "fit" / "posterior.nc", engine="h5netcdf") as tree:
        ids = set(tree["posterior"]["inspector"].values.astype(str)) | set(
            tree["design"]["inspector_ids"].values.astype(str))
    assert ids and not ids & raw and all(pseudonym.fullmatch(i) for i in ids)
    for path in (tmp_path / "fit").iterdir():  # no raw id anywhere, in text or binary files
        data = path.read_bytes()
        assert not any(r.encode() in data for r in raw), path.name
    iid = tiny_fit.design_.inspection_id[3]
    pd.testing.assert_frame_equal(tiny_fit.counterfactual(iid).drop(columns=[]), loaded.counterfactual(iid))
    assert pseudonym.fullmatch(loaded.counterfactual(iid).attrs["inspector_id"])
    record = json.loads((tmp_path / "fit" / "privacy.json").read_text())["files"]
    assert record["posterior.nc"]["pseudonymised"] and record["inspector_effects.csv"]["pseudonymised"]
    own = json.loads((tmp_path / "own" / "privacy.json").read_text())["files"]["inspector_effects.csv"]
    assert own["pseudonymised"] is False
    assert set(pd.read_csv(tmp_path / "own" / "inspector_effects.csv")["inspector_id"]) <= raw
