"""The cumulative-logit (ordered logistic) likelihood of M1 as one numba kernel, for PyMC and nutpie.

PyMC's ``OrderedLogistic`` plus the gathers of the random effects build the likelihood from about 40
array operations, each allocating an n-vector, and its gradient from as many again: at 20,000 rows a
logp + gradient took 1.7 ms on 2 cores, nearly all of a fit's time. Here the linear predictor's
random-effect terms, the per-row scale and the likelihood are computed, with their gradients, in one
kernel (a PyTensor ``Op`` that nutpie's numba backend compiles into the model's graph).

Model of row i (K grades, cutpoints c_1 < ... < c_{K-1}, F the logistic CDF)::

    eta_i = offset_i + sum_g effects[effect_idx[i, g]]      (fixed part + random effects)
    s_i   = prod_h scales[scale_idx[i, h]]                   (s > 0: 1 / tau, inspector consistency)
    P(y_i <= k) = F((c_k - eta_i) s_i)

Stable form for grade k, with u = (c_{k+1} - eta) s > v = (c_k - eta) s (c_0 = -inf, c_K = +inf)::

    log(F(u) - F(v)) = log((1 - e^{-(u - v)}) / ((1 + e^{-|u|}) (1 + e^{-|v|}))) - max(v, 0) - max(-u, 0)

with three exponentials and one logarithm per row, computed by vectorised exp and log.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numba
import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import register_funcify_default_op_cache_key

#: stands for -inf / +inf below the lowest and above the highest cutpoint: finite, so that BIG times a
#: vanishing derivative stays negligible; e^{-BIG s} is 0 for any plausible scale s
BIG = 1e4
#: part of PyTensor's cache key for compiled models that contain the kernel: a hash of this file, so an
#: edited kernel is never served from the disk cache (seen here: a stale kernel returned wrong values)
KERNEL_VERSION = int(hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12], 16)

# exp and log written so that LLVM vectorises them (AVX2: 4 doubles at a time). libm's scalar calls cost
# 5-10 ns each and three exponentials and a logarithm per row were most of a gradient's time. The usual
# bit tricks use scalar bit casts (``np.float64(x).view(np.int64)``, an LLVM bitcast in registers), never
# an integer view of a float array: LLVM's type-based alias analysis reordered such loads and stores here
# and gave wrong results once the loops were vectorised. Fast-math builds (PyTensor compiles the kernel
# with them) stay within 1e-13 relative: reassociation merges the two-part ln 2 (tests check both builds).
_LOG2E = 1.4426950408889634
_LN2_HI, _LN2_LO = 0.6931471803691238, 1.9082149292705877e-10  # ln 2 split for exact k * ln2
_MANTISSA = np.int64(0x000FFFFFFFFFFFFF)
_EXPONENT_ONE = np.int64(0x3FF0000000000000)  # bits of 1.0
_EXPONENT_HALF = np.int64(0x3FE0000000000000)  # bits of 0.5
_SQRT2_MANTISSA = np.int64(0x6A09E667F3BCD)  # mantissa bits of sqrt(2)
_TWO52 = 4503599627370496.0  # 2^52
_TWO52_BITS = np.int64(0x4330000000000000)  # bits of 2^52
_ROUND_SHIFT = 6755399441055744.0  # 1.5 * 2^52: integers up to 2^51 in size keep their bits in the mantissa


@numba.njit(cache=True, error_model="numpy")
def vector_exp(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = exp(x) for x clamped to [-700, 700]: 2^k exp(r), |r| <= ln2 / 2, degree-12 Taylor polynomial
    (relative error below 4e-16)."""
    for i in range(x.shape[0]):
        xi = min(max(x[i], -700.0), 700.0)
        k = np.floor(xi * _LOG2E + 0.5)  # not the x + 1.5 * 2^52 - 1.5 * 2^52 rounding: fast-math cancels it
        r = (xi - k * _LN2_HI) - k * _LN2_LO
        p = 1.0 + r * (1.0 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (
            1 / 5040 + r * (1 / 40320 + r * (1 / 362880 + r * (1 / 3628800 + r * (1 / 39916800 + r / 479001600)))))))))))
        # p * 2^k: the low bits of k + 1.5 * 2^52 hold k (two's complement), shifted into the exponent field;
        # unlike int64(k), which AVX2 cannot convert four at a time, this keeps the loop vectorised
        k_bits = np.float64(k + _ROUND_SHIFT).view(np.int64)
        out[i] = np.int64(np.float64(p).view(np.int64) + (k_bits << 52)).view(np.float64)
    return out


