"""What identifies a method and its tables: the fingerprints stored with every assessment.

:func:`method_fingerprint` hashes the method table of ``checks/scoring.py`` and the rules' SQL
of ``checks/metadata.py`` (``tests/test_scoring.py`` pins it per version);
:func:`vocabulary_fingerprint` hashes the reference tables in ``checks/data/``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from checks.compliance import SHACL_STATUS_SQL
from checks.facts import (
    ACCESS_RIGHTS_PATTERN,
    CONTACT_URL_PATTERN,
    EMAIL_PATTERN,
    URL_PATTERN,
)
from checks.metadata import CHECK_RULES, EVIDENCE, INDICATOR_RULES, RELEASE_UNIT_SQL, RELEASED_SQL
from checks.scoring import CURRENT, Method


def _sha(data: object) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def vocabulary_fingerprint() -> str:
    """A hash of the reference tables (licences, formats, frequencies) the checks read.

    Stored with each assessment: when it differs between two assessments of the same method,
    a score may have moved because a table learned a new spelling.
    """
    data = Path(__file__).with_name("data")
    files = sorted(data.glob("*.csv"))
    return _sha({f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in files})


def rule_texts() -> dict[str, str]:
    """The SQL of every rule and evidence, and the patterns: part of the method fingerprint."""
    texts = {f"indicator:{k}": r.sql for k, r in INDICATOR_RULES.items()}
    texts |= {f"check:{k}": r.sql for k, r in CHECK_RULES.items()}
    texts |= {f"evidence:{k}": sql for k, (_, sql) in EVIDENCE.items()}
    texts |= {"released:distribution": RELEASE_UNIT_SQL, "released:dataset": RELEASED_SQL}
    texts |= {"shacl:status": SHACL_STATUS_SQL}
    texts |= {
        "url": URL_PATTERN,
        "email": EMAIL_PATTERN,
        "contact-url": CONTACT_URL_PATTERN,
        "access-rights": ACCESS_RIGHTS_PATTERN,
    }
    return texts


def method_fingerprint(method: Method = CURRENT) -> str:
    """A hash of everything that decides a score: the tables, the numbers and the rules' SQL.

    The version string itself is left out, so the pinned fingerprint in the tests catches a
    changed method that kept its version.
    """
    definition = method.definition()
    definition.pop("version")
    definition.pop("notes")
    return _sha({"method": definition, "rules": rule_texts()})
