"""Pseudonyms are stable and keyed; small groups are blanked, not dropped, and cannot be recovered by subtraction."""

import pandas as pd

from inspect_audit._core.privacy import export_csv, pseudonymise, suppress, suppression_mask


def test_pseudonyms_are_stable_keyed_and_distinct():
    names = pd.Series(["Ann Smith", "Bob Jones", "Ann Smith", None])
    first, again = pseudonymise(names, "k1"), pseudonymise(names, "k1")
    assert first.equals(again) and first[0] == first[2] and first[0] != first[1] and pd.isna(first[3])
    assert "Ann" not in first[0] and pseudonymise(names, "k2")[0] != first[0]


def test_small_groups_are_blanked_with_a_reason():
    # no "group" column (not a breakdown of a total): small rows only
    table = pd.DataFrame({"outcome": ["a", "b"], "n": [3, 40], "estimate": [0.5, 0.2], "ci_low": [0.1, 0.1]})
    out = suppress(table, min_n=10)
    assert len(out) == 2 and out.loc[0, ["estimate", "ci_low"]].isna().all()
    assert out.loc[1, "estimate"] == 0.2 and out["suppressed"].tolist() == [True, False]
    assert out.loc[0, "n"] == 3  # in memory the count is kept (the reason); exports blank it
    assert pd.isna(suppress(table, min_n=10, hide_n=True).loc[0, "n"])


def test_one_small_group_gets_a_second_one_suppressed(tmp_path):
    # total 22 of 45; the small group (0 of 3) would be 22 - (10 + 10 + 2) = 0 if the other three were shown
    table = pd.DataFrame({"dimension": "stage", "statistic": "raw_rate",
                          "group": ["all", "informal", "formal", "review", "adjudicator"],
                          "n": [45, 15, 15, 12, 3], "k": [22, 10, 10, 2, 0],
                          "estimate": [22 / 45, 10 / 15, 10 / 15, 2 / 12, 0.0]})
    assert suppression_mask(table, 10).tolist() == [False, False, False, True, True]
    back = pd.read_csv(export_csv(table, tmp_path / "t.csv", min_n=10)).set_index("group")
    hidden = back[back["suppressed"]]
    assert hidden[["n", "k", "estimate"]].isna().all().all()
    shown = back[~back["suppressed"]].drop("all")
    recovered_k = back.loc["all", "k"] - shown["k"].sum()
    recovered_n = back.loc["all", "n"] - shown["n"].sum()
    assert (recovered_k, recovered_n) == (2, 15) != (0, 3)  # only the two hidden groups together
    # the total is hidden instead when no other group is left; two small groups need no second cell
    pair = table.iloc[[0, 4]]
    assert suppression_mask(pair, 10).tolist() == [True, True]
    two_small = table.assign(n=[45, 15, 15, 8, 3])
    assert suppression_mask(two_small, 10).tolist() == [False, False, False, True, True]
    # breakdowns are separate: a small group in one dimension does not hide groups of another
    other = table.assign(dimension="region", n=[45, 15, 15, 12, 10])
    assert suppression_mask(pd.concat([table, other]), 10).tolist() == [False, False, False, True, True] + [False] * 5
