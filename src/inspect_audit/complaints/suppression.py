"""Small-group suppression for complaints: the toolkit-wide rule in :mod:`inspect_audit.privacy`."""

from inspect_audit.privacy import MIN_N, VALUE_COLUMNS, export_csv, suppress, suppression_mask

__all__ = ["MIN_N", "VALUE_COLUMNS", "export_csv", "suppress", "suppression_mask"]
