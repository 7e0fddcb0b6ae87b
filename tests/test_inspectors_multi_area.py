"""The multi-area model (``inspectors/multi_area.py``): every report-card area of an inspection together.

Simulated report cards with known truth (``simulate_report_cards``: one inspection per school, six areas on
the 5-point scale, lead-inspector and inspection effects shared across areas, area-specific cutpoints and FSM
effects). Seeds and tolerances are stated per test; the fits use the package defaults (repair on).
"""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from inspect_audit.inspectors.multi_area import MultiAreaModel, build_model, long_rows
from inspect_audit.data.simulate.designs import REPORT_CARD_AREAS, simulate_report_cards
from inspect_audit.data.simulate.probit_report_cards import probit_report_cards


def test_long_rows_one_row_per_inspection_and_area():
    data = simulate_report_cards(120, 10, seed=3)
    d = long_rows(data)
    assert d["areas"] == sorted(REPORT_CARD_AREAS) and d["scale"] == "report_card_5" and d["K"] == 5
    assert len(d["y"]) == 120 * len(REPORT_CARD_AREAS) and d["info"]["n"]["inspections"] == 120
    # grade 1 (Exceptional) is the best: better-is-higher y = 4
    j = data["judgements"].set_index(["inspection_id", "area"])["grade"]
    first = j.loc[(d["inspection_ids"][d["ins_idx"][0]], d["areas"][d["area_idx"][0]])]
    assert d["y"][0] == 5 - first
    with pytest.raises(ValueError, match="framework"):
        long_rows(data, framework="eif_2019")


def test_long_rows_on_data_with_legacy_inspections_too():
    """The bundled data hold legacy inspections and report cards; areas graded under both (early years) are taken
    on the report-card scale from the report cards only (this raised 'different scales' before)."""
    from inspect_audit.data import Dataset

    t = Dataset.bundled().select("schools", "inspections", "judgements")
    cards = t["inspections"]["framework"].astype(str) == "report_card_2025"
    t["inspections"].loc[cards, "lead_inspector_id"] = np.random.default_rng(1).choice(
        [f"SIM-{i}" for i in range(40)], size=int(cards.sum()))
    d = long_rows(t)
    assert d["scale"] == "report_card_5" and "early_years" in d["areas"]
    assert d["info"]["n"]["inspections"] <= int(cards.sum())
    j = t["judgements"]
    n_cards_ey = j[(j["area"] == "early_years") & j["inspection_id"].isin(
        set(t["inspections"].loc[cards, "inspection_id"]))]["inspection_id"].nunique()
    assert (np.asarray(d["areas"])[d["area_idx"]] == "early_years").sum() <= n_cards_ey


