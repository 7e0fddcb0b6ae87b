"""Multi-perspective climate surveys (staff and pupils) driven by a latent school climate.

Model (all latent variables standardised):

    climate_m      = rho * quality_z_m + sqrt(1 - rho^2) * N(0, 1)     (quality = x'beta + s_m)
    climate_mw     = climate_m + drift_mw,  drift ~ N(0, WAVE_DRIFT^2)    (per wave)
    D_mwd          = DIM_LOADING * climate_mw + sqrt(1 - DIM_LOADING^2) * N(0, 1)   (dimension d)
    theta_rd       = sqrt(icc) * D_mwd + sqrt(1 - icc) * (sqrt(.5) * P_r + sqrt(.5) * N(0, 1))
    x*_ri          = lambda_i * theta_rd + sqrt(1 - lambda_i^2) * N(0, 1)
    response_ri    = likert(x*_ri)            (reverse-coded items: 6 - likert(x*_ri))

P_r is a respondent's general tendency (shared across dimensions). A "don't know" is missing.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from inspect_audit.data import schemas
from inspect_audit.data.simulate.config import SimulationConfig
from inspect_audit.data.simulate.core import cronbach_alpha, likert

THRESHOLDS = np.array([-1.8, -1.0, -0.2, 0.9])  # 1 strongly disagree ... 5 strongly agree
DIM_LOADING = 0.8
WAVE_DRIFT = 0.25
WAVES = ("2023-summer", "2024-summer")
STAFF_ROLES = (["teacher", "support_staff", "leader"], [0.6, 0.3, 0.1])
YEAR_GROUPS = {"primary": [f"year_{y}" for y in range(3, 7)],
               "secondary": [f"year_{y}" for y in range(7, 12)]}
LOADING_RANGE = (0.55, 0.85)


def climate_items() -> pd.DataFrame:
    """The bundled climate item set (``inspect_audit/data/survey_items_climate.csv``)."""
    path = resources.files("inspect_audit") / "data" / "survey_items_climate.csv"
    with path.open("r", encoding="utf-8") as fh:
        items = pd.read_csv(fh, dtype={"item_id": str, "respondent_group": str, "dimension": str,
                                       "text": str, "reverse_coded": str}, keep_default_na=False)
    items["reverse_coded"] = items["reverse_coded"].str.lower().map({"true": True, "false": False})
    if items["reverse_coded"].isna().any():
        raise ValueError("survey_items_climate.csv: reverse_coded must be true or false")
    return items[schemas.columns("survey_items")].astype({"reverse_coded": bool})


def item_loadings(items: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    lam = rng.uniform(*LOADING_RANGE, size=len(items))
    return np.where(items["reverse_coded"].to_numpy(), 0.85 * lam, lam)


def _responses(theta: np.ndarray, lam: np.ndarray, reverse: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Likert codes (n x items) from dimension scores already expanded to items (n x items)."""
    x = lam * theta + np.sqrt(1 - lam**2) * rng.normal(size=theta.shape)
    code = likert(x, THRESHOLDS)
    return np.where(reverse, 6 - code, code)


def true_reliability(items: pd.DataFrame, lam: np.ndarray, rng: np.random.Generator,
                     n: int = 20000) -> dict[str, dict]:
    """Per dimension: omega of the continuous items and population alpha of the recoded Likert codes."""
    out = {}
    for (group, dim), part in items.groupby(["respondent_group", "dimension"], sort=False):
        idx = part.index.to_numpy()
        lm = lam[idx]
        theta = rng.normal(size=(n, 1))
        codes = _responses(np.repeat(theta, len(idx), axis=1), lm, part["reverse_coded"].to_numpy(), rng)
        recoded = np.where(part["reverse_coded"].to_numpy(), 6 - codes, codes)
        omega = lm.sum() ** 2 / (lm.sum() ** 2 + (1 - lm**2).sum())
        out[str(dim)] = {"respondent_group": str(group), "items": part["item_id"].tolist(),
                         "omega_latent": float(omega), "alpha_likert": cronbach_alpha(recoded)}
    return out


