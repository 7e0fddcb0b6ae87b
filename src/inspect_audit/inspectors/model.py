"""Model M1 in PyMC: hierarchical cumulative logit with crossed random effects.

Better-is-higher latent scale (design note ``bayes-inspector-model.md`` §2)::

    y*_i  = eta_i + e_i,   e_i ~ Logistic(0, 1);   grade k  <=>  c_k < y*_i <= c_{k+1}
    eta_i = x_i'beta + a_j[i] (+ b_j[i] * fsm_i) + s_m[i] + t_cell[i]
    a_j   = w_j'gamma + sd_inspector * z_j        (w_j centred: a_j = 0 is the typical inspector)
    s_m   = sd_school * z_m                       (schools with 2+ inspections)
    t     = sd_year * z_t                         (academic year x framework cells)

Schools inspected once get no school parameter (their s_m is not identified); with
``marginalise_single`` their rows use the logistic-normal approximation
``P(y <= k) = F((c_k - eta) / tau)``, ``tau = sqrt(1 + pi sd_school^2 / 8)``, so every row has the
same latent scale. Priors (design note table): beta ~ N(0, 1), gamma ~ N(0, 0.5),
sd_inspector, sd_school ~ HalfNormal(1), sd_year ~ HalfNormal(0.5), cutpoints ~ N(mu_k, 2.5)
ordered with mu_k the logits of the observed cumulative shares; random slope (optional):
LKJ(2) correlation, slope SD HalfNormal(0.5).
"""

from __future__ import annotations

import time

import numpy as np
import pymc as pm
import pytensor.tensor as pt
from scipy.special import logit

from inspect_audit.inspectors.design import Design
from inspect_audit.inspectors.ordinal_likelihood import (cumulative_logit_logp, draw_ordered_logit,
                                                          linear_predictor)

PI_OVER_8 = np.pi / 8.0
#: Top-level priors: name -> ("normal" | "half" (half-normal), scale); used by build_model and by the
#: prior-sensitivity check (model_checks.py).
PRIOR_SCALES = {"beta": ("normal", 1.0), "gamma": ("normal", 0.5), "sd_inspector": ("half", 1.0),
                "sd_school": ("half", 1.0), "sd_year": ("half", 0.5), "sd_consistency": ("half", 0.3)}


def cutpoint_prior_means(y: np.ndarray, n_levels: int) -> np.ndarray:
    """Logits of the observed cumulative shares, spread to be strictly increasing."""
    counts = np.bincount(y, minlength=n_levels).astype(float) + 0.5
    cum = np.cumsum(counts)[:-1] / counts.sum()
    mu = logit(np.clip(cum, 0.01, 0.99))
    for k in range(1, len(mu)):
        mu[k] = max(mu[k], mu[k - 1] + 0.5)
    return mu


def anchored_cutpoints(name: str, y: np.ndarray, n_levels: int, anchor: int | None = None):
    """Ordered cutpoints built outwards from the best-identified one.

    The anchor is the cutpoint whose cumulative share is nearest 1/2; the others are reached
    by positive gaps: c_{k-1} = c_k - exp(g_{k-1}) below it, c_{k+1} = c_k + exp(g_k) above.
    Priors: anchor ~ N(mu_anchor, 2.5), log gaps ~ N(log(prior gap), 1). Building from the anchor
    (rather than from the lowest cutpoint, as the ``ordered`` transform does) keeps a rare
    extreme grade from coupling every cutpoint through one poorly identified parameter.
    ``anchor`` fixes the anchor's index (so models of different data share one graph).
    """
    mu = cutpoint_prior_means(y, n_levels)
    counts = np.bincount(y, minlength=n_levels).astype(float) + 0.5
    cum = np.cumsum(counts)[:-1] / counts.sum()
    k0 = int(np.argmin(np.abs(cum - 0.5))) if anchor is None else int(anchor)
    # prior means as data, so the compiled graph (and numba's disk cache) is reused across datasets
    mu_anchor = pm.Data(f"{name}_prior_anchor", np.asarray(mu[k0], dtype=float))
    mu_gap = pm.Data(f"{name}_prior_log_gap", np.log(np.diff(mu)))
    anchor = pm.Normal(f"{name}_anchor", mu=mu_anchor, sigma=2.5)
    log_gap = pm.Normal(f"{name}_log_gap", mu=mu_gap, sigma=1.0, shape=n_levels - 2)
    gap = pt.exp(log_gap)
    cuts = [None] * (n_levels - 1)
    cuts[k0] = anchor
    for k in range(k0 - 1, -1, -1):
        cuts[k] = cuts[k + 1] - gap[k]
    for k in range(k0 + 1, n_levels - 1):
        cuts[k] = cuts[k - 1] + gap[k - 1]
    return pm.Deterministic(name, pt.stack(cuts), dims="cut")


