"""JSON-safe copies of results: the one converter every JSON output uses.

>>> import numpy as np
>>> jsonable({"n": np.int64(3), "p": np.float64("nan"), "ok": np.bool_(True), "x": np.array([1.5, np.inf])})
{'n': 3, 'p': None, 'ok': True, 'x': [1.5, None]}
"""

from __future__ import annotations

import math

import numpy as np


def jsonable(obj):
    """A copy with numpy scalars and arrays as Python values, dict keys as strings, NaN and infinities as None."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(float(obj)) else None
    return obj
