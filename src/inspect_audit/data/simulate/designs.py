"""Designs for testing the inspector model on data it was not tuned to (the calibration grid).

A second, deliberately plain generator, written apart from :func:`inspect_audit.data.simulate.simulate`
(the demo simulator): schools, inspectors and inspections are drawn from a short description
(:class:`GridDesign`) and grades from a cumulative-logit truth with logistic errors. It varies what the
demo simulator keeps fixed: size, number of inspectors, workload tails (many inspectors with a handful of
inspections), academic years and frameworks, the 4- and 5-point scales, no inspector or year effect at all.
The truth is returned beside the tables, so recovery and false flags can be scored.

Latent scale: better-is-higher, as in the model; *severity* = -effect (positive = harsher).

Examples
--------
>>> from inspect_audit.data.simulate.designs import GRID, simulate_design
>>> data = simulate_design(GRID["tiny"], seed=1)
>>> len(data["inspections"]), data["inspectors"]["inspector_id"].nunique()
(400, 25)
>>> round(float(data.truth["severity"].std()), 1) > 0
True
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit._core.cumulative_logit import grades_from_latent

REGIONS = ("north_east", "north_west", "yorkshire_and_the_humber", "east_midlands", "west_midlands",
           "east_of_england", "london", "south_east", "south_west")
#: first and last academic year of each legacy framework the generator can use, and its report-card successor
FRAMEWORK_YEARS = {"section5_2009": (2009, 2011), "section5_2012": (2012, 2014), "cif_2015": (2015, 2018),
                   "eif_2019": (2019, 2024), "report_card_2025": (2025, 2025)}


@dataclass(frozen=True)
class GridDesign:
    """A design of the calibration grid (sizes, effects, scale). Effects on the latent logit scale."""

    name: str
    n_inspections: int
    n_inspectors: int
    n_schools: int
    frameworks: tuple[str, ...] = ("eif_2019",)
    area: str = "overall_effectiveness"
    sd_inspector: float = 0.5
    sd_school: float = 0.8
    sd_year: float = 0.0  #: SD of academic-year x framework effects (0 = none)
    beta_fsm: float = -0.15  #: per FSM quintile more deprived (better-is-higher scale)
    beta_progress: float = 0.5
    n_planted: int = 0  #: extreme inspectors planted at +-planted_effect (half each way)
    planted_effect: float = 1.5
    workload: str = "even"  #: "even" (Poisson-like) or "long_tail" (Pareto: many inspectors with <= 5)
    cut_shares: tuple[float, ...] | None = None  #: grade shares best first (default: a typical spread)
    notes: str = ""
    extra: dict = field(default_factory=dict)

    def scale_name(self) -> str:
        return schemas.framework_areas(self.frameworks[-1])[self.area]


#: The grid the model card reports (``scripts/calibrate_inspector_grid.py``); test-suite cases use the small ones.
GRID: dict[str, GridDesign] = {d.name: d for d in [
    GridDesign("tiny", 400, 25, 300, notes="a union's dataset: 400 inspections, 25 inspectors"),
    GridDesign("no_year_effect", 3000, 150, 1500, sd_year=0.0, n_planted=6,
               notes="no true year effect, every cell large (the failure reported in the issue)"),
    GridDesign("strong_years", 4000, 120, 2000, frameworks=("section5_2012", "cif_2015", "eif_2019"),
               sd_year=0.6, n_planted=6, notes="strong year effects over 13 years and 3 frameworks"),
    GridDesign("no_inspector_variation", 3000, 150, 1500, sd_inspector=0.0, sd_year=0.2,
               notes="null: no inspector differences at all"),
    GridDesign("long_tail", 3000, 400, 1500, workload="long_tail", n_planted=6,
               notes="most inspectors lead <= 5 inspections"),
    GridDesign("report_card_5", 2500, 100, 2500, frameworks=("report_card_2025",), area="achievement",
               sd_school=0.0, n_planted=6, cut_shares=(0.05, 0.2, 0.45, 0.22, 0.08),
               notes="report-card grades on the 5-point scale, one area, one inspection per school"),
    GridDesign("medium_20k", 20000, 400, 10000, sd_year=0.15, n_planted=10, notes="20,000 / 400"),
    GridDesign("national", 100000, 2000, 22000, frameworks=("cif_2015", "eif_2019"), sd_year=0.15,
               n_planted=20, notes="national size: 100,000 inspections, 2,000 inspectors"),
]}

DEFAULT_SHARES = {4: (0.15, 0.6, 0.2, 0.05), 5: (0.05, 0.2, 0.45, 0.22, 0.08)}


class DesignData(dict):
    """The four tables (a dict, as the model takes) with the generating truth in ``truth``."""

    truth: dict


def _workloads(design: GridDesign, rng: np.random.Generator) -> np.ndarray:
    """Number of inspections led by each inspector (sums to n_inspections, each >= 1)."""
    J, n = design.n_inspectors, design.n_inspections
    if design.workload == "long_tail":
        w = rng.pareto(1.1, J) + 0.05
    else:
        w = rng.gamma(8.0, 1.0, J)
    counts = np.maximum(1, np.floor(w / w.sum() * (n - J)).astype(int) + 1)
    while counts.sum() != n:  # spread the rounding remainder
        k = rng.integers(J)
        step = 1 if counts.sum() < n else -1
        if counts[k] + step >= 1:
            counts[k] += step
    return counts


def _dates(design: GridDesign, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A school day between 1 October and 30 June of one of the frameworks' academic years, kept inside the
    framework's period (``scales.json``) and before today, as the validator requires."""
    years, fws = [], []
    for fw in design.frameworks:
        a, b = FRAMEWORK_YEARS[fw]
        years += list(range(a, b + 1))
        fws += [fw] * (b - a + 1)
    k = rng.integers(len(years), size=n)
    ay, fw = np.asarray(years)[k], np.asarray(fws)[k]
    dates = pd.to_datetime([f"{y}-10-01" for y in ay]) + pd.to_timedelta(rng.integers(0, 270, size=n), unit="D")
    period = schemas.scales()["frameworks"]
    first = pd.to_datetime([period[f]["from"] for f in fw])
    last = pd.to_datetime([period[f]["to"] or pd.Timestamp.today().normalize() - pd.Timedelta(days=1) for f in fw])
    dates = pd.DatetimeIndex(np.minimum(np.maximum(dates.values, first.values), last.values))
    return np.asarray(dates.strftime("%Y-%m-%d")), fw


