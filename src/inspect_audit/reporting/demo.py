"""``inspect-audit demo``: every analysis that exists so far, on bundled data.

Real England data (bundled with the package) and a simulated dataset with known
truth (inspector-level data: public data never names inspectors) both pass through
the validator into DuckDB workspaces; each analysis then adds a section to the
report folder (``report.md``, ``report.html``, plots and tables) and a few lines
to the console summary.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from inspect_audit import __version__
from inspect_audit.data import workspace
from inspect_audit._core.export import write_csv
from inspect_audit._core.markdown import markdown_table
from inspect_audit.data.validation import ValidationReport

Section = dict  # {"title": str, "markdown": str, "summary": list[str]}


@dataclass
class DemoContext:
    """What the sections share: output folder, seed and the loaded tables."""

    out_dir: Path
    seed: int
    quick: bool
    england: dict[str, pd.DataFrame] = field(default_factory=dict)
    simulated: object | None = None  # inspect_audit.data.simulate.SimulatedData
    severity_draws: pd.DataFrame | None = None  # posterior draws of inspector severity, once fitted
    severity_converged: bool | None = None  # whether that fit passed the convergence gates


def _progress(message: str) -> None:
    print(f"[demo] {message}", file=sys.stderr, flush=True)


def _ingest_frames(frames: dict[str, pd.DataFrame], db: Path) -> ValidationReport:
    """Write frames to CSV and ingest them, so demo data passes the same door as users' data."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for table, frame in frames.items():
            paths[table] = Path(tmp) / f"{table}.csv"
            frame.to_csv(paths[table], index=False, date_format="%Y-%m-%d")
        result = workspace.ingest(paths, db, rejects_dir=db.with_suffix(".rejects"))
    if not result.ok:
        raise RuntimeError(f"bundled data failed validation:\n{result.report.errors().head(20)}")
    return result.report


def section_data(ctx: DemoContext) -> Section:
    from inspect_audit.data.bundled import load_england
    from inspect_audit.data.simulate import SimulationConfig, simulate

    _progress("loading and validating the bundled England data")
    ctx.england = load_england()
    _ingest_frames(ctx.england, ctx.out_dir / "england.duckdb")
    _progress("simulating inspector-level data with known truth")
    config = SimulationConfig(n_schools=600, n_inspectors=40) if ctx.quick else SimulationConfig()
    ctx.simulated = simulate(config, seed=ctx.seed)
    ctx.simulated.write(ctx.out_dir / "simulated_data")
    _ingest_frames(ctx.simulated.tables(), ctx.out_dir / "simulated.duckdb")
    rows = lambda tables: ", ".join(f"{t} {len(df):,}" for t, df in tables.items())  # noqa: E731
    md = (
        "Two datasets were validated against `data_schemas/` and stored in DuckDB workspaces.\n\n"
        f"* **Real England data** (`england.duckdb`; Ofsted and DfE open data, OGL v3.0): {rows(ctx.england)}.\n"
        f"* **Simulated data** (`simulated.duckdb`, seed {ctx.seed}; *simulated inspectors, not real people*; "
        f"the true values are in `simulated_data/truth.json`): {rows(ctx.simulated.tables())}.\n"
    )
    summary = [f"England data: {len(ctx.england['schools']):,} schools, "
               f"{len(ctx.england['inspections']):,} inspections (validated)",
               f"Simulated data (seed {ctx.seed}): {len(ctx.simulated.inspections):,} inspections by "
               f"{len(ctx.simulated.inspectors):,} simulated inspectors (validated)"]
    return {"title": "Data", "markdown": md, "summary": summary}


def section_england_deprivation(ctx: DemoContext) -> Section:
    from inspect_audit._core.plots import plot_shares_by_group
    from inspect_audit._core.descriptives import boundary_shares, grade_shares
    from inspect_audit._core.grades import area_grades

    grades, scale = area_grades(ctx.england, "overall_effectiveness")
    grades = grades[grades["phase"].isin(["primary", "secondary"])]
    shares = grade_shares(grades, scale, by=["phase", "fsm_quintile"])
    write_csv(shares, ctx.out_dir / "england_grade_shares_by_fsm_quintile.csv", min_n=None)  # counts of schools
    outstanding = shares[shares["grade"] == scale.codes[0]]
    good = boundary_shares(grades, scale, "good_or_better", by=["phase", "fsm_quintile"])
    plot_shares_by_group(outstanding, x="fsm_quintile", facet="phase",
                           title="Share judged Outstanding by FSM quintile (90% intervals)",
                           xlabel="FSM quintile within phase (1 = least, 5 = most disadvantaged)",
                           path=ctx.out_dir / "england_outstanding_by_fsm.png")
    lines, table = [], []
    for row in outstanding.itertuples():
        gob = good[(good["phase"] == row.phase) & (good["fsm_quintile"] == row.fsm_quintile)].iloc[0]
        table.append({"Phase": row.phase, "FSM quintile": str(int(row.fsm_quintile)), "Inspections": f"{row.n:,}",
                      "Outstanding": f"{row.share:.1%} ({row.ci_low:.1%}-{row.ci_high:.1%})",
                      "Good or better": f"{gob.share:.1%} ({gob.ci_low:.1%}-{gob.ci_high:.1%})"})
    for phase in ["primary", "secondary"]:
        part = outstanding[outstanding["phase"] == phase].sort_values("fsm_quintile")
        q1, q5 = part.iloc[0], part.iloc[-1]
        lines.append(f"{phase}: Outstanding {q1.share:.1%} (n={q1.n:,}) in the least vs "
                     f"{q5.share:.1%} (n={q5.n:,}) in the most disadvantaged FSM quintile")
    md = ("Observed overall-effectiveness grades (latest graded inspection as at 31 August 2024) by the "
          "school's free-school-meals quintile, formed within phase. These are raw associations, not "
          "adjusted for anything; inspection dates span many years while FSM is from 2022/23.\n\n"
          "![Outstanding by FSM quintile](england_outstanding_by_fsm.png)\n\n" + markdown_table(pd.DataFrame(table))
          + "\n\nIntervals: 90% Wilson score intervals. Full table: `england_grade_shares_by_fsm_quintile.csv`.\n")
    return {"title": "Grades and deprivation in England (real data)", "markdown": md, "summary": lines}


