"""The ``inspect-audit agreement`` command-line contract and the full table behind it."""

from __future__ import annotations

import json

import pytest

from inspect_audit.cli import main

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", p. 3: 4 observers x 12 units,
# values 1-5 with missing; published alphas: nominal .743, ordinal .815, interval .849, ratio .797.
KRIPPENDORFF_WIDE = ("A,B,C,D\n1,1,,1\n2,2,3,2\n3,3,3,3\n3,3,3,3\n2,2,2,2\n1,2,3,4\n4,4,4,4\n1,1,2,1\n"
                     "2,2,2,2\n,5,5,5\n,,1,1\n,3,,\n")
CONTRACT_NAMES = {"percent_agreement", "percent_agreement_quadratic", "scott_pi", "fleiss_kappa",
                  "fleiss_kappa_linear", "fleiss_kappa_quadratic", "conger_kappa", "light_kappa",
                  "brennan_prediger", "brennan_prediger_quadratic", "gwet_ac1", "gwet_ac2_linear",
                  "gwet_ac2_quadratic", "krippendorff_alpha_nominal", "krippendorff_alpha_ordinal",
                  "krippendorff_alpha_interval", "krippendorff_alpha_ratio", "icc1_1", "icc2_1", "icc3_1",
                  "icc1_k", "icc2_k", "icc3_k", "cronbach_alpha"}


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(["agreement", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_contract_reproduces_krippendorff_2011(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text(KRIPPENDORFF_WIDE)
    code, out, _ = _run(capsys, str(path), "--layout", "wide", "--categories", "1,2,3,4,5", "--boot", "200",
                        "--seed", "3", "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["n_units"], result["n_raters"], result["categories"]) == (12, 4, [1, 2, 3, 4, 5])
    stats = result["statistics"]
    assert CONTRACT_NAMES - {"scott_pi"} <= set(stats)
    assert "cohen_kappa" not in stats and "scott_pi" not in stats  # two-rater statistics only with two raters
    assert {"fleiss_kappa_category_1", "fleiss_kappa_category_5"} <= set(stats)
    for level, published in {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}.items():
        assert stats[f"krippendorff_alpha_{level}"]["estimate"] == pytest.approx(published, abs=5e-4)
    for name, entry in stats.items():
        assert set(entry) == {"estimate", "se", "ci_low", "ci_high", "method"}, name
        if entry["ci_low"] is not None:
            assert entry["ci_low"] <= entry["estimate"] + 1e-9 and entry["estimate"] <= entry["ci_high"] + 1e-9, name


def test_two_raters_add_cohen_and_scott_and_same_seed_same_intervals(tmp_path, capsys):
    path = tmp_path / "two.csv"
    path.write_text("school,r1,r2\n" + "".join(f"s{i},{1 + i % 4},{1 + (i // 2) % 4}\n" for i in range(40)))
    args = [str(path), "--categories", "1,2,3,4", "--id-column", "school", "--boot", "300", "--seed", "9", "--json"]
    first = json.loads(_run(capsys, *args)[1])["statistics"]
    second = json.loads(_run(capsys, *args)[1])["statistics"]
    assert {"cohen_kappa", "cohen_kappa_linear", "cohen_kappa_quadratic", "scott_pi"} <= set(first)
    assert first == second


def test_long_layout_filters_one_area(tmp_path, capsys):
    rows = ["study_id,unit_id,rater_id,rater_type,area,grade"]
    for unit in range(30):
        for rater in ("x", "y", "z"):
            rows.append(f"s1,u{unit},{rater},inspector,overall_effectiveness,{1 + (unit + (rater == 'z')) % 4}")
            rows.append(f"s1,u{unit},{rater},inspector,quality_of_education,2")
    path = tmp_path / "ratings.csv"
    path.write_text("\n".join(rows) + "\n")
    code, out, _ = _run(capsys, str(path), "--layout", "long", "--categories", "1,2,3,4",
                        "--area", "overall_effectiveness", "--boot", "0", "--json")
    assert code == 0
    result = json.loads(out)
    assert (result["n_units"], result["n_raters"]) == (30, 3)
    assert result["statistics"]["percent_agreement"]["estimate"] == pytest.approx(1 / 3)


def test_value_off_the_categories_names_row_and_column(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n2,7\n")
    code, _, err = _run(capsys, str(path), "--categories", "1,2,3,4")
    assert code == 1 and "row 3" in err and "'b'" in err and "'7'" in err


def test_readable_table_without_json(tmp_path, capsys):
    path = tmp_path / "wide.csv"
    path.write_text(KRIPPENDORFF_WIDE)
    code, out, _ = _run(capsys, str(path), "--categories", "1,2,3,4,5", "--boot", "0")
    assert code == 0 and "krippendorff_alpha_ordinal" in out and "0.815" in out


def test_table_bootstrap_reaches_icc_and_alpha_but_keeps_the_f_interval():
    import numpy as np

    from inspect_audit.agreement.icc import cronbach_alpha, icc_estimates
    from inspect_audit.agreement.table import agreement_table

    rng = np.random.default_rng(6)
    x = np.clip(np.rint(2.5 + rng.normal(size=(60, 1)) + rng.normal(scale=0.6, size=(60, 3))), 1, 4)
    x[rng.random(x.shape) < 0.15] = np.nan
    cats = [1, 2, 3, 4]
    plain = agreement_table(x, cats, n_boot=0).set_index("statistic")
    boot = agreement_table(x, cats, n_boot=300, seed=2).set_index("statistic")
    reference = {**icc_estimates(x, n_boot=300, seed=2), "cronbach_alpha": cronbach_alpha(x, n_boot=300, seed=2)}
    for name, ref in reference.items():
        # the F-based (Feldt for alpha) interval stays the one given ...
        assert boot.loc[name, "ci_low"] == plain.loc[name, "ci_low"], name
        assert boot.loc[name, "ci_high"] == plain.loc[name, "ci_high"], name
        assert "bootstrap" not in plain.loc[name, "method"], name
        # ... and the bootstrap interval is reported beside it
        method = boot.loc[name, "method"]
        assert "F-based interval" in method and "(the interval given)" in method, name
        assert f"(300 resamples, seed 2): {ref['ci_low']:.3f} to {ref['ci_high']:.3f}" in method, name
    # where no F-based interval exists (ICC(A,1) = 0 when ratings differ only between raters), the
    # bootstrap interval is the one given
    rater_only = agreement_table(np.array([[1.0, 2.0]] * 4), [1, 2], n_boot=50, seed=1).set_index("statistic")
    assert (rater_only.loc["icc2_1", "ci_low"], rater_only.loc["icc2_1", "ci_high"]) == (0.0, 0.0)
    assert "percentile bootstrap" in rater_only.loc["icc2_1", "method"]
    assert "F-based" not in rater_only.loc["icc2_1", "method"]


def test_all_raters_agree_everywhere_json_explains_every_null(tmp_path, capsys, recwarn):
    path = tmp_path / "same.csv"
    path.write_text("a,b,c\n" + "2,2,2\n" * 8)
    code, out, _ = _run(capsys, str(path), "--categories", "1,2,3,4", "--boot", "50", "--json")
    assert code == 0
    stats = json.loads(out)["statistics"]
    for name, entry in stats.items():
        if entry["estimate"] is None:
            assert "undefined:" in entry["method"], name
    for name in ("icc1_1", "icc2_1", "icc3_1", "icc1_k", "icc2_k", "icc3_k", "cronbach_alpha"):
        assert stats[name]["estimate"] is None and "undefined: every rating is the same" in stats[name]["method"]
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_continuous_scores_without_categories(tmp_path, capsys):
    # Scores, not grades: no --categories. The table gives what needs no category list and says what it skipped.
    path = tmp_path / "scores.csv"
    path.write_text("a,b,c\n4.12,3.80,4.55\n2.31,2.95,2.10\n5.60,5.02,6.15\n3.33,3.90,3.48\n1.75,2.40,1.20\n"
                    "4.98,4.41,5.30\n2.86,3.62,2.71\n6.02,5.38,5.95\n")
    code, out, _ = _run(capsys, str(path), "--boot", "0", "--ci-prob", "0.95", "--json")
    assert code == 0
    result = json.loads(out)
    assert result["categories"] is None
    stats = result["statistics"]
    assert {"krippendorff_alpha_interval", "krippendorff_alpha_ratio", "icc2_1", "cronbach_alpha"} <= set(stats)
    assert "fleiss_kappa" not in stats and stats["categorical_coefficients"]["method"].startswith("skipped:")
    assert "95%" in stats["icc2_1"]["method"]
    code, out, _ = _run(capsys, str(path), "--boot", "0")
    assert code == 0 and "continuous scores" in out and "90% intervals" in out


def test_custom_weights_file_adds_custom_rows_worked_by_hand(tmp_path, capsys):
    # Two raters, six units (1,1) x2, (1,2), (2,2), (2,3), (3,3) with linear weights as a file: weighted
    # Cohen's kappa 5/8 and Scott's pi 19/31, worked by hand in tests/test_agreement_weights.py.
    ratings = tmp_path / "two.csv"
    ratings.write_text("a,b\n1,1\n1,1\n1,2\n2,2\n2,3\n3,3\n")
    weights = tmp_path / "w.csv"
    weights.write_text("1,0.5,0\n0.5,1,0.5\n0,0.5,1\n")
    code, out, _ = _run(capsys, str(ratings), "--categories", "1,2,3", "--weights", str(weights), "--boot", "0",
                        "--json")
    assert code == 0
    stats = json.loads(out)["statistics"]
    assert stats["cohen_kappa_custom"]["estimate"] == pytest.approx(5 / 8)
    assert stats["scott_pi_custom"]["estimate"] == pytest.approx(19 / 31)
    assert "custom weights" in stats["conger_kappa_custom"]["method"]


@pytest.mark.parametrize(("content", "extra", "message"), [
    ("1,0.5,0\n0.4,1,0.5\n0,0.5,1\n", ["--categories", "1,2,3"], "w.csv: custom weights must be symmetric"),
    ("1,0.5\n0.5,1\n", ["--categories", "1,2,3"], "w.csv: a custom weight matrix must be 3 x 3"),
    ("1,x,0\n0.5,1,0.5\n0,0.5,1\n", ["--categories", "1,2,3"], "w.csv: row 1, column 2: value 'x' is not a number"),
    ("1,0.5,0\n0.5,1,0.5\n0,0.5,1\n", [], "--weights needs --categories"),
])
def test_bad_weights_file_is_one_clear_line(tmp_path, capsys, content, extra, message):
    ratings = tmp_path / "two.csv"
    ratings.write_text("a,b\n1,1\n1,2\n2,2\n3,3\n")
    weights = tmp_path / "w.csv"
    weights.write_text(content)
    code, out, err = _run(capsys, str(ratings), *extra, "--weights", str(weights), "--boot", "0")
    assert code == 1 and out == ""
    assert err.strip() == f"error: {message}" or err.startswith(f"error: {message}"), err
    assert "Traceback" not in err


def test_ci_prob_outside_zero_one_is_a_usage_error(tmp_path, capsys):
    ratings = tmp_path / "two.csv"
    ratings.write_text("a,b\n1,1\n1,2\n2,2\n3,3\n")
    with pytest.raises(SystemExit) as exc:
        main(["agreement", str(ratings), "--categories", "1,2,3", "--ci-prob", "95"])
    assert exc.value.code == 2
    assert "is not a probability between 0 and 1" in capsys.readouterr().err
