"""Shared preparation of the complaints tables: joins, decided complaints, grade labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit.data import schemas

#: Stages in the order a complaint passes through them.
STAGES: tuple[str, ...] = ("informal", "formal", "internal_review", "independent_adjudicator")
#: Outcomes that count as "upheld" (in full or in part).
UPHELD: tuple[str, ...] = ("upheld", "partially_upheld")
#: Outcomes of a decided complaint (withdrawn and open complaints are not decided).
DECIDED: tuple[str, ...] = ("upheld", "partially_upheld", "not_upheld")
#: Ofsted overall-effectiveness codes (the legacy scale; report-card grades have their own labels in scales.json).
GRADE_LABELS: dict[int, str] = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}
#: Dimension name -> column of the joined complaint frame.
DIMENSIONS: dict[str, str] = {
    "stage": "furthest_stage",
    "ground": "ground",
    "grade": "grade",
    "phase": "phase",
    "region": "region",
    "fsm_quintile": "fsm_quintile",
    "lead_inspector": "lead_inspector_id",
}
OVERALL_AREA = "overall_effectiveness"
#: What an inspection's grade is where its framework has no overall grade (report cards).
LOWEST_AREA = "lowest area"
GRADE_COLUMNS = ["inspection_id", "grade", "label", "scale", "basis", "group", "grade_words"]


def _unambiguous_areas() -> dict[str, str]:
    """Areas every framework grades on the same scale (e.g. overall effectiveness: always the legacy scale), for
    inspections whose framework is not given."""
    seen: dict[str, set[str]] = {}
    for fw in schemas.scales()["frameworks"]:
        for area, scale in schemas.framework_areas(fw).items():
            seen.setdefault(area, set()).add(scale)
    return {area: scales.pop() for area, scales in seen.items() if len(scales) == 1}


def _framework_grades(part: pd.DataFrame, judgements: pd.DataFrame, framework: str,
                      area: str | None) -> pd.DataFrame:
    """Grades of the inspections in ``part`` (one framework) on that framework's own scale."""
    known = framework in schemas.scales()["frameworks"]
    areas = schemas.framework_areas(framework) if known else _unambiguous_areas()
    ids = part["inspection_id"]
    j = judgements[judgements["inspection_id"].isin(set(ids))]
    j = j.assign(grade=pd.to_numeric(j["grade"], errors="coerce")).dropna(subset=["grade"])
    chosen = area or (OVERALL_AREA if OVERALL_AREA in areas else None)
    if chosen is not None:
        if chosen not in areas:
            return pd.DataFrame({"inspection_id": ids})
        scale = areas[chosen]
        rows = j[j["area"] == chosen].drop_duplicates("inspection_id")
        basis = chosen.replace("_", " ")
    else:  # no overall grade (report cards): the lowest grade among the areas on the framework's ordinal scale
        ordinal = {a: s for a, s in areas.items() if len(schemas.scale(s).codes) >= 3}
        if not ordinal or len(set(ordinal.values())) != 1:
            return pd.DataFrame({"inspection_id": ids})
        scale = next(iter(ordinal.values()))
        rows = j[j["area"].isin(set(ordinal))].groupby("inspection_id", as_index=False)["grade"].max()
        basis = LOWEST_AREA
    sc = schemas.scale(scale)
    rows = rows[rows["grade"].isin(sc.codes)][["inspection_id", "grade"]]
    out = pd.DataFrame({"inspection_id": ids}).merge(rows, on="inspection_id", how="left")
    out["scale"] = scale
    out["basis"] = basis
    return out


