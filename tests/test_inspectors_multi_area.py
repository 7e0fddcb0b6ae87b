"""The multi-area model (``inspectors/multi_area.py``): every report-card area of an inspection together.

Simulated report cards with known truth (``simulate_report_cards``: one inspection per school, six areas on
the 5-point scale, lead-inspector and inspection effects shared across areas, area-specific cutpoints and FSM
effects). Seeds and tolerances are stated per test; the fits use the package defaults (repair on).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from inspect_audit.inspectors.multi_area import MultiAreaModel, long_rows
from inspect_audit.data.simulate.designs import REPORT_CARD_AREAS, simulate_report_cards


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


def test_cli_fits_every_area_together(tmp_path, capsys):
    """`inspect-audit inspectors --framework report_card_2025` writes the contract files from the multi-area
    model (variance_partition.json top-level keys) and says it used all areas (a short plumbing fit: exit 0
    or 3, not converged, both write the files)."""
    import json

    from inspect_audit.cli import main

    data = simulate_report_cards(120, 10, seed=2)
    folder = tmp_path / "data"
    folder.mkdir()
    for name, table in data.items():
        table.to_csv(folder / f"{name}.csv", index=False)
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
