"""Model explorer (researchers): fit settings, convergence, posterior checks and the recovery evidence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_state import SIMULATED, fit_settings, model_for, tables_with
from inspect_audit.resources import models_dir

st.title("Model explorer")
label, tables = tables_with("inspectors")
st.caption(f"Data: {label}." + (" Simulated inspectors, not real people." if label == SIMULATED else ""))

current = st.session_state.get("fit_settings", fit_settings())
with st.form("fit_form"):
    st.subheader("Fit settings")
    a, b, c, d = st.columns(4)
    chains = a.number_input("Chains", 1, 8, int(current["chains"]), key="me_chains")
    tune = b.number_input("Warm-up draws", 100, 5000, int(current["tune"]), step=100, key="me_tune")
    draws = c.number_input("Draws", 100, 5000, int(current["draws"]), step=100, key="me_draws")
    seed = d.number_input("Seed", 0, 2**31 - 1, int(current["seed"]), key="me_seed")
    if st.form_submit_button("Fit with these settings"):
        st.session_state["fit_settings"] = {"chains": int(chains), "tune": int(tune), "draws": int(draws),
                                            "seed": int(seed)}

model = model_for(tables)
diag = model.diagnostics()
st.subheader("Convergence gates")
gates = diag["gates"]
rows = [("max R-hat", diag["max_rhat"], f"<= {gates['rhat_max']}", diag["checks"]["rhat"]),
        ("min bulk ESS", diag["min_ess_bulk"], f">= {gates['ess_min']:.0f}", diag["checks"]["ess_bulk"]),
        ("min tail ESS", diag["min_ess_tail"], f">= {gates['ess_min']:.0f}", diag["checks"]["ess_tail"]),
        ("divergences", diag["divergences"], f"<= {gates['divergences_max']}", diag["checks"]["divergences"]),
        ("min E-BFMI", diag["min_bfmi"], f"> {gates['bfmi_min']}", diag["checks"]["bfmi"])]
st.dataframe(pd.DataFrame(rows, columns=["check", "value", "gate", "passed"]), hide_index=True)
(st.success if diag["ok"] else st.error)(
    "All gates passed: results may be reported." if diag["ok"] else
    "UNUSABLE FIT: at least one gate failed; nothing is flagged. Increase draws or chains.")
st.caption(f"Fit: {diag['fit']}; timing: {diag['timing']}.")
with st.expander("Data used (connected component, dropped rows)"):
    st.json(diag["data"])

st.subheader("Parameter-recovery and calibration evidence (model card)")
card = models_dir() / "inspector-effects.md"
st.markdown(card.read_text(encoding="utf-8"))
