"""Grade patterns (``inspect_audit.grade_patterns``, ``inspect-audit grade-patterns``).

* concentration: the index's arithmetic; **known truth** on simulated report cards (``simulate_design``,
  the calibration grid's ``report_card_5`` design with no inspector effect): five inspectors made to give
  Expected standard on 80% of their inspections are all found, and in a null (nothing planted) none is;
  the permutation keeps each group's phase mix; facts on the real bundled data recomputed from the source;
* transitions: the cross-tabulation on the real report cards recomputed from the source JSON (previous
  rating in the 2024 extract, bands of the 2026 card), each scale's own labels, the latest earlier grade;
* history: a hand-made history with known answers; on the simulator's repeat inspections the number of
  'stuck' schools per FSM quintile matches the number the simulator's truth implies; the bundled data
  (one graded inspection per school) say so;
* the command on the bundled data, a folder and a workspace, and the demo section.

No MCMC: permutations and bootstraps are short (stated per test) and every test runs in seconds.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from inspect_audit.cli import grade_patterns as grade_patterns_cli
from inspect_audit.data import schemas
from inspect_audit.data.bundled import load_england
from inspect_audit.grade_patterns import concentration as conc
from inspect_audit.grade_patterns import history as hist
from inspect_audit.grade_patterns import transitions as trans
from inspect_audit.grade_patterns._data import area_frame
from inspect_audit.data.simulate import SimulationConfig, simulate
from inspect_audit.data.simulate.designs import GRID, simulate_design

from conftest import SHARED_DATA

RC = "report_card_2025"
RAW = SHARED_DATA / "locale-ofsted-derived"
BAND = {"exceptional": 1, "strong": 2, "expected": 3, "needs-attention": 4, "urgent": 5}
RATING = {"Outstanding": 1, "Good": 2, "Requires improvement": 3, "Inadequate": 4}
QUICK = ["--permutations", "200", "--bootstrap", "200"]


@pytest.fixture(scope="module")
def england():
    return load_england()


def run_cli(argv: list[str]) -> int:
    from conftest import run_cli as conftest_run_cli

    return conftest_run_cli(grade_patterns_cli.register, ["grade-patterns", *argv])


# ---------------------------------------------------------------------- concentration: arithmetic

def test_concentration_index_values():
    assert conc.concentration_index([0, 0, 12, 0, 0]) == pytest.approx(1.0)
    assert conc.concentration_index([3, 3, 3, 3, 3]) == pytest.approx(0.0)
    assert conc.concentration_index([5, 5, 0, 0, 0]) == pytest.approx(1 - math.log(2) / math.log(5))
    assert np.isnan(conc.concentration_index([0, 0, 0, 0]))
    many = conc.concentration_index(np.array([[1, 1, 1, 1], [0, 4, 0, 0]]))
    assert many.tolist() == pytest.approx([0.0, 1.0])
    assert conc.middle_code(schemas.scale("report_card_5")) == 3
    assert schemas.scale("report_card_5").label(3) == "Expected standard"
    assert schemas.scale("legacy_4").label(conc.middle_code(schemas.scale("legacy_4"))) == "Good"
    assert conc.middle_code(schemas.scale("met_not_met")) is None


# ---------------------------------------------------------------------- concentration: known truth

def _grid_cards(seed: int, plant: int, share: float = 0.8):
    """Simulated report cards (achievement; ``report_card_5`` grid design with no inspector effect and no
    planted severity), and ``plant`` inspectors with 20+ inspections who give Expected standard on a
    random ``share`` of their inspections whatever the school (the rest as simulated)."""
    design = replace(GRID["report_card_5"], sd_inspector=0.0, n_planted=0)
    frame = area_frame(simulate_design(design, seed=seed), "achievement")
    rng = np.random.default_rng(1000 + seed)
    n = frame.groupby("lead_inspector_id").size()
    planted = sorted(rng.choice(sorted(n[n >= 20].index), size=plant, replace=False)) if plant else []
    rows = frame["lead_inspector_id"].isin(planted) & (rng.random(len(frame)) < share)
    frame.loc[rows, "grade"] = 3
    return frame, set(planted)


def test_planted_middle_concentration_is_found():
    """Seed 1: the 5 planted inspectors (24-50 inspections each; 80-96% Expected standard against 44% for the
    area) are flagged, as concentrated in the middle, and no other inspector is (the lowest q of the others is
    0.31). No tolerance at this seed: with 1,000 permutations the planted p-values sit at the floor 1/1001 (q
    0.02). Other seeds may add a false discovery, as a 10% false discovery rate allows (seed 3: one, q 0.08;
    over seeds 1-8, 39 of 40 planted found and 1 false flag: models/grade-concentration.md)."""
    frame, planted = _grid_cards(seed=1, plant=5)
    table = conc.group_concentration(frame, "lead_inspector_id", schemas.scale("report_card_5"), n_perm=1000,
                                     n_boot=200, seed=1)
    flagged = table[table["flag"]]
    assert set(flagged["group"]) == planted
    assert flagged["pattern"].eq("concentrated in the middle (Expected standard)").all()
    assert (flagged["middle_share"] > flagged["chance_middle_high"]).all()
    assert (flagged["concentration"] > flagged["chance_concentration_high"]).all()
    others = table[~table["group"].isin(planted)]
    # the chance reference is the area's distribution at each inspector's n: close to the overall middle share
    overall = (frame["grade"] == 3).mean()
    assert others["chance_middle"].sub(overall).abs().max() < 0.05


def test_null_flags_no_one_and_p_values_are_calibrated():
    """Seed 2, nothing planted (grades independent of the inspector): no inspector flagged, and the share of
    the ~97 shown inspectors with a permutation p-value under 0.10 is within [0.02, 0.20] (binomial(97, 0.1)
    gives 0.04-0.16 at 99%; the permutation p-value is a little conservative with discrete counts: over
    seeds 10-29 the share was 0.091 on average)."""
    frame, _ = _grid_cards(seed=2, plant=0)
    table = conc.group_concentration(frame, "lead_inspector_id", schemas.scale("report_card_5"), n_perm=1000,
                                     n_boot=50, seed=2)
    assert not table["flag"].any()
    shown = table[table["n"] >= 10]
    assert 0.02 <= (shown["p_concentration"] < 0.10).mean() <= 0.20
    assert shown["q_concentration"].notna().all() and table.loc[table["n"] < 10, "q_concentration"].isna().all()


def test_the_reference_keeps_each_groups_phase_mix():
    """Primaries spread over the five grades, secondaries all Expected standard: an inspector who only leads
    secondaries is concentrated, but not more than chance once grades are permuted within phase; permuted
    across phases he is flagged. Deterministic data, seed 0, 500 permutations."""
    rng = np.random.default_rng(0)
    prim = pd.DataFrame({"grade": rng.choice([1, 2, 3, 4, 5], size=400, p=[0.1, 0.25, 0.3, 0.25, 0.1]),
                         "phase": "primary", "lead": rng.choice([f"P{i}" for i in range(10)], size=400)})
    sec = pd.DataFrame({"grade": 3, "phase": "secondary", "lead": ["S1"] * 30 + ["P0"] * 10})
    frame = pd.concat([prim, sec], ignore_index=True)
    sc = schemas.scale("report_card_5")
    within = conc.group_concentration(frame, "lead", sc, strata=("phase",), n_perm=500, n_boot=50, seed=0)
    across = conc.group_concentration(frame, "lead", sc, strata=(), n_perm=500, n_boot=50, seed=0)
    s1_within, s1_across = within.set_index("group").loc["S1"], across.set_index("group").loc["S1"]
    assert s1_within["concentration"] == pytest.approx(1.0)
    assert s1_within["p_concentration"] == pytest.approx(1.0) and not s1_within["flag"]
    assert s1_across["flag"] and s1_across["p_concentration"] < 0.01


# ---------------------------------------------------------------------- concentration: real data

@pytest.mark.skipif(not RAW.is_dir(), reason="raw extracts absent")
def test_area_concentration_recomputed_from_the_source(england):
    """Per report-card area: the counts behind the middle share and the index equal the bands of the cards
    in the source JSON (bundled schools only), and the index equals 1 - H / ln 5 computed here."""
    raw = json.loads((RAW / "ofsted_by_urn_mi_2026-05.json").read_text())
    keys = {"achievement": "achievement", "inclusion": "inclusion", "post_16": "postSixteen"}
    urns = set(england["inspections"].loc[england["inspections"]["framework"] == RC, "urn"])
    table = conc.area_concentration(england, [RC], n_boot=100).set_index(["area", "phase"])
    for area, key in keys.items():
        bands = [BAND[rec["card"]["areas"][key]] for urn, rec in raw.items()
                 if urn in urns and "card" in rec and key in rec["card"]["areas"]]
        counts = np.bincount(bands, minlength=6)[1:]
        p = counts / counts.sum()
        c = 1 + sum(x * math.log(x) for x in p if x > 0) / math.log(5)
        row = table.loc[(area, "all")]
        assert (row["k"], row["n"]) == (counts[2], counts.sum())
        assert row["concentration"] == pytest.approx(c)
        assert row["concentration_low"] <= row["concentration"] <= row["concentration_high"]
        assert row["middle_label"] == "Expected standard" and row["modal_label"] in schemas.scale("report_card_5").labels
    assert (table.loc[("achievement", "all"), "k"], table.loc[("achievement", "all"), "n"]) == (691, 1313)


def test_area_concentration_keeps_scales_apart(england):
    table = conc.area_concentration(england, n_boot=20)
    for fw, part in table.groupby("framework"):
        scale_names = {schemas.framework_areas(fw)[a] for a in part["area"]}
        assert len(scale_names) == 1  # one scale per framework here (legacy_4 or report_card_5)
        labels = schemas.scale(scale_names.pop()).labels
        assert set(part["middle_label"]) <= set(labels) and set(part["modal_label"]) <= set(labels)
    assert set(table.loc[table["framework"] == RC, "middle_label"]) == {"Expected standard"}
    assert set(table.loc[table["framework"] != RC, "middle_label"]) == {"Good"}
    # legacy fact recomputed straight from the tables: eif_2019 overall effectiveness, share Good
    j = england["judgements"].merge(england["inspections"], on="inspection_id")
    oe = j[(j["framework"] == "eif_2019") & (j["area"] == "overall_effectiveness")]
    row = table.set_index(["framework", "area", "phase"]).loc[("eif_2019", "overall_effectiveness", "all")]
    assert (row["k"], row["n"]) == ((oe["grade"] == 2).sum(), len(oe))


def test_group_suppression_hides_small_groups_and_a_second_one():
    """One inspector under 10 in an area: he is blanked, and so is the next smallest (else his counts follow
    from the area's total); the writer then leaves both rows out of the file."""
    table = pd.DataFrame({"scale": "report_card_5", "area": "achievement", "lead_inspector_id": ["A", "B", "C", "D"],
                          "n": [4, 12, 30, 50], "k": [2, 6, 15, 25], "middle_share": [0.5] * 4})
    for col in conc.GROUP_VALUES:
        if col not in table:
            table[col] = 0.5
    out = conc.suppressed(table, conc.GROUP_VALUES, by=["scale", "area"], group="lead_inspector_id")
    assert out["suppressed"].tolist() == [True, True, False, False]
    assert out.loc[out["suppressed"], ["n", "k", "middle_share", "concentration"]].isna().all().all()


# ---------------------------------------------------------------------- transitions

@pytest.mark.skipif(not RAW.is_dir(), reason="raw extracts absent")
def test_transitions_recomputed_from_the_source_json(england):
    """Every shown cell of the all-phase cross-tabulation (previous rating x area band) equals the count of
    bundled schools with that rating in the 2024 extract and that band on their 2026 card."""
    raw26 = json.loads((RAW / "ofsted_by_urn_mi_2026-05.json").read_text())
    raw24 = json.loads((RAW / "ofsted_by_urn_mi_asat_2024-08-31.json").read_text())
    keys = {"achievement": "achievement", "curriculum_and_teaching": "curriculum", "early_years": "earlyYears"}
    urns = set(england["inspections"].loc[england["inspections"]["framework"] == RC, "urn"])
    table = trans.suppressed(trans.transition_table(england, RC, list(keys)))
    shown = table[(table["phase"] == "all") & ~table["suppressed"]]
    assert len(shown) == 3 * 4 * 5  # every previous grade has 10+ schools on these areas
    for area, key in keys.items():
        counts: dict = {}
        for urn, rec in raw26.items():
            if urn in urns and "card" in rec and key in rec["card"]["areas"] and urn in raw24:
                cell = (RATING[raw24[urn]["rating"]], BAND[rec["card"]["areas"][key]])
                counts[cell] = counts.get(cell, 0) + 1
        part = shown[shown["area"] == area]
        for r in part.itertuples():
            assert r.k == counts.get((r.previous_grade, r.grade), 0), r
        assert part.groupby("previous_grade")["k"].sum().sum() == sum(counts.values())
    assert shown.loc[shown["area"] == "achievement"].groupby("previous_grade")["n"].first().sum() == 1297


def test_transition_tables_use_each_scales_own_labels(england):
    table = trans.transition_table(england, RC)
    assert set(table["previous_label"]) == set(schemas.scale("legacy_4").labels)
    for area, part in table.groupby("area"):
        own = schemas.scale_for(RC, area)
        assert list(dict.fromkeys(part["label"])) == list(own.labels)
        k = part.groupby(["phase", "previous_grade"]).agg(k=("k", "sum"), n=("n", "first"))
        assert (k["k"] == k["n"]).all()  # each row of the cross-tab adds up to its n
    summary = trans.transition_summary(england, RC)
    assert set(summary.loc[summary["area"] == "achievement", "outcome"]) == {"below expected standard"}
    assert set(summary.loc[summary["area"] == "safeguarding", "outcome"]) == {"not met"}
    assert "Strong standard" not in set(summary["previous_label"])  # no report-card words on the legacy side


def test_previous_grade_is_the_latest_earlier_one():
    schools = pd.DataFrame({"urn": ["1"], "phase": ["primary"]})
    inspections = pd.DataFrame({
        "inspection_id": ["a", "b", "card", "c"], "urn": "1",
        "start_date": pd.to_datetime(["2012-05-01", "2019-05-01", "2026-01-10", "2026-03-01"]),
        "framework": ["section5_2012", "eif_2019", RC, "eif_2019"],
        "inspection_type": ["graded", "graded", "report_card", "graded"]})
    judgements = pd.DataFrame({"inspection_id": ["a", "b", "card", "c"], "area": ["overall_effectiveness",
                               "overall_effectiveness", "achievement", "overall_effectiveness"], "grade": [1, 3, 4, 2]})
    prev = trans.previous_overall({"schools": schools, "inspections": inspections, "judgements": judgements}, RC)
    assert prev[["previous_inspection_id", "previous_grade"]].values.tolist() == [["b", 3]]
    assert prev["years_between"].iloc[0] == pytest.approx(6.7, abs=0.05)


# ---------------------------------------------------------------------- history ('stuck')

def _history_tables():
    """Six schools: A RI, RI (stuck); B Good, RI; C RI, Good; D one inspection; E Inadequate, RI, Good;
    F Good, Inadequate, RI (stuck) and a later report card (not a legacy grade: ignored)."""
    grades = {"A": [3, 3], "B": [2, 3], "C": [3, 2], "D": [4], "E": [4, 3, 2], "F": [2, 4, 3]}
    ins, jud = [], []
    for urn, gs in grades.items():
        for i, g in enumerate(gs):
            iid = f"{urn}{i}"
            ins.append({"inspection_id": iid, "urn": urn, "start_date": pd.Timestamp(2016 + 2 * i, 3, 1),
                        "framework": "cif_2015" if 2016 + 2 * i < 2019 else "eif_2019", "inspection_type": "graded"})
            jud.append({"inspection_id": iid, "area": "overall_effectiveness", "grade": g})
    ins.append({"inspection_id": "F-card", "urn": "F", "start_date": pd.Timestamp(2026, 1, 5), "framework": RC,
                "inspection_type": "report_card"})
    jud.append({"inspection_id": "F-card", "area": "achievement", "grade": 2})
    schools = pd.DataFrame({"urn": list(grades), "phase": "primary", "fsm_quintile": [5, 1, 5, 3, 1, 5],
                            "region": ["london"] * 6})
    return {"schools": schools, "inspections": pd.DataFrame(ins), "judgements": pd.DataFrame(jud)}


def test_stuck_on_a_hand_made_history():
    tables = _history_tables()
    s = hist.stuck_schools(tables).set_index("urn")
    assert sorted(s.index) == ["A", "B", "C", "E", "F"]  # D has one graded inspection
    assert s["stuck"].to_dict() == {"A": True, "B": False, "C": False, "E": False, "F": True}
    assert s["previous_below"].to_dict() == {"A": True, "B": False, "C": True, "E": True, "F": True}
    assert s.loc["F", "last_grade"] == 3 and s.loc["F", "n_graded"] == 3
    r = hist.stuck_rates(s.reset_index()).set_index(["statistic", "dimension", "group"])
    assert r.loc[("stuck", "all", "all"), ["k", "n"]].tolist() == [2, 5]
    assert r.loc[("stayed_below_good", "all", "all"), ["k", "n"]].tolist() == [2, 4]
    assert r.loc[("stuck", "fsm_quintile", "5"), ["k", "n"]].tolist() == [2, 3]
    three = hist.stuck_schools(tables, run=3).set_index("urn")
    assert three["stuck"].to_dict() == {"E": False, "F": False}  # F: Good, Inadequate, RI


def test_stuck_matches_the_simulators_truth():
    """Simulated repeat inspections (3,000 schools, 80% inspected 2+ times, RI and Inadequate 30% of grades;
    seed 7). Given the truth, a school's grades are independent draws (logistic errors), so the expected
    number stuck in a quintile is the sum over its schools of P(below good at the last) x P(below good at the
    one before), P = F(c_2 - eta) from the true cutpoint, school, inspector and year effects. Observed counts
    are within 3.5 standard deviations (Poisson-binomial) in every quintile, and the deprivation gradient the
    truth implies (about 3x from quintile 1 to 5) shows in the observed shares with intervals apart."""
    cfg = SimulationConfig(n_schools=3000, n_inspectors=60, repeat_share=0.8, third_share=0.3,
                           target_shares=(0.10, 0.60, 0.22, 0.08), paired_n_schools=10, survey_n_schools=10)
    data = simulate(cfg, seed=7)
    truth = data.truth
    schools = hist.stuck_schools(data.tables()).set_index("urn")
    quality = dict(zip(truth["schools"]["urn"], truth["schools"]["latent_quality"]))
    lenient = {r["inspector_id"]: -r["severity"] for r in truth["inspectors"]}
    year = {int(k): v for k, v in truth["year_effects"].items()}
    ins = data.inspections.copy()
    date = pd.to_datetime(ins["start_date"])
    eta = ins["urn"].map(quality) + ins["lead_inspector_id"].map(lenient) + (date.dt.year - (date.dt.month < 9)).map(year)
    ins["p_below"] = expit(truth["cutpoints"][1] - eta)
    ins = ins.sort_values(["urn", "start_date"])
    last_two = ins[ins.groupby("urn").cumcount(ascending=False) < 2]
    p = last_two.groupby("urn")["p_below"].prod().loc[schools.index]
    frame = pd.DataFrame({"p": p, "obs": schools["stuck"], "q": schools["fsm_quintile"]})
    by_q = frame.groupby("q").agg(expected=("p", "sum"), var=("p", lambda v: (v * (1 - v)).sum()),
                                  observed=("obs", "sum"))
    z = (by_q["observed"] - by_q["expected"]) / np.sqrt(by_q["var"])
    assert (z.abs() < 3.5).all(), by_q
    assert by_q.loc[5, "expected"] > 2.5 * by_q.loc[1, "expected"]
    rates = hist.stuck_rates(schools.reset_index()).set_index(["statistic", "dimension", "group"])
    q1, q5 = rates.loc[("stuck", "fsm_quintile", "1")], rates.loc[("stuck", "fsm_quintile", "5")]
    assert q5["ci_low"] > q1["ci_high"]


def test_bundled_history_has_one_graded_inspection_per_school(england):
    counts = hist.history_counts(hist.graded_history(england))
    assert counts == {"schools": 21447, "graded_inspections": 21447,
                      "schools_by_number_of_graded_inspections": {1: 21447}, "schools_with_two_or_more": 0,
                      "possible": False}


# ---------------------------------------------------------------------- the command

def test_command_on_the_bundled_report_cards(tmp_path, capsys):
    out = tmp_path / "o"
    assert run_cli(["--data", "bundled", "--out", str(out), "--frameworks", RC, *QUICK]) == 0
    printed = capsys.readouterr().out
    assert "one per school: 'stuck' schools (last 2 graded inspections all below good) cannot be identified" in printed
    assert "Achievement, below expected standard: previously Outstanding 1% (0-6%, n=69); Good 27% (25-29%, n=982)" in printed
    assert "lead inspectors: none in the data" in printed
    files = {p.name for p in out.iterdir()}
    assert {"transitions.csv", "transition_summary.csv", "transitions.png", "area_concentration.csv",
            "region_concentration.csv", "middle_share.png", "grade_patterns.json", "privacy.json"} <= files
    assert not {"stuck_rates.csv", "inspector_concentration.csv"} & files
    info = json.loads((out / "grade_patterns.json").read_text())
    assert info["history"]["available"] is False and info["transitions"]["with_previous_grade"] == 1297
    t = pd.read_csv(out / "transitions.csv")
    assert list(t.columns) == [*trans.TRANSITION_COLUMNS, "suppressed"]
    assert t.loc[t["suppressed"], ["k", "n", "share"]].isna().all().all() and t["suppressed"].any()
    assert (t.loc[~t["suppressed"], "n"] >= 10).all()
    record = json.loads((out / "privacy.json").read_text())["files"]
    assert record["transitions.csv"]["suppression"]["rows_suppressed"] == int(t["suppressed"].sum())
    regions = pd.read_csv(out / "region_concentration.csv")
    assert (regions.loc[~regions["suppressed"], "n"] >= 10).all() and regions["suppressed"].sum() == 2


@pytest.fixture(scope="module")
def sim_run(tmp_path_factory):
    """Simulated repeat inspections (500 schools, 30 simulated inspectors, seed 5) as a folder of CSV files,
    and the command's output on it."""
    tmp = tmp_path_factory.mktemp("sim")
    data = simulate(SimulationConfig(n_schools=500, n_inspectors=30, repeat_share=0.6, paired_n_schools=10,
                                     survey_n_schools=10), seed=5)
    folder = tmp / "data"
    folder.mkdir()
    for name in ("schools", "inspections", "judgements"):
        getattr(data, name).to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    out = tmp / "out"
    code = run_cli(["--data", str(folder), "--out", str(out), *QUICK])
    return {"data": data, "folder": folder, "out": out, "code": code}


def test_command_on_a_folder_with_repeat_inspections(sim_run, capsys):
    out, data = sim_run["out"], sim_run["data"]
    assert sim_run["code"] == 0
    rates = pd.read_csv(out / "stuck_rates.csv")
    assert set(rates["statistic"]) == {"stuck", "stayed_below_good"}
    assert set(rates["dimension"]) == {"all", "phase", "fsm_quintile", "region"}
    assert (rates.loc[~rates["suppressed"], "n"] >= 10).all()
    info = json.loads((out / "grade_patterns.json").read_text())
    assert info["transitions"]["available"] is False and info["history"]["schools_with_two_or_more"] > 0
    insp = pd.read_csv(out / "inspector_concentration.csv")
    assert len(insp) and (insp["n"] >= 10).all() and not insp["suppressed"].any()  # small inspectors left out
    assert insp["lead_inspector_id"].str.fullmatch(r"Inspector-[0-9A-F]{16}").all()
    assert not set(insp["lead_inspector_id"]) & set(data.inspections["lead_inspector_id"])
    record = json.loads((out / "privacy.json").read_text())["files"]["inspector_concentration.csv"]
    assert record["suppression"]["person_rows_dropped"] > 0
    assert {"stuck.png", "inspector_concentration.png", "middle_share.png"} <= {p.name for p in out.iterdir()}
    # the stuck rates on the folder equal those computed in memory from the same tables
    direct = hist.stuck_rates(hist.stuck_schools(data.tables()))
    merged = rates.merge(direct, on=["statistic", "dimension", "group"], suffixes=("", "_direct"))
    shown = merged[~merged["suppressed"]]
    assert len(shown) and (shown["k"] == shown["k_direct"]).all() and (shown["n"] == shown["n_direct"]).all()


def test_command_on_a_workspace(sim_run, tmp_path, capsys):
    from inspect_audit.data import workspace

    folder = sim_run["folder"]
    db = tmp_path / "w.duckdb"
    assert workspace.ingest({t: folder / f"{t}.csv" for t in ("schools", "inspections", "judgements")}, db).ok
    out = tmp_path / "o"
    assert run_cli(["--data", str(db), "--out", str(out), "--frameworks", "eif_2019", *QUICK]) == 0
    assert "'Stuck' schools (last 2 graded inspections all below good; legacy overall grade)" in capsys.readouterr().out
    assert pd.read_csv(out / "stuck_rates.csv").equals(pd.read_csv(sim_run["out"] / "stuck_rates.csv"))


# ---------------------------------------------------------------------- demo section

def test_demo_section_on_the_real_report_cards(england, tmp_path):
    from inspect_audit.grade_patterns.report import demo_section

    sim = simulate(SimulationConfig(n_schools=600, n_inspectors=30, paired_n_schools=10, survey_n_schools=10), seed=3)
    section = demo_section(england, tmp_path, seed=1, simulated=sim)
    md = section["markdown"]
    assert md.index("**On achievement, 43% (38-49%, n=214) of the most disadvantaged primaries**") < md.index("| Area ")
    assert "against 13% (10-18%, n=173) of the least disadvantaged" in md
    assert "previously Good 27% (25-29%, n=982)" in md
    assert "cannot be counted on the bundled data" in md and "**simulated** data" in md
    for name in ("report_card_middle.png", "report_card_transitions.png", "report_card_concentration.csv",
                 "report_card_transitions.csv"):
        assert (tmp_path / name).exists()
    table = pd.read_csv(tmp_path / "report_card_concentration.csv")
    assert set(table["middle_label"]) == {"Expected standard"} and set(table["framework"]) == {RC}
    assert len(section["summary"]) >= 3


def test_demo_report_carries_the_section(england, tmp_path):
    """The demo runs the section after the England deprivation section and renders it (no Bayesian section
    is run here: the report is written from the data section's stand-ins and this one)."""
    from inspect_audit.reporting import demo

    assert demo.SECTIONS.index(demo.section_report_cards) == demo.SECTIONS.index(demo.section_england_deprivation) + 1
    ctx = demo.DemoContext(out_dir=tmp_path, seed=7, quick=True, england=england,
                           simulated=simulate(SimulationConfig(n_schools=300, n_inspectors=20, paired_n_schools=10,
                                                               survey_n_schools=10), seed=7))
    section = demo.section_report_cards(ctx)
    demo._write_report(ctx, [section])
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Report cards (real data)" in html and '<img alt="Report-card areas by previous grade"' in html
    assert html.count("<table>") == 2
