"""Report cards: where schools' grades went from the old framework, and how much grades pile up in the middle."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
import views
from app_state import figure
from inspect_audit.grade_patterns import area_concentration, transition_summary
from inspect_audit.grade_patterns.concentration import suppressed as suppressed_areas
from inspect_audit.grade_patterns.report import human, plot_middle, plot_transitions
from inspect_audit.grade_patterns.transitions import FRAMEWORK
from inspect_audit.grade_patterns.transitions import suppressed as suppressed_cells


def no_report_cards(tables: dict[str, pd.DataFrame]) -> str:
    frameworks = set(tables["inspections"]["framework"].astype(str)) if "framework" in tables["inspections"] else set()
    return "" if FRAMEWORK in frameworks else "have no report-card inspections (framework report_card_2025)"


data = app_state.open_page("Report cards: grade patterns", ("schools", "inspections", "judgements"),
                           "report-card inspections (framework report_card_2025) and, for where grades went, the "
                           "same schools' earlier graded inspections", fallback="bundled", check=no_report_cards)
tables = data.tables
st.caption("Report cards grade each area on five points (Exceptional, Strong standard, Expected standard, Needs "
           "attention, Urgent improvement). 90% intervals; cells of fewer than 10 schools are withheld.")
phase = st.selectbox("Phase", ["all", "primary", "secondary"], key="gp_phase",
                     format_func=lambda p: "all phases" if p == "all" else p)

st.subheader("Where did schools' grades go?")
summary = suppressed_cells(app_state.guarded("Linking report cards to earlier grades", app_state.memo, data,
                                             ("transitions",), transition_summary, tables))
part = summary[(summary["phase"] == phase) & (summary["previous_grade"] > 0) & ~summary["suppressed"]]
if part.empty:
    st.write("No school with a report card has an earlier graded inspection in these data (or fewer than 10 per "
             "group): nothing to compare.")
else:
    good = part[part["previous_label"] == "Good"]
    if len(good):
        worst = good.loc[good["share"].idxmax()]
        alike = good[good["outcome"] == worst["outcome"]]  # safeguarding reads 'not met': not compared here
        best = alike.loc[alike["share"].idxmin()]
        st.markdown(f"Of schools judged **Good** at their last graded inspection, **{worst['share']:.0%}** were graded "
                    f"{worst['outcome']} on **{human(worst['area']).lower()}** ({worst['ci_low']:.0%} to "
                    f"{worst['ci_high']:.0%}; n = {int(worst['n']):,}), the most of any area, and "
                    f"**{best['share']:.0%}** on {human(best['area']).lower()} ({best['ci_low']:.0%} to "
                    f"{best['ci_high']:.0%}), the fewest.")
    st.image(app_state.memo(data, ("transitions-plot", phase), figure,
                            lambda s, p, path: plot_transitions(s, FRAMEWORK, path, phase=p), summary, phase))
    with st.expander("Every area by previous grade (table)"):
        views.table(part.assign(area=part["area"].map(human)),
                    {"area": "Area", "previous_label": "Previous overall grade", "outcome": "Outcome",
                     "share": "Share", "ci_low": "Low (90%)", "ci_high": "High (90%)", "n": "Schools"},
                    percent=("share", "ci_low", "ci_high"))

st.subheader("Do grades pile up in the middle?")
middle = app_state.guarded("Measuring concentration", app_state.memo, data, ("concentration",), area_concentration,
                           tables, [FRAMEWORK])
middle = suppressed_areas(middle, ["middle_share", "middle_low", "middle_high", "concentration", "concentration_low",
                                   "concentration_high"], ["framework", "area", "phase"])
rows = middle[(middle["phase"] == phase) & ~middle["suppressed"]].dropna(subset=["middle_share"])
if rows.empty:
    st.write("Too few report cards in this phase to say.")
else:
    top = rows.loc[rows["middle_share"].idxmax()]
    st.markdown(f"Between **{rows['middle_share'].min():.0%}** and **{rows['middle_share'].max():.0%}** of report-card "
                f"grades are at the middle grade ({top['middle_label']}), most on "
                f"**{human(top['area']).lower()}** ({top['middle_low']:.0%} to {top['middle_high']:.0%}; n = "
                f"{int(top['n']):,} schools).")
    st.image(app_state.memo(data, ("middle-plot",), figure,
                            lambda t, path: plot_middle(t, FRAMEWORK, path), middle))
    views.table(rows.assign(area=rows["area"].map(human)),
                {"area": "Area", "middle_share": "At the middle grade", "middle_low": "Low (90%)",
                 "middle_high": "High (90%)", "concentration": "Concentration index", "n": "Schools"},
                percent=("middle_share", "middle_low", "middle_high"))
    st.caption("Concentration index 1 - H / ln K: 0 = grades spread evenly over the five, 1 = every school the same "
               "grade (bootstrap 90% intervals).")
