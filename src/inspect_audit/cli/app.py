"""``inspect-audit app``: start the Streamlit app on this machine only (127.0.0.1)."""

from __future__ import annotations

import argparse
import subprocess
import sys

from inspect_audit.data.resources import app_dir


def streamlit_command(port: int) -> list[str]:
    """The command that serves the app locally, with usage statistics off."""
    return [sys.executable, "-m", "streamlit", "run", str(app_dir() / "streamlit_app.py"),
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer"]


def run(args: argparse.Namespace) -> int:
    print(f"inspect_audit app: http://127.0.0.1:{args.port} (Ctrl+C to stop)", flush=True)
    try:
        return subprocess.call(streamlit_command(args.port))
    except KeyboardInterrupt:
        return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("app", help="start the Streamlit app on the bundled data",
                              description="Serve the app on 127.0.0.1 only; data never leaves the machine.")
    p.add_argument("--port", type=int, default=8501)
    p.set_defaults(func=run)
