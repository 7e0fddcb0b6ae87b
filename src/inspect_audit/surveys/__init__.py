"""Staff, pupil and parent surveys beside inspection: reliability, aggregation, agreement, diagnostics.

Modules
-------
scoring       recode reverse-coded items, respondent and school scores (minimum-response gate)
reliability   Cronbach's alpha, McDonald's omega, item-rest correlations and item flags
aggregation   ICC(1), ICC(2) and rwg(J): can a school's mean be trusted?
perspectives  correlations between staff, pupils, parents and the inspection grade; divergence
comparisons   vs previous wave, vs similar schools, between subgroups within a school
parent_view   real Parent View % positive by overall-effectiveness grade
analysis      run everything the tables allow
report        the demo-report section

Every estimate comes with a 90 % interval (``ci_low``, ``ci_high``) and its ``n``.
"""

from inspect_audit.surveys.aggregation import aggregation_reliability, rwg_j, spearman_brown
from inspect_audit.surveys.analysis import analyse, skipped_analyses
from inspect_audit.surveys.comparisons import similar_school_comparison, subgroup_differences, wave_changes
from inspect_audit.surveys.parent_view import parent_view_by_grade, parent_view_correlations
from inspect_audit.surveys.perspectives import (divergence, latest_grades, parent_scores, perspective_correlations,
                                                school_table)
from inspect_audit.surveys.reliability import Reliability, scale_reliability
from inspect_audit.surveys.scoring import (COMPOSITE, DEFAULT_MIN_RESPONSES, recode, respondent_scores,
                                           school_scores)

__all__ = [
    "COMPOSITE", "DEFAULT_MIN_RESPONSES", "Reliability", "aggregation_reliability", "analyse", "divergence",
    "latest_grades", "parent_scores", "parent_view_by_grade", "parent_view_correlations",
    "perspective_correlations", "recode", "respondent_scores", "rwg_j", "scale_reliability", "school_scores",
    "school_table", "similar_school_comparison", "skipped_analyses", "spearman_brown", "subgroup_differences",
    "wave_changes",
]
