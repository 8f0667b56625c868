"""Metadata checks: one rule per idea, written once in Python and once in DuckDB SQL.

A *rule* reads the facts of one unit (:mod:`checks.facts`: a dataset, or a distribution) and
gives ``None`` (passes), a finding code (fails, and why) or :data:`NA` (cannot be judged).
Every rule exists twice, side by side below: as a Python function over a facts dict and as a
DuckDB SQL expression over a facts table with the same column names. The SQL runs set-based
over whole snapshots (``checks/assess_sql_facts.py`` and ``assess_sql_scores.py``, run by
``flows/assess.py``); the Python is the readable reference and the per-record implementation
(:mod:`checks.reference`), and the tests hold the two to identical results on the recorded
corpus.

Rules keyed by an indicator id (``checks/scoring.py``) earn points; rules keyed by a finding
code are the unscored conformance, openness and freshness checks. :data:`EVIDENCE` says, per
code, which value a finding reports. :func:`released` (with its SQL) is the scorecard's headline:
whether a dataset is really released (reachable, machine-readable, open, on time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from checks.compliance import VIOLATION_EVIDENCE_SQL, violation_evidence
from checks.facts import (
    Facts,
)

NA = "~"  # a rule's result for a unit it cannot judge (e.g. a URL without a link check)

# --- the rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One idea: ``py(facts)`` and ``sql`` give the same code / None / NA for a unit."""

    key: str  # indicator id (scored) or finding code (unscored)
    py: Callable[[Facts], str | None]
    sql: str


def _has(fact: str, code: str) -> Rule:
    """Passes when a boolean fact holds, else fails with `code`."""
    return Rule(
        "", lambda f: None if f[fact] else code, f"CASE WHEN {fact} THEN NULL ELSE '{code}' END"
    )


def _when(condition: Callable[[Facts], bool], sql: str, code: str) -> Rule:
    """Fires `code` when the condition holds (unscored checks)."""
    return Rule("", lambda f: code if condition(f) else None, f"CASE WHEN {sql} THEN '{code}' END")


def _keyed(key: str, rule: Rule) -> Rule:
    return Rule(key, rule.py, rule.sql)


def _link(fact: str, broken: str) -> Rule:
    return Rule(
        "",
        lambda f: None if f[fact] == "ok" else broken if f[fact] == "dead" else NA,
        f"CASE WHEN {fact} = 'ok' THEN NULL WHEN {fact} = 'dead' THEN '{broken}' ELSE '{NA}' END",
    )


def _no_format(f: Facts) -> str:
    return "missing-format" if not f["has_format"] and not f["has_media_type"] else "unknown-format"


_NO_FORMAT_SQL = "CASE WHEN NOT has_format AND NOT has_media_type THEN 'missing-format' ELSE 'unknown-format' END"


def _format_property(fact: str, code: str) -> Rule:
    """Non-proprietary / machine-readable: unknown formats fail as missing or unknown."""
    return Rule(
        "",
        lambda f: None if f[fact] else (code if f["fmt_known"] else _no_format(f)),
        f"CASE WHEN {fact} THEN NULL WHEN fmt_known THEN '{code}' ELSE {_NO_FORMAT_SQL} END",
    )


