"""Facts: what the checks read of one dataset or distribution, in Python and in DuckDB SQL.

A snapshot's records are reduced to facts (booleans and classified values: "has keywords",
"licence status", "format is machine-readable" ...) using the pure classifiers of
:mod:`checks.licenses`, :mod:`checks.formats` and :mod:`checks.freshness`. The rules of
:mod:`checks.metadata` read facts only. Here:

- the validity patterns (URL, email, access-rights URI), plain regular expressions that
  Python's ``re`` and DuckDB's RE2 read alike, with their SQL form;
- the lookups: a classifier's answer for one raw value, which ``flows/assess.py`` computes
  once per *distinct* value of a snapshot and joins in SQL;
- :func:`dataset_facts` / :func:`distribution_facts`: the facts of one record, the per-record
  path; ``checks/assess_sql_facts.py`` builds the same columns set-based.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from checks.formats import normalize_format
from checks.freshness import as_utc, assess_freshness, classify_date, parse_frequency
from checks.licenses import (
    License,
    classify_license,
    classify_license_fields,
    load_license_table,
)
from checks.scoring import CURRENT, Method

Facts = dict[str, Any]

# --- validity patterns: plain regular expressions that Python's re and RE2 (DuckDB) read alike

_WS = r" \t\n\r\f\v"
_HOST_LABEL = rf"[^{_WS}/?#:@.\[\]]+"
#: An http(s) URL naming a host (dotted name, localhost or [IPv6]), optional user and port.
URL_PATTERN = (
    r"(?i:https?)://"
    rf"(?:[^{_WS}/?#@]+@)?"
    rf"(?:{_HOST_LABEL}(?:\.{_HOST_LABEL})+|(?i:localhost)|\[[0-9A-Fa-f:.]+\])"
    r"(?::[0-9]{1,5})?"
    rf"(?:[/?#][^{_WS}]*)?"
)
_EMAIL_CHAR = rf"[^{_WS}@<>(),;:\"\[\]]"
_DOMAIN_LABEL = rf"[^{_WS}@<>(),;:\"\[\].]+"
_EMAIL_BODY = (
    rf"{_EMAIL_CHAR}+@{_DOMAIN_LABEL}(?:\.{_DOMAIN_LABEL})*\.[^{_WS}@<>(),;:\"\[\].0-9]{{2,}}"
)
#: One email address, optionally written as a mailto: URI.
EMAIL_PATTERN = rf"(?i:mailto:)?{_EMAIL_BODY}"
#: A contact URL: an http(s) URL or a mailto: URI.
CONTACT_URL_PATTERN = rf"(?:{URL_PATTERN})|(?:(?i:mailto:){_EMAIL_BODY})"
#: An EU access-right URI (http://publications.europa.eu/resource/authority/access-right/...).
ACCESS_RIGHTS_PATTERN = (
    r"(?i:https?://publications\.europa\.eu/resource/authority/access-right/)"
    r"(?:PUBLIC|RESTRICTED|NON_PUBLIC|CONFIDENTIAL|NORMAL|SENSITIVE|OP_DATPRO)"
)


def _full(pattern: str, value: str | None) -> bool | None:
    if not present(value):
        return None
    assert value is not None
    return re.fullmatch(pattern, value) is not None


def is_http_url(value: str | None) -> bool | None:
    """True for a valid http(s) URL, False for another value, None when there is none."""
    return _full(URL_PATTERN, value)


def is_email(value: str | None) -> bool | None:
    return _full(EMAIL_PATTERN, value)


def present(value: Any) -> bool:
    """A field "exists": not null and not only spaces (SQL: ``x IS NOT NULL AND trim(x) <> ''``)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip(" ") != ""
    return True


def present_sql(col: str) -> str:
    return f"({col} IS NOT NULL AND trim({col}) <> '')"


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def regex_sql(col: str, pattern: str) -> str:
    """SQL for :func:`_full`: NULL when absent, else whether the whole value matches."""
    return (
        f"(CASE WHEN {present_sql(col)} THEN regexp_full_match({col}, {sql_literal(pattern)}) END)"
    )


