"""The end-to-end example of docs/report-adapter.md, "From reports to the research questions", rebuilt.

Simulated inspections with planted answers (``simulate_research(PLANTED, seed=1)``: 1,500 inspections, 40 lead
inspectors, 2016-2024) are rendered as report PDFs in the published layout (the test suite's templates, with
invented names), read back by ``inspect-audit adapt ofsted-reports``, completed with what a union would add
from its own records (the schools' context and ``employs_serving_inspector``; each inspector's
``phase_background`` and ``first_year_active``, matched through the private names key), and fitted by
``inspect-audit inspectors --research all``. Prints each command's output and the estimates beside the truth.

Usage: ``.venv/bin/python scripts/reports_to_research_example.py WORKDIR`` (needs WeasyPrint; about 15 minutes
on 2 shared cores, most of it rendering PDFs).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from test_ofsted_reports import pdf, report_html, role_words  # noqa: E402  (the suite's report templates)

from inspect_audit._core.export import write_csv  # noqa: E402
from inspect_audit.data.simulate.research import PLANTED, simulate_research  # noqa: E402

FIRST = ["Amara", "Bronwen", "Callum", "Deepa", "Eilidh", "Fergus", "Gwen", "Hamish", "Ifeoma", "Jasper", "Kerys",
         "Lorcan", "Maelys", "Niamh", "Osian", "Priya", "Quentin", "Rhiannon", "Soren", "Tamsin"]
LAST = ["Abernethy", "Blackwood", "Carrow", "Dunmore", "Ellery", "Fairbairn", "Gethin", "Hollins", "Iwu", "Jessop",
        "Kinsella", "Lowther", "Mabey", "Northcott", "Okafor", "Pennock", "Quarrie", "Rudd", "Strachan", "Tolley"]
CLI = [str(REPO / ".venv" / "bin" / "inspect-audit")]


def run(args: list[str]) -> None:
    print("$ inspect-audit " + " ".join(args), flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(CLI + args, capture_output=True, text=True)
    print(done.stdout + "".join(line + "\n" for line in done.stderr.splitlines()
                                if not line.startswith("inspector model:")), end="")
    print(f"(exit {done.returncode}, {time.perf_counter() - t0:.0f} s)\n", flush=True)


def main(work: Path) -> None:
    data = simulate_research(PLANTED, seed=1)
    ins, judg, people = data["inspections"], data["judgements"], data["inspectors"]
    names = {pid: f"{FIRST[k % 20]} {LAST[(k * 7 + k // 20) % 20]}" for k, pid in enumerate(people["inspector_id"])}
    assert len(set(names.values())) == len(names)
    roles = dict(zip(people["inspector_id"], people["role"]))
    rng = np.random.default_rng(7)
    reports = work / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    grade = dict(zip(judg["inspection_id"], judg["grade"]))
    for row in ins.itertuples():
        others = sorted(set(names) - {row.lead_inspector_id})
        members = [row.lead_inspector_id, *rng.choice(others, row.team_size - 1, replace=False)]
        team = [(names[m], role_words(roles[m], row.start_date), m == row.lead_inspector_id) for m in members]
        path = reports / f"{row.inspection_id}.pdf"
        if not path.exists():
            grades = {"overall_effectiveness": int(grade[row.inspection_id])}
            if row.framework == "eif_2019":  # EIF reports state safeguarding; effective unless Inadequate
                grades["safeguarding"] = 2 if grades["overall_effectiveness"] == 4 else 1
            pdf(report_html(row.inspection_id, row.urn, row.start_date, row.framework, grades, team), path)
    print(f"rendered {len(ins)} report PDFs in {time.perf_counter() - t0:.0f} s\n")
    tables = work / "tables"
    run(["adapt", "ofsted-reports", str(reports), "--out", str(tables)])
    # what the user adds from their own records: the schools (with the conflict flag) and, through the private
    # names key, each inspector's phase background and first year as an inspector
    write_csv(data["schools"], tables / "schools.csv", min_n=None)
    key = pd.read_csv(tables / "private" / "names_key.csv", dtype=str)
    by_name = people.assign(person=people["inspector_id"].map(names)).set_index("person")
    adapted = pd.read_csv(tables / "inspectors.csv", dtype=str)
    person = dict(zip(key["inspector_id"], key["person"]))
    adapted["phase_background"] = adapted["inspector_id"].map(person).map(by_name["phase_background"])
    adapted["first_year_active"] = adapted["inspector_id"].map(person).map(by_name["first_year_active"])
    write_csv(adapted, tables / "inspectors.csv", pseudonymise=False, min_n=None)
    fit = work / "fit"
    run(["inspectors", "--data", str(tables), "--out", str(fit), "--research", "all", "--seed", "1"])
    table = pd.read_csv(fit / "research_effects.csv")
    logit = table[table["scale"] == "logit"][["term", "mean", "ci_low", "ci_high", "n", "n_inspectors"]]
    truth = {"previous_grade[inadequate]": PLANTED.after_lowest, "previous_grade[outstanding]": PLANTED.after_highest,
             "phase_mismatch": PLANTED.primary_lead_at_secondary, "experience_years": PLANTED.per_year_experience,
             "team_size": PLANTED.per_team_member, "employs_serving_inspector": PLANTED.conflict}
    logit["planted"] = logit["term"].map(truth)
    print(logit.round(3).to_string(index=False))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
