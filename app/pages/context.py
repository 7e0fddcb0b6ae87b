"""Context fairness: do grades fall with deprivation, before and after allowing for progress? (no inspector ids)"""

from __future__ import annotations

import os
import warnings

import altair as alt
import pandas as pd
import streamlit as st

import app_state
import views
from inspect_audit._core.intervals import wilson_interval
from inspect_audit.context import (CAVEATS, framework_area_list, framework_tables, grade_shares, legacy_comparison,
                                   require_fsm)
from inspect_audit.data import schemas

PHASES = ("primary", "secondary")
FRAMEWORK_NAMES = {"report_card_2025": "Report cards (from November 2025)", "eif_2019": "Education inspection "
                   "framework (2019-2025)", "cif_2015": "Common inspection framework (2015-2019)",
                   "section5_2012": "Section 5 framework (2012-2015)", "section5_2009": "Section 5 framework (2009-2012)"}


def fsm_missing(tables: dict[str, pd.DataFrame]) -> str:
    try:
        require_fsm(tables)
    except Exception as exc:  # noqa: BLE001  (InputError: said on the page)
        return f"give no school an FSM quintile ({exc})"
    return ""


data = app_state.open_page("Context fairness", ("schools", "inspections", "judgements"),
                           "schools with a free-school-meals (FSM) quintile and their graded inspections",
                           fallback="bundled", check=fsm_missing)
tables = data.tables
st.caption("Do schools with more disadvantaged pupils get lower grades, and how much of that remains once "
           "pupils' progress is allowed for? No inspector identities are needed, so it runs on public data. "
           "FSM quintile 1 = the fifth of schools (within phase) with the fewest pupils on free school meals, "
           "5 = the most. 90% intervals throughout.")

counts = tables["inspections"]["framework"].astype(str).value_counts()
frameworks = [f for f in counts.index if f in schemas.scales()["frameworks"] and counts[f] >= 100]
if not frameworks:
    st.warning("No framework has 100 or more inspections in these data: nothing to compare.")
    st.stop()
with st.sidebar:
    st.subheader("What to compare")
    framework = st.selectbox("Framework", frameworks, format_func=lambda f: FRAMEWORK_NAMES.get(f, f),
                             index=frameworks.index("eif_2019") if "eif_2019" in frameworks else 0, key="cx_framework")
    fw_tables = framework_tables(tables, framework)
    areas = framework_area_list(fw_tables, framework, ordinal_only=True)
    default = next((a for a in ("overall_effectiveness", "achievement") if a in areas), areas[0] if areas else None)
    area = st.selectbox("Judgement area", areas, index=areas.index(default) if default else 0, key="cx_area",
                        format_func=lambda a: a.replace("_", " ").capitalize())
if not areas:
    st.warning(f"The {FRAMEWORK_NAMES.get(framework, framework)} inspections in these data have no area graded on "
               "a scale of three or more grades.")
    st.stop()

scale = schemas.scale_for(framework, area)
boundary = next((k for k in scale.boundaries if k.endswith("_or_better")), None)
good_codes = scale.boundaries.get(boundary, ())
good_words = f"{scale.label(max(good_codes)).lower()} or better" if good_codes else "the best grade"


def observed(framework: str, area: str) -> pd.DataFrame:
    """Grade shares by phase and FSM quintile, and the share at or above the boundary with its Wilson interval."""
    shares = grade_shares(framework_tables(tables, framework), framework, PHASES, areas=[area])
    shares = shares.assign(k=(shares["share"] * shares["n"]).round())
    good = (shares[shares["grade"].isin(good_codes)].groupby(["phase", "fsm_quintile"], sort=False)
            .agg(k=("k", "sum"), n=("n", "first")).reset_index())
    low, high = wilson_interval(good["k"].to_numpy(float), good["n"].to_numpy(float))
    good["share"], good["ci_low"], good["ci_high"] = good["k"] / good["n"], low, high
    return shares, good


with st.spinner("Counting grades by deprivation ..."):
    shares, good = app_state.memo(data, ("observed", framework, area), observed, framework, area)

st.subheader(f"Observed: {good_words} by deprivation")
for phase, part in good.groupby("phase", sort=False):
    part = part.set_index("fsm_quintile")
    if {1, 5} <= set(part.index) and part.loc[[1, 5], "n"].notna().all():
        q1, q5 = part.loc[1], part.loc[5]
        st.markdown(f"{views.in_phase(phase)}, **{q1['share']:.0%}** of inspections of the "
                    f"least deprived fifth of schools judged {area.replace('_', ' ')} {good_words} ({q1['ci_low']:.0%} "
                    f"to {q1['ci_high']:.0%}; n = {int(q1['n']):,}), against **{q5['share']:.0%}** in the most deprived "
                    f"fifth ({q5['ci_low']:.0%} to {q5['ci_high']:.0%}; n = {int(q5['n']):,}).")
plot = good.dropna(subset=["share"])
base = alt.Chart(plot).encode(x=alt.X("fsm_quintile:O", title="FSM quintile (1 = least, 5 = most deprived)",
                                        axis=alt.Axis(labelAngle=0)),
                              color=alt.Color("phase:N", title="phase"), xOffset="phase:N")
st.altair_chart((base.mark_rule(strokeWidth=3).encode(y=alt.Y("ci_low:Q", title=f"share {good_words}",
                                                               axis=alt.Axis(format=".0%"),
                                                               scale=alt.Scale(zero=False)), y2="ci_high:Q")
                 + base.mark_point(filled=True, size=70).encode(y="share:Q", tooltip=[
                     "phase", "fsm_quintile", alt.Tooltip("share:Q", format=".1%"), "n"]))
                .properties(height=300), width="stretch")
