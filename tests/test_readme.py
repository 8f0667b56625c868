"""The README's method block is generated from the code's own tables: it cannot drift."""

from pathlib import Path

from checks.method_doc import embed

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_method_block_is_current():
    text = README.read_text(encoding="utf-8")
    assert text == embed(text), "README method block is stale: run `make readme`"
