"""Reliability dashboard: how consistent are judgements when several raters grade the same school?"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import app_state
import views
from app_state import figure, pseudonym_key
from inspect_audit._core.plots import plot_d_study, plot_estimates
from inspect_audit._core.privacy import pseudonymise
from inspect_audit.agreement.decisions import decision_consistency, rater_agreement, rater_type_agreement
from inspect_audit.agreement.gtheory import COMPONENTS, d_study, g_study, raters_needed
from inspect_audit.agreement.report import DECISION_LABELS, HEADLINE
from inspect_audit.agreement.table import agreement_table, to_wide
from inspect_audit.data import schemas

#: Inspectors with fewer paired inspections than this are left out of the peer-agreement table.
MIN_PAIRS = 3
COEFFICIENT_NAMES = {"percent_agreement": "Exact agreement", "fleiss_kappa": "Fleiss' kappa",
                     "fleiss_kappa_quadratic": "Fleiss' kappa (quadratic weights)", "gwet_ac1": "Gwet's AC1",
                     "gwet_ac2_quadratic": "Gwet's AC2 (quadratic weights)",
                     "krippendorff_alpha_ordinal": "Krippendorff's alpha (ordinal)", "icc1_1": "ICC(1,1)"}

data = app_state.open_page("Reliability dashboard", ("ratings",),
                           "a `ratings` table: several raters grading the same school (a paired-inspection study)")
tables = data.tables
st.caption("Every figure has a 90% interval and the number of schools it rests on.")
ratings = tables["ratings"]

with st.sidebar:
    st.subheader("Filters")
    study = st.selectbox("Study", sorted(ratings["study_id"].unique()), key="rel_study")
    part = ratings[ratings["study_id"] == study]
    areas = sorted(part["area"].unique())
    area = st.selectbox("Judgement area", areas, key="rel_area",
                        index=areas.index("overall_effectiveness") if "overall_effectiveness" in areas else 0)
    if "framework" in part and part["framework"].notna().any():
        framework = st.selectbox("Framework", sorted(part["framework"].dropna().unique()), key="rel_framework")
        part = part[part["framework"] == framework]
    else:
        framework = None
    if "schools" in tables:
        phase = st.selectbox("Phase", ["all"] + sorted(tables["schools"]["phase"].dropna().unique()), key="rel_phase")
        if phase != "all":
            urns = set(tables["schools"].loc[tables["schools"]["phase"] == phase, "urn"])
            part = part[part["unit_id"].isin(urns)]
    show_names = st.toggle("Show inspector identities (your own data only)", value=False, key="rel_names",
                           disabled=data.kind == "simulated")

part = part[part["area"] == area]
scale = schemas.scale_for(framework, area) if framework else schemas.scale("legacy_4")
inspectors = part[part["rater_type"] == "inspector"]
filters = (study, area, framework, st.session_state.get("rel_phase", "all"))  # what the cached results depend on


def coefficients(frame: pd.DataFrame, codes: tuple[int, ...]) -> pd.DataFrame:
    wide = to_wide(frame.assign(rater_id=frame.groupby("unit_id").cumcount() + 1))
    return agreement_table(wide, list(codes), n_boot=1000, seed=0)


def decision_study(frame: pd.DataFrame) -> tuple[pd.DataFrame, int | None, tuple[float, float]]:
    """D-study table, inspectors needed for phi 0.80, and that number's 90% bootstrap interval."""
    wide = to_wide(frame.assign(rater_id=frame.groupby("unit_id").cumcount() + 1))
    g = g_study(wide.to_numpy(), design="nested", n_boot=500, seed=0)
    names = COMPONENTS[g.attrs["design"]]
    needed = [raters_needed(dict(zip(names, rep)), 0.8, "phi", max_raters=100) or np.inf
              for rep in g.attrs.get("bootstrap", [])]
    low, high = (np.percentile(needed, [5, 95]) if needed else (np.nan, np.nan))
    return d_study(g, range(1, 9)), raters_needed(g, 0.8, "phi"), (float(low), float(high))


if inspectors["unit_id"].nunique() < 2 or inspectors.groupby("unit_id").size().max() < 2:
    st.warning("Fewer than two schools graded by two or more inspectors under these filters: nothing to measure.")
    st.stop()

decisions = decision_consistency(inspectors, scale)
by = decisions.set_index("statistic")
same, gob = by.loc["same_grade"], by.loc["same_side_good_or_better"]
st.markdown(f"When two inspectors graded the same school independently, they gave **the same grade in "
            f"{same.estimate:.0%}** of schools (90% interval {same.ci_low:.0%} to {same.ci_high:.0%}; n = {same.n} "
            f"schools) and **agreed whether it was Good or better in {gob.estimate:.0%}** ({gob.ci_low:.0%} to "
            f"{gob.ci_high:.0%}; n = {gob.n}).")
left, right = st.columns(2)
left.metric("Same grade from two inspectors", f"{same.estimate:.0%}",
            help=f"90% interval {same.ci_low:.0%} to {same.ci_high:.0%}; n = {same.n} schools")
