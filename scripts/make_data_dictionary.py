"""Regenerate docs/data-dictionary.md from data_schemas/."""

from pathlib import Path

from inspect_audit.data.schemas import data_dictionary_markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parents[1] / "docs" / "data-dictionary.md"
    target.write_text(data_dictionary_markdown(), encoding="utf-8")
    print(f"wrote {target}")
