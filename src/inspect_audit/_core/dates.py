"""Dates as inspections use them.

Examples
--------
>>> import pandas as pd
>>> from inspect_audit._core.dates import academic_year
>>> academic_year(pd.Series(pd.to_datetime(["2019-08-31", "2019-09-01", "2026-05-06"]))).tolist()
[2018, 2019, 2025]
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def academic_year(dates) -> np.ndarray:
    """Academic year (1 September to 31 August) by its starting calendar year: 2019 = 2019/20.

    ``dates``: a Series, DatetimeIndex, array or list of dates (strings are parsed)."""
    d = pd.DatetimeIndex(pd.to_datetime(pd.Series(dates) if not isinstance(dates, pd.DatetimeIndex) else dates))
    return np.asarray(d.year - (d.month < 9).astype(int))
