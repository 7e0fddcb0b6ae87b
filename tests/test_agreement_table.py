"""agreement_table on long data: a thin reshaping wrapper around the wide-data table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inspect_audit.agreement.table import AgreementInputError, agreement_table

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), 420-428, Table 2: six targets rated by four judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
# their Table 4 (two decimals): ICC(1,1), ICC(2,1), ICC(3,1), ICC(1,4), ICC(2,4), ICC(3,4)
PUBLISHED = {"icc1_1": 0.17, "icc2_1": 0.29, "icc3_1": 0.71, "icc1_k": 0.44, "icc2_k": 0.62, "icc3_k": 0.91}


def _long(matrix: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame([{"school": f"S{i}", "judge": f"J{j}", "score": int(v)}
                         for i, row in enumerate(matrix) for j, v in enumerate(row)])


def test_long_data_give_the_published_shrout_fleiss_iccs_and_the_wide_table():
    categories = range(1, 11)
    long = agreement_table(_long(SHROUT_FLEISS).sample(frac=1, random_state=0), categories, level="interval",
                           n_boot=0, targets="school", raters="judge", ratings="score")
    got = long.set_index("statistic")["estimate"]
    for name, value in PUBLISHED.items():
        assert got[name] == pytest.approx(value, abs=0.005), name
    wide = agreement_table(SHROUT_FLEISS, categories, level="interval", n_boot=0)
    pd.testing.assert_frame_equal(long, wide)
    assert long.attrs == {"n_units": 6, "n_raters": 4}


def test_long_data_with_missing_ratings_match_the_wide_matrix_with_nan():
    matrix = SHROUT_FLEISS.astype(float)
    matrix[0, 1] = matrix[3, 2] = np.nan
    long = _long(SHROUT_FLEISS).drop(index=[1, 14])  # the same two ratings, absent instead of NaN
    got = agreement_table(long, range(1, 11), n_boot=50, seed=3, targets="school", raters="judge", ratings="score")
    pd.testing.assert_frame_equal(got, agreement_table(matrix, range(1, 11), n_boot=50, seed=3))


@pytest.mark.parametrize("columns, message", [
    ({"targets": "school", "raters": "judge"}, "missing: ratings"),
    ({"targets": "school", "raters": "inspector", "ratings": "score"}, "no such column: raters='inspector'"),
])
def test_long_data_need_three_existing_columns(columns, message):
    with pytest.raises(AgreementInputError, match=message):
        agreement_table(_long(SHROUT_FLEISS), range(1, 11), n_boot=0, **columns)


def test_long_data_reject_a_rater_rating_a_unit_twice_and_non_numeric_grades():
    twice = pd.concat([_long(SHROUT_FLEISS), _long(SHROUT_FLEISS).head(1)])
    with pytest.raises(AgreementInputError, match="rated unit 'S0' more than once"):
        agreement_table(twice, range(1, 11), n_boot=0, targets="school", raters="judge", ratings="score")
    text = _long(SHROUT_FLEISS).astype({"score": object})
    text.loc[5, "score"] = "Good"
    with pytest.raises(AgreementInputError, match="value 'Good' is not a number"):
        agreement_table(text, range(1, 11), n_boot=0, targets="school", raters="judge", ratings="score")


def test_read_wide_without_categories_reads_scores_and_names_a_bad_cell(tmp_path):
    from inspect_audit.agreement.table import read_wide

    path = tmp_path / "scores.csv"
    path.write_text("school,a,b,c\ns1,1.5,2.25,\ns2,3,4.75,2\n")
    wide = read_wide(path, None, id_column="school")
    assert wide.loc["s1", "b"] == 2.25 and np.isnan(wide.loc["s1", "c"]) and wide.loc["s2", "b"] == 4.75
    path.write_text("a,b,c\n1.5,2.25,\n3,inf,2\n")
    with pytest.raises(AgreementInputError, match=r"scores.csv: row 3, column 'b': value 'inf' is not a finite number"):
        read_wide(path, None)
    with pytest.raises(AgreementInputError, match=r"row 2, column 'a': value '1.5' is not one of the categories"):
        read_wide(path, [1, 2, 3])
