"""Adapters for the real public formats: they translate published files into the project's tables.

* :func:`adapt_ofsted_mi` — Ofsted state-funded schools inspections management information (CSV/Excel).
* :func:`adapt_parent_view` — Ofsted Parent View school-level data (percentages per question).
* :func:`adapt_ofsted_reports` — Ofsted school inspection reports (PDF, report-card HTML pages): inspections,
  inspectors and judgements, with a parse report, provenance and the names key.

An adapter never validates: write its tables and pass them through ``inspect-audit validate`` or
``ingest``, the same door as every other file (``inspect-audit adapt`` does both).
"""

from inspect_audit.data.adapters.ofsted_mi import adapt_ofsted_mi
from inspect_audit.data.adapters.ofsted_reports import ReportTables, adapt_ofsted_reports
from inspect_audit.data.adapters.parent_view import adapt_parent_view
from inspect_audit.data.adapters.reading import AdaptedTables

__all__ = ["AdaptedTables", "ReportTables", "adapt_ofsted_mi", "adapt_ofsted_reports", "adapt_parent_view"]
