"""Helpers every analysis shares: intervals and cumulative-logit maths, grade scales, plots, and the one writer
(:mod:`~inspect_audit._core.export`, with :mod:`~inspect_audit._core.privacy`: pseudonyms, small-group
suppression, the spreadsheet-formula guard)."""
