"""Does a school's context shift its grades? Observed grade shares by deprivation (FSM quintile), area by area
under each framework (:mod:`~inspect_audit.context.shares`), and the Bayesian context model fitted area by area
(:mod:`~inspect_audit.context.by_area`; the model itself:
:class:`~inspect_audit.inspectors.context.ContextModel`). No inspector identities are needed.
"""

from inspect_audit.context.by_area import CAVEATS, ByArea, fit_by_area
from inspect_audit.context.shares import (GRADE_SHARE_COLUMNS, framework_area_list, framework_tables, grade_shares,
                                          legacy_comparison, require_fsm)

__all__ = ["CAVEATS", "ByArea", "GRADE_SHARE_COLUMNS", "fit_by_area", "framework_area_list", "framework_tables",
           "grade_shares", "legacy_comparison", "require_fsm"]
