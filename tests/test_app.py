"""The Streamlit app, driven through Streamlit's AppTest (widgets call the real library)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import REPO
from test_validation import INSPECTIONS

APP = str(REPO / "app" / "streamlit_app.py")
TIMEOUT = 120  # first run loads and caches the bundled data


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def test_data_page_opens_on_the_bundled_data(app):
    assert app.title[0].value == "Data"
    tables = app.dataframe[0].value
    rows = dict(zip(tables["table"], tables["rows"]))
    assert rows["schools"] > 20_000 and rows["inspections"] > 20_000


def test_bad_upload_shows_failure_table_not_traceback(app):
    app.radio(key="dataset_choice").set_value("Upload my own files").run()
    bad = INSPECTIONS + "i3,100001,2021-02-30,eif_2019,graded,,2\n"
    app.get("file_uploader")[0].set_value([("inspections.csv", bad.encode(), "text/csv")]).run()
    app.button[0].click().run()
    assert not app.exception
    assert "1 problem" in app.error[0].value
    failures = app.dataframe[0].value
    assert list(failures.columns[:6]) == ["file", "table", "row", "column", "value", "rule"]
    assert failures.iloc[0]["row"] == 4 and failures.iloc[0]["value"] == "2021-02-30"
    # the bundled data stays in use: a failed upload replaces nothing
    assert app.session_state["source"].startswith("Bundled")


def test_reliability_dashboard_on_simulated_paired_inspections(app):
    app.switch_page("pages/reliability.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Reliability dashboard"
    assert "simulated" in app.info[0].value.lower()  # the bundled data has no ratings: says what it shows
    same = app.metric[0].value
    assert same.endswith("%") and 0 < int(same[:-1]) < 100
    coefficients = app.dataframe[0].value
    assert {"gwet_ac1", "krippendorff_alpha_ordinal"} <= set(coefficients["statistic"])
    assert (coefficients["ci_low"] <= coefficients["estimate"]).all()
    # per-inspector table is pseudonymised by default
    per_rater = next(d.value for d in app.dataframe if "rater_id" in d.value.columns)
    assert per_rater["rater_id"].str.startswith("Inspector-").all()
    # a filter drives the library: another judgement area gives another table
    app.selectbox(key="rel_area").set_value("quality_of_education").run()
    assert not app.exception
    assert not app.dataframe[0].value.equals(coefficients)


def test_scorecard_designer_weight_change_moves_ranks(app):
    app.switch_page("pages/scorecard.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Scorecard designer"
    schools = int(app.metric[0].value.replace(",", ""))
    assert schools > 1000
    assert app.metric[3].value == "0"  # unchanged spec: no pair reverses
    app.number_input(key="sc_w_ks2_progress").set_value(0.9).run()
    assert not app.exception, app.exception
    assert int(app.metric[3].value.replace(",", "")) > 0  # more weight on progress reorders schools


@pytest.fixture
def quick_fit(monkeypatch):
    """A quick (unconverged) fit keeps the app tests fast and exercises the 'unusable fit' path."""
    monkeypatch.setenv("INSPECT_AUDIT_APP_FIT", "quick")


def test_inspector_page_labels_an_unconverged_fit_and_flags_nobody(app, quick_fit):
    app.switch_page("pages/inspectors.py").run(timeout=300)
    assert not app.exception, app.exception
    assert "UNUSABLE FIT" in app.error[0].value  # 2 x 300 draws cannot pass ESS >= 400
    table = next(d.value for d in app.dataframe if "p_severe" in d.value.columns)
    assert (table["flag"] == "").all() and table["inspector_id"].str.startswith("Inspector-").all()
    assert len(table) and (table["n_inspections"] >= 10).all()  # fewer inspections: not shown, not downloadable
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()


def test_evidence_pack_page_builds_and_exports(app, quick_fit):
    app.switch_page("pages/evidence_pack.py").run(timeout=300)
    assert not app.exception, app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "typical inspector" in text and "Grade awarded" in text
    first = app.selectbox(key="ep_inspection").value
    options = app.selectbox(key="ep_inspection").options
    app.selectbox(key="ep_inspection").set_value(options[-1]).run(timeout=300)
    assert not app.exception and app.selectbox(key="ep_inspection").value != first


def test_model_explorer_shows_gates_and_refits_with_new_settings(app, quick_fit):
    app.switch_page("pages/model_explorer.py").run(timeout=300)
    assert not app.exception, app.exception
    gates = app.dataframe[0].value
    assert list(gates["check"]) == ["max R-hat", "min bulk ESS", "min tail ESS", "divergences", "min E-BFMI",
                                    "overall grade shares, min predictive p"]
    assert not gates["passed"].all() and "UNUSABLE" in app.error[0].value
    # posterior predictive check and prior sensitivity are shown with the fit
    texts = " ".join(m.value for m in [*app.success, *app.error])
    assert "predictive interval" in texts
    psense = next(d.value for d in app.dataframe if "diagnosis" in d.value.columns)
    assert "sd_inspector" in set(psense["parameter"])
    # LOO comparison with an alternative model, fitted on demand
    app.selectbox(key="me_variant").set_value("without progress (total FSM association)")
    app.button(key="me_compare").click().run(timeout=300)
    assert not app.exception, app.exception
    loo = next(d.value for d in app.dataframe if "elpd_diff" in d.value.columns)
    assert set(loo.index) == {"fitted model", "without progress (total FSM association)"}
    assert any("Expected log predictive density favours" in m.value for m in app.markdown)
    app.number_input(key="me_draws").set_value(400)
    app.button[0].click().run(timeout=300)
    assert not app.exception, app.exception
    assert app.session_state["fit_settings"]["draws"] == 400
    assert any("'draws': 400" in c.value for c in app.caption)
