"""Upheld rates by group: raw rates with Wilson intervals and partially pooled beta-binomial estimates.

The pooled model (shared by every dimension, fitted separately for each) is

    k_g ~ Binomial(n_g, p_g),    p_g ~ Beta(mu * kappa, (1 - mu) * kappa)

where ``k_g`` of the ``n_g`` decided complaints in group ``g`` were upheld or partially upheld,
``mu`` is the typical rate and ``kappa`` the prior sample size (how alike the groups are: large
``kappa`` = groups alike = strong shrinkage). Integrating ``p_g`` out gives the beta-binomial
marginal likelihood of ``(mu, kappa)``.

* ``method="eb"`` (empirical Bayes): ``(mu, kappa)`` at the maximum of the marginal likelihood,
  then ``p_g | data ~ Beta(mu kappa + k_g, (1 - mu) kappa + n_g - k_g)``. ``kappa`` is capped at
  the total number of decided complaints, so the fitted prior never outweighs all the data.
* ``method="bayes"`` (default): the marginal likelihood times weakly informative hyperpriors
  ``logit(mu) ~ Normal(0, 1.5)``, ``log(kappa) ~ Normal(log 30, 1.5)`` is evaluated on a grid,
  and each ``p_g`` posterior is the resulting mixture of betas, so the uncertainty in ``mu`` and
  ``kappa`` is carried into every group's interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from inspect_audit._core.intervals import CI_PROB, wilson_interval
from inspect_audit.complaints._data import (DIMENSIONS, complaint_frame, explode_grounds, group_labels,
                                           inspection_frame, sort_key)

COLUMNS = ["dimension", "group", "statistic", "estimate", "ci_low", "ci_high", "n", "k", "method", "scale"]
#: Tables each dimension needs besides complaints.
NEEDS: dict[str, tuple[str, ...]] = {"lead_inspector": ("inspections",), "grade": ("inspections", "judgements"),
                                     "phase": ("inspections", "schools"), "region": ("inspections", "schools"),
                                     "fsm_quintile": ("inspections", "schools")}
HYPERPRIOR = {"logit_mu": (0.0, 1.5), "log_kappa": (float(np.log(30.0)), 1.5)}


def _bb_loglik(k: np.ndarray, n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Beta-binomial log marginal likelihood summed over groups (binomial coefficients dropped).

    ``a`` and ``b`` may be arrays of any shape; groups run along a new last axis.
    """
    a = np.asarray(a, dtype=float)[..., None]
    b = np.asarray(b, dtype=float)[..., None]
    return (special.betaln(a + k, b + n - k) - special.betaln(a, b)).sum(axis=-1)


@dataclass
class BetaBinomialFit:
    """Hyperparameters of a fitted beta-binomial model and the posterior of each group's rate.

    Attributes
    ----------
    method : str
        ``"eb"`` or ``"bayes"``.
    mu, kappa : float
        Typical rate and prior sample size (EB: maximum marginal likelihood; bayes: posterior means
        of ``mu`` and of ``log kappa``, exponentiated).
    mu_ci : tuple of float
        Interval for ``mu`` (bayes: posterior; eb: profile-free Wald interval on the logit scale).
    estimate, ci_low, ci_high : ndarray
        Posterior mean and equal-tailed interval of each group's rate.
    shrinkage : ndarray
        Weight on the prior mean, ``kappa / (kappa + n_g)`` (EB plug-in).
    """

    method: str
    mu: float
    kappa: float
    mu_ci: tuple[float, float]
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    shrinkage: np.ndarray


