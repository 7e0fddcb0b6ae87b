"""Generalizability theory: G studies and D studies for one rater facet.

Designs (Brennan 2001, ch. 2-3; Shavelson & Webb 1991, ch. 2-6), for a units
("persons", p) x raters (r) matrix with ``NaN`` for missing ratings:

* ``"crossed"`` -- p x r: every rater could rate every unit.  Components ``p``, ``r`` and
  ``pr,e`` (interaction confounded with error).  Estimated with the same Henderson
  method III moment estimator as :mod:`inspect_audit.agreement.icc`, so incomplete units
  are kept.
* ``"nested"`` -- r:p: each unit has its own raters (the columns are rating slots, not
  people).  Components ``p`` and ``r:p,e`` (rater, interaction and error confounded),
  from the unbalanced one-way ANOVA estimator of the same module.

D study for ``n'`` raters per unit:

* crossed: ``G = s2_p / (s2_p + s2_pr,e / n')`` (relative error, rank ordering), and
  ``Phi = s2_p / (s2_p + (s2_r + s2_pr,e) / n')`` (absolute error, the grade itself);
* nested: ``G = Phi = s2_p / (s2_p + s2_r:p,e / n')``.

With complete data, crossed ``G`` at ``n' = k`` equals ICC(3,k) = ICC(C,k) and ``Phi``
equals ICC(2,k) = ICC(A,k); both follow the Spearman-Brown projection in ``n'``.
Negative variance estimates are set to zero (Brennan 2001, sec. 3.4) unless
``clip_negative=False``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from inspect_audit._core.intervals import CI_PROB, percentile_interval
from inspect_audit.agreement.icc import (
    VarianceComponents,
    bootstrap_components,
    variance_components,
)

__all__ = ["COMPONENTS", "g_study", "d_study", "raters_needed"]

COMPONENTS = {
    "crossed": ("p", "r", "pr,e"),
    "nested": ("p", "r:p,e"),
}

_DESCRIPTIONS = {
    "p": "units (universe-score variance)",
    "r": "raters (leniency/severity)",
    "pr,e": "unit x rater interaction and residual error",
    "r:p,e": "raters within units, interaction and residual error",
}


def _components(vc: VarianceComponents, design: str, clip_negative: bool) -> np.ndarray:
    if design == "crossed":
        v = np.array([vc.unit, vc.rater, vc.residual])
    else:
        v = np.array([vc.unit_oneway, vc.within_oneway])
    if clip_negative:
        v = np.where(v < 0, 0.0, v)
    return v


def g_study(x, design: str = "crossed", *, clip_negative: bool = True, n_boot: int = 0,
            seed: int | None = 0) -> pd.DataFrame:
    """Variance components of a G study with one rater facet.

    ``x`` is a units x raters matrix (``NaN`` = missing).  Returns a frame with columns
    ``component`` (``p``, ``r``, ``pr,e`` for crossed; ``p``, ``r:p,e`` for nested),
    ``variance`` and ``share`` (of the total).  ``attrs`` carries ``design``,
    ``n_units``, ``n_raters``, ``k_harmonic``, ``method`` and, when ``n_boot > 0``,
    ``bootstrap``: ``n_boot`` tuples of components re-estimated on a seeded bootstrap
    over units (used by :func:`d_study` for intervals).  Raters are held fixed in that
    bootstrap, so intervals for ``Phi`` (which involves the rater variance) are too
    narrow when there are few raters.

    Examples
    --------
    Shrout & Fleiss (1979): six targets, four judges, every judge rating every target.

    >>> import numpy as np
    >>> from inspect_audit.agreement.gtheory import d_study, g_study
    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> g = g_study(x)
    >>> g.round(3)
      component  variance  share
    0         p     2.556  0.290
    1         r     5.244  0.595
    2      pr,e     1.019  0.116
    >>> d_study(g, n_raters=[1, 4]).round(2)
       n_raters  g_coefficient  phi_coefficient
    0         1           0.71             0.29
    1         4           0.91             0.62
    """
    if design not in COMPONENTS:
        raise ValueError(f"design must be one of {sorted(COMPONENTS)}, got {design!r}")
    vc = variance_components(x)
    v = _components(vc, design, clip_negative)
    total = v.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = v / total
    names = COMPONENTS[design]
    out = pd.DataFrame({"component": list(names), "variance": v, "share": share})
    estimator = ("Henderson method III (unbalanced two-way ANOVA)" if design == "crossed"
                 else "unbalanced one-way ANOVA")
    out.attrs.update({
        "design": design,
        "n_units": int(vc.n_units),
        "n_raters": int(vc.n_raters),
        "k_harmonic": float(vc.k_harmonic),
        "method": (f"G study, {'p x r' if design == 'crossed' else 'r:p'} design; "
                   f"{estimator} moment estimates"
                   + ("; negative estimates set to 0" if clip_negative else "")),
        "descriptions": {n: _DESCRIPTIONS[n] for n in names},
        "bootstrap": None,
    })
    if n_boot > 0:
        reps = np.array([_components(r, design, clip_negative)
                         for r in bootstrap_components(x, n_boot, seed)])
        # a tuple (not an array) so pandas can compare attrs, e.g. in pd.concat
        out.attrs["bootstrap"] = tuple(map(tuple, reps.tolist()))
        out.attrs["n_boot"] = int(n_boot)
        out.attrs["seed"] = seed
    return out


def _as_components(components) -> tuple[str, np.ndarray, np.ndarray | None]:
    """Design, component vector and bootstrap replicates from a g_study frame or mapping."""
    if isinstance(components, pd.DataFrame):
        mapping = dict(zip(components["component"], components["variance"]))
        reps = components.attrs.get("bootstrap")
    elif isinstance(components, Mapping):
        mapping, reps = dict(components), None
    else:
        raise TypeError("components must be a g_study() frame or a mapping name -> variance")
    for design, names in COMPONENTS.items():
        if set(mapping) == set(names):
            return design, np.array([mapping[n] for n in names], float), reps
    raise ValueError(f"components must be exactly one of {list(COMPONENTS.values())}, "
                     f"got {sorted(mapping)}")


def _coefficients(v: np.ndarray, design: str, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G and Phi for component vectors ``v`` (..., c) at rater counts ``n``."""
    v = np.asarray(v, float)
    p = v[..., 0:1]
    with np.errstate(invalid="ignore", divide="ignore"):
        if design == "crossed":
            g = p / (p + v[..., 2:3] / n)
            phi = p / (p + (v[..., 1:2] + v[..., 2:3]) / n)
        else:
            g = phi = p / (p + v[..., 1:2] / n)
    return g, phi