#: fewest year x framework cells for which ``year_effects="auto"`` estimates a between-cell SD (hierarchical
#: effects): below it the SD is barely identified (its posterior is the prior's, with a funnel at 0 that
#: gave 18-131 divergences on data with no true year effect) and the cells are fixed effects instead
HIERARCHICAL_YEAR_MIN_CELLS = 10
#: median cell size (inspections) above which ``"auto"`` keeps fixed effects even with many cells: each
#: cell's own data then outweigh what pooling would add (about 0.2 units of information per ordinal grade)
FIXED_YEAR_MIN_MEDIAN_ROWS = 50
YEAR_EFFECTS = ("auto", "fixed", "non_centred", "centred")
#: prior SD of one fixed year x framework effect (a deviation from the average cell, latent logits)
PRIOR_FIXED_YEAR = 1.0


def resolve_year_effects(d: Design, choice: str = "auto") -> tuple[str, str]:
    """The year-effect form for ``d`` and why: ``"fixed"``, ``"non_centred"``, ``"centred"`` or ``"none"``.

    ``"auto"``: one cell -> ``"none"``; fewer than :data:`HIERARCHICAL_YEAR_MIN_CELLS` cells (every real
    dataset: a handful of academic years per framework) or a median cell of at least
    :data:`FIXED_YEAR_MIN_MEDIAN_ROWS` inspections -> ``"fixed"``; many thin cells -> ``"non_centred"``
    (partial pooling of the cells through sd_year, with no funnel where sd_year is small).

    >>> from types import SimpleNamespace
    >>> import numpy as np
    >>> d = SimpleNamespace(year_cells=np.arange(6), year_idx=np.repeat(np.arange(6), 300), weights=None)
    >>> resolve_year_effects(d)[0]
    'fixed'
    """
    if choice not in YEAR_EFFECTS:
        raise ValueError(f"year_effects must be one of {', '.join(YEAR_EFFECTS)}, not {choice!r}")
    T = len(d.year_cells)
    if T <= 1:
        return "none", "one academic-year x framework cell: no year effect to estimate"
    if choice != "auto":
        return choice, "chosen by the user"
    w = None if d.weights is None else np.asarray(d.weights, dtype=float)
    counts = np.bincount(d.year_idx, weights=w, minlength=T)
    if T < HIERARCHICAL_YEAR_MIN_CELLS:
        return "fixed", f"{T} cells: too few to estimate a between-cell SD"
    if np.median(counts) >= FIXED_YEAR_MIN_MEDIAN_ROWS:
        return "fixed", f"{T} cells with a median of {np.median(counts):.0f} inspections: each cell identified"
    return "non_centred", f"{T} cells with a median of {np.median(counts):.0f} inspections: pooled"


def scale_parameter(name: str, prior_sd: float, signed: bool = True):
    """A hierarchical SD with prior HalfNormal(``prior_sd``): ``(multiplier, sd)``.

    ``signed`` (parameter expansion, Gelman et al. 2008): the sampler moves a signed scale
    ``name_signed ~ Normal(0, prior_sd)``, effects are ``name_signed * z`` and the reported SD is its absolute
    value (so |name_signed| ~ HalfNormal(prior_sd): the same prior and posterior). Where the data say the SD
    is 0, the sampler crosses 0 in a straight line instead of creeping down the long left tail of log SD
    (measured: R-hat of sd_inspector 1.019 -> see the model card, with no inspector variation at all).
    Otherwise ``HalfNormal`` on the log scale, ``multiplier`` = ``sd``.
    """
    if not signed:
        sd = pm.HalfNormal(name, prior_sd)
        return sd, sd
    signed_sd = pm.Normal(f"{name}_signed", 0.0, prior_sd)
    return signed_sd, pm.Deterministic(name, pt.abs(signed_sd))


