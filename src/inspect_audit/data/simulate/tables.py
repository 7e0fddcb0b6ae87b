"""Schools, inspectors, inspections, judgements, paired ratings and complaints."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy.special import expit, logit

from inspect_audit._core.dates import academic_year
from inspect_audit.data import schemas
from inspect_audit.data.simulate.config import SimulationConfig
from inspect_audit.data.simulate.core import calibrate_cutpoints, calibrate_intercept, grade_from_latent, sample_ordinal, to_ofsted

# Share of England's state-funded schools by region (approximate), and a regional shift in
# deprivation (SD units). Keys must be the schema's region codes (checked at use).
REGION_WEIGHTS = {"north_east": 0.045, "north_west": 0.14, "yorkshire_and_the_humber": 0.10,
                  "east_midlands": 0.09, "west_midlands": 0.11, "east_of_england": 0.12,
                  "london": 0.115, "south_east": 0.165, "south_west": 0.115}
REGION_DEPRIVATION = {"north_east": 0.45, "north_west": 0.3, "yorkshire_and_the_humber": 0.2,
                      "east_midlands": 0.0, "west_midlands": 0.25, "east_of_england": -0.25,
                      "london": 0.35, "south_east": -0.4, "south_west": -0.25}
LA_PER_REGION = {"north_east": 3, "north_west": 6, "yorkshire_and_the_humber": 4, "east_midlands": 4,
                 "west_midlands": 5, "east_of_england": 4, "london": 6, "south_east": 6, "south_west": 5}
# Sub-judgement shift relative to the overall latent (better-is-higher logits); areas not
# listed get 0. Personal development and behaviour are graded more kindly than quality.
AREA_SHIFT = {"quality_of_education": -0.1, "behaviour_and_attitudes": 0.3, "personal_development": 0.6,
              "leadership_and_management": 0.1, "early_years": 0.4, "sixth_form": 0.0,
              "quality_of_teaching_learning_and_assessment": -0.1,
              "personal_development_behaviour_and_welfare": 0.4, "outcomes_for_pupils": -0.2}
# Areas graded only where the school has that provision.
PROVISION_AREAS = {"early_years": ("primary", 0.75), "sixth_form": ("secondary", 0.6),
                   "post_16": ("secondary", 0.6)}
PROGRESS_SCALE = {"primary": 2.5, "secondary": 0.5}  # SD of ks2_progress / progress8 across schools
COVID_PAUSE = ("2020-03-17", "2021-08-31")  # no graded inspections
STAGES = ["informal", "formal", "internal_review", "independent_adjudicator"]
STAGE_P = [0.40, 0.45, 0.12, 0.03]
STAGE_DAYS = {"informal": (2, 20), "formal": (25, 70), "internal_review": (60, 150),
              "independent_adjudicator": (150, 365)}
ON_HOLD = (0.06, 365)  # share of complaints paused (e.g. pending other proceedings) and the extra days
GROUND_WEIGHTS = {"judgement_accuracy": 0.35, "inspector_conduct": 0.15, "inspection_process": 0.15,
                  "factual_accuracy": 0.10, "evidence_base": 0.12, "safeguarding": 0.03,
                  "report_content": 0.07, "other": 0.03}


def _check_codes(mapping: dict, table: str, column: str) -> None:
    allowed = set(schemas.enum(table, column))
    if not set(mapping) <= allowed:
        raise ValueError(f"simulator codes {sorted(set(mapping) - allowed)} not in {table}.{column}")


def ground_codes() -> list[str]:
    """Grounds codes, read from the complaints schema's pattern."""
    pattern = schemas.field("complaints", "grounds")["constraints"]["pattern"]
    return re.match(r"\^\(([^)]*)\)", pattern).group(1).split("|")


# --------------------------------------------------------------------------- schools

