"""Validate input tables against the published schemas: the only door data comes through.

Every problem is reported as one row naming the file, the row (as a person counts
rows in the file: the header is row 1), the column, the value and the rule broken.
Rows are the file's physical lines: blank lines count, so a row number is the line an
editor or spreadsheet shows (a quoted cell spanning lines is numbered by its first line).
A row with no values at all (a blank line, a line of separators only, an empty
spreadsheet row) is ignored: it is not data and is not reported, but it keeps its number.
Column rules (types, required, codes, ranges, patterns, keys) are built from the
Table Schemas in ``data_schemas/`` and checked with pandera; rules that span tables
(foreign keys, grades on the framework's scale, date order) are checked here.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from inspect_audit.data import files
from inspect_audit.data import schemas

ISSUE_COLUMNS = ["file", "table", "row", "column", "value", "rule"]
HEADER_ROW = 1
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}
_CONTROL_CHARS = r"[\x00-\x08\x0b\x0e-\x1f\x7f]"
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]00:00:00(\.0+)?)?$")


class ValidationError(Exception):
    """Raised when input fails validation; ``report`` holds every problem found."""

    def __init__(self, report: "ValidationReport"):
        self.report = report
        super().__init__(report.summary())


@dataclass
class ValidationReport:
    """Typed tables that were read, and every problem found in them."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    row_numbers: dict[str, np.ndarray] = field(default_factory=dict)
    issues: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    flagged: set[tuple[str, int, str]] = field(default_factory=set)
    grade_labels: dict[str, dict] = field(default_factory=dict)  # table -> {row index: (label, scale)}

    @property
    def ok(self) -> bool:
        return not self.issues

    def errors(self) -> pd.DataFrame:
        """One row per problem: file, table, row, column, value, rule."""
        frame = pd.DataFrame(self.issues, columns=ISSUE_COLUMNS)
        return frame.sort_values(["file", "row", "column"], kind="stable").reset_index(drop=True)

    def bad_rows(self, table: str) -> pd.DataFrame:
        """Rows of ``table`` that broke a rule, with the reasons joined (for a rejects file)."""
        errs = self.errors()
        errs = errs[(errs["table"] == table) & (errs["row"] > HEADER_ROW)]
        if errs.empty or table not in self.tables:
            return pd.DataFrame()
        reasons = (errs["column"] + ": " + errs["rule"] + " (value " + errs["value"] + ")")
        reasons = reasons.groupby(errs["row"]).agg("; ".join)
        frame = self.tables[table].copy()
        frame.insert(0, "source_row", self.row_numbers[table])
        frame = frame[frame["source_row"].isin(reasons.index)]
        frame.insert(1, "reasons", frame["source_row"].map(reasons))
        return frame

    def summary(self) -> str:
        if self.ok:
            counts = ", ".join(f"{t}: {len(df)} rows" for t, df in self.tables.items())
            return f"valid ({counts})"
        n_files = len({i["file"] for i in self.issues})
        return f"{len(self.issues)} problem(s) in {n_files} file(s)"

    def add(self, table: str, row: int, column: str, value: object, rule: str) -> None:
        """Record a problem; a cell already reported is not reported again by a later rule."""
        cell = (table, int(row), column)
        if cell in self.flagged:
            return
        self.flagged.add(cell)
        self.issues.append(
            {"file": self.sources.get(table, table), "table": table, "row": int(row),
             "column": column, "value": _show(value), "rule": rule}
        )


