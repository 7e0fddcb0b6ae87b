"""inspect_audit: audit the reliability and fairness of school inspection judgements.

The public Python API, one name per task (``import inspect_audit as ia``):

Data
    :class:`Dataset` (validated tables with their provenance: ``Dataset.bundled()``, ``.simulated()``,
    ``.from_folder()``, ``.from_files()``, ``.from_frames()``, ``.from_workspace()``), :func:`load_england` (the bundled real England data, validated), :func:`simulate_data` and
    :class:`SimulationConfig` (simulated data with known truth), :func:`simulate_report_cards` (simulated
    report cards for :class:`MultiAreaModel`), :func:`validate` (the schema check every
    file goes through) and :func:`write_csv` (the one writer: pseudonyms, small-group suppression, formula
    guard).
Agreement
    :func:`agreement_table` (every coefficient with its interval; wide or long data; categories or continuous
    scores), :func:`continuous_alpha`,
    :func:`decision_consistency`, :func:`g_study`, :func:`d_study`.
Inspector effects and context fairness
    :class:`InspectorModel` (one area), :class:`MultiAreaModel` (every area of a report card together) and
    :class:`ContextModel` (school context without inspector identities): Bayesian, fitted with nutpie,
    ``Model(...).fit(data)`` then tidy accessors such as ``.inspector_effects()``.
Complaints, surveys, scorecards, grade patterns
    :func:`upheld_rates`, :func:`complaint_rates`, :func:`time_to_closure`, :func:`complaints_vs_severity`;
    :func:`analyse_surveys`, :func:`scale_reliability`, :func:`aggregation_reliability`;
    :func:`load_spec`, :func:`indicator_table`, :func:`simulate_composites`;
    :func:`transition_table`, :func:`area_concentration`, :func:`stuck_schools`.
Evidence packs
    :func:`build_evidence_pack` (one contested inspection, from the tables and a fitted
    :class:`InspectorModel`); :func:`open_fit` and :func:`evidence_pack_from_fit` (from a fit folder written by
    ``inspect-audit inspectors``).

The question packages stay importable for everything else (``ia.agreement``, ``ia.inspectors``,
``ia.complaints``, ``ia.surveys``, ``ia.scorecard``, ``ia.grade_patterns``, ``ia.data``). Names are
imported on first use, so ``import inspect_audit`` itself is quick. A guided tour with outputs:
``docs/python-api.md``.

Examples
--------
>>> import inspect_audit as ia
>>> data = ia.simulate_data(ia.SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1)
>>> paired = data.ratings.query("area == 'overall_effectiveness' and rater_type == 'inspector'")
>>> table = ia.agreement_table(paired, categories=[1, 2, 3, 4], targets="unit_id", raters="rater_id",
...                            ratings="grade", n_boot=200, seed=1)
>>> table.set_index("statistic").loc[["percent_agreement", "gwet_ac1", "krippendorff_alpha_ordinal"],
...                                  ["estimate", "ci_low", "ci_high", "n"]].round(2)
                            estimate  ci_low  ci_high    n
statistic
percent_agreement               0.63    0.58     0.70  150
gwet_ac1                        0.58    0.50     0.66  150
krippendorff_alpha_ordinal      0.19    0.05     0.31  150
"""

from __future__ import annotations

__version__ = "0.1.0"

# public name -> (module, attribute in that module)
_API: dict[str, tuple[str, str]] = {
    # data: one typed dataset (loading, simulating, checking), writing
    "Dataset": ("inspect_audit.data.dataset", "Dataset"),
    "load_england": ("inspect_audit.data.bundled", "load_england"),
    "simulate_data": ("inspect_audit.data.simulate", "simulate"),
    "SimulationConfig": ("inspect_audit.data.simulate", "SimulationConfig"),
    "SimulatedData": ("inspect_audit.data.simulate", "SimulatedData"),
    "simulate_report_cards": ("inspect_audit.data.simulate.designs", "simulate_report_cards"),
    "validate": ("inspect_audit.data.validation", "validate"),
    "ValidationReport": ("inspect_audit.data.validation", "ValidationReport"),
    "write_csv": ("inspect_audit._core.export", "write_csv"),
    # agreement
    "agreement_table": ("inspect_audit.agreement.table", "agreement_table"),
    "continuous_alpha": ("inspect_audit.agreement.coefficients", "continuous_alpha"),
    "decision_consistency": ("inspect_audit.agreement.decisions", "decision_consistency"),
    "g_study": ("inspect_audit.agreement.gtheory", "g_study"),
    "d_study": ("inspect_audit.agreement.gtheory", "d_study"),
    # inspector effects and context fairness (Bayesian)
    "InspectorModel": ("inspect_audit.inspectors.estimator", "InspectorModel"),
    "ContextModel": ("inspect_audit.inspectors.context", "ContextModel"),
    "MultiAreaModel": ("inspect_audit.inspectors.multi_area", "MultiAreaModel"),
    # complaints
    "upheld_rates": ("inspect_audit.complaints.rates", "upheld_rates"),
    "complaint_rates": ("inspect_audit.complaints.rates", "complaint_rates"),
    "time_to_closure": ("inspect_audit.complaints.closure", "time_to_closure"),
    "complaints_vs_severity": ("inspect_audit.complaints.severity", "complaints_vs_severity"),
    # surveys
    "analyse_surveys": ("inspect_audit.surveys.analysis", "analyse"),
    "scale_reliability": ("inspect_audit.surveys.reliability", "scale_reliability"),
    "aggregation_reliability": ("inspect_audit.surveys.aggregation", "aggregation_reliability"),
    # scorecards
    "load_spec": ("inspect_audit.scorecard.spec", "load_spec"),
    "indicator_table": ("inspect_audit.scorecard.indicators", "indicator_table"),
    "simulate_composites": ("inspect_audit.scorecard.simulate", "simulate_composites"),
    # grade patterns (report cards)
    "transition_table": ("inspect_audit.grade_patterns.transitions", "transition_table"),
    "area_concentration": ("inspect_audit.grade_patterns.concentration", "area_concentration"),
    "stuck_schools": ("inspect_audit.grade_patterns.history", "stuck_schools"),
    # evidence packs
    "build_evidence_pack": ("inspect_audit.reporting.evidence_pack", "build_pack"),
    "EvidencePack": ("inspect_audit.reporting.evidence_pack", "EvidencePack"),
    "open_fit": ("inspect_audit.reporting.evidence_pack", "open_fit"),
    "evidence_pack_from_fit": ("inspect_audit.reporting.evidence_pack", "from_fit"),
}

# question packages reachable as ``ia.<name>`` without importing them first
_SUBPACKAGES = ("agreement", "complaints", "data", "grade_patterns", "inspectors", "scorecard", "surveys")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    import importlib

    if name in _API:
        module, attribute = _API[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API, *_SUBPACKAGES})