# Scored rules, keyed by indicator id (weights and levels: checks/scoring.py).
INDICATOR_RULES: dict[str, Rule] = {
    r.key: r
    for r in (
        _keyed("keywords", _has("has_keywords", "missing-keywords")),
        _keyed("themes", _has("has_themes", "missing-themes")),
        _keyed("spatial", _has("has_spatial", "missing-spatial")),
        _keyed("temporal", _has("has_temporal", "missing-temporal")),
        _keyed("access-url-reachable", _link("access_link", "broken-access-url")),
        _keyed("download-url", _has("has_download_url", "missing-download-url")),
        _keyed("download-url-reachable", _link("download_link", "broken-download-url")),
        _keyed("format", _has("has_format", "missing-format")),
        _keyed("media-type", _has("has_media_type", "missing-media-type")),
        Rule(
            "format-vocabulary",
            lambda f: (
                None
                if f["fmt_in_vocab"]
                else "missing-format"
                if not f["has_format"] and not f["has_media_type"]
                else "format-not-in-vocabulary"
            ),
            "CASE WHEN fmt_in_vocab THEN NULL WHEN NOT has_format AND NOT has_media_type "
            "THEN 'missing-format' ELSE 'format-not-in-vocabulary' END",
        ),
        _keyed("non-proprietary", _format_property("fmt_np", "proprietary-format")),
        _keyed("machine-readable", _format_property("fmt_mr", "not-machine-readable")),
        Rule(
            "dcat-ap-compliance",
            lambda f: {"conforms": None, "violates": "dcat-ap-violation"}.get(
                f["shacl_status"], NA
            ),
            "CASE shacl_status WHEN 'conforms' THEN NULL WHEN 'violates' THEN 'dcat-ap-violation' "
            f"ELSE '{NA}' END",
        ),
        _keyed(
            "license",
            Rule(
                "",
                lambda f: None if f["license_status"] != "missing" else "missing-license",
                "CASE WHEN license_status <> 'missing' THEN NULL ELSE 'missing-license' END",
            ),
        ),
        Rule(
            "license-vocabulary",
            lambda f: (
                None
                if f["license_vocab"]
                else {"missing": "missing-license", "unknown": "unknown-license"}.get(
                    f["license_status"], "license-not-in-vocabulary"
                )
            ),
            "CASE WHEN license_vocab THEN NULL WHEN license_status = 'missing' THEN 'missing-license' "
            "WHEN license_status = 'unknown' THEN 'unknown-license' ELSE 'license-not-in-vocabulary' END",
        ),
        _keyed("access-rights", _has("has_access_rights", "missing-access-rights")),
        Rule(
            "access-rights-vocabulary",
            lambda f: (
                None
                if f["access_rights_vocab"]
                else "access-rights-not-in-vocabulary"
                if f["has_access_rights"]
                else "missing-access-rights"
            ),
            "CASE WHEN access_rights_vocab THEN NULL WHEN has_access_rights "
            "THEN 'access-rights-not-in-vocabulary' ELSE 'missing-access-rights' END",
        ),
        _keyed("contact-point", _has("has_contact", "missing-contact-point")),
        _keyed("publisher", _has("has_publisher", "missing-publisher")),
        _keyed("rights", _has("has_rights", "missing-rights")),
        _keyed("byte-size", _has("has_byte_size", "missing-byte-size")),
        Rule(
            "issued",
            lambda f: None if f["issued_status"] != "missing" else "missing-issued",
            "CASE WHEN issued_status <> 'missing' THEN NULL ELSE 'missing-issued' END",
        ),
        Rule(
            "modified",
            lambda f: None if f["modified_status"] != "missing" else "missing-modified",
            "CASE WHEN modified_status <> 'missing' THEN NULL ELSE 'missing-modified' END",
        ),
    )
}

