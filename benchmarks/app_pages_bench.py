"""Time every app page in a real browser: cold (first visit, fits computed) and warm (fits cached).

Goal (issue 6): every page renders in under 3 s on the bundled data once fits are cached.
Runs `streamlit run` on 127.0.0.1 and drives Debian's Chromium with Playwright, as the browser tests do.

Run: ``python benchmarks/app_pages_bench.py [--quick-fit]``  (``--quick-fit``: 2 x 300 draws instead of 4 x 1000)
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import time
import urllib.request

PAGES = [("Data", "In use now"), ("Reliability dashboard", "How many inspectors would make a grade reliable?"),
         ("Context fairness", "least deprived fifth"), ("Complaints", "closed within"),
         ("Surveys and perspectives", "rank correlation"), ("Report cards: grade patterns", "at the middle grade"),
         ("Inspector effects and fairness", "Each inspector's estimated severity"),
         ("Complaint evidence pack", "What the evidence says"), ("Scorecard designer", "School pairs whose order reverses"),
         ("Model explorer", "Parameter-recovery and calibration evidence")]  # the browser tests' pages and markers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick-fit", action="store_true")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from inspect_audit.cli.app import streamlit_command

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **({"INSPECT_AUDIT_APP_FIT": "quick"} if args.quick_fit else {})}
    proc = subprocess.Popen(streamlit_command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"], headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(900_000)
            page.goto(url)
            page.get_by_text("In use now").wait_for()
            print(f"{'page':35s} {'cold s':>8s} {'cached s':>9s}  goal < 3 s cached")
            for title, marker in PAGES:
                timings = []
                for _ in range(2):
                    page.goto(url)
                    page.get_by_text("In use now").wait_for()
                    start = time.perf_counter()
                    page.get_by_role("link", name=title).click()
                    page.get_by_text(marker).first.wait_for()
                    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=900_000)
                    timings.append(time.perf_counter() - start)
                print(f"{title:35s} {timings[0]:8.1f} {timings[1]:9.1f}  {'ok' if timings[1] < 3 else 'SLOW'}")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
