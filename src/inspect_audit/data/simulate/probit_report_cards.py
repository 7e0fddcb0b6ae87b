"""Report cards from a generator unlike the multi-area model and unlike ``simulate_report_cards``.

A model tuned on its own generator fails on the next, so the multi-area model is also checked on data that
break what it does not promise: **probit** (normal) errors instead of logistic; areas loading unequally on
the inspection effect (0.7-1.3 instead of 1); early years graded only at primary and post-16 only at secondary
schools; the real bundled report cards' grade shares (grades 1 and 5 rare); Zipf-like inspector loads; and,
optionally, Student-t inspector effects. Latent scale better-is-higher::

    y*_{i,a} = fsm_a (fsm_i - 3) + loading_a u_i - severity_j[i] + e_{i,a},   e ~ N(0, 1),  u_i ~ N(0, sd_inspection^2)

FSM effects -0.3 (achievement) and -0.05 (other areas). The probit latent scale is about 1/1.7 of the logit
scale, so compare signs, correlations and nulls with a fit, not magnitudes.

Examples
--------
>>> tables, severity = probit_report_cards(120, 8, sd_inspection=2.0, inspector_sd=0.5, seed=1)
>>> sorted(tables)
['inspections', 'judgements', 'schools']
>>> round(float(severity.mean()), 12), len(severity)
(0.0, 8)
>>> bool((tables["judgements"].query("area == 'post_16'")["inspection_id"].isin(
...     tables["inspections"].loc[tables["schools"]["phase"] == "secondary", "inspection_id"])).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

#: grade shares (grade 1..5) of the 1,313 real bundled report cards (November 2025 to May 2026), rounded
REAL_SHARES = {"achievement": (0.013, 0.156, 0.526, 0.277, 0.028), "inclusion": (0.017, 0.334, 0.538, 0.099, 0.012),
               "curriculum_and_teaching": (0.008, 0.156, 0.599, 0.218, 0.019),
               "attendance_and_behaviour": (0.011, 0.302, 0.529, 0.144, 0.014),
               "personal_development_and_well_being": (0.017, 0.376, 0.553, 0.049, 0.005),
               "leadership_and_governance": (0.013, 0.218, 0.615, 0.131, 0.023),
               "early_years": (0.006, 0.247, 0.615, 0.123, 0.009), "post_16": (0.034, 0.281, 0.567, 0.112, 0.006)}


def probit_report_cards(n: int, n_inspectors: int, *, sd_inspection: float, inspector_sd: float = 0.0,
                        tail_df: float | None = None, seed: int = 0) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    """``n`` report cards (one per school) by ``n_inspectors`` simulated leads; the tables (schools,
    inspections, judgements) and the true severities (positive = harsher, centred, probit scale).

    ``inspector_sd``: SD of the inspector effects (0: none differ), drawn normal or Student-t with ``tail_df``.
    """
    rng = np.random.default_rng(seed)
    phase = rng.choice(["primary", "secondary"], n, p=[0.75, 0.25])
    fsm = rng.integers(1, 6, n)
    schools = pd.DataFrame({"urn": np.arange(200000, 200000 + n), "phase": phase, "region": rng.choice(
        ["london", "north_west", "south_east", "west_midlands"], n), "fsm_quintile": fsm, "pupils": 300})
    load = 1.0 / np.arange(1, n_inspectors + 1) ** 0.7
    ids = np.array([f"PROBIT-LEAD-{j:03d}" for j in range(n_inspectors)])
    lead = rng.choice(n_inspectors, n, p=load / load.sum())
    raw = (rng.standard_t(tail_df, n_inspectors) if tail_df else rng.normal(size=n_inspectors)) * inspector_sd
    severity = pd.Series(raw - raw.mean(), index=pd.Index(ids, name="inspector_id"), name="severity")
    inspections = pd.DataFrame({"inspection_id": [f"PROBIT-I{i:05d}" for i in range(n)], "urn": schools["urn"],
                                "start_date": "2026-02-02", "framework": "report_card_2025",
                                "inspection_type": "report_card", "lead_inspector_id": ids[lead]})
    u = rng.normal(0.0, sd_inspection, n)
    rows = []
    for area, shares in REAL_SHARES.items():
        graded = {"early_years": phase == "primary", "post_16": phase == "secondary"}.get(area, np.ones(n, bool))
        cum = np.cumsum(shares[::-1])[:-1]  # P(grade 5), P(grade 4 or worse), ... (worst first)
        cuts = norm.ppf(cum) * np.sqrt(1.0 + sd_inspection**2)
        loading = rng.uniform(0.7, 1.3)
        latent = ((-0.3 if area == "achievement" else -0.05) * (fsm - 3) + loading * u
                  - severity.to_numpy()[lead] + rng.normal(size=n))
        grade = 5 - np.searchsorted(cuts, latent)
        rows.append(pd.DataFrame({"inspection_id": inspections["inspection_id"], "area": area, "grade": grade})[graded])
    return {"schools": schools, "inspections": inspections, "judgements": pd.concat(rows, ignore_index=True)}, severity
