"""Inspector effects and fairness: how much of the grade depends on who inspects, and on school context."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

import app_state
import views
from inspect_audit._core.export import describe, protect

INSPECTOR_TABLES = ("schools", "inspections", "judgements", "inspectors")
data = app_state.open_page("Inspector effects and fairness", INSPECTOR_TABLES,
                           "inspector identities: an `inspectors` table and each inspection's lead inspector "
                           "(public data never name inspectors)")
st.caption("Bayesian multilevel ordinal model (cumulative logit, crossed effects for inspector, school and year); "
           "90% intervals. Technical detail: models/inspector-effects.md.")
app_state.fit_source(data)

model = app_state.model_for(data)
diag = model.diagnostics()
n_ins, n_insp = diag["data"]["n"]["inspections"], diag["data"]["n"]["inspectors"]
if diag["ok"]:
    st.success(f"The sampler converged (max R-hat {diag['max_rhat']:.3f}, min ESS {diag['min_ess_bulk']:.0f}, "
               f"{diag['divergences']} divergences): estimates may be used.")
else:
    st.error(f"UNUSABLE FIT: the sampler did not pass its convergence checks (max R-hat {diag['max_rhat']:.3f}, "
             f"min bulk ESS {diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences). Nobody is flagged; "
             "estimates are shown for information only. Fit with more draws on the Model explorer page.")

st.subheader("How much of the grade is due to who inspects?")
vp = model.variance_partition().set_index("statistic")
if "icc_inspector_total" in vp.index:
    icc, gap = vp.loc["icc_inspector_total"], vp.loc["p_good_or_better_gap_p90_p10"]
    st.markdown(f"About **{icc['mean']:.0%}** of the variation in grades is due to which inspector leads the "
                f"inspection (90% interval {icc['ci_low']:.0%} to {icc['ci_high']:.0%}; n = {n_ins:,} inspections by "
                f"{n_insp} inspectors). A school's chance of Good or better is **{gap['mean']:.0%}** higher with a "
                f"lenient inspector than with a harsh one (10th vs 90th percentile; {gap['ci_low']:.0%} to "
                f"{gap['ci_high']:.0%}).")
cols = st.columns(3)
for col, (stat, name, fmt) in zip(cols, [("icc_inspector_total", "Share of grade variation due to inspector", "{:.0%}"),
                                          ("median_odds_ratio", "Median odds ratio between two inspectors", "{:.2f}"),
                                          ("p_good_or_better_gap_p90_p10",
                                           "Gap in P(Good or better): lenient vs harsh inspector", "{:.0%}")]):
    if stat in vp.index:
        r = vp.loc[stat]
        col.metric(name, fmt.format(r["mean"]))
        col.caption(f"90% interval {fmt.format(r['ci_low'])} to {fmt.format(r['ci_high'])}; "
                    f"n = {n_ins:,} inspections, {n_insp} inspectors")

st.subheader("Each inspector's estimated severity")
show_names = st.toggle("Show inspector identities (your own data only)", value=False, key="ins_names",
                       disabled=data.kind == "simulated")
# what is shown (and offered for download by the table) passes the one writer: pseudonyms unless switched off,
# inspectors with fewer than privacy.MIN_N inspections left out
effects, shown = protect(model.inspector_effects(), pseudonymise=not show_names, n_col="n_inspections")
ordered = effects.sort_values("mean").reset_index(drop=True)
flagged = ordered[ordered["flag"] != ""]
st.markdown(f"{len(ordered)} inspectors with at least 10 inspections are shown. "
            + (f"**{(flagged['flag'] == 'severe').sum()} flagged as notably severe, "
               f"{(flagged['flag'] == 'lenient').sum()} as notably lenient** (probability above 0.9 of being beyond "
               "the practical threshold, after a false-discovery rule)." if diag["ok"] else
               "Nobody is flagged: the fit did not pass its convergence checks."))
chart = pd.DataFrame({"inspector (ordered by severity)": ordered.index, "severity": ordered["mean"],
                      "low": ordered["ci_low"], "high": ordered["ci_high"],
                      "flag": ordered["flag"].replace("", "not flagged")})
base = alt.Chart(chart).encode(x=alt.X("inspector (ordered by severity):Q", axis=alt.Axis(labels=False, ticks=False)))
colours = alt.Scale(domain=["severe", "lenient", "not flagged"], range=["#c0392b", "#2471a3", "#aaaaaa"])
st.altair_chart(
    (base.mark_rule(opacity=0.6).encode(y=alt.Y("low:Q", title="severity (+ = harsher grades)"), y2="high:Q",
                                        color=alt.Color("flag:N", scale=colours))
     + base.mark_point(filled=True, size=40).encode(y="severity:Q", color="flag:N",
                                                     tooltip=["severity:Q", "low:Q", "high:Q", "flag:N"])),
    width="stretch")
st.caption(describe(shown))
st.caption("Each inspector's severity with its 90% interval (latent scale: 0 = a typical inspector). Rank "
           "intervals, not ranks, are in the table.")
views.table(ordered.assign(rank_ci_low=ordered["rank_ci_low"].round(), rank_ci_high=ordered["rank_ci_high"].round()),
            {"inspector_id": "Inspector", "n_inspections": "Inspections", "mean": "Severity",
             "ci_low": "Low (90%)", "ci_high": "High (90%)", "p_severe": "P(notably severe)",
             "p_lenient": "P(notably lenient)", "rank_ci_low": "Rank: best (90%)", "rank_ci_high": "Rank: worst (90%)",
             "flag": "Flag"})

st.subheader("Inspector characteristics")
chars = model.characteristic_effects()
probs = chars[chars["scale"] == "probability"]
if probs.empty:
    st.write("The data do not vary in any inspector characteristic (gender, HMI, serving leader): nothing to compare.")
else:
    if probs["phase"].nunique() > 2:  # 'all' and one phase say the same thing: say it once
        probs = probs[probs["phase"] != "all"]
    for _, r in probs.iterrows():
        outcome = r["estimand"].split("P(")[1].split(")")[0].replace("_", " ")
        st.markdown(f"- {views.PHASE_WORDS.get(r['phase'], 'in ' + str(r['phase'])).capitalize()}, "
                    f"{views.TERM_WORDS.get(r['term'], r['term'])} is associated with a "
                    f"{views.points(r['mean'], r['ci_low'], r['ci_high'])} {views.direction(r['mean'])} chance of "
                    f"{outcome}.")
    views.interval_chart(probs.assign(what=probs["term"].map(views.TERM_SHORT).fillna(probs["term"]) + ", "
                                      + probs["phase"]), "what",
                         "change in the chance of a below-good grade (90% interval)", estimate="mean",
                         n=None, percent=True, zero=True)
    st.caption(f"n = {n_ins:,} inspections. Average marginal effects: the lead inspector having the characteristic "
               "vs not, other characteristics, schools and years as observed.")

st.subheader("School context after adjusting for progress")
context = model.context_effects()
fsm = context[(context["term"] == "fsm_quintile") & (context["scale"] == "probability")]
if fsm["phase"].nunique() > 2:  # 'all' and one phase say the same thing: say it once
    fsm = fsm[fsm["phase"] != "all"]
for _, r in fsm.iterrows():
    outcome = r["estimand"].split("P(")[1].split(")")[0].replace("_", " ")
    st.markdown(f"- {views.PHASE_WORDS.get(r['phase'], 'in ' + str(r['phase'])).capitalize()}, a school in the most "
                f"deprived fifth (FSM quintile 5) has a {views.points(r['mean'], r['ci_low'], r['ci_high'])} "
                f"{views.direction(r['mean'])} chance of {outcome} than one in the least deprived fifth, at the same "
                "progress.")
others = context[(context["scale"] == "probability") & (context["term"] != "fsm_quintile")]
if len(others):
    views.interval_chart(others.assign(what=others["term"] + ", " + others["phase"]), "what",
                         "change in the chance of Good or better (90% interval)", estimate="mean", n=None,
                         percent=True, zero=True)
st.caption(f"n = {n_ins:,} inspections. Direct associations, after progress: progress itself partly carries the "
           "effect of deprivation, so a direct effect is not the whole story and not by itself evidence of bias. "
           "The context-fairness page shows the total association on the real data.")
