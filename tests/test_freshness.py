"""Freshness against the declared update frequency: the table, dates and the verdict."""

from __future__ import annotations

import html
import json
import os
import re
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from checks.freshness import (
    Frequency,
    Freshness,
    Status,
    as_utc,
    assess_freshness,
    classify_date,
    frequency_key,
    load_frequency_table,
    parse_date,
    parse_frequency,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("ODWATCH_CORPUS", ROOT.parent / "shared" / "corpus"))
EU_FREQ = "http://publications.europa.eu/resource/authority/frequency/"
NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


# --- every frequency value the corpus declares ------------------------------------------------

# dados.gov.br extras ("Periodicidade", "Frequência de atualização" ...), GovData staging
# ("frequency"), Bremen / Berlin / DCAT-AP.de / opendata.swiss / examples (dct:accrualPeriodicity)
EXPECTED_CODES: dict[str, str | None] = {
    "Anual": "ANNUAL",
    "Bimestral": "BIMONTHLY",
    "DAILY": "DAILY",
    "Diariamente": "DAILY",
    "Diario": "DAILY",
    "Diária": "DAILY",
    "Diário": "DAILY",
    "Eleição": "IRREG",  # "with each election": event-driven
    "Em tempo real": "CONT",
    "Mensal": "MONTHLY",
    "Mensal, a partir da segunda quinzena do mês": "MONTHLY",
    "Não Regular": "IRREG",
    "Não regular": "IRREG",
    "Quadrimestral": "ANNUAL_3",
    "Quinzenal": "BIWEEKLY",
    "Quinzenal/Trimestral": "QUARTERLY",  # two periods: the longer one
    "R/P1Y": "ANNUAL",
    "Semanal": "WEEKLY",
    "Semestral": "ANNUAL_2",
    "Sob demanda/necessidade": "AS_NEEDED",
    "Trimestral": "QUARTERLY",
    "Trimestralmente": "QUARTERLY",
    "diária": "DAILY",
    EU_FREQ + "ANNUAL": "ANNUAL",
    EU_FREQ + "DAILY": "DAILY",
    EU_FREQ + "IRREGULAR": "IRREG",  # Bremen; the EU code is IRREG
    EU_FREQ + "MONTHLY": "MONTHLY",
    EU_FREQ + "NEVER": "NEVER",
    EU_FREQ + "QUARTERLY": "QUARTERLY",
    "http://purl.org/cld/freq/annual": "ANNUAL",
    "http://purl.org/cld/freq/completelyIrregular": "IRREG",
    "http://purl.org/cld/freq/continuous": "CONT",
    "http://purl.org/cld/freq/daily": "DAILY",
    "http://purl.org/cld/freq/monthly": "MONTHLY",
    "http://purl.org/cld/freq/semiannual": "ANNUAL_2",
    "http://purl.org/cld/freq/weekly": "WEEKLY",
    # datos.gob.es points at a dct:Frequency node of its own; we do not follow it
    "https://datos.gob.es/catalogo/l01280796-estudio-de-satisfaccion-con-el-programa-de-"
    "escuelas-municipales-de-promocion-deportiva-en-centros-escolares/Frequency": None,
    "mensal": "MONTHLY",
    "quinzenal": "BIWEEKLY",
    "semanal": "WEEKLY",
}

_EXTRA_KEY = re.compile(r"frequ|periodic|periodoc", re.IGNORECASE)
_FREQUENCY_KEYS = ("frequency", "accrualPeriodicity", "accrual_periodicity", "update_frequency")
_RDF_FREQUENCY = re.compile(r"<(?:dct|dcterms):accrualPeriodicity\b([^>]*?)(?:/>|>([^<]*)<)")
_TTL_FREQUENCY = re.compile(r'(?:dct|dcterms):accrualPeriodicity\s+(?:<([^>]*)>|"([^"]*)")')
_RDF_RESOURCE = re.compile(r'rdf:resource="([^"]*)"')


