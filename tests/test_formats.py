"""Format normalisation: the tables, the key (Python and DuckDB) and every corpus value."""

from __future__ import annotations

import html
import json
import os
import re
from functools import lru_cache
from pathlib import Path

import duckdb

from checks.formats import (
    FORMAT_ALIASES_PATH,
    FORMAT_KEY_SQL,
    FormatInfo,
    format_from_url,
    format_key,
    format_key_sql,
    load_format_aliases,
    load_formats,
    media_type_registered,
    normalize_format,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("ODWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


# --- every format and media type the corpus declares, with the format we expect ------------

# dados.gov.br (CKAN), GovData staging (CKAN), Rostock / Bremen / Destatis / Berlin / examples
# (DCAT RDF), Potsdam / opendata.swiss (Turtle), data.json files.
EXPECTED_FORMATS: dict[str, str | None] = {
    "": None,
    ".CSV": "CSV",
    ".csv": "CSV",
    ".cvs": "CSV",  # transposed letters
    ".ods": "ODS",
    ".pdf": "PDF",
    "API": "API",
    "ArcGIS GeoServices REST API": "ESRI_REST",
    "CSV": "CSV",
    "CSV.": "CSV",
    "Esri REST": "ESRI_REST",
    "GeoJSON": "GEOJSON",
    "HTML": "HTML",
    "JSON": "JSON",
    "KML": "KML",
    "KMZ": "KMZ",
    "Kartenviewer": "HTML",  # a map viewer web page
    "ODS": "ODS",
    "ODT": "ODT",
    "OData": "ODATA",
    "OGC WMS": "WMS",
    "PDF": "PDF",
    "PNG": "PNG",
    "Ponto de Acesso à API": "API",
    "RSS": "RSS",
    "TXT": "TXT",
    "URL": None,  # says "a link", not what is behind it
    "WFS": "WFS",
    "WMS": "WMS",
    "Web page": "HTML",
    "XLS": "XLS",
    "XLSX": "XLSX",
    "XML": "XML",
    "ZIP": "ZIP",
    "ZIP + XML": "XML",
    "ZIP+CSV": "CSV",
    "Zipped CSV": "CSV",
    "application/rdf+xml": "RDF",
    "application/sparql-query": "SPARQL",
    "cdf": None,  # netCDF or NASA CDF: ambiguous
    "csv": "CSV",
    "csv+zip": "CSV",
    "csv.": "CSV",
    "geojson": "GEOJSON",
    "gpkg": "GPKG",
    "hdfjpg": None,
    "html": "HTML",
    EU_FILE_TYPE + "CSV": "CSV",
    EU_FILE_TYPE + "DOC": "DOC",
    EU_FILE_TYPE + "GEOJSON": "GEOJSON",
    EU_FILE_TYPE + "GML": "GML",
    EU_FILE_TYPE + "HTML": "HTML",
    EU_FILE_TYPE + "JSON": "JSON",
    EU_FILE_TYPE + "KML": "KML",
    EU_FILE_TYPE + "RSS": "RSS",
    EU_FILE_TYPE + "SHP": "SHP",
    EU_FILE_TYPE + "TIFF": "TIFF",
    EU_FILE_TYPE + "WCS": "WCS",  # not an EU code (WCS_SRVC is)
    EU_FILE_TYPE + "WFS": "WFS",  # not an EU code (WFS_SRVC is)
    EU_FILE_TYPE + "WMS": "WMS",  # not an EU code (WMS_SRVC is)
    EU_FILE_TYPE + "XLS": "XLS",
    EU_FILE_TYPE + "XLSX": "XLSX",
    EU_FILE_TYPE + "XML": "XML",
    # datos.gob.es points dct:format at a node of its own; we do not follow it
    "https://datos.gob.es/catalogo/l01280796-estudio-de-satisfaccion-con-el-programa-de-"
    "escuelas-municipales-de-promocion-deportiva-en-centros-escolares/resource/"
    "8d3c2ada-a6dc-4dc5-a0cb-bcda4c1b4935/format": None,
    "https://www.iana.org/assignments/media-types/application/gml+xml": "GML",
    "jrss": None,
    "json": "JSON",
    "shp": "SHP",
    "spv": None,  # SPSS viewer output? The resource is a CSV; the media type says so
    "xmls": None,  # XML or XLSX? The resource is a PDF; the media type says so
    "zip+csv": "CSV",
    "zip+xml": "XML",
}

# media type -> (format, registered with IANA)
EXPECTED_MEDIA_TYPES: dict[str, tuple[str | None, bool | None]] = {
    "": (None, None),
    "Dicionário": (None, False),  # Portuguese "data dictionary", not a media type
    "ZIP": ("ZIP", False),  # a label in the media-type field
    "application/json": ("JSON", True),
    "application/pdf": ("PDF", True),
    "application/rdf+xml": ("RDF", True),
    "application/vnd.ms-excel": ("XLS", True),
    "application/vnd.ogc.wms_xml": ("WMS", False),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", True),
    "application/xml": ("XML", True),
    "application/zip": ("ZIP", True),
    "http://publications.europa.eu/mdr/resource/authority/file-type/xml/filetypes.xml": (
        None,
        False,
    ),
    "https://www.iana.org/assignments/media-types/application/geo+json": ("GEOJSON", True),
    "https://www.iana.org/assignments/media-types/application/gml+xml": ("GML", True),
    "https://www.iana.org/assignments/media-types/application/json": ("JSON", True),
    "https://www.iana.org/assignments/media-types/application/octet-stream+zip": ("ZIP", False),
    "https://www.iana.org/assignments/media-types/application/vnd.google-earth.kml+xml": (
        "KML",
        True,
    ),
    "https://www.iana.org/assignments/media-types/"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("XLSX", True),
    "https://www.iana.org/assignments/media-types/application/xml": ("XML", True),
    "https://www.iana.org/assignments/media-types/application/zip": ("ZIP", True),
    "https://www.iana.org/assignments/media-types/image/tiff": ("TIFF", True),
    "https://www.iana.org/assignments/media-types/text/csv": ("CSV", True),
    "https://www.w3.org/ns/iana/media-types/application/json#Resource": ("JSON", True),
    "https://www.w3.org/ns/iana/media-types/application/pdf#Resource": ("PDF", True),
    "text/csv": ("CSV", True),
    "text/html": ("HTML", True),
    "text/plain": ("TXT", True),
    "text/xml": ("XML", True),
}

_RDF_PROPERTY = re.compile(
    r"<(?P<prop>dct:format|dcterms:format|dcat:mediaType)\b(?P<attrs>[^>]*?)"
    r"(?:/>|>(?P<text>[^<]*)<)"
)
_RDF_RESOURCE = re.compile(r'rdf:resource="([^"]*)"')
_TTL_PROPERTY = re.compile(
    r"(?P<prop>dct:format|dcterms:format|dcat:mediaType)\s+"
    r'(?:"(?P<literal>[^"]*)"|<(?P<uri>[^>]*)>)'
)


def _add(values: tuple[set[str], set[str]], prop: str, value: str) -> None:
    formats, media_types = values
    (media_types if prop == "dcat:mediaType" else formats).add(value)


def _walk_json(node: object, values: tuple[set[str], set[str]]) -> None:
    """CKAN resources (format, mimetype) and data.json distributions (format, mediaType)."""
    if isinstance(node, dict):
        for list_key, format_key_, media_key in (
            ("resources", "format", "mimetype"),
            ("distribution", "format", "mediaType"),
        ):
            for item in node.get(list_key) or []:
                if isinstance(item, dict):
                    if item.get(format_key_) is not None:
                        values[0].add(item[format_key_])
                    if item.get(media_key) is not None:
                        values[1].add(item[media_key])
        for child in node.values():
            _walk_json(child, values)
    elif isinstance(node, list):
        for child in node:
            _walk_json(child, values)


def _scan_rdf_xml(text: str, values: tuple[set[str], set[str]]) -> None:
    for m in _RDF_PROPERTY.finditer(text):
        resource = _RDF_RESOURCE.search(m["attrs"])
        value = resource.group(1) if resource else html.unescape(m["text"] or "").strip()
        if value:  # an empty text is a nested node (dct:IMT), not a value
            _add(values, m["prop"], value)


def _scan_turtle(text: str, values: tuple[set[str], set[str]]) -> None:
    for m in _TTL_PROPERTY.finditer(text):
        _add(values, m["prop"], m["literal"] if m["literal"] is not None else m["uri"])


@lru_cache(maxsize=1)
def _corpus_values() -> tuple[frozenset[str], frozenset[str]]:
    values: tuple[set[str], set[str]] = (set(), set())
    ckan = [CORPUS / "ckan/dados-gov-br/catalog_check_ignore_packages__0.json"]
    ckan += sorted((CORPUS / "ckan/govdata-staging").glob("*.json"))
    for path in ckan:
        doc = json.loads(path.read_text(encoding="utf-8"))
        _walk_json(doc, values)
        if isinstance(doc.get("result"), str) and doc["result"].lstrip().startswith("<"):
            _scan_rdf_xml(doc["result"], values)  # ckanext-dcat dcat_dataset_show as RDF/XML
    for path in sorted((CORPUS / "dcat").glob("*/*.rdf")):
        _scan_rdf_xml(path.read_text(encoding="utf-8"), values)
    for path in sorted((CORPUS / "dcat").glob("*/*.ttl")) + [CORPUS / "opendatasoft/potsdam.ttl"]:
        _scan_turtle(path.read_text(encoding="utf-8"), values)
    for path in sorted((CORPUS / "datajson").glob("*.json")) + [
        CORPUS / "dcat/examples/catalog_pod.jsonld"
    ]:
        _walk_json(json.loads(path.read_text(encoding="utf-8")), values)
    return frozenset(values[0]), frozenset(values[1])


def test_every_corpus_format_value_has_an_expected_format(corpus: Path) -> None:
    formats, _ = _corpus_values()
    assert sorted(formats) == sorted(EXPECTED_FORMATS)  # no value unlisted, no stale entry
    got = {value: normalize_format(value).format for value in formats}
    assert got == EXPECTED_FORMATS


def test_every_corpus_media_type_has_an_expected_format(corpus: Path) -> None:
    _, media_types = _corpus_values()
    assert sorted(media_types) == sorted(EXPECTED_MEDIA_TYPES)
    got = {}
    for value in media_types:
        info = normalize_format(None, value)
        got[value] = (info.format, info.media_type_registered)
    assert got == EXPECTED_MEDIA_TYPES


def test_dados_gov_br_resources_end_to_end(corpus: Path) -> None:
    """All 8006 resources, with format, media type and URL together: counts per outcome."""
    doc = json.loads(
        (corpus / "ckan/dados-gov-br/catalog_check_ignore_packages__0.json").read_text("utf-8")
    )
    outcomes: dict[tuple[str | None, str | None, str | None], int] = {}
    for package in doc["result"]["results"]:
        for res in package["resources"]:
            info = normalize_format(res.get("format"), res.get("mimetype"), res.get("url"))
            key = (info.format, info.source, info.container)
            outcomes[key] = outcomes.get(key, 0) + 1
    assert sum(outcomes.values()) == 8006
    assert outcomes == {
        ("API", "format", None): 328,
        ("CSV", "format", "GZIP"): 345,  # format CSV, URL ending .csv.gz
        ("CSV", "format", "ZIP"): 507,  # zip+csv, or CSV with application/zip
        ("CSV", "format", None): 3540,
        ("CSV", "media_type", None): 2,  # "spv" + text/csv, and "" + text/csv
        ("ESRI_REST", "format", None): 1,
        ("GEOJSON", "format", None): 1,
        ("HTML", "format", None): 424,
        ("JSON", "format", None): 1345,
        ("KML", "format", None): 1,
        ("ODATA", "format", None): 2,
        ("ODS", "format", None): 42,
        ("ODT", "format", None): 42,
        ("PDF", "format", None): 453,
        ("PDF", "media_type", None): 1,  # "xmls" + application/pdf
        ("PNG", "format", None): 1,
        ("TXT", "format", None): 32,
        ("XLS", "format", None): 17,
        ("XLSX", "format", None): 118,
        ("XLSX", "url", None): 1,  # no format, no media type, a .xlsx URL
        ("XML", "format", "ZIP"): 3,
        ("XML", "format", None): 16,
        ("ZIP", "format", None): 549,
        ("ZIP", "media_type", None): 1,  # "" + application/zip (the URL says .CSV.ZIP)
        (None, None, None): 234,  # 224 .sha512 checksum files, links without extension, "URL"
    }


# --- the key, in Python and in DuckDB -------------------------------------------------------

KEY_CASES = {
    " ZIP + XML ": "zip+xml",
    "CSV.": "csv",
    ".csv": "csv",
    "..csv..": "csv",
    "text/csv; charset=utf-8": "text/csv",
    "Text/CSV ;charset=UTF-8": "text/csv",
    "CSV; XLS": "csv; xls",  # not a media type: the ";" stays, the value stays unknown
    "<https://www.iana.org/assignments/media-types/text/csv>": "text/csv",
    "http://www.iana.org/assignments/media-types/application/gml+xml": "application/gml+xml",
    "https://www.w3.org/ns/iana/media-types/application/json#Resource": "application/json",
    EU_FILE_TYPE + "RDF_TURTLE": "eu:rdf_turtle",
    "https://publications.europa.eu/resource/authority/file-type/CSV": "eu:csv",
    "Ponto\u00a0de   Acesso \u00e0\tAPI": "ponto de acesso à api",
    "Ponto de Acesso a\u0300 API": "ponto de acesso à api",  # decomposed accent -> NFC
    "": "",
    "  ": "",
}


def test_format_key() -> None:
    assert {raw: format_key(raw) for raw in KEY_CASES} == KEY_CASES
    assert format_key(None) == ""


def _sql_keys(values: list[str]) -> dict[str, str]:
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT s, {format_key_sql('s')} FROM (SELECT unnest(?::VARCHAR[]) AS s)", [values]
    ).fetchall()
    return dict(rows)


def test_sql_key_matches_python_key_on_cases_and_table() -> None:
    values = list(KEY_CASES) + [alias.key for alias in load_format_aliases()]
    assert _sql_keys(values) == {value: format_key(value) for value in values}
    assert duckdb.connect().execute(f"SELECT {FORMAT_KEY_SQL.format(col='NULL')}").fetchone() == (
        "",
    )


def test_sql_key_matches_python_key_on_every_corpus_value(corpus: Path) -> None:
    formats, media_types = _corpus_values()
    values = sorted(formats | media_types)
    assert _sql_keys(values) == {value: format_key(value) for value in values}


def test_sql_join_gives_the_python_format(corpus: Path) -> None:
    formats, media_types = _corpus_values()
    values = sorted(formats | media_types)
    con = duckdb.connect()
    rows = con.execute(
        f"""
        SELECT v.s, nullif(a.format, ''), nullif(a.container, '')
        FROM (SELECT unnest(?::VARCHAR[]) AS s) v
        LEFT JOIN read_csv(?, all_varchar = true) a ON a.key = {format_key_sql("v.s")}
        """,
        [values, str(FORMAT_ALIASES_PATH)],
    ).fetchall()
    got = {s: (fmt, container) for s, fmt, container in rows}
    expected = {}
    for value in values:
        info = normalize_format(value)
        expected[value] = (info.format, info.container)
    assert got == expected


# --- whole results ---------------------------------------------------------------------------


def test_compound_zip_csv_counts_the_payload() -> None:
    assert normalize_format("zip+csv") == FormatInfo(
        format="CSV",
        source="format",
        container="ZIP",
        known=True,
        in_vocabulary=True,
        media_type_registered=None,
        machine_readable=True,
        non_proprietary=True,
        stars=3,
        raw="zip+csv",
    )
    assert normalize_format("ZIP + XML").container == "ZIP"
    assert normalize_format("csv+zip").format == "CSV"
    assert (normalize_format("gz+json").format, normalize_format("gz+json").container) == (
        "JSON",
        "GZIP",
    )


def test_plain_zip_is_one_star() -> None:
    info = normalize_format("ZIP")
    assert (info.format, info.container, info.stars, info.machine_readable) == (
        "ZIP",
        None,
        1,
        False,
    )


def test_format_wins_over_media_type_and_url() -> None:
    info = normalize_format("JSON", "text/csv", "https://example.org/data.xml")
    assert (info.format, info.source, info.raw) == ("JSON", "format", "JSON")


def test_media_type_wins_over_url() -> None:
    info = normalize_format("", "text/csv", "https://example.org/data.xml")
    assert (info.format, info.source, info.raw) == ("CSV", "media_type", "text/csv")


def test_url_is_the_last_resort() -> None:
    assert normalize_format(None, None, "https://example.org/files/Data.XLSX?x=1") == FormatInfo(
        format="XLSX",
        source="url",
        container=None,
        known=True,
        in_vocabulary=False,  # nothing was declared
        media_type_registered=None,
        machine_readable=True,
        non_proprietary=False,
        stars=2,
        raw="https://example.org/files/Data.XLSX?x=1",
    )


def test_unknown_declared_format_falls_through_to_the_media_type() -> None:
    # dados.gov.br: format "xmls", media type application/pdf, URL ending in .pdf
    info = normalize_format("xmls", "application/pdf", "https://example.org/relatorio.pdf")
    assert (info.format, info.source, info.in_vocabulary) == ("PDF", "media_type", True)


def test_unknown_everything_is_never_guessed() -> None:
    assert normalize_format("spreadsheet-ish", "application/x-foo", "https://e.org/a.sha512") == (
        FormatInfo(
            format=None,
            source=None,
            container=None,
            known=False,
            in_vocabulary=False,
            media_type_registered=False,  # an x- subtype is unregistered by definition
            machine_readable=False,
            non_proprietary=False,
            stars=None,
            raw="spreadsheet-ish",
        )
    )
    assert normalize_format(None) == FormatInfo(
        format=None,
        source=None,
        container=None,
        known=False,
        in_vocabulary=False,
        media_type_registered=None,
        machine_readable=False,
        non_proprietary=False,
        stars=None,
        raw=None,
    )
    # similar-looking values are not matched by similarity
    assert normalize_format("csvv").known is False
    assert normalize_format("geo json").known is False


def test_octet_stream_is_registered_but_names_no_format() -> None:
    info = normalize_format(None, "application/octet-stream")
    assert (info.format, info.known, info.media_type_registered) == (None, False, True)


def test_container_from_another_source() -> None:
    # Rostock: dct:format SHP, dcat:mediaType .../application/octet-stream+zip, a .shp.zip URL
    info = normalize_format(
        EU_FILE_TYPE + "SHP",
        "https://www.iana.org/assignments/media-types/application/octet-stream+zip",
        "https://geo.sv.rostock.de/download/opendata/friedhoefe/friedhoefe.shp.zip",
    )
    assert info == FormatInfo(
        format="SHP",
        source="format",
        container="ZIP",
        known=True,
        in_vocabulary=True,
        media_type_registered=False,
        machine_readable=True,
        non_proprietary=False,
        stars=2,
        raw=EU_FILE_TYPE + "SHP",
    )
    assert normalize_format("CSV", "application/zip").container == "ZIP"
    assert normalize_format("CSV", None, "https://e.org/a.zip").container == "ZIP"
    assert normalize_format("CSV", "text/csv", "https://e.org/a.csv").container is None


def test_invalid_eu_uri_is_not_in_vocabulary() -> None:
    # Rostock and GovData write .../file-type/WMS; the EU code is WMS_SRVC
    assert normalize_format(EU_FILE_TYPE + "WMS").in_vocabulary is False
    assert normalize_format(EU_FILE_TYPE + "WMS_SRVC").in_vocabulary is True
    assert normalize_format("WMS").in_vocabulary is True  # a label that maps to WMS_SRVC
    assert normalize_format("API").in_vocabulary is False  # no EU file type
    # either declared value may carry the vocabulary term
    assert normalize_format(EU_FILE_TYPE + "WFS", "application/xml").in_vocabulary is True


def test_media_type_registered() -> None:
    cases = {
        None: None,
        "": None,
        "text/csv": True,
        "TEXT/CSV; charset=utf-8": True,
        "https://www.iana.org/assignments/media-types/application/geo+json": True,
        "text/plain": True,  # RFC 2046, absent from MQA's list
        "application/x-zip-compressed": False,
        "application/csv": False,
        "application/x-whatever": False,
        "foo/bar": False,  # no such top-level type
        "CSV": False,
        "application/vnd.example.unknown": None,  # well-formed, not in our table
    }
    assert {raw: media_type_registered(raw) for raw in cases} == cases


def test_format_from_url() -> None:
    cases = {
        "https://e.org/a/b/data.csv": "CSV",
        "https://e.org/a/b/Data.JSON?download=1#x": "JSON",
        "https://e.org/roads.shp.zip": "SHP",
        "https://e.org/table.csv.gz": "CSV",
        "https://e.org/archive.zip": "ZIP",
        "https://e.org/archive.tar.gz": "TAR",
        "https://e.org/page.htm": "HTML",
        "https://e.org/file%20name.xlsx": "XLSX",
        "https://e.org/index.php": None,
        "https://e.org/data.sha512": None,
        "https://e.org/dataset/": None,
        "https://e.org/geoserver/ows?SERVICE=WFS&request=GetCapabilities": "WFS",
        "https://e.org/wms?service=wms": "WMS",
        "https://[broken/x.csv": None,
        "": None,
        None: None,
    }
    assert {url: format_from_url(url) for url in cases} == cases


# --- the tables ---------------------------------------------------------------------------------


def test_alias_keys_are_normalised_and_formats_exist() -> None:
    aliases = load_format_aliases()
    codes = {row.format for row in load_formats()}
    assert [a.key for a in aliases if format_key(a.key) != a.key] == []
    assert [a.key for a in aliases if a.format and a.format not in codes] == []
    assert [a.key for a in aliases if a.container and a.container not in codes] == []


def test_every_format_is_reachable_by_code_uri_media_type_and_extension() -> None:
    by_key = {a.key: a for a in load_format_aliases()}
    missing = []
    for row in load_formats():
        spellings = [row.format, *row.extensions]
        if row.eu_file_type_uri:
            spellings.append(row.eu_file_type_uri)
        if row.media_type:
            spellings.append(row.media_type)
        for spelling in spellings:
            alias = by_key.get(format_key(spelling))
            if alias is None or alias.format != row.format:
                missing.append((row.format, spelling))
    assert missing == []


def test_stars_agree_with_the_flags() -> None:
    """5-star: 1 not machine-readable, 2 machine-readable but proprietary, 3+ open."""
    wrong = []
    for row in load_formats():
        expected = (
            (row.stars >= 3) == (row.machine_readable and row.non_proprietary)
            and (row.stars == 2) == (row.machine_readable and not row.non_proprietary)
            and (row.stars == 1) == (not row.machine_readable)
        )
        if not expected:
            wrong.append(row.format)
    assert wrong == []
    stars = {row.format: row.stars for row in load_formats()}
    assert {f: stars[f] for f in ("PDF", "DOC", "ZIP", "TXT", "PNG", "HTML")} == dict.fromkeys(
        ("PDF", "DOC", "ZIP", "TXT", "PNG", "HTML"), 1
    )
    assert {f: stars[f] for f in ("XLS", "XLSX", "SHP")} == dict.fromkeys(("XLS", "XLSX", "SHP"), 2)
    three = ("CSV", "TSV", "JSON", "GEOJSON", "XML", "KML", "ODS", "WMS", "WFS")
    assert {f: stars[f] for f in three} == dict.fromkeys(three, 3)
    five = ("RDF", "TTL", "N3", "SPARQL", "JSONLD")
    assert {f: stars[f] for f in five} == dict.fromkeys(five, 5)


def _mqa_csv(corpus: Path, name: str) -> list[list[str]]:
    lines = (corpus / "vocab/mqa" / name).read_text(encoding="utf-8").splitlines()
    return [line.split(",") for line in lines if line]


def test_iana_flags_agree_with_the_registry(corpus: Path) -> None:
    registered = {row[1].lower() for row in _mqa_csv(corpus, "media-types.csv") if row[1]}
    # defined by RFC 2046 itself, so absent from IANA's per-type lists that MQA ships
    base_types = {"text/plain", "image/jpeg", "image/gif"}
    wrong = [
        a.key
        for a in load_format_aliases()
        if "/" in a.key
        and not a.key.startswith("eu:")
        and (a.vocabulary == "iana") != (a.key in registered or a.key in base_types)
    ]
    assert wrong == []


def test_eu_flags_agree_with_the_file_type_table(corpus: Path) -> None:
    # the 2022 SKOS table and MQA's newer list (which adds GTFS, WMTS_SRVC, YAML ...)
    rdf = (corpus / "vocab/dcat-ap-de/filetypes-skos.rdf").read_text(encoding="utf-8")
    codes = {c.lower() for c in re.findall(r'rdf:about="[^"]*/file-type/([A-Z0-9_]+)"', rdf)}
    codes |= {row[1].lower() for row in _mqa_csv(corpus, "file-types.csv")}
    wrong = [
        a.key
        for a in load_format_aliases()
        if a.key.startswith("eu:") and (a.vocabulary == "eu") != (a.key[3:] in codes)
    ]
    assert wrong == []
    invalid = sorted(a.key for a in load_format_aliases() if a.vocabulary == "invalid")
    assert invalid == ["eu:wcs", "eu:wfs", "eu:wms", "eu:wmts"]


def test_non_proprietary_agrees_with_mqa_where_mqa_says_open(corpus: Path) -> None:
    open_codes = {row[1] for row in _mqa_csv(corpus, "non-proprietary.csv")}
    ours = {
        row.eu_file_type_uri.rsplit("/", 1)[1]: row.non_proprietary
        for row in load_formats()
        if row.eu_file_type_uri
    }
    # DBF: MQA says open; we follow ckanext-qa's 2 stars (machine-readable, proprietary)
    disagree = sorted(code for code in open_codes if code in ours and not ours[code])
    assert disagree == ["DBF"]
