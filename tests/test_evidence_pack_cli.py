"""``inspect-audit evidence-pack``: a pack from a fit folder of ``inspect-audit inspectors`` and its data.

Bad inputs are one line and exit 1 (never a traceback); a fit that failed its gates is refused unless
``--allow-failed-fit``, and the pack then says so on page 1; the pack is written through the one writer
(``privacy.json``, pseudonyms with the installation's key). The fit is 2 chains x 200 draws (seconds): it
fails the gates on purpose.
"""

from __future__ import annotations

import json

import pytest

from inspect_audit.cli import main
from inspect_audit.data.simulate import SimulationConfig, simulate


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("pack_cli")
    data = simulate(SimulationConfig(n_schools=400, n_inspectors=20, survey_n_schools=30), seed=3)
    data.write(root / "data")
    code = main(["inspectors", "--data", str(root / "data"), "--out", str(root / "fit"), "--chains", "2",
                 "--tune", "200", "--draws", "200", "--no-repair", "--quiet", "--seed", "3"])
    assert code == 3  # not converged: the gates fail on a fit this short
    return root, data


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def _args(root, inspection, out, *extra):
    return ["evidence-pack", "--fit", str(root / "fit"), "--inspection", inspection, "--out", str(out),
            "--data", str(root / "data"), *extra]


def test_bad_inputs_are_one_line(fitted, tmp_path, capsys):
    root, data = fitted
    inspection = data.complaints["inspection_id"].iloc[0]
    cases = {
        "no such folder": ["evidence-pack", "--fit", str(tmp_path / "nowhere"), "--inspection", inspection,
                           "--out", str(tmp_path / "o"), "--data", str(root / "data")],
        "not a fit folder": ["evidence-pack", "--fit", str(root / "data"), "--inspection", inspection,
                             "--out", str(tmp_path / "o"), "--data", str(root / "data")],
        "--allow-failed-fit": _args(root, inspection, tmp_path / "o"),
        "no such inspection": _args(root, "SIM-999999", tmp_path / "o", "--allow-failed-fit"),
    }
    for expected, argv in cases.items():
        code, _, err = _run(argv, capsys)
        assert code == 1 and "Traceback" not in err and expected in err, (expected, err)
        assert len(err.strip().splitlines()) == 1, err
    code, _, err = _run(_args(root, "../../x", tmp_path / "deep" / "o", "--allow-failed-fit"), capsys)
    assert code == 1 and "no such inspection" in err and "'../../x'" in err
    assert not (tmp_path / "deep").exists() and not list(tmp_path.glob("**/x*"))


def test_pack_from_a_failed_fit_says_so_and_flags_nobody(fitted, tmp_path, capsys, pseudonym_key_file):
    root, data = fitted
    inspection = data.complaints["inspection_id"].iloc[0]
    code, out, err = _run(_args(root, inspection, tmp_path, "--allow-failed-fit"), capsys)
    assert code == 0, err
    html = (tmp_path / f"evidence_pack_{inspection}.html").read_text(encoding="utf-8")
    assert (tmp_path / f"evidence_pack_{inspection}.pdf").read_bytes()[:5] == b"%PDF-"
    page_one = html[: html.index("What the evidence says")]
    assert "did not pass its convergence checks" in page_one and "SIMULATED DATA" in page_one
    assert "Flagged as" not in html and "no inspector is flagged" in html
    lead = data.inspections.set_index("inspection_id").loc[inspection, "lead_inspector_id"]
    assert lead not in html and pseudonym_key_file.read_text().strip() not in html
    record = json.loads((tmp_path / "privacy.json").read_text())["files"]
    assert record[f"evidence_pack_{inspection}.pdf"]["pseudonymised"]
    assert "simulated" in out and "evidence pack written" in out
    # the data's files are named with their SHA-256
    from inspect_audit.data.dataset import sha256

    assert sha256(root / "data" / "inspections.csv") in html


def test_a_fit_made_with_another_key_is_refused(fitted, tmp_path, capsys, monkeypatch):
    root, data = fitted
    monkeypatch.setenv("INSPECT_AUDIT_KEY_FILE", str(tmp_path / "other.key"))
    code, _, err = _run(_args(root, data.complaints["inspection_id"].iloc[0], tmp_path / "o",
                              "--allow-failed-fit"), capsys)
    assert code == 1 and "key id" in err and len(err.strip().splitlines()) == 1


def test_workspace_instead_of_a_folder(fitted, tmp_path, capsys):
    from inspect_audit.data import workspace

    root, data = fitted
    files = sorted((root / "data").glob("*.csv"))
    workspace.ingest(files, tmp_path / "audit.duckdb")
    inspection = data.complaints["inspection_id"].iloc[0]
    code, out, err = _run(["evidence-pack", "--fit", str(root / "fit"), "--inspection", inspection, "--out",
                           str(tmp_path / "o"), "--workspace", str(tmp_path / "audit.duckdb"), "--allow-failed-fit",
                           "--no-pdf"], capsys)
    assert code == 0, err
    html = (tmp_path / "o" / f"evidence_pack_{inspection}.html").read_text(encoding="utf-8")
    assert "audit.duckdb" in html and "SIMULATED DATA" in html


def test_data_other_than_the_fits_are_said_on_page_one(fitted, tmp_path, capsys):
    import shutil

    root, data = fitted
    shutil.copytree(root / "data", tmp_path / "data")
    schools = (tmp_path / "data" / "schools.csv").read_text(encoding="utf-8")
    (tmp_path / "data" / "schools.csv").write_text(schools.replace("Simulated School 0001", "Renamed School 0001"),
                                                   encoding="utf-8")
    inspection = data.complaints["inspection_id"].iloc[0]
    code, _, err = _run(["evidence-pack", "--fit", str(root / "fit"), "--inspection", inspection, "--out",
                         str(tmp_path / "o"), "--data", str(tmp_path / "data"), "--allow-failed-fit", "--no-pdf"],
                        capsys)
    assert code == 0 and "not the data the model was fitted on (schools.csv" in err
    html = (tmp_path / "o" / f"evidence_pack_{inspection}.html").read_text(encoding="utf-8")
    assert "not the data the model was fitted on" in html[: html.index("What the evidence says")]
    assert "Data the model was fitted on: folder" in html
