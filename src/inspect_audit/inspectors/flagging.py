"""The flag rule for inspector severity: a pure function of posterior probabilities.

An inspector is a candidate when P(severity beyond +-delta in one direction) > ``prob_threshold`` and the
Monte Carlo error of that probability is under ``mcse_max``; of the candidates (most probable first) the
largest set whose mean posterior probability of *not* being beyond delta is <= ``fdr`` is flagged (Bayesian
false-discovery control, Newton et al. 2004). Whether the fit may flag at all (its gates) is the caller's
decision, not this rule's.

Examples
--------
>>> import numpy as np
>>> flags, summary = flag_rule(np.array([0.99, 0.95, 0.2]), np.array([0.0, 0.01, 0.6]),
...                            np.array([0.005, 0.005, 0.01]))
>>> flags.tolist(), summary["n_severe"], round(summary["expected_false_flags"], 2)
(['severe', 'severe', ''], 2, 0.06)
"""

from __future__ import annotations

import numpy as np


def flag_rule(p_severe: np.ndarray, p_lenient: np.ndarray, mcse: np.ndarray, *, prob_threshold: float = 0.9,
              fdr: float = 0.10, mcse_max: float = 0.02) -> tuple[np.ndarray, dict]:
    """Flags ("severe", "lenient" or "") and a summary (counts, expected false flags)."""
    p_severe, p_lenient, mcse = (np.asarray(a, dtype=float) for a in (p_severe, p_lenient, mcse))
    flags = np.full(len(p_severe), "", dtype=object)
    summary = {"n_severe": 0, "n_lenient": 0, "expected_false_flags": 0.0}
    p = np.maximum(p_severe, p_lenient)
    cand = np.flatnonzero((p > prob_threshold) & (mcse < mcse_max))
    cand = cand[np.argsort(-p[cand], kind="stable")]
    if len(cand):
        running = np.cumsum(1 - p[cand]) / np.arange(1, len(cand) + 1)
        ok = np.flatnonzero(running <= fdr)
        chosen = cand[: ok.max() + 1] if len(ok) else cand[:0]
        for j in chosen:
            flags[j] = "severe" if p_severe[j] >= p_lenient[j] else "lenient"
        summary.update(n_severe=int(sum(f == "severe" for f in flags)),
                       n_lenient=int(sum(f == "lenient" for f in flags)),
                       expected_false_flags=float(np.sum(1 - p[chosen])))
    return flags, summary


def exceedance_probabilities(severity: np.ndarray, n_chains: int, delta: float) -> dict[str, np.ndarray]:
    """P(severity > delta), P(severity < -delta) and the Monte Carlo error of the larger, per inspector.

    ``severity``: draws (chains x draws, J), chain-major. The error uses the ESS of the indicator (ArviZ
    ``ess(method="mean")``), so autocorrelated draws are not counted as independent.
    """
    import warnings

    import arviz as az

    S, J = severity.shape
    p_sev, p_len = (severity > delta).mean(axis=0), (severity < -delta).mean(axis=0)
    p_max = np.maximum(p_sev, p_len)
    ind = np.where((p_sev >= p_len)[None, :], severity > delta, severity < -delta).astype(float)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        ess = (np.asarray(az.ess(ind.reshape(n_chains, S // n_chains, J), method="mean"), dtype=float)
               if n_chains > 1 else np.full(J, float(S)))
    ess = np.where(np.isfinite(ess) & (ess > 0), ess, float(S))
    return {"p_severe": p_sev, "p_lenient": p_len, "mcse": np.sqrt(p_max * (1 - p_max) / ess)}