@pytest.fixture(scope="module")
def planted():
    data = simulate_report_cards(300, 25, sd_inspector=0.5, sd_inspection=1.0, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data, MultiAreaModel().fit(data, seed=2, progress=False)


def test_recovers_shared_effects_and_area_gradients(planted):
    """Seed 2, 300 inspections x 6 areas, 25 inspectors. Tolerances: the truth inside the 90% interval for
    sd_inspection (well identified by six areas per inspection) and the area correlation; sd_inspector's
    interval contains the realised SD of the 25 simulated effects; achievement's FSM effect (-0.4) within
    0.2 and steeper than every other area's (-0.1): the report-card finding the model must be able to show."""
    data, m = planted
    assert m.diagnostics_["ok"], m.repair_
    vp = m.variance_partition().set_index("statistic")
    eff = m.inspector_effects()
    truth = data.truth["severity"].reindex(eff["inspector_id"]).to_numpy()
    realised = np.std(truth - truth.mean())
    assert vp.loc["sd_inspector", "ci_low"] <= realised <= vp.loc["sd_inspector", "ci_high"]
    assert vp.loc["sd_inspection", "ci_low"] <= 1.0 <= vp.loc["sd_inspection", "ci_high"]
    rho = (realised**2 + 1.0) / (realised**2 + 1.0 + np.pi**2 / 3)
    assert vp.loc["area_correlation", "ci_low"] - 0.03 <= rho <= vp.loc["area_correlation", "ci_high"] + 0.03
    assert (vp["n_inspections"] == 300).all()
    fsm = m.area_effects().query("term == 'fsm_quintile'").set_index("area")["mean"]
    assert abs(fsm["achievement"] + 0.4) < 0.2 and fsm.idxmin() == "achievement"
    assert np.corrcoef(truth, eff["mean"])[0, 1] > 0.6


@pytest.mark.slow
def test_no_inspector_differences_flags_nobody():
    """Null (sd_inspector 0), seed 5: gates pass, nobody is flagged, sd_inspector's interval reaches near 0."""
    data = simulate_report_cards(400, 25, sd_inspector=0.0, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MultiAreaModel().fit(data, seed=5, progress=False)
    assert m.diagnostics_["ok"], m.repair_
    assert (m.inspector_effects()["flag"] == "").all()
    assert m.variance_partition().set_index("statistic").loc["sd_inspector", "ci_low"] < 0.1


def report_cards_without_inspectors(tmp_path, n: int, n_inspectors: int):
    """A data folder of simulated report cards (seed 2) without an inspectors table."""
    folder = tmp_path / "data"
    folder.mkdir()
    for name, table in simulate_report_cards(n, n_inspectors, seed=2).items():
        if name != "inspectors":
            table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_cli_fits_every_area_together(tmp_path, capsys):
    """`inspect-audit inspectors --framework report_card_2025` writes the contract files from the multi-area
    model (variance_partition.json top-level keys) and says it used all areas (a short plumbing fit: exit 0
    or 3, not converged, both write the files). No inspectors table is given: the multi-area model reads no
    inspector characteristics, so report cards naming their leads are enough."""
    import json

    from inspect_audit.cli import main

    folder = report_cards_without_inspectors(tmp_path, 120, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = main(["inspectors", "--data", str(folder), "--out", str(tmp_path / "out"), "--framework",
                   "report_card_2025", "--seed", "2", "--quiet", "--no-repair", "--chains", "2", "--tune", "100",
                   "--draws", "100"])
    out = capsys.readouterr().out
    assert rc in (0, 3) and "6 areas of 120 inspections" in out
    vp = json.loads((tmp_path / "out" / "variance_partition.json").read_text())
    for key in ("sd_inspector", "icc_inspector", "median_odds_ratio"):
        assert set(vp[key]) == {"mean", "ci_low", "ci_high"}
    assert (tmp_path / "out" / "area_effects.csv").exists()


def test_marginal_form_prior_is_the_joint_normal_given_zero_sum():
    """The marginal form's prior of the inspection effects (inspector effects integrated out by Sherman-Morrison)
    equals, to 1e-9, the joint normal density with covariance sd_inspection^2 I + sd_inspector^2 [same lead],
    conditioned on the effects summing to zero (scipy's multivariate normal per inspector plus the log density
    of the sum at 0); 200 inspections, 10 leads, seed 1, one arbitrary point."""
    import pytensor.tensor as pt
    from pymc.distributions.transforms import ZeroSumTransform

    d = long_rows(simulate_report_cards(200, 10, seed=1))
    m = build_model(d, form="marginal")
    point = m.initial_point()
    u = np.random.default_rng(0).normal(0, 1.3, len(d["inspection_ids"]))
    u -= u.mean()
    point["inspection_effect_zerosum__"] = ZeroSumTransform([-1]).forward(pt.as_tensor_variable(u)).eval()
    point["sd_inspection_log__"], point["sd_inspector_signed"] = np.log(1.3), np.array(0.6)
    prior = next(v for v in m.potentials if v.name == "inspection_effect_prior")
    value = m.compile_fn(m.replace_rvs_by_values([prior])[0], inputs=m.value_vars, on_unused_input="ignore")(point)
    lead = d["insp_idx"][np.unique(d["ins_idx"], return_index=True)[1]]
    cov = 1.3**2 * np.eye(len(u)) + 0.6**2 * (lead[:, None] == lead[None, :])
    expected = sum(multivariate_normal(np.zeros((lead == j).sum()), cov[np.ix_(lead == j, lead == j)]).logpdf(u[lead == j])
                   for j in np.unique(lead)) + 0.5 * len(u) * np.log(2 * np.pi) + 0.5 * np.log(cov.sum())
    assert float(value) == pytest.approx(expected, abs=1e-9)


def test_repair_moves_between_forms_where_divergences_point_at_sd_inspection():
    """Divergences piled at small sd_inspection (z < 0): the funnel of the centred inspection effects, so the
    repair goes non-centred; at large sd_inspection (z > 0) back to the marginal form; never to a form tried."""
    from inspect_audit.inspectors.repair import SamplerState, _reparameterise

    marginal = SamplerState(chains=4, tune=500, draws=1000, target_accept=0.9, year_effects="none", centered=True)
    new, what = _reparameterise("sd_inspection", -1.2, marginal, False)
    assert not new.centered and "non-centred" in what
    back, what = _reparameterise("sd_inspection", 1.5, replace(marginal, centered=False), False)
    assert back.centered and "integrated out" in what
    assert _reparameterise("sd_inspection", 1.5, new, False) is None  # the marginal form was tried already


@pytest.mark.parametrize("design", ["null, areas moving together (real report cards' 0.76)",
                                    "long-tailed, unbalanced inspectors"])
def test_passes_its_gates_on_report_cards_from_another_generator(design):
    """Data from :func:`probit_report_cards`, a generator unlike the model and ``simulate_report_cards`` (probit
    errors, unequal area loadings, phase-specific areas, the real grade shares, Zipf-like loads).

    * null, sd_inspection 3.0 (area correlation about 0.75, as the real report cards; the old non-centred
      default failed R-hat here on the real data), 400 inspections, 30 leads, seed 11: gates pass, nobody is
      flagged, sd_inspector's interval starts below 0.15 (probit errors make the logit scale about 1.7x).
    * Student-t(3) inspector effects x 0.6, 300 inspections, 15 leads with loads from 4 to 60, sd_inspection
      1.5, seed 12: gates pass, severities correlate over 0.8 with the truth (logit/probit scale, so only
      correlation and signs are compared) and every flag has the true effect's sign.
    """
    null = design.startswith("null")
    tables, truth = (probit_report_cards(400, 30, sd_inspection=3.0, seed=11) if null else
                     probit_report_cards(300, 15, sd_inspection=1.5, inspector_sd=0.6, tail_df=3, seed=12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MultiAreaModel().fit(tables, seed=11 if null else 12, progress=False)
    assert m.diagnostics_["ok"], m.repair_
    eff = m.inspector_effects()
    if null:
        assert (eff["flag"] == "").all()
        assert m.variance_partition().set_index("statistic").loc["sd_inspector", "ci_low"] < 0.15
    else:
        t = truth.reindex(eff["inspector_id"]).to_numpy()
        assert np.corrcoef(t, eff["mean"])[0, 1] > 0.8
        flagged = eff["flag"] != ""
        assert (np.sign(t[flagged]) == np.where(eff.loc[flagged, "flag"] == "severe", 1, -1)).all()


def test_cli_one_area_fit_still_needs_the_inspectors_table(tmp_path, capsys):
    """Without --framework the inspector model reads inspector characteristics: no inspectors table is a one-line
    error naming it (exit 1), before any sampling."""
    from inspect_audit.cli import main

    folder = report_cards_without_inspectors(tmp_path, 60, 6)
    rc = main(["inspectors", "--data", str(folder), "--out", str(tmp_path / "out"), "--area", "achievement",
               "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "inspectors" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_counterfactual_area_by_area_for_the_harshest_lead(planted):
    """The harshest simulated lead (seed 2; true severity the largest of 25, about +1 logit): with a typical
    inspector instead, the chance of Strong standard or better rises in every area (same school, visit and
    context); each scenario's chances sum to 1 in each area; one row per graded area and grade, the awarded grade
    marked once per area. The evidence pack made from the model in memory shows the same numbers per area."""
    from inspect_audit.reporting.evidence_pack import build_pack

    data, m = planted
    harsh = data.truth["severity"].idxmax()
    ins = data["inspections"]
    inspection = ins.loc[ins["lead_inspector_id"] == harsh, "inspection_id"].iloc[0]
    cf = m.counterfactual(inspection)
    assert len(cf) == len(REPORT_CARD_AREAS) * 5 and cf.groupby("area")["observed"].sum().eq(1).all()
    assert np.allclose(cf.groupby("area")[["actual_mean", "typical_mean"]].sum(), 1.0)
    better = cf[cf["grade"] <= 2].groupby("area")["change_mean"].sum()
    assert (better > 0).all(), better
    with pytest.raises(KeyError):
        m.counterfactual("NO-SUCH-INSPECTION")
    awarded = cf[cf["observed"] & (cf["grade"] > 1)]
    assert (awarded["better_change_mean"] > 0).all()  # a better grade than awarded: likelier with a typical one
    pack = build_pack({name: data[name] for name in data}, m, inspection, key="k")
    table = pack.tables["Chance of a better grade than awarded, area by area: this lead inspector and a typical "
                        "inspector"]
    assert len(table) == len(awarded) and list(table["Grade awarded"]) == list(awarded["label"])
    assert any(s.startswith("With a typical inspector instead of this inspection's lead inspector") for s in
               pack.sentences)


@pytest.mark.parametrize("form", ["marginal", "non_centred"])
def test_grade_likelihood_wiring_equals_a_direct_computation(form):
    """The per-area fused kernel calls (effects packed as inspection effect, lead effect, area-specific deviation)
    give, at a random point, the ordered-logistic log-likelihood computed directly in numpy from the model's own
    deterministic quantities (to 1e-8): each row's area cutpoints, context, inspection and lead effects and the
    (lead, area) deviation are the right ones. 150 report cards, 10 leads, seed 7; area_inspector on."""
    from scipy.special import expit

    d = long_rows(simulate_report_cards(150, 10, seed=7))
    m = build_model(d, form=form, area_inspector=True)
    rng = np.random.default_rng(3)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in m.initial_point().items()}
    names = ["beta", "cutpoints", "area_inspector_deviation", "inspector_effect",
             "inspection_effect" if form == "non_centred" else None]
    names = [n for n in names if n]
    outputs = m.replace_rvs_by_values([m[n] for n in names])  # evaluated at the point's values, not drawn
    values = dict(zip(names, m.compile_fn(outputs, inputs=m.value_vars, on_unused_input="ignore")(point)))
    loglik = next(v for v in m.potentials if v.name == "grade_loglik")
    got = float(m.compile_fn(m.replace_rvs_by_values([loglik])[0], inputs=m.value_vars,
                             on_unused_input="ignore")(point))
    if form == "marginal":  # the inspection effects are the free variable itself
        from pymc.distributions.transforms import ZeroSumTransform
        import pytensor.tensor as pt

        u = ZeroSumTransform([-1]).backward(pt.as_tensor_variable(point["inspection_effect_zerosum__"])).eval()
        shared = u[d["ins_idx"]]
    else:
        shared = values["inspection_effect"][d["ins_idx"]]
    eta = ((d["X"] * values["beta"][d["area_idx"]]).sum(axis=1) + shared
           + values["area_inspector_deviation"][d["insp_idx"], d["area_idx"]])
    cut = np.column_stack([np.full(len(eta), -np.inf), values["cutpoints"][d["area_idx"]], np.full(len(eta), np.inf)])
    rows = np.arange(len(eta))
    expected = np.log(expit(cut[rows, d["y"] + 1] - eta) - expit(cut[rows, d["y"]] - eta)).sum()
    assert got == pytest.approx(expected, abs=1e-8)


def test_a_saved_fit_reopens_with_its_draws_for_the_evidence_pack(planted, tmp_path):
    """``save`` writes posterior.nc (draws thinned to at most 2,000, inspector ids as pseudonyms only); ``load`` and
    the evidence pack's ``open_fit`` give the same counterfactual as the fit in memory within Monte Carlo error
    (0.03 on each probability: 1,000 of 2,000 saved draws against 1,000 of 4,000) and the same variance partition
    (0.02 on sd_inspector's mean); the pack's view keeps the saved table's flags."""
    from inspect_audit.reporting.evidence_pack import open_fit

    data, m = planted
    out = m.save(tmp_path / "fit")
    raw = (out / "posterior.nc").read_bytes()
    assert not any(str(i).encode() in raw for i in data["inspectors"]["inspector_id"])
    again = MultiAreaModel.load(out)
    inspection = str(m.data_["inspection_ids"][5])
    a, b = m.counterfactual(inspection), again.counterfactual(inspection)
    assert np.allclose(a["actual_mean"], b["actual_mean"], atol=0.03)
    assert np.allclose(a["typical_mean"], b["typical_mean"], atol=0.03)
    vp_a, vp_b = (x.variance_partition().set_index("statistic") for x in (m, again))
    assert abs(vp_a.loc["sd_inspector", "mean"] - vp_b.loc["sd_inspector", "mean"]) < 0.02
    view = open_fit(out)
    assert view.kind == "multi_area" and view.model is not None
    assert view.counterfactual(inspection) is not None and not view.effects_complete
