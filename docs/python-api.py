"""Build docs/python-api.md: run every code cell below and write the page with the outputs it printed.

    INSPECT_AUDIT_KEY_FILE=$(mktemp -d)/pseudonym.key .venv/bin/python docs/python-api.py

Cells run in order in one namespace, in a temporary working folder, like a notebook. The Bayesian fits
use short settings (stated in the cells); the page records how long each cell took on the machine that
built it.
"""

from __future__ import annotations

import contextlib
import io
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

PAGE = Path(__file__).with_suffix(".md")

INTRO = """# The Python API: each question answered in Python

Everything the command line does is a library call first. `import inspect_audit as ia` gives the public API
(`ia.__all__`); every analysis returns a small pandas DataFrame with the estimate, its interval and `n`.
The cells below ran in order, like a notebook, and the outputs are the ones they printed
(built by [`python-api.py`](python-api.py), which regenerates this page). The Bayesian fits are **short
fits** with the settings shown, to keep the page quick to rebuild; use the defaults (or the CLI) for results
you report, and read `diagnostics()` before anything else.

| question | Python |
|---|---|
| load data | `ia.Dataset.bundled()`, `ia.Dataset.simulated(seed=1, n_schools=...)`, `ia.Dataset.from_folder(path)`, `.from_files(...)`, `.from_frames(...)`, `.from_workspace(path)`: validated tables with their provenance, accepted by every analysis; also `ia.load_england()`, `ia.simulate_data(config, seed)`, `ia.validate(files)` |
| how far do inspectors agree? | `ia.agreement_table(...)`, `ia.decision_consistency(...)`, `ia.g_study(...)` |
| how much of a grade is the inspector? | `ia.InspectorModel().fit(data)`; report cards: `ia.MultiAreaModel().fit(data)` |
| does school context shift grades? | `ia.ContextModel().fit(data)` |
| what do complaints show? | `ia.upheld_rates(...)`, `ia.time_to_closure(...)`, `ia.complaints_vs_severity(...)` |
| what do surveys show? | `ia.analyse_surveys(tables)`, `ia.scale_reliability(...)` |
| how certain is a scorecard's ranking? | `ia.load_spec(...)`, `ia.indicator_table(...)`, `ia.simulate_composites(...)` |
| report cards: where grades went, grades in the middle | `ia.transition_table(...)`, `ia.area_concentration(...)` |
| one contested inspection | `ia.build_evidence_pack(tables, model, inspection_id)` |
| writing tables for others | `ia.write_csv(table, path)` (pseudonyms, small-group suppression, formula guard) |

**Interval arguments.** Every function that gives an interval takes it as `ci_prob`, with one default,
90% (`inspect_audit._core.intervals.CI_PROB`), except `paired_study_interval` and `pairs_needed`, which
plan a paired study at 95% by convention.

Beware: in `agreement_table` `level` is the *measurement* level (`"ordinal"`, ...), not an interval; its
interval argument is `ci_prob`. `simulate_composites` gives 90% rank intervals with no argument to change
them. Every result says which interval it gives (`method` column or docstring).

**Inspectors in these examples are simulated, not real people.** The bundled England data contain no
inspector names. Tables that name people leave your machine only through `ia.write_csv` (or the CLI),
which pseudonymises and suppresses by default.
"""

