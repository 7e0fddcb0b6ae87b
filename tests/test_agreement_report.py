"""The agreement demo section's prose follows the numbers (inspect_audit.agreement.report)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from inspect_audit.agreement.report import chance_sentence


def _table(pa: float, kappa: float, ac1: float) -> pd.DataFrame:
    return pd.DataFrame({"statistic": ["percent_agreement", "fleiss_kappa", "gwet_ac1"], "estimate": [pa, kappa, ac1]})


def test_paradox_wording_only_when_raw_agreement_is_high():
    high = chance_sentence(_table(0.90, 0.25, 0.85))
    assert high.startswith("Kappa is low although raw agreement is high")
    # chance agreement from kappa = (pa - pe) / (1 - pe): pe = (0.90 - 0.25) / 0.75 = 86.7% -> "87%"
    assert "raw agreement 90%" in high and "chance from the grade shares 87%" in high and "kappa paradox" in high
    modest = chance_sentence(_table(0.63, -0.03, 0.58))  # the simulated demo's values
    assert "although raw agreement is high" not in modest
    assert "raw agreement only moderate" in modest and "raw agreement 63%" in modest
    assert "chance from the grade shares 64%" in modest  # (0.63 + 0.03) / 1.03 = 64.1%


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ((0.85, 0.70, 0.80), "tell a similar story"),
        ((0.40, 0.10, 0.15), "disagree more than a dominant grade"),  # chance (0.4 - 0.1) / 0.9 = 33%
        ((1.00, math.nan, 1.00), "undefined"),
        ((1.00, 1.00, 1.00), "Every pair of inspectors gave the same grade"),
    ],
)
def test_other_cases(values, expected):
    assert expected in chance_sentence(_table(*values))