def _show(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- reading

def table_from_filename(path: Path) -> str | None:
    """Table named by a file name such as ``inspections.csv`` or ``judgements.csv.gz``."""
    stem = path.name.split(".")[0].lower()
    return stem if stem in schemas.table_names() else None


def _record_lines(text: str, sep: str) -> tuple[list[int], list[bool]] | None:
    """The physical line each record of ``text`` starts on, and whether it is a blank line.

    A quoted cell may span lines, so records are found with the csv module (the same quoting
    rules as pandas). Blank means what pandas' ``skip_blank_lines`` drops: an empty line, or one
    of spaces and tabs that are not the separator. None if the csv module cannot read the text.
    """
    blank_chars = {" ", "\t"} - {sep}
    last = [""]

    def lines():
        for line in io.StringIO(text, newline=None):  # \n, \r\n and \r each end a line
            last[0] = line
            yield line

    starts, blank = [], []
    reader = csv.reader(lines(), delimiter=sep)
    done = 0  # lines read so far
    try:
        for _ in reader:
            starts.append(done + 1)
            blank.append(reader.line_num == done + 1 and set(last[0].rstrip("\r\n")) <= blank_chars)
            done = reader.line_num
    except csv.Error:
        return None
    return starts, blank


def _read_text_table(path: Path, report: ValidationReport, table: str):
    """The table as text, the header's line and each row's line; None if unreadable."""
    try:
        text = files.read_text(path)
    except files.NotUTF8Error as exc:
        report.add(table, exc.line, "(file)", exc.byte,
                   "encoding: the file must be UTF-8 (this byte is not; the file looks like "
                   "Windows-1252/latin-1: re-save as UTF-8, or use an adapter for Ofsted files)")
        return None
    sep = "\t" if ".tsv" in path.name else ","
    records = _record_lines(text, sep)
    quote_line = _unclosed_quote_line(text)
    if quote_line is not None:
        report.add(table, quote_line, "(file)", "\"", f"not a readable CSV file: a quote opened on line {quote_line} "
                   "is never closed (a cell starting with \" must end with \"; write a \" inside a cell as \"\")")
        return None
    if _duplicate_header(_first_record(text, sep), report, table):
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                            skip_blank_lines=True)
    except pd.errors.ParserError as exc:
        # pandas counts records (a quoted cell spanning lines is one), blank lines included
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else HEADER_ROW
        if match and records and line <= len(records[0]):
            line = records[0][line - 1]
        message = re.sub(r"line \d+", f"line {line}", str(exc).strip(), count=1)
        report.add(table, line, "(file)", "", f"not a readable CSV file: {message}")
        return None
    frame = _keep_fields_beyond_header(frame)
    # pandas skips blank lines; number the rows it kept by the lines they start on
    lines = [start for start, blank in zip(*records) if not blank] if records else []
    if len(lines) != len(frame) + 1:
        report.notes.append(f"{table}: row numbers count the rows read, not the file's lines "
                            "(the lines could not be matched to rows)")
        return frame, HEADER_ROW, np.arange(len(frame)) + HEADER_ROW + 1
    return frame, lines[0], np.asarray(lines[1:], dtype=int)


def _unclosed_quote_line(text: str) -> int | None:
    """The line on which a quote opens and is never closed, or None (quotes are paired)."""
    if text.count('"') % 2 == 0:
        return None
    inside, opened = False, None
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        for _ in range(line.count('"')):
            inside = not inside
            if inside:
                opened = number
    return opened if inside else None


def _first_record(text: str, sep: str) -> list[str]:
    """The first non-blank record: the header as written (pandas would rename a repeated name ``name.1``)."""
    for record in csv.reader(io.StringIO(text, newline=None), delimiter=sep):
        if any(cell.strip() for cell in record):
            return record
    return []


def _duplicate_header(names: list, report: ValidationReport, table: str) -> bool:
    """Report each column name the header repeats; True if any (the file's checks then stop)."""
    names = [str(n).strip() for n in names]
    duplicated = sorted({n for n in names if n and names.count(n) > 1})
    for name in duplicated:
        report.add(table, HEADER_ROW, name, name, "header: duplicate column name (each column must appear once)")
    return bool(duplicated)


