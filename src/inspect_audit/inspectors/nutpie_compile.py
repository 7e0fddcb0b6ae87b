"""Compile a PyMC model for nutpie, fast for small fits.

``nutpie.compile_pymc_model`` wraps PyTensor's numba function in a C callback and compiles that wrapper on
every call: about 25 s on 2 cores even when PyTensor's function itself loads from numba's disk cache in
0.6 s (measured 2026-12-03: 16.1 s for the logp callback and 4.5 s for the expansion, numba's type inference
and lowering of nutpie's wrapper). :func:`compile_from_cache` instead hands nutpie Python callbacks
(``nutpie.from_pyfunc``, the route nutpie takes for JAX) that call PyTensor's cached function through a
GIL-free numba wrapper, itself cached beside PyTensor's: 4.4 s. The price is the GIL at every gradient:
sampling was 9 % slower with 2 chains and 16-20 % slower with 4 chains on 2 cores (a single chain was as
fast), so :func:`compile_for_nutpie` takes this route only for fits small enough that the compile dominates.
"""

from __future__ import annotations

import warnings

import numba
import numpy as np
import pymc as pm

#: rows x chains x (tune + draws) up to which :func:`compile_for_nutpie` takes the fast-compile route. At
#: 20,000 rows and 4 x 2,000 iterations (1.6e8) the two routes took the same time (compile 21 s shorter,
#: sampling about 20 % of 117-132 s longer); below about 1.2e8 the shorter compile wins
FAST_COMPILE_MAX_WORK = 120_000_000


def compile_for_nutpie(model: pm.Model, var_names: list[str], *, work: float):
    """nutpie's compiled model: :func:`compile_from_cache` when ``work`` (rows x chains x iterations) is at
    most :data:`FAST_COMPILE_MAX_WORK`, else ``nutpie.compile_pymc_model``."""
    import nutpie

    if work <= FAST_COMPILE_MAX_WORK:
        try:
            return compile_from_cache(model, var_names)
        except ImportError as err:  # nutpie's private helpers (0.16) moved: its own compile still works
            warnings.warn(f"fast compile unavailable ({err}); using nutpie's compile", RuntimeWarning, stacklevel=2)
    return nutpie.compile_pymc_model(model, var_names=var_names, backend="numba")


def compile_from_cache(model: pm.Model, var_names: list[str]):
    """A nutpie model whose callbacks call PyTensor's numba functions (loaded from numba's disk cache)."""
    from nutpie.compile_pymc import _make_functions, _prepare_dims_and_coords, _wrap_with_lock
    from nutpie.compiled_pyfunc import from_pyfunc
    from pymc.initial_point import make_initial_point_fn

    # as nutpie.compile_pymc_model: the initial point from the support point, jittered; one thread at a time
    initial_point = _wrap_with_lock(make_initial_point_fn(
        model=model, default_strategy="support_point", jitter_rvs=set(model.free_RVs), return_transformed=True))
    n_dim, _, logp_fn, expand_fn, initial_point, shape_info, reparameterized = _make_functions(
        model, mode="NUMBA", compute_grad=True, join_expanded=False, pymc_initial_point_fn=initial_point,
        var_names=var_names)
    logp_nogil = _without_gil(logp_fn.vm.jit_fn, "nogil_logp_dlogp")
    expand = expand_fn.vm.jit_fn
    logp_names = [v.name for v in logp_fn.get_shared()]
    expand_names = [v.name for v in expand_fn.get_shared()]
    shared = {}
    for v in {*logp_fn.get_shared(), *expand_fn.get_shared()}:
        if v.name in shared:
            raise ValueError(f"two data variables are named {v.name!r}")
        shared[v.name] = np.array(v.get_value(), order="C")
    # compile (or load) both functions here, not on nutpie's sampler threads
    x0 = initial_point(0)
    logp_nogil(x0, *[shared[k] for k in logp_names])
    expand(x0, *[shared[k] for k in expand_names])
    names, _, shapes = shape_info

    def make_logp_fn():
        def logp(x, **data):
            try:
                value, grad = logp_nogil(x, *[data[k] for k in logp_names])
            except Exception as err:  # as nutpie's C callback: a failed evaluation is a divergence, not a crash
                raise RecoverableLogpError(f"{type(err).__name__}: {err}") from err
            return float(value), grad
        return logp

    def make_expand_fn(seed1, seed2, chain):
        def expand_draw(x, **data):
            values = expand(x, *[data[k] for k in expand_names])
            return {name: np.asarray(v, dtype="float64", order="C").reshape(shape)
                    for name, v, shape in zip(names, values, shapes, strict=True)}
        return expand_draw

    dims, coords = _prepare_dims_and_coords(model, shape_info, reparameterized)
    return from_pyfunc(ndim=n_dim, make_logp_fn=make_logp_fn, make_expand_fn=make_expand_fn,
                       make_initial_point_fn=initial_point, expanded_dtypes=[np.dtype("float64")] * len(names),
                       expanded_shapes=shapes, expanded_names=names, shared_data=shared, dims=dims, coords=coords,
                       reparameterized_names=reparameterized)


class RecoverableLogpError(RuntimeError):
    """An error in the model's logp at one point; nutpie treats it as a divergent step (``is_recoverable``)."""

    is_recoverable = True


def _without_gil(jitted, name: str):
    """``jitted(*args)`` in a numba function that releases the GIL, cached under PyTensor's cache key of
    ``jitted`` (so a new process loads it instead of compiling it)."""
    from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS, compile_numba_function_src

    key = CACHED_SRC_FUNCTIONS.get(jitted.py_func)
    # __name__: numba's cache rebuilds the function's environment from its module name
    wrapper = compile_numba_function_src(src=f"def {name}(*args): return jitted(*args)", function_name=name,
                                         global_env={"__name__": __name__, "jitted": jitted},
                                         cache_key=None if key is None else f"{key}_nogil")
    return numba.njit(wrapper, nogil=True, cache=key is not None)


def with_data(compiled, values: dict):
    """``compiled.with_data`` with each value cast to its compiled dtype (for either route); on the fast route,
    data variables that neither compiled function reads are left out (callers check the names)."""
    if hasattr(compiled, "_shared_data"):  # from_pyfunc: a new dtype would compile a new numba overload
        old = compiled._shared_data
        values = {k: np.array(v, dtype=old[k].dtype, order="C") for k, v in values.items() if k in old}
        wrong_rank = [k for k, v in values.items() if v.ndim != old[k].ndim]
        if wrong_rank:
            raise ValueError(f"data {wrong_rank} must keep their rank {[old[k].ndim for k in wrong_rank]}")
    return compiled.with_data(**values)
