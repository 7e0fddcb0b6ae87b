"""Inspections with planted answers to the inspector research questions (sequence, phase, experience, team, conflict).

A generator of its own, written from the research questions rather than from the model that answers them:
grades are drawn **one inspection at a time in date order**, so that a lead inspector's previous grade can
shift the next one, and with the features the questions are about:

* each lead has a phase background (primary, secondary or mixed) and mostly leads schools of their own
  phase (``cross_phase_share`` of inspections go to a lead of the other phase);
* leads start in different years (``first_year_active``; some long before the data begin, so their first
  inspection *in the data* had a previous one the data do not show, as in real reports);
* team size grows with the school (secondaries get larger teams), and some schools employ a serving
  inspector (``conflict_share``).

Latent scale better-is-higher (positive = better grades), logistic errors::

    y*_i = fsm + progress + secondary + school_m + lead_j + year
           + after_lowest [lead's previous grade lowest] + after_highest [previous highest]
           + primary_lead_at_secondary + secondary_lead_at_primary
           + per_year_experience * (year - first_year_active) + per_team_member * (team - 1)
           + conflict [school employs a serving inspector] + e_i

Examples
--------
>>> from inspect_audit.data.simulate.research import ResearchTruth, simulate_research
>>> data = simulate_research(ResearchTruth(n_inspections=300, n_inspectors=12, n_schools=250), seed=3)
>>> len(data["inspections"]), sorted(data.truth["effects"])[:2]
(300, ['after_highest', 'after_lowest'])
>>> bool(data["schools"]["employs_serving_inspector"].any())
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.data.simulate.core import calibrate_cutpoints
from inspect_audit.data.simulate.designs import REGIONS, DesignData

#: Effects a :class:`ResearchTruth` can plant (latent logits, positive = better grades).
EFFECTS = ("after_lowest", "after_highest", "primary_lead_at_secondary", "secondary_lead_at_primary",
           "per_year_experience", "per_team_member", "conflict")


@dataclass(frozen=True)
class ResearchTruth:
    """Sizes and planted effects (latent logits, better-is-higher: positive = better grades).

    ``after_lowest`` / ``after_highest``: shift of a grade when the same lead's previous inspection got the
    lowest / highest grade. ``primary_lead_at_secondary`` / ``secondary_lead_at_primary``: a lead outside their
    phase. ``per_year_experience``: per year since the lead's first year. ``per_team_member``: per inspector
    beyond the first. ``conflict``: the school employs a serving inspector. ``shares``: grade shares (best first)
    the cutpoints are calibrated to, without the sequence effects.
    """

    n_inspections: int = 1500
    n_inspectors: int = 40
    n_schools: int = 1100
    first_year: int = 2016  #: calendar years of inspections: September ``first_year`` to July ``last_year``
    last_year: int = 2024
    after_lowest: float = 0.0
    after_highest: float = 0.0
    primary_lead_at_secondary: float = 0.0
    secondary_lead_at_primary: float = 0.0
    per_year_experience: float = 0.0
    per_team_member: float = 0.0
    conflict: float = 0.0
    sd_inspector: float = 0.6
    sd_school: float = 0.7
    sd_year: float = 0.1
    beta_fsm: float = -0.15
    beta_progress: float = 0.5
    secondary: float = -0.1
    cross_phase_share: float = 0.2
    conflict_share: float = 0.12
    shares: tuple[float, ...] = (0.15, 0.55, 0.2, 0.1)

    def effects(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in EFFECTS}


#: Planted effects used by the tests and the model card: each clearly non-zero, in the directions published
#: research reports or suspects (after an Inadequate, kinder; outside one's phase, harsher).
PLANTED = ResearchTruth(after_lowest=0.9, after_highest=-0.5, primary_lead_at_secondary=-0.6,
                        secondary_lead_at_primary=-0.6, per_year_experience=0.06, per_team_member=-0.25,
                        conflict=0.6)
#: The same design with no effect at all.
NULL = ResearchTruth()


def _dates(truth: ResearchTruth, n: int, rng: np.random.Generator) -> pd.DatetimeIndex:
    days = pd.bdate_range(f"{truth.first_year}-09-05", f"{truth.last_year}-07-15")
    days = days[(days.month != 8) & ~((days > "2020-03-16") & (days < "2021-09-01"))]  # summer; COVID pause
    return pd.DatetimeIndex(np.sort(days[rng.integers(len(days), size=n)].values))


def simulate_research(truth: ResearchTruth = NULL, seed: int = 0) -> DesignData:
    """Tables ``schools``, ``inspections``, ``judgements`` (overall effectiveness), ``inspectors`` and ``truth``.

    ``truth``: ``effects`` (the planted values by name), ``design`` (the :class:`ResearchTruth` as a dict),
    ``severity`` (per inspector, positive = harsher), ``realised`` (how many inspections had each feature),
    ``rows`` (per inspection, the features as the generator saw them, including a previous grade from before
    the data for leads active earlier).
    """
    rng = np.random.default_rng(seed)
    n, J, M = truth.n_inspections, truth.n_inspectors, truth.n_schools
    # ------------------------------------------------------------ schools
    secondary = rng.random(M) < 0.3
    fsm_q = rng.integers(1, 6, M)
    progress = rng.normal(0.1 * (3 - fsm_q), 1.0)
    pupils = np.where(secondary, rng.integers(500, 1800, M), rng.integers(90, 650, M))
    employs = rng.random(M) < truth.conflict_share
    urns = np.array([str(200000 + 11 * k) for k in range(M)])
    schools = pd.DataFrame({
        "urn": urns, "name": [f"Research school {k}" for k in range(M)],
        "phase": np.where(secondary, "secondary", "primary"),
        "region": np.asarray(REGIONS)[rng.integers(len(REGIONS), size=M)], "pupils": pupils,
        "fsm_quintile": fsm_q,
        "ks2_progress": np.where(secondary, np.nan, np.round(2.0 * progress, 2)),
        "progress8": np.where(secondary, np.round(0.4 * progress, 2), np.nan),
        "employs_serving_inspector": employs})
    # ------------------------------------------------------------ inspectors
    background = rng.choice(["primary", "secondary", "mixed"], size=J, p=[0.5, 0.4, 0.1])
    start = rng.integers(truth.first_year - 14, truth.last_year - 1, size=J)  # some start inside the window
    lead_effect = rng.normal(0.0, truth.sd_inspector, J)
    ids = np.array([f"R{k:03d}" for k in range(J)])
    inspectors = pd.DataFrame({"inspector_id": ids, "role": np.where(rng.random(J) < 0.25, "HMI", "OI"),
                               "phase_background": background, "first_year_active": start})
    # ------------------------------------------------------------ inspections, in date order
    dates = _dates(truth, n, rng)
    school = rng.integers(M, size=n)
    year = np.asarray(dates.year)
    own = np.where(secondary[school], "secondary", "primary")
    cross = rng.random(n) < truth.cross_phase_share
    workload = rng.gamma(4.0, 1.0, J)
    lead = np.empty(n, dtype=int)
    for i in range(n):
        want = np.where(own[i] == "primary", "secondary", "primary") if cross[i] else own[i]
        ok = (start <= year[i]) & ((background == want) | ((background == "mixed") & ~cross[i]))
        if not ok.any():
            ok = start <= year[i]
        w = workload * ok
        lead[i] = rng.choice(J, p=w / w.sum())
    team = np.where(secondary[school], 3 + rng.binomial(3, 0.5, n), 1 + rng.binomial(2, 0.5, n))
    acad = year - (np.asarray(dates.month) < 9)
    cells, cell_idx = np.unique(acad, return_inverse=True)
    year_eff = rng.normal(0.0, truth.sd_year, len(cells))
    school_eff = rng.normal(0.0, truth.sd_school, M)
    bg = background[lead]
    mismatch_ps = (bg == "primary") & secondary[school]
    mismatch_sp = (bg == "secondary") & ~secondary[school]
    experience = year - start[lead]
    base = (truth.beta_fsm * (fsm_q[school] - 3) + truth.beta_progress * progress[school]
            + truth.secondary * secondary[school] + school_eff[school] + lead_effect[lead] + year_eff[cell_idx]
            + truth.primary_lead_at_secondary * mismatch_ps + truth.secondary_lead_at_primary * mismatch_sp
            + truth.per_year_experience * experience + truth.per_team_member * (team - 1)
            + truth.conflict * employs[school])
    cuts = calibrate_cutpoints(base, truth.shares)  # better-is-higher; grade 0 = worst
    K = len(truth.shares)
    # leads active before the data begin had a previous inspection the data do not show
    hidden = np.where(start < truth.first_year, np.searchsorted(cuts, rng.logistic(lead_effect, 1.0)), -1)
    last = dict(enumerate(hidden))
    y = np.empty(n, dtype=int)
    after_low = np.zeros(n, dtype=bool)
    after_high = np.zeros(n, dtype=bool)
    for i in range(n):  # date order: the previous grade of this lead is known when the next is drawn
        prev = last[lead[i]]
        after_low[i], after_high[i] = prev == 0, prev == K - 1
        eta = base[i] + truth.after_lowest * after_low[i] + truth.after_highest * after_high[i]
        y[i] = int(np.searchsorted(cuts, eta + rng.logistic()))
        last[lead[i]] = y[i]
    inspection_id = np.array([f"RI{k:06d}" for k in range(n)])
    date_text = np.asarray(dates.strftime("%Y-%m-%d"))
    inspections = pd.DataFrame({"inspection_id": inspection_id, "urn": urns[school], "start_date": date_text,
                                "framework": [schemas.framework_for_date(d) for d in date_text],
                                "inspection_type": "graded", "lead_inspector_id": ids[lead], "team_size": team})
    judgements = pd.DataFrame({"inspection_id": inspection_id, "area": "overall_effectiveness", "grade": K - y})
    out = DesignData(schools=schools, inspections=inspections, judgements=judgements, inspectors=inspectors)
    out.truth = {"effects": truth.effects(), "design": asdict(truth), "seed": seed,
                 "severity": pd.Series(-(lead_effect - lead_effect.mean()), index=ids),
                 "cutpoints": cuts.tolist(),
                 "rows": pd.DataFrame({"inspection_id": inspection_id, "after_lowest": after_low,
                                       "after_highest": after_high, "phase_mismatch": mismatch_ps | mismatch_sp,
                                       "experience_years": experience, "team_size": team,
                                       "conflict": employs[school]}),
                 "realised": {"after_lowest": int(after_low.sum()), "after_highest": int(after_high.sum()),
                              "primary_lead_at_secondary": int(mismatch_ps.sum()),
                              "secondary_lead_at_primary": int(mismatch_sp.sum()),
                              "conflict": int(employs[school].sum()),
                              "hidden_first_previous": int((hidden >= 0).sum()),
                              "experience_range": [int(experience.min()), int(experience.max())]}}
    return out


def with_effects(truth: ResearchTruth, **effects: float) -> ResearchTruth:
    """``truth`` with some planted effects changed (names from :data:`EFFECTS`)."""
    unknown = set(effects) - set(EFFECTS)
    if unknown:
        raise ValueError(f"unknown effect(s) {sorted(unknown)}; choose from {', '.join(EFFECTS)}")
    return replace(truth, **effects)


__all__ = ["ResearchTruth", "PLANTED", "NULL", "EFFECTS", "simulate_research", "with_effects"]
