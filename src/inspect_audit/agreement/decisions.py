"""Decision consistency: do two inspectors reach the same grade, and the same high-stakes decision?

Works on the long ``ratings`` table (study_id, unit_id, rater_id, rater_type, area, grade) for one
area. Every unit counts once: a unit's agreement is the share of its rater pairs that agree, and
the estimate is the mean over units with at least two ratings (for the usual paired design, the
share of pairs that agree). Intervals: Wilson when every unit has exactly two ratings, otherwise a
seeded percentile bootstrap over units.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from inspect_audit._core.intervals import CI_PROB, percentile_interval, wilson_interval
from inspect_audit.data.schemas import Scale


def rating_pairs(ratings: pd.DataFrame) -> pd.DataFrame:
    """Every pair of ratings of the same unit by two different raters: unit_id, rater_a, grade_a, rater_b, grade_b."""
    part = ratings[["unit_id", "rater_id", "rater_type", "grade"]].drop_duplicates(["unit_id", "rater_id"])
    part = part.assign(grade=part["grade"].astype(int), pos=part.groupby("unit_id").cumcount())
    merged = part.merge(part, on="unit_id", suffixes=("_a", "_b"))
    merged = merged[merged["pos_a"] < merged["pos_b"]].sort_values(["unit_id", "pos_a", "pos_b"])
    merged = merged.rename(columns={"rater_type_a": "type_a", "rater_type_b": "type_b"})
    return merged[["unit_id", "rater_id_a", "type_a", "grade_a", "rater_id_b", "type_b", "grade_b"]].rename(
        columns={"rater_id_a": "rater_a", "rater_id_b": "rater_b"}).reset_index(drop=True)


def _unit_mean_interval(pairs: pd.DataFrame, agree: pd.Series, ci_prob: float, n_boot: int,
                        seed: int) -> tuple[float, float, float, int, str]:
    per_unit = agree.groupby(pairs["unit_id"]).mean()
    n = len(per_unit)
    estimate = float(per_unit.mean())
    if pairs.groupby("unit_id").size().eq(1).all():
        low, high = wilson_interval(int(agree.sum()), n, ci_prob)
        return estimate, float(low[0]), float(high[0]), n, f"Wilson score interval, {ci_prob:.0%}"
    rng = np.random.default_rng(seed)
    values = per_unit.to_numpy()
    boots = values[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    low, high = percentile_interval(boots, ci_prob)
    return estimate, low, high, n, f"unit bootstrap ({n_boot}, seed {seed}), {ci_prob:.0%}"


def decision_consistency(ratings: pd.DataFrame, scale: Scale, ci_prob: float = CI_PROB,
                         n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Probability that two raters give the same grade and agree at each boundary of the scale.

    Returns one row per statistic: statistic, estimate, ci_low, ci_high, n (units), n_pairs, method.
    ``same_grade``, ``within_one_grade`` and ``same_side_<boundary>`` for each boundary in
    ``scales.json`` (e.g. ``good_or_better``: both Good or better, or both not).

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.data.schemas import scale
    >>> from inspect_audit.agreement.decisions import decision_consistency
    >>> r = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1).ratings
    >>> paired = r[(r["area"] == "overall_effectiveness") & (r["rater_type"] == "inspector")]
    >>> table = decision_consistency(paired, scale("legacy_4"), seed=1)
    >>> table[["statistic", "estimate", "ci_low", "ci_high", "n"]].round(2)
                      statistic  estimate  ci_low  ci_high    n
    0                same_grade      0.63    0.57     0.70  150
    1          within_one_grade      0.97    0.94     0.99  150
    2  same_side_good_or_better      0.83    0.78     0.88  150
    3      same_side_inadequate      0.98    0.95     0.99  150
    """
    pairs = rating_pairs(ratings)
    if pairs.empty:
        raise ValueError("no unit has ratings from two different raters; decision consistency needs pairs")
    checks = {"same_grade": pairs["grade_a"] == pairs["grade_b"],
              "within_one_grade": (pairs["grade_a"] - pairs["grade_b"]).abs() <= 1}
    for name, codes in scale.boundaries.items():
        checks[f"same_side_{name}"] = pairs["grade_a"].isin(codes) == pairs["grade_b"].isin(codes)
    rows = []
    for name, agree in checks.items():
        estimate, low, high, n, method = _unit_mean_interval(pairs, agree.astype(float), ci_prob, n_boot, seed)
        rows.append({"statistic": name, "estimate": estimate, "ci_low": low, "ci_high": high, "n": n,
                     "n_pairs": len(pairs), "method": method})
    return pd.DataFrame(rows)


def confusion_matrix(ratings: pd.DataFrame, scale: Scale) -> pd.DataFrame:
    """Grades of paired raters against each other (symmetrised: each pair counted once each way, halved).

    Rows and columns are the scale's labels, including grades never given.
    """
    pairs = rating_pairs(ratings)
    k = len(scale.codes)
    index = {c: i for i, c in enumerate(scale.codes)}
    counts = np.zeros((k, k))
    for a, b in zip(pairs["grade_a"], pairs["grade_b"]):
        counts[index[a], index[b]] += 0.5
        counts[index[b], index[a]] += 0.5
    return pd.DataFrame(counts, index=list(scale.labels), columns=list(scale.labels))


