"""The report adapter (``adapt ofsted-reports``) on reports rendered here in the published layouts.

No real report is bundled (they name people): every fixture is HTML written in Ofsted's wording and turned
into a PDF with WeasyPrint in ``tmp_path``. The round trip renders simulated inspections (with invented
names for the simulated inspectors) and reads them back.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
import zipfile

import numpy as np
import pandas as pd
import pytest

from inspect_audit.data.adapters import adapt_ofsted_reports
from inspect_audit.data.adapters.ofsted_reports import parse_pages
from inspect_audit.cli import main
from inspect_audit.data.simulate import SimulationConfig, simulate
from inspect_audit.data.validation import validate

weasyprint = pytest.importorskip("weasyprint")
logging.getLogger("weasyprint").setLevel(logging.ERROR)  # font-subsetting advice, once per PDF

# Published wording of each framework's grade table (area -> label); safeguarding is a sentence (EIF).
LABELS = {
    "section5_2012": {"overall_effectiveness": "Overall effectiveness",
                      "achievement_of_pupils": "Achievement of pupils", "quality_of_teaching": "Quality of teaching",
                      "behaviour_and_safety": "Behaviour and safety of pupils",
                      "leadership_and_management": "Leadership and management",
                      "early_years": "Early years provision", "sixth_form": "Sixth form provision"},
    "cif_2015": {"overall_effectiveness": "Overall effectiveness",
                 "leadership_and_management": "Effectiveness of leadership and management",
                 "quality_of_teaching_learning_and_assessment": "Quality of teaching, learning and assessment",
                 "personal_development_behaviour_and_welfare": "Personal development, behaviour and welfare",
                 "outcomes_for_pupils": "Outcomes for pupils", "early_years": "Early years provision",
                 "sixth_form": "16 to 19 study programmes"},
    "eif_2019": {"overall_effectiveness": "Overall effectiveness", "quality_of_education": "The quality of education",
                 "behaviour_and_attitudes": "Behaviour and attitudes", "personal_development": "Personal development",
                 "leadership_and_management": "Leadership and management", "early_years": "Early years provision",
                 "sixth_form": "Sixth-form provision"},
}
WORDS = {1: "Outstanding", 2: "Good", 3: "Requires improvement", 4: "Inadequate"}
CARD_WORDS = {1: "Exceptional", 2: "Strong standard", 3: "Expected standard", 4: "Needs attention",
              5: "Urgent improvement"}
STYLE = ("<style>@page{size:A4;margin:18mm} body{font-family:sans-serif;font-size:10pt} "
         "td{padding:1mm 3mm;vertical-align:top} .narrow td:first-child{width:19mm}</style>")
BOILERPLATE = ("<div style='page-break-before:always'><p>The Office for Standards in Education, Children's Services "
               "and Skills (Ofsted) regulates and inspects to achieve excellence in the care of children and young "
               "people. His Majesty's Chief Inspector reports to Parliament.</p><p>\u00a9 Crown copyright</p></div>")
# Invented names for the simulated inspectors: Welsh letters, particles, hyphens and apostrophes, none similar.
NAMES = ["Siân Ŵyn-Prŷs", "Dafydd ap Gruffydd", "Mary-Jane O'Connor", "Chidi Okonkwo", "Rhodri Llŷr Hâf",
         "Agnieszka Kowalczyk"]
LAYOUTS = ("table", "lines", "two_per_row", "narrow", "columns")


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B} {day.year}"


def date_range(start: str) -> str:
    """Two inspection days as reports write them: '5 and 6 July 2023', '30 September \u2013 1 October 2014'."""
    first = dt.date.fromisoformat(start)
    last = first + dt.timedelta(days=1)
    if first.month == last.month:
        return f"{first.day} and {last.day} {first:%B} {first.year}"
    if first.year == last.year:
        return f"{first.day} {first:%B} \u2013 {last.day} {last:%B} {last.year}"
    return f"{long_date(first)} \u2013 {long_date(last)}"


def role_words(role: str | None, start: str) -> str:
    if role == "HMI":
        return "His Majesty\u2019s Inspector" if start >= "2022-09-08" else "Her Majesty's Inspector"
    return "Ofsted Inspector" if role == "OI" else "Additional Inspector"


def team_html(team: list[tuple[str, str, bool]], layout: str) -> str:
    """The ``Inspection team`` section; ``team`` is (name, role wording, lead) in report order."""
    named = [(f"{n}, lead inspector" if lead else n, w) for n, w, lead in team]
    if layout in ("table", "narrow"):
        rows = "".join(f"<tr><td>{n}</td><td>{w}</td></tr>" for n, w in named)
        return f"<table class='{layout}'>{rows}</table>"
    if layout == "lines":  # dash after the lead, comma after the others, abbreviated roles
        short = {"His Majesty\u2019s Inspector": "HMI", "Her Majesty's Inspector": "HMI", "Ofsted Inspector": "OI"}
        return "".join(f"<p>{n} \u2013 {short.get(w, w)}</p>" if lead else f"<p>{n}, {short.get(w, w)}</p>"
                       for (n, w), (_, _, lead) in zip(named, team))
    if layout == "two_per_row":
        cells = [f"<td>{n}</td><td>{w}</td>" for n, w in named]
        return "<table>" + "".join(f"<tr>{''.join(cells[i:i + 2])}</tr>" for i in range(0, len(cells), 2)) + "</table>"
    if layout == "columns":  # names in one cell, roles in the other
        return (f"<table><tr><td>{'<br>'.join(n for n, _ in named)}</td>"
                f"<td>{'<br>'.join(w for _, w in named)}</td></tr></table>")
    raise ValueError(layout)


def report_html(inspection_id: str, urn: str, start: str, framework: str, grades: dict[str, int],
                team: list[tuple[str, str, bool]] | None, layout: str = "table", amended_on: str | None = None) -> str:
    """A legacy (2012-2025) inspection report in the published layout."""
    if framework == "section5_2012":
        rows = "".join(f"<tr><td>{LABELS[framework][a]}</td><td>This inspection:</td><td>{WORDS[g]}</td>"
                       f"<td>{g}</td></tr>"
                       + ("<tr><td></td><td>Previous inspection:</td><td>Satisfactory</td><td>3</td></tr>"
                          if a == "overall_effectiveness" else "")
                       for a, g in grades.items() if a != "safeguarding")
    else:
        rows = "".join(f"<tr><td>{LABELS[framework][a]}</td><td>{WORDS[g]}</td></tr>"
                       for a, g in grades.items() if a != "safeguarding")
        rows += ("<tr><td>Overall effectiveness at previous inspection</td><td>Requires improvement</td></tr>"
                 if framework == "cif_2015" else "<tr><td>Previous inspection grade</td><td>Inadequate</td></tr>")
    safeguarding = ""
    if "safeguarding" in grades:
        safeguarding = ("<h2>Safeguarding</h2><p>The arrangements for safeguarding are "
                        f"{'effective' if grades['safeguarding'] == 1 else 'not effective'}.</p>")
    title = "School report" + (" \u2013 amended" if amended_on else "")
    amended = f"<p>This report was amended on {long_date(dt.date.fromisoformat(amended_on))}.</p>" if amended_on else ""
    team_part = f"<h2>Inspection team</h2>{team_html(team, layout)}" if team else ""
    return (f"<html><head>{STYLE}</head><body><p>{title}</p><h1>Inspection of Hillside Primary School</h1>"
            f"<p>1 Hill Road, Anytown AB1 2CD</p>{amended}<p>Inspection dates {date_range(start)}</p>"
            f"<table>{rows}</table><h2>What is it like to attend this school?</h2>"
            "<p>Pupils enjoy coming to school. Good behaviour is expected and leaders act quickly.</p>"
            f"{safeguarding}<h2>School details</h2><table>"
            f"<tr><td>Unique reference number</td><td>{urn}</td></tr><tr><td>Local authority</td><td>Anyshire</td></tr>"
            f"<tr><td>Inspection number</td><td>{inspection_id}</td></tr>"
            "<tr><td>Headteacher</td><td>Peter Piper</td></tr>"
            "<tr><td>Date of previous inspection</td><td>3 March 2011</td></tr></table>"
            "<h2>Information about this inspection</h2><p>The inspection team met the headteacher and governors.</p>"
            f"{team_part}{BOILERPLATE}</body></html>")


def letter_html(urn: str, start: str, signer: str, wording: str) -> str:
    """A monitoring inspection letter (no grades), signed by the lead inspector."""
    return (f"<html><head>{STYLE}</head><body><p>12 July 2023</p><p>Mrs Ann Head<br>Headteacher<br>"
            "Hillside Primary School</p><p>Dear Mrs Head</p><h1>Monitoring inspection of Hillside Primary School</h1>"
            f"<p>Following my visit to your school on {date_range(start)}, I write on behalf of His Majesty's Chief "
            "Inspector to confirm the inspection findings. The school was judged to require special measures.</p>"
            f"<p>Unique reference number: {urn}</p><p>Leaders are taking effective action.</p>"
            f"<p>Yours sincerely</p><p>{signer}<br>{wording}</p>{BOILERPLATE}</body></html>")


def card_html(urn: str, start: str, grades: dict[str, int], team: list[tuple[str, str, bool]]) -> str:
    """A report-card page as saved from the browser (HTML)."""
    labels = {"inclusion": "Inclusion", "curriculum_and_teaching": "Curriculum and teaching",
              "achievement": "Achievement", "attendance_and_behaviour": "Attendance and behaviour",
              "personal_development_and_well_being": "Personal development and well-being",
              "leadership_and_governance": "Leadership and governance", "early_years": "Early years",
              "post_16": "Post-16"}
    rows = "".join(f"<tr><td>{labels[a]}</td><td>{CARD_WORDS[g]}</td></tr>" for a, g in grades.items()
                   if a != "safeguarding")
    people = "".join(f"<li>{'Lead inspector: ' if lead else ''}{n}, {w}</li>" for n, w, lead in team)
    return (f"<!DOCTYPE html><html><head><title>Report card</title><script>var x = 'Good';</script></head><body>"
            f"<nav>Home &gt; Find an inspection report</nav><h1>Valley Academy</h1><p>URN: {urn}</p>"
            f"<p>Inspection dates: {date_range(start)}</p>"
            f"<dl><dt>Safeguarding</dt><dd>{'Met' if grades['safeguarding'] == 1 else 'Not met'}</dd></dl>"
            f"<table><tr><th>Evaluation area</th><th>Grade</th></tr>{rows}</table>"
            f"<h2>Inspection team</h2><ul>{people}</ul></body></html>")


def pdf(html: str, path) -> None:
    weasyprint.HTML(string=html).write_pdf(path)


def read(folder, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def names_of(out) -> dict[str, str]:
    """Pseudonym -> person's name, from the private key the adapter wrote."""
    key = read(out, "private/names_key.csv")
    return dict(zip(key["inspector_id"], key["person"]))


