"""Inspector effects and fairness: how much of the grade depends on who inspects, and on school context.

Two models: one judgement area of graded inspections (:class:`~inspect_audit.inspectors.InspectorModel`), or every
area of a report card together (:class:`~inspect_audit.inspectors.multi_area.MultiAreaModel`).
"""

from __future__ import annotations

import warnings

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import app_state
import views
from inspect_audit._core.export import describe, protect

INSPECTOR_TABLES = ("schools", "inspections", "judgements", "inspectors")
WHY = "inspector identities: an `inspectors` table and each inspection's lead inspector (public data never name them)"
MODES = {"one": "One judgement area (graded inspections)", "cards": "Report cards: every area together"}


def show_severity(model, data: app_state.DataChoice, ok: bool) -> None:
    """The caterpillar plot and table of each inspector's severity (through the one writer's protection)."""
    st.subheader("Each inspector's estimated severity")
    show_names = st.toggle("Show inspector identities (your own data only)", value=False, key="ins_names",
                           disabled=not data.own)
    # what is shown (and offered for download by the table) passes the one writer: pseudonyms unless switched off,
    # inspectors with fewer than privacy.MIN_N inspections left out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a failed fit already says so at the top; flags are then empty
        effects, shown = protect(model.inspector_effects(), pseudonymise=not show_names, n_col="n_inspections")
    ordered = effects.sort_values("mean").reset_index(drop=True)
    flagged = ordered[ordered["flag"] != ""]
    st.markdown(f"{len(ordered)} inspectors with at least 10 inspections are shown. "
                + (f"**{(flagged['flag'] == 'severe').sum()} flagged as notably severe, "
                   f"{(flagged['flag'] == 'lenient').sum()} as notably lenient** (probability above 0.9 of being "
                   "beyond the practical threshold, after a false-discovery rule)." if ok else
                   "Nobody is flagged: the fit did not pass its convergence checks."))
    chart = pd.DataFrame({"inspector (ordered by severity)": ordered.index, "severity": ordered["mean"],
                          "low": ordered["ci_low"], "high": ordered["ci_high"],
                          "flag": ordered["flag"].replace("", "not flagged")})
    base = alt.Chart(chart).encode(x=alt.X("inspector (ordered by severity):Q",
                                           axis=alt.Axis(labels=False, ticks=False)))
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
    rounded = {c: ordered[c].round() for c in ("rank_ci_low", "rank_ci_high") if c in ordered}
    views.table(ordered.assign(**rounded),
                {"inspector_id": "Inspector", "n_inspections": "Inspections", "mean": "Severity",
                 "ci_low": "Low (90%)", "ci_high": "High (90%)", "p_severe": "P(notably severe)",
                 "p_lenient": "P(notably lenient)", "rank_ci_low": "Rank: best (90%)",
                 "rank_ci_high": "Rank: worst (90%)", "flag": "Flag"})


