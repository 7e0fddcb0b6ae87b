"""Issue 16's check of the multi-area model on real report cards: the 1,313 bundled report cards (real grades,
real schools) joined with SIMULATED lead-inspector ids, because public data name no inspectors.

Each report card gets a lead drawn at random from ``--inspectors`` simulated inspectors (seeded), so the true
inspector effect is zero: the fit must pass its gates, and the flag rule should flag (almost) nobody; the
area correlation and context effects are those of the real grades. Prints the gates, the variance partition,
the area correlation and the flags, and writes the fit (through the one writer) to ``--out``.

    .venv/bin/python scripts/report_cards_with_simulated_inspectors.py --out /tmp/rc_fit   # about 2-3 min on 2 cores

``--write-data DIR`` also writes the joined tables (``schools.csv``, ``inspections.csv``, ``judgements.csv``; every
lead id reads ``SIMULATED-LEAD-...``) for the command line's own route::

    .venv/bin/python scripts/report_cards_with_simulated_inspectors.py --out /tmp/rc_fit --write-data /tmp/rc_data
    .venv/bin/inspect-audit inspectors --data /tmp/rc_data --framework report_card_2025 --out /tmp/rc_cli
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--inspectors", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-data", default=None, metavar="DIR",
                        help="also write the joined tables here (lead ids SIMULATED-LEAD-...), for the CLI")
    parser.add_argument("--max-draws-factor", type=float, default=4.0,
                        help="the repair's budget: total draws at most this multiple of the first run's (default 4)")
    args = parser.parse_args()

    from inspect_audit.data import Dataset
    from inspect_audit.inspectors import ConvergenceWarning
    from inspect_audit.inspectors.multi_area import MultiAreaModel
    from inspect_audit.inspectors.repair import RepairBudget

    ds = Dataset.bundled()
    tables = ds.select("schools", "inspections", "judgements")
    ins = tables["inspections"]
    cards = ins["framework"].astype(str) == "report_card_2025"
    rng = np.random.default_rng(args.seed)
    ids = [f"SIMULATED-LEAD-{i:03d}" for i in range(1, args.inspectors + 1)]
    ins.loc[cards, "lead_inspector_id"] = rng.choice(ids, size=int(cards.sum()))
    tables["inspections"] = ins
    if args.write_data:
        folder = Path(args.write_data)
        folder.mkdir(parents=True, exist_ok=True)
        for name, table in tables.items():
            table.to_csv(folder / f"{name}.csv", index=False)
        (folder / "README.txt").write_text(
            "Real bundled report cards and schools (see the package's data card) with SIMULATED lead inspectors: "
            f"{args.inspectors} ids drawn at random (seed {args.seed}), so no inspector truly differs.\n", encoding="utf-8")
    print(f"{int(cards.sum())} real report cards, leads SIMULATED ({args.inspectors} ids at random, seed {args.seed}: "
          "no true inspector effect)")
    start = time.time()
    with warnings.catch_warnings():
        warnings.simplefilter("always", ConvergenceWarning)
        model = MultiAreaModel().fit(tables, seed=args.seed,
                                     repair=RepairBudget(max_draws_factor=args.max_draws_factor))
    diag = model.diagnostics()
    vp = model.variance_partition().set_index("statistic")
    print(f"fit: {time.time() - start:.0f} s; gates {'passed' if diag['ok'] else 'FAILED'}: max R-hat "
          f"{diag['max_rhat']:.3f}, min bulk ESS {diag['min_ess_bulk']:.0f}, min tail ESS {diag['min_ess_tail']:.0f}, "
          f"divergences {diag['divergences']}; runs {len(model.repair_)}")
    for stat in vp.index:
        r = vp.loc[stat]
        print(f"  {stat}: {r['mean']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        eff = model.inspector_effects()
    print(f"flags: {int((eff['flag'] != '').sum())} of {len(eff)} simulated leads (truth: none differ)")
    model.save(args.out)
    from inspect_audit._core.export import add_to_json

    add_to_json(Path(args.out) / "diagnostics.json", {
        **ds.provenance(), "origin": "real grades and schools (bundled), SIMULATED lead inspectors",
        "simulated_leads": {"inspectors": args.inspectors, "seed": args.seed, "truth": "no inspector differs"}},
        field="data_source")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
