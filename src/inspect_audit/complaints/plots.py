"""Plots of complaint results: every estimate with its interval and n; small groups left out."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from inspect_audit._core.plots import save_figure  # noqa: E402
from inspect_audit.complaints.suppression import MIN_N, suppress  # noqa: E402

RAW_COLOUR, POOLED_COLOUR = "#9aa5b1", "#1f5c99"


def plot_rates(table: pd.DataFrame, dimension: str, path: str | Path | None, min_n: int = MIN_N,
               title: str | None = None, xlabel: str = "share of decided complaints upheld (in full or part)",
               reference: float | None = None) -> Figure:
    """Forest plot of one dimension of :func:`upheld_rates` (raw and pooled, or one statistic).

    Parameters
    ----------
    table : DataFrame
        Output of ``upheld_rates`` or ``complaint_rates`` (any dimensions; one is drawn).
    dimension : str
        Dimension to draw.
    path : str, Path or None
        PNG to write (None: write nothing).
    min_n : int
        Groups with fewer complaints are suppressed, with a second group where one alone could be
        recovered from the total (:func:`~inspect_audit._core.privacy.suppression_mask`); a footnote
        counts them, and they are not drawn.
    title, xlabel : str
        Labels.
    reference : float, optional
        Vertical reference line (e.g. the overall rate).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (written to ``path`` as PNG unless ``path`` is None).
    """
    part = suppress(table[table["dimension"] == dimension], min_n=min_n)
    shown = part[~part["suppressed"]]
    hidden = list(dict.fromkeys(part.loc[part["suppressed"], "group"]))
    groups = list(dict.fromkeys(shown["group"]))
    stats_present = list(dict.fromkeys(shown["statistic"]))
    fig, ax = plt.subplots(figsize=(7.8, 0.5 * max(len(groups), 1) + 1.7))
    offsets = {"raw_rate": 0.17, "pooled_rate": -0.17} if len(stats_present) > 1 else {s: 0.0 for s in stats_present}
    names = {"raw_rate": "observed (Wilson 90%)", "pooled_rate": "partially pooled (posterior 90%)",
             "complaint_rate": "observed (Wilson 90%)"}
    for stat in stats_present:
        rows = shown[shown["statistic"] == stat].set_index("group").reindex(groups)
        y = np.arange(len(groups))[::-1] + offsets.get(stat, 0.0)
        est = rows["estimate"].astype(float).to_numpy()
        err = [est - rows["ci_low"].astype(float).to_numpy(), rows["ci_high"].astype(float).to_numpy() - est]
        ax.errorbar(est, y, xerr=err, fmt="o" if stat != "raw_rate" else "s", capsize=3, ms=4,
                    color=POOLED_COLOUR if stat != "raw_rate" else RAW_COLOUR, label=names.get(stat, stat))
    if groups:
        first = shown.drop_duplicates("group").set_index("group").reindex(groups)
        what = "complained about" if "complaint_rate" in stats_present else "upheld"
        labels = [f"{str(g).replace('_', ' ')} (n={int(n):,}; {int(k) if pd.notna(k) else '?'} {what})"
                  for g, n, k in zip(groups, first["n"], first["k"])]
        ax.set_yticks(np.arange(len(groups))[::-1], labels, fontsize=8)
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color="grey", ls=":", lw=1)
    ax.set_xlim(0, min(1.0, max(0.05, float(shown["ci_high"].astype(float).max()) * 1.1) if len(shown) else 1.0))
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_title(title or f"Complaints by {dimension.replace('_', ' ')}", fontsize=10, pad=20 if groups else 6)
    ax.grid(axis="x", alpha=0.3)
    if groups:
        ax.set_ylim(-0.6, len(groups) - 0.4)
        ax.legend(fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False)
    if hidden:
        note = (f"{len(hidden)} group(s) not shown: fewer than {min_n} complaints, or hidden with one so that it "
                "cannot be worked out from the total")
        fig.text(0.01, 0.01, note, fontsize=7, color="grey")
    return save_figure(fig, path, rect=(0, 0.03 if hidden else 0, 1, 1))


def plot_severity(table: pd.DataFrame, path: str | Path | None, title: str | None = None) -> Figure:
    """Odds multipliers per logit of severity (complaint, upheld) with intervals and n.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`complaints_vs_severity`.
    path : str, Path or None
        PNG to write (None: write nothing).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (written to ``path`` as PNG unless ``path`` is None).
    """
    part = table[table["statistic"] == "odds_ratio"].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8.0, 2.8))
    y = np.arange(len(part))[::-1]
    est = part["estimate"].to_numpy(dtype=float)
    ax.errorbar(est, y, xerr=[est - part["ci_low"].to_numpy(dtype=float), part["ci_high"].to_numpy(dtype=float) - est],
                fmt="o", capsize=4, color=POOLED_COLOUR)
    what = {"complaint": "inspection complained about", "upheld": "complaint upheld (in full or part)"}
    unit = {"complaint": "inspections", "upheld": "decided complaints"}
    ax.set_yticks(y, [f"{what.get(o, o)}\n(n={n:,} {unit.get(o, '')}, {k:,} events; {d} draws)"
                      for o, n, k, d in zip(part["outcome"], part["n"], part["k"], part["n_draws"])], fontsize=8)
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}" if v in (0.5, 2, 3, 5) else ""))
    ax.set_ylim(-0.6, len(part) - 0.4)
    ax.set_xlabel("odds multiplier per 1 logit of lead-inspector severity (90% interval)", fontsize=9)
    ax.set_title(title or "Complaints and lead-inspector severity", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)
