"""``inspect-audit grade-patterns``: previous grades vs report cards, 'stuck' schools, and grade concentration.

Reads ``bundled``, a folder or a workspace as ``inspect-audit context`` does
(:func:`inspect_audit.cli.common.load_dataset`) and writes to OUT, every table through the package's one
writer (:mod:`inspect_audit._core.export`, recorded in ``privacy.json``; cells and groups under
:data:`~inspect_audit._core.privacy.MIN_N` suppressed, inspectors under it left out):

* ``transitions.csv``: per report-card area x phase (``all`` and each phase) x previous overall grade
  (legacy) x report-card grade: ``k`` of ``n`` schools, share with a 90% Wilson interval;
  ``transition_summary.csv``: the share below each area's boundary by previous grade; ``transitions.png``;
* ``stuck_rates.csv`` and ``stuck.png`` where schools have two or more graded (legacy) inspections:
  ``stuck`` (last two graded inspections both below good) and ``stayed_below_good``, by phase, FSM quintile
  and region; where they have not (the bundled data), the command says so and writes no such table;
* ``area_concentration.csv`` (middle share and concentration index per framework x area x phase),
  ``region_concentration.csv`` and, where the inspections carry lead inspector ids,
  ``inspector_concentration.csv`` (each against chance: permutation within phase); ``middle_share.png``,
  ``inspector_concentration.png``;
* with ``--fit FIT`` (a folder written by ``inspect-audit inspectors --consistency``):
  ``consistency_vs_middle.csv``, one row per inspector with 10+ inspections in both (the middle share above
  chance in the fit's area, and the model's consistency), ``consistency_vs_middle.png``, and one printed sentence
  with the rank correlation, its bootstrap interval and n (:mod:`inspect_audit.grade_patterns.consistency`);
* ``grade_patterns.json``: definitions, counts, settings and what the data cannot say.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from inspect_audit._core import privacy
from inspect_audit.data import schemas

from inspect_audit._core.intervals import CI_PROB
from inspect_audit.cli.common import add_data_options, describe, load_dataset

TABLES = ("schools", "inspections", "judgements")
CANNOT = [
    "Public data name no inspectors: per-inspector concentration needs a user's own data with lead inspector ids.",
    "A report card has no overall grade: previous overall grades and report-card areas are on different scales, "
    "shown side by side and never converted (no 'same grade', 'improved' or 'declined').",
    "The previous grade is the latest graded inspection on record before the report card; in the bundled data it "
    "may be many years earlier, and inspections between September 2024 and the card are not in the extracts.",
    "A group more concentrated than chance differs from the area's grades permuted within phase; schools that "
    "differ in ways no column measures (region, type of school) can make a group look concentrated.",
    "FSM quintile and region are the school's as in the schools table (bundled: 2022/23), not at each inspection.",
]
#: Added when ``--fit`` links the middle share to the inspector model's consistency.
CANNOT_FIT = ("Many middle grades with a high model consistency look the same for an inspector who plays it safe "
              "and one who grades mostly typical schools precisely; with one inspection per school the model's view "
              "of a school rests largely on the grade itself.")


def _write(table: pd.DataFrame, path: Path, pseudonymise: bool = True) -> Path:
    """Through :func:`inspect_audit._core.export.write_csv`: suppressed rows (n blanked) are counted again by the
    writer, and those naming an inspector are left out."""
    from inspect_audit._core import export

    return export.write_csv(table, path, min_n=privacy.MIN_N, n_col="n", pseudonymise=pseudonymise,
                            float_format="%.6g")


def _consistency_fit(folder: str):
    """The fit named by ``--fit``, checked before any work: a single-area fit with the consistency option."""
    from inspect_audit.data.files import InputError
    from inspect_audit.grade_patterns.consistency import CONSISTENCY_COLUMNS
    from inspect_audit.reporting.evidence_pack import open_fit

    view = open_fit(folder)
    if view.kind != "single_area" or view.effects is None or not set(CONSISTENCY_COLUMNS) <= set(view.effects):
        raise InputError(f"--fit {folder}: this fit has no inspector consistency; fit one area with "
                         "`inspect-audit inspectors --consistency --out FOLDER` and give that folder")
    return view


def _link_consistency(view, groups: pd.DataFrame | None, out: Path, pseudonymise: bool, args) -> dict:
    """``consistency_vs_middle.csv`` and ``.png`` and the printed sentence; returns the record for the json."""
    from inspect_audit.grade_patterns import consistency as cons
    from inspect_audit.grade_patterns import report
    from inspect_audit.grade_patterns.concentration import middle_code

    record = {"fit": str(args.fit), "area": view.area, "fit_converged": view.ok}
    if groups is None or groups.empty or view.area not in set(groups["area"]):
        why = ("the data carry no lead inspector ids" if groups is None or groups.empty else
               f"no lead inspector concentration for {view.area} (an area with a middle category is needed)")
        print(f"Middle share vs model consistency: not computed, {why}.")
        return {**record, "available": False, "why": why}
    table = cons.consistency_vs_middle(groups, view.effects, area=view.area)
    result = cons.consistency_middle_correlation(table, n_boot=args.bootstrap, seed=args.seed)
    _write(table, out / "consistency_vs_middle.csv", pseudonymise=pseudonymise)
    scale = schemas.scale(groups.loc[groups["area"] == view.area, "scale"].iloc[0])
    middle = scale.label(middle_code(scale))
    report.plot_consistency_vs_middle(table, result, view.area, middle, out / "consistency_vs_middle.png")
    print(cons.correlation_sentence(result, view.area, middle)
          + ("" if view.ok else " The fit did not pass its convergence gates: read its consistency with care.")
          + " (consistency_vs_middle.csv, .png)")
    return {**record, **result.iloc[0].to_dict(), **table.attrs, "ci_prob": result.attrs["ci_prob"],
            "middle_label": middle, "expected_sign": "positive: under the model a more consistent inspector "
            "concentrates grades where schools' latent quality sits, mostly the middle band"}


def run(args: argparse.Namespace) -> int:
    from inspect_audit._core.jsonsafe import jsonable
    from inspect_audit.grade_patterns import concentration as conc
    from inspect_audit.grade_patterns import history as hist
    from inspect_audit.grade_patterns import report
    from inspect_audit.grade_patterns import transitions as trans

    fit = _consistency_fit(args.fit) if args.fit else None  # a wrong folder fails before any work
    ds = load_dataset(args, TABLES, require=TABLES, purpose="grade patterns")
    tables = ds.select(*TABLES)
    print(describe(ds))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pseudonymise = not args.no_pseudonymise
    frameworks = [f for f in args.frameworks.split(",") if f] if args.frameworks else None
    present = sorted(set(tables["inspections"]["framework"].dropna().astype(str)),
                     key=list(schemas.scales()["frameworks"]).index)
    info: dict = {"data": ds.source, "data_source": ds.provenance(), "frameworks_in_data": present, "min_n": privacy.MIN_N,
                  "level": CI_PROB, "ci_prob": CI_PROB, "cannot": CANNOT}

    # ---------------------------------------------------------------- 1. transitions
    fw = args.framework
    if fw in present:
        table = trans.suppressed(trans.transition_table(tables, fw))
        summary = trans.suppressed(trans.transition_summary(tables, fw))
        _write(table, out / "transitions.csv")
        _write(summary, out / "transition_summary.csv")
        report.plot_transitions(summary, fw, out / "transitions.png")
        gap = trans.years_between_summary(tables, fw)
        info["transitions"] = {"framework": fw, "previous": f"overall effectiveness on {trans.PREVIOUS_SCALE}, the "
                               "school's latest graded inspection before the report card", **gap}
        print(f"Report cards ({fw}) by the school's previous overall grade: {gap['with_previous_grade']:,} of "
              f"{gap['report_cards']:,} cards have one (median {gap.get('years_between_median', float('nan')):.1f} "
              "years earlier). Share below each area's boundary (90% Wilson intervals, n = schools):")
        for line in report.transition_lines(summary, fw):
            print("  " + line)
    else:
        info["transitions"] = {"framework": fw, "available": False,
                               "why": f"no {fw} inspections in the data (frameworks present: {', '.join(present)})"}
        print(f"Transitions: no {fw} inspections in the data, so no previous grade can be mapped onto report-card "
              "areas.")

    # ---------------------------------------------------------------- 2. history ('stuck')
    counts = hist.history_counts(hist.graded_history(tables))
    info["history"] = {**counts, "run": args.stuck_run,
                       "definitions": {k: v.format(run=args.stuck_run, prev="inspection" if args.stuck_run == 2
                                                   else f"{args.stuck_run - 1} inspections")
                                       for k, v in hist.STATISTICS.items()}}
    enough = sum(v for k, v in counts["schools_by_number_of_graded_inspections"].items() if k >= args.stuck_run)
    if enough:
        rates = hist.stuck_rates(hist.stuck_schools(tables, run=args.stuck_run))
        _write(rates, out / "stuck_rates.csv")
        shown = hist.suppressed(rates)
        report.plot_stuck(shown, out / "stuck.png")
        info["history"]["missing"] = rates.attrs["missing"]
        r = shown.set_index(["statistic", "dimension", "group"])
        print(f"'Stuck' schools (last {args.stuck_run} graded inspections all below good; legacy overall grade): "
              f"{enough:,} schools with {args.stuck_run} or more graded inspections.")
        for stat in hist.STATISTICS:
            parts = [f"all {report._cell_r(r.loc[(stat, 'all', 'all')])}"]
            for q in ("1", "5"):
                if (stat, "fsm_quintile", q) in r.index:
                    parts.append(f"FSM quintile {q} {report._cell_r(r.loc[(stat, 'fsm_quintile', q)])}")
            print(f"  {stat.replace('_', ' ')}: " + "; ".join(parts))
        print("  by region and phase: stuck_rates.csv, stuck.png")
    else:
        why = (f"The data hold {counts['graded_inspections']:,} graded inspections with a legacy overall grade for "
               f"{counts['schools']:,} schools, " + ("one per school" if counts["graded_inspections"] == counts["schools"]
                                                   else f"none with {args.stuck_run} or more")
               + f": 'stuck' schools (last {args.stuck_run} graded inspections all below good) cannot be identified. "
               "Run on a folder or workspace with repeat inspections per school (e.g. Ofsted's full inspection "
               "history, or the simulator's data) to count them.")
        info["history"]["available"] = False
        info["history"]["why"] = why
        print(why)

    # ---------------------------------------------------------------- 3. concentration
    options = {"n_perm": args.permutations, "n_boot": args.bootstrap, "seed": args.seed}
    area = conc.suppressed(conc.area_concentration(tables, frameworks, seed=args.seed, n_boot=args.bootstrap),
                           conc.AREA_VALUES, by=["framework", "area", "phase"])
    _write(area, out / "area_concentration.csv")
    shown_fw = fw if fw in present and (frameworks is None or fw in frameworks) else \
        next((f for f in reversed(present) if (frameworks is None or f in frameworks)
              and f in set(area["framework"])), None)
    if shown_fw:
        report.plot_middle(area, shown_fw, out / "middle_share.png")
    info["concentration"] = {"measure": "1 - H / ln K (normalised Shannon entropy of the grade shares)",
                             "middle": {s: schemas.scale(s).label(c) for s, c in conc.MIDDLE.items()},
                             "reference": "the area's grades permuted among groups within phase (and framework "
                                          "where several share the scale)", **options, "fdr": conc.FDR}
    print(f"Middle category ({shown_fw}), all phases, 90% intervals (every framework: area_concentration.csv):")
    for r in area[(area["phase"] == "all") & ~area["suppressed"] & (area["framework"] == shown_fw)].itertuples():
        print(f"  {r.framework} {r.area}: {report.pct(r.middle_share, r.middle_low, r.middle_high, r.n)} "
              f"{r.middle_label}; concentration {r.concentration:.2f} ({r.concentration_low:.2f}-{r.concentration_high:.2f})")
    lead_groups = None  # unsuppressed, for --fit
    for column, name, file in (("region", "regions", "region_concentration.csv"),
                               ("lead_inspector_id", "lead inspectors", "inspector_concentration.csv")):
        groups = conc.groups_by_area(tables, column, frameworks, **options)
        if column == "lead_inspector_id":
            lead_groups = groups
        if groups.empty:
            info["concentration"][name] = "no ids in the data" if column == "lead_inspector_id" else "no regions"
            print(f"  {name}: none in the data" + (" (public data name no inspectors)" if column != "region" else ""))
            continue
        groups = conc.suppressed(groups, conc.GROUP_VALUES, by=["scale", "area"], group=column)
        _write(groups, out / file, pseudonymise=pseudonymise)
        shown = groups[~groups["suppressed"]]
        flagged = shown[shown["flag"].fillna(False).astype(bool)]
        info["concentration"][name] = {"groups_shown": int(len(shown)), "groups_suppressed": int(groups["suppressed"].sum()),
                                       "flagged": int(len(flagged)),
                                       "flagged_middle": int(flagged["pattern"].str.contains("middle").sum())}
        print(f"  {name}: {len(flagged)} of {len(shown)} {name[:-1]} x area cells more concentrated than chance "
              f"(q <= {conc.FDR}), {info['concentration'][name]['flagged_middle']} of them in the middle category; "
              f"{int(groups['suppressed'].sum())} under {privacy.MIN_N} inspections not shown ({file}; "
              f"Benjamini-Hochberg within each area, {args.permutations} permutations)")
        if column == "lead_inspector_id":  # the figure names no one: points only
            report.plot_groups(shown, out / "inspector_concentration.png")
    if fit is not None:
        info["consistency_vs_middle"] = _link_consistency(fit, lead_groups, out, pseudonymise, args)
    has_ids = isinstance(info["concentration"].get("lead inspectors"), dict)
    info["cannot"] = [c for c in CANNOT if not (has_ids and c.startswith("Public data name no inspectors"))]
    if fit is not None:
        info["cannot"].append(CANNOT_FIT)
    (out / "grade_patterns.json").write_text(json.dumps(jsonable(info), indent=1) + "\n", encoding="utf-8")
    print("What these data cannot say:")
    for line in info["cannot"]:
        print(f"  - {line}")
    print(f"results written to {out}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "grade-patterns", help="previous grades vs report cards, 'stuck' schools, grades concentrated in the middle",
        description="Where each previous overall grade went on the report-card areas (cross-tabulation with 90% "
                    "Wilson intervals); schools whose last two graded inspections were both below good, by phase, "
                    "FSM quintile and region (needs repeat inspections; the bundled data have one per school); and "
                    "how concentrated grades are in the middle category (Expected standard / Good) per area, region "
                    "and lead inspector, against chance (permutation). Tables through the package's writer (groups "
                    "under 10 suppressed, inspectors under 10 left out), figures and grade_patterns.json in OUT.")
    add_data_options(p, "schools, inspections, judgements")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--framework", default="report_card_2025", choices=list(schemas.scales()["frameworks"]),
                   help="the report-card framework whose areas previous grades are mapped onto (default "
                        "report_card_2025)")
    p.add_argument("--frameworks", default=None,
                   help="comma-separated frameworks for the concentration tables (default every framework in the data)")
    p.add_argument("--stuck-run", type=int, default=2,
                   help="'stuck' = the last N graded inspections all below good (default 2)")
    p.add_argument("--permutations", type=int, default=2000,
                   help="permutations of the chance reference (default 2000; a q-value near the 0.10 threshold can "
                        "move across it between seeds: use 10000 for a borderline call)")
    p.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples of the concentration index")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--fit", metavar="FIT", default=None,
                   help="a folder written by `inspect-audit inspectors --consistency` on the same data: compare each "
                        "lead inspector's middle share (above chance) with the model's consistency in the fit's area")
    from inspect_audit._core.export import add_pseudonymise_option

    add_pseudonymise_option(p)
    p.set_defaults(func=run)