def make_survey(cfg: SimulationConfig, schools: pd.DataFrame, quality: np.ndarray,
                rng: np.random.Generator, rng_items: np.random.Generator,
                rng_truth: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    items = climate_items()
    lam = item_loadings(items, rng_items)
    reliability = true_reliability(items, lam, rng_truth)
    n = len(schools)
    qz = (quality - quality.mean()) / quality.std()
    rho = cfg.climate_quality_corr
    climate = rho * qz + np.sqrt(1 - rho**2) * rng.normal(size=n)
    n_survey = min(cfg.survey_n_schools, n)
    sel = np.sort(rng.choice(n, size=n_survey, replace=False))
    two = rng.random(n_survey) < cfg.survey_two_wave_share
    phase = schools["phase"].to_numpy()
    pupils = schools["pupils"].to_numpy()
    urns = schools["urn"].to_numpy()
    frames, climate_wave = [], {}
    icc = cfg.survey_icc
    for k, m in enumerate(sel):
        for wave in (WAVES if two[k] else WAVES[-1:]):
            c_w = climate[m] + WAVE_DRIFT * rng.normal()
            climate_wave[f"{urns[m]}|{wave}"] = float(c_w)
            for group in ("staff", "pupil"):
                part = items[items["respondent_group"] == group]
                dims = list(dict.fromkeys(part["dimension"]))
                d_of_item = part["dimension"].map({d: i for i, d in enumerate(dims)}).to_numpy()
                if group == "staff":
                    r = rng.poisson(max(cfg.staff_per_pupil * pupils[m], 1.0))
                    sub = np.array(STAFF_ROLES[0])[rng.choice(3, size=r, p=STAFF_ROLES[1])]
                else:
                    r = rng.poisson(max(min(cfg.pupil_response_share * pupils[m], 150.0), 1.0))
                    years = YEAR_GROUPS[phase[m]]
                    sub = np.array(years)[rng.integers(0, len(years), size=r)]
                d_school = DIM_LOADING * c_w + np.sqrt(1 - DIM_LOADING**2) * rng.normal(size=len(dims))
                general = rng.normal(size=(r, 1))
                theta = (np.sqrt(icc) * d_school[None, :]
                         + np.sqrt(1 - icc) * (np.sqrt(0.5) * general + np.sqrt(0.5) * rng.normal(size=(r, len(dims)))))
                codes = _responses(theta[:, d_of_item], lam[part.index.to_numpy()],
                                   part["reverse_coded"].to_numpy(), rng).astype(float)
                codes[rng.random(codes.shape) < cfg.dont_know_rate] = np.nan
                prefix = "S" if group == "staff" else "P"
                rid = np.array([f"{prefix}{i + 1:04d}" for i in range(r)])
                frames.append(pd.DataFrame({
                    "urn": urns[m], "wave": wave, "respondent_group": group,
                    "respondent_id": np.repeat(rid, len(part)),
                    "item_id": np.tile(part["item_id"].to_numpy(), r),
                    "response": codes.ravel(), "subgroup": np.repeat(sub, len(part))}))
    cols = schemas.columns("survey_responses")
    if frames:
        responses = pd.concat(frames, ignore_index=True)[cols]
    else:
        responses = pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    responses["response"] = responses["response"].astype("Int64")
    truth = {
        "model": __doc__.split("\n\n", 1)[1].strip(),
        "climate_quality_corr": rho, "dimension_loading_on_climate": DIM_LOADING, "wave_drift_sd": WAVE_DRIFT,
        "icc": icc, "likert_thresholds": THRESHOLDS.tolist(), "dont_know_rate": cfg.dont_know_rate,
        "item_loadings": dict(zip(items["item_id"].tolist(), lam.tolist())),
        "reliability": reliability,
        "reliability_note": "omega_latent: reliability of the sum of the continuous item latents; "
                            "alpha_likert: population Cronbach's alpha of the 1-5 codes after recoding "
                            "reverse-coded items (6 - x), over respondents in all schools",
        "school_climate": {str(urns[m]): float(climate[m]) for m in sel},
        "school_climate_by_wave": climate_wave,
    }
    return items, responses, truth
