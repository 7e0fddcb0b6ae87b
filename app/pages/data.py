"""Data: the bundled data, your own files (checked against the schemas) or a local workspace, for the session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

import app_state
from inspect_audit._core.export import csv_bytes, describe
from inspect_audit.data import schemas
from inspect_audit.data.validation import ValidationError, table_from_filename

RESULT = "check_result"  # the outcome of the last check, shown until the next
STAGED = "staged_files"  # table (or unknown file name) -> (file name, bytes): the upload being assembled
OPTIONS = {"bundled": "Bundled England data (real, public)", "uploaded": "Upload my own files",
           "workspace": "Open a local workspace", "simulated": "Simulated data (an example with inspectors)"}

st.title("Data")
choice = app_state.current()
app_state.show_source(choice)
st.caption("Every page reads the dataset chosen here, for the rest of this browser session. Files are checked "
           "against the published schemas (see the data dictionary) before anything uses them. Uploaded files "
           "stay on this machine, in this browser session only: they are never stored, and a browser reload "
           "forgets them.")

kinds = list(OPTIONS)
picked = st.radio("Dataset", [OPTIONS[k] for k in kinds], index=kinds.index(choice.kind), horizontal=True,
                  key="dataset_choice")
kind = kinds[[OPTIONS[k] for k in kinds].index(picked)]


def check_staged() -> None:
    """Check every staged file together and use them if they pass; the outcome is kept for display."""
    staged = st.session_state.get(STAGED, {})
    try:
        choice = app_state.guarded("Checking the files", app_state.uploaded, dict(staged),
                                   expected=(ValidationError,))
    except ValidationError as exc:
        errors = exc.report.errors()
        errors["file"] = errors["file"].map(lambda p: Path(p).name)
        notes = list(exc.report.notes)
    else:
        app_state.use(choice)
        errors, notes = None, list(choice.dataset.notes)
    replaced = st.session_state.pop("replaced_note", None)
    st.session_state[RESULT] = {"notes": ([replaced] if replaced else []) + notes, "errors": errors,
                                "n_files": len(staged)}


def show_result() -> None:
    """The last check: a success line, or every problem as a row (file, row, column, value, rule)."""
    result = st.session_state.get(RESULT)
    if not result:
        return
    for note in result["notes"]:
        st.info(note)
    errors = result["errors"]
    if errors is None:
        st.success(f"All {result['n_files']} file(s) passed every rule and are now in use on every page.")
        return
    st.error(f"{len(errors)} problem(s) found; the files were not used ({app_state.current().label} stay in use). "
             "Fix them and upload the corrected file: it replaces the one with the same table name.")
    st.dataframe(errors, hide_index=True, width="stretch")
    data, done = csv_bytes(errors, min_n=None)
    st.download_button("Download the problems as CSV", data, file_name="validation_errors.csv",
                       mime="text/csv", help=describe(done))


if kind in ("bundled", "simulated") and choice.kind != kind:
    app_state.use(app_state.bundled() if kind == "bundled" else app_state.simulated())
    st.rerun()
elif kind == "uploaded":
    round_ = st.session_state.get("upload_round", 0)
    uploads = st.file_uploader(
        "Table files, named after their table (schools.csv, inspections.csv, judgements.csv, ...). A file "
        "replaces an earlier one of the same table.",
        type=["csv", "xlsx", "parquet", "gz"], accept_multiple_files=True, key=f"uploads_{round_}")
    staged = st.session_state.setdefault(STAGED, {})
    if uploads and st.button("Check and use these files", type="primary", key="check_files"):
        replaced = []
        for upload in uploads:  # the last file of a table wins: a re-upload replaces, never doubles
            table = table_from_filename(Path(upload.name)) or upload.name
            if table in staged and staged[table][0] not in replaced:
                replaced.append(staged[table][0])
            staged[table] = (upload.name, upload.getvalue())
        st.session_state["upload_round"] = round_ + 1  # a fresh uploader: the files are held in `staged`
        if replaced:
            st.session_state["replaced_note"] = ("The newer upload replaced the earlier " + ", ".join(replaced)
                                                   + " (a file replaces an earlier one of the same table).")
        st.session_state["check_now"] = True
        st.rerun()
    if staged:
        st.markdown("**Files held for checking:** " + ", ".join(f"`{name}`" for name, _ in staged.values()))
        left, right = st.columns(2)
        if left.button("Check again", key="check_again"):
            st.session_state["check_now"] = True
        if right.button("Forget these files", key="forget_files"):
            st.session_state.pop(STAGED, None)
            st.session_state.pop(RESULT, None)
            st.rerun()
    if st.session_state.pop("check_now", False) and staged:
        check_staged()
        st.rerun()  # so the data line above names the data now in use
    show_result()
elif kind == "workspace":
    st.caption("A workspace is a DuckDB file that `inspect-audit ingest FILES --workspace FILE` fills with checked "
               "tables; it stays on this machine. The app reads it and never writes to it.")
    path = st.text_input("Workspace file", value=choice.path, placeholder="/path/to/audit.duckdb", key="ws_path")
    if st.button("Open the workspace", type="primary", key="ws_open", disabled=not path.strip()):
        app_state.use(app_state.guarded(f"Opening the workspace {path.strip()}", app_state.workspace, path.strip()))
        st.rerun()

choice = app_state.current()
st.subheader("In use now")
tables = choice.tables
rows = sum(len(t) for t in tables.values())
st.write(f"**{choice.label[0].upper() + choice.label[1:]}**: {len(tables)} tables, {rows:,} rows. Every page "
         "says which tables it needs and what it shows when one is absent.")
if choice.files:
    st.caption("Files (first 12 hex digits of their SHA-256): "
               + ", ".join(f"{name} ({digest[:12]})" for name, digest in choice.files))
summary = pd.DataFrame([{"Table": name, "Rows": len(frame), "Columns": len(frame.columns),
                         "Described in": f"data_schemas/{name}.schema.json"} for name, frame in tables.items()])
st.dataframe(summary, hide_index=True)
with st.expander("Preview a table"):
    if tables:
        name = st.selectbox("Table", list(tables), key="preview_table")
        st.dataframe(tables[name].head(200), hide_index=True)
with st.expander("What the tables must contain"):
    st.markdown(schemas.data_dictionary_markdown())
