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
    from inspect_audit.data.bundled import load_england

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


SIMULATED = "Simulated inspection data (simulated inspectors, not real people)"


@st.cache_data(show_spinner="Simulating inspection data with known truth ...")
def simulated_tables(seed: int = 2024) -> dict[str, pd.DataFrame]:
    """Simulated data with inspector identities (public data never name inspectors)."""
    from inspect_audit.data.simulate import SimulationConfig, simulate

    return simulate(SimulationConfig(n_schools=1500, n_inspectors=80, survey_n_schools=120), seed=seed).tables()


def tables_with(table: str) -> tuple[str, dict[str, pd.DataFrame]]:
    """The session's dataset if it has ``table``, otherwise the simulated dataset (the page says which)."""
    label, tables = current_tables()
    if table in tables and len(tables[table]):
        return label, tables
    return SIMULATED, simulated_tables()


def pseudonym_key() -> str:
    """This installation's secret key for pseudonymous ids (the command line's too, so pseudonyms match;
    kept on this machine, never shown or exported): :func:`inspect_audit._core.privacy.pseudonym_key`."""
    from inspect_audit._core.privacy import pseudonym_key as installation_key

    return installation_key()


def figure(draw, *args) -> bytes:
    """PNG bytes of a library plot function ``draw(*args, path)`` (drawn to a temporary file)."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        draw(*args, path)
        return path.read_bytes()


def fit_settings() -> dict:
    """Sampler settings for the app's fits: full by default; ``INSPECT_AUDIT_APP_FIT=quick`` for tests."""
    import os

    if os.environ.get("INSPECT_AUDIT_APP_FIT") == "quick":
        return {"chains": 2, "tune": 300, "draws": 300, "seed": 1, "repair": False}
    return {"chains": 4, "tune": 500, "draws": 1000, "seed": 1, "repair": True}


@st.cache_resource(show_spinner="Fitting the inspector-effects model (about a minute the first time) ...",
                   max_entries=4)
def fitted_model(tables: dict[str, pd.DataFrame], chains: int, tune: int, draws: int, seed: int,
                 area: str = "overall_effectiveness", options: tuple = (), repair: bool = True):
    """The inspector-effects model fitted to these tables (keyed on the data, so sessions never share fits
    of different data); ``options``: extra ``InspectorModel`` settings as (name, value) pairs."""
    import warnings

    from inspect_audit.inspectors import InspectorModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(area=area, **dict(options)).fit(tables, chains=chains, tune=tune, draws=draws,
                                                              seed=seed, progress=False, repair=repair)


def model_for(tables: dict[str, pd.DataFrame], options: tuple = ()):
    """The fitted model for the session's inspector data, with this session's fit settings."""
    settings = st.session_state.get("fit_settings", fit_settings())
    return fitted_model(tables, **settings, options=options)
