"""The evidence pack: a document an adjudicator can file.

Sentences carry their interval and n and no jargon; the pack names its data (simulated said prominently);
tables have human column names and rounded numbers and fit the A4 page (measured on WeasyPrint's layout);
a fit that failed its gates is said to have failed on page 1 and flags nobody; ids are pseudonymised.
The model fits here are small (2 chains x 200 draws, seconds) and fail the gates on purpose; one fit with
loosened gates (test only) exercises flagging.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from inspect_audit.data.simulate import SimulationConfig, simulate
from inspect_audit.reporting.evidence_pack import (DataSource, build_pack, in_ten, overflowing_boxes,
                                                   similar_schools)
from inspect_audit.reporting.evidence_pack.wording import relative_position

#: Raw names that must never reach a reader (issue 18).
RAW_NAMES = ("typical_ci_high", "judgement_changed", "ci_low", "ci_high", "actual_mean", "rank_ci", "p_severe",
             "n_inspections", "inspector_id")


@pytest.fixture(scope="module")
def data():
    return simulate(SimulationConfig(n_schools=500, n_inspectors=25, survey_n_schools=60), seed=4)


def _fit(tables, **options):
    from inspect_audit.inspectors import InspectorModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(**options).fit(tables, chains=2, tune=200, draws=200, seed=4, progress=False,
                                             repair=False)


@pytest.fixture(scope="module")
def failed(data):
    """A 2 x 200 fit: too short to pass the convergence gates."""
    return _fit(data.tables())


@pytest.fixture(scope="module")
def passed(data):
    """The same fit judged by loosened gates (test only), so that flags are computed."""
    return _fit(data.tables(), gates={"rhat_max": 1.5, "ess_min": 20.0, "divergences_max": 10 ** 6,
                                      "bfmi_min": 0.0, "mcse_p_max": 0.2})


def _before_appendix(html: str) -> str:
    return html.split("Appendix: technical detail")[0]


def test_sentences_carry_interval_and_n_without_jargon(data, failed):
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), failed, inspection, key="k")
    text = " ".join(pack.sentences)
    chance = next(s for s in pack.sentences if s.startswith("The chance of the grade awarded"))
    # the lead inspector's own probability with its interval, beside the typical inspector's
    assert chance.count("90% interval") == 2 and "with this inspection's lead inspector" in chance
    assert "n = " in chance
    similar = next(s for s in pack.sentences if "most similar" in s)
    assert "90% interval" in similar and "n = 50 schools" in similar and "Good or better" in similar
    position = next(s for s in pack.sentences if "Compared with other inspectors" in s)
    share = int(re.search(r"more (?:harshly|leniently) than (\d+)%", position).group(1))
    assert share >= 50 and "90% interval" in position and "inspections they led" in position
    html = pack.to_html()
    assert "logit" not in html.lower() and "harsher than 4%" not in text
    for raw in RAW_NAMES:
        assert raw not in _before_appendix(html), raw


def test_relative_position_speaks_from_the_inspectors_side():
    assert relative_position(0.04, 0.0, 0.2, 25).startswith("grades more leniently than 96% of the 25")
    assert "(90% interval 80% to 100%)" in relative_position(0.04, 0.0, 0.2, 25)
    assert relative_position(0.9, 0.8, 1.0, 10).startswith("grades more harshly than 90% of the 10")
    assert in_ten(0.7) == "about 7 in 10" and in_ten(0.99) == "nearly all"


def test_simulated_data_said_prominently_and_real_data_not(data, failed, tmp_path):
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), failed, inspection, key="k")
    html = pack.to_html()
    assert pack.source.simulated and "SIMULATED DATA" in html[: html.index("What the evidence says")]
    assert "SIMULATED" in pack.subtitle
    real = build_pack(data.tables(), failed, inspection, key="k",
                      source=DataSource("uploaded", "files a.csv", (("a.csv", "0" * 64),)))
    assert real.source.simulated  # tables that look simulated are always called simulated
    plain = {**data.tables(), "schools": data.schools.assign(name="Hill School", local_authority="Barnet")}
    files = build_pack(plain, failed, inspection, key="k",
                       source=DataSource("uploaded", "files a.csv", (("a.csv", "ab" * 32),)))
    assert not files.source.simulated and "SIMULATED" not in files.to_html()
    assert "ab" * 32 in files.to_html() and "own data: files a.csv (1 file" in files.to_html().replace("&#x27;", "'")


def test_failed_fit_is_said_on_page_one_and_flags_nobody(data, failed):
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), failed, inspection, key="k")
    html = pack.to_html()
    page_one = html[: html.index("What the evidence says")]
    assert "did not pass its convergence checks" in page_one and "FAILED its convergence checks" in page_one
    assert not any("Flagged as" in s for s in pack.sentences)
    assert any("No inspector is flagged, because the model did not pass its checks" in s for s in pack.sentences)
    lead = pack.appendix["The lead inspector's estimates"]
    assert lead["Flag"].iloc[0] == "none (model failed its checks)"


def test_passed_fit_flags_as_the_model_does(data, passed):
    effects = passed.inspector_effects()
    assert passed.diagnostics()["ok"]
    flagged = effects[(effects["flag"] != "") & (effects["n_inspections"] >= 10)]
    assert len(flagged), "the simulation plants harsh and lenient inspectors"
    lead = flagged.iloc[0]
    ins = data.inspections[data.inspections["lead_inspector_id"] == lead["inspector_id"]]["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), passed, ins, key="k")
    words = {"severe": "Flagged as notably harsh.", "lenient": "Flagged as notably lenient."}[lead["flag"]]
    assert any(words in s for s in pack.sentences) and not pack.warnings
    side = "harshly" if lead["flag"] == "severe" else "leniently"
    assert any(f"grades more {side} than" in s for s in pack.sentences)


def test_pdf_tables_fit_the_a4_page(data, failed, tmp_path):
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), failed, inspection, key="k")
    assert overflowing_boxes(pack.to_html()) == []
    # the check can fail: a table of 30 unbreakable numbers runs past the right margin
    pack.appendix["too wide"] = pd.DataFrame(np.full((2, 30), 123456.789))
    found = overflowing_boxes(pack.to_html())
    assert found and {f["box"] for f in found} >= {"TableBox"} and all(f["right"] > f["limit"] for f in found)
    del pack.appendix["too wide"]
    paths = pack.write(tmp_path)
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    from pypdf import PdfReader

    pages = PdfReader(paths["pdf"]).pages
    assert all(abs(float(p.mediabox.width) - 595.3) < 1 and abs(float(p.mediabox.height) - 841.9) < 1
               for p in pages)  # A4 portrait
    first = pages[0].extract_text()
    assert "What the evidence says" in first and "The chance of the grade awarded" in first  # page 1 is used
    assert "SIMULATED" in first


def test_display_tables_are_human_and_rounded(data, failed):
    inspection = data.complaints["inspection_id"].iloc[0]
    pack = build_pack(data.tables(), failed, inspection, key="k")
    for name, table in pack.tables.items():
        for col in table.columns:
            assert "_" not in str(col), (name, col)
        text = table.astype(str).to_string()
        assert not re.search(r"\d\.\d{3,}", text), name  # no 0.00187
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), name  # no raw codes such as not_upheld


def test_similar_schools_say_how_many_were_found(data, failed):
    urn = data.schools["urn"].iloc[0]
    shares, members = similar_schools(data.tables(), urn, k=30)
    assert shares["n"].iloc[0] == len(members) == 30 == shares.attrs["found"] and shares["count"].sum() == 30
    phase = data.schools.set_index("urn")["phase"]
    assert (phase.loc[members["urn"]] == phase.loc[urn]).all() and urn not in set(members["urn"])
    many, members = similar_schools(data.tables(), urn, k=10_000)
    same_phase = int((phase == phase.loc[urn]).sum()) - 1
    assert many.attrs["found"] == len(members) == same_phase < 10_000
    inspection = data.inspections[data.inspections["urn"] == urn]["inspection_id"].iloc[-1]
    pack = build_pack(data.tables(), failed, inspection, key="k", n_similar=10_000)
    assert any(f"Only {same_phase} similar" in s and "(10000 were sought)" in s for s in pack.sentences)


def test_unknown_inspection(data, failed):
    with pytest.raises(KeyError):
        build_pack(data.tables(), failed, "no-such-inspection")


def test_pack_pseudonyms_use_the_installation_secret_key(data, failed, tmp_path, pseudonym_key_file):
    import hashlib
    import hmac
    import json

    from inspect_audit._core.privacy import pseudonymise

    inspection = data.complaints["inspection_id"].iloc[0]
    lead = data.inspections.set_index("inspection_id").loc[inspection, "lead_inspector_id"]
    pack = build_pack(data.tables(), failed, inspection)  # no key given: the installation's secret key
    shown = pack.appendix["The lead inspector's estimates"]["Inspector (pseudonym)"].iloc[0]
    assert shown == pseudonymise(pd.Series([lead])).iloc[0] and len(shown) == len("Inspector-") + 16
    public = hmac.new(b"evidence-pack", lead.encode(), hashlib.sha256).hexdigest()[:6].upper()
    assert public not in shown
    html = pack.to_html()
    assert pseudonym_key_file.read_text().strip() not in html and lead not in html and "INS-" not in html
    paths = pack.write(tmp_path)
    record = json.loads((tmp_path / "privacy.json").read_text())["files"]
    assert set(record) == {p.name for p in paths.values()}
    assert record[paths["pdf"].name]["pseudonymised"] and record[paths["pdf"].name]["suppression"]["min_n"] == 10


# ------------------------------------------------------------------ report cards speak their own scale
LEGACY_WORDS = ("Outstanding", "Good", "Requires improvement", "Inadequate", "Good or better")


@pytest.fixture(scope="module")
def report_cards():
    """Simulated report cards with safeguarding, and each school's earlier legacy inspection graded Good: a
    pack that counted legacy Good as 'Strong standard' would show it."""
    from inspect_audit.data.simulate.designs import simulate_report_cards

    rc = simulate_report_cards(n_inspections=200, n_inspectors=15, seed=2)
    ins = rc["inspections"]
    legacy = ins.assign(inspection_id="OLD-" + ins["inspection_id"], start_date=pd.Timestamp("2019-03-01"),
                        framework="eif_2019", inspection_type="graded")
    judgements = pd.concat([
        rc["judgements"],
        pd.DataFrame({"inspection_id": ins["inspection_id"], "area": "safeguarding",
                      "grade": np.where(np.arange(len(ins)) % 10 == 0, 2, 1)}),
        pd.DataFrame({"inspection_id": legacy["inspection_id"], "area": "overall_effectiveness", "grade": 2})],
        ignore_index=True)
    return {"schools": rc["schools"], "inspectors": rc["inspectors"],
            "inspections": pd.concat([ins, legacy], ignore_index=True), "judgements": judgements}


def _effects(tables, seed=0):
    ids = tables["inspections"]["lead_inspector_id"].dropna().unique()
    rng = np.random.default_rng(seed)
    mean = rng.normal(0, 0.5, len(ids))
    order = (-mean).argsort().argsort() + 1.0
    return pd.DataFrame({"inspector_id": ids, "n_inspections": 20, "mean": mean, "sd": 0.2, "ci_low": mean - 0.3,
                         "ci_high": mean + 0.3, "p_severe": 0.5, "p_lenient": 0.1, "flag": "",
                         "rank_median": order, "rank_ci_low": np.maximum(order - 2, 1),
                         "rank_ci_high": np.minimum(order + 2, len(ids))})


class _ReportCardModel:
    """Stands in for a fitted single-area model of report-card achievement grades (the wording is under test)."""

    area = "achievement"

    def __init__(self, tables):
        self.tables = tables

    def counterfactual(self, inspection_id):
        from inspect_audit.data import schemas

        sc = schemas.scale("report_card_5")
        j = self.tables["judgements"]
        got = int(j[(j["inspection_id"] == inspection_id) & (j["area"] == "achievement")]["grade"].iloc[0])
        p = np.array([0.05, 0.25, 0.45, 0.2, 0.05])
        return pd.DataFrame({"grade": sc.codes, "label": sc.labels, "observed": [c == got for c in sc.codes],
                             "actual_mean": p, "actual_ci_low": p / 2, "actual_ci_high": np.minimum(p * 1.5, 1),
                             "typical_mean": p[::-1], "typical_ci_low": p[::-1] / 2,
                             "typical_ci_high": np.minimum(p[::-1] * 1.5, 1), "change_mean": p[::-1] - p,
                             "change_ci_low": p[::-1] - p - 0.1, "change_ci_high": p[::-1] - p + 0.1,
                             "unit_level": p})


def _report_card_view(tables, kind):
    from inspect_audit.reporting.evidence_pack import FitView

    diag = {"ok": True, "data": {"n": {"inspections": 200, "inspectors": 15, "areas": 6}}, "fit": {"seed": 1}}
    if kind == "single_area":
        return FitView("single_area", diag, _effects(tables), area="achievement", model=_ReportCardModel(tables))
    return FitView("multi_area", diag, _effects(tables).drop(columns=["rank_median", "rank_ci_low", "rank_ci_high"]),
                   framework="report_card_2025", effects_complete=False)


@pytest.mark.parametrize("kind", ["single_area", "multi_area"])
def test_report_card_pack_speaks_the_five_point_scale(report_cards, kind, tmp_path):
    from inspect_audit.data import schemas

    tables = report_cards
    inspection = tables["inspections"]["inspection_id"].iloc[0]
    pack = build_pack(tables, _report_card_view(tables, kind), inspection, key="k")
    html = pack.to_html()
    for word in LEGACY_WORDS:
        assert not re.search(rf"\b{word}\b", _before_appendix(html)), word
    facts = dict(pack.facts)
    mine = tables["judgements"][tables["judgements"]["inspection_id"] == inspection]
    sc = schemas.scale("report_card_5")
    for area, grade in zip(mine["area"], mine["grade"]):
        if area != "safeguarding":
            assert sc.label(grade) in facts["Grades awarded"]
    assert facts["Safeguarding"] in ("Met", "Not met")
    assert pack.sentences[0].startswith("Report card") and "safeguarding" in pack.sentences[0]
    table = pack.tables["Similar schools' latest report-card grades, area by area"]
    assert len(table) == len(mine) - 1 and set(table["Grade awarded"]) <= set(sc.labels)
    similar = pack.data["similar_schools"]
    assert list(similar["label"]) == list(sc.labels) and similar.attrs["scale"] == "report_card_5"
    assert similar.attrs["found"] == 50  # every school has a report card: legacy grades are not counted
    assert any("most similar" in s and "Expected standard or better" in s for s in pack.sentences)
    if kind == "single_area":
        assert any("Expected standard" in s or "Strong standard" in s for s in pack.sentences)
        assert list(pack.data["grade_chances"]["label"]) == list(sc.labels)
    else:
        assert any("odds of a better grade" in s and "90% interval" in s for s in pack.sentences)
        assert not any("The chance of the grade awarded" in s for s in pack.sentences)
    assert overflowing_boxes(html) == []


def test_fit_folders_open_with_clear_errors(report_cards, tmp_path):
    """A multi-area fit folder (tables, no posterior) opens; a broken posterior is one clear InputError."""
    import json

    from inspect_audit.data.files import InputError
    from inspect_audit.reporting.evidence_pack import from_fit, open_fit

    folder = tmp_path / "fit"
    folder.mkdir()
    (folder / "diagnostics.json").write_text(json.dumps(
        {"ok": False, "data": {"n": {"judgements": 1200, "inspections": 200, "inspectors": 15, "areas": 6}}}))
    _effects(report_cards).drop(columns=["rank_median", "rank_ci_low", "rank_ci_high"]).to_csv(
        folder / "inspector_effects.csv", index=False)
    view = open_fit(folder)
    assert view.kind == "multi_area" and view.framework == "report_card_2025" and not view.ok
    inspection = report_cards["inspections"]["inspection_id"].iloc[0]
    pack = from_fit(folder, inspection, report_cards, key="k")
    assert pack.warnings and "grade chances under a typical inspector" in " ".join(pack.sentences)
    with pytest.raises(InputError, match="convergence checks"):
        from_fit(folder, inspection, report_cards, key="k", allow_failed=False)
    (folder / "posterior.nc").write_bytes(b"not a netCDF file")
    with pytest.raises(InputError, match="posterior.nc cannot be read"):
        open_fit(folder)


def test_inspection_without_a_lead_inspector(data, failed):
    tables = data.tables()
    inspection = data.complaints["inspection_id"].iloc[0]
    ins = tables["inspections"].copy()
    ins["lead_inspector_id"] = ins["lead_inspector_id"].where(ins["inspection_id"] != inspection)
    pack = build_pack({**tables, "inspections": ins}, failed, inspection, key="k")
    assert "No lead inspector is recorded for this inspection, so nothing is said about one." in pack.sentences
    assert dict(pack.facts)["Lead inspector"] == "not recorded" and "severity" not in pack.figures


def test_pack_on_the_bundled_report_cards_names_real_data_and_parent_view():
    """Real data: no simulated banner, the bundled files' hashes, Parent View with intervals, report-card labels."""
    from inspect_audit.data import Dataset
    from inspect_audit.data.dataset import sha256
    from inspect_audit.reporting.evidence_pack import FitView

    ds = Dataset.bundled()
    agg, ins = ds.tables["survey_aggregates"], ds.tables["inspections"]
    with_pv = set(agg.loc[agg["n_responses"] >= 10, "urn"].astype(str))
    inspection = ins[(ins["framework"] == "report_card_2025") & ins["urn"].astype(str).isin(with_pv)][
        "inspection_id"].iloc[0]
    view = FitView("multi_area", {"ok": True, "data": {"n": {"inspections": 1313, "inspectors": 0, "areas": 6}}},
                   _effects(ds.tables).iloc[:0], framework="report_card_2025", effects_complete=False)
    pack = build_pack(ds, view, inspection, key="k")
    html = pack.to_html()
    assert not pack.source.simulated and "SIMULATED" not in html and pack.source.kind == "real"
    assert sha256(next(iter(ds.files.values()))) in html
    pv = next(s for s in pack.sentences if s.startswith("Parent View"))
    assert "90% interval" in pv and "n = " in pv and "national median" in pv
    table = pack.tables["Stakeholder survey evidence for this school"]
    small = table["Responses (n)"].str.startswith("fewer than")
    assert (table.loc[small, "Positive answers (90% interval)"].str.startswith("withheld")).all()
    for word in LEGACY_WORDS:
        assert not re.search(rf"\b{word}\b", _before_appendix(html)), word
    assert overflowing_boxes(html) == []