def build_model(d: Design, *, random_slope: bool = False, centered: bool = False,
                marginalise_single: bool = True, marginal_cutpoints: bool = True, zero_sum: bool = True,
                year_effects: str = "non_centred", anchored: bool = False, cutpoint_anchor: int | None = None,
                year_mask: np.ndarray | None = None, consistency: bool = False, partial_odds_fsm: bool = False,
                prior_sd_inspector: float = PRIOR_SCALES["sd_inspector"][1],
                prior_sd_school: float = PRIOR_SCALES["sd_school"][1],
                prior_sd_year: float = PRIOR_SCALES["sd_year"][1], fused_likelihood: bool = True,
                signed_scales: bool = True) -> pm.Model:
    """The PyMC model for a :class:`Design` (all data in ``pm.Data`` containers).

    A design without inspectors (``inspector_ids`` empty) gives the context model (no inspector
    term); a design with ``weights`` uses a weighted likelihood (collapsed rows). ``year_effects``
    (see :func:`resolve_year_effects`): ``"fixed"`` (each academic-year x framework cell its own effect,
    ZeroSumNormal(:data:`PRIOR_FIXED_YEAR`), ``sd_year`` their finite-population SD), ``"non_centred"`` or
    ``"centred"`` (hierarchical, sd_year ~ HalfNormal(prior_sd_year)), ``"none"``. Centred effects are
    centred over the cells with ``year_mask`` = 1 (padding cells, mask 0, get no effect; with ``zero_sum``
    the real cells sum to zero). ``anchored`` (only with ``marginal_cutpoints=False``): conditional cutpoints built from an
    anchor, as the marginal ones, instead of the ``ordered`` transform; ``cutpoint_anchor`` fixes it.
    ``consistency``: inspector-specific consistency (design note §4): P(y <= k) = F((c_k - eta) exp(d_j)),
    d_j = sd_consistency * z_j, sd_consistency ~ HalfNormal(0.3) (tight: one grade per inspection
    identifies it weakly); d_j > 0 = more consistent (less noise) than the typical inspector.
    ``partial_odds_fsm``: partial proportional odds for deprivation: P(y <= k) = F(c_k - eta - theta_k fsm),
    theta ~ ZeroSumNormal(0.25) over the K-1 boundaries (beta_fsm stays the average effect).
    ``signed_scales``: non-centred SDs sampled as signed scales (:func:`scale_parameter`).
    ``fused_likelihood``: the random-effect gathers and the grade likelihood as one numba kernel
    (:mod:`.ordinal_likelihood`: same values and gradients as ``pm.OrderedLogistic``, half the sampling
    time at 20,000 rows); per-row cutpoints (partial odds) always use ``pm.OrderedLogistic``.
    """
    K = d.n_levels
    J, R, T = len(d.inspector_ids), len(d.repeat_urns), len(d.year_cells)
    coords = {"obs": np.arange(d.n_obs), "cov": d.cov_names, "cut": np.arange(K - 1),
              "year": d.year_cells.tolist()}
    if J:
        coords.update({"inspector": d.inspector_ids.tolist(), "insp_cov": d.w_names})
    elif random_slope or consistency:
        raise ValueError("a random slope or inspector consistency needs inspectors")
    if R:
        coords["school"] = d.repeat_urns.tolist()
    if random_slope:
        coords["insp_term"] = ["intercept", "fsm_quintile"]

    def std_normal(name, dims, n):
        # sum-to-zero over the last axis, rescaled so each element still has unit variance
        if zero_sum and n > 1:
            return pm.ZeroSumNormal(name, sigma=1.0, dims=dims) * pm.Data(f"{name}_scale", np.sqrt(n / (n - 1.0)))
        return pm.Normal(name, 0.0, 1.0, dims=dims)

    with pm.Model(coords=coords) as m:
        X = pm.Data("X", d.X, dims=("obs", "cov"))
        if J:
            W = pm.Data("W", d.W, dims=("inspector", "insp_cov"))
        y = pm.Data("y", d.y, dims="obs")
        pred = LinearPredictor()

        beta = pm.Normal("beta", 0.0, PRIOR_SCALES["beta"][1], dims="cov")
        if J:
            gamma = pm.Normal("gamma", 0.0, PRIOR_SCALES["gamma"][1], dims="insp_cov")
            wg = pt.dot(W, gamma)
        slope = None  # (no inspectors: the context model has no inspector term)
        if J and random_slope:
            chol, _, _ = pm.LKJCholeskyCov(
                "chol_inspector", n=2, eta=2.0,
                sd_dist=pm.HalfNormal.dist(sigma=np.array([prior_sd_inspector, 0.5]), shape=2),
                compute_corr=True, store_in_trace=False)
            z = std_normal("z_inspector", ("insp_term", "inspector"), J)
            ab = pt.dot(chol, z)
            sds = pt.sqrt(pt.diag(pt.dot(chol, chol.T)))
            pm.Deterministic("sd_inspector", sds[0])
            pm.Deterministic("sd_slope", sds[1])
            pm.Deterministic("corr_intercept_slope", pt.dot(chol[1], chol[0]) / (sds[0] * sds[1]))
            resid = ab[0]
            slope = pm.Deterministic("inspector_slope", ab[1], dims="inspector")
        elif J:
            mult_a, sd_a = scale_parameter("sd_inspector", prior_sd_inspector, signed_scales and not centered)
            if centered:
                if zero_sum and J > 1:
                    resid = pm.ZeroSumNormal("inspector_residual", sigma=sd_a * pm.Data(
                        "inspector_residual_scale", np.sqrt(J / (J - 1.0))), dims="inspector")
                else:
                    resid = pm.Normal("inspector_residual", 0.0, sd_a, dims="inspector")
            else:
                z = std_normal("z_inspector", "inspector", J)
                resid = mult_a * z
        if J:
            a = pm.Deterministic("inspector_effect", wg + resid, dims="inspector")

        if year_effects == "none":
            sd_t = pm.Deterministic("sd_year", pt.constant(0.0))
            t = pm.Deterministic("year_effect", pt.zeros((T,)), dims="year")
        elif year_effects == "fixed":
            # fixed effects: no between-cell SD, so no funnel; sum to zero (the cutpoints carry the mean)
            t = pm.ZeroSumNormal("year_effect", sigma=PRIOR_FIXED_YEAR, dims="year")
            sd_t = pm.Deterministic("sd_year", pt.sqrt(pt.sum(t**2) / (T - 1.0)))
        elif year_effects == "centred":
            sd_t = pm.HalfNormal("sd_year", prior_sd_year)
            # centred: better when every cell holds hundreds of inspections (context model). Centring
            # iid normals over the real cells gives the sum-to-zero normal; the scale keeps each
            # effect's marginal SD at sd_year. Mask and scale are data, so padded designs share a graph.
            mask_v = np.ones(T) if year_mask is None else np.asarray(year_mask, dtype=float)
            T_real = float(mask_v.sum())
            mask = pm.Data("year_mask", mask_v, dims="year")
            scale = pm.Data("year_effect_scale", np.sqrt(T_real / (T_real - 1.0)) if zero_sum and T_real > 1 else 1.0)
            raw = pm.Normal("year_raw", 0.0, sd_t * scale, dims="year")
            centre = pt.sum(mask * raw) / pt.sum(mask) if zero_sum else 0.0
            t = pm.Deterministic("year_effect", (raw - centre) * mask, dims="year")
        elif year_effects == "non_centred":
            mult_t, sd_t = scale_parameter("sd_year", prior_sd_year, signed_scales)
            z_t = std_normal("z_year", "year", T)
            t = pm.Deterministic("year_effect", mult_t * z_t, dims="year")
        else:
            raise ValueError(f"unknown year_effects {year_effects!r}")

        pred.offset = pt.dot(X, beta)
        pred.add_effect(t, T, d.year_idx)
        if J:
            pred.add_effect(a, J, d.insp_idx)
        if slope is not None:
            ji = pm.Data("insp_idx", d.insp_idx, dims="obs")
            pred.offset = pred.offset + slope[ji] * X[:, d.column("fsm_quintile")]
        if R:
            mult_s, sd_s = scale_parameter("sd_school", prior_sd_school, signed_scales)
            z_s = pm.Normal("z_school", 0.0, 1.0, dims="school")
            s = pm.Deterministic("school_effect", mult_s * z_s, dims="school")
            single = d.school_idx < 0  # single-inspection school: no school parameter (index R -> 0)
            pred.add_effect(pt.concatenate([s, pt.zeros((1,))]), R + 1, np.where(single, R, d.school_idx))
            if marginalise_single and single.any():
                # 1 / tau with tau = sqrt(1 + pi/8 sd_school^2) for single-inspection schools, 1 otherwise
                pred.add_scale(pt.stack([pt.constant(1.0), 1.0 / pt.sqrt(1.0 + PI_OVER_8 * sd_s**2)]), 2,
                               single.astype(np.int64))

        if consistency:
            mult_c, _ = scale_parameter("sd_consistency", PRIOR_SCALES["sd_consistency"][1], signed_scales)
            z_c = std_normal("z_consistency", "inspector", J)
            log_disc = pm.Deterministic("inspector_consistency", mult_c * z_c, dims="inspector")
            pred.add_scale(pt.exp(log_disc), J, d.insp_idx)

        mu_cut = cutpoint_prior_means(d.y, K)
        if marginal_cutpoints:
            # Cutpoints on the marginal (population-averaged) scale: random-effect variances
            # stretch the conditional cutpoints by about sqrt(1 + pi/8 * total variance), which
            # creates a curved ridge between cutpoints and SDs; sampling the marginal cutpoints
            # (identified by the grade shares alone) removes it.
            var_re = sd_t**2 + (sd_s**2 if R else 0.0)
            if J:
                var_re = var_re + (sds[0] ** 2 if random_slope else sd_a**2)
            stretch = pt.sqrt(1.0 + PI_OVER_8 * var_re)
            cut_m = anchored_cutpoints("cutpoints_marginal", d.y, K)
            cut = pm.Deterministic("cutpoints", cut_m * stretch, dims="cut")
        elif anchored:
            cut = anchored_cutpoints("cutpoints", d.y, K, anchor=cutpoint_anchor)
        else:
            cut = pm.Normal("cutpoints", mu=pm.Data("cutpoints_prior_mean", mu_cut), sigma=2.5,
                            transform=pm.distributions.transforms.ordered, dims="cut")
        if partial_odds_fsm:
            theta = pm.ZeroSumNormal("fsm_boundary_deviation", sigma=0.25, dims="cut")
            cut = cut[None, :] - X[:, d.column("fsm_quintile")][:, None] * theta[None, :]  # (n, K-1) per row
        _grade_likelihood(d, pred, cut, y, per_row_cut=partial_odds_fsm, fused=fused_likelihood)
    return m