CELLS: list[tuple[str, str]] = [
    ("## Data\n\nThe bundled England data (real, validated on load) and simulated data with known truth "
     "(schools, inspectors, paired inspections, complaints and surveys in the project's schema).", """
import inspect_audit as ia

print(ia.__all__)
england = ia.load_england()
print({name: len(table) for name, table in england.items()})
sim = ia.simulate_data(ia.SimulationConfig(n_schools=1000, n_inspectors=40), seed=2024)
print({name: len(table) for name, table in sim.tables().items()})
"""),
    ("Files pass the same door as every other input: `ia.validate` reads and checks them against "
     "`data_schemas/` and returns typed tables, or every problem with its file, row, column, value and rule.", """
sim.write("sim_data")
report = ia.validate(sorted(Path("sim_data").glob("*.csv")))
print(report.ok, sorted(report.tables))
bad = report.tables["schools"].head(3).assign(fsm_quintile=[1, 9, 2])
bad.to_csv("schools_bad.csv", index=False)
print(ia.validate({"schools": "schools_bad.csv"}).errors()[["row", "column", "value", "rule"]].to_string(index=False))
"""),
    ("## How far do inspectors agree?\n\nThe simulated paired study: 150 schools graded independently by two "
     "inspectors on the same day. Long data (one row per school x inspector) go straight in; "
     "`targets`, `raters` and `ratings` name the columns, as in pingouin.", """
paired = sim.ratings.query("area == 'overall_effectiveness' and rater_type == 'inspector'")
table = ia.agreement_table(paired, categories=[1, 2, 3, 4], targets="unit_id", raters="rater_id",
                           ratings="grade", n_boot=500, seed=1)
print(table.set_index("statistic").loc[["percent_agreement", "gwet_ac1", "krippendorff_alpha_ordinal",
                                        "icc2_1"], ["estimate", "ci_low", "ci_high", "n"]].round(2))
"""),
    ("Decision consistency: how often two inspectors give the same grade, and land on the same side of each "
     "high-stakes boundary.", """
from inspect_audit.data.schemas import scale

dc = ia.decision_consistency(paired, scale("legacy_4"), seed=1)
print(dc[["statistic", "estimate", "ci_low", "ci_high", "n"]].round(2).to_string(index=False))
"""),
    ("Generalizability theory: how many inspectors a grade would need to be reliable (phi, absolute "
     "decisions), from a units x raters matrix (here the two inspectors of each school as rater 1 and 2).", """
wide = paired.assign(slot=paired.groupby("unit_id").cumcount()).pivot(index="unit_id", columns="slot",
                                                                      values="grade")
g = ia.g_study(wide.to_numpy(float))
print(g.round(3).to_string(index=False))
print(ia.d_study(g, n_raters=[1, 2, 3, 5]).round(2).to_string(index=False))
"""),
    ("## How much of a grade is the inspector?\n\n`InspectorModel` is model M1 (hierarchical cumulative logit, "
     "crossed inspector, school and year effects; `models/inspector-effects.md`). Short fit: 4 chains x "
     "(500 tuning + 500 draws), the repair budget as default. Read the diagnostics first: flags are empty "
     "whenever a gate fails.", """
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = ia.InspectorModel().fit(sim, chains=4, tune=500, draws=500, seed=1, progress=False)
d = model.diagnostics()
print(f"gates passed: {d['ok']}; max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
      f"divergences {d['divergences']}; {d['fit']['runs']} run(s), {model.timing_['wall_seconds']:.0f} s")
print(model.variance_partition()[["statistic", "mean", "ci_low", "ci_high"]].round(3).to_string(index=False))
"""),
    ("One row per inspector: severity (positive = harsher, latent logits) with its 90% interval, the "
     "probability of being notably severe or lenient, and the flag. Compared with the simulation's truth:", """
effects = model.inspector_effects()
print(effects[["inspector_id", "n_inspections", "mean", "ci_low", "ci_high", "p_severe", "p_lenient",
               "flag"]].sort_values("mean", ascending=False).head(5).round(2).to_string(index=False))
print("planted severe:", sim.truth["planted"]["severe"], "lenient:", sim.truth["planted"]["lenient"])
"""),
    ("Report cards grade up to eight areas per inspection and no overall grade; `MultiAreaModel` uses every "
     "area together (lead-inspector and inspection effects shared across areas, area-specific cutpoints and "
     "context effects). On simulated report cards with known truth (inspector SD 0.4, achievement FSM effect "
     "-0.4 per quintile, the other areas -0.1); short fit: 4 chains x (500 + 500).", """
cards = ia.simulate_report_cards(n_inspections=400, n_inspectors=20, seed=1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    multi = ia.MultiAreaModel().fit(cards, chains=4, tune=500, draws=500, seed=1, progress=False)
print("gates passed:", multi.diagnostics()["ok"])
print(multi.variance_partition()[["statistic", "mean", "ci_low", "ci_high", "n_inspections"]].round(3)
      .to_string(index=False))
print(multi.area_effects().query("term == 'fsm_quintile'")[["area", "mean", "ci_low", "ci_high"]].round(2)
      .to_string(index=False))
"""),
    ("## Does school context shift grades?\n\n`ContextModel` needs no inspector identities, so it runs on the "
     "real England data: grades on FSM quintile by phase, without progress (the *total* association) and with "
     "it (the *direct* one). Short fit: 2 chains x (300 + 300) on a seeded subsample of 4,000 inspections per "
     "phase (the demo's quick settings). Such a short fit may fail the convergence gates (printed first); its "
     "numbers are then a plumbing check only, and `inspect-audit context` (4 chains x 1000 + 1000 on every "
     "inspection) is the run to report.", """
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    context = ia.ContextModel().fit(england, chains=2, tune=300, draws=300, max_rows=4000, seed=1,
                                    progress=False)
print("gates passed:", context.diagnostics()["ok"])
print(context.fsm_total_vs_direct().round(3).to_string(index=False))
"""),
    ("## What do complaints show?\n\nUpheld rates by group, raw (Wilson interval) and partially pooled "
     "(beta-binomial), on the simulated complaints.", """
rates = ia.upheld_rates(sim.complaints, sim.inspections, sim.judgements, sim.schools, by=["stage", "grade"])
print(rates.query("statistic == 'pooled_rate'")[["dimension", "group", "estimate", "ci_low", "ci_high",
                                                   "n"]].round(3).to_string(index=False))
"""),
    ("Time to closure (Kaplan-Meier, open complaints censored at the extraction date) and the link between "
     "complaints and the lead inspector's severity, carried over the posterior draws of the model above.", """
closure = ia.time_to_closure(sim.complaints, snapshot_date="2024-08-31")
print(closure.medians[["group", "estimate", "ci_low", "ci_high", "n"]].to_string(index=False))
from inspect_audit.inspectors import severity_draws

link = ia.complaints_vs_severity(sim.complaints, sim.inspections, severity_draws(model), sim.judgements)
print(link.iloc[:, :6].round(3).to_string(index=False))
"""),
    ("## What do surveys show?\n\nEvery survey analysis the tables allow, by name: on the simulated staff "
     "survey (respondent level) and on the real Parent View aggregates.", """
surveys = ia.analyse_surveys(sim.tables(), n_boot=200, seed=1)
print(sorted(surveys))
print(surveys["scale_reliability"].iloc[:, :6].round(2).to_string(index=False))
parents = ia.analyse_surveys(england, n_boot=200, seed=1)
print(parents["parent_view_by_grade"].iloc[:8, :6].round(1).to_string(index=False))
"""),
    ("## How certain is a scorecard's ranking?\n\nA bundled spec by name, the indicator table with sampling "
     "errors, and a Monte Carlo over weights, methods and sampling error (500 replicates here; the CLI's "
     "default is 2,000).", """
spec = ia.load_spec("primary_balanced")
indicators = ia.indicator_table(england, spec)
result = ia.simulate_composites(indicators, spec, n_rep=500, seed=1)
print(len(indicators), "schools scored")
print(result.summary[["urn", "median_rank", "rank_lo", "rank_hi"]].head().to_string(index=False))
"""),
    ("## Report cards: where grades went, and grades in the middle\n\nOn the real England data: where "
     "schools judged Good at their last graded inspection landed on each report-card area, and how concentrated "
     "each area's grades are in the middle category (Expected standard). Wilson and bootstrap 90% intervals.",
     """
moves = ia.transition_table(england, areas=["leadership_and_governance", "achievement"])
print(moves.query("phase == 'all' and previous_grade == 2")[["area", "grade", "k", "n", "share", "ci_low",
                                                             "ci_high"]].round(2).to_string(index=False))
middle = ia.area_concentration(england, ["report_card_2025"], n_boot=500)
print(middle.query("phase == 'all'")[["area", "n", "middle_share", "middle_low", "middle_high",
                                      "concentration"]].round(2).to_string(index=False))
"""),
    ("## One contested inspection: the evidence pack\n\nFrom the tables and the fitted `InspectorModel`: the "
     "grade awarded beside what a typical inspector would give, the lead inspector's severity, similar "
     "schools, complaints and surveys. Inspector ids are pseudonymised with this installation's key.", """
inspection = sim.inspections["inspection_id"].iloc[-1]
pack = ia.build_evidence_pack(sim.tables(), model, inspection)
for sentence in pack.sentences[:3]:
    print("-", sentence)
print(sorted(p.name for p in pack.write("pack", pdf=False).values()))
"""),
    ("## Writing tables for others\n\n`ia.write_csv` is the one writer: person ids become pseudonyms, rows "
     "under 10 are suppressed (rows naming a person left out), formula-like cells are neutralised, and "
     "`privacy.json` beside the file records what was done.", """
path = ia.write_csv(effects, "out/inspector_effects.csv")
print(pd.read_csv(path)[["inspector_id", "n_inspections", "mean"]].head(3).round(2).to_string(index=False))
print(len(effects), "inspectors modelled;", len(pd.read_csv(path)),
      "rows written (inspectors with fewer than 10 inspections left out)")
"""),
]


def run() -> None:
    namespace: dict = {"Path": Path, "pd": pd}
    parts = [INTRO]
    total = 0.0
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        for prose, code in CELLS:
            code = code.strip("\n")
            out = io.StringIO()
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(out), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exec(compile(code, "<cell>", "exec"), namespace)
            seconds = time.perf_counter() - t0
            total += seconds
            print(f"{seconds:6.1f} s  {prose.splitlines()[0][:70]}", file=sys.stderr, flush=True)
            parts += [prose, "", "```python", code, "```", "", f"Output ({seconds:.0f} s):", "", "```text",
                      out.getvalue().rstrip("\n"), "```", ""]
    import inspect_audit

    parts.append(f"Built with inspect_audit {inspect_audit.__version__} on {platform.system()} "
                 f"({os.cpu_count()} CPU cores, shared), Python {platform.python_version()}, "
                 f"{time.strftime('%Y-%m-%d')}; all cells together {total / 60:.0f} minutes.")
    PAGE.write_text("\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    run()
