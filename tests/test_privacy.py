"""Pseudonyms are stable and keyed; small groups are blanked, not dropped."""

import pandas as pd

from inspect_audit.privacy import pseudonymise, suppress


def test_pseudonyms_are_stable_keyed_and_distinct():
    names = pd.Series(["Ann Smith", "Bob Jones", "Ann Smith", None])
    first, again = pseudonymise(names, "k1"), pseudonymise(names, "k1")
    assert first.equals(again) and first[0] == first[2] and first[0] != first[1] and pd.isna(first[3])
    assert "Ann" not in first[0] and pseudonymise(names, "k2")[0] != first[0]


def test_small_groups_are_blanked_with_a_reason():
    table = pd.DataFrame({"group": ["a", "b"], "n": [3, 40], "estimate": [0.5, 0.2], "ci_low": [0.1, 0.1]})
    out = suppress(table, min_n=10)
    assert len(out) == 2 and out.loc[0, ["estimate", "ci_low"]].isna().all()
    assert out.loc[1, "estimate"] == 0.2 and out["suppressed"].tolist() == [True, False]
    assert out.loc[0, "n"] == 3  # the count itself is kept, so readers see why the row is blank
