"""What a file really is: its format from its first bytes, its text encoding, its delimiter.

"Don't take the publisher's word" (ckanext-qa): the declared format is compared with what the
bytes say. Pure functions over bytes; format codes are the canonical ones of
``checks/data/formats.csv`` (CSV, TSV, JSON, GEOJSON, XML, ZIP, XLSX, PDF, HTML ...).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass

TEXT_SNIFF_CHARS = 65536
DELIMITERS = (",", ";", "\t", "|")
# Formats whose bytes are text we decode and judge for encoding.
TEXT_FORMATS = frozenset(
    {"CSV", "TSV", "JSON", "GEOJSON", "JSONLD", "XML", "KML", "GML", "RDF", "ATOM", "RSS"}
    | {"TTL", "TXT", "HTML"}
)

_MAGIC: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "PDF", "starts with %PDF-"),
    (b"\x1f\x8b", "GZIP", "gzip magic 1f 8b"),
    (b"PAR1", "PARQUET", "starts with PAR1"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "PNG signature"),
    (b"\xff\xd8\xff", "JPEG", "JPEG signature"),
    (b"GIF87a", "GIF", "GIF signature"),
    (b"GIF89a", "GIF", "GIF signature"),
    (b"7z\xbc\xaf\x27\x1c", "7Z", "7-Zip signature"),
    (b"Rar!\x1a\x07", "RAR", "RAR signature"),
    (b"II*\x00", "TIFF", "TIFF signature"),
    (b"MM\x00*", "TIFF", "TIFF signature"),
    (b"SQLite format 3\x00", "GPKG", "SQLite file (GeoPackage?)"),
    (b"CDF\x01", "NETCDF", "NetCDF signature"),
    (b"CDF\x02", "NETCDF", "NetCDF signature"),
    (b"\x89HDF\r\n\x1a\n", "NETCDF", "HDF5 signature (NetCDF-4?)"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
# ZIP member names that tell an Office or OpenDocument file from a plain archive.
_ZIP_MEMBERS: tuple[tuple[bytes, str], ...] = (
    (b"xl/", "XLSX"),
    (b"word/", "DOCX"),
    (b"ppt/", "PPTX"),
    (b"doc.kml", "KMZ"),
)
_ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.spreadsheet": "ODS",
    b"application/vnd.oasis.opendocument.text": "ODT",
    b"application/vnd.oasis.opendocument.presentation": "ODP",
}


@dataclass(frozen=True)
class Encoding:
    name: str | None  # utf-8, utf-8-sig, utf-16, windows-1252, iso-8859-1; None for binary
    bom: bool = False
    # where UTF-8 decoding first failed: (line, byte offset in the file, the byte)
    first_bad: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class Sniffed:
    format: str | None  # canonical format code; None when empty or unrecognised
    how: str  # what gave it away, for the evidence of a finding
    encoding: Encoding
    text: str | None = None  # the decoded text, for text formats
    delimiter: str | None = None  # CSV / TSV


def zip_members(data: bytes, limit: int = 200) -> list[bytes]:
    """Member names from the local file headers at the start of a (possibly cut) ZIP."""
    names: list[bytes] = []
    pos = data.find(_ZIP)
    while pos != -1 and len(names) < limit:
        if pos + 30 > len(data):
            break
        name_len = int.from_bytes(data[pos + 26 : pos + 28], "little")
        names.append(data[pos + 30 : pos + 30 + name_len])
        pos = data.find(_ZIP, pos + 30 + name_len)
    return names


def _sniff_zip(data: bytes) -> tuple[str, str]:
    names = zip_members(data)
    if names and names[0] == b"mimetype":
        start = data.find(b"mimetype") + len(b"mimetype")
        for mime, fmt in _ODF_MIMETYPES.items():
            if data[start : start + 80].find(mime) != -1:
                return fmt, f"ZIP with OpenDocument mimetype {mime.decode()}"
    for name in names:
        for prefix, fmt in _ZIP_MEMBERS:
            if name.startswith(prefix) or name == prefix:
                return fmt, f"ZIP with member {name.decode('utf-8', 'replace')}"
    return "ZIP", "ZIP signature PK 03 04"


def _sniff_ole2(data: bytes) -> tuple[str | None, str]:
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "XLS", "OLE2 compound file with a Workbook stream"
    if "WordDocument".encode("utf-16-le") in data:
        return "DOC", "OLE2 compound file with a WordDocument stream"
    return None, "OLE2 compound file (Office 97-2003)"


def detect_encoding(data: bytes, truncated: bool = False) -> Encoding:
    """UTF-8 (with or without BOM), UTF-16 by BOM, else Windows-1252 or ISO-8859-1.

    Bytes that are valid UTF-8 are UTF-8. Otherwise the file is a single-byte encoding: it is
    Windows-1252 when it uses the bytes 0x80-0x9F that Windows-1252 fills with printable
    characters (EUR sign, German low quotes ...), which ISO-8859-1 leaves to control codes;
    else ISO-8859-1. A cut sample may end inside a character; that is not an error.
    """
    if data.startswith(codecs.BOM_UTF8):
        return Encoding("utf-8-sig", bom=True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Encoding("utf-16", bom=True)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(data, final=not truncated)
        return Encoding("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
        line = data.count(b"\n", 0, offset) + 1
        bad = (line, offset, data[offset])
    c1 = sum(data.count(bytes([b])) for b in range(0x80, 0xA0))
    if c1:
        try:
            data.decode("windows-1252")
            return Encoding("windows-1252", first_bad=bad)
        except UnicodeDecodeError:
            pass
    return Encoding("iso-8859-1", first_bad=bad)


def decode(data: bytes, encoding: Encoding, truncated: bool = False) -> str:
    if encoding.name is None:
        return ""
    if truncated and encoding.name in ("utf-8", "utf-8-sig", "utf-16"):
        return codecs.getincrementaldecoder(encoding.name)("replace").decode(data, final=False)
    return data.decode(encoding.name, "replace")


def _first_record_width(text: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))
    except csv.Error:
        return 0


def _widths(text: str, delimiter: str, n: int = 200) -> list[int]:
    widths: list[int] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if record:
                widths.append(len(record))
            if len(widths) >= n:
                break
    except csv.Error:
        pass
    return widths


def detect_delimiter(text: str) -> tuple[str | None, float]:
    """The delimiter, and the share of the first records it splits into two or more fields.

    The candidate that splits the first record (the header, quotes respected) into the most
    fields wins: headers rarely hold a decimal comma, data cells often do ("64,2 x 104,6").
    Ties go to the candidate whose records most often have the first record's width.
    """
    sample = text[:TEXT_SNIFF_CHARS]
    if len(text) > TEXT_SNIFF_CHARS:  # drop the cut last line
        sample = sample[: max(sample.rfind("\n"), 0)] or sample
    best: tuple[int, float, float, str] | None = None
    for d in DELIMITERS:
        width = _first_record_width(sample, d)
        if width < 2:
            continue
        widths = _widths(sample, d) or [width]
        split = sum(1 for w in widths if w >= 2) / len(widths)
        same = sum(1 for w in widths if w == width) / len(widths)
        key = (width, same, split, d)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return None, 0.0
    return best[3], best[2]


_HTML_RE = re.compile(r"^(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_XML_ROOT_RE = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")
_XML_ROOTS = {"rdf": "RDF", "kml": "KML", "feed": "ATOM", "rss": "RSS", "featurecollection": "GML"}


def _sniff_text(text: str, truncated: bool, hint: str | None) -> tuple[str | None, str, str | None]:
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if not head:
        return None, "no content", None
    low = head.lower()
    if _HTML_RE.match(head) or (low.startswith("<") and "<html" in low[:1024]):
        return "HTML", "an HTML page", None
    if head.startswith("<"):
        body = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", head, flags=re.S).lstrip()
        m = _XML_ROOT_RE.match(body)
        root = m.group(2).lower() if m else ""
        fmt = _XML_ROOTS.get(root, "XML")
        return fmt, f"XML with root element <{(m.group(0)[1:-1].strip() if m else '?')}>", None
    if head[0] in "{[":
        window = text[:TEXT_SNIFF_CHARS]
        if re.search(r'"type"\s*:\s*"(FeatureCollection|Feature)"', window):
            return "GEOJSON", "JSON with a GeoJSON type", None
        if '"@context"' in head:
            return "JSONLD", "JSON with @context", None
        if truncated or _is_json(text):
            return "JSON", "JSON text", None
        return "JSON", "JSON-like text that does not parse", None
    if head.startswith("@prefix") or head.startswith("@base"):
        return "TTL", "Turtle @prefix", None
    delimiter, consistency = detect_delimiter(text)
    if delimiter is not None and consistency >= 0.8:
        fmt = "TSV" if delimiter == "\t" else "CSV"
        name = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delimiter]
        return fmt, f"{name}-separated text", delimiter
    if hint in ("CSV", "TSV"):
        return hint, "text with one column", ","
    return "TXT", "plain text", None


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def sniff(data: bytes, truncated: bool = False, hint: str | None = None) -> Sniffed:
    """The real format of a file from its bytes (a cut sample is fine: `truncated=True`).

    `hint` (the declared format) only breaks ties, e.g. a one-column CSV looks like plain text.
    """
    stripped = data.lstrip(b" \t\r\n")
    if not stripped or stripped in (codecs.BOM_UTF8,):
        return Sniffed(None, "empty", Encoding(None))
    for magic, fmt, how in _MAGIC:
        if data.startswith(magic):
            return Sniffed(fmt, how, Encoding(None))
    if data.startswith(_ZIP) or data.startswith(_ZIP_EMPTY):
        fmt, how = _sniff_zip(data)
        return Sniffed(fmt, how, Encoding(None))
    if data.startswith(_OLE2):
        fmt_or_none, how = _sniff_ole2(data)
        return Sniffed(fmt_or_none, how, Encoding(None))
    encoding = detect_encoding(data, truncated)
    sample = data[: 4 * TEXT_SNIFF_CHARS] if encoding.name != "utf-16" else data
    if encoding.name != "utf-16" and sample.count(b"\x00") > len(sample) // 100 + 1:
        return Sniffed(None, "binary data", Encoding(None))
    text = decode(data, encoding, truncated)
    fmt, how, delimiter = _sniff_text(text, truncated, hint)
    return Sniffed(fmt, how, encoding, text=text, delimiter=delimiter)
