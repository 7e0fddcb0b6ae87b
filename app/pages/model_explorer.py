"""Model explorer (researchers): fit settings, convergence, posterior predictive checks, prior sensitivity,
LOO model comparison and the recovery evidence."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_state import fit_settings, model_for, tables_with
from inspect_audit.data.resources import models_dir

st.title("Model explorer")
label, tables = tables_with("inspectors")
st.caption(f"Data: {label}.")

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
                                            "seed": int(seed), "repair": bool(current.get("repair", True))}

model = model_for(tables)
diag = model.diagnostics()
st.subheader("Convergence gates")
gates = diag["gates"]
rows = [("max R-hat", diag["max_rhat"], f"<= {gates['rhat_max']}", diag["checks"]["rhat"]),
        ("min bulk ESS", diag["min_ess_bulk"], f">= {gates['ess_min']:.0f}", diag["checks"]["ess_bulk"]),
        ("min tail ESS", diag["min_ess_tail"], f">= {gates['ess_min']:.0f}", diag["checks"]["ess_tail"]),
        ("divergences", diag["divergences"], f"<= {gates['divergences_max']}", diag["checks"]["divergences"]),
        ("min E-BFMI", diag["min_bfmi"], f"> {gates['bfmi_min']}", diag["checks"]["bfmi"]),
        ("overall grade shares, min predictive p", diag["ppc"]["overall_min_p"], "> 0.01", diag["checks"]["ppc"])]
st.dataframe(pd.DataFrame(rows, columns=["check", "value", "gate", "passed"]), hide_index=True)
(st.success if diag["ok"] else st.error)(
    "All gates passed: results may be reported." if diag["ok"] else
    "UNUSABLE FIT: at least one gate failed; nothing is flagged. Increase draws or chains.")
if diag.get("repair"):
    st.subheader("What the fit did to converge")
    st.dataframe(pd.DataFrame([{"run": e["run"], "why": e["why"], "what was done": e["what"],
                                "chains so far": e["chains_total"], "seconds": round(e["seconds"]),
                                "gates passed": e["result"]["ok"]} for e in diag["repair"]]), hide_index=True)
st.caption(f"Fit: {diag['fit']}; timing: {diag['timing']}.")
with st.expander("Data used (connected component, dropped rows)"):
    st.json(diag["data"])

st.subheader("Posterior predictive check")
from app_state import figure  # noqa: E402
from inspect_audit.inspectors import model_checks  # noqa: E402
from inspect_audit.inspectors.report import plot_ppc  # noqa: E402

ppc, ppc_sum = model.ppc_, diag["ppc"]
(st.success if ppc_sum["ok"] else st.error)(
    f"Grades replicated from the fitted model: {ppc_sum['n_outside']} of {ppc_sum['n_cells']} grade shares (by FSM "
    f"quintile, phase and region) fall outside their {ppc_sum['ci_prob']:.0%} predictive interval; about "
    f"{ppc_sum['expected_outside']:.0f} would by chance. Overall grade shares "
    + ("reproduced." if ppc_sum["ok"] else "NOT reproduced: the model does not describe these data."))
st.image(figure(lambda path: plot_ppc(ppc, path, "Observed shares (points) and 90% predictive intervals (bars)")))
with st.expander("Posterior predictive table"):
    st.dataframe(ppc, hide_index=True)

st.subheader("Prior sensitivity (power-scaling)")
psense = model_checks.prior_sensitivity(model)
st.dataframe(psense, hide_index=True)
st.caption("How much each posterior would move if its prior (or the likelihood) were made slightly stronger or "
           "weaker (Kallioinen et al. 2024; importance sampling, no refit). Values above 0.05 are sensitive: "
           "prior sensitivity with likelihood sensitivity suggests prior-data conflict; prior sensitivity "
           "alone, a prior stronger than the data. Short fits give noisy values.")

st.subheader("Model comparison (PSIS-LOO)")
VARIANTS = {"random FSM slope by inspector": (("random_slope", True),),
            "without progress (total FSM association)": (("progress", False),),
            "no school effects": (("school_effect", "none"),),
            "partial proportional odds for FSM (effect per grade boundary)": (("partial_odds_fsm", True),),
            "inspector-specific consistency": (("consistency", True),)}
variant = st.selectbox("Compare the fitted model with", list(VARIANTS), key="me_variant")
if st.button("Fit the alternative and compare", key="me_compare"):
    st.session_state["me_compared"] = variant
if st.session_state.get("me_compared") == variant:
    with st.spinner(f"Fitting the model {variant} ..."):
        alt_model = model_for(tables, VARIANTS[variant])
    table = model_checks.compare({"fitted model": model, variant: alt_model})
    st.dataframe(table, column_config={"elpd_diff": st.column_config.NumberColumn(format="%.1f"),
                                       "dse": st.column_config.NumberColumn(format="%.1f")})
    best, other = table.index[0], table.index[1]
    diff, dse = abs(table.loc[other, "elpd_diff"]), table.loc[other, "dse"]
    st.write(f"Expected log predictive density favours **{best}** by {diff:.1f} (SE {dse:.1f}; "
             f"n = {int(table['n'].iloc[0]):,} inspections): "
             + ("a clear difference (more than 2 SE)." if diff > 2 * dse else "not a clear difference (under 2 SE)."))
    if not alt_model.diagnostics()["ok"]:
        st.warning("The alternative fit did not pass its convergence gates: read this comparison with care.")
else:
    st.caption("Fits the alternative with the same settings and data (about a minute), then compares "
               "leave-one-out predictive accuracy.")

st.subheader("Parameter-recovery and calibration evidence (model card)")
card = models_dir() / "inspector-effects.md"
st.markdown(card.read_text(encoding="utf-8"))
