"""Where every benchmark writes its figures: a section appended to bench/RESULTS.md."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def append_results(text: str) -> None:
    """Append one Markdown section (already dated, with its machine) to RESULTS.md."""
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write("\n" + text)
