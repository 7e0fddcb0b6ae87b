"""Complaints about inspections: upheld rates, time to closure, links to inspector severity.

Public functions return tidy DataFrames (one row per group and statistic, with ``estimate``,
``ci_low``, ``ci_high`` and ``n``; 90% intervals by default). Everything written to disk passes
through :func:`suppress` (groups of fewer than 10 complaints blanked).
"""

from inspect_audit.complaints.closure import ClosureResult, kaplan_meier, plot_time_to_closure, time_to_closure
from inspect_audit.complaints.rates import (BetaBinomialFit, complaint_rates, fit_beta_binomial, upheld_rates,
                                           wilson_interval)
from inspect_audit.complaints.severity import complaints_vs_severity, fit_logistic, truth_severity_draws
from inspect_audit.complaints.suppression import MIN_N, export_csv, suppress

__all__ = ["upheld_rates", "complaint_rates", "fit_beta_binomial", "BetaBinomialFit", "wilson_interval",
           "time_to_closure", "kaplan_meier", "plot_time_to_closure", "ClosureResult",
           "complaints_vs_severity", "fit_logistic", "truth_severity_draws", "suppress", "export_csv", "MIN_N"]