# --- lookups: the classifiers, applied once per distinct raw value ------------------------------


@lru_cache(maxsize=1)
def _vocabulary_license_ids() -> frozenset[str]:
    return frozenset(r["license_id"] for r in load_license_table() if r["in_vocabulary"])


def license_facts(lic: License) -> tuple[str | None, str, bool, str | None]:
    """(raw, status, in vocabulary, canonical id) of a classified licence.

    "In vocabulary" is read leniently, as for formats: the value maps to a licence that has a
    DCAT-AP.de or EU vocabulary URI, so CKAN's ``cc-by-4.0`` counts like its URI.
    """
    known = lic.status in ("open", "not-open")
    vocab = known and (lic.in_vocabulary or lic.license_id in _vocabulary_license_ids())
    return lic.raw, lic.status, vocab, lic.license_id


def dataset_license(license_raw: str | None, url_raw: str | None, title_raw: str | None) -> License:
    """The dataset's own licence: CKAN's id, else its URL, else its title (first recognised)."""
    return classify_license_fields(license_raw, url_raw, title_raw)


def date_facts(raw: str | None) -> tuple[datetime | None, str]:
    """(the date as naive UTC, status ok|missing|unparseable)."""
    parsed, status = classify_date(raw)
    return (as_utc(parsed).replace(tzinfo=None) if parsed is not None else None), status


def frequency_facts(raw: str | None) -> tuple[str | None, int | None, str | None, bool]:
    """(code, period in days, exempt class, known) of a declared update frequency."""
    f = parse_frequency(raw)
    return f.code, f.period_days, f.exempt, f.known


def format_facts(format_raw: str | None, media_type_raw: str | None, url: str | None) -> Facts:
    fi = normalize_format(format_raw, media_type_raw, url)
    return {
        "fmt_format": fi.format,
        "fmt_known": fi.known,
        "fmt_in_vocab": fi.in_vocabulary,
        "fmt_mr": fi.machine_readable,
        "fmt_np": fi.non_proprietary,
        "media_registered": fi.media_type_registered,
    }


# --- which distributions count: a dataset's generated exports count once ---------------------

#: SQL ORDER BY picking a dataset's one counted generated distribution (the twin of
#: :func:`_generated_rank`): machine-readable first, then open formats, then position, id.
GENERATED_ORDER_SQL = "fmt_mr DESC, fmt_np DESC, position NULLS LAST, distribution_id"


def _generated_rank(u: Mapping[str, Any]) -> tuple:
    pos = u.get("position")
    return (
        not u["fmt_mr"],
        not u["fmt_np"],
        pos is None,
        pos if pos is not None else 0,
        u.get("distribution_id") or "",
    )


def counted_units(units: list[Facts]) -> list[Facts]:
    """The distributions of one dataset that scores count, in their order.

    Every distribution the publisher made counts; of those the platform generated (an
    Opendatasoft dataset's 9-15 exports of the same records) only the best machine-readable
    one does, so an automatic export neither multiplies a dataset's distributions nor its
    format shares. SQL: ``_dif`` in :func:`checks.assess_sql_facts.facts_sql`.
    """
    generated = [u for u in units if u.get("generated")]
    if not generated:
        return units
    best = min(generated, key=_generated_rank)
    return [u for u in units if not u.get("generated") or u is best]


# --- facts of one record (the per-record path; flows/assess.py computes the same in SQL) -------


