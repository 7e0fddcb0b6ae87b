"""Summaries of posterior draws shared by the inspector and context models: thinning, equal-tailed
intervals, one-row summaries and JSON-safe values.

>>> import numpy as np
>>> thin(10, 4).tolist()
[0, 3, 6, 9]
>>> sorted(_summ(np.arange(101.0), 0.9))
['ci_high', 'ci_low', 'mean', 'median', 'sd']
"""

from __future__ import annotations

import numpy as np

from inspect_audit._core.jsonsafe import jsonable


def thin(n_total: int, n_keep: int | None) -> np.ndarray:
    """Indices of at most ``n_keep`` evenly spaced draws out of ``n_total`` (all when ``n_keep`` is None)."""
    if n_keep is None or n_total <= n_keep:
        return np.arange(n_total)
    return np.linspace(0, n_total - 1, int(n_keep)).round().astype(int)


def _interval(x: np.ndarray, prob: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    lo = (1 - prob) / 2
    q = np.quantile(x, [lo, 1 - lo], axis=axis)
    return q[0], q[1]


def _summ(x: np.ndarray, prob: float) -> dict:
    lo, hi = _interval(np.asarray(x, dtype=float), prob)
    return {"mean": float(np.mean(x)), "median": float(np.median(x)), "sd": float(np.std(x, ddof=1)),
            "ci_low": float(lo), "ci_high": float(hi)}


def _pick(s: dict) -> dict:
    return {k: s[k] for k in ("mean", "sd", "ci_low", "ci_high")}


_jsonable = jsonable  # inspect_audit._core.jsonsafe
