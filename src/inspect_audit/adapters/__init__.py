"""Adapters for the real public formats: they translate published files into the project's tables.

* :func:`adapt_ofsted_mi` — Ofsted state-funded schools inspections management information (CSV/Excel).
* :func:`adapt_parent_view` — Ofsted Parent View school-level data (percentages per question).

An adapter never validates: write its tables and pass them through ``inspect-audit validate`` or
``ingest``, the same door as every other file (``inspect-audit adapt`` does both).
"""

from inspect_audit.adapters.ofsted_mi import adapt_ofsted_mi
from inspect_audit.adapters.parent_view import adapt_parent_view
from inspect_audit.adapters.reading import AdaptedTables

__all__ = ["AdaptedTables", "adapt_ofsted_mi", "adapt_parent_view"]
