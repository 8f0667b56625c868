"""Safe tabular exports: CSV that spreadsheets open as data, never as formulas.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a
formula by Excel, LibreOffice or Google Sheets (CSV injection, OWASP). Such text cells get a
leading apostrophe, which spreadsheets show as text and hide. Numbers stay numbers. Used by
``odwatch findings --format csv`` and the scorecard's downloads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """``'=HYPERLINK(...)`` for ``=HYPERLINK(...)``; other values unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO | None = None
) -> str | None:
    """Write rows as CSV (header first, every text cell neutralised).

    Returns the text when ``out`` is None, else writes to ``out`` and returns None.
    """
    target = out if out is not None else io.StringIO()
    writer = csv.writer(target, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            ["" if row.get(c) is None else neutralize_cell(row.get(c)) for c in columns]
        )
    return target.getvalue() if out is None else None  # type: ignore[union-attr]
