"""Content checks on a sample of a file: is it what the portal says, and is it usable?

Pure: bytes in (at most the sample cap, `truncated` says whether the file went on), a
`ContentReport` out with the sniffed format, encoding, table shape and findings. The table
checks that Great Expectations runs (columns present, no fully empty column, consistent row
width) live in ``checks/content_expectations.py``; ``checks/tables.py`` parses the tables.

Numbering in evidence: "row N" is the N-th data record (the header is not counted), "line N"
the physical line of the file where that record starts, "column N" is 1-based.

Finding codes (severity):
``empty-file`` (error)            no bytes, or only whitespace.
``html-instead-of-data`` (error)  an HTML page where a data file was declared.
``format-mismatch`` (warning)     the bytes are another format than declared (a PDF as CSV).
``invalid-json`` (error)          declared or sniffed JSON that does not parse.
``not-utf8`` (warning)            text that is not UTF-8 (ISO-8859-1, Windows-1252, UTF-16).
``utf8-bom`` (info)               UTF-8 with a byte-order mark.
``no-rows`` (warning)             a header and no data rows.
``blank-header`` (warning)        a column without a name.
``duplicate-header`` (warning)    two columns with the same name.
``multiline-header`` (warning)    a header cell with a line break in it.
``empty-rows`` (warning)          rows without any value (only delimiters, or blank lines).
``mixed-line-endings`` (info)     records end in CRLF and in LF.
``unparseable-csv`` (error)       the CSV reader gave up (the line is named).
``delimiter-changed``, ``column-order-changed`` (warning): against an earlier table of the
same series (the previous year's file, the previous check of this URL).
From the GX suite (content_expectations.py): ``ragged-rows``, ``empty-column``,
``columns-changed`` (warning).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from checks.sniff import TEXT_FORMATS, Sniffed, sniff
from checks.tables import Shape, Table, json_table, parse_delimited, ranges

Severity = Literal["error", "warning", "info"]

# Families of formats that may stand for each other without a format-mismatch.
_FAMILY: dict[str, str] = {
    "CSV": "delimited",
    "TSV": "delimited",
    "TXT": "delimited",
    "JSON": "json",
    "GEOJSON": "json",
    "JSONLD": "json",
    "XML": "xml",
    "KML": "xml",
    "GML": "xml",
    "RDF": "xml",
    "ATOM": "xml",
    "RSS": "xml",
    "XLS": "spreadsheet",
    "XLSX": "spreadsheet",
    "ODS": "spreadsheet",
}
# Formats that are ZIP files inside: a declared ZIP (or shapefile, GTFS) may be any of them.
ZIP_BASED = frozenset({"ZIP", "XLSX", "DOCX", "PPTX", "ODS", "ODT", "ODP", "KMZ"})
_ZIP_DECLARED = frozenset({"ZIP", "SHP", "GTFS", "KMZ"})
# Declared formats that name a service or a page, whose answer may legitimately be anything.
UNJUDGED = frozenset(
    {"API", "ESRI_REST", "WMS", "WFS", "WCS", "WMTS", "SPARQL", "ODATA", "HTML", "TXT"}
)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    evidence: str


@dataclass
class ContentReport:
    sniffed: Sniffed
    declared: str | None
    truncated: bool
    size: int
    table: Table | None = None
    json_type: str | None = None  # top-level JSON type: object, array
    findings: list[Finding] = field(default_factory=list)

    @property
    def format(self) -> str | None:
        return self.sniffed.format


def _quote(text: str, n: int = 40) -> str:
    text = text if len(text) <= n else text[: n - 1] + "…"
    return repr(text)


def table_findings(table: Table) -> list[Finding]:
    """Findings about a parsed table's header and empty rows (GX judges widths and columns)."""
    out: list[Finding] = []
    header = table.header
    if table.has_header:
        blank = [i for i, c in enumerate(header, 1) if not c.strip()]
        if blank:
            cols = ", ".join(str(i) for i in blank)
            out.append(
                Finding(
                    "blank-header",
                    "warning",
                    f"{len(blank)} column(s) without a name; give every column a name",
                    f"column {cols} of {len(header)}",
                )
            )
        names = Counter(c.strip() for c in header if c.strip())
        for name, n in names.items():
            if n > 1:
                where = [str(i) for i, c in enumerate(header, 1) if c.strip() == name]
                out.append(
                    Finding(
                        "duplicate-header",
                        "warning",
                        f"the column name {name!r} is used {n} times; make names unique",
                        f"columns {', '.join(where)}",
                    )
                )
        for i in table.header_line_breaks:
            out.append(
                Finding(
                    "multiline-header",
                    "warning",
                    "a header cell contains a line break; put the name on one line",
                    f"column {i}: {_quote(header[i - 1])}",
                )
            )
    if not table.rows:
        out.append(
            Finding("no-rows", "warning", "the file has a header but no data rows", "0 rows")
        )
    if table.empty_rows:
        out.append(
            Finding(
                "empty-rows",
                "warning",
                f"{len(table.empty_rows)} row(s) without any value; remove them",
                f"rows {ranges(table.empty_rows)}",
            )
        )
    if len(table.endings) > 1:
        (major, _), *rest = table.endings.most_common()
        detail = ", ".join(f"{n} {e}" for e, n in table.endings.most_common())
        out.append(
            Finding(
                "mixed-line-endings",
                "info",
                f"records end in {' and '.join(e for e, _ in table.endings.most_common())}; "
                f"use one line ending ({major})",
                detail,
            )
        )
    return out