def make_schools(cfg: SimulationConfig, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    _check_codes(REGION_WEIGHTS, "schools", "region")
    n = cfg.n_schools
    pool = max(60000, 3 * n)
    urn_num = np.sort(rng.choice(np.arange(100000, 100000 + pool), size=n, replace=False))
    if urn_num.max() > 9_999_999:
        raise ValueError("too many schools for 5-7 digit URNs")
    secondary = rng.random(n) < cfg.secondary_share
    phase = np.where(secondary, "secondary", "primary")
    regions = list(REGION_WEIGHTS)
    w = np.array(list(REGION_WEIGHTS.values()))
    region = np.array(regions)[rng.choice(len(regions), size=n, p=w / w.sum())]
    la_k = rng.integers(0, 6, size=n)
    la = [f"{r.replace('_', ' ').title()} Authority {k % LA_PER_REGION[r] + 1:02d} (simulated)"
          for r, k in zip(region, la_k)]
    pupils = np.where(secondary, np.clip(rng.lognormal(np.log(1000), 0.4, n), 150, 2500),
                      np.clip(rng.lognormal(np.log(280), 0.45, n), 20, 900)).round().astype(int)
    dep = rng.normal(size=n) + np.array([REGION_DEPRIVATION[r] for r in region])
    fsm = 100 * expit(-1.7 + 0.85 * dep + 0.1 * secondary)
    fsm_q = np.zeros(n, dtype=int)
    for ph in (False, True):
        idx = np.flatnonzero(secondary == ph)
        ranks = np.argsort(np.argsort(fsm[idx], kind="stable"), kind="stable")
        fsm_q[idx] = 1 + (5 * ranks) // max(len(idx), 1)
    idaci_latent = 0.75 * (dep - dep.mean()) / dep.std() + np.sqrt(1 - 0.75**2) * rng.normal(size=n)
    idaci_q = 1 + (5 * np.argsort(np.argsort(idaci_latent, kind="stable"), kind="stable")) // n
    # progress: falls with deprivation (mediation) plus the school's own effectiveness
    delta = cfg.progress_per_quintile
    raw_z = delta * (fsm_q - 3) + np.sqrt(1 - 2 * delta**2) * rng.normal(size=n)
    scale = np.where(secondary, PROGRESS_SCALE["secondary"], PROGRESS_SCALE["primary"])
    reported = np.round(np.clip(raw_z * scale, np.where(secondary, -5, -30), np.where(secondary, 5, 30)), 2)
    progress_z = reported / scale  # the model uses the published (rounded) value
    school_effect = cfg.sigma_school * rng.normal(size=n)
    xb = (cfg.beta_fsm_direct * (fsm_q - 3) + cfg.beta_progress * progress_z
          + cfg.beta_secondary * secondary)
    frame = pd.DataFrame({
        "urn": [f"{u:06d}" for u in urn_num],
        "name": [f"Simulated School {i + 1:04d}" for i in range(n)],
        "phase": phase, "region": region, "local_authority": la, "pupils": pupils,
        "fsm_pct": np.round(fsm, 1), "fsm_quintile": fsm_q, "idaci_quintile": idaci_q,
        "ks2_progress": np.where(secondary, np.nan, reported),
        "progress8": np.where(secondary, reported, np.nan),
    })
    has_provision = rng.random(n)
    latent = {"xb": xb, "school_effect": school_effect, "progress_z": progress_z,
              "secondary": secondary, "provision_draw": has_provision}
    return frame, latent


# --------------------------------------------------------------------------- inspectors

def make_inspectors(cfg: SimulationConfig, start_year: int, rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    j = cfg.n_inspectors
    width = max(3, len(str(j)))
    ids = [f"INS-{i + 1:0{width}d}" for i in range(j)]
    gender = rng.choice(["female", "male", "unknown"], size=j, p=[0.55, 0.43, 0.02])
    hmi = rng.random(j) < cfg.hmi_share
    serving = ~hmi & (rng.random(j) < 0.7)
    background = rng.choice(["primary", "secondary", "special", "early_years", "post_16", "mixed"],
                            size=j, p=[0.45, 0.33, 0.08, 0.04, 0.03, 0.07])
    early = rng.random(j) < 0.7
    first_year = np.where(early, rng.integers(start_year - 12, start_year + 1, j),
                          rng.integers(start_year + 1, start_year + 8, j))
    regions = list(REGION_WEIGHTS)
    w = np.array(list(REGION_WEIGHTS.values()))
    home = np.array(regions)[rng.choice(len(regions), size=j, p=w / w.sum())]
    workload = rng.gamma(2.0, 1.0, j)
    z = rng.normal(size=j)
    # planted extremes: chosen among inspectors active from the start, with at least median workload
    eligible = np.flatnonzero(first_year <= start_year + 2)
    if len(eligible) < cfg.n_planted_severe + cfg.n_planted_lenient:
        eligible = np.arange(j)
    chosen = rng.choice(eligible, size=cfg.n_planted_severe + cfg.n_planted_lenient, replace=False)
    severe, lenient = np.sort(chosen[:cfg.n_planted_severe]), np.sort(chosen[cfg.n_planted_severe:])
    workload[chosen] = np.maximum(workload[chosen], np.median(workload))
    residual = cfg.sigma_inspector * z
    residual[severe] = -cfg.planted_effect
    residual[lenient] = cfg.planted_effect
    W = np.column_stack([gender == "male", hmi, serving]).astype(float)
    gamma = np.array([cfg.gamma_male, cfg.gamma_hmi, cfg.gamma_serving_leader])
    contribution = W @ gamma
    a = contribution + residual  # better-is-higher: positive = lenient
    frame = pd.DataFrame({"inspector_id": ids, "gender": gender, "role": np.where(hmi, "HMI", "OI"),
                          "serving_leader": serving, "phase_background": background,
                          "first_year_active": first_year})
    latent = {"a": a, "residual": residual, "contribution": contribution, "W": W, "home": home,
              "workload": workload, "first_year": first_year, "severe": severe, "lenient": lenient}
    return frame, latent


# --------------------------------------------------------------------------- inspections

def _inspection_days(cfg: SimulationConfig) -> pd.DatetimeIndex:
    days = pd.bdate_range(cfg.start_date, cfg.end_date)
    days = days[days.day_of_week <= 2]  # inspections start Monday to Wednesday
    days = days[(days.month != 8) & ~((days.month == 12) & (days.day > 19))]  # holidays
    return days[(days < COVID_PAUSE[0]) | (days > COVID_PAUSE[1])]


def plan_inspections(cfg: SimulationConfig, schools: pd.DataFrame, insp_latent: dict,
                     rng: np.random.Generator) -> pd.DataFrame:
    """Which school is inspected when, and by whom (allocation ignores quality, as M1 assumes)."""
    n = len(schools)
    u = rng.random(n)
    k = 1 + (u < cfg.repeat_share) + ((u < cfg.repeat_share) & (rng.random(n) < cfg.third_share))
    days = _inspection_days(cfg)
    school_idx = np.repeat(np.arange(n), k)
    order = np.concatenate([np.arange(m) for m in k])
    kk = np.repeat(k, k)
    lo = (order * len(days)) // kk
    hi = ((order + 1) * len(days)) // kk
    day_idx = lo + (rng.random(len(school_idx)) * (hi - lo)).astype(int)
    dates = days[day_idx]
    region = schools["region"].to_numpy()[school_idx]
    year = np.asarray(dates.year)
    lead = np.empty(len(school_idx), dtype=int)
    wl, home, fy = insp_latent["workload"], insp_latent["home"], insp_latent["first_year"]
    for (r, y) in sorted(set(zip(region, year))):
        rows = np.flatnonzero((region == r) & (year == y))
        weights = wl * np.where(home == r, 4.0, 1.0) * (fy <= y)
        if weights.sum() == 0:
            weights = wl.copy()
        lead[rows] = rng.choice(len(wl), size=len(rows), p=weights / weights.sum())
    secondary = schools["phase"].to_numpy()[school_idx] == "secondary"
    team = np.where(secondary, 3 + rng.binomial(3, 0.5, len(school_idx)),
                    1 + rng.binomial(2, 0.5, len(school_idx)))
    frameworks = {d: schemas.framework_for_date(d) for d in pd.unique(dates)}
    plan = pd.DataFrame({"school_idx": school_idx, "start_date": dates, "lead_idx": lead,
                         "team_size": team, "framework": [frameworks[d] for d in dates],
                         "academic_year": academic_year(dates)})
    for fw in plan["framework"].unique():
        if fw is None or schemas.framework_areas(fw).get("overall_effectiveness") != "legacy_4":
            raise ValueError(f"the simulator grades overall effectiveness on legacy_4; dates in "
                             f"{cfg.start_date}..{cfg.end_date} fall under framework {fw!r}")
    plan = plan.sort_values(["start_date", "school_idx"], kind="stable").reset_index(drop=True)
    plan["inspection_id"] = [f"SIM-{i + 1:06d}" for i in range(len(plan))]
    return plan


def year_effects(cfg: SimulationConfig, rng: np.random.Generator) -> dict[int, float]:
    first = int(academic_year(pd.DatetimeIndex([cfg.start_date]))[0])
    last = int(academic_year(pd.DatetimeIndex([cfg.end_date]))[0])
    years = np.arange(first, last + 1)
    return dict(zip(years.tolist(), (cfg.sigma_year * rng.normal(size=len(years))).tolist()))


def latest_per_school(plan: pd.DataFrame) -> np.ndarray:
    """Row positions of each school's latest inspection."""
    return plan.reset_index(drop=True).groupby("school_idx")["start_date"].idxmax().to_numpy()


def area_grades(ystar: np.ndarray, overall_bih: np.ndarray, framework: np.ndarray, has_ey: np.ndarray,
                has_sixth: np.ndarray, cuts: np.ndarray, cfg: SimulationConfig, rng: np.random.Generator,
                skip: tuple[str, ...] = ()) -> list[tuple[np.ndarray, str, np.ndarray]]:
    """Grades (Ofsted codes) per area: (row positions, area, grades). Sub-judgements share the latent."""
    out = []
    n = len(ystar)
    for fw in sorted(set(framework)):
        rows_fw = framework == fw
        for area, scale_name in schemas.framework_areas(fw).items():
            if area in skip:
                continue
            rows = rows_fw.copy()
            if area == "early_years":
                rows &= has_ey
            elif area in ("sixth_form", "post_16"):
                rows &= has_sixth
            pos = np.flatnonzero(rows)
            if area == "overall_effectiveness":
                out.append((pos, area, to_ofsted(overall_bih[pos])))
            elif scale_name == "met_not_met":
                g = overall_bih[pos]
                p = np.where(g == 0, cfg.safeguarding_not_met_if_inadequate,
                             np.where(g == 1, cfg.safeguarding_not_met_if_ri, 0.0))
                out.append((pos, area, 1 + (rng.random(len(pos)) < p).astype(int)))
            elif scale_name == "legacy_4":
                lat = ystar[pos] + AREA_SHIFT.get(area, 0.0) + cfg.subjudgement_noise * rng.normal(size=len(pos))
                out.append((pos, area, to_ofsted(grade_from_latent(lat, cuts))))
    assert all(len(p) <= n for p, _, _ in out)
    return out


def make_inspections(cfg: SimulationConfig, schools: pd.DataFrame, s_lat: dict, inspectors: pd.DataFrame,
                     i_lat: dict, t_year: dict[int, float], rng_plan: np.random.Generator,
                     rng_grade: np.random.Generator, rng_sub: np.random.Generator):
    plan = plan_inspections(cfg, schools, i_lat, rng_plan)
    m, j = plan["school_idx"].to_numpy(), plan["lead_idx"].to_numpy()
    t = plan["academic_year"].map(t_year).to_numpy(dtype=float)
    eta = s_lat["xb"][m] + s_lat["school_effect"][m] + i_lat["a"][j] + t
    latest = latest_per_school(plan)
    cuts = (np.asarray(cfg.cutpoints, dtype=float) if cfg.cutpoints is not None
            else calibrate_cutpoints(eta[latest], cfg.target_shares))
    ystar, overall = sample_ordinal(eta, cuts, rng_grade)
    secondary = s_lat["secondary"][m]
    draw = s_lat["provision_draw"][m]
    has_ey = ~secondary & (draw < PROVISION_AREAS["early_years"][1])
    has_sixth = secondary & (draw < PROVISION_AREAS["sixth_form"][1])
    parts = area_grades(ystar, overall, plan["framework"].to_numpy(), has_ey, has_sixth, cuts, cfg, rng_sub)
    ids = plan["inspection_id"].to_numpy()
    judgements = pd.concat([pd.DataFrame({"inspection_id": ids[pos], "area": area, "grade": g.astype(int),
                                          "_row": pos}) for pos, area, g in parts])
    area_order = {a: i for i, a in enumerate(dict.fromkeys(a for fw in schemas.scales()["frameworks"]
                                                           for a in schemas.framework_areas(fw)))}
    judgements["_area"] = judgements["area"].map(area_order)
    judgements = (judgements.sort_values(["_row", "_area"], kind="stable")
                  .drop(columns=["_row", "_area"]).reset_index(drop=True))
    inspections = pd.DataFrame({
        "inspection_id": ids, "urn": schools["urn"].to_numpy()[m], "start_date": plan["start_date"].to_numpy(),
        "framework": plan["framework"].to_numpy(), "inspection_type": "graded",
        "lead_inspector_id": inspectors["inspector_id"].to_numpy()[j], "team_size": plan["team_size"].to_numpy()})
    latent = {"plan": plan, "eta": eta, "ystar": ystar, "overall_bih": overall, "cutpoints": cuts,
              "latest": latest}
    return inspections, judgements, latent


# --------------------------------------------------------------------------- paired study

def make_ratings(cfg: SimulationConfig, schools: pd.DataFrame, s_lat: dict, inspectors: pd.DataFrame,
                 i_lat: dict, t_year: dict[int, float], cuts: np.ndarray,
                 rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    n = min(cfg.paired_n_schools, len(schools))
    cols = schemas.columns("ratings")
    if n == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols}), {}
    fw = schemas.framework_for_date(cfg.end_date)
    ay = int(academic_year(pd.DatetimeIndex([cfg.end_date]))[0])
    sel = np.sort(rng.choice(len(schools), size=n, replace=False))
    base = s_lat["xb"][sel] + s_lat["school_effect"][sel] + t_year[ay]
    pairs = np.array([rng.choice(len(inspectors), size=2, replace=False) for _ in range(n)])
    peer_effect = cfg.sigma_peer * rng.normal(size=cfg.n_peer_reviewers)
    self_mask = rng.random(n) < cfg.paired_self_share
    peer_mask = rng.random(n) < cfg.paired_peer_share
    peer_idx = rng.integers(0, max(cfg.n_peer_reviewers, 1), size=n)
    urns = schools["urn"].to_numpy()[sel]
    ids = inspectors["inspector_id"].to_numpy()
    pw = max(2, len(str(cfg.n_peer_reviewers)))
    raters = []  # (unit positions, rater ids, rater type, eta)
    for r in range(2):
        raters.append((np.arange(n), ids[pairs[:, r]], "inspector", base + i_lat["a"][pairs[:, r]]))
    pos = np.flatnonzero(self_mask)
    raters.append((pos, np.array([f"SELF-{u}" for u in urns[pos]]), "self_evaluation",
                   base[pos] + cfg.self_evaluation_leniency))
    pos = np.flatnonzero(peer_mask & (cfg.n_peer_reviewers > 0))
    raters.append((pos, np.array([f"PEER-{k + 1:0{pw}d}" for k in peer_idx[pos]]), "peer_reviewer",
                   base[pos] + peer_effect[peer_idx[pos]]))
    frames = []
    skip = ("early_years", "sixth_form", "post_16", "safeguarding")
    for pos, rater_ids, kind, eta in raters:
        ystar, g = sample_ordinal(eta, cuts, rng)
        fws = np.full(len(pos), fw)
        zeros = np.zeros(len(pos), dtype=bool)
        for rows, area, grades in area_grades(ystar, g, fws, zeros, zeros, cuts, cfg, rng, skip=skip):
            frames.append(pd.DataFrame({"study_id": cfg.paired_study_id, "unit_id": urns[pos][rows],
                                        "rater_id": rater_ids[rows], "rater_type": kind, "area": area,
                                        "grade": grades.astype(int), "framework": fw}))
    ratings = pd.concat(frames, ignore_index=True)[cols]
    truth = {"study_id": cfg.paired_study_id, "framework": fw, "academic_year": ay, "n_schools": int(n),
             "n_self_evaluations": int(self_mask.sum()), "n_peer_reviews": int(peer_mask.sum()),
             "self_evaluation_leniency": cfg.self_evaluation_leniency,
             "peer_reviewer_severity": {f"PEER-{k + 1:0{pw}d}": float(-e) for k, e in enumerate(peer_effect)},
             "model": "each rater draws an independent M1 grade for the same school on the same day: "
                      "y* = x'beta + s_m + t_year + rater effect + Logistic(0,1)"}
    return ratings, truth


# --------------------------------------------------------------------------- complaints

def make_complaints(cfg: SimulationConfig, inspections: pd.DataFrame, ins_lat: dict, i_lat: dict,
                    rng: np.random.Generator) -> tuple[pd.DataFrame, dict]:
    plan = ins_lat["plan"]
    grade = to_ofsted(ins_lat["overall_bih"])
    severity = -i_lat["a"][plan["lead_idx"].to_numpy()]
    base = logit(np.asarray(cfg.complaint_rate_by_grade))[grade - 1]
    p = expit(base + cfg.complaint_severity_slope * severity)
    has = rng.random(len(p)) < p
    pos = np.flatnonzero(has)
    k = len(pos)
    start = pd.DatetimeIndex(inspections["start_date"].to_numpy()[pos])
    received = start + pd.to_timedelta(rng.integers(3, 21, size=k), unit="D")
    stage = np.array(STAGES)[rng.choice(len(STAGES), size=k, p=STAGE_P)]
    lo = np.array([STAGE_DAYS[s][0] for s in stage])
    hi = np.array([STAGE_DAYS[s][1] for s in stage])
    days = lo + (rng.random(k) * (hi - lo + 1)).astype(int) + ON_HOLD[1] * (rng.random(k) < ON_HOLD[0])
    closed = received + pd.to_timedelta(days, unit="D")
    is_open = np.asarray(closed > pd.Timestamp(cfg.snapshot_date))
    codes = ground_codes()
    if not set(GROUND_WEIGHTS) <= set(codes):
        raise ValueError(f"grounds codes {sorted(set(GROUND_WEIGHTS) - set(codes))} not in the schema")
    gw = np.array([GROUND_WEIGHTS.get(c, 0.01) for c in codes])
    n_grounds = 1 + rng.binomial(2, 0.3, size=k)
    grounds = [";".join(codes[i] for i in sorted(rng.choice(len(codes), size=m, replace=False, p=gw / gw.sum())))
               for m in n_grounds]
    sev = severity[pos]
    alpha_u = calibrate_intercept(cfg.upheld_severity_slope * sev, cfg.upheld_target)
    p_up = expit(alpha_u + cfg.upheld_severity_slope * sev)
    withdrawn = rng.random(k) < cfg.withdrawn_share
    upheld_any = rng.random(k) < p_up
    full = rng.random(k) < 0.4
    outcome = np.where(withdrawn, "withdrawn", np.where(upheld_any, np.where(full, "upheld", "partially_upheld"),
                                                         "not_upheld"))
    change_p = np.where(outcome == "upheld", 0.15, np.where(outcome == "partially_upheld", 0.03, 0.0))
    changed = rng.random(k) < change_p
    frame = pd.DataFrame({
        "complaint_id": "", "inspection_id": inspections["inspection_id"].to_numpy()[pos],
        "received_date": received, "furthest_stage": stage, "grounds": grounds,
        "outcome": pd.Series(outcome, dtype="string").mask(is_open),
        "closed_date": pd.Series(closed).mask(is_open),
        "judgement_changed": pd.Series(changed, dtype="boolean").mask(is_open)})
    frame = frame.sort_values(["received_date", "inspection_id"], kind="stable").reset_index(drop=True)
    frame["complaint_id"] = [f"CMP-{i + 1:05d}" for i in range(len(frame))]
    by_grade = {}
    for g in range(1, 5):
        sel = grade == g
        by_grade[str(g)] = {"rate_at_severity_0": cfg.complaint_rate_by_grade[g - 1],
                            "expected_rate": float(p[sel].mean()) if sel.any() else None,
                            "observed_rate": float(has[sel].mean()) if sel.any() else None,
                            "n_inspections": int(sel.sum())}
    decided = ~is_open & ~withdrawn
    truth = {
        "durations_days_by_stage": STAGE_DAYS, "on_hold_share_and_extra_days": list(ON_HOLD),
        "open_rule": "a complaint whose closing date would fall after snapshot_date is open",
        "model": "P(complaint) = expit(logit(rate_by_grade[grade]) + slope * severity); "
                 "P(upheld or partially upheld | decided) = expit(alpha + slope_upheld * severity)",
        "complaint_severity_slope": cfg.complaint_severity_slope, "by_grade": by_grade,
        "upheld_alpha": alpha_u, "upheld_severity_slope": cfg.upheld_severity_slope,
        "upheld_expected_share": float(p_up.mean()) if k else None,
        "upheld_observed_share": float(upheld_any[decided].mean()) if decided.any() else None,
        "n_complaints": int(k), "n_open": int(is_open.sum()),
        "note": "judgements hold the grades as first published; judgement_changed does not alter them",
    }
    return frame, truth
