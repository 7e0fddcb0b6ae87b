"""Documents built from the analyses: the demo report (:mod:`~inspect_audit.reporting.demo`) and an
adjudicator's evidence pack (:mod:`~inspect_audit.reporting.evidence_pack`)."""
