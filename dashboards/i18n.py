"""The scorecard's words in English and German, and numbers written the way each language does.

The words are data: ``dashboards/words/<lang>.json`` holds one language's tables (``ui``,
``plurals``, ``bands``, ``dimensions``, ``terms``, ``shacl_fixes``; German also ``checks`` and
``indicators``).
``{MAX_POINTS}`` in a word stands for :data:`checks.scoring.MAX_POINTS`. Check titles, fix hints
and indicator texts come from ``checks.scoring`` (English, the code's own table);
:data:`CHECKS_DE` and :data:`INDICATORS_DE` give them in German, keyed by the same codes. A code
missing there shows in English (``tests/test_site_i18n.py`` lists any gap and checks that every
key exists in every language).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from checks.scoring import MAX_POINTS

LANGS: tuple[str, ...] = ("en", "de")
OTHER = {"en": "de", "de": "en"}
WORDS = Path(__file__).with_name("words")


def _load(lang: str) -> dict:
    raw = (WORDS / f"{lang}.json").read_text(encoding="utf-8")
    return json.loads(raw.replace("{MAX_POINTS}", str(MAX_POINTS)))


_TABLES = {lang: _load(lang) for lang in LANGS}
UI: dict[str, dict[str, str]] = {lang: t["ui"] for lang, t in _TABLES.items()}
# Counted nouns: key -> (one, many), so that "1 day" and "2 days" both read right.
PLURALS: dict[str, dict[str, tuple[str, str]]] = {
    lang: {k: tuple(v) for k, v in t["plurals"].items()} for lang, t in _TABLES.items()
}
BANDS: dict[str, dict[str, str]] = {lang: t["bands"] for lang, t in _TABLES.items()}
DIMENSIONS: dict[str, dict[str, str]] = {lang: t["dimensions"] for lang, t in _TABLES.items()}
# link-check outcomes (warehouse/schema_links.sql) and harvest statuses
TERMS: dict[str, dict[str, str]] = {lang: t["terms"] for lang, t in _TABLES.items()}
CHECKS_DE: dict[str, tuple[str, str]] = {k: tuple(v) for k, v in _TABLES["de"]["checks"].items()}
INDICATORS_DE: dict[str, tuple[str, str]] = {
    k: tuple(v) for k, v in _TABLES["de"]["indicators"].items()
}


def text(lang: str, key: str) -> str:
    """The UI word for `key` in `lang` (English when German lacks it; the key when both do)."""
    return UI.get(lang, UI["en"]).get(key) or UI["en"].get(key, key)


def count(n: int | None, lang: str, key: str) -> str:
    """'1 day' / '2 days', '1 Tag' / '2 Tage': the number as :func:`number` writes it, then
    the noun in the form it takes (singular only for exactly one)."""
    one, many = PLURALS.get(lang, PLURALS["en"]).get(key) or PLURALS["en"][key]
    return f"{number(n, lang)} {one if n == 1 else many}"


def term(lang: str, key: str | None) -> str:
    if key is None:
        return "–"
    return TERMS.get(lang, TERMS["en"]).get(key) or TERMS["en"].get(key, key)


def band_name(lang: str, band: str | None) -> str:
    if not band:
        return "–"
    return BANDS.get(lang, BANDS["en"]).get(band, band)


def dimension_name(lang: str, dimension: str) -> str:
    return DIMENSIONS.get(lang, DIMENSIONS["en"]).get(dimension, dimension)


def check_text(lang: str, code: str, title: str | None, fix: str | None) -> tuple[str, str]:
    """(title, fix hint) of a finding code in `lang`; English from the method table otherwise."""
    if lang == "de" and code in CHECKS_DE:
        return CHECKS_DE[code]
    return title or code, fix or ""


# plain-words fix hints of SHACL results: by the result's path (a CURIE), else by its
# constraint component ("component:<local name>"), else "default"
SHACL_FIXES: dict[str, dict[str, str]] = {lang: t["shacl_fixes"] for lang, t in _TABLES.items()}


def shacl_fix(lang: str, path: str | None, component: str | None) -> str:
    """The fix hint of one SHACL result in `lang` (``dcterms:`` is read as ``dct:``)."""
    hints = SHACL_FIXES.get(lang, SHACL_FIXES["en"])
    if path and path.startswith("dcterms:"):
        path = "dct:" + path[len("dcterms:") :]
    for key in (path, f"component:{component}" if component else None):
        if key and key in hints:
            return hints[key]
    return hints["default"]


def shacl_message(lang: str, message_de: str | None, message_en: str | None) -> str:
    """The shape's own message in `lang`, else in the other language."""
    first, second = (message_de, message_en) if lang == "de" else (message_en, message_de)
    return first or second or ""


def shacl_texts(lang: str, v: dict) -> tuple[str, str]:
    """(message, fix hint) of one SHACL result row (``path``, ``constraint_component``,
    ``message_de``, ``message_en``) in `lang`."""
    return (
        shacl_message(lang, v.get("message_de"), v.get("message_en")),
        shacl_fix(lang, v.get("path"), v.get("constraint_component")),
    )


def indicator_text(lang: str, indicator_id: str, label: str, passes_when: str) -> tuple[str, str]:
    if lang == "de" and indicator_id in INDICATORS_DE:
        return INDICATORS_DE[indicator_id]
    return label, passes_when


# ---------------------------------------------------------------- numbers and dates


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """1 234.5 (en) / 1 234,5 (de): a narrow no-break space groups thousands in both."""
    if value is None:
        return "–"
    s = f"{value:,.{digits}f}"
    s = s.replace(",", "\u202f")
    if lang == "de":
        s = s.replace(".", ",")
    return s


def percent(share: float | None, lang: str, digits: int = 1) -> str:
    """A share in [0, 1] as '66.7 %' / '66,7 %'."""
    if share is None:
        return "–"
    return f"{number(share * 100, lang, digits)}\u202f%"


def delta(value: float | None, lang: str, digits: int = 1, unit: str = "") -> str:
    """Signed change: '+3.0', '−1.5', '±0' (minus sign, not hyphen)."""
    if value is None:
        return "–"
    if round(value, digits) == 0:
        return "±0" + unit
    sign = "+" if value > 0 else "\u2212"
    return sign + number(abs(value), lang, digits) + unit


def day(value: datetime | None) -> str:
    """2026-11-22 (UTC): the same in both languages, and sorts as text."""
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d")


def moment(value: datetime | None) -> str:
    if value is None:
        return "–"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")
