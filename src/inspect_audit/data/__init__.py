"""The data layer: the one door data comes in through.

Schemas (:mod:`~inspect_audit.data.schemas`, built from ``data_schemas/``), the validator
(:mod:`~inspect_audit.data.validation`), file reading (:mod:`~inspect_audit.data.files`), the DuckDB workspace
(:mod:`~inspect_audit.data.workspace`), the bundled England data (:mod:`~inspect_audit.data.bundled`), adapters
for published files (:mod:`~inspect_audit.data.adapters`) and the simulator
(:mod:`~inspect_audit.data.simulate`), and the :class:`~inspect_audit.data.dataset.Dataset` they all produce.
Analyses sit above this layer and never read files themselves.
"""

__all__ = ["Dataset"]


def __getattr__(name: str):
    if name == "Dataset":  # lazily, so that modules of this package import each other without a cycle
        from inspect_audit.data.dataset import Dataset

        return Dataset
    raise AttributeError(f"module 'inspect_audit.data' has no attribute {name!r}")
