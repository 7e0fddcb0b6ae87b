"""Grade patterns: where grades go after a framework change, which schools stay below good, and whether
grades pile up in the middle category ("playing it safe").

Three questions, each on one grade scale at a time (never mixing the legacy four-point scale with the
report cards' five-point scale):

* :mod:`~inspect_audit.grade_patterns.transitions`: how a school's previous overall grade (legacy, 1
  Outstanding .. 4 Inadequate) maps onto each area of its report card (1 Exceptional .. 5 Urgent
  improvement): a cross-tabulation per area with shares, Wilson intervals and n;
* :mod:`~inspect_audit.grade_patterns.history`: "stuck" schools, whose last two graded (legacy)
  inspections were both below good, by phase, FSM quintile and region; needs data with several
  graded inspections per school (the bundled data hold one, and the outputs say so);
* :mod:`~inspect_audit.grade_patterns.concentration`: the share of grades in the middle category
  (report cards: Expected standard; legacy: Good) per area and the concentration index
  ``1 - H / ln K`` (normalised Shannon entropy), per area with bootstrap intervals and per group (lead
  inspector where ids exist, region) against a permutation reference: what the area's own grades
  would give that group by chance (model card: ``models/grade-concentration.md``);
* :mod:`~inspect_audit.grade_patterns.consistency`: each lead inspector's middle share above chance beside
  the inspector model's consistency (``InspectorModel(consistency=True)``), with their rank correlation.

The command is ``inspect-audit grade-patterns`` (:mod:`inspect_audit.cli.grade_patterns`); the demo
report's report-card section is :func:`inspect_audit.grade_patterns.report.demo_section`.
"""

from inspect_audit.grade_patterns.concentration import (MIDDLE, area_concentration, concentration_index,
                                                        group_concentration, middle_code)
from inspect_audit.grade_patterns.consistency import consistency_middle_correlation, consistency_vs_middle
from inspect_audit.grade_patterns.history import graded_history, stuck_rates, stuck_schools
from inspect_audit.grade_patterns.transitions import previous_overall, transition_summary, transition_table

__all__ = ["MIDDLE", "area_concentration", "concentration_index", "consistency_middle_correlation",
           "consistency_vs_middle", "graded_history", "group_concentration",
           "middle_code", "previous_overall", "stuck_rates", "stuck_schools", "transition_summary", "transition_table"]
