"""``inspect-audit context``: does a grade fall with deprivation, before and after progress?

Two forms:

* without ``--framework`` (the legacy form): one judgement area (``--area``, default overall
  effectiveness) by phase, as :class:`~inspect_audit.inspectors.context.ContextModel` writes it;
* with ``--framework F`` (e.g. ``report_card_2025``): only the inspections of framework ``F``, **area by
  area**. OUT receives

  - ``grade_shares.csv``: observed shares, one row per area x phase x FSM quintile x grade
    (``area, phase, fsm_quintile, grade, label, share, ci_low, ci_high, n, suppressed``; grade = the
    framework's code, 1 = best; fsm_quintile 1 = least deprived, as in the schools table; 90% Wilson
    intervals; cells of fewer than :data:`~inspect_audit._core.privacy.MIN_N` inspections are suppressed:
    ``suppressed`` true, share, interval and n left empty);
  - ``context_effects.csv``: the context model's effects with a first column ``area``: per area and
    phase the FSM-quintile effect on the logit scale (estimand ``total`` and ``direct``, per quintile
    more deprived) and on the probability scale (outcome ``expected_or_better`` on report cards:
    P(expected standard or better) at quintile 5 minus quintile 1, and the best grade);
  - ``adjusted_grade_shares.csv``, ``fsm_total_vs_direct.csv`` (with ``area``), ``diagnostics.json``
    (gates over every fit, per area under ``areas``, areas or phases left out under ``skipped``, and
    what the data can and cannot say under ``caveats``), ``legacy_comparison.csv`` (the same schools'
    previous graded inspection, where they have one), ``privacy.json`` (the package's one writer's record
    for these tables) and ``areas/<area>/`` (each area's own fit as :meth:`ContextModel.save` writes it,
    posteriors included unless ``--no-posterior``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

from inspect_audit._core import privacy
from inspect_audit._core.jsonsafe import jsonable
from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset
from inspect_audit.context import CAVEATS, fit_by_area, framework_area_list, framework_tables, grade_shares, \
    legacy_comparison, require_fsm
from inspect_audit.data import schemas

EXIT_NOT_CONVERGED = 3
CONTEXT_TABLES = ("schools", "inspections", "judgements")


def _best_label(scale_name: str) -> tuple[str, str]:
    """(outcome name, words) of the scale's '..._or_better' boundary, e.g. ('expected_or_better',
    'expected standard or better')."""
    sc = schemas.scale(scale_name)
    key = next((k for k in sc.boundaries if k.endswith("_or_better")), None)
    if key is None:
        return "", ""
    return key, f"{sc.label(max(sc.boundaries[key])).lower()} or better"


def print_gradients(effects: pd.DataFrame, counts: dict, framework: str, file=None) -> None:
    """Per area and phase: the FSM gradient (logit per quintile, and the change in P(boundary or better)
    from quintile 1 to 5), total and direct, with 90% intervals."""
    file = file or sys.stdout
    print(f"FSM gradient by area ({framework}; quintile 1 = least, 5 = most disadvantaged within phase; "
          "90% intervals; 'total' without progress, 'direct' holding 2022/23 progress fixed):", file=file)
    fsm = effects[effects["term"] == "fsm_quintile"]
    for area in dict.fromkeys(effects["area"]):
        outcome, words = _best_label(schemas.scale_for(framework, area).name)
        for phase in dict.fromkeys(fsm.loc[fsm["area"] == area, "phase"]):
            part = fsm[(fsm["area"] == area) & (fsm["phase"] == phase)].set_index(["estimand", "scale", "outcome"])
            logit, prob = [], []
            for est in ("total", "direct"):
                if (est, "logit", "") in part.index:
                    r = part.loc[(est, "logit", "")]
                    logit.append(f"{est} {r['mean']:+.2f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}]")
                if (est, "probability", outcome) in part.index:
                    r = part.loc[(est, "probability", outcome)]
                    prob.append(f"{est} {100 * r['mean']:+.1f} [{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}]")
            n = counts.get(area, {}).get(phase, "?")
            print(f"  {area}, {phase} ({n} inspections): log-odds of a better grade per quintile more deprived "
                  f"{'; '.join(logit)}", file=file)
            if prob:
                print(f"    P({words}), quintile 5 minus quintile 1, percentage points: {'; '.join(prob)}", file=file)


def print_caveats(file=None) -> None:
    file = file or sys.stdout
    print("What these data can say: " + CAVEATS["can"], file=file)
    print("What they cannot say:", file=file)
    for line in CAVEATS["cannot"]:
        print(f"  - {line}", file=file)


def _write(table: pd.DataFrame, path: Path, float_format: str | None = None) -> None:
    """Through the package's one writer (:func:`inspect_audit._core.export.write_csv`, recorded in privacy.json).

    These tables hold schools' public grades, no person ids. Observed shares come suppressed already
    (:func:`grade_shares` blanks share, interval and n, which the writer's default columns would not
    cover), so the writer suppresses nothing more and the record states the suppression done here."""
    from inspect_audit._core import export

    export.write_csv(table, path, min_n=None, float_format=float_format)
    if "suppressed" in table:
        export.record(path, {**export.recorded(path), "suppression": {
            "min_n": int(table.attrs.get("min_n", privacy.MIN_N)), "count_column": "n",
            "rows_suppressed": int(table["suppressed"].sum()), "person_rows_dropped": 0,
            "blanked": ["share", "ci_low", "ci_high", "n"]}})


def run_framework(args: argparse.Namespace, tables: dict[str, pd.DataFrame]) -> int:
    """``context --framework F``: area by area on the framework's inspections."""
    framework = args.framework
    try:
        fw_tables = framework_tables(tables, framework)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    phases = tuple(p for p in args.phases.split(",") if p)
    ordinal = framework_area_list(fw_tables, framework, ordinal_only=True)
    if args.areas:
        areas = [a for a in args.areas.split(",") if a]
        unknown = [a for a in areas if a not in schemas.framework_areas(framework)]
        if unknown:
            print(f"framework {framework} does not grade {', '.join(unknown)} (it grades: "
                  f"{', '.join(schemas.framework_areas(framework))})", file=sys.stderr)
            return EXIT_INVALID
    else:
        areas = ordinal
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # observed shares: every area asked for (default: every area of the framework in the data, safeguarding too)
    present = framework_area_list(fw_tables, framework)
    shares = grade_shares(fw_tables, framework, phases,
                          areas=[a for a in (areas if args.areas else present) if a in present])
    _write(shares, out / "grade_shares.csv", float_format="%.6g")

    fits = fit_by_area(fw_tables, framework, areas, phases, min_rows=args.min_rows, chains=args.chains,
                       tune=args.tune, draws=args.draws, seed=args.seed, max_rows=args.max_rows,
                       progress=not args.quiet,
                       on_fit=lambda area, m: m.save(out / "areas" / area, posterior=not args.no_posterior))
    effects = fits.stack("context_effects")
    _write(effects, out / "context_effects.csv")
    _write(fits.stack("adjusted_shares"), out / "adjusted_grade_shares.csv")
    _write(fits.stack("fsm_total_vs_direct"), out / "fsm_total_vs_direct.csv")
    comparison = legacy_comparison(tables, framework, phases, areas=areas)
    _write(comparison, out / "legacy_comparison.csv", float_format="%.6g")
    diag = fits.diagnostics()
    diag["grade_shares"] = {"method": shares.attrs["method"], "min_n": privacy.MIN_N,
                            "rows": int(len(shares)), "rows_suppressed": int(shares["suppressed"].sum())}
    (out / "diagnostics.json").write_text(json.dumps(jsonable(diag), indent=1) + "\n", encoding="utf-8")

    if len(effects):
        print_gradients(effects, fits.counts, framework)
    for area, why in fits.skipped.items():
        print(f"  {area}: not modelled for " + "; ".join(f"{p} ({r})" for p, r in why.items()))
    _print_comparison(comparison)
    print_caveats()
    if not diag["ok"]:
        failed = ", ".join(diag["failed_fits"]) or "no area could be modelled"
        print(f"NOT CONVERGED ({failed}): see diagnostics.json", file=sys.stderr)
    print(f"results written to {out}")
    return 0 if diag["ok"] else EXIT_NOT_CONVERGED


