"""The bundled real England data: it validates, and it reproduces a known published fact."""

from __future__ import annotations

import importlib.util
import os

import pytest

from inspect_audit.bundled import england_paths, load_england
from inspect_audit.descriptives import grade_shares
from inspect_audit.grades import area_grades

from conftest import REPO, SHARED_DATA


@pytest.fixture(scope="module")
def england():
    return load_england()


def test_bundle_is_complete_and_compact(england):
    assert len(england["schools"]) > 20_000
    assert england["inspections"]["urn"].is_unique  # latest graded inspection per school
    assert england["survey_aggregates"]["urn"].nunique() > 5_000  # Parent View, ~5,900 published
    size = sum(os.path.getsize(p) for p in england_paths().values())
    assert size < 5_000_000, f"bundle is {size / 1e6:.1f} MB; keep it a few MB"


def test_outstanding_share_falls_with_deprivation_within_phase(england):
    """Known fact (SOURCE.md of the raw extract; Ofsted MI as at 31 Aug 2024 joined to 2022/23 census):
    % Outstanding falls from about 19% (least disadvantaged FSM quintile) to about 8% (most) for
    primaries, and from about 33% to about 9% for secondaries. Tolerance: 2.5 points, about the
    rounding of quintile edges plus the 90% interval half-width at n ~ 640."""
    grades, scale = area_grades(england, "overall_effectiveness")
    shares = grade_shares(grades, scale, by=["phase", "fsm_quintile"])
    outstanding = shares[shares["grade"] == scale.codes[0]].set_index(["phase", "fsm_quintile"])["share"]
    for phase, (q1, q5) in {"primary": (0.19, 0.077), "secondary": (0.332, 0.086)}.items():
        part = outstanding.loc[phase]
        assert part.loc[1] == pytest.approx(q1, abs=0.025)
        assert part.loc[5] == pytest.approx(q5, abs=0.025)
        assert part.loc[1] > part.loc[3] > part.loc[5]


@pytest.mark.skipif(not (SHARED_DATA / "locale-ofsted-derived").is_dir(), reason="raw extracts absent")
def test_build_script_reproduces_the_shipped_files(tmp_path):
    spec = importlib.util.spec_from_file_location("build", REPO / "scripts" / "build_england_data.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    build.main(["--raw", str(SHARED_DATA), "--out", str(tmp_path)])
    for table, shipped in england_paths().items():
        assert (tmp_path / f"{table}.csv.gz").read_bytes() == open(shipped, "rb").read(), table