# --------------------------------------------------------------------------- the round trip

@pytest.fixture(scope="module")
def simulated_reports(tmp_path_factory):
    """Simulated inspections (2013-2024: three frameworks) rendered one PDF each, in rotating team layouts."""
    data = simulate(SimulationConfig(n_schools=16, n_inspectors=6, start_date="2013-01-07", survey_n_schools=10,
                                     paired_n_schools=10, n_planted_severe=1, n_planted_lenient=1), seed=3)
    names = dict(zip(data.inspectors["inspector_id"], NAMES))
    roles = dict(zip(data.inspectors["inspector_id"], data.inspectors["role"]))
    rng = np.random.default_rng(7)
    folder = tmp_path_factory.mktemp("simulated_reports")
    teams = {}
    for i, row in enumerate(data.inspections.itertuples()):
        start = row.start_date.date().isoformat()
        others = sorted(set(names) - {row.lead_inspector_id})
        members = [row.lead_inspector_id, *rng.choice(others, row.team_size - 1, replace=False)]
        teams[row.inspection_id] = (members, start)
        grades = dict(data.judgements.loc[data.judgements["inspection_id"] == row.inspection_id, ["area", "grade"]]
                      .itertuples(index=False))
        team = [(names[m], role_words(roles[m], start), m == row.lead_inspector_id) for m in members]
        pdf(report_html(row.inspection_id, row.urn, start, row.framework, grades, team, LAYOUTS[i % len(LAYOUTS)]),
            folder / f"{row.inspection_id}.pdf")
    return data, names, teams, folder


