"""Scorecard specifications: versioned JSON, checked against ``data_schemas/scorecard.schema.json``.

A spec says which indicators make up the scorecard, which way is better for each, their
nominal weights and sampling error, how they are normalised and aggregated, the bands
reported, and which choices the uncertainty analysis varies (JRC/OECD Handbook on
Constructing Composite Indicators, steps 5-7 and the uncertainty analysis of step 8).

Examples
--------
>>> from inspect_audit.scorecard.spec import example_spec_paths, load_spec
>>> spec = load_spec(example_spec_paths()["primary_balanced"])
>>> spec.normalisation, spec.aggregation
('z', 'arithmetic')
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from inspect_audit.data.resources import schema_dir

SPEC_VERSION = "1"
NORMALISATIONS = ("z", "min_max", "rank")
AGGREGATIONS = ("arithmetic", "geometric", "rule_based")
SOURCE_KINDS = ("judgement", "school", "survey")
DEFAULT_WEIGHT_CONCENTRATION = 50.0
DEFAULT_MAX_BANDS_ABOVE = 1


class SpecError(ValueError):
    """A scorecard spec is invalid; ``problems`` lists each one as ``"field.path: message"``."""

    def __init__(self, problems: list[str], source: str = "scorecard spec"):
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} is invalid ({len(self.problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class Indicator:
    """One indicator of a scorecard (see the schema for the meaning of each field)."""

    id: str
    source: str
    direction: str
    weight: float
    label: str = ""
    standard_error: float | None = None
    reliability: float | None = None
    pupil_sd: float | None = None
    cohort_fraction: float | None = None

    @property
    def kind(self) -> str:
        """``judgement``, ``school`` or ``survey``."""
        return self.source.split(":", 1)[0]

    @property
    def key(self) -> str:
        """The area, column or item the source names."""
        return self.source.split(":", 1)[1]

    @property
    def sign(self) -> float:
        """+1 when higher is better, -1 when lower is better."""
        return 1.0 if self.direction == "higher_better" else -1.0

    @property
    def name(self) -> str:
        return self.label or self.id


@dataclass(frozen=True)
class Spec:
    """A validated scorecard specification.

    Weights are rescaled to sum to one; ``raw`` keeps the JSON as written.
    """

    name: str
    indicators: tuple[Indicator, ...]
    normalisation: str
    aggregation: str
    base_aggregation: str
    max_bands_above: int
    band_scale: str
    cutoffs: tuple[float, ...]
    labels: tuple[str, ...]
    missing: str = "reweight"
    min_indicators: int = 1
    phases: tuple[str, ...] | None = None
    frameworks: tuple[str, ...] | None = None
    weight_concentration: float = DEFAULT_WEIGHT_CONCENTRATION
    alt_normalisations: tuple[str, ...] = NORMALISATIONS
    alt_aggregations: tuple[str, ...] = ("arithmetic", "geometric")
    judgement_error_corr: float = 0.0
    description: str = ""
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def ids(self) -> list[str]:
        return [ind.id for ind in self.indicators]

    @property
    def weights(self) -> "list[float]":
        return [ind.weight for ind in self.indicators]

    @property
    def n_bands(self) -> int:
        return len(self.labels)

    def to_json(self) -> str:
        return json.dumps(self.raw, indent=2)


def schema() -> dict[str, Any]:
    """The scorecard JSON Schema."""
    return json.loads((schema_dir() / "scorecard.schema.json").read_text(encoding="utf-8"))


def example_spec_paths() -> dict[str, Path]:
    """The example specs shipped with the package, by file stem."""
    folder = Path(__file__).resolve().parents[1] / "data" / "scorecards"
    return {p.stem: p for p in sorted(folder.glob("*.json"))}


def _path_text(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _friendly(error: jsonschema.ValidationError, spec: dict) -> str:
    where = _path_text(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{where}: unknown field(s) {', '.join(map(repr, extra))} (allowed: {known})"
    if error.validator == "required":
        return f"{where}: {error.message}"
    if error.validator == "not" and list(error.absolute_path)[:1] == ["indicators"]:
        return f"{where}: give either standard_error or reliability, not both"
    if error.validator == "oneOf" and list(error.absolute_path) == ["aggregation"]:
        return (f"aggregation: {error.instance!r} is not one of 'arithmetic', 'geometric', 'rule_based' "
                "nor an object {\"method\": ..., \"rule\": ...}")
    if error.validator == "pattern" and error.absolute_path and error.absolute_path[-1] == "source":
        return (f"{where}: {error.instance!r} must look like judgement:AREA, school:COLUMN or "
                "survey:ITEM_ID")
    return f"{where}: {error.message}"


def validate_spec(spec: dict[str, Any], source: str = "scorecard spec") -> list[str]:
    """Every problem with a spec dictionary, as ``"field.path: message"`` strings (empty if valid).

    Checks the JSON Schema, then rules the schema cannot express: unique indicator ids,
    increasing band cutoffs, one more label than cutoffs, percentile cutoffs within 0-100.
    """
    if not isinstance(spec, dict):
        return [f"(top level): a scorecard spec must be a JSON object, not {type(spec).__name__}"]
    validator = jsonschema.Draft202012Validator(schema())
    problems = [_friendly(e, spec) for e in sorted(validator.iter_errors(spec), key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        return problems
    ids = [ind["id"] for ind in spec["indicators"]]
    for i, ident in enumerate(ids):
        if ids.index(ident) != i:
            problems.append(f"indicators[{i}].id: {ident!r} is used by more than one indicator")
    bands = spec["bands"]
    cutoffs = bands["cutoffs"]
    if any(b <= a for a, b in zip(cutoffs, cutoffs[1:])):
        problems.append(f"bands.cutoffs: must be strictly increasing (got {cutoffs})")
    if len(bands["labels"]) != len(cutoffs) + 1:
        problems.append(f"bands.labels: need one more label than cutoffs ({len(cutoffs)} cutoffs need "
                        f"{len(cutoffs) + 1} labels, got {len(bands['labels'])})")
    if bands.get("scale", "percentile") == "percentile" and any(not 0 < c < 100 for c in cutoffs):
        problems.append(f"bands.cutoffs: percentile cutoffs must lie strictly between 0 and 100 (got {cutoffs})")
    minimum = spec.get("population", {}).get("min_indicators")
    if minimum is not None and minimum > len(ids):
        problems.append(f"population.min_indicators: {minimum} is more than the {len(ids)} indicators")
    for i, ind in enumerate(spec["indicators"]):
        if ind["source"].startswith("judgement:") and ("pupil_sd" in ind or "cohort_fraction" in ind):
            problems.append(f"indicators[{i}]: pupil_sd and cohort_fraction apply to school: progress measures only")
    return problems


def parse_spec(spec: dict[str, Any], source: str = "scorecard spec") -> Spec:
    """Validate a spec dictionary and return a :class:`Spec`.

    Raises
    ------
    SpecError
        Listing every problem, each naming the field.
    """
    problems = validate_spec(spec, source)
    if problems:
        raise SpecError(problems, source)
    total = sum(float(ind["weight"]) for ind in spec["indicators"])
    indicators = tuple(
        Indicator(id=ind["id"], source=ind["source"], direction=ind["direction"],
                  weight=float(ind["weight"]) / total, label=ind.get("label", ""),
                  standard_error=ind.get("standard_error"), reliability=ind.get("reliability"),
                  pupil_sd=ind.get("pupil_sd"), cohort_fraction=ind.get("cohort_fraction"))
        for ind in spec["indicators"])
    agg = spec["aggregation"]
    agg = {"method": agg} if isinstance(agg, str) else agg
    rule = agg.get("rule", {}).get("min_indicator_band", {})
    missing = spec.get("missing", "reweight")
    population = spec.get("population", {})
    k = len(indicators)
    default_min = k if missing == "complete_cases" else math.ceil(k / 2)
    min_ind = population.get("min_indicators", default_min)
    if missing == "complete_cases":
        min_ind = k
    unc = spec.get("uncertainty", {})
    alt_aggs = unc.get("aggregations")
    if alt_aggs is None:
        alt_aggs = ["arithmetic", "geometric"] + ([agg["method"]] if agg["method"] == "rule_based" else [])
    bands = spec["bands"]
    return Spec(
        name=spec["name"], indicators=indicators, normalisation=spec["normalisation"],
        aggregation=agg["method"], base_aggregation=agg.get("base", "arithmetic"),
        max_bands_above=int(rule.get("max_bands_above", DEFAULT_MAX_BANDS_ABOVE)),
        band_scale=bands.get("scale", "percentile"), cutoffs=tuple(float(c) for c in bands["cutoffs"]),
        labels=tuple(bands["labels"]), missing=missing, min_indicators=int(min_ind),
        phases=tuple(population["phases"]) if "phases" in population else None,
        frameworks=tuple(population["frameworks"]) if "frameworks" in population else None,
        weight_concentration=float(unc.get("weight_concentration", DEFAULT_WEIGHT_CONCENTRATION)),
        alt_normalisations=tuple(unc.get("normalisations", NORMALISATIONS)),
        alt_aggregations=tuple(alt_aggs), judgement_error_corr=float(unc.get("judgement_error_corr", 0.0)),
        description=spec.get("description", ""), raw=spec)


def load_spec(path: str | Path | dict[str, Any] | Spec) -> Spec:
    """Read and validate a scorecard spec (a JSON file, a bundled example's name, a dictionary, or a :class:`Spec`).

    A string that is not an existing file but names a bundled example (:func:`example_spec_paths`, e.g.
    ``"primary_balanced"``) loads that example, as ``inspect-audit scorecard --spec`` does.

    Examples
    --------
    >>> spec = load_spec("primary_balanced")
    >>> spec.ids[:2], len(spec.ids) == len(spec.weights)
    (['quality_of_education', 'behaviour_and_attitudes'], True)

    Raises
    ------
    SpecError
        If the file is not JSON or breaks the schema; every problem names its field,
        e.g. ``indicators[1].direction: 'up' is not one of ['higher_better', 'lower_better']``.
    FileNotFoundError
        If the path does not exist.
    """
    if isinstance(path, Spec):
        return path
    if isinstance(path, dict):
        return parse_spec(path)
    if isinstance(path, str) and not Path(path).exists() and path in example_spec_paths():
        path = example_spec_paths()[path]
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError([f"(file): not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"],
                        str(path)) from None
    return parse_spec(data, str(path))
