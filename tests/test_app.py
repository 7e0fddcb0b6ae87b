"""The Streamlit app, driven through Streamlit's AppTest (widgets call the real library).

The user's-own-data journeys upload a small simulated dataset (seed 1: 300 schools, 20 inspectors, no
surveys) as CSV bytes, exactly as the browser would send them.
"""

from __future__ import annotations

import io
import time

import pytest
from streamlit.testing.v1 import AppTest

from conftest import REPO
from test_validation import INSPECTIONS

APP = str(REPO / "app" / "streamlit_app.py")
TIMEOUT = 120  # first run loads and caches the bundled data
OWN_TABLES = ("schools", "inspections", "judgements", "inspectors", "ratings", "complaints")


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert clean(at)
    return at


def own_tables_as_csv() -> dict[str, bytes]:
    """A user's own files: simulated tables (seed 1) written as CSV, without survey tables."""
    from inspect_audit.data.simulate import SimulationConfig, simulate

    tables = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1).tables()
    files = {}
    for name in OWN_TABLES:
        buffer = io.StringIO()
        tables[name].to_csv(buffer, index=False)
        files[f"{name}.csv"] = buffer.getvalue().encode()
    return files


@pytest.fixture(scope="module")
def own_files() -> dict[str, bytes]:
    return own_tables_as_csv()


def upload(at: AppTest, files: dict[str, bytes], expect_clean: bool = True) -> AppTest:
    """Choose 'Upload my own files', give ``files`` to the uploader and press the check button."""
    if at.radio(key="dataset_choice").value != "Upload my own files":
        at.radio(key="dataset_choice").set_value("Upload my own files").run()
    at.get("file_uploader")[0].set_value([(name, raw, "text/csv") for name, raw in files.items()]).run()
    at.button(key="check_files").click().run()
    assert clean(at) if expect_clean else not at.exception
    return at


def clean(at: AppTest) -> bool:
    """No exception and no 'unexpected error' line (the app turns any exception into one line and a log)."""
    errors = [e.value for e in at.error if "unexpected error" in e.value]
    assert not at.exception and not errors, (at.exception, errors)
    return True


def data_line(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("**Data:**"))


@pytest.fixture
def quick_fit(monkeypatch):
    """A quick (unconverged) fit keeps the app tests fast and exercises the 'unusable fit' path."""
    monkeypatch.setenv("INSPECT_AUDIT_APP_FIT", "quick")


def test_data_page_opens_on_the_bundled_data(app):
    assert app.title[0].value == "Data"
    assert data_line(app) == "**Data:** bundled England data (real, public)"
    tables = app.dataframe[0].value
    rows = dict(zip(tables["Table"], tables["Rows"]))
    assert rows["schools"] > 20_000 and rows["inspections"] > 20_000


def test_bad_upload_shows_failure_table_then_the_fixed_file_replaces_it(app):
    bad = INSPECTIONS + "i3,100001,2021-02-30,eif_2019,graded,,2\n"
    upload(app, {"inspections.csv": bad.encode()})
    assert "1 problem" in app.error[0].value
    failures = app.dataframe[0].value
    assert list(failures.columns[:6]) == ["file", "table", "row", "column", "value", "rule"]
    assert failures.iloc[0]["row"] == 4 and failures.iloc[0]["value"] == "2021-02-30"
    # the bundled data stay in use: a failed upload replaces nothing
    assert app.session_state["data_choice"].kind == "bundled"
    assert "bundled" in data_line(app)
    # the corrected file replaces the failed one (the old uploader kept both: "given twice" before)
    upload(app, {"inspections.csv": INSPECTIONS.encode()})
    assert not app.error, [e.value for e in app.error]
    assert "passed every rule" in app.success[0].value
    assert any("replaced the earlier inspections.csv" in i.value for i in app.info)
    assert data_line(app).startswith("**Data:** uploaded files inspections.csv (validated ")


def test_the_same_file_twice_is_one_file_not_a_traceback(app):
    upload(app, {"inspections.csv": INSPECTIONS.encode()})
    app.get("file_uploader")[0].set_value([("inspections.csv", INSPECTIONS.encode(), "text/csv")] * 2).run()
    app.button(key="check_files").click().run()
    assert not app.exception and not app.error
    assert "passed every rule" in app.success[0].value


