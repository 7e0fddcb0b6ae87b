"""``inspect-audit inspectors``: pseudonyms only in every output, no row for an inspector below the threshold."""

from __future__ import annotations

import json
import re
import warnings

import pandas as pd
import pytest

from conftest import formula_cells, run_cli
from inspect_audit.cli import inspectors as inspectors_cli
from inspect_audit._core import privacy
from inspect_audit.data.simulate import SimulationConfig, simulate

RAW_ID = re.compile(rb"INS-\d{3}")
PSEUDONYM = r"Inspector-[0-9A-F]{16}"
SMALL = SimulationConfig(n_schools=300, n_inspectors=15, paired_n_schools=0, survey_n_schools=0)


def _fit(data_dir, out, *extra) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_cli(inspectors_cli.register, ["inspectors", "--data", str(data_dir), "--out", str(out), "--chains",
                                                 "2", "--tune", "20", "--draws", "20", "--seed", "1", "--quiet", *extra])


@pytest.fixture(scope="module")
def inspector_fit(tmp_path_factory):
    """A 2 x 20 fit through the CLI (not converged: exit 3) on data with inspectors of 4-9 inspections."""
    data = simulate(SMALL, seed=11)
    root = tmp_path_factory.mktemp("inspectors")
    data.write(root / "data")
    assert _fit(root / "data", root / "out") == 3
    return data, root


def test_inspectors_outputs_carry_pseudonyms_only_and_no_small_inspector(inspector_fit, capsys):
    data, root = inspector_fit
    out = root / "out"
    counts = data.inspections["lead_inspector_id"].value_counts()
    assert counts.between(4, privacy.MIN_N - 1).any()  # the data hold inspectors below the threshold
    effects = pd.read_csv(out / "inspector_effects.csv", keep_default_na=False)
    assert effects["inspector_id"].str.fullmatch(PSEUDONYM).all()
    assert (effects["n_inspections"] >= privacy.MIN_N).all() and len(effects) == (counts >= privacy.MIN_N).sum()
    for path in out.iterdir():  # tables, JSON and the netCDF posterior alike
        assert not RAW_ID.search(path.read_bytes()), path.name
    import xarray as xr

    with xr.open_datatree(out / "posterior.nc", engine="h5netcdf") as tree:
        ids = pd.Series(tree["design"].to_dataset()["inspector_ids"].values.astype(str))
    assert ids.str.fullmatch(PSEUDONYM).all()
    manifest = json.loads((out / "privacy.json").read_text())["files"]
    assert manifest["inspector_effects.csv"]["suppression"]["person_rows_dropped"] == (counts < privacy.MIN_N).sum()
    assert manifest["posterior.nc"]["pseudonymised"] == ["inspector_id", "lead_inspector_id"]
    assert "keep it with the data owner" in manifest["posterior.nc"]["note"]
    diag = json.loads((out / "diagnostics.json").read_text())
    assert diag["privacy"]["pseudonymised"] == ["inspector_id", "lead_inspector_id"]
    key = privacy.pseudonym_key()
    assert all(key not in p.read_bytes().decode("latin-1") for p in out.iterdir())
    assert all(formula_cells(p) == [] for p in out.glob("*.csv"))
    # the counterfactual still finds an inspection by its id and names its lead by pseudonym only
    inspection = data.inspections.loc[data.inspections["lead_inspector_id"] == counts.index[0], "inspection_id"].iloc[0]
    capsys.readouterr()
    assert run_cli(inspectors_cli.register, ["counterfactual", "--fit", str(out), "--inspection", inspection]) == 0
    printed = capsys.readouterr().out
    assert re.search(PSEUDONYM, printed) and not RAW_ID.search(printed.encode())


def test_inspectors_no_pseudonymise_is_explicit_and_stated(inspector_fit):
    data, root = inspector_fit
    assert _fit(root / "data", root / "own", "--no-pseudonymise") == 3
    effects = pd.read_csv(root / "own" / "inspector_effects.csv", keep_default_na=False)
    assert effects["inspector_id"].str.fullmatch(r"INS-\d{3}").all()
    assert (effects["n_inspections"] >= privacy.MIN_N).all()  # suppression stays on
    diag = json.loads((root / "own" / "diagnostics.json").read_text())
    assert diag["privacy"]["pseudonymised"] is False and "turned off" in diag["privacy"]["identities"]


