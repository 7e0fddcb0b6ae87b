"""Recovery evidence for the inspector research questions (models/inspector-effects.md, "Research questions").

1. The default fit (4 chains x (500 + 1000), repair on) of ``PLANTED`` and ``NULL`` (data seed 1): gates and
   the logit table.
2. Replications: data seeds 1..R of ``PLANTED`` and ``NULL``, short fits (2 x (500 + 500), one run, as the
   tests): how often each 90% interval covers the truth, has the truth's sign, covers 0 in the null.
3. What the inspector effect buys: a null with large inspector differences (sd_inspector 1.2), where harsh
   leads give more Inadequates *and* harsher next grades. The model's previous-grade terms vs a pooled ordinal
   logit without the inspector effect (statsmodels ``OrderedModel``, same columns).

Usage: ``.venv/bin/python scripts/research_questions_evidence.py [R] > evidence.json`` (R = 10 by default;
about 17 minutes on 2 shared cores at a load of 5). The model card's further null seeds:
``python -c "import sys; sys.path.insert(0, 'scripts'); import research_questions_evidence as e;
print(e.replications(20, first_seed=11, designs=('null',)))"``, and ``e.lean_by_workload()``, ``e.lean_checks()`` likewise.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from inspect_audit.data.simulate.research import NULL, PLANTED, simulate_research
from inspect_audit.inspectors import InspectorModel
from inspect_audit.inspectors.design import build_design

TERMS = {"previous_grade[inadequate]": "after_lowest", "previous_grade[outstanding]": "after_highest",
         "phase_mismatch": "primary_lead_at_secondary", "experience_years": "per_year_experience",
         "team_size": "per_team_member", "employs_serving_inspector": "conflict"}
SHORT = dict(chains=2, tune=500, draws=500, progress=False, repair=False)


def fit(truth, seed: int, **settings) -> InspectorModel:
    data = simulate_research(truth, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return InspectorModel(research="all").fit(data, seed=2, **settings)


def logit_rows(model: InspectorModel) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = model.research_effects()
    return t[t["scale"] == "logit"].set_index("term")[["mean", "ci_low", "ci_high"]]


def default_fits() -> dict:
    out = {}
    for name, truth in (("planted", PLANTED), ("null", NULL)):
        t0 = time.perf_counter()
        m = fit(truth, 1, progress=False)
        d = m.diagnostics()
        out[name] = {"ok": d["ok"], "runs": len(m.repair_), "max_rhat": round(d["max_rhat"], 4),
                     "min_ess_bulk": round(d["min_ess_bulk"]), "divergences": d["divergences"],
                     "wall_seconds": round(time.perf_counter() - t0, 1),
                     "logit": logit_rows(m).round(3).to_dict(orient="index")}
    return out


def replications(n: int, first_seed: int = 1, designs: tuple[str, ...] = ("planted", "null")) -> dict:
    rows = []
    for seed in range(first_seed, first_seed + n):
        for name, truth in (("planted", PLANTED), ("null", NULL)):
            if name not in designs:
                continue
            table = logit_rows(fit(truth, seed, **SHORT))
            for term, effect in TERMS.items():
                value = truth.effects()[effect]
                lo, hi = table.loc[term, ["ci_low", "ci_high"]]
                rows.append({"design": name, "seed": seed, "term": term, "truth": value,
                             "mean": table.loc[term, "mean"], "covers": bool(lo <= value <= hi),
                             "sign_right": bool(lo > 0 if value > 0 else hi < 0) if value else None})
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["design", "term"]).agg(covers=("covers", "mean"), mean=("mean", "mean"),
                                                    sign_right=("sign_right", lambda s: s.dropna().mean()
                                                                if s.notna().any() else None))
    return {"n_seeds": n, "by_term": summary.round(3).reset_index().to_dict(orient="records"),
            "any_miss_in_null": int(frame[frame["design"] == "null"].groupby("seed")["covers"].all().eq(False).sum())}


def pooled_ordinal_logit(data) -> dict:
    """The same columns without the inspector effect (nor school or year effects)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    d = build_design(data, research=tuple(("sequence", "phase_match", "experience", "team_size", "conflict")))
    X = pd.DataFrame(d.X, columns=d.cov_names)
    res = OrderedModel(d.y, X, distr="logit").fit(method="bfgs", disp=False, maxiter=2000)
    ci = res.conf_int(alpha=0.1)
    return {t: {"mean": round(float(res.params[t]), 3), "ci_low": round(float(ci.loc[t, 0]), 3),
                "ci_high": round(float(ci.loc[t, 1]), 3)} for t in ("previous_grade[inadequate]",
                                                                    "previous_grade[outstanding]")}


def strong_inspectors(seeds=(1, 2, 3)) -> list[dict]:
    out = []
    for seed in seeds:
        truth = replace(NULL, sd_inspector=1.2)
        m = fit(truth, seed, **SHORT)
        model = logit_rows(m).loc[["previous_grade[inadequate]", "previous_grade[outstanding]"]].round(3)
        out.append({"seed": seed, "model": model.to_dict(orient="index"),
                    "pooled_without_inspector_effect": pooled_ordinal_logit(simulate_research(truth, seed=seed))})
    return out


def lean_by_workload(leads=(15, 80), seeds=range(1, 9)) -> list[dict]:
    """The null's previous-grade terms with the same inspections shared by fewer or more leads."""
    rows = []
    for J in leads:
        for seed in seeds:
            t = logit_rows(fit(replace(NULL, n_inspectors=J), seed, **SHORT))
            for term in ("previous_grade[inadequate]", "previous_grade[outstanding]"):
                rows.append({"leads": J, "seed": seed, "term": term, "mean": float(t.loc[term, "mean"]),
                             "covers": bool(t.loc[term, "ci_low"] <= 0 <= t.loc[term, "ci_high"])})
    frame = pd.DataFrame(rows).groupby(["leads", "term"]).agg(mean=("mean", "mean"), sd=("mean", "std"),
                                                               covers=("covers", "mean"))
    return frame.round(3).reset_index().to_dict(orient="records")


def lean_checks(seeds=range(11, 23)) -> dict:
    """The null's previous-grade terms on the same seeds: as the script fits them, without school effects,
    with the sequence question alone, and with no inspector differences."""
    out = {}
    for label, truth, research in (("default", NULL, "all"), ("sd_school 0", replace(NULL, sd_school=0.0), "all"),
                                   ("sequence only", NULL, ("sequence",)),
                                   ("sd_inspector 0", replace(NULL, sd_inspector=0.0), "all")):
        means = []
        for seed in seeds:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                m = InspectorModel(research=research).fit(simulate_research(truth, seed=seed), seed=2, **SHORT)
            means.append(logit_rows(m).loc[["previous_grade[inadequate]", "previous_grade[outstanding]"], "mean"])
        out[label] = pd.DataFrame(means).agg(["mean", "std"]).round(3).to_dict()
    return out


if __name__ == "__main__":
    R = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    t0 = time.perf_counter()
    result = {"default_fits": default_fits(), "strong_inspector_null": strong_inspectors(),
              "replications": replications(R)}
    result["wall_seconds"] = round(time.perf_counter() - t0)
    print(json.dumps(result, indent=1, default=float))