def test_unexpected_error_is_one_line_and_a_log(app, monkeypatch, tmp_path):
    import inspect_audit.data.dataset as dataset

    monkeypatch.setenv("INSPECT_AUDIT_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(dataset, "validate", lambda paths: 1 / 0)
    upload(app, {"inspections.csv": INSPECTIONS.encode()}, expect_clean=False)
    message = app.error[0].value
    assert "unexpected error (ZeroDivisionError: division by zero)" in message and str(tmp_path) in message
    log = next(tmp_path.glob("error-*.log")).read_text()
    assert "Traceback" in log and "Traceback" not in message


def test_uploaded_data_stay_in_use_on_every_page_and_on_return(app, own_files):
    upload(app, own_files)
    assert "passed every rule" in app.success[0].value
    line = data_line(app)
    assert line.startswith("**Data:** uploaded files schools.csv, inspections.csv") and "validated" in line
    app.switch_page("pages/reliability.py").run()
    assert clean(app)
    assert data_line(app) == line and not app.info  # the upload's own ratings, no simulated stand-in
    app.switch_page("pages/scorecard.py").run()
    assert clean(app)  # no survey_aggregates: was KeyError 'survey_aggregates'
    assert data_line(app) == line
    assert "Left out, because the data have no `survey_aggregates` table" in app.warning[0].value
    app.switch_page("pages/data.py").run()
    assert clean(app)
    assert app.radio(key="dataset_choice").value == "Upload my own files"  # was reset to the bundled data
    assert data_line(app) == line


def test_a_reload_that_lost_the_upload_says_so():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["data"] = "uploaded"  # what the address bar keeps while an upload is in use
    at.run()
    assert clean(at)
    assert "lost when the page was reloaded" in at.warning[0].value
    assert "bundled" in data_line(at)


def test_a_page_whose_table_is_absent_says_which_and_stops(app, own_files):
    upload(app, {k: v for k, v in own_files.items() if k in ("schools.csv", "inspections.csv", "judgements.csv")})
    app.switch_page("pages/reliability.py").run()
    assert clean(app)
    assert "have no `ratings` table" in app.warning[0].value
    assert not app.metric  # nothing computed on other data unasked
    app.toggle(key="example_Reliability dashboard").set_value(True).run()
    assert clean(app)
    assert "simulated" in data_line(app) and app.metric


def test_reliability_dashboard_on_simulated_paired_inspections(app):
    app.switch_page("pages/reliability.py").run()
    assert clean(app)
    assert app.title[0].value == "Reliability dashboard"
    assert "simulated" in data_line(app) and "no `ratings` table" in app.info[0].value
    same = app.metric[0].value
    assert same.endswith("%") and 0 < int(same[:-1]) < 100
    assert "When two inspectors graded the same school" in app.markdown[0].value
    coefficients = app.dataframe[0].value
    assert {"Gwet's AC1", "Krippendorff's alpha (ordinal)"} <= set(coefficients["Coefficient"])
    assert (coefficients["Low (90%)"] <= coefficients["Estimate"]).all()
    # inspectors needed: an interval beside the number
    assert any("90% bootstrap interval" in m.value for m in app.markdown)
    # per-inspector table: pseudonymised, most pairs first, none with fewer than 10 pairs
    per_rater = next(d.value for d in app.dataframe if "Same grade as peer" in d.value.columns)
    assert len(per_rater) and per_rater["Inspector"].str.startswith("Inspector-").all()
    assert (per_rater["Pairs"] >= 3).all() and per_rater["Pairs"].is_monotonic_decreasing  # no 1-2 pair rows
    # a filter drives the library: another judgement area gives another table
    app.selectbox(key="rel_area").set_value("quality_of_education").run()
    assert clean(app)
    assert not app.dataframe[0].value.equals(coefficients)


def test_scorecard_designer_weight_change_moves_ranks(app):
    app.switch_page("pages/scorecard.py").run()
    assert clean(app)
    assert app.title[0].value == "Scorecard designer"
    schools = int(app.metric[0].value.replace(",", ""))
    assert schools > 1000
    assert app.metric[3].value == "0"  # unchanged spec: no pair reverses
    app.number_input(key="sc_w_ks2_progress").set_value(0.9).run()
    assert clean(app)
    assert int(app.metric[3].value.replace(",", "")) > 0  # more weight on progress reorders schools


def test_inspector_page_labels_an_unconverged_fit_and_flags_nobody(app, quick_fit):
    app.switch_page("pages/inspectors.py").run(timeout=300)
    assert clean(app)
    assert "UNUSABLE FIT" in app.error[0].value  # 2 x 300 draws cannot pass ESS >= 400
    table = next(d.value for d in app.dataframe if "P(notably severe)" in d.value.columns)
    assert (table["Flag"] == "").all() and table["Inspector"].str.startswith("Inspector-").all()
    assert len(table) and (table["Inspections"] >= 10).all()  # fewer inspections: not shown, not downloadable
    assert (table["Low (90%)"] <= table["Severity"]).all() and (table["Severity"] <= table["High (90%)"]).all()
    # effects as sentences with their intervals, not long-format frames
    text = " ".join(m.value for m in app.markdown)
    assert "of the variation in grades is due to which inspector" in text and "n = " in text
    assert "-point (" in text and "chance of requires improvement or worse" in text
    assert not any({"term", "estimand", "scale"} <= set(d.value.columns) for d in app.dataframe)


def test_fits_of_uploaded_data_live_in_the_session_only(app, own_files, quick_fit):
    upload(app, own_files)
    app.switch_page("pages/inspectors.py").run(timeout=300)
    assert clean(app)
    assert data_line(app).startswith("**Data:** uploaded files")
    assert "session_fits" not in app.session_state  # nothing fitted on the user's data until asked
    app.button(key="fit_here").click().run(timeout=300)
    assert clean(app)
    fits = app.session_state["session_fits"]
    token = app.session_state["data_choice"].token
    assert token.startswith("upload-") and [k for k in fits if k[0] == token]
    # another session (another browser) starts with none of it
    other = AppTest.from_file(APP, default_timeout=TIMEOUT)
    other.run()
    assert "session_fits" not in other.session_state and "bundled" in data_line(other)


@pytest.fixture(scope="module")
def fit_folder(tmp_path_factory, own_files):
    """A fit written by `inspect-audit inspectors --out FIT` on the user's files (quick, unconverged)."""
    from conftest import run_cli
    from inspect_audit.cli.inspectors import register

    root = tmp_path_factory.mktemp("fits")
    data = root / "data"
    data.mkdir()
    for name, raw in own_files.items():
        (data / name).write_bytes(raw)
    out = root / "runs" / "overall"
    code = run_cli(register, ["inspectors", "--data", str(data), "--out", str(out), "--chains", "2", "--tune", "200",
                              "--draws", "200", "--seed", "1", "--no-repair", "--quiet"])
    assert code in (0, 3)  # 3: not converged (a quick fit)
    return out


def test_inspector_and_evidence_pages_open_a_cli_fit_instead_of_refitting(app, own_files, fit_folder):
    upload(app, own_files)
    app.switch_page("pages/inspectors.py").run()
    app.text_input(key="fit_path").set_value(str(fit_folder.parent)).run()  # a folder of fit folders
    assert clean(app)
    listed = next(d.value for d in app.dataframe if "gates passed" in d.value.columns)
    assert list(listed["fit"]) == ["overall"] and listed["inspectors"].iloc[0] > 0
    started = time.perf_counter()
    app.button(key="fit_use").click().run()
    assert clean(app)
    assert time.perf_counter() - started < 60  # opened, not refitted
    assert app.session_state["fit_folder"] == str(fit_folder)
    assert not any(k[0] != "folder" for k in app.session_state["session_fits"])  # no fit was made here
    table = next(d.value for d in app.dataframe if "P(notably severe)" in d.value.columns)
    assert table["Inspector"].str.startswith("Inspector-").all()
    # the evidence pack uses the same fit (it holds pseudonyms: the session's tables are pseudonymised to match)
    app.switch_page("pages/evidence_pack.py").run(timeout=300)
    assert clean(app)
    assert "the fit in" in app.expander[0].label
    text = " ".join(m.value for m in app.markdown)
    assert "Grade awarded" in text and "typical inspector" in text


def test_evidence_pack_page_builds_and_exports(app, quick_fit):
    app.switch_page("pages/evidence_pack.py").run(timeout=300)
    assert clean(app)
    text = " ".join(m.value for m in app.markdown)
    assert "typical inspector" in text and "Grade awarded" in text
    first = app.selectbox(key="ep_inspection").value
    options = app.selectbox(key="ep_inspection").options
    app.selectbox(key="ep_inspection").set_value(options[-1]).run(timeout=300)
    assert clean(app) and app.selectbox(key="ep_inspection").value != first


def test_model_explorer_shows_gates_and_refits_with_new_settings(app, quick_fit):
    app.switch_page("pages/model_explorer.py").run(timeout=300)
    assert clean(app)
    gates = app.dataframe[0].value
    assert list(gates.columns) == ["check", "value", "gate", "result"]
    assert list(gates["check"]) == ["Largest R-hat", "Smallest bulk ESS", "Smallest tail ESS", "Divergences",
                                    "Smallest E-BFMI", "Overall grade shares: smallest predictive p"]
    assert set(gates["result"]) == {"passed", "failed"}
    failed = gates[gates["result"] == "failed"].iloc[0]
    assert f"{failed['check']} {failed['value']} (needs {failed['gate']})" in app.error[0].value  # value and gate
    # fit information as a sentence, not a raw dict; the model card summarised, not rendered whole
    fit_line = next(m.value for m in app.markdown if m.value.startswith("**Fit:**"))
    assert "chains 2" in fit_line and "{" not in fit_line
    assert not any(m.value.startswith("# Model card") for m in app.markdown)
    # posterior predictive check and prior sensitivity are shown with the fit
    texts = " ".join(m.value for m in [*app.success, *app.error])
    assert "predictive interval" in texts
    psense = next(d.value for d in app.dataframe if "diagnosis" in d.value.columns)
    assert "sd_inspector" in set(psense["parameter"])
    # LOO comparison with an alternative model, fitted on demand
    app.selectbox(key="me_variant").set_value("without progress (total FSM association)")
    app.button(key="me_compare").click().run(timeout=300)
    assert clean(app)
    loo = next(d.value for d in app.dataframe if "elpd_diff" in d.value.columns)
    assert set(loo.index) == {"fitted model", "without progress (total FSM association)"}
    assert any("Expected log predictive density favours" in m.value for m in app.markdown)
    # draws and target acceptance are adjustable
    app.number_input(key="me_draws").set_value(400)
    app.number_input(key="me_target").set_value(0.95)
    next(b for b in app.button if b.label == "Fit with these settings").click().run(timeout=300)
    assert clean(app)
    assert app.session_state["fit_settings"]["draws"] == 400
    assert app.session_state["model_options"]["target_accept"] == 0.95
    assert any("draws 400" in m.value and "target accept 0.95" in m.value for m in app.markdown)


def test_no_use_container_width_anywhere():
    """Streamlit deprecated ``use_container_width`` (42 warnings in one walk through the app)."""
    sources = [p.read_text() for p in (REPO / "app").rglob("*.py")]
    assert sources and not any("use_container_width" in s for s in sources)


def test_effect_sentences_read_in_points_with_their_interval(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / "app"))
    import views

    # the example: "a 2.8-point (0.4 to 5.5) higher chance"
    assert views.points(0.028, 0.004, 0.055) == "2.8-point (0.4 to 5.5)"
    # a fall reads as a positive gap 'lower'; an interval across zero keeps its sign
    assert views.points(-0.158, -0.193, -0.122) == "15.8-point (12.2 to 19.3)" and views.direction(-0.158) == "lower"
    assert views.points(-0.009, -0.048, 0.035) == "0.9-point (-3.5 to 4.8)"