# ------------------------------------------------------------------ format and encoding


def format_findings(sniffed: Sniffed, declared: str | None, container: str | None) -> list[Finding]:
    """Does the sniffed format match the declared one?"""
    real = sniffed.format
    if real is None or declared is None or declared in UNJUDGED:
        return []
    if real == "HTML":
        return [
            Finding(
                "html-instead-of-data",
                "error",
                f"the link serves a web page, not the declared {declared} file; link the file itself",
                f"declared {declared}, got {sniffed.how}",
            )
        ]
    if real == declared or (_FAMILY.get(real) and _FAMILY.get(real) == _FAMILY.get(declared)):
        return []
    if real in ZIP_BASED and (declared in _ZIP_DECLARED or container in ("ZIP", "KMZ")):
        return []
    if real == "GZIP" and container == "GZIP":
        return []
    return [
        Finding(
            "format-mismatch",
            "warning",
            f"declared {declared} but the file is {real}; correct the format field",
            f"declared {declared}, sniffed {real} ({sniffed.how})",
        )
    ]


def encoding_findings(sniffed: Sniffed) -> list[Finding]:
    enc = sniffed.encoding
    if sniffed.format not in TEXT_FORMATS or sniffed.format == "HTML" or enc.name is None:
        return []
    if enc.name == "utf-8-sig":
        return [
            Finding(
                "utf8-bom",
                "info",
                "UTF-8 with a byte-order mark; some tools read it as data",
                "EF BB BF",
            )
        ]
    if enc.name == "utf-8":
        return []
    if sniffed.format in ("XML", "KML", "GML", "RDF", "ATOM", "RSS") and _xml_declares_encoding(
        sniffed.text or ""
    ):
        return []  # XML may declare another encoding in its prolog; that is valid
    where = ""
    if enc.first_bad:
        line, offset, byte = enc.first_bad
        where = f"; first non-UTF-8 byte 0x{byte:02X} on line {line} (byte offset {offset})"
    return [
        Finding(
            "not-utf8",
            "warning",
            f"the text is {enc.name.upper()}, not UTF-8; publish it as UTF-8",
            f"decoded as {enc.name.upper()}{where}",
        )
    ]


def _xml_declares_encoding(text: str) -> bool:
    return re.match(r"\s*<\?xml[^>]*encoding=", text[:200]) is not None


# ------------------------------------------------------------------ the whole check


def check_content(
    data: bytes,
    declared: str | None = None,
    *,
    container: str | None = None,
    truncated: bool = False,
) -> ContentReport:
    """Sniff, decode and parse a sample; the table (if any) is left for the GX suite."""
    sniffed = sniff(data, truncated=truncated, hint=declared)
    report = ContentReport(sniffed=sniffed, declared=declared, truncated=truncated, size=len(data))
    if sniffed.how == "empty":
        report.findings.append(
            Finding(
                "empty-file", "error", "the file is empty; upload the data", f"{len(data)} bytes"
            )
        )
        return report
    report.findings += format_findings(sniffed, declared, container)
    report.findings += encoding_findings(sniffed)
    text = sniffed.text or ""
    if sniffed.format in ("CSV", "TSV") and sniffed.delimiter:
        table, error = parse_delimited(text, sniffed.delimiter, truncated)
        if error:
            report.findings.append(
                Finding(
                    "unparseable-csv", "error", "the CSV reader stopped; fix the quoting", error
                )
            )
        report.table = table
        report.findings += table_findings(table)
    elif sniffed.format in ("JSON", "GEOJSON", "JSONLD") and not truncated:
        try:
            value = json.loads(text.lstrip("\ufeff"))
        except ValueError as exc:
            line, col = getattr(exc, "lineno", None), getattr(exc, "colno", None)
            report.findings.append(
                Finding(
                    "invalid-json",
                    "error",
                    "the JSON does not parse; fix the syntax",
                    f"line {line}, column {col}: {getattr(exc, 'msg', exc)}",
                )
            )
        else:
            report.json_type = (
                type(value).__name__.replace("dict", "object").replace("list", "array")
            )
            report.table = json_table(value)
            if report.table is not None and report.table.empty_rows:
                report.findings += [
                    f for f in table_findings(report.table) if f.code == "empty-rows"
                ]
    return report


# ------------------------------------------------------------------ drift in a series


def drift_findings(previous: Shape, current: Shape) -> list[Finding]:
    """Delimiter and column order against an earlier file of the series.

    Columns added or missing are judged by the GX suite (expected column set = the earlier
    file's); the order of the columns both share is judged here.
    """
    out: list[Finding] = []
    names = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe", None: "none"}
    if previous.delimiter and current.delimiter and previous.delimiter != current.delimiter:
        out.append(
            Finding(
                "delimiter-changed",
                "warning",
                f"the delimiter changed from {names[previous.delimiter]} to "
                f"{names[current.delimiter]}; keep one format across the series",
                f"{previous.label}: {previous.delimiter!r}; this file: {current.delimiter!r}",
            )
        )
    shared = [c for c in previous.columns if c in current.columns]
    now = [c for c in current.columns if c in previous.columns]
    if shared != now:
        out.append(
            Finding(
                "column-order-changed",
                "warning",
                "the columns are in another order than in the earlier file; keep the order",
                f"{previous.label}: {', '.join(shared)}; this file: {', '.join(now)}",
            )
        )
    return out
