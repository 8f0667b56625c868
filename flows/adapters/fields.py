"""Field helpers the adapters' parse halves share: a portal's value -> the record's text,
number, address, list or interval. Pure, written once; where platforms differ in how they
write a value (JSON objects as text, lists as one string) the variant is a parameter.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import orjson


def text(value: Any, *, sort_keys: bool = False) -> str | None:
    """A value as trimmed text, None if empty; a JSON object or list as its JSON text."""
    if value.__class__ is str:  # the common case first: ~200,000 calls per harvested page
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)
    value = str(value).strip()
    return value or None


def joined_text(value: Any) -> str | None:
    """Like text(), but a list is its items joined by ", " and an object compact sorted
    JSON (how Opendatasoft metadata reads)."""
    if value is None:
        return None
    if isinstance(value, list):
        value = ", ".join(str(v).strip() for v in value if v is not None and str(v).strip())
    elif isinstance(value, dict):
        value = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    value = str(value).strip()
    return value or None


def strings(value: Any, *, split: str | None = None) -> list[str]:
    """A list of trimmed, non-empty strings from a list or one string (cut at `split`)."""
    if isinstance(value, str):
        if split is not None:
            return [v.strip() for v in value.split(split) if v.strip()]
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return []


def natural(value: Any, *, decimals: bool = True) -> int | None:
    """A size or count: a whole number in 0..2**62, else None. With `decimals`, "12.0" and
    "1e3" are read too (cut to whole); without, only integer text."""
    # the common cases first, without an exception: a CKAN resource's size is mostly None
    # (a raised ValueError per resource was ~7 % of a harvest's fetch thread)
    if value is None:
        return None
    if value.__class__ is int:
        return value if 0 <= value < 2**62 else None
    try:
        digits = str(value).strip()
        n = int(float(digits)) if decimals else int(digits)
    except (TypeError, ValueError, OverflowError):
        return None
    return n if 0 <= n < 2**62 else None


def email(value: str | None, *, iri: bool = False) -> str | None:
    """A contact address without its `mailto:`. With `iri` (an RDF mailbox), the value is
    trimmed before, not after, and a relative IRI the parser resolved against the page URL
    (`rdf:resource="info@example.de"`, Bremen, opendata.swiss) gives its last segment."""
    if not value:
        return None
    if iri:
        value = value.strip()
    if value.lower().startswith("mailto:"):
        value = value[len("mailto:") :]
        if not iri:
            value = value.strip()
    if iri and "/" in value and "@" in value.rsplit("/", 1)[1]:
        value = value.rsplit("/", 1)[1]
    return value or None


def interval(value: str | None) -> tuple[str | None, str | None]:
    """An ISO 8601 interval `start/end` -> (start, end); either side may be empty."""
    if not value or value.count("/") != 1:
        return None, None
    start, end = value.split("/")
    return start.strip() or None, end.strip() or None


def content_id(record: dict) -> str:
    """An id for a record that names none: `_:` and a digest of its content."""
    digest = hashlib.sha1(json.dumps(record, sort_keys=True).encode("utf-8")).hexdigest()
    return f"_:{digest[:16]}"


def utc_stamp(moment: datetime) -> str:
    """`moment` in UTC to the second, `Z`-terminated (Solr and ODSQL date literals)."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