def paired_study_interval(agreed: int, n: int, ci_prob: float = 0.95) -> pd.DataFrame:
    """How wide is the interval around an agreement rate from a small paired-inspection study?

    Ofsted's 2017 short-inspection reliability study: two inspectors independently inspected the same
    school on the same day, and agreed in 22 of 24 cases (``paired_study_interval(22, 24)``).
    Returns Wilson and exact Clopper-Pearson intervals, and the number of paired inspections needed for
    a Wilson interval no wider than +-5 points at the observed rate.

    ``ci_prob`` defaults to 0.95 here, not the package's 0.90: planning the size of a study ("how many
    paired inspections for +-5 points?") is conventionally done at 95%, and a reader comparing with
    published reliability studies expects 95% intervals.

    Examples
    --------
    >>> from inspect_audit.agreement.decisions import paired_study_interval
    >>> paired_study_interval(22, 24)[["statistic", "estimate", "ci_low", "ci_high", "n"]].round(3)
                                 statistic  estimate  ci_low  ci_high   n
    0                       agreement_rate     0.917   0.742    0.977  24
    1                       agreement_rate     0.917   0.730    0.990  24
    2  pairs_needed_for_5_point_half_width   122.000     NaN      NaN  24
    """
    if not 0 <= agreed <= n or n == 0:
        raise ValueError(f"need 0 <= agreed <= n and n > 0 (got {agreed} of {n})")
    rows = []
    wilson = tuple(float(v[0]) for v in wilson_interval(agreed, n, ci_prob))
    exact = tuple(float(v) for v in proportion_confint(agreed, n, alpha=1 - ci_prob, method="beta"))
    for (low, high), name in ((wilson, "Wilson score"), (exact, "Clopper-Pearson exact")):
        rows.append({"statistic": "agreement_rate", "estimate": agreed / n, "ci_low": low,
                     "ci_high": high, "n": n, "method": f"{name}, {ci_prob:.0%}"})
    rows.append({"statistic": "pairs_needed_for_5_point_half_width", "estimate": float(pairs_needed(agreed / n, 0.05, ci_prob)),
                 "ci_low": None, "ci_high": None, "n": n, "method": "smallest n with Wilson half-width <= 0.05"})
    return pd.DataFrame(rows)


def pairs_needed(rate: float, half_width: float, ci_prob: float = 0.95) -> int:
    """Smallest number of paired inspections whose Wilson interval half-width at ``rate`` is <= ``half_width``.

    ``ci_prob`` defaults to 0.95 (the sample-size planning convention; see :func:`paired_study_interval`).
    """
    z = stats.norm.ppf((1 + ci_prob) / 2)
    for n in range(2, 100_000):
        centre_sd = z * np.sqrt(rate * (1 - rate) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        if centre_sd <= half_width:
            return n
    raise ValueError("more than 100,000 pairs needed")


def rater_agreement(ratings: pd.DataFrame, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Per rater: agreement with peers who graded the same units, with counts and Wilson intervals.

    Columns: rater_id, n_pairs, n_units, agreement, ci_low, ci_high, mean_difference (this rater's
    grade minus the peer's: positive = this rater gives worse grades on Ofsted's coding).
    """
    pairs = rating_pairs(ratings)
    both = pd.concat([
        pd.DataFrame({"rater_id": pairs["rater_a"], "unit_id": pairs["unit_id"],
                      "diff": pairs["grade_a"] - pairs["grade_b"]}),
        pd.DataFrame({"rater_id": pairs["rater_b"], "unit_id": pairs["unit_id"],
                      "diff": pairs["grade_b"] - pairs["grade_a"]})])
    grouped = both.groupby("rater_id")
    out = pd.DataFrame({"n_pairs": grouped.size(), "n_units": grouped["unit_id"].nunique(),
                        "agreed": grouped["diff"].apply(lambda d: int((d == 0).sum())),
                        "mean_difference": grouped["diff"].mean()}).reset_index()
    low, high = wilson_interval(out["agreed"], out["n_pairs"], ci_prob)
    out["agreement"] = out["agreed"] / out["n_pairs"]
    out["ci_low"], out["ci_high"] = low, high
    return out[["rater_id", "n_pairs", "n_units", "agreement", "ci_low", "ci_high", "mean_difference"]]


def rater_type_agreement(ratings: pd.DataFrame, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Agreement between kinds of rater (inspector, peer_reviewer, self_evaluation) on the same units.

    Per pair of kinds: n_pairs, exact agreement with Wilson interval, and the mean grade difference
    (first kind minus second, Ofsted coding: negative = the first kind grades more favourably) with a
    t interval.
    """
    pairs = rating_pairs(ratings)
    kinds = sorted(set(pairs["type_a"]) | set(pairs["type_b"]))
    rows = []
    for first, second in [*((k, k) for k in kinds), *combinations(kinds, 2)]:
        forward = (pairs["type_a"] == first) & (pairs["type_b"] == second)
        backward = (pairs["type_a"] == second) & (pairs["type_b"] == first) & (first != second)
        diff = pd.concat([pairs.loc[forward, "grade_a"] - pairs.loc[forward, "grade_b"],
                          pairs.loc[backward, "grade_b"] - pairs.loc[backward, "grade_a"]])
        n = len(diff)
        if n == 0:
            continue
        agreed = int((diff == 0).sum())
        low, high = (float(v[0]) for v in wilson_interval(agreed, n, ci_prob))
        se = diff.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        t = stats.t.ppf((1 + ci_prob) / 2, max(n - 1, 1))
        rows.append({"rater_types": f"{first} vs {second}", "n_pairs": n, "agreement": agreed / n,
                     "ci_low": float(low), "ci_high": float(high), "mean_difference": float(diff.mean()),
                     "difference_ci_low": float(diff.mean() - t * se) if n > 1 else None,
                     "difference_ci_high": float(diff.mean() + t * se) if n > 1 else None})
    return pd.DataFrame(rows)
