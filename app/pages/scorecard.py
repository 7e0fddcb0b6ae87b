"""Scorecard designer: edit indicators and weights, see bands and rank intervals move, compare two specs."""

from __future__ import annotations

import copy
import json

import pandas as pd
import streamlit as st

import app_state
import views
from app_state import figure
from inspect_audit.scorecard import (SpecError, compare_specs, example_spec_paths, indicator_table, load_spec,
                                     simulate_composites)
from inspect_audit.scorecard.plots import plot_band_probabilities, plot_rank_intervals

data = app_state.open_page("Scorecard designer", ("schools",), "a `schools` table (with the indicators' columns)",
                           fallback="bundled")
tables = data.tables
st.caption("A balanced scorecard combines several indicators instead of one headline grade. "
           "Every school's rank comes with a 90% interval from a Monte Carlo over sampling error, weights and "
           "methods (JRC/OECD composite-indicator method).")

examples = example_spec_paths()
with st.sidebar:
    st.subheader("Start from")
    names = sorted(examples)
    base_name = st.selectbox("Example spec", names, key="sc_base",
                             index=names.index("primary_balanced") if "primary_balanced" in names else 0)
    uploaded = st.file_uploader("... or upload a spec (JSON)", type=["json"], key="sc_upload")
    reps = st.select_slider("Monte Carlo replicates", [100, 200, 500, 1000, 2000], value=200, key="sc_reps")

try:
    base = load_spec(json.loads(uploaded.getvalue()) if uploaded else examples[base_name])
except (SpecError, json.JSONDecodeError) as exc:
    st.error(f"This spec cannot be used: {exc}")
    st.stop()

st.subheader(base.name)
st.write(base.description)
edited = copy.deepcopy(base.raw)
st.markdown("**Weights** (relative: rescaled to sum to one)")
columns = st.columns(min(4, len(edited["indicators"])))
for i, indicator in enumerate(edited["indicators"]):
    indicator["weight"] = columns[i % len(columns)].number_input(
        indicator.get("label", indicator["id"]), min_value=0.0, step=0.05,
        value=float(indicator["weight"]), key=f"sc_w_{indicator['id']}")
left, right = st.columns(2)
norms = ["z", "min_max", "rank"]
edited["normalisation"] = left.selectbox("Normalisation", norms, index=norms.index(edited["normalisation"]),
                                         key="sc_norm")
original = edited["aggregation"]  # a name, or {"method": "rule_based", "base": ..., "rule": ...}
current = original if isinstance(original, str) else original["method"]
aggs = ["arithmetic", "geometric"] + ([current] if current not in ("arithmetic", "geometric") else [])
chosen = right.selectbox("Aggregation", aggs, index=aggs.index(current), key="sc_agg",
                         help="Rule-based aggregation is available when the spec defines its rule.")
edited["aggregation"] = original if chosen == current else chosen
# indicators whose table the data lack are left out, and the page says so (never a KeyError)
SOURCE_TABLES = {"judgement": ("inspections", "judgements"), "survey": ("survey_aggregates",)}
absent = {ind.get("label", ind["id"]): [t for t in SOURCE_TABLES.get(ind["source"].split(":")[0], ())
                                        if t not in tables or not len(tables[t])]
          for ind in edited["indicators"]}
absent = {k: v for k, v in absent.items() if v}
if absent:
    edited["indicators"] = [ind for ind in edited["indicators"] if ind.get("label", ind["id"]) not in absent]
    st.warning("Left out, because the data have no " + ", ".join(sorted({f"`{t}`" for v in absent.values() for t in v}))
               + " table: " + ", ".join(absent) + ". The scorecard below uses the other indicators.")
try:
    spec = load_spec(edited)
except SpecError as exc:
    st.error(f"These settings make an invalid spec: {exc}")
    st.stop()


def _score(spec_json: str, n_rep: int, frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    parsed = load_spec(json.loads(spec_json))
    indicators = indicator_table(frames, parsed)
    return simulate_composites(indicators, parsed, n_rep=n_rep, seed=0).summary, indicators


def run(spec_raw: dict, n_rep: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Scores for ``spec_raw`` (a user's own data are scored and kept in this session only)."""
    spec_json = json.dumps(spec_raw, sort_keys=True)
    with st.spinner("Scoring schools and simulating rank uncertainty ..."):
        return app_state.guarded("Scoring the schools", app_state.memo, data, (spec_json, n_rep), _score, spec_json,
                                 n_rep, tables)


def picture(draw, *args) -> bytes:
    """A plot of this spec's results, drawn once per spec and data."""
    return app_state.memo(data, (draw.__name__, json.dumps(spec.raw, sort_keys=True), reps), figure, draw, *args)


summary, indicators = run(spec.raw, reps)
base_raw = {**base.raw, "indicators": [i for i in base.raw["indicators"] if i.get("label", i["id"]) not in absent]}
base_summary, _ = run(base_raw if absent else base.raw, reps)
width = summary["rank_interval_width"].median()
sure = (summary["p_modal_band"] >= 0.9).mean()
st.markdown(f"**{len(summary):,} schools** scored. A typical school's rank is known only to within "
            f"**{width:,.0f} places** (median width of the 90% rank intervals, {width / len(summary):.0%} of all "
            f"schools), and {sure:.0%} of schools have a band that is near-certain (probability at least 0.9).")
a, b, c = st.columns(3)
a.metric("Schools scored", f"{len(summary):,}")
b.metric("Median 90% rank interval", f"{width:,.0f} places", help=f"{width / len(summary):.0%} of all schools")
c.metric("Schools whose band is near-certain (p >= 0.9)", f"{sure:.0%}")

st.image(picture(plot_rank_intervals, summary, spec.labels, f"{spec.name}: 90% rank intervals ({reps} replicates)"))
st.caption("Each bar is one school's 90% rank interval; long overlapping bars mean schools cannot be told apart. "
           "This is why a league table is not shown.")
st.image(picture(plot_band_probabilities, summary, spec.labels, "How sure is each school's band?"))

st.subheader("Compared with the starting spec")
comparison = compare_specs(summary, base_summary, labels=("edited", "starting"))
x, y = st.columns(2)
x.metric("School pairs whose order reverses", f"{comparison['rank_reversals']:,}",
         help=f"{comparison['share_pairs_reversed']:.1%} of {comparison['n_pairs']:,} pairs")
y.metric("Schools changing band", f"{comparison['band_flips']:,}",
         help=f"{comparison['share_band_flips']:.1%} of {comparison['n_schools']:,} schools")
st.caption("Schools by band: rows with the edited spec, columns with the starting one (off the diagonal: schools "
           "whose band changed).")
st.dataframe(comparison["band_table"], width="stretch")

st.download_button("Download this spec (JSON)", spec.to_json(), file_name="scorecard_spec.json",
                   mime="application/json")
with st.expander("Per-school results (median rank, interval, band probabilities)"):
    bands = {c: f"P({c[2:].lower()})" for c in summary.columns if c.startswith("p_") and c != "p_modal_band"}
    views.table(summary, {"urn": "URN", "n_indicators": "Indicators", "score": "Score", "band": "Band",
                          "median_rank": "Median rank", "rank_lo": "Rank: best (90%)", "rank_hi": "Rank: worst (90%)",
                          **bands, "modal_band": "Most likely band", "p_modal_band": "P(most likely band)"})
