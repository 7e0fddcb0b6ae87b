"""Figures people can read: every plot function ends in ``_core.plots.save_figure``, which returns the Figure
(``path=None`` writes nothing) and wraps a title that would run past the figure's edge."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from inspect_audit._core.plots import plot_estimates, save_figure

LONG = ("Complaints upheld by grade awarded (overall effectiveness) (90% intervals) - simulated data, partially "
        "pooled across every group the data hold")


def _inside(fig: Figure) -> bool:
    renderer = FigureCanvasAgg(fig).get_renderer()  # a released figure keeps no canvas of its own
    width = fig.get_figwidth() * fig.dpi
    boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes if ax.title.get_text()]
    return all(b.x0 >= -1 and b.x1 <= width + 1 for b in boxes)


def test_a_long_title_is_wrapped_inside_the_figure():
    fig, ax = plt.subplots(figsize=(6, 3))
    fig.subplots_adjust(left=0.35)  # long y labels push the axes right, as in the complaints plots
    ax.set_title(LONG, fontsize=10)
    assert not _inside(fig)  # as drawn, the title runs off the figure
    out = save_figure(fig)
    assert out is fig and "\n" in ax.get_title() and _inside(fig)


def test_plots_return_a_figure_and_write_only_when_asked(tmp_path):
    table = pd.DataFrame({"what": ["a", "b"], "estimate": [0.2, 0.5], "ci_low": [0.1, 0.4], "ci_high": [0.3, 0.6],
                          "n": [10, 20]})
    fig = plot_estimates(table, "what", LONG, "share", None)
    assert isinstance(fig, Figure) and not list(tmp_path.iterdir())
    plot_estimates(table, "what", "short title", "share", tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
