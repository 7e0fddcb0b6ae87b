"""The bundled real England data: it validates, and it reproduces a known published fact."""

from __future__ import annotations

import importlib.util
import json
import os

import pandas as pd
import pytest

from inspect_audit.data import schemas
from inspect_audit.data.bundled import england_paths, load_england
from inspect_audit._core.descriptives import grade_shares
from inspect_audit._core.grades import area_grades

from conftest import REPO, SHARED_DATA


@pytest.fixture(scope="module")
def england():
    return load_england()


def test_bundle_is_complete_and_compact(england):
    assert len(england["schools"]) > 20_000
    insp = england["inspections"]
    for kind in ("graded", "report_card"):  # latest graded inspection per school; one report card per school
        assert insp.loc[insp["inspection_type"] == kind, "urn"].is_unique, kind
    assert set(insp["inspection_type"]) == {"graded", "report_card"}
    assert england["survey_aggregates"]["urn"].nunique() > 5_000  # Parent View, ~5,900 published
    size = sum(os.path.getsize(p) for p in england_paths().values())
    assert size < 5_000_000, f"bundle is {size / 1e6:.1f} MB; keep it a few MB"


def test_loading_again_is_quick_and_gives_fresh_copies(england):  # the fixture has validated once already
    import time

    t0 = time.perf_counter()
    first, again = load_england(), load_england()
    assert time.perf_counter() - t0 < 2.0  # validated once per session, not per call
    for name, table in first.items():
        pd.testing.assert_frame_equal(again[name], table)
        assert again[name] is not table
    again["schools"].loc[again["schools"].index[0], "name"] = "changed"
    assert load_england()["schools"]["name"].iloc[0] != "changed"


def test_outstanding_share_falls_with_deprivation_within_phase(england):
    """Known fact (SOURCE.md of the raw extract; Ofsted MI as at 31 Aug 2024 joined to 2022/23 census):
    % Outstanding falls from about 19% (least disadvantaged FSM quintile) to about 8% (most) for
    primaries, and from about 33% to about 9% for secondaries. Tolerance: 2.5 points, about the
    rounding of quintile edges plus the 90% interval half-width at n ~ 640."""
    grades, scale = area_grades(england, "overall_effectiveness")
    shares = grade_shares(grades, scale, by=["phase", "fsm_quintile"])
    outstanding = shares[shares["grade"] == scale.codes[0]].set_index(["phase", "fsm_quintile"])["share"]
    for phase, (q1, q5) in {"primary": (0.19, 0.077), "secondary": (0.332, 0.086)}.items():
        part = outstanding.loc[phase]
        assert part.loc[1] == pytest.approx(q1, abs=0.025)
        assert part.loc[5] == pytest.approx(q5, abs=0.025)
        assert part.loc[1] > part.loc[3] > part.loc[5]