def research_panel(data: app_state.DataChoice, session_model) -> None:
    """The inspector research questions (issue 17): tick boxes, then sentences, figure and table of the fit that
    asked them. A question the data cannot answer is disabled with the library's reason."""
    from inspect_audit._core.export import csv_bytes
    from inspect_audit._core.privacy import MIN_N
    from inspect_audit.inspectors.research import QUESTIONS, plot_research_effects, summary_sentences

    st.subheader("Research questions")
    st.caption("The questions published research asks of inspector-level data (Bokhove, Jerrim & Sims 2023 and "
               "later papers), asked of the data above in the same model: the lead inspector's own severity, the "
               "school and the year stay in it.")
    cannot = app_state.unanswerable(data)
    ticked = []
    for name, q in QUESTIONS.items():
        why = cannot.get(name, "")
        if st.checkbox(f"{name.replace('_', ' ').capitalize()}: {q.question}", value=not why, disabled=bool(why),
                       key=f"rq_{name}", help=why or None) and not why:
            ticked.append(name)
        if why:
            st.caption(f"Not available: {why}")
    asked_key = (data.token, tuple(ticked))
    if st.button("Ask the ticked questions", key="rq_ask", disabled=not ticked):
        st.session_state["rq_asked"] = asked_key
    if not ticked or st.session_state.get("rq_asked") != asked_key:
        st.caption("Asking fits the model again with the ticked questions (about a minute).")
        return
    model = app_state.research_model(data, tuple(ticked), session_model)
    ci = model.ci_prob
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the banner below says it once
        effects = model.research_effects()
    if not model.diagnostics()["ok"]:
        st.error("No conclusions: the fit failed its checks (convergence gates). The estimates below are for "
                 "information only; fit with more draws on the Model explorer page.")
    # what is shown and downloaded passes the one writer: rows resting on fewer than MIN_N lead inspectors blanked
    protected, record = protect(effects, n_col="n_inspectors")
    hidden = protected["suppressed"].astype(bool)
    shown = protected[~hidden]
    for sentence in summary_sentences(shown, ci):
        st.markdown(f"- {sentence[0].upper()}{sentence[1:]}")
    if len(shown[(shown["role"] == "effect") & (shown["scale"] == "probability")]):
        st.image(app_state.figure(lambda path: plot_research_effects(shown, path, ci)))
    label = f"{100 * ci:.0f}% interval"
    not_shown = f"not shown: fewer than {MIN_N} lead inspectors"

    def rows(frame: pd.DataFrame, value: str, fmt, unit: str = "") -> pd.DataFrame:
        out = pd.DataFrame({
            "Question": frame["question"].str.replace("_", " "), "Comparison": frame["contrast"],
            value: [not_shown if h else fmt(m) + unit for h, m in zip(frame["suppressed"], frame["mean"])],
            label: ["" if h else f"{fmt(lo)} to {fmt(hi)}"
                    for h, lo, hi in zip(frame["suppressed"], frame["ci_low"], frame["ci_high"])],
            "Inspections": frame["n"].astype("Int64"), "Lead inspectors": frame["n_inspectors"].astype("Int64")})
        return out.reset_index(drop=True)

    widths = {"Comparison": st.column_config.TextColumn(width="large"),
              "Inspections": st.column_config.NumberColumn(width="small"),
              "Lead inspectors": st.column_config.NumberColumn(width="small")}
    good = protected[(protected["scale"] == "probability") & protected["estimand"].str.contains("_or_better")]
    st.dataframe(rows(good, "Change in P(good or better)", views.signed_points, " points"),
                 hide_index=True, width="stretch", column_config=widths)
    if hidden.any():
        st.caption(f"Rows resting on fewer than {MIN_N} lead inspectors are not shown: an estimate from a handful of "
                   "inspectors describes those people.")
    st.caption(describe(record))
    with st.expander("Log-odds (the model's coefficients) and adjustments"):
        st.dataframe(rows(protected[protected["scale"] == "logit"], "Log-odds of a better grade",
                          lambda v: f"{v:+.2f}"), hide_index=True, width="stretch", column_config=widths)
        st.caption("Positive = better grades. Adjustment rows (e.g. a lead's first inspection in the data, an unknown "
                   "team size) are not answers; they keep the comparisons fair.")
    not_asked = effects.attrs.get("not_asked", {})
    if not_asked:
        st.caption("Not asked: " + " ".join(not_asked.values()))
    with st.expander("What this can and cannot say"):
        from inspect_audit.data.resources import models_dir

        card = (models_dir() / "inspector-effects.md").read_text(encoding="utf-8")
        for name in dict.fromkeys(effects["question"]):
            st.markdown(f"- **{name.replace('_', ' ').capitalize()}**: {QUESTIONS[name].identified}.")
        if "sequence" in set(effects["question"]):
            st.markdown("- In simulated data with no sequence effect the model's previous-grade terms lean positive "
                        "(about +2 points of P(good or better)): the model card says to read a previous-grade estimate "
                        "within a few points as not established.")
        for start in ("**What these data cannot say.**", "Five questions at 90 % each"):
            quoted = views.card_paragraph(card, start)
            if quoted:
                st.markdown(f"> {quoted}")
        st.caption("From the model card, models/inspector-effects.md (section \"Research questions about "
                   "inspectors\"), which also records how well the model recovers planted effects.")
    data_bytes, _ = csv_bytes(effects, n_col="n_inspectors")
    st.download_button("Download the research table (CSV)", data_bytes, file_name="research_effects.csv",
                       mime="text/csv", key="rq_csv")


def verdict(diag: dict, advice: str = "Fit with more draws on the Model explorer page.") -> None:
    """The convergence verdict, first on the page."""
    if diag["ok"]:
        st.success(f"The sampler converged (max R-hat {diag['max_rhat']:.3f}, min ESS {diag['min_ess_bulk']:.0f}, "
                   f"{diag['divergences']} divergences): estimates may be used.")
    else:
        st.error(f"UNUSABLE FIT: the sampler did not pass its convergence checks (max R-hat {diag['max_rhat']:.3f}, "
                 f"min bulk ESS {diag['min_ess_bulk']:.0f}, {diag['divergences']} divergences). Nobody is flagged; "
                 f"estimates are shown for information only. {advice}")