def simulate_design(design: GridDesign, seed: int) -> DesignData:
    """Tables ``schools``, ``inspections``, ``judgements``, ``inspectors`` and the truth for ``design``.

    Each inspection gets a school drawn at random (schools inspected 0, 1 or several times), a lead
    inspector by workload, a date in one of the frameworks' academic years, and one grade of ``design.area``.
    ``truth``: ``severity`` (per inspector id, centred: 0 = the average inspector; positive = harsher),
    ``planted`` (ids planted as extreme), ``sd_inspector``, ``beta_fsm``, ``year_effects``.
    """
    rng = np.random.default_rng(seed)
    n, J, M = design.n_inspections, design.n_inspectors, design.n_schools
    # ------------------------------------------------------------ schools
    urns = np.array([str(100000 + 7 * k) for k in range(M)])
    phase = np.where(rng.random(M) < 0.8, "primary", "secondary")
    fsm_q = rng.integers(1, 6, M)
    progress = rng.normal(0.15 * (3 - fsm_q), 1.0)
    schools = pd.DataFrame({
        "urn": urns, "name": [f"Grid school {k}" for k in range(M)], "phase": phase,
        "region": np.asarray(REGIONS)[rng.integers(len(REGIONS), size=M)],
        "pupils": np.where(phase == "primary", rng.integers(80, 600, M), rng.integers(400, 1800, M)),
        "fsm_quintile": fsm_q,
        "ks2_progress": np.where(phase == "primary", np.round(progress * 2.0, 2), np.nan),
        "progress8": np.where(phase == "secondary", np.round(progress * 0.4, 2), np.nan),
    })
    # ------------------------------------------------------------ inspectors
    ids = np.array([f"G{k:04d}" for k in range(J)])
    effect = rng.normal(0.0, design.sd_inspector, J)  # better-is-higher
    order = rng.permutation(J)
    planted = order[: design.n_planted]
    half = design.n_planted // 2
    effect[planted[:half]] = -design.planted_effect  # severe
    effect[planted[half:]] = design.planted_effect  # lenient
    inspectors = pd.DataFrame({"inspector_id": ids,
                               "gender": np.where(rng.random(J) < 0.5, "female", "male"),
                               "role": np.where(rng.random(J) < 0.3, "HMI", "OI"),
                               "serving_leader": rng.random(J) < 0.4})
    # ------------------------------------------------------------ inspections
    lead = np.repeat(np.arange(J), _workloads(design, rng))
    rng.shuffle(lead)
    school = rng.integers(M, size=n)
    dates, fws = _dates(design, n, rng)
    cells, cell_idx = np.unique(np.char.add(np.char.add(dates.astype("U4"), "/"), fws), return_inverse=True)
    year_eff = rng.normal(0.0, design.sd_year, len(cells)) if design.sd_year > 0 else np.zeros(len(cells))
    school_eff = rng.normal(0.0, design.sd_school, M) if design.sd_school > 0 else np.zeros(M)
    eta = (design.beta_fsm * (fsm_q[school] - 3) + design.beta_progress * progress[school]
           + effect[lead] + school_eff[school] + year_eff[cell_idx])
    scale = schemas.scale(design.scale_name())
    K = len(scale.codes)
    shares = np.asarray(design.cut_shares or DEFAULT_SHARES[K], dtype=float)
    # cutpoints on the better-is-higher scale from the worst grade's cumulative share upwards
    cum = np.cumsum(shares[::-1])[:-1]
    cuts = np.log(cum / (1 - cum)) + 0.0
    y = grades_from_latent(eta + rng.logistic(0.0, 1.0, n), cuts)  # 0 = worst
    grade = K - y  # code 1 = best
    inspection_id = np.array([f"GI{k:06d}" for k in range(n)])
    inspection_type = "report_card" if design.frameworks[-1] == "report_card_2025" else "graded"
    inspections = pd.DataFrame({"inspection_id": inspection_id, "urn": urns[school], "start_date": dates,
                                "framework": fws, "inspection_type": inspection_type,
                                "lead_inspector_id": ids[lead], "team_size": rng.integers(1, 5, n)})
    judgements = pd.DataFrame({"inspection_id": inspection_id, "area": design.area, "grade": grade})
    out = DesignData(schools=schools, inspections=inspections, judgements=judgements, inspectors=inspectors)
    used = np.unique(lead)
    out.truth = {"severity": pd.Series(-(effect - effect[used].mean()), index=ids),
                 "planted": set(ids[planted]), "sd_inspector": design.sd_inspector,
                 "beta_fsm": design.beta_fsm, "year_effects": pd.Series(year_eff, index=cells),
                 "design": design, "seed": seed}
    return out


