"""The published data model: Table Schemas, the data package and grade scales.

Everything here is read from ``data_schemas/`` (the single source of truth); nothing
about columns, codes or scales is written down a second time in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

from inspect_audit._core.markdown import markdown_table
from inspect_audit.data.resources import schema_dir


@lru_cache(maxsize=None)
def datapackage() -> dict[str, Any]:
    """The ``datapackage.json`` descriptor."""
    return json.loads((schema_dir() / "datapackage.json").read_text(encoding="utf-8"))


def table_names() -> list[str]:
    """Names of every table in the data model, in data-package order."""
    return [r["name"] for r in datapackage()["resources"]]


@lru_cache(maxsize=None)
def table_schema(table: str) -> dict[str, Any]:
    """The Frictionless Table Schema of one table."""
    for resource in datapackage()["resources"]:
        if resource["name"] == table:
            return json.loads((schema_dir() / resource["schema"]).read_text(encoding="utf-8"))
    raise KeyError(f"unknown table {table!r}; known tables: {', '.join(table_names())}")


def columns(table: str) -> list[str]:
    """Column names of a table, in schema order."""
    return [f["name"] for f in table_schema(table)["fields"]]


def field(table: str, column: str) -> dict[str, Any]:
    """One field descriptor of a table schema."""
    for f in table_schema(table)["fields"]:
        if f["name"] == column:
            return f
    raise KeyError(f"table {table!r} has no column {column!r}")


def enum(table: str, column: str) -> list[str]:
    """Allowed codes of an enumerated column."""
    return list(field(table, column).get("constraints", {}).get("enum", []))


@lru_cache(maxsize=None)
def scales() -> dict[str, Any]:
    """The ``scales.json`` document: grade scales and framework areas."""
    return json.loads((schema_dir() / "scales.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Scale:
    """A grade scale: integer codes (1 = best) with labels."""

    name: str
    codes: tuple[int, ...]
    labels: tuple[str, ...]
    boundaries: dict[str, tuple[int, ...]]

    def label(self, code: int) -> str:
        """Label of one code."""
        return self.labels[self.codes.index(int(code))]


def scale(name: str) -> Scale:
    """A named scale from ``scales.json`` (e.g. ``legacy_4``)."""
    spec = scales()["scales"][name]
    levels = spec["levels"]
    return Scale(
        name=name,
        codes=tuple(level["code"] for level in levels),
        labels=tuple(level["label"] for level in levels),
        boundaries={k: tuple(v) for k, v in spec.get("boundaries", {}).items()},
    )


def framework_areas(framework: str) -> dict[str, str]:
    """Areas a framework grades, mapped to the name of each area's scale."""
    try:
        return dict(scales()["frameworks"][framework]["areas"])
    except KeyError:
        known = ", ".join(scales()["frameworks"])
        raise KeyError(f"unknown framework {framework!r}; known: {known}") from None


def scale_for(framework: str, area: str) -> Scale:
    """The scale on which ``framework`` grades ``area``."""
    areas = framework_areas(framework)
    if area not in areas:
        raise KeyError(f"framework {framework!r} does not grade area {area!r}")
    return scale(areas[area])


def framework_for_date(date: pd.Timestamp | str) -> str | None:
    """The framework in force on a date (from the ranges in ``scales.json``)."""
    day = pd.Timestamp(date)
    for name, spec in scales()["frameworks"].items():
        start = pd.Timestamp(spec["from"])
        end = pd.Timestamp(spec["to"]) if spec.get("to") else pd.Timestamp.max
        if start <= day <= end:
            return name
    return None


def data_dictionary_markdown() -> str:
    """The data dictionary (``docs/data-dictionary.md``), generated from the schemas."""
    out = ["# Data dictionary", "",
           "Generated from `data_schemas/` by `python scripts/make_data_dictionary.py`; do not edit by hand.",
           "Each table is a CSV (or CSV.GZ, Parquet, Excel) file named after the table, e.g. `inspections.csv`.",
           "Empty cells (and `NA`, `NULL`) are missing values. Dates are written `YYYY-MM-DD`.",
           "Codes may be written as people write them, in any case and with spaces for underscores (`Primary`, "
           "`East of England`), and a grade (a field marked *labels: scales*) as its label on the scales below "
           "(`Outstanding`): the validator maps them to the codes and says what it mapped.", ""]
    for table in table_names():
        spec = table_schema(table)
        out += [f"## `{table}`", "", spec["description"], "",
                f"Key: {', '.join(spec['primaryKey'])}.", ""]
        for fk in spec.get("foreignKeys", []):
            ref = fk["reference"]
            out.append(f"- `{fk['fields'][0]}` refers to `{ref['resource']}.{ref['fields'][0]}`.")
        rows = []
        for f in spec["fields"]:
            cons = f.get("constraints", {})
            rules = []
            if "enum" in cons:
                rules.append("one of " + ", ".join(f"`{v}`" for v in cons["enum"]))
            if "minimum" in cons or "maximum" in cons:
                rules.append(f"{cons.get('minimum', '')}..{cons.get('maximum', '')}")
            if "pattern" in cons:
                rules.append(f"pattern `{cons['pattern']}`")
            if f.get("labels") == "scales":
                rules.append("or its label (*labels: scales*)")
            rows.append({"column": f"`{f['name']}`", "type": f["type"], "required": "yes" if cons.get("required") else "no",
                         "rule": "; ".join(rules), "meaning": f["description"]})
        out += ["", markdown_table(pd.DataFrame(rows)), ""]
    out += ["## Grade scales (`scales.json`)", "", scales()["description"], ""]
    for name, spec in scales()["scales"].items():
        levels = ", ".join(f"{lvl['code']} {lvl['label']}" for lvl in spec["levels"])
        out.append(f"- **{name}**: {levels}.")
    frameworks = [{"framework": f"`{name}` ({spec['label']})", "period": f"{spec['from']} to {spec.get('to') or 'now'}",
                   "areas (scale)": ", ".join(f"`{a}` ({s})" for a, s in spec["areas"].items())}
                  for name, spec in scales()["frameworks"].items()]
    out += ["", markdown_table(pd.DataFrame(frameworks))]
    return "\n".join(out) + "\n"