def _print_comparison(comparison: pd.DataFrame, file=None) -> None:
    """One line per phase: the same schools' previous overall grade, good or better, quintile 1 vs 5."""
    file = file or sys.stdout
    if comparison.empty:
        return
    prev = comparison[comparison["measure"] == "previous_overall_effectiveness_good_or_better"]
    area = prev["area"].iloc[0]  # the previous grade does not depend on the area: any area's schools
    for phase, part in prev[prev["area"] == area].groupby("phase", sort=False):
        part = part.set_index("fsm_quintile")
        if {1, 5} <= set(part.index) and not part.loc[[1, 5], "suppressed"].any():
            q1, q5 = part.loc[1], part.loc[5]
            print(f"  the same schools' previous graded inspection ({phase}, {int(part['n'].sum())} schools with an "
                  "earlier overall grade and an FSM quintile, of those with a report card): good or better "
                  f"{q1['share']:.0%} [{q1['ci_low']:.0%}, {q1['ci_high']:.0%}] in quintile 1 vs "
                  f"{q5['share']:.0%} [{q5['ci_low']:.0%}, {q5['ci_high']:.0%}] in quintile 5 "
                  "(legacy_comparison.csv)", file=file)


def run_legacy(args: argparse.Namespace, tables: dict[str, pd.DataFrame]) -> int:
    """``context`` without ``--framework``: one area by phase (the original form, outputs unchanged)."""
    from inspect_audit.inspectors import ConvergenceWarning
    from inspect_audit.inspectors.context import ContextModel

    model = ContextModel(area=args.area, phases=tuple(args.phases.split(",")))
    with warnings.catch_warnings():
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(tables, chains=args.chains, tune=args.tune, draws=args.draws, seed=args.seed,
                  max_rows=args.max_rows, progress=not args.quiet)
        model.save(args.out, posterior=not args.no_posterior)
    diag = model.diagnostics()
    comp = model.fsm_total_vs_direct().set_index(["phase", "statistic"])
    print("FSM quintile, log-odds of a better grade per quintile more deprived (90% intervals):")
    for phase in model.phases:
        parts = []
        for est in model.estimands:
            if (phase, f"{est}_logit") in comp.index:
                r = comp.loc[(phase, f"{est}_logit")]
                parts.append(f"{est} {r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]")
        line = f"  {phase}: " + "; ".join(parts)
        if (phase, "share_remaining_probability") in comp.index:
            r = comp.loc[(phase, "share_remaining_probability")]
            line += (f"; direct/total on P(good or better): {r['mean']:.2f} "
                     f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]")
        print(line)
    if not diag["ok"]:
        print(f"NOT CONVERGED ({', '.join(diag['failed_fits'])}): see diagnostics.json", file=sys.stderr)
    print(f"results written to {args.out}")
    return 0 if diag["ok"] else EXIT_NOT_CONVERGED