class LinearPredictor:
    """eta_i = offset_i + sum_g effect_g[index_g[i]] and the row scale s_i = prod_h scale_h[index_h[i]]
    (1 / tau; s = 1 when there are no scale terms), collected while the model is built. Index arrays are
    numpy (from the design); they enter the graph as ``pm.Data`` so a compiled model can take new data."""

    def __init__(self):
        self.offset = None
        self.effects: list = []
        self.scales: list = []

    def add_effect(self, values, size: int, index: np.ndarray) -> None:
        """Add ``values`` (a vector of ``size``) at ``index`` to every row's eta."""
        self.effects.append((values, size, np.asarray(index, dtype=np.int64)))

    def add_scale(self, values, size: int, index: np.ndarray) -> None:
        """Multiply every row's scale by ``values`` (positive, a vector of ``size``) at ``index``."""
        self.scales.append((values, size, np.asarray(index, dtype=np.int64)))

    @staticmethod
    def _packed(name: str, terms: list, n: int):
        """All terms' values in one vector and an (n, terms) index matrix into it."""
        if not terms:
            return pt.zeros((0,), dtype="float64"), pm.Data(name, np.zeros((n, 0), dtype=np.int64))
        starts = np.cumsum([0] + [size for _, size, _ in terms[:-1]])
        index = np.column_stack([idx + start for (_, _, idx), start in zip(terms, starts)])
        return pt.concatenate([pt.as_tensor_variable(v).astype("float64") for v, _, _ in terms]), pm.Data(name, index)

    def packed(self, n: int):
        """(offset, effects, effect_idx, scales, scale_idx) for :func:`cumulative_logit_logp`."""
        effects, effect_idx = self._packed("effect_idx", self.effects, n)
        scales, scale_idx = self._packed("scale_idx", self.scales, n)
        return self.offset, effects, effect_idx, scales, scale_idx


