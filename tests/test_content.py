"""Content checks: sniffing, encodings, CSV shape, the GX suite, drift; real files give exact
findings (Bochum's ISO-8859-1 CSV, Berlin's yearly files that change their columns)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from checks.content import Finding, check_content, drift_findings
from checks.content_expectations import validate_table
from checks.sniff import detect_delimiter, detect_encoding, sniff
from checks.tables import parse_delimited, ranges, same_series, shape_of


def findings(data: bytes, declared: str | None = "CSV", **kw) -> list[tuple[str, str, str]]:
    report = check_content(data, declared, **kw)
    out = list(report.findings)
    if report.table is not None:
        out += validate_table(report.table)
    return [(f.code, f.severity, f.evidence) for f in out]


def _zip(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


XLSX = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
ODS = _zip({"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (b"", None),
        (b" \r\n ", None),
        (b"%PDF-1.7\n...", "PDF"),
        (XLSX, "XLSX"),
        (ODS, "ODS"),
        (_zip({"data.csv": "a,b\n"}), "ZIP"),
        (b"\x1f\x8b\x08\x00", "GZIP"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le"), "XLS"),
        (b"\x89PNG\r\n\x1a\n....", "PNG"),
        (b"<!DOCTYPE html>\n<html><body>Anmeldung</body></html>", "HTML"),
        (b"<!-- portal -->\n<html lang=de>", "HTML"),
        (b'<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="x"/>', "RDF"),
        (b'<?xml version="1.0"?><kml xmlns="x"/>', "KML"),
        (b"<wfs:FeatureCollection/>", "GML"),
        (b"<daten><a>1</a></daten>", "XML"),
        (b'{"type": "FeatureCollection", "features": []}', "GEOJSON"),
        (b'{"@context": "https://schema.org"}', "JSONLD"),
        (b'[{"a": 1}]', "JSON"),
        (b"@prefix dcat: <http://www.w3.org/ns/dcat#> .", "TTL"),
        (b"a\tb\n1\t2\n", "TSV"),
        (b"a|b\n1|2\n", "CSV"),
        (b"Nur ein Satz ohne Trenner.\nUnd noch einer.\n", "TXT"),
    ],
)
def test_sniff(data: bytes, fmt: str | None) -> None:
    assert sniff(data).format == fmt


def test_one_column_csv_is_csv_when_declared_so() -> None:
    assert sniff(b"name\nAnna\nBen\n", hint="CSV").format == "CSV"
    assert sniff(b"name\nAnna\nBen\n").format == "TXT"


def test_encodings() -> None:
    assert detect_encoding("Maße".encode()).name == "utf-8"
    assert detect_encoding(b"\xef\xbb\xbfa;b").name == "utf-8-sig"
    assert detect_encoding("a;b".encode("utf-16")).name == "utf-16"
    latin1 = detect_encoding("Art;Maße\n".encode("latin-1"))
    assert (latin1.name, latin1.first_bad) == ("iso-8859-1", (1, 6, 0xDF))
    assert detect_encoding("Preis in €;„Zitat“".encode("cp1252")).name == "windows-1252"
    # a sample cut inside a two-byte character is still UTF-8
    assert detect_encoding("Größe".encode()[:3], truncated=True).name == "utf-8"


def test_delimiter_from_the_header_not_from_decimal_commas() -> None:
    text = "Art;Maße;Breite\nPlatz;64,2 x 104,6;1,5\nHalle;12,5 x 25,0;2,25\n"
    assert detect_delimiter(text) == (";", 1.0)
    assert detect_delimiter('a,"b;c",d\n1,2,3\n')[0] == ","


def test_ranges() -> None:
    assert ranges([1, 2, 3, 7, 9, 10]) == "1-3, 7, 9-10"
    assert ranges(list(range(1, 40, 2)), limit=3) == "1, 3, 5, ..."


# ---------------------------------------------------------------- the real files


def test_bochum_sports_facilities_exact_findings(corpus: Path) -> None:
    data = (corpus / "files" / "bochum" / "bochum_sports_facilities.csv").read_bytes()
    report = check_content(data, "CSV")
    t = report.table
    assert t is not None
    assert (report.format, report.sniffed.encoding.name, t.delimiter, t.has_header) == (
        "CSV",
        "iso-8859-1",
        ";",
        True,
    )
    assert t.header == [
        "Art",
        "Bezeichnung",
        "Adresse",
        "Bezirk",
        "Spielfeld",
        "Belag",
        "Maße",
        "Beleuchtung\n vorhanden",
        "LA-Anlagen",
        "",
    ]
    assert (len(t.rows), len(t.empty_rows), dict(t.endings)) == (128, 40, {"CRLF": 168})
    assert findings(data) == [
        (
            "not-utf8",
            "warning",
            "decoded as ISO-8859-1; first non-UTF-8 byte 0xDF on line 1 (byte offset 49)",
        ),
        ("blank-header", "warning", "column 10 of 10"),
        ("multiline-header", "warning", "column 8: 'Beleuchtung\\n vorhanden'"),
        ("empty-rows", "warning", "rows 1, 130-168"),
        ("ragged-rows", "warning", "9 fields in rows 48-129 (first on line 52)"),
    ]


@pytest.mark.parametrize(
    ("name", "delimiter", "columns", "rows"),
    [
        ("bochum/bochum_schools.csv", ";", 18, 298),
        ("bochum/bochum_daycare_centers.csv", ";", 18, 195),
        ("bochum/bochum_natural_monuments.csv", ",", 6, 36),
        ("berlin-vornamen/cleaned-2012-marzahn-hellersdorf.csv", ",", 3, 895),
        ("berlin-vornamen/source-2015-standesamt-i.csv", ";", 3, 1),
    ],
)
def test_clean_corpus_files_have_no_findings(corpus: Path, name, delimiter, columns, rows) -> None:
    data = (corpus / "files" / name).read_bytes()
    report = check_content(data, "CSV")
    assert report.table is not None
    assert (report.sniffed.encoding.name, report.table.delimiter, report.table.width) == (
        "utf-8",
        delimiter,
        columns,
    )
    assert len(report.table.rows) == rows
    assert findings(data) == []


def test_berlin_names_change_columns_between_years(corpus: Path) -> None:
    folder = corpus / "files" / "berlin-vornamen"
    old = check_content((folder / "cleaned-2012-marzahn-hellersdorf.csv").read_bytes(), "CSV")
    new = check_content((folder / "source-2015-standesamt-i.csv").read_bytes(), "CSV")
    assert old.table is not None and new.table is not None
    before, after = shape_of(old.table, "2012"), shape_of(new.table, "2015")
    assert same_series(before, after)
    assert drift_findings(before, after) == [
        Finding(
            "delimiter-changed",
            "warning",
            "the delimiter changed from comma to semicolon; keep one format across the series",
            "2012: ','; this file: ';'",
        ),
        Finding(
            "column-order-changed",
            "warning",
            "the columns are in another order than in the earlier file; keep the order",
            "2012: vorname, anzahl, geschlecht; this file: anzahl, vorname, geschlecht",
        ),
    ]
    # the same column set: the GX suite finds nothing missing
    assert validate_table(new.table, before.columns, "2012") == []
    # a later year that drops a column and adds one
    later = check_content(b"vorname;anzahl;position\nLara;1;1\n", "CSV")
    assert later.table is not None
    assert [(f.code, f.evidence) for f in validate_table(later.table, before.columns, "2012")] == [
        ("columns-changed", "missing: geschlecht; new: position")
    ]


# ---------------------------------------------------------------- hand-made faults


def test_format_checks() -> None:
    assert findings(b"%PDF-1.4 ...") == [
        ("format-mismatch", "warning", "declared CSV, sniffed PDF (starts with %PDF-)")
    ]
    assert findings(b"<!DOCTYPE html><html><title>Login</title></html>") == [
        ("html-instead-of-data", "error", "declared CSV, got an HTML page")
    ]
    assert findings(XLSX) == [
        (
            "format-mismatch",
            "warning",
            "declared CSV, sniffed XLSX (ZIP with member xl/workbook.xml)",
        )
    ]
    assert findings(XLSX, "XLSX") == []
    assert findings(XLSX, "XLS") == []  # both spreadsheets
    assert findings(XLSX, "ZIP") == []  # an XLSX is a ZIP
    assert findings(_zip({"a.csv": "a\n"}), "CSV", container="ZIP") == []  # zip+csv
    assert findings(b'{"type": "FeatureCollection", "features": []}', "JSON") == []
    assert findings(b"<html><body>Karte</body></html>", "WMS") == []  # a service: not judged
    assert findings(b"<html><body>Seite</body></html>", "HTML") == []
    assert findings(b"a,b\n1,2\n", None) == []  # nothing declared, nothing to mismatch


def test_empty_and_header_only() -> None:
    assert findings(b"") == [("empty-file", "error", "0 bytes")]
    assert findings(b"\n\n") == [("empty-file", "error", "2 bytes")]
    assert findings(b"a;b;c\r\n") == [("no-rows", "warning", "0 rows")]


def test_json_checks() -> None:
    assert findings(b'{"a": [1, 2,]}', "JSON") == [
        ("invalid-json", "error", "line 1, column 13: Expecting value")
    ]
    records = [{"id": 1, "name": "A", "note": None}, {"id": 2, "note": None}, {}]
    assert findings(json.dumps(records).encode(), "JSON") == [
        ("empty-rows", "warning", "rows 3"),
        ("empty-column", "warning", "column 3 'note': empty in all 2 rows"),
        ("ragged-rows", "warning", "2 keys in rows 2"),
    ]
    geo = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": None, "properties": {"baum": "Linde", "alter": 80}},
            {"type": "Feature", "geometry": None, "properties": {"baum": "Eiche", "alter": 120}},
        ],
    }
    report = check_content(json.dumps(geo).encode(), "GEOJSON")
    assert report.table is not None and report.table.header == ["baum", "alter"]
    assert findings(json.dumps(geo).encode(), "GEOJSON") == []


def test_csv_shape_checks() -> None:
    data = b"id,name,leer,name\n1,A,,x\n2,B,,y\n3,C\n"
    assert findings(data) == [
        ("duplicate-header", "warning", "columns 2, 4"),
        ("empty-column", "warning", "column 3 'leer': empty in all 3 rows"),
        ("ragged-rows", "warning", "2 fields in rows 3 (first on line 4)"),
    ]
    assert findings(b"a;b\r\n1;2\r\n3;4\n5;6\r\n") == [
        ("mixed-line-endings", "info", "2 CRLF, 1 LF")
    ]
    assert findings(b"\xef\xbb\xbfa;b\n1;2\n") == [("utf8-bom", "info", "EF BB BF")]
    assert findings("a;b\nÄ;2\n".encode("utf-16")) == [("not-utf8", "warning", "decoded as UTF-16")]
    # an unclosed quote swallows the rest of the file into one header cell
    assert findings(b'a,"b\n1,2\n') == [
        ("multiline-header", "warning", "column 2: 'b\\n1,2\\n'"),
        ("no-rows", "warning", "0 rows"),
    ]


def test_xml_may_declare_its_encoding() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><daten>Maße</daten>'.encode("latin-1")
    assert findings(data, "XML") == []
    assert findings("<daten>Maße</daten>".encode("latin-1"), "XML") == [
        (
            "not-utf8",
            "warning",
            "decoded as ISO-8859-1; first non-UTF-8 byte 0xDF on line 1 (byte offset 9)",
        )
    ]


def test_headerless_csv_is_recognised() -> None:
    table, _ = parse_delimited("1;Lara;w\n2;Anna;w\n3;Ben;m\n", ";")
    assert (table.has_header, table.header, len(table.rows)) == (
        False,
        ["column 1", "column 2", "column 3"],
        3,
    )
    wide, _ = parse_delimited("Bezirk;2019;2020\nMitte;120;130\nPankow;90;95\n", ";")
    assert wide.has_header  # year columns are a header, not data


def test_a_cut_sample_does_not_report_its_cut_last_row() -> None:
    data = b"a,b,c\n" + b"1,2,3\n" * 1000 + b"4,5"
    assert findings(data, truncated=True) == []
    report = check_content(data, "CSV", truncated=True)
    assert report.table is not None and len(report.table.rows) == 1000