def section_report_cards(ctx: DemoContext) -> Section:
    from inspect_audit.grade_patterns.report import demo_section

    _progress("report cards on the real data: areas, deprivation, previous grades, concentration")
    return demo_section(ctx.england, ctx.out_dir, seed=ctx.seed, simulated=ctx.simulated)


def section_agreement(ctx: DemoContext) -> Section:
    from inspect_audit.agreement.report import demo_section

    _progress("agreement on the simulated paired inspections")
    return demo_section(ctx.simulated.ratings, ctx.out_dir)


def section_scorecard(ctx: DemoContext) -> Section:
    from inspect_audit.scorecard.report import demo_section

    _progress("scorecard Monte Carlo over the real schools")
    n_rep, n_base = (200, 16) if ctx.quick else (1000, 128)
    return demo_section(ctx.england, ctx.out_dir, ctx.seed, n_rep=n_rep, n_base=n_base)


def section_context(ctx: DemoContext) -> Section:
    from inspect_audit.inspectors.report import context_section

    _progress("context-fairness model on the real England data (Bayesian, four fits: primary and secondary, total and direct)")
    with contextlib.redirect_stdout(sys.stderr):  # sampler progress beside the other progress lines
        section = context_section(ctx.england, ctx.out_dir, quick=ctx.quick, seed=ctx.seed, progress=True)
    section.pop("model", None)
    return section


def section_inspectors(ctx: DemoContext) -> Section:
    from inspect_audit.inspectors import severity_draws
    from inspect_audit.inspectors.report import demo_section

    _progress("inspector-effects model on the simulated data (Bayesian; 4 chains x (500 + 1000) iterations, repaired until the gates pass)"
              if not ctx.quick else "inspector-effects model on the simulated data (quick fit)")
    with contextlib.redirect_stdout(sys.stderr):  # the sampler's progress bar, not in the summary
        section = demo_section(ctx.simulated, ctx.out_dir, quick=ctx.quick, seed=ctx.seed, progress=True)
    model = section.pop("model")
    # the complaints section links complaints to severity with the posterior draws, not point estimates
    ctx.severity_draws = severity_draws(model)
    ctx.severity_converged = bool(model.diagnostics()["ok"])
    return section


def section_complaints(ctx: DemoContext) -> Section:
    from inspect_audit.complaints.report import demo_section

    _progress("complaints on the simulated data")
    return demo_section(ctx.simulated, ctx.out_dir, severity_draws=ctx.severity_draws, seed=ctx.seed,
                        severity_converged=ctx.severity_converged)


def section_surveys(ctx: DemoContext) -> Section:
    from inspect_audit.surveys.report import demo_section

    _progress("multi-perspective surveys (simulated) and Parent View (real)")
    return demo_section(ctx.simulated, ctx.england, ctx.out_dir, seed=ctx.seed)


SECTIONS: list[Callable[[DemoContext], Section]] = [
    section_data,
    section_england_deprivation,
    section_report_cards,
    section_context,
    section_agreement,
    section_inspectors,
    section_complaints,
    section_surveys,
    section_scorecard,
]


def _write_report(ctx: DemoContext, sections: list[Section]) -> Path:
    import markdown

    header = (f"# inspect_audit demo report\n\ninspect_audit {__version__}; seed {ctx.seed}; "
              f"generated {pd.Timestamp.now():%Y-%m-%d %H:%M}.\n\n"
              "Every estimate is shown with its interval and sample size. Inspector-level results "
              "use **simulated** inspectors (public data never names inspectors).\n")
    body = "\n".join(f"## {s['title']}\n\n{s['markdown']}\n" for s in sections)
    text = header + "\n" + body
    (ctx.out_dir / "report.md").write_text(text, encoding="utf-8")
    page = markdown.markdown(text, extensions=["tables"])
    (ctx.out_dir / "report.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>inspect_audit demo</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .5em}"
        "img{max-width:100%}</style></head><body>" + page + "</body></html>", encoding="utf-8")
    return ctx.out_dir / "report.html"


def run_demo(out_dir: Path, seed: int = 2024, quick: bool = False) -> list[Section]:
    """Run every demo section into ``out_dir`` (replaced if it exists); returns the sections."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    ctx = DemoContext(out_dir=out_dir, seed=seed, quick=quick)
    sections = []
    for make in SECTIONS:
        started = time.perf_counter()
        sections.append(make(ctx))
        _progress(f"{sections[-1]['title']}: done in {time.perf_counter() - started:.1f} s")
    _write_report(ctx, sections)
    return sections


def run(args: argparse.Namespace) -> int:
    out_dir = Path(args.out)
    sections = run_demo(out_dir, seed=args.seed, quick=args.quick)
    print(f"inspect_audit demo (seed {args.seed}) - report: {out_dir / 'report.html'}")
    for section in sections:
        print(f"\n{section['title']}")
        for line in section["summary"]:
            print(f"  {line}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run every analysis on the bundled data and write a report",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="demo_report", help="report folder (default: demo_report)")
    p.add_argument("--seed", type=int, default=2024, help="seed for simulation and resampling")
    p.add_argument("--quick", action="store_true", help="smaller simulated data (for tests)")
    p.set_defaults(func=run)