def test_round_trip_recovers_the_simulated_tables(simulated_reports, tmp_path):
    data, names, teams, folder = simulated_reports
    out = tmp_path / "out"
    assert main(["adapt", "ofsted-reports", str(folder), "--out", str(out)]) == 0
    ids = {name: sim_id for sim_id, name in names.items()}
    to_sim = {pseudonym: ids[name] for pseudonym, name in names_of(out).items()}

    report = read(out, "parse/parse_report.csv")
    assert (report["status"] == "parsed").all() and (report["issues"] == "").all(), report.to_string()

    got = read(out, "inspections.csv").sort_values("inspection_id").reset_index(drop=True)
    want = data.inspections.sort_values("inspection_id").reset_index(drop=True)
    assert got["inspection_id"].tolist() == want["inspection_id"].tolist()
    assert got["urn"].tolist() == want["urn"].tolist()
    assert got["start_date"].tolist() == want["start_date"].dt.strftime("%Y-%m-%d").tolist()
    assert got["framework"].tolist() == want["framework"].tolist()
    assert got["inspection_type"].tolist() == want["inspection_type"].tolist()
    assert got["lead_inspector_id"].map(to_sim).tolist() == want["lead_inspector_id"].tolist()
    assert got["team_size"].astype(int).tolist() == want["team_size"].tolist()
    assert set(got["framework"]) == {"section5_2012", "cif_2015", "eif_2019"}

    judgements = read(out, "judgements.csv")
    assert sorted(map(tuple, judgements[["inspection_id", "area", "grade"]].to_numpy().tolist())) == sorted(
        (i, a, str(g)) for i, a, g in data.judgements[["inspection_id", "area", "grade"]].itertuples(index=False))

    inspectors = read(out, "inspectors.csv")
    first_seen: dict[str, int] = {}
    for members, start in teams.values():
        for m in members:
            first_seen[m] = min(first_seen.get(m, 9999), int(start[:4]))
    got_people = inspectors.assign(sim=inspectors["inspector_id"].map(to_sim)).set_index("sim").sort_index()
    assert got_people.index.tolist() == sorted(first_seen)
    sim_roles = data.inspectors.set_index("inspector_id")["role"]
    assert got_people["role"].tolist() == sim_roles.loc[got_people.index].tolist()
    assert got_people["first_year_active"].astype(int).tolist() == [first_seen[m] for m in got_people.index]
    # never inferred: gender (above all), serving leader, phase background are not in reports
    assert (inspectors[["gender", "serving_leader", "phase_background"]] == "").all().all()

    team = read(out, "parse/inspection_team.csv")
    assert len(team) == data.inspections["team_size"].sum()
    provenance = read(out, "parse/provenance.csv")
    assert provenance["table"].value_counts().to_dict() == {"judgements": len(data.judgements),
                                                           "inspections": len(data.inspections),
                                                           "inspectors": len(first_seen)}
    judged = provenance[provenance["table"] == "judgements"]
    assert all(f.endswith(f"/{i}.pdf") for f, i in zip(judged["file"], judged["inspection_id"]))
    assert judged["page"].astype(int).between(1, 3).all()
    assert validate({t: out / f"{t}.csv" for t in ("inspections", "inspectors", "judgements")}).ok


