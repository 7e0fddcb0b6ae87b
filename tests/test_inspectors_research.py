"""The inspector research questions (InspectorModel(research=...)): planted answers recovered, none in a null.

Known truth: :func:`inspect_audit.data.simulate.research.simulate_research`, a generator written from the
questions (grades drawn one inspection at a time in date order, leads with phase backgrounds and start years,
team sizes that follow the school, a user-supplied conflict flag), 1,500 inspections by 40 lead inspectors at
1,100 schools, data seed 1. ``PLANTED`` (latent logits, positive = better grades): after the same lead's
previous Inadequate +0.9, after an Outstanding -0.5, a lead outside their phase -0.6 (both directions), +0.06
per year of experience, -0.25 per team member, +0.6 at schools employing a serving inspector. ``NULL``: the
same design with none of them. Fit: ``FIT`` below (2 chains x (500 + 500), one run, seed 2: about 15 s
each on 2 shared cores). These short fits need not pass the gates (bulk ESS of sd_school is about 160 of 1,000
draws); the model card reports the default fit, which does.

Tolerance: each planted effect's 90% interval covers the truth and excludes 0 on the truth's side (sign
right); in the null every effect's 90% interval covers 0. With 5 effects and 90% intervals a null fit would
miss 0 somewhere about 4 times in 10 by chance alone, so the null's data seed is fixed (seed 1), measured
margins are in the comments, and the model card reports the same check over further seeds. Freshly compiled
and cache-loaded numba code can give slightly different draws, so nothing is asserted to more than its
interval.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from inspect_audit.data.simulate.research import NULL, PLANTED, simulate_research
from inspect_audit.inspectors import ConvergenceWarning, InspectorModel
from inspect_audit.inspectors.design import build_design
from inspect_audit.inspectors.research import COLUMNS, previous_grades, summary_sentences

FIT = dict(chains=2, tune=500, draws=500, seed=2, progress=False, repair=False)  # gates need not pass
TERMS = {"previous_grade[inadequate]": "after_lowest", "previous_grade[outstanding]": "after_highest",
         "phase_mismatch": "primary_lead_at_secondary", "experience_years": "per_year_experience",
         "team_size": "per_team_member", "employs_serving_inspector": "conflict"}


def _fit(truth, seed=1):
    data = simulate_research(truth, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = InspectorModel(research="all").fit(data, **FIT)
    return data, model


@pytest.fixture(scope="module")
def planted():
    return _fit(PLANTED)


@pytest.fixture(scope="module")
def null():
    return _fit(NULL)


def _logit(model) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = model.research_effects()
    return table[table["scale"] == "logit"].set_index("term")


# ---------------------------------------------------------------------------------------- no sampling

def test_previous_grade_is_the_same_leads_latest_earlier_inspection():
    rows = pd.DataFrame({"inspection_id": ["a", "b", "c", "d", "e"],
                         "lead_inspector_id": ["J1", "J2", "J1", "J1", "J2"],
                         "start_date": ["2020-01-06", "2019-10-01", "2019-11-04", "2020-03-02", "2020-05-05"],
                         "grade": [2, 4, 4, 1, 3]})
    prev = previous_grades(rows)
    # J1: c (Nov 2019) -> a (Jan 2020) -> d (Mar 2020); J2: b -> e. Rows keep their input order.
    assert prev.tolist()[:1] == [4.0] and np.isnan(prev[1]) and np.isnan(prev[2])
    assert prev.tolist()[3:] == [2.0, 4.0]


def test_design_columns_are_the_generators_features():
    """The columns the model sees equal the features the simulator planted effects on, row by row (the one
    exception: a lead's first inspection in the data, whose previous grade is outside the data)."""
    data = simulate_research(PLANTED, seed=1)
    d = build_design(data, research=("sequence", "phase_match", "experience", "team_size", "conflict"))
    raw = pd.DataFrame(d.X + d.x_mean, columns=d.cov_names, index=d.inspection_id)
    truth = data.truth["rows"].set_index("inspection_id").loc[d.inspection_id]
    first = raw["previous_grade[none]"] == 1
    assert first.sum() == data["inspections"]["lead_inspector_id"].nunique()
    for term, feature in (("previous_grade[inadequate]", "after_lowest"),
                          ("previous_grade[outstanding]", "after_highest")):
        assert (raw.loc[~first, term].to_numpy() == truth.loc[~first.to_numpy(), feature].to_numpy()).all()
    for term in ("phase_mismatch", "experience_years", "team_size"):
        assert np.allclose(raw[term].to_numpy(), truth[term].to_numpy(float))
    assert np.array_equal(raw["employs_serving_inspector"].to_numpy(), truth["conflict"].to_numpy(float))
    info = d.info["research"]["columns"]
    assert info["phase_mismatch"]["n"] == int(truth["phase_mismatch"].sum())


def test_all_asks_what_the_data_can_answer():
    data = simulate_research(replace(NULL, n_inspections=300, n_inspectors=12, n_schools=250), seed=3)
    data["inspectors"] = data["inspectors"].assign(phase_background=None)  # reports do not state it
    d = build_design(data, research=("all",))
    r = d.info["research"]
    assert r["questions"] == ["sequence", "experience", "team_size", "conflict"]
    assert "no modelled inspection has phase_mismatch" in r["not_asked"]["phase_match"]
    assert "phase_mismatch" not in d.cov_names and "team_size" in d.cov_names


def test_unknown_question_and_missing_data_are_clear_errors():
    with pytest.raises(ValueError, match="unknown research question.*'seqence'"):
        InspectorModel(research=("seqence",))
    data = simulate_research(replace(NULL, n_inspections=300, n_inspectors=12, n_schools=250), seed=3)
    no_flag = dict(data, schools=data["schools"].drop(columns="employs_serving_inspector"))
    with pytest.raises(ValueError, match="needs the column schools.employs_serving_inspector"):
        build_design(no_flag, research=("conflict",))
    none_flagged = dict(data, schools=data["schools"].assign(employs_serving_inspector=False))
    with pytest.raises(ValueError, match="research question 'conflict' cannot be asked.*no modelled inspection has employs_serving_"):
        build_design(none_flagged, research=("conflict",))


# ---------------------------------------------------------------------------------------- planted answers

def _covers_truth_with_sign(model, term):
    row = _logit(model).loc[term]
    truth = PLANTED.effects()[TERMS[term]]
    assert row["ci_low"] <= truth <= row["ci_high"], (term, truth, row[["mean", "ci_low", "ci_high"]].to_dict())
    assert (row["ci_low"] > 0) if truth > 0 else (row["ci_high"] < 0), (term, row.to_dict())


def test_sequence_effects_recovered(planted):
    _, model = planted
    _covers_truth_with_sign(model, "previous_grade[inadequate]")  # measured 0.95 [0.60, 1.31] (truth 0.9)
    _covers_truth_with_sign(model, "previous_grade[outstanding]")  # measured -0.46 [-0.72, -0.22] (truth -0.5)


def test_phase_mismatch_recovered(planted):
    _covers_truth_with_sign(planted[1], "phase_mismatch")  # measured -0.52 [-0.79, -0.25] (truth -0.6)


def test_experience_recovered(planted):
    _covers_truth_with_sign(planted[1], "experience_years")  # measured 0.066 [0.037, 0.095] (truth 0.06)


def test_team_size_recovered(planted):
    _covers_truth_with_sign(planted[1], "team_size")  # measured -0.29 [-0.41, -0.16] (truth -0.25)


def test_conflict_recovered(planted):
    _covers_truth_with_sign(planted[1], "employs_serving_inspector")  # measured 0.74 [0.42, 1.05] (truth 0.6)


def test_table_contract_and_probability_scale(planted):
    data, model = planted
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = model.research_effects()
        context = model.context_effects()
    assert list(table.columns) == COLUMNS
    assert set(table["question"]) == {"sequence", "phase_match", "experience", "team_size", "conflict"}
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()
    assert (table["n"] > 0).all() and (table["n_inspectors"] <= 40).all()
    # the research columns are reported here only, not among the context effects
    assert not set(context["term"]) & set(table["term"])
    # a kinder grade after an Inadequate: P(good or better) up and P(inadequate) down, on the logit's side
    seq = table[table["term"] == "previous_grade[inadequate]"].set_index("estimand")
    assert seq.loc["change in P(good_or_better)", "ci_low"] > 0 > seq.loc["change in P(inadequate)", "ci_high"]
    sentences = summary_sentences(table)
    assert len(sentences) == 6 and all("90% interval" in s and "lead inspectors" in s for s in sentences)


def test_save_and_load_keep_the_research_questions(planted, tmp_path):
    _, model = planted
    model.save(tmp_path)
    saved = pd.read_csv(tmp_path / "research_effects.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = InspectorModel.load(tmp_path)
        assert again.research == model.research
        assert np.allclose(again.research_effects()["mean"], saved["mean"])


def test_a_fit_that_fails_its_gates_says_so(planted):
    failed = copy.copy(planted[1])
    failed.diagnostics_ = {**failed.diagnostics_, "ok": False}
    failed._cache = {}
    with pytest.warns(ConvergenceWarning, match="DID NOT CONVERGE"):
        table = failed.research_effects()
    assert table.attrs["converged"] is False


# ---------------------------------------------------------------------------------------- null

def test_null_design_intervals_cover_zero(null):
    _, model = null
    logit = _logit(model)
    for term in TERMS:
        lo, hi = logit.loc[term, ["ci_low", "ci_high"]]
        assert lo <= 0 <= hi, (term, lo, hi)
    # measured: previous Inadequate 0.14 [-0.19, 0.45], Outstanding 0.02 [-0.23, 0.28], mismatch 0.13
    # [-0.12, 0.37], experience 0.009 [-0.023, 0.040], team 0.04 [-0.08, 0.16], conflict -0.05 [-0.33, 0.23]


# ---------------------------------------------------------------------------------------- command line

def _write(data, folder):
    folder.mkdir()
    for name, frame in data.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_cli_research_writes_the_table_and_figure_through_the_one_writer(tmp_path, capsys):
    import json

    from inspect_audit.cli import inspectors as inspectors_cli
    from conftest import run_cli

    data = simulate_research(PLANTED, seed=1)
    data["schools"] = data["schools"].drop(columns="employs_serving_inspector")  # a union without the flag
    folder = _write(data, tmp_path / "data")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = run_cli(inspectors_cli.register, ["inspectors", "--data", str(folder), "--out", str(tmp_path / "out"),
                                               "--research", "all", "--chains", "2", "--tune", "200",
                                               "--draws", "200", "--seed", "1", "--quiet", "--no-repair"])
    assert rc in (0, 3)  # a 200-draw fit may miss the ESS gate; the tables are written either way
    out = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "research_effects.csv")
    assert set(table["question"]) == {"sequence", "phase_match", "experience", "team_size"} and "suppressed" in table
    assert (tmp_path / "out" / "research_effects.png").stat().st_size > 0
    privacy = json.loads((tmp_path / "out" / "privacy.json").read_text())["files"]
    assert privacy["research_effects.csv"]["suppression"]["count_column"] == "n_inspectors"
    assert "research_effects.png" in privacy
    # one sentence per effect (previous Inadequate and Outstanding, phase, experience, team size), with interval
    # and n; "all" leaves out the question the data cannot answer, and says why
    assert out.count("lead inspectors).") == 5 and "team size, one inspector more on the team" in out
    assert "not asked: research question 'conflict' cannot be asked" in out


def test_cli_research_bad_requests_are_one_line_errors(tmp_path, capsys):
    from inspect_audit.cli import inspectors as inspectors_cli
    from conftest import run_cli

    data = simulate_research(replace(NULL, n_inspections=300, n_inspectors=12, n_schools=250), seed=3)
    data["schools"] = data["schools"].drop(columns="employs_serving_inspector")
    folder = _write(data, tmp_path / "data")
    for research, message in (("sequence,seqence", "unknown research question(s) 'seqence'"),
                              ("conflict", "it reads schools.employs_serving_inspector")):
        rc = run_cli(inspectors_cli.register, ["inspectors", "--data", str(folder), "--out", str(tmp_path / "out"),
                                               "--research", research, "--quiet"])
        err = capsys.readouterr().err
        assert rc == 1 and message in err and "Traceback" not in err
        assert not (tmp_path / "out").exists()