def test_context_fairness_page_on_the_real_data_with_the_model_on_request(app, quick_fit):
    app.switch_page("pages/context.py").run(timeout=300)
    assert clean(app)
    assert data_line(app) == "**Data:** bundled England data (real, public)"
    text = " ".join(m.value for m in app.markdown)
    # the observed gradient as a sentence with its interval and n, one per phase
    assert "In primary schools, **" in text and "least deprived fifth" in text and "n = " in text
    assert "In secondary schools, **" in text
    assert not any("term" in d.value.columns for d in app.dataframe)
    # the page's primary figures, counted again from the raw tables: EIF 2019 overall effectiveness graded
    # Outstanding or Good (codes 1-2), primary schools in FSM quintile 1 and 5
    import re

    from inspect_audit.data.bundled import load_england

    t = load_england()
    ins = t["inspections"][t["inspections"]["framework"].astype(str) == "eif_2019"]
    j = t["judgements"][t["judgements"]["area"].astype(str) == "overall_effectiveness"].merge(ins, on="inspection_id")
    j = j.merge(t["schools"], on="urn")
    for q in (1, 5):
        cell = j[(j["phase"].astype(str) == "primary") & (j["fsm_quintile"] == q)]
        assert f"{(cell['grade'] <= 2).mean():.0%}" in text and f"n = {len(cell):,})" in text
    hit = re.search(r"In primary schools, \*\*(\d+)%\*\* .*?\((\d+)% to (\d+)%; n = ([\d,]+)\)", text)
    assert hit and int(hit.group(2)) <= int(hit.group(1)) <= int(hit.group(3))
    app.button(key="cx_fit").click().run(timeout=600)
    assert clean(app)
    text = " ".join(m.value for m in app.markdown)
    assert "-point (" in text and "with the same progress as well" in text
    # a quick fit cannot pass the gates: the page says so before the numbers
    assert "UNUSABLE FIT" in app.error[0].value


