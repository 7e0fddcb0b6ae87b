"""Markdown tables for reports, one home: a DataFrame in, a GitHub-style table out (numbers rounded, missing
values blank), through :meth:`pandas.DataFrame.to_markdown` (tabulate).

Examples
--------
>>> import pandas as pd
>>> from inspect_audit._core.markdown import markdown_table
>>> print(markdown_table(pd.DataFrame({"grade": ["Good", "Outstanding"], "share": [0.6812, None]})))
| grade       | share   |
|:------------|:--------|
| Good        | 0.68    |
| Outstanding |         |
"""

from __future__ import annotations

import pandas as pd


def _cell(value, floatfmt: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (hasattr(value, "is_integer") and not isinstance(value, float)):
        return f"{int(value):,}" if abs(int(value)) >= 10000 else str(int(value))
    if isinstance(value, float):
        return format(value, floatfmt)
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".2f") -> str:
    """``frame`` as a Markdown table: floats with ``floatfmt``, whole numbers as written (thousands separated
    from 10,000), missing values blank, ``|`` inside cells escaped; the index is left out."""
    text = frame.astype(object).apply(lambda col: col.map(lambda v: _cell(v, floatfmt)))
    text.columns = [str(c) for c in frame.columns]
    return text.to_markdown(index=False, disable_numparse=True)