st.caption(f"{FRAMEWORK_NAMES.get(framework, framework)}, {area.replace('_', ' ')}; points: observed share, bars: "
           f"90% Wilson intervals; n = {int(good['n'].sum()):,} inspections with an FSM quintile. Cells of fewer "
           "than 10 inspections are withheld. Observed shares mix deprivation with everything that goes with it.")
with st.expander("Every grade by phase and FSM quintile (table)"):
    views.table(shares, {"phase": "Phase", "fsm_quintile": "FSM quintile", "label": "Grade", "share": "Share",
                         "ci_low": "Low (90%)", "ci_high": "High (90%)", "n": "Inspections"},
                percent=("share", "ci_low", "ci_high"))

if framework.startswith("report_card"):
    st.subheader("The same schools' previous grade")
    comparison = app_state.memo(data, ("legacy", framework, area), legacy_comparison, tables, framework, PHASES,
                                [area])
    if comparison.empty:
        st.write("None of these schools has an earlier graded inspection in the data.")
    else:
        comparison = comparison.assign(measure=comparison["measure"].map(
            lambda m: "previous overall grade good or better" if m.startswith("previous") else
            f"{area.replace('_', ' ')} {good_words} now"))
        plot = comparison.dropna(subset=["share"])
        base = alt.Chart(plot).encode(x=alt.X("fsm_quintile:O", title="FSM quintile", axis=alt.Axis(labelAngle=0)), color="measure:N",
                                      xOffset="measure:N")
        st.altair_chart((base.mark_rule(strokeWidth=3).encode(y=alt.Y("ci_low:Q", title="share",
                                                                       axis=alt.Axis(format=".0%"),
                                                                       scale=alt.Scale(zero=False)), y2="ci_high:Q")
                         + base.mark_point(filled=True, size=60).encode(y="share:Q"))
                        .properties(height=260).facet(column=alt.Column("phase:N", title=None)))
        st.caption("Schools with a report card and an earlier graded inspection. The two scales differ: compare how "
                   "steeply each falls across quintiles, not their levels. 90% Wilson intervals.")

st.subheader("Model: before and after allowing for progress")


def context_fit(framework: str, area: str, settings: tuple):
    from inspect_audit.inspectors.context import ContextModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ContextModel(area=area, phases=PHASES).fit(framework_tables(tables, framework), progress=False,
                                                            **dict(settings))


settings = ({"chains": 2, "tune": 300, "draws": 300, "seed": 1, "max_rows": 1500}
            if os.environ.get("INSPECT_AUDIT_APP_FIT") == "quick" else
            {"chains": 4, "tune": 500, "draws": 500, "seed": 1, "max_rows": 4000})
settings_key = tuple(sorted(settings.items()))
st.caption(f"A cumulative-logit model per phase of the {area.replace('_', ' ')} grade on FSM quintile, region, size "
           "and year ('total'), and the same with 2022/23 progress added ('direct'). Here: "
           f"{settings['chains']} chains x ({settings['tune']} + {settings['draws']}) draws on a seeded sample of up "
           f"to {settings['max_rows']:,} inspections per phase; `inspect-audit context --data ...` fits every "
           "inspection.")
key = ("context-model", framework, area, settings_key)
asked = st.session_state.setdefault("cx_asked", set())
if key not in asked and not st.button("Fit the context model (a minute or two)", key="cx_fit"):
    st.stop()
asked.add(key)
with st.spinner("Fitting the context model ..."):
    model = app_state.guarded("Fitting the context model", app_state.memo, data, key, context_fit, framework, area,
                              settings_key)
diag = model.diagnostics()
if not diag["ok"]:
    st.error("UNUSABLE FIT: the context model did not pass its convergence checks "
             f"({', '.join(diag.get('failed_fits', [])) or 'see the gates'}); the numbers below are for information "
             "only. Fit with the command line for a full run.")
compare = model.fsm_total_vs_direct().set_index(["phase", "statistic"])
outcome = "good_or_better" if "good_or_better" in (boundary or "") else (boundary or "")
rows = []
for phase in model.phases:
    for estimand in ("total", "direct"):
        stat = (phase, f"{estimand}_p_{outcome}")
        if stat in compare.index:
            r = compare.loc[stat]
            rows.append({"phase": phase, "estimand": estimand, "estimate": r["mean"], "ci_low": r["ci_low"],
                         "ci_high": r["ci_high"]})
    total, direct = (phase, f"total_p_{outcome}"), (phase, f"direct_p_{outcome}")
    if total in compare.index and direct in compare.index:
        t, d = compare.loc[total], compare.loc[direct]
        design = model.fits_[(phase, "total")].design
        n = int(design.weights.sum()) if design.weights is not None else int(design.n_obs)
        st.markdown(f"{views.in_phase(phase)}, a school in the most deprived fifth has a "
                    f"**{views.points(t['mean'], t['ci_low'], t['ci_high'])} {views.direction(t['mean'])}** chance of "
                    f"{good_words} than one in the least deprived fifth (region, size and year alike); with the same "
                    f"progress as well, **{views.points(d['mean'], d['ci_low'], d['ci_high'])} {views.direction(d['mean'])}**"
                    + (f" (n = {n:,} inspections)." if n else "."))
if rows:
    frame = pd.DataFrame(rows)
    frame["what"] = frame["phase"] + ": " + frame["estimand"].map({"total": "total", "direct": "same progress"})
    views.interval_chart(frame, "what", f"change in P({good_words}), FSM quintile 5 vs 1 (90% interval)", n=None,
                         percent=True, zero=True)
with st.expander("What these data can and cannot say"):
    st.markdown(CAVEATS["can"][0].upper() + CAVEATS["can"][1:])
    st.markdown("\n".join(f"- {line}" for line in CAVEATS["cannot"]))
