"""Complaint evidence pack: one contested inspection, the evidence side by side, exported as HTML and PDF.

The pack itself is :mod:`inspect_audit.reporting.evidence_pack` (the same document `inspect-audit
evidence-pack` writes); this page chooses the inspection and shows what the pack says.
"""

from __future__ import annotations

import streamlit as st

import app_state
from inspect_audit.reporting.evidence_pack import build_pack, from_fit

MODES = {"one": "One judgement area (graded inspections)", "cards": "Report card: every area together"}
mode = st.sidebar.radio("Grades modelled", list(MODES), format_func=MODES.get, key="ep_mode")
if mode == "cards":
    data = app_state.open_page("Complaint evidence pack", app_state.REPORT_CARD_TABLES, app_state.REPORT_CARD_WHY,
                               fallback="report_cards", check=app_state.leads_on_report_cards)
else:
    data = app_state.open_page("Complaint evidence pack", ("schools", "inspections", "judgements", "inspectors"),
                               "inspector identities: an `inspectors` table and each inspection's lead inspector "
                               "(public data never name inspectors)")
st.caption("For one inspection under complaint: the grade awarded beside what the evidence suggests, each with "
           "its uncertainty. Inspector identities are pseudonymised.")
app_state.fit_source(data)

folder = st.session_state.get(app_state.FIT_FOLDER_KEY)
if mode == "cards":
    # a report card's pack: the lead inspector's effect across the areas (an opened multi-area fit folder, or a
    # fit of every area made here), its areas on the five-point scale beside similar schools'
    view = app_state.opened_fit(folder) if folder else None
    if view is not None and view.kind != "multi_area":
        st.warning(f"The fit in {folder} is a fit of one area; a report card's pack needs a fit of every area "
                   "together (`inspect-audit inspectors --framework report_card_2025`), or close the folder to fit "
                   "here.")
        st.stop()
    model = view if view is not None else app_state.report_card_model(data, "ep_cards_fit")
    ins = data.tables["inspections"]
    cards = ins[(ins["framework"].astype(str) == app_state.REPORT_CARDS) & ins["lead_inspector_id"].notna()]
    modelled = ({str(i) for i in model.data_["inspection_ids"]} if view is None else
                {str(i) for i in cards["inspection_id"]})
else:
    model = app_state.model_for(data)
    modelled = {str(i) for i in model.design_.inspection_id}
complained = data.tables.get("complaints")
choices = (sorted(str(i) for i in complained["inspection_id"].unique() if str(i) in modelled)
           if complained is not None and len(complained) else [])
only_complaints = st.toggle("Only inspections with a complaint", value=bool(choices), key="ep_only")
options = choices if only_complaints and choices else sorted(modelled)
if not options:
    st.warning("No inspection of these data is in the model (another judgement area, dropped rows, or a fit made "
               "on other data): open the fit made on these data, or fit here.")
    st.stop()
inspection = st.selectbox("Inspection", options, key="ep_inspection",
                          help="Inspections the model was fitted on (one area: the largest connected group of "
                               "inspectors and schools; report cards: every card naming its lead).")


def make_pack(inspection_id: str):
    """The pack: from the opened fit folder (its pseudonyms and key checked), or from the fit made here."""
    key = app_state.pseudonym_key()
    if folder:  # a fit folder, single- or multi-area as the mode asked
        return from_fit(app_state.opened_fit(folder), inspection_id, data.dataset, key=key)
    return build_pack(data.tables, model, inspection_id, key=key, source=data.dataset)


def make_files(inspection_id: str) -> tuple[object, str, bytes | str]:
    """The pack, its HTML and its PDF (or why there is no PDF), made once per inspection and fit."""
    pack = make_pack(inspection_id)
    html = pack.to_html()
    try:
        pdf: bytes | str = pack.to_pdf()
    except RuntimeError as exc:
        pdf = str(exc)
    return pack, html, pdf


with st.spinner("Assembling the evidence pack ..."):
    pack, html, pdf = app_state.guarded(f"Building the pack for {inspection}", app_state.memo, data,
                                        (mode, inspection, folder or "here", id(model)), make_files, inspection)
for text, kind in pack.banners:
    (st.error if kind == "failed" else st.warning)(text)
st.markdown("\n".join(f"- **{label}:** {value}" for label, value in pack.facts))
st.subheader("What the evidence says")
for sentence in pack.sentences:
    st.markdown(f"- {sentence}")
figures = list(pack.figures.items())
for column, (name, png) in zip(st.columns(max(1, len(figures))), figures):
    column.image(png)
    if name in pack.captions:
        column.caption(pack.captions[name])
for name, table in pack.tables.items():
    st.markdown(f"**{name}**")
    st.dataframe(table, hide_index=True, width="stretch")
with st.expander("Appendix: technical detail"):
    for name, table in pack.appendix.items():
        st.markdown(f"**{name}**")
        st.dataframe(table, hide_index=True, width="stretch")
    st.table({k: str(v) for k, v in pack.stamp.items()})

a, b = st.columns(2)
a.download_button("Download the pack (HTML)", html, file_name=f"{pack.file_stem()}.html", mime="text/html",
                  key="ep_html")
if isinstance(pdf, bytes):
    b.download_button("Download the pack (PDF)", pdf, file_name=f"{pack.file_stem()}.pdf", mime="application/pdf",
                      key="ep_pdf")
else:
    b.warning(pdf)
st.caption(" · ".join(f"{k}: {v}" for k, v in pack.stamp.items()))
