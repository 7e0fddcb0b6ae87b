"""Shared preparation of the complaints tables: joins, decided complaints, grade labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Stages in the order a complaint passes through them.
STAGES: tuple[str, ...] = ("informal", "formal", "internal_review", "independent_adjudicator")
#: Outcomes that count as "upheld" (in full or in part).
UPHELD: tuple[str, ...] = ("upheld", "partially_upheld")
#: Outcomes of a decided complaint (withdrawn and open complaints are not decided).
DECIDED: tuple[str, ...] = ("upheld", "partially_upheld", "not_upheld")
#: Ofsted overall-effectiveness codes.
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


def overall_grades(judgements: pd.DataFrame | None) -> pd.Series:
    """Overall-effectiveness grade by inspection_id (first row if an inspection has several)."""
    if judgements is None or judgements.empty:
        return pd.Series(dtype="Int64", name="grade")
    part = judgements[judgements["area"] == OVERALL_AREA]
    part = part.drop_duplicates("inspection_id")
    grades = pd.to_numeric(part["grade"], errors="coerce").round().astype("Int64")
    return pd.Series(grades.to_numpy(), index=part["inspection_id"].astype(str).to_numpy(), name="grade")


def inspection_frame(inspections: pd.DataFrame, judgements: pd.DataFrame | None = None,
                     schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per inspection with lead inspector, overall grade and school context.

    Columns: inspection_id, urn, start_date, lead_inspector_id, grade, phase, region,
    fsm_quintile (missing where the table or the value is absent).
    """
    keep = [c for c in ("inspection_id", "urn", "start_date", "lead_inspector_id") if c in inspections]
    out = inspections[keep].copy()
    out["inspection_id"] = out["inspection_id"].astype(str)
    out["grade"] = out["inspection_id"].map(overall_grades(judgements)).astype("Int64")
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
                    schools: pd.DataFrame | None = None) -> pd.DataFrame:
    """Complaints joined to their inspection's context, with ``decided`` and ``upheld`` flags.

    ``upheld`` is True for upheld or partially upheld and missing for complaints that are open or
    withdrawn (``decided`` False).
    """
    out = complaints.copy()
    out["inspection_id"] = out["inspection_id"].astype(str)
    outcome = out["outcome"].astype("string")
    out["decided"] = outcome.isin(DECIDED).fillna(False).astype(bool)
    out["upheld"] = pd.array(np.where(out["decided"], outcome.isin(UPHELD).fillna(False), False), dtype="boolean")
    out.loc[~out["decided"], "upheld"] = pd.NA
    if inspections is not None:
        ctx = inspection_frame(inspections, judgements, schools).drop(columns=["start_date"], errors="ignore")
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
