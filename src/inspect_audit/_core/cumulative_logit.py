"""Cumulative-logit maths shared by the models, their checks, calibration and the simulators.

One latent scale where higher is better: y* = eta + e / scale, e ~ Logistic(0, 1), and the better-is-higher
grade k (0 = worst ... K-1 = best) is the one with c_k < y* <= c_{k+1} (c_0 = -inf, c_K = +inf), so

    P(y <= k) = expit((c_{k+1} - eta) * scale)

``pm.OrderedLogistic(eta * scale, cutpoints * scale)`` has the same likelihood. Arrays broadcast: the
cutpoints' last axis is the K-1 boundaries, ``eta`` and ``scale`` carry the other axes (draws, rows).

Examples
--------
>>> import numpy as np
>>> p = category_probs(np.array([-1.0, 0.5, 2.0]), np.array([0.0, 1.0]))
>>> p.shape, np.allclose(p.sum(axis=-1), 1.0)
((2, 4), True)
>>> grades_from_latent(np.array([-2.0, 0.7, 5.0]), np.array([-1.0, 0.5, 2.0])).tolist()
[0, 2, 3]
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def cumulative_probs(cutpoints: np.ndarray, eta: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """P(y <= k) for k = 0 .. K-2, shape ``broadcast(eta, scale).shape + (K-1,)``."""
    eta = np.asarray(eta, dtype=float)[..., None]
    scale = np.asarray(scale, dtype=float)[..., None]
    return expit((np.asarray(cutpoints, dtype=float) - eta) * scale)


def category_probs(cutpoints: np.ndarray, eta: np.ndarray, scale: np.ndarray | float = 1.0) -> np.ndarray:
    """P(y = k) for k = 0 .. K-1 (better-is-higher order), shape ``... + (K,)``."""
    cum = cumulative_probs(cutpoints, eta, scale)
    pad = np.zeros(cum.shape[:-1] + (1,))
    return np.diff(np.concatenate([pad, cum, pad + 1.0], axis=-1), axis=-1)


def grades_from_latent(ystar: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """Better-is-higher grade (0 .. K-1) of latent values: the number of cutpoints below y*.

    ``cutpoints`` is one vector (K-1,) or one per latent value (..., K-1)."""
    ystar = np.asarray(ystar, dtype=float)
    return (ystar[..., None] > np.asarray(cutpoints, dtype=float)).sum(axis=-1)