def with_size(design: GridDesign, factor: float) -> GridDesign:
    """The same design with every count scaled by ``factor`` (for quick versions of the grid)."""
    return replace(design, n_inspections=max(50, int(design.n_inspections * factor)),
                   n_inspectors=max(5, int(design.n_inspectors * factor)),
                   n_schools=max(30, int(design.n_schools * factor)))


#: report-card areas every school is graded on (early years and post-16 depend on the school)
REPORT_CARD_AREAS = ("inclusion", "curriculum_and_teaching", "achievement", "attendance_and_behaviour",
                     "personal_development_and_well_being", "leadership_and_governance")


def simulate_report_cards(n_inspections: int = 1000, n_inspectors: int = 60, *, sd_inspector: float = 0.4,
                          sd_inspection: float = 1.0, beta_fsm: dict | None = None, n_planted: int = 0,
                          planted_effect: float = 1.2, seed: int = 0) -> DesignData:
    """Report cards with known truth for the multi-area model: one inspection per school, every area of
    :data:`REPORT_CARD_AREAS` graded on the 5-point scale, a lead inspector effect shared by the areas, an
    inspection effect shared by the areas, area-specific cutpoints and FSM effects (``beta_fsm``: area ->
    per-quintile effect, better-is-higher; default achievement -0.4, the others -0.1).

    ``truth``: ``severity`` (centred, positive = harsher), ``planted``, ``sd_inspector``, ``sd_inspection``,
    ``beta_fsm``.
    """
    rng = np.random.default_rng(seed)
    design = GridDesign("report_cards", n_inspections, n_inspectors, n_inspections, frameworks=("report_card_2025",),
                        area="achievement", sd_inspector=sd_inspector, sd_school=0.0, n_planted=n_planted,
                        planted_effect=planted_effect)
    one = simulate_design(design, seed)  # schools, inspectors, lead inspectors and dates of the grid generator
    ins = one["inspections"]
    schools = one["schools"].set_index("urn").loc[ins["urn"]]
    fsm = schools["fsm_quintile"].to_numpy(float) - 3.0
    severity = one.truth["severity"]
    effect = -severity.reindex(ins["lead_inspector_id"]).to_numpy()  # better-is-higher
    u = rng.normal(0.0, sd_inspection, len(ins))
    betas = {a: -0.1 for a in REPORT_CARD_AREAS} | {"achievement": -0.4} | (beta_fsm or {})
    shares = {a: DEFAULT_SHARES[5] for a in REPORT_CARD_AREAS}
    rows = []
    for k, area in enumerate(REPORT_CARD_AREAS):
        cum = np.cumsum(np.asarray(shares[area])[::-1])[:-1]
        cuts = np.log(cum / (1 - cum)) + 0.2 * (k - 2)  # areas differ in how hard their grades are
        y = grades_from_latent(betas[area] * fsm + u + effect + rng.logistic(0.0, 1.0, len(ins)), cuts)
        rows.append(pd.DataFrame({"inspection_id": ins["inspection_id"], "area": area, "grade": 5 - y}))
    out = DesignData(schools=one["schools"], inspections=ins, inspectors=one["inspectors"],
                     judgements=pd.concat(rows, ignore_index=True))
    out.truth = {"severity": severity, "planted": one.truth["planted"], "sd_inspector": sd_inspector,
                 "sd_inspection": sd_inspection, "beta_fsm": betas}
    return out
