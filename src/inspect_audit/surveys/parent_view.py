"""Parent View (real data): % of parents positive per question against the school's latest grade
(overall effectiveness by default, or a report-card area on the five-point scale: grades of one scale,
labelled with that scale's own levels).

For each question: the mean % positive over schools at each grade (t interval, n =
schools) and the Spearman rank correlation between % positive and the inspection
rating (higher = better; Fisher-z interval with the Bonett-Wright standard error).
``composite`` is each school's mean over the questions it has.  Schools with fewer than
``min_responses`` responses to a question are left out of that question.

Caveat: Parent View figures are the current published ones while grades come from
each school's latest graded inspection, often years earlier; this is an association
between two views of a school, not a test of either.
"""

from __future__ import annotations

import pandas as pd

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.surveys._stats import correlation, mean_interval
from inspect_audit.surveys.perspectives import RATING
from inspect_audit.surveys.scoring import COMPOSITE, DEFAULT_MIN_RESPONSES

BY_GRADE_COLUMNS = ["item_id", "text", "grade", "grade_label", "statistic", "estimate", "ci_low", "ci_high", "n"]
CORR_COLUMNS = ["item_id", "text", "statistic", "estimate", "ci_low", "ci_high", "n"]


def _joined(aggregates: pd.DataFrame, grades: pd.DataFrame, min_responses: int,
            respondent_group: str = "parent") -> pd.DataFrame:
    agg = aggregates[aggregates["respondent_group"].astype(str) == respondent_group].copy()
    agg["urn"] = agg["urn"].astype(str)
    agg["item_id"] = agg["item_id"].astype(str)
    agg["pct_positive"] = agg["pct_positive"].astype(float)
    agg = agg[agg["n_responses"].astype(float) >= min_responses]
    agg = agg.sort_values("wave").drop_duplicates(["urn", "item_id"], keep="last")
    comp = agg.groupby("urn", as_index=False)["pct_positive"].mean().assign(item_id=COMPOSITE)
    both = pd.concat([agg[["urn", "item_id", "pct_positive"]], comp], ignore_index=True)
    return both.merge(grades[["urn", "grade", "grade_label", RATING]], on="urn", how="inner")


def _order(items: pd.DataFrame | None, present: list[str]) -> list[str]:
    listed = [] if items is None else [i for i in items["item_id"].astype(str) if i in present]
    rest = sorted(set(present) - set(listed) - {COMPOSITE}, key=lambda s: (len(s), s))
    return listed + rest + ([COMPOSITE] if COMPOSITE in present else [])


def parent_view_by_grade(aggregates: pd.DataFrame, grades: pd.DataFrame, items: pd.DataFrame | None = None,
                         min_responses: int = DEFAULT_MIN_RESPONSES,
                         ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Mean % positive per question and grade.

    Parameters
    ----------
    aggregates : DataFrame
        ``survey_aggregates`` (Parent View: ``respondent_group = "parent"``).
    grades : DataFrame
        :func:`~inspect_audit.surveys.perspectives.latest_grades`.
    items : DataFrame, optional
        ``survey_items`` for question text and order.
    min_responses : int
        Per-question gate on the school's number of responses.

    Returns
    -------
    DataFrame
        ``item_id, text, grade, grade_label, statistic`` (``mean_pct_positive``),
        ``estimate, ci_low, ci_high, n`` (schools).
    """
    joined = _joined(aggregates, grades, min_responses)
    text = {} if items is None else dict(zip(items["item_id"].astype(str), items["text"].astype(str)))
    text[COMPOSITE] = "Mean over the questions the school has"
    rows = []
    for item in _order(items, list(joined["item_id"].unique())):
        part = joined[joined["item_id"] == item]
        for grade, gpart in part.groupby("grade", sort=True):
            rows.append({"item_id": item, "text": text.get(item, ""), "grade": int(grade),
                         "grade_label": gpart["grade_label"].iloc[0], "statistic": "mean_pct_positive",
                         **{k: v for k, v in mean_interval(gpart["pct_positive"].to_numpy(float), ci_prob).items()
                            if k != "se"}})
    out = pd.DataFrame(rows, columns=BY_GRADE_COLUMNS)
    out.attrs["scale"] = str(grades["scale"].iloc[0]) if "scale" in grades and len(grades) else None
    return out


def parent_view_correlations(aggregates: pd.DataFrame, grades: pd.DataFrame, items: pd.DataFrame | None = None,
                             min_responses: int = DEFAULT_MIN_RESPONSES,
                             ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Spearman correlation of % positive with the inspection rating (higher = better), per question.

    Returns
    -------
    DataFrame
        ``item_id, text, statistic`` (``spearman_rho``), ``estimate, ci_low, ci_high, n`` (schools).
    """
    joined = _joined(aggregates, grades, min_responses)
    text = {} if items is None else dict(zip(items["item_id"].astype(str), items["text"].astype(str)))
    text[COMPOSITE] = "Mean over the questions the school has"
    rows = []
    for item in _order(items, list(joined["item_id"].unique())):
        part = joined[joined["item_id"] == item]
        rows.append({"item_id": item, "text": text.get(item, ""), "statistic": "spearman_rho",
                     **correlation(part["pct_positive"].to_numpy(float), part[RATING].to_numpy(float),
                                   "spearman", ci_prob)})
    return pd.DataFrame(rows, columns=CORR_COLUMNS)
