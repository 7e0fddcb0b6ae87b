"""The public API (``import inspect_audit as ia``) and the README's Python example."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import inspect_audit as ia

REPO = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves_and_is_documented():
    for name in ia.__all__:
        value = getattr(ia, name)
        assert value is not None, name
        if callable(value):
            assert value.__doc__, f"ia.{name} has no docstring"
    assert set(ia.__all__) <= set(dir(ia))


def test_public_names_are_the_library_objects():
    from inspect_audit.agreement.table import agreement_table
    from inspect_audit.inspectors import ContextModel, InspectorModel
    from inspect_audit.data.simulate import simulate

    assert ia.agreement_table is agreement_table
    assert ia.InspectorModel is InspectorModel and ia.ContextModel is ContextModel
    assert ia.simulate_data is simulate
    assert ia.scorecard.load_spec is ia.load_spec  # question packages reachable without importing them


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'agreement_tabel'"):
        ia.agreement_tabel  # noqa: B018


def test_import_is_quick_and_loads_no_heavy_dependency():
    code = ("import sys, inspect_audit; heavy = [m for m in ('numpy', 'pandas', 'scipy', 'pymc', 'matplotlib', "
            "'streamlit') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has no Python example"
    code = blocks[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 5
    printed = io.StringIO()
    namespace: dict = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "README.md", "exec"), namespace)
    table = namespace["table"]
    assert isinstance(table, pd.DataFrame) and {"estimate", "ci_low", "ci_high", "n"} <= set(table.columns)
    assert "gwet_ac1" in printed.getvalue()
