"""End-to-end: Playwright drives Debian's Chromium against ``streamlit run`` on 127.0.0.1.

Screenshots go to ``tests/screenshots/`` (git-ignored) so a person can look at them.
In CI a missing Chromium is a failure, not a skip (.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO
from test_validation import INSPECTIONS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = REPO / "tests" / "screenshots"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("Chromium is not installed; .ci/run must install it (apt-get install chromium)")
    pytest.skip("Chromium not installed (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    from inspect_audit.cli.app import streamlit_command

    port = _free_port()
    env = {**os.environ, "INSPECT_AUDIT_APP_FIT": "quick"}  # quick fits: model pages in seconds, not minutes
    proc = subprocess.Popen(streamlit_command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("streamlit did not start: " + proc.stdout.read().decode()[-2000:])
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def test_data_page_loads_bundled_data(page, server):
    started = time.perf_counter()
    page.goto(server)
    page.get_by_role("heading", name="Data").first.wait_for()
    page.get_by_text("In use now").wait_for()
    page.get_by_text("Bundled England data").first.wait_for()
    print(f"data page rendered in {time.perf_counter() - started:.1f} s (cold)")
    page.screenshot(path=str(SHOTS / "data_page.png"), full_page=True)


def test_bad_upload_shows_failure_table(page, server, tmp_path):
    bad = tmp_path / "inspections.csv"
    bad.write_text(INSPECTIONS + "i3,100001,2021-02-30,eif_2019,graded,,2\n")
    page.goto(server)
    page.get_by_text("Upload my own files").click()
    page.locator("input[type=file]").set_input_files(str(bad))
    page.get_by_role("button", name="Check and use these files").click()
    page.get_by_text("1 problem(s) found").wait_for()
    # the button carries a help tooltip (what the writer did), which repeats its label: take the first
    page.get_by_text("Download the problems as CSV").first.wait_for()
    page.screenshot(path=str(SHOTS / "data_page_bad_upload.png"), full_page=True)
    assert page.get_by_text("Traceback").count() == 0


def _open_page(page, server, title: str) -> float:
    """Open a page from the navigation; returns seconds until its title shows."""
    page.goto(server)
    page.get_by_role("heading", name="Data").first.wait_for()
    started = time.perf_counter()
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).first.wait_for()
    return time.perf_counter() - started


def test_reliability_dashboard_renders(page, server):
    cold = _open_page(page, server, "Reliability dashboard")
    page.get_by_text("Same grade from two inspectors").wait_for()
    page.get_by_text("How many inspectors would make a grade reliable?").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "reliability.png"), full_page=True)
    warm = _open_page(page, server, "Reliability dashboard")
    page.get_by_text("Same grade from two inspectors").wait_for()
    print(f"reliability dashboard: {cold:.1f} s cold, {warm:.1f} s cached")
    assert page.get_by_text("Traceback").count() == 0


def test_scorecard_designer_weight_change(page, server):
    cold = _open_page(page, server, "Scorecard designer")
    page.get_by_text("School pairs whose order reverses").wait_for()
    box = page.get_by_label("KS2 progress (2022/23)")
    box.fill("0.9")
    box.press("Enter")
    from playwright.sync_api import expect

    metric = page.locator("[data-testid='stMetricValue']").nth(3)
    expect(metric).not_to_have_text("0", timeout=60_000)  # more weight on progress reorders schools
    page.screenshot(path=str(SHOTS / "scorecard.png"), full_page=True)
    reversals = metric.inner_text()
    print(f"scorecard designer: {cold:.1f} s cold; reversals after the weight change: {reversals}")
    assert int(reversals.replace(",", "")) > 0
    assert page.get_by_text("Traceback").count() == 0


def test_evidence_pack_download(page, server, tmp_path):
    _open_page(page, server, "Complaint evidence pack")
    page.get_by_text("Grade awarded").first.wait_for(timeout=300_000)
    page.get_by_text("Download the pack (PDF)").wait_for()
    page.screenshot(path=str(SHOTS / "evidence_pack.png"), full_page=True)
    for label, suffix in (("Download the pack (PDF)", ".pdf"), ("Download the pack (HTML)", ".html")):
        with page.expect_download() as download:
            page.get_by_text(label).click()
        target = tmp_path / f"pack{suffix}"
        download.value.save_as(target)
        head = target.read_bytes()[:5]
        assert head == b"%PDF-" if suffix == ".pdf" else b"<!doc" == head.lower()
    html = (tmp_path / "pack.html").read_text(encoding="utf-8")
    assert "data version" in html and "seed" in html and "<table" in html and "INS-" not in html
    warm = _open_page(page, server, "Complaint evidence pack")
    page.get_by_text("Grade awarded").first.wait_for()
    print(f"evidence pack page: {warm:.1f} s with the fit cached")


def test_inspector_page_renders(page, server):
    _open_page(page, server, "Inspector effects and fairness")
    page.get_by_text("Each inspector's estimated severity").wait_for(timeout=300_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "inspectors.png"), full_page=True)
    assert page.get_by_text("UNUSABLE FIT").count() == 1  # the quick test fit must say so


def test_model_explorer_renders(page, server):
    seconds = _open_page(page, server, "Model explorer")
    page.get_by_role("heading", name="Convergence gates").wait_for(timeout=300_000)
    page.get_by_role("heading", name="Posterior predictive check").wait_for()
    page.get_by_role("heading", name="Prior sensitivity (power-scaling)").wait_for()
    page.get_by_role("heading", name="Model comparison (PSIS-LOO)").wait_for()
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "model_explorer.png"), full_page=True)
    # Streamlit scrolls inside its own container, so a tall viewport shows the checks below the fold
    page.set_viewport_size({"width": 1400, "height": 3000})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "model_explorer_checks.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    print(f"model explorer: {seconds:.1f} s")
    assert page.get_by_text("Traceback").count() == 0