def inspection_grades(inspections: pd.DataFrame, judgements: pd.DataFrame | None,
                      area: str | None = None) -> pd.DataFrame:
    """Each inspection's grade on its own framework's scale, with the scale's labels (``scales.json``).

    Legacy frameworks: the overall-effectiveness grade (Outstanding ... Inadequate). Report cards have no
    overall grade: their grade here is the **lowest** among the areas graded on the five-point scale
    (Exceptional ... Urgent improvement; safeguarding, met or not met, is not one of them). ``area`` picks one
    area instead, on whichever scale each framework grades it. Grades on different scales are never merged:
    ``scale`` tells them apart and analyses group by it.

    Returns
    -------
    DataFrame
        ``inspection_id, grade`` (code, 1 = best; missing where there is none), ``label``, ``scale``, ``basis``
        (``overall effectiveness`` or ``lowest area``), ``group`` (``"2 Good"``: code and label) and
        ``grade_words`` (``"graded Good for overall effectiveness"``).

    Examples
    --------
    >>> ins = pd.DataFrame({"inspection_id": ["a", "b"], "framework": ["eif_2019", "report_card_2025"]})
    >>> j = pd.DataFrame({"inspection_id": ["a", "b", "b", "b"], "grade": [2, 3, 4, 1],
    ...                   "area": ["overall_effectiveness", "inclusion", "achievement", "safeguarding"]})
    >>> inspection_grades(ins, j)[["inspection_id", "group", "scale", "basis"]]
      inspection_id              group          scale                basis
    0             a             2 Good       legacy_4  overall effectiveness
    1             b  4 Needs attention  report_card_5          lowest area
    """
    ins = inspections[["inspection_id", "framework"]].copy() if "framework" in inspections else \
        inspections[["inspection_id"]].assign(framework="")
    ins["inspection_id"] = ins["inspection_id"].astype(str)
    if judgements is None or judgements.empty:
        return pd.DataFrame(columns=GRADE_COLUMNS).astype({"grade": "Int64"})
    j = judgements.assign(inspection_id=judgements["inspection_id"].astype(str), area=judgements["area"].astype(str))
    frameworks = ins["framework"].astype("string").fillna("").astype(str)
    parts = [_framework_grades(part, j, fw, area) for fw, part in ins.groupby(frameworks, sort=False)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["inspection_id"])
    for col in ("grade", "scale", "basis"):
        if col not in out:
            out[col] = pd.NA
    out["grade"] = pd.to_numeric(out["grade"], errors="coerce").round().astype("Int64")
    has = out["grade"].notna() & out["scale"].notna()
    out["label"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out.loc[has, "label"] = [schemas.scale(s).label(int(g)) for s, g in zip(out.loc[has, "scale"],
                                                                           out.loc[has, "grade"])]
    out["group"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out.loc[has, "group"] = out.loc[has, "grade"].astype(int).astype(str) + " " + out.loc[has, "label"]
    out["grade_words"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out.loc[has, "grade_words"] = [
        f"whose lowest report-card area was {lab}" if basis == LOWEST_AREA else f"graded {lab} for {basis}"
        for lab, basis in zip(out.loc[has, "label"], out.loc[has, "basis"])]
    out.loc[~has, ["scale", "basis"]] = pd.NA
    return out[GRADE_COLUMNS]


def overall_grades(judgements: pd.DataFrame | None) -> pd.Series:
    """Overall-effectiveness grade by inspection_id (first row if an inspection has several)."""
    if judgements is None or judgements.empty:
        return pd.Series(dtype="Int64", name="grade")
    part = judgements[judgements["area"] == OVERALL_AREA]
    part = part.drop_duplicates("inspection_id")
    grades = pd.to_numeric(part["grade"], errors="coerce").round().astype("Int64")
    return pd.Series(grades.to_numpy(), index=part["inspection_id"].astype(str).to_numpy(), name="grade")


def inspection_frame(inspections: pd.DataFrame, judgements: pd.DataFrame | None = None,
                     schools: pd.DataFrame | None = None, area: str | None = None) -> pd.DataFrame:
    """One row per inspection with lead inspector, grade and school context.

    Columns: inspection_id, urn, start_date, lead_inspector_id, grade (code on the inspection's own scale, see
    :func:`inspection_grades`), grade_label (``"2 Good"``), grade_scale, phase, region, fsm_quintile (missing
    where the table or the value is absent).
    """
    keep = [c for c in ("inspection_id", "urn", "start_date", "lead_inspector_id") if c in inspections]
    out = inspections[keep].copy()
    out["inspection_id"] = out["inspection_id"].astype(str)
    grades = inspection_grades(inspections, judgements, area).drop_duplicates("inspection_id").set_index(
        "inspection_id")
    out["grade"] = out["inspection_id"].map(grades["grade"]).astype("Int64")
    out["grade_label"] = out["inspection_id"].map(grades["group"])
    out["grade_scale"] = out["inspection_id"].map(grades["scale"])
    if schools is not None and "urn" in out:
        cols = [c for c in ("urn", "phase", "region", "fsm_quintile") if c in schools]
        ctx = schools[cols].drop_duplicates("urn").copy()
        ctx["urn"] = ctx["urn"].astype(str)
        out = out.assign(urn=out["urn"].astype(str)).merge(ctx, on="urn", how="left")
    for col in ("phase", "region", "fsm_quintile", "lead_inspector_id"):
        if col not in out:
            out[col] = pd.NA
    return out


def complaint_frame(complaints: pd.DataFrame, inspections: pd.DataFrame | None = None,
                    judgements: pd.DataFrame | None = None,
                    schools: pd.DataFrame | None = None, area: str | None = None) -> pd.DataFrame:
    """Complaints joined to their inspection's context, with ``decided`` and ``upheld`` flags.

    ``upheld`` is True for upheld or partially upheld and missing for complaints that are open or
    withdrawn (``decided`` False). ``area``: as in :func:`inspection_grades`.
    """
    out = complaints.copy()
    out["inspection_id"] = out["inspection_id"].astype(str)
    outcome = out["outcome"].astype("string")
    out["decided"] = outcome.isin(DECIDED).fillna(False).astype(bool)
    out["upheld"] = pd.array(np.where(out["decided"], outcome.isin(UPHELD).fillna(False), False), dtype="boolean")
    out.loc[~out["decided"], "upheld"] = pd.NA
    if inspections is not None:
        ctx = inspection_frame(inspections, judgements, schools, area).drop(columns=["start_date"], errors="ignore")
        out = out.merge(ctx, on="inspection_id", how="left")
    return out


def explode_grounds(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (complaint, ground): the ';'-separated ``grounds`` list split out into ``ground``."""
    grounds = frame["grounds"].astype("string").fillna("").str.split(";")
    out = frame.assign(ground=grounds.map(lambda xs: [x.strip() for x in xs if x.strip()] or [pd.NA]))
    return out.explode("ground", ignore_index=True)


def group_labels(values: pd.Series) -> pd.Series:
    """Readable string labels for group values (integers without '.0'; missing -> 'missing')."""
    def label(v: object) -> str:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return "missing"
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            return str(int(v))
        return str(v)
    return values.map(label).astype(str)


def sort_key(dimension: str, labels: pd.Series) -> pd.Series:
    """Order groups naturally: stages in process order, numbers numerically, others alphabetically."""
    if dimension == "stage":
        order = {s: i for i, s in enumerate(STAGES)}
        return labels.map(lambda x: order.get(x, len(order)))
    num = pd.to_numeric(labels, errors="coerce")
    if num.notna().all():
        return num
    return labels.str.lower()