def dataset_facts(ds: Mapping[str, Any], now: datetime, method: Method = CURRENT) -> Facts:
    issued_utc, issued_status = date_facts(ds.get("issued"))
    modified_utc, modified_status = date_facts(ds.get("modified"))
    code, period, exempt, known = frequency_facts(ds.get("frequency_raw"))
    fresh = assess_freshness(
        ds.get("modified"),
        ds.get("frequency_raw"),
        now,
        grace_days=method.grace_days,
        skew_days=method.skew_days,
    )
    lic_raw, lic_status, lic_vocab, lic_id = license_facts(
        dataset_license(
            ds.get("license_raw"), ds.get("license_url_raw"), ds.get("license_title_raw")
        )
    )
    now_naive = as_utc(now).replace(tzinfo=None)
    return {
        "dataset_id": ds.get("dataset_id"),
        "has_title": present(ds.get("title")),
        "has_description": present(ds.get("description")),
        "has_keywords": len(ds.get("keywords") or []) > 0,
        "has_themes": len(ds.get("themes") or []) > 0,
        "has_spatial": present(ds.get("spatial")),
        "has_temporal": present(ds.get("temporal_start")) or present(ds.get("temporal_end")),
        "access_rights": ds.get("access_rights"),
        "has_access_rights": present(ds.get("access_rights")),
        "access_rights_vocab": bool(_full(ACCESS_RIGHTS_PATTERN, ds.get("access_rights"))),
        "has_contact": any(
            present(ds.get(k)) for k in ("contact_name", "contact_email", "contact_url")
        ),
        "contact_email": ds.get("contact_email"),
        "contact_email_valid": _full(EMAIL_PATTERN, ds.get("contact_email")),
        "contact_url": ds.get("contact_url"),
        "contact_url_valid": _full(CONTACT_URL_PATTERN, ds.get("contact_url")),
        "has_publisher": present(ds.get("publisher")),
        "issued": ds.get("issued"),
        "issued_status": issued_status,
        "modified": ds.get("modified"),
        "modified_status": modified_status,
        "modified_utc": modified_utc,
        "modified_future": modified_utc is not None
        and modified_utc > now_naive + timedelta(days=method.skew_days),
        "frequency_raw": ds.get("frequency_raw"),
        "has_frequency": present(ds.get("frequency_raw")),
        "frequency_code": code,
        "frequency_known": known,
        "freshness": fresh.status,
        "due": fresh.due.replace(tzinfo=None) if fresh.due is not None else None,
        "days_late": fresh.days_late,
        "license_raw": lic_raw,
        "license_status": lic_status,
        "license_vocab": lic_vocab,
        "license_id": lic_id,
    }


def distribution_facts(
    dist: Mapping[str, Any] | None,
    dataset_lic: License,
    links: Mapping[str, str] | None = None,
) -> Facts:
    """Facts of one distribution; ``dist=None`` is the stand-in of a dataset without any."""
    d = dist or {}
    own = classify_license(d.get("license_raw"))
    applied = own if own.status != "missing" else dataset_lic
    raw, status, vocab, _ = license_facts(applied)
    links = links or {}
    access_url, download_url = d.get("access_url"), d.get("download_url")
    return {
        "distribution_id": d.get("distribution_id"),
        "is_virtual": dist is None,
        "position": d.get("position"),
        "title": d.get("title"),
        "url": d.get("url"),
        "access_url": access_url,
        "download_url": download_url,
        "has_access_url": present(access_url),
        "access_url_valid": _full(URL_PATTERN, access_url),
        "has_download_url": present(download_url),
        "download_url_valid": _full(URL_PATTERN, download_url),
        "format_raw": d.get("format_raw"),
        "media_type_raw": d.get("media_type_raw"),
        "has_format": present(d.get("format_raw")),
        "has_media_type": present(d.get("media_type_raw")),
        **format_facts(d.get("format_raw"), d.get("media_type_raw"), d.get("url")),
        "license_raw": raw,
        "license_status": status,
        "license_vocab": vocab,
        "generated": bool(d.get("generated")),
        "has_rights": present(d.get("rights")),
        "has_byte_size": d.get("byte_size") is not None,
        "access_link": links.get(access_url) if present(access_url) else None,
        "download_link": links.get(download_url) if present(download_url) else None,
    }
