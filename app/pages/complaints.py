"""Complaints: how often inspections draw a complaint, how often complaints are upheld, how long they take."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
import views
from app_state import figure
from inspect_audit._core.export import describe, protect
from inspect_audit.complaints import complaint_rates, plot_time_to_closure, time_to_closure, upheld_rates
from inspect_audit.complaints.report import default_snapshot

DIMENSIONS = {"stage": "furthest stage reached", "grade": "grade awarded", "phase": "phase", "region": "region"}

data = app_state.open_page("Complaints", ("complaints", "inspections"),
                           "a `complaints` table (one row per complaint, with its inspection, stage, outcome and dates)")
tables = data.tables
st.caption("Shares with 90% intervals (Wilson for observed shares; a beta-binomial model that pools small groups "
           "towards the overall rate); groups of fewer than 10 complaints are withheld.")
complaints = tables["complaints"]
dimensions = [d for d in DIMENSIONS if d == "stage" or d == "grade" or ("schools" in tables and d in tables["schools"])]
dimension = st.selectbox("Compare by", dimensions, format_func=DIMENSIONS.get, key="co_by")


def rates(dimensions: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    upheld = upheld_rates(complaints, tables["inspections"], tables.get("judgements"), tables.get("schools"),
                          by=list(dimensions))
    drawn = complaint_rates(complaints, tables["inspections"], tables.get("judgements"), tables.get("schools"),
                            by=[d for d in dimensions if d != "stage"])
    return upheld, drawn


with st.spinner("Counting complaints ..."):
    upheld, drawn = app_state.guarded("Counting complaints", app_state.memo, data, ("rates", tuple(dimensions)), rates,
                                      tuple(dimensions))
overall = upheld[(upheld["dimension"] == "overall") & (upheld["statistic"] == "raw_rate")]
if len(overall):
    r = overall.iloc[0]
    st.markdown(f"Of **{int(r['n']):,} decided complaints**, **{r['estimate']:.0%}** were upheld in full or in part "
                f"(90% interval {r['ci_low']:.0%} to {r['ci_high']:.0%}).")

st.subheader(f"Complaints upheld, by {DIMENSIONS[dimension]}")
pooled, shown = protect(upheld[(upheld["dimension"] == dimension) & (upheld["statistic"] == "pooled_rate")],
                        min_n=10, n_col="n")
pooled = pooled.dropna(subset=["estimate"])
if pooled.empty:
    st.write(f"No group of {DIMENSIONS[dimension]} has 10 or more decided complaints: nothing can be shown.")
else:
    views.interval_chart(pooled.assign(group=pooled["group"].astype(str).str.replace("_", " ")), "group",
                         "share of decided complaints upheld (90% interval)", percent=True)
    st.caption(describe(shown) + " Partially pooled estimates: small groups are drawn towards the overall rate.")

if dimension != "stage":
    st.subheader(f"Inspections that drew a complaint, by {DIMENSIONS[dimension]}")
    part, shown = protect(drawn[drawn["dimension"] == dimension], min_n=10, n_col="n")
    part = part.dropna(subset=["estimate"])
    if len(part):
        top, bottom = part.loc[part["estimate"].idxmax()], part.loc[part["estimate"].idxmin()]
        st.markdown(f"Complaints were most frequent after **{top['group']}** ({top['estimate']:.0%} of inspections, "
                    f"{top['ci_low']:.0%} to {top['ci_high']:.0%}; n = {int(top['n']):,}) and least frequent after "
                    f"**{bottom['group']}** ({bottom['estimate']:.0%}, {bottom['ci_low']:.0%} to "
                    f"{bottom['ci_high']:.0%}; n = {int(bottom['n']):,}).")
        views.interval_chart(part.assign(group=part["group"].astype(str).str.replace("_", " ")), "group",
                             "share of inspections with a complaint (90% interval)", percent=True)

st.subheader("Time to closure")
snapshot = default_snapshot(complaints)
closure = app_state.guarded("Time to closure", app_state.memo, data, ("closure", str(snapshot)), time_to_closure,
                            complaints, snapshot)
medians, shown = protect(closure.medians, min_n=10, n_col="n")
everyone = medians[medians["group"] == "all"]
if len(everyone) and pd.notna(everyone["estimate"].iloc[0]):
    r = everyone.iloc[0]
    st.markdown(f"Half of all complaints were closed within **{r['estimate']:.0f} days** (90% interval "
                f"{r['ci_low']:.0f} to {r['ci_high']:.0f}; n = {int(r['n']):,}, {int(r['n_censored'])} still open on "
                f"{snapshot:%d %B %Y}).")
st.image(app_state.memo(data, ("closure-plot", str(snapshot)), figure, plot_time_to_closure, closure))
views.table(medians, {"group": "Furthest stage", "estimate": "Median days", "ci_low": "Low (90%)",
                      "ci_high": "High (90%)", "n": "Complaints", "n_censored": "Still open"}, digits=0)
st.caption("Kaplan-Meier: complaints still open on the extraction date count until then. " + describe(shown))

with st.expander("All upheld rates (observed and pooled), as a table"):
    table, _ = protect(upheld, min_n=10, n_col="n")
    views.table(table, {"dimension": "Compared by", "group": "Group", "statistic": "Estimate kind",
                        "estimate": "Share upheld", "ci_low": "Low (90%)", "ci_high": "High (90%)",
                        "n": "Decided complaints"}, percent=("estimate", "ci_low", "ci_high"))
st.caption("How a complaint about one inspection sits against these rates, with the inspector's severity: the "
           "complaint evidence pack.")