# Unscored checks, keyed by finding code; level from checks/scoring.py.
CHECK_RULES: dict[str, Rule] = {
    r.key: r
    for r in (
        _keyed(
            "missing-title", _when(lambda f: not f["has_title"], "NOT has_title", "missing-title")
        ),
        _keyed(
            "missing-description",
            _when(lambda f: not f["has_description"], "NOT has_description", "missing-description"),
        ),
        _keyed(
            "missing-access-url",
            _when(lambda f: not f["has_access_url"], "NOT has_access_url", "missing-access-url"),
        ),
        _keyed(
            "invalid-access-url",
            _when(
                lambda f: f["access_url_valid"] is False,
                "NOT access_url_valid",
                "invalid-access-url",
            ),
        ),
        _keyed(
            "invalid-download-url",
            _when(
                lambda f: f["download_url_valid"] is False,
                "NOT download_url_valid",
                "invalid-download-url",
            ),
        ),
        _keyed(
            "invalid-contact-email",
            _when(
                lambda f: f["contact_email_valid"] is False,
                "NOT contact_email_valid",
                "invalid-contact-email",
            ),
        ),
        _keyed(
            "invalid-contact-url",
            _when(
                lambda f: f["contact_url_valid"] is False,
                "NOT contact_url_valid",
                "invalid-contact-url",
            ),
        ),
        _keyed(
            "unparseable-date",
            _when(
                lambda f: "unparseable" in (f["issued_status"], f["modified_status"]),
                "(issued_status = 'unparseable' OR modified_status = 'unparseable')",
                "unparseable-date",
            ),
        ),
        _keyed(
            "future-modified-date",
            _when(lambda f: f["modified_future"], "modified_future", "future-modified-date"),
        ),
        _keyed(
            "unregistered-media-type",
            _when(
                lambda f: f["media_registered"] is False,
                "NOT media_registered",
                "unregistered-media-type",
            ),
        ),
        _keyed(
            "non-open-license",
            _when(
                lambda f: f["open_status"] == "not-open",
                "open_status = 'not-open'",
                "non-open-license",
            ),
        ),
        _keyed(
            "stale-vs-declared-frequency",
            _when(
                lambda f: f["freshness"] == "late",
                "freshness = 'late'",
                "stale-vs-declared-frequency",
            ),
        ),
        _keyed(
            "missing-frequency",
            _when(lambda f: not f["has_frequency"], "NOT has_frequency", "missing-frequency"),
        ),
        _keyed(
            "unknown-frequency",
            _when(
                lambda f: f["has_frequency"] and not f["frequency_known"],
                "(has_frequency AND NOT frequency_known)",
                "unknown-frequency",
            ),
        ),
    )
}


# --- the headline: is a dataset "really released"? ----------------------------------------------
#
# A distribution can release its dataset when it is real (not the stand-in of a dataset without
# distributions), has a URL, is machine-readable (fmt_mr, the declared format as the MQA
# indicator reads it) and its effective licence is open. Its link is the latest outcome for its
# download URL if it has one, else for its access URL. Per distribution: "released" (link ok),
# None (cannot qualify, or its link is dead / invalid-url) or "unverified" (any other outcome:
# failing, blocked, timeout, server-error, error, refused-private-address, or no result yet).

#: Link outcomes that settle a URL as not reachable (warehouse/schema_links.sql).
LINK_FAILED = ("dead", "invalid-url")

_LINK_FAILED_SQL = ", ".join(f"'{o}'" for o in LINK_FAILED)
RELEASE_LINK_SQL = "(CASE WHEN has_download_url THEN download_link ELSE access_link END)"
RELEASE_UNIT_SQL = (
    "(CASE WHEN is_virtual OR NOT fmt_mr OR license_status <> 'open' "
    "OR NOT (has_download_url OR has_access_url) THEN NULL "
    f"WHEN {RELEASE_LINK_SQL} = 'ok' THEN 'released' "
    f"WHEN {RELEASE_LINK_SQL} IN ({_LINK_FAILED_SQL}) THEN NULL "
    "ELSE 'unverified' END)"
)
#: Per dataset over ``freshness`` and whether any distribution is released / unverified.
RELEASED_SQL = (
    "(CASE WHEN freshness = 'late' THEN false WHEN any_released THEN true "
    "WHEN any_unverified THEN NULL ELSE false END)"
)


def release_link(u: Facts) -> str | None:
    """The link outcome that decides a distribution (None: no link-check result)."""
    return u["download_link"] if u["has_download_url"] else u["access_link"]


def release_unit(u: Facts) -> str | None:
    """``"released"``, ``"unverified"`` or None: what this distribution does for its dataset."""
    if u["is_virtual"] or not u["fmt_mr"] or u["license_status"] != "open":
        return None
    if not (u["has_download_url"] or u["has_access_url"]):
        return None
    link = release_link(u)
    if link == "ok":
        return "released"
    return None if link in LINK_FAILED else "unverified"


def released(freshness: str, units: Iterable[Facts]) -> bool | None:
    """Is the dataset really released? False when late; True when a distribution is released;
    None (undetermined) when one could be but its link is unverified; else False."""
    if freshness == "late":
        return False
    states = {release_unit(u) for u in units}
    if "released" in states:
        return True
    return None if "unverified" in states else False


