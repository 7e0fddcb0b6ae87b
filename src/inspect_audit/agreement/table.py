"""The full agreement table: every coefficient with its interval, one row per statistic.

This is what ``inspect-audit agreement`` prints. Without a category list the ratings are continuous
scores: the table then gives Krippendorff's interval and ratio alpha
(:func:`~inspect_audit.agreement.coefficients.continuous_alpha`), the ICCs and Cronbach's alpha, and
one row naming the categorical coefficients it skipped. Categorical coefficients come from
:mod:`~inspect_audit.agreement.coefficients` (analytic SEs where the literature gives one, and a
seeded unit-level bootstrap for all), intraclass correlations and Cronbach's alpha from
:mod:`~inspect_audit.agreement.icc` (F-based intervals; with a bootstrap the unit-bootstrap
interval is added to ``method``, and given instead where no F-based interval exists).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from inspect_audit.data import files
from inspect_audit._core.intervals import CI_PROB
from inspect_audit.agreement.coefficients import (AgreementError, bootstrap, check_ci_prob, coefficient_estimates,
                                                  continuous_alpha)
from inspect_audit.agreement.icc import bootstrap_note, cronbach_alpha, icc_estimates

COLUMNS = ["statistic", "estimate", "se", "ci_low", "ci_high", "method", "n"]


class AgreementInputError(ValueError):
    """A ratings file that cannot be analysed; the message names file, row, column and value."""


def to_wide(ratings: pd.DataFrame, unit: str = "unit_id", rater: str = "rater_id",
            grade: str = "grade") -> pd.DataFrame:
    """Long ratings (one row per unit x rater) to a units x raters frame, NaN where a rater did not rate."""
    dupes = ratings.duplicated([unit, rater], keep=False)
    if dupes.any():
        first = ratings[dupes].iloc[0]
        raise AgreementInputError(f"rater {first[rater]!r} rated unit {first[unit]!r} more than once; "
                                  "filter to one area and study first (e.g. --area)")
    return ratings.pivot(index=unit, columns=rater, values=grade).astype(float)


def read_wide(path: str | Path, categories: Sequence[float] | None = None, id_column: str | None = None) -> pd.DataFrame:
    """Read a wide CSV (one row per unit, one column per rater, blank = missing).

    With ``categories`` every value must be one of them; without (continuous scores) every value must be a
    finite number. A bad value is an :class:`AgreementInputError` naming file, row, column, value and rule.
    """
    path = Path(path)
    frame = pd.read_csv(io.StringIO(files.read_text(path)), dtype=str, keep_default_na=False)
    if id_column:
        if id_column not in frame.columns:
            raise AgreementInputError(f"{path.name}: no column {id_column!r} (columns: {', '.join(frame.columns)})")
        frame = frame.set_index(id_column)
    allowed = None if categories is None else {float(c) for c in categories}
    rule = ("is not a finite number (blank = missing)" if allowed is None else
            f"is not one of the categories {sorted(categories)} (blank = missing)")
    out = pd.DataFrame(index=frame.index, columns=frame.columns, dtype=float)
    for column in frame.columns:
        text = frame[column].str.strip()
        values = pd.to_numeric(text.where(text != ""), errors="coerce")
        ok = np.isfinite(values) if allowed is None else values.isin(allowed)
        bad = (text != "") & ~ok
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise AgreementInputError(
                f"{path.name}: row {position + 2}, column {column!r}: value {frame[column].iloc[position]!r} {rule}")
        out[column] = values
    return out


def _long_to_wide(data, targets: str | None, raters: str | None, ratings: str | None) -> pd.DataFrame:
    """Long data (one row per unit x rater) to the units x raters matrix, with errors that name the column."""
    names = {"targets": targets, "raters": raters, "ratings": ratings}
    absent = [arg for arg, column in names.items() if column is None]
    if absent:
        raise AgreementInputError(f"long data need targets, raters and ratings (columns); missing: {', '.join(absent)}")
    if not isinstance(data, pd.DataFrame):
        raise AgreementInputError("long data (targets, raters, ratings given) must be a DataFrame")
    unknown = [f"{arg}={column!r}" for arg, column in names.items() if column not in data.columns]
    if unknown:
        raise AgreementInputError(f"no such column: {', '.join(unknown)} (columns: {', '.join(map(str, data.columns))})")
    grades = pd.to_numeric(data[ratings], errors="coerce")
    bad = grades.isna() & data[ratings].notna()
    if bad.any():
        raise AgreementInputError(f"column {ratings!r}: value {data.loc[bad, ratings].iloc[0]!r} is not a number")
    rated = data[[targets, raters]].assign(_grade=grades)[grades.notna()]
    return to_wide(rated, unit=targets, rater=raters, grade="_grade")


def _finite(*values) -> bool:
    return all(v is not None and np.isfinite(v) for v in values)


def _icc_rows(matrix: np.ndarray, ci_prob: float, n_boot: int, seed: int | None) -> list[dict]:
    """ICC and Cronbach rows: the F-based interval (exact for complete data) is given; with
    ``n_boot > 0`` the unit-bootstrap interval (raters fixed, so too narrow for ICC(A, .)
    with few raters) is added to ``method``, or given where no F-based interval exists."""

    def estimates(**boot) -> dict[str, dict]:
        return {**icc_estimates(matrix, ci_prob=ci_prob, **boot),
                "cronbach_alpha": cronbach_alpha(matrix, ci_prob=ci_prob, **boot)}

    analytic = estimates()
    boot = estimates(n_boot=n_boot, seed=seed) if n_boot > 0 else {}
    rows = []
    for name, est in analytic.items():
        b = boot.get(name)
        if b is not None and _finite(b["ci_low"], b["ci_high"]):
            # an F-based interval exists unless it is NaN (an unbounded limit, -inf, is an interval; method says why)
            if not (np.isnan(est["ci_low"]) or np.isnan(est["ci_high"])):
                est = {**est, "method": f"{est['method']} (the interval given); also {ci_prob:.0%} "
                                        f"{bootstrap_note(n_boot, seed)}: {b['ci_low']:.3f} to {b['ci_high']:.3f}"}
            else:
                est = b
        rows.append({"statistic": name, **{k: est.get(k) for k in COLUMNS[1:]}})
    return rows


SKIPPED_WITHOUT_CATEGORIES = (
    "percent agreement, Cohen's, Scott's, Fleiss', Conger's and Light's kappa, Brennan-Prediger, Gwet's AC1/AC2 "
    "(each unweighted and weighted) and Krippendorff's nominal and ordinal alpha")


def _continuous_table(matrix: np.ndarray, n_boot: int, seed: int | None, ci_prob: float) -> pd.DataFrame:
    """The table for continuous scores: interval and ratio alpha, ICCs, Cronbach, and a row naming what was skipped."""
    if matrix.ndim != 2:
        raise AgreementError("ratings must be a 2-D units x raters matrix")
    pairable = int((np.sum(~np.isnan(matrix), axis=1) >= 2).sum())
    rows = []
    for metric in ("interval", "ratio"):
        est = continuous_alpha(matrix, metric, ci_prob=ci_prob, n_boot=n_boot, seed=seed)
        rows.append({"statistic": f"krippendorff_alpha_{metric}", **{k: est.get(k) for k in COLUMNS[1:]}})
    rows.append({"statistic": "categorical_coefficients", "estimate": np.nan, "se": None, "ci_low": None,
                 "ci_high": None, "n": pairable,
                 "method": f"skipped: {SKIPPED_WITHOUT_CATEGORIES}. They count agreement between categories, "
                           "and no category list was given (categories=None: the ratings are read as continuous "
                           "scores, where two scores rarely coincide exactly). Give categories=[...] if the "
                           "ratings are grades"})
    rows += _icc_rows(matrix, ci_prob, n_boot, seed)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs.update(n_units=int(matrix.shape[0]), n_raters=int(matrix.shape[1]))
    return table


def agreement_table(x: pd.DataFrame | np.ndarray, categories: Sequence[float] | None = None, level: str = "ordinal",
                    n_boot: int = 2000, seed: int | None = 0, ci_prob: float = CI_PROB,
                    weights: np.ndarray | Sequence[Sequence[float]] | None = None, *, targets: str | None = None,
                    raters: str | None = None, ratings: str | None = None) -> pd.DataFrame:
    """Every agreement coefficient for wide data (units x raters, NaN = missing) or long data.

    Parameters
    ----------
    x : units x raters grades (wide); or, with ``targets``, ``raters`` and ``ratings``, a long
        DataFrame with one row per unit x rater (e.g. the ``ratings`` table filtered to one area).
    categories : the full category set (grades never given still count), e.g. ``[1, 2, 3, 4]``. ``None``
        (the default): the ratings are continuous scores; the table then holds what needs no category
        list (Krippendorff's interval and ratio alpha, the six ICCs, Cronbach's alpha) and one row,
        ``categorical_coefficients``, that names the coefficients left out and why.
    level : measurement level: ``nominal`` drops weighted coefficients (and needs ``categories``).
    n_boot : unit-level bootstrap replicates (0 = analytic only). Categorical coefficients get
        bootstrap intervals; ICCs and Cronbach's alpha keep their F-based intervals and report the
        bootstrap interval in ``method`` (it is given only where no F-based interval exists).
    seed : bootstrap seed.
    ci_prob : probability covered by every interval (default 0.90).
    weights : optional custom q x q agreement-weight matrix (symmetric, 1 on the diagonal, in [0, 1]);
        adds the ``*_custom`` weighted coefficients (see
        :func:`~inspect_audit.agreement.coefficients.coefficient_estimates`). Needs ``categories``.
    targets, raters, ratings : long data: the columns holding the unit (what is rated), the rater
        and the grade, as in ``pingouin.intraclass_corr``. All three or none. The data are made wide
        with :func:`to_wide` (one column per rater; a rater who rated a unit twice is an error).

    Returns
    -------
    DataFrame with one row per statistic: statistic, estimate, se, ci_low, ci_high, method, n
    (units with at least two ratings; Cronbach's alpha: units with a rating). ``attrs`` holds
    n_units and n_raters. No normal interval is built from the per-category Fleiss SE (it holds
    under kappa = 0; its z statistic is in ``method``).

    Examples
    --------
    >>> from inspect_audit.data.simulate import simulate, SimulationConfig
    >>> from inspect_audit.agreement.table import agreement_table, to_wide
    >>> r = simulate(SimulationConfig(n_schools=300, n_inspectors=20), seed=1).ratings
    >>> paired = r[(r["area"] == "overall_effectiveness") & (r["rater_type"] == "inspector")]
    >>> wide = to_wide(paired.assign(rater_id=paired.groupby("unit_id").cumcount()))
    >>> table = agreement_table(wide, [1, 2, 3, 4], n_boot=200, seed=1)
    >>> "gwet_ac1" in set(table["statistic"])
    True

    The same ratings in long form, one column per inspector (units rated by different pairs):

    >>> long = agreement_table(paired, [1, 2, 3, 4], n_boot=0, targets="unit_id", raters="rater_id",
    ...                        ratings="grade")
    >>> long.attrs
    {'n_units': 150, 'n_raters': 20}
    >>> print(f'{long.set_index("statistic").loc["krippendorff_alpha_ordinal", "estimate"]:.3f}')
    0.189
    """
    check_ci_prob(ci_prob)
    if (targets, raters, ratings) != (None, None, None):
        x = _long_to_wide(x, targets, raters, ratings)
    try:
        matrix = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AgreementError("ratings must be numbers (blank or NaN for a missing rating)") from exc
    if categories is None:
        if level == "nominal":
            raise AgreementError("nominal ratings need their category list (categories=[...]): "
                                 "without it the ratings are read as continuous scores")
        if weights is not None:
            raise AgreementError("custom weights need the category list (categories=[...]): "
                                 "one row and column of the weight matrix per category")
        return _continuous_table(matrix, n_boot, seed, ci_prob)
    pairable = int((np.sum(~np.isnan(matrix), axis=1) >= 2).sum())
    estimates = coefficient_estimates(matrix, categories, level=level, weights=weights)
    intervals = bootstrap(matrix, categories, statistics=[k for k, v in estimates.items()
                                                           if np.isfinite(v["estimate"])],
                          n_boot=n_boot, seed=seed, ci_prob=ci_prob, weights=weights) if n_boot > 0 else {}
    z = stats.norm.ppf((1 + ci_prob) / 2)
    rows = []
    for name, est in estimates.items():
        se = est.get("se")
        if name in intervals:
            low, high = intervals[name]
            method = f"{est['method']}; {ci_prob:.0%} unit bootstrap ({n_boot} replicates, seed {seed})"
        # the per-category Fleiss SE holds under kappa = 0: right for its z-test, not for an interval
        elif se is not None and np.isfinite(se) and not name.startswith("fleiss_kappa_category_"):
            low, high = est["estimate"] - z * se, est["estimate"] + z * se
            method = f"{est['method']}; {ci_prob:.0%} normal interval from the analytic SE"
        else:
            low = high = None
            method = est["method"]
        rows.append({"statistic": name, "estimate": est["estimate"], "se": se, "ci_low": low,
                     "ci_high": high, "method": method, "n": pairable})
    rows += _icc_rows(matrix, ci_prob, n_boot, seed)
    table = pd.DataFrame(rows, columns=COLUMNS)
    table.attrs.update(n_units=int(matrix.shape[0]), n_raters=int(matrix.shape[1]))
    return table


def as_json(table: pd.DataFrame, categories: Sequence[float] | None) -> dict:
    """The CLI's JSON object: n_units, n_raters, categories (``None`` for continuous scores) and statistics by name.

    Infinite or missing numbers become ``null`` (an unbounded interval limit says so in ``method``).
    """

    def number(value):
        return None if value is None or pd.isna(value) or not np.isfinite(float(value)) else float(value)

    return {"n_units": table.attrs["n_units"], "n_raters": table.attrs["n_raters"],
            "categories": None if categories is None else [int(c) if float(c).is_integer() else float(c)
                                                           for c in categories],
            "statistics": {row.statistic: {"estimate": number(row.estimate), "se": number(row.se),
                                           "ci_low": number(row.ci_low), "ci_high": number(row.ci_high),
                                           "method": row.method}
                           for row in table.itertuples()}}
