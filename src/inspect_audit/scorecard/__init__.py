"""Balanced scorecards for schools, built and stress-tested as composite indicators.

Follows the JRC/OECD *Handbook on Constructing Composite Indicators* (2008): a versioned JSON
spec (:mod:`.spec`), an indicator table with sampling errors (:mod:`.indicators`), normalisation
and aggregation (:mod:`.composite`), Monte Carlo uncertainty analysis (:mod:`.simulate`),
Sobol sensitivity, effective weights and spec comparison (:mod:`.sensitivity`), composite
reliability (:mod:`.reliability`), plots (:mod:`.plots`) and the demo report section
(:mod:`.report`).

Examples
--------
>>> from inspect_audit.scorecard import load_spec
>>> spec = load_spec("primary_balanced")  # a bundled example, or the path of your own spec
>>> # the whole pipeline, from the bundled data to rank intervals: :func:`simulate_composites`
"""

from inspect_audit.scorecard.composite import evaluate, nominal_composite, prepare
from inspect_audit.scorecard.indicators import (DEFAULT_GRADE_RELIABILITY, binomial_se, indicator_summary,
                                                indicator_table)
from inspect_audit.scorecard.reliability import (composite_reliability, kappa_from_agreement, mosier_reliability,
                                                 reliability_comparison)
from inspect_audit.scorecard.sensitivity import (compare_specs, discordant_pairs, effective_weights,
                                                 indicator_correlations, sobol_indices, sobol_pick_freeze)
from inspect_audit.scorecard.simulate import ScorecardSimulation, simulate_composites
from inspect_audit.scorecard.spec import Spec, SpecError, example_spec_paths, load_spec, validate_spec

__all__ = [
    "Spec", "SpecError", "load_spec", "validate_spec", "example_spec_paths",
    "indicator_table", "indicator_summary", "binomial_se", "DEFAULT_GRADE_RELIABILITY",
    "prepare", "evaluate", "nominal_composite",
    "simulate_composites", "ScorecardSimulation",
    "sobol_indices", "sobol_pick_freeze", "effective_weights", "indicator_correlations", "compare_specs",
    "discordant_pairs",
    "mosier_reliability", "composite_reliability", "reliability_comparison", "kappa_from_agreement",
]
