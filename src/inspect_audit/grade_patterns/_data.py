"""Shared data steps: graded inspections of one area joined to their school, one scale at a time."""

from __future__ import annotations

import pandas as pd

from inspect_audit.data import schemas

#: Inspection types that award grades (a missing type counts as graded, as in older files).
GRADED_TYPES = ("graded", "report_card")
#: Phases listed first, in this order; others follow alphabetically.
PHASE_ORDER = ("primary", "secondary", "special", "all_through", "nursery", "alternative_provision", "post_16")
SCHOOL_COLUMNS = ("phase", "fsm_quintile", "region")


def graded_inspections(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Inspections that award grades (type ``graded`` or ``report_card``, or no type given)."""
    ins = tables["inspections"]
    if "inspection_type" not in ins:
        return ins
    kind = ins["inspection_type"]
    return ins[kind.isna() | kind.astype(str).isin(GRADED_TYPES)]


def frameworks_on_scale(area: str, scale_name: str) -> list[str]:
    """Frameworks (``scales.json`` order) that grade ``area`` on the scale ``scale_name``."""
    return [fw for fw in schemas.scales()["frameworks"] if schemas.framework_areas(fw).get(area) == scale_name]


def area_frame(tables: dict[str, pd.DataFrame], area: str, frameworks: list[str] | None = None) -> pd.DataFrame:
    """One row per graded inspection judged on ``area`` (of ``frameworks``, default all): ``inspection_id,
    urn, start_date, framework, grade`` (int), ``lead_inspector_id`` where the inspections carry it, and the
    school's ``phase, fsm_quintile, region`` (missing where the school or the column is absent).

    Raises ``ValueError`` if the selection holds grades of more than one scale: choose ``frameworks``.
    """
    ins = graded_inspections(tables)
    if frameworks is not None:
        ins = ins[ins["framework"].astype(str).isin(frameworks)]
    keep = [c for c in ("inspection_id", "urn", "start_date", "framework", "lead_inspector_id") if c in ins]
    j = tables["judgements"]
    f = j.loc[j["area"].astype(str) == area, ["inspection_id", "grade"]].merge(ins[keep], on="inspection_id")
    f["framework"] = f["framework"].astype(str)
    scales_seen = {schemas.framework_areas(fw).get(area) for fw in f["framework"].unique()} - {None}
    if len(scales_seen) > 1:
        raise ValueError(f"{area} grades come from several scales ({', '.join(sorted(scales_seen))}): choose "
                         "frameworks that share one scale")
    grading = [fw for fw in f["framework"].unique() if area in schemas.framework_areas(fw)]
    f = f[f["framework"].isin(grading)]
    f["grade"] = pd.to_numeric(f["grade"], errors="coerce")
    f = f[f["grade"].notna()].copy()
    f["grade"] = f["grade"].astype(int)
    schools = tables.get("schools")
    cols = [c for c in SCHOOL_COLUMNS if schools is not None and c in schools]
    if cols:
        f = f.merge(schools[["urn", *cols]], on="urn", how="left")
    for c in SCHOOL_COLUMNS:
        if c not in f:
            f[c] = pd.NA
    f["phase"] = f["phase"].astype("object")
    f["region"] = f["region"].astype("object")
    f["fsm_quintile"] = pd.to_numeric(f["fsm_quintile"], errors="coerce")
    return f.reset_index(drop=True)


def phases_in(values) -> list[str]:
    """Phases present in ``values``, in :data:`PHASE_ORDER` then alphabetical order."""
    present = {str(v) for v in pd.Series(values).dropna().unique()}
    return [p for p in PHASE_ORDER if p in present] + sorted(present - set(PHASE_ORDER))


def adverse(scale: schemas.Scale) -> tuple[tuple[int, ...], str]:
    """The codes below a scale's ``..._or_better`` boundary (or its ``not_met`` codes) and their words,
    e.g. ``((4, 5), 'below expected standard')`` on ``report_card_5``, ``((3, 4), 'below good')`` on ``legacy_4``.

    >>> adverse(schemas.scale("report_card_5"))
    ((4, 5), 'below expected standard')
    >>> adverse(schemas.scale("met_not_met"))
    ((2,), 'not met')
    """
    key = next((k for k in scale.boundaries if k.endswith("_or_better")), None)
    if key is not None:
        ok = scale.boundaries[key]
        return tuple(c for c in scale.codes if c not in ok), f"below {scale.label(max(ok)).lower()}"
    if "not_met" in scale.boundaries:
        return scale.boundaries["not_met"], "not met"
    raise ValueError(f"scale {scale.name} has no '..._or_better' or 'not_met' boundary")