def _grade_likelihood(d: Design, pred: LinearPredictor, cut, y, *, per_row_cut: bool, fused: bool) -> None:
    """The observed grades: P(y <= k) = F((c_k - eta) s); weighted rows (``d.weights``, collapsed
    identical rows) enter as a potential. ``fused``: one numba kernel (:mod:`.ordinal_likelihood`, same
    values and gradients as ``pm.OrderedLogistic``); per-row cutpoints (partial odds) always use
    ``pm.OrderedLogistic``."""
    if d.weights is not None and pred.scales:
        raise ValueError("weighted (collapsed) rows are for models without school effects")
    offset, effects, effect_idx, scales, scale_idx = pred.packed(d.n_obs)
    w = pm.Data("weights", np.asarray(d.weights, dtype=float), dims="obs") if d.weights is not None else None
    if fused and not per_row_cut:
        if w is not None:
            pm.Potential("grade_loglik", cumulative_logit_logp(offset, effects, effect_idx, scales, scale_idx,
                                                               cut, y, weights=w))
        else:
            pm.CustomDist("grade", offset, effects, effect_idx, scales, scale_idx, cut, logp=_fused_logp,
                          random=_fused_random, signature="(n),(m),(n,g),(q),(n,h),(k)->(n)", dtype="int64",
                          observed=y, dims="obs")
        return
    eta = offset + effects[effect_idx].sum(axis=1)
    rows = cut if per_row_cut else cut[None, :]
    if pred.scales:
        s = scales[scale_idx].prod(axis=1)
        eta, rows = eta * s, rows * s[:, None]
    if w is not None:
        dist = pm.OrderedLogistic.dist(eta=eta, cutpoints=rows, compute_p=False)
        pm.Potential("grade_loglik", pt.sum(w * pm.logp(dist, y)))
    else:
        pm.OrderedLogistic("grade", eta=eta, cutpoints=rows, observed=y, compute_p=False, dims="obs")


