"""Reliability of a composite (Mosier 1943) against the reliability of a single headline grade.

Mosier's formula: for a weighted sum C = sum_j w_j X_j of indicators with standard deviations
s_j, reliabilities r_j and correlations R, the composite's reliability is

    r_C = 1 - (sum_j w_j^2 s_j^2 (1 - r_j)) / (w' S w),   S = diag(s) R diag(s),

assuming the indicators' errors are uncorrelated. Sub-judgements made by the same inspection team
on the same visit probably share error (a team's harsh or lenient day), which the formula
would miss; ``error_corr`` adds it: error covariance e_jk = rho_jk s_j s_k sqrt((1 - r_j)(1 - r_k)).

Uncertainty. The headline grade's reliability is the kappa implied by a paired-inspection
agreement k of n (Ofsted 2017: 22 of 24); its interval maps the Jeffreys interval of k/n through
the same formula. The composite's interval is Monte Carlo: each draw takes an agreement share
from the Jeffreys posterior Beta(k + 1/2, n - k + 1/2), scales every judgement indicator's
(assumed) reliability by kappa(draw) / kappa(k/n), redraws the other indicators' variances
(scaled chi-square on n_schools - 1 degrees of freedom, so their data-based reliabilities vary)
and recomputes Mosier's formula; correlations and the error-correlation assumption are held fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from inspect_audit._core.intervals import CI_PROB, percentile_interval
from inspect_audit._core.grades import area_grades
from inspect_audit.data import schemas
from inspect_audit.scorecard.composite import prepare
from inspect_audit.scorecard.indicators import DEFAULT_GRADE_RELIABILITY, indicator_summary
from inspect_audit.scorecard.spec import Spec, load_spec

#: Ofsted's 2017 short-inspection reliability study: two inspectors agreed in 22 of 24 schools.
OFSTED_2017_AGREED, OFSTED_2017_PAIRS = 22, 24
OFSTED_2017 = (OFSTED_2017_AGREED, OFSTED_2017_PAIRS)
N_DRAWS = 2000


def mosier_reliability(weights: np.ndarray, reliabilities: np.ndarray, corr: np.ndarray,
                       sds: np.ndarray | None = None, error_corr: np.ndarray | float | None = None) -> float:
    """Reliability of a weighted composite of indicators (Mosier 1943).

    Parameters
    ----------
    weights
        Weights w_j (any scale).
    reliabilities
        Reliability r_j of each indicator.
    corr
        Observed correlation matrix of the indicators.
    sds
        Standard deviations (default 1: standardised indicators, as in a z-score composite).
    error_corr
        Correlation between the indicators' errors: a matrix, or one number for every pair
        (default 0, Mosier's assumption).

    Returns
    -------
    float

    Examples
    --------
    Two standardised indicators, reliabilities 0.8 and 0.6, correlated 0.5, equal weights:
    error variance 0.2 + 0.4 = 0.6 (times 1/4), composite variance (1 + 1 + 2 x 0.5) / 4 = 0.75,
    reliability 1 - 0.15 / 0.75 = 0.8.

    >>> mosier_reliability([0.5, 0.5], [0.8, 0.6], [[1, 0.5], [0.5, 1]])
    0.8
    """
    w = np.asarray(weights, float)
    rel = np.asarray(reliabilities, float)
    r = np.asarray(corr, float)
    s = np.ones_like(w) if sds is None else np.asarray(sds, float)
    cov = r * np.outer(s, s)
    err_sd = s * np.sqrt(1 - rel)
    if error_corr is None:
        ec = np.eye(len(w))
    elif np.ndim(error_corr) == 0:
        ec = np.full((len(w), len(w)), float(error_corr))
        np.fill_diagonal(ec, 1.0)
    else:
        ec = np.asarray(error_corr, float)
    err_cov = ec * np.outer(err_sd, err_sd)
    return float(round(1 - (w @ err_cov @ w) / (w @ cov @ w), 12))


def kappa_from_agreement(agreed: int = OFSTED_2017_AGREED, n: int = OFSTED_2017_PAIRS,
                         base_rate: float = 0.9) -> float:
    """Cohen's kappa implied by a percent agreement on a yes/no decision, both raters at ``base_rate``.

    Chance agreement is p^2 + (1 - p)^2; kappa = (agreement - chance) / (1 - chance). For a binary
    decision kappa equals the intraclass correlation, i.e. a reliability.

    Examples
    --------
    >>> round(kappa_from_agreement(22, 24, 0.9), 3)
    0.537
    """
    return float(_kappa(agreed / n, base_rate))


def _kappa(agreement: np.ndarray | float, base_rate: float) -> np.ndarray:
    pe = base_rate**2 + (1 - base_rate) ** 2
    return (np.asarray(agreement, float) - pe) / (1 - pe)


def headline_grade_reliability(agreed: int = OFSTED_2017_AGREED, n: int = OFSTED_2017_PAIRS, base_rate: float = 0.9,
                         ci_prob: float = CI_PROB) -> dict[str, float]:
    """Reliability of one headline grade from a paired-inspection agreement, with its interval.

    Parameters
    ----------
    agreed, n
        Pairs of independent inspections that agreed, and pairs (default Ofsted 2017: 22 of 24).
    base_rate
        Share of schools on the better side of the decision (Good or better for legacy grades; see
        :func:`headline_decision`).
    ci_prob
        Interval coverage (default 90%).

    Returns
    -------
    dict
        ``estimate`` (:func:`kappa_from_agreement`), ``ci_low``, ``ci_high`` (kappa at the ends of the
        Jeffreys interval of ``agreed / n``, clipped to [0, 1]: a reliability is not negative) and ``n``.

    Examples
    --------
    >>> h = headline_grade_reliability(22, 24, 0.9)
    >>> round(h["estimate"], 3), round(h["ci_low"], 3), round(h["ci_high"], 3), h["n"]
    (0.537, 0.0, 0.865, 24)
    """
    tail = (1 - ci_prob) / 2
    low = 0.0 if agreed == 0 else stats.beta.ppf(tail, agreed + 0.5, n - agreed + 0.5)
    high = 1.0 if agreed == n else stats.beta.ppf(1 - tail, agreed + 0.5, n - agreed + 0.5)
    lo, hi = np.clip(_kappa([low, high], base_rate), 0, 1)
    return {"estimate": kappa_from_agreement(agreed, n, base_rate), "ci_low": float(lo), "ci_high": float(hi),
            "n": int(n)}


def _reliability_draws(rel: np.ndarray, n: np.ndarray, judgement: np.ndarray, agreement: tuple[int, int],
                       base_rate: float, n_draws: int, seed: int) -> np.ndarray:
    """(n_draws, k) indicator reliabilities: judgements scaled by the agreement study's uncertainty,
    the others by the sampling error of their variance (see the module docstring)."""
    rng = np.random.default_rng(seed)
    agreed, pairs = agreement
    point = kappa_from_agreement(agreed, pairs, base_rate)
    if point <= 0:
        raise ValueError(f"agreement {agreed}/{pairs} is no better than chance at base rate {base_rate:.3f}")
    ratio = np.clip(_kappa(rng.beta(agreed + 0.5, pairs - agreed + 0.5, n_draws), base_rate), 0, 1) / point
    df = np.maximum(np.asarray(n, float) - 1, 1)
    var_ratio = df / rng.chisquare(df, size=(n_draws, len(rel)))
    draws = np.where(judgement, rel * ratio[:, None], 1 - (1 - rel) * var_ratio)
    return np.clip(draws, 0, 1)


def better_side(scale: schemas.Scale) -> tuple[tuple[int, ...], str]:
    """The codes on the better side of a scale's headline boundary, and its words, from ``scales.json``.

    Legacy grades: Good or better; report cards: Expected standard or better (never "Good or better").

    Examples
    --------
    >>> better_side(schemas.scale("legacy_4"))
    ((1, 2), 'Good or better')
    >>> better_side(schemas.scale("report_card_5"))
    ((1, 2, 3), 'Expected standard or better')
    """
    key = next((k for k in scale.boundaries if k.endswith("_or_better")), None)
    if key is None:
        raise ValueError(f"scale {scale.name!r} has no 'or better' boundary in scales.json")
    codes = scale.boundaries[key]
    return codes, f"{scale.label(max(codes))} or better"


def headline_decision(tables: dict[str, pd.DataFrame], area: str = "overall_effectiveness",
                      frameworks: list[str] | tuple[str, ...] | None = None) -> dict:
    """The headline decision on the grades' own scale: each school's latest ``area`` grade, on the better side
    of the scale's boundary or not.

    Parameters
    ----------
    tables : dict of DataFrame
        ``judgements`` and ``inspections``.
    area : str
        The judgement area (default overall effectiveness; report cards have none: name an area such as
        ``achievement``).
    frameworks : sequence of str, optional
        Inspection frameworks to keep (e.g. ``["report_card_2025"]``).

    Returns
    -------
    dict
        ``area``, ``scale`` (its name), ``boundary`` (words, e.g. ``Expected standard or better``),
        ``base_rate`` (share of schools on the better side) and ``n`` (schools).

    Raises
    ------
    MixedScalesError
        If the selected grades come from more than one scale (choose ``frameworks``).

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> d = headline_decision(load_england(), "achievement", ["report_card_2025"])
    >>> d["boundary"], d["n"] > 1000, 0 < d["base_rate"] < 1
    ('Expected standard or better', True, True)
    """
    grades, scale = area_grades(tables, area, list(frameworks) if frameworks else None)
    latest = grades.sort_values(["start_date", "inspection_id"]).drop_duplicates("urn", keep="last")
    codes, words = better_side(scale)
    good = latest["grade"].astype(int).isin(codes)
    return {"area": area, "scale": scale.name, "boundary": words, "base_rate": float(good.mean()),
            "n": int(len(latest))}


#: The area whose grade stands for a report card in the headline comparison when a spec names none (report
#: cards have no overall grade; achievement is the area Ofsted's own 2026 analysis of disadvantage looked at).
REPORT_CARD_HEADLINE_AREA = "achievement"


def spec_decision(tables: dict[str, pd.DataFrame], spec: Spec) -> dict:
    """The headline decision a spec's scorecard is compared with, on the scale of the spec's frameworks.

    Frameworks that grade overall effectiveness: Good or better on it. Report cards (no overall grade): the
    first report-card area among the spec's judgement indicators (else :data:`REPORT_CARD_HEADLINE_AREA`),
    Expected standard or better. Raises :class:`~inspect_audit._core.grades.MixedScalesError` for a spec whose
    frameworks put the area on different scales.

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.scorecard import load_spec
    >>> spec_decision(load_england(), load_spec("primary_balanced"))["boundary"]
    'Good or better'
    """
    frameworks = list(spec.frameworks) if spec.frameworks else None
    present = set(tables["inspections"]["framework"].astype(str))
    chosen = [fw for fw in (frameworks or present) if fw in schemas.scales()["frameworks"]]
    if any("overall_effectiveness" in schemas.framework_areas(fw) for fw in chosen):
        legacy = [fw for fw in chosen if "overall_effectiveness" in schemas.framework_areas(fw)]
        return headline_decision(tables, "overall_effectiveness", legacy)
    areas = {a for fw in chosen for a, sc in schemas.framework_areas(fw).items() if sc == "report_card_5"}
    named = [ind.key for ind in spec.indicators if ind.kind == "judgement" and ind.key in areas]
    return headline_decision(tables, named[0] if named else REPORT_CARD_HEADLINE_AREA, chosen)


def headline_base_rate(tables: dict[str, pd.DataFrame], area: str = "overall_effectiveness",
                       frameworks: list[str] | tuple[str, ...] | None = None) -> float:
    """Share of schools whose latest ``area`` grade is on the better side of its scale's boundary (Good or
    better for legacy grades, Expected standard or better for report cards): :func:`headline_decision`."""
    return headline_decision(tables, area, frameworks)["base_rate"]


def implied_min_error_corr(r_observed: float, rel_a: float, rel_b: float) -> float:
    """Smallest error correlation that makes an observed correlation possible given two reliabilities.

    r_observed = r_true sqrt(rel_a rel_b) + rho_e sqrt((1 - rel_a)(1 - rel_b)) with r_true <= 1, so
    rho_e >= (r_observed - sqrt(rel_a rel_b)) / sqrt((1 - rel_a)(1 - rel_b)) (0 if negative).

    Examples
    --------
    Two grades of reliability 0.5 correlated 0.9 must share errors correlated at least 0.8:

    >>> round(implied_min_error_corr(0.9, 0.5, 0.5), 3)
    0.8
    """
    denom = np.sqrt((1 - rel_a) * (1 - rel_b))
    if denom == 0:
        return float("nan")
    return float(max(0.0, (r_observed - np.sqrt(rel_a * rel_b)) / denom))


def _pairwise_corr(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    k = x.shape[1]
    out = np.eye(k)
    for i in range(k):
        for j in range(i + 1, k):
            ok = mask[:, i] & mask[:, j]
            if ok.sum() > 2 and np.std(x[ok, i]) > 0 and np.std(x[ok, j]) > 0:
                out[i, j] = out[j, i] = np.corrcoef(x[ok, i], x[ok, j])[0, 1]
            else:
                out[i, j] = out[j, i] = 0.0
    return out


def _nearest_psd_corr(r: np.ndarray) -> np.ndarray:
    """Pairwise-complete correlations need not form a valid matrix; clip negative eigenvalues."""
    vals, vecs = np.linalg.eigh(r)
    if vals.min() >= 0:
        return r
    fixed = vecs @ np.diag(np.clip(vals, 1e-6, None)) @ vecs.T
    d = np.sqrt(np.diag(fixed))
    return fixed / np.outer(d, d)


def composite_reliability(indicators: pd.DataFrame, spec: Spec | dict | str, judgement_error_corr: float = 0.0,
                          agreement: tuple[int, int] = OFSTED_2017, base_rate: float = 0.9, ci_prob: float = CI_PROB,
                          n_draws: int = N_DRAWS, seed: int = 0) -> dict:
    """Mosier reliability of the spec's composite (z-scored indicators, nominal weights) on real data.

    Indicator reliabilities are 1 - mean(SE^2) / variance from :func:`indicator_summary`;
    correlations are pairwise over schools having both indicators (then made a valid
    correlation matrix). ``judgement_error_corr`` is the assumed correlation between the errors
    of two judgement indicators from the same inspection (other pairs: 0). The interval is the
    Monte Carlo of the module docstring: ``agreement`` (agreed, pairs) and ``base_rate`` set the
    uncertainty of the judgement indicators' reliabilities.

    Returns
    -------
    dict
        ``reliability`` (float), ``ci_low``, ``ci_high`` (``ci_prob`` interval over ``n_draws`` draws),
        ``n`` (schools scored), ``indicators`` (DataFrame: indicator, weight, reliability) and
        ``corr`` (DataFrame).
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    summary = indicator_summary(indicators, spec)
    rel = summary["reliability"].fillna(0.0).clip(0, 1).to_numpy()
    corr = _nearest_psd_corr(_pairwise_corr(prep.x, prep.mask))
    judgement = np.array([ind.kind == "judgement" for ind in spec.indicators])
    ec = np.eye(prep.k)
    both = np.outer(judgement, judgement) & ~np.eye(prep.k, dtype=bool)
    ec[both] = judgement_error_corr
    value = mosier_reliability(prep.weights, rel, corr, error_corr=ec)
    draws = _reliability_draws(rel, summary["n"].to_numpy(), judgement, agreement, base_rate, n_draws, seed)
    sims = [mosier_reliability(prep.weights, r, corr, error_corr=ec) for r in draws]
    low, high = percentile_interval(sims, ci_prob)
    return {"reliability": value, "ci_low": float(low), "ci_high": float(high), "n": len(indicators),
            "indicators": pd.DataFrame({"indicator": prep.ids, "weight": prep.weights, "reliability": rel}),
            "corr": pd.DataFrame(corr, index=prep.ids, columns=prep.ids)}