def test_complaints_page_shows_rates_and_closure_with_intervals(app):
    app.switch_page("pages/complaints.py").run(timeout=300)
    assert clean(app)
    assert "simulated" in data_line(app) and "no `complaints` table" in app.info[0].value
    text = " ".join(m.value for m in app.markdown)
    assert "decided complaints" in text and "90% interval" in text and "closed within" in text
    closure = next(d.value for d in app.dataframe if "Median days" in d.value.columns)
    shown = closure.dropna(subset=["Median days"])
    assert len(shown) >= 2 and (shown["Low (90%)"] <= shown["Median days"]).all()
    assert (shown["Complaints"] >= 10).all() and len(shown) < len(closure)  # a group under 10 (and its pair) withheld


def test_surveys_page_shows_parent_view_on_the_real_data(app):
    app.switch_page("pages/surveys.py").run(timeout=300)
    assert clean(app)
    assert data_line(app) == "**Data:** bundled England data (real, public)"
    text = " ".join(m.value for m in app.markdown)
    assert "Outstanding" in text and "Inadequate" in text and "schools)" in text
    assert "rank correlation" in text


def test_grade_patterns_page_on_the_real_report_cards(app):
    app.switch_page("pages/grade_patterns.py").run(timeout=300)
    assert clean(app)
    text = " ".join(m.value for m in app.markdown)
    assert "judged **Good** at their last graded inspection" in text and "n = " in text
    assert "at the middle grade (Expected standard)" in text


