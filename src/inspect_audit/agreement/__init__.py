"""How consistent are judgements when several raters grade the same unit?

Modules: ``coefficients`` (kappa family, Gwet, Brennan-Prediger, Krippendorff's alpha,
percent agreement, each unweighted and with linear, quadratic or custom weights;
Krippendorff's alpha for continuous scores; bootstrap), ``icc`` (intraclass correlations
and Cronbach's alpha, no category list needed), ``gtheory`` (G and D studies),
``decisions`` (decision consistency at grade boundaries, rater diagnostics), ``table``
(the full coefficient table behind ``inspect-audit agreement``), ``report``. Every
interval argument is ``ci_prob`` (default 0.90).
"""
