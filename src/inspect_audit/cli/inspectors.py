"""``inspect-audit inspectors`` and ``counterfactual``: thin CLI over the inspector model (``context``: :mod:`inspect_audit.cli.context`)."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import pandas as pd

from inspect_audit._core import export
from inspect_audit._core import privacy
from inspect_audit.data.files import InputError
from inspect_audit.cli.common import EXIT_INVALID, add_data_options, describe, load_dataset

EXIT_NOT_CONVERGED = 3
TABLES = ("schools", "inspections", "judgements", "inspectors")


def check_leads(tables: dict[str, pd.DataFrame], area: str, source: str | Path = "inspections") -> None:
    """Before any sampling: some lead inspector leads more than one inspection graded on ``area`` (else no
    inspector effect can be told apart from the school's). Raises :class:`~inspect_audit.data.files.InputError`;
    an area absent from the data is left to the model's own message."""
    judged = tables["judgements"].loc[tables["judgements"]["area"] == area, "inspection_id"]
    inspections = tables["inspections"]
    leads = inspections.loc[inspections["inspection_id"].isin(set(judged)), "lead_inspector_id"].dropna()
    if len(leads) and leads.value_counts().max() < 2:
        raise InputError(f"{source}, column lead_inspector_id: every inspector leads only one inspection graded on "
                         f"{area} ({len(leads)} inspections), so an inspector's effect cannot be told apart from "
                         "the school's; the model needs inspectors who each lead several inspections")


def run_inspectors(args: argparse.Namespace) -> int:
    from inspect_audit.inspectors import ConvergenceWarning, InspectorModel
    from inspect_audit.inspectors.repair import RepairBudget

    # the multi-area model reads no inspector characteristics: report cards need no inspectors table
    needed = TABLES[:3] if getattr(args, "framework", None) else TABLES
    ds = load_dataset(args, TABLES, require=needed, purpose="the inspector model")
    tables = ds.select(*TABLES)
    if not getattr(args, "framework", None):
        check_leads(tables, args.area, ds.files.get("inspections", ds.source))
    if not args.quiet:
        print(describe(ds))
    pseudonymise = not getattr(args, "no_pseudonymise", False)
    if pseudonymise:  # before fitting, so the posterior, tables and packs carry pseudonyms only
        tables = privacy.pseudonymise_tables(tables)
    try:
        if args.framework:  # every area of the framework's inspections together (report cards)
            from inspect_audit.inspectors.multi_area import MultiAreaModel

            if getattr(args, "research", None):
                raise ValueError("--research is for one area's fit (--area), not with --framework")

            model = MultiAreaModel(framework=args.framework, target_accept=args.target_accept, form=args.form)
        else:
            model = InspectorModel(area=args.area, random_slope=args.random_slope, consistency=args.consistency,
                                   partial_odds_fsm=args.partial_odds_fsm, target_accept=args.target_accept,
                                   year_effects=args.year_effects, centered=args.centred,
                                   research=_research(getattr(args, "research", None)))
        budget = RepairBudget(max_refits=args.max_refits, max_draws_factor=args.max_draws_factor,
                              max_target_accept=max(args.target_accept, 0.99)) if not args.no_repair else False
        with warnings.catch_warnings():
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(tables, chains=args.chains, tune=args.tune, draws=args.draws, seed=args.seed,
                      progress=not args.quiet, repair=budget)
    except ValueError as err:  # options that do not fit together, or data the model cannot use
        print(f"inspect-audit inspectors: {err}", file=sys.stderr)
        return EXIT_INVALID
    model.save(args.out, pseudonymise=pseudonymise)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the fit already warned; flags are then empty
        effects = model.inspector_effects()
    protection = model.privacy_
    export.add_to_json(Path(args.out) / "diagnostics.json", ds.provenance(), field="data_source")
    diag = model.diagnostics()
    vp = model.variance_partition().set_index("statistic")
    conn = diag["data"]["n"]
    if "schools" in conn:
        print(f"analysed {conn['inspections']} inspections by {conn['inspectors']} inspectors at "
              f"{conn['schools']} schools (largest connected component)")
    else:
        print(f"analysed {conn['judgements']} judgements in {conn['areas']} areas of {conn['inspections']} "
              f"inspections by {conn['inspectors']} lead inspectors (all areas together)")
    icc = vp.loc["icc_inspector"]
    print(f"inspector share of latent grade variance: {icc['mean']:.3f} "
          f"[{icc['ci_low']:.3f}, {icc['ci_high']:.3f}] (90% interval)")
    if diag["ok"]:
        n_sev = int((effects["flag"] == "severe").sum())
        n_len = int((effects["flag"] == "lenient").sum())
        print(f"flagged: {n_sev} severe, {n_len} lenient (threshold {model.threshold} logit, "
              f"P > {model.prob_threshold}, Bayesian FDR <= {model.fdr})")
    else:
        from inspect_audit.inspectors.diagnostics import ADVICE, explain, explain_repair

        print(f"NOT CONVERGED: {explain(diag)}. No inspector is flagged. Tried: {explain_repair(model.repair_)}. "
              f"{ADVICE[0].upper() + ADVICE[1:]}. Details in diagnostics.json (\"repair\").", file=sys.stderr)
    if getattr(model, "research", ()):
        _research_outputs(Path(args.out), model.ci_prob, model.design_.info["research"].get("not_asked", {}))
    print(f"inspector ids: {protection['identities']}; inspector_effects.csv leaves out "
          f"{protection['suppression']['person_rows_dropped']} inspector(s) with fewer than {privacy.MIN_N} "
          "inspections (see privacy.json)")
    print(f"results written to {args.out}")
    return 0 if diag["ok"] else EXIT_NOT_CONVERGED


def _research(value: str | None) -> tuple[str, ...] | str:
    """``--research`` as the model takes it: ``all`` or a comma-separated list of questions."""
    if not value:
        return ()
    return "all" if value.strip() == "all" else tuple(v.strip() for v in value.split(",") if v.strip())


def _research_outputs(out: Path, ci_prob: float, not_asked: dict[str, str]) -> None:
    """One sentence per research question and ``research_effects.png``, both from the table as written (rows the
    one writer suppressed are left out and said so), and the questions ``--research all`` could not ask."""
    from inspect_audit.inspectors.research import plot_research_effects, summary_sentences

    table = pd.read_csv(out / "research_effects.csv")
    shown = table[~table["suppressed"].astype(bool)] if "suppressed" in table else table
    sentences = summary_sentences(shown, ci_prob)
    for sentence in sentences:
        print(sentence)
    hidden = sorted(set(table["term"]) - set(shown["term"]))
    if hidden:
        print(f"not shown (fewer than {privacy.MIN_N} lead inspectors behind the estimate): {', '.join(hidden)}")
    for reason in not_asked.values():
        print(f"not asked: {reason}")
    if not sentences:
        return
    plot_research_effects(shown, out / "research_effects.png", ci_prob)
    export.record(out / "research_effects.png", {**export.recorded(out / "research_effects.csv"),
                                                 "note": "drawn from research_effects.csv as written"})
    print(f"research questions: {out / 'research_effects.csv'} (logit and probability scale) and "
          f"{out / 'research_effects.png'}")


def run_counterfactual(args: argparse.Namespace) -> int:
    from inspect_audit.inspectors import InspectorModel

    if not (Path(args.fit) / "posterior.nc").is_file():
        raise InputError(f"--fit {args.fit}: no fit here (no posterior.nc); give the --out folder of "
                         "`inspect-audit inspectors`")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = InspectorModel.load(args.fit)
    try:
        frame = model.counterfactual(args.inspection)
    except KeyError as exc:
        print(str(exc.args[0]), file=sys.stderr)
        return EXIT_INVALID
    if args.json:
        print(json.dumps({
            "inspection_id": args.inspection,
            "grades": [int(g) for g in frame["grade"]],
            "actual": [round(float(v), 6) for v in frame["actual_mean"]],
            "typical": [round(float(v), 6) for v in frame["typical_mean"]],
            "typical_ci_low": [round(float(v), 6) for v in frame["typical_ci_low"]],
            "typical_ci_high": [round(float(v), 6) for v in frame["typical_ci_high"]],
        }))
        return 0
    print(f"inspection {args.inspection} (lead inspector {frame.attrs['inspector_id']}, "
          f"observed grade {frame.attrs['observed_grade']}): grade probabilities, 90% intervals")
    with pd.option_context("display.width", 200):
        print(frame.round(3).to_string(index=False))
    if not model.diagnostics_["ok"]:
        print("warning: this fit did not pass the convergence gates", file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inspectors", help="fit the Bayesian inspector-effects model (severity, variance share, context)",
        description="Fit model M1 (hierarchical cumulative logit) with nutpie and write inspector_effects.csv, "
                    "variance_partition.json, characteristic_effects.csv, context_effects.csv, "
                    "diagnostics.json, posterior.nc and privacy.json to OUT. Inspector ids are pseudonymised "
                    "before fitting, and inspectors with fewer than 10 inspections are left out of "
                    "inspector_effects.csv. With --framework report_card_2025 every area is fitted together "
                    "(area_effects.csv instead of characteristic and context effects; no posterior.nc). With "
                    "--research, research_effects.csv and research_effects.png answer the inspector research "
                    "questions (estimates resting on fewer than 10 lead inspectors are suppressed). Exit 3 if "
                    "the convergence gates fail after the repair.")
    add_data_options(p, "schools, inspections, judgements, inspectors", bundled=False)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--area", default="overall_effectiveness", help="judgement area (default overall_effectiveness)")
    p.add_argument("--chains", type=int, default=4, help="chains of the first run (default 4)")
    p.add_argument("--tune", type=int, default=500, help="tuning draws per chain of the first run (default 500)")
    p.add_argument("--draws", type=int, default=1000, help="draws per chain of the first run (default 1000); "
                   "the repair adds chains or lengthens them until the ESS and R-hat gates pass")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--target-accept", type=float, default=0.9,
                   help="NUTS target acceptance of the first run (default 0.9; the repair raises it to 0.95, 0.99 "
                        "after divergences)")
    p.add_argument("--year-effects", choices=("auto", "fixed", "non_centred", "centred"), default="auto",
                   help="academic-year x framework effects: auto (default: fixed for few cells, hierarchical for "
                        "many thin ones), fixed, non_centred or centred (hierarchical)")
    p.add_argument("--centred", action="store_true",
                   help="centred inspector effects (default non-centred; the repair switches when divergences say so; "
                        "one area's fit: with --framework see --form)")
    p.add_argument("--max-refits", type=int, default=3,
                   help="fresh runs the repair may make after the first (default 3)")
    p.add_argument("--max-draws-factor", type=float, default=4.0,
                   help="the repair's total draws at most this multiple of the first run's (default 4)")
    p.add_argument("--no-repair", action="store_true", help="one run only: report the gates, repair nothing")
    p.add_argument("--framework", default=None, choices=("report_card_2025",),
                   help="fit every area of this framework's inspections together (multi-area model: one report "
                        "card per school still informs inspector effects); --area is then ignored")
    p.add_argument("--form", choices=("marginal", "non_centred"), default="marginal",
                   help="with --framework: the multi-area model's parameterisation, marginal (default: inspection "
                        "effects as they are, inspector effects integrated out) or non_centred; the repair switches "
                        "when divergences say so")
    p.add_argument("--random-slope", action="store_true", help="inspector-specific slope on FSM quintile")
    p.add_argument("--consistency", action="store_true",
                   help="inspector-specific consistency (how erratic each inspector's grades are)")
    p.add_argument("--partial-odds-fsm", action="store_true",
                   help="partial proportional odds: the FSM effect may differ at each grade boundary")
    p.add_argument("--research", default=None, metavar="QUESTIONS",
                   help="inspector research questions, comma-separated, or all (every question the data can answer; "
                        "the others are listed): sequence (the same lead's previous "
                        "grade), phase_match (a lead from the other phase; needs inspectors.phase_background), "
                        "experience (years since inspectors.first_year_active), team_size, conflict (needs "
                        "schools.employs_serving_inspector). Writes research_effects.csv and research_effects.png")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    export.add_pseudonymise_option(p)
    p.set_defaults(func=run_inspectors)
    p = subparsers.add_parser(
        "counterfactual", help="grade probabilities for one inspection under a typical inspector",
        description="From a saved fit: probabilities of each grade under the actual lead inspector and under "
                    "a typical one (average characteristics, zero residual effect), with 90% intervals.")
    p.add_argument("--fit", required=True, help="output folder of `inspect-audit inspectors`")
    p.add_argument("--inspection", required=True, help="inspection_id")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_counterfactual)
