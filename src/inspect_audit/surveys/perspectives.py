"""Do staff, pupils, parents and inspectors see the same school?

School-level scores (one row per school: its latest surveyed wave, gate passed) are
correlated with each other and with the school's latest inspection grade, and each
school's stakeholder score is compared with what its grade predicts (divergence).

The inspection grade is turned into an **inspection rating** where higher is better
(``min_code + max_code - grade``: on the 1-4 scale, 4 = Outstanding ... 1 = Inadequate),
so that a positive correlation always means "the two views agree".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inspect_audit._core.grades import area_grades
from inspect_audit._core.intervals import CI_PROB
from inspect_audit.surveys._stats import correlation, z_value
from inspect_audit.surveys.scoring import COMPOSITE, DEFAULT_MIN_RESPONSES

RATING = "inspection_rating"
CORR_COLUMNS = ["x", "y", "method", "estimate", "ci_low", "ci_high", "n"]
DIVERGENCE_COLUMNS = ["urn", "wave", "respondent_group", "dimension", "grade", RATING, "score", "predicted",
                      "statistic", "estimate", "ci_low", "ci_high", "n", "direction"]


def latest_grades(tables: dict[str, pd.DataFrame], area: str = "overall_effectiveness",
                  frameworks: list[str] | tuple[str, ...] | None = None) -> pd.DataFrame:
    """Each school's latest grade on ``area`` and the inspection rating (higher = better), on one scale.

    Parameters
    ----------
    tables : dict of DataFrame
        Needs ``judgements`` and ``inspections`` (``schools`` optional).
    area : str
        Judgement area: overall effectiveness (legacy grades; report cards have none) or a report-card area
        such as ``achievement`` (five-point scale).
    frameworks : sequence of str, optional
        Inspection frameworks to keep. An area that frameworks grade on different scales (early years:
        legacy and report card) is refused with :class:`~inspect_audit._core.grades.MixedScalesError` unless
        ``frameworks`` picks one scale.

    Returns
    -------
    DataFrame
        ``urn, inspection_id, start_date, grade, inspection_rating, grade_label, scale`` (labels from the
        scale's own levels in ``scales.json``).

    Examples
    --------
    >>> from inspect_audit.data.bundled import load_england
    >>> g = latest_grades(load_england(), "achievement")
    >>> g["scale"].iloc[0], sorted(g["grade_label"].unique())[:2]
    ('report_card_5', ['Exceptional', 'Expected standard'])
    """
    grades, scale = area_grades({k: v for k, v in tables.items() if k in ("judgements", "inspections")}, area,
                                list(frameworks) if frameworks else None)
    grades = grades.dropna(subset=["grade"]).sort_values(["urn", "start_date", "inspection_id"])
    grades = grades.drop_duplicates("urn", keep="last")
    codes = [int(c) for c in scale.codes]
    out = grades[["urn", "inspection_id", "start_date"]].copy()
    out["urn"] = out["urn"].astype(str)
    out["grade"] = grades["grade"].astype(int).to_numpy()
    out[RATING] = min(codes) + max(codes) - out["grade"]
    out["grade_label"] = [scale.label(int(g)) for g in out["grade"]]
    out["scale"] = scale.name
    return out.reset_index(drop=True)


def parent_scores(aggregates: pd.DataFrame, min_responses: int = DEFAULT_MIN_RESPONSES,
                  ci_prob: float = CI_PROB) -> pd.DataFrame:
    """School scores (same columns as :func:`~inspect_audit.surveys.scoring.school_scores`) from
    published aggregates such as Parent View.

    The parent score is the mean % positive over the questions the school has, on a
    0-100 scale; ``n`` is the school's largest number of responses to a question; the
    standard error treats the score as one binomial proportion of ``n`` parents
    (``sqrt(p (1 - p) / n)``), a rough guide only since item-level data are not published.
    """
    agg = aggregates.copy()
    agg["urn"] = agg["urn"].astype(str)
    agg["wave"] = agg["wave"].astype(str)
    agg["respondent_group"] = agg["respondent_group"].astype(str)
    agg["pct_positive"] = agg["pct_positive"].astype(float)
    agg["n_responses"] = agg["n_responses"].astype(float)
    g = agg.groupby(["urn", "wave", "respondent_group"], sort=True)
    out = g.agg(estimate=("pct_positive", "mean"), n=("n_responses", "max")).reset_index()
    out["dimension"] = COMPOSITE
    p = (out["estimate"] / 100).clip(0.005, 0.995)
    out["n"] = out["n"].fillna(0).astype(int)
    out["se"] = 100 * np.sqrt(p * (1 - p) / out["n"].clip(lower=1))
    out["sd"] = out["se"] * np.sqrt(out["n"])
    q = z_value(ci_prob)
    out["ci_low"] = out["estimate"] - q * out["se"]
    out["ci_high"] = out["estimate"] + q * out["se"]
    out["withheld"] = out["n"] < min_responses
    out.loc[out["withheld"], ["estimate", "ci_low", "ci_high", "se", "sd"]] = np.nan
    return out[["urn", "wave", "respondent_group", "dimension", "estimate", "ci_low", "ci_high", "n", "sd", "se",
                "withheld"]]


def latest_scores(school_scores: pd.DataFrame) -> pd.DataFrame:
    """Keep each school's latest wave per group and dimension, dropping withheld rows."""
    ok = school_scores[~school_scores["withheld"].astype(bool)]
    ok = ok.sort_values(["urn", "respondent_group", "dimension", "wave"])
    return ok.drop_duplicates(["urn", "respondent_group", "dimension"], keep="last")


def school_table(school_scores: pd.DataFrame, grades: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per school: a column ``group:dimension`` per score (latest wave, gate passed) and
    the inspection grade and rating when ``grades`` is given."""
    latest = latest_scores(school_scores)
    wide = latest.pivot_table(index="urn", columns=["respondent_group", "dimension"], values="estimate")
    wide.columns = [f"{g}:{d}" for g, d in wide.columns]
    wide = wide.reset_index()
    if grades is not None:
        wide = wide.merge(grades[["urn", "grade", RATING]], on="urn", how="left")
    return wide


def perspective_correlations(school_scores: pd.DataFrame, grades: pd.DataFrame,
                             ci_prob: float = CI_PROB, dimensions: bool = True) -> pd.DataFrame:
    """Spearman and Pearson correlations between perspectives, with Fisher-z intervals.

    Pairs: every two groups' composites; each group's composite against the inspection
    rating; and, if ``dimensions``, each dimension against the rating and every pair of
    dimensions from different groups (e.g. ``staff:listened_to`` vs ``pupil:responsive``).
    Only schools passing the gate on both sides enter a pair; ``n`` = schools.

    Returns
    -------
    DataFrame
        ``x, y, method, estimate, ci_low, ci_high, n``.
    """
    wide = school_table(school_scores, grades)
    cols = [c for c in wide.columns if ":" in c]
    composites = [c for c in cols if c.endswith(f":{COMPOSITE}")]
    pairs = [(a, b) for i, a in enumerate(composites) for b in composites[i + 1:]]
    targets = cols if dimensions else composites
    pairs += [(c, RATING) for c in targets]
    if dimensions:
        dims = [c for c in cols if c not in composites]
        pairs += [(a, b) for i, a in enumerate(dims) for b in dims[i + 1:]
                  if a.split(":")[0] != b.split(":")[0]]
    rows = []
    for x, y in pairs:
        for method in ("spearman", "pearson"):
            rows.append({"x": x, "y": y, "method": method,
                         **correlation(wide[x].to_numpy(float), wide[y].to_numpy(float), method, ci_prob)})
    return pd.DataFrame(rows, columns=CORR_COLUMNS)


def divergence(school_scores: pd.DataFrame, grades: pd.DataFrame, group: str, dimension: str = COMPOSITE,
               threshold: float = 1.5, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Schools whose stakeholder score sits far above or below what their grade predicts.

    The school score ``y`` (latest wave, gate passed) is regressed on the inspection
    rating (ordinary least squares, linear).  The **standardised residual** is
    ``(y - yhat) / s`` with ``s`` the residual standard deviation; its interval is
    ``(y - yhat +/- z sqrt(se_y^2 + se_fit^2)) / s`` where ``se_y`` is the sampling error of
    the school's mean and ``se_fit`` that of the regression line at its rating.

    ``direction`` is ``"above"`` / ``"below"`` when the standardised residual is at least
    ``threshold`` in size **and** its interval excludes zero, else ``"in line"``.

    Returns
    -------
    DataFrame
        One row per school with ``estimate`` = standardised residual, ``ci_low``, ``ci_high``,
        ``n`` (respondents), the score, the prediction and ``direction``.
    """
    latest = latest_scores(school_scores)
    part = latest[(latest["respondent_group"] == group) & (latest["dimension"] == dimension)]
    part = part.merge(grades[["urn", "grade", RATING]], on="urn", how="inner")
    part = part[np.isfinite(part["estimate"].to_numpy(float))]
    if len(part) < 4:
        return pd.DataFrame(columns=DIVERGENCE_COLUMNS)
    x = part[RATING].to_numpy(float)
    y = part["estimate"].to_numpy(float)
    n = len(y)
    xbar = x.mean()
    sxx = ((x - xbar) ** 2).sum()
    slope = ((x - xbar) * (y - y.mean())).sum() / sxx if sxx > 0 else 0.0
    yhat = y.mean() + slope * (x - xbar)
    resid = y - yhat
    s = float(np.sqrt((resid**2).sum() / (n - 2)))
    se_fit = s * np.sqrt(1 / n + ((x - xbar) ** 2 / sxx if sxx > 0 else 0))
    se_y = part["se"].to_numpy(float)
    se = np.sqrt(np.nan_to_num(se_y) ** 2 + se_fit**2)
    q = z_value(ci_prob)
    z = resid / s
    lo, hi = (resid - q * se) / s, (resid + q * se) / s
    direction = np.where((z >= threshold) & (lo > 0), "above",
                         np.where((z <= -threshold) & (hi < 0), "below", "in line"))
    out = pd.DataFrame({"urn": part["urn"].to_numpy(), "wave": part["wave"].to_numpy(),
                        "respondent_group": group, "dimension": dimension, "grade": part["grade"].to_numpy(),
                        RATING: x, "score": y, "predicted": yhat, "statistic": "standardised_residual",
                        "estimate": z, "ci_low": lo, "ci_high": hi, "n": part["n"].to_numpy(int),
                        "direction": direction})
    return out.sort_values("estimate", ascending=False).reset_index(drop=True)
