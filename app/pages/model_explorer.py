"""Model explorer (researchers): fit settings, convergence, posterior predictive checks, prior sensitivity,
LOO model comparison and where the recovery evidence is."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import app_state
from app_state import figure
from inspect_audit.data import schemas
from inspect_audit.data.resources import models_dir
from inspect_audit.inspectors import model_checks
from inspect_audit.inspectors.report import plot_ppc

data = app_state.open_page("Model explorer", ("schools", "inspections", "judgements", "inspectors"),
                           "inspector identities: an `inspectors` table and each inspection's lead inspector")
tables = data.tables
app_state.fit_source(data)

current = {**app_state.fit_settings(), **st.session_state.get("fit_settings", {})}
options = {"area": "overall_effectiveness", "target_accept": 0.9, **st.session_state.get("model_options", {})}
present = set(tables["judgements"]["area"].astype(str))
areas = []
for framework in tables["inspections"].get("framework", pd.Series(dtype=str)).dropna().astype(str).unique():
    if framework in schemas.scales()["frameworks"] and not framework.startswith("report_card"):
        areas += [a for a, sc in schemas.framework_areas(framework).items()
                  if a in present and a not in areas and len(schemas.scale(sc).codes) >= 3]
areas = areas or ["overall_effectiveness"]
with st.form("fit_form"):
    st.subheader("Fit settings")
    a, b, c, d = st.columns(4)
    chains = a.number_input("Chains", 1, 8, int(current["chains"]), key="me_chains")
    tune = b.number_input("Warm-up draws", 100, 5000, int(current["tune"]), step=100, key="me_tune")
    draws = c.number_input("Draws", 100, 5000, int(current["draws"]), step=100, key="me_draws")
    seed = d.number_input("Seed", 0, 2**31 - 1, int(current["seed"]), key="me_seed")
    e, f, _, _ = st.columns(4)
    area = e.selectbox("Judgement area", areas, index=areas.index(options["area"]) if options["area"] in areas else 0,
                       key="me_area")
    target = f.number_input("Target acceptance", 0.6, 0.999, float(options["target_accept"]), step=0.01,
                            format="%.3f", key="me_target", help="NUTS target acceptance of the first run; higher "
                            "means smaller steps (fewer divergences, slower). The repair raises it after divergences.")
    if st.form_submit_button("Fit with these settings"):
        st.session_state["fit_settings"] = {"chains": int(chains), "tune": int(tune), "draws": int(draws),
                                            "seed": int(seed), "repair": bool(current.get("repair", True))}
        st.session_state["model_options"] = {"area": area, "target_accept": float(target)}
        st.session_state.pop(app_state.FIT_FOLDER_KEY, None)  # new settings: fit here

model = app_state.model_for(data)
diag = model.diagnostics()
st.subheader("Convergence gates")
gates = diag["gates"]
rows = [("Largest R-hat", diag["max_rhat"], f"at most {gates['rhat_max']}", diag["checks"]["rhat"], ".3f"),
        ("Smallest bulk ESS", diag["min_ess_bulk"], f"at least {gates['ess_min']:.0f}", diag["checks"]["ess_bulk"], ".0f"),
        ("Smallest tail ESS", diag["min_ess_tail"], f"at least {gates['ess_min']:.0f}", diag["checks"]["ess_tail"], ".0f"),
        ("Divergences", diag["divergences"], f"at most {gates['divergences_max']}", diag["checks"]["divergences"], ".0f"),
        ("Smallest E-BFMI", diag["min_bfmi"], f"above {gates['bfmi_min']}", diag["checks"]["bfmi"], ".2f"),
        ("Overall grade shares: smallest predictive p", diag["ppc"]["overall_min_p"], "above 0.01",
         diag["checks"]["ppc"], ".3f")]
gate_table = pd.DataFrame([{"check": name, "value": format(value, fmt) if pd.notna(value) else "-", "gate": gate,
                            "result": "passed" if ok else "failed"} for name, value, gate, ok, fmt in rows])
st.dataframe(gate_table.style.map(lambda v: "color: #b03a2e; font-weight: bold" if v == "failed" else
                                  "color: #1e8449", subset=["result"]), hide_index=True)
failed = gate_table[gate_table["result"] == "failed"]
if diag["ok"]:
    st.success("All gates passed: results may be reported.")
else:
    st.error("UNUSABLE FIT: " + "; ".join(f"{r.check} {r.value} (needs {r.gate})" for r in failed.itertuples())
             + ". Nothing is flagged. Increase draws or chains, or raise the target acceptance.")
if diag.get("repair"):
    st.subheader("What the fit did to converge")
    st.dataframe(pd.DataFrame([{"run": e["run"], "why": e["why"], "what was done": e["what"],
                                "chains so far": e["chains_total"], "seconds": round(e["seconds"]),
                                "gates passed": "yes" if e["result"]["ok"] else "no"} for e in diag["repair"]]),
                 hide_index=True)
fit_info = {**{k: v for k, v in diag["fit"].items() if not isinstance(v, (dict, list))},
            **{f"{k} (s)" if "second" not in k else k: round(v, 1) for k, v in diag["timing"].items()
               if isinstance(v, (int, float))}}
n = diag["data"]["n"]
st.markdown(f"**Fit:** area {model.area}, {n['inspections']:,} inspections by {n['inspectors']} inspectors; "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in fit_info.items()) + ".")
with st.expander("Data used (connected component, dropped rows)"):
    st.table(pd.DataFrame([{"item": k, "value": str(v)} for k, v in diag["data"].items()]))

st.subheader("Posterior predictive check")
ppc, ppc_sum = model.ppc_, diag["ppc"]
(st.success if ppc_sum["ok"] else st.error)(
    f"Grades replicated from the fitted model: {ppc_sum['n_outside']} of {ppc_sum['n_cells']} grade shares (by FSM "
    f"quintile, phase and region) fall outside their {ppc_sum['ci_prob']:.0%} predictive interval; about "
    f"{ppc_sum['expected_outside']:.0f} would by chance. Overall grade shares "
    + ("reproduced." if ppc_sum["ok"] else "NOT reproduced: the model does not describe these data."))


def ppc_png(frame: pd.DataFrame) -> bytes:
    return figure(lambda path: plot_ppc(frame, path, "Observed shares (points) and 90% predictive intervals (bars)"))


st.image(app_state.memo(data, ("ppc", id(model)), ppc_png, ppc))  # a user's own data: this session only
with st.expander("Posterior predictive table"):
    st.dataframe(ppc.round(3), hide_index=True)

st.subheader("Prior sensitivity (power-scaling)")
psense = app_state.memo(data, ("prior-sensitivity", id(model)), model_checks.prior_sensitivity, model)
sensitive = psense[psense["diagnosis"].astype(str).str.contains("conflict|strong|sensitiv", case=False)]
st.write(f"{len(sensitive)} of {len(psense)} parameters are flagged as sensitive to their prior or the likelihood."
         if "diagnosis" in psense else "")
st.dataframe(psense.round(3), hide_index=True)
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
    alt_model = app_state.model_for(data, VARIANTS[variant])
    table = model_checks.compare({"fitted model": model, variant: alt_model})
    best, other = table.index[0], table.index[1]
    diff, dse = abs(table.loc[other, "elpd_diff"]), table.loc[other, "dse"]
    st.write(f"Expected log predictive density favours **{best}** by {diff:.1f} (SE {dse:.1f}; "
             f"n = {int(table['n'].iloc[0]):,} inspections): "
             + ("a clear difference (more than 2 SE)." if diff > 2 * dse else "not a clear difference (under 2 SE)."))
    st.dataframe(table.round(1))
    if not alt_model.diagnostics()["ok"]:
        st.warning("The alternative fit did not pass its convergence gates: read this comparison with care.")
else:
    st.caption("Fits the alternative with the same settings and data (about a minute), then compares "
               "leave-one-out predictive accuracy.")

st.subheader("Parameter-recovery and calibration evidence")
card = models_dir() / "inspector-effects.md"
text = card.read_text(encoding="utf-8")
sections = [line[3:] for line in text.splitlines() if line.startswith("## ")]
st.markdown("The model card records how well the model recovers known truth on simulated data, its calibration "
            "over repeated simulations and a grid of designs, its timings and its limits. It is in the package at "
            f"`{card}` (in the repository: `models/inspector-effects.md`). Its sections: "
            + "; ".join(sections) + ".")
st.download_button("Download the model card (Markdown)", text, file_name="inspector-effects.md",
                   mime="text/markdown", key="me_card")
