"""Can a school's average be trusted? ICC(1), ICC(2) and rwg, with minimum-response gates.

* **ICC(1)**: the share of the variance of respondents' dimension scores that lies
  between schools (one-way random effects, unbalanced ANOVA estimator from
  :func:`inspect_audit.agreement.icc.icc_estimates`, ``icc1_1``; school-waves are the
  units, respondents the "raters").  All school-waves with two or more respondents are
  used: ICC(1) is a property of the survey, not a school result.
* **ICC(2)**: the reliability of a school's mean, ``k ICC(1) / (1 + (k - 1) ICC(1))``
  (Spearman-Brown) for that school's own number of respondents ``k`` (per-school
  table) and for the harmonic-mean ``k`` (``icc1_k``, summary table).  The per-school
  interval carries the interval of ICC(1) through this monotone formula.
* **rwg(J)** (James, Demaree & Wolf 1984): within-school agreement on a J-item scale
  against a uniform ("random responding") null with variance ``(A^2 - 1) / 12`` for A
  response options; values are truncated to [0, 1].  Per-school interval: percentile
  bootstrap over that school's respondents.

A school (school-wave) with fewer than ``min_responses`` respondents with a score is
**withheld**: its row is kept with ``withheld = True`` and its ``n``, but no estimate.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from inspect_audit.agreement.icc import icc_estimates
from inspect_audit._core.intervals import CI_PROB, percentile_interval, wilson_interval
from inspect_audit.surveys._stats import one_blas_thread
from inspect_audit.surveys.scoring import (COMPOSITE, DEFAULT_MIN_RESPONSES, dimensions, item_matrix)

RWG_AGREEMENT = 0.70
SUMMARY_COLUMNS = ["respondent_group", "dimension", "statistic", "estimate", "ci_low", "ci_high", "n",
                   "n_withheld", "method"]
SCHOOL_COLUMNS = ["urn", "wave", "respondent_group", "dimension", "statistic", "estimate", "ci_low",
                  "ci_high", "n", "withheld"]


def _units_by_respondents(part: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """School-waves x respondents matrix of scores (NaN padded)."""
    part = part[np.isfinite(part["score"].to_numpy(float))]
    unit_key = part["urn"] + "|" + part["wave"]
    codes, uniques = pd.factorize(unit_key, sort=True)
    pos = part.groupby(codes).cumcount().to_numpy()
    mat = np.full((len(uniques), int(pos.max()) + 1 if len(pos) else 1), np.nan)
    mat[codes, pos] = part["score"].to_numpy(float)
    units = pd.Series(uniques).str.split("|", n=1, expand=True)
    units.columns = ["urn", "wave"]
    return mat, units


def _oneway_icc(n_i: np.ndarray, y_i: np.ndarray, ss_i: np.ndarray, w: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """ICC(1) and ICC(1, k_harmonic) from per-unit counts, totals and sums of squares (units
    with >= 2 ratings), optionally for frequency weights ``w`` (bootstrap replicates x units).

    The unbalanced one-way ANOVA estimator (as ``icc_estimates``' ``icc1_1`` and ``icc1_k``):
    ``s2_unit = (msb - msw) / n0``, ``n0 = (N - sum n_i^2 / N) / (units - 1)``.
    """
    w = np.ones((1, n_i.size)) if w is None else w
    u = w.sum(axis=1)
    big_n = np.einsum("bu,u->b", w, n_i)
    tot = np.einsum("bu,u->b", w, y_i)
    between = np.einsum("bu,u->b", w, y_i**2 / n_i)
    within = np.einsum("bu,u->b", w, ss_i) - between
    msb = (between - tot**2 / big_n) / (u - 1)
    msw = within / (big_n - u)
    n0 = (big_n - np.einsum("bu,u->b", w, n_i**2) / big_n) / (u - 1)
    unit = (msb - msw) / n0
    k_h = u / np.einsum("bu,u->b", w, 1.0 / n_i)
    with np.errstate(invalid="ignore", divide="ignore"):
        return unit / (unit + msw), unit / (unit + msw / k_h)


def _icc_bootstrap(mat: np.ndarray, n_boot: int, rng: np.random.Generator,
                   ci_prob: float) -> dict[str, tuple[float, float]]:
    """Percentile intervals of ICC(1) and ICC(1, k) over bootstrap resamples of units (school-waves)."""
    obs = np.isfinite(mat)
    n_i = obs.sum(axis=1).astype(float)
    keep = n_i >= 2
    z = np.where(obs, mat - np.nanmean(mat), 0.0)[keep]
    n_i = n_i[keep]
    y_i, ss_i = z.sum(axis=1), (z * z).sum(axis=1)
    u = n_i.size
    w = rng.multinomial(u, np.full(u, 1.0 / u), size=n_boot).astype(float)
    one, k = _oneway_icc(n_i, y_i, ss_i, w)
    return {"icc1_1": percentile_interval(one, ci_prob, min_finite=10), "icc1_k": percentile_interval(k, ci_prob, min_finite=10)}


def spearman_brown(icc1: float | np.ndarray, k: float | np.ndarray) -> np.ndarray:
    """Reliability of the mean of ``k`` respondents given the single-respondent ICC(1)."""
    icc1 = np.asarray(icc1, float)
    k = np.asarray(k, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return k * icc1 / (1 + (k - 1) * icc1)


def rwg_j(x: np.ndarray, n_options: int) -> float:
    """rwg(J) of a respondents x items matrix (``NaN`` = missing) against the uniform null.

    ``rwg(J) = J (1 - s2 / e2) / (J (1 - s2 / e2) + s2 / e2)`` with ``s2`` the mean of the
    items' within-school variances and ``e2 = (A^2 - 1) / 12``; truncated to [0, 1]
    (``s2 >= e2`` gives 0).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        s2 = np.nanmean(np.nanvar(x, axis=-2, ddof=1), axis=-1)
    return _rwg_from_s2(s2, x.shape[-1], n_options)


def _rwg_from_s2(s2, j: int, n_options: int):
    e2 = (n_options**2 - 1) / 12.0
    ratio = np.asarray(s2, float) / e2
    with np.errstate(invalid="ignore", divide="ignore"):
        r = j * (1 - ratio) / (j * (1 - ratio) + ratio)
    return np.where(ratio >= 1, 0.0, np.clip(r, 0, 1))


def _boot_rwg(x: np.ndarray, n_options: int, n_boot: int, rng: np.random.Generator,
              ci_prob: float) -> tuple[float, float]:
    """Percentile interval of rwg(J) over respondent-bootstrap resamples of one school."""
    r = len(x)
    # resample counts per respondent; einsum, not BLAS (threaded BLAS is slow on small products)
    idx = rng.integers(0, r, size=(n_boot, r))
    w = np.zeros((n_boot, r))
    np.add.at(w, (np.arange(n_boot)[:, None], idx), 1.0)
    obs = np.isfinite(x)
    z = np.where(obs, x - np.nanmean(x, axis=0), 0.0)
    cnt = np.einsum("br,rj->bj", w, obs.astype(float))
    s1 = np.einsum("br,rj->bj", w, z)
    s2 = np.einsum("br,rj->bj", w, z * z)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(cnt > 1, (s2 - s1 * s1 / cnt) / (cnt - 1), np.nan)
        mean_var = np.nanmean(var, axis=1) if np.isfinite(var).any() else np.full(n_boot, np.nan)
    return percentile_interval(_rwg_from_s2(mean_var, x.shape[1], n_options), ci_prob, min_finite=10)


@one_blas_thread
def aggregation_reliability(recoded: pd.DataFrame, scores: pd.DataFrame, items: pd.DataFrame,
                            min_responses: int = DEFAULT_MIN_RESPONSES, n_boot: int = 200, seed: int = 0,
                            ci_prob: float = CI_PROB, icc_boot: int = 0
                            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ICC(1), ICC(2) and rwg(J) per respondent group and dimension, with per-school gates.

    Parameters
    ----------
    recoded : DataFrame
        Output of :func:`inspect_audit.surveys.scoring.recode` (for rwg: item level).
    scores : DataFrame
        Output of :func:`inspect_audit.surveys.scoring.respondent_scores`.
    items : DataFrame
        The ``survey_items`` table (number of response options ``scale_max - scale_min + 1``).
    min_responses : int
        Gate: schools with fewer scored respondents are withheld.
    n_boot : int
        Respondent-bootstrap resamples for each school's rwg interval and school
        bootstrap resamples for the median rwg (0: no interval).
    seed : int
        Seed of the bootstraps.
    ci_prob : float
        Interval coverage.
    icc_boot : int
        0: the approximate F-based intervals of ``icc_estimates`` for ICC(1) and ICC(2);
        > 0: percentile bootstrap over school-waves with this many resamples (simulated
        coverage of nominal 90 %: bootstrap 0.87, F 0.80; ``models/surveys.md``).

    Returns
    -------
    summary : DataFrame
        Per group and dimension: ``icc1`` and ``icc2_harmonic`` (n = school-waves used),
        ``rwg_median`` and ``rwg_share_agreeing`` (share of schools with rwg >= 0.70, Wilson
        interval), both over schools passing the gate (``n``; ``n_withheld`` beside it).
    per_school : DataFrame
        Long table per school-wave, group, dimension and statistic (``icc2``, ``rwg``):
        estimate, interval, ``n`` (respondents) and ``withheld``.
    """
    rng = np.random.default_rng(seed)
    options = (items["scale_max"].astype(float) - items["scale_min"].astype(float) + 1)
    options_of = dict(zip(zip(items["respondent_group"].astype(str), items["dimension"].astype(str)),
                          options.astype(int)))
    summary, per_school = [], []
    by_dim = {k: v for k, v in recoded.groupby(["respondent_group", "dimension"], sort=False)}
    pairs = dimensions(items)
    groups = list(dict.fromkeys(g for g, _ in pairs))
    pairs = pairs + [(g, COMPOSITE) for g in groups]
    for group, dim in pairs:
        part = scores[(scores["respondent_group"] == group) & (scores["dimension"] == dim)]
        if part.empty:
            continue
        mat, units = _units_by_respondents(part)
        est = icc_estimates(mat, ci_prob)
        if icc_boot > 0:
            cis = _icc_bootstrap(mat, icc_boot, rng, ci_prob)
            note = (f"; interval: percentile bootstrap over school-waves ({icc_boot} resamples, seed {seed}), "
                    f"{ci_prob:.0%}, replacing the F interval")
            for name in ("icc1_1", "icc1_k"):
                est[name] = {**est[name], "ci_low": cis[name][0], "ci_high": cis[name][1],
                             "method": est[name]["method"] + note}
        icc1, icck = est["icc1_1"], est["icc1_k"]
        k_j = np.isfinite(mat).sum(axis=1)
        gate = k_j >= min_responses
        n_withheld = int((~gate).sum())
        summary.append({"respondent_group": group, "dimension": dim, "statistic": "icc1",
                        "estimate": icc1["estimate"], "ci_low": icc1["ci_low"], "ci_high": icc1["ci_high"],
                        "n": icc1["n"], "n_withheld": 0, "method": icc1["method"]})
        summary.append({"respondent_group": group, "dimension": dim, "statistic": "icc2_harmonic",
                        "estimate": icck["estimate"], "ci_low": icck["ci_low"], "ci_high": icck["ci_high"],
                        "n": icck["n"], "n_withheld": 0, "method": icck["method"]})
        icc2 = spearman_brown(icc1["estimate"], k_j)
        lo = spearman_brown(icc1["ci_low"], k_j)
        hi = spearman_brown(icc1["ci_high"], k_j)
        frame = units.assign(respondent_group=group, dimension=dim, statistic="icc2", estimate=icc2,
                             ci_low=lo, ci_high=hi, n=k_j, withheld=~gate)
        per_school.append(frame)
        # rwg needs items: dimension-level only (the composite mixes scales)
        if dim == COMPOSITE:
            continue
        x, unit, _, iunits = item_matrix(by_dim[(group, dim)], group, dim)
        n_opt = int(options_of[(group, dim)])
        order = np.argsort(unit, kind="stable")
        bounds = np.r_[0, np.flatnonzero(np.diff(unit[order])) + 1, len(order)]
        rw = []
        key = (units["urn"] + "|" + units["wave"]).to_numpy()
        n_of = dict(zip(key, k_j))
        for a, b in zip(bounds[:-1], bounds[1:]):
            xs = x[order[a:b]]
            u = iunits.iloc[unit[order[a]]]
            n_u = int(n_of.get(f"{u.urn}|{u.wave}", 0))
            withheld = n_u < min_responses
            if withheld:
                r, rlo, rhi = np.nan, np.nan, np.nan
            else:
                r = float(rwg_j(xs, n_opt))
                rlo, rhi = _boot_rwg(xs, n_opt, n_boot, rng, ci_prob) if n_boot else (np.nan, np.nan)
            rw.append({"urn": u.urn, "wave": u.wave, "respondent_group": group, "dimension": dim,
                       "statistic": "rwg", "estimate": r, "ci_low": rlo, "ci_high": rhi, "n": n_u,
                       "withheld": withheld})
        rw = pd.DataFrame(rw)
        per_school.append(rw)
        vals = rw.loc[~rw["withheld"], "estimate"].to_numpy(float)
        if vals.size:
            med = float(np.median(vals))
            reps = (np.median(vals[rng.integers(0, vals.size, size=(n_boot, vals.size))], axis=1)
                    if n_boot else np.array([]))
            mlo, mhi = percentile_interval(reps, ci_prob, min_finite=10)
            agree = int((vals >= RWG_AGREEMENT).sum())
            slo, shi = (float(v[0]) for v in wilson_interval(agree, vals.size, ci_prob))
            n_wh = int(rw["withheld"].sum())
            summary.append({"respondent_group": group, "dimension": dim, "statistic": "rwg_median",
                            "estimate": med, "ci_low": mlo, "ci_high": mhi, "n": int(vals.size),
                            "n_withheld": n_wh,
                            "method": f"median rwg(J), uniform null with {n_opt} options; percentile "
                                      f"bootstrap over schools, {ci_prob:.0%}"})
            summary.append({"respondent_group": group, "dimension": dim, "statistic": "rwg_share_agreeing",
                            "estimate": agree / vals.size, "ci_low": slo, "ci_high": shi, "n": int(vals.size),
                            "n_withheld": n_wh,
                            "method": f"share of schools with rwg(J) >= {RWG_AGREEMENT}; Wilson interval, "
                                      f"{ci_prob:.0%}"})
    per = pd.concat(per_school, ignore_index=True) if per_school else pd.DataFrame(columns=SCHOOL_COLUMNS)
    per.loc[per["withheld"], ["estimate", "ci_low", "ci_high"]] = np.nan
    return pd.DataFrame(summary, columns=SUMMARY_COLUMNS), per[SCHOOL_COLUMNS]