def _fused_logp(value, offset, effects, effect_idx, scales, scale_idx, cut):
    return cumulative_logit_logp(offset, effects, effect_idx, scales, scale_idx, cut, value)


def _fused_random(offset, effects, effect_idx, scales, scale_idx, cut, rng=None, size=None):
    eta, s = linear_predictor(offset, effects, effect_idx, scales, scale_idx)
    return draw_ordered_logit(eta, cut, s, rng)


def sample(model: pm.Model, *, chains: int, tune: int, draws: int, seed: int, target_accept: float = 0.9,
           adaptation: str = "diag", progress: bool = False, cores: int | None = None,
           sampler: str = "nutpie", cache: "NutpieCache | None" = None):
    """NUTS draws of the stored variables (a DataTree), with the project's sampler settings.

    ``sampler="nutpie"`` (default; compiled by :func:`.nutpie_compile.compile_for_nutpie`, fast for small
    fits) or ``"pymc"`` (PyMC's own NUTS, for benchmarks; the ``adaptation`` option is nutpie's and is
    ignored there). ``cache``: a :class:`NutpieCache` to compile through (refits and appended chains of one
    model then compile once); a new one by default.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*R-hat.*")
        warnings.filterwarnings("ignore", category=FutureWarning)
        if sampler == "nutpie":
            from pymc.backends.arviz import patch_nutpie_idata

            # nutpie's seed derived as pm.sample(random_seed=seed, nuts_sampler="nutpie") derives it: same draws
            nutpie_seed = int(np.random.default_rng(int(seed)).spawn(chains)[0].integers(2**30))
            idata = (cache or NutpieCache()).sample(model, chains=chains, tune=tune, draws=draws, seed=nutpie_seed,
                                         target_accept=target_accept, adaptation=adaptation, cores=cores,
                                         progress=progress, save_warmup=False)
            patch_nutpie_idata(idata, model, sampling_time=idata["posterior"].attrs["sampling_time"])
            return idata
        with model:
            return pm.sample(draws=draws, tune=tune, chains=chains, cores=cores or min(chains, 2),
                             random_seed=int(seed), nuts_sampler=sampler, progressbar=progress,
                             quiet=not progress, var_names=stored_variables(model),
                             nuts={"target_accept": target_accept})


def stored_variables(model: pm.Model) -> list[str]:
    """Variables kept in the trace: everything but the standard-normal offsets."""
    names = [v.name for v in model.free_RVs + model.deterministics]
    return [n for n in names if not n.startswith(("z_", "chol_")) and not n.endswith(("_raw", "_signed"))]


def graph_signature(model: pm.Model) -> tuple:
    """Free-variable names and shapes plus data names and ranks: models with equal signatures
    share one compiled nutpie graph (only the data differ)."""
    point = model.initial_point()
    free = tuple(sorted((k, tuple(np.shape(v))) for k, v in point.items()))
    data = tuple(sorted((v.name, v.type.ndim) for v in model.data_vars))
    return free, data


class NutpieCache:
    """Compile a PyMC model for nutpie once and sample it on new data (``with_data``).

    Models with the same :func:`graph_signature` (same parameters, data of any length) reuse the compiled
    model; the compile route (:func:`.nutpie_compile.compile_for_nutpie`) is chosen by the first fit's size.
    Coordinates (e.g. inspector ids) are the first model's: callers that reuse a cache index by position.
    """

    def __init__(self):
        self._compiled: dict = {}
        self.n_compiles = 0

    _shared: "NutpieCache | None" = None

    @classmethod
    def shared(cls) -> "NutpieCache":
        """The process-wide cache (repeated fits in one session compile once)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def sample(self, model: pm.Model, *, chains: int, tune: int, draws: int, seed: int,
               target_accept: float = 0.9, adaptation: str = "diag", cores: int | None = None,
               data: dict | None = None, progress: bool = False, save_warmup: bool = True):
        """Draws for ``model`` (its ``pm.Data`` values, updated by ``data``, e.g. ``{"y": y_new}``)."""
        import nutpie

        from inspect_audit.inspectors.nutpie_compile import compile_for_nutpie, with_data

        values = {v.name: v.get_value() for v in model.data_vars}
        unknown = set(data or {}) - set(values)
        if unknown:
            raise KeyError(f"not data of this model: {sorted(unknown)}")
        values.update(data or {})
        key = graph_signature(model)
        if key not in self._compiled:
            work = len(values.get("y", ())) * chains * (int(tune) + int(draws))
            self._compiled[key] = compile_for_nutpie(model, stored_variables(model), work=work)
            self.n_compiles += 1
        compiled = with_data(self._compiled[key], values)
        t0 = time.perf_counter()
        idata = nutpie.sample(compiled, draws=draws, tune=max(int(tune), 1), chains=chains,
                              cores=cores or min(chains, 2), seed=int(seed), progress_bar=progress,
                              target_accept=target_accept, adaptation=adaptation, save_warmup=save_warmup)
        idata["posterior"].attrs["sampling_time"] = time.perf_counter() - t0
        return idata
