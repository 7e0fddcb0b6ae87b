"""Run every survey analysis the given tables allow, returning tidy tables by name."""

from __future__ import annotations

import pandas as pd

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.surveys._stats import one_blas_thread
from inspect_audit.surveys.aggregation import aggregation_reliability
from inspect_audit.surveys.comparisons import similar_school_comparison, subgroup_differences, wave_changes
from inspect_audit.surveys.parent_view import parent_view_by_grade, parent_view_correlations
from inspect_audit.surveys.perspectives import divergence, latest_grades, parent_scores, perspective_correlations
from inspect_audit.surveys.reliability import scale_reliability
from inspect_audit.surveys.scoring import COMPOSITE, DEFAULT_MIN_RESPONSES, recode, respondent_scores, school_scores

_MICRO = ("survey_items", "survey_responses")
_GRADES = ("judgements", "inspections")
#: Tables each output of :func:`analyse` needs (``school_scores`` also comes from ``survey_aggregates``).
NEEDS: dict[str, tuple[str, ...]] = {
    "scale_reliability": _MICRO, "item_statistics": _MICRO, "school_scores": _MICRO,
    "aggregation_summary": _MICRO, "aggregation_by_school": _MICRO, "wave_changes": _MICRO,
    "similar_schools": _MICRO + ("schools",), "subgroup_differences": _MICRO,
    "perspective_correlations": _GRADES, "divergence": _GRADES,
    "parent_view_by_grade": ("survey_aggregates",) + _GRADES,
    "parent_view_correlations": ("survey_aggregates",) + _GRADES,
}


def skipped_analyses(tables: dict[str, pd.DataFrame], results: dict[str, pd.DataFrame]) -> dict[str, str]:
    """Outputs of :func:`analyse` missing from ``results``, each with the reason.

    Parameters
    ----------
    tables : dict of DataFrame
        The tables given to :func:`analyse`.
    results : dict of DataFrame
        What it returned.

    Returns
    -------
    dict of str
        ``{output: "needs <tables>"}`` for the tables absent or empty, or ``"nothing to report"``
        when the tables were there but gave no rows (e.g. no school passed the gates).
    """
    out = {}
    for name, needs in NEEDS.items():
        if name in results:
            continue
        missing = [t for t in needs if t not in tables or len(tables[t]) == 0]
        out[name] = f"needs {', '.join(missing)}" if missing else "nothing to report"
    return out


@one_blas_thread
def analyse(tables: dict[str, pd.DataFrame], min_responses: int = DEFAULT_MIN_RESPONSES, n_boot: int = 500,
            seed: int = 0, ci_prob: float = CI_PROB, similar_k: int = 10,
            divergence_threshold: float = 1.5, area: str = "overall_effectiveness",
            frameworks: list[str] | tuple[str, ...] | None = None) -> dict[str, pd.DataFrame]:
    """Every survey analysis that the available tables support.

    Parameters
    ----------
    tables : dict of DataFrame
        Validated tables by name. ``survey_items`` + ``survey_responses`` give the
        respondent-level analyses; ``survey_aggregates`` (e.g. Parent View) gives parent
        school scores; ``judgements`` + ``inspections`` give grades; ``schools`` gives
        similar-school comparisons.
    min_responses : int
        Minimum respondents for any school (or subgroup) result to be shown.
    n_boot, seed, ci_prob : int, int, float
        Bootstrap resamples, seed and interval coverage.
    similar_k : int
        Number of similar schools in the similar-school comparison.
    divergence_threshold : float
        Standardised residual beyond which a school is "far" from what its grade predicts.
    area, frameworks : str, sequence of str
        The grade surveys are compared with (:func:`~inspect_audit.surveys.perspectives.latest_grades`): each
        school's latest overall-effectiveness grade by default; a report-card area (e.g. ``achievement``) for the
        five-point scale, with its own labels. Grades of one scale only.

    Returns
    -------
    dict of DataFrame
        Keys present only when computable: ``scale_reliability``, ``item_statistics``,
        ``school_scores``, ``aggregation_summary``, ``aggregation_by_school``,
        ``wave_changes``, ``similar_schools``, ``subgroup_differences``,
        ``perspective_correlations``, ``divergence``, ``parent_view_by_grade``,
        ``parent_view_correlations``.

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.surveys import analyse
    >>> data = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=20), seed=1)
    >>> results = analyse(data.tables(), n_boot=50, seed=1)
    >>> sorted(results)[:4]
    ['aggregation_by_school', 'aggregation_summary', 'divergence', 'item_statistics']
    >>> alpha = results["scale_reliability"].query("statistic == 'alpha'")
    >>> alpha[["respondent_group", "dimension", "estimate", "ci_low", "ci_high", "n"]].round(2).head(3)
      respondent_group    dimension  estimate  ci_low  ci_high    n
    0            staff  listened_to      0.80    0.76     0.82  485
    2            staff      capable      0.79    0.77     0.81  485
    4            staff      enabled      0.70    0.66     0.73  485
    """
    out: dict[str, pd.DataFrame] = {}
    scores_parts = []
    has_micro = ("survey_items" in tables and "survey_responses" in tables
                 and len(tables["survey_responses"]) > 0)
    if has_micro:
        items, responses = tables["survey_items"], tables["survey_responses"]
        rec = recode(responses, items)
        rel = scale_reliability(rec, items, n_boot=n_boot, seed=seed, ci_prob=ci_prob)
        out["scale_reliability"], out["item_statistics"] = rel.scales, rel.items
        scores = respondent_scores(rec)
        ss = school_scores(scores, min_responses, ci_prob)
        out["aggregation_summary"], out["aggregation_by_school"] = aggregation_reliability(
            rec, scores, items, min_responses=min_responses, n_boot=min(n_boot, 200), seed=seed,
            ci_prob=ci_prob, icc_boot=min(n_boot, 300))
        out["wave_changes"] = wave_changes(ss, ci_prob)
        if "schools" in tables:
            out["similar_schools"] = similar_school_comparison(ss, tables["schools"], k=similar_k,
                                                               ci_prob=ci_prob)
        out["subgroup_differences"] = subgroup_differences(scores, min_responses, ci_prob)
        scores_parts.append(ss)
    if "survey_aggregates" in tables and len(tables["survey_aggregates"]) > 0:
        scores_parts.append(parent_scores(tables["survey_aggregates"], min_responses, ci_prob))
    if scores_parts:
        out["school_scores"] = pd.concat(scores_parts, ignore_index=True)
    if "judgements" in tables and "inspections" in tables and scores_parts:
        grades = latest_grades(tables, area, frameworks)
        ss_all = out["school_scores"]
        out["perspective_correlations"] = perspective_correlations(ss_all, grades, ci_prob)
        div = [divergence(ss_all, grades, g, COMPOSITE, divergence_threshold, ci_prob)
               for g in ss_all["respondent_group"].unique()]
        div = [d for d in div if len(d)]
        if div:
            out["divergence"] = pd.concat(div, ignore_index=True)
        if "survey_aggregates" in tables and len(tables["survey_aggregates"]) > 0:
            items = tables.get("survey_items")
            out["parent_view_by_grade"] = parent_view_by_grade(tables["survey_aggregates"], grades, items,
                                                               min_responses, ci_prob)
            out["parent_view_correlations"] = parent_view_correlations(tables["survey_aggregates"], grades,
                                                                       items, min_responses, ci_prob)
    return out
