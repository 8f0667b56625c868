"""Freshness: is a dataset updated as often as its metadata says it will be?

The rule is data.gouv.fr's "updated in time": a dataset is late when its last modification +
its declared update period + one day of grace lies in the past. Continuous, irregular,
unknown, "never" and "other" frequencies are exempt: they promise no date to miss.

``checks/data/frequencies.csv`` maps each known frequency spelling, reduced to a key by
:func:`frequency_key`, to a canonical ``code`` (the EU frequency table's: ``DAILY``,
``ANNUAL_2`` ...), a ``period_days`` and an ``exempt`` class. It covers EU frequency URIs and
bare codes, Dublin Core (``http://purl.org/cld/freq/...``), ISO 8601 durations and
repeating intervals (``P1D``, ``R/P1Y``, data.json's ``accrualPeriodicity``), and English,
German and Portuguese words seen on portals. A value outside the table is unknown, never
guessed; only an ISO 8601 duration not listed there is read by its own grammar.

Periods are fixed day counts, chosen leniently: the longest calendar span of the period, so a
dataset is never called late because of a short month. MONTHLY = 31, BIMONTHLY = 62,
QUARTERLY = 92, ANNUAL_3 = 123, ANNUAL_2 = 184, ANNUAL = 366, BIENNIAL = 731; a period of
less than a day is rounded up to one (DAILY_2 = 1). In ISO durations a year counts 366 days,
a month 31, a week 7. Updates more often than every twelve hours (HOURLY, 15MIN, PT1H) are
exempt as "continuous": such feeds rarely touch the metadata date.

Dates: naive datetimes (no offset given) are read as UTC; at a day's granularity with a day's
grace the few hours of a local offset do not change a verdict. Reduced precision (``2013``,
``2013-10``) is read as its first instant. The clock is never read here: ``now`` is passed in.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

from checks.keys import KeyRecipe

FREQUENCY_TABLE_PATH = Path(__file__).parent / "data" / "frequencies.csv"

Exempt = Literal["continuous", "irregular", "unknown", "never", "other"]
_EXEMPT: frozenset[str] = frozenset({"continuous", "irregular", "unknown", "never", "other"})
DateStatus = Literal["ok", "missing", "unparseable"]
Status = Literal["on-time", "late", "exempt", "no-frequency", "no-date", "bad-date", "future-date"]

# Durations shorter than this are "continuous" (exempt); longer ones round up to whole days.
_CONTINUOUS_BELOW_DAYS = 0.5

# The regex rewrites after NFC and lower-case, each replacing every match (see checks.keys).
_KEY = KeyRecipe(
    steps=(
        # collapse runs of whitespace (incl. no-break space) into one space, then trim the ends
        (r"[\t\n\x0b\x0c\r \xa0]+", " ", True),
        (r"^ | $", "", True),
        # a URI written in angle brackets: "<http://...>"
        (r"^<(.*)>$", r"\1", True),
        # vocabulary URIs -> their code: EU frequency table, Dublin Core frequency vocabulary
        (r"^https?://publications\.europa\.eu/resource/authority/frequency/", "", True),
        (r"^https?://purl\.org/cld/freq/", "", True),
        # ISO 8601 repeating interval -> its duration: "R/P1Y", "R5/P1D", "R/2020-01-01/P1D"
        (r"^r[0-9]*/(?:[0-9][^/]*/)?(p[0-9t.,].*)$", r"\1", True),
        # trailing punctuation: "Mensal." / "monatlich:"
        (r"[ .:;]+$", "", True),
    )
)

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_ISO_DURATION = re.compile(
    rf"^p(?:(?P<y>{_NUMBER})y)?(?:(?P<mo>{_NUMBER})m)?(?:(?P<w>{_NUMBER})w)?(?:(?P<d>{_NUMBER})d)?"
    rf"(?:t(?:(?P<h>{_NUMBER})h)?(?:(?P<mi>{_NUMBER})m)?(?:(?P<s>{_NUMBER})s)?)?$"
)
_DAYS_PER_UNIT = {"y": 366, "mo": 31, "w": 7, "d": 1, "h": 1 / 24, "mi": 1 / 1440, "s": 1 / 86400}


def frequency_key(raw: str | None) -> str:
    """Reduce a raw frequency value to the lookup key used in ``frequencies.csv``.

    In order: ``None`` -> ``""``; Unicode NFC; lower-case; collapse whitespace and trim; unwrap
    ``<...>``; EU frequency URIs (``http://publications.europa.eu/resource/authority/
    frequency/ANNUAL_2``) and Dublin Core URIs (``http://purl.org/cld/freq/semiannual``) -> the
    bare code (``annual_2``, ``semiannual``); an ISO 8601 repeating interval -> its duration
    (``R/P1Y`` -> ``p1y``); drop trailing dots, colons and semicolons.
    """
    return _KEY.key(raw)


@dataclass(frozen=True)
class Frequency:
    """A declared update frequency, classified."""

    code: str | None  # EU frequency code (DAILY, ANNUAL_2 ...) or an ISO duration (P5D)
    period_days: int | None  # None when exempt, unknown or missing
    exempt: Exempt | None  # why no date can be missed; None when a period applies
    raw: str | None
    known: bool  # False for a missing or unrecognised value


@dataclass(frozen=True)
class _Row:
    code: str
    period_days: int | None
    exempt: Exempt | None


@lru_cache(maxsize=1)
def _table() -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    with FREQUENCY_TABLE_PATH.open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            where = f"{FREQUENCY_TABLE_PATH}:{line}"
            key = row["key"]
            if key in rows:
                raise ValueError(f"{where}: duplicate key {key!r}")
            if frequency_key(key) != key:
                raise ValueError(f"{where}: key {key!r} is not normalised")
            exempt = row["exempt"] or None
            period = int(row["period_days"]) if row["period_days"] else None
            if exempt is not None and exempt not in _EXEMPT:
                raise ValueError(f"{where}: exempt={exempt!r}")
            if (period is None) == (exempt is None):
                raise ValueError(f"{where}: give either period_days or exempt")
            rows[key] = _Row(code=row["code"], period_days=period, exempt=exempt)  # type: ignore[arg-type]
    return rows


def load_frequency_table() -> dict[str, tuple[str, int | None, str | None]]:
    """``frequencies.csv`` as {key: (code, period_days, exempt)} (parsed and validated)."""
    return {key: (r.code, r.period_days, r.exempt) for key, r in _table().items()}


def _from_iso_duration(key: str, raw: str) -> Frequency | None:
    match = _ISO_DURATION.match(key)
    if match is None or not any(match.groupdict().values()):
        return None
    days = sum(
        float(value.replace(",", ".")) * _DAYS_PER_UNIT[unit]
        for unit, value in match.groupdict().items()
        if value is not None
    )
    code = key.upper()
    if days < _CONTINUOUS_BELOW_DAYS:
        return Frequency(code=code, period_days=None, exempt="continuous", raw=raw, known=True)
    return Frequency(
        code=code, period_days=max(1, math.ceil(days)), exempt=None, raw=raw, known=True
    )


def parse_frequency(raw: str | None) -> Frequency:
    """Classify a declared update frequency (URI, code, ISO 8601 duration or word)."""
    key = frequency_key(raw)
    if not key:
        return Frequency(code=None, period_days=None, exempt=None, raw=raw, known=False)
    row = _table().get(key)
    if row is not None:
        return Frequency(
            code=row.code, period_days=row.period_days, exempt=row.exempt, raw=raw, known=True
        )
    assert raw is not None
    from_duration = _from_iso_duration(key, raw)
    if from_duration is not None:
        return from_duration
    return Frequency(code=None, period_days=None, exempt=None, raw=raw, known=False)


# --- dates ------------------------------------------------------------------------------------

_ISO_DATETIME = re.compile(
    r"^(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:(?:[t ]| (?P<tzname>gmt|utc) )(?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<frac>\d+))?)?"
    r" ?(?P<tz>z|gmt|utc|[+-]\d{2}(?::?\d{2})?)?)?$"
)
_YEAR_MONTH = re.compile(r"^(?P<y>\d{4})(?:-(?P<mo>\d{2}))?$")
_GERMAN = re.compile(
    r"^(?P<d>\d{1,2})\.(?P<mo>\d{1,2})\.(?P<y>\d{4})"
    r"(?:,? (?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?: uhr)?)?$"
)


def _tz(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text in ("z", "gmt", "utc"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _int(value: str | None) -> int:
    return int(value) if value else 0


def classify_date(raw: str | date | datetime | None) -> tuple[datetime | None, DateStatus]:
    """Parse a metadata date; tell a missing value from an unparseable one.

    Accepts ``datetime`` and ``date`` objects and strings: ISO 8601 dates and datetimes with
    ``T`` or a space, with or without seconds, fractional seconds (any number of digits,
    truncated to microseconds) and an offset (``Z``, ``+01:00``, ``+0100``, ``GMT``);
    ``2013-10-25 00:00:00``; Bremen's ``2021-01-28 GMT 01:51:03.349193``; German
    ``25.10.2013`` (optionally ``14:30`` or ``14:30 Uhr``); a year (``2013``) or year-month
    (``2013-10``), read as their first instant. The offset is kept as given: a naive value
    stays naive. Returns ``(datetime, "ok")``, ``(None, "missing")`` for None or blank, and
    ``(None, "unparseable")`` for anything else, including impossible dates (``2021-02-30``).
    """
    if raw is None:
        return None, "missing"
    if isinstance(raw, datetime):
        return raw, "ok"
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day), "ok"
    text = " ".join(raw.split()).lower()
    if not text:
        return None, "missing"
    try:
        if m := _ISO_DATETIME.match(text):
            frac = (m["frac"] or "")[:6].ljust(6, "0")
            parsed = datetime(
                int(m["y"]),
                int(m["mo"]),
                int(m["d"]),
                _int(m["h"]),
                _int(m["mi"]),
                _int(m["s"]),
                int(frac),
                tzinfo=_tz(m["tz"] or m["tzname"]),
            )
            return parsed, "ok"
        if m := _GERMAN.match(text):
            parsed = datetime(
                int(m["y"]), int(m["mo"]), int(m["d"]), _int(m["h"]), _int(m["mi"]), _int(m["s"])
            )
            return parsed, "ok"
        if m := _YEAR_MONTH.match(text):
            return datetime(int(m["y"]), int(m["mo"] or 1), 1), "ok"
    except ValueError:  # month 13, February 30, offset +25:00 ...
        pass
    return None, "unparseable"


def parse_date(raw: str | date | datetime | None) -> datetime | None:
    """The parsed date, or None when missing or unparseable (see :func:`classify_date`)."""
    return classify_date(raw)[0]


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --- the verdict ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Freshness:
    """Whether one dataset was modified within its declared update period."""

    status: Status
    frequency: Frequency
    modified: datetime | None  # last modification, in UTC
    due: datetime | None  # modified + period + grace, in UTC; None without a period and date
    days_late: int | None  # whole days started since `due` (1 for a second late); late only


def assess_freshness(
    modified_raw: str | date | datetime | None,
    frequency_raw: str | None,
    now: datetime,
    grace_days: float = 1,
    skew_days: float = 1,
) -> Freshness:
    """Judge one dataset's freshness against its declared update frequency at ``now``.

    Statuses, checked in this order:

    ``no-frequency``  no frequency declared, or one we do not recognise (``frequency.known``
                      tells which; ``frequency.raw`` holds the value).
    ``exempt``        continuous, irregular, unknown, never or other (``frequency.exempt``).
    ``no-date``       no modification date.
    ``bad-date``      a modification date that does not parse.
    ``future-date``   modified more than ``skew_days`` after ``now`` (clock skew tolerated).
    ``late``          ``now`` is after ``due`` = modified + period + ``grace_days``.
    ``on-time``       otherwise (also exactly at ``due``).

    ``now`` and naive dates are read as UTC. ``days_late`` counts whole days started since
    ``due``, so one second late is 1.
    """
    frequency = parse_frequency(frequency_raw)
    parsed, date_status = classify_date(modified_raw)
    modified = as_utc(parsed) if parsed is not None else None
    now_utc = as_utc(now)

    def verdict(
        status: Status, due: datetime | None = None, days_late: int | None = None
    ) -> Freshness:
        return Freshness(
            status=status, frequency=frequency, modified=modified, due=due, days_late=days_late
        )

    if not frequency.known:
        return verdict("no-frequency")
    if frequency.exempt is not None:
        return verdict("exempt")
    if date_status == "missing":
        return verdict("no-date")
    if modified is None:
        return verdict("bad-date")
    if modified > now_utc + timedelta(days=skew_days):
        return verdict("future-date")
    assert frequency.period_days is not None
    due = modified + timedelta(days=frequency.period_days + grace_days)
    if now_utc > due:
        late_seconds = (now_utc - due).total_seconds()
        return verdict("late", due, math.ceil(late_seconds / 86400))
    return verdict("on-time", due)