def test_new_pages_say_what_they_show_on_uploaded_data(app, own_files):
    upload(app, own_files)
    line = data_line(app)
    for page, expected in (("context", None), ("complaints", None),
                           ("surveys", "no `survey_aggregates` or `survey_responses` table"),
                           ("grade_patterns", "no report-card inspections")):
        app.switch_page(f"pages/{page}.py").run(timeout=300)
        assert clean(app), page
        assert data_line(app) == line, page
        if expected:
            assert expected in app.warning[0].value, page
        else:
            assert not app.warning, (page, [w.value for w in app.warning])


def test_a_local_workspace_opens_for_the_session_and_after_a_reload(app, own_files, tmp_path):
    from inspect_audit.data.workspace import ingest

    for name, raw in own_files.items():
        (tmp_path / name).write_bytes(raw)
    path = tmp_path / "audit.duckdb"
    ingest(sorted(tmp_path.glob("*.csv")), path)
    app.radio(key="dataset_choice").set_value("Open a local workspace").run()
    app.text_input(key="ws_path").set_value(str(path)).run()
    app.button(key="ws_open").click().run()
    assert clean(app)
    assert data_line(app).startswith("**Data:** workspace audit.duckdb (")
    app.switch_page("pages/reliability.py").run()
    assert data_line(app).startswith("**Data:** workspace audit.duckdb") and not app.info  # its own ratings
    # a reload (a new session whose address names the workspace) reopens it
    again = AppTest.from_file(APP, default_timeout=TIMEOUT)
    again.query_params.update({"data": "workspace", "workspace": str(path)})
    again.run()
    assert not again.exception and data_line(again).startswith("**Data:** workspace audit.duckdb")
    # a file that is not a workspace: one line, no traceback
    app.switch_page("pages/data.py").run()
    app.text_input(key="ws_path").set_value(str(tmp_path / "schools.csv")).run()
    app.button(key="ws_open").click().run()
    assert not app.exception and "is not a DuckDB workspace" in app.error[0].value


