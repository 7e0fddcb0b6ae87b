"""Grades of one judgement area joined to their inspection and school, on one scale.

Analyses never mix scales silently: ``area_grades`` refuses a selection whose grades
come from more than one scale unless the caller picks a framework.
"""

from __future__ import annotations

import pandas as pd

from inspect_audit.data import schemas


class MixedScalesError(ValueError):
    """The selected grades come from more than one grade scale."""


def area_grades(tables: dict[str, pd.DataFrame], area: str = "overall_effectiveness",
                frameworks: list[str] | None = None) -> tuple[pd.DataFrame, schemas.Scale]:
    """One row per inspection graded on ``area``, with inspection and school columns.

    Returns the joined frame and the single scale its grades are on.
    """
    judgements = tables["judgements"]
    joined = judgements[judgements["area"] == area].merge(tables["inspections"], on="inspection_id",
                                                          how="inner", validate="one_to_one")
    if frameworks:
        joined = joined[joined["framework"].isin(frameworks)]
    if joined.empty:
        raise ValueError(f"no {area} grades in the selection")
    scale_names = {schemas.framework_areas(fw).get(area) for fw in joined["framework"].unique()}
    scale_names.discard(None)
    if len(scale_names) != 1:
        by_fw = joined.groupby("framework").size().to_dict()
        raise MixedScalesError(
            f"{area} grades come from several scales ({', '.join(sorted(scale_names))}; "
            f"inspections by framework: {by_fw}); choose frameworks that share one scale")
    if "schools" in tables:
        joined = joined.merge(tables["schools"], on="urn", how="left", validate="many_to_one")
    return joined.reset_index(drop=True), schemas.scale(scale_names.pop())
