"""Observed grade shares by group, each with its interval and sample size."""

from __future__ import annotations

import pandas as pd
from inspect_audit._core.intervals import CI_PROB, wilson_interval

from inspect_audit.data.schemas import Scale


def grade_shares(grades: pd.DataFrame, scale: Scale, by: list[str],
                 ci_prob: float = CI_PROB, grade_col: str = "grade") -> pd.DataFrame:
    """Share of each grade within groups, with Wilson intervals.

    Every grade on the scale gets a row, including grades never awarded in a group.

    Returns a tidy frame: ``by`` columns, grade, label, count, n, share, ci_low,
    ci_high, method.
    """
    data = grades.dropna(subset=[grade_col, *by])
    counts = (data.groupby([*by, grade_col], observed=True).size()
              .unstack(grade_col, fill_value=0)
              .reindex(columns=list(scale.codes), fill_value=0))
    long = counts.stack().rename("count").reset_index().rename(columns={grade_col: "grade"})
    long["n"] = long.groupby(by)["count"].transform("sum")
    long["share"] = long["count"] / long["n"]
    low, high = wilson_interval(long["count"], long["n"], ci_prob)
    long["ci_low"], long["ci_high"] = low, high
    long["label"] = long["grade"].map(scale.label)
    long["method"] = f"Wilson score interval, {ci_prob:.0%}"
    return long[[*by, "grade", "label", "count", "n", "share", "ci_low", "ci_high", "method"]]


def boundary_shares(grades: pd.DataFrame, scale: Scale, boundary: str, by: list[str],
                    ci_prob: float = CI_PROB, grade_col: str = "grade") -> pd.DataFrame:
    """Share of grades inside a named boundary of the scale (e.g. ``good_or_better``)."""
    codes = scale.boundaries[boundary]
    data = grades.dropna(subset=[grade_col, *by])
    flags = data[grade_col].isin(codes)
    table = flags.groupby([data[c] for c in by]).agg(["sum", "size"]).reset_index()
    table = table.rename(columns={"sum": "count", "size": "n"})
    table["share"] = table["count"] / table["n"]
    low, high = wilson_interval(table["count"], table["n"], ci_prob)
    table["ci_low"], table["ci_high"] = low, high
    table.insert(len(by), "boundary", boundary)
    table["method"] = f"Wilson score interval, {ci_prob:.0%}"
    return table