def test_written_tables_carry_pseudonyms_and_the_real_names_stay_in_the_private_key(simulated_reports, tmp_path):
    data, names, _, folder = simulated_reports
    out, key = tmp_path / "out", tmp_path / "mine" / "names.csv"
    assert main(["adapt", "ofsted-reports", str(folder), "--out", str(out), "--names-key", str(key)]) == 0
    for path in out.rglob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert not [n for n in NAMES if n in text], path  # no real name anywhere under --out
    assert read(out, "inspectors.csv")["inspector_id"].str.fullmatch(r"Inspector-[0-9A-F]{16}").all()
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert set(read(key.parent, "names.csv")["name"]) == set(names.values())
    privacy = (key.parent / "privacy.json").read_text(encoding="utf-8")
    assert "PERSONAL DATA" in privacy and "names.csv" in privacy
    assert "inspector_id" in (out / "privacy.json").read_text(encoding="utf-8")


def test_no_pseudonymise_keeps_names_as_ids(simulated_reports, tmp_path, capsys):
    _, names, _, folder = simulated_reports
    out = tmp_path / "out"
    assert main(["adapt", "ofsted-reports", str(folder), "--out", str(out), "--no-pseudonymise"]) == 0
    assert set(read(out, "inspectors.csv")["inspector_id"]) == set(names.values())
    assert "--no-pseudonymise" in capsys.readouterr().out


