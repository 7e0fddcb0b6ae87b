"""Surveys and perspectives: what parents, pupils and staff say, beside the inspection grade."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import app_state
import views
from inspect_audit.surveys.analysis import analyse, skipped_analyses
from inspect_audit.surveys.scoring import COMPOSITE


def no_survey(tables: dict[str, pd.DataFrame]) -> str:
    has = [t for t in ("survey_aggregates", "survey_responses") if t in tables and len(tables[t])]
    return "" if has else "have no `survey_aggregates` or `survey_responses` table"


data = app_state.open_page("Surveys and perspectives", ("inspections", "judgements"),
                           "survey results (Parent View aggregates per school, or individual survey responses) and "
                           "the inspections' grades", fallback="simulated", check=no_survey)
tables = data.tables
st.caption("Do the views of parents, pupils and staff line up with the inspection grade? 90% intervals; schools "
           "with fewer than 10 responses are left out.")



def survey_results(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return analyse(frames, n_boot=200, seed=1)


with st.spinner("Scoring the surveys ..."):
    results = app_state.guarded("Analysing the surveys", app_state.memo, data, ("surveys",), survey_results, tables)

by_grade = results.get("parent_view_by_grade")
if by_grade is not None and len(by_grade):
    st.subheader("Parent View by the school's latest grade")
    items = by_grade.drop_duplicates("item_id")
    labels = dict(zip(items["item_id"], items["text"].fillna(items["item_id"])))
    labels[COMPOSITE] = "Mean of all questions"
    order = [COMPOSITE, *[i for i in labels if i != COMPOSITE]]
    item = st.selectbox("Question", [i for i in order if i in set(by_grade["item_id"])], format_func=labels.get,
                        key="sv_item")
    part = by_grade[by_grade["item_id"] == item].sort_values("grade")
    best, worst = part.iloc[0], part.iloc[-1]
    said = "answered positively (all questions)" if item == COMPOSITE else f"agreed that \"{labels[item]}\""
    st.markdown(f"At schools whose latest grade was **{best['grade_label']}**, on average **{best['estimate']:.1f}%** "
                f"of parents {said} ({best['ci_low']:.1f} to {best['ci_high']:.1f}; n = "
                f"{int(best['n']):,} schools), against **{worst['estimate']:.1f}%** at schools graded "
                f"**{worst['grade_label']}** ({worst['ci_low']:.1f} to {worst['ci_high']:.1f}; n = "
                f"{int(worst['n']):,}).")
    part = part.assign(what=part["grade_label"] + " (n=" + part["n"].map("{:,}".format) + ")")
    base = alt.Chart(part).encode(x=alt.X("what:N", sort=None, title="latest overall grade",
                                          axis=alt.Axis(labelAngle=0, labelLimit=300)))
    st.altair_chart((base.mark_rule(strokeWidth=2).encode(y=alt.Y("ci_low:Q", title="parents agreeing (%)",
                                                                   scale=alt.Scale(zero=False)), y2="ci_high:Q")
                     + base.mark_point(filled=True, size=80).encode(y="estimate:Q", tooltip=[
                         "grade_label", alt.Tooltip("estimate:Q", format=".1f"), "n"])).properties(height=280),
                    width="stretch")
    st.caption("Mean over schools of the share of parents agreeing, with 90% intervals; n = schools.")
    with st.expander("Every question by grade (table)"):
        views.table(by_grade, {"text": "Question", "grade_label": "Grade", "estimate": "Parents agreeing (%)",
                               "ci_low": "Low (90%)", "ci_high": "High (90%)", "n": "Schools"}, digits=1)

correlations = results.get("perspective_correlations")
if correlations is not None and len(correlations):
    st.subheader("How closely do views and grades agree?")
    spearman = correlations[correlations["method"] == "spearman"]
    spearman = spearman.assign(who=spearman["x"].astype(str).str.replace(":composite", "s' views (all questions)")
                               .str.replace(":", "s: "))
    for _, r in spearman.iterrows():
        who = r["who"]
        st.markdown(f"- {who[0].upper() + who[1:]} and the inspection grade: rank correlation **{r['estimate']:.2f}** "
                    f"({r['ci_low']:.2f} to {r['ci_high']:.2f}; n = {int(r['n']):,} schools; 0 = none, 1 = the same "
                    "order).")
    views.interval_chart(spearman, "who",
                         "rank correlation with the inspection grade (90% interval)", zero=True)

divergence = results.get("divergence")
if divergence is not None and len(divergence):
    counts = divergence["direction"].value_counts()
    st.markdown(f"**{int(counts.get('above', 0)):,} schools** are rated clearly better by their survey respondents "
                f"than their grade predicts, and **{int(counts.get('below', 0)):,}** clearly worse (standardised "
                f"residual beyond 1.5, of {divergence['urn'].nunique():,} schools).")

reliability = results.get("scale_reliability")
if reliability is not None and len(reliability):
    st.subheader("How reliable are the survey scales?")
    alpha = reliability[reliability["statistic"] == "alpha"]
    st.markdown(f"Cronbach's alpha of the {len(alpha)} scales ranges from **{alpha['estimate'].min():.2f}** to "
                f"**{alpha['estimate'].max():.2f}** (0.7 or more is usually read as adequate for group comparisons).")
    views.interval_chart(alpha.assign(what=alpha["respondent_group"] + ": " + alpha["dimension"].str.replace("_", " ")),
                         "what", "Cronbach's alpha (90% interval)")
    views.table(reliability, {"respondent_group": "Respondents", "dimension": "Scale", "statistic": "Statistic",
                              "estimate": "Estimate", "ci_low": "Low (90%)", "ci_high": "High (90%)",
                              "n": "Respondents"})

skipped = skipped_analyses(tables, results)
if skipped:
    with st.expander(f"Analyses these data do not allow ({len(skipped)})"):
        st.markdown("\n".join(f"- {name.replace('_', ' ')}: {why}" for name, why in skipped.items()))
