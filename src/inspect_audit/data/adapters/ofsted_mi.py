"""Ofsted's *state-funded schools inspections and outcomes* management-information CSV.

Turns one MI release (2015-2019, 2019-2024 or report-card era) into the project's
``schools``, ``inspections`` and ``judgements`` tables. Headers are matched after
normalisation (case, spaces and punctuation ignored), so the official names
("Overall effectiveness"), squashed exports ("Overalleffectiveness") and the long
"... of latest graded inspection" forms all work. Files may be UTF-8 or
Windows-1252, use "NULL" for missing and carry a title row above the header.

Values the adapter cannot translate are passed through unchanged, so the validator
reports them with their row; nothing is dropped silently.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.data.adapters.reading import AdaptedTables, normalise, read_delimited
from inspect_audit.data.files import InputError

# Our column -> official MI header names (any release), before normalisation.
SCHOOL_COLUMNS = {
    "urn": ["URN"],
    "name": ["School name", "Schoolname"],
    "phase": ["Ofsted phase"],
    "region": ["Region"],
    "local_authority": ["Local authority"],
    "pupils": ["Total number of pupils", "Number of pupils"],
    "idaci_quintile": ["The income deprivation affecting children index (IDACI) quintile", "IDACI quintile",
                       "IDACI"],
}
INSPECTION_COLUMNS = {
    "inspection_number": ["Inspection number of latest graded inspection", "Inspection number",
                          "Latest graded inspection number"],
    "start_date": ["Inspection start date of latest graded inspection", "Inspection start date"],
    "publication_date": ["Publication date of latest graded inspection", "Publication date",
                         "First published date"],
}
# The previous graded inspection, where a release carries it: (date names, grade names).
PREVIOUS_COLUMNS = (["Previous inspection start date", "Previous graded inspection start date",
                     "Previous publication date"],
                    ["Previous graded inspection overall effectiveness",
                     "Previous full inspection overall effectiveness"])
# Area code -> MI header names across releases.
AREA_COLUMNS = {
    "overall_effectiveness": ["Overall effectiveness"],
    "quality_of_education": ["Quality of education"],
    "behaviour_and_attitudes": ["Behaviour and attitudes"],
    "personal_development": ["Personal development"],
    "leadership_and_management": ["Effectiveness of leadership and management", "Leadership and management"],
    "early_years": ["Early years provision (where applicable)", "Early years provision", "Early years"],
    "sixth_form": ["Sixth form provision (where applicable)", "Sixth form provision", "16-19 study programmes"],
    "quality_of_teaching_learning_and_assessment": ["Quality of teaching, learning and assessment"],
    "personal_development_behaviour_and_welfare": ["Personal development, behaviour and welfare"],
    "outcomes_for_pupils": ["Outcomes for pupils"],
    "safeguarding": ["Safeguarding is effective?", "Safeguarding"],
    "inclusion": ["Inclusion"],
    "curriculum_and_teaching": ["Curriculum and teaching"],
    "achievement": ["Achievement"],
    "attendance_and_behaviour": ["Attendance and behaviour"],
    "personal_development_and_well_being": ["Personal development and well-being",
                                            "Personal development and wellbeing"],
    "leadership_and_governance": ["Leadership and governance"],
    "post_16": ["Post-16", "Post 16 provision"],
}
PHASES = {"primary": "primary", "secondary": "secondary", "special": "special", "nursery": "nursery",
          "allthrough": "all_through", "pru": "alternative_provision", "alternativeprovision":
          "alternative_provision", "pupilreferralunit": "alternative_provision", "16to19": "post_16",
          "post16": "post_16"}
# Word grades on every scale (normalised) -> code; numeric codes pass through.
WORD_GRADES = {normalise(label): code for name in ("legacy_4", "report_card_5")
               for code, label in zip(schemas.scale(name).codes, schemas.scale(name).labels)}
SAFEGUARDING = {"yes": 1, "met": 1, "effective": 1, "no": 2, "notmet": 2, "noteffective": 2}
NO_JUDGEMENT = {"", "null", "9", "na", "n/a", "notapplicable"}


def _find(columns: dict[str, str], names: list[str]) -> str | None:
    for name in names:
        if normalise(name) in columns:
            return columns[normalise(name)]
    return None


def _region_code(value: str) -> str:
    code = re.sub(r"[^a-z]+", "_", value.strip().lower()).strip("_")
    return {"yorkshire_and_humber": "yorkshire_and_the_humber", "east": "east_of_england"}.get(code, code)


def _grade(value: str, area: str) -> str | None:
    key = normalise(value)
    if key in NO_JUDGEMENT:
        return None
    if area == "safeguarding" and key in SAFEGUARDING:
        return str(SAFEGUARDING[key])
    if key in WORD_GRADES:
        return str(WORD_GRADES[key])
    return str(value).strip()  # numeric code, or a value the validator will report


def _date(value: str) -> str:
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d/%m/%y"):
        try:
            return pd.to_datetime(text, format=fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _add_previous(inspections: pd.DataFrame, judgements: pd.DataFrame, urn: pd.Series, dates: pd.Series,
                  grades: pd.Series, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add each school's previous graded inspection (overall effectiveness only)."""
    dates = dates.map(_date)
    grade = grades.map(lambda v: _grade(v, "overall_effectiveness"))
    keep = (dates != "") & grade.notna()
    ids = "MI-" + urn[keep] + "-" + dates[keep]
    previous = pd.DataFrame({"inspection_id": ids, "urn": urn[keep], "start_date": dates[keep],
                             "framework": dates[keep].map(lambda d: schemas.framework_for_date(d) or ""),
                             "inspection_type": "graded", "lead_inspector_id": "", "team_size": ""})
    notes.append(f"{int(keep.sum())} previous graded inspection(s) added (overall effectiveness only)")
    return (pd.concat([inspections, previous], ignore_index=True),
            pd.concat([judgements, pd.DataFrame({"inspection_id": ids, "area": "overall_effectiveness",
                                                 "grade": grade[keep]})], ignore_index=True))


