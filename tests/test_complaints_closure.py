"""Kaplan-Meier time to closure with open complaints censored at the snapshot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspect_audit.complaints import kaplan_meier, time_to_closure
from inspect_audit.complaints.closure import closure_durations

SNAP = pd.Timestamp("2024-03-01")


def _table(spec: list[tuple[int, bool, str]]) -> pd.DataFrame:
    """Complaints from (days, closed, stage): closed ones close `days` after receipt, open ones
    were received `days` before the snapshot."""
    rows = []
    for i, (days, closed, stage) in enumerate(spec):
        received = SNAP - pd.Timedelta(days=days + 30) if closed else SNAP - pd.Timedelta(days=days)
        rows.append({"complaint_id": f"C{i}", "inspection_id": f"I{i}", "received_date": received,
                     "furthest_stage": stage, "grounds": "other",
                     "outcome": "not_upheld" if closed else None,
                     "closed_date": received + pd.Timedelta(days=days) if closed else pd.NaT})
    return pd.DataFrame(rows)


HAND = [(2, True, "formal"), (3, True, "formal"), (3, False, "formal"), (5, True, "formal"),
        (8, False, "formal"), (9, True, "formal")]


def test_kaplan_meier_matches_hand_computation():
    # at risk 6, 5, 3, 1 at days 2, 3, 5, 9; the complaint open for 3 days is still at risk on day 3
    # S(2) = 5/6, S(3) = 5/6 * 4/5 = 2/3, S(5) = 2/3 * 2/3 = 4/9, S(9) = 0
    res = time_to_closure(_table(HAND), SNAP)
    curve = res.curves[res.curves["group"] == "formal"]
    assert curve["time"].tolist() == [0, 2, 3, 5, 9]
    assert np.allclose(curve["estimate"], [1, 5 / 6, 2 / 3, 4 / 9, 0])
    assert curve["n_at_risk"].tolist() == [6, 6, 5, 3, 1]
    assert curve["n_events"].tolist() == [0, 1, 1, 1, 1]
    # Greenwood SE at day 2: S sqrt(d / (n (n - d))); log-minus-log 90% interval
    s, se = 5 / 6, 5 / 6 * np.sqrt(1 / (6 * 5))
    z = 1.6448536269514722
    theta = se / (s * abs(np.log(s)))
    row = curve[curve["time"] == 2].iloc[0]
    assert row.ci_low == pytest.approx(s ** np.exp(z * theta))
    assert row.ci_high == pytest.approx(s ** np.exp(-z * theta))
    med = res.medians.set_index("group").loc["formal"]
    assert med.estimate == 5  # first day the share still open is <= 1/2
    assert med.ci_low <= 5 <= med.ci_high
    assert (med.n, med.n_events, med.n_censored) == (6, 4, 2)


def test_dropping_open_complaints_would_bias_closure_quicker():
    # three closed quickly, four open for 10 days: fewer than half have closed
    spec = [(1, True, "formal"), (2, True, "formal"), (3, True, "formal")] + [(10, False, "formal")] * 4
    res = time_to_closure(_table(spec), SNAP)
    closed_only = kaplan_meier(np.array([1, 2, 3]), np.ones(3, bool))[1]
    assert closed_only["estimate"] == 2
    formal = res.medians.set_index("group").loc["formal"]
    assert np.isnan(formal.estimate)  # median not reached
    curve = res.curves[res.curves["group"] == "formal"]
    assert curve["estimate"].iloc[-1] == pytest.approx(4 / 7)


def test_snapshot_rules_and_stage_order():
    table = _table(HAND + [(4, True, "informal"), (40, False, "independent_adjudicator")])
    # a complaint received after the snapshot is dropped
    late = table.iloc[[0]].assign(complaint_id="LATE", received_date=SNAP + pd.Timedelta(days=3), closed_date=pd.NaT,
                                   outcome=None)
    # a complaint closed after the snapshot is open as at the snapshot
    after = table.iloc[[0]].assign(complaint_id="AFTER", received_date=SNAP - pd.Timedelta(days=10),
                                    closed_date=SNAP + pd.Timedelta(days=5))
    dur = closure_durations(pd.concat([table, late, after], ignore_index=True), SNAP).set_index("complaint_id")
    assert "LATE" not in dur.index
    assert dur.loc["AFTER", "days"] == 10 and not dur.loc["AFTER", "closed"]
    res = time_to_closure(table, SNAP)
    assert res.medians["group"].tolist() == ["informal", "formal", "independent_adjudicator", "all"]
    ia = res.medians.set_index("group").loc["independent_adjudicator"]
    assert np.isnan(ia.estimate) and ia.n_censored == 1  # nothing closed yet: median not reached
    assert {"estimate", "ci_low", "ci_high", "n"} <= set(res.medians.columns)