def _keep_fields_beyond_header(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo pandas' implicit index, so no field is lost when the rows are wider than line 1.

    When every row has more fields than the first line (e.g. a one-cell title line with no
    trailing commas above the header), pandas silently turns the extra leading fields into
    the index. Put them back as columns, with the first line's names on the leftmost fields
    and ``Unnamed: N`` on the rest, as pandas names empty header cells.
    """
    if isinstance(frame.index, pd.RangeIndex):
        return frame
    names = list(frame.columns)
    frame = pd.concat([frame.index.to_frame(index=False), frame.reset_index(drop=True)], axis=1)
    frame.columns = names + [f"Unnamed: {i}" for i in range(len(names), frame.shape[1])]
    return frame


def _read_any(path: Path, report: ValidationReport, table: str):
    """The table as text, the header's row number and each row's; None if unreadable."""
    try:
        kind = files.check_kind(path)
        if kind == "text":
            return _read_text_table(path, report, table)
        if kind == "parquet":
            frame = files.read_parquet(path)
            frame.columns = [str(c) for c in frame.columns]
        else:
            grid = files.read_excel_grid(path)
            if grid.empty:
                raise files.InputError(f"{path}: an empty workbook; a header row naming the columns is expected")
            frame = grid.iloc[1:].reset_index(drop=True)
            frame.columns = [str(c).strip() for c in grid.iloc[0]]
            if _duplicate_header(list(frame.columns), report, table):
                return None
    except files.InputError as exc:
        # the file column names the file; the rule says what it is (no server path, e.g. in the app)
        rule = "empty file: a header row naming the columns is required" if exc.kind == "empty" else \
            f"unreadable file: {str(exc).removeprefix(f'{path}: ')}"
        report.add(table, HEADER_ROW, "(file)", "(empty)" if exc.kind == "empty" else path.name, rule)
        return None
    frame = as_text(frame)
    return frame, HEADER_ROW, np.arange(len(frame)) + HEADER_ROW + 1  # empty rows are kept


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells as the text a file would hold (missing -> empty, dates -> YYYY-MM-DD), for the same checks."""
    frame = frame.astype(object).where(frame.notna(), "")
    return frame.map(lambda v: v.date().isoformat() if isinstance(v, pd.Timestamp) else str(v))


def _drop_empty_rows(frame: pd.DataFrame, lines: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Leave out rows with no value in any cell; the others keep their row numbers."""
    if frame.shape[1] == 0:
        return frame, lines
    empty = (frame.astype("string").apply(lambda c: c.str.strip()).fillna("") == "").all(axis=1)
    keep = ~empty.to_numpy()
    return frame[keep].reset_index(drop=True), lines[keep]


def _find_header_row(frame: pd.DataFrame, expected: set[str]) -> int | None:
    """If the header sits below a title row, the 0-based data row that holds it."""
    for i in range(min(10, len(frame))):
        values = {str(v).strip() for v in frame.iloc[i].tolist()}
        if len(expected & values) >= max(1, len(expected) // 2):
            return i
    return None


def read_table(path: str | Path, table: str | None = None,
               report: ValidationReport | None = None) -> ValidationReport:
    """Read one file as ``table`` (named by the file if not given) and check its own rules."""
    path = Path(path)
    report = report if report is not None else ValidationReport()
    table = table or table_from_filename(path)
    if table is None:
        report.sources[path.name] = str(path)
        report.add(path.name, HEADER_ROW, "(file)", path.name,
                   "unknown table: name the file after its table (" + ", ".join(
                       schemas.table_names()) + ") or pass --table")
        return report
    if table in report.sources:
        report.add(table, HEADER_ROW, "(file)", str(path),
                   f"table {table} given twice (also {report.sources[table]}): give one file per table")
        return report
    report.sources[table] = str(path)
    read = _read_any(path, report, table)
    if read is None:
        return report
    frame, header_row, rows = read
    _check_table(frame, header_row, rows, table, report)
    return report


def _check_table(frame: pd.DataFrame, header_row: int, rows: np.ndarray, table: str,
                 report: ValidationReport) -> None:
    """One table's own rules on its cells as text; the typed table goes into ``report.tables``."""
    frame, rows = _drop_empty_rows(frame, rows)
    frame.columns = [str(c).strip() for c in frame.columns]
    wanted = schemas.columns(table)
    if not set(wanted) & set(frame.columns):
        header_at = _find_header_row(frame, set(wanted))
        if header_at is not None:
            report.add(table, header_row, "(file)", " ".join(map(str, frame.columns[:1])),
                       f"title row above the header: the header is on row {rows[header_at]}; "
                       "delete the rows above it")
            return
    typed, rows = _check_columns_and_types(frame, table, report, header_row, rows)
    if typed is not None:
        _check_constraints(typed, rows, table, report)
        report.tables[table] = typed
        report.row_numbers[table] = rows


# --------------------------------------------------------------------------- single-table rules

def _whole_number(text: str) -> int | str:
    """The integer written in ``text``, or the rule it breaks."""
    try:
        value = int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return _TYPE_RULE["integer"]
        if not math.isfinite(number) or not number.is_integer():
            return _TYPE_RULE["integer"]
        value = int(number)
    if not INT64_MIN <= value <= INT64_MAX:
        return f"range: beyond the 64-bit whole numbers the store holds ({INT64_MIN} to {INT64_MAX})"
    return value


def _parse_column(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Typed column and, per cell, the rule it breaks (None where it parsed)."""
    text = values.astype("string").str.strip()
    empty = text.isna() | (text == "")
    rules = pd.Series(None, index=values.index, dtype=object)
    if kind == "string":
        return text.mask(empty), rules
    if kind == "integer":
        parsed = text[~empty].map(_whole_number)
        bad = parsed.map(lambda v: isinstance(v, str))
        rules[bad[bad].index] = parsed[bad]
        ints = pd.Series(pd.NA, index=values.index, dtype="Int64")
        ints[bad[~bad].index] = parsed[~bad].astype("int64")
        return ints, rules
    if kind == "number":
        numbers = pd.to_numeric(text.mask(empty), errors="coerce").astype("float64")
        bad = ~empty & ~np.isfinite(numbers)
        return numbers.where(~bad), rules.mask(bad, _TYPE_RULE[kind])
    if kind == "boolean":
        lower = text.str.lower()
        parsed = pd.Series(pd.NA, index=values.index, dtype="boolean")
        parsed[lower.isin(_TRUE).fillna(False)] = True
        parsed[lower.isin(_FALSE).fillna(False)] = False
        return parsed, rules.mask(~empty & parsed.isna(), _TYPE_RULE[kind])
    if kind == "date":
        shaped = text.str.match(_DATE).fillna(False)
        dates = pd.to_datetime(text.where(shaped).str.slice(0, 10), errors="coerce", format="%Y-%m-%d")
        return dates.astype("datetime64[ns]"), rules.mask(~empty & dates.isna(), _TYPE_RULE[kind])
    raise ValueError(f"unsupported field type {kind!r}")


_TYPE_RULE = {
    "integer": "type: must be a whole number",
    "number": "type: must be a finite number",
    "boolean": "type: must be true or false",
    "date": "type: must be a real date written YYYY-MM-DD",
}


def _check_columns_and_types(frame: pd.DataFrame, table: str, report: ValidationReport,
                             header_row: int, rows: np.ndarray):
    fields = schemas.table_schema(table)["fields"]
    names = [f["name"] for f in fields]
    missing_values = set(schemas.table_schema(table).get("missingValues", [""]))
    for col in frame.columns:
        if col not in names:
            close = difflib.get_close_matches(col, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            report.add(table, header_row, col, col, f"unknown column: not in the {table} schema{hint}")
    # An unknown column is reported above and the known columns are still checked; a missing
    # required column stops the file's checks (every row would otherwise repeat the problem).
    missing = False
    for f in fields:
        if f["name"] not in frame.columns and f.get("constraints", {}).get("required"):
            report.add(table, header_row, f["name"], None, "required column is missing")
            missing = True
    if missing:
        return None, None
    typed = pd.DataFrame(index=frame.index)
    for f in fields:
        name = f["name"]
        raw = frame[name] if name in frame.columns else pd.Series("", index=frame.index)
        raw = raw.where(~raw.astype("string").str.strip().isin(missing_values).fillna(True), "")
        control = raw.astype("string").str.contains(_CONTROL_CHARS, regex=True).fillna(False)
        for i in np.flatnonzero(control.to_numpy()):
            report.add(table, rows[i], name, repr(raw.iloc[i]), "text: contains a NUL byte or another control "
                       "character (often a sign of a damaged or binary file)")
        raw = raw.where(~control, "")
        raw, labels = _map_labels(raw, f)
        for label, code in sorted({(label, raw[i]) for i, (label, _) in labels.items()}):
            report.notes.append(f"{table}.{name}: {label!r} -> {code} (label mapped to its code)")
        if f.get("labels") == "scales":
            report.grade_labels[table] = labels
        values, rules = _parse_column(raw, f["type"])
        for i in np.flatnonzero(rules.notna().to_numpy()):
            report.add(table, rows[i], name, raw.iloc[i], rules.iloc[i])
        typed[name] = values
    return typed, rows


def _normalise(text: str) -> str:
    """A label compared without case, with spaces, hyphens and underscores alike: 'East of England'."""
    return re.sub(r"[ _-]+", "_", text.strip().lower())


def _grade_labels() -> dict[str, tuple[str, int]]:
    """Every grade label of ``scales.json``, normalised -> (scale, code)."""
    return {_normalise(level["label"]): (name, level["code"])
            for name, spec in schemas.scales()["scales"].items() for level in spec["levels"]}


def _map_labels(raw: pd.Series, spec: dict) -> tuple[pd.Series, dict]:
    """Codes for labels as people write them: an enum code in any case or spacing (``East of England``), and,
    for a field with ``"labels": "scales"``, a grade label of ``scales.json`` (``Outstanding``). Returns the
    mapped column and, per mapped cell's index, (label as written, its scale or None)."""
    codes = spec.get("constraints", {}).get("enum")
    table: dict[str, tuple[str | None, object]] = {}
    if codes:
        table = {_normalise(str(c)): (None, c) for c in codes}
    elif spec.get("labels") == "scales":
        table = dict(_grade_labels())
    if not table:
        return raw, {}
    text = raw.astype("string").str.strip().fillna("")
    labels, out = {}, raw.copy()
    for i, value in text.items():
        hit = table.get(_normalise(value)) if value and not value.lstrip("+-").replace(".", "", 1).isdigit() else None
        if hit is not None and value != str(hit[1]):
            labels[i] = (value, hit[0])
            out[i] = str(hit[1])
    return out, labels


def _pandera_schema(table: str) -> pa.DataFrameSchema:
    """A pandera schema built from the table's Frictionless descriptor."""
    cols = {}
    for f in schemas.table_schema(table)["fields"]:
        cons = f.get("constraints", {})
        checks = []
        bound = (lambda v: pd.Timestamp(v)) if f["type"] == "date" else (lambda v: v)
        if "enum" in cons:
            checks.append(pa.Check.isin(cons["enum"], error="code: must be one of " + ", ".join(map(str, cons["enum"]))))
        if "minimum" in cons:
            checks.append(pa.Check.ge(bound(cons["minimum"]), error=f"range: must be at least {cons['minimum']}"))
        if "maximum" in cons:
            checks.append(pa.Check.le(bound(cons["maximum"]), error=f"range: must be at most {cons['maximum']}"))
        if "pattern" in cons:
            checks.append(pa.Check.str_matches("^(?:" + cons["pattern"].strip("^$") + ")$", error=f"format: must match {cons['pattern']}"))
        cols[f["name"]] = pa.Column(nullable=not cons.get("required", False), checks=checks, coerce=False)
    key = schemas.table_schema(table).get("primaryKey")
    return pa.DataFrameSchema(cols, unique=key, report_duplicates="all")


def _check_constraints(typed: pd.DataFrame, rows: np.ndarray, table: str, report: ValidationReport) -> None:
    try:
        _pandera_schema(table).validate(typed, lazy=True)
    except pa.errors.SchemaErrors as exc:
        key = schemas.table_schema(table).get("primaryKey", [])
        cases = exc.failure_cases.dropna(subset=["index"])
        for case in cases.itertuples(index=False):
            i = typed.index.get_loc(case.index)
            if case.check == "not_nullable":
                rule = "required: a value is needed"
            elif "uniqueness" in str(case.check):
                if case.column != key[0]:
                    continue  # one report per duplicated key, on its first column
                shown = ", ".join(f"{k}={_show(typed.iloc[i][k])}" for k in key)
                report.add(table, rows[i], "+".join(key), shown, "key: duplicate key (" + shown + ")")
                continue
            else:
                rule = str(case.check)
            report.add(table, rows[i], case.column, typed.iloc[i][case.column], rule)


# --------------------------------------------------------------------------- cross-table rules

def _reference(report: ValidationReport, existing: dict[str, pd.DataFrame], table: str):
    if table in report.tables:
        return report.tables[table]
    return existing.get(table)


def _by_key(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame`` indexed by ``key``, for looking rows up from another table.

    An empty or duplicated key is already reported by the table's own key rules; here the
    first row of a duplicated key is used, so the other rows are still checked.
    """
    return frame.dropna(subset=[key]).drop_duplicates(subset=[key]).set_index(key)


def _check_foreign_keys(report: ValidationReport, existing: dict[str, pd.DataFrame]) -> None:
    for table, frame in report.tables.items():
        for fk in schemas.table_schema(table).get("foreignKeys", []):
            (col,), target = fk["fields"], fk["reference"]
            ref = _reference(report, existing, target["resource"])
            if ref is None:
                report.notes.append(f"{table}.{col} not checked against {target['resource']}: "
                                    f"no {target['resource']} table given")
                continue
            values = frame[col]
            dangling = values.notna() & ~values.isin(set(ref[target["fields"][0]].dropna()))
            for i in np.flatnonzero(dangling.to_numpy()):
                report.add(table, report.row_numbers[table][i], col, values.iloc[i],
                           f"reference: no {target['resource']} row has "
                           f"{target['fields'][0]} = this value")


def _check_grades_on_scale(report: ValidationReport, existing: dict[str, pd.DataFrame]) -> None:
    """Judgements' and ratings' grades on the scale their framework uses for the area."""
    for table in ("judgements", "ratings"):
        frame = report.tables.get(table)
        if frame is None:
            continue
        if table == "ratings":
            framework = frame["framework"]
        else:
            inspections = _reference(report, existing, "inspections")
            if inspections is None:
                report.notes.append("judgements: grades not checked against framework scales (no inspections table)")
                continue
            framework = frame["inspection_id"].map(_by_key(inspections, "inspection_id")["framework"])
        labels = report.grade_labels.get(table, {})
        for i, (fw, area, grade) in enumerate(zip(framework, frame["area"], frame["grade"])):
            if pd.isna(fw) or pd.isna(area) or pd.isna(grade) or fw not in schemas.scales()["frameworks"]:
                continue
            areas = schemas.framework_areas(fw)
            row = report.row_numbers[table][i]
            if area not in areas:
                report.add(table, row, "area", area,
                           f"scale: framework {fw} does not grade this area (it grades: {', '.join(areas)})")
                continue
            sc = schemas.scale(areas[area])
            label, label_scale = labels.get(frame.index[i], (None, None))
            if int(grade) not in sc.codes or (label is not None and label_scale != sc.name):
                shown = ", ".join(f"{c} {lab}" for c, lab in zip(sc.codes, sc.labels))
                report.add(table, row, "grade", label or grade,
                           f"scale: not a grade on the {sc.name} scale used by {fw} for {area} ({shown})")


def _check_dates(report: ValidationReport) -> None:
    today = pd.Timestamp.today().normalize()
    insp = report.tables.get("inspections")
    if insp is not None:
        for i, (day, fw) in enumerate(zip(insp["start_date"], insp["framework"])):
            if pd.isna(day):
                continue
            row = report.row_numbers["inspections"][i]
            if day > today:
                report.add("inspections", row, "start_date", day, "date: inspection starts in the future")
            elif fw in schemas.scales()["frameworks"]:
                spec = schemas.scales()["frameworks"][fw]
                end = spec.get("to") or "9999-12-31"
                if not (pd.Timestamp(spec["from"]) <= day <= pd.Timestamp(end)):
                    report.add("inspections", row, "start_date", day,
                               f"date: outside the {fw} framework's period ({spec['from']} to {spec.get('to') or 'now'})")
    comp = report.tables.get("complaints")
    if comp is not None:
        for i, (rec, closed, outcome) in enumerate(zip(comp["received_date"], comp["closed_date"], comp["outcome"])):
            row = report.row_numbers["complaints"][i]
            if pd.notna(rec) and pd.notna(closed) and closed < rec:
                report.add("complaints", row, "closed_date", closed, "date: closed before it was received")
            if pd.notna(rec) and rec > today:
                report.add("complaints", row, "received_date", rec, "date: received in the future")
            if pd.isna(closed) != pd.isna(outcome):
                report.add("complaints", row, "outcome" if pd.isna(outcome) else "closed_date",
                           outcome if pd.notna(outcome) else closed,
                           "consistency: a closed complaint needs both outcome and closed_date; an open one neither")


def _check_row_rules(report: ValidationReport) -> None:
    """Rules across a row's columns: percentages that cannot add up, ids that become file names."""
    agg = report.tables.get("survey_aggregates")
    if agg is not None:
        total = agg["pct_positive"] + agg["pct_negative"]
        # published percentages are rounded to whole numbers, so two of them may add up to 101
        for i in np.flatnonzero((total > 101 + 1e-9).fillna(False).to_numpy()):
            report.add("survey_aggregates", report.row_numbers["survey_aggregates"][i], "pct_negative",
                       agg["pct_negative"].iloc[i],
                       f"range: pct_positive + pct_negative is {total.iloc[i]:g}, more than 100 (101 allowed for "
                       "rounding)")
    insp = report.tables.get("inspections")
    if insp is not None:
        unsafe = insp["inspection_id"].str.contains(r"[/\\:*?\"<>|]|^\.", regex=True).fillna(False)
        for i in np.flatnonzero(unsafe.to_numpy()):
            report.add("inspections", report.row_numbers["inspections"][i], "inspection_id",
                       insp["inspection_id"].iloc[i], "format: an inspection id becomes part of a file name (evidence "
                       "packs): no / \\ : * ? \" < > | and no leading dot")


def _check_survey_ranges(report: ValidationReport, existing: dict[str, pd.DataFrame]) -> None:
    items = _reference(report, existing, "survey_items")
    if items is None:
        return
    if "survey_items" in report.tables:
        for i, (lo, hi) in enumerate(zip(items["scale_min"], items["scale_max"])):
            if pd.notna(lo) and pd.notna(hi) and lo >= hi:
                report.add("survey_items", report.row_numbers["survey_items"][i], "scale_max", hi,
                           "range: scale_max must be above scale_min")
    resp = report.tables.get("survey_responses")
    if resp is None:
        return
    bounds = _by_key(items, "item_id")
    lo = resp["item_id"].map(bounds["scale_min"]).astype("Float64")
    hi = resp["item_id"].map(bounds["scale_max"]).astype("Float64")
    fraction = resp["response"].notna() & lo.notna() & (resp["response"] % 1 != 0)
    for i in np.flatnonzero(fraction.fillna(False).to_numpy()):
        report.add("survey_responses", report.row_numbers["survey_responses"][i], "response",
                   resp["response"].iloc[i],
                   f"scale: must be a whole number on the item's scale {int(lo.iloc[i])}-{int(hi.iloc[i])}")
    outside = resp["response"].notna() & lo.notna() & ((resp["response"] < lo) | (resp["response"] > hi))
    for i in np.flatnonzero(outside.fillna(False).to_numpy()):
        report.add("survey_responses", report.row_numbers["survey_responses"][i], "response",
                   resp["response"].iloc[i],
                   f"range: outside the item's scale {int(lo.iloc[i])}-{int(hi.iloc[i])} "
                   "(a \"don't know\" must be left empty)")


def validate(paths: list[str | Path] | dict[str, str | Path],
             existing: dict[str, pd.DataFrame] | None = None) -> ValidationReport:
    """Read and check files given together (checked against each other's keys).

    ``paths`` is a list of files named after their tables, or a mapping table -> file.
    ``existing`` holds tables already stored (e.g. in a workspace) that keys may refer to.
    """
    report = ValidationReport()
    items = paths.items() if isinstance(paths, dict) else [(None, p) for p in paths]
    for table, path in items:
        read_table(path, table, report)
    return _check_across(report, existing)


def validate_frames(frames: dict[str, pd.DataFrame], source: str = "in memory",
                    existing: dict[str, pd.DataFrame] | None = None) -> ValidationReport:
    """Check in-memory tables by the same rules as files, without writing them anywhere.

    Each table is checked on its cells as a file would hold them (row numbers count the header as row 1,
    as in a CSV); ``source`` names them in the errors (``file`` column: ``SOURCE:table``).

    Examples
    --------
    >>> import pandas as pd
    >>> bad = pd.DataFrame({"urn": [100001, 100001], "name": ["A", "B"], "phase": ["primary", "Nursery school"]})
    >>> report = validate_frames({"schools": bad})
    >>> report.errors()[["file", "row", "column", "value"]]
                    file  row column           value
    0  in memory:schools    2    urn      urn=100001
    1  in memory:schools    3  phase  Nursery school
    2  in memory:schools    3    urn      urn=100001
    """
    report = ValidationReport()
    for table, frame in frames.items():
        if table not in schemas.table_names():
            report.sources[table] = f"{source}:{table}"
            report.add(table, HEADER_ROW, "(table)", table,
                       "unknown table: one of " + ", ".join(schemas.table_names()))
            continue
        report.sources[table] = f"{source}:{table}"
        text = as_text(frame.reset_index(drop=True))
        text.columns = [str(c).strip() for c in text.columns]
        _check_table(text, HEADER_ROW, np.arange(len(text)) + HEADER_ROW + 1, table, report)
    return _check_across(report, existing)


def _check_across(report: ValidationReport, existing: dict[str, pd.DataFrame] | None) -> ValidationReport:
    """The rules between tables (keys, grades on their framework's scale, dates, survey ranges, row rules)."""
    existing = existing or {}
    _check_foreign_keys(report, existing)
    _check_grades_on_scale(report, existing)
    _check_dates(report)
    _check_survey_ranges(report, existing)
    _check_row_rules(report)
    return report