@pytest.mark.skipif(not (SHARED_DATA / "locale-ofsted-derived").is_dir(), reason="raw extracts absent")
def test_build_script_reproduces_the_shipped_files(tmp_path):
    spec = importlib.util.spec_from_file_location("build", REPO / "scripts" / "build_england_data.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.main(["--raw", str(SHARED_DATA), "--out", str(tmp_path)])
    for table, shipped in england_paths().items():
        assert (tmp_path / f"{table}.csv.gz").read_bytes() == open(shipped, "rb").read(), table


# ---------------------------------------------------------------------- report cards (November 2025 framework)

RC_AREAS = ["achievement", "attendance_and_behaviour", "curriculum_and_teaching", "early_years", "inclusion",
            "leadership_and_governance", "personal_development_and_well_being", "post_16", "safeguarding"]


def _report_cards(england):
    insp = england["inspections"]
    rc = insp[insp["inspection_type"] == "report_card"]
    return rc, england["judgements"][england["judgements"]["inspection_id"].isin(rc["inspection_id"])]


def test_report_cards_are_in_the_schema_and_linked(england):
    """1,313 of the extract's 1,329 report cards (16 schools have no phase: build_log.json), one per
    school, framework report_card_2025, areas on report_card_5, safeguarding met / not met, each linked
    by URN to its school's context and, for 1,297, to its previous graded inspection (an earlier date)."""
    rc, judg = _report_cards(england)
    assert len(rc) == 1313 and rc["urn"].is_unique
    assert set(rc["framework"]) == {"report_card_2025"} and rc["inspection_id"].str.startswith("MI2026-").all()
    assert rc["start_date"].min() == pd.Timestamp("2025-11-11") and rc["start_date"].max() == pd.Timestamp("2026-05-06")
    assert set(judg["area"]) == set(RC_AREAS) == set(schemas.framework_areas("report_card_2025"))
    counts = judg.groupby("area").size()
    assert counts.drop(["early_years", "post_16"]).eq(1313).all()  # six core areas and safeguarding: every card
    assert counts["early_years"] == 938 and counts["post_16"] == 178
    for area, part in judg.groupby("area"):
        assert set(part["grade"]) <= set(schemas.scale_for("report_card_2025", area).codes), area
    assert judg.loc[judg["area"] == "safeguarding", "grade"].value_counts().to_dict() == {1: 1306, 2: 7}
    assert rc["category_of_concern"].value_counts().to_dict() == {
        "none": 1264, "special_measures": 28, "requires_significant_improvement": 21}
    schools = england["schools"].set_index("urn")
    assert rc["urn"].isin(schools.index).all()
    assert schools.loc[rc["urn"], "fsm_quintile"].notna().sum() == 1248
    graded = england["inspections"][england["inspections"]["inspection_type"] == "graded"]
    prev = rc.merge(graded, on="urn", suffixes=("", "_prev"))
    assert len(prev) == 1297 and (prev["start_date_prev"] < prev["start_date"]).all()
    # the grades a report card gives are its own: no legacy overall grade on a report card
    assert not (judg["area"] == "overall_effectiveness").any()


def test_report_cards_reproduce_the_source_counts(england):
    """Grade counts per area in the bundle (checked against the source JSON below when it is present)."""
    _, judg = _report_cards(england)
    table = judg.groupby(["area", "grade"]).size().unstack(fill_value=0)
    assert table.loc["achievement"].tolist() == [17, 205, 691, 363, 37]
    assert table.loc["inclusion"].tolist()[:5] == [22, 439, 706, 130, 16]
    assert table.drop("safeguarding").to_numpy().sum() == 1313 * 6 + 938 + 178


@pytest.mark.skipif(not (SHARED_DATA / "locale-ofsted-derived").is_dir(), reason="raw extracts absent")
def test_report_cards_match_the_raw_extract(england):
    """Every bundled report card carries exactly the source record's bands, safeguarding and concern;
    the source holds 1,329 cards, and the 16 left out are the schools without a phase."""
    raw = json.loads((SHARED_DATA / "locale-ofsted-derived" / "ofsted_by_urn_mi_2026-05.json").read_text())
    cards = {urn: rec for urn, rec in raw.items() if "card" in rec}
    assert len(cards) == 1329
    rc, judg = _report_cards(england)
    assert set(rc["urn"]) <= set(cards) and len(set(cards) - set(rc["urn"])) == 16
    assert not set(cards).difference(rc["urn"]) & set(england["schools"]["urn"])
    words = {1: "exceptional", 2: "strong", 3: "expected", 4: "needs-attention", 5: "urgent"}
    keys = {"inclusion": "inclusion", "curriculum_and_teaching": "curriculum", "achievement": "achievement",
            "attendance_and_behaviour": "behaviour", "personal_development_and_well_being": "personal",
            "early_years": "earlyYears", "post_16": "postSixteen", "leadership_and_governance": "leadership"}
    got = {}
    for row in judg.itertuples():
        got.setdefault(row.inspection_id.split("-")[1], {})[row.area] = int(row.grade)
    concern = {"none": None, "special_measures": "SM", "requires_significant_improvement": "RSI"}
    for row in rc.itertuples():
        card = cards[row.urn]["card"]
        grades = got[row.urn]
        assert {keys[a]: words[g] for a, g in grades.items() if a != "safeguarding"} == card["areas"]
        assert grades["safeguarding"] == (1 if card["safeguarding"] == "met" else 2)
        assert card.get("concern") == concern[row.category_of_concern]
        assert str(row.start_date.date()) == cards[row.urn]["date"]
