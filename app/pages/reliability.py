"""Reliability dashboard: how consistent are judgements when several raters grade the same school?"""

from __future__ import annotations


import pandas as pd
import streamlit as st

from app_state import SIMULATED, figure, pseudonym_key, tables_with
from inspect_audit.data import schemas
from inspect_audit.agreement.decisions import decision_consistency, rater_agreement, rater_type_agreement
from inspect_audit.agreement.gtheory import d_study, g_study, raters_needed
from inspect_audit.agreement.report import DECISION_LABELS, HEADLINE
from inspect_audit.agreement.table import agreement_table, to_wide
from inspect_audit._core.plots import plot_d_study, plot_estimates
from inspect_audit._core.privacy import pseudonymise

st.title("Reliability dashboard")
label, tables = tables_with("ratings")
st.caption(f"Data: {label}. Every figure has a 90% interval and the number of schools it rests on.")
if label == SIMULATED:
    st.info("The dataset in use has no multi-rater `ratings` table, so this page shows the simulated "
            "paired-inspection study: simulated inspectors, not real people.")
ratings = tables["ratings"]

with st.sidebar:
    st.subheader("Filters")
    study = st.selectbox("Study", sorted(ratings["study_id"].unique()), key="rel_study")
    part = ratings[ratings["study_id"] == study]
    area = st.selectbox("Judgement area", sorted(part["area"].unique()),
                        index=sorted(part["area"].unique()).index("overall_effectiveness")
                        if "overall_effectiveness" in set(part["area"]) else 0, key="rel_area")
    if "framework" in part and part["framework"].notna().any():
        frameworks = sorted(part["framework"].dropna().unique())
        framework = st.selectbox("Framework", frameworks, key="rel_framework")
        part = part[part["framework"] == framework]
    else:
        framework = None
    if "schools" in tables:
        phases = ["all"] + sorted(tables["schools"]["phase"].dropna().unique())
        phase = st.selectbox("Phase", phases, key="rel_phase")
        if phase != "all":
            urns = set(tables["schools"].loc[tables["schools"]["phase"] == phase, "urn"])
            part = part[part["unit_id"].isin(urns)]
    show_names = st.toggle("Show inspector identities (your own data only)", value=False, key="rel_names",
                           disabled=label == SIMULATED)

part = part[part["area"] == area]
scale = schemas.scale_for(framework, area) if framework else schemas.scale("legacy_4")
inspectors = part[part["rater_type"] == "inspector"]


@st.cache_data(show_spinner="Computing agreement coefficients ...")
def coefficients(frame: pd.DataFrame, codes: tuple[int, ...]) -> pd.DataFrame:
    wide = to_wide(frame.assign(rater_id=frame.groupby("unit_id").cumcount() + 1))
    return agreement_table(wide, list(codes), n_boot=1000, seed=0)


@st.cache_data(show_spinner="Projecting reliability for more inspectors ...")
def decision_study(frame: pd.DataFrame) -> tuple[pd.DataFrame, int | None]:
    wide = to_wide(frame.assign(rater_id=frame.groupby("unit_id").cumcount() + 1))
    g = g_study(wide.to_numpy(), design="nested", n_boot=500, seed=0)
    return d_study(g, range(1, 9)), raters_needed(g, 0.8, "phi")


if inspectors["unit_id"].nunique() < 2 or inspectors.groupby("unit_id").size().max() < 2:
    st.warning("Fewer than two schools graded by two or more inspectors under these filters: nothing to measure.")
    st.stop()

decisions = decision_consistency(inspectors, scale)
same = decisions.set_index("statistic").loc["same_grade"]
gob = decisions.set_index("statistic").loc["same_side_good_or_better"]
left, right = st.columns(2)
left.metric("Same grade from two inspectors", f"{same.estimate:.0%}",
            help=f"90% interval {same.ci_low:.0%} to {same.ci_high:.0%}; n = {same.n} schools")
left.caption(f"90% interval {same.ci_low:.0%} to {same.ci_high:.0%}, n = {same.n} schools")
right.metric("Agree on Good or better vs not", f"{gob.estimate:.0%}",
             help=f"90% interval {gob.ci_low:.0%} to {gob.ci_high:.0%}; n = {gob.n} schools")
right.caption(f"90% interval {gob.ci_low:.0%} to {gob.ci_high:.0%}, n = {gob.n} schools")

st.subheader("Decision consistency at the high-stakes boundaries")
st.image(figure(plot_estimates, decisions.assign(decision=decisions["statistic"].map(DECISION_LABELS)),
                "decision", "Share of paired inspections agreeing (90% intervals)", "share agreeing"))

st.subheader("Agreement coefficients")
table = coefficients(inspectors, scale.codes)
headline = table[table["statistic"].isin(HEADLINE)]
st.dataframe(headline[["statistic", "estimate", "ci_low", "ci_high", "n"]], hide_index=True,
             column_config={c: st.column_config.NumberColumn(format="%.2f") for c in ("estimate", "ci_low", "ci_high")})
st.caption("When most schools get the same grade, kappa-type coefficients are low even with high raw agreement "
           "(the kappa paradox); Gwet's AC1 is shown beside them.")
with st.expander("All coefficients, with methods"):
    st.dataframe(table, hide_index=True)

st.subheader("How many inspectors would make a grade reliable?")
d_table, needed = decision_study(inspectors)
st.image(figure(plot_d_study, d_table, "Projected reliability by number of inspectors"))
st.write(f"Reaching a reliability of 0.80 would take **{needed}** independent inspectors per school."
         if needed else "A reliability of 0.80 is not reached with a realistic number of inspectors.")

st.subheader("Each inspector's agreement with peers")
per_rater = rater_agreement(inspectors)
if not show_names:
    per_rater["rater_id"] = pseudonymise(per_rater["rater_id"], pseudonym_key())
st.dataframe(per_rater.sort_values("agreement"), hide_index=True,
             column_config={c: st.column_config.NumberColumn(format="%.2f")
                            for c in ("agreement", "ci_low", "ci_high", "mean_difference")})
st.caption("Pseudonymous ids by default. Few pairs mean wide intervals: do not rank inspectors on this table; "
           "see the inspector-effects page for a model that accounts for the schools each inspector saw.")

kinds = part["rater_type"].nunique()
if kinds > 1:
    st.subheader("Self-evaluation, peer review and inspection")
    st.dataframe(rater_type_agreement(part), hide_index=True)
    st.caption("Mean difference = first kind's grade minus second's on Ofsted's coding (negative: first grades "
               "more favourably).")
