"""Pure building blocks of the generative model (no tables, no I/O).

The grade model is M1 of the design note: a cumulative logit on a latent scale where higher
is better. With cutpoints c_1 < c_2 < c_3 and y* = eta + e, e ~ Logistic(0, 1),

    better-is-higher grade k (0 = Inadequate ... 3 = Outstanding)  <=>  c_k < y* <= c_{k+1}

(c_0 = -inf, c_4 = +inf). ``pm.OrderedLogistic(eta, cutpoints)`` has the same likelihood.
Ofsted code = 4 - k (1 = Outstanding ... 4 = Inadequate).
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit

from inspect_audit._core.cumulative_logit import category_probs, grades_from_latent


def rng_for(seed: int, component: str) -> np.random.Generator:
    """An independent random stream for one component (fixed by seed and component name).

    Each component gets its own stream, so changing the size of one component (e.g. the
    number of survey schools) does not change the draws of the others.
    """
    key = zlib.crc32(component.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(key,)))


def latent_from_eta(eta: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """y* = eta + e with e ~ Logistic(0, 1)."""
    eta = np.asarray(eta, dtype=float)
    return eta + rng.logistic(0.0, 1.0, size=eta.shape)


grade_from_latent = grades_from_latent  # the shared maths (inspect_audit._core.cumulative_logit)


def sample_ordinal(eta: np.ndarray, cutpoints: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw (y*, better-is-higher grade) from the cumulative-logit model at linear predictor eta."""
    ystar = latent_from_eta(eta, rng)
    return ystar, grade_from_latent(ystar, cutpoints)


def category_probabilities(eta: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """P(grade = k | eta), shape (n, K), better-is-higher order (column 0 = worst)."""
    return category_probs(cutpoints, np.atleast_1d(np.asarray(eta, dtype=float)))


def to_ofsted(grade_bih: np.ndarray, n_levels: int = 4) -> np.ndarray:
    """Better-is-higher category (0 = worst) to Ofsted code (1 = best)."""
    return n_levels - np.asarray(grade_bih, dtype=int)


def calibrate_cutpoints(eta: np.ndarray, shares_best_first: tuple[float, ...]) -> np.ndarray:
    """Cutpoints giving the target category shares in expectation over the given eta values.

    ``shares_best_first`` are in Ofsted order (best first); the cutpoints returned are on the
    better-is-higher scale. Each cutpoint solves mean_i F(c_k - eta_i) = P(grade <= k).
    """
    eta = np.asarray(eta, dtype=float)
    worst_first = np.asarray(shares_best_first, dtype=float)[::-1]
    cum = np.cumsum(worst_first)[:-1]
    lo, hi = eta.min() - 30, eta.max() + 30
    return np.array([brentq(lambda c, p=p: expit(c - eta).mean() - p, lo, hi, xtol=1e-10) for p in cum])


def calibrate_intercept(linear: np.ndarray, target: float) -> float:
    """Intercept alpha with mean_i expit(alpha + linear_i) = target."""
    linear = np.asarray(linear, dtype=float)
    if linear.size == 0:
        return float(np.log(target / (1 - target)))
    return float(brentq(lambda a: expit(a + linear).mean() - target, -40, 40, xtol=1e-10))


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of a respondents x items array (complete rows)."""
    items = np.asarray(items, dtype=float)
    k = items.shape[1]
    total = items.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - items.var(axis=0, ddof=1).sum() / total))


def likert(latent: np.ndarray, thresholds: np.ndarray, scale_min: int = 1) -> np.ndarray:
    """Discretise continuous latent responses into Likert codes scale_min .. scale_min + len(thresholds)."""
    return scale_min + np.searchsorted(np.asarray(thresholds, dtype=float), latent, side="left")
