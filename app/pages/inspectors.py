"""Inspector effects and fairness: how much of the grade depends on who inspects, and on school context."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_state import SIMULATED, model_for, tables_with
from inspect_audit._core.export import describe, protect

st.title("Inspector effects and fairness")
label, tables = tables_with("inspectors")
st.caption(f"Data: {label}. Bayesian multilevel ordinal model (cumulative logit, crossed effects for inspector, "
           "school and year); 90% intervals. Technical detail: models/inspector-effects.md.")
if label == SIMULATED:
    st.info("The dataset in use names no inspectors (public data never do), so this page shows the simulated "
            "dataset: simulated inspectors, not real people.")

model = model_for(tables)
diag = model.diagnostics()
if diag["ok"]:
    st.success(f"The sampler converged (max R-hat {diag['max_rhat']:.3f}, min ESS {diag['min_ess_bulk']:.0f}, "
               f"{diag['divergences']} divergences): estimates may be used.")
else:
    st.error(f"UNUSABLE FIT: the sampler did not pass its convergence checks (max R-hat {diag['max_rhat']:.3f}, "
             f"min bulk ESS {diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences). Nobody is flagged; "
             "estimates are shown for information only. Fit with more draws on the Model explorer page.")

st.subheader("How much of the grade is due to who inspects?")
vp = model.variance_partition().set_index("statistic")
cols = st.columns(3)
for col, (stat, name, fmt) in zip(cols, [("icc_inspector_total", "Share of grade variation due to inspector", "{:.0%}"),
                                          ("median_odds_ratio", "Median odds ratio between two inspectors", "{:.2f}"),
                                          ("p_good_or_better_gap_p90_p10",
                                           "Gap in P(Good or better): lenient vs harsh inspector", "{:.0%}")]):
    if stat in vp.index:
        r = vp.loc[stat]
        col.metric(name, fmt.format(r["mean"]))
        col.caption(f"90% interval {fmt.format(r['ci_low'])} to {fmt.format(r['ci_high'])}; "
                    f"n = {diag['data']['n']['inspections']:,} inspections, {diag['data']['n']['inspectors']} inspectors")

st.subheader("Each inspector's estimated severity")
show_names = st.toggle("Show inspector identities (your own data only)", value=False, key="ins_names",
                       disabled=label == SIMULATED)
# what is shown (and offered for download by the table) passes the one writer: pseudonyms unless switched off,
# inspectors with fewer than privacy.MIN_N inspections left out
effects, shown = protect(model.inspector_effects(), pseudonymise=not show_names, n_col="n_inspections")
ordered = effects.sort_values("mean").reset_index(drop=True)
chart = pd.DataFrame({"inspector (ordered by severity)": ordered.index, "severity": ordered["mean"],
                      "low": ordered["ci_low"], "high": ordered["ci_high"],
                      "flag": ordered["flag"].replace("", "not flagged")})
import altair as alt  # noqa: E402  (Streamlit's own chart library)

base = alt.Chart(chart).encode(x=alt.X("inspector (ordered by severity):Q", axis=alt.Axis(labels=False, ticks=False)))
st.altair_chart(
    (base.mark_rule(opacity=0.6).encode(y=alt.Y("low:Q", title="severity (logits; + = harsher)"), y2="high:Q",
                                        color=alt.Color("flag:N", scale=alt.Scale(
                                            domain=["severe", "lenient", "not flagged"],
                                            range=["#c0392b", "#2471a3", "#aaaaaa"])))
     + base.mark_point(filled=True, size=18).encode(y="severity:Q", color="flag:N",
                                                     tooltip=["severity:Q", "low:Q", "high:Q", "flag:N"])),
    use_container_width=True)
st.caption(describe(shown))
st.caption("Caterpillar plot: each inspector's severity with its 90% interval. An inspector is flagged only when the "
           "probability of being beyond the practical threshold exceeds 0.9 and the set of flags passes a Bayesian "
           "false-discovery rule; rank intervals, not ranks, are in the table.")
st.dataframe(ordered[["inspector_id", "n_inspections", "mean", "ci_low", "ci_high", "p_severe", "p_lenient",
                      "rank_ci_low", "rank_ci_high", "flag"]], hide_index=True,
             column_config={c: st.column_config.NumberColumn(format="%.2f")
                            for c in ("mean", "ci_low", "ci_high", "p_severe", "p_lenient")})

st.subheader("Inspector characteristics (probability scale)")
chars = model.characteristic_effects()
st.dataframe(chars[chars["scale"] != "logit"], hide_index=True)

st.subheader("School context after adjusting for progress")
context = model.context_effects()
st.dataframe(context[context["scale"] != "logit"], hide_index=True)
st.caption("Direct associations, after progress: progress itself partly carries the effect of deprivation, so a "
           "direct effect is not the whole story and not by itself evidence of bias.")
