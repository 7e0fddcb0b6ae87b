"""Is "playing it safe" the same thing as the inspector model's consistency?

Two measures of one inspector's grades, from two analyses, joined on the (pseudonymised) inspector id:

* the **excess middle share** from :func:`~inspect_audit.grade_patterns.concentration.group_concentration`:
  the share of the inspector's grades of one area in the scale's middle category (Expected standard, Good)
  minus its chance mean (the area's grades permuted among inspectors within phase, at the inspector's own n);
* the **consistency** exp(d_j) of ``InspectorModel(consistency=True)``: in the cumulative logit
  P(y <= k) = F((c_k - eta) exp(d_j)), how sharply the inspector's grades follow the school's latent quality
  (1 = a typical inspector; model card ``models/inspector-effects.md``, "Options: inspector consistency").

:func:`consistency_vs_middle` makes the per-inspector table (inspectors with at least
:data:`~inspect_audit._core.privacy.MIN_N` inspections in both); :func:`consistency_middle_correlation` the
rank correlation (Spearman) between the two, with a bootstrap interval over inspectors and n.

**What sign to expect.** A larger exp(d_j) concentrates an inspector's grades in the band where each school's
latent quality sits. Most schools' latent quality sits in the middle band (Expected standard holds 53-62% of
the real report cards' grades per area; Good most legacy grades), so under the model an inspector who follows
the evidence closely gives *more* middle grades than chance, and an erratic inspector, whose grades spread
over the scale whatever the school, fewer: a positive correlation. A "playing it safe" inspector, who gives
the middle grade whatever the school, also scores high on consistency wherever the schools are typical, and
is pulled down only by the few schools whose other evidence (other inspections, context) places them clearly
outside the middle band.

**Part of the correlation is built in.** Both measures are computed from the same grades, and the model's
consistency is estimated from them: an inspector who happens to give more middle grades is fitted as more
consistent even when no inspector differs in consistency. On simulated data with no consistency differences
(600 schools, 30 inspectors; model card ``models/grade-concentration.md``) rho was 0.6-0.8 in three seeds.
A positive rho is therefore no evidence that "playing it safe" is a trait of the more consistent inspectors,
nor that either measure is valid; a rho near zero or negative on real data would be the surprise. The
per-inspector table is the more useful part: an inspector with many middle grades *and* a low consistency
gives the middle grade to schools that the rest of the evidence places elsewhere.

**What it can and cannot tell apart.** It separates erratic grading (low consistency, middle share at or
below chance) from concentrated grading (middle share above chance). It cannot tell "playing it safe" from
"precise grading of schools that are mostly typical": both give many middle grades and a high consistency,
and with one inspection per school the school's latent quality is largely estimated from the very grade in
question. Allocation matters too: an inspector sent to typical schools looks both concentrated and consistent.
Severity is in the model (a separate inspector effect) but not in the middle share: a harsh or kind inspector
has fewer middle grades whatever their consistency, which weakens the correlation. The correlation uses the
posterior means of consistency (a rank correlation, so exp(d_j) and d_j give the same answer) and the observed
middle shares; the bootstrap over inspectors carries the between-inspector sampling, not the posterior or
binomial uncertainty of each inspector's values (their intervals are in the table).

Examples
--------
>>> import pandas as pd
>>> groups = pd.DataFrame({"group": ["A", "B", "C", "D", "E", "F"], "n": [20, 25, 30, 12, 14, 9],
...                        "middle_share": [0.8, 0.5, 0.3, 0.6, 0.45, 0.9], "chance_middle": 0.5,
...                        "middle_low": 0.0, "middle_high": 1.0})  # intervals: any, for the example
>>> effects = pd.DataFrame({"inspector_id": ["A", "B", "C", "D", "E", "F"], "n_inspections": [20, 25, 30, 12, 14, 9],
...                         "consistency_mean": [1.3, 1.0, 0.6, 1.1, 0.9, 1.5], "consistency_ci_low": 0.5,
...                         "consistency_ci_high": 2.0})
>>> table = consistency_vs_middle(groups, effects, key="k")  # F: under 10 inspections, left out
>>> table[["n", "excess_middle", "consistency_mean"]].round(2).to_numpy().tolist()
[[20.0, 0.3, 1.3], [25.0, 0.0, 1.0], [30.0, -0.2, 0.6], [12.0, 0.1, 1.1], [14.0, -0.05, 0.9]]
>>> r = consistency_middle_correlation(table, n_boot=200)
>>> float(r.loc[0, "estimate"]), int(r.loc[0, "n"])
(1.0, 5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from inspect_audit._core import privacy
from inspect_audit._core.intervals import CI_PROB, percentile_interval

N_BOOTSTRAP = 2000
#: The columns an inspector model's ``inspector_effects()`` carries with the consistency option.
CONSISTENCY_COLUMNS = ["consistency_mean", "consistency_ci_low", "consistency_ci_high"]
COLUMNS = ["inspector_id", "n", "n_fit", "middle_share", "middle_low", "middle_high", "chance_middle",
           "excess_middle", "consistency_mean", "consistency_ci_low", "consistency_ci_high", "log_consistency"]
#: Words for the columns of :func:`consistency_vs_middle` in anything rendered for a reader.
HUMAN_COLUMNS = {"inspector_id": "Inspector (pseudonym)", "n": "Inspections (area)",
                 "n_fit": "Inspections (model)", "middle_share": "Middle share", "middle_low": "Middle share, low",
                 "middle_high": "Middle share, high", "chance_middle": "Middle share by chance",
                 "excess_middle": "Middle share above chance", "consistency_mean": "Consistency",
                 "consistency_ci_low": "Consistency, low", "consistency_ci_high": "Consistency, high",
                 "log_consistency": "Log consistency"}


def consistency_vs_middle(groups: pd.DataFrame, effects: pd.DataFrame, *, area: str | None = None,
                          min_n: int = privacy.MIN_N, key: str | None = None) -> pd.DataFrame:
    """One row per inspector with both the excess middle share and the model's consistency.

    Parameters
    ----------
    groups : DataFrame
        Per-inspector concentration of one area: :func:`~inspect_audit.grade_patterns.concentration.
        group_concentration` (column ``group``) or :func:`~inspect_audit.grade_patterns.concentration.
        groups_by_area` (column ``lead_inspector_id``; pass ``area``), not suppressed.
    effects : DataFrame
        ``InspectorModel(consistency=True).inspector_effects()`` or its ``inspector_effects.csv``.
    area : str, optional
        The area the fit modelled; needed when ``groups`` holds several.
    min_n : int
        Inspectors with fewer inspections in either table are left out.
    key : str, optional
        Pseudonym key (default this installation's). Ids are joined after pseudonymising both sides, which
        changes nothing in a side already pseudonymised, so raw ids and the fit's pseudonyms meet.

    Returns
    -------
    DataFrame
        Columns :data:`COLUMNS`: ``inspector_id`` as the fit writes it, ``n`` (inspections of the area in the
        grade-pattern data), ``n_fit`` (in the fit), the middle share with its Wilson interval and chance mean,
        ``excess_middle`` = middle share - chance, the consistency with its interval and ``log_consistency`` =
        log of the posterior mean. ``attrs``: ``area``, ``min_n``, ``inspectors_in_groups``,
        ``inspectors_in_fit``, ``inspectors_joined``.

    Raises
    ------
    ValueError
        If ``effects`` has no consistency columns (a fit without the consistency option), ``groups`` holds
        several areas and none is named, or no inspector is in both tables.
    """
    missing = [c for c in CONSISTENCY_COLUMNS if c not in effects]
    if missing:
        raise ValueError("the fit has no inspector consistency (columns " + ", ".join(missing) + " missing): fit "
                         "it with `inspect-audit inspectors --consistency` (InspectorModel(consistency=True))")
    g = groups
    if "area" in g:
        areas = sorted(set(g["area"].dropna().astype(str)))
        if area is None and len(areas) > 1:
            raise ValueError(f"the concentration table holds several areas ({', '.join(areas)}): name the fit's")
        if area is not None:
            g = g[g["area"].astype(str) == area]
    id_col = "group" if "group" in g else "lead_inspector_id"
    g = g[g[id_col].notna() & (pd.to_numeric(g["n"], errors="coerce") >= min_n)]
    e = effects[effects["inspector_id"].notna()
                & (pd.to_numeric(effects["n_inspections"], errors="coerce") >= min_n)]
    left = pd.DataFrame({"join": privacy.pseudonymise(g[id_col].astype(str), key).to_numpy(),
                         "n": g["n"].astype(int).to_numpy(),
                         **{c: g[c].astype(float).to_numpy() for c in
                            ("middle_share", "middle_low", "middle_high", "chance_middle")}})
    right = pd.DataFrame({"join": privacy.pseudonymise(e["inspector_id"].astype(str), key).to_numpy(),
                          "inspector_id": e["inspector_id"].astype(str).to_numpy(),
                          "n_fit": e["n_inspections"].astype(int).to_numpy(),
                          **{c: e[c].astype(float).to_numpy() for c in CONSISTENCY_COLUMNS}})
    table = left.merge(right, on="join", how="inner", validate="one_to_one")
    if table.empty and len(left) and len(right):
        raise ValueError(f"no inspector with {min_n} or more inspections is in both the grade data and the fit "
                         "(different data, or ids pseudonymised with another key?)")
    table["excess_middle"] = table["middle_share"] - table["chance_middle"]
    table["log_consistency"] = np.log(table["consistency_mean"])
    table = table[COLUMNS].sort_values("inspector_id", ignore_index=True)
    table.attrs.update({"area": area, "min_n": int(min_n), "inspectors_in_groups": int(len(left)),
                        "inspectors_in_fit": int(len(right)), "inspectors_joined": int(len(table))})
    return table


def readable(table: pd.DataFrame, digits: int = 2) -> pd.DataFrame:
    """:func:`consistency_vs_middle` for a reader: :data:`HUMAN_COLUMNS` names, numbers rounded.

    >>> t = pd.DataFrame([{"inspector_id": "Inspector-1", "n": 14, "excess_middle": 0.1234, "consistency_mean": 1.0}])
    >>> readable(t).columns.tolist(), float(readable(t)["Middle share above chance"][0])
    (['Inspector (pseudonym)', 'Inspections (area)', 'Middle share above chance', 'Consistency'], 0.12)
    """
    return table.round(digits).rename(columns=HUMAN_COLUMNS)


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman's rho of each row pair of ``x`` and ``y`` (average ranks for ties; NaN where a row is constant)."""
    rx, ry = stats.rankdata(x, axis=-1), stats.rankdata(y, axis=-1)
    rx, ry = rx - rx.mean(axis=-1, keepdims=True), ry - ry.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=-1) / np.sqrt((rx ** 2).sum(axis=-1) * (ry ** 2).sum(axis=-1))


