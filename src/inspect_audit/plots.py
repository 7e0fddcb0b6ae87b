"""Plots shared by the report and the app: every point with its interval and n."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402


def plot_shares_by_group(shares: pd.DataFrame, x: str, facet: str, title: str, xlabel: str,
                         path: Path) -> Path:
    """Shares (``share``, ``ci_low``, ``ci_high``, ``n``) against ``x``, one panel per ``facet``."""
    panels = list(dict.fromkeys(shares[facet]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), sharey=True, squeeze=False)
    for ax, panel in zip(axes[0], panels):
        part = shares[shares[facet] == panel].sort_values(x)
        ax.errorbar(part[x], part["share"], yerr=[part["share"] - part["ci_low"], part["ci_high"] - part["share"]],
                    fmt="o-", capsize=4, color="#1f5c99")
        for xi, yi, n in zip(part[x], part["ci_high"], part["n"]):
            ax.annotate(f"n={n:,}", (xi, yi), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=7)
        ax.set_title(str(panel))
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_xticks(sorted(part[x].unique()))
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
