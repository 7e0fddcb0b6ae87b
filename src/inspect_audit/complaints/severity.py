"""Do complaints, and upheld complaints, rise with the lead inspector's severity?

Two logistic regressions, each fitted once per posterior draw of the inspectors' severities:

* **complaint**: one row per inspection, outcome "at least one complaint",
  ``logit P = a + b_grade[grade awarded] + slope * severity`` (grade terms only when judgements
  are given; without them the slope also carries the route severity -> worse grade -> complaint).
* **upheld**: one row per decided complaint, outcome "upheld or partially upheld",
  ``logit P = a + slope * severity``.

Severity is on the inspector model's logit scale (positive = harsher). It is not known, only
estimated, so the slope is re-estimated for every draw (or an evenly spaced subset of draws) and
the results are combined: from each draw's fit ``n_sampling`` values are drawn from its normal
sampling distribution, and the interval is taken over all of them (a mixture of the per-draw
sampling distributions, so both sampling error and severity uncertainty widen it).
Rubin's rules (total variance = mean within-draw variance + (1 + 1/D) x between-draw variance) are
reported beside it as a check.

A draw is a noisy version of the inspector's severity, and a noisy covariate flattens a slope
(regression dilution). By default each draw's slope is divided by that draw's reliability ratio
(:func:`reliability_ratios`), which recovers the slope on the true severity (regression
calibration); ``correct_attenuation=False`` turns this off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats

from inspect_audit._core.intervals import CI_PROB, percentile_interval
from inspect_audit.complaints._data import complaint_frame, inspection_frame

RIDGE_SD = 10.0


def fit_logistic(X: np.ndarray, y: np.ndarray, prior_sd: float = RIDGE_SD, max_iter: int = 50,
                 tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Logistic regression by Newton-Raphson with a weak normal prior on the non-intercept terms.

    The prior (``Normal(0, prior_sd)``, default SD 10 on the logit scale) only matters under
    separation (e.g. a grade with no complaints) and keeps the fit finite there.

    Parameters
    ----------
    X : ndarray, shape (n, p)
        Design matrix; column 0 is the intercept (not penalised).
    y : ndarray, shape (n,)
        0/1 outcome.
    prior_sd : float
        Prior SD of the non-intercept coefficients.
    max_iter, tol : int, float
        Newton iterations and convergence tolerance on the coefficient change.

    Returns
    -------
    (beta, cov) : ndarray, ndarray
        Posterior mode and inverse Hessian (the approximate sampling covariance).
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    p = X.shape[1]
    penalty = np.full(p, 1 / prior_sd**2)
    penalty[0] = 0.0
    mean = y.mean() if len(y) else 0.5
    beta = np.zeros(p)
    beta[0] = np.log((mean + 0.5 / max(len(y), 1)) / (1 - mean + 0.5 / max(len(y), 1)))

    def objective(b: np.ndarray) -> float:
        eta = X @ b
        return float((y * eta).sum() - np.logaddexp(0, eta).sum() - 0.5 * (penalty * b**2).sum())

    current = objective(beta)
    for _ in range(max_iter):
        mu = special.expit(X @ beta)
        grad = X.T @ (y - mu) - penalty * beta
        hess = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:  # step halving keeps every iteration an ascent step
            new = objective(beta + t * step)
            if new >= current - 1e-12 or t < 1e-6:
                break
            t /= 2
        beta, current = beta + t * step, new
        if np.max(np.abs(t * step)) < tol:
            break
    mu = special.expit(X @ beta)
    hess = (X * (mu * (1 - mu))[:, None]).T @ X + np.diag(penalty)
    return beta, np.linalg.inv(hess)


def _select_draws(draws: pd.DataFrame, max_draws: int | None) -> pd.DataFrame:
    if max_draws is None or draws.shape[1] <= max_draws:
        return draws
    idx = np.unique(np.linspace(0, draws.shape[1] - 1, max_draws).round().astype(int))
    return draws.iloc[:, idx]


def _combine(slopes: np.ndarray, ses: np.ndarray, n_sampling: int, ci_prob: float,
             rng: np.random.Generator) -> dict:
    tail = (1 - ci_prob) / 2
    sims = rng.normal(slopes[:, None], ses[:, None], size=(len(slopes), n_sampling)).ravel()
    within = float(np.mean(ses**2))
    between = float(np.var(slopes, ddof=1)) if len(slopes) > 1 else 0.0
    total = within + (1 + 1 / len(slopes)) * between
    z = stats.norm.ppf(1 - tail)
    est = float(np.mean(slopes))
    low, high = percentile_interval(sims, ci_prob)
    return {"estimate": est, "ci_low": low, "ci_high": high,
            "se_sampling": float(np.sqrt(within)), "sd_between_draws": float(np.sqrt(between)),
            "rubin_ci_low": est - z * np.sqrt(total), "rubin_ci_high": est + z * np.sqrt(total)}


def reliability_ratios(sev: np.ndarray, X0: np.ndarray) -> np.ndarray:
    """Share of each draw's variance that is signal: lambda_d = cov(m, s_d | X0) / var(s_d | X0).

    ``m`` is the mean over draws (the posterior mean severity). With ``s = m + u`` (truth) and
    ``s_d = m + e_d`` (draw), regressing on ``s_d`` attenuates the slope by about ``lambda_d``
    (regression calibration; exact for a linear model, a close approximation for a logistic one
    with modest slopes). Both variables are first residualised on the other covariates ``X0``.

    Parameters
    ----------
    sev : ndarray, shape (rows, draws)
        Severity of each row's inspector in each draw.
    X0 : ndarray, shape (rows, p)
        Other covariates (with intercept).

    Returns
    -------
    ndarray, shape (draws,)
        Ratios in (0, 1]; all 1 for a single draw.
    """
    if sev.shape[1] < 2:
        return np.ones(sev.shape[1])
    proj = X0 @ np.linalg.lstsq(X0, sev, rcond=None)[0]
    res = sev - proj
    m = res.mean(axis=1)
    var = (res**2).mean(axis=0) - res.mean(axis=0) ** 2
    cov = (res * m[:, None]).mean(axis=0) - res.mean(axis=0) * m.mean()
    lam = np.where(var > 0, cov / np.where(var > 0, var, 1), 1.0)
    return np.clip(lam, 1e-3, 1.0)


def _has_draws(ids: pd.Series, draws: pd.DataFrame) -> pd.Series:
    """True where the inspector has a complete set of draws."""
    complete = draws.notna().all(axis=1)
    return ids.map(complete).fillna(False).astype(bool)


def _design(frame: pd.DataFrame, adjust_grade: bool) -> tuple[np.ndarray, list[str]]:
    cols = [np.ones(len(frame))]
    names = ["intercept"]
    if adjust_grade:  # one term per grade of each scale: legacy Good and report-card Strong standard differ
        grades = frame["grade_scale"].astype(str) + ": " + frame["grade_label"].astype(str)
        ref = grades.value_counts().idxmax()
        for g in sorted(grades.unique()):
            if g != ref:
                cols.append((grades == g).to_numpy(dtype=float))
                names.append(f"grade_{g}")
    return np.column_stack(cols), names


def complaints_vs_severity(complaints: pd.DataFrame, inspections: pd.DataFrame, severity_draws: pd.DataFrame,
                           judgements: pd.DataFrame | None = None, *, max_draws: int | None = 200,
                           n_sampling: int = 20, ci_prob: float = CI_PROB, seed: int = 0,
                           correct_attenuation: bool = True) -> pd.DataFrame:
    """Slope of complaint and upheld log-odds on lead-inspector severity, over posterior draws.

    Parameters
    ----------
    complaints, inspections : DataFrame
        Schema tables.
    severity_draws : DataFrame
        Index ``inspector_id``, one column per posterior draw of severity (logit scale, positive =
        harsher). A single column is allowed (a point estimate: only sampling error is then
        reflected).
    judgements : DataFrame, optional
        If given, the complaint model adjusts for the grade awarded (recommended: the simulator's
        ``complaint_severity_slope`` is the slope at a given grade): overall effectiveness, or for report
        cards the lowest area grade, one term per grade of each scale (never legacy and report-card grades as
        one).
    max_draws : int or None
        Use at most this many draws (evenly spaced); None uses all.
    n_sampling : int
        Values drawn from each draw's sampling distribution when combining.
    ci_prob : float
        Interval coverage (default 90%).
    seed : int
        Seed for the sampling-distribution draws.
    correct_attenuation : bool
        Divide each draw's slope (and standard error) by that draw's reliability ratio (see
        :func:`reliability_ratios`), so the slope refers to the true severity rather than to a noisy
        draw of it (default True). With False the per-draw slopes are combined as they are and are
        biased towards zero by the severity uncertainty.

    Returns
    -------
    DataFrame
        Rows ``outcome`` in {complaint, upheld} x ``statistic`` in {slope, odds_ratio} with
        ``estimate, ci_low, ci_high`` (mixture interval), ``n`` (inspections, or decided complaints),
        ``k`` (with a complaint, or upheld), ``n_draws``, ``se_sampling`` (root mean within-draw
        variance), ``sd_between_draws``, ``rubin_ci_low, rubin_ci_high``, ``reliability`` (mean
        reliability ratio of the draws; 1 = no correction), ``adjusted_for``, ``method``.
        ``attrs["n_dropped"]`` counts rows whose lead inspector has no draws (or, when
        adjusting, no grade).

    Notes
    -----
    Regressing on a *draw* of an estimated severity, rather than the true one, attenuates the slope
    towards zero (errors in variables) by about var(posterior mean) / var(draw). Fitting per draw and
    averaging does not remove this (each draw is as noisy as any other), so by default every draw's
    slope is divided by its reliability ratio (regression calibration). The correction assumes the
    draws are posterior draws from a model that did not use the complaints (so the draw's deviation
    from the posterior mean is unrelated to the outcome).
    """
    draws = severity_draws.copy()
    draws.index = draws.index.astype(str)
    draws = _select_draws(draws.apply(pd.to_numeric, errors="coerce"), max_draws)
    if draws.shape[1] == 0:
        raise ValueError("severity_draws has no columns")
    rng = np.random.default_rng(seed)
    adjust = judgements is not None

    insp = inspection_frame(inspections, judgements)
    insp["lead_inspector_id"] = insp["lead_inspector_id"].astype(str)
    insp["complained"] = insp["inspection_id"].isin(set(complaints["inspection_id"].astype(str)))
    ok = _has_draws(insp["lead_inspector_id"], draws)
    if adjust:
        ok &= insp["grade"].notna()
    dropped = {"complaint": int((~ok).sum())}
    insp = insp[ok].reset_index(drop=True)

    comp = complaint_frame(complaints, inspections)
    comp = comp[comp["decided"]].copy()
    comp["lead_inspector_id"] = comp["lead_inspector_id"].astype(str)
    ok_c = _has_draws(comp["lead_inspector_id"], draws)
    dropped["upheld"] = int((~ok_c).sum())
    comp = comp[ok_c].reset_index(drop=True)

    specs = [("complaint", insp, insp["complained"].to_numpy(dtype=float), adjust,
              "grade awarded" if adjust else "nothing"),
             ("upheld", comp, comp["upheld"].astype(bool).to_numpy(dtype=float), False, "nothing")]
    rows = []
    for outcome, frame, y, adj, adjusted_for in specs:
        base = {"outcome": outcome, "n": int(len(frame)), "k": int(y.sum()), "n_draws": int(draws.shape[1]),
                "adjusted_for": adjusted_for}
        if len(frame) == 0 or y.sum() in (0, len(y)):
            rows += [{**base, "statistic": s, "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan}
                     for s in ("slope", "odds_ratio")]
            continue
        X0, _ = _design(frame, adj)
        sev = draws.reindex(frame["lead_inspector_id"]).to_numpy(dtype=float)  # rows x draws
        lam = reliability_ratios(sev, X0) if correct_attenuation else np.ones(sev.shape[1])
        slopes, ses = np.empty(sev.shape[1]), np.empty(sev.shape[1])
        for d in range(sev.shape[1]):
            beta, cov = fit_logistic(np.column_stack([X0, sev[:, d]]), y)
            slopes[d], ses[d] = beta[-1] / lam[d], np.sqrt(cov[-1, -1]) / lam[d]
        res = _combine(slopes, ses, n_sampling, ci_prob, rng)
        corrected = ", divided by its reliability ratio" if correct_attenuation else ""
        method = (f"logistic regression per severity draw{corrected}; "
                  f"{ci_prob:.0%} interval over {n_sampling} sampling-distribution values per draw")
        res_rel = float(np.mean(lam))
        rows.append({**base, "statistic": "slope", **res, "reliability": res_rel, "method": method})
        rows.append({**base, "statistic": "odds_ratio", **{k: float(np.exp(v)) for k, v in res.items()
                                                          if k in ("estimate", "ci_low", "ci_high",
                                                                   "rubin_ci_low", "rubin_ci_high")},
                     "se_sampling": np.nan, "sd_between_draws": np.nan, "reliability": res_rel,
                     "method": "exp(slope): odds multiplier per logit of severity; estimate = exp(mean slope)"})
    cols = ["outcome", "statistic", "estimate", "ci_low", "ci_high", "n", "k", "n_draws", "se_sampling",
            "sd_between_draws", "rubin_ci_low", "rubin_ci_high", "reliability", "adjusted_for", "method"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out.attrs["n_dropped"] = dropped
    return out


def truth_severity_draws(inspectors_truth: list[dict], noise_sd: float = 0.1, n_draws: int = 100,
                         seed: int = 0) -> pd.DataFrame:
    """Stand-in posterior draws for simulated data: true severity plus normal noise.

    Parameters
    ----------
    inspectors_truth : list of dict
        ``simulate(...).truth["inspectors"]`` (each with ``inspector_id`` and ``severity``).
    noise_sd : float
        SD of the noise added to each draw (mimics posterior uncertainty).
    n_draws : int
        Number of draws.
    seed : int
        Random seed.

    Returns
    -------
    DataFrame
        Index ``inspector_id``, columns ``draw_0 ..``.
    """
    rng = np.random.default_rng(seed)
    ids = [r["inspector_id"] for r in inspectors_truth]
    sev = np.array([r["severity"] for r in inspectors_truth], dtype=float)
    values = sev[:, None] + rng.normal(0, noise_sd, size=(len(ids), n_draws))
    return pd.DataFrame(values, index=pd.Index(ids, name="inspector_id"),
                        columns=[f"draw_{i}" for i in range(n_draws)])
