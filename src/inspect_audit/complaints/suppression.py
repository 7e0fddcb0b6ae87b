"""Small-group suppression for complaints: the toolkit-wide rule in :mod:`inspect_audit._core.privacy`."""

from inspect_audit._core.privacy import MIN_N, VALUE_COLUMNS, export_csv, suppress, suppression_mask

__all__ = ["MIN_N", "VALUE_COLUMNS", "export_csv", "suppress", "suppression_mask"]