def _walk_frequencies(node: object, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                continue
            if key in _FREQUENCY_KEYS and isinstance(value, str):
                found.add(value)
            if key.endswith("accrualPeriodicity") and isinstance(value, list):  # JSON-LD
                found.update(v["@id"] for v in value if isinstance(v, dict) and "@id" in v)
            if key == "extras" and isinstance(value, list):  # CKAN extras, any language
                for extra in value:
                    if (
                        isinstance(extra, dict)
                        and isinstance(extra.get("key"), str)
                        and _EXTRA_KEY.search(extra["key"])
                        and isinstance(extra.get("value"), str)
                    ):
                        found.add(extra["value"])
            _walk_frequencies(value, found)
    elif isinstance(node, list):
        for child in node:
            _walk_frequencies(child, found)


def _scan_frequencies(text: str, found: set[str]) -> None:
    for m in _RDF_FREQUENCY.finditer(text):
        resource = _RDF_RESOURCE.search(m.group(1))
        value = resource.group(1) if resource else html.unescape(m.group(2) or "").strip()
        if value:
            found.add(value)
    for m in _TTL_FREQUENCY.finditer(text):
        found.add(m.group(1) if m.group(1) is not None else m.group(2))


def _text_files() -> list[Path]:
    dcat = sorted(p for p in (CORPUS / "dcat").rglob("*") if p.is_file())
    return dcat + [CORPUS / "opendatasoft/potsdam.ttl"] + sorted((CORPUS / "datajson").glob("*"))


def _ckan_files() -> list[Path]:
    return [CORPUS / "ckan/dados-gov-br/catalog_check_ignore_packages__0.json"] + sorted(
        (CORPUS / "ckan/govdata-staging").glob("*.json")
    )


@lru_cache(maxsize=1)
def _corpus_frequencies() -> frozenset[str]:
    found: set[str] = set()
    for path in _ckan_files():
        doc = json.loads(path.read_text(encoding="utf-8"))
        _walk_frequencies(doc, found)
        if isinstance(doc.get("result"), str):  # ckanext-dcat dcat_dataset_show
            _scan_frequencies(doc["result"], found)
    for path in _text_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix in (".json", ".jsonld"):
            _walk_frequencies(json.loads(text), found)
        else:
            _scan_frequencies(text, found)
    return frozenset(found)


def test_every_corpus_frequency_maps_to_an_expected_code(corpus: Path) -> None:
    found = _corpus_frequencies()
    assert sorted(found) == sorted(EXPECTED_CODES)  # no value unlisted, no stale entry
    assert {value: parse_frequency(value).code for value in found} == EXPECTED_CODES


# --- the table ----------------------------------------------------------------------------------


def test_one_code_one_period() -> None:
    by_code: dict[str, set[tuple[int | None, str | None]]] = {}
    for code, period, exempt in load_frequency_table().values():
        by_code.setdefault(code, set()).add((period, exempt))
    assert {code: v for code, v in by_code.items() if len(v) != 1} == {}


def test_eu_codes_periods_and_exemptions() -> None:
    got = {}
    for code in (
        "HOURLY CONT UPDATE_CONT DAILY DAILY_2 WEEKLY WEEKLY_2 WEEKLY_3 BIWEEKLY MONTHLY "
        "MONTHLY_2 MONTHLY_3 BIMONTHLY QUARTERLY ANNUAL_3 ANNUAL_2 ANNUAL BIENNIAL TRIENNIAL "
        "IRREG AS_NEEDED UNKNOWN OP_DATPRO NEVER NOT_PLANNED OTHER"
    ).split():
        via_uri = parse_frequency(EU_FREQ + code)
        assert parse_frequency(code) == Frequency(
            via_uri.code, via_uri.period_days, via_uri.exempt, code, True
        )
        got[code] = via_uri.period_days or via_uri.exempt
    assert got == {
        "HOURLY": "continuous",
        "CONT": "continuous",
        "UPDATE_CONT": "continuous",
        "DAILY": 1,
        "DAILY_2": 1,
        "WEEKLY": 7,
        "WEEKLY_2": 4,
        "WEEKLY_3": 3,
        "BIWEEKLY": 15,
        "MONTHLY": 31,
        "MONTHLY_2": 16,
        "MONTHLY_3": 11,
        "BIMONTHLY": 62,
        "QUARTERLY": 92,
        "ANNUAL_3": 123,
        "ANNUAL_2": 184,
        "ANNUAL": 366,
        "BIENNIAL": 731,
        "TRIENNIAL": 1096,
        "IRREG": "irregular",
        "AS_NEEDED": "irregular",
        "UNKNOWN": "unknown",
        "OP_DATPRO": "unknown",
        "NEVER": "never",
        "NOT_PLANNED": "never",
        "OTHER": "other",
    }


def test_parse_frequency_spellings() -> None:
    cases = {
        "https://publications.europa.eu/resource/authority/frequency/ANNUAL_2": "ANNUAL_2",
        "<http://publications.europa.eu/resource/authority/frequency/WEEKLY>": "WEEKLY",
        "http://purl.org/cld/freq/threeTimesAYear": "ANNUAL_3",
        "P1D": "DAILY",
        "R/P1D": "DAILY",
        "R/P0.5M": "MONTHLY_2",
        "R/PT1H": "HOURLY",
        "R5/P1W": "WEEKLY",
        "R/2020-01-01/P1M": "MONTHLY",
        "  Täglich. ": "DAILY",
        "wöchentlich": "WEEKLY",
        "monatlich": "MONTHLY",
        "vierteljährlich": "QUARTERLY",
        "halbjährlich": "ANNUAL_2",
        "jährlich": "ANNUAL",
        "unregelmäßig": "IRREG",
        "kontinuierlich": "CONT",
        "nie": "NEVER",
        "daily": "DAILY",
        "Weekly": "WEEKLY",
        "annually": "ANNUAL",
        "irregular": "IRREG",
        "continuous": "CONT",
        "as needed": "AS_NEEDED",
        "MENSAL": "MONTHLY",
    }
    assert {raw: parse_frequency(raw).code for raw in cases} == cases


def test_parse_frequency_whole_values() -> None:
    assert parse_frequency(EU_FREQ + "MONTHLY") == Frequency(
        code="MONTHLY", period_days=31, exempt=None, raw=EU_FREQ + "MONTHLY", known=True
    )
    assert parse_frequency("R/PT1S") == Frequency(
        code="CONT", period_days=None, exempt="continuous", raw="R/PT1S", known=True
    )
    # ISO durations outside the table are read by their grammar (year 366, month 31 days)
    assert parse_frequency("P5D") == Frequency("P5D", 5, None, "P5D", True)
    assert parse_frequency("R/P1Y6M") == Frequency("P1Y6M", 366 + 6 * 31, None, "R/P1Y6M", True)
    assert parse_frequency("P1.5D") == Frequency("P1.5D", 2, None, "P1.5D", True)
    assert parse_frequency("PT6H") == Frequency("PT6H", None, "continuous", "PT6H", True)
    assert parse_frequency("PT12H") == Frequency("12HRS", 1, None, "PT12H", True)
    # missing and unknown are not guessed
    assert parse_frequency(None) == Frequency(None, None, None, None, False)
    assert parse_frequency("  ") == Frequency(None, None, None, "  ", False)
    assert parse_frequency("jeweils Montags") == Frequency(
        None, None, None, "jeweils Montags", False
    )
    assert parse_frequency("P").known is False
    assert parse_frequency("monthlyish").known is False


def test_frequency_key() -> None:
    cases = {
        EU_FREQ + "ANNUAL_2": "annual_2",
        "http://purl.org/cld/freq/semiannual": "semiannual",
        "R/P1Y": "p1y",
        "R12/2008-03-01T13:00:00Z/P1Y2M10DT2H30M": "p1y2m10dt2h30m",
        " Mensal,  a partir da segunda\u00a0quinzena do mês.": (
            "mensal, a partir da segunda quinzena do mês"
        ),
        "Na\u0303o regular": "não regular",  # decomposed tilde -> NFC
    }
    assert {raw: frequency_key(raw) for raw in cases} == cases


# --- dates ------------------------------------------------------------------------------------


def test_classify_date() -> None:
    cest = timezone(timedelta(hours=2))
    cases = {
        "2013-10-25": (datetime(2013, 10, 25), "ok"),
        "2013-10-25 00:00:00": (datetime(2013, 10, 25), "ok"),
        "2021-01-27T08:53:31": (datetime(2021, 1, 27, 8, 53, 31), "ok"),
        "2021-01-27T08:53": (datetime(2021, 1, 27, 8, 53), "ok"),
        "2015-12-14T16:35:40.015427": (datetime(2015, 12, 14, 16, 35, 40, 15427), "ok"),
        "2015-12-14T16:35:40.1": (datetime(2015, 12, 14, 16, 35, 40, 100000), "ok"),
        "2015-12-14T16:35:40.123456789": (datetime(2015, 12, 14, 16, 35, 40, 123456), "ok"),
        "2011-11-19T12:00:00Z": (datetime(2011, 11, 19, 12, tzinfo=UTC), "ok"),
        "2024-04-15T09:08:02+02:00": (datetime(2024, 4, 15, 9, 8, 2, tzinfo=cest), "ok"),
        "2024-04-15T09:08:02+0200": (datetime(2024, 4, 15, 9, 8, 2, tzinfo=cest), "ok"),
        "2024-04-15 09:08:02 -05": (
            datetime(2024, 4, 15, 9, 8, 2, tzinfo=timezone(timedelta(hours=-5))),
            "ok",
        ),
        # Bremen
        "2021-01-28 GMT 01:51:03.34919300": (datetime(2021, 1, 28, 1, 51, 3, 349193, UTC), "ok"),
        "25.10.2013": (datetime(2013, 10, 25), "ok"),
        "5.1.2013": (datetime(2013, 1, 5), "ok"),
        "25.10.2013 14:30 Uhr": (datetime(2013, 10, 25, 14, 30), "ok"),
        "2013": (datetime(2013, 1, 1), "ok"),
        "2013-10": (datetime(2013, 10, 1), "ok"),
        None: (None, "missing"),
        "": (None, "missing"),
        " \t": (None, "missing"),
        "29.05..2017": (None, "unparseable"),  # opendata.swiss
        "jeweils Montags": (None, "unparseable"),  # opendata.swiss: "every Monday"
        "2021-02-30": (None, "unparseable"),
        "2021-13-01": (None, "unparseable"),
        "2021-01-01T25:00:00": (None, "unparseable"),
        "agosto 2021": (None, "unparseable"),
        "10/25/2013": (None, "unparseable"),  # month/day order is a guess; not taken
    }
    assert {raw: classify_date(raw) for raw in cases} == cases


def test_date_objects_pass_through() -> None:
    aware = datetime(2020, 1, 1, 12, tzinfo=UTC)
    assert classify_date(aware) == (aware, "ok")
    assert classify_date(date(2020, 1, 2)) == (datetime(2020, 1, 2), "ok")
    assert parse_date("2020-01-02") == datetime(2020, 1, 2)
    assert parse_date("nope") is None


def test_as_utc() -> None:
    assert as_utc(datetime(2020, 1, 1, 12)) == datetime(2020, 1, 1, 12, tzinfo=UTC)
    plus2 = datetime(2020, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert as_utc(plus2) == datetime(2020, 1, 1, 10, tzinfo=UTC)
    assert as_utc(plus2).tzinfo is UTC


_RDF_DATE = re.compile(r"<dct(?:erms)?:(?:modified|issued)\b[^>]*>([^<]*)<")
_TTL_DATE = re.compile(r'dct:(?:modified|issued)\s+"([^"]*)"')
_JSON_DATE = re.compile(
    r'"(?:metadata_modified|metadata_created|last_modified|modified|issued|created)"\s*:\s*"([^"]*)"'
)


def test_every_corpus_date_parses_or_is_known_bad(corpus: Path) -> None:
    values: set[str] = set()
    for path in _ckan_files() + _text_files():
        text = path.read_text(encoding="utf-8")
        for pattern in (_RDF_DATE, _TTL_DATE, _JSON_DATE):
            values.update(m.group(1) for m in pattern.finditer(text))
    assert len(values) > 10000
    not_ok = {value: classify_date(value)[1] for value in values if parse_date(value) is None}
    assert not_ok == {
        "": "missing",
        "29.05..2017": "unparseable",
        "jeweils Montags": "unparseable",
    }


# --- the verdict --------------------------------------------------------------------------------


def _weekly(
    status: Status,
    modified: datetime | None,
    due: datetime | None = None,
    days_late: int | None = None,
) -> Freshness:
    return Freshness(
        status=status,
        frequency=Frequency("WEEKLY", 7, None, "WEEKLY", True),
        modified=modified,
        due=due,
        days_late=days_late,
    )


def test_on_time_and_late() -> None:
    modified = datetime(2024, 6, 1, 12, tzinfo=UTC)
    due = datetime(2024, 6, 9, 12, tzinfo=UTC)  # + 7 days + 1 day grace
    assert assess_freshness("2024-06-01T12:00:00Z", "WEEKLY", NOW) == _weekly(
        "late", modified, due, 6
    )
    recent = datetime(2024, 6, 10, tzinfo=UTC)
    assert assess_freshness("2024-06-10", "WEEKLY", NOW) == _weekly(
        "on-time", recent, datetime(2024, 6, 18, tzinfo=UTC)
    )


def test_grace_boundary_to_the_second() -> None:
    modified = datetime(2024, 6, 1, tzinfo=UTC)
    due = datetime(2024, 6, 9, tzinfo=UTC)
    second = timedelta(seconds=1)
    assert assess_freshness(modified, "WEEKLY", due - second) == _weekly("on-time", modified, due)
    assert assess_freshness(modified, "WEEKLY", due) == _weekly("on-time", modified, due)
    assert assess_freshness(modified, "WEEKLY", due + second) == _weekly("late", modified, due, 1)
    assert assess_freshness(modified, "WEEKLY", due + timedelta(days=1)) == _weekly(
        "late", modified, due, 1
    )
    assert assess_freshness(modified, "WEEKLY", due + timedelta(days=1) + second) == _weekly(
        "late", modified, due, 2
    )


def test_grace_days_is_a_parameter() -> None:
    modified = datetime(2024, 6, 1, tzinfo=UTC)
    at = datetime(2024, 6, 8, 0, 0, 1, tzinfo=UTC)
    assert assess_freshness(modified, "WEEKLY", at).status == "on-time"
    assert assess_freshness(modified, "WEEKLY", at, grace_days=0) == _weekly(
        "late", modified, datetime(2024, 6, 8, tzinfo=UTC), 1
    )


def test_timezone_aware_and_naive() -> None:
    # 00:30 at +02:00 is 22:30 UTC the day before; a naive `now` is UTC
    result = assess_freshness("2024-06-02T00:30:00+02:00", "DAILY", datetime(2024, 6, 3, 22, 30))
    assert result == Freshness(
        status="on-time",
        frequency=Frequency("DAILY", 1, None, "DAILY", True),
        modified=datetime(2024, 6, 1, 22, 30, tzinfo=UTC),
        due=datetime(2024, 6, 3, 22, 30, tzinfo=UTC),
        days_late=None,
    )
    late = assess_freshness("2024-06-02T00:30:00+02:00", "DAILY", datetime(2024, 6, 3, 22, 31))
    assert (late.status, late.days_late) == ("late", 1)
    # a naive modified date is UTC too; aware and naive `now` agree
    naive = assess_freshness("2024-06-01 22:30:00", "DAILY", datetime(2024, 6, 3, 22, 31))
    aware = assess_freshness(
        "2024-06-01 22:30:00", "DAILY", datetime(2024, 6, 3, 22, 31, tzinfo=UTC)
    )
    assert naive == aware
    assert naive.status == "late"
    # `now` in another zone is the same instant
    tokyo = timezone(timedelta(hours=9))
    assert assess_freshness("2024-06-01", "DAILY", datetime(2024, 6, 3, 9, tzinfo=tokyo)) == (
        Freshness(
            status="on-time",
            frequency=Frequency("DAILY", 1, None, "DAILY", True),
            modified=datetime(2024, 6, 1, tzinfo=UTC),
            due=datetime(2024, 6, 3, tzinfo=UTC),
            days_late=None,
        )
    )


def test_months_are_lenient_fixed_days() -> None:
    # MONTHLY = 31 days: modified 1 Feb, due 1 Feb + 31 + 1 = 4 March (2024 is a leap year)
    result = assess_freshness("2024-02-01", "MONTHLY", datetime(2024, 3, 4, tzinfo=UTC))
    assert (result.status, result.due) == ("on-time", datetime(2024, 3, 4, tzinfo=UTC))
    # ANNUAL = 366 days
    result = assess_freshness("2023-01-01", "ANNUAL", datetime(2024, 1, 3, tzinfo=UTC))
    assert (result.status, result.due) == ("on-time", datetime(2024, 1, 3, tzinfo=UTC))


def test_exempt_frequencies_need_no_date() -> None:
    for raw, exempt in (
        (EU_FREQ + "CONT", "continuous"),
        (EU_FREQ + "HOURLY", "continuous"),
        (EU_FREQ + "IRREG", "irregular"),
        (EU_FREQ + "UNKNOWN", "unknown"),
        (EU_FREQ + "NEVER", "never"),
        (EU_FREQ + "OTHER", "other"),
    ):
        result = assess_freshness(None, raw, NOW)
        assert result == Freshness(
            status="exempt",
            frequency=parse_frequency(raw),
            modified=None,
            due=None,
            days_late=None,
        )
        assert result.frequency.exempt == exempt
    old = assess_freshness("2001-01-01", "NEVER", NOW)
    assert (old.status, old.modified) == ("exempt", datetime(2001, 1, 1, tzinfo=UTC))


def test_no_frequency() -> None:
    assert assess_freshness("2024-01-01", None, NOW) == Freshness(
        status="no-frequency",
        frequency=Frequency(None, None, None, None, False),
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        due=None,
        days_late=None,
    )
    unknown = assess_freshness("2024-01-01", "jeweils Montags", NOW)
    assert (unknown.status, unknown.frequency.known, unknown.frequency.raw) == (
        "no-frequency",
        False,
        "jeweils Montags",
    )
    assert assess_freshness("2024-01-01", "", NOW).status == "no-frequency"


def test_no_date_and_bad_date() -> None:
    assert assess_freshness(None, "WEEKLY", NOW) == _weekly("no-date", None)
    assert assess_freshness("   ", "WEEKLY", NOW) == _weekly("no-date", None)
    assert assess_freshness("29.05..2017", "WEEKLY", NOW) == _weekly("bad-date", None)
    assert assess_freshness("2021-02-30", "WEEKLY", NOW) == _weekly("bad-date", None)


def test_future_date_beyond_one_day_of_clock_skew() -> None:
    tomorrow = NOW + timedelta(days=1)
    assert assess_freshness(tomorrow, "WEEKLY", NOW) == _weekly(
        "on-time", tomorrow, tomorrow + timedelta(days=8)
    )
    later = tomorrow + timedelta(seconds=1)
    assert assess_freshness(later, "WEEKLY", NOW) == _weekly("future-date", later)
    assert assess_freshness("2099-01-01", "DAILY", NOW).status == "future-date"
    assert assess_freshness(later, "WEEKLY", NOW, skew_days=2).status == "on-time"
