"""Build the bundled real England dataset from the public extracts in ``../shared/data/raw``.

Usage::

    python scripts/build_england_data.py [--raw DIR] [--out DIR]

Reads the Ofsted management-information extract as at 31 August 2024 (each school's latest
graded inspection), the report cards in the MI extract as at May 2026 (schools inspected under
the November 2025 framework), the 2022/23 school census and KS2/KS4 progress, GIAS phases, a
GIAS extract with local-authority codes and pupil numbers, and Parent View (all Open Government
Licence v3.0; provenance in ``docs/data-card.md``), and writes the project's tables as gzipped
CSV into ``src/inspect_audit/data/england/``. A report card is a second inspection of its school
(``MI2026-<urn>``, inspection_type ``report_card``) beside the school's previous graded one
(``MI2024-<urn>``). Every exclusion is counted in ``build_log.json``. The output is deterministic
(sorted rows, no timestamps), so re-running it gives the same files.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.data.adapters.parent_view import PARENT_VIEW_ITEMS, item_id, parent_view_items

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RAW = REPO.parent / "shared" / "data" / "raw"
DEFAULT_OUT = REPO / "src" / "inspect_audit" / "data" / "england"

# DfE local-authority code -> region (the nine English regions, schema codes).
REGION_BY_LA = {
    "london": [*range(201, 214), *range(301, 321)],
    "west_midlands": [*range(330, 337), 860, 861, 884, 885, 893, 894, 937],
    "north_west": [*range(340, 345), *range(350, 360), 876, 877, 888, 889, 890, 895, 896, 909, 942, 943],
    "yorkshire_and_the_humber": [*range(370, 374), *range(380, 385), 810, 811, 812, 813, 815, 816],
    "north_east": [*range(390, 395), 805, 806, 807, 808, 840, 841, 929],
    "south_west": [420, 800, 801, 802, 803, 835, 836, 837, 838, 839, 865, 866, 878, 879, 880, 908, 916, 933],
    "east_of_england": [821, 822, 823, 873, 874, 881, 882, 883, 919, 926, 935],
    "south_east": [825, 826, 845, 846, 850, 851, 852, *range(867, 873), 886, 887, 921, 931, 936, 938],
    "east_midlands": [830, 831, 855, 856, 857, 891, 892, 925, 928, 940, 941],
}
GIAS_PHASE = {"Primary": "primary", "Secondary": "secondary", "Nursery": "nursery",
              "All-through": "all_through", "Sixth form": "post_16", "College": "post_16"}
# GIAS establishment type codes that decide the phase whatever GIAS's phase says.
SPECIAL_TYPES = {7, 8, 10, 12, 33, 36, 44}
AP_TYPES = {14, 38, 42, 43}
POST16_TYPES = {39, 45, 46}
# The app's short sub-judgement keys -> area codes, per framework (only areas the framework grades).
SUB_AREAS = {"education": "quality_of_education", "behaviour": "behaviour_and_attitudes",
             "personal": "personal_development", "leadership": "leadership_and_management",
             "eyfs": "early_years", "sixthForm": "sixth_form"}
PARENT_VIEW_WAVE = "2026-06"
#: The MI extract as at May 2026 whose ``card`` records are report cards (see its SOURCE.md).
REPORT_CARD_FILE = "ofsted_by_urn_mi_2026-05.json"
REPORT_CARD_FRAMEWORK = "report_card_2025"
#: The extract's short report-card area keys -> area codes of the report_card_2025 framework.
REPORT_CARD_AREAS = {"inclusion": "inclusion", "curriculum": "curriculum_and_teaching",
                     "achievement": "achievement", "behaviour": "attendance_and_behaviour",
                     "personal": "personal_development_and_well_being", "earlyYears": "early_years",
                     "postSixteen": "post_16", "leadership": "leadership_and_governance"}
#: The extract's band words -> labels of the report_card_5 scale (codes come from scales.json).
REPORT_CARD_BANDS = {"exceptional": "Exceptional", "strong": "Strong standard", "expected": "Expected standard",
                     "needs-attention": "Needs attention", "urgent": "Urgent improvement"}
SAFEGUARDING = {"met": "Met", "not met": "Not met"}
#: The extract's ``concern`` (absent = none) -> inspections.category_of_concern.
CONCERN = {None: "none", "SM": "special_measures", "RSI": "requires_significant_improvement"}


def _json(raw: Path, name: str):
    return json.loads((raw / "locale-ofsted-derived" / name).read_text(encoding="utf-8"))


def _region(code: float) -> str | None:
    if pd.isna(code):
        return None
    for region, codes in REGION_BY_LA.items():
        if int(code) in codes:
            return region
    raise ValueError(f"local-authority code {int(code)} has no region in REGION_BY_LA")


def _phase(urn: str, gias: dict, type_code: float, ks2: dict, ks4: dict) -> str | None:
    if not pd.isna(type_code):
        code = int(type_code)
        if code in SPECIAL_TYPES:
            return "special"
        if code in AP_TYPES:
            return "alternative_provision"
        if code in POST16_TYPES:
            return "post_16"
    if urn in gias:
        return GIAS_PHASE.get(gias[urn]["phase"])
    if urn in ks2 and urn not in ks4:
        return "primary"
    if urn in ks4 and urn not in ks2:
        return "secondary"
    return None


def _quintile_within(values: pd.Series, groups: pd.Series) -> pd.Series:
    """Quintile 1 (lowest) .. 5 (highest) of values within each group (ties share the lower rank)."""
    pct = values.groupby(groups).rank(method="min", pct=True)
    return np.ceil(pct * 5).clip(1, 5).astype("Int64")


def _quintile_against(values: pd.Series, groups: pd.Series, ref_values: pd.Series,
                      ref_groups: pd.Series) -> pd.Series:
    """Quintile of each value among the reference values of its group, by the rule of
    :func:`_quintile_within` (rank = 1 + number of reference values below it, over the group's size)."""
    out = pd.array([pd.NA] * len(values), dtype="Int64")
    for i, (value, group) in enumerate(zip(values, groups)):
        ref = ref_values[(ref_groups == group).to_numpy() & ref_values.notna().to_numpy()]
        if pd.isna(value) or ref.empty:
            continue
        pct = (1 + int((ref < value).sum())) / len(ref)
        out[i] = int(np.clip(np.ceil(pct * 5), 1, 5))
    return pd.Series(out, index=values.index)


def build_schools(raw: Path, ofsted: dict, log: dict, newcomers: dict | None = None) -> pd.DataFrame:
    """One row per school of ``ofsted`` (graded inspection at 31 Aug 2024) and of ``newcomers``
    (report-card schools without one). FSM quintiles are formed within phase over the first group
    only; a newcomer is placed on that group's distribution, so adding them changes no other row."""
    newcomers = newcomers or {}
    gias = {str(s["urn"]): s for s in _json(raw, "gias_schools_min.json")}
    census = _json(raw, "census_by_urn.json")
    ks2, ks4 = _json(raw, "ks2_by_urn.json"), _json(raw, "ks4_by_urn.json")
    cap = pd.read_csv(raw / "capstone-gias-ofsted" / "school_ofsted_rating.csv")
    cap = cap.set_index(cap["unique_reference_number"].astype(str))
    rows = []
    for urn, rec in [*ofsted.items(), *newcomers.items()]:
        extra = cap.loc[urn] if urn in cap.index else None
        type_code = extra["establishment_type_code"] if extra is not None else np.nan
        la = extra["authority_code"] if extra is not None else np.nan
        progress = [ks2.get(urn, {}).get(k) for k in ("readProg", "writProg", "matProg")]
        progress = [p for p in progress if p is not None]
        rows.append({
            "urn": urn, "name": rec["name"], "phase": _phase(urn, gias, type_code, ks2, ks4),
            "region": _region(la), "local_authority": None if pd.isna(la) else str(int(la)),
            "pupils": None if extra is None or pd.isna(extra["pupil_number"]) else int(extra["pupil_number"]),
            "fsm_pct": census.get(urn, {}).get("fsm"),
            "ks2_progress": round(float(np.mean(progress)), 2) if len(progress) == 3 else None,
            "progress8": ks4.get(urn, {}).get("p8"),
        })
    schools = pd.DataFrame(rows)
    schools["_newcomer"] = schools["urn"].isin(set(newcomers))
    log["schools_without_phase_excluded"] = int((schools["phase"].isna() & ~schools["_newcomer"]).sum())
    log["report_card_schools_new_since_2024_without_phase_excluded"] = int(
        (schools["phase"].isna() & schools["_newcomer"]).sum())
    schools = schools[schools["phase"].notna()].copy()
    base = ~schools["_newcomer"]
    schools["fsm_quintile"] = pd.array([pd.NA] * len(schools), dtype="Int64")
    schools.loc[base, "fsm_quintile"] = _quintile_within(schools.loc[base, "fsm_pct"], schools.loc[base, "phase"])
    schools.loc[~base, "fsm_quintile"] = _quintile_against(
        schools.loc[~base, "fsm_pct"], schools.loc[~base, "phase"],
        schools.loc[base, "fsm_pct"], schools.loc[base, "phase"])
    schools["idaci_quintile"] = pd.array([pd.NA] * len(schools), dtype="Int64")
    schools["pupils"] = schools["pupils"].astype("Int64")
    log["schools"] = len(schools)
    log["schools_by_phase"] = schools["phase"].value_counts().sort_index().to_dict()
    for column in ("region", "fsm_pct", "ks2_progress", "progress8", "pupils"):
        log[f"schools_with_{column}"] = int(schools[column].notna().sum())
    # the schema's columns this build has (optional ones the public data do not hold, such as
    # employs_serving_inspector, are left out rather than written empty)
    return schools[[c for c in schemas.columns("schools") if c in schools]].sort_values("urn").reset_index(drop=True)


def build_inspections(ofsted: dict, urns: set[str], log: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    code = dict(zip(schemas.scale("legacy_4").labels, schemas.scale("legacy_4").codes))
    inspections, judgements = [], []
    skipped_areas = 0
    for urn, rec in ofsted.items():
        if urn not in urns:
            continue
        framework = schemas.framework_for_date(rec["date"])
        inspection_id = f"MI2024-{urn}"
        inspections.append({"inspection_id": inspection_id, "urn": urn, "start_date": rec["date"],
                            "framework": framework, "inspection_type": "graded",
                            "lead_inspector_id": None, "team_size": None, "category_of_concern": None})
        judgements.append({"inspection_id": inspection_id, "area": "overall_effectiveness",
                           "grade": code[rec["rating"]]})
        areas = schemas.framework_areas(framework)
        for key, word in rec.get("sub", {}).items():
            area = SUB_AREAS[key]
            if area not in areas:
                skipped_areas += 1
                continue
            judgements.append({"inspection_id": inspection_id, "area": area, "grade": code[word]})
    log["inspections"] = len(inspections)
    log["judgements"] = len(judgements)
    log["sub_judgements_not_graded_by_framework_excluded"] = skipped_areas
    insp = pd.DataFrame(inspections)
    insp = insp[[c for c in schemas.columns("inspections") if c in insp]].sort_values("inspection_id")
    insp["team_size"] = insp["team_size"].astype("Int64")
    judg = pd.DataFrame(judgements).sort_values(["inspection_id", "area"])
    return insp.reset_index(drop=True), judg.reset_index(drop=True)


def build_report_cards(cards: dict, urns: set[str], log: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Report cards (``card`` records of the May 2026 extract) as inspections and judgements.

    One inspection per school (``MI2026-<urn>``, inspection_type ``report_card``, framework from the
    date, which must be report_card_2025), one judgement per area the card grades (codes of the
    report_card_5 scale) and ``safeguarding`` (met_not_met). ``category_of_concern`` is ``none`` when
    the card carries no concern. Schools not in ``urns`` (no phase) are counted and left out.
    """
    areas = schemas.framework_areas(REPORT_CARD_FRAMEWORK)
    band = {word: schemas.scale(areas["inclusion"]).codes[schemas.scale(areas["inclusion"]).labels.index(label)]
            for word, label in REPORT_CARD_BANDS.items()}
    sg_scale = schemas.scale(areas["safeguarding"])
    safeguarding = {word: sg_scale.codes[sg_scale.labels.index(label)] for word, label in SAFEGUARDING.items()}
    inspections, judgements = [], []
    excluded = 0
    for urn, rec in cards.items():
        if urn not in urns:
            excluded += 1
            continue
        framework = schemas.framework_for_date(rec["date"])
        if framework != REPORT_CARD_FRAMEWORK:
            raise ValueError(f"report card of {urn} dated {rec['date']} falls under {framework}")
        card = rec["card"]
        inspection_id = f"MI2026-{urn}"
        inspections.append({"inspection_id": inspection_id, "urn": urn, "start_date": rec["date"],
                            "framework": framework, "inspection_type": "report_card",
                            "lead_inspector_id": None, "team_size": None,
                            "category_of_concern": CONCERN[card.get("concern")]})
        for key, word in card["areas"].items():
            judgements.append({"inspection_id": inspection_id, "area": REPORT_CARD_AREAS[key], "grade": band[word]})
        judgements.append({"inspection_id": inspection_id, "area": "safeguarding",
                           "grade": safeguarding[card["safeguarding"]]})
    log["report_cards_without_phase_excluded"] = excluded
    log["report_cards"] = len(inspections)
    log["report_card_judgements"] = len(judgements)
    insp = pd.DataFrame(inspections)
    log["report_cards_by_concern"] = insp["category_of_concern"].value_counts().sort_index().to_dict()
    judg = pd.DataFrame(judgements)
    log["report_card_judgements_by_area"] = judg["area"].value_counts().sort_index().to_dict()
    return insp, judg


def build_parent_view(raw: Path, urns: set[str], log: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    items = parent_view_items()
    rows = []
    pv = _json(raw, "parentview_by_urn.json")
    for urn, rec in pv.items():
        if urn not in urns:
            continue
        for q, _, _ in PARENT_VIEW_ITEMS:
            answer = rec["q"].get(q)
            if answer is None or answer.get("pos") is None:
                continue
            applicable = 1 - answer.get("na", 0) / 100
            rows.append({"urn": urn, "wave": PARENT_VIEW_WAVE, "respondent_group": "parent",
                         "item_id": item_id(q), "n_responses": int(round(rec["responses"] * applicable)),
                         "pct_positive": float(answer["pos"]), "pct_negative": answer.get("neg")})
    log["parent_view_schools_not_in_bundle_excluded"] = len(set(pv) - urns)
    aggregates = pd.DataFrame(rows).sort_values(["urn", "item_id"]).reset_index(drop=True)
    log["parent_view_schools"] = int(aggregates["urn"].nunique())
    log["survey_aggregates"] = len(aggregates)
    return items, aggregates


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Gzipped CSV with a fixed header timestamp (mtime=0), so rebuilds are byte-identical."""
    text = frame.to_csv(index=False, lineterminator="\n")
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(text.encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    log: dict = {}
    ofsted = _json(args.raw, "ofsted_by_urn_mi_asat_2024-08-31.json")
    log["ofsted_schools_read"] = len(ofsted)
    cards = {urn: rec for urn, rec in _json(args.raw, REPORT_CARD_FILE).items() if "card" in rec}
    log["report_card_schools_read"] = len(cards)
    newcomers = {urn: rec for urn, rec in cards.items() if urn not in ofsted}
    log["report_card_schools_without_2024_graded_inspection"] = len(newcomers)
    schools = build_schools(args.raw, ofsted, log, newcomers)
    urns = set(schools["urn"])
    log["report_card_schools_with_previous_graded_inspection"] = len(set(cards) & set(ofsted) & urns)
    inspections, judgements = build_inspections(ofsted, urns, log)
    log["graded_inspections"], log["graded_judgements"] = log["inspections"], log["judgements"]
    rc_inspections, rc_judgements = build_report_cards(cards, urns, log)
    inspections = (pd.concat([inspections, rc_inspections[inspections.columns]], ignore_index=True)
                   .sort_values("inspection_id").reset_index(drop=True))
    inspections["team_size"] = inspections["team_size"].astype("Int64")
    judgements = (pd.concat([judgements, rc_judgements], ignore_index=True)
                  .sort_values(["inspection_id", "area"]).reset_index(drop=True))
    log["inspections"] = len(inspections)
    log["judgements"] = len(judgements)
    items, aggregates = build_parent_view(args.raw, urns, log)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in [("schools", schools), ("inspections", inspections), ("judgements", judgements),
                        ("survey_items", items), ("survey_aggregates", aggregates)]:
        write_table(frame, args.out / f"{name}.csv.gz")
    (args.out / "build_log.json").write_text(json.dumps(log, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(log, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