def _fit_eb(k: np.ndarray, n: np.ndarray, kappa_max: float) -> tuple[float, float, tuple[float, float]]:
    total_k, total_n = k.sum(), n.sum()
    p0 = np.clip((total_k + 0.5) / (total_n + 1.0), 1e-4, 1 - 1e-4)

    def nll(theta: np.ndarray) -> float:
        mu, kappa = special.expit(theta[0]), np.exp(theta[1])
        return -float(_bb_loglik(k, n, mu * kappa, (1 - mu) * kappa))

    lo_k, hi_k = np.log(0.05), np.log(kappa_max)
    # coarse grid for a starting point, then Nelder-Mead within the bounds
    lm = special.logit(p0) + np.linspace(-3, 3, 31)
    lk = np.linspace(lo_k, hi_k, 31)
    LM, LK = np.meshgrid(lm, lk, indexing="ij")
    ll = _bb_loglik(k, n, special.expit(LM) * np.exp(LK), (1 - special.expit(LM)) * np.exp(LK))
    i, j = np.unravel_index(np.argmax(ll), ll.shape)
    best = optimize.minimize(nll, x0=[lm[i], lk[j]], method="Nelder-Mead", bounds=[(-12, 12), (lo_k, hi_k)],
                             options={"xatol": 1e-6, "fatol": 1e-9})
    logit_mu, log_kappa = best.x
    # Wald interval for logit(mu) from the numerical curvature at the optimum (kappa held fixed)
    h = 1e-4
    f0 = nll(best.x)
    curv = (nll(best.x + [h, 0]) - 2 * f0 + nll(best.x - [h, 0])) / h**2
    z = stats.norm.ppf(0.5 + CI_PROB / 2)
    se = 1 / np.sqrt(curv) if curv > 0 else np.nan
    mu_ci = (float(special.expit(logit_mu - z * se)), float(special.expit(logit_mu + z * se)))
    return float(special.expit(logit_mu)), float(np.exp(log_kappa)), mu_ci


def _mixture_quantiles(q: float, weights: np.ndarray, a: np.ndarray, b: np.ndarray, iters: int = 24) -> np.ndarray:
    """Quantile ``q`` of mixtures of betas, one mixture per row: ``a``, ``b`` have shape (groups,
    components) and ``weights`` (components,). Vectorised bisection (to about 1e-12)."""
    lo = np.zeros(a.shape[0])
    hi = np.ones(a.shape[0])
    for _ in range(iters):
        mid = (lo + hi) / 2
        below = (special.betainc(a, b, mid[:, None]) * weights).sum(axis=1) < q
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    return (lo + hi) / 2