def report_card_page(data: app_state.DataChoice) -> None:
    """Every report-card area together: one lead-inspector effect shared by the areas."""
    st.caption("Bayesian multilevel ordinal model of every report-card area together: one lead-inspector effect and "
               "one inspection effect shared by the areas, each area with its own grade boundaries and context "
               "effects; 90% intervals. Technical detail: models/inspector-effects.md (multi-area model).")
    model = app_state.report_card_model(data, "cards_fit")
    diag = model.diagnostics()
    verdict(diag, "For a full fit: `inspect-audit inspectors --framework report_card_2025`.")
    n = diag["data"]["n"]
    st.subheader("How much of a report card is due to who inspects?")
    vp = model.variance_partition().set_index("statistic")
    icc, together = vp.loc["icc_inspector"], vp.loc["area_correlation"]
    st.markdown(f"About **{icc['mean']:.0%}** of the variation in an area's grade is due to which inspector leads the "
                f"inspection (90% interval {icc['ci_low']:.0%} to {icc['ci_high']:.0%}; n = {n['inspections']:,} "
                f"report cards by {n['inspectors']} lead inspectors, {n['judgements']:,} area grades). Two areas of the "
                f"same report card move together: latent correlation **{together['mean']:.2f}** "
                f"({together['ci_low']:.2f} to {together['ci_high']:.2f}).")
    show_severity(model, data, diag["ok"])
    st.subheader("Deprivation, area by area")
    fsm = model.area_effects().query("term == 'fsm_quintile'")
    odds = fsm.assign(estimate=np.exp(fsm["mean"]), ci_low=np.exp(fsm["ci_low"]), ci_high=np.exp(fsm["ci_high"]),
                      area=fsm["area"].str.replace("_", " ").str.capitalize())
    worst = odds.loc[odds["estimate"].idxmin()]
    st.markdown(f"For each fifth of schools more deprived (FSM quintile), the odds of a better "
                f"**{worst['area'].lower()}** grade are about **{worst['estimate']:.2f} times** as high "
                f"({worst['ci_low']:.2f} to {worst['ci_high']:.2f}; n = {int(worst['n']):,} grades), the steepest of "
                "the areas; 1 would mean no difference.")
    views.interval_chart(odds, "area", "odds of a better grade per FSM quintile more deprived (90% interval)")
    st.caption("Same inspector, same inspection, other areas alike; a ratio below 1 means lower grades in more "
               "deprived schools. An association, not by itself evidence of bias.")


mode = st.sidebar.radio("Grades modelled", list(MODES), format_func=MODES.get, key="ins_mode")
if mode == "cards":
    report_card_page(app_state.open_page("Inspector effects and fairness", app_state.REPORT_CARD_TABLES,
                                         app_state.REPORT_CARD_WHY, fallback="report_cards",
                                         check=app_state.leads_on_report_cards))
    st.stop()
data = app_state.open_page("Inspector effects and fairness", INSPECTOR_TABLES, WHY)
st.caption("Bayesian multilevel ordinal model (cumulative logit, crossed effects for inspector, school and year); "
           "90% intervals. Technical detail: models/inspector-effects.md.")
app_state.fit_source(data)

model = app_state.model_for(data)
diag = model.diagnostics()
n_ins, n_insp = diag["data"]["n"]["inspections"], diag["data"]["n"]["inspectors"]
verdict(diag)

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

show_severity(model, data, diag["ok"])

st.subheader("Inspector characteristics")
chars = model.characteristic_effects()
probs = chars[chars["scale"] == "probability"]
if probs.empty:
    st.write("The data do not vary in any inspector characteristic (gender, HMI, serving leader): nothing to compare.")
else:
    probs = views.phase_rows(probs)
    for _, r in probs.iterrows():
        st.markdown(f"- {views.in_phase(r['phase'])}, {views.TERM_WORDS.get(r['term'], r['term'])} is associated with a "
                    f"{views.points(r['mean'], r['ci_low'], r['ci_high'])} {views.direction(r['mean'])} chance of "
                    f"{views.outcome_of(r['estimand'])}.")
    views.interval_chart(probs.assign(what=probs["term"].map(views.TERM_SHORT).fillna(probs["term"]) + ", "
                                      + probs["phase"]), "what",
                         "change in the chance of a below-good grade (90% interval)", estimate="mean",
                         n=None, percent=True, zero=True)
    st.caption(f"n = {n_ins:,} inspections. Average marginal effects: the lead inspector having the characteristic "
               "vs not, other characteristics, schools and years as observed.")

st.subheader("School context after adjusting for progress")
context = model.context_effects()
fsm = views.phase_rows(context[(context["term"] == "fsm_quintile") & (context["scale"] == "probability")])
for _, r in fsm.iterrows():
    st.markdown(f"- {views.in_phase(r['phase'])}, a school in the most deprived fifth (FSM quintile 5) has a "
                f"{views.points(r['mean'], r['ci_low'], r['ci_high'])} {views.direction(r['mean'])} chance of "
                f"{views.outcome_of(r['estimand'])} than one in the least deprived fifth, at the same progress.")
others = context[(context["scale"] == "probability") & (context["term"] != "fsm_quintile")]
if len(others):
    views.interval_chart(others.assign(what=others["term"] + ", " + others["phase"]), "what",
                         "change in the chance of Good or better (90% interval)", estimate="mean", n=None,
                         percent=True, zero=True)
st.caption(f"n = {n_ins:,} inspections. Direct associations, after progress: progress itself partly carries the "
           "effect of deprivation, so a direct effect is not the whole story and not by itself evidence of bias. "
           "The context-fairness page shows the total association on the real data.")

research_panel(data, model)
