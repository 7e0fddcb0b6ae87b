"""Time from receipt to closure: Kaplan-Meier curves by stage, open complaints censored.

A complaint still open at the snapshot date has been open for (snapshot - received) days and will
close some time later: its closure time is *right-censored*. Dropping open complaints would make
closure look quicker than it is (the slow ones are the ones still open); the Kaplan-Meier
estimator uses them for as long as they were observed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.complaints._data import STAGES
from inspect_audit.complaints.suppression import suppression_mask



@dataclass
class ClosureResult:
    """Kaplan-Meier results.

    Attributes
    ----------
    curves : DataFrame
        One row per (group, event time), starting at time 0: ``group, time`` (days since receipt),
        ``estimate`` (share still open), ``ci_low, ci_high`` (pointwise, log-minus-log),
        ``n_at_risk, n_events`` at that time, ``n`` (complaints in the group).
    medians : DataFrame
        One row per group: ``group, statistic (median_days), estimate, ci_low, ci_high`` (Brookmeyer-
        Crowley interval; ``inf`` when the upper limit is beyond the follow-up), ``n, n_events,
        n_censored, method``. The median is missing while fewer than half the group have closed.
    snapshot_date : Timestamp
    """

    curves: pd.DataFrame
    medians: pd.DataFrame
    snapshot_date: pd.Timestamp


def closure_durations(complaints: pd.DataFrame, snapshot_date: str | pd.Timestamp) -> pd.DataFrame:
    """Days to closure (or to the snapshot, for complaints still open) with an event flag.

    Complaints received after the snapshot are dropped; complaints closed after the snapshot are
    treated as open at the snapshot (the analysis is "as known on the snapshot date").

    Parameters
    ----------
    complaints : DataFrame
        ``received_date``, ``closed_date`` (missing while open) and ``furthest_stage``.
    snapshot_date : str or Timestamp
        Date the data were extracted.

    Returns
    -------
    DataFrame
        ``complaint_id, furthest_stage, days, closed`` (True = closure observed).
    """
    snap = pd.Timestamp(snapshot_date)
    received = pd.to_datetime(complaints["received_date"])
    closed = pd.to_datetime(complaints["closed_date"])
    keep = (received <= snap).to_numpy()
    is_closed = (closed.notna() & (closed <= snap)).to_numpy()
    end = np.where(is_closed, closed.to_numpy(dtype="datetime64[ns]", na_value=np.datetime64("NaT", "ns")),
                   np.datetime64(snap, "ns"))
    days = (pd.to_datetime(end) - received).dt.days.to_numpy().astype(float)
    out = pd.DataFrame({"complaint_id": complaints.get("complaint_id", pd.Series(range(len(complaints)))).to_numpy(),
                        "furthest_stage": complaints["furthest_stage"].astype(str).to_numpy(),
                        "days": days, "closed": is_closed})
    return out[keep].reset_index(drop=True)


def _cloglog_band(surv: np.ndarray, se: np.ndarray, ci_prob: float) -> tuple[np.ndarray, np.ndarray]:
    z = stats.norm.ppf(0.5 + ci_prob / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta_se = se / (surv * np.abs(np.log(surv)))
        low = surv ** np.exp(z * theta_se)
        high = surv ** np.exp(-z * theta_se)
    low = np.where(surv >= 1, 1.0, np.where(surv <= 0, 0.0, low))
    high = np.where(surv >= 1, 1.0, np.where(surv <= 0, 0.0, high))
    return low, high


def kaplan_meier(days: np.ndarray, closed: np.ndarray, ci_prob: float = CI_PROB) -> tuple[pd.DataFrame, dict]:
    """Kaplan-Meier curve of the share still open, with pointwise intervals and the median.

    Parameters
    ----------
    days : array_like
        Days from receipt to closure or censoring.
    closed : array_like of bool
        True where the closure was observed.
    ci_prob : float
        Interval coverage.

    Returns
    -------
    (curve, median) : DataFrame and dict
        ``curve`` has ``time, estimate, ci_low, ci_high, n_at_risk, n_events`` (first row time 0);
        ``median`` has ``estimate, ci_low, ci_high``.
    """
    days = np.asarray(days, dtype=float)
    closed = np.asarray(closed, dtype=bool)
    rows = [{"time": 0.0, "estimate": 1.0, "ci_low": 1.0, "ci_high": 1.0, "n_at_risk": len(days), "n_events": 0}]
    median = {"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if len(days) == 0:
        return pd.DataFrame(rows), median
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        sf = SurvfuncRight(days, closed.astype(float))
        if closed.any():
            low, high = _cloglog_band(sf.surv_prob, sf.surv_prob_se, ci_prob)
            curve = pd.DataFrame({"time": sf.surv_times, "estimate": sf.surv_prob, "ci_low": low, "ci_high": high,
                                  "n_at_risk": sf.n_risk.astype(int), "n_events": sf.n_events.astype(int)})
            rows_df = pd.concat([pd.DataFrame(rows), curve], ignore_index=True)
            est = float(sf.quantile(0.5))
            ci = sf.quantile_ci(0.5, alpha=1 - ci_prob, method="cloglog")
            median = {"estimate": est, "ci_low": float(ci[0]), "ci_high": float(ci[1])}
        else:
            rows_df = pd.DataFrame(rows)
    return rows_df, median


def time_to_closure(complaints: pd.DataFrame, snapshot_date: str | pd.Timestamp, by_stage: bool = True,
                    ci_prob: float = CI_PROB) -> ClosureResult:
    """Kaplan-Meier time to closure by furthest stage reached, open complaints censored at the snapshot.

    Parameters
    ----------
    complaints : DataFrame
        Complaints table (``received_date``, ``closed_date``, ``furthest_stage``).
    snapshot_date : str or Timestamp
        Extraction date; complaints not closed by then are censored there.
    by_stage : bool
        One curve per stage plus ``all`` (default) or ``all`` only.
    ci_prob : float
        Interval coverage (default 90%).

    Returns
    -------
    ClosureResult
        Tidy ``curves`` and ``medians`` tables.

    Notes
    -----
    ``furthest_stage`` of an open complaint is the furthest stage *so far*: it may still escalate,
    so the stage curves condition on something not final for open complaints. Withdrawal counts as
    closure.

    Examples
    --------
    >>> from inspect_audit.data.simulate import SimulationConfig, simulate
    >>> from inspect_audit.complaints import time_to_closure
    >>> data = simulate(SimulationConfig(n_schools=300, n_inspectors=20, survey_n_schools=10), seed=1)
    >>> result = time_to_closure(data.complaints, snapshot_date="2024-08-31")
    >>> result.medians[["group", "estimate", "ci_low", "ci_high", "n", "n_censored"]]
                 group  estimate  ci_low  ci_high   n  n_censored
    0         informal      15.0     9.0     15.0   4           0
    1           formal      51.0    40.0     60.0  18           0
    2  internal_review       NaN    96.0      inf   2           1
    3              all      51.0    37.0     56.0  24           1
    """
    dur = closure_durations(complaints, snapshot_date)
    groups: list[tuple[str, pd.DataFrame]] = []
    if by_stage:
        present = list(dict.fromkeys(dur["furthest_stage"]))
        order = [s for s in STAGES if s in present] + sorted(s for s in present if s not in STAGES)
        groups = [(s, dur[dur["furthest_stage"] == s]) for s in order]
    groups.append(("all", dur))
    curves, medians = [], []
    for name, part in groups:
        curve, med = kaplan_meier(part["days"].to_numpy(), part["closed"].to_numpy(), ci_prob)
        n = len(part)
        curves.append(curve.assign(group=name, n=n))
        medians.append({"group": name, "statistic": "median_days", **med, "n": n,
                        "n_events": int(part["closed"].sum()), "n_censored": int((~part["closed"]).sum()),
                        "method": f"Kaplan-Meier; Brookmeyer-Crowley {ci_prob:.0%} interval (log-minus-log)"})
    curve_cols = ["group", "time", "estimate", "ci_low", "ci_high", "n_at_risk", "n_events", "n"]
    return ClosureResult(pd.concat(curves, ignore_index=True)[curve_cols], pd.DataFrame(medians),
                         pd.Timestamp(snapshot_date))


def plot_time_to_closure(result: ClosureResult, path: str | Path | None = None, min_n: int = 10,
                         title: str = "Time to closure by furthest stage (Kaplan-Meier, 90% intervals)"):
    """Step plot of the share still open against days since receipt, one line per stage.

    Groups with fewer than ``min_n`` complaints are left out, with a second group where one alone
    could be recovered from the ``all`` curve (:func:`~inspect_audit._core.privacy.suppression_mask`); the
    legend gives each group's n and median with its interval; + marks censored complaints are not
    drawn (open complaints are counted in the legend instead).

    Parameters
    ----------
    result : ClosureResult
        From :func:`time_to_closure`.
    path : str or Path, optional
        PNG to write; the figure is returned either way.
    min_n : int
        Suppression threshold.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.4))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    hidden = []
    shown = ~suppression_mask(result.medians, min_n)
    for i, (med, show) in enumerate(zip(result.medians.itertuples(), shown)):
        if not show:
            hidden.append(med.group)
            continue
        part = result.curves[result.curves["group"] == med.group]
        colour = "black" if med.group == "all" else colours[i % len(colours)]
        style = "--" if med.group == "all" else "-"
        if np.isfinite(med.estimate):
            hi = "open-ended" if not np.isfinite(med.ci_high) else f"{med.ci_high:.0f}"
            lo = f"{med.ci_low:.0f}" if np.isfinite(med.ci_low) else "?"
            m = f"median {med.estimate:.0f} d ({lo} to {hi})"
        else:
            m = "median not reached"
        label = f"{med.group.replace('_', ' ')} (n={med.n}, open {med.n_censored}; {m})"
        ax.step(part["time"], part["estimate"], where="post", color=colour, ls=style, label=label)
        ax.fill_between(part["time"], part["ci_low"], part["ci_high"], step="post", color=colour, alpha=0.15)
    ax.set_xlabel("days since the complaint was received")
    ax.set_ylabel("share of complaints still open")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="upper right")
    if hidden:  # a footnote below the axis, wrapped, never over the curves
        import textwrap

        note = textwrap.fill(f"Not shown (fewer than {min_n} complaints, or hidden so that a small group cannot be "
                             f"worked out from the total): {', '.join(h.replace('_', ' ') for h in hidden)}.", 110)
        fig.text(0.01, 0.01, note, ha="left", va="bottom", fontsize=7)
    from inspect_audit._core.plots import save_figure

    return save_figure(fig, path, rect=(0, 0.06 + 0.025 * note.count("\n"), 1, 1) if hidden else None)
