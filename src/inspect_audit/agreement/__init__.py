"""How consistent are judgements when several raters grade the same unit?

Modules: ``coefficients`` (kappa family, Gwet, Brennan-Prediger, Krippendorff's alpha,
percent agreement, bootstrap), ``icc`` (intraclass correlations), ``gtheory`` (G and D
studies), ``decisions`` (decision consistency at grade boundaries, rater diagnostics),
``table`` (the full coefficient table behind ``inspect-audit agreement``), ``report``.
"""