def test_an_error_nobody_anticipated_on_any_page_is_one_line_and_a_log(app, monkeypatch, tmp_path):
    """The last line of defence in streamlit_app.py: a page that raises shows one line, never a traceback."""
    import inspect_audit.grade_patterns as grade_patterns

    monkeypatch.setenv("INSPECT_AUDIT_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(grade_patterns, "transition_summary", lambda tables: {}["no such key"])
    app.switch_page("pages/grade_patterns.py").run()
    assert not app.exception
    message = app.error[0].value
    assert message.startswith("Report cards: grade patterns: unexpected error (KeyError") or \
        "unexpected error (KeyError: 'no such key')" in message
    assert str(tmp_path) in message and "Traceback" in next(tmp_path.glob("error-*.log")).read_text()


def test_report_cards_every_area_together_recovers_the_planted_deprivation_effect(app, quick_fit):
    """Simulated report cards (seed 1) plant an achievement FSM effect of -0.4 per quintile (odds ratio
    exp(-0.4) = 0.67) and -0.1 elsewhere; even the quick fit's 90% interval must hold the achievement truth."""
    import math
    import re

    app.switch_page("pages/inspectors.py").run(timeout=300)
    app.radio(key="ins_mode").set_value("cards").run(timeout=600)
    assert clean(app)
    assert data_line(app).startswith("**Data:** simulated report cards")
    text = " ".join(m.value for m in app.markdown)
    assert "n = 400 report cards by 20 lead inspectors, 2,400 area grades" in text
    hit = re.search(r"better \*\*achievement\*\* grade are about \*\*([\d.]+) times\*\* as high \(([\d.]+) to ([\d.]+);",
                    text)
    assert hit, text
    estimate, low, high = map(float, hit.groups())
    assert low <= math.exp(-0.4) <= high and abs(estimate - math.exp(-0.4)) < 0.1
    assert "UNUSABLE FIT" in app.error[0].value  # 2 x 300 draws: the page says so before the numbers



def test_evidence_pack_for_a_report_card_fits_every_area_together(app, quick_fit):
    """A report card's pack in the app: the page fits every area together (quick fit: failed, and said so on the
    pack), lists the report cards, and speaks the five-point scale only (no legacy "Good or better")."""
    app.switch_page("pages/evidence_pack.py").run(timeout=300)
    app.radio(key="ep_mode").set_value("cards").run(timeout=600)
    assert clean(app)
    assert data_line(app).startswith("**Data:** simulated report cards")
    text = " ".join(m.value for m in app.markdown)
    assert "all report-card areas together" in text and "Expected standard" in text
    assert "Good or better" not in text and "odds of a better grade" in text
    assert any("did not pass its convergence checks" in e.value for e in app.error)
    assert len(app.selectbox(key="ep_inspection").options) == 400

def research_tables_as_csv() -> dict[str, bytes]:
    """A user's own files with planted answers to the research questions (``PLANTED``, seed 1; 600 inspections by
    25 leads), without ``inspectors.phase_background`` (so phase match cannot be asked) and with few schools
    employing a serving inspector (2 %: the conflict rows rest on fewer than 10 leads)."""
    from dataclasses import replace

    from inspect_audit.data.simulate.research import PLANTED, simulate_research

    truth = replace(PLANTED, n_inspections=600, n_inspectors=25, n_schools=450, conflict_share=0.02)
    tables = dict(simulate_research(truth, seed=1))
    tables["inspectors"] = tables["inspectors"].drop(columns=["phase_background"])
    return {f"{name}.csv": frame.to_csv(index=False).encode() for name, frame in tables.items()}


def test_inspector_page_research_questions_on_planted_effects(app, quick_fit):
    """Planted (latent logits, positive = better): after an Outstanding -0.5, +0.06 per year of experience,
    -0.25 per team member. The quick fit (2 x 300 draws, fit seed 1; two fits of about 10-20 s each: the page's,
    then the panel's) cannot pass its gates, so the panel must say 'no conclusions'; its 90% intervals must still
    hold each truth (data seed 1 gave -0.92 to -0.03, +0.01 to +0.13 and -0.51 to -0.10)."""
    upload(app, research_tables_as_csv())
    app.switch_page("pages/inspectors.py").run(timeout=300)
    app.button(key="fit_here").click().run(timeout=300)
    assert clean(app)
    # a question the data cannot answer: disabled, with the library's reason beside it
    phase = app.checkbox(key="rq_phase_match")
    assert phase.disabled and not phase.value and "inspectors.phase_background" in phase.help
    assert any(c.value.startswith("Not available: ") and "phase_background" in c.value for c in app.caption)
    assert not app.checkbox(key="rq_sequence").disabled and app.checkbox(key="rq_sequence").value
    app.button(key="rq_ask").click().run(timeout=300)
    assert clean(app)
    assert any(e.value.startswith("No conclusions: the fit failed its checks") for e in app.error)
    text = " ".join(m.value for m in app.markdown)
    assert "Team size, one inspector more on the team: P(good or better) changes by -" in text
    assert "90% interval" in text and "600 inspections, 25 lead inspectors" in text
    assert app.get("image")  # the figure of the shown effects (plot_research_effects)
    table = next(d.value for d in app.dataframe if "Change in P(good or better)" in d.value.columns)
    assert list(table.columns) == ["Question", "Comparison", "Change in P(good or better)", "90% interval",
                                   "Inspections", "Lead inspectors"]
    conflict = table[table["Question"] == "conflict"].iloc[0]
    assert conflict["Change in P(good or better)"] == "not shown: fewer than 10 lead inspectors"
    assert "Conflict," not in text  # no sentence for a row the one writer blanked
    logit = next(d.value for d in app.dataframe if "Log-odds of a better grade" in d.value.columns)
    for term, truth in (("the same lead's previous inspection graded Outstanding", -0.5),
                        ("one year more since the lead's first_year_active", 0.06),
                        ("one inspector more on the team", -0.25)):
        row = logit[logit["Comparison"].str.startswith(term)].iloc[0]
        low, high = (float(v) for v in row["90% interval"].split(" to "))
        assert low <= truth <= high, (term, row.to_dict())
    assert any(b.proto.label == "Download the research table (CSV)" for b in app.get("download_button"))


def test_research_questions_reuse_an_opened_cli_fit_that_asked_them(app, tmp_path):
    """A fit folder written by `inspect-audit inspectors --research all` on the same files: the panel shows its
    table and fits nothing (quick CLI fit: 2 x 200 draws, seed 1)."""
    from conftest import run_cli
    from inspect_audit.cli.inspectors import register

    files = research_tables_as_csv()
    data = tmp_path / "data"
    data.mkdir()
    for name, raw in files.items():
        (data / name).write_bytes(raw)
    out = tmp_path / "fit"
    code = run_cli(register, ["inspectors", "--data", str(data), "--out", str(out), "--research", "all", "--chains",
                              "2", "--tune", "200", "--draws", "200", "--seed", "1", "--no-repair", "--quiet"])
    assert code in (0, 3)  # 3: not converged (a quick fit)
    upload(app, files)
    app.switch_page("pages/inspectors.py").run()
    app.text_input(key="fit_path").set_value(str(out)).run()
    app.button(key="fit_use").click().run()
    assert clean(app)
    app.button(key="rq_ask").click().run()
    assert clean(app)
    assert not any(k[0] != "folder" for k in app.session_state["session_fits"])  # the opened fit answered
    table = next(d.value for d in app.dataframe if "Change in P(good or better)" in d.value.columns)
    assert list(table["Question"]) == ["sequence", "sequence", "experience", "team size", "conflict"]