# --------------------------------------------------------------------------- layouts and awkward cases

@pytest.fixture(scope="module")
def fixture_folder(tmp_path_factory):
    """A folder of reports in the published layouts, with every awkward case the brief names."""
    folder = tmp_path_factory.mktemp("reports")
    eif = {"overall_effectiveness": 2, "quality_of_education": 2, "behaviour_and_attitudes": 1,
           "personal_development": 2, "leadership_and_management": 2, "early_years": 3, "safeguarding": 1}
    team = [("Gwenllïan Ŵyn-Prŷs", "His Majesty\u2019s Inspector", True), ("John Roe", "Ofsted Inspector", False),
            ("Jo Smith", "Ofsted Inspector", False)]
    pdf(report_html("10240001", "123456", "2023-07-05", "eif_2019", eif, team, "narrow"), folder / "a_narrow.pdf")
    two = [("Jane Doe", "Her Majesty's Inspector", True), ("Joanne Smith", "Ofsted Inspector", False),
           ("JOHN ROE", "Ofsted Inspector", False), ("Bryn Jones", "Ofsted Inspector", False)]
    pdf(report_html("10200002", "123457", "2021-11-09", "eif_2019", eif, two, "two_per_row"), folder / "b_two.pdf")
    # no team listed
    pdf(report_html("10200003", "123458", "2022-01-11", "eif_2019", eif, None), folder / "c_noteam.pdf")
    # an amended report and the original it replaces (different grade)
    cif = {"overall_effectiveness": 3, "leadership_and_management": 3, "outcomes_for_pupils": 3,
           "quality_of_teaching_learning_and_assessment": 3, "personal_development_behaviour_and_welfare": 2}
    older = [("Jane Doe", "Her Majesty's Inspector", True), ("Tomos Prŷs", "Additional Inspector", False)]
    pdf(report_html("10010004", "123459", "2016-03-01", "cif_2015", cif, older, "lines"), folder / "d_original.pdf")
    pdf(report_html("10010004", "123459", "2016-03-01", "cif_2015", {**cif, "outcomes_for_pupils": 2}, older, "lines",
                    amended_on="2016-04-20"), folder / "d_version2.pdf")
    # a monitoring letter: no grades
    pdf(letter_html("123460", "2023-05-10", "Jane Doe", "His Majesty\u2019s Inspector"), folder / "e_monitoring.pdf")
    # names and roles in separate columns
    pdf(report_html("10240006", "123461", "2024-02-06", "eif_2019", eif,
                    [("Ann Lee", "Ofsted Inspector", True), ("Bryn Jones", "Ofsted Inspector", False)], "columns"),
        folder / "f_columns.pdf")
    # a report card page saved as HTML
    card = {"inclusion": 2, "curriculum_and_teaching": 3, "achievement": 3, "attendance_and_behaviour": 2,
            "personal_development_and_well_being": 1, "leadership_and_governance": 3, "early_years": 4,
            "safeguarding": 1}
    (folder / "g_card.html").write_text(card_html("150001", "2026-01-13", card, [
        ("Siân Prŷs", "His Majesty's Inspector", True), ("Jo Smith", "Ofsted Inspector", False)]), encoding="utf-8")
    # what is not a report
    (folder / "h_notes.pdf").write_text("minutes of the governors' meeting", encoding="utf-8")
    (folder / "i_broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type /Catalog>> garbage \x00\xff" * 3)
    pdf("<html><body><div style='width:20mm;height:20mm;background:black'></div></body></html>",
        folder / "j_scan.pdf")
    (folder / "k_empty.pdf").write_bytes(b"")
    with zipfile.ZipFile(folder / "l_reports.pdf", "w") as archive:
        archive.writestr("x.txt", "x")
    (folder / "readme.txt").write_text("reports from the union's members", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def fixture_out(fixture_folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("fixture_out")
    code = main(["adapt", "ofsted-reports", str(fixture_folder), "--out", str(out)])
    return code, out


def _by_file(out) -> pd.DataFrame:
    report = read(out, "parse/parse_report.csv")
    return report.assign(name=report["file"].str.rsplit("/", n=1).str[-1]).set_index("name")


def test_every_file_is_in_the_parse_report_with_its_fate(fixture_out):
    code, out = fixture_out
    assert code == 0  # some reports were read; failures are listed, not fatal
    report = _by_file(out)
    assert report["status"].to_dict() == {
        "a_narrow.pdf": "parsed", "b_two.pdf": "parsed", "c_noteam.pdf": "partial", "d_version2.pdf": "parsed",
        "d_original.pdf": "superseded", "e_monitoring.pdf": "not_graded", "f_columns.pdf": "parsed",
        "g_card.html": "parsed", "h_notes.pdf": "failed", "i_broken.pdf": "failed", "j_scan.pdf": "failed",
        "k_empty.pdf": "failed", "l_reports.pdf": "failed", "readme.txt": "skipped"}
    assert report.at["c_noteam.pdf", "issues"] == "no inspection team listed"
    assert "d_version2.pdf" in report.at["d_original.pdf", "issues"]
    assert report.at["e_monitoring.pdf", "issues"] == ""  # a letter without grades is not an error
    assert "not a PDF" in report.at["h_notes.pdf", "issues"]
    assert "damaged PDF" in report.at["i_broken.pdf", "issues"]
    assert "no text" in report.at["j_scan.pdf", "issues"]
    assert report.at["k_empty.pdf", "issues"] == "empty file"
    assert "ZIP" in report.at["l_reports.pdf", "issues"]
    assert validate({t: out / f"{t}.csv" for t in ("inspections", "inspectors", "judgements")}).ok


def test_layouts_give_the_stated_facts(fixture_out):
    _, out = fixture_out
    who = names_of(out)
    insp = read(out, "inspections.csv").set_index("inspection_id")
    assert insp.loc["10240001", ["urn", "start_date", "framework", "inspection_type", "team_size"]].tolist() == [
        "123456", "2023-07-05", "eif_2019", "graded", "3"]
    lead = {i: who.get(p, "") for i, p in insp["lead_inspector_id"].items()}
    assert lead == {"10240001": "Gwenllïan Ŵyn-Prŷs", "10200002": "Jane Doe", "10200003": "",
                    "10010004": "Jane Doe", "RPT-123460-20230510": "Jane Doe", "10240006": "Ann Lee",
                    "RPT-150001-20260113": "Siân Prŷs"}
    assert insp.loc["10200002", "team_size"] == "4" and insp.loc["10200003", "team_size"] == ""
    assert insp.loc["RPT-123460-20230510", ["inspection_type", "framework", "team_size"]].tolist() == [
        "monitoring", "eif_2019", ""]
    assert insp.loc["RPT-150001-20260113", ["inspection_type", "framework"]].tolist() == [
        "report_card", "report_card_2025"]

    grades = read(out, "judgements.csv").set_index(["inspection_id", "area"])["grade"].astype(int)
    assert grades["10240001"].to_dict() == {"overall_effectiveness": 2, "quality_of_education": 2,
                                            "behaviour_and_attitudes": 1, "personal_development": 2,
                                            "leadership_and_management": 2, "early_years": 3, "safeguarding": 1}
    assert grades[("10010004", "outcomes_for_pupils")] == 2  # the amended grade, not the original's 3
    assert grades["RPT-150001-20260113"].to_dict() == {
        "inclusion": 2, "curriculum_and_teaching": 3, "achievement": 3, "attendance_and_behaviour": 2,
        "personal_development_and_well_being": 1, "leadership_and_governance": 3, "early_years": 4, "safeguarding": 1}
    assert "RPT-123460-20230510" not in grades.index.get_level_values(0)

    people = read(out, "inspectors.csv")
    people["name"] = people["inspector_id"].map(who)
    role = people.set_index("name")["role"].to_dict()
    assert role["Gwenllïan Ŵyn-Prŷs"] == "HMI" and role["Jane Doe"] == "HMI" and role["John Roe"] == "OI"
    assert role["Tomos Prŷs"] == ""  # "Additional Inspector": no HMI/OI code, kept as worded in the team table
    first = people.set_index("name")["first_year_active"].astype(int).to_dict()
    assert first["Jane Doe"] == 2016 and first["Bryn Jones"] == 2021
    assert "Peter Piper" not in who.values() and "Ann Head" not in who.values()  # headteachers are not inspectors
    team = read(out, "parse/inspection_team.csv")
    assert "Additional Inspector" in set(team["role_wording"])


def test_similar_names_are_listed_not_merged_and_a_decision_merges_them(fixture_folder, fixture_out, tmp_path):
    _, out = fixture_out
    pairs = read(out, "private/ambiguous_names.csv")
    listed = {frozenset((a, b)): r for a, b, r in pairs[["name_a", "name_b", "reason"]].itertuples(index=False)}
    assert listed == {frozenset(("Jo Smith", "Joanne Smith")): "one first name is a short form of the other",
                      frozenset(("JOHN ROE", "John Roe")): "they differ only in case or accents"}
    assert len(set(read(out, "inspectors.csv")["inspector_id"])) == 10  # kept apart until decided

    pairs["decision"] = np.where(pairs["name_a"].str.lower() == "john roe", "different", "same")
    pairs[["name_b", "name_a", "decision"]].rename(columns={"name_b": "name_a", "name_a": "name_b"}).to_csv(
        tmp_path / "decisions.csv", index=False)  # name_a is the spelling to keep: here Joanne's
    again = tmp_path / "again"
    assert main(["adapt", "ofsted-reports", str(fixture_folder), "--out", str(again),
                 "--same-person", str(tmp_path / "decisions.csv")]) == 0
    assert len(read(again, "private/ambiguous_names.csv")) == 0
    key = read(again, "private/names_key.csv").set_index("name")
    assert key.at["Joanne Smith", "inspector_id"] == key.at["Jo Smith", "inspector_id"]
    assert key.at["Jo Smith", "person"] == key.at["Joanne Smith", "person"] == "Joanne Smith"  # name_a's spelling
    assert key.at["JOHN ROE", "inspector_id"] != key.at["John Roe", "inspector_id"]
    assert len(set(read(again, "inspectors.csv")["inspector_id"])) == 9


def test_nothing_readable_exits_1_and_bad_files_never_raise(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.pdf").write_bytes(os.urandom(3000))
    (bad / "b.html").write_bytes(b"\xff\xfe<\x00h\x00")
    (bad / "c.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer<</Root 1 0 R>>\n%%EOF")
    code = main(["adapt", "ofsted-reports", str(bad), str(tmp_path / "missing.pdf"), "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.out + captured.err
    assert "no report could be read" in captured.err
    report = read(tmp_path / "o", "parse/parse_report.csv")
    assert (report["status"] == "failed").all() and len(report) == 4 and (report["issues"] != "").all()
    assert "no such file or folder" in set(report["issues"])


def test_unusable_options_are_one_line_errors(tmp_path, capsys):
    (tmp_path / "file").write_text("x", encoding="utf-8")
    assert main(["adapt", "ofsted-reports", str(tmp_path), "--out", str(tmp_path / "file")]) == 1
    (tmp_path / "same.csv").write_text("a,b\nx,y\n", encoding="utf-8")
    assert main(["adapt", "ofsted-reports", str(tmp_path), "--out", str(tmp_path / "o"),
                 "--same-person", str(tmp_path / "same.csv")]) == 1
    assert main(["adapt", "ofsted-mi", "a.csv", "b.csv", "--out", str(tmp_path / "o")]) == 1
    assert main(["adapt", "ofsted-reports", str(tmp_path / "same.csv"), "--out", str(tmp_path / "o"),
                 "--names-key", str(tmp_path)]) == 1  # a folder
    err = capsys.readouterr().err
    assert err.count("\n") == 4 and "Traceback" not in err
    assert "is a file" in err and "name_a" in err and "reads one file" in err and "cannot write" in err


# --------------------------------------------------------------------------- wording, on text alone

def _report(team: str, head: str = "Inspection dates 5 and 6 July 2023\nOverall effectiveness Good\n"
            "The arrangements for safeguarding are effective.\nURN: 123456\n") -> object:
    return parse_pages([head + "Inspection team\n" + team], "t.pdf")


@pytest.mark.parametrize("team, expected", [
    ("Jane Doe, Lead Inspector His Majesty's Inspector\nJohn Roe Ofsted Inspector",
     [("Jane Doe", True, "HMI"), ("John Roe", False, "OI")]),
    ("Jane Doe, lead inspector \u2013 HMI\nJohn Roe, OI", [("Jane Doe", True, "HMI"), ("John Roe", False, "OI")]),
    ("Jane Doe, Her Majesty\u2019s Inspector (lead inspector)\nJohn Roe, Ofsted Inspector",
     [("Jane Doe", True, "HMI"), ("John Roe", False, "OI")]),
    ("Lead inspector: Jane Doe, HMI\nTeam inspector: John Roe, OI",
     [("Jane Doe", True, "HMI"), ("John Roe", False, "OI")]),
    ("Mary-\nJane\nO\u2019Connor, lead\ninspector His Majesty's\nInspector", [("Mary-Jane O'Connor", True, "HMI")]),
    ("Jane Doe, lead inspector\nJohn Roe\nHer Majesty's Inspector\nOfsted Inspector",
     [("Jane Doe", True, "HMI"), ("John Roe", False, "OI")]),
    ("Jane Doe, Lead inspector Additional Inspector", [("Jane Doe", True, None)]),
])
def test_team_wording(team, expected):
    report = _report(team)
    assert [(m.name, m.lead, m.role) for m in report.team] == expected
    assert report.issues == []


def test_team_gaps_are_listed_without_naming_anyone():
    report = _report("Jane Doe His Majesty's Inspector\nJohn Roe Ofsted Inspector\nAnn Lee")
    assert report.status == "partial"
    assert report.issues == ["inspection team: 2 word(s) after the last stated role not read (a name without a role?)",
                             "no lead inspector marked"]
    assert not any(n in " ".join(report.issues) for n in ("Jane", "John", "Ann"))


def test_grade_wording_across_frameworks():
    old = parse_pages(["Inspection dates 12\u201313 March 2014\nURN 100001\nOverall effectiveness This inspection: "
                       "Good 2\nPrevious inspection: Satisfactory 3\nQuality of teaching This inspection: Requires "
                       "improvement 3\nInspection team\nJane Doe, Lead inspector Additional Inspector"])
    assert old.framework == "section5_2012" and old.start_date == "2014-03-12"
    assert [(a, g) for a, g, _ in old.judgements] == [("overall_effectiveness", 2), ("quality_of_teaching", 3)]
    narrative = parse_pages(["Inspection dates 1 February 2022\nURN 100002\nOverall effectiveness\nInadequate\n"
                             "Leaders have not made sure that pupils' personal development\nGood attendance is rare.\n"
                             "The arrangements for safeguarding are not effective.\nThis school requires special "
                             "measures.\nInspection team\nJane Doe, lead inspector HMI"])
    assert [(a, g) for a, g, _ in narrative.judgements] == [("overall_effectiveness", 4), ("safeguarding", 2)]
    assert narrative.category_of_concern == "special_measures"
    wrong_scale = parse_pages(["Inspection dates 1 February 2022\nURN 100003\nOverall effectiveness Good\n"
                               "Inclusion Strong standard\nThe arrangements for safeguarding are effective.\n"
                               "Inspection team\nJane Doe, lead inspector HMI"])
    assert wrong_scale.status == "partial" and "inclusion" in wrong_scale.issues[0]
    assert "inclusion" not in [a for a, _, _ in wrong_scale.judgements]