def consistency_middle_correlation(table: pd.DataFrame, *, n_boot: int = N_BOOTSTRAP, ci_prob: float = CI_PROB,
                                   seed: int = 0) -> pd.DataFrame:
    """Spearman's rho between the excess middle share and log consistency, with a bootstrap interval.

    Parameters
    ----------
    table : DataFrame
        :func:`consistency_vs_middle`.
    n_boot : int
        Bootstrap resamples of the inspectors (with replacement).
    ci_prob : float
        Interval mass (percentile interval).
    seed : int
        Seed of the resampling.

    Returns
    -------
    DataFrame
        One row: ``statistic`` (``spearman_rho``), ``estimate``, ``ci_low``, ``ci_high``, ``n`` (inspectors),
        ``method`` (how the interval was made, or why there is none: fewer than 5 inspectors).
    """
    x = table["excess_middle"].to_numpy(float)
    y = table["log_consistency"].to_numpy(float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = int(len(x))
    row = {"statistic": "spearman_rho", "estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n": n}
    if n < 5:
        row["method"] = f"not estimated: {n} inspector(s) in both tables, 5 or more needed"
        out = pd.DataFrame([row])
        out.attrs["ci_prob"] = ci_prob
        return out
    row["estimate"] = float(_spearman_rows(x, y))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    boot = _spearman_rows(x[idx], y[idx])
    row["ci_low"], row["ci_high"] = percentile_interval(boot, ci_prob)
    row["method"] = (f"Spearman's rho of the excess middle share (observed - chance) and log consistency "
                     f"(posterior mean); percentile bootstrap over inspectors ({n_boot} resamples, seed {seed}), "
                     f"{ci_prob:.0%}")
    out = pd.DataFrame([row])
    out.attrs["ci_prob"] = ci_prob
    return out


def correlation_sentence(result: pd.DataFrame, area: str, middle_label: str) -> str:
    """One sentence for a reader.

    >>> r = pd.DataFrame([{"statistic": "spearman_rho", "estimate": 0.42, "ci_low": 0.1, "ci_high": 0.66,
    ...                    "n": 24, "method": ""}])
    >>> correlation_sentence(r, "overall_effectiveness", "Good")  # doctest: +NORMALIZE_WHITESPACE
    "Inspectors with more overall effectiveness grades at Good than chance have higher model consistency:
    Spearman's rho 0.42 (90% interval 0.10 to 0.66, n = 24 inspectors)."
    """
    r = result.iloc[0]
    words = area.replace("_", " ")
    if not np.isfinite(r["estimate"]):
        return f"Middle share vs model consistency ({words}): {r['method']}."
    link = ("have higher model consistency" if r["ci_low"] > 0 else "have lower model consistency"
            if r["ci_high"] < 0 else "show no clear link with model consistency")
    return (f"Inspectors with more {words} grades at {middle_label} than chance {link}: Spearman's rho "
            f"{r['estimate']:.2f} ({result.attrs.get('ci_prob', CI_PROB):.0%} interval {r['ci_low']:.2f} to "
            f"{r['ci_high']:.2f}, n = {int(r['n'])} inspectors).")
