"""Licence normalisation: what portals put in licence fields -> one canonical licence.

Portals spell the same licence many ways: CKAN ids (``cc-by``, ``odc-odbl``), SPDX ids
(``CC0-1.0``, ``DL-DE-BY-2.0``), DCAT-AP.de URIs in old and new forms
(``http://dcat-ap.de/def/licenses/dl-by-de/2_0``, ``https://www.dcat-ap.de/def/licenses/cc-by/4.0``),
EU authority URIs (``.../authority/licence/CC_BY_4_0``), creativecommons.org URLs and free-text
titles. ``checks/data/licenses.csv`` maps each known spelling, reduced to a lookup key by
:func:`normalize_license_key`, to a canonical ``license_id`` with openness flags.

Nothing is guessed: a value whose key is not in the table is ``status="unknown"`` with the raw
value kept, never counted as open. Free-text titles are recognised only through explicit rows.
Separators and version dots are not guessing: when the exact key is not in the table, the
compact key (:func:`compact_license_key`: the key without ASCII punctuation and spaces) is
looked up among the table's own rows, and counts only where it names one licence.

Statuses:

``open``      the licence conforms to the Open Definition (NC and ND licences do not).
``not-open``  a known licence that restricts use (NC, ND, "other (not open)", commercial...).
``unknown``   a value is present but not in the table (a custom text, a link to terms).
``missing``   no value (None, empty, whitespace) or an explicit "licence not specified".

The same keys can be computed in DuckDB with :data:`LICENSE_KEY_SQL` and
:data:`LICENSE_COMPACT_KEY_SQL`, so snapshots can be joined to the CSV in SQL
(``read_csv('checks/data/licenses.csv', all_varchar=true)``): the exact key first, else the
compact key among the compact keys that name one ``license_id``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from checks.keys import KeyRecipe

LICENSE_TABLE_PATH = Path(__file__).parent / "data" / "licenses.csv"

Status = Literal["open", "not-open", "unknown", "missing"]

# The dash replacements and regex rewrites after NFC and lower-case (see checks.keys: one
# recipe drives both the Python key and the SQL key).
_KEY = KeyRecipe(
    replace=(("\u2013", "-"), ("\u2014", "-")),  # en dash, em dash -> hyphen-minus
    steps=(
        # collapse runs of whitespace (incl. no-break space) into one space
        (r"[\t\n\x0b\x0c\r \xa0]+", " ", True),
        # trim the ends (after collapsing, only single spaces can be left there)
        (r"^ | $", "", True),
        # a URI written as a literal in angle brackets: "<http://...>"
        (r"^<(.*)>$", r"\1", False),
        # drop the scheme: http://, https://
        (r"^[a-z][a-z0-9+.-]*://", "", False),
        # drop a leading www.
        (r"^www\.", "", False),
        # drop trailing slashes
        (r"/+$", "", False),
        # version parts written with an underscore: 2_0 -> 2.0, CC_BY_4_0 -> cc_by_4.0
        (r"(\d)_(\d)", r"\1.\2", True),
    ),
)


#: ASCII punctuation and the space (0x20-0x2f, 0x3a-0x40, 0x5b-0x60, 0x7b-0x7e): what the
#: compact key drops. Written with \\x escapes, which Python's re and RE2 read alike.
_PUNCTUATION = r"[\x20-\x2f\x3a-\x40\x5b-\x60\x7b-\x7e]"

# The compact key: the lookup key without any ASCII punctuation or space, so the separators
# and version dots people vary lose their weight: "dl-de/by-2.0", "DL-DE->BY-2.0",
# "DL-DE BY 2.0", "dl-de-by-2-0" and "dl-de-by-20" all become "dldeby20"; "§ 5 UrhG" and
# "§5 UrhG" both "§5urhg". Used only when the exact key is not in the table, and only where
# every table row with that compact key names the same licence (so "cc-by-nc/3.0", GovData's
# German port, and "cc-by-nc-3.0", the unported licence, stay apart).
_COMPACT = KeyRecipe(replace=_KEY.replace, steps=(*_KEY.steps, (_PUNCTUATION, "", True)))


def normalize_license_key(raw: str | None) -> str:
    """Reduce a raw licence value to the lookup key used in ``licenses.csv``.

    In order: ``None`` -> ``""``; Unicode NFC; lower-case; en/em dashes -> ``-``; collapse
    whitespace to single spaces and trim; unwrap ``<...>``; drop the URI scheme
    (``http://``, ``https://``), a leading ``www.`` and trailing slashes; write version parts
    with a dot (``2_0`` -> ``2.0``). So ``https://www.dcat-ap.de/def/licenses/dl-by-de/2_0/``
    and ``http://dcat-ap.de/def/licenses/dl-by-de/2.0`` both become
    ``dcat-ap.de/def/licenses/dl-by-de/2.0``. :data:`LICENSE_KEY_SQL` computes the same key.
    """
    return _KEY.key(raw)


#: DuckDB SQL expression computing :func:`normalize_license_key`; ``{col}`` is the column.
#: Use ``LICENSE_KEY_SQL.format(col="license_raw")`` or :func:`license_key_sql`.
LICENSE_KEY_SQL: str = _KEY.sql


def license_key_sql(col: str) -> str:
    """The DuckDB expression for the licence key of column (or SQL expression) ``col``."""
    return LICENSE_KEY_SQL.format(col=col)


def compact_license_key(raw: str | None) -> str:
    """:func:`normalize_license_key` without ASCII punctuation and spaces (the fallback key).

    ``"DL-DE->BY-2.0"`` -> ``"dldeby20"``; ``"Datenlizenz Deutschland Zero – Version 2.0"``
    -> ``"datenlizenzdeutschlandzeroversion20"``. :data:`LICENSE_COMPACT_KEY_SQL` computes it.
    """
    return _COMPACT.key(raw)


#: DuckDB SQL expression computing :func:`compact_license_key`; ``{col}`` is the column.
LICENSE_COMPACT_KEY_SQL: str = _COMPACT.sql


def license_compact_key_sql(col: str) -> str:
    """The DuckDB expression for the compact licence key of ``col``."""
    return LICENSE_COMPACT_KEY_SQL.format(col=col)


@dataclass(frozen=True)
class License:
    """One raw licence value, classified."""

    raw: str | None
    key: str
    license_id: str | None  # canonical id; None when unknown or missing
    title: str | None
    status: Status
    is_open: bool | None  # None when unknown or missing
    attribution: bool | None
    share_alike: bool | None
    non_commercial: bool | None
    no_derivatives: bool | None
    in_vocabulary: bool  # a DCAT-AP.de or EU licence-authority URI (MQA "from vocabulary")
    url: str | None


_BOOL_COLUMNS = (
    "open",
    "attribution",
    "share_alike",
    "non_commercial",
    "no_derivatives",
    "in_vocabulary",
)


def _parse_bool(value: str, column: str, line: int) -> bool | None:
    if value == "true":
        return True
    if value == "false":
        return False
    if value == "" and column == "open":
        return None  # only "licence not specified" rows: no licence was given
    raise ValueError(f"{LICENSE_TABLE_PATH}:{line}: {column}={value!r}, expected true or false")


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Any], ...]:
    rows = []
    with LICENSE_TABLE_PATH.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            parsed: dict[str, Any] = dict(row)
            for column in _BOOL_COLUMNS:
                parsed[column] = _parse_bool(row[column], column, line)
            rows.append(parsed)
    return tuple(rows)


def load_license_table() -> list[dict[str, Any]]:
    """The rows of ``checks/data/licenses.csv`` with booleans parsed (``open`` may be None).

    Read once and cached; each call returns fresh dicts, so callers may modify them.
    """
    return [dict(row) for row in _table()]


@lru_cache(maxsize=1)
def _index() -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for row in _table():
        if row["key"] in index:
            raise ValueError(f"{LICENSE_TABLE_PATH}: duplicate key {row['key']!r}")
        index[row["key"]] = row
    return index


@lru_cache(maxsize=1)
def _compact_index() -> dict[str, dict[str, Any]]:
    """compact key -> the first table row with it, for compact keys naming one licence only."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in _table():
        groups.setdefault(compact_license_key(row["key"]), []).append(row)
    return {
        compact: rows[0]
        for compact, rows in groups.items()
        if compact and len({r["license_id"] for r in rows}) == 1
    }


def _lookup(key: str, raw: str | None) -> tuple[dict[str, Any] | None, bool]:
    """(table row, matched exactly) for a key; the compact key is the fallback."""
    if not key:
        return None, False
    row = _index().get(key)
    if row is not None:
        return row, True
    return _compact_index().get(compact_license_key(raw)), False


def _status(is_open: bool | None) -> Status:
    if is_open is None:
        return "missing"
    return "open" if is_open else "not-open"


def classify_license(raw: str | None) -> License:
    """Classify one raw licence value (id, URI or title) via the licence table."""
    key = normalize_license_key(raw)
    row, exact = _lookup(key, raw)
    if row is None:
        return License(
            raw=raw,
            key=key,
            license_id=None,
            title=None,
            status="unknown" if key else "missing",
            is_open=None,
            attribution=None,
            share_alike=None,
            non_commercial=None,
            no_derivatives=None,
            in_vocabulary=False,
            url=None,
        )
    return License(
        raw=raw,
        key=key,
        license_id=row["license_id"],
        title=row["title"],
        status=_status(row["open"]),
        is_open=row["open"],
        attribution=row["attribution"],
        share_alike=row["share_alike"],
        non_commercial=row["non_commercial"],
        no_derivatives=row["no_derivatives"],
        # a vocabulary URI counts only as written; a near spelling of it is not the URI
        in_vocabulary=row["in_vocabulary"] and exact,
        url=row["url"] or None,
    )


def _present(lic: License) -> bool:
    return lic.status != "missing"


def classify_license_fields(*raws: str | None) -> License:
    """Classify a record that carries its licence in several fields, most authoritative first.

    For a CKAN package pass ``(license_id, license_url, license_title)``. The first field that
    is recognised (open or not-open) wins; if none is recognised, the first unknown one is
    returned (so its raw value is reported); if all are empty, the first field as missing.
    """
    if not raws:
        return classify_license(None)
    classified = [classify_license(raw) for raw in raws]
    for lic in classified:
        if lic.status in ("open", "not-open"):
            return lic
    for lic in classified:
        if lic.status == "unknown":
            return lic
    return classified[0]


LicenseInput = str | License | None


def _as_license(value: LicenseInput) -> License:
    return value if isinstance(value, License) else classify_license(value)


def distribution_license(dataset_raw: LicenseInput, distribution_raw: LicenseInput) -> License:
    """The licence that applies to one distribution (CKAN resource).

    The distribution's own licence when it has one, else the dataset's. "Has one" means its
    status is not ``missing``: an empty value or an explicit "not specified" on the
    distribution does not override a licence stated on the dataset. GovData leaves the
    dataset field empty and licenses each resource; DCAT puts ``dct:license`` on
    distributions; plain CKAN licenses only the dataset. Either argument may be a raw string
    or an already classified :class:`License`.
    """
    own = _as_license(distribution_raw)
    return own if _present(own) else _as_license(dataset_raw)


def distribution_licenses(
    dataset_raw: LicenseInput, distribution_raws: Iterable[LicenseInput]
) -> list[License]:
    """:func:`distribution_license` for each distribution, in order."""
    dataset = _as_license(dataset_raw)
    return [distribution_license(dataset, raw) for raw in distribution_raws]


# Lower rank = worse for a re-user; the dataset is only as open as its least open distribution.
# checks/assess_sql_facts.py generates its SQL ranking from this table (license_rank_sql).
LICENSE_RANK: dict[str, int] = {"not-open": 0, "missing": 1, "unknown": 2, "open": 3}
_RANK = LICENSE_RANK


def license_rank_sql(column: str = "license_status") -> str:
    """:data:`LICENSE_RANK` as a DuckDB CASE over ``column`` (the best rank as ELSE)."""
    ordered = sorted(LICENSE_RANK.items(), key=lambda kv: kv[1])
    whens = " ".join(f"WHEN '{status}' THEN {rank}" for status, rank in ordered[:-1])
    return f"CASE {column} {whens} ELSE {ordered[-1][1]} END"


def effective_license(
    dataset_raw: LicenseInput, distribution_raws: Iterable[LicenseInput]
) -> License:
    """One licence that summarises a dataset for scoring.

    With no distributions it is the dataset's own licence. Otherwise each distribution gets
    :func:`distribution_license` and the least open result wins, ranked
    ``not-open`` < ``missing`` < ``unknown`` < ``open`` (ties: the first distribution). So a
    dataset is ``open`` only when every distribution's licence is open; one NC resource
    makes it ``not-open``; one resource without a licence (and none on the dataset) makes it
    ``missing``.
    """
    dataset = _as_license(dataset_raw)
    per_distribution = distribution_licenses(dataset, distribution_raws)
    if not per_distribution:
        return dataset
    return min(per_distribution, key=lambda lic: _RANK[lic.status])
