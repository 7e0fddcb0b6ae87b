"""``inspect-audit complaints``: no row under the id of an inspector whose groups are suppressed."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import run_cli
from inspect_audit.cli import complaints as complaints_cli
from inspect_audit.data.simulate import SimulationConfig, simulate

RAW_ID = re.compile(rb"INS-\d{3}")
PSEUDONYM = r"Inspector-[0-9A-F]{16}"


@pytest.fixture(scope="module")
def complaints_data(tmp_path_factory):
    sim = simulate(SimulationConfig(n_schools=1200, n_inspectors=40), seed=5)
    root = tmp_path_factory.mktemp("complaints")
    sim.write(root / "data")
    ids = [r["inspector_id"] for r in sim.truth["inspectors"]]
    draws = pd.DataFrame({f"d{i}": [r["severity"] + 0.05 * i for r in sim.truth["inspectors"]] for i in range(3)},
                         index=pd.Index(ids, name="inspector_id"))
    draws.to_csv(root / "draws.csv")
    return root


def test_complaints_write_no_row_of_a_suppressed_inspector(complaints_data, capsys):
    root = complaints_data
    argv = ["complaints", "--data", str(root / "data"), "--snapshot", "2024-08-31", "--min-group", "3",
            "--severity-draws", str(root / "draws.csv")]
    assert run_cli(complaints_cli.register, [*argv, "--out", str(root / "out")]) == 0
    rates = pd.read_csv(root / "out" / "complaints_upheld_rates.csv")
    people = rates[rates["dimension"] == "lead_inspector"]
    assert len(people) and not people["suppressed"].any() and (people["n"] >= 3).all()
    assert people["group"].str.fullmatch(PSEUDONYM).all()
    for path in (root / "out").iterdir():
        if path.suffix != ".png":
            assert not RAW_ID.search(path.read_bytes()), path.name
    entry = json.loads((root / "out" / "privacy.json").read_text())["files"]["complaints_upheld_rates.csv"]
    assert entry["suppression"]["person_rows_dropped"] > 0
    # the severity link still joins the draws (given under real ids) to the pseudonymised inspections
    assert run_cli(complaints_cli.register, [*argv, "--out", str(root / "own"), "--no-pseudonymise"]) == 0
    own = pd.read_csv(root / "own" / "complaints_upheld_rates.csv")
    assert own.loc[own["dimension"] == "lead_inspector", "group"].str.fullmatch(r"INS-\d{3}").all()
    pd.testing.assert_frame_equal(pd.read_csv(root / "out" / "complaints_vs_severity.csv"),
                                  pd.read_csv(root / "own" / "complaints_vs_severity.csv"))
    capsys.readouterr()


