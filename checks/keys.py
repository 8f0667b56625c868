"""Lookup keys for the reference tables, computed alike in Python and in DuckDB.

A :class:`KeyRecipe` reduces a raw value to the key of a table row: ``None`` -> ``""``;
Unicode NFC; lower-case; literal replacements (en dash -> ``-``); then an ordered list of
regex rewrites. One recipe drives both :meth:`KeyRecipe.key` and :attr:`KeyRecipe.sql`, so
the Python key and its SQL twin cannot drift apart. One known gap: DuckDB's ``lower()``
lower-cases a few characters unlike Python (dotted capital I ``İ``, a word-final capital
sigma), so a raw value containing them can get a different key in SQL; no value in the
vocabularies or the recorded corpus has them. Used by :mod:`checks.formats`,
:mod:`checks.licenses` and :mod:`checks.freshness` (Python key only).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

#: One rewrite: (pattern, replacement, replace_all). Patterns must use only syntax that
#: Python's ``re`` and RE2 (DuckDB) read the same way.
KeyStep = tuple[str, str, bool]


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class KeyRecipe:
    """How a raw value becomes a lookup key: NFC, lower-case, ``replace``, then ``steps``."""

    steps: tuple[KeyStep, ...]
    replace: tuple[tuple[str, str], ...] = ()  # (text, by) literal replacements, in order
    _compiled: tuple[tuple[re.Pattern[str], str, bool], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        compiled = tuple((re.compile(p), r, g) for p, r, g in self.steps)
        object.__setattr__(self, "_compiled", compiled)

    def key(self, raw: str | None) -> str:
        """The key of ``raw``; ``""`` for ``None``."""
        if raw is None:
            return ""
        key = unicodedata.normalize("NFC", raw).lower()
        for text, by in self.replace:
            key = key.replace(text, by)
        for pattern, replacement, replace_all in self._compiled:
            key = pattern.sub(replacement, key, count=0 if replace_all else 1)
        return key

    @property
    def sql(self) -> str:
        """The DuckDB expression computing :meth:`key`; ``{col}`` is the column."""
        expr = "lower(nfc_normalize(coalesce(CAST({col} AS VARCHAR), '')))"
        for text, by in self.replace:
            expr = f"replace({expr}, {sql_literal(text)}, {sql_literal(by)})"
        for pattern, replacement, replace_all in self.steps:
            flags = ", 'g'" if replace_all else ""
            expr = (
                f"regexp_replace({expr}, {sql_literal(pattern)}, {sql_literal(replacement)}{flags})"
            )
        return expr
