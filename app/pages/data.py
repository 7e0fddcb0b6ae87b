"""Data: pick the bundled dataset or upload files; see validation failures as a table."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from app_state import BUNDLED, bundled_tables, current_tables, use_tables
from inspect_audit.data import schemas
from inspect_audit._core.export import csv_bytes, describe
from inspect_audit.data.validation import validate

st.title("Data")
st.caption("Every analysis reads the dataset chosen here. Files are checked against the published "
           "schemas (see the data dictionary) before anything uses them. Uploaded files stay on this "
           "machine and in this browser session only.")

choice = st.radio("Dataset", [BUNDLED, "Upload my own files"], horizontal=True, key="dataset_choice")

if choice == BUNDLED:
    if st.session_state.get("source") != BUNDLED:
        use_tables(BUNDLED, bundled_tables())
else:
    uploads = st.file_uploader(
        "Table files, named after their table (schools.csv, inspections.csv, judgements.csv, ...)",
        type=["csv", "xlsx", "parquet"], accept_multiple_files=True, key="uploads")
    if uploads and st.button("Check and use these files", type="primary"):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for upload in uploads:
                path = Path(tmp) / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                paths.append(path)
            report = validate(paths)
        for note in report.notes:
            st.info(note)
        if report.ok:
            use_tables("Uploaded: " + ", ".join(u.name for u in uploads), report.tables)
            st.success(f"All {len(uploads)} file(s) passed every rule and are now in use.")
        else:
            errors = report.errors()
            errors["file"] = errors["file"].map(lambda p: Path(p).name)
            st.error(f"{len(errors)} problem(s) found; the files were not used. Fix them and upload again.")
            st.dataframe(errors, hide_index=True, use_container_width=True)
            data, done = csv_bytes(errors, min_n=None)
            st.download_button("Download the problems as CSV", data, file_name="validation_errors.csv",
                               mime="text/csv", help=describe(done))

label, tables = current_tables()
st.subheader("In use now")
st.write(label)
summary = pd.DataFrame(
    [{"table": name, "rows": len(frame), "columns": len(frame.columns),
      "described in": f"data_schemas/{name}.schema.json"} for name, frame in tables.items()])
st.dataframe(summary, hide_index=True)
with st.expander("Preview a table"):
    if tables:
        name = st.selectbox("Table", list(tables), key="preview_table")
        st.dataframe(tables[name].head(200), hide_index=True)
with st.expander("What the tables must contain"):
    st.markdown(schemas.data_dictionary_markdown())
