"""The data layer: the one door data comes in through.

Schemas (:mod:`~inspect_audit.data.schemas`, built from ``data_schemas/``), the validator
(:mod:`~inspect_audit.data.validation`), file reading (:mod:`~inspect_audit.data.files`), the DuckDB workspace
(:mod:`~inspect_audit.data.workspace`), the bundled England data (:mod:`~inspect_audit.data.bundled`), adapters
for published files (:mod:`~inspect_audit.data.adapters`) and the simulator
(:mod:`~inspect_audit.data.simulate`). Analyses sit above this layer and never read files themselves.
"""
