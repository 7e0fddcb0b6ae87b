"""inspect_audit app: evidence about inspection judgements for adjudicators, associations and researchers.

Start it with ``inspect-audit app``. Pages call the library; they do not re-implement it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so pages can import app_state

st.set_page_config(page_title="inspect_audit", page_icon=":bar_chart:", layout="wide")

PAGES = [
    st.Page("pages/data.py", title="Data", icon=":material/table:", default=True),
    st.Page("pages/reliability.py", title="Reliability dashboard", icon=":material/rule:"),
    st.Page("pages/inspectors.py", title="Inspector effects and fairness", icon=":material/person_search:"),
    st.Page("pages/context.py", title="Context fairness", icon=":material/balance:"),
    st.Page("pages/complaints.py", title="Complaints", icon=":material/feedback:"),
    st.Page("pages/surveys.py", title="Surveys and perspectives", icon=":material/forum:"),
    st.Page("pages/grade_patterns.py", title="Report cards: grade patterns", icon=":material/stacked_bar_chart:"),
    st.Page("pages/evidence_pack.py", title="Complaint evidence pack", icon=":material/gavel:"),
    st.Page("pages/scorecard.py", title="Scorecard designer", icon=":material/tune:"),
    st.Page("pages/model_explorer.py", title="Model explorer", icon=":material/science:"),
]

page = st.navigation(PAGES)
try:
    page.run()
except Exception as exc:  # noqa: BLE001  (the last line of defence: one line and a log file, never a traceback)
    from app_state import report_unexpected

    report_unexpected(page.title, exc)