def adapt_ofsted_mi(path: str | Path) -> AdaptedTables:
    """Read an Ofsted MI file into ``schools``, ``inspections`` and ``judgements`` frames.

    Examples
    --------
    >>> # not run here: it needs Ofsted's published MI file (tests/test_adapters.py runs the adapter on fixtures)
    >>> result = adapt_ofsted_mi("management_information.csv")  # doctest: +SKIP
    >>> result.tables["judgements"].head()                       # doctest: +SKIP
    """
    raw, notes = read_delimited(path, must_contain="URN")
    columns = {normalise(c): c for c in raw.columns}
    used: set[str] = set()

    def take(names: list[str]) -> pd.Series | None:
        col = _find(columns, names)
        if col is None:
            return None
        used.add(col)
        return raw[col].astype(str).str.strip()

    urn = take(SCHOOL_COLUMNS["urn"])
    if urn is None:
        raise InputError(f"{path}: no URN column; is this an Ofsted management-information file?")
    schools = pd.DataFrame({"urn": urn})
    for column, names in SCHOOL_COLUMNS.items():
        values = take(names) if column != "urn" else None
        if column == "urn":
            continue
        schools[column] = "" if values is None else values
    schools["phase"] = schools["phase"].map(lambda v: PHASES.get(normalise(v), v))
    schools["region"] = schools["region"].map(lambda v: _region_code(v) if v else v)
    for column in schemas.columns("schools"):
        if column not in schools:
            schools[column] = ""

    start, published = take(INSPECTION_COLUMNS["start_date"]), take(INSPECTION_COLUMNS["publication_date"])
    if start is None:
        if published is None:
            raise InputError(f"{path}: neither an inspection start date nor a publication date column")
        start = published
        notes.append("no inspection start date column: the publication date is used as start_date "
                     "(framework assigned from it; inspections published early in a framework may belong "
                     "to the previous one)")
    dates = start.map(_date)
    number = take(INSPECTION_COLUMNS["inspection_number"])
    inspection_id = number.where(number.map(normalise) != "null", "MI-" + urn + "-" + dates) if number is not None \
        else "MI-" + urn + "-" + dates
    framework = dates.map(lambda d: schemas.framework_for_date(d) if re.match(r"^\d{4}-\d{2}-\d{2}$", d) else "")
    inspections = pd.DataFrame({"inspection_id": inspection_id, "urn": urn, "start_date": dates,
                                "framework": framework.fillna(""), "inspection_type": "graded",
                                "lead_inspector_id": "", "team_size": ""})

    parts = []
    for area, names in AREA_COLUMNS.items():
        values = take(names)
        if values is None:
            continue
        grades = values.map(lambda v, a=area: _grade(v, a))
        keep = grades.notna()
        parts.append(pd.DataFrame({"inspection_id": inspection_id[keep], "area": area, "grade": grades[keep]}))
    if not parts:
        raise InputError(f"{path}: no judgement columns (e.g. 'Overall effectiveness') found")
    judgements = pd.concat(parts).sort_index(kind="stable").reset_index(drop=True)
    prev_date, prev_grade = take(PREVIOUS_COLUMNS[0]), take(PREVIOUS_COLUMNS[1])
    if prev_date is not None and prev_grade is not None:
        inspections, judgements = _add_previous(inspections, judgements, urn, prev_date, prev_grade, notes)
    ignored = [c for c in raw.columns if c not in used and str(c).strip() and not str(c).startswith("Unnamed")]
    if ignored:
        notes.append(f"{len(ignored)} column(s) not used: " + ", ".join(map(str, ignored)))
    return AdaptedTables(tables={"schools": schools[schemas.columns("schools")], "inspections": inspections,
                                 "judgements": judgements}, notes=notes, source=str(path))