def fit_beta_binomial(k: Sequence[int] | np.ndarray, n: Sequence[int] | np.ndarray, method: str = "bayes",
                      ci_prob: float = CI_PROB, grid_size: int = 25) -> BetaBinomialFit:
    """Partially pool binomial rates across groups with a beta-binomial model.

    Parameters
    ----------
    k, n : array_like of int
        Successes (upheld) and trials (decided complaints) per group; groups with ``n = 0`` get
        the prior (their estimate is the typical rate).
    method : {"bayes", "eb"}
        Grid posterior over the hyperparameters (default) or empirical Bayes (maximum marginal
        likelihood, plug-in). See the module docstring.
    ci_prob : float
        Coverage of the equal-tailed posterior intervals.
    grid_size : int
        Points per hyperparameter axis for ``method="bayes"``.

    Returns
    -------
    BetaBinomialFit
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("need 0 <= k <= n in every group")
    if n.sum() == 0:
        nan = np.full(k.shape, np.nan)
        return BetaBinomialFit(method, np.nan, np.nan, (np.nan, np.nan), nan, nan, nan, nan)
    kappa_max = max(float(n.sum()), 1.0)
    tail = (1 - ci_prob) / 2
    if method == "eb":
        mu_eb, kappa_eb, mu_ci_eb = _fit_eb(k, n, kappa_max)
        shrink = kappa_eb / (kappa_eb + n)
        a, b = mu_eb * kappa_eb + k, (1 - mu_eb) * kappa_eb + n - k
        return BetaBinomialFit("eb", mu_eb, kappa_eb, mu_ci_eb, a / (a + b), stats.beta.ppf(tail, a, b),
                               stats.beta.ppf(1 - tail, a, b), shrink)
    if method != "bayes":
        raise ValueError(f"method must be 'bayes' or 'eb', not {method!r}")
    # grid over (logit mu, log kappa), centred on the EB fit for logit mu
    p0 = np.clip((k.sum() + 0.5) / (n.sum() + 1.0), 1e-4, 1 - 1e-4)
    sd_mu = np.sqrt(1 / (n.sum() * p0 * (1 - p0) + 1e-9))
    lm = special.logit(p0) + np.linspace(-1, 1, grid_size) * max(6 * sd_mu, 1.0)
    lm = np.clip(lm, -12, 12)
    lk = np.linspace(np.log(0.1), np.log(max(1e4, 10 * kappa_max)), grid_size)
    LM, LK = np.meshgrid(lm, lk, indexing="ij")
    mu, kappa = special.expit(LM), np.exp(LK)
    logpost = (_bb_loglik(k, n, mu * kappa, (1 - mu) * kappa)
               + stats.norm.logpdf(LM, *HYPERPRIOR["logit_mu"]) + stats.norm.logpdf(LK, *HYPERPRIOR["log_kappa"]))
    w = np.exp(logpost - logpost.max())
    w /= w.sum()
    # keep the heaviest grid points holding 99.95% of the posterior mass (speed; error < 0.0005)
    order = np.argsort(w, axis=None)[::-1]
    n_keep = int(np.searchsorted(np.cumsum(w.ravel()[order]), 0.9995)) + 1
    keep = order[:n_keep]
    w_, mu_, kap_ = w.ravel()[keep] / w.ravel()[keep].sum(), mu.ravel()[keep], kappa.ravel()[keep]
    pairs, inverse = np.unique(np.column_stack([k, n]), axis=0, return_inverse=True)  # same (k, n), same posterior
    a = (mu_ * kap_)[None, :] + pairs[:, :1]
    b = ((1 - mu_) * kap_)[None, :] + (pairs[:, 1:] - pairs[:, :1])
    est = (w_ * a / (a + b)).sum(axis=1)[inverse.ravel()]
    low = _mixture_quantiles(tail, w_, a, b)[inverse.ravel()]
    high = _mixture_quantiles(1 - tail, w_, a, b)[inverse.ravel()]
    mu_post = float((w_ * mu_).sum())
    # interval for mu: marginal posterior of logit(mu) on the grid, CDF interpolated between cell midpoints
    marginal = w.sum(axis=1)
    cdf = np.cumsum(marginal) - marginal / 2
    mu_ci = (float(special.expit(np.interp(tail, cdf, lm))), float(special.expit(np.interp(1 - tail, cdf, lm))))
    kappa_post = float(np.exp((w_ * np.log(kap_)).sum()))
    return BetaBinomialFit("bayes", mu_post, kappa_post, mu_ci, est, low, high, kappa_post / (kappa_post + n))


def _as_dimensions(by: str | Iterable[str] | None) -> list[str]:
    if by is None:
        return list(DIMENSIONS)
    dims = [by] if isinstance(by, str) else list(by)
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s) {unknown}; choose from {list(DIMENSIONS)}")
    return dims


def _counts(frame: pd.DataFrame, dimension: str, flag: str) -> pd.DataFrame:
    col = DIMENSIONS[dimension]
    labels = group_labels(frame[col])
    counts = (frame.assign(_g=labels, _f=frame[flag].astype(float))
              .groupby("_g")["_f"].agg(["sum", "size"]).rename(columns={"sum": "k", "size": "n"}))
    counts = counts.reset_index().rename(columns={"_g": "group"})
    counts["k"] = counts["k"].astype(int)
    counts = counts.iloc[np.argsort(sort_key(dimension, counts["group"]).to_numpy(), kind="stable")]
    return counts.reset_index(drop=True)


def _rate_rows(counts: pd.DataFrame, dimension: str, ci_prob: float, pooled: str | None,
               scale: str = "") -> tuple[pd.DataFrame, dict]:
    counts = counts.assign(scale=scale)
    k, n = counts["k"].to_numpy(), counts["n"].to_numpy()
    low, high = wilson_interval(k, n, ci_prob)
    raw = counts.assign(dimension=dimension, statistic="raw_rate", estimate=k / np.where(n > 0, n, np.nan),
                        ci_low=low, ci_high=high, method=f"observed share, Wilson score interval {ci_prob:.0%}")
    if pooled is None:
        return raw[COLUMNS], {}
    fit = fit_beta_binomial(k, n, method=pooled, ci_prob=ci_prob)
    label = ("beta-binomial, grid posterior over hyperparameters" if fit.method == "bayes"
             else "beta-binomial, empirical Bayes")
    pool = counts.assign(dimension=dimension, statistic="pooled_rate", estimate=fit.estimate, ci_low=fit.ci_low,
                         ci_high=fit.ci_high, method=f"{label}, posterior {ci_prob:.0%} interval")
    hyper = {"method": fit.method, "mu": fit.mu, "mu_ci_low": fit.mu_ci[0], "mu_ci_high": fit.mu_ci[1],
             "kappa": fit.kappa, "n_groups": int(len(counts))}
    return pd.concat([raw[COLUMNS], pool[COLUMNS]], ignore_index=True), hyper


def _scale_parts(frame: pd.DataFrame, dimension: str) -> list[tuple[str, pd.DataFrame]]:
    """The rows to analyse together: for ``grade``, one part per grade scale (legacy grades and report-card
    grades are never pooled or compared in one fit; inspections without a grade form their own part),
    otherwise all rows."""
    if dimension != "grade":
        return [("", frame)]
    scale = frame["grade_scale"].astype("string")
    parts = [(str(s), frame[scale == s]) for s in dict.fromkeys(scale.dropna())]
    if scale.isna().any():
        parts.append(("", frame[scale.isna()]))
    return parts


def upheld_rates(complaints: pd.DataFrame, inspections: pd.DataFrame | None = None,
                 judgements: pd.DataFrame | None = None, schools: pd.DataFrame | None = None,
                 by: str | Iterable[str] | None = None, method: str = "bayes",
                 ci_prob: float = CI_PROB, area: str | None = None) -> pd.DataFrame:
    """Share of decided complaints upheld or partially upheld, by group, raw and partially pooled.

    Decided complaints are those with outcome upheld, partially_upheld or not_upheld (open and
    withdrawn complaints are left out). Grounds are a ';'-separated list: a complaint counts once in
    each of its grounds, so ground groups overlap.

    Parameters
    ----------
    complaints, inspections, judgements, schools : DataFrame
        Tables following the schemas in ``data_schemas/``. Only ``complaints`` is needed for the
        ``stage`` and ``ground`` dimensions and for ``overall``; ``inspections`` for
        ``lead_inspector``; ``judgements`` for ``grade``; ``schools`` for ``phase``, ``region`` and
        ``fsm_quintile``.
    by : str or list of str, optional
        Dimensions among ``stage, ground, grade, phase, region, fsm_quintile, lead_inspector``
        (default all whose tables are given). An ``overall`` row is always included.
    method : {"bayes", "eb"}
        Pooling method (see :func:`fit_beta_binomial`).
    ci_prob : float
        Interval coverage (default 90%).
    area : str, optional
        The grade of the ``grade`` dimension: default each inspection's headline grade on its own scale
        (overall effectiveness; for report cards, which have none, the lowest area grade); or one area.
        Grades on different scales (legacy and report card) are pooled and reported separately.

    Returns
    -------
    DataFrame
        Tidy: one row per (dimension, group, statistic) with columns ``dimension, group, statistic
        (raw_rate | pooled_rate), estimate, ci_low, ci_high, n`` (decided complaints), ``k``
        (upheld or partially upheld), ``method`` and ``scale`` (the grade scale of a ``grade`` row, e.g.
        ``legacy_4`` or ``report_card_5``; empty otherwise). ``attrs["hyperparameters"]`` holds the fitted
        ``mu`` and ``kappa`` per dimension (per dimension and scale for ``grade``: ``grade:report_card_5``).

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.complaints import upheld_rates
    >>> data = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1)
    >>> rates = upheld_rates(data.complaints, by="stage")
    >>> rates[["dimension", "group", "statistic", "estimate", "ci_low", "ci_high", "n"]].round(2)
      dimension            group    statistic  estimate  ci_low  ci_high   n
    0   overall              all     raw_rate      0.23    0.12     0.40  22
    1     stage         informal     raw_rate      0.25    0.06     0.64   4
    2     stage           formal     raw_rate      0.18    0.07     0.37  17
    3     stage  internal_review     raw_rate      1.00    0.27     1.00   1
    4     stage         informal  pooled_rate      0.28    0.10     0.50   4
    5     stage           formal  pooled_rate      0.24    0.10     0.40  17
    6     stage  internal_review  pooled_rate      0.33    0.12     0.67   1
    """
    given = {"complaints": complaints, "inspections": inspections, "judgements": judgements, "schools": schools}
    available = [d for d in DIMENSIONS if all(given[t] is not None for t in NEEDS.get(d, ()))]
    if by is None:
        dims = available
    else:
        dims = _as_dimensions(by)
        missing = {d: [t for t in NEEDS[d] if given[t] is None] for d in dims if d not in available}
        if missing:
            raise ValueError(f"tables needed but not given: {missing}")
    frame = complaint_frame(complaints, inspections, judgements, schools, area)
    decided = frame[frame["decided"]].copy()
    decided["upheld"] = decided["upheld"].astype(bool)
    if "grade" in decided:
        decided["grade"] = decided["grade_label"]
    k, n = int(decided["upheld"].sum()), len(decided)
    low, high = wilson_interval(k, n, ci_prob)
    parts = [pd.DataFrame([{"dimension": "overall", "group": "all", "statistic": "raw_rate",
                            "estimate": k / n if n else np.nan, "ci_low": low[0], "ci_high": high[0], "n": n,
                            "k": k, "method": f"observed share, Wilson score interval {ci_prob:.0%}", "scale": ""}])]
    hyper: dict[str, dict] = {}
    for dim in dims:
        source = explode_grounds(decided) if dim == "ground" else decided
        if DIMENSIONS[dim] not in source:
            raise ValueError(f"dimension {dim!r} needs column {DIMENSIONS[dim]!r}: pass the table that holds it")
        for scale, part in _scale_parts(source, dim):
            rows, fitted = _rate_rows(_counts(part, dim, "upheld"), dim, ci_prob, method, scale)
            hyper[f"{dim}:{scale}" if scale else dim] = fitted
            parts.append(rows)
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].astype(int)
    out["k"] = out["k"].astype(int)
    out.attrs["hyperparameters"] = hyper
    return out


def complaint_rates(complaints: pd.DataFrame, inspections: pd.DataFrame, judgements: pd.DataFrame | None = None,
                    schools: pd.DataFrame | None = None, by: str | Iterable[str] = "grade",
                    ci_prob: float = CI_PROB, area: str | None = None) -> pd.DataFrame:
    """Share of inspections with at least one complaint, by group, with Wilson intervals.

    Parameters
    ----------
    complaints, inspections, judgements, schools : DataFrame
        Schema tables; ``judgements`` is needed for ``grade``, ``schools`` for school context.
    by : str or list of str
        Dimensions among ``grade, phase, region, fsm_quintile, lead_inspector`` (default ``grade``).
    ci_prob : float
        Interval coverage.
    area : str, optional
        As in :func:`upheld_rates`: by default each inspection's headline grade on its own scale (report
        cards: the lowest area grade); legacy and report-card grades are reported separately (``scale``).

    Returns
    -------
    DataFrame
        Tidy rows ``dimension, group, statistic (complaint_rate), estimate, ci_low, ci_high, n``
        (inspections), ``k`` (inspections complained about), ``method``, ``scale`` (of ``grade`` rows).
        ``attrs["count_column"]``
        is ``"k"``, so :func:`suppress` blanks groups with fewer than ``min_n`` complaints.

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.complaints import complaint_rates
    >>> data = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1)
    >>> rates = complaint_rates(data.complaints, data.inspections, data.judgements, by="grade")
    >>> rates[["group", "estimate", "ci_low", "ci_high", "n", "k"]].round(3)
                        group  estimate  ci_low  ci_high    n   k
    0           1 Outstanding     0.000   0.000    0.047   55   0
    1                  2 Good     0.038   0.024    0.061  313  12
    2  3 Requires improvement     0.290   0.177    0.437   31   9
    3            4 Inadequate     0.429   0.186    0.711    7   3
    """
    dims = _as_dimensions(by)
    bad = [d for d in dims if d in ("stage", "ground")]
    if bad:
        raise ValueError(f"{bad} describe complaints, not inspections")
    frame = inspection_frame(inspections, judgements, schools, area)
    ids = set(complaints["inspection_id"].astype(str))
    frame["complained"] = frame["inspection_id"].isin(ids)
    frame["grade"] = frame["grade_label"]
    parts = []
    for dim in dims:
        for scale, part in _scale_parts(frame, dim):
            rows, _ = _rate_rows(_counts(part, dim, "complained"), dim, ci_prob, None, scale)
            parts.append(rows.assign(statistic="complaint_rate"))
    out = pd.concat(parts, ignore_index=True)
    out["n"] = out["n"].astype(int)
    out["k"] = out["k"].astype(int)
    out.attrs["count_column"] = "k"  # suppression counts complaints, not inspections
    return out