@numba.njit(cache=True, error_model="numpy")
def vector_log(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out = log(x) for positive normal x: x = 2^e m, m in [sqrt(2)/2, sqrt(2)), log m = 2 atanh(s),
    s = (m - 1) / (m + 1), |s| < 0.172, series to s^21 (error below 1e-15)."""
    for i in range(x.shape[0]):
        b = np.float64(x[i]).view(np.int64)
        high = (b & _MANTISSA) > _SQRT2_MANTISSA
        m = np.int64((b & _MANTISSA) | (_EXPONENT_HALF if high else _EXPONENT_ONE)).view(np.float64)
        # the binary exponent, converted through the bits of 2^52 + biased exponent (vectorises, int64 -> float
        # does not on AVX2); every term is a small integer, so any order of the sums is exact
        biased = np.int64(((b >> 52) & 0x7FF) | _TWO52_BITS).view(np.float64) - _TWO52
        e = biased - (1022.0 if high else 1023.0)
        f = m - 1.0
        s = f / (2.0 + f)
        z = s * s
        series = z * (1 / 3 + z * (1 / 5 + z * (1 / 7 + z * (1 / 9 + z * (1 / 11 + z * (1 / 13 + z * (
            1 / 15 + z * (1 / 17 + z * (1 / 19 + z / 21)))))))))
        out[i] = e * _LN2_HI + (e * _LN2_LO + (2.0 * s + 2.0 * s * series))
    return out


@numba.njit(cache=True, error_model="numpy")
def cumulative_logit_value_and_grad(offset, effects, effect_idx, scales, scale_idx, cut, y, w):
    """sum_i w_i log P(y_i) (as a 1-vector) and its gradients with respect to offset (n), effects (m),
    scales (q) and cut (K-1); y coded 0..K-1. -inf where the cutpoints are not increasing.

    Passes over the rows: gather eta and s; the likelihood and its derivatives, branch-free so that
    they vectorise; scatter the gradients onto the effects, scales and cutpoints."""
    n, last = offset.shape[0], cut.shape[0]
    n_eff, n_scale = effect_idx.shape[1], scale_idx.shape[1]
    c = np.empty(last + 2)
    c[0], c[last + 1] = -BIG, BIG
    c[1:last + 1] = cut
    hi, lo, s = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        eta = offset[i]
        for g in range(n_eff):
            eta += effects[effect_idx[i, g]]
        si = 1.0
        for h in range(n_scale):
            si *= scales[scale_idx[i, h]]
        hi[i], lo[i], s[i] = c[y[i] + 1] - eta, c[y[i]] - eta, si
    # e^{-|u|}, e^{-|v|}, e^{-(u - v)} with u = hi s > v = lo s
    exponents = np.empty(3 * n)
    for i in range(n):
        u, v = hi[i] * s[i], lo[i] * s[i]
        exponents[i], exponents[n + i], exponents[2 * n + i] = -abs(u), -abs(v), v - u
    ex = vector_exp(exponents, np.empty(3 * n))  # separate arrays: in place, LLVM's overlap check stays scalar
    arg, outer, du, dv = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    g_offset, g_s = np.empty(n), np.empty(n)
    for i in range(n):
        u, v = hi[i] * s[i], lo[i] * s[i]
        tu, tv, ed = ex[i], ex[n + i], ex[2 * n + i]
        iu, iv = 1.0 / (1.0 + tu), 1.0 / (1.0 + tv)
        one_minus = 1.0 - ed
        # log(F(u) - F(v)) = log((1 - e^{-(u-v)}) iu iv) - max(v, 0) - max(-u, 0)
        arg[i] = one_minus * iu * iv
        outer[i] = max(v, 0.0) + max(-u, 0.0)
        r = ed / one_minus  # 1 / (e^{u - v} - 1)
        upper = tu * iu if u >= 0.0 else iu  # 1 - F(u)
        lower = iv if v >= 0.0 else tv * iv  # F(v)
        dui, dvi = w[i] * s[i] * (upper + r), -w[i] * s[i] * (lower + r)  # d/du, d/dv times ds/d(.)
        du[i], dv[i] = dui, dvi
        g_offset[i] = -(dui + dvi)  # d/d eta
        g_s[i] = (hi[i] * dui + lo[i] * dvi) / s[i]  # d/ds
    log_arg = vector_log(arg, np.empty(n))
    total = 0.0
    for i in range(n):
        total += w[i] * (log_arg[i] - outer[i])
    # the scatters, one loop per target: few targets (scales, cutpoints) get four interleaved accumulators
    # so that neighbouring rows do not wait on each other's store (the kernel at 20,000 rows: 0.66-0.78 -> 0.48-0.50 ms)
    g_effects = np.zeros(effects.shape[0])
    for g in range(n_eff):
        for i in range(n):
            g_effects[effect_idx[i, g]] += g_offset[i]
    g_scales = np.zeros((4, scales.shape[0]))
    for h in range(n_scale):
        for i in range(n):
            j = scale_idx[i, h]
            g_scales[i & 3, j] += g_s[i] * s[i] / scales[j]  # d/d scales[j] = d/ds * s / scales[j]
    g_c = np.zeros((4, last + 2))
    for i in range(n):
        g_c[i & 3, y[i] + 1] += du[i]
        g_c[i & 3, y[i]] += dv[i]
    for k in range(1, last):
        if cut[k] <= cut[k - 1]:
            total = -np.inf
    out = np.empty(1)
    out[0] = total
    return out, g_offset, g_effects, g_scales.sum(axis=0), g_c.sum(axis=0)[1:last + 1].copy()


def _integer(v):
    v = pt.as_tensor_variable(v)
    return v if v.dtype.startswith(("int", "uint")) else v.astype("int64")


class CumulativeLogitLogp(Op):
    """Weighted log-likelihood of the cumulative-logit model with its gradients computed in the same
    pass (a sampler needs both at every step). Inputs offset (n), effects (m), effect_idx (n, G),
    scales (q), scale_idx (n, H), cut (K-1), y (n), w (n); outputs the total (a 1-vector) and the
    gradients with respect to offset, effects, scales and cut."""

    __props__ = ()

    def make_node(self, offset, effects, effect_idx, scales, scale_idx, cut, y, w):
        floats = [pt.as_tensor_variable(v).astype("float64") for v in (offset, effects, scales, cut, w)]
        offset, effects, scales, cut, w = floats
        # integer inputs keep their dtype (pm.Data stores int32): a cast would copy them at every evaluation
        effect_idx, scale_idx, y = (_integer(v) for v in (effect_idx, scale_idx, y))
        inputs = [offset, effects, effect_idx, scales, scale_idx, cut, y, w]
        return Apply(self, inputs, [pt.dvector() for _ in range(5)])

    def perform(self, node, inputs, outputs):
        for slot, value in zip(outputs, cumulative_logit_value_and_grad(*inputs)):
            slot[0] = value

    def pullback(self, inputs, outputs, cotangents):
        g = cotangents[0][0]
        none = disconnected_type()
        return [g * outputs[1], g * outputs[2], none, g * outputs[3], none, g * outputs[4], none, none]

    def connection_pattern(self, node):
        total_and_grads = [True, False, False, False, False]
        no = [False] * 5
        return [total_and_grads, total_and_grads, no, total_and_grads, no, total_and_grads, no, no]


@register_funcify_default_op_cache_key(CumulativeLogitLogp)
def _numba_cumulative_logit(op, node, **kwargs):
    return cumulative_logit_value_and_grad, KERNEL_VERSION


def cumulative_logit_logp(offset, effects, effect_idx, scales, scale_idx, cut, y, weights=None):
    """Symbolic sum_i w_i log P(y_i) (a scalar) with a fused numba gradient; ``weights`` default to 1."""
    w = pt.ones_like(offset) if weights is None else pt.as_tensor_variable(weights) * pt.ones_like(offset)
    return CumulativeLogitLogp()(offset, effects, effect_idx, scales, scale_idx, cut, y, w)[0][0]


def linear_predictor(offset, effects, effect_idx, scales, scale_idx) -> tuple[np.ndarray, np.ndarray]:
    """eta and s per row (numpy), as the kernel computes them."""
    eta = np.asarray(offset, float) + np.asarray(effects, float)[np.asarray(effect_idx)].sum(axis=-1)
    s = np.asarray(scales, float)[np.asarray(scale_idx)].prod(axis=-1)
    return eta, s


def draw_ordered_logit(eta: np.ndarray, cut: np.ndarray, scale: np.ndarray | float,
                       rng: np.random.Generator) -> np.ndarray:
    """Random grades 0..K-1 from the cumulative-logit model; ``cut`` is (K-1) or one row of cutpoints per eta."""
    eta = np.asarray(eta, dtype=float)
    z = eta + rng.logistic(size=eta.shape) / np.asarray(scale, dtype=float)
    return (z[..., None] > np.asarray(cut, dtype=float)).sum(-1).astype("int64")
