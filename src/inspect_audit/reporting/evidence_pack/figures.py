"""The pack's two figures as PNG bytes: grade chances with this lead inspector and a typical one, and the lead
inspector among peers. Every bar and point carries its 90% interval; captions give n."""

from __future__ import annotations

import io
import textwrap

import numpy as np
import pandas as pd

ORANGE, BLUE, GREY = "#c06000", "#1f5c99", "#9bb5d0"


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    plt.close(fig)
    return buffer.getvalue()


def grade_chances(cf: pd.DataFrame, area: str) -> bytes:
    """Bars: the chance of each grade with this lead inspector and with a typical one (90% intervals)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.6, 2.0))
    x = np.arange(len(cf))
    for offset, col, name, colour in ((-0.19, "actual", "this lead inspector", ORANGE),
                                      (0.19, "typical", "a typical inspector", BLUE)):
        mean = cf[f"{col}_mean"].to_numpy(float)
        ax.bar(x + offset, mean, width=0.38, color=colour, alpha=0.85, label=name)
        ax.errorbar(x + offset, mean, yerr=[mean - cf[f"{col}_ci_low"], cf[f"{col}_ci_high"] - mean],
                    fmt="none", ecolor="black", capsize=3, lw=1)
    labels = ["\n".join(textwrap.wrap(f"{lab}{' (awarded)' if obs else ''}", 16))
              for lab, obs in zip(cf["label"], cf["observed"])]
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel("chance", fontsize=8)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(f"Chance of each {area.lower()} grade for this school (90% intervals)", fontsize=9.5)
    ax.legend(fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _png(fig)


def among_peers(effects: pd.DataFrame, lead: str | None) -> bytes:
    """Every inspector's estimated severity with its 90% interval, harshest on the right; the lead in orange."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    part = effects.sort_values("mean").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.2, 2.3))
    mine = (part["inspector_id"] == lead).to_numpy()
    colours = np.where(mine, ORANGE, GREY)
    x = np.arange(len(part))
    ax.vlines(x, part["ci_low"], part["ci_high"], colors=colours, lw=np.where(mine, 2.5, 1.2))
    ax.scatter(x, part["mean"], c=colours, s=np.where(mine, 30, 8), zorder=3)
    ax.axhline(0, color="grey", lw=0.8, ls="--")
    ax.set_xticks([])
    ax.set_xlabel(f"{len(part)} inspectors, from most lenient (left) to harshest (right); orange: this "
                  "inspection's lead inspector", fontsize=8)
    ax.set_ylabel("more lenient  ←  0 = typical  →  harsher", fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("The lead inspector among peers (90% intervals)", fontsize=9.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return _png(fig)