def run_context(args: argparse.Namespace) -> int:
    ds = load_dataset(args, CONTEXT_TABLES, require=CONTEXT_TABLES, purpose="the context analysis")
    tables = ds.select(*CONTEXT_TABLES)
    require_fsm(tables, ds.files.get("schools", f"{ds.source} (schools)"))
    if not args.quiet:
        print(describe(ds))
    if args.framework:
        return run_framework(args, tables)
    return run_legacy(args, tables)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "context", help="context fairness without inspector identities: FSM effect on grades, total vs direct",
        description="Fit the context model (cumulative logit of the grade on FSM quintile, region, size and "
                    "year of inspection; 'direct' adds progress) by phase with nutpie, and write "
                    "context_effects.csv, adjusted_grade_shares.csv, observed_grade_shares.csv, "
                    "fsm_total_vs_direct.csv, diagnostics.json and posterior_<phase>_<estimand>.nc to OUT. "
                    "With --framework (e.g. report_card_2025): only that framework's inspections, area by "
                    "area, writing grade_shares.csv (observed shares by area, phase, FSM quintile and grade, "
                    "90% Wilson intervals, small cells suppressed), context_effects.csv and the other tables "
                    "with a column 'area', legacy_comparison.csv, diagnostics.json and areas/<area>/; it "
                    "prints each area's FSM gradient and what the data can and cannot say. "
                    "Exit 3 if the convergence gates fail.")
    add_data_options(p, "schools, inspections, judgements")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--framework", default=None, choices=list(schemas.scales()["frameworks"]),
                   help="analyse only this framework's inspections, area by area (e.g. report_card_2025)")
    p.add_argument("--area", default="overall_effectiveness",
                   help="judgement area without --framework (default overall_effectiveness)")
    p.add_argument("--areas", default=None,
                   help="with --framework: comma-separated areas (default every area the framework grades on an "
                        "ordinal scale that the data hold)")
    p.add_argument("--phases", default="primary,secondary", help="comma-separated phases (default primary,secondary)")
    p.add_argument("--min-rows", type=int, default=100,
                   help="with --framework: fewest inspections (with an FSM quintile) to model an area in a phase "
                        "(default 100)")
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-rows", type=int, default=None, help="seeded random subsample of each phase (quick runs)")
    p.add_argument("--no-posterior", action="store_true", help="do not write the posterior_*.nc files")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(func=run_context)
