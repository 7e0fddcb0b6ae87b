"""Finding the fit folders `inspect-audit inspectors --out` wrote (inspect_audit.inspectors.fit_folders)."""

from __future__ import annotations

import json
import os

from inspect_audit.inspectors.fit_folders import COLUMNS, find_fits


def _fake_fit(folder, area: str, ok: bool, mtime: float) -> None:
    """What find_fits reads: posterior.nc (its presence and date) and diagnostics.json."""
    folder.mkdir(parents=True)
    (folder / "posterior.nc").write_bytes(b"")
    os.utime(folder / "posterior.nc", (mtime, mtime))
    (folder / "diagnostics.json").write_text(json.dumps(
        {"ok": ok, "model": {"area": area}, "data": {"n": {"inspections": 1396, "inspectors": 39}}}))


def test_lists_the_fits_below_a_folder_newest_first(tmp_path):
    _fake_fit(tmp_path / "old", "overall_effectiveness", False, 1_700_000_000)
    _fake_fit(tmp_path / "2026" / "new", "quality_of_education", True, 1_800_000_000)
    (tmp_path / "not_a_fit").mkdir()
    found = find_fits(tmp_path)
    assert list(found.columns) == COLUMNS
    assert list(found["fit"]) == ["new", "old"]  # two levels down, newest first
    found = find_fits(tmp_path / "2026")
    assert found.iloc[0].to_dict() | {"saved": ""} == {
        "folder": str(tmp_path / "2026" / "new"), "fit": "new", "area": "quality_of_education",
        "inspections": 1396, "inspectors": 39, "gates passed": True, "saved": ""}


def test_a_fit_folder_itself_and_nothing(tmp_path):
    _fake_fit(tmp_path / "fit", "overall_effectiveness", True, 1_800_000_000)
    assert list(find_fits(tmp_path / "fit")["fit"]) == ["fit"]
    assert find_fits(tmp_path / "missing").empty and find_fits(tmp_path / "fit" / "posterior.nc").empty


def test_a_fit_without_readable_diagnostics_is_still_listed(tmp_path):
    (tmp_path / "fit").mkdir()
    (tmp_path / "fit" / "posterior.nc").write_bytes(b"")
    (tmp_path / "fit" / "diagnostics.json").write_text("{not json")
    row = find_fits(tmp_path).iloc[0]
    assert row["fit"] == "fit" and row["area"] == "" and row["gates passed"] is None


def test_a_multi_area_fit_is_listed_with_its_areas(tmp_path):
    """A fit of every report-card area together (`--framework`) saves no posterior.nc: its area_effects.csv and
    diagnostics.json make it a fit folder, named by its areas and framework; a folder with diagnostics.json alone
    is not one."""
    fit = tmp_path / "cards"
    fit.mkdir()
    (fit / "area_effects.csv").write_text("area,term,mean\n")
    (fit / "diagnostics.json").write_text(json.dumps(
        {"ok": True, "framework": "report_card_2025",
         "data": {"n": {"judgements": 7948, "inspections": 1160, "inspectors": 60, "areas": 8}}}))
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "diagnostics.json").write_text("{}")
    found = find_fits(tmp_path)
    assert list(found["fit"]) == ["cards"]
    assert found.iloc[0][["area", "inspections", "inspectors", "gates passed"]].tolist() == [
        "all 8 areas (report_card_2025)", 1160, 60, True]