def d_study(components, n_raters: Iterable[int] = range(1, 11), *,
            ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Projected reliability with ``n'`` raters per unit.

    ``components`` is a :func:`g_study` frame (or a mapping of component name to
    variance).  Returns ``n_raters``, ``g_coefficient`` (relative: ranking units) and
    ``phi_coefficient`` (absolute: the grade a unit gets); when the G study was
    bootstrapped, also percentile intervals ``g_low``, ``g_high``, ``phi_low``,
    ``phi_high`` at ``ci_prob``.

    Examples
    --------
    >>> import numpy as np
    >>> from inspect_audit.agreement.gtheory import d_study, g_study
    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> d_study(g_study(x), n_raters=[1, 2, 4, 8])[["n_raters", "g_coefficient", "phi_coefficient"]].round(2)
       n_raters  g_coefficient  phi_coefficient
    0         1           0.71             0.29
    1         2           0.83             0.45
    2         4           0.91             0.62
    3         8           0.95             0.77
    """
    design, v, reps = _as_components(components)
    n = np.asarray(list(n_raters), float)
    if n.size == 0 or (n <= 0).any():
        raise ValueError("n_raters must be positive")
    g, phi = _coefficients(v, design, n)
    out = pd.DataFrame({"n_raters": n.astype(int) if np.all(n == n.round()) else n,
                        "g_coefficient": g, "phi_coefficient": phi})
    if reps is not None and len(reps):
        reps = np.asarray(reps, float)
        gb, phib = _coefficients(np.asarray(reps), design, n)
        gci = np.array([percentile_interval(gb[:, j], ci_prob) for j in range(n.size)])
        pci = np.array([percentile_interval(phib[:, j], ci_prob) for j in range(n.size)])
        out["g_low"], out["g_high"] = gci[:, 0], gci[:, 1]
        out["phi_low"], out["phi_high"] = pci[:, 0], pci[:, 1]
    out.attrs["design"] = design
    out.attrs["method"] = (
        f"D study, {'p x r' if design == 'crossed' else 'r:p'} design; "
        "G = relative (consistency), Phi = absolute agreement"
        + (f"; percentile bootstrap over units, {ci_prob:.0%}" if reps is not None else ""))
    return out


def raters_needed(components, target: float = 0.80, coefficient: str = "phi",
                  max_raters: int = 1000) -> int | None:
    """Smallest number of raters per unit whose projected ``phi`` (or ``g``) reaches
    ``target``; ``None`` if not reached within ``max_raters``."""
    if coefficient not in ("phi", "g"):
        raise ValueError("coefficient must be 'phi' or 'g'")
    design, v, _ = _as_components(components)
    n = np.arange(1, max_raters + 1, dtype=float)
    g, phi = _coefficients(v, design, n)
    vals = phi if coefficient == "phi" else g
    hit = np.nonzero(vals >= target)[0]
    return int(n[hit[0]]) if hit.size else None
