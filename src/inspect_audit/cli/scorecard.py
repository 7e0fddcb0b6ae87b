"""``inspect-audit scorecard``: score schools with a balanced-scorecard spec and report its uncertainty.

Reads a spec (a JSON file, or the name of a shipped example such as ``primary_balanced``) and
data (the bundled England data, or a folder of CSVs named after their tables, which pass the
validator first), then writes to ``--out``: per-school ranks, 90% rank intervals and band
probabilities, replicates, indicator summary, Sobol indices, effective weights, reliability,
two plots and ``scorecard.md``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_INVALID = 1
TABLE_FILES = ("schools", "inspections", "judgements", "survey_aggregates", "survey_items")


def _spec_path(text: str) -> Path:
    from inspect_audit.scorecard.spec import example_spec_paths

    path = Path(text)
    if path.exists():
        return path
    examples = example_spec_paths()
    if text in examples:
        return examples[text]
    raise SystemExit(f"spec {text!r} not found: give a JSON file or one of {', '.join(examples)}")


def data_paths(folder: Path) -> dict[str, str]:
    """Files in ``folder`` named after a table (``schools.csv``, ``judgements.csv.gz``, ...), by table."""
    paths = {}
    for path in sorted(folder.iterdir()):
        table = path.name.split(".")[0].lower()
        if table in TABLE_FILES and table not in paths:
            paths[table] = str(path)
    return paths


def _load_tables(data: str) -> tuple[dict | None, str]:
    if data == "bundled":
        from inspect_audit.data.bundled import load_england

        return load_england(), "bundled England data (validated)"
    from inspect_audit.data.validation import validate

    folder = Path(data)
    if not folder.is_dir():
        raise SystemExit(f"--data {data!r} is neither 'bundled' nor a folder")
    paths = data_paths(folder)
    if "schools" not in paths:
        raise SystemExit(f"no schools.csv in {folder} (files are read by table name: {', '.join(TABLE_FILES)})")
    report = validate(paths)
    if not report.ok:
        print(f"INVALID: {report.summary()}", file=sys.stderr)
        print(report.errors().head(30).to_string(index=False), file=sys.stderr)
        return None, ""
    return report.tables, f"{folder} ({', '.join(paths)}; validated)"


def run(args: argparse.Namespace) -> int:
    from inspect_audit.scorecard.composite import nominal_composite
    from inspect_audit.scorecard.indicators import indicator_summary, indicator_table
    from inspect_audit.scorecard.plots import plot_band_probabilities, plot_rank_intervals
    from inspect_audit.scorecard.reliability import headline_base_rate, reliability_comparison
    from inspect_audit.scorecard.report import _md_table, uncertainty_headlines, write_table as write
    from inspect_audit.scorecard.sensitivity import effective_weights, sobol_indices
    from inspect_audit.scorecard.simulate import simulate_composites
    from inspect_audit.scorecard.spec import SpecError, load_spec

    try:
        spec = load_spec(_spec_path(args.spec))
    except SpecError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INVALID
    tables, source = _load_tables(args.data)
    if tables is None:
        return EXIT_INVALID
    missing = {ind.kind for ind in spec.indicators} & {"judgement", "survey"}
    need = {"judgement": ("inspections", "judgements"), "survey": ("survey_aggregates",)}
    absent = sorted({t for kind in missing for t in need[kind] if t not in tables})
    if absent:
        print(f"the spec needs table(s) {', '.join(absent)}, which the data lack", file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ind = indicator_table(tables, spec, grade_reliability=args.grade_reliability)
    if ind.empty:
        print("no school has enough indicators to be scored", file=sys.stderr)
        return EXIT_INVALID
    write(indicator_summary(ind, spec), out / "indicators.csv")
    write(ind, out / "indicator_table.csv")
    write(nominal_composite(ind, spec), out / "nominal.csv")
    sim = simulate_composites(ind, spec, n_rep=args.reps, seed=args.seed)
    write(sim.summary, out / "schools.csv")
    write(sim.replicates, out / "replicates.csv")
    plot_rank_intervals(sim.summary, spec.labels, f"{spec.name}: 90% rank intervals", out / "rank_intervals.png")
    plot_band_probabilities(sim.summary, spec.labels, f"{spec.name}: band probabilities", out / "band_probabilities.png")
    eff = effective_weights(ind, spec)
    write(eff, out / "effective_weights.csv")
    lines = [f"# {spec.name}", "", f"Data: {source}. Replicates: {args.reps:,}; seed {args.seed}.", ""]
    if args.sobol > 0:
        sob = sobol_indices(ind, spec, n_base=args.sobol, seed=args.seed)
        write(sob, out / "sobol.csv")
        lines += ["## Sobol indices", "", _md_table(sob[["output", "group", "S1", "S1_lo", "S1_hi", "ST"]]), ""]
    if "judgements" in tables:
        rel = reliability_comparison(ind, spec, headline_reliability=args.headline_reliability,
                                     base_rate=headline_base_rate(tables))
    else:
        rel = reliability_comparison(ind, spec, headline_reliability=args.headline_reliability)
    write(rel, out / "reliability.csv")
    h = uncertainty_headlines(sim)
    lines += ["## Uncertainty", "",
              f"{h['n_schools']:,} schools; median 90% rank interval {h['median_interval_width']:,.0f} places "
              f"({h['median_interval_share']:.0%} of schools); band probability >= 0.9 for "
              f"{h['share_band_sure_90']:.0%} of schools.", "",
              "![rank intervals](rank_intervals.png)", "", "![band probabilities](band_probabilities.png)", "",
              "## Effective weights", "", _md_table(eff), "", "## Reliability", "", _md_table(rel), ""]
    (out / "scorecard.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"scorecard {spec.name!r}: {h['n_schools']:,} schools, {args.reps:,} replicates (seed {args.seed})")
    print(f"  median 90% rank interval: {h['median_interval_width']:,.0f} places ({h['median_interval_share']:.0%} of schools)")
    print(f"  band probability >= 0.9: {h['share_band_sure_90']:.0%} of schools")
    print(f"  composite reliability (Mosier): {rel['reliability'].iloc[1:].min():.2f}-{rel['reliability'].iloc[1:].max():.2f}; "
          f"headline grade: {rel['reliability'].iloc[0]:.2f}")
    print(f"  written to {out}/ (schools.csv, replicates.csv, scorecard.md, ...)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("scorecard", help="score schools with a balanced-scorecard spec, with uncertainty",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--spec", required=True,
                   help="scorecard spec JSON file, or a shipped example: primary_balanced, all_phases_rule_based")
    p.add_argument("--data", default="bundled",
                   help="'bundled' (default) or a folder of CSVs named after their tables (schools.csv, ...)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--reps", type=int, default=2000, help="Monte Carlo replicates (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--sobol", type=int, default=0, metavar="N",
                   help="Sobol base sample size (0 = skip; 128-256 is typical)")
    p.add_argument("--grade-reliability", type=float, default=0.5,
                   help="assumed reliability of an inspection grade when the spec gives none (default 0.5)")
    p.add_argument("--headline-reliability", type=float, default=None,
                   help="reliability of the headline grade to compare with (default: implied by Ofsted 2017 22/24)")
    p.set_defaults(func=run)
