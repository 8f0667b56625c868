"""The word tables are data (dashboards/words/<lang>.json): every language has every key."""

from __future__ import annotations

import json

from checks.scoring import MAX_POINTS
from dashboards import i18n

TABLES = ("ui", "plurals", "bands", "dimensions", "terms", "shacl_fixes")


def _raw(lang: str) -> dict:
    return json.loads((i18n.WORDS / f"{lang}.json").read_text(encoding="utf-8"))


def test_every_key_exists_in_every_language():
    raw = {lang: _raw(lang) for lang in i18n.LANGS}
    for table in TABLES:
        keys = {lang: set(raw[lang][table]) for lang in i18n.LANGS}
        for lang in i18n.LANGS:
            assert keys[lang] == keys["en"], (
                f"{table}: {lang} lacks {sorted(keys['en'] - keys[lang])}, "
                f"has extra {sorted(keys[lang] - keys['en'])}"
            )
    for lang in i18n.LANGS:
        assert all(len(v) == 2 for v in raw[lang]["plurals"].values()), lang
        assert all(isinstance(v, str) and v for v in raw[lang]["ui"].values()), lang


def test_max_points_comes_from_scoring():
    for lang in i18n.LANGS:
        assert "{MAX_POINTS}" in _raw(lang)["ui"]["points"]
        assert str(MAX_POINTS) in i18n.text(lang, "points")
        assert "{MAX_POINTS}" not in json.dumps(i18n.UI[lang], ensure_ascii=False)


def test_german_only_tables_are_pairs():
    assert all(isinstance(v, tuple) and len(v) == 2 for v in i18n.CHECKS_DE.values())
    assert all(isinstance(v, tuple) and len(v) == 2 for v in i18n.INDICATORS_DE.values())
