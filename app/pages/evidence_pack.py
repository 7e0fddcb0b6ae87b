"""Complaint evidence pack: one contested inspection, the evidence side by side, exported as HTML and PDF."""

from __future__ import annotations

import streamlit as st

from app_state import SIMULATED, model_for, pseudonym_key, tables_with
from inspect_audit.reporting.evidence_pack import build_pack, html_to_pdf

st.title("Complaint evidence pack")
label, tables = tables_with("inspectors")
st.caption(f"Data: {label}. For one inspection under complaint: the grade awarded beside what the evidence "
           "suggests, each with its uncertainty. Inspector identities are pseudonymised.")
if label == SIMULATED:
    st.info("Simulated data (simulated inspectors, not real people): public data never name inspectors.")

model = model_for(tables)
complained = tables.get("complaints")
choices = sorted(complained["inspection_id"].unique()) if complained is not None and len(complained) else []
only_complaints = st.toggle("Only inspections with a complaint", value=bool(choices), key="ep_only")
options = choices if only_complaints and choices else sorted(tables["inspections"]["inspection_id"])
inspection = st.selectbox("Inspection", options, key="ep_inspection")

pack = build_pack(tables, model, inspection, key=pseudonym_key())
for warning in pack.warnings:
    st.error(warning)
for sentence in pack.sentences:
    st.markdown(f"- {sentence}")
left, right = st.columns(2)
left.image(pack.figures["counterfactual"])
if "severity" in pack.figures:
    right.image(pack.figures["severity"])
with st.expander("Technical detail: the tables behind every sentence"):
    for name, table in pack.tables.items():
        st.markdown(f"**{name}**")
        st.dataframe(table, hide_index=True)
    st.json(pack.stamp)

html = pack.to_html()
a, b = st.columns(2)
a.download_button("Download the pack (HTML)", html, file_name=f"evidence_pack_{inspection}.html", mime="text/html",
                  key="ep_html")
try:
    b.download_button("Download the pack (PDF)", html_to_pdf(html), file_name=f"evidence_pack_{inspection}.pdf",
                      mime="application/pdf", key="ep_pdf")
except RuntimeError as exc:
    b.warning(str(exc))
st.caption(" · ".join(f"{k}: {v}" for k, v in pack.stamp.items()))
