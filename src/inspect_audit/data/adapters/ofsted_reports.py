"""Ofsted school inspection reports (PDF, and report-card pages saved as HTML) as the project's tables.

Each report gives one ``inspections`` row (URN, first day of the inspection, the framework in force on
that day from ``scales.json``, the kind of inspection, the lead inspector and the team size), the
``judgements`` it states (on the framework's scale for each area) and its inspection team, from which the
``inspectors`` table is built (role HMI/OI from the report's wording, the latest one seen; first year
seen). Nothing is guessed: a fact the report does not state stays empty, and every report that could not
be read in full is listed with the reason in :attr:`ReportTables.parse_report`.

Layouts read (wording as published):

* legacy reports (2005 onwards): ``Inspection dates 5-6 July 2023``, ``Unique reference number``,
  ``Inspection number``, the grade table (``Overall effectiveness Good`` and the framework's key
  judgements, e.g. ``The quality of education``, ``Effectiveness of leadership and management``,
  ``16 to 19 study programmes``; the 2012-2015 ``This inspection: Good 2`` form), the safeguarding
  sentence (``The arrangements for safeguarding are effective``) and the ``Inspection team`` section
  (``Jane Doe, lead inspector   His Majesty's Inspector``; Her Majesty's Inspector, HMI, Ofsted
  Inspector, OI, Additional Inspector; comma, dash or table layouts, names over two lines);
* report cards (November 2025 onwards): the eight areas on the 5-point scale and ``Safeguarding: Met``;
* monitoring and ungraded (section 8, short inspection) letters: no grades, so listed as not graded;
  the lead inspector is the letter's signatory;
* amended reports (``Inspection report - amended``): the latest version of an inspection is kept and
  the versions it replaces are listed as superseded.

Names become people through :class:`inspect_audit.data.adapters.names.NameBook`; they are pseudonymised
when the tables are written (:meth:`ReportTables.write`, through :mod:`inspect_audit._core.export`), and the
real names stay in a key file the user keeps.

Examples
--------
>>> text = '''School report
... Inspection dates 5-6 July 2023
... Overall effectiveness Good
... The quality of education Requires improvement
... The arrangements for safeguarding are effective.
... Unique reference number 123456
... Inspection number 10240001
... Inspection team
... Jane Doe, lead inspector His Majesty's Inspector
... John Roe Ofsted Inspector'''
>>> report = parse_pages([text], "report.pdf")
>>> report.inspection_id, report.framework, report.start_date, [m.role for m in report.team]
('10240001', 'eif_2019', '2023-07-05', ['HMI', 'OI'])
>>> [(area, grade) for area, grade, _ in report.judgements]
[('overall_effectiveness', 2), ('quality_of_education', 3), ('safeguarding', 1)]
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from inspect_audit._core import export
from inspect_audit._core import privacy
from inspect_audit.data import schemas
from inspect_audit.data.adapters.names import NameBook, clean_name, read_decisions
from inspect_audit.data.adapters.reading import normalise

#: File suffixes read from a folder.
SUFFIXES = (".pdf", ".html", ".htm")
#: Status of a file in the parse report.
STATUSES = {"parsed": "read in full", "partial": "read, with the gaps listed",
            "not_graded": "a letter with no grades (monitoring or ungraded inspection): not an error",
            "superseded": "replaced by an amended report of the same inspection", "duplicate":
            "the same inspection read from another file", "skipped": "not a report file", "failed": "nothing read"}
#: Where :meth:`ReportTables.write` puts its files inside the output folder.
PARSE_DIR, PRIVATE_DIR = "parse", "private"
NAMES_KEY, AMBIGUOUS = "names_key.csv", "ambiguous_names.csv"

_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                       "september", "october", "november", "december"), 1)}
_MONTHS.update({m[:3]: i for m, i in list(_MONTHS.items())} | {"sept": 9})
_MONTH = r"(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b\.?"
_DATE_LABEL = re.compile(r"(?i)\b(?:inspection dates?|dates? of (?:the )?inspection|visits? to (?:the|your) school on|"
                         r"inspection (?:took place|was carried out) on)\s*:?\s*")
_URN = re.compile(r"(?i)\b(?:unique reference number|URN)\b\s*:?\s*(\d{5,7})\b")
_NUMBER = re.compile(r"(?i)\binspection number\b\s*:?\s*([A-Z0-9][A-Z0-9-]{3,19})\b")
_AMENDED = re.compile(r"(?i)(?:report\s*[-\u2013\u2014:]?\s*amended\b|\bamended report\b|"
                      r"\bthis report (?:has been|was) amended\b|\bdate of amendment\b)")
_AMENDED_ON = re.compile(r"(?i)(?:amended on|date of amendment)\s*:?\s*")
_MONITORING = re.compile(r"(?i)\bmonitoring (?:inspection|visit)s?\b")
_UNGRADED = re.compile(r"(?i)\b(?:ungraded inspection|short inspection|section 8 inspection)\b")
_CATEGORY = [(re.compile(r"(?i)\b(?:requires|placed in|is in need of) special measures\b"), "special_measures"),
             (re.compile(r"(?i)\bhas serious weaknesses\b"), "serious_weaknesses"),
             (re.compile(r"(?i)\brequires significant improvement\b"), "requires_significant_improvement")]

# Area -> how published reports label it (any framework); "The" before a label is allowed.
AREA_LABELS: dict[str, str] = {
    "overall_effectiveness": r"overall effectiveness",
    "quality_of_education": r"quality of education",
    "behaviour_and_attitudes": r"behaviour and attitudes",
    "personal_development": r"personal development",
    "leadership_and_management": r"(?:effectiveness of )?leadership and management",
    "early_years": r"early years(?: provision)?(?: \(where applicable\))?",
    "sixth_form": (r"(?:sixth[- ]form(?: provision)?(?: \(where applicable\))?"
                   r"|16 ?(?:to|-|\u2013) ?19 study programmes)"),
    "quality_of_teaching_learning_and_assessment": r"quality of teaching, learning and assessment",
    "personal_development_behaviour_and_welfare": r"personal development, behaviour and welfare",
    "outcomes_for_pupils": r"outcomes for pupils",
    "achievement_of_pupils": r"achievement of pupils",
    "quality_of_teaching": r"quality of teaching",
    "behaviour_and_safety": r"behaviour and safety of pupils",
    "inclusion": r"inclusion",
    "curriculum_and_teaching": r"curriculum and teaching",
    "achievement": r"achievement",
    "attendance_and_behaviour": r"attendance and behaviour",
    "personal_development_and_well_being": r"personal development and well-?being",
    "leadership_and_governance": r"leadership and governance",
    "post_16": r"post[- ]16(?: provision)?",
    "safeguarding": r"safeguarding(?: standards)?",
}
#: "Satisfactory" was grade 3 before September 2012.
SATISFACTORY_FRAMEWORKS = ("section5_2005", "section5_2009")
_GRADE_WORDS = sorted({lab for name in schemas.scales()["scales"] for lab in schemas.scale(name).labels}
                      | {"Satisfactory"}, key=len, reverse=True)
_GRADE = "(?P<grade>" + "|".join(re.escape(w) for w in _GRADE_WORDS) + ")"
_AREA_RES = {area: re.compile(rf"(?im)^[ \t]*(?:the[ \t]+)?(?:{label})[ \t]*:?[ \t]*\n?[ \t]*"
                              rf"(?:this inspection:?[ \t]*)?{_GRADE}[ \t]*(?:\(?[1-5]\)?)?[ \t]*"
                              r"(?=$|previous inspection)")
             for area, label in AREA_LABELS.items()}
_SAFEGUARDING_SENTENCE = re.compile(r"(?i)arrangements for safeguarding (?:are|were) (not )?effective")
#: Areas a report card always grades.
REPORT_CARD_CORE = ("inclusion", "curriculum_and_teaching", "achievement", "attendance_and_behaviour",
                    "personal_development_and_well_being", "leadership_and_governance", "safeguarding")

# The team: role wording -> role code (None: a role the inspectors schema has no code for).
_ROLE = re.compile(r"(?:(?i:(?:his|her)\s+majesty['\u2019]?s\s+inspector|ofsted\s+inspector|additional\s+inspector)"
                   r"|\bHMI\b|\bOI\b)")
_LEAD = re.compile(r"(?i)\(?\blead\s+inspector\b\)?")
_LEAD_FIRST = re.compile(r"(?i)^[\s,;:\-\u2013\u2014]*\(?lead\s+inspector\)?(\s*:)?")
_TEAM_LABEL = re.compile(r"(?i)\b(?:team|additional) inspectors?\b\s*:?|\binspectors?\s*:")
_TEAM_HEADING = re.compile(r"(?im)^[ \t]*inspection team\b[ \t]*:?[ \t]*")
_SIGN_OFF = re.compile(r"(?i)\byours (?:sincerely|faithfully)\b[,.]?")
_NOISE = re.compile(r"(?i)^(?:page \d+ of \d+|page \d+|\d{1,3}|inspection report:.*|report card:.*)$")
_STOP = re.compile(r"(?i)^(?:school details|information about this (?:inspection|school)|facts about this school|"
                   r"the office for standards.*|if you would like.*|any complaints.*|parent view.*|"
                   r"further information.*|what does the school need to do.*|headteacher.*|background.*|"
                   r"what happens next.*|\u00a9.*|crown copyright.*|piccadilly gate.*)$")
_PARTICLES = {"lead", "inspector", "de", "van", "von", "der", "den", "da", "du", "le", "la", "ap", "ab", "y", "bin",
              "binti", "al", "el", "di", "dos", "das", "del", "della", "st", "of"}
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\u00a0": " ", "\u00ad": ""})


class ReportError(Exception):
    """Why a file gives no inspection, in one line for the parse report."""


@dataclass
class Member:
    """One inspector as the report names them."""

    name: str
    lead: bool
    wording: str
    page: int

    @property
    def role(self) -> str | None:
        """``HMI``, ``OI``, or ``None`` for wording the schema has no code for (e.g. Additional Inspector)."""
        word = normalise(self.wording)
        if word in ("hmi", "hismajestysinspector", "hermajestysinspector"):
            return "HMI"
        return "OI" if word in ("oi", "ofstedinspector") else None


@dataclass
class Report:
    """What one file says, and what could not be read from it."""

    file: str
    status: str = "parsed"
    issues: list[str] = field(default_factory=list)
    inspection_id: str = ""
    urn: str = ""
    start_date: str = ""
    framework: str = ""
    inspection_type: str = ""
    category_of_concern: str = ""
    judgements: list[tuple[str, int, int]] = field(default_factory=list)
    team: list[Member] = field(default_factory=list)
    team_listed: bool = False
    amended: bool = False
    amended_on: str = ""
    page: int = 1

    @property
    def key(self) -> tuple[str, str]:
        """One inspection: (URN, start date)."""
        return self.urn, self.start_date

    @property
    def lead(self) -> Member | None:
        """The lead inspector, if the report marks one."""
        return next((m for m in self.team if m.lead), None)


# --------------------------------------------------------------------------- text from files

class _HTMLText(HTMLParser):
    """Visible text of an HTML page, one block per line; table cells of a row on one line."""

    BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
              "ul", "ol", "dl", "dt", "dd", "tr", "table", "br", "hr", "title", "nav", "aside", "caption", "figure",
              "blockquote", "tbody", "thead"}
    HIDDEN = {"script", "style", "noscript", "template", "svg"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_text(markup: str) -> str:
    """The visible text of an HTML page, a line per block.

    >>> html_text("<dl><dt>Inclusion</dt><dd>Strong standard</dd></dl><script>x=1</script>")
    'Inclusion\\nStrong standard'
    """
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    lines = (re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _sniff(raw: bytes, suffix: str) -> str:
    if b"%PDF-" in raw[:1024]:
        return "pdf"
    tags = re.search(rb"(?i)<(?:!doctype html|html|body|head|div|p|h[1-6]|table|dl|main)\b", raw[:4096])
    if tags and (suffix in (".html", ".htm") or re.search(rb"(?i)<(?:!doctype html|html)\b", raw[:4096])):
        return "html"
    if not raw.strip():
        raise ReportError("empty file")
    if raw.startswith(b"PK\x03\x04"):
        raise ReportError("a ZIP archive, not a report: unzip it and give the folder")
    raise ReportError("not a PDF or an HTML page (no %PDF- header and no <html> tag)")


def pdf_pages(raw: bytes) -> list[str]:
    """The text of each page of a PDF, in the order the PDF draws it (pypdf's plain extraction)."""
    import io

    import pypdf

    log = logging.getLogger("pypdf")
    level = log.level
    log.setLevel(logging.CRITICAL)  # pypdf logs each repair of a damaged file; the parse report says what matters
    try:
        reader = pypdf.PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    raise ReportError("encrypted PDF: cannot be read without its password")
            except (NotImplementedError, pypdf.errors.DependencyError) as err:
                raise ReportError(f"encrypted PDF that pypdf cannot open ({err})") from None
        pages = [page.extract_text() or "" for page in reader.pages]
        if not pages:
            raise ReportError("damaged PDF: no pages")
        return pages
    except pypdf.errors.FileNotDecryptedError:
        raise ReportError("encrypted PDF: cannot be read without its password") from None
    except (pypdf.errors.PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError) as err:
        raise ReportError(f"damaged PDF: pypdf could not read it ({type(err).__name__}: "
                          f"{str(err).splitlines()[0] if str(err) else 'no detail'})") from None
    finally:
        log.setLevel(level)


def read_pages(path: str | Path) -> list[str]:
    """The text of a report file, page by page (an HTML page is one page).

    Raises :class:`ReportError` with the reason when the file holds no readable text.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ReportError(f"cannot be opened ({err.strerror or err})") from None
    kind = _sniff(raw, path.suffix.lower())
    if kind == "pdf":
        pages = pdf_pages(raw)
    else:
        try:
            markup = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            markup = raw.decode("cp1252", errors="replace")
        pages = [html_text(markup)]
    if not any(p.strip() for p in pages):
        raise ReportError("no text in the file (a scanned image? run OCR on it first)")
    return pages


# --------------------------------------------------------------------------- facts from text

class _Document:
    """Pages joined into one text, with the page of any position."""

    def __init__(self, pages: Sequence[str]):
        self.pages = [p.translate(_LIGATURES).replace("\r\n", "\n").replace("\r", "\n") for p in pages]
        self.text = "\n".join(self.pages)
        self.starts = []
        at = 0
        for page in self.pages:
            self.starts.append(at)
            at += len(page) + 1

    def page_at(self, pos: int) -> int:
        return max(i for i, start in enumerate(self.starts) if start <= pos) + 1


def parse_date(text: str) -> str | None:
    """The first day of a date or date range as written in reports (ISO), or ``None``.

    >>> parse_date("5 and 6 July 2023"), parse_date("30 September \u2013 1 October 2014"), parse_date("12th Jan 2016")
    ('2023-07-05', '2014-09-30', '2016-01-12')
    """
    head = re.match(r"(?s)(.{0,70}?)\b((?:19|20)\d{2})\b", text)
    if not head:
        return None
    part, year = head.group(1), int(head.group(2))
    day = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", part)
    month = re.search(_MONTH, part, re.IGNORECASE)
    if not day or not month:
        return None
    try:
        return dt.date(year, _MONTHS[month.group(0).lower().rstrip(".")], int(day.group(1))).isoformat()
    except ValueError:
        return None


def _find_date(doc: _Document) -> tuple[str, int] | None:
    for match in _DATE_LABEL.finditer(doc.text):
        day = parse_date(doc.text[match.end():match.end() + 90])
        if day:
            return day, doc.page_at(match.start())
    return None


def _grade_code(framework: str, area: str, word: str, report: Report) -> int | None:
    areas = schemas.framework_areas(framework)
    if area not in areas:
        report.issues.append(f"a grade for {area} ({word!r}), an area the {framework} framework does not grade: "
                             "left out")
        return None
    scale = schemas.scale(areas[area])
    codes = {normalise(label): code for code, label in zip(scale.codes, scale.labels)}
    if normalise(word) == "satisfactory" and framework in SATISFACTORY_FRAMEWORKS:
        return 3
    if normalise(word) not in codes:
        report.issues.append(f"grade {word!r} for {area} is not on the {scale.name} scale of {framework}: left out")
        return None
    return codes[normalise(word)]


def _find_grades(doc: _Document, report: Report) -> None:
    found: dict[str, tuple[str, int]] = {}
    for area, pattern in _AREA_RES.items():
        matches = list(pattern.finditer(doc.text))
        words = {m.group("grade").lower() for m in matches}
        if len(words) > 1:
            report.issues.append(f"{area} is given {len(words)} different grades: the first is used")
        if matches:
            found[area] = (matches[0].group("grade"), doc.page_at(matches[0].start()))
    sentence = _SAFEGUARDING_SENTENCE.search(doc.text)
    if "safeguarding" not in found and sentence:
        found["safeguarding"] = ("Not met" if sentence.group(1) else "Met", doc.page_at(sentence.start()))
    for area, (word, page) in found.items():
        code = _grade_code(report.framework, area, word, report)
        if code is not None:
            report.judgements.append((area, code, page))


def _is_name_fragment(line: str) -> bool:
    words = clean_name(line).split(" ")
    if not line.strip() or len(words) > 6 or re.search(r"\d", line) or _STOP.match(line.strip()):
        return False
    return all(w[:1].isupper() or w.lower().strip(".,") in _PARTICLES or not w[:1].isalpha() for w in words if w)


def _team_lines(lines: list[str]) -> list[str]:
    """The lines of a team section: until the first line that is neither a name, a role nor a lead marker."""
    out = []
    for line in lines:
        line = line.strip()
        if not line or _NOISE.match(line):
            continue
        if _STOP.match(line) or not (_ROLE.search(line) or _LEAD.search(line) or _TEAM_LABEL.search(line)
                                     or _is_name_fragment(line)):
            break
        if len(line) > 120:
            break
        out.append(line)
    return out


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text += line if text.endswith("-") and not text.endswith(" -") else (" " + line if text else line)
    return text


def _members(lines: list[str], page: int, report: Report, what: str) -> list[Member]:
    """People named in ``lines``: each name followed by its role (or, failing that, names then roles)."""
    text = _join(lines)
    members: list[Member] = []
    pos = 0
    for match in _ROLE.finditer(text):
        segment = text[pos:match.start()]
        pos = match.end()
        first = _LEAD_FIRST.match(segment)
        if first and not first.group(1) and members:  # "..., HMI, lead inspector": the marker follows the role
            members[-1].lead = True
            segment = segment[first.end():]
        lead = bool(_LEAD.search(segment))
        name = clean_name(_TEAM_LABEL.sub(" ", _LEAD.sub(" ", segment)))
        members.append(Member(name, lead, re.sub(r"\s+", " ", match.group(0)), page))
    rest = text[pos:]
    first = _LEAD_FIRST.match(rest)
    if first and members:
        members[-1].lead = True
        rest = rest[first.end():]
    if members and any(not m.name for m in members):  # names and roles in separate columns, drawn one after the other
        names = [line for line in lines if not _ROLE.search(line) and clean_name(_LEAD.sub(" ", line))]
        roles = [m.wording for m in members]
        if len(names) != len(roles):
            report.issues.append(f"{what}: {len(names)} name line(s) and {len(roles)} role(s) cannot be paired: "
                                 "team not read")
            return []
        members = [Member(clean_name(_TEAM_LABEL.sub(" ", _LEAD.sub(" ", n))), bool(_LEAD.search(n)), r, page)
                   for n, r in zip(names, roles)]
        rest = ""
    if clean_name(_TEAM_LABEL.sub(" ", rest)):
        report.issues.append(f"{what}: {len(rest.split())} word(s) after the last stated role not read "
                             "(a name without a role?)")
    kept = []
    for i, member in enumerate(members, 1):
        words = member.name.split(" ")
        letters = re.search(r"[^\W\d_]", member.name)
        if not member.name or len(words) > 6 or re.search(r"\d", member.name) or not letters:
            report.issues.append(f"{what}: entry {i} not read as a name: left out")
        elif member.name in {m.name for m in kept}:
            report.issues.append(f"{what}: entry {i} names a member already listed: counted once")
        else:
            if len(words) == 1:
                report.issues.append(f"{what}: entry {i} is a single word (a name cut short?)")
            kept.append(member)
    return kept


def _signatory(lines: list[str], page: int) -> list[Member]:
    """The inspector who signs a letter ("Yours sincerely / Jane Doe / His Majesty's Inspector"): the lead."""
    name: list[str] = []
    for line in _team_lines(lines)[:4]:
        role = _ROLE.search(line)
        if role or _LEAD.search(line):
            name.append(line[:role.start()] if role else _LEAD.sub(" ", line))
            person = clean_name(_join(name))
            return [Member(person, True, re.sub(r"\s+", " ", role.group(0)) if role else "", page)] if person else []
        name.append(line)
    return []


def _find_team(doc: _Document, report: Report) -> None:
    for heading in reversed(list(_TEAM_HEADING.finditer(doc.text))):
        lines = _team_lines(doc.text[heading.end():].split("\n"))
        if lines:
            report.team_listed = True
            report.team = _members(lines, doc.page_at(heading.start()), report, "inspection team")
            break
    else:
        signed = list(_SIGN_OFF.finditer(doc.text))
        if signed:
            report.team = _signatory(doc.text[signed[-1].end():].split("\n"), doc.page_at(signed[-1].start()))
    leads = [m for m in report.team if m.lead]
    if len(leads) > 1:
        report.issues.append(f"{len(leads)} inspectors marked lead: the first is used")
        for member in leads[1:]:
            member.lead = False
    if not leads and len(report.team) == 1 and report.team_listed:
        report.team[0].lead = True
    elif not leads and report.team:
        report.issues.append("no lead inspector marked")


def parse_pages(pages: Sequence[str], file: str = "") -> Report:
    """Read one report from the text of its pages (see the module docstring for the layouts).

    Raises :class:`ReportError` when the text holds no inspection (no URN, no date, or no grades and no
    sign of a letter); gaps in an inspection that was found are listed in ``Report.issues``.
    """
    doc = _Document(pages)
    report = Report(file=file)
    urn = _URN.search(doc.text)
    date = _find_date(doc)
    if not urn:
        raise ReportError("no URN (unique reference number) found: not a school inspection report?")
    if not date:
        raise ReportError("no inspection date found")
    report.urn, (report.start_date, report.page) = urn.group(1), date
    framework = schemas.framework_for_date(report.start_date)
    if framework is None:
        raise ReportError(f"inspection date {report.start_date} is before every framework in scales.json")
    if pd.Timestamp(report.start_date) > pd.Timestamp.today():
        raise ReportError(f"inspection date {report.start_date} is in the future")
    report.framework = framework
    number = _NUMBER.search(doc.text)
    report.inspection_id = number.group(1) if number else f"RPT-{report.urn}-{report.start_date.replace('-', '')}"
    amended = _AMENDED.search(doc.text)
    if amended:
        report.amended = True
        on = _AMENDED_ON.search(doc.text)
        report.amended_on = (parse_date(doc.text[on.end():on.end() + 90]) or "") if on else ""
    _find_grades(doc, report)
    areas = {a for a, _, _ in report.judgements}
    card = framework == "report_card_2025" and bool(areas)
    if card:
        report.inspection_type = "report_card"
        missing = [a for a in REPORT_CARD_CORE if a not in areas]
        if missing:
            report.issues.append("report card without " + ", ".join(missing))
    elif "overall_effectiveness" in areas:
        report.inspection_type = "graded"
        if framework == "eif_2019" and "safeguarding" not in areas:
            report.issues.append("safeguarding not stated")
    elif _MONITORING.search(doc.text) or _UNGRADED.search(doc.text):
        report.inspection_type = "monitoring" if _MONITORING.search(doc.text) else "ungraded"
        report.status = "not_graded"
        if report.judgements:
            report.issues.append(f"{len(report.judgements)} grade(s) in a {report.inspection_type} letter left out")
            report.judgements = []
    elif areas:
        report.inspection_type = "graded"
        report.issues.append("no overall effectiveness grade found")
    else:
        raise ReportError("no grades, and not a monitoring or ungraded inspection letter: not read as a report")
    if report.inspection_type in ("graded", "report_card"):
        for pattern, category in _CATEGORY:
            if pattern.search(doc.text):
                report.category_of_concern = category
                break
    _find_team(doc, report)
    if not report.team_listed and report.status != "not_graded":
        report.issues.append("no inspection team listed")
    elif report.status == "not_graded" and not report.team:
        report.issues.append("no inspector named")
    if report.issues and report.status == "parsed":
        report.status = "partial"
    return report


def parse_report(path: str | Path) -> Report:
    """Read one report file; a file that gives no inspection comes back with status ``failed`` and its reason.

    Never raises for a bad file: anything a damaged file makes the PDF library raise is a reason too.
    """
    try:
        return parse_pages(read_pages(path), str(path))
    except ReportError as err:
        return Report(file=str(path), status="failed", issues=[str(err)])
    except Exception as err:  # noqa: BLE001 - a damaged PDF can make a PDF library raise anything
        detail = str(err).splitlines()[0] if str(err) else "no detail"
        return Report(file=str(path), status="failed", issues=[f"could not be read ({type(err).__name__}: {detail})"])


# --------------------------------------------------------------------------- a folder of reports

def report_files(paths: Iterable[str | Path]) -> tuple[list[Path], list[Report]]:
    """The report files among ``paths`` (folders searched recursively for .pdf/.html/.htm; hidden files
    ignored), and a ``Report`` for each path that is missing or, in a folder, not a report file."""
    files: dict[Path, Path] = {}
    others: list[Report] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for item in sorted(path.rglob("*")):
                if not item.is_file() or any(part.startswith(".") for part in item.relative_to(path).parts):
                    continue
                if item.suffix.lower() in SUFFIXES:
                    files.setdefault(item.resolve(), item)
                else:
                    others.append(Report(file=str(item), status="skipped",
                                         issues=["not a .pdf, .html or .htm file"]))
        elif path.is_file():
            files.setdefault(path.resolve(), path)
        else:
            others.append(Report(file=str(path), status="failed", issues=["no such file or folder"]))
    return list(files.values()), others


def _same_content(a: Report, b: Report) -> bool:
    return (sorted(a.judgements) == sorted(b.judgements) and a.inspection_type == b.inspection_type
            and [(m.name, m.lead, m.wording) for m in a.team] == [(m.name, m.lead, m.wording) for m in b.team])


def _keep_latest(reports: list[Report]) -> None:
    """One report per inspection (URN, start date): amended before original, latest amendment first."""
    groups: dict[tuple[str, str], list[Report]] = {}
    for report in reports:
        groups.setdefault(report.key, []).append(report)
    for group in groups.values():
        group.sort(key=lambda r: r.file)
        group.sort(key=lambda r: (r.amended, r.amended_on), reverse=True)  # stable: file order within ties
        kept = group[0]
        for other in group[1:]:
            if kept.amended and (not other.amended or other.amended_on < kept.amended_on):
                other.status, other.issues = "superseded", [f"replaced by the amended report {kept.file}"]
            else:
                same = "same content" if _same_content(kept, other) else "content differs"
                other.status, other.issues = "duplicate", [f"same inspection (URN, start date) as {kept.file}, "
                                                           f"which is used ({same})"]
    ids: dict[str, Report] = {}
    for report in reports:
        if report.status in ("superseded", "duplicate"):
            continue
        if report.inspection_id in ids:
            fallback = f"RPT-{report.urn}-{report.start_date.replace('-', '')}"
            report.issues.append(f"inspection number {report.inspection_id} is also given by "
                                 f"{ids[report.inspection_id].file}: id {fallback} used")
            report.status = "partial" if report.status == "parsed" else report.status
            report.inspection_id = fallback
        ids[report.inspection_id] = report


@dataclass
class ReportTables:
    """The tables read from a set of reports (names as ids until written), and how each file went.

    ``tables`` holds ``inspections``, ``inspectors`` and ``judgements`` in the project's schema with each
    person's name (see ``book``) in ``inspector_id`` / ``lead_inspector_id``; ``team`` one row per
    inspector per inspection (role at that inspection); ``provenance`` the file and page of every row;
    ``parse_report`` one row per file. :meth:`write` pseudonymises.
    """

    tables: dict[str, pd.DataFrame]
    team: pd.DataFrame
    provenance: pd.DataFrame
    parse_report: pd.DataFrame
    book: NameBook
    notes: list[str] = field(default_factory=list)

    @property
    def n_read(self) -> int:
        """Reports whose inspection is in the tables."""
        return int(self.parse_report["status"].isin(["parsed", "partial", "not_graded"]).sum())

    def names_key(self, pseudonymise: bool = True, key: str | None = None) -> pd.DataFrame:
        """Every spelling met, the person it stands for and that person's id in the written tables."""
        people = pd.Series([self.book.person(n) for n in self.book.names], dtype=object)
        ids = privacy.pseudonymise(people, key, privacy.PERSON_COLUMNS["inspector_id"]) if pseudonymise else people
        seen = self.team.groupby("spelling")["inspection_id"].nunique() if len(self.team) else pd.Series(dtype=int)
        return pd.DataFrame({"name": self.book.names, "person": people, "inspector_id": ids,
                             "reports": [int(seen.get(n, 0)) for n in self.book.names]})

    def ambiguous(self, pseudonymise: bool = True, key: str | None = None) -> pd.DataFrame:
        """Pairs of spellings that might be one person, for the user to decide (``decision`` left empty)."""
        ids = self.names_key(pseudonymise, key).set_index("name")
        rows = [{"name_a": p.name_a, "name_b": p.name_b, "reason": p.reason,
                 "inspector_id_a": ids.at[p.name_a, "inspector_id"], "inspector_id_b": ids.at[p.name_b, "inspector_id"],
                 "reports_a": ids.at[p.name_a, "reports"], "reports_b": ids.at[p.name_b, "reports"], "decision": ""}
                for p in self.book.ambiguous()]
        return pd.DataFrame(rows, columns=["name_a", "name_b", "reason", "inspector_id_a", "inspector_id_b",
                                           "reports_a", "reports_b", "decision"])

    def write(self, out: str | Path, *, names_key: str | Path | None = None, pseudonymise: bool = True,
              key: str | None = None) -> dict[str, Path]:
        """Write the tables through :mod:`inspect_audit._core.export` (person ids pseudonymised unless
        ``pseudonymise=False``), ``parse/`` (parse report, provenance, team) and the private names key
        (default ``out/private/names_key.csv``, ``ambiguous_names.csv`` beside it, permissions 0600).

        Returns the paths by name (``inspections``, ..., ``parse_report``, ``names_key``, ``ambiguous``).
        """
        out = Path(out)
        paths = {name: export.write_csv(frame, out / f"{name}.csv", pseudonymise=pseudonymise, key=key, min_n=None)
                 for name, frame in self.tables.items()}
        for name, frame in (("parse_report", self.parse_report), ("provenance", self.provenance),
                            ("inspection_team", self.team.drop(columns="spelling"))):
            paths[name] = export.write_csv(frame, out / PARSE_DIR / f"{name}.csv", pseudonymise=pseudonymise,
                                           key=key, min_n=None)
        key_path = Path(names_key) if names_key else out / PRIVATE_DIR / NAMES_KEY
        private = {"names_key": (key_path, self.names_key(pseudonymise, key)),
                   "ambiguous": (key_path.parent / AMBIGUOUS, self.ambiguous(pseudonymise, key))}
        for name, (path, frame) in private.items():
            paths[name] = export.write_csv(frame, path, pseudonymise=False, min_n=None)
            os.chmod(path, 0o600)
            entry = export.recorded(path)
            entry["identities"] = ("PERSONAL DATA: inspectors' real names as the reports write them, with their ids "
                                   "in the tables. Keep on this machine; never share or publish")
            export.record(path, entry)
        return paths

    def summary(self, limit: int = 40) -> list[str]:
        """Lines for a person: counts by status, then each file that was not read in full."""
        counts = self.parse_report["status"].value_counts()
        lines = [f"read {len(self.parse_report)} file(s): " + ", ".join(
            f"{int(counts.get(s, 0))} {s.replace('_', ' ')}" for s in STATUSES if counts.get(s, 0))]
        gaps = self.parse_report[self.parse_report["issues"] != ""]
        for row in gaps.head(limit).itertuples():
            lines.append(f"  {row.status:<10} {row.file}: {row.issues}")
        if len(gaps) > limit:
            lines.append(f"  ... and {len(gaps) - limit} more in {PARSE_DIR}/parse_report.csv")
        return lines + [f"note: {n}" for n in self.notes]


def _tables(kept: list[Report], book: NameBook
            ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, pd.DataFrame, list[str]]:
    inspections, judgements, team, provenance = [], [], [], []
    for r in kept:
        lead = r.lead
        inspections.append({"inspection_id": r.inspection_id, "urn": r.urn, "start_date": r.start_date,
                            "framework": r.framework, "inspection_type": r.inspection_type,
                            "lead_inspector_id": book.person(lead.name) if lead else None,
                            "team_size": len(r.team) if r.team_listed and r.team else None,
                            "category_of_concern": r.category_of_concern or None})
        provenance.append({"table": "inspections", "inspection_id": r.inspection_id, "file": r.file, "page": r.page})
        for area, grade, page in r.judgements:
            judgements.append({"inspection_id": r.inspection_id, "area": area, "grade": grade})
            provenance.append({"table": "judgements", "inspection_id": r.inspection_id, "area": area,
                               "file": r.file, "page": page})
        for m in r.team:
            team.append({"inspection_id": r.inspection_id, "inspector_id": book.person(m.name), "spelling": m.name,
                         "lead": m.lead, "role_wording": m.wording, "role": m.role, "start_date": r.start_date,
                         "file": r.file, "page": m.page})
    team_frame = pd.DataFrame(team, columns=["inspection_id", "inspector_id", "spelling", "lead", "role_wording",
                                             "role", "start_date", "file", "page"])
    people, notes = [], []
    in_time = team_frame.sort_values(["start_date", "file"], kind="stable")
    for person, rows in in_time.groupby("inspector_id", sort=True):
        roles = rows["role"].dropna()
        if roles.nunique() > 1:
            notes.append("role")
        people.append({"inspector_id": person, "role": roles.iloc[-1] if len(roles) else None,
                       "first_year_active": int(rows["start_date"].iloc[0][:4])})
        provenance.append({"table": "inspectors", "inspector_id": person, "file": rows["file"].iloc[0],
                           "page": int(rows["page"].iloc[0])})
    if notes:
        notes = [f"{len(notes)} inspector(s) appear under more than one role over time (e.g. OI, then HMI): "
                 f"inspectors.csv gives the latest; {PARSE_DIR}/inspection_team.csv the role at each inspection"]
    inspectors = pd.DataFrame(people, columns=["inspector_id", "role", "first_year_active"])
    for column in schemas.columns("inspectors"):
        if column not in inspectors:
            inspectors[column] = None  # never inferred (gender above all): the user supplies what they hold
    tables = {
        "inspections": pd.DataFrame(inspections, columns=schemas.columns("inspections")).astype({"team_size": "Int64"}),
        "inspectors": inspectors[schemas.columns("inspectors")].astype({"first_year_active": "Int64"}),
        "judgements": pd.DataFrame(judgements, columns=schemas.columns("judgements")),
    }
    prov = pd.DataFrame(provenance, columns=["table", "inspection_id", "area", "inspector_id", "file", "page"]
                        ).astype({"page": "Int64"})
    return tables, team_frame, prov, notes


def adapt_ofsted_reports(paths: Iterable[str | Path], same_person: str | Path | pd.DataFrame | None = None
                         ) -> ReportTables:
    """Read Ofsted school inspection reports (PDF files, report-card HTML pages, folders of them).

    Parameters
    ----------
    paths : iterable of str or Path
        Files and folders (searched recursively for .pdf, .html and .htm).
    same_person : path or DataFrame, optional
        Decisions on ambiguous names (``name_a``, ``name_b``, ``decision`` same/different), e.g.
        ``ambiguous_names.csv`` from an earlier run with its ``decision`` column filled in.

    Returns
    -------
    ReportTables
        Tables with names as ids (pseudonymised by :meth:`ReportTables.write`) and the parse report.

    Raises
    ------
    ValueError
        If the ``same_person`` file cannot be used (one line naming it and the problem).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "card.html").write_text("<h1>Report card</h1><p>URN: 150001</p>"
    ...     "<p>Inspection dates: 13 and 14 January 2026</p><table><tr><td>Inclusion</td><td>Strong standard</td></tr>"
    ...     "<tr><td>Safeguarding</td><td>Met</td></tr></table>", encoding="utf-8")
    >>> _ = (folder / "notes.pdf").write_text("not a pdf", encoding="utf-8")
    >>> result = adapt_ofsted_reports([folder])
    >>> result.parse_report[["status", "inspection_id"]].to_dict("list")
    {'status': ['partial', 'failed'], 'inspection_id': ['RPT-150001-20260113', '']}
    >>> result.tables["judgements"]["grade"].tolist()
    [2, 1]
    """
    decisions = None
    if same_person is not None:
        decisions = same_person if isinstance(same_person, pd.DataFrame) else read_decisions(same_person)
    files, others = report_files(paths)
    reports = [parse_report(path) for path in files]
    read = [r for r in reports if r.status not in ("failed", "skipped")]
    _keep_latest(read)
    kept = [r for r in read if r.status not in ("superseded", "duplicate")]
    book = NameBook(m.name for r in kept for m in r.team)
    notes: list[str] = []
    if decisions is not None:
        unknown = 0
        for row in decisions.itertuples():
            try:
                book.decide(row.name_a, row.name_b, row.decision)
            except KeyError:
                unknown += 1
        notes.append(f"{len(decisions) - unknown} name decision(s) applied"
                     + (f"; {unknown} name a name not found in these reports (ignored)" if unknown else ""))
    tables, team, provenance, role_notes = _tables(kept, book)
    parse = pd.DataFrame([{"file": r.file, "status": r.status, "inspection_id": r.inspection_id, "urn": r.urn,
                           "start_date": r.start_date, "inspection_type": r.inspection_type,
                           "judgements": len(r.judgements), "team_size": len(r.team) if r.team_listed else None,
                           "issues": "; ".join(r.issues)} for r in reports + others],
                         columns=["file", "status", "inspection_id", "urn", "start_date", "inspection_type",
                                  "judgements", "team_size", "issues"]).astype({"team_size": "Int64"})
    return ReportTables(tables=tables, team=team, provenance=provenance, parse_report=parse, book=book,
                        notes=notes + role_notes)


__all__ = ["AREA_LABELS", "Member", "Report", "ReportError", "ReportTables", "SUFFIXES", "adapt_ofsted_reports",
           "html_text", "parse_date", "parse_pages", "parse_report", "pdf_pages", "read_pages", "report_files"]