def reliability_comparison(indicators: pd.DataFrame, spec: Spec | dict | str,
                           headline_reliability: float | None = None, base_rate: float = 0.9,
                           judgement_error_corrs: tuple[float, ...] = (0.0, 0.3, 0.6, 0.8),
                           agreement: tuple[int, int] = OFSTED_2017, ci_prob: float = CI_PROB,
                           n_draws: int = N_DRAWS, seed: int = 0, decision: dict | None = None) -> pd.DataFrame:
    """Composite reliability (under several error-correlation assumptions) next to the headline grade's.

    Parameters
    ----------
    headline_reliability
        Reliability of one inspection's overall-effectiveness grade, if stated (then it has no
        interval). Default: the kappa implied by the paired-inspection ``agreement`` at
        ``base_rate``, with the interval of :func:`headline_grade_reliability` - a published figure, not
        an estimate from these data.
    base_rate
        Share of schools on the better side of the headline decision (use :func:`headline_decision` on real
        data and pass it as ``decision``).
    judgement_error_corrs
        Assumed correlations between errors of judgement indicators from the same inspection.
    agreement
        (agreed, pairs) of the paired-inspection study (default Ofsted 2017: 22 of 24); it also
        sets the uncertainty of the judgement indicators' reliabilities in the composite's interval.
    ci_prob, n_draws, seed
        Interval coverage, Monte Carlo draws and their seed.
    decision : dict, optional
        :func:`headline_decision` of the data: its ``base_rate`` replaces ``base_rate``, and the headline row is
        worded on the grades' own scale (a report card's area and "Expected standard or better"; the agreement
        study, from the legacy framework, is then said to be borrowed). Default: overall effectiveness, Good or
        better.

    Returns
    -------
    pandas.DataFrame
        ``measure``, ``reliability``, ``ci_low``, ``ci_high``, ``n`` (paired inspections for the
        headline grade, schools for the composite) and ``assumption``.

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> from inspect_audit.scorecard import indicator_table, load_spec
    >>> tables = load_england()
    >>> spec = load_spec("primary_balanced")
    >>> rel = reliability_comparison(indicator_table(tables, spec), spec, n_draws=200,
    ...                              decision=headline_decision(tables, "achievement", ["report_card_2025"]))
    >>> rel["measure"].iloc[0]
    'single headline grade (achievement, report card)'
    """
    spec = load_spec(spec)
    if decision is not None:
        base_rate = decision["base_rate"]
    legacy = decision is None or decision["scale"] == "legacy_4"
    area_words = "overall effectiveness" if decision is None else decision["area"].replace("_", " ")
    boundary = "Good or better" if decision is None else decision["boundary"]
    agreed, pairs = agreement
    if headline_reliability is None:
        head = headline_grade_reliability(agreed, pairs, base_rate, ci_prob)
        source = (f"kappa implied by paired inspections agreeing in {agreed}/{pairs} (Ofsted 2017 short inspections "
                  f"by default) at base rate {base_rate:.1%} {boundary}"
                  + ("" if legacy else f" (n = {decision['n']:,} schools' latest report cards; the agreement is "
                                       "borrowed from the legacy framework: no paired study of report cards exists)")
                  + f"; n = {pairs} pairs; Jeffreys {ci_prob:.0%} interval")
    else:
        head = {"estimate": headline_reliability, "ci_low": np.nan, "ci_high": np.nan, "n": np.nan}
        source = "stated (no interval or n given)"
    measure = f"single headline grade ({area_words}{'' if legacy else ', report card'})"
    rows = [{"measure": measure, "reliability": head["estimate"],
             "ci_low": head["ci_low"], "ci_high": head["ci_high"], "n": head["n"], "assumption": source}]
    has_judgements = any(ind.kind == "judgement" for ind in spec.indicators)
    bound = judgement_error_corr_bound(indicators, spec) if has_judgements else float("nan")
    if np.isfinite(bound) and bound > 0:
        judgement_error_corrs = tuple(sorted(set(judgement_error_corrs) | {round(bound, 2)}))
    spread = (f"; {ci_prob:.0%} Monte Carlo interval ({n_draws:,} draws): judgement reliabilities as uncertain as "
              f"{agreed}/{pairs} paired agreement, other indicators' variances from n schools")
    for rho in judgement_error_corrs if has_judgements else (0.0,):
        res = composite_reliability(indicators, spec, judgement_error_corr=rho, agreement=agreement,
                                    base_rate=base_rate, ci_prob=ci_prob, n_draws=n_draws, seed=seed)
        rows.append({"measure": f"composite: {spec.name}", "reliability": res["reliability"],
                     "ci_low": res["ci_low"], "ci_high": res["ci_high"], "n": res["n"],
                     "assumption": (f"Mosier; judgement errors correlated {rho:g} within an inspection"
                                    if has_judgements else "Mosier; independent errors") + spread})
    out = pd.DataFrame(rows)
    out.attrs["judgement_error_corr_bound"] = bound
    return out


def judgement_error_corr_bound(indicators: pd.DataFrame, spec: Spec | dict | str) -> float:
    """Median over pairs of judgement indicators of :func:`implied_min_error_corr` (NaN if < 2 judgements).

    If grades are as unreliable as assumed, yet correlate as strongly as observed, their errors
    must be correlated at least this much: the independent-error Mosier figure is then too high.
    """
    spec = load_spec(spec)
    prep = prepare(indicators, spec)
    rel = indicator_summary(indicators, spec)["reliability"].to_numpy()
    corr = _pairwise_corr(prep.x, prep.mask)
    js = [j for j, ind in enumerate(spec.indicators) if ind.kind == "judgement"]
    bounds = [implied_min_error_corr(corr[a, b], rel[a], rel[b]) for i, a in enumerate(js) for b in js[i + 1:]]
    return float(np.median(bounds)) if bounds else float("nan")


__all__ = ["mosier_reliability", "kappa_from_agreement", "headline_grade_reliability", "headline_base_rate",
           "composite_reliability",
           "reliability_comparison", "implied_min_error_corr", "judgement_error_corr_bound",
           "DEFAULT_GRADE_RELIABILITY"]
