"""Which inspectors grade unusually harshly or leniently, and how much of grading is the inspector?

Model M1 of the design note (``bayes-inspector-model.md``): a hierarchical cumulative-logit
model of one judgement area, with crossed random effects for lead inspector (predicted by
inspector characteristics), school (schools inspected more than once) and academic year x
framework, and school context as fixed effects. Fitted with nutpie through PyMC and gated on
R-hat, ESS, divergences and E-BFMI.

Modules: ``design`` (tables -> arrays, connected component), ``model`` (the PyMC model),
``diagnostics`` (convergence gates), ``estimator`` (:class:`InspectorModel` and tidy accessors),
``context`` (:class:`ContextModel`: FSM effects without inspector identities, total vs direct),
``report`` (demo-report sections), ``calibration`` (repeated-simulation checks of the flag rule and SBC).

Examples
--------
>>> from inspect_audit.data.simulate import SimulationConfig, simulate
>>> from inspect_audit.inspectors import InspectorModel
>>> data = simulate(SimulationConfig(n_schools=600, n_inspectors=30), seed=1)
>>> # not run here: a Bayesian fit takes minutes; the tests (tests/test_inspectors*.py) run it with short settings
>>> fit = InspectorModel().fit(data, chains=4, tune=1000, draws=1000, seed=1)  # doctest: +SKIP
>>> fit.inspector_effects()  # doctest: +SKIP
>>> fit.variance_partition()  # doctest: +SKIP
"""

from inspect_audit.inspectors.design import Design, build_design
from inspect_audit.inspectors.diagnostics import ConvergenceWarning
from inspect_audit.inspectors.estimator import FILES, InspectorModel, load, severity_draws
from inspect_audit.inspectors.context import ContextModel  # noqa: E402  (imports the estimator)


__all__ = ["InspectorModel", "ContextModel", "load", "severity_draws", "build_design", "Design",
           "ConvergenceWarning", "FILES"]
