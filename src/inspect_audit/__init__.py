"""inspect_audit: audit the reliability and fairness of school inspection judgements."""

__version__ = "0.1.0"
