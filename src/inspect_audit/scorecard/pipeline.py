"""The whole scorecard analysis in one call: indicators, composites, Monte Carlo uncertainty, sensitivity and
reliability, from validated tables and a spec (what ``inspect-audit scorecard`` and the app run).

Examples
--------
>>> from inspect_audit.data import Dataset
>>> from inspect_audit.scorecard import load_spec
>>> from inspect_audit.scorecard.pipeline import score_schools
>>> result = score_schools(Dataset.bundled().tables, load_spec("primary_balanced"), reps=50, seed=1)
>>> result.headlines["n_schools"]  # primary schools with enough indicators
7697
>>> round(result.headlines["median_interval_share"], 1)  # a typical 90% rank interval spans half the schools
0.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from inspect_audit.data.files import InputError
from inspect_audit.scorecard.composite import nominal_composite
from inspect_audit.scorecard.indicators import indicator_summary, indicator_table
from inspect_audit.scorecard.reliability import reliability_comparison, spec_decision
from inspect_audit.scorecard.sensitivity import effective_weights, sobol_indices
from inspect_audit.scorecard.simulate import ScorecardSimulation, simulate_composites
from inspect_audit.scorecard.spec import Spec

#: Tables a spec's indicator kinds read.
NEEDS = {"judgement": ("inspections", "judgements"), "survey": ("survey_aggregates",)}


@dataclass
class ScorecardResult:
    """Every table of one scorecard run (``tables``: name -> DataFrame, written as ``NAME.csv``), the
    simulation, and plain-number headlines (:func:`~inspect_audit.scorecard.report.uncertainty_headlines`)."""

    spec: Spec
    simulation: ScorecardSimulation
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    headlines: dict[str, float] = field(default_factory=dict)
    reps: int = 0
    seed: int | None = None


def score_schools(tables: Mapping[str, pd.DataFrame], spec: Spec, *, reps: int = 2000, seed: int | None = 0,
                  sobol: int = 0, grade_reliability: float = 0.5,
                  headline_reliability: float | None = None) -> ScorecardResult:
    """Score every school the data allow under ``spec``, with rank intervals, band probabilities, effective
    weights, optional Sobol indices (``sobol`` = base sample size, 0 to skip) and composite reliability.

    Raises :class:`~inspect_audit.data.files.InputError` when the spec needs a table the data lack, or no
    school has enough indicators.
    """
    from inspect_audit.scorecard.report import uncertainty_headlines

    kinds = {ind.kind for ind in spec.indicators} & set(NEEDS)
    absent = sorted({t for kind in kinds for t in NEEDS[kind] if t not in tables})
    if absent:
        raise InputError(f"the spec {spec.name!r} needs table(s) {', '.join(absent)}, which the data lack")
    ind = indicator_table(tables, spec, grade_reliability=grade_reliability)
    if ind.empty:
        raise InputError(f"no school has enough indicators to be scored under the spec {spec.name!r}")
    sim = simulate_composites(ind, spec, n_rep=reps, seed=seed)
    out = {"indicators": indicator_summary(ind, spec), "indicator_table": ind,
           "nominal": nominal_composite(ind, spec), "schools": sim.summary, "replicates": sim.replicates,
           "effective_weights": effective_weights(ind, spec)}
    if sobol > 0:
        out["sobol"] = sobol_indices(ind, spec, n_base=sobol, seed=seed)
    if "judgements" in tables:  # the headline decision on the grades' own scale (report cards: Expected or better)
        decision = spec_decision(tables, spec)
        base = {"base_rate": decision["base_rate"], "decision": decision}
    else:
        base = {}
    out["reliability"] = reliability_comparison(ind, spec, headline_reliability=headline_reliability, **base)
    return ScorecardResult(spec=spec, simulation=sim, tables=out, headlines=uncertainty_headlines(sim), reps=reps,
                           seed=seed)


def write_scorecard(result: ScorecardResult, out: str | Path, source: str) -> Path:
    """Every table through the one writer, the two plots and ``scorecard.md`` (naming ``source``) into ``out``."""
    from inspect_audit.scorecard.plots import plot_band_probabilities, plot_rank_intervals
    from inspect_audit._core.markdown import markdown_table
    from inspect_audit.scorecard.report import write_table

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in result.tables.items():
        write_table(frame, out / f"{name}.csv")
    spec, h = result.spec, result.headlines
    plot_rank_intervals(result.tables["schools"], spec.labels, f"{spec.name}: 90% rank intervals",
                        out / "rank_intervals.png")
    plot_band_probabilities(result.tables["schools"], spec.labels, f"{spec.name}: band probabilities",
                            out / "band_probabilities.png")
    lines = [f"# {spec.name}", "", f"Data: {source}. Replicates: {result.reps:,}; seed {result.seed}.", ""]
    if "sobol" in result.tables:
        sob = result.tables["sobol"]
        lines += ["## Sobol indices", "", markdown_table(sob[["output", "group", "S1", "S1_lo", "S1_hi", "ST"]]), ""]
    lines += ["## Uncertainty", "",
              f"{h['n_schools']:,} schools; median 90% rank interval {h['median_interval_width']:,.0f} places "
              f"({h['median_interval_share']:.0%} of schools); band probability >= 0.9 for "
              f"{h['share_band_sure_90']:.0%} of schools.", "",
              "![rank intervals](rank_intervals.png)", "", "![band probabilities](band_probabilities.png)", "",
              "## Effective weights", "", markdown_table(result.tables["effective_weights"]), "", "## Reliability", "",
              markdown_table(result.tables["reliability"]), ""]
    path = out / "scorecard.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
