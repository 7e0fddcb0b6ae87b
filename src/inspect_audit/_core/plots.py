"""Plots shared by the report and the app: every point with its interval and n."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
import pandas as pd  # noqa: E402


def wrap_titles(fig: Figure) -> None:
    """Wrap each axes' title (and the figure's suptitle) onto as many lines as its width needs, so that no title
    runs past the figure's edge."""
    import textwrap

    def fill(text: str, inches: float, size: float) -> str:
        per_line = max(20, int(inches * 72 / (0.6 * size)))  # DejaVu Sans: a mean glyph ~0.6 em
        return "\n".join(textwrap.fill(part, per_line) for part in text.split("\n"))

    for ax in fig.axes:
        title = ax.title
        if title.get_text():
            title.set_text(fill(title.get_text(), ax.get_position().width * fig.get_figwidth(), title.get_fontsize()))
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        sup.set_text(fill(sup.get_text(), fig.get_figwidth() * 0.95, sup.get_fontsize()))


def save_figure(fig: Figure, path: str | Path | None = None,
                rect: tuple[float, float, float, float] | None = None) -> Figure:
    """Lay out a figure, write it to ``path`` (PNG, 120 dpi) if one is given, and return it.

    The figure is released from pyplot (so many figures do not pile up) but stays usable: show it in a notebook
    or the app, or save it again with ``fig.savefig``. Every plot function of the package ends here, so each
    returns its :class:`~matplotlib.figure.Figure` and takes ``path=None`` to write nothing.
    """
    wrap_titles(fig)
    fig.tight_layout(rect=rect)
    if path is not None:
        fig.savefig(path, dpi=120)
    plt.close(fig)
    return fig


def plot_shares_by_group(shares: pd.DataFrame, x: str, facet: str, title: str, xlabel: str,
                         path: str | Path | None) -> Figure:
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
    return save_figure(fig, path)


def plot_estimates(table: pd.DataFrame, label: str, title: str, xlabel: str, path: str | Path | None,
                   limits: tuple[float, float] | None = (0, 1)) -> Figure:
    """Horizontal point-and-interval chart: one row per ``label`` with ``estimate``, ``ci_low``, ``ci_high``, ``n``."""
    part = table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(part) + 1.4))
    y = range(len(part))
    ax.errorbar(part["estimate"], y, xerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                fmt="o", capsize=4, color="#1f5c99")
    ax.set_yticks(list(y), [f"{name} (n={n:,})" for name, n in zip(part[label], part["n"])], fontsize=8)
    if limits:
        ax.set_xlim(*limits)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return save_figure(fig, path)


def plot_d_study(d_table: pd.DataFrame, title: str, path: str | Path | None, target: float = 0.8) -> Figure:
    """Projected reliability (G and Phi, with intervals where present) against the number of raters."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    same = (d_table["g_coefficient"] - d_table["phi_coefficient"]).abs().max() < 1e-12
    lines = ([("phi", "G = Phi (raters nested in schools)", "#1f5c99")] if same else
             [("phi", "Phi (absolute: the grade itself)", "#1f5c99"), ("g", "G (relative: ranking schools)", "#c06000")])
    for column, name, colour in lines:
        ax.plot(d_table["n_raters"], d_table[f"{column}_coefficient"], "o-", color=colour, label=name)
        if f"{column}_low" in d_table:
            ax.fill_between(d_table["n_raters"], d_table[f"{column}_low"], d_table[f"{column}_high"],
                            color=colour, alpha=0.15)
    ax.axhline(target, ls="--", color="grey", lw=1)
    ax.annotate(f"{target:.2f}", (d_table["n_raters"].max(), target), textcoords="offset points",
                xytext=(0, 3), ha="right", fontsize=8, color="grey")
    ax.set_xlabel("inspectors grading each school independently", fontsize=9)
    ax.set_ylabel("projected reliability", fontsize=9)
    ax.set_ylim(0, 1)
    ax.set_xticks(list(d_table["n_raters"]))
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return save_figure(fig, path)
