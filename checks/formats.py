"""Format normalisation: what portals put in format fields -> one canonical format.

Portals describe the same file many ways: CKAN labels (``CSV``, ``.csv``, ``csv.``, ``.cvs``),
compounds (``zip+csv``, ``ZIP + XML``), media types (``text/csv; charset=utf-8``), IANA and
W3C media-type URIs, EU file-type URIs (``http://publications.europa.eu/resource/authority/
file-type/CSV``) and free text (``Kartenviewer``, ``Ponto de Acesso à API``). Two committed
tables, written for this project, hold the facts:

``checks/data/formats.csv``
    one row per canonical format: media type, EU file-type URI, URL extensions,
    ``machine_readable``, ``non_proprietary`` (an open format) and ``stars`` (5-star openness
    of the format alone: 1 PDF/DOC/ZIP/TXT/images/HTML, 2 XLS/XLSX/SHP, 3 CSV/JSON/XML/...,
    5 RDF/TTL/N3/SPARQL/JSON-LD), and whether it is a ``container`` (ZIP, GZIP, ...).
``checks/data/format_aliases.csv``
    every accepted spelling, already reduced to its lookup key by :func:`format_key`, with
    the canonical ``format`` (empty for values that name no format, such as
    ``application/octet-stream``), the ``container`` of a compound (``zip+csv`` -> CSV in
    ZIP) and a ``vocabulary`` flag: ``eu`` (a term of the EU file-type table), ``iana`` (an
    IANA-registered media type), ``unregistered`` (shaped like a media type, not registered),
    ``invalid`` (looks like an EU file-type URI but is no term, e.g. ``.../file-type/WMS``)
    or empty (a plain label or extension).

Nothing is guessed: a value whose key is not in the alias table is unknown (``known=False``),
never matched by similarity. The same key can be computed in DuckDB with
:data:`FORMAT_KEY_SQL`, so snapshots can be joined to the alias table set-based::

    SELECT r.*, a.format, a.container
    FROM resources r
    LEFT JOIN read_csv('checks/data/format_aliases.csv', all_varchar=true) a
      ON a.key = <FORMAT_KEY_SQL.format(col="r.format")>
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from checks.keys import KeyRecipe

FORMATS_PATH = Path(__file__).parent / "data" / "formats.csv"
FORMAT_ALIASES_PATH = Path(__file__).parent / "data" / "format_aliases.csv"

Source = Literal["format", "media_type", "url"]
Vocabulary = Literal["", "eu", "iana", "unregistered", "invalid"]
_VOCABULARIES: frozenset[str] = frozenset({"", "eu", "iana", "unregistered", "invalid"})

# The regex rewrites after NFC and lower-case (see checks.keys: one recipe drives both the
# Python key and the SQL key).
_MEDIA_TYPE_TOKEN = r"[a-z0-9][a-z0-9!#$&^_.+-]*"
_KEY = KeyRecipe(
    steps=(
        # collapse runs of whitespace (incl. no-break space) into one space, then trim the ends
        (r"[\t\n\x0b\x0c\r \xa0]+", " ", True),
        (r"^ | $", "", True),
        # a URI written in angle brackets: "<http://...>"
        (r"^<(.*)>$", r"\1", False),
        # IANA and W3C media-type URIs -> the bare media type
        (r"^https?://(www\.)?iana\.org/assignments/media-types/", "", False),
        (r"^https?://(www\.)?w3\.org/ns/iana/media-types/([^#]*)(#.*)?$", r"\2", False),
        # EU file-type URIs -> "eu:<code>"
        (r"^https?://publications\.europa\.eu/resource/authority/file-type/", "eu:", False),
        # media-type parameters: "text/csv; charset=utf-8" -> "text/csv"
        (rf"^({_MEDIA_TYPE_TOKEN}/{_MEDIA_TYPE_TOKEN}) ?;.*$", r"\1", False),
        # compounds: "ZIP + XML" -> "zip+xml"
        (r" ?\+ ?", "+", True),
        # dots and spaces at the ends: ".csv", "CSV.", "csv." -> "csv"
        (r"^[ .]+|[ .]+$", "", True),
    )
)

# RFC 6838 top-level types; a media type under any other top level cannot be registered.
_TOP_LEVEL_TYPES = frozenset(
    {"application", "audio", "font", "haptics", "image", "message", "model", "multipart"}
    | {"text", "video"}
)
_MEDIA_TYPE_RE = re.compile(rf"^({_MEDIA_TYPE_TOKEN})/({_MEDIA_TYPE_TOKEN})$")
_OGC_SERVICES = frozenset({"wms", "wfs", "wcs", "wmts"})


def format_key(raw: str | None) -> str:
    """Reduce a raw format, media type or URI to the lookup key of ``format_aliases.csv``.

    In order: ``None`` -> ``""``; Unicode NFC; lower-case; collapse whitespace and trim; unwrap
    ``<...>``; IANA (``https://www.iana.org/assignments/media-types/``) and W3C
    (``https://www.w3.org/ns/iana/media-types/...#Resource``) URIs -> the bare media type;
    ``http(s)://publications.europa.eu/resource/authority/file-type/CSV`` -> ``eu:csv``; drop
    media-type parameters; no spaces around ``+``; drop dots and spaces at both ends. So
    ``" ZIP + XML "`` -> ``zip+xml`` and ``"CSV."`` -> ``csv``. :data:`FORMAT_KEY_SQL` computes
    the same key in DuckDB.
    """
    return _KEY.key(raw)


#: DuckDB SQL expression computing :func:`format_key`; ``{col}`` is the column.
#: Use ``FORMAT_KEY_SQL.format(col="format_raw")`` or :func:`format_key_sql`.
FORMAT_KEY_SQL: str = _KEY.sql


def format_key_sql(col: str) -> str:
    """The DuckDB expression for the format key of column (or SQL expression) ``col``."""
    return FORMAT_KEY_SQL.format(col=col)


@dataclass(frozen=True)
class FormatRow:
    """One canonical format from ``formats.csv``."""

    format: str
    label: str
    media_type: str | None
    eu_file_type_uri: str | None
    extensions: tuple[str, ...]
    machine_readable: bool
    non_proprietary: bool
    stars: int
    container: bool
    note: str


@dataclass(frozen=True)
class Alias:
    """One row of ``format_aliases.csv``."""

    key: str
    format: str | None  # None: recognised, but names no format (application/octet-stream)
    container: str | None
    vocabulary: Vocabulary
    note: str


@dataclass(frozen=True)
class FormatInfo:
    """The format of one distribution, judged from its declared format, media type and URL."""

    format: str | None  # canonical format (formats.csv), None when unknown
    source: Source | None  # where the format was read; None when unknown
    container: str | None  # "ZIP" for zip+csv (the payload is `format`), else None
    known: bool  # format is in our table
    in_vocabulary: bool  # a declared value is an EU file-type / IANA term, or maps to one
    media_type_registered: bool | None  # None when no media type, or one we cannot judge
    machine_readable: bool
    non_proprietary: bool
    stars: int | None  # 5-star openness of the format alone; None when unknown
    raw: str | None  # the value the format was read from (else the first one given)


def _parse_bool(value: str, path: Path, line: int, column: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"{path}:{line}: {column}={value!r}, expected true or false")
    return value == "true"


@lru_cache(maxsize=1)
def _formats() -> dict[str, FormatRow]:
    rows: dict[str, FormatRow] = {}
    with FORMATS_PATH.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            code = row["format"]
            if code in rows:
                raise ValueError(f"{FORMATS_PATH}:{line}: duplicate format {code!r}")
            stars = int(row["stars"])
            if not 0 <= stars <= 5:
                raise ValueError(f"{FORMATS_PATH}:{line}: stars={stars}, expected 0-5")
            rows[code] = FormatRow(
                format=code,
                label=row["label"],
                media_type=row["media_type"] or None,
                eu_file_type_uri=row["eu_file_type_uri"] or None,
                extensions=tuple(row["extensions"].split()),
                machine_readable=_parse_bool(
                    row["machine_readable"], FORMATS_PATH, line, "machine_readable"
                ),
                non_proprietary=_parse_bool(
                    row["non_proprietary"], FORMATS_PATH, line, "non_proprietary"
                ),
                stars=stars,
                container=_parse_bool(row["container"], FORMATS_PATH, line, "container"),
                note=row["note"],
            )
    return rows


@lru_cache(maxsize=1)
def _aliases() -> dict[str, Alias]:
    formats = _formats()
    aliases: dict[str, Alias] = {}
    with FORMAT_ALIASES_PATH.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{FORMAT_ALIASES_PATH}:{line}"
            key = row["key"]
            if key in aliases:
                raise ValueError(f"{where}: duplicate key {key!r}")
            for column in ("format", "container"):
                if row[column] and row[column] not in formats:
                    raise ValueError(f"{where}: {column}={row[column]!r} is not in formats.csv")
            if row["vocabulary"] not in _VOCABULARIES:
                raise ValueError(f"{where}: vocabulary={row['vocabulary']!r}")
            aliases[key] = Alias(
                key=key,
                format=row["format"] or None,
                container=row["container"] or None,
                vocabulary=row["vocabulary"],  # type: ignore[arg-type]
                note=row["note"],
            )
    return aliases


@lru_cache(maxsize=1)
def _extensions() -> dict[str, str]:
    by_extension: dict[str, str] = {}
    for row in _formats().values():
        for ext in row.extensions:
            if ext in by_extension:
                raise ValueError(f"{FORMATS_PATH}: extension {ext!r} listed twice")
            by_extension[ext] = row.format
    return by_extension


def load_formats() -> list[FormatRow]:
    """The rows of ``checks/data/formats.csv``, parsed and validated (cached)."""
    return list(_formats().values())


def load_format_aliases() -> list[Alias]:
    """The rows of ``checks/data/format_aliases.csv``, parsed and validated (cached)."""
    return list(_aliases().values())


def format_row(code: str) -> FormatRow | None:
    """The ``formats.csv`` row of a canonical format code, or None."""
    return _formats().get(code)


def _blank(raw: str | None) -> bool:
    return raw is None or not raw.strip()


def _lookup(raw: str | None) -> Alias | None:
    return None if _blank(raw) else _aliases().get(format_key(raw))


def media_type_registered(media_type_raw: str | None) -> bool | None:
    """Is a declared media type (bare or as IANA URI) registered with IANA?

    True for media types our alias table marks ``iana`` (checked against IANA's registry as
    shipped with MQA). False for ones it marks otherwise, for values that are not media types
    at all (``ZIP``, ``Dicionário``), for an unknown top-level type and for ``x-`` subtypes
    (unregistered by definition, RFC 6838). None when no value is given, or for a well-formed
    media type outside our table (we do not carry the whole IANA registry).
    """
    if _blank(media_type_raw):
        return None
    alias = _lookup(media_type_raw)
    if alias is not None:
        return alias.vocabulary == "iana"
    match = _MEDIA_TYPE_RE.match(format_key(media_type_raw))
    if match is None:
        return False
    top, subtype = match.groups()
    if top not in _TOP_LEVEL_TYPES or subtype.startswith("x-"):
        return False
    return None


def _in_vocabulary(alias: Alias | None) -> bool:
    if alias is None or alias.vocabulary in ("invalid", "unregistered"):
        return False
    if alias.vocabulary in ("eu", "iana"):
        return True
    row = _formats().get(alias.format) if alias.format else None
    return row is not None and row.eu_file_type_uri is not None


def _from_url(url: str | None) -> tuple[str | None, str | None]:
    """(format, container) from a URL's file extension, or from ``service=WMS`` in its query."""
    if _blank(url):
        return None, None
    assert url is not None
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None, None
    segment = unquote(parts.path).rstrip("/").rsplit("/", 1)[-1].lower()
    extensions = segment.split(".")[1:]
    by_extension = _extensions()
    if extensions:
        last = by_extension.get(extensions[-1])
        if last is not None and _formats()[last].container and len(extensions) >= 2:
            inner = by_extension.get(extensions[-2])
            if inner is not None:
                return inner, last  # data.csv.zip, roads.shp.zip
        if last is not None:
            return last, None
    for name, value in parse_qsl(parts.query):
        if name.lower() == "service" and value.lower() in _OGC_SERVICES:
            return value.upper(), None
    return None, None


def format_from_url(url: str | None) -> str | None:
    """The canonical format a URL's file extension names (the payload for ``x.csv.zip``).

    Only extensions listed in ``formats.csv`` count (``.php``, ``.sha512`` do not); a URL
    without one may still name an OGC service in its query (``?service=WMS``).
    """
    return _from_url(url)[0]


def _alias_parts(alias: Alias | None) -> tuple[str | None, str | None]:
    return (alias.format, alias.container) if alias is not None else (None, None)


def _container_of(fmt: str | None, container: str | None) -> str | None:
    """The container a source shows: its compound container, or itself if it is one."""
    if container is not None:
        return container
    if fmt is not None and _formats()[fmt].container:
        return fmt
    return None


def normalize_format(
    format_raw: str | None, media_type_raw: str | None = None, url: str | None = None
) -> FormatInfo:
    """Judge the format of one distribution (CKAN resource) from what its record declares.

    The first source that names a known format wins, in order: the declared format, the
    media type, the URL's file extension. A declared value we do not recognise (``spv``,
    ``xmls``) is passed over, not guessed at. For a compound (``zip+csv``) the payload is the
    format and the archive the ``container``; the payload counts for openness. A container
    shown only by another source (format ``SHP``, media type ``application/octet-stream+zip``)
    is reported too. ``in_vocabulary`` holds when the declared format or media type is an EU
    file-type / IANA term or a plain label that maps to an EU file type (MQA's "format or media
    type from a controlled vocabulary", read leniently); the URL does not count there.
    """
    format_alias = _lookup(format_raw)
    media_alias = _lookup(media_type_raw)
    url_format, url_container = _from_url(url)

    found: list[tuple[Source, str | None, str | None, str | None]] = [
        ("format", *_alias_parts(format_alias), format_raw),
        ("media_type", *_alias_parts(media_alias), media_type_raw),
        ("url", url_format, url_container, url),
    ]
    chosen = next((entry for entry in found if entry[1] is not None), None)

    in_vocabulary = _in_vocabulary(format_alias) or _in_vocabulary(media_alias)
    registered = media_type_registered(media_type_raw)
    if chosen is None:
        given = [raw for raw in (format_raw, media_type_raw, url) if not _blank(raw)]
        return FormatInfo(
            format=None,
            source=None,
            container=None,
            known=False,
            in_vocabulary=in_vocabulary,
            media_type_registered=registered,
            machine_readable=False,
            non_proprietary=False,
            stars=None,
            raw=given[0] if given else None,
        )

    source, fmt, container, raw = chosen
    assert fmt is not None
    row = _formats()[fmt]
    if container is None and not row.container:
        for other_source, other_fmt, other_container, _ in found:
            if other_source != source:
                container = _container_of(other_fmt, other_container)
                if container is not None:
                    break
    return FormatInfo(
        format=fmt,
        source=source,
        container=container,
        known=True,
        in_vocabulary=in_vocabulary,
        media_type_registered=registered,
        machine_readable=row.machine_readable,
        non_proprietary=row.non_proprietary,
        stars=row.stars,
        raw=raw,
    )
