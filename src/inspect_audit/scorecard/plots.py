"""Scorecard plots: rank intervals (a caterpillar, not a league table) and band probabilities."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from inspect_audit._core.plots import save_figure  # noqa: E402

BAND_COLOURS = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac", "#1a9850", "#762a83", "#999999"]


def _colours(n: int) -> list[str]:
    if n <= len(BAND_COLOURS):
        # spread the diverging palette so the worst band is red and the best blue
        picks = np.linspace(0, 3, n).round().astype(int) if n <= 4 else range(n)
        return [BAND_COLOURS[i] for i in picks]
    return [plt.cm.viridis(i / (n - 1)) for i in range(n)]


def _subsample(summary: pd.DataFrame, max_schools: int) -> pd.DataFrame:
    ordered = summary.sort_values(["median_rank", "rank"], kind="stable").reset_index(drop=True)
    if len(ordered) <= max_schools:
        return ordered
    idx = np.unique(np.linspace(0, len(ordered) - 1, max_schools).round().astype(int))
    return ordered.iloc[idx].reset_index(drop=True)


def plot_rank_intervals(summary: pd.DataFrame, labels: list[str] | tuple[str, ...], title: str, path: str | Path | None,
                        max_schools: int = 400) -> Figure:
    """Caterpillar plot: each school's median rank and 90% rank interval, coloured by its most likely band.

    Schools are ordered by median rank; with more than ``max_schools`` an evenly spaced subset is
    drawn (stated on the plot). Long overlapping bars are the point: most schools cannot be told apart.
    """
    part = _subsample(summary, max_schools)
    n_total = len(summary)
    colours = dict(zip(labels, _colours(len(labels))))
    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    x = np.arange(len(part))
    for label in labels:
        sel = part["modal_band"] == label
        if sel.any():
            ax.vlines(x[sel], part.loc[sel, "rank_lo"], part.loc[sel, "rank_hi"], color=colours[label],
                      alpha=0.55, linewidth=1.2, label=f"most likely: {label}")
            ax.plot(x[sel], part.loc[sel, "median_rank"], "o", ms=1.8, color=colours[label])
    ax.invert_yaxis()
    ax.set_ylim(n_total + 1, 0)
    ax.set_xlabel(f"schools ordered by median rank ({len(part):,} of {n_total:,} shown, evenly spaced)", fontsize=8)
    ax.set_ylabel("rank (1 = best); bar = 90% interval", fontsize=8)
    ax.set_xticks([])
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower left", frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def plot_band_probabilities(summary: pd.DataFrame, labels: list[str] | tuple[str, ...], title: str, path: str | Path | None,
                            max_schools: int = 600) -> Figure:
    """Two panels: band probabilities of schools ordered by median rank (stacked), and how sure the band is.

    Left: for each school (ordered by median rank) the probability of each band, stacked to one.
    Right: share of schools whose most likely band has probability at least 0.5, 0.7, 0.9, 0.95.
    """
    part = _subsample(summary, max_schools)
    cols = [f"p_{label}" for label in labels]
    colours = _colours(len(labels))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [2.3, 1]})
    x = np.arange(len(part))
    ax.stackplot(x, *[part[c].to_numpy() for c in cols[::-1]], labels=list(labels)[::-1], colors=colours[::-1],
                 alpha=0.9)
    ax.set_xlim(0, max(1, len(part) - 1))
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.set_xlabel(f"schools, best median rank on the left ({len(part):,} of {len(summary):,} shown)", fontsize=8)
    ax.set_ylabel("probability of each band", fontsize=8)
    ax.legend(fontsize=7, loc="lower left", frameon=True)
    thresholds = [0.5, 0.7, 0.9, 0.95]
    shares = [(summary["p_modal_band"] >= t).mean() for t in thresholds]
    ax2.bar([f">= {t:g}" for t in thresholds], shares, color="#1f5c99")
    for i, s in enumerate(shares):
        ax2.annotate(f"{s:.0%}", (i, s), ha="center", va="bottom", fontsize=8)
    ax2.set_ylim(0, 1.08)
    ax2.set_xlabel("probability of the most likely band", fontsize=8)
    ax2.set_ylabel(f"share of {len(summary):,} schools", fontsize=8)
    ax2.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def plot_sensitivity(table: pd.DataFrame, title: str, path: str | Path | None) -> Figure:
    """First-order and total Sobol indices per input group (rows of ``sobol_indices`` for one output)."""
    part = table.iloc[::-1]
    y = np.arange(len(part))
    fig, ax = plt.subplots(figsize=(7, 0.42 * len(part) + 1.5))
    ax.barh(y + 0.18, part["ST"], height=0.36, color="#9ecae1", label="total effect (ST)")
    ax.barh(y - 0.18, part["S1"], height=0.36, color="#1f5c99", label="first order (S1)")
    for col, off in (("ST", 0.18), ("S1", -0.18)):
        lo, hi = part.get(f"{col}_lo"), part.get(f"{col}_hi")
        if lo is not None and np.isfinite(lo).all():
            ax.errorbar(part[col], y + off, xerr=[(part[col] - lo).clip(lower=0), (hi - part[col]).clip(lower=0)],
                        fmt="none", ecolor="black", capsize=2, linewidth=0.8)
    ax.set_yticks(y, part["group"], fontsize=8)
    ax.set_xlim(0, max(1.0, float(np.nanmax(part[["ST", "S1"]].to_numpy())) + 0.05))
    ax.set_xlabel("share of rank variance", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)
