"""Tables parsed from file samples: delimited text and JSON records, with their positions.

Pure. "row N" is the N-th data record (the header is not counted), "line N" the physical line
of the file where that record starts, "column N" is 1-based. Used by ``checks/content.py``
(findings) and ``checks/content_expectations.py`` (the GX suite).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field

_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?%?$")


@dataclass
class Table:
    """A parsed table: the header and the data records with their positions in the file."""

    header: list[str]
    rows: list[list[str | None]]  # data records; "" cells become None
    row_numbers: list[int]  # 1-based record number of each row (blank rows skipped)
    line_numbers: list[int]  # physical line where each row starts
    widths: list[int]  # fields each row really had before padding
    delimiter: str | None = None
    has_header: bool = True
    empty_rows: list[int] = field(default_factory=list)  # row numbers without any value
    header_line_breaks: list[int] = field(default_factory=list)  # columns (1-based)
    endings: Counter = field(default_factory=Counter)  # record terminators: CRLF, LF, CR

    @property
    def width(self) -> int:
        return len(self.header)

    def line_of(self, row: int) -> int | None:
        try:
            return self.line_numbers[self.row_numbers.index(row)]
        except ValueError:
            return None

    def column_label(self, index: int) -> str:
        """Unique, non-blank names for a DataFrame: 'Maße', 'column 10', 'name (2)'."""
        return column_labels(self.header)[index]


def column_labels(header: list[str]) -> list[str]:
    labels: list[str] = []
    seen: Counter = Counter()
    for i, name in enumerate(header, start=1):
        label = name.strip() or f"column {i}"
        seen[label] += 1
        labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return labels


def ranges(numbers: list[int], limit: int = 8) -> str:
    """1,2,3,7,9,10 -> '1-3, 7, 9-10' (at most `limit` pieces, then '...')."""
    pieces: list[str] = []
    nums = sorted(set(numbers))
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        pieces.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    if len(pieces) > limit:
        return ", ".join(pieces[:limit]) + ", ..."
    return ", ".join(pieces)


class _Lines:
    """Feeds csv.reader line by line and remembers the line count and the last ending."""

    def __init__(self, text: str) -> None:
        self._it = iter(io.StringIO(text, newline=""))
        self.count = 0
        self.last = ""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.count += 1
        self.last = line
        return line


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "CRLF"
    if line.endswith("\n"):
        return "LF"
    if line.endswith("\r"):
        return "CR"
    return ""


def looks_like_header(first: list[str], rows: list[list[str]]) -> bool:
    """Is the first record a header? Yes unless it has the types of the data below it.

    A first record with a text cell above a column of numbers is a header. A first record
    whose cells are typed like the rows below (numbers over numbers, at least one) is data,
    unless its numbers are all years over a non-year column (wide tables: Bezirk;2019;2020).
    """
    sample = [r for r in rows[:50] if any(c.strip() for c in r)]
    if not sample:
        return True
    numeric_cols = 0
    for i, cell in enumerate(first):
        values = [r[i].strip() for r in sample if i < len(r) and r[i].strip()]
        if not values:
            continue
        numbers = sum(1 for v in values if _NUMBER.match(v))
        col_numeric = numbers >= 0.8 * len(values)
        cell_numeric = bool(_NUMBER.match(cell.strip()))
        if col_numeric and cell.strip() and not cell_numeric:
            return True
        if col_numeric and cell_numeric:
            is_year = re.fullmatch(r"(19|20)\d\d", cell.strip()) is not None
            if not (is_year and not all(re.fullmatch(r"(19|20)\d\d", v) for v in values)):
                numeric_cols += 1
    return numeric_cols == 0


def parse_delimited(text: str, delimiter: str, truncated: bool = False) -> tuple[Table, str | None]:
    """Parse CSV text; returns the table and, if the reader gave up, where and why."""
    lines = _Lines(text.lstrip("\ufeff"))
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[tuple[int, list[str], str]] = []  # (start line, fields, ending)
    error: str | None = None
    start = 1
    try:
        for record in reader:
            records.append((start, record, _ending(lines.last)))
            start = lines.count + 1
    except csv.Error as exc:
        error = f"line {lines.count}: {exc}"
    if truncated and records:
        records.pop()  # the sample ends inside the last record
    header = records[0][1] if records else []
    table = Table(header=list(header), rows=[], row_numbers=[], line_numbers=[], widths=[])
    table.delimiter = delimiter
    table.header_line_breaks = [i for i, c in enumerate(header, 1) if "\n" in c or "\r" in c]
    body = records[1:]
    table.has_header = looks_like_header(header, [r for _, r, _ in body])
    if not table.has_header:
        body = records
        table.header = [f"column {i}" for i in range(1, len(header) + 1)]
    width = len(table.header)
    for n, (line, record, ending) in enumerate(body, start=1):
        if ending:
            table.endings[ending] += 1
        if not any(c.strip() for c in record):
            table.empty_rows.append(n)
            continue
        cells: list[str | None] = [c if c.strip() else None for c in record[:width]]
        cells.extend([None] * (width - len(cells)))
        table.rows.append(cells)
        table.row_numbers.append(n)
        table.line_numbers.append(line)
        table.widths.append(len(record))
    return table, error


# ------------------------------------------------------------------ JSON tables


def json_table(value: object) -> Table | None:
    """An array of objects (or GeoJSON features' properties) as a table; else None."""
    records: object = value
    if isinstance(value, dict) and isinstance(value.get("features"), list):
        records = [f.get("properties") if isinstance(f, dict) else None for f in value["features"]]
    if not isinstance(records, list) or not records:
        return None
    if not all(isinstance(r, dict) or r is None for r in records):
        return None
    header: list[str] = []
    seen: set[str] = set()
    for r in records:
        for k in r or {}:
            if k not in seen:
                seen.add(k)
                header.append(str(k))
    table = Table(header=header, rows=[], row_numbers=[], line_numbers=[], widths=[])
    for n, r in enumerate(records, start=1):
        r = r or {}
        if not any(v not in (None, "") for v in r.values()):
            table.empty_rows.append(n)
            continue
        table.rows.append([_cell(r.get(k)) for k in header])
        table.row_numbers.append(n)
        table.line_numbers.append(0)
        table.widths.append(len(r))
    return table


def _cell(value: object) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# ------------------------------------------------------------------ series


@dataclass(frozen=True)
class Shape:
    """What a later file of the same series should keep: delimiter and column order."""

    columns: tuple[str, ...]
    delimiter: str | None
    label: str  # which file it came from, for the evidence


def shape_of(table: Table, label: str) -> Shape:
    return Shape(tuple(c.strip() for c in table.header), table.delimiter, label)


def same_series(previous: Shape, current: Shape, threshold: float = 0.5) -> bool:
    """Are two tables files of one series (yearly files of a dataset)? Yes when at least half
    of their column names are shared; a dataset's unrelated tables share few."""
    a = {c.lower() for c in previous.columns if c}
    b = {c.lower() for c in current.columns if c}
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold
