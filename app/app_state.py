"""Per-session state shared by the pages: the tables in use and where they came from.

Uploaded data lives only in this browser session's state (never in a shared cache), so
one user's data cannot leak to another.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

BUNDLED = "Bundled England data (real, OGL v3.0)"


@st.cache_data(show_spinner="Loading the bundled England data ...")
def bundled_tables() -> dict[str, pd.DataFrame]:
    """The bundled real England data (public, so it may be cached across sessions)."""
    from inspect_audit.bundled import load_england

    return load_england()


def current_tables() -> tuple[str, dict[str, pd.DataFrame]]:
    """The dataset in use in this session: (label, tables). Defaults to the bundled data."""
    if "tables" not in st.session_state:
        st.session_state["source"] = BUNDLED
        st.session_state["tables"] = bundled_tables()
    return st.session_state["source"], st.session_state["tables"]


def use_tables(label: str, tables: dict[str, pd.DataFrame]) -> None:
    """Make validated tables this session's dataset."""
    st.session_state["source"] = label
    st.session_state["tables"] = tables