def _ymd(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p is not None]
    return "; ".join(kept) if kept else None


def _locator(u: Facts) -> str | None:
    return u.get("url") or u.get("title")


# Evidence per code: the value seen. s = dataset facts, u = the distribution's facts.
EVIDENCE: dict[str, tuple[Callable[[Facts, Facts], str | None], str]] = {
    "missing-access-url": (lambda s, u: u.get("title"), "u.title"),
    "broken-access-url": (lambda s, u: u["access_url"], "u.access_url"),
    "missing-download-url": (
        lambda s, u: u["access_url"] or u["title"],
        "coalesce(u.access_url, u.title)",
    ),
    "broken-download-url": (lambda s, u: u["download_url"], "u.download_url"),
    "missing-format": (lambda s, u: _locator(u), "coalesce(u.url, u.title)"),
    "missing-media-type": (
        lambda s, u: u["format_raw"] or u["url"],
        "coalesce(u.format_raw, u.url)",
    ),
    "format-not-in-vocabulary": (
        lambda s, u: u["format_raw"] or u["media_type_raw"],
        "coalesce(u.format_raw, u.media_type_raw)",
    ),
    "unknown-format": (
        lambda s, u: u["format_raw"] or u["media_type_raw"],
        "coalesce(u.format_raw, u.media_type_raw)",
    ),
    "proprietary-format": (lambda s, u: u["fmt_format"], "u.fmt_format"),
    "not-machine-readable": (lambda s, u: u["fmt_format"], "u.fmt_format"),
    "missing-license": (lambda s, u: _locator(u), "coalesce(u.url, u.title)"),
    "unknown-license": (lambda s, u: u["license_raw"], "u.license_raw"),
    "license-not-in-vocabulary": (lambda s, u: u["license_raw"], "u.license_raw"),
    "access-rights-not-in-vocabulary": (lambda s, u: s["access_rights"], "s.access_rights"),
    "missing-rights": (lambda s, u: _locator(u), "coalesce(u.url, u.title)"),
    "missing-byte-size": (lambda s, u: _locator(u), "coalesce(u.url, u.title)"),
    "invalid-access-url": (lambda s, u: u["access_url"], "u.access_url"),
    "invalid-download-url": (lambda s, u: u["download_url"], "u.download_url"),
    "invalid-contact-email": (lambda s, u: s["contact_email"], "s.contact_email"),
    "invalid-contact-url": (lambda s, u: s["contact_url"], "s.contact_url"),
    "unparseable-date": (
        lambda s, u: _join(
            f"issued: {s['issued']}" if s["issued_status"] == "unparseable" else None,
            f"modified: {s['modified']}" if s["modified_status"] == "unparseable" else None,
        ),
        "nullif(concat_ws('; ', CASE WHEN s.issued_status = 'unparseable' THEN 'issued: ' || s.issued END, "
        "CASE WHEN s.modified_status = 'unparseable' THEN 'modified: ' || s.modified END), '')",
    ),
    "future-modified-date": (
        lambda s, u: f"modified: {s['modified']}",
        "'modified: ' || s.modified",
    ),
    "unregistered-media-type": (lambda s, u: u["media_type_raw"], "u.media_type_raw"),
    "non-open-license": (lambda s, u: s["open_raw"], "s.open_raw"),
    "stale-vs-declared-frequency": (
        lambda s, u: (
            f"modified {_ymd(s['modified_utc'])}, declared {s['frequency_code']}, "
            f"due {_ymd(s['due'])}, {s['days_late']} {'day' if s['days_late'] == 1 else 'days'} late"
        ),
        "'modified ' || strftime(s.modified_utc, '%Y-%m-%d') || ', declared ' || s.frequency_code "
        "|| ', due ' || strftime(s.due, '%Y-%m-%d') || ', ' || s.days_late "
        "|| CASE WHEN s.days_late = 1 THEN ' day late' ELSE ' days late' END",
    ),
    "unknown-frequency": (lambda s, u: s["frequency_raw"], "s.frequency_raw"),
    "dcat-ap-violation": (lambda s, u: violation_evidence(s), VIOLATION_EVIDENCE_SQL),
}