left.caption(f"90% interval {same.ci_low:.0%} to {same.ci_high:.0%}, n = {same.n} schools")
right.metric("Agree on Good or better vs not", f"{gob.estimate:.0%}",
             help=f"90% interval {gob.ci_low:.0%} to {gob.ci_high:.0%}; n = {gob.n} schools")
right.caption(f"90% interval {gob.ci_low:.0%} to {gob.ci_high:.0%}, n = {gob.n} schools")

st.subheader("Decision consistency at the high-stakes boundaries")
st.image(app_state.memo(data, (*filters, "decisions"), figure, plot_estimates,
                        decisions.assign(decision=decisions["statistic"].map(DECISION_LABELS)), "decision",
                        "Share of paired inspections agreeing (90% intervals)", "share agreeing"))

st.subheader("Agreement coefficients")
with st.spinner("Computing agreement coefficients ..."):
    table = app_state.memo(data, filters, coefficients, inspectors, scale.codes)
headline = table[table["statistic"].isin(HEADLINE)]
ac1 = table.set_index("statistic").loc["gwet_ac1"]
st.markdown(f"Gwet's AC1, the coefficient that stays sensible when most schools get the same grade, is "
            f"**{ac1.estimate:.2f}** (90% interval {ac1.ci_low:.2f} to {ac1.ci_high:.2f}; n = {int(ac1.n)} schools; "
            "1 = perfect agreement, 0 = no better than chance).")
st.dataframe(headline.assign(statistic=headline["statistic"].map(COEFFICIENT_NAMES).fillna(headline["statistic"]))
             [["statistic", "estimate", "ci_low", "ci_high", "n"]]
             .rename(columns={"statistic": "Coefficient", "estimate": "Estimate", "ci_low": "Low (90%)",
                              "ci_high": "High (90%)", "n": "Schools"}).round(2),
             hide_index=True)
st.caption("When most schools get the same grade, kappa-type coefficients are low even with high raw agreement "
           "(the kappa paradox); Gwet's AC1 is shown beside them.")
with st.expander("All coefficients, with methods"):
    st.dataframe(table.round(3), hide_index=True)

st.subheader("How many inspectors would make a grade reliable?")
with st.spinner("Projecting reliability for more inspectors ..."):
    d_table, needed, (low, high) = app_state.memo(data, filters, decision_study, inspectors)
st.image(app_state.memo(data, (*filters, "d-study"), figure, plot_d_study, d_table, "Projected reliability by number of inspectors"))
if needed:
    span = (f"{low:.0f} to {high:.0f}" if np.isfinite(high) else f"{low:.0f} to more than 100")
    st.write(f"Reaching a reliability of 0.80 would take **{needed}** independent inspectors per school "
             f"(90% bootstrap interval {span}; n = {inspectors['unit_id'].nunique()} schools).")
else:
    st.write("A reliability of 0.80 is not reached with a realistic number of inspectors.")
st.caption("Generalizability theory, inspectors nested in schools (each school had its own pair): phi, the "
           "reliability of the grade itself. The interval re-samples schools; inspectors are held fixed.")

st.subheader("Each inspector's agreement with peers")
per_rater = rater_agreement(inspectors)
if not show_names:
    per_rater["rater_id"] = pseudonymise(per_rater["rater_id"], pseudonym_key())
few = per_rater["n_pairs"] < MIN_PAIRS
shown = per_rater[~few].sort_values(["n_pairs", "agreement"], ascending=[False, True])
st.write(f"{len(shown)} inspectors with at least {MIN_PAIRS} paired inspections are shown, most pairs first; "
         f"{int(few.sum())} with fewer are left out (one or two pairs say next to nothing about an inspector).")
views.table(shown, {"rater_id": "Inspector", "n_pairs": "Pairs", "n_units": "Schools", "agreement": "Same grade as peer",
                    "ci_low": "Low (90%)", "ci_high": "High (90%)", "mean_difference": "Mean grade difference"})
st.caption("Pseudonymous ids by default. Do not rank inspectors on this table; see the inspector-effects page for "
           "a model that accounts for the schools each inspector saw.")

if part["rater_type"].nunique() > 1:
    st.subheader("Self-evaluation, peer review and inspection")
    kinds = rater_type_agreement(part)
    for _, r in kinds.iterrows():
        st.markdown(f"- {str(r['rater_types']).replace('_', ' ').capitalize()}: the same grade in **{r['agreement']:.0%}** "
                    f"of pairs ({r['ci_low']:.0%} to {r['ci_high']:.0%}; n = {int(r['n_pairs'])} pairs).")
    views.table(kinds, {"rater_types": "Raters compared", "n_pairs": "Pairs", "agreement": "Same grade",
                        "ci_low": "Low (90%)", "ci_high": "High (90%)", "mean_difference": "Mean grade difference",
                        "difference_ci_low": "Difference low (90%)", "difference_ci_high": "Difference high (90%)"})
    st.caption("Mean difference = first kind's grade minus second's on Ofsted's coding (negative: first grades "
               "more favourably).")
