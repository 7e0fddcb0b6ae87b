"""The indicator table: one row per school, one column per indicator, with its sampling error.

Sampling standard errors (SE) come from, in order of preference:

* the spec: ``standard_error`` (the same for every school) or ``reliability``
  (SE = SD x sqrt(1 - reliability), SD over the scored schools);
* **Parent View** (``survey:ITEM``): the binomial SE of a percentage,
  ``100 * sqrt(p (1 - p) / (n + 2))`` with ``p = (x + 1) / (n + 2)``, x = positive answers (a
  Laplace-adjusted proportion, so 0% and 100% from few parents still carry error) and ``n`` =
  ``n_responses``; finite-population correction ignored;
* **progress measures** (``school:ks2_progress``, ``school:progress8``): the SE of a cohort
  mean, ``pupil_sd / sqrt(cohort)``, cohort = ``pupils x cohort_fraction`` (the DfE's
  published confidence intervals are built this way). Defaults (assumptions, overridable in
  the spec): KS2 progress (mean of reading, writing and maths) pupil SD 5.0, cohort 1/7 of
  pupils; Progress 8 pupil SD 1.2, cohort 0.18 of pupils;
* **inspection grades** (``judgement:AREA``): an assumed reliability of a single
  inspection team's grade, :data:`DEFAULT_GRADE_RELIABILITY` (0.5, consistent with the
  kappa implied by Ofsted's 2017 paired short-inspection study at the bundled base rate;
  see :func:`inspect_audit.scorecard.reliability.kappa_from_agreement`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit.scorecard.spec import Indicator, Spec, load_spec

#: Assumed reliability of one inspection grade (true-score share of variance).
DEFAULT_GRADE_RELIABILITY = 0.5
#: Progress measures: (pupil-level SD, share of pupils on roll in the measured cohort).
PROGRESS_DEFAULTS = {"ks2_progress": (5.0, 1 / 7), "progress8": (1.2, 0.18)}


def _population(tables: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    schools = tables["schools"]
    if spec.phases is not None:
        schools = schools[schools["phase"].isin(spec.phases)]
    keep = [c for c in ("urn", "name", "phase", "pupils") if c in schools.columns]
    out = schools[keep].copy()
    out["urn"] = out["urn"].astype(str)
    return out.drop_duplicates("urn").reset_index(drop=True)


def _latest_grades(tables: dict[str, pd.DataFrame], spec: Spec) -> pd.DataFrame:
    """urn x area grade from each school's latest inspection (under the spec's frameworks)."""
    inspections = tables["inspections"]
    if spec.frameworks is not None:
        inspections = inspections[inspections["framework"].isin(spec.frameworks)]
    joined = tables["judgements"].merge(inspections[["inspection_id", "urn", "start_date"]], on="inspection_id")
    joined = joined.dropna(subset=["grade"]).sort_values("start_date", kind="stable")
    latest = joined.drop_duplicates(["urn", "area"], keep="last")
    wide = latest.pivot(index="urn", columns="area", values="grade").astype("float64")
    wide.index = wide.index.astype(str)
    return wide


def _survey(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """urn x item percent positive and number of responses (latest wave per school and item)."""
    agg = tables["survey_aggregates"].dropna(subset=["pct_positive", "n_responses"])
    if "wave" in agg.columns:
        agg = agg.sort_values("wave", kind="stable")
    agg = agg.drop_duplicates(["urn", "item_id"], keep="last")
    pct = agg.pivot(index="urn", columns="item_id", values="pct_positive").astype("float64")
    n = agg.pivot(index="urn", columns="item_id", values="n_responses").astype("float64")
    pct.index = pct.index.astype(str)
    n.index = n.index.astype(str)
    return pct, n


def binomial_se(pct_positive: np.ndarray, n: np.ndarray) -> np.ndarray:
    """SE (percentage points) of a percentage from ``n`` respondents: sqrt(p (1 - p) / (n + 2)), p = (x + 1) / (n + 2).

    Examples
    --------
    >>> round(float(binomial_se(np.array([50.0]), np.array([98.0]))[0]), 3)
    5.0
    """
    pct_positive = np.asarray(pct_positive, dtype=float)
    n = np.asarray(n, dtype=float)
    x = pct_positive / 100 * n
    p = (x + 1) / (n + 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100 * np.sqrt(p * (1 - p) / (n + 2))


def _values_and_se(ind: Indicator, pop: pd.DataFrame, tables: dict[str, pd.DataFrame],
                   grades: pd.DataFrame | None, survey: tuple | None,
                   grade_reliability: float) -> tuple[np.ndarray, np.ndarray, str]:
    urns = pop["urn"]
    method = ""
    if ind.kind == "judgement":
        col = grades[ind.key] if grades is not None and ind.key in grades.columns else pd.Series(dtype=float)
        x = urns.map(col).to_numpy(dtype=float)
        se = None
        rel = ind.reliability if ind.reliability is not None else (None if ind.standard_error is not None else grade_reliability)
        if rel is None:
            method = "standard_error from spec"
        else:
            method = f"grade reliability {rel:g} ({'spec' if ind.reliability is not None else 'assumed default'})"
    elif ind.kind == "survey":
        pct, n = survey
        if ind.key not in pct.columns:
            x = np.full(len(pop), np.nan)
            nn = np.full(len(pop), np.nan)
        else:
            x = urns.map(pct[ind.key]).to_numpy(dtype=float)
            nn = urns.map(n[ind.key]).to_numpy(dtype=float)
        rel = ind.reliability
        se = binomial_se(x, nn) if ind.standard_error is None and rel is None else None
        method = "binomial from pct_positive and n_responses" if se is not None else ""
    else:
        schools = tables["schools"].assign(urn=tables["schools"]["urn"].astype(str)).drop_duplicates("urn")
        if ind.key not in schools.columns:
            raise KeyError(f"indicator {ind.id!r}: schools table has no column {ind.key!r}")
        x = urns.map(schools.set_index("urn")[ind.key].astype("float64")).to_numpy(dtype=float)
        rel = ind.reliability
        se = None
        if ind.standard_error is None and rel is None:
            pupil_sd, frac = PROGRESS_DEFAULTS.get(ind.key, (None, None))
            pupil_sd = ind.pupil_sd or pupil_sd
            frac = ind.cohort_fraction or frac
            if pupil_sd is not None and frac is not None and "pupils" in pop.columns:
                pupils = pop["pupils"].astype("float64").to_numpy()
                cohort = np.maximum(pupils * frac, 1.0)
                median_cohort = np.nanmedian(cohort[np.isfinite(x)]) if np.isfinite(x).any() else 1.0
                cohort = np.where(np.isfinite(cohort), cohort, median_cohort)
                se = pupil_sd / np.sqrt(cohort)
                method = f"cohort mean: pupil SD {pupil_sd:g} / sqrt(pupils x {frac:.3g})"
            else:
                se = np.zeros(len(pop))
                method = "no sampling error given (SE 0)"
    if se is None:
        if ind.standard_error is not None:
            se = np.full(len(pop), float(ind.standard_error))
            method = method or f"standard_error {ind.standard_error:g} from spec"
        else:
            rel = rel if rel is not None else grade_reliability
            sd = np.nanstd(x, ddof=1) if np.isfinite(x).sum() > 1 else 0.0
            se = np.full(len(pop), sd * np.sqrt(1 - rel))
            method = method or f"reliability {rel:g} from spec"
    se = np.where(np.isfinite(x), se, np.nan)
    return x, se, method


def indicator_table(tables: dict[str, pd.DataFrame], spec: Spec | dict | str,
                    grade_reliability: float = DEFAULT_GRADE_RELIABILITY) -> pd.DataFrame:
    """One row per scored school: its indicators and their sampling standard errors.

    Parameters
    ----------
    tables
        Validated tables (``schools``; ``inspections`` and ``judgements`` for judgement
        indicators; ``survey_aggregates`` for survey indicators), e.g. ``load_england()``.
    spec
        A :class:`~inspect_audit.scorecard.spec.Spec`, a spec dictionary or a path.
    grade_reliability
        Reliability assumed for inspection grades whose spec gives neither
        ``reliability`` nor ``standard_error``.

    Returns
    -------
    pandas.DataFrame
        Columns ``urn``, ``name``, ``phase`` (when present), ``n_indicators``, then for each
        indicator ``ID`` (in its own units and direction) and ``ID_se``. Schools with fewer than
        the spec's ``min_indicators`` are left out. ``attrs["se_methods"]`` says how each SE
        was obtained; ``attrs["spec_name"]`` names the spec.

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.scorecard import indicator_table, load_spec
    >>> spec = load_spec("primary_balanced")
    >>> indicators = indicator_table(load_england(), spec)
    >>> len(indicators), list(indicators.columns[:4])
    (7697, ['urn', 'name', 'phase', 'n_indicators'])
    """
    spec = load_spec(spec)
    pop = _population(tables, spec)
    kinds = {ind.kind for ind in spec.indicators}
    grades = _latest_grades(tables, spec) if "judgement" in kinds else None
    survey = _survey(tables) if "survey" in kinds else None
    out = pop[[c for c in ("urn", "name", "phase") if c in pop.columns]].copy()
    methods = {}
    for ind in spec.indicators:
        x, se, methods[ind.id] = _values_and_se(ind, pop, tables, grades, survey, grade_reliability)
        out[ind.id] = x
        out[f"{ind.id}_se"] = se
    present = np.column_stack([np.isfinite(out[i].to_numpy(dtype=float)) for i in spec.ids])
    out.insert(len([c for c in ("urn", "name", "phase") if c in out.columns]), "n_indicators", present.sum(axis=1))
    out = out[out["n_indicators"] >= spec.min_indicators].reset_index(drop=True)
    out.attrs["se_methods"] = methods
    out.attrs["spec_name"] = spec.name
    return out


def indicator_summary(indicators: pd.DataFrame, spec: Spec | dict | str) -> pd.DataFrame:
    """Per indicator: n, mean, SD, mean SE and the implied reliability 1 - mean(SE^2) / variance.

    Returns
    -------
    pandas.DataFrame
        Columns ``indicator``, ``label``, ``source``, ``direction``, ``weight``, ``n``, ``mean``,
        ``sd``, ``mean_se``, ``reliability``, ``se_method``.
    """
    spec = load_spec(spec)
    methods = indicators.attrs.get("se_methods", {})
    rows = []
    for ind in spec.indicators:
        x = indicators[ind.id].to_numpy(dtype=float)
        se = indicators[f"{ind.id}_se"].to_numpy(dtype=float)
        ok = np.isfinite(x)
        var = float(np.var(x[ok], ddof=1)) if ok.sum() > 1 else float("nan")
        err = float(np.mean(se[ok] ** 2)) if ok.any() else float("nan")
        rows.append({"indicator": ind.id, "label": ind.name, "source": ind.source, "direction": ind.direction,
                     "weight": ind.weight, "n": int(ok.sum()), "mean": float(np.mean(x[ok])) if ok.any() else np.nan,
                     "sd": np.sqrt(var), "mean_se": np.sqrt(err),
                     "reliability": max(0.0, 1 - err / var) if var > 0 else np.nan,
                     "se_method": methods.get(ind.id, "")})
    return pd.DataFrame(rows)
