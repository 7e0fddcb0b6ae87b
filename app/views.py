"""Shared display helpers for the pages: estimates as sentences, interval charts and tables for people.

Wording only: every number comes from the library; nothing here computes an estimate.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

PHASE_WORDS = {"all": "in all schools", "primary": "in primary schools", "secondary": "in secondary schools",
               "special": "in special schools", "nursery": "in nursery schools", "all_through": "in all-through schools",
               "pru": "in pupil referral units"}
TERM_WORDS = {"male": "a male lead inspector", "hmi": "a lead inspector who is one of His Majesty's Inspectors",
              "serving_leader": "a lead inspector who is a serving school leader"}

TERM_SHORT = {"male": "male", "hmi": "HMI", "serving_leader": "serving leader"}


def phase_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of an effects table, without the ``all`` rows when there are per-phase rows (they say it again)."""
    return frame[frame["phase"] != "all"] if frame["phase"].nunique() > 2 else frame


def in_phase(phase: str) -> str:
    """'In primary schools' for the start of a sentence."""
    return PHASE_WORDS.get(phase, f"in {phase}").capitalize()


def outcome_of(estimand: str) -> str:
    """The outcome an effects row's estimand names: 'change in P(good_or_better) ...' -> 'good or better'."""
    return estimand.split("P(")[1].split(")")[0].replace("_", " ")


def points(mean: float, low: float, high: float) -> str:
    """A probability difference in percentage points with its interval, in the direction of the estimate
    (for ``direction(mean)``): '2.8-point (0.4 to 5.5)' higher; -0.158 (-0.193 to -0.122) reads
    '15.8-point (12.2 to 19.3)' lower; an interval across zero keeps its sign: '0.9-point (-3.5 to 4.8)'."""
    sign = 1 if mean >= 0 else -1
    a, b = sorted((sign * 100 * low, sign * 100 * high))
    return f"{abs(100 * mean):.1f}-point ({a:.1f} to {b:.1f})"


def direction(mean: float, up: str = "higher", down: str = "lower") -> str:
    return up if mean >= 0 else down


def share(p: float) -> str:
    return "-" if pd.isna(p) else f"{p:.0%}"


def interval_chart(frame: pd.DataFrame, label: str, x_title: str, *, estimate: str = "estimate",
                   low: str = "ci_low", high: str = "ci_high", n: str | None = "n", colour: str | None = None,
                   percent: bool = False, zero: bool = False, height: int | None = None) -> None:
    """Points with 90% interval bars, one row per ``label`` (n in the label when given)."""
    data = frame.copy()
    if n and n in data:
        data["_label"] = [f"{a} (n={int(b):,})" if pd.notna(b) else str(a) for a, b in zip(data[label], data[n])]
    else:
        data["_label"] = data[label].astype(str)
    fmt = ".0%" if percent else ".2f"
    y = alt.Y("_label:N", title=None, sort=None, axis=alt.Axis(labelLimit=420, labelOverlap=False))
    x = alt.X(f"{low}:Q", title=x_title, axis=alt.Axis(format=fmt))
    colour_enc = alt.Color(f"{colour}:N", title=None) if colour else alt.value("#1f5c99")
    tooltip = [alt.Tooltip(f"{c}:Q", format=fmt) for c in (estimate, low, high)]
    base = alt.Chart(data)
    chart = (base.mark_rule(strokeWidth=2).encode(y=y, x=x, x2=f"{high}:Q", color=colour_enc)
             + base.mark_point(filled=True, size=60).encode(y=y, x=f"{estimate}:Q", color=colour_enc, tooltip=tooltip))
    if zero:
        chart = chart + alt.Chart(pd.DataFrame({"z": [0]})).mark_rule(strokeDash=[4, 4], color="grey").encode(x="z:Q")
    st.altair_chart(chart.properties(height=height or 70 + 34 * len(data)), width="stretch")


def table(frame: pd.DataFrame, names: dict[str, str], digits: int = 2, percent: tuple[str, ...] = ()) -> None:
    """Only the ``names`` columns, renamed for people, rounded to ``digits``; ``percent`` columns (shares) shown as
    percentages with one decimal."""
    shown = frame[[c for c in names if c in frame]].copy()
    for column in percent:
        if column in shown:
            shown[column] = (100 * pd.to_numeric(shown[column], errors="coerce")).round(1)
    shown = shown.round(digits).rename(columns=names)
    config = {names[c]: st.column_config.NumberColumn(format="%.1f%%") for c in percent if c in frame}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)


def card_paragraph(text: str, start: str) -> str:
    """The paragraph of a Markdown model card that begins with ``start`` (joined onto one line), '' if none.

    >>> card_paragraph("a\\n\\n**Limits.** One\\ntwo.\\n\\nb", "**Limits.**")
    '**Limits.** One two.'
    """
    for block in text.split("\n\n"):
        if block.lstrip().startswith(start):
            return " ".join(line.strip() for line in block.strip().splitlines())
    return ""


def signed_points(value: float) -> str:
    """A probability change in percentage points with its sign: 0.135 -> '+13.5'."""
    return f"{100 * value:+.1f}"
