"""Personal data: pseudonymous inspector ids and suppression of small groups in anything shown or exported."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd

#: Groups smaller than this are not shown or exported (configurable per call).
MIN_GROUP = 10


def pseudonymise(ids: pd.Series, key: str, prefix: str = "Inspector") -> pd.Series:
    """Replace identities by stable pseudonyms (keyed HMAC-SHA256; the same key gives the same pseudonym).

    Without the key a pseudonym cannot be traced back to a name; keep the key with the data owner.
    """
    def one(value: object) -> object:
        if pd.isna(value):
            return value
        digest = hmac.new(key.encode("utf-8"), str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{prefix}-{digest[:6].upper()}"

    return ids.map(one)


def suppress_small(table: pd.DataFrame, n_column: str = "n", min_n: int = MIN_GROUP,
                   columns: list[str] | None = None) -> pd.DataFrame:
    """Blank the estimate columns of rows resting on fewer than ``min_n`` cases, and say so in ``suppressed``.

    ``columns`` defaults to every numeric column except ``n_column``. The row itself stays, so readers see
    that a group exists and why its figures are withheld.
    """
    out = table.copy()
    small = out[n_column] < min_n
    if columns is None:
        columns = [c for c in out.select_dtypes(include=[np.number]).columns if c != n_column]
    out[columns] = out[columns].astype(float).mask(small)
    out["suppressed"] = np.where(small, f"fewer than {min_n}", "")
    return out
